"""``oncotrial design simon|single|survival|sequential`` and ``oncotrial simulate PROTOCOL``.

Design verbs print a table (rich) or ``--json``; ``simulate`` takes its defaults from the protocol's
design section and imaging schedule, shows a progress bar on standard error and prints the
operating characteristics.
"""

from __future__ import annotations

import json
import math
import time
from contextlib import ExitStack

import numpy as np

from oncotrial.domain.design.from_protocol import derive_simulation_trial
from oncotrial.domain.design.models import AnalysisRule, PiecewiseExponential, ScanSchedule
from oncotrial.domain.design.sequential import DESIGN_KINDS, compute_group_sequential_design
from oncotrial.domain.design.sequential_simulation import plan_group_sequential_trials
from oncotrial.domain.design.simon import compute_simon_designs, compute_single_stage_design
from oncotrial.domain.design.simulation import TwoArmTrial, plan_two_arm_trials, run_plan
from oncotrial.domain.design.single_arm import compute_one_sample_logrank_design, plan_single_arm_trials
from oncotrial.domain.design.survival import (
    SurvivalAssumptions,
    compute_survival_power,
    compute_survival_sample_size,
)
from oncotrial.errors import InvalidInput


def register(subparsers) -> None:
    design = subparsers.add_parser("design", help="sample sizes and boundaries for phase II trials")
    verbs = design.add_subparsers(dest="design_command", metavar="VERB", required=True)
    _register_simon(verbs)
    _register_single(verbs)
    _register_survival(verbs)
    _register_sequential(verbs)
    _register_simulate(subparsers)


def _rates(parser, alpha: float = 0.05) -> None:
    parser.add_argument("--p0", type=float, required=True, help="rate not worth pursuing (H0)")
    parser.add_argument("--p1", type=float, required=True, help="rate worth pursuing (H1)")
    parser.add_argument("--alpha", type=float, default=alpha, help=f"one-sided type I error ({alpha})")
    parser.add_argument("--power", type=float, default=0.8, help="power at p1 (0.8)")
    parser.add_argument("--json", action="store_true", help="print JSON instead of a table")


def _register_simon(verbs) -> None:
    p = verbs.add_parser("simon", help="Simon two-stage designs (optimal, minimax, admissible)",
                         description="Exact binomial search as clinfun::ph2simon: stop if <= r1 "
                         "responses of n1, promising if > r of n.")
    _rates(p)
    p.add_argument("--nmax", type=int, default=100, help="largest total sample size searched (100)")
    p.set_defaults(func=simon_command)


def _register_single(verbs) -> None:
    p = verbs.add_parser("single", help="single-arm landmark designs: exact binomial, one-sample log-rank",
                         description="Exact single-stage binomial design on the landmark status "
                         "(clinfun::ph2single) and, with --accrual/--followup, the one-sample "
                         "log-rank test against an exponential null.")
    _rates(p)
    p.add_argument("--landmark", type=float, default=12.0, help="landmark in months (12)")
    p.add_argument("--accrual", type=float, help="accrual time in months")
    p.add_argument("--followup", type=float, help="follow-up after the last entry, months")
    p.set_defaults(func=single_command)


def _survival_arguments(p, *, required: bool) -> None:
    p.add_argument("--hr", type=float, required=required, help="hazard ratio treated/control")
    p.add_argument("--median-control", type=float, help="control median in months")
    p.add_argument("--control-rate", type=float, help="control survival at --landmark instead")
    p.add_argument("--landmark", type=float, default=12.0, help="landmark for --control-rate (12)")
    p.add_argument("--accrual", type=float, help="accrual time in months")
    p.add_argument("--accrual-intensity", type=float, help="subjects per month (instead of --accrual)")
    p.add_argument("--followup", type=float, help="follow-up after the last entry, months")
    p.add_argument("--dropout", type=float, default=0.0, help="drop-out probability by --dropout-time")
    p.add_argument("--dropout-time", type=float, default=12.0, help="months (12)")
    p.add_argument("--allocation", type=float, default=1.0, help="treated per control subject (1)")
    p.add_argument("--method", choices=("Schoenfeld", "Freedman", "HsiehFreedman"),
                   default="Schoenfeld")
    p.add_argument("--power", type=float, default=0.8, help="power (0.8)")
    p.add_argument("--json", action="store_true", help="print JSON instead of a table")


def _register_survival(verbs) -> None:
    p = verbs.add_parser("survival", help="two-arm log-rank events, subjects and power (rpact)",
                         description="Events (Schoenfeld/Freedman/HsiehFreedman) and subjects as "
                         "rpact::getSampleSizeSurvival; with --subjects the power instead.")
    _survival_arguments(p, required=True)
    p.add_argument("--alpha", type=float, default=0.025, help="alpha (0.025)")
    p.add_argument("--sides", type=int, choices=(1, 2), default=1)
    p.add_argument("--subjects", type=float, help="given subjects: report the power")
    p.add_argument("--events", type=float, help="with --subjects: analyse at this many events")
    p.set_defaults(func=survival_command)


def _register_sequential(verbs) -> None:
    p = verbs.add_parser("sequential", help="group-sequential boundaries (O'Brien-Fleming, Pocock)",
                         description="One-sided efficacy boundaries by recursive integration; with "
                         "--hr and survival assumptions also events, subjects and HR boundaries.")
    p.add_argument("--kind", choices=tuple(DESIGN_KINDS), default="asOF",
                   help="; ".join(f"{k}: {v}" for k, v in DESIGN_KINDS.items()))
    p.add_argument("--alpha", type=float, default=0.025, help="one-sided alpha (0.025)")
    p.add_argument("--looks", default="0.5,1", help="information rates, comma-separated (0.5,1)")
    _survival_arguments(p, required=False)
    p.set_defaults(func=sequential_command)


def _register_simulate(subparsers) -> None:
    p = subparsers.add_parser("simulate", help="simulate a protocol's trial many times",
                              description="Simulate RUNS trials with the protocol's design "
                              "assumptions (overridable) and report power / type I error, duration, "
                              "events, HR and median distributions.")
    p.add_argument("protocol", metavar="PROTOCOL", help="built-in protocol id or a protocol YAML file")
    p.add_argument("--runs", type=int, default=10_000, help="simulated trials (10000)")
    p.add_argument("--seed", type=int, default=20240601, help="seed of the random generator")
    p.add_argument("--hr", type=float, help="true hazard ratio (two-arm; single-arm: vs the p0 curve)")
    p.add_argument("--rate", type=float, help="single arm: true landmark PFS rate")
    p.add_argument("--subjects", type=int, help="subjects per trial")
    p.add_argument("--accrual", type=float, help="accrual months")
    p.add_argument("--events", type=int, help="analyse at this many events")
    p.add_argument("--analysis-month", type=float, help="analyse at this calendar month")
    p.add_argument("--alpha", type=float, help="one-sided alpha")
    p.add_argument("--dropout", type=float, help="drop-out probability per year")
    p.add_argument("--scan-interval", type=float, help="scan every N months (overrides the schedule)")
    p.add_argument("--scan-window", type=float, default=0.0, help="± window of --scan-interval")
    p.add_argument("--continuous", action="store_true", help="progression seen at once (no scans)")
    p.add_argument("--pfs-hazards", help="piecewise-exponential PFS hazards per month, comma-"
                   "separated (control arm; single arm: the true curve), e.g. 0.06,0.03")
    p.add_argument("--pfs-starts", help="month each --pfs-hazards piece starts, e.g. 0,12")
    p.add_argument("--os-median", type=float, help="two-arm: also simulate OS, control median months")
    p.add_argument("--os-hr", type=float, help="two-arm: OS hazard ratio (default: the PFS one)")
    p.add_argument("--looks", help="two-arm: group-sequential looks as information rates (0.5,1); "
                   "needs --events (events at the final look)")
    p.add_argument("--kind", choices=tuple(DESIGN_KINDS), default="asOF",
                   help="boundaries for --looks (asOF)")
    p.add_argument("--chunk-size", type=int, default=20_000, help="trials per chunk (memory bound)")
    p.add_argument("--workers", type=int, help="N >= 2: a local dask cluster of N worker processes "
                   "(same result as 1, this process)")
    p.add_argument("--cluster", metavar="ADDRESS", help="dask scheduler to run the chunks on, e.g. "
                   "tcp://10.0.0.5:8786 (same result as one process)")
    p.add_argument("--connect-timeout", type=float, default=10.0,
                   help="seconds to wait for the --cluster scheduler (10)")
    p.add_argument("--gpu", action="store_true", help="run the array program on a GPU with CuPy")
    p.add_argument("--json", action="store_true", help="print JSON instead of a table")
    p.set_defaults(func=simulate_command)


def _emit(args, payload: dict, render) -> int:
    if args.json:
        print(json.dumps(payload, indent=2, default=_jsonable))
    else:
        render()
    return 0


def _jsonable(value):
    if isinstance(value, np.generic):
        return value.item()
    raise TypeError(f"not JSON serialisable: {type(value).__name__}")


def _table(title: str, columns, rows) -> None:
    from rich.console import Console
    from rich.table import Table

    table = Table(title=title, title_justify="left")
    for i, column in enumerate(columns):
        table.add_column(column, justify="left" if i == 0 else "right")
    for row in rows:
        table.add_row(*(_fmt(v) for v in row))
    Console().print(table)


def _fmt(value) -> str:
    if isinstance(value, float):
        return f"{value:.4f}" if abs(value) < 1000 else f"{value:.1f}"
    return str(value)


def simon_command(args) -> int:
    designs = compute_simon_designs(args.p0, args.p1, args.alpha, 1.0 - args.power, args.nmax)
    single = compute_single_stage_design(args.p0, args.p1, args.alpha, 1.0 - args.power)
    rows = [designs.minimax, *designs.admissible[1:-1], designs.optimal]
    payload = designs.to_dict() | {"single_stage": single.to_dict()}

    def render() -> None:
        _table(f"Simon two-stage designs, p0 {args.p0} -> p1 {args.p1}, alpha {args.alpha}, "
               f"power {args.power} (stop if <= r1 of n1; promising if > r of n)",
               ("design", "r1/n1", "r/n", "EN0", "PET0", "alpha", "power"),
               [(d.kind, f"{d.r1}/{d.n1}", f"{d.r}/{d.n}", d.en0, d.pet0, d.alpha, d.power)
                for d in rows])
        print(f"single stage: promising if > {single.r} of {single.n} "
              f"(alpha {single.alpha:.4f}, power {single.power:.4f})")

    return _emit(args, payload, render)


def single_command(args) -> int:
    single = compute_single_stage_design(args.p0, args.p1, args.alpha, 1.0 - args.power)
    payload = {"exact_binomial": single.to_dict()}
    logrank = None
    if args.accrual is not None or args.followup is not None:
        if args.accrual is None or args.followup is None:
            raise InvalidInput("the one-sample log-rank design needs both --accrual and --followup",
                               field="--followup", hint="e.g. --accrual 24 --followup 12")
        logrank = compute_one_sample_logrank_design(
            args.p0, args.p1, landmark_months=args.landmark, accrual_months=args.accrual,
            followup_months=args.followup, alpha=args.alpha, beta=1.0 - args.power)
        payload["one_sample_logrank"] = logrank.to_dict()

    def render() -> None:
        rows = [("exact binomial on landmark status", single.n, f"> {single.r} progression-free",
                 single.alpha, single.power)]
        if logrank:
            rows.append(("one-sample log-rank (exponential null)", logrank.subjects_rounded,
                         f"{logrank.expected_events:.1f} events expected", args.alpha, args.power))
        _table(f"Single-arm designs for {args.landmark:g}-month PFS {args.p0} -> {args.p1}",
               ("design", "n", "rule", "alpha", "power"), rows)

    return _emit(args, payload, render)


def _assumptions(args) -> SurvivalAssumptions:
    if (args.median_control is None) == (args.control_rate is None):
        raise InvalidInput("give exactly one of --median-control and --control-rate",
                           field="--median-control", hint="e.g. --median-control 12")
    median = args.median_control
    if median is None:
        if not 0 < args.control_rate < 1:
            raise InvalidInput(f"--control-rate is {args.control_rate}; it must lie in (0, 1)",
                               field="--control-rate", hint="e.g. 0.6")
        median = args.landmark * math.log(2) / -math.log(args.control_rate)
    return SurvivalAssumptions(args.hr, median, accrual_months=args.accrual,
                               followup_months=args.followup, accrual_per_month=args.accrual_intensity,
                               dropout_rate=args.dropout, dropout_months=args.dropout_time,
                               allocation_ratio=args.allocation)


def survival_command(args) -> int:
    assumptions = _assumptions(args)
    if args.subjects is not None:
        power = compute_survival_power(assumptions, args.subjects, args.alpha, sides=args.sides,
                                       events=args.events, method=args.method)
        return _emit(args, power.to_dict(), lambda: _table(
            f"Power of the log-rank test, HR {args.hr}", ("subjects", "events", "analysis month",
                                                          "power"),
            [(power.subjects, power.events, power.analysis_months, power.power)]))
    size = compute_survival_sample_size(assumptions, args.alpha, 1.0 - args.power, sides=args.sides,
                                        method=args.method)
    return _emit(args, size.to_dict(), lambda: _print_sample_size(size, args))


def _print_sample_size(size, args) -> None:
    _table(f"Two-arm log-rank design ({size.method}), HR {size.hazard_ratio}, alpha {size.alpha} "
           f"{size.sides}-sided, power {1 - size.beta:g}",
           ("events", "subjects", "accrual months", "subjects/month", "analysis month",
            "critical HR"),
           [(size.events, size.subjects, size.accrual_months, size.accrual_per_month,
             size.analysis_months[-1], size.critical_hazard_ratios[-1])])
    for warning in size.warnings:
        print(f"warning: {warning}")


def sequential_command(args) -> int:
    design = compute_group_sequential_design(args.kind, args.alpha, _parse_looks(args.looks))
    payload = {"design": design.to_dict()}
    size = None
    if args.hr is not None:
        size = compute_survival_sample_size(_assumptions(args), args.alpha, 1.0 - args.power,
                                            method=args.method, design=design)
        payload["sample_size"] = size.to_dict()

    def render() -> None:
        columns = ["look", "information", "z boundary", "alpha spent", "cumulative alpha"]
        rows = [[k + 1, t, c, a, s] for k, (t, c, a, s) in enumerate(zip(
            design.information_rates, design.critical_values, design.stage_alpha,
            design.cumulative_alpha, strict=True))]
        if size is not None:
            columns += ["events", "analysis month", "HR boundary"]
            for row, e, t, h in zip(rows, size.events_per_stage, size.analysis_months,
                                    size.critical_hazard_ratios, strict=True):
                row += [e, t, h]
        _table(f"{design.description}, one-sided alpha {design.alpha}", columns, rows)
        if size is not None:
            print(f"subjects {size.subjects:.2f}; expected events under H0 "
                  f"{size.expected_events_h0:.2f}, under H1 {size.expected_events_h1:.2f}")

    return _emit(args, payload, render)


def _simulation_overrides(args, trial) -> dict:
    overrides = {}
    for name, key in (("subjects", "subjects"), ("accrual", "accrual_months"),
                      ("alpha", "alpha"), ("dropout", "dropout_per_year")):
        if getattr(args, name) is not None:
            overrides[key] = getattr(args, name)
    if args.events is not None and args.analysis_month is not None:
        raise InvalidInput("give --events or --analysis-month, not both", field="--events")
    if args.events is not None:
        overrides["analysis"] = AnalysisRule(events=args.events)
    elif args.analysis_month is not None:
        overrides["analysis"] = AnalysisRule(calendar_months=args.analysis_month)
    if args.continuous:
        overrides["scans"] = ScanSchedule(continuous=True)
    elif args.scan_interval is not None:
        overrides["scans"] = ScanSchedule.every(args.scan_interval, args.scan_window)
    if args.pfs_hazards is not None:
        curve = PiecewiseExponential(_parse_numbers(args.pfs_hazards, "--pfs-hazards"),
                                     _parse_numbers(args.pfs_starts or "0", "--pfs-starts"))
        overrides["control_pfs" if isinstance(trial, TwoArmTrial) else "pfs"] = curve
    if args.os_median is not None or args.os_hr is not None:
        if not isinstance(trial, TwoArmTrial) or args.os_median is None:
            raise InvalidInput("--os-median (with optional --os-hr) applies to two-arm trials",
                               field="--os-median", hint="e.g. --os-median 30 --os-hr 0.7")
        overrides["control_os"] = PiecewiseExponential.from_median(args.os_median)
        overrides["os_hazard_ratio"] = args.os_hr
    return overrides


def simulate_command(args) -> int:
    from oncotrial.commands.protocols import read_protocol

    protocol = read_protocol(args.protocol)
    trial = derive_simulation_trial(protocol, hazard_ratio=args.hr, rate=args.rate)
    trial = derive_simulation_trial(protocol, hazard_ratio=args.hr, rate=args.rate,
                                    **_simulation_overrides(args, trial))
    started = time.perf_counter()
    result = _simulate_with_progress(trial, args)
    seconds = time.perf_counter() - started
    payload = result.to_dict() | {"protocol": protocol.id, "seed": args.seed,
                                  "seconds": round(seconds, 3)}
    return _emit(args, payload, lambda: _print_simulation(result, protocol.id, args, seconds))


def _plan(trial, args, xp):
    """The simulation plan for the trial: single arm, two arm, or group-sequential looks."""
    if not isinstance(trial, TwoArmTrial):
        if args.looks:
            raise InvalidInput("--looks applies to two-arm trials", field="--looks")
        return plan_single_arm_trials(trial, args.runs, chunk_size=args.chunk_size, xp=xp)
    if not args.looks:
        return plan_two_arm_trials(trial, args.runs, chunk_size=args.chunk_size, xp=xp)
    if trial.analysis.events is None:
        raise InvalidInput("--looks needs --events (the events at the final look)", field="--events",
                           hint="e.g. --looks 0.5,1 --events 60")
    design = compute_group_sequential_design(args.kind, trial.alpha, _parse_looks(args.looks))
    return plan_group_sequential_trials(trial, design, trial.analysis.events, args.runs,
                                        chunk_size=args.chunk_size, xp=xp)


def _parse_looks(text: str) -> tuple[float, ...]:
    return _parse_numbers(text, "--looks")


def _parse_numbers(text: str, option: str) -> tuple[float, ...]:
    try:
        return tuple(float(x) for x in text.split(","))
    except ValueError as error:
        raise InvalidInput(f"{option} {text!r} is not a comma-separated list of numbers",
                           field=option, hint=f"e.g. {option} 0.5,1") from error


def _simulate_with_progress(trial, args):
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    from oncotrial.commands import cluster

    cluster.check_scale(args.runs, args.chunk_size, args.workers)
    distributed = _distributed(args)
    xp = _array_module(args.gpu)
    plan = _plan(trial, args, xp)
    rng = np.random.default_rng(args.seed)
    columns = (TextColumn("simulating"), BarColumn(), MofNCompleteColumn(), TextColumn("trials"),
               TimeElapsedColumn())
    with ExitStack() as stack:
        # Connect before the bar starts, so an unreachable scheduler is one clean line.
        client = stack.enter_context(cluster.connect(args.cluster, args.workers, args.connect_timeout)
                                     ) if distributed else None
        progress = stack.enter_context(Progress(*columns, console=Console(stderr=True), transient=True))
        task = progress.add_task("simulate", total=args.runs)
        report = lambda done, total: progress.update(task, completed=done)  # noqa: E731
        if client is None:
            return run_plan(plan, rng, report, xp=xp)
        return cluster.run_plan_on_cluster(plan, rng, client, report)


def _distributed(args) -> bool:
    """Whether the chunks go to dask: --cluster ADDRESS, or --workers N >= 2 (a local cluster)."""
    if args.cluster is not None and args.workers is not None:
        raise InvalidInput("give --cluster ADDRESS or --workers N, not both", field="--workers",
                           hint="the cluster's own workers run the chunks")
    distributed = args.cluster is not None or (args.workers or 1) > 1
    if distributed and args.gpu:
        raise InvalidInput("--gpu runs in this process; it cannot go with --cluster or --workers",
                           field="--gpu", hint="leave out --gpu, or --cluster/--workers")
    return distributed


def _array_module(gpu: bool):
    if not gpu:
        return np
    try:
        import cupy
    except ImportError as error:
        raise InvalidInput("--gpu needs CuPy, which is not installed", field="--gpu",
                           hint="install the CuPy wheel for your CUDA (e.g. cupy-cuda12x), "
                           "or leave out --gpu") from error
    return cupy


def _print_simulation(result, protocol_id: str, args, seconds: float) -> None:
    label = "probability of success" if "landmark_rate" in result.summaries else "power (rejection rate)"
    print(f"{protocol_id}: {result.description}")
    print(f"{result.runs} trials, seed {args.seed}, {seconds:.2f} s")
    rows = [(label, result.rejection_rate, f"± {result.mc_se:.4f} (MC SE)"),
            ("mean analysis month", result.mean_analysis_months, ""),
            ("mean events", result.mean_events, ""),
            ("mean subjects analysed", result.mean_subjects, "")]
    for name, value in result.summaries.items():
        if isinstance(value, dict) and "quantiles" in value:
            q = value["quantiles"]
            spread = f"median {q.get('0.5', float('nan')):.3f} [{q.get('0.025', float('nan')):.3f}, " \
                     f"{q.get('0.975', float('nan')):.3f}]" if q else "never reached"
            rows.append((name.replace("_", " "), value["mean"] if value["mean"] is not None else "-",
                         spread))
        elif isinstance(value, float):
            rows.append((name.replace("_", " "), value, ""))
        elif isinstance(value, list) and value:
            rows.append((name.replace("_", " "), "", ", ".join(_fmt(v) for v in value)))
    _table("Operating characteristics (mean; median [2.5%, 97.5%] over trials)",
           ("quantity", "value", "distribution"), rows)
    for warning in result.warnings:
        print(f"warning: {warning}")
