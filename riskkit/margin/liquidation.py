"""Liquidation penalty and insurance-fund sizing.

When an account's equity falls to its maintenance margin the venue closes the position. Closing
takes time (minutes to hours) and moves the price, so the position is closed at a worse price
than the trigger: the *liquidation slippage*. The **liquidation penalty** (a fee on the notional
of liquidated positions, paid from the remaining maintenance margin into the insurance fund) is
sized to cover that slippage in a chosen fraction of liquidations. The **insurance fund** absorbs
what the maintenance margin and penalty do not: the loss of accounts whose equity goes negative
before the position is closed.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from riskkit._validation import as_return_series, check_horizon, check_level
from riskkit.exceptions import ConfigError, DataError
from riskkit.margin.rates import round_rate

__all__ = ["liquidation_penalty", "InsuranceFundResult", "insurance_fund"]


def liquidation_penalty(
    returns: pd.Series,
    liquidation_hours: float = 1.0,
    confidence: float = 0.95,
    impact: float = 0.0,
    window: int | None = None,
    rounding_step: float | None = 0.0005,
) -> float:
    """Penalty rate covering liquidation slippage in ``confidence`` of liquidations.

    Parameters
    ----------
    returns : Series
        Daily log returns.
    liquidation_hours : float
        Time the liquidation engine needs to close a position.
    confidence : float
        Fraction of liquidations whose slippage the penalty covers.
    impact : float
        Market-impact cost of closing the position (fraction of notional; see
        :func:`riskkit.margin.tiers.liquidity_addon`).
    window : int, optional
        Use only the last ``window`` returns.
    rounding_step : float or None

    Returns
    -------
    float
        The ``confidence`` quantile of the adverse move over the liquidation time, over both sides
        (``1 - exp(r sqrt(tau))`` for longs and ``exp(r sqrt(tau)) - 1`` for shorts, ``tau`` in
        days), plus ``impact``, rounded up.

    Notes
    -----
    Daily returns are scaled to the liquidation time by the square root of time; this understates
    intraday jump risk, which the insurance fund (:func:`insurance_fund`) is there to absorb.
    """
    r = as_return_series(returns, min_obs=20)
    tau = check_horizon(liquidation_hours, "liquidation_hours", integer=False) / 24.0
    q = check_level(confidence, "confidence")
    if impact < 0:
        raise ConfigError(f"impact must be >= 0, got {impact!r}")
    x = r.to_numpy()[-int(window) :] if window else r.to_numpy()
    scaled = x * np.sqrt(tau)
    adverse = np.concatenate([-np.expm1(scaled), np.expm1(scaled)])
    fee = float(np.quantile(adverse, q)) + float(impact)
    return float(round_rate(max(fee, 0.0), rounding_step, cap=1.0))


@dataclass(frozen=True)
class InsuranceFundResult:
    """Outcome of :func:`insurance_fund`.

    Attributes
    ----------
    required : float
        Fund (fraction of open interest) that covers the simulated worst cumulative deficit over
        ``n_days`` with probability ``confidence``.
    worst_day : float
        ``confidence`` quantile of the single worst day's net deficit.
    annual_deficits : numpy.ndarray
        Worst cumulative drawdown of the fund in each simulated path.
    daily_flows : pandas.DataFrame
        Mean per-day penalty income, deficits and liquidated notional (fractions of open interest).
    confidence, n_sims, n_days, seed : as given
    statement : str
        Capital-adequacy statement in words.
    """

    required: float
    worst_day: float
    annual_deficits: np.ndarray
    daily_flows: pd.DataFrame
    confidence: float
    n_sims: int
    n_days: int
    seed: int
    statement: str


def _excursions(ohlcv: pd.DataFrame) -> np.ndarray:
    cols = {"open", "high", "low"}
    if not cols <= set(ohlcv.columns):
        raise DataError(f"ohlcv needs columns {sorted(cols)}, got {list(ohlcv.columns)}")
    o, hi, lo = (ohlcv[c].to_numpy(float) for c in ("open", "high", "low"))
    ok = np.isfinite(o) & np.isfinite(hi) & np.isfinite(lo) & (o > 0) & (lo > 0) & (hi >= lo)
    if ok.sum() < 20:
        raise DataError(f"ohlcv has only {int(ok.sum())} usable bars; need >= 20")
    # adverse move from the open within the day: longs lose on the low, shorts on the high
    long_exc = np.clip(1.0 - lo[ok] / o[ok], 0, 1)
    short_exc = np.clip(hi[ok] / o[ok] - 1.0, 0, None)
    return np.column_stack([long_exc, short_exc])


def insurance_fund(
    ohlcv: pd.DataFrame,
    mm_rate: float,
    penalty: float,
    leverage: Sequence[float] = (2, 5, 10, 20, 50),
    weights: Sequence[float] | None = None,
    liquidation_hours: float = 1.0,
    impact: float = 0.0,
    n_sims: int = 500,
    n_days: int = 365,
    block: int = 10,
    confidence: float = 0.99,
    seed: int = 0,
) -> InsuranceFundResult:
    """Size an insurance fund by simulating a year of liquidations (seeded block bootstrap).

    Parameters
    ----------
    ohlcv : DataFrame
        Daily bars with ``open``, ``high``, ``low``; days are resampled in blocks of ``block``
        consecutive days so that volatility clusters survive the resampling.
    mm_rate : float
        Maintenance margin rate.
    penalty : float
        Liquidation penalty rate (income of the fund, taken from the remaining margin).
    leverage : sequence of float
        Leverage buckets of the open interest; equity of an account is ``1 / leverage`` of its
        notional. Leverage above ``1 / mm_rate`` is rejected.
    weights : sequence of float, optional
        Share of open interest in each bucket (default equal), split equally long and short.
    liquidation_hours : float
        Time to close a liquidated position.
    impact : float
        Market impact of the close (fraction of notional).
    n_sims, n_days, block : int
        Simulated paths, days per path, bootstrap block length.
    confidence : float
        Confidence of the fund size.
    seed : int

    Returns
    -------
    InsuranceFundResult

    Notes
    -----
    Each day, an account of leverage ``L`` on side ``s`` is liquidated when the day's adverse
    excursion from the open (``1 - low/open`` for longs, ``high/open - 1`` for shorts) reaches
    ``1/L - mm_rate``: its equity has fallen to the maintenance margin. The close then suffers a
    slippage ``min(e - trigger, e sqrt(tau)) + impact``: the price keeps moving against the
    position while the engine works (``e sqrt(tau)``, Brownian scaling of the day's adverse
    excursion ``e`` to the liquidation time ``tau`` in days), but not beyond the day's extreme. The fund receives the penalty
    out of what remains of the maintenance margin, ``min(penalty, max(mm - slip, 0))``, and pays
    the deficit ``max(slip - mm, 0)``. Liquidated accounts are replaced by new ones with the same
    leverage (a stationary open interest). The fund must cover the worst running drawdown of its
    cumulative flows over the year. The excursion is measured from the day's open, so an account
    opened at the previous close is assumed; this is a stylised model for sizing, not a forecast.
    """
    mm = float(mm_rate)
    if not 0 < mm < 1:
        raise ConfigError(f"mm_rate must lie in (0, 1), got {mm_rate!r}")
    if penalty < 0 or impact < 0:
        raise ConfigError("penalty and impact must be >= 0")
    lev = np.asarray(leverage, dtype=float)
    if lev.ndim != 1 or lev.size == 0 or np.any(lev <= 0):
        raise ConfigError(f"leverage must be positive numbers, got {list(leverage)!r}")
    if np.any(1.0 / lev <= mm):
        raise ConfigError(
            f"leverage {lev[1.0 / lev <= mm].tolist()} leaves equity at or below the maintenance "
            f"margin {mm:g}; the largest allowed is {1 / mm:g}"
        )
    w = np.full(lev.size, 1.0 / lev.size) if weights is None else np.asarray(weights, float)
    if w.shape != lev.shape or np.any(w < 0) or not np.isclose(w.sum(), 1.0):
        raise ConfigError("weights must be non-negative, one per leverage bucket, summing to 1")
    q = check_level(confidence, "confidence")
    tau = check_horizon(liquidation_hours, "liquidation_hours", integer=False) / 24.0
    if n_sims < 1 or n_days < 1 or block < 1:
        raise ConfigError("n_sims, n_days and block must be >= 1")
    exc = _excursions(ohlcv)
    n_obs = len(exc)
    rng = np.random.default_rng(np.random.SeedSequence(seed))
    n_blocks = -(-n_days // block)
    starts = rng.integers(0, max(n_obs - block, 0) + 1, size=(n_sims, n_blocks))
    idx = (starts[:, :, None] + np.arange(block)[None, None, :]).reshape(n_sims, -1)[:, :n_days]
    idx = np.minimum(idx, n_obs - 1)
    path = exc[idx]  # (n_sims, n_days, 2)
    trigger = 1.0 / lev - mm  # (K,)
    hit = path[..., None] >= trigger  # (n_sims, n_days, 2, K)
    # slippage per (sim, day, side, bucket): the rest of the day's excursion, at most e sqrt(tau)
    beyond = np.maximum(path[..., None] - trigger, 0.0)
    slip = np.minimum(beyond, (path * np.sqrt(tau))[..., None]) + impact
    income = np.minimum(penalty, np.maximum(mm - slip, 0.0)) * hit
    deficit = np.maximum(slip - mm, 0.0) * hit
    share = 0.5 * w  # half of each bucket long, half short
    flow = ((income - deficit) * share).sum(axis=(2, 3))  # (n_sims, n_days), fraction of OI
    cum = np.cumsum(flow, axis=1)
    drawdown = np.maximum.accumulate(np.maximum(cum, 0.0), axis=1) - cum
    worst = np.maximum(drawdown.max(axis=1), 0.0)
    required = float(np.quantile(worst, q))
    worst_day = float(np.quantile(np.maximum(-flow, 0.0).max(axis=1), q))
    flows = pd.DataFrame(
        {
            "penalty_income": (income * share).sum(axis=(2, 3)).mean(axis=0),
            "deficit": (deficit * share).sum(axis=(2, 3)).mean(axis=0),
            "liquidated_notional": (hit * share).sum(axis=(2, 3)).mean(axis=0),
        },
        index=pd.RangeIndex(n_days, name="day"),
    )
    statement = (
        f"A fund of {required:.4%} of open interest absorbs the worst cumulative deficit of "
        f"the year in {q:.1%} of {n_sims} simulated years (maintenance margin {mm:.2%}, "
        f"penalty {penalty:.2%}, liquidation in {tau * 1440:g} min); the worst single day needs "
        f"{worst_day:.4%} at the same confidence. Mean yearly penalty income "
        f"{flows['penalty_income'].sum():.4%} and deficits {flows['deficit'].sum():.4%} of "
        "open interest."
    )
    return InsuranceFundResult(
        required=required,
        worst_day=worst_day,
        annual_deficits=worst,
        daily_flows=flows,
        confidence=q,
        n_sims=int(n_sims),
        n_days=int(n_days),
        seed=int(seed),
        statement=statement,
    )
