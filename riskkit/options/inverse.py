"""Inverse (coin-margined) contracts as listed by Deribit.

On Deribit, BTC options and the BTC inverse futures are margined and settled in BTC, while the
contract is on the USD price of BTC:

* an option premium is quoted in BTC: ``premium_btc = premium_usd / underlying``, where
  ``underlying`` is the price of the future (or index) the option is written on;
* an inverse future of size ``size_usd`` (USD face value; positive = long) bought at ``entry``
  and closed at ``exit`` makes ``size_usd * (1/entry - 1/exit)`` BTC.

The coin P&L is convex in the price: a long inverse future gains less in coin on the way up than
it loses on the way down, and a short loses more on the way up. Functions take and return numpy
arrays or floats; pandas Series pass through (index kept).

References
----------
Deribit, "Inverse futures" and "Options" contract specifications (knowledge base), and the
``public/get_book_summary_by_currency`` API, which quotes option ``mark_price`` in the coin.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from riskkit.exceptions import ConfigError

__all__ = [
    "premium_to_coin",
    "premium_to_usd",
    "inverse_future_pnl",
    "linear_future_pnl",
]


def _positive(x: Any, name: str) -> np.ndarray:
    arr = np.asarray(x.to_numpy() if isinstance(x, pd.Series) else x, dtype=float)
    bad = ~np.isfinite(arr) | (arr <= 0)
    if np.any(bad):
        raise ConfigError(
            f"{name} must be finite and > 0, got {np.atleast_1d(arr)[np.atleast_1d(bad)][:5].tolist()}"
        )
    return arr


def _out(values: np.ndarray, *like: Any) -> Any:
    for x in like:
        if isinstance(x, pd.Series) and np.ndim(values) == 1 and len(values) == len(x):
            return pd.Series(values, index=x.index)
    return float(values) if np.ndim(values) == 0 else values


def premium_to_coin(premium_usd: Any, underlying: Any) -> Any:
    """Option premium in coin (BTC) from its USD value: ``premium_usd / underlying``.

    Parameters
    ----------
    premium_usd : float, array_like or Series
        Option premium in USD (not checked for sign or finiteness).
    underlying : float, array_like or Series
        USD price of the future or index the option is written on, finite and > 0.

    Returns
    -------
    float, ndarray or Series
        Premium in coin. A Series (index of ``premium_usd``, else of ``underlying``) when one of
        them is a Series of the result's length; the values are combined by position, not
        aligned on the index. A float for scalar inputs.

    Raises
    ------
    ConfigError
        If an ``underlying`` value is not finite or not > 0.
    """
    u = _positive(underlying, "underlying")
    return _out(np.asarray(premium_usd, dtype=float) / u, premium_usd, underlying)


def premium_to_usd(premium_coin: Any, underlying: Any) -> Any:
    """USD value of a premium quoted in coin: ``premium_coin * underlying``.

    Parameters
    ----------
    premium_coin : float, array_like or Series
        Option premium in coin (BTC), e.g. Deribit's ``mark_price``.
    underlying : float, array_like or Series
        USD price of the future or index the option is written on, finite and > 0.

    Returns
    -------
    float, ndarray or Series
        Premium in USD. A Series (index of ``premium_coin``, else of ``underlying``) when one of
        them is a Series of the result's length; the values are combined by position, not
        aligned on the index. A float for scalar inputs.

    Raises
    ------
    ConfigError
        If an ``underlying`` value is not finite or not > 0.
    """
    u = _positive(underlying, "underlying")
    return _out(np.asarray(premium_coin, dtype=float) * u, premium_coin, underlying)


def inverse_future_pnl(size_usd: Any, entry: Any, exit: Any) -> Any:
    """P&L in coin of an inverse future: ``size_usd * (1/entry - 1/exit)``.

    Parameters
    ----------
    size_usd : float or array_like
        Face value in USD, positive for a long position, negative for a short one.
    entry, exit : float or array_like
        Entry and exit (or mark) prices in USD per coin, > 0.

    Returns
    -------
    float, ndarray or Series
        Profit in coin (negative = loss).
    """
    e = _positive(entry, "entry")
    x = _positive(exit, "exit")
    size = np.asarray(size_usd, dtype=float)
    return _out(size * (1.0 / e - 1.0 / x), exit, entry, size_usd)


def linear_future_pnl(quantity: Any, entry: Any, exit: Any) -> Any:
    """P&L in USD of a linear (USD-margined) future of ``quantity`` coins: ``q (exit - entry)``.

    Parameters
    ----------
    quantity : float or array_like
        Position size in coins, positive for a long position, negative for a short one.
    entry, exit : float or array_like
        Entry and exit (or mark) prices in USD per coin, finite and > 0.

    Returns
    -------
    float, ndarray or Series
        Profit in USD (negative = loss). A Series (index of ``exit``, else ``entry``, else
        ``quantity``) when one of them is a Series of the result's length; values are combined
        by position, not aligned on the index.

    Raises
    ------
    ConfigError
        If an ``entry`` or ``exit`` price is not finite or not > 0.
    """
    e = _positive(entry, "entry")
    x = _positive(exit, "exit")
    q = np.asarray(quantity, dtype=float)
    return _out(q * (x - e), exit, entry, quantity)
