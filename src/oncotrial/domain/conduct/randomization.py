"""Treatment allocation: simple, stratified permuted blocks, Pocock–Simon minimization.

Every method is a pure function of the protocol's :class:`~oncotrial.domain.protocol.model.RandomizationSpec`,
the allocation state so far, the new subject's factor levels and an explicit
``numpy.random.Generator``: ``allocate(spec, state, subject_factors, rng) -> (Allocation, new_state)``.
The state is a frozen value that serialises to plain JSON (``state.to_dict()`` /
``RandomizationState.from_dict()``) so the web app can keep it in one database row and call
:func:`allocate` under a row lock.

Sources: permuted blocks with random block sizes — Matts & Lachin, Control Clin Trials 1988;9:327;
minimization — Pocock & Simon, Biometrics 1975;31:103 (marginal imbalance, range or variance, with a
biased coin); unequal ratios by dividing counts by the arm weights — Han, Enas & McEntegart, Stat Med
2009;28:3329. `balance.simulate_randomization` measures the balance a spec gives over many simulated
trials, vectorised over trials with numpy.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Any, Literal

import numpy as np

from oncotrial.domain.protocol.model import RandomizationSpec
from oncotrial.errors import InvalidInput

ImbalanceMeasure = Literal["range", "variance"]
SITE_FACTOR = "site"
STATE_VERSION = 1


@dataclass(frozen=True)
class StratumBlock:
    """The current permuted block of one stratum and how far into it allocation has gone."""

    stratum: str
    block: tuple[str, ...]
    position: int
    blocks_started: int


@dataclass(frozen=True)
class LevelCount:
    """Subjects allocated so far to each arm within one level of one factor (minimization)."""

    factor: str
    level: str
    counts: tuple[tuple[str, int], ...]


@dataclass(frozen=True)
class RandomizationState:
    """Everything allocation needs to remember, as one JSON-serialisable value."""

    allocated: int = 0
    arm_counts: tuple[tuple[str, int], ...] = ()
    blocks: tuple[StratumBlock, ...] = ()
    level_counts: tuple[LevelCount, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON form: ``{"version", "allocated", "arm_counts", "blocks", "level_counts"}``."""
        return {
            "version": STATE_VERSION,
            "allocated": self.allocated,
            "arm_counts": dict(self.arm_counts),
            "blocks": {b.stratum: {"block": list(b.block), "position": b.position,
                                   "blocks_started": b.blocks_started} for b in self.blocks},
            "level_counts": _nest_level_counts(self.level_counts),
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> RandomizationState:
        """Rebuild a state from :meth:`to_dict` output; errors name the field that is wrong."""
        if not isinstance(data, Mapping):
            raise InvalidInput("randomization state must be a JSON object", field="state")
        if data.get("version", STATE_VERSION) != STATE_VERSION:
            raise InvalidInput(f"randomization state version {data.get('version')!r} is not supported; "
                               f"expected {STATE_VERSION}", field="state.version")
        blocks = tuple(_block_from_dict(stratum, item)
                       for stratum, item in sorted(_mapping(data, "blocks").items()))
        level_counts = tuple(
            LevelCount(factor, level, _sorted_counts(counts, f"state.level_counts.{factor}.{level}"))
            for factor, levels in sorted(_mapping(data, "level_counts").items())
            for level, counts in sorted(_as_mapping(levels, f"state.level_counts.{factor}").items()))
        return cls(allocated=_count(data.get("allocated", 0), "state.allocated"),
                   arm_counts=_sorted_counts(_mapping(data, "arm_counts"), "state.arm_counts"),
                   blocks=blocks, level_counts=level_counts)


@dataclass(frozen=True)
class Allocation:
    """One subject's allocation and the reason for it (stratum and block, or minimization scores)."""

    arm: str
    sequence: int
    method: str
    stratum: str = ""
    block_size: int | None = None
    block_position: int | None = None
    imbalance_scores: tuple[tuple[str, float], ...] = ()
    preferred_arm: str | None = None
    followed_preference: bool | None = None

    def to_dict(self) -> dict[str, Any]:
        out = {"arm": self.arm, "sequence": self.sequence, "method": self.method}
        if self.stratum:
            out["stratum"] = self.stratum
        if self.block_size is not None:
            out.update(block_size=self.block_size, block_position=self.block_position)
        if self.imbalance_scores:
            out.update(imbalance_scores=dict(self.imbalance_scores), preferred_arm=self.preferred_arm,
                       followed_preference=self.followed_preference)
        return out


def allocate(spec: RandomizationSpec, state: RandomizationState | None,
             subject_factors: Mapping[str, str], rng: np.random.Generator, *,
             measure: ImbalanceMeasure | None = None) -> tuple[Allocation, RandomizationState]:
    """Allocate one subject; return the allocation and the new state (the old one is untouched).

    ``subject_factors`` maps each factor id of ``spec.factors`` (and ``"site"`` when
    ``spec.stratify_by_site``) to the subject's level. ``measure`` chooses the minimization imbalance
    (``range`` or ``variance``; Pocock & Simon 1975 §3) and defaults to the spec's
    ``minimization_measure``.

    Raises :class:`InvalidInput` for a missing factor or an unknown level (naming the field and the
    allowed levels) and for a protocol that is not randomized.

    >>> from oncotrial.domain.protocol.model import ArmWeight
    >>> spec = RandomizationSpec("permuted_blocks", (ArmWeight("A", 1), ArmWeight("B", 1)))
    >>> allocation, state = allocate(spec, None, {}, np.random.default_rng(1))
    >>> allocation.arm in ("A", "B"), state.allocated
    (True, 1)
    """
    state = state or RandomizationState()
    levels = check_subject_factors(spec, subject_factors)
    arms, weights = read_arm_weights(spec)
    if spec.method == "simple":
        arm = arms[_weighted_index(weights, rng.random())]
        allocation = Allocation(arm, state.allocated + 1, "simple")
    elif spec.method == "permuted_blocks":
        allocation, state = _allocate_in_block(spec, state, levels, rng)
    elif spec.method == "minimization":
        chosen = measure or spec.minimization_measure
        allocation = _allocate_by_minimization(spec, state, levels, rng, chosen)
        state = replace(state, level_counts=_add_level_counts(state.level_counts, levels, allocation.arm))
    else:
        raise InvalidInput(f"randomization method '{spec.method}' allocates no subjects",
                           field="randomization.method",
                           hint="allowed for allocation: simple, permuted_blocks, minimization")
    counts = dict(state.arm_counts)
    counts[allocation.arm] = counts.get(allocation.arm, 0) + 1
    return allocation, replace(state, allocated=state.allocated + 1,
                               arm_counts=tuple(sorted(counts.items())))


def check_subject_factors(spec: RandomizationSpec, subject_factors: Mapping[str, str]) -> tuple[tuple[str, str], ...]:
    """The subject's (factor, level) pairs in the spec's order; raise on a missing or unknown level."""
    pairs = []
    if spec.stratify_by_site:
        site = subject_factors.get(SITE_FACTOR)
        if not isinstance(site, str) or not site:
            raise InvalidInput("subject_factors.site is required: this protocol stratifies by site",
                               field="subject_factors.site", hint="pass the subject's site id")
        pairs.append((SITE_FACTOR, site))
    for factor in spec.factors:
        level = subject_factors.get(factor.id)
        if level not in factor.levels:
            got = "is missing" if level is None else f"'{level}' is not a level"
            raise InvalidInput(f"subject_factors.{factor.id} {got} of factor '{factor.name}'; "
                               f"allowed: {', '.join(factor.levels)}", field=f"subject_factors.{factor.id}",
                               hint=f"use one of: {', '.join(factor.levels)}")
        pairs.append((factor.id, level))
    return tuple(pairs)


def derive_stratum(levels: tuple[tuple[str, str], ...]) -> str:
    """The stratum key of a subject, e.g. ``site=01|ecog=0`` (empty when there are no strata)."""
    return "|".join(f"{factor}={level}" for factor, level in levels)


def derive_block(spec: RandomizationSpec, rng: np.random.Generator) -> tuple[str, ...]:
    """A new permuted block: each arm ``weight × m`` times, ``m`` drawn from ``block_multiples``.

    Random block sizes keep the next allocation at the end of a block from being guessed
    (Matts & Lachin 1988 §4).
    """
    arms, weights = read_arm_weights(spec)
    multiples = read_block_multiples(spec)
    multiple = multiples[int(rng.integers(len(multiples)))]
    content = np.repeat(np.arange(len(arms)), np.asarray(weights) * multiple)
    return tuple(arms[i] for i in rng.permutation(content))


def compute_imbalance(counts: Mapping[str, int], spec: RandomizationSpec) -> float:
    """Ratio-adjusted imbalance of one group: range over arms of ``n_arm × w_min / w_arm``.

    With 1:1 this is ``|n_A − n_B|``; with 2:1 it is ``|n_A / 2 − n_B|``.
    """
    arms, weights = read_arm_weights(spec)
    smallest = min(weights)
    adjusted = [counts.get(arm, 0) * smallest / weight for arm, weight in zip(arms, weights, strict=True)]
    return max(adjusted) - min(adjusted)


def _allocate_in_block(spec, state, levels, rng):
    stratum = derive_stratum(levels)
    current = next((b for b in state.blocks if b.stratum == stratum), None)
    if current is None or current.position >= len(current.block):
        started = current.blocks_started if current else 0
        current = StratumBlock(stratum, derive_block(spec, rng), 0, started + 1)
    arm = current.block[current.position]
    allocation = Allocation(arm, state.allocated + 1, "permuted_blocks", stratum,
                            len(current.block), current.position + 1)
    advanced = replace(current, position=current.position + 1)
    blocks = tuple(sorted([b for b in state.blocks if b.stratum != stratum] + [advanced],
                          key=lambda b: b.stratum))
    return allocation, replace(state, blocks=blocks)


def _allocate_by_minimization(spec, state, levels, rng, measure):
    """Pocock & Simon 1975: score each arm by the total marginal imbalance it would leave."""
    if measure not in ("range", "variance"):
        raise InvalidInput(f"minimization measure '{measure}' is unknown; allowed: range, variance",
                           field="randomization.minimization_measure")
    arms, weights = read_arm_weights(spec)
    table = {(c.factor, c.level): dict(c.counts) for c in state.level_counts}
    current = np.array([[table.get(pair, {}).get(arm, 0) for arm in arms] for pair in levels], float)
    scores = compute_minimization_scores(current.reshape(1, *current.shape), weights, measure)[0]
    preferred, follow, other = _biased_coin(scores, np.asarray(weights, float),
                                            spec.minimization_probability, rng.random(3))
    arm = arms[preferred if follow else other]
    return Allocation(arm, state.allocated + 1, "minimization", derive_stratum(levels),
                      imbalance_scores=tuple(zip(arms, (float(s) for s in scores), strict=True)),
                      preferred_arm=arms[preferred], followed_preference=follow)


def compute_minimization_scores(level_counts: np.ndarray, weights, measure: str) -> np.ndarray:
    """Total imbalance if the subject went to each arm, for many trials at once.

    ``level_counts`` has shape (runs, factors, arms): the counts in the subject's own level of each
    factor. Counts are divided by the arm weights so a 2:1 ratio counts as balanced (Han et al. 2009).
    Returns shape (runs, arms).
    """
    w = np.asarray(weights, float)
    n_arms = len(w)
    trial = level_counts[:, :, None, :] + np.eye(n_arms)[None, None, :, :]
    adjusted = trial / w
    if measure == "variance":
        per_factor = adjusted.var(axis=-1)
    else:
        per_factor = adjusted.max(axis=-1) - adjusted.min(axis=-1)
    return per_factor.sum(axis=1)


def _biased_coin(scores, weights, probability, draws):
    """Preferred arm (ties split by weight), whether it is followed, and the alternative arm."""
    best = scores <= scores.min() + 1e-9
    preferred = _weighted_index(np.where(best, weights, 0.0), draws[0])
    follow = bool(draws[1] < probability) or len(weights) == 1
    others = weights.copy()
    others[preferred] = 0.0
    other = _weighted_index(others, draws[2]) if others.sum() > 0 else preferred
    return preferred, follow, other


def _weighted_index(weights, u: float) -> int:
    cumulative = np.cumsum(np.asarray(weights, float))
    return int(min(np.searchsorted(cumulative, u * cumulative[-1], side="right"), len(cumulative) - 1))


def _add_level_counts(level_counts, levels, arm):
    table = {(c.factor, c.level): dict(c.counts) for c in level_counts}
    for pair in levels:
        counts = table.setdefault(pair, {})
        counts[arm] = counts.get(arm, 0) + 1
    return tuple(LevelCount(f, level, tuple(sorted(c.items()))) for (f, level), c in sorted(table.items()))


def read_arm_weights(spec: RandomizationSpec) -> tuple[tuple[str, ...], tuple[int, ...]]:
    """The arms and their whole-number allocation weights (ratio 1:1 → weights 1, 1), checked."""
    if len(spec.ratio) < 1 or any(w.weight < 1 for w in spec.ratio):
        raise InvalidInput("randomization.ratio needs arms with whole-number weights >= 1",
                           field="randomization.ratio")
    return tuple(w.arm for w in spec.ratio), tuple(w.weight for w in spec.ratio)


def read_block_multiples(spec: RandomizationSpec) -> tuple[int, ...]:
    """The block sizes as multiples of the ratio sum (random block sizes pick among them), checked."""
    multiples = tuple(spec.block_multiples)
    if not multiples or any(m < 1 for m in multiples):
        raise InvalidInput(f"randomization.block_multiples {list(multiples)} must be whole numbers >= 1",
                           field="randomization.block_multiples", hint="e.g. [1, 2] for 1:1 blocks of 2 and 4")
    return multiples


def _nest_level_counts(level_counts) -> dict[str, dict[str, dict[str, int]]]:
    nested: dict[str, dict[str, dict[str, int]]] = {}
    for c in level_counts:
        nested.setdefault(c.factor, {})[c.level] = dict(c.counts)
    return nested


def _mapping(data, key: str) -> Mapping:
    return _as_mapping(data.get(key, {}), f"state.{key}")


def _as_mapping(value, field: str) -> Mapping:
    if not isinstance(value, Mapping):
        raise InvalidInput(f"{field} must be a JSON object", field=field)
    return value


def _count(value, field: str) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or value < 0:
        raise InvalidInput(f"{field} must be a whole number >= 0, not {value!r}", field=field)
    return value


def _sorted_counts(counts, field: str) -> tuple[tuple[str, int], ...]:
    if not isinstance(counts, Mapping):
        raise InvalidInput(f"{field} must be a JSON object of arm counts", field=field)
    return tuple(sorted((str(arm), _count(n, f"{field}.{arm}")) for arm, n in counts.items()))


def _block_from_dict(stratum: str, item) -> StratumBlock:
    field = f"state.blocks.{stratum}"
    if not isinstance(item, Mapping) or not isinstance(item.get("block"), list):
        raise InvalidInput(f"{field} must hold a 'block' list of arm ids", field=field)
    block = tuple(str(arm) for arm in item["block"])
    position = _count(item.get("position", 0), f"{field}.position")
    if position > len(block):
        raise InvalidInput(f"{field}.position {position} is past the end of its block of {len(block)}",
                           field=f"{field}.position")
    return StratumBlock(stratum, block, position, _count(item.get("blocks_started", 1), f"{field}.blocks_started"))




























