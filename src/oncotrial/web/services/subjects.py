"""Screening log, consent, eligibility and enrolment (ICH E6(R3) 2.8: consent before any trial
procedure; 2.7: eligibility confirmed, never assumed)."""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.dispatch import Signal
from django.utils import timezone

from oncotrial.domain.conduct.eligibility import evaluate_eligibility
from oncotrial.errors import Conflict, InvalidInput, NotFound
from oncotrial.web.identifiers import check_subject_identifier, derive_subject_identifier
from oncotrial.web.models import (
    Consent,
    Enrolment,
    ScreeningRecord,
    Site,
    StudySite,
    Subject,
    SubjectStatus,
)
from oncotrial.web.services.audit import changes_from, record_audit
from oncotrial.web.services.permissions import SITE_STAFF, require_role, visible_sites

# Sent inside the enrolment transaction, so the eCRF app can put records entered during screening
# (the baseline scan) on the calendar that starts now.
subject_enrolled = Signal()

SEXES = ("female", "male")
SIGNERS = ("self", "legal_representative")


def _today(site) -> dt.date:
    """Today at the site (a date in the future there is a typing error)."""
    from zoneinfo import ZoneInfo

    return timezone.now().astimezone(ZoneInfo(site.timezone or "UTC")).date()


def _check_not_future(value: dt.date, field: str, site) -> None:
    if value > _today(site):
        label = DATE_LABELS.get(field, field.replace("_", " "))
        raise InvalidInput(f"the {label} {value.isoformat()} is in the future at site {site.code} "
                           f"(today there is {_today(site).isoformat()})", field=field)


DATE_LABELS = {"screened_on": "screening date", "signed_on": "consent date", "assessed_on": "assessment date",
               "enrolled_on": "enrolment date"}


@transaction.atomic
def register_screening(user, study, site: Site, *, screened_on: dt.date, initials: str = "", sex: str = "",
                       birth_year: int | None = None, how: str = "page") -> Subject:
    """Open a screening-log entry and give the person a subject identifier (site, number, check digit)."""
    membership = require_role(user, study, site, SITE_STAFF, "screen subjects")
    study_site = StudySite.objects.select_for_update().filter(study=study, site=site, active=True).first()
    if study_site is None:
        raise InvalidInput(f"site {site.code} does not take part in study {study.code}", field="site")
    if study.status != "recruiting":
        raise Conflict(f"study {study.code} is not recruiting (status: {study.status})", field="study")
    _check_not_future(screened_on, "screened_on", site)
    _check_person(initials, sex, birth_year, screened_on)
    number = study_site.last_subject_number + 1
    StudySite.objects.filter(pk=study_site.pk).update(last_subject_number=number)
    subject = Subject.objects.create(
        study=study, site=site, number=number, identifier=derive_subject_identifier(site.code, number),
        initials=initials.upper(), sex=sex, birth_year=birth_year, screened_on=screened_on,
        protocol_version=study.current_version(), created_at=timezone.now())
    record_audit(user=user, role=membership.role, action="create", how=how, entity="subject",
                 entity_id=subject.pk, study=study, site=site, subject=subject,
                 changes=changes_from({}, _subject_snapshot(subject)))
    return subject


def _check_person(initials: str, sex: str, birth_year, on: dt.date) -> None:
    if initials and (len(initials) > 4 or not initials.isalpha()):
        raise InvalidInput(f"initials '{initials}' must be 1-4 letters", field="initials")
    if sex and sex not in SEXES:
        raise InvalidInput(f"sex '{sex}' is not allowed; allowed: {', '.join(SEXES)}", field="sex")
    if birth_year is not None and not (on.year - 120 <= birth_year <= on.year):
        raise InvalidInput(f"birth year {birth_year} is not between {on.year - 120} and {on.year}",
                           field="birth_year")


def _subject_snapshot(subject: Subject) -> dict:
    return {"identifier": subject.identifier, "initials": subject.initials, "sex": subject.sex,
            "birth_year": subject.birth_year, "screened_on": subject.screened_on, "status": subject.status,
            "protocol_version": subject.protocol_version.version}


@transaction.atomic
def correct_subject(user, subject: Subject, *, reason: str, how: str = "page", **fields) -> Subject:
    """Correct initials, sex, birth year or screening date; the old and new values and the reason
    go into the audit trail."""
    subject = _lock(subject)
    membership = require_role(user, subject.study, subject.site, SITE_STAFF, "correct subject details")
    if not reason.strip():
        raise InvalidInput(f"a reason is required to correct subject {subject.identifier}", field="reason")
    allowed = {"initials", "sex", "birth_year", "screened_on"}
    unknown = set(fields) - allowed
    if unknown:
        raise InvalidInput(f"cannot correct {', '.join(sorted(unknown))}; allowed: {', '.join(sorted(allowed))}",
                           field=sorted(unknown)[0])
    before = _subject_snapshot(subject)
    for name, value in fields.items():
        setattr(subject, name, value.upper() if name == "initials" else value)
    _check_person(subject.initials, subject.sex, subject.birth_year, subject.screened_on)
    subject.save(update_fields=list(fields))
    record_audit(user=user, role=membership.role, action="update", how=how, entity="subject",
                 entity_id=subject.pk, study=subject.study, site=subject.site, subject=subject,
                 reason=reason, changes=changes_from(before, _subject_snapshot(subject)))
    return subject


@transaction.atomic
def record_consent(user, subject: Subject, *, form_version: str, signed_on: dt.date, signer: str,
                   signer_relationship: str = "self", how: str = "page") -> Consent:
    """Record informed consent: the consent-form version, the date it was signed, and the signer."""
    subject = _lock(subject)
    membership = require_role(user, subject.study, subject.site, SITE_STAFF, "record consent")
    if not form_version.strip():
        raise InvalidInput("consent form version is required", field="form_version")
    if not signer.strip():
        raise InvalidInput("the name of the person who signed is required", field="signer")
    if signer_relationship not in SIGNERS:
        raise InvalidInput(f"signer '{signer_relationship}' is not allowed; allowed: {', '.join(SIGNERS)}",
                           field="signer_relationship")
    _check_not_future(signed_on, "signed_on", subject.site)
    consent = Consent.objects.create(
        subject=subject, form_version=form_version.strip(), signed_on=signed_on, signer=signer.strip(),
        signer_relationship=signer_relationship, obtained_by=user,
        protocol_version=subject.study.current_version(), recorded_at=timezone.now())
    record_audit(user=user, role=membership.role, action="create", how=how, entity="consent",
                 entity_id=consent.pk, study=subject.study, site=subject.site, subject=subject,
                 changes=changes_from({}, {"form_version": consent.form_version, "signed_on": signed_on,
                                           "signer": consent.signer, "signer_relationship": signer_relationship}))
    return consent


@transaction.atomic
def assess_eligibility(user, subject: Subject, *, assessed_on: dt.date, answers: dict,
                       judgements: dict | None = None, how: str = "page") -> ScreeningRecord:
    """Evaluate the protocol's structured criteria against the screening answers and log the result,
    with the reasons when the subject is not eligible."""
    subject = _lock(subject)
    membership = require_role(user, subject.study, subject.site, SITE_STAFF, "assess eligibility")
    if subject.status not in (SubjectStatus.SCREENING, SubjectStatus.ELIGIBLE, SubjectStatus.SCREEN_FAILED):
        raise Conflict(f"subject {subject.identifier} is {subject.status}; eligibility is assessed "
                       "before enrolment", field="subject")
    consent = subject.consents.order_by("signed_on").first()
    if consent is None or consent.signed_on > assessed_on:
        raise Conflict(f"subject {subject.identifier} has no consent signed on or before "
                       f"{assessed_on.isoformat()}", field="assessed_on",
                       hint="record informed consent before any screening procedure")
    _check_not_future(assessed_on, "assessed_on", subject.site)
    version = subject.study.current_version()
    check_eligibility_answers(subject, version.protocol, answers, judgements or {})
    result = evaluate_eligibility(version.protocol.eligibility, answers, judgements or {})
    record = ScreeningRecord.objects.create(
        subject=subject, assessed_on=assessed_on, answers=answers, eligible=result.eligible,
        reasons=list(result.reasons_ineligible()), protocol_version=version, recorded_by=user,
        recorded_at=timezone.now())
    old_status = subject.status
    subject.status = SubjectStatus.ELIGIBLE if result.eligible else SubjectStatus.SCREEN_FAILED
    subject.save(update_fields=["status"])
    record_audit(user=user, role=membership.role, action="create", how=how, entity="screening",
                 entity_id=record.pk, study=subject.study, site=subject.site, subject=subject,
                 changes=changes_from({}, {"answers": answers, "eligible": result.eligible,
                                           "reasons": record.reasons})
                 + [{"field": "status", "old": old_status, "new": subject.status}])
    return record


NUMERIC = (">=", "<=", ">", "<")
MAX_FACT = 1e9  # no laboratory value or count in a criterion comes near it


def check_eligibility_answers(subject: Subject, protocol, answers: dict, judgements: dict) -> None:
    """Answers only for the facts the protocol's criteria read (each of the type its criterion
    compares: a number, yes/no, a code) and the facts its stratification factors read; judgements
    only for criteria ids. InvalidInput names each answer that is not."""
    criteria = protocol.eligibility
    by_field = {c.field: c for c in criteria if c.field}
    known = set(by_field) | {f.field for f in protocol.randomization.factors if f.field}
    errors = [{"field": f"answers.{name}", "message": f"answer {name!r} is not a screening fact of this "
               f"protocol; allowed: {', '.join(sorted(known))}"} for name in answers if name not in known]
    ids = {c.id for c in criteria}
    errors += [{"field": f"judgements.{name}", "message": f"judgement {name!r} is not a criterion of this "
                f"protocol; allowed: {', '.join(sorted(ids))}"} for name in judgements if name not in ids]
    for name, value in answers.items():
        problem = _answer_problem(by_field.get(name), value) if name in known else ""
        if problem:
            errors.append({"field": f"answers.{name}", "message": f"answer {name}: {problem}"})
    if errors:
        raise InvalidInput(f"subject {subject.identifier}: " + "; ".join(e["message"] for e in errors),
                           field=errors[0]["field"], errors=errors)


def _answer_problem(criterion, value) -> str:
    if value is None:
        return ""
    if criterion is None:  # a stratification fact: a level such as "R0"
        return "" if isinstance(value, str) and len(value) <= 200 else "must be a text of at most 200 characters"
    if criterion.operator in ("is_true", "is_false"):
        return "" if isinstance(value, bool) else "must be true or false"
    if criterion.operator in NUMERIC:
        if isinstance(value, bool) or not isinstance(value, int | float) or not -MAX_FACT <= value <= MAX_FACT:
            return f"must be a number between {-MAX_FACT:g} and {MAX_FACT:g}"
        return ""
    if isinstance(value, str) and len(value) > 200:
        return "is longer than 200 characters"
    return "" if isinstance(value, str | int | float | bool) else "must be a text, a number or true / false"


@transaction.atomic
def enrol_subject(user, subject: Subject, *, enrolled_on: dt.date, arm: str = "", how: str = "page",
                  regimens: dict[str, str] | None = None) -> Enrolment:
    """Enrol an eligible, consented subject. Single-arm studies assign their arm here; ``regimens``
    ({intervention id: regimen id}) records the per-patient regimen choices on the enrolment day, so
    the calendar can be drawn at once (trial B: XELOX, mFOLFOX6 or FOLFIRI per patient)."""
    subject = _lock(subject)
    membership = require_role(user, subject.study, subject.site, SITE_STAFF, "enrol subjects")
    if hasattr(subject, "enrolment"):
        raise Conflict(f"subject {subject.identifier} is already enrolled", field="subject")
    screening = subject.screenings.order_by("-recorded_at", "-id").first()
    if screening is None or not screening.eligible:
        raise Conflict(f"subject {subject.identifier} has no eligibility assessment showing them eligible",
                       field="subject", hint="assess eligibility first")
    if enrolled_on < screening.assessed_on:
        raise InvalidInput(f"enrolment date {enrolled_on.isoformat()} is before the eligibility "
                           f"assessment ({screening.assessed_on.isoformat()})", field="enrolled_on")
    _check_not_future(enrolled_on, "enrolled_on", subject.site)
    version = subject.study.current_version()
    arm = _enrolment_arm(version.protocol, arm)
    enrolment = Enrolment.objects.create(subject=subject, enrolled_on=enrolled_on, arm=arm, enrolled_by=user,
                                         protocol_version=version, recorded_at=timezone.now())
    subject.status = SubjectStatus.ENROLLED
    subject.save(update_fields=["status"])
    record_audit(user=user, role=membership.role, action="enrol", how=how, entity="enrolment",
                 entity_id=enrolment.pk, study=subject.study, site=subject.site, subject=subject,
                 changes=changes_from({"status": SubjectStatus.ELIGIBLE},
                                      {"status": SubjectStatus.ENROLLED, "enrolled_on": enrolled_on,
                                       "arm": arm or None}))
    _record_regimen_choices(user, subject, version.protocol, regimens or {}, enrolled_on, how)
    subject_enrolled.send(sender=Enrolment, user=user, subject=subject, how=how)
    return enrolment


def _record_regimen_choices(user, subject, protocol, regimens: dict, on: dt.date, how: str) -> None:
    from oncotrial.web.services.events import record_subject_event

    offered = {i.id: [r.id for r in i.regimens] for i in protocol.interventions if i.choice == "one_per_patient"}
    for item, regimen in regimens.items():
        if not regimen:
            continue
        if regimen not in offered.get(item, ()):
            raise InvalidInput(f"regimen '{regimen}' is not offered for {item}; allowed: "
                               f"{', '.join(offered.get(item, ())) or 'none'}", field=f"regimen_{item}")
        record_subject_event(user, subject, kind="regimen_choice", occurred_on=on, item=item, value=regimen,
                             how=how)


def _enrolment_arm(protocol, arm: str) -> str:
    if protocol.is_randomized:
        if arm:
            raise InvalidInput("the arm of a randomized study is set by randomization, not at enrolment",
                               field="arm")
        return ""
    arm_ids = [a.id for a in protocol.arms]
    if not arm and len(arm_ids) == 1:
        return arm_ids[0]
    if arm not in arm_ids:
        raise InvalidInput(f"arm '{arm}' is not an arm of this study; allowed: {', '.join(arm_ids)}", field="arm")
    return arm


def _lock(subject: Subject) -> Subject:
    return Subject.objects.select_for_update().select_related("study", "site").get(pk=subject.pk)


def find_subject(user, study, identifier: str) -> Subject:
    """A subject the user may see, by identifier; invisible and unknown subjects look the same."""
    check_subject_identifier(identifier)
    subject = Subject.objects.select_related("site", "study").filter(study=study, identifier=identifier).first()
    if subject is None or not visible_sites(user, study).filter(pk=subject.site_id).exists():
        raise NotFound(f"subject {identifier} does not exist in study {study.code} or is not visible to you",
                       field="subject")
    return subject
