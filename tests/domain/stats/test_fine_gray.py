"""Fine-Gray regression against R cmprsk 2.2.11 ``crr`` (issue 15, gap 2).

Reference: tests/domain/stats/reference/fine_gray.R on mgus2 (PCM with death competing):
``crr(time, event, cov1 = male, failcode = 1 | 2)`` on tests/reference/survival/mgus2_cr.csv, and
``crr(time, event, cbind(age, male, hgb))`` on mgus2_fg.csv with times in months and in whole
years (heavy ties between failures, competing deaths and censorings); ``summary(fit)``.
Stored: coef, var (robust sandwich), loglik, loglik.null, score, inf, converged, the iterations
(the fewest ``maxiter`` at which crr converges), exp(coef), z, p and 95% limits.
"""

from __future__ import annotations

import numpy as np
import pytest
from stats_reference import LOCAL, REFERENCE, assert_matches, load_data, load_local_reference

from oncotrial.domain.stats import estimate_fine_gray
from oncotrial.errors import InvalidInput

REF = load_local_reference("fine_gray")
TOL = 1e-8
CASES = ("sex_pcm", "sex_death", "age_sex_hgb", "years")


def fit_case(case: str):
    ref = REF[case]
    if case.startswith("sex"):
        data = load_data("mgus2_cr", REFERENCE / "survival")
        return estimate_fine_gray(data["time"], data["event"], {"male": data["sex"] == "M"},
                                  failcode=ref["failcode"])
    data = load_data("mgus2_fg", LOCAL)
    time = np.ceil(data["time"] / 12) if case == "years" else data["time"]
    return estimate_fine_gray(time, data["event"], {k: data[k] for k in ("age", "male", "hgb")})


def as_matrix(values, p: int) -> np.ndarray:
    return np.asarray(values, dtype=float).reshape(p, p)


@pytest.mark.parametrize("case", CASES)
def test_it_matches_crr(case):
    """Coefficients, robust variance, pseudo log-likelihoods, score, information, iterations."""
    ref, fit = REF[case], fit_case(case)
    p = len(fit.terms)
    assert fit.n == ref["n"] and fit.converged and fit.iterations == ref["iterations"]
    assert_matches(fit.coef, np.atleast_1d(ref["coef"]), TOL, "coef")
    assert_matches(fit.variance, as_matrix(ref["var"], p), TOL, "var")
    assert_matches(fit.information, as_matrix(ref["information"], p), TOL, "inf")
    assert_matches([fit.loglik, fit.loglik_null], [ref["loglik"], ref["loglik_null"]], 1e-12,
                   "loglik")
    np.testing.assert_allclose(fit.score, np.atleast_1d(ref["score"]), atol=1e-8)


@pytest.mark.parametrize("case", CASES)
def test_its_summary_table_matches_summary_crr(case):
    """summary(crr): exp(coef), se(coef), z, p and the 95% limits of exp(coef)."""
    ref, fit = REF[case], fit_case(case)
    for ours, key in [(fit.shr, "exp_coef"), (fit.se, "se"), (fit.z, "z"), (fit.p_value, "p"),
                      (fit.shr_lower, "lower95"), (fit.shr_upper, "upper95")]:
        assert_matches(ours, np.atleast_1d(ref[key]), TOL, key)
    assert "Fine-Gray model for cause 1" in fit.summary() or case == "sex_death"


def test_it_refuses_data_without_the_cause():
    with pytest.raises(InvalidInput, match="status 3"):
        estimate_fine_gray([1, 2, 3], [0, 1, 2], {"x": [0, 1, 0]}, failcode=3)


def test_a_missing_status_is_not_taken_for_a_competing_event():
    with pytest.raises(InvalidInput, match="missing at row 1"):
        estimate_fine_gray([1, 2, 3], [1, np.nan, 0], {"x": [0, 1, 0]})
