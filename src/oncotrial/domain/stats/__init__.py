"""Survival and response statistics that agree with R survival 3.5 and cmprsk 2.2."""

from ._result import ChiSquareTest
from .aalen_johansen import AalenJohansenCurve, estimate_aalen_johansen
from .competing import CumincCurve, CumincResult, GrayTest, estimate_cuminc
from .cox import CoxResult, estimate_cox, proportional_hazards_test
from .cox_zph import ProportionalHazardsTest
from .fine_gray import FineGrayResult, estimate_fine_gray
from .km import KMCurve, KMResult, estimate_km
from .km_summary import (
    QuantileEstimate,
    RMSTDifference,
    RMSTEstimate,
    SurvivalAt,
    compare_rmst,
)
from .logrank import LogrankResult, logrank_test
from .proportions import (
    BinomialTest,
    ProportionDifference,
    ProportionEstimate,
    TwoByTwoTest,
    binomial_test,
    estimate_proportion,
    estimate_proportion_difference,
    fisher_test,
)

__all__ = [
    "FineGrayResult",
    "estimate_fine_gray",
    "RMSTDifference",
    "compare_rmst",
    "ProportionalHazardsTest",
    "proportional_hazards_test",
    "BinomialTest",
    "ProportionDifference",
    "ProportionEstimate",
    "TwoByTwoTest",
    "binomial_test",
    "estimate_proportion",
    "estimate_proportion_difference",
    "fisher_test",
    "AalenJohansenCurve",
    "CumincCurve",
    "CumincResult",
    "GrayTest",
    "estimate_aalen_johansen",
    "estimate_cuminc",
    "ChiSquareTest",
    "CoxResult",
    "KMCurve",
    "KMResult",
    "LogrankResult",
    "QuantileEstimate",
    "RMSTEstimate",
    "SurvivalAt",
    "estimate_cox",
    "estimate_km",
    "logrank_test",
]
