"""eCRF flows in a real browser (Playwright driving Debian's /usr/bin/chromium) against a live
server: RECIST with a PD by the 5 mm rule, signatures invalidated by a correction, a query opened
and resolved, an ablation moving the next dose to day 7, a grade 3 AE on the safety summary and a
site-B coordinator kept out of a site-A subject. Screenshots go to artifacts/."""

import os
from pathlib import Path

import pytest

from oncotrial.web.testing import (
    PASSWORD,
    build_cast,
    lift_audit_triggers_for_flush,
    restore_audit_triggers,
)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

CHROMIUM = "/usr/bin/chromium"
ARTIFACTS = Path(__file__).resolve().parents[2] / "artifacts"


@pytest.fixture
def browser():
    if not Path(CHROMIUM).exists():
        pytest.skip("Debian chromium is not installed")
    # Playwright's sync API runs an event loop in this thread; the ORM calls of the fixtures are
    # ordinary synchronous test code.
    os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        instance = playwright.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        yield instance
        instance.close()


@pytest.fixture(autouse=True)
def audit_triggers_lifted_for_flush(transactional_db):
    """The append-only audit triggers refuse the DELETE that ends a transactional test on SQLite:
    lift them for the flush and put them back when the next test starts (PostgreSQL truncates,
    which its row trigger does not see)."""
    restore_audit_triggers()
    yield
    lift_audit_triggers_for_flush()


@pytest.fixture
def fast_hashing(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def login(browser, live_server, user):
    page = browser.new_context().new_page()
    page.goto(live_server.url + "/accounts/login/")
    page.fill("#id_username", user.username)
    page.fill("#id_password", PASSWORD)
    page.click("#login-submit")
    page.wait_for_load_state()
    return page


def shot(page, name: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"ecrf-{name}.png"), full_page=True)


def setup_cast(protocol="crlm-sbrt-sintilimab"):
    from oncotrial.web.ecrf.services.ctcae import ensure_bundled_terms

    ensure_bundled_terms()  # a transactional test flushes the rows the data migration loaded
    return build_cast(protocol)


def enter_assessment(page, url, visit, date, sizes, response="", baseline=False):
    page.goto(url)
    page.fill("#id_visit", visit)
    page.fill("#id_date", date)
    page.select_option("#id_method", "CT")
    page.select_option("#id_is_baseline", "true" if baseline else "false")
    if response:
        page.select_option("#id_investigator_response", response)
    for index, size in enumerate(sizes):
        if baseline:
            page.fill(f"#id_lesion-{index}-lesion_id", f"T{index + 1}")
            page.fill(f"#id_lesion-{index}-organ", "liver" if index < 2 else "lung")
        page.fill(f"#id_lesion-{index}-size_mm", str(size))
    page.click("#form-submit")
    page.wait_for_selector("#saved")


def test_recist_signature_and_query_flow(browser, live_server, fast_hashing):
    from tests.web.ecrf.conftest import make_subject

    cast = setup_cast()
    subject = make_subject(cast)
    base = f"{live_server.url}/studies/{cast.study.code}/subjects/{subject.identifier}/ecrf/"
    coordinator = login(browser, live_server, cast.coordinator_a)
    enter_assessment(coordinator, base + "assessments/new/", "BL", "2025-02-05", (30, 20), baseline=True)
    enter_assessment(coordinator, base + "assessments/new/", "W8", "2025-04-02", (15, 10), "PR")
    enter_assessment(coordinator, base + "assessments/new/", "W16", "2025-05-28", (14, 10), "PR")
    enter_assessment(coordinator, base + "assessments/new/", "W24", "2025-07-23", (18, 11), "SD")
    coordinator.goto(base)
    assert coordinator.inner_text("#recist-W8 .computed").startswith("PR")
    assert coordinator.inner_text("#recist-W24 .nadir") == "24.0"
    assert coordinator.inner_text("#recist-W24 .computed").startswith("PD")
    assert "discrepancy" in coordinator.get_attribute("#recist-W24", "class")
    assert coordinator.locator("#spider polyline").count() == 1
    shot(coordinator, "recist-pd-by-5mm")

    investigator = login(browser, live_server, cast.investigator_a)
    investigator.goto(base)
    investigator.fill("#sign-password", PASSWORD)
    investigator.click("#sign-submit")
    assert investigator.inner_text("#signatures .signature-status") == "valid"
    shot(investigator, "casebook-signed")

    monitor = login(browser, live_server, cast.monitor)
    monitor.goto(base)
    row = monitor.locator("#records tr", has_text="Tumour assessment").nth(1)
    row.locator("select[name=field]").select_option("date")  # chosen from the form (issue 16)
    row.locator(".query-text").fill("W8 date differs from the radiology report; please check")
    row.locator(".query-open button").click()
    assert monitor.locator(".queries td.status").first.inner_text() == "open"

    coordinator.goto(base)
    coordinator.locator(".queries .answer").first.fill("Report dated 2025-04-03; scan was 2025-04-02")
    coordinator.locator(".queries form button", has_text="Answer").first.click()
    coordinator.goto(f"{base}assessments/{subject_assessment_id(subject, 'W8')}/")
    coordinator.fill("#id_lesion-0-size_mm", "16")
    coordinator.fill("#id_reason_for_change", "measurement re-read at source")
    coordinator.click("#form-submit")
    coordinator.wait_for_selector("#saved")

    monitor.goto(base)
    monitor.locator(".queries .resolve").first.click()
    monitor.goto(base)
    assert monitor.locator(".queries td.status").first.inner_text() == "resolved"
    shot(monitor, "query-resolved")
    investigator.goto(base)
    assert investigator.inner_text("#signatures .signature-status").startswith("invalid")
    shot(investigator, "signature-invalidated")


def subject_assessment_id(subject, visit):
    from oncotrial.web.ecrf.models import TumourAssessment

    return TumourAssessment.objects.get(subject=subject, visit=visit).pk


def test_ablation_moves_next_dose_and_grade_3_ae_reaches_safety_summary(browser, live_server, fast_hashing):
    from tests.web.ecrf.conftest import enrolled_subject_a, enter_baseline

    cast = setup_cast("crlm-mwa-camrelizumab")
    subject = enrolled_subject_a(cast)
    enter_baseline(cast.coordinator_a, subject, sizes=(30, 20))
    base = f"{live_server.url}/studies/{cast.study.code}/subjects/{subject.identifier}/"
    page = login(browser, live_server, cast.coordinator_a)
    page.goto(base + "ecrf/forms/local_therapy/new/")
    page.select_option("#id_kind", "MWA")
    page.fill("#id_date", "2025-02-10")
    page.fill("#id_lesion_ids", "T1")
    page.select_option("#id_technical_success", "true")
    page.click("#form-submit")
    page.wait_for_selector("#saved")
    page.goto(base + "calendar/")
    assert "2025-02-17" in page.inner_text("main")
    shot(page, "ablation-next-dose-day-7")

    page.goto(base + "ecrf/forms/dose_administration/new/")
    page.select_option("#id_drug", "camrelizumab")  # the regimen drugs (issue 16)
    page.fill("#id_date", "2025-02-17")
    page.select_option("#id_action", "given")
    page.fill("#id_dose", "200")
    page.select_option("#id_unit", "mg")
    page.click("#form-submit")
    page.wait_for_selector("#saved")
    page.goto(base + "ecrf/forms/adverse_event/new/")
    page.select_option("#id_term", "Diarrhea")
    assert "7 or more stools" in page.inner_text("#grade-texts")
    page.fill("#id_grade", "3")
    page.fill("#id_start_date", "2025-03-01")
    page.select_option("#id_outcome", "recovering")
    page.click("#form-submit")
    page.wait_for_selector("#saved")
    page.goto(f"{live_server.url}/studies/{cast.study.code}/ecrf/safety/")
    assert "Diarrhea" in page.inner_text("#safety-worst")
    assert page.inner_text("#safety-worst tr.grade-3 td:last-child") == "3"
    assert page.inner_text("#rate-3-4").startswith("1 (100.0%")
    shot(page, "safety-summary-grade-3")


def test_a_site_b_coordinator_cannot_open_a_site_a_subject(browser, live_server, fast_hashing):
    from tests.web.ecrf.conftest import make_subject

    cast = setup_cast()
    subject = make_subject(cast)
    page = login(browser, live_server, cast.outsider_b)
    response = page.goto(f"{live_server.url}/studies/{cast.study.code}/subjects/{subject.identifier}/ecrf/")
    assert response.status == 404
    assert "is not visible to you" in page.inner_text("main")
    shot(page, "site-b-refused")
