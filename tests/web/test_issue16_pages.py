"""Issue 16, page findings that a Django-client test pins (the browser walk is
tests/browser/test_issue16_walk.py): the enrol page asks the per-patient regimen, eligibility takes
decimals and does not ask again what screening recorded, messages name things as a user would."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from tests.web.test_screening_to_randomization import DAY, ELIGIBLE_B, eligible_subject

from oncotrial.domain.conduct.edit_checks import run_edit_checks
from oncotrial.web.models import SubjectEvent
from oncotrial.web.services import subjects

pytestmark = pytest.mark.django_db

ELIGIBLE_A = {"age_years": "58", "crc_histology_confirmed": "yes", "metastasis_sites": "liver",
              "lesions_ablatable": "yes", "measurable_disease": "yes", "ecog": "0", "anc": "3.0",
              "platelets": "220.5", "bilirubin_uln": "0.8", "alt_ast_uln": "1.2", "prior_anti_pd1": "no",
              "active_autoimmune_disease": "no"}


def _consented(cast):
    subject = subjects.register_screening(cast.coordinator_a, cast.study, cast.site_a, screened_on=DAY,
                                          initials="LW", sex="female", birth_year=1963)
    subjects.record_consent(cast.coordinator_a, subject, form_version="2.1", signed_on=DAY, signer="Li Wei")
    return subject


def test_it_asks_the_regimen_on_the_enrol_page_and_the_calendar_can_be_drawn_at_once(client, cast):
    subject = eligible_subject(cast)
    client.force_login(cast.coordinator_a)
    url = f"/studies/{cast.study.code}/subjects/{subject.identifier}/enrol/"
    page = client.get(url).content.decode()
    assert 'name="regimen_chemotherapy"' in page and "FOLFIRI" in page and "XELOX" in page
    assert client.post(url, {"enrolled_on": DAY.isoformat(), "regimen_chemotherapy": "folfiri"}).status_code == 302
    choice = SubjectEvent.objects.get(subject=subject, kind="regimen_choice")
    assert (choice.item, choice.value, choice.occurred_on) == ("chemotherapy", "folfiri", DAY)
    bad = client.post(f"/studies/{cast.study.code}/subjects/{eligible_subject(cast).identifier}/enrol/",
                      {"enrolled_on": DAY.isoformat(), "regimen_chemotherapy": "aspirin"})
    assert bad.status_code == 400


def test_the_eligibility_page_takes_decimal_laboratory_values(client, single_arm_cast):
    cast = single_arm_cast
    subject = _consented(cast)
    client.force_login(cast.coordinator_a)
    url = f"/studies/{cast.study.code}/subjects/{subject.identifier}/eligibility/"
    response = client.post(url, {"assessed_on": DAY.isoformat(), **ELIGIBLE_A})
    assert response.status_code == 302, response.content.decode()[:3000]
    record = subject.screenings.get()
    assert record.eligible and record.answers["alt_ast_uln"] == 1.2 and record.answers["platelets"] == 220.5


def test_eligibility_does_not_ask_sex_again_and_fills_age_from_the_year_of_birth(client, cast):
    subject = _consented(cast)
    client.force_login(cast.coordinator_a)
    url = f"/studies/{cast.study.code}/subjects/{subject.identifier}/eligibility/"
    page = client.get(url).content.decode()
    assert 'name="sex" disabled' in page or ('name="sex"' in page and "disabled" in page.split('name="sex"')[1][:300])
    assert f'value="{dt.date.today().year - 1963}"' in page
    answers = {k: v for k, v in ELIGIBLE_B.items() if k != "sex"}
    assert client.post(url, {"assessed_on": DAY.isoformat(), **{k: str(v) for k, v in answers.items()},
                             "sex": "male"}).status_code == 302
    assert subject.screenings.get().answers["sex"] == "female"  # the screening record, not the post


def test_randomization_does_not_ask_again_the_metastasis_timing_screening_recorded(client, cast):
    subject = eligible_subject(cast)
    subjects.enrol_subject(cast.coordinator_a, subject, enrolled_on=DAY)
    client.force_login(cast.coordinator_a)
    url = f"/studies/{cast.study.code}/subjects/{subject.identifier}/randomize/"
    page = client.get(url).content.decode()
    timing = page.split('name="timing"')[1][:200]
    assert "disabled" in timing
    assert client.post(url, {"margin": "R0", "timing": "synchronous", "confirm": "on"}).status_code == 302
    subject.refresh_from_db()
    assert subject.randomization.factors["timing"] == "metachronous"


def test_a_future_date_is_named_as_a_user_would(client, cast):
    subject = eligible_subject(cast)
    client.force_login(cast.coordinator_a)
    future = (dt.date.today() + dt.timedelta(days=30)).isoformat()
    page = client.post(f"/studies/{cast.study.code}/subjects/{subject.identifier}/enrol/",
                       {"enrolled_on": future}).content.decode()
    assert f"the enrolment date {future} is in the future at site 01" in page
    assert not any("enrolled_on" in alert for alert in _alerts(page))
    subjects.enrol_subject(cast.coordinator_a, subject, enrolled_on=DAY)
    page = client.post(f"/studies/{cast.study.code}/subjects/{subject.identifier}/events/new/",
                       {"kind": "regimen_choice", "occurred_on": future, "item": "chemotherapy",
                        "value": "folfiri"}).content.decode()
    assert "the event date" in page and not any("occurred_on" in alert for alert in _alerts(page))


def _alerts(page: str) -> list[str]:
    return re.findall(r'role="alert">(.*?)</', page, re.S)


def test_an_edit_check_message_never_shows_a_python_repr():
    failures = run_edit_checks("dose_administration", {"delay_days": __import__("decimal").Decimal("1000.5")}, {})
    (failure,) = [f for f in failures if f.field == "delay_days"]
    assert "Decimal(" not in failure.message and "1000.5" in failure.message


def test_every_date_on_a_page_is_iso_in_both_languages(client, cast):
    subject = eligible_subject(cast)
    client.force_login(cast.coordinator_a)
    for language in ("en", "zh-hans"):
        client.cookies["django_language"] = language
        page = client.get(f"/studies/{cast.study.code}/subjects/{subject.identifier}/",
                          HTTP_ACCEPT_LANGUAGE=language).content.decode()
        assert DAY.isoformat() in page
        assert not re.search(r"\b(Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec)[a-z]*\.? \d{1,2}, \d{4}", page)
        assert not re.search(r"\d{4}年\d{1,2}月\d{1,2}日", page)


def test_an_error_page_says_its_message_once(client, cast):
    client.force_login(cast.statistician)
    page = client.get(f"/studies/{cast.study.code}/audit/").content.decode()
    main = page.split("<main>")[1]
    (message,) = re.findall(r'<p class="error-message">(.*?)</p>', main, re.S)
    assert main.count(message.strip()) == 1


def test_the_values_a_user_reads_are_in_chinese(client, cast):
    subject = eligible_subject(cast)
    subjects.enrol_subject(cast.coordinator_a, subject, enrolled_on=DAY)
    from oncotrial.web.services.randomization import randomize_subject

    randomize_subject(cast.coordinator_a, subject, factors={"margin": "R1", "timing": "metachronous"})
    client.force_login(cast.coordinator_a)
    zh = {"HTTP_ACCEPT_LANGUAGE": "zh-hans"}
    page = client.get(f"/studies/{cast.study.code}/subjects/{subject.identifier}/", **zh).content.decode()
    assert 'id="subject-status">已随机</span>' in page and " · 女" in page
    assert ("单纯术后化疗" in page) or ("术后化疗 + SBRT + 信迪利单抗" in page)
    assert "入组" in page and "随机化" in page  # timeline entries
    listing = client.get(f"/studies/{cast.study.code}/subjects/", **zh).content.decode()
    assert "已随机" in listing and "randomized</span>" not in listing
    other = subjects.register_screening(cast.coordinator_a, cast.study, cast.site_a, screened_on=DAY,
                                        initials="ZW", sex="male", birth_year=1960)
    subjects.record_consent(cast.coordinator_a, other, form_version="2.1", signed_on=DAY, signer="Z W")
    form = client.get(f"/studies/{cast.study.code}/subjects/{other.identifier}/eligibility/", **zh).content.decode()
    assert "经病理和影像确诊的结直肠癌肝转移" in form and "同时性" in form
    english = client.get(f"/studies/{cast.study.code}/subjects/{other.identifier}/eligibility/").content.decode()
    assert "Colorectal liver metastases confirmed pathologically and by imaging" in english
