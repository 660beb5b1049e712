"""The report's figures as inline SVG, drawn by matplotlib (Agg-free: a bare `Figure` saved as
SVG, never pyplot's global state): KMG01 Kaplan–Meier with censor marks, median lines and numbers
at risk; cumulative incidence of local progression; waterfall coloured by best overall response;
swimmer; spider coloured by arm; and the CONSORT flow diagram (consort.py).

Output is deterministic: a fixed `svg.hashsalt` and no date in the metadata, so the same results
give the same bytes. Text is drawn as paths, so the SVG needs no font where it is shown; Chinese
labels come from Noto Sans CJK SC (Debian's fonts-noto-cjk) when it is installed.
"""

from __future__ import annotations

import io
import re
from collections.abc import Callable, Sequence
from contextlib import contextmanager
from functools import lru_cache

import matplotlib
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch

ARM_COLOURS = ("#1f5fa8", "#d9661f", "#2e8b57", "#8b3a8b")
POOLED_COLOUR = "#555555"
BOR_COLOURS = {"CR": "#1b7837", "PR": "#5aae61", "SD": "#f1b531", "NON-CR/NON-PD": "#c7b38a",
               "PD": "#c0392b", "NE": "#8c8c8c", "NO_ASSESSMENT": "#bdbdbd"}
CJK_FONT = "Noto Sans CJK SC"
SALT = "oncotrial-report"


@lru_cache(maxsize=1)
def font_families() -> tuple[str, ...]:
    """DejaVu Sans, with Noto Sans CJK SC as the fallback for Chinese glyphs when installed."""
    from matplotlib import font_manager

    names = {f.name for f in font_manager.fontManager.ttflist}
    return ("DejaVu Sans", CJK_FONT) if CJK_FONT in names else ("DejaVu Sans",)


@contextmanager
def figure_style():
    """The report's matplotlib settings (deterministic SVG, fonts with the CJK fallback)."""
    with matplotlib.rc_context({"svg.hashsalt": SALT, "svg.fonttype": "none",
                                "font.family": list(font_families()), "font.size": 9,
                                "axes.spines.top": False, "axes.spines.right": False}):
        yield


def to_svg(figure: Figure, name: str) -> str:
    """The figure as an `<svg>` element for inlining: no XML prolog, ids prefixed with `name` so
    several figures can share one HTML document."""
    buffer = io.StringIO()
    figure.savefig(buffer, format="svg", metadata={"Date": None}, bbox_inches="tight")
    text = buffer.getvalue()
    text = text[text.index("<svg"):]
    text = re.sub(r'id="([^"]+)"', rf'id="{name}-\1"', text)
    text = re.sub(r'(href|xlink:href)="#([^"]+)"', rf'\1="#{name}-\2"', text)
    text = re.sub(r"url\(#([^)]+)\)", rf"url(#{name}-\1)", text)
    return text.replace("<svg ", f'<svg role="img" aria-label="{name}" class="plot" ', 1)


def arm_colour(arms: Sequence[str], arm: str) -> str:
    """The arm's colour (the order of `arms`); grey for the pooled view."""
    return ARM_COLOURS[list(arms).index(arm) % len(ARM_COLOURS)] if arm in arms else POOLED_COLOUR


def _step(times, values, start: float):
    return [0.0, *times], [start, *values]


def _km_arm(ax, column, colour: str, label: str, t: Callable) -> None:
    curve = column.curve
    surv = [s if s is not None else float("nan") for s in curve.surv]
    ax.step(*_step(curve.time, surv, 1.0), where="post", color=colour, label=label, linewidth=1.4)
    marks = [(time, s) for time, s, c in zip(curve.time, surv, curve.n_censor, strict=True) if c > 0]
    if marks:
        ax.plot(*zip(*marks, strict=True), linestyle="none", marker="+", markersize=7, color=colour)
    median = column.median.estimate
    if median is not None:
        ax.plot([0, median, median], [0.5, 0.5, 0], linestyle=":", color=colour, linewidth=1)


def plot_km(summary, names: dict[str, str], arms: Sequence[str], t: Callable) -> str | None:
    """KMG01 for one TTET01 summary: a step curve per arm with + censor marks, dotted median
    lines, and the numbers at risk under the plot. None when nothing can be drawn."""
    if not summary.arms:
        return None
    with figure_style():
        figure = Figure(figsize=(7.2, 4.9))
        # the gap leaves the x-axis label and the "at risk" title each a line of their own
        grid = figure.add_gridspec(2, 1, height_ratios=(4, 0.3 + 0.32 * len(summary.arms)), hspace=0.62)
        ax, table = figure.add_subplot(grid[0]), figure.add_subplot(grid[1])
        for column in summary.arms:
            _km_arm(ax, column, arm_colour(arms, column.arm), names.get(column.arm, column.arm), t)
        ax.set_ylim(0, 1.03)
        ax.set_ylabel(t("survival_probability"))
        ax.set_xlabel(t("months"))
        ax.legend(handles=[*ax.get_legend_handles_labels()[0], _mark_handle(t), _median_handle(t)],
                  loc="lower left", bbox_to_anchor=(0, 1.0), ncol=2, frameon=False, fontsize=8)
        _risk_table(table, ax, summary.arms, names, arms, t)
        return to_svg(figure, f"km-{summary.endpoint.lower()}")


def _mark_handle(t):
    return Line2D([], [], linestyle="none", marker="+", color="#333333", label=t("censor_mark"))


def _median_handle(t):
    return Line2D([], [], linestyle=":", color="#333333", label=t("median_line"))


def _risk_table(table, ax, columns, names, arms, t) -> None:
    grid = columns[0].curve.risk_table
    ax.set_xlim(0, max(grid[-1][0], max((c.curve.time[-1] for c in columns if c.curve.time), default=1)) * 1.02
                if grid else None)
    table.set_xlim(ax.get_xlim())
    table.set_ylim(-0.5, len(columns) - 0.5)
    for row, column in enumerate(columns):
        y = len(columns) - 1 - row
        for time, n in column.curve.risk_table:
            table.text(time, y, str(n), ha="center", va="center", fontsize=8,
                       color=arm_colour(arms, column.arm))
    table.set_yticks(range(len(columns)))
    # arm ids, not names: the names are in the legend and too long for the table's margin
    table.set_yticklabels([c.arm for c in reversed(columns)], fontsize=8)
    table.set_xticks([time for time, _ in grid])
    table.tick_params(axis="x", labelbottom=False, length=0)
    table.tick_params(axis="y", length=0, pad=12)
    for side in ("left", "bottom"):
        table.spines[side].set_visible(False)
    table.set_title(t("at_risk"), loc="left", fontsize=8)


def plot_cumulative_incidence(summary, names: dict[str, str], arms: Sequence[str], t: Callable) -> str | None:
    """Cumulative incidence of local progression by arm (death competing); None without data."""
    columns = [c for c in summary.arms if c.time]
    if not columns:
        return None
    with figure_style():
        figure = Figure(figsize=(7.2, 3.4))
        ax = figure.add_subplot()
        for column in columns:
            ax.step(*_step(column.time, column.estimate, 0.0), where="post",
                    color=arm_colour(arms, column.arm), label=names.get(column.arm, column.arm))
        top = max(max(c.estimate) for c in columns)
        ax.set_ylim(0, min(1.0, max(0.2, top * 1.3)))
        ax.set_xlabel(t("months"))
        ax.set_ylabel(t("cumulative_incidence"))
        ax.legend(loc="upper left", frameon=False, fontsize=8)
        return to_svg(figure, "cuminc-local")


def plot_waterfall(bars, t: Callable, term: Callable) -> str | None:
    """One bar per subject, best % change from worst to best, coloured by BOR; dashed lines at
    +20 % and −30 % (RECIST 1.1 thresholds)."""
    if not bars:
        return None
    with figure_style():
        figure = Figure(figsize=(7.2, 3.4))
        ax = figure.add_subplot()
        values = [b.best_percent_change for b in bars]
        ax.bar(range(len(bars)), values, color=[BOR_COLOURS.get(b.bor, "#999999") for b in bars], width=0.8)
        for level in (20, -30):
            ax.axhline(level, linestyle="--", color="#777777", linewidth=0.8)
        ax.axhline(0, color="#333333", linewidth=0.8)
        ax.set_xticks([])
        ax.set_xlabel(t("subjects_axis"))
        ax.set_ylabel(t("best_change"))
        seen = list(dict.fromkeys(b.bor for b in bars))
        ax.legend(handles=[Patch(color=BOR_COLOURS.get(b, "#999999"), label=term(b)) for b in seen],
                  loc="upper right", frameon=False, fontsize=8, ncol=min(len(seen), 4))
        return to_svg(figure, "waterfall")


def plot_swimmer(lanes, arms: Sequence[str], by_arm: bool, t: Callable) -> str | None:
    """A lane per subject: follow-up (thin), time on treatment (thick, arm colour), first
    response (triangle), progression (cross), death (square), arrow while treatment goes on."""
    if not lanes:
        return None
    with figure_style():
        figure = Figure(figsize=(7.2, min(9.0, 1.2 + 0.11 * len(lanes))))
        ax = figure.add_subplot()
        ordered = list(reversed(lanes))
        ys = range(len(ordered))
        # one call per layer, not per lane: a lane by lane draw costs a second on 80 subjects
        ax.barh(ys, [lane.follow_up_months or 0.0 for lane in ordered], height=0.25, color="#d0d0d0")
        ax.barh(ys, [lane.treatment_months or 0.0 for lane in ordered], height=0.7,
                color=[arm_colour(arms, lane.arm) if by_arm else POOLED_COLOUR for lane in ordered])
        _swimmer_marks(ax, ordered)
        ax.set_yticks([])
        ax.set_ylim(-1, len(lanes))
        ax.set_xlabel(t("months"))
        ax.set_ylabel(t("subjects_axis"))
        treated = [Patch(color=arm_colour(arms, a), label=f"{t('on_treatment')}: {a}") for a in arms] if by_arm \
            else [Patch(color=POOLED_COLOUR, label=t("on_treatment"))]
        ax.legend(handles=treated + _swimmer_legend(t), loc="lower right", frameon=False, fontsize=7)
        return to_svg(figure, "swimmer")


def _swimmer_marks(ax, lanes) -> None:
    for field, marker, colour in (("response_months", "^", "#1b7837"), ("progression_months", "x", "#c0392b"),
                                  ("death_months", "s", "#000000")):
        points = [(getattr(lane, field), y) for y, lane in enumerate(lanes) if getattr(lane, field) is not None]
        if points:
            ax.plot(*zip(*points, strict=True), marker=marker, color=colour, markersize=4, linestyle="none")
    ongoing = [(lane.treatment_months + 0.2, y) for y, lane in enumerate(lanes)
               if lane.on_treatment and lane.treatment_months is not None]
    if ongoing:
        ax.plot(*zip(*ongoing, strict=True), marker=">", color="#333333", markersize=3, linestyle="none")


def _swimmer_legend(t):
    def mark(marker, colour, key):
        return Line2D([], [], marker=marker, color=colour, linestyle="none", label=t(key))

    return [Patch(color="#d0d0d0", label=t("follow_up")),
            mark("^", "#1b7837", "first_response"), mark("x", "#c0392b", "progression"),
            mark("s", "#000000", "death"), mark(">", "#333333", "treatment_ongoing")]


def plot_spider(lines, names: dict[str, str], arms: Sequence[str], by_arm: bool, t: Callable) -> str | None:
    """% change of the target sum over months per subject, coloured by arm (grey when pooled),
    with the +20 % and −30 % thresholds; both axes labelled."""
    if not lines:
        return None
    with figure_style():
        figure = Figure(figsize=(7.2, 3.8))
        ax = figure.add_subplot()
        for line in lines:
            colour = arm_colour(arms, line.arm) if by_arm else POOLED_COLOUR
            ax.plot([p.months for p in line.points], [p.percent_change for p in line.points],
                    color=colour, linewidth=0.9, marker="o", markersize=2, alpha=0.8)
        for level in (20, -30):
            ax.axhline(level, linestyle="--", color="#777777", linewidth=0.8)
        ax.set_xlabel(t("months"))
        ax.set_ylabel(t("change"))
        if by_arm:
            shown = list(dict.fromkeys(line.arm for line in lines))
            ax.legend(handles=[Line2D([], [], color=arm_colour(arms, a), label=names.get(a, a)) for a in shown],
                      loc="upper right", frameon=False, fontsize=8)
        return to_svg(figure, "spider")
