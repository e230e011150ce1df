"""The margin waterfall: from a 1-day risk forecast to the published rates, step by step.

:func:`margin_waterfall` reads one :class:`~riskkit.margin.AssetCalibration` on its last forecast
date and lays out every step of :func:`~riskkit.margin.calibrate_asset` between the model's
output and the rates a venue would publish:

1. the 1-day VaR/ES of the log loss of a long (``-r``) and a short (``+r``) position;
2. each side's loss fraction over the margin period of risk ``h``: ``1 - exp(-x sqrt(h))`` and
   ``exp(x sqrt(h)) - 1`` (:func:`riskkit.margin.two_sided_rate`);
3. the raw initial margin, the larger side (or the one side margined);
4. the initial margin charged after anti-procyclicality (:mod:`riskkit.margin.apc`);
5. the published initial margin (rounded up to the venue step, floored, capped), the
   maintenance margin and the maximum leverage.

The published initial margin splits into three additive components (:meth:`components`): the
raw model margin, the APC add-on and the publication add-on (rounding, floor and cap).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING, Any

import pandas as pd

from riskkit.exceptions import ConfigError
from riskkit.margin.rates import TwoSidedRate, two_sided_rate

if TYPE_CHECKING:
    from riskkit.margin.calibrate import AssetCalibration

__all__ = ["MarginWaterfall", "margin_waterfall"]


@dataclass(frozen=True)
class MarginWaterfall:
    """Every step from a 1-day risk forecast to the published rates of one asset on one date.

    Built by :func:`margin_waterfall`. Rates are fractions of notional.

    Attributes
    ----------
    asset : str
    as_of : str
        Date of the published rates (the last forecast date), ``YYYY-MM-DD``.
    measure : {"es", "var"}
        Risk measure of the initial margin.
    level, horizon_days : float
        Confidence level and margin period of risk (days).
    sides : {"both", "long", "short"}
        Position sides the margin covers.
    apc : str
        Anti-procyclicality option.
    rounding_step : float or None
        Step the published rates are rounded up to (None: no rounding).
    im_floor, im_cap : float
        Lowest and highest published initial margin.
    mm_rule : str
        How the maintenance margin was set, in words.
    daily_measure_long, daily_measure_short : float
        1-day VaR/ES of the log loss of a long (left tail) and a short (right tail) position.
    long_rate, short_rate : float
        Loss fraction of each side over ``horizon_days``.
    raw_im : float
        Model margin before APC: the larger of the two sides (or the side margined).
    charged_im : float
        Margin after APC and any cap on daily changes, before rounding.
    im_rate, mm_rate : float
        Published initial and maintenance margin.
    max_leverage : float
        ``floor(1 / im_rate)``.
    """

    asset: str
    as_of: str
    measure: str
    level: float
    horizon_days: float
    sides: str
    apc: str
    rounding_step: float | None
    im_floor: float
    im_cap: float
    mm_rule: str
    daily_measure_long: float
    daily_measure_short: float
    long_rate: float
    short_rate: float
    raw_im: float
    charged_im: float
    im_rate: float
    mm_rate: float
    max_leverage: float

    @property
    def apc_addon(self) -> float:
        """Margin added by anti-procyclicality: ``charged_im - raw_im``."""
        return self.charged_im - self.raw_im

    @property
    def publication_addon(self) -> float:
        """Margin added by rounding up, the floor and the cap: ``im_rate - charged_im``."""
        return self.im_rate - self.charged_im

    def components(self) -> pd.Series:
        """Additive components of the published initial margin.

        Returns
        -------
        pandas.Series
            ``raw IM (model)``, ``APC add-on`` and ``rounding, floor and cap``, named after the
            asset; they sum to :attr:`im_rate` (up to floating-point rounding).
        """
        return pd.Series(
            {
                "raw IM (model)": self.raw_im,
                "APC add-on": self.apc_addon,
                "rounding, floor and cap": self.publication_addon,
            },
            name=self.asset,
        )

    def to_series(self) -> pd.Series:
        """The steps as a labelled Series, in order, named after the asset (a display table).

        Returns
        -------
        pandas.Series
            From the 1-day measures of each side to the maximum leverage; labels state the
            settings (horizon, APC option, rounding step, floor, maintenance rule).
        """
        m, h = self.measure.upper(), self.horizon_days
        raw = {
            "both": "raw IM = max of both sides",
            "long": "raw IM = long side",
            "short": "raw IM = short side",
        }[self.sides]
        rounding = f"rounded up to {self.rounding_step:g}" if self.rounding_step else "not rounded"
        cap = f", cap {self.im_cap:g}" if self.im_cap < 1 else ""
        steps = {
            f"1-day {m} of log loss, long (left tail)": self.daily_measure_long,
            f"1-day {m} of log loss, short (right tail)": self.daily_measure_short,
            f"long loss fraction over {h:g} day(s): 1 - exp(-x sqrt(h))": self.long_rate,
            f"short loss fraction over {h:g} day(s): exp(x sqrt(h)) - 1": self.short_rate,
            raw: self.raw_im,
            f"after APC ({self.apc})": self.charged_im,
            f"IM published ({rounding}, floor {self.im_floor:g}{cap})": self.im_rate,
            self.mm_rule: self.mm_rate,
            "max leverage = floor(1 / IM)": self.max_leverage,
        }
        return pd.Series(steps, name=self.asset)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict of all fields."""
        return asdict(self)


def margin_waterfall(calibration: AssetCalibration) -> MarginWaterfall:
    """The steps from the 1-day forecasts to the published rates on the last forecast date.

    Parameters
    ----------
    calibration : AssetCalibration
        Output of :func:`riskkit.margin.calibrate_asset`.

    Returns
    -------
    MarginWaterfall

    Raises
    ------
    ConfigError
        If ``calibration`` is not an :class:`~riskkit.margin.AssetCalibration`.

    Notes
    -----
    The loss fractions of the two sides over the margin period are read from the margin path
    (columns ``long_rate``, ``short_rate``: the estimator's h-day simulation or sqrt-time, as
    the calibration made them; a path without them is recomputed from the published 1-day
    measures with :func:`riskkit.margin.two_sided_rate`); the raw and
    charged margins are read from the calibration's margin path, the published rates from its
    parameters.
    """
    from riskkit.margin.calibrate import AssetCalibration

    if not isinstance(calibration, AssetCalibration):
        raise ConfigError(
            f"margin_waterfall needs an AssetCalibration (from calibrate_asset), got "
            f"{type(calibration).__name__}"
        )
    p, s, path = calibration.parameters, calibration.settings, calibration.margin_path
    x_long, x_short = float(p["daily_measure_long"]), float(p["daily_measure_short"])
    if "long_rate" in path:  # the rates over the margin period, as the calibration made them
        sides = TwoSidedRate(
            float(path["long_rate"].iloc[-1]),
            float(path["short_rate"].iloc[-1]),
            float(path["raw_model"].iloc[-1]),
            float(s.horizon_days),
        )
    else:
        sides = two_sided_rate(x_long, x_short, s.horizon_days)
    if s.mm_is_ratio:
        mm_rule = f"MM = {s.mm_ratio:g} x published IM"
    else:
        lv = s.mm_level if s.mm_level is not None else s.level
        mh = s.mm_horizon_days if s.mm_horizon_days is not None else s.horizon_days
        ms = (s.mm_measure or s.measure).upper()
        mm_rule = f"MM = {ms} at {lv:g} over {mh:g} day(s), times the APC factor, rounded"
    return MarginWaterfall(
        asset=calibration.asset,
        as_of=str(p["as_of"]),
        measure=s.measure,
        level=float(s.level),
        horizon_days=float(s.horizon_days),
        sides=s.sides,
        apc=s.apc,
        rounding_step=s.rounding_step,
        im_floor=float(s.im_floor),
        im_cap=float(s.im_cap),
        mm_rule=mm_rule,
        daily_measure_long=x_long,
        daily_measure_short=x_short,
        long_rate=sides.long,
        short_rate=sides.short,
        raw_im=float(path["raw_im"].iloc[-1]),
        charged_im=float(path["charged_im"].iloc[-1]),
        im_rate=float(p["im_rate"]),
        mm_rate=float(p["mm_rate"]),
        max_leverage=float(p["max_leverage"]),
    )
