"""Volatility-regime margin multipliers, as an alternative to a continuously varying margin.

Some venues keep a margin rate fixed and step it up by a multiplier when volatility crosses a
threshold. :func:`calibrate_regimes` sets the thresholds at quantiles of the forecast volatility
in a calibration period, and the multipliers so that each regime's margin is the continuous
margin's level at that regime's typical volatility; :func:`regime_margin` applies them
out of sample. The step margin moves less often but by larger jumps than the continuous GARCH
margin: compare both with :func:`riskkit.margin.apc.compare_paths` and the coverage tables.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from riskkit._validation import check_level
from riskkit.exceptions import ConfigError, DataError
from riskkit.margin._common import check_measure, empirical_measure

__all__ = ["RegimeModel", "calibrate_regimes", "classify_regimes", "regime_margin"]


@dataclass(frozen=True)
class RegimeModel:
    """Thresholds and margin per volatility regime.

    Attributes
    ----------
    thresholds : tuple of float
        Volatility thresholds (daily, fractions), increasing; ``k`` thresholds make ``k + 1``
        regimes, regime 0 the calmest.
    multipliers : tuple of float
        Margin of regime ``i`` over the margin of regime 0 (so ``multipliers[0] == 1``).
    base_rate : float
        Margin rate of regime 0.
    z_measure : float
        VaR/ES of the volatility-standardised loss used to set the rates.
    """

    thresholds: tuple[float, ...]
    multipliers: tuple[float, ...]
    base_rate: float
    z_measure: float

    def table(self) -> pd.DataFrame:
        """One row per regime: volatility bounds, multiplier, margin rate."""
        lo = (0.0, *self.thresholds)
        hi = (*self.thresholds, np.inf)
        return pd.DataFrame(
            {
                "vol_from": lo,
                "vol_to": hi,
                "multiplier": self.multipliers,
                "rate": [self.base_rate * m for m in self.multipliers],
            },
            index=pd.RangeIndex(len(lo), name="regime"),
        )


def classify_regimes(vol: pd.Series, thresholds: Sequence[float]) -> pd.Series:
    """Regime number of each date: how many thresholds the volatility is at or above.

    Parameters
    ----------
    vol : Series
        Daily volatility (fraction, e.g. a forecast known the day before), indexed by date.
    thresholds : sequence of float
        Volatility thresholds, strictly increasing (daily, fractions); may be empty (one
        regime).

    Returns
    -------
    Series
        Named ``"regime"``, indexed like ``vol``, float dtype: ``0`` below the first threshold
        up to ``len(thresholds)`` at or above the last; NaN where ``vol`` is NaN or infinite.

    Raises
    ------
    ConfigError
        If ``thresholds`` do not increase strictly.
    """
    t = np.asarray(thresholds, dtype=float)
    if t.size and np.any(np.diff(t) <= 0):
        raise ConfigError(f"regime thresholds must increase strictly, got {list(thresholds)}")
    v = vol.astype(float)
    lab = np.searchsorted(t, v.to_numpy(), side="right").astype(float)
    lab[~np.isfinite(v.to_numpy())] = np.nan
    return pd.Series(lab, index=v.index, name="regime")


def calibrate_regimes(
    vol: pd.Series,
    loss: pd.Series,
    quantiles: Sequence[float] = (0.5, 0.8, 0.95),
    level: float = 0.99,
    measure: str = "es",
) -> RegimeModel:
    """Calibrate volatility thresholds and per-regime margins on a history.

    Parameters
    ----------
    vol : Series
        Forecast daily volatility for each date (known the day before, e.g. the GARCH forecast).
    loss : Series
        Realised 1-day log loss on the same dates.
    quantiles : sequence of float
        Quantiles of ``vol`` in this history that become the thresholds.
    level, measure
        Margin confidence level and measure.

    Returns
    -------
    RegimeModel

    Notes
    -----
    The loss standardised by its volatility forecast, ``z = loss / vol``, is close to
    identically distributed under a good volatility model; its VaR/ES ``q_z`` turns a volatility
    into a margin. The continuous margin is ``q_z vol_t``; the regime margin replaces ``vol_t``
    by the *upper* volatility threshold of its regime (the top regime: its 99th percentile of
    volatility in the calibration history), so the step margin covers every day of the regime at
    least as well as the continuous one. Rates are log-loss numbers (1-day); convert them with
    :mod:`riskkit.margin.rates`.
    """
    lv = check_level(level)
    meas = check_measure(measure)
    q = np.asarray(quantiles, dtype=float)
    if q.size == 0 or np.any((q <= 0) | (q >= 1)) or np.any(np.diff(q) <= 0):
        raise ConfigError(f"quantiles must increase strictly inside (0, 1), got {list(quantiles)}")
    joined = pd.concat([vol.rename("vol"), loss.rename("loss")], axis=1).dropna()
    joined = joined[joined["vol"] > 0]
    if len(joined) < 100:
        raise DataError(f"need at least 100 dates with volatility and loss, got {len(joined)}")
    v = joined["vol"].to_numpy()
    z = joined["loss"].to_numpy() / v
    qz = empirical_measure(z, lv, meas)
    # tied quantiles (a volatility forecast that rarely moves) merge regimes instead of failing
    thresholds = np.unique(np.quantile(v, q))
    uppers = np.append(thresholds, max(np.quantile(v, 0.99), thresholds[-1]))
    mult = uppers / uppers[0]
    return RegimeModel(
        thresholds=tuple(float(x) for x in thresholds),
        multipliers=tuple(float(x) for x in mult),
        base_rate=float(qz * uppers[0]),
        z_measure=float(qz),
    )


def regime_margin(vol: pd.Series, model: RegimeModel) -> pd.Series:
    """1-day log-loss margin of each date under a :class:`RegimeModel` (NaN where vol is NaN).

    Parameters
    ----------
    vol : Series
        Daily volatility (fraction) for each date, e.g. the forecast known the day before.
    model : RegimeModel
        Thresholds and multipliers, e.g. from :func:`calibrate_regimes`.

    Returns
    -------
    Series
        Named ``"regime_margin"``, indexed like ``vol``: ``model.base_rate *
        model.multipliers[regime]`` with the regime from :func:`classify_regimes`. It is a
        positive 1-day VaR/ES of the log loss, not yet a loss fraction of notional (see
        :mod:`riskkit.margin.rates`); NaN where ``vol`` is NaN or infinite.

    Raises
    ------
    ConfigError
        If ``model.thresholds`` do not increase strictly.
    """
    lab = classify_regimes(vol, model.thresholds)
    rates = model.base_rate * np.asarray(model.multipliers)
    out = np.full(len(lab), np.nan)
    ok = lab.notna().to_numpy()
    out[ok] = rates[lab.to_numpy()[ok].astype(int)]
    return pd.Series(out, index=vol.index, name="regime_margin")
