"""Re-run the edit checks over stored data (``oncotrial checks run``): after a check is added or
changed, or data arrive by import, every failure opens a query and every auto-query whose check now
passes closes (clinicedc-lessons.md §6.1.5, the form re-runner). Impossible values already stored
(a "reject" check added later) cannot be refused any more, so they open queries too."""

from __future__ import annotations

from dataclasses import dataclass, replace

from django.db import transaction

from oncotrial.domain.conduct.edit_checks import run_edit_checks
from oncotrial.web.ecrf import models as m
from oncotrial.web.ecrf.services import context as ctx
from oncotrial.web.ecrf.services.common import FORM_MODELS
from oncotrial.web.ecrf.services.queries import OPEN_STATES, sync_check_queries
from oncotrial.web.ecrf.specs import FORMS
from oncotrial.web.models import Subject


@dataclass(frozen=True)
class CheckRun:
    records: int
    failures: int
    queries_open: int

    @property
    def summary(self) -> str:
        return (f"{self.records} records checked, {self.failures} failing checks, "
                f"{self.queries_open} automatic queries open")


def rerun_edit_checks(study=None) -> CheckRun:
    """Run every form's checks over every stored record (of one study, or all)."""
    subjects = Subject.objects.select_related("study", "site").order_by("id")
    if study is not None:
        subjects = subjects.filter(study=study)
    records = failures = 0
    for subject in subjects:
        counted = _rerun_subject(subject)
        records, failures = records + counted[0], failures + counted[1]
    open_queries = m.Query.objects.filter(status__in=OPEN_STATES).exclude(check_id="")
    if study is not None:
        open_queries = open_queries.filter(subject__study=study)
    return CheckRun(records, failures, open_queries.count())


@transaction.atomic
def _rerun_subject(subject) -> tuple[int, int]:
    records = failures = 0
    for form, model in FORM_MODELS.items():
        for record in model.objects.filter(subject=subject):
            values = {name: getattr(record, name) for name in FORMS[form].field_names}
            context = ctx.build_context(subject, form, values, record)
            if form == "dose_administration" and record.prescribed_dose is not None:
                context["prescribed_dose"] = float(record.prescribed_dose)
            found = run_edit_checks(form, values, context)
            if form == "tumour_assessment":
                found += _lesion_failures(subject, record)
            found = tuple(replace(f, severity="query") for f in found)
            sync_check_queries(subject, form, record, found, how="system")
            records, failures = records + 1, failures + len(found)
    return records, failures


def _lesion_failures(subject, assessment) -> tuple:
    """The lesion-row checks of one assessment, each failure named by its lesion id."""
    context = {"baseline_lesion_ids": None if assessment.is_baseline else ctx.baseline_lesion_ids(subject)}
    found = []
    for row in assessment.lesions.all():
        values = {name: getattr(row, name) for name in (
            "lesion_id", "kind", "organ", "location", "is_lymph_node", "axis", "size_mm", "result",
            "non_target_state", "certainty", "treated_by")}
        values = {k: (None if v == "" else v) for k, v in values.items()}
        record = {**values, "is_baseline": assessment.is_baseline, "role": row.kind}
        form = "new_lesion" if row.kind == "new" else "lesion"
        for failure in run_edit_checks(form, record, context):
            found.append(replace(failure, check_id=f"{failure.check_id}:{row.lesion_id}"[:16],
                                 field=f"lesions.{row.lesion_id}.{failure.field}"[:64],
                                 message=f"lesion {row.lesion_id}: {failure.message}"))
    return tuple(found)
