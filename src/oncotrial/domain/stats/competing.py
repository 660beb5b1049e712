"""Competing risks: cumulative incidence (Aalen-Johansen) and Gray's test, as R ``cmprsk::cuminc``.

Cumulative incidence of cause k: F_k(t) = sum_{t_j <= t} S(t_j-) d_kj / n_j, with S the all-cause
Kaplan-Meier curve (Kalbfleisch & Prentice 2002, eq. 8.6, p. 252; Aalen & Johansen 1978).  Its
variance is the delta-method estimate of cmprsk's ``cinc`` routine (Gray; Aalen 1978), and groups
are compared with Gray's (1988, Annals of Statistics 16:1141) K-sample test of the
subdistribution hazards with weight (1 - F(t-))^rho, stratified if asked, computed as cmprsk's
``crstm``.  Pointwise CIs use the log(-log) transform, F^exp(+-z se / (F log F))
(Choudhury 2002; Pintilie 2006, Competing Risks, section 4.2.2, p. 62).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from scipy.stats import chi2

from oncotrial.errors import InvalidInput

from ._data import check_events, check_labels, check_times
from ._kernels import z_value
from ._result import StatResult, format_table
from .gray import gray_test_statistic


@dataclass(frozen=True, eq=False)
class CumincCurve(StatResult):
    """Cumulative incidence of one cause in one group, at that cause's event times."""

    group: object
    cause: int
    time: np.ndarray
    estimate: np.ndarray
    variance: np.ndarray
    last_time: float
    conf_level: float = 0.95
    warnings: tuple[str, ...] = ()

    def at(self, times: Sequence[float]) -> tuple[np.ndarray, np.ndarray]:
        """(estimate, variance) at each time, NaN after the last follow-up (cmprsk
        ``timepoints``)."""
        t = np.asarray(times, dtype=float)
        row = np.searchsorted(self.time, t, side="right") - 1
        est = np.where(row >= 0, np.append(self.estimate, 0.0)[row], 0.0)
        var = np.where(row >= 0, np.append(self.variance, 0.0)[row], 0.0)
        outside = (t > self.last_time) | (t < 0)
        return np.where(outside, np.nan, est), np.where(outside, np.nan, var)

    def ci_at(self, times: Sequence[float]) -> tuple[np.ndarray, np.ndarray]:
        """Pointwise log(-log) limits of F at each time (NaN where F is 0 or 1)."""
        est, var = self.at(times)
        z = z_value(self.conf_level)
        with np.errstate(divide="ignore", invalid="ignore"):
            f = np.where((est > 0) & (est < 1), est, np.nan)
            power = np.exp(z * np.sqrt(var) / (f * np.log(f)))
            return f ** (1.0 / power), f**power

    def steps(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """The corners of the step function exactly as ``cuminc`` returns them: time 0, each
        event time twice (before and after the jump), then the last follow-up time."""
        t2 = np.repeat(self.time, 2)
        f_before = np.append(0.0, self.estimate[:-1])
        v_before = np.append(0.0, self.variance[:-1])
        f2 = np.column_stack([f_before, self.estimate]).ravel()
        v2 = np.column_stack([v_before, self.variance]).ravel()
        last_f = self.estimate[-1] if self.estimate.size else 0.0
        last_v = self.variance[-1] if self.variance.size else 0.0
        return (np.concatenate([[0.0], t2, [self.last_time]]),
                np.concatenate([[0.0], f2, [last_f]]), np.concatenate([[0.0], v2, [last_v]]))

    def _summary_title(self) -> str:
        return f"Cumulative incidence of cause {self.cause} in {self.group}"

    def _summary_rows(self):
        return (["time", "estimate", "std.err"],
                [[t, f, np.sqrt(v)] for t, f, v in zip(self.time, self.estimate, self.variance,
                                                       strict=True)])


@dataclass(frozen=True)
class GrayTest(StatResult):
    """Gray's K-sample test for one cause."""

    cause: int
    statistic: float
    df: int
    p_value: float
    warnings: tuple[str, ...] = ()

    @property
    def estimate(self) -> float:
        return self.statistic


@dataclass(frozen=True, eq=False)
class CumincResult(StatResult):
    """Cumulative incidence curves per group and cause, with Gray's test per cause."""

    curves: tuple[CumincCurve, ...]
    group_levels: tuple
    causes: tuple[int, ...]
    tests: tuple[GrayTest, ...] = ()
    warnings: tuple[str, ...] = ()

    def curve(self, group, cause: int) -> CumincCurve:
        for c in self.curves:
            if c.group == group and c.cause == cause:
                return c
        raise InvalidInput(f"no curve for group {group!r} and cause {cause}", field="group")

    def at(self, times: Sequence[float]) -> dict:
        """{(group, cause): (estimates, variances)} at the times (cmprsk ``timepoints``)."""
        return {(c.group, c.cause): c.at(times) for c in self.curves}

    @property
    def estimate(self) -> dict:
        """{(group, cause): cumulative incidence at the group's last follow-up}."""
        return {(c.group, c.cause): float(c.estimate[-1]) if c.estimate.size else 0.0
                for c in self.curves}

    @property
    def p_value(self) -> tuple[float, ...]:
        """Gray's test p-value per cause."""
        return tuple(t.p_value for t in self.tests)

    def summary(self) -> str:
        rows = [[c.group, c.cause, int(c.time.size), c.estimate[-1] if c.estimate.size else 0.0]
                for c in self.curves]
        text = format_table("Cumulative incidence (cmprsk::cuminc)",
                            ["group", "cause", "event times", "final estimate"], rows)
        tests = [f"Gray's test, cause {t.cause}: {t.statistic:.4g} on {t.df} df, "
                 f"p = {t.p_value:.4g}" for t in self.tests]
        return "\n".join([text, *tests, *(f"Warning: {w}" for w in self.warnings)])


def compute_cuminc_curve(time: np.ndarray, status: np.ndarray, cause: int):
    """Estimate and variance of one cause's incidence at its event times (cmprsk ``cinc``).

    ``time``/``status`` are one group's data; status 0 censored, other values causes.
    """
    times, inverse = np.unique(time, return_inverse=True)
    total = np.bincount(inverse, minlength=times.size).astype(float)
    nd1 = np.bincount(inverse, weights=(status == cause), minlength=times.size)
    nd2 = np.bincount(inverse, weights=(status != 0) & (status != cause), minlength=times.size)
    rs = np.cumsum(total[::-1])[::-1]
    keep = (nd1 + nd2) > 0
    times, rs, nd1, nd2 = times[keep], rs[keep], nd1[keep], nd2[keep]
    fkn = np.cumprod((rs - nd1 - nd2) / rs)
    fk = np.append(1.0, fkn[:-1])
    f = np.cumsum(fk * nd1 / rs)
    with np.errstate(divide="ignore", invalid="ignore"):
        inv_fkn = np.where(fkn > 0, 1.0 / fkn, 0.0)
    v1 = np.zeros(times.size)
    v2, v3 = np.zeros(times.size), np.zeros(times.size)
    for nd, t4, active in ((nd2, f * inv_fkn, (nd2 > 0) & (fkn > 0)),
                           (nd1, 1.0 + inv_fkn * f, nd1 > 0)):
        with np.errstate(divide="ignore", invalid="ignore"):
            t5 = np.where(nd > 1, 1.0 - (nd - 1.0) / (rs - 1.0), 1.0)
        t6 = np.where(active, fk * fk * t5 * nd / (rs * rs), 0.0)
        v1 += t4 * t4 * t6
        v2 += inv_fkn * t4 * t6
        v3 += inv_fkn * inv_fkn * t6
    v1, v2, v3 = np.cumsum(v1), np.cumsum(v2), np.cumsum(v3)
    variance = v1 + f * f * v3 - 2.0 * f * v2
    jump = nd1 > 0
    return times[jump], f[jump], variance[jump]


def estimate_cuminc(time, event, group=None, strata=None, *, rho: float = 0.0,
                    group_levels: Sequence | None = None, conf_level: float = 0.95) -> CumincResult:
    """Cumulative incidence of each cause by group, with Gray's test; matches
    ``cmprsk::cuminc(time, event, group, strata, rho, cencode = 0)``.

    ``event``: 0 censored, 1, 2, ... the causes (e.g. 1 local recurrence, 2 death without
    recurrence).  ``strata`` stratify Gray's test only; ``rho`` is its weight exponent.  Returns a
    ``CumincResult``; raises ``InvalidInput`` for bad times or codes.

    >>> r = estimate_cuminc([1, 2, 3, 4, 5], [1, 2, 1, 0, 1])
    >>> [round(float(v), 4) for v in r.curve("all", 1).estimate]
    [0.2, 0.4, 0.8]
    """
    times = check_times(time)
    status = np.asarray(event)
    codes = tuple(sorted({int(v) for v in np.unique(status[~_is_missing(status)])} | {0}))
    status = check_events(status, times.size, codes=tuple(c for c in codes if c >= 0))
    causes = tuple(c for c in np.unique(status).tolist() if c != 0)
    if not causes:
        raise InvalidInput("no events of any cause: every subject is censored", field="event",
                           hint="code 0 censored and 1, 2, ... for the competing causes")
    if group is None:
        gcode, levels = np.zeros(times.size, dtype=np.int64), ("all",)
    else:
        gcode, levels = check_labels(group, times.size, "group", group_levels)
    scode = None if strata is None else check_labels(strata, times.size, "strata")[0]
    curves = []
    for cause in causes:
        for code, level in enumerate(levels):
            sel = gcode == code
            if not sel.any():
                continue
            t, f, v = compute_cuminc_curve(times[sel], status[sel], cause)
            curves.append(CumincCurve(level, cause, t, f, v, float(times[sel].max()), conf_level))
    tests = ()
    present = np.unique(gcode).size
    if present > 1:
        tests = tuple(_gray(times, status, gcode, scode, cause, rho) for cause in causes)
    warnings = tuple(f"{c.group}, cause {c.cause}: fewer than 10 events ({c.time.size} event "
                     f"times)" for c in curves if 0 < c.time.size < 10)
    return CumincResult(tuple(curves), levels, causes, tests, warnings)


def _is_missing(values: np.ndarray) -> np.ndarray:
    if values.dtype.kind == "f":
        return np.isnan(values)
    if values.dtype == object:
        return np.array([v is None for v in values.tolist()], dtype=bool)
    return np.zeros(values.size, dtype=bool)


def _gray(times, status, gcode, scode, cause, rho) -> GrayTest:
    used = np.unique(gcode)
    remap = np.searchsorted(used, gcode)
    m = np.where(status == cause, 1, np.where(status == 0, 0, 2))
    strata = np.zeros(times.size, dtype=np.int64) if scode is None else scode
    stat = gray_test_statistic(times, m, remap, strata, used.size, rho)
    df = used.size - 1
    return GrayTest(cause, stat, df, float(chi2.sf(stat, df)) if np.isfinite(stat) else np.nan)
