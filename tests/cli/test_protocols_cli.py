"""``oncotrial protocols list | show | validate | import``."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from oncotrial.cli import main
from oncotrial.domain.protocol.model import dump_protocol, load_protocol
from oncotrial.protocols import load_builtin_protocol

VECTORS = Path(__file__).resolve().parents[1] / "vectors" / "registry"


@pytest.fixture(autouse=True)
def wide_terminal(monkeypatch):
    monkeypatch.setenv("COLUMNS", "250")  # rich wraps at the terminal width; keep phrases on one line


def run(capsys, *argv) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_list_shows_both_built_in_protocols(capsys):
    code, out, _ = run(capsys, "protocols", "list")
    assert code == 0
    assert "crlm-mwa-camrelizumab" in out and "crlm-sbrt-sintilimab" in out
    assert "Postoperative Chemotherapy With/Without Radiotherapy" in out


def test_show_trial_a_in_plain_words(capsys):
    code, out, _ = run(capsys, "protocols", "show", "crlm-mwa-camrelizumab")
    assert code == 0
    for phrase in (
        "phase II, interventional, allocation n/a, single group, masking none, purpose treatment",
        "Microwave ablation + chemotherapy + camrelizumab (experimental): ablation + chemotherapy + Camrelizumab",
        "ablation on the day of enrolment (±14 days)",
        "chemotherapy + camrelizumab 7 days after each ablation (±3 days); a new one restarts the running cycle",
        "camrelizumab 200 mg (flat) IV day 1, over 0.5 h",
        "Camrelizumab 200 mg IV q3w: 21-day cycle (q3w)",
        "one regimen chosen per patient:",
        "capecitabine 1000 mg/m2 oral day 1-14, twice daily",
        "ablation (microwave), repeatable",
        "every 6 weeks ±7 days until day 365, then every 12 weeks ±7 days, anchored on enrolment",
        "primary: 12-month progression-free survival (PFS) [rate, rule pfs_landmark_rate]",
        "time frame: 1 year",
        "none (not randomized)",
        "inclusion: ECOG performance status 0-1",
        "simon two stage: alpha 0.05, sides 1, power 0.8, p0 0.4, p1 0.6",
        f"Assumptions ({len(load_builtin_protocol('crlm-mwa-camrelizumab').assumptions)}): values the "
        "registry does not state",
        "registry.enrollment: Not stated. 46 is the Simon optimal design",
        "This platform is for informational purposes only",
    ):
        assert phrase in out, phrase


def test_show_trial_b_randomization_and_independent_clocks(capsys):
    code, out, _ = run(capsys, "protocols", "show", "crlm-sbrt-sintilimab")
    assert code == 0
    for phrase in (
        "crlm-sbrt-sintilimab version 1.0 · NCT06120127",
        "enrolment 80 (estimated); status recruiting",
        "sbrt 7 days after randomization (±7 days)",
        "sintilimab with the first chemotherapy dose (±3 days)",
        "sbrt (stereotactic body radiation therapy), 50 Gy in 5 fractions",
        "XELOX (CAPOX): 21-day cycle (q3w), ±3 days, clock 'chemotherapy'; max 8 cycles",
        "mFOLFOX6: 14-day cycle (q2w)",
        "Sintilimab 200 mg IV d1 q3w: 21-day cycle (q3w), ±3 days, clock 'antibody'; max 365 days",
        "permuted blocks, ratio 1:1 (Postoperative chemotherapy + SBRT + sintilimab : Postoperative "
        "chemotherapy alone)",
        "strata: Resection margin (R0/R1); Metastasis timing (synchronous/metachronous)",
        "block sizes: 2, 4, chosen at random",
        "time frame: From date of randomization until the date of death from any cause, assessed up to 36 months",
        "safety: Grade 3-4 adverse effect rate",
    ):
        assert phrase in out, phrase


def test_show_json_is_the_protocol_data_and_loads_back(capsys):
    code, out, _ = run(capsys, "protocols", "show", "crlm-sbrt-sintilimab", "--json")
    assert code == 0
    data = json.loads(out)
    assert data["registry"]["enrollment"] == 80
    assert load_protocol(out) == load_builtin_protocol("crlm-sbrt-sintilimab")


def test_show_reads_a_protocol_file(capsys, tmp_path):
    path = tmp_path / "trial.yaml"
    path.write_text(dump_protocol(load_builtin_protocol("crlm-mwa-camrelizumab")), encoding="utf-8")
    code, out, _ = run(capsys, "protocols", "show", str(path))
    assert code == 0 and "7 days after each ablation" in out


def test_show_an_unknown_protocol_exits_2_with_a_hint(capsys):
    code, out, err = run(capsys, "protocols", "show", "crlm-nope")
    assert code == 2 and out == ""
    assert err.splitlines() == [
        "oncotrial: error: 'crlm-nope' is neither a built-in protocol nor a file; built-in: "
        "crlm-mwa-camrelizumab, crlm-sbrt-sintilimab",
        "hint: `oncotrial protocols list` shows the built-in protocols"]


def test_show_a_broken_file_names_the_file_and_field(capsys, tmp_path):
    data = yaml.safe_load(dump_protocol(load_builtin_protocol("crlm-sbrt-sintilimab")))
    data["registry"]["masking"] = "open"
    path = tmp_path / "broken.yaml"
    path.write_text(yaml.safe_dump(data), encoding="utf-8")
    code, _, err = run(capsys, "protocols", "show", str(path))
    assert code == 2
    assert f"{path}: registry.masking: 'open' is not allowed; allowed: none, single" in err
    assert "Traceback" not in err


def test_validate_a_complete_protocol(capsys, tmp_path):
    path = tmp_path / "trial-b.yaml"
    path.write_text(dump_protocol(load_builtin_protocol("crlm-sbrt-sintilimab")), encoding="utf-8")
    code, out, _ = run(capsys, "protocols", "validate", str(path))
    assert code == 0
    assert out.strip() == (f"{path}: valid protocol 'crlm-sbrt-sintilimab' version 1.0: 2 arm(s), "
                           f"3 intervention(s), 4 endpoint(s), "
                           f"{len(load_builtin_protocol('crlm-sbrt-sintilimab').assumptions)} assumption(s)")


def test_validate_a_cross_field_error(capsys, tmp_path):
    data = yaml.safe_load(dump_protocol(load_builtin_protocol("crlm-sbrt-sintilimab")))
    data["randomization"]["ratio"][1]["arm"] = "placebo"
    path = tmp_path / "trial-b.yaml"
    path.write_text(yaml.safe_dump(data), encoding="utf-8")
    code, _, err = run(capsys, "protocols", "validate", str(path))
    assert code == 2 and "randomization.ratio[1].arm: unknown arm 'placebo'" in err


def test_validate_text_that_is_not_yaml(capsys, tmp_path):
    path = tmp_path / "bad.yaml"
    path.write_text("id: [unclosed\n", encoding="utf-8")
    code, _, err = run(capsys, "protocols", "validate", str(path))
    assert code == 2 and f"{path}: not valid YAML" in err


def test_import_json_writes_a_draft_that_lists_what_is_missing(capsys, tmp_path):
    out_path = tmp_path / "draft.yaml"
    code, out, _ = run(capsys, "protocols", "import", str(VECTORS / "trial-b-nct06120127.json"),
                       "--out", str(out_path))
    assert code == 0
    assert f"wrote {out_path}: draft protocol 'nct06120127'" in out
    assert f"next: complete it, then run `oncotrial protocols validate {out_path}`" in out
    text = out_path.read_text(encoding="utf-8")
    assert "# unfilled: version | the protocol version is set by the trial team" in text
    assert "# unfilled: interventions.sintilimab-200mg-d1-q3w.regimens | " in text
    data = yaml.safe_load(text)
    assert data["registry"]["nct_id"] == "NCT06120127" and data["registry"]["enrollment"] == 80
    assert sorted(p.name for p in tmp_path.iterdir()) == ["draft.yaml"]  # no temporary file left

    code, _, err = run(capsys, "protocols", "validate", str(out_path))
    assert code == 2
    assert "field(s) still missing:" in err
    for path in ("version", "assessment_schedule", "randomization", "interventions.xelox-folfox-folfiri.regimens",
                 "endpoints.progression-free-survival.kind", "arms.postoperative-chemotherapy-alone.starts"):
        assert f"  - {path}: " in err, path
    assert "Traceback" not in err


def test_import_csv_to_standard_output(capsys):
    code, out, err = run(capsys, "protocols", "import", str(VECTORS / "trial-a.csv"), "--format", "csv")
    assert code == 0
    assert out.startswith("# Draft protocol imported from ")
    assert yaml.safe_load(out)["interventions"][0]["name"] == "Camrelizumab"
    assert "could not be filled from the record" in err


def test_a_completed_draft_validates(capsys, tmp_path):
    """Fill what the trial A draft lists (here from the built-in) and validate passes."""
    out_path = tmp_path / "draft.yaml"
    assert main(["protocols", "import", str(VECTORS / "trial-a.csv"), "--out", str(out_path)]) == 0
    text = out_path.read_text(encoding="utf-8")
    header = "".join(line + "\n" for line in text.splitlines() if line.startswith("#"))
    draft = yaml.safe_load(text)
    builtin = yaml.safe_load(dump_protocol(load_builtin_protocol("crlm-mwa-camrelizumab")))
    draft["version"] = "0.1"
    for key in ("nct_id", "sponsor", "status", "enrollment", "masking", "enrollment_type",
                "detailed_description", "official_title"):
        draft["registry"][key] = getattr(load_builtin_protocol("crlm-mwa-camrelizumab").registry, key)
    for key in ("sites", "arms", "assessment_schedule", "eligibility", "analysis_sets", "design"):
        draft[key] = builtin[key]
    for item in draft["interventions"]:
        complete = next(i for i in builtin["interventions"] if i["id"] == item["id"])
        item.update({k: v for k, v in complete.items() if k in ("regimens", "procedure")})
    # the built-in leaves the number of ablation sessions open; an explicit null records that decision
    draft["interventions"][1]["procedure"]["max_sessions"] = None
    for endpoint, complete in zip(draft["endpoints"], builtin["endpoints"], strict=True):
        endpoint.update(kind=complete["kind"], rule=complete["rule"])
    out_path.write_text(header + yaml.safe_dump(draft, sort_keys=False), encoding="utf-8")
    capsys.readouterr()
    code, out, err = run(capsys, "protocols", "validate", str(out_path))
    assert (code, err) == (0, ""), err
    assert "valid protocol 'a-trial-of-camrelizumab-combined-with' version 0.1: 1 arm(s)" in out


@pytest.mark.parametrize("name", ["empty.json", "not-json.json", "unknown-phase.json", "not-csv-header.csv",
                                  "interventions-without-type.csv"])
def test_import_malformed_exits_2_and_writes_nothing(capsys, tmp_path, name):
    out_path = tmp_path / "draft.yaml"
    code, out, err = run(capsys, "protocols", "import", str(VECTORS / "malformed" / name), "--out", str(out_path))
    assert code == 2 and out == ""
    assert err.startswith(f"oncotrial: error: {VECTORS / 'malformed' / name}: ")
    assert "hint: " in err and "Traceback" not in err
    assert list(tmp_path.iterdir()) == []


def test_import_does_not_overwrite_without_force(capsys, tmp_path):
    out_path = tmp_path / "trial.yaml"
    out_path.write_text("id: my-completed-protocol\n", encoding="utf-8")
    code, _, err = run(capsys, "protocols", "import", str(VECTORS / "trial-a.csv"), "--out", str(out_path))
    assert code == 2 and "exists; nothing was written" in err and "--force" in err
    assert out_path.read_text(encoding="utf-8") == "id: my-completed-protocol\n"
    code, _, _ = run(capsys, "protocols", "import", str(VECTORS / "trial-a.csv"), "--out", str(out_path),
                     "--force")
    assert code == 0 and out_path.read_text(encoding="utf-8").startswith("# Draft protocol")


def test_import_a_missing_file(capsys, tmp_path):
    code, _, err = run(capsys, "protocols", "import", str(tmp_path / "nope.json"))
    assert code == 2 and "nope.json: no such file" in err


def test_import_a_file_that_is_not_utf8(capsys, tmp_path):
    path = tmp_path / "latin1.csv"
    path.write_bytes("Study Title\nH\xf4pital".encode("latin-1"))
    code, _, err = run(capsys, "protocols", "import", str(path))
    assert code == 2 and "not UTF-8 text" in err


def test_show_and_validate_run_as_a_subprocess_without_a_traceback():
    result = subprocess.run([sys.executable, "-m", "oncotrial", "protocols", "show", "crlm-mwa-camrelizumab"],
                            capture_output=True, text=True, timeout=60, check=False)
    assert result.returncode == 0, result.stderr
    assert "7 days after each ablation" in result.stdout
    bad = subprocess.run([sys.executable, "-m", "oncotrial", "protocols", "validate", "/nonexistent.yaml"],
                         capture_output=True, text=True, timeout=60, check=False)
    assert bad.returncode == 2 and "Traceback" not in bad.stderr and "hint:" in bad.stderr
