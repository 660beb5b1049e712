"""SDTM CM, PR, TU, TR, RS, SV, SUPPAE / SUPPPR and the trial design TA, TE, TV on the export
cohort: every file reads back or validates (XPT by pyreadstat with identical names, labels and
values; Dataset-JSON against CDISC's schema; define.xml against the Define-XML 2.1 XSD), the
oncology domains link up (TU → TR → RS) and agree with the derivation, and the design datasets
follow the protocol."""

from __future__ import annotations

import dataclasses
import datetime as dt
import io
import json
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))
from cohort import SCREEN_FAILURE, day, export_study  # noqa: E402

from oncotrial.errors import InvalidInput  # noqa: E402
from oncotrial.exports.package import export_files  # noqa: E402
from oncotrial.exports.records import ConMedication, LocalTherapySession  # noqa: E402
from oncotrial.exports.sdtm import export_sdtm  # noqa: E402
from oncotrial.exports.sdtm_design import planned_assessment_days  # noqa: E402
from oncotrial.exports.xpt import ascii_signs, check_xpt  # noqa: E402

SCHEMAS = Path(__file__).parent / "schemas"
NEW = ("CM", "PR", "TU", "TR", "RS", "SV", "SUPPAE", "SUPPPR", "TA", "TE", "TV")


def with_ecrf_tables(study, name="Ondansetron"):
    tables = {**study.tables,
              "con_meds": [ConMedication("01-001", "1", name, day(4), day(6), "nausea", "8 mg BID"),
                           ConMedication("01-003", "2", "Loperamide", day(12), None, "diarrhoea", "2 mg PRN")],
              "local_therapies": [LocalTherapySession("01-001", "LT1", "SBRT", day(8), day(14), ("T1",), "VMAT",
                                                      True, 50.0, 5),
                                  LocalTherapySession("01-003", "LT2", "MWA", day(9), None, ("T1", "T2"), "", True)]}
    return dataclasses.replace(study, tables=tables)


@pytest.fixture(scope="module")
def study():
    return with_ecrf_tables(export_study((SCREEN_FAILURE,)))


@pytest.fixture(scope="module")
def datasets(study):
    return {d.name: d for d in export_sdtm(study)}


@pytest.fixture(scope="module")
def files(study):
    return export_files(study, "sdtm")


def test_every_new_domain_reads_back_from_xpt_with_identical_names_labels_and_values(datasets, files, tmp_path):
    import pyreadstat

    for name in NEW:
        dataset = datasets[name]
        assert not check_xpt(dataset) and dataset.rows, name
        path = tmp_path / f"{name}.xpt"
        path.write_bytes(files[f"{name.lower()}.xpt"])
        frame, meta = pyreadstat.read_xport(str(path))
        assert meta.table_name == name and list(frame.columns) == list(dataset.names)
        assert [meta.column_names_to_labels[v.name] for v in dataset.variables] == [v.label for v in dataset.variables]
        for variable in dataset.variables:
            got, expected = frame[variable.name].tolist(), dataset.column(variable.name)
            if variable.type == "text":
                assert got == [ascii_signs(v) for v in expected], (name, variable.name)
            else:
                assert [None if g != g else g for g in got] == expected, (name, variable.name)


def test_dataset_json_and_define_xml_validate_and_describe_every_new_domain(datasets, files):
    import jsonschema
    import xmlschema

    schema = json.loads((SCHEMAS / "dataset-json-1.1" / "dataset.schema.json").read_text())
    for name in NEW:
        data = json.loads(files[f"{name.lower()}.json"])
        jsonschema.validate(data, schema)
        assert data["records"] == len(datasets[name].rows)
        assert files[f"{name.lower()}.csv"].decode().count("\n") == len(datasets[name].rows) + 1
    xmlschema.XMLSchema(str(SCHEMAS / "cdisc-define-2.1" / "define2-1-0.xsd")).validate(io.BytesIO(files["define.xml"]))
    text = files["define.xml"].decode()
    for name in NEW:
        assert f'OID="IG.{name}"' in text and all(f'OID="IT.{name}.{v}"' in text for v in datasets[name].names)
    assert 'OID="CL.EPOCH"' in text and 'Name="C99079"' in text and 'OID="CL.METHOD"' in text


def test_tu_tr_and_rs_link_up_and_rs_is_the_derived_timepoint_response(study, datasets):
    tu, tr, rs = (datasets[n].records() for n in ("TU", "TR", "RS"))
    identified = {(r["USUBJID"], r["TULNKID"]) for r in tu}
    assert all((r["USUBJID"], r["TRLNKID"]) in identified for r in tr)
    assert {r["TUORRES"] for r in tu} == {"TARGET"} and {r["VISIT"] for r in tu} == {"BASELINE"}
    sizes = {(study.usubjid(m.subject_id), m.lesion_id, m.visit): float(m.size) for m in study.records("measurements")}
    assert sorted(sizes.values()) == sorted(r["TRSTRESN"] for r in tr if r["TRTESTCD"] == "LDIAM")
    groups = {r["TRLNKGRP"] for r in tr}
    assert all(r["RSLNKGRP"] in groups for r in rs)
    overall = sorted((study.usubjid(t.subject_id), t.assessment_date.isoformat(), str(t.response))
                     for t in study.outcomes.timepoints if str(t.response) not in ("NA", "NO_ASSESSMENT"))
    assert sorted((r["USUBJID"], r["RSDTC"], r["RSORRES"]) for r in rs if r["RSTESTCD"] == "OVRLRESP") == overall
    assert {r["RSCAT"] for r in rs} == {"RECIST 1.1"}


def test_trial_design_follows_the_protocol_and_every_visit_is_planned(study, datasets):
    ta, te, tv, sv = (datasets[n].records() for n in ("TA", "TE", "TV", "SV"))
    assert len(ta) == 3 * len(study.protocol.arms) and {r["ETCD"] for r in ta} == {r["ETCD"] for r in te}
    assert [r["EPOCH"] for r in ta[:3]] == ["SCREENING", "TREATMENT", "FOLLOW-UP"]
    assert [r["VISITDY"] for r in tv[2:]] == [d + 1 for d in planned_assessment_days(study)]
    planned = {(r["VISITNUM"], r["VISIT"]) for r in tv}
    assert all((r["VISITNUM"], r["VISIT"]) in planned for r in sv)
    assert any(r["VISIT"] == "SCREENING" and r["USUBJID"].endswith("01-090") for r in sv)


def test_cm_pr_and_their_supplemental_qualifiers(datasets):
    cm, pr = datasets["CM"].records(), datasets["PR"].records()
    assert [r["CMTRT"] for r in cm] == ["Ondansetron", "Loperamide"] and cm[0]["CMSTDY"] == 1
    sbrt = next(r for r in pr if r["PRTRT"] == "STEREOTACTIC BODY RADIATION THERAPY")
    assert (sbrt["PRDOSE"], sbrt["PRDOSU"], sbrt["EPOCH"]) == (50.0, "Gy", "TREATMENT")
    supp = {(r["USUBJID"], r["IDVARVAL"], r["QNAM"]): r["QVAL"] for r in datasets["SUPPPR"].records()}
    assert supp[(sbrt["USUBJID"], str(sbrt["PRSEQ"]), "PRFRACN")] == "5"
    seqs = {(r["USUBJID"], str(r["AESEQ"])) for r in datasets["AE"].records()}
    assert all((r["USUBJID"], r["IDVARVAL"]) in seqs for r in datasets["SUPPAE"].records())
    assert {r["QNAM"] for r in datasets["SUPPAE"].records()} >= {"AEIMMREL"}


def test_chinese_text_in_a_con_med_is_refused_for_xpt_by_name_and_kept_in_dataset_json():
    study = with_ecrf_tables(export_study(), name="昂丹司琼")
    with pytest.raises(InvalidInput) as refused:
        export_files(study, "sdtm")
    assert "CM.CMTRT" in refused.value.message
    from oncotrial.exports.dataset_json import render_dataset_json
    from oncotrial.exports.sdtm_events import export_cm

    assert "昂丹司琼" in render_dataset_json(export_cm(study), study).decode()


def test_a_study_without_tumour_assessments_gives_empty_valid_findings():
    study = export_study()
    bare = dataclasses.replace(study, tables={**study.tables, "assessments": [], "measurements": [], "lesions": []},
                               created=dt.datetime(2026, 4, 1, tzinfo=dt.UTC))
    found = {d.name: d for d in export_sdtm(bare)}
    assert not found["TU"].rows and not found["TR"].rows and all(not check_xpt(d) for d in found.values())


@pytest.mark.parametrize(("entered", "exported"), [("China", "CHN"), ("CHN", "CHN"), ("us", "USA"),
                                                   ("中国", "CHN"), ("Atlantis", "Atlantis")])
def test_dm_country_is_iso_3166_alpha_3_and_an_unknown_country_stays_as_entered(entered, exported):
    from oncotrial.exports.bundle import SiteInfo
    from oncotrial.exports.sdtm import export_dm

    study = dataclasses.replace(export_study(), sites=(SiteInfo("01", "Site 01", entered),))
    assert set(export_dm(study).column("COUNTRY")) == {exported}
