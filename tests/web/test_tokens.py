"""API tokens: attributable to one user, acting with that user's roles, revocable, expiring."""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client
from django.utils import timezone

from oncotrial.cli import main
from oncotrial.errors import PermissionDenied
from oncotrial.web.models import ApiToken, AuditEvent, Subject
from oncotrial.web.services.tokens import create_api_token, revoke_api_token

pytestmark = pytest.mark.django_db


def bearer(text: str) -> dict:
    return {"HTTP_AUTHORIZATION": f"Bearer {text}"}


def test_a_token_acts_as_its_user_without_a_session_or_csrf(cast):
    _token, text = create_api_token(cast.coordinator_a, cast.coordinator_a, name="site script")
    client = Client(enforce_csrf_checks=True)
    reply = client.post(f"/api/studies/{cast.study.code}/subjects", {"site": "01", "screened_on": "2025-03-03"},
                        content_type="application/json", **bearer(text))
    assert reply.status_code == 200, reply.json()
    assert AuditEvent.objects.filter(entity="subject", username="coa", how="api").exists()
    assert client.get(f"/api/studies/{cast.study.code}/allocations", **bearer(text)).status_code == 403


def test_a_revoked_expired_or_unknown_token_is_refused(cast):
    client = Client()
    token, text = create_api_token(cast.monitor, cast.monitor, name="monitoring")
    url = f"/api/studies/{cast.study.code}/subjects"
    assert token.last_used_at is None
    before = timezone.now()
    assert client.get(url, **bearer(text)).status_code == 200
    assert ApiToken.objects.get(pk=token.pk).last_used_at >= before
    ApiToken.objects.filter(pk=token.pk).update(expires_at=timezone.now() - dt.timedelta(seconds=1))
    assert client.get(url, **bearer(text)).status_code == 401
    _other, second = create_api_token(cast.monitor, cast.monitor, name="second")
    revoke_api_token(cast.monitor, second[:8], reason="laptop lost")
    reply = client.get(url, **bearer(second))
    assert reply.status_code == 401 and reply.json()["ok"] is False
    assert client.get(url, **bearer("onc_not-a-token")).status_code == 401
    assert not Subject.objects.exists()


def test_only_the_user_or_an_administrator_creates_tokens_for_them(cast):
    with pytest.raises(PermissionDenied):
        create_api_token(cast.monitor, cast.coordinator_a, name="x")
    create_api_token(cast.admin, cast.coordinator_a, name="set up by admin")


def test_the_token_verbs_print_the_token_once_and_audit(cast, capsys):
    assert main(["token", "create", "mon", "--name", "nightly export", "--days", "30"]) == 0
    text = capsys.readouterr().out.strip().splitlines()[-1]
    assert text.startswith("onc_") and not ApiToken.objects.filter(digest=text).exists()
    assert main(["token", "revoke", text[:8], "--reason", "rotated"]) == 0
    assert list(AuditEvent.objects.filter(how="cli").values_list("action", flat=True))[-2:] == [
        "token_create", "token_revoke"]

