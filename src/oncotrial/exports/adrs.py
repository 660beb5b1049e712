"""ADRS and ADTR (ADaM BDS, spec standards.md §3.2, §3.4): the domain's RECIST 1.1 timepoint
responses and best overall responses laid out as admiralonco names them (OVR, BOR, CBOR, RSP,
CRSP, CB, MDIS, PD; iRECIST IBOR / ICBOR when derived), and the sums of diameters with change
from baseline and nadir. Every value is read from `DerivedOutcomes`; nothing is re-derived.
"""

from __future__ import annotations

from .adsl import arm_codelist, arm_names, key_values, key_variables
from .bundle import ExportStudy, arm_code
from .model import NY, CodeList, Dataset, Variable, build_dataset, yes_no

# admiralonco aval_resp(): CR 1, PR 2, SD 3, NON-CR/NON-PD 4, PD 5, NE 6, MISSING 7
RESPONSE_CODES = {"CR": 1, "PR": 2, "SD": 3, "NON-CR/NON-PD": 4, "PD": 5, "NE": 6, "MISSING": 7}
# the domain's NO_ASSESSMENT (and NA: nothing to assess) is admiralonco's MISSING
MISSING = {"NO_ASSESSMENT": "MISSING", "NA": "MISSING", "": "MISSING"}
RESP = CodeList("RESP", "Response (RECIST 1.1)", tuple((c, c) for c in RESPONSE_CODES), nci="C96785")
PARAMS = {
    "OVR": "Overall Response by Investigator",
    "BOR": "Best Overall Response by Investigator",
    "CBOR": "Best Confirmed Overall Response by Inv",
    "RSP": "Response (CR/PR) by Investigator",
    "CRSP": "Confirmed Response (CR/PR) by Inv",
    "CB": "Clinical Benefit (CR/PR/SD) by Inv",
    "MDIS": "Measurable Disease at Baseline",
    "PD": "Disease Progression by Investigator",
    "IBOR": "iRECIST Best Overall Response by Inv",
    "ICBOR": "iRECIST Best Confirmed Overall Resp by Inv",
}
PARAMCD = CodeList("PARAMCD_ADRS", "ADRS Parameter Code", tuple(PARAMS.items()))
ADTR_PARAMS = {"SUMDIAM": "Target Lesions Sum of Diameters (mm)"}


def response_value(value: str) -> str:
    """A domain response category as ADRS AVALC (NO_ASSESSMENT → MISSING)."""
    text = str(value or "")
    return MISSING.get(text, text)


def _treatment(study: ExportStudy, subject_id: str) -> dict:
    facts = study.facts_by_id[subject_id]
    return {**key_values(study, facts), "ARMCD": arm_code(facts.arm),
            "TRT01P": arm_names(study).get(facts.arm, ("",))[0],
            "ITTFL": yes_no(study.in_set("itt", subject_id)),
            "SAFFL": yes_no(study.in_set("safety", subject_id))}


def _treatment_variables() -> list[Variable]:
    return [*key_variables(), Variable("ARMCD", "Planned Arm Code", codelist="ARMCD", origin="Predecessor",
                                       source="ADSL.ARMCD"),
            Variable("TRT01P", "Planned Treatment for Period 01", origin="Predecessor", source="ADSL.TRT01P"),
            Variable("ITTFL", "Intent-To-Treat Population Flag", codelist="NY", origin="Predecessor",
                     source="ADSL.ITTFL"),
            Variable("SAFFL", "Safety Population Flag", codelist="NY", origin="Predecessor",
                     source="ADSL.SAFFL")]


def _param_row(study, sid, paramcd, avalc, adt=None, aval=None) -> dict:
    return {**_treatment(study, sid), "PARAMCD": paramcd, "PARAM": PARAMS[paramcd],
            "PARCAT1": "Tumor Response", "PARCAT2": "Investigator",
            "PARCAT3": "iRECIST" if paramcd.startswith("I") else "RECIST 1.1",
            "AVALC": avalc, "AVAL": RESPONSE_CODES.get(avalc) if aval is None else aval, "ADT": adt}


def _flag(study, sid, paramcd, flag: bool, adt=None) -> dict:
    return _param_row(study, sid, paramcd, yes_no(flag), adt, 1 if flag else 0)


def _subject_rows(study: ExportStudy, outcome, timepoints) -> list[dict]:
    sid = outcome.subject_id
    rows = [{**_param_row(study, sid, "OVR", response_value(tp.response), tp.date),
             "AVISIT": tp.visit, "AVISITN": n, "ANL01FL": "Y"}
            for n, tp in enumerate(sorted(timepoints, key=lambda t: t.date), start=1)]
    first_pd = next((tp.date for tp in sorted(timepoints, key=lambda t: t.date) if tp.response == "PD"), None)
    rows += [_param_row(study, sid, "BOR", response_value(outcome.bor), outcome.bor_date),
             _param_row(study, sid, "CBOR", response_value(outcome.confirmed_bor), outcome.confirmed_bor_date),
             _flag(study, sid, "RSP", outcome.bor in ("CR", "PR"), outcome.bor_date),
             _flag(study, sid, "CRSP", outcome.responder, outcome.confirmed_bor_date),
             _flag(study, sid, "CB", outcome.disease_control),
             _flag(study, sid, "MDIS", outcome.measurable_disease),
             _flag(study, sid, "PD", first_pd is not None, first_pd)]
    if outcome.ibor is not None:
        rows.append(_param_row(study, sid, "IBOR", response_value(outcome.ibor)))
    if outcome.confirmed_ibor is not None:
        rows.append(_param_row(study, sid, "ICBOR", response_value(outcome.confirmed_ibor)))
    return rows


def _by_subject(timepoints) -> dict[str, list]:
    grouped: dict[str, list] = {}
    for tp in timepoints:
        grouped.setdefault(tp.subject_id, []).append(tp)
    return grouped


def _adrs_variables(study: ExportStudy) -> list[Variable]:
    rules = "; ".join(r for r in study.outcomes.rules if "respon" in r.lower() or "confirm" in r.lower())
    return [*_treatment_variables(),
            Variable("PARAMCD", "Parameter Code", codelist="PARAMCD_ADRS", origin="Assigned"),
            Variable("PARAM", "Parameter", origin="Assigned"),
            Variable("PARCAT1", "Parameter Category 1", origin="Assigned"),
            Variable("PARCAT2", "Parameter Category 2", origin="Assigned"),
            Variable("PARCAT3", "Parameter Category 3", origin="Assigned"),
            Variable("AVALC", "Analysis Value (C)", codelist="", method=rules[:1000] or
                     "RECIST 1.1 timepoint and best overall response (oncotrial.domain.tumour)"),
            Variable("AVAL", "Analysis Value", "integer",
                     method="response code CR 1, PR 2, SD 3, NON-CR/NON-PD 4, PD 5, NE 6, MISSING 7; "
                            "flags Y 1, N 0"),
            Variable("ADT", "Analysis Date", "date", method="assessment date (first evidence for PD)"),
            Variable("AVISIT", "Analysis Visit", origin="Collected"),
            Variable("AVISITN", "Analysis Visit (N)", "integer", method="order of the assessment by date"),
            Variable("ANL01FL", "Analysis Flag 01", codelist="NY",
                     method="Y on every post-baseline timepoint response the BOR derivation read")]


def export_adrs(study: ExportStudy) -> Dataset:
    """ADRS: per subject the OVR rows (one per assessment) and the BOR, CBOR, RSP, CRSP, CB,
    MDIS and PD parameters (iRECIST IBOR / ICBOR when derived), from `DerivedOutcomes`."""
    grouped = _by_subject(study.outcomes.timepoints)
    rows = []
    for outcome in sorted(study.outcomes.subjects, key=lambda o: o.subject_id):
        if outcome.subject_id in study.facts_by_id:
            rows += _subject_rows(study, outcome, grouped.get(outcome.subject_id, []))
    return build_dataset("ADRS", "Response Analysis Dataset", "BASIC DATA STRUCTURE",
                         "One record per subject per parameter per analysis date", "Analysis",
                         ("STUDYID", "USUBJID", "PARAMCD", "ADT"), _adrs_variables(study), rows,
                         (NY, RESP, PARAMCD, arm_codelist(study)))


def _float(value) -> float | None:
    return None if value is None else float(value)


def _adtr_rows(study: ExportStudy, sid: str, timepoints) -> list[dict]:
    ordered = sorted(timepoints, key=lambda t: t.date)
    # at the first post-baseline assessment the nadir is the baseline sum (no earlier sum exists)
    base = _float(ordered[0].nadir) if ordered else None
    return [{**_treatment(study, sid), "PARAMCD": "SUMDIAM", "PARAM": ADTR_PARAMS["SUMDIAM"],
             "AVAL": _float(tp.target_sum), "BASE": base, "PCHG": _float(tp.percent_change_from_baseline),
             "NADIR": _float(tp.nadir), "CHGNAD": _float(tp.change_from_nadir_mm),
             "PCHGNAD": _float(tp.percent_change_from_nadir), "ADT": tp.date, "AVISIT": tp.visit,
             "AVISITN": n, "OVRLRESP": response_value(tp.response)}
            for n, tp in enumerate(ordered, start=1)]


def export_adtr(study: ExportStudy) -> Dataset:
    """ADTR: the target-lesion sum of diameters at each post-baseline assessment with its
    baseline, nadir and changes, as the RECIST derivation computed them (waterfall / spider)."""
    grouped = _by_subject(study.outcomes.timepoints)
    rows = [row for sid in sorted(grouped) if sid in study.facts_by_id
            for row in _adtr_rows(study, sid, grouped[sid])]
    variables = [*_treatment_variables(),
                 Variable("PARAMCD", "Parameter Code", origin="Assigned"),
                 Variable("PARAM", "Parameter", origin="Assigned"),
                 Variable("AVAL", "Analysis Value", "float", method="sum of target lesion diameters "
                          "(short axis for nodes), defined only when every target has a value"),
                 Variable("BASE", "Baseline Value", "float", method="baseline sum of diameters"),
                 Variable("PCHG", "Percent Change from Baseline", "float"),
                 Variable("NADIR", "Nadir Value", "float",
                          method="smallest of the baseline sum and the earlier complete sums"),
                 Variable("CHGNAD", "Change from Nadir", "float"),
                 Variable("PCHGNAD", "Percent Change from Nadir", "float"),
                 Variable("ADT", "Analysis Date", "date"),
                 Variable("AVISIT", "Analysis Visit", origin="Collected"),
                 Variable("AVISITN", "Analysis Visit (N)", "integer"),
                 Variable("OVRLRESP", "Overall Response at the Assessment", codelist="RESP")]
    return build_dataset("ADTR", "Tumor Results Analysis Dataset", "BASIC DATA STRUCTURE",
                         "One record per subject per parameter per analysis date", "Analysis",
                         ("STUDYID", "USUBJID", "PARAMCD", "ADT"), variables, rows,
                         (NY, RESP, arm_codelist(study)))
