"""ADaM exports on a small cohort the domain derived (no database): every file validates against
its official schema or reader, ADTTE read back into our statistics gives the results object's
numbers exactly, ADRS BOR is the derivation's BOR, and bad input gets a clear message."""

from __future__ import annotations

import io
import json
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))
from cohort import SCREEN_FAILURE, export_study  # noqa: E402

from oncotrial.domain.stats import estimate_cox, estimate_km, logrank_test  # noqa: E402
from oncotrial.errors import InvalidInput  # noqa: E402
from oncotrial.exports.adam import export_adam  # noqa: E402
from oncotrial.exports.adrs import response_value  # noqa: E402
from oncotrial.exports.package import export_files, manifest  # noqa: E402
from oncotrial.exports.xpt import ascii_signs, check_xpt  # noqa: E402

SCHEMAS = Path(__file__).parent / "schemas"
MONTH = 30.4375


@pytest.fixture(scope="module")
def study():
    return export_study((SCREEN_FAILURE,))


@pytest.fixture(scope="module")
def files(study):
    return export_files(study, "adam")


def read_xpt(data: bytes, tmp_path, name: str):
    import pyreadstat

    path = tmp_path / f"{name}.xpt"
    path.write_bytes(data)
    return pyreadstat.read_xport(str(path))


def test_it_writes_every_adam_dataset_in_every_format_with_define(files):
    for name in ("adsl", "adrs", "adtte", "adae", "adtr"):
        assert {f"{name}.xpt", f"{name}.json", f"{name}.csv"} <= set(files)
    assert "define.xml" in files
    assert set(manifest(files)) == set(files)


def test_xpt_reads_back_with_identical_values_names_and_labels(study, files, tmp_path):
    for dataset in export_adam(study):
        frame, meta = read_xpt(files[f"{dataset.name.lower()}.xpt"], tmp_path, dataset.name)
        assert meta.table_name == dataset.name and meta.file_label == dataset.label
        assert list(frame.columns) == list(dataset.names)
        assert [meta.column_names_to_labels[v.name] for v in dataset.variables] == [v.label for v in dataset.variables]
        for variable in dataset.variables:
            expected = dataset.column(variable.name)
            got = frame[variable.name].tolist()
            if variable.type == "text":
                assert got == [ascii_signs(v) for v in expected], variable.name
            else:
                assert [None if g != g else g for g in got] == [None if e is None else e for e in expected], \
                    variable.name


def test_every_dataset_json_file_validates_against_the_shipped_schema(study, files):
    import jsonschema

    schema = json.loads((SCHEMAS / "dataset-json-1.1" / "dataset.schema.json").read_text())
    for dataset in export_adam(study):
        data = json.loads(files[f"{dataset.name.lower()}.json"])
        jsonschema.validate(data, schema)
        assert data["records"] == len(dataset.rows) and [c["name"] for c in data["columns"]] == list(dataset.names)


def test_define_xml_validates_against_the_define_2_1_xsd_and_describes_every_variable(study, files):
    import xmlschema

    schema = xmlschema.XMLSchema(str(SCHEMAS / "cdisc-define-2.1" / "define2-1-0.xsd"))
    schema.validate(io.BytesIO(files["define.xml"]))
    text = files["define.xml"].decode()
    for dataset in export_adam(study):
        assert f'OID="IG.{dataset.name}"' in text
        for variable in dataset.variables:
            assert f'OID="IT.{dataset.name}.{variable.name}"' in text
            if variable.method:
                assert f'OID="MT.{dataset.name}.{variable.name}"' in text
    assert 'OID="CL.NY"' in text and 'Name="C66742"' in text


def test_csv_has_a_header_and_one_line_per_row(study, files):
    adsl = export_adam(study)[0]
    lines = files["adsl.csv"].decode().splitlines()
    assert lines[0].split(",")[:3] == ["STUDYID", "USUBJID", "SUBJID"] and len(lines) == len(adsl.rows) + 1


def adtte_rows(files, tmp_path, paramcd):
    frame, _ = read_xpt(files["adtte.xpt"], tmp_path, "adtte")
    rows = frame[(paramcd == frame.PARAMCD) & (frame.ITTFL == "Y")]
    months = [aval / MONTH for aval in rows.AVAL]
    events = [int(c == 0) for c in rows.CNSR]
    codes = {"SCS": "sbrt-chemo-sintilimab", "CHEMO": "chemo"}
    arms = [codes[a] for a in rows.ARMCD]
    strata = [f"margin={a}/timing={b}" for a, b in zip(rows.STRAT1R, rows.STRAT2R, strict=True)]
    return months, events, arms, strata


@pytest.mark.parametrize("paramcd", ["PFS", "OS"])
def test_adtte_read_back_into_our_statistics_gives_the_results_numbers_exactly(study, files, tmp_path, paramcd):
    months, events, arms, strata = adtte_rows(files, tmp_path, paramcd)
    summary = study.results.endpoint(paramcd)
    levels = ("chemo", "sbrt-chemo-sintilimab")
    present = [a.arm for a in summary.arms]
    km = estimate_km(months, events, arms, group_levels=present, conf_type="log-log")
    for column in summary.arms:
        curve = km.curve(column.arm)
        assert (curve.n, curve.events) == (column.n, column.events)
        median = curve.median.estimate
        assert (None if median != median else median) == column.median.estimate
        assert tuple(float(s) for s in curve.surv) == tuple(column.curve.surv)
    lr = logrank_test(months, events, arms, group_levels=levels)
    assert lr.statistic == summary.comparison.logrank.statistic and lr.p_value == summary.comparison.logrank.p_value
    slr = logrank_test(months, events, arms, strata, group_levels=levels)
    assert slr.statistic == summary.comparison.stratified_logrank.statistic
    cox = estimate_cox(months, events, arms, group_levels=levels)
    assert float(cox.hr[0]) == summary.comparison.hazard_ratio.estimate


def test_adrs_bor_equals_the_derived_bor_of_every_subject_and_the_results_counts(study):
    adrs = export_adam(study)[1].records()
    bor = {r["SUBJID"]: r["AVALC"] for r in adrs if r["PARAMCD"] == "BOR"}
    cbor = {r["SUBJID"]: r["AVALC"] for r in adrs if r["PARAMCD"] == "CBOR"}
    for outcome in study.outcomes.subjects:
        assert bor[outcome.subject_id] == response_value(outcome.bor)
        assert cbor[outcome.subject_id] == response_value(outcome.confirmed_bor)
    confirm = study.results.response.confirmation_required
    for arm in study.results.response.arms:
        members = [o for o in study.outcomes.subjects if o.in_response_population and
                   study.results.analysis_set.subject_arms and (o.subject_id, arm.arm) in
                   study.results.analysis_set.subject_arms]
        counted = {c: sum(1 for o in members if (cbor if confirm else bor)[o.subject_id] == response_value(c))
                   for c, _ in arm.bor_counts}
        assert counted == dict(arm.bor_counts)


def test_a_subject_with_no_assessments_has_bor_missing_and_censored_times(study):
    adrs = [r for r in export_adam(study)[1].records() if r["SUBJID"] == "01-008"]
    assert {r["PARAMCD"] for r in adrs} >= {"BOR", "CBOR"} and not any(r["PARAMCD"] == "OVR" for r in adrs)
    assert next(r for r in adrs if r["PARAMCD"] == "BOR")["AVALC"] == "MISSING"
    pfs = next(r for r in export_adam(study)[2].records() if r["SUBJID"] == "01-008" and r["PARAMCD"] == "PFS")
    assert pfs["CNSR"] >= 1 and pfs["CNSDTDSC"]


def test_adsl_flags_follow_the_domain_sets_and_a_screen_failure_has_no_arm(study):
    adsl = {r["SUBJID"]: r for r in export_adam(study)[0].records()}
    assert adsl["01-090"]["ITTFL"] == "N" and adsl["01-090"]["ARMCD"] == "" and adsl["01-090"]["RANDFL"] == "N"
    assert sum(r["ITTFL"] == "Y" for r in adsl.values()) == study.results.analysis_set.n == 8
    assert adsl["01-002"]["DTHFL"] == "Y" and adsl["01-002"]["STRAT1R"] == "R0"


def test_chinese_text_bound_for_xpt_is_refused_by_name_and_no_file_is_written():
    study = export_study(death_cause="肝衰竭")
    with pytest.raises(InvalidInput) as refused:
        export_files(study, "xpt")
    assert "ADSL.DTHCAUS" in refused.value.message and "non-ASCII" in refused.value.message
    assert "Dataset-JSON" in refused.value.hint
    kept = json.loads(export_files(study, "dataset-json")["adsl.json"])
    assert any("肝衰竭" in row for row in kept["rows"])


def test_a_study_without_subjects_gets_a_clear_message():
    import dataclasses

    empty = dataclasses.replace(export_study(), facts=())
    with pytest.raises(InvalidInput, match="has no subjects to export"):
        export_files(empty, "adam")


def test_an_unknown_format_names_the_allowed_ones(study):
    with pytest.raises(InvalidInput, match="allowed: adam, xpt"):
        export_files(study, "sas7bdat")


def test_the_xpt_check_names_long_names_labels_and_values():
    from oncotrial.exports.model import Variable, build_dataset

    dataset = build_dataset("TOOLONGNAME", "x" * 41, "FINDINGS", "x", "Tabulation", (),
                            [Variable("VARIABLE9", "ok"), Variable("V", "y")], [{"VARIABLE9": "a", "V": "z" * 201}])
    problems = " | ".join(check_xpt(dataset))
    assert "TOOLONGNAME" in problems and "41 characters" in problems and "VARIABLE9" in problems
    assert "201 bytes" in problems


def test_fhir_resources_validate_with_fhir_resources(study):
    from fhir.resources.R4B.bundle import Bundle
    from fhir.resources.R4B.researchstudy import ResearchStudy
    from fhir.resources.R4B.researchsubject import ResearchSubject

    from oncotrial.exports.fhir import SUBJECT_STATUSES

    bundle = json.loads(export_files(study, "fhir")["fhir-bundle.json"])
    Bundle.model_validate(bundle)
    ResearchStudy.model_validate(bundle["entry"][0]["resource"])
    subjects = [e["resource"] for e in bundle["entry"][1:]]
    for resource in subjects:
        ResearchSubject.model_validate(resource)
        assert resource["status"] in SUBJECT_STATUSES
    by_id = {r["identifier"][0]["value"]: r for r in subjects}
    assert by_id["01-090"]["status"] == "ineligible" and "assignedArm" not in by_id["01-090"]
    assert by_id["01-001"]["assignedArm"] == "Postoperative chemotherapy + SBRT + sintilimab"


def test_the_ctgov_results_draft_reads_the_results_object(study):
    draft = json.loads(export_files(study, "ctgov")["ctgov-results.json"])["resultsSection"]
    started = draft["participantFlowModule"]["periods"][0]["milestones"][0]
    assert started["type"] == "STARTED" and [a["numSubjects"] for a in started["achievements"]] == ["4", "4"]
    measures = draft["outcomeMeasuresModule"]["outcomeMeasures"]
    pfs = next(m for m in measures if m["title"] == "Progression-free survival")
    assert pfs["type"] == "PRIMARY" and pfs["analyses"][0]["statisticalMethod"] == "Log Rank"
    hr = study.results.endpoint("PFS").comparison.hazard_ratio.estimate
    assert pfs["analyses"][0]["paramValue"] == f"{hr:.2f}"


def test_sdtm_datasets_validate_as_xpt_dataset_json_and_define(study, tmp_path):
    import jsonschema
    import xmlschema

    from oncotrial.exports.sdtm import export_sdtm

    files = export_files(study, "sdtm")
    schema = json.loads((SCHEMAS / "dataset-json-1.1" / "dataset.schema.json").read_text())
    for dataset in export_sdtm(study):
        assert not check_xpt(dataset)
        frame, meta = read_xpt(files[f"{dataset.name.lower()}.xpt"], tmp_path, dataset.name)
        assert list(frame.columns) == list(dataset.names) and len(frame) == len(dataset.rows)
        jsonschema.validate(json.loads(files[f"{dataset.name.lower()}.json"]), schema)
    xmlschema.XMLSchema(str(SCHEMAS / "cdisc-define-2.1" / "define2-1-0.xsd")).validate(io.BytesIO(files["define.xml"]))
    dm = {r["SUBJID"]: r for r in export_sdtm(study)[0].records()}
    assert dm["01-090"]["ARMNRS"] == "SCREEN FAILURE" and dm["01-001"]["COUNTRY"] == "CHN"
    ds = [r for r in export_sdtm(study)[1].records() if r["USUBJID"].endswith("01-002")]
    assert [r["DSDECOD"] for r in ds] == ["INFORMED CONSENT OBTAINED", "RANDOMIZED", "DEATH"]
