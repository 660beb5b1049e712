"""Simulated group-sequential two-arm trials: looks at fixed event counts, efficacy stops.

Each trial is analysed at the ``round(t_k * max_events)``-th observed event for the design's
information rates ``t_k`` and stops at the first look whose log-rank z crosses the efficacy boundary
(one-sided, treated better: ``z <= -c_k``), as rpact ``getSimulationSurvival(design =
getDesignGroupSequential(...))`` does. Gives the overall and per-look rejection rates, the expected
events and the expected duration.
"""

from __future__ import annotations

import math
from functools import partial

import numpy as np

from oncotrial.domain.design.sampling import (
    detected_times,
    event_calendar,
    kth_event_times,
    observe_at,
)
from oncotrial.domain.design.sequential import GroupSequentialDesign
from oncotrial.domain.design.simulation import (
    SimulationPlan,
    SimulationResult,
    TwoArmTrial,
    check_runs,
    draw_two_arm_subjects,
    run_plan,
)
from oncotrial.domain.stats.batched import logrank_test_batched, sort_survival_rows
from oncotrial.errors import InvalidInput


def compute_look_events(design: GroupSequentialDesign, max_events: int) -> tuple[int, ...]:
    """Whole event counts at each look: ``round(t_k * max_events)``, strictly increasing."""
    looks = tuple(max(1, round(t * max_events)) for t in design.information_rates)
    if any(b <= a for a, b in zip(looks, looks[1:], strict=False)):
        raise InvalidInput(f"{max_events} events are too few for looks at {design.information_rates}",
                           field="max_events", hint="plan more events or fewer looks")
    return looks


def _sequential_chunk(trial: TwoArmTrial, looks, trials: int, rng, xp) -> dict:
    treated, entry, _, pfs, dropout = draw_two_arm_subjects(trial, trials, rng, xp)
    seen = detected_times(pfs, trial.scans, rng, xp)
    calendar = event_calendar(entry, seen, dropout, xp)
    columns = {"z": [], "tau": [], "events": []}
    for tau in kth_event_times(calendar, looks, xp):
        observed = observe_at(entry, seen, calendar, dropout, trial.scans, tau, xp)
        data = sort_survival_rows(observed.time, observed.event, treated, xp=xp)
        test = logrank_test_batched(None, None, None, ties=not trial.scans.continuous, xp=xp,
                                    sorted_data=data)
        columns["z"].append(test.z)
        columns["tau"].append(observed.analysis)
        columns["events"].append(test.events)
    return {name: xp.stack(values, axis=1) for name, values in columns.items()}


def simulate_group_sequential_trials(
    trial: TwoArmTrial, design: GroupSequentialDesign, max_events: int, runs: int,
    rng: np.random.Generator, *, chunk_size: int = 20_000, progress=None, workers: int = 1, xp=np,
) -> SimulationResult:
    """Simulate ``runs`` group-sequential trials with efficacy boundaries ``design``.

    ``trial.analysis`` is ignored: the looks are at the events of :func:`compute_look_events`.
    ``summaries`` holds the rejection rate and the stopping probability at each look.
    """
    plan = plan_group_sequential_trials(trial, design, max_events, runs, chunk_size=chunk_size, xp=xp)
    return run_plan(plan, rng, progress, workers, xp)


def plan_group_sequential_trials(trial: TwoArmTrial, design: GroupSequentialDesign, max_events: int,
                                 runs: int, *, chunk_size: int = 20_000, xp=np) -> SimulationPlan:
    """The chunks and the finish of :func:`simulate_group_sequential_trials` (checked first)."""
    if design.k_max < 1 or not isinstance(max_events, int) or max_events > trial.subjects:
        raise InvalidInput(f"max_events is {max_events!r}; it must be a whole number up to the "
                           f"{trial.subjects} subjects", field="max_events", hint="e.g. 60")
    check_runs(runs, chunk_size)
    looks = compute_look_events(design, max_events)
    return SimulationPlan(runs, chunk_size, partial(_sequential_chunk, trial, looks, xp=xp),
                          partial(_finish_sequential, trial, design, looks, runs))


def _finish_sequential(trial: TwoArmTrial, design: GroupSequentialDesign, looks, runs: int, parts: dict
                       ) -> SimulationResult:
    crossed = parts["z"] <= -np.asarray(design.critical_values)[None, :]
    rejected = crossed.any(axis=1)
    stop = np.where(rejected, np.argmax(crossed, axis=1), design.k_max - 1)
    pick = np.arange(runs)
    tau = parts["tau"][pick, stop].astype(np.float64)
    rate = float(rejected.mean())
    by_look = [float(np.mean(rejected & (stop == k))) for k in range(design.k_max)]
    summaries = {"looks_at_events": list(looks), "critical_values": list(design.critical_values),
                 "rejection_by_look": by_look,
                 "stop_by_look": [float(np.mean(stop == k)) for k in range(design.k_max)]}
    finite = tau[np.isfinite(tau)]
    return SimulationResult(
        runs=runs, rejection_rate=rate, mc_se=math.sqrt(rate * (1 - rate) / runs),
        mean_analysis_months=float(finite.mean()) if finite.size else float("nan"),
        mean_events=float(parts["events"][pick, stop].astype(np.float64).mean()),
        mean_subjects=float(trial.subjects), events_not_reached=float(np.mean(~np.isfinite(tau))),
        summaries=summaries,
        description=f"{design.description}, looks at events {looks}, HR {trial.hazard_ratio:g}, "
                    f"{trial.subjects} subjects")
