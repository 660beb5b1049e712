"""How the report writes numbers: one function per kind of value, so the golden tests can format a
`TrialResults` value the same way and find it in the HTML.

Percentages one decimal, rates and survival probabilities as percentages, months and hazard ratios
two decimals, test statistics two decimals, p-values four decimals (below 0.0001 as "<0.0001").
A missing value (not reached, not estimable) prints as `missing`; an estimate without confidence
limits prints once, followed by `missing_ci` ("not estimable"), never as "100.0 (NR, NR)".
"""

from __future__ import annotations

DASH = "–"


def number(value: float | None, digits: int = 2, missing: str = DASH) -> str:
    """A number to `digits` decimals.

    >>> number(1.23456), number(None)
    ('1.23', '–')
    """
    return missing if value is None else f"{value:.{digits}f}"


def percent(fraction: float | None, missing: str = DASH) -> str:
    """A proportion as a percentage with one decimal.

    >>> percent(0.4)
    '40.0'
    """
    return missing if fraction is None else f"{100.0 * fraction:.1f}"


def interval(estimate, lower, upper, digits: int = 2, missing: str = DASH, scale: str = "number",
             missing_ci: str = DASH) -> str:
    """An estimate with its 95% CI: "1.23 (0.45, 2.34)"; percentages when `scale` is "percent".
    Nothing known prints `missing` alone; an estimate whose limits are both unknown prints the
    estimate and `missing_ci`; one unknown limit (a median's upper limit not reached) prints as
    `missing`.

    >>> interval(0.5, 0.25, 0.75, scale="percent"), interval(None, None, None, missing="NR")
    ('50.0 (25.0, 75.0)', 'NR')
    >>> interval(1.0, None, None, scale="percent", missing_ci="not estimable"), interval(None, 3.1, None, missing="NR")
    ('100.0 (not estimable)', 'NR (3.10, NR)')
    """
    def one(value):
        return percent(value, missing) if scale == "percent" else number(value, digits, missing)

    if lower is None and upper is None:
        return missing if estimate is None else f"{one(estimate)} ({missing_ci})"
    return f"{one(estimate)} ({one(lower)}, {one(upper)})"


def p_value(value: float | None) -> str:
    """A p-value with four decimals, or "<0.0001".

    >>> p_value(0.0255718651016257), p_value(1e-7)
    ('0.0256', '<0.0001')
    """
    if value is None:
        return DASH
    return "<0.0001" if value < 0.0001 else f"{value:.4f}"


def count(n: int, total: int | None = None, fraction: float | None = None) -> str:
    """A count with its percentage: "12 (40.0%)"; the count alone when there is no denominator.

    >>> count(3, 4, 0.75), count(0, 0, None)
    ('3 (75.0%)', '0')
    """
    if fraction is None:
        return str(n)
    return f"{n} ({percent(fraction)}%)"


def cell(value) -> str:
    """A `CountCell` of the domain tables (n, total, percent in 0–100)."""
    if value.percent is None:
        return str(value.n)
    return f"{value.n} ({value.percent:.1f}%)"


def rate(value, missing: str = DASH) -> str:
    """A `Rate`: "x/n, % (95% CI)"; "0/0, –" without a denominator.

    >>> from oncotrial.domain.analysis.inputs import compute_rate
    >>> rate(compute_rate(12, 30)), rate(compute_rate(0, 0))
    ('12/30, 40.0 (22.7, 59.4)', '0/0, –')
    """
    shown = interval(value.estimate, value.lower, value.upper, scale="percent", missing=missing, missing_ci=missing)
    return f"{value.x}/{value.n}, {shown}"


def chi_square(value, missing: str = DASH) -> str:
    """A chi-square test: "χ² 4.98 (1), p 0.0256".

    >>> from oncotrial.domain.analysis.survival import TestResult
    >>> chi_square(TestResult("Log-rank", 4.98, 1, 0.0256))
    '4.98 (1), p 0.0256'
    """
    if value is None or value.statistic is None:
        return missing
    return f"{number(value.statistic)} ({value.df}), p {p_value(value.p_value)}"


def hazard_ratio(value, missing: str = DASH) -> str:
    """A `HazardRatio`: "0.52 (0.30, 0.90), p 0.0201"."""
    if value is None or value.estimate is None:
        return missing
    return f"{interval(value.estimate, value.lower, value.upper)}, p {p_value(value.p_value)}"
