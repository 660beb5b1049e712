"""Django's SQLite backend with one change: the writers of one process take turns on a lock in
Python before ``BEGIN IMMEDIATE``, instead of polling SQLite's busy handler.

SQLite has one writer at a time. With ``transaction_mode=IMMEDIATE`` a second writer's BEGIN meets
SQLITE_BUSY and SQLite's default busy handler sleeps 1, 2, 5, ... then 100 ms between retries, so
under a few concurrent writers a waiting thread oversleeps the moment the lock frees and the
slowest writes take over a second (issue 14: p99 1.5-1.8 s at 4 clients). Waiting on a
``threading.Lock`` wakes the next writer as soon as the last commits. Other processes on the same
file still meet SQLite's busy handler (the 30 s timeout), as before.
"""

from __future__ import annotations

import threading

from django.db import OperationalError
from django.db.backends.sqlite3 import base

WRITER = threading.Lock()


class DatabaseWrapper(base.DatabaseWrapper):
    holds_writer = False

    def _start_transaction_under_autocommit(self):
        timeout = float(self.settings_dict.get("OPTIONS", {}).get("timeout", 30))
        if not WRITER.acquire(timeout=timeout):
            raise OperationalError(f"database is locked (another thread of this process wrote for {timeout:g} s)")
        self.holds_writer = True
        try:
            super()._start_transaction_under_autocommit()
        except BaseException:
            self._release_writer()
            raise

    def _release_writer(self):
        if self.holds_writer:
            self.holds_writer = False
            WRITER.release()

    def _commit(self):
        try:
            return super()._commit()
        finally:
            self._release_writer()

    def _rollback(self):
        try:
            return super()._rollback()
        finally:
            self._release_writer()

    def _close(self):
        try:
            return super()._close()
        finally:
            self._release_writer()
