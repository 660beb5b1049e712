"""New lesions across a subject's assessments: equivocal findings, their confirmation or resolution,
and PD back-dated to the first scan that showed a confirmed finding (spec endpoints.md §1.7, §1.10;
RECIST 1.1 §4.3.3 "New lesions").

The evidence is worked out from the new-lesion rows alone, before any response is derived, so a
back-dated PD is in place when nadir, reappearance, confirmation and PFS look at the sequence.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from enum import StrEnum

from oncotrial.domain.tumour.checks import CheckedRecords
from oncotrial.domain.tumour.lesions import (
    Assessment,
    DataQualityFlag,
    Method,
    NewLesion,
    NewLesionCertainty,
)
from oncotrial.domain.tumour.rules import RecistRules

_CONFIRMING_METHODS = frozenset({Method.CT, Method.MRI, Method.PET_CT, Method.XRAY,
                                 Method.CALIPER, Method.PET})


class NewLesionStatus(StrEnum):
    """New-lesion finding at one assessment (spec §1.7)."""

    NONE = "NONE"
    EQUIVOCAL = "EQUIVOCAL"
    UNEQUIVOCAL = "UNEQUIVOCAL"


@dataclass(frozen=True)
class NewLesionFinding:
    """New-lesion status of one assessment: NONE, EQUIVOCAL or UNEQUIVOCAL, the first-evidence date
    of an unequivocal one and whether that status was back-dated from a later confirmation."""

    status: NewLesionStatus = NewLesionStatus.NONE
    date: date | None = None
    is_backdated: bool = False


@dataclass(frozen=True)
class NewLesionEvidence:
    """Per-visit new-lesion findings of one subject, with their flags."""

    findings: dict[str, NewLesionFinding]
    rows_by_visit: dict[str, tuple[NewLesion, ...]]
    flags: tuple[DataQualityFlag, ...] = field(default=())

    def at(self, visit: str) -> NewLesionFinding:
        """The finding at a visit (NONE when no new lesion was recorded)."""
        return self.findings.get(visit, NewLesionFinding())

    def rows(self, visit: str) -> tuple[NewLesion, ...]:
        """The new-lesion rows recorded at a visit."""
        return self.rows_by_visit.get(visit, ())


def is_confirmed_new_lesion(row: NewLesion, assessment: Assessment) -> bool:
    """An unequivocal new lesion counts for PD only when seen on a method other than ultrasound
    alone (spec §1.1: a new lesion seen only on ultrasound should be confirmed by CT or MRI)."""
    method = row.method or assessment.method
    return row.certainty == NewLesionCertainty.UNEQUIVOCAL and method in _CONFIRMING_METHODS


def derive_new_lesion_evidence(
    checked: CheckedRecords, follow_up: tuple[Assessment, ...], rules: RecistRules
) -> NewLesionEvidence:
    """New-lesion status at each follow-up assessment (spec §1.7, §1.10).

    An unequivocal new lesion (not on ultrasound alone) makes PD at the scan that shows it. An
    equivocal one does not; when the same lesion id is later confirmed, every assessment from its
    first sighting on becomes UNEQUIVOCAL, dated to that visit's scan (with
    `rules.equivocal_new_lesion_backdating`). A RESOLVED finding never counts. Flags:
    EQUIVOCAL_NEW_LESION_OPEN (last record still equivocal), NEW_LESION_ON_US_ONLY.
    """
    order = {assessment.visit: assessment for assessment in follow_up}
    rows_by_visit = {visit: rows for visit, rows in checked.new_lesions.items() if visit in order}
    per_lesion: dict[str, list[tuple[Assessment, NewLesion]]] = {}
    for assessment in follow_up:
        for row in rows_by_visit.get(assessment.visit, ()):
            per_lesion.setdefault(row.lesion_id, []).append((assessment, row))
    marks: dict[str, list[tuple[NewLesionStatus, date | None, bool]]] = {}
    flags: list[DataQualityFlag] = []
    for lesion_id in sorted(per_lesion):
        history = per_lesion[lesion_id]
        for visit, status, when, backdated in _lesion_marks(history, rules):
            marks.setdefault(visit, []).append((status, when, backdated))
        flags += _lesion_flags(checked.subject_id, lesion_id, history)
    findings = {visit: _combine(found) for visit, found in marks.items()}
    return NewLesionEvidence(findings, rows_by_visit, tuple(flags))


def _lesion_marks(history, rules: RecistRules):
    confirmed_at = next((i for i, (a, row) in enumerate(history)
                         if is_confirmed_new_lesion(row, a)), None)
    for index, (assessment, row) in enumerate(history):
        when = row.scan_date or assessment.date
        if row.certainty == NewLesionCertainty.RESOLVED:
            continue
        if is_confirmed_new_lesion(row, assessment):
            yield assessment.visit, NewLesionStatus.UNEQUIVOCAL, when, False
        elif confirmed_at is not None and index < confirmed_at and \
                rules.equivocal_new_lesion_backdating:
            yield assessment.visit, NewLesionStatus.UNEQUIVOCAL, when, True
        else:
            yield assessment.visit, NewLesionStatus.EQUIVOCAL, None, False


def _combine(found: list[tuple[NewLesionStatus, date | None, bool]]) -> NewLesionFinding:
    unequivocal = [(when, backdated) for status, when, backdated in found
                   if status == NewLesionStatus.UNEQUIVOCAL]
    if unequivocal:
        first = min(when for when, _ in unequivocal)
        return NewLesionFinding(NewLesionStatus.UNEQUIVOCAL, first, any(b for _, b in unequivocal))
    return NewLesionFinding(NewLesionStatus.EQUIVOCAL)


def _lesion_flags(subject_id: str, lesion_id: str, history) -> list[DataQualityFlag]:
    flags = []
    last_assessment, last = history[-1]
    confirmed = any(is_confirmed_new_lesion(row, a) for a, row in history)
    if not confirmed and last.certainty != NewLesionCertainty.RESOLVED:
        flags.append(DataQualityFlag(
            "EQUIVOCAL_NEW_LESION_OPEN", subject_id,
            f"subject {subject_id}: new lesion {lesion_id} is still equivocal at "
            f"{last_assessment.visit}", visit=last_assessment.visit, lesion_id=lesion_id))
    for assessment, row in history:
        method = row.method or assessment.method
        if row.certainty == NewLesionCertainty.UNEQUIVOCAL and method == Method.ULTRASOUND:
            flags.append(DataQualityFlag(
                "NEW_LESION_ON_US_ONLY", subject_id,
                f"subject {subject_id}: new lesion {lesion_id} at {assessment.visit} is seen on "
                "ultrasound only; confirm it by CT or MRI", visit=assessment.visit,
                lesion_id=lesion_id))
    return flags
