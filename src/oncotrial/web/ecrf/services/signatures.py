"""Electronic signatures (21 CFR 11.50 manifestation, 11.70 linking, 11.200 components).

The investigator re-enters the password; the signature stores the printed name, the UTC time and
the meaning, and the SHA-256 of a canonical snapshot of everything signed (the subject, the scope
and every record in it). It is valid only while the same data still hash to it, so any correction
invalidates it on the next read, and it cannot be moved to another subject or visit.
"""

from __future__ import annotations

from django.db import transaction

from oncotrial.errors import InvalidInput, PermissionDenied
from oncotrial.web.ecrf import models as m
from oncotrial.web.ecrf.services.common import (
    FORM_MODELS,
    SIGNERS,
    compute_data_hash,
    now,
    require_any,
    require_subject_reader,
    snapshot,
)
from oncotrial.web.models import AuditEvent
from oncotrial.web.services.audit import record_audit

SCOPES = ("visit", "casebook")
MEANINGS = {
    "visit": "Investigator review and approval of the data of this visit",
    "casebook": "Investigator review and approval of this subject's casebook",
}


def signed_data(subject, scope: str, visit: str = "") -> dict:
    """The canonical snapshot a signature covers."""
    data = {"subject": subject.identifier, "study": subject.study.code, "scope": scope, "visit": visit}
    if scope == "visit":
        data["records"] = [snapshot("tumour_assessment", a) for a in
                           m.TumourAssessment.objects.filter(subject=subject, visit=visit).order_by("id")]
    else:
        data["records"] = {form: [{"id": r.pk, **snapshot(form, r)} for r in
                                  model.objects.filter(subject=subject).order_by("id")]
                           for form, model in FORM_MODELS.items()}
    return data


def sign(user, subject, *, scope: str, password: str, visit: str = "", meaning: str = "",
         how: str = "page") -> m.Signature:
    """Sign a visit or the casebook; a wrong password is refused and the failed attempt audited."""
    membership = require_any(user, subject, SIGNERS, "sign")
    if scope not in SCOPES:
        raise InvalidInput(f"scope {scope!r} is not one of {', '.join(SCOPES)}", field="scope")
    if scope == "visit" and not m.TumourAssessment.objects.filter(subject=subject, visit=visit).exists():
        raise InvalidInput(f"visit {visit!r} has no data for subject {subject.identifier}", field="visit")
    check_signing_not_locked(user, membership, subject, how)
    if not password or not user.check_password(password):
        with transaction.atomic():
            record_audit(user=user, role=membership.role, action="signature_failed", how=how,
                         entity="signature", study=subject.study, site=subject.site, subject=subject,
                         changes=[{"field": "scope", "old": None, "new": f"{scope} {visit}".strip()}])
        raise PermissionDenied("the password does not match; the signature was not applied",
                               field="password", hint="Re-enter your own login password to sign.")
    return _apply(user, membership, subject, scope, visit, meaning, how)


class SigningLocked(PermissionDenied):
    """Too many wrong signature passwords in a row: signing waits for the cool-off (429)."""

    status = 429


def recent_signature_failures(user) -> int:
    """Wrong signature passwords by `user` since their last signature, within the cool-off."""
    from django.conf import settings

    since = now() - settings.AXES_COOLOFF_TIME
    last = (AuditEvent.objects.filter(user=user, action__in=("signature", "signature_unlocked"))
            .order_by("-sequence").values_list("occurred_at", flat=True).first())
    if last is not None and last > since:
        since = last
    return AuditEvent.objects.filter(user=user, action="signature_failed", occurred_at__gt=since).count()


def check_signing_not_locked(user, membership, subject, how: str) -> None:
    """After as many wrong passwords as a login may have (``ONCOTRIAL_LOCKOUT_FAILURES``), refuse
    signing, even with the right password, for ``ONCOTRIAL_LOCKOUT_MINUTES``; each refusal is
    audited (21 CFR 11.300(d): attempts at unauthorized use are detected and reported)."""
    from django.conf import settings

    failures = recent_signature_failures(user)
    if failures < settings.AXES_FAILURE_LIMIT:
        return
    with transaction.atomic():
        record_audit(user=user, role=membership.role, action="signature_locked", how=how, entity="signature",
                     study=subject.study, site=subject.site, subject=subject,
                     changes=[{"field": "failures", "old": None, "new": failures}])
    minutes = int(settings.AXES_COOLOFF_TIME.total_seconds() // 60)
    raise SigningLocked(f"signing is locked for {user.username} after {failures} wrong passwords; try again in "
                        f"{minutes} minutes", field="password",
                        hint="If you did not make these attempts, tell your study administrator.")


@transaction.atomic
def _apply(user, membership, subject, scope, visit, meaning, how) -> m.Signature:
    signature = m.Signature.objects.create(
        subject=subject, scope=scope, visit=visit if scope == "visit" else "",
        meaning=meaning.strip() or MEANINGS[scope],
        printed_name=user.get_full_name() or user.username, signed_by=user, signed_at=now(),
        data_hash=compute_data_hash(signed_data(subject, scope, visit)),
        protocol_version=subject.study.current_version())
    record_audit(user=user, role=membership.role, action="signature", how=how, entity="signature",
                 entity_id=signature.pk, study=subject.study, site=subject.site, subject=subject,
                 changes=[{"field": "meaning", "old": None, "new": signature.meaning},
                          {"field": "data_hash", "old": None, "new": signature.data_hash}])
    return signature


def is_valid(signature: m.Signature) -> bool:
    current = compute_data_hash(signed_data(signature.subject, signature.scope, signature.visit))
    return current == signature.data_hash


def list_signatures(user, subject) -> list[dict]:
    require_subject_reader(user, subject)
    return [signature_row(s) for s in m.Signature.objects.filter(subject=subject).select_related(
        "signed_by", "subject", "subject__study")]


def signature_row(signature: m.Signature) -> dict:
    valid = is_valid(signature)
    return {"id": signature.pk, "scope": signature.scope, "visit": signature.visit,
            "printed_name": signature.printed_name, "username": signature.signed_by.username,
            "signed_at": signature.signed_at.isoformat(), "meaning": signature.meaning,
            "data_hash": signature.data_hash, "valid": valid,
            "status": "valid" if valid else "invalid: the signed data have changed since signing"}
