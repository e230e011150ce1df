"""How well a margin path covered the losses that followed it.

The margin charged on date t must cover the loss of a position opened on t over the margin period
of risk, ``t, ..., t+H-1``. A *breach* is a realised loss larger than the margin. riskkit counts
breaches for a long and a short position separately (a two-sided margin must cover each side at the
nominal rate), by calendar year and by volatility regime, measures their size, and applies the VaR
backtests of :mod:`riskkit.backtest.var_tests` to the breach sequence.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from riskkit._validation import as_return_series, check_horizon, check_level
from riskkit.exceptions import DataError

__all__ = [
    "margin_period_loss",
    "worst_price_loss",
    "breaches",
    "coverage_table",
    "coverage_tests",
    "informational_coverage",
]


def margin_period_loss(returns: pd.Series, horizon_days: int = 1) -> pd.DataFrame:
    """Realised loss fraction of a long and a short position over the next ``horizon_days``.

    Parameters
    ----------
    returns : Series
        Daily log returns.
    horizon_days : int
        Whole days (daily data cannot show a sub-daily loss).

    Returns
    -------
    DataFrame
        Indexed by the first day of the period; ``long = 1 - exp(R)``, ``short = exp(R) - 1``
        with ``R`` the sum of the log returns of days ``t .. t+H-1``; NaN where the period runs
        past the data.
    """
    r = as_return_series(returns)
    h = int(check_horizon(horizon_days, "horizon_days"))
    total = r.rolling(h).sum().shift(-(h - 1))
    return pd.DataFrame({"long": -np.expm1(total), "short": np.expm1(total)}, index=r.index)


def worst_price_loss(ohlc: pd.DataFrame, index: pd.Index, horizon_bars: int = 1) -> pd.DataFrame:
    """Realised loss at the worst price within the margin period: the low for a long, the high
    for a short.

    Parameters
    ----------
    ohlc : DataFrame
        Bars with ``high``, ``low`` and ``close`` columns.
    index : Index
        Bar times of the returns (each with the bar before it in ``ohlc``): the first bar of
        each margin period.
    horizon_bars : int
        Whole bars in the margin period.

    Returns
    -------
    DataFrame
        Indexed by ``index``: ``long = 1 - min(low_t .. low_{t+H-1}) / close_{t-1}``,
        ``short = max(high_t .. high_{t+H-1}) / close_{t-1} - 1`` (a position opened at the
        close before the period and closed at its worst price); NaN where the period runs past
        the data. At least the close-to-close loss of :func:`margin_period_loss`, since a low is
        at most the close.
    """
    missing = {"high", "low", "close"} - set(ohlc.columns)
    if missing:
        raise DataError(f"loss_price='worst' needs high and low prices; missing {sorted(missing)}")
    h = int(check_horizon(horizon_bars, "horizon_bars"))
    bars = ohlc[["high", "low", "close"]].astype(float)
    prev = bars["close"].shift(1)
    low = bars["low"].rolling(h).min().shift(-(h - 1))
    high = bars["high"].rolling(h).max().shift(-(h - 1))
    out = pd.DataFrame({"long": 1.0 - low / prev, "short": high / prev - 1.0}, index=bars.index)
    return out.reindex(index)


def informational_coverage(
    margin: pd.Series, losses: pd.DataFrame, horizon_days: int = 1
) -> pd.DataFrame:
    """Breach counts of a margin that has no confidence level of its own, not tested.

    A maintenance margin set as a ratio of the initial margin is not a risk measure at any
    level, so no test can pass or fail it: the rows of :func:`coverage_tests`, with the breach
    counts (every ``horizon_days``-th date, as there), ``result`` and ``zone`` set to
    ``"informational"`` and no statistic.
    """
    h = int(check_horizon(horizon_days, "horizon_days"))
    hits = breaches(margin, losses).iloc[::h]
    rows = [
        {
            "side": side,
            "test": "breach count",
            "n": len(hits),
            "breaches": int(hits[side].sum()),
            "statistic": np.nan,
            "pvalue": np.nan,
            "result": "informational",
            "zone": "informational",
        }
        for side in ("long", "short")
    ]
    return pd.DataFrame(rows).set_index(["side", "test"])


def breaches(margin: pd.Series, losses: pd.DataFrame) -> pd.DataFrame:
    """Breach indicators and sizes (loss > margin) per side on the dates both are known.

    Parameters
    ----------
    margin : Series
        Margin rate in force on each date (fraction of notional), indexed by date.
    losses : DataFrame
        Realised loss fractions with columns ``long`` and ``short`` (positive = loss), e.g. from
        :func:`margin_period_loss`, indexed by the first day of the margin period.

    Returns
    -------
    DataFrame
        Indexed by the dates in both inputs on which neither loss nor the margin is NaN, with
        columns:

        * ``margin``: the margin in force;
        * ``loss_long``, ``loss_short``: the realised loss fractions; ``loss``: the larger of the
          two (the loss of the side that fared worse);
        * ``long``, ``short`` (bool): ``loss_long > margin``, ``loss_short > margin`` (strict);
          ``breach`` (bool): either side breached;
        * ``excess_long``, ``excess_short``: loss minus margin on that side's breach dates, NaN
          elsewhere; ``excess``: the larger of the two (``loss - margin`` where ``breach``).

    Raises
    ------
    DataError
        If ``losses`` lacks a ``long`` or ``short`` column, or ``margin`` and ``losses`` share no
        date with all values known.
    """
    missing = {"long", "short"} - set(losses.columns)
    if missing:
        raise DataError(f"losses needs columns 'long' and 'short'; missing {sorted(missing)}")
    m = margin.astype(float)
    joined = losses[["long", "short"]].join(m.rename("margin"), how="inner").dropna()
    if joined.empty:
        raise DataError("margin and losses share no dates with both values known")
    hit_long = joined["long"] > joined["margin"]
    hit_short = joined["short"] > joined["margin"]
    excess_long = (joined["long"] - joined["margin"]).where(hit_long)
    excess_short = (joined["short"] - joined["margin"]).where(hit_short)
    return pd.DataFrame(
        {
            "margin": joined["margin"],
            "loss_long": joined["long"],
            "loss_short": joined["short"],
            "loss": joined[["long", "short"]].max(axis=1),
            "long": hit_long,
            "short": hit_short,
            "breach": hit_long | hit_short,
            "excess_long": excess_long,
            "excess_short": excess_short,
            "excess": pd.concat([excess_long, excess_short], axis=1).max(axis=1),
        },
        index=joined.index,
    )


def coverage_table(
    margin: pd.Series, losses: pd.DataFrame, by: str | pd.Series = "year"
) -> pd.DataFrame:
    """Breach counts, rates and sizes by group.

    Parameters
    ----------
    margin : Series
        Margin rate in force on each date.
    losses : DataFrame
        Output of :func:`margin_period_loss` (columns ``long``, ``short``).
    by : "year", "all" or Series
        Group by calendar year, not at all, or by labels aligned on the dates (e.g. volatility
        regimes from :func:`riskkit.margin.regimes.classify_regimes`).

    Returns
    -------
    DataFrame
        Per group: ``n``, ``breaches_long``, ``breaches_short``, ``rate_long``, ``rate_short``,
        ``mean_excess`` and ``max_excess`` (loss minus margin over breaches of either side,
        fractions of notional), ``mean_margin``; a final row ``all``.
    """
    hits = breaches(margin, losses)
    if isinstance(by, str):
        if by == "year":
            labels = pd.Series(hits.index.year, index=hits.index)
        elif by == "all":
            labels = pd.Series("all", index=hits.index)
        else:
            raise DataError(f"by must be 'year', 'all' or a Series of labels, got {by!r}")
    else:
        labels = by.reindex(hits.index)
    frame = pd.DataFrame(
        {
            "group": labels,
            "long": hits["long"],
            "short": hits["short"],
            "excess": hits["excess"],
            "margin": hits["margin"],
        }
    ).dropna(subset=["group"])

    def _row(g: pd.DataFrame) -> dict:
        n = len(g)
        return {
            "n": n,
            "breaches_long": int(g["long"].sum()),
            "breaches_short": int(g["short"].sum()),
            "rate_long": g["long"].mean(),
            "rate_short": g["short"].mean(),
            "mean_excess": g["excess"].mean() if g["excess"].notna().any() else 0.0,
            "max_excess": g["excess"].max() if g["excess"].notna().any() else 0.0,
            "mean_margin": g["margin"].mean(),
        }

    rows = {key: _row(g) for key, g in frame.groupby("group", sort=True)}
    rows["all"] = _row(frame)
    out = pd.DataFrame.from_dict(rows, orient="index")
    out.index.name = "group"
    return out


def coverage_tests(
    margin: pd.Series,
    losses: pd.DataFrame,
    level: float = 0.99,
    horizon_days: int = 1,
    test_level: float = 0.95,
) -> pd.DataFrame:
    """Basel traffic light, Kupiec POF and Christoffersen tests of the breaches, per side.

    Parameters
    ----------
    margin, losses
        As in :func:`coverage_table`.
    level : float
        Coverage the margin is tested against (a VaR-level margin breaches with probability
        ``1 - level``; an ES margin at the same level should breach *less* often, so a POF
        rejection with too few breaches is expected for it).
    horizon_days : int
        Overlapping H-day periods are thinned to every H-th date before the tests, which assume
        independent trials.
    test_level : float
        Confidence of the tests.

    Returns
    -------
    DataFrame
        Rows ``(side, test)``; columns ``n``, ``breaches``, ``statistic``, ``pvalue``, ``result``
        and ``zone`` (traffic light).

    References
    ----------
    Kupiec, P. (1995), "Techniques for verifying the accuracy of risk measurement models",
    *Journal of Derivatives* 3(2). Christoffersen, P. (1998), "Evaluating interval forecasts",
    *International Economic Review* 39(4). Basel Committee (1996), *Supervisory framework for
    the use of backtesting in conjunction with the internal models approach*.
    """
    from riskkit.backtest import var_tests as vt

    lv = check_level(level)
    h = int(check_horizon(horizon_days, "horizon_days"))
    hits = breaches(margin, losses).iloc[::h]
    rows = []
    for side in ("long", "short"):
        x = hits[side].to_numpy(dtype=bool)
        n, k = len(x), int(x.sum())
        zone = vt.traffic_light(k, n, lv).zone
        for res in (
            vt.kupiec_pof(k, n, lv, test_level),
            vt.christoffersen_independence(x, test_level),
            vt.christoffersen_cc(x, lv, test_level),
        ):
            rows.append(
                {
                    "side": side,
                    "test": res.test,
                    "n": n,
                    "breaches": k,
                    "statistic": res.statistic,
                    "pvalue": res.pvalue,
                    "result": res.result,
                    "zone": zone,
                }
            )
    return pd.DataFrame(rows).set_index(["side", "test"])
