"""Keep the core calendar in step with the eCRF: each new dose, procedure, assessment and outcome is
also recorded as a subject event (``web.services.events``), so the next dose moves as soon as, for
example, an ablation is entered (trial A: chemotherapy + camrelizumab 7 days after each ablation).

Each event names its record in ``source`` (``ecrf:<form>:<id>``). An event already entered on the
calendar for the same kind, item and date is linked rather than recorded twice. A correction of the
record moves or changes its events (``update_calendar_events``), or voids them when the record no
longer implies one, in the same transaction and with the same reason for change."""

from __future__ import annotations

from oncotrial.web.models import EventKind, SubjectEvent
from oncotrial.web.services.events import (
    find_linkable_event,
    record_subject_event,
    update_subject_event,
    void_subject_event,
)

PROCEDURE_ITEMS = {"MWA": "ablation", "RFA": "ablation", "SBRT": "sbrt"}
STATUS_EVENTS = {"off_treatment": EventKind.OFF_TREATMENT, "off_study": EventKind.OFF_STUDY,
                 "withdrawn": EventKind.OFF_STUDY}


def is_enrolled(subject) -> bool:
    try:
        return subject.enrolment is not None
    except Exception:  # RelatedObjectDoesNotExist: screening only
        return False


def record_calendar_event(user, subject, form: str, record, *, how: str) -> None:
    """Record the calendar event a new record implies (nothing for a subject not yet enrolled)."""
    if not is_enrolled(subject):
        return
    source = source_of(form, record)
    for event in implied_events(subject, form, record):
        found = find_linkable_event(subject, **event)
        if found is not None:
            update_subject_event(user, found, source=source, how=how,
                                 reason=f"linked to eCRF {form} record {record.pk}",
                                 **_differences(found, event))
        else:
            record_subject_event(user, subject, source=source, how=how, **event)


def link_records_entered_before_enrolment(sender, *, user, subject, how: str, **kwargs) -> None:
    """On enrolment: the tumour assessments entered during screening (the baseline scan) become
    calendar events, as they would have had the subject been enrolled when they were entered."""
    from oncotrial.web.ecrf import models as m

    for record in m.TumourAssessment.objects.filter(subject=subject).order_by("date", "id"):
        record_calendar_event(user, subject, "tumour_assessment", record, how=how)


def update_calendar_events(user, subject, form: str, record, *, reason: str, how: str) -> None:
    """After a correction of `record`: move or change the events it implies, record any it now
    implies for the first time and void those it no longer implies (all with `reason`)."""
    if not is_enrolled(subject):
        return
    source = source_of(form, record)
    existing = list(SubjectEvent.objects.filter(subject=subject, source=source).order_by("id"))
    for event in implied_events(subject, form, record):
        match = next((e for e in existing if e.kind == event["kind"]), None)
        if match is None:
            record_subject_event(user, subject, source=source, how=how, **event)
            continue
        existing.remove(match)
        differences = _differences(match, event)
        if differences:
            update_subject_event(user, match, reason=reason, how=how, **differences)
    for stale in existing:
        void_subject_event(user, stale, reason=reason, how=how)


def source_of(form: str, record) -> str:
    return f"ecrf:{form}:{record.pk}"


def implied_events(subject, form: str, record) -> list[dict]:
    """The subject events a record implies (a reduced dose implies the dose and the reduction)."""
    event = _event_for(subject, form, record)
    if event is None:
        return []
    events = [event]
    if form == "dose_administration" and event["kind"] == EventKind.DOSE and record.reduction_percent:
        # the calendar plans later cycles of this drug at the reduced level
        events.append({"kind": EventKind.REDUCTION, "occurred_on": record.date, "item": event["item"],
                       "drug": record.drug, "percent": float(100 - record.reduction_percent),
                       "reason": record.reason})
    return events


def _differences(found: SubjectEvent, event: dict) -> dict:
    changes = {}
    for name, value in event.items():
        if name == "kind":
            continue
        key = "event_reason" if name == "reason" else name
        if (getattr(found, name) or None) != (value or None):
            changes[key] = value
    return changes


def _event_for(subject, form: str, record) -> dict | None:
    if form == "local_therapy":
        return {"kind": EventKind.PROCEDURE, "occurred_on": record.date,
                "item": PROCEDURE_ITEMS[record.kind], "end_on": record.end_date}
    if form == "dose_administration":
        return _dose_event(subject, record)
    if form == "tumour_assessment":  # the baseline scan too: it is the calendar's baseline imaging
        return {"kind": EventKind.ASSESSMENT, "occurred_on": record.date}
    if form == "death":
        return {"kind": EventKind.DEATH, "occurred_on": record.date, "reason": record.cause}
    if form == "subject_status":
        return {"kind": STATUS_EVENTS[record.status], "occurred_on": record.date, "reason": record.reason}
    return None


def _dose_event(subject, record) -> dict | None:
    clock = drug_clock(subject, record.drug)
    if clock is None:
        return None
    if record.action in ("given", "delayed", "reduced"):
        return {"kind": EventKind.DOSE, "occurred_on": record.date, "item": clock, "drug": record.drug}
    if record.action == "held":
        return {"kind": EventKind.HOLD, "occurred_on": record.date, "item": clock, "reason": record.reason}
    return {"kind": EventKind.STOP, "occurred_on": record.date, "item": clock, "drug": record.drug,
            "reason": record.reason}


def drug_clock(subject, drug: str) -> str | None:
    """The drug clock a protocol drug runs on (its regimen's clock), or None if not a protocol drug."""
    protocol = subject.study.current_version().protocol
    for intervention in protocol.interventions:
        for regimen in intervention.regimens:
            if any(d.drug.lower() == (drug or "").lower() for d in regimen.drugs):
                return regimen.clock_name
    return None
