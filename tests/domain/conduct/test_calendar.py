"""Calendar rules that hold for every subject, and the errors for events that cannot be true.

Single-subject scenarios with hand-worked dates live in tests/vectors/calendar/.
"""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import date, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from oncotrial.domain.conduct.calendar import derive_calendar
from oncotrial.domain.conduct.subject_events import DoseGiven, DoseHold, SubjectEvents
from oncotrial.domain.protocol.model import Intervention, Regimen
from oncotrial.errors import InvalidInput
from oncotrial.protocols import load_builtin_protocol

TRIAL_A = load_builtin_protocol("crlm-mwa-camrelizumab")
TRIAL_B = load_builtin_protocol("crlm-sbrt-sintilimab")
RANDOMIZED = date(2025, 3, 3)


def trial_b_subject(**changes) -> SubjectEvents:
    base = SubjectEvents.from_dict({
        "subject_id": "B-100", "arm": "sbrt-chemo-sintilimab", "randomization_date": RANDOMIZED,
        "regimen_choices": {"chemotherapy": "mfolfox6"},
        "procedures": [{"kind": "sbrt", "date": "2025-03-10"}],
        "doses": [{"item": "chemotherapy", "date": "2025-03-17"}, {"item": "sintilimab", "date": "2025-03-17"}],
        "assessments": ["2025-02-24"]})
    return replace(base, **changes)


def test_the_next_cycle_is_due_one_cycle_after_the_actual_day_1_however_late():
    for late in range(0, 15):
        given = date(2025, 3, 31) + timedelta(late)
        events = trial_b_subject(doses=trial_b_subject().doses + (DoseGiven("chemotherapy", given),))
        plan = derive_calendar(TRIAL_B, events, given).clock("chemotherapy")
        assert plan.next_dose.due == given + timedelta(14)
        assert plan.next_dose.cycle == 3


def test_a_hold_on_chemotherapy_never_moves_the_antibody():
    reference = derive_calendar(TRIAL_B, trial_b_subject(), date(2025, 3, 25)).clock("antibody").next_dose
    for length in (0, 3, 10, 30):
        hold = DoseHold("chemotherapy", date(2025, 3, 28), date(2025, 3, 31) + timedelta(length), "neutropenia")
        calendar = derive_calendar(TRIAL_B, trial_b_subject(holds=(hold,)), date(2025, 3, 25) + timedelta(length))
        assert calendar.clock("antibody").next_dose.due == reference.due
        assert calendar.clock("chemotherapy").next_dose.due == max(date(2025, 3, 31), hold.end)


def test_imaging_dates_do_not_depend_on_treatment_dates():
    """Scans are anchored on randomization, never on cycles (seed-trials.md §3.3)."""
    on_time = trial_b_subject()
    late = trial_b_subject(doses=(DoseGiven("chemotherapy", date(2025, 4, 20)),
                                  DoseGiven("sintilimab", date(2025, 4, 20))))
    as_of = date(2025, 12, 1)
    due_dates = [[a.due for a in derive_calendar(TRIAL_B, events, as_of).assessments if a.kind == "imaging"]
                 for events in (on_time, late)]
    assert due_dates[0] == due_dates[1]
    assert due_dates[0][:3] == [RANDOMIZED + timedelta(84 * k) for k in (1, 2, 3)]


def test_a_calendar_as_of_a_day_ignores_what_happened_later():
    events = trial_b_subject(doses=trial_b_subject().doses + (DoseGiven("chemotherapy", date(2025, 3, 31)),))
    earlier = derive_calendar(TRIAL_B, events, date(2025, 3, 30))
    without = derive_calendar(TRIAL_B, trial_b_subject(), date(2025, 3, 30))
    assert earlier == without


def test_a_missed_sbrt_is_flagged_when_its_window_has_passed():
    events = trial_b_subject(procedures=())
    calendar = derive_calendar(TRIAL_B, events, date(2025, 3, 20))
    (sbrt,) = calendar.procedures
    assert (sbrt.due, sbrt.window_end, sbrt.status) == (date(2025, 3, 10), date(2025, 3, 17), "overdue")
    assert [f.kind for f in calendar.flags] == ["procedure_overdue"]


def test_a_scan_far_from_every_planned_visit_is_unscheduled():
    events = trial_b_subject(assessments=(date(2025, 2, 24), date(2025, 4, 14), date(2025, 5, 27)))
    calendar = derive_calendar(TRIAL_B, events, date(2025, 6, 1))
    assert calendar.unscheduled_assessments == (date(2025, 4, 14),)
    assert [a.status for a in calendar.assessments if a.kind == "imaging"][:1] == ["done"]


def test_the_calendar_serialises_to_plain_json():
    calendar = derive_calendar(TRIAL_B, trial_b_subject(), date(2025, 3, 25))
    data = json.loads(json.dumps(calendar.to_dict()))
    assert data["as_of"] == "2025-03-25"
    assert {c["clock"] for c in data["clocks"]} == {"antibody", "chemotherapy"}
    assert data["clocks"][0]["next_dose"]["due"] == calendar.clocks[0].next_dose.due.isoformat()
    assert calendar.next_assessment.due == RANDOMIZED + timedelta(84)


def test_events_read_from_plain_data_name_the_bad_field():
    with pytest.raises(InvalidInput) as error:
        SubjectEvents.from_dict({"subject_id": "X", "arm": "chemo",
                                 "doses": [{"item": "chemotherapy", "date": "3/17/2025"}]})
    assert error.value.field == "doses[0].date" and "YYYY-MM-DD" in error.value.message
    with pytest.raises(InvalidInput) as error:
        SubjectEvents.from_dict({"subject_id": "X", "arm": "chemo", "dose": []})
    assert error.value.field == "dose" and "allowed:" in error.value.message
    with pytest.raises(InvalidInput) as error:
        SubjectEvents.from_dict({"subject_id": "X", "arm": "chemo", "holds": [{"item": "chemotherapy"}]})
    assert error.value.field == "holds[0].start"
    delays = SubjectEvents.from_dict({"subject_id": "X", "arm": "chemo", "delays": [
        {"item": "chemotherapy", "date": "2025-03-28", "until": "2025-04-04"}]})
    assert delays.holds == (DoseHold("chemotherapy", date(2025, 3, 28), date(2025, 4, 4), "delay"),)


def test_events_that_cannot_be_true_are_rejected():
    with pytest.raises(InvalidInput) as error:
        derive_calendar(TRIAL_B, trial_b_subject(arm="observation"), date(2025, 4, 1))
    assert "no arm 'observation'" in error.value.message
    with pytest.raises(InvalidInput) as error:
        derive_calendar(TRIAL_B, trial_b_subject(doses=(DoseGiven("chemotherapy", date(2025, 2, 1)),)),
                        date(2025, 4, 1))
    assert error.value.field == "doses[0].date" and "before enrolment" in error.value.message
    with pytest.raises(InvalidInput) as error:
        hold = DoseHold("chemotherapy", date(2025, 4, 1), date(2025, 3, 30))
        derive_calendar(TRIAL_B, trial_b_subject(holds=(hold,)), date(2025, 4, 2))
    assert error.value.field == "holds[0].end"
    with pytest.raises(InvalidInput) as error:
        derive_calendar(TRIAL_B, trial_b_subject(regimen_choices=(("chemotherapy", "folfoxiri"),)),
                        date(2025, 4, 1))
    assert "'folfoxiri' is not one of its regimens" in error.value.message


def test_an_item_shared_by_two_clocks_must_name_the_clock():
    """An intervention with two regimens on separate clocks: a dose must say which clock it is."""
    chemo = TRIAL_B.intervention("chemotherapy")
    split = Intervention("chemotherapy", "drug", chemo.name, regimens=(
        replace(chemo.regimens[0], clock="oxaliplatin-clock"),
        Regimen("capecitabine-maintenance", "Capecitabine", 21, chemo.regimens[0].drugs[1:], clock="cape")))
    protocol = replace(TRIAL_B, interventions=tuple(split if i.id == "chemotherapy" else i
                                                     for i in TRIAL_B.interventions))
    events = trial_b_subject(arm="chemo", procedures=(), regimen_choices=(),
                             doses=(DoseGiven("chemotherapy", date(2025, 3, 17)),))
    with pytest.raises(InvalidInput) as error:
        derive_calendar(protocol, events, date(2025, 3, 20))
    assert error.value.field == "doses[0].item" and "ambiguous" in error.value.message
    fixed = replace(events, doses=(DoseGiven("cape", date(2025, 3, 17)),))
    calendar = derive_calendar(protocol, fixed, date(2025, 3, 20))
    assert calendar.clock("cape").cycles_given == 1
    assert calendar.clock("oxaliplatin-clock").next_dose.status == "planned"


def test_trial_a_ablation_anchors_only_the_drugs_of_its_rule():
    events = SubjectEvents.from_dict({
        "subject_id": "A-100", "arm": "mwa-chemo-camrelizumab", "enrolment_date": "2025-01-06",
        "regimen_choices": {"chemotherapy": "folfiri"}})
    before = derive_calendar(TRIAL_A, events, date(2025, 1, 7))
    assert {c.state for c in before.clocks} == {"not_started"}
    assert before.clock("antibody").reason == "waiting for ablation"
    assert before.procedures[0].status == "planned"
    after = derive_calendar(TRIAL_A, replace(events, procedures=SubjectEvents.from_dict({
        "subject_id": "A-100", "arm": "x", "procedures": [{"kind": "ablation", "date": "2025-01-09"}]}).procedures),
        date(2025, 1, 10))
    assert {c.next_dose.due for c in after.clocks} == {date(2025, 1, 16)}


def test_a_dose_before_its_anchor_is_out_of_window():
    events = SubjectEvents.from_dict({
        "subject_id": "A-101", "arm": "mwa-chemo-camrelizumab", "enrolment_date": "2025-01-06",
        "regimen_choices": {"chemotherapy": "xelox"},
        "doses": [{"item": "chemotherapy", "date": "2025-01-07"}],
        "procedures": [{"kind": "ablation", "date": "2025-01-09"}]})
    calendar = derive_calendar(TRIAL_A, events, date(2025, 1, 10))
    first = next(d for d in calendar.doses if d.clock == "chemotherapy" and d.cycle == 1)
    assert (first.status, first.basis) == ("out_of_window", "given before ablation")
    # The ablation inside that cycle restarts the rule: cycle 2 is due 7 days after it.
    assert calendar.clock("chemotherapy").next_dose.due == date(2025, 1, 16)


@settings(max_examples=60, derandomize=True, deadline=None)
@given(gaps=st.lists(st.integers(min_value=1, max_value=40), min_size=1, max_size=12))
def test_every_cycle_is_judged_against_one_cycle_after_the_previous_actual_day_1(gaps):
    """Independent of the engine's walk: due(n + 1) = given(n) + 14 and the verdict is |gap − 14| ≤ 3."""
    first = date(2025, 3, 17)
    days = [first]
    for gap in gaps:
        days.append(days[-1] + timedelta(gap))
    events = trial_b_subject(arm="chemo", procedures=(), doses=tuple(DoseGiven("chemotherapy", d) for d in days))
    calendar = derive_calendar(TRIAL_B, events, days[-1])
    cycles = [d for d in calendar.doses if d.given_on is not None]
    assert [d.cycle for d in cycles] == list(range(1, len(days) + 1))
    for previous, dose, gap in zip(cycles[:-1], cycles[1:], gaps, strict=True):
        assert dose.due == previous.given_on + timedelta(14)
        assert dose.status == ("given" if abs(gap - 14) <= 3 else "out_of_window")
    plan = calendar.clock("chemotherapy")
    if len(days) >= 12:
        assert plan.state == "completed" and plan.next_dose is None
    else:
        assert plan.next_dose.due == days[-1] + timedelta(14)


def test_values_of_the_wrong_kind_are_named():
    with pytest.raises(InvalidInput) as error:
        SubjectEvents.from_dict({"subject_id": "X", "arm": "chemo", "reductions": [
            {"item": "chemotherapy", "drug": "oxaliplatin", "date": "2025-04-01", "percent": "three quarters"}]})
    assert error.value.field == "reductions[0]"
    with pytest.raises(InvalidInput) as error:
        SubjectEvents.from_dict({"subject_id": "X", "arm": "chemo", "assessments": "2025-04-01"})
    assert error.value.field == "assessments"


def test_two_regimen_choices_for_one_intervention_are_refused_not_guessed():
    events = trial_b_subject(regimen_choices=(("chemotherapy", "folfiri"), ("chemotherapy", "xelox")))
    with pytest.raises(InvalidInput) as error:
        derive_calendar(TRIAL_B, events, date(2025, 4, 1))
    assert error.value.field == "regimen_choices.chemotherapy" and "folfiri, xelox" in error.value.message
