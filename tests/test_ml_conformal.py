"""Conformal recalibration (riskkit.ml.conformal): ACI and FACI on a misspecified VaR.

References: Gibbs, I. and Candes, E. (2021), "Adaptive conformal inference under distribution
shift", NeurIPS: the update a_{t+1} = a_t + gamma (a - err_t) (their eq. (2)) and Prop. 4.1,
|mean(err_1..T) - a| <= (max(a_1, 1 - a_1) + gamma) / (gamma T) for EVERY loss sequence, the
tolerance of the convergence test. Gibbs and Candes (2022, arXiv:2208.08401) for FACI.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from riskkit.backtest import rolling_forecast
from riskkit.exceptions import ConfigError, DataError
from riskkit.ml.conformal import aci_multipliers, conformal_quantile, conformal_recalibrate
from riskkit.risk import HistoricalSimulation


def misspecified(n: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Losses with volatility regimes (1% and 4%) and Student-t(3) shocks, and the VaR of a
    model that assumes a constant 2% normal volatility (it breaches far more than 1%)."""
    rng = np.random.default_rng(seed)
    regime = (np.arange(n) // 500) % 2
    sigma = np.where(regime == 1, 0.04, 0.01)
    losses = sigma * rng.standard_t(3, n) / math.sqrt(3.0)
    var = np.full(n, 0.02 * 2.326)
    return losses, var


def test_conformal_quantile_by_hand():
    s = np.arange(1.0, 10.0)  # 9 scores
    assert conformal_quantile(s, 0.5) == 5.0  # ceil(0.5 * 10) = 5th smallest
    assert conformal_quantile(s, 0.85) == 9.0  # ceil(8.5) = 9
    assert conformal_quantile(s, 0.95) == math.inf  # ceil(9.5) = 10 > 9
    assert conformal_quantile(s, -0.2) == 1.0


def test_aci_update_rule_step_by_step():
    losses, var = misspecified(3000, seed=1)
    gamma, a = 0.01, 0.01
    path = aci_multipliers(losses, var, 0.99, gamma=gamma, calibration=100, min_calibration=100,
                           max_multiplier=None)  # fmt: skip
    live = np.flatnonzero(~np.isnan(path.breach))
    assert live[0] == 100  # first date with 100 known scores (lag 1)
    # a_{t+1} = a_t + gamma (a - err_t), err_t = 1{L_t > m_t VaR_t}
    step = np.diff(path.alpha[live])
    np.testing.assert_allclose(step, gamma * (a - path.breach[live[:-1]]), atol=1e-15)
    assert np.array_equal(path.breach[live], (losses[live] > path.multiplier[live] * var[live]))


@pytest.mark.slow  # 40,000 online steps: the bound of Prop. 4.1 is tight only for long T
def test_aci_long_run_breach_rate_meets_the_gibbs_candes_bound():
    n, gamma, a = 40_000, 0.005, 0.01
    losses, var = misspecified(n, seed=7)
    raw_rate = float(np.mean(losses > var))
    path = aci_multipliers(losses, var, 0.99, gamma=gamma, calibration=250,
                           max_multiplier=None)  # fmt: skip
    err = path.breach[~np.isnan(path.breach)]
    bound = (max(a, 1 - a) + gamma) / (gamma * len(err))  # Prop. 4.1, alpha_1 = a
    assert abs(err.mean() - a) <= bound  # bound ~ 0.005
    assert abs(raw_rate - a) > 5 * bound  # the check can fail: the raw model misses by far
    # FACI: no closed-form bound on the same scale; its long-run rate is close to target
    faci = aci_multipliers(losses, var, 0.99, method="faci", max_multiplier=None)
    ferr = faci.breach[~np.isnan(faci.breach)]
    assert abs(ferr.mean() - a) < 0.003


def test_no_look_ahead_with_a_multi_day_lag():
    losses, var = misspecified(800, seed=3)
    base = aci_multipliers(losses, var, 0.99, lag=2, calibration=100)
    t = 500
    moved = losses.copy()
    moved[t - 1 :] *= 10  # the loss of t-1 (2-day) is known only at t+1
    again = aci_multipliers(moved, var, 0.99, lag=2, calibration=100)
    np.testing.assert_array_equal(base.multiplier[: t + 1], again.multiplier[: t + 1])
    assert not np.array_equal(base.multiplier[t + 1 :], again.multiplier[t + 1 :])


def test_recalibrate_a_rolling_table():
    rng = np.random.default_rng(0)
    n = 900
    vol = np.where(np.arange(n) < 600, 0.01, 0.03)  # volatility triples: HS under-covers
    r = pd.Series(vol * rng.standard_normal(n),
                  index=pd.date_range("2020-01-01", periods=n, tz="UTC"))  # fmt: skip
    fc = rolling_forecast(r, HistoricalSimulation(), (0.99,), window=250, progress=False)
    res = conformal_recalibrate(fc, "aci", calibration=100, min_calibration=50)
    assert list(res.forecasts.columns) == list(fc.columns)
    ratio = res.forecasts["es_0.99"] / fc["es_0.99"]
    np.testing.assert_allclose(ratio, res.multiplier[0.99])
    s = res.summary().loc[0.99]
    assert s["breach_rate_conformal"] < s["breach_rate_model"]
    with pytest.raises(ConfigError, match="method"):
        conformal_recalibrate(fc, "cqr")
    bad = fc.copy()
    bad.iloc[3, 0] = -0.01
    with pytest.raises(DataError, match="positive VaR"):
        conformal_recalibrate(bad)
