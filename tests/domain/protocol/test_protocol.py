"""The protocol model's YAML form: exact round-trip and errors that name the file, the field path and
what is allowed (domain/protocol/model.py, domain/protocol/schema.py)."""

from __future__ import annotations

import copy

import pytest
import yaml

from oncotrial.domain.protocol.model import dump_protocol, load_protocol
from oncotrial.domain.protocol.schema import to_data
from oncotrial.errors import InvalidInput
from oncotrial.protocols import builtin_protocol_ids, builtin_protocol_text, load_builtin_protocol

BUILTINS = ["crlm-mwa-camrelizumab", "crlm-sbrt-sintilimab"]


def test_it_ships_both_seed_trials():
    assert set(BUILTINS) <= set(builtin_protocol_ids())


@pytest.mark.parametrize("protocol_id", BUILTINS)
def test_it_round_trips_exactly(protocol_id):
    protocol = load_builtin_protocol(protocol_id)
    text = dump_protocol(protocol)
    again = load_protocol(text)
    assert again == protocol
    assert dump_protocol(again) == text  # stable: a second dump is byte-identical


def trial_b() -> dict:
    return copy.deepcopy(to_data(load_builtin_protocol("crlm-sbrt-sintilimab")))


def load_error(data, source="trial-b.yaml") -> InvalidInput:
    with pytest.raises(InvalidInput) as caught:
        load_protocol(yaml.safe_dump(data, sort_keys=False), source=source)
    return caught.value


def test_an_unknown_field_is_named_with_the_allowed_ones():
    data = trial_b()
    data["registry"]["phasee"] = "phase2"
    error = load_error(data)
    assert error.message.startswith("trial-b.yaml: registry.phasee: unknown field; allowed: ")
    assert "phase" in error.message.split("allowed: ")[1].split(", ")
    assert error.field == "registry.phasee"


def test_a_wrong_type_names_the_path_and_the_expected_type():
    data = trial_b()
    data["registry"]["enrollment"] = "eighty"
    error = load_error(data)
    assert error.message == "trial-b.yaml: registry.enrollment: 'eighty' is not a whole number"
    assert error.field == "registry.enrollment"


def test_true_is_not_a_whole_number():
    data = trial_b()
    data["registry"]["enrollment"] = True
    assert "registry.enrollment: True is not a whole number" in load_error(data).message


def test_a_bad_literal_lists_the_allowed_values():
    data = trial_b()
    data["registry"]["masking"] = "open label"
    error = load_error(data)
    assert error.message == ("trial-b.yaml: registry.masking: 'open label' is not allowed; "
                             "allowed: none, single, double, triple, quadruple")


def test_a_bad_literal_deep_in_a_list_names_the_index_path():
    data = trial_b()
    data["interventions"][1]["regimens"][0]["drugs"][0]["basis"] = "m2"
    error = load_error(data)
    assert error.field == "interventions[1].regimens[0].drugs[0].basis"
    assert "allowed: flat, bsa, weight" in error.message


def test_a_missing_required_field_is_named():
    data = trial_b()
    del data["title"]
    assert load_error(data).message == "trial-b.yaml: title: is required"


def test_an_unknown_anchor_lists_the_allowed_anchors():
    data = trial_b()
    data["arms"][0]["starts"][0]["anchor"] = "procedure:ablation"
    error = load_error(data)
    assert error.field == "arms[0].starts[0].anchor"
    assert "'procedure:ablation' is not an anchor; allowed: enrolment, randomization, procedure:<sbrt>" \
        in error.message
    assert error.message.startswith("trial-b.yaml: ")


def test_a_start_rule_may_only_start_the_arms_own_interventions():
    data = trial_b()
    data["arms"][1]["starts"][0]["items"] = ["chemotherapy", "sintilimab"]
    error = load_error(data)
    assert "arms[1].starts[0].items: 'sintilimab' is not an intervention of arm 'chemo'" in error.message


def test_an_unknown_arm_in_the_ratio_is_named_with_the_known_arms():
    data = trial_b()
    data["randomization"]["ratio"][1]["arm"] = "placebo"
    error = load_error(data)
    assert error.field == "randomization.ratio[1].arm"
    assert "unknown arm 'placebo'; known: ['chemo', 'sbrt-chemo-sintilimab']" in error.message


def test_a_zero_weight_in_the_ratio_is_refused():
    data = trial_b()
    data["randomization"]["ratio"][0]["weight"] = 0
    assert "randomization.ratio[0].weight: must be a whole number >= 1" in load_error(data).message


def test_overlapping_schedule_phases_are_refused():
    data = trial_b()
    data["assessment_schedule"]["phases"][1]["until_day"] = 364  # the first phase runs to day 728
    error = load_error(data)
    assert error.field == "assessment_schedule.phases[1].until_day"
    assert "must be after the previous phase's end (day 728)" in error.message


def test_only_the_last_schedule_phase_may_be_open_ended():
    data = trial_b()
    del data["assessment_schedule"]["phases"][0]["until_day"]
    error = load_error(data)
    assert "assessment_schedule.phases[0].until_day: only the last phase may run without an end" \
        in error.message


def test_a_window_of_half_the_interval_or_more_is_refused():
    data = trial_b()
    data["assessment_schedule"]["phases"][0]["window_days"] = 42  # interval 84
    assert "assessment_schedule.phases[0].window_days: must be >= 0 and less than half the interval" \
        in load_error(data).message


@pytest.mark.parametrize("days", [[0], [22], [1, 15, 22]])
def test_drug_days_outside_the_cycle_are_refused(days):
    data = trial_b()
    data["interventions"][1]["regimens"][0]["drugs"][1]["days"] = days  # capecitabine, 21-day XELOX
    error = load_error(data)
    assert error.field == "interventions[1].regimens[0].drugs[1].days"
    assert "days must lie within 1..21" in error.message


def test_a_drug_without_a_regimen_is_refused():
    data = trial_b()
    data["interventions"][2]["regimens"] = []
    assert "interventions[2].regimens: a drug intervention needs at least one regimen" \
        in load_error(data).message


def test_duplicate_ids_are_refused():
    data = trial_b()
    data["endpoints"][1]["id"] = "pfs"
    assert "endpoints: id 'pfs' appears more than once" in load_error(data).message


def test_every_cross_field_problem_is_reported_at_once():
    data = trial_b()
    data["randomization"]["ratio"][1]["arm"] = "placebo"
    data["assessment_schedule"]["phases"][1]["until_day"] = 364
    error = load_error(data)
    assert [e["field"] for e in error.errors] == ["randomization.ratio[1].arm",
                                                   "assessment_schedule.phases[1].until_day"]


def test_text_that_is_not_yaml_names_the_file():
    with pytest.raises(InvalidInput, match=r"^draft\.yaml: not valid YAML"):
        load_protocol("id: [unclosed", source="draft.yaml")


def test_an_empty_file_is_not_a_protocol():
    with pytest.raises(InvalidInput, match=r"^empty\.yaml: \(top level\): must be a mapping with fields id,"):
        load_protocol("", source="empty.yaml")


def test_a_procedure_anchor_must_be_a_procedure_of_the_same_arm():
    data = trial_b()
    data["arms"][1]["starts"][0]["anchor"] = "procedure:sbrt"  # the chemotherapy-alone arm
    error = load_error(data)
    assert error.field == "arms[1].starts[0].anchor"


def test_a_loaded_protocol_cannot_be_changed_in_place():
    protocol = load_protocol(builtin_protocol_text("crlm-sbrt-sintilimab"))  # not the cached one
    with pytest.raises(TypeError):
        protocol.endpoints[0].parameters["origin"] = "enrolment"


def test_an_arm_may_appear_once_in_the_ratio():
    data = trial_b()
    data["randomization"]["ratio"] = [{"arm": "chemo", "weight": 1}, {"arm": "chemo", "weight": 1}]
    assert "randomization.ratio" in load_error(data).field


def test_regimen_ids_are_unique_within_an_intervention():
    data = trial_b()
    data["interventions"][1]["regimens"][1]["id"] = "xelox"
    assert "interventions[1].regimens" in load_error(data).field


def test_a_randomized_registry_entry_needs_a_randomization_method():
    data = trial_b()
    data["randomization"] = {"method": "none"}
    assert load_error(data).field in ("randomization.method", "registry.allocation")


def test_the_minimization_probability_is_a_probability():
    data = trial_b()
    data["randomization"]["minimization_probability"] = 1.5
    assert load_error(data).field == "randomization.minimization_probability"
