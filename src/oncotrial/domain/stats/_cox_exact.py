"""Exact partial likelihood of the Cox model for tied deaths (the discrete logistic model).

At a time with d tied deaths the likelihood term is prod(r_deaths) / e_d(r over the risk set),
where e_d is the elementary symmetric polynomial of order d in the risk scores r = exp(x'b)
(Kalbfleisch & Prentice 2002, eq. 4.10, p. 105; R survival's ``coxexact``).  e_d and its first
and second derivatives in b follow the recursion of Gail, Lubin & Rubinstein (1981, Biometrika
68:703): over the subjects in order, e_k(first j) = e_k(first j-1) + r_j e_{k-1}(first j-1).

Read per order k instead of per subject, the recursion is a cumulative sum:
e_k(first j) = sum_{i <= j} r_i e_{k-1}(first i-1).  Subjects are sorted by descending time
within a stratum, so every risk set is a prefix of its stratum and one pass per order k serves
every tied time at once: max(d) cumulative sums over the subjects, vectorised with numpy.

Scale: the risk scores are divided by their largest value in the stratum, and each order is
divided by its value over the whole stratum (logs of both kept), so no term can overflow however
many deaths share a time.  A time whose e_d is then below ``UNDERFLOW`` of its order's scale is
recomputed on its own risk set with its own scale.
"""

from __future__ import annotations

from collections import deque

import numpy as np

from ._cox_kernel import CoxData, _linear_predictor, _matrix

UNDERFLOW = 1e-150


def exact_loglik_score_info(data: CoxData, beta: np.ndarray):
    """Exact partial log-likelihood, score and information at ``beta`` (Breslow where d = 1).

    e_d, its gradient and Hessian are read at the last row of each block of tied deaths.
    """
    p = data.p
    eta = _linear_predictor(data.z[1:1 + p], beta)
    f, g, h, log_scale = _elementary_at_blocks(data, eta)
    loglik = float(beta @ data.x_death_sum - np.sum(np.log(f) + log_scale))
    mean = g / f
    score = data.x_death_sum - mean.sum(axis=1)
    info = _matrix((h / f).sum(axis=1), p, data.pairs) - np.einsum("ib,jb->ij", mean, mean)
    return loglik, score, info


def _elementary_at_blocks(data: CoxData, eta: np.ndarray):
    """(e_d, gradient (p, B), Hessian pairs (pairs, B), log of the scale) for every event block."""
    blocks = data.deaths.size
    f = np.empty(blocks)
    g = np.empty((data.p, blocks))
    h = np.empty((len(data.pairs), blocks))
    log_scale = np.empty(blocks)
    bounds = data.strata_bounds
    firsts = np.array([first for first, _ in bounds])
    stratum = np.searchsorted(firsts, data.event_first_row, side="right") - 1
    orders = data.deaths.astype(np.int64)
    for k, values, logs in _orders(data, eta, bounds, int(orders.max())):
        at = np.flatnonzero(orders == k)
        if at.size:
            picked = values[:, data.event_last[at]]
            f[at], g[:, at], h[:, at] = picked[0], picked[1:1 + data.p], picked[1 + data.p:]
            log_scale[at] = logs[stratum[at]]
    for b in np.flatnonzero(f < UNDERFLOW):
        f[b], g[:, b], h[:, b], log_scale[b] = _elementary_one_block(data, eta, b)
    return f, g, h, log_scale


def _elementary_one_block(data: CoxData, eta: np.ndarray, block: int):
    """The same recursion on one risk set only, scaled by that risk set's own values."""
    bounds = ((int(data.event_first_row[block]), int(data.event_last[block]) + 1),)
    _, values, logs = deque(_orders(data, eta, bounds, int(data.deaths[block])), maxlen=1)[0]
    last = values[:, bounds[0][1] - 1]
    return last[0], last[1:1 + data.p], last[1 + data.p:], logs[0]


def _orders(data: CoxData, eta: np.ndarray, bounds: tuple, max_order: int):
    """Yield (k, values, log scale per stratum) for k = 1..max_order.

    ``values`` stacks, per row j, e_k(first j of its stratum) / scale, its gradient (p rows) and
    its Hessian (one row per lower-triangle pair), the layout of ``CoxData.z``.  Only the rows
    inside ``bounds`` are meaningful.
    """
    p = data.p
    x, xx = data.z[1:1 + p], data.z[1 + p:]
    left, right = (np.array(v, dtype=np.int64) for v in zip(*data.pairs, strict=True))
    starts = np.array([first for first, _ in bounds])
    tops = np.array([eta[first:end].max() for first, end in bounds])
    r = np.zeros_like(eta)
    for (first, end), top in zip(bounds, tops, strict=True):
        np.exp(eta[first:end] - top, out=r[first:end])
    log_scale = np.zeros(len(bounds))
    values = np.zeros_like(data.z)
    for k in range(1, max_order + 1):
        previous = np.empty_like(values)  # row j holds order k-1 of the first j-1 rows
        previous[:, 1:] = values[:, :-1]
        previous[:, starts] = 0.0  # e_{k-1} of the empty prefix, k > 1
        if k == 1:
            previous[0] = 1.0  # e_0 = 1 for every prefix
        fs, gs = previous[0], previous[1:1 + p]
        previous[1 + p:] += x[left] * gs[right] + x[right] * gs[left] + xx * fs
        previous[1:1 + p] += x * fs
        previous *= r
        for s, (first, end) in enumerate(bounds):
            block = previous[:, first:end]
            np.cumsum(block, axis=1, out=block)
            total = block[0, -1]
            if total > 0:  # zero only when the stratum has fewer than k subjects
                block /= total
                log_scale[s] += np.log(total)
        values = previous
        yield k, values, log_scale + k * tops
