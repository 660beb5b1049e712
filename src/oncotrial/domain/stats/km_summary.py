"""Summaries of a Kaplan-Meier curve: quantiles, landmark survival, numbers at risk, RMST.

Each reproduces an R survival 3.5 rule exactly:
- quantiles: ``quantile.survfit`` -- the first time the curve drops to or below 1 - p; where the
  curve sits exactly at 1 - p over an interval (within sqrt(machine eps)) the midpoint of that
  interval.  The CI is the same rule applied to the lower and upper pointwise limits
  (Brookmeyer & Crowley 1982, Biometrics 38:29).  R finds the point with ``approx``, which orders
  the points by value: on a limit curve that rises again in the tail the answer is the time of the
  smallest value at or below 1 - p, which need not be the first crossing.
- the median of ``print(fit)`` / ``summary(fit)$table`` (``survmean``'s ``minmin``) walks the
  curve as it is: the first time below 0.5 (+ tolerance), the midpoint rule only when that value
  is 0.5 and a lower one follows.  The two R rules differ on such limit curves and on a final flat.
- landmarks: ``summary(fit, times, extend = TRUE)`` -- S at the last time <= t, n at risk = number
  with time >= t, standard error on the survival scale.
- RMST: ``print(fit, rmean = tau)`` -- area under the step curve from 0 to tau, variance
  sum_j (int_{t_j}^{tau} S)^2 d_j / (n_j (n_j - d_j)) (Klein & Moeschberger 2003, eq. 4.5.1-4.5.2,
  p. 118; Miller 1981 p. 195).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from oncotrial.errors import InvalidInput

from ._kernels import z_value
from ._result import StatResult

TOLERANCE = np.sqrt(np.finfo(float).eps)


@dataclass(frozen=True)
class QuantileEstimate(StatResult):
    """Time by which a fraction ``prob`` of subjects have had the event, with its CI."""

    prob: float
    estimate: float
    ci: tuple[float, float]
    conf_type: str
    warnings: tuple[str, ...] = ()

    def _summary_title(self) -> str:
        return f"Survival quantile {self.prob:g} ({self.conf_type} CI)"

    def _summary_rows(self):
        return ["prob", "time", "lower", "upper"], [[self.prob, self.estimate, *self.ci]]


@dataclass(frozen=True)
class SurvivalAt(StatResult):
    """S(t) at a landmark time (e.g. the 12-month PFS rate) with SE, CI and numbers at risk."""

    time: float
    estimate: float
    se: float
    ci: tuple[float, float]
    n_risk: int
    conf_type: str
    warnings: tuple[str, ...] = ()

    def _summary_title(self) -> str:
        return f"Survival at {self.time:g} ({self.conf_type} CI)"

    def _summary_rows(self):
        return (["time", "n.risk", "survival", "std.err", "lower", "upper"],
                [[self.time, self.n_risk, self.estimate, self.se, *self.ci]])


@dataclass(frozen=True)
class RMSTEstimate(StatResult):
    """Restricted mean survival time up to ``tau`` and its standard error."""

    tau: float
    estimate: float
    se: float
    ci: tuple[float, float]
    warnings: tuple[str, ...] = ()

    def _summary_title(self) -> str:
        return f"Restricted mean survival time to {self.tau:g}"

    def _summary_rows(self):
        return ["tau", "rmean", "se", "lower", "upper"], [[self.tau, self.estimate, self.se,
                                                           *self.ci]]


def _find_quantile(x: np.ndarray, y: np.ndarray, probs: np.ndarray) -> np.ndarray:
    """R's ``findq``: where a horizontal line at p meets the cumulative curve y = 1 - S."""
    if np.all(np.isnan(y)) or np.nanmax(y) < probs.min():
        return np.full(probs.size, np.nan)
    xmax = x[-1]
    keep = _first_occurrences(y)
    x, y = x[keep], y[keep]
    index = np.arange(y.size)
    finite = ~np.isnan(y)

    def step(values):
        # approx(values, index, p, method = "constant", f = 1) orders the points by value first, so
        # it returns the index of the smallest value >= p, NA outside [min, max].  A confidence
        # limit can rise again in the tail, so the values are sorted rather than assumed monotone.
        finite_values = values[finite]
        order = np.argsort(finite_values, kind="stable")
        vals, idx = finite_values[order], index[finite][order]
        pos = np.searchsorted(vals, probs, side="left")
        inside = (probs >= vals[0]) & (probs <= vals[-1])
        return np.where(inside, idx[np.minimum(pos, vals.size - 1)], -1)

    lo, hi = step(y + TOLERANCE), step(y - TOLERANCE)
    xs = np.append(x, np.nan)  # index -1 reads NaN
    quant = (xs[lo] + xs[hi]) / 2.0
    quant[probs == 0] = x[0]
    if not np.isnan(y[-1]):
        last = np.abs(probs - y[-1]) < TOLERANCE
        quant[last] = (xs[lo[last]] + xmax) / 2.0
    return quant


def _first_occurrences(y: np.ndarray) -> np.ndarray:
    """Mask keeping the first copy of each value (NaN counts as one value), as R ``!duplicated``."""
    key = np.where(np.isnan(y), np.inf, y)
    _, first = np.unique(key, return_index=True)
    keep = np.zeros(y.size, dtype=bool)
    keep[first] = True
    return keep


def compute_quantiles(curve, probs: Sequence[float]) -> tuple[QuantileEstimate, ...]:
    """Survival quantiles and CIs of a ``KMCurve`` (R ``quantile.survfit``, survival 3.5)."""
    p = np.asarray(probs, dtype=float)
    if p.size and (np.any(np.isnan(p)) or np.any((p < 0) | (p > 1))):
        raise InvalidInput(f"probs must lie in [0, 1]; got {list(probs)}", field="probs")
    x = np.append(0.0, curve.time)

    def at(s):
        return _find_quantile(x, np.append(0.0, 1.0 - s), p)

    est, lower, upper = at(curve.surv), at(curve.lower), at(curve.upper)
    result = []
    for i, prob in enumerate(p):
        warnings = ()
        if np.isnan(est[i]):
            warnings = (f"the curve does not fall to {1 - prob:g}: the {prob:g} quantile is not "
                        f"reached",)
        result.append(QuantileEstimate(float(prob), float(est[i]), (float(lower[i]),
                                       float(upper[i])), curve.conf_type, warnings))
    return tuple(result)


def _first_time_below_half(time: np.ndarray, values: np.ndarray) -> float:
    """``survmean``'s ``minmin``: the first time the curve is below 0.5 + tolerance; if it sits at
    0.5 there, the midpoint between that time and the next time it is lower."""
    keep = ~np.isnan(values) & (values < 0.5 + TOLERANCE)
    if not keep.any():
        return float("nan")
    x, y = time[keep], values[keep]
    lower = y < y[0]
    if abs(y[0] - 0.5) < TOLERANCE and lower.any():
        return float((x[0] + x[np.argmax(lower)]) / 2.0)
    return float(x[0])


def compute_table_median(curve) -> QuantileEstimate:
    """The median and its limits as R prints them (``print(fit)``, ``summary(fit)$table``,
    survival 3.5 ``survmean``): each curve is searched from the start for its first value below
    0.5, so a limit that turns back in the tail does not move the answer."""
    estimate = _first_time_below_half(curve.time, curve.surv)
    ci = (_first_time_below_half(curve.time, curve.lower),
          _first_time_below_half(curve.time, curve.upper))
    warnings = () if np.isfinite(estimate) else ("the curve does not fall to 0.5: the median is "
                                                 "not reached",)
    return QuantileEstimate(0.5, estimate, ci, curve.conf_type, warnings)


def compute_n_at_risk(curve, times: Sequence[float]) -> np.ndarray:
    """Number with follow-up time >= t for each t (R ``summary(fit, times)$n.risk``)."""
    t = np.asarray(times, dtype=float)
    pos = np.searchsorted(curve.time, t, side="left")
    padded = np.append(curve.n_risk, 0.0)
    return padded[pos].astype(np.int64)


def compute_survival_at(curve, times: Sequence[float]) -> tuple[SurvivalAt, ...]:
    """S(t), its survival-scale SE and CI at each time (R ``summary(fit, times, extend=TRUE)``)."""
    t = np.asarray(times, dtype=float)
    if np.any(np.isnan(t)) or np.any(t < 0):
        raise InvalidInput(f"landmark times must be >= 0; got {list(times)}", field="landmarks")
    row = np.searchsorted(curve.time, t, side="right") - 1
    before = row < 0
    rowc = np.maximum(row, 0)
    surv = np.where(before, 1.0, curve.surv[rowc])
    se = np.where(before, 0.0, curve.se_surv[rowc])
    # before the first time S = 1 with zero variance: limits 1 (log, plain), NA (log-log), as R
    start = np.nan if curve.conf_type == "log-log" else 1.0
    row_lower, row_upper = curve.limits_at(rowc)
    lower = np.where(before, start, row_lower)
    upper = np.where(before, start, row_upper)
    n_risk = compute_n_at_risk(curve, t)
    out = []
    for i, ti in enumerate(t):
        warnings = ()
        if n_risk[i] == 0:
            warnings = (f"no subject is still followed at {ti:g} (last follow-up "
                        f"{curve.time[-1]:g}); S({ti:g}) is carried forward from the last time",)
        out.append(SurvivalAt(float(ti), float(surv[i]), float(se[i]),
                              (float(lower[i]), float(upper[i])), int(n_risk[i]),
                              curve.conf_type, warnings))
    return tuple(out)


def compute_rmst(curve, tau: float) -> RMSTEstimate:
    """RMST to ``tau`` and SE as R survival's ``survmean`` (``print(fit, rmean = tau)``)."""
    if tau is None or not np.isfinite(tau) or tau <= 0:
        raise InvalidInput(f"tau must be a positive time; got {tau!r}", field="tau")
    keep = curve.time <= tau
    with np.errstate(divide="ignore", invalid="ignore"):
        hazard_var = np.where(curve.n_risk - curve.n_event == 0, 0.0,
                              curve.n_event / (curve.n_risk * (curve.n_risk - curve.n_event)))
    times = np.append(curve.time[keep], tau)
    surv = np.append(curve.surv[keep], curve.surv[keep][-1] if keep.any() else 1.0)
    hh = np.append(hazard_var[keep], 0.0)
    widths = np.diff(np.append(0.0, times))
    areas = widths * np.append(1.0, surv[:-1])
    tail_areas = np.cumsum(areas[1:][::-1])
    variance = float(np.sum(tail_areas**2 * hh[::-1][1:]))
    estimate = float(areas.sum())
    se = float(np.sqrt(variance))
    z = z_value(curve.conf_level)
    warnings = ()
    if tau > curve.time[-1]:
        warnings = (f"tau {tau:g} is beyond the last follow-up {curve.time[-1]:g}: the curve is "
                    f"extended flat, which the data do not support",)
    return RMSTEstimate(float(tau), estimate, se, (estimate - z * se, estimate + z * se), warnings)


@dataclass(frozen=True)
class RMSTDifference(StatResult):
    """Difference in restricted mean survival time (second arm minus first) up to ``tau``."""

    tau: float
    arms: tuple
    rmst: tuple[RMSTEstimate, RMSTEstimate]
    estimate: float
    se: float
    ci: tuple[float, float]
    p_value: float
    warnings: tuple[str, ...] = ()

    def _summary_title(self) -> str:
        return f"RMST difference to {self.tau:g} ({self.arms[1]} - {self.arms[0]})"

    def _summary_rows(self):
        rows = [[arm, r.estimate, r.se, *r.ci, ""] for arm, r in zip(self.arms, self.rmst,
                                                                      strict=True)]
        rows.append(["difference", self.estimate, self.se, *self.ci, self.p_value])
        return ["arm", "rmst", "se", "lower", "upper", "p"], rows


def compare_rmst(first, second, tau: float) -> RMSTDifference:
    """RMST of ``second`` minus ``first`` (two ``KMCurve``), Wald CI and two-sided p from the
    independent-arm variances var1 + var2 (Royston & Parmar 2013, BMC Med Res Methodol 13:152;
    Uno et al. 2014, J Clin Oncol 32:2380)."""
    from scipy.stats import norm

    a, b = compute_rmst(first, tau), compute_rmst(second, tau)
    diff = b.estimate - a.estimate
    se = float(np.hypot(a.se, b.se))
    z = z_value(first.conf_level)
    p = float(2 * norm.sf(abs(diff) / se)) if se > 0 else float("nan")
    return RMSTDifference(float(tau), (first.label, second.label), (a, b), diff, se,
                          (diff - z * se, diff + z * se), p, a.warnings + b.warnings)
