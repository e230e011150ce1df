"""Historical volatility measures and residual diagnostics."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from arch.univariate import GARCH, EWMAVariance, Normal, ZeroMean

from riskkit.exceptions import ConfigError, DataError
from riskkit.volatility import (
    GarchSpec,
    annualize,
    arch_lm,
    close_to_close,
    ewma_variance,
    ewma_volatility,
    garman_klass,
    ljung_box,
    parkinson,
    qq_data,
    residual_diagnostics,
    rogers_satchell,
    sign_bias_test,
    yang_zhang,
)


@pytest.fixture(scope="module")
def gbm_ohlc() -> pd.DataFrame:
    """Known truth: driftless GBM, sigma = 3% per day, observed every minute (1,440 steps a
    day), 1,000 bars opening at the previous close (24/7 market)."""
    rng = np.random.default_rng(42)
    n, m, sigma = 1000, 1440, 0.03
    steps = rng.standard_normal((n, m)) * sigma / math.sqrt(m)
    paths = np.cumsum(steps, axis=1)
    start = np.r_[0.0, paths[:-1, -1].cumsum()]
    log_p = start[:, None] + np.concatenate([np.zeros((n, 1)), paths], axis=1)
    px = 100 * np.exp(log_p)
    idx = pd.date_range("2020-01-01", periods=n, freq="D", name="date")
    return pd.DataFrame(
        {"open": px[:, 0], "high": px.max(axis=1), "low": px.min(axis=1), "close": px[:, -1]},
        index=idx,
    )


@pytest.mark.parametrize(
    ("func", "tol"),
    [(parkinson, 0.04), (garman_klass, 0.04), (rogers_satchell, 0.05)],
    ids=["parkinson", "garman_klass", "rogers_satchell"],
)
def test_range_estimators_recover_gbm_volatility(gbm_ohlc, func, tol) -> None:
    """Known truth sigma = 3%/day. Sampling s.e. of these estimators on 1,000 bars is ~1%
    (Garman & Klass 1980, efficiency 5-7x); discrete monitoring biases the range down ~1%."""
    assert func(gbm_ohlc) == pytest.approx(0.03, rel=tol)
    rolled = func(gbm_ohlc, window=250)
    assert rolled.index.equals(gbm_ohlc.index)
    assert rolled.iloc[:249].isna().all()
    assert rolled.dropna().between(0.025, 0.035).all()


def test_yang_zhang_and_close_to_close_recover_gbm_volatility(gbm_ohlc) -> None:
    yz = yang_zhang(gbm_ohlc, window=250)
    assert yz.dropna().mean() == pytest.approx(0.03, rel=0.04)
    r = np.log(gbm_ohlc["close"]).diff().dropna()
    assert close_to_close(r) == pytest.approx(0.03, rel=0.07)  # s.e. ~ 1/sqrt(2n) = 2.2%
    assert close_to_close(r, periods_per_year=365) == pytest.approx(
        close_to_close(r) * math.sqrt(365)
    )


def test_close_to_close_rolling_matches_pandas_and_rms() -> None:
    r = pd.Series(np.random.default_rng(0).normal(0.001, 0.02, 300))
    pd.testing.assert_series_equal(
        close_to_close(r, window=30), r.rolling(30).std().rename("close_to_close")
    )
    rms = close_to_close(r, window=30, demean=False)
    assert rms.iloc[-1] == pytest.approx(math.sqrt((r.iloc[-30:] ** 2).mean()))


def test_ewma_matches_pandas_ewm_and_arch() -> None:
    """Independent implementations: pandas ``ewm(alpha=1-lambda, adjust=False)`` (which starts
    at the first squared return) and arch's ``EWMAVariance`` (which starts at its backcast and
    whose sigma^2_{t+1} is our value at t)."""
    r = pd.Series(np.random.default_rng(1).standard_t(4, 800) * 0.03)
    ours = ewma_variance(r, lam=0.94, init="first")
    ref = (r**2).ewm(alpha=0.06, adjust=False).mean()
    np.testing.assert_allclose(ours.to_numpy(), ref.to_numpy(), rtol=1e-12)
    model = ZeroMean(r * 100, volatility=EWMAVariance(0.94))
    arch_s2 = model.fix([]).conditional_volatility.to_numpy() ** 2 / 1e4
    ours_bc = ewma_variance(r, lam=0.94, init="backcast", mask_warmup=False).to_numpy()
    np.testing.assert_allclose(ours_bc[:-1], arch_s2[1:], rtol=1e-10)
    vol = ewma_volatility(r, periods_per_year=365)
    assert vol.iloc[-1] == pytest.approx(math.sqrt(ours_bc[-1] * 365), rel=1e-3)


def test_ewma_sample_init_and_validation() -> None:
    r = pd.Series(np.random.default_rng(1).normal(0, 0.02, 200))
    s0 = float((r.iloc[:30] ** 2).mean())
    unmasked = ewma_variance(r, mask_warmup=False)
    assert unmasked.iloc[0] == pytest.approx(0.94 * s0 + 0.06 * r.iloc[0] ** 2)
    assert ewma_variance(r, init=1e-4).iloc[0] == pytest.approx(0.94e-4 + 0.06 * r.iloc[0] ** 2)
    # the default hides the 29 values whose starting value uses later returns
    masked = ewma_variance(r)
    assert masked.iloc[:29].isna().all() and masked.iloc[29:].notna().all()
    np.testing.assert_array_equal(masked.iloc[29:], unmasked.iloc[29:])
    with pytest.raises(ConfigError):
        ewma_variance(r, lam=1.0)
    with pytest.raises(ConfigError):
        ewma_variance(r, init="median")
    r.iloc[5] = np.nan
    with pytest.raises(DataError):
        ewma_variance(r)


def test_ohlc_validation_names_the_bad_rows(gbm_ohlc) -> None:
    bad = gbm_ohlc.copy()
    bad.iloc[10, bad.columns.get_loc("high")] = bad.iloc[10]["low"] * 0.5
    with pytest.raises(DataError, match="2020-01-11"):
        parkinson(bad)
    with pytest.raises(DataError, match="lacks"):
        garman_klass(gbm_ohlc[["high", "low"]])
    with pytest.raises(DataError, match="window"):
        parkinson(gbm_ohlc.iloc[:10], window=20)
    with pytest.raises(ConfigError):
        annualize(0.02, periods_per_year=0)


@pytest.fixture(scope="module")
def garch_sim() -> pd.Series:
    """GJR-GARCH(1,1) returns (gamma = 0.15: strong leverage) simulated by arch."""
    model = ZeroMean(None, volatility=GARCH(1, 1, 1), distribution=Normal(seed=8))
    sim = model.simulate([0.05, 0.02, 0.15, 0.88], 3000)
    return sim["data"] / 100


def test_arch_effects_detected_in_returns_but_not_in_residuals(garch_sim) -> None:
    """Known truth: raw GARCH returns have ARCH effects (tests reject); standardised residuals
    of the true model family do not (tests do not reject at 1%)."""
    assert arch_lm(garch_sim)["lm_pvalue"] < 1e-6
    assert ljung_box(garch_sim, lags=[10], squared=True)["lb_pvalue"].iloc[0] < 1e-6
    res = GarchSpec("GJR").fit(garch_sim)
    diag = residual_diagnostics(res)
    assert diag["arch_lm"] > 0.01
    assert diag["lb_z2"] > 0.01
    assert diag["sign_bias_joint"] > 0.01
    assert diag["ks"] > 0.01


def test_sign_bias_detects_neglected_asymmetry(garch_sim) -> None:
    """Engle & Ng (1993): a symmetric GARCH fitted to GJR data leaves negative-size bias."""
    z = GarchSpec("GARCH").fit(garch_sim).std_resid
    table = sign_bias_test(z)
    assert list(table.index) == [
        "sign_bias",
        "negative_size_bias",
        "positive_size_bias",
        "joint",
    ]
    assert table.loc["joint", "p_value"] < 0.01
    # negative size bias: larger negative shocks raise next variance, so the slope is negative
    assert table.loc["negative_size_bias", "statistic"] < 0


def test_sign_bias_regression_matches_direct_least_squares() -> None:
    """Independent computation: numpy lstsq coefficients and the n R^2 statistic."""
    z = np.random.default_rng(4).standard_normal(1000)
    y, lag = z[1:] ** 2, z[:-1]
    neg = (lag < 0).astype(float)
    X = np.column_stack([np.ones_like(lag), neg, neg * lag, (1 - neg) * lag])
    beta, *_ = np.linalg.lstsq(X, y, rcond=None)
    resid = y - X @ beta
    r2 = 1 - resid.var() / y.var()
    s2 = resid @ resid / (len(y) - 4)
    se = np.sqrt(np.diag(np.linalg.inv(X.T @ X)) * s2)
    table = sign_bias_test(z)
    np.testing.assert_allclose(table["statistic"].iloc[:3], (beta / se)[1:], rtol=1e-8)
    assert table.loc["joint", "statistic"] == pytest.approx(len(y) * r2, rel=1e-8)


def test_qq_data_against_fitted_distribution(garch_sim) -> None:
    res = GarchSpec("GJR", dist="ged").fit(garch_sim)
    qq = qq_data(res.std_resid, res)
    assert list(qq.columns) == ["theoretical", "sample"]
    assert len(qq) == len(garch_sim)
    assert qq["sample"].is_monotonic_increasing and qq["theoretical"].is_monotonic_increasing
    assert np.corrcoef(qq["theoretical"], qq["sample"])[0, 1] > 0.995
    # plotting position of the median is the 0 quantile of a symmetric law
    assert qq["theoretical"].iloc[len(qq) // 2] == pytest.approx(0.0, abs=0.01)


@pytest.mark.parametrize("init", ["sample", "backcast", "first", 4e-4])
def test_ewma_has_no_look_ahead(init) -> None:
    """Changing returns after date t leaves every non-NaN value up to t unchanged."""
    r = pd.Series(np.random.default_rng(11).normal(0, 0.02, 300))
    t = 40
    changed = r.copy()
    changed.iloc[t + 1 :] *= 3.0
    a, b = ewma_variance(r, init=init), ewma_variance(changed, init=init)
    np.testing.assert_array_equal(a.iloc[: t + 1].dropna(), b.iloc[: t + 1].dropna())
    assert a.iloc[: t + 1].notna().any() or init == "backcast"


def test_importing_volatility_does_not_import_risk() -> None:
    """riskkit.volatility sits below riskkit.risk: importing it (and its fast backend) must not
    pull in riskkit.risk (a fresh interpreter, so that nothing is imported already)."""
    import subprocess
    import sys

    code = (
        "import riskkit.volatility, riskkit.volatility.fast, sys; "
        "bad = sorted(m for m in sys.modules if m.startswith('riskkit.risk')); "
        "assert not bad, bad"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr


def test_one_ewma_recursion_serves_every_caller() -> None:
    """riskkit.volatility.ewma_filter against a plain Python loop of the RiskMetrics recursion
    (J.P. Morgan/Reuters 1996, eq. 5.3), for a series and for a stack of outer products, and the
    callers built on it: ewma_variance, the portfolio EWMA covariance, DCC's EWMA filter and the
    options-grid volatility proxy give the loop's numbers exactly."""
    from riskkit.options.scenarios import calibrate_grid
    from riskkit.portfolio import ewma_covariance, fit_univariate
    from riskkit.volatility import ewma_filter

    rng = np.random.default_rng(4)
    x = rng.standard_t(4, 400) * 0.03
    lam, s0 = 0.94, float(np.mean(x[:30] ** 2))
    loop = [s0]
    for v in x:
        loop.append(lam * loop[-1] + (1 - lam) * (v * v))
    np.testing.assert_array_equal(ewma_filter(x**2, lam, s0), loop)
    # 2-d along time: each column is its own recursion
    xx = np.column_stack([x, x[::-1]])
    out = ewma_filter(xx**2, lam, np.array([s0, 1e-3]))
    np.testing.assert_array_equal(out[:, 0], loop)
    assert out.shape == (401, 2) and out[0, 1] == 1e-3
    r = pd.Series(x, index=pd.date_range("2020-01-01", periods=400, name="date"), name="A")
    unmasked = ewma_variance(r, lam=lam, init=s0, mask_warmup=False).to_numpy()
    np.testing.assert_array_equal(unmasked, loop[1:])
    f = fit_univariate(r, "ewma", lam=lam)
    np.testing.assert_array_equal(f.sigma.to_numpy() ** 2, np.sqrt(loop[:-1]) ** 2)
    assert f.next_sigma == math.sqrt(loop[-1])
    frame = pd.DataFrame({"A": x, "B": x[::-1]}, index=r.index)
    cov = ewma_covariance(frame, lam=lam, seed_window=30)
    np.testing.assert_array_equal(cov[:, 0, 0], loop)
    grid = calibrate_grid(r, horizon=1, quantile=0.99, lam=lam)
    vol = pd.Series(np.sqrt(loop[:-1]), index=r.index)
    change = np.log(vol.shift(-1) / vol).dropna().to_numpy()
    assert grid.vol_up == np.expm1(np.quantile(change, 0.99))
