"""Settings from ONCOTRIAL_* variables and the security defaults."""

from __future__ import annotations

import os

import pytest
from django.conf import settings

from oncotrial.errors import InvalidInput
from oncotrial.web.config import load_or_create_secret_key, parse_database_url


def test_it_hashes_passwords_with_argon2_first():
    from oncotrial.web import settings as production

    assert production.PASSWORD_HASHERS[0].endswith("Argon2PasswordHasher")


def test_it_defaults_to_debug_off_and_secure_headers():
    from oncotrial.web import settings as production

    if "ONCOTRIAL_DEBUG" not in os.environ:
        assert production.DEBUG is False
    assert production.X_FRAME_OPTIONS == "DENY"
    assert production.SECURE_CONTENT_TYPE_NOSNIFF
    assert production.SESSION_SAVE_EVERY_REQUEST and production.SESSION_COOKIE_AGE <= 3600
    assert "axes.middleware.AxesMiddleware" in production.MIDDLEWARE
    assert "django.middleware.csrf.CsrfViewMiddleware" in settings.MIDDLEWARE


def test_it_reads_a_sqlite_url_in_wal_mode_with_immediate_transactions():
    config = parse_database_url("sqlite:////var/lib/oncotrial/db.sqlite3")
    assert config["NAME"] == "/var/lib/oncotrial/db.sqlite3"
    assert config["OPTIONS"]["transaction_mode"] == "IMMEDIATE"
    assert "journal_mode=WAL" in config["OPTIONS"]["init_command"]


def test_it_reads_a_postgresql_url():
    config = parse_database_url("postgresql://root:s%40cret@127.0.0.1:5432/test")
    assert (config["USER"], config["PASSWORD"], config["HOST"], config["PORT"], config["NAME"]) == (
        "root", "s@cret", "127.0.0.1", "5432", "test")


def test_it_names_the_variable_for_an_unknown_scheme():
    with pytest.raises(InvalidInput) as raised:
        parse_database_url("mysql://x@y/z")
    assert raised.value.field == "ONCOTRIAL_DATABASE_URL"


def test_it_generates_the_secret_key_once_and_keeps_it(tmp_path, monkeypatch):
    monkeypatch.delenv("ONCOTRIAL_SECRET_KEY", raising=False)
    first = load_or_create_secret_key(tmp_path / "home")
    assert len(first) >= 50
    assert load_or_create_secret_key(tmp_path / "home") == first
    assert oct((tmp_path / "home" / "secret_key").stat().st_mode & 0o777) == "0o600"


def test_sqlite_connections_run_in_wal_mode(tmp_path, django_db_blocker):
    from django.db.backends.sqlite3.base import DatabaseWrapper

    config = parse_database_url(f"sqlite:///{tmp_path / 'wal.sqlite3'}")
    wrapper = DatabaseWrapper({**config, "AUTOCOMMIT": True, "ATOMIC_REQUESTS": False, "CONN_MAX_AGE": 0,
                               "CONN_HEALTH_CHECKS": False, "TIME_ZONE": None, "USER": "", "PASSWORD": "",
                               "HOST": "", "PORT": "", "TEST": {}}, alias="wal-check")
    try:
        with django_db_blocker.unblock(), wrapper.cursor() as cursor:
            cursor.execute("PRAGMA journal_mode")
            assert cursor.fetchone()[0] == "wal"
    finally:
        wrapper.close()
