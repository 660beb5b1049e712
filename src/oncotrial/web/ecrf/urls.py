from django.urls import path

from oncotrial.web.ecrf import views

S = "studies/<slug:code>/"
E = S + "subjects/<str:identifier>/ecrf/"

urlpatterns = [
    path(E, views.subject_ecrf, name="ecrf-subject"),
    path(E + "assessments/new/", views.assessment_form, name="ecrf-assessment-new"),
    path(E + "assessments/<int:record_id>/", views.assessment_form, name="ecrf-assessment"),
    path(E + "forms/<slug:form>/new/", views.record_form, name="ecrf-record-new"),
    path(E + "forms/<slug:form>/<int:record_id>/", views.record_form, name="ecrf-record"),
    path(E + "sign/", views.sign_view, name="ecrf-sign"),
    path(E + "verify/", views.verify_view, name="ecrf-verify"),
    path(E + "lock/", views.lock_view, name="ecrf-lock"),
    path(E + "queries/new/", views.query_open, name="ecrf-query-open"),
    path(S + "ecrf/lock/", views.lock_view, name="ecrf-study-lock"),
    path(S + "ecrf/locks/<int:lock_id>/unlock/", views.unlock_view, name="ecrf-unlock"),
    path(S + "ecrf/queries/", views.query_list, name="ecrf-queries"),
    path(S + "ecrf/queries/<int:query_id>/<slug:action>/", views.query_action, name="ecrf-query-action"),
    path(S + "ecrf/safety/", views.safety_view, name="ecrf-safety"),
    path(S + "ecrf/responses/", views.responses_view, name="ecrf-responses"),
]
