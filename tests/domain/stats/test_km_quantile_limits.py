"""Quantile limits where a confidence-limit curve is not monotone (issue 15, gap 1).

Reference: tests/domain/stats/reference/km_quantile_tail.R (R 4.2.2, survival 3.5.3):
``quantile(survfit(Surv(time, status) ~ 1, conf.type = ct), c(0.25, 0.5, 0.75, 0.8))`` and
``summary(fit)$table[c("median", "0.95LCL", "0.95UCL")]`` overall and per group.  In group "a"
the log-scale upper limit falls below 0.5 and rises above it again after a death with two at
risk; in group "b" it ends between 0.5 and its first value below 0.5, where the two R rules part:
``quantile`` takes the smallest value at or below 0.5 (the tail time, 62) and the table the first
time below 0.5 (48).
"""

from __future__ import annotations

import pytest
from stats_reference import CLOSED_FORM, LOCAL, assert_matches, load_data, load_local_reference

from oncotrial.domain.stats import estimate_km

REF = load_local_reference("km_quantile_tail")
DATA = load_data("km_quantile_tail", LOCAL)
CONF_TYPES = ("log", "log-log", "plain")


def curve(label: str, conf_type: str):
    keep = DATA["group"] == label if label != "overall" else DATA["group"] == DATA["group"]
    return estimate_km(DATA["time"][keep], DATA["status"][keep], conf_type=conf_type).curves[0]


@pytest.mark.parametrize("conf_type", CONF_TYPES)
@pytest.mark.parametrize("label", ["overall", "a", "b"])
def test_it_finds_quantile_limits_on_a_limit_curve_that_turns_back(label, conf_type):
    """quantile.survfit: estimate, lower and upper for every probability, NA where R has NA."""
    ref = REF[conf_type.replace("-", "")][label]
    fit = curve(label, conf_type)
    assert_matches(fit.upper, ref["curve_upper"], CLOSED_FORM, "upper limit curve")
    quantiles = fit.quantiles(REF["probs"])
    assert_matches([q.estimate for q in quantiles], ref["quantile"], CLOSED_FORM, "quantile")
    assert_matches([q.ci[0] for q in quantiles], ref["lower"], CLOSED_FORM, "lower")
    assert_matches([q.ci[1] for q in quantiles], ref["upper"], CLOSED_FORM, "upper")


@pytest.mark.parametrize("conf_type", CONF_TYPES)
@pytest.mark.parametrize("label", ["overall", "a", "b"])
def test_median_and_limits_equal_the_survfit_table(label, conf_type):
    """summary(fit)$table: median, 0.95LCL, 0.95UCL."""
    median = curve(label, conf_type).table_median
    expected = REF[conf_type.replace("-", "")][label]["median_table"]
    assert_matches([median.estimate, *median.ci], expected, CLOSED_FORM, "median table")


def test_the_log_upper_limit_of_the_median_is_reached():
    """The case the issue names: R gives a value where the one-way search gave NaN."""
    assert curve("a", "log").median.ci[1] == pytest.approx(REF["log"]["a"]["upper"][1])
