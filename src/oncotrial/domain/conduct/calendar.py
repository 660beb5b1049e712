"""A subject's treatment and assessment calendar, derived from the protocol and what happened.

:func:`derive_calendar` takes a :class:`~oncotrial.domain.protocol.model.Protocol`, one subject's actual
events (:class:`SubjectEvents`: enrolment, randomization, procedures, doses given, holds and delays,
reductions, stops, progression, off-treatment, off-study, death) and an as-of date, and returns a
:class:`Calendar`: every cycle given with its window verdict, the next dose on each drug clock, the
planned first procedures, the imaging and survival-contact calendar, and flags for what is overdue or
out of window. Events dated after the as-of date are ignored, so a calendar can be replayed as it
stood on any day.

The rules (seed-trials.md §2.3, §3.3):

* Each drug clock runs on its own (q2w chemotherapy beside a q3w antibody); a hold on one clock never
  moves another.
* The next cycle is due ``cycle_days`` after the actual previous day 1, so a delay moves every later
  cycle.
* A start rule anchored on ``procedure:<kind>`` with ``each_anchor`` restarts after every such
  procedure (trial A: chemotherapy + camrelizumab 7 days after each ablation); a new anchor that falls
  inside a running cycle follows ``reanchor_policy``.
* Imaging is anchored on randomization (or enrolment), never on cycles, so treatment delays do not
  move scans; it stops at progression, after which survival contacts follow until death or off-study.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any, Literal

from oncotrial.domain.conduct.dose_clocks import (
    ClockPlan,
    PlannedDose,
    assign_events_to_clocks,
    derive_anchor_dates,
    derive_clock_plan,
    derive_subject_clocks,
    find_first_dose,
)
from oncotrial.domain.conduct.subject_events import SubjectEvents, events_as_of
from oncotrial.domain.conduct.visits import AssessmentStatus, PlannedAssessment, derive_assessment_plan, plan_visit
from oncotrial.domain.protocol.model import Protocol
from oncotrial.errors import InvalidInput

SubjectStatus = Literal["not_started", "on_treatment", "follow_up", "survival_follow_up",
                        "off_study", "dead"]

# The protocol model has no window for survival contacts; ±14 days around a 3-monthly call is the
# usual allowance [ASSUMPTION, seed-trials.md §3.1 lists the contact interval only].


# --- the subject's actual events -------------------------------------------------------------














# --- the plan ---------------------------------------------------------------------------------






@dataclass(frozen=True)
class PlannedProcedure:
    """A protocol procedure's first session, due by its start rule (e.g. SBRT 7 days after randomization)."""

    kind: str
    due: date
    window_start: date
    window_end: date
    status: AssessmentStatus
    done_on: date | None = None






@dataclass(frozen=True)
class CalendarFlag:
    """Something for the site to act on or explain: an overdue or out-of-window dose or visit."""

    kind: str
    date: date
    message: str


@dataclass(frozen=True)
class Calendar:
    """A subject's calendar on ``as_of`` (see :func:`derive_calendar`)."""

    subject_id: str
    arm: str
    as_of: date
    status: SubjectStatus
    clocks: tuple[ClockPlan, ...]
    doses: tuple[PlannedDose, ...]
    procedures: tuple[PlannedProcedure, ...]
    assessments: tuple[PlannedAssessment, ...]
    unscheduled_assessments: tuple[date, ...]
    flags: tuple[CalendarFlag, ...]

    def clock(self, name: str) -> ClockPlan:
        for plan in self.clocks:
            if plan.clock == name:
                return plan
        raise InvalidInput(f"subject {self.subject_id} has no drug clock '{name}'; "
                           f"clocks: {', '.join(c.clock for c in self.clocks)}", field="clock")

    @property
    def next_doses(self) -> tuple[PlannedDose, ...]:
        return tuple(c.next_dose for c in self.clocks if c.next_dose is not None)

    @property
    def next_assessment(self) -> PlannedAssessment | None:
        pending = [a for a in self.assessments if a.status in ("planned", "overdue")]
        return min(pending, key=lambda a: a.due) if pending else None

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON form (dates as ISO text)."""
        return _plain(self)


def derive_calendar(protocol: Protocol, subject_events: SubjectEvents, as_of: date) -> Calendar:
    """Derive one subject's calendar on ``as_of`` (rules in the module docstring).

    Raises :class:`InvalidInput` for an unknown arm, a missing per-patient regimen choice (naming the
    allowed regimens), an event naming no clock of the subject, or an event dated after death.

    >>> from oncotrial.protocols import load_builtin_protocol
    >>> trial_a = load_builtin_protocol("crlm-mwa-camrelizumab")
    >>> events = SubjectEvents.from_dict({
    ...     "subject_id": "A-001", "arm": "mwa-chemo-camrelizumab", "enrolment_date": "2025-01-06",
    ...     "regimen_choices": {"chemotherapy": "mfolfox6"},
    ...     "procedures": [{"kind": "ablation", "date": "2025-01-10"}]})
    >>> [(d.clock, d.due.isoformat()) for d in derive_calendar(trial_a, events, date(2025, 1, 12)).next_doses]
    [('antibody', '2025-01-17'), ('chemotherapy', '2025-01-17')]
    """
    check_subject_events(protocol, subject_events)
    arm = protocol.arm(subject_events.arm)
    clocks = derive_subject_clocks(protocol, subject_events)
    events = events_as_of(assign_events_to_clocks(subject_events, clocks), as_of)
    plans, doses = [], []
    for clock in clocks:
        plan, history = derive_clock_plan(clock, clocks, events, as_of)
        plans.append(plan)
        doses += history + ([plan.next_dose] if plan.next_dose else [])
    procedures = _derive_procedures(protocol, arm.starts, clocks, events, as_of)
    assessments, unscheduled = derive_assessment_plan(protocol, events, as_of)
    doses.sort(key=lambda d: (d.due, d.clock))
    return Calendar(events.subject_id, events.arm, as_of, _subject_status(events, plans),
                    tuple(plans), tuple(doses), procedures, assessments, unscheduled,
                    _derive_flags(doses, procedures, assessments, events))


def check_subject_events(protocol: Protocol, events: SubjectEvents) -> None:
    """Raise :class:`InvalidInput` for events that cannot be true: anything dated after death or
    off-study, a dose before enrolment, a hold that ends before it starts."""
    ends = [(events.death_date, "death"), (events.off_study_date, "off-study")]
    dated = [(f"doses[{i}].date", d.date) for i, d in enumerate(events.doses)]
    dated += [(f"procedures[{i}].date", p.date) for i, p in enumerate(events.procedures)]
    dated += [(f"assessments[{i}]", d) for i, d in enumerate(events.assessments)]
    for limit, name in ends:
        for path, when in dated:
            if limit and when > limit:
                raise InvalidInput(f"subject {events.subject_id}: {path} {when} is after {name} ({limit})",
                                   field=path, hint=f"correct the date or the {name} date")
    start = events.enrolment_date or events.randomization_date
    for i, dose in enumerate(events.doses):
        if start and dose.date < start:
            raise InvalidInput(f"subject {events.subject_id}: doses[{i}].date {dose.date} is before "
                               f"enrolment ({start})", field=f"doses[{i}].date")
    for i, hold in enumerate(events.holds):
        if hold.end and hold.end < hold.start:
            raise InvalidInput(f"subject {events.subject_id}: holds[{i}] ends ({hold.end}) before it "
                               f"starts ({hold.start})", field=f"holds[{i}].end")


# --- drug clocks --------------------------------------------------------------------------------


































# --- procedures, assessments, flags, status ------------------------------------------------------


def _derive_procedures(protocol, starts, clocks, events, as_of) -> tuple[PlannedProcedure, ...]:
    """The first session of each procedure a start rule schedules (later sessions are not planned)."""
    out = []
    for rule in starts:
        for item in rule.items:
            intervention = protocol.intervention(item)
            if intervention.procedure is None:
                continue
            anchors = derive_anchor_dates(rule, events, lambda i: find_first_dose(i, clocks, events))
            if not anchors:
                continue
            kind = intervention.procedure.kind
            due = anchors[0] + timedelta(rule.offset_days)
            done = sorted(p.date for p in events.procedures if p.kind == kind)
            out.append(plan_visit(PlannedProcedure, due, rule.window_days, done[0] if done else None,
                              as_of, events, kind=kind))
    return tuple(out)






















def _derive_flags(doses, procedures, assessments, events) -> tuple[CalendarFlag, ...]:
    flags = []
    for d in doses:
        if d.status == "overdue":
            flags.append(CalendarFlag("dose_overdue", d.due, f"{d.clock} cycle {d.cycle} was due {d.due} "
                                      f"(window to {d.window_end}) and has not been given"))
        elif d.status == "out_of_window":
            flags.append(CalendarFlag("dose_out_of_window", d.given_on, f"{d.clock} cycle {d.cycle} given "
                                      f"{d.given_on}, outside its window {d.window_start} to {d.window_end}"))
        if d.given_on and events.progression_date and d.given_on > events.progression_date:
            flags.append(CalendarFlag("dose_after_progression", d.given_on, f"{d.clock} cycle {d.cycle} "
                                      f"given {d.given_on}, after progression on {events.progression_date}"))
    for p in procedures:
        if p.status in ("overdue", "out_of_window"):
            flags.append(CalendarFlag(f"procedure_{p.status}", p.done_on or p.due,
                                      f"{p.kind} due {p.due} (window {p.window_start} to {p.window_end}) "
                                      f"is {p.status.replace('_', ' ')}"))
    for a in assessments:
        if a.status in ("overdue", "out_of_window", "missed"):
            label = a.kind.replace("_", " ") + (f" {a.number}" if a.number else "")
            flags.append(CalendarFlag(f"{a.kind}_{a.status}", a.done_on or a.due,
                                      f"{label} due {a.due} (window {a.window_start} to {a.window_end}) "
                                      f"is {a.status.replace('_', ' ')}"
                                      + (f": done {a.done_on}" if a.done_on else "")))
    return tuple(sorted(flags, key=lambda f: (f.date, f.kind)))


def _subject_status(events: SubjectEvents, plans) -> SubjectStatus:
    if events.death_date:
        return "dead"
    if events.off_study_date:
        return "off_study"
    if any(p.state in ("active", "held") for p in plans):
        return "on_treatment"
    if events.progression_date:
        return "survival_follow_up"
    if events.off_treatment_date or any(p.cycles_given for p in plans):
        return "follow_up"
    return "not_started" if not events.procedures else "on_treatment"




# --- plain-data forms ------------------------------------------------------------------------------


def _plain(value):
    if hasattr(value, "__dataclass_fields__"):
        return {name: _plain(getattr(value, name)) for name in value.__dataclass_fields__}
    if isinstance(value, tuple | list):
        return [_plain(item) for item in value]
    if isinstance(value, date):
        return value.isoformat()
    return value








