"""``oncotrial backup`` / ``restore`` (issue 13): the online backup keeps commits still in the WAL, a
restore checks every checksum before it touches anything and verifies the audit chain before it
reports success; on SQLite here and on PostgreSQL where the server answers."""

from __future__ import annotations

import io
import os
import shutil
import sqlite3
import subprocess
import sys
import tarfile
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from oncotrial.web.services.backup import backup_database, read_archive

SQLITE = "django.db.backends.sqlite3"
BUILD = (
    "import os, django\n"
    "os.environ['DJANGO_SETTINGS_MODULE'] = 'oncotrial.web.settings'\n"
    "django.setup()\n"
    "from django.core.management import call_command\n"
    "call_command('migrate', verbosity=0)\n"
    "from oncotrial.web.testing import build_cast\n"
    "build_cast()\n"
)


def oncotrial(env: dict, *args: str, timeout: int = 300) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "oncotrial", *args], env=env, capture_output=True, text=True,
                          timeout=timeout)


def environment(home: Path, url: str = "") -> dict:
    env = {**os.environ, "ONCOTRIAL_HOME": str(home), "ONCOTRIAL_SECRET_KEY": "k" * 50}
    env.pop("ONCOTRIAL_DATABASE_URL", None)
    if url:
        env["ONCOTRIAL_DATABASE_URL"] = url
    return env


def test_the_online_backup_keeps_commits_still_in_the_wal(tmp_path):
    path = tmp_path / "live.sqlite3"
    live = sqlite3.connect(path)
    live.execute("PRAGMA journal_mode=WAL")
    live.execute("PRAGMA wal_autocheckpoint=0")  # nothing reaches the main file until a checkpoint
    live.execute("CREATE TABLE ledger (n INTEGER)")
    live.executemany("INSERT INTO ledger VALUES (?)", [(n,) for n in range(500)])
    live.commit()
    try:
        copied = tmp_path / "copied.sqlite3"
        shutil.copyfile(path, copied)  # what the issue found: the file alone lacks the WAL's commits
        with pytest.raises(sqlite3.OperationalError):
            sqlite3.connect(copied).execute("SELECT count(*) FROM ledger").fetchone()
        result = backup_database({"ENGINE": SQLITE, "NAME": str(path)}, tmp_path / "b.tar")
        manifest, payload = read_archive(result.archive, tmp_path / "out")
        assert manifest["files"]["database.sqlite3"]["sha256"] == result.payload_sha256
        assert sqlite3.connect(payload).execute("SELECT count(*) FROM ledger").fetchone() == (500,)
        assert oct(result.archive.stat().st_mode & 0o777) == "0o600"
    finally:
        live.close()


def test_a_damaged_archive_restores_nothing(tmp_path):
    source = tmp_path / "source.sqlite3"
    with sqlite3.connect(source) as db:
        db.execute("CREATE TABLE t (x)")
    archive = backup_database({"ENGINE": SQLITE, "NAME": str(source)}, tmp_path / "b.tar").archive
    with tarfile.open(archive) as tar:
        members = {m.name: tar.extractfile(m).read() for m in tar.getmembers()}
    damaged = tmp_path / "damaged.tar"
    with tarfile.open(damaged, "w") as tar:
        for name, data in members.items():
            if name == "database.sqlite3":
                data = data[:-1] + bytes([data[-1] ^ 1])
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    done = oncotrial(environment(tmp_path / "target"), "restore", str(damaged))
    assert done.returncode == 2 and "SHA-256" in done.stderr and "nothing was restored" in done.stderr
    assert not (tmp_path / "target" / "oncotrial.sqlite3").exists() or \
        (tmp_path / "target" / "oncotrial.sqlite3").stat().st_size == 0


def backup_restore_verify(tmp_path: Path, source_url: str = "", target_url: str = "") -> None:
    source_env, target_env = environment(tmp_path / "a", source_url), environment(tmp_path / "b", target_url)
    built = subprocess.run([sys.executable, "-c", BUILD], env=source_env, capture_output=True, text=True,
                           timeout=300)
    assert built.returncode == 0, built.stderr
    before = oncotrial(source_env, "audit", "verify")
    assert before.returncode == 0, before.stderr
    archive = tmp_path / "trial.tar"
    done = oncotrial(source_env, "backup", str(archive))
    assert done.returncode == 0, done.stderr
    assert "SHA-256" in done.stdout
    done = oncotrial(target_env, "restore", str(archive))
    assert done.returncode == 0, done.stdout + done.stderr
    assert "checksums match" in done.stdout and "restore complete: audit trail intact" in done.stdout
    after = oncotrial(target_env, "audit", "verify")
    assert after.returncode == 0, after.stderr
    rows = int(before.stdout.split(":")[1].split()[0])
    # the restored chain holds every row the source had when copied, plus the row of the restore
    assert int(after.stdout.split(":")[1].split()[0]) == rows + 1
    if not target_url:
        again = oncotrial(target_env, "restore", str(archive))
        assert again.returncode == 2 and "--replace" in again.stderr


def test_backup_restore_and_audit_verify_on_sqlite(tmp_path):
    backup_restore_verify(tmp_path)


@pytest.mark.postgres
def test_backup_restore_and_audit_verify_on_postgresql(tmp_path):
    url = os.environ.get("ONCOTRIAL_DATABASE_URL", "")
    if urlsplit(url).scheme not in ("postgres", "postgresql") or shutil.which("psql") is None:
        pytest.skip("needs ONCOTRIAL_DATABASE_URL=postgresql://... and the PostgreSQL client tools")
    names = [f"oncotrial_backup_{os.getpid()}_{side}" for side in ("a", "b")]
    admin = urlsplit(url)._replace(path="/postgres").geturl()
    for name in names:
        subprocess.run(["psql", admin, "-c", f"DROP DATABASE IF EXISTS {name}", "-c", f"CREATE DATABASE {name}"],
                       check=True, capture_output=True)
    try:
        source, target = (urlsplit(url)._replace(path=f"/{name}").geturl() for name in names)
        backup_restore_verify(tmp_path, source, target)
    finally:
        for name in names:
            subprocess.run(["psql", admin, "-c", f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"],
                           capture_output=True)
