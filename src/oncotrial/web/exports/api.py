"""`GET /api/studies/{code}/exports/{format}?cutoff=&set=`: the export as a ZIP (files and
manifest.json with their SHA-256), for statistician, unblinded statistician, data manager and
administrator; audited. Importing this module mounts the router on the API (as the eCRF's does)."""

from __future__ import annotations

import datetime as dt

from ninja import Router

from oncotrial.web.api import api
from oncotrial.web.exports.service import export_study_files
from oncotrial.web.exports.views import zip_response
from oncotrial.web.services.queries import find_visible_study

router = Router(tags=["exports"])


@router.get("/{code}/exports/{format}", operation_id="study_export",
            summary="Standard exports (ADaM XPT / Dataset-JSON / CSV / define.xml, FHIR, ClinicalTrials.gov) as ZIP")
def study_export(request, code: str, format: str, cutoff: dt.date | None = None, set: str = "itt"):  # noqa: A002
    study = find_visible_study(request.user, code)
    files = export_study_files(request.user, study, format, cutoff=cutoff, analysis_set=set, how="api")
    return zip_response(study, format, files)


api.add_router("/studies", router)
