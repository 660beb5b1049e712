"""Gray's K-sample test for cumulative incidence (Gray 1988, Annals of Statistics 16:1141-1154).

The score compares each group's subdistribution hazard of the cause with the pooled one,
weighted by (1 - F(t-))^rho; its variance is Gray's estimate (section 2 of the paper).  This is a
vectorised transcription of cmprsk's Fortran ``crstm``/``crst`` (R cmprsk 2.2): every per-time
quantity is an array over the distinct event times, and the running sums become cumulative sums.
"""

from __future__ import annotations

import numpy as np


def gray_test_statistic(time, m, group, strata, n_groups: int, rho: float) -> float:
    """Chi-square statistic s' V^-1 s over the first K - 1 groups, summed over strata.

    ``m``: 0 censored, 1 the cause of interest, 2 any other cause; ``group`` coded 0..K-1.
    Returns NaN when the variance matrix is singular (cmprsk reports -1 there).
    """
    k1 = n_groups - 1
    score = np.zeros(k1)
    variance = np.zeros((k1, k1))
    for stratum in np.unique(strata):
        sel = strata == stratum
        s, v = _stratum_score(time[sel], m[sel], group[sel], n_groups, rho)
        score += s[:k1]
        variance += v[:k1, :k1]
    if np.linalg.matrix_rank(variance) < k1:
        return float("nan")
    return float(score @ np.linalg.solve(variance, score))


def _counts(time, m, group, n_groups):
    times, inverse = np.unique(time, return_inverse=True)
    shape = (times.size, n_groups)
    cell = inverse * n_groups + group
    size = times.size * n_groups
    total = np.bincount(cell, minlength=size).reshape(shape).astype(float)
    d1 = np.bincount(cell, weights=(m == 1), minlength=size).reshape(shape)
    d2 = np.bincount(cell, weights=(m == 2), minlength=size).reshape(shape)
    rs = np.cumsum(total[::-1], axis=0)[::-1]
    keep = (d1 + d2).sum(axis=1) > 0
    return rs[keep], d1[keep], d2[keep]


def _stratum_score(time, m, group, n_groups, rho):
    rs, d1, d2 = _counts(time, m, group, n_groups)
    nd1 = d1.sum(axis=1)
    nd2 = d2.sum(axis=1)
    alive = rs > 0
    with np.errstate(divide="ignore", invalid="ignore"):
        factor = np.where(alive, (rs - d1 - d2) / rs, 1.0)
        skm = np.cumprod(factor, axis=0)                      # right-continuous group KM
        skmm = np.vstack([np.ones(n_groups), skm[:-1]])       # left-continuous
        f1 = np.cumsum(np.where(alive, skmm * d1 / rs, 0.0), axis=0)
        f1m = np.vstack([np.zeros(n_groups), f1[:-1]])
        h = np.where(alive, rs / skmm, 0.0)
        tr = h.sum(axis=1)
        tq = np.where(alive, rs * (1.0 - f1m) / skmm, 0.0).sum(axis=1)
        f = np.cumsum(nd1 / tr)
        fm = np.append(0.0, f[:-1])
        fb = (1.0 - fm) ** rho
        a = fb[:, None, None] * (h[:, :, None] * (np.eye(n_groups)[None] - h[:, None, :]
                                                     / tr[:, None, None]))
        c = np.cumsum(a * (nd1 / (tr * (1.0 - fm)))[:, None, None], axis=0)
        share = np.where(alive, nd1[:, None] * rs * (1.0 - f1m) / (skmm * tq[:, None]), 0.0)
        score = (fb[:, None] * (d1 - share)).sum(axis=0)
        v, v2, v3 = _cause_terms(a, c, skm, skmm, rs, nd1, tr, f, alive)
        v_other, v2_other, v3_other = _other_terms(c, skm, skmm, rs, d2, f, nd2)
    v += v_other
    v2 += v2_other
    v3 += v3_other
    c_end = c[-1]
    cv2 = c_end @ v2.T
    v += (c_end * v3) @ c_end.T + cv2 + cv2.T
    return score, v


def _cause_terms(a, c, skm, skmm, rs, nd1, tr, f, alive):
    """Contributions of failures from the cause of interest (crst loop 72)."""
    active = alive & (nd1[:, None] > 0)
    t4 = np.where(skm > 0, 1.0 - (1.0 - f[:, None]) / skm, 1.0)
    t5 = np.where(nd1[:, None] > 1, 1.0 - (nd1[:, None] - 1.0) / (tr[:, None] * skmm - 1.0), 1.0)
    t3 = np.where(active, t5 * skmm * nd1[:, None] / (tr[:, None] * rs), 0.0)
    t4 = np.where(active, t4, 0.0)
    v3 = (t4 * t4 * t3).sum(axis=0)
    mm = a - t4[:, None, :] * c
    v2 = (mm * (t4 * t3)[:, None, :]).sum(axis=0)
    v = np.einsum("tik,tjk,tk->ij", mm, mm, t3)
    return v, v2, v3


def _other_terms(c, skm, skmm, rs, d2, f, nd2):
    """Contributions of failures from the other causes (crst loop 82)."""
    active = (skm > 0) & (d2 > 0) & (nd2[:, None] > 0)
    t4 = np.where(active, (1.0 - f[:, None]) / np.where(skm > 0, skm, 1.0), 0.0)
    t5 = np.where(d2 > 1, 1.0 - (d2 - 1.0) / np.where(rs > 1, rs - 1.0, 1.0), 1.0)
    t3 = np.where(active, t5 * skmm**2 * d2 / np.where(rs > 0, rs, 1.0) ** 2, 0.0)
    v3 = (t4 * t4 * t3).sum(axis=0)
    nn = t4[:, None, :] * c
    v2 = -(nn * (t4 * t3)[:, None, :]).sum(axis=0)
    v = np.einsum("tik,tjk,tk->ij", nn, nn, t3)
    return v, v2, v3
