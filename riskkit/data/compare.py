"""Compare two feeds of the same asset (two venues, mark vs traded, a vendor vs the exchange):
how far apart their prices are, which one lags, where either froze, and which bars either lacks.

:func:`compare_feeds` returns a :class:`FeedComparison`: the deviation of feed ``a`` from feed
``b`` (``a / b - 1``, so ``|a - b| / b`` in absolute value) and its quantiles, the bars beyond a
threshold, the lag that best aligns the two return series (cross-correlation), the stale
stretches of each feed (runs of an unchanged price, with the other feed's move over the same
stretch), and the bars one feed has and the other lacks. These are the "mark price
discrepancy" and "data feed staleness" checks of a venue's data-quality review;
:meth:`FeedComparison.to_frame` is the table ``riskkit compare-feeds --csv`` and a calibration
run (``feed_comparison.csv``) write.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from riskkit.data._frame import _fmt, _ns, _runs
from riskkit.data.perpetual import _positive_step, _series
from riskkit.data.validation import infer_freq, validate
from riskkit.exceptions import ConfigError, DataError

__all__ = ["COMPARISON_COLUMNS", "FeedComparison", "compare_feeds"]

#: columns of :meth:`FeedComparison.to_frame` (one row per finding)
COMPARISON_COLUMNS = ["check", "feed", "start", "end", "n_bars", "value", "detail"]

_MIN_PAIRS = 10  # returns needed on both sides for a lag's correlation


@dataclass(frozen=True)
class FeedComparison:
    """Result of :func:`compare_feeds`: feed ``a`` against the reference feed ``b``.

    Every statistic covers the span both feeds cover (from the later first bar to the earlier
    last bar), on the grid of ``freq``.

    Attributes
    ----------
    names : tuple of str
        Labels of feeds ``a`` and ``b``.
    threshold : float
        Bars with ``|deviation|`` above this are in ``beyond``.
    freq : pandas.Timedelta
        Bar interval of the comparison grid.
    spans : pandas.DataFrame
        Index ``feed``; columns ``first``, ``last``, ``bars`` (whole feed) and
        ``bars_in_overlap``.
    deviation : pandas.Series
        ``a / b - 1`` on the bars both feeds have (signed; its absolute value is
        ``|a - b| / b``).
    quantiles : pandas.Series
        Quantiles of ``|deviation|``, indexed by probability (1.0 is the largest).
    beyond : pandas.DataFrame
        Bars with ``|deviation| > threshold``: index ``date``, columns ``a``, ``b``,
        ``deviation``.
    lag : int or None
        Lag in bars that maximises the correlation of the log returns, ``corr(r_b(t), r_a(t -
        lag))``: a positive lag means ``b`` moves ``lag`` bars *after* ``a`` (b is late), a
        negative one that ``a`` is late. None when too few returns overlap.
    lag_correlation : float
        That correlation (NaN when ``lag`` is None).
    correlations : pandas.Series
        The correlation at every lag tried (index ``lag``).
    stale : pandas.DataFrame
        Stale stretches (runs of at least ``stale_run`` bars with an unchanged price) of either
        feed: columns ``feed``, ``start``, ``end``, ``n_bars``, ``price`` and ``other_return``
        (log return of the other feed from ``start`` to ``end``; NaN where it lacks either bar):
        a frozen feed while the other moved.
    missing : pandas.DataFrame
        Stretches of bars one feed has and the other lacks: columns ``feed`` (the feed lacking
        them), ``start``, ``end``, ``n_bars``.
    """

    names: tuple[str, str]
    threshold: float
    freq: pd.Timedelta
    spans: pd.DataFrame
    deviation: pd.Series
    quantiles: pd.Series
    beyond: pd.DataFrame
    lag: int | None
    lag_correlation: float
    correlations: pd.Series
    stale: pd.DataFrame
    missing: pd.DataFrame

    @property
    def n_common(self) -> int:
        """Bars both feeds have."""
        return len(self.deviation)

    def summary(self) -> str:
        """A few lines: coverage, deviation quantiles, bars beyond the threshold, lag, stale
        stretches and missing bars."""
        a, b = self.names
        q = ", ".join(
            f"{'max' if p == 1 else f'q{100 * p:g}'} {v:.4%}" for p, v in self.quantiles.items()
        )
        lines = [
            f"{a} vs {b}: {self.n_common} common bars of {_step(self.freq)} "
            f"({_fmt(self.deviation.index[0])} to {_fmt(self.deviation.index[-1])})",
            f"  |{a} - {b}| / {b}: {q}",
            f"  bars beyond {self.threshold:.4%}: {len(self.beyond)}"
            + (
                f" (first {_fmt(self.beyond.index[0])}, last {_fmt(self.beyond.index[-1])})"
                if len(self.beyond)
                else ""
            ),
        ]
        if self.lag is None:
            lines.append("  lag: not computed (too few overlapping returns)")
        else:
            late = {0: "in step", 1: f"{b} late"}.get(int(np.sign(self.lag)), f"{a} late")
            lines.append(
                f"  best lag: {self.lag} bar(s) ({late}), return correlation "
                f"{self.lag_correlation:.3f}"
            )
        for name in self.names:
            st = self.stale[self.stale["feed"] == name]
            mi = self.missing[self.missing["feed"] == name]
            lines.append(
                f"  {name}: {len(st)} stale stretch(es) ({int(st['n_bars'].sum())} bars), "
                f"{int(mi['n_bars'].sum())} bar(s) missing in {len(mi)} stretch(es)"
            )
        return "\n".join(lines)

    def __repr__(self) -> str:
        return f"FeedComparison(\n{self.summary()}\n)"

    def to_frame(self) -> pd.DataFrame:
        """Every finding as one table (columns :data:`COMPARISON_COLUMNS`).

        ``check`` is ``span`` (one row per feed), ``deviation_quantile`` (``value`` the
        quantile of ``|a - b| / b``, ``detail`` its probability), ``beyond_threshold`` (one row
        per bar, ``value`` the signed deviation), ``lag`` (``value`` in bars), ``stale`` (one
        row per stretch, ``value`` the frozen price) or ``missing`` (``feed`` lacks the bars).
        """
        a, b = self.names
        pair = f"{a} vs {b}"
        rows: list[dict] = []
        for name, s in self.spans.iterrows():
            rows.append(
                _row(
                    "span",
                    str(name),
                    s["first"],
                    s["last"],
                    s["bars"],
                    np.nan,
                    f"{s['bars_in_overlap']} bars in the common span",
                )
            )
        for p, v in self.quantiles.items():
            rows.append(
                _row(
                    "deviation_quantile",
                    pair,
                    self.deviation.index[0],
                    self.deviation.index[-1],
                    self.n_common,
                    v,
                    f"quantile {p:g} of |{a} - {b}| / {b}",
                )
            )
        for date, r in self.beyond.iterrows():
            rows.append(
                _row(
                    "beyond_threshold",
                    pair,
                    date,
                    date,
                    1,
                    r["deviation"],
                    f"{a} {r['a']:.10g}, {b} {r['b']:.10g} (threshold {self.threshold:g})",
                )
            )
        rows.append(
            _row(
                "lag",
                pair,
                self.deviation.index[0],
                self.deviation.index[-1],
                self.n_common,
                np.nan if self.lag is None else self.lag,
                "not computed: too few overlapping returns"
                if self.lag is None
                else f"correlation {self.lag_correlation:.4f}; positive: {b} moves later",
            )
        )
        for _, r in self.stale.iterrows():
            other = b if r["feed"] == a else a
            rows.append(
                _row(
                    "stale",
                    r["feed"],
                    r["start"],
                    r["end"],
                    r["n_bars"],
                    r["price"],
                    f"unchanged for {r['n_bars']} bars; {other} moved {r['other_return']:+.4%}"
                    if np.isfinite(r["other_return"])
                    else f"unchanged for {r['n_bars']} bars",
                )
            )
        for _, r in self.missing.iterrows():
            other = b if r["feed"] == a else a
            rows.append(
                _row(
                    "missing",
                    r["feed"],
                    r["start"],
                    r["end"],
                    r["n_bars"],
                    np.nan,
                    f"{r['n_bars']} bar(s) in {other}, not in {r['feed']}",
                )
            )
        return pd.DataFrame(rows, columns=COMPARISON_COLUMNS)


def _row(check, feed, start, end, n_bars, value, detail) -> dict:
    return {
        "check": check,
        "feed": feed,
        "start": pd.Timestamp(start),
        "end": pd.Timestamp(end),
        "n_bars": int(n_bars),
        "value": float(value),
        "detail": detail,
    }


def _step(step: pd.Timedelta) -> str:
    for unit in ("D", "h", "min", "s"):
        n = step / pd.Timedelta(1, unit)
        if n >= 1 and float(n).is_integer():
            return f"{int(n)}{unit}"
    return str(step)


def _prepare(x: pd.Series | pd.DataFrame, column: str, name: str) -> pd.Series:
    s = _series(x, column, name).dropna()
    if s.empty:
        raise DataError(f"{name}: no {column} value")
    if not s.index.is_monotonic_increasing:
        s = s.sort_index(kind="mergesort")
    bad = s.index[s <= 0]
    if len(bad):
        raise DataError(
            f"{name}: {len(bad)} non-positive {column} value(s) (first {_fmt(bad[0])}); drop "
            "them first (riskkit.data.drop_nonpositive_prices)"
        )
    return s


def _off_grid(s: pd.Series, origin: int, step: pd.Timedelta, name: str) -> None:
    off = (_ns(s.index) - origin) % step.value != 0
    if off.any():
        first = s.index[np.flatnonzero(off)[0]]
        raise DataError(
            f"{name}: {int(off.sum())} timestamp(s) off the {_step(step)} grid of the other "
            f"feed (first {first}); resample both feeds to one interval first"
        )


def compare_feeds(
    a: pd.Series | pd.DataFrame,
    b: pd.Series | pd.DataFrame,
    threshold: float = 0.005,
    *,
    names: Sequence[str] = ("a", "b"),
    freq: str | pd.Timedelta | None = None,
    max_lag: int = 10,
    stale_run: int = 5,
    column: str = "close",
    quantiles: Sequence[float] = (0.5, 0.9, 0.95, 0.99, 1.0),
) -> FeedComparison:
    """Compare two price feeds of the same asset, ``a`` against the reference ``b``.

    Parameters
    ----------
    a, b : Series or DataFrame
        Prices indexed by time (a DataFrame: its ``column``), bars of the same interval on the
        same grid (resample first otherwise). Missing values count as missing bars.
    threshold : float, default 0.005
        A bar with ``|a - b| / b`` above this (a fraction: 0.005 is 0.5%) is listed in
        ``beyond``.
    names : pair of str, default ("a", "b")
        Labels of the feeds in the result and its table.
    freq : str or Timedelta, optional
        Bar interval; inferred from the timestamps when omitted.
    max_lag : int, default 10
        Lags tried, in bars: ``-max_lag .. max_lag``.
    stale_run : int, default 5
        A stale stretch is at least this many consecutive bars with an unchanged price (the
        ``stale`` check of :func:`~riskkit.data.validate`).
    column : str, default "close"
        Column used from a DataFrame.
    quantiles : sequence of float
        Probabilities of the ``|deviation|`` quantiles (1.0: the largest deviation).

    Returns
    -------
    FeedComparison
        Statistics over the span both feeds cover.

    Raises
    ------
    DataError
        Duplicate timestamps, non-positive prices, timestamps off a common grid, or no bar in
        common.
    ConfigError
        Bad ``threshold``, ``max_lag``, ``stale_run``, ``quantiles`` or ``names``.

    Examples
    --------
    >>> from riskkit.datasets import load_ohlcv
    >>> cmp = compare_feeds(load_ohlcv("BTC", "bitstamp"), load_ohlcv("BTC", "coinbase-pro"),
    ...                     names=("bitstamp", "coinbase-pro"))  # doctest: +SKIP
    >>> cmp.quantiles, cmp.lag, cmp.stale  # doctest: +SKIP
    """
    if not (isinstance(threshold, (int, float)) and np.isfinite(threshold) and threshold > 0):
        raise ConfigError(
            f"threshold must be a positive fraction (0.005 = 0.5%), got {threshold!r}"
        )
    if not isinstance(max_lag, (int, np.integer)) or max_lag < 0:
        raise ConfigError(f"max_lag must be a whole number of bars >= 0, got {max_lag!r}")
    if not isinstance(stale_run, (int, np.integer)) or stale_run < 2:
        raise ConfigError(f"stale_run must be a whole number of bars >= 2, got {stale_run!r}")
    probs = [float(p) for p in quantiles]
    if not probs or any(not 0 <= p <= 1 for p in probs):
        raise ConfigError(f"quantiles must be probabilities in [0, 1], got {list(quantiles)}")
    names = tuple(str(n) for n in names)
    if len(names) != 2 or names[0] == names[1]:
        raise ConfigError(f"names must be two different labels, got {names}")
    na, nb = names
    sa, sb = _prepare(a, column, na), _prepare(b, column, nb)

    union = sa.index.union(sb.index)
    step = _positive_step(freq, "freq") if freq is not None else infer_freq(union)
    if step is None:
        raise DataError(f"{na} and {nb}: fewer than two distinct timestamps; nothing to compare")
    origin = int(_ns(union)[0])
    _off_grid(sa, origin, step, na)
    _off_grid(sb, origin, step, nb)
    lo, hi = max(sa.index[0], sb.index[0]), min(sa.index[-1], sb.index[-1])
    if lo > hi:
        raise DataError(
            f"{na} ({_fmt(sa.index[0])} to {_fmt(sa.index[-1])}) and {nb} ({_fmt(sb.index[0])} "
            f"to {_fmt(sb.index[-1])}) do not overlap in time"
        )
    grid = pd.date_range(lo, hi, freq=step, name="date")
    ga, gb = sa.reindex(grid), sb.reindex(grid)
    common = ga.notna().to_numpy() & gb.notna().to_numpy()
    if not common.any():
        raise DataError(f"{na} and {nb}: no bar in common between {_fmt(lo)} and {_fmt(hi)}")

    spans = pd.DataFrame(
        {
            "first": [sa.index[0], sb.index[0]],
            "last": [sa.index[-1], sb.index[-1]],
            "bars": [len(sa), len(sb)],
            "bars_in_overlap": [int(ga.notna().sum()), int(gb.notna().sum())],
        },
        index=pd.Index(list(names), name="feed"),
    )

    deviation = (ga[common] / gb[common] - 1.0).rename("deviation")
    absdev = deviation.abs()
    qs = pd.Series(
        absdev.quantile(probs).to_numpy(), index=pd.Index(probs, name="probability"), name="q"
    )
    far = absdev > threshold
    beyond = pd.DataFrame(
        {"a": ga[common][far], "b": gb[common][far], "deviation": deviation[far]}
    ).rename_axis("date")

    # returns on the grid (NaN next to a missing bar); corr(r_b(t), r_a(t - k))
    ra, rb = np.log(ga).diff(), np.log(gb).diff()
    lags = range(-int(max_lag), int(max_lag) + 1)
    corr = pd.Series(
        [rb.corr(ra.shift(k), min_periods=_MIN_PAIRS) for k in lags],
        index=pd.Index(list(lags), name="lag"),
        name="correlation",
        dtype=float,
    )
    if corr.notna().any():
        best = corr.max()
        tied = corr.index[np.isclose(corr.to_numpy(), best, rtol=0, atol=1e-12)]
        lag: int | None = int(min(tied, key=lambda k: (abs(k), k)))
        lag_corr = float(corr[lag])
    else:
        lag, lag_corr = None, float("nan")

    stale_rows = []
    for name, own, other in ((na, ga, gb), (nb, gb, ga)):
        present = own.dropna()
        if len(present) < stale_run:
            continue
        found = validate(present, freq=step, stale_run=stale_run, name=name, warn=False).of("stale")
        for _, r in found.iterrows():
            start, end = r["start"], r["end"]
            o0, o1 = other.get(start, np.nan), other.get(end, np.nan)
            stale_rows.append(
                {
                    "feed": name,
                    "start": start,
                    "end": end,
                    "n_bars": int(r["n_bars"]),
                    "price": float(present[start]),
                    "other_return": float(np.log(o1 / o0)) if o0 > 0 and o1 > 0 else np.nan,
                }
            )
    stale = pd.DataFrame(
        stale_rows, columns=["feed", "start", "end", "n_bars", "price", "other_return"]
    )

    missing_rows = []
    for name, lacks in ((na, ga.isna() & gb.notna()), (nb, gb.isna() & ga.notna())):
        for first, last in _runs(lacks.to_numpy()):
            missing_rows.append(
                {"feed": name, "start": grid[first], "end": grid[last], "n_bars": last - first + 1}
            )
    missing = pd.DataFrame(missing_rows, columns=["feed", "start", "end", "n_bars"])
    missing = missing.sort_values(["start", "feed"], kind="mergesort").reset_index(drop=True)

    return FeedComparison(
        names=(na, nb),
        threshold=float(threshold),
        freq=step,
        spans=spans,
        deviation=deviation,
        quantiles=qs,
        beyond=beyond,
        lag=lag,
        lag_correlation=lag_corr,
        correlations=corr,
        stale=stale,
        missing=missing,
    )
