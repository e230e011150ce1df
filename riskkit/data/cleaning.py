"""Clean a price frame with explicit, logged steps.

Each step (:func:`sort_by_time`, :func:`drop_duplicate_timestamps`,
:func:`drop_nonpositive_prices`, :func:`drop_missing_prices`, :func:`drop_inconsistent_bars`,
:func:`drop_partial_bars`, :func:`drop_off_grid_rows`, :func:`drop_bogus_first_bar`,
:func:`mask_repeated_rows`, :func:`mask_stale_runs`, :func:`mask_bad_ticks`,
:func:`clip_range_spikes`, :func:`mark_gaps`)
returns the new frame *and* a table of what it changed (columns :data:`CHANGE_COLUMNS`), and logs
a one-line summary to the ``riskkit.data`` logger; :func:`clean` applies several in order.
Nothing is patched silently.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from typing import Literal

import numpy as np
import pandas as pd

from riskkit.data._frame import OHLCV_COLUMNS, PRICE_COLUMNS, _as_frame, _ns
from riskkit.data.options import parse_interval
from riskkit.data.validation import find_partial_bar, validate
from riskkit.exceptions import ConfigError, DataError

__all__ = [
    "CHANGE_COLUMNS",
    "sort_by_time",
    "drop_duplicate_timestamps",
    "drop_nonpositive_prices",
    "drop_missing_prices",
    "drop_inconsistent_bars",
    "drop_partial_bars",
    "drop_off_grid_rows",
    "drop_bogus_first_bar",
    "mask_repeated_rows",
    "mask_stale_runs",
    "mask_bad_ticks",
    "clip_range_spikes",
    "mark_gaps",
    "clean",
]

logger = logging.getLogger("riskkit.data")

#: columns of the change tables returned by the cleaning functions
CHANGE_COLUMNS = ["step", "date", "action", "detail"]


def _changes(step: str, dates: Sequence, action: str, details: Sequence[str]) -> pd.DataFrame:
    table = pd.DataFrame(
        {
            "step": [step] * len(dates),
            "date": pd.DatetimeIndex(dates if isinstance(dates, pd.Index) else list(dates)),
            "action": [action] * len(dates),
            "detail": list(details),
        },
        columns=CHANGE_COLUMNS,
    )
    return table


def _log(step: str, changes: pd.DataFrame, name: str) -> None:
    if changes.empty:
        logger.info("%s: %s changed nothing", name, step)
    else:
        dates = changes["date"]
        logger.info(
            "%s: %s %s %d bar(s) (%s .. %s)",
            name,
            step,
            changes["action"].iloc[0],
            len(changes),
            dates.min().date() if hasattr(dates.min(), "date") else dates.min(),
            dates.max().date() if hasattr(dates.max(), "date") else dates.max(),
        )


def sort_by_time(prices: pd.DataFrame, name: str = "prices") -> tuple[pd.DataFrame, pd.DataFrame]:
    """Sort rows by timestamp (stable: duplicates keep their order).

    Parameters
    ----------
    prices : DataFrame or Series
        Price frame indexed by a DatetimeIndex, with a ``close`` column (``open``, ``high``,
        ``low``, ``volume`` optional); a Series is taken as closes (a one-column ``close``
        frame is returned).
    name : str
        Label used in messages and in the ``riskkit.data`` log (file name).

    Returns
    -------
    (DataFrame, DataFrame)
        The sorted frame and a change table listing the rows that moved (columns
        :data:`CHANGE_COLUMNS`: ``step`` ``"sort_by_time"``, the row's ``date``, ``action``
        ``"moved"``, ``detail`` ``"row <old position> -> <new position>"``).

    Raises
    ------
    DataError
        If ``prices`` is not a DataFrame or Series, its index is not a DatetimeIndex, it has no
        ``close`` column, or an OHLCV column is not numeric.
    """
    frame = _as_frame(prices, name)
    order = np.argsort(_ns(frame.index), kind="mergesort")
    moved = np.flatnonzero(order != np.arange(len(order)))
    out = frame.iloc[order]
    changes = _changes(
        "sort_by_time",
        frame.index[order][moved],
        "moved",
        [f"row {int(order[m])} -> {int(m)}" for m in moved],
    )
    _log("sort_by_time", changes, name)
    return out, changes


def drop_duplicate_timestamps(
    prices: pd.DataFrame,
    keep: Literal["first", "last", "max_volume"] = "first",
    name: str = "prices",
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Keep one row per timestamp.

    Parameters
    ----------
    keep : {"first", "last", "max_volume"}
        Which copy survives. ``"max_volume"`` keeps the row with the largest volume (ties: the
        first): when a source stored several snapshots of a bar that was still forming, the
        one with the largest volume is the most complete.

    Returns
    -------
    (DataFrame, DataFrame)
        The frame without duplicates (order otherwise unchanged) and one change row per row
        dropped.
    """
    frame = _as_frame(prices, name)
    if keep not in ("first", "last", "max_volume"):
        raise ConfigError(f"keep must be 'first', 'last' or 'max_volume', got {keep!r}")
    if keep == "max_volume":
        if "volume" not in frame.columns:
            raise DataError(f"{name}: keep='max_volume' needs a volume column")
        pos = pd.Series(np.arange(len(frame)), index=frame.index)
        vol = frame["volume"].fillna(-np.inf).to_numpy()
        # sort by (timestamp, -volume, position) and keep the first of each timestamp
        order = np.lexsort((pos.to_numpy(), -vol, _ns(frame.index)))
        first = ~pd.Index(_ns(frame.index)[order]).duplicated(keep="first")
        keep_mask = np.zeros(len(frame), dtype=bool)
        keep_mask[order[first]] = True
    else:
        keep_mask = ~frame.index.duplicated(keep=keep)
    dropped = np.flatnonzero(~keep_mask)
    closes = frame["close"].to_numpy()[dropped].tolist()
    if "volume" in frame.columns:
        vols = frame["volume"].to_numpy()[dropped].tolist()
        details = [
            f"row {r}: close {c}, volume {v}"
            for r, c, v in zip(dropped.tolist(), closes, vols, strict=True)
        ]
    else:
        details = [f"row {r}: close {c}" for r, c in zip(dropped.tolist(), closes, strict=True)]
    changes = _changes("drop_duplicate_timestamps", frame.index[dropped], "dropped", details)
    _log("drop_duplicate_timestamps", changes, name)
    return frame[keep_mask], changes


def _price_mask(frame: pd.DataFrame, fn: Callable[[np.ndarray], np.ndarray]) -> np.ndarray:
    cols = [c for c in PRICE_COLUMNS if c in frame.columns]
    with np.errstate(invalid="ignore"):
        return fn(frame[cols].to_numpy(dtype=float)).any(axis=1)


def _drop_or_nan(
    frame: pd.DataFrame, mask: np.ndarray, action: str, step: str, why: Sequence[str], name: str
) -> tuple[pd.DataFrame, pd.DataFrame]:
    if action not in ("drop", "nan"):
        raise ConfigError(f"action must be 'drop' or 'nan', got {action!r}")
    rows = np.flatnonzero(mask)
    if action == "drop":
        out = frame[~mask]
        verb = "dropped"
    else:
        out = frame.copy()
        cols = [c for c in OHLCV_COLUMNS if c in frame.columns]
        out.iloc[rows, [out.columns.get_loc(c) for c in cols]] = np.nan
        verb = "set to NaN"
    changes = _changes(step, frame.index[rows], verb, why)
    _log(step, changes, name)
    return out, changes


def _row_text(frame: pd.DataFrame, r: int) -> str:
    cols = [c for c in OHLCV_COLUMNS if c in frame.columns]
    return ", ".join(f"{c} {frame[c].iloc[r]}" for c in cols)


def _partial_row(
    frame: pd.DataFrame,
    freq: str | pd.Timedelta | None = None,
    close_time: np.ndarray | None = None,
    saved_at: pd.Timestamp | None = None,
    now: pd.Timestamp | None = None,
    volume_ratio: float = 0.1,
) -> tuple[int | None, str | None]:
    """(position, evidence) of a partial last bar of a sorted frame, or (None, None).

    The last bar is the first row of the last timestamp (as in :func:`validate`, which checks
    the first copy of a duplicated timestamp).
    """
    if frame.empty:
        return None, None
    ts = _ns(frame.index)
    row = int(np.searchsorted(ts, ts[-1], side="left")) if (ts[1:] >= ts[:-1]).all() else None
    if row is None:
        return None, None
    lo = max(0, row - 25)
    tail = frame.iloc[lo : row + 1]
    ct = None if close_time is None else np.asarray(close_time)[lo : row + 1]
    why = find_partial_bar(
        tail,
        freq,
        close_time=ct,
        saved_at=saved_at,
        now=now,
        volume_ratio=volume_ratio,
    )
    return (row, why) if why else (None, None)


def drop_partial_bars(
    prices: pd.DataFrame,
    freq: str | pd.Timedelta | None = None,
    close_time: np.ndarray | pd.Series | None = None,
    saved_at: pd.Timestamp | str | None = None,
    now: pd.Timestamp | str | None = None,
    volume_ratio: float = 0.1,
    name: str = "prices",
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Drop the last bar when it was still open when the data was saved (a partial candle).

    A partial bar has the open of its interval but only part of its high, low, close and volume;
    kept, it becomes the last date of a calibration (``as_of``) and moves the published rates.
    The evidence is that of :func:`~riskkit.data.find_partial_bar` (close time, save time, clock,
    volume far below the recent median).

    Parameters
    ----------
    prices : DataFrame
        Price frame sorted by time.
    freq, close_time, saved_at, now, volume_ratio
        See :func:`~riskkit.data.find_partial_bar`; ``close_time`` is aligned with the rows.
    name : str
        Label used in the ``riskkit.data`` log.

    Returns
    -------
    (DataFrame, DataFrame)
        The frame without its partial last bar (unchanged when the bar looks complete) and the
        change table (one row, ``action`` ``"dropped"``, the evidence as ``detail``).
    """
    frame = _as_frame(prices, name)
    if freq is not None:
        freq = parse_interval(freq, "freq")
    row, why = _partial_row(frame, freq, close_time, saved_at, now, volume_ratio)
    mask = np.zeros(len(frame), dtype=bool)
    if row is not None:
        mask[row] = True
    return _drop_or_nan(frame, mask, "drop", "drop_partial_bars", [why] if why else [], name)


def drop_off_grid_rows(
    prices: pd.DataFrame,
    freq: str | pd.Timedelta | None = None,
    day_boundary: str | None = None,
    name: str = "prices",
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Drop rows whose timestamp is off the bar grid (``off_grid`` of :func:`validate`):
    snapshots saved between two bars, not bars.

    Parameters
    ----------
    freq : str or Timedelta, optional
        Bar interval (inferred when omitted).
    day_boundary : str, optional
        ``"HH:MM"`` UTC anchor of the grid (see :func:`validate`).

    Returns
    -------
    (DataFrame, DataFrame)
        The frame without those rows and one change row per row dropped.
    """
    frame = _as_frame(prices, name)
    report = validate(frame, freq=freq, day_boundary=day_boundary, name=name, warn=False)
    rows = sorted(r for rs in report.of("off_grid")["rows"] for r in rs)
    mask = np.zeros(len(frame), dtype=bool)
    mask[rows] = True
    why = [f"{_row_text(frame, r)}: timestamp off the bar grid" for r in rows]
    return _drop_or_nan(frame, mask, "drop", "drop_off_grid_rows", why, name)


def drop_bogus_first_bar(
    prices: pd.DataFrame, factor: float = 2.0, name: str = "prices"
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Drop the first bar when :func:`validate` calls it bogus (``bogus_first_bar``: its open,
    high or close more than ``factor`` times the median close of the next ten bars, or its
    open, low or close less than 1/``factor`` of it).

    Returns
    -------
    (DataFrame, DataFrame)
        The frame without that bar and the change table (at most one row).
    """
    frame = _as_frame(prices, name)
    report = validate(frame, first_bar_factor=factor, name=name, warn=False)
    found = report.of("bogus_first_bar")
    rows = [r for rs in found["rows"] for r in rs]
    mask = np.zeros(len(frame), dtype=bool)
    mask[rows] = True
    return _drop_or_nan(frame, mask, "drop", "drop_bogus_first_bar", list(found["detail"]), name)


def mask_repeated_rows(
    prices: pd.DataFrame, name: str = "prices"
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Blank (NaN) bars that repeat the previous bar's OHLCV exactly (``repeated_row`` of
    :func:`validate`): a snapshot saved twice carries no information about its own interval.

    Returns
    -------
    (DataFrame, DataFrame)
        The frame (same index) and one change row per bar blanked.
    """
    frame = _as_frame(prices, name)
    report = validate(frame, name=name, warn=False)
    found = report.of("repeated_row")
    rows = sorted(r for rs in found["rows"] for r in rs)
    mask = np.zeros(len(frame), dtype=bool)
    mask[rows] = True
    why = [_row_text(frame, r) + " repeats the bar before" for r in rows]
    return _drop_or_nan(frame, mask, "nan", "mask_repeated_rows", why, name)


def drop_nonpositive_prices(
    prices: pd.DataFrame, action: Literal["drop", "nan"] = "drop", name: str = "prices"
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Remove bars with a zero or negative open, high, low or close.

    A price of zero is a placeholder for "no trade" in many feeds, not a price: a log return
    through it is infinite. ``action="drop"`` removes the bar (it becomes a gap);
    ``action="nan"`` keeps the timestamp with every OHLCV value NaN.

    Parameters
    ----------
    prices : DataFrame or Series
        Price frame indexed by a DatetimeIndex, with a ``close`` column (``open``, ``high``,
        ``low``, ``volume`` optional); a Series is taken as closes (a one-column ``close``
        frame is returned).
    action : {"drop", "nan"}
        ``"drop"`` removes the bar; ``"nan"`` keeps the timestamp and sets every OHLCV column
        present to NaN (other columns are kept).
    name : str
        Label used in messages and in the ``riskkit.data`` log (file name).

    Returns
    -------
    (DataFrame, DataFrame)
        The cleaned frame and one change row per bar removed or blanked (columns
        :data:`CHANGE_COLUMNS`; ``action`` ``"dropped"`` or ``"set to NaN"``, the bar's OHLCV
        values as ``detail``).

    Raises
    ------
    DataError
        If ``prices`` is not a DataFrame or Series, its index is not a DatetimeIndex, it has no
        ``close`` column, or an OHLCV column is not numeric.
    ConfigError
        If ``action`` is not ``"drop"`` or ``"nan"``.

    Notes
    -----
    Only the price columns (``open``, ``high``, ``low``, ``close``) are checked; a zero volume
    is kept, and a NaN price is not a non-positive one (see :func:`drop_missing_prices`).
    """
    frame = _as_frame(prices, name)
    mask = _price_mask(frame, lambda v: v <= 0)
    why = [_row_text(frame, r) for r in np.flatnonzero(mask)]
    return _drop_or_nan(frame, mask, action, "drop_nonpositive_prices", why, name)


def drop_missing_prices(
    prices: pd.DataFrame, action: Literal["drop", "nan"] = "drop", name: str = "prices"
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Remove bars whose close is missing (NaN); ``action="nan"`` blanks the whole bar instead.

    Only ``close`` is checked: a bar with a missing open, high or low but a valid close is kept.

    Parameters
    ----------
    prices : DataFrame or Series
        Price frame indexed by a DatetimeIndex, with a ``close`` column (``open``, ``high``,
        ``low``, ``volume`` optional); a Series is taken as closes (a one-column ``close``
        frame is returned).
    action : {"drop", "nan"}
        ``"drop"`` removes the bar; ``"nan"`` keeps the timestamp and sets every OHLCV column
        present to NaN (other columns are kept).
    name : str
        Label used in messages and in the ``riskkit.data`` log (file name).

    Returns
    -------
    (DataFrame, DataFrame)
        The cleaned frame and one change row per bar (columns :data:`CHANGE_COLUMNS`;
        ``action`` ``"dropped"`` or ``"set to NaN"``, the bar's OHLCV values as ``detail``).

    Raises
    ------
    DataError
        If ``prices`` is not a DataFrame or Series, its index is not a DatetimeIndex, it has no
        ``close`` column, or an OHLCV column is not numeric.
    ConfigError
        If ``action`` is not ``"drop"`` or ``"nan"``.
    """
    frame = _as_frame(prices, name)
    mask = frame["close"].isna().to_numpy()
    why = [_row_text(frame, r) for r in np.flatnonzero(mask)]
    return _drop_or_nan(frame, mask, action, "drop_missing_prices", why, name)


def drop_inconsistent_bars(
    prices: pd.DataFrame,
    action: Literal["drop", "nan"] = "drop",
    include_open: bool = False,
    name: str = "prices",
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Remove bars whose high is below their low or whose close lies outside [low, high].

    Parameters
    ----------
    action : {"drop", "nan"}
        Remove the bar, or keep the timestamp with NaN values.
    include_open : bool, default False
        Also remove bars whose open lies outside [low, high]. Off by default: several venues
        set a bar's open to the previous bar's close even when the first trade of the new bar
        was elsewhere, which makes the open slightly inconsistent but leaves the close (the
        value returns are computed from) sound.

    Returns
    -------
    (DataFrame, DataFrame)
        The cleaned frame and one change row per bar.
    """
    frame = _as_frame(prices, name)
    if not {"high", "low"} <= set(frame.columns):
        changes = _changes("drop_inconsistent_bars", [], "dropped", [])
        _log("drop_inconsistent_bars", changes, name)
        return frame, changes
    hi, lo, c = (frame[k].to_numpy(float) for k in ("high", "low", "close"))
    with np.errstate(invalid="ignore"):
        mask = (hi < lo) | (c > hi) | (c < lo)
        if include_open and "open" in frame.columns:
            o = frame["open"].to_numpy(float)
            mask |= (o > hi) | (o < lo)
    why = [_row_text(frame, r) for r in np.flatnonzero(mask)]
    return _drop_or_nan(frame, mask, action, "drop_inconsistent_bars", why, name)


def mask_stale_runs(
    prices: pd.DataFrame, stale_run: int = 5, name: str = "prices"
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Blank (NaN) the repeated bars of each run of ``stale_run`` or more identical closes.

    The first bar of a run is kept (it may be a genuine price); the repeats are set to NaN
    because a frozen feed carries no information about the market.

    Parameters
    ----------
    prices : DataFrame or Series
        Price frame indexed by a DatetimeIndex, with a ``close`` column (``open``, ``high``,
        ``low``, ``volume`` optional); a Series is taken as closes (a one-column ``close``
        frame is returned).
    stale_run : int, default 5
        Minimum length (bars, >= 2) of a run of identical closes; runs are found by
        :func:`validate` (``stale`` check) on the valid positive closes in time order, after
        dropping duplicate timestamps, so the frame need not be sorted.
    name : str
        Label used in messages and in the ``riskkit.data`` log (file name).

    Returns
    -------
    (DataFrame, DataFrame)
        The frame (same index) and one change row per bar blanked: every OHLCV column present
        is set to NaN; ``action`` is ``"set to NaN"``.

    Raises
    ------
    DataError
        If ``prices`` is not a DataFrame or Series, its index is not a DatetimeIndex, it has no
        ``close`` column, or an OHLCV column is not numeric, or the frame is empty.
    ConfigError
        If ``stale_run < 2``.
    """
    frame = _as_frame(prices, name)
    report = validate(frame, stale_run=stale_run, name=name, warn=False)
    rows = sorted(r for rs in report.of("stale")["rows"] for r in rs[1:])
    mask = np.zeros(len(frame), dtype=bool)
    mask[rows] = True
    why = [f"close {frame['close'].iloc[r]} repeated" for r in rows]
    return _drop_or_nan(frame, mask, "nan", "mask_stale_runs", why, name)


def mask_bad_ticks(
    prices: pd.DataFrame,
    jump_sigma: float = 8.0,
    jump_window: int = 61,
    reversal: float = 0.5,
    name: str = "prices",
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Blank (NaN) isolated spikes found by :func:`validate` (``bad_tick`` check).

    Parameters
    ----------
    prices : DataFrame or Series
        Price frame indexed by a DatetimeIndex, with a ``close`` column (``open``, ``high``,
        ``low``, ``volume`` optional); a Series is taken as closes (a one-column ``close``
        frame is returned).
    jump_sigma : float, default 8
        A spike is a log return beyond ``jump_sigma`` robust sigmas (:func:`robust_sigma`)
        followed by one of the opposite sign, also beyond ``jump_sigma``.
    jump_window : int, default 61
        Window (bars) of the robust sigma.
    reversal : float, default 0.5
        Fraction of the jump that the next return must give back.
    name : str
        Label used in messages and in the ``riskkit.data`` log (file name).

    Returns
    -------
    (DataFrame, DataFrame)
        The frame (same index) and one change row per bar blanked: every OHLCV column present
        is set to NaN; ``action`` is ``"set to NaN"``, ``detail`` the returns found.

    Raises
    ------
    DataError
        If ``prices`` is not a DataFrame or Series, its index is not a DatetimeIndex, it has no
        ``close`` column, or an OHLCV column is not numeric, or the frame is empty.
    ConfigError
        If ``jump_sigma <= 0``.
    """
    frame = _as_frame(prices, name)
    report = validate(
        frame,
        jump_sigma=jump_sigma,
        jump_window=jump_window,
        reversal=reversal,
        name=name,
        warn=False,
    )
    rows = sorted(r for rs in report.of("bad_tick")["rows"] for r in rs)
    mask = np.zeros(len(frame), dtype=bool)
    mask[rows] = True
    why = list(report.of("bad_tick")["detail"])
    return _drop_or_nan(frame, mask, "nan", "mask_bad_ticks", why, name)


def clip_range_spikes(
    prices: pd.DataFrame,
    jump_sigma: float = 8.0,
    jump_window: int = 61,
    name: str = "prices",
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Pull each high or low flagged as a range spike by :func:`validate` back to the bar's body.

    A flagged low becomes ``min(open, close)`` of its bar, a flagged high ``max(open, close)``;
    the open, the close and every other bar are kept. This is the smallest change that removes
    a bad print such as Bitstamp BTC's low of 1.50 USD on 2016-06-23 (open 600.51): the bar's
    true low is unknown, and the body is the range the bar is known to have traded.

    Parameters
    ----------
    prices : DataFrame
        Price frame indexed by a DatetimeIndex with ``high``, ``low`` and ``close`` columns
        (``open`` optional: without it the body is the close alone).
    jump_sigma : float, default 8
        Threshold of the ``range_spike`` check, in robust sigmas of close-to-close returns.
    jump_window : int, default 61
        Window (bars) of the robust sigma.
    name : str
        Label used in messages and in the ``riskkit.data`` log (file name).

    Returns
    -------
    (DataFrame, DataFrame)
        The frame (same index, same columns) and one change row per value replaced:
        ``action`` is ``"clipped to the bar's body"``, ``detail`` names the column and the old
        and new values.

    Raises
    ------
    DataError
        If ``prices`` is not a price frame (see :func:`validate`) or lacks ``high``/``low``.
    ConfigError
        If ``jump_sigma <= 0``.
    """
    frame = _as_frame(prices, name)
    missing = [c for c in ("high", "low") if c not in frame.columns]
    if missing:
        raise DataError(
            f"{name}: clip_range_spikes needs 'high' and 'low' columns; missing {missing}"
        )
    report = validate(frame, jump_sigma=jump_sigma, jump_window=jump_window, name=name, warn=False)
    spikes = report.of("range_spike")
    out = frame.copy()
    body = out[["open", "close"]] if "open" in out.columns else out[["close"]]
    dates, details = [], []
    for column, rows in zip(spikes["column"], spikes["rows"], strict=True):
        for r in rows:
            old = float(out[column].iloc[r])
            new = float(body.iloc[r].min() if column == "low" else body.iloc[r].max())
            out.iloc[r, out.columns.get_loc(column)] = new
            dates.append(out.index[r])
            details.append(f"{column} {old:g} -> {new:g}")
    changes = _changes("clip_range_spikes", dates, "clipped to the bar's body", details)
    _log("clip_range_spikes", changes, name)
    return out, changes


def mark_gaps(
    prices: pd.DataFrame, freq: str | pd.Timedelta, name: str = "prices"
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Reindex onto the regular grid ``freq`` from the first to the last bar; missing bars are NaN.

    After this, a return computed between consecutive rows never silently spans a gap: the
    return into and out of a missing bar is NaN. The index must be sorted and unique (run
    :func:`sort_by_time` and :func:`drop_duplicate_timestamps` first).

    Parameters
    ----------
    prices : DataFrame or Series
        Price frame indexed by a DatetimeIndex, with a ``close`` column (``open``, ``high``,
        ``low``, ``volume`` optional); a Series is taken as closes (a one-column ``close``
        frame is returned).
    freq : str or Timedelta
        Bar interval, e.g. ``"1D"`` or ``"1h"``; every timestamp must lie on the grid that
        starts at the first bar.
    name : str
        Label used in messages and in the ``riskkit.data`` log (file name).

    Returns
    -------
    (DataFrame, DataFrame)
        The reindexed frame (index named ``date``; inserted rows are NaN in every column) and
        one change row per bar inserted (``action`` ``"inserted"``). An empty frame is returned
        as it is, with an empty change table.

    Raises
    ------
    DataError
        If ``prices`` is not a DataFrame or Series, its index is not a DatetimeIndex, it has no
        ``close`` column, or an OHLCV column is not numeric; if the index is unsorted or has
        duplicates, or a timestamp is off the ``freq`` grid.
    """
    frame = _as_frame(prices, name)
    if not frame.index.is_monotonic_increasing or frame.index.has_duplicates:
        raise DataError(
            f"{name}: mark_gaps needs a sorted index without duplicates; run sort_by_time and "
            "drop_duplicate_timestamps first"
        )
    step = pd.Timedelta(freq)
    if frame.empty:
        return frame, _changes("mark_gaps", [], "inserted", [])
    grid = pd.date_range(frame.index[0], frame.index[-1], freq=step, name="date")
    off_grid = frame.index.difference(grid)
    if len(off_grid):
        raise DataError(
            f"{name}: {len(off_grid)} timestamp(s) off the {step} grid starting "
            f"{frame.index[0]}, e.g. {[str(d) for d in off_grid[:3]]}"
        )
    inserted = grid.difference(frame.index)
    out = frame.reindex(grid)
    changes = _changes(
        "mark_gaps", inserted, "inserted", ["missing bar, values NaN"] * len(inserted)
    )
    _log("mark_gaps", changes, name)
    return out, changes


def clean(
    prices: pd.DataFrame,
    steps: Sequence[str] = (
        "sort_by_time",
        "drop_duplicate_timestamps",
        "drop_nonpositive_prices",
        "drop_missing_prices",
        "drop_inconsistent_bars",
    ),
    keep: Literal["first", "last", "max_volume"] = "first",
    name: str = "prices",
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Apply cleaning steps in order; return the cleaned frame and the concatenated change table.

    Parameters
    ----------
    steps : sequence of str
        Names of the functions of this module to apply, in order. The default removes what
        cannot be a price (duplicates, zero or missing prices, impossible bars) and leaves
        gaps, stale runs and bad ticks in place (they are reported by :func:`validate`; blank
        them with ``"mask_stale_runs"`` / ``"mask_bad_ticks"`` if you decide to).
    keep : str
        Passed to :func:`drop_duplicate_timestamps`.

    Returns
    -------
    (DataFrame, DataFrame)
        The cleaned frame and every change (columns :data:`CHANGE_COLUMNS`).
    """
    available = {
        "sort_by_time": lambda f: sort_by_time(f, name=name),
        "drop_duplicate_timestamps": lambda f: drop_duplicate_timestamps(f, keep=keep, name=name),
        "drop_nonpositive_prices": lambda f: drop_nonpositive_prices(f, name=name),
        "drop_missing_prices": lambda f: drop_missing_prices(f, name=name),
        "drop_inconsistent_bars": lambda f: drop_inconsistent_bars(f, name=name),
        "drop_partial_bars": lambda f: drop_partial_bars(f, name=name),
        "drop_off_grid_rows": lambda f: drop_off_grid_rows(f, name=name),
        "drop_bogus_first_bar": lambda f: drop_bogus_first_bar(f, name=name),
        "mask_repeated_rows": lambda f: mask_repeated_rows(f, name=name),
        "mask_stale_runs": lambda f: mask_stale_runs(f, name=name),
        "mask_bad_ticks": lambda f: mask_bad_ticks(f, name=name),
        "clip_range_spikes": lambda f: clip_range_spikes(f, name=name),
    }
    unknown = [s for s in steps if s not in available]
    if unknown:
        raise ConfigError(f"unknown cleaning step(s) {unknown}; known: {list(available)}")
    frame = _as_frame(prices, name)
    tables = []
    for step in steps:
        frame, changes = available[step](frame)
        tables.append(changes)
    log = pd.concat(tables, ignore_index=True) if tables else _changes("clean", [], "", [])
    return frame, log
