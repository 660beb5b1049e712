"""The ClinicalTrials.gov CSV export read into the same study view as the API v2 JSON: the header
row and one study row, each cell split as standards.md §1.6 describes (pipes, colons, the design and
location cells), with errors naming the column.
"""

from __future__ import annotations

import re
from typing import Any

from oncotrial.domain.protocol.registry_record import INTERVENTION_TYPES, DraftBuilder, StudyView
from oncotrial.errors import InvalidInput

# The current CSV export (standards.md §1.6): the JSON path each column feeds.
CSV_COLUMNS = ("NCT Number", "Study Title", "Study URL", "Acronym", "Study Status", "Brief Summary",
               "Study Results", "Conditions", "Interventions", "Primary Outcome Measures",
               "Secondary Outcome Measures", "Other Outcome Measures", "Sponsor", "Collaborators", "Sex",
               "Age", "Phases", "Enrollment", "Funder Type", "Study Type", "Study Design", "Other IDs",
               "Start Date", "Primary Completion Date", "Completion Date", "First Posted",
               "Results First Posted", "Last Update Posted", "Locations", "Study Documents")


CSV_LABELS = {
    "statusModule.overallStatus": "column 'Study Status'",
    "designModule.studyType": "column 'Study Type'",
    "designModule.phases": "column 'Phases'",
    "designModule.designInfo.allocation": "column 'Study Design' (Allocation)",
    "designModule.designInfo.interventionModel": "column 'Study Design' (Intervention Model)",
    "designModule.designInfo.primaryPurpose": "column 'Study Design' (Primary Purpose)",
    "designModule.designInfo.maskingInfo.masking": "column 'Study Design' (Masking)",
    "designModule.enrollmentInfo.count": "column 'Enrollment'",
    "armsInterventionsModule.interventions.type": "column 'Interventions'",
    "armsInterventionsModule.interventions.name": "column 'Interventions'",
    "outcomesModule.primaryOutcomes.measure": "column 'Primary Outcome Measures'",
    "outcomesModule.secondaryOutcomes.measure": "column 'Secondary Outcome Measures'",
    "outcomesModule.otherOutcomes.measure": "column 'Other Outcome Measures'",
}


CSV_REASONS = {
    "registry.official_title": "the CSV export has no official title column",
    "registry.detailed_description": "the CSV export has no detailed description column",
    "registry.enrollment_type": "the CSV export gives the count, not whether it is actual or estimated",
    "arms": "the CSV export has no arm groups",
}


CSV_DESIGN_KEYS = {"Allocation": "allocation", "Intervention Model": "interventionModel",
                   "Primary Purpose": "primaryPurpose"}


def read_csv_study(draft: DraftBuilder, text: str) -> StudyView:
    """Turn the export's one study row into the API v2 ``protocolSection`` shape it flattens."""
    row = _csv_row(text, draft.source)
    cell = lambda name: (row.get(name) or "").strip()  # noqa: E731
    split = lambda name: [v.strip() for v in cell(name).split("|") if v.strip()]  # noqa: E731
    design = _csv_design(cell("Study Design"))
    count = cell("Enrollment")
    if count and not count.isdecimal():
        draft.fail("column 'Enrollment'", f"{count!r} is not a whole number")
    section = {
        "identificationModule": {"nctId": cell("NCT Number"), "briefTitle": cell("Study Title"),
                                 "acronym": cell("Acronym")},
        "statusModule": {"overallStatus": cell("Study Status")},
        "sponsorCollaboratorsModule": {"leadSponsor": {"name": cell("Sponsor")},
                                       "collaborators": [{"name": n} for n in split("Collaborators")]},
        "descriptionModule": {"briefSummary": cell("Brief Summary")},
        "conditionsModule": {"conditions": split("Conditions")},
        "designModule": {"studyType": cell("Study Type"), "phases": split("Phases"),
                         "designInfo": design, "enrollmentInfo": {"count": int(count) if count else None}},
        "armsInterventionsModule": {"interventions": _csv_interventions(draft, split("Interventions"))},
        "outcomesModule": {key: [_csv_outcome(c) for c in split(column)] for key, column in (
            ("primaryOutcomes", "Primary Outcome Measures"),
            ("secondaryOutcomes", "Secondary Outcome Measures"),
            ("otherOutcomes", "Other Outcome Measures"))},
        "contactsLocationsModule": {"locations": [_csv_location(c) for c in split("Locations")]},
    }
    draft.labels, draft.reasons = CSV_LABELS, dict(CSV_REASONS)
    given = [f"{name}: {cell(name)}" for name in ("Sex", "Age") if cell(name)]
    draft.reasons["eligibility"] = "the CSV export carries no eligibility criteria" + (
        f" (it gives only {' and '.join(given)})" if given else "")
    if any(section["outcomesModule"].values()):
        draft.notes.append("outcomes were split from the CSV cells at the first and the last ', ' "
                           "(measure, description, time frame; standards.md §1.6): a measure or a time "
                           "frame that itself contains ', ' is cut, so check each endpoint against the "
                           "registry page or import the JSON record instead")
    return StudyView(section, draft.source)


def _csv_row(text: str, source: str) -> dict[str, str]:
    import csv
    import io

    try:
        rows = [row for row in csv.reader(io.StringIO(text)) if any(cell.strip() for cell in row)]
    except csv.Error as error:
        raise InvalidInput(f"{source}: not a readable CSV file: {error}", field="(file)") from None
    header = [name.strip() for name in rows[0]] if rows else []
    if "Study Title" not in header or "NCT Number" not in header:
        classic = "Title" in header and "NCT Number" in header
        raise InvalidInput(
            f"{source}: header: " + ("this is the classic (pre-2023) export, which is not supported"
                                     if classic else "not the ClinicalTrials.gov CSV export header")
            + f"; the current export's columns are: {', '.join(CSV_COLUMNS)}", field="header",
            hint="download the study again from clinicaltrials.gov (Download, CSV) or as JSON "
                 "from the API v2; nothing was written")
    if len(rows) != 2:
        raise InvalidInput(f"{source}: holds {len(rows) - 1} study rows; allowed: exactly one",
                           field="rows", hint="import one study at a time")
    if len(rows[1]) != len(header):
        raise InvalidInput(f"{source}: row 2 has {len(rows[1])} cells but the header has "
                           f"{len(header)} columns", field="row 2",
                           hint="a cell with a comma must be quoted")
    return dict(zip(header, rows[1], strict=True))


def _csv_design(cell: str) -> dict:
    """``Allocation: RANDOMIZED|Intervention Model: PARALLEL|Masking: NONE|Primary Purpose: TREATMENT``."""
    design: dict[str, Any] = {}
    for part in cell.split("|"):
        key, _, value = part.partition(":")
        value = value.strip()
        if key.strip() == "Masking":
            # "DOUBLE (PARTICIPANT, INVESTIGATOR)": the level, then who is masked
            design["maskingInfo"] = {"masking": value.split(" (")[0].strip()}
        elif key.strip() in CSV_DESIGN_KEYS:
            design[CSV_DESIGN_KEYS[key.strip()]] = value
    return design


def _csv_interventions(draft: DraftBuilder, items: list[str]) -> list[dict]:
    interventions = []
    for item in items:
        kind, colon, name = item.partition(":")
        if not colon or not name.strip():
            draft.fail("column 'Interventions'", f"{item!r} is not TYPE: name; allowed types: "
                       f"{', '.join(INTERVENTION_TYPES)} (e.g. 'DRUG: Camrelizumab|PROCEDURE: ablation')")
        interventions.append({"type": kind.strip().upper(), "name": name.strip()})
    return interventions


def _csv_outcome(cell: str) -> dict:
    """``measure, description, time frame``: description is optional, the time frame is not."""
    parts = cell.split(", ")
    if len(parts) == 1:
        return {"measure": cell}
    outcome = {"measure": parts[0], "timeFrame": parts[-1]}
    if len(parts) > 2:
        outcome["description"] = ", ".join(parts[1:-1])
    return outcome


def _csv_location(cell: str) -> dict:
    """``facility, city, state, zip, country``; state and zip are only required for US sites."""
    parts = [p.strip() for p in cell.split(", ")]
    location = {"facility": parts[0]}
    if len(parts) == 1:
        return location
    middle = [p for p in parts[1:-1] if not re.search(r"\d", p)]
    if len(middle) > 2:  # a facility name with commas in it
        location["facility"] = ", ".join(parts[: len(middle) - 1])
        middle = middle[-2:]
    location["country"] = parts[-1]
    for key, value in zip(("city", "state"), middle, strict=False):
        location[key] = value
    return location
