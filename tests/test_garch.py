"""GARCH-family models: parameter recovery, reproduction of arch's numbers, robustness."""

from __future__ import annotations

import math
import warnings

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from riskkit.exceptions import ConfigError, ConvergenceWarning, DataError, ModelError
from riskkit.volatility import (
    GarchParams,
    GarchSpec,
    compare,
    filter_variance,
    forecast_variance,
    news_impact_curve,
    simulate_paths,
)


def simulate_gjr_t(
    n: int, omega: float, alpha: float, gamma: float, beta: float, nu: float, seed: int
) -> pd.Series:
    """Plain numpy GJR-GARCH(1,1) with unit-variance Student-t innovations (independent of
    riskkit's recursion code); 1,000 burn-in periods discarded."""
    rng = np.random.default_rng(seed)
    burn = 1000
    z = rng.standard_t(nu, n + burn) * math.sqrt((nu - 2) / nu)
    r = np.empty(n + burn)
    s2 = omega / (1 - alpha - gamma / 2 - beta)
    for t in range(n + burn):
        r[t] = math.sqrt(s2) * z[t]
        s2 = omega + (alpha + gamma * (r[t] < 0)) * r[t] ** 2 + beta * s2
    idx = pd.date_range("2010-01-01", periods=n, freq="D", name="date")
    return pd.Series(r[burn:], index=idx, name="SIM")


@pytest.fixture(scope="module")
def gjr_returns() -> pd.Series:
    # daily-crypto-like: 3% unconditional vol; omega in return units
    return simulate_gjr_t(3000, 2.0e-5, 0.05, 0.08, 0.88, 5.0, seed=7)


@pytest.mark.slow
def test_garch_t_parameters_recovered_from_long_simulation() -> None:
    """Known truth: GARCH(1,1)-t with omega=2e-5, alpha=0.08, beta=0.90, nu=6 on 20,000 days.
    Estimates within 4 robust standard errors and within stated absolute tolerances."""
    truth = {"omega": 2.0e-5, "alpha[1]": 0.08, "beta[1]": 0.90, "nu": 6.0}
    r = simulate_gjr_t(20_000, truth["omega"], truth["alpha[1]"], 0.0, truth["beta[1]"], 6.0, 11)
    res = GarchSpec("GARCH", dist="t").fit(r)
    assert res.fallback is None
    for name, value in truth.items():
        assert abs(res.params[name] - value) < 4 * res.std_errors[name], name
    assert abs(res.params["alpha[1]"] - 0.08) < 0.015
    assert abs(res.params["beta[1]"] - 0.90) < 0.015
    assert abs(res.params["nu"] - 6.0) < 1.0
    assert res.persistence == pytest.approx(0.98, abs=0.01)
    # half-life of ln(0.5)/ln(0.98) = 34.3 days
    assert res.half_life == pytest.approx(math.log(0.5) / math.log(res.persistence))


def test_gjr_parameters_recovered(gjr_returns: pd.Series) -> None:
    """Known truth (3,000 days): gamma=0.08, persistence 0.97; within 4 robust s.e."""
    res = GarchSpec("GJR", dist="t").fit(gjr_returns)
    truth = {"alpha[1]": 0.05, "gamma[1]": 0.08, "beta[1]": 0.88}
    for name, value in truth.items():
        assert abs(res.params[name] - value) < 4 * res.std_errors[name], name
    # unconditional vol 2e-5 / (1 - 0.97) -> sqrt = 2.58% per day
    assert res.unconditional_volatility() == pytest.approx(math.sqrt(2e-5 / 0.03), rel=0.2)


SPECS = [
    GarchSpec("GARCH", dist="normal"),
    GarchSpec("GARCH", dist="skewt", mean="constant"),
    GarchSpec("GJR", dist="t"),
    GarchSpec("EGARCH", dist="ged"),
    GarchSpec("EGARCH", dist="t", mean="constant"),
    GarchSpec("APARCH", dist="normal"),
]


@pytest.fixture(scope="module")
def fitted(gjr_returns: pd.Series) -> dict[str, object]:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        # the arch backend: these tests compare riskkit's layer with arch's own results
        return {s.label + s.mean: s.fit(gjr_returns, backend="arch") for s in SPECS}


@pytest.mark.parametrize("spec", SPECS, ids=lambda s: s.label + s.mean)
def test_filter_with_fixed_params_reproduces_arch(spec, fitted, gjr_returns) -> None:
    """Independent implementation: arch_model(...).fix(params) conditional volatility and
    one-step forecast; agreement to 1e-10 relative (same backcast, no bound clipping)."""
    res = fitted[spec.label + spec.mean]
    y = gjr_returns.to_numpy()
    fixed = spec._arch_model(y * res.scale).fix(res.raw_params.to_arch(res.scale))
    arch_vol = fixed.conditional_volatility / res.scale
    s2 = filter_variance(res.raw_params, y)
    np.testing.assert_allclose(np.sqrt(s2[:-1]), arch_vol, rtol=1e-10)
    arch_next = fixed.forecast(horizon=1, reindex=False).variance.iloc[-1, 0] / res.scale**2
    assert s2[-1] == pytest.approx(arch_next, rel=1e-10)
    # the same params filtered through a *longer* window (as the rolling engine does)
    longer = np.r_[y, y[:200]]
    fixed2 = spec._arch_model(longer * res.scale).fix(res.raw_params.to_arch(res.scale))
    np.testing.assert_allclose(
        np.sqrt(filter_variance(res.raw_params, longer)[:-1]),
        fixed2.conditional_volatility / res.scale,
        rtol=1e-10,
    )


@pytest.mark.parametrize("spec", SPECS, ids=lambda s: s.label + s.mean)
def test_loglik_and_std_resid_in_return_units(spec, fitted, gjr_returns) -> None:
    """Independent computation: the log-likelihood of the *unscaled* returns from the fitted
    variances and the innovation density (scipy for normal/t; arch's distribution otherwise)."""
    res = fitted[spec.label + spec.mean]
    p = res.fit_params
    r = gjr_returns.to_numpy()
    s2 = filter_variance(p, r)[:-1]
    e = r - p.mu
    if p.dist == "normal":
        ll = stats.norm.logpdf(e, scale=np.sqrt(s2)).sum()
    elif p.dist == "t":
        nu = p.shape[0]
        sc = np.sqrt(s2 * (nu - 2) / nu)
        ll = stats.t.logpdf(e, nu, scale=sc).sum()
    else:
        ll = float(p.innovation.arch_distribution.loglikelihood(np.asarray(p.shape), e, s2))
    assert res.loglik == pytest.approx(ll, rel=1e-9)
    np.testing.assert_allclose(res.std_resid.to_numpy(), e / np.sqrt(s2), rtol=1e-12)
    assert res.std_resid.index.equals(gjr_returns.index)
    assert res.aic == pytest.approx(-2 * ll + 2 * res.n_params, rel=1e-9)


@pytest.mark.parametrize("vol", ["GARCH", "GJR"])
def test_analytic_multi_step_forecast_matches_arch(vol, fitted, gjr_returns) -> None:
    """Reference: arch's analytic forecast of E[sigma^2_{T+k}], k = 1..20."""
    key = [k for k in fitted if k.startswith(vol)][0]
    res = fitted[key]
    y = gjr_returns.to_numpy()
    fixed = res.spec._arch_model(y * res.scale).fix(res.raw_params.to_arch(res.scale))
    ref = fixed.forecast(horizon=20, reindex=False, method="analytic").variance.iloc[-1]
    ours = forecast_variance(res.raw_params, y, 20)
    np.testing.assert_allclose(ours, ref.to_numpy() / res.scale**2, rtol=1e-10)
    fc = res.forecast(20)
    assert fc.method == "analytic"
    assert fc.aggregate_variance == pytest.approx(ref.sum() / res.scale**2, rel=1e-10)


@pytest.mark.parametrize("key", ["EGARCH(1,1,1)-gedzero", "APARCH(1,1,1)-normalzero"])
def test_simulated_forecast_matches_arch_simulation(key, fitted, gjr_returns) -> None:
    """Reference: arch's simulation forecast (20,000 paths) of the per-step variance; Monte Carlo
    agreement within 3% at every step."""
    res = fitted[key]
    y = gjr_returns.to_numpy()
    fixed = res.spec._arch_model(y * res.scale).fix(res.raw_params.to_arch(res.scale))
    ref = (
        fixed.forecast(horizon=10, reindex=False, method="simulation", simulations=20_000)
        .variance.iloc[-1]
        .to_numpy()
        / res.scale**2
    )
    ours = res.forecast(10, method="simulation", n_sims=20_000, seed=3).variance.to_numpy()
    np.testing.assert_allclose(ours, ref, rtol=0.03)


def test_aggregate_variance_equals_variance_of_simulated_sums(fitted, gjr_returns) -> None:
    """Known truth by simulation: Var(sum of 10 simulated returns) = sum of per-step variance
    forecasts (returns are uncorrelated); 100,000 paths, 2% tolerance."""
    res = fitted["GJR(1,1,1)-tzero"]
    y = gjr_returns.to_numpy()
    paths, _ = simulate_paths(res.fit_params, y, 10, 100_000, np.random.default_rng(5))
    assert paths.sum(axis=1).var() == pytest.approx(res.forecast(10).aggregate_variance, rel=0.02)


@pytest.mark.parametrize("spec", SPECS, ids=lambda s: s.label + s.mean)
def test_news_impact_reproduces_arch_one_step(spec, fitted, gjr_returns) -> None:
    """Reference: arch's conditional variance at t+1 given the shock e_t and variance s2_t (the
    news impact curve evaluated at the realised state), for 20 dates."""
    res = fitted[spec.label + spec.mean]
    y = gjr_returns.to_numpy()
    fixed = spec._arch_model(y * res.scale).fix(res.raw_params.to_arch(res.scale))
    arch_s2 = (fixed.conditional_volatility / res.scale) ** 2
    p = res.raw_params
    for t in range(500, 520):
        ours = news_impact_curve(p, np.array([y[t] - p.mu]), arch_s2[t])[0]
        assert ours == pytest.approx(arch_s2[t + 1], rel=1e-9)


def test_news_impact_is_asymmetric_for_gjr(fitted) -> None:
    res = fitted["GJR(1,1,1)-tzero"]
    nic = res.news_impact()
    assert isinstance(nic, pd.Series)
    s = float(np.sqrt(res.fit_params.unconditional_variance))
    down, up = res.news_impact([-2 * s, 2 * s]).to_numpy()
    assert down > up  # gamma > 0: bad news raises variance more
    assert nic.idxmin() == pytest.approx(0.0, abs=s * 0.06)


def test_compare_ranks_gjr_above_garch_on_asymmetric_data(gjr_returns) -> None:
    """Known truth: the data are GJR-t, so GJR-t must beat GARCH-normal on BIC."""
    cmp = compare([GarchSpec("GARCH"), GarchSpec("GJR", dist="t")], gjr_returns)
    table = cmp.table
    assert set(cmp.results) == {"GJR(1,1,1)-t", "GARCH(1,1)-normal"}
    assert list(table.index) == ["GJR(1,1,1)-t", "GARCH(1,1)-normal"]
    assert list(table["rank"]) == [1, 2]
    assert set(table.columns) >= {"loglik", "aic", "bic", "persistence", "half_life"}


def test_summary_and_std_errors_units(fitted) -> None:
    res = fitted["GJR(1,1,1)-tzero"]
    summary = res.summary()
    assert summary.nobs == res.nobs and summary.loglik == res.loglik
    table = summary.table
    assert list(table.columns) == ["estimate", "std_err", "t", "p_value"]
    # omega is in squared return units: 2e-5 true
    assert 1e-6 < table.loc["omega", "estimate"] < 1e-4
    assert 0 < table.loc["omega", "std_err"] < table.loc["omega", "estimate"]
    # arch's robust std errors, rescaled: the t statistics are scale-free
    arch_t = res.arch_result.tvalues
    np.testing.assert_allclose(table["t"].to_numpy(), arch_t.to_numpy(), rtol=1e-8)


def test_egarch_std_error_of_omega_by_delta_method(fitted) -> None:
    """The EGARCH intercept changes with scale by (1 - beta) ln(scale^2); check the delta-method
    standard error against a simulation of the parameter distribution N(theta, cov)."""
    res = fitted["EGARCH(1,1,1)-gedzero"]
    cov = res.arch_result.param_cov.to_numpy()
    theta = res.arch_result.params.to_numpy()
    draws = np.random.default_rng(1).multivariate_normal(theta, cov, size=200_000)
    names = res.spec.param_names
    om = draws[:, names.index("omega")] - (1 - draws[:, names.index("beta[1]")]) * math.log(
        res.scale**2
    )
    assert res.std_errors["omega"] == pytest.approx(om.std(), rel=0.01)


def test_warm_start_gives_same_estimate(gjr_returns) -> None:
    spec = GarchSpec("GJR", dist="t")
    first = spec.fit(gjr_returns.iloc[:2000])
    cold = spec.fit(gjr_returns.iloc[:2100])
    warm = spec.fit(gjr_returns.iloc[:2100], warm_start=first)
    np.testing.assert_allclose(warm.params.to_numpy(), cold.params.to_numpy(), rtol=2e-3)


def test_non_convergence_warns_and_falls_back_to_ewma(gjr_returns) -> None:
    spec = GarchSpec("GARCH", dist="t")
    with pytest.warns(ConvergenceWarning, match="EWMA"):
        res = spec.fit(gjr_returns, maxiter=2, backend="arch")
    assert res.fallback == "EWMA(lambda=0.94)"
    assert "converge" in res.fallback_reason
    assert not res.converged
    # the fallback forecasts exactly like an EWMA with the arch backcast start
    p = res.fit_params
    assert p.omega == 0.0
    assert p.alpha[0] == pytest.approx(0.06, rel=1e-12)
    assert p.beta[0] == pytest.approx(0.94, rel=1e-12)
    assert math.isinf(res.half_life)
    assert res.persistence == pytest.approx(1.0)
    # shape re-estimated on EWMA residuals: a fat tail, not the failed optimiser's value
    assert 2.05 < p.shape[0] < 30
    fc = res.forecast(5)
    np.testing.assert_allclose(fc.variance.to_numpy(), fc.variance.iloc[0])


def test_integrated_series_triggers_fallback() -> None:
    """Known truth: log-volatility is a driftless random walk (no mean reversion), so the GARCH
    fit is integrated (arch returns persistence ~1); with ``on_integrated="ewma"`` riskkit must
    warn and fall back to EWMA."""
    rng = np.random.default_rng(3)
    n = 2000
    log_vol = np.cumsum(rng.normal(0, 0.08, n)) + math.log(0.02)
    r = pd.Series(np.exp(log_vol) * rng.standard_normal(n))
    with pytest.warns(ConvergenceWarning, match="persistence"):
        res = GarchSpec("GARCH", on_integrated="ewma").fit(r)
    assert res.raw_params.persistence >= 0.9999
    assert res.fallback == "EWMA(lambda=0.94)"
    assert "persistence" in res.fallback_reason
    assert res.summary().fallback == res.fallback


def test_integrated_series_kept_as_igarch_by_default() -> None:
    """``on_integrated="igarch"`` (the default) keeps the converged boundary estimate: the parameters used are
    arch's, the fallback is recorded and warned, and the variance forecast is the IGARCH one,
    ``E[s2_{T+k}] = s2_{T+1} + (k - 1) omega`` when ``alpha + beta = 1`` (closed form: the
    GARCH(1,1) forecast recursion with unit persistence). Non-convergence still uses EWMA."""
    rng = np.random.default_rng(3)
    n = 2000
    log_vol = np.cumsum(rng.normal(0, 0.08, n)) + math.log(0.02)
    r = pd.Series(np.exp(log_vol) * rng.standard_normal(n))
    spec = GarchSpec("GARCH")
    assert spec.on_integrated == "igarch"
    with pytest.warns(ConvergenceWarning, match="integrated GARCH"):
        res = spec.fit(r)
    assert res.fallback == "IGARCH(ML boundary estimate)"
    assert "persistence" in res.fallback_reason
    assert res.fit_params == res.raw_params
    p = res.fit_params
    assert p.persistence == pytest.approx(1.0, abs=1e-4)
    fc = res.forecast(10).variance.to_numpy()
    k = np.arange(10)
    np.testing.assert_allclose(fc, fc[0] + k * p.omega, rtol=1e-3)
    # the EWMA option on the same data forecasts a different (flat) variance path
    with pytest.warns(ConvergenceWarning, match="EWMA"):
        ewma = GarchSpec("GARCH", on_integrated="ewma").fit(r)
    assert ewma.fit_params != res.fit_params
    with pytest.warns(ConvergenceWarning, match="EWMA"):
        bad = spec.fit(r, maxiter=2)
    assert bad.fallback == "EWMA(lambda=0.94)"
    with pytest.raises(ConfigError, match="on_integrated"):
        GarchSpec("GARCH", on_integrated="keep")


def test_bad_input_raises_named_errors() -> None:
    spec = GarchSpec()
    with pytest.raises(ModelError, match="at least 100"):
        spec.fit(np.random.default_rng(0).normal(0, 0.01, 50))
    with pytest.raises(ModelError, match="constant"):
        spec.fit(np.full(500, 0.01))
    r = pd.Series(
        np.random.default_rng(0).normal(0, 0.01, 300),
        index=pd.date_range("2020-01-01", periods=300, name="date"),
    )
    r.iloc[123] = np.nan
    with pytest.raises(DataError, match="2020-05-03"):
        spec.fit(r)
    with pytest.raises(ConfigError):
        GarchSpec(vol="FIGARCH")
    with pytest.raises(ConfigError):
        GarchSpec(dist="cauchy")
    with pytest.raises(ConfigError):
        GarchSpec(vol="APARCH", p=1, o=2)
    assert GarchSpec("GARCH", o=1).vol == "GJR"
    assert GarchSpec("EGARCH").o == 1


@pytest.mark.parametrize(
    "params",
    [
        GarchParams("GJR", "t", "constant", 0.001, 2e-5, (0.05,), (0.1,), (0.9,), 2.0, (6.0,)),
        GarchParams("EGARCH", "t", "zero", 0.0, -0.2, (0.1,), (-0.05,), (0.97,), 2.0, (6.0,)),
        GarchParams("APARCH", "normal", "zero", 0.0, 1e-3, (0.05,), (0.3,), (0.9,), 1.5),
    ],
    ids=lambda p: p.vol,
)
def test_params_round_trip_and_scale_equivariance(params: GarchParams) -> None:
    """Scaling returns by c must scale the filtered volatility by c exactly."""
    back = GarchParams.from_arch(
        params.vol, params.dist, params.mean, 1, 1, 1, params.to_arch(100.0), 100.0
    )
    np.testing.assert_allclose(back.to_arch(1.0), params.to_arch(1.0), rtol=1e-12)
    r = np.random.default_rng(2).standard_t(5, 500) * 0.02
    scaled = GarchParams.from_arch(
        params.vol, params.dist, params.mean, 1, 1, 1, params.to_arch(100.0), 1.0
    )
    np.testing.assert_allclose(
        filter_variance(scaled, 100 * r), 1e4 * filter_variance(params, r), rtol=1e-10
    )


def test_aparch_persistence_by_quadrature_matches_closed_form_for_normal() -> None:
    """Ding, Granger & Engle (1993): for normal z, E(|z| - g z)^d =
    ((1+g)^d + (1-g)^d) 2^(d/2 - 1) Gamma((d+1)/2) / sqrt(pi)."""
    a, g, b, d = 0.07, 0.3, 0.9, 1.4
    p = GarchParams("APARCH", "normal", "zero", 0.0, 1e-4, (a,), (g,), (b,), d)
    kappa = ((1 + g) ** d + (1 - g) ** d) * 2 ** (d / 2 - 1) * math.gamma((d + 1) / 2)
    kappa /= math.sqrt(math.pi)
    assert p.persistence == pytest.approx(a * kappa + b, rel=1e-8)


def test_skewt_tail_mean_reduces_to_student_t() -> None:
    """Hansen's skewed t with lambda = 0 is the unit-variance t: the quadrature tail mean must
    match the closed form (McNeil, Frey & Embrechts 2015, Example 2.15)."""
    for nu in (3.0, 5.0, 10.0):
        t = GarchParams("GARCH", "t", "zero", 0.0, 1e-5, (0.1,), shape=(nu,))
        s = GarchParams("GARCH", "skewt", "zero", 0.0, 1e-5, (0.1,), shape=(nu, 0.0))
        for p in (0.05, 0.01, 0.001):
            assert s.tail_mean(p) == pytest.approx(t.tail_mean(p), rel=1e-9)


def test_mean_abs_z_and_egarch_long_run_log_variance() -> None:
    """E|z| for the unit-variance t(nu): 2 sqrt(nu-2) Gamma((nu+1)/2) / (sqrt(pi) (nu-1)
    Gamma(nu/2)) (closed form of E|T| rescaled). The EGARCH long-run E[ln sigma^2] is checked
    against the cross-section of ln sigma^2 after 400 simulated steps on 20,000 paths (known
    truth; the half-life of ln sigma^2 is 13.5 steps, so the start is forgotten)."""
    nu = 4.0
    p = GarchParams("EGARCH", "t", "zero", 0.0, -0.1, (0.2,), (-0.05,), (0.95,), shape=(nu,))
    closed = (
        2
        * math.sqrt(nu - 2)
        * math.gamma((nu + 1) / 2)
        / (math.sqrt(math.pi) * (nu - 1) * math.gamma(nu / 2))
    )
    assert p.mean_abs_z == pytest.approx(closed, rel=1e-9)
    r0 = np.random.default_rng(0).standard_t(nu, 500) * 0.03
    _, var = simulate_paths(p, r0, 400, 20_000, np.random.default_rng(1))
    assert np.log(var[:, -1]).mean() == pytest.approx(math.log(p.unconditional_variance), abs=0.05)


def test_egarch_t_has_no_finite_multi_step_variance(fitted, gjr_returns) -> None:
    """Nelson (1991): with t innovations E exp(a|z|) is infinite, so E[sigma^2_{T+2}] is too.
    riskkit warns, reports the median path, and refuses a variance-based multi-day VaR."""
    from riskkit.exceptions import RiskkitWarning
    from riskkit.risk import GarchParametric

    res = fitted["EGARCH(1,1,1)-tconstant"]
    with pytest.warns(RiskkitWarning, match="infinite"):
        fc = res.forecast(10, n_sims=2000, seed=1)
    med = fc.median_variance
    assert med is not None and np.isfinite(med).all() and (med > 0).all()
    assert med.iloc[0] == pytest.approx(fc.variance.iloc[0])  # step 1 is known at T
    est = GarchParametric(res.spec, horizon_method="aggregate")
    y = gjr_returns.to_numpy()
    with pytest.raises(ConfigError, match="simulate"):
        est.forecast(y, res.fit_params, [0.99], 10)
    with pytest.warns(RiskkitWarning, match="ES is infinite"):
        sim = GarchParametric(res.spec).forecast(
            y, res.fit_params, [0.99], 10, np.random.default_rng(0)
        )
    assert np.isfinite(sim[0, 0]) and sim[0, 0] > 0
    assert np.isinf(sim[0, 1])


@pytest.mark.parametrize(
    "spec", [GarchSpec("GARCH", p=2, q=2), GarchSpec("GJR", p=2, o=2, q=1, dist="t")], ids=str
)
def test_higher_order_filter_and_forecast_match_arch(spec, gjr_returns) -> None:
    """Reference: arch's fixed-parameter variances and analytic 15-step forecast for models with
    more than one lag (checks the lag bookkeeping of the lfilter recursion and the forecast)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        res = spec.fit(gjr_returns)
    p = res.raw_params
    y = gjr_returns.to_numpy()
    fixed = spec._arch_model(y * res.scale).fix(p.to_arch(res.scale))
    np.testing.assert_allclose(
        np.sqrt(filter_variance(p, y)[:-1]), fixed.conditional_volatility / res.scale, rtol=1e-10
    )
    ref = fixed.forecast(horizon=15, reindex=False).variance.iloc[-1].to_numpy() / res.scale**2
    np.testing.assert_allclose(forecast_variance(p, y, 15), ref, rtol=1e-10)


@pytest.mark.parametrize(
    ("dist", "shape"), [("skewt", (5.0, -0.3)), ("skewt", (3.5, 0.2)), ("ged", (1.3,))]
)
def test_tail_mean_against_density_integration(dist, shape) -> None:
    """Independent computation: integrate z f(z) below the quantile, with the density from arch's
    own log-likelihood (``individual=True``), instead of integrating the quantile function."""
    from scipy import integrate

    p = GarchParams("GARCH", dist, "zero", 0.0, 1e-5, (0.1,), shape=shape)
    d = p.innovation.arch_distribution

    def pdf(z: float) -> float:
        ll = d.loglikelihood(np.asarray(shape), np.array([z]), np.array([1.0]), individual=True)
        return float(np.exp(ll[0]))

    for prob in (0.05, 0.01, 0.005):
        q = float(p.ppf(np.array([prob]))[0])
        mass, _ = integrate.quad(pdf, -np.inf, q, limit=200)
        assert mass == pytest.approx(prob, rel=1e-6)  # ppf and density agree
        tail, _ = integrate.quad(lambda z: z * pdf(z), -np.inf, q, limit=200)
        assert p.tail_mean(prob) == pytest.approx(tail / prob, rel=1e-7)


def test_ewma_fallback_filters_like_riskmetrics() -> None:
    """The fallback's variance at t+1 equals the RiskMetrics EWMA value at t started from arch's
    backcast (riskkit.volatility.ewma_variance, tested against pandas and arch)."""
    from riskkit.volatility import ewma_fallback_params, ewma_variance

    r = pd.Series(np.random.default_rng(6).standard_t(4, 700) * 0.03)
    p = ewma_fallback_params(r.to_numpy(), dist="t")
    ref = ewma_variance(r, lam=0.94, init="backcast", mask_warmup=False).to_numpy()
    np.testing.assert_allclose(filter_variance(p, r.to_numpy())[1:], ref, rtol=1e-12)
    assert 2.05 < p.shape[0] < 10  # t(4) data: a fat tail is found


def test_ewma_fallback_t_shape_uses_unit_variance_t() -> None:
    """The fallback's nu maximises the likelihood of the *unit-variance* t on the
    EWMA-standardised residuals: ``z = s T`` with ``s = sqrt((nu - 2) / nu)``. Reference: an
    independent one-dimensional maximisation with scipy.stats.t.logpdf. A fit that forgot the
    ``sqrt((nu - 2) / nu)`` scaling would find a different nu (and VaR)."""
    from scipy import optimize

    from riskkit.volatility import ewma_fallback_params

    r = np.random.default_rng(11).standard_t(4, 1500) * 0.03
    p = ewma_fallback_params(r, dist="t")
    base = ewma_fallback_params(r, dist="normal")
    z = r / np.sqrt(filter_variance(base, r)[:-1])

    def nll(nu: float) -> float:
        s = math.sqrt((nu - 2.0) / nu)
        return -float(np.sum(stats.t.logpdf(z / s, nu) - math.log(s)))

    ref = optimize.minimize_scalar(
        nll, bounds=(2.05, 500.0), method="bounded", options={"xatol": 1e-8}
    )
    assert p.shape[0] == pytest.approx(ref.x, rel=1e-3)
    # and the scaled quantile is what VaR uses: F^{-1}(0.01) of the unit-variance t
    nu = p.shape[0]
    assert float(p.ppf(0.01)) == pytest.approx(stats.t.ppf(0.01, nu) * math.sqrt((nu - 2) / nu))


def test_boundary_notes_flag_nu_at_lower_bound() -> None:
    """A Student-t shape at arch's lower bound (2.05) is a boundary estimate, flagged like
    alpha = 0 or nu > 250 (the fit is kept, with a ConvergenceWarning from fit)."""
    from riskkit.volatility.garch import _boundary_notes

    base = dict(vol="GARCH", dist="t", mean="zero", mu=0.0, omega=1e-5, alpha=(0.1,), beta=(0.85,))
    assert _boundary_notes(GarchParams(**base, shape=(2.05,))) == [
        "nu = 2.050 at arch's lower bound 2.05"
    ]
    assert _boundary_notes(GarchParams(**base, shape=(4.0,))) == []
    assert _boundary_notes(GarchParams(**base, shape=(400.0,))) == ["nu = 400 (normal tails)"]


def test_backcast_agrees_with_arch_volatility_process() -> None:
    """Reference: arch's own ``VolatilityProcess.backcast`` (the same weighted mean of the
    first 75 squared residuals); the arithmetic differs in the last bit at most."""
    from arch.univariate import GARCH as ArchGARCH

    from riskkit.volatility import backcast

    rng = np.random.default_rng(0)
    for n in (10, 74, 75, 76, 1000):
        resid = rng.standard_t(4, n) * 0.03
        assert backcast(resid) == pytest.approx(ArchGARCH().backcast(resid), rel=1e-15)


def test_families_are_process_classes() -> None:
    """Each family is one small class; the spec, the parameters and the arch model agree on it."""
    from riskkit.volatility import APARCH, EGARCH, GARCH, GJR, PROCESSES

    assert set(PROCESSES) == {"GARCH", "GJR", "EGARCH", "APARCH"}
    for spec, cls in (
        (GarchSpec("GARCH"), GARCH),
        (GarchSpec("GJR"), GJR),
        (GarchSpec("EGARCH"), EGARCH),
        (GarchSpec("APARCH"), APARCH),
    ):
        assert type(spec.process) is cls
        # the arch volatility process estimating this family (GJR is arch's GARCH with o > 0)
        assert type(spec._arch_model(np.ones(200)).volatility).__name__ == cls.arch_name
    assert (
        GarchSpec("GJR").process.analytic_forecast
        and not GarchSpec("EGARCH").process.analytic_forecast
    )
    with pytest.raises(ValueError, match="simulate"):
        forecast_variance(
            GarchParams("EGARCH", "normal", "zero", 0.0, -0.1, (0.1,), (0.0,), (0.95,)),
            np.random.default_rng(1).normal(0, 0.02, 300),
            5,
        )


@pytest.mark.parametrize(
    ("dist", "shape"),
    [("t", (4.0,)), ("t", (2.5,)), ("skewt", (5.0, -0.3)), ("skewt", (8.0, 0.4)), ("ged", (1.3,))],
)
def test_innovation_moments_from_arch_partial_moments(dist, shape) -> None:
    """Tail means and E|z| from arch's ``Distribution.partial_moment``, checked against
    quadrature of arch's density: ``int z f(z) dz`` below the quantile and ``int |z| f(z) dz``
    (scipy.integrate.quad, an independent computation)."""
    from scipy import integrate

    from riskkit.volatility import Innovation

    inn = Innovation(dist, shape)
    tail_mass = 0.0
    for prob in (0.05, 0.01):
        q = float(inn.ppf(np.array([prob]))[0])
        tail, _ = integrate.quad(lambda z: z * inn.pdf(z), -np.inf, q, limit=200)
        tail_mass, _ = integrate.quad(inn.pdf, -np.inf, q, limit=200)
        assert tail_mass == pytest.approx(prob, rel=1e-7)
        assert inn.tail_mean(prob) == pytest.approx(tail / prob, rel=1e-8)
    lo, _ = integrate.quad(lambda z: -z * inn.pdf(z), -np.inf, 0.0, limit=200)
    hi, _ = integrate.quad(lambda z: z * inn.pdf(z), 0.0, np.inf, limit=200)
    assert inn.mean_abs == pytest.approx(lo + hi, rel=1e-8)
    # the closed-form Student-t path and arch's partial moment give the same tail mean
    if dist == "t":
        q = float(inn.ppf(np.array([0.01]))[0])
        assert inn.tail_mean(0.01) == pytest.approx(inn.partial_moment(1, q) / 0.01, rel=1e-10)


@pytest.mark.parametrize("nu", [2.5, 4.0, 8.0])
@pytest.mark.parametrize("delta", [0.8, 1.4, 2.0])
def test_aparch_persistence_matches_student_t_closed_form(nu, delta) -> None:
    """Closed form for the unit-variance t: E(|z| - g z)^d = ((1+g)^d + (1-g)^d) / 2 E|z|^d with
    E|z|^d = s^d nu^(d/2) Gamma((d+1)/2) Gamma((nu-d)/2) / (sqrt(pi) Gamma(nu/2)),
    s = sqrt((nu-2)/nu) (moments of the Student t)."""
    from scipy import special

    a, g, b = 0.07, 0.3, 0.9
    p = GarchParams("APARCH", "t", "zero", 0.0, 1e-4, (a,), (g,), (b,), delta, (nu,))
    s = math.sqrt((nu - 2) / nu)
    abs_moment = (
        s**delta
        * nu ** (delta / 2)
        * math.exp(
            special.gammaln((delta + 1) / 2)
            + special.gammaln((nu - delta) / 2)
            - special.gammaln(nu / 2)
        )
        / math.sqrt(math.pi)
    )
    kappa = ((1 + g) ** delta + (1 - g) ** delta) / 2 * abs_moment
    assert p.persistence == pytest.approx(a * kappa + b, rel=1e-10)


def test_summary_and_comparison_are_typed_and_storable(fitted, gjr_returns, tmp_path) -> None:
    """Fit statistics are attributes of the summary, not DataFrame.attrs, so the tables can be
    written to Parquet and CSV (attrs holding objects break ``to_parquet``)."""
    res = fitted["GJR(1,1,1)-tzero"]
    summary = res.summary()
    assert summary.table.attrs == {}
    assert (summary.aic, summary.bic, summary.half_life) == (res.aic, res.bic, res.half_life)
    assert "GJR(1,1,1)-t" in str(summary) and "<table" in summary._repr_html_()
    cmp = compare([GarchSpec("GARCH")], gjr_returns)
    assert cmp.table.attrs == {}
    assert isinstance(cmp.results["GARCH(1,1)-normal"], type(res))
    pytest.importorskip("pyarrow")
    summary.table.to_parquet(tmp_path / "summary.parquet")
    cmp.table.to_parquet(tmp_path / "compare.parquet")
