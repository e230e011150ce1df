"""Position tiers and collateral haircuts."""

from __future__ import annotations

import json
import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats

from riskkit.exceptions import ConfigError, DataError
from riskkit.margin import (
    LiquidityAddon,
    WrongWayHaircut,
    binance_btcusdt_tiers,
    check_brackets,
    collateral_haircut,
    liquidity_addon,
    maintenance_amounts,
    maintenance_margin,
    published_venue_rates,
    tail_dependence,
    tier_table,
    wrong_way_haircut,
)

# The maintenance amounts Binance lists beside its USD-M BTCUSDT tiers effective 2025-08-19
# (Binance announcement, "USD-M perpetual futures leverage and margin tiers"), in USDT: the
# independent reference for riskkit's copy of the floors and rates (binance_btcusdt_tiers).
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
    table = binance_btcusdt_tiers()
    assert len(table) == len(BINANCE_AMOUNTS) == 12
    assert table.index.tolist() == list(range(1, 13))
    assert (table["as_of"] == "2025-08-19").all() and table["source"].str.contains("Binance").all()
    # all 12 published maintenance amounts, from the floors and rates alone
    got = maintenance_amounts(table["notional_floor"], table["mm_rate"])
    np.testing.assert_allclose(got, BINANCE_AMOUNTS, rtol=0, atol=1e-6)
    np.testing.assert_allclose(table["maintenance_amount"], BINANCE_AMOUNTS, rtol=0, atol=1e-6)
    # tier 1 agrees with the venue table's Binance row (MMR 0.40%, announcement of the same day)
    venue = published_venue_rates().loc["Binance BTCUSDT perpetual, tier 1"]
    assert table.loc[1, "mm_rate"] == venue["mm_rate"] and venue["as_of"] == "2025-08-19"


def test_binance_maintenance_margin_is_continuous():
    table = binance_btcusdt_tiers()
    floors = table["notional_floor"].to_numpy()
    mmr = table["mm_rate"].to_numpy()
    for i in range(1, len(floors)):
        left = floors[i] * mmr[i - 1] - BINANCE_AMOUNTS[i - 1]
        assert maintenance_margin(floors[i], table) == pytest.approx(left, rel=1e-12)
    # inside tier 2: 500,000 x 0.5% - 300 = 2,200
    assert maintenance_margin(5e5, table) == pytest.approx(2_200.0)
    # a fresh copy on every call
    table.loc[1, "mm_rate"] = 0.9
    assert binance_btcusdt_tiers().loc[1, "mm_rate"] == 0.004


def test_liquidity_addon_closed_form():
    # N = 1m, ADV = 100m, p = 10%: 0.1 days; impact 1 x 4% x sqrt(0.01) = 0.4%
    out = liquidity_addon(1e6, 1e8, 0.04, participation=0.1, impact_k=1.0)
    assert isinstance(out, LiquidityAddon) and isinstance(out.days, float)
    assert out.days == pytest.approx(0.1)
    assert out.impact == pytest.approx(0.004)
    # an array of notionals: 4m doubles the impact and quadruples the days
    many = liquidity_addon(np.array([1e6, 4e6]), 1e8, 0.04, participation=0.1, impact_k=1.0)
    np.testing.assert_allclose(many.days, [0.1, 0.4])
    np.testing.assert_allclose(many.impact, [0.004, 0.008])
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
    # tier 1 is the headline (issue 12): no liquidity add-on up to its cap
    assert table.loc[0, "im_rate"] == 0.05 and table.loc[0, "mm_rate"] == 0.03
    # second tier by hand: cap 1m, excess over tier 1's cap 750k, D = 750k / (0.1 x 50m) = 0.15
    # days; 5% x sqrt(1 + 0.15/3) + 4% x sqrt(750k/50m), rounded up to 0.05%
    raw = 0.05 * math.sqrt(1 + 0.15 / 3) + 0.04 * math.sqrt(0.015)
    assert table.loc[1, "im_rate"] == pytest.approx(math.ceil(raw / 0.0005) * 0.0005)
    assert table.loc[1, "days_to_liquidate"] == pytest.approx(0.15)


def test_tiers_keep_the_mm_ratio_and_round_amounts_to_cents():
    # a ratio-defined MM is the ratio of every tier's IM, also where the cap binds; amounts are
    # published to the cent, rates to 1e-6 (no 750.0000000000007)
    table = tier_table(
        0.3135,
        0.1881,
        2.0,
        sigma_daily=0.2,
        adv=2e6,
        mm_ratio=0.6,
        rate_precision=1e-6,
        amount_precision=0.01,
    )
    assert table.loc[0, "im_rate"] == 0.3135 and table.loc[0, "mm_rate"] == 0.1881
    assert table["im_rate"].iloc[-1] == 1.0  # the cap binds on the largest tiers
    np.testing.assert_allclose(table["mm_rate"], 0.6 * table["im_rate"], atol=5e-7)
    assert (table["mm_rate"] < table["im_rate"]).all()
    cents = table["maintenance_amount"] * 100
    assert (cents == np.round(cents)).all()
    assert all(len(repr(float(x)).split(".")[1]) <= 2 for x in table["maintenance_amount"])


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
    assert isinstance(out, WrongWayHaircut)
    assert out.wrong_way == pytest.approx(out.standalone, rel=1e-9)
    assert out.correlation == pytest.approx(1.0)
    assert out.tail_dependence == pytest.approx(1.0)
    assert out.n == len(student_t_returns) and isinstance(out.n, int)
    d = out.to_dict()
    assert json.loads(json.dumps(d)) == d
    assert d["side"] == "long" and d["measure"] == "es" and d["horizon_days"] == 1.0


def test_wrong_way_below_standalone_for_independent_collateral(rng, student_t_returns):
    other = pd.Series(rng.permutation(student_t_returns.to_numpy()), index=student_t_returns.index)
    out = wrong_way_haircut(other, student_t_returns, "long", 0.1, 0.99, 1.0)
    assert out.wrong_way < 0.5 * out.standalone
    assert abs(out.correlation) < 0.1
    # a short position gains when the collateral (same asset) falls: right-way exposure
    right = wrong_way_haircut(student_t_returns, student_t_returns, "short", 0.1, 0.99, 1.0)
    assert right.wrong_way < 0


def test_tail_dependence_limits(rng):
    x = rng.standard_normal(100_000)
    y = rng.standard_normal(100_000)
    assert tail_dependence(x, x, 0.95) == 1.0
    # independent: P(Y > y_q | X > x_q) = 1 - q = 0.05; standard error sqrt(.05 .95 / 5000) = 0.003
    assert tail_dependence(x, y, 0.95) == pytest.approx(0.05, abs=0.01)
    with pytest.raises(DataError):
        tail_dependence(x, y[:10])


# the liquidation penalty and the insurance fund are tested in tests/test_margin_liquidation.py


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
