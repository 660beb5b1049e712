"""Simulation plans: pure chunks over spawned generators, combined in chunk order, equal whoever runs them.

The dask path (:mod:`oncotrial.commands.cluster`) is checked here on a small in-process LocalCluster
with two workers against the single-process result: the summaries must be equal exactly.
"""

from __future__ import annotations

import random

import numpy as np
import pytest

from oncotrial.domain.design.models import AnalysisRule, PiecewiseExponential, ScanSchedule
from oncotrial.domain.design.sequential import compute_group_sequential_design
from oncotrial.domain.design.sequential_simulation import (
    plan_group_sequential_trials,
    simulate_group_sequential_trials,
)
from oncotrial.domain.design.simulation import (
    SingleArmTrial,
    TwoArmTrial,
    chunk_generators,
    combine_chunks,
    plan_two_arm_trials,
    run_chunk,
    run_plan,
    simulate_two_arm_trials,
)
from oncotrial.domain.design.single_arm import plan_single_arm_trials, simulate_single_arm_trials


def two_arm() -> TwoArmTrial:
    return TwoArmTrial(80, 24, PiecewiseExponential.from_median(12), 0.6, AnalysisRule(events=60),
                       scans=ScanSchedule.every(2, 0.25), control_os=PiecewiseExponential.from_median(30))


def single_arm() -> SingleArmTrial:
    return SingleArmTrial(40, 12, PiecewiseExponential.from_landmark(0.6, 12), p0=0.4,
                          simon=(7, 16, 23, 40))


def sequential_plan(runs: int, chunk_size: int):
    design = compute_group_sequential_design("asOF", 0.025, (0.5, 1))
    return plan_group_sequential_trials(two_arm(), design, 60, runs, chunk_size=chunk_size)


PLANS = {
    "two_arm": lambda runs, size: plan_two_arm_trials(two_arm(), runs, chunk_size=size),
    "single_arm": lambda runs, size: plan_single_arm_trials(single_arm(), runs, chunk_size=size),
    "sequential": sequential_plan,
}


def shuffled_run(plan, seed: int, order_seed: int):
    """Chunks run one by one in a random order, as workers may finish them, then put in order."""
    sizes = plan.chunk_sizes()
    generators = chunk_generators(np.random.default_rng(seed), len(sizes))
    order = list(range(len(sizes)))
    random.Random(order_seed).shuffle(order)
    parts = dict((i, run_chunk(plan.chunk, sizes[i], generators[i])) for i in order)
    return plan.finish(combine_chunks(parts[i] for i in range(len(sizes))))


def test_the_simulate_functions_are_their_plans_run_in_process():
    rng = np.random.default_rng
    design = compute_group_sequential_design("asOF", 0.025, (0.5, 1))
    assert (simulate_two_arm_trials(two_arm(), 1_100, rng(3), chunk_size=400)
            == run_plan(PLANS["two_arm"](1_100, 400), rng(3)))
    assert (simulate_single_arm_trials(single_arm(), 1_100, rng(4), chunk_size=400)
            == run_plan(PLANS["single_arm"](1_100, 400), rng(4)))
    assert (simulate_group_sequential_trials(two_arm(), design, 60, 900, rng(5), chunk_size=400)
            == run_plan(sequential_plan(900, 400), rng(5)))


@pytest.mark.parametrize("kind", sorted(PLANS))
def test_a_seed_and_chunk_size_fix_the_result_whatever_order_the_chunks_run_in(kind):
    plan = PLANS[kind](1_000, 300)
    assert plan.chunk_sizes() == [300, 300, 300, 100]
    expected = run_plan(plan, np.random.default_rng(17)).to_dict()
    assert shuffled_run(plan, 17, order_seed=1).to_dict() == expected
    assert run_plan(plan, np.random.default_rng(17), workers=2).to_dict() == expected


def test_a_chunk_is_a_pure_function_of_its_generator_that_dask_can_ship():
    cloudpickle = pytest.importorskip("cloudpickle")  # dask's serialiser for functions
    plan = PLANS["two_arm"](500, 250)
    generator = chunk_generators(np.random.default_rng(2), 2)[1]
    shipped = cloudpickle.loads(cloudpickle.dumps((plan.chunk, generator)))
    first = run_chunk(plan.chunk, 250, generator)
    again = run_chunk(shipped[0], 250, shipped[1])
    assert first.keys() == again.keys()
    assert all(np.array_equal(first[k], again[k], equal_nan=True) for k in first)


def test_two_dask_workers_give_the_single_process_result_exactly():
    distributed = pytest.importorskip("distributed")
    from oncotrial.commands.cluster import run_plan_on_cluster

    plan = PLANS["two_arm"](2_000, 300)
    expected = run_plan(plan, np.random.default_rng(23)).to_dict()
    seen = []
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=False,
                                  dashboard_address=None) as cluster, distributed.Client(cluster) as client:
        result = run_plan_on_cluster(plan, np.random.default_rng(23), client,
                                     lambda done, total: seen.append((done, total)))
    assert result.to_dict() == expected
    assert seen[-1] == (2_000, 2_000) and len(seen) == 7
