"""Former home of the run layer, kept so that existing imports keep working.

The code now lives in :mod:`riskkit.run`, one job per module (sources, orchestrate, outputs,
figures, record, report); import from there in new code::

    from riskkit.run import load_run, run_calibration
"""

from __future__ import annotations

from riskkit.run.figures import asset_figures
from riskkit.run.orchestrate import (
    DEFAULT_CALIBRATOR,
    AssetOutcome,
    AssetTask,
    RunResult,
    asset_seeds,
    calibrate_assets,
    demo_config,
    run_asset,
    run_calibration,
)
from riskkit.run.outputs import PARAMETER_FILE, TABLES
from riskkit.run.record import VOLATILE_KEYS, RunRecord, load_run, strip_volatile
from riskkit.run.report import REPORT_NOTEBOOK, execute_report
from riskkit.run.sources import AssetData, load_asset_data

__all__ = [
    "AssetTask",
    "AssetOutcome",
    "RunResult",
    "RunRecord",
    "AssetData",
    "DEFAULT_CALIBRATOR",
    "VOLATILE_KEYS",
    "PARAMETER_FILE",
    "REPORT_NOTEBOOK",
    "TABLES",
    "run_asset",
    "run_calibration",
    "calibrate_assets",
    "load_asset_data",
    "asset_seeds",
    "asset_figures",
    "load_run",
    "execute_report",
    "strip_volatile",
    "demo_config",
]
