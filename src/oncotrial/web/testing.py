"""Test helpers shared by the web, eCRF and browser tests: a study from a built-in protocol with a
fixed cast of users, and ways to step around the audit trail's triggers in tests only.

The cast: ``investigator_a`` and ``coordinator_a`` at site A (``01``), ``monitor``, ``statistician``
(blinded), ``unblinded_statistician``, ``data_manager``, ``sponsor_viewer`` and ``admin`` study-wide,
and ``outsider_b``, a coordinator at site B (``02``).
"""

from __future__ import annotations

import datetime as dt
import importlib
from dataclasses import dataclass

from django.db import connection

from oncotrial.web.models import Role

STUDY_START = dt.date(2025, 1, 6)
PASSWORD = "cast-password-2025"

CAST = (
    # attribute, username, role, site
    ("investigator_a", "ina", Role.INVESTIGATOR, "01"),
    ("coordinator_a", "coa", Role.COORDINATOR, "01"),
    ("monitor", "mon", Role.MONITOR, None),
    ("statistician", "sta", Role.STATISTICIAN, None),
    ("unblinded_statistician", "ust", Role.UNBLINDED_STATISTICIAN, None),
    ("data_manager", "dam", Role.DATA_MANAGER, None),
    ("sponsor_viewer", "spo", Role.SPONSOR_VIEWER, None),
    ("outsider_b", "oub", Role.COORDINATOR, "02"),
)


@dataclass
class Cast:
    study: object
    site_a: object
    site_b: object
    admin: object
    investigator_a: object
    coordinator_a: object
    monitor: object
    statistician: object
    unblinded_statistician: object
    data_manager: object
    sponsor_viewer: object
    outsider_b: object

    def everyone(self) -> dict[str, object]:
        return {name: getattr(self, name) for name in ("admin", *(row[0] for row in CAST))}


def build_cast(protocol_id: str = "crlm-sbrt-sintilimab", code: str = "") -> Cast:
    from oncotrial.web.services.accounts import create_user, grant_role
    from oncotrial.web.services.studies import add_site, create_study_from_builtin

    admin = create_user(None, username="adm", password=PASSWORD, how="system")
    grant_role(None, admin, role=Role.ADMINISTRATOR, how="system")
    study = create_study_from_builtin(admin, protocol_id, code=code, effective_on=STUDY_START,
                                      add_protocol_sites=False)
    site_a = add_site(admin, study, code="01", name="Site A Hospital", city="Shanghai",
                      country="China", timezone="Asia/Shanghai")
    site_b = add_site(admin, study, code="02", name="Site B Hospital", city="Hangzhou",
                      country="China", timezone="Asia/Shanghai")
    sites = {"01": site_a, "02": site_b}
    people = {}
    for attribute, username, role, site_code in CAST:
        user = create_user(admin, username=username, password=PASSWORD)
        grant_role(admin, user, role=role, study=study, site=sites.get(site_code))
        people[attribute] = user
    return Cast(study=study, site_a=site_a, site_b=site_b, admin=admin, **people)


def tamper_with_audit(sql: str, params=()) -> None:
    """Run SQL on the audit table behind the application's back (triggers lifted for one statement)."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("ALTER TABLE web_auditevent DISABLE TRIGGER audit_append_only")
            cursor.execute(sql, params)
            cursor.execute("ALTER TABLE web_auditevent ENABLE TRIGGER audit_append_only")
        else:
            triggers = _triggers()
            cursor.execute("DROP TRIGGER audit_no_update")
            cursor.execute("DROP TRIGGER audit_no_delete")
            cursor.execute(sql, params)
            for statement in triggers.SQLITE_FORWARD:
                cursor.execute(statement)




def _triggers():
    return importlib.import_module("oncotrial.web.migrations.0002_audit_append_only")


def restore_audit_triggers() -> None:
    """Make sure the audit triggers are in force (a previous test may have lifted them)."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ALTER TABLE web_auditevent ENABLE TRIGGER audit_no_truncate")
    if connection.vendor == "sqlite":
        with connection.cursor() as cursor:
            for statement in _triggers().SQLITE_FORWARD:
                cursor.execute(statement.replace("CREATE TRIGGER", "CREATE TRIGGER IF NOT EXISTS"))


def lift_audit_triggers_for_flush() -> None:
    """Django empties tables after a committing test with DELETE on SQLite and TRUNCATE on
    PostgreSQL, both of which the audit triggers refuse (web.0002, web.0004)."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ALTER TABLE web_auditevent DISABLE TRIGGER audit_no_truncate")
    if connection.vendor == "sqlite":
        with connection.cursor() as cursor:
            for statement in _triggers().SQLITE_BACKWARD:
                cursor.execute(statement)
