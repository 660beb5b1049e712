"""Administrators manage accounts and roles; every change goes through the audited services."""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from oncotrial.web.forms import GrantForm, RevokeForm, UserForm
from oncotrial.web.models import Membership, Role, Site, Study
from oncotrial.web.services import accounts, queries
from oncotrial.web.views.common import call_service, page


def _forms(request, user_form=None, grant_form=None):
    return {
        "users": queries.list_users(request.user),
        "access": queries.recent_access_events(request.user),
        "user_form": user_form or UserForm(),
        "grant_form": grant_form or GrantForm(users=get_user_model().objects.order_by("username"),
                                              roles=Role.choices, studies=Study.objects.all(),
                                              sites=Site.objects.all()),
        "revoke_form": RevokeForm(),
    }


@page
def manage(request):
    return render(request, "oncotrial/manage.html", _forms(request))


@page
@require_POST
def create_user(request):
    queries.list_users(request.user)  # administrators only
    form = UserForm(request.POST)
    if form.is_valid() and call_service(form, accounts.create_user, request.user, how="page", **form.cleaned_data):
        return redirect("manage")
    return render(request, "oncotrial/manage.html", _forms(request, user_form=form), status=400)


@page
@require_POST
def grant_role(request):
    queries.list_users(request.user)
    form = GrantForm(request.POST, users=get_user_model().objects.all(), roles=Role.choices,
                     studies=Study.objects.all(), sites=Site.objects.all())
    if form.is_valid():
        data = form.cleaned_data
        user = get_user_model().objects.get(username=data["user"])
        study = Study.objects.get(code=data["study"]) if data["study"] else None
        site = Site.objects.get(code=data["site"]) if data["site"] else None
        if call_service(form, accounts.grant_role, request.user, user, role=data["role"], study=study, site=site,
                        how="page"):
            return redirect("manage")
    return render(request, "oncotrial/manage.html", _forms(request, grant_form=form), status=400)


@page
@require_POST
def revoke_role(request, membership_id: int):
    queries.list_users(request.user)
    membership = get_object_or_404(Membership, pk=membership_id, active=True)
    form = RevokeForm(request.POST)
    if form.is_valid():
        accounts.revoke_role(request.user, membership, reason=form.cleaned_data["reason"], how="page")
        return redirect("manage")
    return render(request, "oncotrial/manage.html", _forms(request), status=400)


@page
@require_POST
def deactivate_user(request, username: str):
    queries.list_users(request.user)
    user = get_object_or_404(get_user_model(), username=username, is_active=True)
    form = RevokeForm(request.POST)
    if form.is_valid():
        accounts.deactivate_user(request.user, user, reason=form.cleaned_data["reason"], how="page")
        return redirect("manage")
    return render(request, "oncotrial/manage.html", _forms(request), status=400)


@page
def access_review(request):
    text = accounts.export_access_review(request.user, how="page")
    response = HttpResponse(text, content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="access-review.csv"'
    return response
