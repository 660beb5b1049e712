"""Study list, study dashboard, concealed allocation list and the public study information page."""

from __future__ import annotations

from django.shortcuts import get_object_or_404, render

from oncotrial.web.models import Study
from oncotrial.web.services import queries, randomization
from oncotrial.web.services.permissions import is_administrator
from oncotrial.web.services.public import public_study_info
from oncotrial.web.views.common import page, study_for


@page
def study_list(request):
    return render(request, "oncotrial/study_list.html", {"studies": queries.list_studies(request.user),
                                                         "is_administrator": is_administrator(request.user)})


@page
def study_dashboard(request, code):
    study = study_for(request, code)
    dashboard = queries.study_dashboard(request.user, study)
    percent = round(100 * dashboard["enrolled"] / dashboard["target"]) if dashboard["target"] else 0
    return render(request, "oncotrial/study_dashboard.html",
                  {"study": study, "dashboard": dashboard, "percent": min(percent, 100)})


@page
def allocations(request, code):
    study = study_for(request, code)
    upcoming = randomization.upcoming_allocations(request.user, study)
    return render(request, "oncotrial/allocations.html", {"study": study, "strata": upcoming})


def public_study(request, code):
    """No login: the registry-style information page, with its not-medical-advice notice."""
    study = get_object_or_404(Study, code=code)
    return render(request, "oncotrial/public_study.html", {"info": public_study_info(study)})
