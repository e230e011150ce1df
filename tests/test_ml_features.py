"""No look-ahead in the ML features and forecasts (riskkit.ml.features, riskkit.ml.quantile).

The proof is by perturbation: everything at and after the forecast date t (returns, bars,
volume) is replaced by other numbers, and the features and the forecast for t must not move.
The test fails if any feature used data at or after t (e.g. an exogenous column not lagged).
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest

from riskkit.backtest import rolling_forecast
from riskkit.data.fixtures import synthetic_hourly_bars
from riskkit.exceptions import ConfigError, DataError
from riskkit.margin._common import log_returns_from_ohlcv
from riskkit.ml import (
    FeatureSpec,
    QuantileForest,
    bar_features,
    realized_volatility,
    targets,
    window_features,
)
from riskkit.returns import resample_ohlcv


@pytest.fixture(scope="module")
def daily() -> pd.DataFrame:
    """Two years of daily bars aggregated from seeded synthetic hourly bars."""
    hourly = synthetic_hourly_bars("2022-01-01", "2023-12-31 23:30", seed=3).iloc[:-1]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return resample_ohlcv(hourly, "1D")


def test_window_features_row_s_uses_only_data_before_s():
    rng = np.random.default_rng(0)
    r = rng.standard_t(4, 300) * 0.02
    sigma = np.abs(rng.normal(0.02, 0.002, 301))
    exog = rng.normal(size=(300, 2))
    x = window_features(r, FeatureSpec(), sigma, exog)
    assert x.shape == (301, 6 + 2)
    for s in (22, 23, 100, 299, 300):
        r2, e2, sig2 = r.copy(), exog.copy(), sigma.copy()
        r2[s:] = rng.normal(size=300 - s)  # perturb data at and after s
        e2[s:] = rng.normal(size=(300 - s, 2))
        sig2[s + 1 :] = 1.0  # sigma[s] is the forecast for s from data before s
        x2 = window_features(r2, FeatureSpec(), sig2, e2)
        np.testing.assert_array_equal(x2[: s + 1], x[: s + 1])
    # the check can fail: an exogenous column that is not lagged changes row s
    assert not np.array_equal(np.column_stack([x[1:, :6], exog]), x[1:])


def test_har_features_and_targets_against_direct_computation():
    r = np.random.default_rng(1).normal(0, 0.01, 60)
    x = window_features(r, FeatureSpec(returns=("ret_lag1", "rv_5", "rv_22"), exogenous=False))
    s = 40
    assert x[s, 0] == r[s - 1]
    assert x[s, 1] == pytest.approx(np.sqrt(np.mean(r[s - 5 : s] ** 2)))
    assert x[s, 2] == pytest.approx(np.sqrt(np.mean(r[s - 22 : s] ** 2)))
    assert np.isnan(x[:22]).all()
    y = targets(r, 3)
    assert y[10] == pytest.approx(-(r[10] + r[11] + r[12]))
    assert np.isnan(y[58:]).all()  # horizon past the window, and the forecast row


def test_forecast_for_t_ignores_all_data_at_and_after_t(daily):
    t = daily.index[330]
    model = QuantileForest(n_estimators=10, min_train=60, random_state=1)

    def forecast_for_t(bars: pd.DataFrame) -> pd.DataFrame:
        bound = model.bind_ohlcv(bars)
        r = log_returns_from_ohlcv(bars)
        return rolling_forecast(r, bound, (0.99, 0.975), window=200, refit_every=5, start=t,
                                end=t, progress=False)  # fmt: skip

    base = forecast_for_t(daily)
    moved = daily.copy()
    after = moved.index >= t
    rng = np.random.default_rng(9)
    factor = np.exp(rng.normal(0, 0.2, after.sum()))
    for col in ("open", "high", "low", "close"):
        moved.loc[after, col] = moved.loc[after, col] * factor
    moved.loc[after, "high"] = moved.loc[after, ["open", "high", "low", "close"]].max(axis=1) * 1.1
    moved.loc[after, "volume"] = moved.loc[after, "volume"] * 50
    perturbed = forecast_for_t(moved)
    cols = ["var_0.99", "es_0.99", "var_0.975", "es_0.975", "volatility"]
    pd.testing.assert_frame_equal(base[cols], perturbed[cols])
    assert base["loss"].iloc[0] != perturbed["loss"].iloc[0]  # the realised loss did move
    # and the features of t: built from bars before t only
    feats = bar_features(daily)
    feats2 = bar_features(moved)
    before = feats.index < t
    pd.testing.assert_frame_equal(feats[before], feats2[before])


def test_short_side_window_is_found_and_foreign_window_is_refused(daily):
    model = QuantileForest(n_estimators=5, min_train=60).bind_ohlcv(daily)
    r = log_returns_from_ohlcv(daily).to_numpy()
    params = model.fit(-r[:200])  # the short-side loss of a margin calibration
    out = model.forecast(-r[:200], params, (0.99,))
    assert out.shape == (1, 2) and out[0, 0] > 0
    with pytest.raises(DataError, match="bound to"):
        model.fit(np.random.default_rng(0).normal(0, 0.02, 200))


def test_bar_features_columns_and_realized_volatility(daily):
    hourly = synthetic_hourly_bars("2022-01-01", "2022-01-04 00:30", seed=1).iloc[:-1]
    rv = realized_volatility(hourly["close"])
    r = np.log(hourly["close"]).diff()
    day1 = r[(r.index >= "2022-01-02") & (r.index < "2022-01-03")]
    assert rv.loc["2022-01-02"] == pytest.approx(np.sqrt((day1**2).sum()))
    feats = bar_features(daily, realized_vol=rv, funding=pd.Series(0.0001, index=daily.index))
    assert list(feats.columns) == [
        "parkinson", "garman_klass", "log_volume_ratio", "realized_vol", "funding"
    ]  # fmt: skip
    with pytest.raises(ConfigError, match="unknown return feature"):
        FeatureSpec(returns=("tomorrow",))
