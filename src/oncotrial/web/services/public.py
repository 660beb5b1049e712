"""The public, registry-style study information page: facts from the protocol only, nothing about
subjects, with a notice that it is information and not medical advice."""

from __future__ import annotations

from django.utils.translation import gettext as _

PHASES = {"early_phase1": "Early phase 1", "phase1": "Phase 1", "phase1_phase2": "Phase 1/2",
          "phase2": "Phase 2", "phase2_phase3": "Phase 2/3", "phase3": "Phase 3", "phase4": "Phase 4",
          "na": "Not applicable"}


def default_notice() -> str:
    return _("This page is for information only and does not constitute medical advice. "
             "Always consult a qualified healthcare professional.")


def public_study_info(study) -> dict:
    protocol = study.current_version().protocol
    registry = protocol.registry
    interventions = {i.id: i for i in protocol.interventions}
    return {
        "code": study.code, "title": registry.brief_title or protocol.title,
        "official_title": registry.official_title or protocol.title, "nct_id": registry.nct_id,
        "summary": registry.brief_summary, "description": registry.detailed_description,
        "conditions": list(registry.conditions), "status": registry.status, "recruiting": study.status,
        "design": {"study_type": registry.study_type, "phase": PHASES.get(registry.phase, registry.phase),
                   "allocation": registry.allocation, "intervention_model": registry.intervention_model,
                   "masking": registry.masking, "primary_purpose": registry.primary_purpose,
                   "enrollment": registry.enrollment},
        "arms": [{"name": arm.name, "kind": arm.kind, "description": arm.description,
                  "interventions": [interventions[i].name for i in arm.interventions if i in interventions]}
                 for arm in protocol.arms],
        "eligibility": {
            "inclusion": [c.text for c in protocol.eligibility if c.kind == "inclusion"],
            "exclusion": [c.text for c in protocol.eligibility if c.kind == "exclusion"],
        },
        "outcomes": [{"role": e.role, "name": e.name, "time_frame": e.time_frame} for e in protocol.endpoints],
        "sites": [{"name": s.name, "city": s.city, "country": s.country} for s in study.sites.all()],
        "sponsor": registry.sponsor, "contact": registry.contact,
        "notice": registry.notice or default_notice(),
        "protocol_version": study.current_version().version,
    }
