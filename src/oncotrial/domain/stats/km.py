"""Kaplan-Meier estimation with R ``survfit`` conventions.

S(t) = prod_{t_j <= t} (1 - d_j / n_j)  (Kaplan & Meier 1958; Klein & Moeschberger 2003, section
4.2, p. 92).  Greenwood's variance on the log scale, var(log S(t)) = sum d_j / (n_j (n_j - d_j))
(Klein & Moeschberger eq. 4.2.2, p. 92), is what ``survfit()$std.err`` holds; ``summary.survfit``
reports S(t) times it (the survival scale).  The Nelson-Aalen cumulative hazard H(t) = sum d_j / n_j
with var = sum d_j / n_j^2 (Klein & Moeschberger eq. 4.2.3-4.2.4, p. 94-95) matches
``survfit()$cumhaz`` and ``$std.chaz``.

Pointwise confidence intervals follow R survival 3.5 ``survfit_confint``:
plain S +- z se(S) cut to [0, 1]; log exp(log S +- z se) with the upper limit cut at 1 and NA where
S = 0; log-log exp(-exp(log(-log S) -+ z se / log S)), NA where S = 0 or S = 1 (Kalbfleisch &
Prentice 2002, section 1.3, p. 18).
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from oncotrial.errors import InvalidInput

from . import km_summary
from ._data import check_survival_data
from ._kernels import count_table, z_value
from ._result import StatResult, plain

CONF_TYPES = ("log", "log-log", "plain")
FEW_EVENTS = 10


def confidence_limits(surv: np.ndarray, std_err: np.ndarray, conf_type: str, conf_level: float):
    """Pointwise limits of S(t) from the log-scale standard error, as R's ``survfit_confint``."""
    if conf_type not in CONF_TYPES:
        raise InvalidInput(f"conf_type is {conf_type!r}; allowed: {list(CONF_TYPES)}",
                           field="conf_type")
    z = z_value(conf_level)
    with np.errstate(divide="ignore", invalid="ignore"):
        if conf_type == "plain":
            half = z * std_err * surv
            return np.maximum(surv - half, 0.0), np.minimum(surv + half, 1.0)
        if conf_type == "log":
            log_s = np.log(np.where(surv == 0, np.nan, surv))
            half = z * std_err
            return np.exp(log_s - half), np.minimum(np.exp(log_s + half), 1)
        xx = np.where((surv == 0) | (surv == 1), np.nan, surv)
        half = z * std_err / np.log(xx)
        loglog = np.log(-np.log(xx))
        return np.exp(-np.exp(loglog - half)), np.exp(-np.exp(loglog + half))


@dataclass(frozen=True, eq=False)
class KMCurve(StatResult):
    """One Kaplan-Meier curve, one row per distinct time (events or censorings), as ``survfit``."""

    label: object
    time: np.ndarray
    n_risk: np.ndarray
    n_event: np.ndarray
    n_censor: np.ndarray
    surv: np.ndarray
    std_err: np.ndarray
    conf_type: str = "log"
    conf_level: float = 0.95
    warnings: tuple[str, ...] = ()

    # Computed on first use (a million-row curve need not pay for columns nobody reads);
    # cached_property writes the instance dict directly, so the dataclass stays frozen.
    @functools.cached_property
    def cumhaz(self) -> np.ndarray:
        """Nelson-Aalen cumulative hazard, as ``survfit()$cumhaz``."""
        return np.cumsum(self.n_event / self.n_risk)

    @functools.cached_property
    def std_chaz(self) -> np.ndarray:
        """Its standard error, as ``survfit()$std.chaz``."""
        return np.sqrt(np.cumsum(self.n_event / self.n_risk**2))

    @functools.cached_property
    def _limits(self) -> tuple[np.ndarray, np.ndarray]:
        return confidence_limits(self.surv, self.std_err, self.conf_type, self.conf_level)

    @property
    def lower(self) -> np.ndarray:
        """Pointwise lower confidence limit of S(t) (``conf_type``, ``conf_level``)."""
        return self._limits[0]

    @property
    def upper(self) -> np.ndarray:
        return self._limits[1]

    def to_dict(self) -> dict:
        out = super().to_dict()
        out.update(plain({"cumhaz": self.cumhaz, "std_chaz": self.std_chaz,
                          "lower": self.lower, "upper": self.upper}))
        return out

    @property
    def n(self) -> int:
        return int(self.n_risk[0]) if self.n_risk.size else 0

    @property
    def events(self) -> int:
        return int(self.n_event.sum())

    @property
    def se_surv(self) -> np.ndarray:
        """Greenwood standard error on the survival scale, as ``summary.survfit()$std.err``."""
        return self.surv * self.std_err

    def limits_at(self, rows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Limits at some rows only, without computing the whole band."""
        if "_limits" in self.__dict__:
            return self.lower[rows], self.upper[rows]
        return confidence_limits(self.surv[rows], self.std_err[rows], self.conf_type,
                                 self.conf_level)

    def limits(self, conf_type: str) -> tuple[np.ndarray, np.ndarray]:
        """Pointwise limits for another ``conf_type`` at this curve's confidence level."""
        return confidence_limits(self.surv, self.std_err, conf_type, self.conf_level)

    def quantiles(self, probs: Sequence[float] = (0.25, 0.5, 0.75)):
        """Survival-time quantiles with CIs, as R ``quantile.survfit``."""
        return km_summary.compute_quantiles(self, probs)

    @property
    def median(self):
        return km_summary.compute_quantiles(self, (0.5,))[0]

    @property
    def table_median(self):
        """The median with limits as ``print(fit)`` and ``summary(fit)$table`` show them (R's
        ``survmean``), which can differ from ``quantile.survfit`` when a limit turns back."""
        return km_summary.compute_table_median(self)

    @property
    def estimate(self) -> float:
        """The median survival time (NaN when the curve never reaches 0.5)."""
        return self.median.estimate

    @property
    def ci(self) -> tuple[float, float]:
        return self.median.ci

    def survival_at(self, times: Sequence[float]):
        """S(t) with standard error and CI at landmark times, as ``summary(fit, times, extend=TRUE)``."""
        return km_summary.compute_survival_at(self, times)

    def n_at_risk(self, times: Sequence[float]) -> np.ndarray:
        """Numbers still at risk (time >= t) at each t, for the risk table under a plot."""
        return km_summary.compute_n_at_risk(self, times)

    def rmst(self, tau: float):
        """Restricted mean survival time up to ``tau`` with its SE (R ``print(fit, rmean=tau)``)."""
        return km_summary.compute_rmst(self, tau)

    def _summary_title(self) -> str:
        return f"Kaplan-Meier curve {self.label} (n = {self.n}, events = {self.events})"

    def _summary_rows(self):
        header = ["time", "n.risk", "n.event", "survival", "std.err", "lower", "upper"]
        rows = [[t, int(r), int(d), s, se, lo, up] for t, r, d, s, se, lo, up in zip(
            self.time, self.n_risk, self.n_event, self.surv, self.se_surv, self.lower, self.upper,
            strict=True) if d > 0]
        return header, rows


def compute_km_curve(time: np.ndarray, event: np.ndarray, label=None, *, conf_type: str = "log",
                     conf_level: float = 0.95) -> KMCurve:
    """The Kaplan-Meier curve of already-validated arrays (no checks; see ``estimate_km``)."""
    times, n_risk, n_event, n_censor = count_table(time, event)
    with np.errstate(divide="ignore", invalid="ignore"):
        # in place, one temporary each: at n = 1e6 fresh arrays cost as much as the arithmetic
        surv = np.divide(n_event, n_risk)
        np.cumprod(np.subtract(1.0, surv, out=surv), out=surv)
        std_err = np.subtract(n_risk, n_event)
        np.multiply(n_risk, std_err, out=std_err)
        np.sqrt(np.cumsum(np.divide(n_event, std_err, out=std_err), out=std_err), out=std_err)
        if surv.size and not surv[-1] > 0:  # S is non-increasing: only a tail can be 0
            std_err[surv <= 0] = np.nan
    events = int(n_event.sum())
    warnings = ()
    if events == 0:
        warnings = (f"{label if label is not None else 'curve'}: no events; S(t) = 1 throughout",)
    elif events < FEW_EVENTS:
        warnings = (f"{label if label is not None else 'curve'}: fewer than {FEW_EVENTS} events "
                    f"({events}); estimates are imprecise",)
    return KMCurve(label, times, n_risk, n_event, n_censor, surv, std_err, conf_type, conf_level,
                   warnings)


@dataclass(frozen=True, eq=False)
class KMResult(StatResult):
    """Kaplan-Meier curves, one per group (or one labelled 'all'), with the requested summaries."""

    curves: tuple[KMCurve, ...]
    group_levels: tuple
    landmarks: tuple[float, ...] = ()
    tau: float | None = None
    probs: tuple[float, ...] = (0.25, 0.5, 0.75)
    warnings: tuple[str, ...] = ()

    def curve(self, label) -> KMCurve:
        for curve in self.curves:
            if curve.label == label:
                return curve
        raise InvalidInput(f"no curve for group {label!r}; groups are {list(self.group_levels)}",
                           field="group")

    def rmst_difference(self, tau: float):
        """RMST of the second group minus the first up to ``tau``, with CI and p-value."""
        if len(self.curves) != 2:
            raise InvalidInput(f"an RMST difference needs exactly two groups; this result has "
                               f"{len(self.curves)}", field="group")
        return km_summary.compare_rmst(self.curves[0], self.curves[1], tau)

    def risk_table(self, times: Sequence[float]) -> dict:
        """Numbers at risk per group at each time, for the table under a Kaplan-Meier plot."""
        return {c.label: c.n_at_risk(times).tolist() for c in self.curves}

    @property
    def estimate(self) -> tuple[float, ...]:
        """Median survival per curve."""
        return tuple(c.estimate for c in self.curves)

    @property
    def ci(self) -> tuple[tuple[float, float], ...]:
        return tuple(c.ci for c in self.curves)

    def _summary_title(self) -> str:
        return f"Kaplan-Meier estimates ({self.curves[0].conf_type} CI, " \
               f"{self.curves[0].conf_level:.0%})"

    def _summary_rows(self):
        header = ["group", "n", "events", "median", "lower", "upper"]
        header += [f"S({t:g})" for t in self.landmarks]
        if self.tau is not None:
            header += [f"RMST({self.tau:g})", "se"]
        rows = []
        for c in self.curves:
            med = c.median
            row = [c.label, c.n, c.events, med.estimate, *med.ci]
            row += [s.estimate for s in c.survival_at(self.landmarks)] if self.landmarks else []
            if self.tau is not None:
                r = c.rmst(self.tau)
                row += [r.estimate, r.se]
            rows.append(row)
        return header, rows


def estimate_km(time, event, group=None, *, group_levels: Sequence | None = None,
                conf_type: str = "log", conf_level: float = 0.95,
                landmarks: Sequence[float] = (), tau: float | None = None) -> KMResult:
    """Kaplan-Meier survival curves, overall or by group, matching R ``survfit``.

    Parameters: ``time`` (>= 0), ``event`` (1 event, 0 censored), optional ``group`` labels
    (levels sorted unless ``group_levels`` is given); ``conf_type`` 'log' (R's default),
    'log-log' or 'plain'; ``landmarks`` and ``tau`` are only remembered for ``summary()``.
    Returns a ``KMResult`` whose curves answer ``quantiles()``, ``survival_at()``,
    ``n_at_risk()`` and ``rmst()``.  Raises ``InvalidInput`` on negative or missing times,
    event codes outside {0, 1} or unknown groups.  Reference: Kaplan & Meier (1958), JASA 53:457;
    Klein & Moeschberger (2003) section 4.2.

    >>> fit = estimate_km([1, 2, 2, 5, 8], [1, 1, 0, 1, 0])
    >>> [round(float(s), 4) for s in fit.curves[0].surv]
    [0.8, 0.6, 0.3, 0.3]
    """
    data = check_survival_data(time, event, group, group_levels=group_levels)
    z_value(conf_level)  # validates the level now, though the band is computed on first use
    if conf_type not in CONF_TYPES:
        raise InvalidInput(f"conf_type is {conf_type!r}; allowed: {list(CONF_TYPES)}",
                           field="conf_type")
    if data.group is None:
        curves = (compute_km_curve(data.time, data.event, "all", conf_type=conf_type,
                                   conf_level=conf_level),)
    else:
        curves = tuple(
            compute_km_curve(data.time[data.group == code], data.event[data.group == code], level,
                             conf_type=conf_type, conf_level=conf_level)
            for code, level in enumerate(data.group_levels) if np.any(data.group == code))
    warnings = tuple(w for c in curves for w in c.warnings)
    for t in landmarks:
        for c in curves:
            if t > c.time[-1]:
                warnings += (f"{c.label}: every subject's follow-up ends before the landmark "
                             f"{t:g} (last time {c.time[-1]:g}); S({t:g}) is carried forward",)
    return KMResult(curves, data.group_levels or ("all",), tuple(float(t) for t in landmarks),
                    None if tau is None else float(tau), warnings=warnings)
