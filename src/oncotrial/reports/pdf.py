"""The trial report as PDF: WeasyPrint (BSD) lays out the very HTML of `render_trial_report`, with
the study, cut-off, set, version and live/locked mark repeated in every page's running header
(CSS `@page` and `string-set`). Fonts come from the system (fontconfig); the Chinese report needs
a CJK font such as Debian's fonts-noto-cjk."""

from __future__ import annotations

from oncotrial.domain.analysis.results import TrialResults

from .html import render_trial_report


def render_trial_report_pdf(results: TrialResults, lang: str = "en", dsmb: str | None = None) -> bytes:
    """The report of `render_trial_report` as PDF bytes (A4)."""
    from weasyprint import HTML  # imported here: it loads Pango, which the HTML path never needs

    return HTML(string=render_trial_report(results, lang, dsmb)).write_pdf()
