"""Perpetual-specific margin: mark-price replica, liquidations on mark vs last, funding and basis
add-ons, funding cap vs maintenance rate, and the ``perpetual`` section of the parameter file."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from riskkit._jsonschema import import_jsonschema
from riskkit.config import config_from_mapping, load_config
from riskkit.exceptions import ConfigError, DataError
from riskkit.margin import (
    MarginSettings,
    add_sections,
    build_parameter_set,
    calibrate_asset,
    extend_parameter_file,
    funding_basis_addon,
    funding_cap_check,
    funding_cap_table,
    load_parameter_set,
    mark_price_replica,
    mark_vs_last_liquidations,
    perpetual_addon_table,
    schema,
    write_parameter_set,
)
from riskkit.margin.perpetual import example_perpetual_files, liquidation_thresholds
from riskkit.risk import HistoricalSimulation

# ----------------------------------------------------------------------------- mark price


def test_mark_price_replica_by_hand():
    """Binance's rule (FAQ 'Mark Price and Price Index'): mark = median(P1, P2, last), P1 =
    index x (1 + last funding rate x time to next funding / 8h), P2 = index + moving average of
    (mid - index). Hourly bars opened 05:00-08:00 (closes 06:00-09:00), 2-bar average; each of
    P1, P2 and last is the median once. The 16:00 rate is in the future of every bar: unused."""
    idx = pd.date_range("2024-01-01 05:00", periods=4, freq="1h")
    index = pd.Series([100.0, 101.0, 102.0, 103.0], idx)
    last = pd.Series([100.5, 100.6, 102.9, 103.1], idx)
    funding = pd.Series(
        [0.0008, -0.0004, 0.001],
        pd.DatetimeIndex(["2024-01-01 00:00", "2024-01-01 08:00", "2024-01-01 16:00"]),
        name="funding_rate",
    )
    out = mark_price_replica(index, last, funding, basis_window=2)
    # close 06:00: P1 = 100 (1 + 0.0008 x 2/8) = 100.02; no 2-bar average yet -> no mark
    assert out["p1"].iloc[0] == pytest.approx(100.02)
    assert np.isnan(out["p2"].iloc[0]) and np.isnan(out["mark"].iloc[0])
    # close 07:00: P1 = 101 (1 + 0.0008/8) = 101.0101; P2 = 101 + (0.5 - 0.4)/2 = 101.05;
    # last 100.6 -> median P1
    assert out["p1"].iloc[1] == pytest.approx(101.0101)
    assert out["p2"].iloc[1] == pytest.approx(101.05)
    assert out["mark"].iloc[1] == pytest.approx(101.0101)
    # close 08:00: the 08:00 rate is settled (-0.0004), 8 h to the next: P1 = 102 x 0.9996 =
    # 101.9592; P2 = 102 + (-0.4 + 0.9)/2 = 102.25; last 102.9 -> median P2
    assert out["funding_rate"].iloc[2] == -0.0004 and out["hours_to_funding"].iloc[2] == 8
    assert out["mark"].iloc[2] == pytest.approx(102.25)
    # close 09:00: P1 = 103 (1 - 0.0004 x 7/8) = 102.96395; P2 = 103 + (0.9 + 0.1)/2 = 103.5;
    # last 103.1 -> median last
    assert out["p1"].iloc[3] == pytest.approx(102.96395)
    assert out["mark"].iloc[3] == pytest.approx(103.1)
    assert (out["funding_rate"] != 0.001).all()  # never the future rate


def test_mark_price_replica_uses_no_later_data():
    """The mark at each bar is the same whether or not later bars and funding exist."""
    rng = np.random.default_rng(3)
    idx = pd.date_range("2024-01-01", periods=200, freq="1h")
    index = pd.Series(100 * np.exp(np.cumsum(rng.normal(0, 0.003, 200))), idx)
    last = index * (1 + rng.normal(0, 0.001, 200))
    ft = pd.date_range("2024-01-01", periods=30, freq="8h")
    funding = pd.Series(rng.normal(1e-4, 3e-4, 30), ft, name="funding_rate")
    full = mark_price_replica(index, last, funding, basis_window=5)
    cut = idx[120]
    part = mark_price_replica(
        index[:cut], last[:cut], funding[funding.index <= cut + pd.Timedelta("1h")], basis_window=5
    )
    pd.testing.assert_frame_equal(part, full.loc[:cut])


# -------------------------------------------------------------------- liquidations mark/last


def test_liquidation_thresholds_solve_equity_equals_maintenance():
    """At P = P0 x threshold the equity im P0 + (P - P0) (long) or im P0 + (P0 - P) (short)
    equals the maintenance margin mm P."""
    im, mm, p0 = 0.1, 0.05, 100.0
    lo, hi = liquidation_thresholds(im, mm)
    p = p0 * lo
    assert im * p0 + (p - p0) == pytest.approx(mm * p)
    p = p0 * hi
    assert im * p0 + (p0 - p) == pytest.approx(mm * p)


def test_liquidations_on_last_but_not_on_mark_by_hand():
    """IM 10%, MM 5%: a long liquidates at 0.9/0.95 = 94.74% of entry, a short at 1.1/1.05 =
    104.76%. A wick of the last price to 94 (the mark only to 96) liquidates the long opened at
    bar 0 on the last price only; the short opened at 94 is liquidated on both when both go back
    to 100. Four positions a side (the last two bars have no full 2-bar horizon)."""
    idx = pd.date_range("2024-01-01", periods=6, freq="1h")
    last = pd.Series([100.0, 94.0, 100.0, 100.0, 100.0, 100.0], idx)
    mark = pd.Series([100.0, 96.0, 100.0, 100.0, 100.0, 100.0], idx)
    res = mark_vs_last_liquidations(last, mark, im_rate=0.1, mm_rate=0.05, horizon="2h")
    assert res.horizon_bars == 2
    c = res.counts
    assert c.loc["long"].to_dict() == {
        "positions": 4,
        "both": 0,
        "last_only": 1,
        "mark_only": 0,
        "neither": 3,
    }
    assert c.loc["short", "both"] == 1 and c.loc["short", "last_only"] == 0
    assert res.avoided_share == pytest.approx(0.5)  # 1 of the 2 last-price liquidations
    # lows and highs are used when given: a low of the mark at 94 makes it "both"
    mark_bars = pd.DataFrame({"close": mark, "low": mark.where(mark.index != idx[1], 94.0)})
    mark_bars["high"] = mark_bars[["close", "low"]].max(axis=1)
    res2 = mark_vs_last_liquidations(last, mark_bars, 0.1, 0.05, horizon=2)
    assert res2.counts.loc["long", "both"] == 1 and res2.counts.loc["long", "last_only"] == 0


# --------------------------------------------------------------------- funding / basis add-on


def test_addon_quantiles_match_the_known_distributions():
    """Simulation with known truth. Funding iid N(1e-4, 2e-4) every 8 h: the 1-day accrual is
    a sum of 3, N(3e-4, sqrt(3) 2e-4), whose 99% quantile is 3e-4 + sqrt(3) 2e-4 z_0.99 (long)
    and -3e-4 + sqrt(3) 2e-4 z_0.99 (short). Hourly basis e iid N(0, s): the largest |e| of 24
    hours has P(max <= x) = (2 Phi(x/s) - 1)^24, so its q-quantile is
    s Phi^-1((1 + q^(1/24)) / 2)."""
    rng = np.random.default_rng(11)
    times = pd.date_range("2000-01-01", periods=30_000, freq="8h")
    funding = pd.Series(rng.normal(1e-4, 2e-4, len(times)), times, name="funding_rate")
    hours = pd.date_range("2000-01-01", periods=100_000, freq="1h")
    s = 5e-4
    index = pd.Series(30_000.0, hours)
    mark = index * (1 + rng.normal(0.0, s, len(hours)))
    q = 0.99
    z = stats.norm.ppf(q)
    long = funding_basis_addon(funding, mark, index, horizon="1D", quantile=q, side="long")
    short = funding_basis_addon(funding, mark, index, horizon="1D", quantile=q, side="short")
    both = funding_basis_addon(
        funding, mark, index, horizon="1D", quantile=q, side="both", mm_rate=0.01
    )
    assert long.funding_addon == pytest.approx(3e-4 + np.sqrt(3) * 2e-4 * z, rel=0.04)
    assert short.funding_addon == pytest.approx(-3e-4 + np.sqrt(3) * 2e-4 * z, rel=0.06)
    assert both.funding_addon == long.funding_addon
    truth = s * stats.norm.ppf((1 + q ** (1 / 24)) / 2)
    assert both.basis_addon == pytest.approx(truth, rel=0.04)
    d = both.decomposition()
    assert d.loc["total", "rate"] == pytest.approx(0.01 + both.funding_addon + both.basis_addon)
    assert both.mm_with_addon == pytest.approx(d.loc["total", "rate"])
    assert d.drop("total")["share"].sum() == pytest.approx(1.0)
    # the horizon in days (a margin period of risk) is the same horizon
    again = funding_basis_addon(funding, mark, index, horizon=1.0, quantile=q, side="long")
    assert again.funding_addon == long.funding_addon


def test_addon_refuses_what_it_cannot_compute():
    idx = pd.date_range("2024-01-01", periods=3, freq="8h")
    f = pd.Series([1e-4, 1e-4, 1e-4], idx, name="funding_rate")
    p = pd.Series(100.0, pd.date_range("2024-01-01", periods=30, freq="1h"))
    with pytest.raises(DataError, match="no full 2D window"):
        funding_basis_addon(f, p, p, horizon="2D")
    with pytest.raises(ConfigError, match="quantile"):
        funding_basis_addon(f, p, p, quantile=99)
    with pytest.raises(ConfigError, match="side"):
        funding_basis_addon(f, p, p, side="up")


# -------------------------------------------------------------------- funding cap vs MMR


def test_funding_cap_against_maintenance_rate():
    """Binance: capped funding = clamp(F, +-0.75 x MMR); BTCUSDT tier 1 MMR 0.40% gives the
    0.30% cap, consistent at k = 0.75; a 0.31% cap is not. From IM 1/150 a position survives
    (1/150 - 0.004) / 0.003 = 0.889 capped payments. dYdX: 600% x (IMF - MMF) = 6 x 0.8% = 4.8%
    per 8 h at IMF 2%, MMF 1.2%: 4 MMR, above k = 1. Hyperliquid: 4% an hour = 3.2 MMR at 1.25%."""
    ok = funding_cap_check(0.003, 0.004, k=0.75, im_rate=1 / 150)
    assert ok.ok and ok.ratio == pytest.approx(0.75)
    assert ok.intervals_to_liquidation == pytest.approx((1 / 150 - 0.004) / 0.003)
    assert not funding_cap_check(0.0031, 0.004, k=0.75).ok
    t = funding_cap_table(0.02, 0.012, k=1.0)
    assert t.loc["dYdX v4", "cap"] == pytest.approx(0.048)
    assert t.loc["dYdX v4", "ratio"] == pytest.approx(4.0) and not t.loc["dYdX v4", "ok"]
    assert t.loc["Binance", "ok"]
    hl = funding_cap_table(0.025, 0.0125).loc["Hyperliquid"]
    assert hl["ratio"] == pytest.approx(3.2) and hl["cap_per_8h"] == pytest.approx(0.32)
    with pytest.raises(ConfigError, match="cap must be a positive"):
        funding_cap_check(0.0, 0.004)


# ------------------------------------------------------------------ parameter file and run


@pytest.fixture(scope="module")
def parameter_set():
    g = np.random.default_rng(4)
    n = 320
    close = 1000.0 * np.exp(np.cumsum(0.03 * g.standard_t(4, n) / np.sqrt(2.0)))
    open_ = np.r_[1000.0, close[:-1]]
    bars = pd.DataFrame(
        {
            "open": open_,
            "high": np.maximum(open_, close) * 1.01,
            "low": np.minimum(open_, close) * 0.99,
            "close": close,
            "volume": 50_000.0,
        },
        # ends the day before the synthetic feeds do: their last day lies after the as-of bar
        index=pd.date_range(end="2020-11-28", periods=n, freq="D", name="date"),
    )
    s = MarginSettings(window=250, refit_every=40, insurance_sims=10, insurance_days=30)
    cal = calibrate_asset("BTC", bars, s, estimator=HistoricalSimulation(), progress=False)
    return build_parameter_set({"BTC": cal}, s, {})


@pytest.fixture(scope="module")
def feeds(tmp_path_factory):
    return example_perpetual_files(tmp_path_factory.mktemp("perp"))


def test_perpetual_section_validates_and_round_trips(parameter_set, feeds, tmp_path):
    spec = {
        "files": {"btc": {k: str(feeds[k]) for k in ("funding", "mark", "index")}},
        "horizon": "1D",
    }
    data = add_sections(parameter_set, perpetual=spec)
    assert data["schema_version"] == "1.3"
    import_jsonschema().Draft202012Validator(schema()).validate(json.loads(json.dumps(data)))
    back = load_parameter_set(write_parameter_set(data, tmp_path / "p.json"))
    rec = back["perpetual"]["BTC"]
    assert rec["mm_rate"] == parameter_set["assets"]["BTC"]["mm_rate"]
    assert rec["mm_with_addon"] == pytest.approx(
        rec["mm_rate"] + rec["funding_addon"] + rec["basis_addon"]
    )
    assert rec["horizon"] == "1D" and rec["files"]["funding"].endswith(".csv")
    table = perpetual_addon_table(back)
    assert table.loc["BTC", "funding_share"] + table.loc["BTC", "basis_share"] < 1
    with pytest.raises(ConfigError, match="not calibrated"):
        add_sections(parameter_set, perpetual={"files": {"ETH": spec["files"]["btc"]}})


def test_addon_uses_no_feed_data_after_the_as_of_bar(parameter_set, feeds, tmp_path):
    """Rows of the funding/mark/index files after the asset's as-of bar are left out: the
    add-on equals the one computed on files cut by hand at the end of that bar."""
    as_of = parameter_set["assets"]["BTC"]["as_of"]
    assert as_of == "2020-11-28"
    cutoff = pd.Timestamp("2020-11-29")
    cut = {}
    for kind in ("funding", "mark", "index"):
        raw = pd.read_csv(feeds[kind], header=None if kind != "funding" else "infer")
        first = raw.columns[0]
        time = pd.to_datetime(raw[first], unit="ms")
        assert (time >= cutoff).any(), f"the {kind} fixture must run past the as-of bar"
        cut[kind] = tmp_path / f"cut_{kind}.csv"
        raw.loc[time < cutoff].to_csv(cut[kind], index=False, header=kind == "funding")
    spec = {"files": {"BTC": {k: str(feeds[k]) for k in cut}}, "horizon": "1D"}
    whole = add_sections(parameter_set, perpetual=spec)["perpetual"]["BTC"]
    by_hand = add_sections(
        parameter_set,
        perpetual={"files": {"BTC": {k: str(v) for k, v in cut.items()}}, "horizon": "1D"},
    )["perpetual"]["BTC"]
    assert whole["data_until"] == "2020-11-29T00:00Z"
    for key in ("funding_addon", "basis_addon", "data"):
        assert whole[key] == by_hand[key]
    early = {
        **parameter_set,
        "assets": {"BTC": {**parameter_set["assets"]["BTC"], "as_of": "2020-01-01"}},
    }
    with pytest.raises(DataError, match="before the end of BTC's as-of bar"):
        add_sections(early, perpetual=spec)


def test_run_configuration_adds_both_sections(parameter_set, feeds, tmp_path):
    """What the calibration run calls after writing the parameter file: the configured venue
    sets and perpetual add-on end up in the file; a configuration without them leaves it as it
    was."""
    path = write_parameter_set(parameter_set, tmp_path / "margin_parameters.json")
    before = path.read_text()
    plain = config_from_mapping({"assets": ["BTC"]})
    extend_parameter_file(path, plain)
    assert path.read_text() == before
    cfg = config_from_mapping(
        {
            "assets": ["BTC"],
            "margin": {"horizon_days": 2},
            "venue_parameter_sets": ["dydx", "hyperliquid"],
            "perpetual": {
                "files": {"BTC": {k: str(feeds[k]) for k in ("funding", "mark", "index")}}
            },
        }
    )
    extend_parameter_file(path, cfg)
    data = load_parameter_set(path)
    assert set(data["venue_parameter_sets"]) == {"dydx", "hyperliquid"}
    assert data["perpetual"]["BTC"]["horizon"] == "2D"  # the margin's 2-day horizon


def test_example_configuration_is_valid():
    cfg = load_config("configs/perpetual_example.yaml")
    assert cfg.perpetual is not None and "BTC" in cfg.perpetual.files
    assert set(cfg.venue_parameter_sets) == {"binance", "dydx", "hyperliquid"}
