"""Tests of riskkit.margin.venues: the published venue table, the per-asset comparison with the
implied liquidation time from the maintenance margin, and the implied margin period."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from scipy.optimize import brentq

from riskkit.exceptions import ConfigError
from riskkit.margin import (
    VENUE_PARAMETERS,
    compare_with_venues,
    margin_horizon_curve,
    published_venue_rates,
    venue_comparison,
)


def test_table_rows_are_sourced_and_consistent():
    t = published_venue_rates(None)
    assert len(t) == len(VENUE_PARAMETERS)
    assert t.index.name == "venue" and t.index.is_unique
    assert {"asset", "im_rate", "mm_rate", "max_leverage", "mm_im_ratio", "source", "as_of"} <= set(
        t
    )
    assert (t["source"].str.len() > 10).all()  # every row names where it was published
    assert ((t["im_rate"] > 0) & (t["im_rate"] < 1)).all()
    assert (t["mm_rate"] < t["im_rate"]).all()  # maintenance below initial on every venue
    dated = t["as_of"][t["as_of"] != ""]
    assert pd.to_datetime(dated, format="mixed").notna().all()
    assert {"BTC", "ETH"} <= set(t["asset"])
    # the default is the BTC rows; each asset's table holds that asset's rows only
    assert (published_venue_rates()["asset"] == "BTC").all()
    eth = published_venue_rates("eth")
    assert (eth["asset"] == "ETH").all() and len(eth) >= 3
    with pytest.raises(ConfigError, match="DOGE"):
        published_venue_rates("DOGE")


def test_published_values_match_the_announcements():
    t = published_venue_rates(None)
    binance = t.loc["Binance BTCUSDT perpetual, tier 1"]
    # Binance announcement of 2025-08-19: 150x, MMR 0.40% -> MM/IM = 0.004 * 150 = 0.6; ETHUSDT
    # tiers 1-4 as BTCUSDT
    assert binance["max_leverage"] == pytest.approx(150.0)
    assert binance["mm_im_ratio"] == pytest.approx(0.6)
    assert binance["as_of"] == "2025-08-19"
    eth_binance = t.loc["Binance ETHUSDT perpetual, tier 1"]
    assert (
        eth_binance[["im_rate", "mm_rate", "as_of"]].tolist()
        == binance[["im_rate", "mm_rate", "as_of"]].tolist()
    )
    # Hyperliquid docs: maintenance = half the initial rate at max leverage; 40x for BTC, but
    # 25x (MMR 2%) for ETH
    hl = t.loc["Hyperliquid BTC, < 150M USD"]
    assert hl["max_leverage"] == pytest.approx(40.0) and hl["mm_im_ratio"] == pytest.approx(0.5)
    hl_eth = t.loc["Hyperliquid ETH, < 100M USD"]
    assert hl_eth["max_leverage"] == pytest.approx(25.0) and hl_eth["mm_rate"] == 0.02
    assert hl_eth["mm_im_ratio"] == pytest.approx(0.5)
    # dYdX v4 genesis: maintenance fraction = 0.6 x initial fraction (2026 and 2023 parameters)
    dydx = t[t.index.str.startswith("dYdX")]
    assert len(dydx) == 4
    np.testing.assert_allclose(dydx["mm_im_ratio"], 0.6)


def test_returns_a_fresh_copy():
    t = published_venue_rates(None)
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


# ---------------------------------------------------------------- per-asset comparison

CALIBRATED = {
    "BTC": {
        "as_of": "2020-12-07",
        "im_rate": 0.3,
        "mm_rate": 0.15,
        "max_leverage": 3.0,
        "daily_measure_long": 0.10,
        "daily_measure_short": 0.08,
    },
    "ETH": {"as_of": "2020-12-07", "daily_measure_long": 0.14, "daily_measure_short": 0.12},
    "LTC": {"as_of": "2020-12-07", "daily_measure_long": 0.15, "daily_measure_short": 0.13},
}


def test_comparison_is_per_asset():
    out = venue_comparison(CALIBRATED)
    assert out.index.names == ["asset", "venue"]
    for asset in ("BTC", "ETH"):
        venues = out.loc[asset].index.drop("riskkit (calibrated)", errors="ignore")
        assert set(venues) == set(published_venue_rates(asset).index)
    # ETH is compared with ETH's rows: Hyperliquid's 25x, never BTC's 40x
    assert out.loc[("ETH", "Hyperliquid ETH, < 100M USD"), "max_leverage"] == pytest.approx(25.0)
    assert not any("BTC" in v for v in out.loc["ETH"].index)
    # an asset no venue publishes: its own row only when its rates are given, else nothing
    assert "LTC" not in out.index.get_level_values("asset")
    assert out.loc["BTC"].index[0] == "riskkit (calibrated)"


@pytest.mark.parametrize("side", ["long", "short"])
def test_mm_hours_solve_the_maintenance_equation(side):
    # independent reference: a numerical root of  loss(h) = mm_rate, with the model's loss over h
    # hours written out here (square root of time on the 1-day log loss, then the side's loss
    # fraction)
    out = venue_comparison(CALIBRATED)
    for (asset, venue), row in out.iterrows():
        x1 = CALIBRATED[asset][f"daily_measure_{side}"]

        def loss(h, x1=x1):
            x = x1 * math.sqrt(h / 24)
            return 1 - math.exp(-x) if side == "long" else math.exp(x) - 1

        ref = brentq(lambda h, m=row["mm_rate"]: loss(h) - m, 1e-12, 1e7, xtol=1e-15)
        assert row[f"mm_hours_{side}"] == pytest.approx(ref, rel=1e-9), (asset, venue)
    np.testing.assert_array_equal(
        out["mm_hours"], out[["mm_hours_long", "mm_hours_short"]].min(axis=1)
    )


def test_mm_hours_closed_form():
    # Binance MMR 0.40%, x_long = 0.10: h = 24 (-ln 0.996 / 0.10)^2 = 24 x 0.0400802^2 = 0.038554 h;
    # the short side, ln(1.004) / 0.08, needs longer: the long side binds
    row = venue_comparison(CALIBRATED).loc[("BTC", "Binance BTCUSDT perpetual, tier 1")]
    assert row["mm_hours_long"] == pytest.approx(0.0385541, rel=1e-5)
    assert row["mm_hours"] == row["mm_hours_long"]


def test_rows_far_from_the_data_are_flagged():
    out = venue_comparison(CALIBRATED).loc["BTC"]
    assert out.loc["riskkit (calibrated)", "date_flag"] == ""
    assert out.loc["riskkit (calibrated)", "days_from_data"] == 0
    # BitMEX's 2020-05-05 parameters are 216 days before the data's 2020-12-07: within a year
    assert out.loc["BitMEX XBTUSD, base", "days_from_data"] == -216
    assert out.loc["BitMEX XBTUSD, base", "date_flag"] == ""
    cme = out.loc["CME Bitcoin futures at launch"]
    assert cme["days_from_data"] == -1090 and cme["date_flag"] == "1,090 days before the data"
    assert "after the data" in out.loc["Binance BTCUSDT perpetual, tier 1", "date_flag"]
    assert out.loc["Bybit BTCUSDT, tier 1", "date_flag"] == "undated"
    assert np.isnan(out.loc["Bybit BTCUSDT, tier 1", "days_from_data"])
    # a partial date counts from its first day: "2025" is 2025-01-01
    assert (
        out.loc["Hyperliquid BTC, < 150M USD", "days_from_data"]
        == (pd.Timestamp("2025-01-01") - pd.Timestamp("2020-12-07")).days
    )
    strict = venue_comparison(CALIBRATED, max_age_days=100).loc["BTC"]
    assert strict.loc["BitMEX XBTUSD, base", "date_flag"] == "216 days before the data"


def test_comparison_bad_input():
    with pytest.raises(ConfigError, match="ETH: daily_measure_short"):
        venue_comparison({"ETH": {"as_of": "2020-12-07", "daily_measure_long": 0.1}})
    with pytest.raises(ConfigError, match="as_of"):
        venue_comparison({"ETH": {"daily_measure_long": 0.1, "daily_measure_short": 0.1}})
    with pytest.raises(ConfigError, match="as_of must be a date"):
        venue_comparison(
            {"ETH": {"as_of": "soon", "daily_measure_long": 0.1, "daily_measure_short": 0.1}}
        )
    with pytest.raises(ConfigError, match="venues needs columns"):
        venue_comparison(CALIBRATED, venues=pd.DataFrame({"im_rate": [0.1]}))
