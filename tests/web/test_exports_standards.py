"""SDTM (all domains), ODM 1.3.2 and REDCap exports of the quarter-scale demo through the API
and the command line (issue 12): every file validates (XPT read back by pyreadstat with the
Dataset-JSON file's names, labels and values, Dataset-JSON against CDISC's schema, define.xml
against the Define-XML 2.1 XSD, odm.xml against the ODM 1.3.2 XSD, the REDCap dictionary by
REDCap's rules), ODM metadata read back equals the eCRF specs, the audit trail and a casebook
signature reach the ODM file, and each export is audited."""

from __future__ import annotations

import datetime as dt
import io
import json
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from django.contrib.auth import get_user_model
from django.db import transaction

from oncotrial.cli import main
from oncotrial.web.models import AuditEvent, Subject
from oncotrial.web.services.demo import build_demo

pytestmark = pytest.mark.slow
AS_OF = dt.date(2025, 6, 30)
SCHEMAS = Path(__file__).resolve().parents[1] / "exports" / "schemas"
CODE = "crlm-sbrt-sintilimab"
PASSWORD = "oncotrial-demo-2025"


def _add_con_med_and_signature() -> str:
    from oncotrial.web.ecrf.services.records import save_record
    from oncotrial.web.ecrf.services.signatures import sign

    users = get_user_model().objects
    subject = Subject.objects.filter(study__code=CODE, site__code="01", randomization__isnull=False).order_by(
        "identifier").first()
    start = subject.randomization.randomized_at.date() + dt.timedelta(days=3)
    save_record(users.get(username="coordinator"), subject, "con_med", {
        "name": "Ondansetron", "indication": "nausea", "dose_text": "8 mg BID", "start_date": start.isoformat()})
    sign(users.get(username="investigator"), subject, scope="casebook", password=PASSWORD)
    return subject.identifier


@pytest.fixture(scope="module")
def demo(django_db_setup, django_db_blocker):
    """A quarter-scale demo with one con med and one casebook signature, rolled back after."""
    with django_db_blocker.unblock(), transaction.atomic():
        build_demo(seed=7, as_of=AS_OF, scale=0.25)
        yield _add_con_med_and_signature()
        transaction.set_rollback(True)


def export(client, format: str) -> dict[str, bytes]:  # noqa: A002
    import zipfile

    client.force_login(get_user_model().objects.get(username="statistician"))
    reply = client.get(f"/api/studies/{CODE}/exports/{format}?cutoff={AS_OF}")
    assert reply.status_code == 200, reply.content[:300]
    with zipfile.ZipFile(io.BytesIO(reply.content)) as archive:
        return {name: archive.read(name) for name in archive.namelist()}


def assert_same_values(frame, twin: dict) -> None:
    """The XPT file holds the Dataset-JSON file's values (text in XPT's ASCII spelling)."""
    from oncotrial.exports.xpt import ascii_signs

    for n, column in enumerate(twin["columns"]):
        expected = [row[n] for row in twin["rows"]]
        got = frame[column["name"]].tolist()
        if column["dataType"] == "string":
            assert got == [ascii_signs(v or "") for v in expected], column["name"]
        else:
            assert [None if g != g else g for g in got] == expected, column["name"]


@pytest.mark.django_db
def test_every_sdtm_file_of_the_demo_validates(demo, client, tmp_path):
    import jsonschema
    import pyreadstat
    import xmlschema

    files = export(client, "sdtm")
    schema = json.loads((SCHEMAS / "dataset-json-1.1" / "dataset.schema.json").read_text())
    for name in ("cm", "pr", "tu", "tr", "rs", "sv", "suppae", "supppr", "ta", "te", "tv"):
        twin = json.loads(files[f"{name}.json"])
        jsonschema.validate(twin, schema)
        (tmp_path / f"{name}.xpt").write_bytes(files[f"{name}.xpt"])
        frame, meta = pyreadstat.read_xport(str(tmp_path / f"{name}.xpt"))
        assert list(frame.columns) == [c["name"] for c in twin["columns"]] and len(frame) == twin["records"]
        assert [meta.column_names_to_labels[c] for c in frame.columns] == [c["label"] for c in twin["columns"]]
        assert_same_values(frame, twin)
    assert json.loads(files["tu.json"])["records"] > 0 and json.loads(files["cm.json"])["records"] >= 1
    dm = json.loads(files["dm.json"])
    country = [c["name"] for c in dm["columns"]].index("COUNTRY")
    assert {row[country] for row in dm["rows"]} == {"CHN"}  # the demo sites are entered as "China"
    xmlschema.XMLSchema(str(SCHEMAS / "cdisc-define-2.1" / "define2-1-0.xsd")).validate(io.BytesIO(files["define.xml"]))


@pytest.mark.django_db
def test_the_demo_odm_validates_round_trips_and_carries_audit_records_and_the_signature(demo, client):
    import xmlschema

    from oncotrial.exports.odm import NS
    from oncotrial.exports.odm_import import read_odm_metadata
    from oncotrial.web.exports.ecrf_design import build_ecrf_design

    data = export(client, "odm")["odm.xml"]
    xmlschema.XMLSchema(str(SCHEMAS / "cdisc-odm-1.3.2" / "ODM1-3-2.xsd")).validate(io.BytesIO(data))
    assert read_odm_metadata(data) == build_ecrf_design()
    root, q = ET.fromstring(data), {"o": NS}
    assert root.findall(".//o:FormData/o:AuditRecord", q) and root.findall(".//o:ItemData", q)
    signed = root.find(f".//o:SubjectData[@SubjectKey='{demo}']/o:Signature", q)
    assert signed is not None and signed.find("o:UserRef", q).get("UserOID") == "USR.investigator"
    assert AuditEvent.objects.filter(entity="study_export", entity_id="odm").exists()


@pytest.mark.django_db
def test_the_demo_redcap_export_is_importable_and_flat(demo, client):
    import csv

    from oncotrial.exports.redcap import check_redcap_dictionary

    files = {n: d.decode() for n, d in export(client, "redcap").items() if n.endswith(".csv")}
    assert check_redcap_dictionary(files["redcap_data_dictionary.csv"]) == []
    records = list(csv.DictReader(io.StringIO(files["redcap_records.csv"])))
    assert {r["redcap_event_name"] for r in records} >= {"enrolment_arm_1", "tumour_assessments_arm_1"}
    assert any(r["redcap_repeat_instrument"] == "con_med" and r["cm_name"] == "Ondansetron" for r in records)
    mapping = {(r["unique_event_name"], r["form"]) for r in csv.DictReader(
        io.StringIO(files["redcap_instrument_event_mapping.csv"]))}
    forms = {form for _, form in mapping}
    for row in records:  # a non-repeating instrument's row is the one whose {form}_complete is filled
        filled = {f for f in forms if row[f"{f}_complete"]}
        assert len(filled) == 1 and (row["redcap_event_name"], filled.pop()) in mapping


@pytest.mark.django_db
def test_the_command_line_writes_odm_and_redcap(demo, tmp_path):
    assert main(["export", CODE, "odm", "-o", str(tmp_path / "odm"), "--cutoff", AS_OF.isoformat()]) == 0
    assert main(["export", CODE, "redcap", "-o", str(tmp_path / "rc"), "--cutoff", AS_OF.isoformat()]) == 0
    assert (tmp_path / "odm" / "odm.xml").exists() and (tmp_path / "rc" / "redcap_data_dictionary.csv").exists()
    assert AuditEvent.objects.filter(entity="study_export", how="cli", entity_id="redcap").exists()


@pytest.mark.django_db
@pytest.mark.parametrize("format", ["odm", "redcap", "sdtm"])
def test_an_investigator_gets_403_for_the_ecrf_exports_and_nothing_is_audited(demo, client, format):  # noqa: A002
    client.force_login(get_user_model().objects.get(username="investigator"))
    before = AuditEvent.objects.filter(entity="study_export").count()
    reply = client.get(f"/api/studies/{CODE}/exports/{format}?cutoff={AS_OF}")
    assert reply.status_code == 403 and reply.json()["ok"] is False
    assert AuditEvent.objects.filter(entity="study_export").count() == before
