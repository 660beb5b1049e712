"""Subjects: the screening → consent → eligibility → enrolment → randomization path, events and
calendars. Writes return the subject as the subject page shows it."""

from __future__ import annotations

import datetime as dt

from django.shortcuts import get_object_or_404
from ninja import Field, Router
from pydantic import StrictBool, StrictFloat, StrictInt, StrictStr

from oncotrial.errors import InvalidInput
from oncotrial.web.api import responses as r
from oncotrial.web.api.responses import answers
from oncotrial.web.api.schemas import StrictSchema
from oncotrial.web.models import Site
from oncotrial.web.services import calendars, events, queries, randomization, subjects

router = Router(tags=["subjects"])


class ScreeningIn(StrictSchema):
    site: str
    screened_on: dt.date
    initials: str = ""
    sex: str = ""
    birth_year: int | None = None


class ConsentIn(StrictSchema):
    form_version: str
    signed_on: dt.date
    signer: str
    signer_relationship: str = "self"


class EligibilityIn(StrictSchema):
    assessed_on: dt.date
    answers: dict[str, StrictBool | StrictInt | StrictFloat | StrictStr | None]
    judgements: dict[str, bool] = {}


class EnrolIn(StrictSchema):
    enrolled_on: dt.date
    arm: str = ""
    regimens: dict[str, StrictStr] = Field(
        default={}, description="Per-patient regimen choices, {intervention id: regimen id} "
        "(trial B: {\"chemotherapy\": \"xelox\" | \"mfolfox6\" | \"folfiri\"}), recorded on the enrolment day")


class RandomizeIn(StrictSchema):
    factors: dict[str, str] = {}


class EventIn(StrictSchema):
    kind: str
    occurred_on: dt.date
    item: str = ""
    drug: str = ""
    value: str = ""
    percent: float | None = None
    reason: str = ""
    end_on: dt.date | None = None


def _study(request, code):
    return queries.find_visible_study(request.user, code)


def _detail(request, study, identifier):
    return {"ok": True, **queries.subject_detail(request.user, study, identifier)}


@router.get("/{code}/subjects", response=answers(r.SubjectsOut), summary="Subjects at the sites you may see")
def list_subjects(request, code: str, site: str = "", status: str = ""):
    study = _study(request, code)
    return {"ok": True, "subjects": queries.list_subjects(request.user, study, site=site, status=status)}


@router.post("/{code}/subjects", response=answers(r.SubjectOut), summary="Register a person for screening")
def register_screening(request, code: str, payload: ScreeningIn):
    study = _study(request, code)
    site = get_object_or_404(Site, code=payload.site)
    subject = subjects.register_screening(request.user, study, site, screened_on=payload.screened_on,
                                          initials=payload.initials, sex=payload.sex,
                                          birth_year=payload.birth_year, how="api")
    return _detail(request, study, subject.identifier)


@router.get("/{code}/subjects/{identifier}", response=answers(r.SubjectOut),
            summary="Subject page: details, consent, screening, arm, timeline")
def subject_detail(request, code: str, identifier: str):
    return _detail(request, _study(request, code), identifier)


@router.post("/{code}/subjects/{identifier}/consent", response=answers(r.SubjectOut),
             summary="Record informed consent")
def record_consent(request, code: str, identifier: str, payload: ConsentIn):
    study = _study(request, code)
    subject = subjects.find_subject(request.user, study, identifier)
    subjects.record_consent(request.user, subject, how="api", **payload.dict())
    return _detail(request, study, identifier)


@router.post("/{code}/subjects/{identifier}/eligibility", response=answers(r.SubjectOut),
             summary="Assess eligibility from the criteria")
def assess_eligibility(request, code: str, identifier: str, payload: EligibilityIn):
    study = _study(request, code)
    subject = subjects.find_subject(request.user, study, identifier)
    subjects.assess_eligibility(request.user, subject, assessed_on=payload.assessed_on, answers=payload.answers,
                                judgements=payload.judgements, how="api")
    return _detail(request, study, identifier)


def _check_regimens(study, regimens: dict[str, str]) -> None:
    """A regimen the protocol does not offer is a 400 naming ``regimens.<intervention>`` and the
    allowed regimens (the service checks again, under the page's field names)."""
    offered = {i.id: [reg.id for reg in i.regimens] for i in study.current_version().protocol.interventions
               if i.choice == "one_per_patient"}
    for item, regimen in regimens.items():
        if item not in offered:
            raise InvalidInput(f"'{item}' is not an intervention chosen per patient; choices: "
                               f"{', '.join(offered) or 'none'}", field=f"regimens.{item}")
        if regimen not in offered[item]:
            raise InvalidInput(f"regimen '{regimen}' is not offered for {item}; allowed: {', '.join(offered[item])}",
                               field=f"regimens.{item}")


@router.post("/{code}/subjects/{identifier}/enrol", response=answers(r.SubjectOut),
             summary="Enrol an eligible, consented subject")
def enrol(request, code: str, identifier: str, payload: EnrolIn):
    study = _study(request, code)
    subject = subjects.find_subject(request.user, study, identifier)
    _check_regimens(study, payload.regimens)
    subjects.enrol_subject(request.user, subject, enrolled_on=payload.enrolled_on, arm=payload.arm,
                           regimens=payload.regimens, how="api")
    return _detail(request, study, identifier)


@router.post("/{code}/subjects/{identifier}/randomize", response=answers(r.SubjectOut),
             summary="Randomize an enrolled subject")
def randomize(request, code: str, identifier: str, payload: RandomizeIn):
    study = _study(request, code)
    subject = subjects.find_subject(request.user, study, identifier)
    randomization.randomize_subject(request.user, subject, factors=payload.factors, how="api")
    return _detail(request, study, identifier)


@router.post("/{code}/subjects/{identifier}/events", response=answers(r.SubjectOut),
             summary="Record a dose, procedure, assessment, death …")
def record_event(request, code: str, identifier: str, payload: EventIn):
    study = _study(request, code)
    subject = subjects.find_subject(request.user, study, identifier)
    events.record_subject_event(request.user, subject, how="api", **payload.dict())
    return _detail(request, study, identifier)


@router.get("/{code}/subjects/{identifier}/calendar", response=answers(r.CalendarOut),
            summary="Treatment and assessment calendar")
def calendar(request, code: str, identifier: str, as_of: dt.date | None = None):
    return {"ok": True, **calendars.subject_calendar(request.user, _study(request, code), identifier, as_of)}
