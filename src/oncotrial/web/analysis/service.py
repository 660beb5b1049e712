"""The analysis service: one call from a study in the database to its `TrialResults`.

`study_results` checks the reader's role (statistician, unblinded statistician, DSMB member or
administrator; in a masked study the blinded statistician may not see results by arm), loads
every subject's records, derives their outcomes at the data cut-off and hands both to the domain.
A study with an active study-level lock is analysed as a locked snapshot; otherwise every output
is marked "live data, not locked". Nothing is cached in process memory: results are derived once
per change of the study's data and kept in the database cache (`services.results_cache`), so every
host behind a load balancer gives the same answer.
"""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from oncotrial import __version__
from oncotrial.domain.analysis.inputs import AnalysisRequest
from oncotrial.domain.analysis.results import TrialResults, derive_trial_results
from oncotrial.domain.outcomes.derivation_rules import DerivationOptions
from oncotrial.domain.outcomes.derive import derive_subject_outcomes
from oncotrial.errors import InvalidInput
from oncotrial.web.analysis.loading import load_study_records
from oncotrial.web.ecrf import models as m
from oncotrial.web.models import Role
from oncotrial.web.services.audit import record_audit
from oncotrial.web.services.permissions import require_role
from oncotrial.web.services.results_cache import cached_derivation

RESULTS_READERS = frozenset({Role.STATISTICIAN, Role.UNBLINDED_STATISTICIAN, Role.DSMB,
                             Role.ADMINISTRATOR})
RESULTS_READERS_WHEN_MASKED = RESULTS_READERS - {Role.STATISTICIAN}
# Audited entities that load_study_records never reads: writing them keeps the cached results
# (tests/web/test_serving_results_cache.py checks that the loader still does not read them).
UNANALYSED_ENTITIES = ("con_med", "query", "signature", "api_token", "user", "membership")


def is_locked(study) -> bool:
    """Whether the study database is locked (an active study-level lock)."""
    return m.Lock.objects.filter(study=study, level="study", unlocked_at__isnull=True).exists()


def require_results_reader(user, study, protocol):
    """The membership that lets `user` read the analysis results; PermissionDenied otherwise."""
    masked = protocol.registry.masking != "none"
    roles = RESULTS_READERS_WHEN_MASKED if masked else RESULTS_READERS
    return require_role(user, study, None, roles, "read the analysis results")


def default_cutoff(study) -> dt.date:
    """Today in the time zone of the study's first site (the seed sites are in Shanghai)."""
    site = study.sites.order_by("code").first()
    return dt.datetime.now(ZoneInfo(site.timezone if site else "UTC")).date()


def compute_study_results(study, *, cutoff: dt.date, analysis_set: str = "itt") -> TrialResults:
    """Load, derive and analyse, without permission checks (callers check)."""
    protocol = study.current_version().protocol
    records = load_study_records(study, protocol)
    outcomes = derive_subject_outcomes(protocol, records.subjects, **records.tables,
                                       options=DerivationOptions(data_cutoff=cutoff),
                                       collect_problems=True)
    request = AnalysisRequest(study.code, cutoff, analysis_set, is_locked(study), __version__)
    return derive_trial_results(protocol, records.facts, outcomes, request)


def study_results(user, study, *, cutoff: dt.date | None = None, analysis_set: str = "itt",
                  how: str = "api", audit: bool = True) -> TrialResults:
    """The results of `study` at the cut-off (default today) for one analysis set, for a results
    reader; the read is audited (action "export", entity "analysis_results") as results by arm
    leave the EDC. `user=None` with how="cli" is the trusted server command line."""
    protocol = study.current_version().protocol
    if user is None and how in ("cli", "system"):
        role = "system"
    else:
        role = require_results_reader(user, study, protocol).role
    cutoff = cutoff or default_cutoff(study)
    if cutoff > default_cutoff(study):
        raise InvalidInput(f"data cut-off {cutoff} is in the future", field="cutoff",
                           hint="give a date on or before today (YYYY-MM-DD)")
    # Derived once per data change, outside any transaction (on SQLite a transaction would hold the
    # write lock through the derivation); the audit row is its own short transaction.
    results = cached_derivation(study, "results", (cutoff, analysis_set, is_locked(study)),
                                lambda: compute_study_results(study, cutoff=cutoff, analysis_set=analysis_set),
                                unread=UNANALYSED_ENTITIES)
    if audit:
        record_audit(user=user, role=role, action="export", how=how, entity="analysis_results",
                     study=study, changes=[
                         {"field": "cutoff", "old": None, "new": cutoff.isoformat()},
                         {"field": "analysis_set", "old": None, "new": results.header.analysis_set},
                         {"field": "data_status", "old": None, "new": results.header.data_status}])
    return results
