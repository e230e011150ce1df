"""Argument checks shared by the public API: validate at the boundary, fail with a clear message."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from riskkit.exceptions import ConfigError, DataError

__all__ = ["check_level", "check_levels", "check_horizon", "as_return_series"]


def check_level(level: float, name: str = "level") -> float:
    """Return ``level`` as a float, raising :class:`ConfigError` unless it lies in (0, 1).

    A confidence level is a fraction: 0.99 for 99%. A value such as 99 is rejected with a hint.
    """
    try:
        value = float(level)
    except (TypeError, ValueError):
        raise ConfigError(f"{name} must be a number in (0, 1), got {level!r}") from None
    if not 0.0 < value < 1.0 or not np.isfinite(value):
        hint = f" (did you mean {value / 100:g}?)" if 1.0 < value < 100.0 else ""
        raise ConfigError(f"{name} must lie strictly between 0 and 1, got {level!r}{hint}")
    return value


def check_levels(levels: float | Sequence[float], name: str = "levels") -> tuple[float, ...]:
    """Validate one level or a sequence of levels; returns a tuple of floats."""
    if np.isscalar(levels):
        return (check_level(levels, name),)  # type: ignore[arg-type]
    out = tuple(check_level(x, name) for x in levels)  # type: ignore[union-attr]
    if not out:
        raise ConfigError(f"{name} must contain at least one confidence level")
    return out


def check_horizon(horizon: float, name: str = "horizon", integer: bool = True) -> float | int:
    """Validate a horizon (a number of observation periods, e.g. days); must be > 0."""
    try:
        value = float(horizon)
    except (TypeError, ValueError):
        raise ConfigError(f"{name} must be a positive number, got {horizon!r}") from None
    if not np.isfinite(value) or value <= 0:
        raise ConfigError(f"{name} must be > 0, got {horizon!r}")
    if integer:
        if value != int(value):
            raise ConfigError(f"{name} must be a whole number of periods, got {horizon!r}")
        return int(value)
    return value


def as_return_series(
    returns: pd.Series | np.ndarray | Sequence[float],
    name: str = "returns",
    min_obs: int = 1,
    allow_nan: bool = False,
) -> pd.Series:
    """Coerce returns to a float ``pd.Series`` and check them.

    Raises :class:`DataError` naming the problem: wrong shape, too few observations, non-finite values
    (with the first offending dates), or a constant series.
    """
    if isinstance(returns, pd.DataFrame):
        if returns.shape[1] != 1:
            raise DataError(
                f"{name} must be one series, got a DataFrame with columns {list(returns.columns)}"
            )
        returns = returns.iloc[:, 0]
    if isinstance(returns, pd.Series):
        series = returns
    else:
        arr = np.asarray(returns)
        if arr.ndim != 1:
            raise DataError(f"{name} must be one-dimensional, got shape {arr.shape}")
        series = pd.Series(arr)
    try:
        series = series.astype(float)
    except (TypeError, ValueError) as exc:
        raise DataError(f"{name} must be numeric: {exc}") from None
    if len(series) < min_obs:
        raise DataError(f"{name} needs at least {min_obs} observations, got {len(series)}")
    bad = ~np.isfinite(series.to_numpy())
    if bad.any() and not allow_nan:
        where = list(series.index[bad][:5])
        more = f" and {int(bad.sum()) - 5} more" if bad.sum() > 5 else ""
        raise DataError(
            f"{name} contains {int(bad.sum())} NaN or infinite value(s) at {where}{more}; "
            "clean or drop them first (see riskkit.data)"
        )
    return series
