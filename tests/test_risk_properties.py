"""Properties every VaR/ES estimator must have (hypothesis; fast estimators, small runs).

Coherence-style checks on random windows: ES >= VaR at the same level, both non-decreasing in the
level, translation (returns + c shifts the loss measures by -c) and positive homogeneity (returns
times k scales them by k), and finite output for valid input.
"""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from riskkit.exceptions import RiskkitWarning
from riskkit.risk import CornishFisher, HistoricalSimulation, Parametric, empirical_var_es

ESTIMATORS = [
    HistoricalSimulation(min_obs=60),
    HistoricalSimulation(age_weight=0.98, min_obs=60),
    Parametric("normal", min_obs=60),
    CornishFisher(min_obs=60),
]
LEVELS = (0.9, 0.95, 0.975, 0.99, 0.995)


@st.composite
def windows(draw) -> np.ndarray:
    """Return windows shaped like market data: Student-t draws (df 2.5-30) with a random
    location, scale and a random asymmetric stretch of the left tail; hypothesis chooses the
    seed and the shape, so shrinking stays meaningful."""
    seed = draw(st.integers(0, 2**32 - 1))
    n = draw(st.integers(60, 400))
    df = draw(st.floats(2.5, 30.0))
    scale = draw(st.floats(1e-3, 0.1))
    loc = draw(st.floats(-0.01, 0.01))
    left = draw(st.floats(1.0, 2.0))
    z = np.random.default_rng(seed).standard_t(df, n)
    z = np.where(z < 0, left * z, z)
    return loc + scale * z


PROFILE = settings(max_examples=25, deadline=None)


def _run(est, x: np.ndarray, horizon: int = 1, record: list | None = None) -> np.ndarray:
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", RiskkitWarning)
        params = est.fit(x)
        out = est.forecast(x, params, LEVELS, horizon)
    if record is not None:
        record.extend(w for w in caught if issubclass(w.category, RiskkitWarning))
    return out


def _valid(x: np.ndarray) -> bool:
    return float(np.ptp(x)) > 1e-4


@pytest.mark.parametrize("est", ESTIMATORS, ids=lambda e: e.name)
@PROFILE
@given(x=windows(), horizon=st.sampled_from([1, 5]))
def test_es_dominates_var_and_both_monotone_in_level(est, x, horizon) -> None:
    assume(_valid(x))
    warned: list = []
    out = _run(est, x, horizon, warned)
    assert np.isfinite(out).all()
    # Cornish-Fisher is a quantile function only inside its domain of validity; outside it
    # riskkit warns (tested in test_risk.py) and monotonicity is not promised
    assume(not warned)
    assert (out[:, 1] >= out[:, 0] - 1e-12).all()
    assert (np.diff(out[:, 0]) >= -1e-12).all()
    assert (np.diff(out[:, 1]) >= -1e-12).all()


@pytest.mark.parametrize("est", ESTIMATORS, ids=lambda e: e.name)
@PROFILE
@given(x=windows(), c=st.floats(-0.05, 0.05), k=st.floats(0.1, 10.0))
def test_translation_and_scale_equivariance(est, x, c, k) -> None:
    assume(_valid(x))
    base = _run(est, x)
    np.testing.assert_allclose(_run(est, x + c), base - c, rtol=1e-9, atol=1e-9)
    np.testing.assert_allclose(_run(est, k * x), k * base, rtol=1e-9, atol=1e-12)


@PROFILE
@given(
    x=arrays(np.float64, st.integers(1, 300), elements=st.floats(-1e3, 1e3)),
    level=st.floats(0.5, 0.999),
)
def test_empirical_var_es_bounds(x, level) -> None:
    """Empirical VaR is an observed loss; ES lies between VaR and the largest loss."""
    var, es = empirical_var_es(x, level)
    assert var in set(x.tolist())
    assert var - 1e-9 <= es <= x.max() + 1e-9 * max(1.0, abs(x.max()))


@pytest.mark.parametrize(
    "est",
    [
        Parametric("normal", min_obs=60),
        CornishFisher(min_obs=60),
        CornishFisher(horizon_method="sqrt", min_obs=60),
    ],
    ids=lambda e: f"{e.name}-{getattr(e, 'horizon_method', '')}",
)
@PROFILE
@given(x=windows(), c=st.floats(-0.01, 0.01), h=st.sampled_from([2, 5, 10]))
def test_h_period_translation_moves_losses_by_h_times_c(est, x, c, h) -> None:
    """Adding c to every one-period return adds h c to every h-period return, so h-period
    VaR/ES must fall by exactly h c (a sum of h i.i.d. returns has mean h mu; the
    square-root-of-time rule scales only the dispersion). Historical simulation is excluded:
    its documented "sqrt" rule scales the empirical distribution, drift included."""
    assume(_valid(x))
    base = _run(est, x, horizon=h)
    np.testing.assert_allclose(_run(est, x + c, horizon=h), base - h * c, rtol=1e-9, atol=1e-9)
