"""Studies: list, dashboard, worklist, audit trail and concealed upcoming allocations."""

from __future__ import annotations

import datetime as dt

from ninja import Router

from oncotrial.web.api import responses as r
from oncotrial.web.api.responses import answers
from oncotrial.web.services import calendars, queries, randomization
from oncotrial.web.services.permissions import memberships

router = Router(tags=["studies"])


@router.get("/", response=answers(r.StudiesOut), summary="Studies you hold a role in")
def list_studies(request):
    return {"ok": True, "studies": queries.list_studies(request.user),
            "user": request.user.username,
            "roles": [{"study": m.study.code if m.study else None, "site": m.site.code if m.site else None,
                       "role": m.role} for m in memberships(request.user)]}


@router.get("/{code}", response=answers(r.DashboardOut),
            summary="Study dashboard: enrolment against target, per site and per arm")
def study_dashboard(request, code: str):
    study = queries.find_visible_study(request.user, code)
    return {"ok": True, **queries.study_dashboard(request.user, study)}


@router.get("/{code}/worklist", response=answers(r.WorklistOut), summary="Due within 7 days and overdue, per subject")
def worklist(request, code: str, site: str = "", as_of: dt.date | None = None):
    study = queries.find_visible_study(request.user, code)
    return {"ok": True, **calendars.worklist(request.user, study, site=site, as_of=as_of)}


@router.get("/{code}/audit", response=answers(r.AuditOut), summary="Audit trail, filterable by subject, user and date")
def audit_trail(request, code: str, subject: str = "", user: str = "", date_from: dt.date | None = None,
                date_to: dt.date | None = None, limit: int = 500):
    study = queries.find_visible_study(request.user, code)
    rows = queries.list_audit(request.user, study, subject=subject, username=user, date_from=date_from,
                              date_to=date_to, limit=max(1, min(limit, 5000)))
    return {"ok": True, "rows": rows}


@router.get("/{code}/allocations", response=answers(r.AllocationsOut),
            summary="Upcoming allocations (unblinded statistician, administrator)")
def allocations(request, code: str):
    study = queries.find_visible_study(request.user, code)
    return {"ok": True, "strata": randomization.upcoming_allocations(request.user, study)}
