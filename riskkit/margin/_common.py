"""Small numerical helpers shared by the margin modules (not public API)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from riskkit.exceptions import ConfigError, DataError

MEASURES = ("var", "es")


def check_measure(measure: str) -> str:
    """Return ``measure`` lower-cased; raise ConfigError unless it is 'var' or 'es'."""
    m = str(measure).lower()
    if m not in MEASURES:
        raise ConfigError(f"measure must be 'var' or 'es', got {measure!r}")
    return m


def empirical_var_es(losses: np.ndarray, level: float) -> tuple[float, float]:
    """Empirical VaR (lower quantile) and ES (exact tail average) of a sample of losses.

    The same definitions as :class:`riskkit.risk.HistoricalSimulation`
    (:func:`riskkit.risk.weighted_var_es`, Acerbi and Tasche 2002), so a historical margin path
    computed here equals the one from the rolling engine with that estimator.
    """
    from riskkit.risk import weighted_var_es

    x = np.asarray(losses, dtype=float)
    x = x[np.isfinite(x)]
    if x.size == 0:
        return float("nan"), float("nan")
    var, es = weighted_var_es(x, None, (float(level),))[0]
    return float(var), float(es)


def empirical_measure(losses: np.ndarray, level: float, measure: str) -> float:
    """Empirical VaR or ES of ``losses`` (see :func:`empirical_var_es`)."""
    var, es = empirical_var_es(losses, level)
    return es if measure == "es" else var


def as_margin_series(margin: pd.Series | np.ndarray, name: str = "margin") -> pd.Series:
    """Coerce a margin path to a float Series and check it is finite and positive."""
    s = margin if isinstance(margin, pd.Series) else pd.Series(np.asarray(margin, dtype=float))
    s = s.astype(float)
    if s.empty:
        raise DataError(f"{name} is empty")
    bad = ~np.isfinite(s.to_numpy()) | (s.to_numpy() <= 0)
    if bad.any():
        raise DataError(
            f"{name} must be positive and finite; {int(bad.sum())} bad value(s) at "
            f"{list(s.index[bad][:5])}"
        )
    return s


def log_returns_from_ohlcv(ohlcv: pd.DataFrame, name: str = "ohlcv") -> pd.Series:
    """Daily log close-to-close returns from an OHLCV frame, never across a missing day.

    Delegates to :func:`riskkit.returns.compute_returns` on a daily grid (``freq="1D"``), which
    drops the returns into and out of a missing bar and warns ``DataQualityWarning``.
    """
    from riskkit.returns import compute_returns

    if not isinstance(ohlcv, pd.DataFrame) or "close" not in ohlcv.columns:
        cols = list(ohlcv.columns) if isinstance(ohlcv, pd.DataFrame) else type(ohlcv).__name__
        raise DataError(f"{name} must be a DataFrame with a 'close' column, got {cols}")
    r = compute_returns(ohlcv["close"].astype(float), kind="log", freq="1D", name=name)
    r.name = "return"
    return r
