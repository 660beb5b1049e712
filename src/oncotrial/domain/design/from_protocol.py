"""Simulation models from a protocol's design section and imaging schedule (seed-trials.md §4-§5).

The protocol says what the trial assumes (sample size, accrual, follow-up, drop-out, the control
12-month PFS rate and the hazard ratio, or p0/p1 for a single-arm trial) and when tumours are
imaged; the simulation takes its defaults from there, and any of them can be overridden.
"""

from __future__ import annotations

from dataclasses import replace

from oncotrial.domain.design.models import AnalysisRule, PiecewiseExponential, ScanSchedule
from oncotrial.domain.design.simon import compute_simon_designs
from oncotrial.domain.design.simulation import SingleArmTrial, TwoArmTrial
from oncotrial.domain.protocol.model import AssessmentSchedule, Protocol
from oncotrial.errors import InvalidInput

DAYS_PER_MONTH = 365.25 / 12


def derive_scan_schedule(schedule: AssessmentSchedule) -> ScanSchedule:
    """Imaging phases (days) as a scan schedule in months: the first phase until its end, then the
    second phase's interval (its window is taken as the first phase's)."""
    first = schedule.phases[0]
    later = schedule.phases[1] if len(schedule.phases) > 1 else None
    until = first.until_day / DAYS_PER_MONTH if first.until_day is not None and later else None
    return ScanSchedule(
        interval_months=first.interval_days / DAYS_PER_MONTH,
        window_months=first.window_days / DAYS_PER_MONTH,
        until_months=until,
        later_interval_months=later.interval_days / DAYS_PER_MONTH if later else None)


def _need(value, name: str, protocol: Protocol):
    if value is None:
        raise InvalidInput(f"protocol {protocol.id} has no design.{name}", field=f"design.{name}",
                           hint=f"add design.{name} to the protocol or pass it on the command line")
    return value


def derive_two_arm_trial(protocol: Protocol, **overrides) -> TwoArmTrial:
    """A :class:`TwoArmTrial` from a ``two_arm_logrank`` design; analysis at
    ``events_at_analysis`` or else at accrual + follow-up; one-sided alpha = alpha / sides."""
    d = protocol.design
    landmark = d.landmark_months or 12.0
    control = PiecewiseExponential.from_landmark(_need(d.control_landmark_rate,
                                                       "control_landmark_rate", protocol), landmark)
    accrual = _need(d.accrual_months, "accrual_months", protocol)
    if d.events_at_analysis:
        analysis = AnalysisRule(events=d.events_at_analysis)
    else:
        analysis = AnalysisRule(calendar_months=accrual + _need(d.followup_months, "followup_months",
                                                                protocol))
    weights = [w.weight for w in protocol.randomization.ratio] or [1, 1]
    trial = TwoArmTrial(
        subjects=_need(d.sample_size, "sample_size", protocol), accrual_months=accrual,
        control_pfs=control, hazard_ratio=_need(d.hazard_ratio, "hazard_ratio", protocol),
        analysis=analysis, alpha=d.alpha / d.sides, allocation_ratio=weights[0] / weights[-1],
        dropout_per_year=d.dropout_per_year, scans=derive_scan_schedule(protocol.assessment_schedule))
    return replace(trial, **overrides)


def derive_single_arm_trial(protocol: Protocol, *, hazard_ratio: float | None = None,
                            rate: float | None = None, **overrides) -> SingleArmTrial:
    """A :class:`SingleArmTrial` from a ``simon_two_stage`` or ``single_arm_landmark`` design.

    The true landmark rate is ``rate``, or ``p0 ** hazard_ratio`` (a hazard ratio against the null
    curve), or by default ``p1``. A Simon design also judges the binary landmark status by the
    optimal design for the protocol's p0, p1, alpha and power.
    """
    d = protocol.design
    p0 = _need(d.p0, "p0", protocol)
    p1 = _need(d.p1, "p1", protocol)
    landmark = d.landmark_months or 12.0
    truth = rate if rate is not None else (p0**hazard_ratio if hazard_ratio is not None else p1)
    simon = None
    if d.method == "simon_two_stage":
        optimal = compute_simon_designs(p0, p1, d.alpha, 1.0 - d.power).optimal
        simon = (optimal.r1, optimal.n1, optimal.r, optimal.n)
    subjects = d.sample_size or (simon[3] if simon else None)
    trial = SingleArmTrial(
        subjects=_need(subjects, "sample_size", protocol),
        accrual_months=_need(d.accrual_months, "accrual_months", protocol),
        pfs=PiecewiseExponential.from_landmark(truth, landmark), p0=p0, landmark_months=landmark,
        alpha=d.alpha / d.sides, dropout_per_year=d.dropout_per_year,
        scans=derive_scan_schedule(protocol.assessment_schedule), simon=simon)
    return replace(trial, **overrides)


def derive_simulation_trial(protocol: Protocol, *, hazard_ratio: float | None = None,
                            rate: float | None = None, **overrides) -> TwoArmTrial | SingleArmTrial:
    """The simulation model the protocol's design method calls for, with overrides applied."""
    method = protocol.design.method
    if method == "two_arm_logrank":
        if rate is not None:
            raise InvalidInput("--rate applies to single-arm designs", field="rate",
                               hint="use --hr for a two-arm trial")
        extra = {} if hazard_ratio is None else {"hazard_ratio": hazard_ratio}
        return derive_two_arm_trial(protocol, **extra, **overrides)
    if method in ("simon_two_stage", "single_arm_landmark"):
        return derive_single_arm_trial(protocol, hazard_ratio=hazard_ratio, rate=rate, **overrides)
    raise InvalidInput(f"protocol {protocol.id} has design method '{method}', which has nothing "
                       "to simulate", field="design.method",
                       hint="use two_arm_logrank, simon_two_stage or single_arm_landmark")


__all__ = ["derive_scan_schedule", "derive_simulation_trial", "derive_single_arm_trial",
           "derive_two_arm_trial"]
