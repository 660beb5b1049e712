"""What actually happened to a subject on study, as the calendar engine reads it."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class EventKind(models.TextChoices):
    REGIMEN_CHOICE = "regimen_choice", _("Regimen chosen")
    PROCEDURE = "procedure", _("Procedure")
    DOSE = "dose", _("Dose given (cycle day 1)")
    HOLD = "hold", _("Dose held / delayed")
    REDUCTION = "reduction", _("Dose reduced")
    STOP = "stop", _("Drug stopped")
    ASSESSMENT = "assessment", _("Tumour assessment done")
    SURVIVAL_CONTACT = "survival_contact", _("Survival contact")
    PROGRESSION = "progression", _("Progression")
    OFF_TREATMENT = "off_treatment", _("Off treatment")
    OFF_STUDY = "off_study", _("Off study")
    DEATH = "death", _("Death")


class SubjectEvent(models.Model):
    """One dated event. ``item`` is the clock, regimen, intervention or procedure kind the event
    concerns; ``value`` the chosen regimen (regimen_choice) and ``percent`` a dose reduction.

    eCRF modules (doses, procedures, tumour assessments) record these through
    ``services.events.record_subject_event`` so calendars follow what was entered.
    """

    subject = models.ForeignKey("web.Subject", on_delete=models.PROTECT, related_name="events")
    kind = models.CharField(max_length=24, choices=EventKind.choices)
    occurred_on = models.DateField()
    end_on = models.DateField(null=True, blank=True)
    item = models.CharField(max_length=64, blank=True)
    drug = models.CharField(max_length=64, blank=True)
    value = models.CharField(max_length=64, blank=True)
    percent = models.FloatField(null=True, blank=True)
    reason = models.CharField(max_length=200, blank=True)
    source = models.CharField(max_length=64, blank=True, help_text="the eCRF record behind it, if any")
    protocol_version = models.ForeignKey("web.ProtocolVersion", on_delete=models.PROTECT, related_name="+")
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    recorded_at = models.DateTimeField()

    class Meta:
        ordering = ["subject_id", "occurred_on", "id"]
        indexes = [models.Index(fields=["subject", "kind"], name="subjectevent_kind")]

    @property
    def label(self) -> str:
        parts = [self.item, self.drug, self.value, f"{self.percent:g}%" if self.percent is not None else ""]
        return " ".join(p for p in parts if p)
