"""The one shape every export format writes: a `Dataset` (name, label, class, structure, keys) of
`Variable`s (name, label, type, length, code list, origin, derivation) and its rows, plus the
`CodeList`s the variables point to. XPT, Dataset-JSON, CSV and define.xml all read this one value,
so a dataset and its metadata cannot drift apart (spec standards.md §3.5).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

from oncotrial.errors import InvalidInput

TYPES = ("text", "integer", "float", "date")


@dataclass(frozen=True)
class Variable:
    """One column: `type` is text, integer, float or date (dates are SAS numeric dates in XPT and
    ISO 8601 text elsewhere); `origin` is a Define-XML origin type (Collected, Derived, Assigned,
    Protocol, Predecessor); `method` the derivation in words, printed in define.xml."""

    name: str
    label: str
    type: str = "text"
    codelist: str = ""
    origin: str = "Derived"
    method: str = ""
    source: str = ""

    def __post_init__(self) -> None:
        if self.type not in TYPES:
            raise InvalidInput(f"variable {self.name}: type {self.type!r}; allowed: {', '.join(TYPES)}",
                               field="type")


@dataclass(frozen=True)
class CodeList:
    """Controlled terminology: `items` are (coded value, decode); `nci` the NCI code list code."""

    id: str
    name: str
    items: tuple[tuple[str, str], ...]
    data_type: str = "text"
    nci: str = ""


@dataclass(frozen=True)
class Dataset:
    """One dataset (SDTM domain or ADaM dataset) and its rows, each a tuple in variable order."""

    name: str
    label: str
    klass: str
    structure: str
    purpose: str
    keys: tuple[str, ...]
    variables: tuple[Variable, ...]
    rows: tuple[tuple, ...]
    comment: str = ""
    codelists: tuple[CodeList, ...] = field(default=())

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(v.name for v in self.variables)

    def column(self, name: str) -> list:
        """All values of one variable, in row order."""
        index = self.names.index(name)
        return [row[index] for row in self.rows]

    def records(self) -> list[dict]:
        """Rows as dicts keyed by variable name."""
        return [dict(zip(self.names, row, strict=True)) for row in self.rows]

    def length(self, variable: Variable) -> int:
        """Storage length of a text variable: its longest value in bytes (at least 1), as the FDA
        asks (spec §3.7); 8 for numbers."""
        if variable.type != "text":
            return 8
        values = self.column(variable.name)
        return max([len(str(v).encode()) for v in values if v not in (None, "")] or [1])


def build_dataset(name: str, label: str, klass: str, structure: str, purpose: str,
                  keys: Sequence[str], variables: Sequence[Variable], records: Iterable[Mapping],
                  codelists: Sequence[CodeList] = (), comment: str = "") -> Dataset:
    """A dataset from row dicts: every row gets every variable (missing ones None, text ''), in
    variable order; a key outside the variables raises InvalidInput (a layout bug, named)."""
    names = [v.name for v in variables]
    rows = []
    for record in records:
        unknown = set(record) - set(names)
        if unknown:
            raise InvalidInput(f"{name}: values for undeclared variables {sorted(unknown)}", field=name)
        rows.append(tuple(_blank(v, record.get(v.name)) for v in variables))
    return Dataset(name, label, klass, structure, purpose, tuple(keys), tuple(variables), tuple(rows),
                   comment, tuple(codelists))


def _blank(variable: Variable, value):
    if value is None and variable.type == "text":
        return ""
    if isinstance(value, dt.datetime):
        raise InvalidInput(f"{variable.name}: a datetime where a date is expected", field=variable.name)
    return value


def yes_no(flag: bool | None) -> str:
    """ADaM / SDTM Y / N ('' for unknown)."""
    return "" if flag is None else ("Y" if flag else "N")


NY = CodeList("NY", "No Yes Response", (("N", "No"), ("Y", "Yes")), nci="C66742")
