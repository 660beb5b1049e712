"""The SAE expedited-reporting clock: 24 h from 00:00 of the awareness day in the site's time zone
(site A is Asia/Shanghai, UTC+8), met when the record is saved as serious by then."""

import datetime as dt
from unittest import mock
from zoneinfo import ZoneInfo

from django.test import Client

from oncotrial.web.ecrf import models as m
from oncotrial.web.ecrf.services.records import save_record
from oncotrial.web.ecrf.services.summaries import sae_clock

SHANGHAI = ZoneInfo("Asia/Shanghai")
SAE = {"term": "Diarrhea", "grade": "3", "start_date": "2025-02-19", "serious": "true",
       "serious_criterion": "hospitalisation", "awareness_date": "2025-02-20", "outcome": "recovering"}


def at(year, month, day, hour, minute=0, zone=SHANGHAI) -> dt.datetime:
    return dt.datetime(year, month, day, hour, minute, tzinfo=zone)


def save_sae_at(cast, subject, moment, **changes) -> m.AdverseEvent:
    with mock.patch("django.utils.timezone.now", return_value=moment.astimezone(dt.UTC)):
        record = save_record(cast.coordinator_a, subject, "adverse_event", {**SAE, **changes})
    return m.AdverseEvent.objects.get(pk=record.pk)


def test_the_clock_starts_at_midnight_of_the_awareness_day_in_the_site_zone(cast, subject_a):
    ae = save_sae_at(cast, subject_a, at(2025, 2, 20, 9))
    clock = sae_clock(ae, at(2025, 2, 20, 8))  # before the report: still running
    # 2025-02-20 00:00 in Shanghai is 2025-02-19 16:00 UTC; due 24 h later, 2025-02-20 16:00 UTC.
    assert clock["aware_at"] == "2025-02-20T00:00:00+08:00"
    assert dt.datetime.fromisoformat(clock["due"]) == dt.datetime(2025, 2, 20, 16, tzinfo=dt.UTC)
    assert clock["timezone"] == "Asia/Shanghai"
    assert (clock["state"], clock["hours_left"], clock["overdue"], clock["met"]) == ("due", 16.0, False, False)


def test_the_clock_is_overdue_after_24_hours_without_a_report(cast, subject_a):
    ae = save_sae_at(cast, subject_a, at(2025, 2, 23, 9))
    # 2025-02-21 01:00 Shanghai is one hour past the deadline (a UTC clock would still give 7 h).
    clock = sae_clock(ae, at(2025, 2, 21, 1))
    assert (clock["state"], clock["hours_left"], clock["overdue"]) == ("overdue", -1.0, True)


def test_the_clock_is_met_by_a_report_within_24_hours_of_awareness(cast, subject_a):
    ae = save_sae_at(cast, subject_a, at(2025, 2, 20, 23, 30))
    clock = sae_clock(ae, at(2025, 3, 1, 12))
    assert (clock["state"], clock["met"], clock["overdue"]) == ("met", True, False)
    assert clock["reported_at"] == "2025-02-20T23:30:00+08:00"


def test_a_report_after_the_deadline_is_late(cast, subject_a):
    # 2025-02-21 00:30 in Shanghai is still 2025-02-20 in UTC, but past the site's deadline.
    ae = save_sae_at(cast, subject_a, at(2025, 2, 21, 0, 30))
    clock = sae_clock(ae, at(2025, 3, 1, 12))
    assert (clock["state"], clock["met"], clock["overdue"]) == ("late", False, True)


def test_without_an_awareness_date_the_start_date_starts_the_clock(cast, subject_a):
    ae = save_sae_at(cast, subject_a, at(2025, 2, 19, 10), awareness_date="")
    clock = sae_clock(ae, at(2025, 2, 19, 9))
    assert clock["aware_at"] == "2025-02-19T00:00:00+08:00" and clock["hours_left"] == 15.0


def test_a_correction_to_serious_starts_the_report_time(cast, subject_a):
    ae = save_sae_at(cast, subject_a, at(2025, 2, 20, 9), serious="false", serious_criterion="")
    assert sae_clock(ae, at(2025, 2, 20, 10)) is None
    with mock.patch("django.utils.timezone.now", return_value=at(2025, 2, 21, 2).astimezone(dt.UTC)):
        save_record(cast.coordinator_a, subject_a, "adverse_event", SAE, record_id=ae.pk,
                    reason="hospitalised overnight")
    clock = sae_clock(m.AdverseEvent.objects.get(pk=ae.pk), at(2025, 3, 1, 12))
    assert clock["state"] == "late" and clock["reported_at"] == "2025-02-21T02:00:00+08:00"


def test_the_api_shows_the_clock_in_the_site_zone(cast, subject_a):
    ae = save_sae_at(cast, subject_a, at(2025, 2, 20, 9))
    client = Client()
    client.force_login(cast.monitor)
    url = f"/api/studies/{cast.study.code}/subjects/{subject_a.identifier}/ecrf/adverse_event/{ae.pk}"
    clock = client.get(url).json()["sae_clock"]
    assert clock["due"] == "2025-02-21T00:00:00+08:00" and clock["state"] == "met"


def test_the_record_page_says_the_report_was_made_in_time(cast, subject_a):
    ae = save_sae_at(cast, subject_a, at(2025, 2, 20, 9))
    client = Client()
    client.force_login(cast.monitor)
    url = f"/studies/{cast.study.code}/subjects/{subject_a.identifier}/ecrf/forms/adverse_event/{ae.pk}/"
    html = client.get(url).content.decode()
    assert "2025-02-21T00:00:00+08:00 (reported in time)" in html


def test_the_subject_timeline_says_the_report_was_made_in_time(cast, subject_a):
    save_sae_at(cast, subject_a, at(2025, 2, 20, 9))
    client = Client()
    client.force_login(cast.monitor)
    html = client.get(f"/studies/{cast.study.code}/subjects/{subject_a.identifier}/ecrf/").content.decode()
    assert "expedited report due 2025-02-21" in html and "(reported in time)" in html and "h left" not in html
