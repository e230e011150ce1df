"""Historical volatility measures: close-to-close, EWMA and the OHLC range estimators.

Conventions: inputs are pandas objects with a DatetimeIndex; outputs keep it. A value at date t
uses data up to and including t (it is the estimate *after* observing day t, i.e. the forecast for
day t+1: shift by one before comparing it with day t+1's return). Volatilities are per period
unless ``periods_per_year`` is given, in which case they are multiplied by
``sqrt(periods_per_year)`` (365 for crypto, 252 for equities; there is no default).
"""

from __future__ import annotations

import math
from typing import Literal

import numpy as np
import pandas as pd
from scipy import signal

from riskkit._validation import as_return_series
from riskkit.exceptions import ConfigError, DataError
from riskkit.volatility.recursion import backcast

__all__ = [
    "annualize",
    "close_to_close",
    "ewma_filter",
    "ewma_variance",
    "ewma_volatility",
    "parkinson",
    "garman_klass",
    "rogers_satchell",
    "yang_zhang",
]


def annualize(vol: float | pd.Series | np.ndarray, periods_per_year: float):
    """Scale a per-period volatility to a yearly one: ``vol * sqrt(periods_per_year)``.

    Parameters
    ----------
    vol : float, Series or array
        Per-period volatility (standard deviation, fractions).
    periods_per_year : float
        365 for crypto daily data, 252 for equities (no default on purpose).
    """
    if periods_per_year is None or not np.isfinite(periods_per_year) or periods_per_year <= 0:
        raise ConfigError(f"periods_per_year must be a positive number, got {periods_per_year!r}")
    return vol * math.sqrt(periods_per_year)


def _maybe_annualize(vol, periods_per_year: float | None):
    return vol if periods_per_year is None else annualize(vol, periods_per_year)


def _check_window(window: int | None, n: int) -> None:
    if window is None:
        return
    if int(window) != window or window < 2:
        raise ConfigError(f"window must be an integer >= 2, got {window!r}")
    if window > n:
        raise DataError(f"window {window} is longer than the {n} observations given")


def close_to_close(
    returns: pd.Series,
    window: int | None = None,
    periods_per_year: float | None = None,
    demean: bool = True,
) -> float | pd.Series:
    """Standard deviation of returns (the close-to-close estimator).

    Parameters
    ----------
    returns : pandas.Series
        Log returns (fractions), no NaN.
    window : int, optional
        Rolling window length; ``None`` gives one number for the whole sample.
    periods_per_year : float, optional
        Annualise with ``sqrt(periods_per_year)``.
    demean : bool
        Subtract the (window) mean and divide by ``n - 1``; ``False`` uses the root mean square,
        the usual choice for daily risk where the mean is noise.

    Returns
    -------
    float or pandas.Series
    """
    r = as_return_series(returns, min_obs=2)
    _check_window(window, len(r))
    if window is None:
        x = r.to_numpy()
        vol = float(np.std(x, ddof=1)) if demean else float(np.sqrt(np.mean(x**2)))
    elif demean:
        vol = r.rolling(window).std(ddof=1)
    else:
        vol = np.sqrt((r**2).rolling(window).mean())
    if isinstance(vol, pd.Series):
        vol = vol.rename("close_to_close")
    return _maybe_annualize(vol, periods_per_year)


def ewma_filter(
    squares: np.ndarray, lam: float, initial: float | np.ndarray, axis: int = 0
) -> np.ndarray:
    """The EWMA recursion of riskkit, in forecast form: ``out[0] = initial`` and
    ``out[t + 1] = lam * out[t] + (1 - lam) * squares[t]``.

    Every exponentially weighted moving average in riskkit is this function: the variance of
    :func:`ewma_variance`, the covariance matrices of
    :func:`riskkit.portfolio.ewma_covariance`, the EWMA filter of DCC's univariate step and the
    volatility proxy of :func:`riskkit.options.calibrate_grid`.

    Parameters
    ----------
    squares : numpy.ndarray
        Squared returns (or outer products, flattened along the other axes), oldest first.
    lam : float
        Decay in (0, 1); not validated here.
    initial : float or numpy.ndarray
        ``out[0]``, the value before the first observation (broadcast over the other axes).
    axis : int
        Time axis of ``squares``.

    Returns
    -------
    numpy.ndarray
        One more element than ``squares`` along ``axis``: ``out[t]`` uses observations before
        ``t`` only (the forecast for ``t``); the last is the forecast after the sample.

    Notes
    -----
    One call to ``scipy.signal.lfilter`` (b = [1 - lam], a = [1, -lam]) started from
    ``lam * initial``. ``arch.univariate.volatility.ewma_recursion`` does the same for one
    series, but only in one dimension and starting from ``(1 - lam) b + lam b`` for a backcast
    ``b`` (not always equal to ``b`` in floating point), so riskkit keeps this form.
    """
    x = np.moveaxis(np.asarray(squares, dtype=float), axis, 0)
    s0 = np.broadcast_to(np.asarray(initial, dtype=float), x.shape[1:])
    zi = (lam * s0)[None]
    y, _ = signal.lfilter([1.0 - lam], [1.0, -lam], x, axis=0, zi=zi)
    return np.moveaxis(np.concatenate([s0[None], y], axis=0), 0, axis)


def ewma_variance(
    returns: pd.Series,
    lam: float = 0.94,
    init: Literal["sample", "first", "backcast"] | float = "sample",
    init_obs: int = 30,
    mask_warmup: bool = True,
) -> pd.Series:
    """Exponentially weighted moving average of squared returns (RiskMetrics 1996).

    ``s2_t = lam * s2_{t-1} + (1 - lam) * r_t^2``; the value at t uses returns up to t and is the
    variance forecast for t+1.

    Parameters
    ----------
    returns : pandas.Series
        Returns (fractions), no NaN; the mean is taken as zero, as in RiskMetrics.
    lam : float
        Decay in (0, 1). RiskMetrics: 0.94 daily, 0.97 monthly.
    init : {"sample", "first", "backcast"} or float
        Starting value ``s2_{-1}`` (before the first return): ``"sample"`` the mean of the first
        ``init_obs`` squared returns (the default); ``"first"`` the first squared return;
        ``"backcast"`` ``arch``'s weighted mean of the first 75 with weights ``0.94**i``; or a
        number. Its influence decays like ``lam**t`` (about 0.2% after 100 days at 0.94).
    init_obs : int
        Observations used by ``init="sample"``.
    mask_warmup : bool
        ``"sample"`` and ``"backcast"`` starting values use the first ``init_obs`` (75)
        returns, so the values before the last of them depend on later returns. With
        ``mask_warmup=True`` (default) those values are NaN, so that every value uses returns up
        to its own date only; ``False`` keeps them (as ``arch`` and RiskMetrics do in-sample).

    Returns
    -------
    pandas.Series
        Named ``ewma_variance``, same index as ``returns``.
    """
    if not 0.0 < lam < 1.0:
        raise ConfigError(f"lam must lie strictly between 0 and 1, got {lam!r}")
    r = as_return_series(returns, min_obs=2)
    x = r.to_numpy()
    seed_obs = 1  # returns the starting value uses
    if isinstance(init, int | float) and not isinstance(init, bool):
        s0 = float(init)
        if s0 < 0:
            raise ConfigError(f"init variance must be >= 0, got {init!r}")
        seed_obs = 0
    elif init == "sample":
        if init_obs < 1:
            raise ConfigError(f"init_obs must be >= 1, got {init_obs!r}")
        seed_obs = min(init_obs, len(x))
        s0 = float(np.mean(x[:seed_obs] ** 2))
    elif init == "first":
        s0 = float(x[0] ** 2)
    elif init == "backcast":
        seed_obs = min(75, len(x))  # arch's backcast window
        s0 = backcast(x)
    else:
        raise ConfigError(f"init must be 'sample', 'first', 'backcast' or a number, got {init!r}")
    s2 = ewma_filter(x**2, lam, s0)[1:]
    if mask_warmup and seed_obs > 1:
        s2[: seed_obs - 1] = np.nan
    return pd.Series(s2, index=r.index, name="ewma_variance")


def ewma_volatility(
    returns: pd.Series,
    lam: float = 0.94,
    init: Literal["sample", "first", "backcast"] | float = "sample",
    init_obs: int = 30,
    periods_per_year: float | None = None,
    mask_warmup: bool = True,
) -> pd.Series:
    """Square root of :func:`ewma_variance`, optionally annualised.

    ``s_t = sqrt(lam s_{t-1}^2 + (1 - lam) r_t^2)``: the value at t uses returns up to and
    including t and is the volatility forecast for t+1 (shift by one before comparing it with
    day t+1's return).

    Parameters
    ----------
    returns : pandas.Series
        Returns (fractions, log returns in riskkit), no NaN; the mean is taken as zero, as in
        RiskMetrics.
    lam : float
        Decay in (0, 1). RiskMetrics: 0.94 daily, 0.97 monthly.
    init : {"sample", "first", "backcast"} or float
        Starting *variance* before the first return; see :func:`ewma_variance`. With
        ``"sample"`` the start uses the first ``init_obs`` returns, so the earliest values
        would depend on returns after their date: see ``mask_warmup``.
    init_obs : int
        Observations used by ``init="sample"`` (>= 1).
    periods_per_year : float, optional
        Annualise with ``sqrt(periods_per_year)`` (365 for crypto, 252 for equities);
        ``None`` keeps the per-period volatility.
    mask_warmup : bool
        NaN for the values whose starting value uses later returns (default); see
        :func:`ewma_variance`.

    Returns
    -------
    pandas.Series
        Named ``ewma_volatility``, same index as ``returns``.

    Raises
    ------
    ConfigError
        If ``lam`` is not in (0, 1), ``init`` is not a known option or a number >= 0,
        ``init_obs < 1`` with ``init="sample"``, or ``periods_per_year`` is not positive.
    DataError
        If ``returns`` has fewer than two observations, a NaN or infinite value, or is not
        numeric and 1-d.

    References
    ----------
    J.P. Morgan/Reuters (1996), *RiskMetrics Technical Document*, 4th ed.
    """
    vol = np.sqrt(ewma_variance(returns, lam, init, init_obs, mask_warmup)).rename(
        "ewma_volatility"
    )
    return _maybe_annualize(vol, periods_per_year)


def _ohlc(ohlc: pd.DataFrame, need: tuple[str, ...]) -> dict[str, np.ndarray]:
    if not isinstance(ohlc, pd.DataFrame):
        raise DataError("expected a DataFrame with open/high/low/close columns")
    cols = {c.lower(): c for c in ohlc.columns}
    missing = [c for c in need if c not in cols]
    if missing:
        raise DataError(f"OHLC frame lacks column(s) {missing}; has {list(ohlc.columns)}")
    out = {}
    for c in need:
        v = ohlc[cols[c]].to_numpy(dtype=float)
        bad = ~np.isfinite(v) | (v <= 0)
        if bad.any():
            raise DataError(
                f"column {cols[c]!r} has {int(bad.sum())} missing or non-positive price(s) at "
                f"{list(ohlc.index[bad][:5])}"
            )
        out[c] = v
    hi, lo = out.get("high"), out.get("low")
    if hi is not None and lo is not None:
        bad = hi < lo
        for c in ("open", "close"):
            if c in out:
                bad |= (out[c] > hi * (1 + 1e-12)) | (out[c] < lo * (1 - 1e-12))
        if bad.any():
            raise DataError(
                f"inconsistent OHLC bars (high < low, or open/close outside [low, high]) at "
                f"{list(ohlc.index[bad][:5])}"
            )
    return out


def _finish(
    per_bar: np.ndarray,
    index: pd.Index,
    window: int | None,
    periods_per_year: float | None,
    name: str,
):
    s = pd.Series(per_bar, index=index, name=name)
    _check_window(window, int(s.notna().sum()))
    var = s.mean() if window is None else s.rolling(window).mean()
    vol = np.sqrt(var)
    if isinstance(vol, pd.Series):
        vol = vol.rename(name)
    else:
        vol = float(vol)
    return _maybe_annualize(vol, periods_per_year)


def parkinson(
    ohlc: pd.DataFrame, window: int | None = None, periods_per_year: float | None = None
) -> float | pd.Series:
    """Parkinson (1980) high-low range estimator: ``var = mean(ln(H/L)^2) / (4 ln 2)``.

    Parameters
    ----------
    ohlc : pandas.DataFrame
        Columns ``high`` and ``low`` (case-insensitive), positive prices.
    window : int, optional
        Rolling window; ``None`` for one number over the sample.
    periods_per_year : float, optional
        Annualise.

    Notes
    -----
    Unbiased for a driftless Brownian motion observed continuously; with discrete trading the
    observed range is too small and the estimate biased down. About 5 times as efficient as
    close-to-close. Ignores overnight jumps, which do not exist for 24/7 crypto markets.

    References
    ----------
    Parkinson, M. (1980). The extreme value method for estimating the variance of the rate of
    return. Journal of Business 53(1), 61-65.
    """
    d = _ohlc(ohlc, ("high", "low"))
    per_bar = np.log(d["high"] / d["low"]) ** 2 / (4.0 * math.log(2.0))
    return _finish(per_bar, ohlc.index, window, periods_per_year, "parkinson")


def garman_klass(
    ohlc: pd.DataFrame, window: int | None = None, periods_per_year: float | None = None
) -> float | pd.Series:
    """Garman-Klass (1980) estimator:
    ``var = mean(0.5 ln(H/L)^2 - (2 ln 2 - 1) ln(C/O)^2)``.

    Parameters
    ----------
    ohlc : pandas.DataFrame
        Columns ``open``, ``high``, ``low`` and ``close`` (case-insensitive) of each bar,
        finite positive prices with open and close inside ``[low, high]``.
    window : int, optional
        Rolling window in bars (integer >= 2); ``None`` gives one number over the whole sample.
    periods_per_year : float, optional
        Annualise with ``sqrt(periods_per_year)`` (365 for crypto daily bars, 252 for
        equities); ``None`` keeps the per-bar volatility.

    Returns
    -------
    float or pandas.Series
        Volatility (standard deviation of the log return, a fraction) per bar or annualised:
        a float for ``window=None``; otherwise a Series named ``"garman_klass"``, indexed like
        ``ohlc``, the rolling estimate over the bars up to and including each date (NaN for
        the first ``window - 1`` bars).

    Raises
    ------
    DataError
        If ``ohlc`` is not a DataFrame, lacks a column, has a missing or non-positive price or
        an inconsistent bar (high < low, or open/close outside [low, high]), or ``window``
        exceeds the number of bars.
    ConfigError
        If ``window`` is not an integer >= 2, or ``periods_per_year`` is not positive.

    Notes
    -----
    Assumes zero drift and no opening jump (true for 24/7 crypto: a bar opens at the previous
    close). About 7.4 times as efficient as close-to-close under Brownian motion.

    References
    ----------
    Garman, M. B., & Klass, M. J. (1980). On the estimation of security price volatilities from
    historical data. Journal of Business 53(1), 67-78.
    """
    d = _ohlc(ohlc, ("open", "high", "low", "close"))
    hl = np.log(d["high"] / d["low"])
    co = np.log(d["close"] / d["open"])
    per_bar = 0.5 * hl**2 - (2.0 * math.log(2.0) - 1.0) * co**2
    return _finish(per_bar, ohlc.index, window, periods_per_year, "garman_klass")


def rogers_satchell(
    ohlc: pd.DataFrame, window: int | None = None, periods_per_year: float | None = None
) -> float | pd.Series:
    """Rogers-Satchell (1991) drift-independent estimator:
    ``var = mean(ln(H/C) ln(H/O) + ln(L/C) ln(L/O))``.

    Parameters
    ----------
    ohlc : pandas.DataFrame
        Columns ``open``, ``high``, ``low`` and ``close`` (case-insensitive) of each bar,
        finite positive prices with open and close inside ``[low, high]``.
    window : int, optional
        Rolling window in bars (integer >= 2); ``None`` gives one number over the whole sample.
    periods_per_year : float, optional
        Annualise with ``sqrt(periods_per_year)`` (365 for crypto daily bars, 252 for
        equities); ``None`` keeps the per-bar volatility.

    Returns
    -------
    float or pandas.Series
        Volatility (standard deviation of the log return, a fraction) per bar or annualised:
        a float for ``window=None``; otherwise a Series named ``"rogers_satchell"``, indexed like
        ``ohlc``, the rolling estimate over the bars up to and including each date (NaN for
        the first ``window - 1`` bars).

    Raises
    ------
    DataError
        If ``ohlc`` is not a DataFrame, lacks a column, has a missing or non-positive price or
        an inconsistent bar (high < low, or open/close outside [low, high]), or ``window``
        exceeds the number of bars.
    ConfigError
        If ``window`` is not an integer >= 2, or ``periods_per_year`` is not positive.

    References
    ----------
    Rogers, L. C. G., & Satchell, S. E. (1991). Estimating variance from high, low and closing
    prices. Annals of Applied Probability 1(4), 504-512.
    """
    d = _ohlc(ohlc, ("open", "high", "low", "close"))
    per_bar = _rs_terms(d)
    return _finish(per_bar, ohlc.index, window, periods_per_year, "rogers_satchell")


def _rs_terms(d: dict[str, np.ndarray]) -> np.ndarray:
    h, lo, o, c = d["high"], d["low"], d["open"], d["close"]
    return np.log(h / c) * np.log(h / o) + np.log(lo / c) * np.log(lo / o)


def yang_zhang(
    ohlc: pd.DataFrame, window: int = 30, periods_per_year: float | None = None
) -> pd.Series:
    """Yang-Zhang (2000) estimator combining overnight, open-to-close and Rogers-Satchell terms.

    ``var = var_overnight + k var_open_close + (1 - k) var_RS`` with
    ``k = 0.34 / (1.34 + (n + 1) / (n - 1))``; the overnight return is ``ln(O_t / C_{t-1})``.

    Parameters
    ----------
    ohlc : pandas.DataFrame
        Columns open, high, low, close.
    window : int
        Rolling window ``n`` (sample variances use ``n - 1``); the first value needs ``n + 1``
        bars because of the overnight term.
    periods_per_year : float, optional
        Annualise.

    Notes
    -----
    Minimum-variance unbiased combination, robust to drift and opening jumps. For 24/7 crypto the
    overnight term is ~0 (each bar opens at the previous close) and the estimator is close to a
    weighted mean of open-to-close and Rogers-Satchell variances.

    References
    ----------
    Yang, D., & Zhang, Q. (2000). Drift-independent volatility estimation based on high, low,
    open, and close prices. Journal of Business 73(3), 477-492.
    """
    d = _ohlc(ohlc, ("open", "high", "low", "close"))
    if window is None or int(window) != window or window < 2:
        raise ConfigError(f"yang_zhang needs an integer window >= 2, got {window!r}")
    idx = ohlc.index
    overnight = pd.Series(np.log(d["open"][1:] / d["close"][:-1]), index=idx[1:])
    oc = pd.Series(np.log(d["close"] / d["open"]), index=idx)[1:]
    rs = pd.Series(_rs_terms(d), index=idx)[1:]
    if len(rs) < window:
        raise DataError(f"window {window} needs {window + 1} bars, got {len(idx)}")
    n = window
    k = 0.34 / (1.34 + (n + 1) / (n - 1))
    var = (
        overnight.rolling(n).var(ddof=1)
        + k * oc.rolling(n).var(ddof=1)
        + (1 - k) * rs.rolling(n).mean()
    )
    vol = np.sqrt(var).reindex(idx).rename("yang_zhang")
    return _maybe_annualize(vol, periods_per_year)
