"""Champion/challenger protocol: every model on the same rolling windows, one scorecard.

:func:`run_challengers` calibrates the margin of one asset with each model
(:func:`riskkit.margin.calibrate_asset`: the same returns, window, refit schedule, margin
period, APC rules and rounding for all), recalibrates the chosen ones with conformal inference
(:mod:`riskkit.ml.conformal`), and scores the 1-day VaR/ES of the long loss of every model on
the dates all of them forecast:

* the full VaR/ES backtest battery (:func:`riskkit.backtest.backtest_summary`), with breaches
  per 250 days;
* the mean FZ0 loss (:func:`riskkit.backtest.fz0_loss`, strictly consistent for (VaR, ES)) and
  the model confidence set on it (:func:`riskkit.backtest.rank_models`, ``arch.bootstrap.MCS``);
* the cost of the margin: mean and largest published IM, the IM breach rate by the realised
  loss over the margin period (NaN when the period is not a whole number of days, as in
  :func:`riskkit.margin.calibrate_asset`), and the procyclicality metrics
  (:func:`riskkit.margin.procyclicality_metrics`).

**Selection rule** (fixed before looking at the results): among the models in the model
confidence set whose Kupiec test does not reject the breach rate, the one with the lowest mean
IM (the cheapest margin the data cannot tell from the best forecast); if none qualifies, the
champion. Its margin path gives the published IM and MM layers.

**Dynamic margin** of a conformal variant: each side's multiplier is learnt online by ACI/FACI
on the model's 1-day VaR at the margin level (target breach rate ``1 - level``, losses known the
next day) and applied to that side's raw rate over the margin period (the ES margin is scaled
like the VaR, as :func:`riskkit.ml.conformal.conformal_recalibrate` scales ES); then the same
APC rules, rounding, floor and cap as the calibration (:func:`riskkit.margin.calibrate_asset`),
and the MM as the configured ratio of the published IM. Calibrating on the VaR and not on the
margin itself matters: an ES margin breached at the VaR's rate would be cut to a VaR margin.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from riskkit.backtest import backtest_summary, fz0_loss, rank_models
from riskkit.exceptions import ConfigError, DataError, RiskkitError
from riskkit.margin import procyclicality_metrics
from riskkit.margin.calibrate import AssetCalibration, calibrate_asset
from riskkit.margin.coverage import breaches, margin_period_loss
from riskkit.margin.settings import MarginSettings
from riskkit.ml.conformal import aci_multipliers, conformal_recalibrate
from riskkit.ml.quantile import QuantileModel
from riskkit.risk.base import RiskEstimator

__all__ = [
    "COMPARISON_FILE",
    "TABLE_COLUMNS",
    "ChallengerReport",
    "ChallengerRun",
    "dynamic_margin",
    "run_challenger_config",
    "run_challengers",
    "select_model",
]

logger = logging.getLogger(__name__)

#: columns of the comparison table, in order
TABLE_COLUMNS = (
    "base_model",
    "conformal",
    "observations",
    "breaches",
    "breach_rate",
    "breaches_per_250",
    "expected_per_250",
    "traffic_light",
    "pof_pvalue",
    "cc_pvalue",
    "mcneil_frey_pvalue",
    "fz0_mean",
    "fz0_rank",
    "mcs_pvalue",
    "in_mcs",
    "mean_im",
    "max_im",
    "im_breach_rate",
    "peak_to_trough",
    "max_increase_1d",
    "max_increase_5d",
    "max_increase_30d",
    "selected",
)


@dataclass
class ChallengerRun:
    """Result of :func:`run_challengers` for one asset.

    Attributes
    ----------
    asset : str
    table : pandas.DataFrame
        One row per model (index ``model``), columns :data:`TABLE_COLUMNS`.
    forecasts : dict of DataFrame
        1-day rolling VaR/ES of the long loss per model (conformal variants recalibrated), all
        on the same dates.
    margins : pandas.DataFrame
        Published IM per date, one column per model.
    layers : pandas.DataFrame
        The selected model's published ``im`` and ``mm`` per date.
    backtest : pandas.DataFrame
        The full battery of :func:`riskkit.backtest.backtest_summary`.
    ranking : pandas.DataFrame
        :func:`riskkit.backtest.rank_models` on the FZ0 losses.
    selected : str
    calibrations : dict of AssetCalibration
        The calibration of each base model.
    info : dict
    """

    asset: str
    table: pd.DataFrame
    forecasts: dict[str, pd.DataFrame]
    margins: pd.DataFrame
    layers: pd.DataFrame
    backtest: pd.DataFrame
    ranking: pd.DataFrame
    selected: str
    calibrations: dict[str, AssetCalibration] = field(default_factory=dict)
    info: dict[str, Any] = field(default_factory=dict)

    def summary(self) -> str:
        """The headline columns of the table as text."""
        cols = ["breach_rate", "breaches_per_250", "fz0_mean", "in_mcs", "mean_im", "selected"]
        with pd.option_context("display.width", 120, "display.float_format", "{:.4g}".format):
            return f"{self.asset}: selected {self.selected}\n{self.table[cols].to_string()}"


def dynamic_margin(
    cal: AssetCalibration,
    returns: pd.Series,
    method: str = "aci",
    **conformal: Any,
) -> pd.DataFrame:
    """Conformal-adjusted margin of a calibration, with its APC rules, rounding and MM.

    Parameters
    ----------
    cal : AssetCalibration
        A daily-bar calibration (:func:`riskkit.margin.calibrate_asset`).
    returns : pandas.Series
        The log returns it was computed from.
    method : {"aci", "faci"}
    **conformal
        Passed to :func:`riskkit.ml.conformal.aci_multipliers` (gamma, calibration, ...).

    Returns
    -------
    pandas.DataFrame
        Per date: ``raw`` (the recalibrated two-sided rate), ``charged`` (after APC and the
        daily caps), ``im`` and ``mm`` (published), ``multiplier_long``, ``multiplier_short``.
    """
    from riskkit.margin.calibrate import (
        _apc_inputs,
        _charged_path,
        _clock_of,
        _publish,
        _settings_in_bars,
    )
    from riskkit.margin.layers import publish_mm, screen_model_failures

    settings = cal.settings
    clock = _clock_of(None, returns.to_frame())
    if not clock.is_daily:
        raise ConfigError("dynamic_margin needs a daily-bar calibration")
    path = cal.margin_path
    vcol = f"var_{settings.level:g}"
    adjusted, mults = {}, {}
    for side in ("long", "short"):
        fc = cal.forecasts[side].reindex(path.index)
        # a model-failure date (VaR not finite) keeps the last good VaR, as the margin does
        var = fc[vcol].where(np.isfinite(fc[vcol]) & (fc[vcol] > 0)).ffill()
        if var.isna().any():
            raise DataError(f"{cal.asset}: no finite VaR forecast on the first date(s)")
        res = aci_multipliers(
            fc["loss"].to_numpy(float),
            var.to_numpy(float),
            settings.level,
            method=method,
            lag=1,
            **conformal,
        )
        adjusted[side] = path[f"{side}_rate"] * res.multiplier
        mults[f"multiplier_{side}"] = res.multiplier
    use = ["long", "short"] if settings.sides == "both" else [settings.sides]
    raw = pd.concat([adjusted[s] for s in use], axis=1).max(axis=1).rename("raw")
    raw, _ = screen_model_failures(raw, settings.model_failure_bound, "im")
    in_bars = _settings_in_bars(settings, clock)
    model = pd.DataFrame({"long": path["long_x1"], "short": path["short_x1"]})
    h_bars = float(clock.bars(settings.horizon_days))
    apc = _apc_inputs(returns, in_bars, h_bars, path.index, clock, model)
    good = raw.notna()  # before the first good margin there is nothing to charge
    charged = _charged_path(raw[good], in_bars, {k: v[good] for k, v in apc.items()}).reindex(
        raw.index
    )
    im = _publish(charged["charged"], settings)
    if settings.mm_is_ratio:
        mm = publish_mm(im, ratio=settings.mm_ratio, precision=settings.rate_precision)
    else:  # an MM layer of its own: its raw rate scaled like the IM (APC and multiplier), as
        # calibrate_asset scales it by the APC factor; not the published MM, whose rounding and
        # cap below the calibrated IM would carry over
        mm = publish_mm(
            im,
            charged_mm=path["raw_mm"] * (charged["charged"] / path["raw_im"]),
            step=settings.rounding_step,
            cap=settings.im_cap,
            precision=settings.rate_precision,
        )
    out = pd.DataFrame(
        {"raw": raw, "charged": charged["charged"], "im": im, "mm": mm, **mults},
        index=path.index,
    )
    out.index.name = "date"
    return out


def select_model(table: pd.DataFrame, champion: str, test_level: float = 0.95) -> str:
    """The selection rule of the protocol (see the module notes): Kupiec's test rejects at
    ``1 - test_level``, the confidence of the backtests and of the model confidence set."""
    ok = table[table["in_mcs"].astype(bool) & (table["pof_pvalue"] > 1 - test_level)]
    if ok.empty:
        return champion
    return str(ok["mean_im"].idxmin())


def run_challengers(
    asset: str,
    ohlcv: pd.DataFrame,
    settings: MarginSettings,
    models: Mapping[str, RiskEstimator],
    *,
    champion: str | None = None,
    conformal: Sequence[str] = ("aci", "faci"),
    conformal_models: Sequence[str] | None = None,
    conformal_options: Mapping[str, Any] | None = None,
    test_level: float = 0.95,
    mcs_reps: int = 1000,
    seed: int = 0,
    executor: Any = None,
    progress: bool | None = None,
) -> ChallengerRun:
    """Run the champion/challenger protocol on one asset (daily bars).

    Parameters
    ----------
    asset : str
    ohlcv : pandas.DataFrame
        Daily bars (``close``; range and volume columns feed the ML models' features).
    settings : MarginSettings
        Margin settings of the calibration (window, refit schedule, level, horizon, APC...).
    models : mapping of str to RiskEstimator
        The models, the champion first unless ``champion`` names it. A
        :class:`~riskkit.ml.quantile.QuantileModel` using exogenous features is bound to
        ``ohlcv`` here (:meth:`~riskkit.ml.quantile.QuantileModel.bind_ohlcv`).
    champion : str, optional
        Name of the champion (default: the first model).
    conformal : sequence of {"aci", "faci"}
        Conformal variants added.
    conformal_models : sequence of str, optional
        Models that get the conformal variants (default: the champion only).
    conformal_options : mapping, optional
        Passed to :func:`riskkit.ml.conformal.aci_multipliers` (gamma, calibration, ...).
    test_level : float
        Confidence of the backtests and of the model confidence set.
    mcs_reps : int
        Bootstrap replications of the MCS.
    seed : int
        Root seed (the same for every model: same bootstrap streams).
    executor : optional
        Passed to the rolling engine.
    progress : bool, optional
        Progress bars of the rolling engine (default: on unless ``RISKKIT_NO_PROGRESS`` is
        set; notebooks pass ``False``).

    Returns
    -------
    ChallengerRun
    """
    from riskkit.margin._common import log_returns_from_ohlcv

    if len(models) < 2:
        raise ConfigError(f"the protocol compares at least 2 models, got {list(models)}")
    champion = champion or next(iter(models))
    if champion not in models:
        raise ConfigError(f"champion {champion!r} is not among the models {list(models)}")
    conformal_models = [champion] if conformal_models is None else list(conformal_models)
    unknown = [m for m in conformal_models if m not in models]
    if unknown:
        raise ConfigError(f"conformal_models {unknown} are not among the models {list(models)}")
    opts = dict(conformal_options or {})
    returns = log_returns_from_ohlcv(ohlcv, name=f"{asset} ohlcv")
    cals: dict[str, AssetCalibration] = {}
    forecasts: dict[str, pd.DataFrame] = {}
    margins: dict[str, pd.Series] = {}
    base_of: dict[str, tuple[str, str]] = {}
    for name, est in models.items():
        if isinstance(est, QuantileModel) and est.features.exogenous:
            est = est.bind_ohlcv(ohlcv)
        logger.info("%s: calibrating with %s", asset, name)
        cal = calibrate_asset(
            asset, ohlcv, settings, estimator=est, seed=seed, executor=executor, progress=progress
        )
        cals[name] = cal
        forecasts[name] = cal.forecasts["long"]
        margins[name] = cal.margin_path["im"]
        base_of[name] = (name, "none")
    layers_of = {name: cals[name].margin_path[["im", "mm"]] for name in cals}
    for base in conformal_models:
        for method in conformal:
            key = f"{base}+{method}"
            fc = conformal_recalibrate(
                forecasts[base], method, levels=[settings.level], **opts
            ).forecasts
            forecasts[key] = fc
            dyn = dynamic_margin(cals[base], returns, method, **opts)
            margins[key] = dyn["im"]
            layers_of[key] = dyn[["im", "mm"]]
            base_of[key] = (base, method)
    # the same dates for every model
    common = None
    for fc in forecasts.values():
        idx = fc.index[fc["loss"].notna()]
        common = idx if common is None else common.intersection(idx)
    if common is None or len(common) < 30:
        raise DataError(f"{asset}: fewer than 30 dates forecast by every model")
    forecasts = {k: v.loc[common] for k, v in forecasts.items()}
    lv = settings.level
    vcol, ecol = f"var_{lv:g}", f"es_{lv:g}"
    bt = backtest_summary(forecasts, levels=[lv], test_level=test_level, seed=seed)
    scores = pd.DataFrame(
        {k: fz0_loss(fc["loss"], fc[vcol], fc[ecol], lv) for k, fc in forecasts.items()}
    )
    ranking = rank_models(scores, test_level, reps=mcs_reps, seed=seed)
    # realised losses over the margin period in whole days only: a period that is not a whole
    # number of daily bars is not backtested (as in calibrate_asset), no other horizon stands in
    h = settings.horizon_days
    whole = abs(h - round(h)) < 1e-9 and round(h) >= 1
    period_loss = margin_period_loss(returns, int(round(h))) if whole else None
    rows = {}
    for k in forecasts:
        b = bt.loc[(k, lv)]
        im = margins[k].loc[common]
        pc = procyclicality_metrics(im)
        br = breaches(im, period_loss) if period_loss is not None else None
        n = int(b["observations"])
        rows[k] = {
            "base_model": base_of[k][0],
            "conformal": base_of[k][1],
            "observations": n,
            "breaches": int(b["failures"]),
            "breach_rate": b["failures"] / n,
            "breaches_per_250": 250 * b["failures"] / n,
            "expected_per_250": 250 * (1 - lv),
            "traffic_light": b["traffic_light"],
            "pof_pvalue": b["pof_pvalue"],
            "cc_pvalue": b.get("cc_pvalue", np.nan),
            "mcneil_frey_pvalue": b.get("mcneil_frey_pvalue", np.nan),
            "fz0_mean": ranking.loc[k, "mean_score"],
            "fz0_rank": int(ranking.loc[k, "rank"]),
            "mcs_pvalue": ranking.loc[k, "mcs_pvalue"],
            "in_mcs": bool(ranking.loc[k, "in_mcs"]),
            "mean_im": pc["mean"],
            "max_im": float(im.max()),
            "im_breach_rate": float(br["breach"].mean()) if br is not None and len(br) else np.nan,
            "peak_to_trough": pc["peak_to_trough"],
            "max_increase_1d": pc["max_increase_1d"],
            "max_increase_5d": pc["max_increase_5d"],
            "max_increase_30d": pc["max_increase_30d"],
        }
    table = pd.DataFrame.from_dict(rows, orient="index")
    table.index.name = "model"
    selected = select_model(table, champion, test_level)
    table["selected"] = table.index == selected
    table = table[list(TABLE_COLUMNS)]
    return ChallengerRun(
        asset=asset,
        table=table,
        forecasts=forecasts,
        margins=pd.DataFrame({k: margins[k].loc[common] for k in forecasts}),
        layers=layers_of[selected].loc[common],
        backtest=bt,
        ranking=ranking,
        selected=selected,
        calibrations=cals,
        info={
            "champion": champion,
            "level": lv,
            "horizon_days": h,
            "first_date": str(common[0].date()),
            "last_date": str(common[-1].date()),
            "models": {k: repr(v) for k, v in models.items()},
        },
    )


#: file of the comparison table in a challenger run directory
COMPARISON_FILE = "comparison.csv"


@dataclass
class ChallengerReport:
    """What :func:`run_challenger_config` wrote.

    Attributes
    ----------
    run_dir : pathlib.Path
    comparison : pandas.DataFrame
        The comparison tables of every asset (index ``asset``, ``model``).
    runs : dict of ChallengerRun
    failed : dict
        ``{asset: reason}`` of the assets that could not be run.
    """

    run_dir: Any
    comparison: pd.DataFrame
    runs: dict[str, ChallengerRun]
    failed: dict[str, str]


def run_challenger_config(
    config: Any,
    *,
    assets: Sequence[str] | None = None,
    out_dir: Any = None,
    executor: Any = None,
) -> ChallengerReport:
    """Run the protocol of a :class:`riskkit.ml.config.ChallengerConfig` and write its tables.

    Writes into a new run directory (``out_dir``, new or empty, or
    ``<output.directory>/<UTC time>-challengers-<fingerprint>`` of the calibration config):
    ``comparison.csv`` (every asset), ``tables/<ASSET>/{backtest,ranking,margins,layers,
    forecasts_<model>}.csv``, the effective configurations (``config.yaml``,
    ``challengers.yaml``) and ``run.json``.
    """
    import datetime as _dt
    import json
    import time
    from pathlib import Path

    import yaml

    from riskkit.config import load_config
    from riskkit.run.orchestrate import _refuse_existing, _run_dir
    from riskkit.run.sources import load_asset_data

    started = _dt.datetime.now(_dt.UTC).replace(microsecond=0)
    t0 = time.perf_counter()
    overrides = {"assets": list(assets)} if assets else None
    base = load_config(config.calibration, overrides=overrides)
    c = config.challengers
    if out_dir is None:
        out_dir = Path(base.output.directory) / (
            f"{started:%Y%m%dT%H%M%SZ}-challengers-{base.fingerprint()[:8]}"
        )
    _refuse_existing(Path(out_dir), "--out")
    run_dir = _run_dir(base, out_dir)
    (run_dir / "config.yaml").write_text(base.to_yaml(), encoding="utf-8")
    (run_dir / "challengers.yaml").write_text(
        yaml.safe_dump(config.model_dump(mode="json"), sort_keys=False), encoding="utf-8"
    )
    settings = base.margin_settings()
    runs: dict[str, ChallengerRun] = {}
    failed: dict[str, str] = {}
    for data in load_asset_data(base):
        if data.ohlcv is None:
            failed[data.asset] = data.error or "no data"
            continue
        models = config.estimators(base.model.build())
        try:
            run = run_challengers(
                data.asset,
                data.ohlcv,
                settings,
                models,
                champion="champion",
                conformal=c.conformal,
                conformal_models=c.conformal_models,
                conformal_options={
                    "gamma": c.gamma,
                    "calibration": c.calibration_window,
                    "max_multiplier": c.max_multiplier,
                },
                test_level=c.test_level,
                mcs_reps=c.mcs_reps,
                seed=base.run.seed,
                executor=executor,
            )
        except RiskkitError as exc:  # data, configuration or model failure of this asset
            failed[data.asset] = f"{type(exc).__name__}: {exc}"
            logger.error("%s: %s", data.asset, exc)
            continue
        runs[data.asset] = run
        tdir = run_dir / "tables" / data.asset
        tdir.mkdir(parents=True, exist_ok=True)
        run.table.to_csv(tdir / "comparison.csv")
        run.backtest.reset_index().to_csv(tdir / "backtest.csv", index=False)
        run.ranking.to_csv(tdir / "ranking.csv")
        run.margins.to_csv(tdir / "margins.csv")
        run.layers.to_csv(tdir / "layers.csv")
        for name, fc in run.forecasts.items():
            fc.to_csv(tdir / f"forecasts_{name.replace('+', '_')}.csv")
    if runs:
        comparison = pd.concat({a: r.table for a, r in runs.items()}, names=["asset", "model"])
    else:
        comparison = pd.DataFrame(columns=list(TABLE_COLUMNS))
    comparison.to_csv(run_dir / COMPARISON_FILE)
    manifest = {
        "kind": "challengers",
        "calibration_config": str(config.calibration),
        "config_sha256": base.fingerprint(),
        "started": started.isoformat(),
        "elapsed_seconds": round(time.perf_counter() - t0, 3),
        "assets": {a: {"status": "ok", "selected": r.selected, **r.info} for a, r in runs.items()}
        | {a: {"status": "failed", "error": e} for a, e in failed.items()},
        "ok": not failed,
    }
    (run_dir / "run.json").write_text(json.dumps(manifest, indent=2, default=str), "utf-8")
    return ChallengerReport(run_dir=run_dir, comparison=comparison, runs=runs, failed=failed)
