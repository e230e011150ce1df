"""Bar intervals and market calendars: how long a bar is, and how many bars make a day and a year.

riskkit works on bars of any interval from one minute to one day. This module is the one place
that converts between bars, days and years:

* :func:`parse_interval` reads an interval as a user writes it (``1h``, ``4h``, ``15min``,
  ``15m``, ``1d``, ``1D``) and :func:`interval_label` writes it back (``4h``, ``15min``, ``1D``);
* :func:`check_interval` compares the interval of a file with the declared one;
* :class:`BarClock` holds a bar interval and a market calendar (:data:`CALENDARS`: crypto trades
  365 days a year around the clock, equities about 252 sessions of 6.5 hours) and does every
  conversion: days to bars (``h_bars = horizon_days x bars_per_day``, :meth:`BarClock.bars`),
  bars per year for annualisation (:attr:`BarClock.periods_per_year`: 365 x 24 = 8,760 for hourly
  crypto bars), and the square-root-of-time rule between a bar and a day
  (:meth:`BarClock.to_daily`).

A bar is labelled by its opening time (UTC); bars of an interval shorter than a day tile the day
from the day boundary (00:00 UTC unless a venue opens its day at another hour), so an interval
must divide one day.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from riskkit.exceptions import ConfigError, DataError

__all__ = [
    "CALENDARS",
    "DAY",
    "BarClock",
    "Calendar",
    "check_interval",
    "infer_interval",
    "interval_label",
    "jitter_tolerance",
    "parse_interval",
]

DAY = pd.Timedelta("1D")
_SHORTEST = pd.Timedelta("1min")


@dataclass(frozen=True)
class Calendar:
    """When a market trades: days per year and the length of one trading day (session).

    Attributes
    ----------
    name : str
    days_per_year : float
        Trading days (sessions) per year: 365 for crypto, 252 for equities.
    session : pandas.Timedelta
        Length of a trading day: 24 hours for crypto, 6.5 hours for an equity session (NYSE,
        09:30-16:00). Intraday bars per day are ``session / interval`` (crypto only: intraday
        equity sessions are not modelled, see :class:`BarClock`).
    """

    name: str
    days_per_year: float
    session: pd.Timedelta


#: market calendars known to riskkit (``data.calendar`` of a configuration)
CALENDARS: dict[str, Calendar] = {
    "crypto": Calendar("crypto", 365.0, DAY),
    "equity": Calendar("equity", 252.0, pd.Timedelta("6h30min")),
}


def interval_label(step: pd.Timedelta) -> str:
    """Short text of an interval: ``1D``, ``4h``, ``15min``, ``30s`` (the largest whole unit)."""
    step = pd.Timedelta(step)
    ns = int(step.value)
    for unit, size in (("D", DAY), ("h", pd.Timedelta("1h")), ("min", _SHORTEST)):
        if ns % size.value == 0:
            return f"{ns // size.value}{unit}"
    if ns % 1_000_000_000 == 0:
        return f"{ns // 1_000_000_000}s"
    return str(step)


_UNITS = {
    "ns": "ns",
    "us": "us",
    "ms": "ms",
    "s": "s",
    "sec": "s",
    "second": "s",
    "seconds": "s",
    "m": "min",
    "min": "min",
    "minute": "min",
    "minutes": "min",
    "t": "min",
    "h": "h",
    "hour": "h",
    "hours": "h",
    "d": "D",
    "day": "D",
    "days": "D",
    "w": "W",
    "week": "W",
    "weeks": "W",
}


def _read_duration(value: Any, option: str = "interval") -> pd.Timedelta:
    """A positive duration as text (``"1min"``, ``"15m"`` as Binance writes minutes, ``"4H"``,
    ``"1d"``, ``"30s"``) or a Timedelta, *without* the checks a bar interval needs: for
    tolerances and funding intervals. Bar intervals are read by :func:`parse_interval`."""
    if isinstance(value, pd.Timedelta):
        step = value
    else:
        text = str(value).strip()
        match = re.fullmatch(r"(\d+(?:\.\d+)?)\s*([A-Za-z]+)", text)
        unit = None
        if match:
            word = match.group(2)
            unit = "month" if word in ("M", "mo", "month", "months") else _UNITS.get(word.lower())
        if unit == "month":
            raise ConfigError(f"{option}: {text!r} is a month, not a fixed interval")
        if unit is None:
            raise ConfigError(
                f"{option}: cannot read {text!r} as a bar interval; use e.g. 1min, 5min, 1h, "
                "4h, 8h, 1D"
            )
        step = pd.Timedelta(float(match.group(1)), unit=unit)  # type: ignore[union-attr]
    if step <= pd.Timedelta(0):
        raise ConfigError(f"{option}: the bar interval must be positive, got {value!r}")
    return step


def parse_interval(
    value: Any,
    option: str = "interval",
    shortest: str | pd.Timedelta = _SHORTEST,
    longest: str | pd.Timedelta = DAY,
) -> pd.Timedelta:
    """A bar interval as a :class:`pandas.Timedelta`, checked to be usable as bars.

    Pandas offset text in any case or the exchange spelling (``1min``, ``15m`` as Binance
    writes minutes, ``1h``, ``4H``, ``1d``, ``1D``; a month is refused), checked to be usable
    as bars. The one reader of bar intervals: Python (:class:`~riskkit.data.ReadOptions`), the
    configuration and the CLI refuse the same values.

    Parameters
    ----------
    value : str or Timedelta
    option : str
        How the caller spells the option (``interval=``, ``data.interval``, ``--interval``);
        named in the error message.
    shortest, longest : str or Timedelta
        Allowed range (default one minute to one day).

    Returns
    -------
    pandas.Timedelta

    Raises
    ------
    ConfigError
        Unreadable text, an interval outside the range, or one that does not divide a day
        (bars tile the day from its boundary: 7min cannot).
    """
    examples = "e.g. 1min, 5min, 15min, 1h, 4h, 1D"
    step = _read_duration(value, option)
    lo, hi = pd.Timedelta(shortest), pd.Timedelta(longest)
    if not lo <= step <= hi:
        raise ConfigError(
            f"{option}: {value!r} is not between {interval_label(lo)} and {interval_label(hi)}"
        )
    if step < DAY and DAY.value % step.value != 0:
        raise ConfigError(
            f"{option}: {value!r} does not divide one day, so bars of it cannot tile the day "
            f"from its boundary ({examples})"
        )
    if step > DAY and step.value % DAY.value != 0:
        raise ConfigError(f"{option}: {value!r} is not a whole number of days")
    return step


def jitter_tolerance(step: pd.Timedelta) -> pd.Timedelta:
    """How far a timestamp may sit from its grid point and still count as on it.

    1% of the bar interval, at most one minute: 0.6 s for minute bars, 36 s for hourly bars, one
    minute for 8-hourly funding times and daily bars. Exchange feeds stamp funding and snapshot
    times a few milliseconds late (``16:00:00.001``); such jitter is not a gap. The one
    tolerance of the grid check (:func:`riskkit.data.validate`) and of :func:`check_interval`.
    """
    return min(pd.Timedelta(step) / 100, pd.Timedelta("1min"))


def infer_interval(index: pd.DatetimeIndex) -> pd.Timedelta | None:
    """The bar interval of timestamps: :func:`riskkit.data.infer_freq` under the name this
    module uses (the most common spacing, timestamp jitter rounded away, duplicates and order
    ignored); None with fewer than two distinct timestamps."""
    from riskkit.data.validation import infer_freq  # riskkit.data imports this module

    return infer_freq(index)


def check_interval(
    index: pd.DatetimeIndex,
    declared: pd.Timedelta | None,
    name: str,
    option: str = "interval=",
    resample_option: str = "resample=",
) -> pd.Timedelta:
    """The bar interval of ``index``, checked against the declared one.

    Parameters
    ----------
    index : pandas.DatetimeIndex
        Bar opening times.
    declared : Timedelta or None
        The interval the user declared (None: whatever the file holds).
    name : str
        The file or series, named in the message.
    option, resample_option : str
        How the reader spells the interval and resampling options (``--interval`` and
        ``--resample`` on the command line, ``data.interval`` in a configuration).

    Returns
    -------
    pandas.Timedelta
        The declared interval, or the inferred one when none was declared.

    Raises
    ------
    DataError
        The file's bars are spaced by another interval than the declared one (beyond
        :func:`jitter_tolerance` of it, the grid's tolerance), or the interval cannot be
        inferred.
    """
    found = infer_interval(index)
    if found is None:
        if declared is None:
            raise DataError(
                f"{name}: fewer than two distinct timestamps; the bar interval cannot be inferred"
            )
        return declared
    if declared is None:
        return found
    if abs(found - declared) > jitter_tolerance(declared):
        raise DataError(
            f"{name}: bars are {interval_label(found)} apart but {option.rstrip('=')} is "
            f"{interval_label(declared)}; set {_setting(option, interval_label(found))} (or leave "
            f"it out: it is inferred), or aggregate the bars with "
            f"{_setting(resample_option, interval_label(declared))}"
        )
    return declared


def _setting(option: str, value: str) -> str:
    """``option`` set to ``value`` as its reader writes it: ``interval='1h'`` (Python),
    ``--interval 1h`` (CLI) or ``data.interval: 1h`` (configuration)."""
    if option.endswith("="):
        return f"{option}{value!r}"
    if option.startswith("-"):
        return f"{option} {value}"
    return f"{option}: {value}"


@dataclass(frozen=True)
class BarClock:
    """A bar interval on a market calendar: every conversion between bars, days and years.

    Parameters
    ----------
    interval : Timedelta or str, default "1D"
        Bar interval, one minute to one day (see :func:`parse_interval`).
    calendar : {"crypto", "equity"}, default "crypto"
        Market calendar (:data:`CALENDARS`).

    Examples
    --------
    >>> clock = BarClock("1h")
    >>> clock.bars_per_day, clock.periods_per_year, clock.bars(2.0)
    (24.0, 8760.0, 48.0)

    Notes
    -----
    Daily bars are the identity: ``BarClock().bars(x) == x`` and ``to_daily(x) == x`` exactly,
    so a daily calibration gives the numbers it gave before bars of other intervals existed.
    """

    interval: pd.Timedelta = DAY
    calendar: str = "crypto"

    def __post_init__(self) -> None:
        object.__setattr__(self, "interval", parse_interval(self.interval))
        if self.calendar not in CALENDARS:
            raise ConfigError(
                f"calendar must be one of {', '.join(CALENDARS)}, got {self.calendar!r}"
            )
        if self.calendar == "equity" and not self.is_daily:
            # a session is not a whole number of most intervals (09:30-16:00 holds 6.5 hourly
            # bars), the overnight return is neither a bar nor a gap, and the grid anchored at
            # 00:00 puts 09:30 bars off it: refused rather than annualised wrongly
            raise ConfigError(
                f"equity calendar supports daily bars only; intraday equity sessions are not "
                f"modelled (got {self.label} bars): use calendar crypto, or daily (1D) bars"
            )

    @property
    def label(self) -> str:
        """The interval as text (``1D``, ``4h``, ``15min``)."""
        return interval_label(self.interval)

    @property
    def is_daily(self) -> bool:
        """True for one bar per day."""
        return self.interval == DAY

    @property
    def bars_per_day(self) -> float:
        """Bars per trading day: 24 for hourly crypto bars, 1 for daily bars (the equity
        calendar takes daily bars only)."""
        if self.is_daily:
            return 1.0
        return CALENDARS[self.calendar].session / self.interval

    @property
    def periods_per_year(self) -> float:
        """Bars per year, for annualisation: days per year x bars per day (365 x 24 = 8,760 for
        hourly crypto bars; 365 for daily crypto, 252 for daily equity bars)."""
        return CALENDARS[self.calendar].days_per_year * self.bars_per_day

    @property
    def freq(self) -> pd.Timedelta | None:
        """Grid of the returns: the interval for a market that trades around the clock; None
        for equities, whose nights, weekends and holidays are not gaps (returns are then taken
        between consecutive rows)."""
        return self.interval if self.calendar == "crypto" else None

    def bars(self, days: float) -> float:
        """A duration in days expressed in bars: ``days x bars_per_day`` (the margin period of
        risk ``h_bars = horizon_days x bars_per_day``)."""
        return float(days) if self.is_daily else float(days) * self.bars_per_day

    def whole_bars(self, days: float) -> int:
        """:meth:`bars` rounded to a whole number of bars, at least one (for look-backs)."""
        if self.is_daily:
            return max(1, int(days))
        return max(1, int(round(self.bars(days))))

    def from_hours(self, hours: float) -> float:
        """A duration in hours expressed in bars."""
        return float(hours) / (self.interval / pd.Timedelta("1h"))

    def per_bar_rate(self, daily_rate: float | None) -> float | None:
        """A relative change allowed per day, as the change per bar that compounds to it over
        a day: ``(1 + g) ** (1 / bars_per_day) - 1`` (None and infinity pass through)."""
        if daily_rate is None or self.is_daily or not math.isfinite(daily_rate):
            return daily_rate
        return float(np.expm1(np.log1p(daily_rate) / self.bars_per_day))

    def per_bar_decrease(self, daily_fall: float | None) -> float | None:
        """A relative fall allowed per day (a fraction in [0, 1]) as the fall per bar that
        compounds to it over a day: ``1 - (1 - d) ** (1 / bars_per_day)``."""
        if daily_fall is None or self.is_daily:
            return daily_fall
        if daily_fall >= 1:
            return 1.0
        return float(-np.expm1(np.log1p(-daily_fall) / self.bars_per_day))

    def to_daily(self, per_bar: float) -> float:
        """A per-bar volatility or risk measure scaled to one day by the square root of time:
        ``x sqrt(bars_per_day)``."""
        return float(per_bar) if self.is_daily else float(per_bar) * math.sqrt(self.bars_per_day)

    def annualize(self, volatility: Any) -> Any:
        """Annualised volatility of per-bar volatility:
        :func:`riskkit.volatility.historical.annualize` with :attr:`periods_per_year`."""
        from riskkit.volatility.historical import annualize

        return annualize(volatility, self.periods_per_year)

    def describe(self) -> dict[str, Any]:
        """The clock as a JSON-ready record (for run records and parameter files)."""
        return {
            "bar_interval": self.label,
            "calendar": self.calendar,
            "bars_per_day": self.bars_per_day,
            "periods_per_year": self.periods_per_year,
        }
