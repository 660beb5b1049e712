"""Exact binomial phase II designs: Simon's two-stage designs and the single-stage exact design.

A two-stage design enrols ``n1`` subjects, stops for futility if at most ``r1`` respond, otherwise
enrols to ``n`` and calls the treatment promising if more than ``r`` of the ``n`` respond
(Simon R., Controlled Clinical Trials 1989;10:1-10). The search reproduces
``clinfun::ph2simon`` (Seshan; Fortran ``f2bdry``) exactly, including its choice among ties, and the
admissible designs of Jung, Lee, Kim & George (Stat Med 2004;23:561-569) lie between its minimax and
optimal designs.
"""

from __future__ import annotations

import numbers
from dataclasses import dataclass

import numpy as np
from scipy.stats import binom

from oncotrial.domain.design.checks import check_error_rates, check_probability_pair
from oncotrial.errors import InvalidInput


@dataclass(frozen=True)
class SimonDesign:
    """One two-stage design with its operating characteristics.

    ``r1``/``n1``: stop after stage 1 if at most ``r1`` responses in ``n1``; ``r``/``n``: promising if
    more than ``r`` responses in ``n``. ``en0``/``pet0`` are the expected size and the probability of
    early termination under ``p0`` (``en1``/``pet1`` under ``p1``).
    """

    kind: str
    r1: int
    n1: int
    r: int
    n: int
    en0: float
    pet0: float
    alpha: float
    power: float
    en1: float
    pet1: float

    def to_dict(self) -> dict:
        return {
            "kind": self.kind, "r1": self.r1, "n1": self.n1, "r": self.r, "n": self.n,
            "EN0": self.en0, "PET0": self.pet0, "alpha": self.alpha, "power": self.power,
            "EN1": self.en1, "PET1": self.pet1,
        }


@dataclass(frozen=True)
class SimonDesigns:
    """The minimax, optimal and admissible designs for one ``p0 -> p1`` question."""

    p0: float
    p1: float
    alpha: float
    beta: float
    nmax: int
    optimal: SimonDesign
    minimax: SimonDesign
    admissible: tuple[SimonDesign, ...]
    best_by_n: tuple[SimonDesign, ...]

    def to_dict(self) -> dict:
        return {
            "p0": self.p0, "p1": self.p1, "alpha": self.alpha, "beta": self.beta,
            "nmax": self.nmax, "optimal": self.optimal.to_dict(),
            "minimax": self.minimax.to_dict(),
            "admissible": [d.to_dict() for d in self.admissible],
        }


@dataclass(frozen=True)
class SingleStageDesign:
    """Enrol ``n``; the treatment is promising if more than ``r`` respond (``clinfun::ph2single``)."""

    n: int
    r: int
    alpha: float
    power: float

    @property
    def beta(self) -> float:
        return 1.0 - self.power

    def to_dict(self) -> dict:
        return {"n": self.n, "r": self.r, "alpha": self.alpha, "power": self.power}


def compute_simon_characteristics(r1: int, n1: int, r: int, n: int, p: float) -> tuple[float, ...]:
    """Probability of early termination, expected size and probability of rejection at rate ``p``.

    Rejection = continue past stage 1 (``x1 > r1``) and ``x1 + x2 > r`` (clinfun's
    ``oc.twostage.bdry``). Returns ``(pet, en, reject)``.
    """
    x1 = np.arange(r1 + 1, n1 + 1)
    pet = float(binom.cdf(r1, n1, p))
    reject = float(np.sum(binom.pmf(x1, n1, p) * binom.sf(r - x1, n - n1, p)))
    return pet, n1 + (1.0 - pet) * (n - n1), reject


def _design(kind: str, r1: int, n1: int, r: int, n: int, p0: float, p1: float) -> SimonDesign:
    pet0, en0, alpha = compute_simon_characteristics(r1, n1, r, n, p0)
    pet1, en1, power = compute_simon_characteristics(r1, n1, r, n, p1)
    return SimonDesign(kind, r1, n1, r, n, en0, pet0, alpha, power, en1, pet1)


def _tail_table(nmax: int, p: float) -> np.ndarray:
    """``tail[m, k + nmax] = P(Binomial(m, p) >= k)`` for ``m <= nmax`` and ``-nmax <= k <= 2 nmax``."""
    m = np.arange(nmax + 1)[:, None]
    k = np.arange(-nmax, 2 * nmax + 1)[None, :]
    return binom.sf(k - 1, m, p)


def _search_stage_one(n1: int, nmax: int, p0: float, p1: float, tails, alpha: float, beta: float):
    """Feasible boundaries for every total ``n = n1 + n2`` with this ``n1``.

    For continuation threshold ``s`` (continue if ``x1 >= s``) and rejection threshold ``t``
    (reject if ``x1 + x2 >= t``), the rejection probability is
    ``sum_{x1 >= s} P(x1) P(x2 >= t - x1)``: a reverse cumulative sum over ``x1`` of a Toeplitz
    view of the stage-2 tail table (no copy). Thresholds ``t`` above ``t_max`` cannot reach the
    power and ``s`` above ``s_max`` cannot either, so they are never formed.
    """
    n2 = np.arange(1, nmax - n1 + 1)
    s_max = int(np.flatnonzero(binom.sf(np.arange(n1 + 1) - 1, n1, p1) > 1.0 - beta)[-1])
    t_max = int(np.flatnonzero(binom.sf(np.arange(nmax + 1) - 1, nmax, p1) > 1.0 - beta)[-1])
    if s_max < 1:
        return None
    x1 = np.arange(n1, 0, -1)  # accumulate from x1 = n1 down to x1 = 1
    reject = []
    for p, tail in zip((p0, p1), tails, strict=True):
        row, item = tail.strides
        # view[i, j, t] = P(X2 >= t - x1_i | n2_j); the tail table is stored with offset nmax
        view = np.lib.stride_tricks.as_strided(
            tail[1:, nmax - n1:], shape=(n1, n2.size, t_max + 1), strides=(item, row, item),
            writeable=False)
        joint = np.multiply(binom.pmf(x1, n1, p)[:, None, None], view, order="C")
        cumulative = np.cumsum(joint, axis=0, out=joint)
        reject.append(cumulative[n1 - s_max:][::-1])  # index s - 1 for s = 1..s_max
    # clinfun demands strict inequalities on both error rates.
    ok = (reject[0] < alpha) & (1.0 - reject[1] < beta)
    pet = binom.cdf(np.arange(s_max), n1, p0)  # P(x1 <= s - 1)
    return ok, pet, n2


def _best_by_total(nmax: int, p0: float, p1: float, alpha: float, beta: float):
    """For each total n, the (r1, n1, r) with the smallest EN0, chosen among ties as clinfun does.

    clinfun scans n1 upwards, the continuation threshold downwards and the rejection threshold
    downwards, keeping a design only if its EN0 is strictly smaller, so among designs with equal
    EN0 the first n1 and the largest r win.
    """
    tails = (_tail_table(nmax, p0), _tail_table(nmax, p1))
    best: dict[int, tuple[float, int, int, int]] = {}
    for n1 in range(1, nmax):
        found = _search_stage_one(n1, nmax, p0, p1, tails, alpha, beta)
        if found is None:
            continue
        ok, pet, n2 = found
        any_t = ok.any(axis=2)
        if not any_t.any():
            continue
        en0 = np.where(any_t, n1 + (1.0 - pet)[:, None] * n2[None, :], np.inf)
        last = en0.shape[0] - 1
        s_index = last - np.argmin(en0[::-1], axis=0)  # ties: the largest s, as clinfun scans
        for j in np.flatnonzero(np.isfinite(en0.min(axis=0))):
            i = int(s_index[j])
            n = n1 + int(n2[j])
            t_best = int(np.flatnonzero(ok[i, j])[-1])
            if en0[i, j] < best.get(n, (float(n),))[0]:
                best[n] = (float(en0[i, j]), i, n1, t_best - 1)
    return best


def compute_simon_designs(
    p0: float, p1: float, alpha: float = 0.05, beta: float = 0.2, nmax: int = 100
) -> SimonDesigns:
    """Simon's optimal and minimax two-stage designs and the admissible designs between them.

    Exact binomial search over every ``n <= nmax``, ``n1 < n`` and boundary, requiring type I error
    ``< alpha`` under ``p0`` and type II error ``< beta`` under ``p1``; for each ``n`` the design
    with the smallest expected size under ``p0`` (EN0) is kept. Minimax: the smallest ``n``;
    optimal: the smallest EN0 (Simon 1989). Admissible: the designs that minimise
    ``q n + (1 - q) EN0`` for some ``q`` in [0, 1] (Jung et al. 2004). Matches
    ``clinfun::ph2simon(p0, p1, alpha, beta, nmax)``.

    Raises :class:`InvalidInput` for ``p1 <= p0``, error rates outside (0, 0.5) or no feasible design.

    >>> d = compute_simon_designs(0.3, 0.5, 0.05, 0.2)
    >>> (d.optimal.r1, d.optimal.n1, d.optimal.r, d.optimal.n)
    (5, 15, 18, 46)
    """
    check_probability_pair(p0, p1)
    check_error_rates(alpha, beta)
    if not isinstance(nmax, numbers.Integral) or not 2 <= nmax <= 1000:
        raise InvalidInput(f"nmax is {nmax!r}; it must be a whole number from 2 to 1000",
                           field="nmax", hint="the default 100 suits response rates 0.1-0.9")
    best = _best_by_total(int(nmax), p0, p1, alpha, beta)
    if not best:
        raise InvalidInput(
            f"no Simon two-stage design with n <= nmax = {nmax} has type I error < {alpha:g} and "
            f"type II error < {beta:.10g} (power > {1 - beta:.10g}) for p0 = {p0:g}, p1 = {p1:g}",
            field="nmax", hint=f"increase nmax (e.g. --nmax {min(1000, 2 * nmax)}), "
            "or allow a larger alpha/beta or a larger p1 - p0")
    rows = [_design("candidate", r1, n1, r, n, p0, p1)
            for n, (_, r1, n1, r) in sorted(best.items())]
    minimax = rows[0]
    optimal = min(rows, key=lambda d: d.en0)
    admissible = _admissible(rows, rows.index(optimal))
    return SimonDesigns(
        p0, p1, alpha, beta, nmax,
        optimal=_relabel(optimal, "optimal"),
        minimax=_relabel(minimax, "minimax"),
        admissible=tuple(_relabel(d, "admissible") for d in admissible),
        best_by_n=tuple(rows),
    )


def _relabel(design: SimonDesign, kind: str) -> SimonDesign:
    return SimonDesign(kind, *(getattr(design, f) for f in (
        "r1", "n1", "r", "n", "en0", "pet0", "alpha", "power", "en1", "pet1")))


def _admissible(rows: list[SimonDesign], optimal_index: int) -> list[SimonDesign]:
    """Designs on the lower convex hull of (n, EN0) from the minimax to the optimal design."""
    candidates = rows[: optimal_index + 1]
    hull: list[SimonDesign] = []
    for design in candidates:
        while len(hull) >= 2 and _turns_up(hull[-2], hull[-1], design):
            hull.pop()
        hull.append(design)
    return hull


def _turns_up(a: SimonDesign, b: SimonDesign, c: SimonDesign) -> bool:
    """True when b lies on or above the segment from a to c in the (n, EN0) plane."""
    return (b.en0 - a.en0) * (c.n - a.n) >= (c.en0 - a.en0) * (b.n - a.n)


def compute_single_stage_design(
    p0: float, p1: float, alpha: float = 0.05, beta: float = 0.2, nmax: int = 1000
) -> SingleStageDesign:
    """Smallest single-stage exact binomial design: reject ``p <= p0`` if more than ``r`` of ``n``.

    The smallest ``n`` (and then the smallest ``r``) with ``P(X > r | p0) <= alpha`` and
    ``P(X <= r | p1) <= beta`` (A'Hern 2001; ``clinfun::ph2single``, first solution).

    >>> compute_single_stage_design(0.3, 0.5).n
    39
    """
    check_probability_pair(p0, p1)
    check_error_rates(alpha, beta)
    n = np.arange(1, nmax + 1)
    # For each n the smallest r meeting alpha also gives the best power.
    r = binom.ppf(1.0 - alpha, n, p0).astype(int)
    r = np.where(binom.sf(r, n, p0) <= alpha, r, r + 1)
    feasible = np.flatnonzero(binom.cdf(r, n, p1) <= beta)
    if feasible.size == 0:
        raise InvalidInput(
            f"no single-stage design with n <= {nmax} reaches power {1 - beta} at p1 = {p1}",
            field="nmax", hint="allow a larger beta or alpha, or a larger p1 - p0")
    n_best, r_best = int(n[feasible[0]]), int(r[feasible[0]])
    return SingleStageDesign(n_best, r_best, float(binom.sf(r_best, n_best, p0)),
                             float(binom.sf(r_best, n_best, p1)))
