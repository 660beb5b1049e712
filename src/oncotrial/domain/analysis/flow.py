"""Participant flow (CONSORT 2010 flow diagram, item 13), demographics and baseline (NEST TLG
DMT01) and disposition (DST01), by arm, from the subjects' facts at the data cut-off."""

from __future__ import annotations

import statistics
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from .inputs import ArmInfo, SubjectFacts

TOTAL = "Total"


@dataclass(frozen=True)
class ReasonCount:
    """How many subjects left a step for one reason."""

    reason: str
    n: int


@dataclass(frozen=True)
class ArmFlow:
    """One arm's box of the CONSORT diagram: allocated, treated, treatment discontinued (with
    reasons), withdrawn from follow-up (with reasons), died, and the number in each analysis set."""

    arm: str
    allocated: int
    treated: int
    not_treated: int
    discontinued_treatment: int
    discontinued_reasons: tuple[ReasonCount, ...]
    withdrawn: int
    withdrawn_reasons: tuple[ReasonCount, ...]
    died: int
    analysed: tuple[tuple[str, int], ...]


@dataclass(frozen=True)
class ConsortFlow:
    """The flow: screened, not eligible (with reasons), eligibility pending, eligible but not
    enrolled, enrolled, randomised, then one `ArmFlow` per arm. `allocation` names the step that
    assigns arms ("randomised" or "enrolled")."""

    screened: int
    not_eligible: int
    not_eligible_reasons: tuple[ReasonCount, ...]
    eligibility_pending: int
    eligible_not_enrolled: int
    enrolled: int
    randomized: int
    allocation: str
    arms: tuple[ArmFlow, ...]


def _reasons(texts: Sequence[str]) -> tuple[ReasonCount, ...]:
    counts = Counter(t.strip() or "not stated" for t in texts)
    return tuple(ReasonCount(r, n) for r, n in sorted(counts.items(), key=lambda i: (-i[1], i[0])))


def _allocated(facts: SubjectFacts, randomized: bool) -> bool:
    return facts.randomized_on is not None if randomized else facts.enrolled_on is not None


def derive_consort_flow(facts: Sequence[SubjectFacts], arms: Sequence[ArmInfo], randomized: bool,
                        analysed: dict[str, dict[str, int]]) -> ConsortFlow:
    """Counts for the CONSORT 2010 flow diagram (Schulz et al., BMJ 2010;340:c332, figure 1).

    `analysed` maps set key to {arm: n}. Reasons of ineligibility are the failed criteria as the
    eligibility engine wrote them; one subject may fail several, so reasons can sum to more.

    >>> from datetime import date
    >>> a = SubjectFacts("1", arm="A", eligible=True, enrolled_on=date(2025, 1, 2))
    >>> b = SubjectFacts("2", eligible=False, ineligible_reasons=("ECOG 3",))
    >>> flow = derive_consort_flow([a, b], [ArmInfo("A", "Arm A", "experimental")], False, {})
    >>> flow.screened, flow.not_eligible, flow.arms[0].allocated
    (2, 1, 1)
    """
    ineligible = [f for f in facts if f.eligible is False]
    enrolled = [f for f in facts if f.enrolled_on is not None]
    rows = tuple(_arm_flow(arm.id, [f for f in facts if f.arm == arm.id and _allocated(f, randomized)],
                           {key: counts.get(arm.id, 0) for key, counts in analysed.items()})
                 for arm in arms)
    return ConsortFlow(
        screened=len(facts), not_eligible=len(ineligible),
        not_eligible_reasons=_reasons([r for f in ineligible for r in (f.ineligible_reasons or ("",))]),
        eligibility_pending=sum(1 for f in facts if f.eligible is None and f.enrolled_on is None),
        eligible_not_enrolled=sum(1 for f in facts if f.eligible and f.enrolled_on is None),
        enrolled=len(enrolled), randomized=sum(1 for f in facts if f.randomized_on is not None),
        allocation="randomised" if randomized else "enrolled", arms=rows)


def _arm_flow(arm: str, members: list[SubjectFacts], analysed: dict[str, int]) -> ArmFlow:
    stopped = [f for f in members if f.discontinued_on is not None]
    withdrawn = [f for f in members if f.withdrawn_on is not None]
    treated = sum(1 for f in members if f.treated)
    return ArmFlow(arm, len(members), treated, len(members) - treated, len(stopped),
                   _reasons([f.discontinued_reason for f in stopped]), len(withdrawn),
                   _reasons([f.withdrawn_reason for f in withdrawn]),
                   sum(1 for f in members if f.death_date is not None), tuple(analysed.items()))


@dataclass(frozen=True)
class CountCell:
    """n of a column's N, with the percentage (None when N = 0)."""

    n: int
    total: int
    percent: float | None


@dataclass(frozen=True)
class StatRow:
    """A continuous variable's statistic per column (e.g. "Mean (SD)": (mean, sd))."""

    variable: str
    statistic: str
    values: tuple[tuple[float | None, ...], ...]


@dataclass(frozen=True)
class CountRow:
    """A category's count per column."""

    variable: str
    category: str
    cells: tuple[CountCell, ...]


@dataclass(frozen=True)
class SummaryTable:
    """A table by column (each arm, then Total when there is more than one arm): its title, the
    column labels and Ns, continuous rows and count rows in print order."""

    title: str
    columns: tuple[str, ...]
    column_n: tuple[int, ...]
    stat_rows: tuple[StatRow, ...]
    count_rows: tuple[CountRow, ...]


def _columns(members: Sequence[tuple[SubjectFacts, str]], arms: Sequence[ArmInfo]):
    groups = [(arm.id, [f for f, a in members if a == arm.id]) for arm in arms]
    if len(arms) > 1:
        groups.append((TOTAL, [f for f, _ in members]))
    return groups


def count_cell(n: int, total: int) -> CountCell:
    """n of N with its percentage (None when N = 0)."""
    return CountCell(n, total, 100.0 * n / total if total else None)


def _count_rows(groups, variable: str, value: Callable[[SubjectFacts], str], order=(),
                totals: Sequence[int] | None = None) -> list:
    seen = {value(f) for _, fs in groups for f in fs}
    categories = [c for c in order if c in seen] + sorted(seen - set(order))
    sizes = list(totals) if totals is not None else [len(fs) for _, fs in groups]
    return [CountRow(variable, c, tuple(count_cell(sum(1 for f in fs if value(f) == c), size)
                                        for (_, fs), size in zip(groups, sizes, strict=True)))
            for c in categories]


def _age_rows(groups) -> list[StatRow]:
    def stats(ages):
        if not ages:
            return (0.0,), (None, None), (None,), (None, None)
        sd = statistics.stdev(ages) if len(ages) > 1 else None
        return ((float(len(ages)),), (statistics.fmean(ages), sd),
                (float(statistics.median(ages)),), (float(min(ages)), float(max(ages))))

    table = [stats([f.age for f in fs if f.age is not None]) for _, fs in groups]
    labels = ("n", "Mean (SD)", "Median", "Min, Max")
    return [StatRow("Age (years)", label, tuple(t[i] for t in table)) for i, label in enumerate(labels)]


def derive_demographics(members: Sequence[tuple[SubjectFacts, str]],
                        arms: Sequence[ArmInfo], factors: Sequence[str]) -> SummaryTable:
    """DMT01: age (n, mean (SD), median, min–max), sex, site and each randomisation factor, by arm
    and in total, over the analysis set (`members`: (facts, arm counted in)). Percentages use the
    column N (NEST TLG catalog DMT01)."""
    groups = _columns(members, arms)
    rows = _count_rows(groups, "Sex", lambda f: f.sex or "missing", ("F", "M"))
    rows += _count_rows(groups, "Site", lambda f: f.site or "missing")
    for factor in factors:
        rows += _count_rows(groups, factor, lambda f, k=factor: dict(f.strata).get(k, "missing"))
    return SummaryTable("Demographics and baseline characteristics", tuple(g for g, _ in groups),
                        tuple(len(fs) for _, fs in groups), tuple(_age_rows(groups)), tuple(rows))


def derive_disposition(members: Sequence[tuple[SubjectFacts, str]],
                       arms: Sequence[ArmInfo]) -> SummaryTable:
    """DST01: treated, on treatment, treatment discontinued (by reason), follow-up ongoing,
    withdrawn from the study (by reason) and died, by arm and in total (NEST TLG catalog DST01)."""
    groups = _columns(members, arms)
    sizes = [len(fs) for _, fs in groups]

    def status(f: SubjectFacts) -> str:
        if not f.treated:
            return "Not treated"
        return "Treatment discontinued" if f.discontinued_on else "On treatment"

    rows = _count_rows(groups, "Treatment", status, ("On treatment", "Treatment discontinued",
                                                     "Not treated"))
    rows += _count_rows([(g, [f for f in fs if f.discontinued_on]) for g, fs in groups],
                        "Reason for discontinuing treatment", lambda f: f.discontinued_reason or "not stated",
                        totals=sizes)
    rows += _count_rows(groups, "Study status", lambda f: "Died" if f.death_date else (
        "Withdrawn" if f.withdrawn_on else "In follow-up"), ("In follow-up", "Withdrawn", "Died"))
    rows += _count_rows([(g, [f for f in fs if f.withdrawn_on]) for g, fs in groups],
                        "Reason for withdrawal", lambda f: f.withdrawn_reason or "not stated", totals=sizes)
    return SummaryTable("Disposition", tuple(g for g, _ in groups),
                        tuple(len(fs) for _, fs in groups), (), tuple(rows))
