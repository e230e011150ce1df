"""Collateral quality score: hand-computed values, monotonicity in each risky input, sensitivity."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from riskkit.exceptions import ConfigError, DataError
from riskkit.margin.collateral import (
    SCORE_INPUTS,
    CollateralInputs,
    CollateralScoreSettings,
    collateral_haircut,
    collateral_inputs,
    haircut_schedule,
    score_collateral,
    score_sensitivity,
)

S = CollateralScoreSettings()


def test_score_by_hand():
    # riskless asset: every sub-score 0 -> score 1, band A, haircut 0
    zero = CollateralInputs(0.0, 0.0, 0.0, -1.0, 0.0)
    r = score_collateral(zero)
    assert r.score == 1.0 and r.band == "A" and r.haircut == 0.0 and r.eligible
    # every input at its scale: volatility, tail, impact sub-scores 0.5; rho = 0 -> 0.5; issuer
    # 0.5 -> score = 1 - 0.5 (weights add to 1) = 0.5: band B (floor 0.4), add-on 0.025
    half = CollateralInputs(S.scale_volatility, S.scale_tail, S.scale_impact, 0.0, 0.5)
    r = score_collateral(half)
    assert r.score == pytest.approx(0.5)
    assert r.band == "B"
    # haircut = tail 0.2 + impact 0.02 + 0.025, rounded up to 0.005
    assert r.haircut == pytest.approx(0.245)
    assert r.summary()["contribution"].sum() == pytest.approx(0.5)


def test_eligibility_rules_name_the_reason():
    bad_issuer = CollateralInputs(0.01, 0.02, 0.001, 0.0, 0.9)
    r = score_collateral(bad_issuer)
    assert not r.eligible and any("issuer_risk" in x for x in r.reasons)
    junk = CollateralInputs(1.0, 0.6, 0.5, 1.0, 0.8)
    r = score_collateral(junk)
    assert r.band == "ineligible" and not r.eligible
    assert any("haircut" in x for x in r.reasons)
    sched = haircut_schedule()
    assert list(sched.index) == ["A", "B", "C", "ineligible"]


def test_bad_settings_and_inputs_raise():
    with pytest.raises(ConfigError, match="add up to 1"):
        CollateralScoreSettings(w_tail=0.5)
    with pytest.raises(ConfigError, match="decrease"):
        CollateralScoreSettings(band_floors=(0.3, 0.6, 0.2))
    with pytest.raises(ConfigError, match="issuer_risk"):
        CollateralInputs(0.1, 0.1, 0.01, 0.0, 1.5)
    with pytest.raises(DataError, match="correlation"):
        CollateralInputs(0.1, 0.1, 0.01, 2.0, 0.1)


pos = st.floats(min_value=0.0, max_value=2.0, allow_nan=False)
inputs = st.builds(
    CollateralInputs,
    volatility=pos,
    tail=st.floats(min_value=0.0, max_value=1.0),
    impact=st.floats(min_value=0.0, max_value=0.5),
    correlation=st.floats(min_value=-1.0, max_value=1.0),
    issuer_risk=st.floats(min_value=0.0, max_value=1.0),
)


@settings(max_examples=200, deadline=None)
@given(inputs, st.sampled_from(SCORE_INPUTS), st.floats(min_value=1e-3, max_value=1.0))
def test_score_is_monotone_in_each_risky_input(x, name, delta):
    upper = {"correlation": 1.0, "issuer_risk": 1.0, "tail": 1.0}.get(name, np.inf)
    new = min(getattr(x, name) + delta, upper)
    if new - getattr(x, name) < 1e-9:  # a step the cap made vanishingly small (1 - 1e-16 to 1)
        return
    a, b = score_collateral(x), score_collateral(x.replace(**{name: new}))
    assert b.score < a.score  # strictly: every weight is positive
    assert b.haircut >= a.haircut  # a riskier input never lowers the haircut
    if not a.eligible:
        assert not b.eligible


def test_more_traded_value_raises_the_score():
    rng = np.random.default_rng(0)
    r = pd.Series(0.03 * rng.standard_t(5, 500), index=pd.date_range("2019-01-01", periods=500))
    lo = collateral_inputs(r, adv_usd=1e6, position_usd=1e6, issuer_risk=0.1)
    hi = collateral_inputs(r, adv_usd=1e8, position_usd=1e6, issuer_risk=0.1)
    # square-root impact: 100x the traded value -> 1/10 of the impact
    assert hi.impact == pytest.approx(lo.impact / 10)
    assert score_collateral(hi).score > score_collateral(lo).score
    # the tail input is the existing haircut function without rounding
    assert lo.tail == pytest.approx(collateral_haircut(r, 0.99, 2.0, "es", rounding_step=None))
    assert lo.volatility == pytest.approx(r.std() * np.sqrt(2.0))


def test_correlation_with_the_book_comes_from_the_data():
    rng = np.random.default_rng(1)
    idx = pd.date_range("2019-01-01", periods=2000)
    z = rng.standard_normal((2000, 2))
    book = pd.Series(0.03 * z[:, 0], index=idx)
    coll = pd.Series(0.03 * (0.8 * z[:, 0] + 0.6 * z[:, 1]), index=idx)  # true rho = 0.8
    x = collateral_inputs(coll, 1e9, 1e6, 0.0, book_returns=book)
    assert x.correlation == pytest.approx(0.8, abs=0.03)
    assert x.wrong_way is not None


def test_sensitivity_matches_finite_differences():
    x = CollateralInputs(0.08, 0.15, 0.01, 0.3, 0.2)
    sens = score_sensitivity(x, bump=1e-4)
    assert list(sens.index) == list(SCORE_INPUTS)
    for k in SCORE_INPUTS:
        dx = sens.loc[k, "bumped_input"] - sens.loc[k, "input"]
        assert sens.loc[k, "score_change"] / dx == pytest.approx(
            sens.loc[k, "derivative"], rel=1e-2
        )
        assert sens.loc[k, "derivative"] < 0
