"""Building blocks of a simulated trial: survival curves, scan schedules and analysis rules."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from oncotrial.domain.design.checks import check_positive
from oncotrial.errors import InvalidInput


@dataclass(frozen=True)
class PiecewiseExponential:
    """Hazard ``hazards[j]`` per month from ``starts[j]`` (``starts[0] == 0``) until the next start."""

    hazards: tuple[float, ...]
    starts: tuple[float, ...] = (0.0,)

    def __post_init__(self):
        if len(self.hazards) != len(self.starts) or not self.hazards or self.starts[0] != 0.0:
            raise InvalidInput("a piecewise-exponential curve needs one hazard per start, from 0",
                               field="hazards", hint="e.g. hazards=(0.06, 0.03), starts=(0, 12)")
        if any(h < 0 or not math.isfinite(h) for h in self.hazards) or self.hazards[-1] <= 0:
            raise InvalidInput(f"hazards {self.hazards} must be >= 0 and the last one > 0",
                               field="hazards", hint="a hazard of log(2)/median per month")
        if any(b <= a for a, b in zip(self.starts, self.starts[1:], strict=False)):
            raise InvalidInput(f"starts {self.starts} must increase", field="starts")

    @classmethod
    def from_median(cls, median_months: float) -> PiecewiseExponential:
        check_positive(median_months, "median_months")
        return cls((math.log(2.0) / median_months,))

    @classmethod
    def from_landmark(cls, rate: float, months: float) -> PiecewiseExponential:
        """Exponential curve with survival ``rate`` at ``months`` (e.g. 12-month PFS 0.6)."""
        if not 0.0 < rate < 1.0:
            raise InvalidInput(f"landmark rate is {rate!r}; it must lie in (0, 1)",
                               field="landmark_rate", hint="e.g. 0.6 for 60 % at 12 months")
        check_positive(months, "landmark_months")
        return cls((-math.log(rate) / months,))

    def scaled(self, hazard_ratio: float) -> PiecewiseExponential:
        check_positive(hazard_ratio, "hazard_ratio")
        return PiecewiseExponential(tuple(h * hazard_ratio for h in self.hazards), self.starts)

    def survival(self, t: float) -> float:
        return math.exp(-self.cumulative_hazard(t))

    def cumulative_hazard(self, t: float) -> float:
        edges = (*self.starts[1:], math.inf)
        return sum(h * max(0.0, min(t, end) - start)
                   for h, start, end in zip(self.hazards, self.starts, edges, strict=True))

    def median(self) -> float:
        return self.quantile_time(math.log(2.0))

    def quantile_time(self, cumulative_hazard: float) -> float:
        times = self.times_for(np.array([cumulative_hazard]), np)
        return float(times[0])

    def times_for(self, unit_exponential, xp=np):
        """Inverse cumulative hazard of unit-exponential draws (any shape, float32 kept)."""
        if len(self.hazards) == 1:
            return unit_exponential * unit_exponential.dtype.type(1.0 / self.hazards[0])
        starts = np.asarray(self.starts)
        rates = np.asarray(self.hazards)
        at_start = np.concatenate(([0.0], np.cumsum(rates[:-1] * np.diff(starts))))
        piece = xp.searchsorted(xp.asarray(at_start[1:]), unit_exponential, side="right")
        base_h = xp.asarray(at_start.astype(np.float32))[piece]
        base_t = xp.asarray(starts.astype(np.float32))[piece]
        rate = xp.asarray(rates.astype(np.float32))[piece]
        with np.errstate(divide="ignore"):
            return base_t + (unit_exponential - base_h) / rate


@dataclass(frozen=True)
class ScanSchedule:
    """When progression can be seen: scans every ``interval_months`` (± ``window_months``) up to
    ``until_months``, then every ``later_interval_months``; ``continuous`` sees it at once.

    Detection is interval-censoring: a progression at time t is dated at the first scan on or after
    t, which moves PFS later and 12-month PFS up (FDA PFS guidance; Panageas et al., JNCI 2007).
    """

    interval_months: float = 0.0
    window_months: float = 0.0
    until_months: float | None = None
    later_interval_months: float | None = None
    continuous: bool = False

    @classmethod
    def every(cls, interval_months: float, window_months: float = 0.0) -> ScanSchedule:
        return cls(interval_months, window_months)

    def __post_init__(self):
        if self.continuous:
            return
        check_positive(self.interval_months, "scan_interval_months")
        if not 0.0 <= self.window_months < self.interval_months / 2.0:
            raise InvalidInput(
                f"scan window ±{self.window_months} must be >= 0 and under half the interval "
                f"({self.interval_months})", field="scan_window_months", hint="e.g. 0.25 (±1 week)")

    def nominal_times(self, horizon_months: float) -> np.ndarray:
        """Scheduled scan times (months after entry), 0 first, up to past ``horizon_months``."""
        first_end = self.until_months if self.until_months is not None else horizon_months
        first = np.arange(0.0, min(first_end, horizon_months) + self.interval_months,
                          self.interval_months)
        if self.until_months is None or self.until_months >= horizon_months:
            return first
        step = self.later_interval_months or self.interval_months
        later = np.arange(first[-1] + step, horizon_months + step, step)
        return np.concatenate((first, later))


@dataclass(frozen=True)
class AnalysisRule:
    """Analyse at the ``events``-th observed event or at ``calendar_months`` after the first entry."""

    events: int | None = None
    calendar_months: float | None = None

    def __post_init__(self):
        if (self.events is None) == (self.calendar_months is None):
            raise InvalidInput("give exactly one of the analysis events or the calendar time",
                               field="analysis", hint="e.g. events=60 or calendar_months=36")
        if self.events is not None and (not isinstance(self.events, int) or self.events < 1):
            raise InvalidInput(f"analysis events is {self.events!r}; it must be a whole number >= 1",
                               field="events", hint="e.g. 60")
        if self.calendar_months is not None:
            check_positive(self.calendar_months, "calendar_months")

    @property
    def description(self) -> str:
        if self.events is not None:
            return f"at the {self.events}th event"
        return f"at month {self.calendar_months:g} after the first entry"
