"""Group-sequential boundaries by recursive numerical integration.

One-sided efficacy boundaries ``c_1..c_K`` on the z scale at information rates ``t_1 < .. < t_K = 1``:
classical O'Brien & Fleming (``c_k = c sqrt(K / k)``-type, scaled by information: ``c / sqrt(t_k)``)
and Pocock (constant ``c``) designs, and Lan-DeMets alpha spending with the O'Brien-Fleming-type
``alpha(t) = 2 (1 - Phi(z_{1 - alpha/2} / sqrt(t)))`` and Pocock-type
``alpha(t) = alpha ln(1 + (e - 1) t)`` functions (Lan & DeMets, Biometrika 1983;70:659-663).
Crossing probabilities use the recursive integration of Armitage, McPherson & Rowe (1969) as set out
in Jennison & Turnbull, *Group Sequential Methods* (2000), chapter 19, with Simpson's rule on a fine
grid. rpact's ``getDesignGroupSequential(typeOfDesign = "OF" | "P" | "asOF" | "asP")`` names the
same designs.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from scipy.optimize import brentq
from scipy.stats import norm

from oncotrial.domain.design.checks import check_alpha
from oncotrial.errors import InvalidInput

DESIGN_KINDS = {
    "OF": "O'Brien & Fleming (classical)",
    "P": "Pocock (classical)",
    "asOF": "Lan-DeMets alpha spending, O'Brien-Fleming type",
    "asP": "Lan-DeMets alpha spending, Pocock type",
}
_GRID_STEP = 0.005
_LOWER_SD = 9.0


@dataclass(frozen=True)
class GroupSequentialDesign:
    """Efficacy boundaries with the alpha spent at and up to each look (one-sided)."""

    kind: str
    alpha: float
    information_rates: tuple[float, ...]
    critical_values: tuple[float, ...]
    stage_alpha: tuple[float, ...]
    cumulative_alpha: tuple[float, ...]

    @property
    def k_max(self) -> int:
        return len(self.information_rates)

    @property
    def description(self) -> str:
        return DESIGN_KINDS[self.kind]

    def to_dict(self) -> dict:
        return {
            "kind": self.kind, "description": self.description, "alpha": self.alpha,
            "information_rates": list(self.information_rates),
            "critical_values": list(self.critical_values),
            "stage_alpha": list(self.stage_alpha),
            "cumulative_alpha": list(self.cumulative_alpha),
        }


def compute_spent_alpha(kind: str, alpha: float, t) -> np.ndarray:
    """Cumulative alpha spent by information rate ``t`` (Lan & DeMets 1983; Kim & DeMets 1987)."""
    t = np.asarray(t, dtype=float)
    if kind == "asOF":
        return 2.0 * norm.sf(norm.isf(alpha / 2.0) / np.sqrt(t))
    if kind == "asP":
        return alpha * np.log(1.0 + (math.e - 1.0) * t)
    raise InvalidInput(f"no spending function for design kind {kind!r}", field="kind",
                       hint="spending designs are asOF and asP")


def _simpson_grid(low: float, high: float) -> tuple[np.ndarray, np.ndarray]:
    """Nodes and Simpson weights on [low, high] with an odd number of nodes."""
    intervals = max(2, 2 * math.ceil((high - low) / (2 * _GRID_STEP)))
    nodes = np.linspace(low, high, intervals + 1)
    weights = np.ones(intervals + 1)
    weights[1:-1:2], weights[2:-1:2] = 4.0, 2.0
    return nodes, weights * (high - low) / (3.0 * intervals)


class _Recursion:
    """Sub-densities of Z_k on the continuation region, stage by stage (J&T ch. 19)."""

    def __init__(self, information_rates, drift: float):
        self.t = np.asarray(information_rates, dtype=float)
        self.drift = drift
        self.nodes = self.weights = self.density = None

    def mean(self, k: int) -> float:
        return self.drift * math.sqrt(self.t[k])

    def exit_probability(self, k: int, bound: float) -> float:
        """P(continue to look k and cross ``bound`` there)."""
        if k == 0:
            return float(norm.sf(bound - self.mean(0)))
        dt = self.t[k] - self.t[k - 1]
        shift = (bound * math.sqrt(self.t[k]) - self.nodes * math.sqrt(self.t[k - 1])
                 - self.drift * dt) / math.sqrt(dt)
        return float(np.sum(self.weights * self.density * norm.sf(shift)))

    def advance(self, k: int, bound: float) -> None:
        """Move to the sub-density of Z_k restricted to ``Z_k < bound``."""
        nodes, weights = _simpson_grid(min(self.mean(k) - _LOWER_SD, bound - 1.0), bound)
        if k == 0:
            density = norm.pdf(nodes - self.mean(0))
        else:
            dt = self.t[k] - self.t[k - 1]
            scale = math.sqrt(self.t[k] / dt)
            arg = (nodes[:, None] * math.sqrt(self.t[k]) - self.nodes[None, :] * math.sqrt(self.t[k - 1])
                   - self.drift * dt) / math.sqrt(dt)
            density = scale * (norm.pdf(arg) @ (self.weights * self.density))
        self.nodes, self.weights, self.density = nodes, weights, density


def compute_crossing_probabilities(critical_values, information_rates, drift: float) -> np.ndarray:
    """P(first crossing at look k) when ``E[Z_k] = drift * sqrt(t_k)``."""
    recursion = _Recursion(information_rates, drift)
    probabilities = []
    for k, bound in enumerate(critical_values):
        probabilities.append(recursion.exit_probability(k, bound))
        if k + 1 < len(critical_values):
            recursion.advance(k, bound)
    return np.array(probabilities)


def _check_information_rates(information_rates) -> tuple[float, ...]:
    rates = tuple(float(x) for x in information_rates)
    ordered = all(0.0 < a < b for a, b in zip(rates, rates[1:], strict=False))
    if not rates or not ordered or abs(rates[-1] - 1.0) > 1e-12 or rates[0] <= 0.0:
        raise InvalidInput(
            f"information rates {list(rates)} must increase strictly from above 0 and end at 1",
            field="information_rates", hint="e.g. 0.5,1 for one interim at half the events")
    return rates


def compute_group_sequential_design(
    kind: str = "asOF", alpha: float = 0.025, information_rates=(0.5, 1.0)
) -> GroupSequentialDesign:
    """One-sided efficacy boundaries (z scale) and the alpha spent at each look.

    ``kind``: ``"OF"``/``"P"`` classical O'Brien-Fleming/Pocock designs (one constant solved so that
    the overall type I error is ``alpha``), ``"asOF"``/``"asP"`` Lan-DeMets spending (each boundary
    solved in turn so that the new crossing probability under H0 equals the alpha newly spent).
    Matches rpact ``getDesignGroupSequential(kMax, alpha, sided = 1, typeOfDesign = kind,
    informationRates)``.

    >>> d = compute_group_sequential_design("OF", 0.025, (0.5, 1.0))
    >>> [round(c, 4) for c in d.critical_values]
    [2.7965, 1.9774]
    """
    check_alpha(alpha)
    rates = _check_information_rates(information_rates)
    if kind not in DESIGN_KINDS:
        raise InvalidInput(f"design kind {kind!r} is unknown; use one of {', '.join(DESIGN_KINDS)}",
                           field="kind", hint="asOF (O'Brien-Fleming-type spending) is the usual choice")
    if kind in ("OF", "P"):
        bounds = _classical_bounds(kind, alpha, rates)
    else:
        bounds = _spending_bounds(kind, alpha, rates)
    stage = compute_crossing_probabilities(bounds, rates, 0.0)
    return GroupSequentialDesign(kind, alpha, rates, tuple(float(b) for b in bounds),
                                 tuple(float(a) for a in stage), tuple(float(a) for a in np.cumsum(stage)))


def _classical_bounds(kind: str, alpha: float, rates) -> np.ndarray:
    shape = 1.0 / np.sqrt(np.asarray(rates)) if kind == "OF" else np.ones(len(rates))

    def excess(c: float) -> float:
        return compute_crossing_probabilities(c * shape, rates, 0.0).sum() - alpha

    c = brentq(excess, norm.isf(alpha) * 0.5, norm.isf(alpha / len(rates)) + 1.0, xtol=1e-13)
    return c * shape


def _spending_bounds(kind: str, alpha: float, rates) -> np.ndarray:
    spent = compute_spent_alpha(kind, alpha, rates)
    recursion = _Recursion(rates, 0.0)
    bounds = []
    for k in range(len(rates)):
        target = spent[k] - (spent[k - 1] if k else 0.0)
        bound = brentq(lambda c, k=k, target=target: recursion.exit_probability(k, c) - target,
                       -1.0, 40.0, xtol=1e-13)
        bounds.append(bound)
        if k + 1 < len(rates):
            recursion.advance(k, bound)
    return np.array(bounds)


def compute_drift_for_power(design: GroupSequentialDesign, beta: float) -> float:
    """Expected final z (``theta sqrt(I_K)``) at which the design rejects with power ``1 - beta``."""
    fixed = norm.isf(design.alpha) + norm.isf(beta)

    def shortfall(drift: float) -> float:
        rejection = compute_crossing_probabilities(design.critical_values,
                                                   design.information_rates, drift).sum()
        return rejection - (1.0 - beta)

    return brentq(shortfall, fixed * 0.9, fixed * 1.5, xtol=1e-13)


def compute_inflation_factor(design: GroupSequentialDesign, beta: float) -> float:
    """Maximum information relative to the fixed design with the same alpha and power."""
    return (compute_drift_for_power(design, beta) / (norm.isf(design.alpha) + norm.isf(beta))) ** 2
