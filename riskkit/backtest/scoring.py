"""Scoring rules for VaR and ES forecasts and the Diebold-Mariano comparison of two models.

Lower scores are better. The quantile (tick) loss is strictly consistent for VaR (Gneiting 2011);
the FZ0 loss of Patton, Ziegel and Chen (2019), a member of the Fissler-Ziegel (2016) class, is
strictly consistent for the pair (VaR, ES), so averaging it over a backtest ranks models by how
well they forecast both. Both are checked by simulation in ``tests/test_backtest.py``: their
expectation is smallest at the true quantile and the true (VaR, ES) pair.
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
    """Quantile (tick, pinball) loss of VaR as a quantile of the loss L at level tau.

    ``S(VaR, L) = (1{L > VaR} - (1 - tau)) (L - VaR)``, equivalently
    ``(tau - 1{L <= VaR}) (L - VaR)``: a loss above VaR costs ``tau (L - VaR)``, a loss below it
    ``(1 - tau) (VaR - L)``. The score is never negative and its expectation is smallest when
    VaR is the tau-quantile of L (strict consistency; Gneiting 2011, the piecewise linear
    scoring function of a quantile). Written for returns y = -L, the alpha-quantile x = -VaR and
    alpha = 1 - tau it is Gneiting's ``(1{x >= y} - alpha) (x - y)``; at ``L = VaR`` the score is
    0 whichever side the indicator takes. NaN rows stay NaN.

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
        Per-row score (lower is better, never negative). A Series named ``quantile_loss`` with
        the index of ``losses`` when ``losses`` is a Series, else an array.

    Raises
    ------
    DataError
        If ``losses`` and ``var`` are not 1-d arrays of the same shape.
    ConfigError
        If ``level`` is not in (0, 1).

    Notes
    -----
    riskkit before issue 18 computed ``(tau - 1{L > VaR})(L - VaR)``, which is this score minus
    ``|L - VaR|``: not a consistent scoring function (its mean kept falling as VaR grew, so
    the largest VaR scored best).

    References
    ----------
    Koenker, R. and Bassett, G. (1978), "Regression quantiles", Econometrica 46, 33-50.
    Gneiting, T. (2011), "Making and evaluating point forecasts", Journal of the American
    Statistical Association 106, 746-762.
    """
    tau = check_level(level)
    loss, v = _arrays(losses, var)
    with np.errstate(invalid="ignore"):
        score = ((loss > v) - (1.0 - tau)) * (loss - v)
    idx = _index_of(losses)
    return pd.Series(score, index=idx, name="quantile_loss") if idx is not None else score


def fz0_loss(losses, var, es, level: float) -> pd.Series | np.ndarray:
    """FZ0 joint loss of (VaR, ES) of Patton, Ziegel and Chen (2019), eq. (6).

    With returns y = -L, v = -VaR, e = -ES (both negative) and alpha = 1 - level:
    ``-1{y <= v}(v - y)/(alpha e) + v/e + log(-e) - 1``. Needs ES > 0. It is the member of the
    Fissler-Ziegel (2016) class of strictly consistent scoring functions for (VaR, ES) with
    ``G1 = 0`` and ``G2(e) = -1/e``, the only one (up to scale) whose score differences do not
    depend on the units of the losses (Patton, Ziegel and Chen 2019); its
    expectation is smallest at the true pair whenever the true ES is positive. The value can be
    negative: only differences between models are meaningful.

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
    Fissler, T. and Ziegel, J. F. (2016), "Higher order elicitability and Osband's principle",
    Annals of Statistics 44, 1680-1707.
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
    two-sided. Negative: model A scores better (lower). NaN rows are dropped. Diebold and
    Mariano (1995) estimate the long-run variance with a truncated (uniform) kernel of h-1 lags;
    the Newey-West (Bartlett) weights used here keep it positive. No Harvey-Leybourne-Newbold
    small-sample correction is applied. Meaningful only for a consistent score, such as
    :func:`quantile_loss` for VaR or :func:`fz0_loss` for (VaR, ES): with another loss the
    test can favour the worse forecast.

    Parameters
    ----------
    loss_a, loss_b : array-like
        Per-day scores of the two models (e.g. :func:`fz0_loss`), aligned.
    max_lags : int, optional
        Newey-West truncation lag; default ``floor(4 (T/100)^(2/9))`` (Newey and West 1994).
        Use at least h-1 for h-day overlapping forecasts.
    test_level : float
        Confidence level of the two-sided test (0.95 rejects at the 5% significance level).

    Returns
    -------
    TestResult
        ``test`` is ``"diebold_mariano"``; ``statistic`` is the t-ratio (NaN when the
        differences have zero variance); ``pvalue_method`` is ``"normal"``.

    Raises
    ------
    DataError
        If the inputs are not aligned 1-d arrays or fewer than 3 pairs are finite.

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
    return _result("diebold_mariano", stat, float(fit.pvalues[0]), test_level, method="normal")
