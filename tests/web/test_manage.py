"""Administrators manage accounts and roles through pages and the API; nobody else can; every change
is audited."""

from __future__ import annotations

import pytest

from oncotrial.web.models import AuditEvent, Membership

pytestmark = pytest.mark.django_db


def test_only_administrators_reach_user_management(client, cast):
    for user, expected in ((cast.admin, 200), (cast.monitor, 403), (cast.investigator_a, 403)):
        client.force_login(user)
        assert client.get("/manage/").status_code == expected
        assert client.get("/api/manage/users").status_code == expected


def test_an_administrator_creates_a_user_grants_and_revokes_a_role(client, cast):
    client.force_login(cast.admin)
    reply = client.post("/manage/users/", {"username": "newinv", "full_name": "New Investigator",
                                           "password": "a-long-passphrase-1"})
    assert reply.status_code == 302
    reply = client.post("/manage/roles/", {"user": "newinv", "role": "investigator",
                                           "study": cast.study.code, "site": "02"})
    assert reply.status_code == 302
    membership = Membership.objects.get(user__username="newinv")
    assert (membership.role, membership.site.code) == ("investigator", "02")
    assert client.post(f"/manage/roles/{membership.pk}/revoke/", {"reason": ""}).status_code == 400
    assert client.post(f"/manage/roles/{membership.pk}/revoke/", {"reason": "left the site"}).status_code == 302
    membership.refresh_from_db()
    assert not membership.active
    actions = list(AuditEvent.objects.filter(username="adm", how="page").values_list("action", flat=True))
    assert actions[-3:] == ["user_create", "role_grant", "role_revoke"]


def test_a_site_role_needs_a_site_and_the_error_lands_on_the_field(client, cast):
    client.force_login(cast.admin)
    reply = client.post("/manage/roles/", {"user": "mon", "role": "coordinator", "study": cast.study.code})
    assert reply.status_code == 400 and "held at one site" in reply.content.decode()
    reply = client.post("/api/manage/roles", {"username": "mon", "role": "coordinator", "study": cast.study.code},
                        content_type="application/json")
    assert reply.status_code == 400 and reply.json()["errors"][0]["field"] == "site"


def test_a_deactivated_account_cannot_log_in_and_keeps_its_history(client, cast):
    from .conftest import PASSWORD

    client.force_login(cast.admin)
    assert client.post("/manage/users/coa/deactivate/", {"reason": "left the trial team"}).status_code == 302
    cast.coordinator_a.refresh_from_db()
    assert not cast.coordinator_a.is_active
    assert not Membership.objects.filter(user=cast.coordinator_a, active=True).exists()
    client.logout()
    assert client.post("/accounts/login/", {"username": "coa", "password": PASSWORD}).status_code == 400
    event = AuditEvent.objects.get(action="user_deactivate")
    assert event.reason == "left the trial team" and event.role == "administrator"


def test_the_access_review_lists_accounts_roles_and_last_logins_and_is_audited(client, cast):
    import csv
    import io

    from .conftest import PASSWORD

    client.post("/accounts/login/", {"username": "mon", "password": PASSWORD})
    client.post("/accounts/login/", {"username": "ina", "password": "wrong"})
    client.force_login(cast.admin)
    reply = client.get("/manage/access-review.csv")
    rows = {row["username"]: row for row in csv.DictReader(io.StringIO(reply.content.decode()))}
    assert rows["mon"]["last_login_utc"] and rows["ina"]["last_failed_login_utc"]
    assert rows["oub"]["roles"] == f"coordinator@{cast.study.code}/02"
    assert AuditEvent.objects.filter(action="export", entity="access_review").exists()
    events = client.get("/api/manage/access").json()["events"]
    assert {"login", "login_failed"} <= {e["action"] for e in events}


def test_a_non_administrator_cannot_learn_which_user_names_exist(client, cast):
    client.force_login(cast.monitor)
    for username in ("no-such-user", cast.investigator_a.username):
        reply = client.post("/api/manage/roles", {"username": username, "role": "monitor"},
                            content_type="application/json")
        assert reply.status_code == 403 and reply.json()["ok"] is False
