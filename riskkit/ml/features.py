"""Features of the machine-learning VaR/ES models, built only from data before the forecast date.

The models of :mod:`riskkit.ml.quantile` learn the loss of period ``s`` from a row of features
``x_s``. Row ``s`` is built from the returns ``r[0], ..., r[s-1]`` and the exogenous bar data of
the bars before ``s`` only, never from bar ``s`` or later: the row for the forecast date ``t``
uses data up to ``t - 1`` (``tests/test_ml_features.py`` perturbs everything at and after
``t`` and checks that the features and the forecast for ``t`` do not move).

Two kinds of inputs:

* **from the returns window** (what every estimator of the protocol receives): last return,
  its absolute value and its negative part (leverage), HAR-type realised volatilities over 5
  and 22 periods (Corsi 2009: the square root of the mean squared return), and the GARCH
  volatility forecast itself (``sigma_s`` filtered with parameters fitted on the window);
* **exogenous bar data** (:func:`bar_features`): range estimators (Parkinson and
  Garman-Klass, from :mod:`riskkit.volatility.historical`), log volume relative to its own
  past, trade counts, realised volatility from intraday bars (:func:`realized_volatility`),
  perpetual funding rates and basis (:mod:`riskkit.data.perpetual`), each *lagged one bar*
  when it enters a row.

Sign convention: returns are log returns (fractions), positive for gains; the target is the
loss ``-sum(r[s:s+h])`` (positive = loss).

References
----------
Corsi, F. (2009), "A simple approximate long-memory model of realized volatility", Journal of
Financial Econometrics 7(2), 174-196.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from riskkit.exceptions import ConfigError, DataError

__all__ = [
    "RETURN_FEATURES",
    "FeatureSpec",
    "window_features",
    "targets",
    "bar_features",
    "realized_volatility",
    "feature_frame",
]

#: features computed from the returns window, in column order
RETURN_FEATURES = ("ret_lag1", "abs_lag1", "neg_lag1", "rv_5", "rv_22", "garch_vol")


@dataclass(frozen=True)
class FeatureSpec:
    """Which features a model uses.

    Attributes
    ----------
    returns : tuple of str
        Features from the returns window, a subset of :data:`RETURN_FEATURES`. ``garch_vol``
        needs a GARCH filter (the estimators fit one on each window).
    exogenous : bool
        Also use the columns of the exogenous bar table the estimator was bound to (see
        :class:`riskkit.ml.quantile.QuantileModel`), lagged one bar.
    """

    returns: tuple[str, ...] = RETURN_FEATURES
    exogenous: bool = True

    def __post_init__(self) -> None:
        bad = [f for f in self.returns if f not in RETURN_FEATURES]
        if bad:
            raise ConfigError(f"unknown return feature(s) {bad}; choose from {RETURN_FEATURES}")
        if not self.returns:
            raise ConfigError("FeatureSpec.returns must name at least one feature")

    @property
    def lookback(self) -> int:
        """Returns a row needs before it (the first ``lookback`` rows of a window are dropped)."""
        return 22 if "rv_22" in self.returns else (5 if "rv_5" in self.returns else 1)


def window_features(
    returns: np.ndarray,
    spec: FeatureSpec = FeatureSpec(),
    sigma: np.ndarray | None = None,
    exog: np.ndarray | None = None,
) -> np.ndarray:
    """Feature rows ``0..n`` of a window of ``n`` returns (row ``n`` is the forecast row).

    Parameters
    ----------
    returns : numpy.ndarray
        The window ``r[0..n-1]`` (log returns, oldest first).
    spec : FeatureSpec
    sigma : numpy.ndarray, optional
        GARCH volatility, length ``n + 1``: ``sigma[s]`` forecasts period ``s`` from
        ``r[:s]`` (the square root of :func:`riskkit.volatility.filter_variance`). Required
        when ``spec.returns`` holds ``garch_vol``.
    exog : numpy.ndarray, optional
        Exogenous bar data aligned with the window, shape ``(n, k)``: row ``i`` is known at the
        close of bar ``i``. Row ``s`` of the output takes ``exog[s - 1]``.

    Returns
    -------
    numpy.ndarray
        Shape ``(n + 1, n_features)``; row ``s`` depends on ``returns[:s]``, ``sigma[s]`` and
        ``exog[:s]`` only. Rows before ``spec.lookback`` hold NaN.
    """
    r = np.asarray(returns, dtype=float)
    n = r.shape[0]
    lag = np.full(n + 1, np.nan)
    lag[1:] = r
    cs2 = np.concatenate(([0.0], np.cumsum(r * r)))
    cols = []
    for name in spec.returns:
        if name == "ret_lag1":
            cols.append(lag)
        elif name == "abs_lag1":
            cols.append(np.abs(lag))
        elif name == "neg_lag1":
            cols.append(np.minimum(lag, 0.0))
        elif name in ("rv_5", "rv_22"):
            k = 5 if name == "rv_5" else 22
            rv = np.full(n + 1, np.nan)
            if n >= k:
                rv[k:] = np.sqrt(np.maximum(cs2[k:] - cs2[:-k], 0.0) / k)
            cols.append(rv)
        else:  # garch_vol
            if sigma is None or np.shape(sigma) != (n + 1,):
                raise ConfigError(
                    f"garch_vol needs the GARCH volatility path of length {n + 1}, got "
                    f"{None if sigma is None else np.shape(sigma)}"
                )
            cols.append(np.asarray(sigma, dtype=float))
    out = np.column_stack(cols)
    if exog is not None and spec.exogenous:
        e = np.asarray(exog, dtype=float)
        if e.ndim != 2 or e.shape[0] != n:
            raise DataError(f"exogenous block must have shape ({n}, k), got {e.shape}")
        lagged = np.full((n + 1, e.shape[1]), np.nan)
        lagged[1:] = e
        out = np.column_stack([out, lagged])
    out[: min(spec.lookback, n + 1)] = np.nan
    return out


def targets(returns: np.ndarray, horizon: int = 1) -> np.ndarray:
    """Loss targets ``y_s = -sum(r[s:s+h])`` for ``s = 0..n`` (NaN where the horizon runs past
    the window, so the forecast row ``n`` is always NaN)."""
    r = np.asarray(returns, dtype=float)
    n = r.shape[0]
    y = np.full(n + 1, np.nan)
    if n >= horizon:
        cs = np.concatenate(([0.0], np.cumsum(r)))
        y[: n - horizon + 1] = -(cs[horizon:] - cs[:-horizon])
    return y


def realized_volatility(intraday_close: pd.Series, freq: str = "1D") -> pd.Series:
    """Realised volatility per period from intraday closes: ``sqrt(sum of squared log returns)``.

    Parameters
    ----------
    intraday_close : pandas.Series
        Close prices of intraday bars (e.g. hourly), DatetimeIndex in UTC, increasing.
    freq : str
        Period to aggregate into (``"1D"``: UTC days, labelled by their start as riskkit's
        daily bars are).

    Returns
    -------
    pandas.Series
        Named ``realized_vol``; a period is known at its close. Returns across a missing bar
        are not dropped: resample first if bars are missing.
    """
    if not isinstance(intraday_close, pd.Series) or not isinstance(
        intraday_close.index, pd.DatetimeIndex
    ):
        raise DataError("intraday_close must be a pandas Series with a DatetimeIndex")
    px = intraday_close.astype(float)
    if (px <= 0).any() or px.isna().any():
        raise DataError("intraday_close has missing or non-positive prices")
    r = np.log(px).diff().dropna()
    return np.sqrt((r * r).resample(freq).sum(min_count=1)).rename("realized_vol")


def bar_features(
    ohlcv: pd.DataFrame,
    *,
    funding: pd.Series | None = None,
    basis: pd.Series | None = None,
    realized_vol: pd.Series | None = None,
    window: int = 5,
) -> pd.DataFrame:
    """Exogenous per-bar quantities, each known at the close of its bar.

    Parameters
    ----------
    ohlcv : pandas.DataFrame
        Bars with ``close`` and, where present, ``open``, ``high``, ``low`` (range
        estimators), ``volume`` and ``trades`` (trade count).
    funding, basis : pandas.Series, optional
        Perpetual funding rate and basis (:func:`riskkit.data.perpetual.basis`) per bar,
        aligned to the bars (a bar without a value takes the last earlier one).
    realized_vol : pandas.Series, optional
        Realised volatility per bar from intraday data (:func:`realized_volatility`).
    window : int
        Bars of the rolling Parkinson and Garman-Klass volatilities and of the volume average.

    Returns
    -------
    pandas.DataFrame
        Indexed like ``ohlcv``; columns among ``parkinson``, ``garman_klass``,
        ``log_volume_ratio`` (log volume minus its mean over the ``window`` bars before),
        ``log_trades``, ``realized_vol``, ``funding``, ``basis``. Leading rows without enough
        history hold NaN; the estimator drops those rows from training. The feature builder
        lags every column one bar.
    """
    from riskkit.volatility.historical import garman_klass, parkinson

    if not isinstance(ohlcv, pd.DataFrame) or "close" not in ohlcv.columns:
        raise DataError("bar_features needs a DataFrame of bars with a 'close' column")
    out = pd.DataFrame(index=ohlcv.index)
    if {"open", "high", "low"} <= set(ohlcv.columns):
        out["parkinson"] = parkinson(ohlcv, window=window)
        out["garman_klass"] = garman_klass(ohlcv, window=window)
    if "volume" in ohlcv.columns:
        lv = np.log(ohlcv["volume"].astype(float).clip(lower=1e-12))
        out["log_volume_ratio"] = lv - lv.rolling(window).mean().shift(1)
    if "trades" in ohlcv.columns:
        out["log_trades"] = np.log1p(ohlcv["trades"].astype(float))
    for name, s in (("realized_vol", realized_vol), ("funding", funding), ("basis", basis)):
        if s is not None:
            if not isinstance(s, pd.Series):
                raise DataError(f"{name} must be a pandas Series indexed by bar time")
            out[name] = s.astype(float).reindex(ohlcv.index, method="ffill")
    return out


def feature_frame(
    returns: pd.Series,
    spec: FeatureSpec = FeatureSpec(),
    sigma: pd.Series | np.ndarray | None = None,
    exog: pd.DataFrame | None = None,
    columns: Sequence[str] | None = None,
) -> pd.DataFrame:
    """The feature rows of :func:`window_features` as a dated table (for inspection).

    Row ``t`` of the result holds the features of the forecast for date ``t`` (built from data
    before ``t``); the row of the period after the last return has no date and is left out.
    ``sigma`` has one value per return date (``sigma[t]`` is the forecast for ``t``),
    optionally followed by the one for the period after.
    """
    r = returns.to_numpy(dtype=float)
    n = len(r)
    sig = None
    if sigma is not None:
        sig = np.asarray(sigma, dtype=float)
        if sig.shape == (n,):
            sig = np.append(sig, np.nan)
    ex = None if exog is None else exog.reindex(returns.index).to_numpy(dtype=float)
    rows = window_features(r, spec, sig, ex)[:n]
    names = list(spec.returns)
    if ex is not None and spec.exogenous:
        names += list(columns or exog.columns)
    return pd.DataFrame(rows, index=returns.index, columns=names)
