"""eCRF pages and their API twins through the Django test client."""

import datetime as dt

from django.test import Client
from tests.web.ecrf.conftest import BASELINE, enter_baseline, enter_follow_up

from oncotrial.web.ecrf import models as m

API = "/api/studies/{code}/subjects/{sid}/ecrf"


def client_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_it_shows_the_live_recist_table_on_the_subject_page(cast, subject_a):
    enter_baseline(cast.coordinator_a, subject_a, sizes=(30, 20))
    enter_follow_up(cast.coordinator_a, subject_a, "W8", dt.date(2025, 4, 2), (15, 10), "SD")
    page = client_for(cast.investigator_a).get(
        f"/studies/{cast.study.code}/subjects/{subject_a.identifier}/ecrf/")
    html = page.content.decode()
    assert page.status_code == 200
    assert 'id="recist-W8" class="discrepancy"' in html and "<strong>PR</strong>" in html
    assert "<svg" in html and "polyline" in html


def test_it_saves_an_assessment_from_the_page_form(cast, subject_a):
    url = f"/studies/{cast.study.code}/subjects/{subject_a.identifier}/ecrf/assessments/new/"
    client = client_for(cast.coordinator_a)
    assert client.get(url).status_code == 200
    post = {"visit": "BL", "date": BASELINE.isoformat(), "method": "CT", "is_baseline": "true",
            "lesion-0-lesion_id": "T1", "lesion-0-kind": "target", "lesion-0-organ": "liver",
            "lesion-0-axis": "long", "lesion-0-size_mm": "31", "lesion-1-lesion_id": "",
            "lesion-1-kind": "target"}
    response = client.post(url, post)
    assert response.status_code == 302, response.content.decode()[:2000]
    assert m.LesionRecord.objects.get().size_mm == 31


def test_it_answers_a_bad_page_value_with_the_message_and_saves_nothing(cast, subject_a):
    url = f"/studies/{cast.study.code}/subjects/{subject_a.identifier}/ecrf/forms/adverse_event/new/"
    response = client_for(cast.coordinator_a).post(url, {"term": "Nausea", "grade": "three",
                                                         "start_date": "2025-03-01"})
    assert response.status_code == 400
    assert "Grade: must be a number, not &#x27;three&#x27;" in response.content.decode()
    assert not m.AdverseEvent.objects.exists()


def test_it_enters_and_reads_a_dose_through_the_api_with_bsa(cast, subject_a):
    client = client_for(cast.coordinator_a)
    url = API.format(code=cast.study.code, sid=subject_a.identifier) + "/dose_administration"
    body = {"drug": "oxaliplatin", "date": "2025-02-10", "action": "given", "dose": "261.6",
            "unit": "mg", "height_cm": 180, "weight_kg": 81}
    response = client.post(url, body, content_type="application/json")
    assert response.status_code == 200, response.content
    data = response.json()
    # mFOLFOX6 oxaliplatin 85 mg/m2 is the first protocol match? The first regimen listing
    # oxaliplatin in the SBRT protocol is XELOX (130 mg/m2): 130 x 2.0125 = 261.6 mg.
    assert (data["bsa_m2"], data["prescribed_dose"], data["percent_of_planned"]) == ("2.012", "261.6", "100.0")
    assert client.get(f"{url}/{data['id']}").json()["dose"] == "261.6"


def test_it_returns_the_one_error_shape_for_a_dose_without_unit(cast, subject_a):
    url = API.format(code=cast.study.code, sid=subject_a.identifier) + "/dose_administration"
    response = client_for(cast.coordinator_a).post(
        url, {"drug": "sintilimab", "date": "2025-02-10", "action": "given", "dose": 200},
        content_type="application/json")
    assert response.status_code == 400
    assert response.json() == {"ok": False, "error": "dose unit is required when action is 'given' or "
                               "'delayed' or 'reduced'.", "status": 400,
                               "errors": [{"field": "unit", "message": "dose unit is required when "
                                           "action is 'given' or 'delayed' or 'reduced'.",
                                           "check_id": "DA-08"}]}
    assert not m.DoseAdministration.objects.exists()


def test_it_lists_every_form_in_the_openapi_schema(cast):
    from oncotrial.web.ecrf.specs import FORMS

    schema = client_for(cast.admin).get("/api/openapi.json").json()
    operations = {op["operationId"] for item in schema["paths"].values() for op in item.values()}
    for form in FORMS:
        for verb in ("create", "list", "get", "update"):
            assert f"ecrf_{verb}_{form}" in operations, (verb, form)
    schemas = schema["components"]["schemas"]
    for form, spec in FORMS.items():
        fields = set(schemas[f"{spec.model}In"]["properties"])
        assert set(spec.field_names) <= fields, form  # every form field is an API field
    assert "lesions" in schemas["TumourAssessmentIn"]["properties"]
    for twin in ("ecrf_study_responses", "ecrf_subject_timeline", "ecrf_list_queries", "ecrf_query_action", "ecrf_sign",
                 "ecrf_verify_source", "ecrf_lock_subject_data", "ecrf_lock_study", "ecrf_unlock",
                 "ecrf_safety_summary", "ecrf_open_query", "ecrf_list_signatures"):
        assert twin in operations


def test_the_api_enters_and_corrects_an_assessment_and_a_lock_stops_it(cast, subject_a):
    base = API.format(code=cast.study.code, sid=subject_a.identifier)
    coordinator = client_for(cast.coordinator_a)
    lesions = [{"lesion_id": "T1", "kind": "target", "organ": "liver", "axis": "long", "size_mm": 30}]
    body = {"visit": "BL", "date": "2025-02-05", "method": "CT", "is_baseline": True, "lesions": lesions}
    created = coordinator.post(base + "/tumour_assessment", body, content_type="application/json")
    assert created.status_code == 200, created.content
    record_id = created.json()["id"]
    lesions[0]["size_mm"] = 32
    update = {**body, "lesions": lesions}
    refused = coordinator.put(f"{base}/tumour_assessment/{record_id}", update, content_type="application/json")
    assert refused.status_code == 400 and refused.json()["errors"][0]["field"] == "reason_for_change"
    locked = client_for(cast.data_manager).post(base + "/locks", {"level": "subject"},
                                                content_type="application/json")
    assert locked.status_code == 200
    update["reason_for_change"] = "re-measured at source"
    response = coordinator.put(f"{base}/tumour_assessment/{record_id}", update, content_type="application/json")
    assert response.status_code == 409 and "is locked" in response.json()["error"]
    unlock = f"/api/studies/{cast.study.code}/ecrf/locks/{locked.json()['id']}/unlock"
    assert client_for(cast.data_manager).post(unlock, {"reason": ""},
                                              content_type="application/json").status_code == 400
    assert client_for(cast.data_manager).post(unlock, {"reason": "site correction agreed"},
                                              content_type="application/json").status_code == 200
    response = coordinator.put(f"{base}/tumour_assessment/{record_id}", update, content_type="application/json")
    assert response.status_code == 200 and response.json()["revision"] == 2
    assert response.json()["lesions"][0]["size_mm"] == "32"


def test_the_api_runs_the_query_workflow_with_assignment_and_site_lists(cast, subject_a):
    base = API.format(code=cast.study.code, sid=subject_a.identifier)
    record = client_for(cast.coordinator_a).post(
        base + "/con_med", {"name": "ondansetron", "start_date": "2025-02-10"},
        content_type="application/json").json()
    monitor = client_for(cast.monitor)
    bad = monitor.post(base + "/queries", {"form": "con_med", "record_id": record["id"], "text": "dose?",
                                           "assigned_to": "nobody"}, content_type="application/json")
    assert bad.status_code == 400 and bad.json()["errors"][0]["field"] == "assigned_to"
    opened = monitor.post(base + "/queries", {"form": "con_med", "record_id": record["id"], "field": "dose_text",
                                              "text": "dose?", "assigned_to": "coa"},
                          content_type="application/json").json()
    assert (opened["status"], opened["assigned_to"]) == ("open", "coa")
    action = f"/api/studies/{cast.study.code}/ecrf/queries/{opened['id']}/"
    client_for(cast.coordinator_a).post(action + "answer", {"answer": "8 mg bid"}, content_type="application/json")
    again = monitor.post(action + "reopen", {"text": "and the route?"}, content_type="application/json").json()
    assert again["status"] == "open" and "and the route?" in again["text"]
    listing = f"/api/studies/{cast.study.code}/ecrf/queries"
    assert [q["id"] for q in monitor.get(listing + "?site=01").json()] == [opened["id"]]
    assert monitor.get(listing + "?site=02").json() == []


def test_the_study_response_page_and_api_show_every_visible_subject(cast, subject_a):
    enter_baseline(cast.coordinator_a, subject_a, sizes=(30, 20))
    enter_follow_up(cast.coordinator_a, subject_a, "W8", dt.date(2025, 4, 2), (15, 10), "SD")
    data = client_for(cast.monitor).get(f"/api/studies/{cast.study.code}/ecrf/responses").json()
    assert data["subjects"] == [{"subject": subject_a.identifier, "site": "01", "assessments": 2,
                                 "latest_response": "PR", "best_percent_change": -50.0, "discrepancies": 1}]
    assert [p["percent"] for p in data["spider"][subject_a.identifier]] == [0.0, -50.0]
    page = client_for(cast.monitor).get(f"/studies/{cast.study.code}/ecrf/responses/").content.decode()
    assert "polyline" in page and subject_a.identifier in page
    assert client_for(cast.outsider_b).get(f"/api/studies/{cast.study.code}/ecrf/responses").json() == {
        "subjects": [], "spider": {}}


def test_the_ecrf_pages_speak_simplified_chinese(cast, subject_a):
    enter_baseline(cast.coordinator_a, subject_a, sizes=(30, 20))
    client = client_for(cast.investigator_a)
    base = f"/studies/{cast.study.code}/subjects/{subject_a.identifier}/ecrf/"
    page = client.get(base, HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    assert "肿瘤评估（RECIST 1.1，实时计算）" in page and "较基线 %" in page
    form = client.get(base + "forms/adverse_event/new/", HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    assert "相关性：抗 PD-1" in form and "CTCAE 术语" in form
    assert "Tumour assessments (RECIST 1.1" in client.get(base, HTTP_ACCEPT_LANGUAGE="en").content.decode()
