"""The ADaM datasets of a study, in submission order: ADSL, ADRS, ADTTE, ADAE, ADTR."""

from __future__ import annotations

from .adrs import export_adrs, export_adtr
from .adsl import export_adsl
from .adtte import export_adae, export_adtte
from .bundle import ExportStudy, check_exportable
from .model import Dataset


def export_adam(study: ExportStudy) -> tuple[Dataset, ...]:
    """ADSL, ADRS, ADTTE, ADAE and ADTR from the study's derived outcomes (InvalidInput for a
    study without subjects)."""
    check_exportable(study)
    return (export_adsl(study), export_adrs(study), export_adtte(study), export_adae(study),
            export_adtr(study))
