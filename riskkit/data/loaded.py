"""Prices together with what the checks found and what cleaning changed, as one typed object.

:class:`LoadedPrices` replaces the ``DataFrame.attrs`` side channel that used to carry the
validation report and the cleaning log: the price frame stays a plain frame (it can be written
to Parquet or CSV), and the report and the change table travel next to it.
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import numpy as np
import pandas as pd

from riskkit.data import cleaning
from riskkit.data._frame import PathLike
from riskkit.data.io import _partial_policy, _read_for_check
from riskkit.data.options import PARTIAL_BAR_POLICIES, Audience, ReadOptions
from riskkit.data.validation import ValidationReport, validate
from riskkit.exceptions import ConfigError, DataQualityWarning

__all__ = ["LoadedPrices", "check_and_clean", "read_checked"]

#: default of ``partial_bars``: the read option of every file (one default, in ReadOptions)
_PARTIAL_DEFAULT = ReadOptions.model_fields["partial_bars"].default


@dataclass(frozen=True)
class LoadedPrices:
    """A tidy price frame, the defects of its raw rows and the changes cleaning made.

    Attributes
    ----------
    frame : pandas.DataFrame
        The prices (index ``date``; columns among ``open, high, low, close, volume``), cleaned
        when cleaning was asked for; no ``attrs``.
    report : ValidationReport or None
        :func:`~riskkit.data.validate` on the raw rows, *before* cleaning; None when there was
        no row to check.
    cleaning : pandas.DataFrame
        Every change made to the rows as read (columns :data:`~riskkit.data.CHANGE_COLUMNS`):
        the partial last bar dropped (``partial_bars="drop"``, the default, even without
        cleaning) and the cleaning steps; empty when nothing was changed.
    name : str
        What was loaded (file name, ``"<exchange> <ASSET>"``...), as used in messages.
    """

    frame: pd.DataFrame
    report: ValidationReport | None
    cleaning: pd.DataFrame
    name: str = "prices"

    @property
    def n_changed(self) -> int:
        """Number of rows cleaning dropped, moved, blanked or inserted."""
        return len(self.cleaning)


def _no_changes() -> pd.DataFrame:
    """An empty change table (columns :data:`~riskkit.data.CHANGE_COLUMNS`)."""
    return pd.DataFrame(
        {"step": [], "date": pd.DatetimeIndex([]), "action": [], "detail": []},
        columns=cleaning.CHANGE_COLUMNS,
    )


def check_and_clean(
    raw: pd.DataFrame,
    freq: str | pd.Timedelta | None = "1D",
    name: str = "prices",
    clean: bool = True,
    keep: Literal["first", "last", "max_volume"] | None = "first",
    *,
    partial_bars: Literal["drop", "keep", "error"] = _PARTIAL_DEFAULT,
    day_boundary: str | None = None,
    close_time: np.ndarray | None = None,
    saved_at: pd.Timestamp | None = None,
    lines: np.ndarray | None = None,
    extra: Sequence[pd.DataFrame] = (),
    audience: Audience = "python",
    steps: Sequence[str] | None = None,
) -> LoadedPrices:
    """Validate raw prices, drop a partial last bar, then (optionally) clean them with the
    default steps of :func:`~riskkit.data.clean`.

    Parameters
    ----------
    raw : pandas.DataFrame
        Tidy price frame as read (defects included).
    freq : str or Timedelta, optional
        Declared bar interval (default one day); None infers it. Bars spaced otherwise are an
        ``interval`` error in the report.
    name : str
        Label of the prices in messages, the report and the ``riskkit.data`` log.
    clean : bool, default True
        Apply :func:`~riskkit.data.clean` (sort, drop duplicate timestamps, drop non-positive,
        missing and inconsistent bars); False keeps the rows as they are.
    keep : {"first", "last", "max_volume"} or None
        Which copy of a duplicated timestamp survives (see
        :func:`~riskkit.data.drop_duplicate_timestamps`); None: ``"max_volume"`` when the frame
        has a ``volume`` column, else ``"first"``.
    partial_bars : {"drop", "keep", "error"}, default "drop"
        What to do with a last bar the report calls ``partial_bar``: drop it (with a
        :class:`DataQualityWarning` and a row in ``cleaning``), keep it (with a warning), or
        raise :class:`DataError`. A partial bar never silently becomes the last date of a run.
    day_boundary, close_time, saved_at, lines, extra
        Passed to :func:`~riskkit.data.validate`.
    audience : {"python", "config", "cli"}
        How messages spell the ``partial_bars`` option.
    steps : sequence of str, optional
        Cleaning steps (default those of :func:`~riskkit.data.clean`).

    Returns
    -------
    LoadedPrices
        The report is of the raw rows (no summary warning is issued: the report says it all).

    Raises
    ------
    DataError
        The frame cannot be checked (no rows, no ``close`` column, index not a DatetimeIndex),
        or it ends with a partial bar and ``partial_bars="error"``.
    """
    if partial_bars not in PARTIAL_BAR_POLICIES:
        raise ConfigError(
            f"partial_bars must be one of {', '.join(PARTIAL_BAR_POLICIES)}, got {partial_bars!r}"
        )
    report = validate(
        raw,
        freq=freq,
        name=name,
        warn=False,
        day_boundary=day_boundary,
        close_time=close_time,
        saved_at=saved_at,
        lines=lines,
        extra=extra,
        audience=audience,
    )
    frame, changes = _partial(raw, report, partial_bars, name, lines, audience)
    if clean:
        if keep is None:
            keep = "max_volume" if "volume" in frame.columns else "first"
        kwargs = {} if steps is None else {"steps": steps}
        frame, more = cleaning.clean(frame, keep=keep, name=name, **kwargs)
        changes = more if changes.empty else pd.concat([changes, more], ignore_index=True)
    return LoadedPrices(frame, report, changes, name)


def _partial(
    raw: pd.DataFrame,
    report: ValidationReport,
    policy: str,
    name: str,
    lines: np.ndarray | None,
    audience: Audience,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """``raw`` without the bar ``report`` calls ``partial_bar`` when ``policy`` drops it
    (:func:`riskkit.data.io._partial_policy`), and the change table (one row, or empty)."""
    found = report.of("partial_bar")
    if found.empty:
        return raw, _no_changes()
    row = int(found["rows"].iloc[0][0])
    detail = str(found["detail"].iloc[0])
    where = "" if lines is None else f" (line {int(lines[row])})"
    why = detail.split("looks unfinished: ", 1)[-1]
    if not _partial_policy(policy, name, raw.index[row], where, why, audience):
        return raw, _no_changes()
    mask = np.zeros(len(raw), dtype=bool)
    mask[row] = True
    return cleaning._drop_or_nan(raw, mask, "drop", "drop_partial_bars", [detail], name)


def read_checked(
    path: PathLike,
    options: ReadOptions | Mapping[str, Any] | None = None,
    *,
    audience: Audience = "python",
    freq: str | pd.Timedelta | None = None,
    clean: bool = False,
    keep: Literal["first", "last", "max_volume"] | None = None,
    steps: Sequence[str] | None = None,
    read_kwargs: Mapping[str, Any] | None = None,
    **kwargs: Any,
) -> LoadedPrices:
    """Read a price file, validate it, drop a partial last bar and (optionally) clean it.

    Parameters
    ----------
    path, options, audience, freq, read_kwargs, **kwargs
        As in :func:`~riskkit.data.read_prices` (the read options: ``timestamp``, ``columns``,
        ``unit``, ``sep``, ``timezone``, ``day_boundary``, ``interval``, ``partial_bars``,
        ``earliest``, ``select``).
    clean : bool, default False
        Also apply the cleaning steps (``steps``, by default those of
        :func:`~riskkit.data.clean`).
    keep : {"first", "last", "max_volume"} or None
        Duplicate rule of the cleaning; None: ``"max_volume"`` when the file has a volume
        column, else ``"first"``.
    steps : sequence of str, optional
        Cleaning steps, e.g. the default plus ``"drop_off_grid_rows"``,
        ``"drop_bogus_first_bar"``, ``"mask_repeated_rows"``.

    Returns
    -------
    LoadedPrices
        ``name`` is the file name; ``report`` covers the rows as read (the defects the reader
        resolved, such as descending rows, mixed epoch units or mixed date formats, included,
        with file lines); ``cleaning`` lists every change. No summary warning is issued.

    Raises
    ------
    DataError
        As :func:`~riskkit.data.read_prices`.
    """
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DataQualityWarning)  # the report lists what was found
        read, opts = _read_for_check(path, options, kwargs, freq, audience, read_kwargs)
    return check_and_clean(
        read.frame,
        freq=opts.interval,
        name=Path(path).name,
        clean=clean,
        keep=keep,
        partial_bars=opts.partial_bars,  # type: ignore[arg-type]
        day_boundary=opts.day_boundary,
        close_time=read.close_time,
        saved_at=read.saved_at,
        lines=read.lines,
        extra=read.findings,
        audience=audience,
        steps=steps,
    )
