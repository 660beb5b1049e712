"""Fine-Gray proportional subdistribution-hazards regression, as R ``cmprsk::crr``.

The subdistribution hazard of the cause of interest is exp(x'b) times a baseline (Fine & Gray 1999,
JASA 94:496).  A subject who failed from a competing cause stays in the risk set after its failure
with weight G(t-)/G(t_i-), G the Kaplan-Meier curve of the censoring times (inverse probability of
censoring weights; Fine & Gray eq. 3).  At each distinct failure time of the cause, d tied
failures share the weighted risk set (Breslow ties):

    l(b) = sum over failures of x'b  -  sum over failure times of d log S0(t),
    S0(t) = sum_{t_j >= t} r_j + G(t-) sum_{competing, t_j < t} r_j / G(t_j-),    r = exp(x'b).

Both sums are cumulative sums over the sorted times, so every quantity here is one pass.  The
variance is Fine & Gray's robust sandwich I^-1 (sum_i (eta_i + psi_i)^2) I^-1, with eta_i the
score residual and psi_i the term for the estimated censoring distribution (their section 3,
eqs. 4-5), both in the closed form of cmprsk's ``crrvv``.  The maximisation is ``crr``'s own:
Newton steps from b = 0 with backtracking (halve while the objective rises by more than
1e-4 of the predicted change), stopping when max |score| max(|b|, 1) < 1e-6 max(|l|, 1).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
from scipy.stats import norm

from oncotrial.errors import InvalidInput

from ._data import check_times
from ._kernels import block_ids, z_value
from ._result import StatResult
from .cox import _solve, design_matrix


@dataclass(frozen=True, eq=False)
class FineGrayResult(StatResult):
    """Coefficients, robust SEs and subdistribution hazard ratios of a Fine-Gray model."""

    terms: tuple[str, ...]
    coef: np.ndarray
    se: np.ndarray
    variance: np.ndarray
    z: np.ndarray
    p_value: np.ndarray
    shr: np.ndarray
    shr_lower: np.ndarray
    shr_upper: np.ndarray
    loglik: float
    loglik_null: float
    score: np.ndarray
    information: np.ndarray
    n: int
    n_events: int
    n_competing: int
    iterations: int
    converged: bool
    failcode: object
    conf_level: float = 0.95
    warnings: tuple[str, ...] = ()

    @property
    def estimate(self) -> np.ndarray:
        """Subdistribution hazard ratios exp(b), one per term."""
        return self.shr

    @property
    def ci(self) -> tuple[tuple[float, float], ...]:
        return tuple(zip(self.shr_lower.tolist(), self.shr_upper.tolist(), strict=True))

    def _summary_title(self) -> str:
        return (f"Fine-Gray model for cause {self.failcode}: n = {self.n}, events = "
                f"{self.n_events}, competing = {self.n_competing}, pseudo log-likelihood = "
                f"{self.loglik:.6g}, CI {self.conf_level:.0%}")

    def _summary_rows(self):
        header = ["term", "coef", "exp(coef)", "se(coef)", "lower", "upper", "z", "p"]
        return header, [list(row) for row in zip(self.terms, self.coef, self.shr, self.se,
                                                  self.shr_lower, self.shr_upper, self.z,
                                                  self.p_value, strict=True)]


@dataclass(frozen=True, eq=False)
class _Data:
    """Times sorted ascending, cause codes (1 cause of interest, 2 competing, 0 censored), the
    distinct-time blocks and the censoring distribution G(t-) at each block."""

    x: np.ndarray           # (n, p) centred covariates, sorted
    cause: np.ndarray       # (n,) 0, 1, 2
    starts: np.ndarray      # first row of each distinct time
    block: np.ndarray       # block of each row
    failures: np.ndarray    # failures of interest per block
    censored: np.ndarray    # censorings per block
    at_risk: np.ndarray     # subjects with time >= the block's time
    g_minus: np.ndarray     # G(t-) per block
    x_failed: np.ndarray    # sum of x over failures of interest


def estimate_fine_gray(time, status, covariates: Mapping[str, Sequence[float]] | None = None, *,
                       group=None, group_levels: Sequence | None = None, failcode=1, cencode=0,
                       conf_level: float = 0.95, max_iter: int = 10) -> FineGrayResult:
    """Fit a Fine-Gray model; matches R ``cmprsk::crr(time, status, cov1, failcode, cencode)``.

    ``status`` holds ``failcode`` for the cause of interest, ``cencode`` for censored and any other
    code for a competing event.  ``covariates`` maps a name to numeric values; ``group`` labels
    become treatment contrasts as in ``estimate_cox``.  Returns a ``FineGrayResult`` with the
    robust (sandwich) variance ``crr`` reports.  Raises ``InvalidInput`` for bad data or no failure
    of the cause, ``ConvergenceError`` when the information is singular.

    >>> fit = estimate_fine_gray([1, 2, 3, 4, 5, 6, 7, 8], [1, 2, 1, 0, 1, 2, 0, 1],
    ...                          {"x": [0, 1, 0, 1, 1, 0, 1, 0]})
    >>> fit.terms, round(float(fit.coef[0]), 4), fit.converged
    (('x',), -1.0381, True)
    """
    times = check_times(time)
    x, terms, _ = design_matrix(times.size, group, covariates, group_levels)
    cause = _cause_codes(status, times.size, failcode, cencode)
    data = _prepare(times, cause, x)
    beta, loglik, score, iterations, converged = _maximise(data, max_iter)
    info, residual = _information_and_residuals(data, beta)
    inverse = _inverse(info)
    variance = inverse @ (residual.T @ residual) @ inverse.T
    se = np.sqrt(np.diag(variance))
    z = beta / se
    half = z_value(conf_level) * se
    n_events, n_competing = int(np.sum(cause == 1)), int(np.sum(cause == 2))
    return FineGrayResult(terms, beta, se, variance, z, 2.0 * norm.sf(np.abs(z)), np.exp(beta),
                          np.exp(beta - half), np.exp(beta + half), loglik,
                          _loglik(data, np.zeros_like(beta)), score, info, times.size, n_events,
                          n_competing, iterations, converged, failcode, conf_level,
                          _warnings(n_events, len(terms), converged, max_iter))


def _cause_codes(status, n: int, failcode, cencode) -> np.ndarray:
    """1 for the cause of interest, 0 for censored, 2 for any other code (``crr``'s recoding)."""
    raw = np.asarray(status)
    if raw.ndim != 1 or raw.size != n:
        raise InvalidInput(f"status must have one value per subject ({n})", field="status")
    missing = np.flatnonzero([v is None or v != v for v in raw.tolist()])
    if missing.size:
        raise InvalidInput(f"status is missing at row {missing[0]}", field="status",
                           hint=f"code {failcode!r} for the cause, {cencode!r} for censored")
    if failcode == cencode:
        raise InvalidInput(f"failcode and cencode are both {failcode!r}", field="failcode",
                           hint="the cause of interest and censoring need different codes")
    cause = np.where(raw == failcode, 1, np.where(raw == cencode, 0, 2)).astype(np.int64)
    if not np.any(cause == 1):
        raise InvalidInput(f"no subject has status {failcode!r} (the cause of interest)",
                           field="status", hint=f"codes present: {sorted(set(raw.tolist()))}")
    return cause


def _prepare(times: np.ndarray, cause: np.ndarray, x: np.ndarray) -> _Data:
    """Sort once (stable, as R's ``order``) and find G(t-), the censoring Kaplan-Meier curve just
    before each distinct time (``crr`` evaluates it at t (1 - 100 eps))."""
    order = np.argsort(times, kind="stable")
    t, c = times[order], cause[order]
    xs = x[order] - x.mean(axis=0)
    starts, block = block_ids(t)
    failures = np.bincount(block, weights=c == 1, minlength=starts.size)
    censored = np.bincount(block, weights=c == 0, minlength=starts.size)
    at_risk = (t.size - starts).astype(float)
    g = np.cumprod(1.0 - censored / at_risk)
    g_minus = np.append(1.0, g[:-1])
    return _Data(xs, c, starts, block, failures, censored, at_risk, g_minus,
                 xs[c == 1].sum(axis=0))


def _risk_sums(data: _Data, beta: np.ndarray, with_squares: bool):
    """S0, S1 (and S2) of the weighted risk set at every distinct time, and r = exp(x'b)."""
    r = np.exp(data.x @ beta)
    rows = [r, r[:, None] * data.x]
    if with_squares:
        rows.append(r[:, None, None] * data.x[:, :, None] * data.x[:, None, :])
    competing = data.cause == 2
    weight = competing / data.g_minus[data.block]
    sums = []
    for values in rows:
        per_block = np.add.reduceat(values, data.starts, axis=0)
        at_or_after = np.cumsum(per_block[::-1], axis=0)[::-1]
        gone = np.add.reduceat(values * _expand(weight, values), data.starts, axis=0)
        before = np.cumsum(gone, axis=0) - gone
        sums.append(at_or_after + _expand(data.g_minus, before) * before)
    return r, sums


def _expand(vector: np.ndarray, like: np.ndarray) -> np.ndarray:
    return vector.reshape(vector.shape + (1,) * (like.ndim - 1))


def _loglik(data: _Data, beta: np.ndarray) -> float:
    """The log pseudo-likelihood (``crr``'s ``loglik``; at b = 0 its ``loglik.null``)."""
    _, (s0, _) = _risk_sums(data, beta, False)
    with np.errstate(divide="ignore", invalid="ignore"):
        value = beta @ data.x_failed - np.sum(data.failures * np.log(s0))
    return float(value) if np.isfinite(value) else float("-inf")


def _score_information(data: _Data, beta: np.ndarray):
    _, (s0, s1, s2) = _risk_sums(data, beta, True)
    d = data.failures
    mean = s1 / s0[:, None]
    score = data.x_failed - d @ mean
    info = np.einsum("b,bij->ij", d / s0, s2) - np.einsum("b,bi,bj->ij", d, mean, mean)
    return score, info


def _maximise(data: _Data, max_iter: int):
    """``crr``'s Newton iteration; returns (b, loglik, score, iterations, converged)."""
    beta = np.zeros(data.x.shape[1])
    for iteration in range(max_iter + 1):
        objective = -_loglik(data, beta)
        score, info = _score_information(data, beta)
        if np.max(np.abs(score) * np.maximum(np.abs(beta), 1.0)) < max(abs(objective), 1.0) * 1e-6:
            return beta, -objective, score, iteration, True
        if iteration == max_iter:
            break
        step = _solve(info, score)
        predicted = 1e-4 * float(step @ -score)
        for _ in range(21):
            trial = -_loglik(data, beta + step)
            if not (np.isnan(trial) or trial > objective + predicted):
                break
            step, predicted = step * 0.5, predicted * 0.5
        else:
            break
        beta = beta + step
    return beta, _loglik(data, beta), _score_information(data, beta)[0], iteration, False


def _inverse(info: np.ndarray) -> np.ndarray:
    return _solve(info, np.eye(info.shape[0]))


def _information_and_residuals(data: _Data, beta: np.ndarray):
    """The information and each subject's eta_i + psi_i (n, p), as ``crrvv`` (one censoring
    group).  Sums over failure times are inclusive cumulative sums over the blocks."""
    r, (s0, s1) = _risk_sums(data, beta, False)
    _, info = _score_information(data, beta)
    d, g, b = data.failures, data.g_minus, data.block
    mean = s1 / s0[:, None]
    hazard = d / s0                                   # d Lambda at each failure time
    lam, lam_x = np.cumsum(hazard), np.cumsum(hazard[:, None] * mean, axis=0)
    k0, k1 = np.cumsum(g * hazard), np.cumsum((g * hazard)[:, None] * mean, axis=0)
    x = data.x
    residual = -r[:, None] * (x * lam[b][:, None] - lam_x[b])
    competing = data.cause == 2
    after = (r * competing / g[b])[:, None]
    residual -= after * (x * (k0[-1] - k0[b])[:, None] - (k1[-1] - k1[b]))
    failed = data.cause == 1
    residual[failed] += x[failed] - mean[b[failed]]
    residual += _censoring_term(data, r, k0, k1)
    return info, residual


def _censoring_term(data: _Data, r: np.ndarray, k0: np.ndarray, k1: np.ndarray) -> np.ndarray:
    """psi_i: the integral of q(u)/Y(u) against the censoring martingale of subject i, with
    q(u) = sum over failures at or after u of the competing subjects' weighted x - mean."""
    b, x = data.block, data.x
    competing = data.cause == 2
    weight = r * competing / data.g_minus[b]
    gone0 = np.add.reduceat(weight, data.starts)
    gone1 = np.add.reduceat(weight[:, None] * x, data.starts, axis=0)
    c0, c1 = np.cumsum(gone0) - gone0, np.cumsum(gone1, axis=0) - gone1
    k0_before = np.append(0.0, k0[:-1])
    k1_before = np.vstack([np.zeros((1, x.shape[1])), k1[:-1]])
    q = c1 * (k0[-1] - k0_before)[:, None] - c0[:, None] * (k1[-1] - k1_before)
    y = data.at_risk
    compensator = np.cumsum(-q * (data.censored / y**2)[:, None], axis=0)
    psi = compensator[b]
    censored = data.cause == 0
    psi[censored] += q[b[censored]] / y[b[censored]][:, None]
    return psi


def _warnings(n_events: int, terms: int, converged: bool, max_iter: int) -> tuple[str, ...]:
    warnings = []
    if not converged:
        warnings.append(f"crr's Newton iteration did not converge in {max_iter} steps; the "
                        f"estimates are the last step's")
    if n_events < 10:
        warnings.append(f"fewer than 10 events of the cause ({n_events}): subdistribution hazard "
                        f"ratios are unreliable")
    elif n_events < 10 * terms:
        warnings.append(f"fewer than 10 events per term ({n_events} events, {terms} terms)")
    return tuple(warnings)
