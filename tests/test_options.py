"""riskkit.options: prices, Greeks, implied vol, inverse contracts, scenario-grid margin."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy.stats import norm

from riskkit.exceptions import ConfigError, DataError, RiskkitError
from riskkit.options import (
    Greeks,
    black76_price,
    black_scholes_price,
    book_greeks,
    calibrate_grid,
    deribit_grid_margin,
    greeks,
    implied_volatility,
    inverse_future_pnl,
    linear_future_pnl,
    make_book,
    premium_to_coin,
    premium_to_usd,
    scenario_pnl,
    span_margin,
    taylor_vs_full,
    var_margin,
)

# ---------------------------------------------------------------- textbook values


def test_black_scholes_hull_example_15_6() -> None:
    # Hull, Options, Futures and Other Derivatives (8th ed.), Example 15.6:
    # S=42, K=40, r=10%, sigma=20%, T=0.5 -> call 4.76, put 0.81
    c = black_scholes_price(42, 40, 0.5, 0.2, r=0.1, kind="call")
    p = black_scholes_price(42, 40, 0.5, 0.2, r=0.1, kind="put")
    assert c == pytest.approx(4.76, abs=0.005)
    assert p == pytest.approx(0.81, abs=0.005)


def test_black76_hull_futures_option_example() -> None:
    # Hull, OFOD, chapter "Futures options and Black's model", worked example:
    # European put on crude-oil futures, F=K=20, r=9%, sigma=25%, T=4 months -> 1.12
    p = black76_price(20, 20, 4 / 12, 0.25, r=0.09, kind="put")
    assert p == pytest.approx(1.12, abs=0.005)
    # at the money the Black-76 call and put are equal (put-call parity with F = K)
    assert black76_price(20, 20, 4 / 12, 0.25, r=0.09, kind="call") == pytest.approx(p, abs=1e-12)


def test_greeks_hull_chapter_19_example() -> None:
    # Hull, OFOD (8th ed.), ch. 19 ("The Greek letters"), the 100,000-call example:
    # S=49, K=50, r=5%, sigma=20%, T=20 weeks (0.3846): delta 0.522, gamma 0.066,
    # vega 12.1 (per 1.00 vol), theta -4.31 per year
    g = greeks(49, 50, 0.3846, 0.2, r=0.05, kind="call", model="black_scholes")
    assert isinstance(g, Greeks) and isinstance(g.delta, float)
    assert g.delta == pytest.approx(0.522, abs=0.0005)
    assert g.gamma == pytest.approx(0.066, abs=0.0005)
    assert g.vega == pytest.approx(12.1, abs=0.05)
    assert g.theta == pytest.approx(-4.31, abs=0.005)


# ---------------------------------------------------------------- identities


@pytest.fixture
def option_grid() -> dict[str, np.ndarray]:
    rng = np.random.default_rng(7)
    n = 200
    return {
        "U": rng.uniform(50, 150, n),
        "K": rng.uniform(50, 150, n),
        "T": rng.uniform(0.02, 2.0, n),
        "sigma": rng.uniform(0.1, 1.5, n),
        "r": rng.uniform(-0.01, 0.08, n),
        "q": rng.uniform(0.0, 0.05, n),
    }


def test_put_call_parity(option_grid: dict[str, np.ndarray]) -> None:
    # closed form: Black-76 c - p = exp(-rT)(F - K); Black-Scholes c - p = S e^{-qT} - K e^{-rT}
    g = option_grid
    c = black76_price(g["U"], g["K"], g["T"], g["sigma"], g["r"], "call")
    p = black76_price(g["U"], g["K"], g["T"], g["sigma"], g["r"], "put")
    np.testing.assert_allclose(c - p, np.exp(-g["r"] * g["T"]) * (g["U"] - g["K"]), atol=1e-10)
    c = black_scholes_price(g["U"], g["K"], g["T"], g["sigma"], g["r"], g["q"], "call")
    p = black_scholes_price(g["U"], g["K"], g["T"], g["sigma"], g["r"], g["q"], "put")
    parity = g["U"] * np.exp(-g["q"] * g["T"]) - g["K"] * np.exp(-g["r"] * g["T"])
    np.testing.assert_allclose(c - p, parity, atol=1e-10)


@pytest.mark.parametrize("model", ["black76", "black_scholes"])
@pytest.mark.parametrize("kind", ["call", "put"])
def test_greeks_match_central_differences(
    option_grid: dict[str, np.ndarray], model: str, kind: str
) -> None:
    # reference: central finite differences of the price function
    g = option_grid
    U, K, T, s, r, q = g["U"], g["K"], g["T"], g["sigma"], g["r"], g["q"]

    def price(u: np.ndarray, t: np.ndarray, v: np.ndarray) -> np.ndarray:
        if model == "black76":
            return black76_price(u, K, t, v, r, kind)
        return black_scholes_price(u, K, t, v, r, q, kind)

    out = greeks(U, K, T, s, r, q, kind, model=model)
    hu, ht, hv = 1e-4 * U, 1e-6, 1e-6
    delta = (price(U + hu, T, s) - price(U - hu, T, s)) / (2 * hu)
    gamma = (price(U + hu, T, s) - 2 * price(U, T, s) + price(U - hu, T, s)) / hu**2
    vega = (price(U, T, s + hv) - price(U, T, s - hv)) / (2 * hv)
    theta = -(price(U, T + ht, s) - price(U, T - ht, s)) / (2 * ht)
    np.testing.assert_allclose(out.price, price(U, T, s), rtol=1e-12)
    np.testing.assert_allclose(out.delta, delta, atol=1e-7)
    np.testing.assert_allclose(out.gamma, gamma, rtol=1e-4, atol=1e-8)
    np.testing.assert_allclose(out.vega, vega, rtol=1e-6, atol=1e-6)
    np.testing.assert_allclose(out.theta, theta, rtol=1e-5, atol=1e-5)


def test_implied_vol_round_trip(option_grid: dict[str, np.ndarray]) -> None:
    # reference: the volatility used to produce the price
    g = option_grid
    for model in ("black76", "black_scholes"):
        for kind in ("call", "put"):
            if model == "black76":
                p = black76_price(g["U"], g["K"], g["T"], g["sigma"], g["r"], kind)
            else:
                p = black_scholes_price(g["U"], g["K"], g["T"], g["sigma"], g["r"], g["q"], kind)
            # deep in/out of the money prices carry no volatility information at float precision
            vega = greeks(g["U"], g["K"], g["T"], g["sigma"], g["r"], g["q"], kind, model).vega
            ok = vega > 1e-3
            iv = implied_volatility(
                p[ok], g["U"][ok], g["K"][ok], g["T"][ok], g["r"][ok], g["q"][ok], kind, model
            )
            np.testing.assert_allclose(iv, g["sigma"][ok], rtol=1e-7)


def test_pandas_in_pandas_out() -> None:
    idx = pd.Index(["a", "b", "c"], name="option")
    F = pd.Series([9000.0, 10000.0, 11000.0], index=idx)
    p = black76_price(F, 10000, 30 / 365, 0.8, kind="call")
    assert isinstance(p, pd.Series) and p.index.equals(idx)
    g = greeks(F, 10000, 30 / 365, 0.8, kind="put")
    assert isinstance(g.delta, pd.Series) and g.delta.index.equals(idx) and g.delta.name == "delta"
    table = g.to_frame()
    assert table.index.equals(idx)
    assert list(table.columns) == ["price", "delta", "gamma", "vega", "theta"]
    pd.testing.assert_series_equal(
        table["price"], black76_price(F, 10000, 30 / 365, 0.8, kind="put")
    )
    iv = implied_volatility(p, F, 10000, 30 / 365, kind="call")
    np.testing.assert_allclose(iv.to_numpy(), 0.8, rtol=1e-8)


# ---------------------------------------------------------------- bad input


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"sigma": -0.2}, "sigma: volatility"),
        ({"T": 0.0}, "expired"),
        ({"T": -0.1}, "expired"),
        ({"F": 0.0}, "F: underlying price"),
        ({"F": -5.0}, "F: underlying price"),
        ({"K": 0.0}, "K: strike"),
        ({"kind": "straddle"}, "'call' or 'put'"),
    ],
)
def test_bad_option_inputs_raise(kwargs: dict, match: str) -> None:
    args = {"F": 100.0, "K": 100.0, "T": 0.5, "sigma": 0.5, "kind": "call"} | kwargs
    with pytest.raises(ConfigError, match=match):
        black76_price(args["F"], args["K"], args["T"], args["sigma"], kind=args["kind"])


def test_implied_vol_outside_no_arbitrage_bounds() -> None:
    # Black-76 call, r=0: intrinsic lower bound F-K=10, upper bound F=110
    with pytest.raises(DataError, match="outside the no-arbitrage bounds"):
        implied_volatility(9.0, 110, 100, 0.5, kind="call")
    with pytest.raises(DataError, match="outside the no-arbitrage bounds"):
        implied_volatility(111.0, 110, 100, 0.5, kind="call")
    with pytest.raises(DataError, match="bracket"):
        # true vol 3.0 lies outside a bracket of (0.01, 1.0)
        implied_volatility(black76_price(100, 100, 1, 3.0), 100, 100, 1, bracket=(0.01, 1.0))


# ---------------------------------------------------------------- inverse contracts


def test_inverse_future_pnl_matches_contract_definition() -> None:
    # Deribit inverse future definition: P&L(BTC) = size_usd * (1/entry - 1/exit)
    assert inverse_future_pnl(10_000, 10_000, 12_500) == pytest.approx(0.2, abs=1e-15)
    # a short loses more coin on a rise than it gains on an equal fall (convexity)
    up = inverse_future_pnl(-10_000, 10_000, 12_000)
    down = inverse_future_pnl(-10_000, 10_000, 8_000)
    assert -up < down
    # identity: coin P&L = linear USD P&L of size/entry coins divided by the exit price
    q = 10_000 / 10_000
    assert inverse_future_pnl(10_000, 10_000, 9_000) == pytest.approx(
        linear_future_pnl(q, 10_000, 9_000) / 9_000, rel=1e-14
    )
    with pytest.raises(ConfigError, match="exit"):
        inverse_future_pnl(1, 100, 0)


def test_premium_conversion_round_trip() -> None:
    usd = black76_price(40_000, 45_000, 0.25, 0.7, kind="call")
    coin = premium_to_coin(usd, 40_000)
    assert coin == pytest.approx(usd / 40_000)
    assert premium_to_usd(coin, 40_000) == pytest.approx(usd)


# ---------------------------------------------------------------- grid margin


F0 = 10_000.0
T30 = 30 / 365


def straddle(q: float = -1.0, vol: float = 0.8) -> pd.DataFrame:
    return make_book(
        [
            {"instrument": "call", "quantity": q, "strike": F0, "expiry": T30, "vol": vol},
            {"instrument": "put", "quantity": q, "strike": F0, "expiry": T30, "vol": vol},
        ]
    )


def test_futures_only_grid_margin_is_the_largest_move() -> None:
    # closed form: a linear future loses |q| F R at the edge of the grid
    book = make_book([{"instrument": "future", "quantity": -2.0}])
    res = deribit_grid_margin(book, F0, price_range=0.16)
    assert res.initial == pytest.approx(2 * F0 * 0.16, rel=1e-12)
    assert res.worst.price_move == pytest.approx(0.16)
    assert res.maintenance == pytest.approx(0.8 * res.initial)
    # inverse, in coin: long q coins of face loses q * R / (1 - R) coin on a fall of R
    res_coin = deribit_grid_margin(
        make_book([{"instrument": "future", "quantity": 1.0}]), F0, currency="coin"
    )
    assert res_coin.initial == pytest.approx(0.16 / 0.84, rel=1e-12)


def test_short_straddle_worst_case_at_largest_move_vol_up() -> None:
    res = deribit_grid_margin(straddle(), F0, price_range=0.16, vol_up=0.5, vol_down=0.25)
    assert abs(res.worst.price_move) == pytest.approx(0.16)
    assert res.worst.vol_shock == pytest.approx(0.5)
    # independent revaluation of that scenario with black76_price (30-day option: no term scaling)
    m = res.worst.price_move
    v0 = sum(black76_price(F0, F0, T30, 0.8, kind=k) for k in ("call", "put"))
    v1 = sum(black76_price(F0 * (1 + m), F0, T30, 0.8 * 1.5, kind=k) for k in ("call", "put"))
    assert res.initial == pytest.approx(v1 - v0, rel=1e-12)
    assert len(res.scenarios) == 9 * 3


def test_long_option_loss_bounded_by_premium() -> None:
    book = make_book(
        [{"instrument": "call", "quantity": 3.0, "strike": 12_000, "expiry": 10 / 365, "vol": 0.6}]
    )
    premium = 3 * black76_price(F0, 12_000, 10 / 365, 0.6, kind="call")
    res = deribit_grid_margin(book, F0, price_range=0.3)
    assert 0 < res.initial <= premium
    # the worst case is the largest fall with vol down
    assert res.worst.price_move == pytest.approx(-0.3)
    assert res.worst.vol_shock == pytest.approx(-0.25)


def test_covered_call_margin_below_the_future_alone() -> None:
    # long 1 future + short 1 call at 11,000: on the largest fall the short call's premium
    # cushions the future's loss F R; on a rise the gain is capped near K - F
    covered = make_book(
        [
            {"instrument": "future", "quantity": 1.0},
            {"instrument": "call", "quantity": -1.0, "strike": 11_000, "expiry": T30, "vol": 0.8},
        ]
    )
    res = deribit_grid_margin(covered, F0)
    fut_alone = F0 * 0.16
    call0 = black76_price(F0, 11_000, T30, 0.8, kind="call")
    assert res.worst.price_move == pytest.approx(-0.16)
    assert res.initial < fut_alone
    # the cushion is at most the premium received: loss >= F R - call0
    assert res.initial >= fut_alone - call0


def test_span_sixteen_scenarios() -> None:
    res = span_margin(straddle(), F0, price_scan_range=0.1, vol_scan_range=0.25)
    tab = res.scenarios
    assert list(tab.index) == list(range(1, 17))
    # SPAN order: 1-2 unchanged, 3-14 +-1/3, 2/3, 3/3 with vol up/down, 15-16 +-2x at 35%
    np.testing.assert_allclose(tab["price_move"].iloc[:2], 0.0)
    np.testing.assert_allclose(
        tab["price_move"].iloc[2:14].to_numpy(),
        np.repeat([1 / 30, -1 / 30, 2 / 30, -2 / 30, 0.1, -0.1], 2),
        atol=1e-15,
    )
    np.testing.assert_allclose(tab["vol_shock"].iloc[:14].to_numpy(), np.tile([0.25, -0.25], 7))
    np.testing.assert_allclose(tab["weight"].iloc[14:], 0.35)
    np.testing.assert_allclose(tab["price_move"].iloc[14:], [0.2, -0.2])
    # futures only, closed form of the scenario table. Default = NSE Clearing's published SPAN
    # table (scenarios 15-16: 2x the scan range, 35% covered): 0.70 < 1, so an outright future is
    # margined at exactly its scan range (the 3/3 scenarios), as CME's and the FIA's SPAN
    # descriptions state (futures price scan range = outright maintenance requirement)
    fut_book = make_book([{"instrument": "future", "quantity": 1.0}])
    fut = span_margin(fut_book, F0, 0.1, 0.25)
    assert fut.initial == pytest.approx(F0 * 0.1, rel=1e-12)
    assert fut.worst.price_move == pytest.approx(-0.1)
    # the 3x reading of CME's table: the extreme scenario dominates, 0.35 * 3 = 1.05 x the range
    three = span_margin(fut_book, F0, 0.1, 0.25, extreme_multiple=3.0)
    assert three.initial == pytest.approx(1.05 * F0 * 0.1, rel=1e-12)
    assert three.worst.price_move == pytest.approx(-0.3)


def test_scenario_pnl_coin_options() -> None:
    # coin P&L of an option = V1/F1 - V0/F0 (Deribit premium in coin)
    book = make_book(
        [{"instrument": "put", "quantity": 1.0, "strike": 9_000, "expiry": T30, "vol": 0.7}]
    )
    pnl = scenario_pnl(book, F0, [-0.1], [0.0], currency="coin").iloc[0, 0]
    v0 = black76_price(F0, 9_000, T30, 0.7, kind="put") / F0
    v1 = black76_price(9_000, 9_000, T30, 0.7, kind="put") / 9_000
    assert pnl == pytest.approx(v1 - v0, rel=1e-12)


def test_vol_shock_term_scaling() -> None:
    # a 7-day option's vol shock is scaled by (30/7)^0.3 (Deribit's published form)
    book = make_book(
        [{"instrument": "call", "quantity": 1.0, "strike": F0, "expiry": 7 / 365, "vol": 0.5}]
    )
    pnl = scenario_pnl(book, F0, [0.0], [0.5], vega_power=0.3).iloc[0, 0]
    vol_up = 0.5 * (1 + 0.5 * (30 / 7) ** 0.3)
    ref = black76_price(F0, F0, 7 / 365, vol_up) - black76_price(F0, F0, 7 / 365, 0.5)
    assert pnl == pytest.approx(ref, rel=1e-12)


def test_bad_book_raises_with_rows() -> None:
    with pytest.raises(DataError, match=r"'expiry'.*rows \[1\]"):
        make_book(
            [
                {"instrument": "call", "quantity": 1, "strike": 1, "expiry": 0.1, "vol": 0.5},
                {"instrument": "put", "quantity": 1, "strike": 1, "expiry": 0.0, "vol": 0.5},
            ]
        )
    with pytest.raises(DataError, match="'vol'"):
        make_book([{"instrument": "call", "quantity": 1, "strike": 1, "expiry": 0.1, "vol": -1}])
    with pytest.raises(DataError, match="instrument"):
        make_book([{"instrument": "swap", "quantity": 1}])
    with pytest.raises(ConfigError, match="underlying"):
        deribit_grid_margin(straddle(), -1.0)
    with pytest.raises(RiskkitError, match="price_moves"):
        scenario_pnl(straddle(), F0, [-1.5])


# ---------------------------------------------------------------- calibration, Taylor


def test_calibrate_grid_price_range_matches_normal_closed_form() -> None:
    # iid normal returns: |h-day log move| ~ half-normal, q-quantile = s sqrt(h) z_{(1+q)/2}
    rng = np.random.default_rng(11)
    s, n = 0.03, 20_000
    r = pd.Series(s * rng.standard_normal(n), index=pd.date_range("2000-01-01", periods=n))
    for h in (1, 5):
        cal = calibrate_grid(r, horizon=h, quantile=0.99)
        expected = np.expm1(s * np.sqrt(h) * norm.ppf(0.995))
        assert cal.price_range == pytest.approx(expected, rel=0.05)
        assert cal.vol_up > 0 and 0 < cal.vol_down < 1
    with pytest.raises(ConfigError, match="quantile"):
        calibrate_grid(r, quantile=99.5)


def test_taylor_vs_full() -> None:
    # futures only: the delta approximation is exact
    fut = make_book([{"instrument": "future", "quantity": 1.5}])
    t = taylor_vs_full(fut, F0, [-0.2, 0.1])
    np.testing.assert_allclose(t["error_delta"], 0.0, atol=1e-9)
    # short ATM straddle (small negative delta): on a 30% fall the delta view sees a gain
    # while full revaluation shows a loss; the delta-gamma error is third order (Taylor):
    # halving the move divides it by about 8
    t = taylor_vs_full(straddle(), F0, [-0.3, 0.01, 0.02, 0.3])
    assert t.loc[-0.3, "delta"] > 0 > t.loc[-0.3, "full"]
    assert abs(t.loc[0.3, "delta"]) < 0.25 * abs(t.loc[0.3, "full"])
    ratio = t.loc[0.02, "error_delta_gamma"] / t.loc[0.01, "error_delta_gamma"]
    assert 6.0 < ratio < 10.0
    # book Greeks are sums of the instruments' Greeks
    g = book_greeks(straddle(), F0)
    ref = greeks(F0, F0, T30, 0.8, kind="call").gamma + greeks(F0, F0, T30, 0.8, kind="put").gamma
    assert g["gamma"] == pytest.approx(-ref, rel=1e-12)


def test_var_margin_full_revaluation() -> None:
    # reference: for a futures-only book the loss is -q F (exp(x) - 1); riskkit's empirical VaR is
    # the lower quantile (smallest loss with F >= level), numpy's method="inverted_cdf"
    rng = np.random.default_rng(3)
    x = 0.04 * rng.standard_normal(5000)
    fut = make_book([{"instrument": "future", "quantity": -2.0}])
    out = var_margin(fut, F0, x, levels=[0.99])
    ref = np.quantile(2 * F0 * np.expm1(x), 0.99, method="inverted_cdf")
    assert out.loc[0.99, "var"] == pytest.approx(ref, rel=1e-12)
    # a long option never loses more than its premium, whatever the scenarios
    call = make_book(
        [{"instrument": "call", "quantity": 1.0, "strike": F0, "expiry": T30, "vol": 0.8}]
    )
    premium = black76_price(F0, F0, T30, 0.8)
    big = var_margin(call, F0, 3 * x, levels=[0.999], vol_shocks=np.where(x > 0, -0.5, 0.0))
    assert 0 < big.loc[0.999, "es"] <= premium


# ---------------------------------------------------------------- result tables are storable


def test_greeks_table_shapes() -> None:
    # scalar inputs: one row; array inputs: one row per option; 2-D Greeks: no table
    one = greeks(100.0, 100.0, 0.5, 0.5).to_frame()
    assert one.shape == (1, 5) and one.index.equals(pd.RangeIndex(1))
    assert one.loc[0, "price"] == black76_price(100.0, 100.0, 0.5, 0.5)
    arr = greeks(np.array([90.0, 110.0]), 100.0, 0.5, 0.5, kind="put")
    np.testing.assert_array_equal(arr.to_frame()["gamma"].to_numpy(), arr.gamma)
    grid = greeks(np.array([[90.0], [110.0]]), np.array([95.0, 105.0]), 0.5, 0.5)
    assert grid.price.shape == (2, 2)
    with pytest.raises(ConfigError, match="one row per option"):
        grid.to_frame()


@pytest.mark.parametrize("fmt", ["parquet", "csv"])
def test_result_tables_round_trip(round_trip, fmt: str) -> None:
    """Every table of an options result writes to Parquet and CSV and reads back equal."""
    idx = pd.Index(["a", "b", "c"], name="option")
    g = greeks(pd.Series([9000.0, 10000.0, 11000.0], index=idx), 10000, 30 / 365, 0.8)
    grid = deribit_grid_margin(straddle(), F0)
    span = span_margin(straddle(), F0, 0.1, 0.25)
    cal = calibrate_grid(
        pd.Series(
            0.03 * np.random.default_rng(1).standard_normal(400),
            index=pd.date_range("2020-01-01", periods=400, name="date"),
        )
    )
    tables = {
        "greeks": g.to_frame(),
        "book greeks": book_greeks(straddle(), F0).to_frame(),
        "grid scenarios": grid.scenarios,
        "grid worst": grid.worst.to_frame(),
        "span scenarios": span.scenarios,
        "grid calibration": cal.summary().to_frame("value"),
        "taylor": taylor_vs_full(straddle(), F0, [-0.1, 0.0, 0.1]),
    }
    for name, table in tables.items():
        assert table.attrs == {}, name
        back = round_trip(table, fmt)
        pd.testing.assert_frame_equal(back, table, obj=name)
