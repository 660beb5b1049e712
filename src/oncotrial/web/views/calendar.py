"""Subject calendar and site worklist pages."""

from __future__ import annotations

from django.shortcuts import redirect, render
from django.utils.translation import gettext_lazy as _

from oncotrial.web.forms import EventForm
from oncotrial.web.models import EventKind
from oncotrial.web.services import calendars, events
from oncotrial.web.services.permissions import visible_sites
from oncotrial.web.services.queries import require_site_staff
from oncotrial.web.services.subjects import find_subject
from oncotrial.web.views.common import call_service, page, render_form, study_for, today


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


def _event_choices(protocol):
    items = []
    for intervention in protocol.interventions:
        items.append((intervention.id, f"{intervention.id}: {intervention.name}"))
        clocks = {regimen.clock_name for regimen in intervention.regimens}
        items += [(clock, f"{clock} (clock)") for clock in sorted(clocks) if clock != intervention.id]
        if intervention.procedure is not None and intervention.procedure.kind != intervention.id:
            items.append((intervention.procedure.kind, f"{intervention.procedure.kind} (procedure)"))
    regimens = [(r.id, f"{i.id}: {r.name}") for i in protocol.interventions for r in i.regimens]
    return items, regimens


@page
def event_new(request, code, identifier):
    study = study_for(request, code)
    subject = find_subject(request.user, study, identifier)
    require_site_staff(request.user, study, subject.site)
    items, regimens = _event_choices(study.current_version().protocol)
    form = EventForm(request.POST or None, kinds=EventKind.choices, items=items, regimens=regimens,
                     initial={"occurred_on": today()})
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        done = call_service(form, events.record_subject_event, request.user, subject, kind=data["kind"],
                            occurred_on=data["occurred_on"], item=data["item"], value=data["value"],
                            percent=data["percent"], end_on=data["end_on"], reason=data["reason"], how="page")
        if done is not None:
            return redirect("subject-calendar", study.code, subject.identifier)
    return render_form(request, "oncotrial/form_page.html",
                       {"study": study, "subject": subject, "title": _("Record an event")}, form)
