"""One call from a study to its export files: `export_files(study, format)` gives file name →
bytes, and `manifest` their SHA-256 checksums (what the audit row records).

Formats: `xpt` (SAS XPT v5, one file per dataset), `dataset-json` (Dataset-JSON 1.1), `csv`,
`define` (define.xml 2.1), `adam` (all four), `sdtm` (DM, DS, EX, AE, DD, CM, PR, TU, TR, RS, SV,
SUPPAE, SUPPPR, TS, TA, TE, TV in the same four forms), `fhir` (R4 ResearchStudy / ResearchSubject bundle),
`ctgov` (ClinicalTrials.gov results section draft), `odm` (ODM 1.3.2 eCRF metadata and clinical
data with audit records and signatures), `redcap` (data dictionary, instruments, events, arms,
instrument-event mapping and flat records). Every dataset format also writes define.xml
so the files never travel without their metadata.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable

from oncotrial.errors import InvalidInput

from .adam import export_adam
from .bundle import ExportStudy, check_exportable
from .dataset_json import render_csv, render_dataset_json
from .define_xml import render_define
from .sdtm import export_sdtm
from .xpt import render_xpt, require_xpt

FORMATS = ("adam", "xpt", "dataset-json", "csv", "define", "sdtm", "fhir", "ctgov", "odm", "redcap")


def _datasets(study: ExportStudy):
    return export_adam(study)


def _xpt(study: ExportStudy, datasets) -> dict[str, bytes]:
    for dataset in datasets:  # refuse before writing any: never a partial set of files
        require_xpt(dataset)
    return {f"{d.name.lower()}.xpt": render_xpt(d) for d in datasets}


def _json(study: ExportStudy, datasets) -> dict[str, bytes]:
    return {f"{d.name.lower()}.json": render_dataset_json(d, study) for d in datasets}


def _csv(study: ExportStudy, datasets) -> dict[str, bytes]:
    return {f"{d.name.lower()}.csv": render_csv(d) for d in datasets}


DATASET_WRITERS: dict[str, tuple[Callable, ...]] = {
    "xpt": (_xpt,), "dataset-json": (_json,), "csv": (_csv,), "define": (), "adam": (_xpt, _json, _csv),
    "sdtm": (_xpt, _json, _csv)}


def export_files(study: ExportStudy, format: str) -> dict[str, bytes]:  # noqa: A002
    """The files of one export format (file name → bytes); InvalidInput for an unknown format,
    a study without subjects, or data a format cannot hold (named, before any file is made)."""
    if format not in FORMATS:
        raise InvalidInput(f"export format {format!r} is unknown; allowed: {', '.join(FORMATS)}", field="format")
    check_exportable(study)
    if format == "fhir":
        from .fhir import render_fhir

        return {"fhir-bundle.json": render_fhir(study)}
    if format == "ctgov":
        from .ctgov import render_ctgov_results

        return {"ctgov-results.json": render_ctgov_results(study)}
    if format == "odm":
        from .odm import render_odm

        return {"odm.xml": render_odm(study)}
    if format == "redcap":
        from .redcap_records import render_redcap

        return render_redcap(study)
    datasets = export_sdtm(study) if format == "sdtm" else _datasets(study)
    files: dict[str, bytes] = {}
    for writer in DATASET_WRITERS[format]:
        files.update(writer(study, datasets))
    files["define.xml"] = render_define(study, datasets)
    return files


def manifest(files: dict[str, bytes]) -> dict[str, str]:
    """SHA-256 of every file, by name (sorted)."""
    return {name: hashlib.sha256(data).hexdigest() for name, data in sorted(files.items())}


def render_manifest(files: dict[str, bytes]) -> bytes:
    """manifest.json: names, sizes and SHA-256 checksums."""
    rows = [{"file": name, "bytes": len(files[name]), "sha256": digest} for name, digest in manifest(files).items()]
    return json.dumps({"files": rows}, indent=2).encode()
