"""A single-arm trial's primary landmark endpoint against its design (seed-trials.md §4.1): the
Kaplan–Meier 12-month PFS rate with its CI beside the design's null (p0) and alternative (p1)
rates, and the protocol's decision rule — for a Simon two-stage design, "efficacy if more than r
of N subjects are alive and progression-free at 12 months" (Simon 1989, Control Clin Trials
10:1) — with the count observed so far.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from dataclasses import dataclass

from oncotrial.domain.design.simon import compute_simon_designs
from oncotrial.domain.protocol.model import Design
from oncotrial.errors import OncotrialError

from .inputs import Interval
from .notes import note
from .survival import ArmSurvival


@dataclass(frozen=True)
class LandmarkDecision:
    """The landmark rate against the design and the decision rule, in numbers and in words.

    `successes` / `failures` count subjects known alive and progression-free at the landmark /
    known to have progressed or died before it; `pending` are followed for less (censored before
    it). `decision` is "met", "not met" or "not yet decided".
    """

    endpoint: str
    landmark_months: float
    design_method: str
    p0: float
    p1: float | None
    alpha: float
    sides: int
    km_rate: Interval
    km_lower_above_p0: bool | None
    r1: int | None
    n1: int | None
    r: int | None
    n: int | None
    successes: int
    failures: int
    pending: int
    decision: str
    rule: str
    warnings: tuple[str, ...]


def _simon(design: Design):
    """The Simon design behind the protocol: the optimal or minimax design of its size."""
    designs = _simon_designs(design.p0, design.p1, design.alpha, 1.0 - design.power)
    for candidate in (designs.optimal, designs.minimax, *designs.admissible):
        if design.sample_size in (None, candidate.n):
            return candidate
    return designs.optimal


@functools.lru_cache(maxsize=32)
def _simon_designs(p0: float, p1: float, alpha: float, beta: float):
    # The exact search takes about a second and depends on the protocol's design alone: searched once
    # per design and process, not on every results read (issue 14). SimonDesigns is frozen.
    return compute_simon_designs(p0, p1, alpha, beta)


def _decision(successes: int, failures: int, r: int | None, n: int | None) -> str:
    if r is None or n is None:
        return "not yet decided"
    if successes > r:
        return "met"
    if n - failures <= r:
        return "not met"
    return "not yet decided"


def derive_landmark_decision(design: Design, column: ArmSurvival | None,
                             statuses: Sequence[bool | None]) -> LandmarkDecision | None:
    """Trial A's primary analysis against its design; None when the design has no landmark null
    rate. `column` is the PFS column of the one arm (KM rate at the landmark), `statuses` each
    analysed subject's landmark status (True event-free, False event before, None censored).

    >>> from oncotrial.domain.protocol.model import Design
    >>> d = Design("simon_two_stage", p0=0.4, p1=0.6, landmark_months=12, sample_size=46)
    >>> x = derive_landmark_decision(d, None, [True] * 24 + [False] * 5)
    >>> (x.r1, x.n1, x.r, x.n, x.decision)
    (7, 16, 23, 46, 'met')
    """
    if design.p0 is None or design.landmark_months is None:
        return None
    warnings: list[str] = []
    simon = None
    if design.method == "simon_two_stage" and design.p1 is not None:
        try:
            simon = _simon(design)
        except OncotrialError as problem:
            warnings.append(note("simon_not_computed", f"Simon design not computed: {problem.message}",
                                 detail=problem.message))
    rate = Interval(None, None, None)
    if column is not None:
        rate = next((Interval(lm.estimate, lm.lower, lm.upper) for lm in column.landmarks
                     if lm.months == design.landmark_months), rate)
    if rate.estimate is None:
        warnings.append(note("landmark_not_estimable", f"the {design.landmark_months:g}-month rate is not "
                             "estimable yet", months=design.landmark_months))
    successes, failures = statuses.count(True), statuses.count(False)
    r, n = (simon.r, simon.n) if simon else (None, None)
    rule = (f"Simon two-stage ({simon.r1}/{simon.n1}; {simon.r}/{simon.n}): stop after stage 1 if "
            f"at most {simon.r1} of {simon.n1} are alive and progression-free at "
            f"{design.landmark_months:g} months; efficacy if more than {simon.r} of {simon.n}. "
            f"Null rate p0 = {design.p0:g}, alternative p1 = {design.p1:g}, one-sided alpha "
            f"{design.alpha:g}." if simon else
            f"Promising if the lower 95% confidence limit of the {design.landmark_months:g}-month "
            f"rate lies above the null rate p0 = {design.p0:g}.")
    return LandmarkDecision(
        "PFS", float(design.landmark_months), design.method, design.p0, design.p1, design.alpha,
        int(design.sides), rate, None if rate.lower is None else rate.lower > design.p0,
        simon.r1 if simon else None, simon.n1 if simon else None, r, n, successes, failures,
        statuses.count(None), _decision(successes, failures, r, n), rule, tuple(warnings))
