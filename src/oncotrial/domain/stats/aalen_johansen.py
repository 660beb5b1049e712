"""Aalen-Johansen state probabilities for competing risks, as R survival's multi-state ``survfit``.

States: 0 event-free, k = 1..K failed from cause k.  With Y(u) at risk, d_k(u) failures from cause
k and H(u) = 1 - d(u)/Y(u): p_0(t) = prod H(u), p_k(t) = sum_{u<=t} p_0(u-) d_k(u)/Y(u)
(Aalen & Johansen 1978; Andersen, Borgan, Gill & Keiding 1993, section IV.4).

Standard errors are the infinitesimal jackknife that survival 3.x reports for multi-state curves
(Therneau, "The survfit function", section on variance).  Because the per-subject hazard
influences at different times are orthogonal, sum_i U_i(t)^2 collapses to cumulative sums:
with V_kl(u) = (delta_kl d_k - d_k d_l / Y) / Y^2 and g_k(u, t) = (F_k(t) - F_k(u)) / H(u),
    var p_k(t) = sum_{u<=t} p_0(u-)^2 V_kk - 2 p_0(u-) g_k V_k. + g_k^2 V..,
    var p_0(t) = p_0(t)^2 sum_{u<=t} V.. / H^2   (Greenwood's formula).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from oncotrial.errors import InvalidInput

from ._data import check_events, check_labels, check_times
from ._result import StatResult


@dataclass(frozen=True, eq=False)
class AalenJohansenCurve(StatResult):
    """State occupation probabilities (event-free, then each cause) at every event time."""

    group: object
    causes: tuple[int, ...]
    time: np.ndarray
    n_risk: np.ndarray
    pstate: np.ndarray    # (times, 1 + causes)
    std_err: np.ndarray   # same shape, infinitesimal jackknife
    warnings: tuple[str, ...] = ()

    @property
    def estimate(self) -> np.ndarray:
        return self.pstate

    def _summary_title(self) -> str:
        return f"Aalen-Johansen state probabilities, {self.group}"

    def _summary_rows(self):
        header = ["time", "n.risk", "event-free"] + [f"cause {c}" for c in self.causes]
        return header, [[t, int(n), *p] for t, n, p in zip(self.time, self.n_risk, self.pstate,
                                                           strict=True)]


def compute_aalen_johansen(time: np.ndarray, status: np.ndarray, causes: Sequence[int], group=None):
    """One group's Aalen-Johansen curve from validated arrays (0 censored, else a cause)."""
    times, inverse = np.unique(time, return_inverse=True)
    total = np.bincount(inverse, minlength=times.size).astype(float)
    y = np.cumsum(total[::-1])[::-1]
    dk = np.column_stack([np.bincount(inverse, weights=status == c, minlength=times.size)
                          for c in causes]) if causes else np.zeros((times.size, 0))
    keep = dk.sum(axis=1) > 0
    times, y, dk = times[keep], y[keep], dk[keep]
    d = dk.sum(axis=1)
    h = 1.0 - d / y
    p0 = np.cumprod(h)
    p0_left = np.append(1.0, p0[:-1])
    f = np.cumsum(p0_left[:, None] * dk / y[:, None], axis=0)
    v_all = d * (y - d) / y**3
    with np.errstate(divide="ignore", invalid="ignore"):
        inv_h = np.where(h > 0, 1.0 / h, 0.0)
    se = np.empty((times.size, 1 + len(causes)))
    se[:, 0] = p0 * np.sqrt(np.cumsum(v_all * inv_h**2))
    for k in range(len(causes)):
        v_kk = (dk[:, k] - dk[:, k] ** 2 / y) / y**2
        v_k_all = (dk[:, k] - dk[:, k] * d / y) / y**2
        fk = f[:, k]
        a = np.cumsum(p0_left**2 * v_kk + 2 * p0_left * v_k_all * fk * inv_h
                      + v_all * fk**2 * inv_h**2)
        b = np.cumsum(p0_left * v_k_all * inv_h + v_all * fk * inv_h**2)
        c = np.cumsum(v_all * inv_h**2)
        se[:, 1 + k] = np.sqrt(np.maximum(a - 2 * fk * b + fk**2 * c, 0.0))
    pstate = np.column_stack([p0, f])
    return AalenJohansenCurve(group, tuple(causes), times, y, pstate, se)


def estimate_aalen_johansen(time, event, group=None, *, group_levels: Sequence | None = None):
    """Aalen-Johansen probabilities of being event-free or failed from each cause, by group.

    Matches R ``survfit(Surv(time, factor(event, 0:K)) ~ group)`` (``pstate``, ``std.err``,
    ``n.risk``) at the event times.  ``event``: 0 censored, 1..K causes.  Returns a tuple of
    ``AalenJohansenCurve`` (one per group).  Raises ``InvalidInput`` for bad data.

    >>> curve = estimate_aalen_johansen([1, 2, 3, 4], [1, 2, 0, 1])[0]
    >>> [round(float(v), 3) for v in curve.pstate[-1]]
    [0.0, 0.75, 0.25]
    """
    times = check_times(time)
    raw = np.asarray(event, dtype=float)
    if np.any(np.isnan(raw)) or np.any(raw < 0) or np.any(raw != np.round(raw)):
        raise InvalidInput("event codes must be 0 (censored) or 1, 2, ... (causes)", field="event")
    status = check_events(raw, times.size, codes=tuple(np.unique(raw).astype(int).tolist()))
    causes = tuple(c for c in np.unique(status).tolist() if c != 0)
    if group is None:
        return (compute_aalen_johansen(times, status, causes, "all"),)
    codes, levels = check_labels(group, times.size, "group", group_levels)
    return tuple(compute_aalen_johansen(times[codes == i], status[codes == i], causes, level)
                 for i, level in enumerate(levels) if np.any(codes == i))
