"""Calendar scenarios as data files: one subject per file, expectations worked out by hand.

Each file in ``tests/vectors/calendar/`` names a protocol (a built-in id, ``{builtin: id, set:
{field.path: value}}`` to change one rule of a built-in and validate it again, or ``{inline: {...}}``
with a whole protocol in its YAML form), the subject's actual
events, the as-of date and the expected plan: clock states and next doses, selected cycles,
assessments and procedures (matched by their key fields, compared on the fields given), the exact list
of flag kinds, or the error expected.
"""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path

import pytest
import yaml

from oncotrial.domain.conduct.calendar import derive_calendar
from oncotrial.domain.conduct.subject_events import SubjectEvents
from oncotrial.domain.protocol.model import dump_protocol, load_protocol
from oncotrial.domain.protocol.schema import to_data
from oncotrial.errors import InvalidInput
from oncotrial.protocols import load_builtin_protocol

FOLDER = Path(__file__).parent / "calendar"
CASES = sorted(FOLDER.glob("*.yaml"))


def build_protocol(spec):
    if isinstance(spec, str):
        return load_builtin_protocol(spec)
    if "inline" in spec:
        return load_protocol(yaml.safe_dump(spec["inline"], sort_keys=False), source="inline protocol")
    data = to_data(load_builtin_protocol(spec["builtin"]))
    for path, value in spec.get("set", {}).items():
        *parents, last = re.findall(r"[^.\[\]]+", path)
        node = data
        for key in parents:
            node = node[int(key)] if key.isdigit() else node[key]
        node[int(last) if last.isdigit() else last] = value
    text = yaml.safe_dump(data, sort_keys=False)
    return load_protocol(dump_protocol(load_protocol(text, source=spec["builtin"])))


def plain(value):
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, dict):
        return {k: plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [plain(v) for v in value]
    return value


def check_fields(actual: dict, expected: dict, where: str):
    for key, want in expected.items():
        if key == "basis_contains":
            assert want in actual["basis"], f"{where}: basis {actual['basis']!r} lacks {want!r}"
        elif key == "reason_contains":
            assert want in actual["reason"], f"{where}: reason {actual['reason']!r} lacks {want!r}"
        elif key == "drugs":
            got = {d["drug"]: d["percent"] for d in actual["drugs"]}
            assert got == want, f"{where}: drugs {got} != {want}"
        else:
            assert actual[key] == want, f"{where}: {key} is {actual[key]!r}, expected {want!r}"


def find(items: list[dict], keys: dict, where: str) -> dict:
    hits = [item for item in items if all(item[k] == v for k, v in keys.items())]
    assert len(hits) == 1, f"{where}: {len(hits)} entries match {keys}"
    return hits[0]


def check_calendar(calendar: dict, expected: dict):
    if "status" in expected:
        assert calendar["status"] == expected["status"]
    clocks = {c["clock"]: c for c in calendar["clocks"]}
    if "clocks" in expected:
        assert sorted(clocks) == sorted(expected["clocks"]), "the subject's clocks differ"
    for name, want in expected.get("clocks", {}).items():
        want = dict(want)
        next_dose = want.pop("next", "absent")
        check_fields(clocks[name], want, f"clock {name}")
        if next_dose is None:
            assert clocks[name]["next_dose"] is None, f"clock {name} should plan no dose"
        elif next_dose != "absent":
            assert clocks[name]["next_dose"] is not None, f"clock {name} plans no dose"
            check_fields(clocks[name]["next_dose"], next_dose, f"clock {name} next dose")
    for want in expected.get("doses", []):
        keys = {k: want[k] for k in ("clock", "cycle")}
        check_fields(find(calendar["doses"], keys, "doses"), want, f"dose {keys}")
    for want in expected.get("assessments", []):
        keys = {k: want[k] for k in ("kind", "number")}
        check_fields(find(calendar["assessments"], keys, "assessments"), want, f"assessment {keys}")
    if "assessment_count" in expected:
        assert len(calendar["assessments"]) == expected["assessment_count"]
    for want in expected.get("procedures", []):
        check_fields(find(calendar["procedures"], {"kind": want["kind"]}, "procedures"), want, "procedure")
    if "unscheduled_assessments" in expected:
        assert calendar["unscheduled_assessments"] == expected["unscheduled_assessments"]
    if "flags" in expected:
        assert sorted(f["kind"] for f in calendar["flags"]) == sorted(expected["flags"])


@pytest.mark.parametrize("path", CASES, ids=[p.stem for p in CASES])
def test_calendar_scenario(path):
    case = yaml.safe_load(path.read_text())
    protocol = build_protocol(case["protocol"])
    expected = plain(case["expected"])
    as_of = case["as_of"]
    if "error" in expected:
        with pytest.raises(InvalidInput) as error:
            derive_calendar(protocol, SubjectEvents.from_dict(case["events"]), as_of)
        assert error.value.field == expected["error"]["field"]
        assert expected["error"]["contains"] in error.value.message
        return
    calendar = derive_calendar(protocol, SubjectEvents.from_dict(case["events"]), as_of)
    check_calendar(calendar.to_dict(), expected)


def test_there_are_at_least_fifteen_scenarios():
    assert len(CASES) >= 15
