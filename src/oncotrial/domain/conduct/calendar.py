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

from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import date, timedelta
from typing import Any, Literal

from oncotrial.domain.protocol.model import Protocol, Regimen, StartRule
from oncotrial.errors import InvalidInput

DoseStatus = Literal["given", "out_of_window", "planned", "overdue", "held"]
AssessmentStatus = Literal["done", "out_of_window", "planned", "overdue", "missed"]
ClockState = Literal["not_started", "active", "held", "completed", "stopped"]
SubjectStatus = Literal["not_started", "on_treatment", "follow_up", "survival_follow_up",
                        "off_study", "dead"]

# The protocol model has no window for survival contacts; ±14 days around a 3-monthly call is the
# usual allowance [ASSUMPTION, seed-trials.md §3.1 lists the contact interval only].


# --- the subject's actual events -------------------------------------------------------------


@dataclass(frozen=True)
class ProcedureDone:
    """A local therapy session that took place (an ablation session, an SBRT course, a resection)."""

    kind: str
    date: date
    end_date: date | None = None


@dataclass(frozen=True)
class DoseGiven:
    """Day 1 of a cycle given on ``date``; ``item`` is a clock, regimen or intervention id."""

    item: str
    date: date
    note: str = ""


@dataclass(frozen=True)
class DoseHold:
    """Dosing on one clock withheld from ``start``; until ``end`` (a delay) or open-ended."""

    item: str
    start: date
    end: date | None = None
    reason: str = ""


@dataclass(frozen=True)
class DoseReduction:
    """From ``date`` on, ``drug`` on the clock of ``item`` is given at ``percent`` of the protocol dose."""

    item: str
    drug: str
    date: date
    percent: float


@dataclass(frozen=True)
class DoseStop:
    """Permanent discontinuation from ``date``: of one ``drug`` of the clock, or of the whole clock."""

    item: str
    date: date
    drug: str = ""
    reason: str = ""


@dataclass(frozen=True)
class SubjectEvents:
    """What actually happened to one subject, as the calendar needs it.

    ``regimen_choices`` maps an intervention whose protocol ``choice`` is ``one_per_patient`` to the
    regimen chosen at enrolment (seed-trials.md §2.3: investigator's choice is a per-patient attribute),
    e.g. ``{"chemotherapy": "xelox"}``. ``assessments`` are the dates of tumour assessments done,
    ``survival_contacts`` the dates of survival follow-up contacts.
    """

    subject_id: str
    arm: str
    enrolment_date: date | None = None
    randomization_date: date | None = None
    regimen_choices: tuple[tuple[str, str], ...] = ()
    procedures: tuple[ProcedureDone, ...] = ()
    doses: tuple[DoseGiven, ...] = ()
    holds: tuple[DoseHold, ...] = ()
    reductions: tuple[DoseReduction, ...] = ()
    stops: tuple[DoseStop, ...] = ()
    assessments: tuple[date, ...] = ()
    survival_contacts: tuple[date, ...] = ()
    progression_date: date | None = None
    off_treatment_date: date | None = None
    off_treatment_reason: str = ""
    off_study_date: date | None = None
    death_date: date | None = None

    @classmethod
    def from_dict(cls, data: Mapping[str, Any], source: str = "events") -> SubjectEvents:
        """Read the plain (JSON/YAML) form; dates as ISO text or dates; errors name the field.

        ``delays: [{item, date, until, reason}]`` is accepted as holds that end on ``until``.
        """
        return _events_from_dict(data, source)

    def choice(self, intervention_id: str) -> str | None:
        return dict(self.regimen_choices).get(intervention_id)


# --- the plan ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class PlannedDrug:
    """One drug of a planned cycle with the share of the protocol dose after reductions."""

    drug: str
    dose: float
    unit: str
    basis: str
    route: str
    percent: float = 100.0


@dataclass(frozen=True)
class PlannedDose:
    """Day 1 of one cycle on one clock (seed-trials.md §2.1, §2.3).

    ``status``: ``given`` (inside its window), ``out_of_window`` (given outside it), ``planned`` (not
    yet given, window not yet passed), ``overdue`` (window passed on the as-of date) or ``held`` (an
    open hold on the clock). ``basis`` says what the due date was derived from.
    """

    clock: str
    regimens: tuple[str, ...]
    cycle: int
    due: date
    window_start: date
    window_end: date
    status: DoseStatus
    given_on: date | None = None
    drugs: tuple[PlannedDrug, ...] = ()
    basis: str = ""

    @property
    def regimen(self) -> str:
        return " + ".join(self.regimens)


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
class PlannedAssessment:
    """One visit of the assessment calendar (seed-trials.md §3.3): baseline or scheduled imaging, or
    a survival contact after progression. ``study_day`` counts from the schedule's anchor (day 0)."""

    kind: Literal["baseline_imaging", "imaging", "procedure_imaging", "survival_contact"]
    number: int
    due: date
    window_start: date
    window_end: date
    status: AssessmentStatus
    study_day: int
    done_on: date | None = None
    phase: int = 0


@dataclass(frozen=True)
class ClockPlan:
    """Where one drug clock stands: cycles given, state, why, and the next dose."""

    clock: str
    regimens: tuple[str, ...]
    cycle_days: int
    cycles_given: int
    state: ClockState
    reason: str = ""
    next_dose: PlannedDose | None = None


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
    clocks = _subject_clocks(protocol, subject_events)
    events = _events_as_of(_on_clocks(subject_events, clocks), as_of)
    plans, doses = [], []
    for clock in clocks:
        plan, history = _derive_clock(clock, clocks, events, as_of)
        plans.append(plan)
        doses += history + ([plan.next_dose] if plan.next_dose else [])
    procedures = _derive_procedures(protocol, arm.starts, clocks, events, as_of)
    assessments, unscheduled = _derive_assessments(protocol, events, as_of)
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


@dataclass(frozen=True)
class _Clock:
    name: str
    regimens: tuple[Regimen, ...]
    interventions: tuple[str, ...]
    rule: StartRule

    @property
    def cycle_days(self) -> int:
        return self.regimens[0].cycle_days

    @property
    def window_days(self) -> int:
        return max(r.window_days for r in self.regimens)

    @property
    def max_cycles(self) -> int | None:
        limits = [r.max_cycles for r in self.regimens if r.max_cycles is not None]
        return min(limits) if limits else None

    @property
    def max_days(self) -> int | None:
        limits = [r.max_days for r in self.regimens if r.max_days is not None]
        return min(limits) if limits else None

    @property
    def names(self) -> set[str]:
        return {self.name, *(r.id for r in self.regimens), *self.interventions}


def _subject_clocks(protocol: Protocol, events: SubjectEvents) -> list[_Clock]:
    """The subject's drug clocks: the arm's drug regimens (one chosen where the protocol says so),
    grouped by ``Regimen.clock``, each with the start rule that covers its intervention."""
    arm = protocol.arm(events.arm)
    grouped: dict[str, list[tuple[Regimen, str, StartRule]]] = {}
    for intervention_id in arm.interventions:
        intervention = protocol.intervention(intervention_id)
        if intervention.kind != "drug":
            continue
        rule = _start_rule(arm.starts, intervention_id, events)
        for regimen in _chosen_regimens(intervention, events):
            grouped.setdefault(regimen.clock_name, []).append((regimen, intervention_id, rule))
    return [_Clock(name, tuple(r for r, _, _ in items), tuple(dict.fromkeys(i for _, i, _ in items)),
                   items[0][2]) for name, items in sorted(grouped.items())]


def _start_rule(starts, intervention_id: str, events: SubjectEvents) -> StartRule:
    for rule in starts:
        if intervention_id in rule.items:
            return rule
    anchor = "randomization" if events.randomization_date else "enrolment"
    return StartRule(items=(intervention_id,), anchor=anchor)


def _chosen_regimens(intervention, events: SubjectEvents) -> tuple[Regimen, ...]:
    if intervention.choice == "all" or len(intervention.regimens) == 1:
        return intervention.regimens
    allowed = [r.id for r in intervention.regimens]
    choices = sorted({regimen for item, regimen in events.regimen_choices if item == intervention.id})
    if len(choices) > 1:
        raise InvalidInput(f"subject {events.subject_id}: regimen_choices.{intervention.id} holds "
                           f"{len(choices)} regimens ({', '.join(choices)}); one is allowed",
                           field=f"regimen_choices.{intervention.id}",
                           hint="the choice is fixed at enrolment; the calendar does not model a "
                                "regimen switch yet — record it as a stop and new therapy")
    chosen = events.choice(intervention.id)
    if chosen not in allowed:
        got = "is missing" if chosen is None else f"'{chosen}' is not one of its regimens"
        raise InvalidInput(f"subject {events.subject_id}: regimen_choices.{intervention.id} {got}; "
                           f"allowed: {', '.join(allowed)}", field=f"regimen_choices.{intervention.id}",
                           hint="the investigator's choice of regimen is fixed per patient at enrolment")
    return tuple(r for r in intervention.regimens if r.id == chosen)


def _anchor_dates(rule: StartRule, events: SubjectEvents, clocks_first_dose) -> list[date]:
    """Dates of the events the start rule is anchored on; all of them with ``each_anchor``."""
    kind, _, name = rule.anchor.partition(":")
    if rule.anchor == "enrolment":
        dates = [events.enrolment_date or events.randomization_date]
    elif rule.anchor == "randomization":
        dates = [events.randomization_date]
    elif kind == "procedure":
        dates = sorted(p.date for p in events.procedures if p.kind == name)
    else:
        dates = [clocks_first_dose(name)]
    dates = [d for d in dates if d is not None]
    return dates if rule.each_anchor else dates[:1]


def _derive_clock(clock: _Clock, clocks, events: SubjectEvents, as_of: date):
    """Walk the clock's doses and anchors in date order; then plan the next dose or say why none."""
    anchors = _anchor_dates(clock.rule, events, lambda i: _first_dose_of(i, clocks, events))
    doses = sorted({d.date for d in events.doses if d.item == clock.name})
    holds = [h for h in events.holds if h.item == clock.name]
    history: list[PlannedDose] = []
    pending = None  # (due, window, basis)
    last = None
    remaining = list(anchors)
    for given in doses:
        while remaining and remaining[0] <= given:
            pending = _reanchor(clock, remaining.pop(0), last, pending)
        if pending is None:  # given before the event its start rule waits for: a deviation
            history.append(_dose(clock, len(history) + 1, given, 0, f"given before {_anchor_label(clock.rule.anchor)}",
                                 events, given_on=given, deviation=True))
        else:
            due, window, basis = _apply_holds(pending, holds, last, given)
            history.append(_dose(clock, len(history) + 1, due, window, basis, events, given_on=given))
        last = given
        pending = (given + timedelta(clock.cycle_days), clock.window_days,
                   f"{clock.cycle_days} days after cycle {len(history)} ({given})")
    for anchor in remaining:
        pending = _reanchor(clock, anchor, last, pending)
    return _next_dose(clock, history, pending, holds, last, events, as_of), history


def _reanchor(clock: _Clock, anchor: date, last: date | None, pending):
    """A new anchor event: restart, skip or complete a running cycle (seed-trials.md §2.3)."""
    rule = clock.rule
    target = anchor + timedelta(rule.offset_days)
    window = rule.window_days or clock.window_days
    basis = f"{rule.offset_days} days after {_anchor_label(rule.anchor)} on {anchor}"
    running = last is not None and last <= anchor < last + timedelta(clock.cycle_days)
    if not running or rule.reanchor_policy == "restart":
        return target, window, basis
    if rule.reanchor_policy == "skip":
        return pending
    cycle_end = last + timedelta(clock.cycle_days)
    if cycle_end >= target:
        return cycle_end, clock.window_days, f"{basis}, after the running cycle completes"
    return target, window, basis


def _anchor_label(anchor: str) -> str:
    kind, _, name = anchor.partition(":")
    return {"procedure": name, "first_dose": f"first dose of {name}"}.get(kind, anchor)


def _apply_holds(pending, holds, last: date | None, until: date):
    """A hold (or delay) started since the last dose moves the due date to the day it ends."""
    due, window, basis = pending
    for hold in sorted(holds, key=lambda h: h.start):
        if (last is None or hold.start >= last) and hold.start <= until and hold.end and hold.end > due:
            reason = f" ({hold.reason})" if hold.reason else ""
            due, basis = hold.end, f"delayed from {due} to {hold.end}{reason}"
    return due, window, basis


def _open_hold(holds, last: date | None, as_of: date) -> DoseHold | None:
    for hold in holds:
        if (last is None or hold.start >= last) and hold.start <= as_of and hold.end is None:
            return hold
    return None


def _next_dose(clock, history, pending, holds, last, events, as_of) -> ClockPlan:
    names = tuple(r.id for r in clock.regimens)
    given = len(history)
    stopped = _stop_reason(clock, events, as_of)
    if stopped:
        return ClockPlan(clock.name, names, clock.cycle_days, given, "stopped", stopped)
    if clock.max_cycles is not None and given >= clock.max_cycles:
        return ClockPlan(clock.name, names, clock.cycle_days, given, "completed",
                         f"maximum of {clock.max_cycles} cycles given")
    if pending is None:
        return ClockPlan(clock.name, names, clock.cycle_days, given, "not_started",
                         f"waiting for {_anchor_label(clock.rule.anchor)}")
    due, window, basis = _apply_holds(pending, holds, last, as_of)
    first = history[0].given_on if history else None
    if clock.max_days is not None and first and due > first + timedelta(clock.max_days):
        return ClockPlan(clock.name, names, clock.cycle_days, given, "completed",
                         f"maximum treatment duration of {clock.max_days} days from {first}")
    hold = _open_hold(holds, last, as_of)
    dose = _dose(clock, given + 1, due, window, basis, events, as_of=as_of, held=hold is not None)
    state = "held" if hold else "active"
    reason = f"held since {hold.start}" + (f" ({hold.reason})" if hold and hold.reason else "") if hold else ""
    return ClockPlan(clock.name, names, clock.cycle_days, given, state, reason, dose)


def _stop_reason(clock: _Clock, events: SubjectEvents, as_of: date) -> str:
    if events.death_date:
        return f"death on {events.death_date}"
    if events.off_study_date:
        return f"off study on {events.off_study_date}"
    if events.off_treatment_date:
        why = f" ({events.off_treatment_reason})" if events.off_treatment_reason else ""
        return f"off treatment on {events.off_treatment_date}{why}"
    if events.progression_date and any(r.stop_at_progression for r in clock.regimens):
        return f"progression on {events.progression_date}"
    drugs = {d.drug for r in clock.regimens for d in r.drugs}
    stopped = {s.drug for s in events.stops if s.item == clock.name and s.drug}
    for stop in events.stops:
        if stop.item == clock.name and (not stop.drug or drugs <= stopped):
            return f"discontinued on {stop.date}" + (f" ({stop.reason})" if stop.reason else "")
    return ""


def _dose(clock, cycle, due, window, basis, events, *, given_on=None, as_of=None, held=False,
          deviation=False) -> PlannedDose:
    start, end = due - timedelta(window), due + timedelta(window)
    if given_on is not None:
        status = "given" if start <= given_on <= end and not deviation else "out_of_window"
    elif held:
        status = "held"
    else:
        status = "overdue" if as_of > end else "planned"
    return PlannedDose(clock.name, tuple(r.id for r in clock.regimens), cycle, due, start, end, status,
                       given_on, _planned_drugs(clock, events, given_on or due), basis)


def _planned_drugs(clock: _Clock, events: SubjectEvents, on: date) -> tuple[PlannedDrug, ...]:
    """The clock's drugs at the dose level in force on ``on`` (latest reduction; stopped drugs left out)."""
    out = []
    for regimen in clock.regimens:
        for drug in regimen.drugs:
            if any(s.item == clock.name and s.drug == drug.drug and s.date <= on for s in events.stops):
                continue
            cuts = [r for r in events.reductions
                    if r.item == clock.name and r.drug == drug.drug and r.date <= on]
            percent = max(cuts, key=lambda r: r.date).percent if cuts else 100.0
            out.append(PlannedDrug(drug.drug, drug.dose, drug.unit, drug.basis, drug.route, percent))
    return tuple(out)


def _first_dose_of(intervention_id: str, clocks, events: SubjectEvents) -> date | None:
    names = {c.name for c in clocks if intervention_id in c.interventions}
    dates = [d.date for d in events.doses if d.item in names]
    return min(dates) if dates else None


def _on_clocks(events: SubjectEvents, clocks) -> SubjectEvents:
    """The events with every ``item`` (clock, regimen or intervention id) replaced by its clock."""
    def owner(item: str, path: str) -> str:
        owners = [c.name for c in clocks if item in c.names]
        if len(owners) != 1:
            known = sorted({n for c in clocks for n in c.names})
            problem = "names no drug clock" if not owners else f"is ambiguous between clocks {owners}"
            raise InvalidInput(f"subject {events.subject_id}: {path} '{item}' {problem} of arm "
                               f"'{events.arm}'; allowed: {', '.join(known)}", field=path,
                               hint="name the clock, regimen or intervention the record belongs to")
        return owners[0]

    def move(records, key):
        return tuple(replace(r, item=owner(r.item, f"{key}[{i}].item")) for i, r in enumerate(records))

    return replace(events, doses=move(events.doses, "doses"), holds=move(events.holds, "holds"),
                   reductions=move(events.reductions, "reductions"), stops=move(events.stops, "stops"))


# --- procedures, assessments, flags, status ------------------------------------------------------


def _derive_procedures(protocol, starts, clocks, events, as_of) -> tuple[PlannedProcedure, ...]:
    """The first session of each procedure a start rule schedules (later sessions are not planned)."""
    out = []
    for rule in starts:
        for item in rule.items:
            intervention = protocol.intervention(item)
            if intervention.procedure is None:
                continue
            anchors = _anchor_dates(rule, events, lambda i: _first_dose_of(i, clocks, events))
            if not anchors:
                continue
            kind = intervention.procedure.kind
            due = anchors[0] + timedelta(rule.offset_days)
            done = sorted(p.date for p in events.procedures if p.kind == kind)
            out.append(_visit(PlannedProcedure, due, rule.window_days, done[0] if done else None,
                              as_of, events, kind=kind))
    return tuple(out)


def _visit(cls, due, window, done_on, as_of, events, *, later_done=False, **fields):
    start, end = due - timedelta(window), due + timedelta(window)
    if done_on is not None:
        status = "done" if start <= done_on <= end else "out_of_window"
    elif events.death_date or events.off_study_date or (later_done and as_of > end):
        status = "missed"
    elif as_of <= end:
        status = "planned"
    else:
        status = "overdue"
    return cls(due=due, window_start=start, window_end=end, status=status, done_on=done_on, **fields)


def _schedule_anchor(protocol, events) -> date | None:
    anchor = protocol.assessment_schedule.anchor
    if anchor == "randomization":
        return events.randomization_date or events.enrolment_date
    if anchor == "enrolment":
        return events.enrolment_date or events.randomization_date
    treated = [d.date for d in events.doses] + [p.date for p in events.procedures]
    return min(treated) if treated else None


def _imaging_days(phases, horizon_day: int):
    """(study day, window, phase index) of scheduled scans up to the first one past ``horizon_day``.

    A later phase counts on from the previous phase's last scan, so spacing stays regular
    (every 6 weeks to week 48, then every 12 weeks: days 42 … 336, 420, 504 …).
    """
    day = 0
    for index, phase in enumerate(phases):
        while True:
            nxt = day + phase.interval_days
            if phase.until_day is not None and nxt > phase.until_day:
                break
            yield nxt, phase.window_days, index
            day = nxt
            if nxt > horizon_day:
                return


def _derive_assessments(protocol, events, as_of):
    """Baseline and scheduled imaging, then survival contacts after progression (seed-trials.md §3.3)."""
    schedule = protocol.assessment_schedule
    anchor = _schedule_anchor(protocol, events)
    if anchor is None:
        return (), tuple(sorted(events.assessments))
    end = ends_follow_up = min([d for d in (events.death_date, events.off_study_date) if d] or [date.max])
    if schedule.stop_at_progression and events.progression_date:
        end = min(end, events.progression_date)
    slots = [("baseline_imaging", 0, anchor, schedule.baseline_window_days, 0)]
    for number, (day, window, phase) in enumerate(_imaging_days(schedule.phases, (as_of - anchor).days), 1):
        due = anchor + timedelta(day)
        if due - timedelta(window) > end or due > ends_follow_up:
            break
        slots.append(("imaging", number, due, window, phase))
    matched, unscheduled = _match_visits(slots, sorted(events.assessments), anchor)
    out = [_assessment(slot, matched.get(i), as_of, events, anchor) for i, slot in enumerate(slots)]
    out += _procedure_imaging(protocol, events, as_of, anchor)
    if events.progression_date and schedule.survival_contact_days:
        out += _survival_contacts(schedule.survival_contact_days, schedule.survival_contact_window_days,
                                  events, as_of, anchor)
    return tuple(out), tuple(unscheduled)


def _procedure_imaging(protocol, events, as_of, anchor) -> list[PlannedAssessment]:
    """Contrast imaging of the treated site a set time after every session (technique efficacy about
    4 weeks after ablation: Ahmed et al., Radiology 2014; endpoints.md §5.4). Any imaging visit in
    the window serves: one scan can be both a RECIST and a technique-efficacy assessment."""
    arm = protocol.arm(events.arm)
    out = []
    for intervention in (protocol.intervention(i) for i in arm.interventions):
        procedure = intervention.procedure
        if procedure is None or not procedure.response_imaging_days:
            continue
        sessions = sorted(d.date for d in events.procedures if d.kind == procedure.kind and d.date <= as_of)
        window = procedure.response_imaging_window_days
        for number, session in enumerate(sessions, 1):
            for offset in procedure.response_imaging_days:
                due = session + timedelta(offset)
                done = next((d for d in sorted(events.assessments)
                             if abs((d - due).days) <= window), None)
                later = any(d > due + timedelta(window) for d in events.assessments)
                out.append(_visit(PlannedAssessment, due, window, done, as_of, events, later_done=later,
                                  kind="procedure_imaging", number=number,
                                  study_day=(due - anchor).days))
    return out


def _match_visits(slots, done: list[date], anchor: date):
    """Match visits done to planned slots: first every visit inside a free slot's window, then the
    rest to the nearest free slot less than half the gap to its neighbour away; others are unscheduled.

    A visit on or before the anchor can only be the baseline.
    """
    matched: dict[int, date] = {}
    left = []
    for when in done:
        best = _nearest_free(slots, matched, when, anchor)
        if best is not None and abs((when - slots[best][2]).days) <= slots[best][3]:
            matched[best] = when
        else:
            left.append(when)
    unscheduled = []
    for when in left:
        best = _nearest_free(slots, matched, when, anchor)
        if best is not None and abs((when - slots[best][2]).days) < _half_gap(slots, best):
            matched[best] = when
        else:
            unscheduled.append(when)
    return matched, unscheduled


def _nearest_free(slots, matched, when: date, anchor: date) -> int | None:
    free = [i for i in range(len(slots)) if i not in matched and (slots[i][1] == 0) == (when <= anchor)]
    return min(free, key=lambda i: abs((when - slots[i][2]).days)) if free else None


def _half_gap(slots, index: int) -> int:
    if slots[index][1] == 0:
        return slots[index][3]
    neighbours = [slots[j][2] for j in (index - 1, index + 1) if 0 <= j < len(slots)]
    gaps = [abs((slots[index][2] - n).days) for n in neighbours] or [0]
    return max(gaps) // 2


def _assessment(slot, done_on, as_of, events, anchor) -> PlannedAssessment:
    kind, number, due, window, phase = slot
    later = any(d > due + timedelta(window) for d in events.assessments)
    if kind == "baseline_imaging":
        start, end = due - timedelta(window), due
        status = ("done" if done_on else "overdue" if as_of > end and not later else
                  "planned" if as_of <= end else "missed")
        return PlannedAssessment(kind, 0, due, start, end, status, 0, done_on, 0)
    return _visit(PlannedAssessment, due, window, done_on, as_of, events, later_done=later, kind=kind,
                  number=number, study_day=(due - anchor).days, phase=phase)


def _survival_contacts(interval: int, window_days: int, events, as_of, anchor) -> list[PlannedAssessment]:
    """Survival contacts every ``interval`` days after progression until death or off-study."""
    end = min([d for d in (events.death_date, events.off_study_date) if d] or [date.max])
    contacts = sorted(events.survival_contacts)
    out = []
    number = 1
    while True:
        due = events.progression_date + timedelta(interval * number)
        if due > end:
            break
        window = timedelta(window_days)
        done = next((c for c in contacts if due - window <= c <= due + window), None)
        later = any(c > due + window for c in contacts)
        out.append(_visit(PlannedAssessment, due, window_days, done, as_of, events,
                          later_done=later, kind="survival_contact", number=number,
                          study_day=(due - anchor).days))
        if due > as_of:
            break
        number += 1
    return out


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


def _events_as_of(events: SubjectEvents, as_of: date) -> SubjectEvents:
    """Only what had happened by ``as_of``: later events are ignored, not an error."""
    def upto(day):
        return day if day is not None and day <= as_of else None

    return SubjectEvents(
        events.subject_id, events.arm, upto(events.enrolment_date), upto(events.randomization_date),
        events.regimen_choices, tuple(p for p in events.procedures if p.date <= as_of),
        tuple(d for d in events.doses if d.date <= as_of),
        tuple(h for h in events.holds if h.start <= as_of),
        tuple(r for r in events.reductions if r.date <= as_of),
        tuple(s for s in events.stops if s.date <= as_of),
        tuple(d for d in events.assessments if d <= as_of),
        tuple(d for d in events.survival_contacts if d <= as_of),
        upto(events.progression_date), upto(events.off_treatment_date),
        events.off_treatment_reason if upto(events.off_treatment_date) else "",
        upto(events.off_study_date), upto(events.death_date))


# --- plain-data forms ------------------------------------------------------------------------------


def _plain(value):
    if hasattr(value, "__dataclass_fields__"):
        return {name: _plain(getattr(value, name)) for name in value.__dataclass_fields__}
    if isinstance(value, tuple | list):
        return [_plain(item) for item in value]
    if isinstance(value, date):
        return value.isoformat()
    return value


def _parse_date(value, path: str, *, required: bool = False) -> date | None:
    if value is None:
        if required:
            raise InvalidInput(f"{path} is required (a date, YYYY-MM-DD)", field=path)
        return None
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value))
    except ValueError:
        raise InvalidInput(f"{path} {value!r} is not a date; write YYYY-MM-DD", field=path) from None


def _records(data, key: str, source: str, build) -> tuple:
    items = data.get(key) or []
    if not isinstance(items, list):
        raise InvalidInput(f"{source}: {key} must be a list", field=key)
    out = []
    for i, item in enumerate(items):
        path = f"{key}[{i}]"
        if not isinstance(item, Mapping):
            raise InvalidInput(f"{source}: {path} must be a mapping", field=path)
        try:
            out.append(build(item, path))
        except KeyError as missing:
            raise InvalidInput(f"{source}: {path}.{missing.args[0]} is required",
                               field=f"{path}.{missing.args[0]}") from None
        except (TypeError, ValueError) as error:
            raise InvalidInput(f"{source}: {path} has a value of the wrong kind: {error}", field=path,
                               hint="percent is a number; dates are YYYY-MM-DD") from None
    return tuple(out)


def _dates(data, key: str, source: str) -> tuple[date, ...]:
    values = data.get(key) or []
    if not isinstance(values, list):
        raise InvalidInput(f"{source}: {key} must be a list of dates", field=key)
    return tuple(_parse_date(v, f"{key}[{i}]", required=True) for i, v in enumerate(values))


def _events_from_dict(data, source: str) -> SubjectEvents:
    if not isinstance(data, Mapping):
        raise InvalidInput(f"{source}: the events must be a mapping", field="(top level)")
    allowed = {"subject_id", "arm", "enrolment_date", "randomization_date", "regimen_choices", "procedures",
               "doses", "holds", "delays", "reductions", "stops", "assessments", "survival_contacts",
               "progression_date", "off_treatment_date", "off_treatment_reason", "off_study_date",
               "death_date"}
    for key in data:
        if key not in allowed:
            raise InvalidInput(f"{source}: unknown field '{key}'; allowed: {', '.join(sorted(allowed))}",
                               field=str(key))
    for key in ("subject_id", "arm"):
        if not isinstance(data.get(key), str) or not data[key]:
            raise InvalidInput(f"{source}: {key} is required (text)", field=key)
    day = _parse_date
    choices = data.get("regimen_choices") or {}
    if not isinstance(choices, Mapping):
        raise InvalidInput(f"{source}: regimen_choices must map intervention ids to regimen ids",
                           field="regimen_choices")
    holds = _records(data, "holds", source, lambda r, p: DoseHold(
        str(r["item"]), day(r["start"], f"{p}.start", required=True), day(r.get("end"), f"{p}.end"),
        str(r.get("reason", ""))))
    holds += _records(data, "delays", source, lambda r, p: DoseHold(
        str(r["item"]), day(r["date"], f"{p}.date", required=True),
        day(r["until"], f"{p}.until", required=True), str(r.get("reason", "delay"))))
    return SubjectEvents(
        subject_id=data["subject_id"], arm=data["arm"],
        enrolment_date=day(data.get("enrolment_date"), "enrolment_date"),
        randomization_date=day(data.get("randomization_date"), "randomization_date"),
        regimen_choices=tuple(sorted((str(k), str(v)) for k, v in choices.items())),
        procedures=_records(data, "procedures", source, lambda r, p: ProcedureDone(
            str(r["kind"]), day(r["date"], f"{p}.date", required=True), day(r.get("end_date"), f"{p}.end_date"))),
        doses=_records(data, "doses", source, lambda r, p: DoseGiven(
            str(r["item"]), day(r["date"], f"{p}.date", required=True), str(r.get("note", "")))),
        holds=holds,
        reductions=_records(data, "reductions", source, lambda r, p: DoseReduction(
            str(r["item"]), str(r["drug"]), day(r["date"], f"{p}.date", required=True), float(r["percent"]))),
        stops=_records(data, "stops", source, lambda r, p: DoseStop(
            str(r["item"]), day(r["date"], f"{p}.date", required=True), str(r.get("drug", "")),
            str(r.get("reason", "")))),
        assessments=_dates(data, "assessments", source),
        survival_contacts=_dates(data, "survival_contacts", source),
        progression_date=day(data.get("progression_date"), "progression_date"),
        off_treatment_date=day(data.get("off_treatment_date"), "off_treatment_date"),
        off_treatment_reason=str(data.get("off_treatment_reason") or ""),
        off_study_date=day(data.get("off_study_date"), "off_study_date"),
        death_date=day(data.get("death_date"), "death_date"))
