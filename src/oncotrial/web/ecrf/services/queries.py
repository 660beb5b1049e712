"""Queries: opened by a monitor or data manager (or by a failed edit check), answered by the site,
resolved by the opener's side and closed by the data manager; auto-queries close themselves when a
re-run of their check passes (edc-systems.md §3.4; clinicedc-lessons.md §6.1.6)."""

from __future__ import annotations

import re

from django.db import transaction

from oncotrial.errors import Conflict, InvalidInput
from oncotrial.web.ecrf import models as m
from oncotrial.web.ecrf.services.common import (
    QUERY_CLOSERS,
    QUERY_OPENERS,
    find_record,
    now,
    require_any,
    require_site_staff,
    require_subject_reader,
)
from oncotrial.web.services.audit import record_audit
from oncotrial.web.services.permissions import visible_sites

OPEN_STATES = (m.QueryStatus.OPEN, m.QueryStatus.ANSWERED, m.QueryStatus.RESOLVED)


def _audit(user, role, query, action, changes, how, reason=""):
    record_audit(user=user, role=role, action=action, how=how, entity="query", entity_id=query.pk,
                 study=query.subject.study, site=query.subject.site, subject=query.subject,
                 changes=changes, reason=reason)


def check_query_field(subject, form: str, field: str) -> None:
    """A query is about the whole record (no field) or one field the form has."""
    from oncotrial.web.ecrf.specs import FORMS, LESION_FIELDS

    allowed = list(FORMS[form].field_names) + (["lesions"] + [f"lesions.{f.name}" for f in LESION_FIELDS]
                                                 if form == "tumour_assessment" else [])
    row = re.fullmatch(r"lesions\[(\d{1,3})\]\.(\w+)", field or "")
    if row and form == "tumour_assessment" and f"lesions.{row.group(2)}" in allowed:
        return
    if field and field not in allowed:
        raise InvalidInput(f"subject {subject.identifier}: {field!r} is not a field of the "
                           f"{FORMS[form].label.lower()} form; allowed: {', '.join(allowed)} (or none for the "
                           "whole record)", field="field")


@transaction.atomic
def open_query(user, subject, *, form: str, record_id: int, text: str, field: str = "",
               assigned_to=None, how: str = "page") -> m.Query:
    membership = require_any(user, subject, QUERY_OPENERS, "open a query")
    find_record(form, record_id, subject)
    check_query_field(subject, form, field)
    if not (text or "").strip():
        raise InvalidInput("the query text is required", field="text",
                           hint="Say what is unclear and what the site should check.")
    query = m.Query.objects.create(subject=subject, form=form, record_id=record_id, field=field,
                                   text=text.strip(), opened_by=user, opened_at=now(),
                                   assigned_to=assigned_to,
                                   protocol_version=subject.study.current_version())
    _audit(user, membership.role, query, "query_open",
           [{"field": "status", "old": None, "new": "open"}, {"field": "text", "old": None, "new": query.text}],
           how)
    return query


@transaction.atomic
def answer_query(user, query: m.Query, *, answer: str, how: str = "page") -> m.Query:
    membership = require_site_staff(user, query.subject, "answer a query")
    _require_state(query, (m.QueryStatus.OPEN,), "answer")
    if not (answer or "").strip():
        raise InvalidInput("the answer is required", field="answer")
    query.status, query.answer = m.QueryStatus.ANSWERED, answer.strip()
    query.answered_by, query.answered_at = user, now()
    query.save()
    _audit(user, membership.role, query, "query_answer",
           [{"field": "status", "old": "open", "new": "answered"},
            {"field": "answer", "old": None, "new": query.answer}], how)
    return query


@transaction.atomic
def resolve_query(user, query: m.Query, *, how: str = "page") -> m.Query:
    membership = require_any(user, query.subject, QUERY_OPENERS, "resolve a query")
    _require_state(query, (m.QueryStatus.ANSWERED,), "resolve")
    query.status, query.resolved_at = m.QueryStatus.RESOLVED, now()
    query.save()
    _audit(user, membership.role, query, "query_resolve",
           [{"field": "status", "old": "answered", "new": "resolved"}], how)
    return query


@transaction.atomic
def close_query(user, query: m.Query, *, note: str = "", how: str = "page") -> m.Query:
    # The data manager closes any query; a monitor may withdraw (close) a query they opened while the
    # site has not answered it yet. An answered query is closed by the data manager (docs/ecrf.md).
    own = query.opened_by_id == user.pk and query.status == m.QueryStatus.OPEN
    roles = QUERY_OPENERS if own else QUERY_CLOSERS
    membership = require_any(user, query.subject, roles, "close a query")
    _require_state(query, OPEN_STATES, "close")
    old = query.status
    query.status, query.closed_by, query.closed_at, query.close_note = (
        m.QueryStatus.CLOSED, user, now(), note.strip())
    query.save()
    _audit(user, membership.role, query, "query_close",
           [{"field": "status", "old": old, "new": "closed"}], how)
    return query


@transaction.atomic
def reopen_query(user, query: m.Query, *, text: str, how: str = "page") -> m.Query:
    """Send an answered query back to the site with a follow-up question."""
    membership = require_any(user, query.subject, QUERY_OPENERS, "re-open a query")
    _require_state(query, (m.QueryStatus.ANSWERED, m.QueryStatus.RESOLVED), "re-open")
    if not (text or "").strip():
        raise InvalidInput("say why the query is re-opened", field="text")
    old = query.status
    query.status, query.text = m.QueryStatus.OPEN, f"{query.text}\n— {text.strip()}"
    query.save()
    _audit(user, membership.role, query, "query_reopen", [{"field": "status", "old": old, "new": "open"}], how)
    return query


def _require_state(query, allowed, verb: str) -> None:
    if query.status not in allowed:
        states = " or ".join(str(state) for state in allowed)
        raise Conflict(f"query {query.pk} is {query.status}; you can {verb} a query only while it is "
                       f"{states}", field="status")


def sync_check_queries(subject, form: str, record, failures, *, user=None, how: str = "system") -> None:
    """Open one query per failing query-level check and close the auto-queries that now pass.

    Called inside the saving transaction (and by ``oncotrial checks run``); the audit rows name the
    system as actor with the edit-check id."""
    failing = {f.check_id: f for f in failures if f.severity == "query"}
    existing = m.Query.objects.filter(subject=subject, form=form, record_id=record.pk,
                                      status__in=OPEN_STATES).exclude(check_id="")
    for query in existing:
        if query.check_id not in failing:
            query.status, query.closed_at = m.QueryStatus.CLOSED, now()
            query.close_note = f"closed automatically: check {query.check_id} now passes"
            query.save()
            _audit(None, "system", query, "query_close",
                   [{"field": "status", "old": "open", "new": "closed"}], how)
    already = {query.check_id for query in existing if query.check_id in failing}
    for check_id, failure in failing.items():
        if check_id in already:
            continue
        query = m.Query.objects.create(subject=subject, form=form, record_id=record.pk, field=failure.field,
                                       check_id=check_id, text=failure.message, opened_at=now(),
                                       protocol_version=subject.study.current_version())
        _audit(None, "system", query, "query_open",
               [{"field": "status", "old": None, "new": "open"},
                {"field": "text", "old": None, "new": failure.message}], how)


def find_assignee(study, username: str):
    """The user a query is assigned to: anyone holding an active role in the study."""
    from django.contrib.auth import get_user_model

    from oncotrial.web.services.permissions import find_role

    if not (username or "").strip():
        return None
    assignee = get_user_model().objects.filter(username=username.strip(), is_active=True).first()
    if assignee is None or find_role(assignee, study) is None:
        raise InvalidInput(f"user {username!r} holds no role in study {study.code}; a query can only "
                           "be assigned to study staff", field="assigned_to")
    return assignee


def list_queries(user, study, *, status: str = "", site=None, subject=None) -> list[dict]:
    """Queries the user may see, oldest first, with their age in days (per-site query lists;
    `site` is a Site or a site code)."""
    sites = visible_sites(user, study)
    if isinstance(site, str):
        site = sites.filter(code=site).first() if site else None
    found = m.Query.objects.filter(subject__study=study, subject__site__in=sites).select_related(
        "subject", "subject__site", "opened_by", "assigned_to")
    if status:
        found = found.filter(status=status)
    if site is not None:
        found = found.filter(subject__site=site)
    if subject is not None:
        require_subject_reader(user, subject)
        found = found.filter(subject=subject)
    moment = now()
    return [query_row(q, moment) for q in found.order_by("opened_at", "id")]


def query_row(query: m.Query, moment=None) -> dict:
    moment = moment or now()
    end = query.closed_at or moment
    return {
        "id": query.pk, "subject": query.subject.identifier, "site": query.subject.site.code,
        "form": query.form, "record_id": query.record_id, "field": query.field,
        "check_id": query.check_id, "text": query.text, "status": query.status,
        "opened_by": query.opened_by.username if query.opened_by else "system",
        "opened_at": query.opened_at.isoformat(), "age_days": (end - query.opened_at).days,
        "assigned_to": query.assigned_to.username if query.assigned_to else "",
        "answer": query.answer, "close_note": query.close_note,
    }


def find_query(user, study, query_id) -> m.Query:
    from oncotrial.errors import NotFound

    query = m.Query.objects.filter(pk=query_id, subject__study=study).select_related(
        "subject", "subject__site", "subject__study").first()
    if query is None or not visible_sites(user, study).filter(pk=query.subject.site_id).exists():
        raise NotFound(f"query {query_id} does not exist or is not visible to you", field="query")
    return query
