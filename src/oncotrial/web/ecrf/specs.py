"""The eCRF forms as data: each field's name, type, label and choices.

One declaration drives the parsing of page and API input (a wrong type is reported per field and
nothing is saved), the generic form pages, the API schemas and the SDV / signature snapshots. The
field names are the ones the edit-check catalogue (`oncotrial.domain.conduct.edit_checks`) uses.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, replace
from decimal import Decimal, InvalidOperation
from typing import Any

from django.utils.translation import pgettext_lazy

from oncotrial.domain.conduct import check_kinds
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
    minimum: float | None = None
    maximum: float | None = None

    @property
    def bounds(self) -> str:
        """The allowed range in words ("at least 1 and at most 5"), empty when none is declared."""
        low = "" if self.minimum is None else f"at least {self.minimum:g}"
        high = "" if self.maximum is None else f"at most {self.maximum:g}"
        return " and ".join(part for part in (low, high) if part)


# Coarse bounds checked on the raw text before a number is built: no declared range in the
# catalogue comes near them, and they keep every conversion after them cheap.
MAX_NUMBER_CHARS = 32
MAX_EXPONENT = 12
MAX_LIST_ITEMS = 20


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


# What a page shows for a stored choice code (the codes themselves are stored and exported as they
# are); codes that are standard abbreviations (CT, MRI, MWA, CR, mg ...) are shown as they are.
_C = "ecrf choice"
CHOICE_LABELS = {
    "target": pgettext_lazy(_C, "target"), "non_target": pgettext_lazy(_C, "non-target"),
    "new": pgettext_lazy(_C, "new"), "long": pgettext_lazy(_C, "long axis"),
    "short": pgettext_lazy(_C, "short axis"), "measured": pgettext_lazy(_C, "measured"),
    "too_small": pgettext_lazy(_C, "too small to measure"), "disappeared": pgettext_lazy(_C, "disappeared"),
    "not_evaluated": pgettext_lazy(_C, "not evaluated"), "absent": pgettext_lazy(_C, "absent"),
    "present": pgettext_lazy(_C, "present"),
    "unequivocal_progression": pgettext_lazy(_C, "unequivocal progression"),
    "equivocal": pgettext_lazy(_C, "equivocal"), "unequivocal": pgettext_lazy(_C, "unequivocal"),
    "resolved": pgettext_lazy(_C, "resolved"), "none": pgettext_lazy(_C, "none"),
    "given": pgettext_lazy(_C, "given"), "delayed": pgettext_lazy(_C, "delayed"),
    "reduced": pgettext_lazy(_C, "reduced"), "held": pgettext_lazy(_C, "held"),
    "discontinued": pgettext_lazy(_C, "discontinued"),
    "COMPLETE": pgettext_lazy(_C, "complete ablation"), "RESIDUAL": pgettext_lazy(_C, "residual tumour"),
    "LTP": pgettext_lazy(_C, "local tumour progression"), "EQUIVOCAL": pgettext_lazy(_C, "equivocal"),
    "NOT_EVALUABLE": pgettext_lazy(_C, "not evaluable"),
    "death": pgettext_lazy(_C, "death"), "life_threatening": pgettext_lazy(_C, "life-threatening"),
    "hospitalisation": pgettext_lazy(_C, "hospitalisation"), "disability": pgettext_lazy(_C, "disability"),
    "congenital_anomaly": pgettext_lazy(_C, "congenital anomaly"), "other": pgettext_lazy(_C, "other"),
    "unrelated": pgettext_lazy(_C, "unrelated"), "unlikely": pgettext_lazy(_C, "unlikely"),
    "possible": pgettext_lazy(_C, "possible"), "probable": pgettext_lazy(_C, "probable"),
    "definite": pgettext_lazy(_C, "definite"), "dose_reduced": pgettext_lazy(_C, "dose reduced"),
    "interrupted": pgettext_lazy(_C, "interrupted"), "withdrawn": pgettext_lazy(_C, "withdrawn"),
    "not_applicable": pgettext_lazy(_C, "not applicable"), "recovered": pgettext_lazy(_C, "recovered"),
    "recovering": pgettext_lazy(_C, "recovering"), "not_recovered": pgettext_lazy(_C, "not recovered"),
    "recovered_with_sequelae": pgettext_lazy(_C, "recovered with sequelae"), "fatal": pgettext_lazy(_C, "fatal"),
    "unknown": pgettext_lazy(_C, "unknown"), "disease_progression": pgettext_lazy(_C, "disease progression"),
    "adverse_event": pgettext_lazy(_C, "adverse event"), "off_treatment": pgettext_lazy(_C, "off treatment"),
    "off_study": pgettext_lazy(_C, "off study"),
}


def choice_label(code) -> str:
    """A stored choice code as the page shows it, in the user's language (unknown codes as they are)."""
    key = "" if code is None else str(code)
    found = CHOICE_LABELS.get(key)
    return str(found) if found is not None else key


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

def _with_ranges(form: str, fields: tuple[FieldSpec, ...]) -> tuple[FieldSpec, ...]:
    """Each number field with the range its reject-level `Range` check declares (one declaration:
    the edit-check catalogue), so parsing refuses an out-of-range magnitude before converting it."""
    ranges = {check.field: check for name in (form, "new_lesion") for check in ec.EDIT_CHECKS.get(name, ())
              if isinstance(check, check_kinds.Range) and check.severity == "reject" and check.when is None}
    return tuple(replace(spec, minimum=ranges[spec.name].minimum, maximum=ranges[spec.name].maximum)
                 if spec.kind in ("decimal", "integer") and spec.name in ranges else spec for spec in fields)


FORMS: dict[str, FormSpec] = {spec.name: replace(spec, fields=_with_ranges(spec.name, spec.fields)) for spec in (
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
        F("term", label="CTCAE term"),
        F("term_specify", label="Other, specify (what the AE was)", max_length=200),
        F("grade", "integer"), F("start_date", "date"),
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
LESION_FIELDS = _with_ranges("lesion", LESION_FIELDS)


def parse_value(spec: FieldSpec, raw: Any) -> Any:
    """One field's value in its type; raises ValueError with a message naming what is allowed.

    Sizes are checked before any conversion: a number's text length and exponent (``int()`` of
    ``Decimal("1e9999999")`` would build a ten-million-digit integer and hold the server), reported
    with the range the edit-check catalogue declares; a text's length and its characters (a lone
    UTF-16 surrogate cannot be stored); a list's number of items.
    """
    if raw is None or (isinstance(raw, str) and not raw.strip()):
        return [] if spec.kind == "list" else None
    text = raw.strip() if isinstance(raw, str) else raw
    if spec.kind == "text":
        return check_text(str(text), spec.max_length)
    if spec.kind == "choice":
        if text not in spec.choices:
            raise ValueError(f"is {_shown(text)}; allowed: {', '.join(spec.choices)}")
        return text
    if spec.kind == "date":
        return _parse_date(text)
    if spec.kind in ("decimal", "integer"):
        return _parse_number(spec, text)
    if spec.kind == "bool":
        return _parse_bool(text)
    if spec.kind == "list":
        return _parse_list(spec, text)
    raise ValueError(f"unknown field kind {spec.kind}")


def check_text(text: str, max_length: int) -> str:
    """`text` if it is at most `max_length` characters with no lone surrogate and no NUL; else ValueError."""
    if len(text) > max_length:
        raise ValueError(f"is {len(text)} characters long; at most {max_length} allowed")
    if any("\ud800" <= char <= "\udfff" for char in text):
        raise ValueError("holds a lone UTF-16 surrogate (an unpaired \\ud800-\\udfff), which is not a "
                         "character; retype the text")
    if "\x00" in text:
        raise ValueError("holds a NUL character (0x00), which no field may hold; remove it")
    return text


def _parse_list(spec: FieldSpec, text) -> list[str]:
    items = text.split(",", MAX_LIST_ITEMS + 1) if isinstance(text, str) else text
    if not isinstance(items, list | tuple) or len(items) > MAX_LIST_ITEMS:
        raise ValueError(f"must be a list of at most {MAX_LIST_ITEMS} ids")
    values = [check_text(str(item).strip(), 16) for item in items if str(item).strip()]
    return values


def _parse_number(spec: FieldSpec, text):
    """A bounded Decimal (or int for integers); the bound is checked on the text and the exponent
    before anything is computed from the value."""
    allowed = f"allowed: {spec.bounds}" if spec.bounds else "allowed: a number"
    if isinstance(text, bool) or not isinstance(text, str | int | float | Decimal):
        raise ValueError(f"must be a number, not {_shown(text)}")
    if isinstance(text, int) and abs(text) >= 10 ** MAX_NUMBER_CHARS:
        raise ValueError(f"has more than {MAX_NUMBER_CHARS} digits ({allowed})")
    shown = str(text)
    if len(shown) > MAX_NUMBER_CHARS:
        raise ValueError(f"is {len(shown)} characters long; a number here has at most {MAX_NUMBER_CHARS} "
                         f"({allowed})")
    try:
        number = Decimal(shown)
    except InvalidOperation:
        raise ValueError(f"must be a number, not {_shown(text)}") from None
    if not number.is_finite():
        raise ValueError(f"must be a finite number, not {_shown(text)}")
    if number and not -MAX_EXPONENT <= number.adjusted() <= MAX_EXPONENT:
        raise ValueError(f"is {shown}, out of range ({allowed})")
    if spec.kind == "integer":
        if number != number.to_integral_value():
            raise ValueError(f"must be a whole number, not {_shown(text)}")
        return int(number)
    return number


def _shown(value) -> str:
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "..."


def parse_form(form: FormSpec, raw: Mapping[str, Any], subject=None) -> dict[str, Any]:
    """All fields of `form` from raw input; raises InvalidInput listing every bad field at once
    (the summary names the subject when one is given)."""
    values, errors = {}, []
    for spec in form.fields:
        try:
            values[spec.name] = parse_value(spec, raw.get(spec.name))
        except ValueError as problem:
            errors.append({"field": spec.name, "message": f"{spec.label}: {problem}"})
    if errors:
        named = f"subject {subject.identifier}, {form.label.lower()}: " if subject is not None else ""
        raise InvalidInput(named + errors[0]["message"], field=errors[0]["field"], errors=errors)
    return values


def _parse_date(text) -> dt.date:
    if isinstance(text, dt.datetime):
        return text.date()
    if isinstance(text, dt.date):
        return text
    try:
        return dt.date.fromisoformat(str(text)[:32])
    except ValueError:
        raise ValueError(f"must be a date as YYYY-MM-DD, not {_shown(text)}") from None


def _parse_bool(text) -> bool:
    if isinstance(text, bool):
        return text
    lowered = str(text).lower()
    if lowered in ("true", "on", "yes", "1"):
        return True
    if lowered in ("false", "off", "no", "0"):
        return False
    raise ValueError(f"must be yes or no, not {_shown(text)}")
