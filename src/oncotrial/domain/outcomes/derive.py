"""One call from a trial's records to its subject-level outcomes (spec endpoints.md §0–§5).

`derive_subject_outcomes` takes the protocol and the trial's tables in any row order and returns
frozen rows: per subject the BOR (confirmed and not), PFS / OS / DoR / time to response / local
control with the rule that decided each, ORR / DCR flags, the 12-month PFS status and the worst AE
grades; per assessment the RECIST timepoint rows. Reports, exports and the web app call only this.
Every platform choice is an argument of `DerivationOptions` with the spec's default (spec §0.3, §7).
"""

from __future__ import annotations

import dataclasses
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date

from oncotrial.domain.outcomes import endpoints as ep
from oncotrial.domain.outcomes import local_control as lc
from oncotrial.domain.outcomes import rates, safety
from oncotrial.domain.outcomes import time_to_event as tte
from oncotrial.domain.outcomes.derivation_rules import (
    DerivationOptions,
    DerivationRules,
    resolve_derivation_rules,
)
from oncotrial.domain.outcomes.records import (
    FOLLOW_UP_STATUSES,
    PROCEDURE_KINDS,
    SITE_FINDINGS,
    AdverseEvent,
    Death,
    Dose,
    NewAnticancerTherapy,
    Procedure,
    Subject,
    TreatedSiteAssessment,
)
from oncotrial.domain.outcomes.subject_outcomes import DerivedOutcomes, SubjectOutcome
from oncotrial.domain.protocol.model import Protocol
from oncotrial.domain.tumour.irecist import (
    IrecistResult,
    IrecistRules,
    IResponse,
    derive_irecist_responses,
)
from oncotrial.domain.tumour.lesions import (
    Assessment,
    DataQualityFlag,
    Lesion,
    LesionMeasurement,
    NewLesion,
    NonTargetStatus,
    TumourRecords,
)
from oncotrial.domain.tumour.recist import RecistResult, TimepointResponse, derive_timepoint_responses
from oncotrial.domain.tumour.response import (
    BestOverallResponse,
    Response,
    derive_best_overall_response,
)
from oncotrial.errors import InvalidInput


@dataclass
class _SubjectTables:
    lesions: list = field(default_factory=list)
    assessments: list = field(default_factory=list)
    measurements: list = field(default_factory=list)
    non_target_statuses: list = field(default_factory=list)
    new_lesions: list = field(default_factory=list)
    procedures: list = field(default_factory=list)
    doses: list = field(default_factory=list)
    adverse_events: list = field(default_factory=list)
    deaths: list = field(default_factory=list)
    new_therapies: list = field(default_factory=list)
    site_assessments: list = field(default_factory=list)

    def tumour_records(self, subject_id: str) -> TumourRecords:
        return TumourRecords(subject_id, tuple(self.lesions), tuple(self.assessments),
                             tuple(self.measurements), tuple(self.non_target_statuses),
                             tuple(self.new_lesions))


def derive_subject_outcomes(
    protocol: Protocol,
    subjects: Iterable[Subject],
    lesions: Iterable[Lesion] = (),
    assessments: Iterable[Assessment] = (),
    procedures: Iterable[Procedure] = (),
    doses: Iterable[Dose] = (),
    adverse_events: Iterable[AdverseEvent] = (),
    deaths: Iterable[Death] = (),
    *,
    measurements: Iterable[LesionMeasurement] = (),
    non_target_statuses: Iterable[NonTargetStatus] = (),
    new_lesions: Iterable[NewLesion] = (),
    new_therapies: Iterable[NewAnticancerTherapy] = (),
    site_assessments: Iterable[TreatedSiteAssessment] = (),
    options: DerivationOptions,
    collect_problems: bool = False,
) -> DerivedOutcomes:
    """Derive every subject's outcomes from a trial's records (spec endpoints.md §1–§5).

    Per subject: RECIST 1.1 timepoints (§1.2–1.10), BOR confirmed and unconfirmed (§1.11–1.12),
    ORR / DCR flags (§1.13), PFS (§3.3, FDA Table A by default), OS (§3.4), DoR and time to response
    (§3.5, §1.13), local control per treated lesion and per patient (§3.7, §5), the 12-month PFS
    status, TEAE worst grades (§4). Rows may come in any order; the result does not depend on it.

    Raises InvalidInput naming subject, visit and record for inconsistent data (dates out of order,
    an assessment before enrolment, death before randomisation or start, an AE grade outside 1–5),
    unless `collect_problems=True`: then the problems come back in `.problems` and as each subject's
    flags, and everything else is still derived.
    """
    rules = resolve_derivation_rules(protocol, options)
    subject_list = sorted(subjects, key=lambda s: s.subject_id)
    tables, orphans = _group_tables(subject_list, collect_problems, lesions=lesions, assessments=assessments,
                           measurements=measurements, non_target_statuses=non_target_statuses,
                           new_lesions=new_lesions, procedures=procedures, doses=doses,
                           adverse_events=adverse_events, deaths=deaths,
                           new_therapies=new_therapies, site_assessments=site_assessments)
    rows, timepoints, teaes, problems = [], [], [], list(orphans)
    for subject in subject_list:
        outcome, recist, records, found = _derive_one(
            subject, tables.get(subject.subject_id, _SubjectTables()), rules, options,
            collect_problems)
        rows.append(outcome)
        timepoints.extend(recist.timepoints if recist else ())
        teaes.extend(records)
        problems.extend(found)
    descriptions = (*rules.pfs.rule_descriptions, *rules.os.rule_descriptions,
                    rules.bor.description, rules.recist.description,
                    safety.SafetySummary.definition)
    if options.derive_irecist:
        descriptions += (IrecistRules(
            iupd_unconfirmed_counts_as_event=options.iupd_unconfirmed_counts_as_event).description,)
    return DerivedOutcomes(tuple(rows), tuple(timepoints), tuple(teaes), tuple(problems),
                           descriptions)


def _group_tables(subjects: list[Subject], collect: bool, **tables) -> tuple[dict, list]:
    """Rows by subject id; rows of subjects not passed are problems."""
    known = {s.subject_id for s in subjects}
    if len(known) != len(subjects):
        duplicated = sorted({s.subject_id for s in subjects if
                             sum(t.subject_id == s.subject_id for t in subjects) > 1})
        raise InvalidInput(f"subject id {duplicated[0]} appears more than once",
                           field="subject_id", hint="each subject is passed exactly once")
    grouped: dict = defaultdict(_SubjectTables)
    orphans: list[DataQualityFlag] = []
    for name, rows in tables.items():
        for row in rows:
            if row.subject_id not in known:
                flag = DataQualityFlag("UNKNOWN_SUBJECT", row.subject_id,
                                       f"{name} row of subject {row.subject_id}, who is not among "
                                       f"the subjects passed")
                if not collect:
                    raise InvalidInput(flag.message, field="subject_id",
                                       hint="pass every subject whose records are given")
                orphans.append(flag)
                continue
            getattr(grouped[row.subject_id], name).append(row)
    return grouped, orphans


def _at_cutoff(tables: _SubjectTables, cutoff: date) -> _SubjectTables:
    """The records known at the data cut-off (spec §3.1: nothing dated after the DCO is used), so an
    equivocal lesion confirmed only after the cut stays open. Deaths and survival contacts are kept:
    a later one proves the subject alive at the cut (spec §3.4, cases O-03, O-04)."""
    visits = {a.visit for a in tables.assessments if a.date <= cutoff}
    return dataclasses.replace(
        tables,
        assessments=[a for a in tables.assessments if a.visit in visits],
        measurements=[m for m in tables.measurements if m.visit in visits],
        non_target_statuses=[n for n in tables.non_target_statuses if n.visit in visits],
        new_lesions=[n for n in tables.new_lesions if n.visit in visits],
        site_assessments=[s for s in tables.site_assessments if s.date <= cutoff],
        procedures=[p for p in tables.procedures if p.date <= cutoff],
        doses=[d for d in tables.doses if d.date <= cutoff],
        adverse_events=[a for a in tables.adverse_events if a.start_date <= cutoff])


def _derive_one(subject, tables, rules, options, collect):
    problems = _check_subject(subject, tables, rules, collect)
    everything, tables = tables, _at_cutoff(tables, options.data_cutoff)
    start = _start_date(subject, tables, rules, options)
    death = min((d.date for d in tables.deaths), default=None)
    nact = min((t.start_date for t in tables.new_therapies), default=None)
    teaes = _teae_records(tables, nact, rules.teae_window)
    if start is None:
        problems.append(DataQualityFlag("NO_START_DATE", subject.subject_id,
                                        f"subject {subject.subject_id} has no start date: no "
                                        f"randomisation and no protocol therapy"))
        return _untreated(subject, teaes, problems), None, teaes, tuple(problems)
    records = tables.tumour_records(subject.subject_id)
    irecist = None
    if options.derive_irecist:
        irecist = derive_irecist_responses(
            records, start, rules=IrecistRules(
                iupd_unconfirmed_counts_as_event=options.iupd_unconfirmed_counts_as_event),
            recist_rules=rules.recist, bor_rules=rules.bor,
            enrolment_date=subject.enrolment_date, new_anticancer_therapy_date=nact,
            data_cutoff=options.data_cutoff, collect_problems=collect)
        recist = irecist.recist
    else:
        recist = derive_timepoint_responses(
            records, start, enrolment_date=subject.enrolment_date,
            new_anticancer_therapy_date=nact, data_cutoff=options.data_cutoff,
            rules=rules.recist, collect_problems=collect)
    bor = derive_best_overall_response(recist.timepoints, start, subject_id=subject.subject_id,
                                       rules=rules.bor, new_therapy_date=nact,
                                       data_cutoff=options.data_cutoff)
    problems.extend(recist.problems)
    outcome = _outcome(subject, tables, rules, options, start, death, nact, recist, bor, teaes,
                       tuple(problems), _last_known_alive(subject, everything, death))
    if irecist is not None:
        outcome = dataclasses.replace(
            outcome, ibor=irecist.ibor.value, confirmed_ibor=irecist.confirmed_ibor.value,
            ipfs=_ipfs(irecist, outcome, death, nact, rules, options))
    return outcome, recist, teaes, tuple(problems)


def _check_subject(subject: Subject, tables: _SubjectTables, rules: DerivationRules, collect: bool) -> list:
    """Dates out of order and impossible records (issue 3 "Bad input"); tumour records are checked
    by the RECIST engine, AE grades by `safety.check_adverse_events`."""
    sid, messages = subject.subject_id, []
    randomized, enrolled = subject.randomization_date, subject.enrolment_date
    if randomized and enrolled and randomized < enrolled:
        messages.append(("DATES_OUT_OF_ORDER", f"randomisation {randomized} is before enrolment "
                         f"{enrolled}"))
    for death in tables.deaths:
        for label, anchor in (("randomisation", randomized), ("enrolment", enrolled)):
            if anchor and death.date < anchor:
                messages.append(("DEATH_BEFORE_START", f"death on {death.date} is before {label} "
                                 f"({anchor})"))
    if subject.follow_up_status not in FOLLOW_UP_STATUSES:
        messages.append(("SUBJECT_INVALID", f"follow-up status {subject.follow_up_status!r}; "
                         f"allowed: {', '.join(FOLLOW_UP_STATUSES)}"))
    if len(tables.deaths) > 1:
        messages.append(("DUPLICATE_DEATH", f"{len(tables.deaths)} death records"))
    death = min((d.date for d in tables.deaths), default=None)
    for kind, rows, when in (("dose", tables.doses, "date"), ("procedure", tables.procedures, "date")):
        for row in rows:
            day = getattr(row, when)
            if enrolled and day < enrolled:
                messages.append(("DATES_OUT_OF_ORDER", f"{kind} on {day} is before enrolment "
                                 f"({enrolled})"))
            if death and day > death:
                messages.append(("DATES_OUT_OF_ORDER", f"{kind} on {day} is after death ({death})"))
    if death and subject.last_known_alive_date and subject.last_known_alive_date > death:
        messages.append(("DATES_OUT_OF_ORDER", f"last known alive {subject.last_known_alive_date} "
                         f"is after death ({death})"))
    messages += [("AE_INVALID", m) for m in safety.check_adverse_events(tables.adverse_events)]
    messages += _local_therapy_problems(tables)
    flags = [DataQualityFlag(code, sid, f"subject {sid}: {text}") for code, text in messages]
    if flags and not collect:
        raise InvalidInput(flags[0].message, field=flags[0].code.lower(),
                           hint="correct the record in the EDC, or derive with "
                                "collect_problems=True to see every problem as a flag",
                           errors=[{"field": f.code.lower(), "message": f.message} for f in flags])
    return flags


def _local_therapy_problems(tables: _SubjectTables) -> list[tuple[str, str]]:
    """Procedures of an unknown kind and site readings outside the findings of spec §5."""
    problems = [("PROCEDURE_INVALID", f"procedure {p.procedure_id} has kind {p.kind!r}; allowed: "
                 f"{', '.join(PROCEDURE_KINDS)}") for p in tables.procedures
                if p.kind not in PROCEDURE_KINDS]
    problems += [("PROCEDURE_INVALID", f"procedure {p.procedure_id} ends on {p.end_date}, before "
                  f"it starts ({p.date})") for p in tables.procedures
                 if p.end_date is not None and p.end_date < p.date]
    treated = {lesion for p in tables.procedures for lesion in p.lesion_ids}
    for scan in tables.site_assessments:
        where = f"site imaging of lesion {scan.lesion_id} on {scan.date}"
        if scan.finding not in SITE_FINDINGS:
            problems.append(("SITE_FINDING_INVALID", f"{where} reads {scan.finding!r}; allowed: "
                             f"{', '.join(SITE_FINDINGS)}"))
        if scan.lesion_id not in treated:
            problems.append(("SITE_NOT_TREATED", f"{where}: no procedure treated this lesion"))
    return problems


def _start_date(subject: Subject, tables: _SubjectTables, rules: DerivationRules,
                options: DerivationOptions) -> date | None:
    """STARTDT (spec §0.3 `start_date`, §7.1): randomisation in a randomised trial, otherwise the
    first protocol therapy of any kind; a subject's explicit start date wins."""
    if subject.start_date is not None:
        return subject.start_date
    first_dose = min((d.date for d in tables.doses), default=None)
    first_local = min((p.date for p in tables.procedures if p.planned), default=None)
    first_therapy = min((d for d in (first_dose, first_local) if d is not None), default=None)
    rule = options.start_date_rule
    if rule == "protocol":
        rule = "randomization" if rules.randomized else "first_therapy"
    return {"randomization": subject.randomization_date, "enrolment": subject.enrolment_date,
            "first_therapy": first_therapy, "first_dose": first_dose,
            "first_local_treatment": first_local}[rule]


def _exposure(tables: _SubjectTables) -> tuple[date | None, date | None]:
    days = [d.date for d in tables.doses] + [p.end_date or p.date for p in tables.procedures
                                             if p.planned]
    firsts = [d.date for d in tables.doses] + [p.date for p in tables.procedures if p.planned]
    return min(firsts, default=None), max(days, default=None)


def _teae_records(tables: _SubjectTables, nact: date | None, window: safety.TeaeWindow):
    first, last = _exposure(tables)
    return safety.derive_teae_flags(tables.adverse_events, first, last, window, nact)


def _last_known_alive(subject: Subject, tables: _SubjectTables, death: date | None) -> date | None:
    """LKA: the latest complete date with evidence of life (spec §3.4): visits, doses, procedures,
    tumour and site assessments, AE dates and survival contacts, none after a death."""
    days = [subject.last_known_alive_date, subject.enrolment_date, subject.randomization_date]
    days += [a.date for a in tables.assessments] + [d.date for d in tables.doses]
    days += [p.end_date or p.date for p in tables.procedures]
    days += [s.date for s in tables.site_assessments]
    days += [d for ae in tables.adverse_events for d in (ae.start_date, ae.end_date)]
    alive = [d for d in days if d is not None and (death is None or d <= death)]
    return max(alive, default=None)


def _as_outcome(tp: TimepointResponse) -> ep.AssessmentOutcome:
    # A PD is observed on its assessment date but dated by first evidence (spec §1.10).
    if tp.response == Response.PD:
        return ep.AssessmentOutcome(max(tp.assessment_date, tp.date), tp.response.value, tp.date)
    return ep.AssessmentOutcome(tp.date, tp.response.value)


def _outcome(subject, tables, rules, options, start, death, nact, recist: RecistResult,
             bor: BestOverallResponse, teaes, problems, last_alive) -> SubjectOutcome:
    sid, cutoff = subject.subject_id, options.data_cutoff
    baseline = recist.baseline
    valid_baseline = baseline.assessment is not None and not any(
        f.code == "NO_VALID_BASELINE" for f in baseline.flags)
    pfs_data = ep.derive_pfs_data(
        sid, start, [_as_outcome(tp) for tp in recist.timepoints], death_date=death,
        new_therapy_date=nact, has_valid_baseline=valid_baseline,
        follow_up_status=subject.follow_up_status)
    pfs = tte.derive_time_to_event(pfs_data, rules.pfs, cutoff)
    os_data = ep.derive_os_data(sid, start, death_date=death, last_known_alive_date=last_alive)
    required = rules.bor.confirmation_required
    response_date = bor.confirmed_response_date if required else bor.first_response_date
    dor = (tte.derive_time_to_event(ep.derive_dor_data(pfs_data, response_date), rules.dor, cutoff)
           if response_date is not None else None)
    cr_date = _first_cr_date(bor, required)
    duration_of_cr = (tte.derive_time_to_event(ep.derive_dor_data(pfs_data, cr_date), rules.dor,
                                              cutoff) if cr_date is not None else None)
    used_bor = bor.confirmed_bor if required else bor.bor
    received = bool(tables.doses or any(p.planned for p in tables.procedures))
    flags = rates.derive_response_flags(used_bor.value, measurable_disease=baseline.has_measurable_disease,
                                     received_therapy=received,
                                     include_non_measurable=options.include_non_measurable_in_dcr)
    lesions, local = _local_control(sid, tables, recist, death, rules, options,
                                    start if rules.local_control_from_start else None)
    worst = safety.derive_subject_safety(sid, teaes, missing_grade_imputation=options.missing_grade_imputation)
    related = safety.derive_subject_safety(sid, teaes, subset="related",
                                           missing_grade_imputation=options.missing_grade_imputation)
    return SubjectOutcome(
        subject_id=sid, site=subject.site, arm=subject.arm, start_date=start,
        has_valid_baseline=valid_baseline, measurable_disease=baseline.has_measurable_disease,
        bor=bor.bor.value, bor_date=bor.bor_date, confirmed_bor=bor.confirmed_bor.value,
        confirmed_bor_date=bor.confirmed_bor_date, in_response_population=flags.in_population,
        responder=flags.responder, disease_control=flags.disease_control, pfs=pfs,
        os=tte.derive_time_to_event(os_data, rules.os, cutoff), dor=dor,
        duration_of_cr=duration_of_cr,
        time_to_response=ep.derive_time_to_response(sid, start, response_date),
        local_control=local, pfs_12_month_status=rates.derive_landmark_status(pfs, options.landmark_days),
        worst_ae_grade=worst.worst_grade, has_grade_3_4_teae=worst.has_grade_3_4,
        has_grade_3_plus_teae=worst.has_grade_3_plus, has_grade_5_teae=worst.has_grade_5,
        has_grade_3_4_related_teae=related.has_grade_3_4, received_therapy=received,
        treated_lesions=lesions, flags=tuple(problems) + recist.flags + bor.flags)


_I_ADEQUATE = frozenset({IResponse.ICR, IResponse.IPR, IResponse.ISD, IResponse.NON_ICR_NON_IUPD})


def _ipfs(irecist: IrecistResult, outcome: SubjectOutcome, death, nact, rules, options):
    """iPFS (spec §3.6, §2.6): the iRECIST progression date, with PFS's windows and censoring."""
    events = []
    if irecist.progression_is_confirmed:
        events.append(tte.EventCandidate("iCPD", irecist.progression_date, irecist.icpd_date,
                                        f"iCPD {irecist.icpd_date}"))
    if irecist.unconfirmed_iupd_date is not None:
        events.append(tte.EventCandidate("iUPD", irecist.unconfirmed_iupd_date,
                                        irecist.unconfirmed_iupd_date,
                                        f"iUPD {irecist.unconfirmed_iupd_date}"))
    if death is not None:
        events.append(tte.EventCandidate("DEATH", death, None, f"death {death}"))
    data = tte.TimeToEventData(
        subject_id=outcome.subject_id, start_date=outcome.start_date, events=tuple(events),
        adequate_dates=tuple(tp.date for tp in irecist.timepoints if tp.response in _I_ADEQUATE),
        has_valid_baseline=outcome.has_valid_baseline, new_therapy_date=nact)
    return tte.derive_time_to_event(data, rules.ipfs, options.data_cutoff)


def _first_cr_date(bor: BestOverallResponse, confirmation_required: bool) -> date | None:
    """Start of the duration of CR (spec §3.5): the first CR, or the first confirmed CR when the
    trial requires confirmation."""
    if confirmation_required:
        return bor.confirmed_bor_date if bor.confirmed_bor == Response.CR else None
    return next((r.date for r in bor.responses_used if r.response == Response.CR), None)


def _local_control(sid, tables, recist, death, rules, options, origin: date | None):
    """Per lesion from its treatment (spec §3.7); per patient from the first local treatment, or
    from the start date when the protocol's local-control endpoint says so (Trial B)."""
    if not tables.procedures:
        return (), None
    sizes = {item.lesion_id: float(item.size) for item in recist.baseline.lesions
             if item.size is not None and item.lesion.is_locally_treated}
    lesions = lc.derive_treated_lesion_outcomes(
        sid, tables.procedures, tables.site_assessments, options.data_cutoff, death_date=death,
        missed_visit_rule=rules.missed_visit, sbrt_anchor=options.sbrt_anchor,
        pre_treatment_sizes=sizes)
    first_local = origin or min((p.date for p in tables.procedures), default=None)
    return lesions, lc.derive_patient_local_control(lesions, options.data_cutoff, first_local)


def derive_trial_rates(outcomes: DerivedOutcomes) -> dict[str, rates.RateEstimate]:
    """ORR and DCR over the response population with Clopper–Pearson CIs (spec §1.13; cases E-02,
    E-04). The BOR behind each flag is the confirmed one when the protocol requires confirmation.
    The 12-month PFS *rate* is a Kaplan–Meier estimate (`stats.km`), not a rate of this kind."""
    population = [s for s in outcomes.subjects if s.in_response_population]
    if not population:
        raise InvalidInput("no subject is in the response population", field="subjects",
                           hint="ORR and DCR need treated subjects with measurable disease")
    return {"ORR": rates.compute_binomial_rate(sum(s.responder for s in population), len(population)),
            "DCR": rates.compute_binomial_rate(sum(s.disease_control for s in population),
                                            len(population))}


def derive_trial_safety_summary(
    outcomes: DerivedOutcomes, subset: str = "all", missing_grade_imputation: int | None = None
) -> safety.SafetySummary:
    """The grade 3–4 TEAE rate and worst-grade tables over the safety set (every subject who
    received any protocol therapy), for one subset of AEs (spec §4.4; cases A-01, A-02, A-07)."""
    treated = [s.subject_id for s in outcomes.subjects if s.received_therapy]
    if not treated:
        raise InvalidInput("the safety set is empty: no subject received protocol therapy",
                           field="subjects", hint="doses and planned procedures define it")
    if subset not in safety.SUBSETS:
        raise InvalidInput(f"AE subset {subset!r}", field="subset",
                           hint=f"allowed: {', '.join(safety.SUBSETS)}")
    by_subject: dict[str, list] = defaultdict(list)
    for record in outcomes.adverse_events:
        by_subject[record.subject_id].append(record)
    rows = [safety.derive_subject_safety(sid, by_subject[sid], subset=subset,
                                         missing_grade_imputation=missing_grade_imputation)
            for sid in treated]
    return safety.derive_safety_summary(rows, subset=subset)


def _untreated(subject: Subject, teaes, problems) -> SubjectOutcome:
    """A subject with no start date (never randomised nor treated): nothing time-based to derive."""
    return SubjectOutcome(
        subject_id=subject.subject_id, site=subject.site, arm=subject.arm, start_date=None,
        has_valid_baseline=False, measurable_disease=False, bor=Response.NO_ASSESSMENT.value,
        bor_date=None, confirmed_bor=Response.NO_ASSESSMENT.value, confirmed_bor_date=None,
        in_response_population=False, responder=False, disease_control=False, pfs=None, os=None,
        dor=None, time_to_response=None, local_control=None, pfs_12_month_status=None,
        worst_ae_grade=None, has_grade_3_4_teae=False, has_grade_3_plus_teae=False,
        has_grade_5_teae=False, has_grade_3_4_related_teae=False, received_therapy=False,
        flags=tuple(problems))
