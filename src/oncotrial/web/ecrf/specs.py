"""The eCRF forms as data: each field's name, type, label and choices.

One declaration drives the parsing of page and API input (a wrong type is reported per field and
nothing is saved), the generic form pages, the API schemas and the SDV / signature snapshots. The
field names are the ones the edit-check catalogue (`oncotrial.domain.conduct.edit_checks`) uses.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from oncotrial.domain.conduct import edit_checks as ec
from oncotrial.errors import InvalidInput

ANTI_PD1, CHEMO, PROCEDURE = "attribution_anti_pd1", "attribution_chemotherapy", "attribution_procedure"


@dataclass(frozen=True)
class FieldSpec:
    """One eCRF field: `kind` is text, date, decimal, integer, choice, bool or list (of ids)."""

    name: str
    kind: str
    label: str
    choices: tuple[str, ...] = ()
    help: str = ""
    max_length: int = 200


@dataclass(frozen=True)
class FormSpec:
    name: str
    label: str
    model: str
    fields: tuple[FieldSpec, ...]
    visit_field: str = ""

    def field(self, name: str) -> FieldSpec:
        return next(f for f in self.fields if f.name == name)

    @property
    def field_names(self) -> tuple[str, ...]:
        return tuple(f.name for f in self.fields)


def F(name, kind="text", label="", choices=(), help="", max_length=200):  # noqa: N802 - table helper
    return FieldSpec(name, kind, label or name.replace("_", " ").capitalize(), tuple(choices), help,
                     max_length)


LESION_FIELDS = (
    F("lesion_id", label="Lesion id", max_length=16), F("kind", "choice", "Row", ("target", "non_target", "new")),
    F("organ", max_length=64), F("location"), F("is_lymph_node", "bool", "Lymph node"),
    F("axis", "choice", choices=("long", "short")), F("size_mm", "decimal", "Size (mm)"),
    F("result", "choice", choices=("measured", "too_small", "disappeared", "not_evaluated")),
    F("non_target_state", "choice", "Non-target status",
      ("absent", "present", "unequivocal_progression", "not_evaluated")),
    F("certainty", "choice", "New lesion", ("equivocal", "unequivocal", "resolved")),
    F("treated_by", "choice", "Local therapy", ("none", "MWA", "RFA", "SBRT")),
)

FORMS: dict[str, FormSpec] = {spec.name: spec for spec in (
    FormSpec("tumour_assessment", "Tumour assessment", "TumourAssessment", (
        F("visit", max_length=32), F("date", "date", "Assessment date"),
        F("method", "choice", "Imaging method", ec.METHODS),
        F("is_baseline", "bool", "Baseline assessment"), F("cea", "decimal", "CEA (ng/mL)"),
        F("cea_uln", "decimal", "CEA upper limit of normal (ng/mL)"),
        F("investigator_response", "choice", "Investigator's response", ec.RESPONSES),
        F("comment", max_length=2000),
    ), visit_field="visit"),
    FormSpec("dose_administration", "Treatment given", "DoseAdministration", (
        F("drug", max_length=64), F("date", "date", "Administration date"),
        F("action", "choice", choices=ec.DOSE_ACTIONS),
        F("dose", "decimal", "Dose given"), F("unit", "choice", "Dose unit", ec.AMOUNT_UNITS),
        F("height_cm", "decimal", "Height (cm)"), F("weight_kg", "decimal", "Weight (kg)"),
        F("reduction_percent", "decimal", "Dose reduction (%)"), F("delay_days", "integer", "Delay (days)"),
        F("reason", label="Reason for delay, reduction or hold"),
    ), visit_field="date"),
    FormSpec("local_therapy", "Local therapy", "LocalTherapy", (
        F("kind", "choice", "Procedure", ("MWA", "RFA", "SBRT")), F("date", "date", "Date (first fraction)"),
        F("end_date", "date", "Last fraction date"), F("lesion_ids", "list", "Lesions treated",
                                                        help="comma-separated lesion ids"),
        F("technique", max_length=100), F("technical_success", "bool", "Technical success"),
        F("dose_gy", "decimal", "SBRT dose (Gy)"), F("fractions", "integer"),
    ), visit_field="date"),
    FormSpec("ablation_zone_assessment", "Ablation-zone assessment", "AblationZoneAssessment", (
        F("lesion_id", label="Treated lesion id", max_length=16), F("date", "date", "Imaging date"),
        F("finding", "choice", choices=("COMPLETE", "RESIDUAL", "LTP", "EQUIVOCAL", "NOT_EVALUABLE")),
        F("technique_efficacy_scan", "bool", "Technique-efficacy scan"),
    ), visit_field="date"),
    FormSpec("adverse_event", "Adverse event", "AdverseEvent", (
        F("term", label="CTCAE term"), F("grade", "integer"), F("start_date", "date"),
        F("end_date", "date"), F("serious", "bool"),
        F("serious_criterion", "choice", "Seriousness criterion",
          ("death", "life_threatening", "hospitalisation", "disability", "congenital_anomaly", "other")),
        F("awareness_date", "date", "Site aware of SAE on"),
        F(ANTI_PD1, "choice", "Attribution: anti-PD-1", ec.ATTRIBUTIONS),
        F(CHEMO, "choice", "Attribution: chemotherapy", ec.ATTRIBUTIONS),
        F(PROCEDURE, "choice", "Attribution: ablation / SBRT", ec.ATTRIBUTIONS),
        F("immune_related", "bool", "Immune-related"),
        F("action", "choice", "Action taken", ec.AE_ACTIONS), F("outcome", "choice", choices=ec.AE_OUTCOMES),
    ), visit_field="start_date"),
    FormSpec("con_med", "Concomitant medication", "ConMed", (
        F("name", label="Medication"), F("indication"), F("dose_text", label="Dose and frequency"),
        F("start_date", "date"), F("end_date", "date"),
    ), visit_field="start_date"),
    FormSpec("new_anticancer_therapy", "New anticancer therapy", "NewAnticancerTherapy", (
        F("description", label="Therapy", max_length=300), F("start_date", "date"),
    ), visit_field="start_date"),
    FormSpec("death", "Death", "Death", (
        F("date", "date", "Date of death"),
        F("cause", "choice", choices=("disease_progression", "adverse_event", "other", "unknown")),
        F("cause_text", label="Cause (details)", max_length=300),
    ), visit_field="date"),
    FormSpec("subject_status", "Withdrawal / off treatment / off study", "SubjectStatusChange", (
        F("status", "choice", choices=("withdrawn", "off_treatment", "off_study")),
        F("date", "date"), F("reason"),
    ), visit_field="date"),
)}


def parse_value(spec: FieldSpec, raw: Any) -> Any:
    """One field's value in its type; raises ValueError with a message naming what is allowed."""
    if raw is None or (isinstance(raw, str) and not raw.strip()):
        return [] if spec.kind == "list" else None
    text = raw.strip() if isinstance(raw, str) else raw
    if spec.kind == "text":
        if len(str(text)) > spec.max_length:
            raise ValueError(f"is {len(str(text))} characters long; at most {spec.max_length} allowed")
        return str(text)
    if spec.kind == "choice":
        if text not in spec.choices:
            raise ValueError(f"is {text!r}; allowed: {', '.join(spec.choices)}")
        return text
    if spec.kind == "date":
        return _parse_date(text)
    if spec.kind == "decimal":
        return _parse_decimal(text)
    if spec.kind == "integer":
        number = _parse_decimal(text)
        if number != number.to_integral_value():
            raise ValueError(f"must be a whole number, not {raw!r}")
        return int(number)
    if spec.kind == "bool":
        return _parse_bool(text)
    if spec.kind == "list":
        items = text.split(",") if isinstance(text, str) else list(text)
        values = [str(item).strip() for item in items if str(item).strip()]
        if any(len(value) > 16 for value in values):
            raise ValueError("has an id longer than 16 characters")
        return values
    raise ValueError(f"unknown field kind {spec.kind}")


def parse_form(form: FormSpec, raw: Mapping[str, Any]) -> dict[str, Any]:
    """All fields of `form` from raw input; raises InvalidInput listing every bad field at once."""
    values, errors = {}, []
    for spec in form.fields:
        try:
            values[spec.name] = parse_value(spec, raw.get(spec.name))
        except ValueError as problem:
            errors.append({"field": spec.name, "message": f"{spec.label}: {problem}"})
    if errors:
        raise InvalidInput(errors[0]["message"], field=errors[0]["field"], errors=errors)
    return values


def _parse_date(text) -> dt.date:
    if isinstance(text, dt.datetime):
        return text.date()
    if isinstance(text, dt.date):
        return text
    try:
        return dt.date.fromisoformat(str(text))
    except ValueError:
        raise ValueError(f"must be a date as YYYY-MM-DD, not {text!r}") from None


def _parse_decimal(text) -> Decimal:
    if isinstance(text, bool):
        raise ValueError(f"must be a number, not {text!r}")
    try:
        number = Decimal(str(text))
    except InvalidOperation:
        raise ValueError(f"must be a number, not {text!r}") from None
    if not number.is_finite():
        raise ValueError(f"must be a finite number, not {text!r}")
    return number


def _parse_bool(text) -> bool:
    if isinstance(text, bool):
        return text
    lowered = str(text).lower()
    if lowered in ("true", "on", "yes", "1"):
        return True
    if lowered in ("false", "off", "no", "0"):
        return False
    raise ValueError(f"must be yes or no, not {text!r}")
