"""Download Binance public bulk-data archives (klines; mark-price, index-price and
premium-index klines; funding rates).

Licence: since 2026-08 the archive's data are under the "Binance Vision Dataset Terms" v1.0
(CC BY-NC-SA 4.0, commercial use excluded); riskkit bundles none of it, and whoever downloads it
is bound by those terms.

Binance publishes its market data as zip files, one per symbol, interval and day or month, each
with a ``.CHECKSUM`` file beside it holding the zip's sha256 in ``sha256sum`` format::

    {base}/data/{spot|futures/um}/{daily|monthly}/{kind}/{SYMBOL}/{interval}/
        {SYMBOL}-{interval}-{YYYY-MM[-DD]}.zip
    {base}/data/futures/um/monthly/fundingRate/{SYMBOL}/{SYMBOL}-fundingRate-{YYYY-MM}.zip

where ``kind`` is ``klines`` (spot or USD-M), or, for USD-M futures only, ``markPriceKlines``,
``indexPriceKlines`` or ``premiumIndexKlines``.

This module fetches them with :mod:`urllib` (no extra dependency) into a local cache that mirrors
that layout (default ``data/raw/binance``, git-ignored), verifies every zip against its checksum,
skips files already verified, resumes interrupted downloads (bytes go to ``<name>.part``, which
is renamed only once the checksum matches; an HTTP ``Range`` request continues a partial file
when the server supports it), and parses the archives into the tidy OHLCV frame of
:mod:`riskkit.data`.

Format facts the parser relies on (from the README and issue tracker of
``binance/binance-public-data``):

* kline CSV columns: open time, open, high, low, close, volume (base asset), close time, quote
  asset volume, number of trades, taker buy base volume, taker buy quote volume, ignore
  (:data:`riskkit.data.KLINE_COLUMNS`); mark-price, index-price and premium-index klines have
  the same columns with 0 in the volume ones;
* spot kline files have no header row; USD-M futures kline files have one
  (``open_time,open,high,...``) except some old files: the parser detects it;
* spot timestamps are in milliseconds until 2024-12-31 and in microseconds from 2025-01-01; the
  unit is detected per file (:func:`riskkit.data.parse_timestamps`);
* funding-rate files exist monthly only, with a header ``calc_time,funding_interval_hours,
  last_funding_rate``; ``calc_time`` carries millisecond jitter, snapped to the whole hour by
  :func:`riskkit.data.tidy_funding`.

Tests and notebooks never call the network: the test-suite serves archives it builds itself from
a loopback HTTP server.
"""

from __future__ import annotations

import hashlib
import http.client
import io
import logging
import os
import shutil
import time
import urllib.error
import urllib.request
import zipfile
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Literal, TypeVar

import pandas as pd

from riskkit.data import (
    parse_timestamps,
    tidy_funding,
    validate,
    validate_feed,
    validate_funding,
)
from riskkit.data.perpetual import FUNDING_COLUMNS, KLINE_COLUMNS
from riskkit.exceptions import ConfigError, DataError

__all__ = [
    "DEFAULT_BASE_URL",
    "DEFAULT_CACHE_DIR",
    "cache_root",
    "KLINE_COLUMNS",
    "Archive",
    "ArchiveNotFoundError",
    "ChecksumError",
    "archive_dates",
    "download_archive",
    "read_kline_archive",
    "read_funding_archive",
    "download_klines",
    "download_perp_klines",
    "PERP_FEEDS",
    "download_premium_index",
    "download_funding_rates",
]

logger = logging.getLogger(__name__)

#: public archive root; override per call or with the environment variable RISKKIT_BINANCE_URL
DEFAULT_BASE_URL = "https://data.binance.vision"
#: cache root; override per call or with the environment variable RISKKIT_BINANCE_CACHE
DEFAULT_CACHE_DIR = Path(__file__).resolve().parent.parent / "data" / "raw" / "binance"


def cache_root(cache_dir: str | os.PathLike[str] | None = None) -> Path:
    """The archive cache directory: ``cache_dir``, else the environment variable
    ``RISKKIT_BINANCE_CACHE``, else :data:`DEFAULT_CACHE_DIR`."""
    return Path(cache_dir or os.environ.get("RISKKIT_BINANCE_CACHE") or DEFAULT_CACHE_DIR)


Market = Literal["spot", "um"]
Kind = Literal["klines", "markPriceKlines", "indexPriceKlines", "premiumIndexKlines", "fundingRate"]
_KINDS = ("klines", "markPriceKlines", "indexPriceKlines", "premiumIndexKlines", "fundingRate")
#: archive kind of each perpetual feed of :func:`download_perp_klines`
PERP_FEEDS = {
    "mark": "markPriceKlines",
    "index": "indexPriceKlines",
    "premium": "premiumIndexKlines",
}
Period = Literal["daily", "monthly"]

_INTERVALS = {
    "1s": "1s",
    "1m": "1min",
    "3m": "3min",
    "5m": "5min",
    "15m": "15min",
    "30m": "30min",
    "1h": "1h",
    "2h": "2h",
    "4h": "4h",
    "6h": "6h",
    "8h": "8h",
    "12h": "12h",
    "1d": "1D",
    "3d": "3D",
    "1w": "7D",
    "1mo": None,  # calendar months have no fixed length
}
_CHUNK = 1 << 16
T = TypeVar("T")


class ArchiveNotFoundError(DataError):
    """The server has no such archive (HTTP 404): wrong symbol/interval, or not published yet."""


class ChecksumError(DataError):
    """A downloaded archive does not match the sha256 in its ``.CHECKSUM`` file."""


@dataclass(frozen=True)
class Archive:
    """One archive of the Binance public data set.

    Parameters
    ----------
    symbol : str
        Upper-case pair, e.g. ``"BTCUSDT"``.
    date : str
        ``"YYYY-MM"`` (monthly) or ``"YYYY-MM-DD"`` (daily).
    kind : {"klines", "markPriceKlines", "indexPriceKlines", "premiumIndexKlines", "fundingRate"}
    market : {"spot", "um"}
        Spot or USD-M futures. Mark-price, index-price and premium-index klines and funding
        rates exist for ``"um"`` only.
    interval : str or None
        Kline interval (``"1m"``, ``"1h"``, ``"1d"``...); None for funding rates.
    """

    symbol: str
    date: str
    kind: Kind = "klines"
    market: Market = "spot"
    interval: str | None = "1d"

    def __post_init__(self) -> None:
        if self.market not in ("spot", "um"):
            raise ConfigError(f"market must be 'spot' or 'um' (USD-M futures), got {self.market!r}")
        if self.kind not in _KINDS:
            raise ConfigError(f"kind must be one of {list(_KINDS)}, got {self.kind!r}")
        if self.kind != "klines" and self.market != "um":
            raise ConfigError(f"{self.kind} archives exist for USD-M futures only (market='um')")
        if self.kind == "fundingRate":
            if self.interval is not None:
                object.__setattr__(self, "interval", None)
            if len(self.date) != 7:
                raise ConfigError("funding-rate archives are monthly: date must be 'YYYY-MM'")
        elif self.interval not in _INTERVALS:
            raise ConfigError(f"unknown interval {self.interval!r}; known: {list(_INTERVALS)}")
        if not self.symbol or not self.symbol.isalnum() or self.symbol.upper() != self.symbol:
            raise ConfigError(f"symbol must be upper-case letters/digits, got {self.symbol!r}")
        try:
            pd.Timestamp(self.date)
        except ValueError:
            raise ConfigError(f"date must be YYYY-MM or YYYY-MM-DD, got {self.date!r}") from None
        if len(self.date) not in (7, 10):
            raise ConfigError(f"date must be YYYY-MM or YYYY-MM-DD, got {self.date!r}")

    @property
    def period(self) -> Period:
        return "daily" if len(self.date) == 10 else "monthly"

    @property
    def filename(self) -> str:
        middle = "fundingRate" if self.kind == "fundingRate" else self.interval
        return f"{self.symbol}-{middle}-{self.date}.zip"

    @property
    def path(self) -> str:
        """Path below the base URL (and below the cache directory)."""
        market = "spot" if self.market == "spot" else "futures/um"
        parts = ["data", market, self.period, self.kind, self.symbol]
        if self.kind != "fundingRate":
            parts.append(str(self.interval))
        return "/".join([*parts, self.filename])

    def url(self, base_url: str | None = None) -> str:
        base = (base_url or os.environ.get("RISKKIT_BINANCE_URL") or DEFAULT_BASE_URL).rstrip("/")
        return f"{base}/{self.path}"


def archive_dates(start: str | pd.Timestamp, end: str | pd.Timestamp, period: Period) -> list[str]:
    """Archive date labels covering ``start`` to ``end`` inclusive (days or months).

    Parameters
    ----------
    start, end : str or pandas.Timestamp
        First and last dates to cover (inclusive); a time of day in ``start`` is ignored.
    period : {"daily", "monthly"}
        One label per calendar day or per calendar month.

    Returns
    -------
    list of str
        ``"YYYY-MM-DD"`` labels (daily) or ``"YYYY-MM"`` labels (monthly), in order.

    Raises
    ------
    ConfigError
        If ``start`` is after ``end`` or ``period`` is neither ``"daily"`` nor ``"monthly"``.
    """
    lo, hi = pd.Timestamp(start), pd.Timestamp(end)
    if lo > hi:
        raise ConfigError(f"start {lo.date()} is after end {hi.date()}")
    if period == "daily":
        return [d.strftime("%Y-%m-%d") for d in pd.date_range(lo.normalize(), hi, freq="D")]
    if period == "monthly":
        months = pd.period_range(lo.to_period("M"), hi.to_period("M"), freq="M")
        return [str(m) for m in months]
    raise ConfigError(f"period must be 'daily' or 'monthly', got {period!r}")


# --------------------------------------------------------------------------------------------
# HTTP
# --------------------------------------------------------------------------------------------
def _open(
    url: str, timeout: float, headers: dict[str, str] | None = None
) -> http.client.HTTPResponse:
    request = urllib.request.Request(url, headers={"User-Agent": "riskkit", **(headers or {})})
    try:
        return urllib.request.urlopen(request, timeout=timeout)
    except urllib.error.HTTPError as exc:
        if exc.code == 404:
            raise ArchiveNotFoundError(f"{url}: not found (HTTP 404)") from None
        raise


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _parse_checksum(text: str, filename: str, url: str) -> str:
    # sha256sum format: "<64 hex>  <file name>"; some files carry only the hash
    for line in text.strip().splitlines():
        fields = line.split()
        if not fields:
            continue
        digest = fields[0].lower()
        name = fields[-1].lstrip("*") if len(fields) > 1 else filename
        if len(digest) == 64 and all(c in "0123456789abcdef" for c in digest) and name == filename:
            return digest
    raise ChecksumError(f"{url}: no sha256 for {filename} in checksum file ({text[:80]!r})")


def _with_retries(fn: Callable[[], T], url: str, retries: int, backoff: float) -> T:
    for attempt in range(retries + 1):
        try:
            return fn()
        except (ArchiveNotFoundError, ChecksumError):
            raise
        except (urllib.error.URLError, TimeoutError, ConnectionError) as exc:
            if attempt == retries:
                raise DataError(
                    f"{url}: download failed after {retries + 1} attempt(s): {exc}"
                ) from exc
            logger.warning("%s: %s; retrying (%d/%d)", url, exc, attempt + 1, retries)
            time.sleep(backoff * 2**attempt)
    raise AssertionError("unreachable")  # pragma: no cover


def download_archive(
    archive: Archive,
    cache_dir: str | os.PathLike[str] | None = None,
    base_url: str | None = None,
    timeout: float = 60.0,
    retries: int = 2,
    backoff: float = 1.0,
) -> Path:
    """Fetch one archive into the cache, verified; return its local path.

    Parameters
    ----------
    archive : Archive
        What to fetch.
    cache_dir : path-like, optional
        Cache root (mirrors the archive layout); default ``RISKKIT_BINANCE_CACHE`` or
        ``data/raw/binance``.
    base_url : str, optional
        Archive root; default ``RISKKIT_BINANCE_URL`` or :data:`DEFAULT_BASE_URL`.
    timeout : float
        Socket timeout in seconds.
    retries, backoff : int, float
        Network errors (not 404, not checksum mismatches) are retried ``retries`` times after
        ``backoff * 2**k`` seconds.

    Returns
    -------
    pathlib.Path
        The verified zip in the cache.

    Raises
    ------
    ArchiveNotFoundError
        HTTP 404 for the zip or its checksum.
    ChecksumError
        The downloaded bytes do not match the published sha256 (the partial file is deleted
        so the next call starts afresh).
    DataError
        Network failure after the retries.

    Notes
    -----
    A zip already in the cache is re-hashed against the cached ``.CHECKSUM`` and not downloaded
    again. Bytes are written to ``<zip>.part``; if a ``.part`` file exists the download resumes
    with an HTTP ``Range`` request (a server that ignores it answers 200 and the file is
    rewritten from the start).
    """
    root = cache_root(cache_dir)
    dest = root / archive.path
    checksum_path = dest.with_name(dest.name + ".CHECKSUM")
    part = dest.with_name(dest.name + ".part")
    url = archive.url(base_url)

    if dest.exists() and checksum_path.exists():
        expected = _parse_checksum(checksum_path.read_text(), dest.name, url + ".CHECKSUM")
        if _sha256(dest) == expected:
            logger.debug("%s: cached and verified", dest)
            return dest
        logger.warning("%s: cached file does not match its checksum; downloading again", dest)
        dest.unlink()

    dest.parent.mkdir(parents=True, exist_ok=True)

    def fetch_checksum() -> str:
        with _open(url + ".CHECKSUM", timeout) as resp:
            return resp.read().decode("utf-8", errors="replace")

    checksum_text = _with_retries(fetch_checksum, url + ".CHECKSUM", retries, backoff)
    expected = _parse_checksum(checksum_text, dest.name, url + ".CHECKSUM")
    if dest.exists():
        if _sha256(dest) == expected:
            checksum_path.write_text(checksum_text)
            return dest
        dest.unlink()

    def fetch_zip() -> None:
        offset = part.stat().st_size if part.exists() else 0
        headers = {"Range": f"bytes={offset}-"} if offset else {}
        try:
            resp = _open(url, timeout, headers)
        except urllib.error.HTTPError as exc:
            if exc.code == 416:  # the partial file is already complete
                return
            raise
        with resp:
            resumed = offset and resp.status == 206
            if offset and not resumed:
                logger.info("%s: server ignored the Range request; restarting", url)
            elif resumed:
                logger.info("%s: resuming at byte %d", url, offset)
            with open(part, "ab" if resumed else "wb") as fh:
                shutil.copyfileobj(resp, fh, _CHUNK)

    _with_retries(fetch_zip, url, retries, backoff)
    got = _sha256(part)
    if got != expected:
        part.unlink()
        raise ChecksumError(
            f"{url}: sha256 {got} does not match the published {expected}; partial file removed"
        )
    part.replace(dest)
    checksum_path.write_text(checksum_text)
    logger.info("%s: downloaded and verified (%d bytes)", dest, dest.stat().st_size)
    return dest


# --------------------------------------------------------------------------------------------
# parsing
# --------------------------------------------------------------------------------------------
def _read_zip_csv(path: Path, columns: Sequence[str]) -> tuple[pd.DataFrame, str]:
    try:
        with zipfile.ZipFile(path) as zf:
            members = [n for n in zf.namelist() if n.lower().endswith(".csv")]
            if len(members) != 1:
                raise DataError(f"{path}: expected one CSV inside, found {zf.namelist()}")
            raw = zf.read(members[0])
    except zipfile.BadZipFile as exc:
        raise DataError(f"{path}: not a valid zip file ({exc})") from exc
    source = f"{path.name}:{members[0]}"
    if not raw.strip():
        return pd.DataFrame(columns=columns), source
    first = raw.split(b"\n", 1)[0].split(b",")[0].strip()
    has_header = not first.replace(b".", b"").isdigit()
    frame = pd.read_csv(io.BytesIO(raw), header=0 if has_header else None, dtype=str)
    if frame.shape[1] != len(columns):
        raise DataError(
            f"{source}: {frame.shape[1]} columns, expected {len(columns)} ({', '.join(columns)})"
        )
    frame.columns = list(columns)
    return frame, source


def read_kline_archive(path: str | os.PathLike[str], extra: bool = False) -> pd.DataFrame:
    """Parse a kline (or mark-price, index-price, premium-index kline) zip into the tidy OHLCV
    frame.

    Parameters
    ----------
    path : path-like
        A ``{SYMBOL}-{interval}-{date}.zip`` archive.
    extra : bool, default False
        Also keep ``quote_volume``, ``count`` (number of trades), ``taker_buy_volume`` and
        ``taker_buy_quote_volume``.

    Returns
    -------
    DataFrame
        Index ``date`` = the bar's open time (UTC, tz-naive; milliseconds or microseconds
        detected per file); float columns ``open, high, low, close, volume``.
    """
    path = Path(path)
    frame, source = _read_zip_csv(path, KLINE_COLUMNS)
    index = parse_timestamps(frame["open_time"], source=source, column="open_time")
    keep = ["open", "high", "low", "close", "volume"]
    if extra:
        keep += ["quote_volume", "count", "taker_buy_volume", "taker_buy_quote_volume"]
    out = pd.DataFrame(index=index)
    for col in keep:
        values = pd.to_numeric(frame[col], errors="coerce")
        if values.isna().any():
            rows = values.index[values.isna()][:5].tolist()
            raise DataError(f"{source}, column {col!r}: non-numeric values at rows {rows}")
        out[col] = values.to_numpy(dtype=float)
    return out


def read_funding_archive(path: str | os.PathLike[str]) -> pd.DataFrame:
    """Parse a funding-rate zip with :func:`riskkit.data.tidy_funding`.

    Returns
    -------
    DataFrame
        Index ``date`` = funding calculation time (UTC, snapped to the whole hour when within
        a minute of it: Binance's ``calc_time`` carries millisecond jitter); columns
        ``funding_rate`` (fraction paid by longs to shorts per funding interval; negative:
        shorts pay) and ``funding_interval_hours``.
    """
    path = Path(path)
    frame, source = _read_zip_csv(path, FUNDING_COLUMNS)
    if frame.empty:
        return pd.DataFrame(
            {"funding_rate": [], "funding_interval_hours": []},
            index=pd.DatetimeIndex([], name="date"),
        )
    return tidy_funding(frame, source=source)


def _collect(
    archives: Iterable[Archive],
    reader: Callable[[Path], pd.DataFrame],
    missing: Literal["raise", "skip"],
    **kwargs,
) -> pd.DataFrame:
    if missing not in ("raise", "skip"):
        raise ConfigError(f"missing must be 'raise' or 'skip', got {missing!r}")
    frames = []
    skipped = []
    for archive in archives:
        try:
            path = download_archive(archive, **kwargs)
        except ArchiveNotFoundError:
            if missing == "raise":
                raise
            skipped.append(archive.date)
            continue
        frames.append(reader(path))
    if skipped:
        logger.warning("skipped %d archive(s) not found on the server: %s", len(skipped), skipped)
    if not frames:
        raise ArchiveNotFoundError("no archive found for the requested range")
    return pd.concat(frames).sort_index(kind="mergesort")


def _window(
    frame: pd.DataFrame, start: str | pd.Timestamp, end: str | pd.Timestamp
) -> pd.DataFrame:
    lo = pd.Timestamp(start)
    hi = pd.Timestamp(end)
    if hi == hi.normalize():  # a date means the whole day
        hi = hi + pd.Timedelta(days=1) - pd.Timedelta(1, "ns")
    return frame.loc[lo:hi]


def download_klines(
    symbol: str,
    interval: str,
    start: str | pd.Timestamp,
    end: str | pd.Timestamp,
    market: Market = "spot",
    period: Period = "monthly",
    missing: Literal["raise", "skip"] = "raise",
    check: bool = True,
    cache_dir: str | os.PathLike[str] | None = None,
    base_url: str | None = None,
    timeout: float = 60.0,
    retries: int = 2,
) -> pd.DataFrame:
    """Download (or read from the cache) klines from ``start`` to ``end`` and parse them.

    Parameters
    ----------
    symbol, interval : str
        E.g. ``"BTCUSDT"``, ``"1h"``.
    start, end : date-like
        Inclusive range of bar open times (a bare date ``end`` covers that whole day).
    market : {"spot", "um"}
        Spot or USD-M futures.
    period : {"daily", "monthly"}
        Which archive series to use (monthly files are fewer and larger; the current month
        exists only as daily files).
    missing : {"raise", "skip"}
        What to do when an archive is not on the server (404): raise
        :class:`ArchiveNotFoundError`, or skip it with a warning in the ``riskkit.download``
        log naming the archives skipped (:func:`riskkit.data.validate` then reports the gap).
    check : bool
        Run :func:`riskkit.data.validate` on the result: it warns
        :class:`~riskkit.exceptions.DataQualityWarning` with a summary of the defects. For the
        report itself call :func:`riskkit.data.validate` (or :func:`riskkit.data.check_and_clean`)
        on the frame.
    cache_dir, base_url, timeout, retries
        See :func:`download_archive`.

    Returns
    -------
    DataFrame
        Tidy OHLCV frame (index ``date`` = bar open time, UTC), without ``attrs``.
    """
    archives = [
        Archive(symbol, d, "klines", market, interval) for d in archive_dates(start, end, period)
    ]
    frame = _collect(
        archives,
        read_kline_archive,
        missing,
        cache_dir=cache_dir,
        base_url=base_url,
        timeout=timeout,
        retries=retries,
    )
    frame = _window(frame, start, end)
    if check and not frame.empty:  # warns DataQualityWarning when it finds a defect
        validate(frame, freq=_INTERVALS[interval], name=f"binance {market} {symbol} {interval}")
    return frame


def download_perp_klines(
    symbol: str,
    interval: str,
    start: str | pd.Timestamp,
    end: str | pd.Timestamp,
    kind: Literal["mark", "index", "premium"] = "mark",
    period: Period = "monthly",
    missing: Literal["raise", "skip"] = "raise",
    check: bool = True,
    cache_dir: str | os.PathLike[str] | None = None,
    base_url: str | None = None,
    timeout: float = 60.0,
    retries: int = 2,
) -> pd.DataFrame:
    """Mark-price, index-price or premium-index klines of a USD-M perpetual.

    Same archive layout and parameters as :func:`download_klines` (``market`` is always
    ``"um"``). Data under the Binance Vision Dataset Terms v1.0 (CC BY-NC-SA 4.0, commercial
    use excluded).

    Parameters
    ----------
    symbol, interval : str
        E.g. ``"BTCUSDT"``, ``"1h"``.
    start, end : date-like
        Inclusive range of bar open times (a bare date ``end`` covers that whole day).
    kind : {"mark", "index", "premium"}
        ``markPriceKlines``, ``indexPriceKlines`` or ``premiumIndexKlines`` archives (the
        premium index is a fraction of the index price and may be negative).
    period : {"daily", "monthly"}
        Which archive series to use (the current month exists only as daily files).
    missing : {"raise", "skip"}
        What to do when an archive is not on the server (404): raise
        :class:`ArchiveNotFoundError`, or skip it with a warning in the ``riskkit.download``
        log naming the archives skipped.
    check : bool, default True
        Run :func:`riskkit.data.validate_feed` (warns
        :class:`~riskkit.exceptions.DataQualityWarning` with a summary of the defects).
    cache_dir, base_url, timeout, retries
        See :func:`download_archive`.

    Returns
    -------
    DataFrame
        Index ``date`` = bar open time (UTC, tz-naive); float columns ``open, high, low,
        close`` (the archives' volume columns hold 0 and are dropped).

    Raises
    ------
    ConfigError
        Bad symbol, interval, ``kind``, ``period``, ``missing`` value, or ``start`` after
        ``end``.
    ArchiveNotFoundError
        An archive is missing with ``missing="raise"``, or no archive at all was found.
    ChecksumError
        A downloaded archive does not match its published sha256.
    DataError
        Network failure after the retries, or an archive that is not a valid zip holding one
        CSV with the expected columns.
    """
    if kind not in PERP_FEEDS:
        raise ConfigError(f"kind must be one of {list(PERP_FEEDS)}, got {kind!r}")
    archives = [
        Archive(symbol, d, PERP_FEEDS[kind], "um", interval)  # type: ignore[arg-type]
        for d in archive_dates(start, end, period)
    ]
    frame = _collect(
        archives,
        read_kline_archive,
        missing,
        cache_dir=cache_dir,
        base_url=base_url,
        timeout=timeout,
        retries=retries,
    )
    frame = _window(frame, start, end).drop(columns="volume")
    if check and not frame.empty:  # warns DataQualityWarning when it finds a defect
        validate_feed(frame, kind, freq=_INTERVALS[interval], name=f"binance {kind} {symbol}")
    return frame


def download_premium_index(
    symbol: str,
    interval: str,
    start: str | pd.Timestamp,
    end: str | pd.Timestamp,
    period: Period = "monthly",
    missing: Literal["raise", "skip"] = "raise",
    cache_dir: str | os.PathLike[str] | None = None,
    base_url: str | None = None,
    timeout: float = 60.0,
    retries: int = 2,
) -> pd.DataFrame:
    """Premium-index klines of a USD-M perpetual: :func:`download_perp_klines` with
    ``kind="premium"`` and ``check=False`` (kept for the name users import)."""
    return download_perp_klines(
        symbol,
        interval,
        start,
        end,
        kind="premium",
        period=period,
        missing=missing,
        check=False,
        cache_dir=cache_dir,
        base_url=base_url,
        timeout=timeout,
        retries=retries,
    )


def download_funding_rates(
    symbol: str,
    start: str | pd.Timestamp,
    end: str | pd.Timestamp,
    missing: Literal["raise", "skip"] = "raise",
    check: bool = True,
    cache_dir: str | os.PathLike[str] | None = None,
    base_url: str | None = None,
    timeout: float = 60.0,
    retries: int = 2,
) -> pd.DataFrame:
    """Funding rates of a USD-M perpetual from the monthly ``fundingRate`` archives.

    Parameters
    ----------
    symbol : str
        E.g. ``"BTCUSDT"``.
    start, end : date-like
        Inclusive range of funding calculation times (a bare date ``end`` covers that whole
        day); every month touched is downloaded.
    missing : {"raise", "skip"}
        What to do when an archive is not on the server (404): raise
        :class:`ArchiveNotFoundError`, or skip it with a warning in the ``riskkit.download``
        log naming the archives skipped.
    check : bool, default True
        Run :func:`riskkit.data.validate_funding` (warns
        :class:`~riskkit.exceptions.DataQualityWarning` with a summary: gaps on the funding
        grid, rates beyond a sanity cap...).
    cache_dir, base_url, timeout, retries
        See :func:`download_archive`.

    Returns
    -------
    DataFrame
        Index ``date`` = funding calculation time (UTC, tz-naive); columns ``funding_rate``
        (fraction paid by longs to shorts per funding interval; negative: shorts pay) and
        ``funding_interval_hours``; see :func:`read_funding_archive`.

    Raises
    ------
    ConfigError
        Bad symbol, ``missing`` value, or ``start`` after ``end``.
    ArchiveNotFoundError
        An archive is missing with ``missing="raise"``, or no archive at all was found.
    ChecksumError
        A downloaded archive does not match its published sha256.
    DataError
        Network failure after the retries, or an archive that is not a valid zip holding one
        CSV with the expected columns.
    """
    archives = [
        Archive(symbol, d, "fundingRate", "um", None) for d in archive_dates(start, end, "monthly")
    ]
    frame = _collect(
        archives,
        read_funding_archive,
        missing,
        cache_dir=cache_dir,
        base_url=base_url,
        timeout=timeout,
        retries=retries,
    )
    frame = _window(frame, start, end)
    if check and not frame.empty:  # warns DataQualityWarning when it finds a defect
        validate_funding(frame, name=f"binance funding {symbol}")
    return frame
