"""derive_subject_outcomes: the whole chain from records to subject rows (spec endpoints.md §1–§5).

The R-12 / P-20 and P-15 patients of spec §6 run here from lesion measurements, not timepoints.
"""

from __future__ import annotations

import dataclasses
from datetime import date, timedelta

import pytest

from oncotrial.domain.outcomes.derivation_rules import DerivationOptions, derive_missed_visit_rule
from oncotrial.domain.outcomes.derive import derive_subject_outcomes
from oncotrial.domain.outcomes.records import (
    AdverseEvent,
    Death,
    Dose,
    NewAnticancerTherapy,
    Procedure,
    Subject,
    TreatedSiteAssessment,
)
from oncotrial.domain.protocol.model import AssessmentSchedule, SchedulePhase
from oncotrial.domain.tumour.lesions import (
    Assessment,
    Lesion,
    LesionKind,
    LesionMeasurement,
    LesionRole,
    LocalTherapy,
    NewLesion,
    NewLesionCertainty,
    NonTargetState,
    NonTargetStatus,
    TargetResult,
)
from oncotrial.errors import InvalidInput, NotFound
from oncotrial.protocols import load_builtin_protocol

T0 = date(2024, 1, 1)
CUTOFF = DerivationOptions(data_cutoff=date(2025, 6, 30))
S = "01-001"


def day(n: int) -> date:
    return T0 + timedelta(days=n)


@pytest.fixture(scope="module")
def protocol():
    """Trial B with the spec's common test schedule (every 56 ± 7 days, spec §6)."""
    builtin = load_builtin_protocol("crlm-sbrt-sintilimab")
    schedule = AssessmentSchedule("randomization", (SchedulePhase(56, 7),))
    return dataclasses.replace(builtin, assessment_schedule=schedule)


def r12_patient(fu3_certainty=NewLesionCertainty.UNEQUIVOCAL, **subject_fields):
    """Spec R-12: sums 80 → 52 → 50 (+ equivocal focus) → 50 (focus confirmed)."""
    subject = Subject(S, site="01", arm="chemo", enrolment_date=date(2023, 12, 15),
                      randomization_date=T0, **subject_fields)
    lesions = [Lesion(S, "T1", "liver", role=LesionRole.TARGET),
               Lesion(S, "T2", "lung", role=LesionRole.TARGET),
               Lesion(S, "NT1", "peritoneum", role=LesionRole.NON_TARGET,
                      kind=LesionKind.NON_MEASURABLE)]
    visits = {"BL": date(2023, 12, 20), "FU1": day(56), "FU2": day(112), "FU3": day(168)}
    sizes = {"BL": (50, 30), "FU1": (32, 20), "FU2": (30, 20), "FU3": (30, 20)}
    return dict(
        subjects=[subject], lesions=lesions,
        assessments=[Assessment(S, v, d) for v, d in visits.items()],
        measurements=[LesionMeasurement(S, v, lid, size=size)
                      for v, pair in sizes.items() for lid, size in zip(("T1", "T2"), pair, strict=True)],
        non_target_statuses=[NonTargetStatus(S, v, "NT1", NonTargetState.PRESENT) for v in visits],
        new_lesions=[NewLesion(S, "FU2", "X1", NewLesionCertainty.EQUIVOCAL, organ="liver", size=6),
                     NewLesion(S, "FU3", "X1", fu3_certainty, organ="liver", size=14)],
        doses=[Dose(S, day(14), "chemotherapy")])


def test_it_backdates_pfs_to_the_equivocal_scan_from_measurements(protocol):
    # Spec P-20 / R-12: PFS event 2024-04-22, AVAL 113; BOR PR, confirmed SD.
    row = derive_subject_outcomes(protocol, options=CUTOFF, **r12_patient()).subject(S)
    assert (row.pfs.date, row.pfs.aval_days, row.pfs.is_event) == (date(2024, 4, 22), 113, True)
    assert row.pfs.rule_id == "PD" and "first-evidence" in row.pfs.rule_description
    assert (row.bor, row.bor_date, row.confirmed_bor) == ("PR", date(2024, 2, 26), "SD")


def test_it_keeps_the_pr_when_the_equivocal_lesion_resolves(protocol):
    # Spec R-12b: confirmed PR (d56 confirmed by FU2), no PFS event from the resolved focus.
    records = r12_patient(NewLesionCertainty.RESOLVED)
    row = derive_subject_outcomes(protocol, options=CUTOFF, **records).subject(S)
    assert (row.confirmed_bor, row.confirmed_bor_date) == ("PR", date(2024, 2, 26))
    assert not row.pfs.is_event and row.pfs.date == day(168)
    assert row.dor.start_date == day(56) and not row.dor.is_event


def test_it_dates_a_new_lesion_pd_at_the_scan_that_showed_it(protocol):
    # Spec P-15: chest CT 06-14 shows a new nodule, liver MRI 06-18 → event 2024-06-14, AVAL 166.
    records = r12_patient()
    records["new_lesions"] = [NewLesion(S, "FU3", "X1", organ="lung", size=8,
                                        scan_date=date(2024, 6, 14))]
    records["assessments"][-1] = Assessment(S, "FU3", date(2024, 6, 18))
    row = derive_subject_outcomes(protocol, options=CUTOFF, **records).subject(S)
    assert (row.pfs.date, row.pfs.aval_days, row.pfs.rule_id) == (date(2024, 6, 14), 166, "PD")


def test_it_censors_pfs_at_new_anticancer_therapy(protocol):
    records = r12_patient()
    records["new_therapies"] = [NewAnticancerTherapy(S, day(100), "hepatic arterial infusion")]
    row = derive_subject_outcomes(protocol, options=CUTOFF, **records).subject(S)
    assert (row.pfs.rule_id, row.pfs.date, row.pfs.is_event) == ("NEW_ANTICANCER_THERAPY", day(56),
                                                                  False)
    ema = dataclasses.replace(CUTOFF, pfs_style="EMA")
    row = derive_subject_outcomes(protocol, options=ema, **records).subject(S)
    assert (row.pfs.rule_id, row.pfs.date) == ("PD", day(112))


def test_it_derives_os_from_death_and_last_known_alive(protocol):
    records = r12_patient()
    row = derive_subject_outcomes(protocol, options=CUTOFF, **records).subject(S)
    assert (row.os.is_event, row.os.date) == (False, day(168))  # the last assessment
    records["deaths"] = [Death(S, date(2024, 9, 15))]
    row = derive_subject_outcomes(protocol, options=CUTOFF, **records).subject(S)
    assert (row.os.is_event, row.os.aval_days) == (True, 259)  # spec O-01


def test_it_reads_the_missed_visit_threshold_from_the_protocol_schedule():
    schedule = load_builtin_protocol("crlm-mwa-camrelizumab").assessment_schedule
    rule = derive_missed_visit_rule(schedule)  # q6w ± 7 to day 365, then q12w ± 7
    assert rule.threshold_days(day(300), T0) == 2 * 42 + 7
    assert rule.threshold_days(day(364), T0) == 2 * 84 + 7


def test_it_requires_confirmation_when_the_protocol_says_so(protocol):
    trial_a = load_builtin_protocol("crlm-mwa-camrelizumab")
    records = r12_patient()
    records["subjects"] = [dataclasses.replace(records["subjects"][0], randomization_date=None)]
    row = derive_subject_outcomes(trial_a, options=CUTOFF, **records).subject(S)
    assert row.start_date == day(14)  # first protocol therapy in a single-arm trial
    assert not row.responder and row.time_to_response is None  # confirmed BOR SD
    row = derive_subject_outcomes(protocol, options=CUTOFF, **r12_patient()).subject(S)
    assert row.responder and row.time_to_response.aval_days == 57  # unconfirmed PR at d56


def test_it_summarises_worst_ae_grades(protocol):
    records = r12_patient()
    records["adverse_events"] = [
        AdverseEvent(S, "1", "Alanine aminotransferase increased", day(20), 4),
        AdverseEvent(S, "2", "Sepsis", day(40), 5, attributions={"chemotherapy": "unrelated"})]
    row = derive_subject_outcomes(protocol, options=CUTOFF, **records).subject(S)
    assert (row.worst_ae_grade, row.has_grade_3_4_teae, row.has_grade_5_teae) == (5, True, True)
    assert row.has_grade_3_4_related_teae  # the ALT record has no attribution: related


def test_it_follows_an_ablated_lesion_in_local_control(protocol):
    records = r12_patient()
    records["lesions"].append(Lesion(S, "A1", "liver", role=LesionRole.NON_TARGET,
                                     treated_by=LocalTherapy.MWA, treated_on=date(2024, 1, 10)))
    records["procedures"] = [Procedure(S, "MWA1", "MWA", date(2024, 1, 10), ("A1",))]
    records["site_assessments"] = [
        TreatedSiteAssessment(S, "A1", date(2024, 2, 9), "COMPLETE", technique_efficacy_scan=True),
        TreatedSiteAssessment(S, "A1", date(2024, 7, 8), "LTP")]
    row = derive_subject_outcomes(protocol, options=CUTOFF, **records).subject(S)
    assert row.treated_lesions[0].ttlp.aval_days == 181  # spec L-01
    assert (row.local_control.is_event, row.local_control.date) == (True, date(2024, 7, 8))
    # Trial B's local-control endpoint runs from randomisation (its `origin` parameter)
    assert (row.local_control.start_date, row.local_control.aval_days) == (T0, 190)


@pytest.mark.parametrize("change, words", [
    (lambda r: r.update(deaths=[Death(S, date(2023, 12, 20))]), "before randomisation"),
    (lambda r: r.update(adverse_events=[AdverseEvent(S, "9", "Nausea", day(3), 7)]), "grade 7"),
    (lambda r: r.update(adverse_events=[AdverseEvent(S, "9", "Sepsis", day(3), 1)]), "grades 3, 4, 5"),
    (lambda r: r["assessments"].__setitem__(0, Assessment(S, "BL", date(2023, 12, 1))),
     "enrolment"),
    (lambda r: r.update(doses=[Dose(S, date(2023, 12, 1), "chemotherapy")]), "before enrolment"),
    (lambda r: r.update(procedures=[Procedure(S, "X", "laser", day(3), ("A1",))]), "'laser'"),
    (lambda r: r.update(procedures=[Procedure(S, "X", "MWA", day(3), ("A1",))], site_assessments=[
        TreatedSiteAssessment(S, "A1", day(40), "CLEAN")]), "'CLEAN'"),
    (lambda r: r.update(site_assessments=[TreatedSiteAssessment(S, "B9", day(40), "COMPLETE")]),
     "no procedure treated"),
    (lambda r: r.update(subjects=[dataclasses.replace(r["subjects"][0], follow_up_status="gone")]),
     "'gone'"),
])
def test_it_rejects_inconsistent_records_naming_the_subject(protocol, change, words):
    records = r12_patient()
    change(records)
    with pytest.raises(InvalidInput) as caught:
        derive_subject_outcomes(protocol, options=CUTOFF, **records)
    assert S in caught.value.message and words in str(caught.value.to_dict())


def test_it_returns_problems_as_flags_when_asked(protocol):
    records = r12_patient()
    records["deaths"] = [Death(S, date(2023, 12, 20))]
    result = derive_subject_outcomes(protocol, options=CUTOFF, collect_problems=True, **records)
    # the death also makes the later dose impossible: both come back, nothing is raised
    assert [p.code for p in result.problems] == ["DEATH_BEFORE_START", "DATES_OUT_OF_ORDER"]
    row = result.subject(S)
    assert "DEATH_BEFORE_START" in {f.code for f in row.flags}
    assert row.bor == "PR"  # everything else is still derived


def test_it_rejects_rows_of_subjects_not_passed(protocol):
    records = r12_patient()
    records["deaths"] = [Death("99-999", day(5))]
    with pytest.raises(InvalidInput, match="99-999"):
        derive_subject_outcomes(protocol, options=CUTOFF, **records)


def one_target_patient(sums: dict[int, int], new_lesion_days=(), death_day=None):
    """A subject with one liver target whose size is the sum, as in spec §6.5."""
    subject = Subject(S, enrolment_date=date(2023, 12, 15), randomization_date=T0)
    visits = {"BL": date(2023, 12, 20)} | {f"D{n}": day(n) for n in sums if n > 0}
    sizes = {"BL": sums[0]} | {f"D{n}": s for n, s in sums.items() if n > 0}
    return dict(subjects=[subject], lesions=[Lesion(S, "T1", "liver", role=LesionRole.TARGET)],
                assessments=[Assessment(S, v, d) for v, d in visits.items()],
                measurements=[LesionMeasurement(S, v, "T1", size=s) for v, s in sizes.items()],
                new_lesions=[NewLesion(S, f"D{n}", "X1", organ="lung", size=12)
                             for n in new_lesion_days],
                deaths=[Death(S, day(death_day))] if death_day else [],
                doses=[Dose(S, day(7), "chemotherapy")])


def test_it_derives_ipfs_dated_at_the_confirmed_iupd(protocol):
    # Spec I-01: 60 → 50 → 62 (iUPD) → 68 at day 147 (iCPD): iPFS event 2024-04-22, AVAL 113.
    options = dataclasses.replace(CUTOFF, derive_irecist=True)
    records = one_target_patient({0: 60, 56: 50, 112: 62, 147: 68})
    row = derive_subject_outcomes(protocol, options=options, **records).subject(S)
    assert (row.ibor, row.ipfs.date, row.ipfs.aval_days, row.ipfs.rule_id) == (
        "iSD", date(2024, 4, 22), 113, "iCPD")
    assert (row.pfs.date, row.pfs.aval_days) == (date(2024, 4, 22), 113)


@pytest.mark.parametrize("counts, expected", [(True, (day(56), 57, "iUPD")),
                                              (False, (day(100), 101, "DEATH"))])
def test_it_applies_the_unconfirmed_iupd_setting(protocol, counts, expected):
    # Spec I-04: iUPD from a new lesion at d56, no further scans, death d100.
    options = dataclasses.replace(CUTOFF, derive_irecist=True,
                                  iupd_unconfirmed_counts_as_event=counts)
    records = one_target_patient({0: 60, 56: 55}, new_lesion_days=(56,), death_day=100)
    row = derive_subject_outcomes(protocol, options=options, **records).subject(S)
    assert row.ibor == "iUPD"
    assert (row.ipfs.date, row.ipfs.aval_days, row.ipfs.rule_id) == expected


def test_trial_rates_and_safety_summary(protocol):
    from oncotrial.domain.outcomes.derive import derive_trial_rates, derive_trial_safety_summary
    records = r12_patient()
    second = dict(one_target_patient({0: 60, 56: 30, 112: 30}), subjects=[
        Subject("01-002", randomization_date=T0, enrolment_date=date(2023, 12, 15))])
    for name in ("lesions", "assessments", "measurements", "doses"):
        records[name] += [dataclasses.replace(row, subject_id="01-002") for row in second[name]]
    records["subjects"] += second["subjects"]
    records["adverse_events"] = [AdverseEvent("01-002", "1", "Diarrhea", day(20), 3)]
    result = derive_subject_outcomes(protocol, options=CUTOFF, **records)
    rates = derive_trial_rates(result)
    assert (rates["ORR"].numerator, rates["ORR"].denominator) == (2, 2)  # PR (d56) and PR (d56)
    summary = derive_trial_safety_summary(result)
    assert (summary.grade_3_4.numerator, summary.n_safety) == (1, 2)
    with pytest.raises(InvalidInput, match="subset"):
        derive_trial_safety_summary(result, subset="fatal")


def test_nothing_after_the_data_cutoff_is_used(protocol):
    # R-12 cut between FU2 (equivocal focus) and FU3 (confirmation): at the cut the focus is still
    # open, so FU2 stays PR and confirms FU1; PFS is censored at FU2.
    options = DerivationOptions(data_cutoff=date(2024, 5, 1))
    row = derive_subject_outcomes(protocol, options=options, **r12_patient()).subject(S)
    assert (row.confirmed_bor, row.pfs.is_event, row.pfs.date) == ("PR", False, day(112))
    assert "EQUIVOCAL_NEW_LESION_OPEN" in {f.code for f in row.flags}
    assert row.os.date == date(2024, 5, 1)  # the FU3 scan proves the subject alive at the cut


def test_an_ltp_before_complete_ablation_is_flagged_not_counted():
    from oncotrial.domain.outcomes.local_control import derive_treated_lesion_outcomes
    outcome = derive_treated_lesion_outcomes(
        S, [Procedure(S, "MWA1", "MWA", date(2024, 1, 10), ("A1",))],
        [TreatedSiteAssessment(S, "A1", date(2024, 2, 9), "LTP"),
         TreatedSiteAssessment(S, "A1", date(2024, 3, 9), "COMPLETE")], date(2025, 6, 30))[0]
    assert outcome.ltp_date is None and "before complete ablation" in outcome.notes[0]


def test_a_sum_based_pd_is_dated_when_the_last_target_was_measured(protocol):
    # Spec P-15b: lung target on 06-14, liver target on 06-18, PD by the sum → 2024-06-18, AVAL 170.
    records = r12_patient()
    records["new_lesions"] = []
    records["assessments"][-1] = Assessment(S, "FU3", date(2024, 6, 18))
    records["measurements"][-2:] = [
        LesionMeasurement(S, "FU3", "T1", size=50, scan_date=date(2024, 6, 18)),
        LesionMeasurement(S, "FU3", "T2", size=30, scan_date=date(2024, 6, 14))]
    row = derive_subject_outcomes(protocol, options=CUTOFF, **records).subject(S)
    assert (row.pfs.date, row.pfs.aval_days, row.pfs.rule_id) == (date(2024, 6, 18), 170, "PD")


def test_a_subject_row_is_json_ready(protocol):
    import json
    result = derive_subject_outcomes(protocol, options=CUTOFF, **r12_patient())
    row = json.loads(json.dumps(result.subject(S).to_dict()))
    assert row["pfs"]["rule_id"] == "PD" and row["pfs"]["date"] == "2024-04-22"
    assert row["confirmed_bor"] == "SD"
    with pytest.raises(NotFound):
        result.subject("no-such-subject")


def test_the_teae_window_comes_from_the_protocol_unless_overridden(protocol):
    from oncotrial.domain.outcomes.safety import TeaeWindow
    from oncotrial.domain.protocol.model import EndpointDef
    records = r12_patient()  # single dose on day 14
    records["adverse_events"] = [AdverseEvent(S, "1", "Diarrhea", day(14 + 60), 3)]
    row = derive_subject_outcomes(protocol, options=CUTOFF, **records).subject(S)
    assert not row.has_grade_3_4_teae  # 60 days after the last dose > 30
    ae_rate = EndpointDef("ae", "AE rate", "rate", "safety", "ae_grade_3_4_rate",
                          parameters={"teae_window_days": 90})
    longer = dataclasses.replace(protocol, endpoints=protocol.endpoints + (ae_rate,))
    assert derive_subject_outcomes(longer, options=CUTOFF, **records).subject(S).has_grade_3_4_teae
    override = dataclasses.replace(CUTOFF, teae_window=TeaeWindow(30))
    assert not derive_subject_outcomes(longer, options=override, **records).subject(
        S).has_grade_3_4_teae


def test_duration_of_cr_runs_from_the_first_cr(protocol):
    # Spec §3.5: R-05-like patient, CR at d56 and d112, PD (regrowth) at d168.
    records = one_target_patient({0: 25, 56: 0, 112: 0, 168: 12})
    records["measurements"] = [m if m.size else dataclasses.replace(
        m, result=TargetResult.DISAPPEARED, size=None) for m in records["measurements"]]
    row = derive_subject_outcomes(protocol, options=CUTOFF, **records).subject(S)
    assert (row.bor, row.confirmed_bor) == ("CR", "CR")
    assert (row.duration_of_cr.start_date, row.duration_of_cr.date) == (day(56), day(168))
    assert row.duration_of_cr.aval_days == 113 and row.duration_of_cr.is_event
    assert derive_subject_outcomes(protocol, options=CUTOFF, **r12_patient()).subject(
        S).duration_of_cr is None



def test_the_cutoff_gives_the_same_recist_rows_with_or_without_irecist(protocol):
    # The data cut-off (spec §0.1) applies to the RECIST rows whichever path derives them.
    cutoff = date(2024, 5, 1)
    plain = DerivationOptions(data_cutoff=cutoff)
    with_irecist = dataclasses.replace(plain, derive_irecist=True)
    rows = [derive_subject_outcomes(protocol, options=o, **r12_patient()) for o in (plain, with_irecist)]
    dates = [[tp.date for tp in result.timepoints] for result in rows]
    assert dates[0] == dates[1] and max(dates[0]) <= cutoff
