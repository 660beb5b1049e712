"""The export service: one call from a study in the database to its export files.

`export_study_files` checks the role (statistician, unblinded statistician, data manager or
administrator; in a masked study not the blinded statistician), loads every subject's records,
derives their outcomes and the one `TrialResults` value at the cut-off exactly as
`oncotrial.web.analysis.service.compute_study_results` does, hands both to `oncotrial.exports`,
and appends one audit row (action "export", entity "study_export") naming the format, cut-off,
set, live / locked mark and every file with its SHA-256 — in the same transaction.
"""

from __future__ import annotations

import datetime as dt
import io
import zipfile

from django.db import transaction
from django.utils import timezone

from oncotrial import __version__
from oncotrial.domain.analysis.inputs import AnalysisRequest
from oncotrial.domain.analysis.results import derive_trial_results
from oncotrial.domain.outcomes.derivation_rules import DerivationOptions
from oncotrial.domain.outcomes.derive import derive_subject_outcomes
from oncotrial.errors import InvalidInput
from oncotrial.exports.bundle import ExportStudy, SiteInfo
from oncotrial.exports.package import FORMATS, export_files, manifest, render_manifest
from oncotrial.web.analysis.loading import load_study_records
from oncotrial.web.analysis.service import default_cutoff, is_locked
from oncotrial.web.exports.ecrf import load_ecrf_export
from oncotrial.web.exports.loading import load_export_tables
from oncotrial.web.models import Role
from oncotrial.web.services.audit import record_audit
from oncotrial.web.services.permissions import find_role, require_role

EXPORTERS = frozenset({Role.STATISTICIAN, Role.UNBLINDED_STATISTICIAN, Role.DATA_MANAGER, Role.ADMINISTRATOR})
EXPORTERS_WHEN_MASKED = EXPORTERS - {Role.STATISTICIAN}
FORMAT_TITLES = {"adam": "ADaM: XPT v5, Dataset-JSON 1.1, CSV and define.xml 2.1",
                 "xpt": "ADaM as SAS XPT v5 with define.xml",
                 "dataset-json": "ADaM as Dataset-JSON 1.1 with define.xml",
                 "csv": "ADaM as CSV with define.xml", "define": "define.xml 2.1 only",
                 "sdtm": "SDTM DM, DS, EX, AE, DD, CM, PR, TU, TR, RS, SV, SUPPAE, SUPPPR, TS, TA, TE, TV: "
                         "XPT v5, Dataset-JSON, CSV and define.xml",
                 "fhir": "FHIR R4 ResearchStudy and ResearchSubject bundle",
                 "ctgov": "ClinicalTrials.gov results section draft",
                 "odm": "CDISC ODM 1.3.2: eCRF metadata and clinical data with audit records and signatures",
                 "redcap": "REDCap data dictionary, instruments, events, arms and records (flat CSV)"}


def _roles(study):
    masked = study.current_version().protocol.registry.masking != "none"
    return EXPORTERS_WHEN_MASKED if masked else EXPORTERS


def require_exporter(user, study):
    """The membership that lets `user` export `study`; PermissionDenied (403) otherwise."""
    return require_role(user, study, None, _roles(study), "export the study's datasets")


def can_export(user, study) -> bool:
    return find_role(user, study, None, _roles(study)) is not None


ECRF_FORMATS = frozenset({"odm", "redcap"})


def build_export_study(study, *, cutoff: dt.date, analysis_set: str = "itt", with_ecrf: bool = False) -> ExportStudy:
    """The study's domain inputs, derived outcomes and results at the cut-off (no permission check);
    `with_ecrf` adds the eCRF design, records, audit entries and signatures (ODM, REDCap)."""
    protocol = study.current_version().protocol
    records = load_study_records(study, protocol)
    outcomes = derive_subject_outcomes(protocol, records.subjects, **records.tables,
                                       options=DerivationOptions(data_cutoff=cutoff), collect_problems=True)
    request = AnalysisRequest(study.code, cutoff, analysis_set, is_locked(study), __version__)
    results = derive_trial_results(protocol, records.facts, outcomes, request)
    sites = tuple(SiteInfo(s.code, s.name, s.country) for s in study.sites.order_by("code"))
    tables = {**records.tables, **load_export_tables(study)}
    return ExportStudy(study.code, protocol, tuple(records.facts), tables, outcomes, results,
                       timezone.now(), sites, source_version=__version__,
                       extras={"ecrf": load_ecrf_export(study)} if with_ecrf else {})


def _cutoff(study, cutoff: dt.date | None) -> dt.date:
    today = default_cutoff(study)
    if cutoff is not None and cutoff > today:
        raise InvalidInput(f"data cut-off {cutoff} is in the future", field="cutoff",
                           hint="give a date on or before today (YYYY-MM-DD)")
    return cutoff or today


@transaction.atomic
def export_study_files(user, study, format: str, *, cutoff: dt.date | None = None,  # noqa: A002
                       analysis_set: str = "itt", how: str = "api") -> dict[str, bytes]:
    """The files of one export format plus manifest.json (SHA-256 of each), audited.
    `user=None` with how="cli" is the trusted server command line."""
    if format not in FORMATS:
        raise InvalidInput(f"export format {format!r} is unknown; allowed: {', '.join(FORMATS)}", field="format")
    role = "system" if user is None and how in ("cli", "system") else require_exporter(user, study).role
    exported = build_export_study(study, cutoff=_cutoff(study, cutoff), analysis_set=analysis_set,
                                  with_ecrf=format in ECRF_FORMATS)
    files = export_files(exported, format)
    files["manifest.json"] = render_manifest(files)
    header = exported.results.header
    record_audit(user=user, role=role, action="export", how=how, entity="study_export", entity_id=format,
                 study=study, changes=[
                     {"field": "format", "old": None, "new": format},
                     {"field": "cutoff", "old": None, "new": header.data_cutoff},
                     {"field": "analysis_set", "old": None, "new": header.analysis_set},
                     {"field": "data_status", "old": None, "new": header.data_status},
                     *({"field": f"sha256:{name}", "old": None, "new": digest}
                       for name, digest in manifest(files).items())])
    return files


def zip_files(files: dict[str, bytes]) -> bytes:
    """The files in one ZIP archive (names sorted, fixed timestamps: the same files give the same
    bytes)."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for name in sorted(files):
            archive.writestr(zipfile.ZipInfo(name, date_time=(1980, 1, 1, 0, 0, 0)), files[name])
    return out.getvalue()
