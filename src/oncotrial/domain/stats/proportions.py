"""Response rates: one-sample intervals and tests, two-sample differences and 2x2 tests.

- Clopper-Pearson exact interval: Beta(a/2; x, n-x+1) to Beta(1-a/2; x+1, n-x) quantiles
  (Clopper & Pearson 1934, Biometrika 26:404), R ``binom.test``.
- Wilson score interval, with Yates' correction min(0.5, |x - n/2|) when asked (Wilson 1927;
  Newcombe 1998, Stat Med 17:857, methods 3-4), R ``prop.test``.
- Exact binomial test; two-sided p sums outcomes no more likely than the observed one, with R's
  relative tolerance 1 + 1e-7 (R ``binom.test``; scipy ``binomtest`` implements the same rule).
- Difference of proportions: Wald (optionally continuity-corrected, R ``prop.test`` two-sample)
  or Newcombe's hybrid score interval (Newcombe 1998, Stat Med 17:873, method 10).
- Fisher's exact test with the conditional maximum-likelihood odds ratio and its exact interval
  (R ``fisher.test``; Agresti 2013, Categorical Data Analysis, section 3.5.7, p. 93), Pearson's
  chi-square (R ``chisq.test``).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from scipy.stats import beta, binomtest, chi2
from scipy.stats import fisher_exact as scipy_fisher_exact

from oncotrial.errors import InvalidInput

from ._fisher import conditional_odds_ratio
from ._kernels import z_value
from ._result import StatResult

METHODS = ("clopper-pearson", "wilson", "wilson-cc")
ALTERNATIVES = ("two-sided", "greater", "less")


def check_count(x, n, field: str = "x") -> tuple[int, int]:
    """Validate a responder count ``x`` out of ``n`` subjects."""
    if isinstance(x, bool) or isinstance(n, bool) or int(x) != x or int(n) != n:
        raise InvalidInput(f"{field} and n must be whole numbers; got {x!r} of {n!r}", field=field)
    x, n = int(x), int(n)
    if n <= 0:
        raise InvalidInput(f"n must be positive; got {n}", field="n",
                           hint="count the evaluable subjects (the denominator)")
    if not 0 <= x <= n:
        raise InvalidInput(f"{field} = {x} is outside 0..{n}", field=field,
                           hint="the number of responders cannot exceed the number evaluable")
    return x, n


@dataclass(frozen=True)
class ProportionEstimate(StatResult):
    """A proportion x/n with its confidence interval."""

    x: int
    n: int
    estimate: float
    ci: tuple[float, float]
    method: str
    conf_level: float = 0.95
    warnings: tuple[str, ...] = ()

    def _summary_title(self) -> str:
        return f"Proportion ({self.method} {self.conf_level:.0%} CI)"

    def _summary_rows(self):
        return ["x", "n", "estimate", "lower", "upper"], [[self.x, self.n, self.estimate,
                                                           *self.ci]]


def clopper_pearson(x: int, n: int, conf_level: float = 0.95) -> tuple[float, float]:
    """Clopper–Pearson exact interval from beta quantiles (Clopper & Pearson, Biometrika 1934;
    R ``binom.test(x, n)$conf.int``); the bound is 0 at x = 0 and 1 at x = n."""
    alpha = 1.0 - conf_level
    lower = 0.0 if x == 0 else float(beta.ppf(alpha / 2, x, n - x + 1))
    upper = 1.0 if x == n else float(beta.ppf(1 - alpha / 2, x + 1, n - x))
    return lower, upper


def wilson(x: int, n: int, conf_level: float = 0.95, correct: bool = False):
    """R ``prop.test(x, n, correct)$conf.int`` (one sample, null p = 0.5 for the correction)."""
    z = z_value(conf_level)
    yates = min(0.5, abs(x - n * 0.5)) if correct else 0.0
    z22n = z * z / (2 * n)
    phat = x / n

    def limit(pc, sign):
        return (pc + z22n + sign * z * math.sqrt(pc * (1 - pc) / n + z22n / (2 * n))) / (
            1 + 2 * z22n)

    pc_up, pc_low = phat + yates / n, phat - yates / n
    upper = 1.0 if pc_up >= 1 else limit(pc_up, +1)
    lower = 0.0 if pc_low <= 0 else limit(pc_low, -1)
    return lower, upper


def estimate_proportion(x: int, n: int, *, method: str = "clopper-pearson",
                        conf_level: float = 0.95) -> ProportionEstimate:
    """Response rate x/n with a Clopper-Pearson (default), Wilson or Wilson-cc interval.

    Matches R ``binom.test(x, n)$conf.int`` / ``prop.test(x, n, correct = FALSE | TRUE)``.

    >>> [round(v, 6) for v in estimate_proportion(8, 80).ci]
    [0.044171, 0.187565]
    """
    x, n = check_count(x, n)
    if method not in METHODS:
        raise InvalidInput(f"method is {method!r}; allowed: {list(METHODS)}", field="method")
    ci = clopper_pearson(x, n, conf_level) if method == "clopper-pearson" else wilson(
        x, n, conf_level, correct=method == "wilson-cc")
    warnings = ("fewer than 10 subjects: the interval is wide",) if n < 10 else ()
    return ProportionEstimate(x, n, x / n, ci, method, conf_level, warnings)


@dataclass(frozen=True)
class BinomialTest(StatResult):
    """Exact test of a response rate against a null rate ``p0``."""

    x: int
    n: int
    p0: float
    alternative: str
    estimate: float
    ci: tuple[float, float]
    p_value: float
    warnings: tuple[str, ...] = ()

    def _summary_title(self) -> str:
        return f"Exact binomial test against p0 = {self.p0:g} ({self.alternative})"

    def _summary_rows(self):
        return (["x", "n", "estimate", "lower", "upper", "p"],
                [[self.x, self.n, self.estimate, *self.ci, self.p_value]])


def binomial_test(x: int, n: int, p0: float, *, alternative: str = "two-sided",
                  conf_level: float = 0.95) -> BinomialTest:
    """Exact binomial test of H0: p = p0; matches R ``binom.test(x, n, p0, alternative)``.

    The interval is Clopper-Pearson (one-sided for one-sided alternatives, as R).

    >>> round(binomial_test(24, 80, 0.2, alternative="greater").p_value, 6)
    0.021668
    """
    x, n = check_count(x, n)
    if not 0 < p0 < 1:
        raise InvalidInput(f"p0 must lie strictly between 0 and 1; got {p0}", field="p0")
    if alternative not in ALTERNATIVES:
        raise InvalidInput(f"alternative is {alternative!r}; allowed: {list(ALTERNATIVES)}",
                           field="alternative")
    result = binomtest(x, n, p0, alternative=alternative)
    ci = result.proportion_ci(confidence_level=conf_level, method="exact")
    return BinomialTest(x, n, p0, alternative, x / n, (float(ci.low), float(ci.high)),
                        float(result.pvalue))


@dataclass(frozen=True)
class ProportionDifference(StatResult):
    """Difference p1 - p2 of two proportions with its confidence interval."""

    x1: int
    n1: int
    x2: int
    n2: int
    estimate: float
    ci: tuple[float, float]
    method: str
    conf_level: float = 0.95
    warnings: tuple[str, ...] = ()

    def _summary_title(self) -> str:
        return f"Difference of proportions ({self.method} {self.conf_level:.0%} CI)"

    def _summary_rows(self):
        return (["p1", "p2", "difference", "lower", "upper"],
                [[self.x1 / self.n1, self.x2 / self.n2, self.estimate, *self.ci]])


def estimate_proportion_difference(x1: int, n1: int, x2: int, n2: int, *,
                                   method: str = "newcombe",
                                   conf_level: float = 0.95) -> ProportionDifference:
    """p1 - p2 with Newcombe's hybrid score interval (default), or 'wald' / 'wald-cc' as R
    ``prop.test(c(x1, x2), c(n1, n2), correct = FALSE | TRUE)$conf.int``.

    >>> d = estimate_proportion_difference(20, 40, 10, 40, method="wald")
    >>> round(d.estimate, 3), [round(v, 4) for v in d.ci]
    (0.25, [0.045, 0.455])
    """
    x1, n1 = check_count(x1, n1, "x1")
    x2, n2 = check_count(x2, n2, "x2")
    p1, p2 = x1 / n1, x2 / n2
    z = z_value(conf_level)
    if method in ("wald", "wald-cc"):
        yates = min(0.5, abs(p1 - p2) / (1 / n1 + 1 / n2)) if method == "wald-cc" else 0.0
        width = yates * (1 / n1 + 1 / n2) + z * math.sqrt(p1 * (1 - p1) / n1 + p2 * (1 - p2) / n2)
        ci = (max(p1 - p2 - width, -1.0), min(p1 - p2 + width, 1.0))
    elif method == "newcombe":
        l1, u1 = wilson(x1, n1, conf_level)
        l2, u2 = wilson(x2, n2, conf_level)
        ci = (p1 - p2 - math.sqrt((p1 - l1) ** 2 + (u2 - p2) ** 2),
              p1 - p2 + math.sqrt((u1 - p1) ** 2 + (p2 - l2) ** 2))
    else:
        raise InvalidInput(f"method is {method!r}; allowed: newcombe, wald, wald-cc",
                           field="method")
    return ProportionDifference(x1, n1, x2, n2, p1 - p2, ci, method, conf_level)


@dataclass(frozen=True)
class TwoByTwoTest(StatResult):
    """Fisher's exact test (conditional MLE odds ratio with exact CI) and Pearson's chi-square
    for responders x1/n1 versus x2/n2."""

    x1: int
    n1: int
    x2: int
    n2: int
    estimate: float
    ci: tuple[float, float]
    p_value: float
    chisq: float
    chisq_p_value: float
    warnings: tuple[str, ...] = ()

    def _summary_title(self) -> str:
        return "Fisher's exact test (conditional MLE odds ratio) and Pearson chi-square"

    def _summary_rows(self):
        return (["x1/n1", "x2/n2", "odds ratio", "lower", "upper", "Fisher p", "chisq",
                 "chisq p"], [[f"{self.x1}/{self.n1}", f"{self.x2}/{self.n2}", self.estimate,
                               *self.ci, self.p_value, self.chisq, self.chisq_p_value]])


def fisher_test(x1: int, n1: int, x2: int, n2: int, *, conf_level: float = 0.95) -> TwoByTwoTest:
    """Compare two response rates: R ``fisher.test(matrix(c(x1, n1-x1, x2, n2-x2), 2, byrow =
    TRUE))`` (p, conditional MLE odds ratio, CI) and ``chisq.test(..., correct = FALSE)``.

    >>> t = fisher_test(20, 40, 10, 40)
    >>> round(t.p_value, 6), round(t.estimate, 4), round(t.chisq, 4)
    (0.036835, 2.9574, 5.3333)
    """
    x1, n1 = check_count(x1, n1, "x1")
    x2, n2 = check_count(x2, n2, "x2")
    table = np.array([[x1, n1 - x1], [x2, n2 - x2]])
    p_value = float(scipy_fisher_exact(table)[1])
    estimate, lower, upper = conditional_odds_ratio(table, conf_level)
    chisq, chisq_p = pearson_chisq(table)
    expected = table.sum(1)[:, None] * table.sum(0)[None, :] / table.sum()
    warnings = ("an expected count is below 5: prefer Fisher's p to the chi-square",) \
        if np.any(expected < 5) else ()
    return TwoByTwoTest(x1, n1, x2, n2, estimate, (lower, upper), p_value, chisq, chisq_p,
                        warnings)


def pearson_chisq(table: np.ndarray) -> tuple[float, float]:
    """Pearson's chi-square without continuity correction and its p-value (R ``chisq.test``)."""
    table = np.asarray(table, dtype=float)
    expected = table.sum(1)[:, None] * table.sum(0)[None, :] / table.sum()
    with np.errstate(divide="ignore", invalid="ignore"):
        stat = float(np.nansum((table - expected) ** 2 / expected))
    df = (table.shape[0] - 1) * (table.shape[1] - 1)
    return stat, float(chi2.sf(stat, df))
