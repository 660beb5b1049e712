"""Log-rank sample sizes for every rpact typeOfComputation with the options a phase II team sets
(issue 15, gap 3).

Reference: tests/domain/design/reference/rpact_survival_options.R (rpact 3.3.4):
``getSampleSizeSurvival(typeOfComputation = 'Schoenfeld' | 'Freedman' | 'HsiehFreedman',
hazardRatio, median2, accrualTime | accrualIntensity, followUpTime | maxNumberOfSubjects,
dropoutRate1, dropoutRate2, dropoutTime, allocationRatioPlanned, alpha, beta, sided[, design])``
and ``getPowerSurvival(typeOfComputation, maxNumberOfSubjects = 120, maxNumberOfEvents = 80, ...,
directionUpper = FALSE)$overallReject``.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from oncotrial.domain.design.sequential import compute_group_sequential_design
from oncotrial.domain.design.survival import (
    SurvivalAssumptions,
    compute_survival_power,
    compute_survival_sample_size,
)

RPACT = json.loads((Path(__file__).parent / "reference" / "rpact_survival_options.json").read_text())
TOL = 1e-6
# rpact solves the accrual time from an intensity to its root finder's tolerance: its follow-up
# comes back 12 - 6e-6 instead of 12.  We solve to 1e-14, so there the tolerance is rpact's own.
SOLVED_BY_RPACT = 1e-4


def assumptions(inputs: dict) -> SurvivalAssumptions:
    intensity = inputs.get("accrualIntensity")
    return SurvivalAssumptions(
        inputs["hazardRatio"], inputs["median2"],
        accrual_months=None if intensity else inputs["accrualTime"],
        followup_months=inputs.get("followUpTime"), accrual_per_month=intensity,
        dropout_rate=inputs.get("dropoutRate2", 0.0), dropout_months=inputs.get("dropoutTime", 12),
        allocation_ratio=inputs.get("allocationRatioPlanned", 1.0),
        treatment_dropout_rate=inputs.get("dropoutRate1"))


def solve(case: dict):
    inputs = case["inputs"]
    design = None
    if case["kMax"] > 1:
        design = compute_group_sequential_design("OF", inputs["alpha"], (0.5, 1.0))
    subjects = case["maxNumberOfSubjects"] if "followUpTime" not in inputs else None
    return compute_survival_sample_size(assumptions(inputs), inputs["alpha"], inputs["beta"],
                                        sides=inputs["sided"], method=case["typeOfComputation"],
                                        design=design, subjects=subjects)


@pytest.mark.parametrize("case", RPACT["sample_size"], ids=lambda c: c["label"])
def test_sample_size_equals_rpact(case):
    """Events, subjects, accrual, follow-up, analysis times, expected events, boundary HRs."""
    ours = solve(case)
    tol = SOLVED_BY_RPACT if case["inputs"].get("accrualIntensity") else TOL
    assert ours.events == pytest.approx(case["maxNumberOfEvents"], abs=TOL)
    assert list(ours.events_per_stage) == pytest.approx(np.atleast_1d(case["eventsPerStage"]),
                                                        abs=TOL)
    assert ours.subjects == pytest.approx(case["maxNumberOfSubjects"], abs=tol)
    assert ours.accrual_months == pytest.approx(case["accrualTime"], abs=tol)
    assert ours.accrual_per_month == pytest.approx(case["accrualIntensity"], abs=tol)
    followup = ours.analysis_months[-1] - ours.accrual_months
    assert followup == pytest.approx(case["followUpTime"], abs=tol)
    if "followUpTime" in case["inputs"]:  # ours keeps the follow-up asked for exactly
        assert followup == pytest.approx(case["inputs"]["followUpTime"], abs=1e-9)
    assert list(ours.analysis_months) == pytest.approx(np.atleast_1d(case["analysisTime"]),
                                                       abs=tol)
    assert ours.expected_events_h1 == pytest.approx(case["expectedEventsH1"], abs=TOL)
    # two-sided: rpact gives both boundaries; ours is the lower one (HR < 1 favours treatment)
    boundary = case["criticalValuesEffectScale"] or case["criticalValuesEffectScaleLower"]
    assert list(ours.critical_hazard_ratios) == pytest.approx(np.atleast_1d(boundary), abs=TOL)


@pytest.mark.parametrize("case", RPACT["power"],
                         ids=lambda c: f"{c['typeOfComputation']}-r{c['allocationRatioPlanned']}")
def test_power_equals_rpact(case):
    """getPowerSurvival with 120 subjects, 80 events, drop-out 5% / 10% by 12 months."""
    a = SurvivalAssumptions(0.6, 12.0, accrual_months=24.0, dropout_rate=0.1,
                            treatment_dropout_rate=0.05, dropout_months=12.0,
                            allocation_ratio=case["allocationRatioPlanned"])
    ours = compute_survival_power(a, 120, 0.025, events=80, method=case["typeOfComputation"])
    assert ours.power == pytest.approx(case["overallReject"], abs=TOL)
    assert ours.analysis_months == pytest.approx(case["analysisTime"], abs=TOL)
