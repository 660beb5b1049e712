"""eCRF tables: clinical records, and the data-management records around them (queries, source
data verification, signatures, locks). Tables and nothing more: every write is in ``services``.

Every clinical record stores the protocol version in force when it was written, who wrote it and a
revision number that each correction increments.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models

USER = settings.AUTH_USER_MODEL


class ClinicalRecord(models.Model):
    subject = models.ForeignKey("web.Subject", on_delete=models.PROTECT, related_name="+")
    protocol_version = models.ForeignKey("web.ProtocolVersion", on_delete=models.PROTECT, related_name="+")
    revision = models.PositiveIntegerField(default=1)
    created_by = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField()
    updated_by = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="+")
    updated_at = models.DateTimeField()

    class Meta:
        abstract = True


class TumourAssessment(ClinicalRecord):
    """One RECIST timepoint: all scans read together; lesion rows in :class:`LesionRecord`."""

    visit = models.CharField(max_length=32)
    date = models.DateField()
    method = models.CharField(max_length=16)
    is_baseline = models.BooleanField(default=False)
    cea = models.DecimalField(max_digits=10, decimal_places=2, null=True, blank=True)
    cea_uln = models.DecimalField(max_digits=6, decimal_places=2, null=True, blank=True)
    investigator_response = models.CharField(max_length=16, blank=True)
    comment = models.TextField(blank=True)

    class Meta:
        ordering = ["subject_id", "date", "id"]
        constraints = [models.UniqueConstraint(fields=["subject", "visit"], name="ecrf_assessment_visit")]


class LesionRecord(models.Model):
    """One lesion at one assessment: a target with its size, a non-target with its state, or a new
    lesion with its certainty. The lesion id is stable across visits."""

    assessment = models.ForeignKey(TumourAssessment, on_delete=models.CASCADE, related_name="lesions")
    lesion_id = models.CharField(max_length=16)
    kind = models.CharField(max_length=16)  # target, non_target, new
    organ = models.CharField(max_length=64, blank=True)
    location = models.CharField(max_length=200, blank=True)
    is_lymph_node = models.BooleanField(default=False)
    axis = models.CharField(max_length=8, blank=True)
    size_mm = models.DecimalField(max_digits=6, decimal_places=1, null=True, blank=True)
    result = models.CharField(max_length=16, blank=True)
    non_target_state = models.CharField(max_length=32, blank=True)
    certainty = models.CharField(max_length=16, blank=True)
    treated_by = models.CharField(max_length=8, default="none")

    class Meta:
        ordering = ["assessment_id", "kind", "lesion_id"]
        constraints = [models.UniqueConstraint(fields=["assessment", "lesion_id"], name="ecrf_lesion_once")]


class DoseAdministration(ClinicalRecord):
    drug = models.CharField(max_length=64)
    date = models.DateField()
    action = models.CharField(max_length=16, default="given")
    dose = models.DecimalField(max_digits=10, decimal_places=2, null=True, blank=True)
    unit = models.CharField(max_length=8, blank=True)
    height_cm = models.DecimalField(max_digits=5, decimal_places=1, null=True, blank=True)
    weight_kg = models.DecimalField(max_digits=5, decimal_places=1, null=True, blank=True)
    reduction_percent = models.DecimalField(max_digits=5, decimal_places=1, null=True, blank=True)
    delay_days = models.IntegerField(null=True, blank=True)
    reason = models.CharField(max_length=200, blank=True)
    bsa_m2 = models.DecimalField(max_digits=5, decimal_places=3, null=True, blank=True)
    prescribed_dose = models.DecimalField(max_digits=10, decimal_places=2, null=True, blank=True)
    percent_of_planned = models.DecimalField(max_digits=12, decimal_places=1, null=True, blank=True)

    class Meta:
        ordering = ["subject_id", "date", "id"]


class LocalTherapy(ClinicalRecord):
    kind = models.CharField(max_length=8)
    date = models.DateField()
    end_date = models.DateField(null=True, blank=True)
    lesion_ids = models.JSONField(default=list)
    technique = models.CharField(max_length=100, blank=True)
    technical_success = models.BooleanField(null=True, blank=True)
    dose_gy = models.DecimalField(max_digits=5, decimal_places=1, null=True, blank=True)
    fractions = models.IntegerField(null=True, blank=True)

    class Meta:
        ordering = ["subject_id", "date", "id"]


class AblationZoneAssessment(ClinicalRecord):
    lesion_id = models.CharField(max_length=16)
    date = models.DateField()
    finding = models.CharField(max_length=16)
    technique_efficacy_scan = models.BooleanField(default=False)

    class Meta:
        ordering = ["subject_id", "date", "id"]


class AdverseEvent(ClinicalRecord):
    term = models.CharField(max_length=200)
    term_specify = models.CharField(max_length=200, blank=True)  # for an "<SOC> - Other, specify" term
    soc = models.CharField(max_length=200, blank=True)
    ctcae_version = models.CharField(max_length=8, default="5.0")
    grade = models.PositiveSmallIntegerField(null=True, blank=True)
    start_date = models.DateField()
    end_date = models.DateField(null=True, blank=True)
    serious = models.BooleanField(default=False)
    serious_criterion = models.CharField(max_length=32, blank=True)
    awareness_date = models.DateField(null=True, blank=True)
    attribution_anti_pd1 = models.CharField(max_length=16, blank=True)
    attribution_chemotherapy = models.CharField(max_length=16, blank=True)
    attribution_procedure = models.CharField(max_length=16, blank=True)
    immune_related = models.BooleanField(default=False)
    action = models.CharField(max_length=16, blank=True)
    outcome = models.CharField(max_length=32, blank=True)

    class Meta:
        ordering = ["subject_id", "start_date", "id"]


class ConMed(ClinicalRecord):
    name = models.CharField(max_length=200)
    indication = models.CharField(max_length=200, blank=True)
    dose_text = models.CharField(max_length=200, blank=True)
    start_date = models.DateField()
    end_date = models.DateField(null=True, blank=True)

    class Meta:
        ordering = ["subject_id", "start_date", "id"]


class NewAnticancerTherapy(ClinicalRecord):
    description = models.CharField(max_length=300)
    start_date = models.DateField()

    class Meta:
        ordering = ["subject_id", "start_date", "id"]


class Death(ClinicalRecord):
    date = models.DateField()
    cause = models.CharField(max_length=32, blank=True)
    cause_text = models.CharField(max_length=300, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["subject"], name="ecrf_one_death")]


class SubjectStatusChange(ClinicalRecord):
    """Withdrawal (of consent), off treatment and off study: three distinct states, each dated."""

    status = models.CharField(max_length=16)
    date = models.DateField()
    reason = models.CharField(max_length=300)

    class Meta:
        ordering = ["subject_id", "date", "id"]
        constraints = [models.UniqueConstraint(fields=["subject", "status"], name="ecrf_status_once")]


class CtcaeTerm(models.Model):
    """A CTCAE term and its grade texts (``grades``: {"1": text or null, ...}); no MedDRA codes."""

    version = models.CharField(max_length=8)
    term = models.CharField(max_length=200)
    soc = models.CharField(max_length=200)
    grades = models.JSONField(default=dict)
    protocol_defined = models.BooleanField(default=False)
    source = models.CharField(max_length=32, default="bundled")

    class Meta:
        ordering = ["version", "soc", "term"]
        constraints = [models.UniqueConstraint(fields=["version", "term"], name="ecrf_ctcae_term")]


class QueryStatus(models.TextChoices):
    OPEN = "open", "Open"
    ANSWERED = "answered", "Answered"
    RESOLVED = "resolved", "Resolved"
    CLOSED = "closed", "Closed"


class Query(models.Model):
    """A data clarification on a record or one of its fields, opened by a person or an edit check."""

    subject = models.ForeignKey("web.Subject", on_delete=models.PROTECT, related_name="+")
    form = models.CharField(max_length=32)
    record_id = models.PositiveBigIntegerField()
    field = models.CharField(max_length=64, blank=True)
    check_id = models.CharField(max_length=16, blank=True)
    text = models.TextField()
    status = models.CharField(max_length=16, choices=QueryStatus.choices, default=QueryStatus.OPEN)
    opened_by = models.ForeignKey(USER, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    opened_at = models.DateTimeField()
    assigned_to = models.ForeignKey(USER, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    answer = models.TextField(blank=True)
    answered_by = models.ForeignKey(USER, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    answered_at = models.DateTimeField(null=True, blank=True)
    resolved_at = models.DateTimeField(null=True, blank=True)
    closed_by = models.ForeignKey(USER, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    closed_at = models.DateTimeField(null=True, blank=True)
    close_note = models.TextField(blank=True)
    protocol_version = models.ForeignKey("web.ProtocolVersion", null=True, on_delete=models.PROTECT,
                                         related_name="+")

    class Meta:
        ordering = ["opened_at", "id"]
        verbose_name_plural = "queries"


class SourceVerification(models.Model):
    """The monitor's verification of a record (``field`` empty) or one field against source.

    ``data_hash`` is the SHA-256 of what was verified; a correction that changes it drops the
    verification (``dropped_at``)."""

    subject = models.ForeignKey("web.Subject", on_delete=models.PROTECT, related_name="+")
    form = models.CharField(max_length=32)
    record_id = models.PositiveBigIntegerField()
    field = models.CharField(max_length=64, blank=True)
    data_hash = models.CharField(max_length=64)
    verified_by = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="+")
    verified_at = models.DateTimeField()
    dropped_at = models.DateTimeField(null=True, blank=True)
    protocol_version = models.ForeignKey("web.ProtocolVersion", null=True, on_delete=models.PROTECT,
                                         related_name="+")

    class Meta:
        ordering = ["verified_at", "id"]


class Signature(models.Model):
    """An investigator's signature of a visit or a whole casebook (21 CFR 11.50, 11.70, 11.200).

    ``data_hash`` is the SHA-256 of the canonical snapshot of everything signed; the signature is
    valid only while the same snapshot still hashes to it."""

    subject = models.ForeignKey("web.Subject", on_delete=models.PROTECT, related_name="+")
    scope = models.CharField(max_length=16)  # visit, casebook
    visit = models.CharField(max_length=32, blank=True)
    meaning = models.CharField(max_length=200)
    printed_name = models.CharField(max_length=200)
    signed_by = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="+")
    signed_at = models.DateTimeField()
    data_hash = models.CharField(max_length=64)
    protocol_version = models.ForeignKey("web.ProtocolVersion", on_delete=models.PROTECT, related_name="+")

    class Meta:
        ordering = ["signed_at", "id"]


class Lock(models.Model):
    """A lock on one form record, a visit, a subject or the whole study (database lock)."""

    study = models.ForeignKey("web.Study", on_delete=models.PROTECT, related_name="+")
    level = models.CharField(max_length=8)  # form, visit, subject, study
    subject = models.ForeignKey("web.Subject", null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    form = models.CharField(max_length=32, blank=True)
    record_id = models.PositiveBigIntegerField(null=True, blank=True)
    visit = models.CharField(max_length=32, blank=True)
    locked_by = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="+")
    locked_at = models.DateTimeField()
    unlocked_by = models.ForeignKey(USER, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    unlocked_at = models.DateTimeField(null=True, blank=True)
    unlock_reason = models.TextField(blank=True)
    protocol_version = models.ForeignKey("web.ProtocolVersion", null=True, on_delete=models.PROTECT,
                                         related_name="+")

    class Meta:
        ordering = ["locked_at", "id"]
