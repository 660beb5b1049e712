"""RECIST 1.1 engine: measurability, follow-up values, PD dating, data-quality flags and bad input
(spec endpoints.md §1.1–§1.15). Worked cases of §6.1 live in tests/vectors/recist/."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from oncotrial.domain.tumour.baseline import classify_measurability
from oncotrial.domain.tumour.checks import compute_imputed_assessment_date, compute_size_mm
from oncotrial.domain.tumour.lesions import (
    Assessment,
    Lesion,
    LesionKind,
    LesionMeasurement,
    LesionRole,
    Method,
    NewLesion,
    NewLesionCertainty,
    NonTargetState,
    NonTargetStatus,
    TargetResult,
    TumourRecords,
    group_tumour_records,
)
from oncotrial.domain.tumour.new_lesions import NewLesionStatus
from oncotrial.domain.tumour.recist import (
    compute_target_value,
    derive_non_target_response,
    derive_overall_response,
    derive_target_response,
    derive_timepoint_responses,
)
from oncotrial.domain.tumour.response import Response
from oncotrial.domain.tumour.rules import RecistRules
from oncotrial.errors import InvalidInput

S = "01-004"
START = date(2024, 1, 1)
BL, FU1, FU2, FU3 = date(2023, 12, 20), date(2024, 2, 26), date(2024, 4, 22), date(2024, 6, 17)


def records(lesions, sizes_by_visit, *, statuses=(), new=(), dates=None, methods=None):
    """Records with one assessment per visit; `sizes_by_visit` maps visit -> {lesion: size}."""
    dates = dates or {"BL": BL, "FU1": FU1, "FU2": FU2, "FU3": FU3}
    methods = methods or {}
    assessments = tuple(Assessment(S, visit, dates[visit], method=methods.get(visit, Method.CT))
                        for visit in sizes_by_visit)
    measurements = tuple(
        value if isinstance(value, LesionMeasurement) else
        LesionMeasurement(S, visit, lesion_id, size=value)
        for visit, sizes in sizes_by_visit.items() for lesion_id, value in sizes.items())
    return TumourRecords(S, tuple(lesions), assessments, measurements, tuple(statuses), tuple(new))


LIVER = [Lesion(S, "A", "liver"), Lesion(S, "B", "lung")]


def test_it_measures_by_the_method_minimum():
    assert classify_measurability(Lesion(S, "A", "liver"), Decimal(10))[0]
    assert not classify_measurability(Lesion(S, "A", "liver"), Decimal("9.9"))[0]
    thick = Lesion(S, "A", "liver", slice_thickness_mm=Decimal(8))
    assert not classify_measurability(thick, Decimal(15))[0]  # 2 x 8 mm slices = 16 mm minimum
    assert classify_measurability(thick, Decimal(16))[0]
    xray = Lesion(S, "P", "lung", method=Method.XRAY)
    assert not classify_measurability(xray, Decimal(19))[0]
    assert classify_measurability(xray, Decimal(20))[0]
    assert not classify_measurability(Lesion(S, "U", "liver", method=Method.ULTRASOUND),
                                      Decimal(40))[0]
    node = Lesion(S, "N", "node", is_lymph_node=True)
    assert [classify_measurability(node, Decimal(v))[0] for v in (9, 14.9, 15)] == \
        [False, False, True]
    assert not classify_measurability(Lesion(S, "C", "liver", kind=LesionKind.CYSTIC),
                                      Decimal(5))[0]
    assert classify_measurability(Lesion(S, "C", "bone", kind=LesionKind.LYTIC_BONE),
                                  Decimal(12))[0]


def test_it_records_follow_up_values_by_the_rules():
    tstm = RecistRules().tstm_default_mm
    row = LesionMeasurement(S, "FU1", "A", TargetResult.TOO_SMALL)
    assert compute_target_value(row, False, tstm) == 5
    assert compute_target_value(row, True, tstm) == 5  # nodes too
    assert compute_target_value(LesionMeasurement(S, "FU1", "A", size=Decimal(3)), False) == 3
    gone = LesionMeasurement(S, "FU1", "A", TargetResult.DISAPPEARED)
    assert compute_target_value(gone, False) == 0
    assert compute_target_value(gone, True) is None  # a node keeps its real short axis
    assert compute_target_value(None, False) is None


def test_it_converts_centimetres_and_rejects_unitless_sizes():
    assert compute_size_mm("1.4", "cm") == Decimal("14.0")
    for size, unit in ((5, None), (5, ""), (5, "in"), (-1, "mm"), ("nan", "mm"), ("x", "mm")):
        with pytest.raises(ValueError):
            compute_size_mm(size, unit)


def test_the_target_procedure_applies_its_steps_in_order():
    nodal = [False, False]
    assert derive_target_response([Decimal(0), Decimal(0)], nodal, Decimal(50), Decimal(50)) == \
        (Response.CR, "")
    assert derive_target_response([Decimal(30), None], nodal, Decimal(50), Decimal(20))[0] == \
        Response.PD  # partial 30 >= 1.2 x 20 and +10 mm
    assert derive_target_response([Decimal(23), None], nodal, Decimal(50), Decimal(20))[0] == \
        Response.NE
    assert derive_target_response([Decimal(3), Decimal(0)], nodal, Decimal(50), Decimal(0),
                                  after_overall_cr=True) == (Response.PD, "reappearance_after_cr")
    assert derive_target_response([], [], None, None)[0] == Response.NA


def test_the_non_target_table_is_first_match():
    present = NonTargetStatus(S, "FU1", "N", NonTargetState.PRESENT)
    small_node = NonTargetStatus(S, "FU1", "N", NonTargetState.PRESENT, size=Decimal(9))
    progressed = NonTargetStatus(S, "FU1", "N", NonTargetState.UNEQUIVOCAL_PROGRESSION)
    assert derive_non_target_response([(False, False, progressed), (False, False, None)])[0] == \
        Response.PD
    assert derive_non_target_response([])[0] == Response.NA
    assert derive_non_target_response([(False, False, None)])[0] == Response.NE
    assert derive_non_target_response([(True, False, small_node)])[0] == Response.CR
    assert derive_non_target_response([(False, False, present)])[0] == Response.NON_CR_NON_PD
    # CEA marker of interest: missing CEA blocks CR, raised CEA gives NON-CR/NON-PD.
    assert derive_non_target_response([], cea_is_marker=True)[0] == Response.NE
    assert derive_non_target_response([], cea_is_marker=True, cea=Decimal(6),
                                      cea_uln=Decimal(5))[0] == Response.NON_CR_NON_PD
    assert derive_non_target_response([], cea_is_marker=True, cea=Decimal(5),
                                      cea_uln=Decimal(5))[0] == Response.CR


def test_the_overall_table_for_non_target_only_patients():
    none = NewLesionStatus.NONE
    assert derive_overall_response(Response.NA, Response.CR, none) == Response.CR
    assert derive_overall_response(Response.NA, Response.NE, none) == Response.NE
    assert derive_overall_response(Response.NA, Response.NON_CR_NON_PD,
                                   NewLesionStatus.EQUIVOCAL) == Response.NON_CR_NON_PD
    assert derive_overall_response(Response.NA, Response.NA, NewLesionStatus.UNEQUIVOCAL) == \
        Response.PD


def test_continued_pr_is_labelled_but_not_used_for_bor():
    rows = records([Lesion(S, "A", "liver")], {"BL": {"A": 100}, "FU1": {"A": 70},
                                               "FU2": {"A": 70}, "FU3": {"A": 80}})
    timepoints = derive_timepoint_responses(rows, START).timepoints
    assert [tp.target_response for tp in timepoints] == [Response.PR, Response.PR, Response.SD]
    assert [tp.target_response_reported for tp in timepoints] == [Response.PR] * 3


def test_pd_date_is_the_first_evidence_for_a_new_lesion():
    """Spec P-15: the chest CT (06-14) shows a new nodule, the liver MRI (06-18) targets SD."""
    lesions = [Lesion(S, "A", "liver", method=Method.MRI)]
    rows = records(lesions, {"BL": {"A": 40}, "FU1": {"A": 38},
                             "FU3": {"A": LesionMeasurement(S, "FU3", "A", size=37,
                                                            scan_date=date(2024, 6, 18))}},
                   new=[NewLesion(S, "FU3", "X1", organ="lung", size=6,
                                  scan_date=date(2024, 6, 14))])
    result = derive_timepoint_responses(rows, START)
    assert result.progression_date == date(2024, 6, 14)
    latest = derive_timepoint_responses(rows, START, rules=RecistRules(pd_date_rule="latest_scan"))
    assert latest.progression_date == date(2024, 6, 18)


def test_pd_by_the_sum_is_dated_when_the_last_target_was_measured():
    """Spec P-15b: lung target on 06-14, liver target on 06-18, PD by the sum."""
    rows = records(LIVER, {
        "BL": {"A": 30, "B": 20}, "FU1": {"A": 30, "B": 20},
        "FU3": {"A": LesionMeasurement(S, "FU3", "A", size=45, scan_date=date(2024, 6, 18)),
                "B": LesionMeasurement(S, "FU3", "B", size=25, scan_date=date(2024, 6, 14))}})
    result = derive_timepoint_responses(rows, START)
    assert result.progression_date == date(2024, 6, 18)
    assert result.timepoints[-1].progression_reasons == ("target_sum",)


def test_non_pd_assessments_take_the_latest_scan_unless_configured():
    rows = records(LIVER, {
        "BL": {"A": 30, "B": 20},
        "FU1": {"A": LesionMeasurement(S, "FU1", "A", size=28, scan_date=date(2024, 2, 27)),
                "B": LesionMeasurement(S, "FU1", "B", size=20, scan_date=date(2024, 2, 24))}})
    assert derive_timepoint_responses(rows, START).timepoints[0].date == date(2024, 2, 27)
    earliest = RecistRules(non_pd_assessment_date="earliest")
    assert derive_timepoint_responses(rows, START, rules=earliest).timepoints[0].date == \
        date(2024, 2, 24)


def flags_of(rows, **options):
    return derive_timepoint_responses(rows, START, **options).flag_codes()


def test_it_flags_target_selection_breaches():
    six = [Lesion(S, f"L{i}", organ, role=LesionRole.TARGET)
           for i, organ in enumerate(["liver", "liver", "liver", "lung", "bone", "spleen"])]
    rows = records(six, {"BL": {f"L{i}": 20 for i in range(6)}})
    assert flags_of(rows) == ("TARGET_SELECTION_VIOLATION",)
    node = [Lesion(S, "N", "node", is_lymph_node=True, role=LesionRole.TARGET)]
    assert flags_of(records(node, {"BL": {"N": 12}})) == ("TARGET_SELECTION_VIOLATION",)
    assert flags_of(records(node, {"BL": {"N": LesionMeasurement(S, "BL", "N",
                                                                  size=None)}})) == \
        ("NODE_SA_MISSING",)


def test_it_flags_a_baseline_outside_the_window():
    rows = records(LIVER, {"BL": {"A": 30, "B": 20}, "FU1": {"A": 30, "B": 20}},
                   dates={"BL": date(2023, 12, 3), "FU1": FU1})
    assert flags_of(rows) == ("NO_VALID_BASELINE",)
    inside = records(LIVER, {"BL": {"A": 30, "B": 20}}, dates={"BL": date(2023, 12, 4)})
    assert flags_of(inside) == ()  # exactly 28 days before start is inside


def test_it_flags_duplicates_modality_changes_and_assessments_after_new_therapy():
    rows = records(LIVER, {"BL": {"A": 30, "B": 20}, "FU1": {"A": 30, "B": 20},
                           "FU2": {"A": 30, "B": 20}},
                   dates={"BL": BL, "FU1": FU1, "FU2": FU1}, methods={"FU2": Method.MRI})
    assert flags_of(rows, new_anticancer_therapy_date=date(2024, 2, 1)) == (
        "ASSESSMENT_AFTER_NACT", "DUPLICATE_ASSESSMENT_DATE", "MODALITY_CHANGE")


def test_it_flags_reappearance_after_an_unconfirmed_cr():
    rows = records([Lesion(S, "A", "liver")], {
        "BL": {"A": 30}, "FU1": {"A": LesionMeasurement(S, "FU1", "A", TargetResult.DISAPPEARED)},
        "FU2": {"A": 4}})
    result = derive_timepoint_responses(rows, START)
    assert [tp.response for tp in result.timepoints] == [Response.CR, Response.PD]
    assert result.flag_codes() == ("REAPPEARANCE_AFTER_UNCONFIRMED_CR",)


def test_it_flags_open_equivocal_and_ultrasound_only_new_lesions():
    rows = records(LIVER, {"BL": {"A": 30, "B": 20}, "FU1": {"A": 30, "B": 20},
                           "FU2": {"A": 30, "B": 20}},
                   new=[NewLesion(S, "FU1", "X1", NewLesionCertainty.EQUIVOCAL, size=6),
                        NewLesion(S, "FU2", "X2", organ="liver", size=9,
                                  method=Method.ULTRASOUND)])
    result = derive_timepoint_responses(rows, START)
    assert result.flag_codes() == ("EQUIVOCAL_NEW_LESION_OPEN", "NEW_LESION_ON_US_ONLY")
    assert Response.PD not in [tp.response for tp in result.timepoints]


def test_a_new_lesion_seen_on_ultrasound_then_ct_is_backdated():
    rows = records(LIVER, {"BL": {"A": 30, "B": 20}, "FU1": {"A": 30, "B": 20},
                           "FU2": {"A": 30, "B": 20}},
                   new=[NewLesion(S, "FU1", "X1", size=9, method=Method.ULTRASOUND),
                        NewLesion(S, "FU2", "X1", size=12, method=Method.CT)])
    assert derive_timepoint_responses(rows, START).progression_date == FU1
    late = RecistRules(equivocal_new_lesion_backdating=False)
    assert derive_timepoint_responses(rows, START, rules=late).progression_date == FU2


def test_it_flags_imputed_dates_and_missing_node_axes():
    node = [Lesion(S, "N", "node", is_lymph_node=True)]
    base = records(node, {"BL": {"N": 20},
                          "FU1": {"N": LesionMeasurement(S, "FU1", "N", TargetResult.DISAPPEARED)}})
    imputed = Assessment(S, "FU1", FU1, date_imputed=True)
    rows = TumourRecords(S, base.lesions, (base.assessments[0], imputed), base.measurements)
    result = derive_timepoint_responses(rows, START)
    assert result.flag_codes() == ("NODE_SA_MISSING", "PARTIAL_DATE_IMPUTED")
    assert result.timepoints[0].target_response == Response.NE


def test_partial_dates_are_imputed_to_the_first_but_after_the_previous_assessment():
    assert compute_imputed_assessment_date("2024-03") == (date(2024, 3, 1), True)
    assert compute_imputed_assessment_date("2024-03", date(2024, 3, 10)) == \
        (date(2024, 3, 11), True)
    assert compute_imputed_assessment_date("2024-03-15") == (date(2024, 3, 15), False)
    assert compute_imputed_assessment_date("2024") == (None, False)


BAD_INPUT = {
    "target measured at follow-up but absent at baseline": (
        "LESION_NOT_AT_BASELINE", "FU1", "Z",
        lambda r: r.measurements + (LesionMeasurement(S, "FU1", "Z", size=10),)),
    "negative size": (
        "INVALID_SIZE", "FU1", "A",
        lambda r: r.measurements[:2] + (LesionMeasurement(S, "FU1", "A", size=-3),
                                        r.measurements[3])),
    "unit-less size": (
        "INVALID_SIZE", "FU1", "A",
        lambda r: r.measurements[:2] + (LesionMeasurement(S, "FU1", "A", size=3, unit=None),
                                        r.measurements[3])),
}


@pytest.mark.parametrize("case", sorted(BAD_INPUT))
def test_bad_measurements_raise_naming_subject_visit_and_lesion(case):
    code, visit, lesion_id, change = BAD_INPUT[case]
    good = records(LIVER, {"BL": {"A": 30, "B": 20}, "FU1": {"A": 30, "B": 20}})
    bad = TumourRecords(S, good.lesions, good.assessments, change(good))
    with pytest.raises(InvalidInput) as raised:
        derive_timepoint_responses(bad, START)
    assert S in raised.value.message and visit in raised.value.message
    assert lesion_id in raised.value.message and raised.value.hint
    collected = derive_timepoint_responses(bad, START, collect_problems=True)
    assert [(p.code, p.visit, p.lesion_id) for p in collected.problems] == [(code, visit, lesion_id)]
    assert len(collected.timepoints) == 1  # the rest is still derived


def test_duplicate_lesion_ids_are_rejected():
    rows = records(LIVER + [Lesion(S, "A", "spleen")], {"BL": {"A": 30, "B": 20}})
    with pytest.raises(InvalidInput, match="lesion id A is used twice"):
        derive_timepoint_responses(rows, START)
    assert derive_timepoint_responses(rows, START, collect_problems=True).problems[0].code == \
        "DUPLICATE_LESION_ID"


def test_dates_out_of_order_are_rejected():
    assessments = (Assessment(S, "BL", BL, sequence=0), Assessment(S, "FU1", FU2, sequence=1),
                   Assessment(S, "FU2", FU1, sequence=2))
    rows = TumourRecords(S, tuple(LIVER), assessments)
    with pytest.raises(InvalidInput, match="FU2 .sequence 2. is dated 2024-02-26"):
        derive_timepoint_responses(rows, START)
    scan = records(LIVER, {"BL": {"A": 30, "B": 20}, "FU1": {
        "A": LesionMeasurement(S, "FU1", "A", size=30, scan_date=date(2023, 12, 1)), "B": 20}})
    with pytest.raises(InvalidInput, match="lesion A at visit FU1 has scan date 2023-12-01"):
        derive_timepoint_responses(scan, START)


def test_an_assessment_before_enrolment_is_rejected():
    rows = records(LIVER, {"BL": {"A": 30, "B": 20}})
    with pytest.raises(InvalidInput, match="before enrolment"):
        derive_timepoint_responses(rows, START, enrolment_date=date(2023, 12, 21))
    result = derive_timepoint_responses(rows, START, enrolment_date=date(2023, 12, 21),
                                        collect_problems=True)
    assert result.problems[0].code == "ASSESSMENT_BEFORE_ENROLMENT"
    assert result.flag_codes() == ("NO_VALID_BASELINE",)


def test_rows_are_grouped_by_subject():
    grouped = group_tumour_records(
        [Lesion("a", "L1", "liver"), Lesion("b", "L1", "liver")],
        [Assessment("b", "BL", BL)])
    assert sorted(grouped) == ["a", "b"] and grouped["b"].assessments[0].visit == "BL"
    mixed = TumourRecords(S, (Lesion("other", "L1", "liver"),))
    with pytest.raises(InvalidInput, match="row of subject other"):
        derive_timepoint_responses(mixed, START)


def test_rules_describe_themselves():
    text = RecistRules(treated_site_progression_is_pd=False).description
    assert "Treated lesions follow the reader's non-target category only." in text
    with pytest.raises(ValueError):
        RecistRules(pd_date_rule="whenever")


def test_treated_lesions_can_be_left_to_the_local_control_module():
    """Open decision §7.3: treated lesions followed as non-targets (default) or not at all."""
    lesions = LIVER + [Lesion(S, "M1", "liver", treated_by="MWA")]
    rows = records(lesions, {"BL": {"A": 30, "B": 20, "M1": 25}, "FU1": {"A": 30, "B": 20}})
    default = derive_timepoint_responses(rows, START)
    assert default.baseline.non_target_ids == ("M1",)
    assert default.timepoints[0].non_target_response == Response.NE  # M1 not read at FU1
    apart = derive_timepoint_responses(rows, START,
                                       rules=RecistRules(treated_lesions_are_non_targets=False))
    assert apart.baseline.non_target_ids == ()
    assert apart.timepoints[0].non_target_response == Response.NA


def test_the_suggestion_respects_lesions_the_reader_kept_as_non_targets():
    lesions = [Lesion(S, "A", "liver", role=LesionRole.NON_TARGET), Lesion(S, "B", "lung"),
               Lesion(S, "C", "liver")]
    result = derive_timepoint_responses(records(lesions, {"BL": {"A": 50, "B": 20, "C": 30}}),
                                        START)
    assert result.baseline.target_ids == ("B", "C")
    assert result.baseline.baseline_sum == 50


def test_nothing_after_the_data_cutoff_is_used():
    """Spec §3.1: a confirmation after the cut-off neither back-dates PD nor closes the flag."""
    rows = records(LIVER, {"BL": {"A": 30, "B": 20}, "FU1": {"A": 30, "B": 20},
                           "FU2": {"A": 30, "B": 20}},
                   new=[NewLesion(S, "FU1", "X1", NewLesionCertainty.EQUIVOCAL, size=6),
                        NewLesion(S, "FU2", "X1", size=14)])
    assert derive_timepoint_responses(rows, START).progression_date == FU1
    cut = derive_timepoint_responses(rows, START, data_cutoff=date(2024, 3, 31))
    assert [tp.visit for tp in cut.timepoints] == ["FU1"]
    assert cut.progression_date is None and cut.flag_codes() == ("EQUIVOCAL_NEW_LESION_OPEN",)


def test_the_baseline_is_the_last_complete_assessment_in_the_window():
    dates = {"BL": date(2023, 12, 10), "FU1": date(2023, 12, 28)}  # FU1: a chest-only rescan
    rows = records(LIVER, {"BL": {"A": 30, "B": 20}, "FU1": {"B": 21}}, dates=dates)
    result = derive_timepoint_responses(rows, START)
    assert result.baseline.assessment.visit == "BL" and result.baseline.baseline_sum == 50
    partial_only = records(LIVER, {"BL": {"B": 20}}, dates={"BL": BL})
    incomplete = derive_timepoint_responses(partial_only, START)
    assert incomplete.flag_codes() == ("NO_VALID_BASELINE",)
    assert incomplete.baseline.target_ids == ("B",)  # A has no baseline size: not measurable
