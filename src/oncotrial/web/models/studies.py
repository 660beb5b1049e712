"""Studies and their protocol versions (amendments)."""

from __future__ import annotations

from functools import cached_property

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from oncotrial.web.protocol_texts import parse_stored_protocol


class StudyStatus(models.TextChoices):
    SETUP = "setup", _("Set-up")
    RECRUITING = "recruiting", _("Recruiting")
    CLOSED = "closed", _("Closed to recruitment")


class Study(models.Model):
    """A trial run on the platform from one protocol; its versions live in :class:`ProtocolVersion`."""

    code = models.SlugField(max_length=64, unique=True)
    protocol_id = models.CharField(max_length=100)
    title = models.CharField(max_length=500)
    status = models.CharField(max_length=16, choices=StudyStatus.choices, default=StudyStatus.RECRUITING)
    sites = models.ManyToManyField("web.Site", through="web.StudySite", related_name="studies")
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["code"]
        verbose_name_plural = "studies"

    def __str__(self) -> str:
        return self.code

    def current_version(self) -> ProtocolVersion:
        return self.protocol_versions.order_by("-loaded_at", "-id").first()


class StudySite(models.Model):
    """A site taking part in a study; ``last_subject_number`` numbers its subjects (under a row lock)."""

    study = models.ForeignKey(Study, on_delete=models.PROTECT, related_name="study_sites")
    site = models.ForeignKey("web.Site", on_delete=models.PROTECT, related_name="study_sites")
    active = models.BooleanField(default=True)
    last_subject_number = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["study_id", "site__code"]
        constraints = [models.UniqueConstraint(fields=["study", "site"], name="studysite_unique")]


class ProtocolVersion(models.Model):
    """One version of a study's protocol, stored as its YAML text with a SHA-256 fingerprint.

    Every clinical record points at the version in force when it was written.
    """

    study = models.ForeignKey(Study, on_delete=models.PROTECT, related_name="protocol_versions")
    version = models.CharField(max_length=32)
    text = models.TextField()
    sha256 = models.CharField(max_length=64)
    effective_on = models.DateField()
    loaded_at = models.DateTimeField()
    loaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                  related_name="+")

    class Meta:
        ordering = ["study_id", "loaded_at", "id"]
        constraints = [models.UniqueConstraint(fields=["study", "version"], name="protocolversion_unique")]

    def __str__(self) -> str:
        return f"{self.study.code} v{self.version}"

    @cached_property
    def protocol(self):
        """The domain :class:`~oncotrial.domain.protocol.model.Protocol` this version holds."""
        return parse_stored_protocol(self.sha256, self.text, f"{self.study.code} v{self.version}")
