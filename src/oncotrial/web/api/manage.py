"""Users and roles (administrators): the JSON twin of /manage/."""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.shortcuts import get_object_or_404
from ninja import Router

from oncotrial.web.api import responses as r
from oncotrial.web.api.responses import answers
from oncotrial.web.api.schemas import StrictSchema
from oncotrial.web.models import Membership, Site, Study
from oncotrial.web.services import accounts, queries

router = Router(tags=["manage"])


class UserIn(StrictSchema):
    username: str
    password: str
    full_name: str = ""
    email: str = ""


class GrantIn(StrictSchema):
    username: str
    role: str
    study: str = ""
    site: str = ""


class RevokeIn(StrictSchema):
    reason: str


@router.get("/users", response=answers(r.UsersOut), summary="Accounts and their roles")
def list_users(request):
    return {"ok": True, "users": queries.list_users(request.user)}


@router.post("/users", response=answers(r.UsersOut), summary="Create an account")
def create_user(request, payload: UserIn):
    accounts.create_user(request.user, how="api", **payload.dict())
    return {"ok": True, "users": queries.list_users(request.user)}


@router.post("/roles", response=answers(r.UsersOut), summary="Grant a role in a study, at a site or every site")
def grant_role(request, payload: GrantIn):
    queries.list_users(request.user)  # administrators only, before any lookup can reveal a user name
    user = get_object_or_404(get_user_model(), username=payload.username)
    study = get_object_or_404(Study, code=payload.study) if payload.study else None
    site = get_object_or_404(Site, code=payload.site) if payload.site else None
    accounts.grant_role(request.user, user, role=payload.role, study=study, site=site, how="api")
    return {"ok": True, "users": queries.list_users(request.user)}


@router.get("/access", response=answers(r.AccessEventsOut), summary="Recent sign-ins and account changes")
def access_events(request, limit: int = 50):
    return {"ok": True, "events": queries.recent_access_events(request.user, limit=max(1, min(limit, 1000)))}


@router.post("/users/{username}/deactivate", response=answers(r.UsersOut),
             summary="Deactivate an account for good (reason required)")
def deactivate_user(request, username: str, payload: RevokeIn):
    queries.list_users(request.user)
    user = get_object_or_404(get_user_model(), username=username, is_active=True)
    accounts.deactivate_user(request.user, user, reason=payload.reason, how="api")
    return {"ok": True, "users": queries.list_users(request.user)}


@router.post("/roles/{membership_id}/revoke", response=answers(r.UsersOut),
             summary="Revoke a role (reason required)")
def revoke_role(request, membership_id: int, payload: RevokeIn):
    queries.list_users(request.user)
    membership = get_object_or_404(Membership, pk=membership_id, active=True)
    accounts.revoke_role(request.user, membership, reason=payload.reason, how="api")
    return {"ok": True, "users": queries.list_users(request.user)}
