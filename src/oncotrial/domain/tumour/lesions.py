"""Tumour records as a reader enters them: lesions, measurements, non-target and new-lesion findings.

These frozen records are the input of the RECIST 1.1 engine (`recist.py`), the iRECIST engine
(`irecist.py`) and, through them, of the endpoints (spec endpoints.md §1, §2). Like the records in
`records.py`, every row names its subject, so whole trial tables can be passed in any row order and
grouped with `group_tumour_records`. Sizes are in the unit given (`"mm"` or `"cm"`); the engine turns
them into exact millimetres once (integers kept, anything else as `Decimal`), so thresholds are
compared without binary floating point (spec §0.2). A size without a unit is rejected, never
guessed.

Links between rows: `visit` joins a finding to its `Assessment`; `lesion_id` joins a measurement or
non-target status to its baseline `Lesion`; a `NewLesion` keeps one `lesion_id` across visits so that
an equivocal finding can later be confirmed or resolved (spec §1.7).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from enum import StrEnum

Size = Decimal | int | float | str


class Method(StrEnum):
    """Imaging or examination method (spec §1.1). Only CT, MRI, diagnostic PET-CT, calipers and
    chest X-ray can measure; ultrasound, endoscopy and PET alone cannot."""

    CT = "CT"
    MRI = "MRI"
    PET_CT = "PET-CT"  # the CT part of full diagnostic quality
    CALIPER = "CALIPER"
    XRAY = "X-RAY"
    ULTRASOUND = "US"
    ENDOSCOPY = "ENDOSCOPY"
    PET = "PET"


class LocalTherapy(StrEnum):
    """Local therapy a lesion is planned for or has had (spec §1.14); such lesions are never targets."""

    NONE = "none"
    ABLATION = "ablation"
    MWA = "MWA"
    RFA = "RFA"
    SBRT = "SBRT"


class LesionKind(StrEnum):
    """What kind of lesion, as far as measurability depends on it (spec §1.1 special lesions)."""

    SOLID = "solid"
    CYSTIC = "cystic"
    LYTIC_BONE = "lytic_bone"  # lytic or mixed with a soft-tissue component: measurable by size
    BLASTIC_BONE = "blastic_bone"  # never measurable
    NON_MEASURABLE = "non_measurable"  # ascites, effusion, leptomeningeal, lymphangitic spread


class LesionRole(StrEnum):
    """The reader's baseline choice. `None` on a `Lesion` lets the engine suggest (spec §1.2.5)."""

    TARGET = "target"
    NON_TARGET = "non_target"


class TargetResult(StrEnum):
    """How a target lesion was recorded at one assessment (spec §1.3)."""

    MEASURED = "measured"
    TOO_SMALL = "too_small"  # present but too small to measure: standardised to 5 mm
    DISAPPEARED = "disappeared"  # non-nodal: 0 mm
    SPLIT = "split"  # fragments' diameters are added into the parent lesion
    MERGED = "merged"  # absorbed into `merged_into`, which carries the whole mass; this one is 0
    NOT_EVALUATED = "not_evaluated"


class NonTargetState(StrEnum):
    """The reader's category for one non-target item (spec §1.6)."""

    ABSENT = "absent"
    PRESENT = "present"
    UNEQUIVOCAL_PROGRESSION = "unequivocal_progression"
    NOT_EVALUATED = "not_evaluated"


class NewLesionCertainty(StrEnum):
    """The reader's certainty about a new lesion (spec §1.7). RESOLVED = no longer seen or benign."""

    EQUIVOCAL = "equivocal"
    UNEQUIVOCAL = "unequivocal"
    RESOLVED = "resolved"


@dataclass(frozen=True)
class Lesion:
    """A lesion found at baseline, with a stable id kept for the whole trial.

    `method` is the one method used for this lesion throughout (spec §1.1); `slice_thickness_mm`
    raises the CT/MRI measurability minimum above 10 mm when slices are thicker than 5 mm.
    `treated_by` / `treated_on` tag lesions planned for or treated by ablation or SBRT (§1.14):
    they are non-target items followed by the local-control module. `role` is the reader's target
    choice; leave it `None` to use the engine's suggested selection (§1.2.5).
    """

    subject_id: str
    lesion_id: str
    organ: str
    location: str = ""
    is_lymph_node: bool = False
    method: Method = Method.CT
    treated_by: LocalTherapy = LocalTherapy.NONE
    treated_on: date | None = None
    kind: LesionKind = LesionKind.SOLID
    role: LesionRole | None = None
    slice_thickness_mm: Size | None = None

    @property
    def is_locally_treated(self) -> bool:
        """Planned for or treated by ablation or SBRT (spec §1.14.1)."""
        return self.treated_by != LocalTherapy.NONE


@dataclass(frozen=True)
class Assessment:
    """One tumour assessment (all scans read together as one timepoint).

    `date` is the nominal assessment date; findings may carry their own `scan_date` when the scans
    of one assessment fall on different days (spec §1.10). `cea` / `cea_uln` are the tumour marker
    and its upper limit of normal in ng/mL (§1.6, §1.14.4). `clinically_stable` is the
    investigator's iRECIST stability judgement (§2.2). `sequence`, when given, is the visit order the
    EDC knows: dates must increase with it. `date_imputed` marks a partial date completed by
    `compute_imputed_assessment_date` (flag PARTIAL_DATE_IMPUTED).
    """

    subject_id: str
    visit: str
    date: date
    method: Method = Method.CT
    cea: Size | None = None
    cea_uln: Size | None = None
    clinically_stable: bool | None = None
    sequence: int | None = None
    date_imputed: bool = False


@dataclass(frozen=True)
class LesionMeasurement:
    """One lesion's value at one assessment: LD for non-nodal lesions, short axis for nodes (§1.3).

    At the baseline assessment it gives the size used for measurability and the baseline sum; at
    follow-up only target lesions need one. `size` with `result=MEASURED`; `fragments` with
    `result=SPLIT`; `merged_into` (the lesion carrying the merged mass) with `result=MERGED`.
    """

    subject_id: str
    visit: str
    lesion_id: str
    result: TargetResult = TargetResult.MEASURED
    size: Size | None = None
    unit: str | None = "mm"
    fragments: tuple[Size, ...] = ()
    merged_into: str | None = None
    scan_date: date | None = None
    method: Method | None = None


@dataclass(frozen=True)
class NonTargetStatus:
    """A non-target item's state at one assessment (spec §1.6).

    Nodes may give `size` (short axis): below 10 mm counts as absent. `local_progression` is an
    adjudicated local tumour progression or in-field progression of a locally treated lesion (§1.14.2,
    §5.3, §5.5). `grown` says the item has grown since the previous assessment (iRECIST §2.4).
    """

    subject_id: str
    visit: str
    lesion_id: str
    state: NonTargetState
    size: Size | None = None
    unit: str | None = "mm"
    local_progression: bool = False
    grown: bool = False
    scan_date: date | None = None


@dataclass(frozen=True)
class NewLesion:
    """A lesion not present at baseline, seen at one assessment (spec §1.7, iRECIST §2.3).

    Keep one `lesion_id` for the same finding at every visit: an EQUIVOCAL finding that later becomes
    UNEQUIVOCAL makes PD from the first scan that showed it; one that becomes RESOLVED never counts.
    `method=ULTRASOUND` alone is not enough for PD: it needs CT/MRI confirmation (flag
    NEW_LESION_ON_US_ONLY). `grown` is the reader's "grown since the previous assessment" for iRECIST.
    """

    subject_id: str
    visit: str
    lesion_id: str
    certainty: NewLesionCertainty = NewLesionCertainty.UNEQUIVOCAL
    organ: str = ""
    is_lymph_node: bool = False
    size: Size | None = None
    unit: str | None = "mm"
    method: Method | None = None
    scan_date: date | None = None
    grown: bool = False


@dataclass(frozen=True)
class DataQualityFlag:
    """A data-quality signal (spec §1.15): raised, never silently resolved."""

    code: str
    subject_id: str
    message: str
    visit: str = ""
    lesion_id: str = ""


@dataclass(frozen=True)
class TumourRecords:
    """All tumour rows of one subject, as one value."""

    subject_id: str
    lesions: tuple[Lesion, ...] = ()
    assessments: tuple[Assessment, ...] = ()
    measurements: tuple[LesionMeasurement, ...] = ()
    non_target_statuses: tuple[NonTargetStatus, ...] = ()
    new_lesions: tuple[NewLesion, ...] = ()


def group_tumour_records(
    lesions: Iterable[Lesion] = (),
    assessments: Iterable[Assessment] = (),
    measurements: Iterable[LesionMeasurement] = (),
    non_target_statuses: Iterable[NonTargetStatus] = (),
    new_lesions: Iterable[NewLesion] = (),
) -> dict[str, TumourRecords]:
    """Group whole-trial tumour tables by subject, keeping each table's row order.

    Returns one `TumourRecords` per subject id that appears in any table.

    >>> group_tumour_records([Lesion("01-001", "L1", "liver")])["01-001"].lesions[0].lesion_id
    'L1'
    """
    tables: dict[str, dict[str, list]] = defaultdict(lambda: defaultdict(list))
    named = {
        "lesions": lesions,
        "assessments": assessments,
        "measurements": measurements,
        "non_target_statuses": non_target_statuses,
        "new_lesions": new_lesions,
    }
    for name, rows in named.items():
        for row in rows:
            tables[row.subject_id][name].append(row)
    return {
        subject_id: TumourRecords(subject_id, **{name: tuple(rows) for name, rows in by_name.items()})
        for subject_id, by_name in tables.items()
    }
