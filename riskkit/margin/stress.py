"""Stress tests of margin rates: worst historical windows and hypothetical shocks.

Each scenario gives a loss fraction of notional over the margin period of risk for a long and a
short position, compares it with the initial and maintenance margin in force, and reports the
**shortfall** (loss beyond margin, zero when covered). Historical scenarios use the margin that was
in force when the window began (no look-ahead); hypothetical ones use the current rates.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from riskkit._validation import as_return_series, check_horizon
from riskkit.events import STRESS_EPISODES, StressEpisode
from riskkit.exceptions import ConfigError, DataError

__all__ = [
    "NAMED_EPISODES",
    "worst_windows",
    "historical_stress",
    "episode_status",
    "hypothetical_stress",
]

logger = logging.getLogger(__name__)

#: crypto stress episodes (first and last UTC date); a window is searched inside each. The
#: table with descriptions and sources is :data:`riskkit.events.STRESS_EPISODES`.
NAMED_EPISODES: dict[str, tuple[str, str]] = {e.name: (e.start, e.end) for e in STRESS_EPISODES}

Episodes = Mapping[str, tuple[str, str]] | Iterable[StressEpisode | Mapping[str, Any]]


def _episodes(episodes: Episodes | None) -> list[StressEpisode]:
    """Episodes as :class:`~riskkit.events.StressEpisode` objects (default: the named ones)."""
    if episodes is None:
        return list(STRESS_EPISODES)
    if isinstance(episodes, Mapping):
        return [StressEpisode(name=k, start=a, end=b) for k, (a, b) in episodes.items()]
    return [
        e if isinstance(e, StressEpisode) else StressEpisode.model_validate(e) for e in episodes
    ]


def worst_windows(returns: pd.Series, horizon_days: int = 1, n: int = 5) -> pd.DataFrame:
    """The ``n`` worst non-overlapping ``horizon_days`` windows for either side.

    Parameters
    ----------
    returns : Series
        Daily log returns (gains positive), indexed by date.
    horizon_days : int
        Window length in whole observations (>= 1).
    n : int
        Largest number of windows returned; fewer when the history holds fewer
        non-overlapping windows.

    Returns
    -------
    DataFrame
        One row per window, worst first, with a default integer index and columns ``start``,
        ``end`` (first and last date of the window), ``log_return`` (sum of the log returns
        over the window), ``side`` hurt (``long`` for a negative sum, else ``short``) and
        ``loss``, the loss fraction of notional of that side: ``1 - exp(R)`` for the long,
        ``exp(R) - 1`` for the short. Windows are chosen greedily: a window is kept when its
        start lies at least ``horizon_days`` observations from every start kept before it.
        No columns when the series is shorter than ``horizon_days``.

    Raises
    ------
    DataError
        If ``returns`` are invalid (see :func:`riskkit._validation.as_return_series`).
    ConfigError
        If ``horizon_days`` is not a positive whole number.
    """
    r = as_return_series(returns)
    h = int(check_horizon(horizon_days, "horizon_days"))
    total = r.rolling(h).sum().shift(-(h - 1)).dropna()
    loss = np.maximum(-np.expm1(total), np.expm1(total))
    order = np.argsort(-loss.to_numpy(), kind="stable")
    taken: list[int] = []
    pos = {d: i for i, d in enumerate(r.index)}
    for i in order:
        p = pos[loss.index[i]]
        if all(abs(p - q) >= h for q in taken):
            taken.append(p)
        if len(taken) == n:
            break
    rows = []
    for p in taken:
        R = float(total.loc[r.index[p]])
        rows.append(
            {
                "start": r.index[p],
                "end": r.index[p + h - 1],
                "log_return": R,
                "side": "long" if R < 0 else "short",
                "loss": float(max(-np.expm1(R), np.expm1(R))),
            }
        )
    return pd.DataFrame(rows)


def historical_stress(
    returns: pd.Series,
    im: pd.Series,
    mm: pd.Series,
    horizon_days: int = 1,
    episodes: Episodes | None = None,
    n_worst: int = 5,
    interval: str = "1D",
) -> pd.DataFrame:
    """Margin shortfall in named episodes and in the worst windows of the history.

    Parameters
    ----------
    returns : Series
        Log returns of consecutive bars (daily, or of the bar interval ``interval``).
    im, mm : Series
        Initial and maintenance margin paths (rate in force on each date).
    horizon_days : int
        Margin period of risk in whole bars (days for daily bars).
    episodes : mapping or iterable, optional
        Name -> (first date, last date), or :class:`~riskkit.events.StressEpisode` objects
        (or ``{name, start, end}`` mappings); default :data:`NAMED_EPISODES`. An episode
        covers its first day from 00:00 UTC to the end of its last day. Episodes where no
        margin was in force (outside the data, or before the first forecast) are logged and
        left out of this table; :func:`episode_status` says which and why.
    n_worst : int
        Also test the ``n_worst`` worst non-overlapping windows where a margin was in force.
    interval : str
        Bar interval as text (``"1D"``, ``"1h"``), for the names of the worst windows.

    Returns
    -------
    DataFrame
        One row per scenario: ``scenario``, ``kind``, ``start``, ``side``, ``loss``, ``im``,
        ``mm``, ``shortfall_im``, ``shortfall_mm`` (loss beyond margin, >= 0).
    """
    r = as_return_series(returns)
    h = int(check_horizon(horizon_days, "horizon_days"))
    total = r.rolling(h).sum().shift(-(h - 1))
    im = im.astype(float).dropna()
    mm = mm.astype(float).reindex(im.index)
    covered = total.reindex(im.index).dropna()
    if covered.empty:
        raise DataError("the margin path and the returns share no dates")
    rows = []

    def _add(name: str, kind: str, start: pd.Timestamp) -> None:
        R = float(covered.loc[start])
        loss = float(max(-np.expm1(R), np.expm1(R)))
        i_m, m_m = float(im.loc[start]), float(mm.loc[start])
        rows.append(
            {
                "scenario": name,
                "kind": kind,
                "start": start,
                "side": "long" if R < 0 else "short",
                "loss": loss,
                "im": i_m,
                "mm": m_m,
                "shortfall_im": max(loss - i_m, 0.0),
                "shortfall_mm": max(loss - m_m, 0.0),
            }
        )

    skipped = []
    for ep in _episodes(episodes):
        seg = covered[(covered.index >= ep.first) & (covered.index < ep.stop)]
        if seg.empty:
            skipped.append(ep.name)
            continue
        worst = np.maximum(-np.expm1(seg), np.expm1(seg)).idxmax()
        _add(ep.name, "episode", worst)
    if skipped:
        logger.info(
            "historical stress: no margin in force during %d episode(s): %s",
            len(skipped),
            "; ".join(skipped),
        )
    daily = interval in ("1D", "1d")
    ww = worst_windows(r.loc[covered.index[0] :], h, n_worst)
    for _, row in ww.iterrows():
        if row["start"] in covered.index:
            if daily:
                name = f"worst {h}-day window from {row['start']:%Y-%m-%d}"
            else:
                name = f"worst {h}-bar ({interval}) window from {row['start']:%Y-%m-%d %H:%M}"
            _add(name, "worst window", row["start"])
    return pd.DataFrame(rows)


def episode_status(
    data_index: pd.DatetimeIndex,
    margin_index: pd.DatetimeIndex,
    episodes: Episodes | None = None,
) -> pd.DataFrame:
    """Which stress episodes a calibration could test, and why not the others.

    Parameters
    ----------
    data_index : DatetimeIndex
        Bars of the data (returns).
    margin_index : DatetimeIndex
        Dates with a margin in force (the margin path).
    episodes : mapping or iterable, optional
        As in :func:`historical_stress` (default :data:`NAMED_EPISODES`).

    Returns
    -------
    DataFrame
        One row per episode: ``scenario``, ``start``, ``end``, ``status`` (``"tested"``,
        ``"not in data"`` or ``"no margin in force"``) and ``detail`` (the data's dates or the
        first margin date when the episode is not tested; its source otherwise).
    """
    data = pd.DatetimeIndex(data_index)
    path = pd.DatetimeIndex(margin_index)
    first, last = (data.min(), data.max()) if len(data) else (None, None)
    rows = []
    for ep in _episodes(episodes):
        in_data = bool(((data >= ep.first) & (data < ep.stop)).any())
        in_path = bool(((path >= ep.first) & (path < ep.stop)).any())
        if in_path:
            status, detail = "tested", ep.source
        elif not in_data:
            status = "not in data"
            detail = (
                f"the data cover {first:%Y-%m-%d} to {last:%Y-%m-%d}" if first is not None else ""
            )
        else:
            status = "no margin in force"
            detail = (
                f"the margin path starts {path.min():%Y-%m-%d}"
                if len(path)
                else "no margin was computed"
            )
        rows.append(
            {
                "scenario": ep.name,
                "start": ep.first,
                "end": pd.Timestamp(ep.end),
                "status": status,
                "detail": detail,
            }
        )
    return pd.DataFrame(rows, columns=["scenario", "start", "end", "status", "detail"])


def hypothetical_stress(
    im_rate: float,
    mm_rate: float,
    daily_measure: float,
    horizon_days: float = 1.0,
    price_gaps: Sequence[float] = (-0.10, -0.20, -0.30, 0.20, 0.40),
    vol_multipliers: Sequence[float] = (2.0, 3.0),
    collateral: Mapping[str, float] | None = None,
    daily_measure_short: float | None = None,
) -> pd.DataFrame:
    """Margin shortfall under hypothetical shocks.

    Parameters
    ----------
    im_rate, mm_rate : float
        Current initial and maintenance rates.
    daily_measure : float
        Current 1-day VaR/ES of the log loss behind ``im_rate`` (before APC and rounding); of a
        long position (``-r``) when ``daily_measure_short`` is given.
    horizon_days : float
        Margin period of risk.
    price_gaps : sequence of float
        Instantaneous simple price moves (``-0.2`` = a 20% fall, hurting longs; ``+0.4`` hurts
        shorts by 40%).
    vol_multipliers : sequence of float
        Volatility spikes: the loss becomes the current measure times the multiplier over the
        horizon (the margin a model would ask for after the spike, charged with the old one).
    collateral : mapping, optional
        Correlation-breakdown scenario for non-cash collateral: keys ``collateral_per_notional``
        (c), ``haircut`` (h), ``collateral_measure`` (1-day VaR/ES of the collateral's log
        loss). The position and its collateral fall together by their own stressed measures
        (correlation one): the loss is the position's loss plus ``c`` times the collateral loss
        beyond its haircut.
    daily_measure_short : float, optional
        1-day VaR/ES of the log loss of a short position (``+r``). When given, each volatility
        spike is applied to both sides, each with its own conversion (``1 - exp(-x)`` for the
        long, ``exp(x) - 1`` for the short); without it one long-side row per spike.

    Returns
    -------
    DataFrame
        Columns ``scenario``, ``kind``, ``side``, ``loss``, ``im``, ``mm``, ``shortfall_im``,
        ``shortfall_mm``.
    """
    h = check_horizon(horizon_days, "horizon_days", integer=False)
    if not 0 < mm_rate <= im_rate:
        raise ConfigError(f"need 0 < mm_rate <= im_rate, got {mm_rate!r}, {im_rate!r}")
    rows = []

    def _add(name: str, kind: str, side: str, loss: float) -> None:
        rows.append(
            {
                "scenario": name,
                "kind": kind,
                "side": side,
                "loss": loss,
                "im": im_rate,
                "mm": mm_rate,
                "shortfall_im": max(loss - im_rate, 0.0),
                "shortfall_mm": max(loss - mm_rate, 0.0),
            }
        )

    for g in price_gaps:
        if g <= -1:
            raise ConfigError(f"a price gap must be > -1 (-100%), got {g!r}")
        side = "long" if g < 0 else "short"
        _add(f"price gap {g:+.0%}", "price gap", side, abs(float(g)))
    for k in vol_multipliers:
        x = daily_measure * k * np.sqrt(h)
        if daily_measure_short is None:
            _add(f"volatility x{k:g}", "volatility spike", "long", float(-np.expm1(-x)))
            continue
        # the short side's loss exp(y) - 1 is convex: mapping its log loss with the long-side
        # formula would understate it
        y = float(daily_measure_short) * k * np.sqrt(h)
        _add(f"volatility x{k:g}, long", "volatility spike", "long", float(-np.expm1(-x)))
        _add(f"volatility x{k:g}, short", "volatility spike", "short", float(np.expm1(y)))
    if collateral is not None:
        c = float(collateral["collateral_per_notional"])
        hc = float(collateral["haircut"])
        xc = float(collateral["collateral_measure"]) * np.sqrt(h)
        x = daily_measure * np.sqrt(h)
        col_loss = max(float(-np.expm1(-xc)) - hc, 0.0)
        _add(
            "correlation breakdown: position and collateral fall together",
            "correlation",
            "long",
            float(-np.expm1(-x)) + c * col_loss,
        )
    return pd.DataFrame(rows)
