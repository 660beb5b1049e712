"""Issue 16 acceptance: each trial walked in Chromium, in English and in Chinese — screening →
enrolment with the regimen → randomization (trial B) → baseline and follow-up assessment with a
computed response → a dose chosen from the regimen → an "Other, specify" AE → a query the monitor
opens and closes — and no link a role sees on those pages leads to a 403."""

from __future__ import annotations

import datetime as dt
import re

import pytest

from oncotrial.web.ecrf import models as m
from oncotrial.web.models import Subject
from oncotrial.web.testing import PASSWORD, build_cast, lift_audit_triggers_for_flush, restore_audit_triggers

pytestmark = [pytest.mark.browser, pytest.mark.slow]

TRIALS = {
    "crlm-sbrt-sintilimab": {"regimen": "xelox", "drug": "oxaliplatin", "dose": "236", "answers": {
        "age_years": "64", "crlm_confirmed": "yes", "metastasis_timing": "synchronous",
        "high_risk_local_recurrence": "yes", "curative_resection": "yes", "ecog": "1", "anc": "2.4",
        "platelets": "210.5", "extrahepatic_disease": "no", "prior_anti_pd1": "no"}},
    "crlm-mwa-camrelizumab": {"regimen": "mfolfox6", "drug": "oxaliplatin", "dose": "154", "answers": {
        "age_years": "58", "crc_histology_confirmed": "yes", "metastasis_sites": "liver",
        "lesions_ablatable": "yes", "measurable_disease": "yes", "ecog": "0", "anc": "3.1",
        "platelets": "220", "bilirubin_uln": "0.8", "alt_ast_uln": "1.2", "prior_anti_pd1": "no",
        "active_autoimmune_disease": "no"}},
}
OTHER_TERM = "Gastrointestinal disorders - Other, specify"


@pytest.fixture
def trial_cast(request, live_server, settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    from oncotrial.web.ecrf.services.ctcae import ensure_bundled_terms

    restore_audit_triggers()
    ensure_bundled_terms()  # a flushed live-server database has lost the migrations' terms
    yield build_cast(request.param)
    lift_audit_triggers_for_flush()


def _login(page, server, username, language):
    page.context.clear_cookies()
    page.context.add_cookies([{"name": "django_language", "value": language, "url": server.url}])
    page.goto(f"{server.url}/accounts/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    page.click("#login-submit")


def _fill(page, field, value):
    selector = f"#id_{field}"
    if page.is_disabled(selector):  # carried forward from screening
        return
    if page.eval_on_selector(selector, "e => e.tagName") == "SELECT":
        page.select_option(selector, value)
    else:
        page.fill(selector, value)


def _no_forbidden_links(page, server) -> list[str]:
    """Every link on the current page, fetched with the page's session: those answering 403."""
    hrefs = page.eval_on_selector_all("a[href^='/']", "els => els.map(e => e.getAttribute('href'))")
    bad = []
    for href in sorted(set(hrefs)):
        if href.startswith(("/static/", "/api/")) or "format=csv" in href:
            continue
        if page.request.get(server.url + href, max_redirects=0).status == 403:
            bad.append(href)
    return bad


def _shot(page, artifacts, name):
    page.screenshot(path=str(artifacts / f"issue16-{name}.png"), full_page=True)


def _register_and_enrol(page, server, code, trial, start, artifacts, tag):
    page.click(f"text={code}")
    page.click(f"nav >> a[href='/studies/{code}/subjects/']")
    page.click("#new-screening")
    page.select_option("#id_site", "01")
    page.fill("#id_screened_on", start.isoformat())
    page.fill("#id_initials", "ZW")
    page.select_option("#id_sex", "male")
    page.fill("#id_birth_year", "1961")
    page.click("#form-submit")
    identifier = page.inner_text("#subject-identifier")
    page.click("#step-consent")
    page.fill("#id_signed_on", start.isoformat())
    page.fill("#id_form_version", "2.0")
    page.fill("#id_signer", "Zhang Wei")
    page.click("#form-submit")
    page.click("#step-eligibility")
    page.fill("#id_assessed_on", start.isoformat())
    if page.locator("#id_sex").count():  # trial B asks sex: carried forward from screening
        assert page.is_disabled("#id_sex")
    for field, value in trial["answers"].items():
        _fill(page, field, value)
    _shot(page, artifacts, f"{tag}-eligibility")
    page.click("#form-submit")
    assert Subject.objects.get(identifier=identifier).status == "eligible"
    page.click("#step-enrol")
    page.fill("#id_enrolled_on", start.isoformat())
    page.select_option("#id_regimen_chemotherapy", trial["regimen"])
    _shot(page, artifacts, f"{tag}-enrol")
    page.click("#form-submit")
    return identifier


def _assessments(page, today, start, artifacts, tag):
    page.click("#ecrf-link")
    page.click("#new-assessment")
    page.fill("#id_visit", "BL")
    page.fill("#id_date", start.isoformat())
    for i, (size, organ) in enumerate(((30, "liver"), (20, "liver"))):
        page.fill(f"[name=lesion-{i}-lesion_id]", f"T{i + 1}")
        page.fill(f"[name=lesion-{i}-organ]", organ)
        page.fill(f"[name=lesion-{i}-size_mm]", str(size))
    for i in range(2, 5):
        page.select_option(f"[name=lesion-{i}-kind]", "")
    page.click("#form-submit")
    assert page.is_visible("#saved")
    page.click(f"text={page.inner_text('h1 a')}")
    page.click("#new-assessment")
    page.fill("#id_visit", "W6")
    page.fill("#id_date", today.isoformat())
    page.select_option("#id_investigator_response", "PR")
    page.fill("[name=lesion-0-size_mm]", "20")
    page.fill("[name=lesion-1-size_mm]", "14")
    page.click("#form-submit")
    assert page.is_visible("#saved")
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 1280, f"the tumour assessment page is {width} px wide"
    _shot(page, artifacts, f"{tag}-tumour-assessment")


@pytest.mark.parametrize("language", ["en", "zh-hans"])
@pytest.mark.parametrize("trial_cast", list(TRIALS), indirect=True)
def test_a_trial_walks_from_screening_to_a_closed_query(trial_cast, live_server, browser_page, artifacts, language):
    page, study, server = browser_page, trial_cast.study, live_server
    code, trial = study.code, TRIALS[study.code]
    tag = f"{'B' if 'sbrt' in code else 'A'}-{language}"
    today = dt.date.today()
    start = today - dt.timedelta(days=20)
    _login(page, server, "coa", language)
    identifier = _register_and_enrol(page, server, code, trial, start, artifacts, tag)
    subject = Subject.objects.get(identifier=identifier)
    assert subject.events.get(kind="regimen_choice").value == trial["regimen"]
    if study.current_version().protocol.is_randomized:
        page.click("#step-randomize")
        assert page.is_disabled("#id_timing")  # metastasis timing carried forward from screening
        page.select_option("#id_margin", "R1")
        page.check("#id_confirm")
        page.click("#form-submit")
        assert page.inner_text("#allocated-arm")
    _shot(page, artifacts, f"{tag}-subject")
    dose_day = today if study.current_version().protocol.is_randomized else today - dt.timedelta(days=5)

    _assessments(page, today, start, artifacts, tag)
    rows = {r.visit: r for r in m.TumourAssessment.objects.filter(subject=subject)}
    assert set(rows) == {"BL", "W6"}
    recist = page.inner_text("#recist")
    assert "PR" in recist and "50" in recist and "34" in recist

    page.click(f"text={identifier}")
    page.click("#new-dose_administration")
    drugs = page.eval_on_selector_all("#id_drug option", "els => els.map(e => e.value).filter(Boolean)")
    assert trial["drug"] in drugs and "aspirin" not in drugs
    page.select_option("#id_drug", trial["drug"])
    page.fill("#id_date", dose_day.isoformat())
    page.select_option("#id_action", "given")
    page.fill("#id_dose", trial["dose"])
    page.select_option("#id_unit", "mg")
    page.fill("#id_height_cm", "170")
    page.fill("#id_weight_kg", "70")
    _shot(page, artifacts, f"{tag}-dose")
    page.click("#form-submit")
    assert page.is_visible("#saved") and page.is_visible("#derived")
    dose = m.DoseAdministration.objects.get(subject=subject)
    # the regimen's mg/m2 on Mosteller's BSA of 170 cm / 70 kg (1.82 m2): XELOX 130 -> 236, mFOLFOX6 85 -> 154
    assert dose.drug == trial["drug"] and abs(float(dose.prescribed_dose) - float(trial["dose"])) < 1

    page.click(f"text={identifier}")
    page.click("#new-adverse_event")
    page.select_option("#id_term", OTHER_TERM)
    page.fill("#id_term_specify", "gastric ulcer bleed")
    page.fill("#id_grade", "2")
    page.fill("#id_start_date", today.isoformat())
    page.select_option("#id_outcome", "recovering")
    page.click("#form-submit")
    assert page.is_visible("#saved")
    ae = m.AdverseEvent.objects.get(subject=subject)
    assert (ae.term, ae.term_specify) == (OTHER_TERM, "gastric ulcer bleed")
    page.click(f"text={identifier}")
    assert _no_forbidden_links(page, server) == []

    _login(page, server, "mon", language)
    page.goto(f"{server.url}/studies/{code}/subjects/{identifier}/ecrf/")
    row = page.locator(f"#record-adverse_event-{ae.pk}")
    row.locator("select[name=field]").select_option("grade")
    row.locator("input[name=text]").fill("Grade 2 or 3? Transfusion given?")
    row.locator("form.query-open button").click()
    query = m.Query.objects.get(subject=subject, form="adverse_event")
    assert query.field == "grade" and query.opened_by.username == "mon"
    assert _no_forbidden_links(page, server) == []
    page.click("nav >> a[href$='/ecrf/queries/']")
    _shot(page, artifacts, f"{tag}-queries")
    page.click(f"#query-{query.pk} button.close")
    query.refresh_from_db()
    assert query.status == "closed"
    page.goto(f"{server.url}/studies/{code}/ecrf/responses/")
    assert page.is_visible("svg.spider")
    _shot(page, artifacts, f"{tag}-responses")
    page.goto(f"{server.url}/studies/{code}/")
    _shot(page, artifacts, f"{tag}-dashboard")
    assert _no_forbidden_links(page, server) == []
    if language == "zh-hans":
        text = page.inner_text("main")
        assert re.search(r"[\u4e00-\u9fff]", text)

    _login(page, server, "sta", language)
    page.goto(f"{server.url}/studies/{code}/")
    assert "/audit/" not in page.content()
    assert _no_forbidden_links(page, server) == []
