"""CTCAE v5 names an "<SOC> - Other, specify" term in every system organ class for an AE that no
term describes; the bundled subset lacked them, so such an AE could not be recorded without loading
NCI's workbook. One per system organ class of the bundled terms, with CTCAE's generic grade scale,
and the AE record's text that says what the AE was."""

from django.db import migrations, models

GRADES = {
    "1": "Asymptomatic or mild symptoms; clinical or diagnostic observations only; intervention not indicated",
    "2": "Moderate; minimal, local or noninvasive intervention indicated; limiting instrumental ADL",
    "3": "Severe or medically significant but not immediately life-threatening; hospitalization or "
         "prolongation of existing hospitalization indicated; disabling; limiting self care ADL",
    "4": "Life-threatening consequences; urgent intervention indicated",
    "5": "Death",
}


def add_other_terms(apps, schema_editor):
    CtcaeTerm = apps.get_model("ecrf", "CtcaeTerm")
    socs = sorted(set(CtcaeTerm.objects.filter(version="5.0").values_list("soc", flat=True)))
    for soc in socs:
        CtcaeTerm.objects.get_or_create(version="5.0", term=f"{soc} - Other, specify",
                                        defaults={"soc": soc, "grades": GRADES, "source": "bundled"})


def remove_other_terms(apps, schema_editor):
    apps.get_model("ecrf", "CtcaeTerm").objects.filter(term__endswith=" - Other, specify",
                                                       source="bundled").delete()


class Migration(migrations.Migration):
    dependencies = [("ecrf", "0004_percent_of_planned_wider")]

    operations = [
        migrations.AddField(model_name="adverseevent", name="term_specify",
                            field=models.CharField(blank=True, max_length=200)),
        migrations.RunPython(add_other_terms, remove_other_terms),
    ]
