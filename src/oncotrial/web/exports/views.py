"""The exports page (formats to download, for the roles that may) and the download itself: a ZIP
of the files with manifest.json; the API twin is `GET /api/studies/{code}/exports/{format}`."""

from __future__ import annotations

import datetime as dt

from django.http import HttpResponse
from django.shortcuts import render

from oncotrial.errors import InvalidInput
from oncotrial.web.exports.service import FORMAT_TITLES, export_study_files, require_exporter, zip_files
from oncotrial.web.views.common import page, study_for


def parse_cutoff(text: str | None) -> dt.date | None:
    if not text:
        return None
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise InvalidInput(f"cut-off {text!r} is not a date", field="cutoff", hint="write it as YYYY-MM-DD") from None


def zip_response(study, format: str, files: dict[str, bytes]) -> HttpResponse:  # noqa: A002
    response = HttpResponse(zip_files(files), content_type="application/zip")
    response["Content-Disposition"] = f'attachment; filename="{study.code}-{format}.zip"'
    return response


@page
def exports_page(request, code):
    study = study_for(request, code)
    require_exporter(request.user, study)
    return render(request, "oncotrial/exports.html", {"study": study, "formats": FORMAT_TITLES.items()})


@page
def export_download(request, code, format):  # noqa: A002
    study = study_for(request, code)
    files = export_study_files(request.user, study, format, cutoff=parse_cutoff(request.GET.get("cutoff")),
                               analysis_set=request.GET.get("set", "itt"), how="page")
    return zip_response(study, format, files)
