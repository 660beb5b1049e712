"""Issue 16: the findings of a full walk through both trials, each pinned by a test that failed
before its fix (service and Django-client level; the browser walk is tests/browser/test_issue16_walk.py)."""

import datetime as dt

from tests.web.ecrf.conftest import CONSENT, enrolled_subject_a, enter_baseline, enter_follow_up

from oncotrial.web.ecrf.services.recist import assessment_rows
from oncotrial.web.ecrf.services.records import save_record
from oncotrial.web.services.events import derive_subject_calendar

FIRST_DOSE = dt.date(2025, 2, 17)


def _dose(cast, subject, day=FIRST_DOSE):
    save_record(cast.coordinator_a, subject, "dose_administration",
                {"drug": "camrelizumab", "date": day.isoformat(), "action": "given", "dose": "200", "unit": "mg"})


def test_it_shows_the_baseline_row_its_own_sum_when_a_follow_up_is_on_the_first_therapy_day(single_arm_cast):
    cast = single_arm_cast
    subject = enrolled_subject_a(cast)
    enter_baseline(cast.coordinator_a, subject, sizes=(30, 20))  # own sum 50
    _dose(cast, subject)
    enter_follow_up(cast.coordinator_a, subject, "W1", FIRST_DOSE, (20, 14), "PR")  # 34: -32 %
    rows = {row["visit"]: row for row in assessment_rows(cast.investigator_a, subject)}
    assert rows["BL"]["sum_mm"] == 50.0
    assert rows["W1"]["sum_mm"] == 34.0
    assert rows["W1"]["computed_response"] == "PR"
    assert rows["W1"]["percent_change_from_baseline"] == -32.0
    assert "first" in rows["W1"]["note"] and FIRST_DOSE.isoformat() in rows["W1"]["note"]


def test_a_baseline_assessment_marks_baseline_imaging_done_on_the_calendar(single_arm_cast):
    cast = single_arm_cast
    subject = enrolled_subject_a(cast)
    enter_baseline(cast.coordinator_a, subject, sizes=(30, 20), date=CONSENT)  # the enrolment day
    calendar = derive_subject_calendar(subject, dt.date(2025, 2, 6))
    (baseline,) = [a for a in calendar.assessments if a.kind == "baseline_imaging"]
    assert (baseline.status, baseline.done_on) == ("done", CONSENT)
