"""RECIST 1.1 baseline: choice of the baseline assessment, measurability, target selection.

Spec endpoints.md §1.1 (measurability by method), §1.2 (timing, caps, organ rules, validation,
suggested selection), §1.14.1 (locally treated lesions are never targets); RECIST 1.1 §3 and §4.2,
the RECIST working group's organ clarifications, Schwartz et al. 2009 for lymph nodes.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from oncotrial.domain.tumour.checks import CheckedRecords
from oncotrial.domain.tumour.lesions import (
    Assessment,
    DataQualityFlag,
    Lesion,
    LesionKind,
    LesionRole,
    Method,
)
from oncotrial.domain.tumour.rules import DEFAULT_RECIST_RULES, RecistRules

MAX_TARGETS = 5
MAX_TARGETS_PER_ORGAN = 2
NODE_TARGET_MIN_MM = Decimal(15)
NODE_PATHOLOGICAL_MM = Decimal(10)
_CROSS_SECTIONAL = frozenset({Method.CT, Method.MRI, Method.PET_CT})
_MINIMUM_BY_METHOD = {Method.CALIPER: Decimal(10), Method.XRAY: Decimal(20)}
# Paired or multi-part organs count as one organ (RECIST working group); all nodes are one organ.
_PAIRED_ORGANS = ("lung", "kidney", "ovary", "ovaries")
LYMPH_NODE_ORGAN = "lymph node"


@dataclass(frozen=True)
class BaselineLesion:
    """One baseline lesion as classified: size, measurability (with the reason) and role."""

    lesion_id: str
    organ_group: str
    size: Decimal | None
    is_measurable: bool
    measurability: str
    is_target: bool
    is_followed: bool
    lesion: Lesion


@dataclass(frozen=True)
class Baseline:
    """A subject's baseline (spec §1.2): the assessment used, each lesion's class, the targets
    (the reader's choice, or the engine's suggestion when the reader chose none), the baseline sum
    and whether CEA is a marker of interest (above ULN at baseline, §1.6)."""

    subject_id: str
    assessment: Assessment | None
    lesions: tuple[BaselineLesion, ...]
    target_ids: tuple[str, ...]
    non_target_ids: tuple[str, ...]
    suggested_target_ids: tuple[str, ...]
    baseline_sum: Decimal | None
    has_measurable_disease: bool
    cea_is_marker: bool
    flags: tuple[DataQualityFlag, ...]

    @property
    def date(self) -> date | None:
        """Date of the baseline assessment used."""
        return self.assessment.date if self.assessment else None

    @property
    def measurable_ids(self) -> tuple[str, ...]:
        """Lesions measurable at baseline (spec §1.1)."""
        return tuple(item.lesion_id for item in self.lesions if item.is_measurable)

    @property
    def non_measurable_ids(self) -> tuple[str, ...]:
        """Lesions not measurable at baseline, including locally treated ones."""
        return tuple(item.lesion_id for item in self.lesions if not item.is_measurable)

    def lesion(self, lesion_id: str) -> BaselineLesion:
        """The classified baseline lesion with this id."""
        return next(item for item in self.lesions if item.lesion_id == lesion_id)


def compute_organ_group(lesion: Lesion) -> str:
    """The organ a lesion counts against for the 2-per-organ cap (spec §1.2.3): all lymph nodes are
    one organ; paired organs (lungs, kidneys, ovaries) are one organ whatever the side.

    >>> compute_organ_group(Lesion("s", "P1", "Left lung"))
    'lung'
    """
    if lesion.is_lymph_node:
        return LYMPH_NODE_ORGAN
    organ = lesion.organ.strip().lower()
    for paired in _PAIRED_ORGANS:
        if paired in organ:
            return "ovary" if paired == "ovaries" else paired
    return organ


def classify_measurability(lesion: Lesion, size: Decimal | None) -> tuple[bool, str]:
    """Whether a baseline lesion is measurable, and why (spec §1.1, §1.14.1; RECIST 1.1 §3.1).

    Non-nodal: LD >= 10 mm on CT/MRI with slices <= 5 mm (2 x slice thickness when thicker),
    >= 10 mm by calipers, >= 20 mm on chest X-ray; never by ultrasound, endoscopy or PET alone.
    Nodes: SA >= 15 mm measurable, 10 to < 15 pathological but non-measurable, < 10 normal.
    Blastic bone lesions, truly non-measurable disease and lesions planned for or treated by
    ablation/SBRT are non-measurable.

    >>> classify_measurability(Lesion("s", "N2", "node", is_lymph_node=True), Decimal(12))
    (False, 'pathological node, SA 10 to <15 mm: non-target only')
    """
    if lesion.is_locally_treated:
        return False, f"locally treated ({lesion.treated_by}): never a target"
    if lesion.kind in (LesionKind.BLASTIC_BONE, LesionKind.NON_MEASURABLE):
        return False, f"{lesion.kind.replace('_', ' ')}: non-measurable"
    if lesion.method not in _CROSS_SECTIONAL and lesion.method not in _MINIMUM_BY_METHOD:
        return False, f"method {lesion.method} cannot measure lesions"
    if size is None:
        return False, "no baseline size"
    if lesion.is_lymph_node:
        if size >= NODE_TARGET_MIN_MM:
            return True, "pathological node, SA >= 15 mm"
        if size >= NODE_PATHOLOGICAL_MM:
            return False, "pathological node, SA 10 to <15 mm: non-target only"
        return False, "normal node, SA < 10 mm: not a lesion"
    minimum = _minimum_ld(lesion)
    if size >= minimum:
        return True, f"LD >= {minimum} mm"
    return False, f"LD below {minimum} mm"


def _minimum_ld(lesion: Lesion) -> Decimal:
    if lesion.method in _MINIMUM_BY_METHOD:
        return _MINIMUM_BY_METHOD[lesion.method]
    thickness = lesion.slice_thickness_mm
    if thickness is not None and thickness > 5:
        return 2 * Decimal(str(thickness))
    return Decimal(10)


def suggest_target_lesions(lesions: Iterable[BaselineLesion]) -> tuple[str, ...]:
    """The engine's suggested targets (spec §1.2.5): rank measurable lesions by size within each
    organ, take the largest of each organ, then fill up to 5 with the next largest, at most 2 per
    organ (RECIST 1.1 §4.2). Ties break on lesion id, so the result does not depend on row order.
    """
    ranked = sorted((item for item in lesions if item.is_measurable),
                    key=lambda item: (-item.size, item.lesion_id))
    chosen: list[BaselineLesion] = []
    organs_seen: set[str] = set()
    for item in ranked:
        if item.organ_group not in organs_seen:
            chosen.append(item)
            organs_seen.add(item.organ_group)
    chosen = chosen[:MAX_TARGETS]
    per_organ = Counter(item.organ_group for item in chosen)
    for item in ranked:
        if len(chosen) == MAX_TARGETS:
            break
        if item not in chosen and per_organ[item.organ_group] < MAX_TARGETS_PER_ORGAN:
            chosen.append(item)
            per_organ[item.organ_group] += 1
    return tuple(item.lesion_id for item in sorted(chosen, key=lambda item: item.lesion_id))


def check_target_selection(
    lesions: Iterable[BaselineLesion], subject_id: str
) -> tuple[DataQualityFlag, ...]:
    """Flags for a breach of the selection rules (spec §1.2.5, §1.15): more than 5 targets or more
    than 2 in one organ (all nodes one organ), a target below its measurability threshold or a node
    target with SA < 15 (TARGET_SELECTION_VIOLATION), a locally treated target
    (TREATED_LESION_AS_TARGET), a node target without a short axis (NODE_SA_MISSING)."""
    targets = [item for item in lesions if item.is_target]
    flags = []

    def flag(code: str, message: str, lesion_id: str = "") -> None:
        flags.append(DataQualityFlag(code, subject_id, f"subject {subject_id}: {message}",
                                     lesion_id=lesion_id))

    if len(targets) > MAX_TARGETS:
        flag("TARGET_SELECTION_VIOLATION", f"{len(targets)} target lesions; at most 5 allowed")
    for organ, count in sorted(Counter(item.organ_group for item in targets).items()):
        if count > MAX_TARGETS_PER_ORGAN:
            flag("TARGET_SELECTION_VIOLATION", f"{count} target lesions in {organ}; at most 2")
    for item in targets:
        if item.lesion.is_locally_treated:
            flag("TREATED_LESION_AS_TARGET", f"target lesion {item.lesion_id} is planned for or "
                 f"treated by {item.lesion.treated_by}; it belongs with non-targets", item.lesion_id)
        elif item.lesion.is_lymph_node and item.size is None:
            flag("NODE_SA_MISSING", f"node target {item.lesion_id} has no short axis at baseline",
                 item.lesion_id)
        elif not item.is_measurable:
            flag("TARGET_SELECTION_VIOLATION",
                 f"target lesion {item.lesion_id} is not measurable ({item.measurability})",
                 item.lesion_id)
    return tuple(flags)


def find_baseline_assessment(
    assessments: tuple[Assessment, ...],
    start_date: date,
    window_days: int = 28,
    complete_visits: frozenset[str] | None = None,
) -> tuple[Assessment | None, bool]:
    """The baseline assessment (spec §1.2.1 DEFAULT): the last *complete* assessment in
    [start - window_days, start], complete meaning every baseline lesion was recorded at it
    (`complete_visits`; None = every assessment counts as complete).

    Returns it and True; without one, the latest assessment in the window, else before start, and
    False (flag NO_VALID_BASELINE); None when nothing precedes start.
    """
    before = [a for a in assessments if a.date <= start_date]
    inside = [a for a in before if a.date >= start_date - timedelta(days=window_days)]
    complete = [a for a in inside if complete_visits is None or a.visit in complete_visits]
    if complete:
        return complete[-1], True
    fallback = inside or before
    return (fallback[-1], False) if fallback else (None, False)


def _complete_visits(checked: CheckedRecords) -> frozenset[str]:
    recorded: dict[str, set[str]] = {}
    for visit, lesion_id in (*checked.measurements, *checked.non_target_statuses):
        recorded.setdefault(visit, set()).add(lesion_id)
    every = set(checked.lesions)
    return frozenset(visit for visit, lesion_ids in recorded.items() if lesion_ids >= every)


def derive_baseline(
    checked: CheckedRecords, start_date: date, rules: RecistRules | None = None
) -> Baseline:
    """Classify a subject's baseline lesions and fix the targets and the baseline sum.

    Rules: spec §1.2 (baseline timing, target caps, validation and suggestion), §1.1
    (measurability), §1.14.1 (treated lesions), §1.6 (CEA marker of interest); RECIST 1.1 §4.2.
    The reader's targets (`Lesion.role`) stand and are validated; when no lesion is marked as a
    target, the engine's suggested selection is used. Baseline sum = LD of non-nodal plus SA of
    nodal targets; None when a target has no baseline size.
    """
    rules = rules or DEFAULT_RECIST_RULES
    assessment, in_window = find_baseline_assessment(
        checked.assessments, start_date, rules.baseline_window_days, _complete_visits(checked))
    visit = assessment.visit if assessment else None
    classified = [_classify(lesion, _baseline_size(checked, visit, lesion.lesion_id), rules)
                  for lesion in checked.lesions.values()]
    # A lesion the reader explicitly kept as non-target is never suggested as a target.
    suggested = suggest_target_lesions(
        item for item in classified if item.lesion.role != LesionRole.NON_TARGET)
    chosen_by_reader = any(item.lesion.role == LesionRole.TARGET for item in classified)
    targets = {item.lesion_id for item in classified if item.lesion.role == LesionRole.TARGET} \
        if chosen_by_reader else set(suggested)
    final = tuple(_with_role(item, item.lesion_id in targets) for item in classified)
    flags = _baseline_flags(checked.subject_id, assessment, in_window, start_date)
    flags += check_target_selection(final, checked.subject_id)
    target_items = [item for item in final if item.is_target]
    sizes = [item.size for item in target_items]
    return Baseline(
        subject_id=checked.subject_id,
        assessment=assessment,
        lesions=final,
        target_ids=tuple(item.lesion_id for item in target_items),
        non_target_ids=tuple(item.lesion_id for item in final
                             if not item.is_target and item.is_followed),
        suggested_target_ids=suggested,
        baseline_sum=sum(sizes, Decimal(0)) if sizes and None not in sizes else None,
        has_measurable_disease=any(item.is_measurable for item in final),
        cea_is_marker=rules.use_cea_for_cr and _cea_above_uln(assessment),
        flags=flags,
    )


def _baseline_size(checked: CheckedRecords, visit: str | None, lesion_id: str) -> Decimal | None:
    if visit is None:
        return None
    measurement = checked.measurements.get((visit, lesion_id))
    if measurement is not None and measurement.size is not None:
        return measurement.size
    status = checked.non_target_statuses.get((visit, lesion_id))
    return status.size if status is not None else None


def _classify(lesion: Lesion, size: Decimal | None, rules: RecistRules) -> BaselineLesion:
    measurable, reason = classify_measurability(lesion, size)
    normal_node = lesion.is_lymph_node and size is not None and size < NODE_PATHOLOGICAL_MM
    left_to_local_control = lesion.is_locally_treated and not rules.treated_lesions_are_non_targets
    return BaselineLesion(lesion.lesion_id, compute_organ_group(lesion), size, measurable, reason,
                          False, not (normal_node or left_to_local_control), lesion)


def _with_role(item: BaselineLesion, is_target: bool) -> BaselineLesion:
    return BaselineLesion(item.lesion_id, item.organ_group, item.size, item.is_measurable,
                          item.measurability, is_target, item.is_followed or is_target, item.lesion)


def _baseline_flags(subject_id, assessment, in_window, start_date) -> tuple[DataQualityFlag, ...]:
    if in_window:
        return ()
    where = f"using {assessment.visit} on {assessment.date}" if assessment else "none found"
    message = (f"subject {subject_id}: no complete baseline assessment (every lesion recorded) "
               f"within the window before start {start_date} ({where})")
    return (DataQualityFlag("NO_VALID_BASELINE", subject_id, message,
                            visit=assessment.visit if assessment else ""),)


def _cea_above_uln(assessment: Assessment | None) -> bool:
    if assessment is None or assessment.cea is None or assessment.cea_uln is None:
        return False
    return Decimal(str(assessment.cea)) > Decimal(str(assessment.cea_uln))
