"""ADTTE and ADAE (ADaM BDS and OCCDS, spec standards.md §3.3, §3.4).

ADTTE has one row per subject and parameter (PFS, OS, DOR, TTR, LC local control, IPFS when
derived, DORCR); STARTDT, ADT, AVAL (days, ADT − STARTDT + 1), CNSR (0 event, ≥ 1 censored with
the domain's reason codes), EVNTDESC / CNSDTDSC (the deciding rule's text) are the domain's
`TimeToEventResult` as derived. ADAE has one row per AE record with the domain's TEAE flag,
relatedness and grade. Read back into `oncotrial.domain.stats` with months = AVAL / 30.4375 and
event = CNSR == 0, ADTTE gives the results object's numbers exactly.
"""

from __future__ import annotations

from .adsl import (
    SET_FLAGS,
    arm_codelist,
    arm_names,
    key_values,
    key_variables,
    strata_values,
    strata_variables,
)
from .bundle import ExportStudy, arm_code
from .model import NY, CodeList, Dataset, Variable, build_dataset, yes_no

# (PARAMCD, SubjectOutcome attribute, PARAM)
TTE_PARAMS = (("PFS", "pfs", "Progression-Free Survival (days)"), ("OS", "os", "Overall Survival (days)"),
              ("DOR", "dor", "Duration of Response (days)"), ("TTR", "time_to_response", "Time to Response (days)"),
              ("LC", "local_control", "Time to Local Progression (days)"),
              ("IPFS", "ipfs", "iRECIST Progression-Free Survival (days)"),
              ("DORCR", "duration_of_cr", "Duration of Complete Response (days)"))
PARAMCD = CodeList("PARAMCD_ADTTE", "ADTTE Parameter Code", tuple((c, p) for c, _, p in TTE_PARAMS))


def _subject_part(study: ExportStudy, sid: str) -> dict:
    facts = study.facts_by_id[sid]
    names = arm_names(study)
    return {**key_values(study, facts), "ARMCD": arm_code(facts.arm),
            "TRT01P": names.get(facts.arm, ("",))[0],
            "TRT01A": names.get(facts.arm_as_treated, ("",))[0] if facts.treated else "",
            **strata_values(study, facts),
            **{name: yes_no(study.in_set(key, sid)) for name, key, _ in SET_FLAGS}}


def _tte_row(study: ExportStudy, result, paramcd: str, param: str) -> dict:
    event = result.cnsr == 0
    return {**_subject_part(study, result.subject_id), "PARAMCD": paramcd, "PARAM": param,
            "STARTDT": result.start_date, "ADT": result.date, "AVAL": result.aval_days, "AVALU": "DAYS",
            "CNSR": result.cnsr, "EVNTDESC": result.rule_description,
            "CNSDTDSC": "" if event else result.rule_description, "EVNTRULE": result.rule_id,
            "SRCREF": result.reference}


def _tte_variables(study: ExportStudy) -> list[Variable]:
    rules = "; ".join(r for r in study.outcomes.rules if "censor" in r.lower() or "event" in r.lower())
    return [*key_variables(),
            Variable("ARMCD", "Planned Arm Code", codelist="ARMCD", origin="Predecessor", source="ADSL.ARMCD"),
            Variable("TRT01P", "Planned Treatment for Period 01", origin="Predecessor", source="ADSL.TRT01P"),
            Variable("TRT01A", "Actual Treatment for Period 01", origin="Predecessor", source="ADSL.TRT01A"),
            *[Variable(v.name, v.label, origin="Predecessor", source=f"ADSL.{v.name}")
              for v in strata_variables(study)],
            *[Variable(name, label, codelist="NY", origin="Predecessor", source=f"ADSL.{name}")
              for name, _, label in SET_FLAGS],
            Variable("PARAMCD", "Parameter Code", codelist="PARAMCD_ADTTE", origin="Assigned"),
            Variable("PARAM", "Parameter", origin="Assigned"),
            Variable("STARTDT", "Time-to-Event Origin Date for Subject", "date",
                     method="randomisation date (randomised trial) or first protocol therapy (single arm); "
                            "first response date for DOR and DORCR"),
            Variable("ADT", "Analysis Date", "date", method="event date, or the date censored at"),
            Variable("AVAL", "Analysis Value", "integer", method="ADT - STARTDT + 1 (days)"),
            Variable("AVALU", "Analysis Value Unit", origin="Assigned"),
            Variable("CNSR", "Censor", "integer",
                     method="0 event; 1 censored (last adequate assessment, last known alive, start, data "
                            "cut-off); 2 no valid baseline; 3 event after two or more missed assessments; "
                            "4 new anticancer therapy"),
            Variable("EVNTDESC", "Event or Censoring Description", method=rules[:1000] or
                     "the event or censoring rule that decided the time (oncotrial.domain.outcomes)"),
            Variable("CNSDTDSC", "Censor Date Description", method="EVNTDESC of a censored time"),
            Variable("EVNTRULE", "Event or Censoring Rule Identifier", origin="Assigned"),
            Variable("SRCREF", "Source of the Rule", origin="Assigned")]


def export_adtte(study: ExportStudy) -> Dataset:
    """ADTTE: one row per subject and time-to-event parameter the domain derived."""
    rows = []
    for outcome in sorted(study.outcomes.subjects, key=lambda o: o.subject_id):
        if outcome.subject_id not in study.facts_by_id:
            continue
        for paramcd, attribute, param in TTE_PARAMS:
            result = getattr(outcome, attribute)
            if result is not None:
                rows.append(_tte_row(study, result, paramcd, param))
    return build_dataset("ADTTE", "Time-to-Event Analysis Dataset", "BASIC DATA STRUCTURE",
                         "One record per subject per parameter", "Analysis", ("STUDYID", "USUBJID", "PARAMCD"),
                         _tte_variables(study), rows, (NY, PARAMCD, arm_codelist(study)))


GRADES = CodeList("TOXGR", "Toxicity Grade (CTCAE v5.0)", tuple((str(g), f"Grade {g}") for g in range(1, 6)),
                  nci="C66787")


def _ae_row(study: ExportStudy, n: int, record) -> dict:
    ae = record.adverse_event
    facts = study.facts_by_id[ae.subject_id]
    start = facts.first_treatment_date
    names = arm_names(study)
    treated = names.get(facts.arm_as_treated, ("", None))
    grade = "" if ae.grade is None else str(ae.grade)
    return {**key_values(study, facts), "AESEQ": n, "AESPID": ae.ae_id, "AETERM": ae.term, "AEDECOD": ae.term,
            "AEBODSYS": ae.soc, "AETOXGR": grade, "ATOXGR": grade, "ATOXGRN": ae.grade,
            "AETOXVER": f"CTCAE v{ae.ctcae_version}" if ae.ctcae_version else "",
            "AESER": yes_no(ae.serious), "AREL": "RELATED" if record.related else "NOT RELATED",
            "AEIRFL": yes_no(ae.immune_related),
            "AEACN": "DRUG WITHDRAWN" if ae.led_to_discontinuation else (
                "DRUG INTERRUPTED" if ae.led_to_interruption else ""),
            "ASTDT": ae.start_date, "AENDT": ae.end_date,
            "ASTDY": _study_day(ae.start_date, start), "TRTEMFL": yes_no(record.treatment_emergent),
            "TRTA": treated[0] if facts.treated else "", "TRTAN": treated[1] if facts.treated else None}


def _study_day(day, reference) -> int | None:
    """Study day with no day 0 (SDTM --DY): day 1 is the reference date."""
    if day is None or reference is None:
        return None
    delta = (day - reference).days
    return delta + 1 if delta >= 0 else delta


def export_adae(study: ExportStudy) -> Dataset:
    """ADAE: every AE record with the domain's TEAE flag and relatedness (safety by treatment
    received)."""
    records = sorted((r for r in study.outcomes.adverse_events if r.subject_id in study.facts_by_id),
                     key=lambda r: (r.subject_id, r.adverse_event.start_date, r.adverse_event.ae_id))
    counters: dict[str, int] = {}
    rows = []
    for record in records:
        counters[record.subject_id] = counters.get(record.subject_id, 0) + 1
        rows.append(_ae_row(study, counters[record.subject_id], record))
    rule = next((r.rule for r in study.outcomes.adverse_events), "") or \
        "treatment-emergent: onset on or after the first protocol therapy and within the protocol's window"
    variables = [*key_variables(),
                 Variable("AESEQ", "Sequence Number", "integer"),
                 Variable("AESPID", "Sponsor-Defined Identifier", origin="Assigned"),
                 Variable("AETERM", "Reported Term for the Adverse Event", origin="Collected"),
                 Variable("AEDECOD", "Dictionary-Derived Term", origin="Collected",
                          method="the CTCAE v5.0 term (a MedDRA lowest level term)"),
                 Variable("AEBODSYS", "Body System or Organ Class", origin="Collected"),
                 Variable("AETOXGR", "Standard Toxicity Grade", codelist="TOXGR", origin="Collected"),
                 Variable("ATOXGR", "Analysis Toxicity Grade", codelist="TOXGR", method="AETOXGR"),
                 Variable("ATOXGRN", "Analysis Toxicity Grade (N)", "integer"),
                 Variable("AETOXVER", "Toxicity Grading Scale Version", origin="Collected"),
                 Variable("AESER", "Serious Event", codelist="NY", origin="Collected"),
                 Variable("AREL", "Analysis Causality",
                          method="RELATED when any attribution is possible, probable or definite (a missing "
                                 "attribution counts as related)"),
                 Variable("AEIRFL", "Immune-Related Adverse Event Flag", codelist="NY", origin="Collected"),
                 Variable("AEACN", "Action Taken with Study Treatment", origin="Collected"),
                 Variable("ASTDT", "Analysis Start Date", "date", origin="Collected"),
                 Variable("AENDT", "Analysis End Date", "date", origin="Collected"),
                 Variable("ASTDY", "Analysis Start Relative Day", "integer", method="ASTDT - TRTSDT + 1 (no day 0)"),
                 Variable("TRTEMFL", "Treatment Emergent Analysis Flag", codelist="NY", method=rule[:1000]),
                 Variable("TRTA", "Actual Treatment", origin="Predecessor", source="ADSL.TRT01A"),
                 Variable("TRTAN", "Actual Treatment (N)", "integer", origin="Predecessor",
                          source="ADSL.TRT01AN")]
    return build_dataset("ADAE", "Adverse Events Analysis Dataset", "OCCURRENCE DATA STRUCTURE",
                         "One record per adverse event record (grade episode)", "Analysis",
                         ("STUDYID", "USUBJID", "AESEQ"), variables, rows, (NY, GRADES))
