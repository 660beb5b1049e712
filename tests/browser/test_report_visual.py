"""Visual check of the trial report (issue 11): the HTML of the demo's trial B rendered by Debian's
Chromium and the PDF rendered by pdftoppm, in English and in Chinese, as PNGs under artifacts/.

- Every plot the report draws is on the page and not blank (each <svg>'s screenshot has pixel
  variance); every PDF page has ink and every figure, laid out alone by WeasyPrint, has ink too.
- Chinese is drawn as glyphs, not boxes: each distinct character of the Chinese headings, cut out
  of the page as rendered, gives a distinct image (missing-glyph boxes are identical rectangles),
  and Chromium reports a CJK face for the title. Probes prove the check can fail: the same page in
  a Chromium (and a WeasyPrint) whose fontconfig holds only DejaVu draws boxes, and the check says so.
- In the KM plot the "at risk" title sits below the x-axis label, not on its line.
"""

from __future__ import annotations

import datetime as dt
import html as html_lib
import os
import shutil
import subprocess
import sys
import textwrap
from io import BytesIO
from pathlib import Path

import pytest
from django.db import transaction

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "reports"))
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "domain" / "analysis"))

import report_cohorts as cohorts  # noqa: E402

from oncotrial.reports.html import REPORT_SECTIONS, draw_plots, render_trial_report, report_css  # noqa: E402
from oncotrial.reports.view import ReportView  # noqa: E402

pytestmark = [pytest.mark.browser, pytest.mark.slow]
AS_OF = dt.date(2025, 6, 30)
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]
ARTIFACTS = Path(__file__).resolve().parents[2] / "artifacts"
LANGS = ("en", "zh-hans")
# the demo has no local progression; the cumulative incidence plot is checked on a hand cohort
DEMO_PLOTS = {"consort", "km-pfs", "km-os", "km-dor", "waterfall", "swimmer", "spider"}


@pytest.fixture(scope="module")
def trial_b(django_db_setup, django_db_blocker):
    """Trial B of the deterministic demo (seed 7, as of 2025-06-30), built once for the module."""
    from oncotrial.web.analysis.service import compute_study_results
    from oncotrial.web.models import Study
    from oncotrial.web.services.demo import build_demo

    with django_db_blocker.unblock(), transaction.atomic():
        build_demo(seed=7, as_of=AS_OF, scale=1.0)
        results = compute_study_results(Study.objects.get(code="crlm-sbrt-sintilimab"), cutoff=AS_OF)
        transaction.set_rollback(True)
    return results


@pytest.fixture(scope="module")
def artifacts() -> Path:
    ARTIFACTS.mkdir(exist_ok=True)
    return ARTIFACTS


def latin_only_fontconfig(folder: Path) -> Path:
    """A fontconfig file that knows DejaVu only (no CJK face): the probe's environment."""
    (folder / "cache").mkdir(parents=True, exist_ok=True)
    conf = folder / "fonts.conf"
    conf.write_text(textwrap.dedent(f"""\
        <?xml version="1.0"?><!DOCTYPE fontconfig SYSTEM "fonts.dtd">
        <fontconfig><dir>/usr/share/fonts/truetype/dejavu</dir><cachedir>{folder / 'cache'}</cachedir></fontconfig>
        """))
    return conf


@pytest.fixture(scope="module")
def chromium(tmp_path_factory):
    """(normal page, page of a Chromium whose fontconfig lacks every CJK font), 1280 wide."""
    if not Path(CHROMIUM).exists():
        pytest.skip(f"Debian's Chromium is not installed at {CHROMIUM} (apt-get install chromium)")
    sync_api = pytest.importorskip("playwright.sync_api")
    conf = latin_only_fontconfig(tmp_path_factory.mktemp("latin-fonts"))
    with sync_api.sync_playwright() as playwright:
        normal = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        latin = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS,
                                           env={**os.environ, "FONTCONFIG_FILE": str(conf)})
        try:
            yield tuple(b.new_page(viewport={"width": 1280, "height": 900}) for b in (normal, latin))
        finally:
            normal.close()
            latin.close()


def image(png: bytes):
    from PIL import Image

    return Image.open(BytesIO(png)).convert("L")


def variance(png: bytes) -> float:
    from PIL import ImageStat

    return ImageStat.Stat(image(png)).var[0]


def chinese_of(text: str) -> str:
    """The distinct CJK ideographs of `text`, in order."""
    return "".join(dict.fromkeys(c for c in text if "\u4e00" <= c <= "\u9fff"))


def glyph_images(page, selector: str) -> dict[str, object]:
    """Each distinct Chinese character of the elements matching `selector`, drawn where it stands
    (its element's own font) and cut out alone: character -> its pixels."""
    page.evaluate("""selector => {
        for (const element of document.querySelectorAll(selector)) {
            const walker = document.createTreeWalker(element, NodeFilter.SHOW_TEXT);
            const texts = []; while (walker.nextNode()) texts.push(walker.currentNode);
            for (const text of texts) {
                const parts = document.createDocumentFragment();
                for (const c of text.data) {
                    if (c >= "\\u4e00" && c <= "\\u9fff") {
                        const span = document.createElement("span");
                        span.className = "glyph"; span.textContent = c; span.style.display = "inline-block";
                        parts.appendChild(span);
                    } else parts.appendChild(document.createTextNode(c));
                }
                text.replaceWith(parts);
            }
        }
    }""", selector)
    shots: dict[str, object] = {}
    glyphs = ", ".join(f"{part.strip()} span.glyph" for part in selector.split(","))
    for span in page.query_selector_all(glyphs):
        character = span.inner_text()
        if character not in shots:
            shots[character] = image(span.screenshot())
    return shots


def signature(picture) -> list[int]:
    """The ink of one character, trimmed to its bounding box and scaled to 24 x 24 (so the same
    box drawn at another sub-pixel offset or size looks the same); [] for no ink."""
    from PIL import ImageOps

    box = ImageOps.invert(picture).point(lambda v: 255 if v > 40 else 0).getbbox()
    return list(picture.crop(box).resize((24, 24)).tobytes()) if box else []


def distinct_glyphs(pictures) -> int:
    """How many different shapes the characters gave: missing-glyph boxes are one shape for all,
    real glyphs one each (shapes closer than 12 grey levels on average count as one)."""
    shapes: list[list[int]] = []
    for picture in pictures:
        ink = signature(picture)
        if not any(ink and shape and sum(abs(a - b) for a, b in zip(ink, shape, strict=True)) / len(ink) < 12
                   for shape in shapes):
            shapes.append(ink)
    return len(shapes)


def platform_fonts(page, selector: str) -> list[str]:
    """The faces Chromium really drew the element's text with (DevTools CSS.getPlatformFontsForNode)."""
    cdp = page.context.new_cdp_session(page)
    cdp.send("DOM.enable")
    cdp.send("CSS.enable")
    root = cdp.send("DOM.getDocument")["root"]["nodeId"]
    node = cdp.send("DOM.querySelector", {"nodeId": root, "selector": selector})["nodeId"]
    return [f["familyName"] for f in cdp.send("CSS.getPlatformFontsForNode", {"nodeId": node})["fonts"]]


@pytest.mark.django_db
@pytest.mark.parametrize("lang", LANGS)
def test_every_plot_of_the_html_report_is_drawn_by_chromium(trial_b, chromium, artifacts, lang):
    page, _ = chromium
    local = cohorts.with_local_control()
    for results, prefix, expected in ((trial_b, "report", DEMO_PLOTS), (local, "local", {"cuminc-local"})):
        drawn = {name for name, svg in draw_plots(ReportView(results, lang), REPORT_SECTIONS).items() if svg}
        assert expected <= drawn, drawn
        page.set_content(render_trial_report(results, lang))
        if prefix == "report":
            page.screenshot(path=str(artifacts / f"report-{lang}.png"), full_page=True)
        found = {}
        for svg in page.query_selector_all("svg.plot"):
            name = svg.get_attribute("aria-label")
            box = svg.bounding_box()
            assert box and box["width"] > 300 and box["height"] > 150, (name, box)
            found[name] = variance(svg.screenshot(path=str(artifacts / f"{prefix}-{lang}-{name}.png")))
        assert set(found) == drawn
        blank = {name: v for name, v in found.items() if v < 100}
        assert not blank, blank


def test_a_blank_plot_would_be_caught(chromium):
    page, _ = chromium
    page.set_content('<svg class="plot" width="600" height="300" style="background:white"></svg>')
    assert variance(page.query_selector("svg.plot").screenshot()) < 100


@pytest.mark.django_db
def test_the_km_at_risk_title_sits_below_the_axis_label(trial_b, chromium):
    page, _ = chromium
    page.set_content(render_trial_report(trial_b))
    for name in ("km-pfs", "km-os", "km-dor"):
        boxes = page.evaluate("""name => {
            const texts = [...document.querySelectorAll(`svg[aria-label="${name}"] text`)];
            const box = label => texts.filter(t => t.textContent.trim() === label)
                                      .map(t => t.getBoundingClientRect().toJSON())[0];
            return {axis: box("Months"), title: box("at risk")};
        }""", name)
        assert boxes["axis"] and boxes["title"], (name, boxes)
        assert boxes["title"]["top"] >= boxes["axis"]["bottom"], (name, boxes)


@pytest.mark.django_db
def test_chinese_is_drawn_as_glyphs_not_boxes(trial_b, chromium, artifacts):
    page, latin = chromium
    document = render_trial_report(trial_b, "zh-hans")
    headings = "h1, h2, h3, caption, th"
    page.set_content(document)
    page.query_selector("h1").screenshot(path=str(artifacts / "report-zh-hans-title.png"))
    assert any("CJK" in family for family in platform_fonts(page, "h1")), platform_fonts(page, "h1")
    shots = glyph_images(page, headings)
    assert len(shots) > 60, len(shots)  # the headings' distinct characters
    assert distinct_glyphs(shots.values()) == len(shots)
    assert all(signature(picture) for picture in shots.values())
    # probe: the same report in a Chromium without a CJK font draws boxes, and the check sees it
    latin.set_content(document)
    latin.query_selector("h1").screenshot(path=str(artifacts / "probe-no-cjk-font-title.png"))
    assert not any("CJK" in family for family in platform_fonts(latin, "h1"))
    boxes = glyph_images(latin, headings)
    assert set(boxes) == set(shots)
    # one box shape per font size and weight, against one shape per character with the CJK font
    assert distinct_glyphs(boxes.values()) < len(boxes) / 10, distinct_glyphs(boxes.values())


def pdf_pages(pdf: bytes, folder: Path, prefix: str, dpi: int = 60) -> list[Path]:
    """The PDF's pages as PNGs by pdftoppm."""
    source = folder / f"{prefix}.pdf"
    source.write_bytes(pdf)
    subprocess.run(["pdftoppm", "-r", str(dpi), "-png", str(source), str(folder / prefix)], check=True)
    return sorted(folder.glob(f"{prefix}-*.png"))


def word_box(pdf: Path, word: str) -> tuple[float, float, float, float]:
    """(xMin, yMin, xMax, yMax) in points of the first word on page 1 that holds `word`."""
    import re

    text = subprocess.run(["pdftotext", "-f", "1", "-l", "1", "-bbox", str(pdf), "-"],
                          capture_output=True, text=True, check=True).stdout
    for found in re.finditer(r'<word xMin="([\d.]+)" yMin="([\d.]+)" xMax="([\d.]+)" yMax="([\d.]+)">([^<]*)</word>',
                             text):
        if word in html_lib.unescape(found.group(5)):
            return tuple(float(found.group(i)) for i in range(1, 5))
    raise AssertionError(f"{word!r} is not on page 1")


def pdf_glyph_cells(pdf: Path, png: Path, word: str, dpi: int) -> list:
    """The word's characters cut out of the rendered page, one full-width cell each (CJK
    characters are square, so the word's box splits evenly)."""
    from PIL import Image

    x0, y0, x1, y1 = (v * dpi / 72 for v in word_box(pdf, word))
    page = Image.open(png).convert("L")
    width = (x1 - x0) / len(word)
    return [page.crop((round(x0 + i * width), round(y0), round(x0 + (i + 1) * width), round(y1)))
            for i in range(len(word))]


@pytest.mark.django_db
@pytest.mark.parametrize("lang", LANGS)
def test_the_pdf_pages_and_every_figure_have_ink(trial_b, artifacts, tmp_path, lang):
    if shutil.which("pdftoppm") is None:
        pytest.skip("poppler-utils is not installed")
    pytest.importorskip("weasyprint")
    from weasyprint import HTML

    from oncotrial.reports.pdf import render_trial_report_pdf

    pages = pdf_pages(render_trial_report_pdf(trial_b, lang), tmp_path, f"report-{lang}")
    assert len(pages) >= 6
    for page in pages:
        shutil.copy(page, artifacts / f"pdf-{page.name}")
        assert variance(page.read_bytes()) > 20, page.name
    local = draw_plots(ReportView(cohorts.with_local_control(), lang), ("efficacy",))
    figures = {**draw_plots(ReportView(trial_b, lang), REPORT_SECTIONS), "cuminc-local": local["cuminc-local"]}
    assert {name for name, svg in figures.items() if svg} == DEMO_PLOTS | {"cuminc-local"}
    for name, svg in figures.items():
        if svg is None:
            continue
        alone = HTML(string=f'<html><head><style>{report_css()}</style></head><body>'
                            f'<div class="oncotrial-report"><figure>{svg}</figure></div></body></html>').write_pdf()
        first = pdf_pages(alone, tmp_path, f"figure-{lang}-{name}")[0]
        shutil.copy(first, artifacts / f"pdf-figure-{lang}-{name}.png")
        assert variance(first.read_bytes()) > 20, name


TITLE = "试验结果报告"
PROBE = ('<html lang="zh-Hans"><body><h1 style="font-family: \'Noto Sans CJK SC\', \'DejaVu Sans\'; '
         f'font-size: 28pt">{TITLE}</h1></body></html>')


def weasyprint_pdf(html: str, out: Path, fontconfig: Path | None = None) -> None:
    """`html` laid out by WeasyPrint in a fresh process (fontconfig reads its file at start)."""
    env = {**os.environ, **({"FONTCONFIG_FILE": str(fontconfig)} if fontconfig else {})}
    script = "import sys; from weasyprint import HTML; HTML(string=sys.stdin.read()).write_pdf(sys.argv[1])"
    subprocess.run([sys.executable, "-c", script, str(out)], input=html, text=True, env=env, check=True)


@pytest.mark.django_db
def test_the_chinese_pdf_draws_glyphs_not_boxes(trial_b, artifacts, tmp_path):
    if shutil.which("pdftoppm") is None:
        pytest.skip("poppler-utils is not installed")
    pytest.importorskip("weasyprint")
    from oncotrial.reports.pdf import render_trial_report_pdf

    dpi = 150
    report = tmp_path / "zh.pdf"
    report.write_bytes(render_trial_report_pdf(trial_b, "zh-hans"))
    subprocess.run(["pdftoppm", "-r", str(dpi), "-f", "1", "-l", "1", "-png", str(report), str(tmp_path / "zh")],
                   check=True)
    first = next(tmp_path.glob("zh-*.png"))
    shutil.copy(first, artifacts / "pdf-zh-hans-page-1-150dpi.png")
    cells = pdf_glyph_cells(report, first, TITLE, dpi)
    assert distinct_glyphs(cells) == len(TITLE) and all(signature(c) for c in cells)
    # probe: WeasyPrint without a CJK font draws the title as boxes, and the check sees it
    for name, conf in (("with-cjk", None), ("no-cjk", latin_only_fontconfig(tmp_path / "latin"))):
        pdf = tmp_path / f"probe-{name}.pdf"
        weasyprint_pdf(PROBE, pdf, conf)
        subprocess.run(["pdftoppm", "-r", str(dpi), "-png", str(pdf), str(tmp_path / f"probe-{name}")], check=True)
        png = next(tmp_path.glob(f"probe-{name}-*.png"))
        shutil.copy(png, artifacts / f"probe-pdf-{name}.png")
        distinct = distinct_glyphs(pdf_glyph_cells(pdf, png, TITLE, dpi))
        assert distinct == (len(TITLE) if conf is None else 1), (name, distinct)
