from django.urls import include, path

from oncotrial.web.api import api
from oncotrial.web.ecrf import api as ecrf_api  # noqa: F401  (mounts the eCRF router on the API)
from oncotrial.web.exports import api as exports_api  # noqa: F401  (mounts the exports router on the API)
from oncotrial.web.views import accounts, audit, calendar, errors, manage, results, studies, subjects
from oncotrial.web.views.health import healthz, readyz

S = "studies/<slug:code>/"
SUBJECT = S + "subjects/<str:identifier>/"

urlpatterns = [
    path("healthz", healthz, name="healthz"),
    path("readyz", readyz, name="readyz"),
    path("accounts/login/", accounts.login_view, name="login"),
    path("accounts/logout/", accounts.logout_view, name="logout"),
    path("i18n/", include("django.conf.urls.i18n")),
    path("api/", api.urls),
    path("public/studies/<slug:code>/", studies.public_study, name="public-study"),
    path("manage/", manage.manage, name="manage"),
    path("manage/users/", manage.create_user, name="manage-user"),
    path("manage/roles/", manage.grant_role, name="manage-grant"),
    path("manage/roles/<int:membership_id>/revoke/", manage.revoke_role, name="manage-revoke"),
    path("manage/users/<str:username>/deactivate/", manage.deactivate_user, name="manage-deactivate"),
    path("manage/access-review.csv", manage.access_review, name="manage-access-review"),
    path("", studies.study_list, name="study-list"),
    path(S, studies.study_dashboard, name="study-dashboard"),
    path(S + "allocations/", studies.allocations, name="allocations"),
    path(S + "audit/", audit.audit_trail, name="audit"),
    path(S + "worklist/", calendar.worklist, name="worklist"),
    path(S + "results/", results.results_page, name="results"),
    path(S + "results/<slug:section>/", results.results_page, name="results-page"),
    path(S + "report.<str:extension>", results.report_download, name="report-download"),
    path(S + "subjects/", subjects.subject_list, name="subject-list"),
    path(S + "subjects/new/", subjects.screening_new, name="screening-new"),
    path(SUBJECT, subjects.subject_detail, name="subject-detail"),
    path(SUBJECT + "consent/", subjects.consent, name="consent"),
    path(SUBJECT + "eligibility/", subjects.eligibility, name="eligibility"),
    path(SUBJECT + "enrol/", subjects.enrol, name="enrol"),
    path(SUBJECT + "randomize/", subjects.randomize, name="randomize"),
    path(SUBJECT + "calendar/", calendar.subject_calendar, name="subject-calendar"),
    path(SUBJECT + "events/new/", calendar.event_new, name="event-new"),
    path("", include("oncotrial.web.ecrf.urls")),
    path("", include("oncotrial.web.exports.urls")),
]

handler400 = errors.bad_request
handler403 = errors.permission_denied
handler404 = errors.page_not_found
handler500 = errors.server_error
