"""Vectorised building blocks shared by the estimators: one sort, then counts per distinct time.

Nothing here loops over subjects in Python; every quantity is a ``bincount``, ``cumsum`` or
``reduceat`` over the sorted data, which is what makes n = 1e6 fast.
"""

from __future__ import annotations

import numpy as np
from scipy.special import ndtri


def z_value(conf_level: float) -> float:
    """The two-sided normal quantile, ``qnorm(1 - (1 - conf_level) / 2)`` in R."""
    return float(ndtri(1.0 - (1.0 - conf_level) / 2.0))


def sort_times(time: np.ndarray, keys: np.ndarray | None = None) -> np.ndarray:
    """Order by (keys, time) ascending: one quicksort on time, then a stable radix pass on keys."""
    order = np.argsort(time)
    if keys is None:
        return order
    return order[np.argsort(keys[order], kind="stable")]


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


def count_table(time: np.ndarray, event: np.ndarray):
    """Distinct times with numbers at risk, events and censored (R survfit's rows).

    Two plain sorts (all times, event times) and a binary search replace an argsort: sorting
    values is several times faster than sorting indices.  Returns float arrays
    ``(times, n_risk, n_event, n_censor)``.
    """
    ordered = np.sort(time)
    starts = block_starts(ordered)
    times = ordered[starts]
    n_total = np.diff(np.append(starts, ordered.size)).astype(np.float64)
    n_risk = (ordered.size - starts).astype(np.float64)
    n_event = np.zeros(times.size)
    event_times, event_counts = value_counts(np.sort(time[event == 1]))
    n_event[np.searchsorted(times, event_times)] = event_counts
    return times, n_risk, n_event, n_total - n_event


def value_counts(ordered: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Distinct values of a sorted array and how often each occurs."""
    starts = block_starts(ordered)
    return ordered[starts], np.diff(np.append(starts, ordered.size)).astype(np.float64)
