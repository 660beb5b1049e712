"""Load the bundled CTCAE v5 regimen subset so the AE form has terms on a fresh database."""

from django.db import migrations


def load_terms(apps, schema_editor):
    from oncotrial.web.ecrf.ctcae import read_bundled_terms

    CtcaeTerm = apps.get_model("ecrf", "CtcaeTerm")
    version, rows = read_bundled_terms()
    for row in rows:
        CtcaeTerm.objects.update_or_create(
            version=version, term=row.term,
            defaults={"soc": row.soc, "grades": row.grades, "protocol_defined": row.protocol_defined,
                      "source": "bundled"})


def unload_terms(apps, schema_editor):
    apps.get_model("ecrf", "CtcaeTerm").objects.filter(source="bundled").delete()


class Migration(migrations.Migration):
    dependencies = [("ecrf", "0001_initial")]
    operations = [migrations.RunPython(load_terms, unload_terms)]
