"""Coverage tables and tests, volatility regimes and stress scenarios of riskkit.margin."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from riskkit.exceptions import ConfigError, DataError
from riskkit.margin import (
    breaches,
    calibrate_regimes,
    classify_regimes,
    coverage_table,
    coverage_tests,
    historical_stress,
    hypothetical_stress,
    margin_period_loss,
    regime_margin,
    worst_windows,
)


def _series(values, start="2019-01-01"):
    idx = pd.date_range(start, periods=len(values), freq="D", name="date")
    return pd.Series(np.asarray(values, dtype=float), index=idx)


def test_margin_period_loss_hand_computed():
    r = _series([0.1, -0.2, 0.05])
    one = margin_period_loss(r, 1)
    assert one["long"].tolist() == pytest.approx(
        [1 - math.exp(0.1), 1 - math.exp(-0.2), 1 - math.exp(0.05)]
    )
    two = margin_period_loss(r, 2)
    # R_0 = 0.1 - 0.2 = -0.1, R_1 = -0.15, R_2 runs past the data
    assert two["long"].iloc[0] == pytest.approx(1 - math.exp(-0.1))
    assert two["short"].iloc[1] == pytest.approx(math.exp(-0.15) - 1)
    assert np.isnan(two["long"].iloc[2])


def test_coverage_table_hand_counted():
    r = _series([-0.05, 0.0, -0.01, 0.06, -0.2], start="2019-12-30")
    margin = _series([0.04] * 5, start="2019-12-30")
    table = coverage_table(margin, margin_period_loss(r, 1), "year")
    # 2019: day 1 long loss 4.88% > 4% (one breach); 2020: short loss 6.18% and long loss 18.1%
    assert table.loc[2019, "breaches_long"] == 1 and table.loc[2019, "n"] == 2
    assert table.loc[2020, "breaches_long"] == 1 and table.loc[2020, "breaches_short"] == 1
    assert table.loc["all", "n"] == 5
    assert table.loc["all", "max_excess"] == pytest.approx(1 - math.exp(-0.2) - 0.04)
    labels = pd.Series(list("aabbb"), index=r.index)
    by_label = coverage_table(margin, margin_period_loss(r, 1), labels)
    assert by_label.loc["b", "rate_long"] == pytest.approx(1 / 3)


def test_breaches_hand_computed_with_explicit_columns():
    r = _series([-0.05, 0.0, -0.01, 0.06, -0.2])
    margin = _series([0.04] * 5)
    losses = margin_period_loss(r, 1)
    losses.iloc[1, 1] = np.nan  # a date with an unknown loss is left out
    hits = breaches(margin, losses)
    assert hits.columns.tolist() == [
        "margin",
        "loss_long",
        "loss_short",
        "loss",
        "long",
        "short",
        "breach",
        "excess_long",
        "excess_short",
        "excess",
    ]
    assert not hits.attrs  # everything the result says is in its columns
    assert hits.index.equals(r.index.delete(1))
    # by hand: long losses 1 - e^r = 4.88%, 1.00%, -6.18%, 18.13%; short losses e^r - 1
    assert hits["long"].tolist() == [True, False, False, True]
    assert hits["short"].tolist() == [False, False, True, False]
    assert hits["breach"].tolist() == [True, False, True, True]
    assert hits["loss"].tolist() == pytest.approx(
        [1 - math.exp(-0.05), 1 - math.exp(-0.01), math.exp(0.06) - 1, 1 - math.exp(-0.2)]
    )
    assert hits["excess"].iloc[[0, 2, 3]].tolist() == pytest.approx(
        [1 - math.exp(-0.05) - 0.04, math.exp(0.06) - 1.04, 1 - math.exp(-0.2) - 0.04]
    )
    assert np.isnan(hits["excess"].iloc[1]) and np.isnan(hits["excess_short"].iloc[0])
    with pytest.raises(DataError, match="short"):
        breaches(margin, losses[["long"]])
    with pytest.raises(DataError, match="no dates"):
        breaches(_series([0.04], start="2010-01-01"), losses)


def test_coverage_tests_accept_true_var_and_reject_half_var(rng):
    # i.i.d. N(0, 2%) returns: the true 99% VaR of a long is 1 - exp(-z_0.99 0.02); a correct
    # margin should pass Kupiec's test, half of it should fail it (known truth by simulation).
    sigma = 0.02
    r = _series(rng.standard_normal(4000) * sigma)
    losses = margin_period_loss(r, 1)
    true = _series([1 - math.exp(-stats.norm.ppf(0.99) * sigma)] * 4000)
    good = coverage_tests(true, losses, 0.99)
    bad = coverage_tests(true * 0.5, losses, 0.99)
    assert good.loc[("long", "pof"), "result"] == "accept"
    assert bad.loc[("long", "pof"), "result"] == "reject"
    assert bad.loc[("long", "pof"), "zone"] == "red"


def test_classify_and_regime_margin():
    vol = _series([0.5, 1.0, 1.5, 2.0, 3.0, np.nan])
    lab = classify_regimes(vol, [1.0, 2.0])
    assert lab.iloc[:5].tolist() == [0, 1, 1, 2, 2] and np.isnan(lab.iloc[5])
    with pytest.raises(ConfigError, match="increase"):
        classify_regimes(vol, [2.0, 1.0])


def test_calibrate_regimes_on_known_volatility(rng):
    # loss = vol x z with z ~ N(0,1): the standardised-loss ES is the normal ES 2.6652 and the step
    # margin at each regime's upper volatility covers at least the continuous margin.
    n = 20_000
    vol = _series(np.exp(rng.normal(np.log(0.03), 0.4, n)))
    loss = vol * rng.standard_normal(n)
    model = calibrate_regimes(vol, loss, (0.5, 0.8, 0.95), 0.99, "es")
    assert model.z_measure == pytest.approx(stats.norm.pdf(stats.norm.ppf(0.99)) / 0.01, rel=0.05)
    assert model.multipliers[0] == 1.0 and np.all(np.diff(model.multipliers) > 0)
    step = regime_margin(vol, model)
    cont = model.z_measure * vol
    share_covered = (step >= cont - 1e-12).mean()
    assert share_covered == pytest.approx(0.99, abs=0.003)  # all but the top 1% of volatility
    assert len(model.table()) == 4


def test_worst_windows_non_overlapping():
    r = _series([0.0, -0.1, -0.1, 0.0, 0.3, 0.0, -0.05])
    ww = worst_windows(r, 2, n=2)
    # 2-day sums: -0.1, -0.2, -0.1, 0.3, 0.3, -0.05; worst: +0.3 from day 3 (short loses e^.3 - 1)
    assert ww.loc[0, "start"] == r.index[3] and ww.loc[0, "side"] == "short"
    assert ww.loc[0, "loss"] == pytest.approx(math.exp(0.3) - 1)
    # the next worst not overlapping day 3-4 is the fall on days 1-2
    assert ww.loc[1, "start"] == r.index[1]
    assert ww.loc[1, "loss"] == pytest.approx(1 - math.exp(-0.2))


def test_historical_stress_uses_margin_at_window_start():
    r = _series([0.0] * 10 + [-0.3] + [0.0] * 5, start="2020-03-02")
    im = _series(np.linspace(0.1, 0.25, 16), start="2020-03-02")
    out = historical_stress(r, im, 0.6 * im, 1, n_worst=1)
    covid = out[out["scenario"].str.startswith("2020-03")].iloc[0]
    assert covid["start"] == pd.Timestamp("2020-03-12")
    assert covid["im"] == pytest.approx(im.loc["2020-03-12"])
    assert covid["shortfall_im"] == pytest.approx(1 - math.exp(-0.3) - covid["im"])
    with pytest.raises(DataError):
        historical_stress(r, _series([0.1], start="2010-01-01"), _series([0.05], "2010-01-01"))


def test_hypothetical_stress_hand_computed():
    out = hypothetical_stress(
        0.10,
        0.06,
        daily_measure=0.05,
        horizon_days=1.0,
        price_gaps=(-0.2,),
        vol_multipliers=(3.0,),
        collateral={"collateral_per_notional": 0.1, "haircut": 0.1, "collateral_measure": 0.08},
    ).set_index("kind")
    assert out.loc["price gap", "shortfall_im"] == pytest.approx(0.10)
    assert out.loc["price gap", "shortfall_mm"] == pytest.approx(0.14)
    assert out.loc["volatility spike", "loss"] == pytest.approx(1 - math.exp(-0.15))
    # position loses 1 - e^-0.05, collateral 1 - e^-0.08 = 7.7% < 10% haircut: no extra loss
    assert out.loc["correlation", "loss"] == pytest.approx(1 - math.exp(-0.05))
    with pytest.raises(ConfigError):
        hypothetical_stress(0.05, 0.06, 0.05)


def test_volatility_spike_converts_each_side_with_its_own_formula():
    # closed form: a 3x spike of a 1-day short log loss of 0.05 loses exp(0.15) - 1 on a short,
    # more than the long-side formula 1 - exp(-0.15) would say
    out = hypothetical_stress(
        0.10, 0.06, 0.04, 1.0, price_gaps=(), vol_multipliers=(3.0,), daily_measure_short=0.05
    ).set_index("scenario")
    assert out.loc["volatility x3, long", "loss"] == pytest.approx(1 - math.exp(-0.12), rel=1e-12)
    assert out.loc["volatility x3, short", "loss"] == pytest.approx(math.exp(0.15) - 1, rel=1e-12)
    assert out.loc["volatility x3, short", "side"] == "short"
    assert out.loc["volatility x3, short", "shortfall_im"] == pytest.approx(
        math.exp(0.15) - 1 - 0.10, rel=1e-12
    )


def test_constant_volatility_merges_tied_regimes_instead_of_failing() -> None:
    # a GARCH fit with alpha = beta = 0 forecasts the same volatility every day: the regime
    # quantiles tie, which must give a single regime, not a ConfigError
    from riskkit.margin.regimes import calibrate_regimes, regime_margin

    idx = pd.date_range("2020-01-01", periods=300, freq="D", name="date")
    vol = pd.Series(0.02, index=idx)
    loss = pd.Series(np.random.default_rng(1).standard_normal(300) * 0.02, index=idx)
    model = calibrate_regimes(vol, loss, quantiles=(0.5, 0.8, 0.95))
    assert model.thresholds == (0.02,)
    margin = regime_margin(vol, model)
    assert margin.notna().all() and margin.nunique() == 1
