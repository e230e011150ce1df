"""Perpetual feeds (funding rates; mark, index and premium klines), the series derived from them
(basis, funding accrual) and the cross-source comparison of two feeds.

Every file here is built by code in the layout the exchange exports (Binance's funding archive
``calc_time,funding_interval_hours,last_funding_rate`` with millisecond jitter in ``calc_time``;
Binance's 12-column kline CSV, with and without the header row, ``open_time`` in ms or, from
2025, us; Binance's REST funding layout; plain CSV). Expected values are computed by hand from
the numbers planted (a feed shifted by 2 bars has lag 2; a planted run of 5 equal closes is one
stale stretch with its dates; a planted 3% deviation is found on its days), never by the code
under test.
"""

from __future__ import annotations

import logging
import warnings

import numpy as np
import pandas as pd
import pytest

from riskkit import data as rd
from riskkit.cli import main
from riskkit.exceptions import ConfigError, DataError, DataQualityWarning


# ----------------------------------------------------------------------------- file builders
def funding_csv(path, times, rates, hours=8, jitter_ms=None, header=True) -> None:
    """A Binance funding-rate archive CSV (calc_time in ms, optional ms jitter)."""
    jitter = np.zeros(len(times), dtype=int) if jitter_ms is None else np.asarray(jitter_ms)
    hours = np.broadcast_to(np.asarray(hours), (len(times),))
    lines = ["calc_time,funding_interval_hours,last_funding_rate"] if header else []
    for t, j, h, r in zip(times, jitter, hours, rates, strict=True):
        lines.append(f"{int(pd.Timestamp(t).timestamp()) * 1000 + int(j)},{int(h)},{r:.8f}")
    path.write_text("\n".join(lines) + "\n")


def kline_lines(frame: pd.DataFrame, unit: str = "ms") -> list[str]:
    """Rows of a Binance kline CSV (12 fields) for bars ``frame`` (open..close, volume)."""
    scale = {"ms": 1_000, "us": 1_000_000}[unit]
    step = frame.index[1] - frame.index[0]
    vol = frame["volume"] if "volume" in frame else pd.Series(0.0, index=frame.index)
    out = []
    for t, r in frame.iterrows():
        ot = int(t.timestamp()) * scale
        ct = int((t + step).timestamp()) * scale - 1
        v = vol[t]
        out.append(
            f"{ot},{r['open']:.8f},{r['high']:.8f},{r['low']:.8f},{r['close']:.8f},{v:.8f},"
            f"{ct},{v * r['close']:.8f},60,0,0,0"
        )
    return out


def bars(index: pd.DatetimeIndex, seed: int, level: float = 40000.0, vol: float = 0.01):
    rng = np.random.default_rng(seed)
    close = np.round(level * np.exp(np.cumsum(rng.normal(0, vol, len(index)))), 2)
    open_ = np.concatenate([[level], close[:-1]])
    return pd.DataFrame(
        {
            "open": open_,
            "high": np.round(np.maximum(open_, close) * 1.002, 2),
            "low": np.round(np.minimum(open_, close) * 0.998, 2),
            "close": close,
        },
        index=pd.DatetimeIndex(index, name="date"),
    )


def walk(n: int, seed: int, start: str = "2021-01-01", freq: str = "1D") -> pd.Series:
    rng = np.random.default_rng(seed)
    idx = pd.date_range(start, periods=n, freq=freq, name="date")
    return pd.Series(30000 * np.exp(np.cumsum(rng.normal(0, 0.02, n))), index=idx, name="close")


# ----------------------------------------------------------------------------- funding
def test_binance_funding_archive_with_ms_jitter_snaps_and_reports_no_gap(tmp_path, caplog):
    # the issue: 8-hour funding with ms jitter gave 2,077 false "0 missing bar(s)" gaps
    times = pd.date_range("2019-09-01", periods=300, freq="8h")
    rng = np.random.default_rng(1)
    rates = np.round(rng.normal(1e-4, 5e-5, len(times)), 8)
    jitter = rng.integers(0, 30, len(times))  # 0-29 ms after the hour, as in Binance's files
    jitter[0] = 7
    path = tmp_path / "BTCUSDT-fundingRate-2019-09.csv"
    funding_csv(path, times, rates, jitter_ms=jitter)
    with caplog.at_level(logging.INFO, logger="riskkit.data"):
        with warnings.catch_warnings():
            warnings.simplefilter("error", DataQualityWarning)  # clean file: no warning at all
            fr = rd.read_funding(path)
    assert list(fr.columns) == ["funding_rate", "funding_interval_hours"]
    pd.testing.assert_index_equal(
        fr.index, pd.DatetimeIndex(times, name="date"), exact=False, check_freq=False
    )
    np.testing.assert_array_equal(fr["funding_rate"].to_numpy(), rates)
    assert (fr["funding_interval_hours"] == 8).all()
    n_jittered = int((jitter != 0).sum())
    assert f"snapped {n_jittered} funding time(s)" in caplog.text
    assert f"largest shift {jitter.max() / 1000:.3f} s" in caplog.text
    report = rd.validate_funding(fr, warn=False)
    assert report.ok and report.freq == pd.Timedelta("8h")


def test_plain_funding_csv_at_4h_and_1h(tmp_path):
    times = pd.date_range("2024-01-01", periods=60, freq="4h")
    rates = np.linspace(-2e-4, 3e-4, 60)
    iso = tmp_path / "fund_4h.csv"
    iso.write_text(
        "timestamp,funding_rate\n"
        + "\n".join(f"{t:%Y-%m-%d %H:%M:%S},{r:.10f}" for t, r in zip(times, rates, strict=True))
    )
    fr = rd.read_funding(iso)
    assert (fr["funding_interval_hours"] == 4).all()  # inferred: the file has no interval column
    np.testing.assert_allclose(fr["funding_rate"], rates, rtol=0, atol=1e-10)  # 10 decimals
    hourly = pd.date_range("2024-01-01", periods=48, freq="1h")
    sec = tmp_path / "fund_1h.csv"
    sec.write_text(
        "time;rate\n" + "\n".join(f"{int(t.timestamp())};0.0000125" for t in hourly) + "\n"
    )
    fr1 = rd.read_funding(sec, {"sep": ";", "interval": "1h"})
    assert len(fr1) == 48 and (fr1["funding_interval_hours"] == 1).all()
    assert fr1.index[0] == pd.Timestamp("2024-01-01")


def test_binance_rest_layout_keeps_mark_price_and_refuses_two_symbols(tmp_path):
    times = pd.date_range("2023-05-01", periods=6, freq="8h")
    rows = [
        f"BTCUSDT,{int(t.timestamp() * 1000) + 3},0.00010000,2890{k}.5" for k, t in enumerate(times)
    ]
    path = tmp_path / "rest.csv"
    path.write_text("symbol,fundingTime,fundingRate,markPrice\n" + "\n".join(rows) + "\n")
    fr = rd.read_funding(path)
    assert fr.index[0] == pd.Timestamp("2023-05-01") and fr["mark_price"].iloc[1] == 28901.5
    two = tmp_path / "two.csv"
    two.write_text(
        "symbol,fundingTime,fundingRate\n"
        f"BTCUSDT,{int(times[0].timestamp() * 1000)},0.0001\n"
        f"ETHUSDT,{int(times[0].timestamp() * 1000)},0.0001\n"
    )
    with pytest.raises(DataError, match=r"two\.csv, column 'symbol': 2 symbols"):
        rd.read_funding(two)


def test_interval_change_is_not_a_gap_but_a_missing_event_is(tmp_path):
    # 8h until 2024-03-05 00:00, then 4h (a venue shortening the interval), one 4h event missing
    first = pd.date_range("2024-03-01", "2024-03-05", freq="8h")
    second = pd.date_range("2024-03-05 04:00", periods=30, freq="4h")
    times = first.append(second)
    hours = np.r_[np.full(len(first), 8), np.full(len(second), 4)]
    drop = 10  # the 4h event at 2024-03-06 20:00
    removed = second[drop]
    keep = ~times.isin([removed])
    path = tmp_path / "change.csv"
    funding_csv(path, times[keep], np.full(keep.sum(), 1e-4), hours=hours[keep])
    with pytest.warns(DataQualityWarning, match="1 gap"):
        fr = rd.read_funding(path)
    gaps = rd.validate_funding(fr, warn=False).of("gap")
    assert len(gaps) == 1
    g = gaps.iloc[0]
    assert g["start"] == removed - pd.Timedelta("4h") and g["end"] == removed + pd.Timedelta("4h")
    assert g["n_bars"] == 1 and "4h" in g["detail"]


def test_funding_defects_are_named_with_dates(tmp_path):
    times = pd.date_range("2022-01-01", periods=30, freq="8h")
    rates = np.full(30, 1e-4)
    rates[7] = 0.05  # beyond the 3% sanity cap
    t = list(times)
    t[12] = t[12] + pd.Timedelta("5min")  # jitter far beyond the 1-minute tolerance
    del t[20:23]  # three funding events missing
    rates = np.delete(rates, [20, 21, 22])
    t.append(t[-1])  # a duplicated last event
    rates = np.append(rates, rates[-1])
    path = tmp_path / "defects.csv"
    funding_csv(path, t, rates)
    with pytest.warns(DataQualityWarning, match="1 duplicate.*1 off_grid.*1 gap.*1 beyond_cap"):
        fr = rd.read_funding(path)
    rep = rd.validate_funding(fr, warn=False)
    assert rep.of("beyond_cap")["start"].tolist() == [times[7]]
    assert rep.of("off_grid")["start"].tolist() == [times[12] + pd.Timedelta("5min")]
    assert fr.index[12] == times[12] + pd.Timedelta("5min")  # beyond tolerance: kept as is
    gap = rep.of("gap").iloc[0]
    assert (gap["start"], gap["end"], gap["n_bars"]) == (times[19], times[23], 3)
    assert rep.of("duplicate")["start"].tolist() == [times[-1]]
    assert rep.counts()["off_grid"] == 1 and rep.has_errors  # a duplicate is an error
    # a tighter cap is the venue's own cap
    assert len(rd.validate_funding(fr, cap=1e-5, warn=False).of("beyond_cap")) == len(fr)


def test_funding_file_errors_name_file_column_and_line(tmp_path):
    path = tmp_path / "bad.csv"
    path.write_text(
        "calc_time,funding_interval_hours,last_funding_rate\n"
        "1704067200000,8,0.0001\n1704096000000,8,oops\n"
    )
    with pytest.raises(
        DataError, match=r"bad\.csv, column 'last_funding_rate'.*'oops'.* at line 3"
    ):
        rd.read_funding(path)
    nocol = tmp_path / "nocol.csv"
    nocol.write_text("timestamp,close\n2024-01-01,1\n")
    with pytest.raises(DataError, match=r"no funding-rate column.*columns=\{'<name>'"):
        rd.read_funding(nocol)
    with pytest.raises(DataError, match="no funding-rate column.*--column <name>=funding_rate"):
        rd.read_funding(nocol, audience="cli")  # the CLI user is told the flag
    mapped = rd.read_funding(nocol, {"columns": {"close": "funding_rate"}}, check=False)
    assert mapped["funding_rate"].iloc[0] == 1.0
    with pytest.raises(ConfigError, match="targets are"):
        rd.read_funding(nocol, {"columns": {"close": "open"}})
    with pytest.raises(DataError, match="file not found"):
        rd.read_funding(tmp_path / "absent.csv")
    with pytest.raises(ConfigError, match="tolerance"):
        rd.read_funding(nocol, {"columns": {"close": "funding_rate"}}, tolerance="-1s")


def test_unsorted_funding_is_sorted_with_a_warning(tmp_path):
    times = pd.date_range("2022-01-01", periods=9, freq="8h")
    order = [0, 1, 2, 5, 3, 4, 6, 7, 8]
    path = tmp_path / "unsorted.csv"
    funding_csv(path, times[order], np.arange(9, dtype=float)[order] * 1e-5)
    with pytest.warns(DataQualityWarning, match="not in time order"):
        fr = rd.read_funding(path)
    np.testing.assert_allclose(fr["funding_rate"], np.arange(9) * 1e-5)


# ----------------------------------------------------------------------------- klines
def test_binance_mark_klines_without_header_in_ms(tmp_path):
    frame = bars(pd.date_range("2024-06-01", periods=48, freq="1h"), seed=2)
    path = tmp_path / "BTCUSDT-1h-2024-06-01.csv"  # markPriceKlines: no header, volume 0
    path.write_text("\n".join(kline_lines(frame, "ms")) + "\n")
    with warnings.catch_warnings():
        warnings.simplefilter("error", DataQualityWarning)
        got = rd.read_klines(path, kind="mark")
    pd.testing.assert_frame_equal(got, frame, check_freq=False, check_index_type=False)


def test_binance_index_klines_with_header_in_us_and_trade_keeps_volume(tmp_path):
    frame = bars(pd.date_range("2025-02-01", periods=30, freq="1D"), seed=3)
    path = tmp_path / "index.csv"
    path.write_text(",".join(rd.KLINE_COLUMNS) + "\n" + "\n".join(kline_lines(frame, "us")))
    got = rd.read_klines(path, "index")
    pd.testing.assert_frame_equal(got, frame, check_freq=False, check_index_type=False)
    traded = frame.assign(volume=np.arange(1.0, 31.0))
    tpath = tmp_path / "trade.csv"
    tpath.write_text("\n".join(kline_lines(traded, "us")) + "\n")
    got = rd.read_klines(tpath)  # kind="trade"
    np.testing.assert_array_equal(got["volume"], np.arange(1.0, 31.0))


def test_premium_klines_negative_values_and_their_checks(tmp_path):
    idx = pd.date_range("2024-01-01", periods=40, freq="8h")
    rng = np.random.default_rng(4)
    close = rng.normal(-2e-4, 3e-4, 40)  # premium index: small fractions, often negative
    prem = pd.DataFrame(
        {"open": close, "high": close + 1e-4, "low": close - 1e-4, "close": close},
        index=pd.DatetimeIndex(idx, name="date"),
    )
    path = tmp_path / "premium.csv"
    path.write_text("\n".join(kline_lines(prem)) + "\n")
    with warnings.catch_warnings():
        warnings.simplefilter("error", DataQualityWarning)  # negative values are no defect
        got = rd.read_klines(path, "premium")
    np.testing.assert_allclose(got["close"], close, atol=1e-8)
    assert "volume" not in got.columns
    bad = prem.copy()
    bad.iloc[5, bad.columns.get_loc("high")] = bad["low"].iloc[5] - 1e-4  # high below low
    bad.iloc[9] = 0.08  # 8% premium: beyond the 5% bound
    bad = bad.drop(bad.index[[20, 21]])  # two bars missing
    rep = rd.validate_feed(bad, "premium", warn=False)
    assert rep.of("high_below_low")["start"].tolist() == [idx[5]]
    assert rep.of("beyond_cap")["start"].tolist() == [idx[9]]
    gap = rep.of("gap").iloc[0]
    assert (gap["start"], gap["end"], gap["n_bars"]) == (idx[19], idx[22], 2)
    assert set(rep.issues["check"]) == {"high_below_low", "beyond_cap", "gap"}
    # mark bars are prices: validate() checks them, a non-positive one is an error
    assert rd.validate_feed(prem + 1.0, "mark", warn=False).ok
    assert rd.validate_feed(prem, "mark", warn=False).of("non_positive_price").shape[0] > 0
    with pytest.raises(ConfigError, match="cap applies"):
        rd.validate_feed(prem, "mark", cap=0.1)


def test_plain_csv_klines_and_layout_errors(tmp_path):
    path = tmp_path / "mark_plain.csv"
    path.write_text("timestamp,close\n2024-01-01,100\n2024-01-02,101\n2024-01-03,102\n")
    got = rd.read_klines(path, "mark")
    assert got["close"].tolist() == [100.0, 101.0, 102.0] and list(got.columns) == ["close"]
    seven = tmp_path / "seven.csv"
    seven.write_text("1704067200000,1,2,0.5,1.5,0,1704153599999\n")
    with pytest.raises(DataError, match="a Binance kline file without header has 12"):
        rd.read_klines(seven, "mark")
    with pytest.raises(ConfigError, match="kind must be one of"):
        rd.read_klines(path, "funding")


# ----------------------------------------------------------------------------- derived
def test_basis_by_hand_and_alignment():
    idx = pd.date_range("2024-01-01", periods=4, freq="8h", name="date")
    mark = pd.Series([101.0, 99.0, 100.5, 100.0], index=idx)
    index = pd.DataFrame({"close": [100.0, 100.0, 100.0]}, index=idx[[0, 1, 2]])
    b = rd.basis(mark, index)
    # (101-100)/100, (99-100)/100, (100.5-100)/100; the 4th bar has no index price
    np.testing.assert_allclose(b.to_numpy(), [0.01, -0.01, 0.005], rtol=0, atol=1e-15)
    assert b.name == "basis" and list(b.index) == list(idx[:3])
    with pytest.raises(DataError, match="non-positive"):
        rd.basis(mark, index.assign(close=[100.0, 0.0, 100.0]))
    with pytest.raises(DataError, match="no timestamp in common"):
        rd.basis(mark, index.shift(1, freq="1h"))


def test_funding_accrual_by_hand():
    idx = pd.date_range("2024-01-01", periods=12, freq="8h", name="date")
    rates = pd.Series(np.arange(1, 13) * 1e-4, index=idx)
    one_day = rd.funding_accrual(rates, "1D")
    # window (t - 24h, t] holds the events t-16h, t-8h, t: k-1 + k + k+1 (x 1e-4), from the 3rd
    expected = [np.nan, np.nan] + [(3 * k) * 1e-4 for k in range(2, 12)]
    np.testing.assert_allclose(one_day.to_numpy(), expected, rtol=1e-12)
    two_days = rd.funding_accrual(rates.to_frame("funding_rate"), "2D")
    assert two_days.iloc[:5].isna().all() and two_days.iloc[5] == pytest.approx(21e-4)
    negative = rd.funding_accrual(-rates, "8h")  # shorts pay: negative accrual
    np.testing.assert_allclose(negative.to_numpy(), -rates.to_numpy())
    with pytest.raises(ConfigError, match="horizon"):
        rd.funding_accrual(rates, "0h")
    with pytest.raises(DataError, match="duplicate"):
        rd.funding_accrual(pd.concat([rates, rates.iloc[:1]]).sort_index(), "1D")


# ----------------------------------------------------------------------------- comparison
def test_shifted_feed_gives_its_lag():
    a = walk(400, seed=5)
    b = a.shift(2)  # b shows a's price two bars later
    cmp = rd.compare_feeds(a, b, names=("venue", "late"))
    assert cmp.lag == 2 and cmp.lag_correlation == pytest.approx(1.0)
    early = rd.compare_feeds(a, a.shift(-3))
    assert early.lag == -3
    assert "late late" in cmp.summary()


def test_planted_stale_run_and_deviation_days_and_missing_bars():
    b = walk(300, seed=6)
    a = b.copy()
    a.iloc[100:105] = a.iloc[100]  # frozen for 5 bars
    planted = b.index[[30, 150, 151]]
    a[planted] = b[planted] * 1.03  # a 3% deviation on three known days
    b_cut = b.drop(b.index[[50, 51, 52]])
    a_cut = a.drop(a.index[200])
    cmp = rd.compare_feeds(a_cut, b_cut, threshold=0.02, names=("x", "ref"))
    # beyond 2%: the planted days, and the stale bars where the reference moved more than 2%
    stale_dates = b.index[101:105]
    moved = stale_dates[np.abs(a[stale_dates] / b[stale_dates] - 1) > 0.02]
    assert set(cmp.beyond.index) == set(planted) | set(moved)
    np.testing.assert_allclose(cmp.beyond.loc[planted, "deviation"], 0.03, rtol=1e-12)
    st = cmp.stale
    assert len(st) == 1
    row = st.iloc[0]
    assert (row["feed"], row["start"], row["end"], row["n_bars"]) == (
        "x",
        b.index[100],
        b.index[104],
        5,
    )
    assert row["other_return"] == pytest.approx(np.log(b.iloc[104] / b.iloc[100]))
    miss = cmp.missing
    assert miss[["feed", "start", "end", "n_bars"]].values.tolist() == [
        ["ref", b.index[50], b.index[52], 3],
        ["x", b.index[200], b.index[200], 1],
    ]
    assert cmp.n_common == 300 - 4
    table = cmp.to_frame()
    assert list(table.columns) == rd.COMPARISON_COLUMNS
    assert table["check"].value_counts()["beyond_threshold"] == len(cmp.beyond)
    assert (table.query("check == 'stale'")["feed"] == "x").all()


def test_deviation_quantiles_by_hand():
    idx = pd.date_range("2022-01-01", periods=101, freq="1D")
    b = pd.Series(100.0 + np.arange(101) % 7, index=idx)
    a = b * (1 + np.arange(101) / 1000)  # |a - b| / b = k / 1000, k = 0..100
    cmp = rd.compare_feeds(a, b, threshold=0.095, quantiles=(0.5, 0.9, 1.0))
    # order statistics of 0, 0.001, ..., 0.1: median 0.05, 90th percentile 0.09, max 0.1
    np.testing.assert_allclose(cmp.quantiles.to_numpy(), [0.05, 0.09, 0.1], rtol=1e-12)
    assert list(cmp.beyond.index) == list(idx[96:])  # 0.096 ... 0.1


def test_compare_feeds_refuses_what_it_cannot_compare():
    a = walk(50, seed=7)
    with pytest.raises(DataError, match="do not overlap"):
        rd.compare_feeds(a, walk(50, seed=8, start="2022-01-01"))
    moved = a.rename(index={a.index[10]: a.index[10] + pd.Timedelta("6h")})
    with pytest.raises(DataError, match="b: 1 timestamp.* off the 1D grid"):
        rd.compare_feeds(a, moved)
    with pytest.raises(DataError, match="duplicate timestamps"):
        rd.compare_feeds(pd.concat([a, a.iloc[:1]]).sort_index(), a)
    with pytest.raises(DataError, match="non-positive"):
        rd.compare_feeds(a.where(a.index != a.index[3], 0.0), a)
    with pytest.raises(ConfigError, match="threshold"):
        rd.compare_feeds(a, a, threshold=0.5 * -1)
    with pytest.raises(ConfigError, match="two different labels"):
        rd.compare_feeds(a, a, names=("same", "same"))


def test_two_bundled_venues_agree_in_time():
    # real data: Bitstamp vs Coinbase Pro daily BTC closes move together on the same day
    from riskkit.datasets import load_ohlcv

    cmp = rd.compare_feeds(
        load_ohlcv("BTC", "bitstamp"), load_ohlcv("BTC", "coinbase-pro"), names=("bs", "cb")
    )
    assert cmp.lag == 0 and cmp.lag_correlation > 0.9
    assert cmp.quantiles[0.5] < 0.005  # a typical day: closes within 0.5% of each other


# ----------------------------------------------------------------------------- command line
def _two_feeds(tmp_path):
    b = walk(120, seed=9)
    a = b.shift(1).dropna()  # a is one bar late
    a.iloc[40:46] = a.iloc[40]  # and frozen for 6 bars
    pa, pb = tmp_path / "venue_a.csv", tmp_path / "venue_b.csv"
    a.rename("close").to_frame().to_csv(pa)
    b.rename("close").to_frame().to_csv(pb)
    return a, b, pa, pb


def test_cli_compare_feeds_on_two_files(tmp_path, capsys):
    a, b, pa, pb = _two_feeds(tmp_path)
    out = tmp_path / "cmp.csv"
    assert main(["compare-feeds", str(pb), str(pa), "--threshold", "0.01", "--csv", str(out)]) == 0
    text = capsys.readouterr().out
    assert "best lag: 1 bar(s) (venue_a.csv late)" in text
    assert "venue_a.csv: 1 stale stretch(es) (6 bars)" in text
    table = pd.read_csv(out, parse_dates=["start", "end"])
    assert list(table.columns) == rd.COMPARISON_COLUMNS
    stale = table[table["check"] == "stale"].iloc[0]
    assert (stale["feed"], stale["start"], stale["n_bars"]) == ("venue_a.csv", a.index[40], 6)


def test_cli_refuses_to_overwrite_an_input_and_names_missing_files(tmp_path, capsys):
    _, _, pa, pb = _two_feeds(tmp_path)
    before = pa.read_bytes()
    assert main(["compare-feeds", str(pa), str(pb), "--csv", str(pa)]) == 2
    assert main(["validate-data", str(pa), "--compare-with", str(pb), "--csv", str(pb)]) == 2
    assert pa.read_bytes() == before
    err = capsys.readouterr().err
    assert "--csv" in err and "input file" in err and "Traceback" not in err
    assert main(["compare-feeds", str(pa), str(tmp_path / "absent.csv")]) == 1
    assert "absent.csv: file not found" in capsys.readouterr().err


def test_cli_compare_feeds_reads_both_files_with_the_read_option_flags(tmp_path, capsys):
    # a vendor export: ';'-separated, the close named "Px", timestamps in epoch milliseconds
    a, b, _, _ = _two_feeds(tmp_path)
    paths = []
    for name, feed in (("vendor_b.txt", b), ("vendor_a.txt", a)):  # A is the later feed
        ms = ((feed.index - pd.Timestamp(0)) // pd.Timedelta("1ms")).astype(str)
        path = tmp_path / name
        lines = ["stamp;Px"] + [f"{t};{v:.2f}" for t, v in zip(ms, feed, strict=True)]
        path.write_text("\n".join(lines) + "\n")
        paths.append(str(path))
    # without the flags neither the close nor the timestamp column is found: refused, naming
    # the flag to use
    assert main(["compare-feeds", *paths]) == 1
    err = capsys.readouterr().err
    assert "no close price column" in err and "--column" in err and "Traceback" not in err
    assert main(["compare-feeds", *paths, "--column", "Px=close"]) == 1
    assert "no timestamp column" in (err := capsys.readouterr().err) and "--timestamp" in err
    flags = ["--sep", ";", "--timestamp", "stamp", "--unit", "ms", "--column", "Px=close"]
    assert main(["compare-feeds", *paths, "--threshold", "0.01", *flags]) == 0
    text = capsys.readouterr().out
    assert "best lag: 1 bar(s) (vendor_a.txt late)" in text
    assert "vendor_a.txt: 1 stale stretch(es) (6 bars)" in text
    # the declared interval is checked against both files (daily bars, not hourly)
    assert main(["compare-feeds", *paths, *flags, "--interval", "1h"]) == 1
    err = capsys.readouterr().err
    assert "--interval" in err and "Traceback" not in err
    # a bad option value is a usage error naming the flag
    assert main(["compare-feeds", *paths, *flags, "--unit", "days"]) == 2
    assert "--unit" in capsys.readouterr().err


def test_cli_validate_data_compare_with_writes_the_comparison(tmp_path, capsys):
    _, _, pa, pb = _two_feeds(tmp_path)
    out = tmp_path / "defects.csv"
    code = main(["validate-data", str(pa), "--compare-with", str(pb), "--csv", str(out)])
    text = capsys.readouterr().out
    assert code == 0 and "venue_a.csv vs venue_b.csv" in text
    cmp = pd.read_csv(tmp_path / "defects_feed_comparison.csv")
    assert set(cmp["check"]) >= {"span", "deviation_quantile", "lag", "stale"}


def test_cli_validate_data_funding_and_premium_files(tmp_path, capsys):
    times = pd.date_range("2021-01-01", periods=40, freq="8h")
    rates = np.full(40, 1e-4)
    rates[3] = -0.04
    path = tmp_path / "funding.csv"
    funding_csv(path, np.delete(times, [10, 11]), np.delete(rates, [10, 11]), jitter_ms=None)
    assert main(["validate-data", "--kind", "funding", str(path)]) == 0  # warnings only
    text = capsys.readouterr().out
    assert "1 gap, 1 beyond_cap" in text and "2 missing 8h step(s)" in text
    out = tmp_path / "issues.csv"
    assert (
        main(["validate-data", "--kind", "funding", "--cap", "0.05", str(path), "--csv", str(out)])
        == 0
    )
    assert pd.read_csv(out)["check"].tolist() == ["gap"]
    # a funding file read as prices is refused with the reason, not a traceback
    assert main(["validate-data", str(path)]) == 1
    err = capsys.readouterr().err
    assert "no close price column" in err and "add --kind funding" in err
    idx = pd.date_range("2024-01-01", periods=20, freq="1h")
    prem = pd.DataFrame(
        {c: np.full(20, -3e-4) for c in ("open", "high", "low", "close")}, index=idx
    )
    ppath = tmp_path / "premium.csv"
    ppath.write_text("\n".join(kline_lines(prem)) + "\n")
    assert main(["validate-data", "--kind", "premium", str(ppath)]) == 0
    assert "no defects" in capsys.readouterr().out
    assert main(["validate-data", "--kind", "mark", str(ppath)]) == 1  # negative "prices"


# ----------------------------------------------------------------------------- calibration run
def _no_calibration(asset, ohlcv, settings, **kwargs):
    """A calibrator that stops at once: the test is about the data stage only."""
    from riskkit.exceptions import ModelError

    raise ModelError(f"{asset}: not calibrated in this test")


def test_run_writes_feed_comparison_for_reference_files(tmp_path):
    from riskkit.config import load_config
    from riskkit.datasets import load_ohlcv
    from riskkit.run import run_calibration

    ref = tmp_path / "btc_coinbase.csv"
    load_ohlcv("BTC", "coinbase-pro", start="2020-01-01").to_csv(ref)
    broken = tmp_path / "eth_broken.csv"
    broken.write_text("when,what\n2020-01-01,x\n")
    cfg = tmp_path / "cfg.yaml"
    cfg.write_text(
        "name: refs\n"
        "data: {source: bundled, exchange: bitstamp, start: 2020-01-01, reference_files: "
        f"{{BTC: {ref}, ETH: {broken}}}}}\n"
        "assets: [BTC, ETH]\n"
        f"output: {{directory: {tmp_path / 'runs'}, figure_formats: []}}\n"
        "run: {executor: serial}\n"
        "report: false\n"
    )
    result = run_calibration(load_config(cfg), calibrator=_no_calibration)
    table = pd.read_csv(result.run_dir / "feed_comparison.csv", parse_dates=["start", "end"])
    assert list(table.columns) == ["asset", *rd.COMPARISON_COLUMNS]
    btc = table[table["asset"] == "BTC"]
    span = btc[btc["check"] == "span"].set_index("feed")
    assert list(span.index) == ["bitstamp", "btc_coinbase.csv"]
    assert span.loc["bitstamp", "start"] == pd.Timestamp("2020-01-01")
    lag = btc[btc["check"] == "lag"].iloc[0]
    assert lag["value"] == 0
    eth = table[table["asset"] == "ETH"]
    assert eth["check"].tolist() == ["error"] and "no close price column" in eth["detail"].iloc[0]


def test_reference_files_are_read_with_the_read_options_of_the_data_section(tmp_path):
    from riskkit.config import load_config
    from riskkit.datasets import load_ohlcv
    from riskkit.run import load_run, run_calibration

    ref = tmp_path / "btc_vendor.csv"
    vendor = load_ohlcv("BTC", "coinbase-pro", start="2020-06-01")[["close"]]
    vendor.rename(columns={"close": "Px"}).to_csv(ref, sep=";")

    def run(columns: str):
        cfg = tmp_path / "cfg.yaml"
        cfg.write_text(
            "name: refs\n"
            "data: {source: bundled, exchange: bitstamp, start: 2020-06-01, "
            f"reference_files: {{BTC: {ref}}}{columns}}}\n"
            "assets: [BTC]\n"
            f"output: {{directory: {tmp_path / 'runs'}, figure_formats: []}}\n"
            "run: {executor: serial}\n"
            "report: false\n"
        )
        result = run_calibration(load_config(cfg), calibrator=_no_calibration)
        return result.run_dir

    # the file's close column is "Px": not found by name ...
    table = pd.read_csv(run("") / "feed_comparison.csv")
    assert table["check"].tolist() == ["error"] and "no close price column" in table["detail"][0]
    # ... read once data.columns maps it (a read option, allowed with any source here)
    run_dir = run(", columns: {Px: close}")
    table = pd.read_csv(run_dir / "feed_comparison.csv")
    assert "error" not in set(table["check"])
    # the run record (behind the report notebook) reads the same table, dates as timestamps
    got = load_run(run_dir).feed_comparison()
    assert list(got.columns) == ["asset", *rd.COMPARISON_COLUMNS]
    assert got["start"].dtype.kind == "M" and got["check"].tolist() == table["check"].tolist()
    lag = table[table["check"] == "lag"].iloc[0]
    assert lag["value"] == 0
    span = table[table["check"] == "span"].set_index("feed")
    assert list(span.index) == ["bitstamp", "btc_vendor.csv"]


def test_zip_archives_as_binance_publishes_them(tmp_path):
    import zipfile

    times = pd.date_range("2024-02-01", periods=87, freq="8h")
    csv = tmp_path / "BTCUSDT-fundingRate-2024-02.csv"
    funding_csv(csv, times, np.full(87, 5e-5), jitter_ms=np.full(87, 3))
    zpath = tmp_path / "BTCUSDT-fundingRate-2024-02.zip"
    with zipfile.ZipFile(zpath, "w") as zf:
        zf.write(csv, csv.name)
    fr = rd.read_funding(zpath)
    assert list(fr.index) == list(times) and (fr["funding_rate"] == 5e-5).all()
    frame = bars(pd.date_range("2024-02-01", periods=29, freq="1D"), seed=13)
    kcsv = tmp_path / "BTCUSDT-1d-2024-02.csv"
    kcsv.write_text("\n".join(kline_lines(frame)) + "\n")
    kzip = tmp_path / "BTCUSDT-1d-2024-02.zip"
    with zipfile.ZipFile(kzip, "w") as zf:
        zf.write(kcsv, kcsv.name)
    got = rd.read_klines(kzip, "index")
    pd.testing.assert_frame_equal(got, frame, check_freq=False, check_index_type=False)
