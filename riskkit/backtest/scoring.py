"""Scoring rules for VaR and ES forecasts and the Diebold-Mariano comparison of two models.

Lower scores are better. The quantile (tick) loss is strictly consistent for VaR; the FZ0 loss of
Patton, Ziegel and Chen (2019) is strictly consistent for the pair (VaR, ES), so averaging it
over a backtest ranks models by how well they forecast both.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import statsmodels.api as sm

from riskkit._validation import check_level
from riskkit.backtest.var_tests import TestResult, _result
from riskkit.exceptions import DataError

__all__ = ["quantile_loss", "fz0_loss", "diebold_mariano"]


def _arrays(*xs):
    arr = [np.asarray(x, dtype=float) for x in xs]
    if any(a.shape != arr[0].shape or a.ndim != 1 for a in arr):
        raise DataError(f"inputs must be aligned 1-d arrays, got shapes {[a.shape for a in arr]}")
    return arr


def _index_of(x):
    return x.index if isinstance(x, pd.Series) else None


def quantile_loss(losses, var, level: float) -> pd.Series | np.ndarray:
    """Quantile (tick) loss of VaR as a quantile of the loss: ``(level - 1{L > VaR}) (L - VaR)``.

    Written for losses L at level tau: ``(tau - 1{L > q}) (L - q)``, equal to the usual
    ``(1{y < v} - alpha)(v - y)`` with returns y = -L, v = -VaR, alpha = 1 - level. NaN rows
    stay NaN. Returns a Series if ``losses`` is one.

    Parameters
    ----------
    losses : array-like or pandas.Series
        Realised losses L (minus the returns: positive for a loss), 1-d.
    var : array-like
        VaR forecasts (positive loss numbers), aligned with ``losses`` by position.
    level : float
        Confidence level tau of the VaR, a fraction in (0, 1).

    Returns
    -------
    pandas.Series or numpy.ndarray
        Per-row score (lower is better). A Series named ``quantile_loss`` with the index of
        ``losses`` when ``losses`` is a Series, else an array.

    Raises
    ------
    DataError
        If ``losses`` and ``var`` are not 1-d arrays of the same shape.
    ConfigError
        If ``level`` is not in (0, 1).

    References
    ----------
    Koenker, R. and Bassett, G. (1978), "Regression quantiles", Econometrica 46, 33-50.
    """
    tau = check_level(level)
    loss, v = _arrays(losses, var)
    score = (tau - (loss > v)) * (loss - v)
    idx = _index_of(losses)
    return pd.Series(score, index=idx, name="quantile_loss") if idx is not None else score


def fz0_loss(losses, var, es, level: float) -> pd.Series | np.ndarray:
    """FZ0 joint loss of (VaR, ES) of Patton, Ziegel and Chen (2019), eq. (6).

    With returns y = -L, v = -VaR, e = -ES (both negative) and alpha = 1 - level:
    ``-1{y <= v}(v - y)/(alpha e) + v/e + log(-e) - 1``. Needs ES > 0.

    Parameters
    ----------
    losses : array-like or pandas.Series
        Realised losses L (minus the returns: positive for a loss), 1-d. NaN rows give NaN.
    var : array-like
        VaR forecasts (positive loss numbers), aligned with ``losses`` by position.
    es : array-like
        ES forecasts (positive loss numbers), aligned with ``losses`` by position.
    level : float
        Confidence level of the VaR and ES, a fraction in (0, 1).

    Returns
    -------
    pandas.Series or numpy.ndarray
        Per-row score (lower is better). A Series named ``fz0_loss`` with the index of
        ``losses`` when ``losses`` is a Series, else an array.

    Raises
    ------
    DataError
        If the inputs are not 1-d arrays of the same shape, or a finite ES forecast is <= 0.
    ConfigError
        If ``level`` is not in (0, 1).

    References
    ----------
    Patton, A. J., Ziegel, J. F. and Chen, R. (2019), "Dynamic semiparametric models for expected
    shortfall (and Value-at-Risk)", Journal of Econometrics 211, 388-413.
    """
    alpha = 1 - check_level(level)
    loss, v_, e_ = _arrays(losses, var, es)
    if np.any(e_[np.isfinite(e_)] <= 0):
        raise DataError("FZ0 loss needs positive ES forecasts")
    y, v, e = -loss, -v_, -e_
    score = -((y <= v) * (v - y)) / (alpha * e) + v / e + np.log(-e) - 1
    idx = _index_of(losses)
    return pd.Series(score, index=idx, name="fz0_loss") if idx is not None else score


def diebold_mariano(
    loss_a, loss_b, max_lags: int | None = None, test_level: float = 0.95
) -> TestResult:
    """Diebold-Mariano test of equal expected score of two forecasts, with Newey-West variance.

    Regresses ``d_t = loss_a_t - loss_b_t`` on a constant with a HAC (Bartlett-kernel)
    covariance from statsmodels; the statistic is the t-ratio of the mean, compared with N(0, 1),
    two-sided. Negative: model A scores better (lower). NaN rows are dropped.

    Parameters
    ----------
    loss_a, loss_b : array-like
        Per-day scores of the two models (e.g. :func:`fz0_loss`), aligned.
    max_lags : int, optional
        Newey-West truncation lag; default ``floor(4 (T/100)^(2/9))`` (Newey and West 1994).
        Use at least h-1 for h-day overlapping forecasts.

    References
    ----------
    Diebold, F. X. and Mariano, R. S. (1995), "Comparing predictive accuracy", Journal of
    Business and Economic Statistics 13, 253-263. Newey, W. K. and West, K. D. (1987).
    """
    a, b = _arrays(loss_a, loss_b)
    d = a - b
    d = d[np.isfinite(d)]
    if len(d) < 3:
        raise DataError(f"Diebold-Mariano needs at least 3 paired scores, got {len(d)}")
    lags = int(np.floor(4 * (len(d) / 100) ** (2 / 9))) if max_lags is None else int(max_lags)
    fit = sm.OLS(d, np.ones_like(d)).fit(cov_type="HAC", cov_kwds={"maxlags": lags})
    stat = float(fit.tvalues[0])
    return _result("diebold_mariano", stat, float(fit.pvalues[0]), test_level)
