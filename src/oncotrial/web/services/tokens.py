"""Create, check and revoke API tokens (bearer authentication for scripts)."""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets

from django.db import transaction
from django.utils import timezone

from oncotrial.errors import InvalidInput, NotFound, PermissionDenied
from oncotrial.web.models import ApiToken
from oncotrial.web.services.audit import record_audit
from oncotrial.web.services.permissions import is_administrator

TOKEN_PREFIX = "onc_"


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


@transaction.atomic
def create_api_token(actor, user, *, name: str, days: int | None = 90, how: str = "page") -> tuple[ApiToken, str]:
    """A new token for ``user`` (an administrator, the user themself, or the command line); returns the
    stored row and the token text, which is not kept anywhere."""
    if not (actor is None and how in ("cli", "system")) and actor != user and not is_administrator(actor):
        raise PermissionDenied("only the user themself or an administrator may create a token for them")
    if not name.strip():
        raise InvalidInput("a token needs a name saying what uses it", field="name")
    if days is not None and not 1 <= days <= 366:
        raise InvalidInput(f"token lifetime {days} days is not between 1 and 366", field="days")
    text = TOKEN_PREFIX + secrets.token_urlsafe(32)
    now = timezone.now()
    token = ApiToken.objects.create(user=user, name=name.strip(), prefix=text[:8], digest=_digest(text),
                                    created_at=now, expires_at=now + dt.timedelta(days=days) if days else None)
    record_audit(user=actor, role="system" if actor is None else "", action="token_create", how=how,
                 entity="api_token", entity_id=token.pk, username="" if actor else "system",
                 changes=[{"field": "token", "old": None, "new": f"{user.username}:{token.name} ({token.prefix}…)"}])
    return token, text


def authenticate_api_token(text: str):
    """The active user a token belongs to, or None (unknown, revoked, expired or inactive)."""
    if not text or not text.startswith(TOKEN_PREFIX):
        return None
    token = ApiToken.objects.select_related("user").filter(digest=_digest(text), revoked_at__isnull=True).first()
    now = timezone.now()
    if token is None or (token.expires_at and token.expires_at <= now) or not token.user.is_active:
        return None
    if token.last_used_at is None or now - token.last_used_at > dt.timedelta(minutes=5):
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
    return token.user


@transaction.atomic
def revoke_api_token(actor, prefix: str, *, reason: str, how: str = "page") -> ApiToken:
    token = ApiToken.objects.select_related("user").filter(prefix=prefix, revoked_at__isnull=True).first()
    if token is None:
        raise NotFound(f"no active token starts with '{prefix}'", field="prefix")
    if not (actor is None and how in ("cli", "system")) and actor != token.user and not is_administrator(actor):
        raise PermissionDenied("only the token's user or an administrator may revoke it")
    if not reason.strip():
        raise InvalidInput("a reason is required to revoke a token", field="reason")
    token.revoked_at = timezone.now()
    token.save(update_fields=["revoked_at"])
    record_audit(user=actor, action="token_revoke", how=how, entity="api_token", entity_id=token.pk,
                 reason=reason, username="" if actor else "system",
                 changes=[{"field": "revoked_at", "old": None, "new": token.revoked_at}])
    return token
