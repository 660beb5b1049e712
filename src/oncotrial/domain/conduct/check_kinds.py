"""The kinds of edit check (issue 7 §2): frozen values that say what they test, run over one record
and a context of subject-level facts, and return a `CheckFailure` instead of raising. The platform
catalogue that uses them is `oncotrial.domain.conduct.edit_checks`.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, Literal

Severity = Literal["reject", "query"]


@dataclass(frozen=True)
class When:
    """A condition on the record: `field` has one of `values` (a check applies only then)."""

    field: str
    values: tuple[Any, ...]

    def holds(self, record: Mapping[str, Any]) -> bool:
        return record.get(self.field) in self.values

    @property
    def description(self) -> str:
        shown = " or ".join(repr(v) for v in self.values)
        return f"when {self.field} is {shown}"


@dataclass(frozen=True)
class CheckFailure:
    """One failed check on one record: which check, which field, what is wrong, how severe."""

    check_id: str
    form: str
    field: str
    message: str
    severity: Severity
    value: Any = None

    def to_dict(self) -> dict:
        return {"check_id": self.check_id, "form": self.form, "field": self.field,
                "message": self.message, "severity": self.severity}


@dataclass(frozen=True)
class _Check:
    id: str
    form: str
    field: str
    severity: Severity
    when: When | None

    def applies(self, record: Mapping[str, Any]) -> bool:
        return self.when is None or self.when.holds(record)

    def _fail(self, message: str, value: Any = None) -> CheckFailure:
        return CheckFailure(self.id, self.form, self.field, message, self.severity, value)


@dataclass(frozen=True)
class Required(_Check):
    """The field must have a value (optionally only `when` a condition holds: "required if")."""

    label: str = ""

    @property
    def description(self) -> str:
        tail = f" {self.when.description}" if self.when else ""
        return f"{self.label or self.field} is required{tail}."

    def run(self, record, context) -> CheckFailure | None:
        if _blank(record.get(self.field)):
            return self._fail(self.description)
        return None


@dataclass(frozen=True)
class Range(_Check):
    """A number between `minimum` and `maximum` (inclusive); a non-number always fails."""

    minimum: float | None = None
    maximum: float | None = None
    unit: str = ""
    integer: bool = False

    @property
    def _bounds(self) -> str:
        low = "" if self.minimum is None else f"at least {self.minimum:g}"
        high = "" if self.maximum is None else f"at most {self.maximum:g}"
        return " and ".join(part for part in (low, high) if part)

    @property
    def description(self) -> str:
        kind = "a whole number" if self.integer else "a number"
        bounds = self._bounds
        return f"{self.field} must be {kind}{' ' + bounds if bounds else ''}{_unit(self.unit)}."

    def run(self, record, context) -> CheckFailure | None:
        value = record.get(self.field)
        if _blank(value):
            return None
        number = _as_number(value)
        if number is None or (self.integer and number != int(number)):
            kind = "a whole number" if self.integer else "a number"
            return self._fail(f"{self.field} must be {kind}, not {_shown(value)}.", value)
        if (self.minimum is not None and number < self.minimum) or (
            self.maximum is not None and number > self.maximum
        ):
            return self._fail(f"{self.field} is {number:g}{_unit(self.unit)}; it must be "
                              f"{self._bounds}{_unit(self.unit)}.", value)
        return None


@dataclass(frozen=True)
class OneOf(_Check):
    """The value must be one of `values` (a code list)."""

    values: tuple[Any, ...] = ()

    @property
    def description(self) -> str:
        return f"{self.field} must be one of {', '.join(str(v) for v in self.values)}."

    def run(self, record, context) -> CheckFailure | None:
        value = record.get(self.field)
        if _blank(value) or value in self.values:
            return None
        return self._fail(f"{self.field} is {_shown(value)}; " + self.description[len(self.field) + 1:],
                          value)


@dataclass(frozen=True)
class DateOrder(_Check):
    """The field's date is on or after (or strictly after) a reference date.

    The reference is another field of the same record (`reference_field`) or a subject-level fact
    from another form (`context_key`, e.g. "consent_date", "randomization_date"): a cross-form check.
    A missing reference skips the check (the other form is not entered yet).
    """

    reference_field: str = ""
    context_key: str = ""
    reference_label: str = ""
    strictly_after: bool = False

    @property
    def description(self) -> str:
        relation = "after" if self.strictly_after else "on or after"
        return f"{self.field} must be {relation} {self._reference_name}."

    @property
    def _reference_name(self) -> str:
        return self.reference_label or (self.reference_field or self.context_key).replace("_", " ")

    def run(self, record, context) -> CheckFailure | None:
        value = record.get(self.field)
        if _blank(value):
            return None
        day = _as_date(value)
        if day is None:
            return self._fail(f"{self.field} must be a date (YYYY-MM-DD), not {_shown(value)}.", value)
        source = record if self.reference_field else context
        reference = _as_date(source.get(self.reference_field or self.context_key))
        if reference is None:
            return None
        if day < reference or (self.strictly_after and day == reference):
            relation = "on or before" if self.strictly_after else "before"
            return self._fail(f"{self.field} {day.isoformat()} is {relation} "
                              f"{self._reference_name} ({reference.isoformat()}).", value)
        return None


@dataclass(frozen=True)
class MemberOf(_Check):
    """The value must be in a collection from the context (e.g. lesion ids recorded at baseline)."""

    context_key: str = ""
    collection_label: str = ""

    @property
    def description(self) -> str:
        return f"{self.field} must be one of the {self.collection_label or self.context_key}."

    def run(self, record, context) -> CheckFailure | None:
        value = record.get(self.field)
        allowed = context.get(self.context_key)
        items = list(value) if isinstance(value, list | tuple | set | frozenset) else [value]
        missing = [item for item in items if not _blank(item) and item not in allowed] \
            if allowed is not None else []
        if not missing:
            return None
        shown = ", ".join(sorted(str(v) for v in allowed)) or "none"
        named = missing[0] if len(missing) == 1 else ", ".join(str(v) for v in missing)
        return self._fail(f"{self.field} {named!r} is not among the "
                          f"{self.collection_label or self.context_key} ({shown}).", value)


@dataclass(frozen=True)
class RelativeLimit(_Check):
    """A number at most `max_ratio` × a reference (e.g. dose ≤ 1.1 × the prescribed dose)."""

    context_key: str = ""
    max_ratio: float = 1.0
    reference_label: str = ""

    @property
    def description(self) -> str:
        return (f"{self.field} should be at most {self.max_ratio * 100:g}% of the "
                f"{self.reference_label or self.context_key}.")

    def run(self, record, context) -> CheckFailure | None:
        value, reference = _as_number(record.get(self.field)), _as_number(context.get(self.context_key))
        if value is None or reference is None or reference <= 0:
            return None
        if value > self.max_ratio * reference:
            return self._fail(f"{self.field} {value:g} is {100 * value / reference:.0f}% of the "
                              f"{self.reference_label or self.context_key} ({reference:g}); "
                              "please confirm.", record.get(self.field))
        return None


@dataclass(frozen=True)
class DateWithin(_Check):
    """A date no earlier than the context's `earliest_key` and no later than its `latest_key`: a
    date that must lie in the past is not after today at the site, and none is before the subject's
    year of birth (a missing context value skips that side)."""

    earliest_key: str = "earliest_date"
    latest_key: str = "today"

    @property
    def description(self) -> str:
        return f"{self.field} must be on or after the year of birth and not after today at the site."

    def run(self, record, context) -> CheckFailure | None:
        value = record.get(self.field)
        day = None if _blank(value) else _as_date(value)
        if day is None:
            return None  # blank, or not a date: Required / DateOrder report it
        earliest, latest = _as_date(context.get(self.earliest_key)), _as_date(context.get(self.latest_key))
        if latest is not None and day > latest:
            return self._fail(f"{self.field} {day.isoformat()} is in the future (today at the site is "
                              f"{latest.isoformat()}); it must be on or before {latest.isoformat()}.", value)
        if earliest is not None and day < earliest:
            return self._fail(f"{self.field} {day.isoformat()} is before {earliest.isoformat()} (the year "
                              "of birth); it must be on or after it.", value)
        return None


EditCheck = Required | Range | OneOf | DateOrder | MemberOf | RelativeLimit | DateWithin


def _shown(value) -> str:
    """A value as the user typed it: text quoted, numbers and dates as written (never a Python repr
    such as ``Decimal('1000.5')``)."""
    if isinstance(value, str):
        return repr(value)
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return f"'{value}'"


def _blank(value) -> bool:
    if isinstance(value, list | tuple | set | frozenset):
        return not value
    return value is None or (isinstance(value, str) and not value.strip())


def _as_number(value) -> float | None:
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, str) and len(value) > 64:
        return None  # no plausible measurement is written with this many characters
    try:
        number = float(value)
    except (TypeError, ValueError, OverflowError):  # float(10 ** 400) overflows
        return None
    return number if math.isfinite(number) else None


def _as_date(value) -> date | None:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    if isinstance(value, str):
        try:
            return date.fromisoformat(value.strip())
        except ValueError:
            return None
    return None


def _unit(unit: str) -> str:
    return f" {unit}" if unit else ""
