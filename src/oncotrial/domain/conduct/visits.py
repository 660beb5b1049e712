"""The imaging and survival-contact calendar: tumour assessments anchored on randomization (or
enrolment), never on cycles, so treatment delays do not move scans; technique-efficacy imaging after
each ablation; survival contacts after progression until death or off-study (seed-trials.md §3.3).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Literal

AssessmentStatus = Literal["done", "out_of_window", "planned", "overdue", "missed"]


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


def plan_visit(cls, due, window, done_on, as_of, events, *, later_done=False, **fields):
    """A planned visit of type ``cls`` due ``due`` ± ``window`` days: done, out of window, missed
    (after death, off-study, or a later visit done once the window closed), planned or overdue."""
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


def derive_assessment_plan(protocol, events, as_of):
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
                out.append(plan_visit(PlannedAssessment, due, window, done, as_of, events, later_done=later,
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
    return plan_visit(PlannedAssessment, due, window, done_on, as_of, events, later_done=later, kind=kind,
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
        out.append(plan_visit(PlannedAssessment, due, window_days, done, as_of, events,
                          later_done=later, kind="survival_contact", number=number,
                          study_day=(due - anchor).days))
        if due > as_of:
            break
        number += 1
    return out
