"""Log-rank and Fleming-Harrington G(rho, gamma) tests, optionally stratified (R ``survdiff``).

At each distinct event time t_j in a stratum, with d_j events among n_j at risk, n_gj of them in
group g, and weight w_j = S(t_j-)^rho (1 - S(t_j-))^gamma from the pooled Kaplan-Meier curve of the
stratum:
    O_g = sum w_j d_gj,   E_g = sum w_j d_j n_gj / n_j,
    V_gh = sum w_j^2 d_j (n_j - d_j) / (n_j (n_j - 1)) n_gj (delta_gh - n_hj / n_j).
Sums run over strata; chi-square = (O - E)' V^- (O - E) over all groups but the first, on k - 1
degrees of freedom (Klein & Moeschberger 2003, section 7.3, eq. 7.3.3-7.3.6, p. 207-209, and
section 7.5 for stratification; Fleming & Harrington 1991, section 7.3; Harrington & Fleming 1982,
Biometrika 69:553).  rho = 1, gamma = 0 is R's ``survdiff(rho = 1)`` (Peto-Peto-Prentice).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from scipy.stats import chi2

from oncotrial.errors import InvalidInput

from ._data import check_survival_data
from ._kernels import group_event_counts
from ._result import StatResult


@dataclass(frozen=True, eq=False)
class LogrankResult(StatResult):
    """Observed and expected (weighted) events per group, their covariance, chi-square and p."""

    group_levels: tuple
    n: np.ndarray
    observed: np.ndarray
    expected: np.ndarray
    variance: np.ndarray
    statistic: float
    df: int
    p_value: float
    rho: float = 0.0
    gamma: float = 0.0
    stratified: bool = False
    warnings: tuple[str, ...] = ()

    @property
    def estimate(self) -> float:
        """The test statistic (chi-square); a test has no effect estimate of its own."""
        return self.statistic

    def _summary_title(self) -> str:
        kind = "Log-rank" if self.rho == 0 and self.gamma == 0 else (
            f"Fleming-Harrington G({self.rho:g}, {self.gamma:g})")
        strat = " stratified" if self.stratified else ""
        return (f"{kind}{strat} test: chisq = {self.statistic:.4g} on {self.df} df, "
                f"p = {self.p_value:.4g}")

    def _summary_rows(self):
        header = ["group", "N", "observed", "expected", "(O-E)^2/E", "(O-E)^2/V"]
        rows = [[lvl, int(n), o, e, (o - e) ** 2 / e, (o - e) ** 2 / self.variance[i, i]]
                for i, (lvl, n, o, e) in enumerate(zip(self.group_levels, self.n, self.observed,
                                                        self.expected, strict=True))]
        return header, rows


def _event_blocks(time, event, group, strata, n_groups):
    """Per distinct event time of each stratum: events and numbers at risk in every group
    (arrays of shape (groups, times)), and the first column of each stratum."""
    if strata is None:
        deaths, at_risk = group_event_counts(time, event, group, n_groups)
        return deaths, at_risk, np.zeros(1, dtype=np.int64)
    parts = [group_event_counts(time[strata == s], event[strata == s], group[strata == s],
                             n_groups) for s in np.unique(strata)]
    parts = [p for p in parts if p[0].shape[1]]
    if not parts:
        return np.zeros((n_groups, 0)), np.zeros((n_groups, 0)), np.zeros(1, dtype=np.int64)
    sizes = np.array([p[0].shape[1] for p in parts])
    return (np.hstack([p[0] for p in parts]), np.hstack([p[1] for p in parts]),
            np.cumsum(sizes) - sizes)


def _pooled_left_km(d, n, strata_first):
    """Pooled Kaplan-Meier S(t-) within each stratum at its event times (survdiff's weights)."""
    s_left = np.empty(d.size)
    for first, end in zip(strata_first, np.append(strata_first[1:], d.size), strict=True):
        surv = np.cumprod(1.0 - d[first:end] / n[first:end])
        s_left[first:end] = np.append(1.0, surv[:-1])
    return s_left


def _weights(d, n, strata_first, rho: float, gamma: float):
    """Fleming-Harrington weights S(t-)^rho (1 - S(t-))^gamma; ones for the log-rank test."""
    if not (rho or gamma):
        return np.ones_like(d)
    s_left = _pooled_left_km(d, n, strata_first)
    return s_left**rho * (1.0 - s_left) ** gamma


def logrank_test(time, event, group, strata=None, *, rho: float = 0.0, gamma: float = 0.0,
                 group_levels: Sequence | None = None) -> LogrankResult:
    """Compare survival between groups: log-rank, stratified, or Fleming-Harrington G(rho, gamma).

    Parameters: ``time`` (>= 0), ``event`` (1/0), ``group`` labels (at least two levels; the order
    of ``group_levels``, sorted by default, sets the rows), optional ``strata`` labels, and the
    weight exponents ``rho``/``gamma`` (0, 0 = log-rank; R ``survdiff(rho = r)`` is
    G(r, 0)).  Returns a ``LogrankResult``.  Raises ``InvalidInput`` for one group only or no
    events.  Matches R ``survdiff(Surv(time, status) ~ group + strata(s), rho = rho)``.

    >>> r = logrank_test([1, 2, 3, 4, 5, 6], [1, 1, 1, 1, 1, 0], ["a", "a", "a", "b", "b", "b"])
    >>> round(r.statistic, 4), r.df
    (5.0517, 1)
    """
    data = check_survival_data(time, event, group, strata, group_levels=group_levels)
    per_level = None if data.group is None else np.bincount(data.group,
                                                             minlength=len(data.group_levels))
    if per_level is None or np.count_nonzero(per_level) < 2:
        raise InvalidInput("group has only one level; a comparison needs at least two",
                           field="group", hint="check the arm column: are all subjects in one arm?")
    if rho < 0 or gamma < 0:
        raise InvalidInput("rho and gamma must be >= 0", field="rho")
    present = np.flatnonzero(per_level)
    levels = tuple(data.group_levels[i] for i in present)
    # unused levels dropped, as survdiff does
    group = data.group if present.size == len(data.group_levels) else np.searchsorted(
        present, data.group)
    n_groups = len(levels)
    deaths, at_risk, strata_starts = _event_blocks(data.time, data.event, group,
                                                      data.strata, n_groups)
    d = deaths.sum(axis=0)
    n = at_risk.sum(axis=0)
    if d.size == 0:
        raise InvalidInput("no events: nothing to compare", field="event",
                           hint="check the event coding (1 = event, 0 = censored)")
    w = _weights(d, n, strata_starts, rho, gamma)
    # einsum loops, not BLAS: threaded gemv thrashes a busy 2-core machine
    observed = np.einsum("gt,t->g", deaths, w)
    expected = np.einsum("gt,t->g", at_risk, w * d / n)
    with np.errstate(divide="ignore", invalid="ignore"):
        kmult = np.where(n > 1, w**2 * d * (n - d) / (n * (n - 1)), 0.0)
    variance = np.diag(np.einsum("gt,t->g", at_risk, kmult)) - np.einsum(
        "gt,ht,t->gh", at_risk, at_risk, kmult / n)
    diff = (observed - expected)[1:]
    statistic = float(diff @ np.linalg.lstsq(variance[1:, 1:], diff, rcond=None)[0])
    df = n_groups - 1
    counts = per_level[present]
    warnings = ()
    if d.sum() < 10:
        warnings = (f"fewer than 10 events ({int(d.sum())}): the chi-square approximation is poor",)
    return LogrankResult(levels, counts, observed, expected, variance, statistic, df,
                         float(chi2.sf(statistic, df)), float(rho), float(gamma),
                         data.strata is not None, warnings)
