"""Close the TRUNCATE gap in the append-only audit trail (web.0002 has row triggers only, and
PostgreSQL does not fire row triggers for TRUNCATE): a BEFORE TRUNCATE statement trigger raises.

SQLite has no TRUNCATE (its `DELETE FROM` without WHERE is refused by web.0002's row trigger), so
there is nothing to add there. Lifting the guard needs table ownership (ALTER TABLE ... DISABLE
TRIGGER), which the test helpers in `oncotrial.web.testing` use before Django empties the tables.
"""

from django.db import migrations

TABLE = "web_auditevent"
TRIGGER = "audit_no_truncate"
MESSAGE = "the audit trail is append-only: TRUNCATE is not allowed"

POSTGRESQL_FORWARD = f"""
CREATE OR REPLACE FUNCTION oncotrial_audit_no_truncate() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION '{MESSAGE}';
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER {TRIGGER} BEFORE TRUNCATE ON {TABLE}
    FOR EACH STATEMENT EXECUTE FUNCTION oncotrial_audit_no_truncate();
"""
POSTGRESQL_BACKWARD = f"""
DROP TRIGGER IF EXISTS {TRIGGER} ON {TABLE};
DROP FUNCTION IF EXISTS oncotrial_audit_no_truncate();
"""


def forward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(POSTGRESQL_FORWARD)


def backward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(POSTGRESQL_BACKWARD)


class Migration(migrations.Migration):
    dependencies = [("web", "0003_api_tokens")]
    operations = [migrations.RunPython(forward, backward)]
