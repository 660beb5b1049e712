"""Competing risks against R cmprsk 2.2.11 and survival 3.5.3 on survival::mgus2 (mgus2_cif.R)."""

from __future__ import annotations

import numpy as np
import pytest
from stats_reference import CLOSED_FORM, assert_matches, load_data, load_reference

from oncotrial.domain.stats import estimate_aalen_johansen, estimate_cuminc
from oncotrial.errors import InvalidInput

CURVES = ("F 1", "M 1", "F 2", "M 2")


@pytest.fixture(scope="module")
def mgus2():
    ref, data = load_reference("mgus2_cr"), load_data("mgus2_cr")
    return ref, data, estimate_cuminc(data["time"], data["event"], data["sex"])


@pytest.mark.parametrize("name", CURVES)
def test_it_matches_cuminc_curves(mgus2, name):
    """cmprsk::cuminc(time, event, group = sex, cencode = 0)[[name]]: time, est, var (the corners
    of the step function, as cmprsk's cinc returns them)."""
    ref, _, fit = mgus2
    expected = next(c for c in ref["cuminc_curves"] if c["name"] == name)
    group, cause = name.split()
    time, est, var = fit.curve(group, int(cause)).steps()
    assert_matches(time, expected["time"], CLOSED_FORM, f"{name} time")
    assert_matches(est, expected["est"], CLOSED_FORM, f"{name} est")
    assert_matches(var, expected["var"], CLOSED_FORM, f"{name} var")


def test_it_matches_cuminc_timepoints(mgus2):
    """timepoints(cuminc(...), c(60, 120, 240, 360)): est and var per group and cause."""
    ref, _, fit = mgus2
    points = ref["cuminc_timepoints"]
    for row, est, var in zip(points["rows"], points["est"], points["var"], strict=True):
        group, cause = row.split()
        ours_est, ours_var = fit.curve(group, int(cause)).at(points["times"])
        assert_matches(ours_est, [est[str(t)] for t in points["times"]], CLOSED_FORM, row)
        assert_matches(ours_var, [var[str(t)] for t in points["times"]], CLOSED_FORM, row)


def test_it_matches_grays_test(mgus2):
    """cuminc(...)$Tests: Gray's statistic, p-value and df for cause 1 (PCM) and 2 (death)."""
    ref, _, fit = mgus2
    gray = ref["gray_test"]
    assert [t.cause for t in fit.tests] == [int(r) for r in gray["rows"]]
    assert_matches([t.statistic for t in fit.tests], gray["stat"], CLOSED_FORM, "stat")
    assert_matches([t.p_value for t in fit.tests], gray["pv"], CLOSED_FORM, "p")
    assert [t.df for t in fit.tests] == gray["df"]


def test_it_matches_multistate_survfit():
    """summary(survfit(Surv(time, factor(event, 0:2, c('censor','pcm','death'))) ~ sex)):
    time, n.risk, pstate and std.err (infinitesimal jackknife) for each sex."""
    ref, data = load_reference("mgus2_cr"), load_data("mgus2_cr")
    aj = ref["aalen_johansen"]
    strata = np.array(aj["strata"])
    curves = estimate_aalen_johansen(data["time"], data["event"], data["sex"])
    assert [c.group for c in curves] == ["F", "M"]
    for curve in curves:
        rows = strata == f"sex={curve.group}"
        assert_matches(curve.time, np.array(aj["time"])[rows], CLOSED_FORM, "time")
        assert_matches(curve.n_risk, np.array(aj["n_risk"])[rows], CLOSED_FORM, "n.risk")
        assert_matches(curve.pstate, np.array(aj["pstate"])[rows], CLOSED_FORM, "pstate")
        assert_matches(curve.std_err, np.array(aj["std_err"])[rows], CLOSED_FORM, "std.err")


def test_aalen_johansen_and_cuminc_agree_on_the_estimate(mgus2):
    """Independent check: the multi-state p_k(t) equals cmprsk's F_k(t) at each event time."""
    _, data, fit = mgus2
    for curve in estimate_aalen_johansen(data["time"], data["event"], data["sex"]):
        for k, cause in enumerate(curve.causes, start=1):
            est, _ = fit.curve(curve.group, cause).at(curve.time)
            np.testing.assert_allclose(curve.pstate[:, k], est, rtol=1e-12)


def test_a_stratified_gray_test_matches_a_hand_check():
    """With one group per stratum pair duplicated, the stratified score is the sum of the two
    strata's scores, so doubling the data (as two strata) doubles the statistic."""
    rng = np.random.default_rng(11)
    n = 120
    time = rng.exponential(10, n).round(1)
    event = rng.choice([0, 1, 2], n, p=[0.3, 0.4, 0.3])
    group = rng.choice(["a", "b"], n)
    single = estimate_cuminc(time, event, group).tests[0].statistic
    doubled = estimate_cuminc(np.r_[time, time], np.r_[event, event], np.r_[group, group],
                              np.r_[np.zeros(n), np.ones(n)]).tests[0].statistic
    assert doubled == pytest.approx(2 * single, rel=1e-10)


def test_confidence_limits_bracket_the_estimate(mgus2):
    _, _, fit = mgus2
    lower, upper = fit.curve("F", 1).ci_at([60, 120])
    est, _ = fit.curve("F", 1).at([60, 120])
    assert np.all(lower < est) and np.all(est < upper)


def test_it_rejects_all_censored_and_bad_codes():
    with pytest.raises(InvalidInput, match="no events"):
        estimate_cuminc([1, 2], [0, 0])
    with pytest.raises(InvalidInput):
        estimate_cuminc([1, -2], [1, 0])
    with pytest.raises(InvalidInput):
        estimate_aalen_johansen([1, 2], [1, -1])


def test_it_summarises(mgus2):
    _, _, fit = mgus2
    text = fit.summary()
    assert "Gray's test, cause 2" in text
    assert fit.to_dict()["tests"][0]["cause"] == 1
