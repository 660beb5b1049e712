"""The full trial report of the demo's randomised trial B (crlm-sbrt-sintilimab, seed 7, as of
2025-06-30) as HTML and as PDF. Goal on a 2-core machine: HTML <= 3 s, PDF <= 10 s (issue 11).

    python3 benchmarks/report.py

The demo is built into a temporary SQLite home first (about a minute, not timed).
"""

from __future__ import annotations

import datetime as dt
import os
import tempfile
import time

AS_OF = dt.date(2025, 6, 30)
GOALS = {"html": 3.0, "pdf": 10.0}


def build_results():
    os.environ["ONCOTRIAL_HOME"] = tempfile.mkdtemp(prefix="oncotrial-bench-")
    from oncotrial.commands.web import migrate_database, setup_django

    setup_django()
    migrate_database()
    from oncotrial.web.analysis.service import compute_study_results
    from oncotrial.web.models import Study
    from oncotrial.web.services.demo import build_demo

    build_demo(seed=7, as_of=AS_OF)
    return compute_study_results(Study.objects.get(code="crlm-sbrt-sintilimab"), cutoff=AS_OF)


def best_of(repeats: int, call) -> tuple[float, object]:
    times, value = [], None
    for _ in range(repeats):
        started = time.perf_counter()
        value = call()
        times.append(time.perf_counter() - started)
    return min(times), value


def main() -> int:
    from oncotrial.reports.html import render_trial_report
    from oncotrial.reports.pdf import render_trial_report_pdf

    results = build_results()
    print(f"trial B demo: {results.analysis_set.n} subjects in the ITT set, cut-off {AS_OF}")
    figures = {}
    for lang in ("en", "zh-hans"):
        figures[("html", lang)], html = best_of(3, lambda lang=lang: render_trial_report(results, lang))
        figures[("pdf", lang)], pdf = best_of(2, lambda lang=lang: render_trial_report_pdf(results, lang))
        print(f"{lang}: HTML {figures[('html', lang)]:.2f} s ({len(html) / 1e3:.0f} kB), "
              f"PDF {figures[('pdf', lang)]:.2f} s ({len(pdf) / 1e3:.0f} kB)")
    for (kind, lang), seconds in figures.items():
        verdict = "meets" if seconds <= GOALS[kind] else "misses"
        print(f"{kind} {lang}: {seconds:.2f} s {verdict} the goal of {GOALS[kind]:g} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
