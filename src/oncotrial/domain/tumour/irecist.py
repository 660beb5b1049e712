"""iRECIST: unconfirmed and confirmed progression, reset, iBOR and the iPFS date (spec endpoints.md
§2; Seymour et al., Lancet Oncol 2017;18:e143–e152, Tables 2–3 and the iRECIST FAQ).

iRECIST results sit beside the RECIST 1.1 results, never in their place. The engine reuses the
RECIST 1.1 measurements, nadir and categories (§2.1) and walks the assessments with one state:
whether an iUPD block is open, what caused it and the sums at its start.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from enum import StrEnum

from oncotrial.domain.tumour.baseline import (
    MAX_TARGETS,
    MAX_TARGETS_PER_ORGAN,
    classify_measurability,
    compute_organ_group,
)
from oncotrial.domain.tumour.checks import check_tumour_records
from oncotrial.domain.tumour.lesions import (
    Assessment,
    Lesion,
    Method,
    NewLesion,
    NonTargetState,
    TumourRecords,
)
from oncotrial.domain.tumour.new_lesions import NewLesionStatus, is_confirmed_new_lesion
from oncotrial.domain.tumour.recist import (
    RecistResult,
    TimepointResponse,
    derive_overall_response,
    derive_timepoint_responses,
    is_progression_by_sum,
)
from oncotrial.domain.tumour.response import (
    DEFAULT_BOR_RULES,
    BestOverallResponse,
    BorRules,
    EvaluationWindowRule,
    Response,
    ResponseAtDate,
    derive_best_overall_response,
)
from oncotrial.domain.tumour.rules import RecistRules


class IResponse(StrEnum):
    """iRECIST timepoint and best-response categories (spec §2, admiralonco iRECIST vignette)."""

    ICR = "iCR"
    IPR = "iPR"
    ISD = "iSD"
    NON_ICR_NON_IUPD = "NON-iCR/NON-iUPD"
    IUPD = "iUPD"
    ICPD = "iCPD"
    NE = "NE"
    NO_ASSESSMENT = "NO_ASSESSMENT"


_FROM_RECIST = {Response.CR: IResponse.ICR, Response.PR: IResponse.IPR, Response.SD: IResponse.ISD,
                Response.NON_CR_NON_PD: IResponse.NON_ICR_NON_IUPD, Response.NE: IResponse.NE}
_TO_RECIST = {IResponse.ICR: Response.CR, IResponse.IPR: Response.PR, IResponse.ISD: Response.SD,
              IResponse.NON_ICR_NON_IUPD: Response.NON_CR_NON_PD, IResponse.IUPD: Response.PD,
              IResponse.ICPD: Response.PD, IResponse.NE: Response.NE}
# How far the disease has shrunk back; a reset needs more than at the iUPD (spec §2.5).
_RANK = {Response.CR: 3, Response.PR: 2, Response.SD: 1, Response.NON_CR_NON_PD: 1,
         Response.NE: -1, Response.PD: 0}


@dataclass(frozen=True)
class IrecistRules:
    """iRECIST platform choices (spec §0.3, §2.4, §2.6, §7.6).

    - `confirm_min_days` (28) and `confirm_tolerance_days` (2): a scan less than 4 weeks (FAQ:
      about ±2 days) after the iUPD confirms only by an additional new lesion.
    - `iupd_unconfirmed_counts_as_event` (True): an iUPD never confirmed and never reset is the
      iPFS event; False counts only confirmed iCPD.
    """

    confirm_min_days: int = 28
    confirm_tolerance_days: int = 2
    iupd_unconfirmed_counts_as_event: bool = True

    @property
    def description(self) -> str:
        """Plain-English statement of these rules, for reports."""
        unconfirmed = ("counts as an iPFS event at its date" if self.iupd_unconfirmed_counts_as_event
                       else "does not count; only confirmed iCPD is an iPFS event")
        return (
            "The first RECIST 1.1 progression is iUPD. It is confirmed (iCPD) at a later assessment "
            f"at least {self.confirm_min_days - self.confirm_tolerance_days} days after the iUPD "
            "by further growth (target sum +5 mm over the iUPD sum, any growth of the progressing "
            "non-target or new lesions, RECIST PD in another category) or at any time by another "
            "new lesion; iPFS is dated to the first iUPD of the confirmed block. An iUPD followed "
            f"by iSD, iPR or iCR is reset. An iUPD never confirmed nor reset {unconfirmed}."
        )


DEFAULT_IRECIST_RULES = IrecistRules()


@dataclass(frozen=True)
class IrecistTimepoint:
    """iRECIST category of one assessment, beside its RECIST 1.1 category."""

    subject_id: str
    visit: str
    date: date
    response: IResponse
    recist_response: Response
    reasons: tuple[str, ...] = ()
    new_lesion_target_sum: Decimal | None = None
    clinically_stable: bool | None = None


@dataclass(frozen=True)
class IrecistResult:
    """iRECIST results of one subject (spec §2.6).

    `progression_date` is the iPFS event date under `rules`: the first iUPD of the block an iCPD
    confirmed, or (by default) of an iUPD never confirmed nor reset. `icpd_date` is when iCPD was
    declared. `response_start_date` / `response_end_date` bound the iDOR (first iCR/iPR to the
    confirmed progression's iUPD date); None where they do not apply.
    """

    subject_id: str
    timepoints: tuple[IrecistTimepoint, ...]
    ibor: IResponse
    ibor_date: date | None
    confirmed_ibor: IResponse
    confirmed_ibor_date: date | None
    progression_date: date | None
    progression_is_confirmed: bool
    unconfirmed_iupd_date: date | None
    icpd_date: date | None
    response_start_date: date | None
    response_end_date: date | None
    recist: RecistResult
    best_response: BestOverallResponse
    rules: IrecistRules = field(default_factory=IrecistRules)


@dataclass
class _Block:
    """An open iUPD: when it started, what progressed and the sums then."""

    start: date
    causes: frozenset[str]
    target_sum: Decimal | None
    new_target_sum: Decimal | None
    rank: int


class _NewLesionBook:
    """New lesions under iRECIST (spec §2.3): which are known, which are new targets (NLT: at most 5,
    2 per organ, measurable at first sight), and the NLT sum with its own nadir."""

    def __init__(self, subject_id: str):
        self.subject_id = subject_id
        self.known: set[str] = set()
        self.targets: list[NewLesion] = []
        self.nadir: Decimal | None = None

    def read(self, assessment: Assessment, rows: tuple[NewLesion, ...]):
        """Read one assessment's new lesions: (any fresh lesion, NLT sum, NLT sum PD over its nadir,
        NLNT grown, any new lesion still present)."""
        confirmed = [row for row in rows if is_confirmed_new_lesion(row, assessment)]
        fresh = sorted((row for row in confirmed if row.lesion_id not in self.known),
                       key=lambda row: (-(row.size or 0), row.lesion_id))
        before = len(self.targets)
        for row in fresh:
            self._maybe_target(row)
        total = self._target_sum(confirmed)
        progressed = (before == len(self.targets) and total is not None and
                      self.nadir is not None and is_progression_by_sum(total, self.nadir))
        if total is not None:
            self.nadir = total if before != len(self.targets) or self.nadir is None \
                else min(self.nadir, total)
        grown = any(row.grown for row in confirmed
                    if row.lesion_id in self.known and not self._is_target(row.lesion_id))
        still_present = any((row.size is None or row.size > 0) for row in confirmed)
        self.known |= {row.lesion_id for row in confirmed}
        return bool(fresh), total, progressed, grown, still_present

    def _maybe_target(self, row: NewLesion) -> None:
        probe = Lesion(self.subject_id, row.lesion_id, row.organ, is_lymph_node=row.is_lymph_node,
                       method=row.method or Method.CT)
        measurable, _ = classify_measurability(probe, row.size)
        organs = Counter(compute_organ_group(_as_lesion(self.subject_id, t)) for t in self.targets)
        organ = compute_organ_group(probe)
        if measurable and len(self.targets) < MAX_TARGETS and \
                organs[organ] < MAX_TARGETS_PER_ORGAN:
            self.targets.append(row)

    def _is_target(self, lesion_id: str) -> bool:
        return any(t.lesion_id == lesion_id for t in self.targets)

    def _target_sum(self, confirmed: list[NewLesion]) -> Decimal | None:
        if not self.targets:
            return None
        sizes = {row.lesion_id: row.size for row in confirmed}
        values = [sizes.get(t.lesion_id) for t in self.targets]
        return None if None in values else sum(values, Decimal(0))


def _as_lesion(subject_id: str, row: NewLesion) -> Lesion:
    return Lesion(subject_id, row.lesion_id, row.organ, is_lymph_node=row.is_lymph_node)


def derive_irecist_responses(
    records: TumourRecords,
    start_date: date,
    *,
    rules: IrecistRules | None = None,
    recist_rules: RecistRules | None = None,
    bor_rules: BorRules | None = None,
    enrolment_date: date | None = None,
    new_anticancer_therapy_date: date | None = None,
    data_cutoff: date | None = None,
    collect_problems: bool = False,
) -> IrecistResult:
    """iRECIST timepoints, iBOR (confirmed and not) and the iPFS progression date of one subject.

    Rules: spec endpoints.md §2.1 (categories as RECIST 1.1), §2.2 (iUPD), §2.3 (new target and
    non-target lesions, never added to the target sum), §2.4 (iCPD and its window), §2.5 (reset),
    §2.6 (iBOR through the BOR engine, iPFS date, iDOR); Seymour et al. 2017.
    The investigator's clinical-stability judgement is carried on each timepoint, not used to
    decide the category. Raises InvalidInput as `derive_timepoint_responses` does.
    """
    rules = rules or DEFAULT_IRECIST_RULES
    bor_rules = bor_rules or DEFAULT_BOR_RULES
    recist = derive_timepoint_responses(
        records, start_date, enrolment_date=enrolment_date,
        new_anticancer_therapy_date=new_anticancer_therapy_date, data_cutoff=data_cutoff,
        rules=recist_rules,
        collect_problems=collect_problems)
    checked = check_tumour_records(records, enrolment_date=enrolment_date, collect_problems=True)
    assessments = {a.visit: a for a in checked.assessments}
    walker = _IrecistWalker(records.subject_id, checked.non_target_statuses, rules)
    for tp in recist.timepoints:
        walker.step(tp, assessments[tp.visit], checked.new_lesions.get(tp.visit, ()))
        if walker.timepoints[-1].response == IResponse.ICPD:
            break
    return _result(records.subject_id, walker, recist, start_date, rules, bor_rules,
                   new_anticancer_therapy_date, data_cutoff)


class _IrecistWalker:
    def __init__(self, subject_id: str, statuses, rules: IrecistRules):
        self.subject_id, self.statuses, self.rules = subject_id, statuses, rules
        self.book = _NewLesionBook(subject_id)
        self.block: _Block | None = None
        self.timepoints: list[IrecistTimepoint] = []
        self.confirmed_block_start: date | None = None

    def step(self, tp: TimepointResponse, assessment: Assessment, rows) -> None:
        """iRECIST category of one assessment from its RECIST 1.1 components (spec §2.2-§2.5)."""
        fresh, nlt_sum, nlt_progressed, nlnt_grown, new_present = self.book.read(assessment, rows)
        underlying = derive_overall_response(tp.target_response, tp.non_target_response,
                                             NewLesionStatus.NONE)
        if underlying == Response.CR and new_present:
            underlying = Response.PR
        progressing = {name for name, hit in (
            ("target", tp.target_response == Response.PD),
            ("non_target", tp.non_target_response == Response.PD),
            ("new_lesion", fresh or nlt_progressed or nlnt_grown)) if hit}
        if self.block is None:
            response = self._open(tp, progressing, nlt_sum, underlying)
        else:
            response = self._follow(tp, progressing, fresh, nlt_sum, nlnt_grown, underlying)
        self.timepoints.append(IrecistTimepoint(
            self.subject_id, tp.visit, tp.date, response, tp.response, tuple(sorted(progressing)),
            nlt_sum, assessment.clinically_stable))

    def _open(self, tp, progressing, nlt_sum, underlying) -> IResponse:
        """Spec §2.2: the first RECIST 1.1 progression in any category is iUPD."""
        if not progressing:
            return _FROM_RECIST[underlying]
        rank = _RANK[underlying] if "target" not in progressing else _RANK[Response.PD]
        if "non_target" in progressing:
            rank = _RANK[Response.PD]
        self.block = _Block(tp.date, frozenset(progressing), tp.available_sum, nlt_sum, rank)
        return IResponse.IUPD

    def _follow(self, tp, progressing, fresh, nlt_sum, nlnt_grown, underlying) -> IResponse:
        """Spec §2.4 (confirmation) and §2.5 (reset) for an open iUPD block."""
        block = self.block
        grew = self._further_growth(tp, block, nlt_sum, nlnt_grown)
        in_window = (tp.date - block.start).days >= \
            self.rules.confirm_min_days - self.rules.confirm_tolerance_days
        if fresh or (grew and in_window):
            self.confirmed_block_start = block.start
            return IResponse.ICPD
        if not progressing and not grew and _RANK[underlying] > block.rank:
            self.block = None
            return _FROM_RECIST[underlying]
        return IResponse.IUPD

    def _further_growth(self, tp, block: _Block, nlt_sum, nlnt_grown) -> bool:
        causes = block.causes
        if "target" in causes:
            target = (tp.available_sum is not None and block.target_sum is not None and
                      tp.available_sum - block.target_sum >= 5)
        else:
            target = tp.target_response == Response.PD
        if "non_target" in causes:
            non_target = any(s.grown or s.state == NonTargetState.UNEQUIVOCAL_PROGRESSION
                             for (visit, _), s in self.statuses.items() if visit == tp.visit)
        else:
            non_target = tp.non_target_response == Response.PD
        new = nlnt_grown or (nlt_sum is not None and block.new_target_sum is not None and
                             nlt_sum - block.new_target_sum >= 5)
        return target or non_target or new


def _result(subject_id, walker: _IrecistWalker, recist, start_date, rules, bor_rules, nact,
            data_cutoff) -> IrecistResult:
    timepoints = tuple(walker.timepoints)
    as_recist = [ResponseAtDate(tp.date, _TO_RECIST[tp.response], tp.visit) for tp in timepoints]
    window = EvaluationWindowRule(stop_at_first_progression=False,
                                  include_new_therapy_day=bor_rules.window.include_new_therapy_day,
                                  same_date=bor_rules.window.same_date)
    best = derive_best_overall_response(
        as_recist, start_date, subject_id=subject_id,
        rules=BorRules(bor_rules.confirmation, bor_rules.sd_duration, window,
                       bor_rules.confirmation_required, bor_rules.non_cr_non_pd_is_disease_control),
        new_therapy_date=nact, data_cutoff=data_cutoff)
    confirmed = walker.confirmed_block_start
    icpd = next((tp.date for tp in timepoints if tp.response == IResponse.ICPD), None)
    open_iupd = walker.block.start if walker.block is not None and icpd is None else None
    progression = confirmed or (open_iupd if rules.iupd_unconfirmed_counts_as_event else None)
    start = best.confirmed_response_date if bor_rules.confirmation_required \
        else best.first_response_date
    return IrecistResult(
        subject_id=subject_id,
        timepoints=timepoints,
        ibor=_to_i(best.bor, icpd),
        ibor_date=best.bor_date,
        confirmed_ibor=_to_i(best.confirmed_bor, icpd),
        confirmed_ibor_date=best.confirmed_bor_date,
        progression_date=progression,
        progression_is_confirmed=confirmed is not None,
        unconfirmed_iupd_date=open_iupd,
        icpd_date=icpd,
        response_start_date=start,
        response_end_date=confirmed if start is not None else None,
        recist=recist,
        best_response=best,
        rules=rules,
    )


def _to_i(response: Response, icpd: date | None) -> IResponse:
    """Spec §2.6: progression is iCPD when confirmed, iUPD when it never was."""
    if response == Response.PD:
        return IResponse.ICPD if icpd is not None else IResponse.IUPD
    if response == Response.NO_ASSESSMENT:
        return IResponse.NO_ASSESSMENT
    return _FROM_RECIST[response]
