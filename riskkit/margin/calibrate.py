"""Calibrate the margin parameters of one asset: the entry point of the pipeline.

:func:`calibrate_asset` runs the whole chain for one asset:

1. log returns of the bars (daily or any interval from one minute to one day; never across a
   missing bar);
2. rolling out-of-sample VaR/ES forecasts of the long loss ``-r`` and of the short loss ``+r``
   (:func:`riskkit.backtest.rolling_forecast`, no look-ahead);
3. the two-sided margin rate over the margin period of risk (:mod:`riskkit.margin.rates`), from
   the estimator's own h-bar simulation or the square-root rule; model failures screened
   (:mod:`riskkit.margin.layers`);
4. anti-procyclicality (:mod:`riskkit.margin.apc`), optional cap on daily changes, rounding up to
   the venue step, floor and cap; maintenance margin;
5. coverage of the margin by the realised losses (:mod:`riskkit.margin.coverage`) and the VaR
   backtest battery of the underlying model;
6. position tiers, collateral haircut, liquidation penalty, insurance fund, stress scenarios.

The published parameters are the values on the **last forecast date** (the margin a venue would
set today); the whole path is kept for the procyclicality and coverage analysis.

**Bars of any interval.** The risk model runs on the returns of the bars it is given (hourly bars:
hourly returns); ``window`` and ``refit_every`` count bars. Every setting given in days (the
margin period of risk, the APC look-backs, the haircut horizon) is converted to bars by one
:class:`riskkit.bars.BarClock` (``h_bars = horizon_days x bars_per_day``); the estimator
forecasts the ``h_bars`` loss itself (or the square-root rule scales the 1-bar measure). Position tiers, the average daily traded
value and the insurance fund stay daily quantities (intraday bars are summed or aggregated into
days). Daily bars give exactly the numbers of a daily calibration.

**Close-only series.** A series with a close price only calibrates: the steps that need more
(position tiers and the average daily traded value need volume; the insurance fund needs the
open, high and low of each bar) are skipped with a logged note, and the parameter file shows
them as null with the reason under ``not_computed``.
"""

from __future__ import annotations

import logging
import math
import warnings
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from riskkit.bars import BarClock, infer_interval
from riskkit.events import STRESS_EPISODES
from riskkit.exceptions import ConfigError, DataError, DataQualityWarning, ModelError
from riskkit.margin import apc as _apc
from riskkit.margin._common import log_returns_from_ohlcv
from riskkit.margin.collateral import collateral_haircut
from riskkit.margin.coverage import (
    coverage_table,
    coverage_tests,
    informational_coverage,
    margin_period_loss,
    worst_price_loss,
)
from riskkit.margin.layers import (
    FAILURE_COLUMNS,
    MarginLayer,
    layer_problems,
    margin_layers,
    publish_mm,
    round_to_precision,
    screen_model_failures,
)
from riskkit.margin.liquidation import (
    InsuranceFundResult,
    account_paths,
    insurance_fund,
    liquidation_penalty,
)
from riskkit.margin.rates import TwoSidedRate, max_leverage, round_rate, two_sided_rate
from riskkit.margin.regimes import classify_regimes
from riskkit.margin.settings import SIDES as SIDES  # public here in 0.1: kept importable
from riskkit.margin.settings import MarginSettings
from riskkit.margin.stress import episode_status, historical_stress, hypothetical_stress
from riskkit.margin.tiers import tier_table
from riskkit.risk.base import RiskEstimator

__all__ = ["MarginSettings", "AssetCalibration", "calibrate_asset", "default_estimator"]

logger = logging.getLogger(__name__)


@dataclass
class AssetCalibration:
    """Everything :func:`calibrate_asset` computed for one asset.

    Attributes
    ----------
    asset : str
    parameters : dict
        JSON-ready parameters for the margin engine (rates on the last forecast date).
    margin_path : DataFrame
        Per forecast date: 1-bar log-loss measures (``long_x1``, ``short_x1``), the loss
        fractions of each side over the margin period (``long_rate``, ``short_rate``),
        ``raw_model`` (the model margin: their maximum), ``raw_im`` (after the model-failure
        screen), ``raw_mm`` (an MM layer of its own only), ``charged_im`` (after APC and caps),
        ``im``, ``mm`` (published: rounded, floored, capped), ``max_leverage``, ``volatility``,
        ``model_failure`` (bool) and the APC input used (``apc_stressed`` or ``apc_floor``).
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
    tiers : DataFrame or None
        Position-size brackets; None for a series without volume (see ``not_computed``).
    insurance : InsuranceFundResult or None
        None for a series without open, high and low (see ``not_computed``).
    forecasts : dict of DataFrame
        The rolling forecasts for the ``long`` and ``short`` loss.
    settings : MarginSettings
    info : dict
        Data dates, estimator, coverage horizon, ``volatility_source`` (which volatility the
        regimes and tiers used: the model's forecast or a stated fallback), ``clock`` (bar
        interval, bars per day and per year), ``horizon_bars`` and other facts.
    episodes : DataFrame
        Every stress episode (named and configured) with its status: ``tested``, ``not in
        data`` or ``no margin in force`` (:func:`riskkit.margin.stress.episode_status`).
    not_computed : dict
        ``{output: reason}`` of the steps the data did not allow (close-only series, or a
        margin period that is not a whole number of bars: no coverage, no historical stress).
    model_failures : DataFrame
        One row per model failure (date, layer, raw_margin, reason, fallback): raw margins not
        finite or above ``model_failure_bound``, never published.
    """

    asset: str
    parameters: dict[str, Any]
    margin_path: pd.DataFrame
    backtest: pd.DataFrame
    coverage: pd.DataFrame
    coverage_tests: pd.DataFrame
    stress: pd.DataFrame
    tiers: pd.DataFrame | None
    insurance: InsuranceFundResult | None
    forecasts: dict[str, pd.DataFrame]
    settings: MarginSettings
    info: dict[str, Any] = field(default_factory=dict)
    episodes: pd.DataFrame = field(default_factory=pd.DataFrame)
    not_computed: dict[str, str] = field(default_factory=dict)
    model_failures: pd.DataFrame = field(
        default_factory=lambda: pd.DataFrame(columns=list(FAILURE_COLUMNS))
    )


def default_estimator() -> RiskEstimator:
    """Filtered historical simulation on a GARCH(1,1) with Student-t innovations, zero mean."""
    from riskkit.risk import FilteredHistoricalSimulation
    from riskkit.volatility import GarchSpec

    return FilteredHistoricalSimulation(GarchSpec(vol="GARCH", p=1, o=0, q=1, dist="t"))


def _charged_path(
    raw: pd.Series,
    settings: MarginSettings,
    apc_inputs: dict[str, pd.Series],
) -> pd.DataFrame:
    """Raw two-sided rate over the margin period -> APC -> daily-change cap (before rounding).

    ``raw`` is the model margin after the model-failure screen; ``apc_inputs`` holds the
    stressed margin or the floor **at the same horizon** (see :func:`_apc_inputs`).
    """
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
    elif settings.apc == "stressed_weight" and settings.apc_stress_method == "weighted_sample":
        charged = _apc.apc_weighted_sample(raw, apc_inputs["stressed"])
    elif settings.apc == "stressed_weight":
        charged = _apc.apc_stressed_weight(raw, apc_inputs["stressed"], settings.apc_stress_weight)
    else:
        charged = _apc.apc_floor(raw, apc_inputs["floor"])
    if settings.max_daily_increase is not None or settings.max_daily_decrease is not None:
        charged = _apc.cap_daily_change(
            charged, settings.max_daily_increase, settings.max_daily_decrease
        )
    return pd.DataFrame({"raw": raw, "charged": charged})


#: columns of a coverage table (riskkit.margin.coverage.coverage_table)
COVERAGE_COLUMNS = (
    "n",
    "breaches_long",
    "breaches_short",
    "rate_long",
    "rate_short",
    "mean_excess",
    "max_excess",
    "mean_margin",
)


def _path_estimator(estimator: RiskEstimator) -> RiskEstimator | None:
    """The estimator set to its own multi-period method (h-bar simulation for FHS, GARCH and
    EVT, overlapping h-bar sums for historical simulation, cumulants for Cornish-Fisher), or
    None when it has none (its forecast then is what it is: e.g. the normal ``Parametric``).

    An estimator already set to a method other than ``"sqrt"`` keeps it; otherwise the first
    non-sqrt choice of its ``horizon_method`` (:func:`riskkit.risk.compare.with_horizon_method`).
    """
    import typing

    from riskkit.risk.compare import with_horizon_method

    current = getattr(estimator, "horizon_method", None)
    if current is None:
        return None
    if current != "sqrt":
        return estimator
    try:
        hints = typing.get_type_hints(type(estimator).__init__)
    except (NameError, TypeError):
        return None
    choices = [c for c in typing.get_args(hints.get("horizon_method")) if c != "sqrt"]
    return with_horizon_method(estimator, choices[0]) if choices else None


def _settings_in_bars(settings: MarginSettings, clock: BarClock) -> MarginSettings:
    """The settings the APC tools read, converted from days to bars of ``clock``.

    Look-backs in days become bars (``clock.whole_bars``); a largest relative change per day
    (rebuild rate, daily caps) becomes the change per bar that compounds to it over a day. Used
    internally only (the calibration keeps and reports the settings as given); daily bars get
    ``settings`` itself.
    """
    if clock.is_daily:
        return settings
    return settings.model_copy(
        update={
            "apc_release_lookback": clock.whole_bars(settings.apc_release_lookback),
            "apc_rebuild_rate": clock.per_bar_rate(settings.apc_rebuild_rate),
            "apc_stress_window": clock.whole_bars(settings.apc_stress_window),
            "apc_floor_lookback": clock.whole_bars(settings.apc_floor_lookback),
            "max_daily_increase": clock.per_bar_rate(settings.max_daily_increase),
            "max_daily_decrease": clock.per_bar_decrease(settings.max_daily_decrease),
        }
    )


def _apc_inputs(
    returns: pd.Series,
    settings: MarginSettings,
    horizon: float,
    index: pd.Index,
    clock: BarClock | None = None,
    model: pd.DataFrame | None = None,
) -> dict[str, pd.Series]:
    """Stressed margin or long-lookback floor at ``horizon`` on the forecast dates ``index``.

    With ``apc_stress_method="weighted_sample"`` the stressed input is the margin of the
    weighted sample of current and stressed observations (EMIR RTS 153/2013 Art. 28(1)(b)),
    the current ones rescaled to the model's 1-day measures ``model`` (columns ``long``,
    ``short``; :func:`riskkit.margin.apc.weighted_sample_measures`).

    Computed at the horizon itself rather than rescaled from a 1-day two-sided rate: the 1-day
    rate keeps only the larger side, and mapping it back to a log loss with one side's formula
    misstates the other side's rate at any horizon but one day (the long-side formula
    understates a right-tail, short-side rate at multi-day horizons, by tens of percent on a
    right-skewed history: see the regression test).
    """
    out: dict[str, pd.Series] = {}
    m = settings.measure
    if settings.apc == "stressed_weight" and settings.apc_stress_method == "weighted_sample":
        out["stressed"] = _apc.weighted_sample_margin_path(
            returns,
            settings.window,
            settings.apc_stress_window,
            settings.apc_stress_weight,
            settings.level,
            m,
            horizon,
            model=model,
            sides=settings.sides,
        ).reindex(index)
    elif settings.apc == "stressed_weight":
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
            min_obs=min((clock or BarClock()).whole_bars(250), settings.apc_floor_lookback),
        ).reindex(index)
    # before enough history exists there is no stressed margin or floor yet: 0 leaves the raw
    # margin unchanged (filling backwards would look ahead)
    return {key: s.fillna(0.0) for key, s in out.items()}


def _publish(charged: pd.Series, settings: MarginSettings) -> pd.Series:
    return round_rate(charged, settings.rounding_step, settings.im_floor, settings.im_cap)


def _clock_of(clock: BarClock | str | pd.Timedelta | None, ohlcv: pd.DataFrame) -> BarClock:
    """The bar clock of a calibration: the one given, or daily crypto bars unless the index says
    otherwise (its most common spacing, when it is a valid bar interval)."""
    if isinstance(clock, BarClock):
        return clock
    if clock is not None:
        return BarClock(clock)
    index = getattr(ohlcv, "index", None)
    step = infer_interval(index) if isinstance(index, pd.DatetimeIndex) else None
    if step is None:
        return BarClock()
    try:
        return BarClock(step)
    except ConfigError:  # not a bar interval (e.g. weekly rows): the daily clock, as before
        return BarClock()


def _average_daily_value(
    ohlcv: pd.DataFrame, days: int, clock: BarClock
) -> tuple[float | None, str | None]:
    """Average daily traded value (volume x close) over the last ``days`` days, and why it is
    missing when it cannot be computed. Intraday bars are summed into whole UTC days first;
    days with missing bars are left out."""
    traded = (ohlcv["volume"].astype(float) * ohlcv["close"].astype(float)).dropna()
    if clock.is_daily:
        return float(traded.iloc[-days:].mean()), None
    by_day = traded.resample("1D").agg(["sum", "count"])
    full = by_day.loc[by_day["count"] >= math.floor(clock.bars_per_day), "sum"]
    if full.empty:
        return None, f"needs at least one complete day of {clock.label} bars with volume"
    return float(full.iloc[-days:].mean()), None


def _fund_bars(
    ohlcv: pd.DataFrame, settings: MarginSettings, clock: BarClock
) -> tuple[pd.DataFrame | None, str | None]:
    """Daily bars of the insurance-fund simulation over the last estimation window (intraday
    bars aggregated into complete UTC days), or why there are too few."""
    if clock.is_daily:
        return ohlcv.loc[ohlcv.index >= ohlcv.index[-1] - pd.Timedelta(days=settings.window)], None
    from riskkit.returns import resample_ohlcv

    recent = ohlcv.loc[ohlcv.index > ohlcv.index[-1] - settings.window * clock.interval]
    cols = [c for c in ("open", "high", "low", "close") if c in recent.columns]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DataQualityWarning)  # incomplete days: left out
        days = resample_ohlcv(recent[cols], "1D", min_bars=math.floor(clock.bars_per_day))
    if len(days) < 20:
        return None, (
            f"needs 20 complete days of open/high/low bars in the estimation window; the "
            f"window of {settings.window} {clock.label} bars holds {len(days)}"
        )
    return days, None


def calibrate_asset(
    asset: str,
    ohlcv: pd.DataFrame,
    settings: MarginSettings,
    *,
    estimator: RiskEstimator | None = None,
    seed: int = 0,
    executor: Any = None,
    progress: bool | None = None,
    clock: BarClock | str | pd.Timedelta | None = None,
) -> AssetCalibration:
    """Calibrate margin parameters for one asset from its OHLCV history (bars of any interval).

    Parameters
    ----------
    asset : str
        Asset name (used in messages and the parameter file).
    ohlcv : DataFrame
        Bars indexed by opening time, with a ``close`` column and, for every output,
        ``open``, ``high``, ``low`` and ``volume`` (in units of the asset). Daily bars, or
        bars of any interval from one minute to one day (see ``clock``).
    settings : MarginSettings
    estimator : RiskEstimator, optional
        1-bar VaR/ES model; default :func:`default_estimator` (GARCH(1,1)-t FHS).
    seed : int
        Root seed: the long and short forecasts, the insurance simulation and the backtests'
        bootstrap get independent children of ``numpy.random.SeedSequence(seed)``.
    executor : optional
        Passed to :func:`riskkit.backtest.rolling_forecast` (``"processes"``, a Dask client...).
    progress : bool, optional
        Progress bars of the rolling engine.
    clock : BarClock, str or Timedelta, optional
        Bar interval and market calendar (:class:`riskkit.bars.BarClock`; ``"1h"`` is hourly
        crypto bars). Default: the most common spacing of the index, on the crypto calendar.

    Returns
    -------
    AssetCalibration

    Raises
    ------
    ConfigError
        ``settings`` is not a MarginSettings.
    DataError
        No close column, bad prices, or a history too short for the window.
    ModelError
        The model fails on the last date with no earlier good margin to fall back on.

    Notes
    -----
    **Margin layers** (:mod:`riskkit.margin.layers`). The IM is ``measure`` at ``level`` over
    ``horizon_days``. The MM is either ``mm_ratio`` x the *published* IM (after rounding, floor
    and cap, so ``MM / IM = mm_ratio`` holds on every date, the cap and the floor included), or,
    with ``mm_measure``/``mm_level``/``mm_horizon_days``, a layer of its own (times the IM's APC
    factor, rounded up, kept one step below the IM). Each layer's coverage and tests use its own
    level and horizon; a ratio MM has no level, and its coverage tests are informational.
    Published pairs satisfy ``0 < MM < IM <= im_cap``; tier 1 carries the headline rates.

    **Horizon.** The margin period of risk is ``h_bars = horizon_days x bars_per_day`` bars
    (``BarClock.bars``, the one conversion). With ``horizon_method="simulation"`` (default) and a
    whole number of bars above one, the estimator forecasts the h-bar loss itself (its own
    multi-period method: h-bar GARCH paths for FHS/GARCH/EVT, overlapping sums for historical
    simulation); otherwise (``"sqrt"``, or a period that is not a whole number of bars) the
    1-bar measure is scaled by ``sqrt(h_bars)``. The published ``daily_measure_*`` and
    ``volatility_daily`` are the 1-bar values scaled to one day by the square-root rule.

    **Coverage and stress horizon.** Realised losses are measured over the layer's own period,
    in whole bars, close to close or (``loss_price="worst"``) at the worst price within the
    period. A period that is not a whole number of bars (1 hour on daily bars) is not
    backtested, and the historical stress is not run: both are listed in ``not_computed``,
    and no other horizon stands in for them.

    **Model failures.** A raw margin that is not finite or above ``model_failure_bound`` is a
    model failure on that date (:func:`riskkit.margin.layers.screen_model_failures`): the last
    good raw margin is used instead, the date is flagged in ``margin_path["model_failure"]`` and
    listed with its reason in ``model_failures``, and the count is in the parameters. A failure
    on the last date with no good margin before it raises :class:`ModelError` naming the asset
    and the date.

    **Precision.** Published rates are rounded to ``rate_precision`` (the IM up), USD amounts to
    ``amount_precision``.

    **Close-only series.** Without ``volume`` the position tiers and the average daily traded
    value are not computed; without ``open``/``high``/``low`` the insurance fund is not. Each is
    null in the parameters, with its reason in ``not_computed`` (and logged).
    """
    if not isinstance(settings, MarginSettings):
        raise ConfigError(f"settings must be a MarginSettings, got {type(settings).__name__}")
    columns = set(getattr(ohlcv, "columns", []))
    if "close" not in columns:
        raise DataError(f"{asset}: ohlcv lacks a 'close' column; columns are {sorted(columns)}")
    clock = _clock_of(clock, ohlcv)
    from riskkit.backtest import rolling_forecast
    from riskkit.backtest.summary import backtest_summary

    not_computed: dict[str, str] = {}
    has_volume = "volume" in columns and bool(ohlcv["volume"].notna().any())
    has_range = {"open", "high", "low"} <= columns
    returns = log_returns_from_ohlcv(ohlcv, name=f"{asset} ohlcv", freq=clock.freq)
    if len(returns) < settings.window + 30:
        if clock.is_daily:
            raise DataError(
                f"{asset}: {len(returns)} daily returns from {returns.index[0]:%Y-%m-%d} to "
                f"{returns.index[-1]:%Y-%m-%d}; window={settings.window} needs at least "
                f"{settings.window + 30}: start the data earlier (data.start) or shorten the "
                "window (backtest.window)"
            )
        raise DataError(
            f"{asset}: {len(returns)} {clock.label} returns from "
            f"{returns.index[0]:%Y-%m-%d %H:%M} to {returns.index[-1]:%Y-%m-%d %H:%M}; "
            f"window={settings.window} bars needs at least {settings.window + 30}: start the "
            "data earlier (data.start) or shorten the window (backtest.window)"
        )
    est = default_estimator() if estimator is None else estimator
    im_layer, mm_layer = margin_layers(settings)
    levels = [settings.level]
    if mm_layer.level not in levels:
        levels.append(mm_layer.level)
    # independent streams: long forecasts, short forecasts, insurance fund, backtest bootstrap,
    # then the h-bar forecasts of each layer (SeedSequence children do not depend on how many
    # are spawned after them, so the first four are those of earlier versions)
    children = np.random.SeedSequence(seed).spawn(8)
    seeds = [int(c.generate_state(1)[0]) for c in children]
    kwargs = dict(
        levels=tuple(levels),
        window=settings.window,
        refit_every=settings.refit_every,
        executor=executor,
        progress=progress,
    )
    fc_long = rolling_forecast(returns, est, seed=seeds[0], horizon=1, **kwargs)
    fc_short = rolling_forecast(-returns, est, seed=seeds[1], horizon=1, **kwargs)
    x_long, x_short = fc_long[im_layer.column], fc_short[im_layer.column]
    h = settings.horizon_days
    h_bars = clock.bars(h)  # the margin period of risk in bars (= h for daily bars)
    in_bars = _settings_in_bars(settings, clock)
    model_x = pd.DataFrame({"long": x_long, "short": x_short})
    horizon_info: dict[str, str] = {}

    def layer_rates(layer: MarginLayer, stream: int) -> TwoSidedRate:
        """Two-sided rate of a layer over its own margin period: the estimator's h-bar
        simulation (settings.horizon_method="simulation", whole bars > 1) or sqrt(h)."""
        hb = clock.bars(layer.horizon_days)
        whole = abs(hb - round(hb)) < 1e-9 and round(hb) > 1
        path_est = _path_estimator(est) if settings.horizon_method == "simulation" else None
        if whole and path_est is not None:
            hb = int(round(hb))
            kw = {**kwargs, "levels": (layer.level,)}
            fl = rolling_forecast(returns, path_est, seed=seeds[stream], horizon=hb, **kw)
            fs = rolling_forecast(-returns, path_est, seed=seeds[stream + 1], horizon=hb, **kw)
            horizon_info[layer.name] = (
                f"{path_est.horizon_method} over {hb} bars ({type(est).__name__})"
            )
            rates = two_sided_rate(fl[layer.column], fs[layer.column], 1.0)
            return TwoSidedRate(rates.long, rates.short, rates.rate, float(hb))
        horizon_info[layer.name] = "1 bar" if hb == 1 else f"sqrt-time from 1 bar to {hb:g} bars"
        return two_sided_rate(fc_long[layer.column], fc_short[layer.column], hb)

    im_rates = layer_rates(im_layer, 4)
    raw_model = im_rates.for_sides(settings.sides).rename("raw")
    raw, failures = screen_model_failures(raw_model, settings.model_failure_bound, "im")
    # on a model-failure date every input of the charged margin is the last good one: the
    # failed fit's 1-day measures must not reach the APC (the stressed-weight sample rescales
    # the current observations to them) any more than its margin reaches the path
    if len(failures):
        failed_rows = model_x.index.isin(pd.DatetimeIndex(failures["date"]))
        model_x = model_x.mask(np.broadcast_to(failed_rows[:, None], model_x.shape)).ffill()
    apc_inputs = _apc_inputs(returns, in_bars, h_bars, fc_long.index, clock, model_x)
    # dates before the first good raw margin have no margin at all (nothing to fall back on)
    good = raw.notna()
    path = _charged_path(raw[good], in_bars, {k: v[good] for k, v in apc_inputs.items()}).reindex(
        raw.index
    )
    im = _publish(path["charged"], settings)
    if mm_layer.is_ratio:
        mm = publish_mm(im, ratio=mm_layer.ratio, precision=settings.rate_precision)
        mm_raw = None
    else:
        mm_rates = layer_rates(mm_layer, 6)
        mm_raw_model = mm_rates.for_sides(settings.sides)
        mm_raw, mm_fail = screen_model_failures(mm_raw_model, settings.model_failure_bound, "mm")
        failures = pd.concat([failures, mm_fail], ignore_index=True) if len(mm_fail) else failures
        apc_factor = path["charged"] / path["raw"]
        mm = publish_mm(
            im,
            charged_mm=mm_raw * apc_factor,
            step=settings.rounding_step,
            cap=settings.im_cap,
            precision=settings.rate_precision,
        )
    failures = failures.sort_values(["date", "layer"], ignore_index=True)
    margin_path = pd.DataFrame(
        {
            "long_x1": x_long,
            "short_x1": x_short,
            "long_rate": im_rates.long,
            "short_rate": im_rates.short,
            "raw_model": raw_model,
            "raw_im": path["raw"],
            "charged_im": path["charged"],
            "im": im,
            "mm": mm,
            "max_leverage": max_leverage(im),
            "volatility": fc_long["volatility"],
            "model_failure": raw_model.index.isin(failures["date"]),
        }
    )
    if mm_raw is not None:
        margin_path.insert(6, "raw_mm", mm_raw)
    for key, s in apc_inputs.items():
        margin_path[f"apc_{key}"] = s
    margin_path.index.name = "date"
    last = margin_path.index[-1]
    if not np.isfinite(margin_path["im"].iloc[-1]):
        why = failures.loc[failures["date"] == last, "reason"]
        raise ModelError(
            f"{asset}: model failure on {last:%Y-%m-%d %H:%M} with no good margin before it "
            f"to fall back on: {why.iloc[0] if len(why) else 'no margin'}"
        )
    if len(failures):
        logger.warning(
            "%s: %d model failure(s) (raw margin above %s of notional or not finite), last on "
            "%s: the last good margin was kept",
            asset,
            len(failures),
            f"{settings.model_failure_bound:.0%}",
            f"{failures['date'].iloc[-1]:%Y-%m-%d %H:%M}",
        )

    # coverage of each layer over its own margin period, in whole bars only: a period that is
    # not a whole number of bars cannot be measured on these bars (no other horizon stands in)
    vol = fc_long["volatility"]
    vol_source = "model forecast"
    if vol.notna().sum() < 100:
        # an estimator without a volatility forecast (e.g. plain historical simulation): regimes
        # and the tiers' impact term use the 30-day standard deviation up to the bar before
        vol = returns.rolling(clock.whole_bars(30)).std().shift(1).reindex(fc_long.index)
        vol_source = "30-day standard deviation of returns (the estimator gives no volatility)"
    # np.unique: a constant-volatility fit (alpha = beta = 0) ties the quantiles; tied thresholds
    # mean fewer regimes, not an error
    regime_thr = tuple(float(x) for x in np.unique(np.nanquantile(vol, settings.regime_quantiles)))
    regimes = classify_regimes(vol, regime_thr).map(
        lambda k: f"vol regime {int(k)}" if np.isfinite(k) else np.nan
    )
    if settings.loss_price == "worst" and not has_range:
        raise DataError(
            f"{asset}: loss_price='worst' needs high and low prices; columns are {sorted(columns)}"
        )

    def losses_over(hb: float) -> pd.DataFrame | None:
        if hb < 1 - 1e-9 or abs(hb - round(hb)) > 1e-9:
            return None
        if settings.loss_price == "worst":
            return worst_price_loss(ohlcv, returns.index, int(round(hb)))
        return margin_period_loss(returns, int(round(hb)))

    H = int(round(h_bars)) if losses_over(h_bars) is not None else None
    mm_h_bars = clock.bars(mm_layer.horizon_days)
    H_mm = int(round(mm_h_bars)) if losses_over(mm_h_bars) is not None else None
    losses = losses_over(h_bars)
    mm_losses = losses if mm_layer.is_ratio else losses_over(mm_h_bars)
    tables, tests = [], {}
    for layer, path_, loss_, hb in (
        (im_layer, im, losses, H),
        (mm_layer, mm, mm_losses, H if mm_layer.is_ratio else H_mm),
    ):
        if loss_ is None:
            continue
        by_year = coverage_table(path_, loss_, "year")
        by_year.index = by_year.index.map(str)
        by_reg = coverage_table(path_, loss_, regimes).drop(index="all")
        t = pd.concat([by_year.drop(index="all"), by_reg, by_year.loc[["all"]]])
        t.index = pd.MultiIndex.from_product([[layer.name], t.index], names=["margin", "group"])
        tables.append(t)
        if layer.is_ratio:
            tests[layer.name] = informational_coverage(path_, loss_, hb)
        else:
            tests[layer.name] = coverage_tests(path_, loss_, layer.level, hb)
    for layer, hb in ((im_layer, h_bars), (mm_layer, mm_h_bars)):
        if layer.name not in tests:
            not_computed[f"coverage_{layer.name}"] = (
                f"the {layer.name.upper()} margin period is {hb:g} {clock.label} bars, not a "
                f"whole number of bars: its losses cannot be measured on these bars (give bars "
                f"whose interval divides {layer.horizon_days:g} days)"
            )
    if tables:
        coverage = pd.concat(tables)
        cov_tests = pd.concat(tests, names=["margin"])
    else:
        coverage = pd.DataFrame(
            columns=COVERAGE_COLUMNS,
            index=pd.MultiIndex.from_arrays([[], []], names=["margin", "group"]),
        )
        cov_tests = pd.DataFrame(
            columns=["n", "breaches", "statistic", "pvalue", "result", "zone"],
            index=pd.MultiIndex.from_arrays([[], [], []], names=["margin", "side", "test"]),
        )

    # VaR and ES backtest battery of the 1-bar model on each side
    backtest = backtest_summary(
        {"long": fc_long, "short": fc_short}, levels=(settings.level,), seed=seeds[3]
    )
    backtest.index = backtest.index.set_names(["side", "level"])
    # short names used by riskkit.pipeline's tables and report
    backtest.insert(0, "n", backtest["observations"])
    backtest.insert(1, "zone", backtest["traffic_light"])

    # parameters on the last date, to the published precision (rates to rate_precision: no
    # float noise; the IM rounded up so it never falls below the calibrated one)
    prec = settings.rate_precision
    im_last = float(round_to_precision(float(im.iloc[-1]), prec, "up"))
    if mm_layer.is_ratio:
        mm_last = float(publish_mm(im_last, ratio=mm_layer.ratio, precision=prec))
    else:
        mm_last = float(round_to_precision(float(mm.iloc[-1]), prec))
    problems = layer_problems(
        im_last,
        mm_last,
        cap=settings.im_cap,
        ratio=mm_layer.ratio,
        precision=prec,
        where=f"{asset} on {last:%Y-%m-%d %H:%M}: ",
    )
    if problems:
        raise ModelError("model failure: " + "; ".join(problems))
    if vol.notna().any():
        sigma = float(vol.dropna().iloc[-1])
    else:
        sigma = float(returns.std())
        vol_source = "standard deviation of all returns (no volatility path)"
    sigma_daily = clock.to_daily(sigma)
    adv: float | None = None
    tiers: pd.DataFrame | None = None
    if has_volume:
        adv, why = _average_daily_value(ohlcv, settings.adv_window, clock)
        if why is None and not adv > 0:
            raise DataError(f"{asset}: no traded volume in the last {settings.adv_window} bars")
    else:
        why = "needs a volume column (the average daily traded value)"
    if why is None:
        tiers = tier_table(
            im_last,
            mm_last,
            h,
            sigma_daily,
            adv,
            settings.tier_boundaries,
            settings.participation,
            settings.impact_k,
            settings.rounding_step,
            settings.im_cap,
            mm_ratio=mm_layer.ratio,
            rate_precision=prec,
            amount_precision=settings.amount_precision,
        )
    else:
        not_computed["adv_usd"] = why
        not_computed["tiers"] = f"{why} for the liquidity add-on of the position tiers"
    haircut = collateral_haircut(
        returns,
        settings.haircut_level,
        clock.bars(settings.haircut_horizon_days),
        settings.measure,
        rounding_step=settings.rounding_step,
    )
    lev = tuple(max(1.0, f * float(max_leverage(im_last))) for f in settings.insurance_leverage)
    lev = tuple(x for x in lev if 1.0 / x > mm_last) or (1.0,)
    fund: InsuranceFundResult | None = None
    if has_range:
        fund_bars, why = _fund_bars(ohlcv, settings, clock)
    else:
        fund_bars, why = None, "needs open, high and low prices (the excursions within a day)"
    # the penalty is conditioned on the volatility at the liquidations the accounts of the
    # insurance fund would have suffered along the window (liquidation.liquidation_penalty)
    liquidated = None
    if fund_bars is not None:
        events = account_paths(
            fund_bars, mm_last, lev, liquidation_hours=settings.liquidation_hours
        ).events
        by_day = events.groupby("date")["share"].sum()
        liquidated = pd.Series(by_day.reindex(vol.index.normalize()).to_numpy(), index=vol.index)
        liquidated = liquidated.dropna()
    penalty = liquidation_penalty(
        returns,
        settings.liquidation_hours,
        settings.penalty_confidence,
        window=settings.window,
        rounding_step=settings.rounding_step,
        bar_hours=clock.interval / pd.Timedelta("1h"),
        volatility=vol,
        liquidated=liquidated,
    )
    if fund_bars is not None:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DataQualityWarning)
            fund = insurance_fund(
                fund_bars,
                mm_last,
                penalty,
                lev,
                liquidation_hours=settings.liquidation_hours,
                n_sims=settings.insurance_sims,
                n_days=settings.insurance_days,
                confidence=settings.insurance_confidence,
                seed=seeds[2],
            )
    else:
        not_computed["insurance_fund_fraction"] = str(why)
    episodes = [*STRESS_EPISODES, *settings.stress_episodes]
    # historical stress over the run's margin period only (whole bars); the hypothetical shocks
    # at the published rates and the same period
    historical = []
    if H is not None:
        historical.append(
            historical_stress(
                returns, im.dropna(), mm.dropna(), H, episodes=episodes, interval=clock.label
            )
        )
    else:
        not_computed["historical_stress"] = not_computed["coverage_im"]
    stress = pd.concat(
        [
            *historical,
            hypothetical_stress(
                im_last,
                mm_last,
                float(x_long.iloc[-1]),
                h_bars,
                daily_measure_short=float(x_short.iloc[-1]),
            ),
        ],
        ignore_index=True,
    )
    episode_table = episode_status(returns.index, im.dropna().index, episodes)
    for output, reason in not_computed.items():
        logger.info("%s: %s not computed: %s", asset, output, reason)
    stamp = "%Y-%m-%d" if clock.is_daily else "%Y-%m-%dT%H:%MZ"

    def rnd(x: float | None) -> float | None:
        return None if x is None else float(round_to_precision(float(x), prec))

    parameters = {
        "as_of": f"{last:{stamp}}",
        "im_rate": im_last,
        "mm_rate": mm_last,
        "max_leverage": float(max_leverage(im_last)),
        "raw_im_rate": rnd(raw_model.iloc[-1]) if np.isfinite(raw_model.iloc[-1]) else None,
        # model outputs, not published rates: kept at full precision
        "daily_measure_long": clock.to_daily(float(x_long.iloc[-1])),
        "daily_measure_short": clock.to_daily(float(x_short.iloc[-1])),
        "volatility_daily": sigma_daily,
        "layers": {
            layer.name: {
                "definition": layer.describe(),
                "horizon_method": horizon_info.get(layer.name, "ratio of the published IM"),
            }
            for layer in (im_layer, mm_layer)
        },
        "model_failures": {
            "count": int(failures["date"].nunique()),
            "last_date": None if failures.empty else f"{failures['date'].iloc[-1]:{stamp}}",
            "bound": settings.model_failure_bound,
            "in_force": bool(margin_path["model_failure"].iloc[-1]),
        },
        "apc": settings.apc_settings,
        "tiers": None
        if tiers is None
        else [
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
        "collateral_haircut": rnd(haircut),
        "liquidation_penalty": rnd(penalty),
        "insurance_fund_fraction": None if fund is None else rnd(fund.required),
        "adv_usd": None
        if adv is None
        else float(round_to_precision(adv, settings.amount_precision)),
        "data": {
            "first_date": f"{returns.index[0]:{stamp}}",
            "last_date": f"{returns.index[-1]:{stamp}}",
            "n_returns": int(len(returns)),
            "bar_interval": clock.label,
            "periods_per_year": clock.periods_per_year,
        },
        "estimator": repr(est),
    }
    if not_computed:
        parameters["not_computed"] = dict(not_computed)
    info = {
        "coverage_horizon_days": None if H is None else H / clock.bars_per_day,
        "coverage_horizon_bars": H,
        "mm_coverage_horizon_bars": H if mm_layer.is_ratio else H_mm,
        "horizon_bars": h_bars,
        "horizon_method": dict(horizon_info),
        "layers": {"im": im_layer, "mm": mm_layer},
        "model_failures": failures,
        "clock": clock.describe(),
        "regime_thresholds": regime_thr,
        "adv": adv,
        "sigma_daily": sigma_daily,
        "sigma_bar": sigma,
        "volatility_annualized": float(clock.annualize(sigma)),
        "volatility_source": vol_source,
        "returns": returns,
        "estimator": repr(est),
        "not_computed": dict(not_computed),
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
        episodes=episode_table,
        not_computed=not_computed,
        model_failures=failures,
    )
