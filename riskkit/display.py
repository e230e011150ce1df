"""Prose whose numbers come from code, and one way to write each kind of number.

Notebooks and the report state results in sentences. A number typed into a markdown cell drifts
when the data or the model changes; :func:`say` renders a sentence built in a code cell, so the
number in the text is the number computed next to it. The formatters are the one place that
decides how a rate, an amount or a p-value is written, in the notebooks and in the report alike.
"""

from __future__ import annotations

import math
import textwrap

__all__ = ["amount", "pct", "say"]


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


def pct(fraction: float, digits: int = 1) -> str:
    """Write a fraction as a percentage: ``pct(0.1745) == "17.5%"``; NaN as "n/a"."""
    if fraction is None or (isinstance(fraction, float) and math.isnan(fraction)):
        return "n/a"
    return f"{100.0 * fraction:.{digits}f}%"


def amount(value: float, digits: int = 0) -> str:
    """Write an amount with thousands separators: ``amount(1250000) == "1,250,000"``."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "n/a"
    return f"{value:,.{digits}f}"
