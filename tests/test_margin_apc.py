"""APC option (b), EMIR RTS 153/2013 Art. 28(1)(b): weight on stressed *observations*.

The weighted-sample VaR/ES of :func:`riskkit.margin.weighted_sample_measures` is checked against
an independent computation: the weighted sample is replaced by an equally weighted one in which
each observation is repeated in proportion to its weight (current observations 3 x stress_window
times, stressed ones window times: probabilities 0.75 / window and 0.25 / stress_window), whose
VaR is numpy's inverted-CDF quantile and whose ES is the plain mean of the worst n (1 - level)
values; the VaR is also checked against statsmodels' weighted quantile (DescrStatsW).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from statsmodels.stats.weightstats import DescrStatsW

from riskkit.exceptions import ConfigError, DataError
from riskkit.margin import (
    MarginSettings,
    apc_stressed_weight,
    apc_weighted_sample,
    calibrate_asset,
    historical_margin_path,
    stressed_margin_path,
    two_sided_rate,
    weighted_sample_margin_path,
    weighted_sample_measures,
)
from riskkit.risk import HistoricalSimulation

N_CUR, N_ST, LEVEL = 40, 20, 0.99  # replicated sample: 4 x 40 x 20 = 3200, tail 32 values


def _returns(seed: int = 5, n: int = 300) -> pd.Series:
    """Calm Student-t returns with a volatile block of 30 days at positions 60-89."""
    g = np.random.default_rng(seed)
    x = 0.01 * g.standard_t(4, n)
    x[60:90] *= 6.0
    idx = pd.date_range("2019-01-01", periods=n, freq="D", name="date")
    return pd.Series(x, index=idx)


def _stressed_end(r: pd.Series, t: int) -> int:
    """Exclusive end of the stressed window at position t, by brute force: the first position of
    the largest two-sided historical margin among positions 0..t (numpy's argmax takes the
    first maximum)."""
    hist = historical_margin_path(r, N_ST, LEVEL, "es").to_numpy()[: t + 1]
    return int(np.nanargmax(hist))


def _replicated(current: np.ndarray, stressed: np.ndarray) -> np.ndarray:
    # probabilities 0.75 / N_CUR and 0.25 / N_ST are in the ratio 3 N_ST : N_CUR
    return np.concatenate([np.repeat(current, 3 * N_ST), np.repeat(stressed, N_CUR)])


@pytest.mark.parametrize("t", [120, 200, 299])
def test_weighted_sample_matches_replicated_sample(t):
    r = _returns()
    x = r.to_numpy()
    got_es = weighted_sample_measures(r, N_CUR, N_ST, 0.25, LEVEL, "es")
    got_var = weighted_sample_measures(r, N_CUR, N_ST, 0.25, LEVEL, "var")
    e = _stressed_end(r, t)
    assert e > 60 and e - N_ST < 90  # the stressed window overlaps the volatile block
    for side, sign in (("long", -1.0), ("short", 1.0)):
        rep = _replicated(sign * x[t - N_CUR : t], sign * x[e - N_ST : e])
        assert rep.size == 4 * N_CUR * N_ST
        tail = int(round(rep.size * (1 - LEVEL)))  # 32 values
        ref_var = np.quantile(rep, LEVEL, method="inverted_cdf")
        ref_es = np.sort(rep)[-tail:].mean()
        assert got_var[side].iloc[t] == pytest.approx(ref_var, rel=1e-12)
        assert got_es[side].iloc[t] == pytest.approx(ref_es, rel=1e-12)
        # the same VaR from statsmodels' weighted quantile on the unreplicated sample
        sample = np.concatenate([sign * x[t - N_CUR : t], sign * x[e - N_ST : e]])
        probs = np.r_[np.full(N_CUR, 0.75 / N_CUR), np.full(N_ST, 0.25 / N_ST)]
        sm = DescrStatsW(sample, weights=probs).quantile([LEVEL], return_pandas=False)[0]
        assert got_var[side].iloc[t] == pytest.approx(sm, rel=1e-12)


def test_weighted_sample_differs_from_averaged_margins():
    # the weighted sample is not the average of the two measures (the Art. 28(1)(b) point):
    # averaging the two ES here gives a different number
    r = _returns()
    x = r.to_numpy()
    t = 299
    e = _stressed_end(r, t)
    cur, st = -x[t - N_CUR : t], -x[e - N_ST : e]

    def plain_es(v: np.ndarray, level: float) -> float:
        k = int(round(v.size * (1 - level)))
        return np.sort(v)[-k:].mean()

    averaged = 0.75 * plain_es(cur, 0.95) + 0.25 * plain_es(st, 0.95)
    got = weighted_sample_measures(r, N_CUR, N_ST, 0.25, 0.95, "es")["long"].iloc[t]
    assert abs(got / averaged - 1) > 0.05


def test_weight_zero_and_one_and_model_rescaling():
    r = _returns()
    x = r.to_numpy()
    t = 250
    e = _stressed_end(r, t)
    # weight 0: the current window's own ES; weight 1: the stressed window's
    w0 = weighted_sample_measures(r, N_CUR, N_ST, 0.0, LEVEL)
    w1 = weighted_sample_measures(r, N_CUR, N_ST, 1.0, LEVEL)

    def es(v):  # level 0.99 on 40 and 20 values: the exact tail average is the maximum
        return v.max()

    assert w0["long"].iloc[t] == pytest.approx(es(-x[t - N_CUR : t]), rel=1e-12)
    assert w1["short"].iloc[t] == pytest.approx(es(x[e - N_ST : e]), rel=1e-12)
    # a model's measures: the current observations are rescaled to them, so weight 0 returns
    # the model's measures exactly and weight 1 the stressed window's, whatever the model says
    idx = r.index[200:]
    model = pd.DataFrame({"long": 0.05, "short": 0.07}, index=idx)
    m0 = weighted_sample_measures(r, N_CUR, N_ST, 0.0, LEVEL, model=model)
    m1 = weighted_sample_measures(r, N_CUR, N_ST, 1.0, LEVEL, model=model)
    assert m0.index.equals(idx)
    np.testing.assert_allclose(m0["long"], 0.05, rtol=1e-12)
    np.testing.assert_allclose(m0["short"], 0.07, rtol=1e-12)
    np.testing.assert_allclose(m1.to_numpy(), w1.loc[idx].to_numpy(), rtol=1e-12)
    # a model equal to the window's own measure (historical simulation) changes nothing
    own = weighted_sample_measures(r, N_CUR, N_ST, 0.0, LEVEL).loc[idx]
    mid = weighted_sample_measures(r, N_CUR, N_ST, 0.3, LEVEL, model=own)
    ref = weighted_sample_measures(r, N_CUR, N_ST, 0.3, LEVEL).loc[idx]
    np.testing.assert_allclose(mid.to_numpy(), ref.to_numpy(), rtol=1e-12)


def test_weighted_sample_has_no_lookahead_and_starts_when_both_windows_exist():
    r = _returns()
    base = weighted_sample_margin_path(r, N_CUR, N_ST, 0.25, LEVEL, horizon_days=2.0)
    assert base.iloc[:N_CUR].isna().all() and base.iloc[N_CUR:].notna().all()
    shocked = r.copy()
    shocked.iloc[200:] = -0.6  # a crash from position 200 cannot change margins up to 200
    after = weighted_sample_margin_path(shocked, N_CUR, N_ST, 0.25, LEVEL, horizon_days=2.0)
    pd.testing.assert_series_equal(base.iloc[:201], after.iloc[:201])
    assert after.iloc[201] > base.iloc[201]
    # the rate is the two-sided rate of the measures at the horizon
    ms = weighted_sample_measures(r, N_CUR, N_ST, 0.25, LEVEL, horizon_days=2.0)
    ref = two_sided_rate(ms["long"], ms["short"], 2.0).rate
    np.testing.assert_allclose(base.dropna(), ref.dropna(), rtol=1e-15)


def test_stressed_period_is_the_one_of_the_stressed_margin_path():
    # at weight 1 the sample is the stressed window alone: its two-sided rate is the running
    # maximum that stressed_margin_path reports
    r = _returns()
    got = weighted_sample_margin_path(r, N_CUR, N_ST, 1.0, LEVEL, horizon_days=3.0)
    ref = stressed_margin_path(r, N_ST, LEVEL, horizon_days=3.0)
    np.testing.assert_allclose(got.iloc[N_CUR:], ref.iloc[N_CUR:], rtol=1e-12)


def test_apc_weighted_sample_only_raises_and_bad_input():
    idx = pd.date_range("2020-01-01", periods=3, freq="D")
    m = pd.Series([0.1, 0.2, 0.3], index=idx)
    s = pd.Series([0.15, np.nan, 0.25], index=idx)
    assert apc_weighted_sample(m, s).tolist() == [0.15, 0.2, 0.3]
    r = _returns()
    with pytest.raises(ConfigError, match="weight"):
        weighted_sample_measures(r, N_CUR, N_ST, 1.5)
    with pytest.raises(ConfigError, match="window"):
        weighted_sample_measures(r, 1, N_ST)
    with pytest.raises(ConfigError, match="short"):
        weighted_sample_measures(r, N_CUR, N_ST, model=pd.DataFrame({"long": [0.1]}))
    alien = pd.DataFrame({"long": [0.1], "short": [0.1]}, index=[pd.Timestamp("1990-01-01")])
    with pytest.raises(DataError, match="not dates of returns"):
        weighted_sample_measures(r, N_CUR, N_ST, model=alien)


def _bars(n: int = 700, seed: int = 8) -> pd.DataFrame:
    r = _returns(seed, n).to_numpy()
    close = 1000.0 * np.exp(np.cumsum(r))
    idx = pd.date_range("2018-01-01", periods=n, freq="D", name="date")
    bars = pd.DataFrame({"open": np.r_[1000.0, close[:-1]], "close": close}, index=idx)
    bars["high"] = bars[["open", "close"]].max(axis=1) * 1.005
    bars["low"] = bars[["open", "close"]].min(axis=1) * 0.995
    bars["volume"] = 5e4
    return bars


def test_calibration_charges_the_weighted_sample_margin():
    # historical simulation on the model window: its current observations are the window itself,
    # so the APC input is the plain weighted-sample margin and the charge max(raw, sample)
    bars = _bars()
    base = dict(
        window=250,
        refit_every=20,
        apc="stressed_weight",
        apc_stress_window=50,
        horizon_days=2.0,
        rounding_step=None,
        im_floor=0.0,
        insurance_sims=5,
        insurance_days=30,
    )
    est = HistoricalSimulation()
    cal = calibrate_asset("SYN", bars, MarginSettings(**base), estimator=est, progress=False)
    mp = cal.margin_path
    ref = weighted_sample_margin_path(
        cal.info["returns"], 250, 50, 0.25, 0.99, "es", horizon_days=2.0
    ).reindex(mp.index)
    np.testing.assert_allclose(mp["apc_stressed"], ref.fillna(0.0), rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(mp["charged_im"], np.fmax(mp["raw_im"], ref.fillna(0.0)))
    assert (ref > mp["raw_im"]).any()  # the stressed observations bind somewhere
    assert cal.parameters["apc"]["stress_method"] == "weighted_sample"
    # the averaging alternative, by name
    avg = MarginSettings(**base, apc_stress_method="average_margins")
    mp2 = calibrate_asset("SYN", bars, avg, estimator=est, progress=False).margin_path
    stressed = stressed_margin_path(cal.info["returns"], 50, 0.99, horizon_days=2.0)
    want = apc_stressed_weight(mp2["raw_im"], stressed.reindex(mp2.index).fillna(0.0), 0.25)
    np.testing.assert_allclose(mp2["charged_im"], want, rtol=1e-12)


def test_setting_is_validated():
    assert MarginSettings().apc_stress_method == "weighted_sample"
    with pytest.raises(ConfigError, match="apc_stress_method"):
        MarginSettings(apc_stress_method="median")
