"""Subject-level input records for the derivations: who, when treated, dosed, harmed, died.

Lesions and tumour assessments live in `lesions.py`; everything else a derivation needs from the
EDC is here. Every record names its subject, so that a derivation can take whole trial tables in any
row order and group them itself (spec endpoints.md §3, §4, §5). All records are frozen: a derivation
never changes its input.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from types import MappingProxyType

# NCI five-level attribution scale (spec §4.3); "related" = possible, probable or definite.
ATTRIBUTION_LEVELS = ("unrelated", "unlikely", "possible", "probable", "definite")
RELATED_ATTRIBUTIONS = frozenset({"possible", "probable", "definite"})

# Kinds of protocol procedure the platform knows (spec §1.14, §5).
PROCEDURE_KINDS = ("MWA", "RFA", "SBRT", "RESECTION", "OTHER")
LOCAL_THERAPY_KINDS = frozenset({"MWA", "RFA", "SBRT"})

# How follow-up ended, for the censoring description of a subject without an event (spec §3.3 F3).
FOLLOW_UP_STATUSES = ("ONGOING", "LOST", "WITHDREW", "COMPLETED")


@dataclass(frozen=True)
class Subject:
    """One trial subject and the reference dates the endpoint rules start from.

    `start_date` is the analysis start (STARTDT, spec §0.3 `start_date`): the randomisation date in a
    randomised trial, the first protocol therapy of any kind in a single-arm trial. Leave it `None`
    to let `derive_subject_outcomes` choose by that rule from the other dates.
    `last_known_alive_date` is the latest date with evidence of life that the EDC holds outside the
    tables passed to the derivation (survival contacts); the derivation also looks at visits, doses,
    assessments and AEs (spec §3.4).
    """

    subject_id: str
    site: str = ""
    arm: str = ""
    enrolment_date: date | None = None
    randomization_date: date | None = None
    start_date: date | None = None
    last_known_alive_date: date | None = None
    follow_up_status: str = "ONGOING"
    stratum: str = ""


@dataclass(frozen=True)
class Procedure:
    """One local-therapy session (ablation, SBRT fraction course, resection).

    `lesion_ids` are the lesions treated in the session. For SBRT, `date` is the first fraction and
    `end_date` the last (spec §3.7: the TTLP anchor is the first fraction by default).
    `planned` = part of protocol treatment; an unplanned local therapy is new anticancer therapy
    (spec §1.14.5) and should also be recorded as `NewAnticancerTherapy`.
    `technical_success` is judged on imaging at the end of the procedure (spec §5.2).
    """

    subject_id: str
    procedure_id: str
    kind: str
    date: date
    lesion_ids: tuple[str, ...] = ()
    end_date: date | None = None
    planned: bool = True
    technical_success: bool | None = None


@dataclass(frozen=True)
class Dose:
    """One administration of a protocol drug (component e.g. "anti-PD-1", "chemotherapy")."""

    subject_id: str
    date: date
    component: str
    drug: str = ""
    amount: float | None = None
    unit: str = ""


@dataclass(frozen=True)
class AdverseEvent:
    """One AE record at one CTCAE grade (a grade change is a new record with the same `event_id`).

    `grade` is 1–5 or `None` when the investigator left it missing (spec §0.3 `missing_ae_grade`).
    `attributions` maps each treatment component ("anti-PD-1", "chemotherapy", "procedure") to a level
    of `ATTRIBUTION_LEVELS`, or `None` when missing (counted as related, spec §4.3).
    `event_id` groups the records of one event over its grade changes; it defaults to `ae_id`.
    `ctcae_version` is stored with each record so that a later CTCAE version never re-grades silently.
    """

    subject_id: str
    ae_id: str
    term: str
    start_date: date
    grade: int | None
    soc: str = ""
    end_date: date | None = None
    ctcae_version: str = "5.0"
    attributions: MappingProxyType | dict = field(default_factory=dict)
    serious: bool = False
    immune_related: bool = False
    procedure_related: bool = False
    led_to_discontinuation: bool = False
    led_to_interruption: bool = False
    event_id: str = ""

    def __post_init__(self) -> None:
        object.__setattr__(self, "attributions", MappingProxyType(dict(self.attributions)))
        if not self.event_id:
            object.__setattr__(self, "event_id", self.ae_id)

    def __hash__(self) -> int:
        return hash((self.subject_id, self.ae_id, self.term, self.start_date, self.grade))


@dataclass(frozen=True)
class Death:
    """A subject's death; `cause` is free text ("disease progression", "sepsis", ...)."""

    subject_id: str
    date: date
    cause: str = ""


@dataclass(frozen=True)
class NewAnticancerTherapy:
    """A therapy outside the protocol plan, tagged by the data manager (spec §1.14.5, §3.3 F6).

    Only the earliest one per subject matters for the endpoint windows.
    """

    subject_id: str
    start_date: date
    description: str = ""


@dataclass(frozen=True)
class TreatedSiteAssessment:
    """Imaging of one locally treated lesion's site (spec §5.2–5.5).

    `finding` is one of:
    - "COMPLETE": no viable tumour in the zone (a technique-efficacy or surveillance scan);
    - "RESIDUAL": viable tumour at the zone at the technique-efficacy scan (incomplete ablation);
    - "LTP": tumour foci at the edge of a zone that was shown completely ablated (or SBRT in-field
      progression adjudicated by the reader);
    - "EQUIVOCAL": suspicious, not yet adjudicated; a later "LTP" backdates to it (spec §5.3);
    - "NO_PROGRESSION": an SBRT-treated lesion assessed without in-field progression (spec §5.5);
    - "NOT_EVALUABLE": the site could not be assessed (not an adequate site assessment).
    `longest_diameter_mm` carries the SBRT lesion's size when the protocol follows it by size (§5.5).
    `technique_efficacy_scan` marks the prospectively defined early scan (spec §5.2).
    """

    subject_id: str
    lesion_id: str
    date: date
    finding: str
    longest_diameter_mm: float | None = None
    technique_efficacy_scan: bool = False


SITE_FINDINGS = ("COMPLETE", "RESIDUAL", "LTP", "EQUIVOCAL", "NO_PROGRESSION", "NOT_EVALUABLE")
