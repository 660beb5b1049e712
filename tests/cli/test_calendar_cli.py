"""`oncotrial calendar PROTOCOL --events FILE [--as-of DATE] [--json]`."""

from __future__ import annotations

import json

import pytest
import yaml

from oncotrial.cli import main

SUBJECT = {
    "subject_id": "B-201", "arm": "sbrt-chemo-sintilimab", "randomization_date": "2025-03-03",
    "regimen_choices": {"chemotherapy": "mfolfox6"},
    "procedures": [{"kind": "sbrt", "date": "2025-03-10"}],
    "doses": [{"item": "chemotherapy", "date": "2025-03-17"}, {"item": "sintilimab", "date": "2025-03-17"},
              {"item": "chemotherapy", "date": "2025-03-31"}],
    "assessments": ["2025-02-24"],
}


@pytest.fixture
def events_file(tmp_path):
    path = tmp_path / "events.yaml"
    path.write_text(yaml.safe_dump(SUBJECT))
    return path


def test_it_prints_the_calendar_as_json(events_file, capsys):
    assert main(["calendar", "crlm-sbrt-sintilimab", "--events", str(events_file),
                 "--as-of", "2025-04-15", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    clocks = {c["clock"]: c for c in data["clocks"]}
    assert clocks["chemotherapy"]["next_dose"]["due"] == "2025-04-14"
    assert clocks["antibody"]["next_dose"] == {**clocks["antibody"]["next_dose"], "due": "2025-04-07",
                                               "status": "overdue"}
    assert [f["kind"] for f in data["flags"]] == ["dose_overdue"]


def test_it_prints_a_readable_calendar_with_its_flags(events_file, capsys):
    assert main(["calendar", "crlm-sbrt-sintilimab", "--events", str(events_file), "--as-of", "2025-04-15"]) == 0
    out = capsys.readouterr().out
    assert "B-201" in out and "Drug clocks" in out and "imaging 1" in out
    assert "antibody cycle 2 was due 2025-04-07" in out
    assert "14 days after cycle 2 (2025-03-31)" in out


def test_a_list_of_subjects_gives_a_list_of_calendars(tmp_path, capsys):
    path = tmp_path / "events.json"
    control = {**SUBJECT, "subject_id": "B-202", "arm": "chemo", "procedures": [],
               "doses": [{"item": "chemotherapy", "date": "2025-03-17"}]}
    path.write_text(json.dumps([SUBJECT, control]))
    assert main(["calendar", "crlm-sbrt-sintilimab", "--events", str(path), "--as-of", "2025-03-20", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert [c["subject_id"] for c in data] == ["B-201", "B-202"]
    assert [c["clock"] for c in data[1]["clocks"]] == ["chemotherapy"]


@pytest.mark.parametrize("argv, message", [
    (["--events", "missing.yaml"], "no such events file"),
    (["--as-of", "15/04/2025"], "--as-of '15/04/2025' is not a date"),
])
def test_user_errors_exit_2_with_one_message(events_file, capsys, argv, message):
    args = ["calendar", "crlm-sbrt-sintilimab", "--events", str(events_file), *argv]
    assert main(args) == 2
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err


def test_bad_events_name_the_field(tmp_path, capsys):
    path = tmp_path / "events.yaml"
    path.write_text(yaml.safe_dump({**SUBJECT, "regimen_choices": {}}))
    assert main(["calendar", "crlm-sbrt-sintilimab", "--events", str(path), "--as-of", "2025-04-15"]) == 2
    err = capsys.readouterr().err
    assert "regimen_choices.chemotherapy is missing; allowed: xelox, mfolfox6, folfiri" in err
    assert "hint:" in err


def test_an_unknown_protocol_exits_2(events_file, capsys):
    assert main(["calendar", "no-such-trial", "--events", str(events_file)]) == 2
    assert "neither a built-in protocol nor a file" in capsys.readouterr().err
