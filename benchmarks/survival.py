"""Benchmark oncotrial's survival kernels against lifelines and statsmodels (and R survival when
``Rscript`` with the survival package is installed), on one synthetic two-arm trial generator.

    python3 benchmarks/survival.py                      # n = 1e4, 1e5, 1e6
    python3 benchmarks/survival.py --sizes 10000 100000 # shorter
    python3 benchmarks/survival.py --full-peers         # also peers' Cox at n >= 1e6 (minutes)

Prints wall seconds (best of --repeat runs; CPU seconds beside ours) per task and the ratio
peer / ours, and checks that all
tools agree on the numbers (KM at landmarks, log-rank chi-square, Cox coefficients).
Goals at n = 1e6 on the 2-core development machine: KM <= 0.2 s, log-rank <= 0.3 s,
Cox Efron (arm + covariate) <= 0.5 s.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import tempfile
import time
import warnings

import numpy as np

from oncotrial.domain.stats import estimate_cox, estimate_km, logrank_test

GOALS = {"km": 0.2, "logrank": 0.3, "cox": 0.5}
LANDMARKS = (180.0, 365.0, 730.0)


def simulate_trial(n: int, rng: np.random.Generator, continuous: bool = False):
    """Two arms 1:1, a standard-normal covariate, exponential event times (median about a year
    in the control arm, HR 0.75 for the experimental arm, HR 1.2 per covariate unit), uniform
    accrual censoring over 3 years plus 10%/year dropout; times in whole days (so ties occur),
    or left continuous (no ties) with ``continuous``."""
    arm = rng.integers(0, 2, n)
    covariate = rng.standard_normal(n)
    rate = np.log(2) / 365.0 * np.exp(np.log(0.75) * arm + np.log(1.2) * covariate)
    event_time = rng.exponential(1.0 / rate)
    censor_time = np.minimum(rng.uniform(0, 3 * 365.0, n), rng.exponential(365.0 / 0.1, n))
    time_days = np.minimum(event_time, censor_time)
    if not continuous:
        time_days = np.ceil(time_days)
    event = (event_time <= censor_time).astype(np.int64)
    return time_days, event, arm, covariate


def best_of(func, repeat: int):
    """(best CPU seconds, best wall seconds, value).  Goals and ratios use wall time (BLAS threads
    make CPU time exceed it); CPU time is printed beside ours because other processes on a shared
    machine inflate wall time."""
    cpu, wall, value = float("inf"), float("inf"), None
    for _ in range(repeat):
        start_cpu, start_wall = time.process_time(), time.perf_counter()
        value = func()
        cpu = min(cpu, time.process_time() - start_cpu)
        wall = min(wall, time.perf_counter() - start_wall)
    return cpu, wall, value


def ours(data, repeat):
    t, e, arm, x = data
    out = {}
    out["km"] = best_of(lambda: estimate_km(t, e).curves[0].survival_at(LANDMARKS), repeat)
    out["logrank"] = best_of(lambda: logrank_test(t, e, arm).statistic, repeat)
    out["cox"] = best_of(lambda: estimate_cox(t, e, arm, {"x": x}).coef, repeat)
    cpu, wall, landmarks = out["km"]
    out["km"] = (cpu, wall, np.array([s.estimate for s in landmarks]))
    return out


def lifelines_times(data, repeat, with_cox):
    import pandas as pd
    from lifelines import CoxPHFitter, KaplanMeierFitter
    from lifelines.statistics import logrank_test as ll_logrank

    t, e, arm, x = data
    out = {}

    def km():
        fit = KaplanMeierFitter().fit(t, e)
        return fit.survival_function_at_times(LANDMARKS).to_numpy()

    out["km"] = best_of(km, repeat)
    a = arm == 1
    out["logrank"] = best_of(lambda: ll_logrank(t[~a], t[a], e[~a], e[a]).test_statistic, repeat)
    if with_cox:
        frame = pd.DataFrame({"time": t, "event": e, "arm": arm, "x": x})
        out["cox"] = best_of(lambda: CoxPHFitter().fit(frame, "time", "event")
                             .params_[["arm", "x"]].to_numpy(), 1)
    return out


def statsmodels_times(data, repeat, with_cox):
    from statsmodels.duration.hazard_regression import PHReg
    from statsmodels.duration.survfunc import SurvfuncRight, survdiff

    t, e, arm, x = data
    out = {}

    def km():
        fit = SurvfuncRight(t, e)
        idx = np.searchsorted(fit.surv_times, LANDMARKS, side="right") - 1
        return fit.surv_prob[idx]

    out["km"] = best_of(km, repeat)
    out["logrank"] = best_of(lambda: survdiff(t, e, arm)[0], repeat)
    if with_cox:
        exog = np.column_stack([arm, x]).astype(float)
        out["cox"] = best_of(lambda: PHReg(t, exog, e, ties="efron").fit().params, 1)
    return out


R_SCRIPT = """
suppressMessages(library(survival))
d <- read.csv("{path}")
tm <- function(expr) {{ t0 <- proc.time()[["elapsed"]]; v <- expr;
                       c(proc.time()[["elapsed"]] - t0, v) }}
km <- tm({{ f <- survfit(Surv(time, event) ~ 1, data = d);
           summary(f, times = c({landmarks}), extend = TRUE)$surv }})
lr <- tm(survdiff(Surv(time, event) ~ arm, data = d)$chisq)
cx <- tm(coef(coxph(Surv(time, event) ~ arm + x, data = d)))
cat(km, "\\n", lr, "\\n", cx, "\\n")
"""


def r_times(data):
    """R survival timings through Rscript, or None when R or survival is not installed."""
    rscript = shutil.which("Rscript")
    if rscript is None:
        return None
    t, e, arm, x = data
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "d.csv")
        np.savetxt(path, np.column_stack([t, e, arm, x]), delimiter=",",
                   header="time,event,arm,x", comments="", fmt=["%g", "%d", "%d", "%.17g"])
        script = R_SCRIPT.format(path=path, landmarks=", ".join(f"{v:g}" for v in LANDMARKS))
        run = subprocess.run([rscript, "-e", script], capture_output=True, text=True, check=False)
    if run.returncode != 0:
        return None
    rows = [np.array(line.split(), dtype=float) for line in run.stdout.strip().splitlines()]
    return {"km": (rows[0][0], rows[0][0], rows[0][1:]),
            "logrank": (rows[1][0], rows[1][0], rows[1][1]),
            "cox": (rows[2][0], rows[2][0], rows[2][1:])}


def agree(a, b, rtol) -> str:
    return "agree" if np.allclose(np.asarray(a, float), np.asarray(b, float), rtol=rtol,
                                  atol=1e-10) else "DIFFER"


def report(n, mine, peers):
    tolerance = {"km": 1e-10, "logrank": 1e-8, "cox": 1e-5}
    for task in ("km", "logrank", "cox"):
        cpu, seconds, value = mine[task]
        goal = "" if n < 1_000_000 else (" goal met" if seconds <= GOALS[task] else
                                          f" goal {GOALS[task]} s MISSED")
        line = [f"n={n:>9,} {task:7s} ours {seconds:7.3f} s ({cpu:6.3f} cpu){goal}"]
        for name, result in peers.items():
            if result is None or task not in result:
                line.append(f"{name} skipped")
                continue
            _, peer_seconds, peer_value = result[task]
            line.append(f"{name} {peer_seconds:7.3f} s x{peer_seconds / seconds:6.1f} "
                        f"{agree(value, peer_value, tolerance[task])}")
        print(" | ".join(line), flush=True)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000, 1_000_000])
    parser.add_argument("--repeat", type=int, default=3, help="best of this many runs")
    parser.add_argument("--seed", type=int, default=20240601)
    parser.add_argument("--full-peers", action="store_true",
                        help="time lifelines/statsmodels Cox at n >= 1e6 too (about 1 and 6 min)")
    parser.add_argument("--skip-peers", action="store_true")
    parser.add_argument("--continuous", action="store_true", help="untied times (no rounding)")
    args = parser.parse_args(argv)
    warnings.simplefilter("ignore")
    rng = np.random.default_rng(args.seed)
    for n in args.sizes:
        data = simulate_trial(n, rng, args.continuous)
        mine = ours(data, args.repeat)
        peers = {}
        if not args.skip_peers:
            with_cox = args.full_peers or n < 1_000_000
            peer_repeat = args.repeat if n <= 100_000 else 1
            peers["lifelines"] = lifelines_times(data, peer_repeat, with_cox)
            peers["statsmodels"] = statsmodels_times(data, peer_repeat, with_cox)
            peers["R"] = r_times(data)
        report(n, mine, peers)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
