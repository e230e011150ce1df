"""Tests of riskkit.risk.compare: line-up tables of VaR/ES estimators."""

from __future__ import annotations

import math
import warnings

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from riskkit.exceptions import ConfigError, ConvergenceWarning
from riskkit.risk import HistoricalSimulation, Parametric
from riskkit.risk.base import RiskEstimator
from riskkit.risk.compare import compare_estimators, horizon_comparison, with_horizon_method


@pytest.fixture(scope="module")
def returns() -> pd.Series:
    rng = np.random.default_rng(11)
    idx = pd.date_range("2018-01-01", periods=1500, freq="D", name="date")
    return pd.Series(0.02 * rng.standard_t(3, len(idx)) + 0.001, index=idx)


class _Warns(RiskEstimator):
    """Toy estimator: VaR = ES = 1, one ConvergenceWarning per fit, draws one uniform."""

    name = "toy"

    def fit(self, returns, warm_start=None):
        warnings.warn("toy fit did not converge", ConvergenceWarning, stacklevel=2)
        return None

    def forecast(self, returns, params, levels, horizon=1, rng=None):
        u = rng.uniform()
        return np.array([[u, u] for _ in levels])


def test_normal_row_matches_the_closed_form(returns):
    levels = (0.99, 0.995)
    out = compare_estimators(returns, {"normal": Parametric("normal")}, levels, horizon=4, seed=1)
    # independent reference: normal VaR/ES of L = -(4 mu + 2 sigma Z), sample mean, std ddof=1
    mu, sd = returns.mean(), returns.std(ddof=1)
    for a in levels:
        z = stats.norm.ppf(a)
        var = -4 * mu + math.sqrt(4) * sd * z
        es = -4 * mu + math.sqrt(4) * sd * stats.norm.pdf(z) / (1 - a)
        assert out.loc["normal", f"var_{a:g}"] == pytest.approx(var, rel=1e-9)
        assert out.loc["normal", f"es_{a:g}"] == pytest.approx(es, rel=1e-9)
    assert list(out.columns) == ["var_0.99", "es_0.99", "var_0.995", "es_0.995", "notes"]
    assert out.loc["normal", "notes"] == ""


def test_seeds_are_spawned_per_estimator_in_order(returns):
    lineup = {"a": _Warns(), "b": _Warns()}
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # captured riskkit warnings must not escape
        out = compare_estimators(returns, lineup, 0.99, seed=5)
    kids = np.random.SeedSequence(5).spawn(2)
    for name, kid in zip(lineup, kids, strict=True):
        assert out.loc[name, "var_0.99"] == np.random.default_rng(kid).uniform()
    assert out.loc["a", "var_0.99"] != out.loc["b", "var_0.99"]
    assert (out["notes"] == "ConvergenceWarning").all()
    # a SeedSequence as seed gives the same table as its entropy
    again = compare_estimators(returns, lineup, 0.99, seed=np.random.SeedSequence(5))
    pd.testing.assert_frame_equal(out, again)


def test_with_horizon_method_copies_and_validates():
    hs = HistoricalSimulation()
    over = with_horizon_method(hs, "overlapping")
    assert over.horizon_method == "overlapping" and hs.horizon_method == "sqrt"
    with pytest.raises(ConfigError, match="overlapping"):
        with_horizon_method(hs, "simulate")
    with pytest.raises(ConfigError, match="no horizon_method"):
        with_horizon_method(_Warns(), "sqrt")


def test_horizon_comparison_known_truths(returns):
    lineup = {"normal": Parametric("normal"), "t": Parametric("t", n_sims=20_000)}
    out = horizon_comparison(
        returns, lineup, {"normal": "simulate", "t": "simulate"}, 0.99, horizon=10, seed=3
    )
    # normal: the h-day law is normal, so the path method is the sqrt rule exactly
    assert out.loc["normal", "path / sqrt"] == pytest.approx(1.0, rel=1e-12)
    # independent reference for the sqrt column: 10 mu and sqrt(10) sigma of the normal fit
    mu, sd = returns.mean(), returns.std(ddof=1)
    z = stats.norm.ppf(0.99)
    ref = -10 * mu + math.sqrt(10) * sd * stats.norm.pdf(z) / 0.01
    assert out.loc["normal", "ES sqrt"] == pytest.approx(ref, rel=1e-9)
    # Student-t(3) data: a sum of 10 draws is closer to normal, so sqrt overstates the ES
    assert out.loc["t", "path / sqrt"] < 0.95
    assert out.loc["t", "path method"] == "simulate"


def test_bad_lineups():
    r = pd.Series(np.linspace(-0.01, 0.01, 100))
    with pytest.raises(ConfigError, match="non-empty"):
        compare_estimators(r, {})
    with pytest.raises(ConfigError, match="not RiskEstimator"):
        compare_estimators(r, {"x": object()})
    with pytest.raises(ConfigError, match="not in estimators"):
        horizon_comparison(r, {"HS": HistoricalSimulation()}, {"GARCH": "simulate"})
