"""rank_models: ranking by mean score, Diebold-Mariano against the best model, input checks."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from riskkit.backtest import diebold_mariano, rank_models
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
    assert table["rank"].to_dict() == {"good": 1, "middling": 2, "bad": 3}
    assert (table["best"] == "good").all()
    assert (table["observations"] == len(DATES)).all()
    for name, s in scores.items():
        assert table.loc[name, "mean_score"] == pytest.approx(s.mean())
    # the clearly worse model is rejected against the best one, with a positive statistic
    assert table.loc["bad", "dm_statistic"] > 5
    assert table.loc["bad", "dm_reject"]
    assert np.isnan(table.loc["good", "dm_statistic"])
    assert np.isnan(table.loc["good", "dm_pvalue"])
    assert not table.loc["good", "dm_reject"]


def test_dataframe_and_mapping_give_the_same_table(scores) -> None:
    pd.testing.assert_frame_equal(rank_models(pd.DataFrame(scores)), rank_models(scores))


@pytest.mark.parametrize("max_lags", [None, 0, 7])
def test_dm_equals_direct_call(scores, max_lags) -> None:
    table = rank_models(scores, test_level=0.99, max_lags=max_lags)
    for name in ("middling", "bad"):
        dm = diebold_mariano(scores[name], scores["good"], max_lags=max_lags, test_level=0.99)
        assert table.loc[name, "dm_statistic"] == pytest.approx(dm.statistic, rel=1e-12)
        assert table.loc[name, "dm_pvalue"] == pytest.approx(dm.pvalue, rel=1e-12, abs=1e-300)
        assert table.loc[name, "dm_reject"] == dm.reject


def test_model_identical_to_best_gives_nan_like_diebold_mariano(scores) -> None:
    # diebold_mariano on identical scores: zero difference with zero variance -> NaN, no reject
    direct = diebold_mariano(scores["good"], scores["good"].copy())
    assert np.isnan(direct.statistic) and np.isnan(direct.pvalue) and not direct.reject
    table = rank_models(scores | {"twin": scores["good"].copy()})
    assert table.loc["twin", "rank"] == 1 == table.loc["good", "rank"]  # tie shares rank 1
    assert (table["best"] == "good").all()  # first of the tied models
    assert np.isnan(table.loc["twin", "dm_statistic"])
    assert np.isnan(table.loc["twin", "dm_pvalue"])
    assert not table.loc["twin", "dm_reject"]


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
    few = {k: s.iloc[:2] for k, s in scores.items()}
    with pytest.raises(DataError, match="at least 3 dates"):
        rank_models(few)
