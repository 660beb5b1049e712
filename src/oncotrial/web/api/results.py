"""Analysis results (issue 11): the JSON twin of the results pages and of `oncotrial report
--format json`. Statistician, unblinded statistician, DSMB and administrator only; every read is
audited."""

from __future__ import annotations

import datetime as dt

from ninja import Router

from oncotrial.web.analysis.service import study_results
from oncotrial.web.api.responses import ResultsOut, answers
from oncotrial.web.services.queries import find_visible_study

router = Router(tags=["results"])


@router.get("/{code}/results", operation_id="study_results", response=answers(ResultsOut),
            summary="Analysis results at a data cut-off for one analysis set (the report as JSON)")
def results(request, code: str, cutoff: dt.date | None = None, set: str = "itt"):  # noqa: A002
    study = find_visible_study(request.user, code)
    found = study_results(request.user, study, cutoff=cutoff, analysis_set=set, how="api")
    return {"ok": True, **found.to_data()}
