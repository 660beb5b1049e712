"""ADSL (ADaMIG 1.3 subject-level dataset, spec standards.md §3.1): one row per screened person,
from the subjects' facts and the domain's analysis-set rules; nothing is derived here but the
layout (CDISC names, Y/N flags, the arm codes)."""

from __future__ import annotations

from oncotrial.domain.analysis.inputs import SubjectFacts

from .bundle import ExportStudy, arm_code
from .model import NY, CodeList, Dataset, Variable, build_dataset, yes_no

SEXES = {"M": "M", "F": "F", "MALE": "M", "FEMALE": "F", "U": "U", "": ""}
SEX = CodeList("SEX", "Sex", (("F", "Female"), ("M", "Male"), ("U", "Unknown")), nci="C66731")
SET_FLAGS = (("ITTFL", "itt", "Intent-To-Treat Population Flag"), ("SAFFL", "safety", "Safety Population Flag"),
             ("PPROTFL", "pp", "Per-Protocol Population Flag"),
             ("EFFFL", "evaluable", "Efficacy (Evaluable) Population Flag"))
KEYS = ("STUDYID", "USUBJID", "SUBJID", "SITEID")


def key_variables() -> list[Variable]:
    """STUDYID, USUBJID, SUBJID, SITEID: the keys every dataset starts with."""
    return [Variable("STUDYID", "Study Identifier", origin="Assigned"),
            Variable("USUBJID", "Unique Subject Identifier", origin="Assigned",
                     method="STUDYID and SUBJID joined by a hyphen"),
            Variable("SUBJID", "Subject Identifier for the Study", origin="Collected"),
            Variable("SITEID", "Study Site Identifier", origin="Collected")]


def key_values(study: ExportStudy, facts: SubjectFacts) -> dict:
    return {"STUDYID": study.studyid, "USUBJID": study.usubjid(facts.subject_id),
            "SUBJID": facts.subject_id, "SITEID": facts.site}


def arm_codelist(study: ExportStudy) -> CodeList:
    return CodeList("ARMCD", "Arm Code", tuple((arm_code(a.id), a.name) for a in study.protocol.arms))


def arm_names(study: ExportStudy) -> dict[str, tuple[str, int]]:
    """Arm id → (name, number in protocol order) for TRTxxP / TRTxxPN."""
    return {a.id: (a.name, i) for i, a in enumerate(study.protocol.arms, start=1)}


def strata_variables(study: ExportStudy) -> list[Variable]:
    return [Variable(f"STRAT{i}R", f"Strat Factor {i} Value Used for Rand", origin="Collected",
                     method=f"randomisation factor '{f.id}' ({f.name}); levels {', '.join(f.levels)}")
            for i, f in enumerate(study.protocol.randomization.factors, start=1)]


def strata_values(study: ExportStudy, facts: SubjectFacts) -> dict:
    chosen = dict(facts.strata)
    return {f"STRAT{i}R": chosen.get(f.id, "")
            for i, f in enumerate(study.protocol.randomization.factors, start=1)}


def _variables(study: ExportStudy) -> list[Variable]:
    text = "text"
    return [*key_variables(),
            Variable("AGE", "Age", "integer", origin="Derived", method="year of screening minus year of birth"),
            Variable("AGEU", "Age Units", origin="Assigned"),
            Variable("SEX", "Sex", codelist="SEX", origin="Collected"),
            Variable("ARMCD", "Planned Arm Code", codelist="ARMCD", origin="Assigned"),
            Variable("ARM", "Description of Planned Arm", origin="Assigned"),
            Variable("ACTARMCD", "Actual Arm Code", codelist="ARMCD", origin="Derived",
                     method="the arm whose treatment was received (the planned arm unless recorded otherwise)"),
            Variable("ACTARM", "Description of Actual Arm", origin="Derived"),
            Variable("TRT01P", "Planned Treatment for Period 01", origin="Derived", method="ARM"),
            Variable("TRT01PN", "Planned Treatment for Period 01 (N)", "integer",
                     method="order of the arm in the protocol"),
            Variable("TRT01A", "Actual Treatment for Period 01", origin="Derived", method="ACTARM"),
            Variable("TRT01AN", "Actual Treatment for Period 01 (N)", "integer"),
            *strata_variables(study),
            Variable("RANDFL", "Randomized Flag", codelist="NY"),
            Variable("ENRLFL", "Enrolled Flag", codelist="NY"),
            *[Variable(name, label, codelist="NY", method=study.sets[key].rule)
              for name, key, label in SET_FLAGS],
            Variable("SCRNDT", "Date of Screening", "date", origin="Collected"),
            Variable("ENRLDT", "Date of Enrolment", "date", origin="Collected"),
            Variable("RANDDT", "Date of Randomization", "date", origin="Collected"),
            Variable("TRTSDT", "Date of First Exposure to Treatment", "date",
                     method="earliest dose, ablation or SBRT date"),
            Variable("TRTEDT", "Date of Last Exposure to Treatment", "date",
                     method="latest dose, ablation or SBRT end date"),
            Variable("EOTSTT", "End of Treatment Status", text),
            Variable("DCTREAS", "Reason for Discontinuation of Treatment", origin="Collected"),
            Variable("EOTDT", "End of Treatment Date", "date", origin="Collected"),
            Variable("EOSSTT", "End of Study Status"),
            Variable("DCSREAS", "Reason for Discontinuation from Study", origin="Collected"),
            Variable("EOSDT", "End of Study Date", "date", origin="Collected"),
            Variable("DTHFL", "Subject Death Flag", codelist="NY"),
            Variable("DTHDT", "Date of Death", "date", origin="Collected"),
            Variable("DTHCAUS", "Cause of Death", origin="Collected"),
            Variable("LSTALVDT", "Date Last Known Alive", "date",
                     method="the OS derivation's date: death date, or the date OS is censored at")]


def _row(study: ExportStudy, facts: SubjectFacts) -> dict:
    names = arm_names(study)
    planned = names.get(facts.arm, ("", None))
    actual = names.get(facts.arm_as_treated, ("", None)) if facts.treated else ("", None)
    outcome = study.outcome_by_id.get(facts.subject_id)
    os_result = outcome.os if outcome else None
    ended = facts.withdrawn_on is not None or facts.death_date is not None
    return {**key_values(study, facts), "AGE": facts.age, "AGEU": "YEARS" if facts.age is not None else "",
            "SEX": SEXES.get(facts.sex.upper(), "U"), "ARMCD": arm_code(facts.arm), "ARM": planned[0],
            "ACTARMCD": arm_code(facts.arm_as_treated) if facts.treated else "", "ACTARM": actual[0],
            "TRT01P": planned[0], "TRT01PN": planned[1], "TRT01A": actual[0], "TRT01AN": actual[1],
            **strata_values(study, facts),
            "RANDFL": yes_no(facts.randomized_on is not None), "ENRLFL": yes_no(facts.enrolled_on is not None),
            **{name: yes_no(study.in_set(key, facts.subject_id)) for name, key, _ in SET_FLAGS},
            "SCRNDT": facts.screened_on, "ENRLDT": facts.enrolled_on, "RANDDT": facts.randomized_on,
            "TRTSDT": facts.first_treatment_date, "TRTEDT": facts.last_treatment_date,
            "EOTSTT": _treatment_status(facts), "DCTREAS": facts.discontinued_reason,
            "EOTDT": facts.discontinued_on,
            "EOSSTT": "DISCONTINUED" if ended else ("ONGOING" if facts.enrolled_on or facts.randomized_on else ""),
            "DCSREAS": facts.withdrawn_reason or ("DEATH" if facts.death_date else ""),
            "EOSDT": facts.withdrawn_on or facts.death_date,
            "DTHFL": "Y" if facts.death_date else "", "DTHDT": facts.death_date, "DTHCAUS": facts.death_cause,
            "LSTALVDT": os_result.date if os_result else None}


def _treatment_status(facts: SubjectFacts) -> str:
    if not facts.treated:
        return ""
    return "DISCONTINUED" if facts.discontinued_on else "ONGOING"


def export_adsl(study: ExportStudy) -> Dataset:
    """ADSL: one row per screened subject with demographics, arms, strata, population flags (by
    the domain's analysis-set rules), treatment dates, disposition and death."""
    return build_dataset("ADSL", "Subject-Level Analysis Dataset", "SUBJECT LEVEL ANALYSIS DATASET",
                         "One record per subject", "Analysis", KEYS[:2], _variables(study),
                         [_row(study, f) for f in sorted(study.facts, key=lambda f: f.subject_id)],
                         (NY, SEX, arm_codelist(study)))
