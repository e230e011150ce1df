"""Conformal recalibration of any VaR/ES forecast path: ACI and FACI, online, no look-ahead.

A VaR forecast ``VaR_t`` of a loss ``L_t`` is recalibrated by a multiplier: with the conformity
score ``s_t = L_t / VaR_t`` (scale-free: a breach is ``s_t > 1``), the adjusted forecast is
``m_t VaR_t`` where ``m_t`` is an empirical quantile of the scores of the last ``calibration``
dates whose losses are already known. Adaptive conformal inference (ACI; Gibbs and Candes 2021)
chooses the quantile's level online so that the long-run breach rate of the adjusted VaR hits a
target ``a = 1 - level`` whatever the model and the data:

.. math::

    m_t = \\hat Q_t(1 - a_t), \\qquad a_{t+1} = a_t + \\gamma\\,(a - \\mathrm{err}_t), \\qquad
    \\mathrm{err}_t = 1\\{L_t > m_t \\mathrm{VaR}_t\\}

with ``Q_t(p)`` the ``ceil(p (n + 1))``-th smallest of the ``n`` calibration scores (``+inf``
when that exceeds ``n``). Gibbs and Candes (2021, Prop. 4.1) prove, for every sequence of
losses, ``|mean(err_1..T) - a| <= (max(a_1, 1 - a_1) + gamma) / (gamma T)``: the bound
``tests/test_ml_conformal.py`` checks on a misspecified model. ES is scaled by the same
multiplier (``m_t ES_t``: the ratio ES/VaR of the model is kept).

FACI (fully adaptive conformal inference; Gibbs and Candes 2022, Algorithm 1, with the
defaults of the authors' code ``isgibbs/DtACI``) runs ACI experts with learning rates
``gamma_i`` (default 0.001, 0.002, ..., 0.128) and mixes their levels with exponential weights
on the pinball loss ``l(b, x) = a (b - x) - min(0, b - x)`` of ``b_t``, the largest level whose
quantile still covers ``s_t``; ``sigma = 1/(2I)`` and
``eta = sqrt(3/I) sqrt((log(kI) + 2) / ((1-a)^2 a^3 + a^2 (1-a)^3))`` with ``I = 500``. The
published level is the weighted mean of the experts' levels.

**Timing.** For an ``h``-period loss the loss of date ``s`` is known after its last period,
at date ``s + h``; the calibration set and the updates at date ``t`` use only dates
``s <= t - h``.

**Margins.** An infinite multiplier (``a_t <= 1/(n+1)``) is what the theory asks for after a
run of breaches; a margin cannot be infinite, so ``max_multiplier`` caps it (the guarantee then
holds only if the cap is never reached; the result counts the dates it was).

MAPIE (1.6) implements ACI inside its time-series regressor, which conformalises the intervals
of a scikit-learn regressor it fits itself; it cannot take a VaR path from another model, hence
this small implementation.

References
----------
Gibbs, I. and Candes, E. (2021), "Adaptive conformal inference under distribution shift",
NeurIPS 34.
Gibbs, I. and Candes, E. (2024), "Conformal inference for online prediction with arbitrary
distribution shifts", JMLR 25 (arXiv:2208.08401, 2022).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from riskkit._validation import check_level
from riskkit.backtest.summary import forecast_levels, table_horizon
from riskkit.exceptions import ConfigError, DataError

__all__ = [
    "FACI_GAMMAS",
    "ConformalPath",
    "ConformalResult",
    "aci_multipliers",
    "conformal_quantile",
    "conformal_recalibrate",
]

#: learning rates of the FACI experts (Gibbs and Candes 2022)
FACI_GAMMAS = (0.001, 0.002, 0.004, 0.008, 0.016, 0.032, 0.064, 0.128)


def conformal_quantile(scores: np.ndarray, p: float) -> float:
    """The ``ceil(p (n + 1))``-th smallest of ``n`` scores; ``+inf`` above ``n``, the smallest
    score below 1 (the conformal quantile of Gibbs and Candes 2021, eq. (1))."""
    s = np.sort(np.asarray(scores, dtype=float))
    n = s.shape[0]
    k = math.ceil(p * (n + 1) - 1e-12)
    if k > n:
        return math.inf
    return float(s[max(k, 1) - 1])


def _beta(scores: np.ndarray, s: float) -> float:
    """Largest level ``b`` with ``s <= Q(1 - b)`` (a sup): ``1 - #{scores < s} / (n + 1)``."""
    return 1.0 - float(np.sum(scores < s)) / (scores.shape[0] + 1)


@dataclass(frozen=True)
class ConformalPath:
    """The online recalibration of one VaR path (arrays aligned with the forecast dates).

    Attributes
    ----------
    multiplier : numpy.ndarray
        ``m_t`` (1 before ``min_calibration`` scores are known; capped at ``max_multiplier``).
    alpha : numpy.ndarray
        The level ``a_t`` used at each date (target miscoverage, a fraction).
    breach : numpy.ndarray
        ``err_t`` of the adjusted VaR (NaN where the loss is unknown).
    capped : int
        Dates where the multiplier was infinite and the cap was used.
    """

    multiplier: np.ndarray
    alpha: np.ndarray
    breach: np.ndarray
    capped: int


def aci_multipliers(
    losses: np.ndarray,
    var: np.ndarray,
    level: float,
    *,
    method: str = "aci",
    gamma: float = 0.005,
    gammas: Sequence[float] = FACI_GAMMAS,
    calibration: int = 250,
    min_calibration: int = 100,
    lag: int = 1,
    max_multiplier: float | None = 3.0,
    interval: int = 500,
) -> ConformalPath:
    """ACI or FACI multipliers of a VaR path, online.

    Parameters
    ----------
    losses, var : numpy.ndarray
        Realised losses and VaR forecasts (positive) of each date, aligned; NaN losses (horizon
        past the data) are allowed at the end only.
    level : float
        Confidence level of the VaR; the target breach rate is ``1 - level``.
    method : {"aci", "faci"}
    gamma : float
        ACI learning rate (Gibbs and Candes use 0.005).
    gammas : sequence of float
        FACI experts' learning rates.
    calibration : int
        Scores in the moving calibration set.
    min_calibration : int
        Known scores needed before the first adjustment (multiplier 1 before). With fewer than
        ``1/a - 1`` scores (99 at the 99% level) the conformal quantile at level ``1 - a`` is
        infinite, hence the default 100.
    lag : int
        Dates before a loss is known (the horizon ``h``).
    max_multiplier : float or None
        Cap of the multiplier; None keeps it infinite (the theory's set; not a margin).
    interval : int
        FACI's ``I`` (sets ``sigma`` and ``eta``).

    Returns
    -------
    ConformalPath
    """
    a = 1.0 - check_level(level)
    loss = np.asarray(losses, dtype=float)
    v = np.asarray(var, dtype=float)
    if loss.shape != v.shape or loss.ndim != 1:
        raise DataError(f"losses and var must be aligned 1-d arrays, got {loss.shape}, {v.shape}")
    if method not in ("aci", "faci"):
        raise ConfigError(f"conformal method must be 'aci' or 'faci', got {method!r}")
    if not np.all(np.isfinite(v)) or np.any(v <= 0):
        raise DataError("conformal recalibration needs finite, positive VaR forecasts")
    if not 0 < gamma < 1:
        raise ConfigError(f"gamma must be in (0, 1), got {gamma!r}")
    if int(calibration) < int(min_calibration) or int(min_calibration) < 1:
        raise ConfigError(
            f"need 1 <= min_calibration <= calibration, got {min_calibration}, {calibration}"
        )
    if max_multiplier is not None and not max_multiplier >= 1:
        raise ConfigError(f"max_multiplier must be >= 1 or None, got {max_multiplier!r}")
    lag = int(lag)
    n = loss.shape[0]
    score = loss / v
    mult = np.ones(n)
    alpha_used = np.full(n, a)
    breach = np.full(n, np.nan)
    capped = 0
    g = np.asarray(gammas, dtype=float)
    k = g.shape[0]
    experts = np.full(k, a)
    weights = np.full(k, 1.0 / k)
    sigma = 1.0 / (2 * interval)
    eta = math.sqrt(3.0 / interval) * math.sqrt(
        (math.log(k * interval) + 2) / ((1 - a) ** 2 * a**3 + a**2 * (1 - a) ** 3)
    )
    alpha_t = a
    # level each date used, and the calibration set it saw, for the delayed updates
    used_cal: list[np.ndarray | None] = [None] * n
    expert_levels: list[np.ndarray | None] = [None] * n
    for t in range(n):
        # 1. updates from the date whose loss became known at t: s = t - lag
        s = t - lag
        if s >= 0 and used_cal[s] is not None and np.isfinite(score[s]):
            if method == "aci":
                alpha_t = alpha_t + gamma * (a - breach[s])
            else:
                b = _beta(used_cal[s], score[s])
                lv = expert_levels[s]
                u = b - lv
                losses_k = a * u - np.minimum(0.0, u)
                experts = experts + g * (a - (experts > b))
                w = weights * np.exp(-eta * (losses_k - losses_k.min()))
                weights = (1 - sigma) * w / w.sum() + sigma / k
                alpha_t = float(np.sum(weights * experts))
        # 2. calibration set: scores of dates known by t
        hi = t - lag + 1
        cal = score[max(0, hi - calibration) : max(hi, 0)]
        cal = cal[np.isfinite(cal)]
        if cal.shape[0] < min_calibration:
            continue
        m = conformal_quantile(cal, 1.0 - alpha_t)
        if not np.isfinite(m):
            capped += 1
            m = math.inf if max_multiplier is None else float(max_multiplier)
        elif max_multiplier is not None and m > max_multiplier:
            capped += 1
            m = float(max_multiplier)
        mult[t] = m
        alpha_used[t] = alpha_t
        used_cal[t] = cal
        expert_levels[t] = experts.copy()
        if np.isfinite(score[t]):
            breach[t] = float(score[t] > m)
    return ConformalPath(multiplier=mult, alpha=alpha_used, breach=breach, capped=capped)


@dataclass(frozen=True)
class ConformalResult:
    """A forecast table recalibrated by :func:`conformal_recalibrate`.

    Attributes
    ----------
    forecasts : pandas.DataFrame
        The input table with every ``var_*``/``es_*`` column multiplied by its level's
        multiplier (same index, same columns): it goes into the backtests unchanged.
    multiplier : pandas.DataFrame
        Multiplier per date (columns: levels).
    alpha : pandas.DataFrame
        Level ``a_t`` used per date (columns: levels).
    method : str
    capped : dict
        ``{level: dates where the multiplier hit max_multiplier}``.
    """

    forecasts: pd.DataFrame
    multiplier: pd.DataFrame
    alpha: pd.DataFrame
    method: str
    capped: dict

    def summary(self) -> pd.DataFrame:
        """Per level: mean and largest multiplier, dates capped, breach rate before and after."""
        rows = {}
        for lv in self.multiplier.columns:
            col = f"var_{lv:g}"
            raw = self.forecasts[col] / self.multiplier[lv]
            ok = self.forecasts["loss"].notna()
            loss = self.forecasts.loc[ok, "loss"]
            rows[lv] = {
                "method": self.method,
                "mean_multiplier": float(self.multiplier[lv].mean()),
                "max_multiplier": float(self.multiplier[lv].max()),
                "capped": self.capped[lv],
                "breach_rate_model": float((loss > raw[ok]).mean()),
                "breach_rate_conformal": float((loss > self.forecasts.loc[ok, col]).mean()),
                "target": 1 - lv,
            }
        return pd.DataFrame.from_dict(rows, orient="index").rename_axis("level")


def conformal_recalibrate(
    forecasts: pd.DataFrame,
    method: str = "aci",
    *,
    levels: Sequence[float] | None = None,
    gamma: float = 0.005,
    gammas: Sequence[float] = FACI_GAMMAS,
    calibration: int = 250,
    min_calibration: int = 100,
    max_multiplier: float | None = 3.0,
) -> ConformalResult:
    """Recalibrate a :func:`riskkit.backtest.rolling_forecast` table with ACI or FACI.

    Parameters
    ----------
    forecasts : pandas.DataFrame
        Rolling forecasts of any estimator (columns ``var_*``, ``es_*``, ``loss``,
        ``horizon``).
    method : {"aci", "faci"}
    levels : sequence of float, optional
        Levels to recalibrate (default: all in the table); each gets its own multiplier.
    gamma, gammas, calibration, min_calibration, max_multiplier
        See :func:`aci_multipliers`; the lag is the table's horizon.

    Returns
    -------
    ConformalResult
    """
    if "loss" not in forecasts.columns:
        raise DataError("forecast table has no 'loss' column (use rolling_forecast output)")
    h = table_horizon(forecasts)
    lvs = forecast_levels(forecasts) if levels is None else [check_level(x) for x in levels]
    out = forecasts.copy()
    mult, alph, capped = {}, {}, {}
    for lv in lvs:
        vcol, ecol = f"var_{lv:g}", f"es_{lv:g}"
        if vcol not in forecasts.columns:
            raise DataError(f"forecast table has no column {vcol}")
        path = aci_multipliers(
            forecasts["loss"].to_numpy(float),
            forecasts[vcol].to_numpy(float),
            lv,
            method=method,
            gamma=gamma,
            gammas=gammas,
            calibration=calibration,
            min_calibration=min_calibration,
            lag=h,
            max_multiplier=max_multiplier,
        )
        out[vcol] = forecasts[vcol] * path.multiplier
        if ecol in out.columns:
            out[ecol] = forecasts[ecol] * path.multiplier
        mult[lv], alph[lv], capped[lv] = path.multiplier, path.alpha, path.capped
    out.attrs = {**forecasts.attrs, "conformal": method}
    index = forecasts.index
    return ConformalResult(
        forecasts=out,
        multiplier=pd.DataFrame(mult, index=index),
        alpha=pd.DataFrame(alph, index=index),
        method=method,
        capped=capped,
    )
