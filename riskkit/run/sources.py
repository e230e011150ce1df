"""Where a run's prices come from: the bundled data, user files, or the Binance archives.

:func:`load_asset_data` loads every asset of a configuration and checks it; a failure is kept
per asset (recorded in ``run.json``) instead of stopping the run. Each source returns a
:class:`riskkit.data.LoadedPrices`: the prices, the validation report of the raw rows and the
changes cleaning made. The bars are then checked against the declared interval
(``data.interval``) and, with ``data.resample``, aggregated; :func:`bar_clock` gives the
:class:`riskkit.bars.BarClock` an asset is calibrated on, and :func:`check_intervals` (run by
``riskkit validate-config`` and before a run starts) peeks at the first rows of each file to
catch an interval mismatch before any work.
"""

from __future__ import annotations

import logging
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from riskkit.bars import BarClock, check_interval, infer_interval, interval_label, parse_interval
from riskkit.config import CalibrationConfig
from riskkit.data import LoadedPrices, ValidationReport
from riskkit.data.options import ReadOptions, parse_day_boundary
from riskkit.exceptions import ConfigError, DataError, DataQualityWarning, RiskkitError

__all__ = [
    "AssetData",
    "PEEK_ROWS",
    "bar_clock",
    "check_intervals",
    "load_asset_data",
    "load_source",
    "read_options",
    "resample_loaded",
    "source_interval",
]

logger = logging.getLogger("riskkit.run")

#: rows of each file :func:`check_intervals` reads to infer its bar interval
PEEK_ROWS = 5000


@dataclass
class AssetData:
    """Prices of one asset and what the quality checks found.

    Attributes
    ----------
    asset : str
    ohlcv : pandas.DataFrame or None
        Bars in the configured window (aggregated to ``data.resample`` when set); None when
        loading failed.
    quality : dict
        The asset's row of ``data_quality.csv`` (dates, bars, defects, rows changed by
        cleaning); ``{"asset", "error"}`` when loading failed.
    issues : pandas.DataFrame or None
        Every defect found in the raw rows (rows of ``data_issues.csv``), or None if none.
    error : str or None
        ``"<exception type>: <message>"`` of a failure.
    interval : pandas.Timedelta or None
        Interval of the bars in ``ohlcv``.
    """

    asset: str
    ohlcv: pd.DataFrame | None
    quality: dict[str, Any]
    issues: pd.DataFrame | None = None
    error: str | None = None
    interval: pd.Timedelta | None = None


def _quality_row(
    asset: str,
    ohlcv: pd.DataFrame,
    report: ValidationReport | None,
    cleaning: pd.DataFrame,
    interval: pd.Timedelta | None = None,
) -> dict[str, Any]:
    idx = ohlcv.index
    days = int((idx.max() - idx.min()).days) + 1 if len(idx) else 0
    counts = report.counts().to_dict() if report is not None else {}
    daily = interval is None or interval == pd.Timedelta("1D")
    stamp = (lambda t: str(t.date())) if daily else (lambda t: f"{t:%Y-%m-%d %H:%M}")
    if daily:
        missing_days, expected = days - len(ohlcv), days
    else:
        missing_days = days - len(idx.normalize().unique()) if len(idx) else 0
        expected = int((idx.max() - idx.min()) / interval) + 1 if len(idx) else 0
    extra = {} if daily else {"missing_bars": expected - len(ohlcv)}
    return {
        "asset": asset,
        "bar_interval": "1D" if interval is None else interval_label(interval),
        "first_bar": stamp(idx.min()) if len(idx) else "",
        "last_bar": stamp(idx.max()) if len(idx) else "",
        "bars": len(ohlcv),
        "calendar_days": days,
        "missing_days": missing_days,
        **extra,
        "defects_raw": report.summary() if report is not None else "not checked",
        "errors_raw": int((report.issues["severity"] == "error").sum())
        if report is not None
        else 0,
        "warnings_raw": int((report.issues["severity"] == "warning").sum())
        if report is not None
        else 0,
        "rows_changed_by_cleaning": len(cleaning),
        **{f"n_{k}": v for k, v in counts.items()},
    }


def load_asset_data(config: CalibrationConfig) -> list[AssetData]:
    """Load and check the prices of every asset of ``config``; a failure is kept per asset.

    Parameters
    ----------
    config : CalibrationConfig
        ``assets`` and the ``data`` section (source, dates, cleaning, read options, interval,
        resampling).

    Returns
    -------
    list of AssetData
        One per asset, in the order of ``config.assets``.

    Notes
    -----
    Bundled data: :func:`riskkit.datasets.load_checked` (cleaned with the documented steps when
    ``data.clean``; the report covers the raw rows of the configured dates; a partial last bar
    is dropped, kept or refused by ``data.partial_bars`` as in a file). User files:
    :func:`riskkit.data.read_checked` with the read options of the ``data`` section. Binance:
    :func:`riskkit.download.download_klines` (cached archives), then
    :func:`riskkit.data.check_and_clean`. The bars must be spaced by the declared
    ``data.interval`` (:func:`riskkit.bars.check_interval`); with ``data.resample`` they are
    aggregated (:func:`resample_loaded`), incomplete aggregate bars dropped and listed among the
    cleaning changes. Warnings about defects are silenced here: the defects are reported in
    ``data_quality.csv`` and ``data_issues.csv``.
    """
    spec = config.data
    out: list[AssetData] = []
    for asset in config.assets:
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")  # the defects are reported in data_quality.csv
                loaded = load_source(asset, config)
                interval = check_interval(
                    loaded.frame.index,
                    source_interval(config),
                    loaded.name,
                    option=ReadOptions.option_name("interval", "config"),
                    resample_option="data.resample",
                )
                ohlcv = loaded.frame
                if spec.start or spec.end:
                    ohlcv = _cut(ohlcv, spec.start, spec.end)
                cleaning = loaded.cleaning
                if spec.resample is not None:
                    step = parse_interval(spec.resample, "data.resample")
                    if step != interval:
                        resampled = resample_loaded(
                            LoadedPrices(ohlcv, loaded.report, cleaning, loaded.name),
                            step,
                            interval,
                            offset=parse_day_boundary(spec.day_boundary),
                        )
                        ohlcv, cleaning, interval = resampled.frame, resampled.cleaning, step
            if ohlcv.empty:
                raise DataError(
                    f"{asset}: no bars between {spec.start or 'the start'} and "
                    f"{spec.end or 'the end'} of the data"
                )
            issues = None
            if loaded.report is not None and len(loaded.report):
                issues = loaded.report.to_frame().drop(columns="rows", errors="ignore")
                issues.insert(0, "asset", asset)
            quality = _quality_row(asset, ohlcv, loaded.report, cleaning, interval)
            out.append(AssetData(asset, ohlcv, quality, issues, interval=interval))
        except Exception as exc:  # recorded and reported; other assets carry on
            msg = f"{type(exc).__name__}: {exc}"
            out.append(AssetData(asset, None, {"asset": asset, "error": msg}, error=msg))
    return out


def _cut(ohlcv: pd.DataFrame, start: str | None, end: str | None) -> pd.DataFrame:
    """Bars from ``start`` (00:00 UTC) to the end of the day ``end``, both dates included."""
    out = ohlcv.loc[start:] if start else ohlcv
    if end is None:
        return out
    return out.loc[out.index < pd.Timestamp(end) + pd.Timedelta(days=1)]


def read_options(config: CalibrationConfig) -> ReadOptions:
    """The :class:`~riskkit.data.options.ReadOptions` of a configuration's ``data`` section."""
    spec = config.data
    return ReadOptions(**{f: getattr(spec, f) for f in ReadOptions.model_fields})


def source_interval(config: CalibrationConfig) -> pd.Timedelta | None:
    """Interval of the bars a source delivers: 1D for the bundled data, the archive's interval
    for Binance, the declared ``data.interval`` for files (None: inferred from each file)."""
    spec = config.data
    if spec.source == "bundled":
        return pd.Timedelta("1D")
    if spec.source == "binance" and spec.binance is not None:
        return parse_interval(spec.binance.interval, "data.binance.interval")
    if spec.interval is not None:
        return parse_interval(spec.interval, "data.interval")
    return None


def bar_clock(config: CalibrationConfig, ohlcv: pd.DataFrame | None = None) -> BarClock:
    """The :class:`~riskkit.bars.BarClock` an asset is calibrated on.

    Its interval is that of ``data.resample``, else the source's (declared) interval, else the
    one of ``ohlcv``'s index (daily when none can be told); its calendar ``data.calendar``.
    """
    spec = config.data
    if spec.resample is not None:
        step = parse_interval(spec.resample, "data.resample")
    else:
        step = source_interval(config)
        if step is None and ohlcv is not None:
            step = infer_interval(ohlcv.index)
    return BarClock(step if step is not None else pd.Timedelta("1D"), spec.calendar)


def resample_loaded(
    loaded: LoadedPrices,
    step: pd.Timedelta,
    interval: pd.Timedelta,
    offset: pd.Timedelta | None = None,
) -> LoadedPrices:
    """Aggregate loaded bars to ``step`` (:func:`riskkit.returns.resample_ohlcv`), keeping only
    complete aggregate bars.

    Parameters
    ----------
    loaded : LoadedPrices
        Bars of ``interval``.
    step : Timedelta
        Interval of the new bars, a whole multiple of ``interval``.
    interval : Timedelta
        Interval of the bars in ``loaded``.
    offset : Timedelta, optional
        Day boundary after 00:00 UTC where aggregate bars are anchored.

    Returns
    -------
    LoadedPrices
        The aggregate bars (without ``n_bars``); every aggregate bar built from fewer source bars
        than it spans is dropped and added to ``cleaning`` (step ``resample``), and a
        :class:`~riskkit.exceptions.DataQualityWarning` names the first of them.

    Raises
    ------
    ConfigError
        ``step`` is not a whole multiple of ``interval``.
    """
    from riskkit.data import CHANGE_COLUMNS
    from riskkit.returns import resample_ohlcv

    if step < interval or step.value % interval.value:
        raise ConfigError(
            f"{loaded.name}: cannot aggregate {interval_label(interval)} bars into "
            f"{interval_label(step)} bars (resample to a whole multiple of the bars' interval)"
        )
    need = int(step.value // interval.value)
    bars = resample_ohlcv(loaded.frame, interval_label(step), min_bars=1, offset=offset)
    short = (bars["n_bars"] < need).to_numpy()
    changes = pd.DataFrame(
        {
            "step": "resample",
            "date": bars.index[short],
            "action": "dropped",
            "detail": [
                f"incomplete {interval_label(step)} bar: {n} of {need} {interval_label(interval)}"
                " bars"
                for n in bars.loc[short, "n_bars"]
            ],
        },
        columns=CHANGE_COLUMNS,
    )
    if short.any():
        first = [str(d) for d in bars.index[short][:3]]
        warnings.warn(
            f"{loaded.name}: dropped {int(short.sum())} incomplete {interval_label(step)} bar(s) "
            f"(fewer than {need} {interval_label(interval)} bars; first at {first})",
            DataQualityWarning,
            stacklevel=2,
        )
        logger.info(
            "%s: resample to %s dropped %d incomplete bar(s)",
            loaded.name,
            interval_label(step),
            int(short.sum()),
        )
    frame = bars.loc[~short].drop(columns="n_bars")
    cleaning = changes if loaded.cleaning.empty else pd.concat([loaded.cleaning, changes])
    return LoadedPrices(frame, loaded.report, cleaning.reset_index(drop=True), loaded.name)


def check_intervals(
    config: CalibrationConfig,
    rows: int = PEEK_ROWS,
    names: dict[str, str] | None = None,
    unreadable: bool = False,
) -> dict[str, pd.Timedelta]:
    """The bar interval of each file of a configuration, from its first ``rows`` rows, checked
    against ``data.interval`` and ``data.resample`` before any work.

    Parameters
    ----------
    config : CalibrationConfig
    rows : int
        Rows read from each file (the whole file for Parquet, then cut).
    names : dict, optional
        How messages spell ``interval`` and ``resample`` (default ``data.interval`` and
        ``data.resample``; the CLI passes the flags its user gave, ``--interval``).
    unreadable : bool
        Report a file that cannot be read as a problem too (``riskkit validate-config``: a
        configuration is not OK when ``calibrate`` cannot read one of its files). By default
        such a file is left out: loading it fails later, for that asset only, with the reason,
        and the other assets are calibrated.

    Returns
    -------
    dict
        ``{asset: interval}`` of the files read (other sources: ``{}``).

    Raises
    ------
    ConfigError
        Listing every file whose bars disagree with ``data.interval``, or whose interval
        ``data.resample`` is not a whole multiple of, and (``unreadable=True``) every file that
        cannot be read, with the reader's reason (which names the read option to change).
    """
    spec = config.data
    if spec.source != "files":
        return {}
    from riskkit.data import read_prices

    # read without the declared interval (the reader would refuse a mismatch as a data error
    # naming no file of the configuration); the check below names the key and the file
    options = read_options(config).replace(interval=None)
    declared = source_interval(config)
    spell = {"interval": "data.interval", "resample": "data.resample", **(names or {})}
    target = None if spec.resample is None else parse_interval(spec.resample, spell["resample"])
    found: dict[str, pd.Timedelta] = {}
    problems: list[str] = []
    for asset in config.assets:
        path = spec.files.get(asset)
        if path is None:
            continue
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                head = _peek(path, options, rows, read_prices)
        except Exception as exc:  # else reported per asset, with its reason, by the load stage
            if unreadable:
                why = str(exc) if isinstance(exc, RiskkitError) else f"{type(exc).__name__}: {exc}"
                name = Path(path).name
                why = why if name in why else f"cannot read {name}: {why}"
                problems.append(f"data.files.{asset}: {why}")
            continue
        step = infer_interval(head.index)
        if step is None:
            continue
        found[asset] = step
        name = Path(path).name
        try:
            BarClock(step if target is None else target, spec.calendar)
        except ConfigError as exc:  # an intraday file on the equity calendar
            problems.append(
                f"data.calendar: {name} ({asset}) holds {interval_label(step)} bars: {exc}"
            )
            continue
        try:
            check_interval(
                head.index,
                declared,
                name,
                option=spell["interval"],
                resample_option=spell["resample"],
            )
        except DataError as exc:
            problems.append(f"data.files.{asset}: {exc}")
            continue
        if target is not None and (target < step or target.value % step.value):
            problems.append(
                f"{spell['resample']}: {spec.resample!r} is not a whole multiple of the "
                f"{interval_label(step)} bars of {name} ({asset})"
            )
    if problems:
        n = len(problems)
        body = "\n".join(f"  - {p}" for p in problems)
        where = f"invalid configuration {config.source}" if config.source else "invalid data"
        raise ConfigError(f"{where} ({n} problem{'s' * (n != 1)}):\n{body}")
    return found


def _peek(path: str, options: ReadOptions, rows: int, read_prices: Any) -> pd.DataFrame:
    """The first ``rows`` rows of a price file, read with ``options``."""
    if str(path).lower().endswith((".parquet", ".pq")):
        return read_prices(path, options=options, audience="config", check=False).iloc[:rows]
    return read_prices(
        path, options=options, audience="config", check=False, read_kwargs={"nrows": rows}
    )


def load_source(asset: str, config: CalibrationConfig) -> LoadedPrices:
    """Prices of one asset from the source ``config.data`` names, checked and (maybe) cleaned.

    Parameters
    ----------
    asset : str
        Asset name as in ``config.assets``.
    config : CalibrationConfig
        Its ``data`` section: ``source`` (``"bundled"``, ``"files"`` or ``"binance"``), dates,
        ``clean`` and the source's own settings.

    Returns
    -------
    riskkit.data.LoadedPrices
        Bars as the source delivers them (not yet cut to the configured dates for files and
        Binance, nor resampled), the report of the raw rows and the cleaning changes.

    Raises
    ------
    ConfigError
        Unknown source.
    DataError
        The prices cannot be read or checked (the message names the file or series).
    """
    spec = config.data
    if spec.source == "bundled":
        from riskkit import datasets

        # checked and cleaned over the configured dates only, so the report speaks of the data
        # used; a partial last bar follows data.partial_bars, as in a file (default: dropped)
        return datasets.load_checked(
            asset,
            spec.exchange,
            clean=spec.clean,
            start=spec.start,
            end=spec.end,
            partial_bars=spec.partial_bars,  # type: ignore[arg-type]
            audience="config",
        )
    if spec.source == "files":
        from riskkit.data import read_checked

        return read_checked(
            spec.files[asset],
            options=read_options(config),
            audience="config",
            freq=source_interval(config),  # declared, else inferred from the file
            clean=spec.clean,
            keep=None,  # largest volume when the file has volumes, else the first copy
        )
    if spec.source == "binance":
        return _load_binance(asset, config)
    raise ConfigError(f"data.source: unknown source {spec.source!r}")  # pragma: no cover


def _load_binance(asset: str, config: CalibrationConfig) -> LoadedPrices:
    from riskkit import download
    from riskkit.data import check_and_clean

    b = config.data.binance
    symbol = b.symbols[asset]
    ohlcv = download.download_klines(
        symbol,
        b.interval,
        config.data.start,
        config.data.end,
        market=b.market,
        check=False,
        cache_dir=b.cache_dir,
    )
    ohlcv = ohlcv[[c for c in ("open", "high", "low", "close", "volume") if c in ohlcv]]
    return check_and_clean(
        ohlcv,
        freq=source_interval(config),
        name=f"binance {symbol}",
        clean=config.data.clean,
        keep="first",
    )
