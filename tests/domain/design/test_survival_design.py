"""Log-rank sample sizes, power and group-sequential boundaries against rpact 3.3.4.

Reference: tests/reference/design/rpact_sample_size.json, from
``rpact::getSampleSizeSurvival(design, typeOfComputation, hazardRatio = 0.6, median2 = 12,
accrualTime = 24, followUpTime = 12, alpha, beta = 0.2, sided)`` (unrounded) and
``getPowerSurvival(maxNumberOfSubjects = 80, maxNumberOfEvents = 60, accrualTime = 24, median2 = 12,
hazardRatio = 0.6)``; group-sequential rows use ``getDesignGroupSequential(kMax = 2, alpha = 0.025,
informationRates = c(0.5, 1))`` whose default typeOfDesign is "OF".
"""

from __future__ import annotations

import json
import math
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
from scipy.integrate import quad
from scipy.stats import norm

from oncotrial.domain.design.sequential import (
    compute_crossing_probabilities,
    compute_group_sequential_design,
    compute_inflation_factor,
    compute_spent_alpha,
)
from oncotrial.domain.design.survival import (
    SurvivalAssumptions,
    compute_event_probability,
    compute_logrank_events,
    compute_survival_power,
    compute_survival_sample_size,
)
from oncotrial.errors import InvalidInput

REFERENCE = Path(__file__).resolve().parents[2] / "reference" / "design" / "rpact_sample_size.json"
RPACT = json.loads(REFERENCE.read_text())
TOL = 1e-6


def solve(case, **overrides):
    assumptions = SurvivalAssumptions(
        case["hazardRatio"], case["median2"],
        accrual_months=overrides.get("accrual_months", case["accrualTime"]),
        followup_months=case["followUpTime"],
        accrual_per_month=overrides.get("accrual_per_month"))
    design = None
    if case["kMax"] > 1:
        design = compute_group_sequential_design("OF", case["alpha"], (0.5, 1.0))
    return compute_survival_sample_size(assumptions, case["alpha"], case["beta"],
                                        sides=case["sided"], method=case["typeOfComputation"],
                                        design=design)


@pytest.mark.parametrize("case", RPACT.get("sample_size", []), ids=lambda c: c["label"])
def test_events_subjects_and_timing_equal_rpact(case):
    ours = solve(case)
    assert ours.events == pytest.approx(case["maxNumberOfEvents"], abs=TOL)
    assert ours.subjects == pytest.approx(case["maxNumberOfSubjects"], abs=TOL)
    assert ours.accrual_per_month == pytest.approx(case["accrualIntensity"], abs=TOL)
    assert list(ours.events_per_stage) == pytest.approx(np.atleast_1d(case["eventsPerStage"]), abs=TOL)
    assert list(ours.analysis_months) == pytest.approx(np.atleast_1d(case["analysisTime"]), abs=TOL)
    assert ours.expected_events_h1 == pytest.approx(case["expectedEventsH1"], abs=TOL)
    if case["expectedEventsH0"]:
        assert ours.expected_events_h0 == pytest.approx(case["expectedEventsH0"], abs=TOL)
    if case["criticalValuesEffectScale"]:
        assert list(ours.critical_hazard_ratios) == pytest.approx(
            np.atleast_1d(case["criticalValuesEffectScale"]), abs=TOL)


@pytest.mark.parametrize("case", RPACT.get("sample_size", []), ids=lambda c: c["label"])
def test_accrual_intensity_gives_the_same_design(case):
    ours = solve(case, accrual_months=None, accrual_per_month=case["accrualIntensity"])
    assert ours.accrual_months == pytest.approx(case["accrualTime"], abs=TOL)
    assert ours.subjects == pytest.approx(case["maxNumberOfSubjects"], abs=TOL)


def test_schoenfeld_closed_form():
    assert compute_logrank_events(0.6) == pytest.approx(RPACT["schoenfeld_closed_form_events"], abs=1e-9)


@pytest.mark.parametrize("row", RPACT.get("analytic_power", []), ids=lambda r: str(r["alpha_one_sided"]))
def test_power_for_80_subjects_and_60_events_equals_rpact(row):
    ours = compute_survival_power(SurvivalAssumptions(0.6, 12, accrual_months=24), 80,
                                  row["alpha_one_sided"], events=60)
    assert ours.power == pytest.approx(row["overallReject"], abs=TOL)
    assert ours.analysis_months == pytest.approx(row["analysisTime"], abs=TOL)


def test_event_probability_with_dropout_matches_numerical_integration():
    # rpact integrates lambda/(lambda+phi) (1 - exp(-(lambda+phi) x)) over follow-up; so do we, here.
    a = SurvivalAssumptions(0.5, 12, accrual_months=24, followup_months=12,
                            dropout_rate=0.05, dropout_months=12)
    phi = -math.log(0.95) / 12
    x = np.linspace(12, 36, 200_001)
    by_arm = [lam / (lam + phi) * (1 - np.exp(-(lam + phi) * x)) for lam in
              (math.log(2) / 12 * 0.5, math.log(2) / 12)]
    expected = np.mean([np.trapezoid(f, x) / 24 for f in by_arm])
    assert compute_event_probability(a, 36) == pytest.approx(expected, abs=1e-9)


def test_of_two_look_boundaries_against_bivariate_normal():
    design = compute_group_sequential_design("OF", 0.025, (0.5, 1.0))
    c1, c2 = design.critical_values
    assert c1 == pytest.approx(c2 * math.sqrt(2), abs=1e-12)
    # P(no crossing) = P(Z1 < c1, Z2 < c2) with corr(Z1, Z2) = sqrt(0.5).
    rho = math.sqrt(0.5)
    no_cross, _ = quad(lambda z: norm.pdf(z) * norm.cdf((c2 - rho * z) / math.sqrt(1 - rho**2)),
                       -np.inf, c1, epsabs=1e-13, epsrel=1e-13)
    assert 1 - no_cross == pytest.approx(0.025, abs=1e-7)
    assert design.cumulative_alpha[-1] == pytest.approx(0.025, abs=1e-12)


def test_spending_designs_reproduce_published_boundaries():
    # Jennison & Turnbull (2000) table / rpact: asOF K=3 one-sided 0.025 -> 3.710, 2.511, 1.993;
    # classical Pocock K=3 -> 2.289 at every look.
    of = compute_group_sequential_design("asOF", 0.025, (1 / 3, 2 / 3, 1))
    assert [round(c, 3) for c in of.critical_values] == [3.710, 2.511, 1.993]
    pocock = compute_group_sequential_design("P", 0.025, (1 / 3, 2 / 3, 1))
    assert [round(c, 3) for c in pocock.critical_values] == [2.289] * 3
    pk = compute_group_sequential_design("asP", 0.025, (1 / 3, 2 / 3, 1))
    spent = compute_spent_alpha("asP", 0.025, [1 / 3, 2 / 3, 1])
    assert list(pk.cumulative_alpha) == pytest.approx(list(spent), abs=1e-10)


def test_first_look_probability_is_a_normal_tail():
    assert compute_crossing_probabilities([2.0], [1.0], 0.5)[0] == pytest.approx(norm.sf(1.5), abs=1e-14)


def test_inflation_factor_of_obrien_fleming_two_looks():
    # Jennison & Turnbull (2000) table 2.4: OBF K=2, alpha 0.05 two-sided, power 0.8 -> R = 1.008.
    design = compute_group_sequential_design("OF", 0.025, (0.5, 1.0))
    assert compute_inflation_factor(design, 0.2) == pytest.approx(1.008, abs=5e-4)


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"accrual_months": -24}, "accrual_months"),
        ({"hazard_ratio": 1.0}, "hazard_ratio"),
        ({"dropout_rate": 1.2}, "dropout_rate"),
        ({"followup_months": None}, "followup_months"),
    ],
)
def test_it_rejects_impossible_survival_designs(changes, field):
    base = {"hazard_ratio": 0.6, "control_median_months": 12, "accrual_months": 24,
            "followup_months": 12}
    with pytest.raises(InvalidInput) as raised:
        compute_survival_sample_size(SurvivalAssumptions(**{**base, **changes}))
    assert raised.value.field == field


def test_alpha_outside_range_is_rejected():
    with pytest.raises(InvalidInput) as raised:
        compute_survival_sample_size(SurvivalAssumptions(0.6, 12, 24, 12), alpha=0.7)
    assert raised.value.field == "alpha"


@pytest.mark.parametrize(
    ("control", "treated", "events_05", "events_10", "expected_events", "powers"),
    [(0.50, 0.70, 57, 41, 47, (0.74, 0.84, 0.92)),
     (0.55, 0.75, 47, 34, 42, (0.77, 0.86, 0.94)),
     (0.60, 0.80, 37, 27, 37, (0.81, 0.89, 0.95))],
)
def test_trial_b_tables_of_the_seed_spec(control, treated, events_05, events_10, expected_events,
                                         powers):
    # seed-trials.md §4.2 [CALC] tables: exponential PFS, HR = ln S1 / ln S0 at 12 months,
    # Schoenfeld events (rounded up); 80 patients, accrual 24, follow-up 12, 5 %/year drop-out.
    hr = math.log(treated) / math.log(control)
    assert math.ceil(compute_logrank_events(hr, 0.05, 0.2)) == events_05
    assert math.ceil(compute_logrank_events(hr, 0.10, 0.2)) == events_10
    median = 12 * math.log(2) / -math.log(control)
    a = SurvivalAssumptions(hr, median, accrual_months=24, followup_months=12, dropout_rate=0.05,
                            dropout_months=12)
    results = [compute_survival_power(a, 80, alpha) for alpha in (0.05, 0.10, 0.20)]
    assert round(results[0].events) == expected_events
    assert [r.power for r in results] == pytest.approx(powers, abs=0.006)


def test_allocation_ratio_two_to_one_by_hand():
    # Schoenfeld: (1 + r)^2 / r is 4.5 for r = 2 against 4 for 1:1.
    one = compute_logrank_events(0.6, 0.025, 0.2)
    two = compute_logrank_events(0.6, 0.025, 0.2, allocation_ratio=2.0)
    assert two == pytest.approx(one * 4.5 / 4, rel=1e-12)
    a = SurvivalAssumptions(0.6, 12, accrual_months=24, followup_months=12, allocation_ratio=2.0)
    treated = SurvivalAssumptions(0.6, 12 / 0.6, accrual_months=24, followup_months=12)
    control = SurvivalAssumptions(0.6, 12, accrual_months=24, followup_months=12)
    # P(event) of an arm alone: a design whose control median is that arm's median, HR -> 1.
    p_t = compute_event_probability(replace(treated, hazard_ratio=1.0 + 1e-12), 36)
    p_c = compute_event_probability(replace(control, hazard_ratio=1.0 + 1e-12), 36)
    assert compute_event_probability(a, 36) == pytest.approx((2 * p_t + p_c) / 3, rel=1e-9)
