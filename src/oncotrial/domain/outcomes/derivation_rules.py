"""Rule resolution for the per-subject derivation: the platform options with their defaults and the
rule values (event, censoring, confirmation, SD duration, TEAE windows) resolved once per trial from
the protocol (spec endpoints.md §0.3, §7). `derive.derive_subject_outcomes` applies them.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from oncotrial.domain.outcomes import endpoints as ep
from oncotrial.domain.outcomes import safety
from oncotrial.domain.outcomes import time_to_event as tte
from oncotrial.domain.protocol.model import AssessmentSchedule, Protocol
from oncotrial.domain.tumour.response import (
    SAME_DATE_RULES,
    WORST_RECORD_PER_DATE,
    BorRules,
    ConfirmationRule,
    EvaluationWindowRule,
    SdDurationRule,
)
from oncotrial.domain.tumour.rules import RecistRules
from oncotrial.errors import InvalidInput

START_DATE_RULES = ("protocol", "randomization", "enrolment", "first_therapy", "first_dose",
                    "first_local_treatment")


@dataclass(frozen=True)
class DerivationOptions:
    """Every platform choice of spec §0.3 and §7 that the derivation makes, with its default.

    `None` means "as the protocol says" (its endpoint parameters and schedule), falling back to the
    spec default. `start_date_rule` (§7.1): "protocol" = randomisation date when randomised, else the
    first protocol therapy of any kind (drug, ablation or SBRT). `recist_rules=None` takes the
    spec defaults with the protocol's baseline window. `derive_irecist` (§7.6): iRECIST
    is exploratory and derived only on request; `iupd_unconfirmed_counts_as_event` is its §2.6
    default for iPFS. `same_date_rule` names the `tumour.response.SAME_DATE_RULES` value that picks
    between two overall responses on one date: the worst record (default, spec §1.9) or
    `EVALUABLE_OVER_NE` (an evaluable record beats NE, as admiralonco's ADRS templates rank them).
    """

    data_cutoff: date
    start_date_rule: str = "protocol"
    pfs_style: str | None = None
    censor_at_new_anticancer_therapy: bool | None = None
    apply_missed_visit_rule: bool | None = None
    nact_assessment_inclusion: str = "on_or_before"
    recist_rules: RecistRules | None = None
    confirmation_required: bool | None = None
    confirm_min_days: int | None = None
    confirm_max_ne_between: int = 1
    confirm_allow_sd_between: bool = False
    sd_min_days: int | None = None
    include_non_measurable_in_dcr: bool = False
    derive_irecist: bool = False
    iupd_unconfirmed_counts_as_event: bool = True
    teae_window: safety.TeaeWindow | None = None
    missing_grade_imputation: int | None = None
    sbrt_anchor: str = "first_fraction"
    landmark_days: float = tte.DAYS_PER_YEAR
    same_date_rule: str = WORST_RECORD_PER_DATE.name

    def __post_init__(self) -> None:
        if self.start_date_rule not in START_DATE_RULES:
            raise InvalidInput(f"start_date_rule is {self.start_date_rule!r}",
                               field="start_date_rule", hint=f"allowed: {', '.join(START_DATE_RULES)}")
        if self.same_date_rule not in SAME_DATE_RULES:
            raise InvalidInput(f"same_date_rule is {self.same_date_rule!r}", field="same_date_rule",
                               hint=f"allowed: {', '.join(SAME_DATE_RULES)}")



@dataclass(frozen=True)
class DerivationRules:
    """The rule values for one trial, resolved once from the protocol and the options."""

    pfs: tte.TimeToEventDefinition
    ipfs: tte.TimeToEventDefinition
    dor: tte.TimeToEventDefinition
    os: tte.TimeToEventDefinition
    bor: BorRules
    missed_visit: tte.MissedVisitRule
    randomized: bool
    local_control_from_start: bool = False
    teae_window: safety.TeaeWindow = safety.TeaeWindow()
    recist: RecistRules = RecistRules()


def derive_missed_visit_rule(schedule: AssessmentSchedule) -> tte.MissedVisitRule:
    """The missed-visit threshold from the protocol's imaging schedule: 2 × the interval in force +
    its visit window, per schedule phase (spec §0.3 `missed_visit_threshold_days`, §3.2).

    >>> from oncotrial.domain.protocol.model import SchedulePhase
    >>> rule = derive_missed_visit_rule(AssessmentSchedule("randomization", (SchedulePhase(56, 7),)))
    >>> rule.threshold_days(date(2024, 2, 26), date(2024, 1, 1))
    119
    """
    phases = tuple((p.until_day, p.interval_days, p.window_days) for p in schedule.phases)
    return tte.MissedVisitRule(phases, schedule.phases[0].window_days)


def _endpoint_parameter(protocol: Protocol, endpoint_rules: tuple[str, ...], name: str):
    for endpoint in protocol.endpoints:
        if endpoint.rule in endpoint_rules and name in endpoint.parameters:
            return endpoint.parameters[name]
    return None


def resolve_derivation_rules(protocol: Protocol, options: DerivationOptions) -> DerivationRules:
    """Every rule value the derivation applies, from the protocol's endpoints and schedule and the
    options: PFS (FDA or EMA, missed-visit rule, new-therapy censoring), iPFS, DoR, OS, BOR
    confirmation and SD duration, TEAE windows and the RECIST baseline window (spec §0.3, §7)."""
    missed = derive_missed_visit_rule(protocol.assessment_schedule)
    style = options.pfs_style or str(_endpoint_parameter(protocol, ("pfs", "pfs_landmark_rate"),
                                                         "style") or "FDA").upper()
    pfs_options = dict(style=style, nact_assessment_inclusion=options.nact_assessment_inclusion,
                       censor_at_new_anticancer_therapy=options.censor_at_new_anticancer_therapy,
                       apply_missed_visit_rule=options.apply_missed_visit_rule)
    ipfs = ep.ipfs_definition(
        missed, iupd_unconfirmed_counts_as_event=options.iupd_unconfirmed_counts_as_event,
        **pfs_options)
    return DerivationRules(pfs=ep.pfs_definition(missed, **pfs_options), ipfs=ipfs,
                  dor=ep.dor_definition(missed, **pfs_options), os=ep.os_definition(),
                  bor=derive_bor_rules(protocol, options), missed_visit=missed,
                  randomized=protocol.is_randomized,
                  local_control_from_start=_endpoint_parameter(
                      protocol, ("local_control",), "origin") in ("randomization", "enrolment"),
                  teae_window=options.teae_window or derive_teae_window(protocol),
                  recist=options.recist_rules or RecistRules(
                      baseline_window_days=protocol.assessment_schedule.baseline_window_days))


def derive_teae_window(protocol: Protocol) -> safety.TeaeWindow:
    """TEAE windows from the protocol's AE endpoint parameters (`teae_window_days`,
    `immune_related_window_days`, `serious_window_days`), else the spec's 30 days (§0.3)."""
    rules = ("ae_grade_3_4_rate", "ae_rate", "teae")

    def read(name):
        value = _endpoint_parameter(protocol, rules, name)
        return None if value is None else int(value)

    return safety.TeaeWindow(teae_window_days=read("teae_window_days") or 30,
                             immune_related_window_days=read("immune_related_window_days"),
                             serious_window_days=read("serious_window_days"))


def derive_bor_rules(protocol: Protocol, options: DerivationOptions) -> BorRules:
    """Confirmation is required when ORR is the primary endpoint of a non-randomised trial (RECIST
    1.1 §4.4.2, spec §0.3), or when the protocol's ORR endpoint says so."""
    required = options.confirmation_required
    if required is None:
        stated = _endpoint_parameter(protocol, ("orr",), "require_confirmation")
        orr_primary = any(e.rule == "orr" for e in protocol.primary_endpoints)
        required = bool(stated) if stated is not None else (orr_primary and not protocol.is_randomized)
    min_days = options.confirm_min_days or _endpoint_parameter(
        protocol, ("orr",), "confirmation_min_days") or 28
    sd_min = options.sd_min_days or _endpoint_parameter(protocol, ("dcr", "orr"), "sd_min_days") or 42
    return BorRules(
        confirmation=ConfirmationRule(min_days=int(min_days),
                                      max_ne_between=options.confirm_max_ne_between,
                                      allow_sd_between=options.confirm_allow_sd_between),
        sd_duration=SdDurationRule(min_days=int(sd_min)),
        window=EvaluationWindowRule(
            include_new_therapy_day=options.nact_assessment_inclusion == "on_or_before",
            same_date=SAME_DATE_RULES[options.same_date_rule]),
        confirmation_required=required,
        non_cr_non_pd_is_disease_control=options.include_non_measurable_in_dcr)
