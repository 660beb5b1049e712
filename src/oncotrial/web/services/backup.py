"""Backup and restore of the whole database, with a SHA-256 manifest (ICH E6(R3) 4.3.3(c)(d):
backups and disaster recovery, periodically tested).

An archive is a tar file holding the database copy and ``manifest.json``: format, engine, when, the
software version, and for each payload file its size and SHA-256. SQLite is copied with the online
backup API (``sqlite3.Connection.backup``), which reads committed pages from the WAL too, so a copy
made while the server runs is consistent and complete (copying the ``.sqlite3`` file alone loses
whatever is still in ``-wal``). PostgreSQL is dumped with ``pg_dump --format=custom`` and restored
with ``pg_restore --clean --if-exists --single-transaction``. A restore verifies every checksum
before it touches the database; the caller then verifies the audit chain before reporting success.

This module needs no Django: the CLI calls it before and after Django is set up.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import json
import os
import shutil
import sqlite3
import subprocess
import tarfile
import tempfile
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import unquote, urlsplit

from oncotrial import __version__
from oncotrial.errors import Conflict, InvalidInput

FORMAT = "oncotrial-backup/1"
MANIFEST = "manifest.json"
PAYLOAD = {"sqlite": "database.sqlite3", "postgresql": "database.pgdump"}


@dataclass(frozen=True)
class BackupResult:
    archive: Path
    engine: str
    payload_sha256: str
    payload_bytes: int


def compute_file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def backup_database(config: dict, archive: Path, url: str = "") -> BackupResult:
    """Write a backup of the database described by Django's `config` to `archive` (a tar file)."""
    engine = _engine(config)
    archive = Path(archive)
    with tempfile.TemporaryDirectory(prefix="oncotrial-backup-") as folder:
        payload = Path(folder) / PAYLOAD[engine]
        if engine == "sqlite":
            copy_sqlite(config["NAME"], payload)
        else:
            _run(["pg_dump", "--format=custom", "--no-owner", "--no-privileges", "--file", str(payload),
                  "--dbname", _pg_url(config, url)], "pg_dump")
        digest, size = compute_file_sha256(payload), payload.stat().st_size
        manifest = {"format": FORMAT, "engine": engine, "created_at": dt.datetime.now(dt.UTC).isoformat(),
                    "software_version": __version__,
                    "files": {payload.name: {"sha256": digest, "bytes": size}}}
        partial = archive.with_name(archive.name + ".partial")
        with tarfile.open(partial, "w") as tar:
            tar.add(payload, arcname=payload.name)
            data = json.dumps(manifest, indent=2, sort_keys=True).encode()
            info = tarfile.TarInfo(MANIFEST)
            info.size, info.mode = len(data), 0o600
            tar.addfile(info, io.BytesIO(data))
        os.chmod(partial, 0o600)
        os.replace(partial, archive)  # a crash mid-write never leaves a half archive under the name
    return BackupResult(archive, engine, digest, size)


def copy_sqlite(source: str, target: Path) -> None:
    """A consistent copy of a live SQLite database, WAL content included (the online backup API)."""
    if not Path(source).exists():
        raise InvalidInput(f"the SQLite database {source} does not exist", field="database")
    with sqlite3.connect(f"file:{source}?mode=ro", uri=True) as origin, sqlite3.connect(target) as copy:
        origin.backup(copy)
    copy.close()
    origin.close()


def read_archive(archive: Path, folder: Path) -> tuple[dict, Path]:
    """Extract `archive` into `folder`, check the manifest and every checksum; return the manifest
    and the payload path. Raises InvalidInput naming what does not match (nothing restored)."""
    archive = Path(archive)
    if not archive.is_file():
        raise InvalidInput(f"backup archive {archive} does not exist", field="file")
    try:
        with tarfile.open(archive, "r") as tar:
            names = tar.getnames()
            if MANIFEST not in names:
                raise InvalidInput(f"{archive} has no {MANIFEST}; it is not an oncotrial backup", field="file")
            manifest = json.loads(tar.extractfile(MANIFEST).read())
            wanted = list(manifest.get("files", {}))
            if manifest.get("format") != FORMAT or len(wanted) != 1 or wanted[0] not in PAYLOAD.values():
                raise InvalidInput(f"{archive}: manifest format {manifest.get('format')!r} is not {FORMAT}",
                                   field="file")
            tar.extract(wanted[0], folder, filter="data")
    except (tarfile.TarError, json.JSONDecodeError, KeyError) as error:
        raise InvalidInput(f"{archive} is not a readable oncotrial backup ({error})", field="file") from None
    payload = Path(folder) / wanted[0]
    expected = manifest["files"][wanted[0]]["sha256"]
    actual = compute_file_sha256(payload)
    if actual != expected:
        raise InvalidInput(f"{archive}: {wanted[0]} has SHA-256 {actual}, the manifest says {expected}; the "
                           "archive is damaged or altered and nothing was restored", field="file")
    return manifest, payload


def restore_database(config: dict, archive: Path, url: str = "", replace: bool = False) -> dict:
    """Restore `archive` into the database `config` describes, after every checksum matched; return
    the manifest. An existing SQLite database is kept beside it (``.before-restore``) when `replace`."""
    engine = _engine(config)
    with tempfile.TemporaryDirectory(prefix="oncotrial-restore-") as folder:
        manifest, payload = read_archive(archive, Path(folder))
        if manifest["engine"] != engine:
            raise InvalidInput(f"the archive holds a {manifest['engine']} database; the configured one is "
                               f"{engine}", field="ONCOTRIAL_DATABASE_URL")
        if engine == "sqlite":
            _restore_sqlite(payload, Path(config["NAME"]), replace)
        else:
            _run(["pg_restore", "--clean", "--if-exists", "--no-owner", "--no-privileges", "--single-transaction",
                  "--exit-on-error", "--dbname", _pg_url(config, url), str(payload)], "pg_restore")
    return manifest


def _restore_sqlite(payload: Path, target: Path, replace: bool) -> None:
    if target.exists() and target.stat().st_size > 0:
        if not replace:
            raise Conflict(f"the database {target} already exists; restoring would replace it",
                           field="database", hint="pass --replace (the current file is kept as "
                                                   f"{target.name}.before-restore) or point ONCOTRIAL_HOME elsewhere")
        kept = target.with_name(target.name + ".before-restore")
        copy_sqlite(str(target), kept)
    target.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    if not target.exists():
        os.close(os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
    with sqlite3.connect(payload) as origin, sqlite3.connect(target) as copy:
        origin.backup(copy)  # page by page into the live file, its WAL and locks respected
        copy.execute("PRAGMA journal_mode=WAL")
    copy.close()
    origin.close()
    os.chmod(target, 0o600)


def _engine(config: dict) -> str:
    engine = config["ENGINE"]
    if engine.endswith("sqlite3"):
        if config["NAME"] in ("", ":memory:"):
            raise InvalidInput("an in-memory SQLite database cannot be backed up", field="ONCOTRIAL_DATABASE_URL")
        return "sqlite"
    if engine.endswith("postgresql"):
        return "postgresql"
    raise InvalidInput(f"database engine {engine} has no backup; allowed: SQLite, PostgreSQL", field="database")


def _pg_url(config: dict, url: str) -> str:
    """A libpq connection URI for pg_dump / pg_restore (the password travels in the URI, not argv
    of a shell; pg tools read it from there)."""
    if url and urlsplit(url).scheme in ("postgres", "postgresql"):
        return "postgresql" + url[url.index(":"):]
    user = config.get("USER") or ""
    host, port = config.get("HOST") or "", config.get("PORT") or ""
    return f"postgresql://{user}@{host}{':' + port if port else ''}/{config['NAME']}"


def _run(command: list[str], tool: str) -> None:
    if shutil.which(command[0]) is None:
        raise InvalidInput(f"{tool} is not installed; PostgreSQL backups need the PostgreSQL client tools",
                           field="database", hint="apt-get install postgresql-client (the server's major version)")
    done = subprocess.run(command, capture_output=True, text=True)
    if done.returncode != 0:
        raise Conflict(f"{tool} failed (exit {done.returncode}): {done.stderr.strip()[-800:]}", field="database")


def describe_url(url: str) -> str:
    """The database URL without its password, for messages."""
    parts = urlsplit(url)
    if parts.password:
        netloc = f"{unquote(parts.username or '')}:***@{parts.hostname}{':' + str(parts.port) if parts.port else ''}"
        return parts._replace(netloc=netloc).geturl()
    return url
