"""Anti-procyclicality (APC) tools for a margin path and metrics of procyclicality.

Commission Delegated Regulation (EU) No 153/2013, Article 28(1), requires a CCP to use at least one
of three tools so that margins do not collapse in calm markets and then jump in a crisis:

(a) a **buffer** of at least 25% of the calculated margin, which may be temporarily exhausted
    when margins rise significantly (:func:`apc_buffer`);
(b) at least 25% **weight on stressed observations** in the lookback period
    (:func:`apc_stressed_weight`, with :func:`stressed_margin_path`);
(c) a **floor** at the margin computed from a 10-year lookback (:func:`apc_floor`, with
    :func:`long_lookback_margin`).

:func:`cap_daily_change` adds an optional limit on day-to-day changes. Every function takes a
margin path (a Series of rates indexed by date) and returns the charged path; no function looks
ahead: the value for date t uses data up to t-1.

References
----------
Commission Delegated Regulation (EU) No 153/2013, Article 28 (anti-procyclicality).
ESMA (2023), *Final report on the review of RTS 153/2013 with respect to procyclicality*,
ESMA91-1505572268-3217.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd

from riskkit._validation import as_return_series, check_level
from riskkit.exceptions import ConfigError
from riskkit.margin._common import as_margin_series, check_measure, empirical_measure
from riskkit.margin.rates import loss_fraction, scale_to_horizon

__all__ = [
    "APC_OPTIONS",
    "apc_buffer",
    "apc_stressed_weight",
    "apc_floor",
    "cap_daily_change",
    "historical_margin_path",
    "stressed_margin_path",
    "long_lookback_margin",
    "find_stressed_period",
    "procyclicality_metrics",
    "compare_paths",
]

APC_OPTIONS = ("none", "buffer", "stressed_weight", "floor")


def _check_fraction(value: float, name: str, lo: float = 0.0, hi: float = np.inf) -> float:
    v = float(value)
    if np.isnan(v) or not lo <= v <= hi:
        raise ConfigError(f"{name} must lie in [{lo:g}, {hi:g}], got {value!r}")
    return v


def apc_buffer(
    margin: pd.Series,
    buffer: float = 0.25,
    release_threshold: float = 0.25,
    release_lookback: int = 5,
    rebuild_rate: float = 0.05,
) -> pd.Series:
    """Margin buffer of Art. 28(1)(a): charge ``(1 + buffer)`` times the calculated margin.

    Parameters
    ----------
    margin : Series
        Calculated (raw) margin rate path.
    buffer : float
        Buffer as a fraction of the calculated margin (EMIR: at least 0.25).
    release_threshold : float
        The buffer is *released* on a day when the calculated margin exceeds its value
        ``release_lookback`` observations earlier by more than this fraction (0.25 = +25%).
    release_lookback : int
        Observations over which a sharp rise is measured.
    rebuild_rate : float
        Largest daily relative increase of the charged margin while the buffer is being rebuilt.

    Returns
    -------
    Series
        Charged margin path, never below the calculated margin.

    Notes
    -----
    Release rule, with ``m`` the calculated margin, ``c`` the charged margin and
    ``T = (1 + buffer) m`` the target:

    * on a *release* day (sharp rise), the charged margin rises only as much as needed to cover
      the calculated margin: ``c_t = max(m_t, min(T_t, c_{t-1}))``. The buffer absorbs the rise.
    * otherwise the buffer is rebuilt gradually: ``c_t = max(m_t, min(T_t, c_{t-1} (1 +
      rebuild_rate)))``, so ending a release does not create the jump the buffer was meant to
      prevent. Falls in the target pass through at once.

    On the first day ``c_0 = T_0``. With ``release_threshold = inf`` and ``rebuild_rate = inf``
    the rule is the plain ``c = (1 + buffer) m``.
    """
    m = as_margin_series(margin)
    b = _check_fraction(buffer, "buffer")
    thr = _check_fraction(release_threshold, "release_threshold")
    g = _check_fraction(rebuild_rate, "rebuild_rate")
    if int(release_lookback) < 1:
        raise ConfigError(f"release_lookback must be >= 1, got {release_lookback!r}")
    lag = int(release_lookback)
    x = m.to_numpy()
    target = (1.0 + b) * x
    out = np.empty_like(x)
    out[0] = target[0]
    for t in range(1, len(x)):
        prev = out[t - 1]
        base = x[max(t - lag, 0)]
        release = x[t] > base * (1.0 + thr)
        ceiling = prev if release else prev * (1.0 + g)
        out[t] = max(x[t], min(target[t], ceiling))
    return pd.Series(out, index=m.index, name="margin")


def apc_stressed_weight(
    margin: pd.Series, stressed_margin: pd.Series | float, weight: float = 0.25
) -> pd.Series:
    """Weight on stressed observations, Art. 28(1)(b): ``(1 - w) m_t + w s_t``.

    Parameters
    ----------
    margin : Series
        Calculated margin from the ordinary lookback window.
    stressed_margin : Series or float
        Margin computed on the stressed period known at each date (see
        :func:`stressed_margin_path`); aligned on ``margin``'s index.
    weight : float
        Weight of the stressed margin (EMIR: at least 0.25).

    Returns
    -------
    Series

    Notes
    -----
    Mixing the two margins rather than the two samples keeps the rule independent of the risk
    model; for a model linear in the sample (a variance) the two coincide. The stressed margin is
    floored at the current one so that the weight can only raise margins.
    """
    m = as_margin_series(margin)
    w = _check_fraction(weight, "weight", 0.0, 1.0)
    if isinstance(stressed_margin, pd.Series):
        s = stressed_margin.reindex(m.index).astype(float)
        if s.isna().any():
            missing = list(m.index[s.isna().to_numpy()][:5])
            raise ConfigError(f"stressed_margin is missing on {missing}")
    else:
        s = pd.Series(float(stressed_margin), index=m.index)
    # a stressed margin below the current one must not pull the margin down
    s = np.maximum(s, m)
    return ((1.0 - w) * m + w * s).rename("margin")


def apc_floor(margin: pd.Series, floor_margin: pd.Series | float) -> pd.Series:
    """Floor of Art. 28(1)(c): ``max(m_t, f_t)`` with ``f`` from a 10-year (or all) lookback.

    Parameters
    ----------
    margin : Series
        Calculated margin rate path (positive fractions of notional), indexed by date.
    floor_margin : Series or float
        Floor rate: a Series (e.g. from :func:`long_lookback_margin`) is reindexed on
        ``margin``'s index, and dates where it is missing or NaN get no floor (filled with 0);
        a float is one constant floor for every date.

    Returns
    -------
    Series
        Named ``"margin"``, indexed like ``margin``: the element-wise maximum of the margin and
        the floor.

    Raises
    ------
    DataError
        If ``margin`` is empty or has a non-finite or non-positive value.
    """
    m = as_margin_series(margin)
    if isinstance(floor_margin, pd.Series):
        f = floor_margin.reindex(m.index).astype(float).fillna(0.0)
    else:
        f = pd.Series(float(floor_margin), index=m.index)
    return pd.Series(np.maximum(m.to_numpy(), f.to_numpy()), index=m.index, name="margin")


def cap_daily_change(
    margin: pd.Series, max_increase: float | None = None, max_decrease: float | None = None
) -> pd.Series:
    """Limit the relative change of the charged margin from one observation to the next.

    ``c_t = clip(m_t, c_{t-1} (1 - max_decrease), c_{t-1} (1 + max_increase))``. Capping
    increases trades coverage for stability (the margin lags a jump in risk); capping decreases
    holds margin up after a crisis. ``None`` means no limit on that side.

    Parameters
    ----------
    margin : Series
        Margin rate path (positive fractions of notional), indexed by date.
    max_increase : float or None
        Largest relative increase from one observation to the next, as a fraction
        (0.1 = +10%); must be >= 0. ``None``: no cap on increases.
    max_decrease : float or None
        Largest relative decrease from one observation to the next, as a fraction in [0, 1]
        (0.1 = -10%). ``None``: no cap on decreases.

    Returns
    -------
    Series
        Named ``"margin"``, indexed like ``margin``. The first value equals ``margin``'s first
        value; later values follow the recursion above, so the capped path may stay above (or
        below) the input for several observations after a jump.

    Raises
    ------
    DataError
        If ``margin`` is empty or has a non-finite or non-positive value.
    ConfigError
        If ``max_increase`` is negative or NaN, or ``max_decrease`` lies outside [0, 1].
    """
    m = as_margin_series(margin)
    up = np.inf if max_increase is None else _check_fraction(max_increase, "max_increase")
    down = 1.0 if max_decrease is None else _check_fraction(max_decrease, "max_decrease", 0, 1)
    x = m.to_numpy()
    out = np.empty_like(x)
    out[0] = x[0]
    for t in range(1, len(x)):
        out[t] = min(max(x[t], out[t - 1] * (1.0 - down)), out[t - 1] * (1.0 + up))
    return pd.Series(out, index=m.index, name="margin")


def _two_sided_window_rate(
    window: np.ndarray, level: float, measure: str, horizon_days: float
) -> float:
    long_x = empirical_measure(-window, level, measure)
    short_x = empirical_measure(window, level, measure)
    lo = loss_fraction(scale_to_horizon(long_x, horizon_days), "long")
    sh = loss_fraction(scale_to_horizon(short_x, horizon_days), "short")
    return float(max(lo, sh))


def historical_margin_path(
    returns: pd.Series,
    window: int,
    level: float = 0.99,
    measure: str = "es",
    horizon_days: float = 1.0,
    min_obs: int | None = None,
) -> pd.Series:
    """Two-sided margin rate by historical simulation on the last ``window`` returns.

    The value dated t uses returns up to t-1 (no look-ahead). With ``min_obs < window`` the
    window grows from ``min_obs`` observations to ``window`` (useful for an expanding
    all-available lookback).

    Parameters
    ----------
    returns : Series
        Daily log returns (gains positive).
    window : int
        Largest number of past returns used for each date (>= 2).
    level : float
        Confidence level, a fraction in (0, 1).
    measure : {"es", "var"}
        Empirical Expected Shortfall or Value-at-Risk of the window (case-insensitive).
    horizon_days : float
        Margin period of risk in days (> 0); the 1-day measure is scaled by
        ``sqrt(horizon_days)``.
    min_obs : int, optional
        Fewest past returns needed for a value, ``2 <= min_obs <= window``; default ``window``.

    Returns
    -------
    Series
        Named ``"margin"``, indexed like ``returns``; NaN where fewer than ``min_obs`` past
        returns exist. Each value is the two-sided rate on notional,
        ``max(1 - exp(-x_long sqrt(h)), exp(x_short sqrt(h)) - 1)``, with ``x_long`` the
        empirical VaR/ES of ``-r`` and ``x_short`` that of ``+r`` over the window.

    Raises
    ------
    DataError
        If ``returns`` are invalid (see :func:`riskkit._validation.as_return_series`).
    ConfigError
        If ``level``, ``measure`` or ``horizon_days`` is invalid, or unless
        ``2 <= min_obs <= window``.
    """
    r = as_return_series(returns)
    lv = check_level(level)
    meas = check_measure(measure)
    w = int(window)
    k = w if min_obs is None else int(min_obs)
    if w < 2 or k < 2 or k > w:
        raise ConfigError(f"need 2 <= min_obs <= window, got window={window}, min_obs={min_obs}")
    x = r.to_numpy()
    out = np.full(len(x), np.nan)
    for t in range(k, len(x)):
        out[t] = _two_sided_window_rate(x[max(0, t - w) : t], lv, meas, horizon_days)
    return pd.Series(out, index=r.index, name="margin")


def stressed_margin_path(
    returns: pd.Series,
    window: int = 250,
    level: float = 0.99,
    measure: str = "es",
    horizon_days: float = 1.0,
) -> pd.Series:
    """Margin of the most stressed ``window``-day period observed before each date.

    The stressed period at date t is the past window (ending at or before t-1) with the highest
    historical two-sided margin, so the series is the running maximum of
    :func:`historical_margin_path`: it never looks ahead and only rises as new crises enter the
    history (e.g. March 2020).

    Parameters
    ----------
    returns : Series
        Daily log returns (gains positive).
    window : int
        Length of the stressed period in observations (>= 2).
    level : float
        Confidence level, a fraction in (0, 1).
    measure : {"es", "var"}
        Empirical Expected Shortfall or Value-at-Risk of each window.
    horizon_days : float
        Margin period of risk in days (> 0), reached by square-root-of-time scaling.

    Returns
    -------
    Series
        Named ``"stressed_margin"``, indexed like ``returns``: the running maximum of the
        two-sided ``window``-day historical margin rate (fraction of notional); NaN for the
        first ``window`` dates.

    Raises
    ------
    DataError, ConfigError
        As in :func:`historical_margin_path`.
    """
    hist = historical_margin_path(returns, window, level, measure, horizon_days)
    return hist.cummax().rename("stressed_margin")


def long_lookback_margin(
    returns: pd.Series,
    lookback: int = 3650,
    level: float = 0.99,
    measure: str = "es",
    horizon_days: float = 1.0,
    min_obs: int = 250,
) -> pd.Series:
    """Margin from a long lookback (Art. 28(1)(c): 10 years = 3,650 crypto days, or all available).

    Historical simulation over the last ``lookback`` returns, on all available history while it is
    shorter than that (at least ``min_obs``).

    Parameters
    ----------
    returns : Series
        Daily log returns (gains positive).
    lookback : int
        Largest number of past returns used (3650 = 10 years of crypto days).
    level : float
        Confidence level, a fraction in (0, 1).
    measure : {"es", "var"}
        Empirical Expected Shortfall or Value-at-Risk.
    horizon_days : float
        Margin period of risk in days (> 0), reached by square-root-of-time scaling.
    min_obs : int
        Fewest past returns needed for a value, ``2 <= min_obs <= lookback``.

    Returns
    -------
    Series
        Named ``"floor_margin"``, indexed like ``returns``: two-sided margin rate (fraction of
        notional) for each date from returns up to the day before; NaN for the first
        ``min_obs`` dates.

    Raises
    ------
    DataError, ConfigError
        As in :func:`historical_margin_path`.
    """
    return historical_margin_path(
        returns, lookback, level, measure, horizon_days, min_obs=min_obs
    ).rename("floor_margin")


def find_stressed_period(
    returns: pd.Series,
    window: int = 250,
    level: float = 0.99,
    measure: str = "es",
    criterion: str = "volatility",
) -> tuple[pd.Timestamp, pd.Timestamp, float]:
    """The ``window``-observation period of ``returns`` that was most stressed.

    Parameters
    ----------
    returns : Series
        Daily log returns.
    window : int
        Length of the stressed period in observations.
    level, measure
        Used for the margin of the period.
    criterion : {"volatility", "margin"}
        ``"volatility"`` picks the window with the largest realised variance (every day of the
        window counts, so the choice is unique); ``"margin"`` the one with the largest historical
        two-sided margin (at 99% this depends on the two or three worst days only, so many
        overlapping windows tie; the earliest is returned).

    Returns
    -------
    (start, end, margin)
        First and last date of the stressed window, and its 1-day two-sided margin rate.
    """
    w = int(window)
    r = as_return_series(returns, min_obs=w)
    meas = check_measure(measure)
    lv = check_level(level)
    x = r.to_numpy()
    if criterion == "volatility":
        score = np.convolve(x**2, np.ones(w), mode="valid")
    elif criterion == "margin":
        score = np.array(
            [_two_sided_window_rate(x[i : i + w], lv, meas, 1.0) for i in range(len(x) - w + 1)]
        )
    else:
        raise ConfigError(f"criterion must be 'volatility' or 'margin', got {criterion!r}")
    i = int(np.argmax(score))
    rate = _two_sided_window_rate(x[i : i + w], lv, meas, 1.0)
    return r.index[i], r.index[i + w - 1], rate


def procyclicality_metrics(margin: pd.Series, horizons: tuple[int, ...] = (1, 5, 30)) -> pd.Series:
    """Procyclicality metrics of a margin path.

    Parameters
    ----------
    margin : Series
        Margin rate path (positive fractions of notional); NaN values are dropped first.
    horizons : tuple of int
        Numbers of observations ``k`` over which the largest increase is measured.

    Returns
    -------
    Series
        Named like ``margin``, with index ``peak_to_trough``, ``max_increase_{k}d`` for each
        ``k`` in ``horizons`` (in that order) and ``mean``. ``peak_to_trough``: maximum over minimum of the path; ``max_increase_{k}d``: largest
        relative increase over ``k`` observations, ``max_t m_t / m_{t-k} - 1``; ``mean``: average
        margin (the cost of the path to members). ``max_increase_{k}d`` is NaN when the path
        has ``k`` or fewer observations. The shift is by observations, not calendar days.

    Raises
    ------
    DataError
        If ``margin`` is empty after dropping NaN, or has an infinite or non-positive value.

    References
    ----------
    Murphy, D., Vasios, M. and Vause, N. (2014), "An investigation into the procyclicality of
    risk-based initial margin models", Bank of England Financial Stability Paper No. 29 (defines
    the peak-to-trough ratio and n-day procyclicality). BCBS-CPMI-IOSCO (2022), *Review of
    margining practices*.
    """
    m = as_margin_series(margin.dropna() if isinstance(margin, pd.Series) else margin)
    out = {"peak_to_trough": float(m.max() / m.min())}
    for k in horizons:
        ratio = m / m.shift(int(k)) - 1.0
        out[f"max_increase_{int(k)}d"] = float(ratio.max()) if ratio.notna().any() else np.nan
    out["mean"] = float(m.mean())
    return pd.Series(out, name=margin.name if isinstance(margin, pd.Series) else None)


def compare_paths(paths: Mapping[str, pd.Series], horizons=(1, 5, 30)) -> pd.DataFrame:
    """Side-by-side :func:`procyclicality_metrics` table, one row per margin path.

    Parameters
    ----------
    paths : Mapping of str to Series
        Margin rate paths (positive fractions of notional) keyed by a label.
    horizons : tuple of int
        Passed to :func:`procyclicality_metrics`.

    Returns
    -------
    DataFrame
        Index ``path`` (the keys of ``paths``, in order); columns ``peak_to_trough``,
        ``max_increase_{k}d`` for each ``k`` in ``horizons`` and ``mean``.

    Raises
    ------
    DataError
        If a path is empty after dropping NaN, or has an infinite or non-positive value.
    """
    return pd.DataFrame(
        {name: procyclicality_metrics(p, horizons) for name, p in paths.items()}
    ).T.rename_axis("path")
