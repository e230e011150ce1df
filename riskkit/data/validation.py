"""Check a price frame for defects: :func:`validate` reports every one, with dates; it never
changes the data.

The report (:class:`ValidationReport`) has one row per defect; :data:`CHECKS` lists the defect
types and their severity. :func:`infer_freq` and :func:`robust_sigma` are the helpers the gap
and bad-tick checks use; :func:`find_partial_bar` says why the last bar of a file looks
unfinished; :func:`compare_intervals` checks daily closes against the last intraday close of
each day.

Every check is vectorised with numpy: the work is linear in the number of rows (a sort aside),
so a file of millions of minute bars is checked in about a second (``benchmarks/validation.py``).
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence

import numpy as np
import pandas as pd

from riskkit.bars import interval_label, jitter_tolerance
from riskkit.data._frame import (
    PRICE_COLUMNS,
    _as_frame,
    _fmt,
    _fmt_many,
    _ns,
    _rows_text,
    _runs,
    _spans,
)
from riskkit.data.options import Audience, ReadOptions, parse_day_boundary, parse_interval
from riskkit.exceptions import ConfigError, DataError, DataQualityWarning

__all__ = [
    "CHECKS",
    "ISSUE_COLUMNS",
    "ValidationReport",
    "validate",
    "infer_freq",
    "jitter_tolerance",
    "robust_sigma",
    "find_partial_bar",
    "compare_intervals",
]

#: defect types reported by :func:`validate` (and, for the first four, by the reader of a
#: file, :func:`~riskkit.data.read_checked`), with their severity
CHECKS: dict[str, str] = {
    # found while reading a file (resolved there; reported so that nothing is silent)
    "reordered": "warning",
    "mixed_units": "warning",
    "mixed_formats": "warning",
    "timestamp_mismatch": "warning",
    # timestamps
    "unsorted": "error",
    "duplicate": "error",
    "interval": "error",
    "off_grid": "error",
    "boundary": "warning",
    # values
    "missing_price": "error",
    "non_positive_price": "error",
    "high_below_low": "error",
    "open_outside_range": "warning",
    "close_outside_range": "error",
    # series
    "gap": "warning",
    "stale": "warning",
    "repeated_row": "warning",
    "bad_tick": "warning",
    "range_spike": "warning",
    "bogus_first_bar": "warning",
    "partial_bar": "warning",
    # two files of one market (compare_intervals)
    "cross_interval": "warning",
}

#: columns of :attr:`ValidationReport.issues`
ISSUE_COLUMNS = ["check", "severity", "column", "start", "end", "n_bars", "rows", "detail"]

_DAY = pd.Timedelta("1D").value


class ValidationReport:
    """Defects found by :func:`validate`: one row per defect.

    Attributes
    ----------
    issues : pandas.DataFrame
        Columns ``check`` (see :data:`CHECKS`), ``severity`` (``"error"``: the value cannot be
        used as it is; ``"warning"``: suspicious), ``column``, ``start`` and ``end`` (dates of the
        first and last bar concerned; for a gap, the last bar before and the first bar after it),
        ``n_bars`` (bars affected; for a gap, the number of missing bars), ``rows`` (positional
        row numbers in the frame validated), ``detail`` (human-readable; it names the file lines
        when the frame was read from a text file).
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
        with pd.option_context("display.max_colwidth", 120, "display.width", 200):
            return head + "\n" + self.issues.drop(columns="rows").to_string(max_rows=30)

    def _repr_html_(self) -> str:
        head = f"<p><b>{self.name}</b>: {self.n_rows} rows, {self.summary()}</p>"
        return head + self.issues.drop(columns="rows").to_html(max_rows=30)


# --------------------------------------------------------------------------------------------
# building the issues table (column-wise: a million defects cost a million tuples, no more)


def _table(
    check: str,
    column: str,
    start: np.ndarray,
    end: np.ndarray,
    n_bars: np.ndarray | Sequence[int],
    rows: Sequence[tuple[int, ...]],
    detail: Sequence[str],
) -> pd.DataFrame:
    k = len(detail)
    return pd.DataFrame(
        {
            "check": [check] * k,
            "severity": [CHECKS[check]] * k,
            "column": [column] * k,
            "start": pd.DatetimeIndex(np.asarray(start, dtype=np.int64).astype("datetime64[ns]")),
            "end": pd.DatetimeIndex(np.asarray(end, dtype=np.int64).astype("datetime64[ns]")),
            "n_bars": np.asarray(n_bars, dtype=np.int64),
            "rows": list(rows),
            "detail": list(detail),
        },
        columns=ISSUE_COLUMNS,
    )


def _one(
    check: str,
    column: str,
    ts: np.ndarray,
    rows: Sequence[int] | np.ndarray,
    detail: str,
    n_bars: int | None = None,
    start: int | None = None,
    end: int | None = None,
) -> pd.DataFrame:
    """A table of one issue; ``ts`` are the int64-ns timestamps of the frame validated."""
    rows = [int(r) for r in rows]
    return _table(
        check,
        column,
        np.array([ts[rows[0]] if start is None else start]),
        np.array([ts[rows[-1]] if end is None else end]),
        [len(rows) if n_bars is None else n_bars],
        [tuple(rows)],
        [detail],
    )


class _Where:
    """How to name rows in a detail: file lines when known, else 0-based positions."""

    def __init__(self, lines: np.ndarray | None) -> None:
        self.lines = None if lines is None else np.asarray(lines, dtype=np.int64)

    def __call__(self, rows: np.ndarray | Sequence[int]) -> str:
        return _rows_text(rows, self.lines)

    def suffix(self, rows: np.ndarray | Sequence[int]) -> str:
        return "" if self.lines is None else f" ({self(rows)})"

    def many(self, groups: Sequence[np.ndarray]) -> list[str]:
        """`` (line N)`` / `` (lines N, M)`` for many small groups (fast path)."""
        if self.lines is None:
            return [""] * len(groups)
        out = []
        for g in groups:
            ln = self.lines[g]
            if ln.size == 1:
                out.append(f" (line {ln[0]})")
            elif ln.size <= 4:
                out.append(f" (lines {', '.join(map(str, ln.tolist()))})")
            else:
                out.append(f" ({_spans(ln, 'line')})")
        return out


# --------------------------------------------------------------------------------------------
# helpers


def infer_freq(index: pd.DatetimeIndex) -> pd.Timedelta | None:
    """Bar interval: the most common positive spacing of the timestamps (None if < 2 distinct).

    Spacings are rounded to about a thousandth of their median (a power of ten, at least one
    millisecond) before the most common one is taken, so timestamps with millisecond jitter
    (``08:00:00`` then ``16:00:00.001``) give the interval they are meant to have (8 hours).
    """
    ts = _ns(index)
    if ts.size >= 2 and not (ts[1:] >= ts[:-1]).all():
        ts = np.sort(ts)
    return _infer_step(ts)


def _infer_step(ts: np.ndarray) -> pd.Timedelta | None:
    """:func:`infer_freq` of sorted int64-ns timestamps."""
    if ts.size < 2:
        return None
    steps = np.diff(ts)
    steps = steps[steps > 0]
    if steps.size == 0:
        return None
    # the median of an evenly spaced sample of at most ~10,000 spacings, then one vectorised
    # pass to confirm that most spacings equal it (the usual case): linear, no full sort
    sample = steps[:: max(1, steps.size // 10_000)]
    med = float(np.median(sample))
    res = int(max(10 ** np.floor(np.log10(max(med / 1000, 1.0))), 1e6)) if med >= 1e6 else 1
    guess = int(np.round(med / res)) * res
    if guess > 0 and (np.abs(steps - guess) * 2 <= res).mean() > 0.5:
        return pd.Timedelta(guess, unit="ns")
    rounded = np.round(steps / res).astype(np.int64) * res
    values, counts = np.unique(rounded, return_counts=True)
    return pd.Timedelta(int(values[np.argmax(counts)]), unit="ns")


def robust_sigma(log_returns: pd.Series, window: int) -> pd.Series:
    """Local robust scale of returns: 1.4826 x rolling (centred) median of the non-zero absolute
    returns, never zero.

    The median absolute deviation of a normal variable is 0.6745 sigma, hence 1/0.6745 = 1.4826.
    Returns are assumed centred at zero, which holds to within a small fraction of sigma for
    daily or intraday returns. A centred window follows the volatility regimes of crypto, whose
    daily volatility ranges from below 2% to above 10%.

    Parameters
    ----------
    log_returns : pandas.Series
        One-period log returns (fractions). NaN values are ignored.
    window : int
        Length of the centred rolling window, in bars.

    Returns
    -------
    pandas.Series
        Robust sigma (same units as the returns), same index as ``log_returns``, strictly
        positive; NaN only when the series has no non-zero return at all.

    Notes
    -----
    **Why non-zero returns.** The plain rolling median of ``|r|`` is zero wherever more than half
    the bars of the window did not move (an illiquid pair, a quiet night of intraday bars, a
    frozen feed): every move is then "infinitely many sigmas" and a 0.3% tick reads as a bad
    tick (on a gap-free Bitstamp 2-hour file, 122 of 141 flags had a zero scale). The scale here
    is the typical size of a move *when the price moves*: zero returns are left out of the
    median. For a liquid series (no zero return) it is the usual MAD estimate. Where the window
    holds fewer than ``window // 3`` non-zero returns, the median over a window ten times longer
    is used, and failing that the median over the whole series, so the scale exists wherever
    the series ever moved. Mean absolute deviation was rejected as the fallback: in a window of
    60 zeros and one 0.3% move it is 0.005%, which makes that move a 60-sigma event again; a
    tick-size floor was rejected because the tick is not known from a price file.

    The window is centred, so the value at t uses returns after t: a tool for checking data
    (:func:`validate`), not for forecasting.
    """
    moves = log_returns.abs().where(log_returns != 0)
    need = max(window // 3, 1)
    sigma = moves.rolling(window, center=True, min_periods=need).median()
    if sigma.isna().any():
        longer = moves.rolling(10 * window, center=True, min_periods=need).median()
        sigma = sigma.fillna(longer)
        if sigma.isna().any():
            sigma = sigma.fillna(moves.median())
    return 1.4826 * sigma


def _phase_text(ns: int) -> str:
    """A phase (ns after the boundary) as HH:MM[:SS] text."""
    t = pd.Timedelta(int(ns), unit="ns")
    s = int(t.total_seconds())
    hh, mm, ss = s // 3600, s % 3600 // 60, s % 60
    return f"{hh:02d}:{mm:02d}" + (f":{ss:02d}" if ss else "")


def _interval_mismatch(
    inferred: pd.Timedelta | None, declared: pd.Timedelta, tol: pd.Timedelta
) -> bool:
    return inferred is not None and abs(inferred - declared) > tol


def find_partial_bar(
    prices: pd.DataFrame | pd.Series,
    freq: str | pd.Timedelta | None = None,
    close_time: np.ndarray | pd.Series | pd.DatetimeIndex | None = None,
    saved_at: pd.Timestamp | str | None = None,
    now: pd.Timestamp | str | None = None,
    volume_ratio: float = 0.1,
    window: int = 20,
) -> str | None:
    """Why the last bar of ``prices`` looks unfinished (still open when the data was saved).

    Parameters
    ----------
    prices : DataFrame or Series
        Sorted price frame (a ``volume`` column is used when present), indexed by bar opening
        time.
    freq : str or Timedelta, optional
        Bar interval (inferred when omitted).
    close_time : array-like, optional
        Each bar's close time as the venue wrote it (Binance klines: ``close_time`` = open +
        interval - 1 ms), aligned with the rows of ``prices``.
    saved_at : Timestamp, optional
        When the data was saved (a file's modification time), UTC.
    now : Timestamp, optional
        The current time (UTC); the clock by default.
    volume_ratio : float, default 0.1
        A last bar whose volume is below this fraction of the median volume of the ``window``
        bars before it looks partial (see Notes). A bar saved one hour into a day holds about 4%
        of a day's volume; on the bundled daily data a complete bar falls below 10% of the
        recent median on about 0.5% of days.
    window : int, default 20
        Bars in the volume median.

    Returns
    -------
    str or None
        The evidence, in words, or None when the last bar looks complete.

    Notes
    -----
    Time evidence: with a close time (the venue's own word), the bar is partial when its close
    time is earlier than the bar's scheduled end (it covers part of its interval) or later
    than ``saved_at`` (``now`` when the save time is not known); without one, when its end
    (open + interval) is later than ``saved_at``/``now``.

    ``saved_at`` is weak evidence: for a file it is the modification time, which a copy
    without ``-p``, a ``git clone``, an rsync or a CI artifact resets to the copy's time, so a
    bar still open at the real save can look finished. The volume rule is therefore always
    applied as well, with or without a close time:

    * with time evidence, a volume below ``volume_ratio`` of the median is added to it;
    * alone, it flags the bar only when its volume is below ``volume_ratio`` of the median
      *and* below that of every one of the ``window`` bars before it. Complete bars of a
      quiet stretch (minute bars at night) have quiet neighbours and are not flagged; a bar
      cut off early stands below all of them.

    Several pieces of evidence are joined.
    """
    frame = _as_frame(prices, "prices")
    if frame.empty:
        return None
    ts = _ns(frame.index)
    step = parse_interval(freq, "freq") if freq is not None else infer_freq(frame.index)
    now_ts = pd.Timestamp.now(tz="UTC").tz_localize(None) if now is None else pd.Timestamp(now)
    saved = None if saved_at is None else pd.Timestamp(saved_at)
    why = []
    last = pd.Timestamp(int(ts[-1]), unit="ns")
    seen = saved if saved is not None else now_ts
    if close_time is not None:  # the venue's own word on when the bar closes
        if isinstance(close_time, np.ndarray) and close_time.dtype.kind != "M":
            ct_all = close_time.astype(np.int64)
        else:
            ct_all = _ns(pd.DatetimeIndex(close_time))
        ct = pd.Timestamp(int(ct_all[-1]), unit="ns")
        if step is not None and ct < last + step - pd.Timedelta("1ms") - jitter_tolerance(step):
            why.append(
                f"its close_time {ct} is before the end of its {interval_label(step)} interval "
                f"({last + step}): the bar covers part of it"
            )
        if ct > seen + pd.Timedelta("1s"):
            when = "the data was saved" if saved is not None else "now"
            why.append(f"its close_time {ct} is after {when} ({seen.floor('s')})")
    elif step is not None and last + step > seen + jitter_tolerance(step):
        when = "after the data was saved" if saved is not None else "later than now"
        why.append(f"the bar ends at {last + step}, {when} ({seen.floor('s')})")
    if "volume" in frame.columns and len(frame) > 5:
        vol = frame["volume"].to_numpy(float)
        before = vol[max(0, len(vol) - 1 - window) : -1]
        before = before[np.isfinite(before)]
        med = float(np.median(before)) if before.size >= 5 else np.nan
        if np.isfinite(vol[-1]) and med > 0 and vol[-1] < volume_ratio * med:
            text = (
                f"its volume {vol[-1]:g} is {vol[-1] / med:.1%} of the median of the "
                f"{before.size} bars before it ({med:g})"
            )
            if why:
                why.append(text)
            elif vol[-1] < before.min():  # alone: below every bar of the window too
                why.append(f"{text} and below each of them (lowest {before.min():g})")
    return "; ".join(why) if why else None


# --------------------------------------------------------------------------------------------
# validate


def validate(
    prices: pd.DataFrame | pd.Series,
    freq: str | pd.Timedelta | None = None,
    stale_run: int = 5,
    jump_sigma: float = 8.0,
    jump_window: int = 61,
    reversal: float = 0.5,
    name: str = "prices",
    warn: bool = True,
    *,
    day_boundary: str | None = None,
    tolerance: str | pd.Timedelta | None = None,
    close_time: np.ndarray | pd.Series | None = None,
    saved_at: pd.Timestamp | None = None,
    now: pd.Timestamp | None = None,
    volume_ratio: float = 0.1,
    first_bar_factor: float = 2.0,
    lines: np.ndarray | Sequence[int] | None = None,
    extra: Sequence[pd.DataFrame] = (),
    audience: Audience = "python",
) -> ValidationReport:
    """Report every defect of a price frame, with dates; never modifies it.

    Parameters
    ----------
    prices : DataFrame or Series
        Tidy price frame (``close`` required; ``open, high, low`` checked when present) or a
        Series of closes, indexed by a DatetimeIndex, in the order it was received.
    freq : str or Timedelta, optional
        Declared bar interval (``"1h"``, ``"4h"``, ``"1D"``); inferred as the most common
        spacing when omitted. When the bars are spaced otherwise, the report holds one
        ``interval`` error and no gap or grid check is made. A gap is a spacing of two or more
        intervals between consecutive distinct timestamps on the grid.
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
    day_boundary : str, optional
        ``"HH:MM"`` UTC at which the venue's days (and its intraday grid) start; 00:00 when
        omitted. Bars that all open at another time of day are one ``boundary`` warning.
    tolerance : str or Timedelta, optional
        Timestamp jitter accepted on the grid (default :func:`jitter_tolerance`).
    close_time : array-like, optional
        Each row's close time as the venue wrote it, for the ``partial_bar`` check
        (:func:`find_partial_bar`).
    saved_at, now : Timestamp, optional
        When the data was saved, and the current time, for the ``partial_bar`` check.
    volume_ratio : float, default 0.1
        Volume rule of the ``partial_bar`` check (see :func:`find_partial_bar`).
    first_bar_factor : float, default 2
        A ``bogus_first_bar`` is a first bar whose open, high or close is more than this factor
        above (or whose open, low or close is more than this factor below) the median close of
        the next ten bars: a placeholder or the listing auction, not a market price.
    lines : array-like of int, optional
        File line of each row (1-based, header and banner lines counted): details then name
        lines instead of row positions.
    extra : sequence of DataFrame
        Defects found before (by the reader of a file), in the columns of
        :data:`ISSUE_COLUMNS`; merged into the report.
    audience : {"python", "config", "cli"}
        How details spell an option to change (``day_boundary='22:00'``, ``data.day_boundary:
        22:00``, ``--day-boundary 22:00``).

    Returns
    -------
    ValidationReport
        One row per defect; checks in :data:`CHECKS`.

    Raises
    ------
    DataError
        The frame cannot be checked at all: not a DataFrame/Series, index not a
        DatetimeIndex, no ``close`` column, non-numeric price columns, no rows.
    ConfigError
        A bad parameter (``stale_run < 2``, ``jump_sigma <= 0``, an unreadable ``freq`` or
        ``day_boundary``).

    Notes
    -----
    The checks that need returns (stale, repeated row, bad tick, bogus first bar, partial bar)
    use the bars with a valid positive close, after dropping duplicate timestamps (first kept)
    and rows off the grid, so one defect is not reported twice. The grid is anchored at
    ``day_boundary`` for intervals that divide a day; for longer intervals only the spacing is
    checked.
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
    if lines is not None and len(lines) != n:
        raise ConfigError(f"lines: {len(lines)} line numbers for {n} rows")
    where = _Where(None if lines is None else np.asarray(lines))
    parts: list[pd.DataFrame] = list(extra)
    ts = _ns(idx)

    # ordering
    back = np.flatnonzero(ts[1:] < ts[:-1]) + 1
    if back.size:
        parts.append(
            _one(
                "unsorted",
                "date",
                ts,
                back,
                f"{back.size} timestamp(s) earlier than the row before (first at "
                f"{where([back[0]])})",
            )
        )

    # duplicates: sort once, groups of equal timestamps
    # (the common case, sorted and unique, makes no copy of the timestamps or positions)
    order = np.argsort(ts, kind="stable") if back.size else np.arange(n)
    sts = ts[order] if back.size else ts
    same = sts[1:] == sts[:-1]
    if same.any():
        first_of_group = np.concatenate([[True], ~same])
        uniq_pos = order[first_of_group]
        uniq_ts = sts[first_of_group]
        parts.append(_duplicates(frame, order, same, sts, where))
    else:
        uniq_pos, uniq_ts = order, sts
    del same

    # interval, grid and gaps, on the distinct timestamps
    inferred = _infer_step(uniq_ts)
    step = parse_interval(freq, "freq") if freq is not None else inferred
    tol = pd.Timedelta(tolerance) if tolerance is not None else None
    boundary = parse_day_boundary(day_boundary)
    on_grid = np.ones(uniq_ts.size, dtype=bool)
    if step is not None:
        tol = jitter_tolerance(step) if tol is None else tol
        if freq is not None and _interval_mismatch(inferred, step, tol):
            parts.append(
                _one(
                    "interval",
                    "date",
                    ts,
                    uniq_pos[[0, -1]],
                    f"bars are {interval_label(inferred)} apart (most common spacing), not the "
                    f"declared {interval_label(step)}: declare the file's own interval, or "
                    "resample it",
                    n_bars=n,
                )
            )
        else:
            on_grid, grid_parts = _grid(uniq_ts, uniq_pos, step, tol, boundary, ts, where, audience)
            parts += grid_parts
            if on_grid.all():
                parts += _gaps(uniq_ts, uniq_pos, step, tol, ts, where)
            else:
                parts += _gaps(uniq_ts[on_grid], uniq_pos[on_grid], step, tol, ts, where)

    # price values
    parts += _values(frame, ts, where)

    # series checks on valid closes, sorted, duplicates and off-grid rows removed
    spos = uniq_pos if on_grid.all() else uniq_pos[on_grid]
    close = frame["close"].to_numpy(float)
    close = close if spos is order and not back.size else close[spos]
    valid = np.isfinite(close) & (close > 0)
    vpos, vclose = (spos, close) if valid.all() else (spos[valid], close[valid])
    del valid, on_grid, uniq_ts
    parts += _stale(vclose, vpos, stale_run, ts, where)
    parts += _repeated(frame, vpos, ts, where)
    parts += _bad_ticks(vclose, vpos, jump_sigma, jump_window, reversal, ts, where)
    parts += _range_spikes(frame, vpos, vclose, jump_sigma, jump_window, ts, where)
    parts += _bogus_first(frame, vpos, first_bar_factor, ts, where)
    if vpos.size:
        tail = vpos[-26:]  # the last bar and the bars its volume is compared with
        sub = frame.iloc[tail]
        ct = None
        if close_time is not None:
            ct_all = np.asarray(close_time)
            ct_all = (
                ct_all.astype("datetime64[ns]").astype(np.int64)
                if ct_all.dtype.kind == "M"
                else ct_all.astype(np.int64)
            )
            ct = ct_all[tail]
        why = find_partial_bar(
            sub, step, close_time=ct, saved_at=saved_at, now=now, volume_ratio=volume_ratio
        )
        if why:
            last = int(vpos[-1])
            parts.append(
                _one(
                    "partial_bar",
                    "date",
                    ts,
                    [last],
                    f"last bar {_fmt(idx[last])}{where.suffix([last])} looks unfinished: {why}",
                )
            )

    parts = [p for p in parts if not p.empty]
    table = pd.concat(parts, ignore_index=True) if parts else _table("gap", "", [], [], [], [], [])
    if not table.empty:
        rank = table["check"].map({c: i for i, c in enumerate(CHECKS)}).to_numpy()
        pos = np.lexsort((_ns(pd.DatetimeIndex(table["start"])), rank))
        table = table.iloc[pos]
    report = ValidationReport(table, name=name, n_rows=n, freq=step)
    if warn and not report.ok:
        warnings.warn(
            f"{name}: {report.summary()} (see riskkit.data.validate)",
            DataQualityWarning,
            stacklevel=2,
        )
    return report


def _duplicates(
    frame: pd.DataFrame, order: np.ndarray, same: np.ndarray, sts: np.ndarray, where: _Where
) -> pd.DataFrame:
    """One issue per duplicated timestamp (vectorised: linear in rows after the sort)."""
    n = order.size
    in_dup = np.zeros(n, dtype=bool)
    in_dup[1:] |= same
    in_dup[:-1] |= same
    starts = np.flatnonzero(in_dup & np.concatenate([[True], ~same]))
    # group g spans sorted positions starts[g] .. ends[g]-1
    member = np.flatnonzero(in_dup)
    gid = np.searchsorted(starts, member, side="right") - 1
    ends = starts + np.bincount(gid, minlength=starts.size)
    # which columns differ inside each group: compare every member with its group's first row
    diff_cols = []
    for col in frame.columns:
        v = frame[col].to_numpy()[order[member]]
        ref = frame[col].to_numpy()[order[starts[gid]]]
        if v.dtype.kind == "f":
            differ = ~((v == ref) | (np.isnan(v) & np.isnan(ref)))
        else:
            differ = v != ref
        diff_cols.append(np.bincount(gid, weights=differ.astype(float), minlength=starts.size) > 0)
    rows = np.split(order[member], np.cumsum(ends - starts)[:-1])
    stamps = _fmt_many(sts[starts])
    cols = list(frame.columns)
    flags = np.column_stack(diff_cols) if diff_cols else np.zeros((starts.size, 0), bool)
    suffix = where.many(rows)
    details = []
    for g in range(starts.size):
        differ = [c for c, f in zip(cols, flags[g], strict=True) if f]
        what = f"values differ in {differ}" if differ else "identical copies"
        details.append(f"{ends[g] - starts[g]} rows for {stamps[g]}{suffix[g]}: {what}")
    return _table(
        "duplicate",
        "date",
        sts[starts],
        sts[starts],
        ends - starts,
        [tuple(r.tolist()) for r in rows],
        details,
    )


def _grid(
    uniq_ts: np.ndarray,
    uniq_pos: np.ndarray,
    step: pd.Timedelta,
    tol: pd.Timedelta,
    boundary: pd.Timedelta,
    ts: np.ndarray,
    where: _Where,
    audience: Audience = "python",
) -> tuple[np.ndarray, list[pd.DataFrame]]:
    """Rows off the grid (``off_grid``) and bars all off the day boundary (``boundary``)."""
    s, t = int(step.value), int(tol.value)
    divides_day = _DAY % s == 0
    anchor = int(boundary.value) if divides_day else 0
    # signed distance to the nearest grid point, in [-s/2, s/2)
    d = (uniq_ts - anchor + s // 2) % s - s // 2
    med = int(np.median(d[:: max(1, d.size // 10_000)]))  # a sample: confirmed just below
    dist = np.abs((d - med + s // 2) % s - s // 2)
    if (dist <= t).mean() > 0.5:
        phase = med
    else:  # no clear majority around the median: take the most common phase
        vals, counts = np.unique(np.round(d / max(t, 1)).astype(np.int64), return_counts=True)
        phase = int(vals[np.argmax(counts)]) * max(t, 1)
        dist = np.abs((d - phase + s // 2) % s - s // 2)
    on = dist <= t
    parts = []
    if divides_day and abs(phase) > t:
        opens = _phase_text((anchor + phase) % _DAY if s == _DAY else (anchor + phase) % s)
        declared = _phase_text(anchor)
        n_on = int(on.sum())
        if s == _DAY:
            what = (
                f"{n_on} daily bar(s) open at {opens} UTC, not at the day boundary "
                f"{declared} UTC; timestamps with a UTC offset (local midnight) are converted "
                "to UTC: if this venue's day starts at that hour, set "
                f"{ReadOptions.setting('day_boundary', opens, audience)}; the bars are not "
                "shifted"
            )
        else:
            what = (
                f"{n_on} bar(s) sit {_phase_text(phase % s)} after the {interval_label(step)} grid "
                f"anchored at {declared} UTC; set "
                f"{ReadOptions.option_name('day_boundary', audience)} if the venue's grid "
                "starts elsewhere"
            )
        rows = uniq_pos[on]
        parts.append(_one("boundary", "date", ts, rows, what, n_bars=n_on))
    off = np.flatnonzero(~on)
    if off.size:
        # one issue per run of consecutive off-grid timestamps
        breaks = np.flatnonzero(np.diff(off) != 1) + 1
        groups = np.split(off, breaks)
        starts = uniq_ts[[g[0] for g in groups]]
        ends = uniq_ts[[g[-1] for g in groups]]
        rows = [uniq_pos[g] for g in groups]
        stamps = _fmt_many(starts)
        suffix = where.many(rows)
        details = [
            f"{g.size} timestamp(s) off the {interval_label(step)} grid from {stamps[k]}{suffix[k]}"
            + (" (a snapshot taken between two bars?)" if g.size == 1 else "")
            for k, g in enumerate(groups)
        ]
        parts.append(
            _table(
                "off_grid",
                "date",
                starts,
                ends,
                [g.size for g in groups],
                [tuple(r.tolist()) for r in rows],
                details,
            )
        )
    return on, parts


def _gaps(
    g_ts: np.ndarray,
    g_pos: np.ndarray,
    step: pd.Timedelta,
    tol: pd.Timedelta,
    ts: np.ndarray,
    where: _Where,
) -> list[pd.DataFrame]:
    if g_ts.size < 2:
        return []
    spacing = np.diff(g_ts)
    missing = np.round(spacing / step.value).astype(np.int64) - 1
    k = np.flatnonzero((spacing > step.value + tol.value) & (missing >= 1))
    if k.size == 0:
        return []
    before, after = _fmt_many(g_ts[k]), _fmt_many(g_ts[k + 1])
    rows = [(int(g_pos[j]), int(g_pos[j + 1])) for j in k.tolist()]
    details = [
        f"{m} missing bar(s) between {b} and {a}"
        for m, b, a in zip(missing[k].tolist(), before, after, strict=True)
    ]
    return [_table("gap", "date", g_ts[k], g_ts[k + 1], missing[k], rows, details)]


def _values(frame: pd.DataFrame, ts: np.ndarray, where: _Where) -> list[pd.DataFrame]:
    parts = []
    price_cols = [c for c in PRICE_COLUMNS if c in frame.columns]
    # column by column: no n x 4 copy of the prices
    flags: dict[str, list[np.ndarray]] = {"missing_price": [], "non_positive_price": []}
    for c in price_cols:
        v = frame[c].to_numpy(dtype=float)
        nan = np.isnan(v)
        flags["missing_price"].append(nan)
        with np.errstate(invalid="ignore"):
            flags["non_positive_price"].append(~nan & (v <= 0))
    for kind, masks in flags.items():
        any_bad = np.logical_or.reduce(masks) if masks else np.zeros(len(frame), bool)
        bad = np.flatnonzero(any_bad)
        if bad.size == 0:
            continue
        mask = np.column_stack([m[bad] for m in masks])
        values = np.column_stack([frame[c].to_numpy(dtype=float)[bad] for c in price_cols])
        columns, details = [], []
        for k, r in enumerate(bad.tolist()):
            cols = [c for c, m in zip(price_cols, mask[k], strict=True) if m]
            columns.append(",".join(cols))
            shown = ", ".join(f"{c} {values[k, price_cols.index(c)]:g}" for c in cols)
            details.append(shown + where.suffix([r]))
        table = _table(kind, "", ts[bad], ts[bad], np.ones(bad.size), [(r,) for r in bad], details)
        table["column"] = columns
        parts.append(table)
    if {"high", "low"} <= set(frame.columns):
        hi, lo = frame["high"].to_numpy(float), frame["low"].to_numpy(float)
        with np.errstate(invalid="ignore"):
            bad = np.flatnonzero(hi < lo)
            if bad.size:
                details = [f"high {hi[r]} < low {lo[r]}{where.suffix([r])}" for r in bad.tolist()]
                parts.append(
                    _table(
                        "high_below_low",
                        "high,low",
                        ts[bad],
                        ts[bad],
                        np.ones(bad.size),
                        [(r,) for r in bad.tolist()],
                        details,
                    )
                )
            ok_range = (hi >= lo) & (lo > 0)
            for col, check in (("open", "open_outside_range"), ("close", "close_outside_range")):
                if col not in frame.columns:
                    continue
                v = frame[col].to_numpy(float)
                bad = np.flatnonzero(ok_range & ((v > hi) | (v < lo)) & (v > 0))
                if bad.size == 0:
                    continue
                details = [
                    f"{col} {v[r]} outside [low {lo[r]}, high {hi[r]}]{where.suffix([r])}"
                    for r in bad.tolist()
                ]
                parts.append(
                    _table(
                        check,
                        col,
                        ts[bad],
                        ts[bad],
                        np.ones(bad.size),
                        [(r,) for r in bad.tolist()],
                        details,
                    )
                )
    return parts


def _stale(
    vclose: np.ndarray, vpos: np.ndarray, stale_run: int, ts: np.ndarray, where: _Where
) -> list[pd.DataFrame]:
    if vclose.size < stale_run:
        return []
    same = np.concatenate([[False], vclose[1:] == vclose[:-1]])
    runs = [(a, b) for a, b in _runs(same) if b - a + 2 >= stale_run]
    if not runs:
        return []
    rows = [vpos[a - 1 : b + 1] for a, b in runs]
    suffix = where.many(rows)
    details = [
        f"{b - a + 2} consecutive bars with close {vclose[a]}{suffix[k]}"
        for k, (a, b) in enumerate(runs)
    ]
    return [
        _table(
            "stale",
            "close",
            ts[[r[0] for r in rows]],
            ts[[r[-1] for r in rows]],
            [r.size for r in rows],
            [tuple(r.tolist()) for r in rows],
            details,
        )
    ]


def _repeated(frame: pd.DataFrame, vpos: np.ndarray, ts: np.ndarray, where: _Where) -> list:
    """Rows repeating the previous bar's OHLCV exactly (a snapshot saved twice), excluding
    flat bars without trades (high == low, volume 0), which legitimately repeat."""
    cols = [c for c in ("open", "high", "low", "close", "volume") if c in frame.columns]
    if len(cols) < 3 or vpos.size < 2:
        return []
    same = np.ones(vpos.size - 1, dtype=bool)
    for c in cols:  # column by column: no n x 5 copy
        v = frame[c].to_numpy(float)[vpos]
        same &= v[1:] == v[:-1]
    moving = np.ones(vpos.size - 1, dtype=bool)
    if {"high", "low"} <= set(cols):
        moving = frame["high"].to_numpy(float)[vpos[1:]] > frame["low"].to_numpy(float)[vpos[1:]]
    if "volume" in cols:
        moving |= frame["volume"].to_numpy(float)[vpos[1:]] > 0
    k = np.flatnonzero(same & moving) + 1
    if k.size == 0:
        return []
    rows = [vpos[j - 1 : j + 1] for j in k.tolist()]
    prev, cur = _fmt_many(ts[vpos[k - 1]]), _fmt_many(ts[vpos[k]])
    suffix = where.many([vpos[[j]] for j in k.tolist()])
    details = [
        f"bar {c}{s} repeats every value of bar {p} ({', '.join(cols)}): a stale snapshot"
        for p, c, s in zip(prev, cur, suffix, strict=True)
    ]
    return [
        _table(
            "repeated_row",
            ",".join(cols),
            ts[vpos[k]],
            ts[vpos[k]],
            np.ones(k.size),
            [(int(r[1]),) for r in rows],
            details,
        )
    ]


def _bad_ticks(
    vclose: np.ndarray,
    vpos: np.ndarray,
    jump_sigma: float,
    jump_window: int,
    reversal: float,
    ts: np.ndarray,
    where: _Where,
) -> list[pd.DataFrame]:
    if vclose.size < 3:
        return []
    rv = np.diff(np.log(vclose))
    # only pairs of consecutive large, opposite moves can be spikes: the rolling median is
    # needed around them only, but computing it everywhere is one vectorised pass
    with np.errstate(invalid="ignore"):
        flip = (np.sign(rv[:-1]) != np.sign(rv[1:])) & (
            np.abs(rv[1:]) >= reversal * np.abs(rv[:-1])
        )
    if not flip.any():
        return []
    sig = robust_sigma(pd.Series(rv), jump_window).to_numpy()
    with np.errstate(invalid="ignore", divide="ignore"):
        z = rv / sig
        spike = flip & (np.abs(z[:-1]) > jump_sigma) & (np.abs(z[1:]) > jump_sigma)
    k = np.flatnonzero(spike)
    if k.size == 0:
        return []
    bars = vpos[k + 1]  # return k goes from close k to close k+1: the spike bar is k+1
    suffix = where.many([[b] for b in bars.tolist()])
    details = [
        f"log return {rv[j]:+.3f} ({z[j]:+.1f} robust sigma) then {rv[j + 1]:+.3f}{s}"
        for j, s in zip(k.tolist(), suffix, strict=True)
    ]
    return [
        _table(
            "bad_tick",
            "close",
            ts[bars],
            ts[bars],
            np.ones(k.size),
            [(int(b),) for b in bars.tolist()],
            details,
        )
    ]


def _range_spikes(
    frame: pd.DataFrame,
    vpos: np.ndarray,
    vclose: np.ndarray,
    jump_sigma: float,
    jump_window: int,
    ts: np.ndarray,
    where: _Where,
) -> list[pd.DataFrame]:
    """High or low far outside its own bar's body and its neighbours' range: a bad print.

    The body of bar t is the span of its open, its close and the previous close (a crash bar's
    body holds the crash, so a genuine fall is never a spike). The wick beyond the body and
    the distance beyond both neighbouring bars' extremes must each exceed ``jump_sigma``
    robust sigmas of close-to-close returns (:func:`robust_sigma`). The close-only bad-tick
    check cannot see such a print (Bitstamp BTC 2016-06-23: open 600.51, low 1.50).
    """
    if vpos.size < 3 or not {"high", "low"} <= set(frame.columns):
        return []
    high = frame["high"].to_numpy(float)[vpos]
    low = frame["low"].to_numpy(float)[vpos]
    opn = frame["open"].to_numpy(float)[vpos] if "open" in frame.columns else vclose
    prev = np.r_[vclose[0], vclose[:-1]]
    rv = np.diff(np.log(vclose))
    sig = np.r_[np.nan, robust_sigma(pd.Series(rv), jump_window).to_numpy()]
    with np.errstate(invalid="ignore", divide="ignore"):
        body_lo = np.fmin(np.fmin(opn, vclose), prev)
        body_hi = np.fmax(np.fmax(opn, vclose), prev)
        nb_low = np.fmin(np.r_[np.inf, low[:-1]], np.r_[low[1:], np.inf])
        nb_high = np.fmax(np.r_[-np.inf, high[:-1]], np.r_[high[1:], -np.inf])
        down = np.minimum(np.log(body_lo / low), np.log(nb_low / low)) / sig
        up = np.minimum(np.log(high / body_hi), np.log(high / nb_high)) / sig
    out = []
    for column, z, value in (("low", down, low), ("high", up, high)):
        k = np.flatnonzero(np.nan_to_num(z, nan=0.0, posinf=0.0) > jump_sigma)
        if k.size == 0:
            continue
        bars = vpos[k]
        suffix = where.many([[b] for b in bars.tolist()])
        details = [
            f"{column} {value[j]:g} against open {opn[j]:g} and close {vclose[j]:g}, "
            f"{z[j]:.0f} robust sigma beyond the bar's body and its neighbours: a bad print or "
            f"a flash wick (compare with another venue: riskkit compare-feeds){sfx}"
            for j, sfx in zip(k.tolist(), suffix, strict=True)
        ]
        out.append(
            _table(
                "range_spike",
                column,
                ts[bars],
                ts[bars],
                np.ones(k.size),
                [(int(b),) for b in bars.tolist()],
                details,
            )
        )
    return out


def _bogus_first(
    frame: pd.DataFrame, vpos: np.ndarray, factor: float, ts: np.ndarray, where: _Where
) -> list[pd.DataFrame]:
    if vpos.size < 6 or not factor > 1:
        return []
    first = int(vpos[0])
    ref = float(np.median(frame["close"].to_numpy(float)[vpos[1:11]]))
    up = [c for c in ("open", "high", "close") if c in frame.columns]
    down = [c for c in ("open", "low", "close") if c in frame.columns]
    hi = {c: float(frame[c].iloc[first]) for c in up}
    lo = {c: float(frame[c].iloc[first]) for c in down}
    above = [c for c, v in hi.items() if v > factor * ref]
    below = [c for c, v in lo.items() if 0 < v < ref / factor]
    if not above and not below:
        return []
    shown = ", ".join(
        f"{c} {hi.get(c, lo.get(c)):g} ({hi.get(c, lo.get(c)) / ref:.2f}x)" for c in above + below
    )
    detail = (
        f"first bar {_fmt(pd.Timestamp(int(ts[first]), unit='ns'))}{where.suffix([first])}: "
        f"{shown} against the median close {ref:g} of the next {min(10, vpos.size - 1)} bars"
    )
    return [_one("bogus_first_bar", ",".join(above + below), ts, [first], detail)]


# --------------------------------------------------------------------------------------------
# two intervals of one market


def compare_intervals(
    daily: pd.DataFrame | pd.Series,
    intraday: pd.DataFrame | pd.Series,
    day_boundary: str | None = None,
    tolerance: float = 1e-3,
    name: str = "prices",
    warn: bool = True,
) -> ValidationReport:
    """Check daily closes against the last intraday close of each day (two files of one market).

    The close of a daily bar is the last trade of its day, so it equals the close of the last
    intraday bar of that day (the bar that ends at the next day boundary). A difference means
    one of the files has a partial, stale or mislabelled bar, or that they come from different
    markets or day boundaries.

    Parameters
    ----------
    daily, intraday : DataFrame or Series
        Tidy price frames (or Series of closes), labelled by bar opening time (UTC).
    day_boundary : str, optional
        ``"HH:MM"`` UTC at which the days start (00:00 by default).
    tolerance : float, default 1e-3
        Largest relative difference ``|daily / intraday - 1|`` accepted (0.1%: rounding of the
        printed prices, not a different market).
    name : str
        Label used in messages.
    warn : bool, default True
        Warn :class:`DataQualityWarning` with a one-line summary when defects are found.

    Returns
    -------
    ValidationReport
        One ``cross_interval`` row per day whose closes differ, or whose last intraday bar is
        not the one that closes the day (detail names both closes). Rows point at the daily
        frame.
    """
    d = _as_frame(daily, name)
    i = _as_frame(intraday, name)
    if d.empty or i.empty:
        raise DataError(f"{name}: compare_intervals needs two non-empty frames")
    offset = parse_day_boundary(day_boundary)
    i = i[~i.index.duplicated(keep="first")].sort_index()
    step = infer_freq(i.index)
    if step is None or step >= pd.Timedelta("1D"):
        raise DataError(f"{name}: the intraday frame is not intraday (interval {step})")
    day_of = (i.index - offset).floor("D") + offset
    last = i.groupby(day_of)["close"].agg(["last"])
    last["last_open"] = i.index.to_series().groupby(day_of).max()
    d_close = d["close"][~d.index.duplicated(keep="first")]
    joined = last.join(d_close.rename("daily"), how="inner")
    if joined.empty:
        raise DataError(f"{name}: the daily and intraday frames share no day")
    rel = (joined["daily"] / joined["last"] - 1.0).to_numpy()
    short = (joined["last_open"] + step < joined.index + pd.Timedelta("1D")).to_numpy()
    bad = np.flatnonzero((np.abs(rel) > tolerance) | short)
    d_ts = _ns(d.index)
    pos_of = pd.Series(np.arange(len(d)), index=d.index)
    parts = []
    for k in bad.tolist():
        day = joined.index[k]
        detail = (
            f"daily close {joined['daily'].iloc[k]:g} vs last intraday close "
            f"{joined['last'].iloc[k]:g} ({rel[k]:+.2%})"
        )
        if short[k]:
            detail += (
                f"; the day's last intraday bar opens at {joined['last_open'].iloc[k]}, "
                "before the day's last interval"
            )
        p = pos_of.loc[day]
        p = int(p.iloc[0]) if isinstance(p, pd.Series) else int(p)
        parts.append(_one("cross_interval", "close", d_ts, [p], detail))
    table = pd.concat(parts, ignore_index=True) if parts else _table("gap", "", [], [], [], [], [])
    report = ValidationReport(table, name=name, n_rows=len(d), freq=pd.Timedelta("1D"))
    if warn and not report.ok:
        warnings.warn(f"{name}: {report.summary()}", DataQualityWarning, stacklevel=2)
    return report
