"""The protocol as versioned data.

A :class:`Protocol` holds everything the platform needs to run a trial: the registry facts (title,
phase, design, sponsor, sites, enrolment target), the arms and their interventions (drug regimens with
their own cycle clocks, procedures such as ablation and SBRT, and the start rules that tie them
together, e.g. "chemotherapy + camrelizumab 7 days after each ablation"), the imaging schedule, the
endpoints with their derivation rules, randomization, structured eligibility criteria, analysis sets
and the statistical design.

Every fact a registry record does not state is an explicit :class:`Assumption`: the field path it
fills, the value's reasoning and its source, so a sponsor can see at once what to confirm
(seed-trials.md §8). The YAML form is read by :func:`load_protocol` and written by
:func:`dump_protocol`; the two round-trip exactly.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from oncotrial.domain.protocol.checks import check_protocol
from oncotrial.domain.protocol.schema import from_data, to_data
from oncotrial.errors import InvalidInput

Phase = Literal["early_phase1", "phase1", "phase1_phase2", "phase2", "phase2_phase3", "phase3", "phase4", "na"]
DoseBasis = Literal["flat", "bsa", "weight"]
InterventionKind = Literal["drug", "procedure", "radiation"]
ProcedureKind = Literal["ablation", "sbrt", "resection"]
RegimenChoice = Literal["all", "one_per_patient"]
ReanchorPolicy = Literal["restart", "skip", "complete"]
EndpointKind = Literal["time_to_event", "binary", "rate"]
EndpointRole = Literal["primary", "secondary", "exploratory", "safety"]
RandomizationMethod = Literal["none", "simple", "permuted_blocks", "minimization"]
CriterionKind = Literal["inclusion", "exclusion"]
Operator = Literal[">=", "<=", ">", "<", "==", "!=", "in", "not_in", "is_true", "is_false"]


@dataclass(frozen=True)
class Site:
    """A participating site (registry 'locations')."""

    id: str
    name: str
    city: str = ""
    region: str = ""
    country: str = ""
    timezone: str = "UTC"


@dataclass(frozen=True)
class Registry:
    """The registry facts of a study, in ClinicalTrials.gov terms (standards.md §1)."""

    nct_id: str = ""
    brief_title: str = ""
    official_title: str = ""
    acronym: str = ""
    brief_summary: str = ""
    detailed_description: str = ""
    conditions: tuple[str, ...] = ()
    keywords: tuple[str, ...] = ()
    study_type: Literal["interventional", "observational"] = "interventional"
    phase: Phase = "na"
    allocation: Literal["randomized", "non_randomized", "na"] = "na"
    intervention_model: Literal["single_group", "parallel", "crossover", "factorial", "sequential"] = "single_group"
    primary_purpose: Literal["treatment", "prevention", "diagnostic", "supportive_care", "other"] = "treatment"
    masking: Literal["none", "single", "double", "triple", "quadruple"] = "none"
    enrollment: int = 0
    enrollment_type: Literal["estimated", "actual"] = "estimated"
    status: Literal["not_yet_recruiting", "recruiting", "active_not_recruiting", "completed",
                    "suspended", "terminated", "withdrawn", "unknown"] = "unknown"
    sponsor: str = ""
    collaborators: tuple[str, ...] = ()
    contact: str = ""
    notice: str = ""


@dataclass(frozen=True)
class DrugDose:
    """One drug given within a cycle: dose, basis (flat, per m² BSA or per kg), route and days."""

    drug: str
    dose: float
    unit: str
    basis: DoseBasis = "flat"
    route: str = "IV"
    days: tuple[int, ...] = (1,)
    infusion_hours: float | None = None
    note: str = ""


@dataclass(frozen=True)
class Regimen:
    """A cycle of one or more drugs on one clock.

    Drugs on the same ``clock`` share a cycle counter; drugs on different clocks run independently
    (seed-trials.md §2.3: q2w chemotherapy beside a q3w antibody, independent holds). The next cycle is
    anchored on the actual previous day 1, so a delay moves the following cycles.
    """

    id: str
    name: str
    cycle_days: int
    drugs: tuple[DrugDose, ...]
    clock: str = ""
    window_days: int = 3
    max_cycles: int | None = None
    max_days: int | None = None
    stop_at_progression: bool = True

    @property
    def clock_name(self) -> str:
        return self.clock or self.id


@dataclass(frozen=True)
class ProcedureEvent:
    """A local therapy event: ablation session, SBRT course or resection.

    ``response_imaging_days`` plans contrast imaging of each treated site that many days after every
    session (technique efficacy about 4 weeks after ablation: Ahmed et al., Radiology 2014;
    endpoints.md §5.4), with ``response_imaging_window_days`` either side.
    """

    kind: ProcedureKind
    technique: str = ""
    repeatable: bool = False
    max_sessions: int | None = None
    dose_gy: float | None = None
    fractions: int | None = None
    target: str = ""
    response_imaging_days: tuple[int, ...] = ()
    response_imaging_window_days: int = 7


@dataclass(frozen=True)
class Intervention:
    """A registry intervention: a drug (with one or more regimens) or a procedure / radiation."""

    id: str
    kind: InterventionKind
    name: str
    description: str = ""
    name_zh: str = ""
    regimens: tuple[Regimen, ...] = ()
    choice: RegimenChoice = "all"
    procedure: ProcedureEvent | None = None


@dataclass(frozen=True)
class StartRule:
    """When treatment items start relative to an anchor event.

    ``anchor`` is ``enrolment``, ``randomization``, ``procedure:<kind>`` (an ablation session, an SBRT
    course) or ``first_dose:<intervention id>``. With ``each_anchor`` every new anchor event restarts the
    rule (trial A: each ablation is followed 7 days later by chemotherapy + camrelizumab), and
    ``reanchor_policy`` says what happens to a cycle still running when a new anchor falls inside it:
    ``restart`` (cut it short and start again), ``skip`` (ignore the new anchor) or ``complete``
    (finish the running cycle, then restart) — seed-trials.md §2.3.
    """

    items: tuple[str, ...]
    anchor: str
    offset_days: int = 0
    window_days: int = 0
    each_anchor: bool = False
    reanchor_policy: ReanchorPolicy = "restart"


@dataclass(frozen=True)
class Arm:
    """A study arm: its interventions and the rules that start them."""

    id: str
    name: str
    kind: Literal["experimental", "active_comparator", "placebo_comparator", "no_intervention", "other"]
    description: str = ""
    name_zh: str = ""
    interventions: tuple[str, ...] = ()
    starts: tuple[StartRule, ...] = ()


@dataclass(frozen=True)
class SchedulePhase:
    """Assessments every ``interval_days`` (± ``window_days``) until study day ``until_day``."""

    interval_days: int
    window_days: int
    until_day: int | None = None


@dataclass(frozen=True)
class AssessmentSchedule:
    """Tumour imaging calendar, anchored on randomization or enrolment, never on cycles.

    Anchoring on the randomization date keeps scans on the same days in both arms whatever the
    treatment delays, so PFS is not biased between arms (seed-trials.md §3.3; FDA PFS guidance).
    """

    anchor: Literal["randomization", "enrolment", "first_treatment"]
    phases: tuple[SchedulePhase, ...]
    baseline_window_days: int = 28
    method: str = "CT/MRI"
    tumour_marker: str = "CEA"
    stop_at_progression: bool = True
    survival_contact_days: int = 90
    survival_contact_window_days: int = 14


@dataclass(frozen=True)
class EndpointDef:
    """An endpoint: its registry wording plus the rule (with parameters) that derives it."""

    id: str
    name: str
    kind: EndpointKind
    role: EndpointRole
    rule: str
    description: str = ""
    time_frame: str = ""
    time_frame_months: float | None = None
    parameters: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class StratificationFactor:
    """A stratification (or minimization) factor: the subject field it reads and its levels."""

    id: str
    name: str
    levels: tuple[str, ...]
    field: str = ""
    name_zh: str = ""


@dataclass(frozen=True)
class ArmWeight:
    arm: str
    weight: int


@dataclass(frozen=True)
class RandomizationSpec:
    """How subjects are allocated: ratio, method, strata, block sizes, minimization settings."""

    method: RandomizationMethod
    ratio: tuple[ArmWeight, ...] = ()
    factors: tuple[StratificationFactor, ...] = ()
    stratify_by_site: bool = False
    block_multiples: tuple[int, ...] = (1, 2)
    minimization_probability: float = 0.8
    minimization_measure: Literal["range", "variance"] = "range"


@dataclass(frozen=True)
class EligibilityCriterion:
    """One eligibility criterion in structured form, with the protocol's original text."""

    id: str
    kind: CriterionKind
    text: str
    field: str = ""
    text_zh: str = ""  # the criterion in Simplified Chinese, beside the protocol's English
    operator: Operator | None = None
    value: Any = None
    unit: str = ""


@dataclass(frozen=True)
class AnalysisSet:
    id: str
    name: str
    definition: str


@dataclass(frozen=True)
class Design:
    """The statistical design and the assumptions that size it (seed-trials.md §4–§5)."""

    method: Literal["simon_two_stage", "single_arm_landmark", "two_arm_logrank", "none"]
    alpha: float = 0.05
    sides: Literal[1, 2] = 1
    power: float = 0.8
    p0: float | None = None
    p1: float | None = None
    landmark_months: float | None = None
    control_landmark_rate: float | None = None
    hazard_ratio: float | None = None
    accrual_months: float | None = None
    followup_months: float | None = None
    dropout_per_year: float = 0.0
    events_at_analysis: int | None = None
    sample_size: int | None = None


@dataclass(frozen=True)
class Assumption:
    """A value the registry does not state: where it sits, why it was chosen, where it comes from."""

    path: str
    reason: str
    source: str = ""


@dataclass(frozen=True)
class Protocol:
    """A versioned study protocol (see the module docstring)."""

    id: str
    version: str
    title: str
    registry: Registry
    sites: tuple[Site, ...]
    interventions: tuple[Intervention, ...]
    arms: tuple[Arm, ...]
    assessment_schedule: AssessmentSchedule
    endpoints: tuple[EndpointDef, ...]
    randomization: RandomizationSpec
    eligibility: tuple[EligibilityCriterion, ...] = ()
    analysis_sets: tuple[AnalysisSet, ...] = ()
    design: Design = Design(method="none")
    assumptions: tuple[Assumption, ...] = ()

    def arm(self, arm_id: str) -> Arm:
        return _find(self.arms, arm_id, "arm", self.id)

    def intervention(self, intervention_id: str) -> Intervention:
        return _find(self.interventions, intervention_id, "intervention", self.id)

    def endpoint(self, endpoint_id: str) -> EndpointDef:
        return _find(self.endpoints, endpoint_id, "endpoint", self.id)

    @property
    def primary_endpoints(self) -> tuple[EndpointDef, ...]:
        return tuple(e for e in self.endpoints if e.role == "primary")

    @property
    def is_randomized(self) -> bool:
        return self.randomization.method != "none"


def _find(items, item_id: str, what: str, protocol_id: str):
    for item in items:
        if item.id == item_id:
            return item
    known = ", ".join(item.id for item in items)
    raise InvalidInput(f"protocol {protocol_id} has no {what} '{item_id}'; known: {known}", field=what)


def load_protocol(text: str, source: str = "<protocol>") -> Protocol:
    """Read a protocol from its YAML form and validate it.

    Errors name ``source`` (the file), the field path (``arms[1].starts[0].anchor``) and what is
    allowed there.

    >>> from oncotrial.protocols import load_builtin_protocol
    >>> p = load_builtin_protocol("crlm-sbrt-sintilimab")
    >>> load_protocol(dump_protocol(p)) == p
    True
    """
    import yaml  # local: keeps `import oncotrial.domain` light

    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as error:
        raise InvalidInput(f"{source}: not valid YAML: {error}", hint="check indentation and quoting") from None
    protocol = from_data(Protocol, data, source=source)
    check_protocol(protocol, source)
    return protocol


def dump_protocol(protocol: Protocol) -> str:
    """Write a protocol in its YAML form (the exact inverse of :func:`load_protocol`)."""
    import yaml

    return yaml.safe_dump(to_data(protocol), sort_keys=False, allow_unicode=True, width=100)




















