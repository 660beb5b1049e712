"""R reference numbers for the tests: tests/reference (a copy of ../shared/reference) and
tests/domain/stats/reference (made by the R scripts stored there); R 4.2.2, survival 3.5.3,
cmprsk 2.2.11."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import numpy as np

REFERENCE = Path(__file__).resolve().parents[2] / "reference"
LOCAL = Path(__file__).resolve().parent / "reference"

DATASETS = ("lung", "veteran", "ovarian")
CLOSED_FORM = 1e-8
ITERATED = 1e-6


def load_reference(name: str) -> dict:
    path = REFERENCE / "survival" / f"{name}.json"
    return json.loads(path.read_text())


def load_rates() -> dict:
    path = REFERENCE / "rates" / "response_rates.json"
    return json.loads(path.read_text())


def load_local_reference(name: str) -> dict:
    """A JSON file written by one of the R scripts in tests/domain/stats/reference."""
    return json.loads((LOCAL / f"{name}.json").read_text())


def load_data(name: str, folder: Path | None = None) -> dict[str, np.ndarray]:
    """The CSV R read, as arrays: numeric columns as float, others as str ('NA' -> None)."""
    path = (folder or REFERENCE / "survival") / f"{name}.csv"
    rows = list(csv.DictReader(path.open()))
    out = {}
    for key in rows[0]:
        values = [r[key] for r in rows]
        try:
            out[key] = np.array([np.nan if v in ("NA", "") else float(v) for v in values])
        except ValueError:
            out[key] = np.array([None if v in ("NA", "") else v for v in values], dtype=object)
    return out


def as_array(values) -> np.ndarray:
    """A JSON list with nulls (R's NA) as a float array with NaN."""
    return np.array([np.nan if v is None else v for v in values], dtype=float)


def assert_matches(actual, expected, rtol: float, what: str = "") -> None:
    """Equal to ``rtol`` relative; NaN exactly where R has NA."""
    actual = np.asarray(actual, dtype=float)
    expected = as_array(expected) if isinstance(expected, list) else np.asarray(expected, float)
    np.testing.assert_allclose(actual, expected, rtol=rtol, atol=1e-13, equal_nan=True,
                               err_msg=what)
