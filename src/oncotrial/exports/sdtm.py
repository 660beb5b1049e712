"""SDTM tabulation datasets from the EDC records (SDTMIG 3.4, spec standards.md §2): DM, DS, EX,
AE, DD and the trial summary TS here; TU, TR, RS in `sdtm_tumour`, CM, PR, SV and SUPPAE / SUPPPR
in `sdtm_events`, TA, TE, TV in `sdtm_design`. Values are laid out, not derived; controlled
terminology as the spec lists it (SEX, DSDECOD, DSCAT, AESER Y/N, AETOXGR 1–5, TSPARMCD, EPOCH,
TUMIDENT, LDIAM / LPERP / TUMSTATE, OVRLRESP / TRGRESP / NTRGRESP / NEWLIND)."""

from __future__ import annotations

from .adsl import SEX, SEXES, arm_codelist, arm_names
from .adtte import _study_day
from .bundle import ExportStudy, arm_code
from .countries import country_code
from .model import NY, Dataset, Variable, build_dataset, yes_no

KEYS = ("STUDYID", "DOMAIN", "USUBJID")
DSCAT = {"INFORMED CONSENT OBTAINED": "PROTOCOL MILESTONE", "RANDOMIZED": "PROTOCOL MILESTONE"}


def _keys(study: ExportStudy, domain: str, sid: str) -> dict:
    return {"STUDYID": study.studyid, "DOMAIN": domain, "USUBJID": study.usubjid(sid)}


def _key_variables() -> list[Variable]:
    return [Variable("STUDYID", "Study Identifier", origin="Assigned"),
            Variable("DOMAIN", "Domain Abbreviation", origin="Assigned"),
            Variable("USUBJID", "Unique Subject Identifier", origin="Assigned")]


def _iso(day) -> str:
    return day.isoformat() if day else ""


def export_dm(study: ExportStudy) -> Dataset:
    """DM: one row per screened person; the randomisation date is in DS, not here."""
    names = arm_names(study)
    countries = {s.code: country_code(s.country) for s in study.sites}
    rows = []
    for f in sorted(study.facts, key=lambda f: f.subject_id):
        rows.append({**_keys(study, "DM", f.subject_id), "SUBJID": f.subject_id, "SITEID": f.site,
                     "RFSTDTC": _iso(f.first_treatment_date or f.randomized_on),
                     "RFXSTDTC": _iso(f.first_treatment_date),
                     "RFXENDTC": _iso(f.last_treatment_date), "DTHDTC": _iso(f.death_date),
                     "DTHFL": "Y" if f.death_date else "", "AGE": f.age, "AGEU": "YEARS" if f.age is not None else "",
                     "SEX": SEXES.get(f.sex.upper(), "U"), "ARMCD": arm_code(f.arm), "ARM": names.get(f.arm, ("",))[0],
                     "ACTARMCD": arm_code(f.arm_as_treated) if f.treated else "",
                     "ACTARM": names.get(f.arm_as_treated, ("",))[0] if f.treated else "",
                     "ARMNRS": "" if f.arm else ("SCREEN FAILURE" if f.eligible is False else "NOT ASSIGNED"),
                     "COUNTRY": countries.get(f.site, "")})
    variables = [*_key_variables(), Variable("SUBJID", "Subject Identifier for the Study", origin="Collected"),
                 Variable("SITEID", "Study Site Identifier", origin="Collected"),
                 Variable("RFSTDTC", "Subject Reference Start Date/Time", method="first protocol therapy, "
                          "else randomisation"),
                 Variable("RFXSTDTC", "Date/Time of First Study Treatment"),
                 Variable("RFXENDTC", "Date/Time of Last Study Treatment"),
                 Variable("DTHDTC", "Date/Time of Death", origin="Collected"),
                 Variable("DTHFL", "Subject Death Flag", codelist="NY"),
                 Variable("AGE", "Age", "integer"), Variable("AGEU", "Age Units", origin="Assigned"),
                 Variable("SEX", "Sex", codelist="SEX", origin="Collected"),
                 Variable("ARMCD", "Planned Arm Code", codelist="ARMCD", origin="Assigned"),
                 Variable("ARM", "Description of Planned Arm", origin="Assigned"),
                 Variable("ACTARMCD", "Actual Arm Code", codelist="ARMCD"),
                 Variable("ACTARM", "Description of Actual Arm"),
                 Variable("ARMNRS", "Reason Arm and/or Actual Arm is Null"),
                 Variable("COUNTRY", "Country", origin="Collected", method="the site's country as "
                          "ISO 3166-1 alpha-3")]
    return build_dataset("DM", "Demographics", "SPECIAL PURPOSE", "One record per subject", "Tabulation",
                         KEYS, variables, rows, (NY, SEX, arm_codelist(study)))


def _ds_events(f) -> list[tuple[str, str, str, object]]:
    events = [("INFORMED CONSENT OBTAINED", "INFORMED CONSENT OBTAINED", "", f.screened_on)]
    if f.randomized_on:
        events.append(("RANDOMIZED", "RANDOMIZED", "", f.randomized_on))
    if f.discontinued_on:
        events.append((f.discontinued_reason or "DISCONTINUED", _decod(f.discontinued_reason), "STUDY TREATMENT",
                       f.discontinued_on))
    if f.withdrawn_on:
        events.append((f.withdrawn_reason or "WITHDRAWN", _decod(f.withdrawn_reason), "STUDY PARTICIPATION",
                       f.withdrawn_on))
    if f.death_date:
        events.append(("DEATH", "DEATH", "STUDY PARTICIPATION", f.death_date))
    return events


def _decod(reason: str) -> str:
    text = (reason or "").upper()
    for decod in ("ADVERSE EVENT", "PROGRESSIVE DISEASE", "DEATH", "LOST TO FOLLOW-UP", "PHYSICIAN DECISION"):
        if decod.split()[0] in text:
            return decod
    return "WITHDRAWAL BY SUBJECT" if "WITHDR" in text or "CONSENT" in text else "OTHER"


def export_ds(study: ExportStudy) -> Dataset:
    """DS: consent and randomisation milestones, end of treatment and study, death."""
    rows = []
    for f in sorted(study.facts, key=lambda f: f.subject_id):
        for n, (term, decod, scat, day) in enumerate(_ds_events(f), start=1):
            rows.append({**_keys(study, "DS", f.subject_id), "DSSEQ": n, "DSTERM": term, "DSDECOD": decod,
                         "DSCAT": DSCAT.get(decod, "DISPOSITION EVENT"), "DSSCAT": scat, "DSSTDTC": _iso(day)})
    variables = [*_key_variables(), Variable("DSSEQ", "Sequence Number", "integer"),
                 Variable("DSTERM", "Reported Term for the Disposition Event", origin="Collected"),
                 Variable("DSDECOD", "Standardized Disposition Term", method="the reason's CDISC term"),
                 Variable("DSCAT", "Category for Disposition Event", origin="Assigned"),
                 Variable("DSSCAT", "Subcategory for Disposition Event", origin="Assigned"),
                 Variable("DSSTDTC", "Start Date/Time of Disposition Event", origin="Collected")]
    return build_dataset("DS", "Disposition", "EVENTS", "One record per disposition status or protocol "
                         "milestone per subject", "Tabulation", (*KEYS, "DSSEQ"), variables, rows)


def export_ex(study: ExportStudy) -> Dataset:
    """EX: one row per protocol drug administration as recorded."""
    doses = sorted(study.records("doses"), key=lambda d: (d.subject_id, d.date, d.component))
    rows, counters = [], {}
    for d in doses:
        if d.subject_id not in study.facts_by_id:
            continue
        counters[d.subject_id] = counters.get(d.subject_id, 0) + 1
        start = study.facts_by_id[d.subject_id].first_treatment_date
        rows.append({**_keys(study, "EX", d.subject_id), "EXSEQ": counters[d.subject_id],
                     "EXTRT": (d.drug or d.component).upper(), "EXCAT": d.component.upper(), "EXDOSE": d.amount,
                     "EXDOSU": d.unit, "EXSTDTC": _iso(d.date), "EXSTDY": _study_day(d.date, start)})
    variables = [*_key_variables(), Variable("EXSEQ", "Sequence Number", "integer"),
                 Variable("EXTRT", "Name of Treatment", origin="Collected"),
                 Variable("EXCAT", "Category of Treatment", origin="Assigned"),
                 Variable("EXDOSE", "Dose", "float", origin="Collected"),
                 Variable("EXDOSU", "Dose Units", origin="Collected"),
                 Variable("EXSTDTC", "Start Date/Time of Treatment", origin="Collected"),
                 Variable("EXSTDY", "Study Day of Start of Treatment", "integer", method="EXSTDTC - RFXSTDTC + 1")]
    return build_dataset("EX", "Exposure", "INTERVENTIONS", "One record per administration per subject",
                         "Tabulation", (*KEYS, "EXSEQ"), variables, rows)


def export_ae(study: ExportStudy) -> Dataset:
    """AE: one row per AE record (grade episode) as collected, CTCAE grade as AETOXGR."""
    events = sorted(study.records("adverse_events"), key=lambda a: (a.subject_id, a.start_date, a.ae_id))
    rows, counters = [], {}
    for ae in events:
        if ae.subject_id not in study.facts_by_id:
            continue
        counters[ae.subject_id] = counters.get(ae.subject_id, 0) + 1
        rows.append({**_keys(study, "AE", ae.subject_id), "AESEQ": counters[ae.subject_id], "AESPID": ae.ae_id,
                     "AETERM": ae.term, "AEDECOD": ae.term, "AEBODSYS": ae.soc,
                     "AETOXGR": "" if ae.grade is None else str(ae.grade), "AESER": yes_no(ae.serious),
                     "AESTDTC": _iso(ae.start_date), "AEENDTC": _iso(ae.end_date)})
    variables = [*_key_variables(), Variable("AESEQ", "Sequence Number", "integer"),
                 Variable("AESPID", "Sponsor-Defined Identifier", origin="Assigned"),
                 Variable("AETERM", "Reported Term for the Adverse Event", origin="Collected"),
                 Variable("AEDECOD", "Dictionary-Derived Term", origin="Collected"),
                 Variable("AEBODSYS", "Body System or Organ Class", origin="Collected"),
                 Variable("AETOXGR", "Standard Toxicity Grade", origin="Collected"),
                 Variable("AESER", "Serious Event", codelist="NY", origin="Collected"),
                 Variable("AESTDTC", "Start Date/Time of Adverse Event", origin="Collected"),
                 Variable("AEENDTC", "End Date/Time of Adverse Event", origin="Collected")]
    return build_dataset("AE", "Adverse Events", "EVENTS", "One record per adverse event record per subject",
                         "Tabulation", (*KEYS, "AESEQ"), variables, rows, (NY,))


def export_dd(study: ExportStudy) -> Dataset:
    """DD: the primary cause of death as recorded (free text)."""
    rows = [{**_keys(study, "DD", d.subject_id), "DDSEQ": 1, "DDTESTCD": "PRCDTH", "DDTEST": "Primary Cause of Death",
             "DDORRES": d.cause, "DDDTC": _iso(d.date)}
            for d in sorted(study.records("deaths"), key=lambda d: d.subject_id) if d.subject_id in study.facts_by_id]
    variables = [*_key_variables(), Variable("DDSEQ", "Sequence Number", "integer"),
                 Variable("DDTESTCD", "Death Detail Assessment Short Name", origin="Assigned"),
                 Variable("DDTEST", "Death Detail Assessment Name", origin="Assigned"),
                 Variable("DDORRES", "Result or Finding as Collected", origin="Collected"),
                 Variable("DDDTC", "Date/Time of Collection", origin="Collected")]
    return build_dataset("DD", "Death Details", "FINDINGS", "One record per finding per subject", "Tabulation",
                         (*KEYS, "DDSEQ"), variables, rows)


def export_ts(study: ExportStudy) -> Dataset:
    """TS: trial summary parameters from the protocol (registry id, title, phase, arms, design)."""
    registry = study.protocol.registry
    params = [("TITLE", "Trial Title", study.protocol.title[:200]), ("TPHASE", "Trial Phase Classification",
              registry.phase.upper().replace("PHASE", "PHASE ").strip()),
              ("NARMS", "Planned Number of Arms", str(len(study.protocol.arms))),
              ("RANDOM", "Trial is Randomized", yes_no(study.protocol.is_randomized)),
              ("PLANSUB", "Planned Number of Subjects", str(registry.enrollment or "")),
              ("SPONSOR", "Clinical Study Sponsor", registry.sponsor),
              ("REGID", "Registry Identifier", registry.nct_id)]
    rows = [{"STUDYID": study.studyid, "DOMAIN": "TS", "TSSEQ": 1, "TSPARMCD": code, "TSPARM": name, "TSVAL": value}
            for code, name, value in params if value]
    variables = [Variable("STUDYID", "Study Identifier", origin="Assigned"),
                 Variable("DOMAIN", "Domain Abbreviation", origin="Assigned"),
                 Variable("TSSEQ", "Sequence Number", "integer"),
                 Variable("TSPARMCD", "Trial Summary Parameter Short Name", origin="Protocol"),
                 Variable("TSPARM", "Trial Summary Parameter", origin="Protocol"),
                 Variable("TSVAL", "Parameter Value", origin="Protocol")]
    return build_dataset("TS", "Trial Summary", "TRIAL DESIGN", "One record per trial summary parameter value",
                         "Tabulation", ("STUDYID", "TSPARMCD", "TSSEQ"), variables, rows)


def export_sdtm(study: ExportStudy) -> tuple[Dataset, ...]:
    """DM, DS, EX, AE, DD, CM, PR, TU, TR, RS, SV, SUPPAE, SUPPPR, TS, TA, TE and TV."""
    from .sdtm_design import export_trial_design
    from .sdtm_events import export_cm, export_pr, export_suppae, export_supppr, export_sv
    from .sdtm_tumour import export_rs, export_tr, export_tu

    ae, pr = export_ae(study), export_pr(study)
    return (export_dm(study), export_ds(study), export_ex(study), ae, export_dd(study), export_cm(study), pr,
            export_tu(study), export_tr(study), export_rs(study), export_sv(study), export_suppae(study, ae),
            export_supppr(study, pr), export_ts(study), *export_trial_design(study))
