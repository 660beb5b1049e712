"""Simulated group-sequential trials agree with the recursive-integration crossing probabilities.

The boundaries are rpact's ``getDesignGroupSequential(kMax = 2, alpha = 0.025)`` ("OF"), checked in
test_survival_design.py; here the simulated rejection and stopping rates, and the expected number of
events, are compared with ``compute_crossing_probabilities`` at the simulated looks' information.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from oncotrial.domain.design.models import AnalysisRule, PiecewiseExponential
from oncotrial.domain.design.sequential import (
    compute_crossing_probabilities,
    compute_group_sequential_design,
)
from oncotrial.domain.design.sequential_simulation import (
    compute_look_events,
    simulate_group_sequential_trials,
)
from oncotrial.domain.design.simulation import TwoArmTrial
from oncotrial.errors import InvalidInput

DESIGN = compute_group_sequential_design("OF", 0.025, (0.5, 1.0))


def simulate(hazard_ratio: float):
    trial = TwoArmTrial(189, 24, PiecewiseExponential.from_median(12), hazard_ratio,
                        AnalysisRule(events=121), accrual="even")
    result = simulate_group_sequential_trials(trial, DESIGN, 121, 20_000,
                                              np.random.default_rng(31))
    looks = compute_look_events(DESIGN, 121)
    drift = math.sqrt(looks[-1]) * abs(math.log(hazard_ratio)) / 2
    stage = compute_crossing_probabilities(DESIGN.critical_values,
                                           [e / looks[-1] for e in looks], drift)
    return result, looks, stage


def test_under_the_null_each_look_spends_its_alpha():
    result, looks, stage = simulate(1.0)
    for simulated, exact in zip(result.summaries["rejection_by_look"], stage, strict=True):
        assert abs(simulated - exact) < 3 * math.sqrt(exact * (1 - exact) / result.runs)
    expected_events = looks[0] * stage[0] + looks[1] * (1 - stage[0])
    assert result.mean_events == pytest.approx(expected_events, abs=0.3)


def test_under_the_alternative_power_matches_and_events_roughly():
    result, looks, stage = simulate(0.6)
    assert abs(result.rejection_rate - stage.sum()) < 3 * result.mc_se
    # Schoenfeld's drift is approximate at the interim (at-risk shares drift away from 1:1
    # while accrual goes on); the simulated first-look crossing is about 0.01 lower.
    assert result.summaries["rejection_by_look"][0] == pytest.approx(stage[0], abs=0.02)
    expected_events = looks[0] * stage[0] + looks[1] * (1 - stage[0])
    assert result.mean_events == pytest.approx(expected_events, abs=1.5)


def test_looks_need_enough_events():
    assert compute_look_events(DESIGN, 121) == (60, 121)
    with pytest.raises(InvalidInput) as raised:
        compute_look_events(compute_group_sequential_design("asOF", 0.025, (0.3, 0.31, 1.0)), 10)
    assert raised.value.field == "max_events"
