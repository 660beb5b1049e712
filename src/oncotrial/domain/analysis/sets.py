"""Analysis sets as the protocol defines them (ICH E9 §5.2; spec endpoints.md §1.13, §4.4).

A request names a set by key — `itt` (intention to treat / full analysis), `pp` (per protocol),
`safety`, `evaluable` (response-evaluable) — or by the protocol's own set id. Each key is matched
to the protocol's set (its id and plain-English definition are printed in every output) and to
one implementable membership rule:

- itt: randomised subjects by arm randomised to; in a single-arm trial, enrolled subjects (a
  protocol "full analysis set" adds: who received any study treatment);
- pp: the itt set, treated, without a major protocol deviation;
- safety: subjects who received any protocol therapy, by the arm whose treatment they received;
- evaluable: the itt set with measurable disease at baseline, treated, and at least one
  post-baseline tumour assessment (spec §1.13 default response population).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass

from oncotrial.domain.outcomes.subject_outcomes import SubjectOutcome
from oncotrial.domain.protocol.model import Protocol
from oncotrial.errors import InvalidInput

from .inputs import SET_KEYS, SubjectFacts

SET_IDS = {"itt": ("itt", "fas", "full", "full_analysis"), "pp": ("pp", "per_protocol"),
           "safety": ("safety",), "evaluable": ("evaluable", "efficacy", "response_evaluable")}
RULES = {
    "itt": "Randomised subjects, by the arm randomised to (single-arm trial: enrolled subjects).",
    "fas": "Enrolled subjects who received any protocol therapy, by the arm enrolled in.",
    "pp": "Subjects of the full analysis set who received protocol therapy and have no major "
          "protocol deviation.",
    "safety": "Subjects who received any protocol therapy (drug, ablation or SBRT), by the arm "
              "whose treatment they received.",
    "evaluable": "Subjects of the full analysis set who received protocol therapy, had measurable "
                 "disease at baseline and at least one post-baseline tumour assessment.",
}
DEFAULT_NAMES = {"itt": "Intention-to-treat set", "pp": "Per-protocol set", "safety": "Safety set",
                 "evaluable": "Response-evaluable set"}


@dataclass(frozen=True)
class AnalysisSetResult:
    """The set analysed: its key, the protocol's id, name and definition, the rule applied, its
    subjects and the arm each is counted in, and counts per arm."""

    key: str
    id: str
    name: str
    definition: str
    rule: str
    subject_arms: tuple[tuple[str, str], ...]
    n_by_arm: tuple[tuple[str, int], ...]
    by_treatment_received: bool
    note: str = ""

    @property
    def subject_ids(self) -> frozenset[str]:
        """The ids of the subjects in the set."""
        return frozenset(sid for sid, _ in self.subject_arms)

    @property
    def n(self) -> int:
        """Subjects in the set."""
        return len(self.subject_arms)


def resolve_set_key(protocol: Protocol, requested: str) -> tuple[str, str, str, str]:
    """(key, id, name, definition) of a requested set: a key of `SET_KEYS` or a protocol set id.
    A key the protocol does not define falls back to the platform rule, said so in the name.

    >>> from oncotrial.protocols import load_builtin_protocol
    >>> resolve_set_key(load_builtin_protocol("crlm-mwa-camrelizumab"), "itt")[:2]
    ('itt', 'fas')
    """
    wanted = (requested or "itt").strip().lower()
    for key, ids in SET_IDS.items():
        if wanted == key or wanted in ids:
            for analysis_set in protocol.analysis_sets:
                if analysis_set.id in ids or analysis_set.id == wanted:
                    return key, analysis_set.id, analysis_set.name, analysis_set.definition
            return key, key, DEFAULT_NAMES[key] + " (platform default)", RULES[key]
    known = ", ".join([*SET_KEYS, *(s.id for s in protocol.analysis_sets)])
    raise InvalidInput(f"analysis set {requested!r} is not known; allowed: {known}",
                       field="set", hint="itt, pp, safety or evaluable, or a set id of the protocol")


def _in_itt(protocol: Protocol, set_id: str) -> Callable[[SubjectFacts], bool]:
    """Membership of the itt / full analysis set (module text)."""
    if set_id == "fas":
        return lambda f: f.enrolled_on is not None and f.treated
    if protocol.is_randomized:
        return lambda f: f.randomized_on is not None
    return lambda f: f.enrolled_on is not None


def select_analysis_set(protocol: Protocol, requested: str, facts: Iterable[SubjectFacts],
                        outcomes: Mapping[str, SubjectOutcome],
                        assessed: frozenset[str] = frozenset()) -> AnalysisSetResult:
    """The subjects of the requested set and the arm each counts in (rules in the module text).

    `outcomes` maps subject id to its derived outcome (for measurable disease); `assessed` holds the
    ids of subjects with at least one post-baseline tumour assessment.
    """
    key, set_id, name, definition = resolve_set_key(protocol, requested)
    itt_id = next((s.id for s in protocol.analysis_sets if s.id in SET_IDS["itt"]), "itt")
    base = _in_itt(protocol, itt_id)
    rules = {
        "itt": base,
        "pp": lambda f: base(f) and f.treated and not f.major_deviation,
        "safety": lambda f: f.treated,
        "evaluable": lambda f: (base(f) and f.treated and f.subject_id in assessed
                                and _measurable(outcomes.get(f.subject_id))),
    }
    chosen = sorted((f for f in facts if rules[key](f)), key=lambda f: f.subject_id)
    by_treatment = key == "safety"
    pairs = tuple((f.subject_id, f.arm_as_treated if by_treatment else f.arm) for f in chosen)
    arm_ids = [a.id for a in protocol.arms]
    counts = tuple((arm, sum(1 for _, a in pairs if a == arm)) for arm in arm_ids)
    rule = RULES["fas" if key == "itt" and itt_id == "fas" else key]
    return AnalysisSetResult(key, set_id, name, definition, rule, pairs, counts, by_treatment)


def _measurable(outcome: SubjectOutcome | None) -> bool:
    return outcome is not None and outcome.in_response_population
