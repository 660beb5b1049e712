"""eCRF pages: thin views that parse, call a service and render. Each page's data comes from the
same service function as its API twin (``api.py``)."""

from __future__ import annotations

from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from oncotrial.errors import InvalidInput
from oncotrial.web.ecrf import models as m
from oncotrial.web.ecrf.services import context as ctx
from oncotrial.web.ecrf.services import locks, queries, recist, records, sdv, signatures, summaries
from oncotrial.web.ecrf.services.common import (
    QUERY_CLOSERS,
    QUERY_OPENERS,
    SIGNERS,
    VERIFIERS,
    find_record,
    now,
    require_subject_reader,
)
from oncotrial.web.ecrf.specs import FORMS, LESION_FIELDS
from oncotrial.web.services.permissions import SITE_STAFF, find_role, visible_sites
from oncotrial.web.services.subjects import find_subject
from oncotrial.web.views.common import page, study_for

BLANK_ROWS = 3
BASELINE_ROWS = 8


def _subject(request, code, identifier):
    study = study_for(request, code)
    subject = find_subject(request.user, study, identifier)
    require_subject_reader(request.user, subject)
    return study, subject


def _roles(user, subject) -> dict:
    def can(roles):
        return find_role(user, subject.study, subject.site, roles) is not None
    return {"enter": can(SITE_STAFF), "sign": can(SIGNERS), "verify": can(VERIFIERS),
            "open_query": can(QUERY_OPENERS), "close_query": can(QUERY_CLOSERS),
            "lock": can(QUERY_CLOSERS)}


@page
def subject_ecrf(request, code, identifier):
    study, subject = _subject(request, code, identifier)
    timeline = summaries.subject_timeline(request.user, subject, now())
    spider = summaries.render_spider_svg(
        {subject.identifier: timeline["spider"]},
        arms=summaries.spider_arms(request.user, study, [subject.identifier])) if timeline["spider"] else ""
    context = {"study": study, "subject": subject, "timeline": timeline, "spider_svg": spider,
               "forms": [(name, spec.label) for name, spec in FORMS.items() if name != "tumour_assessment"],
               "records": _records(subject), "can": _roles(request.user, subject),
               "locks": [locks.lock_row(item) for item in m.Lock.objects.filter(subject=subject)]}
    return render(request, "ecrf/subject.html", context)


def _records(subject) -> list[dict]:
    rows = []
    for name, spec in FORMS.items():
        model = records.FORM_MODELS[name]
        for record in model.objects.filter(subject=subject).order_by("id"):
            rows.append({"form": name, "label": spec.label, "id": record.pk, "revision": record.revision,
                         "fields": [(f.name, f.label) for f in spec.fields],
                         "when": getattr(record, spec.visit_field, ""), "sdv": sdv.verification_status(name, record)})
    return rows


def _lesion_rows(request) -> list[dict]:
    indexes = sorted({int(key.split("-")[1]) for key in request.POST if key.startswith("lesion-")
                      and key.split("-")[1].isdigit()})
    return [{f.name: request.POST.get(f"lesion-{i}-{f.name}", "") for f in LESION_FIELDS} for i in indexes]


@page
def assessment_form(request, code, identifier, record_id=None):
    study, subject = _subject(request, code, identifier)
    record = find_record("tumour_assessment", record_id, subject) if record_id else None
    errors, header, rows = [], None, None
    if request.method == "POST":
        header = {f: request.POST.get(f, "") for f in FORMS["tumour_assessment"].field_names}
        header["is_baseline"] = request.POST.get("is_baseline", "false")
        rows = _lesion_rows(request)
        try:
            saved = recist.save_tumour_assessment(
                request.user, subject, header, rows, record_id=record_id,
                reason=request.POST.get("reason_for_change", ""), how="page",
                expected_revision=request.POST.get("revision") or None)
            return redirect(reverse("ecrf-assessment", args=[code, identifier, saved.pk]) + "?saved=1")
        except InvalidInput as error:
            errors = error.errors or [{"field": error.field, "message": error.message}]
    header = header or _header_values(record, subject)
    rows = rows or _row_values(record, subject, header)
    error_fields = {e.get("field") for e in errors}
    header_cells = [{"f": f, "name": f.name, "value": _text(header.get(f.name))}
                    for f in FORMS["tumour_assessment"].fields]
    row_cells = [{"index": i, "cells": [
        {"f": f, "name": f"lesion-{i}-{f.name}", "value": _text(row.get(f.name)),
         "error": f"lesions[{i}].{f.name}" in error_fields} for f in LESION_FIELDS]}
        for i, row in enumerate(rows)]
    context = {"study": study, "subject": subject, "record": record, "header_cells": header_cells,
               "rows": row_cells, "errors": errors,
               "error_fields": error_fields, "spec": FORMS["tumour_assessment"],
               "lesion_fields": LESION_FIELDS, "saved": request.GET.get("saved"),
               "assessments": recist.assessment_rows(request.user, subject)}
    return render(request, "ecrf/assessment.html", context, status=400 if errors else 200)


def _header_values(record, subject) -> dict:
    if record is None:
        baseline_exists = m.TumourAssessment.objects.filter(subject=subject, is_baseline=True).exists()
        return {"is_baseline": "false" if baseline_exists else "true", "method": "CT"}
    values = {f: getattr(record, f) for f in FORMS["tumour_assessment"].field_names}
    values["is_baseline"] = "true" if record.is_baseline else "false"
    return {k: ("" if v is None else str(v)) for k, v in values.items()}


def _row_values(record, subject, header) -> list[dict]:
    blank = {f.name: "" for f in LESION_FIELDS}
    if record is not None:
        existing = [{f.name: _text(getattr(row, f.name)) for f in LESION_FIELDS} for row in record.lesions.all()]
        return existing + [dict(blank) for _ in range(BLANK_ROWS)]
    baseline = m.TumourAssessment.objects.filter(subject=subject, is_baseline=True).first()
    if header.get("is_baseline") == "true" or baseline is None:
        return [dict(blank, kind="target" if i < 5 else "", axis="long") for i in range(BASELINE_ROWS)]
    followed = [dict(blank, lesion_id=row.lesion_id, kind=row.kind, organ=row.organ,
                     is_lymph_node=_text(row.is_lymph_node), axis=row.axis)
                for row in baseline.lesions.exclude(kind="new")]
    return followed + [dict(blank, kind="new") for _ in range(BLANK_ROWS)]


def _text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


@page
def record_form(request, code, identifier, form, record_id=None):
    study, subject = _subject(request, code, identifier)
    if form not in records.SIMPLE_FORMS:
        raise InvalidInput(f"form {form!r} is not one of {', '.join(records.SIMPLE_FORMS)}", field="form")
    spec = FORMS[form]
    record = find_record(form, record_id, subject) if record_id else None
    errors = []
    if request.method == "POST":
        raw = {name: request.POST.get(name, "") for name in spec.field_names}
        try:
            saved = records.save_record(request.user, subject, form, raw, record_id=record_id,
                                        reason=request.POST.get("reason_for_change", ""), how="page",
                                        expected_revision=request.POST.get("revision") or None)
            return redirect(reverse("ecrf-record", args=[code, identifier, form, saved.pk]) + "?saved=1")
        except InvalidInput as error:
            errors = error.errors or [{"field": error.field, "message": error.message}]
        values = raw
    else:
        values = {name: _text(getattr(record, name)) if record else "" for name in spec.field_names}
        if record is not None and form == "local_therapy":
            values["lesion_ids"] = ", ".join(record.lesion_ids)
    context = {"study": study, "subject": subject, "record": record, "spec": spec, "form_name": form,
               "fields": [{"spec": f, "value": values.get(f.name, ""),
                           "errors": [e["message"] for e in errors if e.get("field") == f.name]}
                          for f in spec.fields],
               "errors": errors, "saved": request.GET.get("saved"), "derived": _derived(form, record),
               "ctcae": _ctcae_choices() if form == "adverse_event" else None,
               "drugs": ctx.regimen_drugs(subject) if form == "dose_administration" else None}
    return render(request, "ecrf/record.html", context, status=400 if errors else 200)


def _derived(form, record) -> list[tuple[str, str]]:
    if record is None:
        return []
    if form == "dose_administration" and record.prescribed_dose is not None:
        return [("BSA (m², Mosteller)", str(record.bsa_m2 or "—")),
                ("Prescribed dose", f"{record.prescribed_dose} mg"),
                ("Percent of planned dose", f"{record.percent_of_planned}%")]
    if form == "adverse_event":
        clock = summaries.sae_clock(record, now())
        rows = [("System organ class", record.soc)]
        if clock:
            state = {"met": "reported in time", "late": "reported late", "overdue": "OVERDUE"}.get(
                clock["state"], f"{clock['hours_left']} h left")
            rows.append(("Expedited report due", f"{clock['due']} ({state})"))
        return rows
    return []


def _ctcae_choices() -> dict:
    by_soc: dict[str, list] = {}
    grades = {}
    for term in m.CtcaeTerm.objects.filter(version="5.0").order_by("soc", "term"):
        by_soc.setdefault(term.soc, []).append(term.term)
        grades[term.term] = term.grades
    return {"by_soc": sorted(by_soc.items()), "grades": grades}


@page
@require_POST
def sign_view(request, code, identifier):
    study, subject = _subject(request, code, identifier)
    try:
        signatures.sign(request.user, subject, scope=request.POST.get("scope", "casebook"),
                        visit=request.POST.get("visit", ""), password=request.POST.get("password", ""),
                        how="page")
    except InvalidInput as error:
        return render(request, "oncotrial/error.html", {"message": error.message, "status": 400}, status=400)
    return redirect("ecrf-subject", code, identifier)


@page
@require_POST
def verify_view(request, code, identifier):
    study, subject = _subject(request, code, identifier)
    sdv.verify_source(request.user, subject, form=request.POST.get("form", ""),
                      record_id=request.POST.get("record_id"), field=request.POST.get("field", ""), how="page")
    return redirect("ecrf-subject", code, identifier)


@page
@require_POST
def lock_view(request, code, identifier=None):
    study = study_for(request, code)
    subject = _subject(request, code, identifier)[1] if identifier else None
    locks.lock(request.user, study, level=request.POST.get("level", "subject"), subject=subject,
               visit=request.POST.get("visit", ""), form=request.POST.get("form", ""),
               record_id=request.POST.get("record_id") or None, how="page")
    return redirect("ecrf-subject", code, identifier) if identifier else redirect("ecrf-queries", code)


@page
@require_POST
def unlock_view(request, code, lock_id):
    study = study_for(request, code)
    item = locks.find_lock(lock_id)
    locks.unlock(request.user, item, reason=request.POST.get("reason", ""), how="page")
    if item.subject:
        return redirect("ecrf-subject", code, item.subject.identifier)
    return redirect("ecrf-queries", study.code)


@page
def query_list(request, code):
    study = study_for(request, code)
    site = request.GET.get("site", "")
    rows = queries.list_queries(request.user, study, status=request.GET.get("status", ""), site=site)
    context = {"study": study, "queries": rows, "status": request.GET.get("status", ""), "site": site,
               "sites": [s.code for s in visible_sites(request.user, study)],
               "study_locks": [locks.lock_row(item) for item in m.Lock.objects.filter(study=study, level="study")],
               "can_close": find_role(request.user, study, None, QUERY_CLOSERS) is not None,
               "can_answer": visible_sites(request.user, study, SITE_STAFF).exists(),
               "can_open": find_role(request.user, study, None, QUERY_OPENERS) is not None}
    return render(request, "ecrf/queries.html", context)


@page
@require_POST
def query_open(request, code, identifier):
    study, subject = _subject(request, code, identifier)
    queries.open_query(request.user, subject, form=request.POST.get("form", ""),
                       record_id=request.POST.get("record_id"), field=request.POST.get("field", ""),
                       text=request.POST.get("text", ""), how="page",
                       assigned_to=queries.find_assignee(study, request.POST.get("assigned_to", "")))
    return redirect("ecrf-subject", code, identifier)


@page
@require_POST
def query_action(request, code, query_id, action):
    study = study_for(request, code)
    query = queries.find_query(request.user, study, query_id)
    if action == "answer":
        queries.answer_query(request.user, query, answer=request.POST.get("answer", ""), how="page")
    elif action == "resolve":
        queries.resolve_query(request.user, query, how="page")
    elif action == "close":
        queries.close_query(request.user, query, note=request.POST.get("note", ""), how="page")
    elif action == "reopen":
        queries.reopen_query(request.user, query, text=request.POST.get("text", ""), how="page")
    else:
        raise InvalidInput(f"query action {action!r} is not one of answer, resolve, close, reopen",
                           field="action")
    return redirect(request.POST.get("next") or reverse("ecrf-queries", args=[code]))


@page
def safety_view(request, code):
    study = study_for(request, code)
    return render(request, "ecrf/safety.html", {"study": study,
                                                "safety": summaries.safety_summary(request.user, study)})


@page
def responses_view(request, code):
    study = study_for(request, code)
    data = summaries.study_responses(request.user, study)
    arms = summaries.spider_arms(request.user, study, data["spider"])
    svg = summaries.render_spider_svg(data["spider"], width=1000, height=440, arms=arms) if data["spider"] else ""
    return render(request, "ecrf/responses.html", {"study": study, "data": data, "spider_svg": svg})
