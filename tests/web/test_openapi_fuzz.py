"""Issue 13, item 4: schemathesis over the whole OpenAPI schema, as an investigator and as a monitor.

Every operation is called with schema-valid (positive) and schema-invalid (negative) requests
generated from the schema, a fixed number of each, derandomized; most cases name the real study,
subject and records, the rest whatever the generator makes. Checks: no server error, every status
declared, the declared content type, and the body valid against the declared response model (the
one error shape for every error). Bounded: EXAMPLES per operation and mode.
"""

from __future__ import annotations

import datetime as dt

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)
from tests.web.ecrf.conftest import enrolled_subject_a, enter_baseline

from oncotrial.web.services.tokens import create_api_token

EXAMPLES = 4
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]


@pytest.fixture
def world(single_arm_cast):
    """A study with an enrolled subject, a baseline assessment, an AE, a query and a lock."""
    from oncotrial.web.ecrf.services.locks import lock
    from oncotrial.web.ecrf.services.queries import open_query
    from oncotrial.web.ecrf.services.records import save_record

    cast = single_arm_cast
    subject = enrolled_subject_a(cast)
    assessment = enter_baseline(cast.coordinator_a, subject, sizes=(30, 20))
    ae = save_record(cast.coordinator_a, subject, "adverse_event",
                     {"term": "Nausea", "grade": "2", "start_date": "2025-02-12", "outcome": "recovering"})
    query = open_query(cast.monitor, subject, form="adverse_event", record_id=ae.pk, field="grade", text="why?")
    held = lock(cast.data_manager, cast.study, level="subject", subject=subject)
    return {"cast": cast, "code": cast.study.code, "identifier": subject.identifier, "record_id": ae.pk,
            "assessment": assessment.pk, "query_id": query.pk, "lock_id": held.pk,
            "membership_id": cast.coordinator_a.memberships.first().pk, "username": "coa",
            "action": "answer"}


def _point_at_real_things(case, world) -> None:
    """Most cases address the real study, subject and records rather than random names."""
    real = {**world, "record_id": world["assessment"] if "tumour_assessment" in case.path else world["record_id"]}
    for name in list(case.path_parameters or {}):
        if name in real:
            case.path_parameters[name] = real[name]


def _fuzz(schema, world, token: str) -> dict:
    from oncotrial.web.wsgi import application

    headers = {"Authorization": f"Bearer {token}"}
    calls = {"operations": 0, "cases": 0, "no_negative": 0}
    for result in schema.get_all_operations():
        operation = result.ok()
        calls["operations"] += 1
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
            strategy = operation.as_strategy(generation_mode=mode)

            @settings(max_examples=EXAMPLES, deadline=None, derandomize=True, database=None,
                      suppress_health_check=list(HealthCheck))
            @given(case=strategy, real=st.integers(0, 3))
            def call(case, real):
                if real:
                    _point_at_real_things(case, world)
                response = case.call(app=application, headers=headers)
                case.validate_response(response, checks=CHECKS, headers=headers)
                calls["cases"] += 1

            try:
                call()
            except Unsatisfiable:  # nothing in this operation's schema can be made invalid
                assert mode == GenerationMode.NEGATIVE, operation.label
                calls["no_negative"] += 1
    return calls


@pytest.fixture
def connection_kept_across_requests():
    """The real WSGI handler closes the database connection at each request's start and end; inside
    the test's transaction that drops the connection on PostgreSQL (SQLite's in-memory test database
    ignores it). Django's own test client lifts the same signal, so do we."""
    from django.core import signals
    from django.db import close_old_connections

    for signal in (signals.request_started, signals.request_finished):
        signal.disconnect(close_old_connections)
    yield
    for signal in (signals.request_started, signals.request_finished):
        signal.connect(close_old_connections)


@pytest.mark.slow
@pytest.mark.parametrize("role", ["investigator_a", "monitor"])
def test_the_whole_schema_holds_under_schemathesis(world, role, connection_kept_across_requests):
    from oncotrial.web.wsgi import application

    user = getattr(world["cast"], role)
    _token, text = create_api_token(user, user, name=f"schemathesis {role}", days=1)
    schema = schemathesis.openapi.from_wsgi("/api/openapi.json", application)
    started = dt.datetime.now()
    calls = _fuzz(schema, world, text)
    seconds = (dt.datetime.now() - started).total_seconds()
    print(f"schemathesis as {role}: {calls['operations']} operations, {calls['cases']} cases, {seconds:.0f} s")
    assert calls["operations"] >= 70 and calls["cases"] >= calls["operations"] * 2
