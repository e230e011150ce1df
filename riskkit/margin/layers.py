"""Initial and maintenance margin as two layers, and the rules that keep the pair publishable.

A venue publishes two rates per contract: the **initial margin** (IM) a position needs to open,
and the **maintenance margin** (MM) below which it is liquidated. riskkit calibrates each as a
*layer* with its own risk measure, confidence level and margin period of risk
(:class:`MarginLayer`); the MM may instead be a fixed ratio of the *published* IM (the
convention of most crypto venues: Binance, Hyperliquid).

Rules of a published pair (:func:`publish_mm`, checked by :func:`layer_problems` and by
:func:`riskkit.margin.validate_parameter_set`):

* ``0 < MM < IM <= cap``;
* ``MM / IM = ratio`` (to the rate precision) whenever a ratio is configured, also when the IM
  sits on its floor or its cap, because the ratio is applied to the published IM, after the
  floor and the cap;
* an MM layer of its own is rounded up to the step like the IM, and cut to one step below the
  IM on a date where it would reach it.

**Model failures.** A risk model can blow up (a GARCH variance on the stationarity boundary, a
fit that fails), and a raw margin of 255% of notional is not a margin but a failure of the model.
:func:`screen_model_failures` flags every date whose raw margin is not finite or exceeds a
sanity bound (``model_failure_bound``, a fraction of notional), with the reason, and replaces it
by the last good raw margin (no look-ahead: only earlier dates are used). The cap then applies
as usual.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd

from riskkit.exceptions import ConfigError
from riskkit.margin.rates import round_rate

__all__ = [
    "MarginLayer",
    "margin_layers",
    "screen_model_failures",
    "publish_mm",
    "round_to_precision",
    "layer_problems",
    "FAILURE_COLUMNS",
]

#: columns of the model-failure table of a calibration
FAILURE_COLUMNS = ("date", "layer", "raw_margin", "reason", "fallback")


@dataclass(frozen=True)
class MarginLayer:
    """One margin layer: what it measures, at which level, over which period.

    Attributes
    ----------
    name : {"im", "mm"}
    measure : {"es", "var"}
    level : float
        Confidence level of the measure.
    horizon_days : float
        Margin period of risk of the layer (days).
    ratio : float or None
        For the MM only: the MM is ``ratio`` x the published IM, and ``measure``, ``level`` and
        ``horizon_days`` are those of the IM (the losses its coverage is read against).
    """

    name: str
    measure: str
    level: float
    horizon_days: float
    ratio: float | None = None

    @property
    def column(self) -> str:
        """Column of the rolling forecasts holding this layer's measure (``es_0.99``)."""
        return f"{self.measure}_{self.level:g}"

    @property
    def is_ratio(self) -> bool:
        """True for an MM defined as a ratio of the published IM (no model of its own)."""
        return self.ratio is not None

    def describe(self) -> str:
        """One line for reports: ``"ES 99% over 2 days"`` or ``"0.5 x published IM"``."""
        if self.is_ratio:
            return f"{self.ratio:g} x published IM"
        return f"{self.measure.upper()} {100 * self.level:g}% over {self.horizon_days:g} days"


def margin_layers(settings) -> tuple[MarginLayer, MarginLayer]:
    """The IM and MM layers of a :class:`~riskkit.margin.MarginSettings`.

    Returns
    -------
    (MarginLayer, MarginLayer)
        IM from ``measure``/``level``/``horizon_days``; MM from ``mm_measure``/``mm_level``/
        ``mm_horizon_days`` (each defaulting to the IM's) when any of them is set, else
        ``mm_ratio`` x the published IM.
    """
    im = MarginLayer("im", settings.measure, settings.level, settings.horizon_days)
    if settings.mm_is_ratio:
        mm = MarginLayer(
            "mm", settings.measure, settings.level, settings.horizon_days, settings.mm_ratio
        )
    else:
        mm = MarginLayer(
            "mm",
            settings.mm_measure or settings.measure,
            settings.mm_level if settings.mm_level is not None else settings.level,
            settings.mm_horizon_days or settings.horizon_days,
        )
    return im, mm


def screen_model_failures(
    raw: pd.Series, bound: float, layer: str = "im"
) -> tuple[pd.Series, pd.DataFrame]:
    """Flag raw margins that are model failures and carry the last good margin forward.

    Parameters
    ----------
    raw : Series
        Raw model margin (fraction of notional) per date.
    bound : float
        Sanity bound: a raw margin above it (e.g. 1.0 = 100% of notional) is a failure.
    layer : str
        Layer name written in the table.

    Returns
    -------
    clean : Series
        ``raw`` where it is good; on a failure date the last good value before it (NaN when no
        earlier good value exists).
    failures : DataFrame
        One row per failure date, columns :data:`FAILURE_COLUMNS`; ``fallback`` is the value
        ``clean`` carries on that date.
    """
    if not bound > 0:
        raise ConfigError(f"model_failure_bound must be > 0, got {bound!r}")
    x = raw.astype(float)
    finite = np.isfinite(x)
    bad = ~finite | (x > bound)
    clean = x.where(~bad).ffill()
    reasons = np.where(
        ~finite[bad],
        "model forecast not finite (variance blow-up or failed fit)",
        [f"raw margin {v:.4g} of notional above the sanity bound {bound:g}" for v in x[bad]],
    )
    failures = pd.DataFrame(
        {
            "date": x.index[bad],
            "layer": layer,
            "raw_margin": x[bad].to_numpy(),
            "reason": reasons,
            "fallback": clean[bad].to_numpy(),
        },
        columns=list(FAILURE_COLUMNS),
    )
    return clean.rename(raw.name), failures


def round_to_precision(x, precision: float | None, how: str = "nearest"):
    """Round to a multiple of ``precision`` (nearest or up), without float noise.

    ``round_to_precision(750.0000000000007, 0.01) == 750.0``. ``how="up"`` rounds up (with a
    1e-9 relative tolerance so that a value on the grid stays there), for rates that must not
    fall below the calibrated one. Floats in, floats out; arrays and Series keep their type.
    """
    if not precision:
        return x
    if how not in ("nearest", "up"):
        raise ConfigError(f"how must be 'nearest' or 'up', got {how!r}")
    decimals = max(0, -math.floor(math.log10(precision) + 1e-12)) + 2
    q = np.asarray(x, dtype=float) / precision
    q = np.ceil(q - 1e-9) if how == "up" else np.round(q)
    out = np.round(q * precision, decimals)
    if isinstance(x, pd.Series):
        return pd.Series(out, index=x.index, name=x.name)
    return float(out) if np.ndim(out) == 0 else out


def publish_mm(
    im: pd.Series | np.ndarray | float,
    *,
    ratio: float | None = None,
    charged_mm=None,
    step: float | None = None,
    cap: float = 1.0,
    precision: float = 1e-6,
):
    """Published maintenance margin from the published initial margin.

    Parameters
    ----------
    im : Series, array or float
        Published IM (after rounding, floor and cap).
    ratio : float, optional
        MM = ``ratio`` x ``im``, rounded to ``precision`` (nearest): the ratio holds whatever
        bound the IM sits on.
    charged_mm : same type as ``im``, optional
        For an MM layer of its own: its margin after APC, rounded up to ``step``, capped, and
        kept at least one step (``step`` or ``precision``) below the IM.
    step, cap, precision : float
        Rounding step of the rates, highest rate, precision of a published rate.

    Returns
    -------
    same type as ``im``
    """
    if (ratio is None) == (charged_mm is None):
        raise ConfigError("publish_mm needs exactly one of ratio and charged_mm")
    if ratio is not None:
        if not 0 < ratio < 1:
            raise ConfigError(f"mm ratio must lie in (0, 1), got {ratio!r}")
        return round_to_precision(ratio * im, precision)
    gap = step or precision
    mm = round_rate(charged_mm, step, cap=cap)
    return np.minimum(mm, im - gap) if not np.ndim(im) == 0 else min(mm, im - gap)


def layer_problems(
    im: float,
    mm: float,
    *,
    cap: float = 1.0,
    ratio: float | None = None,
    precision: float = 1e-6,
    where: str = "",
) -> list[str]:
    """The rules of a published pair that ``(im, mm)`` breaks (empty list: none).

    ``0 < MM < IM <= cap``, and ``MM = ratio x IM`` within ``precision`` when a ratio is given.
    """
    out = []
    if not mm > 0:
        out.append(f"{where}mm_rate: {mm} must be > 0")
    if not mm < im:
        out.append(f"{where}mm_rate: {mm} must be below im_rate {im} (MM < IM)")
    if im > cap + 1e-12:
        out.append(f"{where}im_rate: {im} above the cap {cap}")
    if ratio is not None and abs(mm - ratio * im) > precision / 2 + 1e-12:
        out.append(
            f"{where}mm_rate: {mm} is not mm_ratio {ratio:g} x im_rate {im} "
            f"(= {ratio * im:.8g}, to the precision {precision:g})"
        )
    return out
