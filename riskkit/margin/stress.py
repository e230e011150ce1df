"""Stress tests of margin rates: worst historical windows and hypothetical shocks.

Each scenario gives a loss fraction of notional over the margin period of risk for a long and a
short position, compares it with the initial and maintenance margin in force, and reports the
**shortfall** (loss beyond margin, zero when covered). Historical scenarios use the margin that was
in force when the window began (no look-ahead); hypothetical ones use the current rates.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

from riskkit._validation import as_return_series, check_horizon
from riskkit.exceptions import ConfigError, DataError

__all__ = [
    "NAMED_EPISODES",
    "worst_windows",
    "historical_stress",
    "hypothetical_stress",
]

#: crypto stress episodes (first and last UTC date); a window is searched inside each
NAMED_EPISODES: dict[str, tuple[str, str]] = {
    "2014-02 Mt. Gox collapse": ("2014-02-01", "2014-02-28"),
    "2015-01 bear-market low": ("2015-01-01", "2015-01-31"),
    "2017-09 China exchange ban": ("2017-09-01", "2017-09-30"),
    "2018-01 post-bubble crash": ("2018-01-10", "2018-02-10"),
    "2018-11 BCH hash war": ("2018-11-10", "2018-11-30"),
    "2019-06 rally and reversal": ("2019-06-20", "2019-07-20"),
    "2020-03 COVID crash (Black Thursday)": ("2020-03-05", "2020-03-20"),
}


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
    episodes: Mapping[str, tuple[str, str]] | None = None,
    n_worst: int = 5,
) -> pd.DataFrame:
    """Margin shortfall in named episodes and in the worst windows of the history.

    Parameters
    ----------
    returns : Series
        Daily log returns.
    im, mm : Series
        Initial and maintenance margin paths (rate in force on each date).
    horizon_days : int
        Margin period of risk in whole days.
    episodes : mapping, optional
        Name -> (first date, last date); default :data:`NAMED_EPISODES`. Episodes outside the
        margin path are skipped.
    n_worst : int
        Also test the ``n_worst`` worst non-overlapping windows where a margin was in force.

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

    for name, (a, b) in (NAMED_EPISODES if episodes is None else episodes).items():
        seg = covered.loc[pd.Timestamp(a) : pd.Timestamp(b)]
        if seg.empty:
            continue
        worst = np.maximum(-np.expm1(seg), np.expm1(seg)).idxmax()
        _add(name, "episode", worst)
    ww = worst_windows(r.loc[covered.index[0] :], h, n_worst)
    for _, row in ww.iterrows():
        if row["start"] in covered.index:
            _add(f"worst {h}-day window from {row['start']:%Y-%m-%d}", "worst window", row["start"])
    return pd.DataFrame(rows)


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
