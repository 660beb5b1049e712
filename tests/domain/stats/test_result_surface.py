"""Every result has the uniform surface: frozen, ``summary()`` text, JSON-ready ``to_dict()``,
a ``warnings`` tuple and an ``estimate``."""

from __future__ import annotations

import dataclasses
import json

import numpy as np
import pytest

from oncotrial.domain.stats import (
    binomial_test,
    estimate_aalen_johansen,
    estimate_cox,
    estimate_cuminc,
    estimate_km,
    estimate_proportion,
    estimate_proportion_difference,
    fisher_test,
    logrank_test,
    proportional_hazards_test,
)

RNG = np.random.default_rng(99)
TIME = np.ceil(RNG.exponential(10, 60))
EVENT = (RNG.random(60) < 0.7).astype(int)
CAUSE = EVENT * RNG.integers(1, 3, 60)
GROUP = np.repeat(["control", "sbrt"], 30)
AGE = RNG.uniform(40, 80, 60)

RESULTS = {
    "km": lambda: estimate_km(TIME, EVENT, GROUP, landmarks=[12], tau=20),
    "km curve": lambda: estimate_km(TIME, EVENT).curves[0],
    "quantile": lambda: estimate_km(TIME, EVENT).curves[0].median,
    "landmark": lambda: estimate_km(TIME, EVENT).curves[0].survival_at([12])[0],
    "rmst": lambda: estimate_km(TIME, EVENT).curves[0].rmst(20),
    "logrank": lambda: logrank_test(TIME, EVENT, GROUP),
    "cox": lambda: estimate_cox(TIME, EVENT, GROUP, {"age": AGE},
                                check_proportional_hazards=True),
    "zph": lambda: proportional_hazards_test(TIME, EVENT, GROUP, {"age": AGE}),
    "cuminc": lambda: estimate_cuminc(TIME, CAUSE, GROUP),
    "aalen-johansen": lambda: estimate_aalen_johansen(TIME, CAUSE)[0],
    "proportion": lambda: estimate_proportion(12, 43),
    "binomial": lambda: binomial_test(12, 43, 0.2),
    "difference": lambda: estimate_proportion_difference(12, 40, 6, 40),
    "fisher": lambda: fisher_test(12, 40, 6, 40),
}


@pytest.mark.parametrize("name", sorted(RESULTS))
def test_every_result_has_the_uniform_surface(name):
    result = RESULTS[name]()
    assert dataclasses.is_dataclass(result)
    with pytest.raises(dataclasses.FrozenInstanceError):
        result.warnings = ("changed",)
    assert isinstance(result.warnings, tuple)
    text = result.summary()
    assert isinstance(text, str) and len(text.splitlines()) >= 2
    json.dumps(result.to_dict(), allow_nan=False)
    assert hasattr(result, "estimate")
