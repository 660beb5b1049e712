"""One time-to-event engine fed event and censoring rules as values (spec endpoints.md §3).

The engine follows admiral's `derive_param_tte()` (earliest qualifying event, the first-listed rule
winning a tie; otherwise the latest censoring date) and adds what admiral's predefined sources leave
out: the FDA missed-visit rule (spec §3.2; FDA 2007 cancer-endpoints guidance, Appendix Table A) and
censoring at new anticancer therapy (§3.3 F6). Presets for PFS, OS, DoR, iPFS and the local-control
endpoints are rule values; each result names the rule that decided it so a report can print it.

The PFS / OS / DoR / iPFS presets are in `endpoints`; binary endpoints (ORR, DCR, 12-month PFS
status) in `rates`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date

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

    >>> from oncotrial.domain.outcomes.endpoints import AssessmentOutcome, derive_pfs_data, pfs_definition
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
