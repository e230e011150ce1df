"""The result of a GARCH fit: :class:`GarchResult`, its forecasts and its summary.

Built by :meth:`riskkit.volatility.GarchSpec.fit` with either backend; every number is in
return units (the scaling the optimiser needed is undone here).
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import cached_property
from typing import TYPE_CHECKING, Any, Literal

import numpy as np
import pandas as pd
from scipy import stats

from riskkit._validation import check_horizon
from riskkit.exceptions import ConfigError, RiskkitWarning
from riskkit.volatility.fast import FastState
from riskkit.volatility.recursion import (
    GarchParams,
    filter_variance,
    forecast_variance,
    simulate_paths,
)

if TYPE_CHECKING:
    from riskkit.volatility.garch import GarchSpec

__all__ = ["GarchForecast", "GarchResult", "GarchSummary"]


@dataclass(frozen=True)
class GarchForecast:
    """Variance forecasts over the next ``horizon`` periods.

    Attributes
    ----------
    variance : pandas.Series
        ``E[sigma^2_{T+k}]`` for k = 1..horizon (index ``h.1`` ... like ``arch``).
    aggregate_variance : float
        Variance of the sum of the next ``horizon`` returns (the h-period log return).
    mean : float
        Expected h-period return (``horizon * mu``).
    method : str
        ``"analytic"``, ``"simulation"`` or ``"bootstrap"``.
    median_variance : pandas.Series or None
        Under simulation, the median over paths of ``sigma^2_{T+k}``: the "typical" path, which
        exists even when the expected variance does not (EGARCH with Student-t innovations).
    """

    variance: pd.Series
    aggregate_variance: float
    mean: float
    method: str
    origin: Any = None
    median_variance: pd.Series | None = None

    @property
    def volatility(self) -> pd.Series:
        return np.sqrt(self.variance)

    @property
    def aggregate_volatility(self) -> float:
        return math.sqrt(self.aggregate_variance)


@dataclass(frozen=True, repr=False, eq=False)
class GarchResult:
    """A fitted GARCH-family model (return units). Build with :meth:`GarchSpec.fit`.

    Attributes
    ----------
    spec : GarchSpec
    returns : pandas.Series
        The estimation window.
    raw_params : GarchParams
        The maximum-likelihood estimate, in return units.
    fit_params : GarchParams
        Parameters used for every derived quantity and forecast (the fallback ones if
        ``fallback`` is set).
    scale : float
        The power of ten the returns were multiplied by for the optimiser (:func:`choose_scale`).
    loglik : float
        Log-likelihood of the returns in return units: the optimiser's value on the scaled data
        plus ``n ln(scale)`` (multiplying data by ``c`` lowers each log-density by ``ln c``), so
        it is comparable across models, scales and backends.
    convergence_flag : int
        0 if the optimiser converged (``arch``'s / scipy's status otherwise).
    backend : {"arch", "fast"}
        Which optimiser estimated the parameters.
    arch_result : arch.univariate.base.ARCHModelResult or None
        ``arch``'s own result, on the internally rescaled data (multiplied by ``scale``);
        ``None`` with the fast backend.
    fast_state : riskkit.volatility.fast.FastState or None
        The fast backend's optimiser state (warm-starts the next fit); ``None`` with ``arch``.
    fallback : str or None
        ``None`` when the fit is used; else the name of the model used instead
        (``"EWMA(lambda=0.94)"``, or ``"IGARCH(ML boundary estimate)"`` with
        ``GarchSpec(on_integrated="igarch")``); the reason is in ``fallback_reason``.
    fallback_reason : str or None
    boundary : tuple of str
        Parameters estimated on the boundary of the parameter space (the fit is kept).
    """

    spec: GarchSpec
    returns: pd.Series
    raw_params: GarchParams
    fit_params: GarchParams
    scale: float
    loglik: float
    convergence_flag: int = 0
    backend: str = "arch"
    arch_result: Any = None
    fast_state: FastState | None = None
    fallback: str | None = None
    fallback_reason: str | None = None
    boundary: tuple[str, ...] = field(default=())

    # --- estimates ---
    @property
    def nobs(self) -> int:
        return len(self.returns)

    @property
    def converged(self) -> bool:
        return self.fallback is None

    @property
    def params(self) -> pd.Series:
        """Maximum-likelihood estimates in return units (``omega`` in squared return units)."""
        return pd.Series(self.raw_params.to_arch(1.0), index=self.spec.param_names, name="params")

    @cached_property
    def _scaled_param_cov(self) -> np.ndarray:
        """Robust covariance of the estimate on the scaled data (``arch``'s, or the fast
        backend's sandwich)."""
        if self.arch_result is not None:
            return self.arch_result.param_cov.to_numpy(dtype=float)
        y = self.returns.to_numpy(dtype=float) * self.scale
        return self.spec.fast_likelihood().covariance(self.fast_state.theta, y)

    @property
    def std_errors(self) -> pd.Series:
        """Robust (Bollerslev-Wooldridge) standard errors, in return units.

        From ``arch``'s robust covariance (``backend="arch"``) or the fast backend's sandwich
        estimator. The rescaling is undone by the delta method (exact for the linear maps used
        here; for the EGARCH intercept it includes the covariance with the beta coefficients).
        """
        cov = self._scaled_param_cov
        se = np.asarray(np.sqrt(np.diag(cov)), dtype=float)
        names = self.spec.param_names
        if "mu" in names:
            se[names.index("mu")] /= self.scale
        i_om = names.index("omega")
        if self.arch_result is not None:
            scaled = self.arch_result.params.to_numpy(dtype=float)
        else:
            scaled = self.fast_state.theta
        grad = self.spec.process.omega_gradient(names, scaled, self.scale)
        if grad is None:
            se[i_om] /= self.scale**2
        else:
            se[i_om] = math.sqrt(max(float(grad @ cov @ grad), 0.0))
        return pd.Series(se, index=names, name="std_err")

    @property
    def n_params(self) -> int:
        return len(self.spec.param_names)

    @property
    def aic(self) -> float:
        return -2.0 * self.loglik + 2.0 * self.n_params

    @property
    def bic(self) -> float:
        return -2.0 * self.loglik + math.log(self.nobs) * self.n_params

    @property
    def persistence(self) -> float:
        """See :attr:`GarchParams.persistence` (of ``fit_params``)."""
        return self.fit_params.persistence

    @property
    def half_life(self) -> float:
        """Periods for a variance shock to halve: ``ln 0.5 / ln(persistence)``."""
        return self.fit_params.half_life

    def unconditional_volatility(self, periods_per_year: float | None = None) -> float:
        """Long-run volatility per period, or annualised with ``sqrt(periods_per_year)``."""
        vol = math.sqrt(self.fit_params.unconditional_variance)
        return vol * math.sqrt(periods_per_year) if periods_per_year else vol

    def _sigma2(self) -> np.ndarray:
        return filter_variance(self.fit_params, self.returns.to_numpy(dtype=float))

    @property
    def conditional_volatility(self) -> pd.Series:
        """``sigma_t``: standard deviation of each return given the returns before it."""
        return pd.Series(
            np.sqrt(self._sigma2()[:-1]), index=self.returns.index, name="conditional_volatility"
        )

    @property
    def std_resid(self) -> pd.Series:
        """Standardised residuals ``(r_t - mu) / sigma_t``."""
        r = self.returns.to_numpy(dtype=float)
        z = (r - self.fit_params.mu) / np.sqrt(self._sigma2()[:-1])
        return pd.Series(z, index=self.returns.index, name="std_resid")

    def summary(self) -> GarchSummary:
        """Parameter table (estimate, robust std error, t-stat, p-value) and fit statistics."""
        params, se = self.params, self.std_errors
        t = params / se
        table = pd.DataFrame(
            {
                "estimate": params,
                "std_err": se,
                "t": t,
                "p_value": 2.0 * stats.norm.sf(np.abs(t)),
            }
        )
        table.index.name = self.spec.label
        return GarchSummary(
            model=self.spec.label,
            table=table,
            nobs=self.nobs,
            loglik=self.loglik,
            aic=self.aic,
            bic=self.bic,
            persistence=self.persistence,
            half_life=self.half_life,
            fallback=self.fallback,
            backend=self.backend,
        )

    def __repr__(self) -> str:
        fb = f", fallback={self.fallback!r}" if self.fallback else ""
        return (
            f"GarchResult({self.spec.label}, nobs={self.nobs}, loglik={self.loglik:.2f}, "
            f"persistence={self.persistence:.4f}{fb})"
        )

    # --- forecasts ---
    def forecast(
        self,
        horizon: int = 1,
        *,
        method: Literal["auto", "analytic", "simulation", "bootstrap"] = "auto",
        n_sims: int = 5000,
        seed: int | np.random.Generator | None = None,
    ) -> GarchForecast:
        """Forecast the variance of the next ``horizon`` returns after the sample.

        Parameters
        ----------
        horizon : int
            Number of periods.
        method : {"auto", "analytic", "simulation", "bootstrap"}
            ``auto`` is analytic for GARCH/GJR (any horizon) and for one step of any family,
            simulation otherwise. ``simulation`` draws from the fitted innovation distribution,
            ``bootstrap`` resamples the standardised residuals.
        n_sims : int
            Number of simulated paths.
        seed : int or numpy.random.Generator, optional

        Returns
        -------
        GarchForecast
            Per-step variances and the variance of the aggregated ``horizon``-period return.

        Notes
        -----
        With a constant (or zero) mean the returns are serially uncorrelated, so the variance of
        their sum is the sum of the per-step variance forecasts. Under simulation it is estimated
        as the average of the simulated per-step conditional variances (less noisy than the sample
        variance of simulated sums).

        For EGARCH with Student-t or skewed-t innovations the expected variance beyond one step
        is infinite (``E exp(a|z|)`` diverges for a t variable; Nelson 1991): the simulated mean
        does not converge, a :class:`RiskkitWarning` says so, and ``median_variance`` is the
        meaningful term structure. VaR/ES by simulation (quantiles) remain well defined.
        """
        h = int(check_horizon(horizon))
        params = self.fit_params
        r = self.returns.to_numpy(dtype=float)
        sigma2 = filter_variance(params, r)
        if h > 1 and not params.process.finite_expected_variance(params):
            warnings.warn(
                f"{self.spec.label}: the expected variance more than one step ahead is infinite "
                "for EGARCH with Student-t innovations; use GarchForecast.median_variance",
                RiskkitWarning,
                stacklevel=2,
            )
        median = None
        analytic_ok = h == 1 or params.process.analytic_forecast
        if method == "auto":
            method = "analytic" if analytic_ok else "simulation"
        if method == "analytic":
            if not analytic_ok:
                raise ConfigError(
                    f"{params.vol} has no analytic {h}-step forecast; use method='simulation'"
                )
            per_step = forecast_variance(params, r, h, sigma2=sigma2)
        elif method in ("simulation", "bootstrap"):
            rng = seed if isinstance(seed, np.random.Generator) else np.random.default_rng(seed)
            sampler = None
            if method == "bootstrap":
                z = (r - params.mu) / np.sqrt(sigma2[:-1])

                def sampler(g: np.random.Generator, shape: tuple[int, ...]) -> np.ndarray:
                    return z[g.integers(0, z.shape[0], size=shape)]

            _, var_paths = simulate_paths(params, r, h, n_sims, rng, sampler, sigma2=sigma2)
            per_step = var_paths.mean(axis=0)
            median = np.median(var_paths, axis=0)
        else:
            raise ConfigError(f"unknown forecast method {method!r}")
        index = pd.Index([f"h.{k}" for k in range(1, h + 1)], name="horizon")
        if median is not None:
            median = pd.Series(median, index=index, name="median_variance")
        return GarchForecast(
            variance=pd.Series(per_step, index=index, name="variance"),
            aggregate_variance=float(np.sum(per_step)),
            mean=h * params.mu,
            method=method,
            origin=self.returns.index[-1],
            median_variance=median,
        )

    def news_impact(
        self, shocks: Sequence[float] | np.ndarray | None = None, sigma2_prev: float | None = None
    ) -> pd.Series:
        """News impact curve (Engle & Ng 1993): next-period variance as a function of today's
        shock ``e_t`` when today's variance is ``sigma2_prev``.

        Parameters
        ----------
        shocks : array, optional
            Residuals ``e_t`` (return units); default a grid of +/- 5 unconditional standard
            deviations.
        sigma2_prev : float, optional
            Variance of the period the shock hits; default the unconditional variance (Engle-Ng's
            convention). Only the first lag of each coefficient is used; higher lags are held at
            ``sigma2_prev`` (and ``e^2 = sigma2_prev``).

        Returns
        -------
        pandas.Series
            Index: shock; values: ``sigma^2_{t+1}``.
        """
        params = self.fit_params
        s2 = float(sigma2_prev) if sigma2_prev is not None else params.unconditional_variance
        if not np.isfinite(s2):
            s2 = float(np.var(self.returns.to_numpy()))
        if shocks is None:
            shocks = np.linspace(-5.0, 5.0, 201) * math.sqrt(s2)
        e = np.asarray(shocks, dtype=float)
        values = params.process.news_impact(params, e, s2)
        return pd.Series(values, index=pd.Index(e, name="shock"), name="variance")


@dataclass(frozen=True)
class GarchSummary:
    """What :meth:`GarchResult.summary` returns: the parameter table and the fit statistics.

    Attributes
    ----------
    model : str
        Spec label, e.g. ``GJR(1,1,1)-t``.
    table : pandas.DataFrame
        One row per parameter; columns ``estimate``, ``std_err`` (robust), ``t``, ``p_value``.
    nobs, loglik, aic, bic, persistence, half_life : float
        As on :class:`GarchResult`.
    fallback : str or None
        The model used instead of the estimate, if any.
    backend : str
        The optimiser that estimated the parameters.
    """

    model: str
    table: pd.DataFrame
    nobs: int
    loglik: float
    aic: float
    bic: float
    persistence: float
    half_life: float
    fallback: str | None
    backend: str

    def statistics(self) -> pd.Series:
        """The fit statistics as a Series (for display next to the table)."""
        return pd.Series(
            {
                "nobs": self.nobs,
                "loglik": self.loglik,
                "aic": self.aic,
                "bic": self.bic,
                "persistence": self.persistence,
                "half_life": self.half_life,
                "fallback": self.fallback,
                "backend": self.backend,
            },
            name=self.model,
            dtype=object,
        )

    def __str__(self) -> str:
        return f"{self.model}\n{self.table.to_string()}\n{self.statistics().to_string()}"

    def _repr_html_(self) -> str:
        return (
            f"<p><b>{self.model}</b></p>{self.table.to_html()}"
            f"{self.statistics().to_frame().to_html(header=False)}"
        )
