"""Log-rank and G(rho) tests against R survival 3.5.3 survdiff (reference_stats.R: survdiff_block)."""

from __future__ import annotations

import numpy as np
import pytest
from lifelines.statistics import logrank_test as lifelines_logrank
from stats_reference import CLOSED_FORM, DATASETS, assert_matches, load_data, load_reference

from oncotrial.domain.stats import logrank_test
from oncotrial.errors import InvalidInput


def check(result, ref):
    assert_matches(result.observed, ref["observed"], CLOSED_FORM, "observed")
    assert_matches(result.expected, ref["expected"], CLOSED_FORM, "expected")
    assert_matches(result.variance, np.array(ref["var"]), CLOSED_FORM, "var")
    assert_matches(result.statistic, ref["chisq"], CLOSED_FORM, "chisq")
    assert_matches(result.p_value, ref["p"], CLOSED_FORM, "p")
    assert result.df == ref["df"]
    assert list(result.n) == ref["n"]


@pytest.mark.parametrize("name", DATASETS)
def test_it_matches_survdiff(name):
    """survdiff(Surv(time, status) ~ group, data = d, rho = 0)."""
    ref, data = load_reference(name), load_data(name)
    check(logrank_test(data["time"], data["status"], data["group"],
                       group_levels=ref["group_levels"]), ref["logrank"])


@pytest.mark.parametrize("name", DATASETS)
def test_it_matches_survdiff_rho_1(name):
    """survdiff(Surv(time, status) ~ group, data = d, rho = 1) (Peto-Peto-Prentice weights)."""
    ref, data = load_reference(name), load_data(name)
    check(logrank_test(data["time"], data["status"], data["group"], rho=1,
                       group_levels=ref["group_levels"]), ref["logrank_rho1"])


@pytest.mark.parametrize("name", DATASETS)
def test_it_matches_stratified_survdiff(name):
    """survdiff(Surv(time, status) ~ group + strata(strata), data = d): rows with NA strata are
    dropped by R, so they are dropped here before the call."""
    ref, data = load_reference(name), load_data(name)
    strata = data["strata"]
    keep = ~np.array([s is None or (isinstance(s, float) and np.isnan(s)) for s in strata])
    assert keep.sum() == ref["logrank_stratified"]["n_used"]
    check(logrank_test(data["time"][keep], data["status"][keep], data["group"][keep],
                       strata[keep], group_levels=ref["group_levels"]), ref["logrank_stratified"])


def test_fleming_harrington_gamma_matches_lifelines():
    """G(rho = 0.5, gamma = 1) has no R survdiff counterpart; lifelines 0.30
    logrank_test(weightings='fleming-harrington', p=0.5, q=1) is the independent reference."""
    data = load_data("lung")
    male = data["group"] == "Male"
    ours = logrank_test(data["time"], data["status"], data["group"], rho=0.5, gamma=1,
                        group_levels=["Male", "Female"])
    theirs = lifelines_logrank(data["time"][male], data["time"][~male], data["status"][male],
                               data["status"][~male], weightings="fleming-harrington", p=0.5, q=1)
    assert ours.statistic == pytest.approx(theirs.test_statistic, rel=1e-8)


def test_three_groups_use_k_minus_1_degrees_of_freedom():
    """Hand check: three groups give 2 df, and the statistic equals the lifelines multivariate
    log-rank test (multivariate_logrank_test)."""
    from lifelines.statistics import multivariate_logrank_test

    rng = np.random.default_rng(20240501)
    time = rng.exponential(10, 90).round(1)
    event = (rng.random(90) < 0.7).astype(int)
    group = np.repeat(["a", "b", "c"], 30)
    ours = logrank_test(time, event, group)
    theirs = multivariate_logrank_test(time, group, event)
    assert ours.df == 2
    assert ours.statistic == pytest.approx(theirs.test_statistic, rel=1e-8)


def test_it_rejects_one_group_and_no_events():
    with pytest.raises(InvalidInput, match="only one level"):
        logrank_test([1, 2, 3], [1, 0, 1], ["a", "a", "a"])
    with pytest.raises(InvalidInput, match="no events"):
        logrank_test([1, 2, 3], [0, 0, 0], ["a", "b", "a"])


def test_it_summarises_with_a_few_events_warning():
    r = logrank_test([1, 2, 3, 4], [1, 1, 0, 1], ["a", "b", "a", "b"])
    assert "fewer than 10 events" in r.summary()
    assert r.to_dict()["variance"][0][0] == pytest.approx(r.variance[0, 0])


def test_unused_group_levels_are_dropped():
    """survdiff ignores factor levels without subjects: same test with or without the empty arm."""
    time, event, group = [1, 2, 3, 4, 5, 6], [1, 1, 1, 1, 1, 0], ["a", "a", "a", "b", "b", "b"]
    with_empty = logrank_test(time, event, group, group_levels=["a", "b", "c"])
    plain = logrank_test(time, event, group)
    assert with_empty.df == 1 and with_empty.group_levels == ("a", "b")
    assert with_empty.statistic == pytest.approx(plain.statistic, rel=1e-12)
