"""``oncotrial backup FILE`` and ``oncotrial restore FILE``: the whole database to one archive with a
SHA-256 manifest and back; a restore verifies the checksums first and the audit chain after, and
reports success only when both hold (see docs/reliability.md)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from oncotrial.commands.web import migrate_database, setup_django


def register(subparsers) -> None:
    backup = subparsers.add_parser("backup", help="copy the whole database to FILE (tar + SHA-256 manifest)")
    backup.add_argument("file", type=Path, help="the archive to write (replaced if it exists)")
    backup.set_defaults(func=backup_command)
    restore = subparsers.add_parser("restore", help="restore the database from FILE, then verify the audit chain")
    restore.add_argument("file", type=Path, help="an archive written by `oncotrial backup`")
    restore.add_argument("--replace", action="store_true",
                         help="replace an existing SQLite database (kept as .before-restore)")
    restore.set_defaults(func=restore_command)


def _database():
    from oncotrial.web.config import database_url, parse_database_url

    url = database_url()
    return parse_database_url(url), url


def backup_command(args: argparse.Namespace) -> int:
    from oncotrial.web.services.backup import backup_database, describe_url

    config, url = _database()
    result = backup_database(config, args.file, url)
    setup_django()
    _audit("backup", result.archive, result.payload_sha256)
    print(f"backup of {describe_url(url)} ({result.engine}) written to {result.archive}: "
          f"{result.payload_bytes} bytes, SHA-256 {result.payload_sha256}")
    return 0


def restore_command(args: argparse.Namespace) -> int:
    from oncotrial.web.services.backup import describe_url, restore_database

    config, url = _database()
    manifest = restore_database(config, args.file, url, replace=args.replace)
    digest = next(iter(manifest["files"].values()))["sha256"]
    print(f"checksums match ({digest}); restored {manifest['engine']} backup of {manifest['created_at']} "
          f"into {describe_url(url)}")
    setup_django()
    migrate_database()
    from oncotrial.web.services.audit import verify_audit_chain

    result = verify_audit_chain()
    if not result.ok:
        for problem in result.problems:
            print(f"row {problem.sequence}: {problem.kind}: {problem.message}", file=sys.stderr)
        print(f"restore FAILED verification: the audit trail is BROKEN ({len(result.problems)} problem(s) in "
              f"{result.checked} rows)", file=sys.stderr)
        return 1
    _audit("restore", args.file, digest)
    print(f"restore complete: audit trail intact, {result.checked} rows, hash chain verified")
    return 0


def _audit(action: str, archive: Path, digest: str) -> None:
    from django.db import transaction

    from oncotrial.web.services.audit import record_audit

    with transaction.atomic():
        record_audit(user=None, action=action, how="cli", entity="database",
                     changes=[{"field": "archive", "old": None, "new": str(archive)},
                              {"field": "sha256", "old": None, "new": digest}])
