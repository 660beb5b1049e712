"""Eligibility evaluated from a protocol's structured criteria.

Each criterion reads one screening fact (``age_years``, ``ecog``, ``anc`` …) and compares it with the
protocol's value. An inclusion criterion must hold; an exclusion criterion must not. A criterion with
no structured form (no ``field``), or whose fact was not recorded, needs the investigator's judgement
and is reported as ``unknown``, so a subject is eligible only when every criterion was decided
(ICH E6(R3) 2.7: eligibility is confirmed, never assumed).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

from oncotrial.domain.protocol.model import EligibilityCriterion
from oncotrial.errors import InvalidInput

Outcome = Literal["met", "not_met", "unknown"]


@dataclass(frozen=True)
class CriterionResult:
    """One criterion's outcome for one subject, with the reason in plain words."""

    criterion: EligibilityCriterion
    outcome: Outcome
    reason: str


@dataclass(frozen=True)
class EligibilityResult:
    """All criteria for one subject: eligible only when none failed and none is undecided."""

    results: tuple[CriterionResult, ...]

    @property
    def eligible(self) -> bool:
        return all(result.outcome == "met" for result in self.results)

    @property
    def failed(self) -> tuple[CriterionResult, ...]:
        return tuple(r for r in self.results if r.outcome == "not_met")

    @property
    def undecided(self) -> tuple[CriterionResult, ...]:
        return tuple(r for r in self.results if r.outcome == "unknown")

    def reasons_ineligible(self) -> tuple[str, ...]:
        """The reasons to record in the screening log when the subject is not eligible."""
        return tuple(r.reason for r in self.failed + self.undecided)


def evaluate_eligibility(
    criteria: tuple[EligibilityCriterion, ...],
    facts: Mapping[str, Any],
    judgements: Mapping[str, bool] | None = None,
) -> EligibilityResult:
    """Evaluate every criterion against a subject's screening facts.

    ``judgements`` maps criterion id to the investigator's decision ("criterion holds") for
    criteria without a structured form or whose fact was not collected.

    >>> from oncotrial.protocols import load_builtin_protocol
    >>> p = load_builtin_protocol("crlm-sbrt-sintilimab")
    >>> evaluate_eligibility(p.eligibility[:1], {"age_years": 17}).failed[0].reason
    'Age 18 years or older: age_years is 17, needs >= 18'
    """
    judgements = judgements or {}
    return EligibilityResult(tuple(_evaluate(c, facts, judgements) for c in criteria))


def _evaluate(criterion: EligibilityCriterion, facts: Mapping[str, Any], judgements) -> CriterionResult:
    if criterion.id in judgements:
        holds = bool(judgements[criterion.id])
        how = "investigator judged it present" if holds else "investigator judged it absent"
    elif not criterion.field or criterion.operator is None or facts.get(criterion.field) is None:
        missing = f"{criterion.field} not recorded" if criterion.field else "needs the investigator's judgement"
        return CriterionResult(criterion, "unknown", f"{criterion.text}: {missing}")
    else:
        value = facts[criterion.field]
        holds = compare(value, criterion.operator, criterion.value, criterion.field)
        how = f"{criterion.field} is {_show(value)}"
    met = holds if criterion.kind == "inclusion" else not holds
    if met:
        return CriterionResult(criterion, "met", f"{criterion.text}: {how}")
    need = _requirement(criterion)
    return CriterionResult(criterion, "not_met", f"{criterion.text}: {how}, {need}")


def compare(value: Any, operator: str, expected: Any, field: str = "value") -> bool:
    """Apply a criterion's operator; a value of the wrong type is an error naming the field."""
    if operator in ("is_true", "is_false"):
        if not isinstance(value, bool):
            raise InvalidInput(f"{field} must be true or false, got {value!r}", field=field)
        return value is (operator == "is_true")
    if operator in ("in", "not_in"):
        return (value in expected) is (operator == "in")
    if operator in (">=", "<=", ">", "<") and (
        isinstance(value, bool) or not isinstance(value, int | float)
    ):
        raise InvalidInput(f"{field} must be a number, got {value!r}", field=field)
    return {
        ">=": lambda: value >= expected,
        "<=": lambda: value <= expected,
        ">": lambda: value > expected,
        "<": lambda: value < expected,
        "==": lambda: value == expected,
        "!=": lambda: value != expected,
    }[operator]()


def _requirement(criterion: EligibilityCriterion) -> str:
    if criterion.kind == "exclusion":
        return "which excludes the subject"
    if criterion.operator in ("is_true", "is_false"):
        return f"needs {criterion.operator == 'is_true'}".lower()
    if criterion.operator in ("in", "not_in"):
        word = "one of" if criterion.operator == "in" else "none of"
        return f"needs {word} {', '.join(map(str, criterion.value))}"
    unit = f" {criterion.unit}" if criterion.unit and criterion.unit != "years" else ""
    return f"needs {criterion.operator} {_show(criterion.value)}{unit}"


def _show(value: Any) -> str:
    return str(value).lower() if isinstance(value, bool) else str(value)
