"""SDTM trial design datasets from the protocol (SDTMIG 3.4 §7, spec standards.md §2.1): TE (trial
elements: screening, one treatment element per arm, follow-up), TA (each arm's path through the
elements, with its epoch), TV (planned visits: screening, baseline imaging and the protocol's
tumour assessments). `visit_of` gives the VISITNUM / VISIT the findings domains use, so SV, TU,
TR and RS name the same visits as TV."""

from __future__ import annotations

from .adsl import arm_codelist
from .bundle import ExportStudy, arm_code
from .model import CodeList, Dataset, Variable, build_dataset

EPOCH = CodeList("EPOCH", "Epoch", (("SCREENING", "Screening"), ("TREATMENT", "Treatment"),
                                    ("FOLLOW-UP", "Follow-up")), nci="C99079")
SCREENING, BASELINE = (0, "SCREENING"), (1, "BASELINE")
OPEN_PHASE_VISITS = 4  # planned visits listed for a schedule phase without an end day


def _design_keys(study: ExportStudy, domain: str) -> dict:
    return {"STUDYID": study.studyid, "DOMAIN": domain}


def _design_variables() -> list[Variable]:
    return [Variable("STUDYID", "Study Identifier", origin="Protocol"),
            Variable("DOMAIN", "Domain Abbreviation", origin="Assigned")]


def _elements(study: ExportStudy) -> list[tuple[str, str, str, str, str]]:
    """(ETCD, ELEMENT, TESTRL, TEENRL, EPOCH) in design order."""
    rows = [("SCRN", "Screening", "Informed consent", "Randomization, or screen failure", "SCREENING")]
    for arm in study.protocol.arms:
        rows.append((arm_code(arm.id)[:8], arm.name, f"First protocol therapy of arm {arm.id}",
                     "End of protocol therapy", "TREATMENT"))
    rows.append(("FU", "Follow-up", "End of protocol therapy", "Death, withdrawal or end of study", "FOLLOW-UP"))
    return rows


def export_te(study: ExportStudy) -> Dataset:
    """TE: one record per planned element."""
    rows = [{**_design_keys(study, "TE"), "ETCD": etcd, "ELEMENT": element, "TESTRL": start, "TEENRL": end}
            for etcd, element, start, end, _ in _elements(study)]
    variables = [*_design_variables(), Variable("ETCD", "Element Code", origin="Protocol"),
                 Variable("ELEMENT", "Description of Element", origin="Protocol"),
                 Variable("TESTRL", "Rule for Start of Element", origin="Protocol"),
                 Variable("TEENRL", "Rule for End of Element", origin="Protocol")]
    return build_dataset("TE", "Trial Elements", "TRIAL DESIGN", "One record per planned Element", "Tabulation",
                         ("STUDYID", "ETCD"), variables, rows)


def export_ta(study: ExportStudy) -> Dataset:
    """TA: screening, the arm's treatment element, follow-up, for every arm."""
    elements = {e[0]: e for e in _elements(study)}
    rows = []
    for arm in study.protocol.arms:
        path = ("SCRN", arm_code(arm.id)[:8], "FU")
        for order, etcd in enumerate(path, start=1):
            rows.append({**_design_keys(study, "TA"), "ARMCD": arm_code(arm.id), "ARM": arm.name,
                         "TAETORD": order, "ETCD": etcd, "ELEMENT": elements[etcd][1],
                         "TABRANCH": f"Randomized to {arm.name}"[:200] if order == 1 else "",
                         "EPOCH": elements[etcd][4]})
    variables = [*_design_variables(), Variable("ARMCD", "Planned Arm Code", codelist="ARMCD", origin="Protocol"),
                 Variable("ARM", "Description of Planned Arm", origin="Protocol"),
                 Variable("TAETORD", "Planned Order of Element within Arm", "integer", origin="Protocol"),
                 Variable("ETCD", "Element Code", origin="Protocol"),
                 Variable("ELEMENT", "Description of Element", origin="Protocol"),
                 Variable("TABRANCH", "Branch", origin="Protocol"),
                 Variable("EPOCH", "Epoch", codelist="EPOCH", origin="Protocol")]
    return build_dataset("TA", "Trial Arms", "TRIAL DESIGN", "One record per planned Element per Arm",
                         "Tabulation", ("STUDYID", "ARMCD", "TAETORD"), variables, rows,
                         (arm_codelist(study), EPOCH))


def planned_assessment_days(study: ExportStudy) -> list[int]:
    """Planned tumour-assessment days after the schedule's anchor, phase by phase; a phase without
    an end day contributes `OPEN_PHASE_VISITS` visits."""
    days, day = [], 0
    for phase in study.protocol.assessment_schedule.phases:
        count = 0
        while (phase.until_day is None and count < OPEN_PHASE_VISITS) or \
                (phase.until_day is not None and day + phase.interval_days <= phase.until_day):
            day += phase.interval_days
            days.append(day)
            count += 1
    return days


def export_tv(study: ExportStudy) -> Dataset:
    """TV: screening, baseline imaging, then each planned tumour assessment with its day."""
    schedule = study.protocol.assessment_schedule
    rows = [{**_design_keys(study, "TV"), "VISITNUM": SCREENING[0], "VISIT": SCREENING[1], "VISITDY": None,
             "TVSTRL": "Informed consent", "TVENRL": "Eligibility decided"},
            {**_design_keys(study, "TV"), "VISITNUM": BASELINE[0], "VISIT": BASELINE[1], "VISITDY": None,
             "TVSTRL": f"Baseline imaging within {schedule.baseline_window_days} days before {schedule.anchor}",
             "TVENRL": ""}]
    for n, day in enumerate(planned_assessment_days(study), start=1):
        rows.append({**_design_keys(study, "TV"), "VISITNUM": n + 1, "VISIT": f"TUMOUR ASSESSMENT {n}",
                     "VISITDY": day + 1, "TVSTRL": f"Day {day} after {schedule.anchor}", "TVENRL": ""})
    variables = [*_design_variables(), Variable("VISITNUM", "Visit Number", "integer", origin="Protocol"),
                 Variable("VISIT", "Visit Name", origin="Protocol"),
                 Variable("VISITDY", "Planned Study Day of Visit", "integer", origin="Protocol"),
                 Variable("TVSTRL", "Visit Start Rule", origin="Protocol"),
                 Variable("TVENRL", "Visit End Rule", origin="Protocol")]
    return build_dataset("TV", "Trial Visits", "TRIAL DESIGN", "One record per planned Visit",
                         "Tabulation", ("STUDYID", "VISITNUM"), variables, rows,
                         comment=f"Open-ended assessment phases list their first {OPEN_PHASE_VISITS} visits")


def visit_numbers(study: ExportStudy) -> dict[tuple[str, str], tuple[int, str]]:
    """(subject, eCRF visit) → (VISITNUM, VISIT): a subject's first assessment is BASELINE, the
    k-th after it TUMOUR ASSESSMENT k (as TV numbers them)."""
    by_subject: dict[str, list] = {}
    for assessment in study.records("assessments"):
        by_subject.setdefault(assessment.subject_id, []).append(assessment)
    numbers = {}
    for sid, assessments in by_subject.items():
        for n, a in enumerate(sorted(assessments, key=lambda a: (a.date, a.visit))):
            numbers[(sid, a.visit)] = BASELINE if n == 0 else (n + 1, f"TUMOUR ASSESSMENT {n}")
    return numbers


def epoch_of(study: ExportStudy, subject_id: str, day) -> str:
    """SCREENING before the first protocol therapy (or randomisation), TREATMENT up to the last
    therapy, FOLLOW-UP after it."""
    facts = study.facts_by_id.get(subject_id)
    if facts is None or day is None:
        return ""
    start = facts.first_treatment_date or facts.randomized_on
    if start is None or day < start:
        return "SCREENING"
    if facts.last_treatment_date is None or day <= facts.last_treatment_date:
        return "TREATMENT"
    return "FOLLOW-UP"


def reference_start(study: ExportStudy, subject_id: str):
    """DM.RFSTDTC as a date (first protocol therapy, else randomisation): day 1 of --DY."""
    facts = study.facts_by_id.get(subject_id)
    return (facts.first_treatment_date or facts.randomized_on) if facts else None


def export_trial_design(study: ExportStudy) -> tuple[Dataset, ...]:
    """TA, TE and TV."""
    return export_ta(study), export_te(study), export_tv(study)
