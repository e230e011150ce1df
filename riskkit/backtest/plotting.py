"""Backtest figure: returns, VaR and ES forecasts, and the failures."""

from __future__ import annotations

import pandas as pd

from riskkit._validation import check_level
from riskkit.exceptions import DataError

__all__ = ["plot_backtest"]


def plot_backtest(forecasts: pd.DataFrame, level: float = 0.99, ax=None, title: str | None = None):
    """Plot realised returns, minus VaR and minus ES, and mark the failures.

    Parameters
    ----------
    forecasts : pandas.DataFrame
        Output of :func:`riskkit.backtest.rolling_forecast` (its ``horizon`` column labels the
        axis).
    level : float
        Which level's VaR/ES to draw.
    ax : matplotlib Axes, optional
    title : str, optional

    Returns
    -------
    matplotlib.axes.Axes

    Notes
    -----
    Returns are drawn as ``-loss`` (gains up) and the forecasts as ``-VaR``, ``-ES`` so that a
    failure is a return below the VaR line. Units: fractions of position value (log return).
    """
    import matplotlib.pyplot as plt

    lv = check_level(level)
    vcol, ecol = f"var_{lv:g}", f"es_{lv:g}"
    if vcol not in forecasts.columns or "loss" not in forecasts.columns:
        raise DataError(f"forecast table needs columns 'loss' and {vcol!r}")
    if ax is None:
        _, ax = plt.subplots(figsize=(10, 4))
    ret = -forecasts["loss"]
    ax.plot(ret.index, ret, color="0.6", lw=0.6, label="realised return")
    ax.plot(forecasts.index, -forecasts[vcol], color="C0", lw=1.0, label=f"-VaR {lv:.1%}")
    if ecol in forecasts.columns:
        ax.plot(
            forecasts.index, -forecasts[ecol], color="C1", lw=0.8, ls="--", label=f"-ES {lv:.1%}"
        )
    fail = forecasts["loss"] > forecasts[vcol]
    n = int(fail.sum())
    ax.scatter(
        forecasts.index[fail], ret[fail], color="C3", s=14, zorder=3, label=f"failures ({n})"
    )
    ax.set_xlabel("date")
    if "horizon" in forecasts.columns and forecasts["horizon"].nunique() == 1:
        ax.set_ylabel(f"{int(forecasts['horizon'].iloc[0])}-day log return (fraction)")
    else:
        ax.set_ylabel("log return over the loss horizon (fraction)")
    if title:
        ax.set_title(title)
    ax.legend(loc="lower left", fontsize=8)
    return ax
