"""ML VaR/ES estimators (riskkit.ml.quantile): protocol, known truth, ES from quantiles.

Known truth: on i.i.d. Student-t losses the features carry no information, so every model's
99% quantile must be within sampling error of the true one; the sampling error is the
asymptotic standard error of an empirical quantile, sqrt(p(1-p)/n) / f(q) (e.g. Serfling 1980,
Thm 2.3.3). On a linear ARCH process the true conditional quantile is linear in the last
absolute return, which linear quantile regression must recover.
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from riskkit.backtest import rolling_forecast
from riskkit.exceptions import ConfigError, ModelError
from riskkit.ml import (
    FeatureSpec,
    GradientBoostedQuantiles,
    LinearQuantileRegression,
    QuantileForest,
    es_from_quantiles,
    tail_levels,
)
from riskkit.risk.base import RiskEstimator, RiskForecast

NU = 4
SCALE = 0.02 / np.sqrt(NU / (NU - 2))  # 2% daily standard deviation
FAST = FeatureSpec(returns=("ret_lag1", "abs_lag1", "rv_5", "rv_22"), exogenous=False)


def t_losses(n: int, seed: int) -> np.ndarray:
    return np.random.default_rng(seed).standard_t(NU, n) * SCALE


def quantile_se(p: float, n: int) -> float:
    """Asymptotic standard error of the empirical p-quantile of n i.i.d. scaled t(4) draws."""
    q = stats.t.ppf(p, NU)
    return float(np.sqrt(p * (1 - p) / n) / (stats.t.pdf(q, NU) / SCALE))


SMALL = [
    pytest.param(lambda: QuantileForest(10, features=FAST, tail_points=2), id="qrf"),
    pytest.param(
        lambda: GradientBoostedQuantiles(max_iter=10, features=FAST, tail_points=2), id="hgbr"
    ),
    pytest.param(lambda: LinearQuantileRegression(features=FAST, tail_points=2), id="quantreg"),
]

MODELS = [
    pytest.param(lambda: QuantileForest(n_estimators=50, features=FAST), id="qrf"),
    pytest.param(lambda: GradientBoostedQuantiles(max_iter=30, features=FAST), id="hgbr"),
    pytest.param(lambda: LinearQuantileRegression(features=FAST), id="quantreg"),
]


@pytest.mark.parametrize("make", MODELS)
def test_known_truth_iid_student_t(make):
    n, p = 3000, 0.99
    r = t_losses(n, seed=11)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # QuantReg's iteration limit on pure noise features
        fc = make().estimate(r, (p, 0.975))
    true_q = stats.t.ppf(p, NU) * SCALE
    tol = 4 * quantile_se(p, n)
    assert abs(fc.var(p) - true_q) < tol, (fc.var(p), true_q, tol)
    assert fc.es(p) >= fc.var(p) > fc.var(0.975) > 0


def test_linear_quantile_regression_recovers_a_conditional_quantile():
    # sigma_s = a + b |r_{s-1}|: the true 99% loss quantile is (a + b |r_{s-1}|) z_99
    rng = np.random.default_rng(5)
    a, b, n = 0.01, 0.5, 4000
    z = rng.standard_normal(n)
    r = np.empty(n)
    prev = 0.0
    for s in range(n):
        r[s] = (a + b * abs(prev)) * z[s]
        prev = r[s]
    model = LinearQuantileRegression(features=FeatureSpec(("abs_lag1",), exogenous=False))
    params = model.fit(r)
    got = model.forecast(r, params, (0.99,))[0, 0]
    truth = (a + b * abs(r[-1])) * stats.norm.ppf(0.99)
    assert got == pytest.approx(truth, rel=0.1)


def test_es_from_quantiles_against_closed_forms():
    # ES = (1/(1-a)) int_a^1 q(u) du; the midpoint rule on K points understates it (module docs)
    a = 0.99
    es_normal = stats.norm.pdf(stats.norm.ppf(a)) / (1 - a)
    q = stats.t.ppf(a, NU)
    es_t = stats.t.pdf(q, NU) / (1 - a) * (NU + q * q) / (NU - 1)  # McNeil, Frey, Embrechts
    for k, tol_n, tol_t in ((5, 0.008, 0.04), (20, 0.002, 0.014)):
        u = tail_levels(a, k)
        rel_n = 1 - es_from_quantiles(stats.norm.ppf(u)) / es_normal
        rel_t = 1 - es_from_quantiles(stats.t.ppf(u, NU)) / es_t
        assert 0 < rel_n < tol_n and 0 < rel_t < tol_t
    np.testing.assert_allclose(tail_levels(0.99, 5), [0.991, 0.993, 0.995, 0.997, 0.999])


@pytest.mark.parametrize("make", SMALL)
def test_protocol_shapes_index_and_sign(make):
    r = pd.Series(t_losses(420, seed=2), index=pd.date_range("2021-01-01", periods=420, tz="UTC"))
    model = make()
    assert isinstance(model, RiskEstimator) and model.horizon_method == "direct"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        fc = rolling_forecast(r, model, (0.99, 0.975), window=300, refit_every=60,
                              progress=False)  # fmt: skip
        two = rolling_forecast(r, model, (0.99,), horizon=2, window=300, refit_every=60,
                               end=r.index[330], progress=False)  # fmt: skip
    assert fc.index.equals(r.index[300:])
    assert (fc["var_0.99"] > 0).all() and (fc["es_0.99"] >= fc["var_0.99"]).all()
    assert (fc["var_0.99"] >= fc["var_0.975"]).all()
    assert two["loss"].iloc[0] == pytest.approx(-(r.iloc[300] + r.iloc[301]))
    one = model.estimate(r, [0.99, 0.975])
    assert isinstance(one, RiskForecast) and one.table.shape == (2, 2)


@pytest.mark.slow  # compiles the GARCH likelihood (numba) in a fresh process
def test_same_seed_same_forecast_and_garch_feature():
    r = t_losses(400, seed=4)
    a = QuantileForest(n_estimators=10, random_state=3).estimate(r, 0.99)
    b = QuantileForest(n_estimators=10, random_state=3).estimate(r, 0.99)
    assert a.table.equals(b.table)
    assert a.volatility is not None and a.volatility > 0  # the GARCH filter of garch_vol
    scaled = QuantileForest(n_estimators=10, scale="garch").estimate(r, 0.99)
    assert scaled.var(0.99) > 0


def test_bad_settings_and_short_window():
    with pytest.raises(ConfigError, match="scale"):
        QuantileForest(scale="log")
    with pytest.raises(ConfigError, match="tail_points"):
        GradientBoostedQuantiles(tail_points=0)
    model = QuantileForest(n_estimators=5, features=FAST)
    with pytest.raises(ModelError, match="needs at least"):
        model.fit(t_losses(50, 0))
