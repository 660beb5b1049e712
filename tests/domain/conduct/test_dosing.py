"""BSA and dose computation against hand-worked values (no library reference: the arithmetic is
written beside each number)."""

import pytest

from oncotrial.domain.conduct.dosing import (
    compute_bsa,
    compute_dose_intensity,
    compute_prescribed_dose,
    convert_amount,
)
from oncotrial.domain.protocol.model import DrugDose
from oncotrial.errors import InvalidInput

OXALIPLATIN = DrugDose("oxaliplatin", 130, "mg/m2", basis="bsa")
SINTILIMAB = DrugDose("sintilimab", 200, "mg", basis="flat")


def test_it_computes_mosteller_bsa_by_hand():
    # 180 cm × 81 kg = 14580; / 3600 = 4.05; sqrt(4.05) = 2.012461...
    assert compute_bsa(180, 81) == pytest.approx(2.012461, abs=1e-6)
    # 160 × 90 = 14400; / 3600 = 4; sqrt = 2 exactly.
    assert compute_bsa(160, 90) == 2.0


def test_it_computes_dubois_bsa_by_hand():
    # 70^0.425 = exp(0.425 × ln 70 = 1.805611) = 6.083806;
    # 170^0.725 = exp(0.725 × ln 170 = 3.723454) = 41.40642;
    # 0.007184 × 6.083806 × 41.40642 = 1.809708
    assert compute_bsa(170, 70, "dubois") == pytest.approx(1.809708, abs=2e-6)


def test_it_doses_per_square_metre_and_rounds_last():
    # 130 mg/m² × 2.012461 m² = 261.62 mg -> 261.6
    dose = compute_prescribed_dose(OXALIPLATIN, 180, 81)
    assert (dose.dose, dose.unit, dose.bsa_m2) == (261.6, "mg", 2.012)
    assert "BSA 2.01" in dose.description


def test_it_applies_a_reduction_and_a_bsa_cap():
    # capped at 2.0 m²: 130 × 2.0 = 260; less 20 % = 208
    dose = compute_prescribed_dose(OXALIPLATIN, 180, 81, reduction_percent=20, bsa_cap_m2=2.0)
    assert (dose.full_dose, dose.dose) == (260.0, 208.0)


def test_it_doses_per_kilogram_and_flat():
    per_kg = compute_prescribed_dose(DrugDose("x", 3, "mg/kg", basis="weight"), weight_kg=62.5)
    assert per_kg.dose == 187.5  # 3 × 62.5
    assert compute_prescribed_dose(SINTILIMAB).dose == 200.0


def test_it_reports_percent_of_planned_and_full_dose():
    planned = compute_prescribed_dose(OXALIPLATIN, 160, 90, reduction_percent=25)  # 260 -> 195
    intensity = compute_dose_intensity(0.195, "g", planned)
    assert (intensity.given, intensity.percent_of_planned, intensity.percent_of_full) == (
        195.0, 100.0, 75.0)


@pytest.mark.parametrize(("height", "weight", "field"), [
    (17.0, 70, "height_cm"),  # metres × 10 typed as centimetres
    (170, 700, "weight_kg"),
    ("tall", 70, "height_cm"),
    (None, 70, "height_cm"),
])
def test_it_rejects_implausible_body_size(height, weight, field):
    with pytest.raises(InvalidInput) as caught:
        compute_bsa(height, weight)
    assert caught.value.field == field


def test_it_rejects_a_dose_without_a_unit_and_a_unit_that_does_not_fit_the_basis():
    with pytest.raises(InvalidInput, match="has no unit"):
        convert_amount(200, "", "mg")
    with pytest.raises(InvalidInput, match="not one of"):
        convert_amount(200, "mg/m2", "mg")
    with pytest.raises(InvalidInput, match="does not fit basis"):
        compute_prescribed_dose(DrugDose("oxaliplatin", 130, "mg", basis="bsa"), 170, 70)
    with pytest.raises(InvalidInput, match="reduction_percent"):
        compute_prescribed_dose(SINTILIMAB, reduction_percent=100)
