"""The worked cases of spec endpoints.md §6.1 (RECIST), §6.2 (BOR) and §6.5 (iRECIST), one data
file per case under tests/vectors/{recist,response,irecist}/, run by one parametrised test.

File format (JSON): `id` (the spec's case id), `kind` ("recist", "response", "response_cohort",
"irecist"), `start_date`, the inputs, and `expect` with every expected value spelled out. A case
changed from the spec carries a `change` entry naming the rule and the reason.
"""

from __future__ import annotations

import json
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

import pytest

from oncotrial.domain.tumour.irecist import IrecistRules, derive_irecist_responses
from oncotrial.domain.tumour.lesions import (
    Assessment,
    Lesion,
    LesionKind,
    LesionMeasurement,
    LesionRole,
    LocalTherapy,
    Method,
    NewLesion,
    NewLesionCertainty,
    NonTargetState,
    NonTargetStatus,
    TargetResult,
    TumourRecords,
)
from oncotrial.domain.tumour.recist import derive_timepoint_responses
from oncotrial.domain.tumour.response import (
    BorRules,
    EvaluationWindowRule,
    Response,
    ResponseAtDate,
    derive_best_overall_response,
)
from oncotrial.domain.tumour.rules import RecistRules

HERE = Path(__file__).parent
CASES = sorted(
    path for folder in ("recist", "response", "irecist") for path in (HERE / folder).glob("*.json")
)
SUBJECT = "S"


def _day(value: str) -> date:
    return date.fromisoformat(value)


def _lesion(spec: dict) -> Lesion:
    return Lesion(
        SUBJECT, spec["id"], spec.get("organ", ""), is_lymph_node=spec.get("node", False),
        method=Method(spec.get("method", "CT")),
        treated_by=LocalTherapy(spec.get("treated_by", "none")),
        treated_on=_day(spec["treated_on"]) if "treated_on" in spec else None,
        kind=LesionKind(spec.get("kind", "solid")),
        role=LesionRole(spec["role"]) if spec.get("role") else None,
    )


def _measurement(visit: str, lesion_id: str, value) -> LesionMeasurement:
    if isinstance(value, int | float):
        return LesionMeasurement(SUBJECT, visit, lesion_id, size=value)
    words = {"TSTM": TargetResult.TOO_SMALL, "ABSENT": TargetResult.DISAPPEARED,
             "NE": TargetResult.NOT_EVALUATED}
    if isinstance(value, str):
        return LesionMeasurement(SUBJECT, visit, lesion_id, words[value])
    if "fragments" in value:
        return LesionMeasurement(SUBJECT, visit, lesion_id, TargetResult.SPLIT,
                                 fragments=tuple(value["fragments"]))
    if "merged_into" in value:
        return LesionMeasurement(SUBJECT, visit, lesion_id, TargetResult.MERGED,
                                 merged_into=value["merged_into"])
    scan = _day(value["scan_date"]) if "scan_date" in value else None
    size = value.get("size")
    if isinstance(size, str):
        return LesionMeasurement(SUBJECT, visit, lesion_id, words[size], scan_date=scan)
    return LesionMeasurement(SUBJECT, visit, lesion_id, size=size, scan_date=scan)


def _non_target(visit: str, lesion_id: str, value) -> NonTargetStatus:
    if isinstance(value, str):
        value = {"state": value}
    return NonTargetStatus(
        SUBJECT, visit, lesion_id, NonTargetState(value["state"].lower()), size=value.get("size"),
        local_progression=value.get("local_progression", False), grown=value.get("grown", False),
        scan_date=_day(value["scan_date"]) if "scan_date" in value else None)


def _new_lesion(visit: str, spec: dict) -> NewLesion:
    return NewLesion(
        SUBJECT, visit, spec["id"], NewLesionCertainty(spec.get("certainty", "unequivocal")),
        organ=spec.get("organ", ""), is_lymph_node=spec.get("node", False), size=spec.get("size"),
        method=Method(spec["method"]) if "method" in spec else None,
        scan_date=_day(spec["scan_date"]) if "scan_date" in spec else None,
        grown=spec.get("grown", False))


def build_records(case: dict) -> TumourRecords:
    """The tumour records a vector file describes."""
    assessments, measurements, statuses, new = [], [], [], []
    for spec in case["assessments"]:
        visit = spec["visit"]
        assessments.append(Assessment(
            SUBJECT, visit, _day(spec["date"]), method=Method(spec.get("method", "CT")),
            cea=spec.get("cea"), cea_uln=spec.get("cea_uln"),
            clinically_stable=spec.get("clinically_stable")))
        measurements += [_measurement(visit, k, v) for k, v in spec.get("measurements", {}).items()]
        statuses += [_non_target(visit, k, v) for k, v in spec.get("non_targets", {}).items()]
        new += [_new_lesion(visit, item) for item in spec.get("new", [])]
    return TumourRecords(SUBJECT, tuple(_lesion(s) for s in case["lesions"]), tuple(assessments),
                         tuple(measurements), tuple(statuses), tuple(new))


def _bor_rules(case: dict) -> BorRules:
    spec = case.get("bor_rules", {})
    window = EvaluationWindowRule(include_new_therapy_day=spec.get("include_new_therapy_day", True))
    return BorRules(window=window, confirmation_required=spec.get("confirmation_required", False))


def _percent(value: Decimal | None) -> float | None:
    return None if value is None else round(float(value), 1)


def check_timepoint(tp, expected: dict) -> None:
    fields = {
        "target": lambda: tp.target_response.value,
        "target_reported": lambda: tp.target_response_reported.value,
        "non_target": lambda: tp.non_target_response.value,
        "overall": lambda: tp.response.value,
        "new": lambda: tp.new_lesion_status.value,
        "sum": lambda: None if tp.target_sum is None else float(tp.target_sum),
        "available_sum": lambda: float(tp.available_sum),
        "nadir": lambda: float(tp.nadir),
        "pct_base": lambda: _percent(tp.percent_change_from_baseline),
        "pct_nadir": lambda: _percent(tp.percent_change_from_nadir),
        "abs_nadir": lambda: float(tp.change_from_nadir_mm),
        "date": lambda: tp.date.isoformat(),
        "reasons": lambda: list(tp.progression_reasons),
        "backdated": lambda: tp.is_backdated,
    }
    for key, value in expected.items():
        assert fields[key]() == value, f"{tp.visit}.{key}: got {fields[key]()!r}, expected {value!r}"


def check_bor(best, expected: dict) -> None:
    fields = {
        "bor": lambda: best.bor.value,
        "bor_date": lambda: best.bor_date and best.bor_date.isoformat(),
        "confirmed": lambda: best.confirmed_bor.value,
        "confirmed_date": lambda: best.confirmed_bor_date and best.confirmed_bor_date.isoformat(),
        "responder": lambda: best.is_responder,
        "confirmed_responder": lambda: best.is_confirmed_responder,
        "disease_control": lambda: best.has_disease_control,
        "first_response_date": lambda: best.first_response_date and
        best.first_response_date.isoformat(),
        "flags": lambda: sorted(flag.code for flag in best.flags),
    }
    for key, value in expected.items():
        assert fields[key]() == value, f"BOR {key}: got {fields[key]()!r}, expected {value!r}"


def run_recist(case: dict) -> None:
    start = _day(case["start_date"])
    records = build_records(case)
    result = derive_timepoint_responses(
        records, start, rules=RecistRules(**case.get("rules", {})),
        new_anticancer_therapy_date=_day(case["nact_date"]) if "nact_date" in case else None)
    expect = case["expect"]
    baseline = expect.get("baseline", {})
    for key, attribute in (("measurable", "measurable_ids"), ("non_measurable", "non_measurable_ids"),
                           ("targets", "target_ids"), ("non_targets", "non_target_ids"),
                           ("suggested_targets", "suggested_target_ids")):
        if key in baseline:
            assert sorted(getattr(result.baseline, attribute)) == sorted(baseline[key]), key
    if "baseline_sum" in baseline:
        assert result.baseline.baseline_sum == Decimal(str(baseline["baseline_sum"]))
    if "has_measurable_disease" in baseline:
        assert result.baseline.has_measurable_disease is baseline["has_measurable_disease"]
    by_visit = {tp.visit: tp for tp in result.timepoints}
    for visit, expected in expect.get("timepoints", {}).items():
        check_timepoint(by_visit[visit], expected)
    if "pd_date" in expect:
        assert (result.progression_date and result.progression_date.isoformat()) == expect["pd_date"]
    if "pd_aval" in expect:
        assert (result.progression_date - start).days + 1 == expect["pd_aval"]
    if "flags" in expect:
        assert list(result.flag_codes()) == sorted(expect["flags"])
    if "bor" in expect:
        best = derive_best_overall_response(result.timepoints, start, subject_id=SUBJECT,
                                            rules=_bor_rules(case))
        check_bor(best, expect["bor"])


def _responses(start: date, sequence: list) -> list[ResponseAtDate]:
    return [ResponseAtDate(start + timedelta(days=day), Response(code), f"d{day}")
            for day, code in sequence]


def run_response(case: dict) -> None:
    start = _day(case["start_date"])
    nact = start + timedelta(days=case["new_therapy_day"]) if "new_therapy_day" in case else None
    best = derive_best_overall_response(
        _responses(start, case["responses"]), start, subject_id=SUBJECT, rules=_bor_rules(case),
        new_therapy_date=nact)
    expected = dict(case["expect"])
    for key in ("bor_day", "confirmed_day"):
        if key in expected:
            day = expected.pop(key)
            name = key.replace("_day", "_date") if key == "bor_day" else "confirmed_date"
            expected[name] = (start + timedelta(days=day)).isoformat()
    check_bor(best, expected)


def run_response_cohort(case: dict) -> None:
    start = _day(case["start_date"])
    results = [derive_best_overall_response(_responses(start, subject["responses"]), start)
               for subject in case["subjects"]]
    assert [r.bor.value for r in results] == [s["bor"] for s in case["subjects"]]
    expect = case["expect"]
    assert sum(r.counts_as_response for r in results) == expect["responders"]
    assert sum(r.counts_as_disease_control for r in results) == expect["disease_control"]
    assert len(results) == expect["denominator"]


def run_irecist(case: dict) -> None:
    start = _day(case["start_date"])
    records = build_records(case)
    result = derive_irecist_responses(records, start,
                                      rules=IrecistRules(**case.get("irecist_rules", {})))
    expect = case["expect"]
    got = {tp.visit: tp.response.value for tp in result.timepoints}
    assert got == expect["timepoints"]
    assert result.ibor.value == expect["ibor"]
    if "confirmed_ibor" in expect:
        assert result.confirmed_ibor.value == expect["confirmed_ibor"]
    ipfs = result.progression_date and result.progression_date.isoformat()
    assert ipfs == expect["ipfs_date"]
    if "ipfs_aval" in expect:
        assert (result.progression_date - start).days + 1 == expect["ipfs_aval"]
    if "ipfs_date_confirmed_only" in expect:
        strict = derive_irecist_responses(
            records, start, rules=IrecistRules(iupd_unconfirmed_counts_as_event=False))
        assert (strict.progression_date and strict.progression_date.isoformat()) == \
            expect["ipfs_date_confirmed_only"]
    if "recist_pd_date" in expect:
        pd = result.recist.progression_date
        assert (pd and pd.isoformat()) == expect["recist_pd_date"]
    if "recist_bor" in expect:
        best = derive_best_overall_response(result.recist.timepoints, start)
        assert best.bor.value == expect["recist_bor"]


RUNNERS = {"recist": run_recist, "response": run_response, "response_cohort": run_response_cohort,
           "irecist": run_irecist}


@pytest.mark.parametrize("path", CASES, ids=[path.stem for path in CASES])
def test_it_reproduces_the_worked_case(path: Path):
    case = json.loads(path.read_text())
    assert case["id"] in path.stem, "the file name carries the spec's case id"
    RUNNERS[case["kind"]](case)


def test_every_spec_case_has_a_vector():
    ids = {json.loads(path.read_text())["id"] for path in CASES}
    expected = {f"R-{n:02d}" for n in range(1, 17)} | {"R-01b", "R-12b"} | \
        {f"B-{n:02d}" for n in range(1, 19)} | {"E-04"} | {f"I-{n:02d}" for n in range(1, 5)}
    assert expected <= ids, sorted(expected - ids)
