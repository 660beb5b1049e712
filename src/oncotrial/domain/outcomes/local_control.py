"""Local control of ablated and irradiated lesions (spec endpoints.md §3.7 and §5).

Per treated lesion: technical success, primary and secondary technique efficacy, time to local tumour
progression (TTLP), LTP-free survival (LTPFS) and the intention-to-treat sensitivity TTLP in which an
incomplete ablation is a local failure at its technique-efficacy scan; per patient: time to the first
LTP of any treated lesion. Definitions follow Ahmed et al., Radiology 2014;273:241–260 (terminology,
10-year update) and Puijk et al., Radiology 2021 (SIO–DATECAN time-to-event endpoints). The times run
through the one engine of `endpoints.py`, fed the rules below.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from fractions import Fraction

from oncotrial.domain.outcomes import endpoints as ep
from oncotrial.domain.outcomes import time_to_event as tte
from oncotrial.domain.outcomes.records import LOCAL_THERAPY_KINDS, Procedure, TreatedSiteAssessment
from oncotrial.errors import InvalidInput

SBRT_ANCHORS = ("first_fraction", "last_fraction")
_ADEQUATE_SITE = frozenset({"COMPLETE", "NO_PROGRESSION"})

LTP_EVENT = tte.EventRule("LTP", "Local tumour progression at the ablation-zone edge after documented "
                         "complete ablation, or SBRT in-field progression (spec §5.3, §5.5).", "LTP")
LAST_SITE_IMAGING = tte.CensorRule(
    "LAST_SITE_IMAGING", "No local progression: censored at the last imaging that adequately "
    "assessed the treated site (spec §3.7).", "last_adequate_assessment", 1)
NEW_LOCAL_THERAPY = tte.CensorRule(
    "NEW_LOCAL_THERAPY", "Further local therapy to the lesion before local progression: censored at "
    "the last adequate site imaging on or before it (spec §3.7).", "last_adequate_assessment", 4)
INCOMPLETE_ABLATION = tte.EventRule(
    "INCOMPLETE_ABLATION", "Technique-efficacy failure counted as local failure at the "
    "technique-efficacy scan (intention-to-treat sensitivity, spec §3.7).", "RESIDUAL")


def ttlp_definition() -> tte.TimeToEventDefinition:
    """TTLP: LTP of the lesion; death and new local therapy to it are censored (spec §3.7)."""
    return tte.TimeToEventDefinition(
        endpoint="TTLP", description="Time to local tumour progression (per treated lesion).",
        event_rules=(LTP_EVENT,), censor_rules=(tte.START_CENSOR, LAST_SITE_IMAGING),
        missed_visit_rule=None, require_baseline=False, new_therapy_rule=NEW_LOCAL_THERAPY)


def ltpfs_definition(missed_visit_rule: tte.MissedVisitRule | None) -> tte.TimeToEventDefinition:
    """LTPFS: LTP or death from any cause, with the missed-visit rule of §3.2 (spec §3.7)."""
    return tte.TimeToEventDefinition(
        endpoint="LTPFS", description="Local-tumour-progression-free survival (per treated lesion).",
        event_rules=(LTP_EVENT, ep.DEATH_EVENT), censor_rules=(tte.START_CENSOR, LAST_SITE_IMAGING),
        missed_visit_rule=missed_visit_rule, require_baseline=False,
        new_therapy_rule=NEW_LOCAL_THERAPY)


@dataclass(frozen=True)
class TreatedLesionOutcome:
    """Local-control results of one treated lesion (spec §3.7, §5.2).

    `ttlp` / `ltpfs` are None for a lesion never shown completely ablated (a technique-efficacy
    failure, or no follow-up imaging): it is outside the TTLP risk set. `ttlp_itt` counts an
    incomplete ablation as failure at the technique-efficacy scan.
    """

    subject_id: str
    lesion_id: str
    modality: str
    technical_success: bool | None
    primary_technique_efficacy: bool | None
    secondary_technique_efficacy: bool | None
    ltp_date: date | None
    ttlp: tte.TimeToEventResult | None
    ltpfs: tte.TimeToEventResult | None
    ttlp_itt: tte.TimeToEventResult | None
    notes: tuple[str, ...] = ()


def compute_in_field_progression(pre_treatment_mm, follow_up_mm: Iterable) -> int | None:
    """Index of the first follow-up size ≥ 20% and ≥ 5 mm over the lesion's own nadir (which
    includes the pre-SBRT size), or None (spec §5.5; case L-05: nadir 18 → 23 progresses, 22 not).
    Exact arithmetic (spec §0.2: `S − N ≥ 5` and `5·S ≥ 6·N`).

    >>> compute_in_field_progression(30, [18, 23])
    1
    """
    nadir = Fraction(str(pre_treatment_mm))
    for index, size in enumerate(follow_up_mm):
        if size is None:
            continue
        value = Fraction(str(size))
        if value - nadir >= 5 and 5 * value >= 6 * nadir:
            return index
        nadir = min(nadir, value)
    return None


def derive_treated_lesion_outcomes(
    subject_id: str,
    procedures: Iterable[Procedure],
    site_assessments: Iterable[TreatedSiteAssessment],
    data_cutoff: date,
    *,
    death_date: date | None = None,
    missed_visit_rule: tte.MissedVisitRule | None = None,
    sbrt_anchor: str = "first_fraction",
    pre_treatment_sizes: Mapping[str, float] | None = None,
) -> tuple[TreatedLesionOutcome, ...]:
    """Technique efficacy, TTLP, LTPFS and ITT TTLP for each lesion treated by ablation or SBRT
    (spec §3.7, §5.2–5.5; Ahmed 2014; Puijk 2021). Cases L-01 to L-06.

    Ablation: TTLP starts at the session that achieved complete ablation; LTP counts only after a
    scan documented complete ablation, and an equivocal finding later called LTP backdates to its
    first scan. SBRT: TTLP starts at the first fraction (or the last, `sbrt_anchor`); in-field
    progression is an adjudicated "LTP" finding or growth by the per-lesion 20% + 5 mm rule.

    >>> mwa = Procedure("P1", "MWA1", "MWA", date(2024, 1, 10), ("A1",))
    >>> scans = [TreatedSiteAssessment("P1", "A1", date(2024, 2, 9), "COMPLETE"),
    ...          TreatedSiteAssessment("P1", "A1", date(2024, 7, 8), "LTP")]
    >>> outcome = derive_treated_lesion_outcomes("P1", [mwa], scans, date(2025, 6, 30))[0]
    >>> (outcome.primary_technique_efficacy, outcome.ttlp.aval_days)   # case L-01
    (True, 181)
    """
    if sbrt_anchor not in SBRT_ANCHORS:
        raise InvalidInput(f"sbrt_anchor is {sbrt_anchor!r}", field="sbrt_anchor",
                           hint=f"allowed: {', '.join(SBRT_ANCHORS)}")
    sessions_by_lesion: dict[str, list[Procedure]] = {}
    for procedure in sorted(procedures, key=lambda p: (p.date, p.procedure_id)):
        if procedure.subject_id == subject_id and procedure.kind in LOCAL_THERAPY_KINDS:
            for lesion_id in procedure.lesion_ids:
                sessions_by_lesion.setdefault(lesion_id, []).append(procedure)
    scans = sorted((s for s in site_assessments if s.subject_id == subject_id),
                   key=lambda s: s.date)
    sizes = pre_treatment_sizes or {}
    context = (data_cutoff, death_date, missed_visit_rule, sbrt_anchor)
    return tuple(
        _lesion_outcome(subject_id, lesion_id, sessions, [s for s in scans if s.lesion_id == lesion_id],
                        sizes.get(lesion_id), context)
        for lesion_id, sessions in sorted(sessions_by_lesion.items()))


def _lesion_outcome(subject_id, lesion_id, sessions, scans, pre_size, context) -> TreatedLesionOutcome:
    if sessions[0].kind == "SBRT":
        return _sbrt_outcome(subject_id, lesion_id, sessions, scans, pre_size, context)
    return _ablation_outcome(subject_id, lesion_id, sessions, scans, context)


def _ablation_outcome(subject_id, lesion_id, sessions, scans, context) -> TreatedLesionOutcome:
    first = sessions[0]
    efficacy_scans = [s for s in scans if s.finding in ("COMPLETE", "RESIDUAL") and s.date > first.date]
    flagged = [s for s in efficacy_scans if s.technique_efficacy_scan]
    first_check = (flagged or efficacy_scans or [None])[0]
    primary = None if first_check is None else first_check.finding == "COMPLETE"
    complete = next((s for s in scans if s.finding == "COMPLETE" and s.date > first.date), None)
    secondary = None if first_check is None else complete is not None
    notes = []
    if complete is None:
        notes.append("never shown completely ablated: outside the TTLP risk set")
        ttlp = ltpfs = None
        ltp_date = None
    else:
        if any(s.finding == "LTP" and s.date < complete.date for s in scans):
            notes.append("LTP recorded before complete ablation was documented: not counted as "
                         "LTP (spec §5.3); re-read it as residual tumour")
        anchor = max(p.date for p in sessions if p.date <= complete.date)
        later_sessions = [p.date for p in sessions if p.date > complete.date]
        ltp_date, ltp_scan = _ltp_after(scans, complete.date)
        data = _site_data(subject_id, anchor, scans, ltp_date, ltp_scan, later_sessions, context)
        ttlp, ltpfs = _ttlp_and_ltpfs(data, context)
    itt = _itt_ttlp(subject_id, first, first_check, ttlp, primary, context)
    return TreatedLesionOutcome(subject_id, lesion_id, first.kind, first.technical_success, primary,
                                secondary, ltp_date, ttlp, ltpfs, itt, tuple(notes))


def _ltp_after(scans, after: date) -> tuple[date | None, date | None]:
    """First LTP after documented complete ablation, backdated over the equivocal scans just before
    it (spec §5.3: as RECIST §1.7)."""
    equivocal_since = None
    for scan in scans:
        if scan.date <= after:
            continue
        if scan.finding == "EQUIVOCAL":
            equivocal_since = equivocal_since or scan.date
        elif scan.finding == "LTP":
            return (equivocal_since or scan.date), scan.date
        elif scan.finding in _ADEQUATE_SITE:
            equivocal_since = None
    return None, None


def _site_data(subject_id, anchor, scans, ltp_date, ltp_scan, later_sessions, context):
    _, death_date, _, _ = context
    events = []
    if ltp_date is not None:
        events.append(tte.EventCandidate("LTP", ltp_date, ltp_scan, f"site imaging {ltp_scan}"))
    if death_date is not None:
        events.append(tte.EventCandidate("DEATH", death_date, None, f"death {death_date}"))
    # A repeat session before any LTP is new local therapy to the lesion: it ends the window.
    new_therapy = next((d for d in later_sessions if ltp_date is None or d < ltp_date), None)
    adequate = tuple(s.date for s in scans if s.finding in _ADEQUATE_SITE and s.date >= anchor)
    return tte.TimeToEventData(subject_id=subject_id, start_date=anchor, events=tuple(events),
                              adequate_dates=adequate, new_therapy_date=new_therapy)


def _ttlp_and_ltpfs(data, context):
    data_cutoff, _, missed_visit_rule, _ = context
    ttlp = tte.derive_time_to_event(data, ttlp_definition(), data_cutoff)
    ltpfs = tte.derive_time_to_event(data, ltpfs_definition(missed_visit_rule), data_cutoff)
    return ttlp, ltpfs


def _itt_ttlp(subject_id, first, first_check, ttlp, primary, context):
    if primary is not False:
        return ttlp
    data = tte.TimeToEventData(
        subject_id=subject_id, start_date=first.date,
        events=(tte.EventCandidate("RESIDUAL", first_check.date, first_check.date,
                                  f"technique-efficacy scan {first_check.date}"),))
    definition = tte.TimeToEventDefinition(
        endpoint="TTLP_ITT", description="TTLP with incomplete ablation as local failure.",
        event_rules=(INCOMPLETE_ABLATION,), censor_rules=(tte.START_CENSOR, LAST_SITE_IMAGING),
        require_baseline=False)
    return tte.derive_time_to_event(data, definition, context[0])


def _sbrt_outcome(subject_id, lesion_id, sessions, scans, pre_size, context) -> TreatedLesionOutcome:
    _, _, _, sbrt_anchor = context
    first = sessions[0]
    anchor = first.date if sbrt_anchor == "first_fraction" else (first.end_date or first.date)
    follow_ups = [s for s in scans if s.date > anchor]
    progressed = None
    if pre_size is not None:
        progressed = compute_in_field_progression(
            pre_size, [s.longest_diameter_mm for s in follow_ups])
    by_size = follow_ups[progressed].date if progressed is not None else None
    adjudicated = next((s.date for s in follow_ups if s.finding == "LTP"), None)
    ltp_scan = min((d for d in (by_size, adjudicated) if d is not None), default=None)
    ltp_date = _backdated(follow_ups, ltp_scan)
    adequate_scans = [s for s in follow_ups if s.finding != "NOT_EVALUABLE"
                      and (ltp_scan is None or s.date < ltp_scan) and s.finding != "EQUIVOCAL"]
    later_sessions = [p.date for p in sessions[1:]]
    data = _site_data(subject_id, anchor, [_as_adequate(s) for s in adequate_scans], ltp_date,
                      ltp_scan, later_sessions, context)
    ttlp, ltpfs = _ttlp_and_ltpfs(data, context)
    return TreatedLesionOutcome(subject_id, lesion_id, "SBRT", first.technical_success, None, None,
                                ltp_date, ttlp, ltpfs, ttlp)


def _backdated(scans, ltp_scan: date | None) -> date | None:
    if ltp_scan is None:
        return None
    earlier = [s for s in scans if s.date < ltp_scan]
    since = ltp_scan
    for scan in reversed(earlier):
        if scan.finding != "EQUIVOCAL":
            break
        since = scan.date
    return since


def _as_adequate(scan: TreatedSiteAssessment) -> TreatedSiteAssessment:
    return TreatedSiteAssessment(scan.subject_id, scan.lesion_id, scan.date, "NO_PROGRESSION",
                                 scan.longest_diameter_mm)


def derive_patient_local_control(
    outcomes: Iterable[TreatedLesionOutcome], data_cutoff: date,
    first_local_treatment: date | None = None,
) -> tte.TimeToEventResult | None:
    """Patient-level local control: first local treatment to the first LTP of any treated lesion,
    censored at the last adequate site imaging (spec §3.7, "as for TTLP").

    Lesions outside the TTLP risk set (never completely ablated) do not contribute.
    """
    rows = [o for o in outcomes if o.ttlp is not None]
    if not rows:
        return None
    start = first_local_treatment or min(o.ttlp.start_date for o in rows)
    events = tuple(tte.EventCandidate("LTP", o.ltp_date, o.ltp_date, f"lesion {o.lesion_id}")
                   for o in rows if o.ltp_date is not None and o.ttlp.is_event)
    adequate = tuple(o.ttlp.date for o in rows if not o.ttlp.is_event)
    data = tte.TimeToEventData(subject_id=rows[0].subject_id, start_date=start, events=events,
                              adequate_dates=adequate)
    definition = tte.TimeToEventDefinition(
        endpoint="LOCAL_CONTROL", description="Patient-level local control: first LTP of any "
        "treated lesion.", event_rules=(LTP_EVENT,), censor_rules=(tte.START_CENSOR,
                                                                     LAST_SITE_IMAGING),
        require_baseline=False)
    return tte.derive_time_to_event(data, definition, data_cutoff)
