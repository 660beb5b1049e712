"""``oncotrial randomization simulate PROTOCOL``: how balanced a protocol's allocation keeps the arms.

Simulates many trials of ``--subjects`` allocations with the protocol's randomization (or another
``--method``) and prints the distribution of the final imbalance overall, per site, per factor and per
level, and in the worst stratum, with a progress bar on standard error.
"""

from __future__ import annotations

import json
import time
from dataclasses import replace

import numpy as np

from oncotrial.commands.protocols import read_protocol
from oncotrial.domain.conduct.balance import BalanceSimulation, simulate_randomization
from oncotrial.errors import InvalidInput

METHODS = ("simple", "permuted_blocks", "minimization")


def register(subparsers) -> None:
    parser = subparsers.add_parser("randomization", help="simulate the balance a randomization gives")
    verbs = parser.add_subparsers(dest="randomization_command", metavar="VERB", required=True)
    simulate = verbs.add_parser("simulate", help="distribution of arm imbalance over many simulated trials",
                                description="Simulate RUNS trials of SUBJECTS allocations; sites and "
                                "factor levels are drawn uniformly for each subject.")
    simulate.add_argument("protocol", metavar="PROTOCOL", help="built-in protocol id or a protocol YAML file")
    simulate.add_argument("--subjects", type=int, default=80, help="subjects per trial (default 80)")
    simulate.add_argument("--runs", type=int, default=10000, help="simulated trials (default 10000)")
    simulate.add_argument("--seed", type=int, default=20240101, help="seed of the random generator")
    simulate.add_argument("--method", choices=METHODS, help="override the protocol's method")
    simulate.add_argument("--sites", type=int, metavar="N",
                          help="simulate N sites instead of the protocol's (to see per-site balance)")
    simulate.add_argument("--json", action="store_true", help="print the result as JSON")
    simulate.set_defaults(func=simulate_command)


def simulate_command(args) -> int:
    protocol = read_protocol(args.protocol)
    spec = protocol.randomization
    if args.method:
        spec = replace(spec, method=args.method)
    if spec.method not in METHODS:
        raise InvalidInput(f"protocol {protocol.id} is not randomized (method '{spec.method}')",
                           field="randomization.method",
                           hint=f"pass --method {'|'.join(METHODS)} with a protocol that has a ratio")
    if len(spec.ratio) < 2:
        raise InvalidInput(f"protocol {protocol.id} has no randomization ratio", field="randomization.ratio",
                           hint="a protocol needs at least two arms in randomization.ratio")
    for name, value in (("--subjects", args.subjects), ("--runs", args.runs), ("--sites", args.sites)):
        if value is not None and value < 1:
            raise InvalidInput(f"{name} must be a whole number >= 1, not {value}", field=name)
    sites = tuple(f"site-{i + 1}" for i in range(args.sites)) if args.sites else tuple(s.id for s in protocol.sites)
    started = time.perf_counter()
    result = _run_with_progress(spec, sites, args)
    seconds = time.perf_counter() - started
    if args.json:
        print(json.dumps({**result.to_dict(), "protocol": protocol.id, "seed": args.seed,
                          "seconds": round(seconds, 3)}, indent=2))
        return 0
    print_simulation(result, protocol.id, args.seed, seconds)
    return 0


def _run_with_progress(spec, sites, args) -> BalanceSimulation:
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    columns = (TextColumn("simulating"), BarColumn(), MofNCompleteColumn(), TextColumn("trials"),
               TimeElapsedColumn())
    with Progress(*columns, console=Console(stderr=True), transient=True) as progress:
        task = progress.add_task("simulate", total=args.runs)
        return simulate_randomization(
            spec, sites, args.subjects, args.runs, np.random.default_rng(args.seed),
            progress=lambda done, total: progress.update(task, completed=done))


def print_simulation(result: BalanceSimulation, protocol_id: str, seed: int, seconds: float) -> None:
    from rich.console import Console
    from rich.table import Table

    console = Console()
    console.print(f"[bold]{protocol_id}[/bold]: {result.method.replace('_', ' ')}, {result.runs} trials of "
                  f"{result.subjects} subjects, seed {seed}, {seconds:.2f} s")
    console.print("mean subjects per arm: " + ", ".join(
        f"{arm} {n:.1f}" for arm, n in zip(result.arms, result.mean_arm_counts, strict=True)))
    table = Table(title="Imbalance at the end of the trial (range of n_arm / weight × smallest weight)",
                  title_justify="left")
    for column in ("group", "mean", "median", "95th pct", "max", "P(≥ 2)", "P(≥ 4)", "P(≥ 6)"):
        table.add_column(column, justify="left" if column == "group" else "right")
    for s in result.summaries:
        table.add_row(s.group, f"{s.mean:.2f}", f"{s.median:g}", f"{s.p95:g}", f"{s.maximum:g}",
                      *(f"{s.share_at_least(k):.3f}" for k in (2, 4, 6)))
    console.print(table)
    console.print("'factor X' and 'any site' / 'any stratum' are the worst level, site or stratum in each trial.")
