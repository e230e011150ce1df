"""YAML configuration of a calibration run, validated in full before any work starts.

A configuration names the data, the assets, the risk model, the margin settings, the backtest
window, where the results go, the random seed, where the work runs and whether to build the
report. Each section is a pydantic model (frozen, unknown keys forbidden) and the whole file is
a :class:`CalibrationConfig`; defaults live in the models only, and the ``margin`` section *is*
the :class:`~riskkit.margin.MarginSettings` the calibration receives.

:func:`load_config` reads a YAML file and :func:`validate_config` checks a mapping; both collect
**every** problem (unknown keys with a did-you-mean, wrong types, bad ranges, missing files,
unknown assets) and raise one :class:`~riskkit.exceptions.ConfigError` listing them all, each
with its location (``margin.level``), so a user fixes a file in one pass.
:func:`config_json_schema` (``riskkit config-schema``) gives the JSON Schema of a file, for an
editor to complete and check the YAML.

Relative paths in a configuration are resolved against the current working directory (the
project root when run through ``make report``).

Example
-------
.. code-block:: yaml

    name: default
    data: {source: bundled, exchange: bitstamp, start: 2017-01-01}
    assets: [BTC, ETH, LTC]
    model: {estimator: fhs, vol: GARCH, p: 1, o: 1, q: 1, dist: skewt}
    margin: {measure: es, level: 0.99, horizon_days: 2, apc: buffer}
    backtest: {window: 500, refit_every: 20}
    output: {directory: reports/runs}
    run: {seed: 20260101, executor: processes}
    report: true
"""

from __future__ import annotations

import hashlib
import importlib
import json
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Annotated, Any

import pandas as pd
import yaml
from pydantic import (
    BeforeValidator,
    Field,
    PrivateAttr,
    ValidationError,
    ValidationInfo,
    WithJsonSchema,
    field_validator,
    model_validator,
)
from pydantic_core import PydanticCustomError

from riskkit._settings import (
    Bool,
    Choice,
    Date,
    Float,
    Int,
    Problem,
    Range,
    SettingsModel,
    Text,
    describe_errors,
    did_you_mean,
    format_problems,
    merge_errors,
    parse_date,
    problem,
    problems_error,
    show,
)
from riskkit.bars import CALENDARS, parse_interval
from riskkit.data._frame import OHLCV_COLUMNS as OHLCV_COLUMNS  # riskkit.config re-exports it
from riskkit.data.options import ReadOptions
from riskkit.defi.parameter_sets import LendingSpec, lending_config_problems
from riskkit.exceptions import ConfigError
from riskkit.margin.apc import APC_OPTIONS
from riskkit.margin.perpetual import PerpetualSpec
from riskkit.margin.settings import FROM_BACKTEST, MarginSettings, RefitEvery, WindowLength
from riskkit.margin.venue_sets import VENUE_SETS

__all__ = [
    "APC_METHODS",
    "ESTIMATORS",
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

#: estimator names accepted by ``model.estimator`` and the riskkit.risk class each one builds
ESTIMATORS = {
    "historical": "HistoricalSimulation",
    "fhs": "FilteredHistoricalSimulation",
    "parametric": "Parametric",
    "garch": "GarchParametric",
    "evt": "EVTPeaksOverThreshold",
}
#: anti-procyclicality options of EMIR RTS 153/2013 Art. 28(1) (buffer, stressed weight, floor)
APC_METHODS = APC_OPTIONS
DATA_SOURCES = ("bundled", "files", "binance")
VOL_MODELS = ("GARCH", "GJR", "EGARCH", "APARCH")
DISTRIBUTIONS = ("normal", "t", "skewt", "ged")
MEANS = ("zero", "constant")
FIGURE_FORMATS = ("png", "svg", "pdf")
#: bar intervals of the Binance archives a run can fetch (Binance's spelling)
BINANCE_INTERVALS = ("1m", "3m", "5m", "15m", "30m", "1h", "2h", "4h", "6h", "8h", "12h", "1d")
#: read options that only apply to user files (``data.source: files``)
FILE_OPTIONS = tuple(f for f in ReadOptions.model_fields if f != "interval")
EXECUTORS = ("processes", "serial", "threads", "local")
#: sections of a configuration file, in the order :meth:`CalibrationConfig.to_dict` writes them
SECTIONS = (
    "name",
    "data",
    "assets",
    "model",
    "margin",
    "backtest",
    "output",
    "run",
    "report",
    "venue_parameter_sets",
    "perpetual",
    "lending",
)


# --------------------------------------------------------------------------------------------
# data


class BinanceSpec(SettingsModel):
    """Where ``data.source: binance`` fetches bars (data.binance.vision bulk archive)."""

    market: Annotated[str, Choice(("spot", "um"))] = "spot"
    """spot, or um (USD-M futures)."""
    interval: Annotated[str, Choice(BINANCE_INTERVALS, what="Binance interval")] = "1d"
    """Bar interval of the archives fetched, as Binance writes it (1m ... 1d); the calibration
    runs on bars of this interval (or of data.resample)."""
    symbols: dict[str, Text] = {}
    """Binance symbol of each asset ({BTC: BTCUSDT}); an asset not listed trades against USDT."""
    cache_dir: Text | None = None
    """Archive cache directory (null: riskkit.download's cache)."""


class DataSpec(ReadOptions):
    """Where the prices come from (bundled data, user CSV/Parquet files, or Binance), how to read
    the files, and the bars the calibration runs on.

    The read options (``timestamp``, ``columns``, ``unit``, ``sep``, ``timezone``,
    ``day_boundary``, ``interval``, ``partial_bars``, ...) are the fields of
    :class:`riskkit.data.options.ReadOptions`, inherited; each is also a flag of ``riskkit
    calibrate`` and ``riskkit validate-data`` (``--day-boundary 08:00``).

    **Bars of any interval.** The calibration runs on bars of ``resample`` if set, else of
    ``interval`` (declared; a file whose bars are spaced otherwise is an error, caught by
    ``riskkit validate-config``), else of the files' own interval (inferred). With intraday
    bars, ``backtest.window`` and ``backtest.refit_every`` count bars (an hourly window of one
    year is 8760) and the margin period of risk ``margin.horizon_days`` is converted to bars.
    """

    source: Annotated[str, Choice(DATA_SOURCES)] = "bundled"
    """bundled (riskkit.datasets), files (riskkit.data.read_prices) or binance
    (riskkit.download)."""
    exchange: Text = "bitstamp"
    """Exchange of the bundled data."""
    clean: Bool = True
    """Apply the documented cleaning steps (duplicates, non-positive prices, impossible bars)."""
    start: Date | None = None
    """First bar, YYYY-MM-DD (inclusive; null: from the first bar)."""
    end: Date | None = None
    """Last bar, YYYY-MM-DD (inclusive; null: up to the last bar)."""
    files: dict[str, Text] = {}
    """{ASSET: path} of CSV or Parquet files, for source: files (a relative path is taken from
    the current directory and stored absolute)."""
    binance: BinanceSpec | None = None
    """Market, interval, symbols and cache of source: binance."""
    resample: Text | None = None
    """Aggregate the bars to this interval before calibrating (e.g. 4h or 1D from hourly
    bars; anchored at the day boundary): first open, highest high, lowest low, last close,
    summed volume. An aggregate bar missing some of its source bars is dropped and reported
    (null: calibrate on the bars as they are)."""
    calendar: Annotated[str, Choice(tuple(CALENDARS))] = "crypto"
    """Market calendar for annualisation and day/bar conversions: crypto (365 days a year,
    around the clock: 8760 hourly bars a year) or equity (252 sessions a year, daily bars only:
    intraday equity sessions are not modelled, so equity with a data.interval, data.resample or
    file interval shorter than 1D is refused)."""
    reference_files: dict[str, Text] = {}
    """{ASSET: path} of a second source of an asset's prices (another venue, a vendor, the
    mark price), any data.source: each is compared with the prices calibrated on
    (riskkit.data.compare_feeds: deviation quantiles, bars beyond 0.5%, lag, stale stretches,
    missing bars) and the findings are written to feed_comparison.csv in the run directory.
    Read with the read options of this section (data.columns, data.unit, data.timezone...)."""

    @field_validator("interval", "resample")
    @classmethod
    def _bar_interval(cls, value: str | None) -> str | None:
        if value is None:
            return value
        try:
            parse_interval(value)
        except ConfigError as exc:
            raise problem(str(exc).partition(": ")[2]) from None
        return value

    @field_validator("files", "reference_files")
    @classmethod
    def _files_exist(cls, value: dict[str, str]) -> dict[str, str]:
        out, bad = {}, []
        for asset, path in value.items():
            p = Path(path).expanduser()
            if not p.is_file():
                bad.append(((asset,), f"file not found: {p.resolve()}"))
            elif p.suffix.lower() not in (".csv", ".txt", ".gz", ".zip", ".parquet", ".pq"):
                bad.append(
                    ((asset,), f"must be a .csv (.txt, .gz, .zip) or .parquet file, got {p.name}")
                )
            # absolute, so that the run's config.yaml still names the file when read back from
            # another directory (the report notebook runs in notebooks/)
            out[str(asset).strip().upper()] = os.path.abspath(p)
        if bad:
            raise problems_error(bad)
        return out

    @model_validator(mode="wrap")
    @classmethod
    def _by_source(cls, data: Any, handler: Any) -> DataSpec:
        """The rules that depend on ``source``, checked even when another key is invalid."""
        if not isinstance(data, Mapping):
            return handler(data)
        raw = dict(data)
        try:
            source = Choice(DATA_SOURCES).check(raw.get("source", "bundled"))
        except Exception:  # reported by the field's own check
            source = None
        if source == "binance" and raw.get("binance") is None:
            raw["binance"] = {}
        if source is not None and source != "binance" and raw.get("binance") == {}:
            raw["binance"] = None  # an empty section, as in a run's config.yaml: nothing set
        extra: list[Problem] = []
        if source == "files" and not raw.get("files"):
            extra.append((("files",), "required when data.source is 'files': {ASSET: path}"))
        if source == "binance":
            for key in ("start", "end"):
                if not raw.get(key):
                    extra.append(((key,), "required with data.source: binance (YYYY-MM-DD)"))
        for key, kind in (
            ("files", "files"),
            *((k, "files") for k in FILE_OPTIONS),
            ("binance", "binance"),
        ):
            default = cls.model_fields[key].default
            if key in FILE_OPTIONS and raw.get("reference_files"):
                continue  # the read options of the reference files, whatever the source
            if source is not None and raw.get(key) not in (None, {}, default) and source != kind:
                extra.append(((key,), f"only used with data.source: {kind} (source is {source!r})"))
        extra += _interval_problems(raw, source)
        try:
            start, end = (parse_date(raw[k]) if raw.get(k) else None for k in ("start", "end"))
        except PydanticCustomError:  # reported by the field's own check
            start = end = None
        if start and end and start >= end:
            extra.append((("end",), f"must be after data.start ({start}), got {end}"))
        try:
            out = handler(raw)
        except ValidationError as exc:
            raise merge_errors(exc.errors(), extra) from None
        if extra:
            raise problems_error(extra)
        return out


def _interval_problems(raw: Mapping[str, Any], source: str | None) -> list[Problem]:
    """Declared interval and resampling against each other and against the source."""
    out: list[Problem] = []
    steps = {}
    for key in ("interval", "resample"):
        try:
            steps[key] = parse_interval(raw[key]) if raw.get(key) is not None else None
        except ConfigError:  # reported by the field's own check
            return out
    declared, target = steps["interval"], steps["resample"]
    calendar = str(raw.get("calendar", "crypto")).strip().lower()
    bars = target if target is not None else declared
    if calendar == "equity" and bars is not None and bars != pd.Timedelta("1D"):
        key = "resample" if target is not None else "interval"
        out.append(
            (
                ("calendar",),
                f"equity calendar supports daily bars only; intraday equity sessions are not "
                f"modelled (data.{key} is {raw[key]!r})",
            )
        )
    if source == "bundled" and declared is not None and declared != pd.Timedelta("1D"):
        out.append((("interval",), f"the bundled data are daily (1D), got {raw['interval']!r}"))
    if source == "binance" and declared is not None:
        binance = raw.get("binance") or {}
        fetched = binance.get("interval", "1d") if isinstance(binance, Mapping) else "1d"
        try:
            same = parse_interval(fetched) == declared
        except ConfigError:  # reported by binance.interval itself
            same = True
        if not same:
            out.append(
                (
                    ("interval",),
                    f"data.binance.interval fetches {fetched} bars; data.interval is "
                    f"{raw['interval']!r} (leave it out, or aggregate with data.resample)",
                )
            )
    if (
        declared is not None
        and target is not None
        and (target < declared or target.value % declared.value)
    ):
        out.append(
            (
                ("resample",),
                f"must be a whole multiple of data.interval {raw['interval']!r}, got "
                f"{raw['resample']!r} (bars are aggregated, never split)",
            )
        )
    return out


# --------------------------------------------------------------------------------------------
# model


def _risk_class(name: str) -> type:
    """An estimator class of :mod:`riskkit.risk` (imported on first use)."""
    return getattr(importlib.import_module("riskkit.risk"), name)


class ModelSpec(SettingsModel):
    """The VaR/ES estimator and, where it has one, its GARCH-family volatility filter."""

    estimator: Annotated[str, Choice(tuple(ESTIMATORS))] = "fhs"
    """historical, fhs (filtered historical simulation), parametric, garch or evt."""
    vol: Annotated[str, Choice(VOL_MODELS)] = "GARCH"
    """Volatility model of the filter."""
    p: Annotated[Int, Range(1, 5)] = 1
    """Order of the squared-shock (ARCH) terms."""
    o: Annotated[Int, Range(0, 5)] | None = None
    """Order of the asymmetry terms (null: 1 for GJR, 0 otherwise)."""
    q: Annotated[Int, Range(0, 5)] = 1
    """Order of the lagged-variance (GARCH) terms."""
    dist: Annotated[str, Choice(DISTRIBUTIONS)] = "t"
    """Innovation distribution of the GARCH fit."""
    mean: Annotated[str, Choice(MEANS)] = "zero"
    """Mean model of the returns."""
    threshold: Annotated[Float, Range(0.5, 1, hi_open=True)] = 0.9
    """EVT only: threshold quantile of the standardised losses."""
    on_integrated: Annotated[str, Choice(("igarch", "ewma"))] = "igarch"
    """A fit on the stationarity boundary: keep it (igarch, warned) or fall back to EWMA."""
    backend: Annotated[str, Choice(("auto", "fast", "arch"))] = "auto"
    """GARCH optimiser: fast (riskkit's compiled likelihood; GARCH/GJR(1,1) with normal or t
    innovations), arch (the arch package, every family) or auto (fast where it applies)."""

    @model_validator(mode="after")
    def _estimator_accepts(self) -> ModelSpec:
        if self.backend == "fast" and self.estimator in ("fhs", "garch", "evt"):
            try:
                auto = self.garch_spec(backend="auto")
            except ConfigError:
                auto = None  # build() below reports what is wrong with the model itself
            if auto is not None and auto.estimation_backend != "fast":
                raise problems_error(
                    [
                        (
                            ("backend",),
                            "fast estimates GARCH/GJR(1,1) with normal or t innovations and a "
                            f"zero or constant mean only, got {auto.label}; use auto or arch",
                        )
                    ]
                )
        try:
            self.build()
        except (ConfigError, ValueError, TypeError) as exc:
            raise problem(str(exc)) from None
        return self

    def garch_spec(self, backend: str | None = None) -> Any:
        """The :class:`riskkit.volatility.GarchSpec` this model describes (with ``backend`` in
        place of ``model.backend`` when given)."""
        from riskkit.volatility import GarchSpec

        return GarchSpec(
            vol=self.vol,
            p=self.p,
            o=self.o,
            q=self.q,
            dist=self.dist,
            mean=self.mean,
            on_integrated=self.on_integrated,
            backend=self.backend if backend is None else backend,
        )

    def build(self) -> Any:
        """A fresh :mod:`riskkit.risk` estimator for this specification."""
        if self.estimator == "historical":
            return _risk_class("HistoricalSimulation")()
        if self.estimator == "parametric":
            return _risk_class("Parametric")(self.dist)
        spec = self.garch_spec()
        if self.estimator == "fhs":
            return _risk_class("FilteredHistoricalSimulation")(spec)
        if self.estimator == "garch":
            return _risk_class("GarchParametric")(spec)
        return _risk_class("EVTPeaksOverThreshold")(spec, threshold_quantile=self.threshold)

    def describe(self) -> str:
        """One line naming the model, for logs and the report."""
        if self.estimator == "historical":
            return "historical simulation"
        if self.estimator == "parametric":
            return f"parametric ({self.dist})"
        try:
            spec = self.garch_spec()
            label = f"{spec.label} ({spec.estimation_backend} optimiser)"
        except Exception:  # describe() must work even for a spec GarchSpec rejects
            label = f"{self.vol}({self.p},{self.o},{self.q})-{self.dist}"
        names = {
            "fhs": "filtered historical simulation",
            "garch": "GARCH-parametric",
            "evt": "EVT peaks over threshold",
        }
        return f"{names[self.estimator]} on {label}, {self.mean} mean"


# --------------------------------------------------------------------------------------------
# backtest, output, run, report

_MARGIN_FIELDS = MarginSettings.model_fields


class BacktestSpec(SettingsModel):
    """The rolling backtest behind the margin: window and refit frequency.

    Defaults and bounds are those of :class:`~riskkit.margin.MarginSettings`, which receives
    these two values.
    """

    window: WindowLength = _MARGIN_FIELDS["window"].default
    """Returns per estimation window, counted in bars: days for daily bars, hours for hourly
    bars (EMIR Art. 25(1): at least 12 months of data, i.e. 365 daily or 8760 hourly bars)."""
    refit_every: RefitEvery = _MARGIN_FIELDS["refit_every"].default
    """Forecast dates between re-estimations of the model parameters, counted in bars."""


class OutputSpec(SettingsModel):
    """Where a run writes its files."""

    directory: Text = "reports/runs"
    """Parent of the run directories."""
    run_name: Text | None = None
    """Name of this run's directory (null: <UTC timestamp>-<config fingerprint>)."""
    latest: Text | None = "reports/margin_parameters.json"
    """Stable copy of the latest parameter file (null: no copy)."""
    figure_formats: tuple[
        Annotated[str, Choice(FIGURE_FORMATS, what="format", verb="choose from")], ...
    ] = ("png", "svg")
    """Formats every figure is saved in (empty: no figures)."""

    @field_validator("run_name")
    @classmethod
    def _plain_name(cls, value: str | None) -> str | None:
        if value and (os.sep in value or value in (".", "..")):
            raise problem(f"must be a plain directory name, got {value!r}")
        return value


class RunSpec(SettingsModel):
    """How the run executes: the root seed and where the work runs."""

    seed: Annotated[Int, Range(0)] = 20260101
    """Root seed; asset i gets child i of numpy's SeedSequence(seed)."""
    executor: Annotated[
        Text,
        WithJsonSchema(
            {
                "anyOf": [
                    {"enum": list(EXECUTORS)},
                    {"type": "string", "pattern": "^[a-z]+://"},
                ]
            }
        ),
    ] = "processes"
    """processes, serial, threads, local (a Dask LocalCluster) or a Dask scheduler address
    (tcp://host:8786)."""
    max_workers: Annotated[Int, Range(1)] | None = None
    """Workers of a local pool or LocalCluster (null: the number of CPUs)."""

    @field_validator("executor")
    @classmethod
    def _known_executor(cls, value: str) -> str:
        if value not in EXECUTORS and "://" not in value:
            raise problem(
                f"unknown executor {value!r}{did_you_mean(value, EXECUTORS)}; use processes, "
                "serial, threads, local (a Dask LocalCluster) or a Dask scheduler address such "
                "as tcp://10.0.0.5:8786"
            )
        return value


class ReportSpec(SettingsModel):
    """The report: notebook 08 on this run, and optionally every notebook of the collection."""

    enabled: Bool = True
    """Execute notebook 08 on this run (HTML with embedded figures)."""
    all_notebooks: Bool = False
    """Also execute notebooks 01-07 into notebooks_dir."""
    notebooks_dir: Text = "reports/notebooks"
    """Where the other notebooks are executed."""
    timeout: Annotated[Int, Range(10)] = 1200
    """Seconds allowed per notebook cell."""
    compare_with: Text | None = None
    """Parameter file (or run directory) the report compares this run with; null: the latest
    earlier run in output.directory whose every asset was calibrated."""


def _report_shorthand(value: Any) -> Any:
    if isinstance(value, bool):
        return {"enabled": value}
    if value is None:
        return {}
    if not isinstance(value, (Mapping, ReportSpec)):
        raise problem(f"must be true, false or a mapping, got {show(value)}")
    return value


def _assets(value: Any) -> tuple[str, ...]:
    if isinstance(value, (str, bytes)) or not isinstance(value, (list, tuple)):
        raise problem(f"must be a list, got {show(value)}")
    out, bad = [], []
    for i, asset in enumerate(value):
        if not isinstance(asset, str) or not asset.strip():
            bad.append(((i,), f"must be an asset symbol such as BTC, got {show(asset)}"))
        else:
            out.append(asset.strip().upper())
    if not value:
        bad.append(((), "must name at least one asset"))
    dupes = sorted({a for a in out if out.count(a) > 1})
    if dupes:
        bad.append(((), f"listed more than once: {', '.join(dupes)}"))
    if bad:
        raise problems_error(bad)
    return tuple(out)


# --------------------------------------------------------------------------------------------
# the configuration


def _bundled_catalogue() -> dict[str, set[str]] | None:
    """``{exchange: {assets}}`` of the bundled data (:func:`riskkit.datasets.available`), or
    None if it cannot be read: then the assets are not checked, and the other problems of the
    configuration are still reported."""
    try:
        from riskkit.datasets import available

        out: dict[str, set[str]] = {}
        for exchange, asset in available().index:
            out.setdefault(str(exchange), set()).add(str(asset))
        return out
    except Exception:  # a broken catalogue must not hide the configuration's own problems
        return None


def _asset_problems(data: DataSpec, assets: list[str]) -> list[Problem]:
    """Problems of the assets against the data source, located from the top of the file."""
    out: list[Problem] = []
    if data.source == "bundled":
        catalogue = _bundled_catalogue()
        if catalogue is None:
            return out
        if data.exchange not in catalogue:
            out.append(
                (
                    ("data", "exchange"),
                    f"no bundled data for exchange {data.exchange!r}"
                    f"{did_you_mean(data.exchange, catalogue)}; "
                    f"available: {', '.join(sorted(catalogue))}",
                )
            )
            return out
        known = catalogue[data.exchange]
        for a in assets:
            if a not in known:
                out.append(
                    (
                        ("assets",),
                        f"unknown asset {a!r} for bundled exchange {data.exchange!r}"
                        f"{did_you_mean(a, known)}; available: {', '.join(sorted(known))}",
                    )
                )
    elif data.source == "files" and data.files:
        for a in assets:
            if a not in data.files:
                out.append((("assets",), f"asset {a!r} has no file in data.files"))
    return out


def _symbols(raw: Any) -> dict[str, Any] | None:
    """``data.binance.symbols`` of a raw mapping, keys upper-cased (None if not a mapping)."""
    binance = raw.get("binance") if isinstance(raw, Mapping) else None
    symbols = (binance or {}).get("symbols") if isinstance(binance or {}, Mapping) else None
    if not isinstance(symbols or {}, Mapping):
        return None
    return {str(k).strip().upper(): v for k, v in (symbols or {}).items()}


class CalibrationConfig(SettingsModel):
    """A validated calibration run configuration (build with :func:`load_config`).

    The sections are the fields; the values most code needs have shortcuts: :attr:`window`,
    :attr:`refit_every` (the ``backtest`` section), :attr:`seed`, :attr:`executor`,
    :attr:`max_workers` (the ``run`` section) and :attr:`source` (the YAML file this came
    from). A section left out of a file gets its defaults, and :meth:`to_yaml` writes every
    effective setting, defaults included.
    """

    name: Text = "calibration"
    """Label of the run (default: the file's name)."""
    assets: Annotated[
        tuple[str, ...], BeforeValidator(_assets), Field(json_schema_extra={"minItems": 1})
    ]
    """Assets to calibrate, in the order results are reported (and seeds are spawned)."""
    data: DataSpec = Field(default_factory=DataSpec)
    """Where the prices come from."""
    model: ModelSpec = Field(default_factory=ModelSpec)
    """The VaR/ES estimator."""
    backtest: BacktestSpec = Field(default_factory=BacktestSpec)
    """Rolling backtest window and refit frequency."""
    margin: MarginSettings = Field(default_factory=MarginSettings)
    """Margin settings: the MarginSettings the calibration receives (window and refit_every
    come from the backtest section)."""
    output: OutputSpec = Field(default_factory=OutputSpec)
    """Where the run writes its files."""
    run: RunSpec = Field(default_factory=RunSpec)
    """Seed and executor."""
    report: Annotated[
        ReportSpec, BeforeValidator(_report_shorthand, json_schema_input_type=bool | ReportSpec)
    ] = Field(default_factory=ReportSpec)
    """true, false, or the report settings."""
    venue_parameter_sets: tuple[
        Annotated[str, Choice(VENUE_SETS, what="venue", verb="choose from")], ...
    ] = ()
    """Venue parameter sets written under ``venue_parameter_sets`` in the parameter file, from
    the calibrated rates and tiers (binance, dydx, hyperliquid; empty: none)."""
    perpetual: PerpetualSpec | None = None
    """Funding and mark-index basis add-ons to the maintenance margin from each asset's
    perpetual feeds (files per asset), written under ``perpetual`` (null: none)."""
    lending: LendingSpec | None = None
    """DeFi lending proposals (LTV, liquidation threshold and bonus, caps, Risk Steward steps)
    per collateral/debt pair from the collateral's data of the run, written under
    ``lending_parameter_sets`` (null: none)."""

    _source: str | None = PrivateAttr(default=None)

    @model_validator(mode="before")
    @classmethod
    def _sections(cls, data: Any) -> Any:
        """A section left out or left empty (``model:``) gets its defaults; checked all the
        same, so that the rules tying sections together (assets and data, model and window)
        always run."""
        if not isinstance(data, Mapping):
            return data
        out = dict(data)
        for key in ("data", "model", "backtest", "margin", "output", "run", "report"):
            if out.get(key) is None:
                out[key] = {}
        return out

    @model_validator(mode="wrap")
    @classmethod
    def _across_sections(cls, data: Any, handler: Any) -> CalibrationConfig:
        """The rules tying the assets to the data section, checked whatever else is wrong: the
        assets named validly are checked against the data's source, exchange and files, each
        validated on its own."""
        if not isinstance(data, Mapping):
            return handler(data)  # reports the type
        try:
            out, errors = handler(data), []
        except ValidationError as exc:
            out, errors = None, exc.errors()
        raw_assets = data.get("assets")
        assets: list[str] = []
        if isinstance(raw_assets, (list, tuple)):
            for a in raw_assets:
                if isinstance(a, str) and a.strip() and a.strip().upper() not in assets:
                    assets.append(a.strip().upper())
        raw_data = data.get("data") or {}  # left out: the defaults (bundled data)
        extra: list[Problem] = []
        if isinstance(raw_data, Mapping):
            part = {k: raw_data[k] for k in ("source", "exchange", "files") if k in raw_data}
            try:
                spec = DataSpec.__pydantic_validator__.validate_python(part)
            except ValidationError:
                spec = None
            if spec is not None:
                extra += _asset_problems(spec, assets)
            symbols = _symbols(raw_data)
            if str(raw_data.get("source", "")).strip().lower() == "binance" and symbols:
                extra += [
                    (("data", "binance", "symbols", k), "asset not listed in assets")
                    for k in symbols
                    if k not in assets
                ]
        extra += lending_config_problems(data.get("lending"), assets)
        if errors or extra:
            raise merge_errors(errors, extra)
        return out

    @field_validator("data", mode="before")
    @classmethod
    def _default_symbols(cls, value: Any, info: ValidationInfo) -> Any:
        """With ``source: binance``, an asset without a symbol trades against USDT (BTCUSDT)."""
        assets: tuple[str, ...] | None = info.data.get("assets")
        symbols = _symbols(value)
        if not assets or symbols is None:
            return value
        if str(value.get("source", "")).strip().lower() != "binance":
            return value
        binance = dict(value.get("binance") or {})
        binance["symbols"] = {a: symbols.get(a, f"{a}USDT") for a in assets}
        return {**value, "binance": binance}

    @field_validator("backtest", mode="after")
    @classmethod
    def _window_fits_model(cls, value: BacktestSpec, info: ValidationInfo) -> BacktestSpec:
        model: ModelSpec | None = info.data.get("model")
        if model is None:
            return value
        try:
            min_obs = getattr(model.build(), "min_obs", None)
        except Exception:  # the model section reports its own problems
            return value
        if min_obs is not None and value.window < min_obs:
            raise problems_error(
                [
                    (
                        ("window",),
                        f"must be >= {min_obs} for model.estimator {model.estimator!r} "
                        f"(its fewest returns per window), got {value.window}",
                    )
                ]
            )
        return value

    @field_validator("margin", mode="wrap")
    @classmethod
    def _margin_with_backtest(
        cls, value: Any, handler: Any, info: ValidationInfo
    ) -> MarginSettings:
        """The margin section plus window and refit_every from the backtest section."""
        backtest: BacktestSpec | None = info.data.get("backtest")
        given = isinstance(value, MarginSettings)
        raw = value.model_dump() if given else value
        extra = []
        if isinstance(raw, Mapping):
            raw = dict(raw)
            for key in FROM_BACKTEST:
                if key in raw:
                    v = raw.pop(key)
                    if not given or (backtest is not None and v != getattr(backtest, key)):
                        extra.append(((key,), f"set it in the backtest section (backtest.{key})"))
                if backtest is not None:
                    raw[key] = getattr(backtest, key)
        try:
            out = handler(raw)
        except ValidationError as exc:
            raise merge_errors(exc.errors(), extra) from None
        if extra:
            raise problems_error(extra)
        return out

    # ---------------------------------------------------------------- shortcuts

    @property
    def source(self) -> str | None:
        """The YAML file this configuration came from (None if built in code)."""
        return self._source

    @property
    def window(self) -> int:
        """Returns per estimation window (``backtest.window``)."""
        return self.backtest.window

    @property
    def refit_every(self) -> int:
        """Forecast dates between re-estimations (``backtest.refit_every``)."""
        return self.backtest.refit_every

    @property
    def seed(self) -> int:
        """Root seed (``run.seed``)."""
        return self.run.seed

    @property
    def executor(self) -> str:
        """Where the work runs (``run.executor``)."""
        return self.run.executor

    @property
    def max_workers(self) -> int | None:
        """Workers of a local pool (``run.max_workers``)."""
        return self.run.max_workers

    def margin_settings(self) -> MarginSettings:
        """The :class:`~riskkit.margin.MarginSettings` of this run: the ``margin`` section."""
        return self.margin

    # ---------------------------------------------------------------- output

    def to_dict(self) -> dict[str, Any]:
        """Every effective setting, defaults included, as a plain mapping in the YAML layout
        (round-trips through :func:`validate_config`)."""
        dump = self.model_dump(mode="json", exclude={"margin": set(FROM_BACKTEST)})
        # where the data come from first, then how the files are read
        own = [k for k in DataSpec.model_fields if k not in ReadOptions.model_fields]
        dump["data"] = {k: dump["data"][k] for k in [*own, *ReadOptions.model_fields]}
        return {key: dump[key] for key in SECTIONS}

    def to_yaml(self) -> str:
        """The configuration as YAML text: every effective setting, defaults included."""
        return yaml.safe_dump(self.to_dict(), sort_keys=False)

    def fingerprint(self) -> str:
        """SHA-256 of everything that changes the numbers (not output, executor or report).

        Two runs with the same fingerprint on the same data give the same parameter file; the
        executor and worker count are left out on purpose because they do not change results.
        Defaults count as if written out: leaving a key out or writing its default gives the
        same fingerprint.
        """
        d = self.to_dict()
        for key in ("output", "report"):
            d.pop(key)
        d["run"] = {"seed": self.seed}
        for key in ("venue_parameter_sets", "perpetual", "lending"):  # 1.3: left out when unset,
            if not d.get(key):  # so the fingerprints of earlier configurations stay the same
                d.pop(key, None)
        text = json.dumps(d, sort_keys=True, default=str)
        return hashlib.sha256(text.encode()).hexdigest()

    def replace(self, **changes: Any) -> CalibrationConfig:
        """A copy with some settings changed, validated again.

        Keys are section fields in dotted form (``"margin.level"``) or the shortcuts
        ``window``, ``refit_every``, ``seed``, ``executor``, ``max_workers``.
        """
        mapping = self.to_dict()
        for key, value in changes.items():
            section, _, sub = key.partition(".")
            if sub:
                mapping.setdefault(section, {})[sub] = value
            elif key in ("window", "refit_every"):
                mapping["backtest"][key] = value
            elif key in ("seed", "executor", "max_workers"):
                mapping["run"][key] = value
            else:
                mapping[key] = value
        return validate_config(mapping, source=self.source)


# --------------------------------------------------------------------------------------------
# public entry points


def config_json_schema() -> dict[str, Any]:
    """JSON Schema of a configuration file (what ``riskkit config-schema`` writes).

    An editor given this schema (for YAML: the ``# yaml-language-server: $schema=...`` comment,
    or a setting of the editor) completes keys, shows each key's description and default, and
    flags unknown keys, wrong types and values out of range. Checks that need the machine
    (files exist, assets exist in the bundled data) are left to :func:`validate_config`.
    """
    schema = CalibrationConfig.model_json_schema()
    schema["title"] = "riskkit calibration configuration"
    return {"$schema": "https://json-schema.org/draft/2020-12/schema", **schema}


def validate_config(
    mapping: Any, source: str | os.PathLike[str] | None = None
) -> CalibrationConfig:
    """Check a configuration mapping and return the :class:`CalibrationConfig` it describes.

    Parameters
    ----------
    mapping : mapping
        The parsed YAML (sections ``name``, ``data``, ``assets``, ``model``, ``margin``,
        ``backtest``, ``output``, ``run``, ``report``).
    source : path, optional
        File the mapping came from, named in error messages.

    Returns
    -------
    CalibrationConfig

    Raises
    ------
    ConfigError
        Listing every problem found, each with its location: unknown keys (with the closest
        known key), wrong types, values out of range, missing files, unknown assets or
        exchanges.
    """
    src = None if source is None else str(source)
    head = f"invalid configuration {src}" if src else "invalid configuration"
    if not isinstance(mapping, Mapping):
        raise ConfigError(
            format_problems(
                head,
                [f"the top level must be a mapping of sections, got {type(mapping).__name__}"],
            )
        )
    mapping = dict(mapping)
    if mapping.get("name") is None:
        mapping["name"] = Path(src).stem if src else "calibration"
    try:
        config = CalibrationConfig.__pydantic_validator__.validate_python(mapping)
    except ValidationError as exc:
        raise ConfigError(format_problems(head, describe_errors(exc, CalibrationConfig))) from None
    config._source = src
    return config


def config_from_mapping(mapping: Mapping[str, Any]) -> CalibrationConfig:
    """Alias of :func:`validate_config` for a mapping built in code."""
    return validate_config(mapping)


class _ConfigLoader(yaml.SafeLoader):
    """SafeLoader that keeps an impossible date (``2019-13-01``) as its text.

    PyYAML's own timestamp constructor raises a bare ``ValueError`` on such a value, which would
    escape as a traceback; kept as a string, the validator reports it with the other problems.
    """


def _construct_timestamp(loader: yaml.SafeLoader, node: yaml.Node) -> Any:
    try:
        return yaml.SafeLoader.construct_yaml_timestamp(loader, node)
    except ValueError:
        return loader.construct_scalar(node)


_ConfigLoader.add_constructor("tag:yaml.org,2002:timestamp", _construct_timestamp)


def read_yaml(path: str | os.PathLike[str]) -> Any:
    """The content of a YAML configuration file, before validation.

    Raises
    ------
    ConfigError
        If the file is missing, empty or not valid YAML.
    """
    p = Path(path)
    if not p.is_file():
        raise ConfigError(f"configuration file not found: {p.resolve()}")
    try:
        # _ConfigLoader is a SafeLoader: no arbitrary objects are built
        mapping = yaml.load(p.read_text(encoding="utf-8"), Loader=_ConfigLoader)
    except yaml.YAMLError as exc:
        raise ConfigError(f"configuration file {p} is not valid YAML: {exc}") from None
    if mapping is None:
        raise ConfigError(f"configuration file {p} is empty")
    return mapping


def load_config(
    path: str | os.PathLike[str], overrides: Mapping[str, Any] | None = None
) -> CalibrationConfig:
    """Read and validate a YAML configuration file.

    Parameters
    ----------
    path : path
        The YAML file.
    overrides : mapping, optional
        Values replacing those of the file before validation, keyed by dotted path
        (``{"backtest.window": 250, "assets": ["BTC"], "run.executor": "serial"}``).

    Returns
    -------
    CalibrationConfig

    Raises
    ------
    ConfigError
        If the file is missing or is not valid YAML, or (listing every problem) if its content is
        invalid.
    """
    mapping = read_yaml(path)
    if overrides:
        mapping = apply_overrides(mapping, overrides)
    return validate_config(mapping, source=Path(path))


def apply_overrides(mapping: Any, overrides: Mapping[str, Any]) -> Any:
    """Copy of ``mapping`` with dotted-path ``overrides`` applied (``"margin.level": 0.995``).

    Parameters
    ----------
    mapping : Any
        The raw configuration, as read from YAML and before validation. Anything that is not a
        mapping is returned as it is, without the overrides (the validator reports it).
    overrides : mapping of str to Any
        Values keyed by dotted path (``{"backtest.window": 250, "assets": ["BTC"]}``), applied
        in order. Missing intermediate sections are created; an intermediate value that is not
        a dict is replaced by one: a bool ``b`` becomes ``{"enabled": b}`` (so ``report: true``
        plus ``"report.html"`` keeps the switch), any other value is discarded.

    Returns
    -------
    Any
        A new dict (``mapping`` is not modified), or ``mapping`` itself if it is not a mapping.
        The copy is a JSON round trip: values JSON cannot hold (dates, timestamps) become their
        ``str()``, tuples become lists and non-string keys become strings. Override values are
        inserted as given.
    """
    if not isinstance(mapping, Mapping):
        return mapping
    out = json.loads(json.dumps(mapping, default=str))
    for dotted, value in overrides.items():
        parts = dotted.split(".")
        node = out
        for part in parts[:-1]:
            if not isinstance(node.get(part), dict):
                node[part] = {} if not isinstance(node.get(part), bool) else {"enabled": node[part]}
            node = node[part]
        node[parts[-1]] = value
    return out
