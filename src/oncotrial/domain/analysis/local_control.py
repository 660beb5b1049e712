"""Local control as a cumulative incidence with death as the competing risk (spec endpoints.md
§3.7: "1 − KM cumulative LTP at 365.25 days, or, per the SAP, a cumulative incidence with death
as a competing risk"), by arm, with Gray's test between arms (Gray 1988, Ann Stat 16:1141; R
`cmprsk::cuminc`). Patient level: from the protocol's origin to the first local progression of
any treated lesion; a death without local progression is the competing event at its own date.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from oncotrial.domain.outcomes.time_to_event import TimeToEventResult
from oncotrial.domain.stats import estimate_cuminc
from oncotrial.errors import OncotrialError

from ._plain import finite
from .inputs import ArmInfo
from .notes import note
from .survival import DAYS_PER_MONTH, LANDMARK_MONTHS, LandmarkRate, TestResult

LOCAL_PROGRESSION, DEATH = 1, 2


@dataclass(frozen=True)
class ArmCumulativeIncidence:
    """One arm: subjects, local progressions, competing deaths, censored; the cumulative
    incidence of local progression at the landmarks (log(−log) CI) and its step curve."""

    arm: str
    n: int
    events: int
    competing: int
    censored: int
    landmarks: tuple[LandmarkRate, ...]
    time: tuple[float, ...]
    estimate: tuple[float, ...]


@dataclass(frozen=True)
class LocalControlSummary:
    """Cumulative incidence of local progression by arm, Gray's test (None for one arm), the
    rule text and warnings."""

    endpoint: str
    population: str
    rule: str
    arms: tuple[ArmCumulativeIncidence, ...]
    gray: TestResult | None
    warnings: tuple[str, ...]


RULE = ("Local control: time from the protocol's origin to the first local tumour progression of "
        "any treated lesion (cause 1); a death without local progression is a competing event "
        "(cause 2) at the date of death; otherwise censored at the last adequate imaging of the "
        "treated sites (spec §3.7). Cumulative incidence by Aalen–Johansen, Gray's test.")


def code_competing_time(local: TimeToEventResult, survival: TimeToEventResult | None) -> tuple[float, int]:
    """(months, status) for `cuminc`: 1 local progression, 2 death first, 0 censored.

    >>> from datetime import date
    >>> lc = TimeToEventResult("1", "LC", date(2025, 1, 1), date(2025, 3, 1), 60, 1, "C", "c")
    >>> os = TimeToEventResult("1", "OS", date(2025, 1, 1), date(2025, 4, 1), 91, 0, "DEATH", "d")
    >>> months, status = code_competing_time(lc, os)
    >>> round(months * 30.4375), status
    (91, 2)
    """
    if local.is_event:
        return local.aval_days / DAYS_PER_MONTH, LOCAL_PROGRESSION
    if survival is not None and survival.is_event and survival.date >= local.start_date:
        return ((survival.date - local.start_date).days + 1) / DAYS_PER_MONTH, DEATH
    return local.aval_days / DAYS_PER_MONTH, 0


def _arm_column(result, arm: str, rows: list[tuple[float, int]]) -> ArmCumulativeIncidence:
    statuses = [s for _, s in rows]
    try:
        curve = result.curve(arm, LOCAL_PROGRESSION) if result is not None else None
    except OncotrialError:
        curve = None
    if curve is None:
        landmarks = tuple(LandmarkRate(m, 0.0, None, None, sum(t >= m for t, _ in rows))
                          for m in LANDMARK_MONTHS)
        return ArmCumulativeIncidence(arm, len(rows), 0, statuses.count(DEATH), statuses.count(0),
                                      landmarks, (), ())
    estimate, _ = curve.at(LANDMARK_MONTHS)
    lower, upper = curve.ci_at(LANDMARK_MONTHS)
    landmarks = tuple(LandmarkRate(m, finite(e), finite(lo), finite(up), sum(t >= m for t, _ in rows))
                      for m, e, lo, up in zip(LANDMARK_MONTHS, estimate, lower, upper, strict=True))
    return ArmCumulativeIncidence(arm, len(rows), statuses.count(LOCAL_PROGRESSION),
                                  statuses.count(DEATH), statuses.count(0), landmarks,
                                  tuple(float(t) for t in curve.time),
                                  tuple(float(f) for f in curve.estimate))


def derive_local_control_summary(rows: Sequence[tuple[str, TimeToEventResult, TimeToEventResult | None]],
                                 arms: Sequence[ArmInfo], population: str) -> LocalControlSummary:
    """Cumulative incidence of local progression by arm with Gray's test, from (arm, patient-level
    local control, OS) per subject with local therapy. No local progression, one arm or no
    subject give warnings, never an error."""
    coded = [(arm, *code_competing_time(local, survival)) for arm, local, survival in rows]
    present = [a.id for a in arms if any(c[0] == a.id for c in coded)]
    warnings = [note("local_empty_arm", f"local control: arm {a.id} has no subject with local therapy", arm=a.id)
                for a in arms if a.id not in present]
    if not coded:
        return LocalControlSummary("LOCAL_CONTROL", population, RULE, (), None,
                                   (note("local_empty", "local control: no subject with local therapy"),))
    result = None
    try:
        result = estimate_cuminc([c[1] for c in coded], [c[2] for c in coded], [c[0] for c in coded],
                                 group_levels=present)
        warnings += [note("local_statistic", f"local control: {w}", detail=w) for w in result.warnings]
    except OncotrialError as problem:
        warnings.append(note("local_statistic", f"local control: {problem.message}", detail=problem.message))
    columns = tuple(_arm_column(result, arm, [(t, s) for a, t, s in coded if a == arm])
                    for arm in present)
    gray = None
    if result is not None and len(present) > 1:
        test = next((t for t in result.tests if t.cause == LOCAL_PROGRESSION), None)
        if test is None:
            warnings.append(note("local_no_gray", "local control: no local progression, so no Gray's test"))
        else:
            gray = TestResult("Gray's test", finite(test.statistic), int(test.df), finite(test.p_value))
    if not any(c.events for c in columns):
        warnings.append(note("local_no_progression", "local control: no local progression observed"))
    return LocalControlSummary("LOCAL_CONTROL", population, RULE, columns, gray,
                               tuple(dict.fromkeys(warnings)))
