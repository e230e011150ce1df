"""Bootstrap confidence intervals for VaR and ES estimates (moving-block resampling by arch)."""

from __future__ import annotations

import math
import warnings
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
from arch.bootstrap import MovingBlockBootstrap, optimal_block_length

from riskkit._validation import as_return_series, check_horizon, check_level, check_levels
from riskkit.exceptions import ConfigError, ConvergenceWarning
from riskkit.risk.base import RiskEstimator

__all__ = ["BootstrapCI", "bootstrap_ci", "auto_block_size"]


def auto_block_size(returns: np.ndarray) -> int:
    """Block length for resampling returns with volatility clustering.

    The Politis-White (2004) optimal block length for the circular block bootstrap (with the
    correction of Patton, Politis and White 2009; :func:`arch.bootstrap.optimal_block_length`;
    the moving-block bootstrap has the same asymptotically optimal length) of the *squared*
    demeaned returns, rounded up, at least 1. Squares, because the dependence a GARCH-type
    estimator depends on is in the size of returns, not their sign: the returns themselves are
    close to uncorrelated and would give a block of about 1 day.

    Parameters
    ----------
    returns : numpy.ndarray
        The estimation window, 1-d, no NaN.

    Returns
    -------
    int
        Between 1 and ``len(returns)``.
    """
    r = np.asarray(returns, dtype=float)
    sq = (r - r.mean()) ** 2
    if not np.ptp(sq) > 0:
        return 1
    opt = float(optimal_block_length(sq)["circular"].iloc[0])
    if not np.isfinite(opt):
        return 1
    return int(min(max(1, math.ceil(opt)), len(r)))


@dataclass(frozen=True)
class BootstrapCI:
    """Percentile bootstrap confidence intervals of VaR and ES (see :func:`bootstrap_ci`).

    Attributes
    ----------
    table : DataFrame
        Index ``(level, measure)`` with measure ``var`` / ``es``; columns ``estimate`` (on the
        original sample), ``lower``, ``upper``, ``width`` (``upper - lower``) and ``rel_width``
        (``width / estimate``, NaN where the estimate is 0). Positive losses, fractions.
    method : str
        Name of the estimator.
    ci : float
        Coverage of the intervals (0.90: the 5% and 95% percentiles).
    horizon : int
        Periods ahead of the risk measures.
    n_boot : int
        Bootstrap replications asked for.
    failed : int
        Replications dropped because the fit or forecast failed.
    block_size : int
        Moving-block length used (the resolved length when ``"auto"`` was asked for).
    condition_days : int
        Original returns appended to each resample before forecasting.
    """

    table: pd.DataFrame
    method: str
    ci: float
    horizon: int
    n_boot: int
    failed: int
    block_size: int
    condition_days: int

    def settings(self) -> pd.Series:
        """Everything but the table, as a Series named after the method (for display)."""
        return pd.Series(
            {
                "ci": self.ci,
                "horizon": self.horizon,
                "n_boot": self.n_boot,
                "failed": self.failed,
                "block_size": self.block_size,
                "condition_days": self.condition_days,
            },
            name=self.method,
            dtype=object,
        )

    def __str__(self) -> str:
        return f"{self.table.to_string()}\n{self.settings().to_string()}"

    def _repr_html_(self) -> str:
        return (
            f"<p><b>{self.method}</b>: {self.ci:.0%} bootstrap intervals</p>"
            f"{self.table.to_html()}{self.settings().to_frame().to_html(header=False)}"
        )


def bootstrap_ci(
    returns: pd.Series | np.ndarray,
    estimator: RiskEstimator,
    levels: float | Sequence[float] = (0.99,),
    horizon: int = 1,
    n_boot: int = 200,
    ci: float = 0.90,
    seed: int | None = None,
    block_size: int | str = 1,
    condition_days: int = 100,
) -> BootstrapCI:
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
        Replication ``b`` uses child ``b + 1`` of ``numpy.random.SeedSequence(seed)`` (child 0
        is the point estimate's) for its resample and then its forecast.
    block_size : int or "auto"
        Moving-block length for resampling (1 = i.i.d. resampling; use ~20-50 days to keep
        volatility clustering in the resamples); ``"auto"``: :func:`auto_block_size`, the
        Politis-White optimal length for the squared returns. Resampling is
        :class:`arch.bootstrap.MovingBlockBootstrap` (blocks that do not wrap around).
    condition_days : int
        For estimators with parameters: number of the most recent *original* returns appended
        to each resample before forecasting, so that the forecast conditions on today's state.

    Returns
    -------
    BootstrapCI
        ``table``: index ``(level, measure)`` with measure ``var`` / ``es``; columns
        ``estimate`` (on the original sample), ``lower``, ``upper``, ``width``
        (``upper - lower``) and ``rel_width`` (``width / estimate``); and the settings,
        including the block length used (``block_size``) and the number of failed
        replications (``failed``).

    Raises
    ------
    ConfigError
        If ``n_boot < 20``, ``ci``, ``levels`` or ``horizon`` is invalid, ``block_size`` is
        neither a positive integer up to the sample size nor ``"auto"``, ``condition_days < 0``,
        or fewer than 10 replications succeed.

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
    if isinstance(block_size, str):
        if block_size != "auto":
            raise ConfigError(
                f"block_size must be a positive integer or 'auto', got {block_size!r}"
            )
        block = auto_block_size(r)
    elif isinstance(block_size, bool) or not isinstance(block_size, (int, np.integer)):
        raise ConfigError(f"block_size must be a positive integer or 'auto', got {block_size!r}")
    else:
        block = int(block_size)
    if not 1 <= block <= n:
        raise ConfigError(f"block_size must be in [1, {n}], got {block_size!r}")
    children = np.random.SeedSequence(seed).spawn(int(n_boot) + 1)
    base_rng = np.random.default_rng(children[0])
    params = estimator.fit(r)
    point = np.asarray(estimator.forecast(r, params, lv, h, base_rng), dtype=float)
    if int(condition_days) < 0:
        raise ConfigError(f"condition_days must be >= 0, got {condition_days!r}")
    n_cond = min(int(condition_days), n)
    draws = np.full((int(n_boot), len(lv), 2), np.nan)
    failed = 0
    resampler = MovingBlockBootstrap(block, r, seed=base_rng)
    for b in range(int(n_boot)):
        # one generator per replication, used for the resample and then for the forecast
        g = np.random.default_rng(children[b + 1])
        resampler.generator = g
        rb = r[resampler.update_indices()]
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
    return BootstrapCI(
        table=pd.DataFrame(rows).set_index(["level", "measure"]),
        method=str(estimator.name),
        ci=float(ci),
        horizon=h,
        n_boot=int(n_boot),
        failed=int(failed),
        block_size=int(block),
        condition_days=int(n_cond),
    )
