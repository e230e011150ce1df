"""riskkit.data readers on layouts found in review: Parquet datetimes, quoted numbers, comma
decimals, camelCase columns, mixed offsets, partial bars of copied files, quiet minute bars.

Each test builds its file from values it chose, so the truth is known: a timestamp written as
local midnight in Europe/Zurich in winter is 23:00 UTC the day before (UTC+1, IANA tz
database); a Binance kline's ``close_time`` is ``open_time + interval - 1 ms``.
"""

from __future__ import annotations

import os
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from riskkit import data as rd
from riskkit.bars import check_interval, parse_interval
from riskkit.cli import main
from riskkit.data import options as read_options
from riskkit.exceptions import ConfigError, DataError, DataQualityWarning


def _bars(n: int, freq: str, end: pd.Timestamp, seed: int = 0) -> pd.DataFrame:
    """n consistent bars ending ``end`` (the last bar's opening time)."""
    rng = np.random.default_rng(seed)
    close = 100 * np.exp(np.cumsum(rng.normal(0, 0.002, n)))
    open_ = np.r_[100.0, close[:-1]]
    return pd.DataFrame(
        {
            "open": open_,
            "high": np.maximum(open_, close) * 1.001,
            "low": np.minimum(open_, close) * 0.999,
            "close": close,
            "volume": rng.uniform(80, 120, n),
        },
        index=pd.date_range(end=end, periods=n, freq=freq, name="date"),
    )


def _touch(path: Path, when: pd.Timestamp) -> None:
    os.utime(path, (when.timestamp(), when.timestamp()))


# ------------------------------------------------------------------------------ Parquet datetimes
def test_parquet_naive_datetimes_follow_timezone_like_csv(tmp_path) -> None:
    frame = _bars(30, "1D", pd.Timestamp("2024-01-30"))
    frame.index = frame.index.rename("date")
    pq = tmp_path / "local.parquet"
    frame.reset_index().to_parquet(pq)
    csv = tmp_path / "local.csv"
    frame.reset_index().to_csv(csv, index=False)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DataQualityWarning)
        a = rd.read_prices(pq, timezone="Europe/Zurich")
        b = rd.read_prices(csv, timezone="Europe/Zurich")
    assert a.index[0] == pd.Timestamp("2023-12-31 23:00")  # midnight CET = 23:00 UTC
    assert a.index.equals(b.index)


def test_parquet_tz_aware_datetimes_warn_about_the_day_boundary(tmp_path) -> None:
    frame = _bars(30, "1D", pd.Timestamp("2024-01-30"))
    aware = frame.reset_index()
    aware["date"] = aware["date"].dt.tz_localize("Europe/Zurich")
    path = tmp_path / "aware.parquet"
    aware.to_parquet(path)
    with pytest.warns(DataQualityWarning, match=r"converted to UTC.*day_boundary='23:00'"):
        got = rd.read_prices(path)
    assert got.index[0] == pd.Timestamp("2023-12-31 23:00")


# --------------------------------------------------------------------------- partial last bars
def _kline_csv(frame: pd.DataFrame, step: pd.Timedelta) -> str:
    open_ms = frame.index.as_unit("ms").asi8
    close_ms = open_ms + step.value // 1_000_000 - 1  # Binance: open + interval - 1 ms
    rows = [
        f"{o},{r.open},{r.high},{r.low},{r.close},{r.volume},{c},1,1000,1,1,0"
        for o, c, r in zip(open_ms, close_ms, frame.itertuples(), strict=True)
    ]
    return ",".join(rd.KLINE_COLUMNS) + "\n" + "\n".join(rows) + "\n"


def test_partial_binance_bar_of_a_copied_file_is_found_by_its_volume(tmp_path) -> None:
    # the file was copied later: its mtime is after every close_time, so time says nothing;
    # the last bar holds 1.5% of the median volume, below each of the 20 bars before it
    end = pd.Timestamp.now().floor("h") - pd.Timedelta("30D")
    frame = _bars(100, "1h", end)
    frame.iloc[-1, frame.columns.get_loc("volume")] = 1.5
    path = tmp_path / "BTCUSDT-1h.csv"
    path.write_text(_kline_csv(frame, pd.Timedelta("1h")))
    _touch(path, pd.Timestamp.now())
    with pytest.warns(DataQualityWarning, match=r"last bar .* is partial.*below each of them"):
        got = rd.read_prices(path, interval="1h")
    assert got.index[-1] == frame.index[-2]


def test_quiet_but_complete_minute_bars_are_kept(tmp_path) -> None:
    # minute volumes are dispersed: a quiet stretch holds several bars far below the median.
    # The last bar is at 5% of the median but another of the 20 bars before it is at 3%.
    end = pd.Timestamp("2024-03-01 03:59")
    frame = _bars(60, "1min", end, seed=3)
    vol = frame.columns.get_loc("volume")
    frame.iloc[-7, vol] = 3.0
    frame.iloc[-1, vol] = 5.0
    path = tmp_path / "minutes.csv"
    frame.reset_index().to_csv(path, index=False)
    _touch(path, pd.Timestamp("2024-03-02"))  # saved (or copied) a day later
    with warnings.catch_warnings():
        warnings.simplefilter("error", DataQualityWarning)
        got = rd.read_prices(path, interval="1min")
    assert got.index[-1] == end
    assert rd.find_partial_bar(frame, "1min", saved_at="2024-03-02") is None


def test_real_partial_minute_bar_is_flagged(tmp_path) -> None:
    end = pd.Timestamp("2024-03-01 03:59")
    frame = _bars(60, "1min", end, seed=3)
    vol = frame.columns.get_loc("volume")
    frame.iloc[-7, vol] = 3.0
    frame.iloc[-1, vol] = 5.0
    # saved 10 s into the last minute: the bar ends after the save (time evidence)
    why = rd.find_partial_bar(frame, "1min", saved_at=end + pd.Timedelta("10s"))
    assert why is not None and "after the data was saved" in why and "its volume 5 is" in why
    # a copy: the save time is lost, and a bar cut early stands below all its neighbours
    frame.iloc[-1, vol] = 1.0
    why = rd.find_partial_bar(frame, "1min", saved_at="2024-03-02")
    assert why is not None and "below each of them" in why


# ------------------------------------------------------------------------------- funding lines
def test_funding_reader_counts_blank_lines(tmp_path) -> None:
    path = tmp_path / "fund.csv"
    path.write_text(
        "calc_time,funding_interval_hours,last_funding_rate\n"
        "1704067200000,8,0.0001\n\n1704096000000,8,0.0001\n1704124800000,8,abc\n"
    )
    with pytest.raises(DataError, match=r"'last_funding_rate'.*\['abc'\] at line 5$"):
        rd.read_funding(path)


# --------------------------------------------------------------------- separators and numbers
def test_quoted_thousands_separators_do_not_hide_the_header(tmp_path) -> None:
    path = tmp_path / "excel.csv"
    path.write_text('date,close\n2024-01-01,"1,234.5"\n2024-01-02,"1,240.0"\n2024-01-03,"998.5"\n')
    with pytest.raises(DataError, match=r"column 'close'.*set thousands=','"):
        rd.read_prices(path, check=False)
    got = rd.read_prices(path, thousands=",", check=False)
    assert got["close"].tolist() == [1234.5, 1240.0, 998.5]


def test_comma_decimals_from_python_and_the_cli(tmp_path, capsys) -> None:
    frame = _bars(48, "1h", pd.Timestamp("2024-01-02 23:00"))
    path = tmp_path / "eu.csv"
    frame.reset_index().to_csv(path, index=False, sep=";", decimal=",")
    with pytest.raises(DataError, match=r"decimal comma: set decimal=','"):
        rd.read_prices(path)
    got = rd.read_prices(path, decimal=",")
    np.testing.assert_allclose(got["close"].to_numpy(), frame["close"].to_numpy())
    assert rd.ReadOptions.option_name("decimal", "cli") == "--decimal"
    assert main(["validate-data", str(path), "--decimal", ","]) == 0
    with pytest.raises(ConfigError, match="decimal"):
        rd.ReadOptions(decimal=",,")


# -------------------------------------------------------------------------------- timestamps
def test_iso_unit_on_integer_dates_needs_no_deprecated_pandas() -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error", FutureWarning)
        idx = rd.parse_timestamps([20200101, 20200102], unit="iso")
    assert idx.tolist() == [pd.Timestamp("2020-01-01"), pd.Timestamp("2020-01-02")]


def test_naive_and_offset_timestamps_mixed_are_named() -> None:
    values = ["2024-01-01 00:00", "2024-01-02 00:00+02:00", "2024-01-03 00:00"]
    with pytest.warns(DataQualityWarning, match=r"no UTC offset.*rows \[0, 2\].*row \[1\]"):
        idx = rd.parse_timestamps(values)
    assert idx[1] == pd.Timestamp("2024-01-01 22:00")


def test_trailing_utc_word_and_camelcase_columns(tmp_path) -> None:
    idx = rd.parse_timestamps(["2024-01-01 00:00:00 UTC", "2024-01-01 01:00:00 UTC"])
    assert idx.tolist() == [pd.Timestamp("2024-01-01 00:00"), pd.Timestamp("2024-01-01 01:00")]
    frame = _bars(30, "1h", pd.Timestamp("2024-01-02 05:00"))
    bybit = pd.DataFrame(
        {
            "startTime": frame.index.as_unit("ms").asi8,
            "openPrice": frame["open"].to_numpy(),
            "highPrice": frame["high"].to_numpy(),
            "lowPrice": frame["low"].to_numpy(),
            "closePrice": frame["close"].to_numpy(),
            "volume": frame["volume"].to_numpy(),
            "turnover": (frame["volume"] * frame["close"]).to_numpy(),
        }
    )
    path = tmp_path / "bybit.csv"
    bybit.to_csv(path, index=False)
    got = rd.read_prices(path)
    frame.index = frame.index.as_unit("ns")
    pd.testing.assert_frame_equal(got, frame, check_freq=False)


# ----------------------------------------------------------------- one interval, one tolerance
def test_one_interval_reader_for_options_config_and_bars() -> None:
    assert read_options.parse_interval is parse_interval
    for bad in ("7min", "1w"):
        with pytest.raises(ConfigError, match="interval"):
            rd.ReadOptions(interval=bad)


def test_check_interval_uses_the_grid_tolerance() -> None:
    # hourly bars stamped 3 s late every other hour: on the grid (tolerance 36 s, 1% of 1h)
    idx = pd.DatetimeIndex(
        [pd.Timestamp("2024-01-01") + pd.Timedelta(hours=i, seconds=3 * (i % 2)) for i in range(50)]
    )
    assert check_interval(idx, pd.Timedelta("1h"), "jitter.csv") == pd.Timedelta("1h")
    assert rd.jitter_tolerance(pd.Timedelta("1h")) == pd.Timedelta("36s")


def test_boundary_detail_is_spelled_for_the_audience() -> None:
    frame = _bars(30, "1D", pd.Timestamp("2024-01-30 22:00"))
    cli = rd.validate(frame, freq="1D", warn=False, audience="cli")
    detail = " ".join(cli.of("boundary")["detail"])
    assert "--day-boundary 22:00" in detail
    py = rd.validate(frame, freq="1D", warn=False)
    assert "day_boundary='22:00'" in " ".join(py.of("boundary")["detail"])
