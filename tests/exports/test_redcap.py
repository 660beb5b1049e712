"""REDCap export on the export cohort with its eCRF: the data dictionary has REDCap's exact
18-column header, legal unique field names of at most 26 characters and choices written
`1, Label | 2, Label`; instruments, arm, events and the instrument-event mapping agree with it;
records come in the flat shape (record × event × repeat instance, checkboxes as name___code)."""

from __future__ import annotations

import csv
import io
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))
from cohort import SCREEN_FAILURE  # noqa: E402
from ecrf_cohort import ecrf_study  # noqa: E402

from oncotrial.exports.package import export_files  # noqa: E402
from oncotrial.exports.redcap import HEADER, HEADER_LINE, check_redcap_dictionary  # noqa: E402

REDCAP_HEADER = ('"Variable / Field Name","Form Name","Section Header","Field Type","Field Label",'
                 '"Choices, Calculations, OR Slider Labels","Field Note","Text Validation Type OR Show Slider '
                 'Number","Text Validation Min","Text Validation Max",Identifier?,"Branching Logic (Show field '
                 'only if...)","Required Field?","Custom Alignment","Question Number (surveys only)","Matrix '
                 'Group Name","Matrix Ranking?","Field Annotation"')


@pytest.fixture(scope="module")
def files():
    study = ecrf_study(extra_facts=(SCREEN_FAILURE,))
    return {name: data.decode() for name, data in export_files(study, "redcap").items()}


def rows(text: str) -> list[dict]:
    return list(csv.DictReader(io.StringIO(text)))


def test_the_dictionary_header_is_redcaps_exactly_and_the_dictionary_is_importable(files):
    text = files["redcap_data_dictionary.csv"]
    assert text.splitlines()[0] == REDCAP_HEADER == HEADER_LINE and len(HEADER) == 18
    assert check_redcap_dictionary(text) == []
    names = [r["Variable / Field Name"] for r in rows(text)]
    assert names[0] == "record_id" and len(names) == len(set(names)) and max(map(len, names)) <= 26
    grade = next(r for r in rows(text) if r["Variable / Field Name"] == "ae_serious_criterion")
    assert grade["Field Type"] == "radio" and grade["Choices, Calculations, OR Slider Labels"].startswith(
        "1, death | 2, life threatening")


def test_the_check_names_what_redcap_would_refuse():
    bad = HEADER_LINE + "\nRecord-ID,a,,text,x,,,,,,,,,,,,,\nx_" + "y" * 30 + ",a,,radio,x,\"yes; no\",,,,,,,,,,,,\n"
    problems = " | ".join(check_redcap_dictionary(bad))
    assert "'Record-ID'" in problems and "at most 26" in problems and "'1, Label | 2, Label'" in problems
    assert "first field must be record_id" in problems
    assert "header" in " ".join(check_redcap_dictionary("a,b\n"))


def test_instruments_events_arms_and_the_mapping_agree_with_the_dictionary(files):
    forms = list(dict.fromkeys(r["Form Name"] for r in rows(files["redcap_data_dictionary.csv"])))
    assert [r["instrument_name"] for r in rows(files["redcap_instruments.csv"])] == forms
    events = {r["unique_event_name"] for r in rows(files["redcap_events.csv"])}
    mapping = rows(files["redcap_instrument_event_mapping.csv"])
    assert {r["form"] for r in mapping} == set(forms) and {r["unique_event_name"] for r in mapping} <= events
    assert rows(files["redcap_arms.csv"]) == [{"arm_num": "1", "name": "Arm 1"}]
    repeating = {r["form_name"] for r in rows(files["redcap_repeating_instruments.csv"])}
    assert {"adverse_event", "lesion", "con_med"} <= repeating and "death" not in repeating


def test_records_are_flat_rows_with_checkboxes_as_three_underscore_columns(files):
    records = rows(files["redcap_records.csv"])
    assert list(records[0])[:5] == ["record_id", "redcap_event_name", "redcap_repeat_instrument",
                                    "redcap_repeat_instance", "redcap_data_access_group"]
    enrolment = next(r for r in records if r["record_id"] == "01-090")
    assert enrolment["redcap_event_name"] == "enrolment_arm_1" and enrolment["enr_sex"] == "2"
    assert enrolment["enr_arm"] == "" and enrolment["enrolment_complete"] == "2"
    ae = next(r for r in records if r["redcap_repeat_instrument"] == "adverse_event")
    assert (ae["redcap_event_name"], ae["redcap_repeat_instance"], ae["ae_grade"], ae["ae_serious"]) == (
        "safety_arm_1", "1", "3", "1")
    sbrt = next(r for r in records if r["redcap_repeat_instrument"] == "local_therapy")
    assert (sbrt["lt_lesion_ids___1"], sbrt["lt_lesion_ids___2"], sbrt["lt_kind"]) == ("1", "1", "3")
    lesion = next(r for r in records if r["redcap_repeat_instrument"] == "lesion")
    assert (lesion["lesion_visit"], lesion["lesion_size_mm"], lesion["lesion_is_lymph_node"]) == ("W8", "24.5", "0")
    dictionary = {r["Variable / Field Name"] for r in rows(files["redcap_data_dictionary.csv"])}
    fields = {c.split("___")[0] for c in records[0] if not c.endswith("_complete")} - {
        "redcap_event_name", "redcap_repeat_instrument", "redcap_repeat_instance", "redcap_data_access_group"}
    assert fields == dictionary


def test_a_study_without_records_still_gives_an_importable_dictionary_and_enrolment_rows():
    import dataclasses

    study = ecrf_study()
    ecrf = dataclasses.replace(study.extras["ecrf"], records=(), signatures=())
    files = export_files(dataclasses.replace(study, extras={"ecrf": ecrf}), "redcap")
    assert check_redcap_dictionary(files["redcap_data_dictionary.csv"].decode()) == []
    records = rows(files["redcap_records.csv"].decode())
    assert len(records) == len(study.facts) and {r["redcap_event_name"] for r in records} == {"enrolment_arm_1"}
