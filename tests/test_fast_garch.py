"""riskkit.volatility.fast: likelihood, gradient, estimates and forecasts against arch."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest
from arch import arch_model
from arch.univariate import GARCH, ConstantMean, Normal, StudentsT
from scipy import stats

from riskkit.exceptions import ConfigError, ModelError
from riskkit.volatility.fast import FastGarch, backcast, garch_loglik

SPECS = [
    ("GARCH", "normal", "zero"),
    ("GARCH", "t", "zero"),
    ("GJR", "t", "zero"),
    ("GJR", "normal", "constant"),
    ("GARCH", "t", "constant"),
]


def _simulate(vol: str, dist: str, n: int = 1500, seed: int = 42) -> np.ndarray:
    """Fractional returns simulated by arch itself (known truth)."""
    rng = np.random.default_rng(seed)
    o = 1 if vol == "GJR" else 0
    d = StudentsT(seed=rng) if dist == "t" else Normal(seed=rng)
    model = ConstantMean(None, volatility=GARCH(1, o, 1), distribution=d)
    params = [0.03, 0.05, 0.07] + ([0.06] if o else []) + [0.88] + ([6.0] if dist == "t" else [])
    return model.simulate(params, n)["data"].to_numpy() / 100


def _arch_fit(r: np.ndarray, vol: str, dist: str, mean: str):
    am = arch_model(
        100 * r,
        mean="Zero" if mean == "zero" else "Constant",
        vol="GARCH",
        p=1,
        o=1 if vol == "GJR" else 0,
        q=1,
        dist=dist,
    )
    return am.fit(disp="off")


def _arch_backcast(r: np.ndarray, mean: str) -> float:
    y = 100 * r
    return backcast(y - y.mean() if mean == "constant" else y)


@pytest.mark.parametrize(("vol", "dist", "mean"), SPECS)
def test_loglik_equals_arch_at_arch_estimates(vol: str, dist: str, mean: str) -> None:
    # independent implementation: arch's own likelihood at its own estimates
    r = _simulate(vol, dist, 1000)
    res = _arch_fit(r, vol, dist, mean)
    ll = garch_loglik(res.params.to_numpy(), 100 * r, _arch_backcast(r, mean), vol, dist, mean)
    assert ll == pytest.approx(res.loglikelihood, rel=1e-10)


@pytest.mark.parametrize(("vol", "dist", "mean"), SPECS)
def test_analytic_gradient_matches_finite_differences(vol: str, dist: str, mean: str) -> None:
    r = _simulate(vol, dist, 800, seed=3)
    y, bc = 100 * r, _arch_backcast(r, mean)
    theta = [0.02] if mean == "constant" else []
    theta += (
        [0.06, 0.08] + ([0.05] if vol == "GJR" else []) + [0.85] + ([7.0] if dist == "t" else [])
    )
    theta = np.array(theta)
    _, grad = garch_loglik(theta, y, bc, vol, dist, mean, gradient=True)
    # central finite differences (error O(step^2)), written out independently of the analytic path
    numeric = np.empty_like(theta)
    for i in range(len(theta)):
        h = 1e-5 * max(abs(theta[i]), 1e-2)
        up, dn = theta.copy(), theta.copy()
        up[i] += h
        dn[i] -= h
        numeric[i] = (
            garch_loglik(up, y, bc, vol, dist, mean) - garch_loglik(dn, y, bc, vol, dist, mean)
        ) / (2 * h)
    np.testing.assert_allclose(grad, numeric, rtol=1e-5, atol=1e-5)
    # per-observation scores add up to the gradient
    _, g2, sc = garch_loglik(theta, y, bc, vol, dist, mean, scores=True)
    np.testing.assert_allclose(sc.sum(axis=1), grad, rtol=1e-10)
    np.testing.assert_allclose(g2, grad, rtol=1e-12)


@pytest.mark.parametrize(("vol", "dist", "mean"), SPECS)
def test_estimates_match_arch_on_simulated_data(vol: str, dist: str, mean: str) -> None:
    r = _simulate(vol, dist, 1500, seed=11)
    ref = _arch_fit(r, vol, dist, mean)
    fit = FastGarch(vol, dist, mean).fit(r)
    assert fit.converged
    # same optimum: log-likelihoods agree to 1e-3 and ours is not worse
    assert fit.loglik == pytest.approx(ref.loglikelihood, abs=1e-3)
    assert fit.loglik >= ref.loglikelihood - 1e-4
    np.testing.assert_allclose(fit.to_arch(), ref.params.to_numpy(), rtol=2e-2, atol=2e-3)


@pytest.mark.parametrize(("vol", "dist"), [("GARCH", "normal"), ("GARCH", "t"), ("GJR", "t")])
def test_estimates_and_var_match_arch_on_bundled_btc(vol: str, dist: str) -> None:
    datasets = pytest.importorskip("riskkit.datasets")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        btc = datasets.load_returns("BTC").iloc[:, 0]
    r = btc.loc["2017-01-01":"2019-12-31"].to_numpy()
    ref = _arch_fit(r, vol, dist, "zero")
    est = FastGarch(vol, dist)
    fit = est.fit(r)
    assert fit.loglik == pytest.approx(ref.loglikelihood, abs=1e-3)
    np.testing.assert_allclose(fit.to_arch(), ref.params.to_numpy(), rtol=2e-2, atol=2e-3)
    # 1-day 99% VaR from arch's variance forecast and arch's standardised quantile
    sigma = np.sqrt(ref.forecast(horizon=1, reindex=False).variance.iloc[-1, 0])
    nu = ref.params.get("nu")
    q = ref.model.distribution.ppf(0.01, None if nu is None else [nu])
    var_arch = -sigma * float(np.squeeze(q)) / 100
    var_fast = est.forecast(r, fit, [0.99])[0, 0]
    assert var_fast == pytest.approx(var_arch, rel=5e-3)


def test_forecast_with_arch_params_equals_arch_forecast() -> None:
    # same parameters -> same one-step variance, VaR and ES (closed forms) as arch
    r = _simulate("GJR", "t", 1200, seed=5)
    ref = _arch_fit(r, "GJR", "t", "constant")
    est = FastGarch("GJR", "t", "constant")
    fit = est.fit(r)
    p = dict(
        zip(["mu", "omega", "alpha", "gamma", "beta", "nu"], ref.params.to_numpy(), strict=True)
    )
    fixed = type(fit)(**{**fit.__dict__, **p})
    var_h = ref.forecast(horizon=1, reindex=False).variance.iloc[-1, 0]
    sigma = np.sqrt(var_h)
    assert est.forecast_volatility(r, fixed, 1) == pytest.approx(sigma / 100, rel=1e-9)
    nu = p["nu"]
    s = np.sqrt((nu - 2) / nu)
    q = stats.t.ppf(0.99, nu)
    es_std = stats.t.pdf(q, nu) / 0.01 * (nu + q**2) / (nu - 1) * s
    got = est.forecast(r, fixed, [0.99])
    assert got[0, 0] == pytest.approx((sigma * q * s - p["mu"]) / 100, rel=1e-9)
    assert got[0, 1] == pytest.approx((sigma * es_std - p["mu"]) / 100, rel=1e-9)
    # arch's multi-step analytic variance path sums to our h-day volatility
    path = ref.forecast(horizon=10, reindex=False).variance.iloc[-1].to_numpy()
    assert est.forecast_volatility(r, fixed, 10) == pytest.approx(
        np.sqrt(path.sum()) / 100, rel=1e-9
    )


def test_multi_day_simulation_is_consistent_with_analytic_volatility() -> None:
    r = _simulate("GARCH", "normal", 1200, seed=8)
    est = FastGarch("GARCH", "normal", n_sims=50_000)
    fit = est.fit(r)
    vol10 = est.forecast_volatility(r, fit, 10)
    out = est.forecast(r, fit, [0.99], horizon=10, rng=np.random.default_rng(1))
    # the 10-day sum is close to normal (mixture of normals): VaR ~ z * sigma_10 within 5%
    assert out[0, 0] == pytest.approx(stats.norm.ppf(0.99) * vol10, rel=0.05)
    assert out[0, 1] > out[0, 0]


def test_warm_start_reaches_the_same_optimum() -> None:
    r = _simulate("GJR", "t", 1300, seed=21)
    est = FastGarch("GJR", "t")
    cold = est.fit(r[1:])
    warm = est.fit(r[1:], warm_start=est.fit(r[:-1]))
    assert warm.info["start"] == "warm"
    assert warm.loglik == pytest.approx(cold.loglik, abs=1e-4)
    np.testing.assert_allclose(warm.to_arch(), cold.to_arch(), rtol=1e-2)


def test_rolling_fast_garch_is_worker_independent() -> None:
    from riskkit.backtest import rolling_forecast

    r = pd.Series(
        _simulate("GARCH", "t", 420, seed=2),
        index=pd.date_range("2020-01-01", periods=420, name="date"),
    )
    kw = dict(window=300, refit_every=5, block_dates=40, progress=False)
    serial = rolling_forecast(r, FastGarch("GARCH", "t"), **kw)
    pd.testing.assert_frame_equal(
        rolling_forecast(r, FastGarch("GARCH", "t"), executor="processes", **kw), serial
    )


def test_bad_settings_and_data() -> None:
    with pytest.raises(ConfigError, match="vol"):
        FastGarch("EGARCH")
    with pytest.raises(ConfigError, match="dist"):
        FastGarch(dist="skewt")
    with pytest.raises(ModelError, match="at least 100"):
        FastGarch().fit(np.zeros(50) + 0.01)
    with pytest.raises(ModelError, match="constant"):
        FastGarch().fit(np.zeros(200))


def test_std_quantile_es_equals_the_riskkit_closed_forms() -> None:
    # the hot-loop path (scipy.special, cached) must give the numbers of riskkit.risk.closed_form
    from riskkit.risk import normal_var_es, student_t_var_es
    from riskkit.volatility.fast import _std_quantile_es

    for lv in (0.9, 0.95, 0.975, 0.99, 0.995, 0.999):
        np.testing.assert_allclose(
            _std_quantile_es("normal", lv, 0.0), normal_var_es(lv), rtol=1e-14
        )
        for nu in (2.05, 3.0, 4.7, 8.0, 30.0, 500.0):
            np.testing.assert_allclose(
                _std_quantile_es("t", lv, nu), student_t_var_es(lv, nu, sigma=1.0), rtol=1e-12
            )


def test_multi_day_forecast_uses_the_riskkit_empirical_estimator() -> None:
    # the simulated h-day losses are summarised by riskkit.risk.empirical_var_es: with the same
    # generator state, re-running the recursion by hand gives identical numbers
    from riskkit.risk import empirical_var_es

    r = _simulate("GARCH", "normal", 800, seed=4)
    est = FastGarch("GARCH", "normal", n_sims=2_000)
    fit = est.fit(r)
    got = est.forecast(r, fit, [0.95, 0.99], horizon=3, rng=np.random.default_rng(9))
    s2, _ = est._next_variance(r, fit)
    rng = np.random.default_rng(9)
    total, var_t = np.zeros(2_000), np.full(2_000, s2)
    for _ in range(3):
        e = np.sqrt(var_t) * rng.standard_normal(2_000)
        total += fit.mu + e
        var_t = fit.omega + (fit.alpha + fit.gamma * (e < 0)) * e * e + fit.beta * var_t
    np.testing.assert_array_equal(got, empirical_var_es(-total / 100, [0.95, 0.99]))
