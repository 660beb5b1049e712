"""The trial report on hand-built studies: every number printed equals the TrialResults value it came
from (formatted by oncotrial.reports.format, then found in the HTML), edge-case studies give messages
not exceptions, no external URL, every plot present and non-empty, the DSMB open pack shows nothing by
arm, Chinese for every label, the same bytes twice, and the PDF's pages are not blank."""

from __future__ import annotations

import html as html_lib
import re
import shutil
import subprocess

import pytest
import report_cohorts as cohorts
from report_cohorts import C, E
from report_numbers import expected_numbers

from oncotrial.domain.analysis.adverse_events import OVERVIEW
from oncotrial.domain.analysis.response import BOR_ORDER
from oncotrial.errors import InvalidInput
from oncotrial.reports import format as fmt
from oncotrial.reports.html import render_trial_report
from oncotrial.reports.messages import LABELS, TERMS
from oncotrial.reports.notes import WARNINGS, say_warning

FULL = cohorts.full_trial_b()


def text_of(document: str) -> str:
    return html_lib.unescape(document)


def test_every_number_in_the_report_equals_the_results_value():
    document = text_of(render_trial_report(FULL))
    numbers = expected_numbers(FULL)
    assert len(numbers) > 80
    missing = [n for n in numbers if n not in document]
    assert not missing, missing[:10]
    # the hand cohort's R numbers (tests/domain/analysis/test_results.py): survdiff p 0.4468
    assert "0.58 (1), p 0.4468" in document


def test_a_changed_number_is_caught():
    numbers = expected_numbers(FULL)
    document = text_of(render_trial_report(FULL)).replace(numbers[-1], "?")
    assert numbers[-1] not in document


@pytest.mark.parametrize("lang", ["en", "zh-hans"])
@pytest.mark.parametrize("build, message", [
    (cohorts.empty_study, "no_response_population"), (cohorts.one_arm, "one_arm_only"),
    (cohorts.no_events_no_responders_no_aes, "no_events"),
    (cohorts.no_events_no_responders_no_aes, "no_responders"),
    (cohorts.no_events_no_responders_no_aes, "no_aes"), (cohorts.empty_study, "no_aes"),
])
def test_thin_studies_render_with_clear_messages(build, message, lang):
    results = build()
    document = text_of(render_trial_report(results, lang))
    assert LABELS[message][lang == "zh-hans"] in document
    assert all(say_warning(w, lang) in document for w in results.warnings)
    if lang == "zh-hans":  # said by code, not quoted in English
        assert all(w.code in WARNINGS and w not in document for w in results.warnings)


@pytest.mark.parametrize("build", [cohorts.full_trial_b, cohorts.empty_study, cohorts.one_arm,
                                   cohorts.no_events_no_responders_no_aes, cohorts.single_arm_trial_a])
def test_every_warning_and_population_is_chinese_in_the_chinese_report(build):
    results = build()
    said = [say_warning(w, "zh-hans") for w in results.warnings]
    ids = r"(?:sbrt-chemo-sintilimab|mwa-chemo-camrelizumab|chemo|cox\.zph|Cox|Simon|Gray|Log-rank|S\(t\))"
    english = [s for s in said if re.search(r"[A-Za-z]{4,}", re.sub(ids, "", s))]
    assert english == [] and len(said) == len(results.warnings)
    chinese = text_of(render_trial_report(results, "zh-hans"))
    assert "Intention-to-treat" not in chinese and "Safety set" not in chinese and "responders of" not in chinese


def test_the_html_makes_no_request_and_every_plot_is_drawn():
    document = render_trial_report(FULL)
    assert not re.search(r"""(src|href)\s*=\s*["']?\s*(https?:)?//""", document, re.IGNORECASE)
    assert "<link" not in document and "<script" not in document and "@import" not in document
    for name in ("consort", "km-pfs", "km-os", "km-dor"):
        svg = re.search(rf'<svg role="img" aria-label="{name}".*?</svg>', document, re.S)
        assert svg, name
        assert svg.group(0).count("<path") > 5, name


def test_the_live_mark_and_the_header_are_printed():
    document = text_of(render_trial_report(FULL))
    h = FULL.header
    for value in (h.study, h.protocol_version, h.data_cutoff, h.analysis_set_name, h.software_version,
                  "live data, not locked"):
        assert value in document
    assert "实时数据，未锁定" in text_of(render_trial_report(FULL, "zh-hans"))


def test_the_dsmb_open_pack_shows_nothing_by_arm():
    names = [a.name for a in FULL.arms]
    open_pack = text_of(render_trial_report(FULL, dsmb="open"))
    closed = text_of(render_trial_report(FULL, dsmb="closed"))
    assert not any(name in open_pack for name in names)
    assert not re.search(rf"\b({re.escape(E)}|{C})\b(?!therapy)", open_pack)
    assert "km-pfs" not in open_pack and "Hazard ratio" not in open_pack
    assert all(name in closed for name in names) and "km-pfs" in closed
    pooled = f"{sum(c.orr.x for c in FULL.response.arms)}/{sum(c.n for c in FULL.response.arms)}"
    assert pooled in open_pack
    with pytest.raises(InvalidInput):
        render_trial_report(FULL, dsmb="ajar")


def test_every_label_and_domain_term_has_chinese():
    assert all(en.strip() and zh.strip() for en, zh in LABELS.values())
    domain_terms = [label for _, _, label in OVERVIEW] + list(BOR_ORDER) + [
        "Mean (SD)", "Median", "Min, Max", "Age (years)", "Sex", "Site", "Treatment", "Study status"]
    assert [t for t in domain_terms if t not in TERMS] == []
    chinese = text_of(render_trial_report(FULL, "zh-hans"))
    tag = "(?:h1|h2|h3|th|caption)"
    headings = [re.sub(r"<[^>]+>", " ", h) for h in re.findall(rf"<{tag}[^>]*>(.*?)</{tag}>", chinese, re.S)]
    names = r"(?!CONSORT|Clopper|Pearson|Newcombe|Kaplan|Meier|Gray)"  # names stay in Latin letters
    english = [h for h in headings if re.search(rf"\b{names}[A-Za-z]{{5,}}\b", h)]
    assert [h for h in english if not any(a.name in h or h in FULL.header.title for a in FULL.arms)] == []


def test_the_same_results_give_the_same_bytes():
    assert render_trial_report(FULL) == render_trial_report(cohorts.full_trial_b())


def test_the_single_arm_report_shows_the_design_decision():
    results = cohorts.single_arm_trial_a()
    document = text_of(render_trial_report(results, dsmb="open"))
    decision = results.landmark_decision
    assert decision.rule in document and fmt.percent(decision.p0) + "%" in document
    assert "km-pfs" in document  # one arm: the open pack is the whole report


@pytest.mark.skipif(shutil.which("pdftoppm") is None, reason="poppler-utils is not installed")
@pytest.mark.parametrize("lang", ["en", "zh-hans"])
def test_the_pdf_pages_are_not_blank_and_chinese_has_a_cjk_font(tmp_path, lang):
    pytest.importorskip("weasyprint")
    from oncotrial.reports.pdf import render_trial_report_pdf

    pdf = tmp_path / "report.pdf"
    pdf.write_bytes(render_trial_report_pdf(FULL, lang))
    assert_pages_not_blank(pdf, tmp_path)
    fonts = subprocess.run(["pdffonts", str(pdf)], capture_output=True, text=True, check=True).stdout
    assert ("CJK" in fonts) == (lang == "zh-hans"), fonts


def assert_pages_not_blank(pdf, folder, prefix: str = "page") -> list:
    """Render every page with pdftoppm and check that each has ink (pixel variance)."""
    from PIL import Image, ImageStat

    subprocess.run(["pdftoppm", "-r", "40", "-png", str(pdf), str(folder / prefix)], check=True)
    pages = sorted(folder.glob(f"{prefix}*.png"))
    assert pages
    for page in pages:
        assert ImageStat.Stat(Image.open(page).convert("L")).var[0] > 20, page.name
    return pages
