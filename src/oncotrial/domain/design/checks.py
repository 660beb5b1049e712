"""Input checks shared by the design functions: each names the argument and what would work."""

from __future__ import annotations

import math

from oncotrial.errors import InvalidInput


def check_probability_pair(p0: float, p1: float, *, names: tuple[str, str] = ("p0", "p1")) -> None:
    """Both rates in (0, 1) and the hoped-for rate above the null rate."""
    for name, value in zip(names, (p0, p1), strict=True):
        if not _is_number(value) or not 0.0 < value < 1.0:
            raise InvalidInput(f"{name} is {value!r}; it must be a proportion strictly between 0 and 1",
                               field=name, hint=f"e.g. --{name} 0.3")
    if p1 <= p0:
        raise InvalidInput(
            f"{names[1]} = {p1} is not above {names[0]} = {p0}; the design tests "
            f"{names[0]} against a better rate {names[1]} > {names[0]}",
            field=names[1], hint=f"choose {names[1]} between {p0} and 1, e.g. {min(0.99, p0 + 0.2):.2f}")


def check_error_rates(alpha: float, beta: float) -> None:
    """Type I error in (0, 0.5) and type II error in (0, 0.5) (power above one half)."""
    check_alpha(alpha)
    if not _is_number(beta) or not 0.0 < beta < 0.5:
        raise InvalidInput(f"beta (1 - power) is {beta!r}; it must lie in (0, 0.5), i.e. power in (0.5, 1)",
                           field="power", hint="power 0.8 or 0.9 are usual")


def check_alpha(alpha: float, name: str = "alpha") -> None:
    """A significance level strictly between 0 and 0.5 (one-sided or per side), else `InvalidInput`."""
    if not _is_number(alpha) or not 0.0 < alpha < 0.5:
        raise InvalidInput(f"{name} is {alpha!r}; it must lie strictly between 0 and 0.5",
                           field=name, hint="one-sided 0.025 or 0.05, two-sided 0.05 are usual")


def check_positive(value: float, name: str, *, allow_zero: bool = False, unit: str = "") -> None:
    """A finite positive (or non-negative) number such as an accrual or follow-up time."""
    low_ok = value >= 0 if allow_zero else value > 0
    if not _is_number(value) or not math.isfinite(value) or not low_ok:
        bound = ">= 0" if allow_zero else "> 0"
        raise InvalidInput(f"{name} is {value!r}; it must be a finite number {bound}{unit}",
                           field=name, hint=f"give {name} in months, e.g. 24")


def check_hazard_ratio(hazard_ratio: float, name: str = "hazard_ratio") -> None:
    """A hazard ratio that is positive and not 1 (a design needs an effect to size for)."""
    if not _is_number(hazard_ratio) or hazard_ratio <= 0.0 or hazard_ratio == 1.0:
        raise InvalidInput(f"{name} is {hazard_ratio!r}; it must be positive and not 1",
                           field=name, hint="e.g. 0.6 for a 40 % lower hazard on treatment")


def _is_number(value) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and not math.isnan(value)
