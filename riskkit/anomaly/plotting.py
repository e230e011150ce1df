"""Alert timeline: the price path with the alerts of each kind marked on it."""

from __future__ import annotations

import numpy as np
import pandas as pd

from riskkit.anomaly.alerts import AlertTable
from riskkit.exceptions import DataError

__all__ = ["plot_alert_timeline"]


def plot_alert_timeline(
    prices: pd.Series,
    alerts: AlertTable,
    *,
    ax=None,
    title: str | None = None,
    price_label: str = "price (USD)",
):
    """Plot ``prices`` (log scale) and, below it, one row of markers per alert kind.

    Parameters
    ----------
    prices : pandas.Series
        Price path (DatetimeIndex) drawn on top.
    alerts : AlertTable
        Alerts to mark; a filled marker is ``critical``, an open one ``warning``.
    ax : pair of matplotlib Axes, optional
        (price axis, alert axis); created (shared x) when omitted.
    title, price_label : str, optional

    Returns
    -------
    tuple of matplotlib.axes.Axes
        (price axis, alert axis).
    """
    import matplotlib.dates as mdates
    import matplotlib.pyplot as plt

    if not isinstance(prices, pd.Series) or not isinstance(prices.index, pd.DatetimeIndex):
        raise DataError("prices: expected a Series indexed by a DatetimeIndex")
    if ax is None:
        fig, ax = plt.subplots(
            2, 1, figsize=(10, 5.5), sharex=True, gridspec_kw={"height_ratios": [2, 1.3]}
        )
    top, bottom = ax
    top.plot(prices.index, prices.to_numpy(), color="black", lw=1.0, label=prices.name or "price")
    top.set_yscale("log")
    top.set_ylabel(price_label)
    frame = alerts.frame
    kinds = sorted(frame["kind"].unique()) if len(frame) else []
    colors = plt.get_cmap("tab10")
    lo, hi = prices.index.min(), prices.index.max()
    for i, kind in enumerate(kinds):
        g = frame[(frame["kind"] == kind) & (frame["timestamp"] >= lo) & (frame["timestamp"] <= hi)]
        col = colors(i % 10)
        for sev, face in (("warning", "none"), ("critical", col)):
            h = g[g["severity"] == sev]
            bottom.scatter(
                h["timestamp"],
                np.full(len(h), i),
                marker="o",
                s=36,
                facecolors=face,
                edgecolors=col,
                label=f"{kind} ({sev})" if len(h) else None,
            )
            on = prices.reindex(pd.DatetimeIndex(h["timestamp"])).dropna()
            top.scatter(on.index, on.to_numpy(), marker="v", s=30, color=col, alpha=0.8)
    bottom.set_yticks(range(len(kinds)))
    bottom.set_yticklabels(kinds)
    bottom.set_ylim(-0.7, max(len(kinds), 1) - 0.3)
    locator = mdates.AutoDateLocator(maxticks=8)
    bottom.xaxis.set_major_locator(locator)
    bottom.xaxis.set_major_formatter(mdates.ConciseDateFormatter(locator))
    bottom.set_xlabel("date (UTC)")
    bottom.set_ylabel("alert kind")
    bottom.grid(axis="x", alpha=0.3)
    top.grid(alpha=0.3)
    if title:
        top.set_title(title)
    if len(frame):
        bottom.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize=7, frameon=False)
        top.scatter([], [], marker="v", s=30, color="grey", label="alert (colour of its kind)")
    top.legend(loc="best", fontsize=8)
    return top, bottom
