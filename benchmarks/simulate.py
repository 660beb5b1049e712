"""Benchmark: 100,000 simulated 80-patient two-arm trials with a log-rank test each, against rpact's
``getSimulationSurvival`` on the same design in the same run.

Design (trial B-like): 80 subjects 1:1, accrual over 24 months (evenly spaced, as rpact), exponential
PFS with control median 12 months, HR 0.6, analysis at the 60th event, one-sided alpha 0.025.
rpact (C++ inside) runs through ``Rscript`` when it is installed, timed inside R with ``proc.time()``
around the call only (start-up and ``library(rpact)`` excluded), median of ``--repeat`` runs; ours is
timed the same way, on one thread unless said. Ratio = rpact's time / ours (wall). Goal (issue 15):
<= 0.1 s per 100,000 trials on one core, >= 35 x rpact.

Run: ``python3 benchmarks/simulate.py [--runs 100000] [--repeat 3]``.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import time

import numpy as np

from oncotrial.domain.design.models import AnalysisRule, PiecewiseExponential
from oncotrial.domain.design.simulation import TwoArmTrial, simulate_two_arm_trials

GOAL_S, GOAL_RATIO = 0.1, 35.0
R_SCRIPT = """
suppressMessages(library(rpact))
design <- getDesignGroupSequential(kMax = 1, alpha = 0.025, sided = 1)
wall <- numeric({repeat}); cpu <- numeric({repeat})
for (i in seq_len({repeat})) {{
  t0 <- proc.time()
  s <- getSimulationSurvival(design = design, hazardRatio = 0.6, median2 = 12, accrualTime = 24,
    maxNumberOfSubjects = 80, plannedEvents = 60, directionUpper = FALSE,
    maxNumberOfIterations = {runs}, seed = 20240601)
  dt <- proc.time() - t0
  wall[i] <- dt[["elapsed"]]; cpu[i] <- dt[["user.self"]] + dt[["sys.self"]]
}}
cat(sprintf("%.17g", c(median(wall), median(cpu), s$overallReject)), "\\n")
"""


def rpact_seconds(runs: int, repeat: int) -> tuple[float, float, float] | None:
    """(median wall s, median CPU s, rejection rate) of rpact, or None without R and rpact."""
    rscript = shutil.which("Rscript")
    if rscript is None:
        return None
    run = subprocess.run([rscript, "-e", R_SCRIPT.format(repeat=repeat, runs=runs)],
                         capture_output=True, text=True, check=False)
    if run.returncode != 0:
        print(f"rpact failed: {run.stderr.strip()[-300:]}")
        return None
    wall, cpu, reject = (float(v) for v in run.stdout.split())
    return wall, cpu, reject


def measure(trial: TwoArmTrial, runs: int, repeat: int, **options) -> tuple[float, float, object]:
    """Median wall and CPU time over ``repeat`` runs, and the last result."""
    walls, cpus, result = [], [], None
    for _ in range(repeat):
        wall0, cpu0 = time.perf_counter(), time.process_time()
        result = simulate_two_arm_trials(trial, runs, np.random.default_rng(20240601), **options)
        walls.append(time.perf_counter() - wall0)
        cpus.append(time.process_time() - cpu0)
    return float(np.median(walls)), float(np.median(cpus)), result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    trial = TwoArmTrial(80, 24.0, PiecewiseExponential.from_median(12.0), 0.6,
                        AnalysisRule(events=60), alpha=0.025, accrual="even")
    scale = 100_000 / args.runs
    print(f"{args.runs:,} trials; load average {os.getloadavg()[0]:.2f} on {os.cpu_count()} cores "
          "(shared machine: wall times inflate with load, CPU time much less)")
    peer = rpact_seconds(args.runs, args.repeat)
    if peer is None:
        print("rpact: skipped (Rscript with rpact not installed)")
    else:
        print(f"rpact getSimulationSurvival: {peer[0] * scale:6.3f} s per 100,000 "
              f"(CPU {peer[1] * scale:5.2f} s), power {peer[2]:.5f}")
    cases = [
        ("log-rank only, 1 thread", {"summaries": False, "workers": 1}),
        ("log-rank only, 2 threads", {"summaries": False, "workers": 2}),
        ("+ Cox HR (3 Newton steps) + KM medians, 1 thread", {"summaries": True, "workers": 1}),
    ]
    for label, options in cases:
        wall, cpu, result = measure(trial, args.runs, args.repeat, **options)
        per = wall * scale
        ratio = "" if peer is None else (f"rpact / ours x{peer[0] * scale / per:5.1f} "
                                         f"[CPU x{peer[1] / cpu:5.1f}]  ")
        print(f"{label:50s} {per:6.3f} s per 100,000 (CPU {cpu * scale:5.2f} s)  {ratio}"
              f"power {result.rejection_rate:.4f}")
        if options == cases[0][1]:
            met = per <= GOAL_S and (peer is None or peer[0] * scale / per >= GOAL_RATIO)
            print(f"  goal (<= {GOAL_S} s on one core, >= {GOAL_RATIO:g} x rpact): "
                  f"{'met' if met else 'NOT met'}")


if __name__ == "__main__":
    main()
