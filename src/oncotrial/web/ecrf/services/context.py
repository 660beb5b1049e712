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


def require_ctcae_term(term: str, version: str = "5.0"):
    found = find_ctcae_term(term, version)
    if found is None:
        raise InvalidInput(f"CTCAE term {term!r} is not a CTCAE v{version} term known here",
                           field="term", hint="Choose the system organ class, then a term from its list.")
    return found


def prescribed_dose_for(subject, values: dict):
    """The protocol's dose for `values['drug']` from the study protocol, or None when the drug is not
    in the protocol or the body size needed is missing (the form still saves; no dose check)."""
    protocol = subject.protocol_version.protocol
    drug = (values.get("drug") or "").strip().lower()
    for intervention in protocol.interventions:
        for regimen in intervention.regimens:
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
