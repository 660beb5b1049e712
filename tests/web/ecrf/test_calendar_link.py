"""eCRF entries move the core calendar (trial A: chemotherapy + camrelizumab 7 days after each
ablation; seed-trials.md §2.3)."""

import datetime as dt

from tests.web.ecrf.conftest import enrolled_subject_a, enter_baseline

from oncotrial.web.ecrf.services.records import save_record
from oncotrial.web.services.events import derive_subject_calendar


def test_an_ablation_entered_on_the_ecrf_moves_the_next_dose_to_day_7(single_arm_cast):
    cast = single_arm_cast
    subject = enrolled_subject_a(cast)
    enter_baseline(cast.coordinator_a, subject, sizes=(30, 20))
    save_record(cast.coordinator_a, subject, "local_therapy",
                {"kind": "MWA", "date": "2025-02-10", "lesion_ids": "T1", "technical_success": "true"})
    calendar = derive_subject_calendar(subject, dt.date(2025, 2, 12))
    assert {d.due for d in calendar.next_doses} == {dt.date(2025, 2, 17)}
    save_record(cast.coordinator_a, subject, "dose_administration",
                {"drug": "camrelizumab", "date": "2025-02-17", "action": "given", "dose": "200", "unit": "mg"})
    calendar = derive_subject_calendar(subject, dt.date(2025, 2, 18))
    assert calendar.clock("antibody").next_dose.due == dt.date(2025, 3, 10)  # q3w from the actual dose


def test_a_reduced_dose_is_planned_at_the_reduced_level(single_arm_cast):
    cast = single_arm_cast
    subject = enrolled_subject_a(cast)
    enter_baseline(cast.coordinator_a, subject, sizes=(30, 20))
    save_record(cast.coordinator_a, subject, "local_therapy",
                {"kind": "MWA", "date": "2025-02-10", "lesion_ids": "T1", "technical_success": "true"})
    save_record(cast.coordinator_a, subject, "dose_administration",
                {"drug": "oxaliplatin", "date": "2025-02-17", "action": "reduced", "dose": "144.5",
                 "unit": "mg", "height_cm": "170", "weight_kg": "68", "reduction_percent": "20",
                 "reason": "neuropathy grade 2"})
    calendar = derive_subject_calendar(subject, dt.date(2025, 2, 18))
    planned = calendar.clock("chemotherapy").next_dose
    assert planned.due == dt.date(2025, 3, 3)  # q2w mFOLFOX6 from the actual dose
    assert {d.drug: d.percent for d in planned.drugs}["oxaliplatin"] == 80.0


def test_the_timeline_derives_local_control_per_treated_lesion(single_arm_cast):
    from django.utils import timezone

    from oncotrial.web.ecrf.services.summaries import subject_timeline

    cast = single_arm_cast
    subject = enrolled_subject_a(cast)
    enter_baseline(cast.coordinator_a, subject, sizes=(30, 20))
    save_record(cast.coordinator_a, subject, "local_therapy",   # case L-01 shifted to 2025
                {"kind": "MWA", "date": "2025-02-10", "lesion_ids": "T1", "technical_success": "true"})
    for day, finding in (("2025-03-12", "COMPLETE"), ("2025-08-08", "LTP")):
        save_record(cast.coordinator_a, subject, "ablation_zone_assessment",
                    {"lesion_id": "T1", "date": day, "finding": finding,
                     "technique_efficacy_scan": "true" if finding == "COMPLETE" else "false"})
    (row,) = subject_timeline(cast.monitor, subject, timezone.now())["local_control"]
    # 2025-08-08 - 2025-02-10 + 1 = 180 days
    assert (row["primary_technique_efficacy"], row["ltp_date"], row["ttlp_days"], row["ttlp_event"]) == (
        True, "2025-08-08", 180, True)
