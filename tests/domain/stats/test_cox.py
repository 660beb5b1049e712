"""Cox models against R survival 3.5.3 coxph (reference_stats.R: cox_block)."""

from __future__ import annotations

import numpy as np
import pytest
from stats_reference import (
    CLOSED_FORM,
    DATASETS,
    ITERATED,
    assert_matches,
    load_data,
    load_reference,
)

from oncotrial.domain.stats import estimate_cox
from oncotrial.errors import ConvergenceError, InvalidInput

MODELS = ("group_efron", "group_breslow", "group_exact", "group_cov_efron", "group_cov_breslow",
          "group_strata_efron", "group_strata_breslow")


def fit_model(name: str, model: str):
    ref, data = load_reference(name), load_data(name)
    block = ref["cox"][model]
    keep = np.ones(data["time"].size, dtype=bool)
    strata = None
    if "strata" in model:  # R drops rows whose stratum is NA
        keep = np.array([s is not None and s == s for s in data["strata"]])
        strata = data["strata"][keep]
    covariates = {"cov": data[ref["covariate"]][keep]} if "_cov_" in model else None
    fit = estimate_cox(data["time"][keep], data["status"][keep], data["group"][keep], covariates,
                       strata, ties=block["ties"], group_levels=ref["group_levels"])
    return fit, block


@pytest.mark.parametrize("name", DATASETS)
@pytest.mark.parametrize("model", MODELS)
def test_it_matches_coxph(name, model):
    """coxph(Surv(time, status) ~ group [+ cov] [+ strata(strata)], ties = 'efron' | 'breslow' |
    'exact'); summary(): coef, se(coef), exp(coef), lower/upper .95, z, Pr(>|z|), loglik,
    logtest, sctest, waldtest (R rounds the Wald statistic to 2 decimals), n, nevent, iter."""
    fit, ref = fit_model(name, model)
    assert list(fit.terms) == ref["terms"]
    for ours, key in [(fit.coef, "coef"), (fit.se, "se"), (fit.hr, "hr"), (fit.z, "z"),
                      (fit.hr_lower, "hr_lower95"), (fit.hr_upper, "hr_upper95"),
                      (fit.p_value, "p")]:
        assert_matches(ours, ref[key], ITERATED, f"{name} {model} {key}")
    assert_matches(fit.loglik_null, ref["loglik_null"], ITERATED, "loglik_null")
    assert_matches(fit.loglik, ref["loglik"], ITERATED, "loglik")
    for test, key in [(fit.lr_test, "lr_test"), (fit.score_test, "score_test")]:
        assert_matches(test.statistic, ref[key]["stat"], ITERATED, key)
        assert_matches(test.p_value, ref[key]["p"], ITERATED, key)
        assert test.df == ref[key]["df"]
    assert round(fit.wald_test.statistic, 2) == pytest.approx(ref["wald_test"]["stat"], abs=1e-9)
    assert_matches(fit.wald_test.p_value, ref["wald_test"]["p"], ITERATED, "wald p")
    assert (fit.n, fit.n_events, fit.iterations) == (ref["n"], ref["n_event"], ref["iterations"])


@pytest.mark.parametrize("name", DATASETS)
def test_the_score_test_of_exact_ties_is_the_log_rank(name):
    """For one binary term the exact-ties score test equals survdiff's chi-square (R: both are
    in the reference; Therneau & Grambsch 2000 section 3.4)."""
    fit, _ = fit_model(name, "group_exact")
    assert_matches(fit.score_test.statistic, load_reference(name)["logrank"]["chisq"],
                   CLOSED_FORM, "score = log-rank")


def test_efron_agrees_with_lifelines_on_simulated_data():
    """lifelines 0.30 CoxPHFitter (Efron ties) on a seeded two-arm sample with a covariate."""
    import pandas as pd
    from lifelines import CoxPHFitter

    rng = np.random.default_rng(7)
    n = 400
    arm = rng.integers(0, 2, n)
    age = rng.normal(60, 10, n)
    time = np.ceil(rng.exponential(12 * np.exp(-0.4 * arm + 0.02 * (age - 60))))
    event = (rng.random(n) < 0.8).astype(int)
    ours = estimate_cox(time, event, arm, {"age": age})
    frame = pd.DataFrame({"time": time, "event": event, "arm": arm, "age": age})
    theirs = CoxPHFitter().fit(frame, "time", "event")
    np.testing.assert_allclose(ours.coef, theirs.params_.values, rtol=1e-6)
    np.testing.assert_allclose(ours.se, theirs.standard_errors_.values, rtol=1e-6)


def test_it_rejects_models_without_events_or_terms():
    with pytest.raises(InvalidInput, match="no events"):
        estimate_cox([1, 2, 3], [0, 0, 0], ["a", "b", "a"])
    with pytest.raises(InvalidInput, match="no terms"):
        estimate_cox([1, 2, 3], [1, 0, 1])
    with pytest.raises(InvalidInput, match="ties"):
        estimate_cox([1, 2, 3], [1, 0, 1], ["a", "b", "a"], ties="kalbfleisch")


def test_it_reports_an_infinite_hazard_ratio_instead_of_a_number():
    """All events in one arm: the MLE is at -infinity; R warns, we raise or warn."""
    time = np.arange(1, 21, dtype=float)
    event = np.r_[np.ones(10), np.zeros(10)]
    group = np.r_[["a"] * 10, ["b"] * 10]
    try:
        fit = estimate_cox(time, event, group)
    except ConvergenceError:
        return
    assert any("no events" in w for w in fit.warnings)


def test_it_summarises_with_terms_and_tests():
    fit, _ = fit_model("lung", "group_cov_efron")
    text = fit.summary()
    assert "groupFemale" in text and "Likelihood ratio" in text and "Score" in text
    assert fit.to_dict()["lr_test"]["df"] == 2


def test_it_rejects_a_single_arm():
    with pytest.raises(InvalidInput, match="only one level"):
        estimate_cox([1, 2, 3], [1, 0, 1], ["a", "a", "a"], {"age": [50, 60, 70]})
