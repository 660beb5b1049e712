"""Run every benchmark, one after another, each printing its timings and its ratio against the peer
it names (measured in the same run).

    python3 benchmarks/run.py            # all of them (about 10 minutes on a 2-core machine)
    python3 benchmarks/run.py survival   # some of them, by name

Performance goals live here and in the issue notes, never in timed unit tests.
"""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
BENCHMARKS = {
    "survival": ["survival.py"],          # KM / log-rank / Cox, 1e4-1e6, untied and tied, vs R,
                                          # lifelines, statsmodels
    "simulate": ["simulate.py"],          # 100,000 two-arm trials vs rpact getSimulationSurvival
    "derive": ["derive.py", "1000000"],   # 1M subjects through RECIST, BOR, PFS vs per-subject
    "randomization": ["randomization.py"],  # 10,000 x 80 allocations vs allocate() one at a time
    "report": ["report.py"],              # trial B's full report as HTML and PDF (goals 3 s and 10 s)
}


def main(names: list[str]) -> int:
    unknown = [name for name in names if name not in BENCHMARKS]
    if unknown:
        print(f"unknown benchmark {unknown}; known: {', '.join(BENCHMARKS)}", file=sys.stderr)
        return 2
    failed = 0
    for name in names or list(BENCHMARKS):
        print(f"\n=== {name} ===", flush=True)
        started = time.perf_counter()
        code = subprocess.call([sys.executable, str(HERE / BENCHMARKS[name][0]), *BENCHMARKS[name][1:]])
        print(f"--- {name}: {time.perf_counter() - started:.1f} s, exit {code}", flush=True)
        failed += code != 0
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
