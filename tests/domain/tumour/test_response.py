"""BOR engine options beyond the §6.2 worked cases (spec endpoints.md §1.9, §1.11–§1.13, §3.5)."""

from __future__ import annotations

from datetime import date, timedelta

from oncotrial.domain.tumour.response import (
    BorRules,
    ConfirmationRule,
    EvaluationWindowRule,
    Response,
    ResponseAtDate,
    SdDurationRule,
    derive_best_overall_response,
    select_evaluable_responses,
)

START = date(2024, 1, 1)


def seq(*pairs):
    return [ResponseAtDate(START + timedelta(days=day), Response(code), f"d{day}")
            for day, code in pairs]


def day(n: int) -> date:
    return START + timedelta(days=n)


def test_one_sd_between_pr_and_its_confirmation_only_when_allowed():
    rows = seq((56, "PR"), (84, "SD"), (112, "PR"))
    assert derive_best_overall_response(rows, START).confirmed_bor == Response.SD
    allowing = BorRules(confirmation=ConfirmationRule(allow_sd_between=True))
    best = derive_best_overall_response(rows, START, rules=allowing)
    assert (best.confirmed_bor, best.confirmed_bor_date) == (Response.PR, day(56))
    two_sd = seq((56, "PR"), (70, "SD"), (84, "SD"), (112, "PR"))
    assert derive_best_overall_response(two_sd, START, rules=allowing).confirmed_bor == Response.SD


def test_the_ne_limit_is_a_rule_value():
    rows = seq((56, "PR"), (112, "NE"), (168, "NE"), (224, "PR"))  # spec B-08
    lenient = BorRules(confirmation=ConfirmationRule(max_ne_between=2))
    assert derive_best_overall_response(rows, START, rules=lenient).confirmed_bor == Response.PR


def test_a_cr_is_confirmed_by_cr_only_and_a_pr_after_cr_is_flagged():
    rows = seq((56, "CR"), (84, "PR"), (112, "CR"))
    best = derive_best_overall_response(rows, START)
    assert (best.confirmed_bor, best.confirmed_bor_date) == (Response.PR, day(84))
    assert [flag.code for flag in best.flags] == ["CR_FOLLOWED_BY_PR"]


def test_the_sd_minimum_is_a_rule_value():
    rows = seq((40, "SD"), (100, "PD"))
    assert derive_best_overall_response(rows, START).bor == Response.PD
    shorter = BorRules(sd_duration=SdDurationRule(min_days=35))
    assert derive_best_overall_response(rows, START, rules=shorter).bor == Response.SD
    on_the_day = seq((42, "SD"))  # ADT - start = 42 meets "at least 42 days" (study day 43)
    assert derive_best_overall_response(on_the_day, START).bor == Response.SD


def test_the_worst_record_of_a_date_is_used():
    rows = seq((56, "PR"), (56, "PD"))
    best = derive_best_overall_response(rows, START)
    assert best.bor == Response.PD and len(best.responses_used) == 1


def test_assessments_on_the_new_therapy_date_are_included_by_default():
    """Spec P-19: PD on the day new therapy starts counts; strictly-before censors it."""
    rows = seq((56, "SD"), (112, "PD"))
    best = derive_best_overall_response(rows, START, new_therapy_date=day(112))
    assert best.progression_date == day(112)
    strictly = BorRules(window=EvaluationWindowRule(include_new_therapy_day=False))
    best = derive_best_overall_response(rows, START, rules=strictly, new_therapy_date=day(112))
    assert best.progression_date is None and best.last_adequate_assessment_date == day(56)


def test_the_data_cutoff_and_start_date_bound_the_input():
    rows = seq((-5, "PR"), (56, "SD"), (600, "PR"))
    kept = select_evaluable_responses(rows, START, data_cutoff=date(2025, 6, 30))
    assert [row.response for row in kept] == [Response.SD]


def test_duration_of_response_starts_at_the_first_confirmed_response():
    """Spec D-01: confirmed PR first at d56 (2024-02-26), PD d224 -> 169 days."""
    rows = seq((56, "PR"), (112, "PR"), (168, "SD"), (224, "PD"))
    confirmed = BorRules(confirmation_required=True)
    best = derive_best_overall_response(rows, START, rules=confirmed)
    assert best.confirmed_response_date == day(56)
    assert best.duration_of_response_days == 169
    assert best.counts_as_response and best.counts_as_disease_control


def test_response_rates_follow_the_confirmation_setting():
    rows = seq((30, "PR"), (56, "PD"))  # spec B-04
    best = derive_best_overall_response(rows, START)
    assert best.counts_as_response and best.first_response_date == day(30)
    assert best.duration_of_response_days == 27  # d30 to d56 inclusive
    confirmed = derive_best_overall_response(rows, START,
                                             rules=BorRules(confirmation_required=True))
    assert not confirmed.counts_as_response and confirmed.duration_of_response_days is None


def test_non_cr_non_pd_is_disease_control_only_when_the_sap_says_so():
    rows = seq((56, "NON-CR/NON-PD"))
    assert not derive_best_overall_response(rows, START).has_disease_control
    rules = BorRules(non_cr_non_pd_is_disease_control=True)
    assert derive_best_overall_response(rows, START, rules=rules).has_disease_control


def test_evaluation_can_continue_past_progression_for_irecist():
    rows = seq((56, "PD"), (112, "PR"))
    window = EvaluationWindowRule(stop_at_first_progression=False)
    assert derive_best_overall_response(rows, START, rules=BorRules(window=window)).bor == \
        Response.PR


def test_every_rule_value_describes_itself():
    text = BorRules(confirmation=ConfirmationRule(min_days=21, allow_sd_between=True),
                    confirmation_required=True).description
    assert "at least 21 days" in text and "at most one SD" in text
    assert "at least 42 days after the start date" in text
    assert "Response rates use the confirmed BOR." in text


def test_rows_without_an_assessment_are_ignored():
    rows = seq((56, "NO_ASSESSMENT"), (112, "SD"))
    assert derive_best_overall_response(rows, START).bor == Response.SD
    assert derive_best_overall_response(seq((56, "NO_ASSESSMENT")), START).bor == \
        Response.NO_ASSESSMENT
