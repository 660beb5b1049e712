"""Thin studies (empty, one arm, no events, no responders, no AEs) in the PDF and in the web
results pages' sections: each renders with its clear message in both languages, never an
exception (issue 11); the PDF's pages have ink and the message is in the PDF's text."""

from __future__ import annotations

import shutil
import subprocess

import pytest
import report_cohorts as cohorts
from test_report_html import assert_pages_not_blank

from oncotrial.reports.html import PAGES, render_page_section
from oncotrial.reports.messages import LABELS
from oncotrial.reports.notes import say_warning

THIN = [(cohorts.empty_study, ("no_response_population", "no_aes", "no_subjects_endpoint")),
        (cohorts.one_arm, ("one_arm_only", "no_responders")),
        (cohorts.no_events_no_responders_no_aes, ("no_events", "no_responders", "no_aes"))]
# the page of the results site where each message stands
PAGE_OF = {"no_response_population": "efficacy", "no_aes": "safety", "no_subjects_endpoint": "efficacy",
           "one_arm_only": "efficacy", "no_responders": "efficacy", "no_events": "efficacy"}


@pytest.mark.parametrize("lang", ["en", "zh-hans"])
@pytest.mark.parametrize("build, messages", THIN)
def test_every_results_page_of_a_thin_study_shows_its_message(build, messages, lang):
    results = build()
    pages = {page: render_page_section(results, page, lang) for page in PAGES}
    for dsmb in ("open", "closed"):
        assert all(render_page_section(results, page, lang, dsmb) for page in PAGES)
    for message in messages:
        assert LABELS[message][lang == "zh-hans"] in pages[PAGE_OF[message]], message
    assert all(say_warning(w, lang) in pages["efficacy"] for w in results.warnings)


@pytest.mark.slow
@pytest.mark.skipif(shutil.which("pdftotext") is None, reason="poppler-utils is not installed")
@pytest.mark.parametrize("lang", ["en", "zh-hans"])
@pytest.mark.parametrize("build, messages", THIN)
def test_the_pdf_of_a_thin_study_has_its_messages(build, messages, lang, tmp_path):
    pytest.importorskip("weasyprint")
    from oncotrial.reports.pdf import render_trial_report_pdf

    pdf = tmp_path / "thin.pdf"
    pdf.write_bytes(render_trial_report_pdf(build(), lang))
    assert_pages_not_blank(pdf, tmp_path)
    text = subprocess.run(["pdftotext", "-layout", str(pdf), "-"], capture_output=True, text=True,
                          check=True).stdout
    flat = "".join(text.split())
    for message in messages:
        assert "".join(LABELS[message][lang == "zh-hans"].split()) in flat, message
