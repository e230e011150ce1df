"""How to read a price or perpetual-feed file: one settings model for Python, config and CLI.

:class:`ReadOptions` is the single source of the read options and their defaults. The same
fields are the keys of a configuration's ``data`` section and the flags of ``riskkit
validate-data`` / ``riskkit calibrate`` (``--day-boundary 08:00`` for ``day_boundary``), so a
message can name the option the way its reader set it (:meth:`ReadOptions.option_name`).
"""

from __future__ import annotations

import re
import shlex
import zoneinfo
from typing import Annotated, Literal

import pandas as pd
from pydantic import field_validator
from pydantic_core import PydanticCustomError

from riskkit._settings import Choice, Date, Text, problem, problems_error
from riskkit._settings import SettingsModel as _SettingsModel
from riskkit.bars import parse_interval
from riskkit.data._frame import OHLCV_COLUMNS
from riskkit.exceptions import ConfigError

__all__ = [
    "ReadOptions",
    "COLUMN_TARGETS",
    "TIMESTAMP_UNITS",
    "PARTIAL_BAR_POLICIES",
    "Audience",
    "parse_interval",
    "parse_day_boundary",
]

TIMESTAMP_UNITS = ("auto", "s", "ms", "us", "ns", "iso")
PARTIAL_BAR_POLICIES = ("drop", "keep", "error")
#: riskkit columns a file's column may be mapped to with ``columns`` ({startTime: date})
COLUMN_TARGETS = ("date", *OHLCV_COLUMNS, "close_time", "trades")
#: riskkit columns of a funding file (:func:`riskkit.data.read_funding`), also valid targets
FUNDING_TARGETS = ("funding_rate", "funding_interval_hours", "mark_price")

#: who reads a message: a Python user (keyword arguments), a config file (keys) or the CLI (flags)
Audience = Literal["python", "config", "cli"]


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
    decimal: Text = "."
    """Decimal mark of numbers in a CSV file: "," for a European export (``60075,48``, with
    sep ";")."""
    thousands: Text | None = None
    """Thousands separator of numbers in a CSV file (``1,234.5``: ","; null: none)."""
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
    names: Text | None = None
    """Column names of a CSV file without a header line, comma-separated in file order, e.g.
    time,open,high,low,close,volume,trades for Kraken's OHLCVT downloads (null: a headerless
    file must have the 12 columns of a Binance kline file)."""
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

    @field_validator("columns")
    @classmethod
    def _known_targets(cls, value: dict[str, str]) -> dict[str, str]:
        choice = Choice((*COLUMN_TARGETS, *FUNDING_TARGETS), what="riskkit column")
        out, bad = {}, []
        for src, dst in value.items():
            try:
                out[src] = choice.check(dst)
            except PydanticCustomError as exc:
                bad.append(((src,), str(exc)))
        if bad:
            raise problems_error(bad)
        return out

    @field_validator("decimal", "thousands")
    @classmethod
    def _one_character(cls, value: str | None) -> str | None:
        if value is not None and len(value) != 1:
            raise problem(f"expected one character such as ',' or '.', got {value!r}")
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
            return f"{flag} {shlex.quote(str(value))}"  # as pasted into a shell: --sep ';'
        if audience == "config":
            if isinstance(value, dict):
                inner = ", ".join(f"{k}: {v}" for k, v in value.items())
                return f"data.{field}: {{{inner}}}"
            return f"data.{field}: {value}"
        return f"{field}={value!r}"


#: CLI flags whose spelling is not ``--`` + the field name (repeatable KEY=VALUE flags)
_CLI_FLAGS = {"columns": "--column", "select": "--select"}
