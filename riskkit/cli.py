"""Command line interface: ``riskkit <command>`` (also ``python -m riskkit <command>``).

Commands
--------
calibrate        run a calibration from a YAML configuration (the report included)
validate-config  check a configuration and list every problem
config-schema    write the JSON Schema of a configuration file (for editors)
validate-data    check a CSV/Parquet price file and list its defects with dates
compare-feeds    compare two price feeds of one asset (deviation, lag, stale, missing bars)
detect-anomalies dated alert table: stale, spikes, volume, cross-venue, mark/index, depeg
check-params     check a margin parameter file against its JSON Schema
download         fetch bars or funding rates from the Binance public bulk-data archive
datasets         list the bundled data series
report           (re)build the report notebook of an existing run directory
challengers      champion/challenger run: ML and conformal models vs the calibration's model

Exit codes: 0 success; 1 the command ran but something failed (an asset, a stage, a defect of
severity "error", an invalid parameter file); 2 invalid usage or configuration (nothing was run);
130 interrupted.

``validate-data``, ``compare-feeds`` and ``calibrate`` take one flag per read option of
:class:`riskkit.data.options.ReadOptions` (``--unit ms``, ``--sep ';'``, ``--timezone
Europe/Zurich``, ``--day-boundary 08:00``, ``--interval 1h``, ``--partial-bars keep``,
``--column Last=close``...; ``compare-feeds`` applies them to both files), and the first two
also ``--resample``: the flags are generated from the model's fields
and their docstrings (:func:`add_data_flags`), and each is also the configuration key
``data.<name>``. Output paths are checked before any work: an output that is one of the input
files, an existing run directory or a path that cannot be written is refused, naming the flag.
"""

from __future__ import annotations

import argparse
import logging
import os
import re
import shlex
import sys
import warnings
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

from riskkit.exceptions import ConfigError, DataError, RiskkitError

__all__ = ["main", "build_parser", "add_data_flags", "DATA_FLAGS"]

EXIT_OK = 0
EXIT_FAILED = 1
EXIT_USAGE = 2
EXIT_INTERRUPTED = 130

logger = logging.getLogger("riskkit.cli")

#: ``data`` keys that are flags of ``validate-data`` and ``calibrate`` besides the read options
DATA_FLAGS = ("resample",)
#: metavars of the repeatable KEY=VALUE flags
_PAIR_METAVARS = {"columns": "FILECOL=NAME", "select": "COLUMN=VALUE"}


def _data_fields(extra: Iterable[str] = DATA_FLAGS) -> list[tuple[str, Any]]:
    """``(name, FieldInfo)`` of every read option, then of the ``extra`` data-section keys."""
    from riskkit.data.options import ReadOptions
    from riskkit.run.config import DataSpec

    fields = list(ReadOptions.model_fields.items())
    return fields + [(name, DataSpec.model_fields[name]) for name in extra]


def _flag(field: str) -> str:
    """The command-line spelling of a data-section key (``--day-boundary``, ``--column``)."""
    from riskkit.data.options import ReadOptions

    return ReadOptions.option_name(field, "cli")


def _dest(field: str) -> str:
    return _flag(field).lstrip("-").replace("-", "_")


def add_data_flags(parser: argparse.ArgumentParser, extra: Iterable[str] = DATA_FLAGS) -> None:
    """Add one flag per read option (and per ``extra`` data key) to ``parser``.

    Generated from the fields of :class:`riskkit.data.options.ReadOptions` (and of
    :class:`riskkit.run.config.DataSpec` for ``extra``) and their docstrings, so flags, config
    keys and their help cannot drift apart: ``day_boundary`` is ``--day-boundary``, a mapping
    (``columns``, ``select``) a repeatable ``KEY=VALUE`` flag. Every flag defaults to None (not
    given); :func:`_data_options` collects and checks the values given.
    """
    from riskkit._settings import Choice

    group = parser.add_argument_group(
        "reading the data", "each flag is also the configuration key data.<name>"
    )
    for name, field in _data_fields(extra):
        flag = _flag(name)
        text = " ".join((field.description or "").split()).replace("%", "%%")
        help_ = f"{text} [data.{name}]"
        if isinstance(field.default, dict):
            names = [flag]
            plural = "--" + name.replace("_", "-")
            if plural != flag:
                names.append(plural)
            group.add_argument(
                *names,
                dest=_dest(name),
                action="append",
                default=None,
                metavar=_PAIR_METAVARS.get(name, "KEY=VALUE"),
                help=f"{help_} (repeatable)",
            )
            continue
        choices = [m for m in field.metadata if isinstance(m, Choice)]
        metavar = "{" + ",".join(choices[0].options) + "}" if choices else name.upper()
        group.add_argument(flag, dest=_dest(name), default=None, metavar=metavar, help=help_)


def _pairs(items: Sequence[str], flag: str, metavar: str) -> dict[str, str]:
    out = {}
    for item in items:
        src, sep, dst = str(item).partition("=")
        if not sep or not src.strip() or not dst.strip():
            example = "Last=close" if flag == "--column" else "exchange=bitstamp"
            raise ConfigError(f"{flag} expects {metavar} (e.g. {example}), got {item!r}")
        out[src.strip()] = dst.strip()
    return out


def _shown(value: Any) -> str:
    """A flag value as a user types it (``Last=close``, ``'%Y-%m'``)."""
    if isinstance(value, Mapping):
        return " ".join(shlex.quote(f"{k}={v}") for k, v in value.items())
    return shlex.quote(str(value))


def _data_options(
    args: argparse.Namespace, extra: Iterable[str] = ()
) -> tuple[dict[str, Any], dict[str, str]]:
    """The data options given as flags, checked: ``({field: value}, {field: flag used})``.

    ``--freq`` (older spelling) stands for ``--interval``. Values are checked with the rules of
    the configuration (:class:`~riskkit.data.options.ReadOptions`; intervals with
    :func:`riskkit.bars.parse_interval`) and a bad one raises :class:`ConfigError` naming the
    flag and the value.
    """
    from pydantic import ValidationError

    from riskkit._settings import describe_errors, format_problems
    from riskkit.bars import parse_interval
    from riskkit.data.options import ReadOptions

    given: dict[str, Any] = {}
    used: dict[str, str] = {}
    for name, field in _data_fields(extra):
        value = getattr(args, _dest(name), None)
        if value is None or value == []:
            continue
        if isinstance(field.default, dict):
            value = _pairs(value, _flag(name), _PAIR_METAVARS.get(name, "KEY=VALUE"))
        given[name], used[name] = value, _flag(name)
    freq = getattr(args, "freq", None)
    if freq is not None:
        if "interval" in given and str(given["interval"]) != str(freq):
            raise ConfigError(
                f"--freq {_shown(freq)} and --interval {_shown(given['interval'])} disagree; "
                "give --interval only"
            )
        given["interval"], used["interval"] = freq, used.get("interval", "--freq")
    lines: list[str] = []
    options = {k: v for k, v in given.items() if k in ReadOptions.model_fields}
    bad: set[str] = set()
    try:
        ReadOptions.__pydantic_validator__.validate_python(options)
    except ValidationError as exc:
        for err, line in zip(exc.errors(), describe_errors(exc, ReadOptions), strict=True):
            field = str(err["loc"][0]) if err["loc"] else ""
            where, _, text = line.partition(": ")
            key = where[len(field) + 1 :]
            value = given.get(field)
            shown = _shown({key: value[key]} if key and isinstance(value, Mapping) else value)
            if not isinstance(value, Mapping):  # the flag shows the value already
                text = text.removeprefix(f"{value!r} ")
            lines.append(f"{used.get(field, _flag(field))} {shown}: {text}")
            bad.add(field)
    for name in ("interval", "resample"):
        if name in given and name not in bad:
            try:
                parse_interval(given[name], used[name])
            except ConfigError as exc:
                text = str(exc).partition(": ")[2]
                text = text.removeprefix(f"{given[name]!r} ")
                lines.append(f"{used[name]} {_shown(given[name])}: {text}")
    if lines:
        raise ConfigError(format_problems("invalid option(s)", lines))
    return given, used


def _name_flags(message: str, used: Mapping[str, str]) -> str:
    """A configuration error with the keys set by flags named as the flags (``--unit
    (data.unit)``), for a CLI user."""
    for field, flag in used.items():
        message = re.sub(
            rf"(?<![\w.-])data\.{re.escape(field)}((?:\.[^\s:]+)?):",
            lambda m, f=flag, k=field: f"{f} (data.{k}{m.group(1)}):",
            message,
        )
    return message


def _writable(path: str | None, flag: str) -> None:
    """ConfigError naming ``flag`` unless a file can be written at ``path`` (its directory
    exists and it is not a directory)."""
    if not path:
        return
    p = Path(path).expanduser()
    if p.is_dir():
        raise ConfigError(f"{flag} {path}: is a directory; give a file name")
    parent = p.parent if str(p.parent) else Path(".")
    if not parent.is_dir():
        raise ConfigError(f"{flag} {path}: directory {parent} does not exist")
    if not os.access(parent, os.W_OK):
        raise ConfigError(f"{flag} {path}: directory {parent} is not writable")


def _new_output_file(path: str | None, flag: str, force: bool, cache: Path | None = None) -> None:
    """Refuse, naming ``flag``, an output file that exists (unless ``force``: no data is lost
    from the command line) or that lies inside the archive ``cache`` (always), then check that
    it can be written."""
    if not path:
        return
    p = Path(path).expanduser()
    if cache is not None and p.resolve().is_relative_to(cache.expanduser().resolve()):
        raise ConfigError(
            f"{flag} {path}: inside the archive cache {cache}; it would corrupt the cache: "
            "write the CSV elsewhere"
        )
    if p.is_file() and not force:
        raise ConfigError(
            f"{flag} {path}: the file exists; give another path, or add --force to overwrite it"
        )
    _writable(path, flag)


def _write_text(path: str, text: str, flag: str) -> None:
    """Write ``text`` to ``path``; an OS error becomes a ConfigError naming ``flag``."""
    try:
        Path(path).expanduser().write_text(text, encoding="utf-8")
    except OSError as exc:
        raise ConfigError(f"{flag} {path}: cannot write ({exc.strerror or exc})") from None


def _new_run_dir(path: str, flag: str = "--out") -> None:
    """Refuse an existing run (any non-empty directory: the rule of
    :func:`riskkit.run.run_calibration`) and create the directory, naming ``flag``."""
    from riskkit.run.orchestrate import _refuse_existing

    p = Path(path).expanduser()
    _refuse_existing(p, flag)
    try:
        p.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise ConfigError(
            f"{flag} {path}: cannot create the run directory ({exc.strerror or exc})"
        ) from None


def _version() -> str:
    from riskkit import __version__

    return __version__


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of the ``riskkit`` command (one sub-parser per command)."""
    parser = argparse.ArgumentParser(
        prog="riskkit",
        description=(
            "Calibrate the margin engine of a crypto-derivatives venue: fit volatility models, "
            "estimate VaR/ES, backtest them, turn them into margin parameters, and write a "
            "reproducible report."
        ),
        epilog=(
            "Exit codes: 0 success, 1 something failed (details in the output), 2 invalid "
            "usage or configuration, 130 interrupted. Run 'riskkit COMMAND --help' for the "
            "options of a command."
        ),
    )
    parser.add_argument("--version", action="version", version=f"riskkit {_version()}")
    parser.add_argument(
        "-v", "--verbose", action="count", default=0, help="more output (-vv: debug)"
    )
    parser.add_argument("-q", "--quiet", action="store_true", help="only warnings and errors")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    p = sub.add_parser(
        "calibrate",
        help="run a calibration from a YAML configuration",
        description=(
            "Load and validate the configuration, load the data, calibrate every asset (on "
            "local processes or a Dask cluster), write the margin parameter file, backtest "
            "tables, figures, the log and the report notebook into a new run directory."
        ),
    )
    p.add_argument("--config", "-c", required=True, metavar="FILE", help="YAML configuration")
    p.add_argument(
        "--executor",
        metavar="SPEC",
        help="override run.executor: processes, serial, threads, local (Dask LocalCluster) "
        "or a scheduler address tcp://host:8786",
    )
    p.add_argument("--workers", type=int, metavar="N", help="override run.max_workers")
    p.add_argument("--seed", type=int, help="override run.seed")
    p.add_argument("--assets", nargs="+", metavar="ASSET", help="override the list of assets")
    p.add_argument(
        "--out",
        metavar="DIR",
        help="run directory, new or empty: an existing run is refused, never overwritten "
        "(default: a new one under output.directory)",
    )
    p.add_argument("--no-report", action="store_true", help="skip the report notebook(s)")
    p.add_argument("--progress", action="store_true", help="show a progress bar over assets")
    add_data_flags(p, (*DATA_FLAGS, "calendar"))

    p = sub.add_parser(
        "validate-config",
        help="check a configuration file and list every problem",
        description="Validate a YAML configuration without running anything; every problem "
        "is listed (unknown keys, types, ranges, files, assets).",
    )
    p.add_argument("config", metavar="FILE", help="YAML configuration")
    p.add_argument("--show", action="store_true", help="print the configuration with defaults")

    p = sub.add_parser(
        "config-schema",
        help="write the JSON Schema of a configuration file (for editors)",
        description="Write the JSON Schema of a calibration configuration: every section and "
        "key with its type, range, default and description. Point an editor at it (for YAML, "
        "a first line '# yaml-language-server: $schema=FILE') to complete keys and flag "
        "unknown keys, wrong types and values out of range while typing.",
    )
    p.add_argument("--out", "-o", metavar="FILE", help="write here (default: print it)")

    p = sub.add_parser(
        "validate-data",
        help="check a CSV/Parquet price file and list its defects",
        description="Read a price file with riskkit.data.read_prices and report every defect "
        "(duplicates, gaps, non-positive prices, impossible bars, stale runs, bad ticks) "
        "with dates. Exit code 1 if a defect of severity 'error' is found.",
    )
    p.add_argument("file", metavar="FILE", help="CSV or Parquet file")
    p.add_argument("--freq", default=None, help="older spelling of --interval")
    p.add_argument(
        "--csv",
        metavar="OUT",
        help="also write the defects to this CSV file (never one of the files read)",
    )
    p.add_argument(
        "--kind",
        default="ohlcv",
        choices=("ohlcv", "funding", "mark", "index", "premium"),
        help="what the file holds: price bars (default), funding rates, or mark-price, "
        "index-price or premium-index klines (Binance archive layout or plain CSV)",
    )
    p.add_argument(
        "--cap",
        type=float,
        default=None,
        metavar="FRACTION",
        help="funding/premium: sanity bound on |value| (default 0.03 per funding interval, "
        "0.05 for the premium index)",
    )
    p.add_argument(
        "--compare-with",
        metavar="FILE",
        help="a second source of the same asset: add a cross-source comparison (deviation "
        "quantiles, bars beyond --threshold, lag, stale stretches, missing bars)",
    )
    p.add_argument(
        "--threshold",
        type=float,
        default=0.005,
        metavar="FRACTION",
        help="with --compare-with: deviation flagged above this (default 0.005 = 0.5%%)",
    )
    add_data_flags(p)

    p = sub.add_parser(
        "compare-feeds",
        help="compare two price feeds of one asset (deviation, lag, stale, missing bars)",
        description="Compare feed A with the reference feed B (two venues, mark vs traded, a "
        "vendor vs the exchange): quantiles of |A - B| / B, the bars beyond --threshold, the "
        "lag that best aligns their returns, stale stretches of each, bars one has and the other "
        "lacks. Files: CSV/Parquet bars, Binance kline archives included, both read with the "
        "read options below; duplicate, missing and non-positive prices are dropped first (and "
        "said so).",
    )
    p.add_argument("a", metavar="A", help="feed to check (CSV or Parquet)")
    p.add_argument("b", metavar="B", help="reference feed (CSV or Parquet)")
    p.add_argument(
        "--threshold",
        type=float,
        default=0.005,
        metavar="FRACTION",
        help="flag bars with |A - B| / B above this (default 0.005 = 0.5%%)",
    )
    p.add_argument(
        "--max-lag", type=int, default=10, metavar="N", help="lags tried, in bars (default 10)"
    )
    p.add_argument(
        "--stale-run",
        type=int,
        default=5,
        metavar="N",
        help="bars of an unchanged price that make a stale stretch (default 5)",
    )
    p.add_argument("--csv", metavar="OUT", help="write every finding to this CSV file")
    add_data_flags(p, ())  # the read options, applied to both files

    p = sub.add_parser(
        "detect-anomalies",
        help="dated alert table: stale, spikes, volume, cross-venue, mark/index, depeg",
        description="Market-data integrity alerts on a price file (riskkit.anomaly): stale "
        "runs, no-trade runs, price spikes and volume bursts, and with the optional files "
        "cross-source deviation, mark/index/last divergence and the depeg of a collateral token; "
        "--behaviour adds the trading-behaviour alerts (robust z of bar features, isolation "
        "forest, volume without price impact). Every threshold is calibrated on the bars before "
        "the one tested (no look-ahead). Files are read with the read options below.",
    )
    p.add_argument("file", metavar="PRICES", help="bars to check (CSV or Parquet)")
    p.add_argument("--compare-with", metavar="OTHER", help="the same asset on another venue")
    p.add_argument("--mark", metavar="FILE", help="mark-price klines of the same market")
    p.add_argument("--index", metavar="FILE", help="index-price klines of the same market")
    p.add_argument("--collateral", metavar="FILE", help="price file of a collateral token")
    p.add_argument("--peg", type=float, default=1.0, help="peg of --collateral (default 1.0)")
    p.add_argument("--asset", default="", help="asset label of the alerts")
    p.add_argument("--behaviour", action="store_true", help="also the behaviour alerts")
    p.add_argument("--seed", type=int, default=0, help="seed of the isolation forest")
    p.add_argument(
        "--set",
        dest="anomaly_set",
        action="append",
        default=None,
        metavar="KEY=VALUE",
        help="a threshold of riskkit.anomaly.AnomalySettings (window=500, z_return=10, "
        "method=quantile...; repeatable)",
    )
    p.add_argument("--csv", metavar="OUT", help="write the alert table to this CSV file")
    add_data_flags(p, ())  # the read options, applied to every file

    p = sub.add_parser(
        "check-params",
        help="check a margin parameter file against its JSON Schema",
        description="Load a margin parameter file and validate it against riskkit's JSON "
        "Schema and the rules a schema cannot express (MM <= IM, contiguous tiers, continuous "
        "maintenance margin); prints a one-line summary per asset, or every violation with its "
        "JSON path and exit code 1.",
    )
    p.add_argument("file", metavar="FILE", help="margin_parameters.json")

    p = sub.add_parser(
        "download",
        help="fetch bars or funding rates from the Binance public bulk-data archive",
        description="Download monthly/daily archives from data.binance.vision (checksums "
        "verified, cached, resumable) and write one tidy CSV: klines, the mark-price, "
        "index-price or premium-index klines of a USD-M perpetual, or its funding rates. Since "
        "2026-08 these data are under the Binance Vision Dataset Terms v1.0 (CC BY-NC-SA 4.0, "
        "commercial use excluded).",
    )
    p.add_argument("symbol", help="Binance symbol, e.g. BTCUSDT")
    p.add_argument("--market", default="spot", choices=("spot", "um"), help="spot or USD-M")
    p.add_argument(
        "--kind",
        default="klines",
        choices=("klines", "mark", "index", "premium", "funding"),
        help="klines (default), or of a USD-M perpetual: mark, index or premium klines, or "
        "funding rates (monthly archives)",
    )
    p.add_argument("--interval", default="1d", help="bar interval, e.g. 1d, 1h (default 1d)")
    p.add_argument(
        "--period",
        default="monthly",
        choices=("monthly", "daily"),
        help="archive series: monthly files, or daily files (needed for the current month)",
    )
    p.add_argument("--start", required=True, help="first date YYYY-MM-DD")
    p.add_argument("--end", required=True, help="last date YYYY-MM-DD")
    p.add_argument(
        "--cache-dir", default=None, help="archive cache (default: riskkit.download's cache)"
    )
    p.add_argument(
        "--out",
        metavar="CSV",
        help="write the bars here (default: print a summary); an existing file is refused "
        "unless --force is given, and a path inside the archive cache always",
    )
    p.add_argument("--force", action="store_true", help="overwrite an existing --out file")

    sub.add_parser(
        "datasets",
        help="list the bundled data series",
        description="List the bundled daily OHLCV series (exchange, asset, dates, missing days).",
    )

    p = sub.add_parser(
        "report",
        help="(re)build the report notebook of a run directory",
        description="Execute notebook 08 on an existing run directory and export it to HTML.",
    )
    p.add_argument("run_dir", metavar="RUN_DIR")
    p.add_argument(
        "--compare-with",
        metavar="PATH",
        help="parameter file or run directory to compare with (default: report.compare_with, "
        "else the previous published run in the same directory)",
    )

    p = sub.add_parser(
        "challengers",
        help="champion/challenger run: ML and conformal models vs the calibration's model",
        description="Run the calibration's model (the champion) and the machine-learning and "
        "conformal challengers of a challenger configuration on the same rolling windows; "
        "score them (backtests, FZ0, model confidence set, margin cost) and write "
        "comparison.csv into a new run directory (riskkit.ml.protocol).",
    )
    p.add_argument("--config", "-c", required=True, metavar="FILE", help="challenger YAML")
    p.add_argument("--assets", nargs="+", metavar="ASSET", help="override the list of assets")
    p.add_argument("--out", metavar="DIR", help="run directory, new or empty")
    p.add_argument("--executor", metavar="SPEC", help="rolling-engine executor (default: serial)")
    return parser


def _setup_logging(verbose: int, quiet: bool) -> None:
    level = logging.WARNING if quiet else (logging.DEBUG if verbose > 1 else logging.INFO)
    root = logging.getLogger("riskkit")
    root.setLevel(min(level, logging.INFO))  # the run's log file always gets INFO
    for h in list(root.handlers):
        if getattr(h, "_riskkit_cli", False):
            root.removeHandler(h)
    handler = logging.StreamHandler(sys.stderr)
    handler.setLevel(level)
    if level > logging.DEBUG:
        # each cleaning step logs a line per asset: kept in the run's log file, not on screen
        handler.addFilter(
            lambda r: r.levelno >= logging.WARNING or not r.name.startswith("riskkit.data")
        )
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)-7s %(message)s", "%H:%M:%S"))
    handler._riskkit_cli = True  # type: ignore[attr-defined]
    root.addHandler(handler)
    logging.captureWarnings(True)


def _cmd_calibrate(args: argparse.Namespace) -> int:
    from riskkit.config import load_config
    from riskkit.run import run_calibration
    from riskkit.run.sources import check_intervals

    given, used = _data_options(args, (*DATA_FLAGS, "calendar"))
    overrides: dict[str, Any] = {f"data.{k}": v for k, v in given.items()}
    if args.executor:
        overrides["run.executor"] = args.executor
    if args.workers is not None:
        overrides["run.max_workers"] = args.workers
    if args.seed is not None:
        overrides["run.seed"] = args.seed
    if args.assets:
        overrides["assets"] = args.assets
    try:
        config = load_config(args.config, overrides=overrides)
        # an interval mismatch is found before any work
        names = {"resample": "--resample", **{k: v for k, v in used.items() if k != "columns"}}
        check_intervals(config, names=names)
    except ConfigError as exc:
        raise ConfigError(_name_flags(str(exc), used)) from None
    if args.out:
        _new_run_dir(args.out)
    result = run_calibration(
        config,
        out_dir=args.out,
        report=False if args.no_report else None,
        progress=True if args.progress else False,
    )
    print(f"run directory: {result.run_dir}")
    if result.parameter_file is not None:
        print(f"parameter file: {result.parameter_file}")
        if result.latest is not None:  # only when this run replaced the published file
            print(f"latest copy: {result.latest}")
    if result.report is not None:
        print(f"report: {result.report.with_suffix('.html')}")
    print(f"assets calibrated: {', '.join(result.succeeded) or 'none'}")
    for asset, why in result.failed.items():
        print(f"FAILED {asset}: {why}")
    for stage, why in result.stage_errors.items():
        print(f"FAILED stage {stage}: {why}")
    print(f"wall time: {result.seconds:.1f} s")
    if result.signoff is not None:
        # last, and plainly: the checklist is the committee's verdict on the parameters, not a
        # failure of the command (exit 0 when every asset was calibrated and the file written)
        from riskkit.run.outputs import SIGNOFF_FILE

        n, bad = len(result.signoff), result.signoff_failed
        table = result.run_dir / SIGNOFF_FILE
        where = f"{result.report.with_suffix('.html')} and {table}" if result.report else table
        if bad:
            print(f"sign-off: {len(bad)} of {n} checks FAILED: {'; '.join(bad)}")
            print(f"read the checks and their evidence in {where}")
        else:
            print(f"sign-off: all {n} checks passed (see {where})")
    return EXIT_OK if result.ok else EXIT_FAILED


def _cmd_validate_config(args: argparse.Namespace) -> int:
    from riskkit.bars import interval_label
    from riskkit.config import load_config
    from riskkit.run.sources import bar_clock, check_intervals, source_interval

    config = load_config(args.config)
    # reads the first rows of each file: one calibrate cannot read is a problem, never "OK"
    found = check_intervals(config, unreadable=True)
    if config.data.resample is not None or source_interval(config) is not None:
        bars = bar_clock(config).label
    else:  # files of undeclared interval: what their first rows say, never a default
        labels = sorted({interval_label(v) for v in found.values()})
        unknown = [a for a in config.data.files if a in config.assets and a not in found]
        if unknown:
            labels.append(f"not inferred for {', '.join(unknown)} (too few rows)")
        bars = f"{', '.join(labels)} (inferred from the files)"
    print(
        f"{args.config}: OK ({len(config.assets)} asset(s): {', '.join(config.assets)}; "
        f"{bars} bars; model {config.model.describe()}; executor {config.executor})"
    )
    if args.show:
        print(config.to_yaml(), end="")
    return EXIT_OK


def _cmd_config_schema(args: argparse.Namespace) -> int:
    import json

    from riskkit.config import config_json_schema

    text = json.dumps(config_json_schema(), indent=2) + "\n"
    if args.out:
        _writable(args.out, "--out")
        _write_text(args.out, text, "--out")
        print(f"JSON Schema of the configuration written to {args.out}")
    else:
        print(text, end="")
    return EXIT_OK


def _cmd_validate_data(args: argparse.Namespace) -> int:
    from riskkit import data as rdata
    from riskkit.bars import check_interval, interval_label, parse_interval
    from riskkit.data.options import ReadOptions
    from riskkit.run.sources import resample_loaded

    given, _ = _data_options(args, DATA_FLAGS)
    options = ReadOptions(**{k: v for k, v in given.items() if k in ReadOptions.model_fields})
    step = None if args.resample is None else parse_interval(args.resample, "--resample")
    name = Path(args.file).name
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the report below says it all
        loaded = rdata.read_checked(args.file, options, audience="cli")
    report = loaded.report
    print(repr(report))
    if args.csv:
        _write_csv(report.to_frame(), args.csv)
        print(f"defects written to {args.csv}")
    frame = loaded.frame
    interval = check_interval(
        frame.index, options.step, name, option="--interval", resample_option="--resample"
    )
    how = "declared" if options.step is not None else "inferred"
    print(f"{name}: {interval_label(interval)} bars ({how})")
    if step is not None and step != interval:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # counted below
            cleaned = rdata.check_and_clean(frame, freq=interval, name=name, keep=None)
            bars = resample_loaded(cleaned, step, interval, offset=options.boundary)
        dropped = bars.cleaning[bars.cleaning["step"] == "resample"]
        span = (
            f" from {bars.frame.index.min()} to {bars.frame.index.max()}" if len(bars.frame) else ""
        )
        print(
            f"resampled to {interval_label(step)}: {len(bars.frame)} bars{span}; "
            f"{len(dropped)} incomplete bar(s) dropped"
        )
        for row in dropped.head(10).itertuples():
            print(f"  {row.date}: {row.detail}")
    return EXIT_FAILED if report is not None and report.has_errors else EXIT_OK


def _write_csv(frame: Any, path: str, flag: str = "--csv") -> None:
    """Write a table as CSV; an OS error becomes a ConfigError naming ``flag``."""
    try:
        frame.to_csv(Path(path).expanduser(), index=False)
    except OSError as exc:
        raise ConfigError(f"{flag} {path}: cannot write ({exc.strerror or exc})") from None


def _refuse_overwrite(out: str | None, inputs: Sequence[str | None], flag: str = "--csv") -> None:
    """A ConfigError when ``out`` is one of the input files (it would be overwritten: the same
    path, relative or absolute, through a symbolic link or a hard link), or cannot be written."""
    if not out:
        return
    target = Path(out).expanduser().resolve()
    for f in inputs:
        if not f:
            continue
        same = Path(f).expanduser().resolve() == target
        if not same and target.exists() and Path(f).exists():
            same = os.path.samefile(target, f)
        if same:
            raise ConfigError(f"{flag} {out}: that is an input file; it would be overwritten")
    _writable(out, flag)


def _feed_options(args: argparse.Namespace) -> dict:
    """The read options given on the command line, checked (see :func:`_data_options`)."""
    from riskkit.data.options import ReadOptions

    given, _ = _data_options(args, DATA_FLAGS)
    return {k: v for k, v in given.items() if k in ReadOptions.model_fields}


def _load_feed(path: str, options: dict | None = None):
    """Bars of a feed to compare, read and cleaned (duplicates, missing, non-positive prices)."""
    from riskkit import data as rdata

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        frame = rdata.read_klines(path, "trade", options, check=False, audience="cli")
    # what the reader found suspicious (rows re-sorted, mixed epoch units, a partial bar
    # dropped, gaps) is said once per message, not hidden behind the comparison
    for message in dict.fromkeys(str(w.message) for w in caught):
        print(f"warning: {message}", file=sys.stderr)
    keep = "max_volume" if "volume" in frame.columns else "first"
    cleaned, changes = rdata.clean(frame, keep=keep, name=Path(path).name)
    if len(changes):
        counts = changes["step"].value_counts()
        print(
            f"{Path(path).name}: cleaning changed {len(changes)} row(s) before the comparison ("
            + ", ".join(f"{n} {s}" for s, n in counts.items())
            + ")"
        )
    return cleaned


def _print_comparison(cmp, out: str | None) -> None:
    print(cmp.summary())
    if len(cmp.stale):
        print(cmp.stale.to_string(index=False))
    if out:
        _write_csv(cmp.to_frame(), out)
        print(f"comparison written to {out}")


def _cmd_compare_feeds(args: argparse.Namespace) -> int:
    from riskkit import data as rdata

    _refuse_overwrite(args.csv, [args.a, args.b])
    options = _feed_options(args)
    a, b = _load_feed(args.a, options), _load_feed(args.b, options)
    names = (Path(args.a).name, Path(args.b).name)
    if names[0] == names[1]:
        names = (str(args.a), str(args.b))
    cmp = rdata.compare_feeds(
        a,
        b,
        threshold=args.threshold,
        names=names,
        freq=options.get("interval"),
        max_lag=args.max_lag,
        stale_run=args.stale_run,
    )
    _print_comparison(cmp, args.csv)
    return EXIT_OK


def _cmd_detect_anomalies(args: argparse.Namespace) -> int:
    import yaml

    from riskkit import anomaly
    from riskkit import data as rdata

    files = [args.file, args.compare_with, args.mark, args.index, args.collateral]
    _refuse_overwrite(args.csv, files)
    try:
        given = _pairs(args.anomaly_set or [], "--set", "KEY=VALUE")
        values = {}
        for k, v in given.items():
            # each value read as YAML reads it (500, 1e-3, quantile), as in a configuration file
            try:
                values[k] = yaml.safe_load(v)
            except yaml.YAMLError:
                raise ConfigError(f"{k}={v}: not a number or word YAML can read") from None
        settings = anomaly.AnomalySettings.model_validate(values)
    except ConfigError as exc:
        raise ConfigError(f"--set: {exc}") from None
    if not (args.peg > 0 and args.peg < float("inf")):
        raise ConfigError(f"--peg must be a positive price, got {args.peg!r}")
    if args.peg != 1.0 and not args.collateral:
        raise ConfigError("--peg applies to --collateral FILE; give the collateral file too")
    options = _feed_options(args)
    bars = _load_feed(args.file, options)
    name = Path(args.file).name
    if len(bars) <= settings.min_periods:
        print(
            f"note: {name} has {len(bars)} bar(s); the calibrated checks (spikes, volume, "
            f"cross-source, mark/index, depeg) need more than min_periods = "
            f"{settings.min_periods} bars of history before the bar tested, so only stale and "
            "no-trade runs can be flagged (lower it with --set min_periods=N)",
            file=sys.stderr,
        )
    extra = {}
    if args.compare_with:
        extra["reference"] = _load_feed(args.compare_with, options)
        extra["reference_source"] = Path(args.compare_with).name
    for kind in ("mark", "index"):
        path = getattr(args, kind)
        if path:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                extra[kind] = rdata.read_klines(path, kind, options, check=False, audience="cli")
    if args.collateral:
        extra["collateral"] = _load_feed(args.collateral, options)
        extra["collateral_name"] = Path(args.collateral).name
        extra["peg"] = args.peg
    try:
        parts = [
            anomaly.scan_market(bars, asset=args.asset, source=name, settings=settings, **extra)
        ]
        if args.behaviour:
            parts.append(
                anomaly.scan_behaviour(
                    bars, asset=args.asset, source=name, settings=settings, seed=args.seed
                )
            )
    except DataError as exc:  # name the files behind the feeds the message speaks of
        given = [("PRICES", args.file)] + [
            (f"--{flag}", getattr(args, flag.replace("-", "_")))
            for flag in ("compare-with", "mark", "index", "collateral")
        ]
        files = ", ".join(f"{k} {v}" for k, v in given if v)
        raise DataError(f"{exc} (files: {files})") from None
    alerts = anomaly.concat_alerts(parts)
    print(alerts.summary())
    if args.csv:
        _write_csv(alerts.frame, args.csv)
        print(f"alert table written to {args.csv}")
    return EXIT_OK


def _cmd_validate_feed(args: argparse.Namespace) -> int:
    """``validate-data --kind funding|mark|index|premium``: read the feed and report its defects."""
    from riskkit import data as rdata

    options = _feed_options(args)
    name = Path(args.file).name
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the report below says it all
        if args.kind == "funding":
            frame = rdata.read_funding(args.file, options, check=False, audience="cli")
            kwargs = {} if args.cap is None else {"cap": args.cap}
            report = rdata.validate_funding(frame, name=name, warn=False, **kwargs)
        else:
            if args.cap is not None and args.kind != "premium":
                raise ConfigError(f"--cap applies to funding and premium files, not {args.kind}")
            frame = rdata.read_klines(args.file, args.kind, options, check=False, audience="cli")
            report = rdata.validate_feed(
                frame,
                args.kind,
                freq=options.get("interval"),
                cap=args.cap,
                name=name,
                warn=False,
            )
    first, last = frame.index.min(), frame.index.max()
    print(f"{name}: {args.kind}, {len(frame)} rows from {first} to {last}")
    print(repr(report))
    if args.csv:
        _write_csv(report.to_frame(), args.csv)
        print(f"defects written to {args.csv}")
    return EXIT_FAILED if report.has_errors else EXIT_OK


def _kind_hint(path: str) -> str | None:
    """``"funding"`` when a file that failed as prices has a funding-rate column."""
    import pandas as pd

    try:
        head = pd.read_csv(path, nrows=0, sep=None, engine="python")
    except Exception:  # not a readable CSV: no hint
        return None
    names = {str(c).strip().lower() for c in head.columns}
    return "funding" if names & {"last_funding_rate", "funding_rate", "fundingrate"} else None


def _cmd_validate_data_or_feed(args: argparse.Namespace) -> int:
    """``validate-data``: price bars (``_cmd_validate_data``) or a perpetual feed
    (``--kind``), then, with ``--compare-with``, the cross-source comparison."""
    from riskkit import data as rdata

    _refuse_overwrite(args.csv, [args.file, args.compare_with])
    if args.compare_with and args.kind in ("funding", "premium"):
        raise ConfigError(f"--compare-with compares prices; a {args.kind} file has none")
    if args.kind != "ohlcv":
        code = _cmd_validate_feed(args)
    else:
        try:
            code = _cmd_validate_data(args)
        except DataError as exc:
            hint = _kind_hint(args.file)
            if hint is None:
                raise
            raise DataError(f"{exc}. The file looks like {hint}: add --kind {hint}") from exc
    if args.compare_with:
        print()
        options = _feed_options(args)
        a = _load_feed(args.file, options)
        b = _load_feed(args.compare_with, options)
        names = (Path(args.file).name, Path(args.compare_with).name)
        if names[0] == names[1]:
            names = (str(args.file), str(args.compare_with))
        cmp = rdata.compare_feeds(
            a, b, threshold=args.threshold, names=names, freq=options.get("interval")
        )
        out = None
        if args.csv:
            out = str(Path(args.csv).with_name(Path(args.csv).stem + "_feed_comparison.csv"))
            _refuse_overwrite(out, [args.file, args.compare_with])
        _print_comparison(cmp, out)
    return code


def _cmd_check_params(args: argparse.Namespace) -> int:
    from riskkit import margin

    # load_parameter_set validates the schema and the cross-field rules, naming the file
    data = margin.load_parameter_set(args.file)
    assets = data.get("assets", {})
    items = assets.items() if isinstance(assets, dict) else ((a.get("asset"), a) for a in assets)
    print(f"{args.file}: valid margin parameter file ({len(assets)} asset(s))")
    # the numbers a margin engine reads first, in this order; the rest stays in the file
    headline = (
        "im_rate",
        "mm_rate",
        "max_leverage",
        "collateral_haircut",
        "liquidation_penalty",
        "as_of",
    )
    for name, entry in items:
        shown = ", ".join(
            # published values as the file holds them (0.16275, not 0.1628)
            f"{k}={entry[k]:.10g}" if isinstance(entry[k], float) else f"{k}={entry[k]}"
            for k in headline
            if k in entry
        )
        print(f"  {name}: {shown}")
    return EXIT_OK


def _cmd_download(args: argparse.Namespace) -> int:
    from riskkit import download

    _new_output_file(args.out, "--out", force=args.force, cache=download.cache_root(args.cache_dir))
    if args.kind != "klines" and args.market != "um":
        raise ConfigError(f"--kind {args.kind} exists for USD-M perpetuals only: add --market um")
    if args.kind == "funding":
        frame = download.download_funding_rates(
            args.symbol, args.start, args.end, cache_dir=args.cache_dir
        )
        what = "funding rates"
    elif args.kind == "klines":
        frame = download.download_klines(
            args.symbol,
            args.interval,
            args.start,
            args.end,
            market=args.market,
            period=args.period,
            cache_dir=args.cache_dir,
        )
        what = "bars"
    else:
        frame = download.download_perp_klines(
            args.symbol,
            args.interval,
            args.start,
            args.end,
            kind=args.kind,
            period=args.period,
            cache_dir=args.cache_dir,
        )
        what = f"{args.kind} bars"
    print(f"{args.symbol}: {len(frame)} {what} {frame.index.min()} to {frame.index.max()}")
    if args.out:
        try:
            frame.to_csv(Path(args.out).expanduser())
        except OSError as exc:
            raise ConfigError(f"--out {args.out}: cannot write ({exc.strerror or exc})") from None
        print(f"written to {args.out}")
    return EXIT_OK


def _cmd_datasets(args: argparse.Namespace) -> int:
    import pandas as pd

    from riskkit.datasets import available

    with pd.option_context("display.width", 120, "display.max_rows", 100):
        print(available().to_string())
    return EXIT_OK


def _cmd_report(args: argparse.Namespace) -> int:
    from riskkit.run import execute_report, load_run

    record = load_run(args.run_dir)  # fails early, naming the directory, if it is not a run
    path = execute_report(
        record.run_dir, record.config.report.timeout, compare_with=args.compare_with
    )
    print(f"report: {path.with_suffix('.html')} (its code: {path.stem}_code.html)")
    return EXIT_OK


def _cmd_challengers(args: argparse.Namespace) -> int:
    import pandas as pd

    from riskkit.ml.config import load_challenger_config
    from riskkit.ml.protocol import COMPARISON_FILE, run_challenger_config

    config = load_challenger_config(args.config)
    if args.out:
        _new_run_dir(args.out)
    res = run_challenger_config(
        config, assets=args.assets, out_dir=args.out, executor=args.executor
    )
    cols = ["breach_rate", "breaches_per_250", "fz0_mean", "in_mcs", "mean_im", "selected"]
    with pd.option_context("display.width", 120, "display.float_format", "{:.4g}".format):
        if len(res.comparison):
            print(res.comparison[cols].to_string())
    print(f"comparison table: {res.run_dir / COMPARISON_FILE}")
    for asset, why in res.failed.items():
        print(f"FAILED {asset}: {why}")
    return EXIT_OK if not res.failed else EXIT_FAILED


_COMMANDS = {
    "calibrate": _cmd_calibrate,
    "validate-config": _cmd_validate_config,
    "config-schema": _cmd_config_schema,
    "validate-data": _cmd_validate_data_or_feed,
    "compare-feeds": _cmd_compare_feeds,
    "detect-anomalies": _cmd_detect_anomalies,
    "check-params": _cmd_check_params,
    "download": _cmd_download,
    "datasets": _cmd_datasets,
    "report": _cmd_report,
    "challengers": _cmd_challengers,
}


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``riskkit`` command; returns the exit code.

    Parameters
    ----------
    argv : sequence of str, optional
        Arguments without the program name (default: ``sys.argv[1:]``).

    Returns
    -------
    int
        0 success, 1 failure of a run or check, 2 invalid usage or configuration, 130 interrupted.
    """
    parser = build_parser()
    try:
        args = parser.parse_args(list(argv) if argv is not None else None)
    except SystemExit as exc:  # --help, --version (0) and usage errors (2)
        return int(exc.code or 0)
    if args.command is None:
        parser.print_help()
        return EXIT_USAGE
    _setup_logging(args.verbose, args.quiet)
    try:
        return _COMMANDS[args.command](args)
    except ConfigError as exc:
        print(f"riskkit {args.command}: error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except RiskkitError as exc:
        print(f"riskkit {args.command}: failed: {exc}", file=sys.stderr)
        return EXIT_FAILED
    except OSError as exc:  # a file that vanished or cannot be read: no traceback
        where = f" {exc.filename}" if getattr(exc, "filename", None) else ""
        print(f"riskkit {args.command}: failed:{where} {exc.strerror or exc}", file=sys.stderr)
        return EXIT_FAILED
    except KeyboardInterrupt:
        print("riskkit: interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
