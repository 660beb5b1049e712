"""One batched kernel for many small two-group survival datasets at once (rows = trials).

Simulation needs a log-rank test, a Cox hazard ratio and Kaplan-Meier summaries for each of
hundreds of thousands of simulated trials of about a hundred subjects. Looping over
``logrank_test``/``estimate_km`` would take minutes, so this module works on ``(trials, subjects)``
arrays: each row is sorted once, by an int32 key that packs the float32 time with two flag bits
(censored, treated) in the lowest mantissa bits. Within tied times events then come before
censorings (so a subject censored at t is at risk at t), as R's ``survival`` assumes. From the
sorted rows, cumulative sums give the numbers at risk:

* log-rank (R ``survdiff``): ``O - E = sum_t (d1 - d n1 / n)``, hypergeometric variance
  ``sum_t d (n1/n)(1 - n1/n)(n - d)/(n - 1)``, with tied times grouped;
* Cox (Breslow ties) by Newton steps from beta = 0; one step is the log-rank estimate
  ``(O - E) / V_Breslow`` (Collett, *Modelling Survival Data*, 3rd ed., §3.9);
* Kaplan-Meier per group, median and landmark survival with the Greenwood variance: per-event
  factors ``1 - 1/n_i`` over positions telescope to ``(n - d)/n`` over a tie group, and the
  Greenwood terms ``1/(n_i (n_i - 1))`` to ``d/(n (n - d))``, so ties need no grouping there.

Times are rounded to float32 less two mantissa bits (relative error below 5e-7). Subjects not yet
enrolled at the analysis are excluded with ``enrolled=False``. ``xp`` is the array module
(``numpy`` by default, ``cupy`` for a GPU); results stay in that module.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

_EXCLUDED_TIME = -1.0


@dataclass(frozen=True)
class SortedSurvival:
    """Rows sorted by time: packed keys, event and treated flags, numbers at risk by position.

    Excluded subjects (negative times) sort first and are in no risk set after them.
    """

    key: object
    event: object
    treated: object
    at_risk: object
    at_risk_treated: object
    n_treated: object

    @property
    def time(self):
        return (self.key & np.int32(~3)).view(np.float32)


def sort_survival_rows(time, event, treated, enrolled=None, *, xp=np) -> SortedSurvival:
    """Sort each row by time (events before censorings at equal times) and count those at risk.

    ``time``, ``event``, ``treated`` and ``enrolled`` are ``(trials, subjects)`` arrays (``treated``
    may be one row broadcast to all); ``treated`` marks the group compared with the rest. Subjects
    with ``enrolled`` False or a negative time are left out.
    """
    time = xp.asarray(time, dtype=xp.float32)
    event = xp.asarray(event, dtype=bool)
    if enrolled is not None:
        enrolled = xp.asarray(enrolled, dtype=bool)
        time = xp.where(enrolled, time, xp.float32(_EXCLUDED_TIME))
        event = event & enrolled
    treated = xp.asarray(treated)
    if treated.ndim == 2 and treated.strides[0] == 0:
        treated = treated[0]  # one row broadcast to all trials: convert the row only
    # flag bits: 2 = censored, 1 = treated (a shift, not where(): several times faster)
    key = xp.left_shift(~event, 1, dtype=xp.int32)
    key |= treated.astype(xp.int32)
    key |= xp.ascontiguousarray(time).view(xp.int32) & xp.int32(~3)
    key.sort(axis=1)
    treated_flag = key & 1
    n_subjects = time.shape[1]
    # int32 running sums are exact and several times faster than float32 ones here; the treated
    # at risk from position j on are those not yet passed: total - (cumsum - own flag).
    n_treated = treated_flag.sum(axis=1, keepdims=True, dtype=xp.int32)
    cumulative = xp.cumsum(treated_flag, axis=1, dtype=xp.int32)
    cumulative -= treated_flag
    at_risk_treated = (n_treated - cumulative).astype(xp.float32)
    sorted_treated = treated_flag.astype(xp.float32)
    sorted_event = ((key & 2) == 0).astype(xp.float32)
    at_risk = xp.arange(n_subjects, 0, -1, dtype=xp.float32)[None, :]
    return SortedSurvival(key, sorted_event, sorted_treated, at_risk, at_risk_treated, n_treated)


@dataclass(frozen=True)
class BatchedLogrank:
    """Per-row log-rank and Cox results; ``z < 0`` favours the treated group."""

    z: object
    observed_minus_expected: object
    variance: object
    events: object
    events_treated: object
    log_hazard_ratio: object


def _tie_groups(data: SortedSurvival, xp):
    """At-risk counts at the start of each tied-time group and the events in that group."""
    time = data.time
    n_subjects = time.shape[1]
    new = xp.ones(time.shape, dtype=bool)
    new[:, 1:] = time[:, 1:] != time[:, :-1]
    if hasattr(xp.maximum, "accumulate"):
        start, end = _group_bounds_by_accumulate(new, xp)
    else:
        start, end = _group_bounds_by_scatter(new, xp)
    events_through = xp.cumsum(data.event, axis=1)
    group_events = (xp.take_along_axis(events_through, end, axis=1)
                    - xp.take_along_axis(events_through - data.event, start, axis=1))
    at_risk = (n_subjects - start).astype(xp.float32)
    at_risk_treated = xp.take_along_axis(data.at_risk_treated, start, axis=1)
    return at_risk, at_risk_treated, group_events


def _group_bounds_by_accumulate(new, xp):
    """First and last position of each position's tie group (running max/min of group marks)."""
    n_subjects = new.shape[1]
    index = xp.arange(n_subjects, dtype=xp.int32)[None, :]
    start = xp.maximum.accumulate(xp.where(new, index, 0), axis=1)
    end_mark = xp.ones(new.shape, dtype=bool)
    end_mark[:, :-1] = new[:, 1:]
    end = xp.flip(xp.minimum.accumulate(
        xp.flip(xp.where(end_mark, index, n_subjects - 1), axis=1), axis=1), axis=1)
    return start, end


def _group_bounds_by_scatter(new, xp):
    """The same bounds for array modules without ``ufunc.accumulate``: number the groups with a
    running sum, scatter each group's first position, gather it back."""
    n_subjects = new.shape[1]
    group = xp.cumsum(new, axis=1, dtype=xp.int32) - 1
    rows, columns = xp.nonzero(new)
    starts = xp.full(new.shape, n_subjects, dtype=xp.int32)
    starts[rows, group[rows, columns]] = columns.astype(xp.int32)
    start = xp.take_along_axis(starts, group, axis=1)
    following = xp.take_along_axis(starts, xp.minimum(group + 1, n_subjects - 1), axis=1)
    last_group = group == group[:, -1:]
    end = xp.where(last_group, n_subjects - 1, following - 1).astype(xp.int32)
    return start, end


def logrank_test_batched(time, event, treated, enrolled=None, *, ties: bool = True,
                         newton_steps: int = 1, xp=np, sorted_data: SortedSurvival | None = None
                         ) -> BatchedLogrank:
    """Log-rank test and Cox log hazard ratio (treated vs the rest) for every row.

    With ``ties=False`` times are taken as distinct (continuous simulated times), which skips the
    grouping of tied times. ``newton_steps`` Cox iterations (Breslow ties) start from beta = 0;
    the first is the closed-form log-rank estimate. Equals ``logrank_test`` (R ``survdiff``) on
    each row.
    """
    data = sorted_data or sort_survival_rows(time, event, treated, enrolled, xp=xp)
    if ties:
        n, n1, d = _tie_groups(data, xp)
        share = n1 / n
        hyper = (n - d) / xp.maximum(n - 1.0, 1.0)
    else:
        n, n1 = data.at_risk, data.at_risk_treated
        share = n1 * (1.0 / n)
    events = data.event
    observed_treated = xp.einsum("ij,ij->i", events, data.treated)
    observed_minus_expected = observed_treated - xp.einsum("ij,ij->i", events, share)
    breslow_terms = share * (1.0 - share)
    breslow = xp.einsum("ij,ij->i", events, breslow_terms)
    variance = xp.einsum("ij,ij->i", events, breslow_terms * hyper) if ties else breslow
    with np.errstate(divide="ignore", invalid="ignore"):
        z = observed_minus_expected / xp.sqrt(variance)
        beta = observed_minus_expected / breslow
        for _ in range(max(0, newton_steps - 1)):
            beta = beta + _newton_increment(events, share, observed_treated, beta, xp)
    return BatchedLogrank(z, observed_minus_expected, variance, events.sum(axis=1),
                          observed_treated, beta)


def _newton_increment(events, share_at_zero, observed_treated, beta, xp):
    """Breslow score over information at ``beta``; the treated share of the risk set at beta is
    ``w r / (1 + (w - 1) r)`` with ``w = exp(beta)`` and ``r`` the share at beta = 0."""
    weight = xp.exp(beta)[:, None].astype(share_at_zero.dtype)
    share = weight * share_at_zero / (1.0 + (weight - 1.0) * share_at_zero)
    expected = xp.einsum("ij,ij->i", events, share)
    information = expected - xp.einsum("ij,ij->i", events, share * share)
    return xp.clip((observed_treated - expected) / information, -5.0, 5.0)


@dataclass(frozen=True)
class BatchedKM:
    """Per-row Kaplan-Meier summaries for one group (or everyone)."""

    median: object
    landmark_survival: object
    landmark_variance: object


def estimate_km_batched(data: SortedSurvival, *, group: str = "all", landmark: float | None = None,
                        xp=np) -> BatchedKM:
    """Kaplan-Meier median and survival at ``landmark`` (with Greenwood variance) for each row.

    ``group``: ``"all"``, ``"treated"`` or ``"control"``. The median is the first time the curve
    reaches 0.5 or below (NaN if it never does); R takes the midpoint when the curve sits exactly
    at 0.5 over an interval, which continuous simulated times make a null event.
    """
    if group == "all":
        member, at_risk = 1.0, data.at_risk
    elif group == "treated":
        member, at_risk = data.treated, data.at_risk_treated
    else:
        member = 1.0 - data.treated
        at_risk = data.at_risk - data.at_risk_treated
    events = data.event * member
    n_subjects = data.key.shape[1]
    # log(1 - 1/n) for the integer numbers at risk, looked up rather than computed per position;
    # n = 1 gives S = 0, stood for by -1e30 so that 0 * table stays 0.
    counts = np.arange(2, n_subjects + 1, dtype=np.float64)
    table = xp.asarray(np.concatenate(([0.0, -1e30], np.log1p(-1.0 / counts))).astype(np.float32))
    log_factor = events * xp.take(table, at_risk.astype(xp.int32))
    log_survival = xp.cumsum(log_factor, axis=1)
    reached = log_survival <= xp.float32(np.log(0.5))
    first = xp.argmax(reached, axis=1)[:, None]
    first_key = xp.take_along_axis(data.key, first, axis=1)[:, 0]
    median = xp.where(log_survival[:, -1] <= xp.float32(np.log(0.5)),
                      (first_key & np.int32(~3)).view(xp.float32), xp.float32(np.nan))
    if landmark is None:
        return BatchedKM(median, None, None)
    time = data.time
    before = (time <= landmark) & (time >= 0)
    with np.errstate(divide="ignore", invalid="ignore"):
        survival = xp.exp(xp.where(before, log_factor, 0.0).sum(axis=1))
        greenwood = xp.where(events * before > 0, 1.0 / (at_risk * (at_risk - 1.0)), 0.0)
        variance = survival**2 * greenwood.sum(axis=1)
    return BatchedKM(median, survival, variance)
