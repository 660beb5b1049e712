"""The eCRF records of the demo database: consistent with the calendar events, RECIST responses
that follow each subject's course, adverse events with grades, and a valid audit chain."""

from __future__ import annotations

import datetime as dt
from collections import Counter

import pytest

from oncotrial.web.ecrf import models as m
from oncotrial.web.ecrf.services.recist import assessment_rows, subject_start_date
from oncotrial.web.models import Subject, SubjectEvent
from oncotrial.web.services.audit import verify_audit_chain
from oncotrial.web.services.demo import build_demo

pytestmark = pytest.mark.django_db

AS_OF = dt.date(2025, 6, 30)


def computed_rows(admin) -> dict:
    return {subject: assessment_rows(admin, subject)
            for subject in Subject.objects.filter(enrolment__isnull=False).order_by("id")}


def test_the_demo_has_assessments_doses_and_adverse_events_consistent_with_the_calendar():
    from django.contrib.auth import get_user_model

    build_demo(seed=7, as_of=AS_OF, scale=0.3)
    admin = get_user_model().objects.get(username="admin")
    rows = computed_rows(admin)
    responses = Counter(r["computed_response"] for found in rows.values() for r in found)
    assert {"PR", "SD", "PD", "baseline"} <= set(responses)
    assert not [r for found in rows.values() for r in found if r["discrepancy"]]
    for subject, found in rows.items():
        progression = subject.events.filter(kind="progression").first()
        first_pd = next((r["date"] for r in found if r["computed_response"] == "PD"), None)
        if progression and progression.occurred_on <= subject_start_date(subject):
            continue  # the core demo can draw progression on day 0: no post-start scan to read
        # RECIST progression falls exactly on the date the calendar recorded, and never before it
        assert first_pd == (progression.occurred_on.isoformat() if progression else None), subject
    assert m.AdverseEvent.objects.filter(grade__gte=3).exists()
    rccep = m.AdverseEvent.objects.filter(term__startswith="Reactive cutaneous")
    assert rccep.exists() and set(rccep.values_list("subject__study__code", flat=True)) == {
        "crlm-mwa-camrelizumab"}
    assert m.LocalTherapy.objects.filter(kind="MWA").exists() and m.LocalTherapy.objects.filter(kind="SBRT").exists()
    # every dose record is linked to the one calendar event of that dose, none recorded twice
    doses = m.DoseAdministration.objects.all()
    assert doses.count() > 50
    for dose in doses[:200]:
        linked = SubjectEvent.objects.filter(source=f"ecrf:dose_administration:{dose.pk}", kind="dose")
        assert [e.occurred_on for e in linked] == [dose.date]
    duplicates = Counter(SubjectEvent.objects.filter(kind__in=("dose", "procedure", "assessment"))
                         .values_list("subject_id", "kind", "item", "occurred_on"))
    assert max(duplicates.values()) == 1
    assert dose.bsa_m2 is not None or dose.drug in ("camrelizumab", "sintilimab")
    # only the deliberate gaps open automatic queries
    assert set(m.Query.objects.values_list("check_id", flat=True)) <= {"AE-15"}
    assert verify_audit_chain().ok
