"""A ClinicalTrials.gov record as the importer reads it: the registry's enum tables (standards.md
§1.3), typed access to `protocolSection` whose errors name the JSON path, the draft being built with
every unfilled field and why, and the API v2 JSON reader.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

from oncotrial.errors import InvalidInput

RecordFormat = Literal["json", "csv"]


NOT_IN_RECORD = "not in the registry record"


PHASES = {"NA": "na", "EARLY_PHASE1": "early_phase1", "PHASE1": "phase1", "PHASE2": "phase2",
          "PHASE3": "phase3", "PHASE4": "phase4"}


PHASE_PAIRS = {("PHASE1", "PHASE2"): "phase1_phase2", ("PHASE2", "PHASE3"): "phase2_phase3"}


STUDY_TYPES = ("INTERVENTIONAL", "OBSERVATIONAL", "EXPANDED_ACCESS")


ALLOCATIONS = ("RANDOMIZED", "NON_RANDOMIZED", "NA")


INTERVENTION_MODELS = ("SINGLE_GROUP", "PARALLEL", "CROSSOVER", "FACTORIAL", "SEQUENTIAL")


PURPOSES = ("TREATMENT", "PREVENTION", "DIAGNOSTIC", "ECT", "SUPPORTIVE_CARE", "SCREENING",
            "HEALTH_SERVICES_RESEARCH", "BASIC_SCIENCE", "DEVICE_FEASIBILITY", "OTHER")


MODEL_PURPOSES = ("TREATMENT", "PREVENTION", "DIAGNOSTIC", "SUPPORTIVE_CARE", "OTHER")


MASKINGS = ("NONE", "SINGLE", "DOUBLE", "TRIPLE", "QUADRUPLE")


STATUSES = ("NOT_YET_RECRUITING", "RECRUITING", "ENROLLING_BY_INVITATION", "ACTIVE_NOT_RECRUITING",
            "SUSPENDED", "TERMINATED", "COMPLETED", "WITHDRAWN", "UNKNOWN", "AVAILABLE",
            "NO_LONGER_AVAILABLE", "TEMPORARILY_NOT_AVAILABLE", "APPROVED_FOR_MARKETING", "WITHHELD")


MODEL_STATUSES = ("NOT_YET_RECRUITING", "RECRUITING", "ACTIVE_NOT_RECRUITING", "COMPLETED", "SUSPENDED",
                  "TERMINATED", "WITHDRAWN", "UNKNOWN")


INTERVENTION_TYPES = ("DRUG", "DEVICE", "BIOLOGICAL", "PROCEDURE", "RADIATION", "BEHAVIORAL", "GENETIC",
                      "DIETARY_SUPPLEMENT", "COMBINATION_PRODUCT", "DIAGNOSTIC_TEST", "OTHER")


# A biological (an antibody, a vaccine) is dosed and cycled like a drug in the protocol model.
INTERVENTION_KINDS = {"DRUG": "drug", "BIOLOGICAL": "drug", "PROCEDURE": "procedure",
                      "RADIATION": "radiation"}


ARM_TYPES = ("EXPERIMENTAL", "ACTIVE_COMPARATOR", "PLACEBO_COMPARATOR", "SHAM_COMPARATOR",
             "NO_INTERVENTION", "OTHER")


MODEL_ARM_TYPES = ("EXPERIMENTAL", "ACTIVE_COMPARATOR", "PLACEBO_COMPARATOR", "NO_INTERVENTION", "OTHER")


SEXES = {"ALL": ["female", "male"], "FEMALE": ["female"], "MALE": ["male"]}


TEXT_KEYS = frozenset({"name", "type", "label", "description", "measure", "timeFrame", "facility", "city",
                       "state", "zip", "country", "phone", "email", "role", "status"})


TEXT_LIST_KEYS = frozenset({"otherNames", "armGroupLabels", "interventionNames"})


@dataclass(frozen=True)
class UnfilledField:
    """A protocol field the registry record did not fill: its path and why."""

    path: str
    reason: str


@dataclass(frozen=True)
class ImportedDraft:
    """A draft protocol in its YAML form (plain data) and every field left for the trial team.

    ``data`` holds only what the record states; ``unfilled`` names each field it could not fill;
    ``notes`` are things to check by hand (cross-references that disagree, ambiguous CSV cells).
    """

    data: Mapping[str, Any]
    unfilled: tuple[UnfilledField, ...]
    format: RecordFormat
    source: str
    notes: tuple[str, ...] = ()


class DraftBuilder:
    """Collects the protocol data and the unfilled fields while one record is read."""

    def __init__(self, source: str):
        self.source = source
        self.data: dict[str, Any] = {}
        self.unfilled: list[UnfilledField] = []
        self.notes: list[str] = []
        # CSV only: the column each JSON path came from, and why a field the CSV lacks is empty.
        self.labels: dict[str, str] = {}
        self.reasons: dict[str, str] = {}

    def missing(self, path: str, reason: str = NOT_IN_RECORD) -> None:
        self.unfilled.append(UnfilledField(path, self.reasons.get(path, reason)))

    def put(self, target: dict, key: str, value, path: str, reason: str = NOT_IN_RECORD) -> None:
        if value in (None, "", [], ()):
            self.missing(path, reason)
        else:
            target[key] = value

    def enum(self, value, allowed, field: str, representable=None):
        """The registry enum value lower-cased, or None (and an unfilled entry) when not usable."""
        if value in (None, ""):
            return None
        if value not in allowed:
            self.fail(field, f"{value!r} is not a ClinicalTrials.gov value; allowed: {', '.join(allowed)}")
        if representable is not None and value not in representable:
            return None
        return value.lower()

    def fail(self, field: str, message: str):
        if not field.startswith("column "):
            field = field.removeprefix("protocolSection.")
            field = self.labels.get(re.sub(r"\[\d+\]", "", field), f"protocolSection.{field}")
        layout = ("the current CSV export (standards.md §1.6)" if field.startswith("column ")
                  else "the ClinicalTrials.gov API v2 study format (standards.md §1.3)")
        raise InvalidInput(f"{self.source}: {field}: {message}", field=field,
                           hint=f"check the record against {layout}; nothing was written")

    def finish(self, fmt: RecordFormat) -> ImportedDraft:
        order = ("id", "version", "title", "registry", "sites", "interventions", "arms",
                 "assessment_schedule", "endpoints", "randomization", "eligibility", "analysis_sets",
                 "design", "assumptions")
        data = {key: self.data[key] for key in order if key in self.data}
        unfilled = sorted(self.unfilled, key=lambda u: order.index(re.split(r"[.\[]", u.path)[0]))
        return ImportedDraft(data, tuple(unfilled), fmt, self.source, tuple(self.notes))


def read_json_study(text: str, source: str) -> StudyView:
    """One API v2 study (or a search page holding exactly one) as a `StudyView`; errors name the file."""
    try:
        document = json.loads(text)
    except json.JSONDecodeError as error:
        raise InvalidInput(f"{source}: not valid JSON (line {error.lineno}, column {error.colno}: "
                           f"{error.msg})", field="(file)",
                           hint="download the study with format=json from the ClinicalTrials.gov API v2"
                           ) from None
    if isinstance(document, Mapping) and isinstance(document.get("studies"), list):
        studies = document["studies"]
        if len(studies) != 1:
            raise InvalidInput(f"{source}: studies: holds {len(studies)} studies; allowed: exactly one",
                               field="studies", hint="import one study at a time")
        document = studies[0]
    if not isinstance(document, Mapping) or not isinstance(document.get("protocolSection"), Mapping):
        raise InvalidInput(f"{source}: protocolSection: missing; a ClinicalTrials.gov API v2 study "
                           "has an object 'protocolSection' at the top level", field="protocolSection",
                           hint="GET https://clinicaltrials.gov/api/v2/studies/NCT… returns one study")
    return StudyView(document["protocolSection"], source)


class StudyView:
    """Typed access to ``protocolSection`` (errors name the JSON path and the expected type)."""

    def __init__(self, section: Mapping, source: str):
        self.section = section
        self.source = source

    def get(self, path: str, kind: type | tuple = str):
        value: Any = self.section
        walked = "protocolSection"
        for key in path.split("."):
            if value is None:
                return None
            if not isinstance(value, Mapping):
                raise InvalidInput(f"{self.source}: {walked}: must be an object", field=walked)
            value = value.get(key)
            walked = f"{walked}.{key}"
        if (value is not None and not isinstance(value, kind)) or (isinstance(value, bool) and kind is int):
            names = {str: "text", int: "a whole number", list: "a list", dict: "an object"}
            wanted = names.get(kind, "a list") if isinstance(kind, type) else "an object"
            raise InvalidInput(f"{self.source}: {walked}: {value!r} is not {wanted}", field=walked)
        return value

    def items(self, path: str) -> list[Mapping]:
        """A list of objects whose text and text-list keys (``name``, ``armGroupLabels``…) are checked."""
        values = self.get(path, list) or []
        for i, item in enumerate(values):
            where = f"protocolSection.{path}[{i}]"
            if not isinstance(item, Mapping):
                raise InvalidInput(f"{self.source}: {where}: must be an object", field=where)
            for key, value in item.items():
                if key in TEXT_KEYS and value is not None and not isinstance(value, str):
                    raise InvalidInput(f"{self.source}: {where}.{key}: {value!r} is not text",
                                       field=f"{where}.{key}")
                if key in TEXT_LIST_KEYS and not (isinstance(value, list)
                                                  and all(isinstance(v, str) for v in value)):
                    raise InvalidInput(f"{self.source}: {where}.{key}: {value!r} is not a list of text",
                                       field=f"{where}.{key}")
        return values

    def texts(self, path: str) -> list[str]:
        values = self.get(path, list) or []
        for i, item in enumerate(values):
            if not isinstance(item, str):
                raise InvalidInput(f"{self.source}: protocolSection.{path}[{i}]: {item!r} is not text",
                                   field=f"protocolSection.{path}[{i}]")
        return values
