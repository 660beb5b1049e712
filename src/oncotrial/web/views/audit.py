"""Audit trail page: filter by subject, user and date; export to CSV."""

from __future__ import annotations

from django.http import HttpResponse
from django.shortcuts import render

from oncotrial.web.forms import AuditFilterForm
from oncotrial.web.services import queries
from oncotrial.web.services.audit_export import export_audit_csv
from oncotrial.web.views.common import page, study_for


def _filters(form) -> dict:
    if not form.is_valid():
        return {}
    data = form.cleaned_data
    return {"subject": data["subject"].strip(), "username": data["user"].strip(),
            "date_from": data["date_from"], "date_to": data["date_to"]}


@page
def audit_trail(request, code):
    study = study_for(request, code)
    form = AuditFilterForm(request.GET or None)
    filters = _filters(form)
    if request.GET.get("format") == "csv":
        text = export_audit_csv(request.user, study, how="page", **filters)
        response = HttpResponse(text, content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="{study.code}-audit.csv"'
        return response
    rows = queries.list_audit(request.user, study, **filters)
    query = request.GET.copy()
    query["format"] = "csv"
    return render(request, "oncotrial/audit.html",
                  {"study": study, "rows": rows, "form": form, "csv_query": query.urlencode()})
