"""Registry import: a ClinicalTrials.gov JSON record written for trial B and a CSV row written for trial
A (tests/vectors/registry/) import to drafts whose known fields equal the built-in protocols'; every
field the record cannot fill is listed, never guessed; malformed files give typed errors."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from oncotrial.domain.protocol.model import dump_protocol
from oncotrial.domain.protocol.registry_draft import (
    check_draft,
    find_missing_fields,
    is_filled,
    render_draft_yaml,
)
from oncotrial.domain.protocol.registry_import import import_registry_record
from oncotrial.errors import InvalidInput
from oncotrial.protocols import load_builtin_protocol

VECTORS = Path(__file__).resolve().parents[2] / "vectors" / "registry"
KNOWN_REGISTRY_FIELDS = ("nct_id", "brief_title", "brief_summary", "detailed_description", "conditions",
                         "study_type", "phase", "allocation", "intervention_model", "primary_purpose",
                         "masking", "enrollment", "status", "sponsor")


def draft_of(name: str, **options):
    return import_registry_record((VECTORS / name).read_text(encoding="utf-8"), source=name, **options)


@pytest.fixture(scope="module")
def draft_b():
    return draft_of("trial-b-nct06120127.json")


@pytest.fixture(scope="module")
def draft_a():
    return draft_of("trial-a.csv")


def unfilled_paths(draft) -> set[str]:
    return {u.path for u in draft.unfilled}


# Trial B from API v2 JSON

def test_trial_b_registry_facts_equal_the_built_in(draft_b):
    builtin = load_builtin_protocol("crlm-sbrt-sintilimab")
    assert draft_b.format == "json"
    assert draft_b.data["title"] == builtin.title
    for field in KNOWN_REGISTRY_FIELDS:
        value = getattr(builtin.registry, field)
        assert draft_b.data["registry"][field] == (list(value) if isinstance(value, tuple) else value), field


def test_trial_b_site_equals_the_built_in(draft_b):
    builtin = load_builtin_protocol("crlm-sbrt-sintilimab")
    assert [(s["name"], s["city"], s["region"], s["country"]) for s in draft_b.data["sites"]] == [
        (s.name, s.city, s.region, s.country) for s in builtin.sites]


def test_trial_b_site_is_read_from_the_location(draft_b):
    assert draft_b.data["sites"] == [{"id": "fudan-university-shanghai-cancer-center",
                                      "name": "Fudan University Shanghai Cancer Center", "city": "Shanghai",
                                      "region": "Shanghai Municipality", "country": "China"}]
    assert "sites.fudan-university-shanghai-cancer-center.timezone" in unfilled_paths(draft_b)


def test_trial_b_interventions_equal_the_built_in_by_name_and_kind(draft_b):
    builtin = load_builtin_protocol("crlm-sbrt-sintilimab")
    assert [(i["name"], i["kind"]) for i in draft_b.data["interventions"]] == [
        (i.name, i.kind) for i in builtin.interventions]
    (sbrt,) = [i for i in draft_b.data["interventions"] if i["kind"] == "radiation"]
    assert sbrt["procedure"] == {"kind": builtin.intervention("sbrt").procedure.kind}


def test_trial_b_arms_equal_the_built_in(draft_b):
    builtin = load_builtin_protocol("crlm-sbrt-sintilimab")
    names = {i["id"]: i["name"] for i in draft_b.data["interventions"]}
    assert [(a["name"], a["kind"], {names[i] for i in a["interventions"]}) for a in draft_b.data["arms"]] == [
        (a.name, a.kind, {builtin.intervention(i).name for i in a.interventions}) for a in builtin.arms]


@pytest.mark.parametrize("draft_name, protocol_id", [("trial-b-nct06120127.json", "crlm-sbrt-sintilimab"),
                                                     ("trial-a.csv", "crlm-mwa-camrelizumab")])
def test_endpoints_equal_the_built_in(draft_name, protocol_id):
    draft, builtin = draft_of(draft_name), load_builtin_protocol(protocol_id)
    fields = ("name", "description", "time_frame", "time_frame_months")
    assert [tuple(e[f] for f in fields) for e in draft.data["endpoints"]] == [
        tuple(getattr(e, f) for f in fields) for e in builtin.endpoints]
    assert [e["name"] for e in draft.data["endpoints"] if e["role"] == "primary"] == [
        e.name for e in builtin.primary_endpoints]


def test_trial_b_randomized_leaves_method_ratio_and_strata_to_the_team(draft_b):
    assert "randomization" not in draft_b.data
    (entry,) = [u for u in draft_b.unfilled if u.path == "randomization"]
    assert "ratio" in entry.reason and "stratification" in entry.reason


def test_trial_b_eligibility_is_read_as_text_with_age_and_sex_structured(draft_b):
    criteria = {c["id"]: c for c in draft_b.data["eligibility"]}
    assert criteria["min-age"] | {} == {"id": "min-age", "kind": "inclusion", "text": "Minimum age: 18 Years",
                                       "field": "age_years", "operator": ">=", "value": 18, "unit": "years"}
    assert criteria["sex"]["value"] == ["female", "male"]
    assert criteria["inc-1"] == {"id": "inc-1", "kind": "inclusion",
                                 "text": "Colorectal liver metastases confirmed pathologically and by imaging"}
    assert {"eligibility.inc-1.operator", "eligibility.inc-2.operator"} <= unfilled_paths(draft_b)


# Trial A from the CSV export

def test_trial_a_registry_facts_equal_the_built_in(draft_a):
    builtin = load_builtin_protocol("crlm-mwa-camrelizumab")
    assert draft_a.format == "csv"
    assert draft_a.data["title"] == builtin.title
    present = [f for f in KNOWN_REGISTRY_FIELDS if f in draft_a.data["registry"]]
    assert present == ["brief_title", "brief_summary", "conditions", "study_type", "phase", "allocation",
                       "intervention_model", "primary_purpose"]
    for field in present:
        value = getattr(builtin.registry, field)
        assert draft_a.data["registry"][field] == (list(value) if isinstance(value, tuple) else value), field


def test_trial_a_fields_the_row_leaves_empty_are_listed_not_guessed(draft_a):
    assert {"registry.nct_id", "registry.status", "registry.sponsor", "registry.enrollment",
            "registry.masking", "registry.enrollment_type", "registry.detailed_description", "sites",
            "arms", "eligibility"} <= unfilled_paths(draft_a)
    reasons = {u.path: u.reason for u in draft_a.unfilled}
    assert reasons["registry.detailed_description"] == "the CSV export has no detailed description column"
    assert reasons["arms"] == "the CSV export has no arm groups"


def test_trial_a_interventions_equal_the_built_in(draft_a):
    builtin = load_builtin_protocol("crlm-mwa-camrelizumab")
    assert [(i["id"], i["name"], i["kind"]) for i in draft_a.data["interventions"]] == [
        ("camrelizumab", "Camrelizumab", "drug"), ("ablation", "ablation", "procedure"),
        ("chemotherapy", "chemotherapy", "drug")]
    for item in draft_a.data["interventions"]:
        assert builtin.intervention(item["id"]).kind == item["kind"]
    assert draft_a.data["interventions"][1]["procedure"] == {"kind": "ablation"}


def test_trial_a_single_group_is_not_randomized(draft_a):
    assert draft_a.data["randomization"] == {"method": "none"}
    assert load_builtin_protocol("crlm-mwa-camrelizumab").randomization.method == "none"


def test_csv_outcomes_carry_a_note_to_check_them(draft_a):
    assert any("split from the CSV cells" in note for note in draft_a.notes)


# Never guessing: what a registry record cannot say stays out of the draft and is listed.

@pytest.mark.parametrize("name", ["trial-b-nct06120127.json", "trial-a.csv"])
def test_the_draft_invents_no_dose_schedule_rule_or_design(name):
    draft = draft_of(name)
    assert not {"version", "assessment_schedule", "analysis_sets", "design", "assumptions"} & set(draft.data)
    for item in draft.data["interventions"]:
        assert "regimens" not in item
        if item["kind"] == "drug":
            assert f"interventions.{item['id']}.regimens" in unfilled_paths(draft)
    for endpoint in draft.data["endpoints"]:
        assert not {"kind", "rule", "parameters"} & set(endpoint)
        assert {f"endpoints.{endpoint['id']}.kind", f"endpoints.{endpoint['id']}.rule"} <= unfilled_paths(draft)
    for arm in draft.data.get("arms", []):
        assert "starts" not in arm and f"arms.{arm['id']}.starts" in unfilled_paths(draft)
    assert {"version", "assessment_schedule", "analysis_sets", "design"} <= unfilled_paths(draft)


def by_id_path(data, path: str) -> str:
    """``endpoints[0].kind`` → ``endpoints.pfs.kind`` (the draft's unfilled lists name items by id)."""
    value, parts = data, []
    for segment in path.split("."):
        name, *indices = re.findall(r"[^\[\]]+", segment)
        value = value.get(name) if isinstance(value, dict) else None
        parts.append(name)
        for index in indices:
            value = value[int(index)]
            parts.append(value["id"])
    return ".".join(parts)


@pytest.mark.parametrize("name", ["trial-b-nct06120127.json", "trial-a.csv"])
def test_every_required_field_the_draft_lacks_is_listed(name):
    draft = draft_of(name)
    listed = unfilled_paths(draft)
    for path in find_missing_fields(draft.data):
        assert any(by_id_path(draft.data, path) == p or by_id_path(draft.data, path).startswith(p + ".")
                   for p in listed), path


@pytest.mark.parametrize("name", ["trial-b-nct06120127.json", "trial-a.csv"])
def test_every_listed_field_is_really_empty(name):
    draft = draft_of(name)
    assert [u.path for u in draft.unfilled if is_filled(draft.data, u.path)] == []


# The draft YAML and what `protocols validate` reads back from it.

def test_the_draft_yaml_lists_every_unfilled_field_in_its_header(draft_b):
    text = render_draft_yaml(draft_b)
    header = [line for line in text.splitlines() if line.startswith("# unfilled: ")]
    assert [line.split(" | ")[0].removeprefix("# unfilled: ") for line in header] == [
        u.path for u in draft_b.unfilled]
    assert yaml.safe_load(text) == draft_b.data


def test_a_registry_value_with_a_newline_stays_in_the_comment():
    draft = import_registry_record(study(armsInterventionsModule={"interventions": [
        {"type": "DRUG", "name": "Drug\nX"}]}))
    text = render_draft_yaml(draft)
    assert yaml.safe_load(text) == draft.data
    assert "interventions.drug-x.regimens" in dict(check_draft(text, yaml.safe_load(text)))


def test_check_draft_names_every_field_still_missing(draft_b):
    text = render_draft_yaml(draft_b)
    problems = dict(check_draft(text, yaml.safe_load(text)))
    assert unfilled_paths(draft_b) <= set(problems)
    assert problems["version"].startswith("still missing (the protocol version is set by the trial team")


def test_check_draft_forgets_a_field_once_it_is_filled(draft_b):
    text = render_draft_yaml(draft_b)
    data = yaml.safe_load(text)
    data["version"] = "0.1"
    data["interventions"][2]["regimens"] = [{"id": "q3w", "name": "Sintilimab q3w", "cycle_days": 21,
                                             "drugs": [{"drug": "sintilimab", "dose": 200, "unit": "mg"}]}]
    paths = {path for path, _ in check_draft(text, data)}
    assert "version" not in paths and "interventions.sintilimab-200mg-d1-q3w.regimens" not in paths
    assert "interventions.xelox-folfox-folfiri.regimens" in paths


@pytest.mark.parametrize("protocol_id", ["crlm-mwa-camrelizumab", "crlm-sbrt-sintilimab"])
def test_a_complete_protocol_has_nothing_missing(protocol_id):
    text = dump_protocol(load_builtin_protocol(protocol_id))
    assert check_draft(text, yaml.safe_load(text)) == []
    assert find_missing_fields(yaml.safe_load(text)) == []


def test_find_missing_fields_reports_every_missing_field_at_once():
    data = yaml.safe_load(dump_protocol(load_builtin_protocol("crlm-sbrt-sintilimab")))
    del data["version"], data["arms"][1]["kind"], data["interventions"][1]["regimens"][0]["cycle_days"]
    assert find_missing_fields(data) == ["version", "interventions[1].regimens[0].cycle_days", "arms[1].kind"]


def test_is_filled_follows_ids_and_indices():
    data = {"arms": [{"id": "a", "starts": [{"anchor": "randomization"}]}], "registry": {"masking": "none"}}
    assert is_filled(data, "arms.a.starts[0].anchor") and is_filled(data, "registry.masking")
    assert not is_filled(data, "arms.b.starts") and not is_filled(data, "arms.a.starts[1]")
    assert not is_filled(data, "registry.phase") and not is_filled(data, "sites")
    assert is_filled({"procedure": {"max_sessions": None}}, "procedure.max_sessions")  # a decision
    assert not is_filled({"procedure": None}, "procedure.max_sessions")


# Malformed files: typed errors naming the file, the field and what is allowed.

CASES = json.loads((VECTORS / "malformed" / "expected-errors.json").read_text(encoding="utf-8"))


@pytest.mark.parametrize("name", sorted(CASES))
def test_a_malformed_file_gives_a_typed_error(name):
    case = CASES[name]
    with pytest.raises(InvalidInput) as caught:
        draft_of(f"malformed/{name}")
    error = caught.value
    assert error.message.startswith(f"malformed/{name}: ")
    assert error.field == case["field"]
    for words in case["says"]:
        assert words in error.message
    assert error.status == 400 and error.to_dict()["ok"] is False


def test_a_forced_format_that_does_not_match_is_an_error():
    with pytest.raises(InvalidInput, match="not the ClinicalTrials.gov CSV export header"):
        draft_of("trial-b-nct06120127.json", format="csv")
    with pytest.raises(InvalidInput, match="not valid JSON"):
        draft_of("trial-a.csv", format="json")


def test_an_unknown_format_is_an_error():
    with pytest.raises(InvalidInput, match="format 'xml' is not allowed; allowed: json, csv"):
        import_registry_record("<study/>", "xml")


# Mapping details (standards.md §1.3 and §1.6)

def study(**modules) -> str:
    return json.dumps({"protocolSection": {"identificationModule": {"briefTitle": "T"}, **modules}})


@pytest.mark.parametrize("phases, phase", [(["PHASE1", "PHASE2"], "phase1_phase2"), (["PHASE3", "PHASE2"],
                                           "phase2_phase3"), (["NA"], "na"), (["EARLY_PHASE1"], "early_phase1")])
def test_phase_lists_map_to_the_model(phases, phase):
    draft = import_registry_record(study(designModule={"phases": phases}))
    assert draft.data["registry"]["phase"] == phase


def test_an_impossible_phase_pair_is_refused():
    with pytest.raises(InvalidInput, match=r"PHASE1\|PHASE3 is not a phase combination"):
        import_registry_record(study(designModule={"phases": ["PHASE1", "PHASE3"]}))


def test_a_registry_value_the_model_cannot_hold_is_listed_not_coerced():
    draft = import_registry_record(study(statusModule={"overallStatus": "ENROLLING_BY_INVITATION"}))
    assert "status" not in draft.data["registry"]
    (entry,) = [u for u in draft.unfilled if u.path == "registry.status"]
    assert "ENROLLING_BY_INVITATION has no equivalent" in entry.reason


def test_a_search_page_with_one_study_is_accepted():
    text = json.dumps({"studies": [json.loads(study())], "nextPageToken": None})
    assert import_registry_record(text).data["title"] == "T"


def test_biologicals_are_drugs_and_devices_are_noted_not_imported():
    draft = import_registry_record(study(armsInterventionsModule={"interventions": [
        {"type": "BIOLOGICAL", "name": "Drug X"}, {"type": "DEVICE", "name": "Microwave generator"},
        {"type": "PROCEDURE", "name": "Radiofrequency ablation"}]}))
    assert [(i["name"], i["kind"]) for i in draft.data["interventions"]] == [
        ("Drug X", "drug"), ("Radiofrequency ablation", "procedure")]
    assert draft.data["interventions"][1]["procedure"] == {"kind": "ablation", "technique": "radiofrequency"}
    assert any("Microwave generator" in note for note in draft.notes)


def test_a_procedure_the_model_does_not_know_is_listed():
    draft = import_registry_record(study(armsInterventionsModule={"interventions": [
        {"type": "PROCEDURE", "name": "Portal vein embolisation"}]}))
    assert "procedure" not in draft.data["interventions"][0]
    assert "interventions.portal-vein-embolisation.procedure" in unfilled_paths(draft)


def test_arm_cross_references_that_disagree_are_noted_and_united():
    draft = import_registry_record(study(armsInterventionsModule={
        "armGroups": [{"label": "A", "type": "EXPERIMENTAL", "interventionNames": ["Drug: X"]}],
        "interventions": [{"type": "DRUG", "name": "X", "armGroupLabels": ["A"]},
                          {"type": "DRUG", "name": "Y", "armGroupLabels": ["A"]}]}))
    assert draft.data["arms"][0]["interventions"] == ["x", "y"]
    assert any("disagree" in note for note in draft.notes)


def test_a_wrongly_typed_module_names_its_json_path():
    with pytest.raises(InvalidInput, match=r"protocolSection\.conditionsModule\.conditions\[1\]: 3 is not text"):
        import_registry_record(study(conditionsModule={"conditions": ["CRC", 3]}))
    with pytest.raises(InvalidInput, match=r"protocolSection\.designModule: must be an object"):
        import_registry_record(study(designModule=["PHASE2"]))


@pytest.mark.parametrize("time_frame, months", [("1 year", 12), ("3 years", 36), ("Up to 24 months", 24),
                                                ("assessed up to 12 months", 12), ("week 12", None),
                                                ("12 months and 3 years", None)])
def test_time_frame_months_only_when_the_text_states_one_duration(time_frame, months):
    draft = import_registry_record(study(outcomesModule={"primaryOutcomes": [
        {"measure": "PFS", "timeFrame": time_frame}]}))
    assert draft.data["endpoints"][0].get("time_frame_months") == months


def csv_row(**cells) -> str:
    import csv
    import io

    from oncotrial.domain.protocol.registry_csv import CSV_COLUMNS

    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(CSV_COLUMNS)
    writer.writerow([cells.get(c.replace(" ", "_"), "") for c in CSV_COLUMNS])
    return out.getvalue()


@pytest.mark.parametrize("cell, outcome", [
    ("PFS, Time to progression, or death, 2 years",
     {"measure": "PFS", "description": "Time to progression, or death", "timeFrame": "2 years"}),
    ("PFS, 2 years", {"measure": "PFS", "timeFrame": "2 years"}),
    ("PFS", {"measure": "PFS"}),
])
def test_csv_outcomes_split_at_the_first_and_last_comma(cell, outcome):
    draft = import_registry_record(csv_row(Study_Title="T", Primary_Outcome_Measures=cell))
    (endpoint,) = draft.data["endpoints"]
    assert endpoint["name"] == outcome["measure"]
    assert endpoint.get("description") == outcome.get("description")
    assert endpoint.get("time_frame") == outcome.get("timeFrame")


@pytest.mark.parametrize("cell, site", [
    ("Fudan University Shanghai Cancer Center, Shanghai, Shanghai Municipality, 200032, China",
     {"name": "Fudan University Shanghai Cancer Center", "city": "Shanghai",
      "region": "Shanghai Municipality", "country": "China"}),
    ("Example Hospital, Springfield, Illinois, 62701, United States",
     {"name": "Example Hospital", "city": "Springfield", "region": "Illinois", "country": "United States"}),
    ("Hospital, Dept. of Oncology, Lyon, Rhône, 69003, France",
     {"name": "Hospital, Dept. of Oncology", "city": "Lyon", "region": "Rhône", "country": "France"}),
    ("Hôpital X, Paris, France", {"name": "Hôpital X", "city": "Paris", "country": "France"}),
])
def test_csv_locations(cell, site):
    draft = import_registry_record(csv_row(Study_Title="T", Locations=cell))
    (found,) = draft.data["sites"]
    assert {k: v for k, v in found.items() if k != "id"} == site


def test_csv_study_design_with_masked_roles():
    draft = import_registry_record(csv_row(
        Study_Title="T", Study_Design="Allocation: RANDOMIZED|Intervention Model: PARALLEL|Masking: DOUBLE "
                                      "(PARTICIPANT, INVESTIGATOR)|Primary Purpose: SUPPORTIVE_CARE"))
    registry = draft.data["registry"]
    assert (registry["allocation"], registry["masking"], registry["primary_purpose"]) == (
        "randomized", "double", "supportive_care")


def test_csv_enrollment_must_be_a_whole_number():
    with pytest.raises(InvalidInput, match="column 'Enrollment': '80 participants' is not a whole number"):
        import_registry_record(csv_row(Study_Title="T", Enrollment="80 participants"))


def test_a_byte_order_mark_is_ignored():
    assert import_registry_record("\ufeff" + csv_row(Study_Title="T")).data["title"] == "T"


# Any JSON at all gives a draft or InvalidInput, never another exception.

JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.sampled_from(["", "PHASE2", "DRUG", "x, y, 1 year", "A"]),
    lambda children: st.lists(children, max_size=3)
    | st.dictionaries(st.sampled_from(["name", "type", "label", "measure", "timeFrame", "facility",
                                       "interventionNames", "armGroupLabels", "count", "phases", "masking"]),
                      children, max_size=4),
    max_leaves=12)
MODULES = st.fixed_dictionaries({}, optional={
    module: st.one_of(JSON_VALUES, st.dictionaries(st.sampled_from(keys), JSON_VALUES, max_size=3))
    for module, keys in {
        "identificationModule": ["nctId", "briefTitle", "acronym"],
        "statusModule": ["overallStatus"],
        "designModule": ["studyType", "phases", "designInfo", "enrollmentInfo"],
        "armsInterventionsModule": ["armGroups", "interventions"],
        "outcomesModule": ["primaryOutcomes", "secondaryOutcomes"],
        "eligibilityModule": ["eligibilityCriteria", "sex", "minimumAge"],
        "contactsLocationsModule": ["locations", "centralContacts"],
        "sponsorCollaboratorsModule": ["leadSponsor", "collaborators"],
    }.items()})


@settings(max_examples=300, derandomize=True, deadline=None)
@given(MODULES)
def test_any_json_gives_a_draft_or_invalid_input(section):
    try:
        draft = import_registry_record(json.dumps({"protocolSection": section}))
    except InvalidInput:
        return
    render_draft_yaml(draft)


# The vectors are written from the seeds: their registry text is the seeds' own.

SEEDS = Path(__file__).resolve().parents[2] / "reference" / "seeds"


def seed(prefix: str) -> list[str]:
    (path,) = sorted(SEEDS.glob(f"{prefix}_*.txt"))
    return [line.strip() for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def test_the_trial_a_csv_row_holds_seed_000_verbatim():
    import csv

    with (VECTORS / "trial-a.csv").open(encoding="utf-8", newline="") as stream:
        (row,) = list(csv.DictReader(stream))
    columns = ["Study Title", "Brief Summary", "Conditions", "Interventions", "Primary Outcome Measures",
               "Secondary Outcome Measures"]
    assert [row[c] for c in columns] == seed("000")[:6]


def test_the_trial_b_json_holds_seed_003_verbatim():
    lines = seed("003")
    section = json.loads((VECTORS / "trial-b-nct06120127.json").read_text(encoding="utf-8"))["protocolSection"]
    assert section["descriptionModule"] == {"briefSummary": lines[0], "detailedDescription": lines[1]}
    outcomes = section["outcomesModule"]["primaryOutcomes"] + section["outcomesModule"]["secondaryOutcomes"]
    flat = [line.removeprefix("RECRUITING").removeprefix("Time frame: ") for line in lines[17:29]]
    assert [x for o in outcomes for x in (o["measure"], o["description"], o["timeFrame"])] == flat
    assert [i["name"] for i in section["armsInterventionsModule"]["interventions"]] == lines[12:15]
    (location,) = section["contactsLocationsModule"]["locations"]
    assert location["facility"] == lines[15]
    assert ", ".join((location["city"], location["state"], location["country"])) == lines[16]
    design = section["designModule"]
    assert (design["studyType"], design["designInfo"]["allocation"], design["designInfo"]["primaryPurpose"],
            design["designInfo"]["maskingInfo"]["masking"], str(design["enrollmentInfo"]["count"])) == (
        lines[3], lines[5], lines[7], lines[9], lines[11])


CELLS = st.lists(st.sampled_from(list("aZ09 ,:|()-²\n\"") + ["DRUG: ", "PHASE2", "Masking: ", "NA"]),
                 max_size=12).map("".join)


@settings(max_examples=200, derandomize=True, deadline=None)
@given(st.fixed_dictionaries({}, optional={c.replace(" ", "_"): CELLS for c in (
    "NCT Number", "Study Title", "Study Status", "Conditions", "Interventions", "Primary Outcome Measures",
    "Phases", "Enrollment", "Study Type", "Study Design", "Locations", "Collaborators")}))
def test_any_csv_row_gives_a_draft_or_invalid_input(cells):
    try:
        draft = import_registry_record(csv_row(**cells))
    except InvalidInput as error:
        assert error.field.startswith(("column '", "row", "rows", "header")), error.field
        return
    render_draft_yaml(draft)
