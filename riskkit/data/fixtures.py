"""Synthetic exchange exports in real formats, with the defects real exports have.

riskkit bundles no intraday data (no source found whose licence allows redistribution), so the
tests and the notebooks build files *in the exact layouts venues export* and plant in them the
defects found in real exports. The prices are synthetic (a seeded random walk); only the
formats and the defects are real. :func:`example_exports` writes:

``Binance_BTCUSDT_1h.csv`` (CryptoDataDownload layout)
    A URL banner line before the header; header ``unix,date,symbol,open,high,low,close,Volume
    BTC,Volume USDT``; rows newest first; ``unix`` in milliseconds for recent rows and in
    seconds for older ones; ``date`` as ``2020-11-20 07:00:00`` for recent rows and
    ``2020-11-20 07-AM`` for older ones; a block of duplicated hours (the same hours written
    again at the end, as after an export was appended to itself); the newest bar still forming
    (partial).

``BTCUSDT-1h-2020-11.csv`` (Binance kline archive layout)
    12 columns without header (``open_time, open, high, low, close, volume, close_time,
    quote_volume, count, taker_buy_volume, taker_buy_quote_volume, ignore``), times in
    milliseconds; a bogus first bar (open and high three times the market); a stale snapshot
    row two days before the end (a bar repeating the previous bar's values exactly); a partial
    last bar (its ``close_time`` is after the moment the file was saved, which is the file's
    modification time).

``BTCUSDT-1d-2020-11.csv`` (Binance kline archive layout, daily)
    Daily bars of the same market, complete days only; one day's close differs from the last
    hourly close of that day (for :func:`~riskkit.data.compare_intervals`).

Every file's modification time is set to the moment the export was "saved" (23 minutes into
the last hour), as it would be on the machine that downloaded it.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pandas as pd

from riskkit.data._frame import PathLike

__all__ = ["example_exports", "synthetic_hourly_bars"]

#: when the synthetic exports were "saved": 23 minutes into the hour of their last bar
SAVED_AT = pd.Timestamp("2020-11-29 10:23:00")
_START = pd.Timestamp("2020-10-01 00:00:00")


def synthetic_hourly_bars(
    start: str | pd.Timestamp = _START,
    end: str | pd.Timestamp = SAVED_AT,
    seed: int = 0,
    price: float = 10_800.0,
    daily_vol: float = 0.035,
) -> pd.DataFrame:
    """Complete hourly OHLCV bars of a synthetic BTC/USDT market from ``start`` up to the last
    full hour before ``end``, plus the bar still forming at ``end`` (partial).

    Closes follow a seeded log random walk with ``daily_vol / sqrt(24)`` per hour and Student-t
    (4 degrees of freedom) shocks; each bar's open is the previous close; high and low add a
    half-normal excursion; volume is log-normal around 1,500 BTC a bar with a daily cycle. The
    partial bar covers ``end - its open`` of its hour: its volume is that fraction of a normal
    bar and its high-low range is narrower.

    Returns
    -------
    pandas.DataFrame
        Index ``date`` (bar open, UTC); columns ``open, high, low, close, volume``; the last row
        is the partial bar.
    """
    rng = np.random.default_rng(seed)
    end = pd.Timestamp(end)
    index = pd.date_range(pd.Timestamp(start), end.floor("h"), freq="1h", name="date")
    n = len(index)
    sigma = daily_vol / np.sqrt(24.0)
    shocks = rng.standard_t(4, n) / np.sqrt(2.0)  # unit variance: t(4) variance is 2
    close = price * np.exp(np.cumsum(sigma * shocks))
    open_ = np.concatenate([[price], close[:-1]])
    reach = np.abs(rng.normal(0.0, 0.5 * sigma, (2, n)))
    high = np.maximum(open_, close) * (1.0 + reach[0])
    low = np.minimum(open_, close) * (1.0 - reach[1])
    cycle = 1.0 + 0.4 * np.sin(2 * np.pi * (index.hour.to_numpy() - 15) / 24.0)
    volume = 1_500.0 * cycle * np.exp(rng.normal(0.0, 0.35, n))
    frac = (end - index[-1]) / pd.Timedelta("1h")  # share of the last hour elapsed
    volume[-1] *= frac
    high[-1] = max(open_[-1], close[-1]) * (1.0 + reach[0, -1] * frac)
    low[-1] = min(open_[-1], close[-1]) * (1.0 - reach[1, -1] * frac)
    frame = pd.DataFrame(
        {"open": open_, "high": high, "low": low, "close": close, "volume": volume}, index=index
    )
    prices = ["open", "high", "low", "close"]
    frame[prices] = frame[prices].round(2)
    frame["volume"] = frame["volume"].round(6)
    return frame


def _ms(index: pd.DatetimeIndex) -> np.ndarray:
    return index.as_unit("ms").asi8


def _kline_rows(bars: pd.DataFrame, step: pd.Timedelta, rng: np.random.Generator) -> pd.DataFrame:
    """Bars in the 12 columns of a Binance kline archive (times in ms)."""
    open_ms = _ms(pd.DatetimeIndex(bars.index))
    count = np.maximum(1, np.round(bars["volume"].to_numpy() * rng.uniform(18, 25, len(bars))))
    taker = bars["volume"].to_numpy() * rng.uniform(0.4, 0.6, len(bars))
    return pd.DataFrame(
        {
            "open_time": open_ms,
            "open": bars["open"].map("{:.2f}".format),
            "high": bars["high"].map("{:.2f}".format),
            "low": bars["low"].map("{:.2f}".format),
            "close": bars["close"].map("{:.2f}".format),
            "volume": bars["volume"].map("{:.6f}".format),
            "close_time": open_ms + int(step / pd.Timedelta("1ms")) - 1,
            "quote_volume": (bars["volume"] * bars["close"]).map("{:.4f}".format),
            "count": count.astype(np.int64),
            "taker_buy_volume": np.round(taker, 6),
            "taker_buy_quote_volume": np.round(taker * bars["close"].to_numpy(), 4),
            "ignore": 0,
        }
    )


def example_exports(directory: PathLike, seed: int = 0) -> dict[str, Path]:
    """Write a CryptoDataDownload hourly file and Binance hourly and daily kline files of one
    synthetic market, each with the defects real exports of that venue have.

    The prices are synthetic (:func:`synthetic_hourly_bars`, seeded); the layouts and the
    defects are those of real exports (see the module docstring for the list). The files are
    for teaching and tests: read them with :func:`~riskkit.data.read_checked` to see every
    defect reported with its file line.

    Parameters
    ----------
    directory : path-like
        Where to write (created if needed).
    seed : int, default 0
        Seed of the price path.

    Returns
    -------
    dict of str to Path
        ``"cdd_hourly"``, ``"binance_hourly"``, ``"binance_daily"``.

    Notes
    -----
    Planted defects, by file (positions in time order, 0 = oldest bar):

    * CryptoDataDownload: rows newest first; ``unix`` in seconds before 2020-11-15 and in
      milliseconds from then on (as CryptoDataDownload switched); ``date`` as ``HH-AM/PM``
      before 2020-11-15 and ``HH:MM:SS`` from then on; the 48 hours of 2020-11-02 and
      2020-11-03 written a second time at the end of the file (an export appended to a copy
      of itself); the last bar (2020-11-29 10:00) partial, its volume 38% of a normal hour
      (23 minutes of 60).
    * Binance hourly: first bar (2020-11-01 00:00) with open and high three times the market;
      bar 2020-11-27 09:00 repeating the values of 08:00 (stale snapshot); last bar partial
      (``close_time`` 10:59:59.999 after the file's modification time 10:23).
    * Binance daily: days 2020-11-01 to 2020-11-28 (complete days only); the close of
      2020-11-20 taken from 21:00 instead of the day's last hour.
    """
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(seed + 1)
    bars = synthetic_hourly_bars(seed=seed)
    saved = SAVED_AT.timestamp()
    out = {}

    # --- CryptoDataDownload hourly ---------------------------------------------------------
    def cdd_rows(part: pd.DataFrame) -> pd.DataFrame:
        idx = pd.DatetimeIndex(part.index)
        recent = idx >= pd.Timestamp("2020-11-15")
        return pd.DataFrame(
            {
                "unix": np.where(recent, _ms(idx), _ms(idx) // 1000),
                "date": np.where(
                    recent, idx.strftime("%Y-%m-%d %H:%M:%S"), idx.strftime("%Y-%m-%d %I-%p")
                ),
                "symbol": "BTC/USDT",
                "open": part["open"].to_numpy(),
                "high": part["high"].to_numpy(),
                "low": part["low"].to_numpy(),
                "close": part["close"].to_numpy(),
                "Volume BTC": part["volume"].round(6).to_numpy(),
                "Volume USDT": (part["volume"] * part["close"]).round(2).to_numpy(),
            }
        ).iloc[::-1]

    # newest first; the hours of 2020-11-02 and 2020-11-03 appended again at the end
    table = pd.concat([cdd_rows(bars), cdd_rows(bars.loc["2020-11-02":"2020-11-03"])])
    path = directory / "Binance_BTCUSDT_1h.csv"
    with open(path, "w", encoding="utf-8", newline="") as fh:
        fh.write("https://www.CryptoDataDownload.com\n")
        table.to_csv(fh, index=False, lineterminator="\n")
    out["cdd_hourly"] = path

    # --- Binance hourly klines, November, no header ------------------------------------------
    nov = bars.loc["2020-11-01":].copy()
    nov.iloc[0, nov.columns.get_loc("open")] = round(3.0 * nov["open"].iloc[1], 2)
    nov.iloc[0, nov.columns.get_loc("high")] = round(3.05 * nov["high"].iloc[1], 2)
    stale = nov.index.get_loc(pd.Timestamp("2020-11-27 09:00"))
    for col in ("open", "high", "low", "close", "volume"):
        nov.iloc[stale, nov.columns.get_loc(col)] = nov[col].iloc[stale - 1]
    kl = _kline_rows(nov, pd.Timedelta("1h"), rng)
    kl.iloc[stale, 7:] = kl.iloc[stale - 1, 7:].to_numpy()
    path = directory / "BTCUSDT-1h-2020-11.csv"
    kl.to_csv(path, index=False, header=False, lineterminator="\n")
    out["binance_hourly"] = path

    # --- Binance daily klines, complete days of November -------------------------------------
    full = bars.iloc[:-1].loc["2020-11-01":"2020-11-28"]
    days = full.resample("1D").agg(
        {"open": "first", "high": "max", "low": "min", "close": "last", "volume": "sum"}
    )
    days.loc["2020-11-20", "close"] = full.loc["2020-11-20 21:00", "close"]
    day = days.loc["2020-11-20"]
    days.loc["2020-11-20", "high"] = max(day["high"], day["close"])
    days.loc["2020-11-20", "low"] = min(day["low"], day["close"])
    path = directory / "BTCUSDT-1d-2020-11.csv"
    _kline_rows(days, pd.Timedelta("1D"), rng).to_csv(
        path, index=False, header=False, lineterminator="\n"
    )
    out["binance_daily"] = path

    for p in out.values():
        os.utime(p, (saved, saved))
    return out
