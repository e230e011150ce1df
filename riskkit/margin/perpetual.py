"""Perpetual-specific margin: funding and basis add-ons to the maintenance margin, a mark-price
replica to judge liquidations on the mark rather than the last price, and the consistency of a
venue's funding cap with its maintenance rate.

A perpetual position loses money in two ways a model of spot returns does not see:

* **funding**: a long pays ``funding_rate x notional`` at every funding time when the rate is
  positive (a short when it is negative). Over a liquidation horizon the funding paid is the
  rolling sum of the rates (:func:`riskkit.data.funding_accrual`);
* **basis**: liquidations are judged on the venue's *mark* price, which can stand away from the
  index (spot) the risk model was fitted to, by ``|mark - index| / index``
  (:func:`riskkit.data.basis`).

:func:`funding_basis_addon` takes a high quantile of each over the liquidation horizon and
adds them to the maintenance rate; :meth:`PerpetualAddon.decomposition` shows what share of the
margin each piece is. :func:`mark_price_replica` rebuilds Binance's mark price from the index,
the last price and the funding rate, and :func:`mark_vs_last_liquidations` counts the
positions a liquidation on the last traded price would close that the mark keeps open (and the
reverse). :func:`funding_cap_check` checks ``cap <= k x MMR``: one funding payment at the cap
must not eat the maintenance margin.

Sign convention: a positive funding rate means longs pay shorts; add-ons, margin rates and caps
are positive fractions of notional. Times are UTC; bars are labelled by their open time, so a
bar's close is at ``open time + bar interval``.

References
----------
Binance FAQ, "Mark Price and Price Index" (and announcement of 2025-09-18 on the 30-second
basis window): mark price = median(P1, P2, last price), P1 = index x (1 + last funding rate x
time until next funding / funding interval), P2 = index + moving average of (mid - index);
as summarised in ``shared/references/regulation_and_venue_parameters.md``.
Binance FAQ, "Introduction to Binance Futures Funding Rates" (2023-2025): capped funding rate =
clamp(F, -k x MMR, +k x MMR) with k = 0.75.
dYdX v4 (``dydxprotocol/v4-chain``, ``x/perpetuals/types/keys.go`` and genesis): |funding rate|
<= funding_rate_clamp_factor (600%) x (initial margin - maintenance margin).
Hyperliquid docs, "Funding" (2025): funding capped at 4% per hour.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Annotated, Any

import numpy as np
import pandas as pd

from riskkit._settings import Choice, Float, Range, SettingsModel, Text
from riskkit.bars import BarClock, infer_interval, interval_label
from riskkit.data.perpetual import basis, funding_accrual
from riskkit.exceptions import ConfigError, DataError

logger = logging.getLogger(__name__)

__all__ = [
    "SIDES",
    "PerpetualAddon",
    "MarkLastComparison",
    "FundingCapCheck",
    "mark_price_replica",
    "mark_vs_last_liquidations",
    "liquidation_thresholds",
    "funding_basis_addon",
    "funding_cap_check",
    "published_funding_caps",
    "funding_cap_table",
    "perpetual_addon_table",
    "PerpetualFiles",
    "PerpetualSpec",
    "perpetual_addons",
    "example_perpetual_files",
]

#: position sides an add-on or a liquidation count can be taken for
SIDES: tuple[str, ...] = ("long", "short", "both")


# --------------------------------------------------------------------------------------------
# helpers
def _closes(x: pd.Series | pd.DataFrame, column: str, what: str) -> pd.Series:
    if isinstance(x, pd.DataFrame):
        if column not in x.columns:
            raise DataError(f"{what}: no {column!r} column; columns are {list(x.columns)}")
        x = x[column]
    if not isinstance(x, pd.Series) or not isinstance(x.index, pd.DatetimeIndex):
        raise DataError(f"{what}: expected a Series or DataFrame indexed by a DatetimeIndex")
    if x.index.has_duplicates or not x.index.is_monotonic_increasing:
        raise DataError(f"{what}: timestamps must be sorted and unique")
    return x.astype(float)


def _side(side: str) -> str:
    if side not in SIDES:
        raise ConfigError(f"side must be one of {SIDES}, got {side!r}")
    return side


def _quantile(q: float) -> float:
    if not (isinstance(q, (int, float)) and 0.5 <= q < 1):
        raise ConfigError(f"quantile must lie in [0.5, 1), got {q!r}")
    return float(q)


def _duration(value: str | pd.Timedelta | float, what: str) -> pd.Timedelta:
    """A duration: a Timedelta, text such as ``8h`` or ``2D``, or a number of days."""
    try:
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            out = pd.Timedelta(days=float(value))
        else:
            out = pd.Timedelta(value)
    except (ValueError, TypeError):
        raise ConfigError(f"{what} must be a duration such as 8h or 2D, got {value!r}") from None
    if out <= pd.Timedelta(0):
        raise ConfigError(f"{what} must be positive, got {value!r}")
    return out


def _bar_step(index: pd.DatetimeIndex, what: str) -> pd.Timedelta:
    step = infer_interval(index)
    if step is None:
        raise DataError(f"{what}: need at least two bars to know the bar interval")
    return step


# --------------------------------------------------------------------------------------------
# mark price
def mark_price_replica(
    index: pd.Series | pd.DataFrame,
    last: pd.Series | pd.DataFrame,
    funding: pd.Series | pd.DataFrame,
    *,
    funding_interval: str | pd.Timedelta = "8h",
    basis_window: int = 30,
    mid: pd.Series | pd.DataFrame | None = None,
    column: str = "close",
) -> pd.DataFrame:
    """Binance's mark price rebuilt from the index, the last price and the funding rate.

    Parameters
    ----------
    index, last : Series or DataFrame
        Index-price and last-traded-price bars (a DataFrame: its ``column``), on the same bar
        grid (bars both have are used), labelled by open time; the prices are taken at each
        bar's close, ``open time + bar interval``.
    funding : Series or DataFrame
        Funding rates at the funding times (as :func:`riskkit.data.read_funding` returns them;
        a DataFrame: its ``funding_rate``). At each bar close the **last settled** rate (at or
        before that time) is used: nothing from the future.
    funding_interval : str or Timedelta, default "8h"
        Funding interval; funding times are on its grid from 00:00 UTC.
    basis_window : int, default 30
        Bars in the moving average of ``mid - index`` (Binance: 30 one-second samples since
        2025-09-18; on minute or hourly bars the window is a number of those bars).
    mid : Series or DataFrame, optional
        Mid price of the order book; default the last price.
    column : str, default "close"

    Returns
    -------
    pandas.DataFrame
        Index ``date`` (bar open time); columns ``index``, ``last``, ``funding_rate``,
        ``hours_to_funding``, ``p1`` (``index x (1 + funding_rate x hours_to_funding /
        interval)``), ``p2`` (``index + rolling mean of (mid - index)``) and ``mark`` (median
        of ``p1``, ``p2``, ``last``; NaN before the first funding rate and the first full
        averaging window).

    Raises
    ------
    DataError
        No bar in common, unsorted or duplicate timestamps.
    ConfigError
        A non-positive ``funding_interval`` or ``basis_window``.

    References
    ----------
    Binance FAQ, "Mark Price and Price Index"; announcement 2025-09-18 (30-second window).
    """
    idx = _closes(index, column, "index")
    lst = _closes(last, column, "last")
    mids = lst if mid is None else _closes(mid, column, "mid")
    rates = _closes(funding, "funding_rate", "funding")
    interval = _duration(funding_interval, "funding_interval")
    if not (isinstance(basis_window, int) and basis_window >= 1):
        raise ConfigError(f"basis_window must be a whole number of bars >= 1, got {basis_window!r}")
    frame = pd.concat([idx.rename("index"), lst.rename("last"), mids.rename("mid")], axis=1)
    frame = frame.dropna(subset=["index", "last"])
    if frame.empty:
        raise DataError("index and last have no bar in common")
    step = _bar_step(pd.DatetimeIndex(frame.index), "index/last")
    close_time = pd.DatetimeIndex(frame.index) + step
    # last settled funding rate at each bar close: an as-of lookup, never a later rate
    pos = rates.index.searchsorted(close_time, side="right") - 1
    rate = np.where(pos >= 0, rates.to_numpy()[np.maximum(pos, 0)], np.nan)
    ns = close_time.asi8 - close_time.normalize().asi8  # ns since 00:00 UTC of that day
    to_next = interval.value - (ns % interval.value)
    hours = to_next / pd.Timedelta("1h").value
    frame["funding_rate"] = rate
    frame["hours_to_funding"] = hours
    frame["p1"] = frame["index"] * (1.0 + rate * to_next / interval.value)
    spread = (frame["mid"] - frame["index"]).rolling(basis_window, min_periods=basis_window).mean()
    frame["p2"] = frame["index"] + spread
    parts = frame[["p1", "p2", "last"]].to_numpy(float)
    mark = np.median(parts, axis=1)  # NaN wherever a part is missing
    frame["mark"] = mark
    return frame.drop(columns="mid").rename_axis("date")


# --------------------------------------------------------------------------------------------
# liquidations on mark vs last
def liquidation_thresholds(im_rate: float, mm_rate: float) -> tuple[float, float]:
    """Price ratios ``P / P0`` at which a position opened at ``P0`` with initial margin
    ``im_rate`` reaches its maintenance margin ``mm_rate``.

    Returns
    -------
    tuple of float
        ``(long, short)``: ``(1 - im) / (1 - mm)`` and ``(1 + im) / (1 + mm)``.

    Notes
    -----
    Long: equity ``im P0 + (P - P0)`` per unit falls to the maintenance margin ``mm P`` when
    ``P / P0 = (1 - im) / (1 - mm)``. Short: ``im P0 + (P0 - P) = mm P`` at ``(1 + im) / (1 +
    mm)``. Fees and funding are left out.
    """
    if not (0 < mm_rate < im_rate <= 1):
        raise ConfigError(f"need 0 < mm_rate < im_rate <= 1, got mm={mm_rate!r}, im={im_rate!r}")
    return (1.0 - im_rate) / (1.0 - mm_rate), (1.0 + im_rate) / (1.0 + mm_rate)


@dataclass(frozen=True)
class MarkLastComparison:
    """Liquidations of the same positions judged on the last price and on the mark price.

    Attributes
    ----------
    counts : pandas.DataFrame
        Index ``side`` (``long``, ``short``); columns ``positions``, ``both`` (liquidated on
        both prices), ``last_only`` (on the last price, not on the mark: the liquidations the
        mark price avoids), ``mark_only``, ``neither``.
    events : pandas.DataFrame
        One row per position opened: index ``date`` (entry bar), columns ``long_last``,
        ``long_mark``, ``short_last``, ``short_mark`` (True when liquidated on that price
        within the horizon).
    im_rate, mm_rate : float
    horizon_bars : int
    thresholds : tuple of float
        ``(long, short)`` from :func:`liquidation_thresholds`.
    """

    counts: pd.DataFrame
    events: pd.DataFrame = field(repr=False)
    im_rate: float
    mm_rate: float
    horizon_bars: int
    thresholds: tuple[float, float]

    @property
    def avoided_share(self) -> float:
        """Share of the liquidations on the last price that the mark price does not trigger:
        ``last_only / (last_only + both)`` over both sides (NaN when there is none)."""
        c = self.counts.sum()
        n = c["last_only"] + c["both"]
        return float(c["last_only"] / n) if n else math.nan

    def summary(self) -> str:
        """The counts as text."""
        c = self.counts
        lines = [
            f"Liquidations on last vs mark price: IM {self.im_rate:.4%}, MM {self.mm_rate:.4%}, "
            f"horizon {self.horizon_bars} bar(s)"
        ]
        for side, row in c.iterrows():
            lines.append(
                f"  {side:5s}: {int(row['positions'])} positions, both {int(row['both'])}, last "
                f"only {int(row['last_only'])}, mark only {int(row['mark_only'])}"
            )
        lines.append(
            f"  share of last-price liquidations the mark avoids: {self.avoided_share:.1%}"
        )
        return "\n".join(lines)


def _extreme_ahead(values: np.ndarray, horizon: int, how: str) -> np.ndarray:
    """For each bar t, the min (or max) of ``values[t+1 : t+1+horizon]``; NaN where the window
    runs past the data."""
    n = values.size
    out = np.full(n, np.nan)
    if n <= horizon:
        return out
    windows = np.lib.stride_tricks.sliding_window_view(values[1:], horizon)
    agg = np.min(windows, axis=1) if how == "min" else np.max(windows, axis=1)
    out[: agg.size] = agg
    return out


def mark_vs_last_liquidations(
    last: pd.Series | pd.DataFrame,
    mark: pd.Series | pd.DataFrame,
    im_rate: float,
    mm_rate: float,
    horizon: str | pd.Timedelta | int = "8h",
    *,
    step: int = 1,
) -> MarkLastComparison:
    """Count positions liquidated on the last price but not on the mark, and the reverse.

    A long and a short are opened at the last price's close of every ``step``-th bar, with
    initial margin ``im_rate``, and held over ``horizon``; each is liquidated on a price series
    when that series reaches the level of :func:`liquidation_thresholds` within the horizon
    (on the bars' lows for a long and highs for a short when the series have them, else on the
    closes).

    Parameters
    ----------
    last, mark : Series or DataFrame
        Last-traded and mark price bars on the same grid (DataFrames with ``close`` and,
        optionally, ``high``/``low``; e.g. :func:`riskkit.data.read_klines` of ``trade`` and
        ``mark`` klines, or the ``mark`` column of :func:`mark_price_replica`).
    im_rate, mm_rate : float
        Initial and maintenance rates (``0 < mm_rate < im_rate <= 1``).
    horizon : str, Timedelta or int, default "8h"
        Holding horizon: a duration converted to bars with :class:`riskkit.bars.BarClock` of
        the bars' interval, or a number of bars.
    step : int, default 1
        Open positions at every ``step``-th bar.

    Returns
    -------
    MarkLastComparison
    """
    lo_long, hi_short = liquidation_thresholds(im_rate, mm_rate)
    close = _closes(last, "close", "last")
    mk = _closes(mark, "close", "mark")
    both = close.index.intersection(mk.index)
    if len(both) < 2:
        raise DataError("last and mark have fewer than two bars in common")
    if isinstance(horizon, (int, np.integer)) and not isinstance(horizon, bool):
        h = int(horizon)
    else:
        clock = BarClock(_bar_step(both, "last/mark"))
        h = int(round(clock.from_hours(_duration(horizon, "horizon") / pd.Timedelta("1h"))))
    if h < 1:
        raise ConfigError(f"horizon must be at least one bar, got {horizon!r}")
    if not (isinstance(step, int) and step >= 1):
        raise ConfigError(f"step must be a whole number >= 1, got {step!r}")

    def col(x: pd.Series | pd.DataFrame, closes: pd.Series, name: str) -> np.ndarray:
        """A bar's low/high when the frame has it, else its close, on the common bars."""
        s = x[name] if isinstance(x, pd.DataFrame) and name in x.columns else closes
        return s.reindex(both).to_numpy(float)

    p0 = close.reindex(both).to_numpy(float)
    flags: dict[str, np.ndarray] = {}
    for name, frame, closes in (("last", last, close), ("mark", mark, mk)):
        low = _extreme_ahead(col(frame, closes, "low"), h, "min")
        high = _extreme_ahead(col(frame, closes, "high"), h, "max")
        flags[f"long_{name}"] = low <= lo_long * p0
        flags[f"short_{name}"] = high >= hi_short * p0
    valid = np.zeros(len(both), dtype=bool)
    valid[: max(len(both) - h, 0) : step] = True
    events = pd.DataFrame({k: v[valid] for k, v in flags.items()}, index=both[valid])
    events.index.name = "date"
    rows = {}
    for side in ("long", "short"):
        a, b = events[f"{side}_last"].to_numpy(), events[f"{side}_mark"].to_numpy()
        rows[side] = {
            "positions": int(len(events)),
            "both": int(np.sum(a & b)),
            "last_only": int(np.sum(a & ~b)),
            "mark_only": int(np.sum(~a & b)),
            "neither": int(np.sum(~a & ~b)),
        }
    counts = pd.DataFrame.from_dict(rows, orient="index").rename_axis("side")
    return MarkLastComparison(
        counts=counts,
        events=events,
        im_rate=float(im_rate),
        mm_rate=float(mm_rate),
        horizon_bars=h,
        thresholds=(lo_long, hi_short),
    )


# --------------------------------------------------------------------------------------------
# funding and basis add-on
@dataclass(frozen=True)
class PerpetualAddon:
    """Funding-accrual and basis add-ons to the maintenance margin of a perpetual.

    Attributes
    ----------
    funding_addon : float
        ``quantile`` of the funding paid over the horizon by the side(s) considered (a fraction
        of notional, floored at 0: funding received is no cushion).
    basis_addon : float
        ``quantile`` of the largest ``|mark - index| / index`` within the horizon.
    mm_rate : float or None
        Base maintenance rate the add-ons go on top of (None when not given).
    quantile : float
    horizon : pandas.Timedelta
    side : {"long", "short", "both"}
    funding_paid : pandas.Series
        Funding paid over the horizon ending at each funding time by the side the add-on is
        for (positive: a cost): the long's :func:`riskkit.data.funding_accrual` for ``side=
        "long"``, its negative for ``"short"``, and for ``"both"`` whichever of the two has
        the larger quantile.
    basis_max : pandas.Series
        Largest ``|mark - index| / index`` over the horizon ending at each bar.
    """

    funding_addon: float
    basis_addon: float
    mm_rate: float | None
    quantile: float
    horizon: pd.Timedelta
    side: str
    funding_paid: pd.Series = field(repr=False)
    basis_max: pd.Series = field(repr=False)

    @property
    def addon(self) -> float:
        """Funding plus basis add-on."""
        return self.funding_addon + self.basis_addon

    @property
    def mm_with_addon(self) -> float | None:
        """Maintenance rate with both add-ons (None without a base rate)."""
        return None if self.mm_rate is None else self.mm_rate + self.addon

    def decomposition(self) -> pd.DataFrame:
        """What share of the maintenance margin each piece is.

        Returns
        -------
        pandas.DataFrame
            Index ``piece`` (``base maintenance`` when a base rate was given, ``funding
            accrual``, ``mark-index basis``, ``total``); columns ``rate`` (fraction of
            notional) and ``share`` (of the total).
        """
        pieces = {}
        if self.mm_rate is not None:
            pieces["base maintenance"] = self.mm_rate
        pieces["funding accrual"] = self.funding_addon
        pieces["mark-index basis"] = self.basis_addon
        total = sum(pieces.values())
        pieces["total"] = total
        frame = pd.DataFrame({"rate": pd.Series(pieces)})
        frame["share"] = frame["rate"] / total if total > 0 else math.nan
        return frame.rename_axis("piece")

    def summary(self) -> str:
        """The decomposition as text."""
        lines = [
            f"Perpetual add-on ({self.side}, {self.quantile:.1%} quantile over "
            f"{interval_label(self.horizon)}; funding {self.funding_paid.index.min()} to "
            f"{self.funding_paid.index.max()}):"
        ]
        for piece, row in self.decomposition().iterrows():
            lines.append(f"  {piece:17s} {row['rate']:.4%}  ({row['share']:.1%})")
        return "\n".join(lines)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready record for the ``perpetual`` section of the parameter file."""

        def day(x: Any) -> str | None:
            return None if pd.isna(x) else pd.Timestamp(x).strftime("%Y-%m-%dT%H:%MZ")

        return {
            "funding_addon": float(self.funding_addon),
            "basis_addon": float(self.basis_addon),
            "addon": float(self.addon),
            "mm_rate": self.mm_rate,
            "mm_with_addon": self.mm_with_addon,
            "quantile": self.quantile,
            "horizon": interval_label(self.horizon),
            "side": self.side,
            "data": {
                "funding_first": day(self.funding_paid.index.min()),
                "funding_last": day(self.funding_paid.index.max()),
                "n_funding": int(self.funding_paid.notna().sum()),
                "basis_first": day(self.basis_max.index.min()),
                "basis_last": day(self.basis_max.index.max()),
                "n_basis": int(self.basis_max.notna().sum()),
            },
        }


def funding_basis_addon(
    funding: pd.Series | pd.DataFrame,
    mark: pd.Series | pd.DataFrame,
    index: pd.Series | pd.DataFrame,
    *,
    horizon: str | pd.Timedelta | float = "1D",
    quantile: float = 0.99,
    side: str = "both",
    mm_rate: float | None = None,
) -> PerpetualAddon:
    """Funding-accrual and basis add-ons to the maintenance margin over a liquidation horizon.

    Parameters
    ----------
    funding : Series or DataFrame
        Funding rates at funding times (:func:`riskkit.data.read_funding`).
    mark, index : Series or DataFrame
        Mark-price and index-price bars (:func:`riskkit.data.read_klines`), any interval.
    horizon : str, Timedelta or float, default "1D"
        Liquidation horizon: a duration (``"8h"``, ``"2D"``) or a number of days (the margin
        period of risk, ``horizon_days``).
    quantile : float, default 0.99
        Quantile of each piece, in [0.5, 1).
    side : {"long", "short", "both"}, default "both"
        Whose funding is a cost: the long pays positive rates, the short negative ones; with
        ``both`` the larger of the two quantiles (a venue margins both sides alike).
    mm_rate : float, optional
        Base maintenance rate, for :meth:`PerpetualAddon.decomposition`.

    Returns
    -------
    PerpetualAddon

    Raises
    ------
    DataError
        No full horizon of funding or basis data.
    ConfigError
        A bad ``quantile``, ``side``, ``horizon`` or ``mm_rate``.

    Notes
    -----
    The funding piece is the empirical ``quantile`` of the rolling sum of funding rates over
    ``(t - horizon, t]`` (:func:`riskkit.data.funding_accrual`, partial windows dropped). The
    basis piece is the empirical ``quantile`` of ``max |mark - index| / index`` over the same
    window ending at each bar (:func:`riskkit.data.basis`): a model fitted to index returns
    misses this much of the move a liquidation on the mark sees. Both use ``np.quantile``'s
    linear interpolation and are floored at 0.
    """
    q = _quantile(quantile)
    side = _side(side)
    h = _duration(horizon, "horizon")
    if mm_rate is not None and not (0 < mm_rate <= 1):
        raise ConfigError(f"mm_rate must lie in (0, 1], got {mm_rate!r}")
    paid = funding_accrual(funding, h).dropna()
    if paid.empty:
        raise DataError(
            f"funding: no full {interval_label(h)} window (the series is shorter than the horizon)"
        )
    long_q = float(np.quantile(paid.to_numpy(), q))
    short_q = float(np.quantile(-paid.to_numpy(), q))
    f_add = {"long": long_q, "short": short_q, "both": max(long_q, short_q)}[side]
    shown = paid if (side == "long" or (side == "both" and long_q >= short_q)) else -paid
    b = basis(mark, index).abs()
    bmax = b.rolling(h, closed="right").max()
    step = _bar_step(pd.DatetimeIndex(b.index), "mark/index")
    bmax = bmax[b.index >= b.index[0] + h - step].dropna()
    if bmax.empty:
        raise DataError(
            f"mark/index: no full {interval_label(h)} window (the series is shorter than the "
            "horizon)"
        )
    b_add = float(np.quantile(bmax.to_numpy(), q))
    return PerpetualAddon(
        funding_addon=max(f_add, 0.0),
        basis_addon=max(b_add, 0.0),
        mm_rate=None if mm_rate is None else float(mm_rate),
        quantile=q,
        horizon=h,
        side=side,
        funding_paid=shown.rename("funding_paid"),
        basis_max=bmax.rename("basis_max"),
    )


# --------------------------------------------------------------------------------------------
# funding cap vs maintenance
@dataclass(frozen=True)
class FundingCapCheck:
    """Is a funding cap consistent with the maintenance rate: ``cap <= k x MMR``?

    Attributes
    ----------
    cap : float
        Largest funding rate per interval (fraction of notional).
    mm_rate : float
    k : float
        Largest cap allowed, in maintenance rates.
    ratio : float
        ``cap / mm_rate``.
    ok : bool
        ``cap <= k x mm_rate``.
    im_rate : float or None
    intervals_to_liquidation : float or None
        Funding payments at the cap that take a position opened at the initial margin to its
        maintenance margin with no price move: ``(im_rate - mm_rate) / cap``.
    interval_hours : float
    """

    cap: float
    mm_rate: float
    k: float
    ratio: float
    ok: bool
    im_rate: float | None
    intervals_to_liquidation: float | None
    interval_hours: float

    def summary(self) -> str:
        """One line of text."""
        verdict = "consistent" if self.ok else "NOT consistent"
        extra = (
            ""
            if self.intervals_to_liquidation is None
            else f"; {self.intervals_to_liquidation:.1f} capped payments take IM to MM"
        )
        return (
            f"funding cap {self.cap:.4%} per {self.interval_hours:g}h = {self.ratio:.2f} x MMR "
            f"{self.mm_rate:.4%}: {verdict} with cap <= {self.k:g} x MMR{extra}"
        )


def funding_cap_check(
    cap: float,
    mm_rate: float,
    *,
    k: float = 0.75,
    im_rate: float | None = None,
    interval_hours: float = 8.0,
) -> FundingCapCheck:
    """Check that a funding cap is at most ``k`` maintenance rates.

    Parameters
    ----------
    cap : float
        Funding cap per interval (fraction, > 0).
    mm_rate : float
        Maintenance margin rate (fraction, > 0).
    k : float, default 0.75
        Binance's factor (capped funding = clamp(F, -0.75 MMR, +0.75 MMR)): one payment at the
        cap leaves a quarter of the maintenance margin.
    im_rate : float, optional
        Initial rate, for ``intervals_to_liquidation``.
    interval_hours : float, default 8
        Funding interval the cap applies to (reported only).

    Returns
    -------
    FundingCapCheck
    """
    for name, v in (
        ("cap", cap),
        ("mm_rate", mm_rate),
        ("k", k),
        ("interval_hours", interval_hours),
    ):
        if not (isinstance(v, (int, float)) and math.isfinite(v) and v > 0):
            raise ConfigError(f"{name} must be a positive number, got {v!r}")
    if im_rate is not None and not (mm_rate <= im_rate <= 1):
        raise ConfigError(f"im_rate must lie in [mm_rate, 1], got {im_rate!r}")
    ratio = cap / mm_rate
    return FundingCapCheck(
        cap=float(cap),
        mm_rate=float(mm_rate),
        k=float(k),
        ratio=float(ratio),
        ok=bool(cap <= k * mm_rate * (1 + 1e-12)),
        im_rate=None if im_rate is None else float(im_rate),
        intervals_to_liquidation=None if im_rate is None else float((im_rate - mm_rate) / cap),
        interval_hours=float(interval_hours),
    )


def published_funding_caps() -> pd.DataFrame:
    """Funding caps as venues publish them, with the rule, date and source.

    Returns
    -------
    pandas.DataFrame
        Index ``venue``; columns ``rule``, ``interval_hours``, ``of`` (what the cap is a
        multiple of: ``mm`` the maintenance rate, ``im_minus_mm`` the initial minus the
        maintenance rate, ``fixed`` a fixed rate), ``factor`` (the multiple, or the fixed rate),
        ``as_of``, ``source``.
    """
    rows = [
        (
            "Binance",
            "capped funding = clamp(F, -0.75 x MMR, +0.75 x MMR) per funding interval",
            8.0,
            "mm",
            0.75,
            "2023-2025",
            "Binance FAQ 'Introduction to Binance Futures Funding Rates'",
        ),
        (
            "dYdX v4",
            "|funding rate| <= 600% x (initial margin - maintenance margin), 8-hour rate",
            8.0,
            "im_minus_mm",
            6.0,
            "2024",
            "dydxprotocol/v4-chain x/perpetuals (funding_rate_clamp_factor_ppm 6,000,000)",
        ),
        (
            "Hyperliquid",
            "funding capped at 4% per hour",
            1.0,
            "fixed",
            0.04,
            "2025",
            "Hyperliquid docs 'Funding'",
        ),
    ]
    cols = ["venue", "rule", "interval_hours", "of", "factor", "as_of", "source"]
    return pd.DataFrame(rows, columns=cols).set_index("venue")


def funding_cap_table(im_rate: float, mm_rate: float, k: float = 1.0) -> pd.DataFrame:
    """Each venue's funding-cap rule applied to one pair of rates, checked against ``k`` MMR.

    Parameters
    ----------
    im_rate, mm_rate : float
        Initial and maintenance rates (e.g. a calibrated pair, or a venue's own).
    k : float, default 1.0
        Largest cap per funding interval allowed, in maintenance rates.

    Returns
    -------
    pandas.DataFrame
        Index ``venue``; columns ``cap`` (per the venue's interval), ``interval_hours``,
        ``cap_per_8h``, ``ratio`` (cap / MMR per interval), ``ok``,
        ``intervals_to_liquidation``, ``as_of``, ``source``.
    """
    rows = []
    for venue, r in published_funding_caps().iterrows():
        if r["of"] == "mm":
            cap = r["factor"] * mm_rate
        elif r["of"] == "im_minus_mm":
            cap = r["factor"] * (im_rate - mm_rate)
        else:
            cap = r["factor"]
        if cap <= 0:
            raise ConfigError(f"{venue}: the cap rule gives {cap!r} for im={im_rate}, mm={mm_rate}")
        chk = funding_cap_check(
            cap, mm_rate, k=k, im_rate=im_rate, interval_hours=r["interval_hours"]
        )
        rows.append(
            {
                "venue": venue,
                "cap": chk.cap,
                "interval_hours": chk.interval_hours,
                "cap_per_8h": chk.cap * 8.0 / chk.interval_hours,
                "ratio": chk.ratio,
                "ok": chk.ok,
                "intervals_to_liquidation": chk.intervals_to_liquidation,
                "as_of": r["as_of"],
                "source": r["source"],
            }
        )
    return pd.DataFrame(rows).set_index("venue")


def perpetual_addon_table(parameter_set: Mapping[str, Any]) -> pd.DataFrame:
    """The ``perpetual`` section of a parameter file as a table, one row per asset.

    Returns
    -------
    pandas.DataFrame
        Index ``asset``; columns ``mm_rate``, ``funding_addon``, ``basis_addon``,
        ``mm_with_addon``, ``funding_share``, ``basis_share`` (of ``mm_with_addon``),
        ``quantile``, ``horizon``, ``side``, ``funding_first``, ``funding_last``. Empty when
        the file has no such section.
    """
    cols = [
        "mm_rate",
        "funding_addon",
        "basis_addon",
        "mm_with_addon",
        "funding_share",
        "basis_share",
        "quantile",
        "horizon",
        "side",
        "funding_first",
        "funding_last",
    ]
    rows = {}
    for asset, r in (parameter_set.get("perpetual") or {}).items():
        total = r.get("mm_with_addon") or r["addon"]
        rows[asset] = {
            "mm_rate": r.get("mm_rate"),
            "funding_addon": r["funding_addon"],
            "basis_addon": r["basis_addon"],
            "mm_with_addon": r.get("mm_with_addon"),
            "funding_share": r["funding_addon"] / total if total else math.nan,
            "basis_share": r["basis_addon"] / total if total else math.nan,
            "quantile": r["quantile"],
            "horizon": r["horizon"],
            "side": r["side"],
            "funding_first": r["data"]["funding_first"],
            "funding_last": r["data"]["funding_last"],
        }
    return pd.DataFrame.from_dict(rows, orient="index", columns=cols).rename_axis("asset")


# --------------------------------------------------------------------------------------------
# configuration and the calibration run
class PerpetualFiles(SettingsModel):
    """Files of one asset's perpetual feeds (paths relative to the directory the command runs
    from)."""

    funding: Text
    """Funding-rate file (:func:`riskkit.data.read_funding`: Binance archive or REST layout, or
    ``timestamp,funding_rate``)."""
    mark: Text
    """Mark-price klines (:func:`riskkit.data.read_klines`, kind ``mark``)."""
    index: Text
    """Index-price klines (:func:`riskkit.data.read_klines`, kind ``index``)."""


class PerpetualSpec(SettingsModel):
    """The ``perpetual`` section of a calibration configuration: funding and basis add-ons to
    the maintenance margin, written under ``perpetual`` in the parameter file."""

    files: dict[str, PerpetualFiles]
    """{ASSET: {funding, mark, index}}: each asset's perpetual feeds (an asset of ``assets``)."""
    quantile: Annotated[Float, Range(0.5, 1, hi_open=True)] = 0.99
    """Quantile of the funding paid and of the mark-index basis over the horizon."""
    horizon: Text | None = None
    """Liquidation horizon (``8h``, ``1D``); default the maintenance margin's horizon
    (``margin.mm_horizon_days``, else ``margin.horizon_days``)."""
    side: Annotated[str, Choice(SIDES)] = "both"
    """Whose funding is a cost: long, short, or both (the larger)."""


def perpetual_addons(
    spec: PerpetualSpec | Mapping[str, Any],
    assets: Mapping[str, Mapping[str, Any]],
    horizon_days: float,
) -> dict[str, dict[str, Any]]:
    """The ``perpetual`` section of a parameter file: each configured asset's add-on.

    Parameters
    ----------
    spec : PerpetualSpec or mapping
        The configuration section.
    assets : mapping
        The parameter file's ``assets`` (the base ``mm_rate`` of each asset).
    horizon_days : float
        Horizon used when ``spec.horizon`` is not set (the MM's margin period of risk).

    Returns
    -------
    dict
        ``{asset: PerpetualAddon.to_dict() + {"files": {funding, mark, index}}}``.

    Raises
    ------
    ConfigError
        An asset of ``perpetual.files`` that was not calibrated.
    DataError
        A file that cannot be read, named by :func:`riskkit.data.read_funding` /
        :func:`riskkit.data.read_klines`, or too short for the horizon.
    """
    from riskkit.data.perpetual import read_funding, read_klines

    if not isinstance(spec, PerpetualSpec):
        spec = PerpetualSpec(**dict(spec))
    horizon: str | float = spec.horizon if spec.horizon is not None else float(horizon_days)
    out: dict[str, dict[str, Any]] = {}
    for asset, files in spec.files.items():
        key = asset.strip().upper()
        if key not in assets:
            raise ConfigError(
                f"perpetual.files.{asset}: asset not calibrated in this run; calibrated: "
                f"{sorted(assets)}"
            )
        funding = read_funding(files.funding, audience="config")
        mark = read_klines(files.mark, kind="mark", audience="config")
        index = read_klines(files.index, kind="index", audience="config")
        # no look-ahead: only what was known when the asset's margin was set (end of its
        # as-of bar); a file running past the run's data would move the published add-on
        cutoff = _end_of_as_of(assets[key])
        if cutoff is not None:
            late = {
                n: int((f.index >= cutoff).sum())
                for n, f in (("funding", funding), ("mark", mark), ("index", index))
            }
            funding, mark, index = (f.loc[f.index < cutoff] for f in (funding, mark, index))
            empty = [
                n for n, f in (("funding", funding), ("mark", mark), ("index", index)) if f.empty
            ]
            if empty:
                raise DataError(
                    f"perpetual.files.{asset}: no {' or '.join(empty)} data before the end of "
                    f"{key}'s as-of bar ({cutoff:%Y-%m-%d %H:%M} UTC): the files must cover the "
                    "calibration period (data.start / data.end)"
                )
            if any(late.values()):
                logger.info(
                    "perpetual.files.%s: rows after the as-of bar (ending %s) left out: %s",
                    asset,
                    cutoff,
                    ", ".join(f"{n} {k}" for n, k in late.items() if k),
                )
        try:
            addon = funding_basis_addon(
                funding,
                mark,
                index,
                horizon=horizon,
                quantile=spec.quantile,
                side=spec.side,
                mm_rate=float(assets[key]["mm_rate"]),
            )
        except DataError as exc:
            raise DataError(f"perpetual.files.{asset}: {exc}") from None
        record = addon.to_dict()
        record["files"] = {"funding": files.funding, "mark": files.mark, "index": files.index}
        record["data_until"] = None if cutoff is None else f"{cutoff:%Y-%m-%dT%H:%MZ}"
        out[key] = record
    return out


def _end_of_as_of(asset: Mapping[str, Any]) -> pd.Timestamp | None:
    """End (exclusive) of the bar an asset's margin was published on, from the parameter file:
    ``as_of`` plus the bar interval (a day when the file gives none)."""
    from riskkit.bars import parse_interval

    as_of = asset.get("as_of")
    if not as_of:
        return None
    start = pd.Timestamp(str(as_of).rstrip("Z")).tz_localize(None)
    interval = (asset.get("data") or {}).get("bar_interval") or "1D"
    return start + parse_interval(interval)


def example_perpetual_files(directory: str | Any, seed: int = 0) -> dict[str, Any]:
    """Write synthetic BTCUSDT perpetual feeds in Binance's archive layouts (for examples and
    tests; the prices are synthetic, only the layouts are real).

    The index is :func:`riskkit.data.fixtures.synthetic_hourly_bars` (hourly, 2020-10-01 to
    2020-11-29); the premium ``mark / index - 1`` is a seeded AR(1) around 0.01% with a 0.03%
    standard deviation; the funding at each 8-hour time is Binance's formula on the mean premium
    of the last 8 hours, ``P + clamp(0.01% - P, -0.05%, +0.05%)``, capped at 0.75 x 0.40%
    (BTCUSDT tier 1 MMR).

    Parameters
    ----------
    directory : path-like
        Where to write (created if needed).
    seed : int, default 0

    Returns
    -------
    dict of str to Path
        ``"funding"`` (``BTCUSDT-fundingRate-2020-10-11.csv``, archive header
        ``calc_time,funding_interval_hours,last_funding_rate``), ``"mark"`` and ``"index"``
        (``BTCUSDT-markPriceKlines-1h.csv``, ``BTCUSDT-indexPriceKlines-1h.csv``: 12 columns
        without header, times in ms, volume 0) and ``"trade"`` (``BTCUSDT-1h-perp-2020-10-11.csv``,
        the perpetual's traded bars: the mark plus 0.02% noise, with Student-t(3) wicks of
        about 0.4% beyond the bar's body, the thin-book wicks that trigger liquidations on the
        last price).
    """
    from pathlib import Path

    from riskkit.data.fixtures import _kline_rows, synthetic_hourly_bars

    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(seed + 7)
    bars = synthetic_hourly_bars(seed=seed).iloc[:-1]  # complete bars only
    n = len(bars)
    prem = np.empty(n)
    prem[0] = 1e-4
    for i in range(1, n):
        prem[i] = 1e-4 + 0.9 * (prem[i - 1] - 1e-4) + rng.normal(0.0, 3e-4 * np.sqrt(1 - 0.81))
    index = bars.assign(volume=0.0)
    mark = index.copy()
    for c in ("open", "high", "low", "close"):
        mark[c] = (index[c] * (1.0 + prem)).round(2)
    mark["high"] = mark[["open", "high", "low", "close"]].max(axis=1)
    mark["low"] = mark[["open", "high", "low", "close"]].min(axis=1)
    # the perpetual's traded price: the mark plus trade noise, with longer wicks (thin books)
    trade = bars.copy()
    noise = 1.0 + prem + rng.normal(0.0, 2e-4, n)
    trade["close"] = (bars["close"] * noise).round(2)
    trade["open"] = np.r_[trade["close"].iloc[0], trade["close"].to_numpy()[:-1]]
    wick = np.abs(rng.standard_t(3, (2, n))) * 0.004 / np.sqrt(3.0)
    body_hi = trade[["open", "close"]].max(axis=1).to_numpy()
    body_lo = trade[["open", "close"]].min(axis=1).to_numpy()
    trade["high"] = np.round(np.maximum(body_hi * (1 + wick[0]), mark["high"]), 2)
    trade["low"] = np.round(np.minimum(body_lo * (1 - wick[1]), mark["low"]), 2)
    p = pd.Series(prem, index=bars.index).resample("8h", label="right", closed="left").mean()
    p = p[p.index <= bars.index[-1]]
    rate = p + np.clip(1e-4 - p, -5e-4, 5e-4)
    rate = np.clip(rate, -0.75 * 0.004, 0.75 * 0.004)
    out = {
        "funding": directory / "BTCUSDT-fundingRate-2020-10-11.csv",
        "mark": directory / "BTCUSDT-markPriceKlines-1h.csv",
        "index": directory / "BTCUSDT-indexPriceKlines-1h.csv",
        "trade": directory / "BTCUSDT-1h-perp-2020-10-11.csv",
    }
    lines = ["calc_time,funding_interval_hours,last_funding_rate"]
    lines += [
        f"{int(t.value // 1_000_000)},8,{r:.8f}" for t, r in zip(rate.index, rate, strict=True)
    ]
    out["funding"].write_text("\n".join(lines) + "\n", encoding="utf-8")
    step = pd.Timedelta("1h")
    _kline_rows(mark, step, rng).to_csv(out["mark"], index=False, header=False, lineterminator="\n")
    _kline_rows(index, step, rng).to_csv(
        out["index"], index=False, header=False, lineterminator="\n"
    )
    _kline_rows(trade, step, rng).to_csv(
        out["trade"], index=False, header=False, lineterminator="\n"
    )
    return out
