"""Append to and verify the hash-chained audit trail (21 CFR 11.10(e); ICH E6(R3) 4.2 / Annex 1).

``record_audit`` is the single way rows enter ``AuditEvent``. It locks the chain head, so concurrent
appends take turns, and stores with each row the previous row's hash and its own SHA-256 over a
canonical serialization. ``verify_audit_chain`` recomputes every hash and reports rows that were
edited, deleted or reordered behind the application's back.
"""

from __future__ import annotations

import datetime as dt
import decimal
import hashlib
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from django.db import transaction
from django.utils import timezone

from oncotrial import __version__
from oncotrial.errors import InvalidInput
from oncotrial.web.models import AuditChainHead, AuditEvent

GENESIS_HASH = "0" * 64
HOW = ("page", "api", "import", "system", "cli")
CHANGE_ACTIONS = ("update", "delete")
HASHED_FIELDS = (
    "sequence", "occurred_at", "user_id", "username", "role", "action", "entity", "entity_id",
    "study_code", "site_code", "subject_identifier", "changes", "reason", "how", "software_version",
    "remote_addr", "previous_hash",
)


def to_audit_value(value):
    """A JSON-native copy of a field value, so the hash survives a round trip through the database."""
    if value is None or isinstance(value, bool | int | str):
        return value
    if isinstance(value, float):
        return repr(value)
    if isinstance(value, dt.datetime):
        return value.astimezone(dt.UTC).isoformat(timespec="microseconds")
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, decimal.Decimal):
        return str(value)
    if isinstance(value, Mapping):
        return {str(k): to_audit_value(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [to_audit_value(v) for v in value]
    if hasattr(value, "pk"):
        return str(value.pk)
    return str(value)


def changes_from(old: Mapping | None, new: Mapping | None) -> list[dict]:
    """Field-level changes ``{field, old, new}`` between two snapshots (either may be empty)."""
    old, new = dict(old or {}), dict(new or {})
    changes = []
    for name in sorted(set(old) | set(new)):
        before, after = to_audit_value(old.get(name)), to_audit_value(new.get(name))
        if before != after:
            changes.append({"field": name, "old": before, "new": after})
    return changes


def canonical_audit_bytes(values: Mapping) -> bytes:
    """The exact bytes a row's hash covers: its hashed fields as sorted, compact UTF-8 JSON."""
    data = {name: values[name] for name in HASHED_FIELDS}
    data["occurred_at"] = to_audit_value(data["occurred_at"])
    return json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def compute_audit_hash(values: Mapping) -> str:
    return hashlib.sha256(canonical_audit_bytes(values)).hexdigest()


def _row_values(event: AuditEvent) -> dict:
    return {name: getattr(event, name) for name in HASHED_FIELDS}


def _lock_chain_head() -> AuditChainHead:
    """The chain head, locked until the caller's transaction ends: the one point where every writer
    of every process and host takes its turn. PostgreSQL: a row lock (SELECT ... FOR UPDATE), which
    a second appender waits on and then reads the committed head. SQLite: the transaction began
    IMMEDIATE and already holds the database's write lock (the writers of one process queue before
    BEGIN, oncotrial.web.sqlite_backend). Held from here to commit, so callers append last where they
    can; tests/web/test_serving_writes.py counts what an eCRF write runs under it."""
    head = AuditChainHead.objects.select_for_update().filter(pk=1).first()
    if head is None:
        # The first append of a database, perhaps in two processes at once: one insert wins, the
        # other is ignored, and both then queue on the row (a plain create would fail the loser).
        AuditChainHead.objects.bulk_create([AuditChainHead(pk=1, last_sequence=0, last_hash=GENESIS_HASH)],
                                           ignore_conflicts=True)
        head = AuditChainHead.objects.select_for_update().get(pk=1)
    return head


def record_audit(*, user=None, action: str, how: str, role: str = "", entity: str = "", entity_id="",
                 changes: Iterable[Mapping] = (), reason: str = "", study=None, site=None, subject=None,
                 username: str = "", remote_addr: str = "") -> AuditEvent:
    """Append one audit row inside the caller's transaction and return it.

    ``changes`` lists ``{field, old, new}``; an ``update`` or ``delete`` needs a ``reason`` (a change
    after first entry must say why: 21 CFR 11.10(e), ICH E6(R3) Annex 1 §3.16.1). ``study``, ``site``
    and ``subject`` may be model instances or their codes.
    """
    if how not in HOW:
        raise InvalidInput(f"audit 'how' is '{how}'; allowed: {', '.join(HOW)}", field="how")
    if action in CHANGE_ACTIONS and not reason.strip():
        raise InvalidInput(
            f"a reason is required to {action} {entity or 'a record'} after first entry",
            field="reason", hint="say why the value changes, e.g. 'transcription error, see source'",
        )
    with transaction.atomic():
        head = _lock_chain_head()
        values = {
            "sequence": head.last_sequence + 1,
            "occurred_at": timezone.now(),
            "user_id": getattr(user, "pk", None),
            "username": username or getattr(user, "username", "") or "",
            "role": role or "",
            "action": action,
            "entity": entity,
            "entity_id": str(entity_id or ""),
            "study_code": _code(study, "code"),
            "site_code": _code(site, "code"),
            "subject_identifier": _code(subject, "identifier"),
            "changes": to_audit_value([dict(change) for change in changes]),
            "reason": reason,
            "how": how,
            "software_version": __version__,
            "remote_addr": remote_addr or "",
            "previous_hash": head.last_hash,
        }
        event = AuditEvent.objects.create(**values, hash=compute_audit_hash(values))
        AuditChainHead.objects.filter(pk=1).update(last_sequence=event.sequence, last_hash=event.hash)
    return event


def _code(value, attribute: str) -> str:
    if value is None:
        return ""
    return value if isinstance(value, str) else getattr(value, attribute)


@dataclass(frozen=True)
class AuditProblem:
    sequence: int
    kind: str  # edited, deleted, reordered
    message: str


@dataclass(frozen=True)
class AuditVerification:
    checked: int
    last_sequence: int
    problems: tuple[AuditProblem, ...] = field(default=())

    @property
    def ok(self) -> bool:
        return not self.problems


def verify_audit_chain() -> AuditVerification:
    """Recompute every row's hash and link; report edited, deleted and reordered rows."""
    problems: list[AuditProblem] = []
    hashes_seen: dict[str, int] = {}
    expected_previous, expected_sequence, checked = GENESIS_HASH, 1, 0
    for event in AuditEvent.objects.order_by("sequence").iterator(chunk_size=2000):
        checked += 1
        problems += _check_row(event, expected_previous, expected_sequence, hashes_seen)
        hashes_seen[event.hash] = event.sequence
        expected_previous, expected_sequence = event.hash, event.sequence + 1
    head = AuditChainHead.objects.filter(pk=1).first()
    if head and head.last_sequence >= expected_sequence:
        problems.append(AuditProblem(
            expected_sequence, "deleted",
            f"rows {expected_sequence}..{head.last_sequence} at the end of the trail are missing",
        ))
    elif head and head.last_hash != expected_previous:
        problems.append(AuditProblem(expected_sequence - 1, "edited",
                                     "the last row does not match the chain head"))
    return AuditVerification(checked, expected_sequence - 1, tuple(problems))


def _check_row(event, expected_previous: str, expected_sequence: int, hashes_seen) -> list[AuditProblem]:
    problems = []
    n = event.sequence
    if n > expected_sequence:
        problems.append(AuditProblem(n, "deleted", f"rows {expected_sequence}..{n - 1} are missing"))
    if compute_audit_hash(_row_values(event)) != event.hash:
        problems.append(AuditProblem(n, "edited", f"row {n} was changed after it was written "
                                     "(its content no longer matches its hash)"))
    if event.previous_hash != expected_previous and n == expected_sequence:
        kind = "reordered" if event.previous_hash in hashes_seen or n == 1 else "deleted"
        problems.append(AuditProblem(n, kind, f"row {n} does not follow row {n - 1} in the chain ({kind})"))
    return problems
