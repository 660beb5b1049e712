"""What the templates read: the results seen through one language and one DSMB mode.

`ReportView` holds the `TrialResults`, the translators, the arm names and whether numbers are
shown by arm. The DSMB open report (`dsmb="open"`) shows pooled numbers only: tables keep their
Total column, safety counts are summed over arms, response counts are pooled with the exact CI of
the pooled rate (the domain's `compute_rate`), and by-arm efficacy is left to the closed report.
A single-arm trial has nothing to hide, so its open report equals the closed one.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cached_property

from oncotrial.domain.analysis.flow import CountCell, count_cell
from oncotrial.domain.analysis.inputs import compute_rate
from oncotrial.domain.analysis.results import TrialResults
from oncotrial.errors import InvalidInput

from . import format as fmt
from .messages import term_translator, translator
from .notes import population, say_warning, set_name

DSMB_MODES = (None, "open", "closed")
COMPARATIVE = re.compile(r"log-rank|cox|hazard|gray|between-arm|comparison", re.IGNORECASE)


@dataclass(frozen=True)
class PooledResponse:
    """RSPT01 pooled over arms (DSMB open report)."""

    n: int
    bor_counts: tuple[tuple[str, int], ...]
    orr: object
    dcr: object


class ReportView:
    """The results as one report shows them (module text)."""

    def __init__(self, results: TrialResults, lang: str = "en", dsmb: str | None = None):
        if dsmb not in DSMB_MODES:
            raise InvalidInput(f"DSMB mode {dsmb!r} is not known; allowed: open, closed", field="dsmb",
                               hint="open (pooled) or closed (by arm)")
        self.results, self.lang, self.dsmb = results, lang, dsmb
        self.t, self.term, self.fmt = translator(lang), term_translator(lang), fmt
        self.names = {a.id: a.name for a in results.arms}
        self.arm_ids = tuple(a.id for a in results.arms)
        self.by_arm = dsmb != "open" or len(results.arms) < 2

    @property
    def html_lang(self) -> str:
        """The document's BCP 47 language tag."""
        return "zh-Hans" if self.lang == "zh-hans" else "en"

    def column_label(self, column: str) -> str:
        """An arm's name (Total translated) for a table heading."""
        return self.t("total") if column == "Total" else self.names.get(column, column)

    def visible(self, table) -> list[int]:
        """Indexes of a `SummaryTable`'s columns to print: all, or the Total column when pooled."""
        if self.by_arm or "Total" not in table.columns:
            return list(range(len(table.columns)))
        return [table.columns.index("Total")]

    def cells(self, cells) -> list[CountCell]:
        """An arm-by-arm row of counts as printed: per arm, or summed over arms when pooled."""
        if self.by_arm:
            return list(cells)
        return [count_cell(sum(c.n for c in cells), sum(c.total for c in cells))]

    def safety_columns(self) -> list[str]:
        """Column headings of the safety tables."""
        safety = self.results.safety
        if self.by_arm:
            return [f"{self.column_label(a)} (N = {n})" for a, n in zip(safety.arms, safety.n_by_arm, strict=True)]
        return [f"{self.t('pooled')} (N = {sum(safety.n_by_arm)})"]

    @cached_property
    def pooled_response(self) -> PooledResponse:
        """RSPT01 summed over arms, ORR and DCR with their exact CIs."""
        arms = self.results.response.arms
        counts = {}
        for column in arms:
            for bor, n in column.bor_counts:
                counts[bor] = counts.get(bor, 0) + n
        n = sum(c.n for c in arms)
        return PooledResponse(n, tuple(counts.items()), compute_rate(sum(c.orr.x for c in arms), n),
                              compute_rate(sum(c.dcr.x for c in arms), n))

    @cached_property
    def warnings(self) -> tuple[list[str], int]:
        """The warnings to print and how many were withheld (open report: comparisons withheld,
        arm ids replaced by "one arm"), in the report's language."""
        if self.by_arm:
            return [self.say(w) for w in self.results.warnings], 0
        shown, withheld = [], 0
        for warning in self.results.warnings:
            if COMPARATIVE.search(warning):
                withheld += 1
                continue
            text = self.say(warning)
            for arm in sorted(self.arm_ids, key=len, reverse=True):
                text = text.replace(arm, self.t("one_arm"))
            shown.append(text)
        return shown, withheld

    def section_warnings(self, warnings) -> list[str]:
        """A section's own warnings beside its table (the open report prints them only in the
        filtered list at the top)."""
        return [self.say(w) for w in warnings] if self.by_arm else []

    def interval(self, estimate, lower, upper, scale: str = "number", median: bool = False) -> str:
        """An estimate with its CI as the report prints it: a median not reached is "NR", any
        other missing estimate "not estimable", missing limits "CI not estimable" (translated)."""
        missing = self.t("not_reached") if median else self.t("not_estimable")
        return fmt.interval(estimate, lower, upper, scale=scale, missing=missing,
                            missing_ci=self.t("ci_not_estimable"))

    def rate(self, value) -> str:
        """A `Rate` as the report prints it ("x/n, % (95% CI)")."""
        return fmt.rate(value, self.t("not_estimable"))

    def say(self, warning: str) -> str:
        """A domain warning in the report's language (translated by its code)."""
        return say_warning(warning, self.lang)

    def population(self, text: str) -> str:
        """A population label ("Intention-to-treat set (N = 51)") in the report's language."""
        return population(text, self.lang)

    def set_name(self, name: str) -> str:
        """An analysis set's name in the report's language."""
        return set_name(name, self.lang)
