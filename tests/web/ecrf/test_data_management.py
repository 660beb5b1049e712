"""Queries, source data verification, signatures and locks (issue 7 §2–§6)."""

import datetime as dt

import pytest
from tests.web.conftest import PASSWORD
from tests.web.ecrf.conftest import enter_baseline, enter_follow_up

from oncotrial.errors import Conflict, InvalidInput, PermissionDenied
from oncotrial.web.ecrf import models as m
from oncotrial.web.ecrf.services import locks, queries, records, sdv, signatures
from oncotrial.web.models import AuditEvent

OVERDOSE = {"drug": "sintilimab", "date": "2025-02-10", "action": "given", "dose": "240", "unit": "mg"}


def test_a_failed_check_opens_a_query_and_the_fix_closes_it(cast, subject_a):
    dose = records.save_record(cast.coordinator_a, subject_a, "dose_administration", OVERDOSE)
    (query,) = m.Query.objects.filter(record_id=dose.pk)
    assert (query.check_id, query.status, query.field) == ("DA-14", "open", "dose")
    assert "120% of the prescribed dose (200)" in query.text
    records.save_record(cast.coordinator_a, subject_a, "dose_administration", {**OVERDOSE, "dose": "200"},
                        record_id=dose.pk, reason="transcription error, 200 mg per chart")
    query.refresh_from_db()
    assert query.status == "closed" and "now passes" in query.close_note


def test_the_query_workflow_follows_the_roles(cast, subject_a):
    dose = records.save_record(cast.coordinator_a, subject_a, "dose_administration", {**OVERDOSE, "dose": "200"})
    with pytest.raises(PermissionDenied):
        queries.open_query(cast.coordinator_a, subject_a, form="dose_administration", record_id=dose.pk,
                           text="Check the infusion time")
    query = queries.open_query(cast.monitor, subject_a, form="dose_administration", record_id=dose.pk,
                               field="date", text="Check the infusion date against the chart")
    with pytest.raises(PermissionDenied):
        queries.answer_query(cast.monitor, query, answer="me")
    queries.answer_query(cast.coordinator_a, query, answer="Date confirmed on the nursing chart")
    with pytest.raises(Conflict):
        queries.answer_query(cast.coordinator_a, query, answer="again")
    queries.resolve_query(cast.monitor, query)
    with pytest.raises(PermissionDenied):
        queries.close_query(cast.monitor, query)
    queries.close_query(cast.data_manager, query, note="ok")
    assert m.Query.objects.get(pk=query.pk).status == "closed"
    actions = list(AuditEvent.objects.filter(entity="query").values_list("action", flat=True))
    assert actions == ["query_open", "query_answer", "query_resolve", "query_close"]
    assert [row["id"] for row in queries.list_queries(cast.outsider_b, cast.study)] == []
    assert queries.list_queries(cast.coordinator_a, cast.study)[0]["age_days"] == 0


def test_a_verification_drops_when_the_data_change(cast, subject_a):
    dose = records.save_record(cast.coordinator_a, subject_a, "dose_administration", {**OVERDOSE, "dose": "200"})
    sdv.verify_source(cast.monitor, subject_a, form="dose_administration", record_id=dose.pk)
    sdv.verify_source(cast.monitor, subject_a, form="dose_administration", record_id=dose.pk, field="drug")
    with pytest.raises(PermissionDenied):
        sdv.verify_source(cast.coordinator_a, subject_a, form="dose_administration", record_id=dose.pk)
    records.save_record(cast.coordinator_a, subject_a, "dose_administration",
                        {**OVERDOSE, "dose": "200", "date": "2025-02-11"}, record_id=dose.pk,
                        reason="wrong day")
    status = sdv.verification_status("dose_administration", m.DoseAdministration.objects.get())
    # the form-level verification covered the date and dropped; the drug verification still holds
    assert status == {"form": False, "fields": ["drug"], "dropped": 1}


def test_a_signature_is_bound_to_the_data_and_invalid_after_a_correction(cast, subject_a):
    enter_baseline(cast.coordinator_a, subject_a)
    with pytest.raises(PermissionDenied, match="password does not match"):
        signatures.sign(cast.investigator_a, subject_a, scope="casebook", password="wrong")
    assert AuditEvent.objects.filter(action="signature_failed", username="ina").count() == 1
    assert not m.Signature.objects.exists()
    with pytest.raises(PermissionDenied):
        signatures.sign(cast.coordinator_a, subject_a, scope="casebook", password=PASSWORD)
    signature = signatures.sign(cast.investigator_a, subject_a, scope="casebook", password=PASSWORD)
    (row,) = signatures.list_signatures(cast.monitor, subject_a)
    assert row["valid"] and row["printed_name"] and row["meaning"].startswith("Investigator review")
    dose = records.save_record(cast.coordinator_a, subject_a, "dose_administration", {**OVERDOSE, "dose": "200"})
    assert not signatures.is_valid(m.Signature.objects.get(pk=signature.pk))
    m.DoseAdministration.objects.filter(pk=dose.pk).delete()  # the same data again: valid again
    assert signatures.is_valid(m.Signature.objects.get(pk=signature.pk))


def test_locked_data_cannot_be_edited_and_unlocking_needs_a_reason(cast, subject_a):
    enter_baseline(cast.coordinator_a, subject_a)
    follow_up = enter_follow_up(cast.coordinator_a, subject_a, "W8", dt.date(2025, 4, 2), (20, 15), "SD")
    with pytest.raises(PermissionDenied):
        locks.lock(cast.coordinator_a, cast.study, level="visit", subject=subject_a, visit="W8")
    visit_lock = locks.lock(cast.data_manager, cast.study, level="visit", subject=subject_a, visit="W8")
    with pytest.raises(Conflict, match="visit W8 is locked"):
        enter_follow_up(cast.coordinator_a, subject_a, "W8", dt.date(2025, 4, 2), (20, 14))
    with pytest.raises(InvalidInput, match="reason is required to unlock"):
        locks.unlock(cast.data_manager, visit_lock, reason=" ")
    locks.unlock(cast.data_manager, visit_lock, reason="query 3: site corrects T2")
    study_lock = locks.lock(cast.data_manager, cast.study, level="study")
    with pytest.raises(Conflict, match="study crlm-sbrt-sintilimab is locked"):
        records.save_record(cast.coordinator_a, subject_a, "con_med",
                            {"name": "ondansetron", "start_date": "2025-02-10"})
    assert m.TumourAssessment.objects.get(pk=follow_up.pk).revision == 1
    locks.unlock(cast.admin, study_lock, reason="interim analysis data cut reopened")
    records.save_record(cast.coordinator_a, subject_a, "con_med", {"name": "ondansetron",
                                                                   "start_date": "2025-02-10"})


def test_a_correction_on_a_stale_copy_is_refused(cast, subject_a):
    dose = records.save_record(cast.coordinator_a, subject_a, "dose_administration", {**OVERDOSE, "dose": "200"})
    records.save_record(cast.investigator_a, subject_a, "dose_administration", {**OVERDOSE, "dose": "190"},
                        record_id=dose.pk, reason="chart says 190", expected_revision=1)
    with pytest.raises(Conflict, match="was changed by ina since you opened it"):
        records.save_record(cast.coordinator_a, subject_a, "dose_administration", {**OVERDOSE, "dose": "180"},
                            record_id=dose.pk, reason="chart says 180", expected_revision=1)
    assert m.DoseAdministration.objects.get().dose == 190


def test_a_visit_signature_covers_only_its_visit(cast, subject_a):
    enter_baseline(cast.coordinator_a, subject_a)
    enter_follow_up(cast.coordinator_a, subject_a, "W8", dt.date(2025, 4, 2), (20, 15), "SD")
    w8 = signatures.sign(cast.investigator_a, subject_a, scope="visit", visit="W8", password=PASSWORD)
    enter_follow_up(cast.coordinator_a, subject_a, "W16", dt.date(2025, 5, 28), (20, 14), "SD")
    assert signatures.is_valid(w8)
    with pytest.raises(InvalidInput, match="visit 'W99' has no data"):
        signatures.sign(cast.investigator_a, subject_a, scope="visit", visit="W99", password=PASSWORD)
