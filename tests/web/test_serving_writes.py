"""What an audited eCRF write costs (issue 14): SQL statements and time per request, and how much of
the request runs while it holds the audit chain head (the one point where all writers take turns).

Counts, not times, are asserted; the times are printed (`pytest -s`) for the benchmark notes.
"""

from __future__ import annotations

import datetime as dt
import json
import time

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from oncotrial.web.services.subjects import record_consent, register_screening
from oncotrial.web.services.tokens import create_api_token

DAY = dt.date(2025, 2, 3)


@pytest.fixture
def con_med_writer(single_arm_cast, client):
    cast = single_arm_cast
    subject = register_screening(cast.coordinator_a, cast.study, cast.site_a, screened_on=DAY, initials="LW",
                                 sex="female", birth_year=1960)
    record_consent(cast.coordinator_a, subject, form_version="1.0", signed_on=DAY, signer="L W")
    _token, text = create_api_token(None, cast.coordinator_a, name="write cost", how="cli")
    path = f"/api/studies/{cast.study.code}/subjects/{subject.identifier}/ecrf/con_med"

    def write(number: int):
        body = {"name": f"drug {number}", "indication": "pain", "dose_text": "1 g", "start_date": "2025-03-01"}
        return client.post(path, json.dumps(body), content_type="application/json",
                           HTTP_AUTHORIZATION=f"Bearer {text}")

    write(0)  # first request of the process: URL resolver, schema, translations
    return write


def test_an_audited_ecrf_write_costs_a_bounded_number_of_statements(con_med_writer):
    costs = []
    for number in range(1, 6):
        with CaptureQueriesContext(connection) as queries:
            begun, cpu = time.perf_counter(), time.process_time()
            response = con_med_writer(number)
            elapsed, cpu = time.perf_counter() - begun, time.process_time() - cpu
        assert response.status_code == 200, response.content
        statements = [q["sql"] for q in queries.captured_queries if not q["sql"].startswith(("SAVEPOINT", "RELEASE"))]
        sql_seconds = sum(float(q["time"]) for q in queries.captured_queries)
        costs.append((len(statements), elapsed, cpu, sql_seconds))
    print("\naudited con-med write: " + ", ".join(f"{n} statements, {1000 * t:.0f} ms wall, {1000 * c:.0f} ms CPU, "
                                                  f"SQL {1000 * s:.0f} ms" for n, t, c, s in costs))
    assert max(cost[0] for cost in costs) <= 30  # 25 measured on SQLite (2026-12): a rise means a new N+1


def test_a_write_holds_the_audit_chain_head_for_a_few_statements_only(con_med_writer):
    with CaptureQueriesContext(connection) as queries:
        assert con_med_writer(7).status_code == 200
    statements = [q["sql"] for q in queries.captured_queries if not q["sql"].startswith(("SAVEPOINT", "RELEASE"))]
    head_reads = [i for i, sql in enumerate(statements) if 'FROM "web_auditchainhead"' in sql]
    assert len(head_reads) == 1  # one chain lock per write
    held = statements[head_reads[0]:]
    print(f"\nstatements from the chain lock to commit: {len(held)} of {len(statements)}")
    assert any(sql.startswith('INSERT INTO "web_auditevent"') for sql in held)
    assert len(held) <= 8  # lock, insert, head update, then the SDV / query / enrolment reads
