"""Store CTCAE terms read from a site's own NCI workbook (the bundled subset is loaded by a migration)."""

from __future__ import annotations

from django.db import transaction

from oncotrial.web.ecrf import models as m
from oncotrial.web.services.audit import record_audit


@transaction.atomic
def save_ctcae_terms(rows, *, version: str, source: str, how: str) -> tuple[int, int]:
    """Add or update terms (matched by version and term name); returns (added, updated)."""
    created = updated = 0
    for row in rows:
        _, was_created = m.CtcaeTerm.objects.update_or_create(
            version=version, term=row.term,
            defaults={"soc": row.soc, "grades": row.grades, "protocol_defined": row.protocol_defined,
                      "source": source})
        created, updated = created + was_created, updated + (not was_created)
    record_audit(action="ctcae_load", how=how, entity="ctcae_term", username="system",
                 changes=[{"field": f"CTCAE v{version}", "old": None,
                          "new": f"{created} added, {updated} updated from {source}"}])
    return created, updated


def ensure_bundled_terms() -> int:
    """Load the bundled CTCAE subset when the term table is empty (a database flushed by a test run
    or restored without data migrations); returns the number of terms added."""
    from oncotrial.web.ecrf.ctcae import read_bundled_terms

    if m.CtcaeTerm.objects.exists():
        return ensure_other_specify_terms()
    version, rows = read_bundled_terms()
    return save_ctcae_terms(rows, version=version, source="bundled", how="system")[0] + ensure_other_specify_terms()


def ensure_other_specify_terms(version: str = "5.0") -> int:
    """CTCAE's "<SOC> - Other, specify" term in every system organ class present (as migration
    ecrf 0005 adds them); returns the number added."""
    from oncotrial.web.ecrf.ctcae import OTHER_SPECIFY_GRADES

    added = 0
    for soc in sorted(set(m.CtcaeTerm.objects.filter(version=version).values_list("soc", flat=True))):
        added += m.CtcaeTerm.objects.get_or_create(
            version=version, term=f"{soc} - Other, specify",
            defaults={"soc": soc, "grades": OTHER_SPECIFY_GRADES, "source": "bundled"})[1]
    return added
