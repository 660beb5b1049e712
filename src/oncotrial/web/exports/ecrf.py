"""The study's eCRF as the exports read it (ODM, REDCap): the design from the form specs, every
record with its values (the SDV / signature snapshot: JSON-native, lesion rows included) and its
audit-trail entries, and every e-signature with whether it still matches the data it signed."""

from __future__ import annotations

from oncotrial.exports.ecrf import AuditEntry, EcrfExport, FormRecord, SignatureEntry
from oncotrial.web.ecrf import models as m
from oncotrial.web.ecrf.services.common import FORM_MODELS, snapshot
from oncotrial.web.ecrf.services.signatures import is_valid
from oncotrial.web.exports.ecrf_design import build_ecrf_design
from oncotrial.web.models import AuditEvent


def _audit_entries(study) -> dict[tuple[str, str], list[AuditEntry]]:
    found: dict[tuple[str, str], list[AuditEntry]] = {}
    for event in AuditEvent.objects.filter(study_code=study.code, entity__in=list(FORM_MODELS),
                                           action__in=("create", "update")).order_by("sequence"):
        entry = AuditEntry(event.username, event.occurred_at, event.action, event.reason,
                           tuple(str(c.get("field", "")) for c in event.changes or ()))
        found.setdefault((event.entity, event.entity_id), []).append(entry)
    return found


def _record(form: str, row, audit) -> FormRecord:
    data = snapshot(form, row)
    lesions = data.pop("lesions", [])
    return FormRecord(row.subject.identifier, row.subject.site.code, form, str(row.pk), tuple(data.items()),
                      tuple(tuple(lesion.items()) for lesion in lesions), tuple(audit.get((form, str(row.pk)), ())),
                      getattr(row, "visit", "") if form == "tumour_assessment" else "")


def _signature(row: m.Signature) -> SignatureEntry:
    return SignatureEntry(row.subject.identifier, row.signed_by.username, row.printed_name, row.signed_at,
                          row.scope, row.meaning, row.visit, is_valid(row))


def load_ecrf_export(study) -> EcrfExport:
    """Design, records (by form, then subject and id) and signatures of `study`."""
    audit = _audit_entries(study)
    records = []
    for form, model in FORM_MODELS.items():
        rows = model.objects.filter(subject__study=study).select_related("subject__site").order_by("subject_id", "id")
        records += [_record(form, row, audit) for row in rows]
    signatures = m.Signature.objects.filter(subject__study=study).select_related("subject", "signed_by")
    return EcrfExport(build_ecrf_design(), tuple(records), tuple(_signature(s) for s in signatures))
