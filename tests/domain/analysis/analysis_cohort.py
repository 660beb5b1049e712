"""Small hand-built cohorts for the analysis tests: subject facts and derived outcomes made
directly (no database, no RECIST engine), so every number can be checked by hand or against R."""

from __future__ import annotations

import datetime as dt

from oncotrial.domain.analysis.inputs import AnalysisRequest, SubjectFacts
from oncotrial.domain.outcomes.records import AdverseEvent
from oncotrial.domain.outcomes.safety import derive_teae_flags
from oncotrial.domain.outcomes.subject_outcomes import DerivedOutcomes, SubjectOutcome
from oncotrial.domain.outcomes.time_to_event import TimeToEventResult

START = dt.date(2025, 1, 1)
CUTOFF = dt.date(2026, 6, 30)
# trial B's arms: experimental first in the protocol, control second
E, C = "sbrt-chemo-sintilimab", "chemo"
# days and events of the R cohort (tests/domain/analysis/test_results.py names the R calls)
R_COHORT = ((E, 30, 1, "a"), (E, 60, 1, "b"), (E, 90, 1, "a"), (E, 120, 0, "b"), (E, 150, 1, "a"),
            (C, 20, 1, "a"), (C, 40, 1, "b"), (C, 45, 1, "a"), (C, 70, 1, "b"), (C, 100, 0, "a"),
            (C, 130, 1, "b"))


def tte(sid: str, endpoint: str, days: int, event: bool) -> TimeToEventResult:
    rule = ("PD", "First documented progression.") if event else ("ONGOING", "Censored at LA.")
    if endpoint == "OS":
        rule = ("DEATH", "Death from any cause.") if event else ("LKA", "Censored at LKA.")
    return TimeToEventResult(sid, endpoint, START, START + dt.timedelta(days=days - 1), days,
                             0 if event else 1, *rule)


def outcome(sid: str, arm: str, pfs=None, os=None, bor="SD", measurable=True, treated=True,
            local=None) -> SubjectOutcome:
    responder = bor in ("CR", "PR")
    return SubjectOutcome(
        subject_id=sid, site="01", arm=arm, start_date=START, has_valid_baseline=True,
        measurable_disease=measurable, bor=bor, bor_date=None, confirmed_bor=bor,
        confirmed_bor_date=None, in_response_population=measurable and treated, responder=responder,
        disease_control=bor in ("CR", "PR", "SD"),
        pfs=tte(sid, "PFS", *pfs) if pfs else None, os=tte(sid, "OS", *os) if os else None,
        dor=tte(sid, "DOR", 60, False) if responder else None, time_to_response=None,
        local_control=local, pfs_12_month_status=None, worst_ae_grade=None,
        has_grade_3_4_teae=False, has_grade_3_plus_teae=False, has_grade_5_teae=False,
        has_grade_3_4_related_teae=False, received_therapy=treated)


def facts(sid: str, arm: str, stratum: str = "a", treated: bool = True, **extra) -> SubjectFacts:
    values = dict(site="01", arm=arm, strata=(("margin", stratum),), sex="F", age=60,
                  screened_on=START - dt.timedelta(days=14), eligible=True, enrolled_on=START,
                  randomized_on=START,
                  first_treatment_date=START + dt.timedelta(days=3) if treated else None,
                  last_treatment_date=START + dt.timedelta(days=90) if treated else None)
    return SubjectFacts(sid, **{**values, **extra})


def r_cohort(bors=None) -> tuple[list[SubjectFacts], DerivedOutcomes]:
    rows, outcomes = [], []
    for i, (arm, days, event, stratum) in enumerate(R_COHORT):
        sid = f"01-{i:03d}"
        rows.append(facts(sid, arm, stratum))
        bor = (bors or {}).get(sid, "SD")
        outcomes.append(outcome(sid, arm, pfs=(days, bool(event)), os=(days + 200, False), bor=bor))
    return rows, derived(outcomes)


def derived(outcomes, adverse_events=()) -> DerivedOutcomes:
    return DerivedOutcomes(tuple(outcomes), (), tuple(adverse_events), (), ("rule text",))


def teaes(events: list[AdverseEvent]):
    """TEAE records as the derivation makes them (first dose START + 3, last START + 90)."""
    return derive_teae_flags(events, START + dt.timedelta(days=3), START + dt.timedelta(days=90))


def request(analysis_set: str = "itt", locked: bool = False) -> AnalysisRequest:
    return AnalysisRequest("demo", CUTOFF, analysis_set, locked, "0.test")
