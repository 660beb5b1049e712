"""SDTM oncology findings (SDTMIG 3.4 / spec standards.md §2.2–§2.3): TU (each lesion once, at
identification), TR (every measurement or state, per lesion and assessment) and RS (the RECIST 1.1
timepoint responses: TRGRESP, NTRGRESP, NEWLIND, NEWLPROG, OVRLRESP). TU and TR are the eCRF's
lesion rows as entered; RS holds the domain's timepoint responses, derived from those rows exactly
as the analysis reads them (origin Derived). --LNKID links TU to TR, --LNKGRP links TR to RS."""

from __future__ import annotations

from .adrs import RESP
from .adtte import _study_day
from .bundle import ExportStudy
from .model import NY, CodeList, Dataset, Variable, build_dataset
from .sdtm_design import EPOCH, epoch_of, reference_start, visit_numbers
from .sdtm_events import _key_variables, _keys

METHODS = {"CT": "CT SCAN", "MRI": "MRI", "PET-CT": "PET/CT SCAN", "CALIPER": "CALIPER", "X-RAY": "X-RAY",
           "US": "ULTRASOUND", "ENDOSCOPY": "ENDOSCOPY"}
METHOD = CodeList("METHOD", "Method", tuple((v, v.title()) for v in METHODS.values()), nci="C85492")
TUMIDENT = CodeList("TURESULT", "Tumor Identification Result",
                    (("TARGET", "Target"), ("NON-TARGET", "Non-target"), ("NEW", "New")))
STATES = {"absent": "ABSENT", "present": "PRESENT", "unequivocal_progression": "UNEQUIVOCAL PROGRESSION"}
NEW_STATES = {"equivocal": "PRESENT", "unequivocal": "PRESENT", "resolved": "ABSENT"}
RS_TESTS = {"TRGRESP": "Target Response", "NTRGRESP": "Non-target Response", "NEWLIND": "New Lesion Indicator",
            "NEWLPROG": "New Lesion Progression", "OVRLRESP": "Overall Response"}
RSTESTCD = CodeList("RSTESTCD", "Oncology Response Assessment Test Code", tuple(RS_TESTS.items()))
SKIPPED = {"NA", "NO_ASSESSMENT", ""}
ND = CodeList("ND", "Not Done", (("NOT DONE", "Not done"),), nci="C66789")


def _visit_variables(domain: str) -> list[Variable]:
    return [Variable("VISITNUM", "Visit Number", "integer", origin="Assigned", method="order of the subject's "
                     "assessments: 1 baseline, k+1 the k-th assessment after it (as in TV)"),
            Variable("VISIT", "Visit Name", origin="Assigned"),
            Variable("EPOCH", "Epoch", codelist="EPOCH", origin="Assigned"),
            Variable(f"{domain}DTC", "Date/Time of Tumor Measurement" if domain == "TR" else
                     ("Date/Time of Assessment" if domain == "RS" else "Date/Time of Tumor Identification"),
                     origin="Collected"),
            Variable(f"{domain}DY", "Study Day of Visit/Collection/Exam", "integer",
                     method="--DTC - DM.RFSTDTC + 1 on and after it, --DTC - DM.RFSTDTC before (no day 0)")]


def _visit_values(study, numbers, domain, sid, visit, day) -> dict:
    number, name = numbers.get((sid, visit), (None, visit.upper()))
    return {"VISITNUM": number, "VISIT": name, "EPOCH": epoch_of(study, sid, day),
            f"{domain}DTC": day.isoformat() if day else "", f"{domain}DY": _study_day(day, reference_start(study, sid))}


def _sequenced(study: ExportStudy, rows: list[tuple[str, dict]], domain: str) -> list[dict]:
    counters: dict[str, int] = {}
    out = []
    for sid, row in rows:
        counters[sid] = counters.get(sid, 0) + 1
        out.append({**_keys(study, domain, sid), f"{domain}SEQ": counters[sid], **row})
    return out


def _assessment_dates(study: ExportStudy) -> dict[tuple[str, str], object]:
    return {(a.subject_id, a.visit): a.date for a in study.records("assessments")}


def _first_visits(study: ExportStudy) -> dict[str, tuple[str, object]]:
    first = {}
    for a in sorted(study.records("assessments"), key=lambda a: (a.subject_id, a.date)):
        first.setdefault(a.subject_id, (a.visit, a.date))
    return first


def _tu_rows(study: ExportStudy) -> list[tuple[str, dict]]:
    first, dates, rows = _first_visits(study), _assessment_dates(study), []
    numbers = visit_numbers(study)
    for lesion in sorted(study.records("lesions"), key=lambda x: (x.subject_id, x.lesion_id)):
        visit, day = first.get(lesion.subject_id, ("", None))
        role = "TARGET" if str(lesion.role or "") == "target" else "NON-TARGET"
        rows.append((lesion.subject_id, _tu_row(study, lesion.subject_id, lesion.lesion_id, role, lesion.organ,
                                                lesion.location, lesion.method, visit, day, numbers)))
    seen = set()
    for new in sorted(study.records("new_lesions"), key=lambda x: (x.subject_id, dates.get((x.subject_id, x.visit))
                                                                   or x.scan_date or 0, x.lesion_id)):
        if (new.subject_id, new.lesion_id) not in seen:
            seen.add((new.subject_id, new.lesion_id))
            day = new.scan_date or dates.get((new.subject_id, new.visit))
            rows.append((new.subject_id, _tu_row(study, new.subject_id, new.lesion_id, "NEW", new.organ, "",
                                                 new.method, new.visit, day, numbers)))
    return rows


def _tu_row(study, sid, lesion_id, role, organ, location, method, visit, day, numbers) -> dict:
    return {"TULNKID": lesion_id, "TUTESTCD": "TUMIDENT", "TUTEST": "Tumor Identification", "TUORRES": role,
            "TUSTRESC": role, "TULOC": (organ or "").upper(), "TUSPLOC": location or "",
            "TUMETHOD": METHODS.get(str(method or ""), str(method or "").upper()), "TUEVAL": "INVESTIGATOR",
            **_visit_values(study, numbers, "TU", sid, visit, day)}


def export_tu(study: ExportStudy) -> Dataset:
    """TU: every target and non-target lesion at baseline, every new lesion where first seen."""
    variables = [*_key_variables("TU"), Variable("TULNKID", "Link ID", origin="Collected"),
                 Variable("TUTESTCD", "Tumor/Lesion ID Short Name", origin="Assigned"),
                 Variable("TUTEST", "Tumor/Lesion ID Test Name", origin="Assigned"),
                 Variable("TUORRES", "Tumor/Lesion ID Result", codelist="TURESULT", origin="Collected"),
                 Variable("TUSTRESC", "Tumor/Lesion ID Result Std. Format", codelist="TURESULT"),
                 Variable("TULOC", "Location of the Tumor/Lesion", origin="Collected"),
                 Variable("TUSPLOC", "Sponsor-Defined Location Detail", origin="Collected"),
                 Variable("TUMETHOD", "Method of Identification", codelist="METHOD", origin="Collected"),
                 Variable("TUEVAL", "Evaluator", origin="Assigned"), *_visit_variables("TU")]
    rows = _sequenced(study, _tu_rows(study), "TU")
    return build_dataset("TU", "Tumor/Lesion Identification", "FINDINGS", "One record per identified "
                         "tumor per subject per assessor", "Tabulation", ("STUDYID", "USUBJID", "TUSEQ"),
                         variables, rows, (TUMIDENT, METHOD, EPOCH))


def _size_row(size, test: str, name: str) -> dict:
    if size is None:
        return {"TRTESTCD": test, "TRTEST": name, "TRSTAT": "NOT DONE", "TRREASND": "not measured"}
    value = float(size)
    return {"TRTESTCD": test, "TRTEST": name, "TRORRES": f"{value:g}", "TRORRESU": "mm",
            "TRSTRESC": f"{value:g}", "TRSTRESN": value, "TRSTRESU": "mm"}


def _state_row(state: str) -> dict:
    if not state:
        return {"TRTESTCD": "TUMSTATE", "TRTEST": "Tumor State", "TRSTAT": "NOT DONE", "TRREASND": "not evaluated"}
    return {"TRTESTCD": "TUMSTATE", "TRTEST": "Tumor State", "TRORRES": state, "TRSTRESC": state}


def _tr_rows(study: ExportStudy) -> list[tuple[str, dict]]:
    dates, numbers = _assessment_dates(study), visit_numbers(study)
    nodes = {(x.subject_id, x.lesion_id): x.is_lymph_node for x in study.records("lesions")}
    found = []
    for m in study.records("measurements"):
        node = nodes.get((m.subject_id, m.lesion_id), False)
        test = ("LPERP", "Longest Perpendicular") if node else ("LDIAM", "Longest Diameter")
        found.append((m, "TARGET", _size_row(m.size if str(m.result) != "not_evaluated" else None, *test)))
    for n in study.records("non_target_statuses"):
        found.append((n, "NON-TARGET", _state_row(STATES.get(str(n.state), ""))))
    for n in study.records("new_lesions"):
        found.append((n, "NEW", _state_row(NEW_STATES.get(str(n.certainty), "PRESENT"))))
    rows = []
    for record, group, values in sorted(found, key=lambda f: (f[0].subject_id, dates.get((f[0].subject_id,
                                                                f[0].visit)) or f[0].scan_date, f[1], f[0].lesion_id)):
        day = record.scan_date or dates.get((record.subject_id, record.visit))
        number = numbers.get((record.subject_id, record.visit), (None, ""))[0]
        rows.append((record.subject_id, {"TRLNKID": record.lesion_id, "TRGRPID": group,
                                         "TRLNKGRP": f"A{number}" if number is not None else "", **values,
                                         "TREVAL": "INVESTIGATOR",
                                         **_visit_values(study, numbers, "TR", record.subject_id, record.visit, day)}))
    return rows


def export_tr(study: ExportStudy) -> Dataset:
    """TR: each target lesion's diameter (LDIAM; LPERP, the short axis, for a lymph node) and each
    non-target and new lesion's state (TUMSTATE) at every assessment; sums stay in ADTR."""
    variables = [*_key_variables("TR"), Variable("TRGRPID", "Group ID", origin="Assigned"),
                 Variable("TRLNKID", "Link ID", origin="Collected"),
                 Variable("TRLNKGRP", "Link Group ID", origin="Assigned", method="A + VISITNUM: links an "
                          "assessment's TR records to its RS records"),
                 Variable("TRTESTCD", "Tumor/Lesion Assessment Short Name", origin="Assigned"),
                 Variable("TRTEST", "Tumor/Lesion Assessment Test Name", origin="Assigned"),
                 Variable("TRORRES", "Result or Finding in Original Units", origin="Collected"),
                 Variable("TRORRESU", "Original Units", origin="Collected"),
                 Variable("TRSTRESC", "Character Result/Finding in Std Format"),
                 Variable("TRSTRESN", "Numeric Result/Finding in Standard Units", "float"),
                 Variable("TRSTRESU", "Standard Units", origin="Assigned"),
                 Variable("TRSTAT", "Completion Status", codelist="ND", origin="Collected"),
                 Variable("TRREASND", "Reason Not Done", origin="Collected"),
                 Variable("TREVAL", "Evaluator", origin="Assigned"), *_visit_variables("TR")]
    return build_dataset("TR", "Tumor/Lesion Results", "FINDINGS", "One record per tumor measurement/"
                         "assessment per visit per subject per assessor", "Tabulation",
                         ("STUDYID", "USUBJID", "TRSEQ"), variables, _sequenced(study, _tr_rows(study), "TR"),
                         (ND, EPOCH))


def _rs_tests(tp) -> list[tuple[str, str]]:
    new = str(tp.new_lesion_status)
    tests = [("TRGRESP", str(tp.target_response_reported)), ("NTRGRESP", str(tp.non_target_response)),
             ("NEWLIND", "N" if new == "NONE" else "Y")]
    if new != "NONE":
        tests.append(("NEWLPROG", new))
    tests.append(("OVRLRESP", str(tp.response)))
    return [(code, value) for code, value in tests if value not in SKIPPED]


def _rs_rows(study: ExportStudy) -> list[tuple[str, dict]]:
    rows, numbers = [], visit_numbers(study)
    for tp in sorted(study.outcomes.timepoints, key=lambda t: (t.subject_id, t.assessment_date, t.visit)):
        number = numbers.get((tp.subject_id, tp.visit), (None, ""))[0]
        for code, value in _rs_tests(tp):
            rows.append((tp.subject_id, {
                "RSLNKGRP": f"A{number}" if number is not None else "", "RSTESTCD": code, "RSTEST": RS_TESTS[code],
                "RSCAT": "RECIST 1.1", "RSORRES": value, "RSSTRESC": value, "RSEVAL": "INVESTIGATOR",
                **_visit_values(study, numbers, "RS", tp.subject_id, tp.visit, tp.assessment_date)}))
    return rows


def export_rs(study: ExportStudy) -> Dataset:
    """RS: the RECIST 1.1 target, non-target, new-lesion and overall response of every assessment
    after baseline, as the domain derived them (best overall response stays in ADRS)."""
    method = "RECIST 1.1 timepoint response derived by oncotrial from the TR records of the assessment"
    variables = [*_key_variables("RS"), Variable("RSLNKGRP", "Link Group ID", origin="Assigned"),
                 Variable("RSTESTCD", "Assessment Short Name", codelist="RSTESTCD", origin="Assigned"),
                 Variable("RSTEST", "Assessment Name", origin="Assigned"),
                 Variable("RSCAT", "Category for Assessment", origin="Assigned"),
                 Variable("RSORRES", "Result or Finding in Original Units", method=method),
                 Variable("RSSTRESC", "Character Result/Finding in Std Format", method=method),
                 Variable("RSEVAL", "Evaluator", origin="Assigned"), *_visit_variables("RS")]
    return build_dataset("RS", "Disease Response and Clin Classification", "FINDINGS",
                         "One record per response assessment per visit per subject per assessor", "Tabulation",
                         ("STUDYID", "USUBJID", "RSSEQ"), variables, _sequenced(study, _rs_rows(study), "RS"),
                         (RSTESTCD, RESP, NY, EPOCH))
