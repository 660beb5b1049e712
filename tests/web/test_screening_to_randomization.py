"""A coordinator walks a patient from screening to randomization through the pages; the services
refuse steps out of order and record every step in the audit trail."""

from __future__ import annotations

import datetime as dt

import pytest

from oncotrial.errors import Conflict, InvalidInput, PermissionDenied
from oncotrial.web.identifiers import check_subject_identifier
from oncotrial.web.models import AuditEvent, Subject
from oncotrial.web.services import subjects
from oncotrial.web.services.randomization import randomize_subject

pytestmark = pytest.mark.django_db

DAY = dt.date(2025, 3, 3)
ELIGIBLE_B = {
    "age_years": 61, "sex": "female", "crlm_confirmed": "yes", "metastasis_timing": "metachronous",
    "high_risk_local_recurrence": "yes", "curative_resection": "yes", "ecog": 1, "anc": 2.1,
    "platelets": 180, "extrahepatic_disease": "no", "prior_anti_pd1": "no",
}
FACTS_B = {key: {"yes": True, "no": False}.get(value, value) for key, value in ELIGIBLE_B.items()}


def screen(cast, user=None, site=None):
    return subjects.register_screening(user or cast.coordinator_a, cast.study, site or cast.site_a,
                                       screened_on=DAY, initials="LW", sex="female", birth_year=1963)


def eligible_subject(cast):
    subject = screen(cast)
    subjects.record_consent(cast.coordinator_a, subject, form_version="2.1", signed_on=DAY, signer="Li Wei")
    subjects.assess_eligibility(cast.investigator_a, subject, assessed_on=DAY, answers=FACTS_B)
    return Subject.objects.get(pk=subject.pk)


def test_it_walks_screening_consent_eligibility_enrolment_randomization_through_pages(client, cast):
    client.force_login(cast.coordinator_a)
    base = f"/studies/{cast.study.code}/subjects/"
    response = client.post(base + "new/", {"site": "01", "screened_on": DAY.isoformat(), "initials": "LW",
                                           "sex": "female", "birth_year": "1963"})
    assert response.status_code == 302, response.content.decode()[:2000]
    subject = Subject.objects.get()
    assert subject.identifier == "01-001-" + subject.identifier[-1]
    check_subject_identifier(subject.identifier)
    url = base + subject.identifier + "/"
    assert client.post(url + "consent/", {"form_version": "2.1", "signed_on": DAY.isoformat(), "signer": "Li Wei",
                                          "signer_relationship": "self"}).status_code == 302
    eligibility = {"assessed_on": DAY.isoformat(), **{k: str(v) for k, v in ELIGIBLE_B.items()}}
    assert client.post(url + "eligibility/", eligibility).status_code == 302
    assert client.post(url + "enrol/", {"enrolled_on": DAY.isoformat()}).status_code == 302
    page = client.get(url + "randomize/")
    assert page.status_code == 200 and "metachronous" in page.content.decode()
    response = client.post(url + "randomize/", {"margin": "R1", "timing": "metachronous", "confirm": "on"})
    assert response.status_code == 302
    detail = client.get(url).content.decode()
    subject.refresh_from_db()
    assert subject.status == "randomized"
    assert subject.randomization.arm in detail
    assert "Asia/Shanghai" in detail  # times shown in the site's zone
    actions = list(AuditEvent.objects.filter(subject_identifier=subject.identifier).values_list("action", flat=True))
    assert actions == ["create", "create", "create", "enrol", "randomize"]


def test_it_records_the_reasons_a_subject_is_not_eligible(cast):
    subject = screen(cast)
    subjects.record_consent(cast.coordinator_a, subject, form_version="2.1", signed_on=DAY, signer="Li Wei")
    record = subjects.assess_eligibility(cast.coordinator_a, subject, assessed_on=DAY,
                                         answers={**FACTS_B, "ecog": 2, "prior_anti_pd1": True})
    assert not record.eligible
    assert any("ECOG" in reason and "needs <= 1" in reason for reason in record.reasons)
    assert any("anti-PD-1" in reason for reason in record.reasons)
    subject.refresh_from_db()
    assert subject.status == "screen_failed"
    with pytest.raises(Conflict):
        subjects.enrol_subject(cast.coordinator_a, subject, enrolled_on=DAY)


def test_it_shows_field_errors_and_saves_nothing_on_bad_input(client, cast):
    client.force_login(cast.coordinator_a)
    response = client.post(f"/studies/{cast.study.code}/subjects/new/",
                           {"site": "01", "screened_on": "2025-02-30", "birth_year": "1700"})
    assert response.status_code == 400
    body = response.content.decode()
    assert "Enter a valid date" in body and "greater than or equal to 1900" in body
    assert not Subject.objects.exists()


def test_it_refuses_eligibility_before_consent(cast):
    subject = screen(cast)
    with pytest.raises(Conflict) as raised:
        subjects.assess_eligibility(cast.coordinator_a, subject, assessed_on=DAY, answers=FACTS_B)
    assert "consent" in raised.value.message


def test_it_refuses_a_screening_date_in_the_future(cast):
    with pytest.raises(InvalidInput) as raised:
        subjects.register_screening(cast.coordinator_a, cast.study, cast.site_a,
                                    screened_on=dt.date.today() + dt.timedelta(days=3))
    assert raised.value.field == "screened_on"


def test_it_numbers_subjects_per_site_with_a_check_digit(cast):
    first, second = screen(cast), screen(cast)
    other = screen(cast, user=cast.outsider_b, site=cast.site_b)
    assert [first.number, second.number, other.number] == [1, 2, 1]
    assert other.identifier.startswith("02-001-")
    with pytest.raises(InvalidInput):
        check_subject_identifier(first.identifier[:-1] + str((int(first.identifier[-1]) + 1) % 10))


def test_it_randomizes_only_enrolled_subjects_once(cast):
    subject = eligible_subject(cast)
    with pytest.raises(Conflict):
        randomize_subject(cast.coordinator_a, subject, factors={"margin": "R0", "timing": "metachronous"})
    subjects.enrol_subject(cast.coordinator_a, subject, enrolled_on=DAY)
    with pytest.raises(InvalidInput) as raised:
        randomize_subject(cast.coordinator_a, subject, factors={"margin": "R2", "timing": "metachronous"})
    assert "R0, R1" in raised.value.message
    done = randomize_subject(cast.coordinator_a, subject, factors={"margin": "R0", "timing": "metachronous"})
    assert done.sequence == 1 and done.stratum == "margin=R0|timing=metachronous"
    with pytest.raises(Conflict):
        randomize_subject(cast.coordinator_a, subject, factors={"margin": "R0", "timing": "metachronous"})


def test_single_arm_studies_assign_the_arm_at_enrolment(single_arm_cast):
    cast = single_arm_cast
    subject = screen(cast)
    subjects.record_consent(cast.coordinator_a, subject, form_version="1.0", signed_on=DAY, signer="Wang Fang")
    answers = {"age_years": 58, "crc_histology_confirmed": True, "metastasis_sites": "liver",
               "lesions_ablatable": True, "measurable_disease": True, "ecog": 0, "anc": 3.0, "platelets": 220,
               "bilirubin_uln": 0.8, "alt_ast_uln": 1.2, "prior_anti_pd1": False,
               "active_autoimmune_disease": False}
    assert subjects.assess_eligibility(cast.coordinator_a, subject, assessed_on=DAY, answers=answers).eligible
    enrolment = subjects.enrol_subject(cast.coordinator_a, subject, enrolled_on=DAY)
    assert enrolment.arm == cast.study.current_version().protocol.arms[0].id
    with pytest.raises(Conflict):
        randomize_subject(cast.coordinator_a, subject, factors={})


def test_a_correction_needs_a_reason_and_keeps_old_and_new(cast):
    subject = screen(cast)
    with pytest.raises(InvalidInput):
        subjects.correct_subject(cast.coordinator_a, subject, reason="", birth_year=1964)
    subjects.correct_subject(cast.coordinator_a, subject, reason="transcription error", birth_year=1964)
    event = AuditEvent.objects.filter(action="update").get()
    assert event.reason == "transcription error"
    assert event.changes == [{"field": "birth_year", "old": 1963, "new": 1964}]


def test_a_monitor_cannot_screen(cast):
    with pytest.raises(PermissionDenied):
        screen(cast, user=cast.monitor)
