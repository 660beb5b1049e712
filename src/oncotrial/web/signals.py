"""Logins, logouts and failed logins go into the audit trail (21 CFR 11.10(d), 11.300(d))."""

from __future__ import annotations

from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.dispatch import receiver

from oncotrial.web.services.audit import record_audit


def _how(request) -> str:
    return "api" if request is not None and request.path.startswith("/api/") else "page"


def _addr(request) -> str:
    from oncotrial.web.middleware import client_address

    return client_address(request) if request is not None else ""


@receiver(user_logged_in)
def audit_login(sender, request, user, **kwargs):
    record_audit(user=user, action="login", how=_how(request), remote_addr=_addr(request))


@receiver(user_logged_out)
def audit_logout(sender, request, user, **kwargs):
    if user is not None:
        record_audit(user=user, action="logout", how=_how(request), remote_addr=_addr(request))


@receiver(user_login_failed)
def audit_failed_login(sender, credentials, request=None, **kwargs):
    record_audit(action="login_failed", how=_how(request), username=str(credentials.get("username", ""))[:150],
                 remote_addr=_addr(request))
