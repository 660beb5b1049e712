"""Trial B's demo data (subject level in reference/trial_b_demo.csv, exported from the demo with
seed 7 as of 2025-06-30, ITT set) through the analysis layer equal R survival 3.5.3 on the same
rows: reference/trial_b_demo.R wrote reference/trial_b_demo.json (KM medians with log-log CIs,
survdiff chi-square and p unstratified and by strata(stratum), coxph HR with CI unstratified and
stratified, cox.zph global p, S(6) and S(12) with CIs)."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest

from oncotrial.domain.analysis.inputs import ArmInfo
from oncotrial.domain.analysis.survival import DAYS_PER_MONTH, EndpointTime, derive_time_to_event_summary
from oncotrial.protocols import load_builtin_protocol

HERE = Path(__file__).parent / "reference"
R = json.loads((HERE / "trial_b_demo.json").read_text())
ROWS = list(csv.DictReader((HERE / "trial_b_demo.csv").open()))
PROTOCOL = load_builtin_protocol("crlm-sbrt-sintilimab")
ARMS = [ArmInfo(a.id, a.name, a.kind) for a in PROTOCOL.arms]
CONTROL, EXPERIMENTAL = R["arms"]
TOLERANCE = 1e-9


def summary(endpoint: str):
    key = endpoint.lower()
    times = [EndpointTime(r["subject_id"], r["arm"], r["stratum"], int(r[f"{key}_days"]) / DAYS_PER_MONTH,
                          r[f"{key}_event"] == "1", "R", "rule") for r in ROWS]
    return derive_time_to_event_summary(endpoint, endpoint, "ITT", times, ARMS, (EXPERIMENTAL, CONTROL))


def pairs(endpoint: str):
    """(ours, R's) for every number the reference holds."""
    ours, ref = summary(endpoint), R[endpoint]
    by_arm = [next(a for a in ours.arms if a.arm == arm) for arm in R["arms"]]
    comparison = ours.comparison
    found = []
    for i, column in enumerate(by_arm):
        found += [(column.median.estimate, ref["median"][i]), (column.median.lower, ref["median_lower"][i]),
                  (column.median.upper, ref["median_upper"][i]), (column.events, ref["events"][i])]
        for j, months in enumerate((6.0, 12.0)):
            rate = next(lm for lm in column.landmarks if lm.months == months)
            k = 2 * i + j  # summary(fit, times = c(6, 12)) lists arm by arm
            found += [(rate.estimate, ref["landmark_surv"][k]), (rate.lower, ref["landmark_lower"][k]),
                      (rate.upper, ref["landmark_upper"][k])]
    hr, shr = comparison.hazard_ratio, comparison.stratified_hazard_ratio
    found += [(comparison.logrank.statistic, ref["logrank_chisq"]), (comparison.logrank.p_value, ref["logrank_p"]),
              (comparison.stratified_logrank.statistic, ref["stratified_logrank_chisq"]),
              (comparison.stratified_logrank.p_value, ref["stratified_logrank_p"]),
              *zip((hr.estimate, hr.lower, hr.upper), ref["hr"], strict=True),
              *zip((shr.estimate, shr.lower, shr.upper), ref["stratified_hr"], strict=True),
              (comparison.ph_test.p_value, ref["zph_p"])]
    return found


def max_abs_difference(found) -> float:
    worst = 0.0
    for ours, theirs in found:
        assert (ours is None) == (theirs is None), (ours, theirs)
        if ours is not None:
            worst = max(worst, abs(float(ours) - float(theirs)))
    return worst


@pytest.mark.parametrize("endpoint", ["PFS", "OS"])
def test_trial_b_demo_analysis_equals_r_survival(endpoint):
    assert len(ROWS) == 51 and R["survival"] == "3.5.3"
    assert max_abs_difference(pairs(endpoint)) < TOLERANCE
