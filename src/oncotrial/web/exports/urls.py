"""The exports page and downloads, included from `oncotrial.web.urls`."""

from django.urls import path

from oncotrial.web.exports import views

S = "studies/<slug:code>/"

urlpatterns = [
    path(S + "exports/", views.exports_page, name="exports"),
    path(S + "exports/<slug:format>.zip", views.export_download, name="export-download"),
]
