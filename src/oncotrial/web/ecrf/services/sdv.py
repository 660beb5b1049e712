"""Source data verification by the monitor, per record or per field; a verification drops as soon
as the verified data change (edc-systems.md §1c: SDV reset when data change)."""

from __future__ import annotations

from django.db import transaction

from oncotrial.errors import InvalidInput
from oncotrial.web.ecrf import models as m
from oncotrial.web.ecrf.services.common import (
    VERIFIERS,
    compute_data_hash,
    find_record,
    now,
    require_any,
    snapshot,
)
from oncotrial.web.ecrf.specs import FORMS
from oncotrial.web.services.audit import record_audit


def verified_hash(form: str, record, field: str = "") -> str:
    data = snapshot(form, record)
    return compute_data_hash(data if not field else {field: data.get(field)})


@transaction.atomic
def verify_source(user, subject, *, form: str, record_id: int, field: str = "",
                  how: str = "page") -> m.SourceVerification:
    membership = require_any(user, subject, VERIFIERS, "verify source data")
    record = find_record(form, record_id, subject)
    if field and field not in FORMS[form].field_names:
        raise InvalidInput(f"{field!r} is not a field of {FORMS[form].label}", field="field")
    verification = m.SourceVerification.objects.create(
        subject=subject, form=form, record_id=record.pk, field=field,
        data_hash=verified_hash(form, record, field), verified_by=user, verified_at=now(),
        protocol_version=subject.study.current_version())
    record_audit(user=user, role=membership.role, action="sdv", how=how, entity=form,
                 entity_id=record.pk, study=subject.study, site=subject.site, subject=subject,
                 changes=[{"field": field or "(whole form)", "old": None, "new": "verified"}])
    return verification


def drop_changed_verifications(subject, form: str, record, *, how: str) -> int:
    """Drop every live verification of `record` whose data no longer hash the same."""
    dropped = 0
    for verification in m.SourceVerification.objects.filter(
            form=form, record_id=record.pk, dropped_at__isnull=True):
        if verification.data_hash != verified_hash(form, record, verification.field):
            verification.dropped_at = now()
            verification.save(update_fields=["dropped_at"])
            record_audit(user=None, role="system", action="sdv_drop", how=how, entity=form,
                         entity_id=record.pk, study=subject.study, site=subject.site, subject=subject,
                         changes=[{"field": verification.field or "(whole form)", "old": "verified",
                                   "new": "dropped: data changed"}])
            dropped += 1
    return dropped


def verification_status(form: str, record) -> dict:
    """{'form': bool, 'fields': [...], 'dropped': n} for one record."""
    rows = m.SourceVerification.objects.filter(form=form, record_id=record.pk)
    live = [row for row in rows if row.dropped_at is None]
    return {"form": any(not row.field for row in live),
            "fields": sorted({row.field for row in live if row.field}),
            "dropped": sum(1 for row in rows if row.dropped_at is not None)}
