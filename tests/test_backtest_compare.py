"""rank_models: ranking by mean score, model confidence set (arch's MCS), input checks."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from arch.bootstrap import MCS

from riskkit.backtest import mcs_block_size, rank_models
from riskkit.exceptions import ConfigError, DataError

DATES = pd.date_range("2020-01-01", periods=400, freq="D", name="date")


@pytest.fixture
def scores() -> dict[str, pd.Series]:
    """Three models with known order of mean score: good < middling < bad."""
    rng = np.random.default_rng(7)
    noise = rng.normal(0.0, 0.5, size=(3, len(DATES)))
    return {
        "middling": pd.Series(1.2 + noise[0], index=DATES),
        "good": pd.Series(1.0 + noise[1], index=DATES),
        "bad": pd.Series(2.0 + noise[2], index=DATES),
    }


def test_ranks_in_known_order_and_keeps_input_order(scores) -> None:
    table = rank_models(scores)
    assert list(table.index) == ["middling", "good", "bad"]
    assert table.index.name == "model"
    assert list(table.columns) == [
        "mean_score", "rank", "mcs_pvalue", "in_mcs", "observations", "block_size"
    ]  # fmt: skip
    assert table["rank"].to_dict() == {"good": 1, "middling": 2, "bad": 3}
    assert (table["observations"] == len(DATES)).all()
    for name, s in scores.items():
        assert table.loc[name, "mean_score"] == pytest.approx(s.mean())
    # known truth: the good model is the best; the others are worse by 0.2 and 1.0 with a
    # standard error of the mean difference of 0.5 * sqrt(2 / 400) = 0.035: both far outside
    assert table.loc["good", "mcs_pvalue"] == 1.0 and table.loc["good", "in_mcs"]
    assert not table.loc["middling", "in_mcs"] and not table.loc["bad", "in_mcs"]
    assert table.loc["bad", "mcs_pvalue"] < 0.01


def test_equals_a_direct_arch_mcs_call_with_names_put_back(scores) -> None:
    table = rank_models(scores, test_level=0.9, reps=500, block_size=4, method="max", seed=3)
    # the same computation on positions with arch directly (same seed, block, statistic)
    frame = pd.DataFrame(scores)
    mcs = MCS(frame.to_numpy(), size=0.1, reps=500, block_size=4, method="max",
              seed=np.random.default_rng(3))  # fmt: skip
    mcs.compute()
    pvalues = mcs.pvalues["Pvalue"]
    for k, name in enumerate(frame.columns):
        assert table.loc[name, "mcs_pvalue"] == pvalues.loc[k]
        assert table.loc[name, "in_mcs"] == (k in mcs.included)
    assert (table["block_size"] == 4).all()
    # reproducible with a seed
    pd.testing.assert_frame_equal(
        rank_models(scores, seed=11), rank_models(pd.DataFrame(scores), seed=11)
    )


def test_equally_good_models_stay_in_the_set_at_the_nominal_rate() -> None:
    # known truth: three models with the same expected score (i.i.d. N(0, 1) scores, T = 300).
    # The MCS contains every best model with probability >= test_level asymptotically (Hansen,
    # Lunde and Nason 2011, Theorem 1); over 60 samples we accept an inclusion rate >= 0.85.
    rng = np.random.default_rng(2011)
    kept = 0
    trials = 60
    for i in range(trials):
        frame = pd.DataFrame(rng.standard_normal((300, 3)), columns=["a", "b", "c"])
        table = rank_models(frame, reps=300, seed=i)
        kept += int(table["in_mcs"].all())
    assert kept / trials >= 0.85


def test_models_with_identical_scores_share_a_p_value(scores) -> None:
    table = rank_models(scores | {"twin": scores["good"].copy()})
    assert table.loc["twin", "rank"] == 1 == table.loc["good", "rank"]  # tie shares rank 1
    assert table.loc["twin", "mcs_pvalue"] == table.loc["good", "mcs_pvalue"] == 1.0
    assert table.loc["twin", "in_mcs"]
    alone = rank_models({"a": scores["good"], "b": scores["good"].copy()})
    assert (alone["mcs_pvalue"] == 1.0).all() and alone["in_mcs"].all()


def test_block_size_follows_the_dependence_of_the_loss_differentials() -> None:
    # known truth 1: a common AR(1) factor in every model's score cancels in the differentials
    # from the cross-model mean, which are then i.i.d.: a short block
    rng = np.random.default_rng(4)
    n = 2000
    common = np.zeros(n)
    e = rng.standard_normal(n)
    for t in range(1, n):
        common[t] = 0.9 * common[t - 1] + e[t]
    frame = pd.DataFrame(common[:, None] + 0.3 * rng.standard_normal((n, 3)))
    assert mcs_block_size(frame) <= 4
    # known truth 2: AR(1) differentials with phi = 0.5. Politis and White (2004): for the
    # stationary bootstrap b = (2 G^2 / D)^(1/3) n^(1/3) with G / g(0) = 2 phi / (1 - phi^2) for an
    # AR(1), D = 2 g(0)^2, so b = (2 phi / (1 - phi^2))^(2/3) n^(1/3) = 15.3 here
    phi = 0.5
    own = np.zeros((n, 2))
    u = rng.standard_normal((n, 2))
    for t in range(1, n):
        own[t] = phi * own[t - 1] + u[t]
    frame = pd.DataFrame(np.column_stack([own[:, 0], -own[:, 0]]))
    theory = (2 * phi / (1 - phi**2)) ** (2 / 3) * n ** (1 / 3)
    assert theory == pytest.approx(15.3, abs=0.1)
    assert theory / 2 <= mcs_block_size(frame) <= 2 * theory
    assert mcs_block_size(pd.DataFrame({"a": np.ones(50), "b": np.ones(50)})) == 1
    assert math.isfinite(rank_models(frame.iloc[:300]).loc[0, "mcs_pvalue"])


def test_common_sample_drops_dates_where_any_model_is_nan(scores) -> None:
    holed = dict(scores)
    holed["bad"] = scores["bad"].copy()
    holed["bad"].iloc[:50] = np.nan
    table = rank_models(holed)
    assert (table["observations"] == len(DATES) - 50).all()
    assert table.loc["good", "mean_score"] == pytest.approx(scores["good"].iloc[50:].mean())


def test_misaligned_indexes_raise_data_error_naming_the_model(scores) -> None:
    shifted = dict(scores)
    shifted["bad"] = scores["bad"].shift(1, freq="D")
    with pytest.raises(DataError, match=r"\['bad'\].*same dates"):
        rank_models(shifted)


@pytest.mark.parametrize("n_models", [0, 1])
def test_fewer_than_two_models_raise_config_error(scores, n_models) -> None:
    few = dict(list(scores.items())[:n_models])
    with pytest.raises(ConfigError, match="at least 2 models"):
        rank_models(few)
    with pytest.raises(ConfigError, match="at least 2 models"):
        rank_models(pd.DataFrame(few, index=DATES))


def test_other_bad_input(scores) -> None:
    with pytest.raises(ConfigError, match="test_level"):
        rank_models(scores, test_level=95)
    with pytest.raises(ConfigError, match="mapping"):
        rank_models([scores["good"], scores["bad"]])
    with pytest.raises(ConfigError, match="repeated"):
        rank_models(pd.concat([scores["good"], scores["good"]], axis=1, keys=["a", "a"]))
    with pytest.raises(ConfigError, match="reps"):
        rank_models(scores, reps=10)
    with pytest.raises(ConfigError, match="method"):
        rank_models(scores, method="min")
    with pytest.raises(ConfigError, match="block_size"):
        rank_models(scores, block_size=0)
    few = {k: s.iloc[:2] for k, s in scores.items()}
    with pytest.raises(DataError, match="at least 3 dates"):
        rank_models(few)


def test_membership_is_arch_mcs_included_at_a_p_value_equal_to_the_size() -> None:
    # review style 22: in_mcs was "p >= 1 - test_level" where arch's MCS keeps a model when
    # p > size; they differ when p equals the size exactly. With test_level 0.75 (size 0.25,
    # exact in binary) and 100 replications, seed 85 gives model "b" a p-value of 25/100
    dates = pd.date_range("2020-01-01", periods=200, freq="D")
    noise = np.random.default_rng(85).normal(0, 0.5, size=(2, len(dates)))
    frame = pd.DataFrame({"a": 1.0 + noise[0], "b": 1.05 + noise[1]}, index=dates)
    table = rank_models(frame, test_level=0.75, reps=100, block_size=4, seed=85)
    assert table.loc["b", "mcs_pvalue"] == 0.25
    mcs = MCS(frame.to_numpy(), size=0.25, reps=100, block_size=4, method="R",
              bootstrap="stationary", seed=np.random.default_rng(85))  # fmt: skip
    mcs.compute()
    assert list(mcs.included) == [0] and list(mcs.excluded) == [1]
    assert table["in_mcs"].tolist() == [True, False]
