"""REDCap records in the flat export shape (spec standards.md §7.2): one row per record × event ×
repeat instance; system columns `record_id`, `redcap_event_name`, `redcap_repeat_instrument`,
`redcap_repeat_instance`, `redcap_data_access_group` (the site); each instrument's fields followed
by `{instrument}_complete` (2, complete: a saved eCRF record passed its edit checks); raw codes
(choices numbered as in the dictionary, yes/no 1/0, dates YYYY-MM-DD); a checkbox as one
`field___code` column per choice holding 0 or 1."""

from __future__ import annotations

from .adsl import SEXES
from .bundle import ExportStudy
from .ecrf import EcrfField, ecrf_of
from .redcap import (
    ENROLMENT,
    SEX_CHOICES,
    Instrument,
    _csv,
    _field_type,
    checkbox_choices,
    field_name,
    instruments,
    project_files,
    render_dictionary,
    unique_event_name,
)

SYSTEM = ("record_id", "redcap_event_name", "redcap_repeat_instrument", "redcap_repeat_instance",
          "redcap_data_access_group")
COMPLETE = "2"
SEXES_REDCAP = dict(zip(("F", "M", "U"), SEX_CHOICES, strict=True))


def _columns(found: tuple[Instrument, ...], listed: dict) -> list[str]:
    columns = list(SYSTEM)
    for instrument in found:
        for field in instrument.fields:
            choices = listed.get(f"{instrument.name}.{field.name}", ())
            name = field_name(instrument, field)
            if _field_type(field, choices) == "checkbox":
                columns += [f"{name}___{n}" for n in range(1, len(choices) + 1)]
            else:
                columns.append(name)
        columns.append(f"{instrument.name}_complete")
    return columns


def _coded(instrument: Instrument, field: EcrfField, value, choices: tuple[str, ...]) -> dict[str, str]:
    name = field_name(instrument, field)
    kind = _field_type(field, choices)
    if kind == "checkbox":
        chosen = {str(v) for v in value or ()}
        return {f"{name}___{n}": "1" if c in chosen else "0" for n, c in enumerate(choices, start=1)}
    if value is None or value == "":
        return {name: ""}
    if kind in ("radio", "dropdown"):
        return {name: str(field.choices.index(value) + 1) if value in field.choices else ""}
    if kind == "yesno":
        return {name: "1" if value is True or value == "true" else "0"}
    if isinstance(value, list | tuple):
        return {name: ",".join(str(v) for v in value)}
    return {name: str(value)}


def _row(sid: str, site: str, instrument: Instrument, instance, values, listed) -> dict[str, str]:
    row = {"record_id": sid, "redcap_event_name": unique_event_name(instrument.event),
           "redcap_repeat_instrument": instrument.name if instrument.repeating else "",
           "redcap_repeat_instance": str(instance) if instrument.repeating else "",
           "redcap_data_access_group": site.lower(), f"{instrument.name}_complete": COMPLETE}
    given = dict(values)
    for field in instrument.fields:
        row.update(_coded(instrument, field, given.get(field.name),
                          listed.get(f"{instrument.name}.{field.name}", ())))
    return row


def _enrolment_rows(study: ExportStudy, enrolment: Instrument, listed) -> list[dict]:
    rows = []
    for f in sorted(study.facts, key=lambda f: f.subject_id):
        sex = SEXES_REDCAP[SEXES.get((f.sex or "").upper(), "U") or "U"]
        randomized = f.randomized_on.isoformat() if f.randomized_on else None
        values = (("site", f.site), ("sex", sex), ("arm", f.arm or None), ("rand_date", randomized))
        rows.append(_row(f.subject_id, f.site, enrolment, None, values, listed))
    return rows


def record_rows(study: ExportStudy) -> tuple[list[str], list[dict]]:
    """(columns, rows) of the flat export: enrolment rows, then every record and lesion row."""
    ecrf = ecrf_of(study)
    listed = checkbox_choices(study, ecrf.design)
    found = {i.name: i for i in instruments(study, ecrf.design)}
    rows = _enrolment_rows(study, found[ENROLMENT], listed)
    instances: dict[tuple[str, str], int] = {}
    for record in sorted(ecrf.records, key=lambda r: (r.subject_id, r.form, int(r.record_id)
                                                      if r.record_id.isdigit() else 0, r.record_id)):
        for name, values in [(record.form, record.values), *((g.name, (("visit", record.visit), *row))
                                                             for g in ecrf.design.form(record.form).groups
                                                             for row in record.rows)]:
            key = (record.subject_id, name)
            instances[key] = instances.get(key, 0) + 1
            rows.append(_row(record.subject_id, record.site, found[name], instances[key], values, listed))
    return _columns(tuple(found.values()), listed), rows


def render_records(study: ExportStudy) -> str:
    """redcap_records.csv: the header row, then one line per row (missing values empty)."""
    columns, rows = record_rows(study)
    return _csv([columns, *([row.get(c, "") for c in columns] for row in rows)])


def render_redcap(study: ExportStudy) -> dict[str, bytes]:
    """Every REDCap file of the study as UTF-8 bytes: dictionary, project files, records."""
    files = {"redcap_data_dictionary.csv": render_dictionary(study), **project_files(study),
             "redcap_records.csv": render_records(study)}
    return {name: text.encode() for name, text in files.items()}
