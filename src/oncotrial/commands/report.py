"""``oncotrial report STUDY --cutoff DATE [--set SET] [--format json] -o FILE``: the trial's
analysis results, written from the one results value the pages and the API also read.

A format is one renderer ``(TrialResults, args) -> bytes`` in ``RENDERERS``; adding HTML or PDF
is adding one function there (and its choice appears in ``--format`` by itself).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path

from oncotrial.errors import InvalidInput


def render_json(results, args) -> bytes:
    """The results object as UTF-8 JSON (``TrialResults.to_data()``), keys in a stable order."""
    return json.dumps(results.to_data(), ensure_ascii=False, indent=2, allow_nan=False).encode()


def render_html(results, args) -> bytes:
    """The self-contained HTML report (``oncotrial.reports.html.render_trial_report``)."""
    from oncotrial.reports.html import render_trial_report

    return render_trial_report(results, args.lang, args.dsmb).encode()


def render_pdf(results, args) -> bytes:
    """The PDF report, WeasyPrint from the same HTML (``oncotrial.reports.pdf``)."""
    from oncotrial.reports.pdf import render_trial_report_pdf

    return render_trial_report_pdf(results, args.lang, args.dsmb)


RENDERERS: dict[str, Callable] = {"json": render_json, "html": render_html, "pdf": render_pdf}


def register(subparsers) -> None:
    report = subparsers.add_parser("report", help="the trial's analysis results (JSON, HTML or PDF) at a data cut-off")
    report.add_argument("study", help="study code, e.g. crlm-sbrt-sintilimab")
    report.add_argument("--cutoff", required=True, help="data cut-off date, YYYY-MM-DD")
    report.add_argument("--set", dest="analysis_set", default="itt",
                        help="analysis set: itt, pp, safety, evaluable, or a set id of the protocol "
                             "(default itt)")
    report.add_argument("--format", choices=sorted(RENDERERS), default="json",
                        help="output format (default json)")
    report.add_argument("--lang", choices=("en", "zh-hans"), default="en", help="report language (default en)")
    report.add_argument("--dsmb", choices=("open", "closed"), default=None,
                        help="DSMB pack: open (pooled, nothing by arm) or closed (by arm)")
    report.add_argument("-o", "--output", required=True, help="file to write ('-' for standard output)")
    report.set_defaults(func=report_command)


def _cutoff(text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise InvalidInput(f"--cutoff is {text!r}, not a date", field="cutoff",
                           hint="write it as YYYY-MM-DD, e.g. 2025-06-30") from None


def _write(output: str, data: bytes) -> None:
    if output == "-":
        sys.stdout.buffer.write(data)
        return
    target = Path(output)
    handle, temporary = tempfile.mkstemp(dir=target.parent or Path("."), prefix=f".{target.name}.")
    with os.fdopen(handle, "wb") as out:
        out.write(data)
    os.replace(temporary, target)


def _stderr_console():
    from rich.console import Console

    return Console(stderr=True)


def report_command(args: argparse.Namespace) -> int:
    cutoff = _cutoff(args.cutoff)
    from oncotrial.commands.web import setup_django

    setup_django()
    from rich.progress import Progress

    from oncotrial.web.analysis.service import study_results
    from oncotrial.web.services.studies import find_study

    # the bar goes to standard error, so "-o -" keeps standard output to the report alone
    with Progress(transient=True, console=_stderr_console()) as progress:
        task = progress.add_task("loading and analysing", total=3)
        study = find_study(args.study)
        results = study_results(None, study, cutoff=cutoff, analysis_set=args.analysis_set, how="cli")
        progress.update(task, advance=1, description=f"rendering {args.format}")
        data = RENDERERS[args.format](results, args)
        progress.update(task, advance=1, description="writing")
        _write(args.output, data)
        progress.update(task, advance=1)
    header = results.header
    if args.output != "-":
        print(f"{header.study} at {header.data_cutoff}, {header.analysis_set_name}, "
              f"{header.data_status}: {args.format} written to {args.output}"
              f" ({len(results.warnings)} warnings)")
    return 0
