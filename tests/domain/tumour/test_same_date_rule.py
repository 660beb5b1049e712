"""Two overall responses on one date: which one the BOR uses is a rule value (spec §1.9), with the
worst record as the default and admiralonco's ranking (an evaluable record beats NE) as the option."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from oncotrial.domain.outcomes.derivation_rules import DerivationOptions, resolve_derivation_rules
from oncotrial.domain.tumour.response import (
    EVALUABLE_OVER_NE,
    SAME_DATE_RULES,
    WORST_RECORD_PER_DATE,
    BorRules,
    EvaluationWindowRule,
    Response,
    ResponseAtDate,
    SameDateRule,
    derive_best_overall_response,
    select_evaluable_responses,
)
from oncotrial.errors import InvalidInput
from oncotrial.protocols import load_builtin_protocol

START = date(2024, 1, 1)


def on_day(day: int, *codes: str) -> list[ResponseAtDate]:
    return [ResponseAtDate(START + timedelta(days=day), Response(c), f"v{i}") for i, c in enumerate(codes)]


def rules(same_date: SameDateRule) -> BorRules:
    return BorRules(window=EvaluationWindowRule(same_date=same_date))


@pytest.mark.parametrize("codes, default, alternative", [
    (("SD", "NE"), "NE", "SD"),
    (("NE", "SD"), "NE", "SD"),
    (("PR", "NE"), "NE", "PR"),
    (("PD", "NE"), "PD", "PD"),
    (("SD", "PR"), "SD", "SD"),
    (("CR", "NON-CR/NON-PD"), "NON-CR/NON-PD", "NON-CR/NON-PD"),
    (("NE", "NE"), "NE", "NE"),
])
def test_which_record_a_date_keeps(codes, default, alternative):
    rows = on_day(56, *codes)
    assert [r.response.value for r in select_evaluable_responses(rows, START)] == [default]
    window = EvaluationWindowRule(same_date=EVALUABLE_OVER_NE)
    assert [r.response.value for r in select_evaluable_responses(rows, START, window=window)] == [alternative]


def test_the_rule_changes_the_best_overall_response():
    rows = on_day(56, "SD", "NE") + on_day(112, "NE")
    assert derive_best_overall_response(rows, START).bor == Response.NE
    assert derive_best_overall_response(rows, START, rules=rules(EVALUABLE_OVER_NE)).bor == Response.SD


def test_row_order_never_changes_the_kept_record():
    rows = on_day(56, "SD", "NE", "PR")
    for rule in SAME_DATE_RULES.values():
        window = EvaluationWindowRule(same_date=rule)
        kept = [select_evaluable_responses(order, START, window=window)[0]
                for order in (rows, rows[::-1], rows[1:] + rows[:1])]
        assert len(set(kept)) == 1


def test_each_rule_describes_itself_and_the_bor_description_prints_it():
    assert "PD > NE > NON-CR/NON-PD > SD > PR > CR" in WORST_RECORD_PER_DATE.description
    assert "PD > NON-CR/NON-PD > SD > PR > CR > NE" in EVALUABLE_OVER_NE.description
    assert "admiralonco" in EVALUABLE_OVER_NE.description
    assert EVALUABLE_OVER_NE.description in rules(EVALUABLE_OVER_NE).description
    assert WORST_RECORD_PER_DATE.description in BorRules().description


def test_a_ranking_must_name_each_category_once():
    with pytest.raises(InvalidInput, match="exactly once"):
        SameDateRule("BROKEN", (Response.PD, Response.PD, Response.SD, Response.PR, Response.CR,
                                Response.NE), "test")
    with pytest.raises(InvalidInput, match="exactly once"):
        SameDateRule("SHORT", (Response.PD, Response.SD), "test")


def test_the_derivation_options_choose_the_rule_by_name():
    protocol = load_builtin_protocol("crlm-mwa-camrelizumab")
    default = resolve_derivation_rules(protocol, DerivationOptions(data_cutoff=START))
    assert default.bor.window.same_date is WORST_RECORD_PER_DATE
    chosen = resolve_derivation_rules(protocol, DerivationOptions(data_cutoff=START,
                                                                  same_date_rule="EVALUABLE_OVER_NE"))
    assert chosen.bor.window.same_date is EVALUABLE_OVER_NE
    with pytest.raises(InvalidInput, match="same_date_rule") as refused:
        DerivationOptions(data_cutoff=START, same_date_rule="BEST")
    assert "EVALUABLE_OVER_NE" in refused.value.hint
