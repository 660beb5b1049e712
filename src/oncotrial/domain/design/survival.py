"""Two-arm log-rank designs: events, subjects, analysis times and power.

Events follow Schoenfeld (Biometrika 1981;68:316-319), Freedman (Stat Med 1982;1:121-129) or
Hsieh's form of Freedman for unequal allocation (Hsieh, Stat Med 1992;11:1091-1098; rpact's
"HsiehFreedman").
Subjects come from the probability of an event by the analysis under uniform accrual with
exponential survival and exponential drop-out competing, as rpact's ``getSampleSizeSurvival`` and
``getPowerSurvival`` compute them (rpact 3.3.4, ``.getEventProbabilities``): the probability that a
subject accrued uniformly over ``[0, a]`` has an event by calendar time ``T`` is
``1/a * integral_{T-a}^{T} lambda/(lambda+phi) (1 - exp(-(lambda+phi) x)) dx`` with drop-out hazard
``phi = -ln(1 - dropout rate) / dropout time``, per arm. Group-sequential designs inflate the events by the
design's inflation factor (see :mod:`oncotrial.domain.design.sequential`).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, replace

import numpy as np
from scipy.optimize import brentq
from scipy.stats import norm

from oncotrial.domain.design.checks import (
    check_alpha,
    check_error_rates,
    check_hazard_ratio,
    check_positive,
)
from oncotrial.domain.design.sequential import (
    GroupSequentialDesign,
    compute_crossing_probabilities,
    compute_drift_for_power,
)
from oncotrial.errors import InvalidInput

METHODS = ("Schoenfeld", "Freedman", "HsiehFreedman")


@dataclass(frozen=True)
class SurvivalAssumptions:
    """Control-arm hazard, hazard ratio, accrual, follow-up, drop-out and allocation (months).

    ``allocation_ratio`` is subjects on treatment per subject on control (rpact's
    ``allocationRatioPlanned``). ``dropout_rate`` is the probability of dropping out by
    ``dropout_months`` on control, and on treatment too unless ``treatment_dropout_rate`` is given
    (rpact's ``dropoutRate2`` and ``dropoutRate1``).  ``followup_months`` may be left out when the
    sample size is asked for a given number of subjects (the follow-up is then solved).
    """

    hazard_ratio: float
    control_median_months: float
    accrual_months: float | None = None
    followup_months: float | None = None
    accrual_per_month: float | None = None
    dropout_rate: float = 0.0
    dropout_months: float = 12.0
    allocation_ratio: float = 1.0
    treatment_dropout_rate: float | None = None

    @property
    def control_hazard(self) -> float:
        return math.log(2.0) / self.control_median_months

    @property
    def treatment_hazard(self) -> float:
        return self.control_hazard * self.hazard_ratio

    @property
    def dropout_hazard(self) -> float:
        return _dropout_hazard(self.dropout_rate, self.dropout_months)

    @property
    def treatment_dropout_hazard(self) -> float:
        rate = self.dropout_rate if self.treatment_dropout_rate is None else self.treatment_dropout_rate
        return _dropout_hazard(rate, self.dropout_months)


def _dropout_hazard(rate: float, months: float) -> float:
    """Exponential drop-out hazard with ``rate`` lost by ``months``."""
    return -math.log(1.0 - rate) / months if rate else 0.0


@dataclass(frozen=True)
class SurvivalSampleSize:
    """Events, subjects and timing of a log-rank design, unrounded as rpact reports them."""

    method: str
    alpha: float
    sides: int
    beta: float
    hazard_ratio: float
    events_per_stage: tuple[float, ...]
    subjects: float
    accrual_months: float
    accrual_per_month: float
    analysis_months: tuple[float, ...]
    critical_values: tuple[float, ...]
    critical_hazard_ratios: tuple[float, ...]
    expected_events_h0: float
    expected_events_h1: float
    warnings: tuple[str, ...] = field(default=())

    @property
    def events(self) -> float:
        return self.events_per_stage[-1]

    def to_dict(self) -> dict:
        return {name: (list(v) if isinstance(v, tuple) else v)
                for name, v in self.__dict__.items()}


def compute_event_probability(assumptions: SurvivalAssumptions, calendar_months: float) -> float:
    """Probability that a randomized subject has had an event by ``calendar_months`` after start.

    Averages the two arms with weights ``r/(1+r)`` and ``1/(1+r)`` (rpact
    ``.getEventProbabilitiesOverall``); accrual is uniform over ``[0, accrual_months]``.
    """
    a = assumptions
    r = a.allocation_ratio
    treated = _arm_event_probability(a.treatment_hazard, a.treatment_dropout_hazard,
                                     a.accrual_months, calendar_months)
    control = _arm_event_probability(a.control_hazard, a.dropout_hazard, a.accrual_months,
                                     calendar_months)
    return (r * treated + control) / (1.0 + r)


def _arm_event_probability(hazard: float, dropout: float, accrual: float, time: float) -> float:
    """``1/a * integral over follow-up x in [max(0, T-a), T] of P(event by x)``, in closed form."""
    total = hazard + dropout
    low, high = max(0.0, time - accrual), time

    def integral_of_cdf(x: float) -> float:  # antiderivative of 1 - exp(-total x)
        return x + math.expm1(-total * x) / total

    return hazard / total * (integral_of_cdf(high) - integral_of_cdf(low)) / accrual


def compute_logrank_events(
    hazard_ratio: float, alpha: float = 0.025, beta: float = 0.2, *, sides: int = 1,
    method: str = "Schoenfeld", allocation_ratio: float = 1.0,
) -> float:
    """Events needed by a fixed log-rank test.

    Schoenfeld: ``(z_a + z_b)^2 (1 + r)^2 / (r ln(HR)^2)``; Freedman:
    ``(z_a + z_b)^2 (1 + r HR)^2 / (r (1 - HR)^2)``; HsiehFreedman:
    ``(z_a + z_b)^2 (1 + HR)^2 (1 + r)^2 / (4 r (1 - HR)^2)``, with ``z_a`` at ``alpha / sides``
    (rpact ``.getEventsFixed``; the three agree at r = 1 for Freedman and HsiehFreedman).

    >>> round(compute_logrank_events(0.6, 0.025, 0.2), 4)
    120.3157
    """
    _check_design_inputs(hazard_ratio, alpha, beta, sides, method, allocation_ratio)
    z = norm.isf(alpha / sides) + norm.isf(beta)
    return float(z**2 / _drift_per_event(hazard_ratio, method, allocation_ratio) ** 2)


def _drift_per_event(hazard_ratio: float, method: str, r: float) -> float:
    """Expected log-rank z per square-root event."""
    if method == "Schoenfeld":
        return abs(math.log(hazard_ratio)) * math.sqrt(r) / (1.0 + r)
    if method == "HsiehFreedman":
        return 2.0 * math.sqrt(r) / (1.0 + r) * abs(1.0 - hazard_ratio) / (1.0 + hazard_ratio)
    return abs(1.0 - hazard_ratio) * math.sqrt(r) / (1.0 + r * hazard_ratio)


def _check_design_inputs(hazard_ratio, alpha, beta, sides, method, allocation_ratio) -> None:
    check_hazard_ratio(hazard_ratio)
    if beta is None:
        check_alpha(alpha / sides)
    else:
        check_error_rates(alpha / sides, beta)
    if sides not in (1, 2):
        raise InvalidInput(f"sides is {sides!r}; it must be 1 or 2", field="sides",
                           hint="one-sided alpha 0.025 equals two-sided 0.05")
    if method not in METHODS:
        raise InvalidInput(f"method {method!r} is unknown; use {' or '.join(METHODS)}",
                           field="method", hint="Schoenfeld is rpact's default")
    check_positive(allocation_ratio, "allocation_ratio")


def _check_assumptions(a: SurvivalAssumptions, *, need_followup: bool = True) -> SurvivalAssumptions:
    check_positive(a.control_median_months, "control_median_months")
    if a.accrual_months is None and a.accrual_per_month is None:
        raise InvalidInput("give the accrual time or the accrual intensity", field="accrual_months",
                           hint="e.g. accrual_months=24, or accrual_per_month=8")
    if a.accrual_months is not None:
        check_positive(a.accrual_months, "accrual_months")
    if a.accrual_per_month is not None:
        check_positive(a.accrual_per_month, "accrual_per_month")
    if need_followup:
        if a.followup_months is None:
            raise InvalidInput("followup_months is missing", field="followup_months",
                               hint="the minimum follow-up after the last subject is accrued, e.g. 12")
        check_positive(a.followup_months, "followup_months", allow_zero=True)
    for name in ("dropout_rate", "treatment_dropout_rate"):
        rate = getattr(a, name)
        if rate is not None and not 0.0 <= rate < 1.0:
            raise InvalidInput(f"{name} is {rate!r}; it must lie in [0, 1)", field=name,
                               hint="e.g. 0.05 for 5 % by dropout_months")
    check_positive(a.dropout_months, "dropout_months")
    return a


def compute_survival_sample_size(
    assumptions: SurvivalAssumptions, alpha: float = 0.025, beta: float = 0.2, *, sides: int = 1,
    method: str = "Schoenfeld", design: GroupSequentialDesign | None = None,
    subjects: float | None = None,
) -> SurvivalSampleSize:
    """Events and subjects for a two-arm log-rank design (fixed or group-sequential).

    With ``accrual_months`` and ``followup_months`` the subjects are ``events / P(event by
    accrual + follow-up)``; with ``accrual_per_month`` instead, the accrual time is solved so that
    ``intensity * a * P(event by a + follow-up) = events``.  With ``subjects`` (and no
    ``followup_months``) the follow-up is solved: the analysis is when those subjects are expected
    to show the events (rpact's ``maxNumberOfSubjects``). Interim analysis times are the calendar
    times at which the expected events reach each stage's events. Matches rpact
    ``getSampleSizeSurvival(design, typeOfComputation, hazardRatio, median2, accrualTime,
    followUpTime, dropoutRate1/2, dropoutTime, allocationRatioPlanned)``.

    Raises :class:`InvalidInput` for impossible inputs (negative accrual, HR of 1, alpha outside
    (0, 0.5)).
    """
    a = _check_assumptions(assumptions, need_followup=subjects is None)
    _check_design_inputs(a.hazard_ratio, alpha, beta, sides, method, a.allocation_ratio)
    if design is not None and sides != 1:
        raise InvalidInput("group-sequential designs here are one-sided", field="sides",
                           hint="use sides=1 with alpha halved (two-sided 0.05 -> one-sided 0.025)")
    fixed_events = compute_logrank_events(a.hazard_ratio, alpha, beta, sides=sides, method=method,
                                          allocation_ratio=a.allocation_ratio)
    rates = (1.0,) if design is None else design.information_rates
    drift = norm.isf(alpha / sides) + norm.isf(beta)
    if design is not None:
        drift = compute_drift_for_power(design, beta)
    events = fixed_events * (drift / (norm.isf(alpha / sides) + norm.isf(beta))) ** 2
    if subjects is None:
        a = _with_accrual(a, events)
        subjects = events / compute_event_probability(a, a.accrual_months + a.followup_months)
    else:
        a = _with_followup(a, subjects, events)
    stage_events = tuple(events * t for t in rates)
    times = tuple(_solve_analysis_time(a, subjects, e) for e in stage_events[:-1])
    times += (a.accrual_months + a.followup_months,)
    crit = (norm.isf(alpha / sides),) if design is None else design.critical_values
    expected = _expected_events(stage_events, crit, rates, drift, design)
    return SurvivalSampleSize(
        method, alpha, sides, beta, a.hazard_ratio, stage_events, subjects, a.accrual_months,
        subjects / a.accrual_months, times, tuple(crit),
        tuple(_critical_hazard_ratio(c, e, a) for c, e in zip(crit, stage_events, strict=True)),
        expected[0], expected[1], _design_warnings(events, subjects))


def _with_accrual(a: SurvivalAssumptions, events: float) -> SurvivalAssumptions:
    """Fill in the accrual time from the intensity when only the intensity is given."""
    if a.accrual_months is not None:
        return a

    def surplus(accrual: float) -> float:
        trial = _replace(a, accrual_months=accrual)
        return a.accrual_per_month * accrual * compute_event_probability(
            trial, accrual + a.followup_months) - events

    high = 1.0
    while surplus(high) < 0:
        high *= 2.0
        if high > 1e6:
            raise InvalidInput("the accrual intensity is too low to ever reach the events",
                               field="accrual_per_month", hint="raise the accrual intensity")
    return _replace(a, accrual_months=brentq(surplus, 1e-9, high, xtol=1e-14, rtol=1e-15))


def _with_followup(a: SurvivalAssumptions, subjects: float, events: float) -> SurvivalAssumptions:
    """Fill in the follow-up after accrual at which ``subjects`` are expected to show ``events``."""
    check_positive(subjects, "subjects")
    accrual = a.accrual_months or subjects / a.accrual_per_month
    a = _replace(a, accrual_months=accrual)
    analysis = _solve_analysis_time(a, subjects, events)
    if analysis <= accrual:
        raise InvalidInput(f"{subjects:g} subjects show {events:.1f} events before accrual ends "
                           f"(month {analysis:.1f} of {accrual:g})", field="subjects",
                           hint="fewer subjects suffice; or shorten accrual")
    return _replace(a, followup_months=analysis - accrual)


def _replace(a: SurvivalAssumptions, **changes) -> SurvivalAssumptions:
    return replace(a, **changes)


def _solve_analysis_time(a: SurvivalAssumptions, subjects: float, events: float) -> float:
    """Calendar time at which ``subjects`` accrued as assumed are expected to show ``events``."""
    def surplus(t: float) -> float:
        return subjects * compute_event_probability(a, t) - events

    high = a.accrual_months + (a.followup_months or 0.0) + 1.0
    while surplus(high) < 0:
        high *= 2.0
        if high > 1e6:
            raise InvalidInput(f"{subjects:.1f} subjects cannot produce {events:.1f} events",
                               field="events", hint="ask for fewer events than subjects")
    return brentq(surplus, 1e-9, high, xtol=1e-14, rtol=1e-15)


def _critical_hazard_ratio(critical_value: float, events: float, a: SurvivalAssumptions) -> float:
    """The HR at the boundary, ``exp(-c (1 + r) / sqrt(r D))`` (rpact, also for Freedman)."""
    r = a.allocation_ratio
    return math.exp(-critical_value * (1.0 + r) / math.sqrt(r * events))


def _expected_events(stage_events, crit, rates, drift, design) -> tuple[float, float]:
    if design is None:
        return stage_events[-1], stage_events[-1]
    result = []
    for theta in (0.0, drift):
        stop = compute_crossing_probabilities(crit, rates, theta)
        stop_before_last = np.append(stop[:-1], 1.0 - stop[:-1].sum())
        result.append(float(np.dot(stop_before_last, stage_events)))
    return result[0], result[1]


def _design_warnings(events: float, subjects: float) -> tuple[str, ...]:
    warnings = []
    if events > subjects:
        warnings.append("more events than subjects are needed: lengthen follow-up or accrual")
    if events < 20:
        warnings.append("fewer than 20 events: the normal approximation behind the log-rank "
                        "sample size is rough; check by simulation")
    return tuple(warnings)


@dataclass(frozen=True)
class SurvivalPower:
    """Power of a fixed log-rank test with a given number of subjects."""

    power: float
    events: float
    subjects: float
    analysis_months: float
    alpha: float
    sides: int
    method: str

    def to_dict(self) -> dict:
        return dict(self.__dict__)


def compute_survival_power(
    assumptions: SurvivalAssumptions, subjects: float, alpha: float = 0.025, *, sides: int = 1,
    events: float | None = None, method: str = "Schoenfeld",
) -> SurvivalPower:
    """Power of the fixed log-rank test: ``Phi(sqrt(D) * drift per event - z_{alpha/sides})``.

    The analysis is at ``events`` (its calendar time solved from the expected events) or, if
    ``events`` is not given, at accrual + follow-up with the expected events by then. Matches rpact
    ``getPowerSurvival(maxNumberOfSubjects, maxNumberOfEvents, accrualTime, ...)$overallReject``.
    """
    a = assumptions
    _check_design_inputs(a.hazard_ratio, alpha, None, sides, method, a.allocation_ratio)
    check_positive(subjects, "subjects")
    if a.accrual_months is None:
        a = _replace(a, accrual_months=subjects / a.accrual_per_month)
    a = _check_assumptions(a, need_followup=events is None)
    if events is None:
        time = a.accrual_months + a.followup_months
        events = subjects * compute_event_probability(a, time)
    else:
        check_positive(events, "events")
        time = _solve_analysis_time(a, subjects, events)
    drift = math.sqrt(events) * _drift_per_event(a.hazard_ratio, method, a.allocation_ratio)
    z = norm.isf(alpha / sides)
    power = norm.cdf(drift - z) + (norm.cdf(-drift - z) if sides == 2 else 0.0)
    return SurvivalPower(float(power), events, subjects, time, alpha, sides, method)
