"""Default management: cover-n fund sizing, the EMIR waterfall, ADL queue, reverse stress.

References: brute force over every pair of defaults (Cover-2, PFMI Principle 4 KC4 and RTS
153/2013 Art. 53(1)); EMIR Art. 42(3) worked by hand; Art. 45 order; the Binance ADL score worked
by hand; a closed-form reverse stress test.
"""

from __future__ import annotations

import itertools
import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from riskkit.exceptions import ConfigError, DataError
from riskkit.margin.default_fund import (
    adl_ranking,
    auto_deleverage,
    ccp_waterfall_resources,
    default_fund_size,
    default_waterfall,
    fund_contributions,
    reverse_stress_scale,
    uncovered_stress_losses,
)

MEMBERS = ["A", "B", "C", "D"]
LOSSES = pd.DataFrame(
    {"crash": [120.0, 80.0, 75.0, 10.0], "rally": [5.0, 30.0, 90.0, 95.0]}, index=MEMBERS
)
MARGIN = pd.Series({"A": 20.0, "B": 20.0, "C": 20.0, "D": 40.0})


def test_uncovered_loss_is_loss_beyond_margin_floored_at_zero() -> None:
    uncovered = uncovered_stress_losses(LOSSES, MARGIN)
    assert uncovered.loc["A", "crash"] == 100.0
    assert uncovered.loc["A", "rally"] == 0.0  # 5 of loss against 20 of margin
    assert uncovered.loc["D", "rally"] == 55.0


def test_cover_two_equals_the_worst_pair_of_defaults_by_brute_force() -> None:
    uncovered = uncovered_stress_losses(LOSSES, MARGIN)
    brute = max(
        uncovered.loc[list(pair), s].sum()
        for s in uncovered.columns
        for pair in itertools.combinations(MEMBERS, 2)
    )
    result = default_fund_size(LOSSES, MARGIN, rule="cover-2")
    assert result.size == pytest.approx(brute)
    # by hand: crash, A 100 + B 60 = 160 > rally, D 55 + C 70 = 125
    assert result.size == 160.0
    assert result.scenario == "crash"
    assert set(result.members) == {"A", "B"}
    assert result.summary().loc["rally", "requirement"] == 125.0


def test_emir_rule_takes_second_and_third_when_they_sum_to_more() -> None:
    # by hand: crash: largest 100 vs 60 + 55 = 115 -> 115 (B, C); rally: 70 vs 55 + 10 = 65 -> 70
    result = default_fund_size(LOSSES, MARGIN, rule="emir")
    assert result.size == 115.0
    assert result.members == ("B", "C")
    assert result.by_scenario["rally"] == 70.0
    assert default_fund_size(LOSSES, MARGIN, rule="cover-1").size == 100.0


def test_members_with_nothing_uncovered_are_not_named() -> None:
    small = pd.DataFrame({"s": [50.0, 5.0, 1.0]}, index=["A", "B", "C"])
    result = default_fund_size(small, pd.Series({"A": 20.0, "B": 20.0, "C": 20.0}))
    assert result.size == 30.0
    assert result.members == ("A",)


def test_fund_contributions_are_pro_rata_and_sum_to_the_fund() -> None:
    uncovered = uncovered_stress_losses(LOSSES, MARGIN)
    shares = fund_contributions(160.0, uncovered.max(axis=1))
    assert shares.sum() == pytest.approx(160.0)
    # largest uncovered: A 100, B 60, C 70, D 55 (total 285)
    assert shares["A"] == pytest.approx(160.0 * 100 / 285)
    by_margin = fund_contributions(100.0, MARGIN)  # margins 20, 20, 20, 40
    assert by_margin.tolist() == pytest.approx([20.0, 20.0, 20.0, 40.0])
    with pytest.raises(DataError, match="every member's basis is zero"):
        fund_contributions(1.0, MARGIN * 0)


def test_bad_inputs_are_named() -> None:
    with pytest.raises(DataError, match=r"no posted margin for members \['D'\]"):
        default_fund_size(LOSSES, MARGIN.drop("D"))
    with pytest.raises(DataError, match=r"negative amounts for \['B'\]"):
        default_fund_size(LOSSES.assign(crash=[1.0, -2.0, 3.0, 4.0]), MARGIN)
    with pytest.raises(ConfigError, match="rule must be one of"):
        default_fund_size(LOSSES, MARGIN, rule="cover-3")


def test_emir_waterfall_uses_resources_in_article_45_order() -> None:
    resources = ccp_waterfall_resources(
        defaulter_margin=30.0,
        defaulter_fund=20.0,
        skin_in_the_game=10.0,
        survivors_fund=40.0,
        assessments=15.0,
    )
    assert list(resources) == [
        "defaulter margin",
        "defaulter fund contribution",
        "CCP skin in the game",
        "survivors' fund contributions",
        "assessments",
    ]
    outcome = default_waterfall(75.0, resources)
    assert outcome.layers["used"].tolist() == [30.0, 20.0, 10.0, 15.0, 0.0]
    assert outcome.uncovered == 0.0
    assert outcome.last_layer_used == "survivors' fund contributions"
    assert outcome.exhausted == (
        "defaulter margin",
        "defaulter fund contribution",
        "CCP skin in the game",
    )
    beyond = default_waterfall(130.0, resources)
    assert beyond.uncovered == 15.0


@settings(max_examples=60, deadline=None)
@given(
    loss=st.floats(0, 1e6),
    layers=st.lists(st.floats(0, 1e5), min_size=1, max_size=6),
)
def test_waterfall_conserves_the_loss(loss: float, layers: list[float]) -> None:
    outcome = default_waterfall(loss, {f"layer {i}": v for i, v in enumerate(layers)})
    assert outcome.layers["used"].sum() + outcome.uncovered == pytest.approx(loss)
    assert (outcome.layers["used"] <= outcome.layers["available"]).all()
    # a layer is touched only when every earlier one is used up
    used = outcome.layers["used"].to_numpy()
    left = outcome.layers["left"].to_numpy()
    for i in range(1, len(used)):
        if used[i] > 0:
            assert np.all(left[:i] == 0)


def test_insurance_fund_then_adl_on_a_venue() -> None:
    outcome = default_waterfall(250.0, {"insurance fund": 100.0})
    assert outcome.uncovered == 150.0  # left to auto-deleveraging


ACCOUNTS = pd.DataFrame(
    {
        "notional": [1000.0, 500.0, 2000.0, 800.0],
        "unrealised_pnl": [100.0, 100.0, 50.0, -40.0],
        "equity": [200.0, 400.0, 250.0, 160.0],
    },
    index=["w", "x", "y", "z"],
)


def test_adl_score_worked_by_hand() -> None:
    # w: pnl 100 / deposited 100 = 1.0, leverage 1000/200 = 5 -> 5.0
    # x: 100 / 300 = 1/3, leverage 500/400 = 1.25 -> 0.41667
    # y: 50 / 200 = 0.25, leverage 2000/250 = 8 -> 2.0
    # z: -40 / 200 = -0.2, leverage 800/160 = 5 -> -0.2 / 5 = -0.04
    queue = adl_ranking(ACCOUNTS)
    assert queue.index.tolist() == ["w", "y", "x", "z"]
    assert queue.loc["w", "score"] == pytest.approx(5.0)
    assert queue.loc["x", "score"] == pytest.approx(1 / 3 * 1.25)
    assert queue.loc["z", "score"] == pytest.approx(-0.04)
    assert queue["rank"].tolist() == [1, 2, 3, 4]


def test_auto_deleverage_fills_the_queue_in_order() -> None:
    taken = auto_deleverage(2500.0, ACCOUNTS)
    assert taken.to_dict() == {"w": 1000.0, "y": 1500.0, "x": 0.0, "z": 0.0}
    with pytest.raises(DataError, match="exceeds the opposite side"):
        auto_deleverage(10_000.0, ACCOUNTS)


def test_reverse_stress_scale_matches_the_closed_form() -> None:
    # a long position of notional N loses N (1 - exp(-s x)) when the log price falls by s x
    notional, move, resources = 1_000.0, 0.10, 300.0
    scale = reverse_stress_scale(lambda s: notional * (1 - math.exp(-s * move)), resources)
    assert scale == pytest.approx(-math.log(1 - resources / notional) / move, rel=1e-10)
    with pytest.raises(ConfigError, match="survive"):
        reverse_stress_scale(lambda s: notional * (1 - math.exp(-s * move)), 2_000.0)
