"""Properties of the RECIST 1.1 and BOR engines that must hold for every input (issue 3, Tests).

Each property runs 500 derandomised examples, so a run is reproducible.
"""

from __future__ import annotations

from datetime import date, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from oncotrial.domain.tumour.lesions import (
    Assessment,
    Lesion,
    LesionKind,
    LesionMeasurement,
    NewLesion,
    NewLesionCertainty,
    NonTargetState,
    NonTargetStatus,
    TargetResult,
    TumourRecords,
)
from oncotrial.domain.tumour.recist import derive_timepoint_responses
from oncotrial.domain.tumour.response import Response, ResponseAtDate, derive_best_overall_response

START = date(2024, 1, 1)
BASELINE = date(2023, 12, 20)
SUBJECT = "P-01"
ORGANS = ("liver", "lung", "adrenal", "peritoneum", "bone")
BEST_FIRST = (Response.CR, Response.PR, Response.SD, Response.NON_CR_NON_PD, Response.PD,
              Response.NE, Response.NO_ASSESSMENT)
PROPERTY = settings(max_examples=500, derandomize=True, deadline=None)


@st.composite
def target_lesions(draw):
    """1-5 measurable baseline targets (nodes >= 15 mm SA, others >= 10 mm LD) within the caps."""
    count = draw(st.integers(1, 5))
    lesions, sizes = [], []
    for index in range(count):
        is_node = draw(st.booleans())
        organ = "node" if is_node else ORGANS[index % len(ORGANS)]
        lesions.append(Lesion(SUBJECT, f"T{index}", organ, is_lymph_node=is_node))
        sizes.append(draw(st.integers(15 if is_node else 10, 120)))
    return lesions, sizes


@st.composite
def shrinking_histories(draw):
    """Targets that never grow between assessments, non-targets never progressing, no new lesion."""
    lesions, sizes = draw(target_lesions())
    visits = draw(st.integers(1, 6))
    gaps = draw(st.lists(st.integers(20, 100), min_size=visits, max_size=visits))
    history, current = [], list(sizes)
    for _ in range(visits):
        current = [draw(st.integers(0, value)) for value in current]
        history.append(list(current))
    non_target = draw(st.lists(st.sampled_from([NonTargetState.PRESENT, NonTargetState.ABSENT,
                                                NonTargetState.NOT_EVALUATED]),
                               min_size=visits, max_size=visits))
    return lesions, sizes, gaps, history, non_target


def build(lesions, baseline_sizes, gaps, history, non_target=None, new_lesions=()):
    nt_lesion = Lesion(SUBJECT, "NT1", "peritoneum", kind=LesionKind.NON_MEASURABLE)
    assessments = [Assessment(SUBJECT, "BL", BASELINE)]
    measurements = [LesionMeasurement(SUBJECT, "BL", lesion.lesion_id, size=size)
                    for lesion, size in zip(lesions, baseline_sizes, strict=True)]
    statuses = [NonTargetStatus(SUBJECT, "BL", "NT1", NonTargetState.PRESENT)]
    day = START
    for number, (gap, values) in enumerate(zip(gaps, history, strict=True), start=1):
        day += timedelta(days=gap)
        visit = f"FU{number}"
        assessments.append(Assessment(SUBJECT, visit, day))
        measurements += [_value(visit, lesion, value) for lesion, value in zip(lesions, values,
                                                                               strict=True)]
        if non_target is not None:
            statuses.append(NonTargetStatus(SUBJECT, visit, "NT1", non_target[number - 1]))
    return TumourRecords(SUBJECT, (*lesions, nt_lesion), tuple(assessments), tuple(measurements),
                         tuple(statuses), tuple(new_lesions))


def _value(visit, lesion, value):
    if value == 0 and not lesion.is_lymph_node:
        return LesionMeasurement(SUBJECT, visit, lesion.lesion_id, TargetResult.DISAPPEARED)
    return LesionMeasurement(SUBJECT, visit, lesion.lesion_id, size=value)


@PROPERTY
@given(shrinking_histories())
def test_shrinking_every_lesion_never_gives_pd(history):
    lesions, sizes, gaps, values, non_target = history
    result = derive_timepoint_responses(build(lesions, sizes, gaps, values, non_target), START)
    assert Response.PD not in [tp.response for tp in result.timepoints]
    assert Response.PD not in [tp.target_response for tp in result.timepoints]


@PROPERTY
@given(target_lesions(), st.data())
def test_an_unequivocal_new_lesion_always_gives_pd(targets, data):
    lesions, sizes = targets
    values = [data.draw(st.one_of(st.none(), st.integers(0, 200))) for _ in lesions]
    history = [[v if v is not None else 0 for v in values]]
    state = data.draw(st.sampled_from(list(NonTargetState)))
    new = NewLesion(SUBJECT, "FU1", "X1", NewLesionCertainty.UNEQUIVOCAL, organ="lung",
                    size=data.draw(st.integers(1, 40)))
    records = build(lesions, sizes, [56], history, [state], [new])
    result = derive_timepoint_responses(records, START)
    assert [tp.response for tp in result.timepoints] == [Response.PD]


responses = st.sampled_from([Response.CR, Response.PR, Response.SD, Response.NON_CR_NON_PD,
                             Response.PD, Response.NE])


@st.composite
def response_sequences(draw):
    days = sorted(draw(st.sets(st.integers(1, 400), max_size=8)))
    return [ResponseAtDate(START + timedelta(days=day), draw(responses), f"d{day}")
            for day in days]


@PROPERTY
@given(response_sequences(), st.integers(0, 3), st.booleans())
def test_confirmed_bor_is_never_better_than_unconfirmed(sequence, max_ne, allow_sd):
    from oncotrial.domain.tumour.response import BorRules, ConfirmationRule

    rules = BorRules(confirmation=ConfirmationRule(max_ne_between=max_ne,
                                                   allow_sd_between=allow_sd))
    best = derive_best_overall_response(sequence, START, rules=rules)
    assert BEST_FIRST.index(best.confirmed_bor) >= BEST_FIRST.index(best.bor)
    assert not best.is_confirmed_responder or best.is_responder


@PROPERTY
@given(response_sequences(), st.randoms(use_true_random=False))
def test_permuting_response_rows_changes_nothing(sequence, random):
    shuffled = list(sequence)
    random.shuffle(shuffled)
    assert derive_best_overall_response(shuffled, START) == \
        derive_best_overall_response(sequence, START)


@st.composite
def any_histories(draw):
    """Targets that may grow, shrink or go unevaluated; non-targets in any state; new lesions."""
    lesions, sizes = draw(target_lesions())
    visits = draw(st.integers(1, 5))
    gaps = draw(st.lists(st.integers(20, 100), min_size=visits, max_size=visits))
    values = [[draw(st.integers(0, 150)) for _ in lesions] for _ in range(visits)]
    non_target = draw(st.lists(st.sampled_from(list(NonTargetState)), min_size=visits,
                               max_size=visits))
    new = [NewLesion(SUBJECT, f"FU{draw(st.integers(1, visits))}", f"X{i}",
                     draw(st.sampled_from(list(NewLesionCertainty))), organ="liver", size=12)
           for i in range(draw(st.integers(0, 2)))]
    return build(lesions, sizes, gaps, values, non_target, new)


def _shuffled(records: TumourRecords, random) -> TumourRecords:
    def mix(rows):
        rows = list(rows)
        random.shuffle(rows)
        return tuple(rows)

    return TumourRecords(records.subject_id, mix(records.lesions), mix(records.assessments),
                         mix(records.measurements), mix(records.non_target_statuses),
                         mix(records.new_lesions))


@PROPERTY
@given(any_histories(), st.randoms(use_true_random=False))
def test_permuting_input_rows_changes_nothing(records, random):
    expected = derive_timepoint_responses(records, START)
    got = derive_timepoint_responses(_shuffled(records, random), START)
    assert got.timepoints == expected.timepoints
    assert got.flags == expected.flags
    assert got.baseline == expected.baseline
    assert derive_best_overall_response(got.timepoints, START) == \
        derive_best_overall_response(expected.timepoints, START)
