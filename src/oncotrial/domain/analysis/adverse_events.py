"""Safety by arm over the safety set (spec endpoints.md §4.2–§4.4; NEST TLG AET01, AET02, AET04):
the overview of treatment-emergent AEs, subjects by SOC and term, each term by worst grade, the
grade 3–4 rate per arm with the difference and its CI, and listings of serious AEs, immune-related
AEs and deaths. Each subject counts once per row (at their worst grade in AET04); the denominator
is every subject of the safety set, with or without AEs.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from oncotrial.domain.outcomes.safety import (
    SUBSETS,
    SubjectSafety,
    TeaeRecord,
    compute_soc,
    derive_subject_safety,
)

from .flow import CountCell, count_cell
from .inputs import ArmInfo, Rate, RateDifference, SubjectFacts, compute_rate, compute_rate_difference
from .notes import note

OVERVIEW = (
    ("any", "all", "Any TEAE"),
    ("related", "related", "Treatment-related TEAE"),
    ("grade_3_plus", "all", "Grade ≥ 3 TEAE"),
    ("grade_3_4", "all", "Grade 3–4 TEAE"),
    ("grade_5", "all", "Fatal (grade 5) TEAE"),
    ("serious", "serious", "Serious TEAE"),
    ("discontinuation", "leading_to_discontinuation", "TEAE leading to discontinuation"),
    ("immune_related", "immune_related", "Immune-related TEAE"),
)
GRADE_LABELS = ("1", "2", "3", "4", "5", "missing")


@dataclass(frozen=True)
class OverviewRow:
    """One AET01 line: subjects with such an AE per arm (n, %)."""

    key: str
    label: str
    cells: tuple[CountCell, ...]


@dataclass(frozen=True)
class TermRow:
    """One AET02 line: a SOC (term empty) or a term within it, subjects per arm."""

    soc: str
    term: str
    cells: tuple[CountCell, ...]


@dataclass(frozen=True)
class WorstGradeRow:
    """One AET04 line: subjects whose worst grade of `term` is `grade`, per arm."""

    term: str
    grade: str
    cells: tuple[CountCell, ...]


@dataclass(frozen=True)
class GradeRate:
    """The grade 3–4 TEAE rate per arm (Clopper–Pearson) and experimental − control, for all
    TEAEs or the treatment-related ones (`subset`)."""

    subset: str
    rates: tuple[tuple[str, Rate], ...]
    difference: RateDifference | None


@dataclass(frozen=True)
class AdverseEventRow:
    """One TEAE record of a listing."""

    subject_id: str
    arm: str
    term: str
    soc: str
    grade: int | None
    start_date: date
    serious: bool
    immune_related: bool
    related: bool


@dataclass(frozen=True)
class DeathRow:
    """One death in the safety set, with its date and cause."""

    subject_id: str
    arm: str
    date: date
    cause: str


@dataclass(frozen=True)
class SafetyResults:
    """Everything of the safety section. `primary_subset` is the subset the protocol's grade 3–4
    endpoint counts ("related" when it says `related_only`). `non_serious` lists the TEAE records
    that are not serious (the ClinicalTrials.gov "other" adverse events)."""

    population: str
    arms: tuple[str, ...]
    n_by_arm: tuple[int, ...]
    overview: tuple[OverviewRow, ...]
    by_term: tuple[TermRow, ...]
    worst_grade: tuple[WorstGradeRow, ...]
    grade_3_4: tuple[GradeRate, ...]
    primary_subset: str
    serious: tuple[AdverseEventRow, ...]
    immune_related: tuple[AdverseEventRow, ...]
    deaths: tuple[DeathRow, ...]
    rule: str
    warnings: tuple[str, ...]
    non_serious: tuple[AdverseEventRow, ...] = ()


def _has(row: SubjectSafety, key: str) -> bool:
    flags = {"grade_3_plus": row.has_grade_3_plus, "grade_3_4": row.has_grade_3_4,
             "grade_5": row.has_grade_5}
    return flags.get(key, row.worst_grade is not None or row.has_missing_grade)


def _per_subject(groups, teaes: Sequence[TeaeRecord], subset: str) -> list[list[SubjectSafety]]:
    by_subject: dict[str, list[TeaeRecord]] = {}
    for record in teaes:
        by_subject.setdefault(record.subject_id, []).append(record)
    return [[derive_subject_safety(f.subject_id, by_subject.get(f.subject_id, ()), subset=subset)
             for f in fs] for _, fs in groups]


def _overview(groups, teaes) -> tuple[OverviewRow, ...]:
    cache = {subset: _per_subject(groups, teaes, subset) for subset in {s for _, s, _ in OVERVIEW}}
    return tuple(OverviewRow(key, label, tuple(count_cell(sum(_has(r, key) for r in rows), len(rows))
                                               for rows in cache[subset]))
                 for key, subset, label in OVERVIEW)


def _by_term(groups, teaes) -> tuple[TermRow, ...]:
    seen: dict[tuple[str, str], list[set[str]]] = {}
    arm_of = {f.subject_id: i for i, (_, fs) in enumerate(groups) for f in fs}
    for record in teaes:
        soc = compute_soc(record.adverse_event)
        for key in ((soc, ""), (soc, record.adverse_event.term)):
            seen.setdefault(key, [set() for _ in groups])[arm_of[record.subject_id]].add(record.subject_id)
    sizes = [len(fs) for _, fs in groups]
    socs = sorted({soc for soc, _ in seen}, key=lambda s: (-sum(map(len, seen[(s, "")])), s))
    rows = []
    for soc in socs:
        terms = sorted((t for s, t in seen if s == soc and t),
                       key=lambda t, s=soc: (-sum(map(len, seen[(s, t)])), t))
        for term in ("", *terms):
            rows.append(TermRow(soc, term, tuple(count_cell(len(ids), n) for ids, n in
                                                 zip(seen[(soc, term)], sizes, strict=True))))
    return tuple(rows)


def _worst_grade(groups, teaes) -> tuple[WorstGradeRow, ...]:
    per_arm = _per_subject(groups, teaes, "all")
    terms = sorted({term for rows in per_arm for r in rows for term in r.worst_grade_by_term})
    out = []
    for term in terms:
        for grade in GRADE_LABELS:
            counts = [sum(1 for r in rows if term in r.worst_grade_by_term and
                          str(r.worst_grade_by_term[term] or "missing") == grade) for rows in per_arm]
            if any(counts):
                out.append(WorstGradeRow(term, grade, tuple(count_cell(c, len(rows)) for c, rows in
                                                            zip(counts, per_arm, strict=True))))
    return tuple(out)


def _grade_rate(groups, teaes, subset: str, comparison) -> GradeRate:
    per_arm = _per_subject(groups, teaes, subset)
    rates = {arm: compute_rate(sum(r.has_grade_3_4 for r in rows), len(rows))
             for (arm, _), rows in zip(groups, per_arm, strict=True)}
    difference = None
    if comparison is not None:
        difference = compute_rate_difference(comparison[0], rates[comparison[0]],
                                             comparison[1], rates[comparison[1]])
    return GradeRate(subset, tuple(rates.items()), difference)


def _listing(teaes, arm_of: dict[str, str], keep) -> tuple[AdverseEventRow, ...]:
    return tuple(AdverseEventRow(r.subject_id, arm_of[r.subject_id], r.adverse_event.term,
                                 compute_soc(r.adverse_event), r.grade, r.adverse_event.start_date,
                                 r.adverse_event.serious, r.adverse_event.immune_related, r.related)
                 for r in teaes if keep(r))


def derive_safety_results(members: Sequence[tuple[SubjectFacts, str]], arms: Sequence[ArmInfo],
                          teaes: Sequence[TeaeRecord], comparison: tuple[str, str] | None,
                          related_only: bool, population: str, rule: str) -> SafetyResults:
    """The safety section over the safety set (`members`: (facts, arm as treated)); `teaes` are
    the derivation's TEAE-flagged records (non-emergent ones are dropped here)."""
    groups = [(a.id, [f for f, arm in members if arm == a.id]) for a in arms]
    arm_of = {f.subject_id: arm for f, arm in members}
    emergent = sorted((r for r in teaes if r.treatment_emergent and r.subject_id in arm_of),
                      key=lambda r: (r.subject_id, r.adverse_event.start_date, r.adverse_event.ae_id))
    warnings = [note("safety_empty_arm", f"{a}: no subject in the safety set", arm=a) for a, fs in groups if not fs]
    if members and not emergent:
        warnings.append(note("no_aes", "no treatment-emergent adverse event recorded"))
    deaths = tuple(DeathRow(f.subject_id, arm, f.death_date, f.death_cause or "not stated")
                   for f, arm in sorted(members, key=lambda m: m[0].subject_id) if f.death_date)
    return SafetyResults(
        population, tuple(a for a, _ in groups), tuple(len(fs) for _, fs in groups),
        _overview(groups, emergent), _by_term(groups, emergent), _worst_grade(groups, emergent),
        (_grade_rate(groups, emergent, "all", comparison),
         _grade_rate(groups, emergent, "related", comparison)),
        "related" if related_only else "all",
        _listing(emergent, arm_of, SUBSETS["serious"]),
        _listing(emergent, arm_of, SUBSETS["immune_related"]), deaths, rule, tuple(warnings),
        _listing(emergent, arm_of, lambda r: not SUBSETS["serious"](r)))
