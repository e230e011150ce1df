"""Venue parameter sets (dYdX v4 liquidity tier, Hyperliquid margin table, Binance brackets) and
their place in the parameter file (schema 1.3)."""

from __future__ import annotations

import copy
import json

import numpy as np
import pandas as pd
import pytest

from riskkit._jsonschema import import_jsonschema
from riskkit.exceptions import ConfigError, SchemaError
from riskkit.margin import (
    BINANCE_BTCUSDT_TIERS,
    MarginSettings,
    add_sections,
    build_parameter_set,
    calibrate_asset,
    load_parameter_set,
    schema,
    validate_parameter_set,
    write_parameter_set,
)
from riskkit.margin.venue_sets import (
    BINANCE_BTCUSDT_LEVERAGE,
    HYPERLIQUID_MARGIN_TABLES,
    binance_brackets,
    dydx_effective_imf,
    dydx_liquidity_tier,
    dydx_rates,
    hyperliquid_maintenance,
    hyperliquid_margin_table,
    published_venue_sets,
    venue_parameter_sets,
    venue_set_problems,
    venue_sets_table,
)
from riskkit.risk import HistoricalSimulation

# --------------------------------------------------------------------------------- dYdX v4


def test_dydx_imf_at_between_and_beyond_its_caps():
    """dYdX v4 liquidity_tier.go, GetInitialMarginQuoteQuantums: scaling factor (OI - lower) /
    (upper - lower), effective IMF = min(base + max(factor, 0) x (1 - base), 1). Closed form with
    dYdX's small-cap tier (IMF 10%, caps 20M and 50M USDC)."""
    base, lo, hi = 0.10, 20e6, 50e6
    assert dydx_effective_imf(base, 0.0, lo, hi) == base  # below the lower cap
    assert dydx_effective_imf(base, lo, lo, hi) == base  # at the lower cap
    # a third of the way: 0.1 + 0.9 / 3 = 0.4 exactly
    assert dydx_effective_imf(base, 30e6, lo, hi) == pytest.approx(0.4, abs=1e-15)
    assert dydx_effective_imf(base, 45e6, lo, hi) == pytest.approx(0.1 + 0.9 * 25 / 30)
    assert dydx_effective_imf(base, hi, lo, hi) == 1.0  # at the upper cap: fully collateralised
    assert dydx_effective_imf(base, 80e6, lo, hi) == 1.0  # beyond it: still 1, never above
    # an upper cap of 0 disables the scaling (dYdX's large-cap tier)
    assert dydx_effective_imf(0.02, 1e12, 0.0, 0.0) == 0.02
    oi = pd.Series([10e6, 35e6, 60e6], index=pd.date_range("2024-01-01", periods=3))
    out = dydx_effective_imf(base, oi, lo, hi)
    assert isinstance(out, pd.Series) and out.index.equals(oi.index)
    np.testing.assert_allclose(out, [0.1, 0.1 + 0.9 * 0.5, 1.0])
    with pytest.raises(ConfigError, match="exceeds open_interest_upper_cap"):
        dydx_effective_imf(base, 1.0, hi, lo)
    # dYdX's LiquidityTier.Validate refuses lower > upper even when the upper cap is 0
    with pytest.raises(ConfigError, match="exceeds open_interest_upper_cap"):
        dydx_effective_imf(base, 1.0, lo, 0.0)


def test_dydx_tier_fits_the_caps_of_a_tier_table_on_a_ramp():
    """Tiers placed exactly on a ramp from 10% at 1M to 100% at 11M: the least-squares fit
    recovers the caps (in quote quantums, 10^6 per USDC) and dYdX's own formula gives the tier
    rates back."""
    lower, upper, base = 1e6, 11e6, 0.10
    caps = np.array([1e6, 3e6, 6e6, 11e6])
    im = base + (1 - base) * (caps - lower) / (upper - lower)
    tiers = pd.DataFrame(
        {
            "notional_floor": np.r_[0.0, caps[:-1]],
            "notional_cap": caps,
            "im_rate": im,
            "mm_rate": im / 2,
        }
    )
    tier = dydx_liquidity_tier(0.10, 0.05, tiers, name="t")
    assert tier["initial_margin_ppm"] == 100_000
    assert tier["maintenance_fraction_ppm"] == 500_000
    assert tier["impact_notional"] == 5_000 * 1_000_000  # 500 USDC / 10%
    assert tier["open_interest_lower_cap"] == 1_000_000 * 1_000_000
    assert tier["open_interest_upper_cap"] == pytest.approx(11_000_000 * 1_000_000, rel=1e-9)
    r = dydx_rates(tier)
    assert r["mmf"] == pytest.approx(0.05)
    np.testing.assert_allclose(
        dydx_effective_imf(
            r["imf"], caps, r["open_interest_lower_cap_usd"], r["open_interest_upper_cap_usd"]
        ),
        im,
        rtol=1e-9,
    )
    # flat tiers: no scaling (caps 0, as dYdX writes a tier without OIMF)
    flat = tiers.assign(im_rate=0.1)
    t2 = dydx_liquidity_tier(0.10, 0.05, flat)
    assert t2["open_interest_lower_cap"] == t2["open_interest_upper_cap"] == 0
    with pytest.raises(ConfigError, match="mm_rate"):
        dydx_liquidity_tier(0.05, 0.06)


# ----------------------------------------------------------------------------- Hyperliquid


def test_hyperliquid_mm_is_half_the_im_at_each_published_band():
    """Hyperliquid docs 'Margin tiers' (2025): BTC 40x below 150M (MMR 1.25%), 20x above (2.5%);
    ETH 25x below 100M (2%), 15x above (3.33%). The deduction keeps MM continuous at 150M:
    150M x 1.25% = 150M x 2.5% - 1.875M."""
    btc = hyperliquid_maintenance(HYPERLIQUID_MARGIN_TABLES["BTC"])
    assert list(btc["max_leverage"]) == [40, 20]
    np.testing.assert_allclose(btc["mm_rate"], [0.0125, 0.025])
    np.testing.assert_allclose(btc["mm_rate"], btc["im_rate"] / 2)
    np.testing.assert_allclose(btc["maintenance_deduction"], [0.0, 1_875_000.0])
    eth = hyperliquid_maintenance(HYPERLIQUID_MARGIN_TABLES["ETH"])
    np.testing.assert_allclose(eth["mm_rate"], [0.02, 1 / 30])


def test_hyperliquid_table_from_calibrated_tiers():
    """maxLeverage = floor(1 / max(IM, 2 MM)); with MM = IM / 2: IM 34.9% -> 2x, 60.65% -> 1x;
    equal leverages merge into one band; MM = IM / 2 = 1 / (2 maxLeverage) at every band."""
    tiers = pd.DataFrame(
        {
            "notional_floor": [0.0, 250e3, 1e6, 50e6],
            "notional_cap": [250e3, 1e6, 50e6, 100e6],
            "im_rate": [0.049, 0.0625, 0.349, 0.6065],
            "mm_rate": [0.0245, 0.03125, 0.1745, 0.30325],
        }
    )
    table = hyperliquid_margin_table(tiers)
    assert table == {
        "description": "tiered 20x",
        "marginTiers": [
            {"lowerBound": "0.0", "maxLeverage": 20},
            {"lowerBound": "250000.0", "maxLeverage": 16},
            {"lowerBound": "1000000.0", "maxLeverage": 2},
            {"lowerBound": "50000000.0", "maxLeverage": 1},
        ],
    }
    m = hyperliquid_maintenance(table)
    np.testing.assert_allclose(m["mm_rate"], [1 / 40, 1 / 32, 1 / 4, 1 / 2])
    # whole leverages: the venue's IM is never below the calibrated one
    assert (m["im_rate"].to_numpy() >= tiers["im_rate"].to_numpy()).all()
    # a calibrated MM above half the IM (riskkit's default mm_ratio 0.6) binds: by hand,
    # floor(1 / (2 x 0.6 x IM)) = floor(1 / 0.0588) = 17, floor(1 / 0.075) = 13,
    # floor(1 / 0.4188) = 2, floor(1 / 0.7278) = 1; MM = 1 / (2L) is then >= 0.6 IM everywhere
    mm_heavy = tiers.assign(mm_rate=0.6 * tiers["im_rate"])
    m6 = hyperliquid_maintenance(hyperliquid_margin_table(mm_heavy))
    assert list(m6["max_leverage"]) == [17, 13, 2, 1]
    assert (m6["mm_rate"].to_numpy() >= mm_heavy["mm_rate"].to_numpy()).all()
    assert (m6["im_rate"].to_numpy() >= mm_heavy["im_rate"].to_numpy()).all()
    with pytest.raises(ConfigError, match="lowerBound increasing"):
        hyperliquid_maintenance({"marginTiers": [{"lowerBound": "5.0", "maxLeverage": 3}]})


# --------------------------------------------------------------------------------- Binance


def _published_binance() -> pd.DataFrame:
    floors = [f for f, _ in BINANCE_BTCUSDT_TIERS]
    return pd.DataFrame(
        {
            "notional_floor": floors,
            "notional_cap": floors[1:] + [1.8e9],
            "im_rate": [1 / lev for lev in BINANCE_BTCUSDT_LEVERAGE],
            "mm_rate": [m for _, m in BINANCE_BTCUSDT_TIERS],
        }
    )


def test_binance_brackets_reproduce_the_published_maintenance_amounts():
    """Binance BTCUSDT brackets of 2025-08-19 (reference table): written back in Binance's
    fields, cum equals the maintenance amounts of the reference file (derived by the venue's
    continuity rule) and initialLeverage the published leverage."""
    out = binance_brackets(_published_binance())
    b = pd.DataFrame(out["brackets"])
    published_cum = [0, 300, 1_500, 12_000, 132_000, 482_000, 2_982_000, 14_482_000]
    published_cum += [26_482_000, 41_482_000, 121_482_000, 421_482_000]
    np.testing.assert_allclose(b["cum"], published_cum)
    assert list(b["initialLeverage"]) == list(BINANCE_BTCUSDT_LEVERAGE)
    assert out["symbol"] == "BTCUSDT" and list(b["bracket"]) == list(range(1, 13))


def test_published_sets_carry_dates_and_sources():
    pub = published_venue_sets()
    assert set(pub["venue"]) == {"binance", "dydx", "hyperliquid"}
    assert (pub["source"].str.len() > 0).all() and (pub["as_of"].str.len() > 0).all()
    # the published sets obey the rules the parameter file checks (brackets contiguous, cum
    # continuous, leverage not rising with notional)
    sets = {
        "binance": {"BTC": binance_brackets(_published_binance())},
        "hyperliquid": HYPERLIQUID_MARGIN_TABLES,
    }
    assert venue_set_problems(sets) == []
    dydx = pub[pub["venue"] == "dydx"].set_index("asset")
    assert dydx.loc["BTC", "im_rate"] == 0.02 and dydx.loc["BTC", "mm_rate"] == pytest.approx(0.012)


# ------------------------------------------------------------------ parameter file (schema 1.3)


def _bars(n: int = 330, seed: int = 5) -> pd.DataFrame:
    g = np.random.default_rng(seed)
    r = 0.03 * g.standard_t(4, n) / np.sqrt(2.0)
    close = 1000.0 * np.exp(np.cumsum(r))
    open_ = np.r_[1000.0, close[:-1]]
    idx = pd.date_range("2019-01-01", periods=n, freq="D", name="date")
    return pd.DataFrame(
        {
            "open": open_,
            "high": np.maximum(open_, close) * 1.01,
            "low": np.minimum(open_, close) * 0.99,
            "close": close,
            "volume": 50_000.0 * (1 + g.random(n)),
        },
        index=idx,
    )


@pytest.fixture(scope="module")
def parameter_set():
    s = MarginSettings(
        window=250, refit_every=40, insurance_sims=10, insurance_days=30, mm_ratio=0.5
    )
    cal = calibrate_asset("BTC", _bars(), s, estimator=HistoricalSimulation(), progress=False)
    return build_parameter_set({"BTC": cal}, s, {})


def test_file_without_the_new_sections_stays_1_2(parameter_set):
    assert parameter_set["schema_version"] == "1.2"
    assert "venue_parameter_sets" not in parameter_set


def test_venue_sets_in_the_parameter_file_validate_and_round_trip(parameter_set, tmp_path):
    data = add_sections(parameter_set, venue_sets=["binance", "dydx", "hyperliquid"])
    assert data["schema_version"] == "1.3"
    # the JSON Schema alone (jsonschema, not riskkit's validator) accepts it
    import_jsonschema().Draft202012Validator(schema()).validate(json.loads(json.dumps(data)))
    path = write_parameter_set(data, tmp_path / "p.json")
    back = load_parameter_set(path)
    assert back["venue_parameter_sets"] == data["venue_parameter_sets"]
    btc = back["assets"]["BTC"]
    tier = back["venue_parameter_sets"]["dydx"]["BTC"]
    assert tier["initial_margin_ppm"] == int(np.ceil(round(btc["im_rate"] * 1e6, 6)))
    assert tier["maintenance_fraction_ppm"] == 500_000  # mm_ratio 0.5
    table = venue_sets_table(back)
    assert set(table["venue"]) == {"binance", "dydx", "hyperliquid"}
    hl = table[table["venue"] == "hyperliquid"]
    np.testing.assert_allclose(hl["mm_rate"], hl["im_rate"] / 2)
    # published BTC values beside, with their dates
    assert (table["published_as_of"].notna()).all()
    assert venue_sets_table(parameter_set).empty  # a file without the section: no rows


def test_a_1_2_file_is_still_read(parameter_set, tmp_path):
    old = copy.deepcopy(parameter_set)
    old["schema_version"] = "1.2"
    validate_parameter_set(old)


def test_broken_venue_sets_are_named_with_their_path(parameter_set):
    data = add_sections(parameter_set, venue_sets=["binance", "dydx", "hyperliquid"])
    bad = copy.deepcopy(data)
    bad["venue_parameter_sets"]["dydx"]["BTC"]["open_interest_lower_cap"] = 10**18
    bad["venue_parameter_sets"]["hyperliquid"]["BTC"]["marginTiers"][0]["lowerBound"] = "1.0"
    bad["venue_parameter_sets"]["binance"]["BTC"]["brackets"][0]["initialLeverage"] = 0
    with pytest.raises(SchemaError) as err:
        validate_parameter_set(bad)
    msg = str(err.value)
    assert "$.venue_parameter_sets.binance.BTC.brackets[0].initialLeverage" in msg
    assert "venue_parameter_sets.dydx.BTC.open_interest_lower_cap" in msg
    assert "venue_parameter_sets.hyperliquid.BTC.marginTiers[0].lowerBound: must be 0" in msg
    with pytest.raises(ConfigError, match="unknown venue"):
        venue_parameter_sets(parameter_set["assets"], ["bitmex"])
    with pytest.raises(ConfigError, match="assets.BTC: needs numeric im_rate and mm_rate"):
        venue_parameter_sets({"BTC": {"im_rate": 0.1}})
