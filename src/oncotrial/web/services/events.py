"""Subject events (doses, procedures, assessments, progression, death …) and the calendars and
worklists derived from them by ``oncotrial.domain.conduct.calendar``."""

from __future__ import annotations

import datetime as dt
import math
from zoneinfo import ZoneInfo

from django.db import transaction
from django.utils import timezone

from oncotrial.domain.conduct.calendar import check_subject_events, derive_calendar
from oncotrial.domain.conduct.subject_events import (
    DoseGiven,
    DoseHold,
    DoseReduction,
    DoseStop,
    ProcedureDone,
    SubjectEvents,
)
from oncotrial.errors import Conflict, InvalidInput, OncotrialError
from oncotrial.web.models import EventKind, Subject, SubjectEvent, SubjectStatus
from oncotrial.web.services.audit import changes_from, record_audit
from oncotrial.web.services.permissions import SITE_STAFF, require_role

NEEDS_ITEM = {EventKind.REGIMEN_CHOICE, EventKind.PROCEDURE, EventKind.DOSE, EventKind.HOLD,
              EventKind.REDUCTION, EventKind.STOP}
# Progression is not here: whether dosing stops at progression is the regimen's rule
# (``stop_at_progression``), so the calendar engine decides (see ``_status_after_progression``).
STATUS_AFTER = {EventKind.DEATH: SubjectStatus.DIED, EventKind.OFF_TREATMENT: SubjectStatus.OFF_TREATMENT,
                EventKind.OFF_STUDY: SubjectStatus.WITHDRAWN}
CORRECTABLE = ("occurred_on", "end_on", "item", "drug", "value", "percent", "reason")
CALENDAR_FIELDS = ("occurred_on", "end_on", "item", "value", "percent")  # what the calendar reads
TREATMENT = {EventKind.DOSE, EventKind.PROCEDURE}


def site_today(site) -> dt.date:
    return timezone.now().astimezone(ZoneInfo(site.timezone or "UTC")).date()


def _arm_of(subject: Subject) -> str:
    randomization = getattr(subject, "randomization", None)
    if randomization is not None:
        return randomization.arm
    enrolment = getattr(subject, "enrolment", None)
    return enrolment.arm if enrolment is not None else ""


PERCENT_RANGE = (1, 100)  # a dose level is a percent of the protocol dose, as the event page allows


def check_percent(subject: Subject, percent) -> None:
    """A reduction's dose level between 1 and 100 % of the protocol dose (page and API alike)."""
    if percent is None:
        return
    low, high = PERCENT_RANGE
    if isinstance(percent, bool) or not isinstance(percent, int | float) or not math.isfinite(percent) \
            or not low <= percent <= high:
        shown = percent if isinstance(percent, int | float) and math.isfinite(percent) else repr(percent)
        raise InvalidInput(f"subject {subject.identifier}: percent is {shown}; a dose level must be at least "
                           f"{low} and at most {high} % of the protocol dose", field="percent")


def load_subject_events(subject: Subject, extra: SubjectEvent | None = None,
                        rows: list[SubjectEvent] | None = None) -> SubjectEvents:
    """The domain's :class:`SubjectEvents` for one subject, from the database (or ``rows``), plus
    ``extra``."""
    rows = (list(subject.events.all()) if rows is None else rows) + ([extra] if extra is not None else [])
    by_kind: dict[str, list[SubjectEvent]] = {}
    for row in sorted(rows, key=lambda r: r.occurred_on):
        by_kind.setdefault(row.kind, []).append(row)

    def first(kind):
        found = by_kind.get(kind)
        return found[0] if found else None

    enrolment = getattr(subject, "enrolment", None)
    randomization = getattr(subject, "randomization", None)
    tz = ZoneInfo(subject.site.timezone or "UTC")
    off_treatment, death, off_study, progression = (first(k) for k in (
        EventKind.OFF_TREATMENT, EventKind.DEATH, EventKind.OFF_STUDY, EventKind.PROGRESSION))
    return SubjectEvents(
        subject_id=subject.identifier, arm=_arm_of(subject),
        enrolment_date=enrolment.enrolled_on if enrolment else None,
        randomization_date=randomization.randomized_at.astimezone(tz).date() if randomization else None,
        # date order (rows are sorted by date above): a later choice replaces an earlier one
        regimen_choices=tuple((r.item, r.value) for r in by_kind.get(EventKind.REGIMEN_CHOICE, [])),
        procedures=tuple(ProcedureDone(r.item, r.occurred_on, r.end_on) for r in by_kind.get(EventKind.PROCEDURE, [])),
        doses=tuple(DoseGiven(r.item, r.occurred_on, r.reason) for r in by_kind.get(EventKind.DOSE, [])),
        holds=tuple(DoseHold(r.item, r.occurred_on, r.end_on, r.reason) for r in by_kind.get(EventKind.HOLD, [])),
        reductions=tuple(DoseReduction(r.item, r.drug, r.occurred_on, r.percent or 100.0)
                         for r in by_kind.get(EventKind.REDUCTION, [])),
        stops=tuple(DoseStop(r.item, r.occurred_on, r.drug, r.reason) for r in by_kind.get(EventKind.STOP, [])),
        assessments=tuple(r.occurred_on for r in by_kind.get(EventKind.ASSESSMENT, [])),
        survival_contacts=tuple(r.occurred_on for r in by_kind.get(EventKind.SURVIVAL_CONTACT, [])),
        progression_date=progression.occurred_on if progression else None,
        off_treatment_date=off_treatment.occurred_on if off_treatment else None,
        off_treatment_reason=off_treatment.reason if off_treatment else "",
        off_study_date=off_study.occurred_on if off_study else None,
        death_date=death.occurred_on if death else None,
    )


@transaction.atomic
def record_subject_event(user, subject: Subject, *, kind: str, occurred_on: dt.date, item: str = "",
                         drug: str = "", value: str = "", percent: float | None = None, reason: str = "",
                         end_on: dt.date | None = None, source: str = "", how: str = "page") -> SubjectEvent:
    """Record one event of an enrolled subject; the calendar follows from the next read.

    The event is checked together with the subject's other events by the calendar engine (nothing
    after death, no dose before enrolment, a regimen that the protocol offers) before it is saved.
    """
    subject = (Subject.objects.select_for_update(of=("self",))
               .select_related("study", "site", "enrolment", "randomization").get(pk=subject.pk))
    membership = require_role(user, subject.study, subject.site, SITE_STAFF, "record treatment and follow-up")
    if kind not in EventKind.values:
        raise InvalidInput(f"event kind '{kind}' is unknown; allowed: {', '.join(EventKind.values)}", field="kind")
    if not hasattr(subject, "enrolment"):
        raise Conflict(f"subject {subject.identifier} is not enrolled; events start at enrolment", field="subject")
    if kind in NEEDS_ITEM and not item:
        raise InvalidInput(f"a {kind} event needs the clock, regimen or procedure it concerns", field="item")
    if occurred_on > site_today(subject.site):
        raise InvalidInput(f"the event date {occurred_on.isoformat()} is in the future at site "
                           f"{subject.site.code} (today there is {site_today(subject.site).isoformat()})",
                           field="occurred_on")
    check_percent(subject, percent)
    version = subject.study.current_version()
    event = SubjectEvent(subject=subject, kind=kind, occurred_on=occurred_on, end_on=end_on, item=item,
                         drug=drug, value=value, percent=percent, reason=reason, source=source,
                         protocol_version=version, recorded_by=user, recorded_at=timezone.now())
    _check_with_calendar(version.protocol, subject, event, derive=how != "system")
    event.save()
    _follow_status(subject, kind, version.protocol, occurred_on)
    record_audit(user=user, role=membership.role, action="create", how=how, entity="subject_event",
                 entity_id=event.pk, study=subject.study, site=subject.site, subject=subject,
                 changes=changes_from({}, {"kind": kind, "occurred_on": occurred_on, "item": item or None,
                                           "drug": drug or None, "value": value or None, "percent": percent,
                                           "end_on": end_on, "reason": reason or None}))
    return event


def _check_with_calendar(protocol, subject, event, derive: bool = True, rows=None) -> None:
    events = load_subject_events(subject, extra=event, rows=rows)
    check_subject_events(protocol, events)
    # Deriving the calendar checks clock, regimen and procedure names against the protocol; the demo
    # ("system") records only what the calendar itself made due.
    if derive and event.kind == EventKind.REGIMEN_CHOICE and not _arm_of(subject):
        _check_regimen_offered(protocol, event)  # chosen at enrolment, before randomization names the arm
    elif derive and event.kind in NEEDS_ITEM:
        derive_calendar(protocol, events, event.occurred_on)


def _check_regimen_offered(protocol, event) -> None:
    offered = [r.id for i in protocol.interventions if i.id == event.item for r in i.regimens]
    if event.value not in offered:
        raise InvalidInput(f"regimen '{event.value}' is not offered for '{event.item}'; allowed: "
                           f"{', '.join(offered) or 'none'}", field="value")


def _follow_status(subject: Subject, kind: str, protocol=None, on: dt.date | None = None) -> None:
    status = STATUS_AFTER.get(kind)
    if kind == EventKind.PROGRESSION:
        status = _status_after_progression(subject, protocol, on)
    if status is None and kind in TREATMENT and subject.status in (SubjectStatus.ENROLLED, SubjectStatus.RANDOMIZED):
        status = SubjectStatus.ON_TREATMENT
    if status is not None and subject.status != SubjectStatus.DIED:
        subject.status = status
        subject.save(update_fields=["status"])


def _status_after_progression(subject: Subject, protocol, on: dt.date | None, rows=None) -> str | None:
    """Off treatment unless a clock of the subject's regimens keeps dosing after progression
    (``stop_at_progression: false``), as the calendar engine derives it on the progression date."""
    try:
        calendar = derive_calendar(protocol, load_subject_events(subject, rows=rows), on)
    except OncotrialError:
        return SubjectStatus.OFF_TREATMENT
    if any(plan.state in ("active", "held") for plan in calendar.clocks):
        return None
    return SubjectStatus.OFF_TREATMENT


def derive_subject_calendar(subject: Subject, as_of: dt.date | None = None):
    """The domain calendar of an enrolled subject on ``as_of`` (today at the site by default)."""
    if not hasattr(subject, "enrolment"):
        raise Conflict(f"subject {subject.identifier} is not enrolled; a calendar starts at enrolment",
                       field="subject")
    protocol = subject.study.current_version().protocol
    return derive_calendar(protocol, load_subject_events(subject), as_of or site_today(subject.site))


def calendar_problem(subject: Subject) -> str:
    """Why the calendar cannot be derived yet (e.g. no chemotherapy regimen chosen), or ''."""
    try:
        derive_subject_calendar(subject)
    except OncotrialError as error:
        return error.message
    return ""


def find_linkable_event(subject: Subject, *, kind: str, occurred_on: dt.date, item: str = "",
                        **_ignored) -> SubjectEvent | None:
    """An event entered on the calendar (no eCRF source yet) that an eCRF record describes: same
    kind, item and date. Linking it avoids recording the same dose or scan twice."""
    return (SubjectEvent.objects.filter(subject=subject, kind=kind, occurred_on=occurred_on, item=item,
                                        source="").order_by("id").first())


def _event_values(event: SubjectEvent) -> dict:
    return {"kind": event.kind, "source": event.source or None,
            **{name: getattr(event, name) or None for name in CORRECTABLE}}


@transaction.atomic
def update_subject_event(user, event: SubjectEvent, *, reason: str, how: str = "page",
                         **changes) -> SubjectEvent:
    """Correct a recorded event (date, end date, item, drug, value, percent, reason, or the eCRF
    ``source`` it is linked to); the reason for change is required and the audit row keeps old and
    new values. The corrected event is checked with the subject's others by the calendar engine."""
    unknown = set(changes) - set(CORRECTABLE) - {"source", "event_reason"}
    if unknown:
        raise InvalidInput(f"subject event fields {', '.join(sorted(unknown))} cannot be corrected; "
                           f"allowed: {', '.join(CORRECTABLE)}, source", field=sorted(unknown)[0])
    subject, membership = _lock_subject_of(user, event, "correct treatment and follow-up")
    event = SubjectEvent.objects.select_for_update().get(pk=event.pk)
    old = _event_values(event)
    if "event_reason" in changes:
        changes["reason"] = changes.pop("event_reason")
    for name, value in changes.items():
        setattr(event, name, value if value is not None or name in ("end_on", "percent") else "")
    if event.occurred_on > site_today(subject.site):
        raise InvalidInput(f"the event date {event.occurred_on.isoformat()} is in the future at site "
                           f"{subject.site.code}", field="occurred_on")
    check_percent(subject, event.percent)
    new = _event_values(event)
    if new == old:
        return event
    if any(old[name] != new[name] for name in CALENDAR_FIELDS):
        others = SubjectEvent.objects.filter(subject=subject).exclude(pk=event.pk)
        _check_with_calendar(subject.study.current_version().protocol, subject, event,
                             derive=how != "system", rows=list(others))
    event.save()
    record_audit(user=user, role=membership.role, action="update", how=how, entity="subject_event",
                 entity_id=event.pk, study=subject.study, site=subject.site, subject=subject,
                 changes=changes_from(old, new), reason=reason)
    return event


@transaction.atomic
def void_subject_event(user, event: SubjectEvent, *, reason: str, how: str = "page") -> None:
    """Remove an event recorded in error (e.g. its eCRF dose became a hold); the audit row keeps
    every value it had and the reason. The remaining events must still make a valid calendar."""
    subject, membership = _lock_subject_of(user, event, "correct treatment and follow-up")
    old = _event_values(event)
    record_audit(user=user, role=membership.role, action="delete", how=how, entity="subject_event",
                 entity_id=event.pk, study=subject.study, site=subject.site, subject=subject,
                 changes=changes_from(old, {}), reason=reason)
    SubjectEvent.objects.filter(pk=event.pk).delete()
    check_subject_events(subject.study.current_version().protocol, load_subject_events(subject))


def _lock_subject_of(user, event: SubjectEvent, action: str):
    subject = (Subject.objects.select_for_update(of=("self",))
               .select_related("study", "site", "enrolment", "randomization").get(pk=event.subject_id))
    return subject, require_role(user, subject.study, subject.site, SITE_STAFF, action)
