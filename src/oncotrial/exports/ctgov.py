"""ClinicalTrials.gov results section draft (API v2 `resultsSection`, spec standards.md §1.5)
from the one results object: participant flow (CONSORT), baseline characteristics (DMT01),
outcome measures (KM medians with 95% CI and the log-rank / Cox analysis; ORR and DCR) and adverse
events (AET01/AET02). Counts and values are strings except the event-group numbers, as the
published schema sample has them. A draft for the sponsor to review in PRS, never posted from here.
"""

from __future__ import annotations

import json

from oncotrial.domain.analysis.results import TrialResults

from .bundle import ExportStudy


def _groups(results: TrialResults, prefix: str) -> tuple[list[dict], dict[str, str]]:
    ids = {a.id: f"{prefix}{i:03d}" for i, a in enumerate(results.arms)}
    return [{"id": ids[a.id], "title": a.name, "description": f"{a.kind.replace('_', ' ')} arm"}
            for a in results.arms], ids


def _text(value, digits: int = 2) -> str:
    return "NA" if value is None else f"{value:.{digits}f}"


def participant_flow(results: TrialResults) -> dict:
    groups, ids = _groups(results, "FG")
    arms = {a.arm: a for a in results.consort.arms}

    def achieved(count):
        return [{"groupId": ids[arm], "numSubjects": str(count(arms[arm]))} for arm in ids if arm in arms]

    reasons: dict[str, dict[str, int]] = {}
    for arm in arms.values():
        for reason in arm.withdrawn_reasons:
            reasons.setdefault(reason.reason or "Other", {})[arm.arm] = reason.n
    return {"groups": groups, "periods": [{"title": "Overall Study", "milestones": [
        {"type": "STARTED", "achievements": achieved(lambda a: a.allocated)},
        {"type": "COMPLETED", "achievements": achieved(lambda a: a.allocated - a.withdrawn - a.died)},
        {"type": "NOT COMPLETED", "achievements": achieved(lambda a: a.withdrawn + a.died)}],
        "dropWithdraws": [{"type": reason, "reasons": [{"groupId": ids[arm], "numSubjects": str(n)}
                                                       for arm, n in by_arm.items()]}
                          for reason, by_arm in reasons.items()]}]}


def baseline(results: TrialResults) -> dict:
    groups, ids = _groups(results, "BG")
    table = results.demographics
    arm_columns = [(i, ids[c]) for i, c in enumerate(table.columns) if c in ids]
    measures = [{"title": row.variable, "paramType": "MEDIAN" if row.statistic == "Median" else "MEAN",
                 "unitOfMeasure": "years",
                 "classes": [{"categories": [{"measurements": [
                     {"groupId": gid, "value": _text(row.values[i][0])} for i, gid in arm_columns]}]}]}
                for row in table.stat_rows if row.statistic in ("Median", "Mean (SD)")]
    counts: dict[str, list] = {}
    for row in table.count_rows:
        counts.setdefault(row.variable, []).append({"title": row.category, "measurements": [
            {"groupId": gid, "value": str(row.cells[i].n)} for i, gid in arm_columns]})
    measures += [{"title": name, "paramType": "COUNT_OF_PARTICIPANTS", "unitOfMeasure": "Participants",
                  "classes": [{"categories": categories}]} for name, categories in counts.items()]
    return {"populationDescription": results.analysis_set.name, "groups": groups,
            "denoms": [{"units": "Participants", "counts": [
                {"groupId": gid, "value": str(table.column_n[i])} for i, gid in arm_columns]}],
            "measures": measures}


def _tte_measure(summary, ids, primary: bool) -> dict:
    measure = {"type": "PRIMARY" if primary else "SECONDARY", "title": summary.name,
               "populationDescription": summary.population, "reportingStatus": "POSTED", "paramType": "MEDIAN",
               "dispersionType": "95% Confidence Interval", "unitOfMeasure": "months",
               "groups": [{"id": ids[a.arm], "title": a.arm} for a in summary.arms],
               "denoms": [{"units": "Participants", "counts": [{"groupId": ids[a.arm], "value": str(a.n)}
                                                               for a in summary.arms]}],
               "classes": [{"categories": [{"measurements": [
                   {"groupId": ids[a.arm], "value": _text(a.median.estimate), "lowerLimit": _text(a.median.lower),
                    "upperLimit": _text(a.median.upper)} for a in summary.arms]}]}]}
    comparison = summary.comparison
    if comparison and comparison.hazard_ratio and comparison.logrank:
        hr = comparison.hazard_ratio
        measure["analyses"] = [{"groupIds": [ids[comparison.experimental], ids[comparison.control]],
                                "statisticalMethod": "Log Rank", "pValue": _text(comparison.logrank.p_value, 4),
                                "paramType": "Hazard Ratio (HR)", "paramValue": _text(hr.estimate),
                                "ciPctValue": "95", "ciNumSides": "TWO_SIDED",
                                "ciLowerLimit": _text(hr.lower), "ciUpperLimit": _text(hr.upper)}]
    return measure


def outcome_measures(results: TrialResults) -> dict:
    _, ids = _groups(results, "OG")
    primary = {e.endpoint.upper() for e in results.endpoint_rules if e.role == "primary"}
    measures = [_tte_measure(s, ids, s.endpoint in primary) for s in results.time_to_event if s.arms]
    for label, attribute in (("Objective response rate", "orr"), ("Disease control rate", "dcr")):
        arms = results.response.arms
        measures.append({"type": "SECONDARY", "title": label, "populationDescription": results.response.population,
                         "reportingStatus": "POSTED", "paramType": "NUMBER",
                         "dispersionType": "95% Confidence Interval", "unitOfMeasure": "percentage of participants",
                         "classes": [{"categories": [{"measurements": [
                             {"groupId": ids[a.arm], "value": _text(_pct(getattr(a, attribute).estimate), 1),
                              "lowerLimit": _text(_pct(getattr(a, attribute).lower), 1),
                              "upperLimit": _text(_pct(getattr(a, attribute).upper), 1)} for a in arms]}]}]})
    return {"outcomeMeasures": measures}


def _pct(value):
    return None if value is None else 100 * value


FREQUENCY_THRESHOLD = 5.0  # %, the "other (not serious) AE" reporting cut-off


def _events(listing, safety, ids) -> list[dict]:
    """One `seriousEvents` / `otherEvents` entry per (SOC, term) of a TEAE listing: per event group
    the records (numEvents), the subjects with one (numAffected) and the safety set (numAtRisk)."""
    by_term: dict[tuple[str, str], dict[str, list]] = {}
    for row in listing:
        by_term.setdefault((row.soc, row.term), {}).setdefault(row.arm, []).append(row.subject_id)
    ordered = sorted(by_term.items(), key=lambda item: (-sum(len(set(s)) for s in item[1].values()), item[0]))
    return [{"term": term, "organSystem": soc, "sourceVocabulary": "CTCAE v5.0",
             "assessmentType": "SYSTEMATIC_ASSESSMENT",
             "stats": [{"groupId": ids[arm], "numEvents": len(arms.get(arm, ())),
                        "numAffected": len(set(arms.get(arm, ()))), "numAtRisk": n}
                       for arm, n in zip(safety.arms, safety.n_by_arm, strict=True)]}
            for (soc, term), arms in ordered]


def _above(event: dict, threshold: float) -> bool:
    return any(s["numAtRisk"] and 100 * s["numAffected"] / s["numAtRisk"] > threshold for s in event["stats"])


def adverse_events(results: TrialResults, threshold: float = FREQUENCY_THRESHOLD) -> dict:
    """AET01/AET02 as the results data element definitions have them: serious TEAEs by term (all of
    them), other TEAEs (not serious) by term where more than `threshold` % of any group had one."""
    safety = results.safety
    ids = {arm: f"EG{i:03d}" for i, arm in enumerate(safety.arms)}
    names = {a.id: a.name for a in results.arms}
    overview = {row.key: row for row in safety.overview}
    serious = _events(safety.serious, safety, ids)
    other = [e for e in _events(safety.non_serious, safety, ids) if _above(e, threshold)]
    reported = {(e["organSystem"], e["term"]) for e in other}
    other_affected = {arm: {r.subject_id for r in safety.non_serious if r.arm == arm and (r.soc, r.term) in reported}
                      for arm in safety.arms}
    groups = [{"id": ids[arm], "title": names.get(arm, arm),
               "deathsNumAffected": sum(1 for d in safety.deaths if d.arm == arm), "deathsNumAtRisk": n,
               "seriousNumAffected": overview["serious"].cells[i].n if "serious" in overview else 0,
               "seriousNumAtRisk": n, "otherNumAffected": len(other_affected[arm]),
               "otherNumAtRisk": n} for i, (arm, n) in enumerate(zip(safety.arms, safety.n_by_arm, strict=True))]
    return {"frequencyThreshold": f"{threshold:g}",
            "timeFrame": "From first protocol therapy to the end of the TEAE window",
            "description": safety.rule, "eventGroups": groups, "seriousEvents": serious, "otherEvents": other}


def ctgov_results(study: ExportStudy) -> dict:
    """The `resultsSection` draft of `study` from its results object."""
    results = study.results
    return {"resultsSection": {"participantFlowModule": participant_flow(results),
                               "baselineCharacteristicsModule": baseline(results),
                               "outcomeMeasuresModule": outcome_measures(results),
                               "adverseEventsModule": adverse_events(results),
                               "moreInfoModule": {"limitationsAndCaveats": {"description": "; ".join(
                                   results.warnings)[:500]}}},
            "draft": {"dataCutoff": results.header.data_cutoff, "dataStatus": results.header.data_status,
                      "analysisSet": results.header.analysis_set_name}}


def render_ctgov_results(study: ExportStudy) -> bytes:
    """The draft as UTF-8 JSON."""
    return json.dumps(ctgov_results(study), ensure_ascii=False, indent=1, allow_nan=False).encode()
