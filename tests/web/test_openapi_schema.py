"""Issue 13, item 4: the OpenAPI schema types every request body and response and declares the one
error shape for 400 / 401 / 403 / 404 / 409 on every operation."""

import json

from django.test import Client

ERRORS = ("400", "401", "403", "404", "409")
# Operations of routers outside this schema's typing work (exports, added alongside) are held to
# the error shape only.
UNTYPED_TAGS = {"exports"}


def schema() -> dict:
    reply = Client().get("/api/openapi.json")
    assert reply.status_code == 200
    return reply.json()


def operations(doc):
    for path, methods in doc["paths"].items():
        for method, operation in methods.items():
            yield f"{method.upper()} {path}", operation


def test_every_operation_declares_its_answer_and_the_error_shape(db):
    doc = schema()
    error = doc["components"]["schemas"]["ErrorOut"]
    assert set(error["required"]) == {"ok", "error", "errors", "status"}
    found = list(operations(doc))
    assert len(found) >= 70
    for name, operation in found:
        for status in ERRORS:
            body = operation["responses"][status]["content"]["application/json"]["schema"]
            assert body == {"$ref": "#/components/schemas/ErrorOut"}, (name, status, body)
        if UNTYPED_TAGS & set(operation.get("tags", ())):
            continue
        ok = operation["responses"]["200"]["content"]["application/json"]["schema"]
        assert "$ref" in ok or ok.get("type") == "array", (name, ok)


def test_request_bodies_are_typed_and_name_what_they_require(db):
    doc = schema()
    bodies = [op["requestBody"]["content"]["application/json"]["schema"]["$ref"].rsplit("/", 1)[1]
              for _, op in operations(doc) if "requestBody" in op]
    assert len(bodies) >= 30
    components = doc["components"]["schemas"]
    for name in set(bodies):
        for field, declared in components[name]["properties"].items():
            assert declared != {} and ("type" in declared or "anyOf" in declared or "$ref" in declared), (
                name, field, declared)
    ae = components["AdverseEventIn"]
    assert set(ae["required"]) >= {"term", "grade", "start_date"}
    grade = ae["properties"]["grade"]["anyOf"][0]
    assert grade == {"type": "integer", "minimum": 1, "maximum": 5}
    assert ae["properties"]["start_date"]["format"] == "date"
    assert ae["additionalProperties"] is False


def test_an_empty_body_is_invalid_by_the_schema_and_refused_naming_the_fields(single_arm_cast):
    from tests.web.ecrf.conftest import enrolled_subject_a

    cast = single_arm_cast
    subject = enrolled_subject_a(cast)
    client = Client()
    client.force_login(cast.coordinator_a)
    reply = client.post(f"/api/studies/{cast.study.code}/subjects/{subject.identifier}/ecrf/adverse_event",
                        "{}", content_type="application/json")
    body = reply.json()
    assert reply.status_code == 400 and body["ok"] is False
    assert {"term", "grade", "start_date"} <= {e["field"] for e in body["errors"]}
    wrong = client.post(f"/api/studies/{cast.study.code}/subjects/{subject.identifier}/ecrf/adverse_event",
                        json.dumps({"term": "Nausea", "grade": 2, "start_date": "2025-02-12", "serious": [1]}),
                        content_type="application/json")
    assert wrong.status_code == 400 and any(e["field"].endswith("serious") for e in wrong.json()["errors"])
