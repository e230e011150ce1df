"""Diagnostics of standardised residuals ``z_t = (r_t - mu) / sigma_t`` of a volatility model.

A well-specified model leaves ``z`` i.i.d. with the assumed innovation distribution: no
autocorrelation in ``z`` or ``z^2`` (Ljung-Box, ARCH-LM), no response of ``z^2`` to the sign or
size of yesterday's shock (Engle-Ng sign-bias tests) and quantiles that match the fitted
distribution (QQ data).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
import statsmodels.api as sm
from scipy import stats
from statsmodels.stats.diagnostic import acorr_ljungbox, het_arch

from riskkit._validation import as_return_series

__all__ = ["ljung_box", "arch_lm", "sign_bias_test", "qq_data", "residual_diagnostics"]


def ljung_box(
    std_resid: pd.Series | np.ndarray, lags: Sequence[int] = (5, 10, 20), squared: bool = False
) -> pd.DataFrame:
    """Ljung-Box Q test on ``z`` (or ``z^2``) at several lags (``statsmodels``).

    Parameters
    ----------
    std_resid : Series or ndarray
        Standardised residuals ``z``, 1-d and finite.
    lags : sequence of int
        Lags at which the Q statistic is computed (each uses all autocorrelations up to it).
    squared : bool
        Test ``z^2`` (remaining volatility clustering) instead of ``z`` (serial correlation).

    Returns
    -------
    pandas.DataFrame
        Index: lag (named ``lag``, one row per entry of ``lags``); columns ``lb_stat``,
        ``lb_pvalue`` (chi-square with ``lag`` degrees of freedom).

    Raises
    ------
    DataError
        If ``std_resid`` is not 1-d or numeric, has a NaN or infinite value, or has fewer than
        ``max(lags) + 2`` observations.

    Notes
    -----
    On residuals of a fitted GARCH the chi-square reference is approximate (the
    degrees-of-freedom correction for estimated parameters is not applied).

    References
    ----------
    Ljung, G. M. and Box, G. E. P. (1978), "On a measure of lack of fit in time series models",
    *Biometrika* 65(2), 297-303.
    """
    z = as_return_series(std_resid, name="std_resid", min_obs=max(lags) + 2).to_numpy()
    x = z**2 if squared else z
    out = acorr_ljungbox(x, lags=list(lags))
    out.index.name = "lag"
    return out


def arch_lm(std_resid: pd.Series | np.ndarray, nlags: int = 10) -> dict[str, float]:
    """Engle's (1982) ARCH-LM test: regress ``z^2_t`` on ``nlags`` of its lags; ``n R^2``.

    Parameters
    ----------
    std_resid : Series or ndarray
        Standardised residuals ``z`` (not squared: :func:`statsmodels.stats.diagnostic.het_arch`
        squares them), 1-d and finite.
    nlags : int
        Number of lags of ``z^2`` in the auxiliary regression (with a constant).

    Returns
    -------
    dict
        ``lm_stat``, ``lm_pvalue`` (chi-square with ``nlags`` df), ``f_stat``, ``f_pvalue``
        (F version of the same restriction), all floats.

    Raises
    ------
    DataError
        If ``std_resid`` is not 1-d or numeric, has a NaN or infinite value, or has fewer than
        ``nlags + 10`` observations.

    References
    ----------
    Engle, R. F. (1982), "Autoregressive conditional heteroscedasticity with estimates of the
    variance of United Kingdom inflation", *Econometrica* 50(4), 987-1007.
    """
    z = as_return_series(std_resid, name="std_resid", min_obs=nlags + 10).to_numpy()
    try:
        lm, lmp, f, fp = het_arch(z, nlags=nlags, result_object=False)
    except TypeError:  # statsmodels < 0.15 has no result_object argument
        lm, lmp, f, fp = het_arch(z, nlags=nlags)
    return {
        "lm_stat": float(lm),
        "lm_pvalue": float(lmp),
        "f_stat": float(f),
        "f_pvalue": float(fp),
    }


def sign_bias_test(std_resid: pd.Series | np.ndarray) -> pd.DataFrame:
    """Engle & Ng (1993) sign-bias, negative-size-bias, positive-size-bias and joint tests.

    Regression: ``z_t^2 = b0 + b1 S^-_{t-1} + b2 S^-_{t-1} z_{t-1} + b3 S^+_{t-1} z_{t-1} + u_t``
    with ``S^-_{t-1} = 1[z_{t-1} < 0]`` and ``S^+ = 1 - S^-``.

    Returns
    -------
    pandas.DataFrame
        Rows ``sign_bias``, ``negative_size_bias``, ``positive_size_bias`` (t-statistics with
        their two-sided p-values, OLS standard errors) and ``joint`` (LM statistic ``n R^2``,
        chi-square with 3 degrees of freedom).

    References
    ----------
    Engle, R. F., & Ng, V. K. (1993). Measuring and testing the impact of news on volatility.
    Journal of Finance 48(5), 1749-1778.
    """
    z = as_return_series(std_resid, name="std_resid", min_obs=20).to_numpy()
    y = z[1:] ** 2
    lag = z[:-1]
    neg = (lag < 0).astype(float)
    X = sm.add_constant(np.column_stack([neg, neg * lag, (1.0 - neg) * lag]))
    fit = sm.OLS(y, X).fit()
    rows = {
        name: {"statistic": float(fit.tvalues[i]), "p_value": float(fit.pvalues[i])}
        for i, name in enumerate(["sign_bias", "negative_size_bias", "positive_size_bias"], start=1)
    }
    lm = len(y) * fit.rsquared
    rows["joint"] = {"statistic": float(lm), "p_value": float(stats.chi2.sf(lm, 3))}
    return pd.DataFrame(rows).T


def qq_data(std_resid: pd.Series | np.ndarray, result=None, ppf=None) -> pd.DataFrame:
    """Sample quantiles of ``z`` against the fitted innovation distribution's quantiles.

    Parameters
    ----------
    std_resid : Series or array
        Standardised residuals.
    result : GarchResult, optional
        Its fitted innovation distribution is used; default the standard normal.
    ppf : callable, optional
        Quantile function to use instead.

    Returns
    -------
    pandas.DataFrame
        Columns ``theoretical`` and ``sample``, at plotting positions ``(i - 0.5) / n``.
    """
    z = np.sort(as_return_series(std_resid, name="std_resid", min_obs=2).to_numpy())
    n = z.shape[0]
    u = (np.arange(1, n + 1) - 0.5) / n
    if ppf is None:
        ppf = result.fit_params.ppf if result is not None else stats.norm.ppf
    return pd.DataFrame({"theoretical": np.asarray(ppf(u), dtype=float), "sample": z})


def residual_diagnostics(result, lags: int = 10) -> pd.Series:
    """One row of p-values summarising the residual checks of a :class:`GarchResult`.

    Parameters
    ----------
    result : GarchResult
        Fitted model; its ``std_resid`` (a Series), ``fit_params.ppf`` (innovation quantile
        function) and ``spec.label`` are used.
    lags : int
        Lag of the two Ljung-Box tests and number of lags of the ARCH-LM test.

    Returns
    -------
    pandas.Series
        ``lb_z``, ``lb_z2`` (Ljung-Box at ``lags``), ``arch_lm`` (``lags``), ``sign_bias_joint``
        p-values, and ``ks`` (Kolmogorov-Smirnov against the fitted innovation distribution;
        approximate because parameters are estimated; the fitted CDF is obtained by
        interpolating the quantile function on levels ``1e-5 .. 1 - 1e-5``). Named
        ``result.spec.label``.

    Raises
    ------
    DataError
        If the residuals have a NaN or infinite value or are too few for the tests (see
        :func:`ljung_box`, :func:`arch_lm`, :func:`sign_bias_test`).
    """
    z = result.std_resid
    lb = ljung_box(z, lags=[lags]).iloc[0]["lb_pvalue"]
    lb2 = ljung_box(z, lags=[lags], squared=True).iloc[0]["lb_pvalue"]
    lm = arch_lm(z, nlags=lags)["lm_pvalue"]
    sb = sign_bias_test(z).loc["joint", "p_value"]
    params = result.fit_params
    grid = np.linspace(1e-5, 1 - 1e-5, 4001)
    q = params.ppf(grid)
    # CDF by inverting the quantile function on a fine grid: works for every arch distribution
    ks = stats.kstest(z.to_numpy(), lambda x: np.interp(x, q, grid, left=0.0, right=1.0)).pvalue
    return pd.Series(
        {"lb_z": lb, "lb_z2": lb2, "arch_lm": lm, "sign_bias_joint": sb, "ks": float(ks)},
        name=result.spec.label,
    )
