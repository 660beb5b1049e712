"""Binary endpoints: ORR and DCR membership, exact binomial rates and the landmark (12-month PFS)
status (spec endpoints.md §1.13, §3.3, §4.4).
"""

from __future__ import annotations

from dataclasses import dataclass

from scipy.stats import beta

from oncotrial.domain.outcomes.time_to_event import (
    CR,
    DAYS_PER_YEAR,
    NON_CR_NON_PD,
    PR,
    SD,
    TimeToEventResult,
)
from oncotrial.errors import InvalidInput

# --- binary endpoints (spec §1.13, §3.3) --------------------------------------------------------

RESPONDER_BORS = frozenset({CR, PR})
DISEASE_CONTROL_BORS = frozenset({CR, PR, SD})


@dataclass(frozen=True)
class ResponseFlags:
    """ORR / DCR membership of one subject and the rule that set it."""

    in_population: bool
    responder: bool
    disease_control: bool
    rule_description: str


def derive_response_flags(
    best_overall_response: str,
    *,
    measurable_disease: bool,
    received_therapy: bool = True,
    include_non_measurable: bool = False,
) -> ResponseFlags:
    """ORR and DCR flags from the BOR (confirmed BOR when confirmation is required) — spec §1.13.

    Population (DEFAULT): received any study therapy and had measurable disease at baseline outside
    locally treated lesions; NE and NO_ASSESSMENT stay in as non-responders. Disease control = CR,
    PR or SD (SD already met its minimum duration in the BOR); NON-CR/NON-PD counts only when the
    SAP includes non-measurable-only patients.

    >>> derive_response_flags("SD", measurable_disease=True).disease_control
    True
    """
    in_population = received_therapy and (measurable_disease or include_non_measurable)
    control = DISEASE_CONTROL_BORS | ({NON_CR_NON_PD} if include_non_measurable else frozenset())
    responder = in_population and best_overall_response in RESPONDER_BORS
    return ResponseFlags(
        in_population=in_population, responder=responder,
        disease_control=in_population and best_overall_response in control,
        rule_description=("ORR: BOR CR or PR; DCR: BOR CR, PR or SD (≥ minimum duration)"
                          + ("; NON-CR/NON-PD counts as control" if include_non_measurable else "")
                          + "; population: treated with measurable disease at baseline."))


@dataclass(frozen=True)
class RateEstimate:
    """A proportion with its exact (Clopper–Pearson) two-sided confidence interval."""

    numerator: int
    denominator: int
    rate: float
    ci_lower: float
    ci_upper: float
    confidence: float = 0.95
    method: str = "Clopper-Pearson exact"


def compute_binomial_rate(numerator: int, denominator: int, confidence: float = 0.95) -> RateEstimate:
    """Rate with the Clopper–Pearson interval, as R's `binom.test(x, n)$conf.int` (spec §1.13,
    §4.4; cases E-02: 12/30 → 40.0% (22.7%–59.4%), A-07: 9/30 → 30.0% (14.7%–49.4%)).

    >>> round(compute_binomial_rate(12, 30).ci_upper, 3)
    0.594
    """
    if denominator <= 0 or not 0 <= numerator <= denominator:
        raise InvalidInput(f"rate {numerator}/{denominator} is not a proportion", field="numerator",
                           hint="need 0 ≤ numerator ≤ denominator and denominator ≥ 1")
    alpha = 1.0 - confidence
    lower = 0.0 if numerator == 0 else float(beta.ppf(alpha / 2, numerator, denominator - numerator + 1))
    upper = (1.0 if numerator == denominator
             else float(beta.ppf(1 - alpha / 2, numerator + 1, denominator - numerator)))
    return RateEstimate(numerator, denominator, numerator / denominator, lower, upper, confidence)


def derive_landmark_status(result: TimeToEventResult, landmark_days: float = DAYS_PER_YEAR) -> bool | None:
    """Event-free at the landmark (12-month PFS status: 365.25 days, spec §0.1, §3.3).

    True: followed beyond the landmark without an event; False: event at AVAL ≤ landmark; None:
    censored before the landmark (not evaluable). The 12-month PFS *rate* is a Kaplan–Meier estimate,
    not the share of True; this status serves a landmark population defined by the SAP.
    """
    if result.aval_days > landmark_days:
        return True
    return False if result.is_event else None
