"""From a VaR/ES forecast of a log-return loss to a margin rate on notional.

A risk model forecasts VaR or ES of the *log* loss ``-r`` over one day. A margin rate is a
fraction of notional. Three explicit steps connect the two:

1. **Horizon**: the 1-day figure is scaled to the margin period of risk ``h`` (days, fractional
   allowed: 1 hour = 1/24) by the square root of time, ``x_h = x_1 * sqrt(h)``. This is exact for
   i.i.d. zero-mean normal log returns and a convention otherwise (the Basel 1996 amendment's
   10-day scaling); with daily data it is the only way to reach sub-daily horizons.
2. **Side**: a long position loses ``1 - exp(r)`` of notional, a short position ``exp(r) - 1``.
   The long-side loss fraction is ``1 - exp(-x)`` where ``x`` is the VaR/ES of ``-r`` (left tail);
   the short side is ``exp(y) - 1`` where ``y`` is the VaR/ES of ``+r`` (right tail). Both maps
   are monotone, so they commute with quantiles (VaR) exactly. For ES they are an approximation:
   by Jensen's inequality the concave long-side map slightly overstates, and the convex short-side
   map slightly understates, the ES of the loss fraction (second order in ``x``).
3. **Both sides**: a venue publishes one rate per contract for longs and shorts, so riskkit
   margins the **maximum of the two sides**.

Rounding up to a venue step, floors and caps come last.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from riskkit._validation import check_horizon
from riskkit.exceptions import ConfigError

__all__ = [
    "scale_to_horizon",
    "loss_fraction",
    "TwoSidedRate",
    "two_sided_rate",
    "round_rate",
    "max_leverage",
    "implied_horizon_hours",
]


def scale_to_horizon(x1: float | np.ndarray | pd.Series, horizon_days: float):
    """Scale a 1-day VaR/ES of log loss to ``horizon_days`` by the square root of time.

    Parameters
    ----------
    x1 : float, array or Series
        1-day VaR or ES of the log loss (positive).
    horizon_days : float
        Margin period of risk in days (> 0; 1 hour = 1/24).

    Returns
    -------
    same type as ``x1``
        ``x1 * sqrt(horizon_days)``.

    Notes
    -----
    Square-root-of-time scaling assumes serially uncorrelated returns with a zero mean; fat tails
    make it inexact for VaR at multi-day horizons (sums of fat-tailed returns become less
    fat-tailed, Danielsson and Zigrand 2006). riskkit applies it to reach sub-daily margin periods
    from daily data, where no better choice exists without intraday data.

    References
    ----------
    Basel Committee on Banking Supervision (1996), *Amendment to the capital accord to incorporate
    market risks*. Danielsson, J. and Zigrand, J.-P. (2006), "On time-scaling of risk and the
    square-root-of-time rule", *Journal of Banking & Finance* 30(10).
    """
    h = check_horizon(horizon_days, "horizon_days", integer=False)
    return x1 * math.sqrt(h)


def loss_fraction(x: float | np.ndarray | pd.Series, side: str = "long"):
    """Convert a VaR/ES of a log loss into a loss fraction of notional.

    Parameters
    ----------
    x : float, array or Series
        VaR/ES of the log loss of the position's side (positive).
    side : {"long", "short"}
        ``"long"``: ``1 - exp(-x)`` (x is the VaR/ES of ``-r``); ``"short"``: ``exp(x) - 1``
        (x is the VaR/ES of ``+r``).

    Returns
    -------
    same type as ``x``
    """
    if side == "long":
        return -np.expm1(-x)
    if side == "short":
        return np.expm1(x)
    raise ConfigError(f"side must be 'long' or 'short', got {side!r}")


@dataclass(frozen=True)
class TwoSidedRate:
    """Loss fractions of a long and a short position over the margin period, and their maximum.

    Returned by :func:`two_sided_rate`. The three rates have the type of the inputs: floats for
    scalar inputs, arrays for arrays, Series (named ``long``, ``short``, ``rate``) for Series.

    Attributes
    ----------
    long : float, numpy.ndarray or pandas.Series
        Loss fraction of a long position, ``1 - exp(-x_long sqrt(h))``.
    short : float, numpy.ndarray or pandas.Series
        Loss fraction of a short position, ``exp(x_short sqrt(h)) - 1``.
    rate : float, numpy.ndarray or pandas.Series
        Margin rate covering both sides: the larger of ``long`` and ``short`` (a side that is NaN
        is ignored; NaN only where both are).
    horizon_days : float
        Margin period of risk the rates refer to (days).
    """

    long: Any
    short: Any
    rate: Any
    horizon_days: float

    def for_sides(self, sides: str = "both") -> Any:
        """Rate covering ``sides``: ``"both"`` gives :attr:`rate`, ``"long"``/``"short"`` one side.

        Parameters
        ----------
        sides : {"both", "long", "short"}

        Returns
        -------
        float, numpy.ndarray or pandas.Series
            Of the type of the inputs of :func:`two_sided_rate`.

        Raises
        ------
        ConfigError
            If ``sides`` is none of the three.
        """
        if sides == "both":
            return self.rate
        if sides == "long":
            return self.long
        if sides == "short":
            return self.short
        raise ConfigError(f"sides must be 'both', 'long' or 'short', got {sides!r}")

    def to_frame(self) -> pd.DataFrame:
        """The rates as a table with columns ``long``, ``short`` and ``rate``.

        Returns
        -------
        pandas.DataFrame
            Indexed like the inputs when they are Series; otherwise a ``RangeIndex`` (one row
            for scalar inputs).
        """
        if isinstance(self.rate, pd.Series):
            return pd.DataFrame({"long": self.long, "short": self.short, "rate": self.rate})
        return pd.DataFrame(
            {
                "long": np.atleast_1d(np.asarray(self.long, dtype=float)),
                "short": np.atleast_1d(np.asarray(self.short, dtype=float)),
                "rate": np.atleast_1d(np.asarray(self.rate, dtype=float)),
            }
        )


def two_sided_rate(
    long_x1: pd.Series | np.ndarray | float,
    short_x1: pd.Series | np.ndarray | float,
    horizon_days: float = 1.0,
) -> TwoSidedRate:
    """Margin rate on notional covering both a long and a short position.

    Parameters
    ----------
    long_x1 : Series, array or float
        1-day VaR/ES of the log loss of a long position (``-r``).
    short_x1 : Series, array or float
        1-day VaR/ES of the log loss of a short position (``+r``).
    horizon_days : float
        Margin period of risk in days.

    Returns
    -------
    TwoSidedRate
        ``long``, ``short`` (loss fractions over the horizon) and ``rate`` = their maximum, of
        the type of the inputs (Series, aligned on their common index, if either input is a
        Series; else arrays or floats).
    """
    h = check_horizon(horizon_days, "horizon_days", integer=False)
    lo = loss_fraction(scale_to_horizon(long_x1, h), "long")
    sh = loss_fraction(scale_to_horizon(short_x1, h), "short")
    if isinstance(lo, pd.Series) or isinstance(sh, pd.Series):
        frame = pd.DataFrame({"long": lo, "short": sh})
        return TwoSidedRate(
            long=frame["long"],
            short=frame["short"],
            rate=frame[["long", "short"]].max(axis=1).rename("rate"),
            horizon_days=float(h),
        )
    rate = np.fmax(lo, sh)
    if np.ndim(rate) == 0:
        return TwoSidedRate(float(lo), float(sh), float(rate), float(h))
    return TwoSidedRate(np.asarray(lo, float), np.asarray(sh, float), rate, float(h))


def round_rate(
    rate: float | np.ndarray | pd.Series,
    step: float | None = 0.0005,
    floor: float | None = None,
    cap: float | None = None,
):
    """Round a margin rate **up** to a multiple of ``step``, then apply a floor and a cap.

    Parameters
    ----------
    rate : float, array or Series
        Margin rate(s), fractions of notional.
    step : float or None
        Rounding step (0.0005 = 0.05%); ``None`` or 0 leaves the rate unrounded.
    floor, cap : float or None
        Lowest and highest published rate.

    Returns
    -------
    same type as ``rate``

    Notes
    -----
    Rounding goes up so that the published rate never falls below the calibrated one. A relative
    tolerance of 1e-9 steps stops a rate that already sits on a step (up to floating-point error)
    from being pushed one step higher.
    """
    out = rate
    if step:
        if step <= 0:
            raise ConfigError(f"rounding step must be > 0, got {step!r}")
        out = np.ceil(np.asarray(rate, dtype=float) / step - 1e-9) * step
        out = np.round(out, 12)
    if floor is not None or cap is not None:
        if floor is not None and cap is not None and floor > cap:
            raise ConfigError(f"floor {floor!r} exceeds cap {cap!r}")
        out = np.clip(out, floor, cap)
    if isinstance(rate, pd.Series):
        return pd.Series(np.asarray(out, dtype=float), index=rate.index, name=rate.name)
    if np.ndim(out) == 0:
        return float(out)
    return out


def max_leverage(im_rate: float | np.ndarray | pd.Series):
    """Maximum leverage ``1 / IM``, rounded down to a whole number as venues publish it.

    A tolerance of 1e-9 keeps ``1 / 0.01`` at 100 despite floating-point error.
    """
    im = np.asarray(im_rate, dtype=float)
    if np.any(im <= 0):
        raise ConfigError("initial margin rates must be > 0 to define a maximum leverage")
    lev = np.floor(1.0 / im + 1e-9)
    if isinstance(im_rate, pd.Series):
        return pd.Series(lev, index=im_rate.index, name="max_leverage")
    return float(lev) if lev.ndim == 0 else lev


def implied_horizon_hours(rate: float, x1: float, side: str = "long") -> float:
    """Margin period of risk (hours) at which a 1-day VaR/ES ``x1`` gives the margin ``rate``.

    Inverts :func:`loss_fraction` and :func:`scale_to_horizon`: for the long side
    ``rate = 1 - exp(-x1 * sqrt(h))`` gives ``h = (-log(1 - rate) / x1)**2`` days.

    Parameters
    ----------
    rate : float
        A published margin rate (fraction of notional), e.g. 0.004 for 0.40%.
    x1 : float
        1-day VaR or ES of the log loss.
    side : {"long", "short"}

    Returns
    -------
    float
        Hours.
    """
    if not 0 < rate < 1:
        raise ConfigError(f"rate must lie in (0, 1), got {rate!r}")
    if not x1 > 0:
        raise ConfigError(f"x1 must be > 0, got {x1!r}")
    x_h = -math.log1p(-rate) if side == "long" else math.log1p(rate)
    return 24.0 * (x_h / x1) ** 2
