"""calibrate_asset, MarginSettings and the JSON parameter set (schema round trip and failures)."""

from __future__ import annotations

import copy
import json
import math
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest

from riskkit._jsonschema import import_jsonschema
from riskkit.exceptions import ConfigError, DataError, SchemaError
from riskkit.margin import (
    MarginSettings,
    build_parameter_set,
    calibrate_asset,
    historical_margin_path,
    load_parameter_set,
    round_rate,
    schema,
    validate_parameter_set,
    write_parameter_set,
)
from riskkit.risk import HistoricalSimulation


def _ohlcv(n: int = 700, seed: int = 3) -> pd.DataFrame:
    """Seeded synthetic daily bars: Student-t(4) log returns at 3% volatility, USD volume."""
    g = np.random.default_rng(seed)
    r = 0.03 * g.standard_t(4, n) / np.sqrt(2.0)
    close = 1000.0 * np.exp(np.cumsum(r))
    open_ = np.r_[1000.0, close[:-1]]
    spread = np.abs(g.standard_normal(n)) * 0.01
    idx = pd.date_range("2018-01-01", periods=n, freq="D", name="date")
    return pd.DataFrame(
        {
            "open": open_,
            "high": np.maximum(open_, close) * (1 + spread),
            "low": np.minimum(open_, close) * (1 - spread),
            "close": close,
            "volume": 50_000.0 * (1 + g.random(n)),
        },
        index=idx,
    )


SETTINGS = dict(window=250, refit_every=20, insurance_sims=20, insurance_days=60)


@pytest.fixture(scope="module")
def bars() -> pd.DataFrame:
    return _ohlcv()


@pytest.fixture(scope="module")
def plain(bars):
    s = MarginSettings(apc="none", rounding_step=None, im_floor=0.0, **SETTINGS)
    return calibrate_asset("SYN", bars, s, estimator=HistoricalSimulation(), progress=False)


@pytest.fixture(scope="module")
def buffered(bars):
    s = MarginSettings(apc="buffer", **SETTINGS)
    return calibrate_asset("SYN", bars, s, estimator=HistoricalSimulation(), progress=False)


# ---------------------------------------------------------------- settings


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"level": 99}, "did you mean 0.99"),
        ({"level": 1.0}, "level"),
        ({"horizon_days": 0}, "horizon_days"),
        ({"horizon_days": -1 / 24}, "horizon_days"),
        ({"measure": "cvar"}, "measure"),
        ({"apc": "dampener"}, "apc"),
        ({"mm_ratio": 1.5}, "mm_ratio"),
        ({"tier_boundaries": (0, 1e6, 5e5)}, "overlap"),
        ({"im_floor": 0.5, "im_cap": 0.1}, "im_floor"),
        ({"window": 10}, "window"),
        ({"insurance_leverage": (0.5, 2.0)}, "insurance_leverage"),
    ],
)
def test_settings_reject_bad_values(kwargs, match):
    with pytest.raises(ConfigError, match=match):
        MarginSettings(**kwargs)


def test_settings_accept_hours_and_serialise():
    s = MarginSettings(horizon_days=1 / 24, tier_boundaries=[0, 1e6, 2e6])
    assert s.horizon_days == pytest.approx(1 / 24)
    assert s.tier_boundaries == (0.0, 1e6, 2e6)
    assert json.loads(json.dumps(s.to_dict()))["tier_boundaries"] == [0.0, 1e6, 2e6]
    assert s.apc_settings["method"] == "buffer" and s.apc_settings["buffer"] == 0.25


def test_calibrate_rejects_bad_inputs(bars):
    with pytest.raises(ConfigError, match="MarginSettings"):
        calibrate_asset("SYN", bars, {"level": 0.99})
    # a close price is the one column a calibration needs (a close-only series calibrates:
    # tests/test_intraday.py)
    with pytest.raises(DataError, match="close"):
        calibrate_asset("SYN", bars.drop(columns="close"), MarginSettings(**SETTINGS))
    with pytest.raises(DataError, match="window=1000"):
        calibrate_asset("SYN", bars, MarginSettings(window=1000), estimator=HistoricalSimulation())


# ---------------------------------------------------------------- calibration


def test_raw_margin_matches_independent_historical_loop(plain, bars):
    # the rolling engine with HistoricalSimulation and riskkit.margin's own window loop
    # (historical_margin_path) must give the same two-sided margin on every date: no off-by-one
    returns = plain.info["returns"]
    ref = historical_margin_path(returns, 250, 0.99, "es").reindex(plain.margin_path.index)
    np.testing.assert_allclose(plain.margin_path["raw_im"], ref, rtol=1e-12)
    assert len(plain.margin_path) == len(returns) - 250
    # historical simulation forecasts no volatility: the fallback used is recorded, not hidden
    assert plain.info["volatility_source"].startswith("30-day standard deviation")


def test_published_rates_follow_the_rules(plain, buffered):
    mp = plain.margin_path
    np.testing.assert_allclose(mp["im"], mp["charged_im"])  # no APC, rounding or floor
    # MM = 0.6 x the published IM, to the rate precision (1e-6)
    np.testing.assert_allclose(mp["mm"], 0.6 * mp["im"], rtol=0, atol=5e-7)
    bp = buffered.margin_path
    np.testing.assert_allclose(bp["raw_im"], mp["raw_im"])
    np.testing.assert_allclose(bp["im"], round_rate(bp["charged_im"], 0.0005, 0.005, 1.0))
    assert (bp["charged_im"] >= bp["raw_im"] - 1e-12).all()
    assert (bp["charged_im"] <= 1.25 * bp["raw_im"] + 1e-12).all()
    assert (bp["mm"] <= bp["im"]).all()
    assert np.allclose(bp["im"] / 0.0005, np.round(bp["im"] / 0.0005))
    p = buffered.parameters
    assert p["im_rate"] == bp["im"].iloc[-1] and p["max_leverage"] == np.floor(1 / p["im_rate"])
    assert p["as_of"] == f"{bp.index[-1]:%Y-%m-%d}"
    # one first-tier rate: the headline rates are tier 1's (issue 12)
    assert p["tiers"][0]["im_rate"] == p["im_rate"] and p["tiers"][0]["mm_rate"] == p["mm_rate"]


def test_outputs_have_the_promised_shape(buffered):
    cov = buffered.coverage
    assert set(cov.index.get_level_values("margin")) == {"im", "mm"}
    assert "all" in cov.loc["im"].index and any("regime" in g for g in cov.loc["im"].index)
    assert cov.loc[("im", "all"), "n"] == len(buffered.margin_path)
    # an MM breaches at least as often as the larger IM
    assert cov.loc[("mm", "all"), "breaches_long"] >= cov.loc[("im", "all"), "breaches_long"]
    bt = buffered.backtest
    assert list(bt.index.get_level_values("side")) == ["long", "short"]
    assert {"traffic_light", "pof", "cc", "mcneil_frey"} <= set(bt.columns)
    # the failure count is the number of 1-day losses above the 1-day VaR forecast
    fc = buffered.forecasts["long"].dropna(subset=["loss"])
    assert bt.loc[("long", 0.99), "failures"] == int((fc["loss"] > fc["var_0.99"]).sum())
    kinds = set(buffered.stress["kind"])
    assert {"worst window", "price gap", "volatility spike"} <= kinds
    assert kinds <= {"episode", "worst window", "price gap", "volatility spike"}
    assert (buffered.stress["shortfall_im"] >= 0).all()
    assert buffered.tiers["maintenance_amount"].iloc[0] == 0


def test_mm_from_its_own_level(bars):
    s = MarginSettings(apc="none", mm_level=0.95, rounding_step=None, im_floor=0.0, **SETTINGS)
    cal = calibrate_asset("SYN", bars, s, estimator=HistoricalSimulation(), progress=False)
    returns = cal.info["returns"]
    ref = historical_margin_path(returns, 250, 0.95, "es").reindex(cal.margin_path.index)
    np.testing.assert_allclose(cal.margin_path["mm"], np.minimum(ref, cal.margin_path["im"]))


def test_sub_daily_horizon_on_daily_bars_is_not_backtested_at_another_horizon(bars, plain):
    # issue 12: a 4-hour margin period cannot be measured on daily bars, and no other horizon
    # stands in for it (the 1-day coverage used to be reported for it)
    s = MarginSettings(
        apc="none", rounding_step=None, im_floor=0.0, horizon_days=4 / 24, **SETTINGS
    )
    cal = calibrate_asset("SYN", bars, s, estimator=HistoricalSimulation(), progress=False)
    assert cal.info["coverage_horizon_days"] is None
    assert cal.coverage.empty and cal.coverage_tests.empty
    assert "not a whole number of bars" in cal.not_computed["coverage_im"]
    assert "historical_stress" in cal.not_computed
    assert set(cal.stress["kind"]) == {"price gap", "volatility spike"}
    # sqrt-time (below one bar nothing else exists): the 4-hour log-loss is the 1-day one times
    # sqrt(1/6)
    long_rate = 1 - np.exp(-cal.margin_path["long_x1"] * np.sqrt(4 / 24))
    short_rate = np.exp(cal.margin_path["short_x1"] * np.sqrt(4 / 24)) - 1
    np.testing.assert_allclose(cal.margin_path["raw_im"], np.maximum(long_rate, short_rate))
    assert (cal.margin_path["raw_im"] < plain.margin_path["raw_im"]).all()


def test_apc_options_raise_margins(bars, plain):
    for apc in ("stressed_weight", "floor"):
        s = MarginSettings(apc=apc, rounding_step=None, im_floor=0.0, **SETTINGS)
        cal = calibrate_asset("SYN", bars, s, estimator=HistoricalSimulation(), progress=False)
        assert (cal.margin_path["charged_im"] >= plain.margin_path["raw_im"] - 1e-12).all()
        assert f"apc_{'stressed' if apc == 'stressed_weight' else 'floor'}" in cal.margin_path


# ---------------------------------------------------------------- export


@pytest.fixture(scope="module")
def parameter_set(buffered):
    prov = {"crypto": {"sha256": "a" * 64, "start": "2018-01-01", "end": "2019-12-01"}}
    return build_parameter_set({"SYN": buffered}, buffered.settings, prov)


def test_schema_is_valid_draft_2020_12():
    import_jsonschema().Draft202012Validator.check_schema(schema())
    assert schema()["$schema"] == "https://json-schema.org/draft/2020-12/schema"


def test_parameter_set_round_trip(parameter_set, tmp_path):
    path = write_parameter_set(parameter_set, tmp_path / "out" / "params.json")
    loaded = load_parameter_set(path)
    assert loaded == json.loads(json.dumps(parameter_set))
    assert loaded["provenance"]["data_sha256"] == "a" * 64
    assert loaded["provenance"]["level"] == 0.99
    text = path.read_text()
    assert text.index('"assets"') < text.index('"created_utc"')  # stable (sorted) key order


def test_file_that_does_not_match_names_every_problem(parameter_set, tmp_path):
    bad = copy.deepcopy(parameter_set)
    bad["assets"]["SYN"]["max_leverage"] = 0.5
    del bad["assets"]["SYN"]["liquidation_penalty"]
    bad["settings"]["measure"] = "cvar"
    path = tmp_path / "bad.json"
    path.write_text(json.dumps(bad))
    with pytest.raises(SchemaError) as err:
        load_parameter_set(path)
    msg = str(err.value)
    assert str(path) in msg and "3 problem(s)" in msg
    assert "$.assets.SYN.max_leverage" in msg
    assert "'liquidation_penalty' is a required property" in msg
    assert "$.settings.measure" in msg
    with pytest.raises(SchemaError, match="not valid JSON"):
        (tmp_path / "broken.json").write_text("{")
        load_parameter_set(tmp_path / "broken.json")
    with pytest.raises(SchemaError, match=r"never\.json \(not written\)") as excinfo:
        write_parameter_set(bad, tmp_path / "never.json")
    assert "$.assets.SYN.max_leverage" in str(excinfo.value)
    assert not (tmp_path / "never.json").exists()


def test_semantic_rules_beyond_the_schema(parameter_set):
    bad = copy.deepcopy(parameter_set)
    tiers = bad["assets"]["SYN"]["tiers"]
    tiers[1]["notional_floor"] = tiers[0]["notional_cap"] / 2  # overlapping tiers
    tiers[2]["maintenance_amount"] += 1000.0  # margin jumps at the boundary
    bad["assets"]["SYN"]["mm_rate"] = bad["assets"]["SYN"]["im_rate"] * 2
    with pytest.raises(SchemaError) as err:
        validate_parameter_set(bad)
    msg = str(err.value)
    assert "tiers[1].notional_floor" in msg and "overlapping" in msg
    assert "tiers[2].maintenance_amount" in msg
    assert "$.assets.SYN.mm_rate" in msg


def test_schema_and_cross_field_violations_are_listed_together(parameter_set):
    # one pass names both kinds: a schema violation and a rule the schema cannot express
    bad = copy.deepcopy(parameter_set)
    bad["settings"]["measure"] = "cvar"
    bad["assets"]["SYN"]["mm_rate"] = bad["assets"]["SYN"]["im_rate"] * 2
    del bad["assets"]["SYN"]["tiers"][0]["tier"]
    with pytest.raises(SchemaError) as err:
        validate_parameter_set(bad, source="params.json")
    msg = str(err.value)
    assert msg.startswith("params.json: ") and "3 problem(s)" in msg
    assert "$.settings.measure" in msg and "'tier' is a required property" in msg
    assert "$.assets.SYN.mm_rate" in msg and "exceeds im_rate" in msg


@pytest.mark.parametrize("apc", ["buffer", "stressed_weight", "floor"])
def test_no_lookahead_through_the_whole_chain(bars, apc):
    # margins published up to a date must not change when later data arrive: calibrate on the
    # history up to a cut and on the full history, compare on the common dates
    s = MarginSettings(apc=apc, apc_stress_window=100, apc_floor_lookback=400, **SETTINGS)
    est = HistoricalSimulation()
    full = calibrate_asset("SYN", bars, s, estimator=est, progress=False).margin_path
    cut = calibrate_asset("SYN", bars.iloc[:500], s, estimator=est, progress=False).margin_path
    common = cut.index
    cols = ["raw_im", "charged_im", "im", "mm"]
    pd.testing.assert_frame_equal(full.loc[common, cols], cut[cols])


def test_apc_inputs_are_computed_at_the_margin_horizon():
    # regression: the stressed margin and the floor were 1-day two-sided rates mapped to the
    # horizon with the long-side formula, which understated this right-tail (short-side) rate by
    # more than half at 4 days. Independent reference: apc.stressed_margin_path and
    # apc.long_lookback_margin evaluated at horizon_days=4 directly.
    from riskkit.margin import apc as apc_mod

    g = np.random.default_rng(11)
    r = np.abs(g.standard_t(3, 700)) * 0.02 - 0.012  # rallies larger than falls: short side binds
    close = 1000.0 * np.exp(np.cumsum(r))
    idx = pd.date_range("2018-01-01", periods=700, freq="D", name="date")
    bars = pd.DataFrame(
        {"open": np.r_[1000.0, close[:-1]], "close": close, "volume": 5e4}, index=idx
    )
    bars["high"] = bars[["open", "close"]].max(axis=1) * 1.01
    bars["low"] = bars[["open", "close"]].min(axis=1) * 0.99
    base = dict(rounding_step=None, im_floor=0.0, horizon_days=4.0, **SETTINGS)
    est = HistoricalSimulation()
    for apc, fn, kw in (
        ("stressed_weight", apc_mod.stressed_margin_path, {"window": 100}),
        ("floor", apc_mod.long_lookback_margin, {"lookback": 400, "min_obs": 250}),
    ):
        # the averaged-margins variant of option (b): its stressed input is stressed_margin_path
        # (the weighted-sample default is tested in tests/test_margin_apc.py)
        s = MarginSettings(
            apc=apc,
            apc_stress_window=100,
            apc_floor_lookback=400,
            apc_stress_method="average_margins",
            **base,
        )
        cal = calibrate_asset("SKEW", bars, s, estimator=est, progress=False)
        mp = cal.margin_path
        ref = fn(cal.info["returns"], level=0.99, measure="es", horizon_days=4.0, **kw)
        ref = ref.reindex(mp.index).fillna(0.0)
        key = "apc_stressed" if apc == "stressed_weight" else "apc_floor"
        np.testing.assert_allclose(mp[key], ref, rtol=1e-12)
        if apc == "stressed_weight":
            want = 0.75 * mp["raw_im"] + 0.25 * np.maximum(ref, mp["raw_im"])
        else:
            want = np.maximum(mp["raw_im"], ref)
        np.testing.assert_allclose(mp["charged_im"], want, rtol=1e-12)
        assert (ref > mp["raw_im"]).any()  # the APC input binds somewhere: the test has teeth


# ---------------------------------------------------------------- waterfall


def test_waterfall_components_add_up_to_the_published_rate(bars):
    # independent reference: the published IM written out from the two 1-day measures with the
    # closed forms of riskkit.margin.rates (1 - exp(-x sqrt h), exp(x sqrt h) - 1), a buffer that
    # never releases (charged = 1.25 x raw, EMIR RTS 153/2013 Art. 28(1)(a)) and rounding up to
    # the 0.05% step above the 0.5% floor
    from riskkit.margin import MarginWaterfall, margin_waterfall

    s = MarginSettings(
        apc="buffer",
        apc_release_threshold=9.0,
        apc_rebuild_rate=9.0,
        horizon_days=2.0,
        horizon_method="sqrt",  # the closed form below is the square-root-of-time rule
        **SETTINGS,
    )
    cal = calibrate_asset("SYN", bars, s, estimator=HistoricalSimulation(), progress=False)
    raw_path = cal.margin_path["raw_im"]
    # precondition of "never releases": the raw margin never rises 8-fold within 5 days
    assert max((raw_path / raw_path.shift(k)).max() for k in range(1, 6)) < 8
    w = margin_waterfall(cal)
    assert isinstance(w, MarginWaterfall) and w.asset == "SYN" and w.horizon_days == 2.0
    p = cal.parameters
    # the 1-day measures unrounded (the parameter file publishes them to 1e-6)
    x_l, x_s = cal.margin_path["long_x1"].iloc[-1], cal.margin_path["short_x1"].iloc[-1]
    long_rate = 1 - math.exp(-x_l * math.sqrt(2.0))
    short_rate = math.exp(x_s * math.sqrt(2.0)) - 1
    raw = max(long_rate, short_rate)
    charged = 1.25 * raw
    published = max(math.ceil(charged / 0.0005 - 1e-9) * 0.0005, 0.005)
    assert w.long_rate == pytest.approx(long_rate, rel=1e-12)
    assert w.short_rate == pytest.approx(short_rate, rel=1e-12)
    parts = w.components()
    assert parts.index.tolist() == ["raw IM (model)", "APC add-on", "rounding, floor and cap"]
    assert parts.iloc[0] == pytest.approx(raw, rel=1e-12)
    assert parts.iloc[1] == pytest.approx(0.25 * raw, rel=1e-12)
    assert parts.iloc[2] == pytest.approx(published - charged, rel=1e-9, abs=1e-15)
    assert parts.sum() == pytest.approx(published, rel=1e-12)
    assert parts.sum() == pytest.approx(p["im_rate"], rel=1e-12)
    # MM = 0.6 x the published IM, to the rate precision 1e-6 (issue 12)
    assert w.mm_rate == round(0.6 * published, 6)
    assert w.max_leverage == math.floor(1 / published)
    steps = w.to_series()
    assert steps.name == "SYN" and len(steps) == 9
    assert steps["raw IM = max of both sides"] == w.raw_im
    assert steps["IM published (rounded up to 0.0005, floor 0.005)"] == p["im_rate"]
    assert json.loads(json.dumps(w.to_dict())) == w.to_dict()
    with pytest.raises(ConfigError, match="AssetCalibration"):
        margin_waterfall(p)


def test_jsonschema_is_imported_without_building_the_iri_grammars() -> None:
    """riskkit imports jsonschema without rfc3987_syntax (~1.5 s of Lark grammars per process)
    and leaves no trace: the module stays importable afterwards (no ``None`` left behind)."""
    code = (
        "import sys\n"
        "from riskkit._jsonschema import import_jsonschema\n"
        "js = import_jsonschema()\n"
        "assert 'rfc3987_syntax' not in sys.modules, sorted(m for m in sys.modules if 'rfc' in m)\n"
        "js.Draft202012Validator({'type': 'integer'}).validate(3)\n"
        "assert import_jsonschema() is js\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True)
