"""Drug clocks: when each cycle of each drug is due, given, held, reduced or stopped (seed-trials.md
§2.3). Each clock runs on its own (q2w chemotherapy beside a q3w antibody); the next cycle is due
cycle_days after the actual previous day 1, so a delay moves every later cycle; a start rule anchored
on a procedure with each_anchor restarts after every such procedure.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, timedelta
from typing import Literal

from oncotrial.domain.conduct.subject_events import DoseHold, SubjectEvents
from oncotrial.domain.protocol.model import Protocol, Regimen, StartRule
from oncotrial.errors import InvalidInput

DoseStatus = Literal["given", "out_of_window", "planned", "overdue", "held"]


ClockState = Literal["not_started", "active", "held", "completed", "stopped"]


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
class DrugClock:
    """One drug clock of a subject: the regimens it runs, their interventions and its start rule."""

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


def derive_subject_clocks(protocol: Protocol, events: SubjectEvents) -> list[DrugClock]:
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
    return [DrugClock(name, tuple(r for r, _, _ in items), tuple(dict.fromkeys(i for _, i, _ in items)),
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


def derive_anchor_dates(rule: StartRule, events: SubjectEvents, clocks_first_dose) -> list[date]:
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


def derive_clock_plan(clock: DrugClock, clocks, events: SubjectEvents, as_of: date):
    """Walk the clock's doses and anchors in date order; then plan the next dose or say why none."""
    anchors = derive_anchor_dates(clock.rule, events, lambda i: find_first_dose(i, clocks, events))
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


def _reanchor(clock: DrugClock, anchor: date, last: date | None, pending):
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


def _stop_reason(clock: DrugClock, events: SubjectEvents, as_of: date) -> str:
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


def _planned_drugs(clock: DrugClock, events: SubjectEvents, on: date) -> tuple[PlannedDrug, ...]:
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


def find_first_dose(intervention_id: str, clocks, events: SubjectEvents) -> date | None:
    """The first dose given of any clock that carries the intervention, or None."""
    names = {c.name for c in clocks if intervention_id in c.interventions}
    dates = [d.date for d in events.doses if d.item in names]
    return min(dates) if dates else None


def assign_events_to_clocks(events: SubjectEvents, clocks) -> SubjectEvents:
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
