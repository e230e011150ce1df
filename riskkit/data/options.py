"""How to read a price or perpetual-feed file: one settings model for Python, config and CLI.

:class:`ReadOptions` is the single source of the read options and their defaults. The same
fields are the keys of a configuration's ``data`` section and the flags of ``riskkit
validate-data`` / ``riskkit calibrate`` (``--day-boundary 08:00`` for ``day_boundary``), so a
message can name the option the way its reader set it (:meth:`ReadOptions.option_name`).
"""

from __future__ import annotations

import re
import zoneinfo
from typing import Annotated, Literal

import pandas as pd
from pydantic import field_validator

from riskkit._settings import Choice, Date, Text, problem
from riskkit._settings import SettingsModel as _SettingsModel
from riskkit.exceptions import ConfigError

__all__ = [
    "ReadOptions",
    "TIMESTAMP_UNITS",
    "PARTIAL_BAR_POLICIES",
    "Audience",
    "parse_interval",
    "parse_day_boundary",
]

TIMESTAMP_UNITS = ("auto", "s", "ms", "us", "ns", "iso")
PARTIAL_BAR_POLICIES = ("drop", "keep", "error")

#: who reads a message: a Python user (keyword arguments), a config file (keys) or the CLI (flags)
Audience = Literal["python", "config", "cli"]


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


def parse_interval(value: str | pd.Timedelta, option: str = "interval") -> pd.Timedelta:
    """A bar interval as a positive :class:`pandas.Timedelta`.

    Accepts pandas offset text in any case (``"1min"``, ``"4h"``, ``"1D"``, ``"1d"``,
    ``"1H"``), exchange spellings (``"1m"`` is one minute as on Binance, ``"8h"``, ``"1w"``) and
    Timedelta objects. A month (``"1M"``) is not a fixed interval and is refused.

    Raises
    ------
    ConfigError
        Text that is not a positive fixed interval; the message names ``option``.
    """
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


def parse_day_boundary(value: str | None, option: str = "day_boundary") -> pd.Timedelta:
    """``"HH:MM"`` (UTC) as the offset of the day boundary after midnight; None is 00:00."""
    if value is None:
        return pd.Timedelta(0)
    match = re.fullmatch(r"([01]?\d|2[0-3]):([0-5]\d)", str(value).strip())
    if not match:
        raise ConfigError(f"{option}: expected a UTC time HH:MM such as 08:00, got {value!r}")
    return pd.Timedelta(hours=int(match.group(1)), minutes=int(match.group(2)))


class ReadOptions(_SettingsModel):
    """Options for reading a file of bars (OHLCV, mark/index/premium klines) or funding rates."""

    timestamp: Text | None = None
    """Timestamp column (null: detected by name: timestamp, date, time, open_time, unix...)."""
    columns: dict[str, Text] = {}
    """{column in the file: riskkit column}, e.g. {Last: close}; columns not named are detected
    by name."""
    unit: Annotated[str, Choice(TIMESTAMP_UNITS)] = "auto"
    """Unit of numeric timestamps: s, ms, us, ns, or auto (resolved row by row from the
    magnitude, with a warning naming the rows when a file mixes units); iso for text."""
    sep: Text | None = None
    """Field separator of a CSV file (null: detected)."""
    timezone: Text = "UTC"
    """Time zone of timestamps written without an offset (IANA name such as Europe/Zurich, or
    UTC). Timestamps with an offset are converted to UTC whatever this says."""
    day_boundary: Text | None = None
    """UTC time HH:MM at which daily bars open (null: 00:00 UTC). Set it for a venue whose day
    starts at another hour; bars off this boundary are reported, never shifted silently."""
    interval: Text | None = None
    """Declared bar interval (1min ... 1D, pandas offset text; null: inferred from the file).
    A file whose interval disagrees is an error."""
    partial_bars: Annotated[str, Choice(PARTIAL_BAR_POLICIES)] = "drop"
    """What to do with a bar still open when the file was saved (the last one, as a rule):
    drop it with a warning (default), keep it, or stop with an error."""
    earliest: Date = "2009-01-03"
    """Earliest plausible timestamp (the Bitcoin genesis block by default); an earlier one, or
    one in the future, is an error, never a silent date."""
    select: dict[Text, Text] = {}
    """{column: value} rows to keep from a file holding several series (columns such as
    exchange, asset, symbol with more than one value), e.g. {exchange: bitstamp, asset: BTC}.
    Such a file is refused without it: series are never merged."""

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        if value.upper() == "UTC":
            return "UTC"
        try:
            zoneinfo.ZoneInfo(value)
        except (zoneinfo.ZoneInfoNotFoundError, ValueError):
            raise problem(
                f"unknown time zone {value!r}; use an IANA name such as Europe/Zurich, or UTC"
            ) from None
        return value

    @field_validator("interval")
    @classmethod
    def _valid_interval(cls, value: str | None) -> str | None:
        if value is not None:
            try:
                parse_interval(value)
            except ConfigError as exc:
                raise problem(str(exc).partition(": ")[2]) from None
        return value

    @field_validator("day_boundary")
    @classmethod
    def _valid_boundary(cls, value: str | None) -> str | None:
        if value is not None:
            try:
                parse_day_boundary(value)
            except ConfigError as exc:
                raise problem(str(exc).partition(": ")[2]) from None
        return value

    @property
    def step(self) -> pd.Timedelta | None:
        """The declared interval as a Timedelta (None when not declared)."""
        return None if self.interval is None else parse_interval(self.interval)

    @property
    def boundary(self) -> pd.Timedelta:
        """The day boundary as an offset after 00:00 UTC (zero when not declared)."""
        return parse_day_boundary(self.day_boundary)

    @staticmethod
    def option_name(field: str, audience: Audience = "python") -> str:
        """How ``field`` is spelled for ``audience``: ``day_boundary=`` (Python),
        ``data.day_boundary`` (config) or ``--day-boundary`` (CLI; the mappings ``columns`` and
        ``select`` are the repeatable flags ``--column`` and ``--select``)."""
        if audience == "cli":
            return _CLI_FLAGS.get(field, "--" + field.replace("_", "-"))
        if audience == "config":
            return f"data.{field}"
        return f"{field}="

    @staticmethod
    def setting(field: str, value: object, audience: Audience = "python") -> str:
        """How to *set* ``field`` to ``value`` for ``audience``, for messages.

        ``unit='s'`` (Python), ``data.unit: s`` (config) or ``--unit s`` (CLI); a mapping
        ``{"Last": "close"}`` becomes ``columns={'Last': 'close'}``, ``data.columns: {Last:
        close}`` or ``--column Last=close``.
        """
        if audience == "cli":
            flag = ReadOptions.option_name(field, "cli")
            if isinstance(value, dict):
                return " ".join(f"{flag} {k}={v}" for k, v in value.items())
            return f"{flag} {value}"
        if audience == "config":
            if isinstance(value, dict):
                inner = ", ".join(f"{k}: {v}" for k, v in value.items())
                return f"data.{field}: {{{inner}}}"
            return f"data.{field}: {value}"
        return f"{field}={value!r}"


#: CLI flags whose spelling is not ``--`` + the field name (repeatable KEY=VALUE flags)
_CLI_FLAGS = {"columns": "--column", "select": "--select"}
