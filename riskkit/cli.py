"""Command line interface: ``riskkit <command>`` (also ``python -m riskkit <command>``).

Commands
--------
calibrate        run a calibration from a YAML configuration (the report included)
validate-config  check a configuration and list every problem
validate-data    check a CSV/Parquet price file and list its defects with dates
check-params     check a margin parameter file against its JSON Schema
download         fetch daily bars from the Binance public bulk-data archive
datasets         list the bundled data series
report           (re)build the report notebook of an existing run directory

Exit codes: 0 success; 1 the command ran but something failed (an asset, a stage, a defect of
severity "error", an invalid parameter file); 2 invalid usage or configuration (nothing was run);
130 interrupted.
"""

from __future__ import annotations

import argparse
import logging
import sys
import warnings
from collections.abc import Sequence
from pathlib import Path

from riskkit.exceptions import ConfigError, RiskkitError

__all__ = ["main", "build_parser"]

EXIT_OK = 0
EXIT_FAILED = 1
EXIT_USAGE = 2
EXIT_INTERRUPTED = 130

logger = logging.getLogger("riskkit.cli")


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
        "--out", metavar="DIR", help="run directory (default: a new one under output.directory)"
    )
    p.add_argument("--no-report", action="store_true", help="skip the report notebook(s)")
    p.add_argument("--progress", action="store_true", help="show a progress bar over assets")

    p = sub.add_parser(
        "validate-config",
        help="check a configuration file and list every problem",
        description="Validate a YAML configuration without running anything; every problem "
        "is listed (unknown keys, types, ranges, files, assets).",
    )
    p.add_argument("config", metavar="FILE", help="YAML configuration")
    p.add_argument("--show", action="store_true", help="print the configuration with defaults")

    p = sub.add_parser(
        "validate-data",
        help="check a CSV/Parquet price file and list its defects",
        description="Read a price file with riskkit.data.read_prices and report every defect "
        "(duplicates, gaps, non-positive prices, impossible bars, stale runs, bad ticks) "
        "with dates. Exit code 1 if a defect of severity 'error' is found.",
    )
    p.add_argument("file", metavar="FILE", help="CSV or Parquet file")
    p.add_argument("--timestamp", metavar="COL", help="timestamp column (default: detected)")
    p.add_argument(
        "--column",
        action="append",
        default=[],
        metavar="FILECOL=NAME",
        help="map a file column to open/high/low/close/volume (repeatable), e.g. Last=close",
    )
    p.add_argument("--freq", default=None, help="bar interval, e.g. 1D or 1h (default: inferred)")
    p.add_argument("--csv", metavar="OUT", help="also write the defects to this CSV file")

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
        help="fetch daily bars from the Binance public bulk-data archive",
        description="Download monthly/daily kline archives from data.binance.vision "
        "(checksums verified, cached, resumable) and write one tidy CSV.",
    )
    p.add_argument("symbol", help="Binance symbol, e.g. BTCUSDT")
    p.add_argument("--market", default="spot", choices=("spot", "um"), help="spot or USD-M")
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
    p.add_argument("--out", metavar="CSV", help="write the bars here (default: print a summary)")

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
    from riskkit.pipeline import run_calibration

    overrides = {}
    if args.executor:
        overrides["run.executor"] = args.executor
    if args.workers is not None:
        overrides["run.max_workers"] = args.workers
    if args.seed is not None:
        overrides["run.seed"] = args.seed
    if args.assets:
        overrides["assets"] = args.assets
    config = load_config(args.config, overrides=overrides)
    result = run_calibration(
        config,
        out_dir=args.out,
        report=False if args.no_report else None,
        progress=True if args.progress else False,
    )
    print(f"run directory: {result.run_dir}")
    if result.parameter_file is not None:
        print(f"parameter file: {result.parameter_file}")
        if config.output.latest:
            print(f"latest copy: {config.output.latest}")
    if result.report is not None:
        print(f"report: {result.report.with_suffix('.html')}")
    print(f"assets calibrated: {', '.join(result.succeeded) or 'none'}")
    for asset, why in result.failed.items():
        print(f"FAILED {asset}: {why}")
    for stage, why in result.stage_errors.items():
        print(f"FAILED stage {stage}: {why}")
    print(f"wall time: {result.seconds:.1f} s")
    return EXIT_OK if result.ok else EXIT_FAILED


def _cmd_validate_config(args: argparse.Namespace) -> int:
    from riskkit.config import load_config

    config = load_config(args.config)
    print(
        f"{args.config}: OK ({len(config.assets)} asset(s): {', '.join(config.assets)}; "
        f"model {config.model.describe()}; executor {config.executor})"
    )
    if args.show:
        print(config.to_yaml(), end="")
    return EXIT_OK


def _cmd_validate_data(args: argparse.Namespace) -> int:
    from riskkit import data as rdata

    columns = {}
    for item in args.column:
        src, sep, dst = item.partition("=")
        if not sep or not src or not dst:
            raise ConfigError(f"--column expects FILECOL=NAME (e.g. Last=close), got {item!r}")
        columns[src] = dst
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the report below says it all
        frame = rdata.read_prices(
            args.file,
            timestamp=args.timestamp,
            columns=columns or None,
            freq=args.freq,
            check=False,
        )
        report = rdata.validate(frame, freq=args.freq, name=Path(args.file).name, warn=False)
    print(repr(report))
    if args.csv:
        report.to_frame().to_csv(args.csv, index=False)
        print(f"defects written to {args.csv}")
    return EXIT_FAILED if report.has_errors else EXIT_OK


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
            f"{k}={entry[k]:.4g}" if isinstance(entry[k], float) else f"{k}={entry[k]}"
            for k in headline
            if k in entry
        )
        print(f"  {name}: {shown}")
    return EXIT_OK


def _cmd_download(args: argparse.Namespace) -> int:
    from riskkit import download

    frame = download.download_klines(
        args.symbol,
        args.interval,
        args.start,
        args.end,
        market=args.market,
        period=args.period,
        cache_dir=args.cache_dir,
    )
    print(f"{args.symbol}: {len(frame)} bars {frame.index.min()} to {frame.index.max()}")
    if args.out:
        frame.to_csv(args.out)
        print(f"written to {args.out}")
    return EXIT_OK


def _cmd_datasets(args: argparse.Namespace) -> int:
    import pandas as pd

    from riskkit.datasets import available

    with pd.option_context("display.width", 120, "display.max_rows", 100):
        print(available().to_string())
    return EXIT_OK


def _cmd_report(args: argparse.Namespace) -> int:
    from riskkit.pipeline import execute_report, load_run

    record = load_run(args.run_dir)  # fails early, naming the directory, if it is not a run
    path = execute_report(record.run_dir, record.config.report.timeout)
    print(f"report: {path.with_suffix('.html')}")
    return EXIT_OK


_COMMANDS = {
    "calibrate": _cmd_calibrate,
    "validate-config": _cmd_validate_config,
    "validate-data": _cmd_validate_data,
    "check-params": _cmd_check_params,
    "download": _cmd_download,
    "datasets": _cmd_datasets,
    "report": _cmd_report,
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
    except KeyboardInterrupt:
        print("riskkit: interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
