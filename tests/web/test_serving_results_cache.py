"""Results derived once per data change (issue 14): a second read of the same results derives
nothing, a write to the study derives them again, and the entries live in the database cache."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection

from oncotrial.web.analysis import service
from oncotrial.web.services.subjects import register_screening


@pytest.fixture
def derivations(monkeypatch):
    calls = []
    real = service.derive_subject_outcomes

    def counting(*args, **kwargs):
        calls.append(1)
        return real(*args, **kwargs)

    monkeypatch.setattr(service, "derive_subject_outcomes", counting)
    return calls


def test_a_second_read_derives_nothing_and_a_write_derives_again(single_arm_cast, derivations):
    cast = single_arm_cast
    first = service.study_results(cast.statistician, cast.study, how="api")
    assert len(derivations) == 1
    # The first read wrote its own audit row ("export"): a read is not a data change.
    second = service.study_results(cast.statistician, cast.study, how="api")
    assert len(derivations) == 1 and second.to_data() == first.to_data()

    register_screening(cast.coordinator_a, cast.study, cast.site_a, screened_on=dt.date(2025, 3, 3),
                       initials="NW", sex="male", birth_year=1955)
    third = service.study_results(cast.statistician, cast.study, how="api")
    assert len(derivations) == 2
    assert third.to_data() != first.to_data()  # one more subject screened
    service.study_results(cast.statistician, cast.study, how="api")
    assert len(derivations) == 2


def test_each_cutoff_and_analysis_set_is_its_own_entry(single_arm_cast, derivations):
    cast = single_arm_cast
    service.study_results(cast.statistician, cast.study, how="api")
    service.study_results(cast.statistician, cast.study, how="api", analysis_set="safety")
    service.study_results(cast.statistician, cast.study, how="api", cutoff=dt.date(2025, 1, 31))
    service.study_results(cast.statistician, cast.study, how="api", analysis_set="safety")
    assert len(derivations) == 3


def test_the_entries_are_rows_of_the_database_cache(single_arm_cast):
    service.study_results(single_arm_cast.statistician, single_arm_cast.study, how="api")
    with connection.cursor() as cursor:
        cursor.execute("SELECT cache_key FROM oncotrial_cache")
        keys = [row[0] for row in cursor.fetchall()]
    assert any("derived:results" in key for key in keys)


def test_a_results_read_is_still_audited_each_time(single_arm_cast):
    from oncotrial.web.models import AuditEvent

    cast = single_arm_cast
    for _ in range(2):
        service.study_results(cast.statistician, cast.study, how="api")
    assert AuditEvent.objects.filter(entity="analysis_results", username=cast.statistician.username).count() == 2
