"""TRUNCATE cannot empty the audit trail on PostgreSQL (migration web.0004): row triggers do not
fire for TRUNCATE, so a statement trigger refuses it."""

from __future__ import annotations

import pytest
from django.db import DatabaseError, connection, transaction

from oncotrial.web.models import AuditEvent
from oncotrial.web.testing import restore_audit_triggers

pytestmark = pytest.mark.django_db


@pytest.mark.skipif(connection.vendor != "postgresql",
                    reason="SQLite has no TRUNCATE; its DELETE is refused by the row triggers (web.0002)")
@pytest.mark.parametrize("statement", ["TRUNCATE web_auditevent", "TRUNCATE web_auditevent CASCADE",
                                       "TRUNCATE TABLE ONLY web_auditevent RESTART IDENTITY"])
def test_postgresql_refuses_to_truncate_the_audit_trail(cast, statement):
    restore_audit_triggers()  # a committing test before this one lifts it for Django's flush
    before = AuditEvent.objects.count()
    assert before > 0
    with pytest.raises(DatabaseError, match="append-only: TRUNCATE is not allowed"), \
            transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(statement)
    assert AuditEvent.objects.count() == before
