"""Variance scaling and hedge ratios on simulated data with a known truth."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from riskkit.exceptions import ConfigError, DataError
from riskkit.options import greeks, make_book
from riskkit.portfolio import DCC, simulate_dcc
from riskkit.portfolio.hedging import (
    dcc_hedge_ratios,
    delta_hedge_path,
    hedge_effectiveness,
    min_variance_hedge_ratio,
    rebalance_at_threshold,
)
from riskkit.portfolio.sizing import (
    dcc_covariances,
    forecast_risk,
    risk_multiplier,
    variance_scaling,
)

SIGMA = np.array([[0.04**2, 0.6 * 0.04 * 0.05], [0.6 * 0.04 * 0.05, 0.05**2]])


def _mvn(n: int, cov: np.ndarray, seed: int = 0) -> pd.DataFrame:
    r = np.random.default_rng(seed).multivariate_normal(np.zeros(len(cov)), cov, n)
    return pd.DataFrame(r, index=pd.date_range("2020-01-01", periods=n), columns=["BTC", "ETH"])


def test_risk_multipliers_are_the_normal_ones():
    assert risk_multiplier("vol") == 1.0
    assert risk_multiplier("var", 0.99) == pytest.approx(2.326348, abs=1e-6)
    # ES of a standard normal at 97.5% = phi(1.96) / 0.025 = 2.337803 (Basel FRTB benchmark)
    assert risk_multiplier("es", 0.975) == pytest.approx(2.337803, abs=1e-6)
    with pytest.raises(ConfigError, match="measure"):
        risk_multiplier("cvar")


def test_scaled_positions_hit_the_target_with_the_true_covariance():
    # known covariance: the scaled book's forecast risk equals the target exactly, and its
    # realised daily P&L has standard deviation = target (up to sampling error)
    n = 20_000
    r = _mvn(n, SIGMA)
    cov = np.broadcast_to(SIGMA, (n, 2, 2))
    vs = variance_scaling(pd.Series({"BTC": 3.0, "ETH": -1.0}), cov, r, target=10_000.0)
    held_risk = forecast_risk(vs.held.to_numpy(), cov)
    np.testing.assert_allclose(held_risk, 10_000.0, rtol=1e-12)
    assert vs.sizing_error.abs().max() < 1e-12
    # realised: simple returns exp(r) - 1 add a tiny convexity; tolerance 3 standard errors
    se = 1 / np.sqrt(2 * n)
    assert vs.realised_ratio == pytest.approx(1.0, abs=3 * se + 2e-3)
    # the limits keep the mix: BTC / ETH = -3
    assert (vs.limits["BTC"] / vs.limits["ETH"]).round(12).eq(-3.0).all()


def test_es_target_is_met_by_the_simulated_tail():
    n = 100_000
    r = _mvn(n, SIGMA, seed=2)
    cov = np.broadcast_to(SIGMA, (n, 2, 2))
    vs = variance_scaling(pd.Series({"BTC": 1.0, "ETH": 1.0}), cov, r, 50_000.0, "es", 0.975)
    loss = -(vs.held.to_numpy() * r.to_numpy()).sum(axis=1)  # log-return P&L: exactly normal
    q = np.quantile(loss, 0.975)
    es = loss[loss >= q].mean()
    assert es == pytest.approx(50_000.0, rel=0.02)


def test_sizing_error_and_rebalancing_band():
    # the variance doubles on day 50: with a 20% band the book is cut once, the error before
    # the cut is sqrt(2) - 1; without a band every day is a rebalance
    n = 100
    r = _mvn(n, SIGMA, seed=3)
    cov = np.concatenate(
        [np.broadcast_to(SIGMA, (50, 2, 2)), np.broadcast_to(2 * SIGMA, (50, 2, 2))]
    )
    base = pd.Series({"BTC": 1.0, "ETH": 1.0})
    band = variance_scaling(base, cov, r, 1_000.0, threshold=0.2, cost_rate=0.001)
    assert band.drift.iloc[50] == pytest.approx(np.sqrt(2) - 1)
    assert band.sizing_error.iloc[50] == pytest.approx(0.0, abs=1e-12)  # reset that day
    assert band.rebalanced.sum() == 2  # the first day and day 50
    traded = np.abs(band.limits.iloc[50] - band.limits.iloc[49]).sum()
    assert band.cost.sum() == pytest.approx(0.001 * traded)
    wide = variance_scaling(base, cov, r, 1_000.0, threshold=0.5)
    assert wide.rebalanced.sum() == 1 and wide.sizing_error.iloc[-1] == pytest.approx(
        np.sqrt(2) - 1
    )


def test_bad_inputs_raise():
    r = _mvn(10, SIGMA)
    with pytest.raises(DataError, match="differ"):
        variance_scaling(
            pd.Series({"X": 1.0, "ETH": 1.0}), np.broadcast_to(SIGMA, (10, 2, 2)), r, 1.0
        )
    with pytest.raises(DataError, match="covariance forecasts for"):
        variance_scaling(
            pd.Series({"BTC": 1.0, "ETH": 1.0}), np.broadcast_to(SIGMA, (9, 2, 2)), r, 1.0
        )


# --- hedging -------------------------------------------------------------------------------------


def test_min_variance_hedge_ratio_is_cov_over_var():
    # true h* = Sigma_12 / Sigma_22 = 0.6 x 0.04 x 0.05 / 0.05^2 = 0.48
    r = _mvn(50_000, SIGMA, seed=4)
    h = min_variance_hedge_ratio(r["BTC"], r["ETH"])
    assert h == pytest.approx(0.48, abs=0.01)
    # effectiveness of the true ratio = rho^2 = 0.36 (Ederington 1979)
    assert hedge_effectiveness(r["BTC"], r["ETH"], 0.48) == pytest.approx(0.36, abs=0.01)
    # any other ratio removes less variance
    assert hedge_effectiveness(r["BTC"], r["ETH"], 0.7) < hedge_effectiveness(r["BTC"], r["ETH"], h)


def test_dcc_hedge_ratios_track_the_true_conditional_ratio():
    # simulated DCC with GARCH vols: the true ratio rho_t sigma_1t / sigma_2t is unknown to the
    # fit; the fitted conditional ratios follow it and hedge better than the static ratio
    rbar = np.array([[1.0, 0.5], [0.5, 1.0]])
    garch = [(2e-5, 0.08, 0.9), (4e-5, 0.1, 0.85)]
    ret, _, R = simulate_dcc(3000, 0.06, 0.92, rbar, garch=garch, seed=7)
    df = pd.DataFrame(ret, index=pd.date_range("2015-01-01", periods=3000), columns=["S", "F"])
    res = DCC(vol="garch").fit(df)
    h = dcc_hedge_ratios(res, "S", "F")
    assert h.index.equals(df.index) and np.isfinite(h).all()
    assert np.corrcoef(res.R[:-1, 0, 1], R[:, 0, 1])[0, 1] > 0.7
    static = min_variance_hedge_ratio(df["S"], df["F"])
    assert hedge_effectiveness(df["S"], df["F"], h) > hedge_effectiveness(df["S"], df["F"], static)


def test_dcc_covariances_are_d_r_d():
    rbar = np.array([[1.0, 0.3], [0.3, 1.0]])
    ret, _, _ = simulate_dcc(600, 0.05, 0.9, rbar, garch=[(1e-5, 0.1, 0.85)] * 2, seed=1)
    df = pd.DataFrame(ret, index=pd.date_range("2018-01-01", periods=600), columns=["A", "B"])
    res = DCC().fit(df)
    cov = dcc_covariances(res)
    sa, sb = res.univariate["A"].sigma.iloc[10], res.univariate["B"].sigma.iloc[10]
    assert cov[10, 0, 1] == pytest.approx(res.R[10, 0, 1] * sa * sb)
    assert cov[10, 0, 0] == pytest.approx(sa**2)
    assert cov.shape == (601, 2, 2)


def test_rebalancing_band_by_hand():
    idx = pd.date_range("2021-01-01", periods=6)
    target = pd.Series([1.0, 1.05, 1.2, 1.25, 0.9, 0.95], idx)
    prices = pd.Series(100.0, idx)
    r = rebalance_at_threshold(target, prices, threshold=0.1, cost_rate=0.01)
    # held: 1.0, 1.0 (0.05 <= 0.1), 1.2 (0.2 > 0.1), 1.2, 0.9, 0.9
    np.testing.assert_allclose(r.held, [1.0, 1.0, 1.2, 1.2, 0.9, 0.9])
    assert r.n_trades == 3
    assert r.cost.sum() == pytest.approx(0.01 * 100 * (1.0 + 0.2 + 0.3))
    zero = rebalance_at_threshold(target, prices, 0.0, 0.01)
    assert zero.cost.sum() > r.cost.sum() and zero.tracking.abs().max() == 0.0


def test_delta_hedge_path_uses_the_model_vol():
    idx = pd.date_range("2021-01-01", periods=3)
    prices = pd.Series([30_000.0, 31_000.0, 29_000.0], idx)
    book = make_book(
        [{"instrument": "call", "quantity": -10, "strike": 30_000, "expiry": 30 / 365, "vol": 0.6}]
    )
    low = delta_hedge_path(book, prices, 0.4)
    high = delta_hedge_path(book, prices, pd.Series([0.8, 0.8, 0.8], idx))
    # Black-76 delta of the call on day 2 (29 days left) from riskkit.options.greeks
    g = greeks(31_000.0, 30_000.0, 29 / 365, 0.4, kind="call")
    assert low["delta"].iloc[1] == pytest.approx(-10 * g.delta)
    assert low["hedge"].iloc[1] == pytest.approx(10 * g.delta)
    # an in-the-money call's delta falls towards 0.5 when vol rises: the hedge depends on the model
    assert high["hedge"].iloc[1] < low["hedge"].iloc[1]
    # short calls: negative gamma
    assert (low["gamma"] < 0).all()
