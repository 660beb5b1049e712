"""Subjects and the path from screening to enrolment."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class SubjectStatus(models.TextChoices):
    SCREENING = "screening", _("Screening")
    SCREEN_FAILED = "screen_failed", _("Screen failure")
    ELIGIBLE = "eligible", _("Eligible")
    ENROLLED = "enrolled", _("Enrolled")
    RANDOMIZED = "randomized", _("Randomized")
    ON_TREATMENT = "on_treatment", _("On treatment")
    OFF_TREATMENT = "off_treatment", _("Off treatment")
    WITHDRAWN = "withdrawn", _("Withdrawn")
    DIED = "died", _("Died")


class Subject(models.Model):
    """A person screened for a study, known by ``identifier`` (site code, number, check digit)."""

    study = models.ForeignKey("web.Study", on_delete=models.PROTECT, related_name="subjects")
    site = models.ForeignKey("web.Site", on_delete=models.PROTECT, related_name="subjects")
    identifier = models.CharField(max_length=32)
    number = models.PositiveIntegerField()
    initials = models.CharField(max_length=4, blank=True)
    sex = models.CharField(max_length=8, blank=True)
    birth_year = models.PositiveSmallIntegerField(null=True, blank=True)
    screened_on = models.DateField()
    status = models.CharField(max_length=16, choices=SubjectStatus.choices, default=SubjectStatus.SCREENING)
    protocol_version = models.ForeignKey("web.ProtocolVersion", on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["study_id", "identifier"]
        constraints = [
            models.UniqueConstraint(fields=["study", "identifier"], name="subject_unique_identifier"),
            models.UniqueConstraint(fields=["study", "site", "number"], name="subject_unique_number"),
        ]

    def __str__(self) -> str:
        return self.identifier


class ScreeningRecord(models.Model):
    """An eligibility assessment: the answers, the result and the reasons a subject is ineligible."""

    subject = models.ForeignKey(Subject, on_delete=models.PROTECT, related_name="screenings")
    assessed_on = models.DateField()
    answers = models.JSONField(default=dict)
    eligible = models.BooleanField()
    reasons = models.JSONField(default=list)
    protocol_version = models.ForeignKey("web.ProtocolVersion", on_delete=models.PROTECT, related_name="+")
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    recorded_at = models.DateTimeField()

    class Meta:
        ordering = ["subject_id", "recorded_at", "id"]


class Consent(models.Model):
    """Informed consent: the consent-form version, the date it was signed and who signed it."""

    subject = models.ForeignKey(Subject, on_delete=models.PROTECT, related_name="consents")
    form_version = models.CharField(max_length=32)
    signed_on = models.DateField()
    signer = models.CharField(max_length=200)
    signer_relationship = models.CharField(max_length=32, default="self")
    obtained_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    protocol_version = models.ForeignKey("web.ProtocolVersion", on_delete=models.PROTECT, related_name="+")
    recorded_at = models.DateTimeField()

    class Meta:
        ordering = ["subject_id", "signed_on", "id"]


class Enrolment(models.Model):
    """Enrolment of an eligible, consented subject; ``arm`` is set here for single-arm studies."""

    subject = models.OneToOneField(Subject, on_delete=models.PROTECT, related_name="enrolment")
    enrolled_on = models.DateField()
    arm = models.CharField(max_length=64, blank=True)
    strata = models.JSONField(default=dict)
    enrolled_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    protocol_version = models.ForeignKey("web.ProtocolVersion", on_delete=models.PROTECT, related_name="+")
    recorded_at = models.DateTimeField()
