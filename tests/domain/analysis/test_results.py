"""The analysis results on small hand-built cohorts: every number checkable by hand or against
the R calls written beside it (R 4.x, survival 3.5.3)."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from analysis_cohort import (
    START,
    C,
    E,
    derived,
    facts,
    outcome,
    r_cohort,
    request,
    teaes,
)

from oncotrial.domain.analysis.results import LIVE, LOCKED, derive_trial_results
from oncotrial.domain.outcomes.records import AdverseEvent
from oncotrial.protocols import load_builtin_protocol

TRIAL_B = load_builtin_protocol("crlm-sbrt-sintilimab")
TRIAL_A = load_builtin_protocol("crlm-mwa-camrelizumab")
A_ARM = "mwa-chemo-camrelizumab"
MONTH = 30.4375


def results(protocol=TRIAL_B, cohort=None, **kwargs):
    rows, outcomes = cohort or r_cohort()
    return derive_trial_results(protocol, rows, outcomes, request(**kwargs))


def test_it_marks_live_and_locked_data_and_names_what_was_analysed():
    live, locked = results(), results(locked=True)
    assert live.header.data_status == LIVE and locked.header.data_status == LOCKED
    assert live.header.protocol_version == TRIAL_B.version and live.header.data_cutoff == "2026-06-30"
    assert live.header.analysis_set == "itt" and live.analysis_set.id == "itt"
    assert live.comparison == (E, C)
    json.dumps(live.to_data(), allow_nan=False)  # plain JSON, no NaN


def test_the_km_medians_logrank_and_cox_equal_r_on_the_hand_cohort():
    pfs = results().endpoint("PFS")
    by_arm = {a.arm: a for a in pfs.arms}
    # E: events at 30, 60, 90, 150 days (120 censored): S = .8, .6, .4 -> median 90 days
    assert by_arm[E].median.estimate == pytest.approx(90 / MONTH)
    # C: S(45) = 0.5 exactly, so the median is the midpoint of 45 and 70 days (R quantile.survfit)
    assert by_arm[C].median.estimate == pytest.approx(57.5 / MONTH)
    # survfit(Surv(months, event) ~ arm, conf.type = "log-log"): lower limits
    assert by_arm[E].median.lower == pytest.approx(0.985626283367556, abs=1e-12)
    assert by_arm[C].median.lower == pytest.approx(0.657084188911704, abs=1e-12)
    assert by_arm[E].events == 4 and by_arm[E].censored == 1
    comparison = pfs.comparison
    # survdiff(Surv(months, event) ~ arm): chisq 0.578759111186802, p 0.4467991211603
    assert comparison.logrank.statistic == pytest.approx(0.578759111186802, abs=1e-10)
    assert comparison.logrank.p_value == pytest.approx(0.4467991211603, abs=1e-10)
    # survdiff(... ~ arm + strata(stratum))$chisq
    assert comparison.stratified_logrank.statistic == pytest.approx(0.149303251493033, abs=1e-10)
    # coxph(Surv(months, event) ~ arm): exp(coef) and its 95% limits, E versus C
    hr = comparison.hazard_ratio
    assert (hr.experimental, hr.control) == (E, C)
    assert hr.estimate == pytest.approx(0.576122431543942, abs=1e-9)
    assert (hr.lower, hr.upper) == pytest.approx((0.136743348123375, 2.42729946782227), abs=1e-8)
    # coxph(... ~ arm + strata(stratum))
    assert comparison.stratified_hazard_ratio.estimate == pytest.approx(0.740391037504322, abs=1e-9)
    # cox.zph(fit)$table["GLOBAL", "p"]
    assert comparison.ph_test.p_value == pytest.approx(0.999661393404921, abs=1e-6)


def test_the_landmark_rates_and_the_risk_table_follow_the_curve():
    column = {a.arm: a for a in results().endpoint("PFS").arms}[E]
    six = next(lm for lm in column.landmarks if lm.months == 6.0)
    # E: S = .8, .6, .4 after 30, 60, 90 days; 120 censored; the last at risk dies at 150 -> 0
    assert six.estimate == 0.0 and six.n_risk == 0
    assert column.curve.surv == pytest.approx((0.8, 0.6, 0.4, 0.4, 0.0))
    assert column.curve.risk_table[0] == (0.0, 5) and column.curve.censor_times == (
        pytest.approx(120 / MONTH),)


def test_orr_and_dcr_have_clopper_pearson_intervals_and_a_difference_between_arms():
    bors = {"01-000": "PR", "01-001": "CR", "01-002": "PD", "01-005": "PR"}
    found = results(cohort=r_cohort(bors)).response
    by_arm = {a.arm: a for a in found.arms}
    assert (by_arm[E].orr.x, by_arm[E].orr.n) == (2, 5)
    # binom.test(2, 5)$conf.int = 0.0527449505263169 0.853367200365624
    assert (by_arm[E].orr.lower, by_arm[E].orr.upper) == pytest.approx(
        (0.0527449505263169, 0.853367200365624), abs=1e-9)
    assert dict(by_arm[E].bor_counts)["PD"] == 1 and by_arm[E].dcr.x == 4
    assert found.orr_difference.estimate == pytest.approx(2 / 5 - 1 / 6)


def test_the_consort_flow_counts_each_step_with_reasons():
    rows, outcomes = r_cohort()
    rows[0] = facts("01-000", E, discontinued_on=START + dt.timedelta(days=40),
                    discontinued_reason="adverse event")
    rows.append(facts("01-090", "", eligible=False, enrolled_on=None, randomized_on=None,
                      ineligible_reasons=("ECOG 2", "no liver metastasis")))
    rows.append(facts("01-091", "", eligible=False, enrolled_on=None, randomized_on=None,
                      ineligible_reasons=("ECOG 2",)))
    flow = derive_trial_results(TRIAL_B, rows, outcomes, request()).consort
    assert (flow.screened, flow.not_eligible, flow.randomized) == (13, 2, 11)
    assert [(r.reason, r.n) for r in flow.not_eligible_reasons] == [("ECOG 2", 2), ("no liver metastasis", 1)]
    arm = {a.arm: a for a in flow.arms}[E]
    assert (arm.allocated, arm.treated, arm.discontinued_treatment) == (5, 5, 1)
    assert dict(arm.analysed)["itt"] == 5


def test_the_safety_set_counts_each_subject_once_per_row_by_the_arm_treated():
    rows, _ = r_cohort()
    rows[6] = facts("01-006", C, treated=False)  # never treated: outside the safety set
    events = [AdverseEvent("01-000", "1", "Diarrhoea", START + dt.timedelta(days=10), 3,
                           soc="Gastrointestinal disorders", serious=True),
              AdverseEvent("01-000", "2", "Diarrhoea", START + dt.timedelta(days=30), 2,
                           soc="Gastrointestinal disorders"),
              AdverseEvent("01-005", "3", "Pneumonitis", START + dt.timedelta(days=20), 4,
                           immune_related=True)]
    outcomes = derived(r_cohort()[1].subjects, teaes(events))
    safety = derive_trial_results(TRIAL_B, rows, outcomes, request()).safety
    assert safety.n_by_arm == (5, 5)
    overview = {row.key: [c.n for c in row.cells] for row in safety.overview}
    assert overview["any"] == [1, 1] and overview["grade_3_4"] == [1, 1] and overview["serious"] == [1, 0]
    rates = dict(safety.grade_3_4[0].rates)
    assert (rates[E].x, rates[E].n) == (1, 5)
    assert safety.grade_3_4[0].difference.estimate == pytest.approx(0.0)
    assert [r.term for r in safety.serious] == ["Diarrhoea"] and len(safety.immune_related) == 1
    worst = [(w.term, w.grade, [c.n for c in w.cells]) for w in safety.worst_grade]
    assert ("Diarrhoea", "3", [1, 0]) in worst and not any(w[1] == "2" for w in worst)
    assert safety.primary_subset == "related"  # trial B's endpoint counts related AEs only


def test_the_per_protocol_set_drops_major_deviations():
    rows, outcomes = r_cohort()
    rows[1] = facts("01-001", E, "b", major_deviation=True)
    pp = derive_trial_results(TRIAL_B, rows, outcomes, request("pp")).analysis_set
    assert pp.n == 10 and "01-001" not in pp.subject_ids


@pytest.mark.parametrize("case", ["no events", "one arm", "no responders", "no AEs", "nobody"])
def test_thin_data_gives_results_with_clear_warnings_never_an_exception(case):
    rows, outcomes = r_cohort()
    if case == "no events":
        outcomes = derived([outcome(o.subject_id, o.arm, pfs=(100, False), os=(100, False))
                            for o in outcomes.subjects])
    if case == "one arm":
        rows = [r for r in rows if r.arm == E]
    if case == "nobody":
        rows = []
    found = derive_trial_results(TRIAL_B, rows, outcomes, request())
    json.dumps(found.to_data(), allow_nan=False)
    text = " | ".join(found.warnings)
    expected = {"no events": "no events", "one arm": "only one arm", "no responders": "no responders",
                "no AEs": "no treatment-emergent adverse event", "nobody": "is empty"}[case]
    assert expected in text, text


def test_a_single_arm_trial_reads_its_12_month_pfs_against_the_design():
    rows, outcomes = [], []
    for i in range(30):
        sid = f"01-{i:03d}"
        rows.append(facts(sid, A_ARM, randomized_on=None))
        days, event = (400, False) if i < 20 else (100 + i, True)
        o = outcome(sid, A_ARM, pfs=(days, event), os=(500, False))
        outcomes.append(o.__class__(**{**o.__dict__, "pfs_12_month_status": not event}))
    found = derive_trial_results(TRIAL_A, rows, derived(outcomes), request("itt"))
    decision = found.landmark_decision
    assert found.analysis_set.id == "fas" and found.comparison is None
    assert (decision.p0, decision.p1, decision.r, decision.n) == (0.4, 0.6, 23, 46)
    assert decision.km_rate.estimate == pytest.approx(20 / 30)
    assert (decision.successes, decision.failures, decision.decision) == (20, 10, "not yet decided")
    assert "more than 23 of 46" in decision.rule
