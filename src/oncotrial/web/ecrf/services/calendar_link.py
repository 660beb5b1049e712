"""Keep the core calendar in step with the eCRF: each new dose, procedure, assessment and outcome is
also recorded as a subject event (``web.services.events``), so the next dose moves as soon as, for
example, an ablation is entered (trial A: chemotherapy + camrelizumab 7 days after each ablation)."""

from __future__ import annotations

from oncotrial.web.models import EventKind
from oncotrial.web.services.events import record_subject_event

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
    event = _event_for(subject, form, record)
    if event is None:
        return
    record_subject_event(user, subject, source=f"ecrf:{form}:{record.pk}", how=how, **event)
    if form == "dose_administration" and event["kind"] == EventKind.DOSE and record.reduction_percent:
        # the calendar plans later cycles of this drug at the reduced level
        record_subject_event(user, subject, kind=EventKind.REDUCTION, occurred_on=record.date,
                             item=event["item"], drug=record.drug,
                             percent=float(100 - record.reduction_percent),
                             reason=record.reason, source=f"ecrf:{form}:{record.pk}", how=how)


def _event_for(subject, form: str, record) -> dict | None:
    if form == "local_therapy":
        return {"kind": EventKind.PROCEDURE, "occurred_on": record.date,
                "item": PROCEDURE_ITEMS[record.kind], "end_on": record.end_date}
    if form == "dose_administration":
        return _dose_event(subject, record)
    if form == "tumour_assessment" and not record.is_baseline:
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
