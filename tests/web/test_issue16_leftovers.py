"""Issue 16 leftovers: the enrol API takes the per-patient regimen the page asks, and the values a
user reads on a Chinese page are Chinese (eCRF choice labels, the dose-reduction label, timeline and
consent details, the RECIST timing note, the spider plot's axis title)."""

from __future__ import annotations

import re

import pytest
from django.utils import translation
from tests.web.test_screening_to_randomization import DAY, eligible_subject

from oncotrial.web.models import Subject, SubjectEvent

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _english_afterwards():
    """A Chinese request leaves zh-hans active in this thread; later tests call services directly."""
    yield
    translation.activate("en")


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


ZH = {"HTTP_ACCEPT_LANGUAGE": "zh-hans"}


def _zh(client, url):
    client.cookies["django_language"] = "zh-hans"
    reply = client.get(url, **ZH)
    assert reply.status_code == 200, reply.content.decode()[:2000]
    return reply.content.decode()


def test_ecrf_choices_read_in_chinese_on_the_assessment_page_and_the_codes_stay(client, single_arm_cast):
    from tests.web.ecrf.conftest import enrolled_subject_a

    cast = single_arm_cast
    subject = enrolled_subject_a(cast)
    client.force_login(cast.coordinator_a)
    page = _zh(client, f"/studies/{cast.study.code}/subjects/{subject.identifier}/ecrf/assessments/new/")
    for zh in ("靶病灶", "非靶病灶", "长径", "短径", "已测量", "明确进展", ">无</option>"):
        assert zh in page, zh
    for en in (">target<", ">non_target<", ">long<", ">short<", ">measured<", ">none<"):
        assert en not in page, en
    assert '<option value="target" selected>' in page and '<option value="long"' in page  # the stored codes


def test_the_dose_form_reads_in_chinese(client, single_arm_cast):
    from tests.web.ecrf.conftest import enrolled_subject_a

    cast = single_arm_cast
    subject = enrolled_subject_a(cast)
    client.force_login(cast.coordinator_a)
    page = _zh(client, f"/studies/{cast.study.code}/subjects/{subject.identifier}/ecrf/forms/dose_administration/new/")
    assert "减量（%）" in page and "Dose reduction" not in page
    assert ">已给药</option>" in page and ">given<" not in page and '<option value="given"' in page
    ae = _zh(client, f"/studies/{cast.study.code}/subjects/{subject.identifier}/ecrf/forms/adverse_event/new/")
    assert ">住院或住院延长</option>" in ae and ">hospitalisation<" not in ae and ">possible<" not in ae


def test_consent_and_timeline_details_read_in_chinese(client, cast):
    from tests.web.test_issue16_pages import _consented

    subject = _consented(cast)
    client.force_login(cast.coordinator_a)
    page = _zh(client, f"/studies/{cast.study.code}/subjects/{subject.identifier}/")
    assert "(受试者本人)" in page and "(self)" not in page
    assert "知情同意书版本 2.1" in page and "form 2.1" not in page


def test_the_recist_timing_note_the_dose_entry_and_the_spider_axis_read_in_chinese(client, single_arm_cast):
    from tests.web.ecrf.conftest import enrolled_subject_a, enter_baseline, enter_follow_up
    from tests.web.ecrf.test_issue16_findings import FIRST_DOSE, _dose

    cast = single_arm_cast
    subject = enrolled_subject_a(cast)
    enter_baseline(cast.coordinator_a, subject, sizes=(30, 20))
    _dose(cast, subject)
    enter_follow_up(cast.coordinator_a, subject, "W1", FIRST_DOSE, (20, 14), "PR")
    client.force_login(cast.investigator_a)
    page = _zh(client, f"/studies/{cast.study.code}/subjects/{subject.identifier}/ecrf/")
    assert f"日期 {FIRST_DOSE.isoformat()}，在首次治疗或随机化" in page
    assert "on or before the first therapy" not in page
    assert "距基线天数" in page and "days from baseline" not in page
    assert re.search(r"camrelizumab 200[.0-9]* mg 已给药", page) and not re.search(r"mg given", page)
    english = client.get(f"/studies/{cast.study.code}/subjects/{subject.identifier}/ecrf/",
                         HTTP_ACCEPT_LANGUAGE="en", cookies={"django_language": "en"})
    assert english.status_code == 200
