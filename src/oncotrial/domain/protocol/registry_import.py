"""Draft a protocol from a ClinicalTrials.gov record: API v2 study JSON or the current CSV export.

The importer copies what the registry states, word for word, into the YAML form of
:mod:`oncotrial.domain.protocol.model` and lists every field it could not fill. It never guesses: a registry
record names a drug but carries no structured dose, cycle length, start rule, imaging calendar,
randomization ratio or derivation rule, so those fields are left out and listed, and the trial team
completes them (seed-trials.md §8). Key names and enum values follow standards.md §1.3 (JSON) and
§1.6 (CSV); the CSV cells are split as that section describes.

Pure: text in, :class:`ImportedDraft` out. Reading and writing files is the command line's job.
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


def import_registry_record(text: str, format: RecordFormat | None = None, *,
                           source: str = "<record>") -> ImportedDraft:
    """Draft a protocol from one ClinicalTrials.gov study record (standards.md §1.3 and §1.6).

    ``format`` is ``json`` (API v2 study, or a search page holding exactly one study) or ``csv``
    (the current export: a header row and one study row); left out, it is read from the text.
    ``source`` names the file in error messages.

    Raises :class:`InvalidInput` naming ``source``, the field and what is allowed when the text is
    empty, not JSON, not the CSV export's header, lacks ``protocolSection`` or holds a value outside
    the registry's enums (e.g. a phase other than NA, EARLY_PHASE1, PHASE1…PHASE4).

    >>> draft = import_registry_record('{"protocolSection": {"identificationModule": '
    ...     '{"nctId": "NCT99999901", "briefTitle": "A trial"}}}')
    >>> draft.data["registry"]["nct_id"], "version" in [u.path for u in draft.unfilled]
    ('NCT99999901', True)
    """
    if not text or not text.strip():
        raise InvalidInput(f"{source}: the file is empty", field="(file)",
                           hint="export one study from ClinicalTrials.gov as JSON (API v2) or CSV")
    text = text.lstrip("\ufeff")
    chosen = format or ("json" if text.lstrip().startswith(("{", "[")) else "csv")
    draft = _Draft(source)
    if chosen == "json":
        _read_study(draft, _study_from_json(text, source))
    elif chosen == "csv":
        _read_study(draft, _study_from_csv(draft, text))
    else:
        raise InvalidInput(f"{source}: format {chosen!r} is not allowed; allowed: json, csv",
                           field="format")
    return draft.finish(chosen)


class _Draft:
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


def _study_from_json(text: str, source: str) -> Mapping:
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
    return _StudyView(document["protocolSection"], source)


class _StudyView:
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


def _read_study(draft: _Draft, study: _StudyView) -> None:
    registry = _read_registry(draft, study)
    nct_id, title = registry.get("nct_id"), registry.get("brief_title") or registry.get("official_title")
    draft.put(draft.data, "id", (nct_id or "").lower() or _slug(registry.get("acronym") or title or ""),
              "id", "no NCT number, acronym or title to name the protocol by")
    draft.missing("version", "the protocol version is set by the trial team")
    draft.put(draft.data, "title", title, "title", "the record has no brief or official title")
    draft.data["registry"] = registry
    draft.data["sites"] = _read_sites(draft, study)
    if not draft.data["sites"]:
        del draft.data["sites"]
    _read_interventions_and_arms(draft, study)
    draft.missing("assessment_schedule", "the registry does not record the imaging calendar "
                  "(anchor, interval, window, phase changes)")
    _read_endpoints(draft, study)
    _read_randomization(draft, study)
    _read_eligibility(draft, study)
    draft.missing("analysis_sets", NOT_IN_RECORD)
    draft.missing("design", "the statistical design (method, alpha, power, effect size) is not "
                  "in the registry record")


def _read_registry(draft: _Draft, study: _StudyView) -> dict:
    reg: dict[str, Any] = {}
    put = lambda key, value, reason=NOT_IN_RECORD: draft.put(reg, key, value, f"registry.{key}", reason)  # noqa: E731
    put("nct_id", study.get("identificationModule.nctId"))
    put("brief_title", study.get("identificationModule.briefTitle"))
    put("official_title", study.get("identificationModule.officialTitle"))
    if study.get("identificationModule.acronym"):
        reg["acronym"] = study.get("identificationModule.acronym")
    put("brief_summary", study.get("descriptionModule.briefSummary"))
    put("detailed_description", study.get("descriptionModule.detailedDescription"))
    put("conditions", study.texts("conditionsModule.conditions"))
    if study.texts("conditionsModule.keywords"):
        reg["keywords"] = study.texts("conditionsModule.keywords")
    _read_design(draft, study, put)
    put("status", draft.enum(study.get("statusModule.overallStatus"), STATUSES,
                             "statusModule.overallStatus", MODEL_STATUSES),
        _unrepresentable(study.get("statusModule.overallStatus"), MODEL_STATUSES))
    put("sponsor", study.get("sponsorCollaboratorsModule.leadSponsor.name"))
    collaborators = [c.get("name") for c in study.items("sponsorCollaboratorsModule.collaborators")]
    if any(collaborators):
        reg["collaborators"] = [name for name in collaborators if name]
    contacts = study.items("contactsLocationsModule.centralContacts")
    if contacts:
        reg["contact"] = ", ".join(str(contacts[0][k]) for k in ("name", "phone", "email")
                                   if contacts[0].get(k))
    return reg


def _read_design(draft: _Draft, study: _StudyView, put) -> None:
    study_type = study.get("designModule.studyType")
    put("study_type", draft.enum(study_type, STUDY_TYPES, "designModule.studyType",
                                 STUDY_TYPES[:2]), _unrepresentable(study_type, STUDY_TYPES[:2]))
    put("phase", _phase(draft, study.texts("designModule.phases"), "designModule.phases"))
    info = "designModule.designInfo"
    put("allocation", draft.enum(study.get(f"{info}.allocation"), ALLOCATIONS, f"{info}.allocation"))
    put("intervention_model", draft.enum(study.get(f"{info}.interventionModel"), INTERVENTION_MODELS,
                                         f"{info}.interventionModel"))
    purpose = study.get(f"{info}.primaryPurpose")
    put("primary_purpose", draft.enum(purpose, PURPOSES, f"{info}.primaryPurpose", MODEL_PURPOSES),
        _unrepresentable(purpose, MODEL_PURPOSES))
    put("masking", draft.enum(study.get(f"{info}.maskingInfo.masking"), MASKINGS,
                              f"{info}.maskingInfo.masking"))
    count = study.get("designModule.enrollmentInfo.count", int)
    if count is not None and count < 0:
        draft.fail("designModule.enrollmentInfo.count", f"{count} is negative; allowed: a count >= 0")
    put("enrollment", count)
    put("enrollment_type", draft.enum(study.get("designModule.enrollmentInfo.type"),
                                      ("ACTUAL", "ESTIMATED"), "designModule.enrollmentInfo.type"))


def _unrepresentable(value, representable) -> str:
    if value in (None, "") or value in representable:
        return NOT_IN_RECORD
    return (f"the registry value {value} has no equivalent in the protocol model; allowed: "
            f"{', '.join(v.lower() for v in representable)}")


def _phase(draft: _Draft, phases: list[str], field: str) -> str | None:
    """``["PHASE1", "PHASE2"]`` is a phase 1/2 study (standards.md §1.3)."""
    for value in phases:
        if value not in PHASES:
            draft.fail(field, f"{value!r} is not a phase; allowed: {', '.join(PHASES)}")
    if not phases:
        return None
    if len(phases) == 1:
        return PHASES[phases[0]]
    pair = tuple(sorted(set(phases)))
    if pair not in PHASE_PAIRS:
        draft.fail(field, f"{'|'.join(phases)} is not a phase combination; allowed: PHASE1|PHASE2, "
                   "PHASE2|PHASE3 or a single phase")
    return PHASE_PAIRS[pair]


def _read_sites(draft: _Draft, study: _StudyView) -> list[dict]:
    sites: list[dict] = []
    locations = study.items("contactsLocationsModule.locations")
    if not locations:
        draft.missing("sites", "the record lists no locations")
    for location in locations:
        facility = location.get("facility")
        if not facility:
            draft.notes.append(f"a location without a facility name was skipped: {dict(location)}")
            continue
        site = {"id": _unique(_slug(facility), [s["id"] for s in sites]), "name": facility}
        for key, registry_key in (("city", "city"), ("region", "state"), ("country", "country")):
            if location.get(registry_key):
                site[key] = location[registry_key]
        sites.append(site)
        draft.missing(f"sites.{site['id']}.timezone", "the site's time zone is not in the record")
    return sites


def _read_interventions_and_arms(draft: _Draft, study: _StudyView) -> None:
    interventions: list[dict] = []
    for i, item in enumerate(study.items("armsInterventionsModule.interventions")):
        field = f"protocolSection.armsInterventionsModule.interventions[{i}]"
        kind = draft.enum(item.get("type"), INTERVENTION_TYPES, f"{field}.type")
        if not item.get("name"):
            draft.fail(f"{field}.name", "is required")
        if kind is None or kind.upper() not in INTERVENTION_KINDS:
            draft.notes.append(f"intervention '{item['name']}' ({item.get('type')}) was not imported: "
                               "the protocol model schedules drugs, procedures and radiation only")
            continue
        entry = _intervention(draft, item, INTERVENTION_KINDS[kind.upper()],
                              [x["id"] for x in interventions])
        interventions.append(entry)
    if interventions:
        draft.data["interventions"] = interventions
    else:
        draft.missing("interventions", "the record lists no drug, procedure or radiation")
    _read_arms(draft, study, interventions)


def _intervention(draft: _Draft, item: Mapping, kind: str, taken: list[str]) -> dict:
    name = item["name"]
    entry: dict[str, Any] = {"id": _unique(_slug(name), taken), "kind": kind, "name": name}
    if item.get("description"):
        entry["description"] = item["description"]
    path = f"interventions.{entry['id']}"
    words = " ".join([name, item.get("description") or "", *(item.get("otherNames") or [])])
    if kind == "drug":
        draft.missing(f"{path}.regimens", f"the record names the drug ('{name}') but gives no "
                      "structured dose, unit, route, dosing days or cycle length")
        return entry
    procedure = _procedure_kind(words, kind)
    if procedure is None:
        draft.missing(f"{path}.procedure", f"'{name}' is not recognisably an ablation, SBRT or "
                      "resection; allowed kinds: ablation, sbrt, resection")
        return entry
    entry["procedure"] = {"kind": procedure}
    technique = _technique(words)
    if technique:
        entry["procedure"]["technique"] = technique
    wanted = {"ablation": ("technique", "repeatable", "max_sessions"),
              "sbrt": ("dose_gy", "fractions", "target"), "resection": ()}[procedure]
    for key in wanted:
        if key not in entry["procedure"]:
            draft.missing(f"{path}.procedure.{key}", NOT_IN_RECORD)
    return entry


def _procedure_kind(words: str, kind: str) -> str | None:
    """The procedure kind the record's own words name (no inference beyond the named technique)."""
    text = words.lower()
    if re.search(r"\bsbrt\b|\bsabr\b|stereotactic (body )?(ablative )?radi", text):
        return "sbrt"
    if kind == "procedure" and re.search(r"ablation|\bmwa\b|\brfa\b", text):
        return "ablation"
    if kind == "procedure" and re.search(r"resection|hepatectomy|metastasectomy", text):
        return "resection"
    return None


def _technique(words: str) -> str:
    text = words.lower()
    for key, technique in (("microwave", "microwave"), ("radiofrequency", "radiofrequency"),
                           ("cryo", "cryoablation"), ("irreversible electroporation", "irreversible electroporation")):
        if key in text:
            return technique
    return ""


def _read_arms(draft: _Draft, study: _StudyView, interventions: list[dict]) -> None:
    groups = study.items("armsInterventionsModule.armGroups")
    if not groups:
        draft.missing("arms", "the record lists no arm groups")
        return
    by_name = {i["name"].lower(): i["id"] for i in interventions}
    raw = study.items("armsInterventionsModule.interventions")
    arms: list[dict] = []
    for g, group in enumerate(groups):
        field = f"protocolSection.armsInterventionsModule.armGroups[{g}]"
        label = group.get("label") or draft.fail(f"{field}.label", "is required")
        kind = draft.enum(group.get("type"), ARM_TYPES, f"{field}.type", MODEL_ARM_TYPES)
        arm = {"id": _unique(_slug(label), [a["id"] for a in arms]), "name": label}
        draft.put(arm, "kind", kind, f"arms.{arm['id']}.kind", _unrepresentable(group.get("type"), MODEL_ARM_TYPES))
        if group.get("description"):
            arm["description"] = group["description"]
        arm["interventions"] = _arm_interventions(draft, label, group, raw, by_name)
        draft.missing(f"arms.{arm['id']}.starts", "the record does not say when each treatment starts "
                      "(anchor and offset: enrolment, randomization, a procedure, a first dose)")
        arms.append(arm)
    draft.data["arms"] = arms


def _arm_interventions(draft: _Draft, label: str, group: Mapping, raw: list[Mapping], by_name) -> list[str]:
    """Resolve both cross-references; the registry's two lists can disagree (standards.md §1.3)."""
    from_arm = set()
    for display in group.get("interventionNames") or []:
        bare = re.sub(r"^[A-Za-z ]+:\s*", "", display).strip().lower()
        if bare in by_name:
            from_arm.add(by_name[bare])
        else:
            draft.notes.append(f"arm '{label}' names intervention '{display}', which is not among the "
                               "imported interventions")
    from_interventions = {by_name[i["name"].lower()] for i in raw
                          if label in (i.get("armGroupLabels") or []) and i.get("name", "").lower() in by_name}
    if from_arm != from_interventions and from_arm and from_interventions:
        draft.notes.append(f"arm '{label}': armGroups.interventionNames and interventions.armGroupLabels "
                           "disagree; the draft lists the union, check it")
    chosen = from_arm | from_interventions
    return [i for i in by_name.values() if i in chosen]


def _read_endpoints(draft: _Draft, study: _StudyView) -> None:
    endpoints: list[dict] = []
    for key, role in (("primaryOutcomes", "primary"), ("secondaryOutcomes", "secondary"),
                      ("otherOutcomes", "exploratory")):
        for i, outcome in enumerate(study.items(f"outcomesModule.{key}")):
            if not outcome.get("measure"):
                draft.fail(f"protocolSection.outcomesModule.{key}[{i}].measure", "is required")
            endpoints.append(_endpoint(draft, outcome, role, [e["id"] for e in endpoints]))
    if endpoints:
        draft.data["endpoints"] = endpoints
    else:
        draft.missing("endpoints", "the record lists no outcome measures")


def _endpoint(draft: _Draft, outcome: Mapping, role: str, taken: list[str]) -> dict:
    name = outcome["measure"]
    endpoint: dict[str, Any] = {"id": _unique(_endpoint_id(name), taken), "name": name}
    path = f"endpoints.{endpoint['id']}"
    draft.missing(f"{path}.kind", "the record does not say whether it is time-to-event, binary or a rate")
    endpoint["role"] = role
    draft.missing(f"{path}.rule", "the derivation rule and its parameters are not in the record")
    for key, registry_key in (("description", "description"), ("time_frame", "timeFrame")):
        draft.put(endpoint, key, outcome.get(registry_key), f"{path}.{key}")
    draft.put(endpoint, "time_frame_months", _months(outcome.get("timeFrame") or ""),
              f"{path}.time_frame_months", "the time frame states no single duration in months or years")
    return endpoint


def _months(time_frame: str) -> float | None:
    """The one duration a time frame states ("assessed up to 12 months", "3 years"), in months."""
    found = {(float(n) * (12 if unit.startswith("year") else 1))
             for n, unit in re.findall(r"(\d+(?:\.\d+)?)[\s-]*(months?|years?)\b", time_frame.lower())}
    if len(found) != 1:
        return None
    months = found.pop()
    return int(months) if months == int(months) else months


def _endpoint_id(name: str) -> str:
    abbreviation = re.search(r"\(([A-Za-z][A-Za-z0-9-]{1,9})\)\s*$", name)
    return abbreviation.group(1).lower() if abbreviation else _slug(name)


def _read_randomization(draft: _Draft, study: _StudyView) -> None:
    allocation = draft.data["registry"].get("allocation")
    if allocation in ("na", "non_randomized"):
        draft.data["randomization"] = {"method": "none"}
    elif allocation == "randomized":
        draft.missing("randomization", "the record says randomized but gives no method, ratio or "
                      "stratification factors")
    else:
        draft.missing("randomization", "the record does not state the allocation")


def _read_eligibility(draft: _Draft, study: _StudyView) -> None:
    criteria = _age_and_sex(draft, study)
    text = study.get("eligibilityModule.eligibilityCriteria") or ""
    for kind, number, bullet in _criteria_bullets(text):
        item = {"id": f"{kind[:3]}-{number}", "kind": kind, "text": bullet}
        criteria.append(item)
        draft.missing(f"eligibility.{item['id']}.operator", "free text only; add field, operator and "
                      "value so the criterion can be checked")
    if criteria:
        draft.data["eligibility"] = criteria
    else:
        draft.missing("eligibility", NOT_IN_RECORD)


def _age_and_sex(draft: _Draft, study: _StudyView) -> list[dict]:
    criteria = []
    for key, operator in (("minimumAge", ">="), ("maximumAge", "<=")):
        age = study.get(f"eligibilityModule.{key}")
        if not age:
            continue
        item = {"id": "min-age" if operator == ">=" else "max-age", "kind": "inclusion",
                "text": f"{'Minimum' if operator == '>=' else 'Maximum'} age: {age}"}
        years = re.fullmatch(r"(\d+)\s+Years?", age.strip())
        if years:
            item.update(field="age_years", operator=operator, value=int(years.group(1)), unit="years")
        else:
            draft.missing(f"eligibility.{item['id']}.operator", f"age '{age}' is not in whole years")
        criteria.append(item)
    sex = draft.enum(study.get("eligibilityModule.sex"), tuple(SEXES), "eligibilityModule.sex")
    if sex:
        criteria.append({"id": "sex", "kind": "inclusion", "text": f"Sex: {sex.upper()}", "field": "sex",
                         "operator": "in", "value": SEXES[sex.upper()]})
    return criteria


def _criteria_bullets(text: str):
    """(kind, number, text) for each bullet under 'Inclusion Criteria:' / 'Exclusion Criteria:'."""
    kind, counts = None, {"inclusion": 0, "exclusion": 0}
    for line in text.splitlines():
        stripped = line.strip()
        heading = re.match(r"(?i)^\**(inclusion|exclusion)\s+criteria\**:?\**$", stripped)
        if heading:
            kind = heading.group(1).lower()
            continue
        bullet = re.match(r"^(?:[*\-•]|\d+[.)])\s+(.*\S)", stripped)
        if kind and bullet:
            counts[kind] += 1
            yield kind, counts[kind], bullet.group(1)


def _slug(text: str, limit: int = 40) -> str:
    words = re.findall(r"[a-z0-9]+", text.lower())
    slug = ""
    for word in words:
        if slug and len(slug) + len(word) + 1 > limit:
            break
        slug = f"{slug}-{word}" if slug else word[:limit]
    return slug


def _unique(candidate: str, taken: list[str]) -> str:
    candidate = candidate or "item"
    if candidate not in taken:
        return candidate
    n = 2
    while f"{candidate}-{n}" in taken:
        n += 1
    return f"{candidate}-{n}"


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


def _study_from_csv(draft: _Draft, text: str) -> _StudyView:
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
    return _StudyView(section, draft.source)


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


def _csv_interventions(draft: _Draft, items: list[str]) -> list[dict]:
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


FORMAT_NAMES = {"json": "ClinicalTrials.gov API v2 study JSON", "csv": "ClinicalTrials.gov CSV export"}
UNFILLED_LINE = re.compile(r"^# unfilled: (\S+) \| (.*)$")


def render_draft_yaml(draft: ImportedDraft) -> str:
    """The draft as YAML, its header comment listing every unfilled field and every note.

    The ``# unfilled: PATH | reason`` lines are what :func:`check_draft` reads back.
    """
    import yaml

    lines = [f"# Draft protocol imported from {draft.source} ({FORMAT_NAMES[draft.format]}).",
             "# Registry facts are copied as written; nothing the record does not state was filled in.",
             "# Complete every field listed below, then run `oncotrial protocols validate FILE`:",
             "# it names each field that is still missing. A draft does not load until it is complete.",
             "#"]
    # one line each: a newline inside a registry value would end the comment
    lines += [f"# unfilled: {u.path} | {' '.join(u.reason.split())}" for u in draft.unfilled]
    lines += [f"# note: {' '.join(note.split())}" for note in draft.notes]
    body = yaml.safe_dump(dict(draft.data), sort_keys=False, allow_unicode=True, width=100)
    return "\n".join(lines) + "\n" + body


def check_draft(text: str, data) -> list[tuple[str, str]]:
    """(path, problem) for each field a draft still lacks: header ``unfilled`` entries not yet filled
    and required protocol fields absent. Empty when the draft is complete enough to load."""
    problems = [(u.path, f"still missing ({u.reason})") for u in _header_unfilled(text)
                if not is_filled(data, u.path)]
    seen = {path for path, _ in problems}
    problems += [(path, "is required") for path in find_missing_fields(data) if path not in seen]
    return problems


def _header_unfilled(text: str) -> list[UnfilledField]:
    found = []
    for line in text.splitlines():
        if not line.startswith("#"):
            break
        match = UNFILLED_LINE.match(line)
        if match:
            found.append(UnfilledField(match.group(1), match.group(2)))
    return found


def is_filled(data, path: str) -> bool:
    """Whether ``path`` (``interventions.sintilimab.regimens``, ``arms.a.starts[0].anchor``) is
    written in ``data``; a list item is addressed by its ``id`` or by ``[index]``. An explicit null
    counts: ``max_sessions: null`` is the team's decision that there is no limit."""
    value = data
    for segment in path.split("."):
        name, *indices = re.findall(r"[^\[\]]+", segment)
        if isinstance(value, list):
            value = next((item for item in value if isinstance(item, Mapping) and item.get("id") == name),
                         None)
            if value is None:
                return False
        elif isinstance(value, Mapping) and name in value:
            value = value[name]
        else:
            return False
        for index in indices:
            if not isinstance(value, list) or int(index) >= len(value):
                return False
            value = value[int(index)]
    return True


def find_missing_fields(data) -> list[str]:
    """Paths of the required fields of :class:`~oncotrial.domain.protocol.model.Protocol` that ``data``
    lacks, all of them at once (``load_protocol`` stops at the first problem)."""
    from oncotrial.domain.protocol.model import Protocol

    return _missing(Protocol, data, "")


def _missing(cls, data, path: str) -> list[str]:
    import dataclasses
    import typing

    if not isinstance(data, Mapping):
        return [] if path else ["(top level)"]
    hints, found = typing.get_type_hints(cls), []
    for f in dataclasses.fields(cls):
        here = f"{path}.{f.name}" if path else f.name
        if f.name not in data:
            if f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING:
                found.append(here)
            continue
        inner = [a for a in (typing.get_args(hints[f.name]) or (hints[f.name],)) if a is not type(None)]
        if typing.get_origin(hints[f.name]) is tuple:
            if dataclasses.is_dataclass(inner[0]) and isinstance(data[f.name], list):
                for i, item in enumerate(data[f.name]):
                    found += _missing(inner[0], item, f"{here}[{i}]")
        elif dataclasses.is_dataclass(inner[0]):
            found += _missing(inner[0], data[f.name], here)
    return found
