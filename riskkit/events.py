"""Market events: named stress episodes, windows around a day and how surprising it was.

Several chapters zoom in on one day: they cut a calendar window around it, take the history a
model could have used on the eve of the day (no look-ahead: data up to the day before only) and
measure the day's return against that history. These helpers do it in one place.

:data:`STRESS_EPISODES` names the crypto stress episodes riskkit tests margins against (from the
Mt. Gox collapse of 2014 to the liquidation cascade of 10-11 October 2025), each with its first
and last UTC date, a one-line description and its source; :func:`stress_episodes` lists them
as a table, and :class:`StressEpisode` is also how a configuration adds its own
(``margin.stress_episodes``).
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np
import pandas as pd
from pydantic import model_validator
from scipy import stats

from riskkit._settings import Date, SettingsModel, Text, problem
from riskkit.exceptions import ConfigError, DataError

__all__ = [
    "STRESS_EPISODES",
    "StressEpisode",
    "stress_episodes",
    "episode_coverage",
    "event_window",
    "pre_event",
    "event_surprise",
]


class StressEpisode(SettingsModel):
    """A stress episode: a name and the first and last UTC dates of the period (both included).

    A configuration lists its own under ``margin.stress_episodes`` (``{name, start, end}``);
    the historical stress test searches the worst margin-period loss inside each episode.
    """

    name: Text
    """Label of the episode in the stress table."""
    start: Date
    """First day, YYYY-MM-DD (UTC)."""
    end: Date
    """Last day, YYYY-MM-DD (UTC, included)."""
    description: str = ""
    """What happened, in one line."""
    source: str = ""
    """Where the dates come from (venue notices, news reports)."""

    @model_validator(mode="after")
    def _ordered(self) -> StressEpisode:
        if self.end < self.start:
            raise problem(f"end {self.end} is before start {self.start}")
        return self

    @property
    def first(self) -> pd.Timestamp:
        """First instant of the episode (00:00 UTC of ``start``)."""
        return pd.Timestamp(self.start)

    @property
    def stop(self) -> pd.Timestamp:
        """First instant after the episode (00:00 UTC of the day after ``end``), so that an
        intraday bar of the last day belongs to it."""
        return pd.Timestamp(self.end) + pd.Timedelta(days=1)


def _ep(name: str, start: str, end: str, description: str, source: str) -> StressEpisode:
    return StressEpisode(name=name, start=start, end=end, description=description, source=source)


#: crypto stress episodes (first and last UTC date), oldest first
STRESS_EPISODES: tuple[StressEpisode, ...] = (
    _ep(
        "2014-02 Mt. Gox collapse",
        "2014-02-01",
        "2014-02-28",
        "Mt. Gox halts bitcoin withdrawals (7 Feb), then files for bankruptcy protection (28 Feb).",
        "Mt. Gox notices of February 2014; Tokyo District Court filing of 2014-02-28",
    ),
    _ep(
        "2015-01 bear-market low",
        "2015-01-01",
        "2015-01-31",
        "Bitstamp suspends service after a hot-wallet theft (5 Jan); bitcoin falls below $200.",
        "Bitstamp service notices of January 2015; market reports of 2015-01-14",
    ),
    _ep(
        "2017-09 China exchange ban",
        "2017-09-01",
        "2017-09-30",
        "China bans ICOs (4 Sep) and its exchanges announce they will stop trading (14-15 Sep).",
        "People's Bank of China ICO statement of 2017-09-04; BTCChina notice of 2017-09-14",
    ),
    _ep(
        "2018-01 post-bubble crash",
        "2018-01-10",
        "2018-02-10",
        "Bitcoin falls from about $14,000 to below $6,000 (6 Feb) after the 2017 bubble.",
        "Reuters and Bloomberg market reports of January-February 2018",
    ),
    _ep(
        "2018-11 BCH hash war",
        "2018-11-10",
        "2018-11-30",
        "Bitcoin Cash splits into ABC and SV (15 Nov); bitcoin falls from $6,300 to below $4,000.",
        "Bitcoin ABC and Bitcoin SV fork announcements (2018-11-15); CoinDesk market reports",
    ),
    _ep(
        "2019-06 rally and reversal",
        "2019-06-20",
        "2019-07-20",
        "Bitcoin rallies to about $13,800 (26 Jun), then falls by a third within weeks.",
        "CoinDesk and Bloomberg market reports of June-July 2019",
    ),
    _ep(
        "2020-03 COVID crash (Black Thursday)",
        "2020-03-05",
        "2020-03-20",
        "Pandemic sell-off; bitcoin loses about half its value on 12-13 Mar; BitMEX goes offline.",
        "BitMEX incident notice of 2020-03-13; MakerDAO Black Thursday post-mortem (2020)",
    ),
    _ep(
        "2021-05 China mining ban crash",
        "2021-05-18",
        "2021-05-23",
        "Chinese banking associations bar crypto services (18 May); bitcoin falls 30% intraday on "
        "19 May, exchanges slow down; State Council targets mining (21 May).",
        "Joint statement of China's NIFA, CBA and PCAC (2021-05-18); State Council Financial "
        "Stability and Development Committee statement (2021-05-21)",
    ),
    _ep(
        "2022-05 LUNA/UST collapse",
        "2022-05-07",
        "2022-05-13",
        "The UST stablecoin loses its dollar peg (7-9 May), LUNA falls to almost zero and the "
        "Terra chain is halted (12-13 May).",
        "Terra validators' chain-halt notices (2022-05-12); Binance notices suspending LUNA and "
        "UST trading (2022-05-12/13)",
    ),
    _ep(
        "2022-11 FTX collapse",
        "2022-11-06",
        "2022-11-11",
        "Binance says it will sell its FTT (6 Nov), FTX halts withdrawals (8 Nov), Binance drops "
        "its rescue (9 Nov), FTX files for Chapter 11 (11 Nov).",
        "Binance statement of 2022-11-09; FTX Trading Ltd. Chapter 11 petition, D. Del. "
        "(2022-11-11)",
    ),
    _ep(
        "2024-08 yen carry-trade unwind",
        "2024-08-02",
        "2024-08-05",
        "After the Bank of Japan's rate rise and a weak US jobs report, the Nikkei 225 falls "
        "12.4% (5 Aug) and crypto sells off over the weekend.",
        "Bank of Japan policy statement (2024-07-31); US BLS Employment Situation "
        "(2024-08-02); Japan Exchange Group close of 2024-08-05",
    ),
    _ep(
        "2025-10 liquidation cascade",
        "2025-10-10",
        "2025-10-11",
        "US tariff threat on China (10 Oct) sets off the largest crypto liquidation on record, "
        "about $19 billion in a day; USDe and wrapped tokens depeg on some venues.",
        "CoinGlass liquidation data (2025-10-11); Binance compensation notice for the USDe, "
        "wBETH and BNSOL depeg (2025-10-12)",
    ),
)


def stress_episodes(extra: Iterable[StressEpisode | dict] = ()) -> pd.DataFrame:
    """The named stress episodes (and ``extra`` ones) as a table.

    Parameters
    ----------
    extra : iterable of StressEpisode or mapping
        Episodes to add (``{"name", "start", "end"}``), e.g. a configuration's own.

    Returns
    -------
    pandas.DataFrame
        One row per episode, oldest first as listed: ``name``, ``start``, ``end``
        (Timestamps), ``description``, ``source``.
    """
    rows = [*STRESS_EPISODES, *(_as_episode(e) for e in extra)]
    return pd.DataFrame(
        {
            "name": [e.name for e in rows],
            "start": pd.to_datetime([e.start for e in rows]),
            "end": pd.to_datetime([e.end for e in rows]),
            "description": [e.description for e in rows],
            "source": [e.source for e in rows],
        }
    )


def _as_episode(value: StressEpisode | dict) -> StressEpisode:
    return value if isinstance(value, StressEpisode) else StressEpisode.model_validate(value)


def episode_coverage(
    index: pd.DatetimeIndex, episodes: Iterable[StressEpisode | dict] | None = None
) -> pd.DataFrame:
    """Which episodes fall inside the data: for each, the bars of ``index`` it covers.

    Parameters
    ----------
    index : pandas.DatetimeIndex
        Bar opening times of the data (any interval).
    episodes : iterable, optional
        Default :data:`STRESS_EPISODES`.

    Returns
    -------
    pandas.DataFrame
        ``name``, ``start``, ``end``, ``bars`` (bars opening inside the episode) and
        ``in_data`` (at least one bar), one row per episode.
    """
    eps = [_as_episode(e) for e in (STRESS_EPISODES if episodes is None else episodes)]
    ts = pd.DatetimeIndex(index)
    rows = []
    for e in eps:
        n = int(((ts >= e.first) & (ts < e.stop)).sum())
        rows.append(
            {
                "name": e.name,
                "start": e.first,
                "end": pd.Timestamp(e.end),
                "bars": n,
                "in_data": n > 0,
            }
        )
    return pd.DataFrame(rows, columns=["name", "start", "end", "bars", "in_data"])


def _day(day: str | pd.Timestamp) -> pd.Timestamp:
    try:
        ts = pd.Timestamp(day)
    except (TypeError, ValueError):
        raise ConfigError(f"event day must be a date, got {day!r}") from None
    if ts.tzinfo is not None:
        raise ConfigError(f"event day must be tz-naive (UTC), got {day!r}")
    return ts.normalize()


def _days(n: int | float, name: str, allow_zero: bool = True) -> pd.Timedelta:
    if not np.isfinite(n) or n < 0 or (n == 0 and not allow_zero):
        raise ConfigError(f"{name} must be a {'non-negative' if allow_zero else 'positive'} "
                          f"number of days, got {n!r}")  # fmt: skip
    return pd.Timedelta(days=n)


def _check_index(data: pd.Series | pd.DataFrame) -> None:
    if not isinstance(data, (pd.Series, pd.DataFrame)) or not isinstance(
        data.index, pd.DatetimeIndex
    ):
        raise DataError("event helpers need a pandas Series/DataFrame with a DatetimeIndex")
    if not data.index.is_monotonic_increasing:
        raise DataError("the index must be sorted by date (sort_index() first)")


def event_window(
    data: pd.Series | pd.DataFrame,
    day: str | pd.Timestamp,
    before: float = 30,
    after: float | None = None,
) -> pd.Series | pd.DataFrame:
    """Rows of ``data`` from ``before`` calendar days before ``day`` to ``after`` days after it.

    Parameters
    ----------
    data : pandas.Series or DataFrame
        Indexed by a sorted tz-naive ``DatetimeIndex`` (bar opening date, UTC).
    day : str or Timestamp
        The event day, e.g. ``"2020-03-12"``.
    before, after : float
        Calendar days on each side, both ends included; ``after`` defaults to ``before``.

    Returns
    -------
    pandas.Series or DataFrame
        The slice ``data.loc[day - before : day + after]`` (a view of the same type).

    Raises
    ------
    DataError
        If the index is not a sorted DatetimeIndex, or the window holds no row.
    ConfigError
        If ``day`` is not a date or ``before``/``after`` is negative.
    """
    _check_index(data)
    d = _day(day)
    lo = d - _days(before, "before")
    hi = d + _days(before if after is None else after, "after")
    out = data.loc[lo:hi]
    if out.empty:
        raise DataError(
            f"no row between {lo:%Y-%m-%d} and {hi:%Y-%m-%d}; data cover "
            f"{data.index.min():%Y-%m-%d} to {data.index.max():%Y-%m-%d}"
        )
    return out


def pre_event(
    data: pd.Series | pd.DataFrame, day: str | pd.Timestamp, lookback: float | None = None
) -> pd.Series | pd.DataFrame:
    """The history a forecast for ``day`` may use: rows strictly before ``day``.

    Parameters
    ----------
    data : pandas.Series or DataFrame
        Indexed by a sorted tz-naive ``DatetimeIndex``.
    day : str or Timestamp
        The event day; its own row is excluded (no look-ahead).
    lookback : float, optional
        Calendar days before ``day`` to keep (``365`` keeps ``day - 365`` to ``day - 1``);
        all the history if None.

    Returns
    -------
    pandas.Series or DataFrame

    Raises
    ------
    DataError
        If no row precedes ``day``.
    """
    _check_index(data)
    d = _day(day)
    hi = d - pd.Timedelta(days=1)
    lo = None if lookback is None else d - _days(lookback, "lookback", allow_zero=False)
    out = data.loc[lo:hi]
    if out.empty:
        raise DataError(f"no data before {d:%Y-%m-%d} (data start {data.index.min():%Y-%m-%d})")
    return out


def event_surprise(
    returns: pd.Series | pd.DataFrame,
    day: str | pd.Timestamp,
    lookback: float = 365,
    min_obs: int = 30,
) -> pd.DataFrame:
    """How extreme the return of ``day`` was against the history known the evening before.

    Parameters
    ----------
    returns : pandas.Series or DataFrame
        Daily log returns (fractions), one column per asset, sorted ``DatetimeIndex``.
    day : str or Timestamp
        The event day; it must be in the index.
    lookback : float
        Calendar days of history before ``day`` (default 365; the day itself is excluded).
    min_obs : int
        Fewest non-missing returns required in the history of each asset.

    Returns
    -------
    pandas.DataFrame
        One row per asset, columns ``log return``, ``simple return`` (``exp(r) - 1``),
        ``prior std`` (sample standard deviation, ``ddof=1``), ``sigmas`` (``r / prior std``),
        ``p normal`` (``Phi(sigmas)``: probability of a return this low under a zero-mean normal
        law with the prior std), ``p student-t`` (the same under a Student-t fitted to the
        history by maximum likelihood with ``scipy.stats.t.fit``), ``t df`` and ``n prior``.

    Raises
    ------
    DataError
        If ``day`` is not in the index, its return is missing, or an asset has fewer than
        ``min_obs`` returns in the history.

    Notes
    -----
    The probabilities are lower-tail (a fall); for a rise read ``1 - p``. The history ends the
    day before ``day``, as a forecast made at the close of the previous day would.
    """
    frame = returns.to_frame() if isinstance(returns, pd.Series) else returns
    _check_index(frame)
    d = _day(day)
    if d not in frame.index:
        raise DataError(f"{d:%Y-%m-%d} is not in the returns index")
    prior = pre_event(frame, d, lookback)
    rows = {}
    for col in frame.columns:
        r = frame.at[d, col]
        if not np.isfinite(r):
            raise DataError(f"return of {col!r} on {d:%Y-%m-%d} is missing")
        hist = prior[col].dropna().to_numpy(dtype=float)
        if len(hist) < min_obs:
            raise DataError(
                f"{col!r}: {len(hist)} returns in the {lookback:g} days before "
                f"{d:%Y-%m-%d}, need at least {min_obs}"
            )
        sd = hist.std(ddof=1)
        df, loc, scale = stats.t.fit(hist)
        rows[col] = {
            "log return": r,
            "simple return": np.expm1(r),
            "prior std": sd,
            "sigmas": r / sd,
            "p normal": stats.norm.cdf(r / sd),
            "p student-t": stats.t.cdf(r, df, loc, scale),
            "t df": df,
            "n prior": len(hist),
        }
    out = pd.DataFrame(rows).T.rename_axis("asset")
    out["n prior"] = out["n prior"].astype(int)
    return out
