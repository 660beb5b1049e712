"""Permission walk over EVERY page (the Django URL resolver) and EVERY API operation (the OpenAPI
schema), so a new page or endpoint is covered the day it is added (issue 6: "permission stories
over every page and API endpoint").

Path parameters are filled from a casebook at site A (a randomized subject with a baseline, one
record of every eCRF form, a query and a lock) and the cast of :mod:`oncotrial.web.testing`.
Rules checked:
- anonymous: a page redirects to the login page, an API operation answers 401 in the one JSON error
  shape; except the public study page, login/logout, language switching and the API docs;
- the outsider (coordinator at site B) never gets a site-A subject page or record (403/404), and no
  page or API answer that is visible to them names the site-A subject;
- the monitor cannot write clinical data anywhere (403 and no audit row), except the data-management
  acts that are theirs (queries, source data verification);
- only the unblinded statistician and the administrator see upcoming allocations.
"""

from __future__ import annotations

import re

import pytest
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver
from tests.web.ecrf.conftest import enter_baseline, make_subject
from tests.web.ecrf.test_bad_values import VALID
from tests.web.test_permission_stories import DAY, FACTS

from oncotrial.web.ecrf.services import locks, queries
from oncotrial.web.ecrf.services.records import save_record
from oncotrial.web.ecrf.specs import FORMS
from oncotrial.web.models import AuditEvent, Membership
from oncotrial.web.services import subjects
from oncotrial.web.services.randomization import randomize_subject

pytestmark = pytest.mark.django_db

PUBLIC_PAGES = {"login", "logout", "set_language", "public-study", "healthz", "readyz"}  # health: no data
PUBLIC_OPERATIONS = {"oncotrial_web_api_public_public_study"}
# The monitor's own acts: open, answer-free query actions, source data verification.
MONITOR_ACTS = {"ecrf_open_query", "ecrf_query_action", "ecrf_verify_source",
                "ecrf-query-open", "ecrf-query-action", "ecrf-verify", "set_language", "logout",
                "login"}
WRITES = {"post", "put", "patch", "delete"}
# Pages that only read (a POST renders them like a GET); every other page must refuse a monitor's
# POST, so a new page has to be placed in one group or the other.
READ_PAGES = {"study-list", "study-dashboard", "audit", "worklist", "subject-list", "subject-detail",
              "subject-calendar", "ecrf-subject", "ecrf-queries", "ecrf-safety", "ecrf-responses"}
ERROR_KEYS = {"ok", "error", "errors", "status"}
# Body values that name things that exist, so that a write reaches the role check.
EXISTING = {"username": "coa", "site": "01", "study": "crlm-sbrt-sintilimab", "role": "coordinator",
            "level": "subject"}


def walk_pages(patterns=None, prefix=""):
    """(route, name) of every page pattern; the API is walked through its OpenAPI schema."""
    for pattern in get_resolver().url_patterns if patterns is None else patterns:
        route = prefix + str(pattern.pattern)
        if isinstance(pattern, URLResolver):
            if not route.startswith("api/"):
                yield from walk_pages(pattern.url_patterns, route)
        elif isinstance(pattern, URLPattern):
            yield route, pattern.name


@pytest.fixture
def casebook(cast):
    """Site A: a randomized subject with every eCRF form, a query and a lock; site B: one subject."""
    a = subjects.register_screening(cast.coordinator_a, cast.study, cast.site_a, screened_on=DAY)
    subjects.record_consent(cast.coordinator_a, a, form_version="1", signed_on=DAY, signer="A")
    subjects.assess_eligibility(cast.coordinator_a, a, assessed_on=DAY, answers=FACTS)
    subjects.enrol_subject(cast.coordinator_a, a, enrolled_on=DAY)
    randomize_subject(cast.coordinator_a, a, factors={"margin": "R0", "timing": "synchronous"})
    subject = make_subject(cast)
    records = {"tumour_assessment": enter_baseline(cast.coordinator_a, subject)}
    values = dict(VALID)
    values.setdefault("ablation_zone_assessment", {"lesion_id": "T1", "date": "2025-03-10",
                                                   "finding": "COMPLETE"})
    for form in ("local_therapy", *(f for f in FORMS if f not in ("local_therapy", "tumour_assessment"))):
        records[form] = save_record(cast.coordinator_a, subject, form, values[form])
    query = queries.open_query(cast.monitor, subject, form="con_med", record_id=records["con_med"].pk,
                               text="please check the start date")
    lock = locks.lock(cast.data_manager, cast.study, level="form", subject=subject, form="con_med",
                      record_id=records["con_med"].pk)
    subjects.register_screening(cast.outsider_b, cast.study, cast.site_b, screened_on=DAY)
    membership = Membership.objects.filter(user=cast.coordinator_a).first()
    params = {"code": cast.study.code, "identifier": subject.identifier, "form": "con_med",
              "record_id": records["con_med"].pk, "query_id": query.pk, "lock_id": lock.pk,
              "action": "resolve", "membership_id": membership.pk, "username": cast.coordinator_a.username,
              "section": "efficacy", "extension": "html", "format": "adam"}
    return cast, subject, records, params


def fill(route: str, params: dict, records: dict) -> str:
    """A concrete URL for a resolver route (<conv:name>) or an OpenAPI path ({name})."""
    form = next((f for f in FORMS if f"/{f}/" in route + "/"), None)
    if "assessments/" in route:
        form = "tumour_assessment"

    def value(match) -> str:
        name = match.group(1).split(":")[-1]
        if name == "record_id" and form is not None:
            return str(records[form].pk)
        return str(params[name])

    return "/" + re.sub(r"[<{]([^>}]+)[>}]", value, route).lstrip("/")


def page_urls(params, records) -> list[tuple[str, str]]:
    return [(name, fill(route, params, records)) for route, name in walk_pages()]


def api_operations(params, records) -> list[tuple[str, str, str]]:
    """(operation id, method, URL) of every operation in the OpenAPI schema."""
    return [(op, method, url) for op, method, url, _ in api_calls(params, records)]


def api_calls(params, records) -> list[tuple[str, str, str, dict]]:
    """(operation id, method, URL, a body the schema accepts) of every OpenAPI operation."""
    schema = Client().get("/api/openapi.json").json()
    found = []
    for path, item in schema["paths"].items():
        for method, operation in item.items():
            if method in WRITES | {"get"}:
                body = operation.get("requestBody", {}).get("content", {}).get("application/json", {})
                found.append((operation["operationId"], method, fill(path, params, records),
                              sample(body.get("schema"), schema) if body else {}))
    assert len(found) > 60, "the OpenAPI schema lost its operations"
    return found


def sample(node, schema, name=""):
    """A value the JSON schema `node` accepts (required properties only), so that a write reaches
    the permission check instead of stopping at validation."""
    if node is None:
        return {}
    if "$ref" in node:
        return sample(schema["components"]["schemas"][node["$ref"].rsplit("/", 1)[-1]], schema, name)
    if "anyOf" in node:
        return sample(node["anyOf"][0], schema, name)
    kind = node.get("type", "object")
    if kind == "object":
        return {key: sample(node["properties"][key], schema, key) for key in node.get("required", ())}
    if name in EXISTING:
        return EXISTING[name]
    return {"string": "2025-03-03" if node.get("format") == "date" else "x", "integer": 1,
            "number": 1, "boolean": True, "array": []}[kind]


def call(client: Client, method: str, url: str, body=None, **extra):
    if method == "get":
        return client.get(url, **extra)
    return getattr(client, method)(url, body or {}, content_type="application/json", **extra)


def last_audit_sequence() -> int:
    return AuditEvent.objects.order_by("-sequence").values_list("sequence", flat=True).first() or 0


def as_user(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def assert_error_shape(response, status: int, where: str):
    assert response.status_code == status, (where, response.status_code, response.content[:300])
    body = response.json()
    assert set(body) == ERROR_KEYS and body["ok"] is False and body["status"] == status, where
    assert isinstance(body["error"], str) and body["error"] and isinstance(body["errors"], list), where


def test_the_walk_reaches_every_page_and_form(casebook):
    cast, subject, records, params = casebook
    names = {name for name, _ in page_urls(params, records)}
    assert {"subject-detail", "ecrf-record", "allocations", "manage-revoke", "ecrf-unlock"} <= names
    assert set(records) == set(FORMS)


def test_anonymous_visitors_are_sent_to_login_on_every_page(casebook):
    _, _, records, params = casebook
    client = Client()
    for name, url in page_urls(params, records):
        if name in PUBLIC_PAGES:
            continue
        for method in ("get", "post"):
            response = getattr(client, method)(url)
            assert response.status_code == 302, (name, method, url, response.status_code)
            assert response["Location"].startswith("/accounts/login/?next="), (name, url)


def test_the_public_pages_answer_without_login(casebook):
    cast, *_ = casebook
    client = Client()
    for url in ("/accounts/login/", f"/public/studies/{cast.study.code}/", "/api/docs",
                "/api/openapi.json", f"/api/public/studies/{cast.study.code}"):
        assert client.get(url).status_code == 200, url


def test_anonymous_callers_get_401_in_the_one_error_shape_on_every_api_operation(casebook):
    _, _, records, params = casebook
    client = Client()
    for operation, method, url in api_operations(params, records):
        if operation in PUBLIC_OPERATIONS:
            continue
        assert_error_shape(call(client, method, url), 401, f"{method} {url}")


def test_the_outsider_at_site_b_never_sees_a_site_a_subject_page_or_record(casebook):
    cast, subject, records, params = casebook
    client = as_user(cast.outsider_b)
    before = last_audit_sequence()
    for name, url in page_urls(params, records):
        if name in PUBLIC_PAGES:  # logout would end the walk
            continue
        response = client.get(url)
        if response.status_code == 405:  # a POST-only page
            response = client.post(url, {"reason": "x"})
        if params["identifier"] in url:
            assert response.status_code in (403, 404), (name, url, response.status_code)
        elif response.status_code == 200:
            assert subject.identifier not in response.content.decode(), (name, url)
    for operation, method, url, body in api_calls(params, records):
        response = call(client, method, url, body)
        if params["identifier"] in url or "{lock_id}" in url or "/queries/" in url:
            assert response.status_code in (403, 404), (operation, method, url, response.status_code)
            assert_error_shape(response, response.status_code, f"{method} {url}")
        elif method == "get" and response.status_code == 200:
            assert subject.identifier not in response.content.decode(), (operation, url)
    for url in (f"/studies/{cast.study.code}/ecrf/locks/{params['lock_id']}/unlock/",
                f"/studies/{cast.study.code}/ecrf/queries/{params['query_id']}/resolve/"):
        assert client.post(url, {"reason": "x"}).status_code in (403, 404), url
    written = AuditEvent.objects.filter(sequence__gt=before).exclude(action__in=("login", "logout"))
    assert not written.exists(), list(written.values_list("action", "entity"))


def test_the_monitor_cannot_write_clinical_data_anywhere(casebook):
    cast, subject, records, params = casebook
    client = as_user(cast.monitor)
    before = last_audit_sequence()
    for operation, method, url, body in api_calls(params, records):
        if method not in WRITES or operation in MONITOR_ACTS:
            continue
        response = call(client, method, url, body)
        assert_error_shape(response, 403, f"{operation}: {method} {url}")
    for name, url in page_urls(params, records):
        if name in MONITOR_ACTS | PUBLIC_PAGES:
            continue
        count = AuditEvent.objects.count()
        response = client.post(url, {"reason": "x", "reason_for_change": "x", "level": "study"})
        allowed = (200, 403, 405) if name in READ_PAGES else (403, 405)
        assert response.status_code in allowed, (name, url, response.status_code)
        assert AuditEvent.objects.count() == count, (name, url)
    assert not AuditEvent.objects.filter(sequence__gt=before).exists()


def test_only_the_unblinded_statistician_and_the_administrator_see_upcoming_allocations(casebook):
    cast, _, records, params = casebook
    allowed = {"unblinded_statistician", "admin"}
    pages = [url for name, url in page_urls(params, records) if "allocation" in name]
    apis = [url for op, method, url in api_operations(params, records)
            if "allocation" in op and method == "get"]
    assert pages and apis
    for name, user in cast.everyone().items():
        client = as_user(user)
        for url in pages + apis:
            response = client.get(url)
            if name in allowed:
                assert response.status_code == 200, (name, url)
            else:
                assert response.status_code in (403, 404), (name, url, response.status_code)
        upcoming = client.get(apis[0])
        if name in allowed:
            assert upcoming.json()["strata"] and "upcoming" in upcoming.json()["strata"][0]
        else:
            assert '"strata"' not in upcoming.content.decode()


def test_every_ecrf_api_write_is_the_twin_of_a_form_and_every_form_has_one(casebook):
    """Two-way parity: each form has create/list/get/update operations, and each eCRF write
    operation is either a form's create/update or a named data-management act."""
    _, _, records, params = casebook
    schema = Client().get("/api/openapi.json").json()
    writes = {op["operationId"] for item in schema["paths"].values() for method, op in item.items()
              if method in WRITES and op["operationId"].startswith("ecrf_")}
    every = {op["operationId"] for item in schema["paths"].values() for op in item.values()}
    for form in FORMS:
        assert {f"ecrf_{verb}_{form}" for verb in ("create", "list", "get", "update")} <= every, form
    data_management = {"ecrf_open_query", "ecrf_query_action", "ecrf_verify_source", "ecrf_sign",
                       "ecrf_lock_subject_data", "ecrf_lock_study", "ecrf_unlock"}
    form_writes = {f"ecrf_{verb}_{form}" for form in FORMS for verb in ("create", "update")}
    assert writes - data_management <= form_writes, sorted(writes - data_management - form_writes)
    assert form_writes <= writes
