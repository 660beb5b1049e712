"""Adverse events by CTCAE v5.0: grades, treatment-emergent flags, attribution, worst grades and the
"grade 3–4 AE rate" (spec endpoints.md §4; NCI CTCAE v5.0, 27 Nov 2017).

The CTCAE terms the platform knows are structured data (`CtcaeTerm`): each with its system organ class
and the grades that exist for it, so a grade the term lacks is rejected. Terms outside the table
use the general 1–5 scale ("Other, specify"); a protocol may pass its own table for terms CTCAE lacks
(e.g. camrelizumab's reactive cutaneous capillary endothelial proliferation).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from fractions import Fraction
from types import MappingProxyType

from oncotrial.domain.outcomes.rates import RateEstimate, compute_binomial_rate
from oncotrial.domain.outcomes.records import ATTRIBUTION_LEVELS, RELATED_ATTRIBUTIONS, AdverseEvent
from oncotrial.errors import InvalidInput

CTCAE_VERSION = "5.0"
ALL_GRADES = frozenset({1, 2, 3, 4, 5})


@dataclass(frozen=True)
class CtcaeTerm:
    """A CTCAE term, its system organ class and the grades that exist for it (dashes excluded)."""

    term: str
    soc: str
    grades: frozenset[int] = ALL_GRADES


def _terms(*rows: tuple[str, str, tuple[int, ...]]) -> Mapping[str, CtcaeTerm]:
    return MappingProxyType({t.lower(): CtcaeTerm(t, soc, frozenset(g)) for t, soc, g in rows})


_INV, _GI = "Investigations", "Gastrointestinal disorders"
# CTCAE v5.0 terms met in the seed trials (chemotherapy, anti-PD-1, hepatic ablation); grades as the
# criteria list them, "-" cells left out.
CTCAE_V5_TERMS = _terms(
    ("Alanine aminotransferase increased", _INV, (1, 2, 3, 4)),
    ("Aspartate aminotransferase increased", _INV, (1, 2, 3, 4)),
    ("Blood bilirubin increased", _INV, (1, 2, 3, 4)),
    ("Neutrophil count decreased", _INV, (1, 2, 3, 4)),
    ("Platelet count decreased", _INV, (1, 2, 3, 4)),
    ("White blood cell decreased", _INV, (1, 2, 3, 4)),
    ("Fatigue", "General disorders and administration site conditions", (1, 2, 3)),
    ("Fever", "General disorders and administration site conditions", (1, 2, 3, 4, 5)),
    ("Pain", "General disorders and administration site conditions", (1, 2, 3)),
    ("Hypertension", "Vascular disorders", (1, 2, 3, 4, 5)),
    ("Sepsis", "Infections and infestations", (3, 4, 5)),
    ("Rash maculo-papular", "Skin and subcutaneous tissue disorders", (1, 2, 3)),
    ("Alopecia", "Skin and subcutaneous tissue disorders", (1, 2)),
    ("Diarrhea", _GI, (1, 2, 3, 4, 5)),
    ("Nausea", _GI, (1, 2, 3)),
    ("Pneumonitis", "Respiratory, thoracic and mediastinal disorders", (1, 2, 3, 4, 5)),
    ("Hepatic failure", "Hepatobiliary disorders", (3, 4, 5)),
)


def check_adverse_events(
    adverse_events: Iterable[AdverseEvent], terms: Mapping[str, CtcaeTerm] = CTCAE_V5_TERMS
) -> list[str]:
    """Problems in AE records: a grade outside 1–5, a grade the CTCAE term lacks (spec §4.1), an
    end before the start, an unknown attribution level (§4.3). Returns messages naming subject and
    record; `derive_subject_outcomes` raises them or returns them as data-quality flags."""
    problems = []
    for ae in adverse_events:
        where = f"AE {ae.ae_id} ({ae.term}) of subject {ae.subject_id}"
        known = terms.get(ae.term.lower())
        if ae.grade is not None and ae.grade not in ALL_GRADES:
            problems.append(f"{where} has grade {ae.grade}; CTCAE grades are 1–5")
        elif ae.grade is not None and known and ae.grade not in known.grades:
            allowed = ", ".join(map(str, sorted(known.grades)))
            problems.append(f"{where} has grade {ae.grade}; CTCAE v{CTCAE_VERSION} "
                            f"'{known.term}' has grades {allowed}")
        if ae.end_date is not None and ae.end_date < ae.start_date:
            problems.append(f"{where} ends on {ae.end_date}, before its start {ae.start_date}")
        bad = [v for v in ae.attributions.values() if v is not None and v not in ATTRIBUTION_LEVELS]
        if bad:
            problems.append(f"{where} has attribution {bad[0]!r}; allowed: "
                            f"{', '.join(ATTRIBUTION_LEVELS)}")
    return problems


def compute_soc(ae: AdverseEvent, terms: Mapping[str, CtcaeTerm] = CTCAE_V5_TERMS) -> str:
    """The AE's system organ class: as recorded, else from the CTCAE term table, else "Other"."""
    known = terms.get(ae.term.lower())
    return ae.soc or (known.soc if known else "Other")


def is_related(ae: AdverseEvent, component: str | None = None, *,
               missing_is_related: bool = True) -> bool:
    """Treatment-related = possible, probable or definite; a missing attribution counts as related
    by default (spec §4.3, §0.3 `missing_ae_attribution`; case A-08). `component=None`: related to
    any component."""
    if component is not None:
        level = ae.attributions.get(component)
        return missing_is_related if level is None else level in RELATED_ATTRIBUTIONS
    if not ae.attributions:
        return missing_is_related
    return any(missing_is_related if v is None else v in RELATED_ATTRIBUTIONS
               for v in ae.attributions.values())


@dataclass(frozen=True)
class TeaeRecord:
    """One AE record with its treatment-emergent flag, TEAE grade and the rule that decided it."""

    adverse_event: AdverseEvent
    treatment_emergent: bool
    related: bool
    rule: str

    @property
    def subject_id(self) -> str:
        return self.adverse_event.subject_id

    @property
    def grade(self) -> int | None:
        return self.adverse_event.grade


@dataclass(frozen=True)
class TeaeWindow:
    """When an AE is treatment-emergent (spec §4.2, §0.3 `teae_window_days`).

    `immune_related_window_days` / `serious_window_days` (e.g. 90) replace the default window for
    irAEs and SAEs when the protocol says so. `stop_at_new_therapy`: AEs starting after new
    anticancer therapy are not treatment-emergent, "if the SAP says so".
    `missing_attribution_is_related` (spec §0.3 `missing_ae_attribution`, default True) travels
    with the window so one value holds every TEAE choice of the SAP.
    """

    teae_window_days: int = 30
    immune_related_window_days: int | None = None
    serious_window_days: int | None = None
    stop_at_new_therapy: bool = False
    missing_attribution_is_related: bool = True

    def days_for(self, ae: AdverseEvent) -> int:
        days = [self.teae_window_days]
        if ae.immune_related and self.immune_related_window_days is not None:
            days.append(self.immune_related_window_days)
        if ae.serious and self.serious_window_days is not None:
            days.append(self.serious_window_days)
        return max(days)


def derive_teae_flags(
    adverse_events: Iterable[AdverseEvent],
    first_dose_date: date | None,
    last_dose_date: date | None,
    window: TeaeWindow = TeaeWindow(),
    new_therapy_date: date | None = None,
) -> tuple[TeaeRecord, ...]:
    """Flag one subject's AE records as treatment-emergent (spec §4.2).

    TEAE: starts on or after the first dose of any protocol therapy (drug, ablation or SBRT) and no
    later than the last dose + window; or belongs to an event present before the first dose whose
    grade then worsened (its TEAE grade is the worsened grade). Records of a pre-existing event that
    did not worsen are not TEAEs (cases A-03, A-04, A-05). Returns one `TeaeRecord` per AE record,
    in start-date order, each with the rule that decided its flag.

    >>> pre = AdverseEvent("P3", "1", "Hypertension", date(2023, 12, 27), 1, event_id="H")
    >>> worse = AdverseEvent("P3", "2", "Hypertension", date(2024, 1, 30), 3, event_id="H")
    >>> [r.treatment_emergent for r in derive_teae_flags([worse, pre], date(2024, 1, 1),
    ...                                                   date(2024, 3, 1))]
    [False, True]
    """
    records = sorted(adverse_events, key=lambda ae: (ae.start_date, ae.ae_id))
    if first_dose_date is None:
        return tuple(TeaeRecord(ae, False, is_related(
            ae, missing_is_related=window.missing_attribution_is_related),
            "no protocol therapy received")
                     for ae in records)
    pre_dose_grade: dict[str, int] = {}
    for ae in records:
        if ae.start_date < first_dose_date:
            pre_dose_grade[ae.event_id] = max(pre_dose_grade.get(ae.event_id, 0), ae.grade or 0)
    return tuple(_teae(ae, first_dose_date, last_dose_date or first_dose_date, window,
                       new_therapy_date, pre_dose_grade) for ae in records)


def _teae(ae, first_dose, last_dose, window, new_therapy, pre_dose_grade) -> TeaeRecord:
    related = is_related(ae, missing_is_related=window.missing_attribution_is_related)
    if ae.start_date < first_dose:
        return TeaeRecord(ae, False, related, "started before the first dose")
    end = last_dose + timedelta(days=window.days_for(ae))
    if ae.start_date > end:
        return TeaeRecord(ae, False, related, f"started after last dose + {window.days_for(ae)} days")
    if window.stop_at_new_therapy and new_therapy is not None and ae.start_date >= new_therapy:
        return TeaeRecord(ae, False, related, "started after new anticancer therapy")
    if ae.event_id in pre_dose_grade:
        before = pre_dose_grade[ae.event_id]
        if ae.grade is not None and ae.grade <= before:
            return TeaeRecord(ae, False, related, f"pre-existing grade {before}, not worsened")
        return TeaeRecord(ae, True, related, f"pre-existing grade {before}, worsened after first dose")
    return TeaeRecord(ae, True, related, f"started within first dose .. last dose + "
                                         f"{window.days_for(ae)} days")


SUBSETS = {
    "all": lambda r: True,
    "related": lambda r: r.related,
    "serious": lambda r: r.adverse_event.serious,
    "immune_related": lambda r: r.adverse_event.immune_related,
    "leading_to_discontinuation": lambda r: r.adverse_event.led_to_discontinuation,
    "leading_to_interruption": lambda r: r.adverse_event.led_to_interruption,
    "procedure_related": lambda r: r.adverse_event.procedure_related,
}


@dataclass(frozen=True)
class SubjectSafety:
    """One subject's TEAE grades (spec §4.4): worst grade over all TEAEs and per term / per SOC;
    `has_grade_3_4` is the primary "≥ 1 grade 3–4 TEAE" flag, counted even when a grade 5 followed."""

    subject_id: str
    worst_grade: int | None
    has_grade_3_4: bool
    has_grade_3_plus: bool
    has_grade_5: bool
    has_missing_grade: bool
    worst_grade_by_term: Mapping[str, int | None]
    worst_grade_by_soc: Mapping[str, int | None]


def derive_subject_safety(
    subject_id: str,
    teae_records: Iterable[TeaeRecord],
    *,
    subset: str = "all",
    missing_grade_imputation: int | None = None,
    terms: Mapping[str, CtcaeTerm] = CTCAE_V5_TERMS,
) -> SubjectSafety:
    """Worst TEAE grades of one subject (spec §4.4 worst-grade rule; grade changes within an event
    use the maximum). A missing grade stays missing (not in grade 3–4) unless
    `missing_grade_imputation` (sensitivity analysis: 3) is given (spec §0.3; case A-09)."""
    keep = SUBSETS[subset]
    grades, by_term, by_soc, missing = [], defaultdict(list), defaultdict(list), False
    for record in teae_records:
        if record.subject_id != subject_id or not record.treatment_emergent or not keep(record):
            continue
        grade = record.grade if record.grade is not None else missing_grade_imputation
        missing = missing or grade is None
        by_term[record.adverse_event.term].append(grade)
        by_soc[compute_soc(record.adverse_event, terms)].append(grade)
        if grade is not None:
            grades.append(grade)
    return SubjectSafety(
        subject_id=subject_id, worst_grade=max(grades, default=None),
        has_grade_3_4=any(g in (3, 4) for g in grades), has_grade_3_plus=any(g >= 3 for g in grades),
        has_grade_5=5 in grades, has_missing_grade=missing,
        worst_grade_by_term=MappingProxyType({t: _worst(g) for t, g in by_term.items()}),
        worst_grade_by_soc=MappingProxyType({s: _worst(g) for s, g in by_soc.items()}))


def _worst(grades: list[int | None]) -> int | None:
    known = [g for g in grades if g is not None]
    return max(known) if known else None


@dataclass(frozen=True)
class SafetySummary:
    """Safety-set summaries of one subset of TEAEs (spec §4.4).

    `grade_3_4`: subjects with ≥ 1 grade 3–4 TEAE ÷ N_safety (the primary DEFAULT definition), with a
    Clopper–Pearson CI; `grade_3_plus` and `grade_5` sit beside it so readers are not misled.
    `worst_grade_counts`: each subject once, in the row of their maximum grade ("none" = no TEAE,
    "missing" = TEAEs with missing grades only).
    """

    subset: str
    n_safety: int
    grade_3_4: RateEstimate
    grade_3_plus: RateEstimate
    grade_5: RateEstimate
    worst_grade_counts: Mapping[str, int]
    worst_grade_by_term: Mapping[str, Mapping[str, int]]
    worst_grade_by_soc: Mapping[str, Mapping[str, int]]
    definition: str = ("Grade 3–4 AE rate: patients with at least one treatment-emergent AE of "
                       "grade 3 or 4, each counted once, ÷ the safety set (spec §4.4 DEFAULT).")


def derive_safety_summary(
    subjects: Iterable[SubjectSafety], n_safety: int | None = None, subset: str = "all"
) -> SafetySummary:
    """Grade 3–4 rate and worst-grade tables over the safety set (spec §4.4; cases A-01, A-02,
    A-07). Pass one `SubjectSafety` per safety-set subject (those without AEs included), or give
    `n_safety` when only subjects with AEs are passed."""
    rows = list(subjects)
    n = len(rows) if n_safety is None else n_safety
    if n < len(rows):
        raise InvalidInput(f"safety set of {n} is smaller than the {len(rows)} subjects given",
                           field="n_safety", hint="n_safety counts every treated subject")
    counts: dict[str, int] = defaultdict(int)
    counts["none"] = n - len(rows)
    by_term: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    by_soc: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for row in rows:
        counts[_grade_label(row)] += 1
        for term, grade in row.worst_grade_by_term.items():
            by_term[term][_label(grade)] += 1
        for soc, grade in row.worst_grade_by_soc.items():
            by_soc[soc][_label(grade)] += 1
    return SafetySummary(
        subset=subset, n_safety=n,
        grade_3_4=compute_binomial_rate(sum(r.has_grade_3_4 for r in rows), n),
        grade_3_plus=compute_binomial_rate(sum(r.has_grade_3_plus for r in rows), n),
        grade_5=compute_binomial_rate(sum(r.has_grade_5 for r in rows), n),
        worst_grade_counts=MappingProxyType(dict(counts)),
        worst_grade_by_term=_freeze(by_term), worst_grade_by_soc=_freeze(by_soc))


def _grade_label(row: SubjectSafety) -> str:
    if row.worst_grade is not None:
        return str(row.worst_grade)
    return "missing" if row.has_missing_grade else "none"


def _label(grade: int | None) -> str:
    return "missing" if grade is None else str(grade)


def _freeze(table) -> Mapping[str, Mapping[str, int]]:
    return MappingProxyType({k: MappingProxyType(dict(v)) for k, v in table.items()})


# --- laboratory grading (CTCAE v5.0, spec §4.1) --------------------------------------------------

# Upper multiples of grades 1, 2 and 3 (grade 4 lies above); spec §4.1 table.
_INCREASE_NORMAL = {"alt": (3, 5, 20), "ast": (3, 5, 20), "bilirubin": (Fraction(3, 2), 3, 10)}
_INCREASE_ABNORMAL_START = {"alt": (Fraction(3, 2), True), "ast": (Fraction(3, 2), True),
                            "bilirubin": (Fraction(1), False)}
_DECREASE_LIMITS = {"neutrophils": (Fraction(3, 2), Fraction(1), Fraction(1, 2)),
                    "platelets": (Fraction(75), Fraction(50), Fraction(25))}
LAB_TERMS = {"alt": "Alanine aminotransferase increased",
             "ast": "Aspartate aminotransferase increased",
             "bilirubin": "Blood bilirubin increased",
             "neutrophils": "Neutrophil count decreased", "platelets": "Platelet count decreased"}


def compute_lab_grade(
    analyte: str, value: float | str, *, uln: float | str | None = None,
    lln: float | str | None = None, baseline: float | str | None = None,
) -> int | None:
    """CTCAE v5.0 grade of one liver or blood-count value (spec §4.1 table), or None (no grade).

    ALT, AST and bilirubin are graded against the ULN when the baseline was normal and against the
    baseline when it was above the ULN; neutrophils and platelets (×10⁹/L) against fixed limits
    below the LLN. Upper bounds are inclusive: a value on a boundary takes the less severe grade.
    Exact rational arithmetic (spec §0.2).

    >>> compute_lab_grade("alt", 120, uln=40, baseline=30)   # exactly 3.0 × ULN (case A-06)
    1
    """
    key = analyte.lower()
    if key in _DECREASE_LIMITS:
        if lln is None:
            raise InvalidInput(f"{analyte} needs its LLN to be graded", field="lln")
        return _grade_decrease(Fraction(str(value)), Fraction(str(lln)), _DECREASE_LIMITS[key])
    if key not in _INCREASE_NORMAL:
        raise InvalidInput(f"no CTCAE lab grading for {analyte!r}", field="analyte",
                           hint=f"known: {', '.join(sorted(LAB_TERMS))}")
    if uln is None:
        raise InvalidInput(f"{analyte} needs its ULN to be graded", field="uln")
    value_q, uln_q = Fraction(str(value)), Fraction(str(uln))
    if baseline is not None and Fraction(str(baseline)) > uln_q:
        first, inclusive = _INCREASE_ABNORMAL_START[key]
        ratio = value_q / Fraction(str(baseline))
        if ratio < first or (ratio == first and not inclusive):
            return None
        return 1 + sum(ratio > m for m in _INCREASE_NORMAL[key])
    ratio = value_q / uln_q
    return None if ratio <= 1 else 1 + sum(ratio > m for m in _INCREASE_NORMAL[key])


def _grade_decrease(value: Fraction, lln: Fraction, limits: tuple[Fraction, ...]) -> int | None:
    if value >= lln:
        return None
    return 1 + sum(value < limit for limit in limits)
