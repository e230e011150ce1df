"""Figures of a run: for each asset, its out-of-sample backtest and its margin path.

Figures are ``matplotlib.figure.Figure`` objects built without pyplot, so the caller's backend
and open figures are left alone (this also runs on worker processes).
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pandas as pd

__all__ = ["asset_figures"]


def _save(fig: Any, directory: Path, stem: str, formats: Sequence[str]) -> list[Path]:
    directory.mkdir(parents=True, exist_ok=True)
    paths = []
    for fmt in formats:
        path = directory / f"{stem}.{fmt}"
        # fixed metadata: the same run gives byte-identical SVG/PDF files
        meta = {"Date": None} if fmt in ("svg", "pdf") else {}
        fig.savefig(path, dpi=120, bbox_inches="tight", metadata=meta or None)
        paths.append(path)
    return paths


def asset_figures(
    asset: str, calibration: Any, directory: Path, formats: Sequence[str] = ("png", "svg")
) -> list[Path]:
    """Figures of one asset's calibration, saved in every format under ``directory/<asset>/``.

    ``backtest``: realised 1-day returns against minus the VaR and ES forecasts of the long
    position's loss, failures marked (:func:`riskkit.backtest.plot_backtest`); ``margin_path``:
    the model margin over the margin period of risk, the charged margin after APC, and the
    published initial and maintenance margin rates.

    Parameters
    ----------
    asset : str
        Asset name; also the name of the sub-directory.
    calibration : riskkit.margin.AssetCalibration
        Result of the per-asset calibration. Only the attributes ``settings`` (``level``,
        default 0.99; ``horizon_days``; ``apc``), ``forecasts["long"]`` and ``margin_path`` are
        read; a figure whose input is missing or empty is skipped.
    directory : pathlib.Path
        Root of the figures; files go to ``directory / asset``, created if missing.
    formats : sequence of str
        File extensions matplotlib can write (``"png"``, ``"svg"``, ``"pdf"``...), one file per
        figure and format (PNG at 120 dpi; SVG/PDF without a date, so reruns are identical).

    Returns
    -------
    list of pathlib.Path
        The files written (``backtest.<fmt>``, then ``margin_path.<fmt>``); empty if neither
        figure had data.

    Raises
    ------
    DataError
        If ``forecasts["long"]`` lacks the ``loss`` or ``var_<level>`` column.

    Notes
    -----
    Figures are built as ``matplotlib.figure.Figure`` objects, without pyplot, so the caller's
    matplotlib backend and open figures are left alone (this also runs on worker processes).
    """
    from matplotlib.figure import Figure

    from riskkit.backtest import plot_backtest

    settings = getattr(calibration, "settings", None)
    level = getattr(settings, "level", 0.99)
    target = directory / asset
    out: list[Path] = []
    forecasts = (getattr(calibration, "forecasts", None) or {}).get("long")
    interval = ((getattr(calibration, "info", None) or {}).get("clock") or {}).get("bar_interval")
    bar = "day" if interval in (None, "1D") else f"bar ({interval})"
    if isinstance(forecasts, pd.DataFrame) and not forecasts.empty:
        fig = Figure(figsize=(10, 4))
        ax = fig.subplots()
        plot_backtest(
            forecasts,
            level,
            ax=ax,
            title=f"{asset}: 1-{bar} forecasts of the long position's loss, out of sample",
        )
        ax.set_xlabel("forecast date (UTC)")
        out += _save(fig, target, "backtest", formats)
    mp = getattr(calibration, "margin_path", None)
    if isinstance(mp, pd.DataFrame) and not mp.empty:
        labels = {
            "raw_im": "model margin (before APC)",
            "charged_im": "charged margin (after APC)",
            "im": "published initial margin",
            "mm": "published maintenance margin",
        }
        styles = {"raw_im": "-", "charged_im": "-", "im": "-", "mm": "--"}
        fig = Figure(figsize=(10, 4))
        ax = fig.subplots()
        for col, label in labels.items():
            if col in mp.columns:
                lw = 0.8 if col == "raw_im" else 1.2
                ax.plot(mp.index, mp[col], ls=styles[col], lw=lw, label=label)
        horizon = getattr(settings, "horizon_days", None)
        apc = getattr(settings, "apc", "none")
        ax.set_xlabel("date (UTC)")
        ax.set_ylabel("margin rate (fraction of notional)")
        sub = f" over {horizon:g} day(s), APC: {apc}" if horizon is not None else ""
        ax.set_title(f"{asset}: margin path{sub}")
        ax.legend(loc="upper left", fontsize=8)
        out += _save(fig, target, "margin_path", formats)
    return out
