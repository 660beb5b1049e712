"""Allocation: reproducibility, block integrity, stratified balance, minimization bounds, bad input."""

from __future__ import annotations

import json
from collections import Counter

import numpy as np
import pytest

from oncotrial.domain.conduct.balance import simulate_randomization
from oncotrial.domain.conduct.randomization import (
    RandomizationState,
    allocate,
    compute_imbalance,
    compute_minimization_scores,
)
from oncotrial.domain.protocol.model import ArmWeight, RandomizationSpec, StratificationFactor
from oncotrial.errors import InvalidInput

ONE_TO_ONE = (ArmWeight("chemo_sbrt_pd1", 1), ArmWeight("chemo", 1))
TWO_TO_ONE = (ArmWeight("A", 2), ArmWeight("B", 1))
TIMING = StratificationFactor("timing", "Synchronous or metachronous", ("synchronous", "metachronous"))
MARGIN = StratificationFactor("margin", "Resection margin", ("R0", "R1"))
LESIONS = StratificationFactor("lesions", "Number of liver lesions", ("1", "2-3", ">3"))


def run(spec, subjects, seed, state=None):
    rng = np.random.default_rng(seed)
    allocations = []
    for factors in subjects:
        allocation, state = allocate(spec, state, factors, rng)
        allocations.append(allocation)
    return allocations, state


def random_subjects(n, seed, factors=(TIMING, MARGIN, LESIONS), sites=()):
    rng = np.random.default_rng(seed)
    out = []
    for _ in range(n):
        subject = {f.id: f.levels[rng.integers(len(f.levels))] for f in factors}
        if sites:
            subject["site"] = sites[rng.integers(len(sites))]
        out.append(subject)
    return out


def test_it_reproduces_every_allocation_from_the_seed():
    spec = RandomizationSpec("permuted_blocks", ONE_TO_ONE, (TIMING, MARGIN), stratify_by_site=True,
                             block_multiples=(1, 2, 3))
    subjects = random_subjects(60, seed=11, factors=(TIMING, MARGIN), sites=("01", "02"))
    first, state_1 = run(spec, subjects, seed=2024)
    second, state_2 = run(spec, subjects, seed=2024)
    other, _ = run(spec, subjects, seed=2025)
    assert first == second and state_1 == state_2
    assert [a.arm for a in first] != [a.arm for a in other]


def test_it_resumes_identically_from_the_json_state():
    spec = RandomizationSpec("minimization", ONE_TO_ONE, (TIMING, MARGIN, LESIONS))
    subjects = random_subjects(40, seed=5)
    rng = np.random.default_rng(77)
    state = None
    straight = []
    for factors in subjects:
        allocation, state = allocate(spec, state, factors, rng)
        straight.append(allocation.arm)
    rng = np.random.default_rng(77)
    state = None
    resumed = []
    for factors in subjects:
        stored = json.dumps(state.to_dict()) if state else None
        state = RandomizationState.from_dict(json.loads(stored)) if stored else None
        allocation, state = allocate(spec, state, factors, rng)
        resumed.append(allocation.arm)
    assert straight == resumed


def blocks_of(allocations):
    """Group a stratum's allocations into blocks using the block size and position they report."""
    blocks, current = [], []
    for a in allocations:
        if a.block_position == 1 and current:
            blocks.append(current)
            current = []
        current.append(a)
    return blocks, current


def test_every_completed_block_holds_the_exact_ratio_and_sizes_vary():
    spec = RandomizationSpec("permuted_blocks", ONE_TO_ONE, block_multiples=(1, 2, 3))
    allocations, _ = run(spec, [{}] * 301, seed=8)
    blocks, _ = blocks_of(allocations)
    assert len(blocks) > 50
    for block in blocks:
        assert len(block) == block[0].block_size
        assert Counter(a.arm for a in block) == {"chemo_sbrt_pd1": len(block) // 2, "chemo": len(block) // 2}
    assert {len(b) for b in blocks} == {2, 4, 6}


def test_unequal_ratio_blocks_hold_two_to_one():
    spec = RandomizationSpec("permuted_blocks", TWO_TO_ONE, block_multiples=(1, 2))
    allocations, state = run(spec, [{}] * 150, seed=21)
    blocks, tail = blocks_of(allocations)
    for block in blocks:
        counts = Counter(a.arm for a in block)
        assert counts["A"] == 2 * counts["B"] and len(block) in (3, 6)
    completed = [a for b in blocks for a in b]
    counts = Counter(a.arm for a in completed)
    assert counts["A"] == 2 * counts["B"]
    assert dict(state.arm_counts)["A"] + dict(state.arm_counts)["B"] == 150


def test_stratification_keeps_each_stratum_within_half_the_largest_block():
    """1:1 blocks of 2 or 4: inside a stratum |n_A − n_B| can never exceed 2 (half of 4)."""
    spec = RandomizationSpec("permuted_blocks", ONE_TO_ONE, (TIMING, LESIONS), stratify_by_site=True)
    subjects = random_subjects(400, seed=3, factors=(TIMING, LESIONS), sites=("01", "02", "03"))
    rng = np.random.default_rng(99)
    state, per_stratum = None, {}
    for factors in subjects:
        allocation, state = allocate(spec, state, factors, rng)
        counts = per_stratum.setdefault(allocation.stratum, Counter())
        counts[allocation.arm] += 1
        assert compute_imbalance(counts, spec) <= 2
    assert len(per_stratum) == 3 * 2 * 3


def test_single_factor_deterministic_minimization_keeps_every_level_within_one():
    """Bound: with one factor, 1:1 and no random element, the preferred arm is the one with fewer
    subjects in the subject's level, so that level's difference moves 0 → ±1 → 0 and never exceeds 1."""
    spec = RandomizationSpec("minimization", ONE_TO_ONE, (LESIONS,), minimization_probability=1.0)
    subjects = random_subjects(300, seed=4, factors=(LESIONS,))
    rng = np.random.default_rng(4)
    state, counts = None, {level: Counter() for level in LESIONS.levels}
    for factors in subjects:
        allocation, state = allocate(spec, state, factors, rng)
        counts[factors["lesions"]][allocation.arm] += 1
        assert all(compute_imbalance(c, spec) <= 1 for c in counts.values())


def test_two_to_one_minimization_keeps_weighted_difference_within_one():
    """Bound for 2:1 (counts divided by weights): x = n_A/2 − n_B; A is preferred exactly when
    |x + 1/2| < |x − 1|, i.e. x < 1/4, so x stays in {−1/2, 0, 1/2}: |n_A − 2 n_B| ≤ 1."""
    spec = RandomizationSpec("minimization", TWO_TO_ONE, (TIMING,), minimization_probability=1.0)
    subjects = random_subjects(300, seed=6, factors=(TIMING,))
    rng = np.random.default_rng(6)
    state, counts = None, {level: Counter() for level in TIMING.levels}
    for factors in subjects:
        allocation, state = allocate(spec, state, factors, rng)
        c = counts[factors["timing"]]
        c[allocation.arm] += 1
        assert abs(c["A"] - 2 * c["B"]) <= 1


def max_marginal_imbalance(spec, method_spec, seed, n=80):
    subjects = random_subjects(n, seed=seed)
    allocations, _ = run(method_spec, subjects, seed=seed + 1000)
    worst = 0
    for factor in (TIMING, MARGIN, LESIONS):
        for level in factor.levels:
            c = Counter(a.arm for a, s in zip(allocations, subjects, strict=True) if s[factor.id] == level)
            worst = max(worst, compute_imbalance(c, spec))
    return worst


def test_minimization_with_three_factors_beats_simple_randomization():
    """With several factors (or a random element) no hard per-level bound exists: a subject whose
    levels pull in opposite directions can widen one margin. What must hold is the ordering: over 60
    trials of 80 the mean worst level imbalance is under half of simple randomization's, and the
    deterministic version (p = 1) is tighter still than the biased coin (p = 0.8)."""
    factors = (TIMING, MARGIN, LESIONS)
    biased = RandomizationSpec("minimization", ONE_TO_ONE, factors, minimization_probability=0.8)
    strict = RandomizationSpec("minimization", ONE_TO_ONE, factors, minimization_probability=1.0)
    simple = RandomizationSpec("simple", ONE_TO_ONE, factors)
    mean = {name: np.mean([max_marginal_imbalance(spec, spec, s) for s in range(60)])
            for name, spec in (("biased", biased), ("strict", strict), ("simple", simple))}
    assert mean["biased"] < mean["simple"] / 2
    assert mean["strict"] < mean["biased"]


def test_the_random_element_follows_the_preference_with_the_stated_probability():
    spec = RandomizationSpec("minimization", ONE_TO_ONE, (TIMING, MARGIN, LESIONS),
                             minimization_probability=0.7)
    allocations, _ = run(spec, random_subjects(2000, seed=9), seed=10)
    untied = [a for a in allocations if len({s for _, s in a.imbalance_scores}) > 1]
    followed = np.mean([a.followed_preference for a in untied])
    standard_error = np.sqrt(0.7 * 0.3 / len(untied))
    assert abs(followed - 0.7) < 4 * standard_error
    assert all((a.arm == a.preferred_arm) == a.followed_preference for a in untied)


def test_the_same_state_gives_different_arms_under_different_seeds():
    spec = RandomizationSpec("minimization", ONE_TO_ONE, (TIMING,), minimization_probability=0.8)
    _, state = run(spec, [{"timing": "synchronous"}], seed=1)
    arms = {allocate(spec, state, {"timing": "synchronous"}, np.random.default_rng(s))[0].arm
            for s in range(40)}
    assert arms == {"chemo_sbrt_pd1", "chemo"}


def test_minimization_scores_match_a_hand_worked_case():
    """Level counts (A, B): factor 1 (3, 1), factor 2 (2, 2). Range: to A → 3 + 1 = 4; to B → 1 + 1 = 2.
    Variance of (n_A, n_B) is d²/4: to A → 9/4 + 1/4; to B → 1/4 + 1/4."""
    counts = np.array([[[3, 1], [2, 2]]], float)
    assert compute_minimization_scores(counts, (1, 1), "range")[0].tolist() == [4.0, 2.0]
    assert compute_minimization_scores(counts, (1, 1), "variance")[0].tolist() == [2.5, 0.5]
    # 2:1 — counts divided by weights: factor (4, 1) → to A (2.5, 1), to B (2, 2).
    two = compute_minimization_scores(np.array([[[4, 1]]], float), (2, 1), "range")[0]
    assert two.tolist() == [1.5, 0.0]


def test_bad_subject_factors_name_the_field_and_the_allowed_levels():
    spec = RandomizationSpec("permuted_blocks", ONE_TO_ONE, (TIMING,), stratify_by_site=True)
    rng = np.random.default_rng(0)
    with pytest.raises(InvalidInput) as error:
        allocate(spec, None, {"site": "01", "timing": "late"}, rng)
    assert error.value.field == "subject_factors.timing"
    assert "'late'" in error.value.message and "synchronous, metachronous" in error.value.message
    with pytest.raises(InvalidInput) as error:
        allocate(spec, None, {"site": "01"}, rng)
    assert "missing" in error.value.message
    with pytest.raises(InvalidInput) as error:
        allocate(spec, None, {"timing": "synchronous"}, rng)
    assert error.value.field == "subject_factors.site"
    with pytest.raises(InvalidInput) as error:
        allocate(RandomizationSpec("none", ONE_TO_ONE), None, {}, rng)
    assert error.value.field == "randomization.method"


def test_a_damaged_state_is_rejected_with_its_field():
    with pytest.raises(InvalidInput) as error:
        RandomizationState.from_dict({"version": 1, "blocks": {"x": {"block": ["A"], "position": 3}}})
    assert error.value.field == "state.blocks.x.position"
    with pytest.raises(InvalidInput) as error:
        RandomizationState.from_dict({"arm_counts": {"A": -1}})
    assert error.value.field == "state.arm_counts.A"


def test_simple_randomization_follows_the_ratio():
    spec = RandomizationSpec("simple", TWO_TO_ONE)
    allocations, _ = run(spec, [{}] * 3000, seed=12)
    share = np.mean([a.arm == "A" for a in allocations])
    assert abs(share - 2 / 3) < 4 * np.sqrt(2 / 9 / 3000)


def sequential_overall_imbalance(spec, sites, runs, seed):
    rng = np.random.default_rng(seed)
    out = []
    for r in range(runs):
        factors = list(spec.factors)
        subjects = random_subjects(80, seed=seed * 1000 + r, factors=factors, sites=sites)
        allocations, _ = run(spec, subjects, seed=int(rng.integers(1 << 30)))
        out.append(compute_imbalance(Counter(a.arm for a in allocations), spec))
    return np.asarray(out)


@pytest.mark.parametrize("method", ["permuted_blocks", "minimization", "simple"])
def test_the_vectorised_simulator_agrees_with_allocate_one_subject_at_a_time(method):
    """Same rules, two implementations: mean final imbalance must agree within sampling error."""
    spec = RandomizationSpec(method, ONE_TO_ONE, (TIMING, LESIONS), stratify_by_site=True)
    sites = ("01", "02")
    fast = simulate_randomization(spec, sites, 80, 4000, np.random.default_rng(31)).summary("overall")
    slow = sequential_overall_imbalance(spec, sites, 150, seed=7)
    se = slow.std(ddof=1) / np.sqrt(len(slow))
    assert abs(fast.mean - slow.mean()) < 4 * se + 0.05


def test_simulated_permuted_blocks_keep_every_stratum_within_half_a_block():
    spec = RandomizationSpec("permuted_blocks", TWO_TO_ONE, (TIMING, MARGIN), stratify_by_site=True,
                             block_multiples=(1, 2))
    result = simulate_randomization(spec, ("01", "02", "03"), 80, 3000, np.random.default_rng(2))
    # 2:1 blocks of 3 or 6 (AAAABB): inside a block |n_A/2 − n_B| peaks at 2 (AAAA or BB first),
    # and every completed block returns it to 0.
    assert result.summary("any stratum").maximum <= 2.0
    assert result.summary("any stratum").share_at_least(2.0) > 0
    assert abs(result.mean_arm_counts[0] - 2 * result.mean_arm_counts[1]) < 1.0
    assert result.summary("overall").maximum > result.summary("any stratum").maximum


def test_the_simulator_is_reproducible_and_reports_progress():
    spec = RandomizationSpec("minimization", ONE_TO_ONE, (TIMING, MARGIN, LESIONS))
    seen = []
    first = simulate_randomization(spec, ("01",), 40, 250, np.random.default_rng(5), chunk_runs=100,
                                   progress=lambda done, total: seen.append((done, total)))
    second = simulate_randomization(spec, ("01",), 40, 250, np.random.default_rng(5), chunk_runs=100)
    assert first == second
    assert seen == [(100, 250), (200, 250), (250, 250)]
    groups = {s.group for s in first.summaries}
    assert {"overall", "site 01", "any site", "factor timing", "level lesions=>3", "any stratum"} <= groups
    assert abs(sum(share for _, share in first.summary("overall").frequencies) - 1) < 1e-9
