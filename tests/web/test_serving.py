"""Production serving (issue 14): nothing shared in process memory, health and readiness probes,
`oncotrial serve --workers N` under gunicorn, SQLite writers of one process taking turns."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
import urllib.request

import pytest
from django.apps import apps
from django.conf import settings
from django.db import OperationalError, connection
from django.test.utils import CaptureQueriesContext

from oncotrial.web.views import health


def test_it_keeps_every_shared_state_in_the_database():
    assert settings.SESSION_ENGINE == "django.contrib.sessions.backends.db"
    assert settings.AXES_HANDLER == "axes.handlers.database.AxesDatabaseHandler"  # lockouts, failures
    assert {name: cache["BACKEND"] for name, cache in settings.CACHES.items()} == {
        "default": "django.core.cache.backends.db.DatabaseCache"}
    assert "whitenoise.middleware.WhiteNoiseMiddleware" in settings.MIDDLEWARE
    # Locks, allocation state, API tokens and the audit chain head are tables, not module globals.
    for label in ("ecrf.Lock", "web.AllocationState", "web.ApiToken", "web.AuditChainHead", "axes.AccessAttempt"):
        assert apps.get_model(label)._meta.db_table


def test_it_runs_sqlite_through_the_turn_taking_backend():
    if connection.vendor != "sqlite":
        pytest.skip("the SQLite backend only")
    assert settings.DATABASES["default"]["ENGINE"] == "oncotrial.web.sqlite_backend"
    assert settings.DATABASES["default"]["OPTIONS"]["transaction_mode"] == "IMMEDIATE"


@pytest.mark.django_db
def test_it_answers_healthz_without_touching_the_database(client):
    with CaptureQueriesContext(connection) as queries:
        response = client.get("/healthz")
    assert response.status_code == 200 and response.json() == {"ok": True}
    assert len(queries) == 0
    assert "no-store" in response["Cache-Control"]


@pytest.mark.django_db
def test_it_answers_readyz_when_the_database_is_migrated(client):
    response = client.get("/readyz")
    assert response.status_code == 200 and response.json() == {"ok": True}


@pytest.mark.django_db
def test_it_answers_503_while_a_migration_is_pending(client, monkeypatch):
    monkeypatch.setattr(health, "shipped_migrations", lambda: frozenset({("web", "9999_not_applied")}))
    response = client.get("/readyz")
    assert response.status_code == 503
    assert response.json() == {"ok": False, "error": "migrations pending", "status": 503}


@pytest.mark.django_db
def test_it_answers_503_when_the_database_does_not_answer(client, monkeypatch):
    def refuse(*args, **kwargs):
        raise OperationalError("connection refused")

    monkeypatch.setattr(connection, "cursor", refuse)
    response = client.get("/readyz")
    assert response.status_code == 503 and response.json()["error"] == "database unavailable"


def test_sqlite_writers_of_one_process_take_turns_on_a_lock(tmp_path):
    """Four threads each write 25 rows in their own transactions on one SQLite file: every row is
    stored, no thread met "database is locked", and the lock is free once all have committed."""
    script = f"""
import os, threading, time
os.environ["ONCOTRIAL_HOME"] = {str(tmp_path)!r}
os.environ["DJANGO_SETTINGS_MODULE"] = "oncotrial.web.settings"
import django; django.setup()
from django.db import connection, transaction
with connection.cursor() as c:
    c.execute("CREATE TABLE t (n INTEGER)")
def work(k):
    for i in range(25):
        with transaction.atomic(), connection.cursor() as c:
            c.execute("INSERT INTO t VALUES (%s)", [k * 100 + i])
            time.sleep(0.002)
    connection.close()
threads = [threading.Thread(target=work, args=(k,)) for k in range(4)]
[t.start() for t in threads]; [t.join() for t in threads]
with connection.cursor() as c:
    c.execute("SELECT count(*) FROM t"); count = c.fetchone()[0]
from oncotrial.web.sqlite_backend.base import WRITER
print(count, WRITER.locked())
"""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("ONCOTRIAL_", "DJANGO_"))}
    done = subprocess.run([sys.executable, "-c", script], env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.split() == ["100", "False"]


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.mark.slow
def test_serve_workers_runs_gunicorn_workers_that_answer_the_probes(tmp_path):
    port = _free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("ONCOTRIAL_", "DJANGO_"))}
    env["ONCOTRIAL_HOME"] = str(tmp_path)
    server = subprocess.Popen([sys.executable, "-m", "oncotrial", "serve", "--port", str(port), "--workers", "2",
                               "--threads", "2"], env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                              text=True)
    try:
        ready = _wait_ready(f"http://127.0.0.1:{port}/readyz", server, 120)
        assert ready == {"ok": True}
        pids = {_answer(f"http://127.0.0.1:{port}/healthz") for _ in range(20)}
        assert pids == {200}
    finally:
        server.terminate()
        output = server.communicate(timeout=60)[0]
    assert "2 gunicorn workers" in output and server.returncode == 0, output


def _answer(url: str) -> int:
    with urllib.request.urlopen(url, timeout=10) as reply:
        return reply.status


def _wait_ready(url: str, server, seconds: int) -> dict:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise AssertionError(f"serve exited early:\n{server.communicate()[0]}")
        try:
            with urllib.request.urlopen(url, timeout=5) as reply:
                return json.loads(reply.read())
        except OSError:
            time.sleep(0.3)
    raise AssertionError(f"{url} did not answer within {seconds} s")


