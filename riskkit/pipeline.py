"""One calibration run end to end: data, per-asset calibration, parameters, tables, figures, report.

:func:`run_calibration` takes a validated :class:`~riskkit.config.CalibrationConfig` and writes one
*run directory*::

    reports/runs/<UTC timestamp>-<config fingerprint>/
        config.yaml                 the configuration as validated (defaults filled in)
        run.json                    manifest: status and timing of every asset and stage, versions
        calibration.log             the log of the run
        margin_parameters.json      the parameter file (JSON-Schema valid), successful assets only
        data_quality.csv            one row per asset: source, dates, bars, defects, cleaning
        data_issues.csv             every defect riskkit.data.validate found, with dates
        tables/<ASSET>/<table>.csv  margin path, backtest battery, coverage, stress, tiers,
                                    rolling forecasts (long and short) of each asset
        tables/<ASSET>/parameters.json
        figures/<ASSET>/<figure>.png and .svg
        report/08_calibration_report.ipynb and .html

and copies the parameter file to a stable path (``reports/margin_parameters.json``).

Stages are logged as they start and end. Assets are independent: one that fails (bad data, too
little history, a model that cannot be estimated) is recorded in ``run.json`` and the log with
the stage and the reason, and every other asset's results are still written.

Per-asset work runs on the executor the configuration names (local processes by default, a Dask
``LocalCluster`` for ``"local"``, a Dask scheduler for ``"tcp://host:port"``). Each asset gets
child ``i`` of ``numpy.random.SeedSequence(seed)``, so the parameter file does not depend on the
executor or the number of workers.
"""

from __future__ import annotations

import contextlib
import dataclasses
import datetime as _dt
import importlib
import json
import logging
import math
import os
import shutil
import time
import traceback
import warnings
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from riskkit.config import CalibrationConfig, load_config
from riskkit.exceptions import ConfigError, DataError, RiskkitError
from riskkit.parallel import TaskFailure, executor_from_spec, map_tasks, spawn_seeds

__all__ = [
    "AssetTask",
    "AssetOutcome",
    "RunResult",
    "RunRecord",
    "DEFAULT_CALIBRATOR",
    "VOLATILE_KEYS",
    "run_calibration",
    "calibrate_assets",
    "load_asset_data",
    "asset_seeds",
    "load_run",
    "execute_report",
    "strip_volatile",
    "demo_config",
]

logger = logging.getLogger(__name__)

#: the per-asset function, as ``"module:function"`` so that it pickles by name for any executor
DEFAULT_CALIBRATOR = "riskkit.margin:calibrate_asset"
#: keys of a parameter file that record *when* or *where* a run happened, not what it computed
VOLATILE_KEYS = frozenset(
    {
        "created",
        "created_at",
        "created_utc",
        "generated",
        "generated_at",
        "timestamp",
        "run_dir",
        "run_directory",
        "started",
        "finished",
        "elapsed_seconds",
        "hostname",
    }
)
PARAMETER_FILE = "margin_parameters.json"
REPORT_NOTEBOOK = "08_calibration_report"


# --------------------------------------------------------------------------------------------
# per-asset tasks


@dataclass(frozen=True)
class AssetTask:
    """Everything one asset's calibration needs; picklable, so it can go to any worker.

    Attributes
    ----------
    asset : str
    ohlcv : pandas.DataFrame
        Daily bars (index ``date``).
    config : CalibrationConfig
    seed : int
        The asset's own seed (child ``i`` of the run's SeedSequence).
    inner_executor : str or executor
        Executor for the asset's rolling backtest: ``"serial"`` when assets already run in
        parallel (nested pools would oversubscribe the cores, and daemonic workers cannot fork),
        the run's pool when there is a single asset.
    calibrator : str
        ``"module:function"`` with the signature of :func:`riskkit.margin.calibrate_asset`.
    """

    asset: str
    ohlcv: pd.DataFrame
    config: CalibrationConfig
    seed: int
    inner_executor: Any = "serial"
    calibrator: str = DEFAULT_CALIBRATOR


@dataclass
class AssetOutcome:
    """Result of one asset: the calibration or the reason it failed."""

    asset: str
    calibration: Any = None
    error: str | None = None
    stage: str | None = None
    seconds: float = float("nan")
    warnings: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.error is None


def _resolve_callable(path: str | Callable[..., Any]) -> Callable[..., Any]:
    if callable(path):
        return path
    module, _, name = str(path).partition(":")
    if not name:
        raise ConfigError(f"calibrator must be 'module:function', got {path!r}")
    try:
        return getattr(importlib.import_module(module), name)
    except (ImportError, AttributeError) as exc:
        raise ConfigError(f"cannot import calibrator {path!r}: {exc}") from None


def run_asset(task: AssetTask) -> AssetOutcome:
    """Calibrate one asset (runs on a worker); failures come back as an outcome, not an exception.

    Warnings raised during the calibration (convergence trouble, data quality) are captured
    and returned so that the parent process logs them against the asset.
    """
    from threadpoolctl import threadpool_limits

    start = time.perf_counter()
    caught: list[warnings.WarningMessage] = []
    try:
        fn = _resolve_callable(task.calibrator)
        # One BLAS thread, as in a Dask worker: a multi-threaded BLAS sums in a different order
        # and moves GARCH estimates by ~1e-7, which would make the parameter file depend on
        # the executor. Assets already run in parallel, so BLAS threads would only oversubscribe.
        with threadpool_limits(limits=1), warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            settings = task.config.margin_settings()
            estimator = task.config.model.build()
            calibration = fn(
                task.asset,
                task.ohlcv,
                settings,
                estimator=estimator,
                seed=task.seed,
                executor=task.inner_executor,
                progress=False,
            )
    except Exception as exc:  # one asset's failure must not stop the others
        kind = (
            "" if isinstance(exc, RiskkitError) else " (unexpected: see the traceback in the log)"
        )
        detail = "".join(traceback.format_exception_only(type(exc), exc)).strip()
        if not isinstance(exc, RiskkitError):
            detail += "\n" + "".join(traceback.format_exc())
        return AssetOutcome(
            task.asset,
            error=f"{type(exc).__name__}: {exc}{kind}",
            stage="calibrate",
            seconds=time.perf_counter() - start,
            warnings=_dedupe_warnings(caught) + ([detail] if kind else []),
        )
    return AssetOutcome(
        task.asset,
        calibration=calibration,
        seconds=time.perf_counter() - start,
        warnings=_dedupe_warnings(caught),
    )


def _dedupe_warnings(caught: Sequence[warnings.WarningMessage]) -> list[str]:
    out: dict[str, int] = {}
    for w in caught:
        text = f"{w.category.__name__}: {w.message}"
        out[text] = out.get(text, 0) + 1
    return [t if n == 1 else f"{t} (x{n})" for t, n in out.items()]


def asset_seeds(seed: int, n: int) -> list[int]:
    """Integer seeds of ``n`` assets: child ``i`` of ``SeedSequence(seed)`` for asset ``i``.

    Parameters
    ----------
    seed : int
        Root seed of the run (``run.seed`` of the configuration).
    n : int
        Number of assets (>= 0).

    Returns
    -------
    list of int
        One seed in ``[0, 2**32)`` per asset, in asset order: the first 32-bit word of the
        state of child ``i`` (see :func:`riskkit.parallel.spawn_seeds`). It depends only on
        ``seed`` and the asset's position, not on the executor.
    """
    return [int(s.generate_state(1, dtype=np.uint32)[0]) for s in spawn_seeds(seed, n)]


def calibrate_assets(
    data: Mapping[str, pd.DataFrame],
    config: CalibrationConfig,
    executor: Any = None,
    *,
    calibrator: str = DEFAULT_CALIBRATOR,
    progress: bool | None = None,
) -> list[AssetOutcome]:
    """Calibrate every asset of ``data`` on ``executor``; outcomes in the order of ``data``.

    Parameters
    ----------
    data : mapping
        ``{asset: OHLCV DataFrame}``, in the order seeds are assigned.
    config : CalibrationConfig
        Model, margin and backtest settings, and the root seed.
    executor : str or executor, optional
        Default ``config.executor``; anything :func:`riskkit.parallel.executor_from_spec` accepts.
    calibrator : str
        ``"module:function"`` called as ``fn(asset, ohlcv, settings, estimator=, seed=,
        executor=, progress=)``; default :func:`riskkit.margin.calibrate_asset`.
    progress : bool, optional
        Progress bar over assets.

    Returns
    -------
    list of AssetOutcome
        One per asset; a failed asset has ``error`` set and ``calibration`` None.

    Notes
    -----
    With several assets, assets run in parallel and each asset's backtest runs serially inside
    its worker; with one asset, the asset runs here and its backtest gets the executor. Both give
    the same numbers because seeds depend only on task positions.
    """
    executor = config.executor if executor is None else executor
    assets = list(data)
    seeds = asset_seeds(config.seed, len(assets))
    tasks = [
        AssetTask(a, data[a], config, s, inner_executor="serial", calibrator=calibrator)
        for a, s in zip(assets, seeds, strict=True)
    ]
    if not tasks:
        return []
    if len(tasks) == 1:
        # one asset: run it here and give its rolling backtest the pool (created once, not once
        # per rolling_forecast call)
        with executor_from_spec(executor, max_workers=config.max_workers) as pool:
            task = dataclasses.replace(tasks[0], inner_executor=pool)
            results = map_tasks(run_asset, [task], "serial", return_exceptions=True, progress=False)
    else:
        with executor_from_spec(executor, max_workers=config.max_workers) as pool:
            results = map_tasks(
                run_asset,
                tasks,
                pool,
                return_exceptions=True,
                progress=progress,
                description="assets",
            )
    outcomes = []
    for task, res in zip(tasks, results, strict=True):
        if isinstance(res, TaskFailure):  # the worker itself died (killed, out of memory)
            res = AssetOutcome(
                task.asset, error=f"{type(res.error).__name__}: {res.error}", stage="worker"
            )
        outcomes.append(res)
    return outcomes


# --------------------------------------------------------------------------------------------
# data


@dataclass
class AssetData:
    """Prices of one asset and what the quality checks found."""

    asset: str
    ohlcv: pd.DataFrame | None
    quality: dict[str, Any]
    issues: pd.DataFrame | None = None
    error: str | None = None


def _quality_row(asset: str, ohlcv: pd.DataFrame, report: Any, cleaning: Any) -> dict[str, Any]:
    idx = ohlcv.index
    days = int((idx.max() - idx.min()).days) + 1 if len(idx) else 0
    counts = report.counts().to_dict() if report is not None else {}
    return {
        "asset": asset,
        "first_bar": str(idx.min().date()) if len(idx) else "",
        "last_bar": str(idx.max().date()) if len(idx) else "",
        "bars": len(ohlcv),
        "calendar_days": days,
        "missing_days": days - len(ohlcv),
        "defects_raw": report.summary() if report is not None else "not checked",
        "errors_raw": int((report.issues["severity"] == "error").sum())
        if report is not None
        else 0,
        "warnings_raw": int((report.issues["severity"] == "warning").sum())
        if report is not None
        else 0,
        "rows_changed_by_cleaning": 0 if cleaning is None else len(cleaning),
        **{f"n_{k}": v for k, v in counts.items()},
    }


def load_asset_data(config: CalibrationConfig) -> list[AssetData]:
    """Load and check the prices of every asset of ``config``; a failure is kept per asset.

    Bundled data: :func:`riskkit.datasets.load_ohlcv` (cleaned with the documented steps when
    ``data.clean``) and :func:`riskkit.datasets.quality_report` on the raw rows. User files:
    :func:`riskkit.data.read_prices`, :func:`riskkit.data.validate` and, when ``data.clean``,
    :func:`riskkit.data.clean`. Binance: :func:`riskkit.download` archives (cached).
    """
    spec = config.data
    out: list[AssetData] = []
    for asset in config.assets:
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")  # the defects are reported in data_quality.csv
                ohlcv, report, cleaning = _load_one(asset, config)
            if spec.start or spec.end:
                ohlcv = ohlcv.loc[spec.start : spec.end]
            if ohlcv.empty:
                raise DataError(
                    f"{asset}: no bars between {spec.start or 'the start'} and "
                    f"{spec.end or 'the end'} of the data"
                )
            issues = None
            if report is not None and len(report):
                issues = report.to_frame().drop(columns="rows", errors="ignore")
                issues.insert(0, "asset", asset)
            out.append(
                AssetData(asset, ohlcv, _quality_row(asset, ohlcv, report, cleaning), issues)
            )
        except Exception as exc:  # recorded and reported; other assets carry on
            msg = f"{type(exc).__name__}: {exc}"
            out.append(AssetData(asset, None, {"asset": asset, "error": msg}, error=msg))
    return out


def _load_one(asset: str, config: CalibrationConfig) -> tuple[pd.DataFrame, Any, Any]:
    spec = config.data
    if spec.source == "bundled":
        from riskkit import data as rdata
        from riskkit import datasets

        # checked and cleaned over the configured dates only, so the report speaks of the data used
        raw = datasets.load_ohlcv(asset, spec.exchange, clean=False, start=spec.start, end=spec.end)
        name = f"{spec.exchange} {asset}"
        if raw.empty:
            return raw, None, None
        report = rdata.validate(
            raw[["open", "high", "low", "close", "volume"]], freq="1D", name=name, warn=False
        )
        ohlcv = datasets.load_ohlcv(asset, spec.exchange, clean=spec.clean)
        cleaning = ohlcv.attrs.get("cleaning")
        ohlcv = ohlcv.loc[spec.start : spec.end]
        if isinstance(cleaning, pd.DataFrame) and "date" in cleaning and len(cleaning):
            when = pd.to_datetime(cleaning["date"], errors="coerce")
            lo = pd.Timestamp(spec.start) if spec.start else when.min()
            hi = pd.Timestamp(spec.end) if spec.end else when.max()
            cleaning = cleaning[(when >= lo) & (when <= hi)]
        return ohlcv, report, cleaning
    if spec.source == "files":
        from riskkit import data as rdata

        path = spec.files[asset]
        raw = rdata.read_prices(
            path, timestamp=spec.timestamp, columns=spec.columns or None, freq="1D", check=False
        )
        report = rdata.validate(raw, freq="1D", name=Path(path).name, warn=False)
        if spec.clean:
            ohlcv, cleaning = rdata.clean(
                raw, keep="max_volume" if "volume" in raw else "first", name=Path(path).name
            )
        else:
            ohlcv, cleaning = raw, None
        return ohlcv, report, cleaning
    if spec.source == "binance":
        return _load_binance(asset, config)
    raise ConfigError(f"data.source: unknown source {spec.source!r}")  # pragma: no cover


def _load_binance(asset: str, config: CalibrationConfig) -> tuple[pd.DataFrame, Any, Any]:
    from riskkit import data as rdata
    from riskkit import download

    b = config.data.binance
    symbol = b["symbols"][asset]
    ohlcv = download.download_klines(
        symbol,
        b.get("interval", "1d"),
        config.data.start,
        config.data.end,
        market=b.get("market", "spot"),
        check=False,
        cache_dir=b.get("cache_dir"),
    )
    ohlcv = ohlcv[[c for c in ("open", "high", "low", "close", "volume") if c in ohlcv]]
    report = rdata.validate(ohlcv, freq="1D", name=f"binance {symbol}", warn=False)
    cleaning = None
    if config.data.clean:
        ohlcv, cleaning = rdata.clean(ohlcv, name=f"binance {symbol}")
    return ohlcv, report, cleaning


# --------------------------------------------------------------------------------------------
# the run


@dataclass
class RunResult:
    """What :func:`run_calibration` produced.

    Attributes
    ----------
    run_dir : pathlib.Path
    parameter_file : pathlib.Path or None
        None when no asset succeeded.
    succeeded : list of str
    failed : dict
        ``{asset: "stage: reason"}``.
    stage_errors : dict
        Failures of run-level stages (``figures``, ``report``...): ``{stage: reason}``.
    seconds : float
        Wall time of the run.
    """

    run_dir: Path
    parameter_file: Path | None
    succeeded: list[str]
    failed: dict[str, str]
    stage_errors: dict[str, str]
    seconds: float
    report: Path | None = None

    @property
    def ok(self) -> bool:
        """True when every asset and every stage succeeded."""
        return not self.failed and not self.stage_errors


class _Stage:
    """Logs the start, end and duration of a stage; records a failure instead of raising."""

    def __init__(self, name: str, errors: dict[str, str], timings: dict[str, float]) -> None:
        self.name, self.errors, self.timings = name, errors, timings

    def __enter__(self) -> _Stage:
        logger.info("stage %s: started", self.name)
        self.t0 = time.perf_counter()
        return self

    def __exit__(self, exc_type: Any, exc: BaseException | None, tb: Any) -> bool:
        dt = time.perf_counter() - self.t0
        self.timings[self.name] = round(dt, 3)
        if exc is None:
            logger.info("stage %s: done in %.1f s", self.name, dt)
            return False
        if not isinstance(exc, Exception):
            return False  # KeyboardInterrupt and friends stop the run
        self.errors[self.name] = f"{type(exc).__name__}: {exc}"
        logger.error("stage %s FAILED after %.1f s: %s: %s", self.name, dt, type(exc).__name__, exc)
        if not isinstance(exc, RiskkitError):
            logger.debug("traceback", exc_info=(exc_type, exc, tb))
        return True


def _utcnow() -> _dt.datetime:
    return _dt.datetime.now(_dt.UTC).replace(microsecond=0)


def _run_dir(config: CalibrationConfig, out_dir: str | os.PathLike[str] | None) -> Path:
    if out_dir is not None:
        path = Path(out_dir)
    else:
        name = config.output.run_name or (f"{_utcnow():%Y%m%dT%H%M%SZ}-{config.fingerprint()[:8]}")
        path = Path(config.output.directory) / name
        if config.output.run_name is None:
            base, i = path, 1
            while path.exists():  # two runs in the same second
                i += 1
                path = base.with_name(f"{base.name}-{i}")
    path.mkdir(parents=True, exist_ok=True)
    return path


def _attach_log(run_dir: Path) -> logging.Handler:
    handler = logging.FileHandler(run_dir / "calibration.log", encoding="utf-8")
    handler.setLevel(logging.DEBUG)
    handler.setFormatter(
        logging.Formatter("%(asctime)s %(levelname)-7s %(name)s: %(message)s", "%Y-%m-%dT%H:%M:%S")
    )
    root = logging.getLogger("riskkit")
    root.addHandler(handler)
    if root.level == logging.NOTSET or root.level > logging.INFO:
        root.setLevel(logging.INFO)
    return handler


def run_calibration(
    config: CalibrationConfig | str | os.PathLike[str],
    *,
    out_dir: str | os.PathLike[str] | None = None,
    executor: Any = None,
    report: bool | None = None,
    calibrator: str = DEFAULT_CALIBRATOR,
    progress: bool | None = None,
) -> RunResult:
    """Run a whole calibration and write its run directory (see the module docstring).

    Parameters
    ----------
    config : CalibrationConfig or path
        A validated configuration, or a YAML file to load.
    out_dir : path, optional
        Run directory (default: ``output.directory/<timestamp>-<fingerprint>``).
    executor : str or executor, optional
        Overrides ``config.executor`` (e.g. a ``dask.distributed.Client``).
    report : bool, optional
        Overrides ``config.report.enabled``.
    calibrator : str
        Per-asset function ``"module:function"`` (default ``riskkit.margin:calibrate_asset``).
    progress : bool, optional
        Progress bar over assets.

    Returns
    -------
    RunResult
        ``ok`` is False if an asset or a stage failed; everything that succeeded is written.

    Raises
    ------
    ConfigError
        Invalid configuration (before anything is written).
    """
    if not isinstance(config, CalibrationConfig):
        config = load_config(config)
    t_start = time.perf_counter()
    started = _utcnow()
    run_dir = _run_dir(config, out_dir)
    handler = _attach_log(run_dir)
    errors: dict[str, str] = {}
    timings: dict[str, float] = {}
    failed: dict[str, str] = {}
    asset_log: dict[str, dict[str, Any]] = {a: {"status": "pending"} for a in config.assets}
    outcomes: list[AssetOutcome] = []
    param_path: Path | None = None
    report_path: Path | None = None
    executor = config.executor if executor is None else executor
    try:
        logger.info(
            "calibration %r: %d asset(s) %s, model %s, %s %.4g over %s day(s), executor %s; "
            "run directory %s",
            config.name,
            len(config.assets),
            ", ".join(config.assets),
            config.model.describe(),
            config.margin.get("measure", "es"),
            config.margin.get("level", float("nan")),
            config.margin.get("horizon_days", "default"),
            executor if isinstance(executor, str) else type(executor).__name__,
            run_dir,
        )
        (run_dir / "config.yaml").write_text(config.to_yaml(), encoding="utf-8")

        with _Stage("load data", errors, timings):
            loaded = load_asset_data(config)
            quality = pd.DataFrame([d.quality for d in loaded])
            quality.to_csv(run_dir / "data_quality.csv", index=False)
            issues = [d.issues for d in loaded if d.issues is not None]
            if issues:
                pd.concat(issues, ignore_index=True).to_csv(
                    run_dir / "data_issues.csv", index=False
                )
            for d in loaded:
                if d.error:
                    failed[d.asset] = f"load data: {d.error}"
                    asset_log[d.asset] = {
                        "status": "failed",
                        "stage": "load data",
                        "error": d.error,
                    }
                    logger.error("asset %s: stage load data FAILED: %s", d.asset, d.error)
                else:
                    q = d.quality
                    logger.info(
                        "asset %s: %d bars %s to %s, raw data: %s",
                        d.asset,
                        q["bars"],
                        q["first_bar"],
                        q["last_bar"],
                        q["defects_raw"],
                    )

        data = {d.asset: d.ohlcv for d in loaded if d.ohlcv is not None}
        with _Stage("calibrate", errors, timings):
            outcomes = calibrate_assets(
                data, config, executor, calibrator=calibrator, progress=progress
            )
            for o in outcomes:
                for w in o.warnings:
                    logger.warning("asset %s: %s", o.asset, w)
                if o.ok:
                    asset_log[o.asset] = {"status": "ok", "seconds": round(o.seconds, 3)}
                    logger.info("asset %s: calibrated in %.1f s", o.asset, o.seconds)
                else:
                    failed[o.asset] = f"{o.stage}: {o.error}"
                    asset_log[o.asset] = {
                        "status": "failed",
                        "stage": o.stage,
                        "error": o.error,
                        "seconds": round(o.seconds, 3),
                    }
                    logger.error("asset %s: stage %s FAILED: %s", o.asset, o.stage, o.error)
        good = [o for o in outcomes if o.ok]

        with _Stage("write tables", errors, timings):
            for o in good:
                try:
                    _write_tables(o, run_dir / "tables")
                except Exception as exc:
                    msg = f"{type(exc).__name__}: {exc}"
                    asset_log[o.asset]["tables_error"] = msg
                    errors[f"write tables {o.asset}"] = msg
                    logger.error("asset %s: stage write tables FAILED: %s", o.asset, msg)

        if good:
            with _Stage("parameter file", errors, timings):
                param_path = _write_parameters(good, config, run_dir, loaded, started)
                logger.info("parameter file %s (%d asset(s))", param_path, len(good))
                if config.output.latest and failed:
                    # a margin engine reading the stable path must never get a file that silently
                    # lacks an asset: the partial file stays in the run directory only
                    logger.error(
                        "%s left unchanged: %d asset(s) failed (%s); the partial parameter file "
                        "is %s",
                        config.output.latest,
                        len(failed),
                        ", ".join(failed),
                        param_path,
                    )
                elif config.output.latest:
                    latest = Path(config.output.latest)
                    latest.parent.mkdir(parents=True, exist_ok=True)
                    shutil.copyfile(param_path, latest)
                    logger.info("copied to %s", latest)
        else:
            errors["parameter file"] = "no asset was calibrated: nothing to write"
            logger.error("no asset was calibrated: no parameter file")

        if config.output.figure_formats:
            stage_figures = _Stage("figures", errors, timings)
        else:
            stage_figures = contextlib.nullcontext()
            logger.info("no figure format configured: figures skipped")
        with stage_figures:
            for o in good:
                try:
                    asset_figures(
                        o.asset,
                        o.calibration,
                        run_dir / "figures",
                        config.output.figure_formats,
                    )
                except Exception as exc:
                    msg = f"{type(exc).__name__}: {exc}"
                    errors[f"figures {o.asset}"] = msg
                    logger.error("asset %s: stage figures FAILED: %s", o.asset, msg)

        _write_manifest(
            run_dir, config, started, t_start, asset_log, timings, errors, executor, param_path
        )
        do_report = config.report.enabled if report is None else report
        if do_report and param_path is not None:
            with _Stage("report", errors, timings):
                report_path = execute_report(run_dir, config.report.timeout)
                logger.info("report %s", report_path.with_suffix(".html"))
        if do_report and config.report.all_notebooks:
            with _Stage("notebooks", errors, timings):
                _execute_all_notebooks(config, run_dir, report_path)
    finally:
        seconds = time.perf_counter() - t_start
        _write_manifest(
            run_dir, config, started, t_start, asset_log, timings, errors, executor, param_path
        )
        ok = not failed and not errors
        logger.info(
            "calibration %r %s in %.1f s: %d asset(s) ok%s",
            config.name,
            "finished" if ok else "finished WITH FAILURES",
            seconds,
            len([o for o in outcomes if o.ok]),
            "" if not failed else "; failed: " + "; ".join(f"{a} ({m})" for a, m in failed.items()),
        )
        logging.getLogger("riskkit").removeHandler(handler)
        handler.close()
    return RunResult(
        run_dir=run_dir,
        parameter_file=param_path,
        succeeded=[o.asset for o in outcomes if o.ok],
        failed=failed,
        stage_errors=errors,
        seconds=seconds,
        report=report_path,
    )


#: tables of an AssetCalibration written to ``tables/<ASSET>/<name>.csv``
TABLES = ("margin_path", "backtest", "coverage", "coverage_tests", "stress", "tiers")


def _asset_tables(cal: Any) -> dict[str, pd.DataFrame]:
    """The tables of one calibration, each with its index turned into columns."""
    out: dict[str, pd.DataFrame] = {}
    for name in TABLES:
        value = getattr(cal, name, None)
        if isinstance(value, pd.Series):
            value = value.to_frame()
        if isinstance(value, pd.DataFrame):
            out[name] = value
    for side, frame in (getattr(cal, "forecasts", None) or {}).items():
        if isinstance(frame, pd.DataFrame):
            out[f"forecasts_{side}"] = frame
    insurance = getattr(cal, "insurance", None)
    table = getattr(insurance, "table", None)
    if isinstance(table, pd.DataFrame):
        out["insurance"] = table
    return {
        k: (v.reset_index() if not isinstance(v.index, pd.RangeIndex) else v)
        for k, v in out.items()
    }


def _write_tables(outcome: AssetOutcome, directory: Path) -> None:
    target = directory / outcome.asset
    target.mkdir(parents=True, exist_ok=True)
    cal = outcome.calibration
    for name, frame in _asset_tables(cal).items():
        frame.to_csv(target / f"{name}.csv", index=False, float_format="%.10g")
    params = getattr(cal, "parameters", None)
    if isinstance(params, Mapping):
        (target / "parameters.json").write_text(
            json.dumps(params, indent=2, sort_keys=True, default=_json_default), encoding="utf-8"
        )


def _json_default(value: Any) -> Any:
    if isinstance(value, (np.integer,)):
        return int(value)
    if isinstance(value, (np.floating,)):
        return None if not math.isfinite(float(value)) else float(value)
    if isinstance(value, (np.ndarray, tuple)):
        return list(value)
    if isinstance(value, (pd.Timestamp, _dt.date)):
        return value.isoformat()
    return str(value)


def _provenance(config: CalibrationConfig, loaded: Sequence[AssetData]) -> dict[str, Any]:
    from riskkit import __version__

    prov: dict[str, Any] = {
        "riskkit_version": __version__,
        "config_name": config.name,
        "config_sha256": config.fingerprint(),
        # where and how the run executed does not change a number: left out of the record
        "config": config.to_dict() | {"output": None, "report": None, "run": {"seed": config.seed}},
        "data_source": config.data.source,
        "seed": config.seed,
        "assets_requested": list(config.assets),
        "data": {
            d.asset: {k: v for k, v in d.quality.items() if not k.startswith("n_")} for d in loaded
        },
    }
    if config.data.source == "bundled":
        try:
            from riskkit.datasets import provenance

            crypto = provenance()["crypto"]
            prov["dataset"] = {k: v for k, v in crypto.items() if k != "file"}
            prov["dataset"]["exchange"] = config.data.exchange
        except Exception as exc:  # provenance is a record, never a reason to lose results
            prov["dataset"] = {"error": f"{type(exc).__name__}: {exc}"}
    elif config.data.source == "files":
        import hashlib

        prov["files"] = {
            a: {
                "name": Path(p).name,
                "sha256": hashlib.sha256(Path(p).read_bytes()).hexdigest(),
            }
            for a, p in config.data.files.items()
        }
    return prov


def _write_parameters(
    good: Sequence[AssetOutcome],
    config: CalibrationConfig,
    run_dir: Path,
    loaded: Sequence[AssetData],
    started: _dt.datetime,
) -> Path:
    from riskkit import margin

    settings = config.margin_settings()
    prov = _provenance(config, loaded)
    data = margin.build_parameter_set(
        {o.asset: o.calibration for o in good}, settings, prov, created=started
    )
    margin.validate_parameter_set(data)
    path = run_dir / PARAMETER_FILE
    margin.write_parameter_set(data, path)
    return path


def _write_manifest(
    run_dir: Path,
    config: CalibrationConfig,
    started: _dt.datetime,
    t_start: float,
    asset_log: Mapping[str, Any],
    timings: Mapping[str, float],
    errors: Mapping[str, str],
    executor: Any,
    param_path: Path | None,
) -> None:
    from riskkit import __version__

    manifest = {
        "name": config.name,
        "config_source": config.source,
        "config_sha256": config.fingerprint(),
        "riskkit_version": __version__,
        "started": started.isoformat(),
        "finished": _utcnow().isoformat(),
        "elapsed_seconds": round(time.perf_counter() - t_start, 3),
        "executor": executor if isinstance(executor, str) else type(executor).__name__,
        "assets": dict(asset_log),
        "stages": dict(timings),
        "stage_errors": dict(errors),
        "parameter_file": None if param_path is None else param_path.name,
        "ok": not errors and all(v.get("status") == "ok" for v in asset_log.values()),
    }
    (run_dir / "run.json").write_text(
        json.dumps(manifest, indent=2, default=_json_default), encoding="utf-8"
    )


def _report_notebook() -> Path:
    from riskkit.report import NOTEBOOK_DIR

    path = NOTEBOOK_DIR / f"{REPORT_NOTEBOOK}.ipynb"
    if not path.exists():
        raise RiskkitError(
            f"report notebook {path} not found: the report needs a source checkout of riskkit "
            "(or set report: false)"
        )
    return path


def execute_report(run_dir: str | os.PathLike[str], timeout: int = 1200) -> Path:
    """Execute the report notebook (08) on a run directory; writes ``run_dir/report/``.

    Parameters
    ----------
    run_dir : path
        A directory written by :func:`run_calibration`.
    timeout : int
        Seconds a single cell may run.

    Returns
    -------
    pathlib.Path
        The executed notebook (the HTML export is next to it).
    """
    from riskkit.report import execute_notebook

    run_dir = Path(run_dir)
    return execute_notebook(
        _report_notebook(),
        run_dir / "report",
        parameters={"run_dir": str(run_dir.resolve())},
        html=True,
        timeout=timeout,
    )


def _execute_one_notebook(task: tuple[str, str, int]) -> tuple[str, float, str | None]:
    """Execute one notebook (runs in a worker process); returns (name, seconds, error)."""
    from riskkit.report import execute_notebook

    path, target, timeout = task
    t0 = time.perf_counter()
    try:
        execute_notebook(path, target, html=True, timeout=timeout)
    except RiskkitError as exc:
        return Path(path).stem, time.perf_counter() - t0, str(exc)
    return Path(path).stem, time.perf_counter() - t0, None


def _execute_all_notebooks(
    config: CalibrationConfig, run_dir: Path, report_path: Path | None
) -> None:
    """Execute the other notebooks with their default parameters into ``report.notebooks_dir``
    (two at a time: each runs in its own kernel); notebook 08 is this run's report, copied."""
    from concurrent.futures import ProcessPoolExecutor

    from riskkit.report import list_notebooks

    target = Path(config.report.notebooks_dir)
    target.mkdir(parents=True, exist_ok=True)
    tasks = []
    for nb in list_notebooks():
        if nb.stem == REPORT_NOTEBOOK:
            if report_path is not None:
                for suffix in (".ipynb", ".html"):
                    shutil.copyfile(report_path.with_suffix(suffix), target / f"{nb.stem}{suffix}")
            continue
        tasks.append((str(nb), str(target), config.report.timeout))
    workers = max(1, min(2, config.max_workers or os.cpu_count() or 1, len(tasks)))
    logger.info("executing %d notebook(s) on %d process(es) into %s", len(tasks), workers, target)
    with ProcessPoolExecutor(max_workers=workers) as pool:
        results = map_tasks(_execute_one_notebook, tasks, pool, progress=False)
    failures = []
    for name, seconds, error in results:
        if error is None:
            logger.info("notebook %s: executed in %.1f s", name, seconds)
        else:
            failures.append(name)
            logger.error("notebook %s FAILED: %s", name, error)
    if failures:
        raise RiskkitError(f"notebook(s) failed: {', '.join(failures)} (see the log)")


# --------------------------------------------------------------------------------------------
# figures


def _save(fig: Any, directory: Path, stem: str, formats: Sequence[str]) -> list[Path]:
    directory.mkdir(parents=True, exist_ok=True)
    paths = []
    for fmt in formats:
        path = directory / f"{stem}.{fmt}"
        # fixed metadata: the same run gives byte-identical SVG/PDF files
        meta = {"Date": None} if fmt in ("svg", "pdf") else {}
        fig.savefig(path, dpi=120, bbox_inches="tight", metadata=meta or None)
        paths.append(path)
    return paths


def asset_figures(
    asset: str, calibration: Any, directory: Path, formats: Sequence[str] = ("png", "svg")
) -> list[Path]:
    """Figures of one asset's calibration, saved in every format under ``directory/<asset>/``.

    ``backtest``: realised 1-day returns against minus the VaR and ES forecasts of the long
    position's loss, failures marked (:func:`riskkit.backtest.plot_backtest`); ``margin_path``:
    the model margin over the margin period of risk, the charged margin after APC, and the
    published initial and maintenance margin rates.

    Parameters
    ----------
    asset : str
        Asset name; also the name of the sub-directory.
    calibration : riskkit.margin.AssetCalibration
        Result of the per-asset calibration. Only the attributes ``settings`` (``level``,
        default 0.99; ``horizon_days``; ``apc``), ``forecasts["long"]`` and ``margin_path`` are
        read; a figure whose input is missing or empty is skipped.
    directory : pathlib.Path
        Root of the figures; files go to ``directory / asset``, created if missing.
    formats : sequence of str
        File extensions matplotlib can write (``"png"``, ``"svg"``, ``"pdf"``...), one file per
        figure and format (PNG at 120 dpi; SVG/PDF without a date, so reruns are identical).

    Returns
    -------
    list of pathlib.Path
        The files written (``backtest.<fmt>``, then ``margin_path.<fmt>``); empty if neither
        figure had data.

    Raises
    ------
    DataError
        If ``forecasts["long"]`` lacks the ``loss`` or ``var_<level>`` column.

    Notes
    -----
    Figures are built as ``matplotlib.figure.Figure`` objects, without pyplot, so the caller's
    matplotlib backend and open figures are left alone (this also runs on worker processes).
    """
    from matplotlib.figure import Figure

    from riskkit.backtest import plot_backtest

    settings = getattr(calibration, "settings", None)
    level = getattr(settings, "level", 0.99)
    target = directory / asset
    out: list[Path] = []
    forecasts = (getattr(calibration, "forecasts", None) or {}).get("long")
    if isinstance(forecasts, pd.DataFrame) and not forecasts.empty:
        fig = Figure(figsize=(10, 4))
        ax = fig.subplots()
        plot_backtest(
            forecasts,
            level,
            ax=ax,
            title=f"{asset}: 1-day forecasts of the long position's loss, out of sample",
        )
        ax.set_xlabel("forecast date (UTC)")
        out += _save(fig, target, "backtest", formats)
    mp = getattr(calibration, "margin_path", None)
    if isinstance(mp, pd.DataFrame) and not mp.empty:
        labels = {
            "raw_im": "model margin (before APC)",
            "charged_im": "charged margin (after APC)",
            "im": "published initial margin",
            "mm": "published maintenance margin",
        }
        styles = {"raw_im": "-", "charged_im": "-", "im": "-", "mm": "--"}
        fig = Figure(figsize=(10, 4))
        ax = fig.subplots()
        for col, label in labels.items():
            if col in mp.columns:
                lw = 0.8 if col == "raw_im" else 1.2
                ax.plot(mp.index, mp[col], ls=styles[col], lw=lw, label=label)
        horizon = getattr(settings, "horizon_days", None)
        apc = getattr(settings, "apc", "none")
        ax.set_xlabel("date (UTC)")
        ax.set_ylabel("margin rate (fraction of notional)")
        sub = f" over {horizon:g} day(s), APC: {apc}" if horizon is not None else ""
        ax.set_title(f"{asset}: margin path{sub}")
        ax.legend(loc="upper left", fontsize=8)
        out += _save(fig, target, "margin_path", formats)
    return out


# --------------------------------------------------------------------------------------------
# reading a run back (for the report notebook and tests)


@dataclass
class RunRecord:
    """A finished run directory, read back.

    Attributes
    ----------
    run_dir : pathlib.Path
    manifest : dict
        ``run.json``.
    config : CalibrationConfig
    parameters : dict or None
        The parameter file.
    quality : pandas.DataFrame
        ``data_quality.csv``.
    issues : pandas.DataFrame
        ``data_issues.csv`` (empty if no defect).
    tables : dict
        ``{asset: {table name: DataFrame}}``.
    figures : dict
        ``{asset: {figure name: path of the PNG}}``.
    """

    run_dir: Path
    manifest: dict[str, Any]
    config: CalibrationConfig
    parameters: dict[str, Any] | None
    quality: pd.DataFrame
    issues: pd.DataFrame
    tables: dict[str, dict[str, pd.DataFrame]]
    figures: dict[str, dict[str, Path]]

    @property
    def assets_ok(self) -> list[str]:
        return [a for a, v in self.manifest["assets"].items() if v.get("status") == "ok"]

    @property
    def assets_failed(self) -> dict[str, str]:
        return {
            a: f"{v.get('stage')}: {v.get('error')}"
            for a, v in self.manifest["assets"].items()
            if v.get("status") != "ok"
        }

    @property
    def level(self) -> float:
        """Confidence level of the margin (from the parameter file's settings)."""
        if self.parameters is not None:
            return float(self.parameters["settings"]["level"])
        return float(self.config.margin.get("level", 0.99))

    def parameter_table(self) -> pd.DataFrame:
        """The published parameters, one row per asset (rates as fractions of notional)."""
        if not self.parameters:
            return pd.DataFrame()
        rows = {}
        for asset, p in self.parameters["assets"].items():
            rows[asset] = {
                "as_of": p.get("as_of"),
                "im_rate": p.get("im_rate"),
                "mm_rate": p.get("mm_rate"),
                "max_leverage": p.get("max_leverage"),
                "raw_im_rate": p.get("raw_im_rate"),
                "collateral_haircut": p.get("collateral_haircut"),
                "liquidation_penalty": p.get("liquidation_penalty"),
                "insurance_fund_fraction": p.get("insurance_fund_fraction"),
                "tiers": len(p.get("tiers", [])),
                "volatility_daily": p.get("volatility_daily"),
            }
        return pd.DataFrame.from_dict(rows, orient="index").rename_axis("asset")

    def traffic_lights(self, last: int | None = 250) -> pd.DataFrame:
        """Basel traffic light of the 1-day VaR of each asset and position side.

        Parameters
        ----------
        last : int or None
            Use the last ``last`` forecasts (250: the Basel Committee's window); None: all.

        Returns
        -------
        DataFrame
            Index (asset, side); columns ``n``, ``failures``, ``expected``, ``zone``,
            ``cumulative_probability`` (P(X <= failures) under a correct model).

        References
        ----------
        Basel Committee on Banking Supervision (1996), "Supervisory framework for the use of
        'backtesting' in conjunction with the internal models approach to market risk capital
        requirements", Table 2 (via :func:`riskkit.backtest.traffic_light`).
        """
        from riskkit.backtest import traffic_light

        level = self.level
        col = f"var_{level:g}"
        rows = {}
        for asset, tables in self.tables.items():
            for side in ("long", "short"):
                fc = tables.get(f"forecasts_{side}")
                if fc is None or col not in fc:
                    continue
                fc = fc.dropna(subset=["loss", col])
                if last is not None:
                    fc = fc.iloc[-last:]
                k, n = int((fc["loss"] > fc[col]).sum()), len(fc)
                tl = traffic_light(k, n, level)
                rows[(asset, side)] = {
                    "first": fc.index[0].date() if n else None,
                    "last": fc.index[-1].date() if n else None,
                    "n": n,
                    "failures": k,
                    "expected": n * (1 - level),
                    "zone": tl["zone"],
                    "cumulative_probability": tl["cumulative_probability"],
                }
        out = pd.DataFrame.from_dict(rows, orient="index")
        if not out.empty:
            out.index = out.index.set_names(["asset", "side"])
        return out

    def backtest_battery(self) -> pd.DataFrame:
        """The VaR/ES test battery of every asset: failure counts, zone and the p-value of each
        test (Kupiec, Christoffersen, duration, ES tests), one row per asset and side."""
        frames = {}
        for asset, tables in self.tables.items():
            frame = tables.get("backtest")
            if frame is None or frame.empty:
                continue
            index = [c for c in ("side", "level", "test") if c in frame.columns]
            frame = frame.set_index(index)
            keep = [c for c in ("n", "failures", "expected", "zone") if c in frame.columns]
            pvalues = [c for c in frame.columns if str(c).endswith(("_pvalue", "pvalue"))]
            frames[asset] = frame[keep + pvalues] if pvalues else frame
        if not frames:
            return pd.DataFrame()
        return pd.concat(frames, names=["asset"])

    def model_warnings(self) -> pd.DataFrame:
        """Warnings the run logged against each asset (convergence fallbacks, data quality)."""
        log = self.run_dir / "calibration.log"
        rows = []
        if log.is_file():
            for line in log.read_text(encoding="utf-8").splitlines():
                if " WARNING " in line and ": asset " in line:
                    msg = line.split(": asset ", 1)[1]
                    asset, _, text = msg.partition(": ")
                    kind, _, detail = text.partition(": ")
                    rows.append({"asset": asset, "warning": kind, "detail": detail})
        return pd.DataFrame(rows, columns=["asset", "warning", "detail"])

    def signoff_checks(self) -> pd.DataFrame:
        """Checks a risk committee wants passed before it signs the parameters off.

        Returns
        -------
        DataFrame
            One row per check: ``check``, ``passed`` (bool) and ``evidence``.
        """
        rows = []

        def add(check: str, passed: bool, evidence: str) -> None:
            rows.append({"check": check, "passed": bool(passed), "evidence": evidence})

        failed = self.assets_failed
        add(
            "every asset calibrated",
            not failed,
            "all of " + ", ".join(self.manifest["assets"])
            if not failed
            else "; ".join(f"{a}: {m}" for a, m in failed.items()),
        )
        if self.parameters is not None:
            from riskkit.margin import validate_parameter_set

            try:
                validate_parameter_set(self.parameters)
                add("parameter file valid against its JSON Schema", True, PARAMETER_FILE)
            except RiskkitError as exc:
                add("parameter file valid against its JSON Schema", False, str(exc)[:300])
        else:
            add("parameter file valid against its JSON Schema", False, "no parameter file")
        tl = self.traffic_lights(250)
        if not tl.empty:
            bad = tl[tl["zone"] != "green"]
            add(
                "1-day VaR in the green zone (last 250 days, both sides)",
                bad.empty,
                "all green"
                if bad.empty
                else ", ".join(
                    f"{a} {s}: {r.zone} ({r.failures} failures)" for (a, s), r in bad.iterrows()
                ),
            )
        zones = []
        for asset, tables in self.tables.items():
            ct = tables.get("coverage_tests")
            if ct is not None and "zone" in ct:
                for r in ct.itertuples():
                    if r.zone != "green":
                        zones.append(f"{asset} {r.margin} {r.side}: {r.zone}")
        if self.tables:
            add(
                "margin coverage in the green zone (IM and MM, both sides)",
                not zones,
                "all green" if not zones else "; ".join(sorted(set(zones))),
            )
        errors = int(self.quality.get("errors_raw", pd.Series(dtype=float)).fillna(0).sum())
        add(
            "no unresolved data defect",
            all(
                self.quality.get("rows_changed_by_cleaning", pd.Series(dtype=float)).fillna(0)
                >= self.quality.get("errors_raw", pd.Series(dtype=float)).fillna(0)
            )
            if len(self.quality)
            else False,
            f"{errors} error-level defect(s) in the raw data, each removed by a logged cleaning "
            "step"
            if errors
            else "no error-level defect in the raw data",
        )
        if self.parameters is not None:
            ds = self.parameters["provenance"]["data"].get("dataset", {})
            if "sha256_matches_build" in ds:
                add(
                    "bundled data file unchanged since it was built",
                    bool(ds["sha256_matches_build"]),
                    f"sha256 {str(ds.get('sha256', ''))[:16]}...",
                )
        return pd.DataFrame(rows)


def load_run(run_dir: str | os.PathLike[str]) -> RunRecord:
    """Read a run directory written by :func:`run_calibration`.

    Raises
    ------
    RiskkitError
        If ``run_dir`` is not a run directory (no ``run.json``).
    """
    import yaml

    from riskkit.config import validate_config

    run_dir = Path(run_dir)
    manifest_path = run_dir / "run.json"
    if not manifest_path.is_file():
        raise RiskkitError(f"{run_dir} is not a calibration run directory (no run.json)")
    manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
    cfg = validate_config(
        yaml.safe_load((run_dir / "config.yaml").read_text(encoding="utf-8")),
        source=run_dir / "config.yaml",
    )
    params_path = run_dir / PARAMETER_FILE
    params = json.loads(params_path.read_text(encoding="utf-8")) if params_path.exists() else None
    quality = _read_csv(run_dir / "data_quality.csv")
    issues = _read_csv(run_dir / "data_issues.csv")
    tables: dict[str, dict[str, pd.DataFrame]] = {}
    for path in sorted((run_dir / "tables").glob("*/*.csv")):
        frame = pd.read_csv(path)
        if "date" in frame.columns:
            frame["date"] = pd.to_datetime(frame["date"])
            frame = frame.set_index("date")
        tables.setdefault(path.parent.name, {})[path.stem] = frame
    figures: dict[str, dict[str, Path]] = {}
    for path in sorted((run_dir / "figures").glob("*/*.png")):
        figures.setdefault(path.parent.name, {})[path.stem] = path
    return RunRecord(run_dir, manifest, cfg, params, quality, issues, tables, figures)


def _read_csv(path: Path) -> pd.DataFrame:
    return pd.read_csv(path) if path.is_file() else pd.DataFrame()


def strip_volatile(data: Any, keys: frozenset[str] = VOLATILE_KEYS) -> Any:
    """Copy of a parameter file with the fields that record when/where it was made removed.

    Two runs of the same configuration on the same data must agree on everything else.

    Parameters
    ----------
    data : Any
        A parameter file as parsed from JSON (nested dicts, lists and scalars).
    keys : frozenset of str
        Keys to remove at every depth; default :data:`VOLATILE_KEYS`.

    Returns
    -------
    Any
        A copy in which every mapping is a new dict without ``keys`` and every list a new list;
        other values (tuples included) are returned as they are.
    """
    if isinstance(data, Mapping):
        return {k: strip_volatile(v, keys) for k, v in data.items() if k not in keys}
    if isinstance(data, list):
        return [strip_volatile(v, keys) for v in data]
    return data


def demo_config(
    path: str | os.PathLike[str],
    out_dir: str | os.PathLike[str],
    assets: Sequence[str] | None = None,
    years: float = 2.0,
    window: int = 250,
    refit_every: int = 50,
) -> CalibrationConfig:
    """A fast version of the configuration in ``path``: recent data only, short window, rare refits.

    Used by the report notebook when it is run without a run directory (as in the test-suite):
    the same model and margin settings on the last ``years`` of data, writing into ``out_dir``
    and leaving the stable ``latest`` copy alone.

    Parameters
    ----------
    path : path-like
        The YAML configuration file.
    out_dir : path-like
        Becomes ``output.directory``; the run is named ``demo``.
    assets : sequence of str, optional
        Replaces the configuration's assets; default: keep them.
    years : float, default 2
        Length of the data window: ``data.start`` is set to ``round(365 * years)`` days before
        the end date, which is ``data.end`` of the configuration or, for bundled data without
        one, the earliest last date among the chosen assets on the configured exchange. With no
        end date known (other sources), ``data.start`` is left as configured.
    window : int, default 250
        ``backtest.window``: returns in each estimation window of the rolling backtest.
    refit_every : int, default 50
        ``backtest.refit_every``: forecasts between two re-estimations of the model.

    Returns
    -------
    CalibrationConfig
        Validated; also sets ``output.latest`` to None, ``report`` to False and
        ``run.executor`` to ``"serial"``.

    Raises
    ------
    ConfigError
        If the file is missing, not valid YAML, or invalid with these overrides.
    """
    base = load_config(path)
    overrides: dict[str, Any] = {
        "backtest.window": window,
        "backtest.refit_every": refit_every,
        "output.directory": str(out_dir),
        "output.run_name": "demo",
        "output.latest": None,
        "report": False,
        "run.executor": "serial",
    }
    if assets is not None:
        overrides["assets"] = list(assets)
    cfg = load_config(path, overrides=overrides)
    end = pd.Timestamp(base.data.end) if base.data.end else None
    if end is None and base.data.source == "bundled":
        from riskkit.datasets import available

        table = available()
        sub = table.xs(base.data.exchange, level="exchange")
        end = pd.Timestamp(sub.loc[list(cfg.assets), "end"].min())
    if end is not None:
        start = end - pd.Timedelta(days=int(round(years * 365)))
        cfg = load_config(path, overrides={**overrides, "data.start": str(start.date())})
    return cfg
