"""CSV export of the audit trail; the export itself is an audited event (21 CFR 11.10(b))."""

from __future__ import annotations

import io
import json

from django.db import transaction

from oncotrial.web.services.audit import record_audit
from oncotrial.web.services.csv_cells import safe_csv_writer
from oncotrial.web.services.permissions import AUDIT_READERS, require_role
from oncotrial.web.services.queries import AUDIT_COLUMNS, list_audit


@transaction.atomic
def export_audit_csv(user, study, *, how: str = "page", **filters) -> str:
    membership = require_role(user, study, None, AUDIT_READERS, "export the audit trail")
    rows = list_audit(user, study, limit=None, **filters)
    out = io.StringIO()
    writer = safe_csv_writer(out)
    writer.writerow(AUDIT_COLUMNS)
    for row in rows:
        writer.writerow([json.dumps(row[c], ensure_ascii=False) if c == "changes" else row[c]
                         for c in AUDIT_COLUMNS])
    described = {key: str(value) for key, value in filters.items() if value}
    record_audit(user=user, role=membership.role, action="export", how=how, entity="audit_trail",
                 study=study, changes=[{"field": "rows", "old": None, "new": len(rows)},
                                       {"field": "filters", "old": None, "new": described}])
    return out.getvalue()
