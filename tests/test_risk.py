"""VaR/ES closed forms and estimators: reference values, recovery of known truth, validation."""

from __future__ import annotations

import math
import warnings

import numpy as np
import pandas as pd
import pytest
from scipy import integrate, stats

from riskkit.exceptions import (
    ConfigError,
    ConvergenceWarning,
    DataError,
    ModelError,
    RiskkitWarning,
)
from riskkit.risk import (
    BootstrapCI,
    CornishFisher,
    EVTPeaksOverThreshold,
    FilteredHistoricalSimulation,
    GarchParametric,
    HistoricalSimulation,
    Parametric,
    RiskForecast,
    bootstrap_ci,
    empirical_var_es,
    gpd_tail_var_es,
    normal_var_es,
    student_t_var_es,
)
from riskkit.risk.bootstrap import auto_block_size
from riskkit.risk.parametric import cornish_fisher_tail_mean, cornish_fisher_z
from riskkit.volatility import GarchSpec, filter_variance

LEVELS = (0.95, 0.99, 0.995)


# --------------------------------------------------------------------------- closed forms
def _numeric_var_es(dist, level: float) -> tuple[float, float]:
    """Independent computation for a loss distribution ``dist`` (scipy frozen): VaR by ``ppf``,
    ES by integrating x f(x) over the tail with scipy.integrate.quad."""
    var = dist.ppf(level)
    tail, _ = integrate.quad(lambda x: x * dist.pdf(x), var, np.inf, limit=200)
    return float(var), tail / (1 - level)


def test_standard_normal_reference_values() -> None:
    """Standard normal tables: Phi^{-1}(0.99) = 2.326348, ES_0.99 = phi(2.326348)/0.01 = 2.665214
    (McNeil, Frey & Embrechts 2015, Example 2.14)."""
    var, es = normal_var_es(0.99)
    assert var == pytest.approx(2.326348, abs=1e-6)
    assert es == pytest.approx(2.665214, abs=1e-6)


@pytest.mark.parametrize("level", LEVELS)
def test_normal_var_es_against_numerical_integration(level: float) -> None:
    """QRM 2015 eq. 2.18 vs scipy quad of the tail of N(-mu, sigma) losses."""
    mu, sigma = 0.001, 0.03
    var, es = normal_var_es(level, mu=mu, sigma=sigma)
    ref_var, ref_es = _numeric_var_es(stats.norm(loc=-mu, scale=sigma), level)
    assert var == pytest.approx(ref_var, rel=1e-10)
    assert es == pytest.approx(ref_es, rel=1e-8)


@pytest.mark.parametrize("df", [3.0, 4.0, 8.0])
@pytest.mark.parametrize("level", LEVELS)
def test_student_t_var_es_against_numerical_integration(df: float, level: float) -> None:
    """QRM 2015 Example 2.15 (eq. 2.19) vs scipy quad, for both parametrisations."""
    sigma = 0.04
    scale = sigma * math.sqrt((df - 2) / df)
    ref = _numeric_var_es(stats.t(df, loc=-0.002, scale=scale), level)
    by_sigma = student_t_var_es(level, df, mu=0.002, sigma=sigma)
    by_scale = student_t_var_es(level, df, mu=0.002, scale=scale)
    np.testing.assert_allclose(by_sigma, ref, rtol=1e-7)
    np.testing.assert_allclose(by_scale, ref, rtol=1e-7)


def test_student_t_tail_mean_as_average_of_quantiles() -> None:
    """ES is the average of VaR_u over u in (alpha, 1) (Acerbi & Tasche 2002): integrate ppf."""
    df, level = 4.0, 0.99
    avg, _ = integrate.quad(lambda u: stats.t.ppf(u, df), level, 1, limit=200)
    assert student_t_var_es(level, df, scale=1.0)[1] == pytest.approx(avg / (1 - level), rel=1e-6)


def test_closed_form_vectorised_and_validated() -> None:
    out = normal_var_es([0.95, 0.99], sigma=2.0)
    assert out.shape == (2, 2)
    with pytest.raises(ConfigError, match="0.99"):
        normal_var_es(99)
    with pytest.raises(ConfigError):
        normal_var_es(0.99, sigma=0.0)
    with pytest.raises(ConfigError):
        student_t_var_es(0.99, df=2.0)  # sigma needs df > 2
    with pytest.raises(ConfigError):
        student_t_var_es(0.99, df=4.0, sigma=1.0, scale=1.0)
    assert np.isfinite(student_t_var_es(0.99, df=1.5, scale=1.0)).all()


def test_empirical_var_es_by_hand() -> None:
    """Losses 1..1000: VaR_0.99 = 990 (lower quantile), ES = mean(991..1000) = 995.5;
    at 0.9975: VaR = 998, ES = (0.5 * 998 + 999 + 1000) / 2.5 = 999.2."""
    losses = np.random.default_rng(0).permutation(np.arange(1.0, 1001.0))
    assert empirical_var_es(losses, 0.99) == pytest.approx((990.0, 995.5))
    assert empirical_var_es(losses, 0.9975) == pytest.approx((998.0, 999.2))


@pytest.mark.parametrize("level", [0.9, 0.97, 0.993])
def test_empirical_es_equals_integral_of_quantile_function(level: float) -> None:
    """Independent computation: (1/(1-a)) int_a^1 q(u) du with numpy's inverted-CDF quantile on
    a 200,001-point midpoint grid."""
    x = np.random.default_rng(3).standard_t(3, 777)
    u = level + (np.arange(200_001) + 0.5) / 200_001 * (1 - level)
    q = np.quantile(x, u, method="inverted_cdf")
    var, es = empirical_var_es(x, level)
    assert var == pytest.approx(np.quantile(x, level, method="inverted_cdf"))
    assert es == pytest.approx(q.mean(), rel=1e-4)


def test_weighted_equal_weights_match_unweighted() -> None:
    x = np.random.default_rng(5).normal(size=500)
    np.testing.assert_allclose(
        empirical_var_es(x, LEVELS, weights=np.full(500, 3.0)), empirical_var_es(x, LEVELS)
    )
    with pytest.raises(DataError):
        empirical_var_es([0.1, np.nan], 0.9)


@pytest.mark.parametrize("level", [0.9, 0.95, 0.975, 0.99, 0.995])
def test_weighted_var_es_equals_replicated_sample(level: float) -> None:
    """Independent reference for the probability-weighted VaR/ES (BRW weights): with integer
    weights m_i, the weighted distribution is the equal-weight empirical distribution of the
    sample in which observation i appears m_i times. Its ES is computed here directly as the
    integral of the empirical quantile function over (level, 1) (exact for a step function),
    with no shared code."""
    rng = np.random.default_rng(5)
    x = rng.standard_t(3, 97)
    m = rng.integers(1, 9, size=97)
    rep = np.sort(np.repeat(x, m))
    n = rep.size
    k = int(np.ceil(n * level - 1e-9))  # lower quantile: smallest k with k/n >= level
    var_ref = rep[k - 1]
    # integral over u in (level, 1) of the quantile: the partial step of x_(k), then full steps
    es_ref = ((k / n - level) * rep[k - 1] + rep[k:].sum() / n) / (1 - level)
    var, es = empirical_var_es(x, level, weights=m / m.sum())
    assert var == pytest.approx(var_ref, rel=1e-12)
    assert es == pytest.approx(es_ref, rel=1e-10)


def test_gpd_tail_formula_against_scipy() -> None:
    """QRM 2015 eqs 5.18-5.19: for data that are exactly u + GPD above u with tail fraction
    k/n, the tail VaR/ES are the GPD's conditional quantile and mean."""
    u, xi, beta, frac, level = 1.5, 0.25, 0.6, 0.1, 0.995
    var, es = gpd_tail_var_es(level, u, xi, beta, frac)
    gpd = stats.genpareto(xi, loc=u, scale=beta)
    q = 1 - (1 - level) / frac  # conditional level inside the tail
    assert var == pytest.approx(gpd.ppf(q), rel=1e-12)
    tail, _ = integrate.quad(lambda x: x * gpd.pdf(x), var, np.inf)
    assert es == pytest.approx(tail / (1 - q), rel=1e-8)
    with pytest.raises(ConfigError):
        gpd_tail_var_es(0.85, u, xi, beta, frac)


@pytest.mark.parametrize("p", [0.005, 0.01, 0.99])
def test_cornish_fisher_quantile_against_gamma_truth(p: float) -> None:
    """Known truth: a Gamma(50) variable, standardised, has skewness 2/sqrt(50) = 0.283 and
    excess kurtosis 6/50 = 0.12 (scipy.stats.gamma.stats); its exact quantile is
    scipy.stats.gamma.ppf. The Cornish-Fisher expansion (Zangari 1996) is accurate to
    O(skew^3) here: error < 1e-3, while each of its skewness-squared and kurtosis terms is
    ~3e-2, so a wrong sign or coefficient in any term fails the test."""
    g = stats.gamma(50.0)
    m, v, sk, ku = (float(x) for x in g.stats("mvsk"))
    true = (g.ppf(p) - m) / math.sqrt(v)
    cf = float(cornish_fisher_z(np.array(stats.norm.ppf(p)), sk, ku))
    assert cf == pytest.approx(true, abs=1e-3)


def test_cornish_fisher_es_is_tail_average_of_cf_quantile() -> None:
    """Independent computation: quad of the Cornish-Fisher quantile function over (0, p)."""
    s, k, p = -0.6, 3.0, 0.01
    val, _ = integrate.quad(
        lambda u: float(cornish_fisher_z(np.array(stats.norm.ppf(u)), s, k)), 0, p, limit=200
    )
    assert cornish_fisher_tail_mean(p, s, k) == pytest.approx(val / p, rel=1e-7)


# --------------------------------------------------------------------------- known truth
@pytest.fixture(scope="module")
def t4_losses() -> np.ndarray:
    """200,000 i.i.d. Student-t(4) returns with 3% standard deviation."""
    rng = np.random.default_rng(2026)
    return rng.standard_t(4, 200_000) * 0.03 * math.sqrt(2 / 4)


@pytest.mark.parametrize(
    ("estimator", "tol_var", "tol_es"),
    [
        (HistoricalSimulation(), 0.02, 0.03),
        (HistoricalSimulation(age_weight=0.99999), 0.03, 0.04),
        (Parametric("t"), 0.02, 0.02),
        (Parametric("skewt"), 0.02, 0.02),
        (EVTPeaksOverThreshold(None, threshold_quantile=0.95), 0.02, 0.04),
    ],
    ids=["hs", "hs_brw", "param_t", "param_skewt", "evt_pot"],
)
def test_iid_estimators_recover_student_t_truth(t4_losses, estimator, tol_var, tol_es) -> None:
    """Known truth: t(4), sd 3%. With n = 200,000 the sampling s.e. of the empirical 99.5% VaR
    is ~0.7% and of ES ~1.5%; tolerances are ~3 s.e. (parametric: correct model, tighter)."""
    truth = student_t_var_es([0.99, 0.995], 4.0, sigma=0.03)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        fc = estimator.estimate(t4_losses, levels=[0.99, 0.995])
    got = fc.table.to_numpy()
    np.testing.assert_allclose(got[:, 0], truth[:, 0], rtol=tol_var)
    np.testing.assert_allclose(got[:, 1], truth[:, 1], rtol=tol_es)


def test_normal_and_cornish_fisher_recover_normal_truth() -> None:
    x = np.random.default_rng(9).normal(0.001, 0.02, 100_000)
    truth = normal_var_es([0.99, 0.995], mu=0.001, sigma=0.02)
    for est in (Parametric("normal"), CornishFisher()):
        np.testing.assert_allclose(est.estimate(x, [0.99, 0.995]).table, truth, rtol=0.015)


def test_normal_fails_on_fat_tails_where_t_does_not(t4_losses) -> None:
    """The point of notebook 03: a normal model understates the 99.5% ES of t(4) returns."""
    truth_es = student_t_var_es(0.995, 4.0, sigma=0.03)[1]
    normal_es = Parametric("normal").estimate(t4_losses, 0.995).es(0.995)
    assert normal_es < 0.85 * truth_es


def simulate_gjr_t(n, omega, alpha, gamma, beta, nu, seed):
    """Plain numpy GJR-GARCH(1,1)-t returns and the true next-period variance."""
    rng = np.random.default_rng(seed)
    z = rng.standard_t(nu, n + 1000) * math.sqrt((nu - 2) / nu)
    r = np.empty(n + 1000)
    s2 = omega / (1 - alpha - gamma / 2 - beta)
    for t in range(n + 1000):
        r[t] = math.sqrt(s2) * z[t]
        s2 = omega + (alpha + gamma * (r[t] < 0)) * r[t] ** 2 + beta * s2
    return r[1000:], s2


@pytest.fixture(scope="module")
def gjr_paths() -> list[tuple[np.ndarray, float]]:
    return [simulate_gjr_t(3000, 2e-5, 0.05, 0.08, 0.88, 5.0, seed) for seed in (21, 22, 23)]


@pytest.mark.parametrize(
    ("estimator", "tol"),
    [
        (GarchParametric(GarchSpec("GJR", dist="t")), 0.10),
        (FilteredHistoricalSimulation(GarchSpec("GJR", dist="t")), 0.15),
        (EVTPeaksOverThreshold(GarchSpec("GJR", dist="normal")), 0.15),
    ],
    ids=["garch_t", "fhs", "evt_garch"],
)
def test_conditional_estimators_recover_true_conditional_var(gjr_paths, estimator, tol) -> None:
    """Known truth: the conditional 99% VaR/ES of the next return is sigma_{T+1} times the
    unit-variance t(5) VaR/ES, with sigma_{T+1} from the true parameters. Three paths of 3,000
    days: parameter error moves sigma_{T+1} by ~3-6%, FHS/EVT tail estimates add ~5-8%."""
    for r, true_s2 in gjr_paths:
        truth = np.asarray(student_t_var_es([0.99], 5.0, sigma=math.sqrt(true_s2)))
        fc = estimator.estimate(r, levels=[0.99])
        np.testing.assert_allclose(fc.table.to_numpy(), truth, rtol=tol)
        assert fc.volatility == pytest.approx(math.sqrt(true_s2), rel=0.08)


def test_garch_parametric_with_fixed_params_on_longer_window(gjr_paths) -> None:
    """Reference: arch's fixed-parameter one-step variance on the longer window, then the
    Student-t closed form (QRM eq. 2.19) with that standard deviation."""
    r = gjr_paths[0][0]
    est = GarchParametric(GarchSpec("GARCH", dist="t", mean="constant"))
    params = est.fit(r[:2000])
    spec = est.spec
    scale = 100.0
    fixed = spec._arch_model(r * scale).fix(params.to_arch(scale))
    s2 = fixed.forecast(horizon=1, reindex=False).variance.iloc[-1, 0] / scale**2
    ref = student_t_var_es(list(LEVELS), params.shape[0], mu=params.mu, sigma=math.sqrt(s2))
    np.testing.assert_allclose(est.forecast(r, params, LEVELS), ref, rtol=1e-8)
    assert filter_variance(params, r)[-1] == pytest.approx(s2, rel=1e-10)


def test_multi_day_simulation_versus_sqrt(gjr_paths) -> None:
    """Simulated 10-day paths keep mean reversion of the variance: the standard deviation of
    the simulated sums matches the analytic aggregated variance (2%), and when today's
    variance is above its long-run level, 'sqrt' (which freezes it) gives the larger VaR."""
    r = gjr_paths[1][0]
    est = GarchParametric(GarchSpec("GJR", dist="t"), n_sims=40_000)
    params = est.fit(r)
    s2_next = filter_variance(params, r)[-1]
    # start from a high-volatility state by appending a large loss
    r_hi = np.r_[r, -6 * math.sqrt(s2_next)]
    assert filter_variance(params, r_hi)[-1] > params.unconditional_variance
    sim = est.forecast(r_hi, params, [0.99], 10, np.random.default_rng(4))
    sqrt_ = GarchParametric(est.spec, "sqrt").forecast(r_hi, params, [0.99], 10)
    agg = GarchParametric(est.spec, "aggregate").forecast(r_hi, params, [0.99], 10)
    assert sqrt_[0, 0] > agg[0, 0]
    assert sqrt_[0, 0] > sim[0, 0]
    from riskkit.volatility import simulate_paths

    paths, _ = simulate_paths(params, r_hi, 10, 40_000, np.random.default_rng(4))
    vol_h = est.forecast_volatility(r_hi, params, 10)
    assert paths.sum(axis=1).std() == pytest.approx(vol_h, rel=0.02)


def test_iid_t_aggregation_thins_the_tail() -> None:
    """Sum of 10 i.i.d. t(4) returns: its 99% quantile in units of its standard deviation lies
    between the normal (2.326) and the unit-variance t(4) (2.65) values (central limit)."""
    x = np.random.default_rng(1).standard_t(4, 20_000) * 0.02
    est = Parametric("t", horizon_method="simulate", n_sims=200_000)
    params = est.fit(x)
    var10 = est.forecast(x, params, [0.99], 10, np.random.default_rng(2))[0, 0]
    ratio = (var10 + 10 * params.mu) / (params.sigma * math.sqrt(10))
    t_unit = stats.t.ppf(0.99, params.shape[0]) * math.sqrt((params.shape[0] - 2) / params.shape[0])
    assert stats.norm.ppf(0.99) < ratio < t_unit


def test_historical_overlapping_and_sqrt() -> None:
    x = np.random.default_rng(0).normal(0, 0.01, 1000)
    sums = np.convolve(x, np.ones(5), "valid")
    ov = HistoricalSimulation(horizon_method="overlapping").forecast(x, None, [0.99], 5)
    np.testing.assert_allclose(ov[0], empirical_var_es(-sums, 0.99))
    sq = HistoricalSimulation().forecast(x, None, [0.99], 5)
    np.testing.assert_allclose(sq[0], np.array(empirical_var_es(-x, 0.99)) * math.sqrt(5))


def test_brw_weights_emphasise_recent_losses() -> None:
    """BRW (1998): with lambda = 0.97 the last 100 days carry 1 - 0.97^100 = 95% of the mass;
    a crash 10 days ago has probability 0.03 * 0.97^9 = 2.3% > 1%, so it *is* the 99% VaR,
    while the same crash 900 days ago has negligible weight."""
    x = np.random.default_rng(0).normal(0, 0.01, 1000)
    recent, old = x.copy(), x.copy()
    recent[-10] = old[100] = -0.2
    brw = HistoricalSimulation(age_weight=0.97)
    assert brw.forecast(recent, None, [0.99])[0, 0] == pytest.approx(0.2)
    assert brw.forecast(old, None, [0.99])[0, 0] < 0.05
    w = brw._weights(1000)
    assert w.sum() == pytest.approx(1.0) and w[-100:].sum() == pytest.approx(1 - 0.97**100)


def test_estimate_returns_riskforecast() -> None:
    x = pd.Series(np.random.default_rng(0).normal(0, 0.01, 400))
    fc = HistoricalSimulation().estimate(x, levels=[0.99, 0.975])
    assert isinstance(fc, RiskForecast)
    assert list(fc.table.columns) == ["var", "es"]
    assert fc.es(0.99) >= fc.var(0.99) > 0


# --------------------------------------------------------------------------- validation
FAST = [
    HistoricalSimulation(min_obs=50),
    Parametric("normal"),
    CornishFisher(),
    EVTPeaksOverThreshold(None, threshold_quantile=0.8),
]
ALL = [
    *FAST,
    GarchParametric(GarchSpec("GARCH")),
    FilteredHistoricalSimulation(GarchSpec("GARCH")),
    EVTPeaksOverThreshold(GarchSpec("GARCH")),
]


@pytest.mark.parametrize("est", ALL, ids=lambda e: e.name)
def test_validation_at_the_boundary(est) -> None:
    rng = np.random.default_rng(0)
    x = rng.standard_t(5, 600) * 0.02
    with pytest.raises(ConfigError):
        est.estimate(x, levels=[1.2])
    with pytest.raises(ConfigError):
        est.estimate(x, levels=[0.99], horizon=0)
    with pytest.raises((ModelError, DataError), match="at least|needs"):
        est.estimate(x[:5])
    with pytest.raises(ModelError, match="constant"):
        est.fit(np.full(600, 0.001))
    bad = x.copy()
    bad[321] = np.nan
    with pytest.raises(DataError, match="NaN"):
        est.fit(bad)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        params = est.fit(x)
    with pytest.raises(DataError, match="321"):
        est.forecast(bad, params, [0.99])


def test_cornish_fisher_warns_outside_its_domain() -> None:
    """One +25% day among 59 zeros: skewness ~7.7, excess kurtosis ~60, far outside the domain
    where the expansion is monotone (Maillard 2012); the estimate must not pass silently."""
    x = np.r_[0.25, np.zeros(59)]
    with pytest.warns(RiskkitWarning, match="not monotone"):
        CornishFisher().fit(x)


def test_constructor_validation() -> None:
    with pytest.raises(ConfigError):
        HistoricalSimulation(age_weight=1.5)
    with pytest.raises(ConfigError):
        Parametric("cauchy")
    with pytest.raises(ConfigError):
        GarchParametric(horizon_method="linear")
    with pytest.raises(ConfigError):
        FilteredHistoricalSimulation(spec="GARCH")  # type: ignore[arg-type]
    with pytest.raises(ConfigError):
        EVTPeaksOverThreshold(threshold_quantile=0.2)
    # zero paths or exceedances used to fail deep inside numpy/scipy
    with pytest.raises(ConfigError, match="n_sims"):
        Parametric("t", horizon_method="simulate", n_sims=0)
    with pytest.raises(ConfigError, match="n_sims"):
        EVTPeaksOverThreshold(n_sims=0)
    with pytest.raises(ConfigError, match="min_exceedances"):
        EVTPeaksOverThreshold(None, min_exceedances=0)
    with pytest.raises(ConfigError, match="min_obs"):
        CornishFisher(min_obs=3)


# --------------------------------------------------------------------------- bootstrap
def test_bootstrap_ci_structure_reproducibility_and_width() -> None:
    rng = np.random.default_rng(11)
    x = rng.normal(0, 0.02, 2000)
    est = Parametric("normal")
    res = bootstrap_ci(x, est, [0.99, 0.995], n_boot=100, seed=1)
    assert isinstance(res, BootstrapCI)
    a = res.table
    pd.testing.assert_frame_equal(a, bootstrap_ci(x, est, [0.99, 0.995], n_boot=100, seed=1).table)
    assert list(a.columns) == ["estimate", "lower", "upper", "width", "rel_width"]
    assert a.index.names == ["level", "measure"] and a.attrs == {}
    assert (res.method, res.ci, res.horizon, res.n_boot, res.failed) == (est.name, 0.9, 1, 100, 0)
    assert (res.block_size, res.condition_days) == (1, 100)
    assert (a["lower"] <= a["estimate"]).all() and (a["estimate"] <= a["upper"]).all()
    # known truth: 99% VaR of N(0, 0.02) is 0.04653; a 90% CI from 2,000 draws contains it
    truth = normal_var_es(0.99, sigma=0.02)[0]
    row = a.loc[(0.99, "var")]
    assert row["lower"] < truth < row["upper"]
    # asymptotic s.e. of sigma-hat is sigma/sqrt(2n): 90% width ~ 2*1.645*z*sigma/sqrt(2n)
    expected = 2 * 1.645 * stats.norm.ppf(0.99) * 0.02 / math.sqrt(2 * 2000)
    assert row["width"] == pytest.approx(expected, rel=0.25)
    small = bootstrap_ci(x[:250], est, 0.99, n_boot=100, seed=1).table
    assert small.loc[(0.99, "var"), "width"] > 2 * row["width"]


def test_bootstrap_ci_historical_and_blocks() -> None:
    x = np.random.default_rng(2).standard_t(4, 1000) * 0.02
    res = bootstrap_ci(x, HistoricalSimulation(), 0.99, n_boot=60, seed=3, block_size=20)
    assert res.block_size == 20 and res.failed == 0 and res.method == "historical"
    assert (res.table["width"] > 0).all()
    # "auto" records the length it resolved to (arch's Politis-White length of the squares)
    auto = bootstrap_ci(x, HistoricalSimulation(), 0.99, n_boot=20, seed=3, block_size="auto")
    assert auto.block_size == auto_block_size(x)
    with pytest.raises(ConfigError):
        bootstrap_ci(x, HistoricalSimulation(), 0.99, n_boot=5)


@pytest.mark.slow
def test_bootstrap_ci_coverage_on_known_truth() -> None:
    """Known truth: i.i.d. N(0, 2%) returns, 120 independent samples of 500 days. The 90%
    percentile interval of the normal 99% VaR must cover the true VaR in about 90% of samples;
    with 120 samples the s.e. of the coverage is 2.7%, so we accept 0.82-0.97 (~3 s.e.)."""
    truth = normal_var_es(0.99, sigma=0.02)[0]
    est = Parametric("normal")
    covered = 0
    for i, child in enumerate(np.random.SeedSequence(77).spawn(120)):
        x = np.random.default_rng(child).normal(0, 0.02, 500)
        ci = bootstrap_ci(x, est, 0.99, n_boot=80, seed=i).table.loc[(0.99, "var")]
        covered += ci["lower"] <= truth <= ci["upper"]
    assert 0.82 <= covered / 120 <= 0.97


@pytest.mark.parametrize("fmt", ["parquet", "csv"])
def test_bootstrap_table_round_trips(round_trip, fmt: str) -> None:
    """The interval table writes to Parquet and CSV and reads back equal; the settings live on
    the result, not in ``DataFrame.attrs``."""
    x = np.random.default_rng(5).normal(0, 0.02, 500)
    res = bootstrap_ci(x, Parametric("normal"), [0.99, 0.995], n_boot=20, seed=1)
    pd.testing.assert_frame_equal(round_trip(res.table, fmt), res.table)
    assert "block_size" in str(res) and "<table" in res._repr_html_()


# ------------------------------------------------------------ square-root-of-time with a mean
def test_sqrt_rule_scales_mean_by_h_not_sqrt_h() -> None:
    """Regression: the sqrt-of-time rule must give mean ``h mu`` and spread ``sqrt(h) sigma``.

    Reference: for a sum of h i.i.d. N(mu, sigma^2) returns the loss is N(-h mu, h sigma^2), so
    VaR/ES are :func:`normal_var_es` with ``mu = h mu``, ``sigma = sqrt(h) sigma`` (closed form,
    QRM 2015 eq. 2.18). Cornish-Fisher with zero skewness and excess kurtosis *is* the normal,
    so its "sqrt" method must match that closed form exactly. Before the fix the whole
    one-period loss, drift included, was multiplied by sqrt(h).
    """
    from riskkit.risk import CornishFisherParams

    mu, sigma, h = 0.004, 0.03, 10
    params = CornishFisherParams(mu, sigma, 0.0, 0.0)
    x = np.random.default_rng(1).normal(mu, sigma, 300)
    for method in ("sqrt", "cumulants"):
        out = CornishFisher(horizon_method=method).forecast(x, params, [0.99], h)
        ref = normal_var_es(0.99, mu=h * mu, sigma=math.sqrt(h) * sigma)
        np.testing.assert_allclose(out[0], ref, rtol=1e-12)


@pytest.mark.filterwarnings("ignore::riskkit.exceptions.ConvergenceWarning")
def test_fhs_and_evt_sqrt_rule_with_constant_mean() -> None:
    """FHS and GARCH-EVT "sqrt": ``VaR_h = -h mu + sqrt(h) sigma_{T+1} q`` where ``q`` is the
    one-period quantile of the standardised loss, computed here independently from the filtered
    residuals (FHS: empirical lower quantile; EVT: McNeil-Frey GPD formula)."""
    rng = np.random.default_rng(7)
    x = 0.003 + 0.02 * rng.standard_t(5, 800) * math.sqrt(3 / 5)
    spec = GarchSpec("GARCH", dist="normal", mean="constant")
    h = 10
    fhs = FilteredHistoricalSimulation(spec, horizon_method="sqrt")
    p = fhs.fit(x)
    assert abs(p.mu) > 1e-3  # the test is only meaningful with a visible drift
    s2 = filter_variance(p, x)
    z = (x - p.mu) / np.sqrt(s2[:-1])
    zl = np.sort(-z)
    q = zl[int(math.ceil(0.99 * len(zl))) - 1]  # lower empirical 0.99-quantile of -z
    out = fhs.forecast(x, p, [0.99], h)
    assert out[0, 0] == pytest.approx(-h * p.mu + math.sqrt(h * s2[-1]) * q, rel=1e-10)
    evt = EVTPeaksOverThreshold(spec, horizon_method="sqrt")
    pe = evt.fit(x)
    v1, e1 = gpd_tail_var_es(0.99, pe.threshold, pe.xi, pe.beta, pe.tail_fraction)
    sg = math.sqrt(filter_variance(pe.garch, x)[-1])
    out = evt.forecast(x, pe, [0.99], h)
    mu_g = pe.garch.mu
    np.testing.assert_allclose(
        out[0], [-h * mu_g + math.sqrt(h) * sg * v1, -h * mu_g + math.sqrt(h) * sg * e1], rtol=1e-10
    )
