"""Checks and helpers shared by the estimators (kept cheap: they run inside the rolling loop)."""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

from riskkit._validation import check_horizon, check_levels
from riskkit.exceptions import ConfigError, DataError, ModelError


def check_window(returns: np.ndarray, min_obs: int, who: str) -> np.ndarray:
    """1-d float array with at least ``min_obs`` finite, non-constant values, else a clear error."""
    arr = np.asarray(returns, dtype=float)
    if arr.ndim != 1:
        raise DataError(f"{who}: returns must be one-dimensional, got shape {arr.shape}")
    n = arr.shape[0]
    if n < min_obs:
        raise ModelError(f"{who} needs at least {min_obs} returns in the window, got {n}")
    bad = ~np.isfinite(arr)
    if bad.any():
        pos = np.flatnonzero(bad)
        raise DataError(
            f"{who}: the window contains {pos.size} NaN/infinite return(s) at positions "
            f"{pos[:5].tolist()} (of {n}); clean or drop them first"
        )
    if arr.max() == arr.min():
        raise ModelError(f"{who}: the window of {n} returns is constant; no risk model applies")
    return arr


def check_call(levels: Sequence[float], horizon: int) -> tuple[tuple[float, ...], int]:
    return check_levels(levels), int(check_horizon(horizon))


def check_choice(value: str, allowed: Sequence[str], name: str) -> str:
    if value not in allowed:
        raise ConfigError(f"{name} must be one of {tuple(allowed)}, got {value!r}")
    return value


def default_rng(rng: np.random.Generator | None) -> np.random.Generator:
    return rng if rng is not None else np.random.default_rng()


def sqrt_time_scale(one_period: np.ndarray, mu: float, horizon: int) -> np.ndarray:
    """Square-root-of-time h-period VaR/ES from one-period VaR/ES of ``L = -(mu + X)``.

    Only the random part scales with ``sqrt(h)``; the mean of a sum of h returns is ``h mu``:
    ``VaR_h = -h mu + sqrt(h) (VaR_1 + mu)`` (same for ES). Scaling the whole one-period loss,
    drift included, by ``sqrt(h)`` would understate the drift's effect by a factor ``sqrt(h)``.
    """
    if horizon == 1:
        return one_period
    return -horizon * mu + math.sqrt(horizon) * (one_period + mu)
