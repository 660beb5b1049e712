"""The CONSORT 2010 flow diagram (Schulz et al., BMJ 2010;340:c332, figure 1) drawn by matplotlib
from the results' `ConsortFlow`: screened, not eligible with reasons, enrolled or randomised,
then per arm allocated and treated, discontinued and withdrawn with reasons, died, and the number
analysed in each set. The DSMB open report draws one pooled column (`pool_flow`)."""

from __future__ import annotations

import textwrap
from collections import Counter
from collections.abc import Callable, Sequence

from matplotlib.figure import Figure

from oncotrial.domain.analysis.flow import ArmFlow, ConsortFlow, ReasonCount

from .messages import LABELS
from .plots import POOLED_COLOUR, arm_colour, figure_style, to_svg

LINE = 1.0  # one text line in data units; the figure is sized so a line is about 11 points
MAX_REASONS = 4


def pool_flow(flow: ConsortFlow, label: str) -> ConsortFlow:
    """The flow with its arms summed into one column named `label` (reasons summed by text)."""
    if len(flow.arms) < 2:
        return flow

    def reasons(name: str) -> tuple[ReasonCount, ...]:
        counts = Counter()
        for arm in flow.arms:
            counts.update({r.reason: r.n for r in getattr(arm, name)})
        return tuple(ReasonCount(r, n) for r, n in sorted(counts.items(), key=lambda i: (-i[1], i[0])))

    def total(name: str) -> int:
        return sum(getattr(arm, name) for arm in flow.arms)

    sets = dict.fromkeys(k for arm in flow.arms for k, _ in arm.analysed)
    analysed = tuple((k, sum(dict(arm.analysed).get(k, 0) for arm in flow.arms)) for k in sets)
    pooled = ArmFlow(label, total("allocated"), total("treated"), total("not_treated"),
                     total("discontinued_treatment"), reasons("discontinued_reasons"), total("withdrawn"),
                     reasons("withdrawn_reasons"), total("died"), analysed)
    return ConsortFlow(flow.screened, flow.not_eligible, flow.not_eligible_reasons, flow.eligibility_pending,
                       flow.eligible_not_enrolled, flow.enrolled, flow.randomized, flow.allocation, (pooled,))


def _reason_lines(reasons: Sequence[ReasonCount], width: int) -> list[str]:
    lines = []
    for r in reasons[:MAX_REASONS]:
        # the count stays visible however long the criterion's text is
        text = textwrap.shorten(r.reason, 2 * width - 8, placeholder="…")
        lines += textwrap.wrap(f"• {text} ({r.n})", width, subsequent_indent="  ")
    if len(reasons) > MAX_REASONS:
        lines.append(f"• … (+{sum(r.n for r in reasons[MAX_REASONS:])})")
    return lines


def _box(ax, x: float, top: float, lines: list[str], colour: str = "#333333") -> float:
    """A box whose top edge is at `top`; returns its bottom edge."""
    height = LINE * len(lines) + 0.8
    ax.text(x, top - height / 2, "\n".join(lines), ha="center", va="center", fontsize=8, linespacing=1.25,
            bbox={"boxstyle": "round,pad=0.45", "fc": "white", "ec": colour, "lw": 1.1})
    return top - height


def _arrow(ax, start: tuple[float, float], end: tuple[float, float]) -> None:
    ax.annotate("", xy=end, xytext=start, arrowprops={"arrowstyle": "-|>", "color": "#555555", "lw": 0.9})


def _arm_lines(arm: ArmFlow, name: str, t: Callable) -> tuple[list[str], list[str], list[str]]:
    head = [textwrap.shorten(name, 34, placeholder="…"), f"{t('consort_allocated')} n = {arm.allocated}",
            f"{t('consort_treated')} n = {arm.treated}", f"{t('consort_not_treated')} n = {arm.not_treated}"]
    middle = [f"{t('consort_discontinued')} n = {arm.discontinued_treatment}",
              *_reason_lines(arm.discontinued_reasons, 30),
              f"{t('consort_withdrawn')} n = {arm.withdrawn}", *_reason_lines(arm.withdrawn_reasons, 30),
              f"{t('consort_died')} n = {arm.died}"]
    bottom = [t("consort_analysed"), *(f"{t('set_' + k) if 'set_' + k in LABELS else k} n = {n}"
                                         for k, n in arm.analysed)]
    return head, middle, bottom


def plot_consort(flow: ConsortFlow, names: dict[str, str], arms: Sequence[str], t: Callable) -> str:
    """The diagram as inline SVG (one column per arm, or the pooled column)."""
    step = t("consort_randomised") if flow.allocation == "randomised" else t("consort_enrolled")
    allocated = flow.randomized if flow.allocation == "randomised" else flow.enrolled
    excluded = [f"{t('consort_not_eligible')} n = {flow.not_eligible}",
                *_reason_lines(flow.not_eligible_reasons, 44),
                f"{t('consort_pending')} n = {flow.eligibility_pending}",
                f"{t('consort_not_enrolled')} n = {flow.eligible_not_enrolled}"]
    columns = [_arm_lines(a, names.get(a.arm, a.arm), t) for a in flow.arms]
    tallest = [max((len(c[i]) for c in columns), default=1) for i in range(3)]
    total = 3 + len(excluded) + 2 + sum(tallest) + 4 * 3.2 + 2
    with figure_style():
        figure = Figure(figsize=(7.2, total * 11 / 72 * 1.25))
        ax = figure.add_subplot()
        ax.set_xlim(0, 1)
        ax.set_ylim(-total, 0)
        ax.axis("off")
        bottom = _box(ax, 0.3, -0.5, [f"{t('consort_screened')} n = {flow.screened}"])
        aside = _box(ax, 0.72, bottom - 0.6, excluded)
        _arrow(ax, (0.3, (bottom + aside) / 2 + 0.5), (0.5, (bottom + aside) / 2 + 0.5))
        enrolled_top = aside - 1.2
        _arrow(ax, (0.3, bottom - 0.5), (0.3, enrolled_top + 0.4))
        below = _box(ax, 0.3, enrolled_top, [f"{step} n = {allocated}"])
        end = _draw_columns(ax, flow, columns, tallest, below, arms)
        ax.set_ylim(end, 0)
        figure.set_size_inches(7.2, -end * 11 / 72 * 1.25)
        return to_svg(figure, "consort")


def _draw_columns(ax, flow: ConsortFlow, columns, tallest, top: float, arms: Sequence[str]) -> float:
    count = max(len(columns), 1)
    xs = [(i + 0.5) / count for i in range(count)]
    row_top = top - 2.0
    for x in xs:
        _arrow(ax, (0.3, top - 0.45), (x, row_top + 0.45))
    for part in range(3):
        height = LINE * tallest[part] + 0.8
        for x, arm, lines in zip(xs, flow.arms, columns, strict=True):
            colour = arm_colour(arms, arm.arm) if arm.arm in arms else POOLED_COLOUR
            _box(ax, x, row_top - (height - LINE * len(lines[part]) - 0.8) / 2, lines[part], colour)
            if part < 2:
                _arrow(ax, (x, row_top - height - 0.4), (x, row_top - height - 2.0 + 0.45))
        row_top -= height + 2.4
    return row_top + 1.6
