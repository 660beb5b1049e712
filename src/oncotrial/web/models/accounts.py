"""Sites, roles and who holds which role where."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class Role(models.TextChoices):
    INVESTIGATOR = "investigator", _("Investigator")
    COORDINATOR = "coordinator", _("Coordinator")
    MONITOR = "monitor", _("Monitor")
    DATA_MANAGER = "data_manager", _("Data manager")
    STATISTICIAN = "statistician", _("Statistician")
    UNBLINDED_STATISTICIAN = "unblinded_statistician", _("Unblinded statistician")
    SPONSOR_VIEWER = "sponsor_viewer", _("Sponsor viewer")
    DSMB = "dsmb", _("DSMB member")
    ADMINISTRATOR = "administrator", _("Administrator")


class Site(models.Model):
    """A hospital or clinic; its ``code`` prefixes the identifiers of the subjects it enrols."""

    code = models.CharField(max_length=8, unique=True)
    name = models.CharField(max_length=200)
    city = models.CharField(max_length=100, blank=True)
    region = models.CharField(max_length=100, blank=True)
    country = models.CharField(max_length=100, blank=True)
    timezone = models.CharField(max_length=64, default="UTC")

    class Meta:
        ordering = ["code"]

    def __str__(self) -> str:
        return f"{self.code} {self.name}"


class Membership(models.Model):
    """A role held by a user in one study, at one site (``site`` empty: every site of the study).

    An administrator membership with no study covers every study. Revoking sets ``active`` false so
    the history of who could do what stays readable.
    """

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="memberships")
    study = models.ForeignKey("web.Study", null=True, blank=True, on_delete=models.PROTECT,
                              related_name="memberships")
    site = models.ForeignKey(Site, null=True, blank=True, on_delete=models.PROTECT, related_name="memberships")
    role = models.CharField(max_length=32, choices=Role.choices)
    active = models.BooleanField(default=True)
    granted_at = models.DateTimeField()

    class Meta:
        ordering = ["user_id", "study_id", "site_id", "role"]
        constraints = [
            models.UniqueConstraint(fields=["user", "study", "site", "role"], name="membership_unique_role"),
        ]

    def __str__(self) -> str:
        where = self.site.code if self.site_id else "all sites"
        return f"{self.user} {self.role} @ {self.study or 'all studies'} / {where}"
