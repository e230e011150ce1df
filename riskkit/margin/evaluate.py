"""Several candidate margin paths judged side by side: procyclicality and coverage in one table.

A margin committee compares candidate paths (with and without anti-procyclicality tools, a
continuous model against a step margin) on two axes at once: how much the margin jumps
(:func:`riskkit.margin.compare_paths`) and how often the realised loss exceeded it
(:func:`riskkit.margin.coverage_table`). :func:`evaluate_paths` builds that table.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import pandas as pd

from riskkit.exceptions import DataError
from riskkit.margin.apc import compare_paths
from riskkit.margin.coverage import coverage_table

__all__ = ["evaluate_paths"]


def evaluate_paths(
    paths: Mapping[str, pd.Series],
    losses: pd.DataFrame,
    horizons: Sequence[int] = (1, 5, 30),
) -> pd.DataFrame:
    """Procyclicality metrics and breach counts of each margin path.

    Parameters
    ----------
    paths : mapping of str to pandas.Series
        ``{name: margin rate in force on each date}`` (fractions of notional).
    losses : pandas.DataFrame
        Realised loss fractions, columns ``long`` and ``short``, indexed by the first day of the
        margin period (output of :func:`riskkit.margin.margin_period_loss`).
    horizons : sequence of int
        Horizons (days) of the largest-increase metrics of :func:`riskkit.margin.compare_paths`.

    Returns
    -------
    pandas.DataFrame
        One row per path (index ``path``, in the order of ``paths``): the columns of
        :func:`riskkit.margin.compare_paths`, then ``breaches_long``, ``breaches_short``,
        ``breaches (long + short)`` (loss > margin, each side counted separately), ``days``
        (dates on which both the margin and the loss are known) and ``max_excess`` (largest
        loss minus margin over the breaches, 0 if none).

    Raises
    ------
    DataError
        If ``paths`` is empty, ``losses`` lacks a ``long`` or ``short`` column, or a path shares
        no date with the losses (the message names the path).

    Notes
    -----
    Each path is scored on its own dates: paths with different spans are not restricted to a
    common period, so compare ``days`` before comparing breach counts.
    """
    if not paths:
        raise DataError("no margin path to evaluate")
    missing = {"long", "short"} - set(losses.columns)
    if missing:
        raise DataError(f"losses needs columns 'long' and 'short'; missing {sorted(missing)}")
    table = compare_paths(paths, horizons)
    rows = {}
    for name, p in paths.items():
        try:
            cov = coverage_table(p, losses, "all").loc["all"]
        except DataError as err:
            raise DataError(f"margin path {name!r}: {err}") from None
        rows[name] = {
            "breaches_long": int(cov["breaches_long"]),
            "breaches_short": int(cov["breaches_short"]),
            "breaches (long + short)": int(cov["breaches_long"] + cov["breaches_short"]),
            "days": int(cov["n"]),
            "max_excess": cov["max_excess"],
        }
    return table.join(pd.DataFrame.from_dict(rows, orient="index").rename_axis("path"))
