"""Vectorised building blocks shared by the estimators: one sort, then counts per distinct time.

Nothing here loops over subjects in Python; every quantity is a ``bincount``, ``cumsum`` or
``reduceat`` over the sorted data, which is what makes n = 1e6 fast.
"""

from __future__ import annotations

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


def sort_with_events(time: np.ndarray, event: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Times sorted ascending with their 0/1 events, ties ordered censored first, by one value
    sort: for non-negative doubles the IEEE bit pattern orders like the value, so
    (bits << 1) | event is a sortable unsigned key that carries the event along."""
    bits = (time + 0.0).view(np.uint64)  # + 0.0 turns -0.0 into 0.0
    key = np.sort((bits << np.uint64(1)) | (event == 1).astype(np.uint64))
    return (key >> np.uint64(1)).view(np.float64), (key & np.uint64(1)).astype(np.float64)


def count_table(time: np.ndarray, event: np.ndarray):
    """Distinct times with numbers at risk, events and censored (R survfit's rows), from one
    value sort (``sort_with_events``).  Returns float arrays
    ``(times, n_risk, n_event, n_censor)``."""
    ordered, events = sort_with_events(time, event)
    starts = block_starts(ordered)
    times = ordered[starts]
    n_total = np.diff(np.append(starts, ordered.size)).astype(np.float64)
    n_risk = (ordered.size - starts).astype(np.float64)
    n_event = np.add.reduceat(events, starts) if starts.size else np.zeros(0)
    return times, n_risk, n_event, n_total - n_event


def value_counts(ordered: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Distinct values of a sorted array and how often each occurs."""
    starts = block_starts(ordered)
    return ordered[starts], np.diff(np.append(starts, ordered.size)).astype(np.float64)
