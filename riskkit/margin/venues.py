"""Margin rates published by crypto venues, and how they compare with a calibrated rate.

Venues change their parameters without notice, so every row of :func:`published_venue_rates`
carries the source that published it and the date it refers to (``as_of``; empty when the
source is undated). A notebook quoting a rate must say "as published on DATE by SOURCE".

:func:`compare_with_venues` inverts the square-root-of-time margin model of
:mod:`riskkit.margin.rates`: for a 1-day VaR/ES ``x1`` of the log loss, the long-side margin over
``h`` days is ``1 - exp(-x1 * sqrt(h))``, so a published rate ``m`` covers that risk measure over
the margin period of risk ``h = (-log(1 - m) / x1) ** 2`` days. :func:`margin_horizon_curve` is
the forward map, for plots of margin against the horizon.

References
----------
Binance (2025-08-19), announcement "USD-M perpetual futures leverage and margin tiers"
(BTCUSDT tier 1: notional up to 300,000 USDT, 150x, maintenance margin rate 0.40%).
Bybit, "Margin parameters" page for BTCUSDT (tier 1: risk limit 2,000,000 USDT, 100x, MMR 0.50%),
undated.
Hyperliquid docs, "Margin tiers", and mainnet metadata (2025): BTC 40x below 150M USD notional,
maintenance = half the initial rate at maximum leverage.
dYdX v4: ``dydxprotocol/v4-chain`` genesis parameters (2026-03): large-cap initial margin
fraction 2%, maintenance 0.6 x initial.
BitMEX announcement (2020): XBTUSD base initial margin 1.00%, base maintenance 0.40% from
2020-05-05.
Deribit knowledge base, "Futures" (standard margin): IM 4% + 0.005% per BTC, MM 2% + 0.005% per
BTC, undated.
CME Bitcoin futures at launch: initial 47%, maintenance 43% of notional (press reports,
2017-12-13).
"""

from __future__ import annotations

import math
from collections.abc import Mapping

import numpy as np
import pandas as pd

from riskkit.exceptions import ConfigError
from riskkit.margin.rates import implied_horizon_hours, loss_fraction, scale_to_horizon

__all__ = ["VENUE_RATES", "published_venue_rates", "compare_with_venues", "margin_horizon_curve"]

#: (venue, initial margin rate, maintenance margin rate, source, as_of) as published;
#: ``as_of`` is an ISO date, a year(-month), or "" when the source is undated.
VENUE_RATES: tuple[tuple[str, float, float, str, str], ...] = (
    (
        "Binance BTCUSDT perpetual, tier 1",
        1 / 150,
        0.004,
        "Binance announcement, USD-M perpetual leverage and margin tiers (150x, MMR 0.40%)",
        "2025-08-19",
    ),
    (
        "Bybit BTCUSDT, tier 1",
        0.01,
        0.005,
        "Bybit margin parameters page (100x, MMR 0.50%)",
        "",
    ),
    (
        "Hyperliquid BTC, < 150M USD",
        1 / 40,
        0.0125,
        "Hyperliquid docs 'margin tiers' and mainnet metadata (40x, MM = IM / 2)",
        "2025",
    ),
    (
        "dYdX v4 BTC-USD",
        0.02,
        0.012,
        "dydxprotocol/v4-chain genesis parameters (IMF 2%, MMF 0.6 x IMF)",
        "2026-03",
    ),
    (
        "BitMEX XBTUSD, base",
        0.01,
        0.004,
        "BitMEX announcement (base IM 1.00%, base MM 0.40%)",
        "2020-05-05",
    ),
    (
        "Deribit BTC futures, small position",
        0.04,
        0.02,
        "Deribit knowledge base 'futures', standard margin, as quoted publicly",
        "",
    ),
    (
        "CME Bitcoin futures at launch",
        0.47,
        0.43,
        "press reports of CME's launch margins (multi-day SPAN horizon)",
        "2017-12-13",
    ),
)


def published_venue_rates() -> pd.DataFrame:
    """Initial and maintenance margin rates published by crypto venues, with source and date.

    Returns
    -------
    pandas.DataFrame
        Indexed by ``venue``; columns ``im_rate`` and ``mm_rate`` (fractions of notional, the
        smallest-position tier), ``max_leverage`` (``1 / im_rate``), ``mm_im_ratio``, ``source``
        and ``as_of`` (date of publication or of the parameters; ``""`` if the source is
        undated). A fresh copy on every call.

    Notes
    -----
    The rates are for the smallest position size; venues raise both rates for larger positions
    (see :func:`riskkit.margin.tier_table`). They are quoted for comparison of orders of
    magnitude, not as current parameters.

    References
    ----------
    See the module docstring: one source per row.
    """
    frame = pd.DataFrame(
        list(VENUE_RATES), columns=["venue", "im_rate", "mm_rate", "source", "as_of"]
    ).set_index("venue")
    frame.insert(2, "max_leverage", 1.0 / frame["im_rate"])
    frame.insert(3, "mm_im_ratio", frame["mm_rate"] / frame["im_rate"])
    return frame


def compare_with_venues(
    x1: float | Mapping[str, float],
    venues: pd.DataFrame | None = None,
    side: str = "long",
) -> pd.DataFrame:
    """Margin period of risk at which each venue's initial margin covers a 1-day risk measure.

    Parameters
    ----------
    x1 : float or mapping of str to float
        1-day VaR or ES of the log loss (positive), e.g. the last calibrated 99% ES. A mapping
        ``{label: x1}`` adds one column per measure (e.g. the last and the median ES).
    venues : pandas.DataFrame, optional
        Table with an ``im_rate`` column, by default :func:`published_venue_rates`.
    side : {"long", "short"}
        Side of the position whose loss the margin covers.

    Returns
    -------
    pandas.DataFrame
        ``venues`` with one column ``mpor_hours`` (float ``x1``) or ``mpor_hours (label)`` per
        entry of the mapping: the horizon ``h`` in hours at which
        ``1 - exp(-x1 * sqrt(h / 24))`` (long side) equals the venue's ``im_rate``.

    Raises
    ------
    ConfigError
        If a measure is not positive and finite, ``side`` is unknown, or ``venues`` has no
        ``im_rate`` column or a rate outside (0, 1).

    Notes
    -----
    Inverts the square-root-of-time scaling of :func:`riskkit.margin.scale_to_horizon` and the
    loss map of :func:`riskkit.margin.loss_fraction` (see
    :func:`riskkit.margin.implied_horizon_hours`). A venue rate that covers the measure over
    minutes signals a venue that liquidates within minutes, not an under-margined one.

    References
    ----------
    Basel Committee (1996), Amendment to the capital accord to incorporate market risks (the
    square-root-of-time scaling of a 1-day VaR).
    """
    if side not in ("long", "short"):
        raise ConfigError(f"side must be 'long' or 'short', got {side!r}")
    table = published_venue_rates() if venues is None else venues.copy()
    if "im_rate" not in table.columns:
        raise ConfigError(f"venues table needs an 'im_rate' column, has {list(table.columns)}")
    bad = table.index[~((table["im_rate"] > 0) & (table["im_rate"] < 1))]
    if len(bad):
        raise ConfigError(f"im_rate must lie in (0, 1); offending venues: {list(bad)}")
    measures = {"": x1} if not isinstance(x1, Mapping) else dict(x1)
    for label, x in measures.items():
        if not (isinstance(x, (int, float, np.floating)) and math.isfinite(x) and x > 0):
            raise ConfigError(
                f"x1{f' ({label})' if label else ''} must be finite and > 0, got {x!r}"
            )
        col = "mpor_hours" if label == "" else f"mpor_hours ({label})"
        table[col] = [implied_horizon_hours(float(r), float(x), side) for r in table["im_rate"]]
    return table


def margin_horizon_curve(
    x1: float, hours: np.ndarray | pd.Index | list[float], side: str = "long"
) -> pd.Series:
    """Margin rate implied by a 1-day risk measure over a range of margin periods of risk.

    Parameters
    ----------
    x1 : float
        1-day VaR or ES of the log loss (positive).
    hours : array-like of float
        Margin periods of risk in hours (> 0).
    side : {"long", "short"}

    Returns
    -------
    pandas.Series
        Margin rate (fraction of notional) indexed by ``hours`` (index name ``mpor_hours``):
        ``loss_fraction(x1 * sqrt(hours / 24), side)``.

    Raises
    ------
    ConfigError
        If ``x1`` is not positive and finite or an entry of ``hours`` is not positive.

    Notes
    -----
    The forward map of :func:`compare_with_venues`: the curve passes through each venue's
    ``im_rate`` at its ``mpor_hours``.
    """
    if not (math.isfinite(x1) and x1 > 0):
        raise ConfigError(f"x1 must be finite and > 0, got {x1!r}")
    h = np.asarray(hours, dtype=float)
    if h.ndim != 1 or not np.all(np.isfinite(h) & (h > 0)):
        raise ConfigError("hours must be a 1-d array of finite positive numbers")
    rates = np.array([loss_fraction(scale_to_horizon(x1, hh / 24.0), side) for hh in h])
    return pd.Series(rates, index=pd.Index(h, name="mpor_hours"), name="margin_rate")
