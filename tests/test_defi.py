"""DeFi lending: bad debt against a closed form, Risk Steward limits, the parameter search."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.stats import norm

from riskkit.defi import (
    AAVE_V3_ETHEREUM,
    LendingSettings,
    LoanBook,
    PricePaths,
    ReserveParameters,
    StewardLimits,
    fhs_price_paths,
    liquidity_supply_cap,
    make_loan_book,
    propose_parameters,
    simulate_bad_debt,
    steps_needed,
    steward_path,
    supply_cap_search,
    within_limits,
)
from riskkit.exceptions import ConfigError

# the synthetic i.i.d. returns of the path tests have no volatility clustering: a GJR fit on
# them sits on the alpha = 0 boundary, which riskkit reports (and keeps) as it should
pytestmark = pytest.mark.filterwarnings(
    "ignore:.*boundary of the parameter space:riskkit.exceptions.ConvergenceWarning"
)


def _jump_paths(sigma: float, n: int, seed: int = 1) -> PricePaths:
    r = np.random.default_rng(seed).normal(0.0, sigma, (n, 1))
    return PricePaths.from_returns(r, step_hours=24.0, sigma_daily=sigma)


def test_bad_debt_var_matches_closed_form_for_one_position_and_a_normal_jump():
    # One position, one normal log-price jump, instant liquidation with unlimited capacity:
    # if c P / (1 + b) < d the liquidator takes all collateral and repays c P / (1 + b), so
    # bad debt B = max(0, d - c exp(r) / (1 + b)) with r ~ N(0, sigma^2). B falls with r, so its
    # q-quantile is max(0, d - c exp(sigma Phi^-1(1 - q)) / (1 + b)) (closed form).
    c, d, lt, b, sigma = 1.0, 0.8, 0.85, 0.05, 0.2
    s = LendingSettings(impact_k=0.0, participation=1.0, delay_hours=0.0)
    res = simulate_bad_debt(
        LoanBook(np.array([c]), np.array([d])), _jump_paths(sigma, 200_000), lt, b, 1e18, s
    )
    for q, got in ((0.95, res.var), (0.99, res.extreme_var)):
        want = max(0.0, d - c * math.exp(sigma * norm.ppf(1 - q)) / (1 + b))
        assert want > 0.1
        assert got == pytest.approx(want, rel=0.01)
    # probability of bad debt: P(r < log(d (1 + b) / c))
    assert res.probability == pytest.approx(norm.cdf(math.log(d * (1 + b) / c) / sigma), abs=0.003)


def test_no_bad_debt_when_the_jump_leaves_enough_collateral():
    # a jump that breaches the LT but leaves c P >= d (1 + b) is liquidated without loss
    paths = PricePaths.from_returns(np.full((10, 1), math.log(0.9)), 24.0, 0.05)
    res = simulate_bad_debt(LoanBook(np.array([1.0]), np.array([0.8])), paths, 0.85, 0.05, 1e18)
    assert res.bad_debt.max() == 0.0
    assert res.liquidated.min() > 0.0  # HF = 0.9 x 0.85 / 0.8 < 1: it was liquidated


def test_partial_liquidation_restores_health_factor_one():
    # HF = 0.97 (between Aave v3's 0.95 and 1): the liquidator repays
    # x = (d - c P LT) / (1 - (1 + b) LT) (below the 50% close factor), after which HF = 1
    c, d, lt, b = 1.0, 0.8, 0.85, 0.05
    p = 0.97 * d / (c * lt)
    paths = PricePaths.from_returns(np.full((3, 1), math.log(p)), 24.0, 0.05)
    res = simulate_bad_debt(LoanBook(np.array([c]), np.array([d])), paths, lt, b, 1e18)
    x = (d - c * p * lt) / (1 - (1 + b) * lt)
    assert x < 0.5 * d
    assert res.liquidated[0] == pytest.approx(x)
    c_after, d_after = c - x * (1 + b) / p, d - x
    assert c_after * p * lt / d_after == pytest.approx(1.0)
    # HF = 0.9 < 0.95: the whole debt may go at once, but repaying x is enough to reach HF = 1
    p2 = 0.9 * d / (c * lt)
    paths2 = PricePaths.from_returns(np.full((3, 1), math.log(p2)), 24.0, 0.05)
    res2 = simulate_bad_debt(LoanBook(np.array([c]), np.array([d])), paths2, lt, b, 1e18)
    assert res2.liquidated[0] == pytest.approx((d - c * p2 * lt) / (1 - (1 + b) * lt))
    # above 0.95 with a need beyond the close factor: capped at 50% of the debt
    res3 = simulate_bad_debt(
        LoanBook(np.array([c]), np.array([d])),
        paths,
        lt,
        b,
        1e18,
        LendingSettings(close_factor=0.1),
    )
    assert res3.liquidated[0] == pytest.approx(0.1 * d)


def test_slow_liquidation_and_delay_raise_bad_debt():
    # a -4% hourly trend: without capacity nothing is liquidated and the whole shortfall stays
    steps = np.full((50, 24), math.log(0.96))
    paths = PricePaths.from_returns(steps, 1.0, 0.05)
    book = make_loan_book(1e6, 0.8, LendingSettings(n_positions=20))
    fast = simulate_bad_debt(book, paths, 0.85, 0.05, 1e12, LendingSettings(impact_k=0.0))
    slow = simulate_bad_debt(
        book, paths, 0.85, 0.05, 1e3, LendingSettings(impact_k=0.0, participation=0.01)
    )
    late = simulate_bad_debt(
        book, paths, 0.85, 0.05, 1e12, LendingSettings(impact_k=0.0, delay_hours=6)
    )
    p_end = 0.96**24
    shortfall = np.maximum(book.debt - book.collateral * p_end, 0).sum()
    assert slow.bad_debt.mean() == pytest.approx(shortfall, rel=1e-3)
    assert fast.bad_debt.mean() < late.bad_debt.mean() < slow.bad_debt.mean()


def test_parameter_checks_name_the_problem():
    with pytest.raises(ConfigError, match="exceeds 1"):
        ReserveParameters(ltv=0.9, liquidation_threshold=0.97, liquidation_bonus=0.05)
    with pytest.raises(ConfigError, match="ltv"):
        ReserveParameters(ltv=0.9, liquidation_threshold=0.85, liquidation_bonus=0.05)
    with pytest.raises(ConfigError, match="step_hours"):
        LendingSettings(step_hours=5)
    with pytest.raises(ConfigError, match="bonus"):
        simulate_bad_debt(
            LoanBook(np.ones(1), np.ones(1) * 0.5), _jump_paths(0.1, 10), 0.97, 0.05, 1e6
        )


# --- Risk Steward --------------------------------------------------------------------------------

rate = st.integers(min_value=100, max_value=9400)


@st.composite
def reserve(draw):
    lt = draw(rate) / 10_000
    ltv = draw(st.integers(min_value=50, max_value=round(lt * 10_000))) / 10_000
    max_b = math.floor((1 / lt - 1) * 10_000) - 1
    b = draw(st.integers(min_value=0, max_value=max(0, min(max_b, 2000)))) / 10_000
    cap = draw(st.floats(min_value=1e3, max_value=1e10))
    return ReserveParameters(
        ltv=ltv, liquidation_threshold=lt, liquidation_bonus=b, supply_cap=cap, borrow_cap=cap / 2
    )


limits = st.builds(
    StewardLimits,
    ltv=st.sampled_from([0.0025, 0.005, 0.01]),
    liquidation_threshold=st.sampled_from([0.0025, 0.005, 0.01]),
    liquidation_bonus=st.sampled_from([0.005, 0.01]),
    cap_relative=st.sampled_from([0.5, 1.0]),
)


@settings(max_examples=200, deadline=None)
@given(reserve(), reserve(), st.one_of(st.just(StewardLimits()), limits))
def test_steward_path_never_exceeds_a_step_limit_and_arrives(cur, tgt, lim):
    path = steward_path(cur, tgt, lim)
    for a, b in zip(path.updates, path.updates[1:], strict=False):
        assert within_limits(a, b, lim)
        assert abs(b.ltv - a.ltv) <= lim.ltv + 1e-12
        assert abs(b.liquidation_threshold - a.liquidation_threshold) <= (
            lim.liquidation_threshold + 1e-12
        )
        assert abs(b.liquidation_bonus - a.liquidation_bonus) <= lim.liquidation_bonus + 1e-12
        assert b.supply_cap <= (1 + lim.cap_relative) * a.supply_cap * (1 + 1e-12)
        assert b.supply_cap >= (1 - lim.cap_relative) * a.supply_cap * (1 - 1e-12)
        # intermediate updates stay valid for Aave: LTV <= LT and LT (1 + bonus) <= 1
        assert b.ltv <= b.liquidation_threshold
        assert b.liquidation_threshold * (1 + b.liquidation_bonus) <= 1 + 1e-12
    end = path.updates[-1]
    assert end.ltv == pytest.approx(tgt.ltv, abs=1e-9)
    assert end.liquidation_threshold == pytest.approx(tgt.liquidation_threshold, abs=1e-9)
    assert end.liquidation_bonus == pytest.approx(tgt.liquidation_bonus, abs=1e-9)
    assert end.supply_cap == pytest.approx(tgt.supply_cap)
    # the slowest parameter sets the count; no path is shorter than the distance / limit
    need = max(
        steps_needed(cur.ltv, tgt.ltv, lim.ltv),
        steps_needed(
            cur.liquidation_threshold, tgt.liquidation_threshold, lim.liquidation_threshold
        ),
        steps_needed(cur.liquidation_bonus, tgt.liquidation_bonus, lim.liquidation_bonus),
        steps_needed(cur.supply_cap, tgt.supply_cap, lim.cap_relative, relative=True),
        steps_needed(cur.borrow_cap, tgt.borrow_cap, lim.cap_relative, relative=True),
    )
    assert len(path.updates) - 1 >= need
    assert path.n_updates >= need


def test_steps_needed_by_hand():
    # WBTC LT 78% -> 77% (the 2024-08 Aave proposal): 100 bp / 25 bp = 4 updates
    assert steps_needed(0.78, 0.77, 0.0025) == 4
    # bonus 5% -> 7.5%: 250 bp / 50 bp = 5
    assert steps_needed(0.05, 0.075, 0.005) == 5
    # cap x 10 with +100% per update: 2^3 = 8 < 10 <= 16 = 2^4 -> 4 updates; a cut is one update
    assert steps_needed(100.0, 1000.0, 1.0, relative=True) == 4
    assert steps_needed(1000.0, 1.0, 1.0, relative=True) == 1
    p = steward_path(
        AAVE_V3_ETHEREUM["WBTC"],
        AAVE_V3_ETHEREUM["WBTC"].replace(ltv=0.70, liquidation_threshold=0.77),
    )
    assert p.steps["ltv"] == 12 and p.steps["liquidation_threshold"] == 4 and p.n_updates == 12
    assert p.min_days == 33.0


# --- price paths and the proposal ---------------------------------------------------------------


def _returns(n: int = 600, seed: int = 3, vol: float = 0.04) -> pd.Series:
    rng = np.random.default_rng(seed)
    idx = pd.date_range("2018-01-01", periods=n, freq="D")
    return pd.Series(vol * rng.standard_t(4, n) / math.sqrt(2), index=idx)


def test_price_paths_are_seeded_and_do_not_look_ahead():
    r = _returns()
    s = LendingSettings(n_sims=200, window=300)
    a = fhs_price_paths(r, s, as_of="2019-04-01")
    changed = r.copy()
    changed.loc["2019-04-02":] *= 5.0  # data after the as-of date must not matter
    b = fhs_price_paths(changed, s, as_of="2019-04-01")
    np.testing.assert_array_equal(a.relative, b.relative)
    assert a.as_of == pd.Timestamp("2019-04-01")
    assert a.relative.shape == (200, 25)
    np.testing.assert_allclose(a.relative[:, 0], 1.0)
    c = fhs_price_paths(r, s.replace(seed=1), as_of="2019-04-01")
    assert not np.array_equal(a.relative, c.relative)


def test_bridge_keeps_the_daily_return():
    # the hourly steps of a day add up to the simulated daily return: its distribution is the
    # FHS one, whose 1-day standard deviation is the GARCH forecast
    r = _returns(800)
    s = LendingSettings(n_sims=4000, window=500)
    p = fhs_price_paths(r, s)
    daily = np.log(p.relative[:, -1])
    assert daily.std() == pytest.approx(p.sigma_daily, rel=0.08)


def test_proposal_meets_targets_and_first_step_respects_limits():
    r = _returns(700)
    s = LendingSettings(n_sims=400, window=500, n_positions=20, bonus_grid=(0.05, 0.1))
    cur = AAVE_V3_ETHEREUM["WETH"].replace(supply_cap=5e7, borrow_cap=4e7)
    prop = propose_parameters(
        "X/USDC", r, cur, adv_usd=2e7, supply_usd=1e8, price=100.0, settings=s
    )
    t = prop.target
    assert prop.at_target["var_fraction"] <= s.var_target
    assert prop.at_target["extreme_var_fraction"] <= s.extreme_var_target
    assert t.liquidation_threshold - t.ltv == pytest.approx(0.025)
    assert within_limits(cur, prop.first_step)
    assert prop.summary().loc["liquidation_threshold", "target"] == t.liquidation_threshold
    # one grid step higher breaks a target (the search returned the largest admissible LT)
    if t.liquidation_threshold + s.grid_step < min(s.lt_max, 1 / (1 + t.liquidation_bonus)):
        pp = fhs_price_paths(r, s)
        lt2 = t.liquidation_threshold + s.grid_step
        res = simulate_bad_debt(
            make_loan_book(1e8, lt2 - 0.025, s), pp, lt2, t.liquidation_bonus, 2e7, s
        )
        over = (res.var > s.var_target * res.total_debt) or (
            res.extreme_var > s.extreme_var_target * res.total_debt
        )
        assert over


def test_supply_cap_search_brackets_the_target_loss():
    r = _returns(700, vol=0.08)
    s = LendingSettings(n_sims=400, window=500, n_positions=20, cap_target_usd=1e5)
    pp = fhs_price_paths(r, s)
    params = ReserveParameters(ltv=0.86, liquidation_threshold=0.9, liquidation_bonus=0.05)
    cap = supply_cap_search(pp, params, adv_usd=1e7, settings=s)
    assert np.isfinite(cap)

    def evar(supply):
        return simulate_bad_debt(make_loan_book(supply, 0.86, s), pp, 0.9, 0.05, 1e7, s).extreme_var

    assert evar(cap) <= s.cap_target_usd < evar(cap * 1.02)


def test_liquidity_cap_sells_the_seized_collateral_at_an_impact_equal_to_the_bonus():
    # one position at LTV 0.8, LT 0.82: a 15% drop leaves HF = 0.85 x 0.82 / 0.8 = 0.871 < 0.95,
    # so all the debt may be repaid and 0.8 x 1.05 = 0.84 of collateral per USD of supply is
    # seized. At the cap, selling it moves the price by the square-root law k sigma sqrt(q/ADV)
    # (Toth et al. 2011) by exactly the liquidator's edge b / (1 + b) (Chaos Labs, 2023-02).
    s = LendingSettings(n_positions=1, cap_extreme_drop=0.15, impact_k=1.0)
    params = ReserveParameters(ltv=0.8, liquidation_threshold=0.82, liquidation_bonus=0.05)
    adv, sigma = 1e6, 0.1
    cap = liquidity_supply_cap(params, adv, sigma, s)
    sold = 0.84 * cap
    assert 1.0 * sigma * math.sqrt(sold / adv) == pytest.approx(0.05 / 1.05, rel=1e-9)
    # HF after the drop 0.85 x 0.5 / 0.4 = 1.06: nothing to liquidate, the bound does not bind
    safe = ReserveParameters(ltv=0.4, liquidation_threshold=0.5, liquidation_bonus=0.05)
    assert liquidity_supply_cap(safe, adv, sigma, s) == math.inf
    with pytest.raises(ConfigError, match="adv_usd"):
        liquidity_supply_cap(params, 0.0, sigma, s)


def test_stressed_start_widens_the_paths_and_keeps_no_look_ahead():
    r = _returns(700)
    r.iloc[300:330] *= 4.0  # a stressed month inside the 500-day window (days 139-638)
    base = LendingSettings(n_sims=300, window=500, stress_quantile=None)
    calm = fhs_price_paths(r, base, as_of="2019-10-01")
    stressed = fhs_price_paths(r, base.replace(stress_quantile=0.99), as_of="2019-10-01")
    assert stressed.sigma_daily > calm.sigma_daily
    assert "stressed start" in stressed.method
    changed = r.copy()
    changed.loc["2019-10-02":] *= 10.0
    again = fhs_price_paths(changed, base.replace(stress_quantile=0.99), as_of="2019-10-01")
    np.testing.assert_array_equal(stressed.relative, again.relative)


def test_proposal_cap_is_bounded_by_liquidity_or_reported_as_not_binding():
    r = _returns(700)
    s = LendingSettings(n_sims=300, window=500, n_positions=20, bonus_grid=(0.05,))
    cur = AAVE_V3_ETHEREUM["WETH"]
    prop = propose_parameters("X/USDC", r, cur, adv_usd=2e7, supply_usd=1e8, price=1.0, settings=s)
    assert prop.cap_binding in {"loss target", "liquidity"} or prop.cap_binding.startswith(
        "not binding"
    )
    if prop.target.supply_cap is None:
        assert prop.cap_binding.startswith("not binding")
    else:
        assert prop.target.supply_cap <= min(prop.liquidity_cap_usd, 10 * 2e7) * (1 + 1e-9)
    # a grid that stops below what the targets allow is reported as such
    low = propose_parameters(
        "X/USDC", r, cur, 2e7, 1e8, 1.0, s.replace(lt_min=0.55, lt_max=0.6, cap_target_usd=1e9)
    )
    assert low.target.liquidation_threshold == pytest.approx(0.6)
    assert low.lt_binding == "top of the search grid (lt_max)"
