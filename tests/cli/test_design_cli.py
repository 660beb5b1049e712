"""``oncotrial design ...`` and ``oncotrial simulate ...`` through the real command line entry point."""

from __future__ import annotations

import importlib.util
import json
import math

import pytest

from oncotrial.cli import main


def run_json(capsys, *argv):
    assert main([*argv, "--json"]) == 0
    return json.loads(capsys.readouterr().out)


def test_simon_json_has_the_clinfun_designs(capsys):
    # clinfun::ph2simon(0.3, 0.5, 0.05, 0.2): optimal 5/15, 18/46; minimax 6/19, 16/39.
    out = run_json(capsys, "design", "simon", "--p0", "0.3", "--p1", "0.5", "--alpha", "0.05",
                   "--power", "0.8")
    assert [out["optimal"][k] for k in ("r1", "n1", "r", "n")] == [5, 15, 18, 46]
    assert [out["minimax"][k] for k in ("r1", "n1", "r", "n")] == [6, 19, 16, 39]
    assert out["single_stage"]["n"] == 39


def test_simon_table_is_readable(capsys):
    assert main(["design", "simon", "--p0", "0.3", "--p1", "0.5"]) == 0
    text = capsys.readouterr().out
    assert "optimal" in text and "5/15" in text and "18/46" in text and "minimax" in text


def test_survival_equals_rpact(capsys):
    out = run_json(capsys, "design", "survival", "--hr", "0.6", "--median-control", "12",
                   "--accrual", "24", "--followup", "12", "--alpha", "0.025")
    assert out["events_per_stage"][0] == pytest.approx(120.315704377499, abs=1e-6)
    assert out["subjects"] == pytest.approx(187.764058097973, abs=1e-6)


def test_survival_hsieh_freedman_with_unequal_allocation_equals_rpact(capsys):
    # rpact 3.3.4 getSampleSizeSurvival(typeOfComputation = "HsiehFreedman", hazardRatio = 0.6,
    # median2 = 12, accrualTime = 24, followUpTime = 12, allocationRatioPlanned = 2)
    # (tests/domain/design/reference/rpact_survival_options.json, "allocation_2 HsiehFreedman").
    out = run_json(capsys, "design", "survival", "--hr", "0.6", "--median-control", "12",
                   "--accrual", "24", "--followup", "12", "--allocation", "2",
                   "--method", "HsiehFreedman")
    assert out["events_per_stage"][0] == pytest.approx(141.27983521828355, abs=1e-6)
    assert out["subjects"] == pytest.approx(231.14769625241044, abs=1e-6)


def test_survival_power_for_given_subjects(capsys):
    out = run_json(capsys, "design", "survival", "--hr", "0.6", "--median-control", "12",
                   "--accrual", "24", "--subjects", "80", "--events", "60")
    assert out["power"] == pytest.approx(0.507362121359443, abs=1e-6)


def test_sequential_with_survival_assumptions(capsys):
    out = run_json(capsys, "design", "sequential", "--kind", "OF", "--looks", "0.5,1", "--hr", "0.6",
                   "--median-control", "12", "--accrual", "24", "--followup", "12")
    assert out["sample_size"]["events_per_stage"][1] == pytest.approx(121.252513138088, abs=1e-6)
    assert out["design"]["cumulative_alpha"][-1] == pytest.approx(0.025, abs=1e-12)


def test_single_arm_designs(capsys):
    out = run_json(capsys, "design", "single", "--p0", "0.4", "--p1", "0.6", "--accrual", "24",
                   "--followup", "12")
    assert out["exact_binomial"]["n"] == 42
    assert 25 < out["one_sample_logrank"]["subjects_rounded"] < 40


def test_simulate_takes_defaults_from_the_protocol(capsys):
    out = run_json(capsys, "simulate", "crlm-sbrt-sintilimab", "--runs", "500", "--seed", "1")
    assert out["protocol"] == "crlm-sbrt-sintilimab"
    assert "80 subjects" in out["description"] and "HR 0.5" in out["description"]
    assert out["mean_analysis_months"] == 36.0
    assert 0.4 < out["rejection_rate"] < 0.9


def test_simulate_overrides_and_single_arm(capsys):
    out = run_json(capsys, "simulate", "crlm-mwa-camrelizumab", "--runs", "400", "--rate", "0.6",
                   "--continuous")
    assert out["summaries"]["true_landmark_rate"] == pytest.approx(0.6)
    assert out["summaries"]["simon_design"] == [7, 16, 23, 46]
    two = run_json(capsys, "simulate", "crlm-sbrt-sintilimab", "--runs", "300", "--hr", "1",
                   "--events", "40", "--continuous")
    assert two["mean_events"] == pytest.approx(40, abs=0.01)


@pytest.mark.parametrize(
    ("argv", "words"),
    [
        (["design", "simon", "--p0", "0.5", "--p1", "0.3"], "p1"),
        (["design", "simon", "--p0", "0.3", "--p1", "0.5", "--alpha", "0.6"], "alpha"),
        (["design", "simon", "--p0", "0.3", "--p1", "0.35", "--nmax", "30"], "nmax"),
        (["design", "survival", "--hr", "0.6", "--median-control", "12", "--accrual", "-1",
          "--followup", "12"], "accrual_months"),
        (["simulate", "crlm-sbrt-sintilimab", "--runs", "10", "--events", "200"], "events"),
    ] + ([(["simulate", "crlm-sbrt-sintilimab", "--runs", "10", "--gpu"], "CuPy")]
         if importlib.util.find_spec("cupy") is None else []),
)
def test_bad_input_exits_2_with_a_named_argument(capsys, argv, words):
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert "oncotrial: error:" in err and words in err and "hint:" in err


def test_simulate_group_sequential_looks(capsys):
    out = run_json(capsys, "simulate", "crlm-sbrt-sintilimab", "--runs", "400", "--hr", "0.5",
                   "--events", "60", "--looks", "0.5,1", "--kind", "OF", "--continuous")
    assert out["summaries"]["looks_at_events"] == [30, 60]
    assert len(out["summaries"]["rejection_by_look"]) == 2
    assert main(["simulate", "crlm-sbrt-sintilimab", "--runs", "10", "--looks", "0.5,1"]) == 2
    assert "--events" in capsys.readouterr().err


def test_every_design_option_is_documented():
    from pathlib import Path

    from oncotrial.cli import build_parser

    docs = (Path(__file__).resolve().parents[2] / "docs" / "design.md").read_text()
    parser = build_parser()
    actions = parser._subparsers._group_actions[0].choices  # argparse has no public API for this
    verbs = dict(actions["design"]._subparsers._group_actions[0].choices)
    verbs["simulate"] = actions["simulate"]
    missing = [f"{verb} {option}" for verb, sub in verbs.items() for action in sub._actions
               for option in action.option_strings
               if option.startswith("--") and option != "--help" and option not in docs]
    assert not missing, f"undocumented in docs/design.md: {missing}"


def test_simulate_piecewise_pfs_and_os(capsys):
    out = run_json(capsys, "simulate", "crlm-sbrt-sintilimab", "--runs", "2000", "--continuous",
                   "--pfs-hazards", "0.06,0.03", "--pfs-starts", "0,12", "--os-median", "30",
                   "--events", "50")
    # Control PFS: S(12) = exp(-0.72) = 0.49, so the median ln 2 / 0.06 = 11.6 lies in piece one.
    median = out["summaries"]["median_control"]["quantiles"]["0.5"]
    assert median == pytest.approx(math.log(2) / 0.06, abs=1.5)
    assert out["summaries"]["os_median_control"]["mean"] > median


def test_simulate_on_a_dask_cluster_equals_one_process(capsys):
    distributed = pytest.importorskip("distributed")
    argv = ["simulate", "crlm-sbrt-sintilimab", "--runs", "900", "--chunk-size", "200", "--seed", "4"]
    alone = run_json(capsys, *argv)
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=False,
                                  dashboard_address=None) as cluster:
        spread = run_json(capsys, *argv, "--cluster", cluster.scheduler_address)
    assert {k: v for k, v in spread.items() if k != "seconds"} == \
        {k: v for k, v in alone.items() if k != "seconds"}


def test_an_unreachable_cluster_is_one_line_naming_the_address(capsys):
    pytest.importorskip("distributed")
    argv = ["simulate", "crlm-sbrt-sintilimab", "--runs", "10", "--cluster", "tcp://127.0.0.1:1",
            "--connect-timeout", "0.5"]
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "tcp://127.0.0.1:1" in err and "Traceback" not in err


@pytest.mark.parametrize(
    ("extra", "words"),
    [
        (["--workers", "0"], "--workers is 0"),
        (["--workers", "513"], "between 1 and 512"),
        (["--workers", "2", "--cluster", "tcp://127.0.0.1:1"], "not both"),
        (["--runs", "2000000000"], "--runs is 2000000000"),
        (["--runs", "100000000", "--chunk-size", "10"], "--chunk-size"),
        (["--cluster", "tcp://127.0.0.1:1", "--connect-timeout", "0"], "--connect-timeout is 0"),
    ],
)
def test_simulate_refuses_out_of_range_workers_and_runs(capsys, extra, words):
    assert main(["simulate", "crlm-sbrt-sintilimab", "--runs", "10", *extra]) == 2
    assert words in capsys.readouterr().err


def test_a_worker_without_oncotrial_is_a_one_line_setup_error():
    from oncotrial.commands.cluster import _gathered
    from oncotrial.errors import InvalidInput

    class Failed:  # what a dask future re-raises when the worker cannot unpickle the chunk
        def result(self):
            raise ModuleNotFoundError("No module named 'oncotrial'", name="oncotrial")

    with pytest.raises(InvalidInput, match="cannot import oncotrial"):
        _gathered(Failed())
