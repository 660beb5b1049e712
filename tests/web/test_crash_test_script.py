"""scripts/crash-test (issue 13, item 6), short: a few seconds of write load on SQLite, kill -9 of the
server mid-load, restart, and the ledger's proof; plus probes that its checks can fail."""

import importlib.machinery
import importlib.util
import json
import subprocess
import sys
from pathlib import Path

import pytest

SCRIPT = Path(__file__).resolve().parents[2] / "scripts" / "crash-test"


def load_script():
    loader = importlib.machinery.SourceFileLoader("crash_test", str(SCRIPT))
    spec = importlib.util.spec_from_loader("crash_test", loader)
    module = importlib.util.module_from_spec(spec)
    loader.exec_module(module)
    return module


@pytest.mark.slow
def test_the_crash_test_passes_on_sqlite_with_a_short_load(tmp_path):
    out = tmp_path / "result.json"
    done = subprocess.run([sys.executable, str(SCRIPT), "--backend", "sqlite", "--seconds", "8",
                           "--json-out", str(out)], capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    (result,) = json.loads(out.read_text())
    assert result["passed"] and result["audit_verify_exit"] == 0 and result["problems"] == []
    assert result["acknowledged_before_kill"] > 0 and result["acknowledged"] > result["acknowledged_before_kill"]
    assert result["stored"] >= result["acknowledged"]


def test_the_ledger_check_finds_lost_half_written_and_unaudited_records():
    script = load_script()
    ledger = script.Ledger("probe")
    bodies = [ledger.next_body() for _ in range(4)]
    ledger.add(bodies[0], "acknowledged", 1, 200)
    ledger.add(bodies[1], "acknowledged", 2, 200)
    ledger.add(bodies[2], "lost_in_flight")
    ledger.add(bodies[3], "never_sent")
    whole = {"rows": {"1": bodies[0], "2": bodies[1]}, "audited": ["1", "2"]}
    assert script.check(ledger, whole) == []
    lost = {"rows": {"1": bodies[0]}, "audited": ["1"]}
    assert any("is missing" in p for p in script.check(ledger, lost))
    half = {"rows": {**whole["rows"], "3": {**bodies[2], "dose_text": ""}}, "audited": ["1", "2", "3"]}
    assert any("half-written" in p for p in script.check(ledger, half))
    ghost = {"rows": {**whole["rows"], "4": bodies[3]}, "audited": ["1", "2", "4"]}
    assert any("never_sent" in p for p in script.check(ledger, ghost))
    unaudited = {"rows": whole["rows"], "audited": ["1"]}
    assert any("without their create audit row" in p for p in script.check(ledger, unaudited))
