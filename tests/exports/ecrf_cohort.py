"""The export cohort with its eCRF handed in as the web side does: the real form specs as the
design, a few records (a tumour assessment with lesion rows, a corrected AE, a con med) with
their audit entries, and a visit and a casebook signature."""

from __future__ import annotations

import dataclasses
import datetime as dt

from cohort import export_study

from oncotrial.exports.ecrf import AuditEntry, EcrfExport, FormRecord, SignatureEntry
from oncotrial.web.exports.ecrf_design import build_ecrf_design

AT = dt.datetime(2025, 3, 1, 8, 0, tzinfo=dt.UTC)
LESION = (("lesion_id", "T1"), ("kind", "target"), ("organ", "liver"), ("location", "segment 7"),
          ("is_lymph_node", False), ("axis", "long"), ("size_mm", "24.5"), ("result", "measured"),
          ("non_target_state", ""), ("certainty", ""), ("treated_by", "SBRT"))


def ecrf_records() -> tuple[FormRecord, ...]:
    created = AuditEntry("coordinator", AT, "create")
    return (
        FormRecord("01-001", "01", "tumour_assessment", "11", (
            ("visit", "W8"), ("date", "2025-03-04"), ("method", "CT"), ("is_baseline", False), ("cea", "3.2"),
            ("cea_uln", None), ("investigator_response", "PR"), ("comment", "")), (LESION,), (created,), "W8"),
        FormRecord("01-001", "01", "adverse_event", "21", (
            ("term", "Diarrhea"), ("grade", 3), ("start_date", "2025-01-17"), ("end_date", None),
            ("serious", True), ("serious_criterion", "hospitalisation")), (),
            (created, AuditEntry("investigator", AT + dt.timedelta(days=2), "update", "grade per source", ("grade",)))),
        FormRecord("01-002", "01", "con_med", "31", (("name", "Loperamide"), ("indication", "diarrhoea"),
                                                     ("dose_text", "2 mg PRN"), ("start_date", "2025-01-20"),
                                                     ("end_date", None)), (), (created,)),
        FormRecord("01-001", "01", "local_therapy", "41", (("kind", "SBRT"), ("date", "2025-01-14"),
                                                           ("lesion_ids", ["T1", "T2"]), ("dose_gy", "50"),
                                                           ("fractions", 5)), (), (created,)),
    )


def ecrf_signatures() -> tuple[SignatureEntry, ...]:
    return (SignatureEntry("01-001", "investigator", "Dr Li Wei", AT + dt.timedelta(days=3), "visit",
                           "Investigator review and approval of the data of this visit", "W8"),
            SignatureEntry("01-001", "investigator", "Dr Li Wei", AT + dt.timedelta(days=9), "casebook",
                           "Investigator review and approval of this subject's casebook"))


def ecrf_study(**changes):
    """The cohort's ExportStudy with the eCRF in extras."""
    study = export_study(**changes)
    ecrf = EcrfExport(build_ecrf_design(), ecrf_records(), ecrf_signatures())
    return dataclasses.replace(study, extras={"ecrf": ecrf})
