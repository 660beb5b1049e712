"""The one results value of a study at a data cut-off and analysis set, and the call that builds
it: `derive_trial_results`. Pages, the API, the reports and the exports read only this value (or
its `to_data()` form), so their numbers cannot disagree.

Populations: the efficacy tables use the requested analysis set; the safety section always uses
the safety set (spec endpoints.md §4.4: every subject who received protocol therapy), by the arm
whose treatment was received; ORR / DCR use the response population within the set (§1.13).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from oncotrial.domain.outcomes.derivation_rules import DerivationOptions, derive_bor_rules
from oncotrial.domain.outcomes.subject_outcomes import DerivedOutcomes
from oncotrial.domain.protocol.model import Protocol

from ._plain import to_plain
from .adverse_events import SafetyResults, derive_safety_results
from .design_decision import LandmarkDecision, derive_landmark_decision
from .flow import ConsortFlow, SummaryTable, derive_consort_flow, derive_demographics, derive_disposition
from .inputs import SET_KEYS, AnalysisRequest, ArmInfo, SubjectFacts, facts_at_cutoff
from .local_control import LocalControlSummary, derive_local_control_summary
from .notes import note
from .response import ResponseSummary, TumourPlots, derive_response_summary, derive_tumour_plots
from .sets import AnalysisSetResult, select_analysis_set
from .survival import EndpointTime, TimeToEventSummary, derive_time_to_event_summary

LIVE = "live data, not locked"
LOCKED = "locked database snapshot"
TTE_ENDPOINTS = (("PFS", "pfs", "Progression-free survival"), ("OS", "os", "Overall survival"),
                 ("DOR", "dor", "Duration of response"))


@dataclass(frozen=True)
class ResultsHeader:
    """What every page and output carries: study, protocol and version, data cut-off, analysis
    set, software version and the live / locked mark."""

    study: str
    protocol_id: str
    protocol_version: str
    title: str
    data_cutoff: str
    analysis_set: str
    analysis_set_name: str
    software_version: str
    locked: bool
    data_status: str


@dataclass(frozen=True)
class EndpointRule:
    """A protocol endpoint with its registry wording and the derivation rules applied to it."""

    endpoint: str
    name: str
    role: str
    description: str
    rules: tuple[str, ...]


@dataclass(frozen=True)
class TrialResults:
    """The analysis results of one study at one cut-off and analysis set (module text).

    `time_to_event` holds one TTET01 summary per endpoint (PFS, OS, DOR); `landmark_decision` is
    the single-arm design check (None otherwise); `warnings` gathers every section's warnings.
    """

    header: ResultsHeader
    arms: tuple[ArmInfo, ...]
    comparison: tuple[str, str] | None
    analysis_set: AnalysisSetResult
    consort: ConsortFlow
    demographics: SummaryTable
    disposition: SummaryTable
    response: ResponseSummary
    time_to_event: tuple[TimeToEventSummary, ...]
    landmark_decision: LandmarkDecision | None
    local_control: LocalControlSummary
    tumour_plots: TumourPlots
    safety: SafetyResults
    endpoint_rules: tuple[EndpointRule, ...]
    derivation_rules: tuple[str, ...]
    warnings: tuple[str, ...]

    def endpoint(self, name: str) -> TimeToEventSummary:
        """The TTET01 summary of one endpoint ("PFS", "OS", "DOR")."""
        return next(s for s in self.time_to_event if s.endpoint == name.upper())

    def to_data(self) -> dict:
        """Plain JSON-ready data (dates ISO, NaN None) with the same structure and numbers."""
        return to_plain(self)


def find_comparison(arms: Sequence[ArmInfo]) -> tuple[str, str] | None:
    """(experimental, control) arm ids of a two-arm trial, None otherwise: the experimental arm
    is the first of kind "experimental", the control the other one.

    >>> find_comparison([ArmInfo("E", "E", "experimental"), ArmInfo("C", "C", "active_comparator")])
    ('E', 'C')
    """
    if len(arms) != 2:
        return None
    experimental = next((a for a in arms if a.kind == "experimental"), arms[0])
    control = next(a for a in arms if a is not experimental)
    return experimental.id, control.id


def _endpoint_rules(protocol: Protocol, summaries: Sequence[TimeToEventSummary],
                    extra: dict[str, tuple[str, ...]]) -> tuple[EndpointRule, ...]:
    by_rule = {s.endpoint.lower(): tuple(dict.fromkeys(r.rule for r in s.rules)) for s in summaries}
    by_rule.update(extra)
    return tuple(EndpointRule(e.id, e.name, e.role, e.description,
                              by_rule.get(e.rule, by_rule.get(e.rule.split("_")[0], ())))
                 for e in protocol.endpoints)


def _times(members, facts_by_id, attribute: str) -> list[EndpointTime]:
    rows = []
    for outcome, arm in members:
        result = getattr(outcome, attribute)
        if result is not None:
            rows.append(EndpointTime(outcome.subject_id, arm, facts_by_id[outcome.subject_id].stratum,
                                     result.aval_months, result.is_event, result.rule_id,
                                     result.rule_description))
    return rows


def derive_trial_results(protocol: Protocol, facts: Sequence[SubjectFacts], outcomes: DerivedOutcomes,
                         request: AnalysisRequest) -> TrialResults:
    """Every table and figure of the trial report from the subjects' facts and their derived
    outcomes (derived with the same data cut-off), for one analysis set.

    Never raises for thin data: no events, one arm, no responders or no AEs give results with
    warnings. Raises InvalidInput only for an analysis set the protocol cannot resolve.
    """
    known = [f for f in (facts_at_cutoff(f, request.data_cutoff) for f in facts) if f is not None]
    by_id = {f.subject_id: f for f in known}
    derived = {o.subject_id: o for o in outcomes.subjects if o.subject_id in by_id}
    assessed = frozenset(tp.subject_id for tp in outcomes.timepoints)
    chosen = select_analysis_set(protocol, request.analysis_set, known, derived, assessed)
    counts = {key: dict(select_analysis_set(protocol, key, known, derived, assessed).n_by_arm)
              for key in SET_KEYS}
    safety_set = select_analysis_set(protocol, "safety", known, derived, assessed)
    arms = tuple(ArmInfo(a.id, a.name, a.kind) for a in protocol.arms)
    comparison = find_comparison(arms)
    members = [(derived[sid], arm) for sid, arm in chosen.subject_arms if sid in derived]
    confirm = derive_bor_rules(protocol, DerivationOptions(data_cutoff=request.data_cutoff)
                               ).confirmation_required
    population = f"{chosen.name} (N = {chosen.n})"
    summaries = tuple(_tte(endpoint, name, population, members, by_id, attribute, arms, comparison)
                      for endpoint, attribute, name in TTE_ENDPOINTS)
    response = derive_response_summary(members, arms, comparison, confirm, population,
                                       _bor_rules_text(outcomes.rules))
    local = derive_local_control_summary(
        [(arm, o.local_control, o.os) for o, arm in members if o.local_control is not None], arms,
        population)
    safety = _safety(protocol, safety_set, by_id, arms, outcomes, comparison)
    decision = _decision(protocol, summaries[0], members)
    header = ResultsHeader(request.study, protocol.id, protocol.version, protocol.title,
                           request.data_cutoff.isoformat(), chosen.key, chosen.name,
                           request.software_version, request.locked, LOCKED if request.locked else LIVE)
    warnings = _set_warnings(chosen, arms, protocol)
    for part in (*summaries, response, local, safety, decision):
        warnings += list(part.warnings) if part is not None else []
    return TrialResults(
        header, arms, comparison, chosen,
        derive_consort_flow(known, arms, protocol.is_randomized, counts),
        derive_demographics([(by_id[s], a) for s, a in chosen.subject_arms], arms,
                            [f.id for f in protocol.randomization.factors]),
        derive_disposition([(by_id[s], a) for s, a in chosen.subject_arms], arms),
        response, summaries, decision, local,
        derive_tumour_plots(members, _timepoints(outcomes), _treatment(by_id), confirm), safety,
        _endpoint_rules(protocol, summaries, {"local_control": (local.rule,),
                                              "ae_grade_3_4_rate": (safety.rule,)}),
        tuple(outcomes.rules), tuple(dict.fromkeys(warnings)))


def _tte(endpoint, name, population, members, by_id, attribute, arms, comparison):
    rows = _times(members, by_id, attribute)
    label = "responders of " + population if endpoint == "DOR" else population
    return derive_time_to_event_summary(endpoint, name, label, rows, arms, comparison)


def _bor_rules_text(rules: Sequence[str]) -> tuple[str, ...]:
    return tuple(r for r in rules if "response" in r.lower() or "confirm" in r.lower())


def _safety(protocol, safety_set, by_id, arms, outcomes, comparison) -> SafetyResults:
    related_only = any(e.rule == "ae_grade_3_4_rate" and e.parameters.get("related_only")
                       for e in protocol.endpoints)
    rule = next((r for r in outcomes.rules if r.startswith("Grade 3–4")), "")
    return derive_safety_results([(by_id[s], a) for s, a in safety_set.subject_arms], arms,
                                 outcomes.adverse_events, comparison, related_only,
                                 f"{safety_set.name} (N = {safety_set.n})", rule)


def _decision(protocol, pfs: TimeToEventSummary, members) -> LandmarkDecision | None:
    if protocol.is_randomized or len(protocol.arms) != 1:
        return None
    statuses = [o.pfs_12_month_status for o, _ in members if o.pfs is not None]
    return derive_landmark_decision(protocol.design, pfs.arms[0] if pfs.arms else None, statuses)


def _timepoints(outcomes: DerivedOutcomes) -> dict:
    grouped: dict[str, list] = {}
    for tp in outcomes.timepoints:
        grouped.setdefault(tp.subject_id, []).append(tp)
    return grouped


def _treatment(by_id) -> dict:
    return {sid: (f.first_treatment_date, f.last_treatment_date, f.discontinued_on is not None)
            for sid, f in by_id.items()}


def _set_warnings(chosen: AnalysisSetResult, arms, protocol: Protocol) -> list[str]:
    warnings = []
    if chosen.n == 0:
        warnings.append(note("set_empty", f"the {chosen.name} is empty at this cut-off: nothing to analyse",
                             set=chosen.name))
    elif len(arms) > 1 and sum(1 for _, n in chosen.n_by_arm if n) < 2:
        warnings.append(note("one_arm", "only one arm has subjects in the analysis set: no between-arm comparison"))
    if chosen.note:
        warnings.append(note("set_note", chosen.note, detail=chosen.note))
    return warnings

