"""Login, failed login, lockout, two-factor codes and logout: each lands in the audit trail."""

from __future__ import annotations

import pytest
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from oncotrial.web.models import AuditEvent

from .conftest import PASSWORD

pytestmark = pytest.mark.django_db


def test_it_logs_in_and_audits_it(client, cast):
    response = client.post("/accounts/login/", {"username": "coa", "password": PASSWORD})
    assert response.status_code == 302
    assert AuditEvent.objects.filter(action="login", username="coa", how="page").exists()


def test_it_audits_a_failed_login_with_the_name_tried(client, cast):
    response = client.post("/accounts/login/", {"username": "coa", "password": "wrong"})
    assert response.status_code == 400
    assert b"not correct" in response.content
    assert AuditEvent.objects.filter(action="login_failed", username="coa").exists()


def test_it_locks_the_account_after_repeated_failures(client, cast, settings):
    for _ in range(settings.AXES_FAILURE_LIMIT):
        client.post("/accounts/login/", {"username": "coa", "password": "wrong"})
    response = client.post("/accounts/login/", {"username": "coa", "password": PASSWORD})
    assert response.status_code == 429
    assert "_auth_user_id" not in client.session


def test_it_asks_for_the_authenticator_code_once_a_device_is_set_up(client, cast):
    device = TOTPDevice.objects.create(user=cast.coordinator_a, name="phone", confirmed=True)
    response = client.post("/accounts/login/", {"username": "coa", "password": PASSWORD})
    assert response.status_code == 400 and b"authenticator code" in response.content
    code = f"{totp(device.bin_key, device.step, device.t0, device.digits, device.drift):06d}"
    response = client.post("/accounts/login/", {"username": "coa", "password": PASSWORD, "otp_token": code})
    assert response.status_code == 302


def test_it_needs_a_post_with_csrf_token_to_log_out(cast):
    from django.test import Client

    strict = Client(enforce_csrf_checks=True)
    strict.force_login(cast.coordinator_a)
    assert strict.post("/accounts/logout/").status_code == 403
    assert strict.get("/accounts/logout/").status_code == 405


def test_it_redirects_anonymous_users_to_login(client, cast):
    response = client.get("/")
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_it_sends_security_headers(client, cast):
    response = client.get("/accounts/login/")
    assert "script-src 'self'" in response["Content-Security-Policy"]
    assert response["X-Frame-Options"] == "DENY"
    assert response["X-Content-Type-Options"] == "nosniff"


def test_an_idle_session_expires(client, cast):
    import datetime as dt

    from django.contrib.sessions.models import Session
    from django.utils import timezone

    client.post("/accounts/login/", {"username": "coa", "password": PASSWORD})
    assert client.get("/").status_code == 200
    Session.objects.update(expire_date=timezone.now() - dt.timedelta(seconds=1))
    response = client.get("/")
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]
