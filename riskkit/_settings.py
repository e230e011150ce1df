"""Base class, field types and error messages of riskkit's settings models (pydantic v2).

The configuration of a run (:mod:`riskkit.run.config`) and the margin settings
(:mod:`riskkit.margin.settings`) are pydantic models built from the pieces here:

* :class:`SettingsModel`: frozen, unknown keys forbidden; a bad value raises one
  :class:`~riskkit.exceptions.ConfigError` listing **every** problem with its location.
* Field types that accept what a YAML file holds and reject the rest with a plain message:
  :data:`Int`, :data:`Float`, :data:`Bool`, :data:`Text`, :data:`Date`, and the markers
  :class:`Choice` (a fixed set of strings, matched case-insensitively, with a did-you-mean) and
  :class:`Range` (bounds, also written into the JSON Schema).
* :func:`describe_errors`, which turns pydantic's ``ValidationError`` into lines such as
  ``margin.levl: unknown key (did you mean 'level'?)`` or
  ``margin.level: must be in (0, 1), got 99 (a fraction: did you mean 0.99?)``.

A check that finds several problems raises :func:`problems_error`; :func:`merge_errors` combines
such problems with pydantic's own, so that a wrapping validator can add its findings to those of
the fields it wraps.
"""

from __future__ import annotations

import datetime as _dt
import difflib
import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Annotated, Any, Self, get_args

import numpy as np
from pydantic import BaseModel, BeforeValidator, ConfigDict, ValidationError
from pydantic_core import InitErrorDetails, PydanticCustomError, core_schema

from riskkit.exceptions import ConfigError

__all__ = [
    "Bool",
    "Choice",
    "Date",
    "Float",
    "Int",
    "Range",
    "SettingsModel",
    "Text",
    "describe_errors",
    "did_you_mean",
    "format_problems",
    "merge_errors",
    "parse_date",
    "problem",
    "problems_error",
    "show",
]

#: pydantic error type of every problem riskkit's own checks raise
PROBLEM = "riskkit"


# --------------------------------------------------------------------------------------------
# problems


def show(value: Any) -> str:
    """A value as the YAML author wrote it: ``null`` for None, ``99`` for a float 99.0."""
    if value is None:
        return "null"
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e15:
        return repr(int(value))
    return repr(value)


def did_you_mean(word: Any, options: Iterable[Any]) -> str:
    """`` (did you mean 'x'?)`` for the closest of ``options``, or an empty string."""
    close = difflib.get_close_matches(str(word), [str(o) for o in options], n=1, cutoff=0.6)
    return f" (did you mean {close[0]!r}?)" if close else ""


def problem(message: str) -> PydanticCustomError:
    """A problem to raise from a validator, in the words shown to the user
    (``"must be >= 1, got 0"``); its location is where the validator runs."""
    return PydanticCustomError(PROBLEM, "{message}", {"message": message})


_PYDANTIC_ERRORS = frozenset(get_args(core_schema.ErrorType))

#: a problem found by riskkit's own checks: location (relative to where it is raised), message
Problem = tuple[tuple[str | int, ...], str]


def _reinit(err: Mapping[str, Any]) -> InitErrorDetails:
    """An error of ``ValidationError.errors()`` in the form ``from_exception_data`` takes."""
    ctx = dict(err.get("ctx") or {})
    if err["type"] == PROBLEM:
        return InitErrorDetails(type=problem(ctx["message"]), loc=err["loc"], input=err["input"])
    if err["type"] in _PYDANTIC_ERRORS:
        return InitErrorDetails(type=err["type"], loc=err["loc"], input=err["input"], ctx=ctx)
    # a custom error type of a library validator: keep its message as it is
    return InitErrorDetails(type=problem(err["msg"]), loc=err["loc"], input=err["input"])


def merge_errors(
    errors: Sequence[Mapping[str, Any]], extra: Iterable[Problem] = ()
) -> ValidationError:
    """A ``ValidationError`` holding pydantic's ``errors`` (``exc.errors()`` of a handler)
    followed by riskkit's own ``extra`` problems."""
    details = [_reinit(e) for e in errors]
    details += [InitErrorDetails(type=problem(msg), loc=loc, input=None) for loc, msg in extra]
    return ValidationError.from_exception_data("settings", details)


def problems_error(items: Iterable[Problem]) -> ValidationError:
    """A ``ValidationError`` holding several problems, ``(loc, message)`` each."""
    return merge_errors((), items)


def _loc_text(loc: Sequence[str | int]) -> str:
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += f".{part}" if out else str(part)
    return out


def _model_in(annotation: Any) -> type[BaseModel] | None:
    """The pydantic model class inside an annotation (``X``, ``X | None``, ``Annotated[X, ...]``)."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    for arg in get_args(annotation):
        found = _model_in(arg)
        if found is not None:
            return found
    return None


def _model_at(root: type[BaseModel], loc: Sequence[str | int]) -> type[BaseModel] | None:
    """The model class whose fields sit at ``loc`` below ``root`` (None if not a model)."""
    cls: type[BaseModel] | None = root
    for part in loc:
        if cls is None or not isinstance(part, str) or part not in cls.model_fields:
            return None
        cls = _model_in(cls.model_fields[part].annotation)
    return cls


def describe_errors(exc: ValidationError, root: type[BaseModel]) -> list[str]:
    """One line ``location: problem`` per error of ``exc`` (validating ``root``)."""
    lines = []
    for err in exc.errors():
        kind, loc, value = err["type"], err["loc"], err.get("input")
        ctx = err.get("ctx") or {}
        where = _loc_text(loc)
        if kind == PROBLEM:
            message = ctx["message"]
        elif kind == "missing":
            message = "missing (required)"
        elif kind == "extra_forbidden":
            model = _model_at(root, loc[:-1])
            options = list(model.model_fields) if model is not None else []
            message = f"unknown key{did_you_mean(loc[-1], options)}"
        elif kind in ("model_type", "model_attributes_type", "dict_type", "mapping_type"):
            message = f"must be a mapping, got {type(value).__name__} {show(value)}"
        elif kind in ("list_type", "tuple_type", "iterable_type", "set_type"):
            message = f"must be a list, got {show(value)}"
        elif kind in ("too_short", "too_long"):
            n = ctx.get("min_length") if kind == "too_short" else ctx.get("max_length")
            bound = "at least" if kind == "too_short" else "at most"
            message = f"must hold {bound} {n} item(s), got {show(value)}"
        elif kind == "value_error" and "error" in ctx:
            message = str(ctx["error"])
        else:  # any other pydantic check: its own words
            message = err["msg"]
        lines.append(f"{where}: {message}" if where else message)
    return lines


def format_problems(head: str, lines: Sequence[str]) -> str:
    """``head (n problems):`` followed by one ``  - line`` per problem."""
    n = len(lines)
    body = "\n".join(f"  - {line}" for line in lines)
    return f"{head} ({n} problem{'s' * (n != 1)}):\n{body}"


# --------------------------------------------------------------------------------------------
# field types


def _int(value: Any) -> Any:
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, float, np.number)):
        raise problem(f"must be an integer, got {show(value)}")
    if isinstance(value, (float, np.floating)):
        if not math.isfinite(value) or not float(value).is_integer():
            raise problem(f"must be an integer, got {show(value)}")
    return int(value)


def _float(value: Any) -> Any:
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, float, np.number)):
        raise problem(f"must be a number, got {show(value)}")
    value = float(value)
    if not math.isfinite(value):
        raise problem(f"must be finite, got {show(value)}")
    return value


def _bool(value: Any) -> Any:
    if not isinstance(value, (bool, np.bool_)):
        raise problem(f"must be true or false, got {show(value)}")
    return bool(value)


def _text(value: Any) -> Any:
    if not isinstance(value, str) or not value.strip():
        raise problem(f"must be a non-empty string, got {show(value)}")
    return value.strip()


def parse_date(value: Any) -> str:
    """ISO text ``YYYY-MM-DD`` of a date, a datetime or a date string (a problem otherwise)."""
    if isinstance(value, _dt.datetime):
        value = value.date()
    if isinstance(value, _dt.date):
        return value.isoformat()
    if isinstance(value, str):
        try:
            return _dt.date.fromisoformat(value.strip()).isoformat()
        except ValueError:
            pass
    raise problem(f"must be a date YYYY-MM-DD, got {show(value)}")


#: an integer (an integral float such as ``250.0`` is accepted; a bool is not)
Int = Annotated[int, BeforeValidator(_int)]
#: a finite number (an integer is accepted and stored as a float; a bool or a string is not)
Float = Annotated[float, BeforeValidator(_float)]
#: ``true`` or ``false`` only (not ``"yes"`` or ``1``)
Bool = Annotated[bool, BeforeValidator(_bool)]
#: a non-empty string, surrounding spaces removed
Text = Annotated[str, BeforeValidator(_text)]
#: a date, stored as its ISO text ``YYYY-MM-DD`` (a YAML date or a string)
Date = Annotated[str, BeforeValidator(parse_date, json_schema_input_type=_dt.date)]


@dataclass(frozen=True)
class Choice:
    """Marker of a string field taking one of ``options`` (``Annotated[str, Choice(...)]``).

    A value is matched case-insensitively and stored as spelled in ``options``; an unknown one
    is reported as ``unknown <what> 'x' (did you mean 'y'?); <verb> a, b, c``. The JSON Schema
    lists the options as an ``enum``.
    """

    options: tuple[str, ...]
    what: str = "value"
    verb: str = "choose one of"

    def check(self, value: Any) -> str:
        if not isinstance(value, str) or not value.strip():
            raise problem(f"must be a non-empty string, got {show(value)}")
        text = value.strip()
        if text in self.options:
            return text
        alt = {o.lower(): o for o in self.options}.get(text.lower())
        if alt is not None:
            return alt
        raise problem(
            f"unknown {self.what} {text!r}{did_you_mean(text, self.options)}; "
            f"{self.verb} {', '.join(self.options)}"
        )

    def __get_pydantic_core_schema__(self, source: Any, handler: Any) -> Any:
        return core_schema.no_info_before_validator_function(self.check, handler(source))

    def __get_pydantic_json_schema__(self, schema: Any, handler: Any) -> Any:
        out = handler(schema)
        out["enum"] = list(self.options)
        return out


@dataclass(frozen=True)
class Range:
    """Marker of bounds on a number (``Annotated[Float, Range(0, 1, lo_open=True)]``).

    The message names the whole range (``must be in (0, 30], got 0``) and, for a fraction given
    in percent, the likely intended value. The JSON Schema gets ``minimum``/``maximum`` (or their
    exclusive forms).
    """

    lo: float | None = None
    hi: float | None = None
    lo_open: bool = False
    hi_open: bool = False
    #: for a range with upper bound 1, suggest ``value / 100`` for a value in [2, 100): a level
    #: or rate written in percent (99 for 0.99). A value between 1 and 2 gets no hint: it reads
    #: as a ratio just above one (``mm_ratio: 1.5``), not as 1.5 percent. Set False for a field
    #: where a percent is not plausible.
    percent_hint: bool = True

    def text(self) -> str:
        """The range in words: ``in (0, 1)``, ``>= 50``, ``<= 10``."""
        if self.lo is not None and self.hi is not None:
            left = "(" if self.lo_open else "["
            right = ")" if self.hi_open else "]"
            return f"in {left}{self.lo:g}, {self.hi:g}{right}"
        if self.lo is not None:
            return f"{'>' if self.lo_open else '>='} {self.lo:g}"
        return f"{'<' if self.hi_open else '<='} {self.hi:g}"

    def check(self, value: Any) -> Any:
        too_low = self.lo is not None and (value <= self.lo if self.lo_open else value < self.lo)
        too_high = self.hi is not None and (value >= self.hi if self.hi_open else value > self.hi)
        if too_low or too_high:
            hint = ""
            if self.percent_hint and self.hi == 1 and 2 <= value < 100:
                hint = f" (a fraction: did you mean {value / 100:g}?)"
            raise problem(f"must be {self.text()}, got {show(value)}{hint}")
        return value

    def __get_pydantic_core_schema__(self, source: Any, handler: Any) -> Any:
        return core_schema.no_info_after_validator_function(self.check, handler(source))

    def __get_pydantic_json_schema__(self, schema: Any, handler: Any) -> Any:
        out = handler(schema)
        if self.lo is not None:
            out["exclusiveMinimum" if self.lo_open else "minimum"] = self.lo
        if self.hi is not None:
            out["exclusiveMaximum" if self.hi_open else "maximum"] = self.hi
        return out


# --------------------------------------------------------------------------------------------
# base model


class SettingsModel(BaseModel):
    """Base of riskkit's settings: frozen, no unknown keys, bad values raise ``ConfigError``.

    Building a model (``MarginSettings(level=0.995)``) or validating a mapping
    (``MarginSettings.model_validate({...})``) checks every field and raises one
    :class:`~riskkit.exceptions.ConfigError` listing every problem, each with its location.
    Field descriptions are the attribute docstrings (they end up in the JSON Schema).
    """

    model_config = ConfigDict(extra="forbid", frozen=True, use_attribute_docstrings=True)

    def __init__(self, /, **data: Any) -> None:
        try:
            super().__init__(**data)
        except ValidationError as exc:
            lines = describe_errors(exc, type(self))
            raise ConfigError(format_problems(f"invalid {type(self).__name__}", lines)) from None

    # pydantic calls a model's own __init__ when it validates the model *inside* another one,
    # unless the __init__ carries this mark (as BaseModel's and RootModel's do); marked, a
    # section inside a configuration reports its problems through the outer model, with their
    # full location, instead of as one ConfigError string
    __init__.__pydantic_base_init__ = True  # type: ignore[attr-defined]

    def replace(self, **changes: Any) -> Self:
        """A copy with some fields changed, checked again (``settings.replace(level=0.995)``).

        Unlike pydantic's ``model_copy(update=...)``, which does not validate, a bad value
        raises :class:`~riskkit.exceptions.ConfigError`.
        """
        return type(self)(**{**self.model_dump(), **changes})

    @classmethod
    def model_validate(cls, obj: Any, **kwargs: Any) -> Self:
        """Validate a mapping (or an instance); raises :class:`ConfigError` listing problems."""
        try:
            return super().model_validate(obj, **kwargs)
        except ValidationError as exc:
            lines = describe_errors(exc, cls)
            raise ConfigError(format_problems(f"invalid {cls.__name__}", lines)) from None
