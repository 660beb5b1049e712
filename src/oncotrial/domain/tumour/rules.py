"""The RECIST 1.1 engine's parameters as one value, with the spec's defaults (spec §0.3, §7).

A report prints `RecistRules().description` so a reader sees exactly which platform choices a
derivation used. Thresholds fixed by RECIST 1.1 itself (30% / 20% + 5 mm, 5 targets, 2 per organ,
10 / 15 mm node limits) are not parameters (spec keyword MUST).
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

PD_DATE_RULES = ("first_evidence", "latest_scan")
ASSESSMENT_DATE_RULES = ("latest", "earliest")


@dataclass(frozen=True)
class RecistRules:
    """Platform choices for the RECIST 1.1 timepoint engine (spec endpoints.md §0.3).

    - `baseline_window_days` (28): baseline scans at most this many days before start (§1.2).
    - `tstm_default_mm` (5): value of "too small to measure" (§1.3).
    - `reappearance_after_cr_is_pd` (True): a lesion reappearing after overall CR is PD (§1.5.3).
    - `equivocal_new_lesion_backdating` (True): a confirmed equivocal new lesion makes PD from the
      first scan that showed it (§1.7).
    - `treated_site_progression_is_pd` (True): adjudicated local / in-field progression of a
      locally treated lesion is unequivocal non-target progression (§1.14.2).
    - `use_cea_for_cr` (True): CEA above ULN at baseline is a marker of interest that must
      normalise for CR (§1.6, §1.14.4).
    - `pd_date_rule` ("first_evidence"): FDA's first-evidence PD date (§1.10); "latest_scan" dates
      PD at the assessment's latest scan.
    - `non_pd_assessment_date` ("latest"): date of a non-PD assessment (§1.10); or "earliest".
    - `confirm_min_days` (28): used to tell a confirmed CR before reappearance (flag) and an
      established PR for continued-PR labels (§1.5).
    - `continued_pr_requires_confirmation` (False): continued-PR labels only after a confirmed PR
      (set True where confirmation is required, §1.5 "Continued PR").
    - `treated_lesions_are_non_targets` (True): lesions planned for or treated by ablation/SBRT are
      followed as non-target items (§1.14.1, open decision §7.3); False leaves them to the
      local-control module only.
    """

    baseline_window_days: int = 28
    tstm_default_mm: Decimal = Decimal(5)
    reappearance_after_cr_is_pd: bool = True
    equivocal_new_lesion_backdating: bool = True
    treated_site_progression_is_pd: bool = True
    use_cea_for_cr: bool = True
    pd_date_rule: str = "first_evidence"
    non_pd_assessment_date: str = "latest"
    confirm_min_days: int = 28
    continued_pr_requires_confirmation: bool = False
    treated_lesions_are_non_targets: bool = True

    def __post_init__(self) -> None:
        # Checked once when the value is built, never inside the per-subject engine.
        if self.pd_date_rule not in PD_DATE_RULES:
            raise ValueError(f"pd_date_rule must be one of {PD_DATE_RULES}, not {self.pd_date_rule!r}")
        if self.non_pd_assessment_date not in ASSESSMENT_DATE_RULES:
            raise ValueError(
                f"non_pd_assessment_date must be one of {ASSESSMENT_DATE_RULES}, "
                f"not {self.non_pd_assessment_date!r}"
            )
        object.__setattr__(self, "tstm_default_mm", Decimal(str(self.tstm_default_mm)))

    @property
    def description(self) -> str:
        """Plain-English statement of these rules, for reports."""
        parts = [
            f"Baseline: the last assessment within {self.baseline_window_days} days before start.",
            f"Too-small-to-measure lesions count {self.tstm_default_mm} mm.",
            "PD needs +20% and +5 mm over the nadir; PR -30% from baseline (inclusive).",
            "Reappearance after CR is PD." if self.reappearance_after_cr_is_pd
            else "Reappearance after CR is judged by the sum only.",
            "A confirmed equivocal new lesion is PD from its first scan."
            if self.equivocal_new_lesion_backdating
            else "An equivocal new lesion is PD only when it becomes unequivocal.",
            "Local progression at an ablated or irradiated lesion is PD."
            if self.treated_site_progression_is_pd
            else "Treated lesions follow the reader's non-target category only.",
            "CEA above ULN at baseline must normalise for CR." if self.use_cea_for_cr
            else "CEA is not used.",
            f"PD is dated by the {self.pd_date_rule.replace('_', ' ')} rule; other assessments at "
            f"their {self.non_pd_assessment_date} scan.",
        ]
        return " ".join(parts)


# Built once: engines fall back to it instead of building (and re-checking) defaults per call.
DEFAULT_RECIST_RULES = RecistRules()
