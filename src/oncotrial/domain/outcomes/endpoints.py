"""PFS, OS, DoR, TTR and iPFS as rule values for the time-to-event engine, and the per-subject
facts they read (spec endpoints.md §3.3–3.6).

Each preset is an EventRule / CensorRule set with plain-English descriptions that pages and reports
print; the engine itself is `time_to_event`.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta

from oncotrial.domain.outcomes.time_to_event import (
    ADEQUATE_RESPONSES,
    PD,
    START_CENSOR,
    CensorRule,
    EventCandidate,
    EventRule,
    MissedVisitRule,
    TimeToEventData,
    TimeToEventDefinition,
    TimeToEventResult,
    compute_study_days,
)
from oncotrial.errors import InvalidInput

# --- presets (spec §3.3–3.6) -------------------------------------------------------------------

PD_EVENT = EventRule("PD", "First documented radiological progression (RECIST 1.1), dated by "
                     "FDA's first-evidence rule (spec §1.10).", "PD")
DEATH_EVENT = EventRule("DEATH", "Death from any cause.", "DEATH")
ICPD_EVENT = EventRule("iCPD", "Confirmed iRECIST progression, dated at the first iUPD of the "
                       "confirmed block (spec §2.6).", "iCPD")
IUPD_UNCONFIRMED_EVENT = EventRule(
    "iUPD", "Unconfirmed iUPD never reset and never confirmed, counted as progression at its date "
    "(platform default iupd_unconfirmed_counts_as_event, spec §2.6).", "iUPD")
LAST_ADEQUATE = CensorRule(
    "LAST_ADEQUATE_ASSESSMENT", "No progression or death: censored at the last adequate tumour "
    "assessment (FDA Table A F3–F5).", "last_adequate_assessment", 1)
LAST_KNOWN_ALIVE = CensorRule(
    "LAST_KNOWN_ALIVE", "Alive: censored at the last known alive date, never after the data "
    "cut-off (spec §3.4).", "last_known_alive", 1)


def pfs_definition(
    missed_visit_rule: MissedVisitRule | None,
    *,
    style: str = "FDA",
    censor_at_new_anticancer_therapy: bool | None = None,
    apply_missed_visit_rule: bool | None = None,
    nact_assessment_inclusion: str = "on_or_before",
) -> TimeToEventDefinition:
    """PFS as rules: PD or death; FDA style by default, EMA style on request (spec §3.3).

    FDA style (2007 guidance Table A) censors at new anticancer therapy and after two or more missed
    assessments; EMA style (EMA/CHMP/27994/2008/Rev.1) counts events regardless. The two switches
    override the style one by one, for sensitivity analyses.

    >>> pfs_definition(MissedVisitRule(((None, 56),), 7)).missed_visit_rule.visit_window_days
    7
    """
    if style not in ("FDA", "EMA"):
        raise InvalidInput(f"PFS style is {style!r}", field="style", hint="allowed: FDA, EMA")
    fda = style == "FDA"
    censor_nact = fda if censor_at_new_anticancer_therapy is None else censor_at_new_anticancer_therapy
    apply_missed = fda if apply_missed_visit_rule is None else apply_missed_visit_rule
    return TimeToEventDefinition(
        endpoint="PFS",
        description=f"Progression-free survival (RECIST 1.1), {style}-style censoring.",
        event_rules=(PD_EVENT, DEATH_EVENT), censor_rules=(START_CENSOR, LAST_ADEQUATE),
        missed_visit_rule=missed_visit_rule if apply_missed else None,
        censor_at_new_anticancer_therapy=censor_nact,
        nact_assessment_inclusion=nact_assessment_inclusion)


def os_definition() -> TimeToEventDefinition:
    """OS as rules: death from any cause vs the last known alive date, capped at the DCO; no
    missed-visit or new-therapy censoring (spec §3.4; admiralonco `death_event` / `lastalive_censor`).

    >>> os_definition().event_rules[0].id
    'DEATH'
    """
    return TimeToEventDefinition(
        endpoint="OS", description="Overall survival: death from any cause.",
        event_rules=(DEATH_EVENT,), censor_rules=(START_CENSOR, LAST_KNOWN_ALIVE),
        missed_visit_rule=None, censor_at_new_anticancer_therapy=False, require_baseline=False)


def dor_definition(missed_visit_rule: MissedVisitRule | None, **pfs_options) -> TimeToEventDefinition:
    """Duration of response: PFS rules started at the first response (spec §3.5; RECIST 1.1 §4.4).

    The missed-visit rule uses the last adequate assessment on or after the response date.
    """
    pfs = pfs_definition(missed_visit_rule, **pfs_options)
    return TimeToEventDefinition(
        endpoint="DOR", description="Duration of response: first CR/PR to PD or death.",
        event_rules=pfs.event_rules, censor_rules=(START_CENSOR, LAST_ADEQUATE),
        missed_visit_rule=pfs.missed_visit_rule,
        censor_at_new_anticancer_therapy=pfs.censor_at_new_anticancer_therapy,
        nact_assessment_inclusion=pfs.nact_assessment_inclusion, require_baseline=False)


def ipfs_definition(
    missed_visit_rule: MissedVisitRule | None, *, iupd_unconfirmed_counts_as_event: bool = True,
    **pfs_options,
) -> TimeToEventDefinition:
    """iPFS: PFS with the iRECIST progression date (spec §3.6, §2.6; Seymour 2017).

    By default an iUPD never confirmed and never reset counts at its date; deaths always count.
    """
    pfs = pfs_definition(missed_visit_rule, **pfs_options)
    events = (ICPD_EVENT, IUPD_UNCONFIRMED_EVENT) if iupd_unconfirmed_counts_as_event else (ICPD_EVENT,)
    return TimeToEventDefinition(
        endpoint="iPFS", description="iRECIST progression-free survival.",
        event_rules=events + (DEATH_EVENT,), censor_rules=(START_CENSOR, LAST_ADEQUATE),
        missed_visit_rule=pfs.missed_visit_rule,
        censor_at_new_anticancer_therapy=pfs.censor_at_new_anticancer_therapy,
        nact_assessment_inclusion=pfs.nact_assessment_inclusion)


# --- building one subject's facts ---------------------------------------------------------------

@dataclass(frozen=True)
class AssessmentOutcome:
    """One post-baseline overall timepoint response as the endpoints need it.

    `date` is the assessment date (latest scan by default, spec §1.10); for a PD, `pd_date` is the
    first-evidence date (earliest new-lesion scan, backdated equivocal lesion, ...), default `date`.
    """

    date: date
    response: str
    pd_date: date | None = None


def derive_pfs_data(
    subject_id: str,
    start_date: date,
    outcomes: Iterable[AssessmentOutcome],
    *,
    death_date: date | None = None,
    new_therapy_date: date | None = None,
    has_valid_baseline: bool = True,
    follow_up_status: str = "ONGOING",
    progression_responses: frozenset[str] = frozenset({PD}),
    adequate_responses: frozenset[str] = ADEQUATE_RESPONSES,
) -> TimeToEventData:
    """Collect one subject's PFS facts: PD candidates (dated per spec §1.10, observed on their
    assessment date), death, adequate assessment dates (spec §3.2), the new-therapy date."""
    outcomes = sorted(outcomes, key=lambda o: o.date)
    events = [EventCandidate("PD" if o.response in progression_responses else o.response,
                             o.pd_date or o.date, o.date, f"assessment {o.date}")
              for o in outcomes if o.response in progression_responses]
    if death_date is not None:
        events.append(EventCandidate("DEATH", death_date, None, f"death {death_date}"))
    return TimeToEventData(
        subject_id=subject_id, start_date=start_date, events=tuple(events),
        adequate_dates=tuple(o.date for o in outcomes if o.response in adequate_responses),
        has_valid_baseline=has_valid_baseline, new_therapy_date=new_therapy_date,
        follow_up_status=follow_up_status)


def derive_os_data(
    subject_id: str, start_date: date, *, death_date: date | None,
    last_known_alive_date: date | None,
) -> TimeToEventData:
    """Collect one subject's OS facts (spec §3.4). A death implies life until the day before it, so
    a death after the DCO censors at the DCO (case O-04)."""
    alive = [d for d in (last_known_alive_date,) if d is not None]
    if death_date is not None:
        alive.append(death_date - timedelta(days=1))
    censors = {"last_known_alive": max(alive)} if alive else {}
    events = (EventCandidate("DEATH", death_date, None, f"death {death_date}"),) if death_date else ()
    return TimeToEventData(subject_id=subject_id, start_date=start_date, events=events,
                           censor_dates=censors)


def derive_dor_data(pfs_data: TimeToEventData, response_date: date) -> TimeToEventData:
    """DoR facts: the subject's PFS facts restarted at the first response (spec §3.5)."""
    return TimeToEventData(
        subject_id=pfs_data.subject_id, start_date=response_date, events=pfs_data.events,
        adequate_dates=tuple(d for d in pfs_data.adequate_dates if d >= response_date),
        new_therapy_date=pfs_data.new_therapy_date, follow_up_status=pfs_data.follow_up_status)


def derive_time_to_response(
    subject_id: str, start_date: date, first_response_date: date | None
) -> TimeToEventResult | None:
    """Time to response: start to the first CR/PR (the first assessment of the confirmed pair when
    confirmation is used), responders only, +1 convention (spec §1.13; case T-01: d56 → 57 days)."""
    if first_response_date is None:
        return None
    rule = EventRule("RESPONSE", "First CR or PR (first assessment of the qualifying pair).", "CR/PR")
    adt = max(first_response_date, start_date)
    return TimeToEventResult(subject_id, "TTR", start_date, adt, compute_study_days(adt, start_date),
                             0, rule.id, rule.description, f"assessment {first_response_date}")
