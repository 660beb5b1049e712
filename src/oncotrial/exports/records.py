"""Plain values the web side hands to the exports beside the derivation's inputs: what the eCRF
holds that no derivation reads (concomitant medications, the detail of a local therapy session).
They travel in `ExportStudy.tables` under the names `con_meds` and `local_therapies`, so exports
never import the web app."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass


@dataclass(frozen=True)
class ConMedication:
    """One concomitant medication as entered (name, indication, dose text, start and end)."""

    subject_id: str
    record_id: str
    name: str
    start_date: dt.date
    end_date: dt.date | None = None
    indication: str = ""
    dose_text: str = ""


@dataclass(frozen=True)
class LocalTherapySession:
    """One ablation (MWA / RFA) or SBRT course as entered: lesions treated, technique, technical
    success, SBRT dose (Gy) and number of fractions."""

    subject_id: str
    record_id: str
    kind: str
    date: dt.date
    end_date: dt.date | None = None
    lesion_ids: tuple[str, ...] = ()
    technique: str = ""
    technical_success: bool | None = None
    dose_gy: float | None = None
    fractions: int | None = None
