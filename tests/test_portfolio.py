"""riskkit.portfolio: alignment, P&L, correlation, DCC, FHS VaR/ES, offsets and the EMIR cap."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy.stats import multivariate_normal, norm

from riskkit.exceptions import ConfigError, DataError, DataQualityWarning
from riskkit.portfolio import (
    DCC,
    AlignedReturns,
    DCCCorrelationFit,
    OffsetPath,
    PortfolioRisk,
    align_returns,
    capped_margin,
    dcc_correlations,
    ewma_covariance,
    fit_dcc_correlation,
    notionals_from_quantities,
    offset_vs_correlation,
    pnl_from_quantities,
    portfolio_fhs,
    portfolio_pnl,
    rolling_correlation,
    rolling_offset,
    simulate_dcc,
)
from riskkit.portfolio.dcc import _neg_loglik


def dates(n: int) -> pd.DatetimeIndex:
    return pd.date_range("2014-01-01", periods=n, freq="D", name="date")


@pytest.fixture
def bivariate_normal() -> tuple[pd.DataFrame, np.ndarray]:
    """4,000 iid bivariate normal daily returns, vols 1% and 1.5%, correlation 0.6."""
    rng = np.random.default_rng(2024)
    vols = np.array([0.01, 0.015])
    corr = np.array([[1.0, 0.6], [0.6, 1.0]])
    cov = corr * np.outer(vols, vols)
    x = rng.multivariate_normal(np.zeros(2), cov, size=4000)
    return pd.DataFrame(x, index=dates(4000), columns=["BTC", "ETH"]), cov


# ---------------------------------------------------------------- alignment and P&L


def test_align_returns_reports_dropped_dates() -> None:
    a = pd.Series([0.01, 0.02, 0.03, 0.04], index=dates(4))
    b = pd.Series([0.01, np.nan, 0.03], index=dates(3))
    with pytest.warns(DataQualityWarning, match=r"dropped 2 of 4 dates.*ETH: 2 date\(s\)"):
        out = align_returns({"BTC": a, "ETH": b})
    assert isinstance(out, AlignedReturns)
    assert list(out.returns.index) == [dates(4)[0], dates(4)[2]]
    assert out.returns.attrs == {}
    # ETH has no return on 2 January (NaN) nor on 4 January (absent); BTC has both
    assert list(out.dropped_dates("ETH")) == [dates(4)[1], dates(4)[3]]
    assert list(out.dropped_dates("BTC")) == []
    assert out.dropped.to_dict("list") == {"BTC": [False, False], "ETH": [True, True]}
    with pytest.raises(DataError, match="no asset 'SOL'"):
        out.dropped_dates("SOL")
    with pytest.raises(DataError, match="2014-01-02"):
        align_returns({"BTC": a, "ETH": b}, how="error")
    # nothing to drop: an empty table with the asset columns, and no warning
    full = align_returns({"BTC": a, "ETH": a}, how="error")
    assert full.dropped.empty and list(full.dropped.columns) == ["BTC", "ETH"]
    pd.testing.assert_frame_equal(full.returns, pd.DataFrame({"BTC": a, "ETH": a}))


def test_portfolio_pnl_by_hand() -> None:
    r = pd.DataFrame({"BTC": [0.1, -0.2], "ETH": [0.05, 0.0]}, index=dates(2))
    pnl = portfolio_pnl(r, {"BTC": 1000.0, "ETH": -500.0})
    # hand: 1000 (e^0.1 - 1) - 500 (e^0.05 - 1); 1000 (e^-0.2 - 1)
    expected = [1000 * np.expm1(0.1) - 500 * np.expm1(0.05), 1000 * np.expm1(-0.2)]
    np.testing.assert_allclose(pnl.to_numpy(), expected, rtol=1e-14)
    simple = portfolio_pnl(r, {"BTC": 1000.0}, kind="simple")
    np.testing.assert_allclose(simple.to_numpy(), [100.0, -200.0])


def test_quantities_need_prices_and_name_missing_labels() -> None:
    prices = pd.DataFrame({"BTC": [100.0, 110.0], "ETH": [10.0, 9.0]}, index=dates(2))
    n = notionals_from_quantities({"BTC": 2.0, "ETH": -3.0}, prices)
    assert n.to_dict() == {"BTC": 220.0, "ETH": -27.0}
    pnl = pnl_from_quantities(prices, {"BTC": 2.0, "ETH": -3.0})
    assert pnl.iloc[0] == pytest.approx(2 * 10 - 3 * (-1))
    with pytest.raises(DataError, match=r"\['LTC'\]"):
        notionals_from_quantities({"BTC": 1.0, "LTC": 1.0}, prices)
    with pytest.raises(DataError, match=r"\['XRP'\]"):
        portfolio_pnl(prices.pct_change().dropna(), {"XRP": 1.0})


# ---------------------------------------------------------------- correlation


def test_ewma_covariance_matches_plain_recursion(bivariate_normal) -> None:
    r, _ = bivariate_normal
    r = r.iloc[:200]
    S = ewma_covariance(r, lam=0.94, seed_window=30)
    # reference: the RiskMetrics recursion written out as a loop
    x = r.to_numpy()
    ref = x[:30].T @ x[:30] / 30
    for t in range(len(x)):
        assert np.allclose(S[t], ref, rtol=1e-12)
        ref = 0.94 * ref + 0.06 * np.outer(x[t], x[t])
    assert np.allclose(S[-1], ref, rtol=1e-12)


def test_rolling_correlation_has_no_look_ahead(bivariate_normal) -> None:
    r, _ = bivariate_normal
    rc = rolling_correlation(r, 50)
    t = 120
    ref = np.corrcoef(r.iloc[t - 50 : t].to_numpy(), rowvar=False)[0, 1]
    assert rc["BTC/ETH"].iloc[t] == pytest.approx(ref, rel=1e-10)
    assert rc["BTC/ETH"].iloc[:50].isna().all()


# ---------------------------------------------------------------- DCC


def test_dcc_loglik_matches_multivariate_normal_densities() -> None:
    # independent reference: correlation log-likelihood = sum_t [log N(z_t; 0, R_t) - log N(z_t; 0, I)]
    _, z, _ = simulate_dcc(300, 0.05, 0.9, np.array([[1.0, 0.4], [0.4, 1.0]]), seed=1)
    qbar = z.T @ z / len(z)
    _, R = dcc_correlations(z, 0.05, 0.9, qbar)
    ref = sum(
        multivariate_normal(np.zeros(2), R[t]).logpdf(z[t])
        - multivariate_normal(np.zeros(2), np.eye(2)).logpdf(z[t])
        for t in range(len(z))
    )
    assert -_neg_loglik(np.array([0.05, 0.9]), z, qbar) == pytest.approx(ref, rel=1e-10)


def test_dcc_recovers_known_parameters() -> None:
    # simulation with known truth: a = 0.05, b = 0.90, Rbar correlation 0.5
    rbar = np.array([[1.0, 0.5], [0.5, 1.0]])
    _, z, _ = simulate_dcc(5000, 0.05, 0.90, rbar, seed=42)
    fit = fit_dcc_correlation(z)
    assert isinstance(fit, DCCCorrelationFit)
    assert fit.converged
    assert fit.a == pytest.approx(0.05, abs=0.015)
    assert fit.b == pytest.approx(0.90, abs=0.03)
    assert fit.qbar[0, 1] == pytest.approx(0.5, abs=0.05)
    assert fit.params.to_dict() == {"a": fit.a, "b": fit.b}
    assert fit.loglik == pytest.approx(-_neg_loglik(np.array([fit.a, fit.b]), z, fit.qbar))


def test_compiled_dcc_likelihood_equals_the_textbook_formula() -> None:
    # Engle (2002) eq. 26, correlation part, written out date by date with numpy's slogdet and
    # solve (no shared code with the compiled Q recursion and per-date Cholesky of riskkit)
    rng = np.random.default_rng(3)
    z = (
        rng.standard_normal((300, 4))
        @ np.linalg.cholesky(
            np.array(
                [[1, 0.5, 0.2, 0.1], [0.5, 1, 0.3, 0.2], [0.2, 0.3, 1, 0.4], [0.1, 0.2, 0.4, 1]]
            )
        ).T
    )
    qbar = z.T @ z / len(z)
    a, b = 0.04, 0.9
    q, total = qbar.copy(), 0.0
    for t in range(len(z)):
        d = np.sqrt(np.diag(q))
        r = q / np.outer(d, d)
        total += np.linalg.slogdet(r)[1] + z[t] @ np.linalg.solve(r, z[t]) - z[t] @ z[t]
        q = (1 - a - b) * qbar + a * np.outer(z[t], z[t]) + b * q
    assert _neg_loglik(np.array([a, b]), z, qbar) == pytest.approx(0.5 * total, rel=1e-12)
    # the Q path of dcc_correlations ends on the same next-date matrix
    np.testing.assert_allclose(dcc_correlations(z, a, b, qbar)[0][-1], q, rtol=1e-12)
    # outside the domain: the penalty value SLSQP is steered away with
    assert _neg_loglik(np.array([0.5, 0.6]), z, qbar) == 1e10


def test_dcc_fast_backend_gives_the_arch_backend_fit() -> None:
    # the univariate step on riskkit's compiled likelihood (used for many assets) against arch,
    # the independent reference: same GARCH optimum, hence the same residuals and DCC estimate
    rbar = np.array([[1.0, 0.6, 0.3], [0.6, 1.0, 0.4], [0.3, 0.4, 1.0]])
    garch = [(2e-5, 0.08, 0.90), (4e-5, 0.10, 0.85), (1e-5, 0.05, 0.93)]
    ret, _, _ = simulate_dcc(1500, 0.04, 0.93, rbar, garch=garch, seed=8)
    frame = pd.DataFrame(ret, index=dates(1500), columns=list("ABC"))
    ref = DCC(vol="garch").fit(frame)
    fast = DCC(vol="garch", backend="fast").fit(frame)
    for col in frame.columns:
        assert fast.univariate[col].garch.backend == "fast"
        np.testing.assert_allclose(
            fast.univariate[col].garch.params, ref.univariate[col].garch.params, rtol=2e-2
        )
    np.testing.assert_allclose(fast.params, ref.params, rtol=1e-2)
    np.testing.assert_allclose(fast.R[-1], ref.R[-1], atol=2e-3)
    with pytest.raises(ConfigError, match="backend"):
        DCC(backend="numba")


def test_dcc_two_step_with_garch_margins() -> None:
    # truth: GARCH(1,1) margins and DCC(0.04, 0.93), three assets
    rbar = np.array([[1.0, 0.6, 0.3], [0.6, 1.0, 0.4], [0.3, 0.4, 1.0]])
    garch = [(2e-5, 0.08, 0.90), (4e-5, 0.10, 0.85), (1e-5, 0.05, 0.93)]
    ret, _, R = simulate_dcc(4000, 0.04, 0.93, rbar, garch=garch, seed=5)
    res = DCC(vol="garch").fit(pd.DataFrame(ret, index=dates(4000), columns=list("ABC")))
    assert (res.vol, res.dist, res.mean, res.converged) == ("garch", "normal", "constant", True)
    assert res.params["a"] == pytest.approx(0.04, abs=0.015)
    assert res.params["b"] == pytest.approx(0.93, abs=0.04)
    # the filtered correlation path tracks the true one
    err = np.abs(res.R[:-1, 0, 1] - R[:, 0, 1])
    assert np.median(err) < 0.06
    assert res.summary().loc[("dcc", "a"), "estimate"] == pytest.approx(res.params["a"])
    fc = res.forecast(200)
    # multi-step forecasts revert towards the unconditional correlation (Engle-Sheppard)
    assert abs(fc[-1, 0, 1] - res.qbar[0, 1] / np.sqrt(res.qbar[0, 0] * res.qbar[1, 1])) < 0.01


def test_dcc_constant_correlation_is_recovered(bivariate_normal) -> None:
    # truth: constant correlation 0.6 (iid) -> a near 0 and forecasts near 0.6
    r, _ = bivariate_normal
    res = DCC(vol="constant").fit(r)
    assert res.params["a"] < 0.02
    assert res.R[-1, 0, 1] == pytest.approx(0.6, abs=0.03)
    assert res.correlation["BTC/ETH"].std() < 0.03


# ---------------------------------------------------------------- FHS VaR/ES


@pytest.mark.parametrize("notionals", [{"BTC": 1e6, "ETH": -5e5}, {"BTC": 1e6, "ETH": 1e6}])
@pytest.mark.parametrize("horizon", [1, 10])
def test_fhs_matches_bivariate_normal_closed_form(bivariate_normal, notionals, horizon) -> None:
    # closed form: linear loss -N'r ~ N(0, h N' S N): VaR = z_p s, ES = phi(z_p) / (1 - p) s
    r, cov = bivariate_normal
    res = portfolio_fhs(
        r,
        notionals,
        levels=[0.99],
        horizon=horizon,
        n_sims=40_000,
        seed=1,
        vol_model="constant",
        pnl="linear",
    )
    n = np.array(list(notionals.values()))
    s = np.sqrt(horizon * n @ cov @ n)
    z = norm.ppf(0.99)
    assert res.table.loc["portfolio", "var_0.99"] == pytest.approx(z * s, rel=0.06)
    assert res.table.loc["portfolio", "es_0.99"] == pytest.approx(norm.pdf(z) / 0.01 * s, rel=0.06)
    single = z * np.sqrt(horizon) * np.abs(n) * np.sqrt(np.diag(cov))
    np.testing.assert_allclose(res.table.loc[["BTC", "ETH"], "var_0.99"], single, rtol=0.06)


def test_fhs_with_garch_filter_on_iid_data(bivariate_normal) -> None:
    # GARCH on iid data forecasts close to the unconditional vol: same closed form, wider tolerance
    r, cov = bivariate_normal
    n = np.array([1e6, -5e5])
    res = portfolio_fhs(r, dict(zip(r.columns, n, strict=True)), 0.99, n_sims=40_000, seed=2)
    s = np.sqrt(n @ cov @ n)
    assert res.table.loc["portfolio", "var_0.99"] == pytest.approx(norm.ppf(0.99) * s, rel=0.1)


def test_fhs_dcc_and_stress_correlation(bivariate_normal) -> None:
    r, _ = bivariate_normal
    pos = {"BTC": 1e6, "ETH": 1e6}
    dcc_res = portfolio_fhs(r, pos, 0.99, seed=3, vol_model="constant", correlation="dcc")
    assert dcc_res.correlation_forecast.loc["BTC", "ETH"] == pytest.approx(0.6, abs=0.03)
    # comonotone stress (correlation -> 1): VaR becomes additive for linear long/long P&L
    stress = portfolio_fhs(
        r,
        pos,
        0.99,
        seed=3,
        vol_model="constant",
        pnl="linear",
        correlation=np.array([[1.0, 0.9999], [0.9999, 1.0]]),
    )
    t = stress.table
    assert t.loc["portfolio", "var_0.99"] == pytest.approx(
        t.loc["sum_single", "var_0.99"], rel=0.02
    )


def test_fhs_records_its_settings(bivariate_normal) -> None:
    r, _ = bivariate_normal
    r = r.iloc[:500]
    pos = {"BTC": 1.0, "ETH": -1.0}
    res = portfolio_fhs(r, pos, 0.99, n_sims=500, seed=1, vol_model="ewma")
    assert isinstance(res, PortfolioRisk)
    assert (res.vol_model, res.correlation_method, res.n_sims, res.n_obs, res.pnl) == (
        "ewma", "empirical", 500, 500, "exact"
    )  # fmt: skip
    assert res.last_date == r.index[-1]
    # a given DCC fit brings its own filters: the result names them, not the vol_model argument
    dcc = DCC(vol="constant").fit(r)
    res = portfolio_fhs(r, pos, 0.99, n_sims=500, seed=1, correlation="dcc", dcc=dcc)
    assert (res.vol_model, res.correlation_method) == ("constant", "dcc")
    res = portfolio_fhs(r, pos, 0.99, n_sims=500, seed=1, correlation=np.eye(2))
    assert res.correlation_method == "matrix"


def test_fhs_is_seeded(bivariate_normal) -> None:
    r, _ = bivariate_normal
    a = portfolio_fhs(r, {"BTC": 1.0, "ETH": -1.0}, 0.99, horizon=5, seed=9, vol_model="ewma")
    b = portfolio_fhs(r, {"BTC": 1.0, "ETH": -1.0}, 0.99, horizon=5, seed=9, vol_model="ewma")
    c = portfolio_fhs(r, {"BTC": 1.0, "ETH": -1.0}, 0.99, horizon=5, seed=10, vol_model="ewma")
    pd.testing.assert_frame_equal(a.table, b.table)
    assert not np.allclose(a.losses, c.losses)


def test_fhs_bad_inputs(bivariate_normal) -> None:
    r, _ = bivariate_normal
    with pytest.raises(DataError, match=r"\['SOL'\]"):
        portfolio_fhs(r, {"BTC": 1.0, "SOL": 1.0})
    with pytest.raises(ConfigError, match="between 0 and 1"):
        portfolio_fhs(r, {"BTC": 1.0}, levels=99)
    with pytest.raises(ConfigError, match="unit diagonal"):
        portfolio_fhs(r, {"BTC": 1.0, "ETH": 1.0}, correlation=np.eye(3))
    bad = r.copy()
    bad.iloc[5, 0] = np.nan
    with pytest.raises(DataError, match="NaN"):
        portfolio_fhs(bad, {"BTC": 1.0})


# ---------------------------------------------------------------- offsets and the EMIR cap


def test_capped_margin_arithmetic() -> None:
    # EMIR RTS 153/2013 Art. 27(4): reduction <= 80% of (sum of single margins - portfolio margin)
    out = capped_margin(100.0, 60.0)
    assert out["offset"] == 40.0
    assert out["reduction"] == pytest.approx(32.0)
    assert out["margin"] == pytest.approx(68.0)
    assert capped_margin(100.0, 60.0, max_reduction=1.0)["margin"] == pytest.approx(60.0)
    # VaR is not sub-additive: a portfolio margin above the sum gets no reduction
    assert capped_margin(100.0, 110.0)["margin"] == pytest.approx(110.0)
    with pytest.raises(ConfigError):
        capped_margin(100.0, 60.0, max_reduction=1.2)


def test_offset_vs_correlation_closed_form() -> None:
    # equal stand-alone risks: long/long has no offset at rho = 1 and a full one at rho = -1
    t = offset_vs_correlation([0.02, 0.04], [2.0, 1.0], [-1.0, 0.0, 1.0], level=0.99, measure="var")
    assert t.loc[1.0, "offset"] == pytest.approx(0.0, abs=1e-12)
    assert t.loc[-1.0, "portfolio"] == pytest.approx(0.0, abs=1e-12)
    # rho = 0: portfolio = z sqrt(2) x 0.04, sum = z 2 x 0.04 -> offset ratio 1 - 1/sqrt(2)
    assert t.loc[0.0, "offset_ratio"] == pytest.approx(1 - 1 / np.sqrt(2), rel=1e-12)
    short = offset_vs_correlation([0.02, 0.04], [2.0, -1.0], [1.0], measure="var")
    assert short.loc[1.0, "portfolio"] == pytest.approx(0.0, abs=1e-12)


def test_rolling_offset_historical_and_ewma(bivariate_normal) -> None:
    r, _ = bivariate_normal
    r = r.iloc[:800]
    pos = {"BTC": 1e6, "ETH": -5e5}
    path = rolling_offset(r, pos, level=0.99, measure="var", method="historical", window=250)
    assert isinstance(path, OffsetPath)
    assert (path.level, path.measure, path.method, path.window, path.lam) == (
        0.99, "var", "historical", 250, None
    )  # fmt: skip
    ro = path.table
    # reference: numpy's lower quantile (method="inverted_cdf", min{x : F(x) >= p}, the VaR
    # definition of riskkit.risk) of the 250 losses before the date (no look-ahead)
    t = 400
    date = r.index[t]
    losses = -(1e6 * np.expm1(r["BTC"]) - 5e5 * np.expm1(r["ETH"])).iloc[t - 250 : t]
    ref = np.quantile(losses, 0.99, method="inverted_cdf")
    assert ro.loc[date, "portfolio"] == pytest.approx(ref, rel=1e-12)
    single = np.quantile(-1e6 * np.expm1(r["BTC"].iloc[t - 250 : t]), 0.99, method="inverted_cdf")
    assert ro.loc[date, "single_BTC"] == pytest.approx(single, rel=1e-12)
    assert ro.loc[date, "margin"] >= ro.loc[date, "portfolio"]
    ew_path = rolling_offset(r, pos, method="ewma", measure="es")
    assert (ew_path.method, ew_path.window, ew_path.lam) == ("ewma", None, 0.94)
    ew = ew_path.table
    S = ewma_covariance(r[["BTC", "ETH"]])
    n = np.array([1e6, -5e5])
    t = 500
    ratio = 1 - np.sqrt(n @ S[t] @ n) / (np.abs(n) @ np.sqrt(np.diag(S[t])))
    assert ew.loc[r.index[t], "offset_ratio"] == pytest.approx(ratio, rel=1e-10)


@pytest.mark.parametrize("model", ["garch", "gjr"])
def test_univariate_filter_matches_arch(model: str) -> None:
    # independent implementation: arch's own conditional volatility and 1-step forecast
    from arch import arch_model

    from riskkit.portfolio import fit_univariate

    ret, _, _ = simulate_dcc(1500, 0.0, 0.0, np.eye(2), garch=[(2e-5, 0.1, 0.85)] * 2, seed=8)
    r = pd.Series(ret[:, 0], index=dates(1500), name="A")
    f = fit_univariate(r, model, backend="arch")  # arch's estimate: the filter is under test
    am = arch_model(100 * r.to_numpy(), vol="GARCH", p=1, o=int(model == "gjr"), q=1)
    res = am.fit(disp="off")
    np.testing.assert_allclose(f.sigma.to_numpy(), res.conditional_volatility / 100, rtol=1e-6)
    fc = res.forecast(horizon=1, reindex=False).variance.to_numpy()[-1, 0]
    assert f.next_sigma == pytest.approx(np.sqrt(fc) / 100, rel=1e-6)


def test_univariate_step_uses_the_garch_layer() -> None:
    """DCC's univariate GARCH is riskkit.volatility.GarchSpec's estimate (same arch fit, same
    parameters in return units) filtered by riskkit.volatility.filter_variance."""
    from riskkit.portfolio import fit_univariate
    from riskkit.volatility import GarchSpec, filter_variance

    ret, _, _ = simulate_dcc(1200, 0.0, 0.0, np.eye(2), garch=[(2e-5, 0.1, 0.85)] * 2, seed=3)
    r = pd.Series(ret[:, 1], index=dates(1200), name="B")
    f = fit_univariate(r, "gjr", dist="t")
    ref = GarchSpec("GJR", dist="t", mean="constant").fit(r)
    assert f.garch is not None and f.garch.raw_params == ref.raw_params
    p = ref.raw_params
    assert (f.mu, f.omega, f.alpha, f.gamma, f.beta) == (
        p.mu, p.omega, p.alpha[0], p.gamma[0], p.beta[0]
    )  # fmt: skip
    s2 = filter_variance(p, r.to_numpy())
    np.testing.assert_array_equal(f.sigma.to_numpy(), np.sqrt(s2[:-1]))
    assert f.next_sigma == np.sqrt(s2[-1])
    assert fit_univariate(r, "ewma").garch is None


def test_var_es_is_the_riskkit_empirical_estimator() -> None:
    # one definition of empirical VaR/ES in riskkit: riskkit.risk.empirical_var_es (lower
    # quantile, exact tail average of Acerbi & Tasche 2002), column by column for 2-D input
    from riskkit.portfolio import var_es
    from riskkit.risk import empirical_var_es

    x = np.random.default_rng(3).standard_t(4, size=(997, 3))
    levels = [0.95, 0.99, 0.995]
    got = var_es(x, levels)
    assert got.shape == (3, 2, 3)
    for j in range(3):
        np.testing.assert_array_equal(got[:, :, j], empirical_var_es(x[:, j], levels))
    np.testing.assert_array_equal(var_es(x[:, 0], levels), empirical_var_es(x[:, 0], levels))
    # hand example (Acerbi & Tasche 2002, Prop. 3.2): losses 1..10 at 0.85, VaR = 9 (F = 0.9),
    # ES = [(0.9 - 0.85) 9 + 0.1 * 10] / 0.15 = 1.45 / 0.15
    v, e = var_es(np.arange(1.0, 11.0), [0.85])[0]
    assert v == 9.0
    assert e == pytest.approx(1.45 / 0.15, rel=1e-12)
    with pytest.raises(DataError, match="NaN"):
        var_es(np.array([1.0, np.nan]), [0.9])


def test_offset_normal_multiplier_is_the_closed_form() -> None:
    from riskkit.portfolio.offsets import _normal_k
    from riskkit.risk import normal_var_es

    for lv in (0.95, 0.99, 0.995):
        assert (_normal_k(lv, "var"), _normal_k(lv, "es")) == normal_var_es(lv)
    # independent reference: scipy's normal quantile and density, ES = phi(z) / (1 - p)
    z = norm.ppf(0.99)
    assert _normal_k(0.99, "es") == pytest.approx(norm.pdf(z) / 0.01, rel=1e-12)


# ---------------------------------------------------------------- result tables are storable


@pytest.mark.parametrize("fmt", ["parquet", "csv"])
def test_result_tables_round_trip(bivariate_normal, round_trip, fmt: str) -> None:
    """Every table of a portfolio result writes to Parquet and CSV and reads back equal."""
    r, _ = bivariate_normal
    r = r.iloc[:400]
    gappy = r.copy()
    gappy.iloc[[3, 7], 1] = np.nan
    aligned = align_returns(gappy, warn=False)
    path = rolling_offset(r, {"BTC": 1e6, "ETH": -5e5}, method="historical", window=250)
    fhs = portfolio_fhs(r, {"BTC": 1e6, "ETH": -5e5}, [0.99, 0.995], n_sims=500, seed=1)
    dcc = DCC(vol="constant").fit(r)
    tables = {
        "aligned returns": aligned.returns,
        "dropped dates": aligned.dropped,
        "offset path": path.table,
        "fhs": fhs.table,
        "dcc summary": dcc.summary(),
        "dcc correlation": dcc.correlation,
    }
    for name, table in tables.items():
        assert table.attrs == {}, name
        back = round_trip(table, fmt)
        pd.testing.assert_frame_equal(back, table, check_freq=False, obj=name)


def test_dcc_fhs_in_chunks_of_paths_gives_the_same_losses(bivariate_normal, monkeypatch) -> None:
    # the paths are walked in chunks (memory): the dates drawn and the arithmetic per path do
    # not depend on the chunk size, so the losses are the same to the last bit
    import riskkit.portfolio.fhs as fhs

    r, _ = bivariate_normal
    r = r.iloc[:400]
    pos = {"BTC": 1.0, "ETH": -1.0}
    dcc = DCC(vol="constant").fit(r)
    whole = portfolio_fhs(r, pos, 0.99, horizon=3, n_sims=700, seed=2, correlation="dcc", dcc=dcc)
    monkeypatch.setattr(fhs, "_FHS_CHUNK_ELEMENTS", 4 * 64)  # chunks of 64 paths
    chunked = portfolio_fhs(r, pos, 0.99, horizon=3, n_sims=700, seed=2, correlation="dcc", dcc=dcc)
    np.testing.assert_array_equal(chunked.losses, whole.losses)
    pd.testing.assert_frame_equal(chunked.table, whole.table)
