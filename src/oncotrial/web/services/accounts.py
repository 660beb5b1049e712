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
