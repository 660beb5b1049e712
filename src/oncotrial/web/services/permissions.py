"""Who may do what, where: one place that every service and view asks.

A role is held in a study (or, for an administrator, in every study) and at one site or at every
site of the study. ``require_role`` returns the membership that allows the action, so the audit row
can name the role the user acted in.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.db.models import Q

from oncotrial.errors import NotFound, PermissionDenied
from oncotrial.web.models import Membership, Role, Site

ALL_ROLES = frozenset(Role.values)
SITE_STAFF = frozenset({Role.INVESTIGATOR, Role.COORDINATOR})
# a DSMB member reads aggregate results (web.analysis), never casebooks (ICH E6(R3) 3.3)
SUBJECT_READERS = ALL_ROLES - {Role.SPONSOR_VIEWER, Role.DSMB}
ALLOCATION_VIEWERS = frozenset({Role.UNBLINDED_STATISTICIAN, Role.ADMINISTRATOR})
ARM_VIEWERS_WHEN_MASKED = ALLOCATION_VIEWERS
AUDIT_READERS = frozenset({Role.MONITOR, Role.DATA_MANAGER, Role.ADMINISTRATOR, Role.INVESTIGATOR})
STUDY_MANAGERS = frozenset({Role.ADMINISTRATOR})


def memberships(user, study=None):
    """Active memberships of ``user`` that apply to ``study`` (all studies when ``study`` is None)."""
    if user is None or not getattr(user, "is_authenticated", False) or not user.is_active:
        return Membership.objects.none()
    found = Membership.objects.filter(user=user, active=True).select_related("site", "study")
    if study is not None:
        found = found.filter(Q(study=study) | Q(study__isnull=True, role=Role.ADMINISTRATOR))
    return found


def find_role(user, study, site=None, roles: Iterable[str] = ALL_ROLES) -> Membership | None:
    """The membership allowing one of ``roles`` in ``study`` at ``site`` (any site when None)."""
    found = memberships(user, study).filter(role__in=list(roles))
    if site is not None:
        found = found.filter(Q(site=site) | Q(site__isnull=True))
    return found.order_by("site_id").first()


def require_role(user, study, site=None, roles: Iterable[str] = ALL_ROLES, action: str = "do this"):
    """Return the membership that lets ``user`` act in one of ``roles``; raise PermissionDenied if none.

    >>> require_role(coordinator_a, study, site_a, SITE_STAFF, "record consent")  # doctest: +SKIP
    """
    roles = frozenset(roles)
    membership = find_role(user, study, site, roles)
    if membership is None:
        where = f"site {site.code}" if site is not None else f"study {study.code}"
        allowed = ", ".join(sorted(str(role) for role in roles))
        raise PermissionDenied(
            f"{getattr(user, 'username', 'anonymous')} may not {action} at {where}; allowed roles: {allowed}",
            hint="ask the study administrator for a role at this site",
        )
    return membership


def require_study_access(user, study):
    """Any role in the study; a study the user has no role in is reported as not found."""
    membership = find_role(user, study)
    if membership is None:
        raise NotFound(f"study '{study.code}' does not exist or is not visible to you")
    return membership


def visible_sites(user, study, roles: Iterable[str] = SUBJECT_READERS):
    """Sites of ``study`` whose subjects ``user`` may see."""
    found = memberships(user, study).filter(role__in=list(roles))
    if found.filter(site__isnull=True).exists():
        return Site.objects.filter(study_sites__study=study)
    return Site.objects.filter(pk__in=found.values("site_id"), study_sites__study=study)


def can_see_allocations(user, study) -> bool:
    """Only the unblinded statistician and the administrator see upcoming allocations."""
    return find_role(user, study, None, ALLOCATION_VIEWERS) is not None


def can_see_arm(user, study, site=None, masked: bool = False) -> bool:
    """Whether ``user`` sees allocated arms: every role in an open-label study (the sponsor viewer
    sees arm counts only, having no subject access), only the unblinded roles when it is masked."""
    roles = ARM_VIEWERS_WHEN_MASKED if masked else ALL_ROLES
    return find_role(user, study, site, roles) is not None


def is_administrator(user) -> bool:
    return memberships(user).filter(role=Role.ADMINISTRATOR, study__isnull=True).exists()
