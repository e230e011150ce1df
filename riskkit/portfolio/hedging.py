"""Hedge ratios that move with the model, and the cost of keeping a hedge within a band.

* Minimum-variance hedge ratio of a spot position with a hedge instrument (a perpetual, a
  future, a correlated asset): ``h* = Cov(s, f) / Var(f)`` minimises ``Var(s - h f)``
  (Johnson 1960; Ederington 1979). :func:`min_variance_hedge_ratio` is the static sample
  estimate; :func:`dcc_hedge_ratios` the conditional one from a DCC fit,
  ``h_t = rho_t sigma_s,t / sigma_f,t`` (Kroner and Sultan 1993), every input from data up to
  ``t-1``. :func:`hedge_effectiveness` is the share of variance removed.
* Delta hedge of an options book with the underlying's perpetual: the hedge is ``-delta_t`` of
  the book (Black-76, :func:`riskkit.options.book_greeks`) at the volatility the model gives on
  each date (a GARCH forecast, or a constant implied volatility), so the hedge differs between
  models. :func:`delta_hedge_path` computes the book's delta and gamma along a price path.
* :func:`rebalance_at_threshold`: the hedge is only traded when it is more than ``threshold``
  away from its target, each trade costing ``cost_rate`` per USD; a wider band trades less (lower
  cost) and tracks worse (larger hedging error).

References
----------
Ederington, L. (1979), The hedging performance of the new futures markets, *Journal of Finance*
34(1). Kroner, K. and Sultan, J. (1993), Time-varying distributions and dynamic hedging with
foreign currency futures, *Journal of Financial and Quantitative Analysis* 28(4). Whalley, A. E.
and Wilmott, P. (1997), An asymptotic analysis of an optimal hedging model for option pricing
with transaction costs, *Mathematical Finance* 7(3) (hedging bands).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from riskkit.exceptions import ConfigError, DataError
from riskkit.options.scenarios import book_greeks
from riskkit.portfolio.dcc import DCCResult

__all__ = [
    "min_variance_hedge_ratio",
    "dcc_hedge_ratios",
    "hedge_effectiveness",
    "Rebalancing",
    "rebalance_at_threshold",
    "delta_hedge_path",
]


def _pair(spot: pd.Series, hedge: pd.Series) -> pd.DataFrame:
    if not isinstance(spot, pd.Series) or not isinstance(hedge, pd.Series):
        raise DataError("spot and hedge returns must be pandas Series")
    j = pd.concat([spot.rename("s"), hedge.rename("f")], axis=1, join="inner").dropna()
    if len(j) < 20:
        raise DataError(f"spot and hedge returns share {len(j)} dates; need >= 20")
    return j


def min_variance_hedge_ratio(spot: pd.Series, hedge: pd.Series) -> float:
    """Static minimum-variance hedge ratio ``Cov(s, f) / Var(f)`` on the common dates.

    Parameters
    ----------
    spot, hedge : Series
        Returns of the position to hedge and of the hedge instrument.

    Returns
    -------
    float
        Units of hedge notional to sell per unit of spot notional (the OLS slope of ``s`` on
        ``f``).
    """
    j = _pair(spot, hedge)
    c = np.cov(j["s"].to_numpy(), j["f"].to_numpy(), ddof=1)
    if c[1, 1] <= 0:
        raise DataError("hedge returns have zero variance")
    return float(c[0, 1] / c[1, 1])


def dcc_hedge_ratios(result: DCCResult, spot: str, hedge: str) -> pd.Series:
    """Conditional minimum-variance hedge ratios ``rho_t sigma_s,t / sigma_f,t`` from a DCC fit.

    Parameters
    ----------
    result : DCCResult
        Fitted :class:`riskkit.portfolio.DCC`.
    spot, hedge : str
        Column names of the spot asset and the hedge instrument.

    Returns
    -------
    Series
        One ratio per date of the fit; the ratio of date t uses data up to t-1 (the DCC
        parameters are estimated on the whole sample, as in :class:`riskkit.portfolio.DCC`).
    """
    assets = list(result.assets)
    for a in (spot, hedge):
        if a not in assets:
            raise ConfigError(f"{a!r} is not an asset of the DCC fit; assets: {assets}")
    i, j = assets.index(spot), assets.index(hedge)
    rho = result.R[:-1, i, j]
    s_s = result.univariate[spot].sigma.to_numpy(float)
    s_f = result.univariate[hedge].sigma.to_numpy(float)
    return pd.Series(rho * s_s / s_f, index=result.std_resid.index, name=f"h({spot}/{hedge})")


def hedge_effectiveness(spot: pd.Series, hedge: pd.Series, ratio: float | pd.Series) -> float:
    """Share of the spot variance a hedge removes: ``1 - Var(s - h f) / Var(s)``."""
    j = _pair(spot, hedge)
    h = ratio.reindex(j.index) if isinstance(ratio, pd.Series) else float(ratio)
    hedged = j["s"] - h * j["f"]
    if isinstance(hedged, pd.Series):
        hedged = hedged.dropna()
    return float(1.0 - hedged.var(ddof=1) / j["s"].loc[hedged.index].var(ddof=1))


@dataclass(frozen=True)
class Rebalancing:
    """A hedge kept within a band around its target, from :func:`rebalance_at_threshold`.

    Attributes
    ----------
    target, held, trades : Series
        Target hedge, hedge held after each date's decision and the trade made (units of the
        hedge instrument).
    cost : Series
        ``cost_rate x |trade| x price`` in USD.
    tracking : Series
        ``held - target`` (units) after the decision.
    threshold, cost_rate : float
    """

    target: pd.Series
    held: pd.Series
    trades: pd.Series
    cost: pd.Series
    tracking: pd.Series
    threshold: float
    cost_rate: float

    @property
    def n_trades(self) -> int:
        return int((self.trades != 0).sum())

    def summary(self) -> pd.Series:
        return pd.Series(
            {
                "threshold": self.threshold,
                "trades": self.n_trades,
                "total_cost_usd": float(self.cost.sum()),
                "mean_abs_tracking": float(self.tracking.abs().mean()),
                "max_abs_tracking": float(self.tracking.abs().max()),
            },
            name="rebalancing",
        )


def rebalance_at_threshold(
    target: pd.Series, prices: pd.Series, threshold: float, cost_rate: float = 0.0005
) -> Rebalancing:
    """Trade the hedge to its target only when it drifts more than ``threshold`` away.

    Parameters
    ----------
    target : Series
        Target hedge in units of the instrument per date (e.g. ``-delta`` of a book).
    prices : Series
        Price of the hedge instrument on the same dates (USD), for the cost.
    threshold : float
        Largest ``|held - target|`` (units) left untraded; 0 trades every change.
    cost_rate : float
        Cost per USD traded (fee + half spread; 0.0005 = 5 bp).

    Returns
    -------
    Rebalancing
        The first date always trades from 0 to the target.
    """
    if threshold < 0 or cost_rate < 0:
        raise ConfigError("threshold and cost_rate must be >= 0")
    t = pd.Series(target, dtype=float)
    p = pd.Series(prices, dtype=float).reindex(t.index)
    if p.isna().any() or t.isna().any():
        raise DataError("target and prices must be finite on the same dates")
    held = np.empty(len(t))
    trades = np.zeros(len(t))
    cur = 0.0
    for k, tgt in enumerate(t.to_numpy()):
        if k == 0 or abs(cur - tgt) > threshold:
            trades[k] = tgt - cur
            cur = tgt
        held[k] = cur
    idx = t.index
    cost = cost_rate * np.abs(trades) * p.to_numpy()
    return Rebalancing(
        target=t,
        held=pd.Series(held, idx, name="held"),
        trades=pd.Series(trades, idx, name="trade"),
        cost=pd.Series(cost, idx, name="cost"),
        tracking=pd.Series(held - t.to_numpy(), idx, name="tracking"),
        threshold=float(threshold),
        cost_rate=float(cost_rate),
    )


def delta_hedge_path(
    book: pd.DataFrame,
    prices: pd.Series,
    vols: pd.Series | float,
    days_per_year: float = 365.0,
) -> pd.DataFrame:
    """Delta and gamma of an options book along a price path, at the model's volatility.

    Parameters
    ----------
    book : DataFrame
        Position book of :func:`riskkit.options.make_book` (``expiry`` in years at the first
        date).
    prices : Series
        Futures (perpetual) price per date.
    vols : Series or float
        Annualised volatility per date used for every option (a model forecast, e.g. a GARCH
        daily sigma x sqrt(365)), or one constant implied volatility. It replaces the book's
        ``vol`` column.
    days_per_year : float
        Calendar days per year (365: crypto trades every day).

    Returns
    -------
    DataFrame
        Columns ``price``, ``vol``, ``delta`` (coins), ``gamma`` (per USD), ``hedge`` (= -delta,
        perpetual units to hold). Options past expiry are dropped.
    """
    p = pd.Series(prices, dtype=float)
    if not isinstance(p.index, pd.DatetimeIndex):
        raise DataError("prices must have a DatetimeIndex")
    v = (
        pd.Series(float(vols), index=p.index)
        if np.isscalar(vols)
        else pd.Series(vols, dtype=float).reindex(p.index)
    )
    if v.isna().any() or (v <= 0).any():
        raise DataError("vols must be positive on every date of prices")
    if "expiry" not in book.columns:
        raise DataError("book has no option (no 'expiry' column): its delta is its quantity")
    elapsed = (p.index - p.index[0]) / pd.Timedelta(days=1) / days_per_year
    rows = []
    for k, (date, price) in enumerate(p.items()):
        live = book.assign(expiry=book["expiry"] - elapsed[k], vol=v.iloc[k])
        opt = live["instrument"] != "future"
        live = live[~opt | (live["expiry"] > 1e-9)]
        g = book_greeks(live, float(price))
        rows.append(
            {
                "date": date,
                "price": price,
                "vol": v.iloc[k],
                "delta": g["delta"],
                "gamma": g["gamma"],
            }
        )
    out = pd.DataFrame(rows).set_index("date")
    out["hedge"] = -out["delta"]
    return out
