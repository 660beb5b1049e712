"""Single-arm designs for a landmark PFS rate (trial A: 12-month PFS) and their simulation.

Two designs answer "is the 12-month PFS rate above p0?":

* exact binomial on each subject's landmark status (progression-free and alive at 12 months) —
  the single-stage and Simon designs of :mod:`oncotrial.domain.design.simon` with p = the rates;
* the one-sample log-rank test against an exponential null (Finkelstein, Muzikansky & Schoenfeld,
  Stat Med 2003;22:1183-1191), sized by the normal approximation of Wu (Pharm Stat 2015;14:26-33):
  with ``O`` observed events and ``E = sum Lambda0(X_i)`` the expected under the null,
  ``Z = (E - O) / sqrt(E)`` and ``n = (z_a sqrt(lambda0 mu_X) + z_b sigma)^2 / (lambda0 mu_X - mu_O)^2``
  where ``mu_X``, ``mu_O`` and ``sigma^2 = Var(lambda0 X - Delta)`` are moments under the
  alternative with uniform accrual over ``a`` and follow-up ``f``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import partial

import numpy as np
from scipy.integrate import quad
from scipy.stats import norm

from oncotrial.domain.design.checks import check_error_rates, check_positive, check_probability_pair
from oncotrial.domain.design.models import AnalysisRule, PiecewiseExponential  # noqa: F401 (doctest)
from oncotrial.domain.design.sampling import entry_times, observe, unit_exponentials
from oncotrial.domain.design.simulation import (
    SimulationPlan,
    SimulationResult,
    SingleArmTrial,
    check_runs,
    check_trial_basics,
    run_plan,
    summarise_quantiles,
)
from oncotrial.domain.stats.batched import estimate_km_batched, sort_survival_rows
from oncotrial.errors import InvalidInput


@dataclass(frozen=True)
class OneSampleLogrankDesign:
    """Subjects (unrounded and rounded up) for the one-sample log-rank test of a landmark rate."""

    subjects: float
    subjects_rounded: int
    expected_events: float
    null_hazard: float
    alternative_hazard: float
    alpha: float
    power: float
    landmark_months: float
    accrual_months: float
    followup_months: float

    def to_dict(self) -> dict:
        return dict(self.__dict__)


def _moments(hazard: float, accrual: float, followup: float) -> tuple[float, float, float, float]:
    """E[Delta], E[X], E[X^2], E[Delta X] for X = min(T, C), T ~ Exp(hazard), C ~ U(f, a + f)."""
    def mean_over_censoring(g) -> float:
        return quad(g, followup, followup + accrual, epsabs=1e-13, epsrel=1e-12)[0] / accrual

    lam = hazard
    event = mean_over_censoring(lambda c: -math.expm1(-lam * c))
    time = mean_over_censoring(lambda c: -math.expm1(-lam * c) / lam)
    survive_weighted = lambda c: 1.0 - math.exp(-lam * c) * (1.0 + lam * c)  # noqa: E731
    time_sq = mean_over_censoring(lambda c: 2.0 * survive_weighted(c) / lam**2)
    event_time = mean_over_censoring(lambda c: survive_weighted(c) / lam)
    return event, time, time_sq, event_time


def compute_one_sample_logrank_design(
    p0: float, p1: float, *, landmark_months: float = 12.0, accrual_months: float,
    followup_months: float, alpha: float = 0.05, beta: float = 0.2,
) -> OneSampleLogrankDesign:
    """Sample size of the one-sample log-rank test of ``S(landmark) = p0`` against ``p1``.

    Exponential survival under both hypotheses (hazard ``-ln(p) / landmark``), uniform accrual over
    ``accrual_months`` and ``followup_months`` after the last entry; one-sided ``alpha``.

    >>> d = compute_one_sample_logrank_design(0.4, 0.6, accrual_months=24, followup_months=12)
    >>> d.subjects_rounded
    29
    """
    check_probability_pair(p0, p1)
    check_error_rates(alpha, beta)
    for name, value in (("landmark_months", landmark_months), ("accrual_months", accrual_months)):
        check_positive(value, name)
    check_positive(followup_months, "followup_months", allow_zero=True)
    null, alt = -math.log(p0) / landmark_months, -math.log(p1) / landmark_months
    mu_o, mu_x, x_sq, o_x = _moments(alt, accrual_months, followup_months)
    expected = null * mu_x
    sigma = math.sqrt(null**2 * x_sq - 2 * null * o_x + mu_o - (expected - mu_o) ** 2)
    n = (norm.isf(alpha) * math.sqrt(expected) + norm.isf(beta) * sigma) ** 2 / (expected - mu_o) ** 2
    return OneSampleLogrankDesign(float(n), math.ceil(n - 1e-9), float(n * mu_o), null, alt, alpha, 1 - beta,
                                  landmark_months, accrual_months, followup_months)


def _single_arm_chunk(trial: SingleArmTrial, analysis: AnalysisRule, trials: int, rng, xp) -> dict:
    shape = (trials, trial.subjects)
    entry = entry_times(trials, trial.subjects, trial.accrual_months, trial.accrual, rng, xp)
    pfs = trial.pfs.times_for(unit_exponentials(rng, shape), xp)
    dropout = None
    if trial.dropout_per_year > 0:
        dropout = unit_exponentials(rng, shape) * np.float32(-12.0 / np.log1p(-trial.dropout_per_year))
    seen = observe(entry, pfs, dropout, trial.scans, analysis, rng, xp)
    data = sort_survival_rows(seen.time, seen.event, xp.zeros(trial.subjects, dtype=bool), xp=xp)
    km = estimate_km_batched(data, group="all", landmark=trial.landmark_months, xp=xp)
    null_hazard = -math.log(trial.p0) / trial.landmark_months
    exposure = xp.where(seen.time > 0, seen.time, 0).sum(axis=1)
    expected = null_hazard * exposure
    observed = seen.event.sum(axis=1)
    out = {} if trial.simon is None else _simon_outcome(trial, seen, xp)
    return out | {"survival": km.landmark_survival, "variance": km.landmark_variance,
            "median": km.median, "logrank_z": (expected - observed) / xp.sqrt(expected),
            "tau": seen.analysis, "events": observed, "subjects": (seen.time >= 0).sum(axis=1)}


def _simon_outcome(trial: SingleArmTrial, seen, xp) -> dict:
    """Stage-1 stop and final success of a Simon design on landmark status.

    Every subject is followed to the landmark and statuses are exchangeable, so the first ``n1``
    columns stand for the first ``n1`` entrants.
    """
    r1, n1, r, n = trial.simon
    if n > trial.subjects:
        raise InvalidInput(f"the Simon design needs {n} subjects but the trial has {trial.subjects}",
                           field="subjects", hint=f"simulate at least {n} subjects")
    landmark = trial.landmark_months
    free = (seen.time >= landmark) & ~(seen.event & (seen.time <= landmark))
    stage_one = free[:, :n1].sum(axis=1)
    return {"simon_stop": stage_one <= r1,
            "simon_success": (stage_one > r1) & (free[:, :n].sum(axis=1) > r)}


def _loglog_limits(survival, variance, z: float):
    """Log-log CI ``S^exp(±z se / ln S)`` (Kalbfleisch & Prentice), as R ``conf.type = "log-log"``."""
    with np.errstate(divide="ignore", invalid="ignore"):
        # Greenwood gives Var(S); the log-log scale needs se(ln S) = se(S) / S.
        spread = z * np.sqrt(variance) / (survival * np.abs(np.log(survival)))
        lower = survival ** np.exp(spread)
        upper = survival ** np.exp(-spread)
    return lower, upper


def simulate_single_arm_trials(
    trial: SingleArmTrial, runs: int, rng: np.random.Generator, *, chunk_size: int = 20_000,
    progress=None, workers: int = 1, xp=np,
) -> SimulationResult:
    """Simulate ``runs`` single-arm trials; probability of success on the landmark KM rate.

    Success (the ``rejection_rate``): the lower limit of the two-sided ``1 - 2 alpha`` log-log CI
    of the Kaplan-Meier ``S(landmark)`` lies above ``p0``. Also summarised: the KM rate and its
    CI limits, the KM median, and the rejection rate of the one-sample log-rank test against the
    exponential null with ``S(landmark) = p0``.

    >>> t = SingleArmTrial(40, 12, PiecewiseExponential.from_landmark(0.6, 12), p0=0.4)
    >>> r = simulate_single_arm_trials(t, 4000, np.random.default_rng(2))
    >>> 0.5 < r.rejection_rate < 0.9
    True
    """
    return run_plan(plan_single_arm_trials(trial, runs, chunk_size=chunk_size, xp=xp), rng, progress,
                    workers, xp)


def plan_single_arm_trials(trial: SingleArmTrial, runs: int, *, chunk_size: int = 20_000,
                           xp=np) -> SimulationPlan:
    """The chunks and the finish of :func:`simulate_single_arm_trials` (checked before any drawing)."""
    check_trial_basics(trial.subjects, trial.accrual_months, trial.dropout_per_year, trial.accrual)
    check_runs(runs, chunk_size)
    if not 0.0 < trial.p0 < 1.0:
        raise InvalidInput(f"p0 is {trial.p0!r}; it must lie in (0, 1)", field="p0")
    analysis = trial.analysis or AnalysisRule(
        calendar_months=trial.accrual_months + trial.landmark_months + trial.scans.window_months)
    return SimulationPlan(runs, chunk_size, partial(_single_arm_chunk, trial, analysis, xp=xp),
                          partial(_finish_single_arm, trial, analysis, runs))


def _finish_single_arm(trial: SingleArmTrial, analysis: AnalysisRule, runs: int, parts: dict
                       ) -> SimulationResult:
    z = norm.isf(trial.alpha)
    lower, upper = _loglog_limits(parts["survival"].astype(np.float64),
                                  parts["variance"].astype(np.float64), z)
    success = np.nan_to_num(lower, nan=0.0) > trial.p0
    rate = float(success.mean())
    truth = trial.pfs.survival(trial.landmark_months)
    summaries = {
        "true_landmark_rate": truth,
        "landmark_rate": summarise_quantiles(parts["survival"].astype(np.float64)),
        "landmark_lower": summarise_quantiles(lower), "landmark_upper": summarise_quantiles(upper),
        "median": summarise_quantiles(parts["median"]),
        "one_sample_logrank_rejection_rate": float(np.mean(parts["logrank_z"] >= z)),
    }
    if trial.simon is not None:
        summaries["simon_design"] = list(trial.simon)
        summaries["simon_success_rate"] = float(parts["simon_success"].mean())
        summaries["simon_early_stop_rate"] = float(parts["simon_stop"].mean())
    return SimulationResult(
        runs=runs, rejection_rate=rate, mc_se=math.sqrt(rate * (1 - rate) / runs),
        mean_analysis_months=float(parts["tau"].mean(dtype=np.float64)),
        mean_events=float(parts["events"].mean(dtype=np.float64)),
        mean_subjects=float(parts["subjects"].mean(dtype=np.float64)), events_not_reached=0.0,
        summaries=summaries, description=_describe_single(trial, analysis))


def _describe_single(trial: SingleArmTrial, analysis: AnalysisRule) -> str:
    detection = ("progression seen at once" if trial.scans.continuous else
                 f"progression seen at scans every {trial.scans.interval_months:g} months")
    return (f"single arm, {trial.subjects} subjects over {trial.accrual_months:g} months, true "
            f"{trial.landmark_months:g}-month PFS {trial.pfs.survival(trial.landmark_months):.3f} vs "
            f"p0 {trial.p0:g}, analysis {analysis.description}, {detection}, one-sided alpha "
            f"{trial.alpha:g}")


