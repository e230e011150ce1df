"""What a run writes: the tables of each asset, the data-quality tables, the parameter file with
its provenance, and the manifest ``run.json``.
"""

from __future__ import annotations

import datetime as _dt
import hashlib
import json
import math
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from riskkit.config import CalibrationConfig

if TYPE_CHECKING:
    from riskkit.run.diagnostics import RunWarning
    from riskkit.run.orchestrate import AssetOutcome
    from riskkit.run.sources import AssetData

__all__ = [
    "PARAMETER_FILE",
    "FEED_COMPARISON_FILE",
    "SIGNOFF_FILE",
    "TABLES",
    "asset_tables",
    "write_tables",
    "write_data_quality",
    "write_feed_comparison",
    "provenance",
    "write_parameters",
    "write_manifest",
]

#: name of the parameter file in a run directory
PARAMETER_FILE = "margin_parameters.json"
#: name of the cross-source comparison table in a run directory (with ``data.reference_files``)
FEED_COMPARISON_FILE = "feed_comparison.csv"
#: name of the sign-off checklist in a run directory (:meth:`riskkit.run.RunRecord.signoff_checks`)
SIGNOFF_FILE = "signoff_checks.csv"

#: tables of an AssetCalibration written to ``tables/<ASSET>/<name>.csv`` (``tiers`` is missing
#: for a series without volume; ``episodes`` lists every stress episode and whether it was
#: tested; ``not_computed.csv`` is written when a step was skipped, with the reason)
TABLES = ("margin_path", "backtest", "coverage", "coverage_tests", "stress", "episodes", "tiers")


def asset_tables(cal: Any) -> dict[str, pd.DataFrame]:
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
    failures = getattr(cal, "model_failures", None)
    if isinstance(failures, pd.DataFrame) and len(failures):
        out["model_failures"] = failures
    skipped = getattr(cal, "not_computed", None)
    if skipped:
        out["not_computed"] = pd.DataFrame(
            {"output": list(skipped), "value": "not computed", "reason": list(skipped.values())}
        )
    return {
        k: (v.reset_index() if not isinstance(v.index, pd.RangeIndex) else v)
        for k, v in out.items()
    }


def write_tables(outcome: AssetOutcome, directory: Path) -> None:
    """Write the tables of one calibrated asset to ``directory/<asset>/<table>.csv`` (10
    significant digits) and its parameters to ``directory/<asset>/parameters.json``."""
    target = directory / outcome.asset
    target.mkdir(parents=True, exist_ok=True)
    cal = outcome.calibration
    for name, frame in asset_tables(cal).items():
        frame.to_csv(target / f"{name}.csv", index=False, float_format="%.10g")
    params = getattr(cal, "parameters", None)
    if isinstance(params, Mapping):
        (target / "parameters.json").write_text(
            json.dumps(params, indent=2, sort_keys=True, default=json_default), encoding="utf-8"
        )


def json_default(value: Any) -> Any:
    """JSON form of numpy scalars and arrays, timestamps and dates (non-finite floats: null)."""
    if isinstance(value, (np.integer,)):
        return int(value)
    if isinstance(value, (np.floating,)):
        return None if not math.isfinite(float(value)) else float(value)
    if isinstance(value, (np.ndarray, tuple)):
        return list(value)
    if isinstance(value, (pd.Timestamp, _dt.date)):
        return value.isoformat()
    return str(value)


def write_data_quality(loaded: Sequence[AssetData], run_dir: Path) -> None:
    """``data_quality.csv`` (one row per asset) and, when a defect was found,
    ``data_issues.csv`` (one row per defect)."""
    quality = pd.DataFrame([d.quality for d in loaded])
    quality.to_csv(run_dir / "data_quality.csv", index=False)
    issues = [d.issues for d in loaded if d.issues is not None]
    if issues:
        pd.concat(issues, ignore_index=True).to_csv(run_dir / "data_issues.csv", index=False)


def write_feed_comparison(
    config: CalibrationConfig, loaded: Sequence[AssetData], run_dir: Path
) -> Path | None:
    """``feed_comparison.csv``: each asset's prices against its second source
    (``data.reference_files``), by :func:`riskkit.data.compare_feeds`.

    Each reference file is read with the read options of the ``data`` section
    (:func:`riskkit.run.sources.read_options`: ``data.columns``, ``data.unit``,
    ``data.timezone``, ``data.partial_bars``...), like the files calibrated on. One row per finding (columns ``asset`` and :data:`riskkit.data.COMPARISON_COLUMNS`); an
    asset whose reference cannot be read or compared gets one row ``check = "error"`` naming
    the problem, and the run carries on. Nothing is written when no reference is configured.

    Returns
    -------
    pathlib.Path or None
        The file written, or None.
    """
    import logging
    import warnings

    from riskkit import data as rdata
    from riskkit.run.sources import read_options

    log = logging.getLogger("riskkit.run")
    refs = dict(getattr(config.data, "reference_files", None) or {})
    if not refs:
        return None
    options = read_options(config)
    by_asset = {d.asset: d for d in loaded}
    for asset in sorted(set(refs) - set(by_asset)):
        log.warning("data.reference_files: %s is not calibrated in this run; not compared", asset)
    tables = []
    for asset, d in by_asset.items():
        if asset not in refs or d.ohlcv is None:
            continue
        ref = Path(refs[asset])
        own = {"bundled": config.data.exchange, "binance": "binance"}.get(config.data.source)
        if own is None:
            own = Path(config.data.files.get(asset, "prices")).name
        names = (own, ref.name) if own != ref.name else ("calibrated", "reference")
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")  # the comparison table reports what matters
                raw = rdata.read_klines(ref, "trade", options, check=False, audience="config")
                keep = "max_volume" if "volume" in raw.columns else "first"
                other, _ = rdata.clean(raw, keep=keep, name=ref.name)
            table = rdata.compare_feeds(d.ohlcv, other, names=names).to_frame()
            log.info("asset %s: compared with %s", asset, ref.name)
        except Exception as exc:  # a bad reference is reported, never a reason to stop the run
            msg = f"{type(exc).__name__}: {exc}"
            log.warning("asset %s: reference %s not compared: %s", asset, ref, msg)
            table = pd.DataFrame(
                [{"check": "error", "feed": ref.name, "n_bars": 0, "detail": msg}],
                columns=rdata.COMPARISON_COLUMNS,
            )
        table.insert(0, "asset", asset)
        tables.append(table)
    if not tables:
        return None
    path = run_dir / FEED_COMPARISON_FILE
    pd.concat(tables, ignore_index=True).to_csv(path, index=False, float_format="%.10g")
    return path


def provenance(config: CalibrationConfig, loaded: Sequence[AssetData]) -> dict[str, Any]:
    """The provenance record of a parameter file: version, configuration, data and checksums."""
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
        prov["files"] = {
            a: {
                "name": Path(p).name,
                "sha256": hashlib.sha256(Path(p).read_bytes()).hexdigest(),
            }
            for a, p in config.data.files.items()
        }
    return prov


def write_parameters(
    good: Sequence[AssetOutcome],
    config: CalibrationConfig,
    run_dir: Path,
    loaded: Sequence[AssetData],
    started: _dt.datetime,
) -> Path:
    """Build, validate and write the parameter file of the calibrated assets.

    Returns
    -------
    pathlib.Path
        ``run_dir / margin_parameters.json``; its ``created_utc`` is ``started``.
    """
    from riskkit import margin

    settings = config.margin_settings()
    prov = provenance(config, loaded)
    data = margin.build_parameter_set(
        {o.asset: o.calibration for o in good}, settings, prov, created=started
    )
    margin.validate_parameter_set(data)
    path = run_dir / PARAMETER_FILE
    margin.write_parameter_set(data, path)
    return path


def write_manifest(
    run_dir: Path,
    config: CalibrationConfig,
    *,
    started: _dt.datetime,
    seconds: float,
    assets: Mapping[str, Mapping[str, Any]],
    stages: Mapping[str, float],
    stage_errors: Mapping[str, str],
    executor: Any,
    parameter_file: Path | None,
    warnings: Sequence[RunWarning] = (),
) -> Path:
    """Write ``run.json``: what ran, when, on what, how each asset and stage ended.

    Parameters
    ----------
    run_dir : pathlib.Path
    config : CalibrationConfig
    started : datetime
        Start of the run (UTC).
    seconds : float
        Wall time so far.
    assets : mapping
        ``{asset: {"status": "ok" | "failed" | "pending", "stage", "error", "seconds"...}}``.
    stages : mapping
        ``{stage: seconds}``.
    stage_errors : mapping
        ``{stage: reason}`` of the stages that failed.
    executor : str or executor
        Recorded by name (or type name).
    parameter_file : pathlib.Path or None
    warnings : sequence of RunWarning
        Stored under ``"warnings"`` as a list of records (``asset``, ``stage``, ``category``,
        ``message``, ``count``, ``source``).

    Returns
    -------
    pathlib.Path
        The manifest written.
    """
    from riskkit import __version__

    manifest = {
        "name": config.name,
        "config_source": config.source,
        "config_sha256": config.fingerprint(),
        "riskkit_version": __version__,
        "started": started.isoformat(),
        "finished": _dt.datetime.now(_dt.UTC).isoformat(),
        "elapsed_seconds": round(seconds, 3),
        "executor": executor if isinstance(executor, str) else type(executor).__name__,
        "assets": {a: dict(v) for a, v in assets.items()},
        "stages": dict(stages),
        "stage_errors": dict(stage_errors),
        "parameter_file": None if parameter_file is None else parameter_file.name,
        "ok": not stage_errors and all(v.get("status") == "ok" for v in assets.values()),
        "warnings": [w.to_dict() for w in warnings],
    }
    path = run_dir / "run.json"
    path.write_text(json.dumps(manifest, indent=2, default=json_default), encoding="utf-8")
    return path
