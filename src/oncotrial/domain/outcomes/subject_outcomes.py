"""The values `derive_subject_outcomes` returns: one `SubjectOutcome` row per subject (each time to
event with the rule that decided it) and the `DerivedOutcomes` bundle with the RECIST timepoint
rows, the TEAE records and the data-quality flags (spec endpoints.md §0–§5).
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from datetime import date

from oncotrial.domain.outcomes import local_control as lc
from oncotrial.domain.outcomes import safety
from oncotrial.domain.outcomes import time_to_event as tte
from oncotrial.domain.tumour.lesions import (
    DataQualityFlag,
)
from oncotrial.domain.tumour.recist import TimepointResponse
from oncotrial.errors import NotFound


@dataclass(frozen=True)
class SubjectOutcome:
    """One subject's derived outcomes; each time to event carries the rule that decided it."""

    subject_id: str
    site: str
    arm: str
    start_date: date | None
    has_valid_baseline: bool
    measurable_disease: bool
    bor: str
    bor_date: date | None
    confirmed_bor: str
    confirmed_bor_date: date | None
    in_response_population: bool
    responder: bool
    disease_control: bool
    pfs: tte.TimeToEventResult | None
    os: tte.TimeToEventResult | None
    dor: tte.TimeToEventResult | None
    time_to_response: tte.TimeToEventResult | None
    local_control: tte.TimeToEventResult | None
    pfs_12_month_status: bool | None
    worst_ae_grade: int | None
    has_grade_3_4_teae: bool
    has_grade_3_plus_teae: bool
    has_grade_5_teae: bool
    has_grade_3_4_related_teae: bool
    received_therapy: bool
    ibor: str | None = None
    confirmed_ibor: str | None = None
    ipfs: tte.TimeToEventResult | None = None
    duration_of_cr: tte.TimeToEventResult | None = None
    treated_lesions: tuple[lc.TreatedLesionOutcome, ...] = ()
    flags: tuple[DataQualityFlag, ...] = ()

    def to_dict(self) -> dict:
        """A flat, JSON-ready row (dates as ISO text; each time to event as a nested record with
        its deciding rule) for listings, the API and exports."""
        row = {}
        for item in dataclasses.fields(self):
            value = getattr(self, item.name)
            if isinstance(value, tte.TimeToEventResult):
                value = value.to_dict()
            elif isinstance(value, date):
                value = value.isoformat()
            elif item.name == "flags":
                value = [{"code": f.code, "message": f.message, "visit": f.visit,
                          "lesion_id": f.lesion_id} for f in value]
            elif item.name == "treated_lesions":
                value = [_lesion_dict(lesion) for lesion in value]
            row[item.name] = value
        return row


def _lesion_dict(lesion: lc.TreatedLesionOutcome) -> dict:
    row = {}
    for item in dataclasses.fields(lesion):
        value = getattr(lesion, item.name)
        if isinstance(value, tte.TimeToEventResult):
            value = value.to_dict()
        elif isinstance(value, date):
            value = value.isoformat()
        elif isinstance(value, tuple):
            value = list(value)
        row[item.name] = value
    return row


@dataclass(frozen=True)
class DerivedOutcomes:
    """Everything one derivation produced: subject rows, timepoint rows, TEAE records, the input
    problems (with `collect_problems=True`) and the plain-English rules used, for reports."""

    subjects: tuple[SubjectOutcome, ...]
    timepoints: tuple[TimepointResponse, ...]
    adverse_events: tuple[safety.TeaeRecord, ...]
    problems: tuple[DataQualityFlag, ...]
    rules: tuple[str, ...]

    def subject(self, subject_id: str) -> SubjectOutcome:
        found = next((s for s in self.subjects if s.subject_id == subject_id), None)
        if found is None:
            raise NotFound(f"subject {subject_id} is not among the derived subjects",
                           field="subject_id", hint="check the subject id and the data passed")
        return found
