"""Whole-trial simulation, vectorised over trials: operating characteristics of a design.

Each chunk of trials is a ``(trials, subjects)`` array program: staggered entry, piecewise-
exponential PFS (and optionally OS) per arm, exponential drop-out, progression seen only at
scheduled scans (or at once), an analysis at the k-th observed event or at a calendar time, then
one batched log-rank / Cox / Kaplan-Meier pass (:mod:`oncotrial.domain.stats.batched`). The same
seed and chunk size give the same numbers. ``xp`` switches the array module (``numpy``; ``cupy`` on a
GPU when installed).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from functools import partial

import numpy as np
from scipy.stats import norm

from oncotrial.domain.design.checks import check_alpha, check_positive
from oncotrial.domain.design.models import AnalysisRule, PiecewiseExponential, ScanSchedule
from oncotrial.domain.design.sampling import (
    arm_event_times,
    dropout_times,
    entry_times,
    observe,
    unit_exponentials,
)
from oncotrial.domain.stats.batched import (
    estimate_km_batched,
    logrank_test_batched,
    sort_survival_rows,
)
from oncotrial.errors import InvalidInput

Progress = Callable[[int, int], None]
QUANTILES = (0.025, 0.25, 0.5, 0.75, 0.975)


@dataclass(frozen=True)
class TwoArmTrial:
    """A randomized two-arm trial to simulate (months throughout).

    ``hazard_ratio`` scales the control PFS hazards for the treated arm; ``allocation`` is
    ``"fixed"`` (exactly ``subjects * r / (1 + r)`` treated, as permuted blocks give) or
    ``"random"`` (each subject independently). ``accrual`` is ``"uniform"`` (entry times uniform
    over the accrual period) or ``"even"`` (evenly spaced, as rpact's simulation does).
    ``dropout_per_year`` is the probability of dropping out within 12 months.
    """

    subjects: int
    accrual_months: float
    control_pfs: PiecewiseExponential
    hazard_ratio: float
    analysis: AnalysisRule
    alpha: float = 0.025
    sides: int = 1
    allocation_ratio: float = 1.0
    allocation: str = "fixed"
    accrual: str = "uniform"
    dropout_per_year: float = 0.0
    scans: ScanSchedule = field(default_factory=lambda: ScanSchedule(continuous=True))
    control_os: PiecewiseExponential | None = None
    os_hazard_ratio: float | None = None

    @property
    def treated_subjects(self) -> int:
        return round(self.subjects * self.allocation_ratio / (1.0 + self.allocation_ratio))


@dataclass(frozen=True)
class SingleArmTrial:
    """A single-arm trial judged on the Kaplan-Meier PFS rate at ``landmark_months``.

    Success: the one-sided level-``alpha`` test of ``S(landmark) <= p0`` rejects, i.e. the lower
    limit of the two-sided ``1 - 2 alpha`` log-log confidence interval exceeds ``p0``. The
    analysis defaults to the calendar time when the last subject reaches the landmark. With
    ``simon = (r1, n1, r, n)`` the binary landmark status (progression-free at the landmark; a
    subject lost before it counts as a failure) is also judged by that Simon design.
    """

    subjects: int
    accrual_months: float
    pfs: PiecewiseExponential
    p0: float
    landmark_months: float = 12.0
    alpha: float = 0.05
    accrual: str = "uniform"
    dropout_per_year: float = 0.0
    scans: ScanSchedule = field(default_factory=lambda: ScanSchedule(continuous=True))
    analysis: AnalysisRule | None = None
    simon: tuple[int, int, int, int] | None = None


@dataclass(frozen=True)
class SimulationResult:
    """Operating characteristics estimated from ``runs`` simulated trials."""

    runs: int
    rejection_rate: float
    mc_se: float
    mean_analysis_months: float
    mean_events: float
    mean_subjects: float
    events_not_reached: float
    summaries: dict
    description: str
    warnings: tuple[str, ...] = ()

    def to_dict(self) -> dict:
        return dict(self.__dict__, warnings=list(self.warnings))


@dataclass(frozen=True)
class SimulationPlan:
    """A simulation split into independent chunks, so that any executor can run them.

    ``chunk(size, generator)`` draws and analyses ``size`` trials and returns per-trial arrays; it
    is pure (its output depends on its arguments only) and cloudpickle ships it to a dask worker.
    ``finish(parts)`` turns the chunks' arrays, concatenated in chunk order, into the result. Chunk
    ``i`` has ``chunk_sizes()[i]`` trials and draws from the ``i``-th generator ``rng.spawn`` gives
    (:func:`chunk_generators`), so a seed and a chunk size fix the result whoever runs the chunks.
    """

    runs: int
    chunk_size: int
    chunk: Callable
    finish: Callable

    def chunk_sizes(self) -> list[int]:
        """Trials per chunk: ``chunk_size`` each, the remainder in the last."""
        return [min(self.chunk_size, self.runs - start) for start in range(0, self.runs, self.chunk_size)]


def chunk_generators(rng: np.random.Generator, count: int) -> list[np.random.Generator]:
    """Independent child generators, one per chunk (``SeedSequence.spawn`` under ``rng``).

    Spawning advances ``rng``'s spawn counter, so pass a fresh ``default_rng(seed)`` for a
    reproducible run.
    """
    return rng.spawn(count)


def run_chunk(chunk: Callable, size: int, generator, xp=np) -> dict[str, np.ndarray]:
    """One chunk's per-trial arrays on the host (a device generator is seeded from ``generator``)."""
    source = generator if xp is np else _device_generator(generator, xp)
    return {name: _to_numpy(values, xp) for name, values in chunk(size, source).items()}


def combine_chunks(parts: Iterable[dict]) -> dict[str, np.ndarray]:
    """Per-trial arrays of all chunks, concatenated in the order given (chunk order)."""
    collected: dict[str, list] = {}
    for part in parts:
        for name, values in part.items():
            collected.setdefault(name, []).append(values)
    return {name: np.concatenate(values) for name, values in collected.items()}


def run_plan(plan: SimulationPlan, rng: np.random.Generator, progress: Progress | None = None,
             workers: int = 1, xp=np) -> SimulationResult:
    """Run a plan in this process (``workers`` threads) and finish it."""
    return plan.finish(run_chunks(plan.chunk, plan.runs, plan.chunk_size, progress, rng, workers, xp))


def check_trial_basics(subjects: int, accrual_months: float, dropout: float, accrual: str) -> None:
    """Subjects (>= 2), accrual time (> 0), annual drop-out in [0, 1) and the accrual pattern."""
    if not isinstance(subjects, int) or subjects < 2:
        raise InvalidInput(f"subjects is {subjects!r}; it must be a whole number >= 2",
                           field="subjects", hint="e.g. 80")
    check_positive(accrual_months, "accrual_months")
    if not 0.0 <= dropout < 1.0:
        raise InvalidInput(f"dropout_per_year is {dropout!r}; it must lie in [0, 1)",
                           field="dropout_per_year", hint="e.g. 0.05")
    if accrual not in ("uniform", "even"):
        raise InvalidInput(f"accrual is {accrual!r}; use 'uniform' or 'even'", field="accrual")


def check_runs(runs: int, chunk_size: int) -> None:
    """Number of simulated trials and the chunk size that bounds memory, both whole numbers >= 1."""
    if not isinstance(runs, int) or runs < 1:
        raise InvalidInput(f"runs is {runs!r}; it must be a whole number >= 1", field="runs",
                           hint="10,000 runs give a Monte Carlo SE of at most 0.005")
    if not isinstance(chunk_size, int) or chunk_size < 1:
        raise InvalidInput(f"chunk_size is {chunk_size!r}; it must be >= 1", field="chunk_size")


def draw_two_arm_subjects(trial: TwoArmTrial, trials: int, rng, xp):
    """Arm, entry, unit exponential draw, true PFS and drop-out time of every subject."""
    n = trial.subjects
    shape = (trials, n)
    if trial.allocation == "fixed":
        # Spread the treated columns evenly so that evenly spaced entry stays balanced over time.
        column = xp.arange(n)
        spread = ((column + 1) * trial.treated_subjects) // n - (column * trial.treated_subjects) // n
        treated = xp.broadcast_to(spread.astype(bool), shape)
    else:
        share = trial.allocation_ratio / (1.0 + trial.allocation_ratio)
        treated = xp.asarray(rng.random(shape, dtype=np.float32) < share)
    entry = entry_times(trials, n, trial.accrual_months, trial.accrual, rng, xp)
    unit = unit_exponentials(rng, shape)
    pfs = arm_event_times(unit, treated, trial.control_pfs, trial.hazard_ratio, xp)
    return treated, entry, unit, pfs, dropout_times(trial.dropout_per_year, shape, rng)


def _two_arm_chunk(trial: TwoArmTrial, trials: int, rng, xp, summaries: bool) -> dict:
    treated, entry, unit, pfs, dropout = draw_two_arm_subjects(trial, trials, rng, xp)
    seen = observe(entry, pfs, dropout, trial.scans, trial.analysis, rng, xp)
    data = sort_survival_rows(seen.time, seen.event, treated, xp=xp)
    test = logrank_test_batched(None, None, None, ties=not trial.scans.continuous,
                                newton_steps=3 if summaries else 1, xp=xp, sorted_data=data)
    out = {"z": test.z, "log_hr": test.log_hazard_ratio, "tau": seen.analysis,
           "events": test.events, "subjects": (seen.time >= 0).sum(axis=1)}
    if summaries:
        out["median_control"] = estimate_km_batched(data, group="control", xp=xp).median
        out["median_treated"] = estimate_km_batched(data, group="treated", xp=xp).median
        if trial.control_os is not None:
            out.update(_os_chunk(trial, unit, treated, pfs, entry, dropout, seen.analysis, xp))
    return out


def _os_chunk(trial: TwoArmTrial, unit, treated, pfs, entry, dropout, tau, xp) -> dict:
    """OS shares each subject's exponential draw with PFS (comonotone), then OS >= PFS."""
    hr = trial.os_hazard_ratio if trial.os_hazard_ratio is not None else trial.hazard_ratio
    os_time = xp.maximum(arm_event_times(unit, treated, trial.control_os, hr, xp), pfs)
    follow = tau[:, None] - entry
    limit = follow if dropout is None else xp.minimum(follow, dropout)
    event = os_time <= limit
    data = sort_survival_rows(xp.where(event, os_time, limit), event, treated, follow >= 0, xp=xp)
    test = logrank_test_batched(None, None, None, ties=False, newton_steps=3, xp=xp,
                                sorted_data=data)
    return {"os_z": test.z, "os_log_hr": test.log_hazard_ratio,
            "os_median_control": estimate_km_batched(data, group="control", xp=xp).median,
            "os_median_treated": estimate_km_batched(data, group="treated", xp=xp).median}


def simulate_two_arm_trials(
    trial: TwoArmTrial, runs: int, rng: np.random.Generator, *, chunk_size: int = 20_000,
    progress: Progress | None = None, summaries: bool = True, workers: int = 1, xp=np,
) -> SimulationResult:
    """Simulate ``runs`` two-arm trials; power (or type I error when HR = 1) of the log-rank test.

    Rejection: one-sided ``z <= -z_{1-alpha}`` (treated better) or two-sided
    ``|z| >= z_{1-alpha/2}``, as rpact ``getSimulationSurvival(directionUpper = FALSE)`` counts it.
    With ``summaries`` the HR estimates (Cox, three Newton steps, Breslow ties) and the KM
    medians per arm are summarised by quantiles. Memory is bounded by ``chunk_size`` trials at a
    time; ``progress(done, runs)`` is called after each chunk; ``workers`` threads run chunks in
    parallel with the same result.

    >>> t = TwoArmTrial(80, 24, PiecewiseExponential.from_median(12), 0.6, AnalysisRule(events=60))
    >>> r = simulate_two_arm_trials(t, 2000, np.random.default_rng(1))
    >>> 0.45 < r.rejection_rate < 0.56
    True
    """
    return run_plan(plan_two_arm_trials(trial, runs, chunk_size=chunk_size, summaries=summaries, xp=xp),
                    rng, progress, workers, xp)


def plan_two_arm_trials(trial: TwoArmTrial, runs: int, *, chunk_size: int = 20_000,
                        summaries: bool = True, xp=np) -> SimulationPlan:
    """The chunks and the finish of :func:`simulate_two_arm_trials` (checked before any drawing)."""
    _check_two_arm(trial)
    check_runs(runs, chunk_size)
    return SimulationPlan(runs, chunk_size, partial(_two_arm_chunk, trial, xp=xp, summaries=summaries),
                          partial(_finish_two_arm, trial, runs, summaries))


def _finish_two_arm(trial: TwoArmTrial, runs: int, summaries: bool, parts: dict) -> SimulationResult:
    reject = _rejects(parts["z"], trial)
    return _result(trial, runs, None, parts, reject, _two_arm_summaries(parts) if summaries else {})


def _rejects(z, trial: TwoArmTrial):
    if trial.sides == 1:
        return z <= -norm.isf(trial.alpha)
    return np.abs(z) >= norm.isf(trial.alpha / 2)


def _check_two_arm(trial: TwoArmTrial) -> None:
    check_trial_basics(trial.subjects, trial.accrual_months, trial.dropout_per_year, trial.accrual)
    check_positive(trial.hazard_ratio, "hazard_ratio")
    check_alpha(trial.alpha / trial.sides)
    if trial.allocation not in ("fixed", "random"):
        raise InvalidInput(f"allocation is {trial.allocation!r}; use 'fixed' or 'random'",
                           field="allocation")
    if not 0 < trial.treated_subjects < trial.subjects:
        raise InvalidInput("the allocation ratio leaves one arm empty", field="allocation_ratio",
                           hint="e.g. 1 for 1:1")


def run_chunks(chunk, runs: int, chunk_size: int, progress, rng, workers: int, xp
                ) -> dict[str, np.ndarray]:
    """Run ``chunk(size, generator)`` over chunks, each with its own spawned generator.

    Spawned child generators make the result depend only on the seed and the chunk size, not on
    the number of worker threads (numpy releases the GIL in its array loops, so two threads use
    two cores).
    """
    sizes = SimulationPlan(runs, chunk_size, chunk, None).chunk_sizes()
    children = chunk_generators(rng, len(sizes))

    def work(i: int) -> dict:
        return run_chunk(chunk, sizes[i], children[i], xp)

    with ThreadPoolExecutor(max_workers=max(1, workers)) as pool:
        parts = pool.map(work, range(len(sizes))) if workers > 1 else map(work, range(len(sizes)))
        return combine_chunks(_reporting(parts, sizes, progress, runs))


def _reporting(parts, sizes: list[int], progress: Progress | None, runs: int):
    """Pass the chunks through in order, calling ``progress(done, runs)`` after each."""
    done = 0
    for size, part in zip(sizes, parts, strict=True):
        done += size
        if progress is not None:
            progress(done, runs)
        yield part


def _device_generator(generator: np.random.Generator, xp):
    """A generator on the array module's device, seeded from the host generator."""
    return xp.random.default_rng(int(generator.integers(2**63 - 1)))


def _to_numpy(values, xp):
    return values.get() if hasattr(values, "get") and xp is not np else np.asarray(values)


def summarise_quantiles(values) -> dict:
    """Mean, count and the QUANTILES of the finite values (a trial without an estimate is left out)."""
    finite = values[np.isfinite(values)]
    if finite.size == 0:
        return {"mean": None, "quantiles": {}, "n": 0}
    return {"mean": float(finite.mean()), "n": int(finite.size),
            "quantiles": {f"{q:g}": float(v) for q, v in
                          zip(QUANTILES, np.quantile(finite, QUANTILES), strict=True)}}


def _two_arm_summaries(parts) -> dict:
    summaries = {"hazard_ratio": summarise_quantiles(np.exp(parts["log_hr"].astype(np.float64))),
                 "median_control": summarise_quantiles(parts["median_control"]),
                 "median_treated": summarise_quantiles(parts["median_treated"])}
    if "os_z" in parts:
        summaries["os_hazard_ratio"] = summarise_quantiles(np.exp(parts["os_log_hr"].astype(np.float64)))
        summaries["os_median_control"] = summarise_quantiles(parts["os_median_control"])
        summaries["os_median_treated"] = summarise_quantiles(parts["os_median_treated"])
    return summaries


def _result(trial, runs: int, rng, parts, reject, summaries: dict) -> SimulationResult:
    rate = float(np.mean(reject))
    tau = parts["tau"]
    not_reached = float(np.mean(~np.isfinite(tau)))
    warnings = []
    if not_reached > 0:
        warnings.append(f"{not_reached:.1%} of trials never reached the analysis events; they "
                        "were analysed when their last event occurred")
    if "os_z" in parts:
        summaries["os_rejection_rate"] = float(np.mean(_rejects(parts["os_z"], trial)))
    finite_tau = tau[np.isfinite(tau)]
    return SimulationResult(
        runs=runs, rejection_rate=rate, mc_se=float(np.sqrt(rate * (1 - rate) / runs)),
        mean_analysis_months=float(finite_tau.mean(dtype=np.float64)) if finite_tau.size
        else float("nan"),
        mean_events=float(parts["events"].mean(dtype=np.float64)),
        mean_subjects=float(parts["subjects"].mean(dtype=np.float64)),
        events_not_reached=not_reached, summaries=summaries, description=_describe(trial),
        warnings=tuple(warnings))


def _describe(trial) -> str:
    detection = ("progression seen at once" if trial.scans.continuous else
                 f"progression seen at scans every {trial.scans.interval_months:g} months "
                 f"(±{trial.scans.window_months:g})")
    if isinstance(trial, TwoArmTrial):
        return (f"{trial.subjects} subjects ({trial.treated_subjects} treated), accrual "
                f"{trial.accrual_months:g} months ({trial.accrual}), HR {trial.hazard_ratio:g}, "
                f"analysis {trial.analysis.description}, {detection}, drop-out "
                f"{trial.dropout_per_year:.0%}/year, one-sided alpha {trial.alpha / trial.sides:g}")
    return (f"single arm, {trial.subjects} subjects, accrual {trial.accrual_months:g} months, "
            f"true {trial.landmark_months:g}-month PFS {trial.pfs.survival(trial.landmark_months):.3f} "
            f"vs p0 {trial.p0:g}, {detection}, drop-out {trial.dropout_per_year:.0%}/year")
