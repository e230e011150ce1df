"""Position-size tiers (risk-limit brackets) with a liquidity add-on.

A large position cannot be closed in minutes: liquidating notional ``N`` at a participation rate
``p`` of the average daily traded value ``ADV`` takes ``D = N / (p ADV)`` days, during which the
remaining position is exposed to the market, and selling it moves the price against the seller.
:func:`tier_table` turns these two effects into a bracket table of the kind Binance publishes:
notional floor and cap, initial and maintenance margin rates, maximum leverage, and the
*maintenance amount* that keeps the maintenance margin continuous across tiers.

References
----------
Almgren, R., Thum, C., Hauptmann, E. and Li, H. (2005), "Direct estimation of equity market
impact", *Risk* 18(7): temporary impact grows like the traded fraction of volume to the power
3/5 (they reject the pure square root on US equities); riskkit uses the square root, which is
close and is the form the later, larger studies support.
Tóth, B., Lempérière, Y., Deremble, C., de Lataillade, J., Kockelkoren, J. and Bouchaud, J.-P.
(2011), "Anomalous price impact and the critical nature of liquidity in financial markets",
*Physical Review X* 1, 021006: impact ``Y sigma sqrt(Q / V)`` with ``Y`` of order one.
Almgren, R. and Chriss, N. (2000), "Optimal execution of portfolio transactions", *Journal of
Risk* 3(2): a linear liquidation over ``D`` days carries the price variance of ``D / 3`` days.
Binance (2025-08-19), announcement of USD-M perpetual leverage and margin tiers (BTCUSDT).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from riskkit.exceptions import ConfigError
from riskkit.margin.rates import max_leverage, round_rate

__all__ = [
    "DEFAULT_BRACKETS",
    "maintenance_amounts",
    "maintenance_margin",
    "LiquidityAddon",
    "liquidity_addon",
    "tier_table",
    "check_brackets",
]

#: notional boundaries (USD) of the default brackets; last cap is the largest position allowed
DEFAULT_BRACKETS: tuple[float, ...] = (
    0.0,
    250_000.0,
    1_000_000.0,
    5_000_000.0,
    20_000_000.0,
    50_000_000.0,
    100_000_000.0,
)


def check_brackets(boundaries: Sequence[float], name: str = "tier boundaries") -> np.ndarray:
    """Validate bracket boundaries: start at 0, strictly increasing, finite; ConfigError otherwise.

    ``boundaries`` are ``[floor_1 = 0, cap_1 = floor_2, ..., cap_n]``. Overlapping or unsorted
    tiers are rejected with the offending pair named.

    Parameters
    ----------
    boundaries : sequence of float
        Notional boundaries in the quote currency (USD): the first tier's floor (0), then the
        cap of each tier, which is also the floor of the next.
    name : str
        Name of the argument used in error messages.

    Returns
    -------
    numpy.ndarray
        The boundaries as a 1-d float array (at least two elements).

    Raises
    ------
    ConfigError
        If there are fewer than two boundaries or they are not 1-d, a boundary is not finite,
        the first is not 0, or they do not increase strictly.
    """
    b = np.asarray(list(boundaries), dtype=float)
    if b.ndim != 1 or b.size < 2:
        raise ConfigError(f"{name} need at least a floor and a cap, got {list(boundaries)!r}")
    if not np.all(np.isfinite(b)):
        raise ConfigError(f"{name} must be finite numbers, got {list(boundaries)!r}")
    if b[0] != 0:
        raise ConfigError(f"{name} must start at 0 (the first tier's floor), got {b[0]:g}")
    bad = np.flatnonzero(np.diff(b) <= 0)
    if bad.size:
        i = int(bad[0])
        raise ConfigError(
            f"{name} overlap or are unsorted: tier {i + 1} ends at {b[i + 1]:g} but starts at "
            f"{b[i]:g}; boundaries must increase strictly"
        )
    return b


def maintenance_amounts(floors: Sequence[float], mmr: Sequence[float]) -> np.ndarray:
    """Maintenance amounts that make ``MM(N) = N * MMR_i - amount_i`` continuous across tiers.

    ``amount_1 = 0`` and ``amount_i = amount_{i-1} + floor_i (MMR_i - MMR_{i-1})``: at the
    boundary ``floor_i`` the two formulas give the same margin.

    Parameters
    ----------
    floors : sequence of float
        Notional floor of each tier (first 0), increasing.
    mmr : sequence of float
        Maintenance margin rate of each tier.

    Returns
    -------
    numpy.ndarray
    """
    f = np.asarray(floors, dtype=float)
    r = np.asarray(mmr, dtype=float)
    if f.shape != r.shape or f.ndim != 1 or f.size == 0:
        raise ConfigError("floors and mmr must be 1-d sequences of the same length")
    steps = np.concatenate([[0.0], f[1:] * np.diff(r)])
    return np.cumsum(steps)


def maintenance_margin(notional: float | np.ndarray, table: pd.DataFrame) -> np.ndarray | float:
    """Maintenance margin of a position of ``notional`` under a tier table.

    ``table`` needs columns ``notional_floor``, ``mm_rate`` and ``maintenance_amount``; the tier
    is the last one whose floor is at or below the notional.

    Parameters
    ----------
    notional : float or array_like
        Position notional in the table's currency (USD), taken as given: its absolute value is
        not taken, and notionals above the last tier's cap are priced with the last tier
        (``notional_cap`` is not read). Notionals below the first floor use the first tier.
    table : DataFrame
        Tier table, e.g. from :func:`tier_table`, sorted by ``notional_floor`` (not checked).

    Returns
    -------
    float or numpy.ndarray
        ``notional * mm_rate_i - maintenance_amount_i`` in the notional's currency: a float for
        a scalar ``notional``, else an array of its shape.
    """
    n = np.asarray(notional, dtype=float)
    floors = table["notional_floor"].to_numpy(float)
    i = np.searchsorted(floors, n, side="right") - 1
    i = np.clip(i, 0, len(floors) - 1)
    out = n * table["mm_rate"].to_numpy(float)[i] - table["maintenance_amount"].to_numpy(float)[i]
    return float(out) if out.ndim == 0 else out


@dataclass(frozen=True)
class LiquidityAddon:
    """Liquidation time and market impact of a position, from :func:`liquidity_addon`.

    Attributes
    ----------
    days : float or numpy.ndarray
        Days needed to liquidate the position at the participation rate, ``N / (p ADV)``.
    impact : float or numpy.ndarray
        Square-root market impact ``k sigma sqrt(N / ADV)``, a fraction of notional.

    Both are floats for a scalar notional and arrays of the notional's shape otherwise.
    """

    days: Any
    impact: Any


def liquidity_addon(
    notional: float | np.ndarray,
    adv: float,
    sigma_daily: float,
    participation: float = 0.1,
    impact_k: float = 1.0,
) -> LiquidityAddon:
    """Days to liquidate and square-root market impact of a position.

    Parameters
    ----------
    notional : float or array
        Position size in the quote currency (USD).
    adv : float
        Average daily traded value in the same currency.
    sigma_daily : float
        Daily volatility of returns (fraction).
    participation : float
        Largest fraction of daily volume the liquidator may trade.
    impact_k : float
        Impact coefficient ``Y`` of order one (Tóth et al. 2011).

    Returns
    -------
    LiquidityAddon
        ``days``: ``N / (participation ADV)``; ``impact``: ``k sigma sqrt(N / ADV)`` (fraction of
        notional); floats for a scalar ``notional``, arrays of its shape otherwise.

    Raises
    ------
    ConfigError
        If ``adv`` is not positive, ``participation`` lies outside (0, 1], or ``impact_k`` or
        ``sigma_daily`` is negative.
    """
    if not adv > 0:
        raise ConfigError(f"adv (average daily traded value) must be > 0, got {adv!r}")
    if not 0 < participation <= 1:
        raise ConfigError(f"participation must lie in (0, 1], got {participation!r}")
    if impact_k < 0 or sigma_daily < 0:
        raise ConfigError("impact_k and sigma_daily must be >= 0")
    n = np.asarray(notional, dtype=float)
    days = n / (participation * adv)
    impact = impact_k * sigma_daily * np.sqrt(n / adv)
    if n.ndim == 0:
        return LiquidityAddon(days=float(days), impact=float(impact))
    return LiquidityAddon(days=days, impact=impact)


def tier_table(
    im_rate: float,
    mm_rate: float,
    horizon_days: float,
    sigma_daily: float,
    adv: float,
    boundaries: Sequence[float] = DEFAULT_BRACKETS,
    participation: float = 0.1,
    impact_k: float = 1.0,
    rounding_step: float | None = 0.0005,
    cap: float = 1.0,
    *,
    mm_ratio: float | None = None,
    rate_precision: float | None = None,
    amount_precision: float | None = None,
) -> pd.DataFrame:
    """Bracket table with margin rates rising with position size; tier 1 = the headline rates.

    Parameters
    ----------
    im_rate, mm_rate : float
        Base initial and maintenance rates for a position small enough to close at once.
    horizon_days : float
        Base margin period of risk (days).
    sigma_daily : float
        Daily return volatility used in the impact term.
    adv : float
        Average daily traded value (USD).
    boundaries : sequence of float
        ``[0, cap_1, cap_2, ..., cap_n]``.
    participation, impact_k : float
        See :func:`liquidity_addon`.
    rounding_step : float or None
        Rates are rounded up to this step.
    cap : float
        Highest rate (1.0 = fully collateralised, leverage 1).
    mm_ratio : float, optional
        Maintenance margin as this ratio of each tier's IM (rounded to ``rate_precision``);
        default: the MM rate carried through the tiers like the IM, kept one step below it.
    rate_precision, amount_precision : float, optional
        Precision of the published rates (e.g. 1e-6) and of the maintenance amounts (0.01 =
        cents); default: unrounded beyond ``rounding_step``.

    Returns
    -------
    DataFrame
        One row per tier: ``tier``, ``notional_floor``, ``notional_cap``, ``days_to_liquidate``,
        ``im_rate``, ``mm_rate``, ``max_leverage``, ``maintenance_amount``.

    Notes
    -----
    **Tier 1 is the headline.** The headline ``im_rate`` and ``mm_rate`` are calibrated for a
    position that can be closed within the margin period of risk; tier 1's cap is, by
    definition, the largest such position. The liquidity add-on therefore prices only the
    notional **above tier 1's cap**: each tier ``i`` is priced at its cap ``N_i``, with the
    excess ``E_i = N_i - N_1`` taking ``D_i = E_i / (p ADV)`` extra days (column
    ``days_to_liquidate``) to close. A position liquidated linearly over ``D`` days carries the
    risk of ``h + D/3`` days (Almgren and Chriss 2000), so the market-risk part of the rate
    scales by ``sqrt((h + D/3) / h)``; the square-root impact cost ``k sigma sqrt(E / ADV)`` is
    added (it is paid whether the position is closed for initial or maintenance purposes).
    Tier 1 gets no add-on, so its rates are the headline ones exactly (a margin engine reading
    the file finds one first-tier rate). IM rates are made non-decreasing across tiers,
    rounded up and capped; the MM is ``mm_ratio`` x each tier's IM or, without a ratio, the MM
    rate carried the same way and kept below the IM.
    """
    b = check_brackets(boundaries)
    if not 0 < mm_rate < im_rate <= cap:
        raise ConfigError(
            f"need 0 < mm_rate < im_rate <= cap, got mm={mm_rate!r}, im={im_rate!r}, cap={cap!r}"
        )
    if mm_ratio is not None and not 0 < mm_ratio < 1:
        raise ConfigError(f"mm_ratio must lie in (0, 1), got {mm_ratio!r}")
    if not horizon_days > 0:
        raise ConfigError(f"horizon_days must be > 0, got {horizon_days!r}")
    from riskkit.margin.layers import round_to_precision

    caps = b[1:]
    excess = caps - caps[0]  # tier 1 is the headline: no add-on up to its cap
    liq = liquidity_addon(excess, adv, sigma_daily, participation, impact_k)
    scale = np.sqrt((horizon_days + liq.days / 3.0) / horizon_days)
    im = np.maximum.accumulate(np.minimum(im_rate * scale + liq.impact, cap))
    im = np.asarray(round_rate(im, rounding_step, cap=cap), dtype=float)
    im[0] = im_rate  # exact: no add-on (rounding a rate already on the step keeps it)
    im = np.asarray(round_to_precision(im, rate_precision, "up"), dtype=float)
    if mm_ratio is not None:
        mm = np.asarray(round_to_precision(mm_ratio * im, rate_precision), dtype=float)
    else:
        mm = np.maximum.accumulate(np.minimum(mm_rate * scale + liq.impact, cap))
        mm = np.asarray(round_rate(mm, rounding_step, cap=cap), dtype=float)
        mm[0] = mm_rate
        mm = np.minimum(mm, im - (rounding_step or rate_precision or 0.0))
        mm = np.asarray(round_to_precision(mm, rate_precision), dtype=float)
    table = pd.DataFrame(
        {
            "tier": np.arange(1, len(caps) + 1),
            "notional_floor": b[:-1],
            "notional_cap": caps,
            "days_to_liquidate": liq.days,
            "im_rate": im,
            "mm_rate": mm,
            "max_leverage": max_leverage(im),
            "maintenance_amount": round_to_precision(
                maintenance_amounts(b[:-1], mm), amount_precision
            ),
        }
    )
    return table
