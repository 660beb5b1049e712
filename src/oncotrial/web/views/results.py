"""The results pages (issue 11) — CONSORT, efficacy, tumour response, safety — and the report
downloads (HTML, PDF, JSON). Each page puts the reports renderer's section inside the site layout,
so a page and the report show the same HTML; the page's JSON twin is GET /api/studies/{code}/results.
Statistician, unblinded statistician, DSMB member and administrator only (the analysis service
checks); every read is audited, a download with its format, language and DSMB mode."""

from __future__ import annotations

import datetime as dt
import json

from django.db import transaction
from django.http import HttpResponse
from django.shortcuts import render
from django.utils.translation import get_language

from oncotrial.errors import InvalidInput, NotFound
from oncotrial.reports.html import PAGES, render_page_section, render_trial_report, report_css
from oncotrial.reports.messages import translator
from oncotrial.web.analysis.service import require_results_reader, study_results
from oncotrial.web.services.audit import record_audit
from oncotrial.web.views.common import page, study_for

FORMATS = {"html": "text/html; charset=utf-8", "pdf": "application/pdf", "json": "application/json"}


def _options(request) -> dict:
    text = request.GET.get("cutoff") or ""
    try:
        cutoff = dt.date.fromisoformat(text) if text else None
    except ValueError:
        raise InvalidInput(f"cutoff is {text!r}, not a date", field="cutoff", hint="YYYY-MM-DD") from None
    dsmb = request.GET.get("dsmb") or None
    if dsmb not in (None, "open", "closed"):
        raise InvalidInput(f"dsmb is {dsmb!r}; allowed: open, closed", field="dsmb")
    lang = request.GET.get("lang") or ("zh-hans" if (get_language() or "").startswith("zh") else "en")
    return {"cutoff": cutoff, "analysis_set": request.GET.get("set") or "itt", "dsmb": dsmb, "lang": lang}


@page
def results_page(request, code, section="consort"):
    study = study_for(request, code)
    if section not in PAGES:
        raise InvalidInput(f"results page {section!r} is not known; allowed: {', '.join(PAGES)}", field="page")
    options = _options(request)
    results = study_results(request.user, study, cutoff=options["cutoff"],
                            analysis_set=options["analysis_set"], how="page")
    body = render_page_section(results, section, options["lang"], options["dsmb"])
    query = request.GET.urlencode()
    return render(request, "oncotrial/results.html", {
        "study": study, "section": section, "pages": _page_labels(options["lang"]), "report_body": body,
        "report_css": report_css(), "query": f"?{query}" if query else "", "header": results.header,
        "labels": _form_labels(options["lang"])})


def _page_labels(lang: str) -> list[tuple[str, str]]:
    """(page, its title in the language) for the results navigation."""
    t = translator(lang)
    return [(name, t("page_consort" if name == "consort" else name)) for name in PAGES]


def _form_labels(lang: str) -> dict:
    """The options form's words and the analysis sets' names in the language."""
    t = translator(lang)
    return {"cutoff": t("data_cutoff"), "set": t("analysis_set"), "apply": t("apply"),
            "results": t("results_pages"),
            "sets": [(key, t(f"set_{key}")) for key in ("itt", "pp", "safety", "evaluable")]}


@page
def report_download(request, code, extension):
    study = study_for(request, code)
    if extension not in FORMATS:
        raise NotFound(f"no report as .{extension}; allowed: {', '.join(FORMATS)}", field="format")
    options = _options(request)
    with transaction.atomic():
        protocol = study.current_version().protocol
        role = require_results_reader(request.user, study, protocol).role
        results = study_results(request.user, study, cutoff=options["cutoff"],
                                analysis_set=options["analysis_set"], how="page", audit=False)
        record_audit(user=request.user, role=role, action="export", how="page", entity="trial_report",
                     study=study, changes=[{"field": k, "old": None, "new": str(v)} for k, v in (
                         ("format", extension), ("cutoff", results.header.data_cutoff),
                         ("analysis_set", results.header.analysis_set), ("lang", options["lang"]),
                         ("dsmb", options["dsmb"] or ""), ("data_status", results.header.data_status))])
    content = _render(results, extension, options)
    response = HttpResponse(content, content_type=FORMATS[extension])
    name = f"{study.code}-{results.header.data_cutoff}-{results.header.analysis_set}.{extension}"
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


def _render(results, extension: str, options: dict) -> bytes | str:
    if extension == "json":
        return json.dumps(results.to_data(), ensure_ascii=False, indent=2, allow_nan=False)
    if extension == "pdf":
        from oncotrial.reports.pdf import render_trial_report_pdf

        return render_trial_report_pdf(results, options["lang"], options["dsmb"])
    return render_trial_report(results, options["lang"], options["dsmb"])
