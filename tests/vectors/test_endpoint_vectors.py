"""Worked cases of spec endpoints.md §6.3, §6.4, §6.6, §6.7 and §6.8, one subject per data file.

Each JSON file under `endpoints/`, `local_control/` and `safety/` holds one case: its spec id, the
input, and the expected values spelled out by hand from the spec table. Variants (a switched option)
sit in the same file. A case may only be changed with a "change" note in its file naming the rule.
"""

from __future__ import annotations

import json
from datetime import date, timedelta
from pathlib import Path

import pytest

from oncotrial.domain.outcomes import endpoints as ep
from oncotrial.domain.outcomes import local_control, rates, safety
from oncotrial.domain.outcomes import time_to_event as tte
from oncotrial.domain.outcomes.records import AdverseEvent, Procedure, TreatedSiteAssessment
from oncotrial.domain.stats.km import estimate_km

HERE = Path(__file__).parent
FOLDERS = ("endpoints", "local_control", "safety")
CASES = sorted(p for folder in FOLDERS for p in (HERE / folder).glob("*.json"))


def _day(case: dict, offset: int | None) -> date | None:
    return None if offset is None else date.fromisoformat(case["start_date"]) + timedelta(days=offset)


def _date(text: str | None) -> date | None:
    return None if text is None else date.fromisoformat(text)


def _outcomes(case: dict) -> list[ep.AssessmentOutcome]:
    return [ep.AssessmentOutcome(_day(case, a["day"]), a["response"], _day(case, a.get("pd_day")))
            for a in case["input"].get("assessments", [])]


def _missed_visit_rule(case: dict) -> tte.MissedVisitRule:
    schedule = case["schedule"]
    return tte.MissedVisitRule(((None, schedule["interval_days"]),), schedule["visit_window_days"])


def _pfs_data(case: dict) -> tte.TimeToEventData:
    given = case["input"]
    return ep.derive_pfs_data(
        "S", _date(case["start_date"]), _outcomes(case), death_date=_day(case, given.get("death_day")),
        new_therapy_date=_day(case, given.get("new_therapy_day")),
        has_valid_baseline=given.get("has_valid_baseline", True),
        follow_up_status=given.get("follow_up_status", "ONGOING"))


def _run_time_to_event(case: dict, options: dict) -> tte.TimeToEventResult:
    start, cutoff, given = _date(case["start_date"]), _date(case["data_cutoff"]), case["input"]
    endpoint = case["endpoint"]
    if endpoint == "PFS":
        return tte.derive_time_to_event(_pfs_data(case), ep.pfs_definition(
            _missed_visit_rule(case), **options), cutoff)
    if endpoint == "OS":
        data = ep.derive_os_data("S", start, death_date=_date(given.get("death_date")),
                                 last_known_alive_date=_date(given.get("last_known_alive_date")))
        return tte.derive_time_to_event(data, ep.os_definition(), cutoff)
    if endpoint == "DOR":
        data = ep.derive_dor_data(_pfs_data(case), _day(case, given["response_day"]))
        return tte.derive_time_to_event(data, ep.dor_definition(_missed_visit_rule(case)), cutoff)
    if endpoint == "TTR":
        return ep.derive_time_to_response("S", start, _day(case, given["response_day"]))
    raise AssertionError(f"unknown endpoint {endpoint}")


def _check_time_to_event(case: dict, result: tte.TimeToEventResult, expect: dict) -> None:
    got = {"event": result.is_event, "date": result.date.isoformat(),
           "aval_days": result.aval_days, "rule_id": result.rule_id}
    assert got == expect, f"{case['id']}: {case['why']}"
    assert result.rule_description


def _run_estimation(case: dict) -> dict:
    given = case["input"]
    if case["endpoint"] == "KM_LANDMARK":
        fit = estimate_km(given["aval_days"], given["event"], conf_type="log-log")
        at = fit.curves[0].survival_at([given["landmark_days"]])[0]
        return {"estimate": round(at.estimate, 4), "se": round(at.se, 4),
                "ci": [round(at.ci[0], 3), round(at.ci[1], 3)]}
    if case["endpoint"] == "RATE":
        rate = rates.compute_binomial_rate(given["numerator"], given["denominator"])
        return {"rate_pct": round(100 * rate.rate, 1),
                "ci_pct": [round(100 * rate.ci_lower, 1), round(100 * rate.ci_upper, 1)]}
    if case["endpoint"] == "MONTHS":
        return {"months": [round(tte.compute_months(d), 2) for d in given["days"]]}
    flags = [rates.derive_response_flags(bor, measurable_disease=given["measurable_disease"])
             for bor in given["best_overall_responses"]]
    n = sum(f.in_population for f in flags)
    orr = rates.compute_binomial_rate(sum(f.responder for f in flags), n)
    dcr = rates.compute_binomial_rate(sum(f.disease_control for f in flags), n)
    return {"orr": [orr.numerator, n, round(100 * orr.rate, 1)],
            "dcr": [dcr.numerator, n, round(100 * dcr.rate, 1)]}


def run_endpoint_case(case: dict) -> None:
    if case["endpoint"] in ("KM_LANDMARK", "RATE", "MONTHS", "RESPONSE_RATES"):
        assert _run_estimation(case) == case["expect"], f"{case['id']}: {case['why']}"
        return
    _check_time_to_event(case, _run_time_to_event(case, case.get("options", {})), case["expect"])
    for variant in case.get("variants", []):
        _check_time_to_event(case, _run_time_to_event(case, variant["options"]), variant["expect"])


def _adverse_events(case: dict, subject: dict) -> list[AdverseEvent]:
    first = _date(case["first_dose_date"])
    return [AdverseEvent(subject["subject_id"], a["ae_id"], a["term"],
                         first + timedelta(days=a["day"] - 1 if a["day"] > 0 else a["day"]),
                         a["grade"], event_id=a.get("event_id", ""),
                         attributions=a.get("attributions", {}),
                         immune_related=a.get("immune_related", False))
            for a in subject["adverse_events"]]


def _safety_rows(case: dict, options: dict):
    window = safety.TeaeWindow(immune_related_window_days=options.get("immune_related_window_days"))
    first = _date(case["first_dose_date"])
    rows, teaes = {}, {}
    for subject in case["input"].get("subjects", []):
        last = first + timedelta(days=subject["last_dose_day"] - 1)
        records = safety.derive_teae_flags(_adverse_events(case, subject), first, last, window)
        teaes[subject["subject_id"]] = records
        rows[subject["subject_id"]] = safety.derive_subject_safety(
            subject["subject_id"], records,
            missing_grade_imputation=options.get("missing_grade_imputation"))
    return rows, teaes


def _check_safety(case: dict, options: dict, expect: dict) -> None:
    rows, teaes = _safety_rows(case, options)
    for subject_id, wanted in expect.get("subjects", {}).items():
        row, records = rows[subject_id], teaes[subject_id]
        got = {"teae_ids": [r.adverse_event.ae_id for r in records if r.treatment_emergent],
               "related_ids": [r.adverse_event.ae_id for r in records if r.related],
               "worst_grade": row.worst_grade, "has_grade_3_4": row.has_grade_3_4,
               "has_grade_3_plus": row.has_grade_3_plus, "has_grade_5": row.has_grade_5}
        assert {k: got[k] for k in wanted} == wanted, f"{case['id']} {subject_id}: {case['why']}"
    for key, subset in (("summary", "all"), ("summary_related", "related")):
        if key in expect:
            _check_summary(case, options, expect[key], teaes, subset)
    if "lab_grades" in expect:
        got = [safety.compute_lab_grade(v["analyte"], v["value"], uln=v["uln"],
                                        baseline=v["baseline"]) for v in case["input"]["lab"]]
        assert got == expect["lab_grades"], case["why"]


def _check_summary(case, options, wanted, teaes, subset) -> None:
    rows = [safety.derive_subject_safety(
        sid, records, subset=subset, missing_grade_imputation=options.get("missing_grade_imputation"))
        for sid, records in teaes.items()]
    summary = safety.derive_safety_summary(rows, case["input"]["n_safety"], subset)
    got = {"grade_3_4_numerator": summary.grade_3_4.numerator,
           "grade_3_plus_numerator": summary.grade_3_plus.numerator,
           "grade_5_numerator": summary.grade_5.numerator,
           "worst_grade_counts": {k: v for k, v in summary.worst_grade_counts.items() if v},
           "grade_3_4_rate_pct": round(100 * summary.grade_3_4.rate, 1),
           "grade_3_4_ci_pct": [round(100 * summary.grade_3_4.ci_lower, 1),
                                round(100 * summary.grade_3_4.ci_upper, 1)]}
    assert {k: got[k] for k in wanted} == wanted, f"{case['id']}: {case['why']}"


def run_safety_case(case: dict) -> None:
    _check_safety(case, case.get("options", {}), case["expect"])
    for variant in case.get("variants", []):
        _check_safety(case, variant["options"], variant["expect"])


def _tte_dict(result: tte.TimeToEventResult | None) -> dict | None:
    if result is None:
        return None
    return {"event": result.is_event, "date": result.date.isoformat(),
            "aval_days": result.aval_days, "rule_id": result.rule_id}


def _check_local_control(case: dict, given: dict, expect: dict) -> None:
    procedures = [Procedure("S", p["id"], p["kind"], _date(p["date"]), tuple(p["lesion_ids"]),
                            end_date=_date(p.get("end_date")),
                            technical_success=p.get("technical_success"))
                  for p in given["procedures"]]
    scans = [TreatedSiteAssessment("S", s["lesion_id"], _date(s["date"]), s["finding"],
                                   s.get("ld"), s.get("technique_efficacy_scan", False))
             for s in given["site_assessments"]]
    outcomes = local_control.derive_treated_lesion_outcomes(
        "S", procedures, scans, _date(case["data_cutoff"]), death_date=_date(given.get("death_date")),
        missed_visit_rule=_missed_visit_rule(case),
        pre_treatment_sizes=given.get("pre_treatment_sizes"))
    by_lesion = {o.lesion_id: o for o in outcomes}
    for lesion_id, wanted in expect["lesions"].items():
        o = by_lesion[lesion_id]
        got = {"technical_success": o.technical_success,
               "primary_technique_efficacy": o.primary_technique_efficacy,
               "secondary_technique_efficacy": o.secondary_technique_efficacy,
               "ltp_date": o.ltp_date and o.ltp_date.isoformat(), "ttlp": _tte_dict(o.ttlp),
               "ltpfs": _tte_dict(o.ltpfs), "ttlp_itt": _tte_dict(o.ttlp_itt),
               "ttlp_start_date": o.ttlp and o.ttlp.start_date.isoformat()}
        assert {k: got[k] for k in wanted} == wanted, f"{case['id']} {lesion_id}: {case['why']}"
    if "pfs" in expect:
        pfs_case = {**case, "input": {"assessments": given["timepoints"]}}
        result = tte.derive_time_to_event(_pfs_data(pfs_case), ep.pfs_definition(
            _missed_visit_rule(case)), _date(case["data_cutoff"]))
        assert _tte_dict(result) == expect["pfs"], case["why"]


def run_local_control_case(case: dict) -> None:
    _check_local_control(case, case["input"], case["expect"])
    for variant in case.get("variants", []):
        given = json.loads(json.dumps(case["input"]))
        for scan in given["site_assessments"]:
            scan["ld"] = variant["replace_ld"].get(scan["date"], scan.get("ld"))
        _check_local_control(case, given, variant["expect"])


RUNNERS = {"endpoints": run_endpoint_case, "safety": run_safety_case,
           "local_control": run_local_control_case}


@pytest.mark.parametrize("path", CASES, ids=[p.stem for p in CASES])
def test_it_reproduces_the_worked_case(path):
    case = json.loads(path.read_text())
    assert path.stem == case["id"], "the file name carries the case id"
    RUNNERS[path.parent.name](case)
