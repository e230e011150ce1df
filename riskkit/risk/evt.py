"""Extreme value theory: peaks over threshold, optionally on GARCH residuals (McNeil & Frey 2000)."""

from __future__ import annotations

import math
import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
from scipy import stats

from riskkit.exceptions import ConfigError, ConvergenceWarning, ModelError
from riskkit.risk._common import (
    check_call,
    check_choice,
    check_window,
    default_rng,
    sqrt_time_scale,
)
from riskkit.risk._garch_based import (
    check_spec,
    fit_garch,
    garch_forecast_volatility,
    infinite_es_warning,
    simulate_paths,
    standardized,
)
from riskkit.risk.base import RiskEstimator
from riskkit.risk.closed_form import weighted_var_es
from riskkit.volatility.garch import GarchSpec
from riskkit.volatility.recursion import GarchParams

__all__ = ["EVTPeaksOverThreshold", "EVTParams", "gpd_tail_var_es"]

_DEFAULT = object()


@dataclass(frozen=True)
class EVTParams:
    """Fitted tail: threshold ``u`` and GPD shape ``xi`` / scale ``beta`` of the excess losses.

    ``garch`` holds the volatility filter (``None`` for unconditional POT); ``tail_fraction`` is
    ``k / n``, the share of observations above ``u``.
    """

    garch: GarchParams | None
    threshold: float
    xi: float
    beta: float
    tail_fraction: float
    n_exceed: int


def gpd_tail_var_es(
    level: float, threshold: float, xi: float, beta: float, tail_fraction: float
) -> tuple[float, float]:
    """VaR and ES above a threshold from a GPD tail (McNeil, Frey & Embrechts 2015, eqs
    5.18-5.19).

    ``VaR = u + beta/xi (((1 - alpha) / (k/n))^(-xi) - 1)``,
    ``ES = VaR / (1 - xi) + (beta - xi u) / (1 - xi)``; for ``xi = 0`` the exponential limits.
    Requires ``1 - alpha < k/n`` (the level lies in the modelled tail) and ``xi < 1``.

    Parameters
    ----------
    level : float
        Confidence level alpha in (0, 1).
    threshold : float
        Threshold ``u`` of the losses (or standardised losses) the GPD was fitted above.
    xi, beta : float
        GPD shape and scale of the excesses ``L - u``.
    tail_fraction : float
        ``k / n``, the share of observations above ``u``.

    Returns
    -------
    tuple of float
        ``(VaR, ES)`` in the units of ``threshold``.

    Raises
    ------
    ConfigError
        ``level`` not inside the GPD tail.
    ModelError
        ``xi >= 1`` (infinite ES).

    References
    ----------
    McNeil, A. J., & Frey, R. (2000), eqs (6)-(7); McNeil, Frey & Embrechts (2015), Section 5.2.
    """
    p = 1.0 - level
    if p >= tail_fraction:
        raise ConfigError(
            f"level {level} is not in the GPD tail (1 - level must be < the tail fraction "
            f"{tail_fraction:.3f}); lower threshold_quantile"
        )
    if xi >= 1.0:
        raise ModelError(f"GPD shape xi = {xi:.3f} >= 1: the tail has no mean and ES is infinite")
    ratio = p / tail_fraction
    if abs(xi) < 1e-9:
        var = threshold - beta * math.log(ratio)
        return var, var + beta
    var = threshold + beta / xi * (ratio ** (-xi) - 1.0)
    return var, var / (1.0 - xi) + (beta - xi * threshold) / (1.0 - xi)


class EVTPeaksOverThreshold(RiskEstimator):
    """Peaks-over-threshold VaR/ES: a generalised Pareto tail fitted to the largest losses.

    With a ``spec`` this is the two-step method of McNeil & Frey (2000): fit the GARCH model
    (quasi-maximum likelihood; a normal innovation is their choice and the default), then fit a
    GPD (``scipy.stats.genpareto``, maximum likelihood) to the excesses of the standardised loss
    residuals ``-z_t`` over their ``threshold_quantile`` quantile. VaR/ES are
    ``-mu + sigma_{T+1} * (VaR, ES of -z)``. With ``spec=None`` the GPD is fitted to the raw
    losses (unconditional POT) and the forecast depends only on the parameters.

    Parameters
    ----------
    spec : GarchSpec or None
        Volatility filter; default ``GarchSpec("GARCH", dist="normal")``; ``None`` for
        unconditional POT.
    threshold_quantile : float
        Quantile of the losses used as threshold (0.90: the top 10% are the tail sample; McNeil &
        Frey use about k = 100 of n = 1000).
    horizon_method : {"sqrt", "simulate"}
        Multi-period: ``"sqrt"`` is the square-root-of-time rule (with a GARCH filter the
        mean ``mu`` scales with h and the rest with ``sqrt(h)``; without one the one-period
        VaR/ES of the raw losses is multiplied by ``sqrt(h)``); ``"simulate"``
        bootstraps standardised residuals through the GARCH recursion, drawing loss residuals
        beyond the threshold from the fitted GPD (McNeil & Frey 2000, Section 2.3). Without a
        spec, ``"simulate"`` sums h i.i.d. draws from the same semi-parametric distribution.
        With an EGARCH filter and a heavy GPD tail (``xi > 0``) the simulated multi-period ES is
        infinite and reported as ``inf`` with a warning.
    n_sims : int
        Paths for ``"simulate"``.
    min_exceedances : int
        Fewest exceedances the GPD fit accepts.

    References
    ----------
    McNeil, A. J., & Frey, R. (2000). Estimation of tail-related risk measures for
    heteroscedastic financial time series: an extreme value approach. Journal of Empirical
    Finance 7(3-4), 271-300.
    """

    def __init__(
        self,
        spec: GarchSpec | None = _DEFAULT,  # type: ignore[assignment]
        threshold_quantile: float = 0.90,
        horizon_method: Literal["sqrt", "simulate"] = "sqrt",
        n_sims: int = 10_000,
        min_exceedances: int = 25,
    ) -> None:
        if spec is _DEFAULT:
            spec = GarchSpec("GARCH", dist="normal")
        self.spec = None if spec is None else check_spec(spec)
        if not 0.5 <= float(threshold_quantile) < 1.0:
            raise ConfigError(f"threshold_quantile must be in [0.5, 1), got {threshold_quantile!r}")
        self.threshold_quantile = float(threshold_quantile)
        self.horizon_method = check_choice(horizon_method, ("sqrt", "simulate"), "horizon_method")
        if int(n_sims) < 100:
            raise ConfigError(f"n_sims must be >= 100, got {n_sims!r}")
        if int(min_exceedances) < 10:
            raise ConfigError(
                f"min_exceedances must be >= 10 for a GPD fit, got {min_exceedances!r}"
            )
        self.n_sims = int(n_sims)
        self.min_exceedances = int(min_exceedances)
        self.min_obs = (
            self.spec.min_obs
            if self.spec is not None
            else int(math.ceil(self.min_exceedances / (1 - self.threshold_quantile)))
        )
        self.name = "evt_pot" if self.spec is None else f"evt_{self.spec.label}"

    def fit(self, returns: np.ndarray, warm_start: Any | None = None) -> EVTParams:
        r = check_window(returns, self.min_obs, type(self).__name__)
        garch = None
        if self.spec is not None:
            ws = warm_start.garch if isinstance(warm_start, EVTParams) else warm_start
            garch = fit_garch(self.spec, r, ws)
            x = -standardized(garch, r)[1]
        else:
            x = -r
        u = float(np.quantile(x, self.threshold_quantile))
        exc = x[x > u] - u
        if exc.shape[0] < self.min_exceedances:
            raise ModelError(
                f"only {exc.shape[0]} losses exceed the {self.threshold_quantile:g} quantile; "
                f"the GPD fit needs at least {self.min_exceedances}"
            )
        xi, _, beta = stats.genpareto.fit(exc, floc=0.0)
        if not (np.isfinite(xi) and np.isfinite(beta) and beta > 0):
            raise ModelError(f"GPD fit failed on {exc.shape[0]} exceedances (xi={xi}, beta={beta})")
        if xi >= 0.9:
            warnings.warn(
                f"GPD shape xi = {xi:.2f} close to or above 1: ES is unstable or infinite",
                ConvergenceWarning,
                stacklevel=2,
            )
        return EVTParams(garch, u, float(xi), float(beta), exc.shape[0] / x.shape[0], exc.shape[0])

    def _standard_var_es(self, params: EVTParams, levels: Sequence[float]) -> np.ndarray:
        return np.array(
            [
                gpd_tail_var_es(a, params.threshold, params.xi, params.beta, params.tail_fraction)
                for a in levels
            ]
        )

    def _sampler(self, params: EVTParams, base: np.ndarray):
        """Bootstrap of ``base`` (standardised returns) with the loss tail replaced by GPD draws."""
        u, xi, beta = params.threshold, params.xi, params.beta

        def sampler(g: np.random.Generator, shape: tuple[int, ...]) -> np.ndarray:
            z = base[g.integers(0, base.shape[0], size=shape)]
            tail = -z > u
            m = int(tail.sum())
            if m:
                z[tail] = -(u + stats.genpareto.ppf(g.random(m), xi, scale=beta))
            return z

        return sampler

    def forecast(
        self,
        returns: np.ndarray,
        params: EVTParams,
        levels: Sequence[float] = (0.99,),
        horizon: int = 1,
        rng: np.random.Generator | None = None,
    ) -> np.ndarray:
        lv, h = check_call(levels, horizon)
        r = check_window(returns, self.min_obs, type(self).__name__)
        if params.garch is None:
            if h == 1 or self.horizon_method == "sqrt":
                return self._standard_var_es(params, lv) * math.sqrt(h)
            sampler = self._sampler(params, r)
            sums = sampler(default_rng(rng), (self.n_sims, h)).sum(axis=1)
            return weighted_var_es(-sums, None, lv)
        g_params = params.garch
        sigma2, z = standardized(g_params, r)
        if h == 1 or self.horizon_method == "sqrt":
            std = self._standard_var_es(params, lv)
            one = -g_params.mu + math.sqrt(sigma2[-1]) * std
            return sqrt_time_scale(one, g_params.mu, h)
        paths, _ = simulate_paths(
            g_params, r, h, self.n_sims, default_rng(rng), self._sampler(params, z), sigma2=sigma2
        )
        out = weighted_var_es(-paths.sum(axis=1), None, lv)
        if g_params.process.log_variance and params.xi > 0:
            # a Pareto-tailed shock has no exponential moment: E[sigma_(T+2)] is infinite
            infinite_es_warning(f"EVT with {g_params.vol} filter", h)
            out[:, 1] = np.inf
        return out

    def forecast_volatility(self, returns: np.ndarray, params: EVTParams, horizon: int = 1):
        if params.garch is None:
            return float("nan")
        return garch_forecast_volatility(params.garch, returns, horizon)
