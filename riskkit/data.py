"""Read user price files, check them for defects, and clean them with explicit, logged steps.

The tidy price frame used throughout riskkit has a tz-naive :class:`pandas.DatetimeIndex` named
``date`` (understood as UTC; a bar is labelled by its *opening* time) and float columns ``open``,
``high``, ``low``, ``close``, ``volume`` (``close`` alone is enough).

Three layers, each explicit:

* :func:`read_prices` reads CSV or Parquet, maps columns, parses timestamps (seconds,
  milliseconds, microseconds, nanoseconds or ISO strings), sorts, and raises :class:`DataError`
  for unusable input;
* :func:`validate` reports every defect it finds (one row per defect, with dates) and warns
  :class:`DataQualityWarning` with a short summary; it never changes the data;
* the cleaning functions (:func:`drop_duplicate_timestamps`, :func:`drop_nonpositive_prices`,
  :func:`drop_missing_prices`, :func:`drop_inconsistent_bars`, :func:`mask_stale_runs`,
  :func:`mask_bad_ticks`, :func:`mark_gaps`, and the pipeline :func:`clean`) each return the new
  frame *and* a table of what they changed, and log a one-line summary to the ``riskkit.data``
  logger. Nothing is patched silently.
"""

from __future__ import annotations

import logging
import os
import warnings
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Literal

import numpy as np
import pandas as pd

from riskkit.exceptions import ConfigError, DataError, DataQualityWarning

__all__ = [
    "OHLCV_COLUMNS",
    "PRICE_COLUMNS",
    "CHECKS",
    "ValidationReport",
    "read_prices",
    "parse_timestamps",
    "tidy_prices",
    "validate",
    "sort_by_time",
    "drop_duplicate_timestamps",
    "drop_nonpositive_prices",
    "drop_missing_prices",
    "drop_inconsistent_bars",
    "mask_stale_runs",
    "mask_bad_ticks",
    "mark_gaps",
    "clean",
    "CHANGE_COLUMNS",
]

logger = logging.getLogger(__name__)

OHLCV_COLUMNS: tuple[str, ...] = ("open", "high", "low", "close", "volume")
PRICE_COLUMNS: tuple[str, ...] = ("open", "high", "low", "close")

#: defect types reported by :func:`validate`, with their severity
CHECKS: dict[str, str] = {
    "unsorted": "error",
    "duplicate": "error",
    "missing_price": "error",
    "non_positive_price": "error",
    "high_below_low": "error",
    "open_outside_range": "warning",
    "close_outside_range": "error",
    "gap": "warning",
    "stale": "warning",
    "bad_tick": "warning",
}

ISSUE_COLUMNS = ["check", "severity", "column", "start", "end", "n_bars", "rows", "detail"]
#: columns of the change tables returned by the cleaning functions
CHANGE_COLUMNS = ["step", "date", "action", "detail"]

# Column names recognised without an explicit mapping (lower-cased, spaces -> underscores).
_ALIASES: dict[str, tuple[str, ...]] = {
    "date": ("date", "timestamp", "time", "datetime", "open_time", "ts", "day"),
    "open": ("open", "o"),
    "high": ("high", "h"),
    "low": ("low", "l"),
    "close": ("close", "c", "price", "last", "close_price"),
    "volume": ("volume", "v", "vol"),
}

# Numeric epoch timestamps: the unit is the one whose range covers every value. Bands are the
# timestamps of 1973-03-03 .. 5138-11-16 expressed in each unit; they do not overlap, so a
# column in one band has one reading; a column spanning two bands is ambiguous.
_EPOCH_BANDS: tuple[tuple[str, float, float], ...] = (
    ("s", 1e8, 1e11),
    ("ms", 1e11, 1e14),
    ("us", 1e14, 1e17),
    ("ns", 1e17, 1e20),
)

PathLike = str | os.PathLike[str]


# --------------------------------------------------------------------------------------------
# report object
# --------------------------------------------------------------------------------------------
class ValidationReport:
    """Defects found by :func:`validate`: one row per defect.

    Attributes
    ----------
    issues : pandas.DataFrame
        Columns ``check`` (see :data:`CHECKS`), ``severity`` (``"error"``: the value cannot be
        used as it is; ``"warning"``: suspicious), ``column``, ``start`` and ``end`` (dates of the
        first and last bar concerned; for a gap, the last bar before and the first bar after it),
        ``n_bars`` (bars affected; for a gap, the number of missing bars), ``rows`` (positional
        row numbers in the frame validated), ``detail`` (human-readable).
    name : str
        What was validated (file name or label).
    n_rows : int
        Number of rows validated.
    freq : pandas.Timedelta or None
        Bar interval used for the gap check.

    Notes
    -----
    The report behaves like its ``issues`` DataFrame for ``len``, ``[]``, ``iterrows`` and
    display; :meth:`counts` gives the number of defects per check.
    """

    def __init__(
        self, issues: pd.DataFrame, name: str, n_rows: int, freq: pd.Timedelta | None
    ) -> None:
        self.issues = issues.reset_index(drop=True)
        self.name = name
        self.n_rows = n_rows
        self.freq = freq

    def __len__(self) -> int:
        return len(self.issues)

    def __getitem__(self, key: object) -> pd.Series | pd.DataFrame:
        return self.issues[key]

    def __getattr__(self, attr: str) -> object:
        # DataFrame-like access (iterrows, loc, shape...) to the issues table
        if attr == "issues":  # not yet set: avoid infinite recursion while unpickling
            raise AttributeError(attr)
        return getattr(self.issues, attr)

    @property
    def ok(self) -> bool:
        """True when no defect of any kind was found."""
        return self.issues.empty

    @property
    def has_errors(self) -> bool:
        """True when at least one defect of severity ``"error"`` was found."""
        return bool((self.issues["severity"] == "error").any())

    def counts(self) -> pd.Series:
        """Number of defects per check, every check listed (zeros included), in :data:`CHECKS` order."""
        counts = self.issues["check"].value_counts()
        return pd.Series(
            [int(counts.get(c, 0)) for c in CHECKS], index=pd.Index(list(CHECKS), name="check")
        ).rename("defects")

    def of(self, check: str) -> pd.DataFrame:
        """The defects of one type."""
        if check not in CHECKS:
            raise ConfigError(f"unknown check {check!r}; known: {list(CHECKS)}")
        return self.issues[self.issues["check"] == check]

    def dates(self, check: str) -> pd.DatetimeIndex:
        """Start dates of the defects of one type."""
        return pd.DatetimeIndex(self.of(check)["start"], name="date")

    def summary(self) -> str:
        """One line: how many defects of each type, e.g. ``'2 non_positive_price, 12 gap'``."""
        counts = self.counts()
        parts = [f"{n} {c}" for c, n in counts.items() if n]
        return ", ".join(parts) if parts else "no defects"

    def to_frame(self) -> pd.DataFrame:
        """A copy of the issues table."""
        return self.issues.copy()

    def __repr__(self) -> str:
        head = f"ValidationReport({self.name!r}: {self.n_rows} rows, {self.summary()})"
        if self.issues.empty:
            return head
        return head + "\n" + self.issues.drop(columns="rows").to_string(max_rows=30)

    def _repr_html_(self) -> str:
        head = f"<p><b>{self.name}</b>: {self.n_rows} rows, {self.summary()}</p>"
        return head + self.issues.drop(columns="rows").to_html(max_rows=30)


# --------------------------------------------------------------------------------------------
# reading
# --------------------------------------------------------------------------------------------
def _norm(name: object) -> str:
    return str(name).strip().lower().replace(" ", "_")


def parse_timestamps(
    values: pd.Series | np.ndarray | Sequence,
    unit: Literal["auto", "s", "ms", "us", "ns", "iso"] = "auto",
    source: str = "input",
    column: str = "timestamp",
) -> pd.DatetimeIndex:
    """Parse timestamps into a tz-naive UTC :class:`pandas.DatetimeIndex` named ``date``.

    Parameters
    ----------
    values : array-like
        Epoch numbers (or digit strings) or date/time strings.
    unit : {"auto", "s", "ms", "us", "ns", "iso"}
        ``"auto"`` detects: numbers are read as seconds, milliseconds, microseconds or
        nanoseconds since 1970-01-01 UTC according to their magnitude (seconds between 1e8 and
        1e11, i.e. 1973 to 5138; milliseconds between 1e11 and 1e14; microseconds between 1e14
        and 1e17; nanoseconds above); strings are parsed as ISO 8601.
    source, column : str
        Named in error messages.

    Returns
    -------
    pandas.DatetimeIndex
        tz-naive, in UTC. Strings with a UTC offset are converted to UTC; strings without one
        are taken to be UTC already.

    Raises
    ------
    DataError
        Values that cannot be parsed (rows named), missing values, numbers outside every band
        (e.g. ``20200101`` written as an integer) or spanning two bands (mixed units): pass
        ``unit`` explicitly or fix the file.
    """
    ser = pd.Series(values).reset_index(drop=True)
    where = f"{source}, column {column!r}"
    if ser.isna().any():
        rows = np.flatnonzero(ser.isna().to_numpy())[:5].tolist()
        raise DataError(f"{where}: {int(ser.isna().sum())} missing timestamp(s) at rows {rows}")
    if unit not in ("auto", "s", "ms", "us", "ns", "iso"):
        raise ConfigError(f"unit must be auto, s, ms, us, ns or iso, got {unit!r}")
    numeric = pd.to_numeric(ser, errors="coerce") if unit != "iso" else None
    is_numeric = numeric is not None and numeric.notna().all()
    if unit in ("s", "ms", "us", "ns") and not is_numeric:
        bad = np.flatnonzero(numeric.isna().to_numpy())[:5].tolist()  # type: ignore[union-attr]
        raise DataError(f"{where}: unit={unit!r} but rows {bad} are not numbers")
    if is_numeric and unit != "iso":
        arr = numeric.to_numpy(dtype=float)  # type: ignore[union-attr]
        if unit == "auto":
            bands = np.full(arr.shape, -1)
            for k, (_, lo, hi) in enumerate(_EPOCH_BANDS):
                bands[(np.abs(arr) >= lo) & (np.abs(arr) < hi)] = k
            if (bands < 0).any():
                rows = np.flatnonzero(bands < 0)[:5].tolist()
                raise DataError(
                    f"{where}: numbers such as {arr[rows[0]]!r} (rows {rows}) are not epoch "
                    "seconds, milliseconds, microseconds or nanoseconds after 1973; pass "
                    "unit= explicitly or store ISO dates"
                )
            found = np.unique(bands)
            if len(found) > 1:
                units = [_EPOCH_BANDS[k][0] for k in found]
                first = {_EPOCH_BANDS[k][0]: int(np.flatnonzero(bands == k)[0]) for k in found}
                raise DataError(
                    f"{where}: epoch timestamps of mixed magnitude ({', '.join(units)}; first "
                    f"rows {first}); the unit is ambiguous: pass unit= or split the file"
                )
            unit_ = _EPOCH_BANDS[int(found[0])][0]
        else:
            unit_ = unit
        idx = pd.to_datetime(arr, unit=unit_, utc=True)
    else:
        text = ser.astype(str)
        try:
            idx = pd.to_datetime(text, format="ISO8601", utc=True)
        except (ValueError, TypeError):
            parsed = pd.to_datetime(text, format="ISO8601", utc=True, errors="coerce")
            rows = np.flatnonzero(parsed.isna().to_numpy())[:5].tolist()
            examples = [text.iloc[r] for r in rows[:3]]
            raise DataError(
                f"{where}: cannot parse timestamps {examples} at rows {rows} as ISO 8601 "
                "(YYYY-MM-DD[ HH:MM[:SS]][+HH:MM]) or epoch numbers"
            ) from None
    idx = pd.DatetimeIndex(idx).tz_convert("UTC").tz_localize(None)
    return pd.DatetimeIndex(idx, name="date")


def tidy_prices(
    frame: pd.DataFrame,
    timestamp: str | None = None,
    columns: Mapping[str, str] | None = None,
    unit: Literal["auto", "s", "ms", "us", "ns", "iso"] = "auto",
    source: str = "frame",
) -> pd.DataFrame:
    """Turn a raw table into the tidy price frame (``date`` index, OHLCV float columns, sorted).

    Parameters
    ----------
    frame : pandas.DataFrame
        Raw table. The timestamp may be a column or the index.
    timestamp : str, optional
        Name of the timestamp column; detected among ``date``, ``timestamp``, ``time``,
        ``datetime``, ``open_time``, ``ts``, ``day`` (case-insensitive) when omitted. If none
        is found and the index is a DatetimeIndex, the index is used.
    columns : mapping, optional
        Explicit mapping from the file's column names to ``open``, ``high``, ``low``, ``close``,
        ``volume`` (e.g. ``{"Adj Close": "close"}``). Columns not mapped are detected by name.
    unit : str
        Timestamp unit, see :func:`parse_timestamps`.
    source : str
        Named in error messages (file name).

    Returns
    -------
    pandas.DataFrame
        Columns among ``open, high, low, close, volume`` (``close`` always), float, sorted by
        date. Rows found out of time order are sorted, and a :class:`DataQualityWarning` says so.

    Raises
    ------
    DataError
        No timestamp or close column (the columns seen are listed), non-numeric prices (rows
        named), unparseable timestamps.
    """
    if not isinstance(frame, pd.DataFrame):
        raise DataError(f"{source}: expected a DataFrame, got {type(frame).__name__}")
    if frame.empty:
        raise DataError(f"{source}: no rows")
    columns = dict(columns or {})
    unknown_targets = set(columns.values()) - set(OHLCV_COLUMNS) - {"date"}
    if unknown_targets:
        raise ConfigError(
            f"columns maps to {sorted(unknown_targets)}; targets must be among "
            f"{['date', *OHLCV_COLUMNS]}"
        )
    missing_sources = [c for c in columns if c not in frame.columns]
    if missing_sources:
        raise DataError(
            f"{source}: mapped column(s) {missing_sources} not found; columns are "
            f"{list(frame.columns)}"
        )
    rename = {src: dst for src, dst in columns.items()}
    if timestamp is not None:
        if timestamp not in frame.columns:
            raise DataError(
                f"{source}: timestamp column {timestamp!r} not found; columns are "
                f"{list(frame.columns)}"
            )
        rename[timestamp] = "date"
    taken = set(rename.values())
    for target, aliases in _ALIASES.items():
        if target in taken:
            continue
        for col in frame.columns:
            if col not in rename and _norm(col) in aliases:
                rename[col] = target
                taken.add(target)
                break
    raw = frame.rename(columns=rename)
    if "close" not in raw.columns:
        raise DataError(
            f"{source}: no close price column; columns are {list(frame.columns)}. "
            "Name it close/price or pass columns={'<your name>': 'close'}"
        )
    if "date" in raw.columns:
        index = parse_timestamps(
            raw["date"], unit=unit, source=source, column=_inverse(rename, "date")
        )
    elif isinstance(raw.index, pd.DatetimeIndex):
        index = raw.index
        if index.tz is not None:
            index = index.tz_convert("UTC").tz_localize(None)
        index = pd.DatetimeIndex(index, name="date")
    else:
        raise DataError(
            f"{source}: no timestamp column; columns are {list(frame.columns)}. "
            "Pass timestamp='<column name>'"
        )
    out = pd.DataFrame(index=index)
    for col in OHLCV_COLUMNS:
        if col not in raw.columns:
            continue
        values = raw[col].reset_index(drop=True)
        num = pd.to_numeric(values, errors="coerce")
        bad = num.isna() & values.notna()
        if bad.any():
            rows = np.flatnonzero(bad.to_numpy())[:5].tolist()
            examples = [values.iloc[r] for r in rows[:3]]
            raise DataError(
                f"{source}, column {_inverse(rename, col)!r}: non-numeric values {examples} at "
                f"rows {rows}"
            )
        out[col] = num.to_numpy(dtype=float)
    if not out.index.is_monotonic_increasing:
        n_back = int((np.diff(_ns(out.index)) < 0).sum())
        warnings.warn(
            f"{source}: rows were not in time order ({n_back} step(s) back in time); sorted",
            DataQualityWarning,
            stacklevel=2,
        )
        logger.info("%s: sorted %d rows into time order", source, len(out))
        out = out.sort_index(kind="mergesort")
    return out


def _inverse(rename: Mapping[str, str], target: str) -> str:
    for src, dst in rename.items():
        if dst == target:
            return str(src)
    return target


def read_prices(
    path: PathLike,
    timestamp: str | None = None,
    columns: Mapping[str, str] | None = None,
    unit: Literal["auto", "s", "ms", "us", "ns", "iso"] = "auto",
    freq: str | pd.Timedelta | None = None,
    check: bool = True,
    **read_kwargs,
) -> pd.DataFrame:
    """Read prices from a CSV or Parquet file into the tidy price frame.

    Parameters
    ----------
    path : str or path-like
        ``.csv``, ``.csv.gz``, ``.txt`` (read with :func:`pandas.read_csv`) or ``.parquet`` /
        ``.pq`` (:func:`pandas.read_parquet`).
    timestamp, columns, unit
        See :func:`tidy_prices`: timestamp column, explicit column mapping, timestamp unit.
    freq : str or Timedelta, optional
        Expected bar interval (``"1D"``, ``"1h"``) for the gap check; inferred when omitted.
    check : bool, default True
        Run :func:`validate` (which warns :class:`DataQualityWarning` if it finds defects).
        The report is stored in ``frame.attrs["validation"]``.
    **read_kwargs
        Passed to the pandas reader (``sep``, ``skiprows``...).

    Returns
    -------
    pandas.DataFrame
        Index ``date`` (tz-naive UTC), float columns among ``open, high, low, close, volume``,
        sorted by time. Duplicates and other defects are kept: clean them with the explicit
        functions of this module.

    Raises
    ------
    DataError
        File missing or unreadable, no close or timestamp column, non-numeric prices,
        unparseable or ambiguous timestamps; the message names the file, column and rows.

    Examples
    --------
    >>> prices = read_prices("btc_1h.csv", columns={"Last": "close"}, freq="1h")  # doctest: +SKIP
    """
    path = Path(path)
    if not path.exists():
        raise DataError(f"{path}: file not found")
    suffixes = "".join(path.suffixes).lower()
    try:
        if suffixes.endswith((".parquet", ".pq")):
            raw = pd.read_parquet(path, **read_kwargs)
        elif suffixes.endswith((".csv", ".csv.gz", ".txt", ".csv.zip")):
            raw = pd.read_csv(path, **read_kwargs)
        else:
            raise DataError(f"{path}: unknown file type {suffixes!r}; use .csv or .parquet")
    except DataError:
        raise
    except Exception as exc:  # any reader failure (parser, pyarrow, encoding) is a data problem
        raise DataError(f"{path}: cannot read ({type(exc).__name__}: {exc})") from exc
    frame = tidy_prices(raw, timestamp=timestamp, columns=columns, unit=unit, source=str(path))
    if check:
        frame.attrs["validation"] = validate(frame, freq=freq, name=path.name)
    return frame


# --------------------------------------------------------------------------------------------
# validation
# --------------------------------------------------------------------------------------------
def _as_frame(prices: pd.DataFrame | pd.Series, name: str) -> pd.DataFrame:
    if isinstance(prices, pd.Series):
        prices = prices.to_frame("close")
    if not isinstance(prices, pd.DataFrame):
        raise DataError(f"{name}: expected a DataFrame or Series, got {type(prices).__name__}")
    if not isinstance(prices.index, pd.DatetimeIndex):
        raise DataError(
            f"{name}: index must be a DatetimeIndex (got {type(prices.index).__name__}); "
            "read files with riskkit.data.read_prices"
        )
    if "close" not in prices.columns:
        raise DataError(f"{name}: no 'close' column; columns are {list(prices.columns)}")
    for col in OHLCV_COLUMNS:
        if col in prices.columns and not pd.api.types.is_numeric_dtype(prices[col]):
            raise DataError(f"{name}, column {col!r}: not numeric (dtype {prices[col].dtype})")
    return prices


def _issue(
    check: str,
    column: str,
    index: pd.DatetimeIndex,
    rows: Sequence[int],
    detail: str,
    n_bars: int | None = None,
    start: pd.Timestamp | None = None,
    end: pd.Timestamp | None = None,
) -> dict:
    rows = [int(r) for r in rows]
    return {
        "check": check,
        "severity": CHECKS[check],
        "column": column,
        "start": index[rows[0]] if start is None else start,
        "end": index[rows[-1]] if end is None else end,
        "n_bars": len(rows) if n_bars is None else int(n_bars),
        "rows": tuple(rows),
        "detail": detail,
    }


def _fmt(stamp: pd.Timestamp) -> str:
    """A timestamp without its time of day when that is midnight (daily bars)."""
    stamp = pd.Timestamp(stamp)
    return str(stamp.date()) if stamp == stamp.normalize() else str(stamp)


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


def infer_freq(index: pd.DatetimeIndex) -> pd.Timedelta | None:
    """Bar interval: the most common positive spacing of the timestamps (None if < 2 distinct)."""
    steps = np.diff(_ns(index.unique().sort_values()))
    steps = steps[steps > 0]
    if steps.size == 0:
        return None
    values, counts = np.unique(steps, return_counts=True)
    return pd.Timedelta(int(values[np.argmax(counts)]), unit="ns")


def robust_sigma(log_returns: pd.Series, window: int) -> pd.Series:
    """Local robust scale of returns: 1.4826 x rolling (centred) median absolute return.

    The median absolute deviation of a normal variable is 0.6745 sigma, hence 1/0.6745 = 1.4826.
    Returns are assumed centred at zero, which holds to within a small fraction of sigma for
    daily or intraday returns. A centred window follows the volatility regimes of crypto, whose
    daily volatility ranges from below 2% to above 10%.

    Parameters
    ----------
    log_returns : pandas.Series
        One-period log returns (fractions). NaN values are ignored by the median.
    window : int
        Length of the centred rolling window, in bars.

    Returns
    -------
    pandas.Series
        Robust sigma (same units as the returns), same index as ``log_returns``; NaN where the
        window holds fewer than ``window // 3`` non-missing returns.

    Notes
    -----
    The window is centred, so the value at t uses returns after t: a tool for checking data
    (:func:`validate`), not for forecasting.
    """
    return 1.4826 * log_returns.abs().rolling(window, center=True, min_periods=window // 3).median()


def validate(
    prices: pd.DataFrame | pd.Series,
    freq: str | pd.Timedelta | None = None,
    stale_run: int = 5,
    jump_sigma: float = 8.0,
    jump_window: int = 61,
    reversal: float = 0.5,
    name: str = "prices",
    warn: bool = True,
) -> ValidationReport:
    """Report every defect of a price frame, with dates; never modifies it.

    Parameters
    ----------
    prices : DataFrame or Series
        Tidy price frame (``close`` required; ``open, high, low`` checked when present) or a
        Series of closes, indexed by a DatetimeIndex, in the order it was received.
    freq : str or Timedelta, optional
        Expected bar interval; inferred as the most common spacing when omitted. A gap is a
        spacing larger than ``freq`` between consecutive distinct timestamps.
    stale_run : int, default 5
        A *stale* run is this many or more consecutive bars with an identical positive close
        (a frozen feed). Five identical daily closes of a liquid crypto asset do not happen by
        chance at the price precision exchanges report.
    jump_sigma : float, default 8
        A *bad tick* is a bar whose log return exceeds ``jump_sigma`` robust sigmas (see
        :func:`robust_sigma`) and is followed by a return of the opposite sign, also beyond
        ``jump_sigma``, that gives back at least ``reversal`` of it: an isolated spike.
    jump_window : int, default 61
        Window (bars) of the robust sigma.
    reversal : float, default 0.5
        Fraction of the jump that must be reversed on the next bar.
    name : str
        Label used in messages (file name).
    warn : bool, default True
        Warn :class:`DataQualityWarning` with a one-line summary when defects are found.

    Returns
    -------
    ValidationReport
        One row per defect; checks in :data:`CHECKS`.

    Raises
    ------
    DataError
        The frame cannot be checked at all: not a DataFrame/Series, index not a
        DatetimeIndex, no ``close`` column, non-numeric price columns, no rows.

    Notes
    -----
    The checks that need returns (stale, bad tick) use the bars with a valid positive close,
    after dropping duplicate timestamps (first kept), so one defect is not reported twice.
    """
    frame = _as_frame(prices, name)
    if frame.empty:
        raise DataError(f"{name}: no rows")
    if stale_run < 2:
        raise ConfigError(f"stale_run must be >= 2 bars, got {stale_run}")
    if not jump_sigma > 0:
        raise ConfigError(f"jump_sigma must be > 0, got {jump_sigma}")
    idx = pd.DatetimeIndex(frame.index)
    n = len(frame)
    issues: list[dict] = []

    # ordering and duplicates
    ts = _ns(idx)
    back = np.flatnonzero(np.diff(ts) < 0) + 1
    if back.size:
        issues.append(
            _issue(
                "unsorted",
                "date",
                idx,
                back,
                f"{back.size} timestamp(s) earlier than the row before (first at row "
                f"{int(back[0])})",
            )
        )
    dup_mask = idx.duplicated(keep=False)
    if dup_mask.any():
        for stamp in idx[dup_mask].unique():
            rows = np.flatnonzero(ts == pd.Timestamp(stamp).as_unit("ns").value)
            sub = frame.iloc[rows]
            differ = [c for c in sub.columns if sub[c].nunique(dropna=False) > 1]
            what = f"values differ in {differ}" if differ else "identical copies"
            issues.append(
                _issue(
                    "duplicate", "date", idx, rows, f"{len(rows)} rows for {_fmt(stamp)}: {what}"
                )
            )

    # price values
    price_cols = [c for c in PRICE_COLUMNS if c in frame.columns]
    values = frame[price_cols].to_numpy(dtype=float)
    missing = np.isnan(values)
    nonpos = ~missing & (values <= 0)
    for kind, mask in (("missing_price", missing), ("non_positive_price", nonpos)):
        for r in np.flatnonzero(mask.any(axis=1)):
            cols = [c for c, m in zip(price_cols, mask[r], strict=True) if m]
            shown = ", ".join(f"{c} {float(frame[c].iloc[r]):g}" for c in cols)
            issues.append(_issue(kind, ",".join(cols), idx, [r], shown))

    if {"high", "low"} <= set(frame.columns):
        hi, lo = frame["high"].to_numpy(float), frame["low"].to_numpy(float)
        with np.errstate(invalid="ignore"):
            for r in np.flatnonzero(hi < lo):
                issues.append(
                    _issue("high_below_low", "high,low", idx, [r], f"high {hi[r]} < low {lo[r]}")
                )
            for col, check in (("open", "open_outside_range"), ("close", "close_outside_range")):
                if col not in frame.columns:
                    continue
                v = frame[col].to_numpy(float)
                # only meaningful when the range itself is valid and positive
                ok_range = (hi >= lo) & (lo > 0)
                outside = ok_range & ((v > hi) | (v < lo)) & (v > 0)
                for r in np.flatnonzero(outside):
                    issues.append(
                        _issue(
                            check,
                            col,
                            idx,
                            [r],
                            f"{col} {v[r]} outside [low {lo[r]}, high {hi[r]}]",
                        )
                    )

    # gaps (on the distinct, sorted timestamps)
    step = pd.Timedelta(freq) if freq is not None else infer_freq(idx)
    if step is not None and step <= pd.Timedelta(0):
        raise ConfigError(f"freq must be a positive interval, got {freq!r}")
    order = np.argsort(ts, kind="mergesort")
    uniq_pos = order[~pd.Index(ts[order]).duplicated()]
    uniq = idx[uniq_pos]
    if step is not None and len(uniq) > 1:
        spacing = np.diff(_ns(uniq))
        for k in np.flatnonzero(spacing > step.value):
            n_missing = int(round(spacing[k] / step.value)) - 1
            before, after = uniq[k], uniq[k + 1]
            issues.append(
                _issue(
                    "gap",
                    "date",
                    idx,
                    [uniq_pos[k], uniq_pos[k + 1]],
                    f"{n_missing} missing bar(s) between {_fmt(before)} and {_fmt(after)}",
                    n_bars=max(n_missing, 1),
                    start=before,
                    end=after,
                )
            )

    # stale runs and bad ticks on valid closes, sorted, duplicates removed
    close = frame["close"].iloc[uniq_pos].to_numpy(float)
    valid = np.isfinite(close) & (close > 0)
    vpos = uniq_pos[valid]
    vclose = close[valid]
    if vclose.size >= stale_run:
        same = np.concatenate([[False], vclose[1:] == vclose[:-1]])
        for a, b in _runs(same):
            length = b - a + 2  # the run includes the bar before the first repeat
            if length >= stale_run:
                rows = vpos[a - 1 : b + 1]
                issues.append(
                    _issue(
                        "stale",
                        "close",
                        idx,
                        rows,
                        f"{length} consecutive bars with close {vclose[a]}",
                    )
                )
    if vclose.size >= 3:
        r = pd.Series(np.diff(np.log(vclose)))
        sig = robust_sigma(r, jump_window).to_numpy()
        rv = r.to_numpy()
        z = rv / sig
        with np.errstate(invalid="ignore"):
            spike = (
                (np.abs(z[:-1]) > jump_sigma)
                & (np.abs(z[1:]) > jump_sigma)
                & (np.sign(rv[:-1]) != np.sign(rv[1:]))
                & (np.abs(rv[1:]) >= reversal * np.abs(rv[:-1]))
            )
        for k in np.flatnonzero(spike):
            bar = vpos[k + 1]  # return k goes from close k to close k+1: the spike bar is k+1
            issues.append(
                _issue(
                    "bad_tick",
                    "close",
                    idx,
                    [bar],
                    f"log return {rv[k]:+.3f} ({z[k]:+.1f} robust sigma) then {rv[k + 1]:+.3f}",
                )
            )

    table = pd.DataFrame(issues, columns=ISSUE_COLUMNS)
    if not table.empty:
        table["_order"] = table["check"].map({c: i for i, c in enumerate(CHECKS)})
        table = table.sort_values(["_order", "start"], kind="mergesort").drop(columns="_order")
    report = ValidationReport(table, name=name, n_rows=n, freq=step)
    if warn and not report.ok:
        warnings.warn(
            f"{name}: {report.summary()} (see riskkit.data.validate)",
            DataQualityWarning,
            stacklevel=2,
        )
    return report


# --------------------------------------------------------------------------------------------
# cleaning steps: each returns (new frame, table of changes) and logs a summary
# --------------------------------------------------------------------------------------------
def _changes(step: str, dates: Sequence, action: str, details: Sequence[str]) -> pd.DataFrame:
    table = pd.DataFrame(
        {
            "step": [step] * len(dates),
            "date": pd.DatetimeIndex(list(dates)),
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
    details = [
        f"row {int(r)}: close {frame['close'].iloc[r]}"
        + (f", volume {frame['volume'].iloc[r]}" if "volume" in frame.columns else "")
        for r in dropped
    ]
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
        "mask_stale_runs": lambda f: mask_stale_runs(f, name=name),
        "mask_bad_ticks": lambda f: mask_bad_ticks(f, name=name),
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
