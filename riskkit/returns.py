"""Returns from prices, OHLCV resampling, h-period returns and annualisation.

Conventions (see ``docs/design.md``): returns are fractions, log returns unless ``kind="simple"``;
a return is labelled by the bar over which it is earned (the close-to-close return from the close
of bar t-1 to the close of bar t is labelled t, and a daily bar is labelled by its opening UTC
date); annualisation always takes ``periods_per_year`` explicitly (365 for crypto, 252 for
equities: :data:`PERIODS_PER_YEAR_CRYPTO`, :data:`PERIODS_PER_YEAR_EQUITY`).
"""

from __future__ import annotations

import warnings
from typing import Literal

import numpy as np
import pandas as pd
from scipy import stats

from riskkit.exceptions import ConfigError, DataError, DataQualityWarning

__all__ = [
    "PERIODS_PER_YEAR_CRYPTO",
    "PERIODS_PER_YEAR_EQUITY",
    "compute_returns",
    "log_returns",
    "simple_returns",
    "log_to_simple",
    "simple_to_log",
    "resample_ohlcv",
    "bars_per_bin",
    "horizon_returns",
    "annualize_volatility",
    "annualize_mean",
    "describe_returns",
    "autocorrelations",
    "leverage_correlation",
    "tail_frequencies",
]


#: crypto trades every calendar day
PERIODS_PER_YEAR_CRYPTO: int = 365
#: equity markets trade about 252 days a year
PERIODS_PER_YEAR_EQUITY: int = 252

Kind = Literal["log", "simple"]
Numeric = float | np.ndarray | pd.Series | pd.DataFrame


def _check_kind(kind: str) -> None:
    if kind not in ("log", "simple"):
        raise ConfigError(f"kind must be 'log' or 'simple', got {kind!r}")


def _check_ppy(periods_per_year: float) -> float:
    try:
        value = float(periods_per_year)
    except (TypeError, ValueError):
        raise ConfigError(
            f"periods_per_year must be a positive number, got {periods_per_year!r}"
        ) from None
    if not np.isfinite(value) or value <= 0:
        raise ConfigError(
            f"periods_per_year must be > 0 (365 crypto, 252 equities), got {periods_per_year!r}"
        )
    return value


def _unflagged_calendar_gaps(index: pd.Index) -> list[pd.Timestamp]:
    """Rows of a 24/7 daily series that follow a missing day, when no ``freq`` was given.

    A series counts as 24/7 daily when its most common spacing is one day and at least a fifth
    of its dates fall on weekends (crypto: 2/7; an equity series has none, and its weekend
    and holiday gaps are not defects). Returns the dates after each larger spacing.
    """
    if not isinstance(index, pd.DatetimeIndex) or len(index) < 3:
        return []
    steps = np.diff(index.as_unit("ns").asi8)
    day = pd.Timedelta("1D").value
    values, counts = np.unique(steps, return_counts=True)
    if values[np.argmax(counts)] != day or (index.day_of_week >= 5).mean() < 0.2:
        return []
    return list(index[1:][steps > day])


def _on_grid(data: pd.Series | pd.DataFrame, freq: str | pd.Timedelta, name: str):
    """``data`` reindexed on the regular grid of ``freq`` from its first to its last row."""
    try:
        step = pd.Timedelta(freq)
    except (TypeError, ValueError):
        raise ConfigError(f"freq must be an interval such as '1D' or '1h', got {freq!r}") from None
    index = data.index
    if not isinstance(index, pd.DatetimeIndex):
        raise DataError(f"{name}: index must be a DatetimeIndex, got {type(index).__name__}")
    if index.has_duplicates or not index.is_monotonic_increasing:
        raise DataError(f"{name}: index must be sorted without duplicate timestamps")
    if step <= pd.Timedelta(0):
        raise ConfigError(f"freq must be a positive interval, got {step!r}")
    if len(index) == 0:
        return data
    grid = pd.date_range(index[0], index[-1], freq=step, name=index.name or "date")
    off = index.difference(grid)
    if len(off):
        raise DataError(
            f"{name}: {len(off)} timestamp(s) off the {step} grid, e.g. {[str(d) for d in off[:3]]}"
        )
    return data.reindex(grid)


def compute_returns(
    prices: pd.Series | pd.DataFrame,
    kind: Kind = "log",
    freq: str | pd.Timedelta | None = None,
    gaps: Literal["drop", "nan"] = "drop",
    name: str = "prices",
) -> pd.Series | pd.DataFrame:
    """One-period returns from prices, never silently across a data gap.

    Parameters
    ----------
    prices : Series or DataFrame
        Prices (one column per asset) indexed by a sorted, unique DatetimeIndex. NaN marks a
        missing price.
    kind : {"log", "simple"}
        ``log(p_t / p_{t-1})`` or ``p_t / p_{t-1} - 1``.
    freq : str or Timedelta, optional
        Bar interval (``"1D"`` for crypto). When given, each column is first put on the regular
        grid of that interval, so a missing bar makes the returns into and out of it NaN: a
        return is only computed between *adjacent* bars. When omitted (equities, whose
        weekends and holidays are not gaps), returns are taken between consecutive rows.
    gaps : {"drop", "nan"}
        What happens to returns that are undefined because a price is missing. ``"drop"``
        (default) removes those rows (for a DataFrame: rows where any column is undefined, so
        the panel is aligned) and warns :class:`DataQualityWarning` with the number of interior
        gaps and their first dates; rows before an asset's first price are dropped without a
        warning (not a defect). ``"nan"`` keeps them as NaN.
    name : str
        Used in messages.

    Returns
    -------
    Series or DataFrame
        Returns as fractions, labelled by the later bar (the bar over which they are earned).

    Raises
    ------
    DataError
        Non-positive prices (dates named), unsorted or duplicate index.
    """
    _check_kind(kind)
    if gaps not in ("drop", "nan"):
        raise ConfigError(f"gaps must be 'drop' or 'nan', got {gaps!r}")
    is_series = isinstance(prices, pd.Series)
    frame = prices.to_frame() if is_series else prices
    if not isinstance(frame, pd.DataFrame):
        raise DataError(f"{name}: expected a Series or DataFrame, got {type(prices).__name__}")
    if not isinstance(frame.index, pd.DatetimeIndex):
        raise DataError(f"{name}: index must be a DatetimeIndex, got {type(frame.index).__name__}")
    if frame.index.has_duplicates:
        dups = [str(d) for d in frame.index[frame.index.duplicated()][:5]]
        raise DataError(f"{name}: duplicate timestamps {dups}; see riskkit.data")
    if not frame.index.is_monotonic_increasing:
        raise DataError(f"{name}: index not sorted by time; see riskkit.data.sort_by_time")
    values = frame.astype(float)
    bad = values.le(0)
    if bad.to_numpy().any():
        col = bad.any().idxmax()
        dates = [str(d) for d in values.index[bad[col].to_numpy()][:5]]
        raise DataError(
            f"{name}, column {col!r}: non-positive prices at {dates}; drop them with "
            "riskkit.data.drop_nonpositive_prices"
        )
    if freq is not None:
        values = _on_grid(values, freq, name)
        values.index.name = frame.index.name or "date"
    else:
        after = _unflagged_calendar_gaps(values.index)
        if after:
            # a 24/7 series with missing days: the return after each is a multi-day return
            warnings.warn(
                f"{name}: {len(after)} return(s) span more than one day in a series that trades "
                f"every day (first at {[str(d.date()) for d in after[:5]]}) and are labelled as "
                "one-period returns; pass freq='1D' to leave them undefined",
                DataQualityWarning,
                stacklevel=2,
            )
    logp = np.log(values)
    out = logp.diff() if kind == "log" else values / values.shift(1) - 1.0
    out = out.iloc[1:]
    if gaps == "drop":
        # a panel's gaps are undefined returns after every column has started and before any
        # has ended; rows before an asset's history begins are not defects
        started = values.notna().cummax().shift(1, fill_value=False).iloc[1:].all(axis=1)
        ended = values[::-1].notna().cummax()[::-1].iloc[1:].all(axis=1)
        interior = (out.isna().any(axis=1) & started & ended).to_numpy()
        if interior.any():
            # one gap = one run of consecutive undefined returns
            starts = np.flatnonzero(interior & ~np.concatenate([[False], interior[:-1]]))
            first = list(out.index[starts[:5]].strftime("%Y-%m-%d"))
            warnings.warn(
                f"{name}: dropped {int(interior.sum())} undefined return(s) around "
                f"{len(starts)} gap(s) in the cleaned prices (first at {first}); a return is never "
                "computed across a gap; pass gaps='nan' to keep them as NaN",
                DataQualityWarning,
                stacklevel=2,
            )
        out = out.dropna(how="any")
    if is_series:
        return out.iloc[:, 0].rename(prices.name)
    return out


def log_returns(prices: pd.Series | pd.DataFrame, **kwargs) -> pd.Series | pd.DataFrame:
    """``compute_returns(prices, kind="log", **kwargs)``.

    Parameters
    ----------
    prices : Series or DataFrame
        Prices (one column per asset), indexed by a sorted, unique DatetimeIndex; NaN marks a
        missing price.
    **kwargs
        Passed to :func:`compute_returns`: ``freq`` (bar interval; a missing bar makes the
        returns into and out of it undefined), ``gaps`` (``"drop"`` or ``"nan"``) and ``name``.

    Returns
    -------
    Series or DataFrame
        Log returns ``log(p_t / p_{t-1})`` as fractions, labelled by the later bar, same
        columns (a Series keeps its name).

    Raises
    ------
    DataError
        Prices not indexed by a sorted, unique DatetimeIndex, non-positive prices (dates
        named), or timestamps off the ``freq`` grid.
    ConfigError
        Bad ``freq`` or ``gaps``.

    Warns
    -----
    DataQualityWarning
        When returns undefined because of a gap are dropped, or (without ``freq``) when a 24/7
        daily series has missing days, so some returns span more than one day.
    """
    return compute_returns(prices, kind="log", **kwargs)


def simple_returns(prices: pd.Series | pd.DataFrame, **kwargs) -> pd.Series | pd.DataFrame:
    """``compute_returns(prices, kind="simple", **kwargs)``.

    Parameters
    ----------
    prices : Series or DataFrame
        Prices (one column per asset), indexed by a sorted, unique DatetimeIndex; NaN marks a
        missing price.
    **kwargs
        Passed to :func:`compute_returns`: ``freq`` (bar interval; a missing bar makes the
        returns into and out of it undefined), ``gaps`` (``"drop"`` or ``"nan"``) and ``name``.

    Returns
    -------
    Series or DataFrame
        Simple returns ``p_t / p_{t-1} - 1`` as fractions, labelled by the later bar, same
        columns (a Series keeps its name).

    Raises
    ------
    DataError
        Prices not indexed by a sorted, unique DatetimeIndex, non-positive prices (dates
        named), or timestamps off the ``freq`` grid.
    ConfigError
        Bad ``freq`` or ``gaps``.

    Warns
    -----
    DataQualityWarning
        When returns undefined because of a gap are dropped, or (without ``freq``) when a 24/7
        daily series has missing days, so some returns span more than one day.
    """
    return compute_returns(prices, kind="simple", **kwargs)


def log_to_simple(returns: Numeric) -> Numeric:
    """Simple returns from log returns: ``exp(r) - 1``."""
    return np.expm1(returns)


def simple_to_log(returns: Numeric) -> Numeric:
    """Log returns from simple returns: ``log(1 + R)``; raises DataError for R <= -1."""
    arr = np.asarray(returns, dtype=float)
    if (arr <= -1).any():
        raise DataError("simple returns <= -100% have no log return")
    return np.log1p(returns)


def resample_ohlcv(
    bars: pd.DataFrame,
    rule: str = "1D",
    label: Literal["left", "right"] = "left",
    closed: Literal["left", "right"] = "left",
    min_bars: int | Literal["complete"] = 1,
    offset: str | pd.Timedelta | None = None,
) -> pd.DataFrame:
    """Aggregate OHLCV bars to a coarser interval (e.g. hourly to 4-hour or daily bars).

    Parameters
    ----------
    bars : DataFrame
        Tidy OHLCV frame (sorted unique DatetimeIndex of *opening* times), such as
        :func:`riskkit.data.read_prices` returns. Missing columns are skipped; ``close`` is
        required (a close-only series gives close-only bars).
    rule : str
        Interval of the new bars (``"1D"``, ``"4h"``, ``"7D"``).
    label, closed : {"left", "right"}
        Default ``"left"``/``"left"``: the new bar covers ``[t, t + rule)`` and is labelled t,
        its opening time, the riskkit convention (a source bar opening at 23:00 belongs to the
        day it opens in).
    min_bars : int or "complete", default 1
        New bars built from fewer source bars are dropped with a :class:`DataQualityWarning`
        naming the first of them. ``"complete"`` keeps only bars built from every source bar
        they span (``rule`` divided by the source interval, :func:`riskkit.bars.infer_interval`;
        24 for hourly to daily): an incomplete bar (a missing hour, the partial first and last
        day of a file) would otherwise carry a smaller range and volume than its neighbours.
        Periods with no source bar are always dropped.
    offset : str or Timedelta, optional
        Where new bars start, after midnight UTC (``"8h"`` for a venue whose day opens at
        08:00 UTC). By default bars are anchored at the day boundary 00:00 UTC: 4-hour bars
        open at 00:00, 04:00, ... whatever the first source bar.

    Returns
    -------
    DataFrame
        ``open`` first, ``high`` max, ``low`` min, ``close`` last, ``volume`` sum (of the bars
        present), plus ``n_bars``, the number of source bars aggregated.

    Raises
    ------
    DataError
        Not a sorted, unique DatetimeIndex, or no ``close`` column.
    ConfigError
        A bad ``min_bars`` or ``offset``, or ``"complete"`` with a rule that is not a whole
        multiple of the source interval.
    """
    if not isinstance(bars, pd.DataFrame) or "close" not in bars.columns:
        raise DataError("resample_ohlcv needs a DataFrame with a 'close' column")
    if not isinstance(bars.index, pd.DatetimeIndex):
        raise DataError("resample_ohlcv needs a DatetimeIndex of bar opening times")
    if bars.index.has_duplicates or not bars.index.is_monotonic_increasing:
        raise DataError("resample_ohlcv needs a sorted index without duplicates; see riskkit.data")
    if min_bars == "complete":
        min_bars = bars_per_bin(bars.index, rule)
    elif isinstance(min_bars, str) or min_bars < 1:
        raise ConfigError(f"min_bars must be >= 1 or 'complete', got {min_bars!r}")
    try:
        shift = pd.Timedelta(0) if offset is None else pd.Timedelta(offset)
    except (TypeError, ValueError):
        raise ConfigError(f"offset must be a time of day such as '8h', got {offset!r}") from None
    how = {"open": "first", "high": "max", "low": "min", "close": "last", "volume": "sum"}
    agg = {c: f for c, f in how.items() if c in bars.columns}
    res = bars.resample(rule, label=label, closed=closed, origin="start_day", offset=shift)
    out = res.agg(agg)
    out["n_bars"] = res["close"].count()
    out = out[out["n_bars"] > 0]
    short = out["n_bars"] < min_bars
    if short.any():
        warnings.warn(
            f"resample_ohlcv: dropped {int(short.sum())} {rule} bar(s) built from fewer than "
            f"{min_bars} source bars (first at {[str(d) for d in out.index[short][:3]]})",
            DataQualityWarning,
            stacklevel=2,
        )
        out = out[~short]
    out.index.name = bars.index.name or "date"
    return out


def bars_per_bin(index: pd.DatetimeIndex, rule: str | pd.Timedelta) -> int:
    """Source bars in one bar of ``rule``: ``rule`` divided by the interval of ``index``.

    Raises
    ------
    ConfigError
        ``rule`` is shorter than the source interval or not a whole multiple of it, or the
        source interval cannot be inferred.
    """
    from riskkit.bars import infer_interval, interval_label

    source = infer_interval(index)
    try:
        target = pd.Timedelta(rule)
    except (TypeError, ValueError):
        raise ConfigError(f"rule must be an interval such as '1D' or '4h', got {rule!r}") from None
    if source is None:
        raise ConfigError("cannot infer the interval of fewer than two bars")
    if target < source or target.value % source.value:
        raise ConfigError(
            f"cannot aggregate {interval_label(source)} bars into {interval_label(target)} bars: "
            "the new interval must be a whole multiple of the bars' interval"
        )
    return int(target.value // source.value)


def horizon_returns(
    returns: pd.Series | pd.DataFrame,
    h: int,
    overlapping: bool = True,
    kind: Kind = "log",
    freq: str | pd.Timedelta | None = None,
) -> pd.Series | pd.DataFrame:
    """h-period returns from one-period returns.

    Parameters
    ----------
    returns : Series or DataFrame
        One-period returns (fractions) of type ``kind``, consecutive periods.
    h : int
        Number of periods.
    overlapping : bool, default True
        True: one h-period return starting at every period (windows share h-1 periods, so they
        are autocorrelated). False: disjoint blocks starting at the first period; an incomplete
        final block is dropped.
    kind : {"log", "simple"}
        Log returns add up; simple returns compound: ``prod(1 + R) - 1``.
    freq : str or Timedelta, optional
        Period of the returns (``"1D"`` for crypto). When given, the returns are first put on
        the regular grid of that interval, so a window that contains a missing period (e.g. a
        return dropped by :func:`compute_returns` around a data gap) is dropped instead of
        silently covering more than h periods. When omitted, windows are h consecutive
        *rows* (right for equities, whose weekends are not gaps); for a series that trades
        every day with missing days a :class:`DataQualityWarning` says so.

    Returns
    -------
    Series or DataFrame
        Labelled by the first period of each window (the date the position is opened, so a
        forecast made with data up to the previous period has no look-ahead). Windows with
        any missing return are dropped.

    Raises
    ------
    DataError
        With ``freq``: index not a sorted, unique DatetimeIndex on that grid.
    """
    _check_kind(kind)
    if isinstance(h, bool) or int(h) != h or h < 1:
        raise ConfigError(f"h must be a positive whole number of periods, got {h!r}")
    h = int(h)
    if freq is not None:
        returns = _on_grid(returns, freq, "returns")
    elif h > 1:
        after = _unflagged_calendar_gaps(returns.index)
        if after:
            warnings.warn(
                f"horizon_returns: the returns skip {len(after)} day(s) of a series that trades "
                f"every day (first after a gap: {[str(d.date()) for d in after[:5]]}); windows "
                f"across them cover more than {h} days. Pass freq='1D' to drop those windows",
                DataQualityWarning,
                stacklevel=2,
            )
    x = returns if kind == "log" else np.log1p(returns)
    summed = x.rolling(h, min_periods=h).sum().shift(-(h - 1))
    if not overlapping:
        summed = summed.iloc[::h]
    summed = summed.dropna()
    return summed if kind == "log" else np.expm1(summed)


def annualize_volatility(volatility: Numeric, periods_per_year: float) -> Numeric:
    """Annualised volatility: ``volatility * sqrt(periods_per_year)`` (i.i.d. square-root rule).

    Parameters
    ----------
    volatility : float, array, Series or DataFrame
        Per-period standard deviation of log returns.
    periods_per_year : float
        365 for crypto, 252 for equities (:data:`PERIODS_PER_YEAR_CRYPTO`,
        :data:`PERIODS_PER_YEAR_EQUITY`); required, no default.
    """
    return volatility * np.sqrt(_check_ppy(periods_per_year))


def annualize_mean(mean: Numeric, periods_per_year: float) -> Numeric:
    """Annualised mean log return: ``mean * periods_per_year`` (log returns add up over time).

    Parameters
    ----------
    mean : float, array, Series or DataFrame
        Per-period mean log return (fraction).
    periods_per_year : float
        365 for crypto, 252 for equities (:data:`PERIODS_PER_YEAR_CRYPTO`,
        :data:`PERIODS_PER_YEAR_EQUITY`); required, no default.

    Returns
    -------
    float, array, Series or DataFrame
        ``mean * periods_per_year``, same type and index as ``mean``.

    Raises
    ------
    ConfigError
        If ``periods_per_year`` is not a finite number > 0.
    """
    return mean * _check_ppy(periods_per_year)


def describe_returns(returns: pd.Series | pd.DataFrame, periods_per_year: float) -> pd.DataFrame:
    """Summary statistics of return series, one row per series.

    Parameters
    ----------
    returns : Series or DataFrame
        Log returns (fractions); NaN ignored column by column.
    periods_per_year : float
        Used for the annualised columns; required (365 crypto, 252 equities).

    Returns
    -------
    DataFrame
        ``n``, ``start``, ``end``, ``mean``, ``std`` (per period), ``ann_mean``, ``ann_vol``,
        ``skew``, ``excess_kurtosis`` (bias-corrected sample estimators, as
        :meth:`pandas.Series.skew` and :meth:`pandas.Series.kurt`), ``min``, ``max``,
        ``jarque_bera_p`` (:func:`scipy.stats.jarque_bera`).
    """
    ppy = _check_ppy(periods_per_year)
    frame = returns.to_frame() if isinstance(returns, pd.Series) else returns
    rows = {}
    for col in frame.columns:
        r = frame[col].dropna()
        rows[col] = {
            "n": len(r),
            "start": r.index.min(),
            "end": r.index.max(),
            "mean": r.mean(),
            "std": r.std(),
            "ann_mean": r.mean() * ppy,
            "ann_vol": r.std() * np.sqrt(ppy),
            "skew": r.skew(),
            "excess_kurtosis": r.kurt(),
            "min": r.min(),
            "max": r.max(),
            "jarque_bera_p": stats.jarque_bera(r.to_numpy()).pvalue if len(r) > 2 else np.nan,
        }
    return pd.DataFrame.from_dict(rows, orient="index")


def autocorrelations(returns: pd.Series, nlags: int = 30) -> pd.DataFrame:
    """Sample autocorrelations of ``r``, ``|r|`` and ``r**2`` (volatility clustering).

    Parameters
    ----------
    returns : Series
        One return series; NaN are dropped first (so lags count observations).
    nlags : int
        Largest lag.

    Returns
    -------
    DataFrame
        Index ``lag`` 1..nlags; columns ``r``, ``abs_r``, ``r2`` (from
        :func:`statsmodels.tsa.stattools.acf`), and ``band``: the +/- 1.96/sqrt(n) band of an
        i.i.d. series.

    Notes
    -----
    Returns themselves are close to uncorrelated while their magnitudes are strongly and
    persistently correlated: the second stylized fact of Cont (2001).

    References
    ----------
    Cont, R. (2001). Empirical properties of asset returns: stylized facts and statistical
    issues. Quantitative Finance, 1(2), 223-236.
    """
    from statsmodels.tsa.stattools import acf

    if int(nlags) != nlags or nlags < 1:
        raise ConfigError(f"nlags must be a positive integer, got {nlags!r}")
    r = pd.Series(returns).dropna().to_numpy(dtype=float)
    if r.size <= nlags + 1:
        raise DataError(f"autocorrelations need more than {nlags + 1} returns, got {r.size}")
    out = pd.DataFrame(
        {
            "r": acf(r, nlags=nlags, fft=True)[1:],
            "abs_r": acf(np.abs(r), nlags=nlags, fft=True)[1:],
            "r2": acf(r**2, nlags=nlags, fft=True)[1:],
        },
        index=pd.RangeIndex(1, nlags + 1, name="lag"),
    )
    out["band"] = 1.96 / np.sqrt(r.size)
    return out


def leverage_correlation(returns: pd.Series, max_lag: int = 20) -> pd.Series:
    """Correlation between today's return and future absolute returns, ``corr(r_t, |r_{t+k}|)``.

    A negative value at k >= 1 is the *leverage effect*: falls are followed by higher volatility
    than rises of the same size (strong in equity indices, weak or absent in crypto).

    Parameters
    ----------
    returns : Series
        Consecutive returns (NaN dropped first).
    max_lag : int
        Largest k.

    Returns
    -------
    Series
        Index ``lag`` 0..max_lag (lag 0 is ``corr(r_t, |r_t|)``, a measure of skewness).

    References
    ----------
    Bouchaud, J.-P., Matacz, A. and Potters, M. (2001). Leverage effect in financial markets:
    the retarded volatility model. Physical Review Letters, 87(22), 228701.
    """
    if int(max_lag) != max_lag or max_lag < 0:
        raise ConfigError(f"max_lag must be a non-negative integer, got {max_lag!r}")
    r = pd.Series(returns).dropna().to_numpy(dtype=float)
    if r.size <= max_lag + 2:
        raise DataError(f"leverage_correlation needs more than {max_lag + 2} returns")
    a = np.abs(r)
    values = [np.corrcoef(r[: r.size - k], a[k:])[0, 1] for k in range(max_lag + 1)]
    return pd.Series(values, index=pd.RangeIndex(0, max_lag + 1, name="lag"), name="corr")


def tail_frequencies(
    returns: pd.Series | pd.DataFrame, thresholds: tuple[float, ...] = (3.0, 4.0, 5.0)
) -> pd.DataFrame:
    """How often returns fall more than k standard deviations from their mean, vs a normal law.

    Parameters
    ----------
    returns : Series or DataFrame
        Returns; each column standardised by its own sample mean and standard deviation.
    thresholds : tuple of float
        The k values.

    Returns
    -------
    DataFrame
        One row per (series, k): ``observed`` count of ``|z| > k``, ``expected_normal``
        count under N(0, 1) (``n * 2 * (1 - Phi(k))``), and their ``ratio``.
    """
    frame = returns.to_frame() if isinstance(returns, pd.Series) else returns
    rows = []
    for col in frame.columns:
        r = frame[col].dropna()
        z = (r - r.mean()) / r.std()
        for k in thresholds:
            observed = int((z.abs() > k).sum())
            expected = len(z) * 2 * stats.norm.sf(k)
            rows.append(
                {
                    "series": col,
                    "k": k,
                    "observed": observed,
                    "expected_normal": expected,
                    "ratio": observed / expected,
                }
            )
    return pd.DataFrame(rows).set_index(["series", "k"])
