"""Locks on a form record, a visit, a subject or the whole study (database lock for analysis).

Locked data cannot be changed through pages or the API: every save calls `check_not_locked`.
Unlocking needs a reason and is audited."""

from __future__ import annotations

from django.db import transaction
from django.utils.translation import gettext

from oncotrial.errors import Conflict, InvalidInput, NotFound
from oncotrial.web.ecrf import models as m
from oncotrial.web.ecrf.services.common import LOCKERS, active_locks, find_record, now, require_any
from oncotrial.web.services.audit import record_audit
from oncotrial.web.services.permissions import require_role

LEVELS = ("form", "visit", "subject", "study")


@transaction.atomic
def lock(user, study, *, level: str, subject=None, visit: str = "", form: str = "", record_id=None,
         how: str = "page") -> m.Lock:
    if level not in LEVELS:
        raise InvalidInput(f"lock level {level!r} is not one of {', '.join(LEVELS)}", field="level")
    if level == "study":
        membership = require_role(user, study, None, LOCKERS, "lock the study database")
        subject = None
    else:
        if subject is None:
            raise InvalidInput(f"a {level} lock needs a subject", field="subject")
        membership = require_any(user, subject, LOCKERS, f"lock a {level}")
    if level == "visit" and not visit:
        raise InvalidInput("a visit lock needs the visit", field="visit")
    if level == "form":
        find_record(form, record_id, subject)
    duplicate = active_locks(subject, study).filter(level=level, visit=visit, form=form, record_id=record_id)
    if duplicate.exists():
        raise Conflict(f"this {level} is already locked", field="level")
    item = m.Lock.objects.create(study=study, level=level, subject=subject, visit=visit, form=form,
                                 record_id=record_id, locked_by=user, locked_at=now(),
                                 protocol_version=study.current_version())
    record_audit(user=user, role=membership.role, action="lock", how=how, entity="lock", entity_id=item.pk,
                 study=study, site=subject.site if subject else None, subject=subject,
                 changes=[{"field": "level", "old": None, "new": level},
                          {"field": "target", "old": None, "new": visit or form or ""}])
    return item


@transaction.atomic
def unlock(user, item: m.Lock, *, reason: str, how: str = "page") -> m.Lock:
    if item.subject is None:
        membership = require_role(user, item.study, None, LOCKERS, "unlock the study database")
    else:
        membership = require_any(user, item.subject, LOCKERS, "unlock")
    if item.unlocked_at is not None:
        raise Conflict(gettext("this lock was already released"), field="lock")
    if not (reason or "").strip():
        raise InvalidInput(gettext("a reason is required to unlock"), field="reason",
                           hint=gettext("e.g. 'query 12: site corrects the W8 date'"))
    item.unlocked_by, item.unlocked_at, item.unlock_reason = user, now(), reason.strip()
    item.save()
    record_audit(user=user, role=membership.role, action="unlock", how=how, entity="lock",
                 entity_id=item.pk, study=item.study, site=item.subject.site if item.subject else None,
                 subject=item.subject, reason=item.unlock_reason,
                 changes=[{"field": "locked", "old": True, "new": False}])
    return item


def find_lock(lock_id) -> m.Lock:
    item = m.Lock.objects.filter(pk=lock_id).select_related("subject", "study").first()
    if item is None:
        raise NotFound(f"lock {lock_id} does not exist", field="lock")
    return item


def lock_row(item: m.Lock) -> dict:
    return {"id": item.pk, "level": item.level, "visit": item.visit, "form": item.form,
            "record_id": item.record_id, "subject": item.subject.identifier if item.subject else "",
            "locked_by": item.locked_by.username, "locked_at": item.locked_at.isoformat(),
            "active": item.unlocked_at is None, "unlock_reason": item.unlock_reason}
