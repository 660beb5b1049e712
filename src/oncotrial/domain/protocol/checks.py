"""Cross-field checks of a protocol: unique ids, every reference resolves (arms → interventions,
start-rule anchors, stratification factors, endpoints), ratios, block sizes and imaging schedules make
sense, and every stated assumption names a real field. Each problem names its field path.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING

from oncotrial.errors import InvalidInput

if TYPE_CHECKING:  # annotations only: the model imports these checks
    from oncotrial.domain.protocol.model import Protocol


def check_protocol(protocol: Protocol, source: str = "<protocol>") -> None:
    """Cross-field checks: unique ids, every reference resolves, ratios and schedules make sense."""
    problems = (_reference_problems(protocol) + _schedule_problems(protocol)
                + _assumption_problems(protocol))
    if problems:
        errors = [{"field": path, "message": message} for path, message in problems]
        listing = "; ".join(f"{path}: {message}" for path, message in problems)
        raise InvalidInput(f"{source}: {listing}", errors=errors, field=problems[0][0])


def _reference_problems(p: Protocol) -> list[tuple[str, str]]:
    problems = []
    for name, items in (("sites", p.sites), ("interventions", p.interventions), ("arms", p.arms),
                        ("endpoints", p.endpoints), ("eligibility", p.eligibility)):
        ids = [item.id for item in items]
        for duplicate in sorted({i for i in ids if ids.count(i) > 1}):
            problems.append((name, f"id '{duplicate}' appears more than once"))
    intervention_ids = {i.id for i in p.interventions}
    for a, arm in enumerate(p.arms):
        procedure_kinds = {i.procedure.kind for i in p.interventions
                           if i.procedure and i.id in arm.interventions}
        for ref in arm.interventions:
            if ref not in intervention_ids:
                problems.append((f"arms[{a}].interventions",
                                 f"unknown intervention '{ref}'; known: {sorted(intervention_ids)}"))
        for s, start in enumerate(arm.starts):
            path = f"arms[{a}].starts[{s}]"
            for ref in start.items:
                if ref not in arm.interventions:
                    problems.append((f"{path}.items", f"'{ref}' is not an intervention of arm '{arm.id}'"))
            problem = _anchor_problem(start.anchor, procedure_kinds, set(arm.interventions))
            if problem:
                problems.append((f"{path}.anchor", problem))
    problems += _regimen_id_problems(p) + _randomization_problems(p)
    return problems


def _regimen_id_problems(p: Protocol) -> list[tuple[str, str]]:
    problems = []
    for i, intervention in enumerate(p.interventions):
        ids = [regimen.id for regimen in intervention.regimens]
        for duplicate in sorted({r for r in ids if ids.count(r) > 1}):
            problems.append((f"interventions[{i}].regimens", f"regimen id '{duplicate}' appears more than once"))
    return problems


def _randomization_problems(p: Protocol) -> list[tuple[str, str]]:
    problems = []
    spec = p.randomization
    arm_ids = {arm.id for arm in p.arms}
    ratio_arms = [weight.arm for weight in spec.ratio]
    for duplicate in sorted({a for a in ratio_arms if ratio_arms.count(a) > 1}):
        problems.append(("randomization.ratio", f"arm '{duplicate}' appears more than once"))
    factor_ids = [factor.id for factor in spec.factors]
    for duplicate in sorted({f for f in factor_ids if factor_ids.count(f) > 1}):
        problems.append(("randomization.factors", f"factor id '{duplicate}' appears more than once"))
    if not 0.5 <= spec.minimization_probability <= 1:
        problems.append(("randomization.minimization_probability",
                         f"{spec.minimization_probability} is not a probability between 0.5 and 1"))
    if p.registry.allocation == "randomized" and spec.method == "none":
        problems.append(("randomization.method", "registry.allocation is 'randomized', so the method "
                         "must be simple, permuted_blocks or minimization"))
    if p.registry.enrollment < 0:
        problems.append(("registry.enrollment", "must be >= 0"))
    for r, weight in enumerate(spec.ratio):
        if weight.arm not in arm_ids:
            problems.append((f"randomization.ratio[{r}].arm", f"unknown arm '{weight.arm}'; known: {sorted(arm_ids)}"))
        if weight.weight < 1:
            problems.append((f"randomization.ratio[{r}].weight", "must be a whole number >= 1"))
    if spec.method != "none" and len(spec.ratio) < 2:
        problems.append(("randomization.ratio", "a randomized protocol needs at least two arms in its ratio"))
    return problems


def _anchor_problem(anchor: str, procedure_kinds: set[str], arm_interventions: set[str]) -> str:
    if anchor in ("enrolment", "randomization"):
        return ""
    kind, _, name = anchor.partition(":")
    if kind == "procedure" and name in procedure_kinds:
        return ""
    if kind == "first_dose" and name in arm_interventions:
        return ""
    return (f"'{anchor}' is not an anchor; allowed: enrolment, randomization, "
            f"procedure:<{'|'.join(sorted(procedure_kinds)) or 'kind'}>, first_dose:<intervention of the arm>")


def _schedule_problems(p: Protocol) -> list[tuple[str, str]]:
    problems = []
    last_until = 0
    phases = p.assessment_schedule.phases
    if not phases:
        problems.append(("assessment_schedule.phases", "at least one phase is needed"))
    for i, phase in enumerate(phases):
        path = f"assessment_schedule.phases[{i}]"
        if phase.interval_days < 1:
            problems.append((f"{path}.interval_days", "must be >= 1"))
        if phase.window_days < 0 or phase.window_days * 2 >= phase.interval_days:
            problems.append((f"{path}.window_days", "must be >= 0 and less than half the interval"))
        if phase.until_day is not None and phase.until_day <= last_until:
            problems.append((f"{path}.until_day", f"must be after the previous phase's end (day {last_until})"))
        if phase.until_day is None and i < len(phases) - 1:
            problems.append((f"{path}.until_day", "only the last phase may run without an end"))
        last_until = phase.until_day or last_until
    for i, intervention in enumerate(p.interventions):
        for j, regimen in enumerate(intervention.regimens):
            path = f"interventions[{i}].regimens[{j}]"
            if regimen.cycle_days < 1:
                problems.append((f"{path}.cycle_days", "must be >= 1"))
            for d, drug in enumerate(regimen.drugs):
                if any(day < 1 or day > regimen.cycle_days for day in drug.days):
                    problems.append((f"{path}.drugs[{d}].days", f"days must lie within 1..{regimen.cycle_days}"))
                if drug.dose <= 0:
                    problems.append((f"{path}.drugs[{d}].dose", "must be > 0"))
        if intervention.kind == "drug" and not intervention.regimens:
            problems.append((f"interventions[{i}].regimens", "a drug intervention needs at least one regimen"))
        if intervention.kind != "drug" and intervention.procedure is None:
            problems.append((f"interventions[{i}].procedure", "a procedure or radiation needs its procedure details"))
    return problems


def _assumption_problems(p: Protocol) -> list[tuple[str, str]]:
    return [(f"assumptions[{i}].path", f"'{a.path}' names no field of the protocol")
            for i, a in enumerate(p.assumptions) if not path_exists(p, a.path)]


def path_exists(value, path: str) -> bool:
    """Whether a dotted path names a field; list items are named by id or by ``[index]``.

    >>> from oncotrial.protocols import load_builtin_protocol
    >>> path_exists(load_builtin_protocol("crlm-sbrt-sintilimab"), "arms.chemo.starts[0].offset_days")
    True
    """
    for segment in path.split("."):
        name, _, index = segment.partition("[")
        value = _step(value, name)
        if value is _MISSING:
            return False
        if index:
            position = int(index.rstrip("]"))
            if not isinstance(value, tuple) or position >= len(value):
                return False
            value = value[position]
    return True


_MISSING = object()


def _step(value, name: str):
    if isinstance(value, tuple):
        return next((item for item in value if getattr(item, "id", None) == name), _MISSING)
    if isinstance(value, Mapping):
        return value.get(name, _MISSING)
    return getattr(value, name, _MISSING)
