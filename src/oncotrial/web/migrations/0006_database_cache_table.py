"""The table of Django's database cache (settings.CACHES, ``oncotrial_cache``): derived results
computed once per data change and shared by every worker process and host (issue 14)."""

from django.core.management import call_command
from django.db import migrations


def create_cache_table(apps, schema_editor):
    call_command("createcachetable", database=schema_editor.connection.alias, verbosity=0)


def drop_cache_table(apps, schema_editor):
    schema_editor.execute("DROP TABLE IF EXISTS oncotrial_cache")


class Migration(migrations.Migration):
    dependencies = [("web", "0005_dsmb_role")]

    operations = [migrations.RunPython(create_cache_table, drop_cache_table)]
