"""Market events (e.g. the crash of 2020-03-12): windows around a day and how surprising it was.

Several chapters zoom in on one day: they cut a calendar window around it, take the history a
model could have used on the eve of the day (no look-ahead: data up to the day before only) and
measure the day's return against that history. These helpers do it in one place.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import stats

from riskkit.exceptions import ConfigError, DataError

__all__ = ["event_window", "pre_event", "event_surprise"]


def _day(day: str | pd.Timestamp) -> pd.Timestamp:
    try:
        ts = pd.Timestamp(day)
    except (TypeError, ValueError):
        raise ConfigError(f"event day must be a date, got {day!r}") from None
    if ts.tzinfo is not None:
        raise ConfigError(f"event day must be tz-naive (UTC), got {day!r}")
    return ts.normalize()


def _days(n: int | float, name: str, allow_zero: bool = True) -> pd.Timedelta:
    if not np.isfinite(n) or n < 0 or (n == 0 and not allow_zero):
        raise ConfigError(f"{name} must be a {'non-negative' if allow_zero else 'positive'} "
                          f"number of days, got {n!r}")  # fmt: skip
    return pd.Timedelta(days=n)


def _check_index(data: pd.Series | pd.DataFrame) -> None:
    if not isinstance(data, (pd.Series, pd.DataFrame)) or not isinstance(
        data.index, pd.DatetimeIndex
    ):
        raise DataError("event helpers need a pandas Series/DataFrame with a DatetimeIndex")
    if not data.index.is_monotonic_increasing:
        raise DataError("the index must be sorted by date (sort_index() first)")


def event_window(
    data: pd.Series | pd.DataFrame,
    day: str | pd.Timestamp,
    before: float = 30,
    after: float | None = None,
) -> pd.Series | pd.DataFrame:
    """Rows of ``data`` from ``before`` calendar days before ``day`` to ``after`` days after it.

    Parameters
    ----------
    data : pandas.Series or DataFrame
        Indexed by a sorted tz-naive ``DatetimeIndex`` (bar opening date, UTC).
    day : str or Timestamp
        The event day, e.g. ``"2020-03-12"``.
    before, after : float
        Calendar days on each side, both ends included; ``after`` defaults to ``before``.

    Returns
    -------
    pandas.Series or DataFrame
        The slice ``data.loc[day - before : day + after]`` (a view of the same type).

    Raises
    ------
    DataError
        If the index is not a sorted DatetimeIndex, or the window holds no row.
    ConfigError
        If ``day`` is not a date or ``before``/``after`` is negative.
    """
    _check_index(data)
    d = _day(day)
    lo = d - _days(before, "before")
    hi = d + _days(before if after is None else after, "after")
    out = data.loc[lo:hi]
    if out.empty:
        raise DataError(
            f"no row between {lo:%Y-%m-%d} and {hi:%Y-%m-%d}; data cover "
            f"{data.index.min():%Y-%m-%d} to {data.index.max():%Y-%m-%d}"
        )
    return out


def pre_event(
    data: pd.Series | pd.DataFrame, day: str | pd.Timestamp, lookback: float | None = None
) -> pd.Series | pd.DataFrame:
    """The history a forecast for ``day`` may use: rows strictly before ``day``.

    Parameters
    ----------
    data : pandas.Series or DataFrame
        Indexed by a sorted tz-naive ``DatetimeIndex``.
    day : str or Timestamp
        The event day; its own row is excluded (no look-ahead).
    lookback : float, optional
        Calendar days before ``day`` to keep (``365`` keeps ``day - 365`` to ``day - 1``);
        all the history if None.

    Returns
    -------
    pandas.Series or DataFrame

    Raises
    ------
    DataError
        If no row precedes ``day``.
    """
    _check_index(data)
    d = _day(day)
    hi = d - pd.Timedelta(days=1)
    lo = None if lookback is None else d - _days(lookback, "lookback", allow_zero=False)
    out = data.loc[lo:hi]
    if out.empty:
        raise DataError(f"no data before {d:%Y-%m-%d} (data start {data.index.min():%Y-%m-%d})")
    return out


def event_surprise(
    returns: pd.Series | pd.DataFrame,
    day: str | pd.Timestamp,
    lookback: float = 365,
    min_obs: int = 30,
) -> pd.DataFrame:
    """How extreme the return of ``day`` was against the history known the evening before.

    Parameters
    ----------
    returns : pandas.Series or DataFrame
        Daily log returns (fractions), one column per asset, sorted ``DatetimeIndex``.
    day : str or Timestamp
        The event day; it must be in the index.
    lookback : float
        Calendar days of history before ``day`` (default 365; the day itself is excluded).
    min_obs : int
        Fewest non-missing returns required in the history of each asset.

    Returns
    -------
    pandas.DataFrame
        One row per asset, columns ``log return``, ``simple return`` (``exp(r) - 1``),
        ``prior std`` (sample standard deviation, ``ddof=1``), ``sigmas`` (``r / prior std``),
        ``p normal`` (``Phi(sigmas)``: probability of a return this low under a zero-mean normal
        law with the prior std), ``p student-t`` (the same under a Student-t fitted to the
        history by maximum likelihood with ``scipy.stats.t.fit``), ``t df`` and ``n prior``.
        ``attrs`` records ``day`` and ``lookback``.

    Raises
    ------
    DataError
        If ``day`` is not in the index, its return is missing, or an asset has fewer than
        ``min_obs`` returns in the history.

    Notes
    -----
    The probabilities are lower-tail (a fall); for a rise read ``1 - p``. The history ends the
    day before ``day``, as a forecast made at the close of the previous day would.
    """
    frame = returns.to_frame() if isinstance(returns, pd.Series) else returns
    _check_index(frame)
    d = _day(day)
    if d not in frame.index:
        raise DataError(f"{d:%Y-%m-%d} is not in the returns index")
    prior = pre_event(frame, d, lookback)
    rows = {}
    for col in frame.columns:
        r = frame.at[d, col]
        if not np.isfinite(r):
            raise DataError(f"return of {col!r} on {d:%Y-%m-%d} is missing")
        hist = prior[col].dropna().to_numpy(dtype=float)
        if len(hist) < min_obs:
            raise DataError(
                f"{col!r}: {len(hist)} returns in the {lookback:g} days before "
                f"{d:%Y-%m-%d}, need at least {min_obs}"
            )
        sd = hist.std(ddof=1)
        df, loc, scale = stats.t.fit(hist)
        rows[col] = {
            "log return": r,
            "simple return": np.expm1(r),
            "prior std": sd,
            "sigmas": r / sd,
            "p normal": stats.norm.cdf(r / sd),
            "p student-t": stats.t.cdf(r, df, loc, scale),
            "t df": df,
            "n prior": len(hist),
        }
    out = pd.DataFrame(rows).T.rename_axis("asset")
    out["n prior"] = out["n prior"].astype(int)
    out.attrs.update(day=d, lookback=lookback)
    return out
