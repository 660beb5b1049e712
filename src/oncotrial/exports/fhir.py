"""HL7 FHIR R4 ResearchStudy and ResearchSubject (spec standards.md §5), one collection Bundle per
study: the study with its arms, phase and status, and a ResearchSubject per screened person with
the R4 status, assigned / actual arm names and the study period. Patients are referenced, never
exported (the EDC holds no names). Structure validated by `fhir.resources` (R4B models, which R4
resources parse with); the R4 status value sets are enforced here, as the models do not.
"""

from __future__ import annotations

import json

from oncotrial.domain.analysis.inputs import SubjectFacts

from .bundle import ExportStudy

PHASES = "http://terminology.hl7.org/CodeSystem/research-study-phase"
ARM_TYPES = "http://terminology.hl7.org/CodeSystem/research-study-arm-type"
STUDY_STATUS = {"recruiting": "active", "not_yet_recruiting": "approved", "active_not_recruiting": "closed-to-accrual",
                "enrolling_by_invitation": "active", "completed": "completed", "withdrawn": "withdrawn",
                "terminated": "administratively-completed", "suspended": "temporarily-closed-to-accrual"}
SUBJECT_STATUSES = frozenset({"candidate", "eligible", "follow-up", "ineligible", "not-registered", "off-study",
                              "on-study", "on-study-intervention", "on-study-observation", "pending-on-study",
                              "potential-candidate", "screening", "withdrawn"})
ARM_KINDS = {"experimental": "experimental", "active_comparator": "active-comparator",
             "placebo_comparator": "placebo-comparator", "sham_comparator": "sham-comparator",
             "no_intervention": "no-intervention"}


def _phase(phase: str) -> dict:
    code = {"phase1": "phase-1", "phase2": "phase-2", "phase3": "phase-3", "phase4": "phase-4",
            "phase1_phase2": "phase-1-phase-2", "phase2_phase3": "phase-2-phase-3"}.get(phase, "n-a")
    return {"coding": [{"system": PHASES, "code": code}]}


def research_study(study: ExportStudy) -> dict:
    """The R4 ResearchStudy of `study`."""
    protocol, registry = study.protocol, study.protocol.registry
    resource = {"resourceType": "ResearchStudy", "id": study.code,
                "identifier": [{"system": "urn:oncotrial:study", "value": study.code}],
                "title": protocol.title, "status": STUDY_STATUS.get(registry.status, "active"),
                "phase": _phase(registry.phase),
                "condition": [{"text": c} for c in registry.conditions],
                "arm": [{"name": a.name, "type": {"coding": [{"system": ARM_TYPES,
                                                              "code": ARM_KINDS.get(a.kind, "other-arm-type")}]}}
                        for a in protocol.arms],
                "objective": [{"name": e.name} for e in protocol.endpoints]}
    if registry.nct_id:
        resource["identifier"].append({"system": "https://clinicaltrials.gov", "value": registry.nct_id})
    if registry.brief_summary:
        resource["description"] = registry.brief_summary
    if registry.sponsor:
        resource["sponsor"] = {"display": registry.sponsor}
    return resource


def subject_status(facts: SubjectFacts) -> str:
    """The R4 ResearchSubjectStatus of a screened person (spec §5.2)."""
    if facts.eligible is False:
        return "ineligible"
    if facts.withdrawn_on is not None:
        return "withdrawn"
    if facts.death_date is not None:
        return "off-study"
    if facts.enrolled_on is None and facts.randomized_on is None:
        return "eligible" if facts.eligible else "screening"
    if facts.discontinued_on is not None:
        return "on-study-observation"
    return "on-study-intervention" if facts.treated else "on-study"


def research_subject(study: ExportStudy, facts: SubjectFacts) -> dict:
    """The R4 ResearchSubject of one screened person (status, arms, period)."""
    arms = {a.id: a.name for a in study.protocol.arms}
    resource = {"resourceType": "ResearchSubject", "id": f"{study.code}-{facts.subject_id}",
                "identifier": [{"system": f"urn:oncotrial:{study.code}:subject", "value": facts.subject_id}],
                "status": subject_status(facts), "study": {"reference": f"ResearchStudy/{study.code}"},
                "individual": {"reference": f"Patient/{study.code}-{facts.subject_id}"}}
    start = facts.randomized_on or facts.enrolled_on or facts.screened_on
    if start:
        end = facts.withdrawn_on or facts.death_date
        resource["period"] = {"start": start.isoformat(), **({"end": end.isoformat()} if end else {})}
    if facts.arm in arms:
        resource["assignedArm"] = arms[facts.arm]
        if facts.treated:
            resource["actualArm"] = arms.get(facts.arm_as_treated, arms[facts.arm])
    return resource


def fhir_bundle(study: ExportStudy) -> dict:
    """A collection Bundle: the ResearchStudy, then one ResearchSubject per screened person."""
    resources = [research_study(study)] + [research_subject(study, f)
                                           for f in sorted(study.facts, key=lambda f: f.subject_id)]
    return {"resourceType": "Bundle", "type": "collection",
            "timestamp": study.created.replace(microsecond=0).isoformat(),
            "entry": [{"fullUrl": f"urn:oncotrial:{r['resourceType']}:{r['id']}", "resource": r}
                      for r in resources]}


def render_fhir(study: ExportStudy) -> bytes:
    """The Bundle as UTF-8 JSON."""
    return json.dumps(fhir_bundle(study), ensure_ascii=False, indent=1).encode()
