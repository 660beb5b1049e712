"""Checks and coercion for survival data: one place that says what a valid input is.

Every estimator calls these before any arithmetic so that a bad time, event code or group reaches
the user as an ``InvalidInput`` naming the field, the row and what to check.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from oncotrial.errors import InvalidInput


@dataclass(frozen=True, eq=False)
class SurvivalData:
    """Validated survival data: times >= 0, events in {0, 1}, optional group and stratum codes."""

    time: np.ndarray
    event: np.ndarray
    group: np.ndarray | None = None
    group_levels: tuple = ()
    strata: np.ndarray | None = None
    strata_levels: tuple = ()

    @property
    def n(self) -> int:
        return int(self.time.size)


def _first_bad(mask: np.ndarray) -> int:
    return int(np.flatnonzero(mask)[0])


def check_times(time, field: str = "time") -> np.ndarray:
    """Return times as float64, raising ``InvalidInput`` on missing, infinite or negative values."""
    try:
        values = np.asarray(time, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise InvalidInput(
            f"{field} must be numbers (days or months since the origin)",
            field=field,
            hint="check for text or dates in the time column",
        ) from exc
    if values.ndim != 1 or values.size == 0:
        raise InvalidInput(f"{field} must be a non-empty one-dimensional sequence", field=field)
    if not np.all(np.isfinite(values)):
        row = _first_bad(~np.isfinite(values))
        raise InvalidInput(
            f"{field} is missing or infinite at row {row}",
            field=field,
            hint="derive the time to event for every subject, or drop subjects without follow-up",
        )
    if np.any(values < 0):
        row = _first_bad(values < 0)
        raise InvalidInput(
            f"{field} is negative ({values[row]:g}) at row {row}; times must be >= 0",
            field=field,
            hint="check that the event date is not before the origin (randomization or enrolment)",
        )
    return values


def check_events(event, n: int, field: str = "event", codes=(0, 1)) -> np.ndarray:
    """Return event codes as int64, raising ``InvalidInput`` on codes outside ``codes``."""
    raw = np.asarray(event)
    if raw.ndim != 1 or raw.size != n:
        raise InvalidInput(f"{field} must have one value per subject ({n})", field=field)
    try:
        values = raw.astype(np.float64)
    except (TypeError, ValueError) as exc:
        raise InvalidInput(f"{field} must be numeric codes {codes}", field=field) from exc
    bad = np.ones(values.size, dtype=bool)
    for code in codes:
        bad &= values != code
    if bad.any():
        row = _first_bad(bad)
        shown = raw[row].item() if isinstance(raw[row], np.generic) else raw[row]
        raise InvalidInput(
            f"{field} at row {row} is {shown!r}; allowed codes are {list(codes)}",
            field=field,
            hint="code 1 for the event (progression or death), 0 for censored",
        )
    return values.astype(np.int64)


def check_labels(labels, n: int, field: str, levels: Sequence | None = None):
    """Return (integer codes 0..k-1, level tuple); levels default to the sorted unique labels."""
    raw = np.asarray(labels)
    if raw.ndim != 1 or raw.size != n:
        raise InvalidInput(f"{field} must have one value per subject ({n})", field=field)
    if raw.dtype.kind == "f":
        missing = np.isnan(raw)
    elif raw.dtype == object:
        missing = np.fromiter((v is None or v != v for v in raw.tolist()), dtype=bool, count=n)
    else:
        missing = np.zeros(n, dtype=bool)
    if missing.any():
        row = _first_bad(missing)
        raise InvalidInput(f"{field} is missing at row {row}", field=field,
                           hint=f"give every subject a {field}, or drop the row")
    if raw.dtype.kind in "iub" and raw.min() >= 0 and raw.max() < 10 * n + 1000:
        # small non-negative integer codes (arms, strata): a counting pass, fast at n = 1e6
        codes = raw.astype(np.int64)  # a copy: callers' arrays are never aliased
        present = np.bincount(codes) > 0
        uniq = np.flatnonzero(present)
        inverse = codes if present.all() else (np.cumsum(present) - 1)[codes]
    else:
        uniq, inverse = np.unique(raw, return_inverse=True)
    if levels is None:
        return inverse.astype(np.int64, copy=False), tuple(uniq.tolist())
    levels = tuple(levels)
    position = {level: code for code, level in enumerate(levels)}
    unknown = [v for v in uniq.tolist() if v not in position]
    if unknown:
        raise InvalidInput(f"{field} value {unknown[0]!r} is not one of {list(levels)}",
                           field=field, hint=f"list every {field} level, reference level first")
    mapping = np.array([position[v] for v in uniq.tolist()], dtype=np.int64)
    return mapping[inverse], levels


def check_survival_data(time, event, group=None, strata=None, *, group_levels=None,
                        strata_levels=None) -> SurvivalData:
    """Validate the columns of a survival analysis and return them as arrays."""
    times = check_times(time)
    events = check_events(event, times.size)
    groups, glevels = (None, ())
    if group is not None:
        groups, glevels = check_labels(group, times.size, "group", group_levels)
    codes, slevels = (None, ())
    if strata is not None:
        codes, slevels = check_labels(strata, times.size, "strata", strata_levels)
    return SurvivalData(times, events, groups, glevels, codes, slevels)
