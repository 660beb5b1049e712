"""Every eCRF field with a bad value: the message names the problem and nothing is saved (issue 7,
"Bad input"). Each table row is (field, bad value, part of the expected message)."""

import pytest
from tests.web.ecrf.conftest import enter_baseline, lesion

from oncotrial.errors import InvalidInput
from oncotrial.web.ecrf import models as m
from oncotrial.web.ecrf.services.recist import save_tumour_assessment
from oncotrial.web.ecrf.services.records import save_record
from oncotrial.web.ecrf.specs import FORMS, LESION_FIELDS
from oncotrial.web.models import AuditEvent

LONG = "x" * 2001
VALID = {
    "dose_administration": {"drug": "sintilimab", "date": "2025-02-10", "action": "given", "dose": "200",
                            "unit": "mg", "height_cm": "170", "weight_kg": "70", "reduction_percent": "0",
                            "delay_days": "0", "reason": ""},
    "local_therapy": {"kind": "MWA", "date": "2025-02-08", "lesion_ids": "T1", "technique": "MWA 2450 MHz",
                      "technical_success": "true"},
    "ablation_zone_assessment": {"lesion_id": "T1", "date": "2025-03-10", "finding": "COMPLETE",
                                 "technique_efficacy_scan": "true"},
    "adverse_event": {"term": "Nausea", "grade": "2", "start_date": "2025-02-12", "serious": "false",
                      "attribution_anti_pd1": "possible", "attribution_chemotherapy": "probable",
                      "attribution_procedure": "unrelated", "immune_related": "false", "action": "none",
                      "outcome": "recovering"},
    "con_med": {"name": "ondansetron", "indication": "nausea", "dose_text": "8 mg bid",
                "start_date": "2025-02-10"},
    "new_anticancer_therapy": {"description": "hepatic arterial infusion", "start_date": "2025-06-01"},
    "death": {"date": "2025-09-01", "cause": "disease_progression", "cause_text": "liver failure"},
    "subject_status": {"status": "off_treatment", "date": "2025-08-01", "reason": "progression"},
}
BAD = {
    "dose_administration": [
        ("drug", "", "drug is required"), ("date", "10/02/2025", "must be a date"),
        ("date", "2025-01-01", "before consent date (2025-02-03)"), ("action", "skipped", "allowed: given"),
        ("dose", "abc", "must be a number"), ("dose", "-5", "it must be at least 0"),
        ("unit", "", "dose unit is required"), ("unit", "mg/m2", "allowed: mg, g, mcg"),
        ("height_cm", "17", "height_cm is 17 cm"), ("weight_kg", "heavy", "must be a number"),
        ("reduction_percent", "95", "at most 90"), ("delay_days", "2.5", "whole number"),
        ("reason", "y" * 201, "at most 200"),
    ],
    "local_therapy": [
        ("kind", "HIFU", "allowed: MWA"), ("date", "yesterday", "must be a date"),
        ("end_date", "2025-02-01", "before first fraction date"), ("lesion_ids", "T9", "'T9' is not among"),
        ("technique", "t" * 101, "at most 100"), ("technical_success", "maybe", "yes or no"),
        ("dose_gy", "200", "at most 100"), ("fractions", "0", "at least 1"),
    ],
    "ablation_zone_assessment": [
        ("lesion_id", "T2", "not among the locally treated lesions"),
        ("date", "2025-02-07", "before date of the treating procedure"), ("finding", "GONE", "allowed"),
        ("technique_efficacy_scan", "perhaps", "yes or no"),
    ],
    "adverse_event": [
        ("term", "Headache-ish", "not a CTCAE v5.0 term"), ("term_specify", "s" * 201, "at most 200"),
        ("grade", "4", "grades this CTCAE term defines"),
        ("grade", "x", "must be a number"), ("start_date", "2025-01-01", "before consent date"),
        ("end_date", "2025-02-11", "before start date"), ("serious", "perhaps", "yes or no"),
        ("serious_criterion", "bored", "allowed: death"), ("awareness_date", "tomorrow", "must be a date"),
        ("attribution_anti_pd1", "likely", "allowed: unrelated"),
        ("attribution_chemotherapy", "likely", "allowed: unrelated"),
        ("attribution_procedure", "likely", "allowed: unrelated"),
        ("immune_related", "maybe", "yes or no"), ("action", "stopped", "allowed: none"),
        ("outcome", "dead", "allowed: recovered"),
    ],
    "con_med": [
        ("name", "", "medication is required"), ("indication", LONG, "at most 200"),
        ("dose_text", LONG, "at most 200"), ("start_date", "02/10", "must be a date"),
        ("end_date", "2025-02-01", "before start date"),
    ],
    "new_anticancer_therapy": [
        ("description", "", "therapy is required"), ("start_date", "2025-01-05", "before consent date"),
    ],
    "death": [
        ("date", "2025-01-05", "before consent date"), ("cause", "old age", "allowed: disease_progression"),
        ("cause_text", LONG, "at most 300"),
    ],
    "subject_status": [
        ("status", "paused", "allowed: withdrawn"), ("date", "soon", "must be a date"),
        ("reason", "", "reason is required"),
    ],
}


def assert_rejected(call, field: str, expected: str, model) -> None:
    before = (model.objects.count(), AuditEvent.objects.count())
    with pytest.raises(InvalidInput) as caught:
        call()
    messages = [e["message"] for e in caught.value.errors if e["field"].endswith(field)] or [
        caught.value.message]
    assert any(expected in message for message in messages), (field, messages)
    assert (model.objects.count(), AuditEvent.objects.count()) == before, f"{field}: something was saved"


@pytest.mark.parametrize("form", sorted(BAD))
def test_every_field_rejects_a_bad_value_and_saves_nothing(cast, subject_a, form):
    user = cast.coordinator_a
    enter_baseline(user, subject_a, sizes=(30, 20))
    if form == "ablation_zone_assessment":
        save_record(user, subject_a, "local_therapy", VALID["local_therapy"])
    model = m.__dict__[FORMS[form].model]
    tested = set()
    for field, bad, expected in BAD[form]:
        record = {**VALID[form], field: bad}
        assert_rejected(lambda r=record: save_record(user, subject_a, form, r),
                        field, expected, model)
        tested.add(field)
    assert tested == set(FORMS[form].field_names), "a field of the form has no bad-value case"
    save_record(user, subject_a, form, VALID[form])  # the valid record itself saves


HEADER = {"visit": "W8", "date": "2025-04-02", "method": "CT", "is_baseline": False,
          "investigator_response": "SD", "cea": "3", "cea_uln": "5", "comment": ""}
HEADER_BAD = [
    ("visit", "", "visit is required"), ("date", "2025-01-20", "before consent date"),
    ("method", "PET", "allowed: CT"), ("is_baseline", "perhaps", "yes or no"), ("cea", "-1", "at least 0"),
    ("cea_uln", "high", "must be a number"), ("investigator_response", "MR", "allowed: CR"),
    ("comment", LONG, "at most 2000"),
]
LESION_BAD = [
    ("lesion_id", "T9", "'T9' is not among the lesions recorded at baseline"),
    ("kind", "maybe", "allowed: target"), ("organ", "o" * 65, "at most 64"),
    ("location", LONG, "at most 200"), ("is_lymph_node", "perhaps", "yes or no"),
    ("axis", "diagonal", "allowed: long"), ("size_mm", "12mm", "must be a number"),
    ("result", "gone", "allowed: measured"), ("non_target_state", "bigger", "allowed: absent"),
    ("certainty", "sure", "allowed: equivocal"), ("treated_by", "surgery", "allowed: none"),
]


def test_every_assessment_and_lesion_field_rejects_a_bad_value(cast, subject_a):
    user = cast.coordinator_a
    enter_baseline(user, subject_a, sizes=(30, 20))
    rows = [lesion("T1", size=20), lesion("T2", size=15)]

    def save(header, lesions):
        return lambda: save_tumour_assessment(user, subject_a, header, lesions)

    for field, bad, expected in HEADER_BAD:
        assert_rejected(save({**HEADER, field: bad}, rows), field, expected, m.TumourAssessment)
    for field, bad, expected in LESION_BAD:
        assert_rejected(save(HEADER, [{**rows[0], field: bad}, rows[1]]), field, expected, m.LesionRecord)
    assert {f for f, _, _ in HEADER_BAD} == set(FORMS["tumour_assessment"].field_names)
    assert {f for f, _, _ in LESION_BAD} == {f.name for f in LESION_FIELDS}
    save_tumour_assessment(user, subject_a, HEADER, rows)


def test_baseline_rules_reject_treated_targets_and_long_axis_nodes(cast, subject_a):
    header = {"visit": "BL", "date": "2025-02-05", "method": "CT", "is_baseline": True}
    treated = [lesion("T1", size=30, treated_by="MWA"), lesion("T2", size=20)]
    assert_rejected(lambda: save_tumour_assessment(cast.coordinator_a, subject_a, header, treated),
                    "lesions", "planned for or treated by MWA", m.TumourAssessment)
    node = [lesion("N1", organ="lymph node", size=18, is_lymph_node="true", axis="long")]
    assert_rejected(lambda: save_tumour_assessment(cast.coordinator_a, subject_a, header, node),
                    "axis", "must be one of short", m.TumourAssessment)
    six = [lesion(f"T{i}", organ=organ, size=20) for i, organ in
           enumerate(("liver", "liver", "lung", "lung", "bone", "adrenal"))]
    assert_rejected(lambda: save_tumour_assessment(cast.coordinator_a, subject_a, header, six),
                    "lesions", "6 target lesions; at most 5", m.TumourAssessment)
    assert not m.TumourAssessment.objects.exists()
