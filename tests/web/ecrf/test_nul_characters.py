"""Issue 13, found by the PostgreSQL pass of the property test and schemathesis: a NUL character
(0x00) in a text field, a path or a query string ended as a database error (PostgreSQL text cannot
hold NUL) — a 500 that also left the connection unusable. Each is now a 400 in the one error shape
naming the field, and nothing is stored."""

from tests.web.ecrf.test_boundaries import API, assert_refused, client_for, post

from oncotrial.web.ecrf import models as m


def test_a_nul_in_an_ecrf_text_field_is_refused_by_name(cast, subject_a):
    base = API.format(code=cast.study.code, sid=subject_a.identifier)
    client = client_for(cast.coordinator_a)
    raw = '{"name": "aspirin\\u0000", "start_date": "2025-02-10"}'
    assert_refused(post(client, base + "/ecrf/con_med", raw), "name", expected="NUL")
    raw = '{"form_version": "1", "signed_on": "2025-02-03", "signer": "A\\u0000"}'
    assert_refused(post(client, base + "/consent", raw), "signer", expected="NUL")
    assert not m.ConMed.objects.exists() and subject_a.consents.count() == 1


def test_a_nul_in_the_address_is_a_400_not_a_database_error(cast, subject_a):
    client = client_for(cast.coordinator_a)
    for url in ("/api/public/studies/dose%00", f"/api/studies/{cast.study.code}/subjects/01%00",
                f"/studies/{cast.study.code}/calendar/?as_of=2025-01-01%00"):
        reply = client.get(url)
        assert reply.status_code == 400, (url, reply.status_code)
    body = client.get("/api/public/studies/dose%00").json()
    assert body["ok"] is False and body["status"] == 400 and "NUL" in body["error"]
    assert client.get(f"/api/studies/{cast.study.code}/subjects/{subject_a.identifier}").status_code == 200
