"""riskkit.cli: help texts, exit codes, and each command on small inputs (run in-process)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from riskkit.cli import EXIT_FAILED, EXIT_OK, EXIT_USAGE, build_parser, main
from riskkit.datasets import load_ohlcv

ROOT = Path(__file__).resolve().parent.parent
COMMANDS = [
    "calibrate",
    "validate-config",
    "validate-data",
    "check-params",
    "download",
    "datasets",
    "report",
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
    im = json.loads(params.read_text())["assets"]["BTC"]["im_rate"]
    assert f"BTC: im_rate={im:.4g}, mm_rate=" in out
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
