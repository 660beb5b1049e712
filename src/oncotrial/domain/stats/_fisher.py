"""Conditional maximum-likelihood odds ratio of a 2x2 table and its exact interval, computed the
way R ``fisher.test`` does, including R's root finder (Brent's ``zeroin`` with uniroot's default
tolerance eps^0.25), so that the digits agree with R rather than with a more precise root.

Under the noncentral hypergeometric distribution of the [1, 1] cell given the margins, the
conditional MLE solves E[X; psi] = x; the limits solve P(X >= x; psi) = alpha/2 and
P(X <= x; psi) = alpha/2 (Agresti 2013, section 16.6.4; Fisher 1935; Cornfield 1956).
"""

from __future__ import annotations

import math

import numpy as np
from scipy.stats import hypergeom

EPS = float(np.finfo(float).eps)
UNIROOT_TOL = EPS**0.25


def zeroin(f, ax: float, bx: float, tol: float = UNIROOT_TOL, maxit: int = 1000) -> float:
    """Brent's root finder exactly as R's ``R_zeroin2`` (called by ``uniroot``)."""
    fa, fb = f(ax), f(bx)
    a, b, c, fc = ax, bx, ax, fa
    if fa == 0.0:
        return a
    if fb == 0.0:
        return b
    for _ in range(maxit + 1):
        prev_step = b - a
        if abs(fc) < abs(fb):
            a, b, c = b, c, b
            fa, fb, fc = fb, fc, fb
        tol_act = 2 * EPS * abs(b) + tol / 2
        new_step = (c - b) / 2
        if abs(new_step) <= tol_act or fb == 0.0:
            return b
        if abs(prev_step) >= tol_act and abs(fa) > abs(fb):
            cb = c - b
            if a == c:
                t1 = fb / fa
                p, q = cb * t1, 1.0 - t1
            else:
                q, t1, t2 = fa / fc, fb / fc, fb / fa
                p = t2 * (cb * q * (q - t1) - (b - a) * (t1 - 1.0))
                q = (q - 1.0) * (t1 - 1.0) * (t2 - 1.0)
            if p > 0:
                q = -q
            else:
                p = -p
            if p < (0.75 * cb * q - abs(tol_act * q) / 2) and p < abs(prev_step * q / 2):
                new_step = p / q
        if abs(new_step) < tol_act:
            new_step = tol_act if new_step > 0 else -tol_act
        a, fa = b, fb
        b += new_step
        fb = f(b)
        if (fb > 0 and fc > 0) or (fb < 0 and fc < 0):
            c, fc = a, fa
    return b


class _NoncentralHypergeometric:
    """The [1, 1] cell given the margins, as ``fisher.test``'s dnhyper/mnhyper/pnhyper."""

    def __init__(self, table: np.ndarray):
        self.x = int(table[0, 0])
        m, n, k = int(table[:, 0].sum()), int(table[:, 1].sum()), int(table[0].sum())
        self.lo, self.hi = max(0, k - n), min(k, m)
        self.support = np.arange(self.lo, self.hi + 1)
        self.logdc = hypergeom.logpmf(self.support, m + n, m, k)
        self.m, self.n, self.k = m, n, k

    def density(self, ncp: float) -> np.ndarray:
        d = self.logdc + math.log(ncp) * self.support
        d = np.exp(d - d.max())
        return d / d.sum()

    def mean(self, ncp: float) -> float:
        if ncp == 0:
            return float(self.lo)
        if math.isinf(ncp):
            return float(self.hi)
        return float(np.sum(self.support * self.density(ncp)))

    def cdf(self, q: int, ncp: float, upper: bool) -> float:
        if ncp == 1:
            total = self.m + self.n
            if upper:
                return float(hypergeom.sf(self.x - 1, total, self.m, self.k))
            return float(hypergeom.cdf(self.x, total, self.m, self.k))
        if ncp == 0:
            return float(q <= self.lo) if upper else float(q >= self.lo)
        if math.isinf(ncp):
            return float(q <= self.hi) if upper else float(q >= self.hi)
        d = self.density(ncp)
        return float(d[self.support >= q].sum() if upper else d[self.support <= q].sum())


def conditional_odds_ratio(table: np.ndarray, conf_level: float = 0.95):
    """(conditional MLE, lower, upper) for a 2x2 table, as ``fisher.test`` (two-sided)."""
    nh = _NoncentralHypergeometric(np.asarray(table))
    x = nh.x
    alpha = (1.0 - conf_level) / 2.0
    return _mle(nh, x), _lower(nh, x, alpha), _upper(nh, x, alpha)


def _mle(nh, x):
    if x == nh.lo:
        return 0.0
    if x == nh.hi:
        return math.inf
    mu = nh.mean(1.0)
    if mu > x:
        return zeroin(lambda t: nh.mean(t) - x, 0.0, 1.0)
    if mu < x:
        return 1.0 / zeroin(lambda t: nh.mean(1.0 / t) - x, EPS, 1.0)
    return 1.0


def _upper(nh, x, alpha):
    if x == nh.hi:
        return math.inf
    p = nh.cdf(x, 1.0, upper=False)
    if p < alpha:
        return zeroin(lambda t: nh.cdf(x, t, upper=False) - alpha, 0.0, 1.0)
    if p > alpha:
        return 1.0 / zeroin(lambda t: nh.cdf(x, 1.0 / t, upper=False) - alpha, EPS, 1.0)
    return 1.0


def _lower(nh, x, alpha):
    if x == nh.lo:
        return 0.0
    p = nh.cdf(x, 1.0, upper=True)
    if p > alpha:
        return zeroin(lambda t: nh.cdf(x, t, upper=True) - alpha, 0.0, 1.0)
    if p < alpha:
        return 1.0 / zeroin(lambda t: nh.cdf(x, 1.0 / t, upper=True) - alpha, EPS, 1.0)
    return 1.0
