"""What an export reads: one study's domain inputs and the values derived from them, bundled.

`ExportStudy` holds the protocol, the subjects' facts, the derivation's input records, the
`DerivedOutcomes` and the one `TrialResults` value the pages and reports read. Exports only rename
and lay these out (ADaM derivations are the domain's), so a page, a report and a dataset cannot
disagree. `check_exportable` refuses a study with nothing to export with a clear message.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from functools import cached_property

from oncotrial.domain.analysis.inputs import SET_KEYS, SubjectFacts
from oncotrial.domain.analysis.results import TrialResults
from oncotrial.domain.analysis.sets import AnalysisSetResult, select_analysis_set
from oncotrial.domain.outcomes.subject_outcomes import DerivedOutcomes, SubjectOutcome
from oncotrial.domain.protocol.model import Protocol
from oncotrial.errors import InvalidInput


@dataclass(frozen=True)
class SiteInfo:
    """A site as exports name it: code, name and ISO 3166 alpha-3 country."""

    code: str
    name: str = ""
    country: str = ""


@dataclass(frozen=True)
class ExportStudy:
    """One study ready to export. `tables` are the derivation's inputs by name (as the analysis
    loader gives them: lesions, assessments, measurements, doses, procedures, adverse_events, ...);
    `created` is the export time (UTC), passed in so the domain stays clock-free."""

    code: str
    protocol: Protocol
    facts: tuple[SubjectFacts, ...]
    tables: Mapping[str, Sequence]
    outcomes: DerivedOutcomes
    results: TrialResults
    created: dt.datetime
    sites: tuple[SiteInfo, ...] = ()
    source_system: str = "oncotrial"
    source_version: str = ""
    extras: Mapping[str, object] = field(default_factory=dict)

    @property
    def studyid(self) -> str:
        return self.code.upper()

    @property
    def cutoff(self) -> dt.date:
        return dt.date.fromisoformat(self.results.header.data_cutoff)

    def usubjid(self, subject_id: str) -> str:
        """STUDYID-SUBJID, unique across the sponsor's studies (spec standards.md §2.1)."""
        return f"{self.studyid}-{subject_id}"

    @cached_property
    def outcome_by_id(self) -> dict[str, SubjectOutcome]:
        return {o.subject_id: o for o in self.outcomes.subjects}

    @cached_property
    def facts_by_id(self) -> dict[str, SubjectFacts]:
        return {f.subject_id: f for f in self.facts}

    @cached_property
    def sets(self) -> dict[str, AnalysisSetResult]:
        """Every standard analysis set, selected by the domain's own rule (ADSL flags)."""
        assessed = frozenset(tp.subject_id for tp in self.outcomes.timepoints)
        return {key: select_analysis_set(self.protocol, key, self.facts, self.outcome_by_id, assessed)
                for key in SET_KEYS}

    def in_set(self, key: str, subject_id: str) -> bool:
        return subject_id in self.sets[key].subject_ids

    def records(self, name: str) -> list:
        return list(self.tables.get(name, ()))


def check_exportable(study: ExportStudy) -> None:
    """Raise InvalidInput when the study has no subject to export (a clear message, not an empty
    or invalid file)."""
    if not study.facts:
        raise InvalidInput(f"study {study.code} has no subjects to export", field="study",
                           hint="screen and enrol subjects first, or choose another study")


def arm_code(arm_id: str) -> str:
    """ARMCD (≤ 20 characters, CDISC DM): the arm id in upper case, or the initials of its parts
    when longer ("sbrt-chemo-sintilimab" → "SCS").

    >>> arm_code("chemo"), arm_code("sbrt-chemo-sintilimab")
    ('CHEMO', 'SCS')
    """
    if not arm_id:
        return ""
    code = arm_id.upper().replace(" ", "_")
    if len(code) <= 20:
        return code
    return "".join(part[0] for part in code.replace("_", "-").split("-") if part)
