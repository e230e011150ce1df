"""YAML configuration of a calibration run, validated in full before any work starts.

A configuration names the data, the assets, the risk model, the margin settings, the backtest
window, where the results go, the random seed, where the work runs and whether to build the
report. :func:`load_config` reads a YAML file and :func:`validate_config` checks a mapping; both
collect **every** problem (unknown keys with a did-you-mean, wrong types, bad ranges, missing
files, unknown assets) and raise one :class:`~riskkit.exceptions.ConfigError` listing them all,
so a user fixes a file in one pass instead of one error per run.

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

import dataclasses
import datetime as _dt
import difflib
import hashlib
import importlib
import json
import math
import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from riskkit.exceptions import ConfigError

__all__ = [
    "CalibrationConfig",
    "DataSpec",
    "ModelSpec",
    "OutputSpec",
    "ReportSpec",
    "load_config",
    "validate_config",
    "config_from_mapping",
    "ESTIMATORS",
    "APC_METHODS",
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
APC_METHODS = ("none", "buffer", "stressed_weight", "floor")
DATA_SOURCES = ("bundled", "files", "binance")
VOL_MODELS = ("GARCH", "GJR", "EGARCH", "APARCH")
DISTRIBUTIONS = ("normal", "t", "skewt", "ged")
MEANS = ("zero", "constant")
FIGURE_FORMATS = ("png", "svg", "pdf")
#: columns riskkit reads from a user file; ``data.columns`` maps the file's names to these
OHLCV_COLUMNS = ("open", "high", "low", "close", "volume")

# Keys of the ``margin`` section used when riskkit.margin cannot be imported; when it can, the
# fields of ``riskkit.margin.MarginSettings`` are the authority.
_CORE_MARGIN_KEYS = ("measure", "level", "horizon_days", "mm_ratio", "apc")
# Keys of MarginSettings the configuration sets from other sections (``backtest``), so they are
# not accepted twice.
_MARGIN_KEYS_FROM_BACKTEST = ("window", "refit_every")


# --------------------------------------------------------------------------------------------
# specification objects


def _risk_class(name: str) -> type:
    """An estimator class of riskkit.risk (looked up in its sub-modules if not re-exported)."""
    from riskkit import risk

    cls = getattr(risk, name, None)
    if cls is None:
        for sub in ("historical", "parametric", "evt"):
            try:
                module = importlib.import_module(f"riskkit.risk.{sub}")
            except ImportError:
                continue
            cls = getattr(module, name, None)
            if cls is not None:
                break
    if cls is None:
        raise ImportError(f"riskkit.risk has no estimator {name}")
    return cls


@dataclass(frozen=True)
class DataSpec:
    """Where the prices come from.

    Attributes
    ----------
    source : {"bundled", "files", "binance"}
        The bundled real data (:mod:`riskkit.datasets`), user CSV/Parquet files
        (:mod:`riskkit.data`), or the Binance public bulk-data archive (:mod:`riskkit.download`).
    exchange : str
        Exchange of the bundled data.
    clean : bool
        Apply the documented cleaning steps to the bundled data.
    start, end : str or None
        First and last bar (ISO dates, inclusive).
    files : dict
        ``{asset: path}`` for ``source: files`` (CSV or Parquet, read by
        :func:`riskkit.data.read_prices`).
    timestamp : str or None
        Timestamp column of the files (detected by name when None).
    columns : dict
        ``{column in the file: riskkit column}`` for ``source: files`` (``{"Last": "close"}``);
        columns not named are detected by name.
    binance : dict
        ``market``, ``interval``, ``symbols`` (``{asset: "BTCUSDT"}``) and ``cache_dir`` for
        ``source: binance``.
    """

    source: str = "bundled"
    exchange: str = "bitstamp"
    clean: bool = True
    start: str | None = None
    end: str | None = None
    files: dict[str, str] = field(default_factory=dict)
    timestamp: str | None = None
    columns: dict[str, str] = field(default_factory=dict)
    binance: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class ModelSpec:
    """The VaR/ES estimator and, where it has one, its GARCH-family volatility filter."""

    estimator: str = "fhs"
    vol: str = "GARCH"
    p: int = 1
    o: int | None = None  # None: 1 for GJR, 0 otherwise (GarchSpec's own default)
    q: int = 1
    dist: str = "t"
    mean: str = "zero"
    threshold: float = 0.9
    on_integrated: str = "igarch"

    def garch_spec(self) -> Any:
        """The :class:`riskkit.volatility.GarchSpec` this model describes."""
        from riskkit.volatility import GarchSpec

        return GarchSpec(
            vol=self.vol,
            p=self.p,
            o=self.o,
            q=self.q,
            dist=self.dist,
            mean=self.mean,
            on_integrated=self.on_integrated,
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
        if self.estimator == "evt":
            return _risk_class("EVTPeaksOverThreshold")(spec, threshold_quantile=self.threshold)
        raise ConfigError(f"model.estimator: unknown estimator {self.estimator!r}")

    def describe(self) -> str:
        """One line naming the model, for logs and the report."""
        if self.estimator in ("historical",):
            return "historical simulation"
        if self.estimator == "parametric":
            return f"parametric ({self.dist})"
        try:
            label = self.garch_spec().label
        except Exception:  # describe() must work even for a spec GarchSpec rejects
            label = f"{self.vol}({self.p},{self.o},{self.q})-{self.dist}"
        names = {
            "fhs": "filtered historical simulation",
            "garch": "GARCH-parametric",
            "evt": "EVT peaks over threshold",
        }
        return f"{names[self.estimator]} on {label}, {self.mean} mean"


@dataclass(frozen=True)
class OutputSpec:
    """Where a run writes its files.

    Attributes
    ----------
    directory : str
        Parent of the run directories.
    run_name : str or None
        Name of this run's directory; default ``<UTC timestamp>-<config hash>``.
    latest : str or None
        Stable copy of the latest parameter file (``None``: no copy).
    figure_formats : tuple of str
        Formats every figure is saved in.
    """

    directory: str = "reports/runs"
    run_name: str | None = None
    latest: str | None = "reports/margin_parameters.json"
    figure_formats: tuple[str, ...] = ("png", "svg")


@dataclass(frozen=True)
class ReportSpec:
    """The report: notebook 08 on this run, and optionally every notebook of the collection."""

    enabled: bool = True
    all_notebooks: bool = False
    notebooks_dir: str = "reports/notebooks"
    timeout: int = 1200


@dataclass(frozen=True)
class CalibrationConfig:
    """A validated calibration run configuration (build with :func:`load_config`).

    Attributes
    ----------
    name : str
        Label of the run.
    data : DataSpec
    assets : tuple of str
        Assets to calibrate, in the order results are reported (and seeds are spawned).
    model : ModelSpec
    margin : dict
        Keyword arguments of :class:`riskkit.margin.MarginSettings` (``measure``, ``level``,
        ``horizon_days``, ``mm_ratio``, ``apc``, tier and rounding settings...).
    window : int
        Returns in each estimation window of the rolling backtest.
    refit_every : int
        Forecast dates between re-estimations of the model parameters.
    output : OutputSpec
    seed : int
        Root seed; asset ``i`` gets child ``i`` of ``SeedSequence(seed)``.
    executor : str
        ``"processes"``, ``"serial"``, ``"threads"``, ``"local"`` (Dask LocalCluster) or a Dask
        scheduler address ``"tcp://host:8786"``.
    max_workers : int or None
        Workers of a local pool or LocalCluster (default: the number of CPUs).
    report : ReportSpec
    source : str or None
        The YAML file this came from.
    """

    name: str = "calibration"
    data: DataSpec = field(default_factory=DataSpec)
    assets: tuple[str, ...] = ("BTC",)
    model: ModelSpec = field(default_factory=ModelSpec)
    margin: dict[str, Any] = field(default_factory=dict)
    window: int = 500
    refit_every: int = 20
    output: OutputSpec = field(default_factory=OutputSpec)
    seed: int = 20260101
    executor: str = "processes"
    max_workers: int | None = None
    report: ReportSpec = field(default_factory=ReportSpec)
    source: str | None = None

    def to_dict(self) -> dict[str, Any]:
        """The configuration as a plain mapping in the YAML layout (round-trips through
        :func:`validate_config`)."""
        out = dataclasses.asdict(self)
        out.pop("source")
        data = out.pop("data")
        return {
            "name": out["name"],
            "data": data,
            "assets": list(self.assets),
            "model": out["model"],
            "margin": dict(self.margin),
            "backtest": {"window": self.window, "refit_every": self.refit_every},
            "output": {**out["output"], "figure_formats": list(self.output.figure_formats)},
            "run": {
                "seed": self.seed,
                "executor": self.executor,
                "max_workers": self.max_workers,
            },
            "report": out["report"],
        }

    def to_yaml(self) -> str:
        """The configuration as YAML text."""
        return yaml.safe_dump(self.to_dict(), sort_keys=False)

    def fingerprint(self) -> str:
        """SHA-256 of everything that changes the numbers (not output, executor or report).

        Two runs with the same fingerprint on the same data give the same parameter file; the
        executor and worker count are left out on purpose because they do not change results.
        """
        d = self.to_dict()
        for key in ("output", "report"):
            d.pop(key)
        d["run"] = {"seed": self.seed}
        text = json.dumps(d, sort_keys=True, default=str)
        return hashlib.sha256(text.encode()).hexdigest()

    def replace(self, **changes: Any) -> CalibrationConfig:
        """A copy with some top-level fields changed, validated again."""
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

    def margin_settings(self) -> Any:
        """The :class:`riskkit.margin.MarginSettings` of this run."""
        from riskkit.margin import MarginSettings

        kwargs = dict(self.margin)
        names = {f.name for f in dataclasses.fields(MarginSettings)}
        for key, value in (("window", self.window), ("refit_every", self.refit_every)):
            if key in names:
                kwargs[key] = value
        try:
            return MarginSettings(**kwargs)
        except (TypeError, ValueError) as exc:
            raise ConfigError(f"margin: {exc}") from None


# --------------------------------------------------------------------------------------------
# validation machinery


class _Problems:
    """Collects problems with their location in the file."""

    def __init__(self) -> None:
        self.items: list[str] = []

    def add(self, where: str, message: str) -> None:
        self.items.append(f"{where}: {message}" if where else message)

    def raise_if_any(self, source: str | None) -> None:
        if self.items:
            head = f"invalid configuration {source}" if source else "invalid configuration"
            n = len(self.items)
            lines = "\n".join(f"  - {item}" for item in self.items)
            raise ConfigError(f"{head} ({n} problem{'s' * (n != 1)}):\n{lines}")


_MISSING = object()


@dataclass(frozen=True)
class _Key:
    kind: str  # "str", "int", "float", "bool", "date", "mapping", "list"
    default: Any = _MISSING
    choices: tuple[str, ...] | None = None
    low: float | None = None
    high: float | None = None
    low_open: bool = False
    high_open: bool = False
    nullable: bool = False


_TYPE_NAMES = {
    "str": "a string",
    "int": "an integer",
    "float": "a number",
    "bool": "true or false",
    "date": "a date (YYYY-MM-DD)",
    "mapping": "a mapping",
    "list": "a list",
}


def _did_you_mean(word: str, options: Any) -> str:
    close = difflib.get_close_matches(str(word), [str(o) for o in options], n=1, cutoff=0.6)
    return f" (did you mean {close[0]!r}?)" if close else ""


def _check_value(value: Any, spec: _Key, where: str, problems: _Problems) -> Any:
    """Type- and range-check one value; returns it normalised or _MISSING on a problem."""
    if value is None:
        if spec.nullable:
            return None
        problems.add(where, f"must be {_TYPE_NAMES[spec.kind]}, got null")
        return _MISSING
    kind = spec.kind
    if kind == "bool":
        if not isinstance(value, bool):
            problems.add(where, f"must be true or false, got {value!r}")
            return _MISSING
        return value
    if kind in ("int", "float"):
        ok = isinstance(value, int) and not isinstance(value, bool)
        if kind == "float":
            ok = ok or isinstance(value, float)
        elif isinstance(value, float) and value.is_integer():
            ok, value = True, int(value)
        if not ok:
            problems.add(where, f"must be {_TYPE_NAMES[kind]}, got {value!r}")
            return _MISSING
        if isinstance(value, float) and not math.isfinite(value):
            problems.add(where, f"must be finite, got {value!r}")
            return _MISSING
        bad_low = spec.low is not None and (
            value <= spec.low if spec.low_open else value < spec.low
        )
        bad_high = spec.high is not None and (
            value >= spec.high if spec.high_open else value > spec.high
        )
        if bad_low or bad_high:
            lo = "" if spec.low is None else ("(" if spec.low_open else "[") + f"{spec.low:g}"
            hi = "" if spec.high is None else f"{spec.high:g}" + (")" if spec.high_open else "]")
            if spec.low is not None and spec.high is not None:
                rng = f"in {lo}, {hi}"
            elif spec.low is not None:
                rng = f"{'>' if spec.low_open else '>='} {spec.low:g}"
            else:
                rng = f"{'<' if spec.high_open else '<='} {spec.high:g}"
            hint = ""
            if spec.high == 1 and 1 < value < 100:
                hint = f" (a fraction: did you mean {value / 100:g}?)"
            problems.add(where, f"must be {rng}, got {value!r}{hint}")
            return _MISSING
        return float(value) if kind == "float" else int(value)
    if kind == "date":
        if isinstance(value, _dt.datetime):
            value = value.date()
        if isinstance(value, _dt.date):
            return value.isoformat()
        if isinstance(value, str):
            try:
                return _dt.date.fromisoformat(value.strip()).isoformat()
            except ValueError:
                pass
        problems.add(where, f"must be a date YYYY-MM-DD, got {value!r}")
        return _MISSING
    if kind == "str":
        if not isinstance(value, str) or not value.strip():
            problems.add(where, f"must be a non-empty string, got {value!r}")
            return _MISSING
        value = value.strip()
        if spec.choices is not None and value not in spec.choices:
            alt = {c.lower(): c for c in spec.choices}.get(value.lower())
            if alt is not None:
                return alt
            problems.add(
                where,
                f"unknown value {value!r}{_did_you_mean(value, spec.choices)}; "
                f"choose one of {', '.join(spec.choices)}",
            )
            return _MISSING
        return value
    if kind == "mapping":
        if not isinstance(value, Mapping):
            problems.add(where, f"must be a mapping, got {type(value).__name__} {value!r}")
            return _MISSING
        return dict(value)
    if kind == "list":
        if isinstance(value, (str, bytes)) or not isinstance(value, (list, tuple)):
            problems.add(where, f"must be a list, got {value!r}")
            return _MISSING
        return list(value)
    raise AssertionError(kind)  # pragma: no cover - schema bug


def _check_section(
    raw: Any,
    schema: Mapping[str, _Key],
    where: str,
    problems: _Problems,
    extra: Callable[[str], bool] | None = None,
) -> dict[str, Any]:
    """Check a mapping against ``schema``; unknown keys are reported with a did-you-mean."""
    if raw is None:
        raw = {}
    if not isinstance(raw, Mapping):
        problems.add(where, f"must be a mapping, got {type(raw).__name__} {raw!r}")
        raw = {}
    out: dict[str, Any] = {}
    for key, value in raw.items():
        loc = f"{where}.{key}" if where else str(key)
        if key not in schema:
            if extra is not None and extra(str(key)):
                out[key] = value
                continue
            problems.add(loc, f"unknown key{_did_you_mean(key, schema)}")
            continue
        checked = _check_value(value, schema[key], loc, problems)
        if checked is not _MISSING:
            out[key] = checked
    for key, spec in schema.items():
        if key not in out and key not in raw:
            if spec.default is _MISSING:
                problems.add(f"{where}.{key}" if where else key, "missing (required)")
            else:
                out[key] = spec.default
    return out


_TOP = {
    "name": _Key("str", None, nullable=True),
    "data": _Key("mapping", None, nullable=True),
    "assets": _Key("list", _MISSING),
    "model": _Key("mapping", None, nullable=True),
    "margin": _Key("mapping", None, nullable=True),
    "backtest": _Key("mapping", None, nullable=True),
    "output": _Key("mapping", None, nullable=True),
    "run": _Key("mapping", None, nullable=True),
    "report": _Key("bool", True),  # a bool, or a mapping (checked separately)
}
_DATA = {
    "source": _Key("str", "bundled", choices=DATA_SOURCES),
    "exchange": _Key("str", "bitstamp"),
    "clean": _Key("bool", True),
    "start": _Key("date", None, nullable=True),
    "end": _Key("date", None, nullable=True),
    "files": _Key("mapping", None, nullable=True),
    "timestamp": _Key("str", None, nullable=True),
    "columns": _Key("mapping", None, nullable=True),
    "binance": _Key("mapping", None, nullable=True),
}
_MODEL = {
    "estimator": _Key("str", "fhs", choices=tuple(ESTIMATORS)),
    "vol": _Key("str", "GARCH", choices=VOL_MODELS),
    "p": _Key("int", 1, low=1, high=5),
    "o": _Key("int", None, low=0, high=5, nullable=True),
    "q": _Key("int", 1, low=0, high=5),
    "dist": _Key("str", "t", choices=DISTRIBUTIONS),
    "mean": _Key("str", "zero", choices=MEANS),
    "threshold": _Key("float", 0.9, low=0.5, high=1, high_open=True),
    "on_integrated": _Key("str", "igarch", choices=("igarch", "ewma")),
}
_BACKTEST = {
    "window": _Key("int", 500, low=30),
    "refit_every": _Key("int", 20, low=1),
}
_OUTPUT = {
    "directory": _Key("str", "reports/runs"),
    "run_name": _Key("str", None, nullable=True),
    "latest": _Key("str", "reports/margin_parameters.json", nullable=True),
    "figure_formats": _Key("list", ["png", "svg"]),
}
_RUN = {
    "seed": _Key("int", 20260101, low=0),
    "executor": _Key("str", "processes"),
    "max_workers": _Key("int", None, low=1, nullable=True),
}
_REPORT = {
    "enabled": _Key("bool", True),
    "all_notebooks": _Key("bool", False),
    "notebooks_dir": _Key("str", "reports/notebooks"),
    "timeout": _Key("int", 1200, low=10),
}
# checks of the margin keys every MarginSettings has; the rest are checked by MarginSettings
_MARGIN_CORE = {
    "measure": _Key("str", "es", choices=("es", "var")),
    "level": _Key("float", 0.99, low=0, high=1, low_open=True, high_open=True),
    "horizon_days": _Key("float", 1.0, low=0, high=30, low_open=True),
    "mm_ratio": _Key("float", 0.5, low=0, high=1, low_open=True),
    "apc": _Key("str", "none", choices=APC_METHODS),
}
_BINANCE = {
    "market": _Key("str", "spot", choices=("spot", "um")),
    # daily bars: the calibration works on daily returns (design.md conventions)
    "interval": _Key("str", "1d", choices=("1d",)),
    "symbols": _Key("mapping", None, nullable=True),
    "cache_dir": _Key("str", None, nullable=True),
}
_EXECUTORS = ("processes", "serial", "threads", "local")


def _margin_fields() -> dict[str, Any] | None:
    """``{field: default}`` of MarginSettings, or None when riskkit.margin is not importable."""
    try:
        from riskkit.margin import MarginSettings
    except ImportError:
        return None
    out = {}
    for f in dataclasses.fields(MarginSettings):
        if f.default is not dataclasses.MISSING:
            out[f.name] = f.default
        elif f.default_factory is not dataclasses.MISSING:
            out[f.name] = f.default_factory()
        else:
            out[f.name] = _MISSING
    return out


def _check_margin(raw: Any, problems: _Problems) -> dict[str, Any]:
    """Check the margin section: the core keys here, every other key against the type of its
    default in :class:`riskkit.margin.MarginSettings`, then MarginSettings' own checks."""
    fields_ = _margin_fields()
    if fields_ is None:
        known = set(_MARGIN_CORE)
    else:
        known = set(fields_) - set(_MARGIN_KEYS_FROM_BACKTEST)
    if raw is None:
        return {}
    if not isinstance(raw, Mapping):
        problems.add("margin", f"must be a mapping, got {type(raw).__name__} {raw!r}")
        return {}
    out: dict[str, Any] = {}
    typed_ok: list[str] = []  # keys whose type check passed: MarginSettings checks their range
    before = len(problems.items)
    for key, value in raw.items():
        where = f"margin.{key}"
        n_before = len(problems.items)
        if key in _MARGIN_KEYS_FROM_BACKTEST:
            problems.add(where, f"set it in the backtest section (backtest.{key})")
        elif key not in known:
            problems.add(where, f"unknown key{_did_you_mean(key, sorted(known))}")
        elif key in _MARGIN_CORE:
            checked = _check_value(value, _MARGIN_CORE[key], where, problems)
            if checked is not _MISSING:
                out[key] = checked
        else:
            default = fields_.get(key, _MISSING) if fields_ else _MISSING
            out[key] = _coerce_like(value, default, where, problems)
        if key in out and len(problems.items) == n_before:
            typed_ok.append(key)
    if fields_ is not None:
        from riskkit.margin import MarginSettings

        # MarginSettings stops at its first problem: check each key on its own (other fields at
        # their valid defaults) so that every bad value is listed, then the rules that tie
        # several keys together (im_floor <= im_cap, ...) once each key is valid on its own
        for key in typed_ok:
            try:
                MarginSettings(**{key: out[key]})
            except (TypeError, ValueError) as exc:  # ConfigError is a ValueError
                problems.add(f"margin.{key}", str(exc))
        if len(problems.items) == before:
            try:
                MarginSettings(**out)
            except (TypeError, ValueError) as exc:
                problems.add("margin", str(exc))
    return out


def _coerce_like(value: Any, default: Any, where: str, problems: _Problems) -> Any:
    """Check a MarginSettings value against the type of the field's default."""
    if default is _MISSING or default is None or value is None:
        return tuple(value) if isinstance(value, list) else value
    if isinstance(default, bool):
        if not isinstance(value, bool):
            problems.add(where, f"must be true or false, got {value!r}")
        return value
    if isinstance(default, (int, float)):
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            problems.add(where, f"must be a number, got {value!r}")
        elif isinstance(default, int) and isinstance(value, float) and not value.is_integer():
            problems.add(where, f"must be an integer, got {value!r}")
        elif isinstance(default, float):
            return float(value)
        return int(value) if isinstance(default, int) and isinstance(value, (int, float)) else value
    if isinstance(default, str):
        if not isinstance(value, str):
            problems.add(where, f"must be a string, got {value!r}")
        return value
    if isinstance(default, (tuple, list)):
        if not isinstance(value, (list, tuple)):
            problems.add(where, f"must be a list, got {value!r}")
            return value
        return tuple(tuple(v) if isinstance(v, list) else v for v in value)
    return value


def _bundled_catalogue() -> dict[str, set[str]] | None:
    """``{exchange: {assets}}`` of the bundled data, or None if it cannot be read.

    :func:`riskkit.datasets.available` is a DataFrame indexed by (exchange, asset); a mapping or a
    sequence of pairs is accepted too, so a change of layout degrades to "cannot check" rather
    than hiding the other problems of the configuration.
    """
    try:
        from riskkit.datasets import available
    except ImportError:
        return None
    try:
        import pandas as pd

        table = available()
        if isinstance(table, pd.DataFrame):
            frame = table.reset_index()
            cols = {str(c).lower(): c for c in frame.columns}
            pairs = zip(frame[cols["exchange"]], frame[cols["asset"]], strict=True)
        elif isinstance(table, Mapping):
            pairs = ((e, a) for e, assets in table.items() for a in assets)
        else:
            pairs = (tuple(x) for x in table)
        out: dict[str, set[str]] = {}
        for exchange, asset in pairs:
            out.setdefault(str(exchange), set()).add(str(asset))
        return out
    except Exception:  # an unexpected layout must not hide the other problems
        return None


def _bundled_assets(exchange: str) -> set[str] | None:
    """Assets of the bundled data on ``exchange`` (None if riskkit.datasets is unavailable)."""
    catalogue = _bundled_catalogue()
    return None if catalogue is None else catalogue.get(exchange, set())


def _bundled_exchanges() -> set[str] | None:
    """Exchanges of the bundled data (None if riskkit.datasets is unavailable)."""
    catalogue = _bundled_catalogue()
    return None if catalogue is None else set(catalogue)


# --------------------------------------------------------------------------------------------
# public entry points


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
        Listing every problem found: unknown keys (with the closest known key), wrong types,
        values out of range, missing files, unknown assets or exchanges.
    """
    src = None if source is None else str(source)
    problems = _Problems()
    if not isinstance(mapping, Mapping):
        problems.add(
            "", f"the top level must be a mapping of sections, got {type(mapping).__name__}"
        )
        problems.raise_if_any(src)
    raw_report = mapping.get("report", True)
    top = _check_section({k: v for k, v in mapping.items() if k != "report"}, _TOP, "", problems)
    # data
    data = _check_section(top.get("data"), _DATA, "data", problems)
    if data.get("start") and data.get("end") and data["start"] >= data["end"]:
        problems.add("data.end", f"must be after data.start ({data['start']}), got {data['end']}")
    # assets
    assets: list[str] = []
    for i, a in enumerate(top.get("assets") or []):
        if not isinstance(a, str) or not a.strip():
            problems.add(f"assets[{i}]", f"must be an asset symbol such as BTC, got {a!r}")
        else:
            assets.append(a.strip().upper())
    if "assets" in top and not top["assets"]:
        problems.add("assets", "must name at least one asset")
    dupes = sorted({a for a in assets if assets.count(a) > 1})
    if dupes:
        problems.add("assets", f"listed more than once: {', '.join(dupes)}")
    source_kind = data.get("source", "bundled")
    files = {}
    if source_kind == "bundled":
        exchanges = _bundled_exchanges()
        exchange = data.get("exchange", "bitstamp")
        if exchanges is not None and exchange not in exchanges:
            problems.add(
                "data.exchange",
                f"no bundled data for exchange {exchange!r}{_did_you_mean(exchange, exchanges)}; "
                f"available: {', '.join(sorted(exchanges))}",
            )
        else:
            known = _bundled_assets(exchange)
            if known is not None:
                for a in assets:
                    if a not in known:
                        problems.add(
                            "assets",
                            f"unknown asset {a!r} for bundled exchange {exchange!r}"
                            f"{_did_you_mean(a, known)}; available: {', '.join(sorted(known))}",
                        )
    elif source_kind == "files":
        raw_files = data.get("files") or {}
        if not raw_files:
            problems.add("data.files", "required when data.source is 'files': {ASSET: path}")
        for asset, path in raw_files.items():
            key = str(asset).upper()
            if not isinstance(path, str):
                problems.add(f"data.files.{asset}", f"must be a file path, got {path!r}")
                continue
            p = Path(path).expanduser()
            if not p.is_file():
                problems.add(f"data.files.{asset}", f"file not found: {p.resolve()}")
            elif p.suffix.lower() not in (".csv", ".parquet", ".pq", ".gz"):
                problems.add(
                    f"data.files.{asset}", f"must be a .csv or .parquet file, got {p.name}"
                )
            files[key] = str(p)
        for a in assets:
            if raw_files and a not in files:
                problems.add("assets", f"asset {a!r} has no file in data.files")
        for col, target in (data.get("columns") or {}).items():
            if target not in OHLCV_COLUMNS:
                problems.add(
                    f"data.columns.{col}",
                    f"unknown riskkit column {target!r}{_did_you_mean(target, OHLCV_COLUMNS)}; "
                    f"map your file's column to one of {', '.join(OHLCV_COLUMNS)} "
                    "(the timestamp column goes in data.timestamp)",
                )
    elif source_kind == "binance":
        binance = _check_section(data.get("binance"), _BINANCE, "data.binance", problems)
        # an asset without an explicit symbol trades against USDT (BTC -> BTCUSDT)
        symbols = {str(k).upper(): str(v) for k, v in (binance.get("symbols") or {}).items()}
        for key in symbols:
            if key not in assets:
                problems.add(f"data.binance.symbols.{key}", "asset not listed in assets")
        symbols = {a: symbols.get(a, f"{a}USDT") for a in assets}
        data["binance"] = {**binance, "symbols": symbols}
        for key in ("start", "end"):
            if not data.get(key):
                problems.add(f"data.{key}", "required with data.source: binance (YYYY-MM-DD)")
    for key, kind in (
        ("files", "files"),
        ("timestamp", "files"),
        ("columns", "files"),
        ("binance", "binance"),
    ):
        if data.get(key) and source_kind != kind:
            problems.add(
                f"data.{key}", f"only used with data.source: {kind} (source is {source_kind!r})"
            )
    # model
    model = _check_section(top.get("model"), _MODEL, "model", problems)
    backtest = _check_section(top.get("backtest"), _BACKTEST, "backtest", problems)
    if set(model) == set(_MODEL):
        # the estimator's own checks (orders, distribution) and its minimum window
        try:
            estimator = ModelSpec(**model).build()
        except ImportError:
            estimator = None
        except (ConfigError, ValueError, TypeError) as exc:
            problems.add("model", str(exc))
            estimator = None
        min_obs = getattr(estimator, "min_obs", None)
        window = backtest.get("window")
        if min_obs is not None and isinstance(window, int) and window < min_obs:
            problems.add(
                "backtest.window",
                f"must be >= {min_obs} for model.estimator {model['estimator']!r} "
                f"(its fewest returns per window), got {window}",
            )
    # margin
    margin = _check_margin(top.get("margin"), problems)
    # output
    output = _check_section(top.get("output"), _OUTPUT, "output", problems)
    formats = []
    for i, fmt in enumerate(output.get("figure_formats", [])):
        if fmt not in FIGURE_FORMATS:
            problems.add(
                f"output.figure_formats[{i}]",
                f"unknown format {fmt!r}{_did_you_mean(fmt, FIGURE_FORMATS)}; "
                f"choose from {', '.join(FIGURE_FORMATS)}",
            )
        else:
            formats.append(fmt)
    run_name = output.get("run_name")
    if run_name and (os.sep in run_name or run_name in (".", "..")):
        problems.add("output.run_name", f"must be a plain directory name, got {run_name!r}")
    # run
    run = _check_section(top.get("run"), _RUN, "run", problems)
    executor = run.get("executor", "processes")
    if executor not in _EXECUTORS and "://" not in executor:
        problems.add(
            "run.executor",
            f"unknown executor {executor!r}{_did_you_mean(executor, _EXECUTORS)}; use "
            "processes, serial, threads, local (a Dask LocalCluster) or a Dask scheduler "
            "address such as tcp://10.0.0.5:8786",
        )
    # report: true/false or a mapping
    if isinstance(raw_report, bool):
        report = {**{k: v.default for k, v in _REPORT.items()}, "enabled": raw_report}
    elif isinstance(raw_report, Mapping) or raw_report is None:
        report = _check_section(raw_report, _REPORT, "report", problems)
    else:
        problems.add("report", f"must be true, false or a mapping, got {raw_report!r}")
        report = {k: v.default for k, v in _REPORT.items()}

    problems.raise_if_any(src)
    name = top.get("name") or (Path(src).stem if src else "calibration")
    return CalibrationConfig(
        name=name,
        data=DataSpec(
            source=source_kind,
            exchange=data["exchange"],
            clean=data["clean"],
            start=data["start"],
            end=data["end"],
            files=files,
            timestamp=data["timestamp"],
            columns={str(k): str(v) for k, v in (data.get("columns") or {}).items()},
            binance=dict(data.get("binance") or {}),
        ),
        assets=tuple(assets),
        model=ModelSpec(**model),
        margin=margin,
        window=backtest["window"],
        refit_every=backtest["refit_every"],
        output=OutputSpec(
            directory=output["directory"],
            run_name=output["run_name"],
            latest=output["latest"],
            figure_formats=tuple(formats),
        ),
        seed=run["seed"],
        executor=executor,
        max_workers=run["max_workers"],
        report=ReportSpec(**report),
        source=src,
    )


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
    if overrides:
        mapping = apply_overrides(mapping, overrides)
    return validate_config(mapping, source=p)


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
