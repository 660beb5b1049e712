"""Corrections reach the calendar (an eCRF correction moves or voids its subject events, audited,
with the reason for change), regimen choices keep date order, and progression leaves the status to
the calendar engine (a regimen may keep dosing after progression)."""

from __future__ import annotations

import datetime as dt
from dataclasses import replace

import pytest
from tests.web.ecrf.conftest import enrolled_subject_a, enter_baseline

from oncotrial.errors import InvalidInput
from oncotrial.web.ecrf.services.records import save_record
from oncotrial.web.models import AuditEvent, Subject, SubjectEvent, SubjectStatus
from oncotrial.web.services import events

pytestmark = pytest.mark.django_db
REASON = "transcription error, see procedure note"


def correct(user, subject, form, record, values, reason=REASON):
    """A correction as the form page makes it: the save itself moves the calendar events."""
    return save_record(user, subject, form, values, record_id=record.pk, reason=reason)


def test_correcting_an_ablation_date_moves_its_event_and_the_next_dose(single_arm_cast):
    cast = single_arm_cast
    subject = enrolled_subject_a(cast)
    enter_baseline(cast.coordinator_a, subject, sizes=(30, 20))
    values = {"kind": "MWA", "date": "2025-02-10", "lesion_ids": "T1", "technical_success": "true"}
    ablation = save_record(cast.coordinator_a, subject, "local_therapy", values)
    assert {d.due for d in events.derive_subject_calendar(subject, dt.date(2025, 2, 12)).next_doses} == {
        dt.date(2025, 2, 17)}
    correct(cast.coordinator_a, subject, "local_therapy", ablation, {**values, "date": "2025-02-12"})
    (event,) = SubjectEvent.objects.filter(subject=subject, kind="procedure")
    assert (event.occurred_on, event.source) == (dt.date(2025, 2, 12), f"ecrf:local_therapy:{ablation.pk}")
    calendar = events.derive_subject_calendar(subject, dt.date(2025, 2, 13))
    assert {d.due for d in calendar.next_doses} == {dt.date(2025, 2, 19)}  # +7 days from the new date
    audit = AuditEvent.objects.filter(entity="subject_event", entity_id=str(event.pk), action="update").get()
    assert audit.reason == REASON
    assert {c["field"]: (c["old"], c["new"]) for c in audit.changes}["occurred_on"] == (
        "2025-02-10", "2025-02-12")


def test_a_correction_of_an_event_needs_a_reason(single_arm_cast):
    cast = single_arm_cast
    subject = enrolled_subject_a(cast)
    event = events.record_subject_event(cast.coordinator_a, subject, kind="procedure",
                                        occurred_on=dt.date(2025, 2, 10), item="ablation")
    with pytest.raises(InvalidInput, match="reason"):
        events.update_subject_event(cast.coordinator_a, event, occurred_on=dt.date(2025, 2, 11), reason="")
    assert SubjectEvent.objects.get(pk=event.pk).occurred_on == dt.date(2025, 2, 10)


def test_a_dose_corrected_to_held_voids_the_dose_event_and_records_the_hold(single_arm_cast):
    cast = single_arm_cast
    subject = enrolled_subject_a(cast)
    enter_baseline(cast.coordinator_a, subject, sizes=(30, 20))
    save_record(cast.coordinator_a, subject, "local_therapy",
                {"kind": "MWA", "date": "2025-02-10", "lesion_ids": "T1", "technical_success": "true"})
    values = {"drug": "camrelizumab", "date": "2025-02-17", "action": "given", "dose": "200", "unit": "mg"}
    dose = save_record(cast.coordinator_a, subject, "dose_administration", values)
    (given,) = SubjectEvent.objects.filter(subject=subject, kind="dose")
    correct(cast.coordinator_a, subject, "dose_administration", dose,
            {**values, "action": "held", "dose": "", "unit": "", "reason": "grade 3 diarrhoea"})
    assert not SubjectEvent.objects.filter(subject=subject, kind="dose").exists()
    (hold,) = SubjectEvent.objects.filter(subject=subject, kind="hold")
    assert hold.source == f"ecrf:dose_administration:{dose.pk}"
    voided = AuditEvent.objects.get(entity="subject_event", entity_id=str(given.pk), action="delete")
    assert voided.reason == REASON


def test_an_ecrf_record_links_the_event_already_on_the_calendar_instead_of_a_second_one(single_arm_cast):
    cast = single_arm_cast
    subject = enrolled_subject_a(cast)
    enter_baseline(cast.coordinator_a, subject, sizes=(30, 20))
    events.record_subject_event(cast.coordinator_a, subject, kind="procedure",
                                occurred_on=dt.date(2025, 2, 10), item="ablation")
    ablation = save_record(cast.coordinator_a, subject, "local_therapy",
                           {"kind": "MWA", "date": "2025-02-10", "lesion_ids": "T1", "technical_success": "true"})
    (event,) = SubjectEvent.objects.filter(subject=subject, kind="procedure")
    assert event.source == f"ecrf:local_therapy:{ablation.pk}"


def test_regimen_choices_keep_date_order_not_alphabetical(single_arm_cast):
    cast = single_arm_cast
    subject = enrolled_subject_a(cast, regimen="mfolfox6")  # chosen first (on consent day)
    # a later switch (the calendar refuses two choices today; the loaded order must still be right)
    switch = SubjectEvent(subject=subject, kind="regimen_choice", occurred_on=dt.date(2025, 4, 1),
                          item="chemotherapy", value="folfiri")
    loaded = events.load_subject_events(subject, rows=[switch, *subject.events.all()])
    # sorted by (item, value) this would read folfiri first and mfolfox6 as the current choice
    assert loaded.regimen_choices == (("chemotherapy", "mfolfox6"), ("chemotherapy", "folfiri"))


def without_stop_at_progression(protocol):
    interventions = tuple(replace(i, regimens=tuple(replace(r, stop_at_progression=False) for r in i.regimens))
                          for i in protocol.interventions)
    return replace(protocol, interventions=interventions)


def test_progression_status_follows_the_regimen_rule(single_arm_cast):
    cast = single_arm_cast
    subject = enrolled_subject_a(cast)
    events.record_subject_event(cast.coordinator_a, subject, kind="procedure",
                                occurred_on=dt.date(2025, 2, 10), item="ablation")
    events.record_subject_event(cast.coordinator_a, subject, kind="dose",
                                occurred_on=dt.date(2025, 2, 17), item="antibody")
    subject = Subject.objects.get(pk=subject.pk)
    progression = SubjectEvent(subject=subject, kind="progression", occurred_on=dt.date(2025, 3, 20))
    rows = list(subject.events.all()) + [progression]
    protocol = subject.study.current_version().protocol
    continuing = without_stop_at_progression(protocol)
    on = dt.date(2025, 3, 20)
    assert events._status_after_progression(subject, continuing, on, rows=rows) is None
    assert events._status_after_progression(subject, protocol, on, rows=rows) == SubjectStatus.OFF_TREATMENT
    events.record_subject_event(cast.coordinator_a, subject, kind="progression", occurred_on=on)
    assert Subject.objects.get(pk=subject.pk).status == SubjectStatus.OFF_TREATMENT
