"""Anti-procyclicality (APC) tools for a margin path and metrics of procyclicality.

Commission Delegated Regulation (EU) No 153/2013, Article 28(1), requires a CCP to use at least one
of three tools so that margins do not collapse in calm markets and then jump in a crisis:

(a) a **buffer** of at least 25% of the calculated margin, which may be temporarily exhausted
    when margins rise significantly (:func:`apc_buffer`);
(b) at least 25% **weight on stressed observations** in the lookback period: the VaR/ES of a
    weighted sample of the current window and the stressed period
    (:func:`weighted_sample_margin_path`, :func:`apc_weighted_sample`), as the article words it;
    the average of a current and a stressed *margin* (:func:`apc_stressed_weight`, with
    :func:`stressed_margin_path`) is kept as a named alternative;
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
from riskkit.exceptions import ConfigError, DataError
from riskkit.margin._common import as_margin_series, check_measure, empirical_measure
from riskkit.margin.rates import two_sided_rate
from riskkit.risk.closed_form import weighted_var_es

__all__ = [
    "APC_OPTIONS",
    "apc_buffer",
    "APC_STRESS_METHODS",
    "apc_stressed_weight",
    "apc_weighted_sample",
    "weighted_sample_measures",
    "weighted_sample_margin_path",
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
#: ways of giving weight to stressed observations (option (b)): the regulatory weighted sample
#: (:func:`weighted_sample_margin_path`) or the average of two margins (:func:`apc_stressed_weight`)
APC_STRESS_METHODS = ("weighted_sample", "average_margins")


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
    """Averaged margins, an alternative to Art. 28(1)(b): ``(1 - w) m_t + w s_t``.

    This is the ``"average_margins"`` method of option (b). The article asks for weight on
    stressed *observations* (:func:`weighted_sample_margin_path`, the ``"weighted_sample"``
    method); averaging two margins is not the same for a quantile or an Expected Shortfall: the
    tail of a weighted sample is dominated by its stressed observations, so the weighted-sample
    margin is usually the larger of the two.

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
    model; for a model linear in the sample (a variance) the two coincide, for a VaR or an ES
    they do not. The stressed margin is floored at the current one so that the weight can only
    raise margins.
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


def apc_weighted_sample(margin: pd.Series, sample_margin: pd.Series | float) -> pd.Series:
    """Weight on stressed observations, Art. 28(1)(b): the weighted-sample margin, never lower.

    Parameters
    ----------
    margin : Series
        Calculated margin rate path (positive fractions of notional), indexed by date.
    sample_margin : Series or float
        Margin computed on the weighted sample of current and stressed observations
        (:func:`weighted_sample_margin_path`), at the same horizon and for the same sides.
        A Series is reindexed on ``margin``'s index; dates where it is missing or NaN (before
        a stressed period exists) leave the margin unchanged.

    Returns
    -------
    Series
        Named ``"margin"``, indexed like ``margin``: ``max(m_t, s_t)``.

    Raises
    ------
    DataError
        If ``margin`` is empty or has a non-finite or non-positive value.

    Notes
    -----
    With the current observations rescaled to the model's measure (``model`` in
    :func:`weighted_sample_measures`) the weighted-sample margin equals the calculated one at
    weight 0; the maximum guards the dates where the model's current measure is above what the
    weighted sample gives (a volatility spike the stressed period has not seen), so that the
    weight, as in :func:`apc_stressed_weight`, can only raise margins.
    """
    m = as_margin_series(margin)
    if isinstance(sample_margin, pd.Series):
        s = sample_margin.reindex(m.index).astype(float).fillna(0.0)
    else:
        s = pd.Series(float(sample_margin), index=m.index)
    return pd.Series(np.fmax(m.to_numpy(), s.to_numpy()), index=m.index, name="margin")


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
    return two_sided_rate(long_x, short_x, horizon_days).rate


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


def _stressed_period_ends(hist: np.ndarray) -> np.ndarray:
    """Position ``e`` (exclusive end) of the stressed window known at each position, or -1.

    ``hist[t]`` is the margin of the window ending at ``t - 1``; the stressed window at ``t`` is
    the one with the largest margin among ``hist[:t + 1]`` (the earliest on a tie), the window
    whose margin :func:`stressed_margin_path` carries.
    """
    out = np.full(hist.shape[0], -1, dtype=np.int64)
    best, end = -np.inf, -1
    for t, v in enumerate(hist):
        if np.isfinite(v) and v > best:
            best, end = v, t
        out[t] = end
    return out


def weighted_sample_measures(
    returns: pd.Series,
    window: int,
    stress_window: int = 250,
    weight: float = 0.25,
    level: float = 0.99,
    measure: str = "es",
    horizon_days: float = 1.0,
    model: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """1-day VaR/ES of each side from a weighted sample of current and stressed observations.

    EMIR RTS 153/2013 Art. 28(1)(b) asks for "at least 25% weight to stressed observations in
    the lookback period". At each date t the sample is the current window (the last ``window``
    returns up to t-1), each observation with probability ``(1 - weight) / window``, and the
    stressed period known at t, each observation with probability ``weight / stress_window``;
    the VaR and ES of the long loss ``-r`` and of the short loss ``+r`` are those of this
    discrete distribution (:func:`riskkit.risk.closed_form.weighted_var_es`: lower quantile,
    exact tail average).

    Parameters
    ----------
    returns : Series
        Log returns (gains positive), indexed by date.
    window : int
        Observations in the current window (>= 2): the model's estimation window.
    stress_window : int
        Observations in the stressed period (>= 2).
    weight : float
        Total probability of the stressed observations, in [0, 1] (EMIR: at least 0.25).
    level : float
        Confidence level, a fraction in (0, 1).
    measure : {"es", "var"}
        Expected Shortfall or Value-at-Risk.
    horizon_days : float
        Margin period of risk in days (> 0); only used to pick the stressed period, as in
        :func:`stressed_margin_path` at that horizon.
    model : DataFrame, optional
        A risk model's 1-day measures of the same ``measure`` and ``level``, columns ``long``
        (of ``-r``) and ``short`` (of ``+r``), indexed by forecast dates that are dates of
        ``returns``. The current observations of each side are then rescaled so that their own
        measure equals the model's (see Notes), and the result is indexed like ``model``.

    Returns
    -------
    DataFrame
        Columns ``long`` and ``short``: 1-day VaR/ES of the log loss of each side from the
        weighted sample, indexed like ``returns`` (or ``model``); NaN before ``window`` returns
        and a complete stressed period exist, and where a model measure or the current window's
        own measure is not positive.

    Raises
    ------
    DataError
        If ``returns`` are invalid, or a date of ``model`` is not a date of ``returns``.
    ConfigError
        If a window, ``weight``, ``level`` or ``measure`` is invalid, or ``model`` lacks a
        ``long`` or ``short`` column.

    Notes
    -----
    **Stressed period.** The ``stress_window``-observation window, ending at or before t-1,
    with the largest historical two-sided margin at ``horizon_days``: the period whose margin
    :func:`stressed_margin_path` reports at t (the earliest such window on a tie). It may
    overlap the current window; its observations then count in both samples, with both
    weights.

    **A model's current observations.** A historical-simulation margin is the measure of the
    current window itself. A model (e.g. filtered historical simulation on a GARCH) forecasts
    a different current distribution; its current observations are taken as the window's
    losses ``l_i`` times ``k = x_model / x_window``, the ratio of the model's measure to the
    window's own (per side). VaR and ES are positively homogeneous, so at ``weight = 0`` the
    result is the model's measure exactly, and at ``weight = 1`` it is the stressed period's
    historical measure; in between it is the measure of a weighted sample, not an average of
    two measures. With :class:`riskkit.risk.HistoricalSimulation` on the same window, ``k = 1``.

    No look-ahead: the value at t uses returns up to t-1 only.

    References
    ----------
    Commission Delegated Regulation (EU) No 153/2013, Art. 28(1)(b). Acerbi, C. and Tasche, D.
    (2002), "On the coherence of expected shortfall", Journal of Banking & Finance 26(7).
    """
    r = as_return_series(returns)
    lv = check_level(level)
    meas = check_measure(measure)
    w_cur, w_st = int(window), int(stress_window)
    if w_cur < 2 or w_st < 2:
        raise ConfigError(
            f"window and stress_window must be >= 2, got {window!r} and {stress_window!r}"
        )
    wt = _check_fraction(weight, "weight", 0.0, 1.0)
    x = r.to_numpy()
    hist = historical_margin_path(r, w_st, lv, meas, horizon_days).to_numpy()
    ends = _stressed_period_ends(hist)
    col = 1 if meas == "es" else 0
    if model is None:
        index = r.index
        positions = np.arange(len(x))
        scale = np.ones((len(x), 2))
    else:
        missing = [c for c in ("long", "short") if c not in getattr(model, "columns", [])]
        if missing:
            raise ConfigError(f"model needs columns 'long' and 'short'; missing {missing}")
        index = model.index
        positions = r.index.get_indexer(index)
        if (positions < 0).any():
            bad = list(index[positions < 0][:5])
            raise DataError(f"model has dates that are not dates of returns: {bad}")
        scale = model[["long", "short"]].to_numpy(dtype=float)
    out = np.full((len(index), 2), np.nan)
    for i, t in enumerate(positions):
        e = ends[t]
        if t < w_cur or e < 0:
            continue
        current = x[t - w_cur : t]
        stressed = x[e - w_st : e]
        probs = np.concatenate([np.full(w_cur, (1.0 - wt) / w_cur), np.full(w_st, wt / w_st)])
        for j, sign in enumerate((-1.0, 1.0)):  # long loss -r, short loss +r
            cur_loss = sign * current
            if model is not None:
                own = weighted_var_es(cur_loss, None, (lv,))[0, col]
                k = scale[i, j] / own if own > 0 else np.nan
                if not (np.isfinite(k) and k > 0):
                    continue
                cur_loss = k * cur_loss
            sample = np.concatenate([cur_loss, sign * stressed])
            out[i, j] = weighted_var_es(sample, probs, (lv,))[0, col]
    frame = pd.DataFrame(out, index=index, columns=["long", "short"])
    frame.columns.name = "side"
    return frame


def weighted_sample_margin_path(
    returns: pd.Series,
    window: int,
    stress_window: int = 250,
    weight: float = 0.25,
    level: float = 0.99,
    measure: str = "es",
    horizon_days: float = 1.0,
    model: pd.DataFrame | None = None,
    sides: str = "both",
) -> pd.Series:
    """Margin rate from a weighted sample of current and stressed observations (Art. 28(1)(b)).

    The two-sided rate (:func:`riskkit.margin.two_sided_rate`) at ``horizon_days`` of the 1-day
    measures of :func:`weighted_sample_measures`, which documents every parameter but ``sides``.

    Parameters
    ----------
    returns, window, stress_window, weight, level, measure, horizon_days, model
        As in :func:`weighted_sample_measures`.
    sides : {"both", "long", "short"}
        Sides the margin covers (``"both"``: the larger of the two rates).

    Returns
    -------
    Series
        Named ``"sample_margin"``: margin rate (fraction of notional) for each date, NaN where
        :func:`weighted_sample_measures` is NaN.

    Raises
    ------
    DataError, ConfigError
        As in :func:`weighted_sample_measures`; ConfigError for an unknown ``sides``.
    """
    ms = weighted_sample_measures(
        returns, window, stress_window, weight, level, measure, horizon_days, model
    )
    rate = two_sided_rate(ms["long"], ms["short"], horizon_days).for_sides(sides)
    if sides == "both":  # a side without a measure must not leave the other side's rate alone
        rate = rate.where(ms.notna().all(axis=1))
    return rate.rename("sample_margin")


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
