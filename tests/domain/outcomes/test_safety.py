"""CTCAE v5.0 grading, TEAE flags and safety summaries beyond the worked cases (spec §4)."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from oncotrial.domain.outcomes import safety
from oncotrial.domain.outcomes.records import AdverseEvent
from oncotrial.errors import InvalidInput

D1 = date(2024, 1, 1)


def on(study_day: int) -> date:
    return D1 + timedelta(days=study_day - 1)


def ae(ae_id, term, grade, study_day, **fields):
    return AdverseEvent("P", ae_id, term, on(study_day), grade, **fields)


@pytest.mark.parametrize("analyte, value, limits, grade", [
    ("neutrophils", "1.0", {"lln": 2.0}, 2),  # exactly 1.0 × 10⁹/L belongs to grade 2
    ("neutrophils", "1.5", {"lln": 2.0}, 1),
    ("neutrophils", "0.49", {"lln": 2.0}, 4),
    ("neutrophils", "2.0", {"lln": 2.0}, None),
    ("platelets", 75, {"lln": 150}, 1), ("platelets", 74, {"lln": 150}, 2),
    ("platelets", 25, {"lln": 150}, 3), ("platelets", 24.9, {"lln": 150}, 4),
    ("bilirubin", 30, {"uln": 20}, 1), ("bilirubin", 31, {"uln": 20}, 2),
    ("bilirubin", 201, {"uln": 20}, 4),
    ("bilirubin", 30, {"uln": 20, "baseline": 30}, None),  # exactly 1.0 × BL: no grade
    ("bilirubin", 31, {"uln": 20, "baseline": 30}, 1),
    ("ast", 801, {"uln": 40}, 4), ("ast", 800, {"uln": 40}, 3), ("ast", 40, {"uln": 40}, None),
    ("alt", 90, {"uln": 40, "baseline": 60}, 1),  # exactly 1.5 × BL is grade 1
])
def test_lab_grades_take_the_less_severe_grade_on_a_boundary(analyte, value, limits, grade):
    assert safety.compute_lab_grade(analyte, value, **limits) == grade


def test_lab_grading_needs_its_limits():
    with pytest.raises(InvalidInput, match="ULN"):
        safety.compute_lab_grade("alt", 100)
    with pytest.raises(InvalidInput, match="known"):
        safety.compute_lab_grade("creatinine", 1.0, uln=1.2)


def test_it_names_every_problem_in_ae_records():
    problems = safety.check_adverse_events([
        ae("1", "Fatigue", 4, 5), ae("2", "Nausea", 0, 5),
        ae("3", "Diarrhea", 2, 9, end_date=on(3)),
        ae("4", "Diarrhea", 2, 9, attributions={"anti-PD-1": "maybe"}),
        ae("5", "Reactive capillary hemangioma", 3, 9)])
    assert len(problems) == 4
    assert "AE 1 (Fatigue) of subject P has grade 4" in problems[0] and "1, 2, 3" in problems[0]
    assert "grade 0" in problems[1] and "before its start" in problems[2]
    assert "'maybe'" in problems[3]


def test_a_protocol_can_grade_terms_ctcae_lacks():
    terms = dict(safety.CTCAE_V5_TERMS)
    terms["rccep"] = safety.CtcaeTerm("RCCEP", "Skin and subcutaneous tissue disorders",
                                      frozenset({1, 2, 3}))
    assert safety.check_adverse_events([ae("1", "RCCEP", 4, 5)], terms)
    assert safety.compute_soc(ae("1", "RCCEP", 2, 5), terms) == "Skin and subcutaneous tissue disorders"


def test_attribution_per_component():
    event = ae("1", "Diarrhea", 3, 9, attributions={"anti-PD-1": "unlikely", "chemotherapy": "probable"})
    assert safety.is_related(event)
    assert not safety.is_related(event, "anti-PD-1")
    assert safety.is_related(event, "procedure")  # not assessed for the procedure: missing


def test_serious_events_may_have_a_longer_window_and_new_therapy_may_end_it():
    window = safety.TeaeWindow(serious_window_days=90, stop_at_new_therapy=True)
    events = [ae("1", "Sepsis", 4, 160, serious=True), ae("2", "Diarrhea", 2, 160),
              ae("3", "Nausea", 1, 50)]
    flags = safety.derive_teae_flags(events, D1, on(100), window, new_therapy_date=on(40))
    assert [r.treatment_emergent for r in flags] == [False, False, False]
    flags = safety.derive_teae_flags(events, D1, on(100), window)
    assert {r.adverse_event.ae_id: r.treatment_emergent for r in flags} == {
        "1": True, "2": False, "3": True}


def test_no_teae_without_any_protocol_therapy():
    flags = safety.derive_teae_flags([ae("1", "Diarrhea", 3, 5)], None, None)
    assert not flags[0].treatment_emergent and "no protocol therapy" in flags[0].rule


def test_worst_grade_tables_by_term_and_soc():
    records = safety.derive_teae_flags(
        [ae("1", "Diarrhea", 2, 5), ae("2", "Diarrhea", 3, 9), ae("3", "Nausea", 1, 9),
         ae("4", "Fatigue", None, 9)], D1, on(60))
    row = safety.derive_subject_safety("P", records)
    assert dict(row.worst_grade_by_term) == {"Diarrhea": 3, "Nausea": 1, "Fatigue": None}
    assert dict(row.worst_grade_by_soc) == {"Gastrointestinal disorders": 3,
                                            "General disorders and administration site conditions": None}
    summary = safety.derive_safety_summary([row], n_safety=4)
    assert dict(summary.worst_grade_counts) == {"3": 1, "none": 3}
    assert dict(summary.worst_grade_by_term["Fatigue"]) == {"missing": 1}
    assert "grade 3 or 4" in summary.definition


def test_the_safety_set_cannot_be_smaller_than_the_subjects_given():
    row = safety.derive_subject_safety("P", ())
    with pytest.raises(InvalidInput, match="safety set"):
        safety.derive_safety_summary([row, row], n_safety=1)


def test_missing_attribution_can_count_as_unrelated_in_a_sensitivity_analysis():
    event = ae("1", "Diarrhea", 3, 9, attributions={"anti-PD-1": None})
    window = safety.TeaeWindow(missing_attribution_is_related=False)
    assert safety.is_related(event)
    assert not safety.derive_teae_flags([event], D1, on(60), window)[0].related
