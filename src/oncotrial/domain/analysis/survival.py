"""Time-to-event summaries (NEST TLG TTET01, KMG01): per arm events, censored, the Kaplan–Meier
median with its CI, landmark rates, the curve with censor marks and numbers at risk; between two
arms the unstratified and stratified log-rank tests, the Cox hazard ratio (unstratified and
stratified by the randomisation strata) and the cox.zph test of proportional hazards.

Times are months (days / 30.4375, spec §0.1). Confidence intervals are log(−log) (Greenwood
variance; Brookmeyer–Crowley for the median), as spec endpoints.md §3.3 asks and R
`survfit(..., conf.type = "log-log")` computes. Every statistic comes from `oncotrial.domain.stats`,
which agrees with R survival 3.5; a statistic that cannot be computed leaves a warning, never an error.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from oncotrial.domain.stats import estimate_cox, estimate_km, logrank_test, proportional_hazards_test
from oncotrial.errors import OncotrialError

from ._plain import finite
from .inputs import ArmInfo, Interval
from .notes import note

DAYS_PER_MONTH = 30.4375  # spec §0.1 (365.25 / 12)
LANDMARK_MONTHS = (6.0, 12.0, 24.0)
RISK_TABLE_STEP_MONTHS = 3.0
CONF_TYPE = "log-log"


@dataclass(frozen=True)
class EndpointTime:
    """One subject's time to event for the analysis: arm counted in, stratum, months, event flag,
    and the rule that decided it (id and plain-English text)."""

    subject_id: str
    arm: str
    stratum: str
    months: float
    event: bool
    rule_id: str
    rule: str


@dataclass(frozen=True)
class TestResult:
    """A chi-square test: statistic, degrees of freedom, p-value."""

    name: str
    statistic: float | None
    df: int
    p_value: float | None


@dataclass(frozen=True)
class HazardRatio:
    """Cox hazard ratio of `experimental` versus `control` with its Wald 95% CI and p-value
    (R `coxph(..., ties = "efron")`), stratified by the randomisation strata or not."""

    experimental: str
    control: str
    estimate: float | None
    lower: float | None
    upper: float | None
    p_value: float | None
    stratified: bool


@dataclass(frozen=True)
class LandmarkRate:
    """S(t) at a landmark (months) with its log(−log) CI and the number still at risk."""

    months: float
    estimate: float | None
    lower: float | None
    upper: float | None
    n_risk: int


@dataclass(frozen=True)
class KMCurveData:
    """The step function for a KMG01 plot: at each distinct time the numbers at risk, events and
    censored, S(t) and its limits; the censor-mark times; numbers at risk on a fixed grid."""

    time: tuple[float, ...]
    n_risk: tuple[int, ...]
    n_event: tuple[int, ...]
    n_censor: tuple[int, ...]
    surv: tuple[float | None, ...]
    lower: tuple[float | None, ...]
    upper: tuple[float | None, ...]
    censor_times: tuple[float, ...]
    risk_table: tuple[tuple[float, int], ...]


@dataclass(frozen=True)
class ArmSurvival:
    """One arm's TTET01 column: n, events, censored, median (months) with CI, landmark rates and
    the curve."""

    arm: str
    n: int
    events: int
    censored: int
    median: Interval
    landmarks: tuple[LandmarkRate, ...]
    curve: KMCurveData


@dataclass(frozen=True)
class RuleCount:
    """How many subjects one event or censoring rule decided, with its plain-English text."""

    rule_id: str
    rule: str
    n: int
    event: bool


@dataclass(frozen=True)
class TwoArmComparison:
    """Experimental versus control: log-rank unstratified and stratified by `strata`, the hazard
    ratios, and the cox.zph test of proportional hazards of the unstratified model."""

    experimental: str
    control: str
    strata: tuple[str, ...]
    logrank: TestResult | None
    stratified_logrank: TestResult | None
    hazard_ratio: HazardRatio | None
    stratified_hazard_ratio: HazardRatio | None
    ph_test: TestResult | None


@dataclass(frozen=True)
class TimeToEventSummary:
    """TTET01 for one endpoint (PFS, OS, DoR): the population analysed, per-arm columns, the
    two-arm comparison (None for one arm), the rules that decided each time, and warnings."""

    endpoint: str
    name: str
    population: str
    time_unit: str
    arms: tuple[ArmSurvival, ...]
    comparison: TwoArmComparison | None
    rules: tuple[RuleCount, ...]
    warnings: tuple[str, ...]


def _curve_data(curve, grid: Sequence[float]) -> KMCurveData:
    def floats(values):
        return tuple(finite(v) for v in values)

    censored = tuple(float(t) for t, c in zip(curve.time, curve.n_censor, strict=True) if c > 0)
    risk = tuple((float(t), int(n)) for t, n in zip(grid, curve.n_at_risk(grid), strict=True))
    return KMCurveData(floats(curve.time), tuple(int(v) for v in curve.n_risk),
                       tuple(int(v) for v in curve.n_event), tuple(int(v) for v in curve.n_censor),
                       floats(curve.surv), floats(curve.lower), floats(curve.upper), censored, risk)


def _arm_survival(arm: str, curve, grid: Sequence[float]) -> ArmSurvival:
    median = curve.median
    rates = tuple(LandmarkRate(s.time, finite(s.estimate), finite(s.ci[0]), finite(s.ci[1]),
                               int(s.n_risk)) for s in curve.survival_at(LANDMARK_MONTHS))
    return ArmSurvival(arm, curve.n, curve.events, curve.n - curve.events,
                       Interval(finite(median.estimate), finite(median.ci[0]), finite(median.ci[1])),
                       rates, _curve_data(curve, grid))


def compute_risk_grid(max_months: float, step: float = RISK_TABLE_STEP_MONTHS) -> tuple[float, ...]:
    """Times of the numbers-at-risk table under a KM plot: 0, step, 2·step, ... up to the last
    follow-up.

    >>> compute_risk_grid(7.5)
    (0.0, 3.0, 6.0)
    """
    return tuple(float(t) for t in np.arange(0.0, max(max_months, 0.0) + 1e-9, step))


def _hazard_ratio(fit, experimental: str, control: str, stratified: bool) -> HazardRatio:
    return HazardRatio(experimental, control, finite(fit.hr[0]), finite(fit.hr_lower[0]),
                       finite(fit.hr_upper[0]), finite(fit.p_value[0]), stratified)


def _attempt(label: str, warnings: list[str], compute):
    """Run one statistic; a statistic that cannot be computed becomes a warning naming it."""
    try:
        return compute()
    except OncotrialError as problem:
        warnings.append(note("not_computed", f"{label} not computed: {problem.message}",
                             statistic=label, detail=problem.message))
    except (np.linalg.LinAlgError, FloatingPointError, ZeroDivisionError) as problem:
        warnings.append(note("degenerate", f"{label} not computed: the data are degenerate ({problem})",
                             statistic=label, detail=str(problem)))
    return None


def compare_two_arms(rows: Sequence[EndpointTime], experimental: str, control: str,
                     warnings: list[str], endpoint: str = "") -> TwoArmComparison:
    """Log-rank (R `survdiff`), stratified log-rank (`+ strata(stratum)`), Cox HR of experimental
    versus control (`coxph`, Efron ties) with and without strata, and `cox.zph` (survival 3.x
    score test). Statistics that cannot be computed (no events, one arm empty) leave warnings."""
    used = [r for r in rows if r.arm in (experimental, control)]
    time = [r.months for r in used]
    event = [int(r.event) for r in used]
    group = [r.arm for r in used]
    strata = [r.stratum for r in used]
    levels = (control, experimental)
    has_strata = len({s for s in strata if s}) > 1
    label = f"{endpoint}: " if endpoint else ""
    lr = _attempt(f"{label}log-rank test", warnings,
                  lambda: logrank_test(time, event, group, group_levels=levels))
    slr = _attempt(f"{label}stratified log-rank test", warnings, lambda: logrank_test(
        time, event, group, strata, group_levels=levels)) if has_strata else None
    cox = _attempt(f"{label}Cox model", warnings, lambda: estimate_cox(
        time, event, group, group_levels=levels))
    ph = _attempt(f"{label}cox.zph test", warnings, lambda: proportional_hazards_test(
        time, event, group, group_levels=levels)) if cox is not None else None
    scox = _attempt(f"{label}stratified Cox model", warnings, lambda: estimate_cox(
        time, event, group, strata=strata, group_levels=levels)) if has_strata else None
    if lr is not None:
        warnings.extend(note("statistic", f"{label}{w}", endpoint=endpoint, detail=w) for w in lr.warnings)
    if cox is not None:
        warnings.extend(note("statistic", f"{label}{w}", endpoint=endpoint, detail=w) for w in cox.warnings)
    return TwoArmComparison(
        experimental, control, ("stratum",) if has_strata else (),
        _test("Log-rank", lr), _test("Stratified log-rank", slr),
        _hazard_ratio(cox, experimental, control, False) if cox is not None else None,
        _hazard_ratio(scox, experimental, control, True) if scox is not None else None,
        TestResult("cox.zph (global)", finite(ph.global_test.statistic), int(ph.global_test.df),
                   finite(ph.global_test.p_value)) if ph is not None else None)


def _test(name: str, result) -> TestResult | None:
    if result is None:
        return None
    return TestResult(name, finite(result.statistic), int(result.df), finite(result.p_value))


def _rule_counts(rows: Sequence[EndpointTime]) -> tuple[RuleCount, ...]:
    counts = Counter((r.rule_id, r.rule, r.event) for r in rows)
    return tuple(RuleCount(rule_id, rule, n, event) for (rule_id, rule, event), n in
                 sorted(counts.items(), key=lambda item: (not item[0][2], -item[1], item[0][0])))


def derive_time_to_event_summary(endpoint: str, name: str, population: str,
                                 rows: Sequence[EndpointTime], arms: Sequence[ArmInfo],
                                 comparison: tuple[str, str] | None) -> TimeToEventSummary:
    """TTET01 of one endpoint over `rows` (one per subject analysed). `comparison` is
    (experimental, control) for a two-arm trial. Arms without subjects are left out with a
    warning; an empty population gives a summary with no columns and a warning.

    >>> rows = [EndpointTime(str(i), "A", "", m, e, "R", "rule") for i, (m, e) in
    ...         enumerate([(1.0, True), (2.0, True), (3.0, False), (4.0, True)])]
    >>> s = derive_time_to_event_summary("PFS", "PFS", "ITT", rows, [ArmInfo("A", "A", "x")], None)
    >>> s.arms[0].events, s.arms[0].median.estimate
    (3, 3.0)
    """
    warnings: list[str] = []
    present = [a.id for a in arms if any(r.arm == a.id for r in rows)]
    if not present:
        return TimeToEventSummary(endpoint, name, population, "months", (), None, (),
                                  (note("tte_empty", f"{endpoint}: no subject to analyse", endpoint=endpoint),))
    fit = estimate_km([r.months for r in rows], [int(r.event) for r in rows],
                      [r.arm for r in rows], group_levels=present, conf_type=CONF_TYPE)
    grid = compute_risk_grid(max(r.months for r in rows))
    columns = tuple(_arm_survival(arm, fit.curve(arm), grid) for arm in present)
    warnings += [note("statistic", f"{endpoint}: {w}", endpoint=endpoint, detail=w)
                 for w in fit.warnings if "landmark" not in w]
    warnings += [note("median_not_reached", f"{endpoint}, {c.arm}: median not reached", endpoint=endpoint,
                      arm=c.arm) for c in columns if c.median.estimate is None and c.events > 0]
    result = None
    if comparison is not None:
        if all(arm in present for arm in comparison):
            result = compare_two_arms(rows, *comparison, warnings, endpoint)
            if result.ph_test and result.ph_test.p_value is not None and result.ph_test.p_value < 0.05:
                p = f"{result.ph_test.p_value:.3g}"
                warnings.append(note("ph_rejected", f"{endpoint}: proportional hazards rejected by cox.zph "
                                     f"(p = {p}); read the hazard ratio as an average", endpoint=endpoint, p=p))
        else:
            warnings.append(note("tte_one_arm", f"{endpoint}: only one arm has subjects; no between-arm "
                                 "comparison", endpoint=endpoint))
    return TimeToEventSummary(endpoint, name, population, "months", columns, result,
                              _rule_counts(rows), tuple(dict.fromkeys(warnings)))
