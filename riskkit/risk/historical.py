"""Historical simulation: plain, age-weighted (BRW) and filtered (FHS, Barone-Adesi et al.)."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any, Literal

import numpy as np

from riskkit.exceptions import ConfigError
from riskkit.risk._common import (
    check_call,
    check_choice,
    check_window,
    default_rng,
    sqrt_time_scale,
)
from riskkit.risk._garch_based import (
    GarchFiltered,
    simulate_paths,
    standardized,
)
from riskkit.risk.base import RiskEstimator
from riskkit.risk.closed_form import weighted_var_es
from riskkit.volatility.garch import GarchSpec
from riskkit.volatility.recursion import GarchParams

__all__ = ["HistoricalSimulation", "FilteredHistoricalSimulation"]


class HistoricalSimulation(RiskEstimator):
    """Historical simulation: VaR/ES of the empirical distribution of past losses.

    Parameters
    ----------
    age_weight : float, optional
        ``None`` (equal weights) or the decay ``lambda`` in (0, 1) of Boudoukh, Richardson &
        Whitelaw (1998): the return ``i`` periods old gets probability
        ``lambda^i (1 - lambda) / (1 - lambda^n)``. Typical values 0.97-0.99.
    horizon_method : {"sqrt", "overlapping"}
        Multi-period VaR: ``"sqrt"`` scales the one-period VaR/ES by ``sqrt(h)`` (exact only for
        i.i.d. normal returns with zero mean: the empirical distribution has no separate mean
        parameter, so its drift is scaled by ``sqrt(h)`` too, not by ``h``); ``"overlapping"`` uses the empirical distribution of overlapping
        h-period sums in the window (no scaling assumption, but only ``n - h + 1`` strongly
        dependent scenarios).
    min_obs : int
        Fewest returns in a window (default 250: a 99% VaR then rests on 2-3 tail points).

    Notes
    -----
    VaR is the lower empirical quantile of the losses and ES the exact tail average of the
    empirical quantile function (see :func:`riskkit.risk.weighted_var_es`). ``fit`` does
    nothing: the estimate is a function of the window only.

    References
    ----------
    Boudoukh, J., Richardson, M., & Whitelaw, R. (1998). The best of both worlds. Risk 11(5),
    64-67.
    """

    name = "historical"

    def __init__(
        self,
        age_weight: float | None = None,
        horizon_method: Literal["sqrt", "overlapping"] = "sqrt",
        min_obs: int = 250,
    ) -> None:
        if age_weight is not None and not 0.0 < float(age_weight) < 1.0:
            raise ConfigError(f"age_weight must be None or in (0, 1), got {age_weight!r}")
        check_choice(horizon_method, ("sqrt", "overlapping"), "horizon_method")
        if int(min_obs) < 2:
            raise ConfigError(f"min_obs must be >= 2, got {min_obs!r}")
        self.age_weight = None if age_weight is None else float(age_weight)
        self.horizon_method = horizon_method
        self.min_obs = int(min_obs)
        if age_weight is not None:
            self.name = f"historical_brw{age_weight:g}"

    def _weights(self, n: int) -> np.ndarray | None:
        if self.age_weight is None:
            return None
        lam = self.age_weight
        age = np.arange(n - 1, -1, -1, dtype=float)  # last return has age 0
        return lam**age * (1.0 - lam) / (1.0 - lam**n)

    def fit(self, returns: np.ndarray, warm_start: Any | None = None) -> None:
        """Nothing to estimate; validates the window so that errors surface at fit time."""
        check_window(returns, self.min_obs, type(self).__name__)
        return None

    def forecast(
        self,
        returns: np.ndarray,
        params: Any = None,
        levels: Sequence[float] = (0.99,),
        horizon: int = 1,
        rng: np.random.Generator | None = None,
    ) -> np.ndarray:
        lv, h = check_call(levels, horizon)
        r = check_window(returns, self.min_obs, type(self).__name__)
        if h == 1 or self.horizon_method == "sqrt":
            out = weighted_var_es(-r, self._weights(r.shape[0]), lv)
            return out * math.sqrt(h)
        if r.shape[0] - h + 1 < 2:
            raise ConfigError(f"horizon {h} leaves fewer than 2 overlapping sums in the window")
        sums = np.convolve(r, np.ones(h), mode="valid")
        return weighted_var_es(-sums, self._weights(sums.shape[0]), lv)


class FilteredHistoricalSimulation(GarchFiltered):
    """Filtered historical simulation (Barone-Adesi, Giannopoulos & Vosper 1999; Hull & White
    1998): past standardised GARCH residuals rescaled by the forecast volatility.

    Parameters
    ----------
    spec : GarchSpec, optional
        Volatility filter; default ``GarchSpec("GJR", dist="t")``. The innovation distribution
        only affects the parameter estimates; the scenarios are the empirical residuals.
    horizon_method : {"simulate", "sqrt"}
        Multi-period: ``"simulate"`` bootstraps residuals through the GARCH recursion for h
        steps (volatility feedback kept: a loss on day 1 raises day 2's variance);
        ``"sqrt"``: square-root-of-time rule, mean ``h mu`` and the residual part of the
        one-period VaR/ES scaled by ``sqrt(h)`` (see ``riskkit.risk._common.sqrt_time_scale``).
    n_sims : int
        Simulated paths for ``horizon_method="simulate"``.

    Notes
    -----
    One period: with ``z_t = (r_t - mu) / sigma_t`` filtered through the whole window with the
    fixed parameters, the scenarios are ``mu + sigma_{T+1} z_t`` and VaR/ES their empirical
    loss quantile / tail average. The parameters may come from an earlier fit (the rolling
    engine refits rarely); the filter is re-run on the current window at every forecast.

    References
    ----------
    Barone-Adesi, G., Giannopoulos, K., & Vosper, L. (1999). VaR without correlations for
    portfolios of derivative securities. Journal of Futures Markets 19(5), 583-602.
    """

    name = "fhs"

    def __init__(
        self,
        spec: GarchSpec | None = None,
        horizon_method: Literal["simulate", "sqrt"] = "simulate",
        n_sims: int = 10_000,
    ) -> None:
        self._setup(spec, horizon_method, ("simulate", "sqrt"), n_sims)

    def forecast(
        self,
        returns: np.ndarray,
        params: GarchParams,
        levels: Sequence[float] = (0.99,),
        horizon: int = 1,
        rng: np.random.Generator | None = None,
    ) -> np.ndarray:
        lv, h = check_call(levels, horizon)
        r = check_window(returns, self.min_obs, type(self).__name__)
        sigma2, z = standardized(params, r)
        if h == 1 or self.horizon_method == "sqrt":
            losses = -(params.mu + math.sqrt(sigma2[-1]) * z)
            return sqrt_time_scale(weighted_var_es(losses, None, lv), params.mu, h)
        g = default_rng(rng)

        def sampler(gen: np.random.Generator, shape: tuple[int, ...]) -> np.ndarray:
            return z[gen.integers(0, z.shape[0], size=shape)]

        paths, _ = simulate_paths(params, r, h, self.n_sims, g, sampler, sigma2=sigma2)
        return weighted_var_es(-paths.sum(axis=1), None, lv)
