"""CTCAE term tables: the bundled regimen subset and the full NCI workbook a site downloads itself.

The bundled file (``oncotrial/data/ctcae_v5_terms.json``) holds term names, system organ classes
and paraphrased grade texts, without MedDRA codes (standards.md §6.3). ``read_ctcae_workbook`` reads
the NCI workbook (sheet "CTCAE v5.0 Clean Copy"; columns "MedDRA SOC", "CTCAE Term", "Grade 1" …
"Grade 5"); its MedDRA code column is ignored so no MedDRA content is stored.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

from oncotrial.errors import InvalidInput

BUNDLED = "ctcae_v5_terms.json"
DASHES = {"", "-", "–", "—"}


@dataclass(frozen=True)
class CtcaeRow:
    term: str
    soc: str
    grades: dict  # {"1": text or None, ... "5": ...}
    protocol_defined: bool = False

    @property
    def defined_grades(self) -> tuple[int, ...]:
        return tuple(int(g) for g, text in sorted(self.grades.items()) if text)


def read_bundled_terms() -> tuple[str, tuple[CtcaeRow, ...]]:
    """The bundled CTCAE version and its terms."""
    text = resources.files("oncotrial.data").joinpath(BUNDLED).read_text(encoding="utf-8")
    data = json.loads(text)
    rows = tuple(CtcaeRow(t["term"], t["soc"], dict(t["grades"]), bool(t.get("protocol_defined")))
                 for t in data["terms"])
    return data["version"], rows


def read_ctcae_workbook(path: str | Path) -> tuple[CtcaeRow, ...]:
    """Terms from an NCI CTCAE workbook; raises InvalidInput naming the missing sheet or column."""
    from openpyxl import load_workbook

    path = Path(path)
    if not path.is_file():
        raise InvalidInput(f"CTCAE workbook {path} does not exist", field="workbook",
                           hint="Download CTCAE_v5.0 .xlsx from the NCI CTEP site and pass its path.")
    try:
        book = load_workbook(path, read_only=True, data_only=True)
    except Exception as problem:  # openpyxl raises several unrelated types for a bad file
        raise InvalidInput(f"{path.name} is not an .xlsx workbook ({problem})", field="workbook") from None
    sheet = next((book[name] for name in book.sheetnames if "clean copy" in name.lower()),
                 book[book.sheetnames[0]])
    rows = sheet.iter_rows(values_only=True)
    columns = _columns(next(rows, ()), path.name)
    terms = []
    for values in rows:
        term = _cell(values, columns["term"])
        if term:
            grades = {str(g): _grade_text(_cell(values, columns[g])) for g in range(1, 6)}
            terms.append(CtcaeRow(term, _cell(values, columns["soc"]), grades))
    if not terms:
        raise InvalidInput(f"{path.name} has no CTCAE terms under its header row", field="workbook")
    return tuple(terms)


def _columns(header, name: str) -> dict:
    cells = [str(c or "").strip() for c in header]
    found = {}
    for index, cell in enumerate(cells):
        lowered = cell.lower()
        if lowered.endswith("soc") and "code" not in lowered:
            found["soc"] = index
        elif lowered.endswith("term") and "code" not in lowered:
            found["term"] = index
        for grade in range(1, 6):
            # some re-exports mangle the character after "Grade n"; match the prefix only
            if lowered.startswith(f"grade {grade}"):
                found[grade] = index
    missing = [label for key, label in (("soc", "MedDRA SOC"), ("term", "CTCAE Term"),
                                        *((g, f"Grade {g}") for g in range(1, 6))) if key not in found]
    if missing:
        raise InvalidInput(f"{name}: header row lacks {', '.join(missing)}", field="workbook",
                           hint="Expected the NCI layout: MedDRA Code, MedDRA SOC, CTCAE Term, Grade 1..5.")
    return found


def _cell(values, index) -> str:
    value = values[index] if index < len(values) else None
    return " ".join(str(value).split()) if value is not None else ""


def _grade_text(text: str) -> str | None:
    return None if text.strip() in DASHES else text


# CTCAE v5's generic grade scale of its "<SOC> - Other, specify" terms (migration ecrf 0005 stores the
# same texts; a migration keeps its own copy so it never changes with the code).
OTHER_SPECIFY_GRADES = {
    "1": "Asymptomatic or mild symptoms; clinical or diagnostic observations only; intervention not indicated",
    "2": "Moderate; minimal, local or noninvasive intervention indicated; limiting instrumental ADL",
    "3": "Severe or medically significant but not immediately life-threatening; hospitalization or "
         "prolongation of existing hospitalization indicated; disabling; limiting self care ADL",
    "4": "Life-threatening consequences; urgent intervention indicated",
    "5": "Death",
}
