"""Best overall response: one engine fed rule values (spec endpoints.md §1.11–§1.13, RECIST 1.1 §4.4).

The engine takes a subject's overall timepoint responses (anything with `.date` and `.response`,
e.g. `recist.TimepointResponse` or `ResponseAtDate`) and the rule values below, and returns both the
unconfirmed and the confirmed best overall response, the responder and disease-control flags, the
date of first response and the response's duration. iRECIST's iBOR (`irecist.py`) runs through the
same engine. Every rule value carries a plain-English `description` that reports print.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date
from enum import StrEnum
from typing import Protocol

from oncotrial.domain.tumour.lesions import DataQualityFlag
from oncotrial.errors import InvalidInput


class Response(StrEnum):
    """Response categories of RECIST 1.1 (spec §1.5–§1.8, §1.11)."""

    CR = "CR"
    PR = "PR"
    SD = "SD"
    NON_CR_NON_PD = "NON-CR/NON-PD"
    PD = "PD"
    NE = "NE"
    NA = "NA"
    NO_ASSESSMENT = "NO_ASSESSMENT"


_RESPONSES = frozenset({Response.CR, Response.PR})
_STABLE = frozenset({Response.CR, Response.PR, Response.SD})
_ADEQUATE = frozenset({Response.CR, Response.PR, Response.SD, Response.NON_CR_NON_PD})


class DatedResponse(Protocol):
    """Anything with a date and an overall response: RECIST or iRECIST timepoints, ResponseAtDate."""
    date: date
    response: Response


@dataclass(frozen=True)
class ResponseAtDate:
    """One overall timepoint response on its assessment date (spec §1.10)."""

    date: date
    response: Response
    visit: str = ""


@dataclass(frozen=True)
class ConfirmationRule:
    """How a CR or PR is confirmed (spec §1.12; RECIST 1.1 §4.4.2; admiralonco confirmed BOR)."""

    min_days: int = 28
    max_ne_between: int = 1
    allow_sd_between: bool = False

    @property
    def description(self) -> str:
        """Plain-English statement of this rule, for reports."""
        sd = ("at most one SD" if self.allow_sd_between else "no SD")
        return (
            f"A CR is confirmed by the first later CR at least {self.min_days} days after it, with "
            f"only CR or NE between; a PR by the first later CR or PR at least {self.min_days} days "
            f"after it, with only CR, PR or NE between ({sd}, no PR after a CR). At most "
            f"{self.max_ne_between} NE may lie between. Day gaps are plain differences (no +1)."
        )


@dataclass(frozen=True)
class SdDurationRule:
    """Minimum time from start for SD (or NON-CR/NON-PD) to count (spec §0.1, §1.11)."""

    min_days: int = 42

    @property
    def description(self) -> str:
        """Plain-English statement of this rule, for reports."""
        return (
            f"SD, or an unconfirmed CR/PR counted as SD, and NON-CR/NON-PD count only when the "
            f"assessment is at least {self.min_days} days after the start date (study day >= "
            f"{self.min_days + 1}); earlier ones count as NE."
        )


@dataclass(frozen=True)
class SameDateRule:
    """Which record wins when two overall responses carry the same assessment date (spec §1.9).

    `worst_first` ranks the categories from the one that wins to the one that loses; ties on the
    category break on the visit label, so the result never depends on row order.
    """

    name: str
    worst_first: tuple[Response, ...]
    source: str

    def __post_init__(self) -> None:
        ranked = set(self.worst_first)
        if len(ranked) != len(self.worst_first) or ranked != _RANKED:
            raise InvalidInput(f"same-date rule {self.name}: worst_first must rank each of "
                               f"{', '.join(sorted(_RANKED))} exactly once", field="worst_first")

    def rank(self, response: Response) -> int:
        """0 for the category that wins a same-date tie, larger for those that lose."""
        return self.worst_first.index(response)

    @property
    def description(self) -> str:
        """Plain-English statement of this rule, for reports."""
        order = " > ".join(r.value for r in self.worst_first)
        return f"Two records on one date: the first in {order} is kept ({self.source})."


_RANKED = frozenset({Response.PD, Response.NE, Response.NON_CR_NON_PD, Response.SD, Response.PR,
                     Response.CR})

# The default keeps the worst record, NE counting as second worst: an unreadable scan on the day
# of a good one casts doubt on it (spec §1.9).
WORST_RECORD_PER_DATE = SameDateRule(
    "WORST_RECORD_PER_DATE",
    (Response.PD, Response.NE, Response.NON_CR_NON_PD, Response.SD, Response.PR, Response.CR),
    "spec endpoints.md §1.9: the worst record per date, NE second worst")
# The alternative lets any evaluable record beat NE, as admiralonco's ADRS templates rank them
# (worst_resp(): NE lowest), so an SD and an NE on one date give SD.
EVALUABLE_OVER_NE = SameDateRule(
    "EVALUABLE_OVER_NE",
    (Response.PD, Response.NON_CR_NON_PD, Response.SD, Response.PR, Response.CR, Response.NE),
    "admiralonco ADRS template ranking: an evaluable record beats NE on the same date")
SAME_DATE_RULES = {rule.name: rule for rule in (WORST_RECORD_PER_DATE, EVALUABLE_OVER_NE)}


@dataclass(frozen=True)
class EvaluationWindowRule:
    """Which assessments enter the BOR (spec §1.11 input restrictions, §0.3
    `nact_assessment_inclusion`)."""

    stop_at_first_progression: bool = True
    include_new_therapy_day: bool = True
    same_date: SameDateRule = WORST_RECORD_PER_DATE

    @property
    def description(self) -> str:
        """Plain-English statement of this rule, for reports."""
        pd = ("up to and including the first PD" if self.stop_at_first_progression
              else "all assessments, PD included (evaluation is not stopped at PD)")
        nact = ("on or before" if self.include_new_therapy_day else "strictly before")
        return (
            f"Assessments on or after the start date, {pd}, dated {nact} the start of new "
            f"anticancer therapy and on or before the data cut-off. {self.same_date.description}"
        )


@dataclass(frozen=True)
class BorRules:
    """All rule values of the BOR engine, with the spec's defaults (spec §0.3).

    `confirmation_required` picks which BOR decides `counts_as_response` (ORR) and the DoR start:
    True when ORR is the primary endpoint of a non-randomised trial (RECIST 1.1 §4.4.2).
    `non_cr_non_pd_is_disease_control`: DCR counts NON-CR/NON-PD when the SAP includes patients with
    non-measurable disease only (§1.13).
    """

    confirmation: ConfirmationRule = field(default_factory=ConfirmationRule)
    sd_duration: SdDurationRule = field(default_factory=SdDurationRule)
    window: EvaluationWindowRule = field(default_factory=EvaluationWindowRule)
    confirmation_required: bool = False
    non_cr_non_pd_is_disease_control: bool = False

    @property
    def description(self) -> str:
        """Plain-English statement of this rule, for reports."""
        which = "confirmed" if self.confirmation_required else "unconfirmed"
        return " ".join([
            self.window.description, self.sd_duration.description, self.confirmation.description,
            f"Response rates use the {which} BOR.",
        ])


# Built once: engines fall back to these instead of building defaults per call.
DEFAULT_BOR_RULES = BorRules()
_DEFAULT_WINDOW = EvaluationWindowRule()
_DEFAULT_CONFIRMATION = ConfirmationRule()


@dataclass(frozen=True)
class BestOverallResponse:
    """Best overall response of one subject, unconfirmed and confirmed (spec §1.11–§1.13, §3.5).

    Dates are those of the first assessment meeting the category (for a confirmed response, the
    first of the qualifying pair). `duration_of_response_days` runs from the response start that
    `rules.confirmation_required` selects to the first PD, inclusive (+1, spec §0.1); it is None
    without a PD, and the time-to-event engine then censors it.
    """

    subject_id: str
    bor: Response
    bor_date: date | None
    confirmed_bor: Response
    confirmed_bor_date: date | None
    is_responder: bool
    is_confirmed_responder: bool
    has_disease_control: bool
    has_confirmed_disease_control: bool
    counts_as_response: bool
    counts_as_disease_control: bool
    first_response_date: date | None
    confirmed_response_date: date | None
    progression_date: date | None
    last_adequate_assessment_date: date | None
    duration_of_response_days: int | None
    responses_used: tuple[ResponseAtDate, ...]
    flags: tuple[DataQualityFlag, ...]
    rules: BorRules


def select_evaluable_responses(
    responses: Iterable[DatedResponse],
    start_date: date,
    *,
    window: EvaluationWindowRule | None = None,
    new_therapy_date: date | None = None,
    data_cutoff: date | None = None,
) -> tuple[ResponseAtDate, ...]:
    """Restrict timepoint responses to those a BOR may use (spec §1.9, §1.11 "Input").

    Keeps assessments on or after `start_date`, on or before the new-therapy start (or strictly
    before it, per `window.include_new_therapy_day`) and the data cut-off; takes the worst record per
    date by `window.same_date` (the worst record by default, or any evaluable record over NE);
    stops after the first PD when `window.stop_at_first_progression`. Returns them in date order,
    whatever the input row order.

    >>> from datetime import date
    >>> rows = [ResponseAtDate(date(2024, 3, 1), Response.SD), ResponseAtDate(date(2024, 3, 1), Response.NE)]
    >>> [r.response.value for r in select_evaluable_responses(rows, date(2024, 1, 1))]
    ['NE']
    >>> window = EvaluationWindowRule(same_date=EVALUABLE_OVER_NE)
    >>> [r.response.value for r in select_evaluable_responses(rows, date(2024, 1, 1), window=window)]
    ['SD']
    """
    window = window or _DEFAULT_WINDOW
    worst: dict[date, ResponseAtDate] = {}
    for row in responses:
        if not _inside_window(row.date, start_date, window, new_therapy_date, data_cutoff):
            continue
        response = Response(row.response)
        if response not in _RANKED:
            continue  # NA and NO_ASSESSMENT describe no assessment; they carry no response
        candidate = ResponseAtDate(row.date, response, getattr(row, "visit", ""))
        kept = worst.get(row.date)
        if kept is None or _wins(candidate, kept, window.same_date):
            worst[row.date] = candidate
    kept_in_order = [worst[day] for day in sorted(worst)]
    if window.stop_at_first_progression:
        for position, row in enumerate(kept_in_order):
            if row.response == Response.PD:
                return tuple(kept_in_order[: position + 1])
    return tuple(kept_in_order)


def _inside_window(day, start_date, window, new_therapy_date, data_cutoff) -> bool:
    if day < start_date or (data_cutoff is not None and day > data_cutoff):
        return False
    if new_therapy_date is None:
        return True
    return day <= new_therapy_date if window.include_new_therapy_day else day < new_therapy_date


def _wins(candidate: ResponseAtDate, kept: ResponseAtDate, rule: SameDateRule) -> bool:
    # Ties on the category break on the visit label so the result never depends on row order.
    return (rule.rank(candidate.response), candidate.visit) < (rule.rank(kept.response), kept.visit)


def derive_unconfirmed_bor(
    responses: Sequence[ResponseAtDate], start_date: date, sd_min_days: int = 42
) -> tuple[Response, date | None]:
    """BOR without confirmation: the first of CR, PR, SD (>= sd_min_days), NON-CR/NON-PD
    (>= sd_min_days), PD, NE, NO_ASSESSMENT that any assessment meets (spec §1.11; RECIST 1.1 §4.4.1).

    `responses` must already be restricted (`select_evaluable_responses`). Returns the category and
    the date of the earliest assessment meeting it.
    """
    for response in (Response.CR, Response.PR):
        found = _first(responses, lambda row, r=response: row.response == r)
        if found:
            return response, found.date
    return _bor_after_responses(responses, start_date, sd_min_days)


def _bor_after_responses(responses, start_date, sd_min_days) -> tuple[Response, date | None]:
    """Steps 3-7 of spec §1.11, shared by the unconfirmed and confirmed selections."""

    def lasted(row) -> bool:
        return (row.date - start_date).days >= sd_min_days

    steps = (
        (Response.SD, lambda row: row.response in _STABLE and lasted(row)),
        (Response.NON_CR_NON_PD, lambda row: row.response == Response.NON_CR_NON_PD and lasted(row)),
        (Response.PD, lambda row: row.response == Response.PD),
        (Response.NE, lambda row: True),
    )
    for category, meets in steps:
        found = _first(responses, meets)
        if found:
            return category, found.date
    return Response.NO_ASSESSMENT, None


def _first(responses, meets):
    return next((row for row in responses if meets(row)), None)


def find_confirmation(
    responses: Sequence[ResponseAtDate], index: int, rule: ConfirmationRule
) -> int | None:
    """Index of the assessment confirming the CR or PR at `index`, or None (spec §1.12).

    A CR needs the first later CR at least `rule.min_days` after it with only CR/NE between; a PR
    the first later CR/PR at least `rule.min_days` after it with only CR/PR/NE between (one SD if
    `rule.allow_sd_between`) and no PR after a CR; at most `rule.max_ne_between` NEs in the stretch.
    """
    first = responses[index]
    confirming = {Response.CR} if first.response == Response.CR else _RESPONSES
    for later in range(index + 1, len(responses)):
        row = responses[later]
        if row.response in confirming and (row.date - first.date).days >= rule.min_days:
            stretch = [r.response for r in responses[index + 1 : later + 1]]
            return later if _stretch_allowed(first.response, stretch, rule) else None
    return None


def _stretch_allowed(first: Response, stretch: list[Response], rule: ConfirmationRule) -> bool:
    if stretch.count(Response.NE) > rule.max_ne_between:
        return False
    if first == Response.CR:
        return all(r in (Response.CR, Response.NE) for r in stretch)
    sd_allowed = 1 if rule.allow_sd_between else 0
    if stretch.count(Response.SD) > sd_allowed:
        return False
    if any(r not in (Response.CR, Response.PR, Response.NE, Response.SD) for r in stretch):
        return False
    seen_cr = False
    for response in stretch:
        if response == Response.PR and seen_cr:
            return False
        seen_cr = seen_cr or response == Response.CR
    return True


def derive_confirmed_bor(
    responses: Sequence[ResponseAtDate],
    start_date: date,
    rule: ConfirmationRule | None = None,
    sd_min_days: int = 42,
) -> tuple[Response, date | None]:
    """BOR with confirmation: confirmed CR, confirmed PR, then the SD / NON-CR/NON-PD / PD / NE /
    NO_ASSESSMENT steps of §1.11, where an unconfirmed CR or PR counts as SD once it meets the
    minimum duration (spec §1.12; RECIST 1.1 §4.4.2 and Table 3).

    Returns the category and the date of the first assessment of the qualifying pair.
    """
    rule = rule or _DEFAULT_CONFIRMATION
    for response in (Response.CR, Response.PR):
        for index, row in enumerate(responses):
            if row.response == response and find_confirmation(responses, index, rule) is not None:
                return response, row.date
    return _bor_after_responses(responses, start_date, sd_min_days)


def derive_best_overall_response(
    responses: Iterable[DatedResponse],
    start_date: date,
    *,
    subject_id: str = "",
    rules: BorRules | None = None,
    new_therapy_date: date | None = None,
    data_cutoff: date | None = None,
) -> BestOverallResponse:
    """Best overall response, confirmed and unconfirmed, with rates' flags and response duration.

    Rules: spec endpoints.md §1.11 (BOR), §1.12 (confirmation), §1.13 (ORR, DCR), §3.5 (DoR start);
    RECIST 1.1 §4.4 and Table 3. Input restrictions follow `rules.window`.

    >>> from datetime import date
    >>> rows = [ResponseAtDate(date(2024, 2, 26), Response.PR), ResponseAtDate(date(2024, 4, 22),
    ...         Response.SD)]
    >>> result = derive_best_overall_response(rows, date(2024, 1, 1))
    >>> (result.bor.value, result.confirmed_bor.value)
    ('PR', 'SD')
    """
    rules = rules or DEFAULT_BOR_RULES
    kept = select_evaluable_responses(
        responses, start_date, window=rules.window, new_therapy_date=new_therapy_date,
        data_cutoff=data_cutoff,
    )
    sd_min = rules.sd_duration.min_days
    bor, bor_date = derive_unconfirmed_bor(kept, start_date, sd_min)
    confirmed, confirmed_date = derive_confirmed_bor(kept, start_date, rules.confirmation, sd_min)
    control = _control_categories(rules)
    progression = _first(kept, lambda row: row.response == Response.PD)
    first_response = _first(kept, lambda row: row.response in _RESPONSES)
    first_confirmed = _first_confirmed_response(kept, rules.confirmation)
    response_start = first_confirmed if rules.confirmation_required else (
        first_response.date if first_response else None)
    return BestOverallResponse(
        subject_id=subject_id,
        bor=bor,
        bor_date=bor_date,
        confirmed_bor=confirmed,
        confirmed_bor_date=confirmed_date,
        is_responder=bor in _RESPONSES,
        is_confirmed_responder=confirmed in _RESPONSES,
        has_disease_control=bor in control,
        has_confirmed_disease_control=confirmed in control,
        counts_as_response=(confirmed if rules.confirmation_required else bor) in _RESPONSES,
        counts_as_disease_control=(confirmed if rules.confirmation_required else bor) in control,
        first_response_date=first_response.date if first_response else None,
        confirmed_response_date=first_confirmed,
        progression_date=progression.date if progression else None,
        last_adequate_assessment_date=_last_adequate(kept),
        duration_of_response_days=_duration_days(response_start, progression),
        responses_used=kept,
        flags=_cr_followed_by_pr(kept, subject_id),
        rules=rules,
    )


def _control_categories(rules: BorRules) -> frozenset[Response]:
    if rules.non_cr_non_pd_is_disease_control:
        return _STABLE | {Response.NON_CR_NON_PD}
    return _STABLE


def _first_confirmed_response(kept, rule: ConfirmationRule) -> date | None:
    """Start of response for DoR: the first assessment of the first confirmed CR/PR pair (§3.5)."""
    for index, row in enumerate(kept):
        if row.response in _RESPONSES and find_confirmation(kept, index, rule) is not None:
            return row.date
    return None


def _duration_days(response_start: date | None, progression) -> int | None:
    if response_start is None or progression is None:
        return None
    return (progression.date - response_start).days + 1


def _last_adequate(kept) -> date | None:
    adequate = [row.date for row in kept if row.response in _ADEQUATE]
    return max(adequate) if adequate else None


def _cr_followed_by_pr(kept, subject_id: str) -> tuple[DataQualityFlag, ...]:
    """FLAG CR_FOLLOWED_BY_PR (spec §1.12): computed as given, left to the reader to re-read."""
    first_cr = _first(kept, lambda row: row.response == Response.CR)
    if first_cr is None:
        return ()
    later_pr = _first(kept, lambda row: row.response == Response.PR and row.date > first_cr.date)
    if later_pr is None:
        return ()
    message = (
        f"subject {subject_id}: CR on {first_cr.date} is followed by PR on {later_pr.date}; "
        "re-read the CR as PR or the later PR as PD (RECIST 1.1 §4.4.1)"
    )
    return (DataQualityFlag("CR_FOLLOWED_BY_PR", subject_id, message, visit=later_pr.visit),)
