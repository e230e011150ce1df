"""riskkit.data reading venue exports: timestamps that never lie, file lines in every message.

Each test writes a file in a layout venues export (CryptoDataDownload, Binance klines, ISO text
with offsets, local wall-clock times, multi-series tables) and checks that it loads with the
defect named, or fails with an error naming file, column, file line and the option to change.
The truth is known because the test builds the file from timestamps it chose; epoch values are
checked against ``date -u -d @<seconds>`` in comments.
"""

from __future__ import annotations

import os
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from riskkit import data as rd
from riskkit.data.fixtures import SAVED_AT, synthetic_hourly_bars
from riskkit.exceptions import ConfigError, DataError, DataQualityWarning


def write(path: Path, text: str, mtime: pd.Timestamp | None = None) -> Path:
    path.write_text(text, encoding="utf-8")
    if mtime is not None:
        os.utime(path, (mtime.timestamp(), mtime.timestamp()))
    return path


def hourly(n: int = 48, start: str = "2020-11-20") -> pd.DataFrame:
    """n consistent hourly bars (closes random walk, open = previous close)."""
    rng = np.random.default_rng(4)
    close = 100 * np.exp(np.cumsum(rng.normal(0, 0.01, n)))
    open_ = np.r_[100.0, close[:-1]]
    return pd.DataFrame(
        {
            "open": open_,
            "high": np.maximum(open_, close) * 1.002,
            "low": np.minimum(open_, close) * 0.998,
            "close": close,
            "volume": rng.uniform(50, 150, n),
        },
        index=pd.date_range(start, periods=n, freq="1h", name="date"),
    )


def csv_text(frame: pd.DataFrame, date: list[str], name: str = "date") -> str:
    out = frame.reset_index(drop=True)
    out.insert(0, name, date)
    return out.to_csv(index=False, lineterminator="\n")


# ------------------------------------------------------------------------- the example exports
@pytest.fixture(scope="module")
def exports(tmp_path_factory) -> dict[str, Path]:
    return rd.example_exports(tmp_path_factory.mktemp("exports"), seed=0)


def test_cryptodatadownload_export_loads_with_every_defect_named(exports) -> None:
    """Banner line, descending rows, unix mixing s and ms, date mixing HH-AM/PM and HH:MM:SS,
    48 duplicated hours, a partial last bar: every one reported, with file lines."""
    with pytest.warns(
        DataQualityWarning,
        match=r"last bar 2020-11-29 10:00:00 \(line 3\) is "
        r"partial; dropped \(partial_bars='keep' keeps it\)",
    ):
        loaded = rd.read_checked(exports["cdd_hourly"], clean=True)
    counts = loaded.report.counts()
    assert counts[counts > 0].to_dict() == {
        "reordered": 1,
        "mixed_units": 1,
        "mixed_formats": 1,
        "duplicate": 48,
        "partial_bar": 1,
    }
    rep = loaded.report
    assert "descending (newest first)" in rep.of("reordered")["detail"].iloc[0]
    # the generator switched to ms and to HH:MM:SS on 2020-11-15: 347 rows of 1475 lines
    # (lines 3-349: the banner is line 1, the header line 2, the newest row line 3)
    assert "347 in ms (lines 3-349)" in rep.of("mixed_units")["detail"].iloc[0]
    assert "'2020-11-14 11-PM' at line 350" in rep.of("mixed_formats")["detail"].iloc[0]
    dup = rep.of("duplicate")
    assert dup["start"].min() == pd.Timestamp("2020-11-02") and dup["n_bars"].eq(2).all()
    # 2020-11-02 00:00 is line 661 of the descending rows and the last line of the appended copy
    assert "(lines 661, 1477)" in dup["detail"].iloc[0]
    partial = rep.of("partial_bar")["detail"].iloc[0]
    assert "(line 3)" in partial and f"after the data was saved ({SAVED_AT})" in partial
    # no silent date shift: the cleaned bars are exactly the generator's complete bars
    truth = synthetic_hourly_bars(seed=0).iloc[:-1]
    pd.testing.assert_frame_equal(
        loaded.frame, truth, check_freq=False, check_index_type=False, check_exact=False
    )
    assert loaded.frame.index[-1] == pd.Timestamp("2020-11-29 09:00")
    steps = loaded.cleaning.groupby("step").size().to_dict()
    assert steps == {"drop_partial_bars": 1, "drop_duplicate_timestamps": 48}


def test_cryptodatadownload_by_its_date_column_and_from_the_cli(exports) -> None:
    """``--timestamp unix`` used to crash (two 'date' columns after renaming); both columns
    are usable, and they agree."""
    path = exports["cdd_hourly"]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DataQualityWarning)
        by_unix = rd.read_prices(path, timestamp="unix", check=False)
        by_date = rd.read_prices(path, timestamp="date", check=False)
    pd.testing.assert_frame_equal(by_unix, by_date)
    with pytest.warns(DataQualityWarning, match="partial"):
        assert rd.read_checked(path).report.counts()["timestamp_mismatch"] == 0


def test_binance_kline_export_partial_stale_and_bogus_first_bar(exports) -> None:
    with pytest.warns(DataQualityWarning, match=r"\(line 683\) is partial; dropped"):
        loaded = rd.read_checked(exports["binance_hourly"])
    counts = loaded.report.counts()
    assert counts[counts > 0].to_dict() == {
        "repeated_row": 1,
        "bogus_first_bar": 1,
        "partial_bar": 1,
    }
    rep = loaded.report
    # no header: line 1 is the first bar; 2020-11-27 09:00 is bar 26 * 24 + 9 = 633 -> line 634
    assert (
        "bar 2020-11-27 09:00 (line 634) repeats every value of bar 2020-11-27 08:00"
        in (rep.of("repeated_row")["detail"].iloc[0])
    )
    bogus = rep.of("bogus_first_bar")["detail"].iloc[0]
    assert "(line 1)" in bogus and "high" in bogus and "3.05x" in bogus
    # the venue's close_time is the evidence when the file has one
    partial = rep.of("partial_bar")["detail"].iloc[0]
    assert "close_time 2020-11-29 10:59:59.999000 is after the data was saved" in partial
    assert loaded.frame.index[-1] == pd.Timestamp("2020-11-29 09:00")
    with pytest.raises(DataError, match=r"\(line 683\).*set partial_bars='drop'"):
        rd.read_checked(exports["binance_hourly"], partial_bars="error")
    with pytest.warns(DataQualityWarning, match="kept"):
        kept = rd.read_checked(exports["binance_hourly"], partial_bars="keep")
    assert kept.frame.index[-1] == pd.Timestamp("2020-11-29 10:00") and kept.cleaning.empty


def test_daily_close_against_the_last_hourly_close(exports) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DataQualityWarning)
        daily = rd.read_prices(exports["binance_daily"])
        hourly_bars = rd.read_prices(exports["binance_hourly"])
    rep = rd.compare_intervals(daily, hourly_bars, warn=False)
    # the generator took the close of 2020-11-20 from 21:00 instead of 23:00
    assert list(rep.dates("cross_interval")) == [pd.Timestamp("2020-11-20")]
    truth = synthetic_hourly_bars(seed=0)
    assert (
        f"{truth.loc['2020-11-20 23:00', 'close']:g}" in rep.of("cross_interval")["detail"].iloc[0]
    )


# ------------------------------------------------------------------------- epoch numbers
def test_mixed_seconds_and_milliseconds_rows_are_read_by_magnitude(tmp_path) -> None:
    b = hourly(6)
    s = b.index.as_unit("s").asi8
    unix = [s[0], s[1] * 1000, s[2], s[3] * 1000, s[4] * 1000, s[5]]
    path = write(tmp_path / "m.csv", csv_text(b, unix, "unix"))
    with pytest.warns(
        DataQualityWarning, match=r"3 in s \(lines 2, 4, 7\); 3 in ms \(lines 3, 5-6\)"
    ):
        got = rd.read_prices(path)
    pd.testing.assert_index_equal(got.index, b.index, exact=False, check_freq=False)


def test_wrong_unit_is_an_error_never_a_1970_date(tmp_path) -> None:
    b = hourly(3)
    # 1605830400 s after the epoch is 2020-11-20 00:00 UTC (date -u -d @1605830400)
    path = write(tmp_path / "s.csv", csv_text(b, list(b.index.as_unit("s").asi8), "unix"))
    with pytest.raises(
        DataError,
        match=r"s.csv, column 'unix': 3 timestamp\(s\) read with "
        r"unit='ms' fall before earliest 2009-01-03, e.g. 1605830400 at line 2 -> "
        r"1970-01-19.*magnitude says seconds: set unit='s'",
    ):
        rd.read_prices(path, unit="ms")
    ms = write(tmp_path / "ms.csv", csv_text(b, list(b.index.as_unit("ms").asi8), "unix"))
    # seconds read from milliseconds: year 52,000, beyond what pandas can hold; still a DataError
    with pytest.raises(
        DataError,
        match=r"in the future, e.g. 1605830400000 at line 2 -> beyond "
        r"2262.*set --unit ms",
    ):
        rd.read_prices(ms, unit="s", audience="cli")
    assert rd.read_prices(ms, unit="ms").index[0] == pd.Timestamp("2020-11-20")


def test_implausible_dates_are_errors(tmp_path) -> None:
    b = hourly(3)
    old = write(tmp_path / "old.csv", csv_text(b, ["2008-12-31", "2009-01-05", "2009-01-06"]))
    with pytest.raises(
        DataError,
        match=r"before earliest 2009-01-03, e.g. '2008-12-31' at line 2.*"
        r"data.earliest",
    ):
        rd.read_prices(old, audience="config")
    assert len(rd.read_prices(old, earliest="2000-01-01", check=False)) == 3
    future = pd.Timestamp.now() + pd.Timedelta("3D")
    fut = write(tmp_path / "fut.csv", csv_text(b, ["2020-01-01", "2020-01-02", str(future.date())]))
    with pytest.raises(
        DataError,
        match=r"fut.csv, column 'date': 1 timestamp\(s\) fall in the "
        r"future, e.g. .* at line 4",
    ):
        rd.read_prices(fut)


# ------------------------------------------------------------------------- text timestamps
def test_ampm_timestamps_alone_and_mixed_with_iso(tmp_path) -> None:
    b = hourly(4, start="2020-11-20 10:00")
    text = ["2020-11-20 10-AM", "2020-11-20 11:00:00", "2020-11-20 12-PM", "2020-11-20 01-PM"]
    path = write(tmp_path / "a.csv", csv_text(b, text))
    with pytest.warns(
        DataQualityWarning,
        match=r"3 of 4 timestamps are written 'YYYY-MM-DD "
        r"HH-AM/PM'.*lines 2, 4-5",
    ):
        got = rd.read_prices(path)
    pd.testing.assert_index_equal(got.index, b.index, exact=False, check_freq=False)
    # 12-AM is midnight, 12-PM noon (the 12-hour clock)
    idx = rd.parse_timestamps(["2020-11-20 12-AM", "2020-11-20 12-PM", "2020-11-20 07-PM"])
    assert [t.hour for t in idx] == [0, 12, 19]
    bad = write(tmp_path / "bad.csv", csv_text(b, ["2020-11-20 10-AM", "2020-11-20 13-PM"] * 2))
    with pytest.raises(
        DataError,
        match=r"bad.csv, column 'date': cannot read \['2020-11-20 "
        r"13-PM', '2020-11-20 13-PM'\] at lines 3, 5",
    ):
        rd.read_prices(bad)


def test_iso_offsets_are_converted_and_the_day_boundary_is_never_shifted(tmp_path) -> None:
    days = pd.date_range("2020-03-01", periods=30, freq="1D")
    b = hourly(30).set_axis(days)
    text = [f"{d.date()}T00:00:00+02:00" for d in days]  # local midnight at UTC+2
    path = write(tmp_path / "tz.csv", csv_text(b, text))
    with pytest.warns(
        DataQualityWarning,
        match=r"offset\(s\) \+02:00 and were converted to UTC: "
        r"the 1D bars now open at 22:00 UTC, not at the day boundary 00:00 UTC.*"
        r"set day_boundary='22:00'",
    ):
        got = rd.read_prices(path, check=False)
    # converted, not shifted: 00:00+02:00 is 22:00 UTC the day before
    assert got.index[0] == pd.Timestamp("2020-02-29 22:00")
    rep = rd.validate(got, warn=False)
    assert (
        rep.counts()["boundary"] == 1
        and "set day_boundary='22:00'" in rep.of("boundary")["detail"].iloc[0]
    )
    with warnings.catch_warnings():
        warnings.simplefilter("error", DataQualityWarning)
        again = rd.read_prices(path, day_boundary="22:00")  # declared: no warning at all
    pd.testing.assert_index_equal(again.index, got.index)
    assert rd.validate(again, day_boundary="22:00", warn=False).ok
    # hourly bars at +02:00 stay on the hourly grid: no warning
    h = hourly(24)
    hours = [f"{t:%Y-%m-%dT%H:%M}+02:00" for t in h.index]
    with warnings.catch_warnings():
        warnings.simplefilter("error", DataQualityWarning)
        got = rd.read_prices(write(tmp_path / "h.csv", csv_text(h, hours)))
    assert got.index[0] == pd.Timestamp("2020-11-19 22:00")


def test_naive_local_times_in_a_time_zone_across_daylight_saving(tmp_path) -> None:
    # Europe/Zurich left summer time on 2020-10-25: 02:00-03:00 local happened twice
    utc = pd.date_range("2020-10-24 22:00", periods=8, freq="1h")
    local = utc.tz_localize("UTC").tz_convert("Europe/Zurich").strftime("%Y-%m-%d %H:%M")
    assert list(local).count("2020-10-25 02:00") == 2
    b = hourly(8)
    path = write(tmp_path / "z.csv", csv_text(b, list(local)))
    got = rd.read_prices(path, timezone="Europe/Zurich")
    pd.testing.assert_index_equal(got.index, utc.rename("date"), exact=False, check_freq=False)
    # 2020-03-29 02:30 did not exist in Zurich (clocks jumped 02:00 -> 03:00)
    gap = write(tmp_path / "g.csv", csv_text(hourly(2), ["2020-03-29 01:30", "2020-03-29 02:30"]))
    with pytest.raises(
        DataError,
        match=r"g.csv, column 'date': local times \['2020-03-29 02:30:00'\] at line 3 do "
        r"not exist or are ambiguous in Europe/Zurich",
    ):
        rd.read_prices(gap, timezone="Europe/Zurich")
    with pytest.raises(ConfigError, match="unknown time zone 'Mars/Olympus'"):
        rd.read_prices(path, timezone="Mars/Olympus")


def test_unparseable_timestamp_names_file_line_with_banner(tmp_path) -> None:
    b = hourly(3)
    body = csv_text(b, ["2020-11-20 00:00", "yesterday", "2020-11-20 02:00"])
    path = write(tmp_path / "u.csv", "https://www.CryptoDataDownload.com\n" + body)
    # banner line 1, header line 2: the second data row is line 4
    with pytest.raises(
        DataError,
        match=r"u.csv, column 'date': cannot parse timestamps "
        r"\['yesterday'\] at line 4",
    ):
        rd.read_prices(path)


# ------------------------------------------------------------------------- files and options
def test_several_series_in_one_file_are_refused_or_selected(tmp_path) -> None:
    b = hourly(5)
    rows = []
    for ex in ("bitstamp", "kraken"):
        for asset in ("BTC", "ETH"):
            part = b.reset_index()
            part.insert(1, "exchange", ex)
            part.insert(2, "asset", asset)
            rows.append(part)
    path = tmp_path / "multi.csv"
    pd.concat(rows).to_csv(path, index=False)
    with pytest.raises(
        DataError,
        match=r"one file, several series: column 'exchange' holds 2 "
        r"values \(bitstamp, kraken\); column 'asset' holds 2 values \(BTC, ETH\)."
        r" riskkit never merges series: select one with --select exchange=bitstamp"
        r" --select asset=BTC",
    ):
        rd.read_prices(path, audience="cli")
    got = rd.read_prices(path, select={"exchange": "kraken", "asset": "ETH"})
    pd.testing.assert_frame_equal(got, b, check_freq=False, check_index_type=False)
    with pytest.raises(
        DataError,
        match=r"no row has asset='DOGE' \(select=\); column 'asset' "
        r"holds \['BTC', 'ETH'\]",
    ):
        rd.read_prices(path, select={"exchange": "kraken", "asset": "DOGE"})
    with pytest.raises(DataError, match="names column 'venue', which is not in the file"):
        rd.read_prices(path, select={"venue": "kraken"})


def test_bundled_multi_exchange_file_is_refused_with_the_way_out() -> None:
    from riskkit.datasets import CRYPTO_FILE, DATA_DIR, load_ohlcv

    with pytest.raises(
        DataError,
        match=r"column 'exchange' holds 12 values .*column 'asset' "
        r"holds 3 values",
    ):
        rd.read_prices(DATA_DIR / CRYPTO_FILE)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DataQualityWarning)
        got = rd.read_prices(
            DATA_DIR / CRYPTO_FILE, select={"exchange": "bitstamp", "asset": "ETH"}
        )
    ref = load_ohlcv("ETH", "bitstamp", clean=False)
    np.testing.assert_array_equal(got["close"].to_numpy(), ref["close"].to_numpy())


def test_declared_interval_must_match_the_file(tmp_path) -> None:
    b = hourly(30)
    path = write(tmp_path / "h.csv", csv_text(b, list(b.index.astype(str))))
    with pytest.raises(DataError, match=r"h.csv: bars are 1h apart but --interval is 1D"):
        rd.read_prices(path, interval="1D", audience="cli")
    with pytest.raises(DataError, match=r"data.interval is 4h"):
        rd.read_checked(path, interval="4h", audience="config")
    assert len(rd.read_prices(path, interval="1h")) == 30
    assert len(rd.read_prices(path, freq="1h")) == 30  # the former name
    with pytest.raises(ConfigError, match="disagree"):
        rd.read_prices(path, freq="1h", interval="4h")


def test_options_object_keywords_and_errors(tmp_path) -> None:
    b = hourly(5)
    text = csv_text(b, list(b.index.as_unit("ms").asi8), "Open Time").replace(",", ";")
    path = write(tmp_path / "o.csv", text)
    opts = rd.ReadOptions(unit="ms", sep=";", columns={"close": "close"})
    got = rd.read_prices(path, opts)
    assert got.equals(rd.read_prices(path, {"unit": "ms"}))
    assert got.equals(rd.read_prices(path, unit="ms"))
    with pytest.raises(ConfigError, match=r"unknown read option\(s\) \['skiprows'\].*read_kwargs"):
        rd.read_prices(path, skiprows=1)
    with pytest.raises(ConfigError, match="unknown value 'minutes'"):
        rd.read_prices(path, unit="minutes")
    assert rd.ReadOptions.setting("columns", {"Last": "close"}, "cli") == "--column Last=close"
    assert rd.ReadOptions.setting("unit", "s", "config") == "data.unit: s"
    assert rd.ReadOptions.option_name("day_boundary", "cli") == "--day-boundary"


def test_headerless_files(tmp_path) -> None:
    # a Binance spot kline archive from 2025 on: open and close times in microseconds
    start = pd.Timestamp("2025-01-01")
    open_us = pd.date_range(start, periods=3, freq="1h").as_unit("us").asi8
    lines = [f"{t},100,101,99,100.5,10,{t + 3_600_000_000 - 1},1000,5,5,500,0" for t in open_us]
    path = write(tmp_path / "BTCUSDT-1h-2025-01-01.csv", "\n".join(lines) + "\n")
    got = rd.read_prices(path, check=False)
    assert got.index[0] == start and list(got.columns) == ["open", "high", "low", "close", "volume"]
    other = write(tmp_path / "n.csv", "1605830400,100\n1605834000,101\n")
    with pytest.raises(DataError, match=r"line 1 holds numbers, not column names"):
        rd.read_prices(other)


def test_headerless_file_with_named_columns(tmp_path) -> None:
    """Kraken's OHLCVT downloads: no header, seconds, a trade count as the 7th column
    (time,open,high,low,close,volume,count). 1605830400 s is 2020-11-20 00:00 UTC."""
    rows = ["1605830400,100,102,99,101,5.5,40", "1605916800,101,104,100,103,6.0,35"]
    path = write(tmp_path / "XXBTZUSD_1440.csv", "\n".join(rows) + "\n")
    with pytest.raises(DataError, match=r"7 columns .* name them in file order with names="):
        rd.read_prices(path)
    names = "time,open,high,low,close,volume,trades"
    got = rd.read_prices(path, names=names, check=False)
    assert list(got.index) == [pd.Timestamp("2020-11-20"), pd.Timestamp("2020-11-21")]
    assert got["close"].tolist() == [101.0, 103.0] and got["volume"].tolist() == [5.5, 6.0]
    # one name per column, distinct
    for bad in ("time,open,high,low,close,volume", "time,open,high,low,close,close,trades"):
        with pytest.raises(DataError, match=r"7 columns and no header line; names="):
            rd.read_prices(path, names=bad)
    # a file with a header line: names would silently rename it, so it is refused
    headed = write(tmp_path / "h.csv", "date,close\n2020-11-20,1\n2020-11-21,2\n")
    with pytest.raises(DataError, match=r"line 1 is a header line"):
        rd.read_prices(headed, names="time,close")


def test_close_only_file(tmp_path) -> None:
    b = hourly(30)
    path = write(tmp_path / "c.csv", csv_text(b[["close"]], list(b.index.astype(str))))
    loaded = rd.read_checked(path, interval="1h")
    assert list(loaded.frame.columns) == ["close"] and loaded.report.ok
    np.testing.assert_array_equal(loaded.frame["close"], b["close"])


def test_offsets_and_numbers_keep_exact_instants() -> None:
    """No silent date shift: every spelling of one instant parses to the same UTC time."""
    instant = pd.Timestamp("2020-11-20 07:00")
    # 1605855600 s after the epoch is 2020-11-20 07:00 UTC (date -u -d @1605855600)
    spellings = [
        "2020-11-20 07:00:00",
        "2020-11-20T07:00:00Z",
        "2020-11-20T09:00:00+02:00",
        "2020-11-20T02:00:00-0500",
        "2020-11-20 07-AM",
        "1605855600",
        "1605855600000",
        "1605855600000000",
    ]
    for text in spellings:
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            got = rd.parse_timestamps([text])
        assert got[0] == instant, text
