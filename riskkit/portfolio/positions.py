"""Multi-asset returns on common dates, positions, and portfolio P&L (losses positive)."""

from __future__ import annotations

import warnings
from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd

from riskkit.exceptions import ConfigError, DataError, DataQualityWarning

__all__ = [
    "AlignedReturns",
    "align_returns",
    "check_notionals",
    "notionals_from_quantities",
    "portfolio_pnl",
    "pnl_from_quantities",
]


def _show(dates: pd.Index, k: int = 5) -> str:
    shown = [str(d.date()) if hasattr(d, "date") else str(d) for d in dates[:k]]
    more = f" and {len(dates) - k} more" if len(dates) > k else ""
    return f"{shown}{more}"


@dataclass(frozen=True)
class AlignedReturns:
    """Returns on common dates and the dates that were dropped (see :func:`align_returns`).

    Attributes
    ----------
    returns : DataFrame
        Aligned returns: index ``date`` (sorted, the dates on which every asset has a finite
        return), one float column per asset.
    dropped : DataFrame
        One row per dropped date (index ``date``, sorted), one bool column per asset (the columns
        of :attr:`returns`): True where that asset had no finite return on that date. Empty
        (no rows) when nothing was dropped.
    """

    returns: pd.DataFrame
    dropped: pd.DataFrame

    def dropped_dates(self, asset: str) -> pd.Index:
        """Dates dropped because ``asset`` had no finite return on them.

        Raises
        ------
        DataError
            If ``asset`` is not one of the columns.
        """
        if asset not in self.dropped.columns:
            raise DataError(f"no asset {asset!r}; assets: {list(self.dropped.columns)}")
        return self.dropped.index[self.dropped[asset].to_numpy()]


def align_returns(
    returns: pd.DataFrame | Mapping[str, pd.Series],
    how: str = "inner",
    warn: bool = True,
) -> AlignedReturns:
    """Put several assets' returns on common dates, saying which dates were dropped.

    Parameters
    ----------
    returns : DataFrame or mapping of name -> Series
        One column (or Series) per asset, indexed by date.
    how : {"inner", "error"}
        ``"inner"`` keeps the dates on which every asset has a finite return and warns with
        :class:`~riskkit.exceptions.DataQualityWarning` listing, per asset, the dates dropped
        because that asset was missing; ``"error"`` raises :class:`DataError` instead.
    warn : bool
        Set False to silence the warning (the dropped dates are still in ``result.dropped``).

    Returns
    -------
    AlignedReturns
        ``returns``: the aligned returns (index ``date``, sorted); ``dropped``: the dropped
        dates, with one bool column per asset saying which asset was missing.

    Raises
    ------
    DataError
        If no asset is given, the index has duplicate dates, a column is not numeric, no date
        has a return for every asset, or (``how="error"``) any date would be dropped.
    ConfigError
        If ``how`` is not ``"inner"`` or ``"error"``.
    """
    if isinstance(returns, Mapping):
        if not returns:
            raise DataError("returns: no assets given")
        frame = pd.concat({str(k): pd.Series(v) for k, v in returns.items()}, axis=1)
    elif isinstance(returns, pd.DataFrame):
        frame = returns.copy()
    else:
        raise DataError(f"returns must be a DataFrame or a mapping of Series, got {type(returns)}")
    if how not in ("inner", "error"):
        raise ConfigError(f"how must be 'inner' or 'error', got {how!r}")
    if frame.shape[1] < 1:
        raise DataError("returns: no asset columns")
    if frame.index.has_duplicates:
        dup = frame.index[frame.index.duplicated()].unique()
        raise DataError(f"returns: duplicate dates {_show(dup)}; deduplicate first")
    try:
        frame = frame.astype(float)
    except (TypeError, ValueError) as exc:
        raise DataError(f"returns must be numeric: {exc}") from None
    frame = frame.sort_index()
    bad = ~np.isfinite(frame.to_numpy())
    row_bad = bad.any(axis=1)
    dropped = pd.DataFrame(bad[row_bad], index=frame.index[row_bad], columns=frame.columns)
    dropped.index.name = "date"
    if row_bad.any():
        detail = "; ".join(
            f"{col}: {int(bad[:, j].sum())} date(s) {_show(frame.index[bad[:, j]])}"
            for j, col in enumerate(frame.columns)
            if bad[:, j].any()
        )
        if how == "error":
            raise DataError(f"returns are not aligned: missing values for {detail}")
        if warn:
            warnings.warn(
                f"align_returns dropped {int(row_bad.sum())} of {len(frame)} dates on "
                f"which an asset has no finite return ({detail})",
                DataQualityWarning,
                stacklevel=2,
            )
        frame = frame.loc[~row_bad]
    if len(frame) == 0:
        raise DataError("returns: no date on which every asset has a return")
    frame.index.name = "date"
    return AlignedReturns(returns=frame, dropped=dropped)


def check_notionals(
    notionals: pd.Series | Mapping[str, float], assets: pd.Index | list[str]
) -> pd.Series:
    """Validate signed notionals against the available assets; raise naming missing labels.

    Parameters
    ----------
    notionals : Series or mapping
        Signed notional (value) per asset in the reporting currency; positive = long.
    assets : Index or list
        The assets with returns (e.g. ``returns.columns``).

    Returns
    -------
    Series
        Float notionals in the order given.
    """
    pos = pd.Series(notionals, dtype=float) if isinstance(notionals, Mapping) else notionals
    if not isinstance(pos, pd.Series):
        raise DataError(
            f"positions must be a Series or mapping indexed by asset, got {type(notionals)}"
        )
    pos = pos.astype(float)
    if pos.empty:
        raise DataError("positions: no position given")
    if pos.index.has_duplicates:
        raise DataError(f"positions: duplicate labels {list(pos.index[pos.index.duplicated()])}")
    missing = [str(x) for x in pos.index if x not in set(assets)]
    if missing:
        raise DataError(
            f"positions refer to asset(s) {missing} that have no returns/prices "
            f"(available: {list(assets)})"
        )
    nonfinite = list(pos.index[~np.isfinite(pos.to_numpy())])
    if nonfinite:
        raise DataError(f"positions: non-finite size for {nonfinite}")
    if (pos == 0).all():
        raise DataError("positions: every position is zero")
    return pos


def notionals_from_quantities(
    quantities: pd.Series | Mapping[str, float], prices: pd.Series | pd.DataFrame
) -> pd.Series:
    """Signed notionals ``quantity x price`` from quantities (coins) and prices.

    Parameters
    ----------
    quantities : Series or mapping
        Signed quantity per asset (negative = short).
    prices : Series or DataFrame
        Price per asset; a DataFrame of price histories uses its last row.

    Returns
    -------
    Series
        Notionals in the price currency.

    Raises
    ------
    DataError
        If a quantity has no price (the missing labels are named) or a price is not > 0.
    """
    px = prices.iloc[-1] if isinstance(prices, pd.DataFrame) else pd.Series(prices)
    q = check_notionals(quantities, px.index)
    p = px.loc[q.index].astype(float)
    bad = list(p.index[~(np.isfinite(p.to_numpy()) & (p.to_numpy() > 0))])
    if bad:
        raise DataError(f"prices must be finite and > 0; not so for {bad}")
    return (q * p).rename("notional")


def portfolio_pnl(
    returns: pd.DataFrame,
    notionals: pd.Series | Mapping[str, float],
    kind: str = "log",
    by_position: bool = False,
) -> pd.Series | pd.DataFrame:
    """Daily P&L of constant notionals, rebalanced each day (gains positive).

    Parameters
    ----------
    returns : DataFrame
        Aligned returns (see :func:`align_returns`), one column per asset.
    notionals : Series or mapping
        Signed notional per asset; assets without a position are ignored.
    kind : {"log", "simple"}
        Kind of ``returns``. A position of notional ``N`` makes ``N (exp(r) - 1)`` on a log
        return ``r`` and ``N r`` on a simple return.
    by_position : bool
        Return one column per position instead of the total.

    Returns
    -------
    Series or DataFrame
        P&L in the notional's currency; the loss is ``-pnl``.
    """
    if kind not in ("log", "simple"):
        raise ConfigError(f"kind must be 'log' or 'simple', got {kind!r}")
    pos = check_notionals(notionals, returns.columns)
    r = returns[pos.index]
    simple = np.expm1(r) if kind == "log" else r
    per = simple * pos
    if by_position:
        return per
    return per.sum(axis=1).rename("pnl")


def pnl_from_quantities(
    prices: pd.DataFrame, quantities: pd.Series | Mapping[str, float]
) -> pd.Series:
    """Daily P&L of fixed quantities held through a price history: ``sum_i q_i (P_t - P_{t-1})``.

    Raises :class:`DataError` naming the assets without a price column, and the dates on which a
    held asset has no price.

    Parameters
    ----------
    prices : DataFrame
        Price histories, one column per asset, indexed by date in time order (not sorted
        here); only the columns of the held assets are used.
    quantities : Series or mapping
        Signed quantity (units, e.g. coins) per asset; positive = long, negative = short.

    Returns
    -------
    Series
        Named ``"pnl"``, indexed by ``prices.index[1:]`` (the date of the later price): P&L in
        the price currency, gains positive (the loss is ``-pnl``).

    Raises
    ------
    DataError
        If ``quantities`` is not a Series or mapping, is empty, has duplicate labels, names an
        asset without a price column, has a non-finite quantity or only zero quantities; or if
        a held asset's price is missing, non-finite or not > 0 on some date.
    """
    q = check_notionals(quantities, prices.columns)
    px = prices[q.index].astype(float)
    bad = ~np.isfinite(px.to_numpy()) | (px.to_numpy() <= 0)
    if bad.any():
        rows = px.index[bad.any(axis=1)]
        raise DataError(f"prices: missing or non-positive values on {_show(rows)}")
    return (px.diff().iloc[1:] * q).sum(axis=1).rename("pnl")
