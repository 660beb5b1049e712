"""SAS transport (XPORT) version 5 files, one dataset per file (spec standards.md §3.7).

`pyreadstat` writes the file but does not enforce the FDA rules, so `check_xpt` does first: dataset
and variable names ≤ 8 characters (letter first; letters, digits, underscore), labels ≤ 40 ASCII
characters, character values ≤ 200 bytes and ASCII only. A value that breaks them (Chinese text in a
cause of death, say) is refused with a message naming the dataset, the variable and the subject: no
file is written, never an invalid one. Only the typographic signs of our own rule texts are spelled
in ASCII (`ASCII_SIGNS`: – → -, § → "section ", ≥ → >=, ...); text in another script is never
transliterated (pinyin is not what the investigator wrote), and the same data go out unchanged, in
UTF-8, as Dataset-JSON and CSV.
Dates are SAS numeric dates (days since 1960-01-01) with format DATE9.; numbers are doubles.
"""

from __future__ import annotations

import datetime as dt
import re
import tempfile
from pathlib import Path

from oncotrial.errors import InvalidInput

from .model import Dataset

NAME = re.compile(r"^[A-Z][A-Z0-9_]{0,7}$")
SAS_EPOCH = dt.date(1960, 1, 1)
MAX_LABEL, MAX_VALUE = 40, 200
# the documented ASCII spelling of the signs our derivation rule texts use
ASCII_SIGNS = {"\u2013": "-", "\u2014": "-", "\u2212": "-", "\u00a7": "section ", "\u2265": ">=",
               "\u2264": "<=", "\u00d7": "x", "\u2019": "'", "\u2018": "'", "\u201c": '"', "\u201d": '"',
               "\u2026": "...", "\u00b1": "+/-", "\u2192": "->", "\u00a0": " "}
_SIGNS = str.maketrans(ASCII_SIGNS)


def ascii_signs(text: str) -> str:
    """`text` with the typographic signs of `ASCII_SIGNS` spelled in ASCII; other characters kept.

    >>> ascii_signs("FDA Table A F3–F5 (spec §3.4)")
    'FDA Table A F3-F5 (spec section 3.4)'
    """
    return text.translate(_SIGNS)


def _label_problem(what: str, label: str) -> str | None:
    if len(label) > MAX_LABEL:
        return f"{what} label {label!r} is {len(label)} characters (at most {MAX_LABEL})"
    if not ascii_signs(label).isascii():
        return f"{what} label {label!r} is not ASCII"
    return None


def _value_problems(dataset: Dataset) -> list[str]:
    problems = []
    subjects = dataset.column("USUBJID") if "USUBJID" in dataset.names else [""] * len(dataset.rows)
    for variable in dataset.variables:
        if variable.type != "text":
            continue
        for subject, value in zip(subjects, dataset.column(variable.name), strict=True):
            text = ascii_signs(str(value))
            where = f"{dataset.name}.{variable.name}" + (f" of subject {subject}" if subject else "")
            if not text.isascii():
                problems.append(f"{where} holds non-ASCII text {text[:30]!r}")
            elif len(text.encode()) > MAX_VALUE:
                problems.append(f"{where} is {len(text.encode())} bytes (at most {MAX_VALUE})")
    return problems


def check_xpt(dataset: Dataset) -> list[str]:
    """Every reason `dataset` cannot be a valid XPT v5 submission file (empty when it can).

    >>> from oncotrial.exports.model import Variable, build_dataset
    >>> ds = build_dataset("DD", "Death Details", "FINDINGS", "x", "Tabulation", (),
    ...                    [Variable("DDORRES", "Result or Finding in Original Units")],
    ...                    [{"DDORRES": "肝衰竭"}])
    >>> check_xpt(ds)
    ["DD.DDORRES holds non-ASCII text '肝衰竭'"]
    """
    problems = []
    if not NAME.match(dataset.name):
        problems.append(f"dataset name {dataset.name!r} is not a SAS name of at most 8 characters")
    problems += [p for p in [_label_problem(f"dataset {dataset.name}", dataset.label)] if p]
    for variable in dataset.variables:
        if not NAME.match(variable.name):
            problems.append(f"{dataset.name}.{variable.name}: not a SAS name of at most 8 characters")
        problem = _label_problem(f"{dataset.name}.{variable.name}", variable.label)
        if problem:
            problems.append(problem)
    return problems + _value_problems(dataset)


def require_xpt(dataset: Dataset) -> None:
    """Raise InvalidInput listing every XPT v5 rule `dataset` breaks."""
    problems = check_xpt(dataset)
    if problems:
        shown = "; ".join(problems[:5]) + (f"; and {len(problems) - 5} more" if len(problems) > 5 else "")
        raise InvalidInput(f"{dataset.name} cannot be written as SAS XPT v5: {shown}", field=dataset.name,
                           errors=[{"field": dataset.name, "message": p} for p in problems],
                           hint="XPT v5 holds ASCII only, so correct or translate the text in the eCRF "
                                "(the original stays in the audit trail), or export Dataset-JSON or CSV, "
                                "which keep UTF-8")


def sas_date(day: dt.date | None) -> float | None:
    """Days since 1960-01-01 (SAS date), None for a missing date.

    >>> sas_date(dt.date(1960, 1, 2))
    1.0
    """
    return None if day is None else float((day - SAS_EPOCH).days)


def _frame(dataset: Dataset):
    import pandas as pd

    columns = {}
    for variable in dataset.variables:
        values = dataset.column(variable.name)
        if variable.type == "date":
            values = [sas_date(v) for v in values]
        if variable.type == "text":
            columns[variable.name] = pd.Series([ascii_signs(str(v)) for v in values], dtype=object)
        else:
            columns[variable.name] = pd.Series([float("nan") if v is None else float(v) for v in values],
                                               dtype="float64")
    return pd.DataFrame(columns, columns=list(dataset.names))


def render_xpt(dataset: Dataset) -> bytes:
    """The dataset as one SAS XPT version 5 file (after `require_xpt`)."""
    import pyreadstat

    require_xpt(dataset)
    formats = {v.name: "DATE9." for v in dataset.variables if v.type == "date"}
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / f"{dataset.name.lower()}.xpt"
        pyreadstat.write_xport(_frame(dataset), str(path), file_label=ascii_signs(dataset.label),
                               column_labels={v.name: ascii_signs(v.label) for v in dataset.variables},
                               table_name=dataset.name, file_format_version=5, variable_format=formats)
        return path.read_bytes()
