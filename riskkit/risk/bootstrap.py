"""Bootstrap confidence intervals for VaR and ES estimates."""

from __future__ import annotations

import math
import warnings
from collections.abc import Sequence

import numpy as np
import pandas as pd

from riskkit._validation import as_return_series, check_horizon, check_level, check_levels
from riskkit.exceptions import ConfigError, ConvergenceWarning
from riskkit.risk.base import RiskEstimator

__all__ = ["bootstrap_ci"]


def bootstrap_ci(
    returns: pd.Series | np.ndarray,
    estimator: RiskEstimator,
    levels: float | Sequence[float] = (0.99,),
    horizon: int = 1,
    n_boot: int = 200,
    ci: float = 0.90,
    seed: int | None = None,
    block_size: int = 1,
    condition_days: int = 100,
) -> pd.DataFrame:
    """Percentile bootstrap confidence intervals for an estimator's VaR and ES.

    Parameters
    ----------
    returns : pandas.Series or array
        The estimation window.
    estimator : RiskEstimator
    levels : float or sequence of float
        Confidence levels of the risk measures.
    horizon : int
        Periods ahead.
    n_boot : int
        Bootstrap replications.
    ci : float
        Coverage of the interval (0.90 gives the 5% and 95% percentiles).
    seed : int, optional
        Replication ``b`` uses ``numpy.random.SeedSequence(seed).spawn(n_boot)[b]``.
    block_size : int
        Moving-block length for resampling (1 = i.i.d. resampling; use ~20-50 days to keep
        volatility clustering in the resamples).
    condition_days : int
        For estimators with parameters: number of the most recent *original* returns appended
        to each resample before forecasting, so that the forecast conditions on today's state.

    Returns
    -------
    pandas.DataFrame
        Index ``(level, measure)`` with measure ``var`` / ``es``; columns ``estimate`` (on the
        original sample), ``lower``, ``upper``, ``width`` (``upper - lower``) and
        ``rel_width`` (``width / estimate``). ``.attrs`` records the settings and the number of
        failed replications.

    Notes
    -----
    Each replication resamples the window (moving blocks) and re-estimates the parameters with
    ``estimator.fit``. Parameter-free estimators (historical simulation) forecast from the
    resample itself. Estimators with parameters forecast from the resample followed by the last
    ``condition_days`` original returns: a GARCH filter forgets its start within that many days,
    so the forecast volatility is today's (under the bootstrap parameters), while everything
    else the forecast uses, such as the residual sample of filtered historical simulation, comes
    from the resample. The interval thus measures estimation error at today's conditioning, in
    the spirit of Christoffersen & Goncalves (2005); it is not a forecast interval for the loss.
    Replications whose fit fails are dropped and counted.

    References
    ----------
    Christoffersen, P., & Goncalves, S. (2005). Estimation risk in financial risk management.
    Journal of Risk 7(3), 1-28.
    """
    lv = check_levels(levels)
    h = int(check_horizon(horizon))
    ci = check_level(ci, "ci")
    if int(n_boot) < 20:
        raise ConfigError(f"n_boot must be >= 20 for a percentile interval, got {n_boot!r}")
    series = as_return_series(returns, min_obs=getattr(estimator, "min_obs", 2))
    r = series.to_numpy(dtype=float)
    n = r.shape[0]
    if int(block_size) < 1 or block_size > n:
        raise ConfigError(f"block_size must be in [1, {n}], got {block_size!r}")
    children = np.random.SeedSequence(seed).spawn(int(n_boot) + 1)
    base_rng = np.random.default_rng(children[0])
    params = estimator.fit(r)
    point = np.asarray(estimator.forecast(r, params, lv, h, base_rng), dtype=float)
    n_blocks = math.ceil(n / block_size)
    if int(condition_days) < 0:
        raise ConfigError(f"condition_days must be >= 0, got {condition_days!r}")
    n_cond = min(int(condition_days), n)
    draws = np.full((int(n_boot), len(lv), 2), np.nan)
    failed = 0
    for b in range(int(n_boot)):
        g = np.random.default_rng(children[b + 1])
        starts = g.integers(0, n - block_size + 1, size=n_blocks)
        idx = (starts[:, None] + np.arange(block_size)[None, :]).ravel()[:n]
        rb = r[idx]
        try:
            with warnings.catch_warnings():
                # a fallback inside one replication is part of the estimator's sampling behaviour
                warnings.simplefilter("ignore", ConvergenceWarning)
                pb = estimator.fit(rb, warm_start=params)
                target = rb if pb is None else np.concatenate([rb, r[n - n_cond :]])
                draws[b] = estimator.forecast(target, pb, lv, h, g)
        except (ValueError, RuntimeError, FloatingPointError):
            failed += 1
    ok = draws[~np.isnan(draws).any(axis=(1, 2))]
    if ok.shape[0] < 10:
        raise ConfigError(f"only {ok.shape[0]} of {n_boot} bootstrap replications succeeded")
    tail = (1.0 - ci) / 2.0
    lo = np.quantile(ok, tail, axis=0)
    hi = np.quantile(ok, 1.0 - tail, axis=0)
    rows = []
    for j, a in enumerate(lv):
        for m, meas in enumerate(("var", "es")):
            est = point[j, m]
            rows.append(
                {
                    "level": a,
                    "measure": meas,
                    "estimate": est,
                    "lower": lo[j, m],
                    "upper": hi[j, m],
                    "width": hi[j, m] - lo[j, m],
                    "rel_width": (hi[j, m] - lo[j, m]) / est if est != 0 else np.nan,
                }
            )
    out = pd.DataFrame(rows).set_index(["level", "measure"])
    out.attrs.update(
        method=estimator.name,
        n_boot=int(n_boot),
        failed=failed,
        ci=ci,
        block_size=int(block_size),
        condition_days=n_cond,
        horizon=h,
    )
    return out
