"""Properties of derive_subject_outcomes that must hold for every trial (issue 3 acceptance).

Subjects come from the synthetic generator, seeded by hypothesis; hypothesis also draws the data
cut-off, the PFS style, the new-therapy inclusion setting and the row permutation.
"""

from __future__ import annotations

import dataclasses
from datetime import date, timedelta

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from oncotrial.domain.outcomes import batch as bt
from oncotrial.domain.outcomes.derivation_rules import DerivationOptions
from oncotrial.domain.outcomes.derive import derive_subject_outcomes
from oncotrial.domain.outcomes.records import AdverseEvent, Procedure, TreatedSiteAssessment
from oncotrial.domain.protocol.model import AssessmentSchedule, SchedulePhase
from oncotrial.protocols import load_builtin_protocol

PROTOCOL = dataclasses.replace(
    load_builtin_protocol("crlm-sbrt-sintilimab"),
    assessment_schedule=AssessmentSchedule("randomization", (SchedulePhase(56, 7),)))


def trial_records(seed: int, n_subjects: int) -> dict:
    """Records of `n_subjects` synthetic subjects, with an AE and an ablated lesion each."""
    batch = bt.simulate_tumour_batch(np.random.default_rng(seed), n_subjects)
    tables: dict[str, list] = {}
    for index in range(n_subjects):
        for name, rows in bt.derive_records_from_batch(batch, index).items():
            tables.setdefault(name, []).extend(rows)
        sid, start = batch.subject_ids[index], date.fromordinal(int(batch.start_day[index]))
        tables.setdefault("adverse_events", []).append(
            AdverseEvent(sid, "AE1", "Diarrhea", start + timedelta(days=10), 1 + index % 4))
        tables.setdefault("procedures", []).append(
            Procedure(sid, "MWA1", "MWA", start + timedelta(days=1), ("A1",)))
        tables.setdefault("site_assessments", []).append(
            TreatedSiteAssessment(sid, "A1", start + timedelta(days=35), "COMPLETE"))
    return tables


options_strategy = st.builds(
    DerivationOptions,
    data_cutoff=st.dates(date(2024, 6, 1), date(2027, 1, 1)),
    pfs_style=st.sampled_from(["FDA", "EMA"]),
    nact_assessment_inclusion=st.sampled_from(["on_or_before", "before"]),
    confirmation_required=st.booleans())


@settings(max_examples=500, derandomize=True, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), options=options_strategy)
def test_the_pfs_date_is_never_after_the_os_date(seed, options):
    result = derive_subject_outcomes(PROTOCOL, options=options, **trial_records(seed, 1))
    row = result.subjects[0]
    assert row.pfs.date <= row.os.date
    if row.pfs.is_event and row.pfs.rule_id == "DEATH":
        assert row.os.is_event and row.os.date == row.pfs.date


@settings(max_examples=500, derandomize=True, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), shuffle=st.integers(0, 2**32 - 1), options=options_strategy)
def test_permuting_input_rows_changes_nothing(seed, shuffle, options):
    tables = trial_records(seed, 3)
    rng = np.random.default_rng(shuffle)
    shuffled = {name: [rows[i] for i in rng.permutation(len(rows))] for name, rows in tables.items()}
    assert derive_subject_outcomes(PROTOCOL, options=options, **tables) == \
        derive_subject_outcomes(PROTOCOL, options=options, **shuffled)


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_the_generated_trials_are_not_trivial(seed):
    # Guards the properties: the subjects they see have events, censoring and responses.
    result = derive_subject_outcomes(PROTOCOL, options=DerivationOptions(date(2026, 3, 31)),
                                     **trial_records(seed, 40))
    assert {r.pfs.rule_id for r in result.subjects} >= {"PD", "LAST_ADEQUATE_ASSESSMENT"}
    assert {r.bor for r in result.subjects} >= {"PR", "SD", "PD"}
