"""The run layer: one calibration run end to end, and reading it back.

One job per module:

* :mod:`riskkit.run.config` -- the configuration of a run;
* :mod:`riskkit.run.sources` -- where prices come from (bundled data, user files, Binance);
* :mod:`riskkit.run.orchestrate` -- per-asset tasks on an executor, seeds, the run itself
  (:func:`run_calibration`);
* :mod:`riskkit.run.outputs` -- tables, parameter file with provenance, manifest ``run.json``;
* :mod:`riskkit.run.figures` -- figures of each asset;
* :mod:`riskkit.run.record` -- reading a run back (:func:`load_run`, :class:`RunRecord`,
  sign-off checks, :func:`strip_volatile`);
* :mod:`riskkit.run.diagnostics` -- warnings raised during a run, as structured records;
* :mod:`riskkit.run.report` -- executing the report notebook and the other notebooks.

The names below are importable from ``riskkit.run`` directly; they are loaded on first use, so
that importing :mod:`riskkit.run.config` (which :mod:`riskkit.config` re-exports) does not load
the whole run layer.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

#: public name -> module of riskkit.run that defines it
_EXPORTS: dict[str, str] = {
    "AssetTask": "orchestrate",
    "AssetOutcome": "orchestrate",
    "RunResult": "orchestrate",
    "DEFAULT_CALIBRATOR": "orchestrate",
    "run_asset": "orchestrate",
    "run_calibration": "orchestrate",
    "calibrate_assets": "orchestrate",
    "asset_seeds": "orchestrate",
    "demo_config": "orchestrate",
    "AssetData": "sources",
    "load_asset_data": "sources",
    "load_source": "sources",
    "bar_clock": "sources",
    "check_intervals": "sources",
    "PARAMETER_FILE": "outputs",
    "TABLES": "outputs",
    "asset_figures": "figures",
    "RunRecord": "record",
    "load_run": "record",
    "strip_volatile": "record",
    "VOLATILE_KEYS": "record",
    "RunWarning": "diagnostics",
    "REPORT_NOTEBOOK": "report",
    "execute_report": "report",
    "execute_all_notebooks": "report",
}

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
    "AssetData",
    "load_asset_data",
    "load_source",
    "bar_clock",
    "check_intervals",
    "PARAMETER_FILE",
    "TABLES",
    "asset_figures",
    "RunRecord",
    "load_run",
    "strip_volatile",
    "VOLATILE_KEYS",
    "RunWarning",
    "REPORT_NOTEBOOK",
    "execute_report",
    "execute_all_notebooks",
]

if TYPE_CHECKING:  # pragma: no cover
    from riskkit.run.diagnostics import RunWarning
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
    from riskkit.run.report import REPORT_NOTEBOOK, execute_all_notebooks, execute_report
    from riskkit.run.sources import (
        AssetData,
        bar_clock,
        check_intervals,
        load_asset_data,
        load_source,
    )


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'riskkit.run' has no attribute {name!r}")
    value = getattr(importlib.import_module(f"riskkit.run.{module}"), name)
    globals()[name] = value  # later look-ups skip this function
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_EXPORTS))
