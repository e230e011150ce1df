"""Position tiers, collateral haircuts, liquidation penalty and insurance fund."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats

from riskkit.exceptions import ConfigError, DataError
from riskkit.margin import (
    check_brackets,
    collateral_haircut,
    insurance_fund,
    liquidation_penalty,
    liquidity_addon,
    maintenance_amounts,
    maintenance_margin,
    tail_dependence,
    tier_table,
    wrong_way_haircut,
)

# Binance USD-M BTCUSDT tiers effective 2025-08-19 (Binance announcement): notional floors (USDT)
# and maintenance margin rates; the maintenance amounts Binance lists next to them.
BINANCE_FLOORS = [0, 3e5, 8e5, 3e6, 12e6, 70e6, 100e6, 230e6, 480e6, 600e6, 800e6, 1.2e9]
BINANCE_MMR = [0.004, 0.005, 0.0065, 0.01, 0.02, 0.025, 0.05, 0.10, 0.125, 0.15, 0.25, 0.50]
BINANCE_AMOUNTS = [
    0,
    300,
    1_500,
    12_000,
    132_000,
    482_000,
    2_982_000,
    14_482_000,
    26_482_000,
    41_482_000,
    121_482_000,
    421_482_000,
]


def _series(values, start="2018-01-01"):
    idx = pd.date_range(start, periods=len(values), freq="D", name="date")
    return pd.Series(np.asarray(values, dtype=float), index=idx)


def test_maintenance_amounts_reproduce_binance_btcusdt():
    got = maintenance_amounts(BINANCE_FLOORS, BINANCE_MMR)
    np.testing.assert_allclose(got, BINANCE_AMOUNTS, rtol=0, atol=1e-6)


def test_binance_maintenance_margin_is_continuous():
    table = pd.DataFrame(
        {
            "notional_floor": BINANCE_FLOORS,
            "mm_rate": BINANCE_MMR,
            "maintenance_amount": BINANCE_AMOUNTS,
        }
    )
    for i, b in enumerate(BINANCE_FLOORS[1:], start=1):
        left = b * BINANCE_MMR[i - 1] - BINANCE_AMOUNTS[i - 1]
        assert maintenance_margin(b, table) == pytest.approx(left, rel=1e-12)
    # inside tier 2: 500,000 x 0.5% - 300 = 2,200
    assert maintenance_margin(5e5, table) == pytest.approx(2_200.0)


def test_liquidity_addon_closed_form():
    # N = 1m, ADV = 100m, p = 10%: 0.1 days; impact 1 x 4% x sqrt(0.01) = 0.4%
    out = liquidity_addon(1e6, 1e8, 0.04, participation=0.1, impact_k=1.0)
    assert out["days"] == pytest.approx(0.1)
    assert out["impact"] == pytest.approx(0.004)
    with pytest.raises(ConfigError, match="adv"):
        liquidity_addon(1e6, 0.0, 0.04)


def test_tier_table_is_monotone_continuous_and_consistent():
    table = tier_table(0.05, 0.03, 1.0, sigma_daily=0.04, adv=5e7)
    assert table["im_rate"].is_monotonic_increasing
    assert table["mm_rate"].is_monotonic_increasing
    assert (table["mm_rate"] <= table["im_rate"]).all()
    assert (table["max_leverage"] == np.floor(1 / table["im_rate"] + 1e-9)).all()
    # continuity at every boundary: left and right formulas agree
    for i in range(1, len(table)):
        b = table.loc[i, "notional_floor"]
        left = b * table.loc[i - 1, "mm_rate"] - table.loc[i - 1, "maintenance_amount"]
        right = b * table.loc[i, "mm_rate"] - table.loc[i, "maintenance_amount"]
        assert left == pytest.approx(right, rel=1e-12)
    # first tier by hand: cap 250k, D = 250k / (0.1 x 50m) = 0.05 days;
    # 5% x sqrt(1 + 0.05/3) + 4% x sqrt(250k/50m), rounded up to 0.05%
    raw = 0.05 * math.sqrt(1 + 0.05 / 3) + 0.04 * math.sqrt(0.005)
    assert table.loc[0, "im_rate"] == pytest.approx(math.ceil(raw / 0.0005) * 0.0005)


def test_overlapping_tiers_are_rejected():
    with pytest.raises(ConfigError, match="overlap"):
        check_brackets([0, 1e6, 5e5, 2e6])
    with pytest.raises(ConfigError, match="start at 0"):
        check_brackets([1e5, 1e6])
    with pytest.raises(ConfigError, match="mm_rate"):
        tier_table(0.01, 0.02, 1.0, 0.04, 1e8)


# ---------------------------------------------------------------- collateral


def test_haircut_of_normal_collateral_matches_closed_form(rng):
    # Normal ES_0.99 = 2.665214 sigma; 2-day horizon: 1 - exp(-ES sqrt 2). 400k draws: the
    # empirical ES has a standard error near 0.3% of its value.
    sigma = 0.03
    r = _series(rng.standard_normal(400_000) * sigma)
    es = sigma * stats.norm.pdf(stats.norm.ppf(0.99)) / 0.01
    expected = 1 - math.exp(-es * math.sqrt(2))
    got = collateral_haircut(r, 0.99, 2.0, "es", rounding_step=None)
    assert got == pytest.approx(expected, rel=0.01)


def test_wrong_way_equals_standalone_for_comonotone_collateral(student_t_returns):
    # ES is comonotone additive (Acerbi and Tasche 2002; McNeil, Frey, Embrechts 2015, Prop. 8.7):
    # collateral in the position's own asset adds exactly its standalone ES.
    out = wrong_way_haircut(student_t_returns, student_t_returns, "long", 0.1, 0.99, 1.0)
    assert out["wrong_way"] == pytest.approx(out["standalone"], rel=1e-9)
    assert out["correlation"] == pytest.approx(1.0)
    assert out["tail_dependence"] == pytest.approx(1.0)


def test_wrong_way_below_standalone_for_independent_collateral(rng, student_t_returns):
    other = pd.Series(rng.permutation(student_t_returns.to_numpy()), index=student_t_returns.index)
    out = wrong_way_haircut(other, student_t_returns, "long", 0.1, 0.99, 1.0)
    assert out["wrong_way"] < 0.5 * out["standalone"]
    assert abs(out["correlation"]) < 0.1
    # a short position gains when the collateral (same asset) falls: right-way exposure
    right = wrong_way_haircut(student_t_returns, student_t_returns, "short", 0.1, 0.99, 1.0)
    assert right["wrong_way"] < 0


def test_tail_dependence_limits(rng):
    x = rng.standard_normal(100_000)
    y = rng.standard_normal(100_000)
    assert tail_dependence(x, x, 0.95) == 1.0
    # independent: P(Y > y_q | X > x_q) = 1 - q = 0.05; standard error sqrt(.05 .95 / 5000) = 0.003
    assert tail_dependence(x, y, 0.95) == pytest.approx(0.05, abs=0.01)
    with pytest.raises(DataError):
        tail_dependence(x, y[:10])


# ---------------------------------------------------------------- liquidation


def test_penalty_matches_normal_quantile(rng):
    # pooled long/short adverse moves of N(0, sigma^2 tau) returns: for small moves the 95% quantile
    # of the pooled loss is sigma sqrt(tau) z_0.95 (both tails have the same distribution to first
    # order); tau = 6 h
    sigma = 0.04
    r = _series(rng.standard_normal(400_000) * sigma)
    got = liquidation_penalty(r, liquidation_hours=6, confidence=0.95, rounding_step=None)
    assert got == pytest.approx(sigma * 0.5 * stats.norm.ppf(0.95), rel=0.01)
    with_impact = liquidation_penalty(r, 6, 0.95, impact=0.002, rounding_step=None)
    assert with_impact == pytest.approx(got + 0.002)


def _constant_bars(n, low_drop, high_rise):
    idx = pd.date_range("2019-01-01", periods=n, freq="D", name="date")
    return pd.DataFrame(
        {
            "open": 100.0,
            "high": 100.0 * (1 + high_rise),
            "low": 100.0 * (1 - low_drop),
            "close": 100.0,
            "volume": 1.0,
        },
        index=idx,
    )


def test_insurance_fund_hand_computed_case():
    # every day longs see a 20% adverse excursion, shorts none. Leverage 10 (equity 10%),
    # MM 5%: trigger at a 5% fall, longs liquidated daily. tau = 24 h: slippage is the rest of the
    # day's fall, min(20% - 5%, 20% x 1) = 15%, the deficit 15% - 5% = 10% of the long half of
    # open interest: 0.05 a day, 365 days -> 18.25 x open interest.
    bars = _constant_bars(100, 0.20, 0.0)
    res = insurance_fund(
        bars, 0.05, 0.01, leverage=(10,), liquidation_hours=24, n_sims=5, n_days=365, seed=1
    )
    assert res.required == pytest.approx(0.05 * 365)
    assert res.worst_day == pytest.approx(0.05)
    # tau = 6 h: slippage min(15%, 20% x 0.5) = 10%, deficit 5% of the long half: 0.025 a day
    res6 = insurance_fund(
        bars, 0.05, 0.01, leverage=(10,), liquidation_hours=6, n_sims=5, n_days=10, seed=1
    )
    assert res6.worst_day == pytest.approx(0.025)
    assert res.daily_flows["liquidated_notional"].to_numpy() == pytest.approx(0.5)


def test_penalty_income_hand_computed():
    # excursion 6% with leverage 10, MM 5%: trigger 5%, slippage min(1%, 6% x 0.5) = 1% < MM, so
    # no deficit; the fund collects min(penalty 2%, 5% - 1%) = 2% of the long half: 0.01 a day
    bars = _constant_bars(50, 0.06, 0.0)
    res = insurance_fund(
        bars, 0.05, 0.02, leverage=(10,), liquidation_hours=6, n_sims=3, n_days=20, seed=1
    )
    assert res.required == 0.0
    assert res.daily_flows["penalty_income"].to_numpy() == pytest.approx(0.01)
    assert res.daily_flows["deficit"].sum() == 0.0


def test_insurance_fund_zero_when_margin_covers_everything():
    # excursions of 1% never reach the 10% - 5% trigger: no liquidation, no deficit
    bars = _constant_bars(100, 0.01, 0.01)
    res = insurance_fund(bars, 0.05, 0.01, leverage=(10,), n_sims=5, n_days=50, seed=1)
    assert res.required == 0.0
    assert res.daily_flows["liquidated_notional"].sum() == 0.0


def test_insurance_fund_is_seeded_and_checks_leverage(rng):
    n = 500
    close = 100 * np.exp(np.cumsum(rng.standard_normal(n) * 0.04))
    idx = pd.date_range("2017-01-01", periods=n, freq="D", name="date")
    o = np.r_[100.0, close[:-1]]
    bars = pd.DataFrame(
        {
            "open": o,
            "high": np.maximum(o, close) * 1.02,
            "low": np.minimum(o, close) * 0.98,
            "close": close,
            "volume": 1.0,
        },
        index=idx,
    )
    a = insurance_fund(bars, 0.01, 0.005, leverage=(20, 50), n_sims=50, n_days=100, seed=7)
    b = insurance_fund(bars, 0.01, 0.005, leverage=(20, 50), n_sims=50, n_days=100, seed=7)
    np.testing.assert_array_equal(a.annual_deficits, b.annual_deficits)
    assert a.required > 0 and "open interest" in a.statement
    with pytest.raises(ConfigError, match="leverage"):
        insurance_fund(bars, 0.05, 0.01, leverage=(25,))


# ---------------------------------------------------------------- properties


@settings(max_examples=60, deadline=None)
@given(
    widths=st.lists(st.floats(1e3, 1e8), min_size=1, max_size=8),
    rates=st.lists(st.floats(1e-4, 0.5), min_size=9, max_size=9),
)
def test_maintenance_margin_continuous_for_any_tiers(widths, rates):
    floors = np.concatenate([[0.0], np.cumsum(widths)])
    mmr = np.sort(np.asarray(rates[: len(floors)]))
    table = pd.DataFrame(
        {
            "notional_floor": floors,
            "mm_rate": mmr,
            "maintenance_amount": maintenance_amounts(floors, mmr),
        }
    )
    for i in range(1, len(floors)):
        b = floors[i]
        left = b * mmr[i - 1] - table.loc[i - 1, "maintenance_amount"]
        assert maintenance_margin(b, table) == pytest.approx(left, rel=1e-9, abs=1e-6)
