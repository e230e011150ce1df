"""Champion/challenger protocol (riskkit.ml.protocol) and its CLI path (riskkit challengers)."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest

from riskkit.backtest import fz0_loss
from riskkit.cli import main
from riskkit.data.fixtures import synthetic_hourly_bars
from riskkit.exceptions import ConfigError
from riskkit.margin import MarginSettings, procyclicality_metrics
from riskkit.ml import FeatureSpec, LinearQuantileRegression, QuantileForest
from riskkit.ml.config import ChallengerConfig
from riskkit.ml.protocol import TABLE_COLUMNS, run_challengers
from riskkit.returns import resample_ohlcv
from riskkit.risk import HistoricalSimulation

FAST = FeatureSpec(returns=("ret_lag1", "abs_lag1", "rv_5", "rv_22"), exogenous=True)


@pytest.fixture(scope="module")
def run():
    hourly = synthetic_hourly_bars("2022-01-01", "2023-06-30 23:30", seed=5).iloc[:-1]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        daily = resample_ohlcv(hourly, "1D")
        settings = MarginSettings(window=250, refit_every=100, horizon_days=2, mm_ratio=0.5)
        models = {
            "hs": HistoricalSimulation(),
            "quantreg": LinearQuantileRegression(
                features=FeatureSpec(("abs_lag1", "rv_5", "rv_22"), exogenous=False),
                tail_points=3,
            ),
            "qrf": QuantileForest(10, features=FAST, tail_points=3),
        }
        return run_challengers("SYN", daily, settings, models, conformal=("aci",),
                               mcs_reps=200, seed=1)  # fmt: skip


def test_table_scores_every_model_on_the_same_dates(run):
    t = run.table
    assert list(t.columns) == list(TABLE_COLUMNS)
    assert list(t.index) == ["hs", "quantreg", "qrf", "hs+aci"]
    assert t["observations"].nunique() == 1
    np.testing.assert_allclose(t["breaches_per_250"], 250 * t["breaches"] / t["observations"])
    assert t["selected"].sum() == 1 and run.selected in t.index
    # FZ0 recomputed from the stored forecasts
    fc = run.forecasts["qrf"]
    mean = fz0_loss(fc["loss"], fc["var_0.99"], fc["es_0.99"], 0.99).mean()
    assert t.loc["qrf", "fz0_mean"] == pytest.approx(mean)
    assert t.loc["hs+aci", "base_model"] == "hs" and t.loc["hs+aci", "conformal"] == "aci"
    assert run.ranking["in_mcs"].any()
    pc = procyclicality_metrics(run.margins["hs"])
    assert t.loc["hs", "peak_to_trough"] == pytest.approx(pc["peak_to_trough"])


def test_selected_model_margin_layers(run):
    layers = run.layers
    assert (layers["mm"] < layers["im"]).all()
    np.testing.assert_allclose(layers["mm"], 0.5 * layers["im"], atol=1e-6)
    assert layers.index.equals(run.margins.index)
    assert isinstance(layers.index, pd.DatetimeIndex)


def test_selection_rule(run):
    from riskkit.ml.protocol import select_model

    t = run.table.copy()
    t["in_mcs"] = False
    assert select_model(t, "hs") == "hs"  # no model qualifies: the champion stays
    t["in_mcs"] = True
    t["pof_pvalue"] = 0.5
    assert select_model(t, "hs") == t["mean_im"].idxmin()
    # a rejected breach rate disqualifies the cheapest model, at the backtests' test level
    cheapest = t["mean_im"].idxmin()
    t.loc[cheapest, "pof_pvalue"] = 0.03
    assert select_model(t, "hs") != cheapest
    assert select_model(t, "hs", test_level=0.99) == cheapest


def test_config_errors_name_the_key(tmp_path):
    with pytest.raises(ConfigError, match="models"):
        ChallengerConfig.model_validate({"challengers": {"models": ["lstm"]}})
    cfg = ChallengerConfig.model_validate({"challengers": {"conformal_models": ["svm"]}})
    with pytest.raises(ConfigError, match="conformal_models"):
        cfg.estimators(HistoricalSimulation())
    bad = tmp_path / "c.yaml"
    bad.write_text("calibration: nowhere.yaml\n")
    assert main(["challengers", "--config", str(bad)]) == 2


def test_dynamic_margin_without_adjustment_is_the_calibrated_margin(run):
    # with no conformal adjustment (too few scores ever: multiplier 1) the dynamic margin goes
    # through the same model-failure screen, APC buffer, rounding and MM ratio as
    # calibrate_asset, so it must reproduce the published IM and MM exactly
    from riskkit.margin._common import log_returns_from_ohlcv
    from riskkit.ml.protocol import dynamic_margin

    cal = run.calibrations["hs"]
    hourly = synthetic_hourly_bars("2022-01-01", "2023-06-30 23:30", seed=5).iloc[:-1]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        r = log_returns_from_ohlcv(resample_ohlcv(hourly, "1D"))
    same = dynamic_margin(cal, r, calibration=5000, min_calibration=5000)
    assert (same["multiplier_long"] == 1).all()
    pd.testing.assert_series_equal(same["im"], cal.margin_path["im"], check_names=False)
    pd.testing.assert_series_equal(same["mm"], cal.margin_path["mm"], check_names=False)
    moved = dynamic_margin(cal, r, calibration=250, min_calibration=100)
    assert not moved["im"].equals(cal.margin_path["im"])


def test_dynamic_margin_of_an_own_mm_layer_without_adjustment_is_the_calibrated_one():
    # an MM layer of its own (level and horizon of its own, not a ratio): with multiplier 1 the
    # dynamic path scales the MM's raw rate by the same APC factor as calibrate_asset does
    from riskkit.margin import calibrate_asset
    from riskkit.margin._common import log_returns_from_ohlcv
    from riskkit.ml.protocol import dynamic_margin

    hourly = synthetic_hourly_bars("2022-01-01", "2023-06-30 23:30", seed=5).iloc[:-1]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        daily = resample_ohlcv(hourly, "1D")
        s = MarginSettings(
            window=250, refit_every=100, horizon_days=2, mm_level=0.95, mm_horizon_days=1
        )
        cal = calibrate_asset("SYN", daily, s, estimator=HistoricalSimulation(), progress=False)
    assert "raw_mm" in cal.margin_path  # the own-layer branch, not the ratio one
    same = dynamic_margin(
        cal, log_returns_from_ohlcv(daily), calibration=5000, min_calibration=5000
    )
    pd.testing.assert_series_equal(same["im"], cal.margin_path["im"], check_names=False)
    pd.testing.assert_series_equal(same["mm"], cal.margin_path["mm"], check_names=False)


@pytest.mark.slow  # a small run of the CLI on the bundled BTC series
def test_cli_writes_the_comparison_table_into_a_new_run_directory(tmp_path, capsys):
    import yaml

    base = yaml.safe_load(open("configs/default.yaml", encoding="utf-8"))
    base["assets"] = ["BTC"]
    base["data"].update(start="2016-01-01", end="2017-03-31")
    base["backtest"] = {"window": 250, "refit_every": 100}
    base["output"]["directory"] = str(tmp_path / "runs")
    base["report"]["enabled"] = False
    cal = tmp_path / "cal.yaml"
    cal.write_text(yaml.safe_dump(base), encoding="utf-8")
    ch = tmp_path / "ch.yaml"
    ch.write_text(
        yaml.safe_dump(
            {
                "calibration": str(cal),
                "challengers": {"models": ["quantreg"], "conformal": ["aci"], "mcs_reps": 100},
            }
        ),
        encoding="utf-8",
    )
    out = tmp_path / "run"
    assert main(["challengers", "--config", str(ch), "--out", str(out)]) == 0
    table = pd.read_csv(out / "comparison.csv", index_col=[0, 1])
    assert list(table.index.get_level_values("model")) == ["champion", "quantreg", "champion+aci"]
    assert set(TABLE_COLUMNS) <= set(table.columns)
    assert (out / "tables" / "BTC" / "layers.csv").exists()
    assert "comparison table" in capsys.readouterr().out
    # never into an existing run
    assert main(["challengers", "--config", str(ch), "--out", str(out)]) == 2
