"""The eCRF as plain data, for the exports that carry forms rather than datasets (ODM 1.3.2,
REDCap): the design (events, forms, their fields, a repeating row group such as a tumour
assessment's lesions) and the records entered, with their audit entries and the signatures. The
web side builds these from its form specs, records and audit trail (`oncotrial.web.exports.ecrf`)
and hands them in through `ExportStudy.extras["ecrf"]`, so the exports never import the web app.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from oncotrial.errors import InvalidInput

KINDS = ("text", "date", "decimal", "integer", "choice", "bool", "list")


@dataclass(frozen=True)
class EcrfField:
    """One field: `kind` as the eCRF parses it (text, date, decimal, integer, choice, bool, list)."""

    name: str
    kind: str
    label: str
    choices: tuple[str, ...] = ()
    help: str = ""
    max_length: int = 200
    minimum: float | None = None
    maximum: float | None = None


@dataclass(frozen=True)
class EcrfGroup:
    """A repeating row group inside a form (a tumour assessment's lesion rows)."""

    name: str
    label: str
    fields: tuple[EcrfField, ...]


@dataclass(frozen=True)
class EcrfForm:
    name: str
    label: str
    fields: tuple[EcrfField, ...]
    repeating: bool = True
    groups: tuple[EcrfGroup, ...] = ()


@dataclass(frozen=True)
class EcrfEvent:
    """A study event (visit or period) and the forms collected in it."""

    name: str
    label: str
    forms: tuple[str, ...]


@dataclass(frozen=True)
class EcrfDesign:
    forms: tuple[EcrfForm, ...]
    events: tuple[EcrfEvent, ...]

    def form(self, name: str) -> EcrfForm:
        return next(f for f in self.forms if f.name == name)

    def event_of(self, form: str) -> str:
        """The first event that collects `form`."""
        return next(e.name for e in self.events if form in e.forms)


@dataclass(frozen=True)
class AuditEntry:
    """One audit-trail row of a record: who, when (UTC), create / update, why, the fields changed."""

    username: str
    at: dt.datetime
    action: str
    reason: str = ""
    fields: tuple[str, ...] = ()


@dataclass(frozen=True)
class FormRecord:
    """One entered record: its fields' JSON-native values, the group rows (lesions), its audit
    entries in order."""

    subject_id: str
    site: str
    form: str
    record_id: str
    values: tuple[tuple[str, object], ...]
    rows: tuple[tuple[tuple[str, object], ...], ...] = ()
    audit: tuple[AuditEntry, ...] = ()
    visit: str = ""


@dataclass(frozen=True)
class SignatureEntry:
    """An investigator's e-signature of a visit or a casebook (21 CFR 11.50)."""

    subject_id: str
    username: str
    printed_name: str
    at: dt.datetime
    scope: str
    meaning: str
    visit: str = ""
    valid: bool = True


@dataclass(frozen=True)
class EcrfExport:
    """What ODM and REDCap read: the design, every record and every signature."""

    design: EcrfDesign
    records: tuple[FormRecord, ...] = ()
    signatures: tuple[SignatureEntry, ...] = ()


def ecrf_of(study) -> EcrfExport:
    """The eCRF handed in with the study; InvalidInput when the caller did not hand it in."""
    ecrf = study.extras.get("ecrf")
    if not isinstance(ecrf, EcrfExport):
        raise InvalidInput(f"study {study.code}: the eCRF design was not handed to the export", field="format",
                           hint="export ODM and REDCap through the web service or `oncotrial export`")
    return ecrf
