"""Issue 13, item 2: the defects the property test (test_property_roundtrip.py) found, each a 500
before its fix; now a 4xx in the one error shape, and nothing is stored."""

import json

from django.test import Client
from tests.web.ecrf.conftest import enrolled_subject_a, enter_baseline

from oncotrial.web.ecrf import models as m

API = "/api/studies/{code}/subjects/{sid}/ecrf/"


def post(cast, subject, form, body, user=None):
    client = Client()
    client.force_login(user or cast.coordinator_a)
    url = API.format(code=cast.study.code, sid=subject.identifier) + form
    return client.post(url, json.dumps(body), content_type="application/json")


def assert_refused(reply, status, field):
    body = reply.json()
    assert reply.status_code == status, body
    assert body["ok"] is False and body["status"] == status and field in [e["field"] for e in body["errors"]]


def test_a_second_death_is_a_conflict_not_a_server_error(single_arm_cast):
    cast = single_arm_cast
    subject = enrolled_subject_a(cast)
    assert post(cast, subject, "death", {"date": "2025-03-01", "cause": "unknown"}).status_code == 200
    reply = post(cast, subject, "death", {"date": "2025-03-02", "cause": "other"})
    assert_refused(reply, 409, "form")
    assert "already has a death record" in reply.json()["error"]
    assert m.Death.objects.count() == 1


def test_a_second_status_change_of_one_kind_is_a_conflict(single_arm_cast):
    cast = single_arm_cast
    subject = enrolled_subject_a(cast)
    body = {"status": "off_treatment", "date": "2025-03-01", "reason": "toxicity"}
    assert post(cast, subject, "subject_status", body).status_code == 200
    assert_refused(post(cast, subject, "subject_status", {**body, "date": "2025-03-05"}), 409, "status")
    assert m.SubjectStatusChange.objects.count() == 1


def test_a_status_change_without_a_status_is_refused(single_arm_cast):
    cast = single_arm_cast
    subject = enrolled_subject_a(cast)
    assert_refused(post(cast, subject, "subject_status", {"date": "2025-03-01", "reason": "x"}), 400, "status")
    assert not m.SubjectStatusChange.objects.exists()


def test_a_local_therapy_without_a_procedure_is_refused(single_arm_cast):
    cast = single_arm_cast
    subject = enrolled_subject_a(cast)
    enter_baseline(cast.coordinator_a, subject, sizes=(30, 20))
    reply = post(cast, subject, "local_therapy", {"date": "2025-02-20", "lesion_ids": ["T1"]})
    assert_refused(reply, 400, "kind")
    assert not m.LocalTherapy.objects.exists()
