"""Sample, rolling and EWMA (RiskMetrics) covariance and correlation, without look-ahead.

Time-varying estimates are *forecasts*: the value on date t uses returns up to t-1 only.
Pairwise results come as a DataFrame with one column per pair, named ``"A/B"``.
"""

from __future__ import annotations

from itertools import combinations

import numpy as np
import pandas as pd

from riskkit.exceptions import ConfigError, DataError
from riskkit.volatility.historical import ewma_filter

__all__ = [
    "sample_correlation",
    "rolling_correlation",
    "ewma_covariance",
    "ewma_correlation",
    "pairs_from_matrices",
]


def _frame(returns: pd.DataFrame, min_obs: int = 2) -> pd.DataFrame:
    if not isinstance(returns, pd.DataFrame) or returns.shape[1] < 2:
        raise DataError("correlation needs a DataFrame with at least two asset columns")
    if not np.isfinite(returns.to_numpy(dtype=float)).all():
        raise DataError("returns contain NaN or inf; align them first (align_returns)")
    if len(returns) < min_obs:
        raise DataError(f"correlation needs at least {min_obs} dates, got {len(returns)}")
    return returns.astype(float)


def pairs_from_matrices(mats: np.ndarray, columns: pd.Index, index: pd.Index) -> pd.DataFrame:
    """Upper-triangle entries of a stack of (T, N, N) matrices as a DataFrame, columns ``A/B``.

    Parameters
    ----------
    mats : ndarray, shape (T, N, N)
        Stack of matrices (e.g. correlation forecasts), one per date; only the strict upper
        triangle ``mats[:, i, j]``, ``i < j``, is read.
    columns : Index
        The ``N`` asset names, in the order of the matrices' rows and columns.
    index : Index
        The ``T`` row labels (dates) of the result.

    Returns
    -------
    DataFrame
        Indexed by ``index``; one column per pair ``i < j`` named ``f"{columns[i]}/{columns[j]}"``,
        in the order of :func:`itertools.combinations`. Nothing is validated: shapes must match.
    """
    pairs = list(combinations(range(len(columns)), 2))
    data = {f"{columns[i]}/{columns[j]}": mats[:, i, j] for i, j in pairs}
    return pd.DataFrame(data, index=index)


def sample_correlation(returns: pd.DataFrame) -> pd.DataFrame:
    """Sample (Pearson) correlation matrix over the whole sample."""
    return _frame(returns).corr()


def rolling_correlation(
    returns: pd.DataFrame, window: int, min_periods: int | None = None
) -> pd.DataFrame:
    """Rolling-window sample correlation, shifted one day: the value on t uses t-window..t-1.

    Parameters
    ----------
    returns : DataFrame
        Aligned returns (T x N, N >= 2), one column per asset, finite (no NaN).
    window : int
        Number of past observations in each window (integer >= 3).
    min_periods : int, optional
        Fewest observations in a window for a value; default (or 0) ``window``. With fewer, the
        first values use the expanding sample of past returns.

    Returns
    -------
    DataFrame
        Indexed like ``returns``; one column per pair (``"A/B"``, pairs in column order) of
        Pearson correlations; NaN on the first date and until ``min_periods`` past returns
        exist.

    Raises
    ------
    ConfigError
        If ``window`` is not an integer >= 3.
    DataError
        If ``returns`` is not a DataFrame with at least two columns, has NaN or inf, or has
        fewer than two rows.
    """
    if int(window) != window or window < 3:
        raise ConfigError(f"window must be an integer >= 3, got {window}")
    r = _frame(returns)
    out = {}
    cols = list(r.columns)
    for a, b in combinations(cols, 2):
        out[f"{a}/{b}"] = (
            r[a].rolling(window, min_periods=min_periods or window).corr(r[b]).shift(1)
        )
    return pd.DataFrame(out, index=r.index)


def ewma_covariance(returns: pd.DataFrame, lam: float = 0.94, seed_window: int = 30) -> np.ndarray:
    """RiskMetrics EWMA covariance forecasts ``S_t = lam S_{t-1} + (1 - lam) r_{t-1} r_{t-1}'``.

    Parameters
    ----------
    returns : DataFrame
        Aligned returns (T x N), zero mean assumed as in RiskMetrics.
    lam : float
        Decay (0.94 for daily data in RiskMetrics).
    seed_window : int
        ``S_0`` is the mean outer product of the first ``seed_window`` returns.

    Returns
    -------
    ndarray, shape (T + 1, N, N)
        ``S[t]`` is the forecast for date ``t`` from data up to ``t-1``; ``S[T]`` is the forecast
        for the day after the sample.

    References
    ----------
    J.P. Morgan/Reuters (1996), *RiskMetrics Technical Document*, 4th ed., section 5.2.
    """
    if not 0 < lam < 1:
        raise ConfigError(f"lam must be in (0, 1), got {lam}")
    r = _frame(returns).to_numpy()
    T, N = r.shape
    outer = r[:, :, None] * r[:, None, :]
    s0 = outer[: min(seed_window, T)].mean(axis=0)
    # the EWMA of riskkit (riskkit.volatility.ewma_filter) on each entry of the outer products
    return ewma_filter(outer, lam, s0)


def ewma_correlation(
    returns: pd.DataFrame, lam: float = 0.94, seed_window: int = 30
) -> pd.DataFrame:
    """RiskMetrics EWMA correlation forecasts per date (value on t uses data up to t-1).

    Parameters
    ----------
    returns : DataFrame
        Aligned returns (T x N, N >= 2), one column per asset, finite; zero mean assumed.
    lam : float
        Decay in (0, 1) (0.94 for daily data in RiskMetrics).
    seed_window : int
        The starting covariance is the mean outer product of the first ``seed_window`` returns.
        The forecasts for those first dates would use returns of the same or later dates, so
        they are NaN (no look-ahead).

    Returns
    -------
    DataFrame
        Indexed like ``returns``; one column per pair (``"A/B"``, pairs in column order): the
        EWMA correlation forecast for each date, from :func:`ewma_covariance` without its last
        (out-of-sample) matrix; NaN on the first ``seed_window`` dates.

    Raises
    ------
    ConfigError
        If ``lam`` is not in (0, 1).
    DataError
        If ``returns`` is not a DataFrame with at least two columns, has NaN or inf, or has
        fewer than two rows.

    References
    ----------
    J.P. Morgan/Reuters (1996), *RiskMetrics Technical Document*, 4th ed., section 5.2.
    """
    s = ewma_covariance(returns, lam, seed_window)[:-1]
    d = np.sqrt(np.einsum("tii->ti", s))
    corr = s / (d[:, :, None] * d[:, None, :])
    # the seed covariance uses returns 0 .. seed_window-1: forecasts before that would look ahead
    corr[: min(seed_window, len(corr))] = np.nan
    return pairs_from_matrices(corr, returns.columns, returns.index)
