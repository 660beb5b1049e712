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

from collections.abc import Mapping
from typing import Any

from oncotrial.domain.conduct.check_kinds import (
    CheckFailure,
    DateOrder,
    DateWithin,
    EditCheck,
    MemberOf,
    OneOf,
    Range,
    RelativeLimit,
    Required,
    When,
)
from oncotrial.errors import InvalidInput


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



# --- The platform catalogue: one tuple of checks per eCRF form -------------------------------------
# Context keys the web services fill from other forms: consent_date, randomization_date,
# baseline_date, baseline_lesion_ids, treated_lesion_ids, procedure_date, prescribed_dose,
# term_grades (the grades the chosen CTCAE term defines), screening_date, today (at the site) and
# earliest_date (1 January of the year of birth).

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
        (DateWithin, "TA-13", "date", "reject", {}),
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
        (DateWithin, "DA-16", "date", "reject", {}),
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
        (DateWithin, "LT-12", "date", "reject", {}),
        (DateWithin, "LT-13", "end_date", "reject", {}),
        (Required, "LT-14", "kind", "reject", {"label": "procedure"}),
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
        (DateWithin, "AZ-05", "date", "reject", {}),
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
        (DateWithin, "AE-16", "start_date", "reject", {}),
        (DateWithin, "AE-17", "end_date", "reject", {}),
        (DateWithin, "AE-18", "awareness_date", "reject", {}),
        (DateOrder, "AE-19", "awareness_date", "reject", {"reference_field": "start_date",
                                                            "reference_label": "start date (onset)"}),
    ),
    "con_med": _form(
        "con_med",
        (Required, "CM-01", "name", "reject", {"label": "medication"}),
        (Required, "CM-02", "start_date", "reject", {"label": "start date"}),
        (DateOrder, "CM-03", "end_date", "reject", {"reference_field": "start_date",
                                                      "reference_label": "start date"}),
        (DateWithin, "CM-04", "start_date", "reject", {}),
        (DateWithin, "CM-05", "end_date", "reject", {}),
    ),
    "new_anticancer_therapy": _form(
        "new_anticancer_therapy",
        (Required, "NT-01", "description", "reject", {"label": "therapy"}),
        (Required, "NT-02", "start_date", "reject", {"label": "start date"}),
        (DateOrder, "NT-03", "start_date", "reject", _AFTER_CONSENT),
        (DateWithin, "NT-04", "start_date", "reject", {}),
    ),
    "death": _form(
        "death",
        (Required, "DE-01", "date", "reject", {"label": "date of death"}),
        (DateOrder, "DE-02", "date", "reject", _AFTER_CONSENT),
        (OneOf, "DE-03", "cause", "reject",
         {"values": ("disease_progression", "adverse_event", "other", "unknown")}),
        (DateWithin, "DE-04", "date", "reject", {}),
        (DateOrder, "DE-05", "date", "reject", {"context_key": "screening_date",
                                                  "reference_label": "screening date"}),
    ),
    "subject_status": _form(
        "subject_status",
        (OneOf, "SS-01", "status", "reject", {"values": ("withdrawn", "off_treatment", "off_study")}),
        (Required, "SS-02", "date", "reject", {}),
        (DateOrder, "SS-03", "date", "reject", _AFTER_CONSENT),
        (Required, "SS-04", "reason", "reject", {}),
        (DateWithin, "SS-05", "date", "reject", {}),
        (Required, "SS-06", "status", "reject", {}),
    ),
}
