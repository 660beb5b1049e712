"""Plain JSON-ready Python from the frozen result values: dates as ISO text, NaN as None."""

from __future__ import annotations

import dataclasses
import math
from datetime import date
from types import MappingProxyType

import numpy as np


def to_plain(value):
    """JSON-ready Python for any result value (dataclasses become dicts of their fields).

    >>> from datetime import date
    >>> to_plain({"when": date(2025, 1, 2), "x": float("nan"), "t": (1, 2)})
    {'when': '2025-01-02', 'x': None, 't': [1, 2]}
    """
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: to_plain(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, np.ndarray):
        return [to_plain(v) for v in value.tolist()]
    if isinstance(value, (list, tuple)):
        return [to_plain(v) for v in value]
    if isinstance(value, (dict, MappingProxyType)):
        return {str(k): to_plain(v) for k, v in value.items()}
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def finite(value) -> float | None:
    """A float, or None where the number is missing or not finite (R's NA).

    >>> finite(float("nan")) is None, finite(2)
    (True, 2.0)
    """
    if value is None:
        return None
    number = float(value)
    return number if math.isfinite(number) else None
