"""Permission stories over every page and its JSON twin: who sees what at site A and site B.

The cast: investigator and coordinator at site A, monitor, blinded statistician, unblinded
statistician, data manager, sponsor viewer, administrator, and a coordinator at site B (the outsider
for site A's patients).
"""

from __future__ import annotations

import datetime as dt

import pytest

from oncotrial.web.services import subjects
from oncotrial.web.services.randomization import randomize_subject

pytestmark = pytest.mark.django_db

DAY = dt.date(2025, 3, 3)
FACTS = {"age_years": 60, "sex": "male", "crlm_confirmed": True, "metastasis_timing": "synchronous",
         "high_risk_local_recurrence": True, "curative_resection": True, "ecog": 0, "anc": 2.0,
         "platelets": 150, "extrahepatic_disease": False, "prior_anti_pd1": False}
EVERYONE = ("admin", "investigator_a", "coordinator_a", "monitor", "statistician", "unblinded_statistician",
            "data_manager", "sponsor_viewer", "outsider_b")
SITE_A_READERS = ("admin", "investigator_a", "coordinator_a", "monitor", "statistician",
                  "unblinded_statistician", "data_manager")


@pytest.fixture
def story(cast):
    """A randomized subject at site A and a screened one at site B."""
    a = subjects.register_screening(cast.coordinator_a, cast.study, cast.site_a, screened_on=DAY)
    subjects.record_consent(cast.coordinator_a, a, form_version="1", signed_on=DAY, signer="A")
    subjects.assess_eligibility(cast.coordinator_a, a, assessed_on=DAY, answers=FACTS)
    subjects.enrol_subject(cast.coordinator_a, a, enrolled_on=DAY)
    randomize_subject(cast.coordinator_a, a, factors={"margin": "R0", "timing": "synchronous"})
    b = subjects.register_screening(cast.outsider_b, cast.study, cast.site_b, screened_on=DAY)
    return cast, a, b


def statuses(client, cast, url: str, who=EVERYONE) -> dict[str, int]:
    seen = {}
    for name in who:
        client.force_login(getattr(cast, name))
        seen[name] = client.get(url).status_code
        client.logout()
    return seen


def u(prefix: str, path: str) -> str:
    """A page URL (trailing slash) or its API twin (none)."""
    return prefix + path if prefix == "/" else prefix + path.rstrip("/")


def expect(allowed, code_allowed=200, code_denied=403, who=EVERYONE) -> dict[str, int]:
    return {name: code_allowed if name in allowed else code_denied for name in who}


@pytest.mark.parametrize("prefix", ["/", "/api/"])
def test_everyone_with_a_role_sees_the_study_list_and_dashboard(client, story, prefix):
    cast, _a, _b = story
    assert statuses(client, cast, prefix + ("studies/" if prefix == "/api/" else "")) == expect(EVERYONE)
    assert statuses(client, cast, u(prefix, f"studies/{cast.study.code}/")) == expect(EVERYONE)


@pytest.mark.parametrize("prefix", ["/", "/api/"])
def test_site_a_subjects_are_visible_to_site_a_and_study_wide_roles_only(client, story, prefix):
    cast, a, _b = story
    url = f"studies/{cast.study.code}/subjects/{a.identifier}/"
    assert statuses(client, cast, u(prefix, url)) == expect(SITE_A_READERS, code_denied=404)
    assert statuses(client, cast, u(prefix, url + "calendar/")) == expect(SITE_A_READERS, code_denied=404)


def test_the_subject_list_hides_other_sites(client, story):
    cast, a, b = story
    seen = {}
    for name in ("coordinator_a", "outsider_b", "monitor", "sponsor_viewer"):
        client.force_login(getattr(cast, name))
        rows = client.get(f"/api/studies/{cast.study.code}/subjects").json()["subjects"]
        seen[name] = sorted(row["identifier"] for row in rows)
    assert seen == {"coordinator_a": [a.identifier], "outsider_b": [b.identifier],
                    "monitor": sorted([a.identifier, b.identifier]), "sponsor_viewer": []}


@pytest.mark.parametrize("step", ["consent", "eligibility", "enrol", "randomize"])
def test_only_site_staff_open_the_workflow_forms(client, story, step):
    cast, a, _b = story
    seen = statuses(client, cast, f"/studies/{cast.study.code}/subjects/{a.identifier}/{step}/")
    assert {name for name, code in seen.items() if code == 200} == {"investigator_a", "coordinator_a"}
    assert seen["outsider_b"] == 404 and seen["sponsor_viewer"] == 404
    assert seen["monitor"] == 403 and seen["admin"] == 403


def test_only_site_staff_write_through_the_api(client, story):
    cast, _a, b = story
    url = f"/api/studies/{cast.study.code}/subjects/{b.identifier}/consent"
    body = {"form_version": "1", "signed_on": DAY.isoformat(), "signer": "B"}
    codes = {}
    for name in ("coordinator_a", "monitor", "outsider_b"):
        client.force_login(getattr(cast, name))
        codes[name] = client.post(url, body, content_type="application/json").status_code
    assert codes == {"coordinator_a": 404, "monitor": 403, "outsider_b": 200}


@pytest.mark.parametrize("prefix", ["/", "/api/"])
def test_the_audit_trail_is_for_monitors_data_managers_investigators_and_administrators(client, story, prefix):
    cast, _a, _b = story
    seen = statuses(client, cast, u(prefix, f"studies/{cast.study.code}/audit/"))
    assert seen == expect(("admin", "investigator_a", "monitor", "data_manager"))


@pytest.mark.parametrize("prefix", ["/", "/api/"])
def test_upcoming_allocations_are_concealed_from_all_but_the_unblinded(client, story, prefix):
    cast, _a, _b = story
    url = u(prefix, f"studies/{cast.study.code}/allocations/")
    assert statuses(client, cast, url) == expect(("admin", "unblinded_statistician"))


def test_site_staff_see_the_arm_once_allocated_in_an_open_label_study(client, story):
    cast, a, _b = story
    client.force_login(cast.coordinator_a)
    detail = client.get(f"/api/studies/{cast.study.code}/subjects/{a.identifier}").json()
    assert detail["arm"] == a.randomization.arm and detail["arm"] != "concealed"


@pytest.mark.parametrize("prefix", ["/", "/api/"])
def test_the_worklist_is_open_to_every_role_but_shows_only_visible_sites(client, story, prefix):
    cast, _a, _b = story
    assert statuses(client, cast, u(prefix, f"studies/{cast.study.code}/worklist/")) == expect(EVERYONE)


def test_a_study_you_hold_no_role_in_does_not_exist_for_you(client, story, django_user_model):
    cast, _a, _b = story
    stranger = django_user_model.objects.create_user("stranger", password="x" * 12)
    client.force_login(stranger)
    assert client.get(f"/studies/{cast.study.code}/").status_code == 404
    assert client.get(f"/api/studies/{cast.study.code}").json()["status"] == 404
    assert client.get("/api/studies/").json()["studies"] == []


def test_anonymous_users_get_the_login_page_or_401_and_the_public_page(client, story):
    cast, a, _b = story
    assert client.get(f"/studies/{cast.study.code}/subjects/").status_code == 302
    response = client.get(f"/api/studies/{cast.study.code}/subjects")
    assert response.status_code == 401 and response.json()["ok"] is False
    assert client.get(f"/public/studies/{cast.study.code}/").status_code == 200
    assert client.get(f"/api/public/studies/{cast.study.code}").status_code == 200
    public = client.get(f"/public/studies/{cast.study.code}/").content.decode()
    assert a.identifier not in public
