"""The eCRF part of the demo database: for every enrolled subject of the demo studies, the records
a site would have entered, consistent with the calendar events the core demo recorded.

- a baseline tumour assessment (trial A: liver / lung metastases, those planned for ablation tagged
  MWA and so non-targets by RECIST, endpoints.md §1.14; trial B: the postoperative baseline, with
  residual measurable disease in some and only the irradiated margin or a sub-centimetre nodule in
  the others), then one assessment on each scan date the calendar recorded, sized so that the
  computed response follows the subject's course: responders shrink by 38-65 %, progression falls
  exactly on the recorded progression date (sum +25-50 % and ≥ 5 mm over the nadir, or an
  unequivocal new lesion);
- the protocol's dose of each dose event (height and weight for BSA), with a 20 % reduction after
  a grade 3-4 chemotherapy toxicity; local-therapy sessions (MWA, SBRT) with the lesions treated
  and ablation-zone assessments at the technique-efficacy scan;
- CTCAE v5 adverse events at rates near seed-trials.md §6 (the [ASSUMPTION] defaults), deaths and
  off-treatment at progression.

Everything goes through the eCRF services (edit checks, audit, calendar link), so the records link
to the core events instead of duplicating them. Two deliberate gaps (an AE marked recovered without
an end date) leave the query list non-empty. Randomness comes only from the ``rng`` passed in.
"""

from __future__ import annotations

import datetime as dt
import logging
import math
from dataclasses import dataclass, field

from oncotrial.domain.conduct.dosing import compute_prescribed_dose
from oncotrial.errors import OncotrialError
from oncotrial.web.ecrf.services.recist import save_tumour_assessment
from oncotrial.web.ecrf.services.records import save_record
from oncotrial.web.models import EventKind, Subject
from oncotrial.web.services.events import _arm_of

LOG = logging.getLogger(__name__)
HOW = "system"
CEA_ULN = "5.0"
# term, chance per treated subject, share of grade >= 3, cause, onset (days after the cause)
AE_CATALOGUE = (
    ("Neutrophil count decreased", 0.55, 0.55, "chemo", (5, 12)),
    ("Febrile neutropenia", 0.03, 1.0, "chemo", (7, 12)),
    ("Anemia", 0.30, 0.10, "chemo", (10, 40)),
    ("Platelet count decreased", 0.20, 0.15, "chemo", (5, 15)),
    ("Nausea", 0.40, 0.06, "chemo", (1, 3)),
    ("Diarrhea", 0.30, 0.25, "chemo", (3, 10)),
    ("Fatigue", 0.40, 0.05, "chemo", (2, 10)),
    ("Peripheral sensory neuropathy", 0.45, 0.10, "oxaliplatin", (40, 120)),
    ("Palmar-plantar erythrodysesthesia syndrome", 0.35, 0.18, "capecitabine", (20, 60)),
    ("Alanine aminotransferase increased", 0.15, 0.10, "chemo", (10, 40)),
    ("Reactive cutaneous capillary endothelial proliferation (RCCEP)", 0.68, 0.03, "camrelizumab",
     (30, 70)),
    ("Hypothyroidism", 0.10, 0.0, "anti_pd1", (60, 120)),
    ("Pneumonitis", 0.04, 0.35, "anti_pd1", (60, 150)),
    ("Rash maculo-papular", 0.10, 0.10, "anti_pd1", (10, 40)),
    ("Pneumothorax", 0.40, 0.10, "lung_ablation", (0, 1)),
    ("Pain", 0.30, 0.0, "ablation", (0, 2)),
    ("Fever", 0.20, 0.0, "ablation", (0, 2)),
    ("Fatigue", 0.45, 0.04, "sbrt", (2, 10)),
    ("Alanine aminotransferase increased", 0.10, 0.05, "sbrt", (10, 40)),
)
SERIOUS_AT_GRADE_3 = {"Diarrhea", "Pneumonitis", "Pneumothorax", "Febrile neutropenia"}
GRADE_4_SHARE = {"Neutrophil count decreased": 0.3, "Platelet count decreased": 0.2}
NEW_LESION_SITES = (("liver", "segment II"), ("lung", "right lower lobe"), ("peritoneum", "omentum"),
                    ("bone", "L2 vertebra"))


@dataclass
class Course:
    """One subject's planned course: lesions at baseline and how they change."""

    lesions: list[dict]
    best_ratio: float
    pd_by_new_lesion: bool
    method: str
    cea: float
    height: float
    weight: float
    reduce_from: dt.date | None = None
    reasons: list[str] = field(default_factory=list)


def build_ecrf_demo(people, rng, as_of: dt.date) -> dict:
    """Enter the eCRF records of every enrolled subject; return counts of what was saved."""
    counts: dict = {}
    treated = 0
    for subject in (Subject.objects.filter(enrolment__isnull=False)
                    .select_related("study", "site", "enrolment").order_by("study__code", "id")):
        staff = people["coordinator" if subject.site.code == "01" else "coordinator2"]
        events = list(subject.events.order_by("occurred_on", "id"))
        if not any(e.kind in (EventKind.DOSE, EventKind.PROCEDURE, EventKind.PROGRESSION) for e in events):
            continue  # randomized, awaiting treatment: nothing entered yet
        treated += 1
        _enter_subject(staff, subject, events, rng, as_of, counts, deliberate=treated in (3, 40))
    return counts


def _enter_subject(staff, subject, events, rng, as_of, counts, deliberate: bool) -> None:
    protocol = subject.study.current_version().protocol
    arm = protocol.arm(_arm_of(subject))
    by_kind: dict = {}
    for event in events:
        by_kind.setdefault(event.kind, []).append(event)
    progression = _first_date(by_kind, EventKind.PROGRESSION)
    death = _first_date(by_kind, EventKind.DEATH)
    sessions = by_kind.get(EventKind.PROCEDURE, [])
    course = _plan_course(protocol.id, arm, rng, sessions)
    baseline_on, scans = _scan_dates(subject, by_kind, progression)
    _save(counts, "tumour_assessment", save_tumour_assessment, staff, subject,
          _baseline_header(baseline_on, course), [_baseline_row(row) for row in course.lesions], how=HOW)
    _enter_sessions(staff, subject, sessions, course, counts, as_of)
    adverse = _plan_adverse_events(protocol, arm, subject, by_kind, course, rng, as_of, death)
    _enter_doses(staff, subject, protocol, by_kind, course, counts)
    _enter_assessments(staff, subject, scans, progression, course, rng, counts)
    _enter_ablation_zones(staff, subject, sessions, course, scans, rng, counts)
    for number, values in enumerate(adverse):
        if deliberate and number == len(adverse) - 1 and values.get("end_date"):
            values = {**values, "end_date": None}  # deliberate: AE-15 opens a query
        _save(counts, "adverse_event", save_record, staff, subject, "adverse_event", values, how=HOW)
    if progression is not None:
        _save(counts, "subject_status", save_record, staff, subject, "subject_status",
              {"status": "off_treatment", "date": progression,
               "reason": "disease progression (RECIST 1.1)"}, how=HOW)
    if death is not None:
        _save(counts, "death", save_record, staff, subject, "death",
              {"date": death, "cause": "disease_progression"}, how=HOW)


def _save(counts, form: str, function, *args, **kwargs):
    """Save one record; a record the checks refuse is counted as skipped, never forced in."""
    try:
        record = function(*args, **kwargs)
    except OncotrialError as refused:
        LOG.info("demo %s record refused: %s", form, refused.message)
        counts[f"{form} skipped"] = counts.get(f"{form} skipped", 0) + 1
        return None
    counts[form] = counts.get(form, 0) + 1
    return record


def _first_date(by_kind, kind) -> dt.date | None:
    found = by_kind.get(kind)
    return found[0].occurred_on if found else None


# --- disease at baseline ---------------------------------------------------------------------

def _plan_course(protocol_id: str, arm, rng, sessions) -> Course:
    sex_height = float(rng.normal(166, 7))
    height = round(min(max(sex_height, 148), 190), 0)
    weight = round(min(max(float(rng.normal(64, 10)), 42), 105), 1)
    if protocol_id == "crlm-mwa-camrelizumab":
        lesions = _trial_a_lesions(rng, sessions)
        responder = rng.random() < 0.45
    else:
        lesions = _trial_b_lesions(rng, "sbrt" in arm.interventions)
        responder = rng.random() < 0.35
    best = float(rng.uniform(0.35, 0.62) if responder else rng.uniform(0.78, 1.04))
    elevated = rng.random() < 0.6
    cea = float(min(math.exp(rng.normal(3.0, 0.8)), 600) if elevated else rng.uniform(1.0, 4.5))
    return Course(lesions, best, bool(rng.random() < 0.4), "MRI" if rng.random() < 0.2 else "CT",
                  max(cea, 5.5) if elevated else cea, height, weight)


def _trial_a_lesions(rng, sessions) -> list[dict]:
    """Untreated metastases are the targets; those planned for ablation are non-targets (MWA)."""
    where = str(rng.choice(["liver", "lung", "both"], p=[0.6, 0.15, 0.25]))
    organs = {"liver": ["liver"], "lung": ["lung"], "both": ["liver", "lung"]}[where]
    lesions, per_organ = [], {}
    for number in range(int(rng.integers(1, 4))):
        organ = organs[number % len(organs)]
        per_organ[organ] = per_organ.get(organ, 0) + 1
        kind = "target" if per_organ[organ] <= 2 else "non_target"  # RECIST: 2 targets per organ
        lesions.append(_lesion(f"L{number + 1}", organ, kind, rng.uniform(12, 42), rng))
    for number in range(max(1, min(len(sessions), 3)) if sessions else 1):
        organ = organs[int(rng.integers(len(organs)))]
        lesions.append(_lesion(f"A{number + 1}", organ, "non_target", rng.uniform(10, 30), rng,
                               treated_by="MWA"))
    return lesions


def _trial_b_lesions(rng, sbrt: bool) -> list[dict]:
    """After resection: residual measurable disease in some; the high-risk margin (SBRT arm) or a
    sub-centimetre nodule otherwise, followed as non-target disease."""
    lesions = []
    if rng.random() < 0.4:
        for number in range(int(rng.integers(1, 3))):
            lesions.append(_lesion(f"L{number + 1}", "liver", "target", rng.uniform(11, 26), rng))
    if sbrt:
        lesions.append({**_lesion("S1", "liver", "non_target", rng.uniform(8, 20), rng,
                                  treated_by="SBRT"), "location": "resection margin, high risk"})
    else:
        lesions.append(_lesion("N1", "liver", "non_target", rng.uniform(5, 9), rng))
    return lesions


def _lesion(lesion_id, organ, kind, size, rng, treated_by="none") -> dict:
    location = (f"segment {['II', 'III', 'IVa', 'V', 'VI', 'VII', 'VIII'][int(rng.integers(7))]}"
                if organ == "liver" else ["right upper lobe", "left lower lobe", "right middle lobe"][
                    int(rng.integers(3))])
    return {"lesion_id": lesion_id, "organ": organ, "location": location, "kind": kind,
            "size": round(float(size)), "treated_by": treated_by}


def _baseline_header(on: dt.date, course: Course) -> dict:
    return {"visit": "baseline", "date": on, "method": course.method, "is_baseline": True,
            "cea": f"{course.cea:.1f}", "cea_uln": CEA_ULN}


def _baseline_row(row: dict) -> dict:
    target = row["kind"] == "target"
    return {"lesion_id": row["lesion_id"], "kind": row["kind"], "organ": row["organ"],
            "location": row["location"], "axis": "long", "size_mm": row["size"] if target else None,
            "non_target_state": "" if target else "present", "treated_by": row["treated_by"]}


def _scan_dates(subject, by_kind, progression) -> tuple[dt.date, list[dt.date]]:
    """The baseline scan (the last one before treatment starts, never before consent) and the
    follow-up scans the calendar recorded."""
    consent = subject.consents.order_by("signed_on").first().signed_on
    treatment = [e.occurred_on for e in by_kind.get(EventKind.DOSE, []) + by_kind.get(EventKind.PROCEDURE, [])]
    randomization = getattr(subject, "randomization", None)
    start = min(treatment + ([randomization.randomized_at.date()] if randomization else [])
                or [subject.enrolment.enrolled_on])
    scans = sorted({e.occurred_on for e in by_kind.get(EventKind.ASSESSMENT, [])})
    before = [day for day in scans if day <= start]
    baseline = max(before[-1] if before else start - dt.timedelta(days=5), consent)
    if progression is not None and baseline >= progression:
        baseline = max(consent, progression - dt.timedelta(days=1))
    return baseline, [day for day in scans if day > baseline]


# --- treatment ---------------------------------------------------------------------------------

def _enter_sessions(staff, subject, sessions, course, counts, as_of) -> None:
    treated = [row["lesion_id"] for row in course.lesions if row["treated_by"] != "none"]
    for number, session in enumerate(sessions):
        if session.item == "sbrt":
            end = min(session.end_on or session.occurred_on + dt.timedelta(days=6), as_of)
            values = {"kind": "SBRT", "date": session.occurred_on, "end_date": end,
                      "lesion_ids": treated, "technique": "VMAT, breath-hold", "dose_gy": "50",
                      "fractions": 5}
        else:
            lesion_ids = treated[number::len(sessions)] or treated[-1:]
            values = {"kind": "MWA", "date": session.occurred_on, "lesion_ids": lesion_ids,
                      "technique": "percutaneous, CT-guided", "technical_success": True}
        _save(counts, "local_therapy", save_record, staff, subject, "local_therapy", values, how=HOW)


def _enter_doses(staff, subject, protocol, by_kind, course, counts) -> None:
    """One record per dose event: the antibody, or the chemotherapy's day-1 infusion (oxaliplatin
    or irinotecan). The other drugs of a cycle are not entered (keeps the demo build short)."""
    chosen = {e.item: e.value for e in by_kind.get(EventKind.REGIMEN_CHOICE, [])}
    for event in by_kind.get(EventKind.DOSE, []):
        drug_dose = _day_one_drug(protocol, event.item, chosen)
        if drug_dose is None:
            continue
        reduced = (event.item == "chemotherapy" and course.reduce_from is not None
                   and event.occurred_on > course.reduce_from)
        dose = compute_prescribed_dose(drug_dose, course.height, course.weight,
                                       reduction_percent=20.0 if reduced else 0.0)
        values = {"drug": drug_dose.drug, "date": event.occurred_on, "action": "reduced" if reduced else "given",
                  "dose": f"{round(dose.dose)}", "unit": "mg", "height_cm": f"{course.height:.0f}",
                  "weight_kg": f"{course.weight:.1f}"}
        if reduced:
            values.update(reduction_percent="20", reason=course.reasons[0] if course.reasons else "toxicity")
        _save(counts, "dose_administration", save_record, staff, subject, "dose_administration", values,
              how=HOW)


def _day_one_drug(protocol, clock: str, chosen: dict):
    for intervention in protocol.interventions:
        regimens = [r for r in intervention.regimens if r.clock_name == clock]
        if intervention.choice == "one_per_patient":
            regimens = [r for r in regimens if r.id == chosen.get(intervention.id)]
        if regimens:
            return regimens[0].drugs[0]
    return None


# --- follow-up imaging -------------------------------------------------------------------------

def _enter_assessments(staff, subject, scans, progression, course, rng, counts) -> None:
    targets = [row for row in course.lesions if row["kind"] == "target"]
    baseline_sum = sum(row["size"] for row in targets)
    nadir, previous = baseline_sum, {row["lesion_id"]: row["size"] for row in targets}
    for number, day in enumerate(scans, start=1):
        progressed = progression is not None and day == progression
        if progressed:
            sizes, new = _progression_sizes(previous, nadir, course, rng)
        else:
            ratio = 1 + (course.best_ratio - 1) * min(1.0, number / 2)
            sizes = {row["lesion_id"]: max(3, round(row["size"] * ratio * rng.uniform(0.98, 1.02)))
                     for row in targets}
            new = None
        total = sum(sizes.values())
        response = _expected_response(targets, total, baseline_sum, nadir, new is not None)
        ratio = total / baseline_sum if targets else (1.6 if progressed else 1.0)
        header = {"visit": f"FU{number:02d}", "date": day, "method": course.method,
                  "cea": f"{min(course.cea * ratio * (1.5 if progressed else 1.0), 950):.1f}",
                  "cea_uln": CEA_ULN, "investigator_response": response}
        rows = [_follow_up_row(row, sizes) for row in course.lesions]
        if new is not None:
            rows.append(new)
        if _save(counts, "tumour_assessment", save_tumour_assessment, staff, subject, header, rows,
                 how=HOW) is not None:
            nadir, previous = min(nadir, total), sizes


def _progression_sizes(previous: dict, nadir: int, course: Course, rng):
    """Progression by growth (sum ≥ 1.25 × nadir and ≥ 5 mm more) or by an unequivocal new lesion."""
    sizes = dict(previous)
    if sizes and not course.pd_by_new_lesion:
        factor = float(rng.uniform(1.25, 1.5))
        sizes = {lesion: round(size * factor) for lesion, size in sizes.items()}
        largest = max(sizes, key=sizes.get)
        sizes[largest] += max(0, math.ceil(max(nadir * 1.25, nadir + 6)) - sum(sizes.values()))
        return sizes, None
    organ, location = NEW_LESION_SITES[int(rng.integers(len(NEW_LESION_SITES)))]
    return sizes, {"lesion_id": "N9", "kind": "new", "organ": organ, "location": location,
                   "size_mm": round(float(rng.uniform(8, 22))), "certainty": "unequivocal"}


def _follow_up_row(row: dict, sizes: dict) -> dict:
    if row["kind"] == "target":
        return {"lesion_id": row["lesion_id"], "kind": "target", "organ": row["organ"], "axis": "long",
                "size_mm": sizes[row["lesion_id"]], "result": "measured"}
    return {"lesion_id": row["lesion_id"], "kind": "non_target", "organ": row["organ"],
            "non_target_state": "present"}


def _expected_response(targets, total, baseline_sum, nadir, new_lesion: bool) -> str:
    """The investigator's reading, by the RECIST 1.1 rules of endpoints.md §1.5 and §1.8."""
    if new_lesion or (targets and total >= 1.2 * nadir and total - nadir >= 5):
        return "PD"
    if not targets:
        return "NON-CR/NON-PD"
    return "PR" if total <= 0.7 * baseline_sum else "SD"


def _enter_ablation_zones(staff, subject, sessions, course, scans, rng, counts) -> None:
    """Technique efficacy at the first scan at least 3 weeks after each ablation (endpoints.md §5.2)."""
    treated = [row["lesion_id"] for row in course.lesions if row["treated_by"] == "MWA"]
    for number, session in enumerate(s for s in sessions if s.item == "ablation"):
        later = [day for day in scans if day >= session.occurred_on + dt.timedelta(days=21)]
        if not later:
            continue
        for lesion_id in treated[number::max(1, len(sessions))] or treated[-1:]:
            finding = "COMPLETE" if rng.random() < 0.9 else "RESIDUAL"
            _save(counts, "ablation_zone_assessment", save_record, staff, subject,
                  "ablation_zone_assessment", {"lesion_id": lesion_id, "date": later[0], "finding": finding,
                                               "technique_efficacy_scan": True}, how=HOW)


# --- adverse events ----------------------------------------------------------------------------

def _plan_adverse_events(protocol, arm, subject, by_kind, course, rng, as_of, death) -> list[dict]:
    causes = _cause_dates(protocol, arm, by_kind, course)
    limit = min(as_of, death - dt.timedelta(days=1)) if death else as_of
    adverse = []
    for term, chance, severe_share, cause, (early, late) in AE_CATALOGUE:
        happens, severe = rng.random() < chance, rng.random() < severe_share
        dates = causes.get(cause)
        if not happens or not dates:
            continue
        start = dates[int(rng.integers(len(dates)))] + dt.timedelta(days=int(rng.integers(early, late + 1)))
        if start > limit:
            continue
        grade = _grade(term, severe, rng)
        adverse.append(_adverse_values(term, grade, start, cause, arm, rng, as_of))
        if cause == "chemo" and grade >= 3 and course.reduce_from is None:
            course.reduce_from, course.reasons = start, [f"grade {grade} {term.lower()}"]
            adverse[-1]["action"] = "dose_reduced"
    return adverse


def _cause_dates(protocol, arm, by_kind, course) -> dict:
    doses = by_kind.get(EventKind.DOSE, [])
    chemo = [e.occurred_on for e in doses if e.item == "chemotherapy"]
    antibody = [e.occurred_on for e in doses if e.item == "antibody"]
    chosen = {e.value for e in by_kind.get(EventKind.REGIMEN_CHOICE, [])}
    sessions = by_kind.get(EventKind.PROCEDURE, [])
    lung = any(row["organ"] == "lung" and row["treated_by"] == "MWA" for row in course.lesions)
    return {
        "chemo": chemo, "oxaliplatin": chemo if chosen & {"xelox", "mfolfox6"} else [],
        "capecitabine": chemo if "xelox" in chosen else [],
        "anti_pd1": antibody[:1], "camrelizumab": antibody[:1] if "camrelizumab" in arm.interventions else [],
        "lung_ablation": [s.occurred_on for s in sessions if s.item == "ablation"][:1] if lung else [],
        "ablation": [s.occurred_on for s in sessions if s.item == "ablation"],
        "sbrt": [s.occurred_on for s in sessions if s.item == "sbrt"],
    }


def _grade(term: str, severe: bool, rng) -> int:
    if severe:
        return 4 if rng.random() < GRADE_4_SHARE.get(term, 0.0) else 3
    return 1 if rng.random() < 0.6 else 2


def _adverse_values(term, grade, start, cause, arm, rng, as_of) -> dict:
    lasting = int(rng.integers(5, 20) if grade >= 3 else rng.integers(7, 60))
    if cause in ("camrelizumab", "anti_pd1"):
        lasting = int(rng.integers(60, 200))
    end = start + dt.timedelta(days=lasting)
    serious = grade >= 3 and term in SERIOUS_AT_GRADE_3
    values = {"term": term, "grade": grade, "start_date": start, "serious": serious,
              "immune_related": cause in ("camrelizumab", "anti_pd1"),
              "action": _action(cause, grade), "outcome": "recovered" if end <= as_of else "recovering",
              "end_date": end if end <= as_of else None}
    if serious:
        values.update(serious_criterion="hospitalisation", awareness_date=start + dt.timedelta(days=1))
    values.update(_attribution(cause, arm))
    return values


def _action(cause: str, grade: int) -> str:
    if cause in ("ablation", "lung_ablation", "sbrt"):
        return "not_applicable"
    if grade >= 3:
        return "interrupted" if cause in ("camrelizumab", "anti_pd1") else "delayed"
    return "none"


def _attribution(cause: str, arm) -> dict:
    """Attribution per intervention the arm has (endpoints.md §4.3)."""
    has_pd1 = any(i in arm.interventions for i in ("camrelizumab", "sintilimab"))
    has_procedure = any(i in arm.interventions for i in ("ablation", "sbrt"))
    procedural = cause in ("ablation", "lung_ablation", "sbrt")
    immune = cause in ("camrelizumab", "anti_pd1")
    values = {"attribution_chemotherapy": "unlikely" if procedural or immune else "probable"}
    if has_pd1:
        values["attribution_anti_pd1"] = "definite" if immune else ("unrelated" if procedural else "possible")
    if has_procedure:
        values["attribution_procedure"] = "definite" if procedural else "unrelated"
    return values
