"""Best overall response by arm (NEST TLG RSPT01): BOR counts, ORR and DCR with Clopper–Pearson
95% CIs, and the difference between arms with its CI; and the waterfall, swimmer and spider data.

ORR = CR + PR; DCR = CR + PR + SD (SD lasting the protocol's minimum), each over the response
population (spec endpoints.md §1.13: treated, measurable disease at baseline; NE and no
assessment stay in the denominator as non-responders). The BOR is the confirmed one when the
protocol requires confirmation (RECIST 1.1 §4.4.2).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from oncotrial.domain.outcomes.subject_outcomes import SubjectOutcome
from oncotrial.domain.tumour.recist import TimepointResponse

from ._plain import finite
from .inputs import ArmInfo, Rate, RateDifference, compute_rate, compute_rate_difference
from .notes import note
from .survival import DAYS_PER_MONTH

BOR_ORDER = ("CR", "PR", "SD", "NON-CR/NON-PD", "PD", "NE", "NO_ASSESSMENT")


@dataclass(frozen=True)
class ArmResponse:
    """One arm's RSPT01 column: N, subjects per BOR category, ORR and DCR."""

    arm: str
    n: int
    bor_counts: tuple[tuple[str, int], ...]
    orr: Rate
    dcr: Rate


@dataclass(frozen=True)
class ResponseSummary:
    """RSPT01: the population, whether confirmation was required, the rules, per-arm columns,
    the ORR and DCR differences (experimental − control) and warnings."""

    population: str
    confirmation_required: bool
    rules: tuple[str, ...]
    arms: tuple[ArmResponse, ...]
    orr_difference: RateDifference | None
    dcr_difference: RateDifference | None
    warnings: tuple[str, ...]


def _bor(outcome: SubjectOutcome, confirmation_required: bool) -> str:
    return outcome.confirmed_bor if confirmation_required else outcome.bor


def derive_response_summary(members: Sequence[tuple[SubjectOutcome, str]], arms: Sequence[ArmInfo],
                            comparison: tuple[str, str] | None, confirmation_required: bool,
                            population: str, rules: Sequence[str] = ()) -> ResponseSummary:
    """RSPT01 over the response population among the analysis set (`members`: (outcome, arm)).

    >>> from oncotrial.domain.analysis.inputs import ArmInfo
    >>> s = derive_response_summary([], [ArmInfo("A", "A", "experimental")], None, False, "ITT")
    >>> s.arms[0].orr.n, s.warnings
    (0, ('A: no subject in the response population',))
    """
    warnings: list[str] = []
    columns = []
    for arm in arms:
        group = [o for o, a in members if a == arm.id and o.in_response_population]
        counts = {c: sum(1 for o in group if _bor(o, confirmation_required) == c) for c in BOR_ORDER}
        orr = compute_rate(sum(o.responder for o in group), len(group))
        dcr = compute_rate(sum(o.disease_control for o in group), len(group))
        if not group:
            warnings.append(note("response_empty_arm", f"{arm.id}: no subject in the response population",
                                 arm=arm.id))
        elif orr.x == 0:
            warnings.append(note("no_responders", f"{arm.id}: no responders (ORR 0 of {orr.n})", arm=arm.id,
                                 n=orr.n))
        columns.append(ArmResponse(arm.id, len(group), tuple(counts.items()), orr, dcr))
    by_arm = {c.arm: c for c in columns}
    orr_diff = dcr_diff = None
    if comparison is not None:
        exp, ctrl = by_arm[comparison[0]], by_arm[comparison[1]]
        orr_diff = compute_rate_difference(exp.arm, exp.orr, ctrl.arm, ctrl.orr)
        dcr_diff = compute_rate_difference(exp.arm, exp.dcr, ctrl.arm, ctrl.dcr)
    return ResponseSummary(population, confirmation_required, tuple(rules), tuple(columns),
                           orr_diff, dcr_diff, tuple(warnings))


@dataclass(frozen=True)
class WaterfallBar:
    """One subject's bar: best (most negative) % change of the target sum from baseline, BOR."""

    subject_id: str
    arm: str
    best_percent_change: float
    bor: str


@dataclass(frozen=True)
class SpiderPoint:
    """% change of the target sum from baseline at months after the start."""

    months: float
    percent_change: float
    response: str


@dataclass(frozen=True)
class SpiderLine:
    """One subject's line on the spider plot (baseline point 0 % at month 0 first)."""

    subject_id: str
    arm: str
    points: tuple[SpiderPoint, ...]


@dataclass(frozen=True)
class SwimmerLane:
    """One subject's lane: months on treatment, months followed, first response, progression and
    death (months from the start; None when it did not happen), and whether treatment goes on."""

    subject_id: str
    arm: str
    treatment_months: float | None
    follow_up_months: float | None
    response_months: float | None
    progression_months: float | None
    death_months: float | None
    on_treatment: bool
    bor: str


@dataclass(frozen=True)
class TumourPlots:
    """Data for the waterfall (sorted from worst to best), swimmer and spider plots."""

    waterfall: tuple[WaterfallBar, ...]
    spider: tuple[SpiderLine, ...]
    swimmer: tuple[SwimmerLane, ...]


def _months(start, day) -> float | None:
    if start is None or day is None:
        return None
    return (day - start).days / DAYS_PER_MONTH


def _spider_line(outcome: SubjectOutcome, arm: str, points: Sequence[TimepointResponse]) -> SpiderLine:
    series = [SpiderPoint(0.0, 0.0, "baseline")]
    series += [SpiderPoint(_months(outcome.start_date, tp.date), float(tp.percent_change_from_baseline),
                           tp.response.value)
               for tp in sorted(points, key=lambda t: t.date)
               if tp.percent_change_from_baseline is not None]
    return SpiderLine(outcome.subject_id, arm, tuple(series))


def _swimmer_lane(outcome: SubjectOutcome, arm: str, treatment: tuple, bor: str) -> SwimmerLane:
    first, last, stopped = treatment
    pfs = outcome.pfs
    progressed = pfs is not None and pfs.is_event and pfs.rule_id != "DEATH"
    died = outcome.os is not None and outcome.os.is_event
    response = outcome.time_to_response
    return SwimmerLane(
        outcome.subject_id, arm,
        finite(_months(first, last) if first else None),
        outcome.os.aval_months if outcome.os else None,
        response.aval_months if response is not None and response.is_event else None,
        pfs.aval_months if progressed else None, outcome.os.aval_months if died else None,
        first is not None and not stopped and not died, bor)


def derive_tumour_plots(members: Sequence[tuple[SubjectOutcome, str]],
                        timepoints: Mapping[str, Sequence[TimepointResponse]],
                        treatment: Mapping[str, tuple], confirmation_required: bool) -> TumourPlots:
    """Waterfall of best % change coloured by BOR (subjects with at least one post-baseline sum),
    spider lines of % change over time, and swimmer lanes for every subject with a start date.
    `treatment` maps subject id to (first treatment date, last treatment date, discontinued)."""
    bars, lines, lanes = [], [], []
    for outcome, arm in members:
        points = timepoints.get(outcome.subject_id, ())
        changes = [float(tp.percent_change_from_baseline) for tp in points
                   if tp.percent_change_from_baseline is not None]
        bor = _bor(outcome, confirmation_required)
        if changes:
            bars.append(WaterfallBar(outcome.subject_id, arm, min(changes), bor))
            lines.append(_spider_line(outcome, arm, points))
        if outcome.start_date is not None:
            lanes.append(_swimmer_lane(outcome, arm, treatment.get(outcome.subject_id,
                                                                   (None, None, False)), bor))
    bars.sort(key=lambda b: (-b.best_percent_change, b.subject_id))
    lanes.sort(key=lambda lane: (-(lane.follow_up_months or 0.0), lane.subject_id))
    return TumourPlots(tuple(bars), tuple(lines), tuple(lanes))
