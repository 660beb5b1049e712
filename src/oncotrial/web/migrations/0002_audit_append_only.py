"""Make the audit trail append-only in the database itself: UPDATE and DELETE raise.

PostgreSQL: a row trigger calling a PL/pgSQL function. SQLite: BEFORE UPDATE / BEFORE DELETE triggers
that abort. (TRUNCATE, which needs table ownership, is left to the database administrator.)
"""

from django.db import migrations

TABLE = "web_auditevent"
MESSAGE = "the audit trail is append-only: UPDATE and DELETE are not allowed"

POSTGRESQL_FORWARD = f"""
CREATE OR REPLACE FUNCTION oncotrial_audit_append_only() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION '{MESSAGE}';
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER audit_append_only BEFORE UPDATE OR DELETE ON {TABLE}
    FOR EACH ROW EXECUTE FUNCTION oncotrial_audit_append_only();
"""
POSTGRESQL_BACKWARD = f"""
DROP TRIGGER IF EXISTS audit_append_only ON {TABLE};
DROP FUNCTION IF EXISTS oncotrial_audit_append_only();
"""
SQLITE_FORWARD = [
    f"CREATE TRIGGER audit_no_update BEFORE UPDATE ON {TABLE} BEGIN SELECT RAISE(ABORT, '{MESSAGE}'); END;",
    f"CREATE TRIGGER audit_no_delete BEFORE DELETE ON {TABLE} BEGIN SELECT RAISE(ABORT, '{MESSAGE}'); END;",
]
SQLITE_BACKWARD = ["DROP TRIGGER IF EXISTS audit_no_update;", "DROP TRIGGER IF EXISTS audit_no_delete;"]


def forward(apps, schema_editor):
    head = apps.get_model("web", "AuditChainHead")
    head.objects.using(schema_editor.connection.alias).get_or_create(
        pk=1, defaults={"last_sequence": 0, "last_hash": "0" * 64})
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        schema_editor.execute(POSTGRESQL_FORWARD)
    elif vendor == "sqlite":
        for statement in SQLITE_FORWARD:
            schema_editor.execute(statement)


def backward(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        schema_editor.execute(POSTGRESQL_BACKWARD)
    elif vendor == "sqlite":
        for statement in SQLITE_BACKWARD:
            schema_editor.execute(statement)


class Migration(migrations.Migration):
    dependencies = [("web", "0001_initial")]
    operations = [migrations.RunPython(forward, backward)]
