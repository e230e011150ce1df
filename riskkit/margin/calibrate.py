"""Calibrate the margin parameters of one asset: the entry point of the pipeline.

:func:`calibrate_asset` runs the whole chain for one asset:

1. daily log returns from the OHLCV bars (never across a missing day);
2. rolling out-of-sample VaR/ES forecasts of the long loss ``-r`` and of the short loss ``+r``
   (:func:`riskkit.backtest.rolling_forecast`, no look-ahead);
3. the two-sided margin rate over the margin period of risk (:mod:`riskkit.margin.rates`);
4. anti-procyclicality (:mod:`riskkit.margin.apc`), optional cap on daily changes, rounding up to
   the venue step, floor and cap; maintenance margin;
5. coverage of the margin by the realised losses (:mod:`riskkit.margin.coverage`) and the VaR
   backtest battery of the underlying model;
6. position tiers, collateral haircut, liquidation penalty, insurance fund, stress scenarios.

The published parameters are the values on the **last forecast date** (the margin a venue would
set today); the whole path is kept for the procyclicality and coverage analysis.
"""

from __future__ import annotations

import dataclasses
import math
import warnings
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from riskkit._validation import check_horizon, check_level
from riskkit.exceptions import ConfigError, DataError, DataQualityWarning
from riskkit.margin import apc as _apc
from riskkit.margin._common import check_measure, log_returns_from_ohlcv
from riskkit.margin.collateral import collateral_haircut
from riskkit.margin.coverage import coverage_table, coverage_tests, margin_period_loss
from riskkit.margin.liquidation import InsuranceFundResult, insurance_fund, liquidation_penalty
from riskkit.margin.rates import max_leverage, round_rate, two_sided_rate
from riskkit.margin.regimes import classify_regimes
from riskkit.margin.stress import historical_stress, hypothetical_stress
from riskkit.margin.tiers import DEFAULT_BRACKETS, check_brackets, tier_table
from riskkit.risk.base import RiskEstimator

__all__ = ["MarginSettings", "AssetCalibration", "calibrate_asset", "default_estimator"]

SIDES = ("both", "long", "short")


def _positive_int(value: Any, name: str, low: int = 1) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < low:
        raise ConfigError(f"{name} must be an integer >= {low}, got {value!r}")
    return int(value)


def _fraction(value: Any, name: str, lo: float, hi: float, lo_open: bool = False) -> float:
    try:
        v = float(value)
    except (TypeError, ValueError):
        raise ConfigError(f"{name} must be a number, got {value!r}") from None
    if not math.isfinite(v) or v < lo or v > hi or (lo_open and v == lo):
        bracket = "(" if lo_open else "["
        raise ConfigError(f"{name} must lie in {bracket}{lo:g}, {hi:g}], got {value!r}")
    return v


@dataclass(frozen=True)
class MarginSettings:
    """Settings of a margin calibration; every field is checked on construction.

    Parameters
    ----------
    measure : {"es", "var"}
        Risk measure behind the initial margin.
    level : float
        Confidence level in (0, 1) (EMIR RTS 153/2013 Art. 24: at least 0.99).
    horizon_days : float
        Margin period of risk in days; fractional for hours (1 h = 1/24). 1-day forecasts are
        scaled by ``sqrt(horizon_days)`` (see :mod:`riskkit.margin.rates`).
    mm_ratio : float
        Maintenance margin as a fraction of initial margin, in (0, 1]; used unless ``mm_level``
        or ``mm_horizon_days`` is set.
    mm_level, mm_horizon_days : float, optional
        Give maintenance margin its own confidence level and/or horizon (same measure); missing
        ones default to ``level`` and ``horizon_days``.
    window, refit_every : int
        Rolling window (returns per forecast) and refit frequency of the risk model.
    sides : {"both", "long", "short"}
        Which position sides the margin covers; ``"both"`` margins the larger of the two tails.
    apc : {"none", "buffer", "stressed_weight", "floor"}
        Anti-procyclicality tool of EMIR RTS 153/2013 Art. 28(1).
    apc_buffer, apc_release_threshold, apc_release_lookback, apc_rebuild_rate
        Buffer option (a): see :func:`riskkit.margin.apc.apc_buffer`.
    apc_stress_weight, apc_stress_window
        Stressed-weight option (b): weight and window of the stressed period.
    apc_floor_lookback
        Floor option (c): lookback in days (3,650 = 10 years; all history when shorter).
    max_daily_increase, max_daily_decrease : float, optional
        Cap on the relative day-to-day change of the charged margin (None: no cap).
    rounding_step : float, optional
        Published rates are rounded up to this step (0.0005 = 0.05%).
    im_floor, im_cap : float
        Lowest and highest initial margin rate.
    tier_boundaries : tuple of float
        Notional brackets ``(0, cap_1, ..., cap_n)`` in USD; overlapping tiers are rejected.
    participation, impact_k, adv_window
        Liquidity add-on: share of daily volume a liquidator trades, square-root impact
        coefficient, days of average daily traded value.
    haircut_level, haircut_horizon_days
        Collateral haircut confidence and liquidation horizon of the collateral.
    liquidation_hours, penalty_confidence
        Liquidation time and the share of liquidations whose slippage the penalty covers.
    insurance_confidence, insurance_sims, insurance_days, insurance_leverage
        Insurance-fund simulation; leverage buckets as fractions of the maximum leverage.
    regime_quantiles : tuple of float
        Volatility quantiles that separate the volatility regimes of the coverage table.
    """

    measure: str = "es"
    level: float = 0.99
    horizon_days: float = 1.0
    mm_ratio: float = 0.6
    mm_level: float | None = None
    mm_horizon_days: float | None = None
    window: int = 1000
    refit_every: int = 20
    sides: str = "both"
    apc: str = "buffer"
    apc_buffer: float = 0.25
    apc_release_threshold: float = 0.25
    apc_release_lookback: int = 5
    apc_rebuild_rate: float = 0.05
    apc_stress_weight: float = 0.25
    apc_stress_window: int = 250
    apc_floor_lookback: int = 3650
    max_daily_increase: float | None = None
    max_daily_decrease: float | None = None
    rounding_step: float | None = 0.0005
    im_floor: float = 0.005
    im_cap: float = 1.0
    tier_boundaries: tuple[float, ...] = DEFAULT_BRACKETS
    participation: float = 0.1
    impact_k: float = 1.0
    adv_window: int = 90
    haircut_level: float = 0.99
    haircut_horizon_days: float = 2.0
    liquidation_hours: float = 1.0
    penalty_confidence: float = 0.95
    insurance_confidence: float = 0.99
    insurance_sims: int = 200
    insurance_days: int = 365
    insurance_leverage: tuple[float, ...] = (0.25, 0.5, 0.75, 1.0)
    regime_quantiles: tuple[float, ...] = (0.5, 0.8, 0.95)

    def __post_init__(self) -> None:
        s = object.__setattr__
        s(self, "measure", check_measure(self.measure))
        s(self, "level", check_level(self.level, "level"))
        s(self, "horizon_days", float(check_horizon(self.horizon_days, "horizon_days", False)))
        s(self, "mm_ratio", _fraction(self.mm_ratio, "mm_ratio", 0.0, 1.0, lo_open=True))
        if self.mm_level is not None:
            s(self, "mm_level", check_level(self.mm_level, "mm_level"))
        if self.mm_horizon_days is not None:
            h = check_horizon(self.mm_horizon_days, "mm_horizon_days", False)
            s(self, "mm_horizon_days", float(h))
        s(self, "window", _positive_int(self.window, "window", 50))
        s(self, "refit_every", _positive_int(self.refit_every, "refit_every"))
        if self.sides not in SIDES:
            raise ConfigError(f"sides must be one of {SIDES}, got {self.sides!r}")
        if self.apc not in _apc.APC_OPTIONS:
            raise ConfigError(f"apc must be one of {_apc.APC_OPTIONS}, got {self.apc!r}")
        s(self, "apc_buffer", _fraction(self.apc_buffer, "apc_buffer", 0.0, 10.0))
        s(
            self,
            "apc_release_threshold",
            _fraction(self.apc_release_threshold, "apc_release_threshold", 0.0, math.inf),
        )
        s(
            self,
            "apc_release_lookback",
            _positive_int(self.apc_release_lookback, "apc_release_lookback"),
        )
        s(
            self,
            "apc_rebuild_rate",
            _fraction(self.apc_rebuild_rate, "apc_rebuild_rate", 0, math.inf),
        )
        s(self, "apc_stress_weight", _fraction(self.apc_stress_weight, "apc_stress_weight", 0, 1))
        s(self, "apc_stress_window", _positive_int(self.apc_stress_window, "apc_stress_window", 20))
        s(
            self,
            "apc_floor_lookback",
            _positive_int(self.apc_floor_lookback, "apc_floor_lookback", 50),
        )
        for name in ("max_daily_increase", "max_daily_decrease"):
            v = getattr(self, name)
            if v is not None:
                s(self, name, _fraction(v, name, 0.0, 1.0 if "decrease" in name else math.inf))
        if self.rounding_step is not None:
            s(self, "rounding_step", _fraction(self.rounding_step, "rounding_step", 0, 0.1, True))
        s(self, "im_floor", _fraction(self.im_floor, "im_floor", 0.0, 1.0))
        s(self, "im_cap", _fraction(self.im_cap, "im_cap", 0.0, 1.0, lo_open=True))
        if self.im_floor > self.im_cap:
            raise ConfigError(f"im_floor {self.im_floor:g} exceeds im_cap {self.im_cap:g}")
        s(self, "tier_boundaries", tuple(float(x) for x in check_brackets(self.tier_boundaries)))
        s(self, "participation", _fraction(self.participation, "participation", 0, 1, True))
        s(self, "impact_k", _fraction(self.impact_k, "impact_k", 0.0, 100.0))
        s(self, "adv_window", _positive_int(self.adv_window, "adv_window"))
        s(self, "haircut_level", check_level(self.haircut_level, "haircut_level"))
        h = check_horizon(self.haircut_horizon_days, "haircut_horizon_days", False)
        s(self, "haircut_horizon_days", float(h))
        h = check_horizon(self.liquidation_hours, "liquidation_hours", False)
        s(self, "liquidation_hours", float(h))
        s(self, "penalty_confidence", check_level(self.penalty_confidence, "penalty_confidence"))
        s(
            self,
            "insurance_confidence",
            check_level(self.insurance_confidence, "insurance_confidence"),
        )
        s(self, "insurance_sims", _positive_int(self.insurance_sims, "insurance_sims"))
        s(self, "insurance_days", _positive_int(self.insurance_days, "insurance_days"))
        lev = tuple(float(x) for x in self.insurance_leverage)
        if not lev or any(not 0 < x <= 1 for x in lev):
            raise ConfigError(
                f"insurance_leverage are fractions of the maximum leverage in (0, 1], got {lev}"
            )
        s(self, "insurance_leverage", lev)
        q = tuple(float(x) for x in self.regime_quantiles)
        if any(not 0 < x < 1 for x in q) or any(b <= a for a, b in zip(q, q[1:], strict=False)):
            raise ConfigError(f"regime_quantiles must increase strictly inside (0, 1), got {q}")
        s(self, "regime_quantiles", q)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict of the settings (tuples become lists)."""
        out = dataclasses.asdict(self)
        return {k: list(v) if isinstance(v, tuple) else v for k, v in out.items()}

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
            "stressed_weight": ("apc_stress_weight", "apc_stress_window"),
            "floor": ("apc_floor_lookback",),
        }[self.apc]
        out: dict[str, Any] = {"method": self.apc}
        out.update({k.removeprefix("apc_"): getattr(self, k) for k in keys})
        out["max_daily_increase"] = self.max_daily_increase
        out["max_daily_decrease"] = self.max_daily_decrease
        return out


@dataclass
class AssetCalibration:
    """Everything :func:`calibrate_asset` computed for one asset.

    Attributes
    ----------
    asset : str
    parameters : dict
        JSON-ready parameters for the margin engine (rates on the last forecast date).
    margin_path : DataFrame
        Per forecast date: 1-day log-loss measures (``long_x1``, ``short_x1``), ``raw_im`` (model
        margin over the horizon), ``charged_im`` (after APC and caps), ``im``, ``mm`` (published:
        rounded, floored, capped), ``max_leverage``, ``volatility``, and the APC input used
        (``apc_stressed`` or ``apc_floor``: the rate at ``horizon_days`` it compares with).
    backtest : DataFrame
        VaR backtest battery of the underlying 1-day model, per side.
    coverage : DataFrame
        Breaches of IM and MM by the realised loss over the margin period, by year, by volatility
        regime and overall (index ``(margin, group)``). Regimes group the dates by quantiles
        (``settings.regime_quantiles``) of the forecast volatility over the whole path: a way
        to read the table, not a forecast.
    coverage_tests : DataFrame
        Traffic light, Kupiec and Christoffersen tests of the IM and MM breaches.
    stress : DataFrame
        Historical and hypothetical stress scenarios with margin shortfalls.
    tiers : DataFrame
        Position-size brackets.
    insurance : InsuranceFundResult
    forecasts : dict of DataFrame
        The rolling forecasts for the ``long`` and ``short`` loss.
    settings : MarginSettings
    info : dict
        Data dates, estimator, coverage horizon, ``volatility_source`` (which volatility the
        regimes and tiers used: the model's forecast or a stated fallback) and other facts.
    """

    asset: str
    parameters: dict[str, Any]
    margin_path: pd.DataFrame
    backtest: pd.DataFrame
    coverage: pd.DataFrame
    coverage_tests: pd.DataFrame
    stress: pd.DataFrame
    tiers: pd.DataFrame
    insurance: InsuranceFundResult
    forecasts: dict[str, pd.DataFrame]
    settings: MarginSettings
    info: dict[str, Any] = field(default_factory=dict)


def default_estimator() -> RiskEstimator:
    """Filtered historical simulation on a GARCH(1,1) with Student-t innovations, zero mean."""
    from riskkit.risk import FilteredHistoricalSimulation
    from riskkit.volatility import GarchSpec

    return FilteredHistoricalSimulation(GarchSpec(vol="GARCH", p=1, o=0, q=1, dist="t"))


def _charged_path(
    x_long: pd.Series,
    x_short: pd.Series,
    horizon: float,
    settings: MarginSettings,
    apc_inputs: dict[str, pd.Series],
) -> pd.DataFrame:
    """Raw two-sided rate over ``horizon`` -> APC -> daily-change cap (before rounding).

    ``apc_inputs`` holds the stressed margin or the floor **at the same horizon** (see
    :func:`_apc_inputs`).
    """
    rates = two_sided_rate(x_long, x_short, horizon)
    raw = rates["rate"] if settings.sides == "both" else rates[settings.sides]
    raw = raw.rename("raw")
    if settings.apc == "none":
        charged = raw.copy()
    elif settings.apc == "buffer":
        charged = _apc.apc_buffer(
            raw,
            settings.apc_buffer,
            settings.apc_release_threshold,
            settings.apc_release_lookback,
            settings.apc_rebuild_rate,
        )
    elif settings.apc == "stressed_weight":
        charged = _apc.apc_stressed_weight(raw, apc_inputs["stressed"], settings.apc_stress_weight)
    else:
        charged = _apc.apc_floor(raw, apc_inputs["floor"])
    if settings.max_daily_increase is not None or settings.max_daily_decrease is not None:
        charged = _apc.cap_daily_change(
            charged, settings.max_daily_increase, settings.max_daily_decrease
        )
    return pd.DataFrame(
        {"long": rates["long"], "short": rates["short"], "raw": raw, "charged": charged}
    )


def _apc_inputs(
    returns: pd.Series, settings: MarginSettings, horizon: float, index: pd.Index
) -> dict[str, pd.Series]:
    """Stressed margin or long-lookback floor at ``horizon`` on the forecast dates ``index``.

    Computed at the horizon itself rather than rescaled from a 1-day two-sided rate: the 1-day
    rate keeps only the larger side, and mapping it back to a log loss with one side's formula
    misstates the other side's rate at any horizon but one day (the long-side formula
    understates a right-tail, short-side rate at multi-day horizons, by tens of percent on a
    right-skewed history: see the regression test).
    """
    out: dict[str, pd.Series] = {}
    m = settings.measure
    if settings.apc == "stressed_weight":
        out["stressed"] = _apc.stressed_margin_path(
            returns, settings.apc_stress_window, settings.level, m, horizon
        ).reindex(index)
    elif settings.apc == "floor":
        out["floor"] = _apc.long_lookback_margin(
            returns,
            settings.apc_floor_lookback,
            settings.level,
            m,
            horizon,
            min_obs=min(250, settings.apc_floor_lookback),
        ).reindex(index)
    # before enough history exists there is no stressed margin or floor yet: 0 leaves the raw
    # margin unchanged (filling backwards would look ahead)
    return {key: s.fillna(0.0) for key, s in out.items()}


def _publish(charged: pd.Series, settings: MarginSettings) -> pd.Series:
    return round_rate(charged, settings.rounding_step, settings.im_floor, settings.im_cap)


def calibrate_asset(
    asset: str,
    ohlcv: pd.DataFrame,
    settings: MarginSettings,
    *,
    estimator: RiskEstimator | None = None,
    seed: int = 0,
    executor: Any = None,
    progress: bool | None = None,
) -> AssetCalibration:
    """Calibrate margin parameters for one asset from its daily OHLCV history.

    Parameters
    ----------
    asset : str
        Asset name (used in messages and the parameter file).
    ohlcv : DataFrame
        Daily bars (``open``, ``high``, ``low``, ``close``, ``volume``; volume in units of the
        asset) indexed by opening date.
    settings : MarginSettings
    estimator : RiskEstimator, optional
        1-day VaR/ES model; default :func:`default_estimator` (GARCH(1,1)-t FHS).
    seed : int
        Root seed: the long and short forecasts, the insurance simulation and the backtests'
        bootstrap get independent children of ``numpy.random.SeedSequence(seed)``.
    executor : optional
        Passed to :func:`riskkit.backtest.rolling_forecast` (``"processes"``, a Dask client...).
    progress : bool, optional
        Progress bars of the rolling engine.

    Returns
    -------
    AssetCalibration

    Raises
    ------
    ConfigError
        ``settings`` is not a MarginSettings.
    DataError
        Missing columns, bad prices, or a history too short for the window.

    Notes
    -----
    **Maintenance margin.** ``mm_ratio`` times the charged IM (after APC, before rounding),
    rounded up and never above the IM; or, with ``mm_level``/``mm_horizon_days``, the two-sided
    rate at its own level and horizon times the same APC factor (charged / raw IM).

    **Coverage horizon.** Realised losses are measured over ``H = max(1, ceil(horizon_days))``
    whole days, because daily bars cannot show a loss over a few hours. For a fractional horizon
    the coverage tables therefore test the same margin model (same forecasts, APC and rounding)
    evaluated at ``H`` days; the published rate is the one at ``horizon_days``.
    """
    if not isinstance(settings, MarginSettings):
        raise ConfigError(f"settings must be a MarginSettings, got {type(settings).__name__}")
    missing = {"open", "high", "low", "close", "volume"} - set(getattr(ohlcv, "columns", []))
    if missing:
        raise DataError(f"{asset}: ohlcv lacks column(s) {sorted(missing)}")
    from riskkit.backtest import rolling_forecast
    from riskkit.backtest.summary import backtest_summary

    returns = log_returns_from_ohlcv(ohlcv, name=f"{asset} ohlcv")
    if len(returns) < settings.window + 30:
        raise DataError(
            f"{asset}: {len(returns)} daily returns from {returns.index[0]:%Y-%m-%d} to "
            f"{returns.index[-1]:%Y-%m-%d}; window={settings.window} needs at least "
            f"{settings.window + 30}"
        )
    est = default_estimator() if estimator is None else estimator
    levels = [settings.level]
    mm_level = settings.mm_level if settings.mm_level is not None else settings.level
    own_mm = settings.mm_level is not None or settings.mm_horizon_days is not None
    if mm_level not in levels:
        levels.append(mm_level)
    # four independent streams: long forecasts, short forecasts, insurance fund, backtest
    # bootstrap (SeedSequence children do not depend on how many are spawned after them)
    children = np.random.SeedSequence(seed).spawn(4)
    seeds = [int(c.generate_state(1)[0]) for c in children]
    kwargs = dict(
        levels=tuple(levels),
        horizon=1,
        window=settings.window,
        refit_every=settings.refit_every,
        executor=executor,
        progress=progress,
    )
    fc_long = rolling_forecast(returns, est, seed=seeds[0], **kwargs)
    fc_short = rolling_forecast(-returns, est, seed=seeds[1], **kwargs)
    m = settings.measure
    col = f"{m}_{settings.level:g}"
    mm_col = f"{m}_{mm_level:g}"

    x_long, x_short = fc_long[col], fc_short[col]
    h = settings.horizon_days
    apc_inputs = _apc_inputs(returns, settings, h, fc_long.index)
    path = _charged_path(x_long, x_short, h, settings, apc_inputs)
    im = _publish(path["charged"], settings)
    apc_factor = path["charged"] / path["raw"]
    if own_mm:
        mm_h = settings.mm_horizon_days if settings.mm_horizon_days is not None else h
        mm_rates = two_sided_rate(fc_long[mm_col], fc_short[mm_col], mm_h)
        mm_raw = mm_rates["rate"] if settings.sides == "both" else mm_rates[settings.sides]
        mm_charged = mm_raw * apc_factor
    else:
        mm_charged = settings.mm_ratio * path["charged"]
    mm = np.minimum(round_rate(mm_charged, settings.rounding_step, cap=settings.im_cap), im)
    margin_path = pd.DataFrame(
        {
            "long_x1": x_long,
            "short_x1": x_short,
            "raw_im": path["raw"],
            "charged_im": path["charged"],
            "im": im,
            "mm": mm,
            "max_leverage": max_leverage(im),
            "volatility": fc_long["volatility"],
        }
    )
    for key, s in apc_inputs.items():
        margin_path[f"apc_{key}"] = s
    margin_path.index.name = "date"

    # coverage at whole days
    H = max(1, math.ceil(h - 1e-12))
    if H == h:
        im_cov, mm_cov = im, mm
    else:
        p_h = _charged_path(
            x_long, x_short, H, settings, _apc_inputs(returns, settings, H, fc_long.index)
        )
        im_cov = _publish(p_h["charged"], settings)
        mm_cov = np.minimum(
            round_rate(mm_charged * p_h["charged"] / path["charged"], settings.rounding_step),
            im_cov,
        )
    losses = margin_period_loss(returns, H)
    vol = fc_long["volatility"]
    vol_source = "model forecast"
    if vol.notna().sum() < 100:
        # an estimator without a volatility forecast (e.g. plain historical simulation): regimes
        # and the tiers' impact term use the 30-day standard deviation up to the day before
        vol = returns.rolling(30).std().shift(1).reindex(fc_long.index)
        vol_source = "30-day standard deviation of returns (the estimator gives no volatility)"
    # np.unique: a constant-volatility fit (alpha = beta = 0) ties the quantiles; tied thresholds
    # mean fewer regimes, not an error
    regime_thr = tuple(float(x) for x in np.unique(np.nanquantile(vol, settings.regime_quantiles)))
    regimes = classify_regimes(vol, regime_thr).map(
        lambda k: f"vol regime {int(k)}" if np.isfinite(k) else np.nan
    )
    tables = []
    for name, path_ in (("im", im_cov), ("mm", mm_cov)):
        by_year = coverage_table(path_, losses, "year")
        by_year.index = by_year.index.map(str)
        by_reg = coverage_table(path_, losses, regimes).drop(index="all")
        t = pd.concat([by_year.drop(index="all"), by_reg, by_year.loc[["all"]]])
        t.index = pd.MultiIndex.from_product([[name], t.index], names=["margin", "group"])
        tables.append(t)
    coverage = pd.concat(tables)
    cov_tests = pd.concat(
        {
            "im": coverage_tests(im_cov, losses, settings.level, H),
            "mm": coverage_tests(mm_cov, losses, settings.level, H),
        },
        names=["margin"],
    )

    # VaR and ES backtest battery of the 1-day model on each side
    backtest = backtest_summary(
        {"long": fc_long, "short": fc_short}, levels=(settings.level,), seed=seeds[3]
    )
    backtest.index = backtest.index.set_names(["side", "level"])
    # short names used by riskkit.pipeline's tables and report
    backtest.insert(0, "n", backtest["observations"])
    backtest.insert(1, "zone", backtest["traffic_light"])

    # parameters on the last date
    last = margin_path.index[-1]
    im_last, mm_last = float(im.iloc[-1]), float(mm.iloc[-1])
    if vol.notna().any():
        sigma = float(vol.dropna().iloc[-1])
    else:
        sigma = float(returns.std())
        vol_source = "standard deviation of all returns (no volatility path)"
    traded = (ohlcv["volume"].astype(float) * ohlcv["close"].astype(float)).dropna()
    adv = float(traded.iloc[-settings.adv_window :].mean())
    if not adv > 0:
        raise DataError(f"{asset}: no traded volume in the last {settings.adv_window} bars")
    tiers = tier_table(
        im_last,
        mm_last,
        h,
        sigma,
        adv,
        settings.tier_boundaries,
        settings.participation,
        settings.impact_k,
        settings.rounding_step,
        settings.im_cap,
    )
    haircut = collateral_haircut(
        returns,
        settings.haircut_level,
        settings.haircut_horizon_days,
        m,
        rounding_step=settings.rounding_step,
    )
    penalty = liquidation_penalty(
        returns,
        settings.liquidation_hours,
        settings.penalty_confidence,
        window=settings.window,
        rounding_step=settings.rounding_step,
    )
    lev = tuple(max(1.0, f * float(max_leverage(im_last))) for f in settings.insurance_leverage)
    lev = tuple(x for x in lev if 1.0 / x > mm_last) or (1.0,)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DataQualityWarning)
        fund = insurance_fund(
            ohlcv.loc[ohlcv.index >= ohlcv.index[-1] - pd.Timedelta(days=settings.window)],
            mm_last,
            penalty,
            lev,
            liquidation_hours=settings.liquidation_hours,
            n_sims=settings.insurance_sims,
            n_days=settings.insurance_days,
            confidence=settings.insurance_confidence,
            seed=seeds[2],
        )
    stress = pd.concat(
        [
            historical_stress(returns, im_cov, mm_cov, H),
            hypothetical_stress(
                im_last,
                mm_last,
                float(x_long.iloc[-1]),
                h,
                daily_measure_short=float(x_short.iloc[-1]),
            ),
        ],
        ignore_index=True,
    )
    parameters = {
        "as_of": f"{last:%Y-%m-%d}",
        "im_rate": im_last,
        "mm_rate": mm_last,
        "max_leverage": float(max_leverage(im_last)),
        "raw_im_rate": float(path["raw"].iloc[-1]),
        "daily_measure_long": float(x_long.iloc[-1]),
        "daily_measure_short": float(x_short.iloc[-1]),
        "volatility_daily": sigma,
        "apc": settings.apc_settings,
        "tiers": [
            {
                "tier": int(r.tier),
                "notional_floor": float(r.notional_floor),
                "notional_cap": float(r.notional_cap),
                "im_rate": float(r.im_rate),
                "mm_rate": float(r.mm_rate),
                "max_leverage": float(r.max_leverage),
                "maintenance_amount": float(r.maintenance_amount),
            }
            for r in tiers.itertuples()
        ],
        "collateral_haircut": haircut,
        "liquidation_penalty": penalty,
        "insurance_fund_fraction": float(fund.required),
        "adv_usd": adv,
        "data": {
            "first_date": f"{returns.index[0]:%Y-%m-%d}",
            "last_date": f"{returns.index[-1]:%Y-%m-%d}",
            "n_returns": int(len(returns)),
        },
        "estimator": repr(est),
    }
    info = {
        "coverage_horizon_days": H,
        "regime_thresholds": regime_thr,
        "adv": adv,
        "sigma_daily": sigma,
        "volatility_source": vol_source,
        "returns": returns,
        "estimator": repr(est),
    }
    return AssetCalibration(
        asset=asset,
        parameters=parameters,
        margin_path=margin_path,
        backtest=backtest,
        coverage=coverage,
        coverage_tests=cov_tests,
        stress=stress,
        tiers=tiers,
        insurance=fund,
        forecasts={"long": fc_long, "short": fc_short},
        settings=settings,
        info=info,
    )
