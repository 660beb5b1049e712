"""Reads for the calendar page and the per-site worklist (due this week, overdue)."""

from __future__ import annotations

import datetime as dt

from oncotrial.errors import InvalidInput, OncotrialError
from oncotrial.web.models import Subject, SubjectStatus
from oncotrial.web.services.events import derive_subject_calendar, site_today
from oncotrial.web.services.permissions import require_study_access, visible_sites
from oncotrial.web.services.subjects import find_subject

CLOSED = (SubjectStatus.DIED, SubjectStatus.WITHDRAWN)
WEEK = dt.timedelta(days=7)


AS_OF_YEARS = 20  # how far from today a calendar may be asked to look (back or ahead)


def check_as_of(as_of: dt.date | None) -> None:
    """An `as_of` date within 20 years of today: the calendar engine adds cycles and windows to it,
    and 9999-12-31 plus a week is not a date."""
    if as_of is None:
        return
    today = dt.date.today()
    earliest, latest = today.replace(year=today.year - AS_OF_YEARS, day=min(today.day, 28)), \
        today.replace(year=today.year + AS_OF_YEARS, day=min(today.day, 28))
    if not earliest <= as_of <= latest:
        raise InvalidInput(f"as_of {as_of.isoformat()} is not between {earliest.isoformat()} and "
                           f"{latest.isoformat()}", field="as_of",
                           hint=f"Ask for a calendar within {AS_OF_YEARS} years of today.")


def subject_calendar(user, study, identifier: str, as_of: dt.date | None = None) -> dict:
    """The subject's calendar as plain data: doses, procedures, assessments, flags."""
    check_as_of(as_of)
    subject = find_subject(user, study, identifier)
    base = {"subject_id": subject.identifier, "site": subject.site.code, "timezone": subject.site.timezone}
    try:
        calendar = derive_subject_calendar(subject, as_of)
    except OncotrialError as error:
        # A data gap (not enrolled, no regimen chosen yet) is what the page shows, not a failure.
        return {**base, "problem": error.message, "hint": error.hint, "doses": [], "procedures": [],
                "assessments": [], "flags": [], "clocks": []}
    return {**calendar.to_dict(), **base, "problem": ""}


def worklist(user, study, *, site: str = "", as_of: dt.date | None = None) -> dict:
    """What the sites must do: items due within 7 days and items overdue, per subject."""
    require_study_access(user, study)
    check_as_of(as_of)
    subjects = Subject.objects.filter(study=study, site__in=visible_sites(user, study),
                                      enrolment__isnull=False).exclude(status__in=CLOSED)
    if site:
        subjects = subjects.filter(site__code=site)
    subjects = subjects.select_related("site", "enrolment", "randomization", "study").order_by("site__code", "number")
    rows, problems = [], []
    for subject in subjects:
        today = as_of or site_today(subject.site)
        try:
            calendar = derive_subject_calendar(subject, today)
        except OncotrialError as error:
            problems.append({"subject": subject.identifier, "site": subject.site.code, "problem": error.message})
            continue
        rows += _work_items(subject, calendar, today)
    rows.sort(key=lambda r: (r["status"] != "overdue", r["due"], r["subject"]))
    return {"as_of": (as_of.isoformat() if as_of else None), "items": rows, "problems": problems,
            "due_this_week": sum(r["status"] != "overdue" for r in rows),
            "overdue": sum(r["status"] == "overdue" for r in rows)}


def _work_items(subject, calendar, today: dt.date) -> list[dict]:
    horizon = today + WEEK
    items = []
    for dose in calendar.next_doses:
        items.append(_item(subject, "dose", f"{dose.clock} cycle {dose.cycle} ({dose.regimen})", dose))
    for procedure in calendar.procedures:
        items.append(_item(subject, "procedure", procedure.kind, procedure))
    for visit in calendar.assessments:
        label = visit.kind.replace("_", " ") + (f" {visit.number}" if visit.number else "")
        items.append(_item(subject, visit.kind, label, visit))
    due_soon = horizon.isoformat()
    return [i for i in items if i["status"] == "overdue" or (i["status"] == "planned" and i["due"] <= due_soon)]


def _item(subject, kind: str, label: str, planned) -> dict:
    return {"subject": subject.identifier, "site": subject.site.code, "kind": kind, "label": label,
            "due": planned.due.isoformat(), "window_start": planned.window_start.isoformat(),
            "window_end": planned.window_end.isoformat(), "status": planned.status}
