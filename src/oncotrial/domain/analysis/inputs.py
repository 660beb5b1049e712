"""What the analysis takes: per-subject facts from the EDC, the request (study, data cut-off,
analysis set, locked or live) and the small shared values its tables are made of.

The clinical outcomes themselves (BOR, PFS, OS, DoR, local control, TEAEs) come from
`derive_subject_outcomes`; the facts here are what the CONSORT flow, the demographics and the
disposition need and the derivation does not carry. Nothing dated after the data cut-off is used
(spec endpoints.md §3.1): `facts_at_cutoff` removes it.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from datetime import date

from oncotrial.domain.stats import estimate_proportion, estimate_proportion_difference

from ._plain import finite

SET_KEYS = ("itt", "pp", "safety", "evaluable")


@dataclass(frozen=True)
class SubjectFacts:
    """One screened person's path through the trial, as the EDC holds it.

    `arm` is the arm randomised to (or enrolled in, single arm); `treated_arm` the arm whose
    treatment was received (the safety set analyses by it; empty = `arm`). `strata` are the
    randomisation factors as (factor id, level). `eligible` is None while screening is open.
    `discontinued_*` is the end of protocol treatment, `withdrawn_*` the end of study follow-up.
    `major_deviation` excludes the subject from the per-protocol set.
    """

    subject_id: str
    site: str = ""
    arm: str = ""
    treated_arm: str = ""
    strata: tuple[tuple[str, str], ...] = ()
    sex: str = ""
    age: int | None = None
    screened_on: date | None = None
    eligible: bool | None = None
    ineligible_reasons: tuple[str, ...] = ()
    enrolled_on: date | None = None
    randomized_on: date | None = None
    first_treatment_date: date | None = None
    last_treatment_date: date | None = None
    discontinued_on: date | None = None
    discontinued_reason: str = ""
    withdrawn_on: date | None = None
    withdrawn_reason: str = ""
    major_deviation: bool = False
    death_date: date | None = None
    death_cause: str = ""

    @property
    def stratum(self) -> str:
        """The randomisation stratum as one label, e.g. "margin=R0/timing=synchronous"."""
        return "/".join(f"{factor}={level}" for factor, level in self.strata)

    @property
    def arm_as_treated(self) -> str:
        """The arm the safety set counts this subject in."""
        return self.treated_arm or self.arm

    @property
    def treated(self) -> bool:
        """Received any protocol therapy (drug, ablation or SBRT)."""
        return self.first_treatment_date is not None


@dataclass(frozen=True)
class AnalysisRequest:
    """Which results: the study, the data cut-off, the analysis set key (`SET_KEYS`, or a set id
    of the protocol), whether the data are a locked snapshot, and the software version."""

    study: str
    data_cutoff: date
    analysis_set: str = "itt"
    locked: bool = False
    software_version: str = ""


def facts_at_cutoff(facts: SubjectFacts, cutoff: date) -> SubjectFacts | None:
    """The facts known at the data cut-off (spec §3.1: nothing dated after the DCO is used); None
    for a person screened after it.

    >>> f = SubjectFacts("01-001", screened_on=date(2025, 1, 1), death_date=date(2025, 9, 1))
    >>> facts_at_cutoff(f, date(2025, 6, 30)).death_date is None
    True
    """
    if facts.screened_on is not None and facts.screened_on > cutoff:
        return None

    def known(day):
        return day if day is not None and day <= cutoff else None

    last = facts.last_treatment_date
    return dataclasses.replace(
        facts, enrolled_on=known(facts.enrolled_on), randomized_on=known(facts.randomized_on),
        first_treatment_date=known(facts.first_treatment_date),
        last_treatment_date=min(last, cutoff) if known(facts.first_treatment_date) and last else None,
        discontinued_on=known(facts.discontinued_on),
        discontinued_reason=facts.discontinued_reason if known(facts.discontinued_on) else "",
        withdrawn_on=known(facts.withdrawn_on),
        withdrawn_reason=facts.withdrawn_reason if known(facts.withdrawn_on) else "",
        death_date=known(facts.death_date),
        death_cause=facts.death_cause if known(facts.death_date) else "")


@dataclass(frozen=True)
class Rate:
    """A proportion x / n with its exact Clopper–Pearson 95% CI (spec §1.13, §4.4); `estimate`
    and the limits are None when n = 0."""

    x: int
    n: int
    estimate: float | None
    lower: float | None
    upper: float | None
    method: str = "Clopper-Pearson exact"


def compute_rate(x: int, n: int) -> Rate:
    """x / n with the Clopper–Pearson interval (R `binom.test(x, n)$conf.int`); n = 0 gives an
    empty rate rather than an error.

    >>> r = compute_rate(12, 30)
    >>> round(r.estimate, 3), round(r.lower, 4), round(r.upper, 4)
    (0.4, 0.2266, 0.594)
    """
    if n == 0:
        return Rate(0, 0, None, None, None)
    fit = estimate_proportion(x, n)
    return Rate(x, n, fit.estimate, finite(fit.ci[0]), finite(fit.ci[1]))


@dataclass(frozen=True)
class RateDifference:
    """`first` minus `second` (arm ids) with Newcombe's hybrid score 95% CI (Newcombe 1998,
    method 10; the default of `estimate_proportion_difference`)."""

    first: str
    second: str
    estimate: float | None
    lower: float | None
    upper: float | None
    method: str = "Newcombe hybrid score"


def compute_rate_difference(first: str, a: Rate, second: str, b: Rate) -> RateDifference | None:
    """Difference of two rates (experimental minus control), None when either arm is empty.

    >>> d = compute_rate_difference("E", compute_rate(20, 40), "C", compute_rate(10, 40))
    >>> round(d.estimate, 2), round(d.lower, 4), round(d.upper, 4)
    (0.25, 0.0379, 0.4333)
    """
    if not a.n or not b.n:
        return None
    fit = estimate_proportion_difference(a.x, a.n, b.x, b.n)
    return RateDifference(first, second, fit.estimate, finite(fit.ci[0]), finite(fit.ci[1]))


@dataclass(frozen=True)
class Interval:
    """An estimate with its 95% confidence limits; None where not reached or not estimable."""

    estimate: float | None
    lower: float | None
    upper: float | None


@dataclass(frozen=True)
class ArmInfo:
    """An arm as the tables label it: protocol id, name and kind (experimental or control)."""

    id: str
    name: str
    kind: str
