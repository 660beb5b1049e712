"""The analysis results over the API and the command line: who may read them (statistician,
unblinded statistician, DSMB, administrator), every read audited, the live / locked mark, the
error shape for a bad set or cut-off, and a study without data answered with warnings."""

from __future__ import annotations

import datetime as dt
import json

import pytest

from oncotrial.cli import main
from oncotrial.web.ecrf.services.locks import lock
from oncotrial.web.models import AuditEvent, Role
from oncotrial.web.services.accounts import create_user, grant_role
from oncotrial.web.services.permissions import visible_sites

pytestmark = pytest.mark.django_db

CUTOFF = "2025-03-03"


def url(cast, **query) -> str:
    params = "&".join(f"{k}={v}" for k, v in {"cutoff": CUTOFF, **query}.items())
    return f"/api/studies/{cast.study.code}/results?{params}"


def dsmb_member(cast):
    user = create_user(cast.admin, username="dsmb1", password="cast-password-2025")
    grant_role(cast.admin, user, role=Role.DSMB, study=cast.study)
    return user


def test_it_answers_results_readers_and_refuses_everyone_else(client, cast):
    readers = [cast.statistician, cast.unblinded_statistician, cast.admin, dsmb_member(cast)]
    others = [cast.investigator_a, cast.coordinator_a, cast.monitor, cast.data_manager,
              cast.sponsor_viewer]
    for user in readers:
        client.force_login(user)
        assert client.get(url(cast)).status_code == 200, user.username
    for user in others:
        client.force_login(user)
        reply = client.get(url(cast))
        assert reply.status_code in (403, 404), user.username
        assert reply.json()["ok"] is False
    client.logout()
    assert client.get(url(cast)).status_code == 401


def test_a_dsmb_member_reads_results_but_no_casebook(client, cast):
    member = dsmb_member(cast)
    assert not visible_sites(member, cast.study).exists()
    assert visible_sites(cast.statistician, cast.study).count() == 2
    client.force_login(member)
    assert client.get(f"/api/studies/{cast.study.code}/subjects").json()["subjects"] == []
    assert client.get(url(cast)).status_code == 200


def test_every_read_is_audited_and_marked_live_until_the_study_is_locked(client, cast):
    client.force_login(cast.statistician)
    body = client.get(url(cast, set="safety")).json()
    assert body["ok"] is True and body["header"]["data_status"] == "live data, not locked"
    assert body["header"]["analysis_set"] == "safety" and body["header"]["data_cutoff"] == CUTOFF
    row = AuditEvent.objects.filter(entity="analysis_results").latest("sequence")
    assert (row.action, row.how, row.username, row.role) == ("export", "api", "sta", "statistician")
    assert {"field": "analysis_set", "old": None, "new": "safety"} in row.changes
    lock(cast.data_manager, cast.study, level="study")
    assert client.get(url(cast)).json()["header"]["data_status"] == "locked database snapshot"


def test_a_study_without_subjects_gives_results_with_warnings(client, cast):
    client.force_login(cast.statistician)
    body = client.get(url(cast)).json()
    assert body["consort"]["screened"] == 0
    assert any("is empty" in w for w in body["warnings"])


def test_bad_input_gets_the_one_error_shape(client, cast):
    client.force_login(cast.statistician)
    unknown = client.get(url(cast, set="nonsense"))
    assert unknown.status_code == 400 and "allowed" in unknown.json()["error"]
    assert client.get(url(cast, cutoff="yesterday")).status_code == 400
    future = (dt.date.today() + dt.timedelta(days=30)).isoformat()
    assert client.get(url(cast, cutoff=future)).status_code == 400


def test_the_report_verb_writes_the_same_json_as_the_api(client, cast, tmp_path, capsys):
    out = tmp_path / "results.json"
    assert main(["report", cast.study.code, "--cutoff", CUTOFF, "--format", "json", "-o", str(out)]) == 0
    written = json.loads(out.read_text())
    client.force_login(cast.statistician)
    api = client.get(url(cast)).json()
    api.pop("ok")
    assert written == api
    assert "live data, not locked" in capsys.readouterr().out
    assert AuditEvent.objects.filter(entity="analysis_results", how="cli").exists()
    assert main(["report", cast.study.code, "--cutoff", "30/06/2025", "-o", str(out)]) == 2
