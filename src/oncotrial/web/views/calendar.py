"""Subject calendar and site worklist pages."""

from __future__ import annotations

from django.shortcuts import render

from oncotrial.web.services import calendars
from oncotrial.web.services.permissions import visible_sites
from oncotrial.web.services.subjects import find_subject
from oncotrial.web.views.common import page, study_for


@page
def subject_calendar(request, code, identifier):
    study = study_for(request, code)
    subject = find_subject(request.user, study, identifier)
    calendar = calendars.subject_calendar(request.user, study, identifier)
    return render(request, "oncotrial/calendar.html", {"study": study, "subject": subject, "calendar": calendar})


@page
def worklist(request, code):
    study = study_for(request, code)
    site = request.GET.get("site", "")
    data = calendars.worklist(request.user, study, site=site)
    return render(request, "oncotrial/worklist.html", {"study": study, "worklist": data, "site_filter": site,
                                                        "sites": visible_sites(request.user, study)})
