"""`oncotrial randomization simulate PROTOCOL --subjects N --runs R [--seed] [--method] [--sites] [--json]`."""

from __future__ import annotations

import json

from oncotrial.cli import main


def simulate_json(capsys, *extra):
    assert main(["randomization", "simulate", "crlm-sbrt-sintilimab", "--subjects", "40", "--runs", "300",
                 "--seed", "7", "--json", *extra]) == 0
    return json.loads(capsys.readouterr().out)


def test_it_reports_imbalance_overall_per_site_and_per_factor(capsys):
    data = simulate_json(capsys)
    groups = {s["group"]: s for s in data["summaries"]}
    assert data["method"] == "permuted_blocks" and data["runs"] == 300 and data["subjects"] == 40
    assert {"overall", "site fuscc", "any site", "factor margin", "factor timing",
            "level margin=R1", "any stratum"} <= set(groups)
    # Blocks of 2 or 4 within each margin × timing stratum: a stratum is never off by more than 2.
    assert groups["any stratum"]["maximum"] <= 2
    assert abs(sum(data["mean_arm_counts"]) - 40) < 1e-9


def test_the_same_seed_gives_the_same_result(capsys):
    first = simulate_json(capsys)
    second = simulate_json(capsys)
    first.pop("seconds"), second.pop("seconds")
    assert first == second


def test_method_and_sites_can_be_overridden(capsys):
    data = simulate_json(capsys, "--method", "minimization", "--sites", "3")
    groups = {s["group"] for s in data["summaries"]}
    assert data["method"] == "minimization"
    assert {"site site-1", "site site-2", "site site-3"} <= groups


def test_it_prints_a_table(capsys):
    assert main(["randomization", "simulate", "crlm-sbrt-sintilimab", "--runs", "100"]) == 0
    out = capsys.readouterr().out
    assert "100 trials of 80 subjects" in out and "any stratum" in out and "P(≥ 2)" in out


def test_a_single_arm_protocol_cannot_be_simulated(capsys):
    assert main(["randomization", "simulate", "crlm-mwa-camrelizumab", "--runs", "10"]) == 2
    err = capsys.readouterr().err
    assert "is not randomized" in err and "hint:" in err and "Traceback" not in err
    assert main(["randomization", "simulate", "crlm-mwa-camrelizumab", "--method", "simple"]) == 2
    assert "has no randomization ratio" in capsys.readouterr().err


def test_bad_counts_exit_2(capsys):
    assert main(["randomization", "simulate", "crlm-sbrt-sintilimab", "--runs", "0"]) == 2
    assert "--runs must be a whole number >= 1" in capsys.readouterr().err
