"""Exports in the web app (issue 12): the download page, the API twin and the command line on a
small deterministic demo (built once for the module); who may export (403 for the others), one
audit row per export with every file's SHA-256, every file valid against its official schema or
reader, and clear messages for a study without subjects or an unknown format."""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import json
import zipfile
from pathlib import Path

import pytest
from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone

from oncotrial.cli import main
from oncotrial.web.models import AuditEvent, Study
from oncotrial.web.services.demo import build_demo
from oncotrial.web.testing import build_cast

pytestmark = pytest.mark.slow
AS_OF = dt.date(2025, 6, 30)
SCHEMAS = Path(__file__).resolve().parents[1] / "exports" / "schemas"
CODE = "crlm-sbrt-sintilimab"


@pytest.fixture(scope="module")
def demo(django_db_setup, django_db_blocker):
    """A small demo (a quarter of the people), built once and rolled back after the module."""
    with django_db_blocker.unblock(), transaction.atomic():
        build_demo(seed=7, as_of=AS_OF, scale=0.25)
        yield
        transaction.set_rollback(True)


def login(client, username: str):
    client.force_login(get_user_model().objects.get(username=username))


def unzip(content: bytes) -> dict[str, bytes]:
    with zipfile.ZipFile(io.BytesIO(content)) as archive:
        return {name: archive.read(name) for name in archive.namelist()}


def check_every_file(files: dict[str, bytes], tmp_path) -> None:
    import jsonschema
    import pyreadstat
    import xmlschema

    dataset_schema = json.loads((SCHEMAS / "dataset-json-1.1" / "dataset.schema.json").read_text())
    for name, data in files.items():
        if name.endswith(".xpt"):
            path = tmp_path / name
            path.write_bytes(data)
            frame, meta = pyreadstat.read_xport(str(path))
            twin = json.loads(files[name.replace(".xpt", ".json")])
            assert list(frame.columns) == [c["name"] for c in twin["columns"]] and len(frame) == twin["records"]
            assert [meta.column_names_to_labels[c] for c in frame.columns] == [c["label"] for c in twin["columns"]]
        elif name.endswith(".json") and name != "manifest.json":
            jsonschema.validate(json.loads(data), dataset_schema)
        elif name == "define.xml":
            xmlschema.XMLSchema(str(SCHEMAS / "cdisc-define-2.1" / "define2-1-0.xsd")).validate(io.BytesIO(data))
    listed = {row["file"]: row["sha256"] for row in json.loads(files["manifest.json"])["files"]}
    assert listed == {n: hashlib.sha256(d).hexdigest() for n, d in files.items() if n != "manifest.json"}


@pytest.mark.django_db
def test_every_adam_file_of_the_demo_validates_and_the_export_is_audited_with_checksums(demo, client, tmp_path):
    login(client, "statistician")
    before = AuditEvent.objects.filter(entity="study_export").count()
    asked_at = timezone.now()
    reply = client.get(f"/api/studies/{CODE}/exports/adam?cutoff={AS_OF}")
    assert reply.status_code == 200 and reply["Content-Type"] == "application/zip"
    files = unzip(reply.content)
    assert {"adsl.xpt", "adtte.json", "adrs.csv", "define.xml", "manifest.json"} <= set(files)
    check_every_file(files, tmp_path)
    rows = AuditEvent.objects.filter(entity="study_export").order_by("sequence")
    assert rows.count() == before + 1
    row = rows.last()
    assert (row.username, row.action, row.how, row.entity_id, row.study_code) == (
        "statistician", "export", "api", "adam", CODE)
    changes = {c["field"]: c["new"] for c in row.changes}
    assert changes["sha256:adtte.xpt"] == hashlib.sha256(files["adtte.xpt"]).hexdigest()
    assert changes["cutoff"] == AS_OF.isoformat() and asked_at <= row.occurred_at <= timezone.now()


@pytest.mark.django_db
def test_the_fhir_bundle_of_the_demo_validates_with_fhir_resources(demo, client):
    from fhir.resources.R4B.bundle import Bundle

    login(client, "datamanager")
    files = unzip(client.get(f"/api/studies/{CODE}/exports/fhir?cutoff={AS_OF}").content)
    bundle = json.loads(files["fhir-bundle.json"])
    Bundle.model_validate(bundle)
    assert bundle["entry"][0]["resource"]["resourceType"] == "ResearchStudy" and len(bundle["entry"]) > 1


@pytest.mark.django_db
@pytest.mark.parametrize("username", ["investigator", "coordinator", "monitor"])
def test_a_user_without_export_permission_gets_403_and_nothing_is_audited(demo, client, username):
    login(client, username)
    before = AuditEvent.objects.filter(entity="study_export").count()
    reply = client.get(f"/api/studies/{CODE}/exports/adam?cutoff={AS_OF}")
    assert reply.status_code == 403 and reply.json()["ok"] is False
    assert client.get(f"/studies/{CODE}/exports/").status_code == 403
    assert AuditEvent.objects.filter(entity="study_export").count() == before


@pytest.mark.django_db
def test_the_download_page_lists_the_formats_and_downloads_a_zip(demo, client):
    login(client, "statistician")
    page = client.get(f"/studies/{CODE}/exports/")
    assert page.status_code == 200 and b"define.xml" in page.content
    reply = client.get(f"/studies/{CODE}/exports/ctgov.zip?cutoff={AS_OF}")
    assert reply.status_code == 200
    draft = json.loads(unzip(reply.content)["ctgov-results.json"])
    assert "participantFlowModule" in draft["resultsSection"]
    assert AuditEvent.objects.filter(entity="study_export", how="page", entity_id="ctgov").exists()


@pytest.mark.django_db
def test_an_unknown_format_is_a_clear_400(demo, client):
    login(client, "statistician")
    reply = client.get(f"/api/studies/{CODE}/exports/sas7bdat?cutoff={AS_OF}")
    assert reply.status_code == 400 and "allowed: adam" in reply.json()["error"]


@pytest.mark.django_db
def test_the_command_line_writes_the_files_and_is_audited(demo, tmp_path, capsys):
    out = tmp_path / "adam"
    assert main(["export", CODE, "xpt", "-o", str(out), "--cutoff", AS_OF.isoformat()]) == 0
    assert (out / "adsl.xpt").exists() and (out / "define.xml").exists() and (out / "manifest.json").exists()
    assert AuditEvent.objects.filter(entity="study_export", how="cli", entity_id="xpt").exists()
    assert main(["export", "no-such-study", "xpt", "-o", str(out)]) == 2
    assert "does not exist" in capsys.readouterr().err


@pytest.mark.django_db
def test_a_study_with_no_subjects_gets_a_clear_message(demo, client):
    cast = build_cast(code="exports-empty")
    client.force_login(cast.statistician)
    reply = client.get(f"/api/studies/{cast.study.code}/exports/adam")
    assert reply.status_code == 400 and "has no subjects to export" in reply.json()["error"]
    assert Study.objects.filter(code=cast.study.code).exists()
