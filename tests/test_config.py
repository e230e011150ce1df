"""riskkit.config: every kind of problem is reported, all at once, before any work."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from riskkit.config import CalibrationConfig, load_config, validate_config
from riskkit.exceptions import ConfigError

ROOT = Path(__file__).resolve().parent.parent
DEFAULT = ROOT / "configs" / "default.yaml"


def _problems(exc: ConfigError) -> list[str]:
    return [line[4:] for line in str(exc).splitlines() if line.startswith("  - ")]


def _errors(mapping: object) -> list[str]:
    with pytest.raises(ConfigError) as info:
        validate_config(mapping)
    return _problems(info.value)


def test_shipped_configs_are_valid() -> None:
    for path in sorted((ROOT / "configs").glob("*.yaml")):
        cfg = load_config(path)
        assert isinstance(cfg, CalibrationConfig) and cfg.assets, path.name


def test_defaults_fill_in_and_round_trip() -> None:
    cfg = validate_config({"assets": ["btc"]})
    assert cfg.assets == ("BTC",)
    assert cfg.executor == "processes" and cfg.data.source == "bundled"
    assert cfg.report.enabled is True
    again = validate_config(yaml.safe_load(cfg.to_yaml()))
    assert again == cfg
    assert again.fingerprint() == cfg.fingerprint()


def test_fingerprint_ignores_where_and_how_but_not_what() -> None:
    cfg = validate_config({"assets": ["BTC"]})
    same = cfg.replace(executor="local", **{"output.directory": "elsewhere"})
    assert same.fingerprint() == cfg.fingerprint()
    assert cfg.replace(seed=1).fingerprint() != cfg.fingerprint()
    assert cfg.replace(window=250).fingerprint() != cfg.fingerprint()


def test_unknown_keys_get_a_did_you_mean() -> None:
    errs = _errors(
        {"assets": ["BTC"], "modle": {}, "margin": {"levl": 0.99}, "backtest": {"windw": 250}}
    )
    assert "modle: unknown key (did you mean 'model'?)" in errs
    assert "margin.levl: unknown key (did you mean 'level'?)" in errs
    assert "backtest.windw: unknown key (did you mean 'window'?)" in errs


def test_wrong_types_are_named() -> None:
    errs = _errors(
        {
            "assets": "BTC",
            "backtest": {"window": "long", "refit_every": 2.5},
            "data": {"clean": "yes"},
            "run": {"seed": True},
            "report": "sometimes",
        }
    )
    joined = "\n".join(errs)
    assert "assets: must be a list, got 'BTC'" in joined
    assert "backtest.window: must be an integer, got 'long'" in joined
    assert "backtest.refit_every: must be an integer, got 2.5" in joined
    assert "data.clean: must be true or false, got 'yes'" in joined
    assert "run.seed: must be an integer, got True" in joined
    assert "report: must be true, false or a mapping" in joined


def test_ranges_and_percent_hint() -> None:
    errs = _errors(
        {
            "assets": ["BTC"],
            "margin": {"level": 99, "horizon_days": 0, "measure": "cvar", "apc": "bufer"},
            "backtest": {"window": 10, "refit_every": 0},
            "run": {"max_workers": 0, "executor": "proceses"},
        }
    )
    joined = "\n".join(errs)
    assert "margin.level: must be in (0, 1), got 99 (a fraction: did you mean 0.99?)" in joined
    assert "margin.horizon_days: must be in (0, 30], got 0" in joined
    assert "margin.measure: unknown value 'cvar'" in joined
    assert "margin.apc: unknown value 'bufer' (did you mean 'buffer'?)" in joined
    assert "backtest.window: must be >= 30, got 10" in joined
    assert "backtest.refit_every: must be >= 1, got 0" in joined
    assert "run.max_workers: must be >= 1, got 0" in joined
    assert "run.executor: unknown executor 'proceses' (did you mean 'processes'?)" in joined


def test_missing_files_and_unknown_assets(tmp_path: Path) -> None:
    present = tmp_path / "btc.csv"
    present.write_text("date,close\n2020-01-01,1\n")
    errs = _errors(
        {
            "assets": ["BTC", "ETH"],
            "data": {
                "source": "files",
                "files": {"BTC": str(present), "ETH": str(tmp_path / "eth.csv")},
                "columns": {"Last": "clsoe"},
            },
        }
    )
    joined = "\n".join(errs)
    assert f"data.files.ETH: file not found: {tmp_path / 'eth.csv'}" in joined
    assert "data.columns.Last: unknown riskkit column 'clsoe' (did you mean 'close'?)" in joined
    bundled = _errors({"assets": ["BTC", "DOGE", "ETH"], "data": {"exchange": "bitstamp"}})
    assert (
        len(bundled) == 1 and "unknown asset 'DOGE' for bundled exchange 'bitstamp'" in bundled[0]
    )
    bad_exchange = _errors({"assets": ["BTC"], "data": {"exchange": "bitstampp"}})
    assert "did you mean 'bitstamp'?" in bad_exchange[0]


def test_every_problem_is_listed_at_once(tmp_path: Path) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text(
        yaml.safe_dump(
            {
                "assets": ["BTC", "BTC", "XRP"],
                "model": {"estimator": "fsh", "p": -1},
                "margin": {"level": 1.5, "window": 100},
                "backtest": {"window": 5},
                "output": {"figure_formats": ["png", "jpeg"]},
                "run": {"executor": "gpu"},
                "extra": 1,
            }
        )
    )
    with pytest.raises(ConfigError) as info:
        load_config(path)
    text = str(info.value)
    assert text.startswith(f"invalid configuration {path} (")
    errs = _problems(info.value)
    expected = [
        "extra: unknown key",
        "assets: listed more than once: BTC",
        "assets: unknown asset 'XRP'",
        "model.estimator: unknown value 'fsh' (did you mean 'fhs'?)",
        "model.p: must be in [1, 5], got -1",
        "margin.window: set it in the backtest section",
        "backtest.window: must be >= 30, got 5",
        "output.figure_formats[1]: unknown format 'jpeg'",
        "run.executor: unknown executor 'gpu'",
    ]
    for item in expected:
        assert any(e.startswith(item) for e in errs), (item, errs)
    assert f"({len(errs)} problems)" in text
    assert len(errs) >= len(expected) + 1  # margin.level out of range too


def test_file_level_errors(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="configuration file not found"):
        load_config(tmp_path / "nope.yaml")
    bad = tmp_path / "bad.yaml"
    bad.write_text("assets: [BTC\n")
    with pytest.raises(ConfigError, match="not valid YAML"):
        load_config(bad)
    empty = tmp_path / "empty.yaml"
    empty.write_text("")
    with pytest.raises(ConfigError, match="is empty"):
        load_config(empty)
    with pytest.raises(ConfigError, match="the top level must be a mapping"):
        validate_config(["BTC"])
    assert _errors({}) == ["assets: missing (required)"]


def test_overrides_use_dotted_paths() -> None:
    cfg = load_config(
        DEFAULT, overrides={"backtest.window": 250, "assets": ["ETH"], "run.executor": "serial"}
    )
    assert cfg.window == 250 and cfg.assets == ("ETH",) and cfg.executor == "serial"
    assert cfg.margin["level"] == load_config(DEFAULT).margin["level"]


def test_dask_scheduler_address_is_accepted() -> None:
    cfg = validate_config({"assets": ["BTC"], "run": {"executor": "tcp://10.0.0.5:8786"}})
    assert cfg.executor == "tcp://10.0.0.5:8786"


def test_report_shorthand() -> None:
    assert validate_config({"assets": ["BTC"], "report": False}).report.enabled is False
    cfg = validate_config({"assets": ["BTC"], "report": {"all_notebooks": True}})
    assert cfg.report.enabled and cfg.report.all_notebooks


def test_binance_source_needs_dates_and_defaults_symbols() -> None:
    errs = _errors({"assets": ["BTC"], "data": {"source": "binance", "binance": {"market": "cm"}}})
    assert "data.binance.market: unknown value 'cm'" in "\n".join(errs)
    assert "data.start: required with data.source: binance (YYYY-MM-DD)" in errs
    assert "data.end: required with data.source: binance (YYYY-MM-DD)" in errs
    cfg = validate_config(
        {
            "assets": ["BTC", "ETH"],
            "data": {"source": "binance", "start": "2021-01-01", "end": "2021-12-31"},
        }
    )
    assert cfg.data.binance["symbols"] == {"BTC": "BTCUSDT", "ETH": "ETHUSDT"}


def test_every_bad_margin_setting_is_listed_not_just_the_first() -> None:
    # MarginSettings raises on its first bad field; the validator must still list each one
    errs = _errors(
        {
            "assets": ["BTC"],
            "margin": {
                "level": 99,
                "rounding_step": 0.5,
                "apc_buffer": -1,
                "sides": "longs",
            },
        }
    )
    for item in (
        "margin.level: must be in (0, 1), got 99",
        "margin.rounding_step: rounding_step must lie in (0, 0.1], got 0.5",
        "margin.apc_buffer: apc_buffer must lie in [0, 10], got -1",
        "margin.sides: sides must be one of",
    ):
        assert any(e.startswith(item) for e in errs), (item, errs)
    # a rule tying two keys together is checked once each key is valid on its own
    assert _errors({"assets": ["BTC"], "margin": {"im_floor": 0.2, "im_cap": 0.1}}) == [
        "margin: im_floor 0.2 exceeds im_cap 0.1"
    ]


def test_impossible_yaml_date_is_a_listed_problem_not_a_traceback(tmp_path: Path) -> None:
    # PyYAML's timestamp constructor raises a bare ValueError on 2019-13-01
    path = tmp_path / "date.yaml"
    path.write_text("assets: [BTC]\ndata: {start: 2019-13-01, end: 2020-01-01}\nrun: {seed: -1}\n")
    with pytest.raises(ConfigError) as info:
        load_config(path)
    errs = _problems(info.value)
    assert "data.start: must be a date YYYY-MM-DD, got '2019-13-01'" in errs
    assert any(e.startswith("run.seed: must be >= 0") for e in errs)
    # a valid date still loads as a date
    ok = tmp_path / "ok.yaml"
    ok.write_text("assets: [BTC]\ndata: {start: 2019-01-01}\n")
    assert load_config(ok).data.start == "2019-01-01"
