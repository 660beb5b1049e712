"""Protocol amendments, masked studies, the audit page and the public study page."""

from __future__ import annotations

import csv
import datetime as dt
import io

import pytest

from oncotrial.domain.protocol.model import dump_protocol, load_protocol
from oncotrial.errors import Conflict, InvalidInput, PermissionDenied
from oncotrial.web.models import AuditEvent
from oncotrial.web.services import subjects
from oncotrial.web.services.permissions import can_see_arm
from oncotrial.web.services.queries import list_audit
from oncotrial.web.services.studies import amend_protocol, create_study

from .test_permission_stories import FACTS

pytestmark = pytest.mark.django_db

DAY = dt.date(2025, 3, 3)


def amended_text(study, version: str, **registry) -> str:
    protocol = study.current_version().protocol
    text = dump_protocol(protocol).replace(f'version: "{protocol.version}"', f'version: "{version}"', 1)
    text = text.replace(f"version: '{protocol.version}'", f"version: '{version}'", 1)
    for key, value in registry.items():
        text = text.replace(f"  {key}: {getattr(protocol.registry, key)}\n", f"  {key}: {value}\n", 1)
    assert load_protocol(text).version == version
    return text


def test_an_amendment_applies_to_records_written_after_it(cast):
    before = subjects.register_screening(cast.coordinator_a, cast.study, cast.site_a, screened_on=DAY)
    amend_protocol(cast.admin, cast.study, amended_text(cast.study, "1.1"), effective_on=DAY,
                   reason="amendment 1: imaging window")
    after = subjects.register_screening(cast.coordinator_a, cast.study, cast.site_a, screened_on=DAY)
    assert (before.protocol_version.version, after.protocol_version.version) == ("1.0", "1.1")
    event = AuditEvent.objects.get(action="amend")
    assert event.reason == "amendment 1: imaging window"
    assert event.changes == [{"field": "version", "old": "1.0", "new": "1.1"}]


def test_an_amendment_needs_a_new_version_of_the_same_protocol_and_an_administrator(cast):
    from oncotrial.protocols import builtin_protocol_text

    with pytest.raises(Conflict):
        amend_protocol(cast.admin, cast.study, amended_text(cast.study, "1.0"), effective_on=DAY, reason="x")
    other = builtin_protocol_text("crlm-mwa-camrelizumab")
    with pytest.raises(InvalidInput):
        amend_protocol(cast.admin, cast.study, other, effective_on=DAY, reason="x")
    with pytest.raises(PermissionDenied):
        amend_protocol(cast.investigator_a, cast.study, amended_text(cast.study, "1.2"), effective_on=DAY,
                       reason="x")


def test_a_masked_study_conceals_arms_from_blinded_roles(client, cast):
    text = amended_text(cast.study, "1.0", masking="double")
    masked = create_study(cast.admin, text, code="masked-b", effective_on=DAY, add_protocol_sites=False)
    assert not can_see_arm(cast.monitor, masked, masked=True)
    assert can_see_arm(cast.admin, masked, masked=True)
    # in the open-label study the site staff see the arm
    assert can_see_arm(cast.coordinator_a, cast.study, cast.site_a, masked=False)


def test_the_audit_page_filters_by_subject_user_and_date_and_exports_csv(client, cast):
    subject = subjects.register_screening(cast.coordinator_a, cast.study, cast.site_a, screened_on=DAY)
    subjects.record_consent(cast.investigator_a, subject, form_version="1", signed_on=DAY, signer="S")
    client.force_login(cast.monitor)
    page = client.get(f"/studies/{cast.study.code}/audit/", {"subject": subject.identifier, "user": "ina"})
    rows = page.context["rows"]
    assert [(r["username"], r["entity"]) for r in rows] == [("ina", "consent")]
    today = dt.date.today().isoformat()
    assert list_audit(cast.monitor, cast.study, date_from=dt.date.today() + dt.timedelta(days=1)) == []
    reply = client.get(f"/studies/{cast.study.code}/audit/", {"subject": subject.identifier, "format": "csv",
                                                               "date_from": today})
    table = list(csv.DictReader(io.StringIO(reply.content.decode())))
    assert reply["Content-Type"].startswith("text/csv") and len(table) == 2
    assert {row["action"] for row in table} == {"create"}
    assert AuditEvent.objects.filter(action="export", username="mon").exists()


def test_an_investigator_reads_only_the_audit_rows_of_their_site(cast):
    subjects.register_screening(cast.outsider_b, cast.study, cast.site_b, screened_on=DAY)
    a = subjects.register_screening(cast.coordinator_a, cast.study, cast.site_a, screened_on=DAY)
    seen = {row["subject_identifier"] for row in list_audit(cast.investigator_a, cast.study)}
    assert seen <= {a.identifier, ""} and a.identifier in seen


def test_the_public_page_gives_registry_facts_and_the_notice_without_login(client, cast):
    page = client.get(f"/public/studies/{cast.study.code}/").content.decode()
    assert "NCT06120127" in page and "does not constitute medical advice" in page
    assert "Inclusion" in page and "Age 18 years or older" in page and "Site A Hospital" in page
    data = client.get(f"/api/public/studies/{cast.study.code}").json()
    assert data["design"]["allocation"] == "randomized" and len(data["arms"]) == 2
    assert "subjects" not in data


def test_the_dashboard_counts_enrolment_per_site_and_arm(client, cast):
    subject = subjects.register_screening(cast.coordinator_a, cast.study, cast.site_a, screened_on=DAY)
    subjects.record_consent(cast.coordinator_a, subject, form_version="1", signed_on=DAY, signer="S")
    subjects.assess_eligibility(cast.coordinator_a, subject, assessed_on=DAY, answers=FACTS)
    subjects.enrol_subject(cast.coordinator_a, subject, enrolled_on=DAY)
    subjects.register_screening(cast.outsider_b, cast.study, cast.site_b, screened_on=DAY)
    client.force_login(cast.sponsor_viewer)
    data = client.get(f"/api/studies/{cast.study.code}").json()
    assert (data["screened"], data["enrolled"], data["target"]) == (2, 1, 80)
    assert [(s["site"], s["screened"], s["enrolled"]) for s in data["per_site"]] == [("01", 1, 1), ("02", 1, 0)]
    assert [arm["subjects"] for arm in data["per_arm"]] == [0, 0]  # enrolled, not yet randomized
