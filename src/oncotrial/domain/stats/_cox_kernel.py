"""Partial log-likelihood, score and information of the Cox model, vectorised over subjects.

Data are sorted once by (stratum, time).  For a coefficient vector the per-subject terms
r = exp(x'b), r x, r x x' are summed per distinct (stratum, time) with ``np.add.reduceat`` and
turned into risk-set sums by a reverse cumulative sum within each stratum.  Ties:
- Breslow: each of the d deaths at t sees the whole risk set R(t);
- Efron: the k-th death (k = 0..d-1) sees R(t) minus k/d of the deaths' own sums
  (Efron 1977, JASA 72:557; Therneau & Grambsch 2000, section 3.3, p. 48-49), exactly the
  sequence of R survival's ``coxfit6.c``;
- exact (discrete logistic): see :mod:`._cox_exact`, which reuses this sorted layout.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ._kernels import block_starts, sort_times, time_order


@dataclass(frozen=True, eq=False)
class CoxData:
    """Sorted, centred design with the block structure the kernels need (built once per fit).

    Subjects are sorted by stratum and *descending* time, the order in which R's ``coxfit6``
    accumulates, so each risk-set sum is a forward cumulative sum read at the last row of a
    block of tied times.  ``z`` holds one contiguous row per summed quantity: ones, the p centred
    covariates, then x_i x_j for i >= j.  With many ties (few blocks) the rows are first summed
    per block (``aggregate``), which makes the per-iteration cost one pass over the subjects.
    """

    z: np.ndarray              # (1 + p + p(p+1)/2, n)
    starts: np.ndarray         # first row of every block of tied (stratum, time)
    strata_bounds: tuple       # (first row, end row) of each stratum
    block_strata_bounds: tuple  # (first block, end block) of each stratum
    event_blocks: np.ndarray   # blocks with at least one event
    event_last: np.ndarray     # last row of each such block
    event_first_row: np.ndarray  # first row of the stratum of each such block
    deaths: np.ndarray         # deaths per event block
    death_rows: np.ndarray     # rows with an event
    multi: np.ndarray          # event blocks with more than one death (Efron, exact)
    multi_rows: np.ndarray     # death rows of those blocks, block by block
    z_multi: np.ndarray        # z at those rows (so the deaths' own sums need no gather)
    multi_starts: np.ndarray   # start of each multi block within multi_rows
    x_death_sum: np.ndarray    # sum of x over all deaths
    pairs: tuple               # (i, j) index pairs of the lower triangle of x x'
    p: int
    order: np.ndarray          # sorted position -> original row
    aggregate: bool            # sum per block before the cumulative sums
    work: np.ndarray           # scratch rows the size of z, reused by every iteration of one fit
    work_multi: np.ndarray     # scratch rows the size of z_multi
    work_events: np.ndarray    # scratch rows (z rows, event blocks): the risk sums' gather

    @property
    def x(self) -> np.ndarray:
        """Centred covariates as (n, p), in the sorted order."""
        return self.z[1:1 + self.p].T


def _bounds(first: np.ndarray, size: int) -> tuple:
    return tuple(zip(first.tolist(), np.append(first[1:], size).tolist(), strict=True))


def prepare(time, event, x, strata=None) -> CoxData:
    """Sort and centre once; everything per iteration is then a pass over contiguous rows."""
    if strata is None:
        ascending, ordered = time_order(time)
        order, t = ascending[::-1].copy(), ordered[::-1].copy()
    else:
        order = np.ascontiguousarray(sort_times(time, strata)[::-1])
        t = time[order]
    s = strata[order] if strata is not None else None
    p = x.shape[1]
    pairs = tuple(zip(*np.tril_indices(p), strict=True))
    z = np.empty((1 + p + len(pairs), t.size))
    z[0] = 1.0
    e, x_death_sum = _gather_columns(event, x, order, z[1:1 + p])
    for k, (i, j) in enumerate(pairs):
        np.multiply(z[1 + i], z[1 + j], out=z[1 + p + k])
    starts = block_starts(t) if s is None else block_starts(s, t)
    ends = np.append(starts[1:], t.size)
    deaths = np.add.reduceat(e, starts)
    event_blocks = np.flatnonzero(deaths > 0)
    strata_first = np.zeros(1, dtype=np.int64) if s is None else block_starts(s)
    block_strata_first = np.searchsorted(starts, strata_first)
    event_first_row = strata_first[np.searchsorted(strata_first, starts[event_blocks], "right") - 1]
    event_deaths = deaths[event_blocks]
    multi = np.flatnonzero(event_deaths > 1)
    death_rows = np.flatnonzero(e)
    if multi.size:
        row_block = np.repeat(np.arange(starts.size), ends - starts)
        multi_rows = death_rows[deaths[row_block[death_rows]] > 1]
    else:
        multi_rows = np.zeros(0, dtype=np.int64)
    counts = event_deaths[multi].astype(np.int64)
    return CoxData(z, starts, _bounds(strata_first, t.size),
                   _bounds(block_strata_first, starts.size), event_blocks,
                   ends[event_blocks] - 1, event_first_row, event_deaths, death_rows, multi,
                   multi_rows, z[:, multi_rows], np.cumsum(counts) - counts, x_death_sum,
                   pairs, p, order, starts.size * 4 < t.size, np.empty_like(z),
                   np.empty((z.shape[0], multi_rows.size)),
                   np.empty((z.shape[0], event_blocks.size)))


def _gather_columns(event, x, order, out):
    """Centred covariates in sorted order into the rows of ``out``; returns the sorted events as
    float and the sum of centred x over deaths.  ``np.take`` on one column at a time: at n = 1e6
    fancy indexing (``a[order]``) and strided copies cost several times more."""
    x_death_sum = np.empty(x.shape[1])
    dead = event == 1
    for k in range(x.shape[1]):
        column = np.ascontiguousarray(x[:, k], dtype=np.float64)
        centred = column - column.mean()
        np.take(centred, order, out=out[k])
        x_death_sum[k] = centred[dead].sum()
    return np.take(event.astype(np.float64), order), x_death_sum


def _sums(data: CoxData, r: np.ndarray | None, need_dead: bool):
    """Risk-set sums at each event block and, if asked, the tied deaths' own sums (multi only).
    ``r`` None stands for all risk scores 1 (beta = 0: the sums of z themselves)."""
    dead = None
    if need_dead:
        weighted_dead = data.z_multi if r is None else np.multiply(
            data.z_multi, r[data.multi_rows], out=data.work_multi)
        dead = np.add.reduceat(weighted_dead, data.multi_starts, axis=1)
    weighted = data.z if r is None else np.multiply(data.z, r, out=data.work)
    if data.aggregate:
        blocks = np.add.reduceat(weighted, data.starts, axis=1)
        for first, end in data.block_strata_bounds:
            np.cumsum(blocks[:, first:end], axis=1, out=blocks[:, first:end])
        return blocks[:, data.event_blocks], dead
    for first, end in data.strata_bounds:
        np.cumsum(weighted[:, first:end], axis=1, out=data.work[:, first:end])
    # into reused rows: a fresh (rows, events) array each iteration costs its page faults again
    return np.take(data.work, data.event_last, axis=1, out=data.work_events), dead


def _linear_predictor(x_rows: np.ndarray, beta: np.ndarray) -> np.ndarray:
    """sum_k beta_k x_k without BLAS: threaded gemv over a million columns thrashes a busy
    2-core machine, and p is small."""
    eta = x_rows[0] * beta[0]
    for k in range(1, beta.size):
        eta += x_rows[k] * beta[k]
    return eta


def _matrix(rows: np.ndarray, p: int, pairs) -> np.ndarray:
    """(p, p) symmetric matrix from the lower-triangle rows of a weighted sum."""
    out = np.empty((p, p))
    for k, (i, j) in enumerate(pairs):
        out[i, j] = out[j, i] = rows[k]
    return out


@dataclass(frozen=True, eq=False)
class BlockParts:
    """Per event block: risk-set sums r1 (p, B), r2 (pairs, B), the tied deaths' own sums d1, d2
    (None without ties) and the denominator sums a = sum 1/D_k, b = sum f_k/D_k,
    c0 = sum 1/D_k^2, c1 = sum f_k/D_k^2, c2 = sum f_k^2/D_k^2 (Breslow: f_k = 0, d copies)."""

    loglik: float
    r1: np.ndarray
    r2: np.ndarray
    d1: np.ndarray | None
    d2: np.ndarray | None
    a: np.ndarray
    b: np.ndarray | None
    c0: np.ndarray
    c1: np.ndarray | None
    c2: np.ndarray | None


def block_parts(data: CoxData, beta: np.ndarray, ties: str) -> BlockParts:
    """Everything the score and information need, per block of tied event times."""
    p = data.p
    r = None  # beta = 0 (every fit's first step): exp(0) = 1 exactly, nothing to weight
    if beta.any():
        r = _linear_predictor(data.z[1:1 + p], beta)
        np.exp(r, out=r)
    efron = ties != "breslow" and data.multi.size > 0
    risk, dead_multi = _sums(data, r, efron)
    d = data.deaths
    r0, r1, r2 = risk[0], risk[1:1 + p], risk[1 + p:]
    loglik = float(beta @ data.x_death_sum)
    if not efron:
        loglik -= float(np.sum(d * np.log(r0)))
        return BlockParts(loglik, r1, r2, None, None, d / r0, None, d / r0**2, None, None)
    dead = np.zeros((data.z.shape[0], d.size))
    a, c0 = 1.0 / r0, 1.0 / r0**2
    b, c1, c2 = np.zeros(d.size), np.zeros(d.size), np.zeros(d.size)
    loglik -= float(np.sum(np.log(r0)))
    dead[:, data.multi] = dead_multi
    counts = d[data.multi].astype(np.int64)
    term = np.repeat(np.arange(counts.size), counts)
    frac = (np.arange(term.size) - np.repeat(data.multi_starts, counts)) / counts[term]
    denom = r0[data.multi][term] - frac * dead[0, data.multi][term]
    inv = 1.0 / denom
    inv2 = inv * inv
    sums = [np.add.reduceat(v, data.multi_starts) for v in
            (inv, frac * inv, inv2, frac * inv2, frac**2 * inv2)]
    a[data.multi], b[data.multi], c0[data.multi], c1[data.multi], c2[data.multi] = sums
    loglik -= float(np.sum(np.log(denom)) - np.sum(np.log(r0[data.multi])))
    return BlockParts(loglik, r1, r2, dead[1:1 + p], dead[1 + p:], a, b, c0, c1, c2)


def combine(data: CoxData, parts: BlockParts, weight: np.ndarray | None = None):
    """Score and information summed over blocks, each block weighted by ``weight`` (default 1):
    the weights g(t) and g(t)^2 give the extra rows of ``cox.zph``'s score test.  Sums over
    blocks use einsum loops rather than BLAS (see ``_linear_predictor``)."""
    p, pairs = data.p, data.pairs
    w = 1.0 if weight is None else weight
    if weight is None:
        x_dead = data.x_death_sum
    else:
        per_death = np.repeat(weight, data.deaths.astype(np.int64))
        x_dead = np.einsum("kn,n->k", data.z[1:1 + p, data.death_rows], per_death)
    a, c0 = parts.a * w, parts.c0 * w
    score = x_dead - np.einsum("kb,b->k", parts.r1, a)
    info = _matrix(np.einsum("kb,b->k", parts.r2, a), p, pairs) - np.einsum(
        "ib,jb,b->ij", parts.r1, parts.r1, c0)
    if parts.d1 is not None:
        b, c1, c2 = parts.b * w, parts.c1 * w, parts.c2 * w
        score += np.einsum("kb,b->k", parts.d1, b)
        info -= _matrix(np.einsum("kb,b->k", parts.d2, b), p, pairs)
        cross = np.einsum("ib,jb,b->ij", parts.r1, parts.d1, c1)
        info += cross + cross.T - np.einsum("ib,jb,b->ij", parts.d1, parts.d1, c2)
    return score, info


def block_means(data: CoxData, parts: BlockParts) -> np.ndarray:
    """The (Efron-averaged) risk-set mean of x at each event block, (p, B): what a death's
    Schoenfeld residual x_i - mean subtracts."""
    total = parts.r1 * parts.a
    if parts.d1 is not None:
        total = total - parts.d1 * parts.b
    return total / data.deaths


def loglik_score_info(data: CoxData, beta: np.ndarray, ties: str):
    """Partial log-likelihood, score vector and observed information at ``beta``.

    Efron's d terms per tied time differ only by the fraction k/d of the deaths' own sums, so the
    per-term work reduces to five scalar sums per block, combined with the block sums.
    """
    parts = block_parts(data, beta, ties)
    score, info = combine(data, parts)
    return parts.loglik, score, info
