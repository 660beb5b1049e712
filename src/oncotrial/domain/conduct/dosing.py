"""Body surface area and the dose a protocol prescribes for one patient on one day.

Chemotherapy in both seed trials is dosed per m² of body surface area (BSA) and the anti-PD-1
antibodies are flat doses; some regimens are dosed per kg. :func:`compute_bsa` gives the BSA by
Mosteller (the default; NEJM 1987;317:1098) or DuBois & DuBois (Arch Intern Med 1916;17:863),
:func:`compute_prescribed_dose` turns a protocol :class:`~oncotrial.domain.protocol.model.DrugDose` into
milligrams for a patient's height and weight with any dose reduction applied, and
:func:`compute_dose_intensity` compares what was given with what was planned.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from enum import StrEnum

from oncotrial.domain.protocol.model import DrugDose
from oncotrial.errors import InvalidInput

# Plausible adult limits: outside them the number is a typing error, not a patient.
HEIGHT_LIMITS_CM = (100.0, 230.0)
WEIGHT_LIMITS_KG = (25.0, 250.0)

# Amount units the EDC accepts, with their factor to the unit before the slash.
_MASS_FACTORS = {"mg": 1.0, "g": 1000.0, "mcg": 0.001, "ug": 0.001}
_BASIS_SUFFIX = {"bsa": ("/m2", "/m²"), "weight": ("/kg",), "flat": ("",)}


class BsaFormula(StrEnum):
    """How body surface area is estimated from height and weight."""

    MOSTELLER = "mosteller"
    DUBOIS = "dubois"


@dataclass(frozen=True)
class PrescribedDose:
    """The dose of one drug for one patient: full (100 %) dose, reduction and the dose to give.

    `full_dose` and `dose` are in `unit` (the amount unit of the protocol dose, e.g. "mg");
    `bsa_m2` is set for BSA-based doses, `weight_kg` for every dose computed from body size.
    `description` says in words how the number was reached, for the eCRF page.
    """

    drug: str
    basis: str
    protocol_dose: float
    protocol_unit: str
    unit: str
    full_dose: float
    reduction_percent: float
    dose: float
    bsa_m2: float | None
    weight_kg: float | None
    description: str


@dataclass(frozen=True)
class DoseIntensity:
    """Given against planned: percent of the planned dose and of the full protocol dose."""

    given: float
    planned: float
    full: float
    percent_of_planned: float
    percent_of_full: float


def check_body_size(height_cm: float | None, weight_kg: float | None) -> tuple[float, float]:
    """Raise `InvalidInput` naming the field unless height and weight are plausible adult numbers."""
    return (_check_range(height_cm, "height_cm", HEIGHT_LIMITS_CM, "cm"),
            _check_range(weight_kg, "weight_kg", WEIGHT_LIMITS_KG, "kg"))


def _check_range(value, field: str, limits: tuple[float, float], unit: str) -> float:
    number = _number(value, field)
    low, high = limits
    if not low <= number <= high:
        raise InvalidInput(
            f"{field} is {number:g} {unit}; it must be between {low:g} and {high:g} {unit}",
            field=field, hint="Check the units: height in centimetres, weight in kilograms.",
        )
    return number


def compute_bsa(height_cm: float, weight_kg: float,
                formula: BsaFormula | str = BsaFormula.MOSTELLER) -> float:
    """Body surface area in m², unrounded.

    Mosteller (N Engl J Med 1987;317:1098): BSA = sqrt(height_cm × weight_kg / 3600).
    DuBois & DuBois (Arch Intern Med 1916;17:863): BSA = 0.007184 × weight_kg^0.425 × height_cm^0.725.

    >>> round(compute_bsa(180, 81), 3)
    2.012
    """
    height, weight = check_body_size(height_cm, weight_kg)
    formula = _formula(formula)
    if formula is BsaFormula.DUBOIS:
        return 0.007184 * weight**0.425 * height**0.725
    return math.sqrt(height * weight / 3600.0)


def compute_prescribed_dose(
    drug_dose: DrugDose,
    height_cm: float | None = None,
    weight_kg: float | None = None,
    reduction_percent: float = 0.0,
    formula: BsaFormula | str = BsaFormula.MOSTELLER,
    bsa_cap_m2: float | None = None,
    decimals: int = 1,
) -> PrescribedDose:
    """The amount of `drug_dose` to give: flat, per m² BSA or per kg, less any reduction.

    `reduction_percent` is the protocol dose reduction (e.g. 20 for a 20 % reduction, "dose
    level -1"); `bsa_cap_m2` caps the BSA where the protocol says so (commonly 2.0 m²).
    The dose is rounded to `decimals` places after all multiplications, never before.

    >>> d = DrugDose("oxaliplatin", 130, "mg/m2", basis="bsa")
    >>> compute_prescribed_dose(d, 180, 81).dose
    261.6
    """
    unit = check_dose_unit(drug_dose)
    reduction = _number(reduction_percent, "reduction_percent")
    if not 0 <= reduction < 100:
        raise InvalidInput(f"reduction_percent is {reduction:g}; it must be from 0 to under 100",
                           field="reduction_percent", hint="A 25 % reduction is entered as 25.")
    full, bsa, weight, how = _full_dose(drug_dose, unit, height_cm, weight_kg, formula, bsa_cap_m2)
    dose = round(full * (100.0 - reduction) / 100.0, decimals)
    if reduction:
        how += f", reduced by {reduction:g} %"
    return PrescribedDose(
        drug=drug_dose.drug, basis=drug_dose.basis, protocol_dose=float(drug_dose.dose),
        protocol_unit=drug_dose.unit, unit=unit, full_dose=round(full, decimals),
        reduction_percent=reduction, dose=dose,
        bsa_m2=None if bsa is None else round(bsa, 3),
        weight_kg=weight if weight is not None else (None if weight_kg is None else float(weight_kg)),
        description=f"{how} = {dose:g} {unit}",
    )


def _full_dose(drug_dose: DrugDose, unit: str, height_cm, weight_kg, formula, bsa_cap_m2):
    """The 100 % dose with the BSA or weight it used and how it was reached, in words."""
    if drug_dose.basis == "bsa":
        bsa = compute_bsa(height_cm, weight_kg, formula)
        if bsa_cap_m2 is not None:
            bsa = min(bsa, float(bsa_cap_m2))
        how = f"{drug_dose.dose:g} {drug_dose.unit} × BSA {bsa:.2f} m² ({_formula(formula).value})"
        return drug_dose.dose * bsa, bsa, None, how
    if drug_dose.basis == "weight":
        weight = _check_range(weight_kg, "weight_kg", WEIGHT_LIMITS_KG, "kg")
        return drug_dose.dose * weight, None, weight, f"{drug_dose.dose:g} {drug_dose.unit} × {weight:g} kg"
    return float(drug_dose.dose), None, None, f"flat {drug_dose.dose:g} {unit}"


def compute_dose_intensity(given: float, given_unit: str, prescribed: PrescribedDose) -> DoseIntensity:
    """Percent of the planned (after reduction) and of the full dose that was actually given.

    The given amount is converted to the prescription's unit first (g, mg, mcg), so a dose entered
    in grams is compared correctly; a dose without a unit is rejected, never guessed.

    >>> p = compute_prescribed_dose(DrugDose("sintilimab", 200, "mg"))
    >>> compute_dose_intensity(150, "mg", p).percent_of_planned
    75.0
    """
    amount = convert_amount(given, given_unit, prescribed.unit)
    planned, full = prescribed.dose, prescribed.full_dose
    return DoseIntensity(
        given=amount, planned=planned, full=full,
        percent_of_planned=round(100.0 * amount / planned, 1) if planned else 0.0,
        percent_of_full=round(100.0 * amount / full, 1) if full else 0.0,
    )


def convert_amount(amount: float | None, unit: str | None, to_unit: str) -> float:
    """An amount of drug in `to_unit`; raises `InvalidInput` for a missing or unknown unit."""
    value = _number(amount, "dose")
    if value < 0:
        raise InvalidInput(f"dose is {value:g}; it cannot be negative", field="dose")
    source = (unit or "").strip().lower()
    if not source:
        raise InvalidInput(f"dose {value:g} has no unit", field="unit",
                           hint=f"Enter the unit, one of {', '.join(_MASS_FACTORS)}.")
    if source not in _MASS_FACTORS:
        raise InvalidInput(f"unit {unit!r} is not one of {', '.join(_MASS_FACTORS)}", field="unit",
                           hint="Enter the amount actually given, e.g. 261.6 mg, not mg/m².")
    return value * _MASS_FACTORS[source] / _MASS_FACTORS[to_unit]


def check_dose_unit(drug_dose: DrugDose) -> str:
    """The amount unit of a protocol dose ("mg" of "mg/m2"); raises `InvalidInput` when the unit
    does not match the basis (a per-m² dose must be "…/m2", a per-kg dose "…/kg")."""
    unit = (drug_dose.unit or "").strip().lower()
    suffixes = _BASIS_SUFFIX.get(drug_dose.basis)
    if suffixes is None:
        raise InvalidInput(f"dose basis {drug_dose.basis!r} is not one of flat, bsa, weight",
                           field="basis")
    for suffix in suffixes:
        amount_unit = unit[: len(unit) - len(suffix)] if suffix else unit
        if (unit.endswith(suffix) if suffix else "/" not in unit) and amount_unit in _MASS_FACTORS:
            return amount_unit
    expected = " or ".join(f"mg{s}" for s in suffixes)
    raise InvalidInput(f"{drug_dose.drug}: unit {drug_dose.unit!r} does not fit basis "
                       f"{drug_dose.basis!r}; expected e.g. {expected}", field="unit")


def _formula(formula: BsaFormula | str) -> BsaFormula:
    try:
        return BsaFormula(formula)
    except ValueError:
        raise InvalidInput(f"BSA formula {formula!r} is not one of mosteller, dubois",
                           field="bsa_formula") from None


def _number(value, field: str) -> float:
    if value is None or value == "":
        raise InvalidInput(f"{field} is missing", field=field)
    if isinstance(value, bool):
        raise InvalidInput(f"{field} must be a number, not {value!r}", field=field)
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise InvalidInput(f"{field} must be a number, not {value!r}", field=field) from None
    if not math.isfinite(number):
        raise InvalidInput(f"{field} must be a finite number, not {value!r}", field=field)
    return number
