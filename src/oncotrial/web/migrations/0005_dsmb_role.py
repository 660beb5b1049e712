"""The DSMB member role (issue 11): reads the analysis results, never subject casebooks."""

from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ("web", "0004_audit_no_truncate"),
    ]

    operations = [
        migrations.AlterField(
            model_name="membership",
            name="role",
            field=models.CharField(choices=[
                ("investigator", "Investigator"), ("coordinator", "Coordinator"), ("monitor", "Monitor"),
                ("data_manager", "Data manager"), ("statistician", "Statistician"),
                ("unblinded_statistician", "Unblinded statistician"), ("sponsor_viewer", "Sponsor viewer"),
                ("dsmb", "DSMB member"), ("administrator", "Administrator")], max_length=32),
        ),
    ]
