"""REDCap (spec standards.md §7): the eCRF as a REDCap project: the 18-column data dictionary
(one instrument per form, the tumour assessment's lesion rows as their own repeating instrument,
an `enrolment` instrument first with `record_id`), the instruments, one arm (the allocation is the
`enr_arm` field, as most randomised REDCap studies keep it), the events and the instrument-event
mapping, the repeating instruments, and the records in REDCap's flat export shape
(`redcap_records`, which also bundles every file: `render_redcap`). `check_redcap_dictionary`
enforces what REDCap's import checks: the exact header, legal unique field names of at most 26
characters, choices written `1, Label | 2, Label`.
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass

from oncotrial.errors import InvalidInput

from .bundle import ExportStudy
from .ecrf import EcrfDesign, EcrfField, ecrf_of

HEADER = ("Variable / Field Name", "Form Name", "Section Header", "Field Type", "Field Label",
          "Choices, Calculations, OR Slider Labels", "Field Note", "Text Validation Type OR Show Slider Number",
          "Text Validation Min", "Text Validation Max", "Identifier?", "Branching Logic (Show field only if...)",
          "Required Field?", "Custom Alignment", "Question Number (surveys only)", "Matrix Group Name",
          "Matrix Ranking?", "Field Annotation")
HEADER_LINE = ",".join("Identifier?" if h == "Identifier?" else f'"{h}"' for h in HEADER)
FIELD_TYPES = ("text", "notes", "dropdown", "radio", "checkbox", "yesno", "truefalse", "calc", "file", "slider",
               "descriptive", "sql")
NAME = re.compile(r"^[a-z][a-z0-9_]*$")
CHOICES = re.compile(r"^[0-9A-Za-z_]+, [^|]+?( \| [0-9A-Za-z_]+, [^|]+?)*$")
MAX_NAME = 26
ABBREVIATIONS = {"attribution": "attrib", "technique": "tech", "investigator": "inv", "assessment": "assess",
                 "administration": "admin", "therapy": "ther"}
VALIDATION = {"date": "date_ymd", "decimal": "number", "integer": "integer"}
ARM = (1, "Arm 1")
ENROLMENT = "enrolment"
SEX_CHOICES = ("female", "male", "unknown")
LESION_VISIT = EcrfField("visit", "text", "Tumour assessment visit", max_length=32)


@dataclass(frozen=True)
class Instrument:
    """A REDCap instrument: its unique name, label, our fields, the field-name prefix, the event
    it sits in and whether it repeats there."""

    name: str
    label: str
    fields: tuple[EcrfField, ...]
    prefix: str
    event: str
    repeating: bool


def prefix_of(name: str) -> str:
    """A form's field-name prefix: the name itself up to 6 characters, else its initials
    (tumour_assessment → ta)."""
    return name if len(name) <= 6 else "".join(part[0] for part in name.split("_") if part)


def field_name(instrument: Instrument, field: EcrfField) -> str:
    """prefix_field in lower case; long words abbreviated, then cut to 26 characters."""
    name = f"{instrument.prefix}_{field.name}".lower()
    if len(name) > MAX_NAME:
        name = "_".join(ABBREVIATIONS.get(part, part) for part in name.split("_"))
    return name[:MAX_NAME]


def _enrolment_fields(study: ExportStudy) -> tuple[EcrfField, ...]:
    return (EcrfField("site", "text", "Site", max_length=8), EcrfField("sex", "choice", "Sex", SEX_CHOICES),
            EcrfField("arm", "choice", "Allocated arm", tuple(a.id for a in study.protocol.arms)),
            EcrfField("rand_date", "date", "Date of randomisation"))


def instruments(study: ExportStudy, design: EcrfDesign) -> tuple[Instrument, ...]:
    """The enrolment instrument, then one per form (and per row group) in design order."""
    found = [Instrument(ENROLMENT, "Enrolment", _enrolment_fields(study), "enr", ENROLMENT, False)]
    for form in design.forms:
        event = design.event_of(form.name)
        found.append(Instrument(form.name, form.label, form.fields, prefix_of(form.name), event, form.repeating))
        found += [Instrument(g.name, g.label, (LESION_VISIT, *g.fields), prefix_of(g.name), event, True)
                  for g in form.groups]
    return tuple(found)


def checkbox_choices(study: ExportStudy, design: EcrfDesign) -> dict[str, tuple[str, ...]]:
    """A list field's choices are the values entered (lesion ids), sorted: REDCap needs them listed."""
    seen: dict[str, set[str]] = {}
    for record in ecrf_of(study).records:
        form = design.form(record.form)
        for name, value in record.values:
            if isinstance(value, list | tuple) and any(f.name == name and f.kind == "list" for f in form.fields):
                seen.setdefault(f"{record.form}.{name}", set()).update(str(v) for v in value)
    return {key: tuple(sorted(values)) for key, values in seen.items()}


def coded_choices(choices) -> str:
    return " | ".join(f"{n}, {c.replace('_', ' ') if c else '(blank)'}" for n, c in enumerate(choices, start=1))


def _field_type(field: EcrfField, listed: tuple[str, ...]) -> str:
    if field.kind == "choice":
        return "radio" if len(field.choices) <= 6 else "dropdown"
    if field.kind == "bool":
        return "yesno"
    if field.kind == "list":
        return "checkbox" if listed else "notes"
    return "notes" if field.kind == "text" and field.max_length > 255 else "text"


def _bound(value) -> str:
    """A range bound as REDCap reads it: plain decimal digits, never an exponent (1e+06)."""
    if value is None:
        return ""
    text = f"{value:f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


def dictionary_row(instrument: Instrument, field: EcrfField, listed: tuple[str, ...], section: str = "") -> list:
    kind = _field_type(field, listed)
    choices = coded_choices(field.choices) if kind in ("radio", "dropdown") else \
        (coded_choices(listed) if kind == "checkbox" else "")
    return [field_name(instrument, field), instrument.name, section, kind, field.label, choices, field.help,
            VALIDATION.get(field.kind, ""), _bound(field.minimum), _bound(field.maximum), "", "", "", "", "", "", "",
            f"@ONCOTRIAL={instrument.name}.{field.name}"]


def dictionary_rows(study: ExportStudy) -> list[list]:
    """The data dictionary rows: record_id first, then every instrument's fields in order."""
    design = ecrf_of(study).design
    listed = checkbox_choices(study, design)
    rows = [["record_id", ENROLMENT, "", "text", "Subject ID", "", "", "", "", "", "", "", "y", "", "", "", "",
             "@ONCOTRIAL=subject.identifier"]]
    for instrument in instruments(study, design):
        for n, field in enumerate(instrument.fields):
            rows.append(dictionary_row(instrument, field, listed.get(f"{instrument.name}.{field.name}", ()),
                                       instrument.label if n == 0 else ""))
    return rows


def check_redcap_dictionary(text: str) -> list[str]:
    """What REDCap would refuse in a data dictionary CSV (empty when it is importable)."""
    lines = list(csv.reader(io.StringIO(text)))
    problems = [] if lines and tuple(lines[0]) == HEADER else ["the header is not REDCap's 18 columns in order"]
    names, forms = [], []
    for row in lines[1:]:
        name, form, kind, choices = row[0], row[1], row[3], row[5]
        if not NAME.match(name) or len(name) > MAX_NAME:
            problems.append(f"field {name!r}: lower case letters, digits and _, a letter first, at most {MAX_NAME}")
        if kind not in FIELD_TYPES:
            problems.append(f"field {name}: type {kind!r}; allowed: {', '.join(FIELD_TYPES)}")
        if kind in ("radio", "dropdown", "checkbox") and not CHOICES.match(choices):
            problems.append(f"field {name}: choices {choices!r} are not written '1, Label | 2, Label'")
        if forms and form != forms[-1] and form in forms:
            problems.append(f"form {form}: its rows are not contiguous (again at {name})")
        names.append(name)
        forms.append(form)
    problems += [f"field {n} is defined more than once" for n in sorted({n for n in names if names.count(n) > 1})]
    return problems + ([] if names[:1] == ["record_id"] else ["the first field must be record_id"])


def _csv(rows, header_line: str | None = None) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    if header_line is not None:
        out.write(header_line + "\n")
    writer.writerows(rows)
    return out.getvalue()


def render_dictionary(study: ExportStudy) -> str:
    """The data dictionary CSV; InvalidInput naming every problem when REDCap would refuse it."""
    text = _csv(dictionary_rows(study), HEADER_LINE)
    problems = check_redcap_dictionary(text)
    if problems:
        raise InvalidInput(f"the REDCap data dictionary of {study.code} would not import: {'; '.join(problems)}",
                           field="redcap", hint="rename the form fields named; nothing was written")
    return text


def unique_event_name(event: str) -> str:
    return f"{event}_arm_{ARM[0]}"


def project_files(study: ExportStudy) -> dict[str, str]:
    """Instruments, arms, events, instrument-event mapping and repeating instruments CSVs."""
    design = ecrf_of(study).design
    found = instruments(study, design)
    events = [ENROLMENT, *(e.name for e in design.events)]
    return {"redcap_instruments.csv": _csv([["instrument_name", "instrument_label"],
                                            *([i.name, i.label] for i in found)]),
            "redcap_arms.csv": _csv([["arm_num", "name"], list(ARM)]),
            "redcap_events.csv": _csv([["event_name", "arm_num", "unique_event_name"],
                                       *([e.replace("_", " ").capitalize(), ARM[0], unique_event_name(e)]
                                         for e in events)]),
            "redcap_instrument_event_mapping.csv": _csv([["arm_num", "unique_event_name", "form"],
                                                         *([ARM[0], unique_event_name(i.event), i.name]
                                                           for i in found)]),
            "redcap_repeating_instruments.csv": _csv([["event_name", "form_name", "custom_form_label"],
                                                      *([unique_event_name(i.event), i.name, ""]
                                                        for i in found if i.repeating)])}
