"""The results pages and report downloads: statistician, DSMB and administrator read them, the
investigator and monitor get 403; the live mark and the report's own section HTML are on the page;
every download is audited with its format; the study navigation links the results."""

from __future__ import annotations

import html

import pytest

from oncotrial.reports.html import render_page_section
from oncotrial.web.analysis.service import compute_study_results
from oncotrial.web.models import AuditEvent, Role
from oncotrial.web.services.accounts import create_user, grant_role

pytestmark = pytest.mark.django_db
CUTOFF = "2025-03-03"


def page_url(cast, section="consort", extra=""):
    return f"/studies/{cast.study.code}/results/{section}/?cutoff={CUTOFF}{extra}"


def test_it_shows_every_results_page_to_readers_and_refuses_others(client, cast):
    member = create_user(cast.admin, username="dsmb1", password="cast-password-2025")
    grant_role(cast.admin, member, role=Role.DSMB, study=cast.study)
    for user in (cast.statistician, member, cast.admin):
        client.force_login(user)
        for section in ("consort", "efficacy", "response", "safety"):
            reply = client.get(page_url(cast, section))
            assert reply.status_code == 200, (user.username, section)
            assert "live data, not locked" in reply.content.decode()
    for user in (cast.investigator_a, cast.monitor):
        client.force_login(user)
        assert client.get(page_url(cast)).status_code == 403, user.username
        assert client.get(f"/studies/{cast.study.code}/report.html?cutoff={CUTOFF}").status_code == 403


def test_the_page_shows_the_reports_own_section(client, cast):
    client.force_login(cast.statistician)
    body = client.get(page_url(cast, "safety")).content.decode()
    import datetime as dt

    results = compute_study_results(cast.study, cutoff=dt.date.fromisoformat(CUTOFF))
    assert render_page_section(results, "safety") in body
    assert f'href="/studies/{cast.study.code}/results/"' in body  # the study navigation
    chinese = client.get(page_url(cast, "consort", "&lang=zh-hans")).content.decode()
    assert "实时数据，未锁定" in html.unescape(chinese)


def test_downloads_are_audited_with_their_format(client, cast):
    client.force_login(cast.statistician)
    for extension, kind in (("html", "text/html"), ("json", "application/json")):
        reply = client.get(f"/studies/{cast.study.code}/report.{extension}?cutoff={CUTOFF}&dsmb=closed")
        assert reply.status_code == 200 and reply["Content-Type"].startswith(kind)
        row = AuditEvent.objects.filter(entity="trial_report").latest("sequence")
        assert {"field": "format", "old": None, "new": extension} in row.changes
        assert (row.action, row.username) == ("export", "sta")
    assert client.get(f"/studies/{cast.study.code}/report.exe?cutoff={CUTOFF}").status_code == 404
    assert client.get(page_url(cast, "consort", "&dsmb=ajar")).status_code == 400


def test_a_study_without_subjects_gives_every_page_and_download_with_messages(client, cast):
    """The cast's study has no enrolled subject: pages and downloads (PDF included) say so in
    both languages, never an error."""
    from oncotrial.reports.messages import LABELS

    client.force_login(cast.statistician)
    for lang, column in (("en", 0), ("zh-hans", 1)):
        pages = ""
        for section in ("consort", "efficacy", "response", "safety"):
            reply = client.get(page_url(cast, section, f"&lang={lang}"))
            assert reply.status_code == 200, (lang, section)
            pages += html.unescape(reply.content.decode())
        for message in ("no_response_population", "no_aes", "no_tumour_data", "no_subjects_endpoint"):
            assert LABELS[message][column] in pages, (lang, message)
        for extension in ("html", "json", "pdf"):
            reply = client.get(f"/studies/{cast.study.code}/report.{extension}?cutoff={CUTOFF}&lang={lang}")
            assert reply.status_code == 200 and reply.content, (lang, extension)
        assert reply.content.startswith(b"%PDF")


def test_the_results_link_shows_only_to_results_readers(client, cast):
    link = f'href="/studies/{cast.study.code}/results/"'
    for user, shown in ((cast.statistician, True), (cast.investigator_a, False), (cast.monitor, False)):
        client.force_login(user)
        body = client.get(f"/studies/{cast.study.code}/").content.decode()
        assert (link in body) == shown, user.username
