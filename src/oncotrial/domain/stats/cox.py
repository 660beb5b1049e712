"""Cox proportional hazards regression with R ``coxph`` conventions.

The partial likelihood (Cox 1972, JRSS-B 34:187) is maximised by Newton-Raphson from b = 0 with
R survival's ``coxfit6`` iteration: stop when |1 - l_old / l_new| <= 1e-9, halve the step when the
log-likelihood falls (Therneau & Grambsch 2000, section 3.1-3.3, p. 39-52).  Ties: Efron (R's
default), Breslow, or exact (discrete logistic; Kalbfleisch & Prentice 2002, section 4.2.3).
Tests (Therneau & Grambsch section 3.4, p. 53-56): Wald b' I(b) b, likelihood ratio
2 (l(b) - l(0)), score U(0)' I(0)^-1 U(0), each chi-square on p df; hazard ratios exp(b) with
Wald limits exp(b +- z se).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
from scipy.stats import norm

from oncotrial.errors import ConvergenceError, InvalidInput

from . import _cox_exact, _cox_kernel
from ._data import check_labels, check_survival_data
from ._kernels import z_value
from ._result import ChiSquareTest, StatResult, chi_square_test, format_table
from .cox_zph import ProportionalHazardsTest, compute_zph

TIES = ("efron", "breslow", "exact")


@dataclass(frozen=True, eq=False)
class CoxResult(StatResult):
    """Coefficients, hazard ratios with Wald CIs, and the three global tests of a Cox model."""

    terms: tuple[str, ...]
    coef: np.ndarray
    se: np.ndarray
    variance: np.ndarray
    z: np.ndarray
    p_value: np.ndarray
    hr: np.ndarray
    hr_lower: np.ndarray
    hr_upper: np.ndarray
    loglik_null: float
    loglik: float
    lr_test: ChiSquareTest
    wald_test: ChiSquareTest
    score_test: ChiSquareTest
    n: int
    n_events: int
    iterations: int
    ties: str
    conf_level: float = 0.95
    warnings: tuple[str, ...] = ()
    ph_test: object = None

    @property
    def estimate(self) -> np.ndarray:
        """Hazard ratios exp(b), one per term."""
        return self.hr

    @property
    def ci(self) -> tuple[tuple[float, float], ...]:
        return tuple(zip(self.hr_lower.tolist(), self.hr_upper.tolist(), strict=True))

    def summary(self) -> str:
        header = ["term", "coef", "HR", "se(coef)", "lower", "upper", "z", "p"]
        rows = [[t, b, h, s, lo, up, z, p] for t, b, h, s, lo, up, z, p in zip(
            self.terms, self.coef, self.hr, self.se, self.hr_lower, self.hr_upper, self.z,
            self.p_value, strict=True)]
        title = (f"Cox model ({self.ties} ties): n = {self.n}, events = {self.n_events}, "
                 f"HR CI {self.conf_level:.0%}")
        table = format_table(title, header, rows)
        tests = [f"{t.name}: {t.statistic:.4g} on {t.df} df, p = {t.p_value:.4g}"
                 for t in (self.lr_test, self.wald_test, self.score_test)]
        ph = [self.ph_test.summary()] if self.ph_test is not None else []
        return "\n".join([table, *tests, *ph, *(f"Warning: {w}" for w in self.warnings)])


def design_matrix(n: int, group=None, covariates: Mapping | None = None, group_levels=None):
    """Columns of the model: treatment contrasts for ``group`` (R's ``groupB`` names), then the
    numeric covariates in the order given."""
    columns, terms, assign = [], [], []
    if group is not None:
        codes, levels = check_labels(group, n, "group", group_levels)
        if np.count_nonzero(np.bincount(codes)) < 2:
            raise InvalidInput("group has only one level; a hazard ratio needs two arms",
                               field="group", hint="check the arm column of the analysis set")
        for code, level in enumerate(levels[1:], start=1):
            columns.append((codes == code).astype(float))
            terms.append(f"group{level}")
        assign.append(("group", tuple(range(len(columns)))))
    for name, values in (covariates or {}).items():
        try:
            col = np.asarray(values, dtype=float)
        except (TypeError, ValueError) as exc:
            raise InvalidInput(f"covariate {name} must be numeric", field=name) from exc
        if col.shape != (n,) or not np.all(np.isfinite(col)):
            raise InvalidInput(f"covariate {name} needs one finite value per subject",
                               field=name, hint="drop or impute subjects with missing values")
        columns.append(col)
        terms.append(str(name))
        assign.append((str(name), (len(columns) - 1,)))
    if not columns:
        raise InvalidInput("the model has no terms: give a group or covariates", field="group")
    # column-major: every consumer reads whole columns, which are then contiguous
    x = np.empty((n, len(columns)), order="F")
    for k, column in enumerate(columns):
        x[:, k] = column
    return x, tuple(terms), tuple(assign)


def _evaluate(data, beta, ties):
    if ties == "exact":
        return _cox_exact.exact_loglik_score_info(data, beta)
    return _cox_kernel.loglik_score_info(data, beta, ties)


def _solve(info, vector):
    try:
        return np.linalg.solve(info, vector)
    except np.linalg.LinAlgError as exc:
        raise ConvergenceError("the information matrix is singular: a covariate is constant or "
                               "collinear with others", field="covariates") from exc


def newton_raphson(data, ties: str, max_iter: int = 20, eps: float = 1e-9):
    """R ``coxfit6``'s loop.  Returns (beta, loglik0, loglik, score0, info0, info, iterations)."""
    beta = np.zeros(data.p)
    loglik0, score0, info0 = _evaluate(data, beta, ties)
    best = loglik0
    newbeta = beta + _solve(info0, score0)
    halving = 0
    for iteration in range(1, max_iter + 1):
        newlk, score, info = _evaluate(data, newbeta, ties)
        finite = np.isfinite(newlk) and np.all(np.isfinite(score)) and np.all(np.isfinite(info))
        if finite and abs(1.0 - best / newlk) <= eps:
            return newbeta, loglik0, newlk, score0, info0, info, iteration
        if not finite or newlk < best:
            halving += 1
            newbeta = (newbeta + halving * beta) / (halving + 1.0)
        else:
            halving = 0
            best = newlk
            beta, newbeta = newbeta, newbeta + _solve(info, score)
    raise ConvergenceError(f"the Cox model did not converge in {max_iter} iterations",
                           field="covariates",
                           hint="look for a group or covariate level with no events "
                                "(an infinite hazard ratio)")


def estimate_cox(time, event, group=None, covariates: Mapping[str, Sequence[float]] | None = None,
                 strata=None, *, ties: str = "efron", group_levels: Sequence | None = None,
                 conf_level: float = 0.95, max_iter: int = 20,
                 check_proportional_hazards: bool = False) -> CoxResult:
    """Fit a Cox proportional hazards model; matches R ``coxph(Surv(time, status) ~ group + cov +
    strata(s), ties = ties)``.

    Parameters: ``time``/``event`` as for ``estimate_km``; ``group`` labels become treatment
    contrasts against the first of ``group_levels`` (sorted by default); ``covariates`` maps a
    name to numeric values; ``strata`` gives each stratum its own baseline hazard; ``ties`` is
    'efron' (R's default), 'breslow' or 'exact'.  With ``check_proportional_hazards`` the result
    carries R's ``cox.zph`` test in ``ph_test`` and a warning where it rejects at 5%.
    Returns a ``CoxResult``.  Raises
    ``InvalidInput`` for bad data, ``ConvergenceError`` if Newton-Raphson fails.

    >>> fit = estimate_cox([1, 2, 3, 4, 5, 6], [1, 1, 1, 1, 0, 1], ["a", "b", "a", "b", "a", "b"])
    >>> fit.terms, round(float(fit.coef[0]), 4)
    (('groupb',), -0.2739)
    """
    fit, model = fit_cox_model(time, event, group, covariates, strata, ties=ties,
                               group_levels=group_levels, conf_level=conf_level, max_iter=max_iter)
    if not check_proportional_hazards:
        return fit
    ph = compute_zph(fit, model)
    return dataclasses.replace(fit, ph_test=ph, warnings=fit.warnings + ph.warnings)


@dataclass(frozen=True, eq=False)
class CoxModel:
    """What a fit was computed from, for diagnostics that need the data (``cox.zph``)."""

    survival: object
    x: np.ndarray
    assign: tuple
    data: object


def fit_cox_model(time, event, group=None, covariates=None, strata=None, *, ties="efron",
                  group_levels=None, conf_level=0.95, max_iter=20) -> tuple[CoxResult, CoxModel]:
    """``estimate_cox`` without options, returning the fit and the prepared model data."""
    if ties not in TIES:
        raise InvalidInput(f"ties is {ties!r}; allowed: {list(TIES)}", field="ties")
    sdata = check_survival_data(time, event, None, strata)
    x, terms, assign = design_matrix(sdata.n, group, covariates, group_levels)
    n_events = int(sdata.event.sum())
    if n_events == 0:
        raise InvalidInput("no events: a Cox model needs at least one event", field="event",
                           hint="check the event coding (1 = event, 0 = censored)")
    data = _cox_kernel.prepare(sdata.time, sdata.event, x, sdata.strata)
    beta, loglik0, loglik, score0, info0, info, iterations = newton_raphson(data, ties, max_iter)
    variance = np.linalg.inv(info)
    se = np.sqrt(np.diag(variance))
    z = beta / se
    half = z_value(conf_level) * se
    with np.errstate(over="ignore"):
        hr, hr_lower, hr_upper = np.exp(beta), np.exp(beta - half), np.exp(beta + half)
    p = len(terms)
    lr = chi_square_test("Likelihood ratio", 2.0 * (loglik - loglik0), p)
    wald = chi_square_test("Wald", float(beta @ info @ beta), p)
    score = chi_square_test("Score (log-rank)", float(score0 @ _solve(info0, score0)), p)
    fit = CoxResult(terms, beta, se, variance, z, 2.0 * norm.sf(np.abs(z)), hr, hr_lower,
                    hr_upper, float(loglik0), float(loglik),
                    lr, wald, score, sdata.n, n_events, iterations, ties, conf_level,
                    _cox_warnings(sdata, x, terms, assign, n_events))
    return fit, CoxModel(sdata, x, assign, data)


def _cox_warnings(sdata, x, terms, assign, n_events) -> tuple[str, ...]:
    warnings = []
    if n_events < 10:
        warnings.append(f"fewer than 10 events ({n_events}): hazard ratios are unreliable")
    elif n_events < 10 * len(terms):
        warnings.append(f"fewer than 10 events per term ({n_events} events, {len(terms)} terms)")
    group_columns = list(dict(assign).get("group", ()))
    if group_columns:
        # events per arm from the treatment contrasts: the reference arm has all zeros
        per_level = np.array([sdata.event[x[:, k] == 1].sum() for k in group_columns])
        reference = n_events - per_level.sum()
        for k, events in zip(group_columns, per_level, strict=True):
            if events == 0 or reference == 0:
                warnings.append(f"{terms[k]}: one side has no events; the hazard ratio drifts "
                                f"towards 0 or infinity")
    return tuple(warnings)


def proportional_hazards_test(time, event, group=None,
                              covariates: Mapping[str, Sequence[float]] | None = None,
                              strata=None, *, ties: str = "efron", transform: str = "km",
                              group_levels: Sequence | None = None) -> ProportionalHazardsTest:
    """Fit the Cox model and test proportional hazards per term and globally, as R
    ``cox.zph(coxph(...), transform = transform)`` in survival 3.x (a score test, not the
    survival 2.x regression of residuals on time).  Warnings name terms rejected at 5%.

    >>> t = proportional_hazards_test([1, 2, 3, 4, 5, 6, 7, 8], [1, 1, 1, 0, 1, 1, 1, 1],
    ...                               ["a", "b", "a", "b", "a", "b", "a", "b"])
    >>> t.terms, int(t.global_test.df)
    (('group',), 1)
    """
    fit, model = fit_cox_model(time, event, group, covariates, strata, ties=ties,
                               group_levels=group_levels)
    return compute_zph(fit, model, transform)
