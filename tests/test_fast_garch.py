"""The fast backend (riskkit.volatility.fast) and riskkit.risk.FastGarch against arch."""

from __future__ import annotations

import math
import warnings

import numpy as np
import pandas as pd
import pytest
from arch import arch_model
from arch.univariate import GARCH, ConstantMean, Normal, StudentsT
from scipy import stats

from riskkit.exceptions import ConfigError, ConvergenceWarning, ModelError
from riskkit.risk import FastGarch
from riskkit.volatility import GarchParams, GarchSpec, filter_variance
from riskkit.volatility.fast import backcast, garch_loglik

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


def _return_units(loglik_percent: float, n: int) -> float:
    # the log-likelihood of data multiplied by 100 is lower by n ln(100)
    return loglik_percent + n * math.log(100.0)


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
    fit = FastGarch(GarchSpec(vol, dist=dist, mean=mean)).fit(r)
    assert fit.info["converged"]
    # same optimum: log-likelihoods agree to 1e-3 and ours is not worse
    ref_ll = _return_units(ref.loglikelihood, len(r))
    assert fit.info["loglik"] == pytest.approx(ref_ll, abs=1e-3)
    assert fit.info["loglik"] >= ref_ll - 1e-4
    np.testing.assert_allclose(fit.to_arch(100.0), ref.params.to_numpy(), rtol=2e-2, atol=2e-3)


@pytest.mark.parametrize(("vol", "dist", "mean"), SPECS)
def test_fast_backend_gives_the_arch_backend_estimates(vol: str, dist: str, mean: str) -> None:
    """GarchSpec.fit(backend="fast") and the default arch backend on the same returns: the same
    GarchResult type, the same optimum (log-likelihood to 1e-4, parameters to 1e-2 relative),
    and robust standard errors within 2% (arch: numerical Hessian; fast: analytic gradient)."""
    r = pd.Series(
        _simulate(vol, dist, 1500, seed=11),
        index=pd.date_range("2015-01-01", periods=1500, name="date"),
    )
    spec = GarchSpec(vol, dist=dist, mean=mean)
    ref = spec.fit(r, backend="arch")
    fast = spec.fit(r, backend="fast")
    assert type(fast) is type(ref)
    assert (ref.backend, fast.backend) == ("arch", "fast")
    assert fast.arch_result is None and fast.fast_state is not None
    assert fast.fallback is None and fast.converged
    assert fast.loglik == pytest.approx(ref.loglik, abs=1e-4)
    np.testing.assert_allclose(fast.params, ref.params, rtol=1e-2, atol=1e-8)
    np.testing.assert_allclose(fast.std_errors, ref.std_errors, rtol=2e-2)
    assert list(fast.summary().table.index) == list(ref.summary().table.index)
    np.testing.assert_allclose(fast.conditional_volatility, ref.conditional_volatility, rtol=1e-2)
    assert fast.forecast(10).aggregate_variance == pytest.approx(
        ref.forecast(10).aggregate_variance, rel=1e-2
    )
    # a warm start from the previous window's result reuses the optimiser state
    warm = spec.fit(r.iloc[1:], backend="fast", warm_start=fast)
    assert warm.fast_state.start == "warm"
    np.testing.assert_allclose(warm.params, spec.fit(r.iloc[1:]).params, rtol=1e-2, atol=1e-8)


def test_fast_backend_refuses_models_it_does_not_estimate() -> None:
    r = _simulate("GARCH", "t", 300)
    for spec in (GarchSpec("EGARCH"), GarchSpec(dist="skewt"), GarchSpec(p=2)):
        with pytest.raises(ConfigError, match="backend='arch'"):
            spec.fit(r, backend="fast")
    with pytest.raises(ConfigError, match="backend"):
        GarchSpec().fit(r, backend="numba")


@pytest.mark.parametrize(("vol", "dist"), [("GARCH", "normal"), ("GARCH", "t"), ("GJR", "t")])
def test_estimates_and_var_match_arch_on_bundled_btc(vol: str, dist: str) -> None:
    datasets = pytest.importorskip("riskkit.datasets")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        btc = datasets.load_returns("BTC").iloc[:, 0]
    r = btc.loc["2017-01-01":"2019-12-31"].to_numpy()
    ref = _arch_fit(r, vol, dist, "zero")
    est = FastGarch(GarchSpec(vol, dist=dist))
    fit = est.fit(r)
    assert fit.info["loglik"] == pytest.approx(_return_units(ref.loglikelihood, len(r)), abs=1e-3)
    np.testing.assert_allclose(fit.to_arch(100.0), ref.params.to_numpy(), rtol=2e-2, atol=2e-3)
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
    est = FastGarch(GarchSpec("GJR", dist="t", mean="constant"))
    fixed = GarchParams.from_arch("GJR", "t", "constant", 1, 1, 1, ref.params.to_numpy(), 100.0)
    p = dict(
        zip(["mu", "omega", "alpha", "gamma", "beta", "nu"], ref.params.to_numpy(), strict=True)
    )
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
    est = FastGarch(GarchSpec("GARCH"), n_sims=50_000)
    fit = est.fit(r)
    vol10 = est.forecast_volatility(r, fit, 10)
    out = est.forecast(r, fit, [0.99], horizon=10, rng=np.random.default_rng(1))
    # the 10-day sum is close to normal (mixture of normals): VaR ~ z * sigma_10 within 5%
    assert out[0, 0] == pytest.approx(stats.norm.ppf(0.99) * vol10, rel=0.05)
    assert out[0, 1] > out[0, 0]


def test_warm_start_reaches_the_same_optimum() -> None:
    r = _simulate("GJR", "t", 1300, seed=21)
    est = FastGarch(GarchSpec("GJR", dist="t"))
    cold = est.fit(r[1:])
    warm = est.fit(r[1:], warm_start=est.fit(r[:-1]))
    assert warm.info["fast_state"].start == "warm"
    assert warm.info["loglik"] == pytest.approx(cold.info["loglik"], abs=1e-4)
    np.testing.assert_allclose(warm.to_arch(100.0), cold.to_arch(100.0), rtol=1e-2)
    # a warm start from another estimator's parameters (no optimiser state) works too
    from_params = est.fit(r[1:], warm_start=GarchParams(**{**vars(cold), "info": {}}))
    assert from_params.info["fast_state"].start == "warm"
    assert from_params.info["loglik"] == pytest.approx(cold.info["loglik"], abs=1e-4)


def test_rolling_fast_garch_is_worker_independent() -> None:
    from riskkit.backtest import rolling_forecast

    r = pd.Series(
        _simulate("GARCH", "t", 420, seed=2),
        index=pd.date_range("2020-01-01", periods=420, name="date"),
    )
    kw = dict(window=300, refit_every=5, block_dates=40, progress=False)
    serial = rolling_forecast(r, FastGarch(GarchSpec("GARCH", dist="t")), **kw)
    pd.testing.assert_frame_equal(
        rolling_forecast(r, FastGarch(GarchSpec("GARCH", dist="t")), executor="processes", **kw),
        serial,
    )


def test_spec_and_string_arguments_build_the_same_estimator() -> None:
    # the former string arguments are still accepted (FastGarch("GARCH", "t") in old code)
    r = _simulate("GARCH", "t", 600, seed=6)
    a, b = FastGarch("GARCH", "t"), FastGarch(GarchSpec("GARCH", dist="t"))
    assert a.spec == b.spec and a.name == b.name == "fast-garch-t"
    assert a.fit(r) == b.fit(r)
    assert FastGarch().spec == GarchSpec()
    with pytest.raises(ConfigError, match="GarchSpec"):
        FastGarch(GarchSpec(), dist="t")


def test_old_import_path_still_works() -> None:
    from riskkit.volatility.fast import FastGarch as Old

    assert Old is FastGarch


def test_bad_settings_and_data() -> None:
    with pytest.raises(ConfigError, match="vol"):
        FastGarch("EGARCH")
    with pytest.raises(ConfigError, match="vol"):
        FastGarch(GarchSpec("EGARCH"))
    with pytest.raises(ConfigError, match="dist"):
        FastGarch(dist="skewt")
    with pytest.raises(ModelError, match="at least 100"):
        FastGarch().fit(np.zeros(50) + 0.01)
    with pytest.raises(ModelError, match="constant"):
        FastGarch().fit(np.zeros(200))


def test_std_quantile_es_equals_the_riskkit_closed_forms() -> None:
    # the hot-loop path (scipy.special, cached) must give the numbers of riskkit.risk.closed_form
    from riskkit.risk import normal_var_es, student_t_var_es
    from riskkit.risk.fast_garch import _std_quantile_es

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
    # generator state (one standard-normal draw per path, step by step), re-running the GARCH
    # recursion by hand gives the same numbers
    from riskkit.risk import empirical_var_es

    r = _simulate("GARCH", "normal", 800, seed=4)
    est = FastGarch(GarchSpec("GARCH"), n_sims=2_000)
    fit = est.fit(r)
    got = est.forecast(r, fit, [0.95, 0.99], horizon=3, rng=np.random.default_rng(9))
    s2 = filter_variance(fit, r)[-1]
    rng = np.random.default_rng(9)
    total, var_t = np.zeros(2_000), np.full(2_000, s2)
    omega, alpha, beta = fit.omega, fit.alpha[0], fit.beta[0]
    for _ in range(3):
        e = np.sqrt(var_t) * rng.standard_normal(2_000)
        total += fit.mu + e
        var_t = omega + alpha * e * e + beta * var_t
    np.testing.assert_allclose(got, empirical_var_es(-total, [0.95, 0.99]), rtol=1e-12)


@pytest.mark.parametrize("nu", [2.0, 1.5, -3.0])
def test_loglik_outside_the_t_domain_is_minus_inf_without_numpy_warnings(nu: float) -> None:
    # an optimiser trial point with nu <= 2 has no Student-t variance: the likelihood is -inf,
    # returned without evaluating log() of a negative number (which leaked RuntimeWarnings
    # into the rolling engine's output on BTC 2019-10-07)
    y = np.random.default_rng(3).standard_normal(300)
    theta = np.array([0.05, 0.1, 0.85, nu])  # omega, alpha, beta, nu
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)
        ll, grad = garch_loglik(
            theta, y, float(np.mean(y * y)), "GARCH", "t", "zero", gradient=True
        )
        assert garch_loglik(theta, y, float(np.mean(y * y)), "GARCH", "t", "zero") == -np.inf
    assert ll == -np.inf and np.isnan(grad).all()


@pytest.mark.parametrize(("vol", "mean"), [("GARCH", "zero"), ("GJR", "constant")])
def test_compiled_filter_equals_the_reference_variance_filter(vol: str, mean: str) -> None:
    # the compiled pass (numba) against riskkit's reference filter, which is checked against
    # arch_model(...).fix(params) in tests/test_garch.py (scipy.signal.lfilter, no shared code)
    from riskkit.risk.fast_garch import _next_variance

    r = _simulate(vol, "t", 700, seed=12)
    fit = FastGarch(GarchSpec(vol, dist="t", mean=mean)).fit(r)
    assert _next_variance(fit, r) == pytest.approx(filter_variance(fit, r)[-1], rel=1e-12)


@pytest.mark.parametrize(("vol", "dist", "mean"), SPECS)
def test_analytic_hessian_matches_finite_differences_of_the_gradient(vol, dist, mean) -> None:
    r = _simulate(vol, dist, 600, seed=13)
    y, bc = 100 * r, _arch_backcast(r, mean)
    theta = [0.02] if mean == "constant" else []
    theta += (
        [0.06, 0.08] + ([0.05] if vol == "GJR" else []) + [0.85] + ([7.0] if dist == "t" else [])
    )
    theta = np.array(theta)
    ll, grad, hess = garch_loglik(theta, y, bc, vol, dist, mean, hessian=True)
    assert ll == garch_loglik(theta, y, bc, vol, dist, mean)
    numeric = np.empty_like(hess)
    for i in range(len(theta)):
        h = 1e-5 * max(abs(theta[i]), 1e-2)
        up, dn = theta.copy(), theta.copy()
        up[i] += h
        dn[i] -= h
        g_up = garch_loglik(up, y, bc, vol, dist, mean, gradient=True)[1]
        g_dn = garch_loglik(dn, y, bc, vol, dist, mean, gradient=True)[1]
        numeric[i] = (g_up - g_dn) / (2 * h)
    np.testing.assert_allclose(hess, numeric, rtol=1e-5, atol=1e-4 * np.abs(hess).max())
    np.testing.assert_allclose(hess, hess.T, rtol=0, atol=0)


def test_digamma_and_trigamma_of_the_kernel_equal_scipy() -> None:
    from scipy import special

    from riskkit.volatility.fast import _digamma, _trigamma

    for x in (1.025, 1.5, 2.7, 6.0, 11.99, 12.0, 40.0, 250.5):
        assert _digamma(x) == pytest.approx(special.digamma(x), rel=1e-13, abs=1e-14)
        assert _trigamma(x) == pytest.approx(special.polygamma(1, x), rel=1e-13)


def test_warm_newton_stays_on_the_stationarity_constraint_like_arch() -> None:
    # bundled BTC, GJR-t: the maximum lies on alpha + gamma/2 + beta = 1 (integrated GARCH), so
    # the warm start takes Newton steps along the constraint; arch (SLSQP from its own grid) is
    # the independent reference for the constrained optimum
    datasets = pytest.importorskip("riskkit.datasets")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        r = datasets.load_returns("BTC", exchange="bitstamp").iloc[:, 0].dropna().to_numpy()
    r = r[-1002:]
    est = FastGarch(GarchSpec("GJR", dist="t"))
    params = None
    for t in (1000, 1001, 1002):
        params = est.fit(r[t - 1000 : t], warm_start=params)
    state = params.info["fast_state"]
    assert state.start == "warm" and state.message.startswith("Newton") and state.nit <= 5
    theta = params.to_arch(100.0)
    assert theta[1] + 0.5 * theta[2] + theta[3] == pytest.approx(1.0, abs=1e-9)
    ref = _arch_fit(r[2:], "GJR", "t", "zero")
    assert params.info["loglik"] >= _return_units(ref.loglikelihood, 1000) - 1e-4
    np.testing.assert_allclose(theta, ref.params.to_numpy(), rtol=2e-2, atol=2e-3)


def test_kernels_compile_without_a_writable_cache() -> None:
    # numba refuses cache=True for a function it cannot cache (here: defined by exec, so with
    # no source file to put a cache next to, as for a read-only install); _jit then compiles
    # without caching instead of failing
    from riskkit.volatility.fast import _jit

    namespace: dict = {}
    exec("def twice(x):\n    return 2.0 * x\n", namespace)
    assert _jit(namespace["twice"])(1.5) == 3.0


def test_spec_backend_sends_each_family_to_its_optimiser() -> None:
    """``backend="auto"``: the compiled optimiser where it estimates the spec, arch elsewhere;
    ``"fast"`` on a family it does not estimate is refused when the spec is made."""
    assert GarchSpec("GJR", dist="t").estimation_backend == "fast"
    assert GarchSpec("GARCH", dist="normal", mean="constant").estimation_backend == "fast"
    assert GarchSpec("EGARCH", dist="t").estimation_backend == "arch"
    assert GarchSpec("GARCH", dist="skewt").estimation_backend == "arch"
    assert GarchSpec("GJR", dist="t", backend="arch").estimation_backend == "arch"
    with pytest.raises(ConfigError, match="fast backend"):
        GarchSpec("EGARCH", dist="t", backend="fast")
    with pytest.raises(ConfigError, match="backend"):
        GarchSpec("GJR", backend="numba")
    r = pd.Series(
        _simulate("GJR", "t", 800, seed=5), index=pd.date_range("2015-01-01", periods=800)
    )
    assert GarchSpec("GJR", dist="t").fit(r).backend == "fast"
    assert GarchSpec("GJR", dist="t", backend="arch").fit(r).backend == "arch"
    assert GarchSpec("GJR", dist="t", backend="arch").fit(r, backend="auto").backend == "fast"


def test_fhs_on_either_optimiser_gives_the_same_margin_on_bundled_btc() -> None:
    """The calibration's estimator (FHS on GJR(1,1,1)-t) refitted on bundled BTC windows with
    the default optimiser and with arch: 99% VaR and ES within 0.5% (issue 16's tolerance)."""
    from riskkit.backtest.rolling import rolling_forecast
    from riskkit.datasets import load_ohlcv
    from riskkit.risk import FilteredHistoricalSimulation

    close = load_ohlcv("BTC", "bitstamp", start="2017-01-01", end="2020-12-01")["close"]
    returns = np.log(close).diff().dropna()
    out = {}
    for backend in ("auto", "arch"):
        est = FilteredHistoricalSimulation(GarchSpec("GJR", dist="t", backend=backend))
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            out[backend] = rolling_forecast(
                returns, est, window=500, refit_every=100, start=returns.index[-300], seed=3
            )
    for col in ("var_0.99", "es_0.99"):
        np.testing.assert_allclose(out["auto"][col], out["arch"][col], rtol=5e-3)
