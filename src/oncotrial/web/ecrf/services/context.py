"""Subject-level facts from other forms that cross-form edit checks need (consent, randomization,
baseline lesions, treated lesions, the prescribed dose, the grades of a CTCAE term)."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from oncotrial.domain.conduct.dosing import compute_prescribed_dose
from oncotrial.errors import InvalidInput
from oncotrial.web.ecrf import models as m

EARLIEST_YEAR = 1900  # when the year of birth is not recorded


def site_today(subject) -> dt.date:
    """Today in the site's time zone: a date after it has not happened yet."""
    from django.utils import timezone

    return timezone.now().astimezone(ZoneInfo(subject.site.timezone or "UTC")).date()


def consent_date(subject) -> dt.date | None:
    first = subject.consents.order_by("signed_on").first()
    return first.signed_on if first else None


def randomization_date(subject) -> dt.date | None:
    try:
        randomization = subject.randomization
    except Exception:  # no allocation yet (RelatedObjectDoesNotExist)
        return None
    if randomization is None:
        return None
    # the calendar dates randomization in the site's time zone; the checks must agree with it
    return randomization.randomized_at.astimezone(ZoneInfo(subject.site.timezone or "UTC")).date()


def enrolment_date(subject) -> dt.date | None:
    try:
        return subject.enrolment.enrolled_on
    except Exception:  # not enrolled yet
        return None


def baseline_assessment(subject, exclude_pk=None):
    found = m.TumourAssessment.objects.filter(subject=subject, is_baseline=True)
    if exclude_pk:
        found = found.exclude(pk=exclude_pk)
    return found.order_by("-date").first()


def baseline_lesion_ids(subject) -> set[str] | None:
    baseline = baseline_assessment(subject)
    if baseline is None:
        return None
    return set(baseline.lesions.exclude(kind="new").values_list("lesion_id", flat=True))


def treated_lesions(subject) -> dict[str, tuple[str, dt.date]]:
    """Lesion id -> (local therapy kind, first treatment date)."""
    treated: dict[str, tuple[str, dt.date]] = {}
    for therapy in m.LocalTherapy.objects.filter(subject=subject).order_by("date", "id"):
        for lesion_id in therapy.lesion_ids:
            treated.setdefault(lesion_id, (therapy.kind, therapy.date))
    return treated


def build_context(subject, form: str, values: dict, record=None) -> dict:
    """The context dict `run_edit_checks` reads for one form."""
    context = {"consent_date": consent_date(subject), "randomization_date": randomization_date(subject),
               "screening_date": subject.screened_on, "today": site_today(subject),
               "earliest_date": dt.date(subject.birth_year or EARLIEST_YEAR, 1, 1)}
    if form == "tumour_assessment":
        baseline = baseline_assessment(subject, exclude_pk=record.pk if record else None)
        context["baseline_date"] = baseline.date if baseline else None
    elif form == "local_therapy":
        context["baseline_lesion_ids"] = baseline_lesion_ids(subject)
    elif form == "ablation_zone_assessment":
        treated = treated_lesions(subject)
        context["treated_lesion_ids"] = set(treated)
        if values.get("lesion_id") in treated:
            context["procedure_date"] = treated[values["lesion_id"]][1]
    elif form == "adverse_event":
        term = find_ctcae_term(values.get("term"))
        context["term_grades"] = None if term is None else {
            int(g) for g, text in term.grades.items() if text}
    return context


def find_ctcae_term(term: str | None, version: str = "5.0"):
    if not term:
        return None
    return m.CtcaeTerm.objects.filter(version=version, term__iexact=term.strip()).first()


OTHER_SPECIFY = " - Other, specify"


def require_ctcae_term(term: str, version: str = "5.0", specify=None):
    found = find_ctcae_term(term, version)
    if found is None:
        raise InvalidInput(f"CTCAE term {term!r} is not a CTCAE v{version} term known here",
                           field="term", hint="Choose the system organ class, then a term from its list.")
    if specify is not None and found.term.endswith(OTHER_SPECIFY) and not str(specify).strip():
        raise InvalidInput(f"{found.term}: say what the adverse event was", field="term_specify",
                           hint="CTCAE's 'Other, specify' term needs the event's own name beside it.")
    return found


def subject_regimens(subject, protocol):
    """The subject's regimens in protocol order: the chosen one where the protocol chooses per
    patient, every regimen of the arm, or of the protocol before the arm is known."""
    from oncotrial.web.models import SubjectEvent

    chosen = dict(SubjectEvent.objects.filter(subject=subject, kind="regimen_choice")
                  .order_by("occurred_on", "id").values_list("item", "value"))
    arm_id = getattr(getattr(subject, "randomization", None), "arm", "") or getattr(
        getattr(subject, "enrolment", None), "arm", "")
    arm = next((a for a in protocol.arms if a.id == arm_id), None)
    for intervention in protocol.interventions:
        if arm is not None and intervention.id not in arm.interventions:
            continue
        for regimen in intervention.regimens:
            if intervention.id not in chosen or regimen.id == chosen[intervention.id]:
                yield regimen


def regimen_drugs(subject) -> list[str]:
    """The drugs the dose form offers: those of the subject's regimens, each once, in protocol order."""
    drugs: list[str] = []
    for regimen in subject_regimens(subject, subject.study.current_version().protocol):
        drugs += [d.drug for d in regimen.drugs if d.drug not in drugs]
    return drugs


def check_protocol_drug(subject, drug: str) -> None:
    """A dose record names a drug of the protocol's regimens; anything else is a concomitant
    medication (the dose form could otherwise store "oxaliplatine" with no prescribed dose)."""
    protocol = subject.protocol_version.protocol
    known = {d.drug.lower(): d.drug for i in protocol.interventions for r in i.regimens for d in r.drugs}
    if drug and drug.strip().lower() not in known:
        offered = regimen_drugs(subject) or sorted(set(known.values()))
        raise InvalidInput(f"subject {subject.identifier}: drug '{drug}' is not a drug of this protocol's "
                           f"regimens; allowed: {', '.join(offered)}", field="drug",
                           hint="Record any other medicine as a concomitant medication.")


def prescribed_dose_for(subject, values: dict):
    """The protocol's dose for `values['drug']` in the subject's regimen (else the first regimen of the
    study protocol that gives the drug), or None when the body size
    needed is missing (the form still saves; no dose check). A drug outside the protocol's
    regimens is refused (InvalidInput naming the drugs offered)."""
    protocol = subject.protocol_version.protocol
    check_protocol_drug(subject, values.get("drug") or "")
    drug = (values.get("drug") or "").strip().lower()
    # The subject's own regimen first: oxaliplatin is 85 mg/m2 in mFOLFOX6 but 130 in XELOX.
    everything = (r for i in protocol.interventions for r in i.regimens)
    for regimen in (*subject_regimens(subject, protocol), *everything):
        for drug_dose in regimen.drugs:
            if drug_dose.drug.lower() == drug:
                return _compute(drug_dose, values)
    return None


def _compute(drug_dose, values):
    height, weight = values.get("height_cm"), values.get("weight_kg")
    if drug_dose.basis == "bsa" and (height is None or weight is None):
        return None
    if drug_dose.basis == "weight" and weight is None:
        return None
    reduction = float(values.get("reduction_percent") or 0)
    return compute_prescribed_dose(drug_dose, None if height is None else float(height),
                                   None if weight is None else float(weight), reduction_percent=reduction)
