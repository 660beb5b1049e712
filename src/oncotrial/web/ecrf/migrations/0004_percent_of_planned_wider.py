"""`percent_of_planned` had room for 9999.9 %; rows stored before the dose bound (issue 13) can hold
more (20000 mg against a 90 %-reduced dose), and reading them back failed. Saves now refuse more than
1000 %; the wider column lets such old rows be read and corrected."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("ecrf", "0003_protocol_version_on_data_management")]

    operations = [
        migrations.AlterField(
            model_name="doseadministration", name="percent_of_planned",
            field=models.DecimalField(blank=True, decimal_places=1, max_digits=12, null=True),
        ),
    ]
