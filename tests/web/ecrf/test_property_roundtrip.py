"""Issue 13, item 2: whatever the system accepts it can read back and render.

For every eCRF form, hypothesis posts generated bodies through the API: valid values, boundary
values and hostile ones (huge exponents, 401-digit numbers, years 9999 and 0001, lone surrogates,
very long strings, wrong types, nested junk). Every write answers 2xx or a 4xx in the one error
shape, never 5xx; after every accepted write (and once more at the end) the subject page, the eCRF
pages, the calendar, the worklist and the API reads answer 200.

Bounded and reproducible: a fixed number of examples per form, derandomized, no deadline.
"""

from __future__ import annotations

import datetime as dt
import json

import pytest
from django.test import Client
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from tests.web.ecrf.conftest import CONSENT, enrolled_subject_a, enter_baseline

from oncotrial.domain.conduct import check_kinds
from oncotrial.domain.conduct import edit_checks as ec
from oncotrial.web.ecrf.services.records import FORM_MODELS, SIMPLE_FORMS
from oncotrial.web.ecrf.specs import FORMS, LESION_FIELDS, FieldSpec

EXAMPLES_PER_FORM = 20
TODAY = dt.date.today()

HOSTILE = st.sampled_from([
    "1e9999999", "1e400000", "-1e5000", "9" * 401, 10 ** 401, -(10 ** 401), 1e308, -1e308, 5e-324,
    "NaN", "Infinity", "-0", "0x1F", "1_000", " 12 ", "9999-12-31", "0001-01-01", "2025-02-30",
    "20250203", "2025-02-03T25:00", "\ud800", "a\udfffb", "x" * 5000, "", " ", "\x00", "<script>",
    "=HYPERLINK(\"http://x\")", "'; DROP TABLE ecrf_adverseevent; --", True, False, None, 0, -1, 3.5,
    [], ["a", ["b", {"c": None}]], {}, {"$gt": ""}, {"a": {"b": {"c": [1, 2, {"d": "\ud800"}]}}},
])


# Values the protocol and the catalogue make plausible where any text would be refused (a CTCAE
# term, a protocol drug, a baseline lesion id), so that many generated bodies are accepted.
PLAUSIBLE = {
    "term": st.sampled_from(["Nausea", "Fatigue", "Diarrhea", "Anemia", "nausea"]),
    "drug": st.sampled_from(["oxaliplatin", "camrelizumab", "fluorouracil", "leucovorin", "irinotecan"]),
    "lesion_id": st.sampled_from(["T1", "T2", "N1", "N2"]),
    "lesion_ids": st.sampled_from([["T1"], ["T1", "T2"], "T2"]),
    "grade": st.integers(1, 3),
    "visit": st.sampled_from(["W8", "W16", "W24", "EOT"]),
    "unit": st.just("mg"),
}


def _valid(spec: FieldSpec, required: bool = False):
    if spec.name in PLAUSIBLE:
        return PLAUSIBLE[spec.name]
    if spec.kind == "choice":
        return st.sampled_from(spec.choices)
    if spec.kind == "date":
        near = st.dates(CONSENT, TODAY + dt.timedelta(days=2))
        return (near | near | st.dates(dt.date(1950, 1, 1), dt.date(2100, 1, 1))).map(dt.date.isoformat)
    if spec.kind in ("decimal", "integer"):
        low = -1e6 if spec.minimum is None else spec.minimum
        high = 1e6 if spec.maximum is None else spec.maximum
        whole = st.integers(int(low) - 1, int(high) + 1)
        if spec.kind == "integer":
            return whole | whole.map(str)
        return whole | st.decimals(low, high, places=2).map(str) | st.floats(low, high)
    if spec.kind == "bool":
        return st.booleans() | st.sampled_from(["true", "no", "on"])
    if spec.kind == "list":
        return st.lists(st.text(max_size=18), max_size=22) | st.text(max_size=60)
    return st.text(min_size=1 if required else 0, max_size=spec.max_length + 2)


def _value(spec: FieldSpec):
    return _valid(spec) | HOSTILE | st.text(max_size=30)


def _required(form: str) -> set[str]:
    return {check.field for check in ec.EDIT_CHECKS.get(form, ()) if isinstance(check, check_kinds.Required)
            and check.severity == "reject" and check.when is None}


def _body(form: str, fields) -> st.SearchStrategy[dict]:
    """Mostly plausible bodies (every required field, valid values; only those, or with optional
    fields too), some with one field replaced
    by a hostile value, some with every field drawn from anything."""
    required = _required(form)
    plausible = st.fixed_dictionaries({s.name: _valid(s, True) for s in fields if s.name in required},
                                      optional={s.name: _valid(s) for s in fields if s.name not in required})
    names = st.sampled_from([s.name for s in fields])
    one_bad = st.builds(lambda body, name, bad: {**body, name: bad}, plausible, names, HOSTILE)
    minimal = st.fixed_dictionaries({s.name: _valid(s, True) for s in fields if s.name in required})
    anything = st.fixed_dictionaries({}, optional={s.name: _value(s) for s in fields})
    return minimal | plausible | one_bad | anything


LESION = _body("lesion", LESION_FIELDS)
BODIES = {form: _body(form, FORMS[form].fields) for form in SIMPLE_FORMS}
# A follow-up scan that measures the baseline's target lesions T1 and T2 (liver), as a site would.
FOLLOW_UP = st.builds(
    lambda visit, day, sizes, response: {
        "visit": visit, "date": day.isoformat(), "method": "CT", "is_baseline": False,
        "investigator_response": response,
        "lesions": [{"lesion_id": f"T{i + 1}", "kind": "target", "organ": "liver", "axis": "long",
                     "size_mm": size} for i, size in enumerate(sizes)]},
    PLAUSIBLE["visit"], st.dates(CONSENT + dt.timedelta(days=7), TODAY),
    st.lists(st.integers(0, 90) | st.decimals(0, 90, places=1).map(str), min_size=2, max_size=2),
    st.sampled_from(["", "SD", "PR", "PD"]))
BODIES["tumour_assessment"] = FOLLOW_UP | st.builds(
    lambda header, lesions: {**header, **({} if lesions is None else {"lesions": lesions})},
    _body("tumour_assessment", FORMS["tumour_assessment"].fields),
    st.none() | st.lists(LESION, max_size=4) | HOSTILE)
# Now and then a body that is not an object at all, or a field the form does not have.
JUNK = st.sampled_from(["[]", "null", "1e999999", '"\\ud800"', "{", '{"shoe_size": 44}', '{"a": NaN}'])


def _send(client, method: str, url: str, body) -> object:
    text = body if isinstance(body, str) else json.dumps(body)
    call = client.post if method == "POST" else client.put
    return call(url, text, content_type="application/json")


def assert_answer(reply, what: str) -> None:
    """2xx, or a 4xx in the one error shape; never a server error."""
    assert reply.status_code < 500, (what, reply.status_code, reply.content[:600])
    if reply.status_code >= 400:
        body = reply.json()
        assert body["ok"] is False and body["status"] == reply.status_code, (what, body)
        assert isinstance(body["error"], str) and isinstance(body["errors"], list), (what, body)
    else:
        reply.json()  # it parses


def read_urls(code: str, subject, only: tuple[str, int] | None = None) -> list[str]:
    """The subject's pages and reads, and those of its records (only one record's when `only` names
    (form, id), as after each write; every record's and the study-wide summaries at the end)."""
    page = f"/studies/{code}/subjects/{subject.identifier}/"
    api = f"/api/studies/{code}/subjects/{subject.identifier}"
    urls = [page, page + "ecrf/", page + "calendar/", f"/studies/{code}/worklist/",
            api, api + "/ecrf", api + "/calendar", f"/api/studies/{code}/worklist"]
    if only is None:  # the study-wide summaries, once at the end
        urls += [f"/studies/{code}/ecrf/safety/", f"/studies/{code}/ecrf/responses/",
                 f"/studies/{code}/ecrf/queries/", f"/api/studies/{code}/ecrf/safety",
                 f"/api/studies/{code}/ecrf/responses", f"/api/studies/{code}/ecrf/queries"]
    for form in (*SIMPLE_FORMS, "tumour_assessment"):
        if only is not None and form != only[0]:
            continue
        urls.append(api + f"/ecrf/{form}")
        records = FORM_MODELS[form].objects.filter(subject=subject)
        if only is not None:
            records = records.filter(pk=only[1])
        for pk in records.values_list("pk", flat=True):
            urls.append(api + f"/ecrf/{form}/{pk}")
            urls.append(page + (f"ecrf/assessments/{pk}/" if form == "tumour_assessment"
                                else f"ecrf/forms/{form}/{pk}/"))
    return urls


def assert_reads(client, code: str, subject, only=None) -> None:
    for url in read_urls(code, subject, only):
        reply = client.get(url)
        assert reply.status_code == 200, (url, reply.status_code, reply.content[:600])


@pytest.mark.slow
@pytest.mark.parametrize("form", ["tumour_assessment", *SIMPLE_FORMS])
def test_whatever_the_api_accepts_reads_back_and_renders(single_arm_cast, form):
    cast = single_arm_cast
    subject = enrolled_subject_a(cast)
    enter_baseline(cast.coordinator_a, subject, sizes=(30, 20))  # lesions T1, T2 for the other forms
    code = cast.study.code
    client = Client()
    client.force_login(cast.coordinator_a)
    url = f"/api/studies/{code}/subjects/{subject.identifier}/ecrf/{form}"
    accepted = []

    @settings(max_examples=EXAMPLES_PER_FORM, deadline=None, derandomize=True, database=None,
              suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow,
                                     HealthCheck.data_too_large, HealthCheck.filter_too_much])
    @given(body=BODIES[form] | JUNK, correction=BODIES[form])
    def post_one(body, correction):
        reply = _send(client, "POST", url, body)
        assert_answer(reply, f"POST {form} {body!r:.300}")
        if reply.status_code >= 300:
            return
        record_id = reply.json()["id"]
        accepted.append(record_id)
        fix = _send(client, "PUT", f"{url}/{record_id}", {**correction, "reason_for_change": "property test"})
        assert_answer(fix, f"PUT {form} {correction!r:.300}")
        assert_reads(client, code, subject, only=(form, record_id))

    post_one()
    print(f"{form}: {len(accepted)} of {EXAMPLES_PER_FORM} generated bodies accepted")
    assert accepted, f"no generated {form} body was accepted: the strategies test only refusals"
    assert_reads(client, code, subject)
    assert_reads(client_for_monitor(cast), code, subject)


def client_for_monitor(cast) -> Client:
    client = Client()
    client.force_login(cast.monitor)
    return client
