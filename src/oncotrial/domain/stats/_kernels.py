"""Vectorised building blocks shared by the estimators: one sort, then counts per distinct time.

Nothing here loops over subjects in Python; every quantity is a ``bincount``, ``cumsum`` or
``reduceat`` over the sorted data, which is what makes n = 1e6 fast.
"""

from __future__ import annotations

import sys

import numpy as np
from scipy.special import ndtri

from oncotrial.errors import InvalidInput


def z_value(conf_level: float) -> float:
    """The two-sided normal quantile, ``qnorm(1 - (1 - conf_level) / 2)`` in R."""
    if not 0.0 < conf_level < 1.0:
        raise InvalidInput(f"conf_level must lie strictly between 0 and 1; got {conf_level!r}",
                           field="conf_level", hint="0.95 gives 95% confidence intervals")
    return float(ndtri(1.0 - (1.0 - conf_level) / 2.0))


def sort_times(time: np.ndarray, keys: np.ndarray | None = None) -> np.ndarray:
    """Order by (keys, time) ascending, ties in row order: ``time_order``, then a stable pass on
    keys."""
    order, _ = time_order(time)
    if keys is None:
        return order
    return order[np.argsort(keys[order], kind="stable")]


def time_order(time: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``np.argsort(time, kind="stable")`` of times >= 0 and the sorted times, from one value
    sort of (float32 time, row) packed in 64 bits, which costs less than an index sort of
    doubles.  Rounding to float32 is monotone, so only rows with equal float32 values can be out
    of order; those runs are re-sorted on the exact times."""
    n = time.size
    if n >= 2**32:
        order = np.argsort(time, kind="stable")
        return order, time[order]
    rounded = (time + 0.0).astype(np.float32).view(np.uint32)  # + 0.0: -0.0 sorts as 0.0
    key = np.sort((rounded.astype(np.uint64) << np.uint64(32)) | np.arange(n, dtype=np.uint64))
    order = (key & np.uint64(0xFFFFFFFF)).astype(np.int64)
    ordered = np.take(time, order)  # take: faster than time[order] at this size
    if n > 1 and np.any(ordered[1:] < ordered[:-1]):
        high = key >> np.uint64(32)
        same = high[1:] == high[:-1]
        rows = np.flatnonzero(np.append(same, False) | np.insert(same, 0, False))
        # rows of different float32 runs are already in time order, so (time, row) suffices
        fixed = rows[np.lexsort((order[rows], ordered[rows]))]
        order[rows] = order[fixed]
        ordered[rows] = ordered[fixed]
    return order, ordered


def block_starts(*sorted_columns: np.ndarray) -> np.ndarray:
    """Start index of each run of equal values across the sorted columns (always includes 0)."""
    n = sorted_columns[0].size
    if n == 0:
        return np.zeros(0, dtype=np.int64)
    change = np.zeros(n, dtype=bool)
    change[0] = True
    for column in sorted_columns:
        change[1:] |= column[1:] != column[:-1]
    return np.flatnonzero(change)


def block_ids(*sorted_columns: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(start index of each run, run number of each row) across the sorted columns."""
    n = sorted_columns[0].size
    change = np.zeros(n, dtype=bool)
    if n:
        change[0] = True
    for column in sorted_columns:
        change[1:] |= column[1:] != column[:-1]
    return np.flatnonzero(change), np.cumsum(change) - 1


def sorted_event_keys(time: np.ndarray, event: np.ndarray) -> np.ndarray:
    """Times with their 0/1 events as one sorted unsigned key, ties ordered censored first: for
    non-negative doubles the IEEE bit pattern orders like the value, so (bits << 1) | event
    sorts as (time, event) in one value sort, which is cheaper than an index sort."""
    key = np.add(time, 0.0).view(np.uint64)  # + 0.0 turns -0.0 into 0.0; a fresh array
    np.left_shift(key, np.uint64(1), out=key)
    np.bitwise_or(key, event == 1, out=key, casting="unsafe")
    key.sort()  # in place: np.sort would copy first
    return key


def _low_bytes(key: np.ndarray) -> np.ndarray:
    """The lowest byte of each uint64 (a strided 1-byte view: cheaper than ``key & 1``)."""
    return key.view(np.uint8)[:: 8] if sys.byteorder == "little" else key.view(np.uint8)[7:: 8]


def sort_with_events(time: np.ndarray, event: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Times sorted ascending with their 0/1 events, ties ordered censored first."""
    key = sorted_event_keys(time, event)
    events = (_low_bytes(key) & 1).astype(np.float64)
    return np.right_shift(key, np.uint64(1), out=key).view(np.float64), events


def whole_days(time: np.ndarray) -> np.ndarray | None:
    """Times as int64 when every one is a whole number no larger than a few times their count
    (days since the origin), else None: then counting per value replaces the sort."""
    if time.size == 0 or not np.array_equal(time[:64], np.floor(time[:64])):
        return None  # a cheap look at the first rows settles continuous times
    top = time.max()
    if top > 4 * time.size + 65_536:
        return None
    days = time.astype(np.int64)
    return days if np.array_equal(days, time) else None


def count_table(time: np.ndarray, event: np.ndarray):
    """Distinct times with numbers at risk, events and censored (R survfit's rows).  Whole-day
    times are counted per day (``bincount``); others take one value sort (``sorted_event_keys``),
    and untied times need no grouping after it.  Returns float arrays
    ``(times, n_risk, n_event, n_censor)``."""
    days = whole_days(time)
    if days is not None:
        total = np.bincount(days)
        present = np.flatnonzero(total)
        n_total = total[present].astype(np.float64)
        n_event = np.bincount(days, weights=event.astype(np.float64), minlength=total.size)[present]
        n_risk = np.cumsum(n_total[::-1])[::-1]
        return present.astype(np.float64), n_risk, n_event, n_total - n_event
    ordered, events = sort_with_events(time, event)
    n_risk = np.arange(ordered.size, 0, -1, dtype=np.float64)
    if not np.any(ordered[1:] == ordered[:-1]):  # no ties: one row per subject
        return ordered, n_risk, events, 1.0 - events
    starts = block_starts(ordered)
    n_total = np.diff(np.append(starts, ordered.size)).astype(np.float64)
    n_event = np.add.reduceat(events, starts) if starts.size else np.zeros(0)
    return ordered[starts], n_risk[starts], n_event, n_total - n_event


def group_event_counts(time: np.ndarray, event: np.ndarray, group: np.ndarray, n_groups: int):
    """Events and numbers at risk per group at each distinct event time, as ``(groups, times)``
    float arrays ``(deaths, at_risk)``.  Whole-day times are counted per (day, group); others are
    sorted once per group and merged (``_merged_group_keys``), then each group's rows are counted
    by a cumulative sum."""
    days = whole_days(time)
    if days is not None:
        return _day_group_counts(days, event, group, n_groups)
    key, label, sizes = _merged_group_keys(time, event, group, n_groups)
    event_rows = np.flatnonzero(_low_bytes(key) & 1)
    new = block_starts_mask(key >> np.uint64(1))
    if np.count_nonzero(new) == key.size:  # no ties: each event row is its own time
        first, column = event_rows, np.arange(event_rows.size)
    else:
        event_block = (np.cumsum(new) - 1)[event_rows]
        new_time = block_starts_mask(event_block)
        first = np.flatnonzero(new)[event_block[new_time]]
        column = np.cumsum(new_time) - 1
    times = first.size
    deaths = np.bincount(label[event_rows].astype(np.int64) * times + column,
                         minlength=n_groups * times)
    rows_before = np.empty((n_groups, times))
    for g in range(1, n_groups):
        in_group = label == g
        rows_before[g] = np.cumsum(in_group, dtype=np.int32)[first] - in_group[first]
    rows_before[0] = first - rows_before[1:].sum(axis=0)  # exact: integer counts
    at_risk = sizes[:, None] - rows_before
    return deaths.reshape(n_groups, times).astype(np.float64), at_risk


def _merged_group_keys(time, event, group, n_groups):
    """Sorted event keys of all rows with each row's group (int8) and the group sizes: one
    value sort per group, merged by a stable argsort (linear: timsort finds the sorted runs)."""
    keys = []
    for g in range(n_groups):
        in_group = group == g
        keys.append(sorted_event_keys(time[in_group], event[in_group]))
    sizes = np.array([k.size for k in keys])
    merged = np.concatenate(keys)
    order = np.argsort(merged, kind="stable")
    label = np.take(np.repeat(np.arange(n_groups, dtype=np.int8), sizes), order)
    return np.take(merged, order), label, sizes


def _day_group_counts(days: np.ndarray, event: np.ndarray, group: np.ndarray, n_groups: int):
    """``group_event_counts`` for whole-day times: counts per (day, group) cell."""
    cell = days * n_groups + group
    size = (days.max() + 1) * n_groups
    total = np.bincount(cell, minlength=size).reshape(-1, n_groups)
    deaths = np.bincount(cell, weights=event.astype(np.float64), minlength=size)
    deaths = deaths.reshape(-1, n_groups)
    at_risk = np.cumsum(total[::-1], axis=0)[::-1]
    event_days = np.flatnonzero(deaths.sum(axis=1))
    # C order: einsum then sums in the same order as over the sorted path's rows
    return (np.ascontiguousarray(deaths[event_days].T),
            np.ascontiguousarray(at_risk[event_days].T, dtype=np.float64))


def block_starts_mask(ordered: np.ndarray) -> np.ndarray:
    """True at the first row of each run of equal values."""
    new = np.empty(ordered.size, dtype=bool)
    if ordered.size:
        new[0] = True
        np.not_equal(ordered[1:], ordered[:-1], out=new[1:])
    return new


def value_counts(ordered: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Distinct values of a sorted array and how often each occurs."""
    starts = block_starts(ordered)
    return ordered[starts], np.diff(np.append(starts, ordered.size)).astype(np.float64)
