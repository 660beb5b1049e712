"""The batched kernel (oncotrial.domain.stats.batched) equals the single-dataset statistics.

Each row of a batch is checked against ``logrank_test`` (R ``survdiff``), ``estimate_cox`` with
Breslow ties (R ``coxph(ties = "breslow")``) and ``estimate_km`` (R ``survfit``), which the
statistics module proves against R; ties, censoring and not-yet-enrolled subjects included.
"""

from __future__ import annotations

import numpy as np
import pytest

from oncotrial.domain.stats import estimate_cox, estimate_km, logrank_test
from oncotrial.domain.stats.batched import (
    estimate_km_batched,
    logrank_test_batched,
    sort_survival_rows,
)


def make_batch(seed: int, ties: bool, trials: int = 6, subjects: int = 40):
    rng = np.random.default_rng(seed)
    time = rng.exponential(10.0, (trials, subjects)) + 0.1
    if ties:
        time = np.ceil(time / 2.0) * 2.0  # scans every 2 months make tied times
    event = rng.random((trials, subjects)) < 0.7
    treated = rng.random((trials, subjects)) < 0.5
    enrolled = rng.random((trials, subjects)) < 0.9
    return time, event, treated, enrolled


@pytest.mark.parametrize("ties", [True, False])
def test_logrank_rows_equal_logrank_test(ties):
    time, event, treated, enrolled = make_batch(11, ties)
    batch = logrank_test_batched(time, event, treated, enrolled, ties=True)
    for i in range(time.shape[0]):
        m = enrolled[i]
        ref = logrank_test(time[i][m], event[i][m].astype(int), treated[i][m].astype(int),
                           group_levels=[0, 1])
        assert batch.observed_minus_expected[i] == pytest.approx(
            ref.observed[1] - ref.expected[1], rel=1e-5, abs=1e-5)
        assert batch.variance[i] == pytest.approx(ref.variance[1, 1], rel=1e-5)
        assert batch.z[i] ** 2 == pytest.approx(ref.statistic, rel=1e-4)


def test_continuous_fast_path_equals_tie_aware_path_without_ties():
    time, event, treated, enrolled = make_batch(5, ties=False)
    exact = logrank_test_batched(time, event, treated, enrolled, ties=True)
    fast = logrank_test_batched(time, event, treated, enrolled, ties=False)
    np.testing.assert_allclose(fast.z, exact.z, rtol=1e-5)


def test_cox_newton_steps_converge_to_breslow_cox():
    time, event, treated, enrolled = make_batch(3, ties=True)
    batch = logrank_test_batched(time, event, treated, enrolled, newton_steps=8)
    for i in range(time.shape[0]):
        m = enrolled[i]
        cox = estimate_cox(time[i][m], event[i][m].astype(int), treated[i][m].astype(int),
                           ties="breslow")
        assert batch.log_hazard_ratio[i] == pytest.approx(float(np.ravel(cox.coef)[0]), abs=1e-4)


@pytest.mark.parametrize("group", ["all", "treated", "control"])
def test_km_median_and_landmark_equal_estimate_km(group):
    time, event, treated, enrolled = make_batch(7, ties=True, subjects=60)
    data = sort_survival_rows(time, event, treated, enrolled)
    km = estimate_km_batched(data, group=group, landmark=9.0)
    for i in range(time.shape[0]):
        m = enrolled[i] & {"all": True, "treated": treated[i], "control": ~treated[i]}[group]
        curve = estimate_km(time[i][m], event[i][m].astype(int)).curves[0]
        at = curve.survival_at([9.0])[0]
        assert km.landmark_survival[i] == pytest.approx(at.estimate, abs=1e-5)
        assert np.sqrt(km.landmark_variance[i]) == pytest.approx(at.se, rel=1e-4)
        median = curve.median.estimate
        if np.isnan(median):
            assert np.isnan(km.median[i])
        else:
            # R takes the midpoint where S is exactly 0.5 over an interval; then we give its start.
            assert km.median[i] == pytest.approx(median, abs=1e-4) or \
                km.median[i] < median


def test_tie_groups_without_ufunc_accumulate_agree():
    # The GPU fallback (scatter/gather) must give the same group bounds as the running max/min.
    from oncotrial.domain.stats.batched import (
        _group_bounds_by_accumulate,
        _group_bounds_by_scatter,
    )

    rng = np.random.default_rng(17)
    time = np.sort(np.ceil(rng.exponential(5.0, (50, 30))), axis=1)
    new = np.ones(time.shape, dtype=bool)
    new[:, 1:] = time[:, 1:] != time[:, :-1]
    for ours, reference in zip(_group_bounds_by_scatter(new, np),
                               _group_bounds_by_accumulate(new, np), strict=True):
        np.testing.assert_array_equal(ours, reference)
