"""A form-level lock: the locked record refuses corrections from the page and the API (409, the one
error shape), unlocking needs a reason and is audited, and the visit's other records stay editable."""

import datetime as dt

import pytest
from django.test import Client
from tests.web.ecrf.conftest import enter_baseline, enter_follow_up, lesion

from oncotrial.errors import Conflict, InvalidInput
from oncotrial.web.ecrf import models as m
from oncotrial.web.ecrf.services import locks
from oncotrial.web.ecrf.services.recist import save_tumour_assessment
from oncotrial.web.ecrf.services.records import save_record
from oncotrial.web.models import AuditEvent

CON_MED = {"name": "ondansetron", "indication": "nausea", "dose_text": "8 mg bid",
           "start_date": "2025-02-10"}
API = "/api/studies/{code}/subjects/{sid}/ecrf"


def client_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def two_con_meds(cast, subject_a):
    first = save_record(cast.coordinator_a, subject_a, "con_med", CON_MED)
    second = save_record(cast.coordinator_a, subject_a, "con_med", {**CON_MED, "name": "loperamide"})
    item = locks.lock(cast.data_manager, cast.study, level="form", subject=subject_a, form="con_med",
                      record_id=first.pk)
    return first, second, item


def assert_locked_error(body: dict):
    assert set(body) == {"ok", "error", "errors", "status"}
    assert body["ok"] is False and body["status"] == 409
    assert "this concomitant medication is locked" in body["error"].lower()
    assert [e["field"] for e in body["errors"]] == ["lock"]


def test_the_api_refuses_to_correct_a_locked_record(cast, subject_a, two_con_meds):
    first, _, _ = two_con_meds
    url = API.format(code=cast.study.code, sid=subject_a.identifier) + f"/con_med/{first.pk}"
    response = client_for(cast.coordinator_a).put(
        url, {**CON_MED, "name": "granisetron", "reason_for_change": "wrong drug"},
        content_type="application/json")
    assert response.status_code == 409, response.content
    assert_locked_error(response.json())
    assert m.ConMed.objects.get(pk=first.pk).name == "ondansetron"


def test_the_page_refuses_to_correct_a_locked_record(cast, subject_a, two_con_meds):
    first, _, _ = two_con_meds
    url = f"/studies/{cast.study.code}/subjects/{subject_a.identifier}/ecrf/forms/con_med/{first.pk}/"
    post = {**CON_MED, "name": "granisetron", "reason_for_change": "wrong drug"}
    client = client_for(cast.coordinator_a)
    page = client.post(url, post)
    assert page.status_code == 409 and "locked" in page.content.decode()
    as_json = client.post(url, post, HTTP_ACCEPT="application/json")
    assert as_json.status_code == 409
    assert_locked_error(as_json.json())
    assert m.ConMed.objects.get(pk=first.pk).name == "ondansetron"


def test_other_records_stay_editable_while_one_is_locked(cast, subject_a, two_con_meds):
    _, second, _ = two_con_meds
    url = API.format(code=cast.study.code, sid=subject_a.identifier) + f"/con_med/{second.pk}"
    response = client_for(cast.coordinator_a).put(
        url, {**CON_MED, "name": "metoclopramide", "reason_for_change": "transcription"},
        content_type="application/json")
    assert response.status_code == 200, response.content
    added = save_record(cast.coordinator_a, subject_a, "con_med", {**CON_MED, "name": "dexamethasone"})
    assert added.pk and m.ConMed.objects.get(pk=second.pk).name == "metoclopramide"


def test_a_locked_assessment_leaves_the_other_forms_of_its_visit_editable(cast, subject_a):
    enter_baseline(cast.coordinator_a, subject_a)
    week8 = enter_follow_up(cast.coordinator_a, subject_a, "W8", dt.date(2025, 4, 2), (15, 10), "PR")
    dose = save_record(cast.coordinator_a, subject_a, "dose_administration",
                       {"drug": "sintilimab", "date": "2025-04-02", "action": "given", "dose": "200",
                        "unit": "mg"})
    locks.lock(cast.data_manager, cast.study, level="form", subject=subject_a,
               form="tumour_assessment", record_id=week8.pk)
    header = {"visit": "W8", "date": "2025-04-02", "method": "CT", "investigator_response": "PR"}
    with pytest.raises(Conflict, match="this tumour assessment is locked"):
        save_tumour_assessment(cast.coordinator_a, subject_a, header,
                               [lesion("T1", size=16), lesion("T2", size=10)], record_id=week8.pk,
                               reason="re-read")
    assert m.TumourAssessment.objects.get(pk=week8.pk).revision == 1
    corrected = save_record(cast.coordinator_a, subject_a, "dose_administration",
                            {"drug": "sintilimab", "date": "2025-04-02", "action": "given",
                             "dose": "200", "unit": "mg", "reason": ""}, record_id=dose.pk,
                            reason="unit check")
    assert corrected.revision == 2
    assert enter_follow_up(cast.coordinator_a, subject_a, "W16", dt.date(2025, 5, 28), (14, 9), "PR").pk


def test_unlocking_needs_a_reason_and_is_audited(cast, subject_a, two_con_meds):
    first, _, item = two_con_meds
    for blank in ("", "   "):
        with pytest.raises(InvalidInput, match="reason is required") as refused:
            locks.unlock(cast.data_manager, item, reason=blank)
        assert refused.value.field == "reason"
    url = f"/api/studies/{cast.study.code}/ecrf/locks/{item.pk}/unlock"
    client = client_for(cast.data_manager)
    no_reason = client.post(url, {"reason": ""}, content_type="application/json")
    assert no_reason.status_code == 400 and no_reason.json()["errors"][0]["field"] == "reason"
    assert m.Lock.objects.get(pk=item.pk).unlocked_at is None
    done = client.post(url, {"reason": "query 3: site corrects the start date"},
                       content_type="application/json")
    assert done.status_code == 200 and done.json()["active"] is False
    audit = AuditEvent.objects.filter(action="unlock", entity="lock", entity_id=str(item.pk)).get()
    assert (audit.username, audit.role, audit.how) == ("dam", "data_manager", "api")
    assert audit.reason == "query 3: site corrects the start date"
    assert audit.changes == [{"field": "locked", "old": True, "new": False}]
    assert AuditEvent.objects.filter(action="lock", entity="lock", entity_id=str(item.pk)).exists()
    save_record(cast.coordinator_a, subject_a, "con_med", {**CON_MED, "name": "granisetron"},
                record_id=first.pk, reason="wrong drug")
    assert m.ConMed.objects.get(pk=first.pk).name == "granisetron"


def test_only_lockers_can_unlock_through_the_page(cast, subject_a, two_con_meds):
    _, _, item = two_con_meds
    url = f"/studies/{cast.study.code}/ecrf/locks/{item.pk}/unlock/"
    refused = client_for(cast.coordinator_a).post(url, {"reason": "please"},
                                                  HTTP_ACCEPT="application/json")
    assert refused.status_code == 403 and refused.json()["status"] == 403
    assert client_for(cast.data_manager).post(url, {"reason": "query 4"}).status_code == 302
    assert m.Lock.objects.get(pk=item.pk).unlock_reason == "query 4"
