"""Small numerical helpers shared by the margin modules (not public API)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from riskkit.exceptions import ConfigError, DataError
from riskkit.risk import closed_form

MEASURES = ("var", "es")


def check_measure(measure: str) -> str:
    """Return ``measure`` lower-cased; raise ConfigError unless it is 'var' or 'es'."""
    m = str(measure).lower()
    if m not in MEASURES:
        raise ConfigError(f"measure must be 'var' or 'es', got {measure!r}")
    return m


def empirical_var_es(losses: np.ndarray, level: float) -> tuple[float, float]:
    """Empirical VaR and ES of a sample of losses: :func:`riskkit.risk.empirical_var_es`.

    Kept as the margin modules' entry point; the definitions (lower quantile, exact tail average,
    Acerbi and Tasche 2002) live in :mod:`riskkit.risk.closed_form` only, so a historical margin
    path computed here equals the one from the rolling engine with
    :class:`riskkit.risk.HistoricalSimulation`. Empty or non-finite losses raise ``DataError``
    (every caller validates its returns first, so this only fires on a programming error).
    """
    var, es = closed_form.empirical_var_es(losses, float(level))
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


def log_returns_from_ohlcv(
    ohlcv: pd.DataFrame, name: str = "ohlcv", freq: str | pd.Timedelta | None = "1D"
) -> pd.Series:
    """Log close-to-close returns from an OHLCV frame, never across a missing bar.

    Delegates to :func:`riskkit.returns.compute_returns` on the grid of ``freq`` (daily by
    default; the bar interval for intraday bars; None for consecutive rows, as for equities),
    which drops the returns into and out of a missing bar and warns ``DataQualityWarning``.
    """
    from riskkit.returns import compute_returns

    if not isinstance(ohlcv, pd.DataFrame) or "close" not in ohlcv.columns:
        cols = list(ohlcv.columns) if isinstance(ohlcv, pd.DataFrame) else type(ohlcv).__name__
        raise DataError(f"{name} must be a DataFrame with a 'close' column, got {cols}")
    r = compute_returns(ohlcv["close"].astype(float), kind="log", freq=freq, name=name)
    r.name = "return"
    return r
