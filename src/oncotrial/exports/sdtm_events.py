"""SDTM interventions, visits and supplemental qualifiers (SDTMIG 3.4, spec standards.md §2.1–§2.2):
CM (concomitant medications and, under their own category, subsequent anticancer therapy), PR
(each ablation or SBRT course, SBRT dose in Gy), SV (the visits each subject had: screening and
every tumour assessment, numbered as TV numbers them) and the SUPP-- datasets for what the
standard domains have no variable for (SUPPAE: immune-related flag and causality per treatment;
SUPPPR: lesions treated, technique, fractions, technical success)."""

from __future__ import annotations

from .adtte import _study_day
from .bundle import ExportStudy
from .model import NY, Dataset, Variable, build_dataset, yes_no
from .records import LocalTherapySession
from .sdtm_design import EPOCH, SCREENING, epoch_of, reference_start, visit_numbers

PROCEDURES = {"MWA": "MICROWAVE ABLATION", "RFA": "RADIOFREQUENCY ABLATION",
              "SBRT": "STEREOTACTIC BODY RADIATION THERAPY"}
AE_SUPP = (("AEIMMREL", "Immune-Related Adverse Event"), ("AERELPD1", "Causality to Anti-PD-1"),
           ("AERELCHM", "Causality to Chemotherapy"), ("AERELPRC", "Causality to Ablation or SBRT"))
ATTRIBUTION_KEYS = {"AERELPD1": "anti-PD-1", "AERELCHM": "chemotherapy", "AERELPRC": "procedure"}
PR_SUPP = (("PRLESID", "Lesions Treated"), ("PRTECH", "Technique"), ("PRFRACN", "Number of Fractions"),
           ("PRTSUCC", "Technical Success"))


def _keys(study: ExportStudy, domain: str, sid: str) -> dict:
    return {"STUDYID": study.studyid, "DOMAIN": domain, "USUBJID": study.usubjid(sid)}


def _key_variables(domain: str) -> list[Variable]:
    return [Variable("STUDYID", "Study Identifier", origin="Assigned"),
            Variable("DOMAIN", "Domain Abbreviation", origin="Assigned"),
            Variable("USUBJID", "Unique Subject Identifier", origin="Assigned"),
            Variable(f"{domain}SEQ", "Sequence Number", "integer")]


def _iso(day) -> str:
    return day.isoformat() if day else ""


def _dates(study: ExportStudy, domain: str, sid: str, start, end) -> dict:
    reference = reference_start(study, sid)
    return {f"{domain}STDTC": _iso(start), f"{domain}ENDTC": _iso(end), f"{domain}STDY": _study_day(start, reference),
            f"{domain}ENDY": _study_day(end, reference), "EPOCH": epoch_of(study, sid, start)}


def _date_variables(domain: str, what: str) -> list[Variable]:
    day = "--DTC - DM.RFSTDTC + 1 on and after it, --DTC - DM.RFSTDTC before (no day 0)"
    return [Variable("EPOCH", "Epoch", codelist="EPOCH", method="epoch of the start date"),
            Variable(f"{domain}STDTC", f"Start Date/Time of {what}", origin="Collected"),
            Variable(f"{domain}ENDTC", f"End Date/Time of {what}", origin="Collected"),
            Variable(f"{domain}STDY", f"Study Day of Start of {what}", "integer", method=day),
            Variable(f"{domain}ENDY", f"Study Day of End of {what}", "integer", method=day)]


def _sequenced(study: ExportStudy, rows: list[tuple[str, dict]], domain: str) -> list[dict]:
    counters: dict[str, int] = {}
    out = []
    for sid, row in sorted(rows, key=lambda r: (r[0], r[1][f"{domain}STDTC"], r[1][f"{domain}SPID"])):
        counters[sid] = counters.get(sid, 0) + 1
        out.append({**_keys(study, domain, sid), f"{domain}SEQ": counters[sid], **row})
    return out


def _cm_rows(study: ExportStudy) -> list[tuple[str, dict]]:
    rows = [(c.subject_id, {"CMSPID": f"CM{c.record_id}", "CMTRT": c.name, "CMCAT": "CONCOMITANT MEDICATION",
                            "CMINDC": c.indication, "CMDOSTXT": c.dose_text,
                            **_dates(study, "CM", c.subject_id, c.start_date, c.end_date)})
            for c in study.records("con_meds")]
    rows += [(t.subject_id, {"CMSPID": f"NAT{n}", "CMTRT": t.description, "CMCAT": "SUBSEQUENT ANTICANCER THERAPY",
                             **_dates(study, "CM", t.subject_id, t.start_date, None)})
             for n, t in enumerate(study.records("new_therapies"), start=1)]
    return [(sid, row) for sid, row in rows if sid in study.facts_by_id]


def export_cm(study: ExportStudy) -> Dataset:
    """CM: concomitant medications as entered, and new anticancer therapy (CMCAT tells them apart)."""
    variables = [*_key_variables("CM"), Variable("CMSPID", "Sponsor-Defined Identifier", origin="Assigned"),
                 Variable("CMTRT", "Reported Name of Drug, Med, or Therapy", origin="Collected"),
                 Variable("CMCAT", "Category for Medication", origin="Assigned"),
                 Variable("CMINDC", "Indication", origin="Collected"),
                 Variable("CMDOSTXT", "Dose Description", origin="Collected"), *_date_variables("CM", "Medication")]
    return build_dataset("CM", "Concomitant/Prior Medications", "INTERVENTIONS", "One record per recorded "
                         "medication occurrence or constant-dosing interval per subject", "Tabulation",
                         ("STUDYID", "USUBJID", "CMSEQ"), variables, _sequenced(study, _cm_rows(study), "CM"), (EPOCH,))


def _sessions(study: ExportStudy) -> list:
    """The eCRF's local therapy sessions, or (without them) the derivation's procedures."""
    sessions = study.records("local_therapies")
    if sessions:
        return sessions
    return [LocalTherapySession(p.subject_id, p.procedure_id, p.kind, p.date, p.end_date, tuple(p.lesion_ids),
                                technical_success=p.technical_success) for p in study.records("procedures")]


def _pr_row(study: ExportStudy, s) -> dict:
    kind = str(s.kind).upper()
    return {"PRSPID": str(s.record_id), "PRTRT": PROCEDURES.get(kind, kind), "PRCAT": "LOCAL THERAPY",
            "PRDOSE": s.dose_gy if kind == "SBRT" else None, "PRDOSU": "Gy" if kind == "SBRT" and s.dose_gy else "",
            "PRLOC": "LIVER", **_dates(study, "PR", s.subject_id, s.date, s.end_date)}


def export_pr(study: ExportStudy) -> Dataset:
    """PR: one record per ablation or SBRT course (start = first fraction, end = last)."""
    rows = [(s.subject_id, _pr_row(study, s)) for s in _sessions(study) if s.subject_id in study.facts_by_id]
    variables = [*_key_variables("PR"), Variable("PRSPID", "Sponsor-Defined Identifier", origin="Assigned"),
                 Variable("PRTRT", "Reported Name of Procedure", origin="Collected"),
                 Variable("PRCAT", "Category", origin="Assigned"),
                 Variable("PRDOSE", "Dose", "float", origin="Collected"),
                 Variable("PRDOSU", "Dose Units", origin="Assigned"),
                 Variable("PRLOC", "Location of Procedure", origin="Protocol"), *_date_variables("PR", "Procedure")]
    return build_dataset("PR", "Procedures", "INTERVENTIONS", "One record per recorded procedure per occurrence "
                         "per subject", "Tabulation", ("STUDYID", "USUBJID", "PRSEQ"), variables,
                         _sequenced(study, rows, "PR"), (EPOCH,))


def _sv_rows(study: ExportStudy) -> list[dict]:
    visits = {(f.subject_id, SCREENING[0]): (SCREENING[1], f.screened_on) for f in study.facts if f.screened_on}
    dates = {(a.subject_id, a.visit): a.date for a in study.records("assessments")}
    for (sid, visit), (number, name) in visit_numbers(study).items():
        if sid in study.facts_by_id:
            visits[(sid, number)] = (name, dates[(sid, visit)])
    rows = []
    for (sid, number), (name, day) in sorted(visits.items()):
        rows.append({**_keys(study, "SV", sid), "VISITNUM": number, "VISIT": name,
                     "EPOCH": epoch_of(study, sid, day), "SVSTDTC": _iso(day), "SVENDTC": _iso(day),
                     "SVSTDY": _study_day(day, reference_start(study, sid))})
    return rows


def export_sv(study: ExportStudy) -> Dataset:
    """SV: every subject's screening visit and tumour assessments, as TV numbers them."""
    variables = [Variable("STUDYID", "Study Identifier", origin="Assigned"),
                 Variable("DOMAIN", "Domain Abbreviation", origin="Assigned"),
                 Variable("USUBJID", "Unique Subject Identifier", origin="Assigned"),
                 Variable("VISITNUM", "Visit Number", "integer", origin="Assigned"),
                 Variable("VISIT", "Visit Name", origin="Assigned"),
                 Variable("EPOCH", "Epoch", codelist="EPOCH", method="epoch of the visit date"),
                 Variable("SVSTDTC", "Start Date/Time of Visit", origin="Collected"),
                 Variable("SVENDTC", "End Date/Time of Visit", origin="Collected"),
                 Variable("SVSTDY", "Study Day of Start of Visit", "integer",
                          method="SVSTDTC - DM.RFSTDTC + 1 on and after it, SVSTDTC - DM.RFSTDTC before")]
    return build_dataset("SV", "Subject Visits", "SPECIAL PURPOSE", "One record per actual visit per subject",
                         "Tabulation", ("STUDYID", "USUBJID", "VISITNUM"), variables, _sv_rows(study), (EPOCH,))


def _supp_variables() -> list[Variable]:
    return [Variable("STUDYID", "Study Identifier", origin="Assigned"),
            Variable("RDOMAIN", "Related Domain Abbreviation", origin="Assigned"),
            Variable("USUBJID", "Unique Subject Identifier", origin="Assigned"),
            Variable("IDVAR", "Identifying Variable", origin="Assigned"),
            Variable("IDVARVAL", "Identifying Variable Value", origin="Assigned"),
            Variable("QNAM", "Qualifier Variable Name", origin="Assigned"),
            Variable("QLABEL", "Qualifier Variable Label", origin="Assigned"),
            Variable("QVAL", "Data Value", origin="Collected"),
            Variable("QORIG", "Origin", origin="Assigned"), Variable("QEVAL", "Evaluator", origin="Assigned")]


def _supp(study: ExportStudy, parent: Dataset, values: list[tuple[dict, str, str, str]]) -> Dataset:
    """SUPP-- of `parent`: (parent row, QNAM, QLABEL, QVAL) for every non-empty value."""
    domain = parent.name
    rows = [{"STUDYID": study.studyid, "RDOMAIN": domain, "USUBJID": row["USUBJID"], "IDVAR": f"{domain}SEQ",
             "IDVARVAL": str(row[f"{domain}SEQ"]), "QNAM": qnam, "QLABEL": qlabel, "QVAL": qval, "QORIG": "CRF",
             "QEVAL": "INVESTIGATOR"} for row, qnam, qlabel, qval in values if qval not in ("", None)]
    return build_dataset(f"SUPP{domain}", f"Supplemental Qualifiers for {domain}", "RELATIONSHIP",
                         "One record per supplemental qualifier per related parent domain record", "Tabulation",
                         ("STUDYID", "RDOMAIN", "USUBJID", "IDVAR", "IDVARVAL", "QNAM"), _supp_variables(), rows, (NY,))


def export_suppae(study: ExportStudy, ae: Dataset) -> Dataset:
    """SUPPAE: the immune-related flag and the causality to each treatment, per AE record."""
    events = {(e.subject_id, e.ae_id): e for e in study.records("adverse_events")}
    values = []
    for row in ae.records():
        event = events[(row["USUBJID"][len(study.studyid) + 1:], row["AESPID"])]
        qvals = {"AEIMMREL": yes_no(event.immune_related),
                 **{q: str(dict(event.attributions).get(k) or "").upper() for q, k in ATTRIBUTION_KEYS.items()}}
        values += [(row, qnam, label, qvals[qnam]) for qnam, label in AE_SUPP]
    return _supp(study, ae, values)


def export_supppr(study: ExportStudy, pr: Dataset) -> Dataset:
    """SUPPPR: lesions treated, technique, number of fractions and technical success per course."""
    sessions = {(s.subject_id, str(s.record_id)): s for s in _sessions(study)}
    values = []
    for row in pr.records():
        s = sessions[(row["USUBJID"][len(study.studyid) + 1:], row["PRSPID"])]
        qvals = {"PRLESID": " ".join(s.lesion_ids), "PRTECH": s.technique,
                 "PRFRACN": "" if s.fractions is None else str(s.fractions), "PRTSUCC": yes_no(s.technical_success)}
        values += [(row, qnam, label, qvals[qnam]) for qnam, label in PR_SUPP]
    return _supp(study, pr, values)
