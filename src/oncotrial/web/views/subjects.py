"""Subject list, subject page and the screening → consent → eligibility → enrolment → randomization
forms."""

from __future__ import annotations

from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from oncotrial.errors import PermissionDenied
from oncotrial.web.forms import (
    ConsentForm,
    EligibilityForm,
    EnrolForm,
    RandomizeForm,
    ScreeningForm,
)
from oncotrial.web.models import Site, SubjectStatus
from oncotrial.web.services import queries, randomization, subjects
from oncotrial.web.services.permissions import SITE_STAFF, visible_sites
from oncotrial.web.views.common import call_service, page, render_form, study_for, today


def _subject_url(study, subject) -> str:
    return reverse("subject-detail", args=[study.code, subject.identifier])


@page
def subject_list(request, code):
    study = study_for(request, code)
    rows = queries.list_subjects(request.user, study, site=request.GET.get("site", ""),
                                 status=request.GET.get("status", ""))
    staff_sites = visible_sites(request.user, study, SITE_STAFF)
    return render(request, "oncotrial/subject_list.html", {
        "study": study, "subjects": rows, "can_screen": staff_sites.exists(),
        "statuses": SubjectStatus.choices, "sites": visible_sites(request.user, study),
        "site_filter": request.GET.get("site", ""), "status_filter": request.GET.get("status", "")})


@page
def subject_detail(request, code, identifier):
    study = study_for(request, code)
    detail = queries.subject_detail(request.user, study, identifier)
    return render(request, "oncotrial/subject_detail.html", {"study": study, "subject": detail})


@page
def screening_new(request, code):
    study = study_for(request, code)
    sites = list(visible_sites(request.user, study, SITE_STAFF))
    if not sites:
        raise PermissionDenied(f"{request.user.username} may not screen subjects in study {study.code}; "
                               "allowed roles: coordinator, investigator")
    form = ScreeningForm(request.POST or None, sites=sites, initial={"screened_on": today()})
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        site = Site.objects.get(code=data["site"])
        subject = call_service(form, subjects.register_screening, request.user, study, site,
                               screened_on=data["screened_on"], initials=data["initials"], sex=data["sex"],
                               birth_year=data["birth_year"], how="page")
        if subject is not None:
            return redirect(_subject_url(study, subject))
    context = {"study": study, "title": _("Register for screening")}
    return render_form(request, "oncotrial/form_page.html", context, form)


@page
def consent(request, code, identifier):
    study = study_for(request, code)
    subject = subjects.find_subject(request.user, study, identifier)
    queries.require_site_staff(request.user, study, subject.site)
    form = ConsentForm(request.POST or None, initial={"signed_on": today(), "form_version": "1.0"})
    if request.method == "POST" and form.is_valid() and call_service(
            form, subjects.record_consent, request.user, subject, how="page", **form.cleaned_data):
        return redirect(_subject_url(study, subject))
    return render_form(request, "oncotrial/form_page.html",
                       {"study": study, "subject": subject, "title": _("Informed consent")}, form)


@page
def eligibility(request, code, identifier):
    study = study_for(request, code)
    subject = subjects.find_subject(request.user, study, identifier)
    queries.require_site_staff(request.user, study, subject.site)
    criteria = study.current_version().protocol.eligibility
    initial = {"assessed_on": today()}
    if subject.birth_year:
        initial["age_years"] = today().year - subject.birth_year
    form = EligibilityForm(request.POST or None, criteria=criteria, initial=initial,
                           known={"sex": subject.sex})
    if subject.birth_year and "age_years" in form.fields:
        form.fields["age_years"].help_text = _("from the year of birth (%(year)s); check the birthday") % {
            "year": subject.birth_year}
    if request.method == "POST" and form.is_valid():
        record = call_service(form, subjects.assess_eligibility, request.user, subject,
                              assessed_on=form.cleaned_data["assessed_on"], answers=form.facts(), how="page")
        if record is not None:
            return redirect(_subject_url(study, subject))
    return render_form(request, "oncotrial/form_page.html",
                       {"study": study, "subject": subject, "title": _("Eligibility"), "criteria": criteria}, form)


@page
def enrol(request, code, identifier):
    study = study_for(request, code)
    subject = subjects.find_subject(request.user, study, identifier)
    queries.require_site_staff(request.user, study, subject.site)
    protocol = study.current_version().protocol
    arms = () if protocol.is_randomized else protocol.arms
    choices = [i for i in protocol.interventions if i.choice == "one_per_patient" and i.regimens]
    form = EnrolForm(request.POST or None, arms=arms, choices=choices, initial={"enrolled_on": today()})
    if request.method == "POST" and form.is_valid():
        enrolment = call_service(form, subjects.enrol_subject, request.user, subject,
                                 enrolled_on=form.cleaned_data["enrolled_on"],
                                 arm=form.cleaned_data.get("arm", ""), regimens=form.regimens(), how="page")
        if enrolment is not None:
            return redirect(_subject_url(study, subject))
    return render_form(request, "oncotrial/form_page.html",
                       {"study": study, "subject": subject, "title": _("Enrolment")}, form)


@page
def randomize(request, code, identifier):
    study = study_for(request, code)
    subject = subjects.find_subject(request.user, study, identifier)
    queries.require_site_staff(request.user, study, subject.site)
    factors = study.current_version().protocol.randomization.factors
    screening = subject.screenings.order_by("-recorded_at", "-id").first()
    answers = screening.answers if screening else {}
    known = {f.id: answers.get(f.field) for f in factors if answers.get(f.field) in f.levels}
    form = RandomizeForm(request.POST or None, factors=factors, known=known)
    if request.method == "POST" and form.is_valid():
        done = call_service(form, randomization.randomize_subject, request.user, subject,
                            factors=form.factors(), how="page")
        if done is not None:
            return redirect(_subject_url(study, subject))
    return render_form(request, "oncotrial/form_page.html",
                       {"study": study, "subject": subject, "title": _("Randomization")}, form)
