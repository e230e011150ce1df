"""Perpetual-futures feeds as series: funding rates, mark-price, index-price and premium-index
klines; their checks; and the series derived from them (basis, funding accrual).

Reading
-------
* :func:`read_funding` reads a funding-rate file: the Binance archive layout
  (``calc_time,funding_interval_hours,last_funding_rate``), Binance's REST layout
  (``symbol,fundingTime,fundingRate,markPrice``) or a plain ``timestamp,funding_rate`` CSV, at
  any funding interval (8h, 4h, 1h, or a mix when a venue changes it). Funding times carry
  millisecond jitter at some venues (``16:00:00.001``): a time within ``tolerance`` of a whole
  UTC hour is snapped to it (logged); a time further off is kept and reported as ``off_grid``.
* :func:`read_klines` reads bars of one of :data:`FEED_KINDS` (trade, mark, index, premium) in
  Binance's 12-column kline layout (:data:`KLINE_COLUMNS`, with or without the header row;
  ``open_time`` in milliseconds, or microseconds from 2025) or as a plain CSV/Parquet file. It
  calls :func:`~riskkit.data.read_prices` for the timestamp and column logic. Mark, index and
  premium series have no volume (Binance writes 0 in that column): it is dropped.

Both take a :class:`~riskkit.data.options.ReadOptions` (timestamp column, column mapping,
timestamp unit, separator, declared interval).

Checks
------
:func:`validate_funding` and :func:`validate_feed` return a :class:`FeedReport` (the
:class:`~riskkit.data.ValidationReport` of a funding or premium series, checks in
:data:`FEED_CHECKS`): duplicates, missing values, times off the funding grid, gaps on the grid
(in units of the interval in force, so jitter never makes a gap), values beyond a sanity cap.
Mark, index and trade bars are prices: :func:`validate_feed` runs
:func:`~riskkit.data.validate` on them.

Derived series
--------------
* :func:`basis`: ``(perp - reference) / reference`` on the timestamps both series have, as a
  fraction: mark vs index, or perpetual close vs spot close.
* :func:`funding_accrual`: the funding paid over a rolling horizon, per unit of notional.

Sign convention: a positive funding rate means **longs pay shorts**; a positive accrual is a
cost to a long position and income to a short one. A positive basis means the perpetual (or the
mark) is above the reference.
"""

from __future__ import annotations

import logging
import warnings
from collections.abc import Mapping, Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from riskkit.bars import _read_duration
from riskkit.data._frame import KLINE_COLUMNS, PRICE_COLUMNS, PathLike, _as_frame, _fmt, _ns
from riskkit.data.io import _Ctx, _norm, _numbers, _read_raw, parse_timestamps, read_prices
from riskkit.data.options import Audience, ReadOptions
from riskkit.data.validation import (
    ISSUE_COLUMNS,
    ValidationReport,
    infer_freq,
    jitter_tolerance,
    validate,
)
from riskkit.exceptions import ConfigError, DataError, DataQualityWarning

__all__ = [
    "KLINE_COLUMNS",
    "FUNDING_COLUMNS",
    "FEED_KINDS",
    "FEED_CHECKS",
    "FeedReport",
    "read_funding",
    "tidy_funding",
    "read_klines",
    "validate_funding",
    "validate_feed",
    "basis",
    "funding_accrual",
]

logger = logging.getLogger("riskkit.data")

#: header of a Binance USD-M funding-rate archive CSV
FUNDING_COLUMNS: tuple[str, ...] = ("calc_time", "funding_interval_hours", "last_funding_rate")
#: kinds of bar series :func:`read_klines` reads: traded price, mark price, index price,
#: premium index (a fraction of the index, may be negative)
FEED_KINDS: tuple[str, ...] = ("trade", "mark", "index", "premium")

#: defect types of a funding or premium series, with their severity
FEED_CHECKS: dict[str, str] = {
    "unsorted": "error",
    "duplicate": "error",
    "missing_value": "error",
    "high_below_low": "error",
    "off_grid": "warning",
    "gap": "warning",
    "beyond_cap": "warning",
}

#: default sanity bounds on |value| (fractions per funding interval / of the index price); a
#: bound, not a venue's cap: pass the venue's own cap to check it
DEFAULT_FUNDING_CAP = 0.03
DEFAULT_PREMIUM_CAP = 0.05

# column names of funding files recognised without a mapping (lower-case, "_" for spaces)
_FUNDING_ALIASES: dict[str, tuple[str, ...]] = {
    "date": ("calc_time", "fundingtime", "funding_time", "timestamp", "time", "date", "datetime"),
    "funding_rate": ("last_funding_rate", "funding_rate", "fundingrate", "rate", "funding"),
    "funding_interval_hours": ("funding_interval_hours", "fundingintervalhours", "interval_hours"),
    "mark_price": ("markprice", "mark_price"),
}
_FUNDING_GRID = pd.Timedelta("1h")  # every funding schedule riskkit knows is on whole UTC hours


class FeedReport(ValidationReport):
    """Defects of a funding-rate or premium-index series: one row per defect.

    Same attributes and methods as :class:`~riskkit.data.ValidationReport` (``issues``,
    ``counts()``, ``of()``, ``summary()``...), with the checks of :data:`FEED_CHECKS`; ``freq``
    is the interval of the gap check (for funding with an interval column: the most common
    one).
    """

    def counts(self) -> pd.Series:
        """Number of defects per check, every check of :data:`FEED_CHECKS` listed."""
        counts = self.issues["check"].value_counts()
        return pd.Series(
            [int(counts.get(c, 0)) for c in FEED_CHECKS],
            index=pd.Index(list(FEED_CHECKS), name="check"),
        ).rename("defects")

    def __repr__(self) -> str:
        return "FeedReport" + super().__repr__().removeprefix("ValidationReport")

    def of(self, check: str) -> pd.DataFrame:
        """The defects of one type."""
        if check not in FEED_CHECKS:
            raise ConfigError(f"unknown check {check!r}; known: {list(FEED_CHECKS)}")
        return self.issues[self.issues["check"] == check]


# --------------------------------------------------------------------------------------------
# shared pieces
def _options(options: ReadOptions | Mapping | None) -> ReadOptions:
    if options is None:
        return ReadOptions()
    if isinstance(options, ReadOptions):
        return options
    if isinstance(options, Mapping):
        return ReadOptions(**dict(options))
    raise ConfigError(f"options must be a ReadOptions or a mapping, got {type(options).__name__}")


def _read_table(path: Path, opts: ReadOptions) -> tuple[pd.DataFrame, np.ndarray | None]:
    """The raw table of a funding file and the file line of each row (None for Parquet): the
    reader of :func:`~riskkit.data.read_prices` (separator, banner, header and blank lines
    handled alike); a file without header must have the three columns of Binance's archive."""
    layout = f"a Binance funding file has the header {','.join(FUNDING_COLUMNS)}"
    return _read_raw(path, opts, headerless=(FUNDING_COLUMNS, layout))


def _numeric(values: pd.Series, source: str, column: str, lines: np.ndarray | None) -> np.ndarray:
    """Floats of a column; text that is not a number is an error naming the file lines
    (:func:`riskkit.data.io._numbers`, the one number reader)."""
    frame = pd.DataFrame({column: values.reset_index(drop=True)})
    return _numbers(frame, column, _Ctx(source, "python", lines))


def _issue(check, column, start, end, n_bars, rows, detail) -> dict:
    return {
        "check": check,
        "severity": FEED_CHECKS[check],
        "column": column,
        "start": start,
        "end": end,
        "n_bars": int(n_bars),
        "rows": tuple(int(r) for r in rows),
        "detail": detail,
    }


def _time_checks(idx: pd.DatetimeIndex, steps: np.ndarray | pd.Timedelta | None) -> list[dict]:
    """unsorted, duplicate and gap defects of a time index.

    ``steps`` is the expected spacing: one interval, or one per row (the interval in force at
    each row, for a funding series whose interval changes). A gap is a spacing of at least 1.5
    expected intervals (its missing count rounded), so a jittered timestamp never makes one.
    """
    issues: list[dict] = []
    ts = _ns(idx)
    back = np.flatnonzero(np.diff(ts) < 0) + 1
    if back.size:
        issues.append(
            _issue(
                "unsorted",
                "date",
                idx[back[0]],
                idx[back[-1]],
                back.size,
                back,
                f"{back.size} timestamp(s) earlier than the row before (first at row "
                f"{int(back[0])})",
            )
        )
    dup = pd.Index(ts).duplicated(keep=False)
    if dup.any():
        # group the duplicated rows by timestamp (vectorised: one pass over the sorted copies)
        rows = np.flatnonzero(dup)
        order = rows[np.argsort(ts[rows], kind="mergesort")]
        starts = np.flatnonzero(np.r_[True, np.diff(ts[order]) != 0])
        for group in np.split(order, starts[1:]):
            stamp = idx[group[0]]
            issues.append(
                _issue(
                    "duplicate",
                    "date",
                    stamp,
                    stamp,
                    len(group),
                    group,
                    f"{len(group)} rows for {_fmt(stamp)}",
                )
            )
    if steps is None or len(idx) < 2:
        return issues
    order = np.argsort(ts, kind="mergesort")
    first = ~pd.Index(ts[order]).duplicated()
    pos = order[first]
    uniq = ts[pos]
    spacing = np.diff(uniq).astype(float)
    if isinstance(steps, pd.Timedelta):
        expected = np.full(spacing.shape, float(steps.value))
    else:
        per_row = np.asarray(steps, dtype=float)[pos]
        expected = np.fmax(per_row[:-1], per_row[1:])  # no false gap where the interval changes
    with np.errstate(invalid="ignore"):
        n_missing = np.rint(spacing / expected) - 1
    for k in np.flatnonzero(n_missing >= 1):
        before, after = idx[pos[k]], idx[pos[k + 1]]
        step = pd.Timedelta(int(expected[k]), unit="ns")
        issues.append(
            _issue(
                "gap",
                "date",
                before,
                after,
                int(n_missing[k]),
                [pos[k], pos[k + 1]],
                f"{int(n_missing[k])} missing {_step_text(step)} step(s) between {_fmt(before)} "
                f"and {_fmt(after)}",
            )
        )
    return issues


def _step_text(step: pd.Timedelta) -> str:
    hours = step / pd.Timedelta("1h")
    if hours >= 1 and float(hours).is_integer():
        return f"{int(hours)}h"
    return str(step)


def _cap_issues(frame: pd.DataFrame, columns: Sequence[str], cap: float, unit: str) -> list[dict]:
    values = frame[list(columns)].to_numpy(dtype=float)
    with np.errstate(invalid="ignore"):
        beyond = (np.abs(values) > cap).any(axis=1)
    idx = frame.index
    out = []
    for r in np.flatnonzero(beyond):
        shown = ", ".join(
            f"{c} {values[r, j]:+.6g}"
            for j, c in enumerate(columns)
            if np.isfinite(values[r, j]) and abs(values[r, j]) > cap
        )
        out.append(
            _issue(
                "beyond_cap",
                ",".join(columns),
                idx[r],
                idx[r],
                1,
                [r],
                f"{shown}: beyond the cap of {cap:g} {unit}",
            )
        )
    return out


def _missing_issues(frame: pd.DataFrame, columns: Sequence[str]) -> list[dict]:
    values = frame[list(columns)].to_numpy(dtype=float)
    mask = np.isnan(values)
    idx = frame.index
    out = []
    for r in np.flatnonzero(mask.any(axis=1)):
        cols = [c for c, m in zip(columns, mask[r], strict=True) if m]
        out.append(
            _issue("missing_value", ",".join(cols), idx[r], idx[r], 1, [r], f"no value in {cols}")
        )
    return out


def _report(issues: list[dict], name: str, n: int, freq: pd.Timedelta | None) -> FeedReport:
    table = pd.DataFrame(issues, columns=ISSUE_COLUMNS)
    if not table.empty:
        table["_order"] = table["check"].map({c: i for i, c in enumerate(FEED_CHECKS)})
        table = table.sort_values(["_order", "start"], kind="mergesort").drop(columns="_order")
    return FeedReport(table, name=name, n_rows=n, freq=freq)


def _warn(report: ValidationReport, name: str, check_fn: str) -> None:
    if not report.ok:
        warnings.warn(
            f"{name}: {report.summary()} (see riskkit.data.{check_fn})",
            DataQualityWarning,
            stacklevel=3,
        )


def _positive_step(value: str | pd.Timedelta | None, what: str) -> pd.Timedelta | None:
    """An interval option (``8h``, ``1D``, ``7D``, ``1m`` is one minute as on Binance), or
    None: any positive duration, not only a bar interval."""
    return None if value is None else _read_duration(value, what)


def _tolerance(value: str | pd.Timedelta | None, step: pd.Timedelta | None) -> pd.Timedelta:
    """The snapping tolerance: as given, else :func:`~riskkit.data.jitter_tolerance` of the
    funding interval (one minute for 8h or 4h funding, 36 s for hourly)."""
    if value is None:
        return jitter_tolerance(step) if step is not None else pd.Timedelta("1min")
    try:
        tol = pd.Timedelta(value)
    except (ValueError, TypeError):
        raise ConfigError(
            f"tolerance must be a duration such as 1s or 500ms, got {value!r}"
        ) from None
    if tol < pd.Timedelta(0):
        raise ConfigError(f"tolerance must not be negative, got {value!r}")
    return tol


def _cap(cap: float, what: str) -> float:
    if not (isinstance(cap, (int, float)) and np.isfinite(cap) and cap > 0):
        raise ConfigError(f"{what} must be a positive fraction, got {cap!r}")
    return float(cap)


# --------------------------------------------------------------------------------------------
# funding
def _funding_columns(
    raw: pd.DataFrame, opts: ReadOptions, source: str, audience: Audience
) -> dict[str, str]:
    """{riskkit name: file column} of a funding file."""
    found: dict[str, str] = {}
    targets = set(_FUNDING_ALIASES) - {"date"}
    for src, dst in opts.columns.items():
        if dst not in targets:
            raise ConfigError(
                f"{ReadOptions.option_name('columns', audience)} maps {src!r} to {dst!r}; in a "
                f"funding file the targets are {sorted(targets)}"
            )
        if src not in raw.columns:
            raise DataError(
                f"{source}: mapped column {src!r} not found "
                f"({ReadOptions.option_name('columns', audience)}); columns are "
                f"{list(raw.columns)}"
            )
        found[dst] = src
    if opts.timestamp is not None:
        if opts.timestamp not in raw.columns:
            raise DataError(
                f"{source}: timestamp column {opts.timestamp!r} not found; columns are "
                f"{list(raw.columns)}"
            )
        found["date"] = opts.timestamp
    for target, aliases in _FUNDING_ALIASES.items():
        if target in found:
            continue
        taken = set(found.values())
        by_alias = {_norm(c): c for c in raw.columns if c not in taken}
        for alias in aliases:  # in order of preference
            if alias in by_alias:
                found[target] = by_alias[alias]
                break
    if "funding_rate" not in found:
        mapping = {"<name>": "funding_rate"}
        raise DataError(
            f"{source}: no funding-rate column; columns are {list(raw.columns)}. Name it "
            "funding_rate (or last_funding_rate, fundingRate), or map it: "
            f"{ReadOptions.setting('columns', mapping, audience)}"
        )
    if "date" not in found:
        raise DataError(
            f"{source}: no timestamp column; columns are {list(raw.columns)}. Name it "
            "calc_time, fundingTime or timestamp, or set "
            f"{ReadOptions.setting('timestamp', '<name>', audience)}"
        )
    return found


def _snap(
    idx: pd.DatetimeIndex, grid: pd.Timedelta, tolerance: pd.Timedelta
) -> tuple[pd.DatetimeIndex, np.ndarray]:
    """Times within ``tolerance`` of the grid moved onto it; returns (index, shifts in ns)."""
    ts = _ns(idx)
    g = grid.value
    nearest = np.floor_divide(ts + g // 2, g) * g
    shift = nearest - ts
    within = np.abs(shift) <= tolerance.value
    out = np.where(within, nearest, ts)
    return pd.DatetimeIndex(out.astype("datetime64[ns]"), name="date"), np.where(within, shift, 0)


def read_funding(
    path: PathLike,
    options: ReadOptions | Mapping | None = None,
    *,
    tolerance: str | pd.Timedelta | None = None,
    cap: float = DEFAULT_FUNDING_CAP,
    check: bool = True,
    audience: Audience = "python",
) -> pd.DataFrame:
    """Read a funding-rate file into a frame indexed by funding time.

    Parameters
    ----------
    path : str or path-like
        CSV (also ``.csv.gz``, or a ``.zip`` holding one CSV, as Binance publishes them) or
        Parquet. Layouts recognised without a mapping: Binance archive
        (``calc_time,funding_interval_hours,last_funding_rate``), Binance REST
        (``symbol,fundingTime,fundingRate,markPrice``) and plain ``timestamp,funding_rate``;
        times in epoch s/ms/us or ISO text.
    options : ReadOptions or mapping, optional
        ``timestamp`` (the time column), ``columns`` (``{file column: target}``, targets
        ``funding_rate``, ``funding_interval_hours``, ``mark_price``), ``unit``, ``sep``,
        ``timezone``, ``earliest`` and ``interval`` (the funding interval when the file has no
        interval column, e.g. ``8h``; inferred when not given). The bar options
        (``day_boundary``, ``partial_bars``) do not apply to funding events.
    tolerance : str or Timedelta, optional
        A funding time within this of a whole UTC hour is snapped to it (the number snapped
        and the largest shift are logged to ``riskkit.data``); a time further off is kept and
        reported as ``off_grid``. Default: :func:`~riskkit.data.jitter_tolerance` of the
        funding interval (1% of it, at most one minute: one minute for 8h funding).
    cap : float, default 0.03
        Sanity bound on ``|funding_rate|`` per interval, for :func:`validate_funding`.
    check : bool, default True
        Run :func:`validate_funding`; it warns :class:`DataQualityWarning` with a one-line
        summary when it finds defects.
    audience : {"python", "config", "cli"}
        How messages spell the options (``unit='s'``, ``data.unit: s``, ``--unit s``).

    Returns
    -------
    pandas.DataFrame
        See :func:`tidy_funding`. Duplicates and other defects are kept.

    Raises
    ------
    DataError
        File missing or unreadable, no time or rate column, non-numeric rates (file lines
        named), unparseable timestamps, a file holding several symbols.
    ConfigError
        Bad ``options``, ``tolerance`` or ``cap``.

    Examples
    --------
    >>> fr = read_funding("BTCUSDT-fundingRate-2024-03.csv")  # doctest: +SKIP
    >>> funding_accrual(fr, "7D")  # doctest: +SKIP
    """
    path = Path(path)
    opts = _options(options)
    cap = _cap(cap, "cap")
    raw, lines = _read_table(path, opts)
    frame = tidy_funding(
        raw, opts, tolerance=tolerance, source=str(path), lines=lines, audience=audience
    )
    if check:
        report = validate_funding(frame, tolerance=tolerance, cap=cap, name=path.name, warn=False)
        _warn(report, path.name, "validate_funding")
    return frame


def tidy_funding(
    raw: pd.DataFrame,
    options: ReadOptions | Mapping | None = None,
    *,
    tolerance: str | pd.Timedelta | None = None,
    source: str = "funding",
    lines: np.ndarray | Sequence[int] | None = None,
    audience: Audience = "python",
) -> pd.DataFrame:
    """Turn a raw funding table (as read from a file) into the funding frame.

    Parameters
    ----------
    raw : pandas.DataFrame
        One row per funding event; columns detected as in :func:`read_funding`.
    options : ReadOptions or mapping, optional
        As in :func:`read_funding`.
    tolerance : str or Timedelta, optional
        Snapping tolerance to the whole UTC hour, as in :func:`read_funding`.
    source : str
        Named in messages (file name).
    lines : array-like of int, optional
        File line of each row, for messages (0-based row positions otherwise).
    audience : {"python", "config", "cli"}
        How messages spell the options.

    Returns
    -------
    pandas.DataFrame
        Index ``date`` (funding time, tz-naive UTC, sorted; a row found out of order is sorted
        with a :class:`DataQualityWarning`), float columns ``funding_rate`` (fraction of
        notional per interval; positive: longs pay shorts), ``funding_interval_hours`` (from
        the file, else the declared or inferred interval) and ``mark_price`` when the file has
        one.
    """
    opts = _options(options)
    declared = _positive_step(opts.interval, ReadOptions.option_name("interval"))
    if raw.empty:
        raise DataError(f"{source}: no rows")
    cols = _funding_columns(raw, opts, source, audience)
    symbol_col = next((c for c in raw.columns if _norm(c) == "symbol"), None)
    if symbol_col is not None and raw[symbol_col].nunique() > 1:
        names = sorted(raw[symbol_col].dropna().astype(str).unique().tolist())[:5]
        raise DataError(
            f"{source}, column {symbol_col!r}: {raw[symbol_col].nunique()} symbols ({names}) "
            "in one file; split it into one file per symbol"
        )
    lines = None if lines is None else np.asarray(lines, dtype=np.int64)
    times = parse_timestamps(
        raw[cols["date"]],
        unit=opts.unit,
        source=source,
        column=cols["date"],
        timezone=opts.timezone,
        earliest=opts.earliest,
        lines=lines,
        audience=audience,
    )
    data = {}
    for target in ("funding_rate", "funding_interval_hours", "mark_price"):
        if target in cols:
            data[target] = _numeric(raw[cols[target]], source, cols[target], lines)
    frame = pd.DataFrame(data, index=times)
    if "funding_interval_hours" in frame.columns and frame["funding_interval_hours"].notna().any():
        step = pd.Timedelta(hours=float(frame["funding_interval_hours"].median()))
    else:
        step = declared if declared is not None else infer_freq(times)
    tol = _tolerance(tolerance, step)
    if not frame.index.is_monotonic_increasing:
        n_back = int((np.diff(_ns(frame.index)) < 0).sum())
        warnings.warn(
            f"{source}: rows were not in time order ({n_back} step(s) back in time); sorted",
            DataQualityWarning,
            stacklevel=3,
        )
        frame = frame.sort_index(kind="mergesort")
    snapped, shift = _snap(pd.DatetimeIndex(frame.index), _FUNDING_GRID, tol)
    n_snapped = int((shift != 0).sum())
    if n_snapped:
        biggest = pd.Timedelta(int(np.abs(shift).max()), unit="ns")
        logger.info(
            "%s: snapped %d funding time(s) to the whole hour (largest shift %.3f s, tolerance "
            "%g s)",
            source,
            n_snapped,
            biggest.total_seconds(),
            tol.total_seconds(),
        )
    frame.index = snapped
    if "funding_interval_hours" not in frame.columns:
        hours = np.nan if step is None else step / pd.Timedelta("1h")
        frame.insert(1, "funding_interval_hours", float(hours))
    return frame


def validate_funding(
    funding: pd.DataFrame | pd.Series,
    interval: str | pd.Timedelta | None = None,
    tolerance: str | pd.Timedelta | None = None,
    cap: float = DEFAULT_FUNDING_CAP,
    name: str = "funding",
    warn: bool = True,
) -> FeedReport:
    """Report every defect of a funding-rate series; never modifies it.

    Parameters
    ----------
    funding : DataFrame or Series
        As returned by :func:`read_funding` (column ``funding_rate``, optional
        ``funding_interval_hours``), or a Series of rates, indexed by funding time.
    interval : str or Timedelta, optional
        Funding interval for the gap check. Default: per row from ``funding_interval_hours``
        when present (the larger of two neighbours, so a change of interval is not a gap), else
        the most common spacing.
    tolerance : str or Timedelta, optional
        A time further than this from a whole UTC hour is ``off_grid``; default
        :func:`~riskkit.data.jitter_tolerance` of the funding interval (one minute for 8h).
    cap : float, default 0.03
        ``|rate|`` above this (a fraction per interval) is ``beyond_cap``: a sanity bound,
        not a venue's cap (set it to the venue's cap to check that). Rates written in percent
        (0.01 for 0.01%) show up here only when they exceed it.
    name : str
        Label used in messages.
    warn : bool, default True
        Warn :class:`DataQualityWarning` with a one-line summary when defects are found.

    Returns
    -------
    FeedReport
        Checks ``unsorted``, ``duplicate``, ``missing_value``, ``off_grid``, ``gap`` (counted
        in funding intervals), ``beyond_cap``.
    """
    frame = _funding_frame(funding, name)
    step = _positive_step(interval, "interval")
    cap = _cap(cap, "cap")
    idx = pd.DatetimeIndex(frame.index)
    steps: np.ndarray | pd.Timedelta | None
    if step is not None:
        steps = step
    elif (
        "funding_interval_hours" in frame.columns and frame["funding_interval_hours"].notna().all()
    ):
        steps = frame["funding_interval_hours"].to_numpy(float) * pd.Timedelta("1h").value
    else:
        steps = infer_freq(idx)
    issues = _time_checks(idx, steps)
    if isinstance(steps, np.ndarray):
        freq = pd.Timedelta(float(pd.Series(steps).mode().iloc[0]), unit="ns")
    else:
        freq = steps
    tol = _tolerance(tolerance, freq)
    ts = _ns(idx)
    g = _FUNDING_GRID.value
    off = np.abs(ts - np.floor_divide(ts + g // 2, g) * g)
    for r in np.flatnonzero(off > tol.value):
        issues.append(
            _issue(
                "off_grid",
                "date",
                idx[r],
                idx[r],
                1,
                [r],
                f"{idx[r]} is {pd.Timedelta(int(off[r]), unit='ns')} from the whole hour "
                f"(tolerance {tol})",
            )
        )
    issues += _missing_issues(frame, ["funding_rate"])
    issues += _cap_issues(frame, ["funding_rate"], cap, "per funding interval")
    report = _report(issues, name, len(frame), freq)
    if warn:
        _warn(report, name, "validate_funding")
    return report


def _funding_frame(funding: pd.DataFrame | pd.Series, name: str) -> pd.DataFrame:
    reader = "read funding files with riskkit.data.read_funding"
    funding = _as_frame(funding, name, "funding_rate", reader)
    if funding.empty:
        raise DataError(f"{name}: no rows")
    return funding


# --------------------------------------------------------------------------------------------
# klines
def _kind(kind: str) -> str:
    if kind not in FEED_KINDS:
        raise ConfigError(f"kind must be one of {list(FEED_KINDS)}, got {kind!r}")
    return kind


def read_klines(
    path: PathLike,
    kind: str = "trade",
    options: ReadOptions | Mapping | None = None,
    *,
    cap: float | None = None,
    check: bool = True,
    audience: Audience = "python",
) -> pd.DataFrame:
    """Read bars of a traded, mark, index or premium-index price series.

    Parameters
    ----------
    path : str or path-like
        A Binance kline CSV (the 12 columns of :data:`KLINE_COLUMNS`, with the header row of
        newer files or without it as in older ones; ``open_time`` in ms, or us from 2025), a
        ``.zip`` archive holding one, or any CSV/Parquet file :func:`~riskkit.data.read_prices`
        reads: it does the reading, with every option of ``options``.
    kind : {"trade", "mark", "index", "premium"}
        ``"premium"``: Binance's premium index, ``(impact price - index) / index``, a fraction
        that may be negative. Mark, index and premium series have no volume: the column
        (0 in Binance's files) is dropped.
    options : ReadOptions or mapping, optional
        Read options (timestamp column, column mapping, unit, separator, time zone, declared
        interval, partial bars...), as for :func:`~riskkit.data.read_prices`.
    cap : float, optional
        Premium only: sanity bound on ``|premium|`` (default 0.05).
    check : bool, default True
        Run :func:`validate_feed` and warn :class:`DataQualityWarning` with a summary when it
        finds defects.
    audience : {"python", "config", "cli"}
        How messages spell the options.

    Returns
    -------
    pandas.DataFrame
        Index ``date`` (bar open time, tz-naive UTC); float columns among ``open, high, low,
        close`` (and ``volume`` for ``kind="trade"``).

    Raises
    ------
    DataError
        As :func:`~riskkit.data.read_prices` (a header-less file that is not in Binance's
        12-column layout included).
    ConfigError
        Unknown ``kind`` or bad ``options``.
    """
    path = Path(path)
    kind = _kind(kind)
    opts = _options(options)
    frame = read_prices(path, opts, audience=audience, check=False)
    if kind != "trade":
        frame = frame.drop(columns="volume", errors="ignore")
    if check:
        report = validate_feed(frame, kind, freq=opts.interval, cap=cap, name=path.name, warn=False)
        _warn(report, path.name, "validate_feed")
    return frame


def validate_feed(
    frame: pd.DataFrame | pd.Series,
    kind: str = "trade",
    freq: str | pd.Timedelta | None = None,
    cap: float | None = None,
    name: str = "feed",
    warn: bool = True,
) -> ValidationReport:
    """Check a series of :data:`FEED_KINDS` bars for defects; never modifies it.

    Parameters
    ----------
    frame : DataFrame or Series
        Bars as :func:`read_klines` returns them (``close`` required), or a Series of closes.
    kind : {"trade", "mark", "index", "premium"}
        Trade, mark and index bars are prices: :func:`~riskkit.data.validate` checks them
        (a missing volume is fine). Premium bars are fractions around 0: checked for
        ``unsorted``, ``duplicate``, ``missing_value``, ``high_below_low``, ``gap`` and
        ``beyond_cap``.
    freq : str or Timedelta, optional
        Bar interval of the gap check (inferred when omitted).
    cap : float, optional
        Premium only: bound on ``|open|, |high|, |low|, |close|`` (default 0.05).
    name : str
        Label used in messages.
    warn : bool, default True
        Warn :class:`DataQualityWarning` with a one-line summary when defects are found.

    Returns
    -------
    ValidationReport or FeedReport
        :class:`~riskkit.data.ValidationReport` for price kinds, :class:`FeedReport` for the
        premium.
    """
    kind = _kind(kind)
    if kind != "premium":
        if cap is not None:
            raise ConfigError(f"cap applies to premium (and funding) series, not to {kind!r}")
        return validate(frame, freq=freq, name=name, warn=warn)
    if isinstance(frame, pd.Series):
        frame = frame.to_frame("close")
    if not isinstance(frame, pd.DataFrame) or not isinstance(frame.index, pd.DatetimeIndex):
        raise DataError(f"{name}: expected a DataFrame indexed by a DatetimeIndex")
    if "close" not in frame.columns:
        raise DataError(f"{name}: no 'close' column; columns are {list(frame.columns)}")
    if frame.empty:
        raise DataError(f"{name}: no rows")
    cap = _cap(DEFAULT_PREMIUM_CAP if cap is None else cap, "cap")
    step = _positive_step(freq, "freq")
    idx = pd.DatetimeIndex(frame.index)
    cols = [c for c in PRICE_COLUMNS if c in frame.columns]
    issues = _time_checks(idx, step if step is not None else infer_freq(idx))
    issues += _missing_issues(frame, cols)
    if {"high", "low"} <= set(cols):
        hi, lo = frame["high"].to_numpy(float), frame["low"].to_numpy(float)
        with np.errstate(invalid="ignore"):
            for r in np.flatnonzero(hi < lo):
                issues.append(
                    _issue(
                        "high_below_low",
                        "high,low",
                        idx[r],
                        idx[r],
                        1,
                        [r],
                        f"high {hi[r]:g} < low {lo[r]:g}",
                    )
                )
    issues += _cap_issues(frame, cols, cap, "of the index price")
    report = _report(issues, name, len(frame), step if step is not None else infer_freq(idx))
    if warn:
        _warn(report, name, "validate_feed")
    return report


# --------------------------------------------------------------------------------------------
# derived series
def _series(x: pd.Series | pd.DataFrame, column: str, what: str) -> pd.Series:
    if isinstance(x, pd.DataFrame):
        if column not in x.columns:
            raise DataError(f"{what}: no {column!r} column; columns are {list(x.columns)}")
        x = x[column]
    if not isinstance(x, pd.Series):
        raise DataError(f"{what}: expected a Series or DataFrame, got {type(x).__name__}")
    if not isinstance(x.index, pd.DatetimeIndex):
        raise DataError(f"{what}: index must be a DatetimeIndex (got {type(x.index).__name__})")
    if x.index.has_duplicates:
        first = x.index[x.index.duplicated()][0]
        raise DataError(
            f"{what}: duplicate timestamps (first {_fmt(first)}); drop them first "
            "(riskkit.data.drop_duplicate_timestamps)"
        )
    return x.astype(float)


def basis(
    perp: pd.Series | pd.DataFrame,
    reference: pd.Series | pd.DataFrame,
    column: str = "close",
) -> pd.Series:
    """Basis of a perpetual over its reference, as a fraction: ``(perp - reference) / reference``.

    Use it for the mark over the index (``basis(mark, index)``) or the perpetual's traded
    close over the spot close (``basis(perp, spot)``).

    Parameters
    ----------
    perp, reference : Series or DataFrame
        Prices indexed by time (a DataFrame: its ``column``). Aligned on the timestamps both
        have (resample first if their intervals differ); a missing value on either side drops
        the bar.
    column : str, default "close"
        Column used from a DataFrame.

    Returns
    -------
    pandas.Series
        Named ``basis``, index ``date``: positive when the perpetual is above the reference.

    Raises
    ------
    DataError
        No timestamp in common, a non-positive reference price (dates named), duplicate
        timestamps, or an index that is not a DatetimeIndex.
    """
    p = _series(perp, column, "perp")
    r = _series(reference, column, "reference")
    both = pd.concat([p.rename("perp"), r.rename("ref")], axis=1, join="inner").dropna()
    if both.empty:
        raise DataError(
            f"perp ({len(p)} bars) and reference ({len(r)} bars) have no timestamp in common"
        )
    bad = both.index[both["ref"] <= 0]
    if len(bad):
        raise DataError(
            f"reference: {len(bad)} non-positive price(s) (first {_fmt(bad[0])}); a basis "
            "needs a positive reference price"
        )
    out = (both["perp"] - both["ref"]) / both["ref"]
    return out.rename("basis").rename_axis("date")


def funding_accrual(
    funding: pd.Series | pd.DataFrame,
    horizon: str | pd.Timedelta = "1D",
    column: str = "funding_rate",
) -> pd.Series:
    """Funding paid over a rolling horizon, per unit of notional held through it.

    At each funding time ``t``, the sum of the rates of the funding events in ``(t - horizon,
    t]``: the fraction of notional a long position held over that window paid (a short
    received). Positive: longs paid; negative: shorts paid. Events are summed as they are:
    a gap in the series (see :func:`validate_funding`) lowers the sum.

    Parameters
    ----------
    funding : Series or DataFrame
        Funding rates indexed by funding time (as :func:`read_funding` returns them).
    horizon : str or Timedelta, default "1D"
        Length of the window, e.g. ``"1D"``, ``"7D"``, ``"8h"``.
    column : str, default "funding_rate"
        Column used from a DataFrame.

    Returns
    -------
    pandas.Series
        Named ``funding_accrual``, at the funding times; NaN while the window reaches before
        the first event of the series (a partial window would understate the accrual).

    Raises
    ------
    ConfigError
        A horizon that is not a positive interval.
    DataError
        Unsorted or duplicate funding times, or an index that is not a DatetimeIndex.
    """
    rates = _series(funding, column, "funding")
    h = _positive_step(horizon, "horizon")
    if not rates.index.is_monotonic_increasing:
        raise DataError("funding: times are not sorted; sort them first")
    out = rates.rolling(h, closed="right").sum()
    hours = np.nan
    if isinstance(funding, pd.DataFrame) and "funding_interval_hours" in funding.columns:
        hours = float(funding["funding_interval_hours"].iloc[0])
    if np.isfinite(hours) and hours > 0:
        step = pd.Timedelta(hours=hours)
    else:
        step = infer_freq(pd.DatetimeIndex(rates.index))
    if step is None:
        out[:] = np.nan
    else:
        # the window (t - h, t] is covered once its first event, t - h + step, is in the data
        out[rates.index < rates.index[0] + h - step] = np.nan
    return out.rename("funding_accrual").rename_axis("date")
