"""The settings of a margin calibration: one pydantic model, the single table of their defaults.

:class:`MarginSettings` is what :func:`riskkit.margin.calibrate_asset` takes, and it is also the
``margin`` section of a run configuration (:class:`riskkit.run.config.CalibrationConfig`), so
a default is written once, here: a configuration that leaves a key out gets exactly the value a
``MarginSettings()`` built in code gets, and the ``config.yaml`` of a run shows it.

``window`` and ``refit_every`` (the rolling backtest) are fields of the settings the calibration
reads, but a configuration file sets them in its ``backtest`` section; they are left out of the
JSON Schema of the ``margin`` section for that reason.
"""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import Field, field_validator, model_validator
from pydantic.json_schema import SkipJsonSchema

from riskkit._settings import Choice, Float, Int, Range, SettingsModel, problem
from riskkit.events import StressEpisode
from riskkit.exceptions import ConfigError
from riskkit.margin.apc import APC_OPTIONS, APC_STRESS_METHODS
from riskkit.margin.tiers import DEFAULT_BRACKETS, check_brackets

__all__ = [
    "MarginSettings",
    "MEASURES",
    "SIDES",
    "HORIZON_METHODS",
    "LOSS_PRICES",
    "FROM_BACKTEST",
    "WindowLength",
    "RefitEvery",
]

MEASURES = ("es", "var")
SIDES = ("both", "long", "short")
HORIZON_METHODS = ("simulation", "sqrt")
LOSS_PRICES = ("close", "worst")
#: fields a configuration file sets in its ``backtest`` section, not in ``margin``
FROM_BACKTEST = ("window", "refit_every")

Level = Annotated[Float, Range(0, 1, lo_open=True, hi_open=True)]
Positive = Annotated[Float, Range(0, lo_open=True)]
NonNegative = Annotated[Float, Range(0)]
Count = Annotated[Int, Range(1)]
Count20 = Annotated[Int, Range(20)]
Count50 = Annotated[Int, Range(50)]
#: types of ``window`` and ``refit_every``, shared with the ``backtest`` section of a config
WindowLength = Count50
RefitEvery = Count


class MarginSettings(SettingsModel):
    """Settings of a margin calibration; every field is checked on construction.

    Build it with keywords (``MarginSettings(level=0.995, horizon_days=2)``); each field's
    meaning is in its own docstring below. Rates and levels are fractions, horizons are in days
    (fractional for hours: 1 h = 1/24). A bad value raises one
    :class:`~riskkit.exceptions.ConfigError` that lists every problem.

    References: EMIR RTS 153/2013 Art. 24 (confidence level), Art. 26 (margin period of risk),
    Art. 28(1) (anti-procyclicality options a, b and c).
    """

    measure: Annotated[str, Choice(MEASURES)] = "es"
    """Risk measure behind the initial margin: Expected Shortfall or Value-at-Risk."""
    level: Level = 0.99
    """Confidence level in (0, 1) (EMIR RTS 153/2013 Art. 24: at least 0.99)."""
    horizon_days: Annotated[Float, Range(0, 30, lo_open=True)] = 1.0
    """Margin period of risk in days (1 h = 1/24), converted to bars of the data; see
    horizon_method."""
    horizon_method: Annotated[str, Choice(HORIZON_METHODS)] = "simulation"
    """How a margin period of several bars is reached: simulation (the estimator's own h-bar
    paths: FHS, GARCH and EVT simulate them, historical simulation overlaps h-bar sums) or sqrt
    (the 1-bar measure times sqrt(h)). A period shorter than one bar always uses sqrt."""
    loss_price: Annotated[str, Choice(LOSS_PRICES)] = "close"
    """Price at which coverage and stress measure the realised loss over the margin period:
    close (close to close) or worst (the low within the period for a long, the high for a
    short; needs high and low prices)."""
    mm_ratio: Annotated[Float, Range(0, 1, lo_open=True, hi_open=True)] = 0.6
    """Maintenance margin as a fraction of the published initial margin, used unless
    mm_measure, mm_level or mm_horizon_days is set."""
    mm_measure: Annotated[str, Choice(MEASURES)] | None = None
    """Risk measure of a maintenance margin computed as its own layer (default: measure)."""
    mm_level: Level | None = None
    """Confidence level of a maintenance margin computed as its own layer (default: level)."""
    mm_horizon_days: Positive | None = None
    """Margin period of a maintenance margin computed as its own layer (default:
    horizon_days)."""
    model_failure_bound: Annotated[Float, Range(0, 100, lo_open=True)] = 1.0
    """A raw model margin above this fraction of notional (or not finite) is a model failure,
    not a margin: the date keeps the last good margin and is counted in model_failures."""
    rate_precision: Annotated[Float, Range(0, 0.01, lo_open=True)] = 1e-6
    """Precision of every published rate in the parameter file (1e-6: six decimals)."""
    amount_precision: Annotated[Float, Range(0, 1, lo_open=True)] = 0.01
    """Precision of every published amount in USD (0.01: cents)."""
    window: SkipJsonSchema[WindowLength] = 500
    """Returns per estimation window of the rolling forecasts (a configuration file sets it as
    backtest.window)."""
    refit_every: SkipJsonSchema[RefitEvery] = 20
    """Forecast dates between re-estimations of the model (backtest.refit_every in a file)."""
    sides: Annotated[str, Choice(SIDES)] = "both"
    """Position sides the margin covers; both margins the larger of the two tails."""
    apc: Annotated[str, Choice(APC_OPTIONS)] = "buffer"
    """Anti-procyclicality tool of EMIR RTS 153/2013 Art. 28(1): none, buffer (a),
    stressed_weight (b) or floor (c)."""
    apc_buffer: Annotated[Float, Range(0, 10)] = 0.25
    """Buffer option (a): size of the buffer as a fraction of the margin (EMIR: >= 0.25)."""
    apc_release_threshold: NonNegative = 0.25
    """Buffer option (a): relative rise of the margin that releases the buffer."""
    apc_release_lookback: Count = 5
    """Buffer option (a): days over which the rise is measured."""
    apc_rebuild_rate: NonNegative = 0.05
    """Buffer option (a): share of the buffer rebuilt per day after a release."""
    apc_stress_weight: Annotated[Float, Range(0, 1)] = 0.25
    """Stressed-weight option (b): weight of the stressed-period margin (EMIR: >= 0.25)."""
    apc_stress_window: Count20 = 250
    """Stressed-weight option (b): days in the stressed period."""
    apc_stress_method: Annotated[str, Choice(APC_STRESS_METHODS)] = "weighted_sample"
    """Stressed-weight option (b): weighted_sample (EMIR RTS 153/2013 Art. 28(1)(b) as worded:
    the VaR/ES of the current window and the stressed period pooled, the stressed observations
    carrying apc_stress_weight of the probability) or average_margins (the weighted average of
    the current and the stressed-period margins, an alternative)."""
    apc_floor_lookback: Count50 = 3650
    """Floor option (c): lookback in days (3650 = 10 years; all history when shorter)."""
    max_daily_increase: NonNegative | None = None
    """Cap on the relative day-to-day increase of the charged margin (null: no cap)."""
    max_daily_decrease: Annotated[Float, Range(0, 1)] | None = None
    """Cap on the relative day-to-day decrease of the charged margin (null: no cap)."""
    rounding_step: Annotated[Float, Range(0, 0.1, lo_open=True)] | None = 0.0005
    """Published rates are rounded up to this step (0.0005 = 0.05%; null: no rounding)."""
    im_floor: Annotated[Float, Range(0, 1)] = 0.005
    """Lowest initial margin rate."""
    im_cap: Annotated[Float, Range(0, 1, lo_open=True)] = 1.0
    """Highest initial margin rate."""
    tier_boundaries: tuple[Float, ...] = tuple(float(x) for x in DEFAULT_BRACKETS)
    """Notional brackets (0, cap_1, ..., cap_n) in USD, strictly increasing."""
    participation: Annotated[Float, Range(0, 1, lo_open=True)] = 0.1
    """Liquidity add-on: share of the daily traded value a liquidator trades."""
    impact_k: Annotated[Float, Range(0, 100)] = 1.0
    """Liquidity add-on: square-root market impact coefficient."""
    adv_window: Count = 90
    """Liquidity add-on: days of average daily traded value."""
    haircut_level: Level = 0.99
    """Collateral haircut: confidence level."""
    haircut_horizon_days: Positive = 2.0
    """Collateral haircut: liquidation horizon of the collateral in days."""
    liquidation_hours: Positive = 1.0
    """Liquidation penalty: hours to close a liquidated position."""
    penalty_confidence: Level = 0.95
    """Liquidation penalty: share of liquidations whose slippage the penalty covers."""
    insurance_confidence: Level = 0.99
    """Insurance fund: confidence level of the simulated yearly loss."""
    insurance_sims: Count = 200
    """Insurance fund: number of simulated years."""
    insurance_days: Count = 365
    """Insurance fund: days per simulated year."""
    insurance_leverage: Annotated[
        tuple[Annotated[Float, Range(0, 1, lo_open=True, percent_hint=False)], ...],
        Field(min_length=1),
    ] = (0.25, 0.5, 0.75, 1.0)
    """Insurance fund: leverage buckets as fractions of the maximum leverage, in (0, 1]."""
    regime_quantiles: tuple[Annotated[Float, Range(0, 1, lo_open=True, hi_open=True)], ...] = (
        0.5,
        0.8,
        0.95,
    )
    """Volatility quantiles separating the volatility regimes of the coverage table."""
    stress_episodes: tuple[StressEpisode, ...] = ()
    """Stress episodes of your own ({name, start, end}, dates YYYY-MM-DD), tested after the
    named ones of riskkit.events.STRESS_EPISODES; an episode outside the data is reported as
    not in data."""

    @field_validator("tier_boundaries")
    @classmethod
    def _brackets(cls, value: tuple[float, ...]) -> tuple[float, ...]:
        try:
            return tuple(float(x) for x in check_brackets(value))
        except ConfigError as exc:
            raise problem(str(exc)) from None

    @field_validator("regime_quantiles")
    @classmethod
    def _increasing(cls, value: tuple[float, ...]) -> tuple[float, ...]:
        if any(b <= a for a, b in zip(value, value[1:], strict=False)):
            raise problem(f"must increase strictly, got {list(value)}")
        return value

    @model_validator(mode="after")
    def _floor_below_cap(self) -> MarginSettings:
        if self.im_floor > self.im_cap:
            raise problem(f"im_floor {self.im_floor:g} exceeds im_cap {self.im_cap:g}")
        # an MM layer of its own must be the smaller cushion: one at a stricter level and no
        # shorter period (or a longer period at no lower level) than the IM's is at least the
        # IM on every date, and would be cut to IM - one step silently
        mm_level = self.level if self.mm_level is None else self.mm_level
        mm_h = self.horizon_days if self.mm_horizon_days is None else self.mm_horizon_days
        if (
            mm_level >= self.level
            and mm_h >= self.horizon_days
            and (mm_level > self.level or mm_h > self.horizon_days)
        ):
            raise problem(
                f"the maintenance layer (mm_level {mm_level:g}, mm_horizon_days {mm_h:g}) is "
                f"stricter than the initial one (level {self.level:g}, horizon_days "
                f"{self.horizon_days:g}): the maintenance margin must be the smaller cushion "
                "(lower mm_level or mm_horizon_days, or set mm_ratio instead)"
            )
        return self

    @property
    def mm_is_ratio(self) -> bool:
        """True when the maintenance margin is ``mm_ratio`` x the published initial margin (no
        layer of its own: mm_measure, mm_level and mm_horizon_days all unset)."""
        return self.mm_measure is None and self.mm_level is None and self.mm_horizon_days is None

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict of every setting (tuples become lists; ``stress_episodes`` is left
        out while empty, so a file without episodes of its own reads as before)."""
        out = {k: list(v) if isinstance(v, tuple) else v for k, v in self.model_dump().items()}
        if not out["stress_episodes"]:
            del out["stress_episodes"]
        else:
            out["stress_episodes"] = [
                {k: e[k] for k in ("name", "start", "end")} for e in out["stress_episodes"]
            ]
        return out

    @property
    def apc_settings(self) -> dict[str, Any]:
        """The settings of the chosen APC option only, for the parameter file."""
        keys = {
            "none": (),
            "buffer": (
                "apc_buffer",
                "apc_release_threshold",
                "apc_release_lookback",
                "apc_rebuild_rate",
            ),
            "stressed_weight": ("apc_stress_weight", "apc_stress_window", "apc_stress_method"),
            "floor": ("apc_floor_lookback",),
        }[self.apc]
        out: dict[str, Any] = {"method": self.apc}
        out.update({k.removeprefix("apc_"): getattr(self, k) for k in keys})
        out["max_daily_increase"] = self.max_daily_increase
        out["max_daily_decrease"] = self.max_daily_decrease
        return out
