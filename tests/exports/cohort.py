"""A small deterministic trial B cohort for the export tests, derived by the domain from records
(no database): eight randomised subjects with lesions, scans, doses, AEs and deaths, one with no
assessments, one screen failure; `export_study()` bundles it as the web service does."""

from __future__ import annotations

import dataclasses
import datetime as dt

from oncotrial.domain.analysis.inputs import AnalysisRequest, SubjectFacts
from oncotrial.domain.analysis.results import derive_trial_results
from oncotrial.domain.outcomes.derivation_rules import DerivationOptions
from oncotrial.domain.outcomes.derive import derive_subject_outcomes
from oncotrial.domain.outcomes.records import AdverseEvent, Death, Dose, Subject
from oncotrial.domain.tumour.lesions import Assessment, Lesion, LesionMeasurement, LesionRole
from oncotrial.exports.bundle import ExportStudy, SiteInfo
from oncotrial.protocols import load_builtin_protocol

PROTOCOL = load_builtin_protocol("crlm-sbrt-sintilimab")
E, C = "sbrt-chemo-sintilimab", "chemo"
T0 = dt.date(2025, 1, 6)
CUTOFF = dt.date(2026, 3, 31)
CREATED = dt.datetime(2026, 4, 1, 9, 30, tzinfo=dt.UTC)
# subject, arm, strata, sizes of two target lesions at baseline and each 8-weekly scan, death day
PLAN = (("01-001", E, ("R0", "synchronous"), ((40, 30), (26, 20), (24, 18), (23, 17)), None),
        ("01-002", C, ("R0", "synchronous"), ((50, 20), (48, 22), (60, 30)), 200),
        ("01-003", E, ("R1", "metachronous"), ((30, 30), (28, 28), (29, 27), (40, 35)), None),
        ("01-004", C, ("R1", "metachronous"), ((45, 25), (30, 15), (28, 14), (26, 13), (40, 30)), 330),
        ("01-005", E, ("R0", "metachronous"), ((20, 20), (19, 20), (18, 19)), None),
        ("01-006", C, ("R0", "synchronous"), ((35, 35), (36, 36), (50, 45)), 150),
        ("01-007", E, ("R1", "synchronous"), ((25, 15), (10, 5), (0, 0), (0, 0)), None),
        ("01-008", C, ("R0", "metachronous"), ((30, 20),), None))  # baseline only: no assessment


def day(n: int) -> dt.date:
    return T0 + dt.timedelta(days=n)


def _facts(sid, arm, strata, i, death) -> SubjectFacts:
    return SubjectFacts(sid, site="01", arm=arm, strata=(("margin", strata[0]), ("timing", strata[1])),
                        sex="F" if i % 2 else "M", age=50 + i, screened_on=day(-20 + i), eligible=True,
                        enrolled_on=day(i), randomized_on=day(i), first_treatment_date=day(i + 3),
                        last_treatment_date=day(i + 120), death_date=day(death) if death else None,
                        death_cause="disease progression" if death else "")


def _tumour(sid, sizes, i) -> dict:
    lesions = [Lesion(sid, "T1", "liver", role=LesionRole.TARGET), Lesion(sid, "T2", "lung", role=LesionRole.TARGET)]
    visits = [("BL", day(i - 7))] + [(f"W{8 * k}", day(i + 56 * k)) for k in range(1, len(sizes))]
    return {"lesions": lesions, "assessments": [Assessment(sid, v, d) for v, d in visits],
            "measurements": [LesionMeasurement(sid, v, lid, size=size)
                             for (v, _), pair in zip(visits, sizes, strict=True)
                             for lid, size in zip(("T1", "T2"), pair, strict=True)]}


def cohort(extra_facts=(), death_cause: str | None = None):
    """(facts, subjects, tables) of the cohort; `extra_facts` are added (a screen failure, ...)."""
    facts, subjects = [], []
    tables = {name: [] for name in ("lesions", "assessments", "measurements", "non_target_statuses",
                                    "new_lesions", "procedures", "doses", "adverse_events", "deaths",
                                    "new_therapies", "site_assessments")}
    for i, (sid, arm, strata, sizes, death) in enumerate(PLAN, start=1):
        row = _facts(sid, arm, strata, i, death)
        if death and death_cause is not None:
            row = dataclasses.replace(row, death_cause=death_cause)
        facts.append(row)
        subjects.append(Subject(sid, site="01", arm=arm, randomization_date=day(i),
                                stratum=f"margin={strata[0]}/timing={strata[1]}"))
        for name, values in _tumour(sid, sizes, i).items():
            tables[name] += values
        tables["doses"] += [Dose(sid, day(i + 3 + 21 * k), "chemotherapy", "oxaliplatin", 130.0, "mg/m2")
                            for k in range(4)]
        tables["adverse_events"].append(AdverseEvent(sid, f"AE{i}", "Diarrhea", day(i + 10), 1 + i % 4,
                                                     soc="Gastrointestinal disorders", serious=i % 4 == 3))
        if death:
            tables["deaths"].append(Death(sid, day(death), row.death_cause))
    facts += list(extra_facts)
    return facts, subjects, tables


def export_study(extra_facts=(), death_cause=None, protocol=PROTOCOL, cutoff=CUTOFF) -> ExportStudy:
    """The cohort derived and analysed at the cut-off exactly as the web service does."""
    facts, subjects, tables = cohort(extra_facts, death_cause)
    outcomes = derive_subject_outcomes(protocol, subjects, **tables, options=DerivationOptions(data_cutoff=cutoff),
                                       collect_problems=True)
    results = derive_trial_results(protocol, facts, outcomes, AnalysisRequest("crlm-sbrt-sintilimab", cutoff))
    return ExportStudy("crlm-sbrt-sintilimab", protocol, tuple(facts), tables, outcomes, results, CREATED,
                       (SiteInfo("01", "Site 01", "CHN"),), source_version="0.1.0")


SCREEN_FAILURE = SubjectFacts("01-090", site="01", sex="M", age=70, screened_on=day(5), eligible=False,
                              ineligible_reasons=("ECOG 2",))
