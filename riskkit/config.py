"""Configuration of a calibration run: re-exported from :mod:`riskkit.run.config`.

The configuration lives in :mod:`riskkit.run.config` (pydantic models, the single source of
every default); the names users import from ``riskkit.config`` stay importable from here.
"""

from __future__ import annotations

from riskkit.run.config import (
    APC_METHODS,
    DATA_SOURCES,
    DISTRIBUTIONS,
    ESTIMATORS,
    EXECUTORS,
    FIGURE_FORMATS,
    MEANS,
    OHLCV_COLUMNS,
    VOL_MODELS,
    BacktestSpec,
    BinanceSpec,
    CalibrationConfig,
    DataSpec,
    MarginSettings,
    ModelSpec,
    OutputSpec,
    ReportSpec,
    RunSpec,
    apply_overrides,
    config_from_mapping,
    config_json_schema,
    load_config,
    read_yaml,
    validate_config,
)

__all__ = [
    "APC_METHODS",
    "DATA_SOURCES",
    "DISTRIBUTIONS",
    "ESTIMATORS",
    "EXECUTORS",
    "FIGURE_FORMATS",
    "MEANS",
    "OHLCV_COLUMNS",
    "VOL_MODELS",
    "BacktestSpec",
    "BinanceSpec",
    "CalibrationConfig",
    "DataSpec",
    "MarginSettings",
    "ModelSpec",
    "OutputSpec",
    "ReportSpec",
    "RunSpec",
    "apply_overrides",
    "config_from_mapping",
    "config_json_schema",
    "load_config",
    "read_yaml",
    "validate_config",
]
