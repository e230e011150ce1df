"""Shared fixtures. Synthetic data is seeded; tests never touch the network."""

from __future__ import annotations

import os

import matplotlib

matplotlib.use("Agg")  # no display in CI

import numpy as np
import pandas as pd
import pytest

os.environ.setdefault("RISKKIT_NO_PROGRESS", "1")


@pytest.fixture
def rng() -> np.random.Generator:
    return np.random.default_rng(20260101)


@pytest.fixture
def student_t_returns(rng: np.random.Generator) -> pd.Series:
    """2,000 daily i.i.d. Student-t(5) returns scaled to 3% daily volatility."""
    n, nu, sigma = 2000, 5.0, 0.03
    z = rng.standard_t(nu, size=n) * np.sqrt((nu - 2) / nu)
    idx = pd.date_range("2015-01-01", periods=n, freq="D", name="date")
    return pd.Series(sigma * z, index=idx, name="SYN")
