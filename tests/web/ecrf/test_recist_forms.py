"""Tumour assessments: live RECIST beside the investigator's response; baseline target rules."""

import datetime as dt

import pytest
from tests.web.ecrf.conftest import BASELINE, enter_baseline, enter_follow_up, lesion

from oncotrial.errors import InvalidInput
from oncotrial.web.ecrf import models as m
from oncotrial.web.ecrf.services.recist import assessment_rows, save_tumour_assessment


def test_it_computes_sum_nadir_change_and_pd_by_the_5_mm_rule(cast, subject_a):
    user = cast.coordinator_a
    enter_baseline(user, subject_a, sizes=(30, 20))  # sum 50
    enter_follow_up(user, subject_a, "W8", dt.date(2025, 4, 2), (15, 10), "PR")  # 25: -50 %
    enter_follow_up(user, subject_a, "W16", dt.date(2025, 5, 28), (14, 10), "PR")  # 24: nadir
    enter_follow_up(user, subject_a, "W24", dt.date(2025, 7, 23), (18, 11), "SD")  # 29: +5 mm, +20.8 %
    rows = {row["visit"]: row for row in assessment_rows(cast.investigator_a, subject_a)}
    assert rows["BL"]["sum_mm"] == 50.0
    assert (rows["W8"]["computed_response"], rows["W8"]["percent_change_from_baseline"]) == ("PR", -50.0)
    assert rows["W24"]["nadir_mm"] == 24.0
    assert rows["W24"]["computed_response"] == "PD"
    assert rows["W24"]["discrepancy"] is True and rows["W16"]["discrepancy"] is False


def test_it_rejects_a_third_target_in_one_organ_and_saves_nothing(cast, subject_a):
    header = {"visit": "BL", "date": BASELINE.isoformat(), "method": "CT", "is_baseline": True}
    rows = [lesion("T1", size=30), lesion("T2", size=25), lesion("T3", size=20)]
    with pytest.raises(InvalidInput) as caught:
        save_tumour_assessment(cast.coordinator_a, subject_a, header, rows)
    assert "3 target lesions in liver; at most 2" in caught.value.message
    assert not m.TumourAssessment.objects.exists() and not m.LesionRecord.objects.exists()
