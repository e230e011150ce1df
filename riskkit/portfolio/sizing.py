"""Variance scaling: position-size limits that hold a portfolio's forecast risk at a target.

Given base positions ``x`` (USD notionals) and a covariance forecast ``Sigma_t`` of daily
returns, the forecast risk of the book is ``rho(x) = sqrt(x' Sigma_t x)`` (volatility), or the
normal VaR/ES ``k_alpha sqrt(x' Sigma_t x)``. Every such measure is positively homogeneous, so
the scale ``lambda_t = target / rho_t(x)`` gives positions ``lambda_t x`` whose forecast risk is
exactly the target: the position-size limits of a risk-weighted margin (a venue caps the
notional a member may hold so that its margin, a risk measure, stays at its budget).

Positions are not changed every day: they are rebalanced only when the *position sizing error*
``e_t = rho_t(x_held) / target - 1`` of yesterday's positions under today's forecast (the
``drift``) leaves ``[-threshold, threshold]``, at a cost of
``cost_rate`` per USD traded. :func:`variance_scaling` returns the held and target positions,
the sizing error, the rebalancing cost and the realised P&L of the held book; the realised P&L
divided by the target is a check of the covariance model (its standard deviation is 1 when the
forecasts are right, for the volatility target).

Covariance forecasts come from :func:`riskkit.portfolio.ewma_covariance`, from a DCC fit
(:func:`dcc_covariances`), or any ``(T, N, N)`` array whose entry ``t`` uses data up to ``t-1``.

References
----------
Moreira, A. and Muir, T. (2017), Volatility-managed portfolios, *Journal of Finance* 72(4).
Engle, R. (2002), Dynamic conditional correlation, *Journal of Business & Economic Statistics*
20(3).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from riskkit._validation import check_level
from riskkit.exceptions import ConfigError, DataError
from riskkit.portfolio.dcc import DCCResult
from riskkit.risk.closed_form import normal_var_es

__all__ = [
    "RISK_MEASURES",
    "dcc_covariances",
    "risk_multiplier",
    "forecast_risk",
    "VarianceScaling",
    "variance_scaling",
]

RISK_MEASURES = ("vol", "var", "es")


def risk_multiplier(measure: str = "vol", level: float = 0.99) -> float:
    """Factor ``k`` with risk = ``k sqrt(x' Sigma x)`` for a zero-mean normal P&L.

    ``vol``: 1; ``var``: ``Phi^-1(level)``; ``es``: ``phi(Phi^-1(level)) / (1 - level)``
    (McNeil, Frey and Embrechts 2015, example 2.14).
    """
    if measure not in RISK_MEASURES:
        raise ConfigError(f"measure must be one of {RISK_MEASURES}, got {measure!r}")
    if measure == "vol":
        return 1.0
    var, es = normal_var_es(check_level(level))
    return float(var if measure == "var" else es)


def dcc_covariances(result: DCCResult) -> np.ndarray:
    """Covariance forecasts ``D_t R_t D_t`` of a DCC fit, shape ``(T + 1, N, N)``.

    Entry ``t`` uses data up to ``t - 1`` (the conditional volatilities of the univariate
    filters and the DCC correlation ``R_t``); the last entry is the next-day forecast.
    """
    sig = np.column_stack(
        [
            np.append(f.sigma.to_numpy(float), f.next_sigma)
            for f in (result.univariate[c] for c in result.assets)
        ]
    )
    return result.R * sig[:, :, None] * sig[:, None, :]


def _check_cov(cov: np.ndarray, n: int) -> np.ndarray:
    c = np.asarray(cov, dtype=float)
    if c.ndim == 2:
        c = c[None]
    if c.ndim != 3 or c.shape[1:] != (n, n):
        raise DataError(f"covariance forecasts must have shape (T, {n}, {n}), got {c.shape}")
    if not np.isfinite(c).all():
        bad = np.flatnonzero(~np.isfinite(c).all(axis=(1, 2)))[:5]
        raise DataError(f"covariance forecasts are not finite at positions {bad.tolist()}")
    return c


def forecast_risk(
    positions: np.ndarray, cov: np.ndarray, measure: str = "vol", level: float = 0.99
) -> np.ndarray:
    """Forecast risk ``k sqrt(x_t' Sigma_t x_t)`` in USD for each date.

    Parameters
    ----------
    positions : array, shape (N,) or (T, N)
        USD notionals (one book for every date, or one per date).
    cov : array, shape (T, N, N) or (N, N)
        Covariance forecasts of daily (log) returns.
    measure, level
        See :func:`risk_multiplier`.
    """
    x = np.asarray(positions, dtype=float)
    n = x.shape[-1]
    c = _check_cov(cov, n)
    xs = np.broadcast_to(x, (c.shape[0], n))
    var = np.einsum("ti,tij,tj->t", xs, c, xs)
    return risk_multiplier(measure, level) * np.sqrt(np.maximum(var, 0.0))


@dataclass(frozen=True)
class VarianceScaling:
    """Positions scaled to a risk target, from :func:`variance_scaling`.

    Attributes
    ----------
    target : float
        Target risk in USD.
    measure : str
        ``vol``, ``var`` or ``es`` (normal, zero mean), at ``level``.
    level : float
    base_risk : Series
        Forecast risk of the base positions per date.
    scale : Series
        ``target / base_risk`` (capped at ``max_scale``).
    limits : DataFrame
        Position-size limits ``scale_t x`` per date and asset (USD).
    held : DataFrame
        Positions actually held: the limits, updated only when the sizing error leaves the band.
    drift : Series
        ``forecast_risk(x_{t-1}) / target - 1``: the error of yesterday's positions under
        today's forecast, before the rebalancing decision (what the band is compared with).
    sizing_error : Series
        ``forecast_risk(held_t) / target - 1``: the position sizing error of the positions
        actually held on date t (0 on rebalancing dates, the drift otherwise).
    rebalanced : Series
        True on dates the held positions were reset to the limits.
    cost : Series
        Cost of each rebalancing, ``cost_rate x sum |trade|`` (USD).
    pnl : Series
        P&L of the held positions over each date (``held_t . r_t``, simple returns ``exp(r)-1``).
    threshold, cost_rate : float
    """

    target: float
    measure: str
    level: float
    base_risk: pd.Series
    scale: pd.Series
    limits: pd.DataFrame
    held: pd.DataFrame
    drift: pd.Series
    sizing_error: pd.Series
    rebalanced: pd.Series
    cost: pd.Series
    pnl: pd.Series
    threshold: float
    cost_rate: float

    @property
    def realised_ratio(self) -> float:
        """Standard deviation of ``pnl / (target / k)``: 1 when the forecasts are right."""
        k = risk_multiplier(self.measure, self.level)
        return float((self.pnl / (self.target / k)).std(ddof=1))

    def summary(self) -> pd.Series:
        """Target, mean and largest absolute sizing error, rebalancing count and cost."""
        return pd.Series(
            {
                "target_usd": self.target,
                "measure": self.measure,
                "level": self.level,
                "threshold": self.threshold,
                "mean_abs_sizing_error": float(self.sizing_error.abs().mean()),
                "max_abs_sizing_error": float(self.sizing_error.abs().max()),
                "rebalances": int(self.rebalanced.sum()),
                "total_cost_usd": float(self.cost.sum()),
                "realised_over_target": self.realised_ratio,
            },
            name="variance_scaling",
        )


def variance_scaling(
    base_positions: pd.Series,
    cov: np.ndarray,
    returns: pd.DataFrame,
    target: float,
    measure: str = "vol",
    level: float = 0.99,
    threshold: float = 0.0,
    cost_rate: float = 0.0,
    max_scale: float = np.inf,
) -> VarianceScaling:
    """Scale a book to a forecast-risk target each date, rebalancing outside a band.

    Parameters
    ----------
    base_positions : Series
        USD notionals per asset (the mix; only their ratios matter), indexed like
        ``returns.columns``.
    cov : array, shape (T, N, N)
        Covariance forecasts for the dates of ``returns`` (entry t from data up to t-1), e.g.
        ``ewma_covariance(returns)[:-1]`` or ``dcc_covariances(res)[:-1]``.
    returns : DataFrame
        Daily log returns (T x N) realised on those dates (for the P&L check).
    target : float
        Target risk in USD (volatility, VaR or ES of the daily P&L).
    measure : {"vol", "var", "es"}
    level : float
    threshold : float
        Band of the sizing error within which positions are left unchanged (0: rebalance daily).
    cost_rate : float
        Cost per USD traded (fee plus half spread, a fraction).
    max_scale : float
        Cap on the scale (a leverage limit).

    Returns
    -------
    VarianceScaling

    Raises
    ------
    DataError
        If the shapes or assets disagree or a forecast is not finite.
    ConfigError
        On a non-positive target or a negative threshold or cost.
    """
    if not isinstance(returns, pd.DataFrame):
        raise DataError("returns must be a DataFrame of aligned daily log returns")
    x = pd.Series(base_positions, dtype=float)
    if list(x.index) != list(returns.columns):
        raise DataError(
            f"base_positions assets {list(x.index)} differ from the returns columns "
            f"{list(returns.columns)}"
        )
    c = _check_cov(cov, x.size)
    if c.shape[0] != len(returns):
        raise DataError(f"{c.shape[0]} covariance forecasts for {len(returns)} dates of returns")
    if not target > 0:
        raise ConfigError(f"target must be > 0 (USD), got {target!r}")
    if threshold < 0 or cost_rate < 0 or not max_scale > 0:
        raise ConfigError("threshold and cost_rate must be >= 0 and max_scale > 0")
    idx = returns.index
    base = forecast_risk(x.to_numpy(), c, measure, level)
    with np.errstate(divide="ignore"):
        scale = np.minimum(target / base, max_scale)
    limits = scale[:, None] * x.to_numpy()[None, :]
    held = np.empty_like(limits)
    err = np.empty(len(idx))
    drift = np.empty(len(idx))
    reb = np.zeros(len(idx), dtype=bool)
    cost = np.zeros(len(idx))
    cur = limits[0].copy()
    reb[0] = True
    k = risk_multiplier(measure, level)
    for t in range(len(idx)):
        drift[t] = k * np.sqrt(max(float(cur @ c[t] @ cur), 0.0)) / target - 1.0
        if t == 0 or abs(drift[t]) > threshold:
            cost[t] = cost_rate * np.abs(limits[t] - cur).sum() if t > 0 else 0.0
            cur = limits[t].copy()
            reb[t] = True
        held[t] = cur
        err[t] = k * np.sqrt(max(float(cur @ c[t] @ cur), 0.0)) / target - 1.0
    simple = np.expm1(returns.to_numpy(float))
    cols = returns.columns
    return VarianceScaling(
        target=float(target),
        measure=measure,
        level=float(level),
        base_risk=pd.Series(base, idx, name="base_risk"),
        scale=pd.Series(scale, idx, name="scale"),
        limits=pd.DataFrame(limits, idx, cols),
        held=pd.DataFrame(held, idx, cols),
        drift=pd.Series(drift, idx, name="drift"),
        sizing_error=pd.Series(err, idx, name="sizing_error"),
        rebalanced=pd.Series(reb, idx, name="rebalanced"),
        cost=pd.Series(cost, idx, name="cost"),
        pnl=pd.Series((held * simple).sum(axis=1), idx, name="pnl"),
        threshold=float(threshold),
        cost_rate=float(cost_rate),
    )
