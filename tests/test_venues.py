"""Tests of riskkit.margin.venues: the published venue table and the implied margin period."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from scipy.optimize import brentq

from riskkit.exceptions import ConfigError
from riskkit.margin import compare_with_venues, margin_horizon_curve, published_venue_rates


def test_table_rows_are_sourced_and_consistent():
    t = published_venue_rates()
    assert t.index.name == "venue" and t.index.is_unique
    assert {"im_rate", "mm_rate", "max_leverage", "mm_im_ratio", "source", "as_of"} <= set(t)
    assert (t["source"].str.len() > 10).all()  # every row names where it was published
    assert ((t["im_rate"] > 0) & (t["im_rate"] < 1)).all()
    assert (t["mm_rate"] < t["im_rate"]).all()  # maintenance below initial on every venue
    dated = t["as_of"][t["as_of"] != ""]
    assert pd.to_datetime(dated, format="mixed").notna().all()


def test_published_values_match_the_announcements():
    t = published_venue_rates()
    binance = t.loc["Binance BTCUSDT perpetual, tier 1"]
    # Binance announcement of 2025-08-19: 150x, MMR 0.40% -> MM/IM = 0.004 * 150 = 0.6
    assert binance["max_leverage"] == pytest.approx(150.0)
    assert binance["mm_im_ratio"] == pytest.approx(0.6)
    assert binance["as_of"] == "2025-08-19"
    # Hyperliquid docs: maintenance = half the initial rate at max leverage (40x for BTC)
    hl = t.loc["Hyperliquid BTC, < 150M USD"]
    assert hl["max_leverage"] == pytest.approx(40.0) and hl["mm_im_ratio"] == pytest.approx(0.5)
    # dYdX v4 genesis: maintenance fraction = 0.6 x initial fraction
    assert t.loc["dYdX v4 BTC-USD", "mm_im_ratio"] == pytest.approx(0.6)


def test_returns_a_fresh_copy():
    t = published_venue_rates()
    t.loc[t.index[0], "im_rate"] = 0.9
    assert published_venue_rates().iloc[0]["im_rate"] != 0.9


@pytest.mark.parametrize("side", ["long", "short"])
def test_implied_mpor_solves_the_margin_equation(side):
    # independent reference: a numerical root of  margin(h) = im_rate, with the margin model
    # written out here (square root of time on the log loss, then exp to a loss fraction)
    x1 = 0.12

    def margin(h_hours: float) -> float:
        x = x1 * math.sqrt(h_hours / 24)
        return 1 - math.exp(-x) if side == "long" else math.exp(x) - 1

    out = compare_with_venues(x1, side=side)
    for venue, row in out.iterrows():
        ref = brentq(lambda h, r=row["im_rate"]: margin(h) - r, 1e-9, 1e6, xtol=1e-14)
        assert row["mpor_hours"] == pytest.approx(ref, rel=1e-9), venue


def test_closed_form_example_and_several_measures():
    # 1% IM, x1 = 0.10: h = 24 * (-ln 0.99 / 0.10)^2 = 24 * 0.1005034^2 = 0.242422 hours
    out = compare_with_venues({"last": 0.10, "median": 0.05})
    assert out.loc["BitMEX XBTUSD, base", "mpor_hours (last)"] == pytest.approx(0.242422, rel=1e-5)
    # halving the 1-day measure quadruples the horizon (square root of time)
    np.testing.assert_allclose(out["mpor_hours (median)"], 4 * out["mpor_hours (last)"])


def test_custom_venue_table_and_bad_input():
    custom = pd.DataFrame({"im_rate": [0.05]}, index=pd.Index(["X"], name="venue"))
    assert compare_with_venues(0.2, custom)["mpor_hours"].iloc[0] > 0
    with pytest.raises(ConfigError, match="im_rate"):
        compare_with_venues(0.2, pd.DataFrame({"rate": [0.05]}))
    with pytest.raises(ConfigError, match="Y"):
        compare_with_venues(0.2, pd.DataFrame({"im_rate": [5.0]}, index=["Y"]))
    with pytest.raises(ConfigError, match="x1"):
        compare_with_venues(-0.1)
    with pytest.raises(ConfigError, match="median"):
        compare_with_venues({"median": float("nan")})
    with pytest.raises(ConfigError, match="side"):
        compare_with_venues(0.1, side="both")


def test_curve_is_the_inverse_of_the_comparison():
    x1 = 0.15
    table = compare_with_venues(x1)
    curve = margin_horizon_curve(x1, table["mpor_hours"].to_numpy())
    np.testing.assert_allclose(curve.to_numpy(), table["im_rate"].to_numpy(), rtol=1e-12)
    # 24 hours is the 1-day measure itself: 1 - exp(-0.15)
    assert margin_horizon_curve(x1, [24.0]).iloc[0] == pytest.approx(-math.expm1(-0.15))
    with pytest.raises(ConfigError, match="hours"):
        margin_horizon_curve(x1, [0.0, 1.0])
    with pytest.raises(ConfigError, match="x1"):
        margin_horizon_curve(0.0, [1.0])
