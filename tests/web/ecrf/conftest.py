"""eCRF fixtures on top of the core cast (tests/web/conftest.py): a consented subject at site A and
helpers to enter the RECIST story used across the tests."""

from __future__ import annotations

import datetime as dt

import pytest

from oncotrial.web.models import Subject

CONSENT = dt.date(2025, 2, 3)
BASELINE = dt.date(2025, 2, 5)


def make_subject(cast, site=None, consent_on=CONSENT) -> Subject:
    from oncotrial.web.services.subjects import record_consent, register_screening

    site = site or cast.site_a
    staff = cast.coordinator_a if site == cast.site_a else cast.outsider_b
    subject = register_screening(staff, cast.study, site, screened_on=consent_on, initials="AB",
                                 sex="female", birth_year=1960)
    record_consent(staff, subject, form_version="1.0", signed_on=consent_on, signer="A B")
    return subject


@pytest.fixture
def subject_a(cast) -> Subject:
    return make_subject(cast)


def lesion(lesion_id, kind="target", organ="liver", size=None, **more) -> dict:
    row = {"lesion_id": lesion_id, "kind": kind, "organ": organ, "axis": "long"}
    if size is not None:
        row["size_mm"] = str(size)
    row.update(more)
    return row


def enter_baseline(user, subject, sizes=(30, 20), date=BASELINE, extra=()):
    from oncotrial.web.ecrf.services.recist import save_tumour_assessment

    rows = [lesion(f"T{i + 1}", size=size, organ=("liver" if i < 2 else "lung"))
            for i, size in enumerate(sizes)]
    rows += list(extra)
    header = {"visit": "BL", "date": date.isoformat(), "method": "CT", "is_baseline": True,
              "cea": "12", "cea_uln": "5"}
    return save_tumour_assessment(user, subject, header, rows)


def enter_follow_up(user, subject, visit, date, sizes, response="", new=()):
    from oncotrial.web.ecrf.services.recist import save_tumour_assessment

    rows = [lesion(f"T{i + 1}", size=size) for i, size in enumerate(sizes)]
    rows += [lesion(n, kind="new", certainty="unequivocal") for n in new]
    header = {"visit": visit, "date": date.isoformat(), "method": "CT", "is_baseline": False,
              "investigator_response": response}
    return save_tumour_assessment(user, subject, header, rows)


ANSWERS_A = {"age_years": 58, "crc_histology_confirmed": True, "metastasis_sites": "liver",
             "lesions_ablatable": True, "measurable_disease": True, "ecog": 0, "anc": 3.0,
             "platelets": 220, "bilirubin_uln": 0.8, "alt_ast_uln": 1.2, "prior_anti_pd1": False,
             "active_autoimmune_disease": False}


def enrolled_subject_a(cast, regimen: str = "mfolfox6") -> Subject:
    """Trial A (single arm): a subject consented, eligible, enrolled, with a chemotherapy regimen."""
    from oncotrial.web.services.events import record_subject_event
    from oncotrial.web.services.subjects import assess_eligibility, enrol_subject

    subject = make_subject(cast)
    assess_eligibility(cast.coordinator_a, subject, assessed_on=CONSENT, answers=ANSWERS_A)
    enrol_subject(cast.coordinator_a, subject, enrolled_on=CONSENT)
    record_subject_event(cast.coordinator_a, subject, kind="regimen_choice", occurred_on=CONSENT,
                         item="chemotherapy", value=regimen)
    return Subject.objects.get(pk=subject.pk)
