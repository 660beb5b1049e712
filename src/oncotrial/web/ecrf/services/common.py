"""Shared pieces of the eCRF services: which model holds which form, who may do what, snapshots
and their SHA-256 hashes (for SDV and signatures), and the lock check every write passes."""

from __future__ import annotations

import hashlib
import json
from decimal import Decimal

from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext

from oncotrial.errors import Conflict, NotFound
from oncotrial.web.ecrf import models as m
from oncotrial.web.ecrf.specs import FORMS
from oncotrial.web.models import Role
from oncotrial.web.services.audit import to_audit_value
from oncotrial.web.services.permissions import SITE_STAFF, find_role, require_role, visible_sites

FORM_MODELS = {name: getattr(m, spec.model) for name, spec in FORMS.items()}
QUERY_OPENERS = frozenset({Role.MONITOR, Role.DATA_MANAGER, Role.ADMINISTRATOR})
QUERY_CLOSERS = frozenset({Role.DATA_MANAGER, Role.ADMINISTRATOR})
VERIFIERS = frozenset({Role.MONITOR, Role.ADMINISTRATOR})
SIGNERS = frozenset({Role.INVESTIGATOR})
LOCKERS = frozenset({Role.DATA_MANAGER, Role.ADMINISTRATOR})


def now():
    return timezone.now()


def require_subject_reader(user, subject):
    """The membership that lets `user` see `subject`; a subject at a site they cannot see is
    reported as not found, so its existence is not revealed."""
    membership = find_role(user, subject.study, subject.site)
    if membership is None or not visible_sites(user, subject.study).filter(pk=subject.site_id).exists():
        raise NotFound(f"subject {subject.identifier} does not exist or is not visible to you",
                       field="subject")
    return membership


def require_site_staff(user, subject, action: str):
    require_subject_reader(user, subject)
    return require_role(user, subject.study, subject.site, SITE_STAFF, action)


def require_any(user, subject, roles, action: str):
    require_subject_reader(user, subject)
    return require_role(user, subject.study, subject.site, roles, action)


def find_record(form: str, record_id, subject=None, *, for_update: bool = False):
    if form not in FORM_MODELS:
        raise NotFound(f"form {form!r} does not exist; forms: {', '.join(FORMS)}", field="form")
    found = FORM_MODELS[form].objects.filter(pk=record_id)
    record = (found.select_for_update() if for_update else found.select_related("subject")).first()
    if record is None or (subject is not None and record.subject_id != subject.pk):
        raise NotFound(f"{FORMS[form].label} {record_id} does not exist", field="record_id")
    return record


def snapshot(form: str, record) -> dict:
    """Every field of a record as JSON-native values (lesion rows included for assessments)."""
    data = {name: plain_value(getattr(record, name)) for name in FORMS[form].field_names}
    if form == "tumour_assessment":
        data["lesions"] = [lesion_snapshot(row) for row in record.lesions.order_by("lesion_id")]
    return data


def plain_value(value):
    """A JSON-native value that is the same before and after a database round trip (261.6 and
    261.60 are one number), so hashes of saved and re-read records agree."""
    if isinstance(value, Decimal | int | float) and not isinstance(value, bool):
        return format(Decimal(str(value)).normalize(), "f")
    return to_audit_value(value)


def lesion_snapshot(row) -> dict:
    from oncotrial.web.ecrf.specs import LESION_FIELDS

    return {f.name: plain_value(getattr(row, f.name)) for f in LESION_FIELDS}


def compute_data_hash(data) -> str:
    """SHA-256 of a canonical JSON form of `data` (sorted keys, no spaces)."""
    text = json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)
    return hashlib.sha256(text.encode()).hexdigest()


def record_visit(form: str, record) -> str:
    """The visit a record belongs to, for visit locks and visit signatures."""
    if form == "tumour_assessment":
        return record.visit
    return ""


def active_locks(subject=None, study=None):
    study = study or subject.study
    found = m.Lock.objects.filter(study=study, unlocked_at__isnull=True)
    if subject is None:
        return found.filter(level="study")
    return found.filter(Q(level="study") | Q(subject=subject))


def check_not_locked(subject, form: str, record=None, visit: str = "") -> None:
    """Raise Conflict when the study, the subject, the visit or the record itself is locked."""
    for lock in active_locks(subject):
        if lock.level in ("study", "subject"):
            hit = True
        elif lock.level == "visit":
            hit = bool(visit) and lock.visit == visit
        else:
            hit = record is not None and lock.form == form and lock.record_id == record.pk
        if hit:
            raise Conflict(gettext("%(what)s is locked since %(when)s UTC; locked data cannot be changed")
                           % {"what": _locked_what(lock, subject, form),
                              "when": f"{lock.locked_at:%Y-%m-%d %H:%M}"}, field="lock",
                           hint=gettext("Ask a data manager to unlock it, giving a reason."))


def _locked_what(lock, subject, form: str) -> str:
    # Messages are translated here, in the request's language (the web layer), not in the domain.
    if lock.level == "study":
        return gettext("study %(code)s") % {"code": subject.study.code}
    if lock.level == "subject":
        return gettext("subject %(identifier)s") % {"identifier": subject.identifier}
    if lock.level == "visit":
        return gettext("visit %(visit)s") % {"visit": lock.visit}
    return gettext("this %(form)s") % {"form": gettext(FORMS[form].label).lower()}


def check_revision(form: str, record, expected_revision) -> None:
    """Refuse a correction made on a stale copy: someone saved the record since it was opened."""
    if record is None or expected_revision in (None, ""):
        return
    if int(expected_revision) != record.revision:
        raise Conflict(gettext("%(form)s %(id)s was changed by %(user)s since you opened it "
                               "(revision %(revision)s, you had %(expected)s)")
                       % {"form": gettext(FORMS[form].label), "id": record.pk,
                          "user": record.updated_by.username, "revision": record.revision,
                          "expected": expected_revision},
                       field="revision", hint=gettext("Reload the page, check the new values and correct again."))
