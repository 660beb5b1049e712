"""RECIST 1.1 timepoint engine: target values, sums, nadir, target / non-target / new-lesion
responses and the overall response at each assessment (spec endpoints.md §1.3–§1.10, §1.14, §1.15;
Eisenhauer et al. 2009, RECIST 1.1 §4.3–§4.4 and Tables 1–2).

`derive_timepoint_responses` is the one call: checked records in, one `TimepointResponse` per
post-baseline assessment out, with the baseline, the data-quality flags and (with
`collect_problems=True`) the input problems. The best overall response is `response.py`'s job.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from oncotrial.domain.tumour.baseline import NODE_PATHOLOGICAL_MM, Baseline, derive_baseline
from oncotrial.domain.tumour.checks import CheckedRecords, check_tumour_records
from oncotrial.domain.tumour.lesions import (
    Assessment,
    DataQualityFlag,
    LesionMeasurement,
    NonTargetState,
    NonTargetStatus,
    TargetResult,
    TumourRecords,
)
from oncotrial.domain.tumour.new_lesions import (
    NewLesionEvidence,
    NewLesionStatus,
    derive_new_lesion_evidence,
)
from oncotrial.domain.tumour.response import Response
from oncotrial.domain.tumour.rules import DEFAULT_RECIST_RULES, RecistRules

ZERO = Decimal(0)
HUNDRED = Decimal(100)


@dataclass(frozen=True)
class TimepointResponse:
    """The RECIST 1.1 result of one post-baseline assessment.

    `date` is the assessment's date for every derivation (spec §1.10): the first-evidence PD date
    for a PD, otherwise its latest (or earliest) scan. `target_sum` is defined only when every target
    has a value; `available_sum` is the (partial) sum of those that do. `nadir` is the smallest of the
    baseline sum and the earlier complete sums. Percentages are exact decimals (x 100).
    `target_response` is the arithmetic category used for BOR; `target_response_reported` applies
    the working group's continued-PR labelling. `progression_reasons` names the rules that made PD.
    """

    subject_id: str
    visit: str
    date: date
    assessment_date: date
    target_values: tuple[tuple[str, Decimal | None], ...]
    target_sum: Decimal | None
    available_sum: Decimal | None
    nadir: Decimal | None
    percent_change_from_baseline: Decimal | None
    percent_change_from_nadir: Decimal | None
    change_from_nadir_mm: Decimal | None
    target_response: Response
    target_response_reported: Response
    non_target_response: Response
    new_lesion_status: NewLesionStatus
    response: Response
    progression_reasons: tuple[str, ...] = ()
    is_backdated: bool = False


@dataclass(frozen=True)
class RecistResult:
    """All RECIST 1.1 results of one subject: baseline, timepoints in date order, flags (spec
    §1.15) and, with `collect_problems=True`, the input problems found by the checks."""

    subject_id: str
    baseline: Baseline
    timepoints: tuple[TimepointResponse, ...]
    flags: tuple[DataQualityFlag, ...]
    problems: tuple[DataQualityFlag, ...]
    rules: RecistRules

    @property
    def first_progression(self) -> TimepointResponse | None:
        """The first PD timepoint in date order, or None."""
        return next((tp for tp in self.timepoints if tp.response == Response.PD), None)

    @property
    def progression_date(self) -> date | None:
        """The PD date (spec §1.10, backdating applied): the earliest PD timepoint date."""
        dates = [tp.date for tp in self.timepoints if tp.response == Response.PD]
        return min(dates) if dates else None

    def flag_codes(self) -> tuple[str, ...]:
        """The distinct flag codes raised, sorted."""
        return tuple(sorted({flag.code for flag in self.flags}))


def compute_target_value(
    measurement: LesionMeasurement | None, is_lymph_node: bool, tstm_mm: Decimal = Decimal(5)
) -> Decimal | None:
    """The value a target contributes to the sum at one assessment (spec §1.3; RECIST 1.1 §4.3.2
    and the working group on lesions under 5 mm): a measurement as measured (even < 5 mm); too
    small to measure = `tstm_mm`; disappeared non-nodal = 0; split = the fragments' sum; merged into
    another lesion = 0; not evaluated (or a node without its short axis) = None.
    """
    if measurement is None:
        return None
    result = measurement.result
    if result == TargetResult.MEASURED:
        return measurement.size
    if result == TargetResult.TOO_SMALL:
        return tstm_mm
    if result == TargetResult.SPLIT:
        return sum(measurement.fragments, ZERO)
    if result == TargetResult.MERGED:
        return ZERO
    if result == TargetResult.DISAPPEARED and not is_lymph_node:
        return ZERO
    return None


def compute_sum_of_diameters(values: Sequence[Decimal | None]) -> Decimal | None:
    """Sum of diameters (LD of non-nodal plus SA of nodal targets), None unless every target has a
    value (spec §1.4; RECIST 1.1 §4.3.1).

    >>> compute_sum_of_diameters([Decimal(40), Decimal(20), Decimal(10)])
    Decimal('70')
    """
    if any(value is None for value in values):
        return None
    return sum(values, ZERO)


def compute_percent_change(current: Decimal | None, reference: Decimal | None) -> Decimal | None:
    """(current - reference) / reference x 100 as an exact decimal; None when undefined (spec §1.4).

    >>> compute_percent_change(Decimal(70), Decimal(100))
    Decimal('-30')
    """
    if current is None or reference is None or reference == 0:
        return None
    return (current - reference) * HUNDRED / reference


def is_progression_by_sum(current: Decimal, nadir: Decimal) -> bool:
    """PD by the sum: at least +20% and at least +5 mm over the nadir, both inclusive, in exact
    arithmetic (5·S >= 6·N and S - N >= 5; spec §0.2, §1.5 step 4; RECIST 1.1 §4.3.1)."""
    return current - nadir >= 5 and 5 * current >= 6 * nadir


def is_partial_response_by_sum(current: Decimal, baseline_sum: Decimal) -> bool:
    """PR by the sum: at least 30% below baseline, inclusive (10·S <= 7·B; spec §0.2, §1.5 step 5)."""
    return 10 * current <= 7 * baseline_sum


def derive_target_response(
    values: Sequence[Decimal | None],
    nodal: Sequence[bool],
    baseline_sum: Decimal | None,
    nadir: Decimal | None,
    *,
    after_overall_cr: bool = False,
) -> tuple[Response, str]:
    """Target-lesion response at one assessment by the decision procedure of spec §1.5 (first step
    that fires decides): incomplete targets give PD if the partial sum already proves it, else NE;
    CR when non-nodal targets are 0 and nodes < 10 mm; PD on reappearance after an overall CR
    (`after_overall_cr`, the caller applies `reappearance_after_cr_is_pd`); PD by the sum; PR; SD.
    RECIST 1.1 §4.3.1, working-group clarifications on nodes and reappearance.

    Returns the category and the rule that decided a PD ("partial_sum", "reappearance_after_cr",
    "target_sum"), or "".
    """
    if not values:
        return Response.NA, ""
    if baseline_sum is None or nadir is None:
        return Response.NE, ""
    if any(value is None for value in values):
        partial = sum((value for value in values if value is not None), ZERO)
        if is_progression_by_sum(partial, nadir):
            return Response.PD, "partial_sum"
        return Response.NE, ""
    if all(v < NODE_PATHOLOGICAL_MM if node else v == 0 for v, node in zip(values, nodal,
                                                                           strict=True)):
        return Response.CR, ""
    if after_overall_cr:
        return Response.PD, "reappearance_after_cr"
    total = sum(values, ZERO)
    if is_progression_by_sum(total, nadir):
        return Response.PD, "target_sum"
    if is_partial_response_by_sum(total, baseline_sum):
        return Response.PR, ""
    return Response.SD, ""


def derive_non_target_response(
    items: Sequence[tuple[bool, bool, NonTargetStatus | None]],
    *,
    cea_is_marker: bool = False,
    cea: Decimal | None = None,
    cea_uln: Decimal | None = None,
    treated_site_progression_is_pd: bool = True,
) -> tuple[Response, tuple[str, ...]]:
    """Non-target response at one assessment (spec §1.6 table, first match wins; §1.14.2, §1.14.4;
    RECIST 1.1 §4.3.3): PD if any item progressed unequivocally (or, by the platform rule, a
    locally treated item has adjudicated local progression); NA without items or marker; NE if any
    item was not evaluated; CR if every item is absent, nodes < 10 mm, and a CEA marker of interest
    is back to <= ULN; otherwise NON-CR/NON-PD. A missing CEA blocks CR (NE) only when CR is
    otherwise reached.

    `items` holds, per baseline non-target item, (is_lymph_node, is_locally_treated, status).
    Returns the category and the PD reasons ("non_target", "treated_site").
    """
    reasons = _non_target_progression(items, treated_site_progression_is_pd)
    if reasons:
        return Response.PD, reasons
    if not items and not cea_is_marker:
        return Response.NA, ()
    statuses = [status for _, _, status in items]
    if any(s is None or s.state == NonTargetState.NOT_EVALUATED for s in statuses):
        return Response.NE, ()
    if not all(_is_absent(node, status) for node, _, status in items):
        return Response.NON_CR_NON_PD, ()
    if not cea_is_marker:
        return Response.CR, ()
    if cea is None or cea_uln is None:
        return Response.NE, ()
    return (Response.CR, ()) if cea <= cea_uln else (Response.NON_CR_NON_PD, ())


def _non_target_progression(items, treated_site_rule: bool) -> tuple[str, ...]:
    reasons = set()
    for _, treated, status in items:
        if status is None:
            continue
        if treated and treated_site_rule and status.local_progression:
            reasons.add("treated_site")
        elif status.state == NonTargetState.UNEQUIVOCAL_PROGRESSION:
            reasons.add("non_target")
    return tuple(sorted(reasons))


def _is_absent(is_lymph_node: bool, status: NonTargetStatus) -> bool:
    if status.state == NonTargetState.ABSENT:
        return True
    return is_lymph_node and status.size is not None and status.size < NODE_PATHOLOGICAL_MM


def derive_overall_response(
    target: Response, non_target: Response, new_lesion: NewLesionStatus
) -> Response:
    """Overall response at one assessment (spec §1.8; RECIST 1.1 Tables 1 and 2; first row that
    matches wins). `target` is NA for a patient without target lesions.

    >>> derive_overall_response(Response.CR, Response.NE, NewLesionStatus.NONE).value
    'PR'
    """
    if new_lesion == NewLesionStatus.UNEQUIVOCAL or Response.PD in (target, non_target):
        return Response.PD
    if target == Response.NA:
        return {Response.CR: Response.CR, Response.NON_CR_NON_PD: Response.NON_CR_NON_PD}.get(
            non_target, Response.NE)
    if target == Response.CR:
        return Response.CR if non_target in (Response.CR, Response.NA) else Response.PR
    if target in (Response.PR, Response.SD):
        return target
    return Response.NE


def derive_timepoint_responses(
    records: TumourRecords,
    start_date: date,
    *,
    enrolment_date: date | None = None,
    new_anticancer_therapy_date: date | None = None,
    data_cutoff: date | None = None,
    rules: RecistRules | None = None,
    collect_problems: bool = False,
) -> RecistResult:
    """RECIST 1.1 overall response at every post-baseline assessment of one subject.

    Rules: spec endpoints.md §1.2–§1.10, §1.14, §1.15 (RECIST 1.1 §4). Assessments after
    `start_date` are post-baseline; the baseline is chosen by §1.2. With `data_cutoff`, nothing
    dated after it is used (§3.1): an equivocal lesion confirmed only after the cut-off stays open
    (flag EQUIVOCAL_NEW_LESION_OPEN) and is not back-dated. Equivocal new lesions later
    confirmed make PD from their first scan (backdating) before any other rule looks at the
    sequence, so nadir, reappearance and BOR all see the final categories.

    Raises InvalidInput for inconsistent records (see `check_tumour_records`) unless
    `collect_problems`, in which case the problems come back in `.problems`.
    """
    rules = rules or DEFAULT_RECIST_RULES
    checked = check_tumour_records(records, enrolment_date=enrolment_date,
                                   collect_problems=collect_problems)
    baseline = derive_baseline(checked, start_date, rules)
    follow_up = tuple(a for a in checked.assessments if a.date > start_date
                      and (data_cutoff is None or a.date <= data_cutoff))
    evidence = derive_new_lesion_evidence(checked, follow_up, rules)
    engine = _TimepointEngine(checked, baseline, evidence, rules)
    timepoints = tuple(engine.derive(assessment) for assessment in follow_up)
    flags = (baseline.flags + evidence.flags + tuple(engine.flags)
             + _record_flags(checked, baseline, follow_up, new_anticancer_therapy_date))
    return RecistResult(checked.subject_id, baseline, timepoints, flags, checked.problems, rules)


class _TimepointEngine:
    """Walks a subject's assessments in date order, carrying the nadir and the history that the
    reappearance and continued-PR rules look back on."""

    def __init__(self, checked: CheckedRecords, baseline: Baseline,
                 evidence: NewLesionEvidence, rules: RecistRules):
        self.checked, self.baseline, self.evidence, self.rules = checked, baseline, evidence, rules
        self.targets = [baseline.lesion(lesion_id) for lesion_id in baseline.target_ids]
        self.non_targets = [baseline.lesion(lesion_id) for lesion_id in baseline.non_target_ids]
        self.nadir = baseline.baseline_sum
        self.history: list[TimepointResponse] = []
        self.flags: list[DataQualityFlag] = []

    def derive(self, assessment: Assessment) -> TimepointResponse:
        """One assessment through spec §1.3-§1.10, in that order."""
        visit = assessment.visit
        measurements = [self.checked.measurements.get((visit, t.lesion_id)) for t in self.targets]
        values = [compute_target_value(m, t.lesion.is_lymph_node, self.rules.tstm_default_mm)
                  for m, t in zip(measurements, self.targets, strict=True)]
        self._flag_missing_node_axes(assessment, measurements)
        after_cr = self.rules.reappearance_after_cr_is_pd and self._last_evaluable_is_cr()
        target, target_reason = derive_target_response(
            values, [t.lesion.is_lymph_node for t in self.targets], self.baseline.baseline_sum,
            self.nadir, after_overall_cr=after_cr)
        if target_reason == "reappearance_after_cr":
            self._flag_unconfirmed_cr(assessment)
        statuses = [self.checked.non_target_statuses.get((visit, nt.lesion_id))
                    for nt in self.non_targets]
        non_target, nt_reasons = derive_non_target_response(
            [(nt.lesion.is_lymph_node, nt.lesion.is_locally_treated, status)
             for nt, status in zip(self.non_targets, statuses, strict=True)],
            cea_is_marker=self.baseline.cea_is_marker, cea=_decimal(assessment.cea),
            cea_uln=_decimal(assessment.cea_uln),
            treated_site_progression_is_pd=self.rules.treated_site_progression_is_pd)
        new = self.evidence.at(visit)
        overall = derive_overall_response(target, non_target, new.status)
        reasons = tuple(r for r in (target_reason,) if r and target == Response.PD) + nt_reasons
        if new.status == NewLesionStatus.UNEQUIVOCAL:
            reasons += ("backdated_new_lesion" if new.is_backdated else "new_lesion",)
        when = self._date(assessment, overall, target == Response.PD, nt_reasons, new.date,
                          measurements, statuses)
        timepoint = self._timepoint(assessment, when, values, target, non_target, new, overall,
                                    reasons)
        self.history.append(timepoint)
        if timepoint.target_sum is not None and self.nadir is not None:
            self.nadir = min(self.nadir, timepoint.target_sum)
        return timepoint

    def _timepoint(self, assessment, when, values, target, non_target, new, overall, reasons):
        total = compute_sum_of_diameters(values)
        available = sum((v for v in values if v is not None), ZERO) if values else None
        return TimepointResponse(
            subject_id=self.checked.subject_id,
            visit=assessment.visit,
            date=when,
            assessment_date=assessment.date,
            target_values=tuple((t.lesion_id, v) for t, v in zip(self.targets, values,
                                                                  strict=True)),
            target_sum=total if values else None,
            available_sum=available,
            nadir=self.nadir,
            percent_change_from_baseline=compute_percent_change(total, self.baseline.baseline_sum),
            percent_change_from_nadir=compute_percent_change(total, self.nadir),
            change_from_nadir_mm=(total - self.nadir) if total is not None and self.nadir
            is not None else None,
            target_response=target,
            target_response_reported=self._reported(target, assessment.date),
            non_target_response=non_target,
            new_lesion_status=new.status,
            response=overall,
            progression_reasons=tuple(sorted(set(reasons))) if overall == Response.PD else (),
            is_backdated=new.is_backdated and overall == Response.PD,
        )

    def _date(self, assessment, overall, target_pd, nt_reasons, new_date, measurements, statuses):
        """Spec §1.10: PD at the first evidence; other assessments at their latest (or earliest)
        scan."""
        scans = [row.scan_date or assessment.date
                 for row in [*measurements, *statuses, *self.evidence.rows(assessment.visit)]
                 if row is not None] or [assessment.date]
        if overall != Response.PD or self.rules.pd_date_rule == "latest_scan":
            return max(scans) if self.rules.non_pd_assessment_date == "latest" or \
                overall == Response.PD else min(scans)
        candidates = [new_date] if new_date else []
        if target_pd:
            candidates.append(max(m.scan_date or assessment.date for m in measurements if m))
        if nt_reasons:
            candidates.append(min(s.scan_date or assessment.date for s in statuses
                                  if s is not None and _progressed(s)))
        return min(candidates) if candidates else max(scans)

    def _last_evaluable_is_cr(self) -> bool:
        evaluable = [tp for tp in self.history if tp.response != Response.NE]
        return bool(evaluable) and evaluable[-1].response == Response.CR

    def _flag_unconfirmed_cr(self, assessment: Assessment) -> None:
        """FLAG REAPPEARANCE_AFTER_UNCONFIRMED_CR (spec §1.5 step 3): the run of CR (and NE)
        before this assessment holds no two CRs at least `confirm_min_days` apart."""
        cr_dates = []
        for tp in reversed(self.history):
            if tp.response not in (Response.CR, Response.NE):
                break
            if tp.response == Response.CR:
                cr_dates.append(tp.date)
        if (max(cr_dates) - min(cr_dates)).days < self.rules.confirm_min_days:
            self.flags.append(DataQualityFlag(
                "REAPPEARANCE_AFTER_UNCONFIRMED_CR", self.checked.subject_id,
                f"subject {self.checked.subject_id}: a lesion reappears at {assessment.visit} after "
                f"an unconfirmed CR ({max(cr_dates)}); re-read the CR, it may have been a PR",
                visit=assessment.visit))

    def _reported(self, target: Response, when: date) -> Response:
        """Continued-PR labelling (spec §1.5): after an established PR, a non-PD SD reads PR."""
        if target != Response.SD:
            return target
        earlier = [tp.assessment_date for tp in self.history
                   if tp.target_response in (Response.PR, Response.CR)]
        if not earlier:
            return target
        if not self.rules.continued_pr_requires_confirmation:
            return Response.PR
        established = (max(earlier) - min(earlier)).days >= self.rules.confirm_min_days
        return Response.PR if established else target

    def _flag_missing_node_axes(self, assessment, measurements) -> None:
        for target, measurement in zip(self.targets, measurements, strict=True):
            if target.lesion.is_lymph_node and measurement is not None and \
                    measurement.result in (TargetResult.MEASURED, TargetResult.DISAPPEARED) and \
                    measurement.size is None:
                self.flags.append(DataQualityFlag(
                    "NODE_SA_MISSING", self.checked.subject_id,
                    f"subject {self.checked.subject_id}: node target {target.lesion_id} has no "
                    f"short axis at {assessment.visit}; its value is not evaluated",
                    visit=assessment.visit, lesion_id=target.lesion_id))


def _progressed(status: NonTargetStatus) -> bool:
    return status.state == NonTargetState.UNEQUIVOCAL_PROGRESSION or status.local_progression


def _decimal(value) -> Decimal | None:
    return None if value is None else Decimal(str(value))


def _record_flags(checked, baseline, follow_up, nact_date) -> tuple[DataQualityFlag, ...]:
    """Flags read straight off the records (spec §1.15): duplicate dates, modality changes,
    assessments after new therapy, imputed dates."""
    subject = checked.subject_id
    flags = []

    def flag(code, message, visit="", lesion_id=""):
        flags.append(DataQualityFlag(code, subject, f"subject {subject}: {message}", visit,
                                     lesion_id))

    dates = [a.date for a in follow_up]
    for assessment in follow_up:
        if dates.count(assessment.date) > 1:
            flag("DUPLICATE_ASSESSMENT_DATE", f"more than one assessment on {assessment.date}; "
                 "the same-date rule picks the one used", assessment.visit)
        if baseline.assessment and assessment.method != baseline.assessment.method:
            flag("MODALITY_CHANGE", f"{assessment.visit} uses {assessment.method}, baseline used "
                 f"{baseline.assessment.method}", assessment.visit)
        if nact_date is not None and assessment.date > nact_date:
            flag("ASSESSMENT_AFTER_NACT", f"{assessment.visit} ({assessment.date}) is after new "
                 f"anticancer therapy started ({nact_date})", assessment.visit)
    for assessment in checked.assessments:
        if assessment.date_imputed:
            flag("PARTIAL_DATE_IMPUTED", f"the date of {assessment.visit} was imputed",
                 assessment.visit)
    for (visit, lesion_id), row in sorted(checked.measurements.items()):
        lesion = checked.lesions[lesion_id]
        if row.method is not None and row.method != lesion.method:
            flag("MODALITY_CHANGE", f"lesion {lesion_id} measured by {row.method} at {visit}, "
                 f"by {lesion.method} at baseline", visit, lesion_id)
    return tuple(flags)
