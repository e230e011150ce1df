"""Expected Shortfall backtests: Acerbi-Szekely Z1/Z2, unconditional tests, McNeil-Frey.

Vocabulary follows MATLAB's ``esbacktest`` ('unconditionalNormal', 'unconditionalT') and
``esbacktestbysim`` ('conditional' = Z1, 'unconditional' = Z2). Inputs are positive losses and
positive VaR/ES forecasts. ES tests are one-sided: they reject when realised tail losses are
larger than the forecast ES says (ES too low); Z1 and Z2 are 0 in expectation under the null and
negative when ES is underestimated.

How each p-value is obtained (the ``pvalue_method`` of the :class:`TestResult`, and the
``<test>_method`` column of :func:`~riskkit.backtest.backtest_summary`):

* :func:`acerbi_szekely_test`: ``"simulation"``, the statistic recomputed on paths simulated
  from the forecast distributions (Monte Carlo p-value ``(1 + #{sim <= obs}) / (1 + n_sims)``);
* :func:`unconditional_es_test`: ``"simulation"``, Z2 compared with its distribution simulated
  once under i.i.d. standardised normal or t losses (the tables behind MATLAB ``esbacktest``);
* :func:`mcneil_frey_test`: ``"bootstrap"`` (default), the centred bootstrap of the t-statistic
  of the exceedance residuals (Efron and Tibshirani 1993, sec. 16.4), or ``"normal"``, the
  t-statistic against N(0, 1), as rugarch's ``ESTest`` reports by default.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import lru_cache

import numpy as np
import pandas as pd
from scipy import stats

from riskkit._validation import check_level
from riskkit.backtest.var_tests import TestResult, _result
from riskkit.exceptions import ConfigError, DataError
from riskkit.risk.closed_form import normal_var_es, student_t_var_es

__all__ = [
    "z1_statistic",
    "z2_statistic",
    "acerbi_szekely_test",
    "unconditional_es_test",
    "unconditional_critical_values",
    "mcneil_frey_test",
    "distribution_es",
    "MCNEIL_FREY_PVALUES",
]


def _aligned(*arrays, names=("losses", "var", "es")) -> list[np.ndarray]:
    out = [np.asarray(a, dtype=float) for a in arrays]
    shape = out[0].shape
    for a, nm in zip(out, names, strict=False):
        if a.shape != shape or a.ndim != 1:
            raise DataError(f"{nm} must be a 1-d array aligned with losses, got shape {a.shape}")
    ok = np.all([np.isfinite(a) for a in out], axis=0)
    if not ok.any():
        raise DataError("no rows where losses, VaR and ES are all finite")
    return [a[ok] for a in out]


def z1_statistic(losses, var, es) -> float:
    """Acerbi-Szekely Z1 (conditional): ``1 - mean over failures of loss / ES`` (NaN if no failure).

    A failure is a day with ``loss > VaR`` (strictly). Rows where any of the three inputs is NaN
    or infinite are dropped first. Z1 is 0 in expectation under the null and negative when the
    losses on failure days exceed the forecast ES.

    Parameters
    ----------
    losses : array-like
        Realised losses (minus the returns: positive for a loss), 1-d.
    var : array-like
        VaR forecasts (positive loss numbers), aligned with ``losses`` by position.
    es : array-like
        ES forecasts (positive loss numbers), aligned with ``losses`` by position.

    Returns
    -------
    float
        The Z1 statistic; NaN when no loss exceeds its VaR.

    Raises
    ------
    DataError
        If the inputs are not 1-d arrays of the same shape, or no row has all three finite.

    References
    ----------
    Acerbi, C. and Szekely, B. (2014), "Backtesting Expected Shortfall", Risk, December, eq. (5).
    """
    loss, v, e = _aligned(losses, var, es)
    hit = loss > v
    if not hit.any():
        return float("nan")
    return float(1.0 - np.mean(loss[hit] / e[hit]))


def z2_statistic(losses, var, es, level: float) -> float:
    """Acerbi-Szekely Z2 (unconditional): ``1 - sum_t loss_t 1{loss_t > VaR_t} / (T p ES_t)``, p = 1-level.

    T is the number of rows left after dropping those where any input is NaN or infinite. Z2 is
    0 in expectation under the null and negative when ES is underestimated.

    Parameters
    ----------
    losses : array-like
        Realised losses (minus the returns: positive for a loss), 1-d.
    var : array-like
        VaR forecasts (positive loss numbers), aligned with ``losses`` by position.
    es : array-like
        ES forecasts (positive loss numbers), aligned with ``losses`` by position.
    level : float
        Confidence level of the VaR and ES forecasts, a fraction in (0, 1) (0.975, not 97.5).

    Returns
    -------
    float
        The Z2 statistic.

    Raises
    ------
    DataError
        If the inputs are not 1-d arrays of the same shape, or no row has all three finite.
    ConfigError
        If ``level`` is not in (0, 1).

    References
    ----------
    Acerbi and Szekely (2014), eq. (6).
    """
    loss, v, e = _aligned(losses, var, es)
    p = 1 - check_level(level)
    hit = loss > v
    return float(1.0 - np.sum(np.where(hit, loss / e, 0.0)) / (len(loss) * p))


def distribution_es(dist: str, level: float, dof: float | None = None) -> tuple[float, float]:
    """VaR and ES of a loss ``-Z`` for a standardised (unit-variance) normal or Student-t Z.

    Thin wrapper over :func:`riskkit.risk.normal_var_es` and :func:`riskkit.risk.student_t_var_es`
    (``sigma=1``: the standard t scaled by ``sqrt((dof-2)/dof)``), the one definition in riskkit.

    Parameters
    ----------
    dist : {"normal", "t"}
        Distribution of Z.
    level : float
        Confidence level in (0, 1).
    dof : float, optional
        Degrees of freedom of the t (> 2, for a unit variance).

    Returns
    -------
    tuple of float
        ``(var, es)``, positive for a level above 0.5.
    """
    lv = check_level(level)
    if dist == "normal":
        return normal_var_es(lv)
    if dist == "t":
        if dof is None or not dof > 2:
            raise ConfigError(f"Student-t needs dof > 2 for unit variance, got {dof!r}")
        return student_t_var_es(lv, float(dof), sigma=1.0)
    raise ConfigError(f"dist must be 'normal' or 't', got {dist!r}")


def _sampler_from_dist(dist, loc, scale, dof, n_obs):
    loc = np.broadcast_to(np.asarray(0.0 if loc is None else loc, float), (n_obs,))
    scale = np.broadcast_to(np.asarray(scale, float), (n_obs,))
    if dist == "normal":

        def sample(rng, n_sims):
            return -(loc + scale * rng.standard_normal((n_sims, n_obs)))

    elif dist == "t":
        nu = np.broadcast_to(np.asarray(dof, float), (n_obs,))
        if not (nu > 2).all():
            raise ConfigError("Student-t needs dof > 2 on every day")

        def sample(rng, n_sims):
            z = rng.standard_t(nu, size=(n_sims, n_obs)) * np.sqrt((nu - 2) / nu)
            return -(loc + scale * z)

    else:
        raise ConfigError(f"dist must be 'normal' or 't', got {dist!r}")
    return sample


def acerbi_szekely_test(
    losses,
    var,
    es,
    level: float,
    statistic: str = "z2",
    dist: str | None = "normal",
    scale=None,
    loc=None,
    dof=None,
    sampler: Callable[[np.random.Generator, int], np.ndarray] | None = None,
    n_sims: int = 2000,
    seed: int = 0,
    test_level: float = 0.95,
) -> TestResult:
    """Acerbi-Szekely Z1 or Z2 test with the null distribution simulated from the forecasts.

    Under the null the loss on day t is drawn from the forecast distribution of day t; the test
    statistic is recomputed on each simulated path with the same VaR and ES forecasts, and the
    p-value is the fraction of simulated statistics at or below the observed one
    (MATLAB ``esbacktestbysim``).

    Parameters
    ----------
    losses, var, es : array-like
        Realised losses, VaR and ES forecasts (positive), aligned; rows with NaN are dropped
        before simulating (so ``scale``/``loc``/``dof`` arrays must be aligned with the inputs).
    level : float
        VaR/ES confidence level.
    statistic : {'z1', 'z2'}
    dist : {'normal', 't'}, optional
        Forecast distribution of the *return*: ``return_t = loc_t + scale_t * Z_t`` with Z
        unit-variance normal or Student-t(dof_t). ``scale`` is the forecast standard deviation
        (the ``volatility`` column of :func:`rolling_forecast`).
    scale, loc, dof : float or array-like
        Per-day parameters (broadcast).
    sampler : callable, optional
        ``sampler(rng, n_sims) -> (n_sims, n_obs)`` simulated *losses* under the null, for other
        forecast distributions (e.g. filtered historical simulation); overrides ``dist``.
    n_sims : int
        Number of simulated paths.
    seed : int
        Seed of the simulation.
    test_level : float
        Confidence level of the one-sided test.

    Returns
    -------
    TestResult
        ``test`` is 'z1' or 'z2'; ``pvalue_method`` is ``"simulation"``: the p-value is
        ``(1 + #{simulated statistic <= observed}) / (1 + number of simulated paths)`` (for Z1,
        paths without a failure are left out). Z1 with no failure is NaN and not rejected.

    References
    ----------
    Acerbi and Szekely (2014), "Backtesting Expected Shortfall", Risk.
    """
    if statistic not in ("z1", "z2"):
        raise ConfigError(f"statistic must be 'z1' or 'z2', got {statistic!r}")
    raw = [np.asarray(a, dtype=float) for a in (losses, var, es)]
    ok = np.all([np.isfinite(a) for a in raw], axis=0)
    loss, v, e = (a[ok] for a in raw)
    n_obs = len(loss)
    if n_obs == 0:
        raise DataError("no rows where losses, VaR and ES are all finite")
    if sampler is None:
        if scale is None:
            raise ConfigError("give scale (forecast volatility) or a sampler to simulate the null")

        def pick(x):
            if x is None or np.ndim(x) == 0:
                return x
            return np.asarray(x, float)[ok]

        sampler = _sampler_from_dist(dist, pick(loc), pick(scale), pick(dof), n_obs)
    rng = np.random.default_rng(seed)
    sims = np.asarray(sampler(rng, n_sims), dtype=float)
    if sims.shape != (n_sims, n_obs):
        raise ConfigError(f"sampler returned shape {sims.shape}, expected ({n_sims}, {n_obs})")
    hit = sims > v
    if statistic == "z1":
        observed = z1_statistic(loss, v, e)
        n_hit = hit.sum(axis=1)
        with np.errstate(invalid="ignore", divide="ignore"):
            sim_stat = 1.0 - np.where(hit, sims / e, 0.0).sum(axis=1) / n_hit
        sim_stat = sim_stat[n_hit > 0]  # Z1 is defined on paths with a failure only
        if not np.isfinite(observed):
            tl = check_level(test_level, "test_level")
            return TestResult("z1", np.nan, np.nan, False, tl, pvalue_method="simulation")
    else:
        observed = z2_statistic(loss, v, e, level)
        sim_stat = 1.0 - np.where(hit, sims / e, 0.0).sum(axis=1) / (n_obs * (1 - level))
    pvalue = (np.sum(sim_stat <= observed) + 1) / (len(sim_stat) + 1)
    return _result(statistic, observed, pvalue, test_level, method="simulation")


@lru_cache(maxsize=64)
def _z2_null(n_obs: int, level: float, dist: str, dof: float | None, n_sims: int, seed: int):
    q, es = distribution_es(dist, level, dof)
    rng = np.random.default_rng(seed)
    out = np.empty(n_sims)
    p = 1 - level
    chunk = max(1, 2_000_000 // n_obs)
    for i in range(0, n_sims, chunk):
        m = min(chunk, n_sims - i)
        if dist == "normal":
            z = rng.standard_normal((m, n_obs))
        else:
            z = rng.standard_t(dof, size=(m, n_obs)) * np.sqrt((dof - 2) / dof)
        loss = -z
        out[i : i + m] = 1.0 - np.where(loss > q, loss / es, 0.0).sum(axis=1) / (n_obs * p)
    out.sort()
    return out


def unconditional_critical_values(
    n_obs: int,
    level: float,
    dist: str = "normal",
    dof: float | None = None,
    test_levels=(0.95, 0.9999),
    n_sims: int = 20_000,
    seed: int = 2014,
) -> pd.Series:
    """Critical values of Z2 under i.i.d. standardised normal or Student-t losses.

    These are the tables behind MATLAB ``esbacktest`` 'unconditionalNormal'/'unconditionalT',
    regenerated here by a seeded simulation (deterministic, cached) for the exact sample size and
    level instead of interpolated. Z2 does not depend on the scale, so any volatility path gives
    the same distribution when the forecasts are correct.

    Parameters
    ----------
    n_obs : int
        Sample size T (number of daily forecasts backtested).
    level : float
        Confidence level of the VaR and ES forecasts, a fraction in (0, 1).
    dist : {"normal", "t"}
        Distribution of the standardised (unit-variance) returns; the losses are their negatives.
    dof : float, optional
        Degrees of freedom of the Student-t (> 2); required with ``dist="t"``, ignored for
        ``"normal"``.
    test_levels : float or sequence of float
        Confidence levels of the one-sided test, fractions in (0, 1) (0.95 = 5% significance).
    n_sims : int
        Number of simulated samples of size ``n_obs``.
    seed : int
        Seed of the simulation (the simulated null is cached per argument set).

    Returns
    -------
    pandas.Series
        Index: test levels (named ``test_level``); values: the (1 - test_level) quantile of Z2
        (reject below it).

    Raises
    ------
    ConfigError
        If ``level`` or a test level is not in (0, 1), or ``dist="t"`` without ``dof > 2``.

    References
    ----------
    Acerbi and Szekely (2014) report Z2 thresholds of about -0.70 (5% significance) and -1.8
    (0.01%) for T = 250, VaR level 97.5%, fairly independent of the distribution.
    """
    lv = check_level(level)
    if dist == "t" and (dof is None or not dof > 2):
        raise ConfigError(f"unconditionalT needs dof > 2, got {dof!r}")
    null = _z2_null(int(n_obs), lv, dist, None if dist == "normal" else float(dof), n_sims, seed)
    tls = [check_level(t, "test_level") for t in np.atleast_1d(test_levels)]
    return pd.Series(
        [float(np.quantile(null, 1 - t)) for t in tls], index=pd.Index(tls, name="test_level")
    )


def unconditional_es_test(
    losses,
    var,
    es,
    level: float,
    dist: str = "normal",
    dof: float | None = None,
    test_level: float = 0.95,
    n_sims: int = 20_000,
) -> TestResult:
    """Acerbi-Szekely unconditional test with tabulated (pre-simulated) critical values.

    MATLAB ``esbacktest`` 'unconditionalNormal' (``dist='normal'``) or 'unconditionalT'
    (``dist='t'`` with ``dof``): Z2 compared with its distribution under i.i.d. standardised
    normal or t losses (see :func:`unconditional_critical_values`). Needs only the VaR and ES
    forecasts, not the full forecast distribution. One-sided: rejects when Z2 is too negative.

    Parameters
    ----------
    losses : array-like
        Realised losses (minus the returns: positive for a loss), 1-d. Rows where any input is
        NaN or infinite are dropped.
    var : array-like
        VaR forecasts (positive loss numbers), aligned with ``losses`` by position.
    es : array-like
        ES forecasts (positive loss numbers), aligned with ``losses`` by position.
    level : float
        Confidence level of the VaR and ES forecasts, a fraction in (0, 1).
    dist : {"normal", "t"}
        Null distribution of the standardised losses.
    dof : float, optional
        Degrees of freedom of the Student-t (> 2); required with ``dist="t"``.
    test_level : float
        Confidence level of the one-sided test (0.95 rejects at the 5% significance level).
    n_sims : int
        Number of simulated samples in the null distribution (simulated with the fixed seed
        2014, for the number of rows kept, and cached).

    Returns
    -------
    TestResult
        ``test`` is ``"unconditional_normal"`` or ``"unconditional_t"``; ``statistic`` is Z2;
        ``pvalue`` is ``(1 + #{simulated Z2 <= observed}) / (n_sims + 1)`` (``pvalue_method``
        ``"simulation"``); ``dof`` is NaN.

    Raises
    ------
    DataError
        If the inputs are not 1-d arrays of the same shape, or no row has all three finite.
    ConfigError
        If ``level`` or ``test_level`` is not in (0, 1), or ``dof <= 2`` with ``dist="t"``.

    References
    ----------
    Acerbi and Szekely (2014); MathWorks, ``esbacktest`` documentation.
    """
    loss, v, e = _aligned(losses, var, es)
    lv = check_level(level)
    if dist == "t" and (dof is None or not dof > 2):
        raise ConfigError(f"unconditionalT needs dof > 2, got {dof!r}")
    observed = z2_statistic(loss, v, e, lv)
    null = _z2_null(len(loss), lv, dist, None if dist == "normal" else float(dof), n_sims, 2014)
    pvalue = (np.searchsorted(null, observed, side="right") + 1) / (len(null) + 1)
    name = "unconditional_normal" if dist == "normal" else "unconditional_t"
    return _result(name, observed, pvalue, test_level, method="simulation")


#: p-value methods of :func:`mcneil_frey_test`
MCNEIL_FREY_PVALUES = ("bootstrap", "normal")


def mcneil_frey_test(
    losses,
    var,
    es,
    volatility=None,
    n_boot: int = 5000,
    seed: int = 0,
    test_level: float = 0.95,
    pvalue_method: str = "bootstrap",
) -> TestResult:
    """McNeil-Frey (2000) exceedance-residual test, with a bootstrap or normal p-value.

    On failure days the residual ``(loss - ES) / volatility`` has mean zero if ES is right.
    The test of mean zero against a positive mean (ES too low) uses the t-statistic
    ``t = sqrt(n) mean / sd`` of the n residuals (``sd`` with n - 1 degrees of freedom).

    Parameters
    ----------
    losses, var, es : array-like
        Realised losses and forecasts, aligned.
    volatility : array-like, optional
        Forecast volatility used to standardise; if None residuals are scaled by ES
        (``loss / ES - 1``), which keeps days comparable without a volatility model. A
        volatility of 1 on every day gives the unscaled residual ``loss - ES`` of rugarch's
        ``ESTest``.
    n_boot : int
        Bootstrap replications (``pvalue_method="bootstrap"`` only).
    seed : int
        Seed of the bootstrap.
    test_level : float
        Confidence level of the one-sided test (0.95 rejects at the 5% significance level).
    pvalue_method : {"bootstrap", "normal"}
        ``"bootstrap"`` (default): the bootstrap of Efron and Tibshirani (1993, sec. 16.4)
        that McNeil and Frey use: resample the centred residuals ``n_boot`` times and report
        ``(1 + #{t* >= t}) / (1 + n_boot)``; it does not assume the residuals are normal,
        which matters with the handful of failures a 99% backtest has. ``"normal"``:
        ``P(N(0, 1) > t)``, the p-value rugarch's ``ESTest`` reports (its bootstrap option
        averages normal p-values of resamples instead, which is neither of these).

    Returns
    -------
    TestResult
        ``test`` is ``"mcneil_frey"``; ``statistic`` is the mean standardised residual;
        ``pvalue_method`` names the method; NaN with fewer than 2 failures (not rejected).

    Raises
    ------
    ConfigError
        If ``pvalue_method`` is not one of the two names, or ``test_level`` is not in (0, 1).
    DataError
        If the inputs are not aligned 1-d arrays.

    References
    ----------
    McNeil, A. J. and Frey, R. (2000), "Estimation of tail-related risk measures for
    heteroscedastic financial time series: an extreme value approach", Journal of Empirical
    Finance 7, 271-300, section 5.
    Efron, B. and Tibshirani, R. J. (1993), *An Introduction to the Bootstrap*, Chapman & Hall,
    section 16.4.
    Ghalanos, A., rugarch: Univariate GARCH models, R package, function ``ESTest``.
    """
    if pvalue_method not in MCNEIL_FREY_PVALUES:
        raise ConfigError(
            f"pvalue_method must be one of {MCNEIL_FREY_PVALUES}, got {pvalue_method!r}"
        )
    if volatility is None:
        loss, v, e = _aligned(losses, var, es)
        scale = e
    else:
        loss, v, e, scale = _aligned(
            losses, var, es, volatility, names=("losses", "var", "es", "volatility")
        )
    hit = loss > v
    resid = (loss[hit] - e[hit]) / scale[hit]
    tl = check_level(test_level, "test_level")
    if len(resid) < 2:
        return TestResult("mcneil_frey", np.nan, np.nan, False, tl, pvalue_method=pvalue_method)
    n = len(resid)

    def tstat(x):
        sd = x.std(ddof=1, axis=-1)
        return x.mean(axis=-1) / np.where(sd > 0, sd, np.inf) * np.sqrt(n)

    t_obs = float(tstat(resid))
    if pvalue_method == "normal":
        pvalue = float(stats.norm.sf(t_obs))
    else:
        rng = np.random.default_rng(seed)
        centred = resid - resid.mean()
        boot = centred[rng.integers(0, n, size=(n_boot, n))]
        t_boot = tstat(boot)
        pvalue = (np.sum(t_boot >= t_obs) + 1) / (n_boot + 1)
    return _result("mcneil_frey", float(resid.mean()), pvalue, tl, method=pvalue_method)
