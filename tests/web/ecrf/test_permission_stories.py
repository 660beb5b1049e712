"""Who may see and do what on the eCRF, told as stories with the core cast (tests/web/conftest.py)."""

import pytest
from django.test import Client
from tests.web.ecrf.conftest import enter_baseline, make_subject

from oncotrial.web.ecrf import models as m
from oncotrial.web.ecrf.specs import FORMS

READERS = ("investigator_a", "coordinator_a", "monitor", "data_manager", "statistician", "admin")
NOT_READERS = ("outsider_b", "sponsor_viewer")


def as_user(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def subject_urls(code, sid, assessment_id):
    base = f"/studies/{code}/subjects/{sid}/ecrf/"
    api = f"/api/studies/{code}/subjects/{sid}/ecrf"
    pages = [base, base + f"assessments/{assessment_id}/"]
    pages += [base + f"forms/{form}/new/" for form in FORMS if form != "tumour_assessment"]
    apis = [api, api + "/signatures", api + f"/tumour_assessment/{assessment_id}"]
    apis += [api + f"/{form}" for form in FORMS]
    return pages + apis


@pytest.mark.parametrize("who", READERS + NOT_READERS)
def test_only_people_with_a_role_at_site_a_see_a_site_a_subject(cast, subject_a, who):
    assessment = enter_baseline(cast.coordinator_a, subject_a)
    client = as_user(getattr(cast, who))
    expected = 200 if who in READERS else 404
    for url in subject_urls(cast.study.code, subject_a.identifier, assessment.pk):
        assert client.get(url).status_code == expected, (who, url)


def test_a_coordinator_at_site_b_cannot_open_or_write_to_a_site_a_subject(cast, subject_a):
    client = as_user(cast.outsider_b)
    url = f"/api/studies/{cast.study.code}/subjects/{subject_a.identifier}/ecrf/con_med"
    response = client.post(url, {"name": "x", "start_date": "2025-02-10"}, content_type="application/json")
    assert response.status_code == 404 and response.json()["ok"] is False
    assert not m.ConMed.objects.exists()
    own = make_subject(cast, site=cast.site_b)
    own_url = f"/api/studies/{cast.study.code}/subjects/{own.identifier}/ecrf/con_med"
    assert client.post(own_url, {"name": "x", "start_date": "2025-02-10"},
                       content_type="application/json").status_code == 200


@pytest.mark.parametrize("who", ("monitor", "data_manager", "statistician", "admin"))
def test_only_site_staff_enter_clinical_data(cast, subject_a, who):
    url = f"/api/studies/{cast.study.code}/subjects/{subject_a.identifier}/ecrf/con_med"
    response = as_user(getattr(cast, who)).post(url, {"name": "x", "start_date": "2025-02-10"},
                                                content_type="application/json")
    assert response.status_code == 403, who
    assert not m.ConMed.objects.exists()


def test_the_safety_summary_counts_only_visible_sites(cast, subject_a):
    from oncotrial.web.ecrf.services.records import save_record

    enter_baseline(cast.coordinator_a, subject_a)
    save_record(cast.coordinator_a, subject_a, "dose_administration",
                {"drug": "sintilimab", "date": "2025-02-10", "action": "given", "dose": "200", "unit": "mg"})
    save_record(cast.coordinator_a, subject_a, "adverse_event",
                {"term": "Diarrhea", "grade": "3", "start_date": "2025-02-20", "outcome": "recovering"})
    seen = as_user(cast.monitor).get(f"/api/studies/{cast.study.code}/ecrf/safety").json()
    assert seen["grade_3_4"]["numerator"] == 1 and seen["rows"][0]["worst_grade"] == 3
    hidden = as_user(cast.outsider_b).get(f"/api/studies/{cast.study.code}/ecrf/safety").json()
    assert hidden["n_safety"] == 0 and hidden["rows"] == []
