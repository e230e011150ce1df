"""Venue parameter sets generated from one calibration: Binance brackets, a dYdX v4 liquidity
tier and a Hyperliquid margin table, each in that venue's own field names, and the published
values beside them.

One calibration (:func:`riskkit.margin.calibrate_asset`) gives a headline initial and maintenance
rate and a tier table whose rates rise with the position's notional (:func:`tier_table`). Each
venue publishes the same idea in its own shape:

* **Binance** (USD-M leverage brackets, ``GET /fapi/v1/leverageBracket``): per bracket
  ``bracket``, ``initialLeverage``, ``notionalFloor``, ``notionalCap``, ``maintMarginRatio`` and
  ``cum`` (the maintenance amount that keeps the maintenance margin continuous). Written by
  :func:`binance_brackets`: ``initialLeverage = floor(1 / im_rate)`` (so the venue's initial
  rate ``1 / initialLeverage`` is at least the calibrated one).
* **dYdX v4** (``LiquidityTier`` of ``x/perpetuals``): ``initial_margin_ppm`` (base initial
  margin fraction, IMF, in parts per million), ``maintenance_fraction_ppm`` (maintenance margin
  as a fraction of the IMF), ``impact_notional`` and ``open_interest_lower_cap`` /
  ``open_interest_upper_cap`` (quote quantums, 1 USDC = 10^6). Between the caps the effective
  IMF rises linearly from the base to 100% (:func:`dydx_effective_imf`, the open-interest
  margin fraction, OIMF). :func:`dydx_liquidity_tier` takes the base IMF and the maintenance
  fraction from the headline rates and fits the two caps to the calibrated tier table.
* **Hyperliquid** (``meta.marginTables``): ``{"description", "marginTiers": [{"lowerBound",
  "maxLeverage"}]}``; the maintenance rate is half the initial rate at maximum leverage,
  ``MM = 1 / (2 maxLeverage)``, with a maintenance deduction that keeps it continuous.
  :func:`hyperliquid_margin_table` writes one band per distinct
  ``floor(1 / max(im_rate, 2 mm_rate))`` of the calibrated tiers, so that both the venue's IM
  and its MM = IM / 2 are at least the calibrated ones; :func:`hyperliquid_maintenance` reads
  a table back into rates.

:func:`venue_parameter_sets` builds the ``venue_parameter_sets`` section of the parameter file
from its ``assets`` section; :func:`venue_sets_table` flattens that section into one row per
venue, asset and band with the published rate at the same position size, its date and its
source (:func:`published_venue_sets`).

Units: rates are fractions of notional; notionals are in the quote currency (USD, USDT, USDC
taken as equal).

References
----------
Binance (2025-08-19), announcement "USD-M perpetual futures leverage and margin tiers"
(BTCUSDT brackets: notional caps, maximum leverage and maintenance margin rates).
dYdX v4: ``dydxprotocol/v4-chain``, ``protocol/x/perpetuals/types/liquidity_tier.go``
(``GetInitialMarginQuoteQuantums``: scaling factor ``(open notional - lower cap) / (upper cap -
lower cap)``, ``effective IMF = min(base IMF + max(factor x (1 - base IMF), 0), 1)``; an upper
cap of 0 disables the scaling); genesis parameters (2026-03): large-cap tier (BTC-USD,
ETH-USD) IMF 2%, maintenance fraction 0.6 (1.2%), caps 0 (no scaling); ``impact_notional`` =
500 USDC / IMF (``LiquidityTier`` proto comment).
Hyperliquid docs, "Margin tiers" (2025): BTC 40x below 150M USD, 20x above; ETH 25x below
100M, 15x above; maintenance margin = half the initial margin at maximum leverage, maintenance
deduction continuous across tiers.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from riskkit.exceptions import ConfigError
from riskkit.margin.tiers import maintenance_amounts
from riskkit.margin.venues import BINANCE_BTCUSDT_TIERS

__all__ = [
    "VENUE_SETS",
    "QUOTE_QUANTUMS_PER_USDC",
    "BINANCE_BTCUSDT_LEVERAGE",
    "HYPERLIQUID_MARGIN_TABLES",
    "DYDX_LIQUIDITY_TIERS",
    "dydx_effective_imf",
    "dydx_liquidity_tier",
    "dydx_rates",
    "binance_brackets",
    "hyperliquid_margin_table",
    "hyperliquid_maintenance",
    "venue_parameter_sets",
    "published_venue_sets",
    "venue_sets_table",
    "venue_set_problems",
]

#: venues :func:`venue_parameter_sets` writes, in the order they are written
VENUE_SETS: tuple[str, ...] = ("binance", "dydx", "hyperliquid")
#: dYdX v4 quote quantums per USDC (USDC has 6 decimals on dYdX)
QUOTE_QUANTUMS_PER_USDC = 1_000_000
_PPM = 1_000_000

#: maximum leverage of each Binance BTCUSDT bracket of
#: :data:`riskkit.margin.BINANCE_BTCUSDT_TIERS` (same announcement, 2025-08-19)
BINANCE_BTCUSDT_LEVERAGE: tuple[int, ...] = (150, 100, 75, 50, 25, 20, 10, 5, 4, 3, 2, 1)
_BINANCE_LAST_CAP = 1_800_000_000.0
_BINANCE_SOURCE = "Binance announcement 'USD-M perpetual futures leverage and margin tiers'"

#: Hyperliquid margin tables as published (docs "Margin tiers", 2025), in Hyperliquid's fields
HYPERLIQUID_MARGIN_TABLES: dict[str, dict[str, Any]] = {
    "BTC": {
        "description": "tiered 40x",
        "marginTiers": [
            {"lowerBound": "0.0", "maxLeverage": 40},
            {"lowerBound": "150000000.0", "maxLeverage": 20},
        ],
    },
    "ETH": {
        "description": "tiered 25x",
        "marginTiers": [
            {"lowerBound": "0.0", "maxLeverage": 25},
            {"lowerBound": "100000000.0", "maxLeverage": 15},
        ],
    },
}
_HYPERLIQUID_SOURCE = "Hyperliquid docs 'Margin tiers' and mainnet metadata (MM = IM / 2)"
_HYPERLIQUID_AS_OF = "2025"

#: dYdX v4 liquidity tiers of BTC-USD and ETH-USD as published (genesis parameters, 2026-03),
#: in dYdX's fields; open-interest caps 0 = no open-interest scaling
DYDX_LIQUIDITY_TIERS: dict[str, dict[str, Any]] = {
    a: {
        "name": "Large-Cap",
        "initial_margin_ppm": 20_000,
        "maintenance_fraction_ppm": 600_000,
        "impact_notional": 500 * QUOTE_QUANTUMS_PER_USDC * 50,  # 500 USDC / 2%
        "open_interest_lower_cap": 0,
        "open_interest_upper_cap": 0,
    }
    for a in ("BTC", "ETH")
}
_DYDX_SOURCE = "dydxprotocol/v4-chain genesis parameters, large-cap liquidity tier"
_DYDX_AS_OF = "2026-03"


# --------------------------------------------------------------------------------------------
# dYdX v4
def dydx_effective_imf(
    base_imf: float,
    open_interest: float | np.ndarray | pd.Series,
    lower_cap: float,
    upper_cap: float,
) -> float | np.ndarray | pd.Series:
    """Effective initial margin fraction of a dYdX v4 market at an open interest (OIMF).

    Parameters
    ----------
    base_imf : float
        Base initial margin fraction, in (0, 1].
    open_interest : float, array or Series
        Open notional of the market (open interest x oracle price), USD.
    lower_cap, upper_cap : float
        Open-interest caps, USD. ``upper_cap == 0`` disables the scaling (the base IMF
        applies at any open interest), as on dYdX.

    Returns
    -------
    float, numpy.ndarray or pandas.Series
        ``min(base + max((OI - lower) / (upper - lower), 0) x (1 - base), 1)``: the base IMF up
        to the lower cap, linear in between, 1 (fully collateralised) from the upper cap on.
        Same type as ``open_interest``.

    Raises
    ------
    ConfigError
        ``base_imf`` outside (0, 1], a negative cap, or ``lower_cap > upper_cap`` (dYdX's
        ``LiquidityTier.Validate`` refuses it with ``ErrOpenInterestLowerCapLargerThanUpperCap``
        even when the upper cap is 0).

    References
    ----------
    dydxprotocol/v4-chain, ``protocol/x/perpetuals/types/liquidity_tier.go``,
    ``GetInitialMarginQuoteQuantums``.
    """
    if not (isinstance(base_imf, (int, float)) and 0 < base_imf <= 1):
        raise ConfigError(f"base_imf must lie in (0, 1], got {base_imf!r}")
    if lower_cap < 0 or upper_cap < 0:
        raise ConfigError(f"open-interest caps must be >= 0, got {lower_cap!r}, {upper_cap!r}")
    if lower_cap > upper_cap:
        raise ConfigError(
            f"open_interest_lower_cap {lower_cap:g} exceeds open_interest_upper_cap {upper_cap:g}"
        )
    oi = np.asarray(open_interest, dtype=float)
    if upper_cap == 0:
        out = np.full(oi.shape, float(base_imf))
    elif upper_cap == lower_cap:
        out = np.where(oi >= upper_cap, 1.0, float(base_imf))
    else:
        factor = np.maximum((oi - lower_cap) / (upper_cap - lower_cap), 0.0)
        out = np.minimum(base_imf + factor * (1.0 - base_imf), 1.0)
    if isinstance(open_interest, pd.Series):
        return pd.Series(out, index=open_interest.index, name="effective_imf")
    return float(out) if out.ndim == 0 else out


def _ramp_caps(tiers: pd.DataFrame, base: float) -> tuple[float, float]:
    """(lower, upper) caps in USD of the linear ramp fitted to a tier table's IM rates.

    The lower cap is the first tier's cap (the headline rate holds up to it); the slope is the
    least-squares slope through ``(lower, base)`` of the tiers' ``(notional_cap, im_rate)``
    beyond it; the upper cap is where the line reaches 1. (0, 0) when the rates never rise.
    """
    caps = tiers["notional_cap"].to_numpy(float)
    im = tiers["im_rate"].to_numpy(float)
    lower = float(caps[0])
    x = caps[1:] - lower
    y = im[1:] - base
    if x.size == 0 or not np.any(y > 0):
        return 0.0, 0.0
    slope = float(np.dot(x, y) / np.dot(x, x))
    if slope <= 0:
        return 0.0, 0.0
    return lower, lower + (1.0 - base) / slope


def _tier_frame(tiers: Any, what: str) -> pd.DataFrame:
    frame = pd.DataFrame(list(tiers)) if not isinstance(tiers, pd.DataFrame) else tiers
    need = {"notional_floor", "notional_cap", "im_rate", "mm_rate"}
    missing = need - set(frame.columns)
    if frame.empty or missing:
        raise ConfigError(
            f"{what}: a tier table needs rows with {sorted(need)}"
            + (f" (missing {sorted(missing)})" if missing else " (got no rows)")
        )
    return frame.sort_values("notional_floor").reset_index(drop=True)


def dydx_liquidity_tier(
    im_rate: float,
    mm_rate: float,
    tiers: pd.DataFrame | Sequence[Mapping[str, float]] | None = None,
    name: str = "riskkit",
) -> dict[str, Any]:
    """A dYdX v4 liquidity tier from calibrated rates, in dYdX's field names and units.

    Parameters
    ----------
    im_rate, mm_rate : float
        Headline initial and maintenance rates (fractions, ``0 < mm_rate <= im_rate <= 1``).
    tiers : DataFrame or sequence of mappings, optional
        Calibrated tier table (``notional_floor``, ``notional_cap``, ``im_rate``, ``mm_rate``;
        the ``tiers`` of a parameter file). Its IM rates above the first tier's cap set the
        open-interest caps; without it (or with flat rates) the caps are 0: no scaling.
    name : str
        The tier's ``name``.

    Returns
    -------
    dict
        ``name``, ``initial_margin_ppm`` (``ceil(im_rate x 10^6)``), ``maintenance_fraction_ppm``
        (``round(mm_rate / im_rate x 10^6)``), ``impact_notional`` (500 USDC / IMF, quote
        quantums), ``open_interest_lower_cap``, ``open_interest_upper_cap`` (quote quantums,
        10^6 per USDC).

    Notes
    -----
    dYdX scales the IMF with the **market's** open interest; a tier table prices **one
    position's** liquidation cost. Fitting the caps to the tier table reads the whole open
    interest as a position that may have to be liquidated at once (one side of the book closed
    by the liquidation engine): a conservative reading. The lower cap is the first tier's cap
    (no add-on below it); the upper cap is where the least-squares line through ``(lower cap,
    base IMF)`` and the higher tiers' ``(notional_cap, im_rate)`` reaches 100%.

    dYdX's maintenance margin is ``maintenance fraction x base IMF``: the open-interest
    scaling raises the initial margin only.
    """
    if not (0 < mm_rate <= im_rate <= 1):
        raise ConfigError(f"need 0 < mm_rate <= im_rate <= 1, got mm={mm_rate!r}, im={im_rate!r}")
    imf_ppm = math.ceil(round(im_rate * _PPM, 6))
    base = imf_ppm / _PPM
    lower = upper = 0.0
    if tiers is not None:
        lower, upper = _ramp_caps(_tier_frame(tiers, "tiers"), base)
    return {
        "name": str(name),
        "initial_margin_ppm": int(imf_ppm),
        "maintenance_fraction_ppm": int(round(mm_rate / im_rate * _PPM)),
        "impact_notional": int(round(500.0 / base * QUOTE_QUANTUMS_PER_USDC)),
        "open_interest_lower_cap": int(round(lower * QUOTE_QUANTUMS_PER_USDC)),
        "open_interest_upper_cap": int(round(upper * QUOTE_QUANTUMS_PER_USDC)),
    }


def dydx_rates(tier: Mapping[str, Any]) -> dict[str, float]:
    """Rates of a dYdX liquidity tier as fractions and USD: ``imf``, ``mmf`` (= maintenance
    fraction x IMF), ``maintenance_fraction``, ``open_interest_lower_cap_usd``,
    ``open_interest_upper_cap_usd``."""
    try:
        imf = tier["initial_margin_ppm"] / _PPM
        frac = tier["maintenance_fraction_ppm"] / _PPM
        lo = tier["open_interest_lower_cap"] / QUOTE_QUANTUMS_PER_USDC
        hi = tier["open_interest_upper_cap"] / QUOTE_QUANTUMS_PER_USDC
    except (KeyError, TypeError) as exc:
        raise ConfigError(f"not a dYdX liquidity tier ({exc!r}): {dict(tier)!r}") from None
    return {
        "imf": imf,
        "mmf": imf * frac,
        "maintenance_fraction": frac,
        "open_interest_lower_cap_usd": lo,
        "open_interest_upper_cap_usd": hi,
    }


# --------------------------------------------------------------------------------------------
# Binance
def _leverage(im: np.ndarray) -> np.ndarray:
    """Largest whole leverage whose initial rate ``1 / L`` is at least ``im`` (at least 1)."""
    with np.errstate(divide="ignore"):
        lev = np.floor(1.0 / im + 1e-9)
    return np.maximum(lev, 1).astype(int)


def binance_brackets(
    tiers: pd.DataFrame | Sequence[Mapping[str, float]], symbol: str = "BTCUSDT"
) -> dict[str, Any]:
    """Binance USD-M leverage brackets from a calibrated tier table, in Binance's fields.

    Parameters
    ----------
    tiers : DataFrame or sequence of mappings
        Tier table (``notional_floor``, ``notional_cap``, ``im_rate``, ``mm_rate``; a
        ``maintenance_amount`` column is recomputed).
    symbol : str
        Contract symbol written in the set.

    Returns
    -------
    dict
        ``{"symbol", "brackets": [{"bracket", "initialLeverage", "notionalFloor",
        "notionalCap", "maintMarginRatio", "cum"}]}``, as Binance's ``leverageBracket``
        endpoint writes them; ``initialLeverage = floor(1 / im_rate)`` (at least 1) and ``cum``
        by the continuity rule of :func:`riskkit.margin.maintenance_amounts`.
    """
    t = _tier_frame(tiers, "tiers")
    floors = t["notional_floor"].to_numpy(float)
    mm = t["mm_rate"].to_numpy(float)
    lev = _leverage(t["im_rate"].to_numpy(float))
    cum = maintenance_amounts(floors, mm)
    return {
        "symbol": str(symbol),
        "brackets": [
            {
                "bracket": i + 1,
                "initialLeverage": int(lev[i]),
                "notionalFloor": float(floors[i]),
                "notionalCap": float(t["notional_cap"].iloc[i]),
                "maintMarginRatio": float(mm[i]),
                "cum": round(float(cum[i]), 2),
            }
            for i in range(len(t))
        ],
    }


# --------------------------------------------------------------------------------------------
# Hyperliquid
def hyperliquid_margin_table(
    tiers: pd.DataFrame | Sequence[Mapping[str, float]], description: str | None = None
) -> dict[str, Any]:
    """A Hyperliquid margin table from a calibrated tier table, in Hyperliquid's fields.

    Parameters
    ----------
    tiers : DataFrame or sequence of mappings
        Tier table (``notional_floor``, ``notional_cap``, ``im_rate``, ``mm_rate``).
    description : str, optional
        The table's ``description`` (default ``"tiered NNx"``, NN the first band's leverage,
        as Hyperliquid names its tables).

    Returns
    -------
    dict
        ``{"description", "marginTiers": [{"lowerBound": "0.0", "maxLeverage": L}, ...]}``:
        ``maxLeverage = floor(1 / max(im_rate, 2 mm_rate))`` (at least 1), one band per
        change of leverage, ``lowerBound`` the notional floor (USD) as a decimal string.

    Notes
    -----
    The maintenance rate is not a field: Hyperliquid sets it to half the initial rate at
    maximum leverage (:func:`hyperliquid_maintenance`). A leverage of ``floor(1 / im_rate)``
    alone would leave the venue's MM at about ``im_rate / 2``, below a calibrated MM above half
    the IM (riskkit's default ``mm_ratio`` is 0.6); taking the leverage from ``max(im_rate, 2
    mm_rate)`` keeps both ``1 / L >= im_rate`` and ``1 / (2 L) >= mm_rate`` (leverages are whole
    numbers), at the price of an IM above the calibrated one when the MM binds.
    """
    t = _tier_frame(tiers, "tiers")
    binding = np.maximum(t["im_rate"].to_numpy(float), 2.0 * t["mm_rate"].to_numpy(float))
    lev = _leverage(binding)
    bands = []
    for floor, lv in zip(t["notional_floor"].to_numpy(float), lev, strict=True):
        if bands and bands[-1]["maxLeverage"] == int(lv):
            continue
        bands.append({"lowerBound": f"{floor:.1f}", "maxLeverage": int(lv)})
    return {
        "description": description or f"tiered {bands[0]['maxLeverage']}x",
        "marginTiers": bands,
    }


def hyperliquid_maintenance(table: Mapping[str, Any]) -> pd.DataFrame:
    """Initial and maintenance rates of each band of a Hyperliquid margin table.

    Parameters
    ----------
    table : mapping
        ``{"marginTiers": [{"lowerBound", "maxLeverage"}, ...]}``.

    Returns
    -------
    pandas.DataFrame
        Index ``band`` (1, 2, ...); ``lower_bound`` (USD), ``max_leverage``, ``im_rate`` (``1 /
        maxLeverage``), ``mm_rate`` (``im_rate / 2``, Hyperliquid's rule) and
        ``maintenance_deduction`` (USD; keeps ``notional x mm_rate - deduction`` continuous).

    Raises
    ------
    ConfigError
        No bands, a leverage below 1, or lower bounds not increasing from 0.
    """
    try:
        bands = list(table["marginTiers"])
        lower = np.array([float(b["lowerBound"]) for b in bands])
        lev = np.array([float(b["maxLeverage"]) for b in bands])
    except (KeyError, TypeError, ValueError) as exc:
        raise ConfigError(f"not a Hyperliquid margin table ({exc!r})") from None
    if not bands or lower[0] != 0 or np.any(np.diff(lower) <= 0) or np.any(lev < 1):
        raise ConfigError(
            "a Hyperliquid margin table needs bands with lowerBound increasing from 0 and "
            f"maxLeverage >= 1, got {bands!r}"
        )
    im = 1.0 / lev
    mm = im / 2.0
    return pd.DataFrame(
        {
            "lower_bound": lower,
            "max_leverage": lev.astype(int),
            "im_rate": im,
            "mm_rate": mm,
            "maintenance_deduction": maintenance_amounts(lower, mm),
        },
        index=pd.RangeIndex(1, len(bands) + 1, name="band"),
    )


# --------------------------------------------------------------------------------------------
# the section of the parameter file
def venue_parameter_sets(
    assets: Mapping[str, Mapping[str, Any]], venues: Sequence[str] = VENUE_SETS
) -> dict[str, dict[str, Any]]:
    """The ``venue_parameter_sets`` section of a parameter file, from its ``assets`` section.

    Parameters
    ----------
    assets : mapping of str to mapping
        ``{asset: parameters}`` as in a parameter file (``im_rate``, ``mm_rate``, ``tiers``),
        or ``{a: cal.parameters}`` of :class:`~riskkit.margin.AssetCalibration` objects.
    venues : sequence of {"binance", "dydx", "hyperliquid"}
        The sets to write.

    Returns
    -------
    dict
        ``{venue: {asset: set}}``, each set in the venue's own fields
        (:func:`binance_brackets`, :func:`dydx_liquidity_tier`,
        :func:`hyperliquid_margin_table`). An asset without tiers (a series without volume)
        gets a one-tier table from its headline rates for Binance and Hyperliquid and no
        open-interest scaling on dYdX.

    Raises
    ------
    ConfigError
        An unknown venue (the configuration key ``venue_parameter_sets`` is named).
    """
    names = [str(v).strip().lower() for v in venues]
    unknown = [v for v in names if v not in VENUE_SETS]
    if unknown:
        raise ConfigError(
            f"venue_parameter_sets: unknown venue(s) {unknown}; known: {list(VENUE_SETS)}"
        )
    out: dict[str, dict[str, Any]] = {v: {} for v in names}
    for asset, p in sorted(assets.items()):
        try:
            im, mm = float(p["im_rate"]), float(p["mm_rate"])
        except (KeyError, TypeError, ValueError) as exc:
            raise ConfigError(
                f"assets.{asset}: needs numeric im_rate and mm_rate (fractions) to write venue "
                f"parameter sets ({type(exc).__name__}: {exc})"
            ) from None
        tiers = p.get("tiers")
        table = (
            _tier_frame(tiers, f"assets.{asset}.tiers")
            if tiers
            else pd.DataFrame(
                [{"notional_floor": 0.0, "notional_cap": math.inf, "im_rate": im, "mm_rate": mm}]
            )
        )
        for v in names:
            if v == "binance":
                out[v][asset] = binance_brackets(table, symbol=f"{asset}USDT")
            elif v == "dydx":
                out[v][asset] = dydx_liquidity_tier(
                    im, mm, table if tiers else None, name=f"riskkit {asset}-USD"
                )
            else:
                out[v][asset] = hyperliquid_margin_table(table)
    return out


def published_venue_sets() -> pd.DataFrame:
    """Published bands of each venue's set, BTC and ETH, with date and source.

    Returns
    -------
    pandas.DataFrame
        One row per venue, asset and band: ``venue``, ``asset``, ``band``, ``notional_floor``
        (USD; for dYdX the open-interest lower cap), ``notional_cap`` (USD; dYdX: upper cap, 0
        = no scaling), ``im_rate``, ``mm_rate``, ``max_leverage``, ``as_of``, ``source``. A
        fresh copy on every call. Binance: BTCUSDT brackets only (ETHUSDT's differ above 12M).
    """
    floors = [f for f, _ in BINANCE_BTCUSDT_TIERS]
    binance = binance_brackets(
        pd.DataFrame(
            {
                "notional_floor": floors,
                "notional_cap": floors[1:] + [_BINANCE_LAST_CAP],
                "im_rate": [1.0 / lev for lev in BINANCE_BTCUSDT_LEVERAGE],
                "mm_rate": [m for _, m in BINANCE_BTCUSDT_TIERS],
            }
        )
    )
    sets = [("binance", "BTC", binance, "2025-08-19", f"{_BINANCE_SOURCE} (BTCUSDT)")]
    sets += [
        ("dydx", a, t, _DYDX_AS_OF, f"{_DYDX_SOURCE} ({a}-USD)")
        for a, t in DYDX_LIQUIDITY_TIERS.items()
    ]
    sets += [
        ("hyperliquid", a, t, _HYPERLIQUID_AS_OF, f"{_HYPERLIQUID_SOURCE} ({a})")
        for a, t in HYPERLIQUID_MARGIN_TABLES.items()
    ]
    rows = [
        {"venue": venue, "asset": asset, **band, "as_of": as_of, "source": source}
        for venue, asset, s, as_of, source in sets
        for band in _set_bands(venue, s)
    ]
    return pd.DataFrame(rows)


def _set_bands(venue: str, s: Mapping[str, Any]) -> list[dict[str, Any]]:
    """Bands of one set as rows: notional_floor, notional_cap, im_rate, mm_rate, max_leverage."""
    if venue == "binance":
        return [
            {
                "band": b["bracket"],
                "notional_floor": b["notionalFloor"],
                "notional_cap": math.inf if b["notionalCap"] is None else b["notionalCap"],
                "im_rate": 1.0 / b["initialLeverage"],
                "mm_rate": b["maintMarginRatio"],
                "max_leverage": float(b["initialLeverage"]),
            }
            for b in s["brackets"]
        ]
    if venue == "dydx":
        r = dydx_rates(s)
        return [
            {
                "band": 1,
                "notional_floor": r["open_interest_lower_cap_usd"],
                "notional_cap": r["open_interest_upper_cap_usd"],
                "im_rate": r["imf"],
                "mm_rate": r["mmf"],
                "max_leverage": 1.0 / r["imf"],
            }
        ]
    m = hyperliquid_maintenance(s)
    bounds = list(m["lower_bound"]) + [math.inf]
    return [
        {
            "band": int(band),
            "notional_floor": row["lower_bound"],
            "notional_cap": bounds[int(band)],
            "im_rate": row["im_rate"],
            "mm_rate": row["mm_rate"],
            "max_leverage": float(row["max_leverage"]),
        }
        for band, row in m.iterrows()
    ]


def venue_sets_table(parameter_set: Mapping[str, Any]) -> pd.DataFrame:
    """The ``venue_parameter_sets`` of a parameter file as one table, published values beside.

    Parameters
    ----------
    parameter_set : mapping
        A parameter file's content (as :func:`riskkit.margin.load_parameter_set` returns it),
        or its ``venue_parameter_sets`` section alone.

    Returns
    -------
    pandas.DataFrame
        One row per venue, asset and band: ``venue``, ``asset``, ``band``, ``notional_floor``,
        ``notional_cap`` (USD; dYdX: the open-interest caps, 0 = no scaling), ``im_rate``,
        ``mm_rate``, ``max_leverage``, then the published band of that venue and asset that
        holds the same notional floor (dYdX: the published base tier): ``published_im_rate``,
        ``published_mm_rate``, ``published_max_leverage``, ``published_as_of``,
        ``published_source`` (NaN/empty when the venue publishes nothing for that asset in
        :func:`published_venue_sets`). Empty (with these columns) when the file has no such
        section.
    """
    if "venue_parameter_sets" in parameter_set:
        section = parameter_set["venue_parameter_sets"]
    elif "assets" in parameter_set:  # a parameter file without the section
        section = {}
    else:
        section = parameter_set
    published = published_venue_sets()
    cols = [
        "venue",
        "asset",
        "band",
        "notional_floor",
        "notional_cap",
        "im_rate",
        "mm_rate",
        "max_leverage",
        "published_im_rate",
        "published_mm_rate",
        "published_max_leverage",
        "published_as_of",
        "published_source",
    ]
    rows: list[dict[str, Any]] = []
    for venue, sets in (section or {}).items():
        for asset, s in sets.items():
            pub = published[(published["venue"] == venue) & (published["asset"] == asset)]
            for band in _set_bands(venue, s):
                row = {"venue": venue, "asset": asset, **band}
                match = pub[pub["notional_floor"] <= band["notional_floor"]]
                if venue == "dydx":
                    match = pub
                if len(match):
                    p = match.iloc[-1]
                    row.update(
                        published_im_rate=p["im_rate"],
                        published_mm_rate=p["mm_rate"],
                        published_max_leverage=p["max_leverage"],
                        published_as_of=p["as_of"],
                        published_source=p["source"],
                    )
                rows.append(row)
    return pd.DataFrame(rows, columns=cols)


def venue_set_problems(
    section: Mapping[str, Any], where: str = "venue_parameter_sets"
) -> list[str]:
    """Rules of the ``venue_parameter_sets`` section a JSON Schema cannot express.

    Binance: brackets numbered 1, 2, ... from notional 0, contiguous, ``initialLeverage`` not
    rising, ``maintMarginRatio <= 1 / initialLeverage`` and ``cum`` continuous at each bracket
    floor. dYdX: ``open_interest_lower_cap <= open_interest_upper_cap``, also when the upper cap
    is 0 (dYdX's ``LiquidityTier.Validate``). Hyperliquid: ``lowerBound`` rising from 0,
    ``maxLeverage`` not rising.

    Returns
    -------
    list of str
        One message per violation, with its JSON path; empty when the section is sound (a
        mistyped field is left to the schema's messages).
    """
    out: list[str] = []
    for venue, sets in section.items():
        if not isinstance(sets, Mapping):
            continue
        for asset, s in sets.items():
            at = f"{where}.{venue}.{asset}"
            try:
                if venue == "binance":
                    out.extend(_binance_problems(at, s["brackets"]))
                elif venue == "dydx":
                    lo, hi = s["open_interest_lower_cap"], s["open_interest_upper_cap"]
                    if lo > hi:
                        out.append(
                            f"{at}.open_interest_lower_cap: {lo} exceeds open_interest_upper_cap "
                            f"{hi}"
                        )
                elif venue == "hyperliquid":
                    bands = s["marginTiers"]
                    lower = [float(b["lowerBound"]) for b in bands]
                    lev = [b["maxLeverage"] for b in bands]
                    if lower[0] != 0:
                        out.append(f"{at}.marginTiers[0].lowerBound: must be 0")
                    for i in range(1, len(bands)):
                        if lower[i] <= lower[i - 1]:
                            out.append(f"{at}.marginTiers[{i}].lowerBound: must rise")
                        if lev[i] > lev[i - 1]:
                            out.append(f"{at}.marginTiers[{i}].maxLeverage: rises with notional")
            except (KeyError, TypeError, ValueError, IndexError, ZeroDivisionError):
                continue  # the schema names the missing or mistyped field
    return out


def _binance_problems(at: str, brackets: Sequence[Mapping[str, Any]]) -> list[str]:
    out: list[str] = []
    if brackets[0]["notionalFloor"] != 0:
        out.append(f"{at}.brackets[0].notionalFloor: must be 0")
    for i, b in enumerate(brackets):
        if b["bracket"] != i + 1:
            out.append(f"{at}.brackets[{i}].bracket: {b['bracket']}, expected {i + 1}")
        if b["maintMarginRatio"] > 1.0 / b["initialLeverage"] + 1e-12:
            out.append(
                f"{at}.brackets[{i}].maintMarginRatio: {b['maintMarginRatio']} exceeds the "
                f"initial rate 1/{b['initialLeverage']}"
            )
        if i == 0:
            if b["cum"] != 0:
                out.append(f"{at}.brackets[0].cum: must be 0")
            continue
        prev = brackets[i - 1]
        if prev["notionalCap"] != b["notionalFloor"]:
            out.append(
                f"{at}.brackets[{i}].notionalFloor: {b['notionalFloor']} != previous cap "
                f"{prev['notionalCap']} (brackets must be contiguous)"
            )
        if b["initialLeverage"] > prev["initialLeverage"]:
            out.append(f"{at}.brackets[{i}].initialLeverage: rises with notional")
        f = b["notionalFloor"]
        left = f * prev["maintMarginRatio"] - prev["cum"]
        right = f * b["maintMarginRatio"] - b["cum"]
        if abs(left - right) > 0.01 + 1e-9 * abs(left):
            out.append(
                f"{at}.brackets[{i}].cum: maintenance margin jumps from {left:.6g} to "
                f"{right:.6g} at notional {f:g}"
            )
    return out
