"""CDISC Dataset-JSON 1.1 (the JSON alternative to XPT; no 8/40/200 limits, UTF-8), one file per
dataset, its columns' OIDs those of define.xml (spec standards.md §3.7)."""

from __future__ import annotations

import datetime as dt
import json

from .bundle import ExportStudy
from .model import Dataset, Variable

DATA_TYPES = {"text": "string", "integer": "integer", "float": "double", "date": "date"}


def item_oid(dataset: Dataset, variable: Variable) -> str:
    """The ItemDef OID define.xml gives the variable."""
    return f"IT.{dataset.name}.{variable.name}"


def _column(dataset: Dataset, variable: Variable) -> dict:
    column = {"itemOID": item_oid(dataset, variable), "name": variable.name, "label": variable.label,
              "dataType": DATA_TYPES[variable.type]}
    if variable.type == "text":
        column["length"] = dataset.length(variable)
    if variable.type == "date":
        column["targetDataType"] = "integer"
        column["displayFormat"] = "DATE9."
    if variable.name in dataset.keys:
        column["keySequence"] = dataset.keys.index(variable.name) + 1
    return column


def _value(value):
    if isinstance(value, dt.date):
        return value.isoformat()
    return value


def to_dataset_json(dataset: Dataset, study: ExportStudy) -> dict:
    """The Dataset-JSON 1.1 object of one dataset."""
    created = study.created.astimezone(dt.UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z")
    return {
        "datasetJSONCreationDateTime": created, "datasetJSONVersion": "1.1.0",
        "fileOID": f"{study.studyid}.{dataset.name}.{study.created:%Y%m%dT%H%M%S}",
        "originator": study.source_system,
        "sourceSystem": {"name": study.source_system, "version": study.source_version or "unknown"},
        "studyOID": f"ST.{study.studyid}", "metaDataVersionOID": "MDV.1", "metaDataRef": "define.xml",
        "itemGroupOID": f"IG.{dataset.name}", "records": len(dataset.rows), "name": dataset.name,
        "label": dataset.label, "columns": [_column(dataset, v) for v in dataset.variables],
        "rows": [[_value(v) for v in row] for row in dataset.rows]}


def render_dataset_json(dataset: Dataset, study: ExportStudy) -> bytes:
    """UTF-8 JSON bytes of `to_dataset_json`."""
    return json.dumps(to_dataset_json(dataset, study), ensure_ascii=False, allow_nan=False).encode()


def render_csv(dataset: Dataset) -> bytes:
    """The dataset as UTF-8 CSV with a header row of variable names; dates ISO 8601, missing empty.
    Text that a spreadsheet would run as a formula (=, +, -, @ first) is prefixed with a quote."""
    import csv
    import io

    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(dataset.names)
    for row in dataset.rows:
        writer.writerow([_cell(v) for v in row])
    return out.getvalue().encode()


def _cell(value) -> str:
    if value is None:
        return ""
    if isinstance(value, dt.date):
        return value.isoformat()
    text = str(value)
    return "'" + text if isinstance(value, str) and text[:1] in ("=", "+", "-", "@") else text
