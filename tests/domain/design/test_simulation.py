"""Whole-trial simulation against rpact 3.3.4 and against the analytic designs.

References (tests/reference/design/rpact_sample_size.json):
``getSimulationSurvival(directionUpper = FALSE, plannedEvents = 60, maxNumberOfSubjects = 80,
accrualTime = 24, median2 = 12, hazardRatio, alpha)`` rejection rates with their Monte Carlo SEs,
and ``getPowerSurvival``-type analytic power (reproduced by ``compute_survival_power``, itself
checked against rpact in test_survival_design.py).
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pytest

from oncotrial.domain.design.models import AnalysisRule, PiecewiseExponential, ScanSchedule
from oncotrial.domain.design.simulation import (
    SingleArmTrial,
    TwoArmTrial,
    simulate_two_arm_trials,
)
from oncotrial.domain.design.single_arm import (
    _loglog_limits,
    compute_one_sample_logrank_design,
    simulate_single_arm_trials,
)
from oncotrial.domain.design.survival import SurvivalAssumptions, compute_survival_power
from oncotrial.domain.stats import estimate_km
from oncotrial.errors import InvalidInput

REFERENCE = Path(__file__).resolve().parents[2] / "reference" / "design" / "rpact_sample_size.json"
RPACT = json.loads(REFERENCE.read_text())
RPACT_ROWS = [row for row in RPACT["simulation"] if row["iterations"] == 100_000]


def trial_b(hazard_ratio: float, alpha: float = 0.025, **changes) -> TwoArmTrial:
    settings = dict(subjects=80, accrual_months=24, control_pfs=PiecewiseExponential.from_median(12),
                    hazard_ratio=hazard_ratio, analysis=AnalysisRule(events=60), alpha=alpha,
                    accrual="even")
    return TwoArmTrial(**{**settings, **changes})


@pytest.mark.parametrize("row", RPACT_ROWS,
                         ids=lambda r: f"HR{r['hazardRatio']}-a{r['alpha_one_sided']}")
def test_rejection_rate_within_three_mc_se_of_rpact_simulation(row):
    ours = simulate_two_arm_trials(trial_b(row["hazardRatio"], row["alpha_one_sided"]), 40_000,
                                   np.random.default_rng(20240601), summaries=False)
    combined_se = math.hypot(ours.mc_se, row["mc_se"])
    assert abs(ours.rejection_rate - row["rejection_rate"]) < 3 * combined_se
    assert ours.mean_events == pytest.approx(60, abs=1e-3)  # float32 calendar ties are rare
    assert ours.mean_analysis_months == pytest.approx(row["analysisTime"], abs=0.5)


def test_power_of_80_patient_design_within_three_se_of_rpact_analytic_power():
    analytic = RPACT["analytic_power"][0]["overallReject"]
    ours = simulate_two_arm_trials(trial_b(0.6), 40_000, np.random.default_rng(7), summaries=False)
    assert abs(ours.rejection_rate - analytic) < 3 * ours.mc_se


def test_large_sample_power_within_three_se_of_analytic_power():
    # 188 subjects, 120 events: rpact's fixed Schoenfeld design for HR 0.6 (power 0.8).
    analytic = compute_survival_power(SurvivalAssumptions(0.6, 12, accrual_months=24), 188, 0.025,
                                      events=120)
    trial = trial_b(0.6, subjects=188, analysis=AnalysisRule(events=120))
    ours = simulate_two_arm_trials(trial, 40_000, np.random.default_rng(11), summaries=False,
                                   workers=2)
    assert abs(ours.rejection_rate - analytic.power) < 3 * ours.mc_se
    assert ours.mean_analysis_months == pytest.approx(analytic.analysis_months, abs=0.3)


def test_same_seed_same_result_whatever_the_threads():
    trial = trial_b(0.6, scans=ScanSchedule.every(1.5, 0.25), dropout_per_year=0.05,
                    accrual="uniform", control_os=PiecewiseExponential.from_median(30))
    one = simulate_two_arm_trials(trial, 3_000, np.random.default_rng(3), chunk_size=1_000)
    two = simulate_two_arm_trials(trial, 3_000, np.random.default_rng(3), chunk_size=1_000,
                                  workers=2)
    assert one == two


def test_summaries_recover_the_truth():
    trial = trial_b(0.6, control_os=PiecewiseExponential.from_median(30))
    seen = []
    result = simulate_two_arm_trials(trial, 4_000, np.random.default_rng(5), chunk_size=1_500,
                                     progress=lambda done, total: seen.append((done, total)))
    assert seen == [(1_500, 4_000), (3_000, 4_000), (4_000, 4_000)]
    s = result.summaries
    assert s["hazard_ratio"]["quantiles"]["0.5"] == pytest.approx(0.6, abs=0.03)
    assert s["median_control"]["quantiles"]["0.5"] == pytest.approx(12, abs=0.8)
    assert s["median_treated"]["quantiles"]["0.5"] == pytest.approx(20, abs=1.5)
    assert s["os_median_control"]["mean"] > s["median_control"]["mean"]


def test_null_hazard_ratio_gives_type_one_error():
    result = simulate_two_arm_trials(trial_b(1.0, alpha=0.05, accrual="uniform",
                                             allocation="random"), 20_000,
                                     np.random.default_rng(9), summaries=False)
    assert abs(result.rejection_rate - 0.05) < 3 * math.sqrt(0.05 * 0.95 / 20_000)


def test_calendar_analysis_and_dropout_count_fewer_events():
    trial = trial_b(0.6, analysis=AnalysisRule(calendar_months=30), dropout_per_year=0.2)
    result = simulate_two_arm_trials(trial, 2_000, np.random.default_rng(1), summaries=False)
    assert result.mean_analysis_months == 30
    assert 20 < result.mean_events < 60


def test_scans_every_six_weeks_raise_the_observed_twelve_month_rate():
    base = dict(subjects=60, accrual_months=12, pfs=PiecewiseExponential.from_landmark(0.5, 12),
                p0=0.4)
    continuous = simulate_single_arm_trials(SingleArmTrial(**base), 20_000, np.random.default_rng(4))
    scanned = simulate_single_arm_trials(
        SingleArmTrial(**base, scans=ScanSchedule.every(1.5, 0.25)), 20_000,
        np.random.default_rng(4))
    assert continuous.summaries["landmark_rate"]["mean"] == pytest.approx(0.5, abs=0.005)
    assert scanned.summaries["landmark_rate"]["mean"] > 0.51
    assert scanned.rejection_rate > continuous.rejection_rate


def test_one_sample_logrank_design_reaches_its_power_in_simulation():
    design = compute_one_sample_logrank_design(0.4, 0.6, accrual_months=24, followup_months=12)
    trial = SingleArmTrial(design.subjects_rounded, 24, PiecewiseExponential.from_landmark(0.6, 12),
                           p0=0.4, analysis=AnalysisRule(calendar_months=36))
    result = simulate_single_arm_trials(trial, 20_000, np.random.default_rng(8))
    # Small-sample normal approximation: allow a few points either way.
    assert result.summaries["one_sample_logrank_rejection_rate"] == pytest.approx(0.8, abs=0.04)


def test_loglog_limits_equal_estimate_km():
    time = np.array([2.0, 3, 4, 5, 7, 8, 9, 11, 13, 14, 15, 20])
    event = np.array([1, 0, 1, 1, 0, 1, 0, 1, 1, 0, 1, 0])
    at = estimate_km(time, event, conf_type="log-log", conf_level=0.9).curves[0].survival_at([12])[0]
    lower, upper = _loglog_limits(np.array([at.estimate]), np.array([at.se**2]), 1.6448536269514722)
    assert (lower[0], upper[0]) == pytest.approx(at.ci, abs=1e-9)


@pytest.mark.parametrize(
    ("changes", "field"),
    [({"accrual_months": -24}, "accrual_months"), ({"subjects": 1}, "subjects"),
     ({"dropout_per_year": 1.5}, "dropout_per_year"),
     ({"analysis": AnalysisRule(events=90)}, "events")],
)
def test_it_rejects_impossible_simulations(changes, field):
    with pytest.raises(InvalidInput) as raised:
        simulate_two_arm_trials(trial_b(0.6, **changes), 10, np.random.default_rng(0))
    assert raised.value.field == field


def test_array_module_switch_runs_the_same_program():
    # A stand-in array module (numpy under another name) takes the device branches: a device
    # generator seeded from the host one, and copies back to numpy; CuPy is used the same way.
    import types

    shim = types.ModuleType("array_module_shim")
    shim.__getattr__ = lambda name: getattr(np, name)
    trial = trial_b(0.6, scans=ScanSchedule.every(1.5, 0.25), dropout_per_year=0.05)
    on_shim = simulate_two_arm_trials(trial, 20_000, np.random.default_rng(12), xp=shim)
    on_numpy = simulate_two_arm_trials(trial, 20_000, np.random.default_rng(12))
    assert on_shim.rejection_rate != on_numpy.rejection_rate  # different streams ...
    se = math.hypot(on_shim.mc_se, on_numpy.mc_se)
    assert abs(on_shim.rejection_rate - on_numpy.rejection_rate) < 4 * se  # ... same design


def test_piecewise_exponential_draws_follow_the_curve():
    curve = PiecewiseExponential((0.06, 0.03, 0.1), (0.0, 12.0, 24.0))
    draws = curve.times_for(np.random.default_rng(21).standard_exponential(400_000).astype(np.float32))
    for t in (3.0, 12.0, 18.0, 24.0, 30.0):
        expected = curve.survival(t)
        se = math.sqrt(expected * (1 - expected) / draws.size)
        assert abs(np.mean(draws > t) - expected) < 4 * se
    assert curve.median() == pytest.approx(math.log(2) / 0.06)
    assert curve.survival(18.0) == pytest.approx(math.exp(-0.72 - 0.18))
