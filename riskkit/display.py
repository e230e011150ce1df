"""Prose whose numbers come from code, and one way to write each kind of number.

Notebooks and the report state results in sentences. A number typed into a markdown cell drifts
when the data or the model changes; :func:`say` renders a sentence built in a code cell, so the
number in the text is the number computed next to it. The formatters are the one place that
decides how a rate, an amount, a p-value, a date or a duration is written, in the notebooks and
in the report alike; :func:`table` shows a table with those formatters, every cell in full (no
"..." truncation) and long text wrapped instead of widening the page.
"""

from __future__ import annotations

import datetime as _dt
import html
import math
import re
import textwrap
from collections.abc import Callable, Mapping
from typing import Any

import pandas as pd

__all__ = [
    "amount",
    "change_pp",
    "date",
    "duration",
    "exact",
    "leverage",
    "level",
    "number",
    "pct",
    "pvalue",
    "rate",
    "rate_change",
    "say",
    "table",
    "Table",
    "text",
]

#: how a missing value is written everywhere
MISSING = "n/a"
#: a cell written by one of the number formatters (right-aligned in tables)
_NUMERIC = re.compile(r"[<+-]?\d[\d,]*(\.\d+)?(%| pp|x| s| days?)?|\d+ / [\d.]+")


def say(text: str) -> None:
    """Show ``text`` (Markdown, maths allowed) as prose in a notebook; print it elsewhere.

    Parameters
    ----------
    text : str
        The sentence(s), usually an f-string built from computed values. Common leading
        indentation is removed, so a triple-quoted block can be indented with the code.
    """
    body = textwrap.dedent(text).strip()
    try:
        from IPython import get_ipython
        from IPython.display import Markdown, display
    except ImportError:  # pragma: no cover - IPython ships with jupyterlab, a dependency
        print(body)
        return
    if get_ipython() is None:
        print(body)
    else:
        display(Markdown(body))


def _missing(value: Any) -> bool:
    if value is None or value is pd.NaT:
        return True
    try:
        return bool(pd.isna(value))
    except (TypeError, ValueError):
        return False


def pct(fraction: float, digits: int = 1) -> str:
    """Write a fraction as a percentage: ``pct(0.1745) == "17.5%"``; NaN as "n/a"."""
    if _missing(fraction):
        return MISSING
    return f"{100.0 * float(fraction):.{digits}f}%"


def _decimals(value: float, least: int, most: int) -> str:
    """``value`` with ``least`` to ``most`` decimals: trailing zeros beyond ``least`` dropped."""
    head, _, tail = f"{value:.{most}f}".partition(".")
    tail = tail.rstrip("0").ljust(least, "0")
    return f"{head}.{tail}" if tail else head


def rate(fraction: float, most: int = 4) -> str:
    """A published rate in percent as the parameter file holds it: two decimals, more when the
    rate has them (up to ``most``): ``rate(0.349) == "34.90%"``, ``rate(0.16125) == "16.125%"``
    (never 16.12% or 16.13%, so the report and the file agree to the digit)."""
    if _missing(fraction):
        return MISSING
    return f"{_decimals(100.0 * float(fraction), 2, most)}%"


def rate_change(delta: float, most: int = 4) -> str:
    """The change of a published rate in percentage points, to the digit of :func:`rate`:
    ``rate_change(0.00025) == "+0.025 pp"``, ``rate_change(-0.012) == "-1.20 pp"``; zero is
    ``"0.00 pp"``."""
    if _missing(delta):
        return MISSING
    value = round(100.0 * float(delta), most)
    if value == 0:
        return "0.00 pp"
    sign = "+" if value > 0 else "-"
    return f"{sign}{_decimals(abs(value), 2, most)} pp"


def level(fraction: float) -> str:
    """Write a confidence level without trailing zeros: ``level(0.99) == "99%"``,
    ``level(0.995) == "99.5%"`` (never ``0.990000``)."""
    if _missing(fraction):
        return MISSING
    return f"{100.0 * float(fraction):.10g}%"


def change_pp(delta: float, digits: int = 1) -> str:
    """A change of a rate in percentage points, signed: ``change_pp(0.012) == "+1.2 pp"``;
    zero (after rounding) is written ``"0.0 pp"``."""
    if _missing(delta):
        return MISSING
    value = round(100.0 * float(delta), digits)
    if value == 0:
        return f"{0.0:.{digits}f} pp"
    return f"{value:+.{digits}f} pp"


def amount(value: float, digits: int = 0) -> str:
    """Write an amount with thousands separators: ``amount(1250000) == "1,250,000"``."""
    if _missing(value):
        return MISSING
    return f"{float(value):,.{digits}f}"


def number(value: float, digits: int = 3) -> str:
    """A plain number with ``digits`` significant digits and thousands separators:
    ``number(0.41234) == "0.412"``, ``number(12345.6) == "12,346"``; integers are exact."""
    if _missing(value):
        return MISSING
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, int) or (isinstance(value, float) and float(value).is_integer()):
        return f"{int(value):,}"
    x = float(value)
    if x == 0:
        return "0"
    magnitude = math.floor(math.log10(abs(x)))
    decimals = max(0, digits - 1 - magnitude)
    return f"{x:,.{decimals}f}"


def exact(value: Any) -> str:
    """A number as given, to 10 significant digits, with thousands separators (a parameter
    handed to an engine is never rounded for display): ``exact(0.14525) == "0.14525"``."""
    if _missing(value):
        return MISSING
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return str(value)
    if isinstance(value, int) or (math.isfinite(value) and abs(value) >= 1e10):
        # a large cap (open interest in USD) in full, never "2.5e+11"
        return f"{round(value):,}"
    return f"{value:,.10g}"


def pvalue(p: float) -> str:
    """A p-value with three decimals, small ones as ``"<0.001"``."""
    if _missing(p):
        return MISSING
    p = float(p)
    return "<0.001" if p < 0.001 else f"{p:.3f}"


def leverage(value: float) -> str:
    """Maximum leverage as a multiple, at most two decimals: ``leverage(2.0) == "2x"``,
    ``leverage(2.12766) == "2.13x"``."""
    if _missing(value):
        return MISSING
    return f"{float(value):.2f}".rstrip("0").rstrip(".") + "x"


def date(value: Any) -> str:
    """A date as ``YYYY-MM-DD`` (a timestamp with a time of day keeps ``HH:MM``); missing
    dates (None, NaN, NaT) as "n/a", never ``nan``."""
    if _missing(value):
        return MISSING
    try:
        ts = pd.Timestamp(value)
    except (TypeError, ValueError):
        return str(value)
    if ts is pd.NaT or pd.isna(ts):
        return MISSING
    if ts.hour == ts.minute == ts.second == 0:
        return ts.strftime("%Y-%m-%d")
    return ts.strftime("%Y-%m-%d %H:%M")


def duration(seconds: float) -> str:
    """A wall time: ``duration(136.4) == "2 min 16 s"``, ``duration(27.5) == "27.5 s"``."""
    if _missing(seconds):
        return MISSING
    s = float(seconds)
    if s < 60:
        return f"{s:.1f} s"
    minutes, rest = divmod(int(round(s)), 60)
    if minutes < 60:
        return f"{minutes} min {rest} s"
    hours, minutes = divmod(minutes, 60)
    return f"{hours} h {minutes} min"


def text(value: Any) -> str:
    """Any value as text: missing as "n/a", booleans as "yes"/"no", dates via :func:`date`."""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if _missing(value):
        return MISSING
    if isinstance(value, (pd.Timestamp, _dt.date)):
        return date(value)
    if isinstance(value, float):
        return number(value)
    return str(value)


_KINDS: dict[str, Callable[[Any], str]] = {
    "pct": pct,
    "pct2": lambda v: pct(v, 2),
    "rate": rate,
    "rate_change": rate_change,
    "level": level,
    "pp": change_pp,
    "amount": amount,
    "amount2": lambda v: amount(v, 2),
    "number": number,
    "exact": exact,
    "pvalue": pvalue,
    "leverage": leverage,
    "date": date,
    "duration": duration,
    "text": text,
}


class Table:
    """A formatted table: every cell a string, shown in full and wrapped (see :func:`table`).

    Attributes
    ----------
    frame : pandas.DataFrame
        The formatted cells (strings).
    caption : str or None
    """

    def __init__(self, frame: pd.DataFrame, caption: str | None, index: bool) -> None:
        self.frame = frame
        self.caption = caption
        self.index = index

    def __repr__(self) -> str:
        with pd.option_context("display.max_colwidth", None, "display.width", 200):
            body = self.frame.to_string(index=self.index)
        return f"{self.caption}\n{body}" if self.caption else body

    def _repr_html_(self) -> str:
        return self.to_html()

    def to_html(self) -> str:
        """The table as HTML: text columns left-aligned, wrapped, never truncated."""
        esc = html.escape
        frame = self.frame
        parts = ['<table class="riskkit-table" style="border-collapse:collapse;max-width:100%">']
        if self.caption:
            parts.append(
                f'<caption style="caption-side:top;text-align:left;font-weight:bold">'
                f"{esc(self.caption)}</caption>"
            )
        cell = "padding:2px 8px;vertical-align:top"
        heads = ([frame.index.name or ""] if self.index else []) + [str(c) for c in frame.columns]
        parts.append(
            "<thead><tr>"
            + "".join(f'<th style="{cell};text-align:left">{esc(h)}</th>' for h in heads)
            + "</tr></thead><tbody>"
        )
        # a column of numbers (percent, amounts, multiples, p-values) is right-aligned
        right = [
            all(_NUMERIC.fullmatch(str(v)) or str(v) == MISSING for v in frame[c])
            and any(_NUMERIC.fullmatch(str(v)) for v in frame[c])
            for c in frame.columns
        ]
        for key, row in frame.iterrows():
            cells = []
            if self.index:
                label = " / ".join(map(str, key)) if isinstance(key, tuple) else str(key)
                cells.append(f'<th style="{cell};text-align:left">{esc(label)}</th>')
            for value, align_right in zip(row, right, strict=True):
                s = str(value)
                align = "right" if align_right else "left"
                # short cells never break ("PASS", "2x", "17.45%"); long text wraps at spaces
                wrap = "nowrap" if len(s) <= 24 else "normal"
                cells.append(
                    f'<td style="{cell};white-space:{wrap};text-align:{align}">{esc(s)}</td>'
                )
            parts.append("<tr>" + "".join(cells) + "</tr>")
        parts.append("</tbody></table>")
        return "".join(parts)


def table(
    frame: pd.DataFrame | pd.Series,
    formats: Mapping[str, str | Callable[[Any], str]] | None = None,
    caption: str | None = None,
    index: bool = True,
    columns: Mapping[str, str] | None = None,
) -> Table:
    """Format ``frame`` for reading: one formatter per column, every cell in full.

    Parameters
    ----------
    frame : DataFrame or Series
        The numbers (a Series becomes one column).
    formats : mapping, optional
        ``{column: kind or function}``; a kind is one of ``"pct"``, ``"pct2"``, ``"level"``,
        ``"rate"`` (a published rate, to its last digit), ``"rate_change"``,
        ``"pp"``, ``"amount"``, ``"amount2"`` (cents), ``"number"``, ``"exact"``, ``"pvalue"``,
        ``"leverage"``, ``"date"``, ``"duration"``, ``"text"``. Columns not listed use :func:`text` (floats to three
        significant digits, missing values "n/a", booleans "yes"/"no").
    caption : str, optional
        Title shown above the table.
    index : bool, default True
        Show the index as the first column.
    columns : mapping, optional
        New column headers ``{column: header}``, applied after formatting.

    Returns
    -------
    Table
        Shown as HTML in a notebook (text wrapped, nothing cut with "..."), as text elsewhere.
    """
    if isinstance(frame, pd.Series):
        frame = frame.to_frame()
    formats = dict(formats or {})
    out = pd.DataFrame(index=frame.index)
    for col in frame.columns:
        fmt = formats.get(col, "text")
        fn = _KINDS[fmt] if isinstance(fmt, str) else fmt
        out[col] = [fn(v) for v in frame[col]]
    if columns:
        out = out.rename(columns=dict(columns))
    return Table(out, caption, index)
