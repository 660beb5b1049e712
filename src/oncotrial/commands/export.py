"""``oncotrial export STUDY FORMAT -o DIR [--cutoff DATE] [--set SET]``: the study's standard
exports written to a folder (ADaM and SDTM as XPT v5 / Dataset-JSON 1.1 / CSV with define.xml 2.1,
ODM 1.3.2, REDCap, FHIR R4, ClinicalTrials.gov results draft) with manifest.json of SHA-256
checksums; audited as the server's command line. Files go to a temporary folder first and move
into DIR only when all are written."""

from __future__ import annotations

import argparse
import os
import tempfile
from pathlib import Path

from oncotrial.errors import InvalidInput
from oncotrial.exports.package import FORMATS


def register(subparsers) -> None:
    export = subparsers.add_parser("export", help="standard exports (ADaM, SDTM, define.xml, ODM, REDCap, FHIR, "
                                   "ClinicalTrials.gov)")
    export.add_argument("study", help="study code, e.g. crlm-sbrt-sintilimab")
    export.add_argument("format", choices=FORMATS, help="what to export")
    export.add_argument("-o", "--output", required=True, help="folder to write the files to (created if missing)")
    export.add_argument("--cutoff", help="data cut-off date, YYYY-MM-DD (default today at the first site)")
    export.add_argument("--set", dest="analysis_set", default="itt",
                        help="analysis set of the results-based parts: itt, pp, safety, evaluable (default itt)")
    export.set_defaults(func=export_command)


def _write_all(folder: Path, files: dict[str, bytes]) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=folder, prefix=".export-") as staging:
        for name, data in files.items():
            (Path(staging) / name).write_bytes(data)
        for name in files:
            os.replace(Path(staging) / name, folder / name)


def export_command(args: argparse.Namespace) -> int:
    from oncotrial.commands.report import _cutoff

    cutoff = _cutoff(args.cutoff) if args.cutoff else None
    folder = Path(args.output)
    if folder.exists() and not folder.is_dir():
        raise InvalidInput(f"-o {args.output} is a file, not a folder", field="output",
                           hint="give a folder; it is created if missing")
    from oncotrial.commands.web import setup_django

    setup_django()
    from oncotrial.web.exports.service import export_study_files
    from oncotrial.web.services.studies import find_study

    files = export_study_files(None, find_study(args.study), args.format, cutoff=cutoff,
                               analysis_set=args.analysis_set, how="cli")
    _write_all(folder, files)
    print(f"{args.study}: {args.format} export, {len(files)} files written to {folder}")
    for name in sorted(files):
        print(f"  {name} ({len(files[name])} bytes)")
    return 0
