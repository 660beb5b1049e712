"""Issue 13, security gaps: each test is one defect found by probing the demo server."""

from __future__ import annotations

import csv
import io
import os
import subprocess
import sys

import pytest
from django.test import Client
from tests.web.ecrf.conftest import make_subject

from oncotrial.errors import PermissionDenied
from oncotrial.web.models import AuditEvent, Subject

from .conftest import PASSWORD

FORMULAS = ("=HYPERLINK(\"http://evil\",\"x\")", "+1+1", "-2+3", "@SUM(A1)", "\tcmd", "\rcmd")


def cells(text: str) -> list[str]:
    return [cell for row in csv.reader(io.StringIO(text)) for cell in row]


@pytest.mark.parametrize("reason", FORMULAS)
def test_the_audit_csv_writes_no_live_formula(cast, reason):
    from oncotrial.web.services.audit_export import export_audit_csv
    from oncotrial.web.services.subjects import correct_subject

    subject = make_subject(cast)
    correct_subject(cast.coordinator_a, subject, reason=reason, initials="CD")
    written = cells(export_audit_csv(cast.monitor, cast.study))
    assert "'" + reason in written
    assert not [cell for cell in written if cell.startswith(("=", "+", "-", "@", "\t", "\r"))]


def test_the_access_review_csv_writes_no_live_formula(cast):
    from oncotrial.web.services.accounts import create_user, export_access_review

    create_user(cast.admin, username="eve", password=PASSWORD, full_name="=cmd|' /C calc'!A0")
    written = cells(export_access_review(cast.admin))
    assert "'=cmd|' /C calc'!A0" in written
    assert not [cell for cell in written if cell.startswith(("=", "+", "-", "@", "\t", "\r"))]


def test_an_api_write_without_credentials_is_401_in_the_one_shape(cast):
    anonymous = Client(enforce_csrf_checks=True)
    reply = anonymous.post(f"/api/studies/{cast.study.code}/subjects", {"site": "01", "screened_on": "2025-02-03"},
                           content_type="application/json")
    assert reply.status_code == 401, reply.content
    assert reply.json() == {"ok": False, "error": reply.json()["error"], "errors": [], "status": 401}
    assert not Subject.objects.exists()


def test_the_signature_password_locks_after_repeated_failures(cast, settings):
    from oncotrial.web.ecrf.services import signatures

    subject = make_subject(cast)
    for _ in range(settings.AXES_FAILURE_LIMIT):
        with pytest.raises(PermissionDenied):
            signatures.sign(cast.investigator_a, subject, scope="casebook", password="wrong")
    with pytest.raises(PermissionDenied) as caught:
        signatures.sign(cast.investigator_a, subject, scope="casebook", password=PASSWORD)
    assert caught.value.status == 429 and "locked" in caught.value.message
    assert AuditEvent.objects.filter(action="signature_locked", username="ina").count() == 1
    assert not subject.signatures.exists() if hasattr(subject, "signatures") else True


def test_the_signature_lock_is_429_through_the_api(cast, settings):
    subject = make_subject(cast)
    client = Client()
    client.force_login(cast.investigator_a)
    url = f"/api/studies/{cast.study.code}/subjects/{subject.identifier}/ecrf/signatures"
    for _ in range(settings.AXES_FAILURE_LIMIT):
        assert client.post(url, {"password": "wrong"}, content_type="application/json").status_code == 403
    reply = client.post(url, {"password": PASSWORD}, content_type="application/json")
    assert reply.status_code == 429 and reply.json()["status"] == 429


def login(client, username, password, remote="10.0.0.5", forwarded=""):
    extra = {"REMOTE_ADDR": remote}
    if forwarded:
        extra["HTTP_X_FORWARDED_FOR"] = forwarded
    return client.post("/accounts/login/", {"username": username, "password": password}, **extra)


def test_a_lockout_behind_a_proxy_locks_one_user_at_one_address_not_everyone(client, cast, settings):
    settings.ONCOTRIAL_TRUSTED_PROXIES = ("10.0.0.5",)
    for _ in range(settings.AXES_FAILURE_LIMIT):
        login(Client(), "coa", "wrong", forwarded="203.0.113.9")
    assert login(Client(), "coa", PASSWORD, forwarded="203.0.113.9").status_code == 429
    # the same proxy, another client: not locked out, nor is another user at the attacker's address
    assert login(Client(), "coa", PASSWORD, forwarded="198.51.100.7").status_code == 302
    assert login(Client(), "ina", PASSWORD, forwarded="203.0.113.9").status_code == 302
    failed = AuditEvent.objects.filter(action="login_failed", username="coa").first()
    assert failed.remote_addr == "203.0.113.9"


def test_a_forwarded_address_from_an_untrusted_peer_is_ignored(client, cast, settings):
    settings.ONCOTRIAL_TRUSTED_PROXIES = ()
    for index in range(settings.AXES_FAILURE_LIMIT):
        login(Client(), "coa", "wrong", remote="192.0.2.1", forwarded=f"198.51.100.{index}")
    assert login(Client(), "coa", PASSWORD, remote="192.0.2.1", forwarded="198.51.100.200").status_code == 429


def test_the_sqlite_database_and_its_wal_and_shm_are_owner_only(tmp_path):
    script = (
        "import os, django\n"
        "os.environ['DJANGO_SETTINGS_MODULE'] = 'oncotrial.web.settings'\n"
        "django.setup()\n"
        "from django.db import connection\n"
        "with connection.cursor() as c:\n"
        "    c.execute('CREATE TABLE t (x)'); c.execute('INSERT INTO t VALUES (1)')\n"
        "    home = os.environ['ONCOTRIAL_HOME']\n"
        "    for name in ('oncotrial.sqlite3', 'oncotrial.sqlite3-wal', 'oncotrial.sqlite3-shm'):\n"
        "        print(name, oct(os.stat(os.path.join(home, name)).st_mode & 0o777))\n"
    )
    env = {**os.environ, "ONCOTRIAL_HOME": str(tmp_path / "home"), "ONCOTRIAL_SECRET_KEY": "x" * 50}
    env.pop("ONCOTRIAL_DATABASE_URL", None)
    done = subprocess.run([sys.executable, "-c", script], env=env, capture_output=True, text=True, timeout=120,
                          cwd=str(tmp_path))
    assert done.returncode == 0, done.stderr
    modes = dict(line.split() for line in done.stdout.splitlines())
    assert modes == {"oncotrial.sqlite3": "0o600", "oncotrial.sqlite3-wal": "0o600",
                     "oncotrial.sqlite3-shm": "0o600"}, modes
