"""Bars of any interval, end to end: hourly and 4-hour calibrations from the command line, a
close-only series, the day/bar/year conversions, and the interval checks made before any work.

The files are built here in the layouts exchanges export (Binance kline archives: 12 columns, no
header and times in milliseconds in older files; a header and microseconds from 2025) from the
synthetic hourly market of :func:`riskkit.data.fixtures.synthetic_hourly_bars` (seeded). Windows
are small (600 hourly bars, 150 4-hour bars) so that each run takes a few seconds.
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml

from riskkit.bars import BarClock, check_interval, infer_interval, parse_interval
from riskkit.cli import EXIT_FAILED, EXIT_OK, EXIT_USAGE, main
from riskkit.data.fixtures import synthetic_hourly_bars
from riskkit.exceptions import ConfigError, DataError, DataQualityWarning
from riskkit.margin import MarginSettings, calibrate_asset
from riskkit.returns import describe_returns, resample_ohlcv
from riskkit.risk import HistoricalSimulation
from riskkit.run import load_run

KLINE_COLUMNS = [
    "open_time",
    "open",
    "high",
    "low",
    "close",
    "volume",
    "close_time",
    "quote_volume",
    "count",
    "taker_buy_volume",
    "taker_buy_quote_volume",
    "ignore",
]


def _kline_file(bars: pd.DataFrame, step: str, path: Path, micro: bool = False) -> Path:
    """Bars written as a Binance kline archive: no header and milliseconds (files before 2025),
    or a header and microseconds (``micro``, files from 2025)."""
    per_second = 1_000_000 if micro else 1_000
    opens = bars.index.as_unit("s").asi8 * per_second
    span = int(pd.Timedelta(step).total_seconds() * per_second)
    table = pd.DataFrame(
        {
            "open_time": opens,
            "open": bars["open"].to_numpy(),
            "high": bars["high"].to_numpy(),
            "low": bars["low"].to_numpy(),
            "close": bars["close"].to_numpy(),
            "volume": bars["volume"].to_numpy(),
            "close_time": opens + span - 1,
            "quote_volume": (bars["volume"] * bars["close"]).to_numpy(),
            "count": 1000,
            "taker_buy_volume": (bars["volume"] / 2).to_numpy(),
            "taker_buy_quote_volume": (bars["volume"] * bars["close"] / 2).to_numpy(),
            "ignore": 0,
        },
        columns=KLINE_COLUMNS,
    )
    table.to_csv(path, index=False, header=micro)
    return path


@pytest.fixture(scope="module")
def hourly() -> pd.DataFrame:
    """1,426 complete hourly bars, 2020-10-01 00:00 to 2020-11-29 09:00 (the partial last bar
    of the fixture is left out)."""
    return synthetic_hourly_bars(seed=3).iloc[:-1]


@pytest.fixture(scope="module")
def files(tmp_path_factory: pytest.TempPathFactory, hourly: pd.DataFrame) -> dict[str, Path]:
    d = tmp_path_factory.mktemp("bars")
    with pytest.warns(DataQualityWarning, match="dropped 1 4h bar"):  # the last, 2 of 4 hours
        four = resample_ohlcv(hourly, "4h", min_bars=4).drop(columns="n_bars")
    close_only = pd.DataFrame(
        {"open_time": hourly.index.as_unit("ms").asi8, "close": hourly["close"].to_numpy()}
    )
    close_only.to_csv(d / "BTCUSDT-1h-close.csv", index=False)
    return {
        "1h": _kline_file(hourly, "1h", d / "BTCUSDT-1h-2020.csv"),
        "4h": _kline_file(four, "4h", d / "BTCUSDT-4h-2020.csv", micro=True),
        "close": d / "BTCUSDT-1h-close.csv",
    }


def _config(tmp: Path, file: Path, window: int, refit: int, **data: object) -> Path:
    tmp.mkdir(parents=True, exist_ok=True)
    path = tmp / "run.yaml"
    mapping = {
        "name": "intraday",
        "data": {"source": "files", "files": {"BTC": str(file)}, **data},
        "assets": ["BTC"],
        "model": {"estimator": "fhs", "vol": "GARCH", "p": 1, "o": 0, "q": 1, "dist": "t"},
        "margin": {"measure": "es", "level": 0.99, "horizon_days": 1, "mm_ratio": 0.5},
        "backtest": {"window": window, "refit_every": refit},
        "output": {"directory": str(tmp / "runs"), "latest": None, "figure_formats": []},
        "run": {"executor": "serial"},
        "report": False,
    }
    path.write_text(yaml.safe_dump(mapping))
    return path


def _calibrate(config: Path, out: Path, *flags: str) -> int:
    return main(["-q", "calibrate", "--config", str(config), "--out", str(out), *flags])


# ---------------------------------------------------------------- calibrations from the CLI


@pytest.fixture(scope="module")
def hourly_run(tmp_path_factory: pytest.TempPathFactory, files) -> tuple[Path, Path, int]:
    """One calibration of the hourly file (window 600, refit 300), shared by the tests that
    check it and compare with it: (config, run directory, exit code)."""
    tmp = tmp_path_factory.mktemp("hourly_run")
    config = _config(tmp, files["1h"], window=600, refit=300)
    out = tmp / "run"
    return config, out, _calibrate(config, out)


def test_calibrate_runs_on_hourly_bars(hourly_run, capsys) -> None:
    config, out, code = hourly_run
    assert main(["validate-config", str(config)]) == EXIT_OK
    assert "1h (inferred from the files) bars" in capsys.readouterr().out
    assert code == EXIT_OK
    params = json.loads((out / "margin_parameters.json").read_text())
    btc = params["assets"]["BTC"]
    assert btc["data"]["bar_interval"] == "1h"
    assert btc["data"]["periods_per_year"] == 365 * 24
    assert btc["as_of"] == "2020-11-29T09:00Z"  # the last hourly forecast, not a day
    assert btc["tiers"] and btc["insurance_fund_fraction"] is not None
    assert "not_computed" not in btc
    # the run record says what window, refit and horizon mean in bars
    bars = json.loads((out / "run.json").read_text())["assets"]["BTC"]["bars"]
    assert bars["window_bars"] == 600 and bars["refit_every_bars"] == 300
    assert bars["horizon_days"] == 1 and bars["horizon_bars"] == 24
    assert bars["window_span"] == str(pd.Timedelta(hours=600))
    log = (out / "calibration.log").read_text()
    assert "1h bars; window 600 bars (25 days), refit every 300 bars" in log
    assert main(["check-params", str(out / "margin_parameters.json")]) == EXIT_OK
    # the sign-off's traffic light counts one-hour forecasts, and says so
    checks = list(load_run(out).signoff_checks()["check"])
    assert "1-bar (1h) VaR in the green zone (last 250 forecasts, both sides)" in checks
    assert not any(c.startswith("1-day VaR") for c in checks)


def test_calibrate_runs_on_4h_bars_and_on_hourly_bars_resampled_to_4h(
    tmp_path: Path, files, capsys
) -> None:
    direct = _config(tmp_path, files["4h"], window=150, refit=100, interval="4h")
    assert _calibrate(direct, tmp_path / "direct") == EXIT_OK, capsys.readouterr().err
    # the same 4-hour bars built by the run from the hourly file, with --resample
    hourly = _config(tmp_path, files["1h"], window=150, refit=100)
    assert _calibrate(hourly, tmp_path / "resampled", "--resample", "4h") == EXIT_OK
    a, b = (
        json.loads((tmp_path / d / "margin_parameters.json").read_text())["assets"]["BTC"]
        for d in ("direct", "resampled")
    )
    assert a["data"]["bar_interval"] == b["data"]["bar_interval"] == "4h"
    assert a["data"]["periods_per_year"] == 365 * 6
    for key in ("im_rate", "mm_rate", "raw_im_rate", "volatility_daily", "as_of", "tiers"):
        assert a[key] == b[key], key
    # the partial 4-hour bar at the end of the hourly file was dropped and reported
    quality = pd.read_csv(tmp_path / "resampled" / "data_quality.csv")
    assert quality.loc[0, "bar_interval"] == "4h"
    assert quality.loc[0, "rows_changed_by_cleaning"] == 1


def test_close_only_file_calibrates_with_the_rest_not_computed(
    tmp_path: Path, files, hourly_run, capsys
) -> None:
    config = _config(tmp_path, files["close"], window=600, refit=300, unit="ms")
    out = tmp_path / "run"
    assert _calibrate(config, out) == EXIT_OK, capsys.readouterr().err
    btc = json.loads((out / "margin_parameters.json").read_text())["assets"]["BTC"]
    assert btc["tiers"] is None and btc["adv_usd"] is None
    assert btc["insurance_fund_fraction"] is None
    assert set(btc["not_computed"]) == {"tiers", "adv_usd", "insurance_fund_fraction"}
    assert "volume" in btc["not_computed"]["tiers"]
    assert "open, high and low" in btc["not_computed"]["insurance_fund_fraction"]
    # what a close price allows is computed, and agrees with the calibration on full bars
    # (the same window and refit: the shared hourly run)
    _, full_out, full_code = hourly_run
    assert full_code == EXIT_OK
    full = json.loads((full_out / "margin_parameters.json").read_text())
    for key in ("im_rate", "mm_rate", "collateral_haircut", "liquidation_penalty", "as_of"):
        assert btc[key] == full["assets"]["BTC"][key], key
    # the parameter file is valid against its (versioned) schema, nulls included
    assert main(["check-params", str(out / "margin_parameters.json")]) == EXIT_OK
    table = pd.read_csv(out / "tables" / "BTC" / "not_computed.csv")
    assert set(table["output"]) == set(btc["not_computed"])
    assert (table["value"] == "not computed").all()
    assert not (out / "tables" / "BTC" / "tiers.csv").exists()
    log = (out / "calibration.log").read_text()
    assert "BTC: tiers not computed: needs a volume column" in log
    record = load_run(out)
    assert record.not_computed()["output"].tolist() == list(btc["not_computed"])
    assert pd.isna(record.parameter_table().loc["BTC", "tiers"])


# ---------------------------------------------------------------- interval checks


def test_validate_config_rejects_a_declared_interval_mismatch_before_any_work(
    tmp_path: Path, hourly: pd.DataFrame, capsys
) -> None:
    # 6,000 hourly bars whose rows after the 5,000 read by validate-config are not even dates:
    # the mismatch is found from the first rows, without reading the whole file
    long = synthetic_hourly_bars(start="2020-01-01", end="2020-09-07 00:00", seed=5).iloc[:-1]
    path = _kline_file(long, "1h", tmp_path / "BTCUSDT-1h-long.csv")
    lines = path.read_text().splitlines()
    assert len(lines) > 5100
    lines[5100] = "garbage," + lines[5100]
    path.write_text("\n".join(lines) + "\n")
    config = _config(tmp_path, path, window=600, refit=300, interval="1D")
    assert main(["validate-config", str(config)]) == EXIT_USAGE
    err = capsys.readouterr().err
    assert "data.files.BTC: BTCUSDT-1h-long.csv: bars are 1h apart but data.interval is 1D" in err
    assert "set data.interval: 1h" in err and "data.resample: 1D" in err
    # calibrate stops before any work: no run directory, nothing under output.directory
    assert main(["calibrate", "--config", str(config)]) == EXIT_USAGE
    assert "bars are 1h apart" in capsys.readouterr().err
    assert not (tmp_path / "runs").exists()
    # the same declaration as a flag is named as the flag
    ok = _config(tmp_path, path, window=600, refit=300)
    assert main(["calibrate", "--config", str(ok), "--interval", "4h"]) == EXIT_USAGE
    err = capsys.readouterr().err
    assert "but --interval is 4h; set --interval 1h" in err and "--resample 4h" in err
    assert not (tmp_path / "runs").exists()


def test_validate_data_rejects_a_declared_interval_mismatch(files, capsys) -> None:
    assert main(["validate-data", str(files["4h"])]) == EXIT_OK
    assert "4h bars (inferred)" in capsys.readouterr().out
    assert main(["validate-data", str(files["4h"]), "--interval", "1D"]) == EXIT_FAILED
    err = capsys.readouterr().err
    assert "bars are 4h apart but --interval is 1D; set --interval 4h" in err
    assert main(["validate-data", str(files["1h"]), "--resample", "4h"]) == EXIT_OK
    out = capsys.readouterr().out
    # 1,426 hourly bars from 00:00: 356 complete 4-hour bars and the last one (2 of 4) dropped
    assert "resampled to 4h: 356 bars" in out and "1 incomplete bar(s) dropped" in out
    assert "2020-11-29 08:00:00: incomplete 4h bar: 2 of 4 1h bars" in out


def test_check_interval_tolerates_jitter_and_names_the_options() -> None:
    idx = pd.date_range("2024-01-01", periods=50, freq="8h")
    jitter = idx + pd.to_timedelta(np.tile([0, 1, 3], 17)[:50], unit="ms")
    assert infer_interval(jitter) == pd.Timedelta("8h")
    assert check_interval(jitter, pd.Timedelta("8h"), "f.csv") == pd.Timedelta("8h")
    with pytest.raises(DataError, match=r"f.csv: bars are 8h apart but data.interval is 1h"):
        check_interval(idx, pd.Timedelta("1h"), "f.csv", option="data.interval")


@pytest.mark.parametrize(
    ("text", "step"),
    [("1m", "1min"), ("15min", "15min"), ("1h", "1h"), ("4H", "4h"), ("1d", "1D")],
)
def test_parse_interval_reads_exchange_and_pandas_spellings(text: str, step: str) -> None:
    assert parse_interval(text) == pd.Timedelta(step)


@pytest.mark.parametrize(
    ("text", "why"),
    [("7min", "does not divide one day"), ("2D", "not between 1min and 1D"), ("1M", "month")],
)
def test_parse_interval_refuses_what_cannot_be_bars(text: str, why: str) -> None:
    with pytest.raises(ConfigError, match=why):
        parse_interval(text, "--interval")


# ---------------------------------------------------------------- days, bars and years


def test_hourly_annualisation_uses_365_times_24() -> None:
    clock = BarClock("1h")
    assert clock.bars_per_day == 24 and clock.periods_per_year == 365 * 24
    assert BarClock("4h").periods_per_year == 365 * 6
    assert BarClock("1D").periods_per_year == 365
    assert BarClock("1D", "equity").periods_per_year == 252
    # intraday equity sessions (NYSE 09:30-16:00: 6.5 hourly bars, an overnight return that is
    # neither a bar nor a gap) are not modelled: refused, not annualised wrongly (review risk 12)
    for interval in ("30min", "1h", "4h"):
        with pytest.raises(ConfigError, match="equity calendar supports daily bars only"):
            BarClock(interval, "equity")
    # the square-root rule: an hourly volatility of 1% is 0.01 * sqrt(8760) a year
    assert clock.annualize(0.01) == pytest.approx(0.01 * math.sqrt(8760), rel=1e-15)
    rng = np.random.default_rng(1)
    r = pd.Series(0.004 * rng.standard_normal(2000))
    table = describe_returns(r, clock.periods_per_year)
    assert table["ann_vol"].iloc[0] == pytest.approx(r.std() * math.sqrt(8760), rel=1e-12)


def test_daily_clock_is_the_identity() -> None:
    daily = BarClock()
    for x in (0.5, 1.0, 2.0, 1 / 24):
        assert daily.bars(x) == x and daily.to_daily(x) == x
    assert daily.per_bar_rate(0.05) == 0.05 and daily.per_bar_decrease(0.1) == 0.1
    hourly = BarClock("1h")
    assert hourly.bars(2) == 48 and hourly.whole_bars(5) == 120
    # a rebuild of 5% a day is the hourly rate that compounds to 5% over 24 bars
    assert (1 + hourly.per_bar_rate(0.05)) ** 24 == pytest.approx(1.05, rel=1e-14)
    assert (1 - hourly.per_bar_decrease(0.1)) ** 24 == pytest.approx(0.9, rel=1e-14)


def test_hourly_margin_scales_the_one_bar_measure_over_24_bars(hourly: pd.DataFrame) -> None:
    settings = MarginSettings(
        window=300, refit_every=200, horizon_days=1, apc="none", horizon_method="sqrt"
    )
    cal = calibrate_asset("BTC", hourly, settings, estimator=HistoricalSimulation(), seed=1)
    assert cal.info["clock"]["bar_interval"] == "1h" and cal.info["horizon_bars"] == 24
    mp = cal.margin_path
    # the rate over the margin period of risk is the 1-bar measure scaled by sqrt(24 bars):
    # long side 1 - exp(-x sqrt(h)), short side exp(y sqrt(h)) - 1, the larger of the two
    expected = np.maximum(
        -np.expm1(-mp["long_x1"] * math.sqrt(24)), np.expm1(mp["short_x1"] * math.sqrt(24))
    )
    np.testing.assert_allclose(mp["raw_im"], expected, rtol=1e-12)
    # coverage is measured over 24 whole bars, the published daily volatility is sqrt(24) x
    assert cal.info["coverage_horizon_bars"] == 24
    assert cal.parameters["volatility_daily"] == pytest.approx(
        cal.info["sigma_bar"] * math.sqrt(24), rel=1e-14
    )
    # the worst windows are named in bars
    assert cal.stress["scenario"].str.contains(r"worst 24-bar \(1h\) window from").any()
