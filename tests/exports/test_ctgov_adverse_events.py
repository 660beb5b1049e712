"""The ClinicalTrials.gov draft's adverseEventsModule (spec standards.md §1.5): serious and other
(not serious, above the frequency threshold) TEAEs by term and event group, from the results
object's safety section."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))
from cohort import CREATED, CUTOFF, PROTOCOL, cohort, export_study  # noqa: E402

from oncotrial.domain.analysis.inputs import AnalysisRequest  # noqa: E402
from oncotrial.domain.analysis.results import derive_trial_results  # noqa: E402
from oncotrial.domain.outcomes.derivation_rules import DerivationOptions  # noqa: E402
from oncotrial.domain.outcomes.derive import derive_subject_outcomes  # noqa: E402
from oncotrial.exports.bundle import ExportStudy, SiteInfo  # noqa: E402
from oncotrial.exports.ctgov import adverse_events  # noqa: E402
from oncotrial.exports.package import export_files  # noqa: E402


@pytest.fixture(scope="module")
def study():
    return export_study()


def module_of(study) -> dict:
    draft = json.loads(export_files(study, "ctgov")["ctgov-results.json"])
    return draft["resultsSection"]["adverseEventsModule"]


def no_ae_study() -> ExportStudy:
    facts, subjects, tables = cohort()
    tables["adverse_events"] = []
    outcomes = derive_subject_outcomes(PROTOCOL, subjects, **tables, options=DerivationOptions(data_cutoff=CUTOFF),
                                       collect_problems=True)
    results = derive_trial_results(PROTOCOL, facts, outcomes, AnalysisRequest("crlm-sbrt-sintilimab", CUTOFF))
    return ExportStudy("crlm-sbrt-sintilimab", PROTOCOL, tuple(facts), tables, outcomes, results, CREATED,
                       (SiteInfo("01", "Site 01", "CHN"),), source_version="0.1.0")


def stats_by_arm(event: dict, groups: dict[str, str]) -> dict[str, dict]:
    return {groups[s["groupId"]]: s for s in event["stats"]}


def test_serious_events_count_the_results_objects_serious_listing_per_arm(study):
    safety = study.results.safety
    module = module_of(study)
    groups = {g["id"]: arm for g, arm in zip(module["eventGroups"], safety.arms, strict=True)}
    assert module["seriousEvents"], "the cohort has serious AEs"
    for event in module["seriousEvents"]:
        assert event["sourceVocabulary"] == "CTCAE v5.0" and event["assessmentType"] == "SYSTEMATIC_ASSESSMENT"
        for arm, n, stat in zip(safety.arms, safety.n_by_arm, event["stats"], strict=True):
            rows = [r for r in safety.serious if r.arm == arm and (r.soc, r.term) == (event["organSystem"],
                                                                                       event["term"])]
            assert groups[stat["groupId"]] == arm
            assert stat["numEvents"] == len(rows)
            assert stat["numAffected"] == len({r.subject_id for r in rows})
            assert stat["numAtRisk"] == n
    serious = next(row for row in safety.overview if row.key == "serious")
    for group, cell, n in zip(module["eventGroups"], serious.cells, safety.n_by_arm, strict=True):
        assert group["seriousNumAffected"] == cell.n and group["seriousNumAtRisk"] == n
        assert group["otherNumAtRisk"] == n and group["deathsNumAtRisk"] == n
    # the cohort: subjects 01-003 and 01-007 (experimental arm) had a serious diarrhoea
    diarrhea = next(e for e in module["seriousEvents"] if e["term"] == "Diarrhea")
    assert diarrhea["organSystem"] == "Gastrointestinal disorders"
    by_arm = stats_by_arm(diarrhea, groups)
    assert (by_arm["sbrt-chemo-sintilimab"]["numAffected"], by_arm["chemo"]["numAffected"]) == (2, 0)


def test_other_events_are_the_non_serious_ones_above_the_threshold(study):
    safety = study.results.safety
    module = module_of(study)
    assert module["frequencyThreshold"] == "5"
    groups = {g["id"]: arm for g, arm in zip(module["eventGroups"], safety.arms, strict=True)}
    diarrhea = next(e for e in module["otherEvents"] if e["term"] == "Diarrhea")
    by_arm = stats_by_arm(diarrhea, groups)
    for arm, n in zip(safety.arms, safety.n_by_arm, strict=True):
        rows = [r for r in safety.non_serious if r.arm == arm and r.term == "Diarrhea"]
        assert by_arm[arm]["numAffected"] == len({r.subject_id for r in rows}) and by_arm[arm]["numAtRisk"] == n
        assert by_arm[arm]["numEvents"] == len(rows)
    assert (by_arm["sbrt-chemo-sintilimab"]["numAffected"], by_arm["chemo"]["numAffected"]) == (2, 4)
    # serious plus not serious are every subject with the term (no subject had both here)
    term_row = next(r for r in safety.by_term if r.term == "Diarrhea")
    serious = stats_by_arm(next(e for e in module["seriousEvents"] if e["term"] == "Diarrhea"), groups)
    for arm, cell in zip(safety.arms, term_row.cells, strict=True):
        assert serious[arm]["numAffected"] + by_arm[arm]["numAffected"] == cell.n
    assert [g["otherNumAffected"] for g in module["eventGroups"]] == [2, 4]


def test_an_event_at_or_below_the_threshold_in_every_group_is_left_out(study):
    module = adverse_events(study.results, threshold=100)
    assert module["frequencyThreshold"] == "100" and module["otherEvents"] == []
    assert [g["otherNumAffected"] for g in module["eventGroups"]] == [0, 0]
    assert module["seriousEvents"] == adverse_events(study.results)["seriousEvents"]


def test_a_study_with_no_adverse_events_gives_empty_lists_and_the_groups_at_risk():
    study = no_ae_study()
    safety = study.results.safety
    module = module_of(study)
    assert module["seriousEvents"] == [] and module["otherEvents"] == []
    assert [g["seriousNumAtRisk"] for g in module["eventGroups"]] == list(safety.n_by_arm)
    assert [g["otherNumAtRisk"] for g in module["eventGroups"]] == list(safety.n_by_arm)
    assert all(n > 0 for n in safety.n_by_arm)
    assert all(g["seriousNumAffected"] == 0 and g["otherNumAffected"] == 0 for g in module["eventGroups"])
