"""Acceptance: every fact of both seed records is in the built-in protocols, and every value the
seeds do not state is an explicit assumption.

The seeds are read from ``tests/reference/seeds`` (a copy of ``../shared/seeds``): seed 000 is trial A's
record in the CSV-export layout (one field per line), seed 003 is trial B's registry page text.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Mapping
from pathlib import Path

import pytest

from oncotrial.domain.protocol.model import Protocol
from oncotrial.protocols import load_builtin_protocol

SEEDS = Path(__file__).resolve().parents[2] / "reference" / "seeds"
REGISTRY_KINDS = {"DRUG": "drug", "PROCEDURE": "procedure", "RADIATION": "radiation"}
STATUSES = ("NOT_YET_RECRUITING", "RECRUITING", "ACTIVE_NOT_RECRUITING", "COMPLETED", "SUSPENDED",
            "TERMINATED", "WITHDRAWN", "UNKNOWN")


def seed_lines(prefix: str) -> list[str]:
    (path,) = sorted(SEEDS.glob(f"{prefix}_*.txt"))
    return [line.strip() for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


@pytest.fixture(scope="module")
def trial_a() -> Protocol:
    return load_builtin_protocol("crlm-mwa-camrelizumab")


@pytest.fixture(scope="module")
def trial_b() -> Protocol:
    return load_builtin_protocol("crlm-sbrt-sintilimab")


def split_outcomes(cell: str) -> list[tuple[str, str, str]]:
    """Seed 000 outcome layout: ``measure, description, time frame|…`` (time frame last)."""
    outcomes = []
    for item in cell.split("|"):
        parts = item.split(", ")
        outcomes.append((parts[0], ", ".join(parts[1:-1]), parts[-1]))
    return outcomes


def endpoint_named(protocol: Protocol, name: str):
    (endpoint,) = [e for e in protocol.endpoints if e.name == name]
    return endpoint


def intervention_named(protocol: Protocol, name: str):
    (intervention,) = [i for i in protocol.interventions if i.name == name]
    return intervention


def regimen_drug(protocol: Protocol, drug: str):
    found = [(r, d) for i in protocol.interventions for r in i.regimens for d in r.drugs if d.drug == drug]
    assert len(found) == 1, f"{drug}: {found}"
    return found[0]


# Trial A, seed 000: title, summary, conditions, interventions, primary, secondary, description.

def test_trial_a_title_summary_and_description_are_verbatim(trial_a):
    lines = seed_lines("000")
    assert len(lines) == 7
    assert trial_a.title == lines[0] and trial_a.registry.brief_title == lines[0]
    assert trial_a.registry.brief_summary == lines[1]
    assert trial_a.registry.detailed_description == lines[6]


def test_trial_a_conditions(trial_a):
    assert trial_a.registry.conditions == tuple(seed_lines("000")[2].split("|"))


def test_trial_a_interventions_by_registry_name_and_type(trial_a):
    for item in seed_lines("000")[3].split("|"):
        kind, name = item.split(": ")
        assert intervention_named(trial_a, name).kind == REGISTRY_KINDS[kind]


@pytest.mark.parametrize("line, role", [(4, "primary"), (5, "secondary")])
def test_trial_a_endpoints_name_definition_and_time_frame_verbatim(trial_a, line, role):
    outcomes = split_outcomes(seed_lines("000")[line])
    for measure, description, time_frame in outcomes:
        endpoint = endpoint_named(trial_a, measure)
        assert (endpoint.role, endpoint.description, endpoint.time_frame) == (role, description, time_frame)
    assert len([e for e in trial_a.endpoints if e.role == role]) == len(outcomes)


def test_trial_a_endpoint_time_frames_in_months(trial_a):
    months = {"1 year": 12, "3 years": 36}
    for endpoint in trial_a.endpoints:
        assert endpoint.time_frame_months == months[endpoint.time_frame]
    pfs12 = endpoint_named(trial_a, "12-month progression-free survival (PFS)")
    assert pfs12.parameters["landmark_months"] == 12
    # "The date of first treatment until ... using the RECIST 1.1 criteria"
    for endpoint in trial_a.endpoints:
        if "first treatment" in endpoint.description:
            assert endpoint.parameters["origin"] == "first_treatment"
        if "RECIST 1.1" in endpoint.description:
            assert endpoint.parameters["criteria"] == "RECIST 1.1"


def test_trial_a_is_a_single_arm_phase_ii_trial(trial_a):
    assert "This is a phase II, single-arm prospective trial" in seed_lines("000")[6]
    assert trial_a.registry.phase == "phase2"
    assert trial_a.registry.study_type == "interventional"
    assert trial_a.registry.allocation == "na" and trial_a.registry.intervention_model == "single_group"
    assert len(trial_a.arms) == 1 and trial_a.arms[0].kind == "experimental"
    assert trial_a.randomization.method == "none" and not trial_a.is_randomized
    assert trial_a.registry.primary_purpose == "treatment"  # "... in the Treatment of ..."


def test_trial_a_camrelizumab_200_mg_iv_q3w(trial_a):
    assert "camrelizumab treatment (200mg, iv, q3w) one week later" in seed_lines("000")[6]
    regimen, dose = regimen_drug(trial_a, "camrelizumab")
    assert (dose.dose, dose.unit, dose.basis, dose.route.upper(), dose.days) == (200, "mg", "flat", "IV", (1,))
    assert regimen.cycle_days == 21
    # "Treatment will continue until disease progression, unacceptable toxicity, or ... withdrawal"
    assert regimen.stop_at_progression and regimen.max_cycles is None and regimen.max_days is None


def test_trial_a_ablation_first_then_chemotherapy_and_camrelizumab_one_week_after_each(trial_a):
    text = seed_lines("000")[6]
    assert "received ablation of liver metastases/pulmonary metastasis first" in text
    assert "Sequential chemotherapy and camrelizumab is administered one week after each ablation" in text
    (arm,) = trial_a.arms
    assert set(arm.interventions) == {"ablation", "chemotherapy", "camrelizumab"}
    first, after_each = arm.starts
    assert first.items == ("ablation",) and first.anchor == "enrolment" and first.offset_days == 0
    assert set(after_each.items) == {"chemotherapy", "camrelizumab"}
    assert after_each.anchor == "procedure:ablation" and after_each.offset_days == 7
    assert after_each.each_anchor  # repeated after each further ablation


def test_trial_a_ablation_is_microwave_and_repeatable(trial_a):
    assert "Microwave Ablation" in seed_lines("000")[0]
    assert "ablation therapy needs to be performed in multiple times" in seed_lines("000")[6]
    ablation = trial_a.intervention("ablation")
    assert ablation.procedure.kind == "ablation" and ablation.procedure.technique == "microwave"
    assert ablation.procedure.repeatable


def test_trial_a_chemotherapy_is_the_investigators_choice_of_standard_regimen(trial_a):
    assert "standard treatment plan for advanced colorectal cancer, determined by the investigator" \
        in seed_lines("000")[6]
    chemotherapy = trial_a.intervention("chemotherapy")
    assert chemotherapy.choice == "one_per_patient" and len(chemotherapy.regimens) >= 2
    assert "determined by the investigator" in chemotherapy.description
    assert all(r.stop_at_progression and r.max_cycles is None for r in chemotherapy.regimens)


# Trial B, seed 003: registry page text.

def trial_b_endpoints(lines: list[str]) -> list[tuple[str, str, str]]:
    """The four endpoints: name, definition, 'Time frame: …' (the first name is glued to the status)."""
    start = next(i for i, line in enumerate(lines) if line.startswith("Time frame: ")) - 2
    name = lines[start]
    status = next(s for s in STATUSES if name.startswith(s))
    triples = [(name.removeprefix(status), lines[start + 1], lines[start + 2])]
    for i in range(start + 3, len(lines) - 2, 3):
        if lines[i + 2].startswith("Time frame: "):
            triples.append((lines[i], lines[i + 1], lines[i + 2]))
    return [(n, d, t.removeprefix("Time frame: ")) for n, d, t in triples]


def test_trial_b_summary_and_description_are_verbatim(trial_b):
    lines = seed_lines("003")
    assert trial_b.registry.brief_summary == lines[0]
    assert trial_b.registry.detailed_description == lines[1]


def test_trial_b_design_labels(trial_b):
    lines = seed_lines("003")
    labels = {lines[i]: lines[i + 1] for i in range(2, 12, 2)}
    r = trial_b.registry
    assert labels == {"Study Type": "INTERVENTIONAL", "Allocation": "RANDOMIZED", "Purpose": "TREATMENT",
                      "Masking": "NONE", "Enrollment": "80"}
    assert (r.study_type, r.allocation, r.primary_purpose, r.masking, r.enrollment) == (
        "interventional", "randomized", "treatment", "none", 80)


def test_trial_b_is_a_randomized_controlled_phase_ii_trial(trial_b):
    assert "randomized controlled phase II trial" in seed_lines("003")[0]
    assert trial_b.registry.phase == "phase2" and trial_b.is_randomized
    assert trial_b.registry.nct_id == "NCT06120127"
    kinds = {arm.kind for arm in trial_b.arms}
    assert len(trial_b.arms) == 2 and "experimental" in kinds and kinds & {"active_comparator", "no_intervention"}


def test_trial_b_compares_chemotherapy_with_sbrt_and_immunotherapy_to_chemotherapy_alone(trial_b):
    assert "compare the combination therapy with the postoperative chemotherapy alone" in seed_lines("003")[0]
    by_kind = {arm.kind: set(arm.interventions) for arm in trial_b.arms}
    assert by_kind["experimental"] == {"sbrt", "chemotherapy", "sintilimab"}
    assert by_kind["active_comparator"] == {"chemotherapy"}


def test_trial_b_postoperative_sbrt_of_liver_lesions(trial_b):
    assert "postoperative SBRT of liver lesions" in seed_lines("003")
    sbrt = intervention_named(trial_b, "postoperative SBRT of liver lesions")
    assert sbrt.kind == "radiation" and sbrt.procedure.kind == "sbrt"
    # postoperative: the patients are randomized after resection, SBRT follows randomization
    (rule,) = [s for arm in trial_b.arms for s in arm.starts if "sbrt" in s.items]
    assert rule.anchor == "randomization" and rule.offset_days >= 0


def test_trial_b_xelox_folfox_folfiri_one_per_patient(trial_b):
    assert "XELOX/FOLFOX/FOLFIRI" in seed_lines("003")
    chemotherapy = intervention_named(trial_b, "XELOX/FOLFOX/FOLFIRI")
    assert chemotherapy.kind == "drug" and chemotherapy.choice == "one_per_patient"
    cycles = {name: r.cycle_days for r in chemotherapy.regimens for name in ("XELOX", "FOLFOX", "FOLFIRI")
              if name in r.name.upper()}
    assert cycles == {"XELOX": 21, "FOLFOX": 14, "FOLFIRI": 14}  # team brief: XELOX q3w, FOLFOX/FOLFIRI q2w


def test_trial_b_sintilimab_200_mg_day_1_q3w_on_its_own_clock(trial_b):
    assert "Sintilimab (200mg d1,q3w)" in seed_lines("003")
    sintilimab = intervention_named(trial_b, "Sintilimab (200mg d1,q3w)")
    (regimen,) = sintilimab.regimens
    (dose,) = regimen.drugs
    assert (dose.drug, dose.dose, dose.unit, dose.basis, dose.days) == ("sintilimab", 200, "mg", "flat", (1,))
    assert regimen.cycle_days == 21
    chemo_clocks = {r.clock_name for r in trial_b.intervention("chemotherapy").regimens}
    assert regimen.clock_name not in chemo_clocks


def test_trial_b_status_is_recruiting(trial_b):
    assert any(line.startswith("RECRUITING") for line in seed_lines("003"))
    assert trial_b.registry.status == "recruiting"


def test_trial_b_sponsor_is_fudan_university(trial_b):
    assert "Fudan University Shanghai Cancer Center" in seed_lines("003")
    assert trial_b.registry.sponsor == "Fudan University"  # lead sponsor (seed-trials.md §1.2)


def test_trial_b_site_is_fudan_university_shanghai_cancer_center(trial_b):
    assert "Fudan University Shanghai Cancer Center" in seed_lines("003")
    assert [site.name for site in trial_b.sites] == ["Fudan University Shanghai Cancer Center"]


def test_trial_b_site_is_in_shanghai_shanghai_municipality_china(trial_b):
    assert "Shanghai, Shanghai Municipality, China" in seed_lines("003")
    (site,) = trial_b.sites
    assert (site.city, site.region, site.country) == ("Shanghai", "Shanghai Municipality", "China")
    assert site.timezone == "Asia/Shanghai"


def test_trial_b_endpoints_name_definition_and_time_frame_verbatim(trial_b):
    triples = trial_b_endpoints(seed_lines("003"))
    assert [name for name, _, _ in triples] == ["Progression free survival", "Local control rate",
                                                 "Overall survival", "Grade 3-4 adverse effect rate"]
    for name, description, time_frame in triples:
        endpoint = endpoint_named(trial_b, name)
        assert (endpoint.description, endpoint.time_frame) == (description, time_frame)
    assert [e.name for e in trial_b.primary_endpoints] == ["Progression free survival"]
    assert len(trial_b.endpoints) == 4


def test_trial_b_endpoint_time_frames_in_months_and_origin(trial_b):
    for endpoint in trial_b.endpoints:
        stated = re.search(r"up to (\d+) (months|years)", endpoint.time_frame)
        months = int(stated.group(1)) * (12 if stated.group(2) == "years" else 1)
        assert endpoint.time_frame_months == months
        if "date of randomization" in endpoint.time_frame and endpoint.kind == "time_to_event":
            assert endpoint.parameters["origin"] == "randomization"
    assert endpoint_named(trial_b, "Grade 3-4 adverse effect rate").parameters["grades"] == (3, 4)


def test_the_information_only_notice_is_carried(trial_a, trial_b):
    notice = seed_lines("003")[-1]
    assert notice.startswith("This platform is for informational purposes only")
    assert trial_b.registry.notice == notice == trial_a.registry.notice


# Every line of each seed appears, verbatim, somewhere in the protocol's data.

def protocol_strings(protocol: Protocol) -> set[str]:
    found: set[str] = set()

    def walk(value):
        if isinstance(value, Mapping):
            for item in value.values():
                walk(item)
        elif isinstance(value, list | tuple):
            for item in value:
                walk(item)
        else:
            found.add(str(value))
            found.add(str(value).upper())

    walk(dataclasses.asdict(protocol))  # every value, defaults included
    found |= {", ".join(x for x in (s.city, s.region, s.country) if x) for s in protocol.sites}
    return found


def seed_pieces(prefix: str) -> list[tuple[str, str]]:
    """(seed line number, piece) for every fact-bearing piece of every line of a seed."""
    if not SEEDS.is_dir():
        return []
    pieces = []
    for number, line in enumerate(seed_lines(prefix), start=1):
        status = next((s for s in STATUSES if line.startswith(s) and line != s), None)
        if status:  # page text glues the status to the next heading: "RECRUITINGProgression free survival"
            parts = [status, line.removeprefix(status)]
        elif line in ("Study Type", "Allocation", "Purpose", "Masking", "Enrollment"):
            continue  # a label, not a fact
        elif prefix == "000" and number in (3, 4):
            parts = [p.split(": ")[-1] for p in line.split("|")]
        elif prefix == "000" and number in (5, 6):
            parts = [p for outcome in split_outcomes(line) for p in outcome]
        else:
            parts = [line.removeprefix("Time frame: ")]
        pieces += [(number, part) for part in parts]
    return pieces


@pytest.mark.parametrize("protocol_id, prefix, number, piece", [
    pytest.param(protocol_id, prefix, number, piece, id=f"{prefix}:{number}:{piece[:30]}")
    for protocol_id, prefix in (("crlm-mwa-camrelizumab", "000"), ("crlm-sbrt-sintilimab", "003"))
    for number, piece in seed_pieces(prefix)
])
def test_every_seed_line_appears_in_the_protocol(protocol_id, prefix, number, piece):
    assert piece in protocol_strings(load_builtin_protocol(protocol_id)), f"seed {prefix} line {number}"


# Every value the seeds do not state is an explicit assumption (seed-trials.md §8, issue 2 item 3).

def covers(assumption_path: str, field_path: str) -> bool:
    return field_path == assumption_path or field_path.startswith((assumption_path + ".",
                                                                    assumption_path + "["))


UNSTATED = [
    ("crlm-mwa-camrelizumab", "registry.nct_id", []),
    ("crlm-mwa-camrelizumab", "registry.enrollment", []),
    ("crlm-mwa-camrelizumab", "registry.status", []),
    ("crlm-mwa-camrelizumab", "registry.sponsor", []),
    ("crlm-mwa-camrelizumab", "sites", []),
    ("crlm-mwa-camrelizumab", "interventions.chemotherapy.regimens.xelox.max_cycles", []),
    ("crlm-mwa-camrelizumab", "interventions.chemotherapy.regimens.mfolfox6.drugs[0].dose", []),
    ("crlm-mwa-camrelizumab", "interventions.camrelizumab.regimens.camrelizumab-q3w.window_days", []),
    ("crlm-mwa-camrelizumab", "interventions.ablation.procedure.max_sessions", []),
    ("crlm-mwa-camrelizumab", "arms.mwa-chemo-camrelizumab.starts[0].window_days", []),
    ("crlm-mwa-camrelizumab", "arms.mwa-chemo-camrelizumab.starts[1].reanchor_policy", []),
    ("crlm-mwa-camrelizumab", "assessment_schedule.phases[0].interval_days", []),
    ("crlm-mwa-camrelizumab", "endpoints.orr.parameters.require_confirmation", []),
    ("crlm-mwa-camrelizumab", "endpoints.dcr.parameters.sd_min_days", []),
    ("crlm-mwa-camrelizumab", "endpoints.pfs.parameters.style", []),
    ("crlm-mwa-camrelizumab", "eligibility", []),
    ("crlm-mwa-camrelizumab", "analysis_sets", []),
    ("crlm-mwa-camrelizumab", "design.p0", []),
    ("crlm-mwa-camrelizumab", "registry.masking", []),
    ("crlm-mwa-camrelizumab", "registry.enrollment_type", []),
    ("crlm-mwa-camrelizumab", "interventions.camrelizumab.regimens.camrelizumab-q3w.drugs[0].infusion_hours", []),
    ("crlm-mwa-camrelizumab", "arms.mwa-chemo-camrelizumab.starts[1].window_days", []),
    ("crlm-mwa-camrelizumab", "endpoints.orr.parameters.confirmation_min_days", []),
    ("crlm-mwa-camrelizumab", "endpoints.pfs12.parameters.estimator", []),
    ("crlm-sbrt-sintilimab", "registry.sponsor", []),
    ("crlm-sbrt-sintilimab", "registry.conditions", []),
    ("crlm-sbrt-sintilimab", "interventions.sbrt.procedure.dose_gy", []),
    ("crlm-sbrt-sintilimab", "interventions.chemotherapy.regimens.xelox.max_cycles", []),
    ("crlm-sbrt-sintilimab", "interventions.chemotherapy.regimens.folfiri.max_cycles", []),
    ("crlm-sbrt-sintilimab", "interventions.sintilimab.regimens.sintilimab-q3w.max_days", []),
    ("crlm-sbrt-sintilimab", "arms.sbrt-chemo-sintilimab.starts[0].offset_days", []),
    ("crlm-sbrt-sintilimab", "arms.chemo.starts[0].offset_days", []),
    ("crlm-sbrt-sintilimab", "assessment_schedule.phases[0].interval_days", []),
    ("crlm-sbrt-sintilimab", "randomization.ratio", []),
    ("crlm-sbrt-sintilimab", "randomization.factors", []),
    ("crlm-sbrt-sintilimab", "randomization.block_multiples", []),
    ("crlm-sbrt-sintilimab", "endpoints.pfs.parameters.style", []),
    ("crlm-sbrt-sintilimab", "endpoints.local_control.parameters.competing_event", []),
    ("crlm-sbrt-sintilimab", "endpoints.ae_grade_3_4.parameters.ctcae_version", []),
    ("crlm-sbrt-sintilimab", "eligibility.high-risk", []),
    ("crlm-sbrt-sintilimab", "eligibility.ecog", []),
    ("crlm-sbrt-sintilimab", "analysis_sets", []),
    ("crlm-sbrt-sintilimab", "design.hazard_ratio", []),
    ("crlm-sbrt-sintilimab", "registry.enrollment_type", []),
    ("crlm-sbrt-sintilimab", "interventions.sbrt.procedure.fractions", []),
    ("crlm-sbrt-sintilimab", "interventions.sbrt.procedure.target", []),
    ("crlm-sbrt-sintilimab", "interventions.sintilimab.regimens.sintilimab-q3w.window_days", []),
    ("crlm-sbrt-sintilimab", "interventions.sintilimab.regimens.sintilimab-q3w.drugs[0].infusion_hours", []),
]


@pytest.mark.parametrize("protocol_id, path", [
    pytest.param(protocol_id, path, marks=marks, id=f"{protocol_id}:{path}")
    for protocol_id, path, marks in UNSTATED])
def test_every_unstated_value_is_an_assumption(protocol_id, path):
    protocol = load_builtin_protocol(protocol_id)
    assert any(covers(a.path, path) for a in protocol.assumptions), \
        f"{protocol_id}: no assumption covers {path}; assumptions: {[a.path for a in protocol.assumptions]}"


def resolves(data, path: str) -> bool:
    """Whether a field path (list items by id or [index]) names an existing field."""
    value = data
    for segment in path.split("."):
        name, *indices = re.findall(r"[^\[\]]+", segment)
        if isinstance(value, list | tuple):
            value = next((x for x in value if isinstance(x, Mapping) and x.get("id") == name), None)
            if value is None:
                return False
        elif isinstance(value, Mapping) and name in value:
            value = value[name]
        else:
            return False
        for index in indices:
            if not isinstance(value, list | tuple) or int(index) >= len(value):
                return False
            value = value[int(index)]
    return True


@pytest.mark.parametrize("protocol_id", ["crlm-mwa-camrelizumab", "crlm-sbrt-sintilimab"])
def test_every_assumption_names_a_real_field_and_says_why(protocol_id):
    protocol = load_builtin_protocol(protocol_id)
    data = dataclasses.asdict(protocol)
    for assumption in protocol.assumptions:
        assert assumption.reason and assumption.source, assumption.path
        assert resolves(data, assumption.path), f"{protocol_id}: {assumption.path} names no field"


def test_resolves_follows_ids_and_indices():
    data = dataclasses.asdict(load_builtin_protocol("crlm-mwa-camrelizumab"))
    assert resolves(data, "arms.mwa-chemo-camrelizumab.starts[1].reanchor_policy")
    assert resolves(data, "interventions.ablation.procedure.max_sessions")  # None, but a field
    assert not resolves(data, "arms.mwa-chemo-camrelizumab.starts[2]")
    assert not resolves(data, "interventions.sintilimab")


def test_covers_is_a_path_prefix_not_a_text_prefix():
    assert covers("randomization", "randomization.ratio")
    assert covers("arms.a.starts", "arms.a.starts[0].window_days")
    assert not covers("registry.enrollment", "registry.enrollment_type")
    assert not covers("endpoints.orr.parameters.require_confirmation",
                      "endpoints.orr.parameters.confirmation_min_days")
