"""iRECIST engine beyond the §6.5 worked cases (spec endpoints.md §2.2–§2.6)."""

from __future__ import annotations

from datetime import date, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from oncotrial.domain.tumour.irecist import IrecistRules, IResponse, derive_irecist_responses
from oncotrial.domain.tumour.lesions import (
    Assessment,
    Lesion,
    LesionKind,
    LesionMeasurement,
    NewLesion,
    NonTargetState,
    NonTargetStatus,
    TargetResult,
    TumourRecords,
)

S = "02-011"
START = date(2024, 1, 1)
LESIONS = (Lesion(S, "A", "liver"), Lesion(S, "B", "lung"),
           Lesion(S, "NT1", "peritoneum", kind=LesionKind.NON_MEASURABLE))


def day(n: int) -> date:
    return START + timedelta(days=n)


def subject(visits, *, stable=None):
    """visits: (day, A, B, non-target state or (state, grown), [new lesion (id, size)])."""
    assessments = [Assessment(S, "BL", date(2023, 12, 20))]
    measurements = [LesionMeasurement(S, "BL", "A", size=40), LesionMeasurement(S, "BL", "B", size=20)]
    statuses = [NonTargetStatus(S, "BL", "NT1", NonTargetState.PRESENT)]
    new = []
    for n, a, b, nt, lesions in visits:
        visit = f"d{n}"
        assessments.append(Assessment(S, visit, day(n), clinically_stable=stable))
        measurements += [_measure(visit, "A", a), _measure(visit, "B", b)]
        state, grown = nt if isinstance(nt, tuple) else (nt, False)
        statuses.append(NonTargetStatus(S, visit, "NT1", NonTargetState(state), grown=grown))
        new += [NewLesion(S, visit, lesion_id, organ="lung", size=size)
                for lesion_id, size in lesions]
    return TumourRecords(S, LESIONS, tuple(assessments), tuple(measurements), tuple(statuses),
                         tuple(new))


def _measure(visit, lesion_id, value):
    if value is None:
        return LesionMeasurement(S, visit, lesion_id, TargetResult.NOT_EVALUATED)
    return LesionMeasurement(S, visit, lesion_id, size=value)


def categories(result):
    return [tp.response for tp in result.timepoints]


P, UP = "present", "unequivocal_progression"


def test_non_target_iupd_is_confirmed_by_any_further_growth():
    result = derive_irecist_responses(subject([
        (56, 35, 18, P, []), (112, 35, 18, UP, []), (147, 35, 18, (P, True), [])]), START)
    assert categories(result) == [IResponse.ISD, IResponse.IUPD, IResponse.ICPD]
    assert result.progression_date == day(112) and result.progression_is_confirmed


def test_growth_before_four_weeks_does_not_confirm_but_a_new_lesion_does():
    early_growth = derive_irecist_responses(subject([
        (56, 30, 15, P, []), (112, 40, 20, P, []), (126, 46, 20, P, [])]), START)
    assert categories(early_growth)[-1] == IResponse.IUPD
    assert early_growth.unconfirmed_iupd_date == day(112)
    early_new = derive_irecist_responses(subject([
        (56, 30, 15, P, []), (112, 40, 20, P, []), (126, 40, 20, P, [("X1", 6)])]), START)
    assert categories(early_new)[-1] == IResponse.ICPD


def test_the_ipfs_date_is_the_iupd_that_the_icpd_confirmed():
    """admiralonco's illustration: SD, SD, iUPD, PR, PR, iUPD, iCPD dates at the second iUPD."""
    result = derive_irecist_responses(subject([
        (56, 35, 18, P, []), (84, 35, 18, P, [("X1", 12)]), (140, 20, 8, P, [("X1", 12)]),
        (196, 18, 8, P, [("X1", 12)]), (252, 18, 8, P, [("X1", 12), ("X2", 10)]),
        (294, 18, 8, P, [("X1", 12), ("X2", 10), ("X3", 10)])]), START)
    assert categories(result) == [IResponse.ISD, IResponse.IUPD, IResponse.IPR, IResponse.IPR,
                                  IResponse.IUPD, IResponse.ICPD]
    assert result.progression_date == day(252)
    assert result.ibor == IResponse.IPR and result.confirmed_ibor == IResponse.IPR
    assert (result.response_start_date, result.response_end_date) == (day(140), day(252))


def test_iupd_followed_only_by_ne_stays_iupd():
    result = derive_irecist_responses(subject([
        (56, 30, 15, P, [("X1", 12)]), (112, None, 15, "not_evaluated", [("X1", 12)])]), START)
    assert categories(result) == [IResponse.IUPD, IResponse.IUPD]
    assert result.ibor == IResponse.IUPD
    strict = derive_irecist_responses(subject([(56, 30, 15, P, [("X1", 12)])]), START,
                                      rules=IrecistRules(iupd_unconfirmed_counts_as_event=False))
    assert strict.progression_date is None and strict.unconfirmed_iupd_date == day(56)


def test_a_pr_before_a_new_lesion_iupd_does_not_reset_it_when_nothing_changes():
    result = derive_irecist_responses(subject([
        (56, 25, 10, P, []), (112, 25, 10, P, [("X1", 12)]), (168, 25, 10, P, [("X1", 12)])]),
        START)
    assert categories(result) == [IResponse.IPR, IResponse.IUPD, IResponse.IUPD]


def test_the_new_lesion_target_sum_is_kept_apart_and_can_confirm():
    result = derive_irecist_responses(subject([
        (56, 35, 18, P, [("X1", 12)]), (112, 35, 18, P, [("X1", 17)])]), START)
    assert categories(result) == [IResponse.IUPD, IResponse.ICPD]
    assert [tp.new_lesion_target_sum for tp in result.timepoints] == [12, 17]
    assert result.recist.timepoints[0].target_sum == 53  # new lesions never join the target sum


def test_clinical_stability_is_carried_not_judged():
    result = derive_irecist_responses(subject([(56, 30, 15, P, [("X1", 12)])], stable=True),
                                      START)
    assert result.timepoints[0].clinically_stable is True
    assert "iCPD" in IrecistRules().description


@settings(max_examples=500, derandomize=True, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 80), st.integers(0, 40),
                          st.sampled_from([P, UP, "absent", "not_evaluated"]),
                          st.lists(st.sampled_from(["X1", "X2", "X3"]), max_size=2, unique=True)),
                min_size=1, max_size=6),
       st.randoms(use_true_random=False))
def test_irecist_ignores_row_order_and_never_dates_ipfs_before_recist_progression(visits, random):
    rows = subject([(28 * (i + 1), a, b, nt, [(x, 12) for x in new])
                    for i, (a, b, nt, new) in enumerate(visits)])
    result = derive_irecist_responses(rows, START)

    def mix(table):
        table = list(table)
        random.shuffle(table)
        return tuple(table)

    shuffled = TumourRecords(S, mix(rows.lesions), mix(rows.assessments), mix(rows.measurements),
                             mix(rows.non_target_statuses), mix(rows.new_lesions))
    assert derive_irecist_responses(shuffled, START) == result
    if result.progression_date is not None:
        assert result.recist.progression_date is not None
        assert result.progression_date >= result.recist.progression_date
