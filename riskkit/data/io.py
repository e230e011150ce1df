"""Read price files into the tidy price frame: :func:`read_prices` (CSV or Parquet),
:func:`tidy_prices` (a raw table already in memory) and :func:`parse_timestamps`.

The tidy price frame has a tz-naive :class:`pandas.DatetimeIndex` named ``date`` (understood as
UTC; a bar is labelled by its *opening* time) and float columns among ``open``, ``high``,
``low``, ``close``, ``volume`` (``close`` alone is enough).

Files come as venues export them, and the reader takes them as they are:

* a banner line before the header (CryptoDataDownload's URL line), no header at all (older
  Binance kline archives: 12 numeric columns), any of ``, ; | TAB`` as separator;
* rows in any order (descending, as CryptoDataDownload writes them): sorted, with a warning;
* epoch numbers in seconds, milliseconds, microseconds or nanoseconds, *mixed row by row*:
  each row's unit is read from its magnitude, with a warning naming the lines;
* ISO 8601 text with or without a UTC offset, and CryptoDataDownload's ``2020-11-20 07-AM``,
  even mixed in one column; offsets are converted to UTC, timestamps without one are read in
  ``ReadOptions.timezone``; when converted bars fall off the day boundary, a warning says so
  (``day_boundary`` declares the venue's day; nothing is shifted silently);
* a timestamp before ``ReadOptions.earliest`` or in the future is an error, never a 1970 date;
* files holding several series (``exchange``/``asset``/``symbol`` columns with several values)
  are refused unless ``ReadOptions.select`` picks one: series are never merged.

Every error names the file, the column, the *file line* (1-based, banner and header lines
counted) and the option to change, spelled for the reader (``unit='s'`` in Python,
``data.unit: s`` in a config, ``--unit s`` on the command line; see
:meth:`~riskkit.data.ReadOptions.setting`).
"""

from __future__ import annotations

import csv
import gzip
import io as _io
import logging
import warnings
import zipfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from riskkit.bars import check_interval, interval_label
from riskkit.data._frame import (
    KLINE_COLUMNS,
    OHLCV_COLUMNS,
    PathLike,
    _fmt,
    _fmt_many,
    _ns,
    _rows_text,
)
from riskkit.data.options import (
    COLUMN_TARGETS,
    TIMESTAMP_UNITS,
    Audience,
    ReadOptions,
    parse_interval,
)
from riskkit.data.validation import (
    _phase_text,
    _table,
    infer_freq,
    jitter_tolerance,
    validate,
)
from riskkit.exceptions import ConfigError, DataError, DataQualityWarning

__all__ = ["read_prices", "parse_timestamps", "tidy_prices"]

logger = logging.getLogger("riskkit.data")

# Column names recognised without an explicit mapping (lower-cased, spaces -> underscores).
_TIME_ALIASES = (
    "date",
    "timestamp",
    "time",
    "datetime",
    "open_time",
    "start_time",
    "ts",
    "day",
    "unix",
    "unix_time",
    "unix_timestamp",
)
_ALIASES: dict[str, tuple[str, ...]] = {
    "date": _TIME_ALIASES,
    "open": ("open", "o", "open_price"),
    "high": ("high", "h", "high_price"),
    "low": ("low", "l", "low_price"),
    "close": ("close", "c", "price", "last", "close_price"),
    "volume": ("volume", "v", "vol", "base_volume"),
    "close_time": ("close_time", "closetime", "close_timestamp"),
    "trades": ("count", "trades", "trade_count", "number_of_trades", "num_trades"),
}
#: targets a column may be mapped to with ``columns`` (checked by ReadOptions)
_TARGETS = COLUMN_TARGETS
# Columns that identify a series: several values in one file means several series.
_SERIES_COLUMNS = ("exchange", "venue", "asset", "symbol", "ticker", "pair", "instrument")

# Epoch numbers: the unit of a value is read from its magnitude. Bands are the timestamps of
# 1973-03-03 .. 5138-11-16 in each unit; they do not overlap (each is 1000 times the one
# before), so a value has one reading. Values below 1e8 or after ``now`` are refused later.
_BAND_EDGES = np.array([1e11, 1e14, 1e17])
_BAND_UNITS = ("s", "ms", "us", "ns")
_UNIT_WORDS = {"s": "seconds", "ms": "milliseconds", "us": "microseconds", "ns": "nanoseconds"}

_AMPM = r"^(\d{4}-\d{2}-\d{2})[ T](\d{1,2})(?::(\d{2}))?(?::(\d{2}))?\s*-?\s*([AaPp])\.?[Mm]\.?$"
_OFFSET = r"\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?\s*(?:[Zz]|[+-]\d{2}(?::?\d{2})?)$"


def _show(value: object) -> str:
    """A value from a file as a message shows it: text quoted, numbers plain."""
    if isinstance(value, str):
        return repr(value)
    if isinstance(value, (float, np.floating)) and float(value).is_integer():
        return str(int(value))
    return str(value.item() if isinstance(value, np.generic) else value)


def _norm(name: object) -> str:
    return str(name).strip().lower().replace(" ", "_").replace("-", "_")


def _key(name: object) -> str:
    """A column name as aliases are matched: case, spaces, ``_`` and ``-`` ignored, so Bybit's
    and OKX's camelCase ``startTime``/``closePrice`` match ``start_time``/``close_price``."""
    return _norm(name).replace("_", "")


def _is_alias(name: object, aliases: Sequence[str]) -> bool:
    return _key(name) in {_key(a) for a in aliases}


# --------------------------------------------------------------------------------------------
# where things are: file, column, lines, and the option to change, spelled for the reader


@dataclass
class _Ctx:
    source: str
    audience: Audience = "python"
    lines: np.ndarray | None = None  # file line of each raw row (None: a frame in memory)

    def at(self, rows: np.ndarray | Sequence[int]) -> str:
        return _rows_text(rows, self.lines, most=5)

    def line(self, row: int) -> str:
        return f"row {row}" if self.lines is None else f"line {int(self.lines[row])}"

    def opt(self, field_: str) -> str:
        return ReadOptions.option_name(field_, self.audience)

    def set(self, field_: str, value: object) -> str:
        return ReadOptions.setting(field_, value, self.audience)

    def where(self, column: object) -> str:
        return f"{self.source}, column {str(column)!r}"


@dataclass
class _Finding:
    """A defect found while reading (positions are raw rows, before sorting)."""

    check: str
    column: str
    rows: np.ndarray
    detail: str


@dataclass
class _Read:
    """A file as read: the tidy frame (sorted) and what reading learnt about it."""

    frame: pd.DataFrame
    lines: np.ndarray | None
    close_time: np.ndarray | None
    saved_at: pd.Timestamp | None
    findings: list[pd.DataFrame]
    messages: list[str]
    offsets: list[str] = field(default_factory=list)
    time_column: str = "date"


# --------------------------------------------------------------------------------------------
# timestamps


def _now() -> pd.Timestamp:
    return pd.Timestamp.now(tz="UTC").tz_localize(None)


def _range_check(
    ns: np.ndarray,
    raw: pd.Series,
    earliest: pd.Timestamp,
    now: pd.Timestamp,
    ctx: _Ctx,
    column: str,
    unit_note: str = "",
    suggest: np.ndarray | None = None,
) -> None:
    """A timestamp before ``earliest`` or after ``now`` is an error naming its lines."""
    lo, hi = earliest.value, (now + pd.Timedelta("1min")).value
    early = np.flatnonzero(ns < lo)
    late = np.flatnonzero(ns > hi)
    for bad, what in ((early, f"before earliest {earliest.date()}"), (late, "in the future")):
        if bad.size == 0:
            continue
        r = int(bad[0])
        shown = "beyond 2262" if ns[r] == np.iinfo(np.int64).max else _fmt_many(ns[[r]])[0]
        more = f" ({bad.size} rows: {ctx.at(bad)})" if bad.size > 1 else ""
        msg = (
            f"{ctx.where(column)}: {bad.size} timestamp(s){unit_note} fall {what}, e.g. "
            f"{_show(raw.iloc[r])} at {ctx.line(r)} -> {shown}{more}."
        )
        if suggest is not None:
            guess = _BAND_UNITS[int(suggest[r])]
            msg += (
                f" Their magnitude says {_UNIT_WORDS[guess]}: set {ctx.set('unit', guess)} or "
                f"{ctx.set('unit', 'auto')}."
            )
        elif what.startswith("before"):
            msg += f" If the data is that old, set {ctx.opt('earliest')}."
        raise DataError(msg)


def _epochs(
    num: pd.Series,
    raw: pd.Series,
    unit: str,
    earliest: pd.Timestamp,
    now: pd.Timestamp,
    ctx: _Ctx,
    column: str,
    findings: list[_Finding],
) -> np.ndarray:
    """Epoch numbers to int64 ns, each row's unit from its magnitude when ``unit='auto'``."""
    if num.dtype.kind in "iu":
        exact = num.to_numpy(np.int64)
        values = exact.astype(float)
    else:
        values = num.to_numpy(float)
        integral = np.isfinite(values) & (values == np.round(values)) & (np.abs(values) < 9e18)
        exact = values.astype(np.int64) if integral.all() else None
    band = np.searchsorted(_BAND_EDGES, np.abs(values), side="right")
    if unit == "auto":
        used = band
        kinds = np.unique(band)
        if kinds.size > 1:
            counts = np.bincount(band, minlength=4)
            major = int(np.argmax(counts))
            parts = [
                f"{counts[k]} in {_BAND_UNITS[k]} ({ctx.at(np.flatnonzero(band == k))})"
                for k in kinds.tolist()
            ]
            findings.append(
                _Finding(
                    "mixed_units",
                    column,
                    np.flatnonzero(band != major),
                    "epoch timestamps in mixed units, each row read by its magnitude: "
                    + "; ".join(parts),
                )
            )
    else:
        used = np.full(values.shape, _BAND_UNITS.index(unit))
    scale = 10 ** (9 - 3 * used)
    approx = values * scale.astype(float)
    over = np.abs(approx) >= 9.2e18
    if exact is not None and not over.any():
        ns = exact * scale
    else:
        ns = np.where(over, 0, np.round(approx)).astype(np.int64)
    ns = np.where(over, np.iinfo(np.int64).max, ns)
    note = f" read with {ctx.set('unit', unit)}" if unit != "auto" else ""
    if unit == "auto":
        tiny = np.flatnonzero(np.abs(values) < 1e8)
        if tiny.size:
            r = int(tiny[0])
            raise DataError(
                f"{ctx.where(column)}: numbers such as {_show(raw.iloc[r])} at {ctx.line(r)} "
                f"({ctx.at(tiny)}) are not epoch seconds, milliseconds, microseconds or "
                f"nanoseconds after {earliest.date()}; if they are dates written as numbers "
                f"(YYYYMMDD), set {ctx.set('unit', 'iso')}; else set {ctx.opt('unit')} or the "
                f"timestamp column ({ctx.opt('timestamp')})"
            )
    _range_check(
        ns, raw, earliest, now, ctx, column, note, suggest=band if unit != "auto" else None
    )
    return ns


def _normalise_ampm(text: pd.Series, ctx: _Ctx, column: str, findings: list[_Finding]):
    """``YYYY-MM-DD HH-AM`` (CryptoDataDownload) -> ``YYYY-MM-DD HH:00:00``."""
    mask = text.str.contains(r"[AaPp]\.?[Mm]\.?$", regex=True).to_numpy(dtype=bool)
    if not mask.any():
        return text
    sub = text[mask]
    parts = sub.str.extract(_AMPM)
    hours = pd.to_numeric(parts[1], errors="coerce")
    bad = parts[0].isna().to_numpy() | ~((hours >= 1) & (hours <= 12)).to_numpy(dtype=bool)
    if bad.any():
        rows = np.flatnonzero(mask)[bad]
        raise DataError(
            f"{ctx.where(column)}: cannot read {sub[bad].iloc[:3].tolist()} at {ctx.at(rows)} as "
            "'YYYY-MM-DD HH-AM/PM' (hours 1-12) or ISO 8601"
        )
    pm = parts[4].str.upper().to_numpy() == "P"
    h24 = (hours.to_numpy(dtype=np.int64) % 12) + 12 * pm
    mins = parts[2].fillna("00").to_numpy(dtype=str)
    secs = parts[3].fillna("00").to_numpy(dtype=str)
    hh = np.char.zfill(h24.astype(str), 2)
    fixed = parts[0].to_numpy(dtype=str) + " " + hh + ":" + mins + ":" + secs
    out = text.copy()
    out[mask] = fixed
    if not mask.all():
        first_ampm, first_iso = int(np.flatnonzero(mask)[0]), int(np.flatnonzero(~mask)[0])
        findings.append(
            _Finding(
                "mixed_formats",
                column,
                np.flatnonzero(mask),
                f"{int(mask.sum())} of {mask.size} timestamps are written 'YYYY-MM-DD HH-AM/PM' "
                f"(e.g. {text.iloc[first_ampm]!r} at {ctx.line(first_ampm)}), the others ISO "
                f"(e.g. {text.iloc[first_iso]!r} at {ctx.line(first_iso)}); both read "
                f"({ctx.at(np.flatnonzero(mask))})",
            )
        )
    return out


def _iso(text: pd.Series, ctx: _Ctx, column: str, utc: bool) -> pd.DatetimeIndex:
    try:
        return pd.DatetimeIndex(pd.to_datetime(text, format="ISO8601", utc=utc))
    except (ValueError, TypeError, OverflowError):
        parsed = pd.to_datetime(text, format="ISO8601", utc=utc, errors="coerce")
        bad = np.flatnonzero(pd.isna(parsed))
        if bad.size == 0:  # mixed naive/aware inside the group: never here, but say so
            bad = np.arange(len(text))
        rows = text.index.to_numpy()[bad]
        raise DataError(
            f"{ctx.where(column)}: cannot parse timestamps {text.iloc[bad[:3]].tolist()} at "
            f"{ctx.at(rows)} as ISO 8601 (YYYY-MM-DD[ HH:MM[:SS]][+HH:MM]), 'YYYY-MM-DD HH-AM/PM' "
            f"or epoch numbers; if this is not the timestamp column, set "
            f"{ctx.opt('timestamp')}"
        ) from None


def _texts(
    text: pd.Series,
    timezone: str,
    earliest: pd.Timestamp,
    now: pd.Timestamp,
    ctx: _Ctx,
    column: str,
    findings: list[_Finding],
    offsets: list[str],
) -> np.ndarray:
    text = _normalise_ampm(text, ctx, column, findings)
    # '2024-01-01 00:00:00 UTC' (BigQuery, many exports): UTC written as a word
    text = text.str.replace(r"\s*(?:UTC|GMT)$", "+00:00", regex=True, case=False)
    has_off = text.str.contains(_OFFSET, regex=True).to_numpy(dtype=bool)
    ns = np.empty(len(text), dtype=np.int64)
    if has_off.any() and not has_off.all():
        naive_rows, aware_rows = np.flatnonzero(~has_off), np.flatnonzero(has_off)
        r, a = int(naive_rows[0]), int(aware_rows[0])
        findings.append(
            _Finding(
                "mixed_formats",
                column,
                naive_rows if naive_rows.size <= aware_rows.size else aware_rows,
                f"{naive_rows.size} of {len(text)} timestamps have no UTC offset (e.g. "
                f"{text.iloc[r]!r} at {ctx.line(r)}; {ctx.at(naive_rows)}), read in "
                f"{ctx.set('timezone', timezone)}; the other {aware_rows.size} carry one (e.g. "
                f"{text.iloc[a]!r} at {ctx.line(a)}; {ctx.at(aware_rows)}), converted to UTC: "
                "check that both are one clock",
            )
        )
    if has_off.any():
        aware = text[has_off]
        ns[has_off] = _ns(_iso(aware, ctx, column, utc=True))
        found = aware.str.extract(r"([Zz]|[+-]\d{2}(?::?\d{2})?)$")[0].str.upper().unique()
        offsets.extend(sorted(str(o) for o in found if o not in ("Z", "+00:00", "+0000", "+00")))
    if (~has_off).any():
        naive_text = text[~has_off]
        naive = _iso(naive_text, ctx, column, utc=False)
        if naive.tz is not None:  # pragma: no cover - guarded by the offset pattern
            naive = naive.tz_convert("UTC").tz_localize(None)
        elif timezone != "UTC":
            naive = _localize(naive, timezone, ctx, column, naive_text.index.to_numpy())
        ns[~has_off] = _ns(naive)
    _range_check(ns, text, earliest, now, ctx, column)
    return ns


def _localize(
    naive: pd.DatetimeIndex, tz: str, ctx: _Ctx, column: str, rows: np.ndarray
) -> pd.DatetimeIndex:
    """Local wall-clock times in ``tz`` to naive UTC; ambiguous hours inferred from order."""
    local = naive.tz_localize(tz, ambiguous="NaT", nonexistent="NaT")
    bad = np.flatnonzero(local.isna())
    if bad.size:
        try:  # repeated wall-clock hours at the end of summer time: their order says which
            order = np.argsort(_ns(naive), kind="stable")
            inferred = naive[order].tz_localize(tz, ambiguous="infer", nonexistent="raise")
            local = inferred[np.argsort(order, kind="stable")]
        except (ValueError, TypeError):
            raise DataError(
                f"{ctx.where(column)}: local times {naive[bad[:3]].astype(str).tolist()} at "
                f"{ctx.at(rows[bad])} do not exist or are ambiguous in {tz} (a daylight-saving "
                f"change); store UTC or offsets, or set {ctx.opt('timezone')}"
            ) from None
    return local.tz_convert("UTC").tz_localize(None)


def _parse(
    values: pd.Series,
    unit: str,
    timezone: str,
    earliest: pd.Timestamp,
    now: pd.Timestamp,
    ctx: _Ctx,
    column: str,
    findings: list[_Finding],
    offsets: list[str],
) -> np.ndarray:
    """Timestamps (raw order) as int64 ns UTC."""
    ser = pd.Series(values).reset_index(drop=True)
    if unit not in TIMESTAMP_UNITS:
        raise ConfigError(
            f"{ctx.opt('unit')}: unknown timestamp unit {unit!r}; choose one of "
            f"{', '.join(TIMESTAMP_UNITS)}"
        )
    missing = ser.isna().to_numpy()
    if missing.any():
        raise DataError(
            f"{ctx.where(column)}: {int(missing.sum())} missing timestamp(s) at "
            f"{ctx.at(np.flatnonzero(missing))}"
        )
    if ser.dtype.kind == "M":  # a datetime column (Parquet): the same rules as text timestamps
        ns = _to_utc(pd.DatetimeIndex(ser), timezone, ctx, column, offsets)
        _range_check(ns, ser, earliest, now, ctx, column)
        return ns
    if unit == "iso" and ser.dtype.kind in "iuf":  # dates written as numbers: 20200101
        whole = ser.dtype.kind in "iu" or bool((ser == np.round(ser)).all())
        ser = (ser.astype(np.int64) if whole else ser).astype(str)
    if unit != "iso":
        if ser.dtype.kind in "iuf":
            num = ser
        elif unit == "auto" and pd.to_numeric(ser.iloc[:200], errors="coerce").isna().all():
            num = None  # text (a sample of 200 rows has no number): skip the slow conversion
        else:
            num = pd.to_numeric(ser, errors="coerce")
        numeric = num is not None and bool(num.notna().all())
        if unit != "auto" and not numeric:
            bad = np.flatnonzero(num.isna().to_numpy())
            raise DataError(
                f"{ctx.where(column)}: {ctx.set('unit', unit)} but {ctx.at(bad)} hold text such "
                f"as {ser.iloc[bad[:3]].tolist()}; set {ctx.set('unit', 'auto')}"
            )
        if numeric:
            return _epochs(num, ser, unit, earliest, now, ctx, column, findings)
    fast = _plain_iso(ser, timezone, ctx, column, offsets)
    if fast is not None:
        _range_check(fast, ser, earliest, now, ctx, column)
        return fast
    text = ser.astype(str).str.strip()
    return _texts(text, timezone, earliest, now, ctx, column, findings, offsets)


def _plain_iso(
    ser: pd.Series, timezone: str, ctx: _Ctx, column: str, offsets: list[str]
) -> np.ndarray | None:
    """The fast path: one ISO 8601 layout throughout, all naive or all with one offset, parsed
    in one call of pandas' C parser. None when the column needs the general path (AM/PM
    times, mixed offsets, spaces, unparseable values), which then names the rows."""
    try:
        parsed = pd.to_datetime(ser, format="ISO8601")
    except (ValueError, TypeError, OverflowError):
        return None
    if not isinstance(parsed, pd.Series) or parsed.dtype.kind != "M":
        return None
    return _to_utc(pd.DatetimeIndex(parsed), timezone, ctx, column, offsets)


def _to_utc(
    index: pd.DatetimeIndex, timezone: str, ctx: _Ctx, column: str, offsets: list[str]
) -> np.ndarray:
    """Parsed timestamps to int64 ns UTC: tz-aware ones converted (their zone or offset other
    than UTC recorded in ``offsets``), naive ones read in ``timezone``."""
    if index.tz is None:
        if timezone != "UTC":
            index = _localize(index, timezone, ctx, column, np.arange(len(index)))
        return _ns(index)
    name = str(index.tz)
    if name not in ("UTC", "UTC+00:00", "+00:00"):
        offsets.append(name.replace("UTC", "") or name)
    return _ns(index.tz_convert("UTC").tz_localize(None))


def parse_timestamps(
    values: pd.Series | np.ndarray | Sequence,
    unit: str = "auto",
    source: str = "input",
    column: str = "timestamp",
    *,
    timezone: str = "UTC",
    earliest: str | pd.Timestamp | None = None,
    lines: np.ndarray | Sequence[int] | None = None,
    audience: Audience = "python",
) -> pd.DatetimeIndex:
    """Parse timestamps into a tz-naive UTC :class:`pandas.DatetimeIndex` named ``date``.

    Parameters
    ----------
    values : array-like
        Epoch numbers (or digit strings) or date/time strings.
    unit : {"auto", "s", "ms", "us", "ns", "iso"}
        ``"auto"`` reads numbers as seconds, milliseconds, microseconds or nanoseconds since
        1970-01-01 UTC according to *each value's* magnitude (seconds below 1e11, i.e. before
        5138; milliseconds below 1e14; microseconds below 1e17; nanoseconds above), so a column
        mixing units row by row (Binance switched from ms to us in 2025; CryptoDataDownload
        files mix s and ms) is read right, with a :class:`DataQualityWarning` naming the rows;
        strings are parsed as ISO 8601 or ``YYYY-MM-DD HH-AM/PM``. An explicit unit applies to
        every value; ``"iso"`` reads numbers such as ``20200101`` as dates.
    source, column : str
        Named in messages.
    timezone : str, default "UTC"
        Time zone of text timestamps written without an offset. Offsets are always honoured.
    earliest : str or Timestamp, optional
        Earliest plausible timestamp (default :attr:`ReadOptions.earliest`, 2009-01-03).
    lines : array-like of int, optional
        File line of each value, for messages (0-based row positions otherwise).
    audience : {"python", "config", "cli"}
        How messages spell the options (``unit='s'``, ``data.unit: s``, ``--unit s``).

    Returns
    -------
    pandas.DatetimeIndex
        tz-naive, in UTC, nanosecond resolution.

    Raises
    ------
    DataError
        Values that cannot be parsed, missing values, and timestamps before ``earliest`` or in
        the future (a wrong ``unit`` gives 1970 dates or dates after 2262: the message says
        which unit the magnitude suggests); the rows or lines are named.
    """
    defaults = ReadOptions()
    earliest_ts = pd.Timestamp(earliest if earliest is not None else defaults.earliest)
    ctx = _Ctx(source, audience, None if lines is None else np.asarray(lines, dtype=np.int64))
    findings: list[_Finding] = []
    offsets: list[str] = []
    ns = _parse(
        pd.Series(values), unit, timezone, earliest_ts, _now(), ctx, column, findings, offsets
    )
    for f in findings:
        warnings.warn(f"{ctx.where(column)}: {f.detail}", DataQualityWarning, stacklevel=2)
    return pd.DatetimeIndex(ns.astype("datetime64[ns]"), name="date")


# --------------------------------------------------------------------------------------------
# columns


def _select(
    raw: pd.DataFrame, lines: np.ndarray | None, select: Mapping[str, str], ctx: _Ctx
) -> tuple[pd.DataFrame, np.ndarray | None]:
    """Keep the rows of one series; refuse a file holding several."""
    keep = np.ones(len(raw), dtype=bool)
    by_norm = {_norm(c): c for c in raw.columns}
    for key, value in select.items():
        col = key if key in raw.columns else by_norm.get(_norm(key))
        if col is None:
            raise DataError(
                f"{ctx.source}: {ctx.opt('select')} names column {key!r}, which is not in the "
                f"file; columns are {list(raw.columns)}"
            )
        vals = raw[col].astype(str).str.strip()
        hit = (vals == str(value)).to_numpy()
        if not hit.any():
            hit = (vals.str.lower() == str(value).lower()).to_numpy()
        if not (hit & keep).any():
            present = sorted(vals[keep].unique().tolist())
            raise DataError(
                f"{ctx.source}: no row has {col}={value!r} ({ctx.opt('select')}); "
                f"column {col!r} holds {present[:20]}"
            )
        keep &= hit
    if not keep.all():
        raw = raw[keep]
        lines = None if lines is None else lines[keep]
    multi = {}
    for col in raw.columns:
        if _norm(col) in _SERIES_COLUMNS:
            counts = raw[col].astype(str).value_counts()
            if len(counts) > 1:
                multi[col] = counts.index.tolist()
    if multi:
        shown = "; ".join(
            f"column {c!r} holds {len(v)} values ({', '.join(map(str, v[:8]))}"
            f"{', ...' if len(v) > 8 else ''})"
            for c, v in multi.items()
        )
        example = {c: v[0] for c, v in multi.items()}
        raise DataError(
            f"{ctx.source}: one file, several series: {shown}. riskkit never merges series: "
            f"select one with {ctx.set('select', example)}"
        )
    return raw, lines


def _map_columns(raw: pd.DataFrame, opts: ReadOptions, ctx: _Ctx) -> tuple[dict, list[str]]:
    """{target: file column} for date, OHLCV, close_time and trades; other timestamp-like
    columns (for the cross-check)."""
    columns = dict(opts.columns)
    unknown = sorted(set(columns.values()) - set(_TARGETS))
    if unknown:
        raise ConfigError(
            f"{ctx.opt('columns')} maps to {unknown}; targets must be among {list(_TARGETS)}"
        )
    missing = [c for c in columns if c not in raw.columns]
    if missing:
        raise DataError(
            f"{ctx.source}: mapped column(s) {missing} not found ({ctx.opt('columns')}); "
            f"columns are {list(raw.columns)}"
        )
    mapping = {dst: src for src, dst in columns.items()}
    if opts.timestamp is not None:
        if opts.timestamp not in raw.columns:
            raise DataError(
                f"{ctx.source}: timestamp column {opts.timestamp!r} not found "
                f"({ctx.opt('timestamp')}); columns are {list(raw.columns)}"
            )
        mapping["date"] = opts.timestamp
    used = set(mapping.values())
    for target, aliases in _ALIASES.items():
        if target in mapping:
            continue
        for col in raw.columns:
            if col not in used and _is_alias(col, aliases):
                mapping[target] = col
                used.add(col)
                break
    if "volume" not in mapping:
        # CryptoDataDownload: 'Volume BTC' and 'Volume USDT'; the base asset's is the volume
        cands = [
            c
            for c in raw.columns
            if c not in used
            and (_norm(c).startswith("volume_") or _norm(c).endswith("_volume"))
            and not _norm(c).startswith(("quote", "taker"))
        ]
        if cands:
            base = None
            for c in raw.columns:
                if _norm(c) in ("symbol", "pair", "ticker") and len(raw):
                    base = _norm(str(raw[c].iloc[0]).replace("/", " ").split()[0])
            pick = next((c for c in cands if base and _norm(c).endswith(base)), cands[0])
            mapping["volume"] = pick
            used.add(pick)
            if len(cands) > 1:
                logger.info(
                    "%s: volume read from column %r (others: %s)",
                    ctx.source,
                    pick,
                    [c for c in cands if c != pick],
                )
    others = [c for c in raw.columns if c not in used and _is_alias(c, _TIME_ALIASES)]
    return mapping, others


def _numbers(raw: pd.DataFrame, col: str, ctx: _Ctx) -> np.ndarray:
    values = raw[col]
    if values.dtype.kind in "iuf":
        return values.to_numpy(dtype=float)
    num = pd.to_numeric(values, errors="coerce")
    bad = (num.isna() & values.notna()).to_numpy()
    if bad.any():
        rows = np.flatnonzero(bad)
        shown = values.iloc[rows[:3]].astype(str).str.strip()
        hint = ""
        if shown.str.fullmatch(r"[-+]?\d{1,3}(?:,\d{3})+(?:\.\d+)?").all():
            hint = f"; numbers with a thousands separator: set {ctx.set('thousands', ',')}"
        elif shown.str.fullmatch(r"[-+]?[\d.]*\d,\d+").all():
            hint = f"; numbers with a decimal comma: set {ctx.set('decimal', ',')}"
        raise DataError(
            f"{ctx.where(col)}: non-numeric values {values.iloc[rows[:3]].tolist()} at "
            f"{ctx.at(rows)}{hint}"
        )
    return num.to_numpy(dtype=float)


# --------------------------------------------------------------------------------------------
# from a raw table to the tidy frame


def _tidy(
    raw: pd.DataFrame,
    lines: np.ndarray | None,
    opts: ReadOptions,
    source: str,
    audience: Audience,
    saved_at: pd.Timestamp | None = None,
) -> _Read:
    ctx = _Ctx(source, audience, lines)
    if not isinstance(raw, pd.DataFrame):
        raise DataError(f"{source}: expected a DataFrame, got {type(raw).__name__}")
    if raw.empty:
        raise DataError(f"{source}: no rows")
    raw, lines = _select(raw, lines, opts.select, ctx)
    ctx.lines = lines
    mapping, others = _map_columns(raw, opts, ctx)
    if "close" not in mapping:
        fix = _sep_hint(raw, opts, ctx) or (
            f"Name it close/price or set {ctx.set('columns', {'<your column>': 'close'})}"
        )
        raise DataError(f"{source}: no close price column; columns are {list(raw.columns)}. {fix}")
    earliest = pd.Timestamp(opts.earliest)
    now = _now()
    findings: list[_Finding] = []
    offsets: list[str] = []
    messages: list[str] = []
    if "date" in mapping:
        tcol = str(mapping["date"])
        ns = _parse(
            raw[mapping["date"]],
            opts.unit,
            opts.timezone,
            earliest,
            now,
            ctx,
            tcol,
            findings,
            offsets,
        )
        _cross_check(raw, ns, tcol, others, opts, earliest, now, ctx, findings)
    elif isinstance(raw.index, pd.DatetimeIndex):
        tcol = "index"
        ns = _to_utc(raw.index, opts.timezone, ctx, tcol, offsets)
        _range_check(ns, pd.Series(raw.index), earliest, now, ctx, tcol)
    else:
        raise DataError(
            f"{source}: no timestamp column; columns are {list(raw.columns)}. Name it with "
            f"{ctx.set('timestamp', '<column name>')}"
        )
    out = {c: _numbers(raw, mapping[c], ctx) for c in OHLCV_COLUMNS if c in mapping}
    close_time = None
    if "close_time" in mapping:
        try:
            close_time = _parse(
                raw[mapping["close_time"]],
                "auto",
                opts.timezone,
                earliest,
                now + pd.Timedelta("400D"),
                ctx,
                str(mapping["close_time"]),
                [],
                [],
            )
        except DataError as exc:
            messages.append(f"close_time not used: {exc}")
    # time order
    order = None
    if not (ns[1:] >= ns[:-1]).all():
        order = np.argsort(ns, kind="stable")
        back = np.flatnonzero(ns[1:] < ns[:-1]) + 1
        if back.size >= 0.9 * (len(ns) - 1):
            what = "rows are not in time order: descending (newest first)"
        else:
            what = (
                f"rows are not in time order: {back.size} row(s) earlier than the row before "
                f"(first at {ctx.line(back[0])})"
            )
        findings.append(_Finding("reordered", tcol, back, f"{what}; sorted by time on reading"))
    if order is not None:
        ns = ns[order]
        out = {k: v[order] for k, v in out.items()}
        lines = None if lines is None else lines[order]
        close_time = None if close_time is None else close_time[order]
        inverse = np.empty_like(order)
        inverse[order] = np.arange(order.size)
    else:
        inverse = None
    index = pd.DatetimeIndex(ns.astype("datetime64[ns]"), name="date")
    frame = pd.DataFrame(out, index=index)
    tables = []
    for f in findings:
        rows = np.sort(f.rows if inverse is None else inverse[f.rows])
        if rows.size == 0:
            continue
        tables.append(
            _table(
                f.check,
                f.column,
                np.array([ns[rows[0]]]),
                np.array([ns[rows[-1]]]),
                [rows.size],
                [tuple(rows.tolist())],
                [f.detail],
            )
        )
        messages.append(f"{ctx.where(f.column)}: {f.detail}")
    return _Read(frame, lines, close_time, saved_at, tables, messages, offsets, tcol)


def _cross_check(
    raw: pd.DataFrame,
    ns: np.ndarray,
    tcol: str,
    others: list[str],
    opts: ReadOptions,
    earliest: pd.Timestamp,
    now: pd.Timestamp,
    ctx: _Ctx,
    findings: list[_Finding],
) -> None:
    """A second timestamp column of the other kind (text beside epoch numbers, as in
    CryptoDataDownload's ``unix`` and ``date``) must tell the same time."""
    numeric = raw[tcol].dtype.kind in "iuf"
    for other in others:
        if (raw[other].dtype.kind in "iuf") == numeric:
            continue
        sub: list[_Finding] = []
        try:
            other_ns = _parse(
                raw[other], "auto", opts.timezone, earliest, now, ctx, str(other), sub, []
            )
        except DataError as exc:
            findings.append(
                _Finding(
                    "timestamp_mismatch",
                    str(other),
                    np.arange(len(ns)),
                    f"column {other!r} (not used; timestamps from {tcol!r}) is unreadable: {exc}",
                )
            )
            return
        findings.extend(sub)
        bad = np.flatnonzero(other_ns != ns)
        if bad.size:
            r = int(bad[0])
            findings.append(
                _Finding(
                    "timestamp_mismatch",
                    str(other),
                    bad,
                    f"column {other!r} disagrees with {tcol!r} (used) at {bad.size} row(s) "
                    f"({ctx.at(bad)}), e.g. {_fmt_many(other_ns[[r]])[0]} vs "
                    f"{_fmt_many(ns[[r]])[0]} at {ctx.line(r)}",
                )
            )
        return


# --------------------------------------------------------------------------------------------
# files


def _head(path: Path, n: int = 40) -> list[str]:
    """The first ``n`` lines of a text file (plain, .gz or a .zip holding one CSV)."""
    name = path.name.lower()
    if name.endswith(".gz"):
        handle = _io.TextIOWrapper(gzip.open(path, "rb"), encoding="utf-8-sig", errors="replace")
    elif name.endswith(".zip"):
        zf = zipfile.ZipFile(path)
        members = [m for m in zf.namelist() if not m.endswith("/")]
        if len(members) != 1:
            raise DataError(f"{path}: expected one file inside the zip, found {members}")
        handle = _io.TextIOWrapper(zf.open(members[0]), encoding="utf-8-sig", errors="replace")
    else:
        handle = open(path, encoding="utf-8-sig", errors="replace", newline="")
    with handle:
        out = []
        for line in handle:
            out.append(line.rstrip("\r\n"))
            if len(out) >= n:
                break
    return out


def _is_number(text: str) -> bool:
    try:
        float(text.strip().strip('"'))
    except ValueError:
        return False
    return True


def _sep_hint(raw: pd.DataFrame, opts: ReadOptions, ctx: _Ctx) -> str:
    """``The file's header line has 0 ';' and 5 ',' ...: try --sep ,`` when the header was read
    as one column holding another separator (a wrong ``sep``), else an empty string."""
    if len(raw.columns) != 1:
        return ""
    head = str(raw.columns[0])
    counts = {s: head.count(s) for s in (",", ";", "\t", "|") if s != opts.sep}
    best = max(counts, key=lambda s: counts[s])
    if not counts[best]:
        return ""
    given = f"{head.count(opts.sep)} {opts.sep!r} and " if opts.sep else ""
    return (
        f"The file's header line has {given}{counts[best]} {best!r}, read as one column: "
        f"try {ctx.set('sep', best)}"
    )


def _fields(line: str, sep: str) -> list[str]:
    """The fields of one CSV line, quotes honoured (``"1,234.5"`` is one field)."""
    return next(csv.reader([line], delimiter=sep), []) if line.strip() else []


def _sniff(path: Path, sep: str | None) -> tuple[str, int, bool, int]:
    """(separator, banner lines, has header, fields) from the first lines of a text file.

    Fields are counted by :mod:`csv` (quotes honoured), so a quoted ``"1,234.5"`` does not make
    the data lines look wider than the header."""
    head = _head(path)
    if not head:
        raise DataError(f"{path}: empty file")
    best = None
    for cand in [sep] if sep else [",", ";", "\t", "|"]:
        counts = [max(len(_fields(line, cand)) - 1, 0) for line in head]
        for k, c in enumerate(counts):
            if c < 1 and sep is None:
                continue
            following = [counts[j] for j in range(k, min(k + 6, len(head))) if head[j].strip()]
            if all(x == c for x in following):
                if best is None or k < best[1] or (k == best[1] and c > best[3]):
                    best = (cand, k, c)
                break
    if best is None:
        return sep or ",", 0, True, 1
    cand, skip, c = best
    fields = _fields(head[skip], cand)
    header = not all(_is_number(f) for f in fields if f.strip())
    return cand, skip, header, c + 1


#: the start of the example of a ``names`` setting in error messages
_NAMES_EXAMPLE = ("time", "open", "high", "low", "close", "volume")


def _read_raw(
    path: Path,
    opts: ReadOptions,
    read_kwargs: Mapping[str, Any] | None = None,
    headerless: tuple[Sequence[str], str] = (
        KLINE_COLUMNS,
        "a Binance kline file without header has 12",
    ),
    audience: Audience = "python",
) -> tuple[pd.DataFrame, np.ndarray | None]:
    """The raw table of a file and the file line (1-based) of each row: the one reader of
    price, kline and funding files.

    CSV (also ``.gz``, or a ``.zip`` holding one CSV) or Parquet. For a CSV the separator
    (``sep``), banner lines and header are detected; a file without header must have the columns
    ``headerless[0]`` (``headerless[1]`` says so in the error), unless ``opts.names`` names
    them. Blank lines are skipped and
    counted. Lines are None for Parquet, or when ``read_kwargs`` set ``skiprows``, ``header``
    or ``names`` (detection off).
    """
    read_kwargs = read_kwargs or {}
    if not path.exists():
        raise DataError(f"{path}: file not found")
    suffixes = "".join(path.suffixes).lower()
    lines = None
    try:
        if suffixes.endswith((".parquet", ".pq")):
            return pd.read_parquet(path, **read_kwargs), None
        if not suffixes.endswith((".csv", ".csv.gz", ".txt", ".csv.zip", ".zip", ".gz")):
            raise DataError(f"{path}: unknown file type {suffixes!r}; use .csv or .parquet")
        custom = {"skiprows", "header", "names"} & set(read_kwargs)
        kwargs = {"decimal": opts.decimal, "thousands": opts.thousands, **read_kwargs}
        banner, header_lines = 0, 0
        if not custom:
            sep, banner, header, n_fields = _sniff(path, opts.sep)
            kwargs.update(sep=sep, skiprows=banner)
            if header and opts.names:
                raise DataError(
                    f"{path}: line {banner + 1} is a header line, but "
                    f"{ReadOptions.setting('names', opts.names, audience)} names the columns of a "
                    "file without one: leave it out (map column names with "
                    f"{ReadOptions.setting('columns', {'Last': 'close'}, audience)})"
                )
            if header:
                header_lines = 1
            else:
                names, layout = headerless
                given = [n.strip() for n in opts.names.split(",")] if opts.names else None
                if given is not None and (
                    len(given) != n_fields or len(set(given)) != len(given) or not all(given)
                ):
                    raise DataError(
                        f"{path}: the file has {n_fields} columns and no header line; "
                        f"{ReadOptions.setting('names', opts.names, audience)} gives "
                        f"{len(given)} name(s): give one distinct name per column, in file order"
                    )
                if given is None and n_fields != len(names):
                    example = ",".join(
                        [*_NAMES_EXAMPLE, *(f"column{i + 1}" for i in range(6, n_fields))][
                            :n_fields
                        ]
                    )
                    raise DataError(
                        f"{path}: line {banner + 1} holds numbers, not column names, and the "
                        f"file has {n_fields} columns ({layout}): add a header line naming the "
                        f"columns, or name them in file order with "
                        f"{ReadOptions.setting('names', example, audience)}"
                    )
                names = given or names
                kwargs.update(header=None, names=list(names))
        elif opts.sep:
            kwargs.setdefault("sep", opts.sep)
        raw = pd.read_csv(path, skip_blank_lines=False, **kwargs)
    except DataError:
        raise
    except Exception as exc:  # any reader failure (parser, pyarrow, encoding) is a data problem
        raise DataError(f"{path}: cannot read ({type(exc).__name__}: {exc})") from exc
    if not custom:
        lines = np.arange(len(raw), dtype=np.int64) + banner + header_lines + 1
        blank = raw.isna().all(axis=1).to_numpy()
        if blank.any():
            raw = raw[~blank]
            lines = lines[~blank]
        if banner:
            logger.info("%s: skipped %d banner line(s) before the header", path, banner)
    return raw, lines


def _read_file(
    path: PathLike, opts: ReadOptions, audience: Audience, read_kwargs: Mapping[str, Any]
) -> _Read:
    path = Path(path)
    raw, lines = _read_raw(path, opts, read_kwargs, audience=audience)
    saved_at = pd.Timestamp(path.stat().st_mtime, unit="s")
    read = _tidy(raw, lines, opts, str(path), audience, saved_at)
    _offset_warning(read, opts, str(path), audience)
    return read


def _offset_warning(read: _Read, opts: ReadOptions, source: str, audience: Audience) -> None:
    """Offsets converted to UTC that leave daily bars off the day boundary: say so."""
    if not read.offsets or len(read.frame) < 2:
        return
    step = opts.step or infer_freq(read.frame.index)
    if step is None or pd.Timedelta("1D") % step != pd.Timedelta(0):
        return
    boundary = opts.boundary
    ts = _ns(read.frame.index)
    s = step.value
    phase = (ts - boundary.value) % s
    tol = jitter_tolerance(step).value
    off = (phase > tol) & (phase < s - tol)
    if off.mean() <= 0.5:
        return
    opens = _phase_text(int((boundary.value + np.median(phase)) % pd.Timedelta("1D").value))
    ctx = _Ctx(source, audience)
    msg = (
        f"{ctx.where(read.time_column)}: timestamps carry UTC offset(s) "
        f"{', '.join(read.offsets[:4])} and were converted to UTC: the {interval_label(step)} bars "
        f"now open at {opens} UTC, not at the day boundary {_phase_text(boundary.value)} UTC "
        f"(e.g. {_fmt(read.frame.index[0])}). They are not shifted: if the venue's day starts "
        f"at {opens} UTC, set {ctx.set('day_boundary', opens)}; otherwise fix the offsets."
    )
    read.messages.append(msg)


def _options(
    options: ReadOptions | Mapping[str, Any] | None,
    kwargs: Mapping[str, Any],
    freq: str | pd.Timedelta | None,
) -> ReadOptions:
    if options is None:
        opts = ReadOptions()
    elif isinstance(options, ReadOptions):
        opts = options
    elif isinstance(options, Mapping):
        opts = ReadOptions.model_validate(dict(options))
    else:
        raise ConfigError(
            f"options must be a ReadOptions or a mapping of read options, got "
            f"{type(options).__name__}"
        )
    unknown = sorted(set(kwargs) - set(ReadOptions.model_fields))
    if unknown:
        raise ConfigError(
            f"unknown read option(s) {unknown}; read options are "
            f"{list(ReadOptions.model_fields)}; pass arguments of the pandas reader as "
            "read_kwargs={...}"
        )
    changes = {k: v for k, v in kwargs.items() if v is not None or k in ("timestamp",)}
    changes = {k: v for k, v in changes.items() if not (k == "columns" and not v)}
    if freq is not None:
        text = freq if isinstance(freq, str) else interval_label(pd.Timedelta(freq))
        declared = changes.get("interval", opts.interval)
        if declared is not None and parse_interval(declared) != parse_interval(text):
            raise ConfigError(f"freq={freq!r} and interval={declared!r} disagree; give one")
        changes["interval"] = text
    if changes.get("timestamp", opts.timestamp) is None:
        changes.pop("timestamp", None)
    return opts.replace(**changes) if changes else opts


def _check_interval(read: _Read, opts: ReadOptions, source: str, audience: Audience) -> None:
    """A file whose bars are spaced otherwise than the declared interval is an error."""
    if opts.interval is None or len(read.frame) < 3:
        return
    resample = {"cli": "--resample", "config": "data.resample"}.get(audience, "resample=")
    check_interval(
        read.frame.index,
        opts.step,
        source,
        option=ReadOptions.option_name("interval", audience),
        resample_option=resample,
    )


def _partial_policy(
    policy: str, name: str, date: pd.Timestamp, where: str, why: str, audience: Audience
) -> bool:
    """Apply the ``partial_bars`` option to a last bar found partial (``why``): raise
    (``"error"``), warn and keep it (``"keep"``: False), or warn that it is dropped (``"drop"``:
    True, the caller drops it). The one rule of every reader: files, frames and bundled data."""
    text = f"{name}: last bar {_fmt(date)}{where} is partial"
    if policy == "error":
        raise DataError(
            f"{text}: {why}. Remove it, or set "
            f"{ReadOptions.setting('partial_bars', 'drop', audience)}"
        )
    if policy == "keep":
        kept = ReadOptions.setting("partial_bars", "keep", audience)
        warnings.warn(f"{text}; kept ({kept}): {why}", DataQualityWarning, stacklevel=4)
        return False
    warnings.warn(
        f"{text}; dropped ({ReadOptions.setting('partial_bars', 'keep', audience)} keeps it): "
        f"{why}",
        DataQualityWarning,
        stacklevel=4,
    )
    return True


# --------------------------------------------------------------------------------------------
# public readers


def tidy_prices(
    frame: pd.DataFrame,
    timestamp: str | None = None,
    columns: Mapping[str, str] | None = None,
    unit: str = "auto",
    source: str = "frame",
    *,
    options: ReadOptions | Mapping[str, Any] | None = None,
    audience: Audience = "python",
) -> pd.DataFrame:
    """Turn a raw table into the tidy price frame (``date`` index, OHLCV float columns, sorted).

    Parameters
    ----------
    frame : pandas.DataFrame
        Raw table. The timestamp may be a column or the index.
    timestamp : str, optional
        Name of the timestamp column; detected among ``date``, ``timestamp``, ``time``,
        ``datetime``, ``open_time``, ``ts``, ``day``, ``unix`` (case-insensitive; the first in
        the file's order) when omitted. If none is found and the index is a DatetimeIndex, the
        index is used.
    columns : mapping, optional
        Explicit mapping from the file's column names to ``open``, ``high``, ``low``, ``close``,
        ``volume`` (e.g. ``{"Adj Close": "close"}``). Columns not mapped are detected by name.
    unit : str
        Timestamp unit, see :func:`parse_timestamps`.
    source : str
        Named in error messages (file name).
    options : ReadOptions or mapping, optional
        Every read option at once (``timezone``, ``earliest``, ``select``...); the three
        arguments above override it.
    audience : {"python", "config", "cli"}
        How messages spell the options.

    Returns
    -------
    pandas.DataFrame
        Columns among ``open, high, low, close, volume`` (``close`` always), float, sorted by
        date. Defects found while reading (rows out of order, mixed epoch units, mixed date
        formats) are each warned as a :class:`DataQualityWarning`.

    Raises
    ------
    DataError
        No timestamp or close column (the columns seen are listed), non-numeric prices (rows
        named), unparseable or implausible timestamps, several series in one table.
    """
    opts = _options(options, {"timestamp": timestamp, "columns": columns, "unit": unit}, None)
    read = _tidy(frame, None, opts, source, audience)
    for msg in read.messages:
        warnings.warn(msg, DataQualityWarning, stacklevel=2)
    return read.frame


def read_prices(
    path: PathLike,
    options: ReadOptions | Mapping[str, Any] | None = None,
    *,
    audience: Audience = "python",
    check: bool = True,
    freq: str | pd.Timedelta | None = None,
    read_kwargs: Mapping[str, Any] | None = None,
    **kwargs: Any,
) -> pd.DataFrame:
    """Read prices from a CSV or Parquet file into the tidy price frame.

    Parameters
    ----------
    path : str or path-like
        ``.csv``, ``.csv.gz``, ``.txt``, ``.zip`` holding one CSV (read with
        :func:`pandas.read_csv`) or ``.parquet`` / ``.pq`` (:func:`pandas.read_parquet`).
    options : ReadOptions or mapping, optional
        The read options (:class:`~riskkit.data.ReadOptions`: ``timestamp``, ``columns``,
        ``unit``, ``sep``, ``timezone``, ``day_boundary``, ``interval``, ``partial_bars``,
        ``earliest``, ``select``). Keyword arguments of the same names override it, so
        ``read_prices(f, unit="ms")`` and ``read_prices(f, ReadOptions(unit="ms"))`` are one.
    audience : {"python", "config", "cli"}
        How messages spell an option to change: ``unit='s'``, ``data.unit: s`` or ``--unit s``.
    check : bool, default True
        Run :func:`~riskkit.data.validate`, which warns :class:`DataQualityWarning` with a
        one-line summary if it finds defects. For the report itself read the file with
        :func:`~riskkit.data.read_checked`, which returns frame, report and cleaning together.
    freq : str or Timedelta, optional
        Former name of ``interval``.
    read_kwargs : mapping, optional
        Passed to the pandas reader (``encoding``, ``decimal``...). With ``skiprows``,
        ``header`` or ``names`` the banner/header detection is off and messages give 0-based
        rows instead of file lines.
    **kwargs
        Read options (fields of :class:`~riskkit.data.ReadOptions`).

    Returns
    -------
    pandas.DataFrame
        Index ``date`` (tz-naive UTC, nanoseconds), float columns among ``open, high, low,
        close, volume``, sorted by time, without ``attrs``. A partial last bar is dropped
        (``partial_bars="drop"``, with a warning) or kept (``"keep"``); duplicates and other
        defects are kept: clean them with the explicit functions of :mod:`riskkit.data`.

    Raises
    ------
    DataError
        File missing or unreadable, no close or timestamp column, non-numeric prices,
        unparseable or implausible timestamps (before ``earliest``, in the future), a file of
        several series without ``select``, bars spaced otherwise than a declared ``interval``,
        a partial last bar with ``partial_bars="error"``. The message names the file, column,
        file line and the option to change.
    ConfigError
        An unknown or invalid option.

    Examples
    --------
    >>> prices = read_prices("btc_1h.csv", columns={"Last": "close"}, interval="1h")  # doctest: +SKIP
    >>> cdd = read_prices("Binance_BTCUSDT_1h.csv", timezone="UTC")  # doctest: +SKIP
    """
    from riskkit.data.cleaning import _partial_row

    opts = _options(options, kwargs, freq)
    read = _read_file(path, opts, audience, read_kwargs or {})
    _check_interval(read, opts, str(path), audience)
    for msg in read.messages:
        warnings.warn(msg, DataQualityWarning, stacklevel=2)
    frame = read.frame
    row, why = _partial_row(frame, opts.step, read.close_time, read.saved_at)
    if row is not None and why is not None:
        where = "" if read.lines is None else f" (line {read.lines[row]})"
        name = Path(path).name
        if _partial_policy(opts.partial_bars, name, frame.index[row], where, why, audience):
            logger.info("%s: dropped the partial last bar %s", name, _fmt(frame.index[row]))
            frame = frame.iloc[np.arange(len(frame)) != row]
    if check:
        lines = read.lines
        if lines is not None and len(lines) != len(frame):
            lines = np.delete(lines, row)  # the partial bar was dropped
        report = validate(
            frame,
            freq=opts.interval,
            name=Path(path).name,
            day_boundary=opts.day_boundary,
            lines=lines,
            warn=False,
            audience=audience,
        )
        if not report.ok:
            warnings.warn(
                f"{Path(path).name}: {report.summary()} (see riskkit.data.read_checked)",
                DataQualityWarning,
                stacklevel=2,
            )
    return frame


def _read_for_check(
    path: PathLike,
    options: ReadOptions | Mapping[str, Any] | None,
    kwargs: Mapping[str, Any],
    freq: str | pd.Timedelta | None,
    audience: Audience,
    read_kwargs: Mapping[str, Any] | None,
) -> tuple[_Read, ReadOptions]:
    """Read a file for :func:`~riskkit.data.read_checked` (no warning: the report says it)."""
    opts = _options(options, kwargs, freq)
    read = _read_file(path, opts, audience, read_kwargs or {})
    _check_interval(read, opts, str(path), audience)
    return read, opts
