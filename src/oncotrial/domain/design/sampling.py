"""The array program of one chunk of simulated trials: entry, event times, what scans see.

Arrays are ``(trials, subjects)`` float32; ``rng`` is a numpy (or device) generator and ``xp`` the
array module. Used by :mod:`oncotrial.domain.design.simulation` and its single-arm and
group-sequential variants.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from oncotrial.domain.design.models import AnalysisRule, PiecewiseExponential, ScanSchedule
from oncotrial.errors import InvalidInput


def entry_times(trials: int, subjects: int, accrual_months: float, accrual: str, rng, xp):
    """Calendar entry (months) of every subject: ``even`` spacing over the accrual period, or
    uniform random entry (rpact's constant accrual intensity)."""
    if accrual == "even":
        step = accrual_months / subjects
        row = xp.arange(1, subjects + 1, dtype=xp.float32) * xp.float32(step)
        return xp.broadcast_to(row, (trials, subjects))
    return rng.random((trials, subjects), dtype=np.float32) * np.float32(accrual_months)


def unit_exponentials(rng, shape):
    """Unit exponentials as ``-ln(1 - U)`` from float32 uniforms, in place.

    About twice as fast as ``standard_exponential(dtype=float32)`` here; the float32 grid truncates
    the tail at 16.6 (probability 6e-8).
    """
    draws = rng.random(shape, dtype=np.float32)
    np.subtract(np.float32(1.0), draws, out=draws)
    np.log(draws, out=draws)
    return np.negative(draws, out=draws)


def dropout_times(dropout_per_year: float, shape, rng):
    """Exponential drop-out times for an annual drop-out probability (``-ln(1 - p) / 12`` per month,
    as rpact's ``dropoutRate1/2`` with ``dropoutTime = 12``); ``None`` when there is no drop-out."""
    if dropout_per_year <= 0.0:
        return None
    hazard = -np.log1p(-dropout_per_year) / 12.0
    return unit_exponentials(rng, shape) * np.float32(1.0 / hazard)


def detected_times(true_time, scans: ScanSchedule, rng, xp):
    """Date each progression at the first (window-jittered) scan on or after it."""
    if scans.continuous:
        return true_time
    # Beyond 100 years no scan is needed: later times are kept as they are (see the clip below).
    horizon = min(float(xp.max(true_time[xp.isfinite(true_time)])), 1200.0) + 2 * scans.interval_months
    nominal = xp.asarray(scans.nominal_times(horizon).astype(np.float32))
    w = np.float32(scans.window_months)
    index = xp.searchsorted(nominal, true_time - w, side="left")
    index = xp.clip(index, 0, nominal.size - 1)
    seen = nominal[index]
    if w > 0:
        seen = seen + (rng.random(true_time.shape, dtype=np.float32) * 2 - 1) * w
        later = xp.clip(index + 1, 0, nominal.size - 1)
        jitter = (rng.random(true_time.shape, dtype=np.float32) * 2 - 1) * w
        seen = xp.where(seen < true_time, nominal[later] + jitter, seen)
    return xp.maximum(seen, true_time)


def last_scan_before(time, scans: ScanSchedule, xp):
    """Censoring at the last scheduled scan on or before ``time`` (the last adequate assessment)."""
    if scans.continuous:
        return time
    finite = time[xp.isfinite(time)]
    horizon = float(xp.max(finite)) + scans.interval_months if finite.size else 1.0
    nominal = xp.asarray(scans.nominal_times(horizon).astype(np.float32))
    index = xp.clip(xp.searchsorted(nominal, time, side="right") - 1, 0, nominal.size - 1)
    return xp.where(xp.isfinite(time), nominal[index], time)


def analysis_times(calendar_event, analysis: AnalysisRule, xp):
    """Calendar time of each trial's analysis; +inf where the events are never reached."""
    trials, subjects = calendar_event.shape
    if analysis.calendar_months is not None:
        return xp.full((trials, 1), analysis.calendar_months, dtype=xp.float32)
    if analysis.events > subjects:
        raise InvalidInput(f"the analysis needs {analysis.events} events but only {subjects} "
                           "subjects are enrolled", field="events",
                           hint=f"ask for at most {subjects} events")
    return kth_event_times(calendar_event, [analysis.events], xp)[0]


def kth_event_times(calendar_event, counts, xp) -> list:
    """Calendar times of the k-th event for each k in ``counts`` (``(trials, 1)`` arrays)."""
    # Positive float32 values (and +inf) sort like their int32 bit patterns; the int sort is
    # several times faster than a float partition.
    ordered = xp.sort(xp.ascontiguousarray(calendar_event).view(xp.int32), axis=1)
    return [xp.ascontiguousarray(ordered[:, k - 1:k]).view(xp.float32) for k in counts]


@dataclass(frozen=True)
class Observed:
    time: object
    event: object
    enrolled: object
    analysis: object


def observe(entry, true_time, dropout, scans: ScanSchedule, analysis, rng, xp) -> Observed:
    """What the analysis sees: detected events before drop-out and before the analysis.

    Subjects not yet enrolled at the analysis get a negative time, which the kernel leaves out.
    """
    seen = detected_times(true_time, scans, rng, xp)
    calendar = event_calendar(entry, seen, dropout, xp)
    return observe_at(entry, seen, calendar, dropout, scans, analysis_times(calendar, analysis, xp), xp)


def event_calendar(entry, seen, dropout, xp):
    """Calendar time of each detectable event (+inf when drop-out comes first)."""
    calendar = entry + seen
    if dropout is not None:
        calendar = xp.where(seen <= dropout, calendar, xp.float32(np.inf))
    return calendar


def observe_at(entry, seen, calendar, dropout, scans: ScanSchedule, tau, xp) -> Observed:
    """Times and events at analysis times ``tau`` (one per trial, +inf: after the last event)."""
    if not bool(xp.isfinite(tau).all()):
        last = xp.max(xp.where(xp.isfinite(calendar), calendar, 0), axis=1, keepdims=True)
        analysed_at = xp.where(xp.isfinite(tau), tau, last)
    else:
        analysed_at = tau
    follow = analysed_at - entry
    event = calendar <= analysed_at
    if dropout is None and scans.continuous:
        # An event is seen by the analysis exactly when its time is within the follow-up.
        return Observed(xp.minimum(seen, follow), event, None, tau[:, 0])
    censor = follow if dropout is None else xp.minimum(follow, dropout)
    censor = xp.where(follow >= 0, last_scan_before(censor, scans, xp), follow)
    return Observed(xp.where(event, seen, censor), event, None, tau[:, 0])


def arm_event_times(unit, treated, control: PiecewiseExponential, hazard_ratio: float, xp):
    """True event times from unit exponentials: the control curve, or the control hazards times
    ``hazard_ratio`` (proportional hazards) for treated subjects, by inversion of the piecewise curve."""
    treated_curve = control.scaled(hazard_ratio)
    if len(control.hazards) == 1 and treated.ndim == 2 and treated.strides[0] == 0:
        scale = xp.where(treated[0], xp.float32(1.0 / treated_curve.hazards[0]),
                         xp.float32(1.0 / control.hazards[0])).astype(xp.float32)
        return unit * scale[None, :]
    return xp.where(treated, treated_curve.times_for(unit, xp), control.times_for(unit, xp))
