"""The balance a randomization spec gives: many simulated trials of permuted blocks or minimization,
vectorised over trials with numpy, summarised as the distribution of each group's ratio-adjusted
arm imbalance (overall, per site, per stratification factor and in the worst stratum).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from oncotrial.domain.conduct.randomization import (
    SITE_FACTOR,
    compute_minimization_scores,
    read_arm_weights,
    read_block_multiples,
)
from oncotrial.domain.protocol.model import RandomizationSpec
from oncotrial.errors import InvalidInput


@dataclass(frozen=True)
class ImbalanceSummary:
    """The distribution, over simulated trials, of one group's ratio-adjusted imbalance at the end.

    ``group`` is ``overall``, ``site <id>``, ``any site`` (worst site per trial), ``factor <id>``
    (worst level per trial), ``level <factor>=<level>`` or ``any stratum`` (worst stratum per trial).
    ``frequencies`` pairs each imbalance value with the share of trials ending there.
    """

    group: str
    mean: float
    median: float
    p95: float
    maximum: float
    frequencies: tuple[tuple[float, float], ...]

    def share_at_least(self, value: float) -> float:
        return float(sum(share for v, share in self.frequencies if v >= value - 1e-9))

    def to_dict(self) -> dict[str, Any]:
        return {"group": self.group, "mean": self.mean, "median": self.median, "p95": self.p95,
                "maximum": self.maximum, "frequencies": [list(f) for f in self.frequencies]}


@dataclass(frozen=True)
class BalanceSimulation:
    """Imbalance at the end of ``runs`` simulated trials of ``subjects`` subjects each."""

    method: str
    subjects: int
    runs: int
    arms: tuple[str, ...]
    mean_arm_counts: tuple[float, ...]
    summaries: tuple[ImbalanceSummary, ...]

    def summary(self, group: str) -> ImbalanceSummary:
        for s in self.summaries:
            if s.group == group:
                return s
        raise InvalidInput(f"no imbalance group '{group}'; known: {', '.join(s.group for s in self.summaries)}",
                           field="group")

    def to_dict(self) -> dict[str, Any]:
        return {"method": self.method, "subjects": self.subjects, "runs": self.runs,
                "arms": list(self.arms), "mean_arm_counts": list(self.mean_arm_counts),
                "summaries": [s.to_dict() for s in self.summaries]}


def simulate_randomization(spec: RandomizationSpec, sites: tuple[str, ...], subjects: int, runs: int,
                           rng: np.random.Generator, *, progress=None,
                           chunk_runs: int = 1000) -> BalanceSimulation:
    """Simulate ``runs`` trials of ``subjects`` allocations and summarise the imbalance at the end.

    Each subject's site and factor levels are drawn uniformly and independently. The allocation rules
    are those of :func:`allocate` (same blocks, same minimization scores and biased coin), vectorised
    over trials: permuted-block sequences for every trial and stratum are drawn at once; minimization
    loops over subjects and handles all trials together. ``progress(done_runs, runs)`` is called after
    each chunk of trials.

    >>> from oncotrial.domain.protocol.model import ArmWeight
    >>> spec = RandomizationSpec("permuted_blocks", (ArmWeight("A", 1), ArmWeight("B", 1)))
    >>> result = simulate_randomization(spec, ("01",), 80, 200, np.random.default_rng(1))
    >>> result.summary("overall").maximum <= 2
    True
    """
    if subjects < 1 or runs < 1:
        raise InvalidInput("subjects and runs must be whole numbers >= 1", field="subjects" if subjects < 1 else "runs")
    if not sites:
        raise InvalidInput("at least one site is needed to simulate randomization", field="sites")
    read_arm_weights(spec)
    columns = _factor_columns(spec, sites)
    arms_all, levels_all = [], []
    done = 0
    while done < runs:
        size = min(chunk_runs, runs - done)
        levels = np.stack([rng.integers(len(values), size=(size, subjects)) for _, values in columns], axis=-1)
        arms_all.append(_simulate_arms(spec, columns, levels, rng))
        levels_all.append(levels)
        done += size
        if progress:
            progress(done, runs)
    return _summarise_balance(spec, columns, np.concatenate(arms_all), np.concatenate(levels_all))


def _factor_columns(spec, sites) -> list[tuple[str, tuple[str, ...]]]:
    """Site first, then the protocol's factors: the covariates every simulated subject carries."""
    return [(SITE_FACTOR, tuple(sites))] + [(f.id, tuple(f.levels)) for f in spec.factors]


def _allocation_columns(spec) -> list[int]:
    """Which covariate columns drive allocation (strata or minimization factors)."""
    start = 0 if spec.stratify_by_site else 1
    return list(range(start, 1 + len(spec.factors)))


def _simulate_arms(spec, columns, levels, rng) -> np.ndarray:
    _, weights = read_arm_weights(spec)
    runs, subjects = levels.shape[:2]
    if spec.method == "simple":
        p = np.asarray(weights, float) / sum(weights)
        return rng.choice(len(weights), size=(runs, subjects), p=p).astype(np.int8)
    used = _allocation_columns(spec)
    if spec.method == "permuted_blocks":
        sizes = [len(columns[c][1]) for c in used]
        stratum = np.ravel_multi_index(tuple(levels[:, :, c] for c in used), sizes) if used else \
            np.zeros((runs, subjects), int)
        return _simulate_blocks(spec, stratum, int(np.prod(sizes)) if used else 1, rng)
    if spec.method == "minimization":
        return _simulate_minimization(spec, levels[:, :, used], max(len(v) for _, v in columns), rng)
    raise InvalidInput(f"randomization method '{spec.method}' allocates no subjects",
                       field="randomization.method")


def _simulate_blocks(spec, stratum, n_strata, rng) -> np.ndarray:
    """Fill each trial's strata with concatenated random permuted blocks, then read them in order."""
    runs, subjects = stratum.shape
    position = np.zeros_like(stratum)
    for s in np.unique(stratum):
        mask = stratum == s
        position[mask] = (np.cumsum(mask, axis=1) - 1)[mask]
    sequence = _block_sequences(spec, (runs, n_strata), int(position.max()) + 1, rng)
    return sequence[np.arange(runs)[:, None], stratum, position]


def _block_sequences(spec, shape, length, rng) -> np.ndarray:
    """Arm sequences of at least ``length`` made of random permuted blocks, for every cell of ``shape``."""
    _, weights = read_arm_weights(spec)
    multiples = np.asarray(read_block_multiples(spec))
    unit = sum(weights)
    widest = unit * int(multiples.max())
    n_blocks = -(-length // (unit * int(multiples.min())))
    contents = np.full((len(multiples), widest), -1, np.int8)
    for i, m in enumerate(multiples):
        contents[i, : unit * m] = np.repeat(np.arange(len(weights)), np.asarray(weights) * m)
    choice = rng.integers(len(multiples), size=(*shape, n_blocks))
    keys = rng.random((*shape, n_blocks, widest))
    keys[contents[choice] < 0] = np.inf
    order = np.argsort(keys, axis=-1)
    blocks = np.take_along_axis(contents[choice], order, axis=-1).reshape(*shape, n_blocks * widest)
    filled = blocks >= 0
    slot = np.cumsum(filled, axis=-1) - 1
    keep = filled & (slot < length)
    out = np.zeros((*shape, length), np.int8)
    index = np.nonzero(keep)
    out[(*index[:-1], slot[keep])] = blocks[keep]
    return out


def _simulate_minimization(spec, levels, n_levels, rng) -> np.ndarray:
    """Pocock–Simon for all trials at once: one pass over subjects, vectorised over trials."""
    measure = spec.minimization_measure
    weights = np.asarray(read_arm_weights(spec)[1], float)
    runs, subjects, n_factors = levels.shape
    counts = np.zeros((runs, n_factors, n_levels, len(weights)))
    arms = np.zeros((runs, subjects), np.int8)
    run_index = np.arange(runs)[:, None]
    factor_index = np.arange(n_factors)[None, :]
    for i in range(subjects):
        current = counts[run_index, factor_index, levels[:, i, :]]
        scores = compute_minimization_scores(current, weights, measure)
        draws = rng.random((runs, 3))
        best = scores <= scores.min(axis=1, keepdims=True) + 1e-9
        preferred = _weighted_choice(np.where(best, weights, 0.0), draws[:, 0])
        others = np.tile(weights, (runs, 1))
        others[np.arange(runs), preferred] = 0.0
        other = _weighted_choice(others, draws[:, 2]) if len(weights) > 1 else preferred
        follow = draws[:, 1] < spec.minimization_probability
        arm = np.where(follow, preferred, other)
        arms[:, i] = arm
        counts[run_index, factor_index, levels[:, i, :], arm[:, None]] += 1
    return arms


def _weighted_choice(weights: np.ndarray, u: np.ndarray) -> np.ndarray:
    cumulative = np.cumsum(weights, axis=1)
    picked = (cumulative <= (u * cumulative[:, -1])[:, None]).sum(axis=1)
    return np.minimum(picked, weights.shape[1] - 1)


def _group_imbalance(arms, mask, weights) -> np.ndarray:
    """Ratio-adjusted imbalance per trial among the subjects in ``mask`` (see compute_imbalance)."""
    counts = np.stack([((arms == k) & mask).sum(axis=1) for k in range(len(weights))], axis=-1)
    adjusted = counts * (min(weights) / np.asarray(weights, float))
    return adjusted.max(axis=1) - adjusted.min(axis=1)


def _summarise_balance(spec, columns, arms, levels) -> BalanceSimulation:
    arm_ids, weights = read_arm_weights(spec)
    everyone = np.ones(arms.shape, bool)
    groups = [("overall", _group_imbalance(arms, everyone, weights))]
    site_values = [(f"site {site}", _group_imbalance(arms, levels[:, :, 0] == i, weights))
                   for i, site in enumerate(columns[0][1])]
    groups += site_values + [("any site", np.max([v for _, v in site_values], axis=0))]
    for c, (factor, values) in enumerate(columns[1:], start=1):
        per_level = [(f"level {factor}={v}", _group_imbalance(arms, levels[:, :, c] == i, weights))
                     for i, v in enumerate(values)]
        groups += [(f"factor {factor}", np.max([v for _, v in per_level], axis=0))] + per_level
    groups.append(("any stratum", _worst_stratum(spec, columns, arms, levels, weights)))
    mean_counts = tuple(float((arms == k).sum(axis=1).mean()) for k in range(len(arm_ids)))
    return BalanceSimulation(spec.method, arms.shape[1], arms.shape[0], arm_ids, mean_counts,
                             tuple(_summary(name, values) for name, values in groups))


def _worst_stratum(spec, columns, arms, levels, weights) -> np.ndarray:
    """Worst imbalance over the strata the allocation columns define (site included if stratified)."""
    used = _allocation_columns(spec)
    if not used:
        return _group_imbalance(arms, np.ones(arms.shape, bool), weights)
    sizes = [len(columns[c][1]) for c in used]
    stratum = np.ravel_multi_index(tuple(levels[:, :, c] for c in used), sizes)
    runs, n_arms, n_strata = arms.shape[0], len(weights), int(np.prod(sizes))
    flat = (np.arange(runs)[:, None] * n_strata + stratum) * n_arms + arms
    counts = np.bincount(flat.ravel(), minlength=runs * n_strata * n_arms).reshape(runs, n_strata, n_arms)
    adjusted = counts * (min(weights) / np.asarray(weights, float))
    return (adjusted.max(axis=2) - adjusted.min(axis=2)).max(axis=1)


def _summary(group: str, values: np.ndarray) -> ImbalanceSummary:
    rounded = np.round(values.astype(float), 6)
    unique, counts = np.unique(rounded, return_counts=True)
    return ImbalanceSummary(group, float(rounded.mean()), float(np.median(rounded)),
                            float(np.quantile(rounded, 0.95)), float(rounded.max()),
                            tuple((float(v), float(c / len(rounded))) for v, c in zip(unique, counts, strict=True)))
