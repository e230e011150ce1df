"""riskkit.data: reading user files, validation report, explicit cleaning steps.

Every defect type is planted in a small synthetic frame whose truth is known, and the test checks
that validate() finds it at the planted date (and nothing else), so each test fails if the check
is removed or broken.
"""

from __future__ import annotations

import logging
import warnings

import numpy as np
import pandas as pd
import pytest

from riskkit import data as rd
from riskkit.exceptions import ConfigError, DataError, DataQualityWarning


def bars(n: int = 200, seed: int = 7, freq: str = "1D", start: str = "2021-01-01") -> pd.DataFrame:
    """Consistent synthetic OHLCV: GBM closes with 3% daily volatility, open = previous close."""
    rng = np.random.default_rng(seed)
    close = 100 * np.exp(np.cumsum(rng.normal(0, 0.03, n)))
    open_ = np.concatenate([[100.0], close[:-1]])
    wiggle = np.abs(rng.normal(0, 0.01, n))
    high = np.maximum(open_, close) * (1 + wiggle)
    low = np.minimum(open_, close) * (1 - wiggle)
    idx = pd.date_range(start, periods=n, freq=freq, name="date")
    return pd.DataFrame(
        {"open": open_, "high": high, "low": low, "close": close, "volume": rng.uniform(1, 9, n)},
        index=idx,
    )


def report(frame: pd.DataFrame, **kw) -> rd.ValidationReport:
    return rd.validate(frame, warn=False, **kw)


def only(rep: rd.ValidationReport, check: str) -> pd.DataFrame:
    """The defects of type ``check``; fails if any other type was reported."""
    others = rep.counts().drop(check)
    assert not others.any(), f"unexpected defects: {others[others > 0].to_dict()}"
    return rep.of(check)


# ------------------------------------------------------------------------- timestamps
@pytest.mark.parametrize(
    ("values", "unit"),
    [
        ([1_600_000_000, 1_600_086_400], "s"),
        ([1_600_000_000_000, 1_600_086_400_000], "ms"),
        ([1_600_000_000_000_000, 1_600_086_400_000_000], "us"),
        ([1_600_000_000_000_000_000, 1_600_086_400_000_000_000], "ns"),
        (["1600000000", "1600086400"], "s"),
    ],
)
def test_epoch_units_are_detected(values, unit) -> None:
    idx = rd.parse_timestamps(values)
    # 1_600_000_000 s after the epoch is 2020-09-13 12:26:40 UTC (date -u -d @1600000000)
    assert idx[0] == pd.Timestamp("2020-09-13 12:26:40")
    assert idx[1] - idx[0] == pd.Timedelta(days=1)
    assert idx.name == "date" and idx.tz is None
    np.testing.assert_array_equal(idx, rd.parse_timestamps(values, unit=unit))


def test_iso_strings_with_offsets_become_naive_utc() -> None:
    values = ["2020-03-12T00:00:00+02:00", "2020-03-12 05:00", "2020-03-13"]
    with pytest.warns(DataQualityWarning, match="no UTC offset"):  # naive and offset mixed
        idx = rd.parse_timestamps(values)
    assert list(idx) == [
        pd.Timestamp("2020-03-11 22:00"),
        pd.Timestamp("2020-03-12 05:00"),
        pd.Timestamp("2020-03-13"),
    ]


def test_mixed_epoch_units_are_read_row_by_row_with_a_warning() -> None:
    # a ms file concatenated with a us file (Binance spot switched to us on 2025-01-01): the
    # magnitudes differ by 1000, so each row has one reading; the warning names the rows
    with pytest.warns(DataQualityWarning, match=r"mixed units.*1 in ms \(row \[0\]\); 1 in us"):
        idx = rd.parse_timestamps([1_600_000_000_000, 1_735_689_600_000_000], source="f.csv")
    # 1_735_689_600 s after the epoch is 2025-01-01 00:00 UTC (date -u -d @1735689600)
    assert list(idx) == [pd.Timestamp("2020-09-13 12:26:40"), pd.Timestamp("2025-01-01")]


def test_yyyymmdd_integers_are_rejected() -> None:
    with pytest.raises(DataError, match="unit="):
        rd.parse_timestamps([20200101, 20200102])


def test_unparseable_and_missing_timestamps_name_rows() -> None:
    with pytest.raises(DataError, match=r"f.csv, column 'ts'.*row \[1\]"):
        rd.parse_timestamps(["2020-01-01", "yesterday"], source="f.csv", column="ts")
    with pytest.raises(DataError, match=r"missing timestamp\(s\) at row \[1\]"):
        rd.parse_timestamps(["2020-01-01", None])


# ------------------------------------------------------------------------- reading files
def test_read_csv_ohlcv_ms_timestamps(tmp_path) -> None:
    b = bars(20)
    raw = b.reset_index()
    raw.insert(0, "Open Time", raw.pop("date").astype("datetime64[ms]").astype("int64"))
    raw.columns = ["Open Time", "Open", "High", "Low", "Close", "Volume"]
    path = tmp_path / "p.csv"
    raw.to_csv(path, index=False)
    with warnings.catch_warnings():
        warnings.simplefilter("error", DataQualityWarning)  # check=True warns only on a defect
        got = rd.read_prices(path)
    pd.testing.assert_frame_equal(got, b, check_freq=False, check_index_type=False)
    assert got.attrs == {}  # nothing rides along: the frame writes to Parquet (see below)


def test_read_close_only_with_mapping_and_unsorted_rows(tmp_path) -> None:
    b = bars(30)
    raw = pd.DataFrame({"when": b.index.strftime("%Y-%m-%d"), "Last Trade": b["close"].to_numpy()})
    raw = raw.iloc[::-1]
    path = tmp_path / "c.csv"
    raw.to_csv(path, index=False)
    with pytest.warns(DataQualityWarning, match="not in time order"):
        got = rd.read_prices(path, timestamp="when", columns={"Last Trade": "close"})
    assert list(got.columns) == ["close"]
    assert got.index.is_monotonic_increasing
    np.testing.assert_array_equal(got["close"], b["close"])


def test_read_parquet(tmp_path) -> None:
    b = bars(15)
    path = tmp_path / "p.parquet"
    b.reset_index().to_parquet(path)
    got = rd.read_prices(path)
    np.testing.assert_array_equal(got.to_numpy(), b.to_numpy())


def _round_trip(frame: pd.DataFrame, tmp_path, fmt: str) -> pd.DataFrame:
    """Write ``frame`` with pandas and read it back with riskkit.data.read_prices."""
    path = tmp_path / f"prices.{fmt}"
    if fmt == "parquet":
        frame.to_parquet(path)
    else:
        frame.to_csv(path)
    return rd.read_prices(path, check=False)


@pytest.mark.parametrize("fmt", ["parquet", "csv"])
def test_frame_from_read_prices_round_trips(tmp_path, fmt) -> None:
    b = bars(40)
    source = tmp_path / "source.csv"
    b.reset_index().to_csv(source, index=False)
    got = rd.read_prices(source)
    back = _round_trip(got, tmp_path, fmt)
    # CSV keeps 17 significant digits of a float (pandas writes repr), so both are exact
    pd.testing.assert_frame_equal(back, got, check_freq=False, check_index_type=False)


def test_read_checked_returns_frame_report_and_cleaning(tmp_path) -> None:
    b = bars(30)
    b.iloc[5, :4] = 0.0  # a zero bar: an error the report lists and cleaning drops
    dup = pd.concat([b.iloc[:10], b.iloc[[9]].assign(volume=99.0), b.iloc[10:]])
    path = tmp_path / "p.csv"
    dup.reset_index().to_csv(path, index=False)
    raw = rd.read_checked(path, freq="1D")
    assert isinstance(raw, rd.LoadedPrices) and raw.name == "p.csv"
    assert len(raw.frame) == 31 and raw.cleaning.empty and raw.n_changed == 0
    assert raw.report.counts()[["duplicate", "non_positive_price"]].tolist() == [1, 1]
    cleaned = rd.read_checked(path, freq="1D", clean=True)
    # the report is of the rows as read, before cleaning
    pd.testing.assert_frame_equal(cleaned.report.to_frame(), raw.report.to_frame())
    assert len(cleaned.frame) == 29 and not cleaned.frame.index.has_duplicates
    # keep=None: with a volume column the copy with the largest volume survives
    assert cleaned.frame.loc[b.index[9], "volume"] == 99.0
    assert set(cleaned.cleaning["step"]) == {"drop_duplicate_timestamps", "drop_nonpositive_prices"}
    assert list(cleaned.cleaning.columns) == rd.CHANGE_COLUMNS
    # the same result from a frame in memory
    again = rd.check_and_clean(raw.frame, freq="1D", name="p.csv", keep=None)
    pd.testing.assert_frame_equal(again.frame, cleaned.frame)
    pd.testing.assert_frame_equal(again.cleaning, cleaned.cleaning)
    assert rd.check_and_clean(raw.frame, clean=False).frame is raw.frame


def test_read_errors_name_file_column_rows(tmp_path) -> None:
    path = tmp_path / "bad.csv"
    pd.DataFrame({"date": ["2020-01-01", "2020-01-02"], "open": [1, 2]}).to_csv(path, index=False)
    with pytest.raises(DataError, match=r"bad.csv: no close price column; columns are"):
        rd.read_prices(path)
    pd.DataFrame(
        {"date": ["2020-01-01", "2020-01-02", "2020-01-03"], "close": [1, "1.2.3", 3]}
    ).to_csv(path, index=False)
    # line 3 of the file: the header is line 1, the first data row line 2
    with pytest.raises(DataError, match=r"bad.csv, column 'close': non-numeric .* at line 3$"):
        rd.read_prices(path)
    with pytest.raises(DataError, match="file not found"):
        rd.read_prices(tmp_path / "nope.csv")
    (tmp_path / "x.xlsx").write_text("")
    with pytest.raises(DataError, match="unknown file type"):
        rd.read_prices(tmp_path / "x.xlsx")
    with pytest.raises(DataError, match=r"mapped column\(s\) \['Px'\]"):
        rd.read_prices(path, columns={"Px": "close"})


# ------------------------------------------------------------------------- validate
def test_clean_input_reports_nothing_and_does_not_warn() -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        rep = rd.validate(bars())
    assert rep.ok and len(rep) == 0 and rep.summary() == "no defects"
    assert rep.freq == pd.Timedelta("1D")


def test_unsorted() -> None:
    b = bars(10)
    shuffled = b.iloc[[0, 1, 2, 4, 3, 5, 6, 7, 8, 9]]
    got = only(report(shuffled), "unsorted")
    assert got["rows"].iloc[0] == (4,)


def test_duplicate() -> None:
    b = bars(10)
    dup = pd.concat([b.iloc[:5], b.iloc[[4]].assign(close=b["close"].iloc[4] * 1.01), b.iloc[5:]])
    got = only(report(dup), "duplicate")
    assert len(got) == 1 and got["start"].iloc[0] == b.index[4]
    assert got["rows"].iloc[0] == (4, 5) and "close" in got["detail"].iloc[0]


def test_missing_and_non_positive_prices() -> None:
    b = bars(30)
    b.iloc[10, b.columns.get_loc("close")] = np.nan
    got = only(report(b), "missing_price")
    assert list(got["start"]) == [b.index[10]] and got["column"].iloc[0] == "close"
    b = bars(30)
    b.iloc[12, :4] = 0.0
    b.iloc[20, b.columns.get_loc("low")] = -1.0
    rep = report(b)
    got = rep.of("non_positive_price")
    assert list(got["start"]) == [b.index[12], b.index[20]]
    assert got["column"].iloc[1] == "low"
    assert rep.counts().drop("non_positive_price").sum() == 0


def test_high_below_low() -> None:
    b = bars(30)
    hi, lo = b.iloc[7]["high"], b.iloc[7]["low"]
    b.iloc[7, b.columns.get_loc("high")] = lo
    b.iloc[7, b.columns.get_loc("low")] = hi
    rep = report(b)
    assert list(rep.dates("high_below_low")) == [b.index[7]]


def test_close_and_open_outside_range() -> None:
    b = bars(30)
    b.iloc[5, b.columns.get_loc("close")] = b.iloc[5]["high"] * 1.01
    b.iloc[6, b.columns.get_loc("open")] = b.iloc[6]["low"] * 0.99
    rep = report(b)
    assert list(rep.dates("close_outside_range")) == [b.index[5]]
    assert list(rep.dates("open_outside_range")) == [b.index[6]]
    assert rep.of("close_outside_range")["severity"].iloc[0] == "error"
    assert rep.of("open_outside_range")["severity"].iloc[0] == "warning"


def test_gaps_inferred_and_explicit() -> None:
    b = bars(50).drop(pd.date_range("2021-01-11", "2021-01-13"))
    got = only(report(b), "gap")
    assert len(got) == 1 and got["n_bars"].iloc[0] == 3
    assert got["start"].iloc[0] == pd.Timestamp("2021-01-10")
    assert got["end"].iloc[0] == pd.Timestamp("2021-01-14")
    # hourly bars with a 2-hour hole; freq given explicitly
    h = bars(48, freq="1h").drop(pd.to_datetime(["2021-01-01 05:00", "2021-01-01 06:00"]))
    got = only(report(h, freq="1h"), "gap")
    assert got["n_bars"].iloc[0] == 2
    # the same data declared as 4-hour bars: one interval error, and no gap check on a wrong grid
    got = only(report(h, freq="4h"), "interval")
    assert "bars are 1h apart" in got["detail"].iloc[0] and got["severity"].iloc[0] == "error"


def test_stale_run_threshold_is_configurable() -> None:
    b = bars(40)
    b.iloc[10:14, b.columns.get_loc("close")] = b.iloc[10]["close"]  # 4 identical closes
    b["high"] = b[["high", "close"]].max(axis=1)
    b["low"] = b[["low", "close"]].min(axis=1)
    assert report(b, stale_run=5).counts()["stale"] == 0
    got = only(report(b, stale_run=4), "stale")
    assert got["start"].iloc[0] == b.index[10] and got["end"].iloc[0] == b.index[13]
    assert got["n_bars"].iloc[0] == 4


def test_bad_tick_spike_flagged_but_level_shift_not() -> None:
    b = bars(120, seed=3)
    spike = b.copy()
    spike.iloc[60, spike.columns.get_loc("close")] *= 3.0  # +110% log return, reversed next bar
    spike["high"] = spike[["high", "close"]].max(axis=1)
    got = only(report(spike), "bad_tick")
    assert list(got["start"]) == [b.index[60]]
    # robust sigma of N(0, 0.03) returns is ~0.03, so log(3) = 1.10 is ~37 sigma: a threshold of
    # 50 must not flag it
    assert report(spike, jump_sigma=50).counts()["bad_tick"] == 0
    # a permanent jump (every later price x3) is a move, not a bad tick
    shift = b.copy()
    shift.iloc[60:, :4] *= 3.0
    assert report(shift).counts()["bad_tick"] == 0


def test_validate_warns_with_summary_and_rejects_unusable_input() -> None:
    b = bars(30)
    b.iloc[3, :4] = 0.0
    with pytest.warns(DataQualityWarning, match=r"my.csv: 1 non_positive_price"):
        rd.validate(b, name="my.csv")
    with pytest.raises(DataError, match="no 'close' column"):
        rd.validate(b.drop(columns="close"))
    with pytest.raises(DataError, match="DatetimeIndex"):
        rd.validate(b.reset_index())
    with pytest.raises(DataError, match="no rows"):
        rd.validate(b.iloc[:0])
    with pytest.raises(DataError, match="not numeric"):
        rd.validate(b.assign(close=b["close"].astype(str)))
    with pytest.raises(ConfigError):
        rd.validate(b, stale_run=1)


def test_series_input_is_treated_as_close() -> None:
    s = bars(30)["close"]
    assert rd.validate(s, warn=False).ok


# ------------------------------------------------------------------------- cleaning
def test_drop_duplicate_keep_modes(caplog) -> None:
    b = bars(10)
    extra = b.iloc[[4]].assign(close=b["close"].iloc[4] * 1.01, volume=100.0)
    dup = pd.concat([b.iloc[:5], extra, b.iloc[5:]])
    with caplog.at_level(logging.INFO, logger="riskkit.data"):
        first, ch = rd.drop_duplicate_timestamps(dup, keep="first")
    assert "drop_duplicate_timestamps dropped 1 bar" in caplog.text
    assert first.loc[b.index[4], "close"] == b["close"].iloc[4]
    assert list(ch["date"]) == [b.index[4]] and ch["action"].iloc[0] == "dropped"
    last, _ = rd.drop_duplicate_timestamps(dup, keep="last")
    assert last.loc[b.index[4], "close"] == extra["close"].iloc[0]
    best, _ = rd.drop_duplicate_timestamps(dup, keep="max_volume")
    assert best.loc[b.index[4], "volume"] == 100.0
    assert not best.index.has_duplicates and len(best) == 10


def test_drop_or_blank_nonpositive_and_missing() -> None:
    b = bars(20)
    b.iloc[5, :4] = 0.0
    b.iloc[8, b.columns.get_loc("close")] = np.nan
    dropped, ch = rd.drop_nonpositive_prices(b)
    assert len(dropped) == 19 and list(ch["date"]) == [b.index[5]]
    blanked, ch = rd.drop_nonpositive_prices(b, action="nan")
    assert len(blanked) == 20 and blanked.iloc[5].isna().all()
    assert ch["action"].iloc[0] == "set to NaN"
    out, ch = rd.drop_missing_prices(dropped)
    assert len(out) == 18 and list(ch["date"]) == [b.index[8]]
    with pytest.raises(ConfigError):
        rd.drop_nonpositive_prices(b, action="fill")


def test_drop_inconsistent_bars() -> None:
    b = bars(20)
    b.iloc[3, b.columns.get_loc("close")] = b.iloc[3]["high"] * 2
    b.iloc[4, b.columns.get_loc("open")] = b.iloc[4]["high"] * 2
    out, ch = rd.drop_inconsistent_bars(b)
    assert list(ch["date"]) == [b.index[3]]  # open outside range kept by default
    out, ch = rd.drop_inconsistent_bars(b, include_open=True)
    assert list(ch["date"]) == [b.index[3], b.index[4]] and len(out) == 18


def test_mark_gaps_inserts_nan_rows() -> None:
    b = bars(20).drop(pd.Timestamp("2021-01-05"))
    out, ch = rd.mark_gaps(b, "1D")
    assert len(out) == 20 and out.loc["2021-01-05"].isna().all()
    assert list(ch["date"]) == [pd.Timestamp("2021-01-05")]
    with pytest.raises(DataError, match="sorted index without duplicates"):
        rd.mark_gaps(b.iloc[::-1], "1D")


def test_mask_stale_runs_and_bad_ticks() -> None:
    b = bars(120, seed=3)
    b.iloc[10:16, b.columns.get_loc("close")] = b.iloc[10]["close"]
    b.iloc[60, b.columns.get_loc("close")] *= 3.0
    out, ch = rd.mask_stale_runs(b, stale_run=5)
    assert list(ch["date"]) == list(b.index[11:16])  # first bar of the run kept
    assert out["close"].iloc[10] == b["close"].iloc[10]
    out, ch = rd.mask_bad_ticks(b)
    assert list(ch["date"]) == [b.index[60]] and np.isnan(out["close"].iloc[60])


def test_clean_pipeline_collects_every_change() -> None:
    b = bars(30)
    b.iloc[5, :4] = 0.0
    dup = pd.concat([b.iloc[:10], b.iloc[[9]], b.iloc[10:]]).iloc[::-1]
    out, log = rd.clean(dup)
    assert out.index.is_monotonic_increasing and not out.index.has_duplicates
    assert len(out) == 29
    assert set(log["step"]) == {
        "sort_by_time",
        "drop_duplicate_timestamps",
        "drop_nonpositive_prices",
    }
    assert list(log.columns) == rd.CHANGE_COLUMNS
    # the dropped zero bar leaves a gap, which cleaning reports but never fills
    gaps = only(rd.validate(out, warn=False), "gap")
    assert gaps["start"].iloc[0] == b.index[4] and gaps["end"].iloc[0] == b.index[6]
    with pytest.raises(ConfigError, match="unknown cleaning step"):
        rd.clean(b, steps=["interpolate"])


def test_report_api() -> None:
    b = bars(30)
    b.iloc[5, :4] = 0.0
    rep = report(b)
    assert rep.counts()["non_positive_price"] == 1 and rep.has_errors
    assert "non_positive_price" in repr(rep) and "<p>" in rep._repr_html_()
    assert rep.shape[0] == 1  # DataFrame-like
    with pytest.raises(ConfigError):
        rep.of("nonsense")


def test_range_spike_flags_a_bad_low_but_not_a_crash_or_a_shared_wick() -> None:
    b = bars(120, seed=3)
    # a print far below the bar's body and both neighbours (close untouched: no bad tick)
    bad = b.copy()
    bad.iloc[60, bad.columns.get_loc("low")] = bad["low"].iloc[60] / 5
    got = only(report(bad), "range_spike")
    assert list(got["start"]) == [b.index[60]] and list(got["column"]) == ["low"]
    assert report(bad).counts()["bad_tick"] == 0
    # the same print flagged as a high
    high = b.copy()
    high.iloc[60, high.columns.get_loc("high")] = high["high"].iloc[60] * 5
    assert list(only(report(high), "range_spike")["column"]) == ["high"]
    # a crash: the bar's body holds the fall, every later price stays down
    crash = b.copy()
    crash.iloc[60:, :4] *= 0.5
    crash.iloc[60, crash.columns.get_loc("open")] = b["close"].iloc[59]
    crash.iloc[60, crash.columns.get_loc("high")] = b["close"].iloc[59]
    assert report(crash).counts()["range_spike"] == 0
    # a deep wick the next bar shares is a market move, not one bad print
    shared = b.copy()
    for i in (60, 61):
        shared.iloc[i, shared.columns.get_loc("low")] = shared["close"].iloc[i] / 5
    assert report(shared).counts()["range_spike"] == 0


def test_range_spike_flags_bitstamp_btc_2016_06_23() -> None:
    # Bitstamp BTC 2016-06-23: open 600.51, low 1.50 (Coinbase's low that day was 544.13);
    # the close-only bad-tick check cannot see it (issue 17)
    from riskkit import datasets

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DataQualityWarning)
        raw = datasets.load_ohlcv("BTC", "bitstamp", clean=False)
    issues = rd.validate(raw, warn=False).issues
    got = issues[issues["check"] == "range_spike"]
    row = got[got["start"] == pd.Timestamp("2016-06-23")]
    assert len(row) == 1 and row["column"].iloc[0] == "low"
    assert "low 1.5 against open 600.51" in row["detail"].iloc[0]


def test_clip_range_spikes_pulls_the_bad_low_back_to_the_body() -> None:
    from riskkit.data.cleaning import clip_range_spikes

    b = bars(120, seed=3)
    bad = b.copy()
    bad.iloc[60, bad.columns.get_loc("low")] = bad["low"].iloc[60] / 5
    bad.iloc[90, bad.columns.get_loc("high")] = bad["high"].iloc[90] * 5
    out, changes = clip_range_spikes(bad)
    # by hand: the flagged low becomes min(open, close), the flagged high max(open, close)
    assert out["low"].iloc[60] == min(b["open"].iloc[60], b["close"].iloc[60])
    assert out["high"].iloc[90] == max(b["open"].iloc[90], b["close"].iloc[90])
    assert list(changes["date"]) == [b.index[60], b.index[90]]
    untouched = out.drop(index=[b.index[60], b.index[90]])
    pd.testing.assert_frame_equal(untouched, bad.drop(index=[b.index[60], b.index[90]]))
    assert report(out).counts()["range_spike"] == 0
    # nothing flagged, nothing changed
    same, none = clip_range_spikes(b)
    pd.testing.assert_frame_equal(same, b)
    assert none.empty
    with pytest.raises(DataError, match="high"):
        clip_range_spikes(b[["open", "close"]])


def test_clip_range_spikes_on_bitstamp_btc_2016_06_23() -> None:
    # issue 17: the 1.50 USD low becomes the bar's body low, min(open 600.51, close 624.91)
    from riskkit import datasets
    from riskkit.data.cleaning import clip_range_spikes

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DataQualityWarning)
        raw = datasets.load_ohlcv("BTC", "bitstamp", start="2016-01-01")
    out, changes = clip_range_spikes(raw)
    day = pd.Timestamp("2016-06-23")
    assert day in set(changes["date"])
    assert out.loc[day, "low"] == min(raw.loc[day, "open"], raw.loc[day, "close"]) == 600.51
