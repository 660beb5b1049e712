"""The proportional-hazards test of R survival 3.x ``cox.zph`` (Grambsch & Therneau 1994,
Biometrika 81:515; Therneau & Grambsch 2000, section 6.2, p. 130-140).

For each term the test is the score test, at (b-hat, 0), for adding x * g(t) to the model, where
g is a transform of time centred at its mean over the deaths ('km': 1 - S(t-), the pooled
left-continuous Kaplan-Meier curve; also 'identity', 'rank', 'log').  With U_g = sum_t g(t)
(score contribution at t) and the block information [[I, I_g], [I_g, I_gg]] (I_g, I_gg the
information contributions weighted by g and g^2), the statistic is u' J^-1 u with u = (0, U_g)
restricted to the term's columns: a transcription of survival 3.5's ``zph1.c`` and ``cox.zph.R``.
The scaled Schoenfeld residuals b + d * I^-1 r_i (d deaths in the stratum) are returned for plots.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.stats import chi2, rankdata

from oncotrial.errors import InvalidInput

from . import _cox_kernel
from ._result import ChiSquareTest, StatResult, chi_square_test

TRANSFORMS = ("km", "identity", "rank", "log")
REJECT_AT = 0.05


@dataclass(frozen=True, eq=False)
class ProportionalHazardsTest(StatResult):
    """Per-term and global score tests of proportional hazards, with scaled Schoenfeld
    residuals ``y`` against transformed time ``x`` at each death (for the beta(t) plot)."""

    terms: tuple[str, ...]
    statistic: np.ndarray
    df: np.ndarray
    p_value: np.ndarray
    global_test: ChiSquareTest
    transform: str
    time: np.ndarray
    x: np.ndarray
    y: np.ndarray
    warnings: tuple[str, ...] = ()

    @property
    def estimate(self) -> np.ndarray:
        return self.statistic

    def _summary_title(self) -> str:
        return f"Test of proportional hazards (cox.zph, transform = '{self.transform}')"

    def _summary_rows(self):
        rows = [[t, s, int(d), p] for t, s, d, p in zip(self.terms, self.statistic, self.df,
                                                        self.p_value, strict=True)]
        g = self.global_test
        rows.append(["GLOBAL", g.statistic, g.df, g.p_value])
        return ["term", "chisq", "df", "p"], rows


def transform_time(time: np.ndarray, event: np.ndarray, transform: str) -> np.ndarray:
    """g(t) before centring: 'km' is 1 - S(t-) from the pooled Kaplan-Meier curve."""
    if transform == "identity":
        return time.astype(float)
    if transform == "rank":
        return rankdata(time)
    if transform == "log":
        return np.log(time)
    if transform != "km":
        raise InvalidInput(f"transform is {transform!r}; allowed: {list(TRANSFORMS)}",
                           field="transform")
    times, inverse = np.unique(time, return_inverse=True)
    n_total = np.bincount(inverse).astype(float)
    deaths = np.bincount(inverse, weights=event)
    at_risk = np.cumsum(n_total[::-1])[::-1]
    surv = np.cumprod(1.0 - deaths / at_risk)
    left = np.append(1.0, surv[:-1])
    return 1.0 - left[inverse]


def _used(model, strata_of_rows):
    """Deaths per stratum for each covariate that varies within the stratum (zph1's ``used``)."""
    x, event = model.x, model.survival.event
    levels = np.unique(strata_of_rows)
    used = np.zeros((levels.size, x.shape[1]))
    for i, level in enumerate(levels):
        rows = strata_of_rows == level
        varies = np.ptp(x[rows], axis=0) > 0
        used[i] = np.where(varies, event[rows].sum(), 0.0)
    return used


def compute_zph(fit, model, transform: str = "km") -> ProportionalHazardsTest:
    """``cox.zph(fit, transform)`` for a fit from ``fit_cox_model`` (terms = TRUE)."""
    data = model.data
    sdata = model.survival
    g = transform_time(sdata.time, sdata.event, transform)
    g = g - g[sdata.event == 1].mean()
    g_block = g[data.order][data.event_last]
    # exact ties use Breslow's formulas here, as cox.zph does (method == "efron" only for Efron)
    parts = _cox_kernel.block_parts(data, fit.coef, "efron" if fit.ties == "efron" else "breslow")
    _, info = _cox_kernel.combine(data, parts)
    u_g, info_g = _cox_kernel.combine(data, parts, g_block)
    _, info_gg = _cox_kernel.combine(data, parts, g_block**2)
    p = data.p
    imat = np.block([[info, info_g], [info_g, info_gg]])
    names, stats, dfs = [], [], []
    for name, columns in model.assign:
        keep = list(range(p)) + [p + j for j in columns]
        u = np.concatenate([np.zeros(p), u_g[list(columns)]])
        stats.append(float(u @ np.linalg.solve(imat[np.ix_(keep, keep)], u)))
        dfs.append(len(columns))
        names.append(name)
    u_all = np.concatenate([np.zeros(p), u_g])
    global_test = chi_square_test("Global proportional hazards",
                                  float(u_all @ np.linalg.solve(imat, u_all)), p)
    stats, dfs = np.array(stats), np.array(dfs)
    pvals = chi2.sf(stats, dfs)
    time, x, y = _scaled_residuals(fit, model, parts, info, transform)
    warnings = tuple(f"proportional hazards rejected for {n} (cox.zph p = {pv:.3g})"
                     for n, pv in zip(names, pvals, strict=True) if pv < REJECT_AT)
    if global_test.p_value < REJECT_AT:
        warnings += (f"proportional hazards rejected globally (p = {global_test.p_value:.3g})",)
    return ProportionalHazardsTest(tuple(names), stats, dfs, pvals, global_test, transform, time,
                                   x, y, warnings)


def _scaled_residuals(fit, model, parts, info, transform):
    """Scaled Schoenfeld residuals in ascending time within strata, one column per term, as
    ``cox.zph()$y`` (a multi-column term is collapsed onto its linear predictor, whose
    coefficient is 1)."""
    data, sdata = model.data, model.survival
    means = _cox_kernel.block_means(data, parts)
    block_of_death = np.repeat(np.arange(data.deaths.size), data.deaths.astype(np.int64))
    resid = (data.x[data.death_rows] - means[:, block_of_death].T)[::-1]
    rows = data.order[data.death_rows][::-1]
    all_strata = sdata.strata if sdata.strata is not None else np.zeros(sdata.n, dtype=int)
    strata = all_strata[rows]
    used = _used(model, all_strata)
    for _, columns in model.assign:
        cols = list(columns)
        if len(cols) > 1 and np.any(used[:, cols] == 0):
            used[:, cols] = used[:, cols].max(axis=1, keepdims=True)
    wtmat = sum(np.minimum.outer(u, u) for u in used)
    vmean = info / np.where(wtmat == 0, 1.0, wtmat)
    collapse = np.zeros((data.p, len(model.assign)))
    for i, (_, columns) in enumerate(model.assign):
        collapse[list(columns), i] = 1.0 if len(columns) == 1 else fit.coef[list(columns)]
    resid, vmean = resid @ collapse, collapse.T @ vmean @ collapse
    used = used[:, [columns[0] for _, columns in model.assign]]
    scaled = np.full_like(resid, np.nan)
    for i, level in enumerate(np.unique(all_strata)):
        k = np.flatnonzero(used[i] > 0)
        j = strata == level
        if k.size and j.any():
            scaled[np.ix_(j, k)] = np.linalg.solve(vmean[np.ix_(k, k)], resid[np.ix_(j, k)].T).T
    offset = np.array([fit.coef[columns[0]] if len(columns) == 1 else 1.0
                       for _, columns in model.assign])
    x = transform_time(sdata.time, sdata.event, transform)[rows]
    return sdata.time[rows], x, scaled + offset
