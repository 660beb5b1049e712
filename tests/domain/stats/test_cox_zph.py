"""R survival 3.x ``cox.zph`` proportional-hazards test.

There is no stored R reference for cox.zph, so the tests check (1) the score statistic against an
independent, deliberately naive computation -- the Efron partial likelihood of the model with the
time-varying covariates x * g(t), differentiated numerically at (b-hat, 0) -- and (2) the lung
example whose survival 3.x output, cox.zph(coxph(Surv(time, status) ~ sex + age, lung)),
prints sex 2.608, age 0.209, GLOBAL 2.771 (hand-copied from R's printed table, 3 decimals).
"""

from __future__ import annotations

import numpy as np
import pytest
from stats_reference import load_data

from oncotrial.domain.stats import estimate_cox, estimate_km, proportional_hazards_test


def naive_efron_loglik(theta, time, event, x, g_at):
    """Efron log partial likelihood with covariates (x, x * g(t)), one event time at a time."""
    p = x.shape[1]
    total = 0.0
    for t in np.unique(time[event == 1]):
        z = np.hstack([x, x * g_at[t]])
        eta = z @ theta
        risk = time >= t
        dead = risk & (time == t) & (event == 1)
        d = dead.sum()
        total += eta[dead].sum()
        r_all, r_dead = np.exp(eta[risk]).sum(), np.exp(eta[dead]).sum()
        total -= sum(np.log(r_all - k / d * r_dead) for k in range(d))
    assert theta.size == 2 * p
    return total


def naive_efron_score_info(theta, time, event, x, g_at):
    """Textbook Efron score and information with covariates (x, x * g(t)), loops throughout."""
    k = 2 * x.shape[1]
    score, info = np.zeros(k), np.zeros((k, k))
    for t in np.unique(time[event == 1]):
        z = np.hstack([x, x * g_at[t]])
        w = np.exp(z @ theta)
        risk = time >= t
        dead = risk & (time == t) & (event == 1)
        d = dead.sum()
        score += z[dead].sum(axis=0)
        for j in range(d):
            weight = w * (risk - j / d * dead)
            mean = weight @ z / weight.sum()
            score -= mean
            info += (z * weight[:, None]).T @ z / weight.sum() - np.outer(mean, mean)
    return score, info


def g_of_time(time, event):
    km = estimate_km(time, event).curves[0]
    left = np.append(1.0, km.surv[:-1])
    g_raw = {t: 1.0 - s for t, s in zip(km.time, left, strict=True)}
    centre = np.mean([g_raw[t] for t in time[event == 1]])
    return {t: v - centre for t, v in g_raw.items()}


def numerical_score_test(time, event, x, beta):
    g_at = g_of_time(time, event)
    theta0 = np.concatenate([beta, np.zeros(x.shape[1])])
    k = theta0.size
    h = 1e-4

    def f(th):
        return naive_efron_loglik(th, time, event, x, g_at)

    grad = np.array([(f(theta0 + h * e) - f(theta0 - h * e)) / (2 * h) for e in np.eye(k)])
    hess = np.empty((k, k))
    for i, ei in enumerate(np.eye(k)):
        for j, ej in enumerate(np.eye(k)):
            hess[i, j] = (f(theta0 + h * ei + h * ej) - f(theta0 + h * ei - h * ej)
                          - f(theta0 - h * ei + h * ej) + f(theta0 - h * ei - h * ej)) / (4 * h * h)
    p = x.shape[1]
    u = np.concatenate([np.zeros(p), grad[p:]])
    return float(u @ np.linalg.solve(-hess, u))


def test_the_global_statistic_equals_a_numerical_score_test_on_lung():
    """Independent checks: numerical derivatives of the naive time-varying Efron likelihood
    (to finite-difference accuracy), and textbook loops for its score and information."""
    data = load_data("lung")
    female = (data["group"] == "Female").astype(float)
    x = np.column_stack([female, data["age"]])
    fit = estimate_cox(data["time"], data["status"], data["group"], {"age": data["age"]},
                       group_levels=["Male", "Female"])
    ours = proportional_hazards_test(data["time"], data["status"], data["group"],
                                     {"age": data["age"]}, group_levels=["Male", "Female"])
    xc = x - x.mean(axis=0)
    numerical = numerical_score_test(data["time"], data["status"], xc, fit.coef)
    assert ours.global_test.statistic == pytest.approx(numerical, rel=1e-4)
    theta = np.concatenate([fit.coef, np.zeros(2)])
    score, info = naive_efron_score_info(theta, data["time"], data["status"], xc,
                                         g_of_time(data["time"], data["status"]))
    u = np.concatenate([np.zeros(2), score[2:]])
    assert ours.global_test.statistic == pytest.approx(u @ np.linalg.solve(info, u), rel=1e-9)
    for term, column in (("group", 0), ("age", 1)):
        keep = [0, 1, 2 + column]
        uk = u[keep]
        expected = uk @ np.linalg.solve(info[np.ix_(keep, keep)], uk)
        assert ours.statistic[ours.terms.index(term)] == pytest.approx(expected, rel=1e-9)


def test_it_reproduces_the_printed_lung_table():
    """cox.zph(coxph(Surv(time, status) ~ sex + age, data = lung)) in survival 3.x prints
    sex 2.608 (p 0.11), age 0.209 (p 0.65), GLOBAL 2.771 on 2 df (p 0.25)."""
    data = load_data("lung")
    result = proportional_hazards_test(data["time"], data["status"], data["group"],
                                       {"age": data["age"]}, group_levels=["Male", "Female"])
    assert np.round(result.statistic, 3).tolist() == [2.608, 0.209]
    assert round(result.global_test.statistic, 3) == 2.771
    assert result.global_test.df == 2
    assert result.warnings == ()


def test_it_warns_when_hazards_cross():
    """Seeded crossing hazards (early benefit, late harm) must be flagged."""
    rng = np.random.default_rng(2024)
    n = 600
    arm = np.repeat([0, 1], n // 2)
    early = rng.exponential(np.where(arm == 1, 40.0, 5.0))
    late = 6 + rng.exponential(np.where(arm == 1, 2.0, 20.0))
    time = np.where(early < 6, early, late).round(2)
    event = np.ones(n, dtype=int)
    fit = estimate_cox(time, event, arm, check_proportional_hazards=True)
    assert any("proportional hazards rejected" in w for w in fit.warnings)
    assert fit.ph_test.p_value[0] < 0.001


def test_the_scaled_residuals_average_to_the_coefficient():
    """Grambsch & Therneau: the scaled Schoenfeld residuals are b + d I^-1 r_i and the raw
    residuals sum to the score, which is 0 at b-hat, so their mean is b-hat."""
    data = load_data("veteran")
    result = proportional_hazards_test(data["time"], data["status"], data["group"],
                                       {"karno": data["karno"]})
    fit = estimate_cox(data["time"], data["status"], data["group"], {"karno": data["karno"]})
    np.testing.assert_allclose(result.y.mean(axis=0), fit.coef, rtol=1e-6, atol=1e-9)
    assert result.y.shape == (int(data["status"].sum()), 2)
    assert np.all(np.diff(result.time) >= 0)


def test_stratified_and_multilevel_terms_have_the_right_degrees_of_freedom():
    data = load_data("veteran")
    result = proportional_hazards_test(data["time"], data["status"], data["strata"],
                                       {"karno": data["karno"]})
    assert result.terms == ("group", "karno")
    assert result.df.tolist() == [3, 1]
    assert result.global_test.df == 4
    assert "GLOBAL" in result.summary()


def test_a_multilevel_term_gets_one_residual_column():
    """cox.zph(terms = TRUE) collapses a factor's columns onto its linear predictor."""
    data = load_data("veteran")
    result = proportional_hazards_test(data["time"], data["status"], data["strata"],
                                       {"karno": data["karno"]})
    assert result.y.shape == (int(data["status"].sum()), 2)
    assert np.all(np.isfinite(result.y))
    assert result.y[:, 0].mean() == pytest.approx(1.0, rel=1e-6)  # score is 0 at b-hat
