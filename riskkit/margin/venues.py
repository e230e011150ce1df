"""Margin rates published by crypto venues, per asset and date, and how they compare with a
calibrated model.

Venues change their parameters without notice, so every row of :data:`VENUE_PARAMETERS` names
its venue, asset and contract, the date the parameters refer to (``as_of``: an ISO date, a
year-month or a year; empty when the source is undated) and the original source that published
them. A notebook quoting a rate must say "as published on DATE by SOURCE".

:func:`venue_comparison` is the comparison the calibration report shows: per asset, each venue's
rows for *that* asset only, the time in which the calibrated model's loss reaches the venue's
**maintenance** margin (the cushion left when a position is liquidated), and a flag on rows dated
far from the data. :func:`compare_with_venues` (the margin period at which a venue's *initial*
margin covers a 1-day measure) and :func:`margin_horizon_curve` (the forward map) are kept for
plots of margin against the horizon.

References
----------
Binance (2025-08-19), announcement "USD-M perpetual futures leverage and margin tiers"
(BTCUSDT tier 1: notional up to 300,000 USDT, 150x, maintenance margin rate 0.40%; ETHUSDT
tiers 1-4 as BTCUSDT; the twelve BTCUSDT brackets of :func:`binance_btcusdt_tiers`).
Bybit, "Margin parameters" page for BTCUSDT (tier 1: risk limit 2,000,000 USDT, 100x, MMR 0.50%),
undated.
Hyperliquid docs, "Margin tiers", and mainnet metadata (2025): maintenance = half the initial
rate at maximum leverage; BTC 40x below 150M USD notional (MMR 1.25%), ETH 25x below 100M (2%).
dYdX v4: ``dydxprotocol/v4-chain`` genesis parameters (2026-03): large-cap (BTC-USD, ETH-USD)
initial margin fraction 2%, maintenance 0.6 x initial = 1.2%; dYdX docs (2023): 5% / 3%.
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
from dataclasses import astuple, dataclass, fields
from typing import Any

import numpy as np
import pandas as pd

from riskkit.exceptions import ConfigError
from riskkit.margin.rates import implied_horizon_hours, loss_fraction, scale_to_horizon
from riskkit.margin.tiers import maintenance_amounts

__all__ = [
    "VenueParameters",
    "VENUE_PARAMETERS",
    "VENUE_RATES",
    "BINANCE_BTCUSDT_TIERS",
    "published_venue_rates",
    "binance_btcusdt_tiers",
    "venue_comparison",
    "compare_with_venues",
    "margin_horizon_curve",
]


@dataclass(frozen=True)
class VenueParameters:
    """Margin parameters of one contract of one venue, as published.

    Attributes
    ----------
    venue : str
        Venue name ("Binance", "dYdX v4", ...).
    asset : str
        Underlying asset, as riskkit names it ("BTC", "ETH").
    contract : str
        Contract and size tier the rates apply to (the smallest-position tier).
    im_rate, mm_rate : float
        Initial and maintenance margin rates, fractions of notional.
    as_of : str
        Date the parameters refer to: ``YYYY-MM-DD``, ``YYYY-MM`` or ``YYYY``; ``""`` if the
        source is undated.
    source : str
        The original source that published them.
    """

    venue: str
    asset: str
    contract: str
    im_rate: float
    mm_rate: float
    as_of: str
    source: str

    @property
    def label(self) -> str:
        """``"venue contract"``, the row's name in :func:`published_venue_rates`."""
        return f"{self.venue} {self.contract}"


_BINANCE = "Binance announcement 'USD-M perpetual futures leverage and margin tiers'"
_HYPERLIQUID = "Hyperliquid docs 'Margin tiers' and mainnet metadata (MM = IM / 2)"
_DYDX = "dydxprotocol/v4-chain genesis parameters (IMF 2%, MMF 0.6 x IMF)"
_DYDX_2023 = "dYdX v4 documentation, 2023 (IMF 5%, MMF 3%)"

#: Published parameters per venue, asset and contract, smallest-position tier, each with its
#: date and original source (see the module docstring).
VENUE_PARAMETERS: tuple[VenueParameters, ...] = (
    VenueParameters(
        "Binance",
        "BTC",
        "BTCUSDT perpetual, tier 1",
        1 / 150,
        0.004,
        "2025-08-19",
        f"{_BINANCE} (BTCUSDT below 300,000 USDT: 150x, MMR 0.40%)",
    ),
    VenueParameters(
        "Binance",
        "ETH",
        "ETHUSDT perpetual, tier 1",
        1 / 150,
        0.004,
        "2025-08-19",
        f"{_BINANCE} (ETHUSDT tiers 1-4 as BTCUSDT: 150x, MMR 0.40%)",
    ),
    VenueParameters(
        "Bybit",
        "BTC",
        "BTCUSDT, tier 1",
        0.01,
        0.005,
        "",
        "Bybit margin parameters page (risk limit 2,000,000 USDT: 100x, MMR 0.50%)",
    ),
    VenueParameters(
        "Hyperliquid",
        "BTC",
        "BTC, < 150M USD",
        1 / 40,
        0.0125,
        "2025",
        f"{_HYPERLIQUID}: BTC 40x below 150M USD, MMR 1.25%",
    ),
    VenueParameters(
        "Hyperliquid",
        "ETH",
        "ETH, < 100M USD",
        1 / 25,
        0.02,
        "2025",
        f"{_HYPERLIQUID}: ETH 25x below 100M USD, MMR 2%",
    ),
    VenueParameters("dYdX v4", "BTC", "BTC-USD", 0.02, 0.012, "2026-03", _DYDX),
    VenueParameters("dYdX v4", "ETH", "ETH-USD", 0.02, 0.012, "2026-03", _DYDX),
    VenueParameters("dYdX v4", "BTC", "BTC-USD (2023)", 0.05, 0.03, "2023", _DYDX_2023),
    VenueParameters("dYdX v4", "ETH", "ETH-USD (2023)", 0.05, 0.03, "2023", _DYDX_2023),
    VenueParameters(
        "BitMEX",
        "BTC",
        "XBTUSD, base",
        0.01,
        0.004,
        "2020-05-05",
        "BitMEX announcement (base IM 1.00%, base MM 0.40% from 5 May 2020)",
    ),
    VenueParameters(
        "Deribit",
        "BTC",
        "BTC futures, small position",
        0.04,
        0.02,
        "",
        "Deribit knowledge base 'Futures', standard margin (IM 4% + 0.005% per BTC, MM 2% + "
        "0.005% per BTC), as quoted publicly",
    ),
    VenueParameters(
        "CME",
        "BTC",
        "Bitcoin futures at launch",
        0.47,
        0.43,
        "2017-12-13",
        "press reports of CME's launch margins (multi-day SPAN horizon)",
    ),
)

#: (label, initial margin rate, maintenance margin rate, source, as_of) of the BTC rows of
#: :data:`VENUE_PARAMETERS`, the table's former shape (kept for code that reads it).
VENUE_RATES: tuple[tuple[str, float, float, str, str], ...] = tuple(
    (v.label, v.im_rate, v.mm_rate, v.source, v.as_of) for v in VENUE_PARAMETERS if v.asset == "BTC"
)

#: Binance USD-M BTCUSDT perpetual brackets as published on 2025-08-19 (Binance announcement
#: "USD-M perpetual futures leverage and margin tiers"): (notional floor in USDT, maintenance
#: margin rate) of each of the twelve tiers. The maintenance amounts Binance lists beside them
#: follow from these by the continuity rule of :func:`riskkit.margin.maintenance_amounts`.
BINANCE_BTCUSDT_TIERS: tuple[tuple[float, float], ...] = (
    (0.0, 0.004),
    (300_000.0, 0.005),
    (800_000.0, 0.0065),
    (3_000_000.0, 0.01),
    (12_000_000.0, 0.02),
    (70_000_000.0, 0.025),
    (100_000_000.0, 0.05),
    (230_000_000.0, 0.10),
    (480_000_000.0, 0.125),
    (600_000_000.0, 0.15),
    (800_000_000.0, 0.25),
    (1_200_000_000.0, 0.50),
)
_BINANCE_BTCUSDT_SOURCE = (
    "Binance announcement, USD-M perpetual futures leverage and margin tiers (BTCUSDT)"
)
_BINANCE_BTCUSDT_AS_OF = "2025-08-19"


def binance_btcusdt_tiers() -> pd.DataFrame:
    """Binance's BTCUSDT perpetual maintenance-margin brackets, as published on 2025-08-19.

    Returns
    -------
    pandas.DataFrame
        One row per tier (index ``tier``, 1 to 12): ``notional_floor`` (USDT), ``mm_rate``
        (fraction of notional), ``maintenance_amount`` (USDT, from
        :func:`riskkit.margin.maintenance_amounts`, which reproduces the amounts Binance lists),
        ``source`` and ``as_of``. A fresh copy on every call; it has the columns
        :func:`riskkit.margin.maintenance_margin` reads.

    Notes
    -----
    Only the maintenance side is tabulated (tier 1's initial rate, 1/150, is in
    :func:`published_venue_rates`). Venues change their brackets without notice: quote the table
    as published on ``as_of`` by ``source``.

    References
    ----------
    Binance (2025-08-19), announcement "USD-M perpetual futures leverage and margin tiers".
    """
    floors, mmr = (np.array(col, dtype=float) for col in zip(*BINANCE_BTCUSDT_TIERS, strict=True))
    return pd.DataFrame(
        {
            "notional_floor": floors,
            "mm_rate": mmr,
            "maintenance_amount": maintenance_amounts(floors, mmr),
            "source": _BINANCE_BTCUSDT_SOURCE,
            "as_of": _BINANCE_BTCUSDT_AS_OF,
        },
        index=pd.RangeIndex(1, len(floors) + 1, name="tier"),
    )


def published_venue_rates(asset: str | None = "BTC") -> pd.DataFrame:
    """Initial and maintenance margin rates published by crypto venues, with source and date.

    Parameters
    ----------
    asset : str or None, default "BTC"
        Rows of this asset only (case-insensitive); None for every row of
        :data:`VENUE_PARAMETERS`.

    Returns
    -------
    pandas.DataFrame
        Indexed by ``venue`` (the row's label, ``"venue contract"``); columns ``asset``,
        ``im_rate`` and ``mm_rate`` (fractions of notional, the smallest-position tier),
        ``max_leverage`` (``1 / im_rate``), ``mm_im_ratio``, ``source`` and ``as_of`` (date of
        the parameters; ``""`` if the source is undated). A fresh copy on every call.

    Raises
    ------
    ConfigError
        If no row has that asset.

    Notes
    -----
    The rates are for the smallest position size; venues raise both rates for larger positions
    (see :func:`riskkit.margin.tier_table`). Quote a row as published on ``as_of`` by
    ``source``.

    References
    ----------
    See the module docstring: one source per row.
    """
    rows = [v for v in VENUE_PARAMETERS if asset is None or v.asset == str(asset).upper()]
    if not rows:
        known = sorted({v.asset for v in VENUE_PARAMETERS})
        raise ConfigError(f"no published venue parameters for asset {asset!r}; known: {known}")
    frame = pd.DataFrame(
        [astuple(v) for v in rows], columns=[f.name for f in fields(VenueParameters)]
    )
    frame.index = pd.Index([v.label for v in rows], name="venue")
    frame = frame[["asset", "im_rate", "mm_rate", "source", "as_of"]]
    frame.insert(3, "max_leverage", 1.0 / frame["im_rate"])
    frame.insert(4, "mm_im_ratio", frame["mm_rate"] / frame["im_rate"])
    return frame


def _as_of_timestamp(value: Any) -> pd.Timestamp | None:
    """First day of a date given as ``YYYY-MM-DD``, ``YYYY-MM`` or ``YYYY``; None if empty."""
    text = str(value or "").strip()
    if not text:
        return None
    try:
        return pd.Timestamp(text[:10])
    except ValueError as exc:
        raise ConfigError(f"as_of must be a date (YYYY[-MM[-DD]]), got {value!r}") from exc


def venue_comparison(
    calibrated: Mapping[str, Mapping[str, Any]],
    venues: pd.DataFrame | None = None,
    max_age_days: float = 365.0,
) -> pd.DataFrame:
    """Per asset: the calibrated rates beside each venue's for that asset, with the time in
    which the calibrated model's loss reaches each maintenance margin.

    Parameters
    ----------
    calibrated : mapping of str to mapping
        ``{asset: parameters}``: the ``assets`` section of a parameter file, or
        ``{a: cal.parameters}`` of :class:`riskkit.margin.AssetCalibration` objects. Each needs
        ``as_of`` (the data's last date), ``daily_measure_long`` and ``daily_measure_short``
        (the model's 1-day VaR/ES of the log loss on that date); ``im_rate`` and ``mm_rate``,
        when present, add a row ``"riskkit (calibrated)"``.
    venues : pandas.DataFrame, optional
        Table like :func:`published_venue_rates` with ``asset=None`` (the default): columns
        ``asset``, ``im_rate``, ``mm_rate``, ``max_leverage``, ``source``, ``as_of``.
    max_age_days : float
        A venue row dated more than this many days from the data's ``as_of`` is flagged.

    Returns
    -------
    pandas.DataFrame
        Index ``(asset, venue)``; for each asset of ``calibrated`` the calibrated row first,
        then that asset's venue rows (none for an asset no venue row names). Columns
        ``im_rate``, ``mm_rate``, ``max_leverage``, ``as_of`` (of the row), ``source``,
        ``data_as_of``, ``days_from_data`` (the row's date minus the data's, in days; NaN when
        undated), ``date_flag`` (``""``, or why the row is not of the data's date),
        ``mm_hours_long``, ``mm_hours_short`` and ``mm_hours`` (the shorter of the two: see
        Notes).

    Raises
    ------
    ConfigError
        A missing or non-positive measure, a bad date, or a rate outside (0, 1).

    Notes
    -----
    **Implied liquidation time.** When a position is liquidated, the cushion left is the
    maintenance margin, not the initial one. ``mm_hours`` is the horizon over which the
    calibrated model's loss on the worse side reaches the row's ``mm_rate``: the time within
    which the venue must close a position for its maintenance margin to cover the model's
    loss, at the model's confidence. The 1-day measure ``x`` of each side is scaled by the
    square root of time (:func:`riskkit.margin.implied_horizon_hours`):
    ``h = 24 (-log(1 - mm) / x_long)^2`` hours for a long and ``24 (log(1 + mm) / x_short)^2``
    for a short. The square-root rule understates short-horizon risk (intraday moves are
    fatter than it implies), so at minutes these times are upper bounds.

    **Dates.** Each asset's rows are compared with that asset's own model only, and a row dated
    far from the data is flagged rather than silently compared (e.g. CME's 2017 launch margins
    beside a model of 2020, or a 2025 perpetual beside it): venues move their rates with the
    market. A partial date (``2025``, ``2026-03``) counts from its first day.
    """
    table = published_venue_rates(None) if venues is None else venues.copy()
    needed = {"asset", "im_rate", "mm_rate", "source", "as_of"}
    if not needed <= set(table.columns):
        raise ConfigError(f"venues needs columns {sorted(needed)}, has {list(table.columns)}")
    if "max_leverage" not in table.columns:
        table["max_leverage"] = 1.0 / table["im_rate"]
    bad = table.index[~((table["mm_rate"] > 0) & (table["mm_rate"] < 1))]
    if len(bad):
        raise ConfigError(f"mm_rate must lie in (0, 1); offending venues: {list(bad)}")
    rows: list[dict[str, Any]] = []
    for asset, params in calibrated.items():
        x = {}
        for side in ("long", "short"):
            value = params.get(f"daily_measure_{side}")
            if not (isinstance(value, (int, float)) and math.isfinite(value) and value > 0):
                raise ConfigError(
                    f"{asset}: daily_measure_{side} must be a positive number, got {value!r}"
                )
            x[side] = float(value)
        data_date = _as_of_timestamp(params.get("as_of"))
        if data_date is None:
            raise ConfigError(f"{asset}: the parameters have no as_of date")
        own = table[table["asset"].str.upper() == str(asset).upper()]
        entries: list[tuple[str, dict[str, Any]]] = []
        if params.get("im_rate") is not None and params.get("mm_rate") is not None:
            im, mm = float(params["im_rate"]), float(params["mm_rate"])
            entries.append(
                (
                    "riskkit (calibrated)",
                    {
                        "im_rate": im,
                        "mm_rate": mm,
                        "max_leverage": float(params.get("max_leverage", 1.0 / im)),
                        "as_of": str(params["as_of"]),
                        "source": "this calibration",
                    },
                )
            )
        entries += [(str(name), row.to_dict()) for name, row in own.iterrows()]
        for name, row in entries:
            when = _as_of_timestamp(row["as_of"])
            days = np.nan if when is None else float((when - data_date).days)
            if when is None:
                flag = "undated"
            elif abs(days) > max_age_days:
                flag = f"{abs(days):,.0f} days {'after' if days > 0 else 'before'} the data"
            else:
                flag = ""
            mm = float(row["mm_rate"])
            hours = {}
            for side in ("long", "short"):
                hours[side] = (
                    implied_horizon_hours(mm, x[side], side) if 0 < mm < 1 else float("nan")
                )
            rows.append(
                {
                    "asset": asset,
                    "venue": name,
                    "im_rate": float(row["im_rate"]),
                    "mm_rate": mm,
                    "max_leverage": float(row["max_leverage"]),
                    "as_of": str(row["as_of"]),
                    "source": str(row["source"]),
                    "data_as_of": str(params["as_of"]),
                    "days_from_data": days,
                    "date_flag": flag,
                    "mm_hours_long": hours["long"],
                    "mm_hours_short": hours["short"],
                    "mm_hours": min(hours["long"], hours["short"]),
                }
            )
    columns = [
        "asset",
        "venue",
        "im_rate",
        "mm_rate",
        "max_leverage",
        "as_of",
        "source",
        "data_as_of",
        "days_from_data",
        "date_flag",
        "mm_hours_long",
        "mm_hours_short",
        "mm_hours",
    ]
    return pd.DataFrame(rows, columns=columns).set_index(["asset", "venue"])


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
        Table with an ``im_rate`` column, by default :func:`published_venue_rates` (the BTC
        rows: compare an asset's measure with that asset's rows only).
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
    minutes signals a venue that liquidates within minutes, not an under-margined one. This
    reads the *initial* margin; the cushion left when a position is liquidated is the
    maintenance margin, which :func:`venue_comparison` uses, per asset and with the dates.

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
