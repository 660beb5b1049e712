"""Kaplan-Meier against R survival 3.5.3 (reference_stats.R: km_curve and km_summary)."""

from __future__ import annotations

import numpy as np
import pytest
from stats_reference import CLOSED_FORM, DATASETS, assert_matches, load_data, load_reference

from oncotrial.domain.stats import estimate_km
from oncotrial.errors import InvalidInput

CURVE_COLUMNS = ("n_risk", "n_event", "n_censor", "surv", "std_err", "cumhaz", "std_chaz")


def fit(name: str, conf_type: str = "log", grouped: bool = True):
    ref = load_reference(name)
    data = load_data(name)
    group = data["group"] if grouped else None
    levels = ref["group_levels"] if grouped else None
    return ref, estimate_km(data["time"], data["status"], group, group_levels=levels,
                            conf_type=conf_type)


def curves(name: str):
    ref, by_group = fit(name)
    _, overall = fit(name, grouped=False)
    yield "overall", overall.curves[0], ref["km"]["overall"]
    for level in ref["group_levels"]:
        yield level, by_group.curve(level), ref["km"][level]


@pytest.mark.parametrize("name", DATASETS)
def test_it_matches_survfit_curve_columns(name):
    """survfit(Surv(time, status) ~ 1): time, n.risk, n.event, n.censor, surv, std.err, cumhaz,
    std.chaz, overall and per group."""
    for label, curve, ref in curves(name):
        assert_matches(curve.time, ref["time"], CLOSED_FORM, f"{name} {label} time")
        for column in CURVE_COLUMNS:
            assert_matches(getattr(curve, column), ref[column], CLOSED_FORM,
                           f"{name} {label} {column}")


@pytest.mark.parametrize("name", DATASETS)
@pytest.mark.parametrize("conf_type", ["log", "log-log", "plain"])
def test_it_matches_survfit_confidence_limits(name, conf_type):
    """survfit(Surv(time, status) ~ 1, conf.type = 'log' | 'log-log' | 'plain')$lower, $upper."""
    key = conf_type.replace("-", "")
    for label, curve, ref in curves(name):
        lower, upper = curve.limits(conf_type)
        assert_matches(lower, ref[f"lower_{key}"], CLOSED_FORM, f"{name} {label} lower {key}")
        assert_matches(upper, ref[f"upper_{key}"], CLOSED_FORM, f"{name} {label} upper {key}")


def summaries(name: str, conf_type: str):
    ref, by_group = fit(name, conf_type)
    _, overall = fit(name, conf_type, grouped=False)
    yield "overall", overall.curves[0], ref["km_summary"]["overall"]
    for level in ref["group_levels"]:
        yield level, by_group.curve(level), ref["km_summary"][level]


@pytest.mark.parametrize("name", DATASETS)
@pytest.mark.parametrize("conf_type", ["log", "log-log"])
def test_it_matches_quantile_survfit(name, conf_type):
    """quantile(survfit(..., conf.type = ct), probs = c(0.25, 0.5, 0.75)): time, lower, upper."""
    key = conf_type.replace("-", "")
    for label, curve, ref in summaries(name, conf_type):
        qref = ref[f"quantiles_{key}"]
        q = curve.quantiles(qref["prob"])
        assert_matches([x.estimate for x in q], qref["time"], CLOSED_FORM, f"{name} {label}")
        assert_matches([x.ci[0] for x in q], qref["lower"], CLOSED_FORM, f"{name} {label} lower")
        assert_matches([x.ci[1] for x in q], qref["upper"], CLOSED_FORM, f"{name} {label} upper")


@pytest.mark.parametrize("name", DATASETS)
def test_it_matches_the_median_of_print_survfit(name):
    """summary(survfit(Surv(time, status) ~ 1), rmean = tau)$table['median']."""
    for label, curve, ref in summaries(name, "log"):
        assert_matches(curve.estimate, ref["median"], CLOSED_FORM, f"{name} {label}")


@pytest.mark.parametrize("name", DATASETS)
@pytest.mark.parametrize("conf_type", ["log", "log-log"])
def test_it_matches_summary_survfit_at_landmarks(name, conf_type):
    """summary(survfit(..., conf.type = ct), times = landmarks, extend = TRUE): n.risk, surv,
    std.err (survival scale), lower, upper."""
    key = conf_type.replace("-", "")
    for label, curve, ref in summaries(name, conf_type):
        lref = ref[f"landmarks_{key}"]
        at = curve.survival_at(lref["time"])
        assert [a.n_risk for a in at] == lref["n_risk"]
        assert_matches([a.estimate for a in at], lref["surv"], CLOSED_FORM, f"{name} {label}")
        assert_matches([a.se for a in at], lref["se_surv"], CLOSED_FORM, f"{name} {label} se")
        assert_matches([a.ci[0] for a in at], lref["lower"], CLOSED_FORM, f"{name} {label} lo")
        assert_matches([a.ci[1] for a in at], lref["upper"], CLOSED_FORM, f"{name} {label} up")
        assert list(curve.n_at_risk(lref["time"])) == lref["n_risk"]


@pytest.mark.parametrize("name", DATASETS)
def test_it_matches_rmean_of_print_survfit(name):
    """summary(survfit(Surv(time, status) ~ 1), rmean = tau)$table[c('rmean', 'se(rmean)')]."""
    for label, curve, ref in summaries(name, "log"):
        rmst = curve.rmst(ref["rmst"]["tau"])
        assert_matches(rmst.estimate, ref["rmst"]["rmean"], CLOSED_FORM, f"{name} {label}")
        assert_matches(rmst.se, ref["rmst"]["se"], CLOSED_FORM, f"{name} {label} se")
        assert curve.n == ref["n"] and curve.events == ref["n_event"]
    reference = load_reference(name)
    overall = next(c for label, c, _ in summaries(name, "log") if label == "overall")
    assert (overall.n, overall.events) == (reference["n"], reference["n_event"])


def test_it_takes_the_midpoint_where_the_curve_sits_at_one_half():
    """Hand-worked: S = 0.5 exactly on [2, 4), so R's median is (2 + 4) / 2 = 3.

    quantile(survfit(Surv(c(1, 2, 4, 5), c(1, 1, 1, 1)) ~ 1), 0.5) gives 3 in R."""
    curve = estimate_km([1, 2, 4, 5], [1, 1, 1, 1]).curves[0]
    assert curve.estimate == 3.0
    assert curve.quantiles([0.25])[0].estimate == 1.5


def test_it_takes_the_midpoint_to_the_last_follow_up_on_a_final_flat():
    """Hand-worked: S drops to 0.5 at 2 and stays there to censoring at 9: median (2 + 9) / 2."""
    curve = estimate_km([1, 2, 9, 9], [1, 1, 0, 0]).curves[0]
    assert curve.estimate == 5.5


def test_it_warns_when_a_landmark_is_after_all_follow_up():
    fit = estimate_km([1, 2, 3], [1, 0, 0], landmarks=[12])
    at = fit.curves[0].survival_at([12])[0]
    assert at.n_risk == 0 and at.estimate == pytest.approx(2 / 3)
    assert any("before the landmark 12" in w for w in fit.warnings)
    assert at.warnings


def test_it_warns_on_few_events_and_reports_no_median():
    fit = estimate_km([5, 6, 7], [1, 0, 0])
    assert "fewer than 10 events" in fit.warnings[0]
    assert np.isnan(fit.curves[0].estimate)


@pytest.mark.parametrize(("time", "event", "field", "text"), [
    ([1, -2, 3], [1, 0, 1], "time", "negative"),
    ([1, float("nan"), 3], [1, 0, 1], "time", "missing"),
    ([1, 2, 3], [1, 2, 1], "event", "allowed codes"),
    ([1, 2], [1, 0, 1], "event", "one value per subject"),
])
def test_it_rejects_bad_input_naming_the_field(time, event, field, text):
    with pytest.raises(InvalidInput) as err:
        estimate_km(time, event)
    assert err.value.field == field and text in err.value.message


def test_it_summarises_and_serialises():
    fit = estimate_km([1, 2, 3, 4], [1, 1, 0, 1], ["a", "b", "a", "b"], landmarks=[2], tau=3)
    text = fit.summary()
    assert "median" in text and "S(2)" in text and "RMST(3)" in text
    as_dict = fit.to_dict()
    assert as_dict["curves"][0]["label"] == "a"
    assert as_dict["curves"][1]["upper"][-1] is None  # S = 0: R's NA becomes null


def test_the_risk_table_counts_subjects_still_followed():
    """Hand count: at t = 3 subjects with times 3, 4, 6 (group a) and 5 (group b) remain."""
    fit = estimate_km([1, 3, 4, 6, 2, 5], [1, 0, 1, 0, 1, 1], list("aaaabb"))
    assert fit.risk_table([0, 3, 7]) == {"a": [4, 3, 0], "b": [2, 1, 0]}


def test_the_rmst_difference_combines_the_arms_reported_by_r():
    """Female minus male RMST to 730 days in lung from the per-arm R values
    (print(survfit(...), rmean = 730)): 434.705 - 311.118, se sqrt(27.248^2 + 19.302^2)."""
    ref = load_reference("lung")
    fit = estimate_km(*[load_data("lung")[k] for k in ("time", "status", "group")],
                                   group_levels=["Male", "Female"])
    diff = fit.rmst_difference(730)
    male, female = ref["km_summary"]["Male"]["rmst"], ref["km_summary"]["Female"]["rmst"]
    assert_matches(diff.estimate, female["rmean"] - male["rmean"], CLOSED_FORM, "difference")
    assert_matches(diff.se, float(np.hypot(female["se"], male["se"])), CLOSED_FORM, "se")
    assert 0 < diff.p_value < 0.001 and diff.ci[0] > 0
    assert "difference" in diff.summary()


def test_minus_zero_and_zero_are_one_time():
    """The sort key uses the IEEE bit pattern; -0.0 must count as time 0 (R: one row at 0)."""
    curve = estimate_km([-0.0, 0.0, 1.0, 1.0], [1, 0, 1, 0]).curves[0]
    assert curve.time.tolist() == [0.0, 1.0]
    assert curve.n_event.tolist() == [1.0, 1.0] and curve.n_risk.tolist() == [4.0, 2.0]


def test_it_rejects_a_confidence_level_outside_0_1():
    with pytest.raises(InvalidInput) as err:
        estimate_km([1, 2], [1, 0], conf_level=95)
    assert err.value.field == "conf_level"
