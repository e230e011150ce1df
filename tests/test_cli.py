"""riskkit.cli: help texts, exit codes, and each command on small inputs (run in-process)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml

from riskkit.cli import EXIT_FAILED, EXIT_OK, EXIT_USAGE, build_parser, main
from riskkit.datasets import load_ohlcv

ROOT = Path(__file__).resolve().parent.parent
COMMANDS = [
    "calibrate",
    "validate-config",
    "config-schema",
    "validate-data",
    "compare-feeds",
    "check-params",
    "download",
    "datasets",
    "report",
    "detect-anomalies",
    "challengers",
]


def test_top_level_help_lists_every_command(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--help"]) == EXIT_OK
    out = capsys.readouterr().out
    for command in COMMANDS:
        assert command in out
    assert "Exit codes" in out
    subparsers = build_parser()._subparsers._group_actions[0].choices  # type: ignore[union-attr]
    assert sorted(subparsers) == sorted(COMMANDS)


@pytest.mark.parametrize("command", COMMANDS)
def test_every_command_has_help(command: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert main([command, "--help"]) == EXIT_OK
    out = capsys.readouterr().out
    assert out.startswith(f"usage: riskkit {command}")
    assert len(out.splitlines()) >= 5  # a description and options, not just a usage line


def test_usage_errors_exit_2(capsys: pytest.CaptureFixture[str]) -> None:
    assert main([]) == EXIT_USAGE  # no command: help, exit 2
    assert main(["calibrate"]) == EXIT_USAGE  # --config is required
    assert "the following arguments are required: --config" in capsys.readouterr().err
    assert main(["frobnicate"]) == EXIT_USAGE
    assert main(["--version"]) == EXIT_OK


def test_validate_config(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["validate-config", str(ROOT / "configs" / "default.yaml")]) == EXIT_OK
    assert "OK (3 asset(s): BTC, ETH, LTC" in capsys.readouterr().out
    bad = tmp_path / "bad.yaml"
    bad.write_text(yaml.safe_dump({"assets": ["BTC"], "margin": {"levle": 0.99, "level": 2}}))
    assert main(["validate-config", str(bad)]) == EXIT_USAGE
    err = capsys.readouterr().err
    assert "2 problems" in err
    assert "margin.levle: unknown key (did you mean 'level'?)" in err
    assert main(["validate-config", str(tmp_path / "missing.yaml")]) == EXIT_USAGE


def test_validate_config_refuses_a_file_calibrate_cannot_read(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # review bug 3: the read error used to be swallowed and the file printed as "OK (1D bars)"
    frame = load_ohlcv("BTC", "bitstamp", start="2020-06-01", end="2020-06-30")
    path = tmp_path / "btc_mid.csv"
    frame.rename(columns={"close": "Mid"}).reset_index().to_csv(path, index=False)
    config = tmp_path / "run.yaml"
    config.write_text(
        yaml.safe_dump(
            {"data": {"source": "files", "files": {"BTC": str(path)}}, "assets": ["BTC"]}
        )
    )
    assert main(["validate-config", str(config)]) == EXIT_USAGE
    captured = capsys.readouterr()
    assert "OK" not in captured.out and "1D bars" not in captured.out
    # the asset, the file and the option to change are named
    assert "data.files.BTC: " in captured.err and "btc_mid.csv" in captured.err
    assert "data.columns" in captured.err and "Traceback" not in captured.err
    # mapped as the message says, the same configuration is OK, with the interval inferred
    config.write_text(
        yaml.safe_dump(
            {
                "data": {
                    "source": "files",
                    "files": {"BTC": str(path)},
                    "columns": {"Mid": "close"},
                },
                "assets": ["BTC"],
            }
        )
    )
    assert main(["validate-config", str(config)]) == EXIT_OK
    assert "1D (inferred from the files) bars" in capsys.readouterr().out


def test_validate_data(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    frame = load_ohlcv("ETH", "bitstamp", start="2020-06-01", end="2020-06-30")
    good = tmp_path / "eth.csv"
    frame.reset_index().to_csv(good, index=False)
    assert main(["validate-data", str(good)]) == EXIT_OK
    assert "no defects" in capsys.readouterr().out
    broken = frame.copy()
    broken.iloc[10, broken.columns.get_loc("close")] = -1.0  # a negative price: an error
    bad = tmp_path / "bad.csv"
    broken.reset_index().rename(columns={"close": "Last"}).to_csv(bad, index=False)
    report = tmp_path / "defects.csv"
    code = main(["validate-data", str(bad), "--column", "Last=close", "--csv", str(report)])
    assert code == EXIT_FAILED
    out = capsys.readouterr().out
    assert "non_positive_price" in out and "2020-06-11" in out
    assert "non_positive_price" in report.read_text()
    assert main(["validate-data", str(bad), "--column", "Last"]) == EXIT_USAGE
    assert main(["validate-data", str(tmp_path / "none.csv")]) == EXIT_FAILED


def test_datasets_lists_the_bundle(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["datasets"]) == EXIT_OK
    out = capsys.readouterr().out
    assert "bitstamp" in out and "BTC" in out


def test_calibrate_and_check_params(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    prices = tmp_path / "btc.csv"
    load_ohlcv("BTC", "bitstamp", start="2020-01-10").reset_index().to_csv(prices, index=False)
    tiny = tmp_path / "tiny.csv"
    load_ohlcv("BTC", "bitstamp", start="2020-01-10").iloc[:40].reset_index().to_csv(tiny)
    config = tmp_path / "run.yaml"
    config.write_text(
        yaml.safe_dump(
            {
                "data": {"source": "files", "files": {"BTC": str(prices), "TINY": str(tiny)}},
                "assets": ["BTC", "TINY"],
                "backtest": {"window": 120, "refit_every": 100},
                "output": {
                    "directory": str(tmp_path / "runs"),
                    "latest": None,
                    "figure_formats": [],
                },
                "report": False,
            }
        )
    )
    out_dir = tmp_path / "run"
    args = ["-q", "calibrate", "--config", str(config), "--executor", "serial", "--out"]
    # one asset fails: partial results are written and the exit code says so
    assert main([*args, str(out_dir)]) == EXIT_FAILED
    out = capsys.readouterr().out
    assert "assets calibrated: BTC" in out and "FAILED TINY: calibrate: DataError" in out
    params = out_dir / "margin_parameters.json"
    assert main(["check-params", str(params)]) == EXIT_OK
    out = capsys.readouterr().out
    assert "valid margin parameter file (1 asset(s))" in out
    # the headline rates, as written in the file
    btc = json.loads(params.read_text())["assets"]["BTC"]
    assert f"BTC: im_rate={btc['im_rate']!r}, mm_rate={btc['mm_rate']!r}," in out
    # every asset succeeding: exit 0
    assert main([*args, str(tmp_path / "run2"), "--assets", "BTC"]) == EXIT_OK
    capsys.readouterr()
    # a parameter file that breaks a rule the schema states (mm above im) is rejected
    data = json.loads(params.read_text())
    data["assets"]["BTC"]["mm_rate"] = data["assets"]["BTC"]["im_rate"] + 0.01
    broken = tmp_path / "broken.json"
    broken.write_text(json.dumps(data))
    assert main(["check-params", str(broken)]) == EXIT_FAILED
    assert "mm_rate" in capsys.readouterr().err
    # a bad override is a configuration error, reported before any work
    assert main(["calibrate", "--config", str(config), "--executor", "gpu"]) == EXIT_USAGE
    assert "run.executor: unknown executor 'gpu'" in capsys.readouterr().err


def test_calibrate_exits_0_and_ends_with_the_signoff_verdict(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # every asset calibrated and the parameter file written: exit 0 even when sign-off checks
    # fail (the checklist is the committee's verdict, not a crash); the last lines say how many
    # failed and where to read them
    from riskkit.run import load_run

    prices = tmp_path / "btc.csv"
    load_ohlcv("BTC", "bitstamp", start="2020-01-10").reset_index().to_csv(prices, index=False)
    config = tmp_path / "run.yaml"
    config.write_text(
        yaml.safe_dump(
            {
                "data": {"source": "files", "files": {"BTC": str(prices)}},
                "assets": ["BTC"],
                "backtest": {"window": 120, "refit_every": 100},
                "output": {"directory": str(tmp_path / "runs"), "latest": None},
                "report": False,
            }
        )
    )
    out_dir = tmp_path / "run"
    args = ["-q", "calibrate", "--config", str(config), "--executor", "serial", "--out"]
    assert main([*args, str(out_dir), "--no-report"]) == EXIT_OK
    lines = capsys.readouterr().out.strip().splitlines()
    assert (out_dir / "margin_parameters.json").is_file()
    # the verdict read back from the run directory, independently of the command's output
    checks = load_run(out_dir).signoff_checks()
    failed = checks.loc[~checks["passed"], "check"].tolist()
    assert failed, "this run is expected to fail the stress-shortfall check (IM below stress)"
    assert lines[-2] == f"sign-off: {len(failed)} of {len(checks)} checks FAILED: " + "; ".join(
        failed
    )
    assert lines[-1] == f"read the checks and their evidence in {out_dir / 'signoff_checks.csv'}"
    written = pd.read_csv(out_dir / "signoff_checks.csv")
    assert written["check"].tolist() == checks["check"].tolist()
    assert written["passed"].tolist() == checks["passed"].tolist()


def test_python_dash_m_riskkit_help() -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "riskkit", "--help"],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.startswith("usage: riskkit")


def test_report_needs_a_run_directory(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["report", str(tmp_path)]) == EXIT_FAILED
    assert f"{tmp_path} is not a calibration run directory (no run.json)" in capsys.readouterr().err


# ---------------------------------------------------------------- read options as flags


def test_every_read_option_is_a_flag_and_a_config_key(capsys: pytest.CaptureFixture[str]) -> None:
    from riskkit.config import DataSpec
    from riskkit.data.options import ReadOptions

    for command in ("validate-data", "calibrate"):
        assert main([command, "--help"]) == EXIT_OK
        text = " ".join(capsys.readouterr().out.split())
        for name, field in ReadOptions.model_fields.items():
            flag = ReadOptions.option_name(name, "cli")
            assert f"{flag} " in text, (command, flag)
            # the help is the field's docstring, so flag and config key cannot drift apart
            first = " ".join(field.description.split())[:40]
            assert first in text and f"[data.{name}]" in text, (command, name)
            assert name in DataSpec.model_fields  # data.<name> is a configuration key
        assert "--resample" in text and "[data.resample]" in text
    assert main(["calibrate", "--help"]) == EXIT_OK
    assert "--calendar {crypto,equity}" in capsys.readouterr().out


def _semicolon_file(tmp_path: Path) -> Path:
    """Hourly bars with ';' separators and epoch milliseconds in a column named 'time'."""
    frame = load_ohlcv("BTC", "bitstamp", start="2019-01-01", end="2020-06-30")
    idx = pd.date_range("2020-06-01", periods=len(frame), freq="1h")
    out = frame.reset_index(drop=True)
    out.insert(0, "time", idx.as_unit("ms").asi8)
    path = tmp_path / "btc_1h.txt"
    out.to_csv(path, sep=";", index=False)
    return path


def test_validate_data_takes_the_read_options_as_flags(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = _semicolon_file(tmp_path)
    args = ["validate-data", str(path), "--sep", ";", "--unit", "ms", "--interval", "1h"]
    assert main([*args, "--partial-bars", "keep", "--day-boundary", "00:00"]) == EXIT_OK
    assert "1h bars (declared)" in capsys.readouterr().out
    # local times of Zurich (UTC+1 in winter) are converted to UTC
    zurich = tmp_path / "zurich.csv"
    local = pd.date_range("2021-01-04 01:00", periods=48, freq="1h")
    pd.DataFrame({"date": local.strftime("%Y-%m-%d %H:%M"), "close": 100.0 + np.arange(48)}).to_csv(
        zurich, index=False
    )
    assert main(["validate-data", str(zurich), "--timezone", "Europe/Zurich"]) == EXIT_OK
    assert "1h bars (inferred)" in capsys.readouterr().out


@pytest.mark.parametrize(
    ("flags", "expected"),
    [
        (["--freq", "1x"], "--freq 1x: cannot read '1x' as a bar interval"),
        (["--interval", "7min"], "--interval 7min: does not divide one day"),
        (["--resample", "3y"], "--resample 3y: cannot read '3y' as a bar interval"),
        (["--unit", "sec0"], "--unit sec0: unknown value 'sec0'"),
        (["--timezone", "Mars/Olympus"], "--timezone Mars/Olympus: unknown time zone"),
        (["--day-boundary", "25:00"], "--day-boundary 25:00: expected a UTC time HH:MM"),
        (["--column", "Last"], "--column expects FILECOL=NAME (e.g. Last=close), got 'Last'"),
        (["--freq", "1h", "--interval", "4h"], "--freq 1h and --interval 4h disagree"),
    ],
)
def test_bad_flag_values_name_the_flag_without_a_traceback(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], flags: list[str], expected: str
) -> None:
    path = _semicolon_file(tmp_path)
    assert main(["validate-data", str(path), "--sep", ";", *flags]) == EXIT_USAGE
    err = capsys.readouterr().err
    assert expected in err and "Traceback" not in err


def test_a_wrong_sep_is_named_with_the_separator_the_header_holds(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # review style 24: a wrong --sep used to give only "no close column; columns are ['...']"
    path = _semicolon_file(tmp_path)
    header = path.read_text().splitlines()[0]
    n = header.count(";")
    assert main(["validate-data", str(path), "--sep", ","]) == EXIT_FAILED
    err = capsys.readouterr().err
    assert f"the file's header line has 0 ',' and {n} ';', read as one column: try --sep ';'" in (
        err.replace("The file", "the file")
    )
    assert "Traceback" not in err
    # the flag as the message spells it (quoted for a shell) is the one that works
    assert main(["validate-data", str(path), "--sep", ";", "--unit", "ms"]) == EXIT_OK


def test_messages_give_cli_users_flags_not_python(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    frame = load_ohlcv("ETH", "bitstamp", start="2020-06-01", end="2020-06-30")
    path = tmp_path / "eth.csv"
    frame.rename(columns={"close": "Px"}).reset_index().to_csv(path, index=False)
    assert main(["validate-data", str(path)]) == EXIT_FAILED
    err = capsys.readouterr().err
    assert "--column <your column>=close" in err and "columns={" not in err
    assert main(["validate-data", str(path), "--columns", "Px=close"]) == EXIT_OK
    assert main(["validate-data", str(path), "--column", "Mid=close"]) == EXIT_FAILED
    err = capsys.readouterr().err
    assert "mapped column(s) ['Mid'] not found (--column)" in err and "Traceback" not in err


def test_calibrate_flags_override_the_data_section(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = _semicolon_file(tmp_path)
    config = tmp_path / "run.yaml"
    config.write_text(
        yaml.safe_dump(
            {
                "data": {"source": "files", "files": {"BTC": str(path)}},
                "assets": ["BTC"],
                "backtest": {"window": 300, "refit_every": 200},
                "output": {"directory": str(tmp_path / "runs"), "latest": None},
                "report": False,
            }
        )
    )
    # the configuration alone cannot read the file (';' separators)
    assert main(["validate-config", str(config)]) == EXIT_OK
    out = tmp_path / "run"
    base = ["-q", "calibrate", "--config", str(config), "--executor", "serial"]
    flags = ["--sep", ";", "--unit", "ms", "--interval", "1h", "--partial-bars", "keep"]
    assert main([*base, "--out", str(out), *flags]) == EXIT_OK, capsys.readouterr().err
    written = yaml.safe_load((out / "config.yaml").read_text())["data"]
    assert (written["sep"], written["unit"], written["interval"]) == (";", "ms", "1h")
    params = json.loads((out / "margin_parameters.json").read_text())["assets"]["BTC"]
    assert params["data"]["bar_interval"] == "1h"
    # a flag the data source cannot use is named as the flag
    bundled = tmp_path / "bundled.yaml"
    bundled.write_text(yaml.safe_dump({"assets": ["BTC"]}))
    assert main(["calibrate", "--config", str(bundled), "--unit", "ms"]) == EXIT_USAGE
    assert "--unit (data.unit): only used with data.source: files" in capsys.readouterr().err
    assert main(["calibrate", "--config", str(config), "--resample", "5x"]) == EXIT_USAGE
    assert "--resample 5x: cannot read '5x'" in capsys.readouterr().err


# ---------------------------------------------------------------- no data loss


def test_validate_data_never_overwrites_its_input(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    frame = load_ohlcv("ETH", "bitstamp", start="2020-06-01", end="2020-06-30")
    data = tmp_path / "eth.csv"
    frame.reset_index().to_csv(data, index=False)
    before = data.read_bytes()
    link = tmp_path / "link.csv"
    link.symlink_to(data)
    hard = tmp_path / "hard.csv"
    os.link(data, hard)
    monkeypatch.chdir(tmp_path)
    for file, out in [
        (str(data), str(data)),  # the same path
        (str(data), "eth.csv"),  # relative
        (str(data), "./eth.csv"),
        (str(data), str(link)),  # through a symbolic link
        (str(link), str(data)),
        (str(data), str(hard)),  # a hard link
    ]:
        assert main(["validate-data", file, "--csv", out]) == EXIT_USAGE, (file, out)
        err = capsys.readouterr().err
        assert f"--csv {out}: that is an input file; it would be overwritten" in err
    assert data.read_bytes() == before
    # an output that cannot be written is refused before any work, naming the flag
    missing = "/nonexistent/dir/x.csv"
    assert main(["validate-data", str(data), "--csv", missing]) == EXIT_USAGE
    assert f"--csv {missing}: directory /nonexistent/dir does not exist" in capsys.readouterr().err
    assert main(["validate-data", str(data), "--csv", str(tmp_path)]) == EXIT_USAGE
    assert "is a directory" in capsys.readouterr().err


def test_calibrate_never_writes_into_an_existing_run(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = tmp_path / "run.yaml"
    config.write_text(yaml.safe_dump({"assets": ["BTC"], "report": False}))
    run = tmp_path / "old_run"
    run.mkdir()
    (run / "run.json").write_text("{}")
    (run / "margin_parameters.json").write_text('{"published": true}')
    assert main(["calibrate", "--config", str(config), "--out", str(run)]) == EXIT_USAGE
    err = capsys.readouterr().err
    assert f"--out {run}: already holds a calibration run; a run never overwrites one" in err
    assert (run / "margin_parameters.json").read_text() == '{"published": true}'
    other = tmp_path / "notes"
    other.mkdir()
    (other / "todo.txt").write_text("x")
    assert main(["calibrate", "--config", str(config), "--out", str(other)]) == EXIT_USAGE
    assert "already holds a non-empty directory" in capsys.readouterr().err
    # a directory that cannot be created (its parent is a file; /proc on Linux)
    blocked = tmp_path / "a_file" / "run"
    (tmp_path / "a_file").write_text("")
    for out in [str(blocked)] + (["/proc/x"] if Path("/proc").is_dir() else []):
        assert main(["calibrate", "--config", str(config), "--out", out]) == EXIT_USAGE
        err = capsys.readouterr().err
        assert f"--out {out}: cannot create the run directory" in err and "Traceback" not in err
    # the Python API refuses it too, before anything is written
    from riskkit.config import load_config
    from riskkit.exceptions import ConfigError
    from riskkit.run import run_calibration

    with pytest.raises(ConfigError, match="already holds a calibration run"):
        run_calibration(load_config(config), out_dir=run)
    assert sorted(p.name for p in run.iterdir()) == ["margin_parameters.json", "run.json"]


def test_other_outputs_name_their_flag(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["config-schema", "--out", "/nonexistent/dir/schema.json"]) == EXIT_USAGE
    assert "--out /nonexistent/dir/schema.json: directory" in capsys.readouterr().err
