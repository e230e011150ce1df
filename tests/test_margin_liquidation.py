"""Liquidation penalty, account paths and insurance fund (riskkit.margin.liquidation).

Known answers are worked out by hand in the comments from the model of
:func:`riskkit.margin.account_paths`: an account of leverage L has equity 1/L + s (y - 1) per
unit of entry notional at price ratio y = P / P_entry, and is liquidated at the price where its
equity equals the maintenance margin on the current notional, y* = (1 - 1/L) / (1 - mm) for a
long and (1 + 1/L) / (1 + mm) for a short.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from riskkit.exceptions import ConfigError, DataError
from riskkit.margin import (
    MarginSettings,
    account_paths,
    calibrate_asset,
    insurance_fund,
    liquidation_penalty,
)

L, MM = 10.0, 0.05
Y_LONG = (1 - 1 / L) / (1 - MM)  # 0.947368...: a long at 10x is liquidated 5.26% below entry
Y_SHORT = (1 + 1 / L) / (1 + MM)  # 1.047619...


def _series(values, start="2018-01-01", freq="D"):
    idx = pd.date_range(start, periods=len(values), freq=freq, name="date")
    return pd.Series(np.asarray(values, dtype=float), index=idx)


def _bars(rows, start="2020-01-01", freq="D"):
    """Bars from (open, high, low, close) tuples."""
    idx = pd.date_range(start, periods=len(rows), freq=freq, name="date")
    return pd.DataFrame(rows, columns=["open", "high", "low", "close"], index=idx, dtype=float)


def _constant_bars(n, low_drop, high_rise, freq="D"):
    row = (100.0, 100.0 * (1 + high_rise), 100.0 * (1 - low_drop), 100.0)
    return _bars([row] * n, freq=freq)


# ---------------------------------------------------------------- penalty


def test_penalty_matches_normal_quantile(rng):
    # pooled long/short adverse moves of N(0, sigma^2 tau) returns: for small moves the 95% quantile
    # of the pooled loss is sigma sqrt(tau) z_0.95 (both tails have the same distribution to first
    # order); tau = 6 h
    sigma = 0.04
    r = _series(rng.standard_normal(400_000) * sigma)
    got = liquidation_penalty(r, liquidation_hours=6, confidence=0.95, rounding_step=None)
    assert got == pytest.approx(sigma * 0.5 * stats.norm.ppf(0.95), rel=0.01)
    with_impact = liquidation_penalty(r, 6, 0.95, impact=0.002, rounding_step=None)
    assert with_impact == pytest.approx(got + 0.002)


def test_conditional_equals_unconditional_at_constant_volatility(rng):
    # sigma_j z_i = r_i for every liquidation j: the conditional sample is the unconditional one
    # repeated, whose lower quantile is the same number, whatever the liquidation dates and weights
    r = _series(rng.standard_t(4, 600) * 0.03)
    vol = pd.Series(0.03, index=r.index)
    plain = liquidation_penalty(r, 1.0, 0.95, rounding_step=None)
    dates = r.index[[10, 50, 51, 300, 599]]
    cond = liquidation_penalty(r, 1.0, 0.95, rounding_step=None, volatility=vol, liquidated=dates)
    assert cond == pytest.approx(plain, rel=1e-12)
    weights = pd.Series([1.0, 5.0, 0.5], index=r.index[[3, 4, 400]])
    cond_w = liquidation_penalty(
        r, 1.0, 0.95, rounding_step=None, volatility=vol, liquidated=weights
    )
    assert cond_w == pytest.approx(plain, rel=1e-12)


def test_penalty_conditional_on_the_volatility_at_liquidation(rng):
    # two volatility states, 1% and 6% a day, Gaussian shocks; liquidations happen on the volatile
    # days only. The conditional penalty is the pooled adverse move at 6% volatility,
    # 0.06 sqrt(tau) z_0.95 (closed form as above); the unconditional one mixes both states.
    n = 200_000
    sigma = np.where(np.arange(n) % 2 == 0, 0.01, 0.06)
    r = _series(rng.standard_normal(n) * sigma)
    vol = pd.Series(sigma, index=r.index)
    volatile = r.index[sigma == 0.06][::500]  # 200 liquidation days (summarised: 10 states)
    tau = 1 / 24
    cond = liquidation_penalty(
        r, 1.0, 0.95, rounding_step=None, volatility=vol, liquidated=volatile
    )
    assert cond == pytest.approx(0.06 * np.sqrt(tau) * stats.norm.ppf(0.95), rel=0.01)
    plain = liquidation_penalty(r, 1.0, 0.95, rounding_step=None)
    assert plain < 0.8 * cond
    # no liquidation inside the window: the unconditional penalty
    early = liquidation_penalty(
        r, 1.0, 0.95, window=1000, rounding_step=None, volatility=vol, liquidated=volatile[:3]
    )
    assert early == liquidation_penalty(r, 1.0, 0.95, window=1000, rounding_step=None)
    with pytest.raises(DataError, match="volatility must be positive"):
        liquidation_penalty(r, volatility=vol * 0.0, liquidated=volatile)


# ---------------------------------------------------------------- account paths


def test_two_day_crash_accumulates_into_bad_debt():
    # 10x long, MM 5%. Day 1: -4% (low and close 96): no liquidation (trigger 94.74), the account
    # carries a 4% loss. Day 2 falls another 8% to 88.32; with a 24-hour liquidation the position
    # is closed at the day's low: equity 1/10 + 0.8832 - 1 = -0.0168 of the entry notional, the
    # bad debt; the long half of open interest: 0.0084.
    crash = _bars([(100, 100, 96, 96), (96, 96, 96 * 0.92, 96 * 0.92)])
    out = account_paths(crash, MM, [L], liquidation_hours=24)
    assert len(out.events) == 1
    ev = out.events.iloc[0]
    assert ev["date"] == crash.index[1] and ev["side"] == "long"
    assert ev["entry_price"] == pytest.approx(0.96)
    assert ev["start"] == pytest.approx(Y_LONG)
    assert ev["close"] == pytest.approx(0.8832)
    assert ev["bad_debt"] == pytest.approx(0.0168, abs=1e-12)
    assert out.bad_debt == pytest.approx(0.0084, abs=1e-12)
    assert out.worst_drawdown == pytest.approx(0.0084, abs=1e-12)
    # the same 8% day on a fresh account (the old model restarted every account at each open)
    # leaves equity 0.1 - 0.08 = 0.02 > 0: no bad debt. The loss came from carrying day 1.
    fresh = account_paths(_bars([(96, 96, 96 * 0.92, 96 * 0.92)]), MM, [L], liquidation_hours=24)
    assert fresh.bad_debt == 0.0 and fresh.events["equity"].iloc[0] == pytest.approx(0.02)
    # the insurance fund on this path (a block of the two days, the only one): > 0
    fund = insurance_fund(crash, MM, 0.0, [L], liquidation_hours=24, n_sims=3, n_days=2, block=2)
    assert fund.required == pytest.approx(0.0084, abs=1e-12)
    assert fund.historical.bad_debt == pytest.approx(0.0084, abs=1e-12)
    np.testing.assert_allclose(fund.annual_bad_debt, 0.0084, atol=1e-12)


def test_a_path_that_recovers_leaves_no_bad_debt():
    # day 1 -4%, day 2 back above the entry, to 100.5 (the long is re-levered there; the short,
    # re-levered at 96 on day 1, peaks at 100.5 / 96 = 1.0469, short of its trigger 1.0476),
    # day 3 -8% from 100.5: the long is liquidated at the low, 0.92 of its new entry, equity
    # 0.1 - 0.08 = 0.02 >= 0. With a 1% penalty the fund receives min(0.01 x 0.92, 0.02) =
    # 0.0092 of the long notional, 0.0046 of open interest.
    path = _bars(
        [(100, 100, 96, 96), (96, 100.5, 96, 100.5), (100.5, 100.5, 100.5 * 0.92, 100.5 * 0.92)]
    )
    out = account_paths(path, MM, [L], penalty=0.01, liquidation_hours=24)
    assert out.bad_debt == 0.0 and out.events["side"].tolist() == ["long"]
    ev = out.events.iloc[0]
    assert ev["entry_price"] == pytest.approx(1.0) and ev["equity"] == pytest.approx(0.02)
    assert ev["penalty_income"] == pytest.approx(0.0092)
    assert out.flows["penalty_income"].sum() == pytest.approx(0.0046)
    assert out.worst_drawdown == 0.0
    # without the recovery (day 2 closing at 96 again) day 3 is the two-day crash: bad debt
    stuck = path.copy()
    stuck.iloc[1] = (96, 96, 96, 96)
    stuck.iloc[2] = (96, 96, 96 * 0.92, 96 * 0.92)
    assert account_paths(stuck, MM, [L], liquidation_hours=24).bad_debt == pytest.approx(0.0084)


def test_gap_through_the_trigger_starts_the_liquidation_at_the_open():
    # a short at 10x; the price gaps from 100 to 112 overnight (no trading in between): the
    # liquidation starts at the open, 1.12 of entry, even with no time to liquidate. Equity
    # 0.1 - 0.12 = -0.02: bad debt 0.02 of the short's notional.
    gap = _bars([(100, 100, 100, 100), (112, 112, 112, 112)])
    out = account_paths(gap, MM, [L], liquidation_hours=1e-6)
    ev = out.events.set_index("side").loc["short"]
    assert ev["start"] == pytest.approx(1.12) and ev["bad_debt"] == pytest.approx(0.02)
    # at 110 the equity is exactly 0 at the close: liquidated, no bad debt
    out = account_paths(_bars([(100,) * 4, (110,) * 4]), MM, [L], liquidation_hours=1e-6)
    assert out.events["side"].tolist() == ["short"] and out.bad_debt == pytest.approx(0.0)
    assert Y_SHORT < 1.10  # the trigger (1.0476) was passed at the open


def test_constant_bars_hand_computed():
    # every day the long sees a 20% fall from the open and the close is back at the open.
    # tau = 24 h: closed at the low 0.8, equity 0.1 - 0.2 = -0.1: bad debt 0.1 of the long half,
    # 0.05 of open interest a day, 365 days -> 18.25 x open interest.
    bars = _constant_bars(100, 0.20, 0.0)
    res = insurance_fund(bars, MM, 0.01, [L], liquidation_hours=24, n_sims=5, n_days=365, seed=1)
    assert res.required == pytest.approx(0.05 * 365)
    assert res.worst_day == pytest.approx(0.05)
    assert res.daily_flows["liquidated_notional"].to_numpy() == pytest.approx(0.5 * 0.8)
    # tau = 6 h: the price moves on by min(y* - 0.8, 0.2 sqrt(1/4)) = 0.1 after the trigger;
    # closed at y* - 0.1, equity 0.1 + y* - 0.1 - 1 = y* - 1 = -0.052632: 0.026316 of OI a day
    res6 = insurance_fund(bars, MM, 0.01, [L], liquidation_hours=6, n_sims=5, n_days=10, seed=1)
    assert res6.worst_day == pytest.approx(0.5 * (1 - Y_LONG))
    # hourly bars, a 1-hour liquidation: 24 liquidations a day at 0.05 of OI each
    hourly = _constant_bars(24 * 30, 0.20, 0.0, freq="h")
    res_h = insurance_fund(hourly, MM, 0.0, [L], liquidation_hours=1, n_sims=2, n_days=3, block=1)
    assert res_h.worst_day == pytest.approx(24 * 0.05)
    assert res_h.required == pytest.approx(3 * 24 * 0.05)


def test_penalty_income_hand_computed():
    # a 6% fall each day, 10x, MM 5%, 6-hour liquidation: trigger 0.947368, the price moves on by
    # min(0.947368 - 0.94, 0.06 x 0.5) = 0.007368 to the low 0.94; equity 0.1 - 0.06 = 0.04 >= 0,
    # the fund collects min(2% x 0.94, 0.04) = 0.0188 of the long half: 0.0094 a day
    bars = _constant_bars(50, 0.06, 0.0)
    res = insurance_fund(bars, MM, 0.02, [L], liquidation_hours=6, n_sims=3, n_days=20, seed=1)
    assert res.required == 0.0
    assert res.daily_flows["penalty_income"].to_numpy() == pytest.approx(0.0094)
    assert res.daily_flows["deficit"].sum() == 0.0


def test_insurance_fund_zero_when_margin_covers_everything():
    # excursions of 1% never reach the 5.3% trigger: no liquidation, no bad debt
    bars = _constant_bars(100, 0.01, 0.01)
    res = insurance_fund(bars, MM, 0.01, leverage=(L,), n_sims=5, n_days=50, seed=1)
    assert res.required == 0.0
    assert res.daily_flows["liquidated_notional"].sum() == 0.0
    assert res.historical.events.empty


def test_insurance_fund_is_seeded_and_checks_input(rng):
    n = 500
    close = 100 * np.exp(np.cumsum(rng.standard_normal(n) * 0.04))
    o = np.r_[100.0, close[:-1]]
    bars = _bars(
        np.column_stack([o, np.maximum(o, close) * 1.02, np.minimum(o, close) * 0.98, close]),
        start="2017-01-01",
    )
    a = insurance_fund(bars, 0.01, 0.005, leverage=(20, 50), n_sims=50, n_days=100, seed=7)
    b = insurance_fund(bars, 0.01, 0.005, leverage=(20, 50), n_sims=50, n_days=100, seed=7)
    np.testing.assert_array_equal(a.annual_deficits, b.annual_deficits)
    assert a.required > 0 and "open interest" in a.statement
    with pytest.raises(ConfigError, match="leverage"):
        insurance_fund(bars, 0.05, 0.01, leverage=(25,))
    with pytest.raises(ConfigError, match="mm_rate"):
        account_paths(bars, 1.0, (1,))
    with pytest.raises(DataError, match="close"):
        account_paths(bars.drop(columns="close"), 0.05, (2,))
    with pytest.raises(ConfigError, match="divide a day"):
        account_paths(bars, 0.05, (2,), bar_hours=7)


@pytest.mark.filterwarnings("ignore::riskkit.exceptions.ConvergenceWarning")
def test_calibration_conditions_the_penalty_on_its_liquidations():
    # the calibration's penalty is the conditional one, at the volatility of the days on which
    # the insurance-fund accounts would have been liquidated in the window
    g = np.random.default_rng(4)
    n = 700
    r = 0.03 * g.standard_t(4, n) / np.sqrt(2.0)
    r[500:560] *= 3.0  # a volatile spell inside the last window
    close = 1000.0 * np.exp(np.cumsum(r))
    o = np.r_[1000.0, close[:-1]]
    bars = _bars(
        np.column_stack([o, np.maximum(o, close) * 1.01, np.minimum(o, close) * 0.99, close]),
        start="2018-01-01",
    )
    bars["volume"] = 5e4
    s = MarginSettings(window=250, refit_every=20, insurance_sims=10, insurance_days=60)
    cal = calibrate_asset("SYN", bars, s, progress=False)  # GARCH FHS: a volatility forecast
    p = cal.parameters
    lev = [max(1.0, f * p["max_leverage"]) for f in s.insurance_leverage]
    lev = [x for x in lev if 1 / x > p["mm_rate"]]
    window_bars = bars.loc[bars.index >= bars.index[-1] - pd.Timedelta(days=s.window)]
    events = account_paths(window_bars, p["mm_rate"], lev).events
    assert not events.empty
    vol = cal.margin_path["volatility"]
    assert cal.info["volatility_source"] == "model forecast"
    ref = liquidation_penalty(
        cal.info["returns"],
        window=s.window,
        volatility=vol,
        liquidated=events.groupby("date")["share"].sum(),
    )
    assert p["liquidation_penalty"] == ref
    # liquidations happen in the volatile spell: the conditional slippage is the larger one
    cond = liquidation_penalty(
        cal.info["returns"],
        window=s.window,
        rounding_step=None,
        volatility=vol,
        liquidated=events.groupby("date")["share"].sum(),
    )
    assert cond > liquidation_penalty(cal.info["returns"], window=s.window, rounding_step=None)
