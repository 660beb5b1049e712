"""Issue 16 leftovers: the enrol API takes the per-patient regimen the page asks, and the values a
user reads on a Chinese page are Chinese (eCRF choice labels, the dose-reduction label, timeline and
consent details, the RECIST timing note, the spider plot's axis title)."""

from __future__ import annotations

import pytest
from tests.web.test_screening_to_randomization import DAY, eligible_subject

from oncotrial.web.models import Subject, SubjectEvent

pytestmark = pytest.mark.django_db


def _api(client, url, body):
    return client.post(url, body, content_type="application/json")


def test_the_enrol_api_takes_the_per_patient_regimen(client, cast):
    subject = eligible_subject(cast)
    client.force_login(cast.coordinator_a)
    url = f"/api/studies/{cast.study.code}/subjects/{subject.identifier}/enrol"
    reply = _api(client, url, {"enrolled_on": DAY.isoformat(), "regimens": {"chemotherapy": "folfiri"}})
    assert reply.status_code == 200, reply.content.decode()
    choice = SubjectEvent.objects.get(subject=subject, kind="regimen_choice")
    assert (choice.item, choice.value, choice.occurred_on) == ("chemotherapy", "folfiri", DAY)


def test_a_regimen_the_protocol_does_not_offer_is_400_naming_the_field_and_the_allowed_ones(client, cast):
    subject = eligible_subject(cast)
    client.force_login(cast.coordinator_a)
    url = f"/api/studies/{cast.study.code}/subjects/{subject.identifier}/enrol"
    reply = _api(client, url, {"enrolled_on": DAY.isoformat(), "regimens": {"chemotherapy": "aspirin"}})
    assert reply.status_code == 400
    body = reply.json()
    assert body["errors"][0]["field"] == "regimens.chemotherapy"
    assert "xelox" in body["error"] and "folfiri" in body["error"] and "aspirin" in body["error"]
    unknown = _api(client, url, {"enrolled_on": DAY.isoformat(), "regimens": {"radiotherapy": "xelox"}})
    assert unknown.status_code == 400 and unknown.json()["errors"][0]["field"] == "regimens.radiotherapy"
    not_text = _api(client, url, {"enrolled_on": DAY.isoformat(), "regimens": {"chemotherapy": 3}})
    assert not_text.status_code == 400
    assert Subject.objects.get(pk=subject.pk).status != "enrolled"
    assert not SubjectEvent.objects.filter(subject=subject, kind="regimen_choice").exists()
