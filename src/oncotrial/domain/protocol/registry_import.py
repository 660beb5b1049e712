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

import re
from collections.abc import Mapping
from typing import Any

from oncotrial.domain.protocol.registry_csv import read_csv_study
from oncotrial.domain.protocol.registry_record import (
    ALLOCATIONS,
    ARM_TYPES,
    INTERVENTION_KINDS,
    INTERVENTION_MODELS,
    INTERVENTION_TYPES,
    MASKINGS,
    MODEL_ARM_TYPES,
    MODEL_PURPOSES,
    MODEL_STATUSES,
    NOT_IN_RECORD,
    PHASE_PAIRS,
    PHASES,
    PURPOSES,
    SEXES,
    STATUSES,
    STUDY_TYPES,
    DraftBuilder,
    ImportedDraft,
    RecordFormat,
    StudyView,
    read_json_study,
)
from oncotrial.errors import InvalidInput


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
    draft = DraftBuilder(source)
    if chosen == "json":
        _read_study(draft, read_json_study(text, source))
    elif chosen == "csv":
        _read_study(draft, read_csv_study(draft, text))
    else:
        raise InvalidInput(f"{source}: format {chosen!r} is not allowed; allowed: json, csv",
                           field="format")
    return draft.finish(chosen)








def _read_study(draft: DraftBuilder, study: StudyView) -> None:
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


def _read_registry(draft: DraftBuilder, study: StudyView) -> dict:
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


def _read_design(draft: DraftBuilder, study: StudyView, put) -> None:
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


def _phase(draft: DraftBuilder, phases: list[str], field: str) -> str | None:
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


def _read_sites(draft: DraftBuilder, study: StudyView) -> list[dict]:
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


def _read_interventions_and_arms(draft: DraftBuilder, study: StudyView) -> None:
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


def _intervention(draft: DraftBuilder, item: Mapping, kind: str, taken: list[str]) -> dict:
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


def _read_arms(draft: DraftBuilder, study: StudyView, interventions: list[dict]) -> None:
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


def _arm_interventions(draft: DraftBuilder, label: str, group: Mapping, raw: list[Mapping], by_name) -> list[str]:
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


def _read_endpoints(draft: DraftBuilder, study: StudyView) -> None:
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


def _endpoint(draft: DraftBuilder, outcome: Mapping, role: str, taken: list[str]) -> dict:
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


def _read_randomization(draft: DraftBuilder, study: StudyView) -> None:
    allocation = draft.data["registry"].get("allocation")
    if allocation in ("na", "non_randomized"):
        draft.data["randomization"] = {"method": "none"}
    elif allocation == "randomized":
        draft.missing("randomization", "the record says randomized but gives no method, ratio or "
                      "stratification factors")
    else:
        draft.missing("randomization", "the record does not state the allocation")


def _read_eligibility(draft: DraftBuilder, study: StudyView) -> None:
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


def _age_and_sex(draft: DraftBuilder, study: StudyView) -> list[dict]:
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




























