"""The trial report as one self-contained HTML file, and each results section as an HTML fragment
that the web pages put inside their layout — the same templates, so a page and the report cannot
disagree. Figures are inline SVG, the style sheet is inline, fonts are the system's: the file makes
no request of its own.
"""

from __future__ import annotations

from functools import lru_cache
from importlib import resources

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

from oncotrial.domain.analysis.results import TrialResults

from . import format as fmt
from .consort import plot_consort, pool_flow
from .plots import plot_cumulative_incidence, plot_km, plot_spider, plot_swimmer, plot_waterfall
from .view import ReportView

TEMPLATES = resources.files("oncotrial.reports") / "templates"
REPORT_SECTIONS = ("warnings", "consort", "efficacy", "response", "safety", "notes")
# the web app's results pages: the sections each shows (its JSON twin is the results API)
PAGES = {"consort": ("consort",), "efficacy": ("warnings", "efficacy", "notes"),
         "response": ("response",), "safety": ("safety",)}
PLOTS_OF = {"consort": ("consort",), "efficacy": ("km", "cuminc"), "response": ("tumour",)}


@lru_cache(maxsize=1)
def environment() -> Environment:
    """The Jinja2 environment of the report templates (autoescaped, strict)."""
    env = Environment(loader=FileSystemLoader(str(TEMPLATES)), autoescape=select_autoescape(default=True),
                      undefined=StrictUndefined, trim_blocks=True, lstrip_blocks=True)
    env.filters["num"] = lambda value: fmt.number(value)
    env.globals["dict"] = dict
    return env


def draw_plots(view: ReportView, sections) -> dict[str, str | None]:
    """Every figure the sections show, as inline SVG (None where there is nothing to draw)."""
    r, t, names, arms = view.results, view.t, view.names, view.arm_ids
    wanted = {kind for name in sections for kind in PLOTS_OF.get(name, ())}
    plots: dict[str, str | None] = {}
    if "consort" in wanted:
        flow = r.consort if view.by_arm else pool_flow(r.consort, t("pooled"))
        plots["consort"] = plot_consort(flow, names, arms, t)
    if "km" in wanted and view.by_arm:
        for summary in r.time_to_event:
            plots[f"km-{summary.endpoint.lower()}"] = plot_km(summary, names, arms, t)
    if "cuminc" in wanted and view.by_arm:
        plots["cuminc-local"] = plot_cumulative_incidence(r.local_control, names, arms, t)
    if "tumour" in wanted:
        plots["waterfall"] = plot_waterfall(r.tumour_plots.waterfall, t, view.term)
        plots["swimmer"] = plot_swimmer(r.tumour_plots.swimmer, arms, view.by_arm, t)
        plots["spider"] = plot_spider(r.tumour_plots.spider, names, arms, view.by_arm, t)
    return plots


def render_sections(results: TrialResults, sections=REPORT_SECTIONS, lang: str = "en",
                    dsmb: str | None = None) -> str:
    """The header block and the named sections as one HTML fragment (a results page's body)."""
    view = ReportView(results, lang, dsmb)
    return environment().get_template("section.j2").render(
        v=view, sections=sections, plots=draw_plots(view, sections))


def render_page_section(results: TrialResults, page: str, lang: str = "en", dsmb: str | None = None) -> str:
    """The fragment of one web results page ("consort", "efficacy", "response", "safety")."""
    return render_sections(results, PAGES[page], lang, dsmb)


def report_css() -> str:
    """The report's style sheet (inlined in the report, linked by the web pages' template)."""
    return (TEMPLATES / "report.css").read_text(encoding="utf-8")


def render_trial_report(results: TrialResults, lang: str = "en", dsmb: str | None = None) -> str:
    """The whole trial report as one self-contained HTML document (module text).

    `lang` is "en" or "zh-hans"; `dsmb` None (the statistician's report), "open" (pooled only,
    nothing by arm) or "closed" (by arm). Thin data give messages in the report, never an error.
    """
    view = ReportView(results, lang, dsmb)
    body = render_sections(results, REPORT_SECTIONS, lang, dsmb)
    title = f"<h1>{view.t('report_title')}</h1>"
    body = body.replace('<header class="report-header">', f'<header class="report-header">{title}', 1)
    return environment().get_template("report.html.j2").render(v=view, css=report_css(), body=body)
