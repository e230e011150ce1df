"""Rolling out-of-sample VaR/ES forecasts: the input of every backtest.

For each forecast date t the engine hands the estimator the returns strictly before t (a moving
window of ``window`` returns, or all of them when ``window`` is None), asks it for VaR and ES of
the loss over t, ..., t+h-1, and records the loss that was actually realised over those days.

Refitting is the expensive step, so parameters are re-estimated only on *refit dates* (every
``refit_every``-th forecast date, counted from the first one) and kept fixed in between, where the
estimator only filters the newer returns through the fixed parameters. Each refit starts the
optimiser from the previous fit (warm start).

Parallel runs split the forecast dates into contiguous *blocks* whose boundaries are fixed by the
data and the settings, never by the number of workers: every block starts on a refit date and
fits from scratch, and the warm-start chain runs inside a block only. Random numbers come from one
child seed per forecast date (``numpy.random.SeedSequence(seed).spawn(n_dates)``). Together these
make a run give bit-identical numbers on 1 process, 2 processes or a Dask cluster.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from riskkit._validation import as_return_series, check_horizon, check_levels
from riskkit.exceptions import ConfigError, DataError, ModelError, RiskkitError
from riskkit.parallel import map_tasks, progress_enabled, single_blas_thread, spawn_seeds
from riskkit.risk.base import RiskEstimator

__all__ = ["rolling_forecast", "forecast_columns", "DEFAULT_BLOCK_DATES"]

#: forecast dates per parallel block (rounded up to a multiple of ``refit_every``). Fixed, so
#: results never depend on the number of workers; small enough to keep 2-8 workers busy on a
#: typical 500-2,000-day backtest, large enough that the cold start at each block is rare.
DEFAULT_BLOCK_DATES = 125


def forecast_columns(levels: Sequence[float]) -> list[str]:
    """Column names ``var_{level:g}`` and ``es_{level:g}`` in the order :func:`rolling_forecast` uses."""
    cols = []
    for lv in levels:
        cols += [f"var_{lv:g}", f"es_{lv:g}"]
    return cols


@dataclass(frozen=True)
class _Block:
    """One contiguous run of forecast dates, computed by one task."""

    estimator: RiskEstimator
    returns: np.ndarray  # the slice of returns the block needs, oldest first
    offset: int  # position in the full series of returns[0]
    positions: np.ndarray  # positions (in the full series) of the block's forecast dates
    refit: np.ndarray  # bool, refit on this date
    seeds: list[np.random.SeedSequence]
    levels: tuple[float, ...]
    horizon: int
    window: int | None
    dates: list[Any]  # labels of the forecast dates, for error messages


def _fmt(date: Any) -> str:
    if isinstance(date, pd.Timestamp) and date == date.normalize():
        return str(date.date())
    return str(date)


def _run_block(
    block: _Block,
) -> tuple[np.ndarray, np.ndarray, list[tuple[type, str, str, int]]]:
    """Forecast every date of one block (in a worker).

    Returns the VaR/ES array (n, 2 * n_levels), the volatility (n,) and the warnings raised, as
    (category, message, first forecast date, number of dates) tuples, one per distinct warning:
    warnings raised in another process would otherwise never reach the caller.
    """
    est = block.estimator
    n = len(block.positions)
    out = np.empty((n, 2 * len(block.levels)))
    vol = np.empty(n)
    params: Any = None
    fitted = False
    raised: dict[tuple[type, str], list] = {}
    for j in range(n):
        stop = block.positions[j] - block.offset  # exclusive: the forecast date itself is unseen
        begin = 0 if block.window is None else stop - block.window
        past = block.returns[begin:stop]
        try:
            with warnings.catch_warnings(record=True) as caught:
                warnings.simplefilter("always")
                if block.refit[j] or not fitted:
                    params = est.fit(past, warm_start=params if fitted else None)
                    fitted = True
                rng = np.random.default_rng(block.seeds[j])
                res = np.asarray(
                    est.forecast(past, params, block.levels, block.horizon, rng), float
                )
                vol[j] = est.forecast_volatility(past, params, block.horizon)
        except RiskkitError as exc:
            raise type(exc)(
                f"{est!r} failed for forecast date {_fmt(block.dates[j])}: {exc}"
            ) from exc
        except Exception as exc:
            raise ModelError(
                f"{est!r} failed for forecast date {_fmt(block.dates[j])}: {type(exc).__name__}: {exc}"
            ) from exc
        for key in {(w.category, str(w.message)) for w in caught}:
            raised.setdefault(key, [_fmt(block.dates[j]), 0])[1] += 1
        if res.shape != (len(block.levels), 2):
            raise ModelError(
                f"{est!r}.forecast returned shape {res.shape} for forecast date "
                f"{_fmt(block.dates[j])}, expected ({len(block.levels)}, 2)"
            )
        out[j] = res.reshape(-1)
    notes = [(cat, msg, date, count) for (cat, msg), (date, count) in raised.items()]
    return out, vol, notes


def _resolve_position(index: pd.Index, when: Any, name: str, side: str) -> int:
    key = pd.Timestamp(when) if isinstance(index, pd.DatetimeIndex) else when
    try:
        return int(index.searchsorted(key, side=side))
    except (TypeError, ValueError) as exc:
        raise ConfigError(
            f"{name}={when!r} cannot be compared with the returns index: {exc}"
        ) from None


def rolling_forecast(
    returns: pd.Series,
    estimator: RiskEstimator,
    levels: float | Sequence[float] = (0.99,),
    horizon: int = 1,
    window: int | None = 1000,
    refit_every: int = 1,
    start: Any = None,
    end: Any = None,
    executor: Any = None,
    seed: int = 0,
    progress: bool | None = None,
    *,
    block_dates: int = DEFAULT_BLOCK_DATES,
) -> pd.DataFrame:
    """Out-of-sample VaR and ES forecasts for every date, with the realised loss.

    Parameters
    ----------
    returns : pandas.Series
        Log returns (fractions), oldest first, indexed by date (unique, increasing); no NaN.
    estimator : RiskEstimator
        Any object following :class:`riskkit.risk.base.RiskEstimator` (must be picklable for
        process or Dask executors).
    levels : float or sequence of float
        Confidence level(s) in (0, 1).
    horizon : int
        Loss horizon h in periods: the forecast for t covers the loss over t, ..., t+h-1.
    window : int or None
        Number of past returns each forecast uses (moving window); ``None`` uses all returns
        before t (expanding window).
    refit_every : int
        Re-estimate parameters every ``refit_every`` forecast dates (counted from the first
        forecast date); in between the estimator filters newer returns with fixed parameters.
    start, end : date-like, optional
        First and last forecast date (inclusive). Default: the first date with a full window
        (``window`` returns before it; ``estimator.min_obs`` for an expanding window) and the
        last date of ``returns``.
    executor : None, str or executor
        ``None`` or ``"serial"`` runs in this process; anything else is passed to
        :func:`riskkit.parallel.map_tasks` (``"processes"``, ``"local"`` for a Dask
        LocalCluster, a scheduler address, or an executor object).
    seed : int
        Root seed; forecast date i gets child ``i`` of ``SeedSequence(seed).spawn(n_dates)``.
    progress : bool, optional
        tqdm progress bar over blocks (default: on unless ``RISKKIT_NO_PROGRESS`` is set).
    block_dates : int
        Forecast dates per parallel task, rounded up to a multiple of ``refit_every``. Changing it
        changes where the warm-start chain restarts (and so may change optimiser results in the
        last digits); the number of workers never does.

    Returns
    -------
    pandas.DataFrame
        Index ``date`` (the first day of the loss horizon); columns ``var_{lv:g}``,
        ``es_{lv:g}`` for each level, ``volatility`` (forecast standard deviation of the h-day
        return, NaN if the estimator has none), ``loss`` (realised loss ``-sum(r[t:t+h])``,
        positive = loss, NaN where the horizon runs past the data) and ``horizon`` (h, an
        integer column, so that the backtests know it after the table is saved, read back or
        concatenated). ``.attrs`` records the run's provenance for display only (estimator,
        window, refit_every, horizon, levels, seed, block_dates, name, as strings and numbers
        that Parquet can store); no riskkit function reads it, and everything a backtest needs
        is in the columns.

    Raises
    ------
    ConfigError
        Invalid levels, horizon, window, refit_every, dates or executor.
    DataError
        Returns that are not a clean, dated, increasing series, or too short for one forecast.
    ModelError
        The estimator failed; the message names the forecast date.

    Notes
    -----
    **No look-ahead.** The forecast for t sees ``returns`` strictly before t, so altering returns
    on or after t cannot change it (tested).

    **Overlapping horizons.** With h > 1 consecutive forecasts share h-1 days of their loss
    windows, so h-day exceedances are autocorrelated even under a correct model. The binomial
    and Kupiec tests in :mod:`riskkit.backtest` assume independent trials; apply them to the
    non-overlapping subsample (every h-th row: ``df.iloc[::h]``), which
    :func:`riskkit.backtest.summary.backtest_summary` does by default, and read the
    independence tests as uninformative for h > 1.

    Examples
    --------
    >>> from riskkit.backtest import rolling_forecast  # doctest: +SKIP
    >>> fc = rolling_forecast(r, FastGarch(dist="t"), levels=(0.99, 0.975), refit_every=20)
    """
    if not isinstance(estimator, RiskEstimator) and not (
        hasattr(estimator, "fit") and hasattr(estimator, "forecast")
    ):
        raise ConfigError(f"estimator must be a RiskEstimator, got {type(estimator).__name__}")
    lv = check_levels(levels)
    h = int(check_horizon(horizon))
    if isinstance(refit_every, bool) or not isinstance(refit_every, (int, np.integer)):
        raise ConfigError(f"refit_every must be a positive integer, got {refit_every!r}")
    if refit_every < 1:
        raise ConfigError(f"refit_every must be >= 1, got {refit_every}")
    if isinstance(block_dates, bool) or not isinstance(block_dates, (int, np.integer)):
        raise ConfigError(f"block_dates must be a positive integer, got {block_dates!r}")
    if block_dates < 1:
        raise ConfigError(f"block_dates must be >= 1, got {block_dates}")
    min_obs = int(getattr(estimator, "min_obs", 2))
    if window is not None:
        if isinstance(window, bool) or not isinstance(window, (int, np.integer)):
            raise ConfigError(f"window must be a positive integer or None, got {window!r}")
        if window < min_obs:
            raise ConfigError(
                f"window={window} is shorter than the {min_obs} returns {estimator!r} needs"
            )
        window = int(window)
    if not isinstance(returns, pd.Series):
        raise DataError(
            f"returns must be a pandas Series indexed by date, got {type(returns).__name__}"
        )
    series = as_return_series(returns, min_obs=min_obs + 1)
    index = series.index
    if index.has_duplicates:
        dup = list(index[index.duplicated()][:5])
        raise DataError(f"returns index has duplicate dates, e.g. {dup}")
    if not index.is_monotonic_increasing:
        back = np.flatnonzero(np.asarray(index[1:] < index[:-1]))
        raise DataError(
            f"returns index must be increasing; it goes back in time at {index[back[0] + 1]!r} "
            f"(after {index[back[0]]!r}): sort it first"
        )
    r = series.to_numpy(dtype=float)
    n = len(r)
    first_ok = window if window is not None else min_obs
    lo = first_ok if start is None else max(_resolve_position(index, start, "start", "left"), 0)
    hi = n if end is None else _resolve_position(index, end, "end", "right")
    if start is not None and lo < first_ok:
        need = window if window is not None else min_obs
        raise DataError(
            f"start={start!r} leaves only {lo} returns before the first forecast date; "
            f"{estimator!r} with window={window} needs {need} (first possible forecast date: "
            f"{index[first_ok] if first_ok < n else 'none'})"
        )
    if hi <= lo:
        raise DataError(
            f"no forecast dates: {n} returns from {index[0]} to {index[-1]}, window={window}, "
            f"start={start!r}, end={end!r}"
        )
    positions = np.arange(lo, hi)
    n_dates = len(positions)
    refit = (np.arange(n_dates) % refit_every) == 0
    seeds = spawn_seeds(seed, n_dates)
    size = int(math.ceil(block_dates / refit_every) * refit_every)
    blocks = []
    for b0 in range(0, n_dates, size):
        pos = positions[b0 : b0 + size]
        begin = 0 if window is None else pos[0] - window
        blocks.append(
            _Block(
                estimator=estimator,
                returns=r[begin : pos[-1]],
                offset=begin,
                positions=pos,
                refit=refit[b0 : b0 + size],
                seeds=seeds[b0 : b0 + size],
                levels=lv,
                horizon=h,
                window=window,
                dates=list(index[pos]),
            )
        )
    if executor is None or executor == "serial":
        results = []
        bar = None
        if progress_enabled(progress) and len(blocks) > 1:
            from tqdm.auto import tqdm

            bar = tqdm(total=n_dates, desc=f"rolling {estimator!r}"[:60], leave=False)
        try:
            # one BLAS thread, as every executor of riskkit.parallel.map_tasks uses: results
            # are then bit-identical whichever executor computed them
            with single_blas_thread():
                for block in blocks:
                    results.append(_run_block(block))
                    if bar is not None:
                        bar.update(len(block.positions))
        finally:
            if bar is not None:
                bar.close()
    else:
        results = map_tasks(
            _run_block, blocks, executor, progress=progress, description="rolling blocks"
        )
    # one warning per distinct message over the whole run (blocks are in date order, so the
    # first block that saw it holds its first date), not one per block
    seen: dict[tuple[type, str], list] = {}
    for res in results:
        for category, message, first, count in res[2]:
            seen.setdefault((category, message), [first, 0])[1] += count
    for (category, message), (first, count) in seen.items():
        warnings.warn(
            f"{message} (on {count} of {n_dates} forecast dates, first at {first})",
            category,
            stacklevel=2,
        )
    values = np.vstack([res[0] for res in results])
    vol = np.concatenate([res[1] for res in results])
    loss = np.full(n_dates, np.nan)
    ok = positions + h <= n
    if h == 1:
        loss[ok] = -r[positions[ok]]
    else:
        sums = np.lib.stride_tricks.sliding_window_view(r, h).sum(axis=1)
        loss[ok] = -sums[positions[ok]]
    out = pd.DataFrame(values, index=index[positions], columns=forecast_columns(lv))
    out["volatility"] = vol
    out["loss"] = loss
    out["horizon"] = h
    out.index.name = "date"
    # display-only provenance, as plain JSON types (to_parquet stores attrs as JSON)
    out.attrs.update(
        estimator=repr(estimator),
        window=window,
        refit_every=int(refit_every),
        horizon=h,
        levels=[float(x) for x in lv],
        seed=None if seed is None else int(seed),
        block_dates=int(size),
        name=None if series.name is None else str(series.name),
    )
    return out
