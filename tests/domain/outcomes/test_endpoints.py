"""The time-to-event engine and binary endpoints beyond the worked cases (spec endpoints.md §3)."""

from __future__ import annotations

import json
from datetime import date, timedelta
from pathlib import Path

import pytest

from oncotrial.domain.outcomes import endpoints as ep
from oncotrial.domain.outcomes import rates
from oncotrial.domain.outcomes import time_to_event as tte
from oncotrial.errors import InvalidInput

T0 = date(2024, 1, 1)
CUTOFF = date(2025, 6, 30)
Q8W = tte.MissedVisitRule(((None, 56),), 7)
REFERENCE = Path(__file__).resolve().parents[2] / "reference" / "rates" / "response_rates.json"


def day(n: int) -> date:
    return T0 + timedelta(days=n)


def pfs(outcomes, options=None, **facts):
    data = ep.derive_pfs_data("S", T0, [ep.AssessmentOutcome(day(d), r) for d, r in outcomes],
                              **facts)
    return tte.derive_time_to_event(data, ep.pfs_definition(Q8W, **(options or {})), CUTOFF)


def test_it_prefers_pd_over_death_on_the_same_day():
    # Spec §3.3 step 6: on a tie PD wins because it is listed first.
    result = pfs([(56, "SD"), (112, "PD")], death_date=day(112))
    assert (result.rule_id, result.date) == ("PD", day(112))


def test_ema_style_counts_events_after_missed_visits_and_new_therapy():
    # Spec §3.3 regional variant: P-03 and P-10 become events.
    assert pfs([(56, "SD"), (224, "PD")], {"style": "EMA"}).rule_id == "PD"
    result = pfs([(56, "SD"), (112, "SD"), (168, "PD")], {"style": "EMA"}, new_therapy_date=day(130))
    assert (result.rule_id, result.aval_days) == ("PD", 169)


def test_each_fda_switch_can_be_turned_off_alone():
    late = [(56, "SD"), (224, "PD")]
    assert pfs(late, {"apply_missed_visit_rule": False}).rule_id == "PD"
    assert pfs(late, {"censor_at_new_anticancer_therapy": False}).rule_id == \
        "EVENT_AFTER_2PLUS_MISSED"


def test_the_threshold_follows_the_schedule_in_force():
    # q8w until day 365, then q12w (spec §3.2 interval_in_force).
    rule = tte.MissedVisitRule(((365, 56, 7), (None, 84, 14)))
    assert rule.threshold_days(day(300), T0) == 119
    assert rule.threshold_days(day(364), T0) == 2 * 84 + 14
    data = ep.derive_pfs_data("S", T0, [ep.AssessmentOutcome(day(400), "SD"),
                                        ep.AssessmentOutcome(day(540), "PD")])
    result = tte.derive_time_to_event(data, ep.pfs_definition(rule), CUTOFF)
    assert result.rule_id == "PD"  # gap 140 ≤ 182 under q12w, > 119 under q8w
    assert "every 84 ± 14 days" in rule.description


def test_it_explains_a_missed_visit_censoring():
    result = pfs([(56, "SD"), (224, "PD")])
    assert (result.cnsr, result.rule_id) == (3, "EVENT_AFTER_2PLUS_MISSED")
    assert "168 days" in result.reference and "F9" in result.rule_description


def test_it_rejects_bad_rule_values():
    with pytest.raises(InvalidInput, match="positive"):
        tte.MissedVisitRule(((None, 0),), 7)
    with pytest.raises(InvalidInput, match="nact_assessment_inclusion"):
        ep.pfs_definition(Q8W, nact_assessment_inclusion="after")
    with pytest.raises(InvalidInput, match="EMA"):
        ep.pfs_definition(Q8W, style="ASCO")


def test_dor_uses_the_last_adequate_assessment_after_the_response():
    data = ep.derive_pfs_data("S", T0, [ep.AssessmentOutcome(day(56), "PR"),
                                        ep.AssessmentOutcome(day(112), "PR")], death_date=day(300))
    result = tte.derive_time_to_event(ep.derive_dor_data(data, day(56)), ep.dor_definition(Q8W),
                                     CUTOFF)
    # death 188 days after the last adequate assessment (> 119): censored there
    assert (result.rule_id, result.date, result.aval_days) == ("EVENT_AFTER_2PLUS_MISSED",
                                                               day(112), 57)


def test_time_to_response_is_for_responders_only():
    assert ep.derive_time_to_response("S", T0, None) is None


def test_ipfs_counts_an_unconfirmed_iupd_only_by_default():
    data = tte.TimeToEventData("S", T0, events=(tte.EventCandidate("iUPD", day(56), day(56)),))
    assert tte.derive_time_to_event(data, ep.ipfs_definition(Q8W), CUTOFF).rule_id == "iUPD"
    sensitivity = ep.ipfs_definition(Q8W, iupd_unconfirmed_counts_as_event=False)
    assert tte.derive_time_to_event(data, sensitivity, CUTOFF).is_event is False


def test_os_falls_back_to_the_start_date():
    data = ep.derive_os_data("S", T0, death_date=None, last_known_alive_date=None)
    result = tte.derive_time_to_event(data, ep.os_definition(), CUTOFF)
    assert (result.rule_id, result.aval_days) == ("START", 1)


def test_the_result_prints_its_rule():
    record = pfs([(56, "SD"), (168, "PD")]).to_dict()
    assert record["event"] and record["rule_id"] == "PD" and "RECIST" in record["rule"]


@pytest.mark.parametrize("aval, event, expected", [(366, False, True), (365, True, False),
                                                   (366, True, True), (200, False, None)])
def test_twelve_month_status(aval, event, expected):
    result = tte.TimeToEventResult("S", "PFS", T0, day(aval - 1), aval, 0 if event else 1, "X", "")
    assert rates.derive_landmark_status(result) is expected


@pytest.mark.parametrize("bor, measurable, include, expected", [
    ("PR", True, False, (True, True, True)), ("SD", True, False, (True, False, True)),
    ("NE", True, False, (True, False, False)), ("NO_ASSESSMENT", True, False, (True, False, False)),
    ("NON-CR/NON-PD", False, False, (False, False, False)),
    ("NON-CR/NON-PD", False, True, (True, False, True))])
def test_response_flags(bor, measurable, include, expected):
    flags = rates.derive_response_flags(bor, measurable_disease=measurable,
                                     include_non_measurable=include)
    assert (flags.in_population, flags.responder, flags.disease_control) == expected


def test_clopper_pearson_matches_r_binom_test():
    # R: binom.test(x, n)$conf.int for every pair in the shared reference file.
    cases = json.loads(REFERENCE.read_text())["binomial"]
    for case in cases:
        rate = rates.compute_binomial_rate(case["x"], case["n"])
        assert rate.ci_lower == pytest.approx(case["clopper_pearson"][0], abs=1e-9)
        assert rate.ci_upper == pytest.approx(case["clopper_pearson"][1], abs=1e-9)
    assert len(cases) >= 3


def test_a_rate_needs_a_proportion():
    with pytest.raises(InvalidInput, match="0 ≤ numerator"):
        rates.compute_binomial_rate(5, 3)


@pytest.mark.parametrize("module", ["outcomes.time_to_event", "outcomes.endpoints", "outcomes.rates",
                                    "outcomes.local_control", "outcomes.safety", "outcomes.derive", "outcomes.batch"])
def test_the_docstring_examples_run(module):
    import doctest
    import importlib
    result = doctest.testmod(importlib.import_module(f"oncotrial.domain.{module}"))
    assert result.failed == 0


def test_a_definition_lists_its_rules_for_a_report():
    lines = ep.pfs_definition(Q8W).rule_descriptions
    assert lines[0].startswith("PFS: ")
    assert any("EVENT_AFTER_2PLUS_MISSED" in line and "every 56 ± 7 days" in line for line in lines)
    assert any("NEW_ANTICANCER_THERAPY" in line and "are included" in line for line in lines)
    ema = ep.pfs_definition(Q8W, style="EMA").rule_descriptions
    assert not any("MISSED" in line or "NEW_ANTICANCER" in line for line in ema)
