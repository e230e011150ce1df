"""One calibration run end to end: per-asset calibration on an executor, and the run itself.

:func:`run_calibration` takes a validated :class:`~riskkit.config.CalibrationConfig` and writes one
*run directory*::

    reports/runs/<UTC timestamp>-<config fingerprint>/
        config.yaml                 the configuration as validated (defaults filled in)
        run.json                    manifest: status and timing of every asset and stage,
                                    versions, and the warnings raised (structured records)
        calibration.log             the log of the run
        margin_parameters.json      the parameter file (JSON-Schema valid), successful assets only
        data_quality.csv            one row per asset: source, dates, bars, defects, cleaning
        data_issues.csv             every defect riskkit.data.validate found, with dates
        tables/<ASSET>/<table>.csv  margin path, backtest battery, coverage, stress, tiers,
                                    rolling forecasts (long and short) of each asset
        tables/<ASSET>/parameters.json
        figures/<ASSET>/<figure>.png and .svg
        report/08_calibration_report.ipynb and .html (the committee's report, no code),
        report/08_calibration_report_code.html (its appendix: the notebook with its code),
        report/_static/mathjax/     MathJax for the formulas, so the HTML renders offline

and copies the parameter file to a stable path (``reports/margin_parameters.json``).

Stages are logged as they start and end. Assets are independent: one that fails (bad data, too
little history, a model that cannot be estimated) is recorded in ``run.json`` and the log with
the stage and the reason, and every other asset's results are still written.

Per-asset work runs on the executor the configuration names (local processes by default, a Dask
``LocalCluster`` for ``"local"``, a Dask scheduler for ``"tcp://host:port"``). Each asset gets
child ``i`` of ``numpy.random.SeedSequence(seed)``, so the parameter file does not depend on the
executor or the number of workers.

The stages live in their own modules: data sources (:mod:`riskkit.run.sources`), outputs
(:mod:`riskkit.run.outputs`), figures (:mod:`riskkit.run.figures`), the report
(:mod:`riskkit.run.report`); a finished run is read back with :func:`riskkit.run.load_run`.
"""

from __future__ import annotations

import contextlib
import dataclasses
import datetime as _dt
import importlib
import logging
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

from riskkit.bars import BarClock
from riskkit.config import CalibrationConfig, load_config
from riskkit.exceptions import ConfigError, RiskkitError
from riskkit.margin.export import extend_parameter_file
from riskkit.parallel import (
    TaskFailure,
    executor_from_spec,
    map_tasks,
    single_blas_thread,
    spawn_seeds,
)
from riskkit.run import outputs
from riskkit.run.diagnostics import RunWarning, collect_warnings
from riskkit.run.figures import asset_figures
from riskkit.run.record import load_run
from riskkit.run.report import execute_all_notebooks, execute_report
from riskkit.run.sources import AssetData, bar_clock, check_intervals, load_asset_data

__all__ = [
    "AssetTask",
    "AssetOutcome",
    "RunResult",
    "DEFAULT_CALIBRATOR",
    "run_asset",
    "run_calibration",
    "calibrate_assets",
    "asset_seeds",
    "demo_config",
]

logger = logging.getLogger("riskkit.run")

#: the per-asset function, as ``"module:function"`` so that it pickles by name for any executor
DEFAULT_CALIBRATOR = "riskkit.margin:calibrate_asset"


# --------------------------------------------------------------------------------------------
# per-asset tasks


@dataclass(frozen=True)
class AssetTask:
    """Everything one asset's calibration needs; picklable, so it can go to any worker.

    Attributes
    ----------
    asset : str
    ohlcv : pandas.DataFrame
        Bars (index ``date``), daily or of the interval of ``clock``.
    config : CalibrationConfig
    seed : int
        The asset's own seed (child ``i`` of the run's SeedSequence).
    inner_executor : str or executor
        Executor for the asset's rolling backtest: ``"serial"`` when assets already run in
        parallel (nested pools would oversubscribe the cores, and daemonic workers cannot fork),
        the run's pool when there is a single asset.
    calibrator : str or callable
        ``"module:function"`` with the signature of :func:`riskkit.margin.calibrate_asset`
        (a name pickles for any executor; a function must be importable by the workers).
    clock : BarClock or None
        Bar interval and calendar of ``ohlcv`` (None: inferred by the calibrator).
    progress : bool
        Progress bar of the asset's rolling forecasts (over forecast dates or blocks).
    """

    asset: str
    ohlcv: pd.DataFrame
    config: CalibrationConfig
    seed: int
    inner_executor: Any = "serial"
    calibrator: str | Callable[..., Any] = DEFAULT_CALIBRATOR
    clock: BarClock | None = None
    progress: bool = False


@dataclass
class AssetOutcome:
    """Result of one asset: the calibration or the reason it failed.

    Attributes
    ----------
    asset : str
    calibration : riskkit.margin.AssetCalibration or None
        None when the asset failed.
    error : str or None
        ``"<exception type>: <message>"`` of the failure.
    stage : str or None
        Stage that failed (``"calibrate"``, ``"worker"``).
    seconds : float
        Wall time of the asset's calibration.
    warnings : list of RunWarning
        Distinct warnings raised while calibrating it, with their counts.
    traceback : str or None
        Traceback of an unexpected (non-riskkit) error, for the log.
    """

    asset: str
    calibration: Any = None
    error: str | None = None
    stage: str | None = None
    seconds: float = float("nan")
    warnings: list[RunWarning] = field(default_factory=list)
    traceback: str | None = None

    @property
    def ok(self) -> bool:
        """True when the asset was calibrated."""
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
    and returned as :class:`~riskkit.run.diagnostics.RunWarning` records, so that the parent
    process logs them against the asset and stores them in ``run.json``.
    """
    start = time.perf_counter()
    caught: list[warnings.WarningMessage] = []
    try:
        fn = _resolve_callable(task.calibrator)
        # One BLAS thread, as in a Dask worker: a multi-threaded BLAS sums in a different order
        # and moves GARCH estimates by ~1e-7, which would make the parameter file depend on
        # the executor. Assets already run in parallel, so BLAS threads would only oversubscribe.
        with single_blas_thread(), warnings.catch_warnings(record=True) as caught:
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
                progress=task.progress,
                clock=task.clock,
            )
    except Exception as exc:  # one asset's failure must not stop the others
        expected = isinstance(exc, RiskkitError)
        kind = "" if expected else " (unexpected: see the traceback in the log)"
        return AssetOutcome(
            task.asset,
            error=f"{type(exc).__name__}: {exc}{kind}",
            stage="calibrate",
            seconds=time.perf_counter() - start,
            warnings=collect_warnings(caught, task.asset, "calibrate"),
            traceback=None if expected else traceback.format_exc(),
        )
    return AssetOutcome(
        task.asset,
        calibration=calibration,
        seconds=time.perf_counter() - start,
        warnings=collect_warnings(caught, task.asset, "calibrate"),
    )


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
    calibrator: str | Callable[..., Any] = DEFAULT_CALIBRATOR,
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
    calibrator : str or callable
        ``"module:function"`` (or the function) called as ``fn(asset, ohlcv, settings,
        estimator=, seed=, executor=, progress=, clock=)``; default
        :func:`riskkit.margin.calibrate_asset`. ``clock`` is the asset's
        :class:`~riskkit.bars.BarClock` (:func:`riskkit.run.sources.bar_clock`).
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
        AssetTask(
            a,
            data[a],
            config,
            s,
            inner_executor="serial",
            calibrator=calibrator,
            clock=bar_clock(config, data[a]),
        )
        for a, s in zip(assets, seeds, strict=True)
    ]
    if not tasks:
        return []
    if len(tasks) == 1:
        # one asset: run it here and give its rolling backtest the pool (created once, not once
        # per rolling_forecast call)
        with executor_from_spec(executor, max_workers=config.max_workers) as pool:
            # one asset: its rolling forecasts get the progress bar (several assets in parallel
            # processes would draw over each other: the bar then counts assets)
            task = dataclasses.replace(tasks[0], inner_executor=pool, progress=bool(progress))
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
    report : pathlib.Path or None
        The executed report notebook, when one was made.
    warnings : list of RunWarning
        Distinct warnings raised by each asset (also in ``run.json`` and the log).
    signoff : DataFrame or None
        The sign-off checklist of the run (:meth:`riskkit.run.RunRecord.signoff_checks`, also
        ``signoff_checks.csv`` in the run directory); None when no parameter file was written.
        A failed check is the committee's verdict on the parameters, not a failure of the run:
        it does not make :attr:`ok` False.
    latest : pathlib.Path or None
        ``output.latest`` when this run replaced it; None when it was left unchanged.
    """

    run_dir: Path
    parameter_file: Path | None
    succeeded: list[str]
    failed: dict[str, str]
    stage_errors: dict[str, str]
    seconds: float
    report: Path | None = None
    warnings: list[RunWarning] = field(default_factory=list)
    signoff: pd.DataFrame | None = None
    latest: Path | None = None

    @property
    def ok(self) -> bool:
        """True when every asset and every stage succeeded (whatever the sign-off checks say)."""
        return not self.failed and not self.stage_errors

    @property
    def signoff_failed(self) -> list[str]:
        """Sign-off checks that failed (empty when all passed or none were made)."""
        if self.signoff is None:
            return []
        return self.signoff.loc[~self.signoff["passed"], "check"].tolist()


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
    # to the microsecond: run.json's "started" orders runs, and two runs can start in one second
    # (the run directory's name keeps whole seconds)
    return _dt.datetime.now(_dt.UTC)


def _run_dir(config: CalibrationConfig, out_dir: str | os.PathLike[str] | None) -> Path:
    """The run directory, created; an existing run (or any non-empty directory) is never
    written into: a ConfigError names it before anything is written."""
    if out_dir is not None:
        path = Path(out_dir)
        _refuse_existing(path, "out_dir")
    else:
        name = config.output.run_name or (f"{_utcnow():%Y%m%dT%H%M%SZ}-{config.fingerprint()[:8]}")
        path = Path(config.output.directory) / name
        if config.output.run_name is not None:
            _refuse_existing(path, "output.run_name")
        else:
            base, i = path, 1
            while path.exists():  # two runs in the same second
                i += 1
                path = base.with_name(f"{base.name}-{i}")
    try:
        path.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise ConfigError(
            f"cannot create the run directory {path} ({type(exc).__name__}: {exc.strerror or exc})"
        ) from None
    return path


def _refuse_existing(path: Path, option: str) -> None:
    """ConfigError when ``path`` exists and is not an empty directory (a finished run would be
    overwritten)."""
    if not path.exists():
        return
    if not path.is_dir():
        raise ConfigError(f"{option} {path}: exists and is not a directory")
    if any(path.iterdir()):
        what = "a calibration run" if (path / "run.json").exists() else "a non-empty directory"
        raise ConfigError(
            f"{option} {path}: already holds {what}; a run never overwrites one. Choose a new "
            "directory (or none: each run gets a new one under output.directory)"
        )


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
    calibrator: str | Callable[..., Any] = DEFAULT_CALIBRATOR,
    progress: bool | None = None,
) -> RunResult:
    """Run a whole calibration and write its run directory (see the module docstring).

    Parameters
    ----------
    config : CalibrationConfig or path
        A validated configuration, or a YAML file to load.
    out_dir : path, optional
        Run directory, new or empty (default: ``output.directory/<timestamp>-<fingerprint>``).
        An existing run directory is refused, never overwritten.
    executor : str or executor, optional
        Overrides ``config.executor`` (e.g. a ``dask.distributed.Client``).
    report : bool, optional
        Overrides ``config.report.enabled``.
    calibrator : str or callable
        Per-asset function, ``"module:function"`` or the function itself (default
        ``riskkit.margin:calibrate_asset``); see :func:`calibrate_assets`.
    progress : bool, optional
        Progress bar over assets.

    Returns
    -------
    RunResult
        ``ok`` is False if an asset or a stage failed; everything that succeeded is written.

    Raises
    ------
    ConfigError
        Invalid configuration, a file whose bar interval disagrees with ``data.interval``
        (:func:`riskkit.run.sources.check_intervals`), or an ``out_dir`` that exists and is not
        empty: before anything is written.
    """
    if not isinstance(config, CalibrationConfig):
        config = load_config(config)
    check_intervals(config)  # an interval mismatch stops the run before any work
    t_start = time.perf_counter()
    started = _utcnow()
    run_dir = _run_dir(config, out_dir)
    handler = _attach_log(run_dir)
    errors: dict[str, str] = {}
    timings: dict[str, float] = {}
    failed: dict[str, str] = {}
    asset_log: dict[str, dict[str, Any]] = {a: {"status": "pending"} for a in config.assets}
    raised: list[RunWarning] = []
    loaded: list[AssetData] = []
    outcomes: list[AssetOutcome] = []
    param_path: Path | None = None
    report_path: Path | None = None
    signoff: pd.DataFrame | None = None
    latest: Path | None = None
    executor = config.executor if executor is None else executor

    def write_manifest() -> None:
        outputs.write_manifest(
            run_dir,
            config,
            started=started,
            seconds=time.perf_counter() - t_start,
            assets=asset_log,
            stages=timings,
            stage_errors=errors,
            executor=executor,
            parameter_file=param_path,
            warnings=raised,
        )

    try:
        logger.info(
            "calibration %r: %d asset(s) %s, model %s, %s %.4g over %s day(s), executor %s; "
            "run directory %s",
            config.name,
            len(config.assets),
            ", ".join(config.assets),
            config.model.describe(),
            config.margin.measure,
            config.margin.level,
            config.margin.horizon_days,
            executor if isinstance(executor, str) else type(executor).__name__,
            run_dir,
        )
        (run_dir / "config.yaml").write_text(config.to_yaml(), encoding="utf-8")

        with _Stage("load data", errors, timings):
            loaded = load_asset_data(config)
            outputs.write_data_quality(loaded, run_dir)
            outputs.write_feed_comparison(config, loaded, run_dir)
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
        for asset, ohlcv in data.items():
            rec = bar_record(bar_clock(config, ohlcv), config)
            logger.info(
                "asset %s: %s bars; window %d bars (%s), refit every %d bars, margin period of "
                "risk %g day(s) = %g bar(s)",
                asset,
                rec["bar_interval"],
                rec["window_bars"],
                rec["window_span"].removesuffix(" 00:00:00"),  # "500 days", not "... 00:00:00"
                rec["refit_every_bars"],
                rec["horizon_days"],
                rec["horizon_bars"],
            )
        with _Stage("calibrate", errors, timings):
            outcomes = calibrate_assets(
                data, config, executor, calibrator=calibrator, progress=progress
            )
            for o in outcomes:
                for w in o.warnings:
                    logger.warning("asset %s: %s", o.asset, w)
                raised.extend(o.warnings)
                if o.traceback:
                    logger.error("asset %s: unexpected error:\n%s", o.asset, o.traceback)
                if o.ok:
                    asset_log[o.asset] = {
                        "status": "ok",
                        "seconds": round(o.seconds, 3),
                        "bars": bar_record(bar_clock(config, data[o.asset]), config),
                    }
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
                    outputs.write_tables(o, run_dir / "tables")
                except Exception as exc:
                    msg = f"{type(exc).__name__}: {exc}"
                    asset_log[o.asset]["tables_error"] = msg
                    errors[f"write tables {o.asset}"] = msg
                    logger.error("asset %s: stage write tables FAILED: %s", o.asset, msg)

        if good:
            with _Stage("parameter file", errors, timings):
                param_path = outputs.write_parameters(good, config, run_dir, loaded, started)
                # venue sets, perpetual add-ons, DeFi lending proposals
                extend_parameter_file(param_path, config, data)
                logger.info("parameter file %s (%d asset(s))", param_path, len(good))
                latest = _copy_latest(config, param_path, failed)
        else:
            errors["parameter file"] = "no asset was calibrated: nothing to write"
            logger.error("no asset was calibrated: no parameter file")

        if config.output.figure_formats:
            stage_figures: Any = _Stage("figures", errors, timings)
        else:
            stage_figures = contextlib.nullcontext()
            logger.info("no figure format configured: figures skipped")
        with stage_figures:
            for o in good:
                try:
                    asset_figures(
                        o.asset, o.calibration, run_dir / "figures", config.output.figure_formats
                    )
                except Exception as exc:
                    msg = f"{type(exc).__name__}: {exc}"
                    errors[f"figures {o.asset}"] = msg
                    logger.error("asset %s: stage figures FAILED: %s", o.asset, msg)

        write_manifest()  # the report notebook reads it
        if param_path is not None:
            # the committee's checklist: a verdict on the parameters, not a failure of the run
            with _Stage("sign-off checks", errors, timings):
                signoff = load_run(run_dir).signoff_checks()
                signoff.to_csv(run_dir / outputs.SIGNOFF_FILE, index=False)
                bad = signoff.loc[~signoff["passed"], "check"].tolist()
                if bad:
                    logger.warning(
                        "sign-off: %d of %d checks failed (%s): see %s",
                        len(bad),
                        len(signoff),
                        "; ".join(bad),
                        outputs.SIGNOFF_FILE,
                    )
                else:
                    logger.info("sign-off: all %d checks passed", len(signoff))
        do_report = config.report.enabled if report is None else report
        if do_report:
            # a failed run gets its report too: it says first, plainly, what failed
            with _Stage("report", errors, timings):
                report_path = execute_report(run_dir, config.report.timeout)
                logger.info("report %s", report_path.with_suffix(".html"))
        if do_report and config.report.all_notebooks:
            with _Stage("notebooks", errors, timings):
                execute_all_notebooks(
                    config.report.notebooks_dir,
                    report_path,
                    timeout=config.report.timeout,
                    max_workers=config.max_workers,
                )
    finally:
        seconds = time.perf_counter() - t_start
        write_manifest()
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
        warnings=raised,
        signoff=signoff,
        latest=latest,
    )


def bar_record(clock: BarClock, config: CalibrationConfig) -> dict[str, Any]:
    """What a window, a refit and the margin period of risk mean in bars, for ``run.json``.

    ``backtest.window`` and ``backtest.refit_every`` count bars of the calibration's interval;
    ``margin.horizon_days`` is converted to bars by ``clock`` (:meth:`BarClock.bars`).
    """
    return {
        **clock.describe(),
        "window_bars": config.window,
        "window_span": str(config.window * clock.interval),
        "refit_every_bars": config.refit_every,
        "horizon_days": config.margin.horizon_days,
        "horizon_bars": clock.bars(config.margin.horizon_days),
    }


def _copy_latest(
    config: CalibrationConfig, param_path: Path, failed: Mapping[str, str]
) -> Path | None:
    """Copy the parameter file to ``output.latest``, unless an asset failed; the copy or None."""
    if not config.output.latest:
        return None
    if failed:
        # a margin engine reading the stable path must never get a file that silently lacks an
        # asset: the partial file stays in the run directory only
        logger.error(
            "%s left unchanged: %d asset(s) failed (%s); the partial parameter file is %s",
            config.output.latest,
            len(failed),
            ", ".join(failed),
            param_path,
        )
        return None
    latest = Path(config.output.latest)
    latest.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(param_path, latest)
    logger.info("copied to %s", latest)
    return latest


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
