"""DeFi lending proposals in a calibration run: the ``lending`` configuration section, the
``lending_parameter_sets`` section of the parameter file (schema 1.3) and the report summary.

The example configuration runs end to end on a small setting (one asset, one pair, few paths);
the file is checked against the JSON Schema with ``jsonschema`` directly, the steward steps
against the limits of BGD Labs' RiskStewardPhase2.md by hand-written arithmetic, and the Aave
fields against the definitions of Aave v3's ``AaveProtocolDataProvider`` (basis points,
liquidation bonus including the repaid 10000, caps in whole tokens).
"""

from __future__ import annotations

import copy
import hashlib
import json
import math
from pathlib import Path

import jsonschema
import numpy as np
import pandas as pd
import pytest

from riskkit.config import config_from_mapping, load_config
from riskkit.datasets import load_ohlcv
from riskkit.defi import AAVE_V3_ETHEREUM, ReserveParameters, steward_path
from riskkit.defi.parameter_sets import lending_parameter_sets, lending_table
from riskkit.exceptions import ConfigError, SchemaError
from riskkit.margin import schema, validate_parameter_set
from riskkit.run import load_run, run_calibration
from riskkit.run.summary import extra_parameter_sets, summarize_run

EXAMPLE = Path(__file__).resolve().parent.parent / "configs" / "lending_example.yaml"
AAVE_FIELDS = ("ltv", "liquidationThreshold", "liquidationBonus", "supplyCap", "borrowCap")


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    """The example configuration on a small setting: ETH only (``--assets ETH``), the WETH/USDC
    pair, 2019-06 to the end of the bundled data, 200 paths, a historical-simulation model."""
    out = tmp_path_factory.mktemp("lending_runs")
    base = load_config(EXAMPLE)
    weth = base.lending.pairs[0].model_dump()
    cfg = load_config(
        EXAMPLE,
        overrides={
            "assets": ["ETH"],
            "lending.pairs": [weth],
            "lending.settings.n_sims": 200,
            "data.start": "2019-06-01",
            "model": {"estimator": "historical"},
            "backtest.window": 250,
            "backtest.refit_every": 250,
            "margin.insurance_sims": 20,
            "output.directory": str(out),
            "output.figure_formats": [],
            "run.executor": "serial",
        },
    )
    result = run_calibration(cfg)
    assert result.ok, (result.failed, result.stage_errors)
    return cfg, result


def test_example_configuration_names_both_aave_pairs():
    cfg = load_config(EXAMPLE)
    pairs = {p.label: p for p in cfg.lending.pairs}
    assert set(pairs) == {"WETH/USDC", "WBTC/USDC"}
    # the current values are Aave v3 Ethereum's published ones (riskkit.defi.AAVE_V3_ETHEREUM)
    for label, token in (("WETH/USDC", "WETH"), ("WBTC/USDC", "WBTC")):
        cur, aave = pairs[label].current, AAVE_V3_ETHEREUM[token]
        assert (cur.ltv, cur.liquidation_threshold, cur.liquidation_bonus) == (
            aave.ltv,
            aave.liquidation_threshold,
            aave.liquidation_bonus,
        )
    assert {p.collateral for p in cfg.lending.pairs} <= set(cfg.assets)


def test_parameter_file_has_the_pair_in_aave_fields(run):
    cfg, result = run
    data = json.loads(result.parameter_file.read_text())
    assert data["schema_version"] == "1.3"
    jsonschema.Draft202012Validator(schema()).validate(data)  # the schema, directly
    validate_parameter_set(data)  # and the rules beyond it
    pair = data["lending_parameter_sets"]["WETH/USDC"]
    assert (pair["collateral"], pair["debt"]) == ("ETH", "USDC")
    # Aave v3 on-chain units: WETH's 80.5% / 83% / 5% bonus are 8050 / 8300 / 10500
    assert pair["current"] == {
        "ltv": 8050,
        "liquidationThreshold": 8300,
        "liquidationBonus": 10500,
        "supplyCap": None,
        "borrowCap": None,
    }
    for stage in ("current", "first_step", "proposed"):
        assert set(pair[stage]) == set(AAVE_FIELDS)
        r = pair[stage]
        assert r["ltv"] <= r["liquidationThreshold"]
        assert r["liquidationThreshold"] * r["liquidationBonus"] <= 10_000**2
    # caps in whole tokens: the USD cap over the as-of close of the collateral, rounded down
    ohlcv = load_ohlcv("ETH", "bitstamp")
    price = float(ohlcv["close"].iloc[-1])
    assert pair["collateral_price_usd"] == pytest.approx(price)
    assert pair["as_of"] == str(ohlcv.index[-1].date())
    if pair["proposed_supply_cap_usd"] is not None:
        assert pair["proposed"]["supplyCap"] == math.floor(pair["proposed_supply_cap_usd"] / price)
        assert pair["proposed"]["borrowCap"] == math.floor(pair["proposed_borrow_cap_usd"])
    # seeded from the run's seed; the bad-debt VaR of the proposal meets its target
    sim = pair["simulation"]
    assert sim["seed"] == cfg.seed and sim["n_sims"] == 200
    bd = pair["bad_debt"]["proposed"]
    assert bd["var_usd"] <= bd["extreme_var_usd"]
    assert bd["var_usd"] <= sim["var_target"] * bd["total_debt_usd"] + 1e-6
    assert bd["extreme_var_usd"] <= sim["extreme_var_target"] * bd["total_debt_usd"] + 1e-6
    assert pair["liquidation_threshold_binding"] in (
        "bad-debt target",
        "top of the search grid (lt_max)",
        "LT x (1 + bonus) < 1",
    )


def test_steward_steps_stay_within_the_limits(run):
    """BGD Labs RiskStewardPhase2.md: per update at most 0.25% (25 bp) on LTV and LT and 0.5%
    (50 bp) on the bonus; a change of D bp needs at least ceil(D / limit) updates."""
    _, result = run
    pair = json.loads(result.parameter_file.read_text())["lending_parameter_sets"]["WETH/USDC"]
    assert pair["steward_limits"]["ltv"] == 25
    assert pair["steward_limits"]["liquidationThreshold"] == 25
    assert pair["steward_limits"]["liquidationBonus"] == 50
    cur, first, prop = pair["current"], pair["first_step"], pair["proposed"]
    for f, limit in (("ltv", 25), ("liquidationThreshold", 25), ("liquidationBonus", 50)):
        assert abs(first[f] - cur[f]) <= limit
        change = abs(prop[f] - cur[f])
        assert pair["steward_steps"][f] >= -(-change // limit)
        if change:  # the first update moves towards the proposal
            assert np.sign(first[f] - cur[f]) in (0, np.sign(prop[f] - cur[f]))
    assert pair["steward_updates"] == max(pair["steward_steps"].values())
    assert pair["steward_min_days"] == max(pair["steward_updates"] - 1, 0) * 3.0
    # every update of the whole walk (re-walked from the file's values) is within the limits
    to = ReserveParameters(
        ltv=prop["ltv"] / 1e4,
        liquidation_threshold=prop["liquidationThreshold"] / 1e4,
        liquidation_bonus=prop["liquidationBonus"] / 1e4 - 1,
    )
    path = steward_path(AAVE_V3_ETHEREUM["WETH"], to)
    for a, b in zip(path.updates, path.updates[1:], strict=False):
        assert abs(round(b.ltv * 1e4) - round(a.ltv * 1e4)) <= 25
        assert (
            abs(round(b.liquidation_threshold * 1e4) - round(a.liquidation_threshold * 1e4)) <= 25
        )
        assert abs(round(b.liquidation_bonus * 1e4) - round(a.liquidation_bonus * 1e4)) <= 50
    assert path.n_updates == pair["steward_updates"]


def test_report_summary_lists_the_pair(run):
    _, result = run
    summary = summarize_run(load_run(result.run_dir))
    frame = summary.extra["lending parameter sets"]
    data = json.loads(result.parameter_file.read_text())["lending_parameter_sets"]
    # the report's view: percentages from Aave's basis points, the bonus without the repaid
    # 100% (10500 bp = a 5% bonus), the steward updates with the days they take
    weth = frame[frame["pair"] == "WETH/USDC"].set_index("parameter")
    assert weth.loc["loan-to-value (LTV)", "current"] == "80.5%"
    assert weth.loc["liquidation threshold", "current"] == "83%"
    assert weth.loc["liquidation bonus", "current"] == "5%"
    lt = data["WETH/USDC"]["proposed"]["liquidationThreshold"]
    assert weth.loc["liquidation threshold", "proposed"] == f"{lt / 100:g}%"
    steps = data["WETH/USDC"]["steward_steps"]["ltv"]
    days = (steps - 1) * data["WETH/USDC"]["steward_limits"]["days_between_updates"]
    assert weth.loc["loan-to-value (LTV)", "updates needed"] == f"{steps} (at least {days:g} days)"
    assert (
        days == data["WETH/USDC"]["steward_min_days"]
        or steps < data["WETH/USDC"]["steward_updates"]
    )
    # the compact view: one row per stage, the file's numbers unchanged
    view = lending_table(data)
    assert list(view.loc["WETH/USDC"].index) == [
        "current",
        "first step",
        "proposed",
        "steward steps",
    ]
    assert view.loc[("WETH/USDC", "proposed"), "ltv"] == data["WETH/USDC"]["proposed"]["ltv"]
    assert (
        view.loc[("WETH/USDC", "current"), "bad_debt_extreme_var_usd"]
        == (data["WETH/USDC"]["bad_debt"]["current"]["extreme_var_usd"])
    )


def test_an_unset_section_changes_nothing():
    """Without ``lending`` the fingerprint is the one of a configuration that never knew the
    key, and the parameter file gets no section."""
    plain = config_from_mapping({"assets": ["ETH"]})
    assert plain.lending is None
    # the fingerprint of schema 1.2's configurations: SHA-256 of the nine original sections
    # (output and report left out, run reduced to its seed), as riskkit computed it before 1.3
    d = {k: v for k, v in plain.to_dict().items() if k in ("name", "data", "assets", "model")}
    d |= {k: plain.to_dict()[k] for k in ("margin", "backtest")} | {"run": {"seed": plain.seed}}
    text = json.dumps(d, sort_keys=True, default=str)
    assert plain.fingerprint() == hashlib.sha256(text.encode()).hexdigest()
    assert (
        plain.fingerprint()
        == config_from_mapping({"assets": ["ETH"], "lending": None}).fingerprint()
    )
    assert "lending" not in json.dumps(extra_parameter_sets({"assets": {}}))
    with_lending = load_config(EXAMPLE)
    assert with_lending.fingerprint() != with_lending.replace(lending=None).fingerprint()
    # a written configuration (seed left out: it is the run's) validates again, unchanged
    again = config_from_mapping(with_lending.to_dict())
    assert again.fingerprint() == with_lending.fingerprint()


def _mapping(**lending):
    pair = {
        "collateral": "ETH",
        "current": {"ltv": 0.805, "liquidation_threshold": 0.83, "liquidation_bonus": 0.05},
    }
    return {"assets": ["ETH"], "lending": {"pairs": [pair], **lending}}


@pytest.mark.parametrize(
    ("change", "where", "what"),
    [
        (("collateral", "DOGE"), r"lending\.pairs\[0\]\.collateral", "not one of the assets"),
        (
            ("current", {"ltv": 0.85, "liquidation_threshold": 0.83, "liquidation_bonus": 0.05}),
            r"lending\.pairs\[0\]\.current",
            "exceeds liquidation_threshold",
        ),
        (
            ("current", {"ltv": 0.9, "liquidation_threshold": 0.97, "liquidation_bonus": 0.05}),
            r"lending\.pairs\[0\]\.current",
            r"exceeds 1",
        ),
        (("debt", "BTC"), r"lending\.pairs\[0\]\.debt", "unknown debt asset"),
        (("supply_usd", -1), r"lending\.pairs\[0\]\.supply_usd", ""),
    ],
)
def test_bad_pairs_name_their_key(change, where, what):
    m = _mapping()
    m["lending"]["pairs"][0][change[0]] = change[1]
    with pytest.raises(ConfigError, match=f"{where}.*{what}"):
        config_from_mapping(m)


def test_bad_section_settings_name_their_key():
    with pytest.raises(ConfigError, match=r"lending\.settings\.seed: .*run\.seed"):
        config_from_mapping(_mapping(settings={"seed": 3}))
    with pytest.raises(ConfigError, match=r"lending\.settings\.n_sims"):
        config_from_mapping(_mapping(settings={"n_sims": 10}))
    with pytest.raises(ConfigError, match=r"lending\.pairs: .*at least 1"):
        config_from_mapping({"assets": ["ETH"], "lending": {"pairs": []}})
    twice = _mapping()
    twice["lending"]["pairs"] *= 2
    with pytest.raises(ConfigError, match="duplicate pair label"):
        config_from_mapping(twice)


def test_a_collateral_without_volume_asks_for_adv():
    bars = load_ohlcv("ETH", "bitstamp", start="2019-06-01")
    spec = _mapping(settings={"n_sims": 100})["lending"]
    with pytest.raises(Exception, match=r"lending\.pairs\[0\].*adv_usd"):
        lending_parameter_sets(spec, {"ETH": {"adv_usd": None}}, {"ETH": bars}, seed=1)
    with pytest.raises(ConfigError, match=r"lending\.pairs\[0\]\.collateral: 'ETH' was not"):
        lending_parameter_sets(spec, {"BTC": {"adv_usd": 1e8}}, {"ETH": bars}, seed=1)


def test_broken_sections_are_named_with_their_path(run):
    """The checks beyond the schema: a first step beyond the steward limit, LTV above LT, too
    few steps, and a field in riskkit's units instead of Aave's (the schema)."""
    _, result = run
    good = json.loads(result.parameter_file.read_text())
    bad = copy.deepcopy(good)
    pair = bad["lending_parameter_sets"]["WETH/USDC"]
    pair["first_step"]["ltv"] = pair["current"]["ltv"] + 26
    pair["proposed"]["liquidationThreshold"] = pair["current"]["liquidationThreshold"] + 100
    pair["proposed"]["ltv"] = pair["proposed"]["liquidationThreshold"] + 1
    pair["steward_steps"]["liquidationThreshold"] = 1  # 100 bp need 4 updates of 25
    pair["current"]["liquidationBonus"] = 0.05  # riskkit's fraction, not Aave's 10500
    with pytest.raises(SchemaError) as err:
        validate_parameter_set(bad)
    text = str(err.value)
    at = "$.lending_parameter_sets['WETH/USDC']"
    assert f"{at}.first_step.ltv: moves +" in text
    assert f"{at}.proposed.ltv:" in text and "exceeds liquidationThreshold" in text
    assert f"{at}.steward_steps.liquidationThreshold: 1 update(s)" in text
    assert "lending_parameter_sets.WETH/USDC.current.liquidationBonus" in text
    validate_parameter_set(good)  # the file as written passes


def test_same_seed_same_proposal():
    bars = load_ohlcv("ETH", "bitstamp", start="2019-06-01")
    spec = _mapping(settings={"n_sims": 100})["lending"]
    assets = {"ETH": {"adv_usd": 2e7}}
    one = lending_parameter_sets(spec, assets, {"ETH": bars}, seed=5)
    two = lending_parameter_sets(spec, assets, {"ETH": bars}, seed=5)
    assert one == two
    # the data end at the run's last date: later bars are never seen
    cut = bars.loc[: bars.index[-30]]
    early = lending_parameter_sets(spec, assets, {"ETH": cut}, seed=5)["ETH/USDC"]
    assert early["as_of"] == str(cut.index[-1].date())
    assert pd.Timestamp(early["as_of"]) < pd.Timestamp(one["ETH/USDC"]["as_of"])


@pytest.mark.filterwarnings("ignore::riskkit.exceptions.ConvergenceWarning")
def test_hourly_bars_give_the_proposal_of_their_daily_bars():
    """Intraday bars are aggregated into complete UTC days first: the proposal from hourly bars
    is the one from the daily bars built from them (close = last hourly close of the day), and
    a partial last day is left out."""
    rng = np.random.default_rng(11)
    n = 24 * 400 + 5  # 400 whole days and 5 hours of a partial day
    idx = pd.date_range("2021-01-01", periods=n, freq="1h", name="date")
    close = 2000.0 * np.exp(np.cumsum(0.008 * rng.standard_t(4, n) / np.sqrt(2.0)))
    hourly = pd.DataFrame(
        {"open": close, "high": close, "low": close, "close": close, "volume": 1000.0}, idx
    )
    days = hourly.iloc[: 24 * 400]
    daily = pd.DataFrame(
        {"close": days["close"].to_numpy()[23::24]},
        index=pd.date_range("2021-01-01", periods=400, freq="D", name="date"),
    )
    spec = _mapping(settings={"n_sims": 100})["lending"]
    assets = {"ETH": {"adv_usd": 5e7}}
    from_hours = lending_parameter_sets(spec, assets, {"ETH": hourly}, seed=2)["ETH/USDC"]
    from_days = lending_parameter_sets(spec, assets, {"ETH": daily}, seed=2)["ETH/USDC"]
    assert from_hours["as_of"] == "2022-02-04"  # the 400th day; the partial 401st is left out
    assert from_hours == from_days
