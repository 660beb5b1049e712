"""The edit-check engine and the platform catalogue (issue 7 §2)."""

from datetime import date

import pytest

from oncotrial.domain.conduct.check_kinds import DateOrder, Range, Required, When
from oncotrial.domain.conduct.edit_checks import EDIT_CHECKS, describe_edit_checks, run_edit_checks
from oncotrial.errors import InvalidInput

CONTEXT = {"consent_date": date(2024, 1, 10), "randomization_date": date(2024, 1, 20),
           "baseline_date": date(2024, 1, 15), "baseline_lesion_ids": {"L1", "L2"},
           "treated_lesion_ids": {"A1"}, "procedure_date": date(2024, 2, 1),
           "prescribed_dose": 261.6, "term_grades": {1, 2, 3}}


def failures(form, record, context=CONTEXT):
    return {(f.check_id, f.severity) for f in run_edit_checks(form, record, context)}


def test_it_passes_a_clean_dose():
    record = {"drug": "oxaliplatin", "date": "2024-01-21", "action": "given", "dose": 261.6,
              "unit": "mg", "height_cm": 180, "weight_kg": 81}
    assert run_edit_checks("dose_administration", record, CONTEXT) == ()


def test_it_rejects_a_dose_before_randomization_across_forms():
    (failure,) = run_edit_checks("dose_administration", {"drug": "x", "date": date(2024, 1, 19),
                                                         "action": "held", "reason": "neutropenia"},
                                 CONTEXT)
    assert failure.check_id == "DA-04"
    assert failure.message == "date 2024-01-19 is before randomization date (2024-01-20)."


def test_it_skips_a_cross_form_check_until_the_other_form_exists():
    record = {"drug": "x", "date": "2024-01-19", "action": "held", "reason": "toxicity"}
    assert run_edit_checks("dose_administration", record, {"consent_date": "2024-01-10"}) == ()


def test_it_reports_one_failure_per_field_type_before_range():
    record = {"drug": "x", "date": "2024-02-01", "action": "given", "dose": "abc", "unit": ""}
    found = run_edit_checks("dose_administration", record, CONTEXT)
    assert [(f.field, f.check_id) for f in found] == [("dose", "DA-07"), ("unit", "DA-08")]
    assert found[0].message == "dose must be a number, not 'abc'."


def test_it_opens_a_query_not_a_rejection_for_an_overdose():
    record = {"drug": "x", "date": "2024-02-01", "action": "given", "dose": 300, "unit": "mg"}
    (failure,) = run_edit_checks("dose_administration", record, CONTEXT)
    assert (failure.check_id, failure.severity) == ("DA-14", "query")
    assert "115% of the prescribed dose (261.6)" in failure.message


def test_it_requires_a_reason_only_when_the_dose_was_modified():
    base = {"drug": "x", "date": "2024-02-01", "dose": 200, "unit": "mg"}
    assert ("DA-13", "reject") in failures("dose_administration", {**base, "action": "reduced"})
    assert failures("dose_administration", {**base, "action": "given"}) == set()


def test_it_rejects_a_follow_up_lesion_not_recorded_at_baseline():
    (failure,) = run_edit_checks("lesion", {"lesion_id": "L9", "organ": "liver", "axis": "long",
                                            "is_baseline": False, "size_mm": 12}, CONTEXT)
    assert failure.message == "lesion_id 'L9' is not among the lesions recorded at baseline (L1, L2)."


def test_it_measures_nodes_by_short_axis():
    record = {"lesion_id": "N1", "organ": "lymph node", "is_lymph_node": True, "axis": "long"}
    assert failures("lesion", record) == {("LE-03", "reject")}


def test_it_treats_a_baseline_scan_before_consent_as_a_query_and_a_follow_up_as_impossible():
    baseline = {"visit": "BL", "date": "2024-01-05", "method": "CT", "is_baseline": True}
    follow_up = {**baseline, "visit": "W8", "is_baseline": False, "investigator_response": "SD"}
    assert failures("tumour_assessment", baseline) == {("TA-04", "query")}
    assert failures("tumour_assessment", follow_up) == {("TA-03", "reject")}


def test_it_checks_ae_grade_against_the_term_and_grade_5_against_the_outcome():
    record = {"term": "Nausea", "grade": 4, "start_date": "2024-02-01", "outcome": "recovering"}
    assert failures("adverse_event", record) == {("AE-04", "reject")}
    fatal = {"term": "Nausea", "grade": 5, "start_date": "2024-02-01", "outcome": "recovering"}
    assert ("AE-09", "reject") in failures("adverse_event", fatal, {**CONTEXT, "term_grades": None})


def test_it_orders_dates_within_a_record():
    record = {"term": "Fever", "grade": 1, "start_date": "2024-03-02", "end_date": "2024-03-01"}
    (failure,) = run_edit_checks("adverse_event", record, CONTEXT)
    assert failure.message == "end_date 2024-03-01 is before start date (2024-03-02)."


def test_it_rejects_an_unknown_form():
    with pytest.raises(InvalidInput, match="no edit checks are declared for form 'vitals'"):
        run_edit_checks("vitals", {}, {})


def test_it_runs_a_caller_declared_catalogue():
    catalogue = {"vitals": (
        Range("V-1", "vitals", "sbp", "reject", None, minimum=60, maximum=260, unit="mmHg"),
        Required("V-2", "vitals", "reason", "query", When("sbp", (300,))),
        DateOrder("V-3", "vitals", "date", "reject", None, context_key="consent_date"),
    )}
    found = run_edit_checks("vitals", {"sbp": 300, "date": "2024-02-01"}, CONTEXT, catalogue)
    assert [(f.check_id, f.message) for f in found] == [
        ("V-1", "sbp is 300 mmHg; it must be at least 60 and at most 260 mmHg."),
        ("V-2", "reason is required when sbp is 300."),
    ]


def test_every_check_has_a_unique_id_and_a_plain_english_description():
    rows = describe_edit_checks()
    assert len({row["id"] for row in rows}) == len(rows) == sum(len(c) for c in EDIT_CHECKS.values())
    assert all(row["description"].endswith(".") for row in rows)


def test_it_checks_every_id_of_a_list_and_treats_an_empty_list_as_missing():
    record = {"kind": "MWA", "date": "2024-02-01", "technical_success": True}
    (failure,) = run_edit_checks("local_therapy", {**record, "lesion_ids": ["L1", "L7"]}, CONTEXT)
    assert failure.message == ("lesion_ids 'L7' is not among the lesions recorded at baseline "
                               "(L1, L2).")
    assert [f.check_id for f in run_edit_checks("local_therapy", {**record, "lesion_ids": []},
                                                CONTEXT)] == ["LT-09"]
