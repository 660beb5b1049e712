"""Settings that come from ``ONCOTRIAL_*`` environment variables, kept free of Django so the CLI and
tests can read them without configuring Django."""

from __future__ import annotations

import contextlib
import os
import secrets
from pathlib import Path
from urllib.parse import unquote, urlsplit

from oncotrial.errors import InvalidInput


def oncotrial_home() -> Path:
    """The folder for the default SQLite database and the secret key (``ONCOTRIAL_HOME``)."""
    return Path(os.environ.get("ONCOTRIAL_HOME") or "~/.oncotrial").expanduser()


def database_url() -> str:
    """``ONCOTRIAL_DATABASE_URL``, or a SQLite file under ``ONCOTRIAL_HOME``."""
    return os.environ.get("ONCOTRIAL_DATABASE_URL") or f"sqlite:///{oncotrial_home() / 'oncotrial.sqlite3'}"


def parse_database_url(url: str) -> dict:
    """Django's ``DATABASES['default']`` from ``sqlite:///path`` or ``postgresql://user:pw@host:port/db``.

    SQLite connections run in WAL mode with immediate transactions, so the first statement of every
    transaction takes the write lock and two writers never race on stale reads (randomization,
    the audit chain).
    """
    parts = urlsplit(url)
    if parts.scheme == "sqlite":
        path = unquote(parts.path)[1:] if parts.path.startswith("//") else unquote(parts.path)
        return {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": path or ":memory:",
            "OPTIONS": {
                "transaction_mode": "IMMEDIATE",
                "timeout": 30,
                "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON;",
            },
        }
    if parts.scheme in ("postgres", "postgresql"):
        config = {
            "ENGINE": "django.db.backends.postgresql",
            "NAME": unquote(parts.path.lstrip("/")) or "oncotrial",
            "USER": unquote(parts.username or ""),
            "PASSWORD": unquote(parts.password or ""),
            "HOST": parts.hostname or "",
            "PORT": str(parts.port or ""),
            "CONN_MAX_AGE": 60,
        }
        test_name = os.environ.get("ONCOTRIAL_TEST_DATABASE_NAME")
        if test_name:
            config["TEST"] = {"NAME": test_name}
        return config
    raise InvalidInput(
        f"ONCOTRIAL_DATABASE_URL has scheme '{parts.scheme}'; allowed: sqlite, postgresql",
        field="ONCOTRIAL_DATABASE_URL",
        hint="e.g. sqlite:////var/lib/oncotrial/db.sqlite3 or postgresql://user@host:5432/oncotrial",
    )


def restrict_sqlite_files(name: str) -> None:
    """Create the SQLite file owner-only (0600) before SQLite opens it, in a folder only the owner
    can enter, and narrow an existing file and its -wal / -shm to 0600. SQLite gives the -wal and
    -shm files the permissions of the database file, so they follow."""
    if not name or name == ":memory:" or name.startswith("file:"):
        return
    path = Path(name)
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        with contextlib.suppress(FileExistsError):  # another process created it first
            os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
    for candidate in (path, Path(f"{path}-wal"), Path(f"{path}-shm"), Path(f"{path}-journal")):
        try:
            if candidate.exists() and candidate.stat().st_mode & 0o077:
                candidate.chmod(0o600)
        except OSError:  # not ours to change (another user's file): leave it to the operator
            pass


def is_postgresql(url: str | None = None) -> bool:
    return urlsplit(url or database_url()).scheme in ("postgres", "postgresql")


def load_or_create_secret_key(home: Path) -> str:
    """``ONCOTRIAL_SECRET_KEY``, else the key stored in ``home/secret_key`` (created on first run)."""
    key = os.environ.get("ONCOTRIAL_SECRET_KEY")
    if key:
        return key
    path = home / "secret_key"
    if path.exists():
        return path.read_text().strip()
    home.mkdir(parents=True, exist_ok=True)
    key = secrets.token_urlsafe(50)
    try:
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:  # another process created it first
        return path.read_text().strip()
    with os.fdopen(descriptor, "w") as handle:
        handle.write(key)
    return key


def env_flag(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in ("1", "true", "yes", "on")


def env_list(name: str, default: str) -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]
