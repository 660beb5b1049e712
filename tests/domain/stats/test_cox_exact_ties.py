"""Cox with exact ties on heavily tied data against R survival 3.5.3 (issue 15, gap 4).

Reference: tests/domain/stats/reference/cox_exact_ties.R, ``coxph(formula, data, ties =
'exact')`` (R's ``coxexact``) on two seeded trials it writes -- 3,000 subjects with times in days
(up to 11 deaths a day) and 2,000 subjects with times in months (109 deaths in one month) -- with
and without strata, and on lung with a covariate and strata: coef, var, loglik (null and final),
score and likelihood-ratio tests, iterations.
"""

from __future__ import annotations

import time

import numpy as np
import pytest
from stats_reference import ITERATED, LOCAL, assert_matches, load_data, load_local_reference

from oncotrial.domain.stats import estimate_cox

REF = load_local_reference("cox_exact_ties")
CASES = ("days", "days_strata", "months", "months_strata", "lung", "lung_strata")
SOURCES = {"days": ("cox_ties_days", LOCAL), "months": ("cox_ties_months", LOCAL),
           "lung": ("lung", None)}


def fit_case(case: str):
    name, folder = SOURCES[case.split("_")[0]]
    data = load_data(name, folder)
    stratified = case.endswith("_strata")
    if name == "lung":
        keep = np.array([s == s for s in data["strata"]]) if stratified else slice(None)
        covariates = {"groupMale": data["group"][keep] == "Male", "age": data["age"][keep]}
        strata = data["strata"][keep] if stratified else None
        return estimate_cox(data["time"][keep], data["status"][keep], covariates=covariates,
                            strata=strata, ties="exact")
    return estimate_cox(data["time"], data["status"], covariates={"arm": data["arm"], "x": data["x"]},
                        strata=data["site"] if stratified else None, ties="exact")


@pytest.mark.parametrize("case", CASES)
def test_exact_ties_match_coxexact(case):
    """coef, var, se, loglik, score and LR tests and the iteration count equal R's."""
    ref = REF[case]
    fit = fit_case(case)
    assert_matches(fit.coef, ref["coef"], ITERATED, "coef")
    assert_matches(fit.variance, ref["var"], ITERATED, "var")
    assert_matches(fit.se, ref["se"], ITERATED, "se")
    assert_matches([fit.loglik_null, fit.loglik], [ref["loglik_null"], ref["loglik"]], 1e-12,
                   "loglik")
    assert_matches(fit.score_test.statistic, ref["score_test"], ITERATED, "score test")
    assert_matches(fit.lr_test.statistic, ref["lr_test"], ITERATED, "LR test")
    assert (fit.n, fit.n_events, fit.iterations) == (ref["n"], ref["n_event"], ref["iterations"])


@pytest.mark.parametrize("case", ["days", "months"])
def test_exact_ties_never_fall_back_to_the_risk_set_loop(case):
    """A guard, not a timing goal (the speed against R is measured in benchmarks/): the old
    per-risk-set Python loop spent ~50 s of CPU on the days data and failed on the months data.
    CPU time, not wall time, so a busy machine cannot fail it."""
    start = time.process_time()
    fit_case(case)
    assert time.process_time() - start < 5


def test_a_time_too_small_for_the_shared_scale_is_recomputed_on_its_own(monkeypatch):
    """120 deaths at the last time of 2,000 subjects: e_120 of that risk set is ~1e-200 of e_120
    over the stratum, so it is recomputed on its own scale; forcing that path for every time
    gives the same fit."""
    from oncotrial.domain.stats import _cox_exact

    rng = np.random.default_rng(20261204)
    n = 2000
    x = rng.standard_normal(n)
    t = np.ceil(rng.exponential(12.0, n))
    t[:120], status = t.max() + 1.0, np.ones(n)
    default = estimate_cox(t, status, covariates={"x": x}, ties="exact")
    monkeypatch.setattr(_cox_exact, "UNDERFLOW", np.inf)
    per_block = estimate_cox(t, status, covariates={"x": x}, ties="exact")
    assert_matches(default.coef, per_block.coef, 1e-10, "coef")
    assert_matches(default.loglik, per_block.loglik, 1e-12, "loglik")


def test_the_per_block_path_also_matches_coxexact(monkeypatch):
    """Every tied time recomputed on its own risk set (the underflow path) still equals R."""
    from oncotrial.domain.stats import _cox_exact

    monkeypatch.setattr(_cox_exact, "UNDERFLOW", np.inf)
    fit, ref = fit_case("months_strata"), REF["months_strata"]
    assert_matches(fit.coef, ref["coef"], ITERATED, "coef")
    assert_matches(fit.variance, ref["var"], ITERATED, "var")
