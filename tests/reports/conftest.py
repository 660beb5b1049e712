"""Report tests reuse the analysis tests' hand-built cohorts (tests/domain/analysis/analysis_cohort.py)."""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "domain" / "analysis"))
