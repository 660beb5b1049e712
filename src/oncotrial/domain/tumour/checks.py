"""Checks on one subject's tumour records before any response is derived.

`check_tumour_records` rejects inconsistent data with `InvalidInput` naming the subject, the visit
and the lesion (issue 3, "Bad input"; style.md "Errors"), or, with `collect_problems=True`, returns
each problem as a data-quality flag and drops only the offending rows so the rest is still derived.
It also turns every size into exact millimetres (`Decimal`, spec §0.2) and orders the rows, so that
the engine's result never depends on input row order.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import date, timedelta
from decimal import Decimal, InvalidOperation

from oncotrial.domain.tumour.lesions import (
    Assessment,
    DataQualityFlag,
    Lesion,
    LesionMeasurement,
    NewLesion,
    NonTargetStatus,
    TargetResult,
    TumourRecords,
)
from oncotrial.errors import InvalidInput

_MM_PER_UNIT = {"mm": Decimal(1), "cm": Decimal(10)}


@dataclass(frozen=True)
class CheckedRecords:
    """One subject's records, checked, in millimetres and in a canonical order."""

    subject_id: str
    lesions: dict[str, Lesion]
    assessments: tuple[Assessment, ...]
    measurements: dict[tuple[str, str], LesionMeasurement]
    non_target_statuses: dict[tuple[str, str], NonTargetStatus]
    new_lesions: dict[str, tuple[NewLesion, ...]]
    problems: tuple[DataQualityFlag, ...]


class _Problems:
    """Collects problems; raises them together unless the caller asked to collect them."""

    def __init__(self, subject_id: str):
        self.subject_id = subject_id
        self.flags: list[DataQualityFlag] = []
        self.hints: list[str] = []

    def add(self, code: str, message: str, hint: str, visit: str = "", lesion_id: str = "") -> None:
        text = f"subject {self.subject_id}: {message}"
        self.flags.append(DataQualityFlag(code, self.subject_id, text, visit, lesion_id))
        self.hints.append(hint)

    def raise_or_return(self, collect: bool) -> tuple[DataQualityFlag, ...]:
        if self.flags and not collect:
            first = self.flags[0]
            errors = [{"field": flag.code.lower(), "message": flag.message} for flag in self.flags]
            raise InvalidInput(first.message, hint=self.hints[0], field=first.code.lower(),
                               errors=errors)
        return tuple(self.flags)


def compute_size_mm(size, unit: str | None) -> Decimal:
    """A size as exact millimetres (spec §0.2). Raises ValueError for a missing or unknown unit, a
    negative, non-finite or non-numeric size.

    >>> compute_size_mm(1.4, "cm")
    Decimal('14.0')
    """
    factor = _MM_PER_UNIT.get((unit or "").strip().lower())
    if factor is None:
        raise ValueError(f"unit {unit!r} is not one of 'mm', 'cm'")
    try:
        value = size if isinstance(size, Decimal) else Decimal(str(size))
    except InvalidOperation:
        raise ValueError(f"size {size!r} is not a number") from None
    if not value.is_finite() or value < 0:
        raise ValueError(f"size {size!r} must be a finite number >= 0")
    return value * factor


def compute_imputed_assessment_date(
    partial: str, previous_date: date | None = None
) -> tuple[date | None, bool]:
    """Complete a partial tumour-assessment date (spec §0.1 DEFAULT): a missing day becomes the 1st
    of the month, but never earlier than the previous assessment date + 1; a missing month is not
    imputed (returns None, and the site must supply the month).

    `partial` is "YYYY-MM-DD", "YYYY-MM" or "YYYY". Returns the date and whether it was imputed.

    >>> compute_imputed_assessment_date("2024-03", date(2024, 3, 5))
    (datetime.date(2024, 3, 6), True)
    """
    parts = partial.strip().split("-")
    if len(parts) == 3:
        return date.fromisoformat(partial.strip()), False
    if len(parts) != 2:
        return None, False
    imputed = date(int(parts[0]), int(parts[1]), 1)
    if previous_date is not None and imputed <= previous_date:
        imputed = previous_date + timedelta(days=1)
    return imputed, True


def check_tumour_records(
    records: TumourRecords,
    *,
    enrolment_date: date | None = None,
    collect_problems: bool = False,
) -> CheckedRecords:
    """Check one subject's tumour records and normalise them for the RECIST engine.

    Rules (issue 3 "Bad input", spec §1.3, §0.2): every row belongs to the subject; lesion ids and
    visit labels are unique; each finding names a known visit; a target measured at follow-up
    exists at baseline; sizes are >= 0 with a unit (mm or cm); merged lesions name a known lesion;
    assessment dates increase with `sequence`; a finding's scan date lies between the neighbouring
    assessments; no assessment precedes `enrolment_date`.

    Raises InvalidInput naming subject, visit and lesion, unless `collect_problems`, in which case
    the problems are returned in `.problems` and only the offending rows are dropped.
    """
    problems = _Problems(records.subject_id)
    lesions = _check_lesions(records, problems)
    assessments = _check_assessments(records, enrolment_date, problems)
    visits = {assessment.visit: assessment for assessment in assessments}
    scan_limits = _scan_limits(assessments)
    measurements = _keyed_rows(records.measurements, visits, lesions, scan_limits, problems,
                               _normalise_measurement)
    statuses = _keyed_rows(records.non_target_statuses, visits, lesions, scan_limits, problems,
                           _normalise_sized)
    new_lesions = _check_new_lesions(records, visits, lesions, scan_limits, problems)
    for key, row in list(measurements.items()):
        if row.result == TargetResult.MERGED and row.merged_into not in lesions:
            problems.add("LESION_NOT_AT_BASELINE",
                         f"lesion {row.lesion_id} at visit {row.visit} is merged into "
                         f"{row.merged_into!r}, which is not a baseline lesion",
                         "name the baseline lesion that carries the merged mass",
                         row.visit, row.lesion_id)
            del measurements[key]
    return CheckedRecords(
        records.subject_id, lesions, assessments, measurements, statuses, new_lesions,
        problems.raise_or_return(collect_problems),
    )


def _belongs(row, problems: _Problems, what: str) -> bool:
    if row.subject_id == problems.subject_id:
        return True
    problems.add("OTHER_SUBJECT", f"{what} row of subject {row.subject_id} passed with this subject",
                 "group rows by subject first (group_tumour_records)",
                 getattr(row, "visit", ""), getattr(row, "lesion_id", ""))
    return False


def _check_lesions(records: TumourRecords, problems: _Problems) -> dict[str, Lesion]:
    lesions: dict[str, Lesion] = {}
    for lesion in sorted(records.lesions, key=lambda row: row.lesion_id):
        if not _belongs(lesion, problems, "lesion"):
            continue
        if lesion.lesion_id in lesions:
            problems.add("DUPLICATE_LESION_ID", f"lesion id {lesion.lesion_id} is used twice",
                         "give each baseline lesion its own stable id", lesion_id=lesion.lesion_id)
            continue
        if lesion.slice_thickness_mm is not None:
            try:
                lesion = replace(lesion, slice_thickness_mm=compute_size_mm(
                    lesion.slice_thickness_mm, "mm"))
            except ValueError as error:
                problems.add("INVALID_SIZE", f"lesion {lesion.lesion_id}: slice thickness {error}",
                             "give the slice thickness in mm", lesion_id=lesion.lesion_id)
                continue
        lesions[lesion.lesion_id] = lesion
    return lesions


def _check_assessments(records, enrolment_date, problems: _Problems) -> tuple[Assessment, ...]:
    kept: dict[str, Assessment] = {}
    for assessment in sorted(records.assessments, key=_assessment_order):
        if not _belongs(assessment, problems, "assessment"):
            continue
        if assessment.visit in kept:
            problems.add("DUPLICATE_VISIT", f"visit {assessment.visit} appears twice",
                         "give each assessment its own visit label", assessment.visit)
            continue
        if enrolment_date is not None and assessment.date < enrolment_date:
            problems.add("ASSESSMENT_BEFORE_ENROLMENT",
                         f"assessment {assessment.visit} is dated {assessment.date}, before "
                         f"enrolment ({enrolment_date})",
                         "check the assessment date and the enrolment date", assessment.visit)
            continue
        kept[assessment.visit] = assessment
    ordered = tuple(kept.values())
    _check_sequence(ordered, problems)
    return ordered


def _assessment_order(assessment: Assessment):
    return (assessment.date, assessment.sequence if assessment.sequence is not None else -1,
            assessment.visit)


def _check_sequence(assessments: tuple[Assessment, ...], problems: _Problems) -> None:
    numbered = sorted((a for a in assessments if a.sequence is not None), key=lambda a: a.sequence)
    for earlier, later in zip(numbered, numbered[1:], strict=False):
        if later.date <= earlier.date:
            problems.add("DATES_OUT_OF_ORDER",
                         f"assessment {later.visit} (sequence {later.sequence}) is dated "
                         f"{later.date}, not after {earlier.visit} ({earlier.date})",
                         "check the visit dates against the visit order", later.visit)


def _scan_limits(assessments: tuple[Assessment, ...]) -> dict[str, tuple[date | None, date | None]]:
    """Scans of an assessment must fall after the previous assessment and before the next one."""
    dates = [a.date for a in assessments]
    return {
        a.visit: (dates[i - 1] if i else None, dates[i + 1] if i + 1 < len(dates) else None)
        for i, a in enumerate(assessments)
    }


def _scan_date_ok(row, scan_limits, problems: _Problems) -> bool:
    if row.scan_date is None:
        return True
    before, after = scan_limits[row.visit]
    if (before is None or row.scan_date > before) and (after is None or row.scan_date < after):
        return True
    problems.add("DATES_OUT_OF_ORDER",
                 f"lesion {row.lesion_id} at visit {row.visit} has scan date {row.scan_date}, "
                 "outside the span between the neighbouring assessments",
                 "check the scan date or the visit it is filed under", row.visit, row.lesion_id)
    return False


def _keyed_rows(rows: Iterable, visits, lesions, scan_limits, problems, normalise) -> dict:
    kept: dict[tuple[str, str], object] = {}
    for row in sorted(rows, key=lambda r: (r.visit, r.lesion_id)):
        if not (_belongs(row, problems, "finding") and _known(row, visits, lesions, problems)):
            continue
        if (row.visit, row.lesion_id) in kept:
            problems.add("DUPLICATE_RECORD",
                         f"lesion {row.lesion_id} has two records at visit {row.visit}",
                         "keep one record per lesion and visit", row.visit, row.lesion_id)
            continue
        normalised = normalise(row, problems)
        if normalised is not None and _scan_date_ok(row, scan_limits, problems):
            kept[(row.visit, row.lesion_id)] = normalised
    return kept


def _known(row, visits, lesions, problems: _Problems) -> bool:
    if row.visit not in visits:
        problems.add("UNKNOWN_VISIT", f"lesion {row.lesion_id} is recorded at visit {row.visit}, "
                     "which has no assessment", "add the assessment or fix the visit label",
                     row.visit, row.lesion_id)
        return False
    if row.lesion_id not in lesions:
        problems.add("LESION_NOT_AT_BASELINE",
                     f"lesion {row.lesion_id} is recorded at visit {row.visit} but is not a "
                     "baseline lesion", "record a lesion first seen after baseline as a NewLesion",
                     row.visit, row.lesion_id)
        return False
    return True


def _normalise_sized(row, problems: _Problems):
    if row.size is None or _is_exact_mm(row.size, row.unit):
        return row
    try:
        return replace(row, size=compute_size_mm(row.size, row.unit), unit="mm")
    except ValueError as error:
        problems.add("INVALID_SIZE", f"lesion {row.lesion_id} at visit {row.visit}: {error}",
                     "give sizes as numbers >= 0 with unit 'mm' or 'cm'", row.visit, row.lesion_id)
        return None


def _is_exact_mm(size, unit) -> bool:
    """Integer or finite Decimal millimetres are exact already: no copy of the row is needed."""
    if unit != "mm":
        return False
    kind = type(size)
    return (kind is int and size >= 0) or (kind is Decimal and size.is_finite() and size >= 0)


def _normalise_measurement(row: LesionMeasurement, problems: _Problems):
    row = _normalise_sized(row, problems)
    if row is None or row.result != TargetResult.SPLIT:
        return row
    if not row.fragments:
        problems.add("INVALID_SIZE", f"lesion {row.lesion_id} at visit {row.visit} is split but "
                     "no fragment sizes are given", "list the fragments' diameters",
                     row.visit, row.lesion_id)
        return None
    try:
        fragments = tuple(compute_size_mm(size, row.unit) for size in row.fragments)
    except ValueError as error:
        problems.add("INVALID_SIZE", f"lesion {row.lesion_id} at visit {row.visit}: {error}",
                     "give fragment sizes as numbers >= 0 with a unit", row.visit, row.lesion_id)
        return None
    return replace(row, fragments=fragments, unit="mm")


def _check_new_lesions(records, visits, lesions, scan_limits, problems) -> dict:
    by_visit: dict[str, list[NewLesion]] = {}
    seen: set[tuple[str, str]] = set()
    for row in sorted(records.new_lesions, key=lambda r: (r.visit, r.lesion_id)):
        if not _belongs(row, problems, "new lesion"):
            continue
        if row.visit not in visits:
            problems.add("UNKNOWN_VISIT", f"new lesion {row.lesion_id} is recorded at visit "
                         f"{row.visit}, which has no assessment",
                         "add the assessment or fix the visit label", row.visit, row.lesion_id)
            continue
        if row.lesion_id in lesions or (row.visit, row.lesion_id) in seen:
            problems.add("DUPLICATE_LESION_ID", f"new lesion id {row.lesion_id} at visit "
                         f"{row.visit} is already used", "give each new lesion its own id",
                         row.visit, row.lesion_id)
            continue
        normalised = _normalise_sized(row, problems)
        if normalised is not None and _scan_date_ok(row, scan_limits, problems):
            seen.add((row.visit, row.lesion_id))
            by_visit.setdefault(row.visit, []).append(normalised)
    return {visit: tuple(rows) for visit, rows in by_visit.items()}
