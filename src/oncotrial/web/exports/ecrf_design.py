"""The eCRF form specs (`oncotrial.web.ecrf.specs`) as the exports' plain `EcrfDesign`: every form
with its fields, the tumour assessment's lesion rows as a repeating group, and the study events
each form is collected in. Imports no Django model, so tests and the command line can build it."""

from __future__ import annotations

from oncotrial.exports.ecrf import EcrfDesign, EcrfEvent, EcrfField, EcrfForm, EcrfGroup
from oncotrial.web.ecrf.specs import FORMS, LESION_FIELDS, FieldSpec

EVENTS = (
    ("tumour_assessments", "Tumour assessments", ("tumour_assessment",)),
    ("treatment", "Treatment", ("dose_administration", "local_therapy", "ablation_zone_assessment")),
    ("safety", "Adverse events and concomitant medications", ("adverse_event", "con_med")),
    ("follow_up", "Follow-up", ("new_anticancer_therapy",)),
    ("end_of_study", "End of treatment and study", ("subject_status", "death")),
)
SINGLE = frozenset({"death"})


def ecrf_field(spec: FieldSpec) -> EcrfField:
    return EcrfField(spec.name, spec.kind, spec.label, tuple(spec.choices), spec.help, spec.max_length,
                     spec.minimum, spec.maximum)


def build_ecrf_design() -> EcrfDesign:
    """Every eCRF form in declaration order and the events that collect them."""
    forms = []
    for spec in FORMS.values():
        groups = (EcrfGroup("lesion", "Lesion", tuple(ecrf_field(f) for f in LESION_FIELDS)),) \
            if spec.name == "tumour_assessment" else ()
        forms.append(EcrfForm(spec.name, spec.label, tuple(ecrf_field(f) for f in spec.fields),
                              spec.name not in SINGLE, groups))
    return EcrfDesign(tuple(forms), tuple(EcrfEvent(*event) for event in EVENTS))
