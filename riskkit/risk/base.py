"""The estimator protocol shared by riskkit.risk, riskkit.volatility and riskkit.backtest.

A :class:`RiskEstimator` is a small spec object (like an ``arch`` model spec): it holds settings,
never data. Estimation is split in two so that the rolling engine can refit rarely and filter
cheaply in between:

* :meth:`RiskEstimator.fit` estimates parameters from a window of past returns (the expensive
  step: an optimiser for GARCH, nothing for historical simulation). It accepts the previous fit as
  a warm start.
* :meth:`RiskEstimator.forecast` uses fixed parameters and the same or a longer window of past
  returns to forecast VaR and ES of the loss over the next ``horizon`` periods.

Both take plain numpy arrays so that the rolling engine's hot loop does not pay for pandas;
:meth:`RiskEstimator.estimate` is the pandas-in, pandas-out convenience for one date.

Sign convention: returns are positive for gains; VaR and ES are positive loss numbers.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from riskkit._validation import as_return_series, check_horizon, check_levels

__all__ = ["RiskEstimator", "RiskForecast"]


@dataclass(frozen=True)
class RiskForecast:
    """VaR and ES of the loss over the next ``horizon`` periods, at one or more levels.

    Attributes
    ----------
    table : pandas.DataFrame
        Index: confidence level (float); columns ``var`` and ``es`` (positive losses, fractions).
    horizon : int
        Number of observation periods the loss is measured over.
    method : str
        Name of the estimator that produced it.
    volatility : float or None
        Forecast standard deviation of the horizon return where the method has one.
    info : dict
        Method-specific extras (e.g. fitted parameters, fallback used).
    """

    table: pd.DataFrame
    horizon: int
    method: str
    volatility: float | None = None
    info: dict[str, Any] = field(default_factory=dict)

    def var(self, level: float) -> float:
        """VaR at ``level`` (positive loss)."""
        return float(self.table.loc[level, "var"])

    def es(self, level: float) -> float:
        """Expected Shortfall at ``level`` (positive loss)."""
        return float(self.table.loc[level, "es"])


class RiskEstimator(ABC):
    """Base class of VaR/ES estimators.

    Subclasses set ``name`` and ``min_obs`` and implement :meth:`forecast`; parametric models also
    override :meth:`fit`.
    """

    name: str = "estimator"
    #: fewest returns a window may hold; fit/forecast raise riskkit.ModelError/DataError below it
    min_obs: int = 2

    def fit(self, returns: np.ndarray, warm_start: Any | None = None) -> Any:
        """Estimate parameters from past ``returns`` (1-d float array, oldest first).

        Parameters
        ----------
        returns : numpy.ndarray
            Past returns, oldest first, no NaN.
        warm_start : object, optional
            The value a previous call to ``fit`` returned, to start the optimiser from.

        Returns
        -------
        object
            Whatever :meth:`forecast` needs as ``params``; ``None`` for non-parametric methods.
        """
        return None

    @abstractmethod
    def forecast(
        self,
        returns: np.ndarray,
        params: Any,
        levels: Sequence[float],
        horizon: int = 1,
        rng: np.random.Generator | None = None,
    ) -> np.ndarray:
        """Forecast VaR and ES of the loss over the ``horizon`` periods after the last return.

        Parameters
        ----------
        returns : numpy.ndarray
            Past returns up to and including the last observed period, oldest first.
        params : object
            Output of :meth:`fit` (possibly from an earlier, shorter window).
        levels : sequence of float
            Confidence levels in (0, 1).
        horizon : int
            Number of periods.
        rng : numpy.random.Generator, optional
            Source of randomness for simulation-based methods.

        Returns
        -------
        numpy.ndarray
            Shape ``(len(levels), 2)``: column 0 VaR, column 1 ES, positive losses.
        """

    def forecast_volatility(self, returns: np.ndarray, params: Any, horizon: int = 1) -> float:
        """Standard deviation of the next ``horizon``-period return; NaN where undefined."""
        return float("nan")

    def estimate(
        self,
        returns: pd.Series | np.ndarray,
        levels: float | Sequence[float] = 0.99,
        horizon: int = 1,
        seed: int | None = None,
    ) -> RiskForecast:
        """Fit on all of ``returns`` and forecast the next ``horizon`` periods.

        Parameters
        ----------
        returns : pandas.Series or array
            Past returns (fractions, oldest first).
        levels : float or sequence of float
            Confidence level(s) in (0, 1).
        horizon : int
            Number of periods ahead.
        seed : int, optional
            Seed for simulation-based methods.

        Returns
        -------
        RiskForecast
        """
        lv = check_levels(levels)
        h = int(check_horizon(horizon))
        series = as_return_series(returns, min_obs=self.min_obs)
        arr = series.to_numpy(dtype=float)
        params = self.fit(arr)
        rng = np.random.default_rng(seed)
        out = np.asarray(self.forecast(arr, params, lv, h, rng), dtype=float)
        table = pd.DataFrame(out, index=pd.Index(lv, name="level"), columns=["var", "es"])
        vol = self.forecast_volatility(arr, params, h)
        return RiskForecast(
            table=table,
            horizon=h,
            method=self.name,
            volatility=None if not np.isfinite(vol) else vol,
            info={"params": params},
        )

    def __repr__(self) -> str:
        settings = ", ".join(f"{k}={v!r}" for k, v in vars(self).items() if not k.startswith("_"))
        return f"{type(self).__name__}({settings})"
