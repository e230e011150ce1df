"""Shared pieces of :mod:`riskkit.data`: the tidy price frame's columns and small index helpers."""

from __future__ import annotations

import os
from collections.abc import Sequence

import numpy as np
import pandas as pd

from riskkit.exceptions import DataError

__all__ = ["OHLCV_COLUMNS", "PRICE_COLUMNS", "PathLike"]

OHLCV_COLUMNS: tuple[str, ...] = ("open", "high", "low", "close", "volume")
PRICE_COLUMNS: tuple[str, ...] = ("open", "high", "low", "close")

PathLike = str | os.PathLike[str]


def _as_frame(
    prices: pd.DataFrame | pd.Series,
    name: str,
    column: str = "close",
    reader: str = "read files with riskkit.data.read_prices",
) -> pd.DataFrame:
    """``prices`` as a frame with a DatetimeIndex and a ``column`` column (a Series becomes that
    column), numeric OHLCV columns; a DataError naming ``name`` (and ``reader``) otherwise."""
    if isinstance(prices, pd.Series):
        prices = prices.to_frame(column)
    if not isinstance(prices, pd.DataFrame):
        raise DataError(f"{name}: expected a DataFrame or Series, got {type(prices).__name__}")
    if not isinstance(prices.index, pd.DatetimeIndex):
        raise DataError(
            f"{name}: index must be a DatetimeIndex (got {type(prices.index).__name__}); {reader}"
        )
    if column not in prices.columns:
        raise DataError(f"{name}: no {column!r} column; columns are {list(prices.columns)}")
    for col in OHLCV_COLUMNS:
        if col in prices.columns and not pd.api.types.is_numeric_dtype(prices[col]):
            raise DataError(f"{name}, column {col!r}: not numeric (dtype {prices[col].dtype})")
    return prices


def _fmt(stamp: pd.Timestamp) -> str:
    """A timestamp without its time of day when that is midnight (daily bars)."""
    stamp = pd.Timestamp(stamp)
    return str(stamp.date()) if stamp == stamp.normalize() else str(stamp)


#: columns of a Binance kline CSV (spot, USD-M, mark-price, index-price and premium-index
#: klines share them; mark/index/premium files write 0 in the volume columns); defined here,
#: where every reader can import it, and exported by :mod:`riskkit.data.perpetual`
KLINE_COLUMNS: tuple[str, ...] = (
    "open_time",
    "open",
    "high",
    "low",
    "close",
    "volume",
    "close_time",
    "quote_volume",
    "count",
    "taker_buy_volume",
    "taker_buy_quote_volume",
    "ignore",
)


def _ns(index: pd.Index) -> np.ndarray:
    """Timestamps as int64 nanoseconds whatever the index resolution (s, ms, us or ns)."""
    return pd.DatetimeIndex(index).as_unit("ns").asi8


def _runs(mask: np.ndarray) -> list[tuple[int, int]]:
    """(first, last) positions of each run of True values."""
    if not mask.any():
        return []
    padded = np.concatenate([[False], mask, [False]])
    edges = np.flatnonzero(np.diff(padded.astype(int)))
    return [(int(a), int(b) - 1) for a, b in zip(edges[::2], edges[1::2], strict=True)]


def _fmt_many(ns: np.ndarray) -> list[str]:
    """:func:`_fmt` of many int64-nanosecond timestamps at once (vectorised)."""
    ns = np.asarray(ns, dtype=np.int64)
    if ns.size == 0:
        return []
    text = np.datetime_as_string(ns.astype("datetime64[ns]"), unit="auto")
    day = 86_400 * 10**9
    midnight = ns % day == 0
    out = []
    for t, m in zip(text.tolist(), midnight.tolist(), strict=True):
        if m:
            out.append(t[:10])
        else:
            t = t.replace("T", " ")
            # drop trailing zero fractions: '2020-01-01 08:00:00.000000000' -> '... 08:00:00'
            if "." in t:
                head, frac = t.split(".")
                frac = frac.rstrip("0")
                t = f"{head}.{frac}" if frac else head
            out.append(t)
    return out


def _spans(numbers: np.ndarray | list[int], label: str = "line", limit: int = 6) -> str:
    """Numbers as compact ranges, e.g. ``lines 3-122, 130, 145 (+40 more)`` (``label`` ``line``
    for file lines, ``row`` for positions)."""
    nums = np.unique(np.asarray(numbers, dtype=np.int64))
    if nums.size == 0:
        return f"no {label}s"
    breaks = np.flatnonzero(np.diff(nums) != 1) + 1
    starts = np.concatenate([[0], breaks])
    ends = np.concatenate([breaks, [nums.size]]) - 1
    parts = [
        f"{nums[a]}" if a == b else f"{nums[a]}-{nums[b]}"
        for a, b in zip(starts[:limit].tolist(), ends[:limit].tolist(), strict=True)
    ]
    rest = int(nums.size - (ends[min(limit, len(ends)) - 1] + 1))
    more = f" (+{rest} more)" if rest > 0 else ""
    plural = "s" if nums.size > 1 else ""
    return f"{label}{plural} {', '.join(parts)}{more}"


def _rows_text(rows: np.ndarray | Sequence[int], lines: np.ndarray | None, most: int = 8) -> str:
    """Rows named for a message: their file lines when known (``lines 3-7, 12``), else their
    0-based positions (``rows [3, 4] (+2 more)``, at most ``most`` shown)."""
    rows = np.asarray(rows, dtype=np.int64)
    if lines is not None:
        return _spans(np.asarray(lines)[rows], "line")
    more = f" (+{rows.size - most} more)" if rows.size > most else ""
    return f"row{'s' * (rows.size != 1)} {rows[:most].tolist()}{more}"
