"""Figures of a run: for each asset, its out-of-sample backtest and its margin path.

These functions are the one source of these figures: the run's PNG/SVG files, the report
notebook (08) and the course notebooks draw margin paths with :func:`margin_paths_figure` (any
set of margin-rate series, in percent of notional) or :func:`margin_path_figure` (the stages of
a run's ``margin_path`` table), so a number is drawn the same way everywhere. A path drawn with
a cap says so in the figure (how many dates were cut, and the largest value); a path drawn
without one says how many dates are above 100% of notional.

Figures are ``matplotlib.figure.Figure`` objects built without pyplot, so the caller's backend
and open figures are left alone (this also runs on worker processes).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import pandas as pd

__all__ = ["asset_figures", "margin_path_figure", "margin_paths_figure", "MARGIN_PATH_LABELS"]

#: the stages of a run's margin path, as labelled in every figure
MARGIN_PATH_LABELS = {
    "raw_im": "model margin (before APC)",
    "charged_im": "charged margin (after APC)",
    "im": "published initial margin",
    "mm": "published maintenance margin",
}


def margin_paths_figure(
    paths: Mapping[str, pd.Series],
    *,
    title: str,
    cap: float | None = None,
    ax: Any = None,
    styles: Mapping[str, Mapping[str, Any]] | None = None,
    xlabel: str = "date (UTC)",
    ylabel: str = "margin rate (% of notional)",
) -> Any:
    """Draw margin-rate paths in percent of notional, stating any clipping in the figure.

    Parameters
    ----------
    paths : mapping
        ``{label: Series}`` of margin rates (fractions of notional), DatetimeIndex.
    title : str
        First line of the title; a second line states the clipping (or values above 100%).
    cap : float, optional
        Draw values above ``cap`` at ``cap`` (e.g. ``MarginSettings.im_cap``, the most a
        published margin can be); the figure says how many dates were cut and the largest
        value. None draws every value as it is.
    ax : matplotlib Axes, optional
        Where to draw; default a new 10 x 4 in ``Figure`` (built without pyplot).
    styles : mapping, optional
        ``{label: keyword arguments of Axes.plot}``.
    xlabel, ylabel : str
        Axis labels.

    Returns
    -------
    matplotlib.axes.Axes
    """
    if ax is None:
        from matplotlib.figure import Figure

        ax = Figure(figsize=(10, 4)).subplots()
    styles = styles or {}
    above, largest = 0, float("-inf")
    for label, series in paths.items():
        values = pd.Series(series, dtype=float)
        limit = 1.0 if cap is None else cap
        above = max(above, int((values > limit).sum()))
        largest = max(largest, float(values.max()) if values.notna().any() else largest)
        if cap is not None:
            values = values.clip(upper=cap)
        ax.plot(values.index, 100 * values, label=label, **dict(styles.get(label, {})))
    if cap is not None and above:
        note = (
            f"clipped at {100 * cap:g}% of notional: {above} date(s) above, largest "
            f"{100 * largest:.0f}%"
        )
    elif cap is None and above:
        note = f"not clipped: {above} date(s) above 100% of notional, largest {100 * largest:.0f}%"
    else:
        note = ""
    ax.set_title(title + (f"\n({note})" if note else ""), fontsize=11)
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    ax.legend(loc="upper left", fontsize=8)
    return ax


def margin_path_figure(
    margin_path: pd.DataFrame,
    asset: str,
    *,
    horizon_days: float | None = None,
    apc: str | None = None,
    cap: float | None = None,
    ax: Any = None,
) -> Any:
    """The stages of one asset's margin path: model margin, after APC, published IM and MM.

    Parameters
    ----------
    margin_path : DataFrame
        A run's ``margin_path`` table (columns of :data:`MARGIN_PATH_LABELS`, fractions).
    asset : str
    horizon_days : float, optional
        Margin period of risk, for the title.
    apc : str, optional
        The APC tool, for the title.
    cap : float, optional
        See :func:`margin_paths_figure` (None: drawn unclipped, values above 100% said).
    ax : matplotlib Axes, optional

    Returns
    -------
    matplotlib.axes.Axes
    """
    styles = {
        "raw_im": {"lw": 0.8},
        "charged_im": {"lw": 1.1},
        "im": {"lw": 1.1},
        "mm": {"lw": 1.1, "ls": "--"},
    }
    cols = [c for c in MARGIN_PATH_LABELS if c in margin_path.columns]
    sub = f" over {horizon_days:g} day(s)" if horizon_days is not None else ""
    sub += f", APC: {apc}" if apc else ""
    return margin_paths_figure(
        {MARGIN_PATH_LABELS[c]: margin_path[c] for c in cols},
        title=f"{asset}: margin path{sub}",
        cap=cap,
        ax=ax,
        styles={MARGIN_PATH_LABELS[c]: styles[c] for c in cols},
    )


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
        fig = Figure(figsize=(10, 4))
        margin_path_figure(
            mp,
            asset,
            horizon_days=getattr(settings, "horizon_days", None),
            apc=getattr(settings, "apc", "none"),
            ax=fig.subplots(),
        )
        out += _save(fig, target, "margin_path", formats)
    return out
