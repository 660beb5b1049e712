"""The audit trail: append-only, hash-chained rows written only by ``services.audit.record_audit``."""

from __future__ import annotations

from django.conf import settings
from django.db import models


class AuditEvent(models.Model):
    """Who, in which role, when (UTC), what (entity, field, old, new), why, how, with which software.

    ``previous_hash`` is the hash of the row before; ``hash`` is SHA-256 over this row's canonical
    serialization (``services.audit.canonical_audit_bytes``). Database triggers forbid UPDATE and
    DELETE.
    """

    sequence = models.PositiveBigIntegerField(unique=True)
    occurred_at = models.DateTimeField()
    user = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                             related_name="+", db_constraint=False)
    username = models.CharField(max_length=150, blank=True)
    role = models.CharField(max_length=32, blank=True)
    action = models.CharField(max_length=32)
    entity = models.CharField(max_length=64, blank=True)
    entity_id = models.CharField(max_length=64, blank=True)
    study_code = models.CharField(max_length=64, blank=True)
    site_code = models.CharField(max_length=8, blank=True)
    subject_identifier = models.CharField(max_length=32, blank=True)
    changes = models.JSONField(default=list)
    reason = models.TextField(blank=True)
    how = models.CharField(max_length=16)
    software_version = models.CharField(max_length=32)
    remote_addr = models.CharField(max_length=64, blank=True)
    previous_hash = models.CharField(max_length=64)
    hash = models.CharField(max_length=64, unique=True)

    class Meta:
        ordering = ["sequence"]
        indexes = [
            models.Index(fields=["study_code", "occurred_at"], name="audit_study_time"),
            models.Index(fields=["subject_identifier"], name="audit_subject"),
            models.Index(fields=["username", "occurred_at"], name="audit_user_time"),
        ]


class AuditChainHead(models.Model):
    """The chain's last sequence and hash: one row, locked by every append so appends serialize,
    and compared by ``audit verify`` so a deleted tail is noticed."""

    last_sequence = models.PositiveBigIntegerField(default=0)
    last_hash = models.CharField(max_length=64)
