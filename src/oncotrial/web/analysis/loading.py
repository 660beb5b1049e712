"""Read a whole study from the database into the domain's inputs: per-subject facts for the
CONSORT flow and tables, and the derivation's records (tumour assessments, doses, local
therapy, ablation-zone imaging, AEs, deaths, new anticancer therapy). Nothing here writes."""

from __future__ import annotations

from dataclasses import dataclass, field

from oncotrial.domain.analysis.inputs import SubjectFacts
from oncotrial.domain.outcomes.records import (
    AdverseEvent,
    Death,
    Dose,
    NewAnticancerTherapy,
    Procedure,
    Subject,
    TreatedSiteAssessment,
)
from oncotrial.web.ecrf import models as m
from oncotrial.web.ecrf.services import context as ctx
from oncotrial.web.ecrf.services.recist import load_tumour_records
from oncotrial.web.models import Subject as SubjectRow

GIVEN = ("given", "delayed", "reduced")
WITHDRAWALS = ("withdrawn", "off_study")


@dataclass
class StudyRecords:
    """Everything the analysis reads of one study, as domain records."""

    facts: list[SubjectFacts] = field(default_factory=list)
    subjects: list[Subject] = field(default_factory=list)
    tables: dict[str, list] = field(default_factory=lambda: {name: [] for name in (
        "lesions", "assessments", "measurements", "non_target_statuses", "new_lesions",
        "procedures", "doses", "adverse_events", "deaths", "new_therapies", "site_assessments")})


def load_study_records(study, protocol) -> StudyRecords:
    """Every subject of `study` (all sites: the analysis is study-wide) with its records."""
    records = StudyRecords()
    factors = [f.id for f in protocol.randomization.factors]
    rows = (SubjectRow.objects.filter(study=study).select_related("site")
            .prefetch_related("screenings").order_by("identifier"))
    for row in rows:
        _load_subject(records, row, factors)
    return records


def _arm_and_strata(row, factors) -> tuple[str, tuple[tuple[str, str], ...]]:
    # a missing one-to-one row raises RelatedObjectDoesNotExist, an AttributeError
    randomization = getattr(row, "randomization", None)
    enrolment = getattr(row, "enrolment", None)
    chosen = (randomization.factors if randomization else None) or (enrolment.strata if enrolment else {})
    strata = tuple((f, str(chosen[f])) for f in factors if f in (chosen or {}))
    arm = randomization.arm if randomization else (enrolment.arm if enrolment else "")
    return arm, strata


def _load_subject(records: StudyRecords, row, factors) -> None:
    sid = row.identifier
    arm, strata = _arm_and_strata(row, factors)
    screening = max(row.screenings.all(), key=lambda s: (s.recorded_at, s.pk), default=None)
    doses = list(m.DoseAdministration.objects.filter(subject=row, action__in=GIVEN))
    therapies = list(m.LocalTherapy.objects.filter(subject=row))
    treatment = [d.date for d in doses] + [t.end_date or t.date for t in therapies]
    starts = [d.date for d in doses] + [t.date for t in therapies]
    changes = list(m.SubjectStatusChange.objects.filter(subject=row))
    stopped = next((c for c in changes if c.status == "off_treatment"), None)
    withdrawn = next((c for c in changes if c.status in WITHDRAWALS), None)
    death = m.Death.objects.filter(subject=row).first()
    records.facts.append(SubjectFacts(
        sid, site=row.site.code, arm=arm, strata=strata, sex=row.sex,
        age=row.screened_on.year - row.birth_year if row.birth_year else None,
        screened_on=row.screened_on, eligible=screening.eligible if screening else None,
        ineligible_reasons=tuple(str(r) for r in (screening.reasons or ())) if screening else (),
        enrolled_on=ctx.enrolment_date(row), randomized_on=ctx.randomization_date(row),
        first_treatment_date=min(starts, default=None), last_treatment_date=max(treatment, default=None),
        discontinued_on=stopped.date if stopped else None,
        discontinued_reason=stopped.reason if stopped else "",
        withdrawn_on=withdrawn.date if withdrawn else None,
        withdrawn_reason=withdrawn.reason if withdrawn else "",
        death_date=death.date if death else None,
        death_cause=(death.cause_text or death.cause) if death else ""))
    if ctx.enrolment_date(row) is None and ctx.randomization_date(row) is None:
        return
    # no enrolment date for the derivation: the baseline scan is a screening scan that may precede
    # enrolment (RECIST window: 28 days before the start), as the eCRF's live RECIST also reads it
    records.subjects.append(Subject(
        sid, site=row.site.code, arm=arm, enrolment_date=None,
        randomization_date=ctx.randomization_date(row),
        follow_up_status="WITHDREW" if withdrawn else "ONGOING",
        stratum="/".join(f"{k}={v}" for k, v in strata)))
    _load_tables(records.tables, row, sid, doses, therapies, death)


def _load_tables(tables: dict, row, sid: str, doses, therapies, death) -> None:
    tumour = load_tumour_records(row)
    for name in ("lesions", "assessments", "measurements", "non_target_statuses", "new_lesions"):
        tables[name] += list(getattr(tumour, name))
    tables["doses"] += [Dose(sid, d.date, d.drug, d.drug, float(d.dose) if d.dose is not None else None,
                             d.unit) for d in doses]
    tables["procedures"] += [Procedure(sid, f"LT{t.pk}", t.kind, t.date, tuple(t.lesion_ids), t.end_date,
                                       technical_success=t.technical_success) for t in therapies]
    tables["site_assessments"] += [
        TreatedSiteAssessment(sid, z.lesion_id, z.date, z.finding,
                              technique_efficacy_scan=z.technique_efficacy_scan)
        for z in m.AblationZoneAssessment.objects.filter(subject=row)]
    tables["adverse_events"] += [_adverse_event(sid, ae) for ae in m.AdverseEvent.objects.filter(subject=row)]
    tables["new_therapies"] += [NewAnticancerTherapy(sid, t.start_date, t.description)
                                for t in m.NewAnticancerTherapy.objects.filter(subject=row)]
    if death is not None:
        tables["deaths"].append(Death(sid, death.date, death.cause_text or death.cause))


def _adverse_event(sid: str, ae: m.AdverseEvent) -> AdverseEvent:
    attributions = {"anti-PD-1": ae.attribution_anti_pd1 or None,
                    "chemotherapy": ae.attribution_chemotherapy or None,
                    "procedure": ae.attribution_procedure or None}
    return AdverseEvent(sid, str(ae.pk), ae.term, ae.start_date, ae.grade, soc=ae.soc,
                        end_date=ae.end_date, ctcae_version=ae.ctcae_version,
                        attributions=attributions, serious=ae.serious,
                        immune_related=ae.immune_related,
                        led_to_discontinuation=ae.action == "withdrawn",
                        led_to_interruption=ae.action in ("interrupted", "delayed"))

