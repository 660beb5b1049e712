"""Balance simulator speed: 10,000 trials of 80 subjects must take under 10 s (issue 2, deliver 6).

Peer: the same allocation rules run one subject at a time through ``allocate`` (what the web app does
per enrolment), timed on a few hundred trials in the same run and scaled to 10,000. Run with
``python3 benchmarks/randomization.py [--runs 10000] [--peer-runs 200]``.
"""

from __future__ import annotations

import argparse
import time
from dataclasses import replace

import numpy as np

from oncotrial.domain.conduct.balance import simulate_randomization
from oncotrial.domain.conduct.randomization import allocate
from oncotrial.domain.protocol.model import StratificationFactor
from oncotrial.protocols import load_builtin_protocol

GOAL_SECONDS = 10.0


def sequential(spec, sites, subjects, runs, seed) -> float:
    rng = np.random.default_rng(seed)
    columns = [("site", sites)] + [(f.id, f.levels) for f in spec.factors]
    started = time.perf_counter()
    for _ in range(runs):
        state = None
        for _ in range(subjects):
            factors = {name: levels[rng.integers(len(levels))] for name, levels in columns}
            _, state = allocate(spec, state, factors, rng)
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=10000)
    parser.add_argument("--subjects", type=int, default=80)
    parser.add_argument("--peer-runs", type=int, default=200)
    args = parser.parse_args()
    base = load_builtin_protocol("crlm-sbrt-sintilimab").randomization
    lesions = StratificationFactor("lesions", "Liver lesions", ("1", "2-3", ">3"))
    cases = [
        ("permuted blocks, trial B strata", replace(base, method="permuted_blocks"), ("fuscc",)),
        ("minimization, trial B factors", replace(base, method="minimization"), ("fuscc",)),
        ("minimization, 3 factors + 4 sites", replace(base, method="minimization", stratify_by_site=True,
                                                      factors=base.factors + (lesions,)),
         ("01", "02", "03", "04")),
        ("simple", replace(base, method="simple"), ("fuscc",)),
    ]
    print(f"{args.runs} trials x {args.subjects} subjects (goal: under {GOAL_SECONDS:.0f} s each)")
    print(f"{'case':<38}{'vectorised s':>14}{'allocate() s*':>15}{'speed-up':>10}  goal")
    for name, spec, sites in cases:
        started = time.perf_counter()
        simulate_randomization(spec, sites, args.subjects, args.runs, np.random.default_rng(1))
        fast = time.perf_counter() - started
        peer = sequential(spec, sites, args.subjects, args.peer_runs, 2) * args.runs / args.peer_runs
        verdict = "met" if fast < GOAL_SECONDS else "MISSED"
        print(f"{name:<38}{fast:>14.2f}{peer:>15.1f}{peer / fast:>9.0f}x  {verdict}")
    print(f"* allocate() one subject at a time, timed on {args.peer_runs} trials and scaled to {args.runs}")


if __name__ == "__main__":
    main()
