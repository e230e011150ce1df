"""riskkit.config: every kind of problem is reported, all at once, before any work."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest
import yaml
from pydantic import ValidationError

from riskkit._jsonschema import import_jsonschema
from riskkit.cli import main
from riskkit.config import (
    BacktestSpec,
    CalibrationConfig,
    DataSpec,
    ModelSpec,
    OutputSpec,
    ReportSpec,
    RunSpec,
    config_json_schema,
    load_config,
    validate_config,
)
from riskkit.exceptions import ConfigError
from riskkit.margin import MarginSettings
from riskkit.ml.config import load_challenger_config

ROOT = Path(__file__).resolve().parent.parent
DEFAULT = ROOT / "configs" / "default.yaml"


def _problems(exc: ConfigError) -> list[str]:
    return [line[4:] for line in str(exc).splitlines() if line.startswith("  - ")]


def _errors(mapping: object) -> list[str]:
    with pytest.raises(ConfigError) as info:
        validate_config(mapping)
    return _problems(info.value)


def _calibration_configs() -> list[Path]:
    """Shipped calibration configs; a champion/challenger file names its calibration instead."""
    return [
        p
        for p in sorted((ROOT / "configs").glob("*.yaml"))
        if "challengers" not in (yaml.safe_load(p.read_text()) or {})
    ]


def test_shipped_configs_are_valid() -> None:
    for path in _calibration_configs():
        cfg = load_config(path)
        assert isinstance(cfg, CalibrationConfig) and cfg.assets, path.name
    challenger_files = sorted(set((ROOT / "configs").glob("*.yaml")) - set(_calibration_configs()))
    assert challenger_files, "configs/challengers.yaml is missing"
    for path in challenger_files:
        assert load_challenger_config(path).challengers, path.name


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
    # the window's lower bound is MarginSettings' (50), which receives it
    assert "backtest.window: must be >= 50, got 10" in joined
    assert "backtest.refit_every: must be >= 1, got 0" in joined
    assert "run.max_workers: must be >= 1, got 0" in joined
    assert "run.executor: unknown executor 'proceses' (did you mean 'processes'?)" in joined


def test_percent_hint_only_for_values_that_read_as_a_percent() -> None:
    # review style 24: a ratio just above 1 (mm_ratio 1.5: MM above IM) is not "1.5 percent"
    joined = "\n".join(_errors({"assets": ["BTC"], "margin": {"mm_ratio": 1.5, "level": 2}}))
    assert "margin.mm_ratio: must be in (0, 1), got 1.5" in joined
    assert "0.015" not in joined
    assert "margin.level: must be in (0, 1), got 2 (a fraction: did you mean 0.02?)" in joined
    joined = "\n".join(_errors({"assets": ["BTC"], "margin": {"mm_ratio": 60}}))
    assert "got 60 (a fraction: did you mean 0.6?)" in joined


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
        "backtest.window: must be >= 50, got 5",
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
    assert cfg.margin.level == load_config(DEFAULT).margin.level


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
    assert cfg.data.binance.symbols == {"BTC": "BTCUSDT", "ETH": "ETHUSDT"}


def test_every_bad_margin_setting_is_listed_not_just_the_first() -> None:
    # every bad margin setting is listed, each with its location, not just the first one
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
        "margin.rounding_step: must be in (0, 0.1], got 0.5",
        "margin.apc_buffer: must be in [0, 10], got -1",
        "margin.sides: unknown value 'longs' (did you mean 'long'?); choose one of both,",
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


# ---------------------------------------------------------------- one table of defaults


def test_written_config_holds_every_effective_setting(tmp_path: Path) -> None:
    # a minimal file: everything else is a default, and the config.yaml a run writes
    # (CalibrationConfig.to_yaml) must show each default, so the file alone says what ran
    minimal = tmp_path / "minimal.yaml"
    minimal.write_text("assets: [BTC]\nmargin: {level: 0.99}\n")
    cfg = load_config(minimal)
    written = tmp_path / "config.yaml"
    written.write_text(cfg.to_yaml())
    back = yaml.safe_load(written.read_text())
    assert back == cfg.to_dict()
    # every key of every section is written out, defaults included
    sections = {
        "data": DataSpec,
        "model": ModelSpec,
        "backtest": BacktestSpec,
        "output": OutputSpec,
        "run": RunSpec,
        "report": ReportSpec,
    }
    for name, model in sections.items():
        assert set(back[name]) == set(model.model_fields), name
    margin_keys = set(MarginSettings.model_fields) - {"window", "refit_every"}
    assert set(back["margin"]) == margin_keys
    # the defaults the calibration would use, in the file: mm_ratio and apc among them
    assert back["margin"]["mm_ratio"] == MarginSettings().mm_ratio
    assert back["margin"]["apc"] == MarginSettings().apc
    # read back, it is the same configuration (apart from the file it came from)
    again = load_config(written)
    assert again.to_dict() == cfg.to_dict()
    assert again.fingerprint() == cfg.fingerprint()
    assert again.margin == cfg.margin


def test_one_default_table_drives_config_and_calibration() -> None:
    cfg = validate_config({"assets": ["BTC"], "margin": {"level": 0.99}})
    # the margin section of a configuration is a MarginSettings: the defaults of a key left
    # out are those of MarginSettings() built in code, field by field
    assert isinstance(cfg.margin, MarginSettings)
    assert cfg.margin == MarginSettings()
    for name, field in MarginSettings.model_fields.items():
        assert getattr(cfg.margin, name) == field.default, name
    # the backtest section's defaults are MarginSettings' window and refit_every
    assert (cfg.window, cfg.refit_every) == (MarginSettings().window, MarginSettings().refit_every)
    assert BacktestSpec().window == MarginSettings.model_fields["window"].default
    # a value set in the file reaches the settings, the backtest section included
    cfg2 = validate_config(
        {"assets": ["BTC"], "margin": {"mm_ratio": 0.5}, "backtest": {"window": 250}}
    )
    assert cfg2.margin.mm_ratio == 0.5 and cfg2.margin.window == 250
    assert cfg2.margin == MarginSettings(mm_ratio=0.5, window=250)


def test_calibration_receives_the_config_margin_model() -> None:
    # run_asset (the worker side of a run) must hand calibrate_asset the config's own
    # MarginSettings object, not a copy rebuilt with other defaults
    from riskkit.run.orchestrate import AssetTask, run_asset

    cfg = validate_config(
        {"assets": ["BTC"], "margin": {"horizon_days": 2}, "backtest": {"window": 250}}
    )
    received = {}

    def recorder(asset, ohlcv, settings, **kwargs):
        received["settings"] = settings
        return "calibrated"

    outcome = run_asset(
        AssetTask("BTC", pd.DataFrame(), cfg, seed=1, calibrator=recorder, inner_executor=None)
    )
    assert outcome.ok, outcome.error
    assert received["settings"] is cfg.margin
    assert received["settings"].window == 250 and received["settings"].horizon_days == 2.0


def test_margin_settings_alone_report_every_problem() -> None:
    with pytest.raises(ConfigError) as info:
        MarginSettings(level=99, sides="longs", window=10, levle=0.9)
    errs = _problems(info.value)
    assert str(info.value).startswith("invalid MarginSettings (4 problems):")
    assert "level: must be in (0, 1), got 99 (a fraction: did you mean 0.99?)" in errs
    assert "window: must be >= 50, got 10" in errs
    assert "levle: unknown key (did you mean 'level'?)" in errs
    assert any(e.startswith("sides: unknown value 'longs' (did you mean 'long'?)") for e in errs)
    with pytest.raises(ConfigError):
        MarginSettings.model_validate({"apc": "dampener"})
    # a changed copy is checked again
    assert MarginSettings().replace(level=0.995).level == 0.995
    with pytest.raises(ConfigError, match="level: must be in"):
        MarginSettings().replace(level=99)
    # frozen: a setting cannot change after the checks
    with pytest.raises(ValidationError):
        MarginSettings().level = 0.5  # type: ignore[misc]


def test_a_margin_settings_object_in_code_must_agree_with_backtest() -> None:
    settings = MarginSettings(level=0.995, window=250)
    cfg = CalibrationConfig(assets=["BTC"], margin=settings, backtest={"window": 250})
    assert cfg.margin == settings
    with pytest.raises(ConfigError, match=r"margin\.window: set it in the backtest section"):
        CalibrationConfig(assets=["BTC"], margin=settings)  # backtest.window 500 by default


# ---------------------------------------------------------------- JSON Schema


def _as_json(path: Path) -> object:
    # what an editor sees: YAML dates are text
    return json.loads(json.dumps(yaml.safe_load(path.read_text()), default=str))


def test_json_schema_accepts_shipped_configs_and_rejects_unknown_keys(tmp_path: Path) -> None:
    schema_file = tmp_path / "riskkit-config.schema.json"
    assert main(["config-schema", "--out", str(schema_file)]) == 0
    schema = json.loads(schema_file.read_text())
    assert schema == config_json_schema()
    import_jsonschema().Draft202012Validator.check_schema(schema)
    validator = import_jsonschema().Draft202012Validator(schema)
    configs = _calibration_configs()
    assert configs
    for path in configs:
        errors = [e.message for e in validator.iter_errors(_as_json(path))]
        assert not errors, (path.name, errors)
    # the minimal file and a run's full config.yaml are valid too
    assert not list(validator.iter_errors({"assets": ["BTC"], "report": False}))
    full = validate_config({"assets": ["BTC"]}).to_dict()
    assert not list(validator.iter_errors(json.loads(json.dumps(full))))
    # an unknown key, in a section or at the top, a wrong type and a value out of range
    default = _as_json(DEFAULT)
    for bad in (
        {**default, "margin": {**default["margin"], "levle": 0.99}},
        {**default, "extra": 1},
        {**default, "margin": {**default["margin"], "window": 250}},
        {**default, "backtest": {"window": "long"}},
        {**default, "margin": {**default["margin"], "level": 99}},
        {**default, "margin": {**default["margin"], "apc": "dampener"}},
        {key: value for key, value in default.items() if key != "assets"},
    ):
        assert list(validator.iter_errors(bad)), bad


# ---------------------------------------------------------------- read options, bars, episodes


def test_data_section_holds_every_read_option_once() -> None:
    from riskkit.data.options import ReadOptions

    # DataSpec *is* a ReadOptions: the same fields, defaults and checks, not a copy
    assert issubclass(DataSpec, ReadOptions)
    for name, field in ReadOptions.model_fields.items():
        assert DataSpec.model_fields[name].default == field.default, name
        assert DataSpec.model_fields[name].description == field.description, name


def test_column_targets_are_those_python_and_the_cli_accept(tmp_path: Path) -> None:
    # review bug 4: data.columns refused date, close_time and trades, which columns= and
    # --column accept; the targets are checked once, by ReadOptions, which DataSpec inherits
    from riskkit.data.options import COLUMN_TARGETS, ReadOptions

    prices = tmp_path / "btc.csv"
    prices.write_text("startTime,closePrice\n2020-01-01,1\n")
    mapping = {"startTime": "date", "closePrice": "close", "closeTime": "close_time", "n": "trades"}
    data = {"source": "files", "files": {"BTC": str(prices)}, "columns": mapping}
    cfg = validate_config({"assets": ["BTC"], "data": data})
    assert dict(cfg.data.columns) == mapping
    assert dict(ReadOptions(columns=mapping).columns) == mapping
    assert {"date", "close", "close_time", "trades"} <= set(COLUMN_TARGETS)
    # one rule, one message, in Python and in a configuration
    with pytest.raises(ConfigError, match=r"columns.Px: unknown riskkit column 'closed' \(did you"):
        ReadOptions(columns={"Px": "closed"})
    errs = "\n".join(_errors({"assets": ["BTC"], "data": {**data, "columns": {"Px": "closed"}}}))
    assert "data.columns.Px: unknown riskkit column 'closed' (did you mean 'close'?)" in errs
    assert "close_time, trades" in errs


def test_equity_calendar_takes_daily_bars_only(tmp_path: Path, capsys) -> None:
    # review risk 12: hourly bars in a 6.5 h session were annualised with 6.5 bars a day (a
    # 09:30-16:00 session has 7) and the overnight return was taken as a bar: refused instead
    prices = tmp_path / "spy_1h.csv"
    hours = pd.date_range("2024-01-02 14:30", periods=60, freq="1h")
    prices.write_text("date,close\n" + "".join(f"{t:%Y-%m-%d %H:%M},{100 + i}\n" for i, t in
                                                enumerate(hours)))  # fmt: skip
    files = {"source": "files", "files": {"SPY": str(prices)}, "calendar": "equity"}
    errs = "\n".join(_errors({"assets": ["SPY"], "data": {**files, "interval": "1h"}}))
    assert "data.calendar: equity calendar supports daily bars only" in errs
    assert "intraday equity sessions are not modelled (data.interval is '1h')" in errs
    errs = "\n".join(_errors({"assets": ["SPY"], "data": {**files, "resample": "4h"}}))
    assert "(data.resample is '4h')" in errs
    # daily equity bars are fine, also when aggregated from hourly files
    assert validate_config({"assets": ["SPY"], "data": {**files, "resample": "1D"}})
    # an undeclared interval is found in the file by validate-config, before any work
    config = tmp_path / "spy.yaml"
    config.write_text(yaml.safe_dump({"assets": ["SPY"], "data": files}))
    assert main(["validate-config", str(config)]) == 2
    err = capsys.readouterr().err
    assert "data.calendar: spy_1h.csv (SPY) holds 1h bars: equity calendar supports daily" in err


def test_read_options_intervals_and_calendar_are_checked(tmp_path: Path) -> None:
    prices = tmp_path / "btc.csv"
    prices.write_text("date,close\n2020-01-01,1\n")
    files = {"source": "files", "files": {"BTC": str(prices)}}
    cfg = validate_config(
        {
            "assets": ["BTC"],
            "data": {
                **files,
                "unit": "ms",
                "sep": ";",
                "timezone": "Europe/Zurich",
                "day_boundary": "08:00",
                "interval": "1h",
                "partial_bars": "keep",
                "resample": "4h",
                "calendar": "crypto",
            },
        }
    )
    assert (cfg.data.unit, cfg.data.interval, cfg.data.resample) == ("ms", "1h", "4h")
    assert yaml.safe_load(cfg.to_yaml())["data"]["day_boundary"] == "08:00"
    errs = "\n".join(
        _errors(
            {
                "assets": ["BTC"],
                "data": {
                    **files,
                    "interval": "4h",
                    "resample": "6h",
                    "unit": "sec",
                    "timezone": "Mars/Olympus",
                    "calendar": "lunar",
                },
            }
        )
    )
    assert "data.resample: must be a whole multiple of data.interval '4h', got '6h'" in errs
    assert "data.unit: unknown value 'sec'" in errs
    assert "data.timezone: unknown time zone 'Mars/Olympus'" in errs
    assert "data.calendar: unknown value 'lunar'" in errs
    errs = "\n".join(
        _errors({"assets": ["BTC"], "data": {**files, "interval": "7min", "resample": "1M"}})
    )
    assert "data.interval: '7min' does not divide one day" in errs
    assert "data.resample: '1M' is a month, not a fixed interval" in errs
    # read options only apply to files; the bundled data are daily
    errs = "\n".join(_errors({"assets": ["BTC"], "data": {"unit": "ms", "interval": "1h"}}))
    assert "data.unit: only used with data.source: files (source is 'bundled')" in errs
    assert "data.interval: the bundled data are daily (1D), got '1h'" in errs
    # Binance archives of any bar interval; a declared interval must be the archive's
    binance = {"source": "binance", "start": "2024-01-01", "end": "2024-03-31"}
    cfg = validate_config({"assets": ["BTC"], "data": {**binance, "binance": {"interval": "4h"}}})
    assert cfg.data.binance.interval == "4h"
    errs = "\n".join(
        _errors(
            {
                "assets": ["BTC"],
                "data": {**binance, "interval": "1h", "binance": {"interval": "4h"}},
            }
        )
    )
    assert "data.interval: data.binance.interval fetches 4h bars" in errs


def test_backtest_window_is_documented_in_bars() -> None:
    from riskkit.config import BacktestSpec

    assert "counted in bars" in BacktestSpec.model_fields["window"].description
    assert "counted in bars" in BacktestSpec.model_fields["refit_every"].description
    assert "8760" in DataSpec.__doc__ and "horizon_days" in DataSpec.__doc__


def test_stress_episodes_of_the_configuration() -> None:
    cfg = validate_config(
        {
            "assets": ["BTC"],
            "margin": {
                "stress_episodes": [
                    {"name": "desk drill", "start": "2019-06-26", "end": "2019-06-27"}
                ]
            },
        }
    )
    assert cfg.margin.stress_episodes[0].name == "desk drill"
    assert validate_config(yaml.safe_load(cfg.to_yaml())) == cfg
    errs = _errors(
        {
            "assets": ["BTC"],
            "margin": {
                "stress_episodes": [{"name": "x", "start": "2019-06-27", "end": "2019-06-01"}]
            },
        }
    )
    assert errs == ["margin.stress_episodes[0]: end 2019-06-01 is before start 2019-06-27"]


def test_model_backend_reaches_the_garch_spec_and_is_validated() -> None:
    assert ModelSpec().build().spec.backend == "auto"
    assert ModelSpec(backend="arch").build().spec.estimation_backend == "arch"
    assert "fast optimiser" in ModelSpec().describe()
    assert "arch optimiser" in ModelSpec(vol="EGARCH").describe()
    with pytest.raises(ConfigError, match="backend: unknown value 'numba'"):
        ModelSpec(backend="numba")
    with pytest.raises(
        ConfigError, match=r"backend: fast estimates .* got EGARCH\(1,1,1\)-t; use auto"
    ):
        ModelSpec(vol="EGARCH", backend="fast")
