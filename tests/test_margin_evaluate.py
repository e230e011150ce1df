"""Tests of riskkit.margin.evaluate_paths: procyclicality and breaches of candidate paths."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from riskkit.exceptions import DataError
from riskkit.margin import evaluate_paths, margin_period_loss


@pytest.fixture
def setup():
    rng = np.random.default_rng(3)
    idx = pd.date_range("2020-01-01", periods=400, freq="D", name="date")
    r = pd.Series(0.03 * rng.standard_t(3, len(idx)), index=idx)
    losses = margin_period_loss(r, 1)
    paths = {
        "flat 5%": pd.Series(0.05, index=idx),
        "steps": pd.Series(np.where(np.arange(len(idx)) < 200, 0.04, 0.08), index=idx),
    }
    return r, losses, paths


def test_breach_counts_match_a_direct_count(setup):
    r, losses, paths = setup
    out = evaluate_paths(paths, losses)
    assert list(out.index) == ["flat 5%", "steps"]
    for name, m in paths.items():
        # independent reference: a long loses 1 - exp(r), a short exp(r) - 1, on the same day
        long_hits = int((-np.expm1(r) > m).sum())
        short_hits = int((np.expm1(r) > m).sum())
        assert out.loc[name, "breaches_long"] == long_hits
        assert out.loc[name, "breaches_short"] == short_hits
        assert out.loc[name, "breaches (long + short)"] == long_hits + short_hits
        assert out.loc[name, "days"] == len(r)
        excess = np.maximum(-np.expm1(r) - m, np.expm1(r) - m).max()
        assert out.loc[name, "max_excess"] == pytest.approx(excess)
    # procyclicality columns come from compare_paths: the step path doubles once
    assert out.loc["steps", "peak_to_trough"] == pytest.approx(2.0)
    assert out.loc["flat 5%", "peak_to_trough"] == pytest.approx(1.0)
    assert long_hits > 0  # the fixture does produce breaches


def test_paths_on_partial_dates_and_bad_input(setup):
    r, losses, paths = setup
    short = {"late": paths["flat 5%"].iloc[300:]}
    assert evaluate_paths(short, losses).loc["late", "days"] == 100
    with pytest.raises(DataError, match="'gone'"):
        evaluate_paths({"gone": pd.Series(0.05, index=r.index + pd.Timedelta(days=1000))}, losses)
    with pytest.raises(DataError, match="short"):
        evaluate_paths(paths, losses[["long"]])
    with pytest.raises(DataError, match="no margin path"):
        evaluate_paths({}, losses)
