"""Seeded random data sets against lifelines 0.30 and statsmodels 0.15: edge cases the R reference
data do not cover (heavy ties, strata with few subjects, several covariates)."""

from __future__ import annotations

import numpy as np
import pytest

from oncotrial.domain.stats import estimate_cox, estimate_km, logrank_test

SEEDS = (3, 17, 2024)


def trial(seed: int, n: int = 300, tie_unit: float = 1.0):
    rng = np.random.default_rng(seed)
    arm = rng.integers(0, 2, n)
    x1, x2 = rng.standard_normal(n), rng.uniform(40, 80, n)
    event_time = rng.exponential(20 * np.exp(0.4 * arm - 0.3 * x1))
    censor = rng.uniform(0, 40, n)
    time = np.ceil(np.minimum(event_time, censor) / tie_unit) * tie_unit
    event = (event_time <= censor).astype(int)
    strata = rng.integers(0, 4, n)
    return time, event, arm, x1, x2, strata


@pytest.mark.parametrize("seed", SEEDS)
def test_km_matches_lifelines(seed):
    """lifelines KaplanMeierFitter survival function at every distinct time."""
    from lifelines import KaplanMeierFitter

    time, event, *_ = trial(seed, tie_unit=2.0)
    ours = estimate_km(time, event).curves[0]
    theirs = KaplanMeierFitter().fit(time, event).survival_function_at_times(ours.time)
    np.testing.assert_allclose(ours.surv, theirs.to_numpy(), rtol=1e-12)


@pytest.mark.parametrize("seed", SEEDS)
def test_stratified_logrank_matches_statsmodels(seed):
    """statsmodels survdiff(time, status, group, strata=...) chi-square and p-value."""
    from statsmodels.duration.survfunc import survdiff

    time, event, arm, _, _, strata = trial(seed, tie_unit=3.0)
    ours = logrank_test(time, event, arm, strata)
    chisq, p = survdiff(time, event, arm, strata=strata)
    assert ours.statistic == pytest.approx(chisq, rel=1e-10)
    assert ours.p_value == pytest.approx(p, rel=1e-8)


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("ties", ["breslow", "efron"])
def test_stratified_cox_matches_statsmodels(seed, ties):
    """statsmodels PHReg(..., strata=, ties=) coefficients and standard errors."""
    from statsmodels.duration.hazard_regression import PHReg

    time, event, arm, x1, x2, strata = trial(seed, tie_unit=2.0)
    ours = estimate_cox(time, event, arm, {"x1": x1, "x2": x2}, strata, ties=ties)
    exog = np.column_stack([arm, x1, x2]).astype(float)
    theirs = PHReg(time, exog, event, strata=strata, ties=ties).fit()
    np.testing.assert_allclose(ours.coef, theirs.params, rtol=1e-6)
    np.testing.assert_allclose(ours.se, theirs.bse, rtol=1e-6)
