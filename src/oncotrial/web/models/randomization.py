"""Allocation state (one row per study, locked while allocating) and the allocations made."""

from __future__ import annotations

from django.conf import settings
from django.db import models


class AllocationState(models.Model):
    """The domain ``RandomizationState`` of one study as JSON, with the concealed seed of its rng.

    ``allocated`` doubles as a version number: an allocation updates the row only where it still
    holds the value read under the lock, so a lost update cannot happen even without the lock.
    Only the unblinded statistician and the administrator may read ``state`` (upcoming allocations).
    """

    study = models.OneToOneField("web.Study", on_delete=models.PROTECT, related_name="allocation_state")
    seed = models.CharField(max_length=40)
    allocated = models.PositiveIntegerField(default=0)
    state = models.JSONField(default=dict)
    updated_at = models.DateTimeField()


class Randomization(models.Model):
    """One subject's allocation: arm, stratum, sequence number and the block position behind it."""

    subject = models.OneToOneField("web.Subject", on_delete=models.PROTECT, related_name="randomization")
    study = models.ForeignKey("web.Study", on_delete=models.PROTECT, related_name="randomizations")
    sequence = models.PositiveIntegerField()
    arm = models.CharField(max_length=64)
    method = models.CharField(max_length=32)
    stratum = models.CharField(max_length=200, blank=True)
    factors = models.JSONField(default=dict)
    details = models.JSONField(default=dict)
    randomized_at = models.DateTimeField()
    randomized_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    protocol_version = models.ForeignKey("web.ProtocolVersion", on_delete=models.PROTECT, related_name="+")

    class Meta:
        ordering = ["study_id", "sequence"]
        constraints = [models.UniqueConstraint(fields=["study", "sequence"], name="randomization_unique_sequence")]
