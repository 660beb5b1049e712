"""Results of small hand-built studies for the report tests: the full trial B cohort (responders,
AEs, local therapy absent), and the edge cases a report must survive with messages."""

from __future__ import annotations

import datetime as dt

from analysis_cohort import START, C, E, derived, facts, outcome, r_cohort, request, teaes, tte

from oncotrial.domain.analysis.results import derive_trial_results
from oncotrial.domain.outcomes.records import AdverseEvent
from oncotrial.protocols import load_builtin_protocol

TRIAL_B = load_builtin_protocol("crlm-sbrt-sintilimab")
TRIAL_A = load_builtin_protocol("crlm-mwa-camrelizumab")
A_ARM = "mwa-chemo-camrelizumab"


def adverse_events():
    day = START + dt.timedelta(days=20)
    return teaes([AdverseEvent("01-000", "1", "Diarrhoea", day, 3, soc="Gastrointestinal disorders"),
                  AdverseEvent("01-001", "2", "Pneumonitis", day, 2, soc="Respiratory disorders",
                               serious=True, immune_related=True),
                  AdverseEvent("01-006", "3", "Diarrhoea", day, 1, soc="Gastrointestinal disorders")])


def full_trial_b():
    rows, outcomes = r_cohort(bors={"01-000": "PR", "01-002": "CR", "01-006": "PR"})
    outcomes = derived(outcomes.subjects, adverse_events())
    return derive_trial_results(TRIAL_B, rows, outcomes, request())


def empty_study():
    return derive_trial_results(TRIAL_B, [], derived([]), request())


def one_arm():
    rows, outcomes = r_cohort()
    keep = {f.subject_id for f in rows if f.arm == E}
    return derive_trial_results(TRIAL_B, [f for f in rows if f.subject_id in keep],
                                derived([o for o in outcomes.subjects if o.subject_id in keep]), request())


def no_events_no_responders_no_aes():
    rows = [facts(f"01-{i:03d}", arm) for i, arm in enumerate([E, E, C, C])]
    outcomes = derived([outcome(f.subject_id, f.arm, pfs=(100, False), os=(100, False), bor="SD")
                        for f in rows])
    return derive_trial_results(TRIAL_B, rows, outcomes, request())


def single_arm_trial_a():
    rows = [facts(f"01-{i:03d}", A_ARM) for i in range(5)]
    outcomes = derived([outcome(f.subject_id, A_ARM, pfs=(60 * (i + 1), i % 2 == 0), os=(400, False),
                                bor="PR" if i < 2 else "SD") for i, f in enumerate(rows)])
    return derive_trial_results(TRIAL_A, rows, outcomes, request())


def with_local_control():
    """Trial B with local therapy in both arms: local progressions and deaths competing (the
    demo has no local progression, so this draws the cumulative incidence plot)."""
    rows = [facts(f"01-{i:03d}", E if i % 2 else C) for i in range(12)]
    outcomes = derived([outcome(f.subject_id, f.arm, pfs=(60 + 30 * i, i % 3 == 0), os=(400 + 20 * i, i % 4 == 0),
                                local=tte(f.subject_id, "LC", 50 + 40 * i, i % 3 != 0)) for i, f in enumerate(rows)])
    return derive_trial_results(TRIAL_B, rows, outcomes, request())


__all__ = ["C", "E", "empty_study", "full_trial_b", "no_events_no_responders_no_aes", "one_arm",
           "single_arm_trial_a", "with_local_control"]
