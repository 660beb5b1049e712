"""What the exports read beside the analysis records: the eCRF's concomitant medications and the
detail of each local therapy session, as the plain values of `oncotrial.exports.records`."""

from __future__ import annotations

from oncotrial.exports.records import ConMedication, LocalTherapySession
from oncotrial.web.ecrf import models as m


def load_export_tables(study) -> dict[str, list]:
    """`con_meds` and `local_therapies` of every subject of `study`, by subject identifier."""
    con_meds = [ConMedication(c.subject.identifier, str(c.pk), c.name, c.start_date, c.end_date, c.indication,
                              c.dose_text)
                for c in m.ConMed.objects.filter(subject__study=study).select_related("subject")]
    sessions = [LocalTherapySession(t.subject.identifier, f"LT{t.pk}", t.kind, t.date, t.end_date,
                                    tuple(t.lesion_ids), t.technique, t.technical_success,
                                    float(t.dose_gy) if t.dose_gy is not None else None, t.fractions)
                for t in m.LocalTherapy.objects.filter(subject__study=study).select_related("subject")]
    return {"con_meds": con_meds, "local_therapies": sessions}
