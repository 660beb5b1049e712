"""The audit trail: every write leaves a hash-chained row; tampering is detected; rows are immutable."""

from __future__ import annotations

import pytest
from django.db import DatabaseError, connection, transaction

from oncotrial.cli import main
from oncotrial.errors import InvalidInput
from oncotrial.web.models import AuditEvent
from oncotrial.web.services.audit import (
    GENESIS_HASH,
    canonical_audit_bytes,
    compute_audit_hash,
    record_audit,
    verify_audit_chain,
)

from .conftest import tamper_with_audit

pytestmark = pytest.mark.django_db


def test_it_chains_each_row_to_the_one_before(cast):
    rows = list(AuditEvent.objects.order_by("sequence"))
    assert [r.sequence for r in rows] == list(range(1, len(rows) + 1))
    assert rows[0].previous_hash == GENESIS_HASH
    for before, after in zip(rows, rows[1:], strict=False):
        assert after.previous_hash == before.hash
    assert verify_audit_chain().ok


def test_it_records_who_role_when_what_how_and_version(cast):
    event = AuditEvent.objects.filter(action="role_grant", username="adm").last()
    assert event.role == "administrator"
    assert event.how == "page"
    assert event.study_code == cast.study.code
    assert event.occurred_at.utcoffset().total_seconds() == 0
    assert event.software_version
    assert event.changes == [{"field": "role", "old": None, "new": "oub:coordinator"}]


def test_it_hashes_a_canonical_serialization():
    values = {name: "" for name in ("username", "role", "action", "entity", "entity_id", "study_code",
                                     "site_code", "subject_identifier", "reason", "how",
                                     "software_version", "remote_addr")}
    values.update(sequence=1, occurred_at="2025-01-01T00:00:00.000000+00:00", user_id=None,
                  changes=[{"field": "x", "old": None, "new": "1"}], previous_hash=GENESIS_HASH)
    data = canonical_audit_bytes(values)
    assert data.startswith(b'{"action":"","changes":[{"field":"x","new":"1","old":null}]')
    assert compute_audit_hash(values) == compute_audit_hash(dict(reversed(list(values.items()))))


def test_it_requires_a_reason_for_a_change_after_first_entry(cast):
    with pytest.raises(InvalidInput) as raised:
        record_audit(user=cast.admin, action="update", how="page", entity="consent")
    assert raised.value.field == "reason"


def test_the_database_refuses_to_update_an_audit_row(cast):
    with pytest.raises(DatabaseError), transaction.atomic():
        AuditEvent.objects.filter(sequence=1).update(reason="rewritten")


def test_the_database_refuses_to_delete_an_audit_row(cast):
    with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("DELETE FROM web_auditevent WHERE sequence = 2")


def test_audit_verify_reports_an_edited_row(cast, capsys):
    assert main(["audit", "verify"]) == 0
    tamper_with_audit("UPDATE web_auditevent SET reason = 'nothing happened' WHERE sequence = 3")
    assert main(["audit", "verify"]) == 1
    out = capsys.readouterr().out
    assert "row 3: edited" in out


def test_audit_verify_reports_a_deleted_row(cast, capsys):
    tamper_with_audit("DELETE FROM web_auditevent WHERE sequence = 4")
    assert main(["audit", "verify"]) == 1
    assert "row 5: deleted: rows 4..4 are missing" in capsys.readouterr().out


def test_audit_verify_reports_a_deleted_tail(cast):
    last = AuditEvent.objects.order_by("-sequence").first().sequence
    tamper_with_audit("DELETE FROM web_auditevent WHERE sequence = %s", [last])
    problems = verify_audit_chain().problems
    assert [(p.sequence, p.kind) for p in problems] == [(last, "deleted")]


def test_audit_verify_reports_reordered_rows(cast):
    # Swap the content of rows 5 and 6 but keep their sequence numbers: each row's own hash then
    # matches its content, yet the chain runs 4 -> 6 -> 5 -> 7.
    tamper_with_audit("UPDATE web_auditevent SET sequence = sequence + 1000 WHERE sequence IN (5, 6)")
    tamper_with_audit("UPDATE web_auditevent SET sequence = 6 WHERE sequence = 1005")
    tamper_with_audit("UPDATE web_auditevent SET sequence = 5 WHERE sequence = 1006")
    kinds = {p.kind for p in verify_audit_chain().problems}
    assert "reordered" in kinds or "edited" in kinds
    assert not verify_audit_chain().ok
