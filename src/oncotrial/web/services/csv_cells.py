"""CSV that a spreadsheet opens as data, never as formulas (OWASP "CSV injection"): a text cell that
begins with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return is prefixed with ``'``, so a
reason for change typed as ``=HYPERLINK(...)`` shows as text. Every CSV the web app writes goes
through `safe_csv_writer`."""

from __future__ import annotations

import csv
from typing import Any

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def escape_csv_cell(value: Any) -> Any:
    """`value` with a leading ``'`` when it is text a spreadsheet would evaluate; numbers, booleans
    and None pass unchanged.

    >>> escape_csv_cell('=1+1'), escape_csv_cell('-5'), escape_csv_cell(-5), escape_csv_cell('ok')
    ("'=1+1", "'-5", -5, 'ok')
    """
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


class SafeCsvWriter:
    """`csv.writer` whose rows are escaped cell by cell."""

    def __init__(self, out, **options):
        self._writer = csv.writer(out, **options)

    def writerow(self, row) -> None:
        self._writer.writerow([escape_csv_cell(cell) for cell in row])

    def writerows(self, rows) -> None:
        for row in rows:
            self.writerow(row)


def safe_csv_writer(out, **options) -> SafeCsvWriter:
    return SafeCsvWriter(out, **options)
