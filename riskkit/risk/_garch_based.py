"""Shared machinery of the estimators built on a GARCH filter (FHS, GARCH-parametric, EVT)."""

from __future__ import annotations

import dataclasses
import math
import warnings
from typing import Any

import numpy as np

from riskkit.exceptions import ConfigError, RiskkitWarning
from riskkit.risk._common import check_choice, check_window
from riskkit.risk.base import RiskEstimator
from riskkit.volatility.garch import GarchResult, GarchSpec, finite_expected_variance
from riskkit.volatility.recursion import (
    GarchParams,
    filter_variance,
    forecast_variance,
    simulate_paths,
)


def fit_garch(spec: GarchSpec, returns: np.ndarray, warm_start: Any | None) -> GarchParams:
    """Fit ``spec`` and return the parameters to forecast with (fallback ones if it failed)."""
    ws = warm_start
    if ws is not None and not isinstance(ws, GarchParams | GarchResult):
        ws = getattr(ws, "garch", None)
    res = spec.fit(returns, warm_start=ws)
    return dataclasses.replace(
        res.fit_params,
        info={"fallback": res.fallback, "loglik": res.loglik, "nobs": res.nobs},
    )


def check_spec(spec: Any) -> GarchSpec:
    if not isinstance(spec, GarchSpec):
        raise ConfigError(f"spec must be a riskkit.volatility.GarchSpec, got {type(spec).__name__}")
    return spec


class GarchFiltered(RiskEstimator):
    """Common part of the estimators whose ``params`` are a fitted :class:`GarchParams`
    (filtered historical simulation, GARCH-parametric): settings, ``fit``, volatility."""

    def _setup(
        self, spec: GarchSpec | None, horizon_method: str, methods: tuple[str, ...], n_sims: int
    ) -> None:
        self.spec = check_spec(spec if spec is not None else GarchSpec("GJR", dist="t"))
        self.horizon_method = check_choice(horizon_method, methods, "horizon_method")
        if int(n_sims) < 100:
            raise ConfigError(f"n_sims must be >= 100, got {n_sims!r}")
        self.n_sims = int(n_sims)
        self.min_obs = self.spec.min_obs

    def fit(self, returns: np.ndarray, warm_start: Any | None = None) -> GarchParams:
        """Fit the spec on the window (the spec's ``backend``, :meth:`GarchSpec.fit`; EWMA
        fallback recorded in ``params.info``)."""
        r = check_window(returns, self.min_obs, type(self).__name__)
        return fit_garch(self.spec, r, warm_start)

    def forecast_volatility(
        self, returns: np.ndarray, params: GarchParams, horizon: int = 1
    ) -> float:
        """Standard deviation of the next ``horizon``-period return (NaN if infinite)."""
        return garch_forecast_volatility(params, returns, horizon)


def standardized(params: GarchParams, returns: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(sigma2 of length n+1, standardised residuals of length n) through the window."""
    sigma2 = filter_variance(params, returns)
    z = (returns - params.mu) / np.sqrt(sigma2[:-1])
    return sigma2, z


def aggregate_variance(
    params: GarchParams,
    returns: np.ndarray,
    sigma2: np.ndarray,
    horizon: int,
    rng: np.random.Generator,
    n_sims: int,
) -> float:
    """Variance of the h-period return: analytic for GARCH/GJR, simulated otherwise; NaN where
    it does not exist (EGARCH with Student-t innovations beyond one step)."""
    if horizon > 1 and not finite_expected_variance(params):
        return float("nan")
    if horizon == 1 or params.process.analytic_forecast:
        return float(np.sum(forecast_variance(params, returns, horizon, sigma2=sigma2)))
    _, var_paths = simulate_paths(params, returns, horizon, n_sims, rng, sigma2=sigma2)
    return float(var_paths.mean(axis=0).sum())


def garch_forecast_volatility(params: GarchParams, returns: np.ndarray, horizon: int) -> float:
    """Standard deviation of the next ``horizon``-period return under fixed GARCH parameters.

    Deterministic: EGARCH/APARCH beyond one step use 2000 simulated paths from a fixed seed so
    that the same inputs always give the same number. NaN where the variance is infinite.
    """
    r = np.asarray(returns, dtype=float)
    sigma2 = standardized(params, r)[0]
    rng = np.random.default_rng(0)
    var_h = aggregate_variance(params, r, sigma2, int(horizon), rng, 2000)
    return math.sqrt(var_h) if np.isfinite(var_h) else float("nan")


def infinite_es_warning(label: str, h: int) -> None:
    warnings.warn(
        f"{label}: the {h}-period ES is infinite (EGARCH exponentiates a heavy-tailed shock, "
        "so E|r_(T+2)| diverges); ES is reported as inf, VaR from the simulated quantile. "
        "Use a GARCH/GJR filter or horizon_method='sqrt' for a finite ES.",
        RiskkitWarning,
        stacklevel=3,
    )


__all__ = [
    "GarchFiltered",
    "infinite_es_warning",
    "aggregate_variance",
    "check_spec",
    "fit_garch",
    "garch_forecast_volatility",
    "simulate_paths",
    "standardized",
]
