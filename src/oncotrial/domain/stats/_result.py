"""The uniform surface every statistical result shares: ``to_dict()``, ``summary()``, warnings.

Results are frozen dataclasses.  Each defines ``_summary_title`` and ``_summary_rows`` (a header and
rows of cells); this module turns them into a readable text table, and turns any result into plain
JSON-ready Python (NaN becomes ``None``, arrays become lists) for reports and the web API.
"""

from __future__ import annotations

import dataclasses
import math

import numpy as np
from scipy.stats import chi2


def plain(value):
    """JSON-ready Python for a result field: NaN -> None, arrays -> lists, results -> dicts."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return value.to_dict() if hasattr(value, "to_dict") else dataclasses.asdict(value)
    if isinstance(value, np.ndarray):
        return [plain(v) for v in value.tolist()]
    if isinstance(value, (list, tuple)):
        return [plain(v) for v in value]
    if isinstance(value, dict):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def cell(value, digits: int = 4) -> str:
    """One table cell: numbers to ``digits`` significant figures, NaN as 'NA' (R's spelling)."""
    if value is None:
        return "NA"
    if isinstance(value, (float, np.floating)):
        if not math.isfinite(value):
            return "NA" if math.isnan(value) else ("Inf" if value > 0 else "-Inf")
        if value != 0 and (abs(value) < 1e-3 or abs(value) >= 1e6):
            return f"{value:.{digits - 1}e}"
        return f"{value:.{digits}g}"
    return str(value)


def format_table(title: str, header: list[str], rows: list[list], warnings=()) -> str:
    """A fixed-width text table with a title line and any warnings underneath."""
    cells = [[cell(v) for v in row] for row in rows]
    widths = [max(len(h), *(len(r[i]) for r in cells)) if cells else len(h)
              for i, h in enumerate(header)]
    lines = [title, "  ".join(h.rjust(w) for h, w in zip(header, widths, strict=True))]
    lines += ["  ".join(c.rjust(w) for c, w in zip(r, widths, strict=True)) for r in cells]
    lines += [f"Warning: {w}" for w in warnings]
    return "\n".join(lines)


class StatResult:
    """Mixin for frozen result dataclasses: ``to_dict()`` and ``summary()``."""

    warnings: tuple[str, ...] = ()

    def to_dict(self) -> dict:
        """Every field as plain Python (NaN -> None), ready for JSON."""
        return {f.name: plain(getattr(self, f.name)) for f in dataclasses.fields(self)}

    def summary(self) -> str:
        """A readable text table of the main numbers, with the result's warnings."""
        header, rows = self._summary_rows()
        return format_table(self._summary_title(), header, rows, self.warnings)

    def _summary_title(self) -> str:
        return type(self).__name__

    def _summary_rows(self) -> tuple[list[str], list[list]]:
        raise TypeError(f"{type(self).__name__} defines no summary rows")


@dataclasses.dataclass(frozen=True)
class ChiSquareTest(StatResult):
    """A chi-square test statistic with its degrees of freedom and p-value."""

    name: str
    statistic: float
    df: int
    p_value: float
    warnings: tuple[str, ...] = ()

    def _summary_title(self) -> str:
        return f"{self.name} test"

    def _summary_rows(self):
        return ["statistic", "df", "p"], [[self.statistic, self.df, self.p_value]]


def chi_square_test(name: str, statistic: float, df: int) -> ChiSquareTest:
    """A chi-square test result with its upper-tail p-value, ``P(X > statistic)`` for ``df`` degrees."""
    return ChiSquareTest(name, float(statistic), int(df), float(chi2.sf(statistic, df)))
