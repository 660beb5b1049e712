"""Golden test on the deterministic demo (seed 7, as of 2025-06-30, built once for the module):
every number of the results API equals the domain result it came from, for both seed trials and
every analysis set, and so does every number on the results pages and in the HTML report and the
report.json download (each formatted from the TrialResults value as the renderer does, then found
in the page, in English and in Chinese); trial B's subject-level times equal the CSV the R reference was computed on
(tests/domain/analysis/reference/trial_b_demo.csv, R numbers beside it)."""

from __future__ import annotations

import csv
import datetime as dt
import html
import json
import sys
from pathlib import Path

import pytest
from django.db import transaction

from oncotrial.domain.outcomes.derivation_rules import DerivationOptions
from oncotrial.domain.outcomes.derive import derive_subject_outcomes
from oncotrial.web.analysis.loading import load_study_records
from oncotrial.web.analysis.service import compute_study_results
from oncotrial.web.models import Study
from oncotrial.web.services.demo import build_demo

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "reports"))
from report_numbers import expected_numbers  # noqa: E402

pytestmark = pytest.mark.slow
AS_OF = dt.date(2025, 6, 30)
REFERENCE = Path(__file__).resolve().parents[1] / "domain" / "analysis" / "reference" / "trial_b_demo.csv"


@pytest.fixture(scope="module")
def demo(django_db_setup, django_db_blocker):
    """The full demo, built once (about 1.5-2 minutes) and rolled back after the module."""
    with django_db_blocker.unblock(), transaction.atomic():
        build_demo(seed=7, as_of=AS_OF, scale=1.0)
        yield
        transaction.set_rollback(True)


def export_rows(study) -> list[dict]:
    """ITT subjects' PFS and OS in days as trial_b_demo.csv holds them (this wrote the file)."""
    results = compute_study_results(study, cutoff=AS_OF)
    protocol = study.current_version().protocol
    records = load_study_records(study, protocol)
    outcomes = derive_subject_outcomes(protocol, records.subjects, **records.tables,
                                       options=DerivationOptions(data_cutoff=AS_OF), collect_problems=True)
    strata = {f.subject_id: f.stratum for f in records.facts}
    itt = dict(results.analysis_set.subject_arms)
    return [{"subject_id": o.subject_id, "arm": itt[o.subject_id], "stratum": strata[o.subject_id],
             "pfs_days": str(o.pfs.aval_days), "pfs_event": str(int(o.pfs.is_event)),
             "os_days": str(o.os.aval_days), "os_event": str(int(o.os.is_event))}
            for o in outcomes.subjects if o.subject_id in itt and o.pfs is not None]


@pytest.mark.django_db
@pytest.mark.parametrize("code", ["crlm-sbrt-sintilimab", "crlm-mwa-camrelizumab"])
def test_every_number_in_the_api_equals_the_domain_result(demo, client, code):
    from django.contrib.auth import get_user_model

    client.force_login(get_user_model().objects.get(username="statistician"))
    study = Study.objects.get(code=code)
    for analysis_set in ("itt", "pp", "safety", "evaluable"):
        reply = client.get(f"/api/studies/{code}/results?cutoff={AS_OF}&set={analysis_set}")
        assert reply.status_code == 200, reply.content[:300]
        body = reply.json()
        assert body.pop("ok") is True
        expected = compute_study_results(study, cutoff=AS_OF, analysis_set=analysis_set).to_data()
        assert body == json.loads(json.dumps(expected)), analysis_set
    assert body["header"]["data_status"] == "live data, not locked"


@pytest.mark.django_db
def test_trial_b_demo_data_are_the_rows_the_r_reference_used(demo):
    rows = export_rows(Study.objects.get(code="crlm-sbrt-sintilimab"))
    assert rows == list(csv.DictReader(REFERENCE.open()))
    results = compute_study_results(Study.objects.get(code="crlm-sbrt-sintilimab"), cutoff=AS_OF)
    pfs = results.endpoint("PFS")
    assert sum(a.events for a in pfs.arms) == sum(r["pfs_event"] == "1" for r in rows)
    assert pfs.comparison.logrank.p_value == pytest.approx(0.0255718651016257, abs=1e-12)  # R survdiff


def statistician_client(client):
    from django.contrib.auth import get_user_model

    client.force_login(get_user_model().objects.get(username="statistician"))
    return client


@pytest.mark.django_db
@pytest.mark.parametrize("lang", ["en", "zh-hans"])
@pytest.mark.parametrize("code", ["crlm-sbrt-sintilimab", "crlm-mwa-camrelizumab"])
def test_every_number_on_the_pages_and_in_the_report_equals_the_domain_result(demo, client, code, lang):
    statistician_client(client)
    results = compute_study_results(Study.objects.get(code=code), cutoff=AS_OF)
    numbers = expected_numbers(results, lang)
    assert len(numbers) > 50  # trial A (one arm) has 67, trial B more
    query = f"?cutoff={AS_OF}&lang={lang}"
    pages = ""
    for section in ("consort", "efficacy", "response", "safety"):
        reply = client.get(f"/studies/{code}/results/{section}/{query}")
        assert reply.status_code == 200, section
        pages += html.unescape(reply.content.decode())
    report = client.get(f"/studies/{code}/report.html{query}")
    assert report.status_code == 200
    report = html.unescape(report.content.decode())
    for where, text in (("pages", pages), ("report", report)):
        missing = [n for n in numbers if n not in text]
        assert not missing, (where, missing[:10])
    download = client.get(f"/studies/{code}/report.json{query}")
    assert json.loads(download.content) == json.loads(json.dumps(results.to_data()))
