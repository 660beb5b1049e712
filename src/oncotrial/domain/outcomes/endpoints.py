"""One time-to-event engine fed event and censoring rules as values (spec endpoints.md §3).

The engine follows admiral's `derive_param_tte()` (earliest qualifying event, the first-listed rule
winning a tie; otherwise the latest censoring date) and adds what admiral's predefined sources leave
out: the FDA missed-visit rule (spec §3.2; FDA 2007 cancer-endpoints guidance, Appendix Table A) and
censoring at new anticancer therapy (§3.3 F6). Presets for PFS, OS, DoR, iPFS and the local-control
endpoints are rule values; each result names the rule that decided it so a report can print it.

Binary endpoints (ORR, DCR, 12-month PFS status) are at the end of the module.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, timedelta

from scipy.stats import beta

from oncotrial.errors import InvalidInput

DAYS_PER_MONTH = 30.4375
DAYS_PER_YEAR = 365.25

CR, PR, SD, NON_CR_NON_PD, PD, NE = "CR", "PR", "SD", "NON-CR/NON-PD", "PD", "NE"
NO_ASSESSMENT = "NO_ASSESSMENT"
# Spec §3.2: an adequate assessment is a post-baseline CR, PR, SD or NON-CR/NON-PD (PD is the event).
ADEQUATE_RESPONSES = frozenset({CR, PR, SD, NON_CR_NON_PD})
NACT_INCLUSIONS = ("on_or_before", "before")


@dataclass(frozen=True)
class EventRule:
    """One kind of event: which candidate `source` qualifies, with a description to print.

    Example: ``EventRule("PD", "First documented radiological progression (RECIST 1.1)", "PD")``.
    """

    id: str
    description: str
    source: str


@dataclass(frozen=True)
class CensorRule:
    """One reason to censor, with its CNSR code (≥ 1, CDISC) and a description to print.

    `source` names the censoring date it uses when it is a date source ("last_adequate_assessment",
    "last_known_alive", "start"); reasons decided by the algorithm itself (no baseline, missed visits,
    new therapy) use the source they censor at.
    """

    id: str
    description: str
    source: str
    code: int = 1


@dataclass(frozen=True)
class MissedVisitRule:
    """Censor an event that follows two or more missed assessments (spec §3.2, FDA Table A row F9).

    The threshold is `2 × interval in force at the last adequate assessment + visit window`. Each
    phase is `(until_day, interval_days)` or `(until_day, interval_days, window_days)`: it applies
    while the study day (ADY) of the last adequate assessment is before `until_day` (`None` =
    open-ended), so q8w-then-q12w schedules work; `visit_window_days` is the default window.

    >>> MissedVisitRule(((None, 56),), 7).threshold_days(date(2024, 2, 26), date(2024, 1, 1))
    119
    """

    phases: tuple[tuple, ...]
    visit_window_days: int = 0

    def __post_init__(self) -> None:
        if not self.phases or any(len(p) not in (2, 3) or p[1] <= 0 for p in self.phases):
            raise InvalidInput(
                "missed-visit rule needs schedule phases (until_day, interval_days[, window_days]) "
                "with positive intervals", field="phases",
                hint="e.g. MissedVisitRule(((None, 56),), 7) for q8w ± 7 days")

    def _phase(self, study_day: int) -> tuple:
        return next((p for p in self.phases if p[0] is None or study_day < p[0]), self.phases[-1])

    def threshold_days(self, last_adequate: date, start: date) -> int:
        """Allowed gap in days after `last_adequate` before an event counts as after missed visits."""
        phase = self._phase((last_adequate - start).days + 1)
        window = phase[2] if len(phase) == 3 else self.visit_window_days
        return 2 * phase[1] + window

    @property
    def description(self) -> str:
        parts = ", ".join(
            f"every {p[1]} ± {p[2] if len(p) == 3 else self.visit_window_days} days"
            + (f" until day {p[0]}" if p[0] is not None else "") for p in self.phases)
        return ("An event more than 2 × the assessment interval + the visit window after the last "
                f"adequate assessment is censored there (schedule: {parts}).")


@dataclass(frozen=True)
class TimeToEventDefinition:
    """An endpoint as rules: events, censoring sources and the FDA/EMA-style switches.

    Defaults reproduce spec §0.3: censoring at new anticancer therapy on, assessments on the
    new-therapy date included (`nact_assessment_inclusion="on_or_before"`).
    `missed_visit_rule=None` switches the missed-visit rule off (EMA-style, or OS).
    """

    endpoint: str
    description: str
    event_rules: tuple[EventRule, ...]
    censor_rules: tuple[CensorRule, ...]
    missed_visit_rule: MissedVisitRule | None = None
    censor_at_new_anticancer_therapy: bool = True
    nact_assessment_inclusion: str = "on_or_before"
    require_baseline: bool = True
    new_therapy_rule: CensorRule | None = None

    def __post_init__(self) -> None:
        if self.nact_assessment_inclusion not in NACT_INCLUSIONS:
            raise InvalidInput(
                f"nact_assessment_inclusion is {self.nact_assessment_inclusion!r}",
                field="nact_assessment_inclusion", hint=f"allowed: {', '.join(NACT_INCLUSIONS)}")
        if self.new_therapy_rule is None:
            object.__setattr__(self, "new_therapy_rule", NEW_ANTICANCER_THERAPY)

    @property
    def rule_descriptions(self) -> tuple[str, ...]:
        """Every rule of the endpoint in plain English, in the order a report prints them."""
        lines = [f"{self.endpoint}: {self.description}"]
        lines += [f"Event {r.id}: {r.description}" for r in self.event_rules]
        lines += [f"Censoring {r.id}: {r.description}" for r in self.censor_rules]
        if self.require_baseline:
            lines.append(f"Censoring {NO_BASELINE.id}: {NO_BASELINE.description}")
        if self.missed_visit_rule is not None:
            lines.append(f"Censoring {EVENT_AFTER_2PLUS_MISSED.id}: "
                         f"{self.missed_visit_rule.description}")
        if self.censor_at_new_anticancer_therapy:
            included = "included" if self.nact_assessment_inclusion == "on_or_before" else "excluded"
            lines.append(f"Censoring {self.new_therapy_rule.id}: {self.new_therapy_rule.description}"
                         f" Assessments on the day it starts are {included}.")
        return tuple(lines)


@dataclass(frozen=True)
class EventCandidate:
    """A dated candidate event: `date` is the event date (e.g. a backdated PD, spec §1.10),
    `recorded_date` the date of the record that established it (the assessment date), which decides
    whether it lies inside the observation window (DCO, new-therapy inclusion)."""

    source: str
    date: date
    recorded_date: date | None = None
    reference: str = ""


@dataclass(frozen=True)
class TimeToEventData:
    """One subject's dated facts for one endpoint (built by the `derive_*_data` helpers).

    `adequate_dates`: dates of adequate assessments (spec §3.2), at or after `start_date`.
    `censor_dates`: further censoring date sources by name (e.g. "last_known_alive").
    """

    subject_id: str
    start_date: date
    events: tuple[EventCandidate, ...] = ()
    adequate_dates: tuple[date, ...] = ()
    censor_dates: Mapping[str, date] = field(default_factory=dict)
    has_valid_baseline: bool = True
    new_therapy_date: date | None = None
    follow_up_status: str = "ONGOING"


@dataclass(frozen=True)
class TimeToEventResult:
    """One subject's time to event: the date, AVAL in days (+1 convention, spec §0.1), CNSR and the
    rule that decided it (its id and plain-English description, as reports print them)."""

    subject_id: str
    endpoint: str
    start_date: date
    date: date
    aval_days: int
    cnsr: int
    rule_id: str
    rule_description: str
    reference: str = ""

    @property
    def is_event(self) -> bool:
        return self.cnsr == 0

    @property
    def aval_months(self) -> float:
        return compute_months(self.aval_days)

    def to_dict(self) -> dict:
        return {"subject_id": self.subject_id, "endpoint": self.endpoint,
                "start_date": self.start_date.isoformat(), "date": self.date.isoformat(),
                "aval_days": self.aval_days, "cnsr": self.cnsr, "event": self.is_event,
                "rule_id": self.rule_id, "rule": self.rule_description, "reference": self.reference}


# Censoring reasons decided by the algorithm (spec §3.3 steps 1, 6, 7); CNSR codes as ADaM ADTTE.
NO_BASELINE = CensorRule("NO_BASELINE", "No valid baseline tumour assessment: censored at the "
                         "start date (FDA Table A F1).", "start", 2)
EVENT_AFTER_2PLUS_MISSED = CensorRule(
    "EVENT_AFTER_2PLUS_MISSED", "Progression or death after two or more missed assessments: censored "
    "at the last adequate assessment before the gap (FDA Table A F9).", "last_adequate_assessment", 3)
NEW_ANTICANCER_THERAPY = CensorRule(
    "NEW_ANTICANCER_THERAPY", "New anticancer therapy before any event: censored at the last adequate "
    "assessment on or before its start (FDA Table A F6).", "last_adequate_assessment", 4)
START_CENSOR = CensorRule("START", "No other date: censored at the start date (spec §3.4 "
                          "fallback, admiral rand_censor).", "start", 1)
DATA_CUTOFF = CensorRule("DATA_CUTOFF", "Alive and event-free at the data cut-off: censored at the "
                         "cut-off.", "data_cutoff", 1)


def compute_study_days(event_date: date, start: date) -> int:
    """AVAL in days = ADT − STARTDT + 1; an ADT before STARTDT counts as STARTDT (spec §0.1, admiral
    `derive_vars_duration()` default).

    >>> compute_study_days(date(2024, 9, 15), date(2024, 1, 1))
    259
    """
    return max((event_date - start).days, 0) + 1


def compute_months(days: float) -> float:
    """Days to months, days / 30.4375 (spec §0.1; case E-03: 169 days = 5.55 months).

    >>> round(compute_months(169), 2)
    5.55
    """
    return days / DAYS_PER_MONTH


def derive_time_to_event(
    data: TimeToEventData, definition: TimeToEventDefinition, data_cutoff: date
) -> TimeToEventResult:
    """Time to event by the rules of `definition` (spec §3.3 algorithm; FDA 2007 Table A; admiral
    `derive_param_tte()` selection: earliest event, first-listed rule wins a tie).

    Steps: no baseline → censor at start (F1); window end = DCO or new therapy (F6); earliest
    qualifying event in the window; last adequate assessment (LA) strictly before it; an event more
    than the missed-visit threshold after LA is censored at LA (F9); no event → the latest censoring
    source, never after the window end.

    Returns a `TimeToEventResult` naming the deciding rule. Example (case P-03: PD after two missed
    visits is censored at the last adequate assessment):

    >>> rule = MissedVisitRule(((None, 56),), 7)
    >>> data = derive_pfs_data("01-004", date(2024, 1, 1), [
    ...     AssessmentOutcome(date(2024, 2, 26), "SD"), AssessmentOutcome(date(2024, 8, 12), "PD")])
    >>> result = derive_time_to_event(data, pfs_definition(rule), date(2025, 6, 30))
    >>> (result.rule_id, result.date.isoformat(), result.aval_days, result.cnsr)
    ('EVENT_AFTER_2PLUS_MISSED', '2024-02-26', 57, 3)
    """
    if definition.require_baseline and not data.has_valid_baseline:
        return _result(data, definition, data.start_date, NO_BASELINE, "no valid baseline")
    window = _window(data, definition, data_cutoff)
    event, rule = _first_event(data, definition, window)
    if event is None:
        return _censor(data, definition, window, data_cutoff)
    last_adequate = _last_adequate(data, window, before=event.date)
    missed = definition.missed_visit_rule
    if missed is not None:
        gap = (event.date - last_adequate).days
        threshold = missed.threshold_days(last_adequate, data.start_date)
        if gap > threshold:
            note = (f"{rule.id} on {event.date} is {gap} days after the last adequate assessment "
                    f"on {last_adequate} (threshold {threshold})")
            return _result(data, definition, last_adequate, EVENT_AFTER_2PLUS_MISSED, note)
    return _result(data, definition, event.date, rule, event.reference, event=True)


@dataclass(frozen=True)
class _Window:
    end: date
    ended_by_new_therapy: bool
    strictly_before: bool

    def holds(self, day: date) -> bool:
        return day < self.end if self.strictly_before else day <= self.end


def _window(data, definition, data_cutoff) -> _Window:
    nact = data.new_therapy_date
    if definition.censor_at_new_anticancer_therapy and nact is not None and nact <= data_cutoff:
        return _Window(nact, True, definition.nact_assessment_inclusion == "before")
    return _Window(data_cutoff, False, False)


def _first_event(data, definition, window):
    best = None
    for order, rule in enumerate(definition.event_rules):
        for candidate in data.events:
            if candidate.source != rule.source or not _observed(candidate, window):
                continue
            key = (candidate.date, order)
            if best is None or key < best[0]:
                best = (key, candidate, rule)
    return (best[1], best[2]) if best else (None, None)


def _observed(candidate: EventCandidate, window: _Window) -> bool:
    # A death is not an assessment: the new-therapy inclusion setting concerns scans only (§3.3 F6).
    if candidate.recorded_date is None:
        return candidate.date <= window.end
    return window.holds(candidate.recorded_date)


def _last_adequate(data, window, before: date | None = None) -> date:
    dates = [d for d in data.adequate_dates
             if d >= data.start_date and window.holds(d) and (before is None or d < before)]
    return max(dates, default=data.start_date)


def _censor(data, definition, window, data_cutoff) -> TimeToEventResult:
    sources = {"start": data.start_date, "data_cutoff": data_cutoff,
               "last_adequate_assessment": _last_adequate(data, window)}
    sources.update(data.censor_dates)
    chosen, chosen_date = START_CENSOR, data.start_date
    for rule in definition.censor_rules:
        candidate = sources.get(rule.source)
        # admiral: the latest censoring date wins; on a tie the rule listed last wins.
        if candidate is not None and candidate >= chosen_date:
            chosen, chosen_date = rule, candidate
    if chosen_date > window.end:
        chosen, chosen_date = DATA_CUTOFF, window.end
    if window.ended_by_new_therapy and chosen.source in ("last_adequate_assessment", "data_cutoff"):
        chosen = definition.new_therapy_rule
    note = (f"new therapy on {data.new_therapy_date}" if window.ended_by_new_therapy
            else f"follow-up status {data.follow_up_status}")
    return _result(data, definition, chosen_date, chosen, note)


def _result(data, definition, day, rule, reference, event=False) -> TimeToEventResult:
    adt = max(day, data.start_date)
    return TimeToEventResult(
        subject_id=data.subject_id, endpoint=definition.endpoint, start_date=data.start_date,
        date=adt, aval_days=compute_study_days(adt, data.start_date),
        cnsr=0 if event else rule.code, rule_id=rule.id, rule_description=rule.description,
        reference=reference)


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


# --- binary endpoints (spec §1.13, §3.3) --------------------------------------------------------

RESPONDER_BORS = frozenset({CR, PR})
DISEASE_CONTROL_BORS = frozenset({CR, PR, SD})


@dataclass(frozen=True)
class ResponseFlags:
    """ORR / DCR membership of one subject and the rule that set it."""

    in_population: bool
    responder: bool
    disease_control: bool
    rule_description: str


def derive_response_flags(
    best_overall_response: str,
    *,
    measurable_disease: bool,
    received_therapy: bool = True,
    include_non_measurable: bool = False,
) -> ResponseFlags:
    """ORR and DCR flags from the BOR (confirmed BOR when confirmation is required) — spec §1.13.

    Population (DEFAULT): received any study therapy and had measurable disease at baseline outside
    locally treated lesions; NE and NO_ASSESSMENT stay in as non-responders. Disease control = CR,
    PR or SD (SD already met its minimum duration in the BOR); NON-CR/NON-PD counts only when the
    SAP includes non-measurable-only patients.

    >>> derive_response_flags("SD", measurable_disease=True).disease_control
    True
    """
    in_population = received_therapy and (measurable_disease or include_non_measurable)
    control = DISEASE_CONTROL_BORS | ({NON_CR_NON_PD} if include_non_measurable else frozenset())
    responder = in_population and best_overall_response in RESPONDER_BORS
    return ResponseFlags(
        in_population=in_population, responder=responder,
        disease_control=in_population and best_overall_response in control,
        rule_description=("ORR: BOR CR or PR; DCR: BOR CR, PR or SD (≥ minimum duration)"
                          + ("; NON-CR/NON-PD counts as control" if include_non_measurable else "")
                          + "; population: treated with measurable disease at baseline."))


@dataclass(frozen=True)
class RateEstimate:
    """A proportion with its exact (Clopper–Pearson) two-sided confidence interval."""

    numerator: int
    denominator: int
    rate: float
    ci_lower: float
    ci_upper: float
    confidence: float = 0.95
    method: str = "Clopper-Pearson exact"


def compute_binomial_rate(numerator: int, denominator: int, confidence: float = 0.95) -> RateEstimate:
    """Rate with the Clopper–Pearson interval, as R's `binom.test(x, n)$conf.int` (spec §1.13,
    §4.4; cases E-02: 12/30 → 40.0% (22.7%–59.4%), A-07: 9/30 → 30.0% (14.7%–49.4%)).

    >>> round(compute_binomial_rate(12, 30).ci_upper, 3)
    0.594
    """
    if denominator <= 0 or not 0 <= numerator <= denominator:
        raise InvalidInput(f"rate {numerator}/{denominator} is not a proportion", field="numerator",
                           hint="need 0 ≤ numerator ≤ denominator and denominator ≥ 1")
    alpha = 1.0 - confidence
    lower = 0.0 if numerator == 0 else float(beta.ppf(alpha / 2, numerator, denominator - numerator + 1))
    upper = (1.0 if numerator == denominator
             else float(beta.ppf(1 - alpha / 2, numerator + 1, denominator - numerator)))
    return RateEstimate(numerator, denominator, numerator / denominator, lower, upper, confidence)


def derive_landmark_status(result: TimeToEventResult, landmark_days: float = DAYS_PER_YEAR) -> bool | None:
    """Event-free at the landmark (12-month PFS status: 365.25 days, spec §0.1, §3.3).

    True: followed beyond the landmark without an event; False: event at AVAL ≤ landmark; None:
    censored before the landmark (not evaluable). The 12-month PFS *rate* is a Kaplan–Meier estimate,
    not the share of True; this status serves a landmark population defined by the SAP.
    """
    if result.aval_days > landmark_days:
        return True
    return False if result.is_event else None
