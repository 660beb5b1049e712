"""The JSON API: the same data as the pages, one error shape for every error, CSRF on writes."""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client

from oncotrial.web.models import AuditEvent, Subject

pytestmark = pytest.mark.django_db

DAY = dt.date(2025, 3, 3)
ERROR_KEYS = {"ok", "error", "errors", "status"}


def api(client, method: str, url: str, body=None):
    call = getattr(client, method)
    return call(url, body, content_type="application/json") if body is not None else call(url)


def test_every_error_has_one_shape(client, cast):
    code = cast.study.code
    replies = [api(client, "get", f"/api/studies/{code}/subjects")]  # 401
    client.force_login(cast.coordinator_a)
    replies += [
        api(client, "post", f"/api/studies/{code}/subjects", {"site": "01", "screened_on": "not a date"}),  # 400
        api(client, "get", f"/api/studies/{code}/allocations"),  # 403
        api(client, "get", f"/api/studies/{code}/subjects/01-999-2"),  # 404
        api(client, "get", "/api/studies/no-such-study"),  # 404
        api(client, "get", f"/api/studies/{code}/subjects/01-001-9"),  # 400: bad check digit
    ]
    assert [r.status_code for r in replies] == [401, 400, 403, 404, 404, 400]
    for reply in replies:
        body = reply.json()
        assert set(body) == ERROR_KEYS and body["ok"] is False and body["status"] == reply.status_code
        assert isinstance(body["errors"], list) and body["error"]
    assert replies[1].json()["errors"][0]["field"] == "payload.screened_on"


def test_a_conflict_is_409_and_names_the_field(client, cast):
    client.force_login(cast.coordinator_a)
    code = cast.study.code
    created = api(client, "post", f"/api/studies/{code}/subjects", {"site": "01", "screened_on": DAY.isoformat()})
    identifier = created.json()["identifier"]
    reply = api(client, "post", f"/api/studies/{code}/subjects/{identifier}/enrol", {"enrolled_on": DAY.isoformat()})
    assert reply.status_code == 409
    assert reply.json()["errors"] == [{"field": "subject", "message": reply.json()["error"]}]


def test_page_errors_use_the_same_shape_when_json_is_asked_for(client, cast):
    client.force_login(cast.coordinator_a)
    reply = client.get(f"/studies/{cast.study.code}/allocations/", HTTP_ACCEPT="application/json")
    assert reply.status_code == 403 and set(reply.json()) == ERROR_KEYS


def test_writes_need_the_csrf_token(cast):
    strict = Client(enforce_csrf_checks=True)
    strict.force_login(cast.coordinator_a)
    reply = strict.post(f"/api/studies/{cast.study.code}/subjects", {"site": "01", "screened_on": DAY.isoformat()},
                        content_type="application/json")
    assert reply.status_code == 403 and set(reply.json()) == ERROR_KEYS
    assert not Subject.objects.exists()


def test_the_api_walks_screening_to_randomization_and_audits_how(client, cast):
    client.force_login(cast.coordinator_a)
    base = f"/api/studies/{cast.study.code}/subjects"
    screening = {"site": "01", "screened_on": DAY.isoformat(), "sex": "male"}
    identifier = api(client, "post", base, screening).json()["identifier"]
    url = f"{base}/{identifier}"
    assert api(client, "post", url + "/consent", {"form_version": "1", "signed_on": DAY.isoformat(),
                                                  "signer": "Zhang San"}).status_code == 200
    answers = {"age_years": 60, "sex": "male", "crlm_confirmed": True, "metastasis_timing": "synchronous",
               "high_risk_local_recurrence": True, "curative_resection": True, "ecog": 0, "anc": 2.0,
               "platelets": 150, "extrahepatic_disease": False, "prior_anti_pd1": False}
    detail = api(client, "post", url + "/eligibility", {"assessed_on": DAY.isoformat(), "answers": answers}).json()
    assert detail["status"] == "eligible"
    assert api(client, "post", url + "/enrol", {"enrolled_on": DAY.isoformat()}).json()["status"] == "enrolled"
    detail = api(client, "post", url + "/randomize", {"factors": {"margin": "R1", "timing": "synchronous"}}).json()
    assert detail["status"] == "randomized" and detail["randomization"]["sequence"] == 1
    assert set(AuditEvent.objects.filter(subject_identifier=identifier).values_list("how", flat=True)) == {"api"}


def test_the_subject_list_page_and_its_json_twin_show_the_same_subjects(client, cast):
    client.force_login(cast.coordinator_a)
    for _ in range(3):
        api(client, "post", f"/api/studies/{cast.study.code}/subjects", {"site": "01", "screened_on": DAY.isoformat()})
    rows = api(client, "get", f"/api/studies/{cast.study.code}/subjects").json()["subjects"]
    page = client.get(f"/studies/{cast.study.code}/subjects/")
    assert page.context["subjects"] == rows
    dashboard = api(client, "get", f"/api/studies/{cast.study.code}").json()
    page = client.get(f"/studies/{cast.study.code}/")
    assert {k: v for k, v in dashboard.items() if k != "ok"} == page.context["dashboard"]
    assert dashboard["screened"] == 3 and dashboard["target"] == 80


def test_events_drive_the_calendar_and_the_worklist(client, cast):
    from .test_permission_stories import FACTS

    client.force_login(cast.coordinator_a)
    base = f"/api/studies/{cast.study.code}/subjects"
    identifier = api(client, "post", base, {"site": "01", "screened_on": DAY.isoformat()}).json()["identifier"]
    url = f"{base}/{identifier}"
    api(client, "post", url + "/consent", {"form_version": "1", "signed_on": DAY.isoformat(), "signer": "X"})
    api(client, "post", url + "/eligibility", {"assessed_on": DAY.isoformat(), "answers": FACTS})
    api(client, "post", url + "/enrol", {"enrolled_on": DAY.isoformat()})
    api(client, "post", url + "/randomize", {"factors": {"margin": "R0", "timing": "synchronous"}})
    assert api(client, "get", url + "/calendar").json()["problem"]  # no chemotherapy regimen chosen yet
    reply = api(client, "post", url + "/events", {"kind": "regimen_choice", "occurred_on": DAY.isoformat(),
                                                  "item": "chemotherapy", "value": "xelox"})
    assert reply.status_code == 200, reply.json()
    calendar = api(client, "get", url + "/calendar").json()
    assert calendar["problem"] == "" and calendar["clocks"]
    worklist = api(client, "get", f"/api/studies/{cast.study.code}/worklist").json()
    assert worklist["overdue"] + worklist["due_this_week"] == len(worklist["items"]) > 0
    bad = api(client, "post", url + "/events", {"kind": "dose", "occurred_on": "2024-01-01", "item": "chemotherapy"})
    assert bad.status_code == 400 and "before" in bad.json()["error"]


def test_openapi_documents_the_api(client, cast):
    schema = client.get("/api/openapi.json").json()
    assert "/api/studies/{code}/subjects/{identifier}/randomize" in schema["paths"]
    assert client.get("/api/docs").status_code == 200
