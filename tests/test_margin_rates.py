"""riskkit.margin.rates and riskkit.margin.apc against closed forms and hand-computed cases."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats

from riskkit.exceptions import ConfigError, DataError
from riskkit.margin import (
    TwoSidedRate,
    apc_buffer,
    apc_floor,
    apc_stressed_weight,
    cap_daily_change,
    compare_paths,
    find_stressed_period,
    historical_margin_path,
    implied_horizon_hours,
    long_lookback_margin,
    loss_fraction,
    max_leverage,
    procyclicality_metrics,
    round_rate,
    scale_to_horizon,
    stressed_margin_path,
    two_sided_rate,
)


def _series(values, start="2020-01-01"):
    idx = pd.date_range(start, periods=len(values), freq="D", name="date")
    return pd.Series(np.asarray(values, dtype=float), index=idx)


# ---------------------------------------------------------------- rates


def test_loss_fraction_closed_form():
    # 1 - exp(-0.1) and exp(0.1) - 1, by hand: 0.0951625820, 0.1051709181
    assert loss_fraction(0.1, "long") == pytest.approx(0.0951625820, abs=1e-10)
    assert loss_fraction(0.1, "short") == pytest.approx(0.1051709181, abs=1e-10)
    with pytest.raises(ConfigError, match="side"):
        loss_fraction(0.1, "both")


def test_scale_to_horizon_days_and_hours():
    assert scale_to_horizon(0.05, 4.0) == pytest.approx(0.10)
    assert scale_to_horizon(0.05, 6 / 24) == pytest.approx(0.025)  # 6 hours = a quarter day
    with pytest.raises(ConfigError, match="horizon_days"):
        scale_to_horizon(0.05, 0)


def test_two_sided_rate_takes_the_larger_side():
    out = two_sided_rate(0.08, 0.09, horizon_days=1.0)
    assert isinstance(out, TwoSidedRate) and isinstance(out.rate, float)
    assert out.long == pytest.approx(1 - math.exp(-0.08))
    assert out.short == pytest.approx(math.exp(0.09) - 1)
    assert out.rate == out.short == out.for_sides("both")
    assert out.for_sides("long") == out.long and out.horizon_days == 1.0
    assert out.to_frame().columns.tolist() == ["long", "short", "rate"]
    with pytest.raises(ConfigError, match="sides"):
        out.for_sides("either")
    longs, shorts = _series([0.08, 0.10]), _series([0.09, 0.05])
    path = two_sided_rate(longs, shorts, 2.0)
    # one result type for any input: Series input gives Series fields on the same dates
    assert isinstance(path, TwoSidedRate) and isinstance(path.rate, pd.Series)
    x = math.sqrt(2.0)
    assert path.rate.tolist() == pytest.approx([math.exp(0.09 * x) - 1, 1 - math.exp(-0.10 * x)])
    frame = path.to_frame()
    assert frame.index.equals(longs.index) and frame.columns.tolist() == ["long", "short", "rate"]
    # the scalar and the Series computations agree date by date
    for i in range(2):
        one = two_sided_rate(longs.iloc[i], shorts.iloc[i], 2.0)
        assert frame.iloc[i].tolist() == [one.long, one.short, one.rate]


def test_normal_es_margin_matches_closed_form():
    # Normal ES_0.99 = sigma * phi(z_0.99) / 0.01 = 2.6652 sigma (McNeil, Frey, Embrechts 2015,
    # Example 2.14); with sigma = 2% and h = 1 day the long-side rate is 1 - exp(-0.053304).
    sigma, a = 0.02, 0.99
    es = sigma * stats.norm.pdf(stats.norm.ppf(a)) / (1 - a)
    assert es / sigma == pytest.approx(2.665214, abs=1e-6)
    assert loss_fraction(scale_to_horizon(es, 1.0)) == pytest.approx(1 - math.exp(-es))


def test_round_rate_up_to_step_with_floor_and_cap():
    assert round_rate(0.01230, 0.0005) == pytest.approx(0.0125)
    assert round_rate(0.0125, 0.0005) == pytest.approx(0.0125)  # already on a step
    assert round_rate(0.015, 0.0005) == pytest.approx(0.015)  # 0.015/0.0005 = 29.999999999999996
    assert round_rate(0.001, 0.0005, floor=0.005) == pytest.approx(0.005)
    assert round_rate(0.7, 0.0005, cap=0.5) == pytest.approx(0.5)
    s = round_rate(_series([0.0101, 0.0199]), 0.001)
    assert isinstance(s, pd.Series) and s.tolist() == pytest.approx([0.011, 0.020])
    with pytest.raises(ConfigError, match="floor"):
        round_rate(0.01, 0.0005, floor=0.2, cap=0.1)


def test_max_leverage_is_floor_of_inverse():
    # Binance BTCUSDT tier 1 lists 150x for a 1/150 initial rate (announcement 2025-08-19)
    assert max_leverage(1 / 150) == 150
    assert max_leverage(0.01) == 100
    assert max_leverage(0.0065) == 153  # 1/0.0065 = 153.8
    with pytest.raises(ConfigError):
        max_leverage(0.0)


def test_implied_horizon_round_trip():
    x1 = 0.08
    for hours in (0.5, 3.0, 24.0, 48.0):
        rate = loss_fraction(scale_to_horizon(x1, hours / 24))
        assert implied_horizon_hours(rate, x1) == pytest.approx(hours)
    with pytest.raises(ConfigError):
        implied_horizon_hours(1.5, 0.08)


# ---------------------------------------------------------------- APC options


def test_buffer_without_release_is_one_plus_buffer():
    m = _series([1.0, 1.0, 0.9, 1.1])
    out = apc_buffer(m, 0.25, release_threshold=np.inf, rebuild_rate=np.inf)
    assert out.tolist() == pytest.approx([1.25, 1.25, 1.125, 1.375])


def test_buffer_release_and_rebuild_hand_computed():
    # buffer 25%, release when m rises > 25% in 1 day, rebuild at most 10% a day; by hand:
    # t0 1.25 (target); t1 1.25; t2 release: max(1.5, min(1.875, 1.25)) = 1.5;
    # t3 rebuild: max(1.6, min(2.0, 1.65)) = 1.65; t4 1.815; t5 1.9965; t6 target 2.0
    m = _series([1.0, 1.0, 1.5, 1.6, 1.6, 1.6, 1.6])
    out = apc_buffer(m, 0.25, release_threshold=0.25, release_lookback=1, rebuild_rate=0.10)
    assert out.tolist() == pytest.approx([1.25, 1.25, 1.5, 1.65, 1.815, 1.9965, 2.0])
    # never below the calculated margin, never above the buffered target
    assert (out >= m - 1e-12).all() and (out <= 1.25 * m + 1e-12).all()


def test_buffer_falls_pass_through():
    out = apc_buffer(_series([2.0, 1.0]), 0.25, release_lookback=1, rebuild_rate=0.0)
    assert out.tolist() == pytest.approx([2.5, 1.25])


def test_buffer_smaller_increase_than_no_apc():
    m = _series([1.0] * 5 + [2.0] * 5)
    charged = apc_buffer(m, 0.25, release_lookback=1, rebuild_rate=0.05)
    metrics = compare_paths({"none": m, "buffer": charged})
    assert metrics.loc["buffer", "max_increase_1d"] < metrics.loc["none", "max_increase_1d"]


def test_stressed_weight_hand_computed():
    # (1 - w) m + w max(s, m) with w = 0.25: [0.75 + 0.5, 1.5 + 0.5, 2.25 + 0.75]
    out = apc_stressed_weight(_series([1.0, 2.0, 3.0]), _series([2.0, 2.0, 2.0]), 0.25)
    assert out.tolist() == pytest.approx([1.25, 2.0, 3.0])
    out = apc_stressed_weight(_series([1.0, 2.0]), 4.0, 0.5)
    assert out.tolist() == pytest.approx([2.5, 3.0])
    with pytest.raises(ConfigError, match="weight"):
        apc_stressed_weight(_series([1.0]), 2.0, 1.5)


def test_floor_hand_computed():
    out = apc_floor(_series([1.0, 3.0, 2.0]), _series([2.0, 2.0, 2.0]))
    assert out.tolist() == [2.0, 3.0, 2.0]


def test_cap_daily_change_hand_computed():
    # up 10%, down 20%: 1 -> min(2, 1.1) = 1.1 -> max(0.5, 0.88) = 0.88
    out = cap_daily_change(_series([1.0, 2.0, 0.5]), max_increase=0.10, max_decrease=0.20)
    assert out.tolist() == pytest.approx([1.0, 1.1, 0.88])
    assert cap_daily_change(_series([1.0, 2.0])).tolist() == [1.0, 2.0]


def test_bad_margin_path_is_rejected():
    with pytest.raises(DataError, match="positive and finite"):
        apc_buffer(_series([1.0, np.nan, 1.0]))
    with pytest.raises(DataError, match="positive"):
        apc_floor(_series([1.0, -1.0]), 0.5)


# ---------------------------------------------------------------- historical paths


def test_historical_margin_path_hand_computed():
    # window 5 of returns -1%..-5%: losses 0.01..0.05; at level 0.5 the lower quantile is 0.03 and
    # the exact tail average [(0.6 - 0.5) 0.03 + 0.2 (0.04 + 0.05)] / 0.5 = 0.042 (Acerbi and
    # Tasche 2002, Prop. 3.2); the short side is a gain, so the rate is the long side's.
    r = _series([-0.01, -0.02, -0.03, -0.04, -0.05, 0.0])
    es = historical_margin_path(r, window=5, level=0.5, measure="es")
    var = historical_margin_path(r, window=5, level=0.5, measure="var")
    assert es.iloc[:5].isna().all()
    assert es.iloc[5] == pytest.approx(1 - math.exp(-0.042))
    assert var.iloc[5] == pytest.approx(1 - math.exp(-0.03))


def test_historical_margin_path_has_no_lookahead(student_t_returns):
    r = student_t_returns.iloc[:400]
    base = historical_margin_path(r, 250, 0.99)
    shocked = r.copy()
    shocked.iloc[300:] = -0.5  # a crash from day 300 on cannot change margins up to day 300
    after = historical_margin_path(shocked, 250, 0.99)
    pd.testing.assert_series_equal(base.iloc[:301], after.iloc[:301])
    assert after.iloc[301] > base.iloc[301]


def test_stressed_margin_is_running_maximum(student_t_returns):
    r = student_t_returns.iloc[:700]
    hist = historical_margin_path(r, 100, 0.99)
    stressed = stressed_margin_path(r, 100, 0.99)
    pd.testing.assert_series_equal(stressed, hist.cummax().rename("stressed_margin"))
    assert stressed.dropna().is_monotonic_increasing


def test_find_stressed_period_locates_the_volatile_block(rng):
    # calm 1% noise with a 10% block on observations 600-699: the worst 100-day window is that block
    x = rng.standard_normal(1000) * 0.01
    x[600:700] *= 10
    start, end, rate = find_stressed_period(_series(x), window=100)
    assert start == _series(x).index[600] and end == _series(x).index[699]
    assert rate > 0.2


def test_long_lookback_expands_then_rolls(student_t_returns):
    r = student_t_returns.iloc[:600]
    floor = long_lookback_margin(r, lookback=400, min_obs=250)
    assert floor.iloc[:250].isna().all() and floor.iloc[250:].notna().all()
    # at t=300 the window is all 300 past returns; at t=500 the last 400
    ref300 = historical_margin_path(r.iloc[:301], 300, 0.99).iloc[300]
    ref500 = historical_margin_path(r.iloc[:501], 400, 0.99).iloc[500]
    assert floor.iloc[300] == pytest.approx(ref300)
    assert floor.iloc[500] == pytest.approx(ref500)


def test_procyclicality_metrics_hand_computed():
    m = _series([1.0, 2.0, 1.0, 4.0])
    out = procyclicality_metrics(m, horizons=(1, 2))
    assert out["peak_to_trough"] == 4.0
    assert out["max_increase_1d"] == pytest.approx(3.0)  # 1 -> 4
    assert out["max_increase_2d"] == pytest.approx(1.0)  # 2 -> 4
    assert out["mean"] == pytest.approx(2.0)


@settings(max_examples=200, deadline=None)
@given(rate=st.floats(1e-6, 0.99), step=st.sampled_from([0.0001, 0.0005, 0.001, 0.0025]))
def test_round_rate_never_below_and_less_than_one_step_above(rate, step):
    out = round_rate(rate, step)
    assert out >= rate - 1e-9 * step
    assert out < rate + step + 1e-12
    assert abs(out / step - round(out / step)) < 1e-6


def test_margin_empirical_helpers_are_the_riskkit_estimator() -> None:
    # riskkit.margin has no estimator of its own: its helper is riskkit.risk.empirical_var_es
    from riskkit.margin._common import empirical_measure, empirical_var_es
    from riskkit.risk import empirical_var_es as risk_var_es

    x = np.random.default_rng(11).standard_t(3, size=731) * 0.03
    for lv in (0.95, 0.975, 0.99):
        assert empirical_var_es(x, lv) == risk_var_es(x, lv)
        assert empirical_measure(x, lv, "var") == risk_var_es(x, lv)[0]
        assert empirical_measure(x, lv, "es") == risk_var_es(x, lv)[1]
    # a NaN is bad input, not a loss to skip silently
    with pytest.raises(DataError, match="NaN"):
        empirical_var_es(np.array([0.01, np.nan, 0.02]), 0.9)
