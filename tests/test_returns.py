"""riskkit.returns: returns, gap handling, OHLCV resampling, h-period returns, annualisation."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats

from riskkit import returns as rr
from riskkit.exceptions import ConfigError, DataError, DataQualityWarning


def prices(n: int = 100, seed: int = 1, freq: str = "1D") -> pd.Series:
    rng = np.random.default_rng(seed)
    idx = pd.date_range("2022-01-01", periods=n, freq=freq, name="date")
    return pd.Series(100 * np.exp(np.cumsum(rng.normal(0, 0.02, n))), index=idx, name="X")


def test_periods_per_year_constants() -> None:
    assert rr.PERIODS_PER_YEAR_CRYPTO == 365 and rr.PERIODS_PER_YEAR_EQUITY == 252


def test_log_and_simple_returns_match_numpy() -> None:
    p = prices()
    lr = rr.log_returns(p)
    sr = rr.simple_returns(p)
    a = p.to_numpy()
    np.testing.assert_allclose(lr.to_numpy(), np.log(a[1:] / a[:-1]), atol=1e-14)
    np.testing.assert_allclose(sr.to_numpy(), a[1:] / a[:-1] - 1, atol=1e-14)
    assert lr.index[0] == p.index[1] and lr.name == "X"  # labelled by the later bar
    np.testing.assert_allclose(rr.log_to_simple(lr), sr, atol=1e-14)
    np.testing.assert_allclose(rr.simple_to_log(sr), lr, atol=1e-14)
    with pytest.raises(DataError):
        rr.simple_to_log(np.array([0.1, -1.0]))


def test_gap_returns_dropped_with_warning_or_kept_as_nan() -> None:
    p = prices(30).drop(pd.Timestamp("2022-01-10"))
    with pytest.warns(DataQualityWarning, match=r"2 undefined return\(s\) around 1 gap"):
        r = rr.log_returns(p, freq="1D")
    # returns into (01-10) and out of (01-11) the missing day are undefined
    assert pd.Timestamp("2022-01-10") not in r.index and pd.Timestamp("2022-01-11") not in r.index
    assert len(r) == 30 - 1 - 2
    rn = rr.log_returns(p, freq="1D", gaps="nan")
    assert rn.loc["2022-01-10":"2022-01-11"].isna().all() and len(rn) == 29
    # without freq, consecutive rows: the 2-day return is reported on 01-11 (equity usage),
    # flagged because this series trades every day
    with pytest.warns(DataQualityWarning, match="span more than one day"):
        r2 = rr.log_returns(p)
    assert r2.loc["2022-01-11"] == pytest.approx(np.log(p["2022-01-11"] / p["2022-01-09"]))


def test_panel_alignment_is_not_a_gap() -> None:
    p = pd.DataFrame({"A": prices(40, 1), "B": prices(40, 2)})
    p.loc[:"2022-01-15", "B"] = np.nan  # B starts later: not a defect
    with warnings.catch_warnings():
        warnings.simplefilter("error", DataQualityWarning)
        r = rr.log_returns(p, freq="1D")
    assert r.index[0] == pd.Timestamp("2022-01-17") and not r.isna().any().any()


def test_bad_price_input_raises() -> None:
    p = prices(10)
    with pytest.raises(DataError, match="non-positive prices at"):
        rr.log_returns(p.where(p.index != p.index[3], 0.0))
    with pytest.raises(DataError, match="duplicate"):
        rr.log_returns(pd.concat([p, p.iloc[[2]]]).sort_index())
    with pytest.raises(DataError, match="not sorted"):
        rr.log_returns(p.iloc[::-1])
    with pytest.raises(DataError, match="off the"):
        rr.log_returns(prices(10, freq="1h"), freq="1D")
    with pytest.raises(ConfigError):
        rr.compute_returns(p, kind="pct")
    with pytest.raises(ConfigError):
        rr.compute_returns(p, gaps="fill")


def hourly_bars(days: int = 3, seed: int = 5) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    n = 24 * days
    close = 50 * np.exp(np.cumsum(rng.normal(0, 0.005, n)))
    open_ = np.concatenate([[50.0], close[:-1]])
    high = np.maximum(open_, close) * 1.001
    low = np.minimum(open_, close) * 0.999
    idx = pd.date_range("2023-05-01", periods=n, freq="1h", name="date")
    return pd.DataFrame(
        {"open": open_, "high": high, "low": low, "close": close, "volume": rng.uniform(0, 1, n)},
        index=idx,
    )


def test_resample_hourly_to_daily() -> None:
    h = hourly_bars()
    d = rr.resample_ohlcv(h, "1D")
    assert list(d.index) == list(pd.date_range("2023-05-01", periods=3, freq="D"))
    # independent reference: a plain loop over calendar days
    for k, day in enumerate(d.index):
        sub = h.iloc[24 * k : 24 * (k + 1)]
        assert (sub.index.normalize() == day).all()
        assert d.loc[day, "open"] == sub["open"].iloc[0]
        assert d.loc[day, "high"] == sub["high"].max()
        assert d.loc[day, "low"] == sub["low"].min()
        assert d.loc[day, "close"] == sub["close"].iloc[-1]
        assert d.loc[day, "volume"] == pytest.approx(sub["volume"].sum(), rel=1e-14)
        assert d.loc[day, "n_bars"] == 24
    # the 23:00 bar belongs to the day it opens in (label = opening time)
    assert d.loc["2023-05-01", "close"] == h.loc["2023-05-01 23:00", "close"]


def test_resample_drops_incomplete_periods_when_asked() -> None:
    h = hourly_bars().drop(pd.date_range("2023-05-02 03:00", periods=5, freq="1h"))
    d = rr.resample_ohlcv(h, "1D")
    assert d.loc["2023-05-02", "n_bars"] == 19
    with pytest.warns(DataQualityWarning, match="fewer than 24"):
        d24 = rr.resample_ohlcv(h, "1D", min_bars=24)
    assert pd.Timestamp("2023-05-02") not in d24.index and len(d24) == 2


def _hand_built_hours() -> pd.DataFrame:
    """Twelve hourly bars 02:00-13:00 whose values are written so that each 4-hour bar can be
    computed by hand: open 100 + t, high 105 + t (150 at 05:00), low 97 + t (90 at 06:00),
    close 101 + t, volume t + 1, with t the hour."""
    t = np.arange(2, 14)
    bars = pd.DataFrame(
        {
            "open": 100.0 + t,
            "high": 105.0 + t,
            "low": 97.0 + t,
            "close": 101.0 + t,
            "volume": t + 1.0,
        },
        index=pd.DatetimeIndex(pd.Timestamp("2024-01-01") + pd.to_timedelta(t, "h"), name="date"),
    )
    bars.loc["2024-01-01 05:00", "high"] = 150.0
    bars.loc["2024-01-01 06:00", "low"] = 90.0
    return bars


def test_resample_to_4h_hand_computed_anchored_at_the_day_boundary() -> None:
    bars = _hand_built_hours()
    with pytest.warns(DataQualityWarning, match=r"dropped 2 4h bar\(s\)"):
        out = rr.resample_ohlcv(bars, "4h", min_bars="complete")
    # 4-hour bars open at 00:00, 04:00, 08:00, 12:00 whatever the first hour: the bars of
    # 00:00 (02:00-03:00 only) and 12:00 (12:00-13:00 only) are incomplete and dropped
    assert list(out.index) == [pd.Timestamp("2024-01-01 04:00"), pd.Timestamp("2024-01-01 08:00")]
    # hours 4-7: first open, highest high (the 150 spike), lowest low (the 90 dip), last close
    assert out.loc["2024-01-01 04:00"].to_dict() == {
        "open": 104.0,
        "high": 150.0,
        "low": 90.0,
        "close": 108.0,
        "volume": 5.0 + 6.0 + 7.0 + 8.0,
        "n_bars": 4,
    }
    assert out.loc["2024-01-01 08:00"].to_dict() == {
        "open": 108.0,
        "high": 116.0,
        "low": 105.0,
        "close": 112.0,
        "volume": 9.0 + 10.0 + 11.0 + 12.0,
        "n_bars": 4,
    }
    # a missing hour makes its 4-hour bar incomplete
    with pytest.warns(DataQualityWarning):
        gap = rr.resample_ohlcv(bars.drop(pd.Timestamp("2024-01-01 09:00")), "4h", "left", "left",
                                "complete")  # fmt: skip
    assert list(gap.index) == [pd.Timestamp("2024-01-01 04:00")]
    # min_bars=1 keeps the incomplete bars, with their count
    assert rr.resample_ohlcv(bars, "4h")["n_bars"].tolist() == [2, 4, 4, 2]


def test_resample_to_days_opening_at_another_hour() -> None:
    bars = _hand_built_hours()
    out = rr.resample_ohlcv(bars, "1D", offset="8h")
    # a venue whose day opens at 08:00 UTC: 02:00-07:00 belong to the day of 2023-12-31
    assert list(out.index) == [
        pd.Timestamp("2023-12-31 08:00"),
        pd.Timestamp("2024-01-01 08:00"),
    ]
    assert out["n_bars"].tolist() == [6, 6]
    assert out.loc["2023-12-31 08:00", "open"] == 102.0
    assert out.loc["2023-12-31 08:00", "close"] == 108.0
    assert out.loc["2024-01-01 08:00", "open"] == 108.0


def test_resample_complete_needs_a_whole_multiple() -> None:
    bars = _hand_built_hours()
    with pytest.raises(ConfigError, match="whole multiple"):
        rr.resample_ohlcv(bars, "90min", min_bars="complete")
    with pytest.raises(ConfigError, match="min_bars"):
        rr.resample_ohlcv(bars, "4h", min_bars="all")


def test_resample_a_file_read_by_read_prices(tmp_path) -> None:
    # resample_ohlcv once crashed on frames read by read_prices (a report kept in attrs); the
    # frame is a plain frame now, and resampling it equals resampling the bars written
    from riskkit.data import read_prices

    bars = hourly_bars()
    path = tmp_path / "bars.csv"
    bars.reset_index().to_csv(path, index=False)
    frame = read_prices(path)
    assert frame.attrs == {}
    got, expected = rr.resample_ohlcv(frame, "4h"), rr.resample_ohlcv(bars, "4h")
    assert (got.index == expected.index).all()
    pd.testing.assert_frame_equal(got.reset_index(drop=True), expected.reset_index(drop=True))


def test_horizon_returns_against_loops() -> None:
    r = rr.log_returns(prices(50))
    h = 5
    over = rr.horizon_returns(r, h)
    ref = [r.iloc[i : i + h].sum() for i in range(len(r) - h + 1)]
    np.testing.assert_allclose(over.to_numpy(), ref, atol=1e-14)
    assert over.index[0] == r.index[0]  # labelled by the first period of the window
    non = rr.horizon_returns(r, h, overlapping=False)
    ref = [r.iloc[i : i + h].sum() for i in range(0, len(r) - h + 1, h)]
    np.testing.assert_allclose(non.to_numpy(), ref, atol=1e-14)
    assert len(non) == len(r) // h
    sr = rr.simple_returns(prices(50))
    comp = rr.horizon_returns(sr, h, kind="simple")
    ref = [np.prod(1 + sr.iloc[i : i + h]) - 1 for i in range(len(sr) - h + 1)]
    np.testing.assert_allclose(comp.to_numpy(), ref, atol=1e-13)
    pd.testing.assert_series_equal(rr.horizon_returns(r, 1), r)


def test_horizon_returns_skip_windows_with_missing() -> None:
    r = rr.log_returns(prices(20))
    r.iloc[7] = np.nan
    out = rr.horizon_returns(r, 3)
    # windows starting at positions 5, 6, 7 contain the NaN
    assert not out.index.isin(r.index[5:8]).any()
    assert len(out) == len(r) - 2 - 3
    with pytest.raises(ConfigError):
        rr.horizon_returns(r, 0)
    with pytest.raises(ConfigError):
        rr.horizon_returns(r, 2.5)


def _daily_with_missing_day() -> pd.Series:
    """A 24/7 daily close series (+1% a day) with 2020-01-05 missing as a row."""
    idx = pd.date_range("2020-01-01", periods=20, freq="D", name="date")
    p = pd.Series(100 * np.exp(0.01 * np.arange(20)), index=idx, name="BTC")
    return p.drop(pd.Timestamp("2020-01-05"))


def test_missing_day_without_freq_warns_instead_of_silent_two_day_return() -> None:
    """Regression: without ``freq`` the return 2020-01-04 -> 2020-01-06 is a 2-day return
    (0.02 here, by construction); for a series that trades every day this must not pass
    silently. With ``freq='1D'`` it is left undefined (and dropped, with its own warning)."""
    p = _daily_with_missing_day()
    with pytest.warns(DataQualityWarning, match="span more than one day"):
        r = rr.compute_returns(p)
    assert r.loc["2020-01-06"] == pytest.approx(0.02)  # the documented row-to-row behaviour
    with pytest.warns(DataQualityWarning, match="never computed across a gap"):
        r1 = rr.compute_returns(p, freq="1D")
    np.testing.assert_allclose(r1.to_numpy(), 0.01)
    # equities: weekends are not gaps, no warning (5 weekdays a week, none on weekends)
    bdays = pd.bdate_range("2020-01-01", periods=30, name="date")
    with warnings.catch_warnings():
        warnings.simplefilter("error", DataQualityWarning)
        rr.compute_returns(pd.Series(np.linspace(100, 120, 30), index=bdays))


def test_horizon_returns_never_span_a_gap_with_freq() -> None:
    """Regression: after compute_returns drops the returns around a gap, a 3-day window labelled
    2020-01-04 used to sum 01-04, 01-07 and 01-08 (5 calendar days). With ``freq`` every
    window is exactly h consecutive days (each sum 0.03 by construction); without it a
    DataQualityWarning flags the problem."""
    with pytest.warns(DataQualityWarning):
        r = rr.compute_returns(_daily_with_missing_day(), freq="1D")
    out = rr.horizon_returns(r, 3, freq="1D")
    np.testing.assert_allclose(out.to_numpy(), 0.03)
    span = [r.loc[d : d + pd.Timedelta(days=2)].size for d in out.index]
    assert span == [3] * len(out)
    assert pd.Timestamp("2020-01-04") not in out.index
    with pytest.warns(DataQualityWarning, match="skip"):
        rr.horizon_returns(r, 3)
    with pytest.raises(ConfigError, match="freq"):
        rr.horizon_returns(r, 3, freq="soon")
    with pytest.raises(DataError, match="off the"):
        rr.horizon_returns(r, 3, freq="7D")


def test_annualisation_requires_explicit_periods() -> None:
    assert rr.annualize_volatility(0.02, periods_per_year=365) == pytest.approx(0.02 * 365**0.5)
    assert rr.annualize_volatility(0.01, 252) == pytest.approx(0.1587450786638754)  # 0.01*sqrt(252)
    assert rr.annualize_mean(0.001, 365) == pytest.approx(0.365)
    with pytest.raises(TypeError):
        rr.annualize_volatility(0.02)  # type: ignore[call-arg]
    for bad in (0, -1, "x", np.nan):
        with pytest.raises(ConfigError):
            rr.annualize_volatility(0.02, bad)


def test_describe_returns_against_scipy_and_known_truth() -> None:
    rng = np.random.default_rng(11)
    n, sigma = 365 * 20, 0.02
    idx = pd.date_range("2000-01-01", periods=n, freq="D", name="date")
    r = pd.DataFrame({"N": rng.normal(0, sigma, n), "T": rng.standard_t(4, n) * sigma}, index=idx)
    d = rr.describe_returns(r, periods_per_year=365)
    for col in r:
        x = r[col].to_numpy()
        assert d.loc[col, "skew"] == pytest.approx(stats.skew(x, bias=False), rel=1e-10)
        assert d.loc[col, "excess_kurtosis"] == pytest.approx(
            stats.kurtosis(x, fisher=True, bias=False), rel=1e-10
        )
        assert d.loc[col, "ann_vol"] == pytest.approx(np.std(x, ddof=1) * np.sqrt(365), rel=1e-12)
    # known truth: normal -> annual vol sigma*sqrt(365), s.e. of the sample std ~ sigma/sqrt(2n)
    assert abs(d.loc["N", "std"] - sigma) < 4 * sigma / np.sqrt(2 * n)
    assert d.loc["N", "jarque_bera_p"] > 0.001 and d.loc["T", "jarque_bera_p"] < 1e-10
    assert d.loc["T", "excess_kurtosis"] > 2  # Student-t(4): infinite population kurtosis


def test_autocorrelations_against_numpy() -> None:
    rng = np.random.default_rng(3)
    r = pd.Series(rng.standard_t(5, 3000) * 0.02)
    out = rr.autocorrelations(r, nlags=5)

    def acf_ref(x: np.ndarray, k: int) -> float:  # textbook estimator, biased denominator
        d = x - x.mean()
        return float(np.sum(d[k:] * d[:-k]) / np.sum(d * d))

    for k in range(1, 6):
        assert out.loc[k, "r"] == pytest.approx(acf_ref(r.to_numpy(), k), abs=1e-12)
        assert out.loc[k, "abs_r"] == pytest.approx(acf_ref(np.abs(r.to_numpy()), k), abs=1e-12)
    assert out["band"].iloc[0] == pytest.approx(1.96 / np.sqrt(3000))


def test_volatility_clustering_is_detected_in_garch_simulation() -> None:
    # known truth: GARCH(1,1) returns are uncorrelated but |r| is positively autocorrelated
    rng = np.random.default_rng(8)
    n, omega, alpha, beta = 5000, 1e-5, 0.1, 0.85
    r = np.empty(n)
    s2 = omega / (1 - alpha - beta)
    for t in range(n):
        r[t] = np.sqrt(s2) * rng.standard_normal()
        s2 = omega + alpha * r[t] ** 2 + beta * s2
    out = rr.autocorrelations(pd.Series(r), nlags=10)
    assert (out["abs_r"] > out["band"]).all()
    assert (out["r"].abs() < 2 * out["band"]).mean() >= 0.8


def test_leverage_correlation_against_pandas_and_truth() -> None:
    rng = np.random.default_rng(9)
    n = 4000
    r = np.empty(n)
    sigma = 0.01
    for t in range(n):  # volatility rises after falls: a built-in leverage effect
        r[t] = sigma * rng.standard_normal()
        sigma = 0.01 * (1 + 30 * max(-r[t], 0.0))
    s = pd.Series(r)
    lev = rr.leverage_correlation(s, max_lag=3)
    ref = s.corr(s.abs().shift(-1))  # independent: pandas pairwise correlation
    assert lev.loc[1] == pytest.approx(ref, abs=1e-12)
    assert lev.loc[1] < -0.05  # known sign of the simulated effect
    with pytest.raises(ConfigError):
        rr.leverage_correlation(s, max_lag=-1)


def test_tail_frequencies_normal_vs_student_t() -> None:
    rng = np.random.default_rng(10)
    n = 200_000
    df = pd.DataFrame({"N": rng.standard_normal(n), "T": rng.standard_t(3, n)})
    tf = rr.tail_frequencies(df, thresholds=(3.0,))
    # N(0,1): P(|z|>3) = 0.0027 -> 540 expected; binomial s.d. ~ 23
    assert tf.loc[("N", 3.0), "expected_normal"] == pytest.approx(n * 0.0026997960632601866)
    assert abs(tf.loc[("N", 3.0), "ratio"] - 1) < 0.15
    assert tf.loc[("T", 3.0), "ratio"] > 1.5  # fat tails


@settings(max_examples=40, deadline=None)
@given(
    moves=st.lists(st.floats(-0.2, 0.2, allow_nan=False), min_size=2, max_size=120),
    rule=st.sampled_from(["2h", "6h", "1D"]),
)
def test_resample_properties(moves: list[float], rule: str) -> None:
    # any consistent hourly path: the aggregate bar stays consistent, and the log return of
    # the aggregated closes equals the sum of the hourly log returns over each period
    close = 100 * np.exp(np.cumsum(moves))
    open_ = np.concatenate([[100.0], close[:-1]])
    idx = pd.date_range("2024-01-01", periods=len(close), freq="1h", name="date")
    h = pd.DataFrame(
        {
            "open": open_,
            "high": np.maximum(open_, close) * 1.001,
            "low": np.minimum(open_, close) * 0.999,
            "close": close,
        },
        index=idx,
    )
    d = rr.resample_ohlcv(h, rule)
    assert (d["high"] >= d[["open", "close"]].max(axis=1)).all()
    assert (d["low"] <= d[["open", "close"]].min(axis=1)).all()
    assert d["n_bars"].sum() == len(h)
    r_h = np.log(h["close"]).diff().fillna(np.log(h["close"].iloc[0] / 100))
    summed = r_h.groupby(r_h.index.floor(rule)).sum()
    r_d = np.log(d["close"] / d["open"].iloc[0]).diff().fillna(np.log(d["close"].iloc[0] / 100))
    np.testing.assert_allclose(r_d.to_numpy(), summed.to_numpy(), atol=1e-10)
