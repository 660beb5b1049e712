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


def test_writes_the_analysis_does_not_read_keep_the_entry(single_arm_cast, derivations):
    from oncotrial.web.ecrf.services.records import save_record

    cast = single_arm_cast
    subject = register_screening(cast.coordinator_a, cast.study, cast.site_a, screened_on=dt.date(2025, 3, 3),
                                 initials="CM", sex="female", birth_year=1961)
    service.study_results(cast.statistician, cast.study, how="api")
    save_record(cast.coordinator_a, subject, "con_med", {"name": "paracetamol", "indication": "pain",
                                                         "dose_text": "1 g", "start_date": "2025-03-04"})
    service.study_results(cast.statistician, cast.study, how="api")
    assert len(derivations) == 1


def test_the_loader_still_reads_none_of_the_entities_it_is_said_not_to():
    """Guard for UNANALYSED_ENTITIES: if the analysis starts reading con-meds, queries, signatures,
    tokens, users or memberships, their writes must derive the results again."""
    import inspect

    from oncotrial.web.analysis import loading
    from oncotrial.web.ecrf.services import context, recist

    source = "".join(inspect.getsource(module) for module in (loading, context, recist, service))
    for name in ("ConMed", "con_med", "Query", "Signature", "ApiToken", "Membership"):
        mentions = source.count(name)
        allowed = 1 if name == "con_med" else 0  # its own place in UNANALYSED_ENTITIES
        assert mentions <= allowed, f"the analysis now reads {name}: remove it from UNANALYSED_ENTITIES"
