"""Response rates against R 4.2.2 binom.test / prop.test / fisher.test / chisq.test
(reference_stats.R, section 'response rates'; rates/response_rates.json)."""

from __future__ import annotations

import math

import pytest
from stats_reference import CLOSED_FORM, assert_matches, load_rates

from oncotrial.domain.stats import (
    binomial_test,
    estimate_proportion,
    estimate_proportion_difference,
    fisher_test,
)
from oncotrial.errors import InvalidInput

RATES = load_rates()
BINOMIAL = [(b["x"], b["n"]) for b in RATES["binomial"]]
TABLES = [(t["x1"], t["n1"], t["x2"], t["n2"]) for t in RATES["two_by_two"]]


def reference(x, n):
    return next(b for b in RATES["binomial"] if (b["x"], b["n"]) == (x, n))


@pytest.mark.parametrize(("x", "n"), BINOMIAL)
@pytest.mark.parametrize(("method", "key"), [("clopper-pearson", "clopper_pearson"),
                                             ("wilson", "wilson"), ("wilson-cc", "wilson_cc")])
def test_it_matches_r_intervals(x, n, method, key):
    """binom.test(x, n)$conf.int; prop.test(x, n, correct = FALSE)$conf.int;
    prop.test(x, n, correct = TRUE)$conf.int."""
    fit = estimate_proportion(x, n, method=method)
    assert_matches(fit.ci, reference(x, n)[key], CLOSED_FORM, f"{x}/{n} {method}")
    assert fit.estimate == pytest.approx(reference(x, n)["phat"], rel=CLOSED_FORM)


@pytest.mark.parametrize(("x", "n"), BINOMIAL)
def test_it_matches_binom_test_p_values(x, n):
    """binom.test(x, n, p = 0.2)$p.value and binom.test(x, n, 0.2, alternative = 'greater')."""
    ref = reference(x, n)
    assert_matches(binomial_test(x, n, 0.2).p_value, ref["exact_p_two_sided_vs_0.2"],
                   CLOSED_FORM, "two-sided")
    assert_matches(binomial_test(x, n, 0.2, alternative="greater").p_value,
                   ref["exact_p_greater_vs_0.2"], CLOSED_FORM, "greater")


@pytest.mark.parametrize(("x1", "n1", "x2", "n2"), TABLES)
def test_it_matches_fisher_and_chisq_test(x1, n1, x2, n2):
    """fisher.test(m): p.value, estimate (conditional MLE), conf.int; chisq.test(m, correct =
    FALSE): statistic, p.value; m = matrix(c(x1, n1 - x1, x2, n2 - x2), 2, byrow = TRUE)."""
    ref = next(t for t in RATES["two_by_two"] if (t["x1"], t["n1"], t["x2"], t["n2"]) ==
               (x1, n1, x2, n2))
    fit = fisher_test(x1, n1, x2, n2)
    assert_matches(fit.p_value, ref["fisher_p"], CLOSED_FORM, "fisher p")
    assert_matches(fit.estimate, ref["fisher_or_conditional_mle"], CLOSED_FORM, "odds ratio")
    assert_matches(fit.ci, ref["fisher_or_ci"], CLOSED_FORM, "odds ratio CI")
    assert_matches(fit.chisq, ref["pearson_chisq"], CLOSED_FORM, "chisq")
    assert_matches(fit.chisq_p_value, ref["pearson_p"], CLOSED_FORM, "chisq p")


@pytest.mark.parametrize(("method", "statsmodels_method"), [("wald", "wald"),
                                                            ("newcombe", "newcomb")])
@pytest.mark.parametrize(("x1", "n1", "x2", "n2"), TABLES)
def test_the_difference_matches_statsmodels(x1, n1, x2, n2, method, statsmodels_method):
    """statsmodels 0.15 confint_proportions_2indep(method = 'wald' | 'newcomb', compare='diff')
    is the independent reference (the R reference has no two-sample interval)."""
    from statsmodels.stats.proportion import confint_proportions_2indep

    ours = estimate_proportion_difference(x1, n1, x2, n2, method=method)
    theirs = confint_proportions_2indep(x1, n1, x2, n2, method=statsmodels_method)
    assert_matches(ours.ci, list(theirs), CLOSED_FORM, method)


def test_the_continuity_corrected_difference_is_hand_checked():
    """prop.test(c(20, 10), c(40, 40))$conf.int by hand: delta 0.25, Yates min(0.5, 0.25 / 0.05)
    = 0.5, width = 1.959964 * sqrt(0.5 * 0.5 / 40 + 0.25 * 0.75 / 40) + 0.5 * 0.05."""
    width = 1.959963984540054 * math.sqrt(0.25 / 40 + 0.1875 / 40) + 0.025
    fit = estimate_proportion_difference(20, 40, 10, 40, method="wald-cc")
    assert fit.ci == pytest.approx((0.25 - width, 0.25 + width), rel=1e-12)


def test_extreme_tables_give_zero_and_infinite_odds_ratios():
    """fisher.test(matrix(c(0, 10, 5, 5), 2, byrow = TRUE))$estimate is 0 with lower limit 0."""
    fit = fisher_test(0, 10, 5, 10)
    assert fit.estimate == 0.0 and fit.ci[0] == 0.0
    assert math.isinf(fisher_test(10, 10, 5, 10).estimate)
    assert fit.warnings  # expected counts below 5


@pytest.mark.parametrize(("x", "n", "field"), [(5, 0, "n"), (-1, 10, "x"), (11, 10, "x"),
                                               (2.5, 10, "x")])
def test_it_rejects_impossible_counts(x, n, field):
    with pytest.raises(InvalidInput) as err:
        estimate_proportion(x, n)
    assert err.value.field == field


def test_it_summarises():
    assert "clopper-pearson" in estimate_proportion(3, 13).summary()
    text = binomial_test(12, 43, 0.2, alternative="greater").summary()
    assert "p0 = 0.2" in text
    assert fisher_test(20, 40, 10, 40).to_dict()["ci"][0] > 1
