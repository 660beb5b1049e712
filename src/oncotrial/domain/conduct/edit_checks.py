"""Edit checks declared as data, one engine to run them (issue 7 §2; clinicedc-lessons.md §6.1.5).

Each check is a frozen value with a stable `id`, the `form` and `field` it guards, a plain-English
`description` a data manager can read, and a `severity`:

- ``reject``: the value is impossible (wrong type, out of range, a date before consent); the save is
  refused and nothing is written;
- ``query``: the value is possible but needs confirmation; the save goes through and a query is opened
  automatically, closed automatically when a re-run no longer fails (edc-systems.md §3.4).

`run_edit_checks(form, record, context)` runs a form's checks over one record (a mapping of field
values) and a context of subject-level facts from other forms (consent, randomization and first dose
dates, baseline lesion ids, ...), so cross-form checks need no database. The checks never raise for
bad data: they return `CheckFailure` values; the web services decide what to do with them.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, Literal

from oncotrial.errors import InvalidInput

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
            return self._fail(f"{self.field} must be {kind}, not {value!r}.", value)
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
        return self._fail(f"{self.field} is {value!r}; " + self.description[len(self.field) + 1:],
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
            return self._fail(f"{self.field} must be a date (YYYY-MM-DD), not {value!r}.", value)
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


EditCheck = Required | Range | OneOf | DateOrder | MemberOf | RelativeLimit


def run_edit_checks(
    form: str,
    record: Mapping[str, Any],
    context: Mapping[str, Any] | None = None,
    checks: Mapping[str, tuple[EditCheck, ...]] | None = None,
) -> tuple[CheckFailure, ...]:
    """Run every check declared for `form` over one record; return the failures in declaration order.

    `checks` defaults to the platform catalogue `EDIT_CHECKS` (pass your own mapping to test or
    extend it). At most one failure per field is
    returned: the first failing check for a field hides the later ones, so a wrong type is not also
    reported as out of range.

    >>> run_edit_checks("death", {"date": "2024-01-01"}, {"consent_date": "2024-02-01"})[0].message
    'date 2024-01-01 is before consent date (2024-02-01).'
    """
    catalogue = EDIT_CHECKS if checks is None else checks
    if form not in catalogue:
        raise InvalidInput(f"no edit checks are declared for form {form!r}", field="form",
                           hint=f"Forms with checks: {', '.join(sorted(catalogue))}.")
    context = context or {}
    failures: list[CheckFailure] = []
    failed_fields: set[str] = set()
    for check in catalogue[form]:
        if check.field in failed_fields or not check.applies(record):
            continue
        failure = check.run(record, context)
        if failure is not None:
            failures.append(failure)
            failed_fields.add(check.field)
    return tuple(failures)


def describe_edit_checks(checks: Mapping[str, tuple[EditCheck, ...]] | None = None) -> list[dict]:
    """The catalogue as rows (id, form, field, severity, description) for docs and the check list."""
    catalogue = EDIT_CHECKS if checks is None else checks
    return [
        {"id": c.id, "form": form, "field": c.field, "severity": c.severity,
         "description": c.description}
        for form, form_checks in catalogue.items()
        for c in form_checks
    ]


def _blank(value) -> bool:
    if isinstance(value, list | tuple | set | frozenset):
        return not value
    return value is None or (isinstance(value, str) and not value.strip())


def _as_number(value) -> float | None:
    if value is None or isinstance(value, bool):
        return None
    try:
        number = float(value)
    except (TypeError, ValueError):
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



# --- The platform catalogue: one tuple of checks per eCRF form -------------------------------------
# Context keys the web services fill from other forms: consent_date, randomization_date,
# baseline_date, baseline_lesion_ids, treated_lesion_ids, procedure_date, prescribed_dose,
# term_grades (the grades the chosen CTCAE term defines).

RESPONSES = ("CR", "PR", "SD", "PD", "NE", "NON-CR/NON-PD")
METHODS = ("CT", "MRI", "PET-CT", "CALIPER", "X-RAY", "US")
AMOUNT_UNITS = ("mg", "g", "mcg")
ATTRIBUTIONS = ("unrelated", "unlikely", "possible", "probable", "definite")
AE_OUTCOMES = ("recovered", "recovering", "not_recovered", "recovered_with_sequelae", "fatal",
               "unknown")
AE_ACTIONS = ("none", "dose_reduced", "interrupted", "delayed", "withdrawn", "not_applicable")
DOSE_ACTIONS = ("given", "delayed", "reduced", "held", "discontinued")
FOLLOW_UP = When("is_baseline", (False,))
BASELINE = When("is_baseline", (True,))
_AFTER_CONSENT = {"context_key": "consent_date", "reference_label": "consent date"}


def _form(form: str, *checks: tuple) -> tuple[EditCheck, ...]:
    """Build a form's checks from (class, id, field, severity, options) rows."""
    built = []
    for kind, check_id, field, severity, options in checks:
        options = dict(options)
        when = options.pop("when", None)
        built.append(kind(id=check_id, form=form, field=field, severity=severity, when=when,
                          **options))
    return tuple(built)


EDIT_CHECKS: dict[str, tuple[EditCheck, ...]] = {
    "tumour_assessment": _form(
        "tumour_assessment",
        (Required, "TA-01", "visit", "reject", {}),
        (Required, "TA-02", "date", "reject", {"label": "assessment date"}),
        (DateOrder, "TA-03", "date", "reject", {**_AFTER_CONSENT, "when": FOLLOW_UP}),
        (DateOrder, "TA-04", "date", "query", {**_AFTER_CONSENT, "when": BASELINE}),
        (DateOrder, "TA-05", "date", "reject", {"context_key": "baseline_date",
                                                  "reference_label": "baseline assessment date",
                                                  "strictly_after": True, "when": FOLLOW_UP}),
        (Required, "TA-06", "method", "reject", {"label": "imaging method"}),
        (OneOf, "TA-07", "method", "reject", {"values": METHODS}),
        (Range, "TA-08", "cea", "reject", {"minimum": 0, "maximum": 100000, "unit": "ng/mL"}),
        (Range, "TA-09", "cea", "query", {"maximum": 1000, "unit": "ng/mL"}),
        (Range, "TA-10", "cea_uln", "reject", {"minimum": 0.5, "maximum": 20, "unit": "ng/mL"}),
        (Required, "TA-11", "investigator_response", "query",
         {"label": "investigator's response", "when": FOLLOW_UP}),
        (OneOf, "TA-12", "investigator_response", "reject", {"values": RESPONSES}),
    ),
    "lesion": _form(
        "lesion",
        (Required, "LE-01", "lesion_id", "reject", {"label": "lesion id"}),
        (Required, "LE-02", "organ", "reject", {}),
        (OneOf, "LE-03", "axis", "reject", {"values": ("short",),
                                              "when": When("is_lymph_node", (True,))}),
        (OneOf, "LE-04", "axis", "reject", {"values": ("long", "short")}),
        (Range, "LE-05", "size_mm", "reject", {"minimum": 0, "maximum": 400, "unit": "mm"}),
        (Required, "LE-06", "size_mm", "reject", {"label": "size (mm)",
                                                    "when": When("role", ("target",))}),
        (OneOf, "LE-07", "role", "reject", {"values": ("target", "non_target")}),
        (MemberOf, "LE-08", "lesion_id", "reject", {"context_key": "baseline_lesion_ids",
                                                      "collection_label": "lesions recorded at baseline",
                                                      "when": FOLLOW_UP}),
        (OneOf, "LE-09", "non_target_state", "reject",
         {"values": ("absent", "present", "unequivocal_progression", "not_evaluated")}),
    ),
    "new_lesion": _form(
        "new_lesion",
        (Required, "NL-01", "lesion_id", "reject", {"label": "new lesion id"}),
        (OneOf, "NL-02", "certainty", "reject", {"values": ("equivocal", "unequivocal", "resolved")}),
        (Range, "NL-03", "size_mm", "reject", {"minimum": 0, "maximum": 400, "unit": "mm"}),
    ),
    "dose_administration": _form(
        "dose_administration",
        (Required, "DA-01", "drug", "reject", {}),
        (Required, "DA-02", "date", "reject", {"label": "administration date"}),
        (DateOrder, "DA-03", "date", "reject", _AFTER_CONSENT),
        (DateOrder, "DA-04", "date", "reject", {"context_key": "randomization_date",
                                                  "reference_label": "randomization date"}),
        (OneOf, "DA-05", "action", "reject", {"values": DOSE_ACTIONS}),
        (Required, "DA-06", "dose", "reject", {"when": When("action", ("given", "delayed", "reduced"))}),
        (Range, "DA-07", "dose", "reject", {"minimum": 0, "maximum": 20000}),
        (Required, "DA-08", "unit", "reject", {"label": "dose unit",
                                                 "when": When("action", ("given", "delayed", "reduced"))}),
        (OneOf, "DA-09", "unit", "reject", {"values": AMOUNT_UNITS}),
        (Range, "DA-10", "height_cm", "reject", {"minimum": 100, "maximum": 230, "unit": "cm"}),
        (Range, "DA-11", "weight_kg", "reject", {"minimum": 25, "maximum": 250, "unit": "kg"}),
        (Range, "DA-12", "reduction_percent", "reject", {"minimum": 0, "maximum": 90, "unit": "%"}),
        (Required, "DA-13", "reason", "reject",
         {"label": "reason", "when": When("action", ("delayed", "reduced", "held", "discontinued"))}),
        (RelativeLimit, "DA-14", "dose", "query", {"context_key": "prescribed_dose", "max_ratio": 1.1,
                                                     "reference_label": "prescribed dose"}),
        (Range, "DA-15", "delay_days", "reject", {"minimum": 0, "maximum": 120, "integer": True}),
    ),
    "local_therapy": _form(
        "local_therapy",
        (OneOf, "LT-01", "kind", "reject", {"values": ("MWA", "RFA", "SBRT")}),
        (Required, "LT-02", "date", "reject", {"label": "procedure date"}),
        (DateOrder, "LT-03", "date", "reject", _AFTER_CONSENT),
        (DateOrder, "LT-04", "end_date", "reject", {"reference_field": "date",
                                                      "reference_label": "first fraction date"}),
        (Required, "LT-05", "dose_gy", "reject", {"label": "SBRT dose (Gy)", "when": When("kind", ("SBRT",))}),
        (Range, "LT-06", "dose_gy", "reject", {"minimum": 5, "maximum": 100, "unit": "Gy"}),
        (Required, "LT-07", "fractions", "reject", {"when": When("kind", ("SBRT",))}),
        (Range, "LT-08", "fractions", "reject", {"minimum": 1, "maximum": 15, "integer": True}),
        (Required, "LT-09", "lesion_ids", "reject", {"label": "lesions treated"}),
        (MemberOf, "LT-11", "lesion_ids", "reject", {"context_key": "baseline_lesion_ids",
                                                       "collection_label": "lesions recorded at baseline"}),
        (Required, "LT-10", "technical_success", "query",
         {"label": "technical success", "when": When("kind", ("MWA", "RFA"))}),
    ),
    "ablation_zone_assessment": _form(
        "ablation_zone_assessment",
        (MemberOf, "AZ-01", "lesion_id", "reject", {"context_key": "treated_lesion_ids",
                                                      "collection_label": "locally treated lesions"}),
        (Required, "AZ-02", "date", "reject", {"label": "imaging date"}),
        (DateOrder, "AZ-03", "date", "reject", {"context_key": "procedure_date",
                                                  "reference_label": "date of the treating procedure"}),
        (OneOf, "AZ-04", "finding", "reject",
         {"values": ("COMPLETE", "RESIDUAL", "LTP", "EQUIVOCAL", "NOT_EVALUABLE")}),
    ),
    "adverse_event": _form(
        "adverse_event",
        (Required, "AE-01", "term", "reject", {"label": "CTCAE term"}),
        (Required, "AE-02", "grade", "reject", {}),
        (Range, "AE-03", "grade", "reject", {"minimum": 1, "maximum": 5, "integer": True}),
        (MemberOf, "AE-04", "grade", "reject", {"context_key": "term_grades",
                                                  "collection_label": "grades this CTCAE term defines"}),
        (Required, "AE-05", "start_date", "reject", {"label": "start date"}),
        (DateOrder, "AE-06", "start_date", "reject", _AFTER_CONSENT),
        (DateOrder, "AE-07", "end_date", "reject", {"reference_field": "start_date",
                                                      "reference_label": "start date"}),
        (OneOf, "AE-08", "outcome", "reject", {"values": AE_OUTCOMES}),
        (OneOf, "AE-09", "outcome", "reject", {"values": ("fatal",), "when": When("grade", (5,))}),
        (OneOf, "AE-10", "action", "reject", {"values": AE_ACTIONS}),
        (Required, "AE-11", "serious_criterion", "reject",
         {"label": "seriousness criterion", "when": When("serious", (True,))}),
        (OneOf, "AE-12", "attribution_anti_pd1", "reject", {"values": ATTRIBUTIONS}),
        (OneOf, "AE-13", "attribution_chemotherapy", "reject", {"values": ATTRIBUTIONS}),
        (OneOf, "AE-14", "attribution_procedure", "reject", {"values": ATTRIBUTIONS}),
        (Required, "AE-15", "end_date", "query", {"label": "end date",
                                                    "when": When("outcome", ("recovered",))}),
    ),
    "con_med": _form(
        "con_med",
        (Required, "CM-01", "name", "reject", {"label": "medication"}),
        (Required, "CM-02", "start_date", "reject", {"label": "start date"}),
        (DateOrder, "CM-03", "end_date", "reject", {"reference_field": "start_date",
                                                      "reference_label": "start date"}),
    ),
    "new_anticancer_therapy": _form(
        "new_anticancer_therapy",
        (Required, "NT-01", "description", "reject", {"label": "therapy"}),
        (Required, "NT-02", "start_date", "reject", {"label": "start date"}),
        (DateOrder, "NT-03", "start_date", "reject", _AFTER_CONSENT),
    ),
    "death": _form(
        "death",
        (Required, "DE-01", "date", "reject", {"label": "date of death"}),
        (DateOrder, "DE-02", "date", "reject", _AFTER_CONSENT),
        (OneOf, "DE-03", "cause", "reject",
         {"values": ("disease_progression", "adverse_event", "other", "unknown")}),
    ),
    "subject_status": _form(
        "subject_status",
        (OneOf, "SS-01", "status", "reject", {"values": ("withdrawn", "off_treatment", "off_study")}),
        (Required, "SS-02", "date", "reject", {}),
        (DateOrder, "SS-03", "date", "reject", _AFTER_CONSENT),
        (Required, "SS-04", "reason", "reject", {}),
    ),
}
