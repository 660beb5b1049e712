"""Eligibility from the protocols' structured criteria (trial B as the example)."""

import pytest

from oncotrial.domain.conduct.eligibility import evaluate_eligibility
from oncotrial.errors import InvalidInput
from oncotrial.protocols import load_builtin_protocol

TRIAL_B = load_builtin_protocol("crlm-sbrt-sintilimab")

ELIGIBLE = {
    "age_years": 61, "sex": "female", "crlm_confirmed": True, "metastasis_timing": "metachronous",
    "high_risk_local_recurrence": True, "curative_resection": True, "ecog": 1, "anc": 2.1,
    "platelets": 180, "extrahepatic_disease": False, "prior_anti_pd1": False,
}


def test_it_accepts_a_subject_meeting_every_criterion():
    result = evaluate_eligibility(TRIAL_B.eligibility, ELIGIBLE)
    assert result.eligible
    assert [r.outcome for r in result.results] == ["met"] * len(TRIAL_B.eligibility)


def test_it_names_the_failed_inclusion_with_value_and_threshold():
    result = evaluate_eligibility(TRIAL_B.eligibility, {**ELIGIBLE, "age_years": 17, "ecog": 2})
    assert not result.eligible
    assert result.reasons_ineligible() == (
        "Age 18 years or older: age_years is 17, needs >= 18",
        "ECOG performance status 0-1: ecog is 2, needs <= 1",
    )


def test_it_excludes_when_an_exclusion_criterion_holds():
    result = evaluate_eligibility(TRIAL_B.eligibility, {**ELIGIBLE, "prior_anti_pd1": True})
    assert [r.criterion.id for r in result.failed] == ["prior-pd1"]
    assert "excludes" in result.failed[0].reason


def test_it_leaves_unrecorded_facts_undecided_and_not_eligible():
    facts = dict(ELIGIBLE)
    del facts["anc"]
    result = evaluate_eligibility(TRIAL_B.eligibility, facts)
    assert not result.eligible
    assert [r.criterion.id for r in result.undecided] == ["anc"]
    assert "anc not recorded" in result.undecided[0].reason


def test_it_takes_the_investigators_judgement_for_an_unstructured_criterion():
    facts = dict(ELIGIBLE)
    del facts["high_risk_local_recurrence"]
    result = evaluate_eligibility(TRIAL_B.eligibility, facts, judgements={"high-risk": True})
    assert result.eligible


def test_it_checks_membership_for_in_criteria():
    result = evaluate_eligibility(TRIAL_B.eligibility, {**ELIGIBLE, "metastasis_timing": "unknown"})
    assert result.failed[0].reason.endswith("needs one of synchronous, metachronous")


@pytest.mark.parametrize("field,value", [("age_years", "sixty"), ("crlm_confirmed", "yes")])
def test_it_rejects_a_fact_of_the_wrong_type_naming_the_field(field, value):
    with pytest.raises(InvalidInput, match=field):
        evaluate_eligibility(TRIAL_B.eligibility, {**ELIGIBLE, field: value})
