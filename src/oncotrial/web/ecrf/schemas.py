"""The eCRF API's request and response models, built from the form declarations in ``specs.py``
(issue 13, item 4): one declaration gives the page form, the parser, the edit checks and the
OpenAPI schema.

A request field is typed by its kind: text and choices are strings (choices an enum, text with its
maximum length), dates ISO 8601 strings, numbers a JSON number or the number as text within the
range the edit-check catalogue declares, flags booleans, lesion lists arrays of ids. A field the
catalogue always requires is ``required`` in the schema. The value still reaches the same parser as
the page's, so a value the schema allows but a rule refuses (a date after today, a term not in
CTCAE) gets the eCRF's own message naming the field, in the one error shape.
"""

from __future__ import annotations

from typing import Annotated, Any

from ninja import Field
from pydantic import ConfigDict, StrictBool, StrictFloat, StrictInt, StrictStr, WithJsonSchema, create_model

from oncotrial.domain.conduct import check_kinds
from oncotrial.domain.conduct import edit_checks as ec
from oncotrial.web.api.responses import Out, SdvOut
from oncotrial.web.api.schemas import StrictSchema
from oncotrial.web.ecrf.specs import MAX_LIST_ITEMS, MAX_NUMBER_CHARS, FieldSpec

NUMBER_TEXT = r"^\s*[-+]?(\d+(\.\d*)?|\.\d+)([eE][-+]?\d+)?\s*$"
MAX_LESION_ROWS = 60


def required_fields(form: str) -> set[str]:
    """Fields a reject-level `Required` check of the catalogue always asks for."""
    return {check.field for check in ec.EDIT_CHECKS.get(form, ())
            if isinstance(check, check_kinds.Required) and check.severity == "reject" and check.when is None}


def _declared(spec: FieldSpec) -> tuple[Any, dict]:
    """The Python type a field accepts and the JSON schema that declares it."""
    if spec.kind == "choice":
        return StrictStr, {"type": "string", "enum": list(spec.choices)}
    if spec.kind == "date":
        return StrictStr, {"type": "string", "format": "date"}
    if spec.kind in ("decimal", "integer"):
        number = {"type": "integer" if spec.kind == "integer" else "number"}
        if spec.minimum is not None:
            number["minimum"] = spec.minimum
        if spec.maximum is not None:
            number["maximum"] = spec.maximum
        text = {"type": "string", "pattern": NUMBER_TEXT, "maxLength": MAX_NUMBER_CHARS,
                "description": "the number as text, in the same range"}
        return StrictInt | StrictFloat | StrictStr, {"anyOf": [number, text]}
    if spec.kind == "bool":
        return StrictBool, {"type": "boolean"}
    if spec.kind == "list":
        return list[StrictStr] | StrictStr, {"type": "array", "maxItems": MAX_LIST_ITEMS,
                                             "items": {"type": "string", "maxLength": 16}}
    return StrictStr, {"type": "string", "maxLength": spec.max_length}


def _field(spec: FieldSpec, required: bool) -> tuple[Any, Any]:
    python, schema = _declared(spec)
    if not required:
        schema = {"anyOf": [schema, {"type": "null"}]}
    schema = {**schema, "title": spec.label,
              "description": spec.label + (f" ({spec.bounds})" if spec.bounds else "") + (
                  f"; {spec.help}" if spec.help else "")}
    return Annotated[python | None, WithJsonSchema(schema)], Field(None)


def input_schema(name: str, form: str, fields, extra: dict | None = None, with_meta: bool = True):
    """The request body of one form: its fields, and for saves the reason for change and revision."""
    required = required_fields(form)
    definitions = {spec.name: _field(spec, spec.name in required) for spec in fields}
    if with_meta:
        definitions["reason_for_change"] = (str, Field("", max_length=2000,
                                                       description="required to correct saved data"))
        definitions["expected_revision"] = (int | None, Field(None, description=(
            "the revision you corrected; a newer revision on the server refuses the save (409)")))
    definitions.update(extra or {})
    names = sorted(required & set(definitions))
    # Declared, not enforced by pydantic: a missing required field gets the catalogue's message.
    base = type(f"{name}Base", (StrictSchema,), {"model_config": ConfigDict(
        extra="forbid", json_schema_extra={"required": names} if names else None)})
    return create_model(name, __base__=base, **definitions)


_OUT_TYPES = {"bool": bool | None, "list": list[str] | None}


def record_schema(name: str, fields, extra: dict | None = None, with_meta: bool = True):
    """The record as the API returns it: id, revision, protocol version, every field (numbers and
    dates as text, exactly as stored) and its source-verification status."""
    definitions = {spec.name: (_OUT_TYPES.get(spec.kind, str | None), ...) for spec in fields}
    if with_meta:
        definitions.update(id=(int, ...), form=(str, ...), revision=(int, ...), protocol_version=(str, ...),
                           sdv=(SdvOut, ...))
    definitions.update(extra or {})
    return create_model(name, __base__=Out, **definitions)
