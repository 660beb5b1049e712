"""Users and roles: creating accounts, granting and revoking roles, all in the audit trail."""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from oncotrial.errors import Conflict, InvalidInput, PermissionDenied
from oncotrial.web.models import Membership, Role
from oncotrial.web.services.audit import record_audit
from oncotrial.web.services.permissions import is_administrator

SITE_ROLES = frozenset({Role.INVESTIGATOR, Role.COORDINATOR})


def _require_administrator(actor, how: str) -> str:
    # The command line on the server is trusted (it can read the database file anyway).
    if actor is None and how in ("cli", "system"):
        return "system"
    if not is_administrator(actor):
        raise PermissionDenied("only an administrator may manage users and roles")
    return Role.ADMINISTRATOR


@transaction.atomic
def create_user(actor, *, username: str, password: str, email: str = "", full_name: str = "",
                how: str = "page", check_password: bool = True, password_hash: str = ""):
    """Create an account (password hashed with Argon2) and audit it.

    ``password_hash`` (system use: the demo gives every demo user one pre-hashed password) skips
    hashing again.
    """
    role = _require_administrator(actor, how)
    User = get_user_model()
    username = (username or "").strip()
    if not username:
        raise InvalidInput("username is required", field="username")
    if User.objects.filter(username=username).exists():
        raise Conflict(f"user '{username}' already exists", field="username")
    user = User(username=username, email=email)
    first, _, last = full_name.partition(" ")
    user.first_name, user.last_name = first, last
    if check_password:
        try:
            validate_password(password, user)
        except ValidationError as error:
            raise InvalidInput(f"password for '{username}': {' '.join(error.messages)}",
                               field="password") from None
    if password_hash and actor is None and how == "system":
        user.password = password_hash
    else:
        user.set_password(password)
    user.save()
    record_audit(user=actor, role=role, action="user_create", how=how, entity="user", entity_id=user.pk,
                 changes=[{"field": "username", "old": None, "new": username}])
    return user


@transaction.atomic
def grant_role(actor, user, *, role: str, study=None, site=None, how: str = "page") -> Membership:
    """Give ``user`` a role in ``study`` (every study for an administrator) at ``site`` or all sites."""
    actor_role = _require_administrator(actor, how)
    if role not in Role.values:
        raise InvalidInput(f"role '{role}' is unknown; allowed: {', '.join(Role.values)}", field="role")
    if role in SITE_ROLES and site is None:
        raise InvalidInput(f"the {role} role is held at one site; name the site", field="site")
    if study is None and role != Role.ADMINISTRATOR:
        raise InvalidInput(f"the {role} role is held in one study; name the study", field="study")
    if site is not None and study is not None and not study.study_sites.filter(site=site).exists():
        raise InvalidInput(f"site {site.code} does not take part in study {study.code}", field="site")
    membership, created = Membership.objects.get_or_create(
        user=user, study=study, site=site, role=role, defaults={"granted_at": timezone.now()})
    if not created and membership.active:
        raise Conflict(f"{user.username} already holds {role} there", field="role")
    membership.active = True
    membership.save(update_fields=["active"])
    record_audit(user=actor, role=actor_role, action="role_grant", how=how, entity="membership",
                 entity_id=membership.pk, study=study, site=site,
                 changes=[{"field": "role", "old": None, "new": f"{user.username}:{role}"}])
    return membership


@transaction.atomic
def revoke_role(actor, membership: Membership, *, reason: str, how: str = "page") -> Membership:
    actor_role = _require_administrator(actor, how)
    if not reason.strip():
        raise InvalidInput("a reason is required to revoke a role", field="reason")
    membership.active = False
    membership.save(update_fields=["active"])
    record_audit(user=actor, role=actor_role, action="role_revoke", how=how, entity="membership",
                 entity_id=membership.pk, study=membership.study, site=membership.site, reason=reason,
                 changes=[{"field": "active", "old": True, "new": False}])
    return membership


@transaction.atomic
def deactivate_user(actor, user, *, reason: str, how: str = "page"):
    """Close an account for good: it can no longer log in and its roles are revoked. Accounts are never
    deleted or renamed, so a user id is never reused (21 CFR 11.100(a), 11.300(a))."""
    actor_role = _require_administrator(actor, how)
    if not reason.strip():
        raise InvalidInput(f"a reason is required to deactivate {user.username}", field="reason")
    if actor is not None and actor.pk == user.pk:
        raise Conflict("administrators cannot deactivate their own account", field="user")
    revoked = list(Membership.objects.filter(user=user, active=True).values_list("pk", flat=True))
    Membership.objects.filter(pk__in=revoked).update(active=False)
    user.is_active = False
    user.save(update_fields=["is_active"])
    record_audit(user=actor, role=actor_role, action="user_deactivate", how=how, entity="user",
                 entity_id=user.pk, reason=reason,
                 changes=[{"field": "is_active", "old": True, "new": False},
                          {"field": "memberships_revoked", "old": None, "new": revoked}])
    return user


@transaction.atomic
def export_access_review(actor, *, how: str = "page") -> str:
    """CSV for the periodic access review (ICH E6(R3) 4.2.2): every account, whether it is active, its
    roles, and its last login and last failed login; the export is itself audited."""
    import io

    from oncotrial.web.models import AuditEvent
    from oncotrial.web.services.csv_cells import safe_csv_writer

    actor_role = _require_administrator(actor, how)
    out = io.StringIO()
    writer = safe_csv_writer(out)
    writer.writerow(["username", "full_name", "active", "roles", "last_login_utc", "last_failed_login_utc"])
    for user in get_user_model().objects.order_by("username"):
        roles = "; ".join(f"{m.role}@{m.study.code if m.study else '*'}/{m.site.code if m.site else '*'}"
                          for m in Membership.objects.filter(user=user, active=True).select_related("study", "site"))
        last = {action: AuditEvent.objects.filter(username=user.username, action=action)
                .order_by("-sequence").values_list("occurred_at", flat=True).first()
                for action in ("login", "login_failed")}
        writer.writerow([user.username, user.get_full_name(), user.is_active, roles,
                         last["login"].isoformat() if last["login"] else "",
                         last["login_failed"].isoformat() if last["login_failed"] else ""])
    record_audit(user=actor, role=actor_role, action="export", how=how, entity="access_review")
    return out.getvalue()
