"""European option prices, Greeks and implied volatility: Black-76 and Black-Scholes(-Merton).

Both models are the generalised Black-Scholes-Merton formula with a cost of carry ``b``:

* Black-Scholes on spot with rate ``r`` and carry (dividend / foreign rate / lending yield) ``q``:
  ``b = r - q``;
* Black-76 on a futures or forward price ``F``: ``b = 0`` (the future costs nothing to carry).

Units (the same everywhere in :mod:`riskkit.options`):

* volatility ``sigma`` and rates are annual fractions (0.8 = 80% a year); time ``T`` in years;
* ``vega`` is the price change per **1.00** of volatility (per 100 vol points); divide by 100 for
  "per vol point";
* ``theta`` is the price change per **year** of calendar time passing (``-dV/dT``); divide by 365
  for a crypto day (or by 252 for an equity trading day);
* ``delta`` is with respect to the underlying the model is written on (spot ``S`` for
  Black-Scholes, the futures price ``F`` for Black-76), ``gamma`` its derivative.

Pandas in, pandas out: if any array argument is a :class:`pandas.Series`, the result is a Series
with that Series' index (for :func:`greeks`, a :class:`Greeks` of such Series, whose
:meth:`Greeks.to_frame` is a DataFrame with that index).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, fields
from typing import Any

import numpy as np
import pandas as pd
from scipy.optimize import brentq
from scipy.special import ndtr

from riskkit.exceptions import ConfigError, DataError

__all__ = [
    "Greeks",
    "black76_price",
    "black_scholes_price",
    "greeks",
    "implied_volatility",
    "parse_kind",
]

ArrayLike = float | np.ndarray | pd.Series | Sequence[float]

_CALL_WORDS = {"call", "c"}
_PUT_WORDS = {"put", "p"}


def parse_kind(kind: Any) -> np.ndarray:
    """Turn ``"call"``/``"put"`` (or ``"c"``/``"p"``, or booleans: True = call) into a bool array."""
    arr = np.asarray(kind.to_numpy() if isinstance(kind, pd.Series) else kind)
    if arr.dtype == bool:
        return arr
    flat = np.atleast_1d(arr).ravel()
    out = np.empty(flat.shape, dtype=bool)
    for i, k in enumerate(flat):
        word = str(k).strip().lower()
        if word in _CALL_WORDS:
            out[i] = True
        elif word in _PUT_WORDS:
            out[i] = False
        else:
            raise ConfigError(f"option kind must be 'call' or 'put', got {k!r}")
    return out.reshape(arr.shape)


def _index_of(*args: Any) -> pd.Index | None:
    for a in args:
        if isinstance(a, pd.Series):
            return a.index
    return None


def _values(x: Any) -> np.ndarray:
    return np.asarray(x.to_numpy() if isinstance(x, pd.Series) else x, dtype=float)


def _check_inputs(
    underlying: Any, strike: Any, T: Any, sigma: Any, names: tuple[str, str] = ("S", "K")
) -> tuple[np.ndarray, ...]:
    """Validate and broadcast the common option inputs; raise ConfigError naming the bad one."""
    und, k, t, s = (_values(x) for x in (underlying, strike, T, sigma))
    checks = (
        (names[0], und, ~np.isfinite(und) | (und <= 0), "underlying price must be finite and > 0"),
        (names[1], k, ~np.isfinite(k) | (k <= 0), "strike must be finite and > 0"),
        (
            "T",
            t,
            ~np.isfinite(t) | (t <= 0),
            "time to expiry (years) must be > 0; an option with T <= 0 has expired "
            "(value it at intrinsic instead)",
        ),
        ("sigma", s, ~np.isfinite(s) | (s < 0), "volatility must be finite and >= 0"),
    )
    for name, arr, bad, what in checks:
        if np.any(bad):
            where = np.flatnonzero(np.atleast_1d(bad))[:5].tolist()
            vals = np.atleast_1d(arr)[np.atleast_1d(bad)][:5].tolist()
            raise ConfigError(f"{name}: {what}; got {vals} at position(s) {where}")
    try:
        return tuple(np.broadcast_arrays(und, k, t, s))
    except ValueError:
        raise ConfigError(
            f"option inputs have incompatible shapes: {names[0]} {und.shape}, {names[1]} {k.shape}, "
            f"T {t.shape}, sigma {s.shape}"
        ) from None


def _model_carry(model: str, r: Any, q: Any) -> tuple[tuple[str, str], np.ndarray, np.ndarray]:
    """Names of the inputs, rate ``r`` and cost of carry ``b`` of ``model``.

    Black-76 is on a future (``b = 0``, ``q`` ignored); Black-Scholes on spot (``b = r - q``).
    """
    if model not in ("black76", "black_scholes"):
        raise ConfigError(f"model must be 'black76' or 'black_scholes', got {model!r}")
    rr = _values(r)
    if model == "black76":
        return ("F", "K"), rr, np.zeros_like(rr)
    return ("S", "K"), rr, rr - _values(q)


def _gbsm(
    S: np.ndarray,
    K: np.ndarray,
    T: np.ndarray,
    sigma: np.ndarray,
    r: np.ndarray,
    b: np.ndarray,
    is_call: np.ndarray,
) -> dict[str, np.ndarray]:
    """Generalised Black-Scholes-Merton value and Greeks (Haug 2007, ch. 1 and 2).

    Private kernel of :func:`greeks` (which wraps it in a :class:`Greeks`) and of the scenario
    grids: a dict of same-shaped arrays keyed ``price``, ``delta``, ``gamma``, ``vega``,
    ``theta``.
    """
    sqrt_t = np.sqrt(T)
    vol_t = sigma * sqrt_t
    carry = np.exp((b - r) * T)
    disc = np.exp(-r * T)
    with np.errstate(divide="ignore", invalid="ignore"):
        d1 = (np.log(S / K) + (b + 0.5 * sigma**2) * T) / vol_t
    # sigma = 0: the option is worth its discounted forward intrinsic value
    fwd = S * np.exp(b * T)
    zero = vol_t == 0
    d1 = np.where(zero, np.where(fwd > K, np.inf, np.where(fwd < K, -np.inf, 0.0)), d1)
    d2 = np.where(zero, d1, d1 - vol_t)
    sign = np.where(is_call, 1.0, -1.0)
    # scipy.special.ndtr: the normal cdf without scipy.stats' per-call overhead
    nd1 = ndtr(sign * d1)
    nd2 = ndtr(sign * d2)
    pdf1 = np.exp(-0.5 * d1**2) / np.sqrt(2.0 * np.pi)
    price = sign * (S * carry * nd1 - K * disc * nd2)
    delta = sign * carry * nd1
    with np.errstate(divide="ignore", invalid="ignore"):
        gamma = np.where(zero, 0.0, carry * pdf1 / (S * vol_t))
    vega = S * carry * pdf1 * sqrt_t
    with np.errstate(divide="ignore", invalid="ignore"):
        theta_vol = np.where(zero, 0.0, -S * carry * pdf1 * sigma / (2.0 * sqrt_t))
    theta = theta_vol - sign * (b - r) * S * carry * nd1 - sign * r * K * disc * nd2
    return {
        "price": price,
        "delta": delta,
        "gamma": gamma,
        "vega": vega,
        "theta": theta,
    }


def _wrap(values: np.ndarray, index: pd.Index | None, name: str) -> Any:
    if index is not None and values.ndim == 1 and len(values) == len(index):
        return pd.Series(values, index=index, name=name)
    if values.ndim == 0:
        return float(values)
    return values


def black_scholes_price(
    S: ArrayLike,
    K: ArrayLike,
    T: ArrayLike,
    sigma: ArrayLike,
    r: ArrayLike = 0.0,
    q: ArrayLike = 0.0,
    kind: Any = "call",
) -> Any:
    """Black-Scholes(-Merton) price of a European option on spot.

    Parameters
    ----------
    S, K : array_like
        Spot and strike, > 0.
    T : array_like
        Time to expiry in years, > 0.
    sigma : array_like
        Annual volatility (fraction), >= 0.
    r : array_like
        Continuously compounded risk-free rate.
    q : array_like
        Continuous carry yield (dividend yield, foreign rate); the cost of carry is ``r - q``.
    kind : str or array_like
        ``"call"``/``"put"`` (or booleans, True = call).

    Returns
    -------
    float, ndarray or Series
        The option price (same currency as ``S``).

    References
    ----------
    Hull, J. C., *Options, Futures, and Other Derivatives*, ch. "The Black-Scholes-Merton model".
    Haug, E. G. (2007), *The Complete Guide to Option Pricing Formulas*, 2nd ed., ch. 1.
    """
    index = _index_of(S, K, T, sigma)
    s, k, t, v = _check_inputs(S, K, T, sigma)
    rr, qq = _values(r), _values(q)
    out = _gbsm(s, k, t, v, rr, rr - qq, parse_kind(kind))["price"]
    return _wrap(np.asarray(out), index, "price")


def black76_price(
    F: ArrayLike,
    K: ArrayLike,
    T: ArrayLike,
    sigma: ArrayLike,
    r: ArrayLike = 0.0,
    kind: Any = "call",
) -> Any:
    """Black (1976) price of a European option on a futures or forward price ``F``.

    ``c = exp(-rT) [F N(d1) - K N(d2)]``, ``d1 = [ln(F/K) + sigma^2 T / 2] / (sigma sqrt(T))``.
    Arguments as :func:`black_scholes_price`, with ``F`` the futures price. ``r`` discounts the
    payoff (use ``r = 0`` for a premium paid at expiry or for a venue that does not discount).

    Parameters
    ----------
    F, K : array_like
        Futures (or forward) price and strike, finite and > 0, in the same currency.
    T : array_like
        Time to expiry in years, finite and > 0.
    sigma : array_like
        Annual volatility of the futures price (fraction, 0.8 = 80%), finite and >= 0; with
        ``sigma = 0`` the price is the discounted intrinsic value ``exp(-rT) max(F - K, 0)``
        (call) or ``exp(-rT) max(K - F, 0)`` (put).
    r : array_like
        Continuously compounded annual discount rate (fraction); not validated.
    kind : str, bool or array_like
        ``"call"``/``"put"`` (or ``"c"``/``"p"``, or booleans, True = call), broadcast with the
        other inputs.

    Returns
    -------
    float, ndarray or Series
        The option price in the currency of ``F``. A Series named ``"price"`` with the index of
        the first Series among ``F``, ``K``, ``T``, ``sigma`` when the result is 1-d of its
        length; a float for scalar inputs.

    Raises
    ------
    ConfigError
        If ``F``, ``K`` or ``T`` is not finite and > 0, ``sigma`` not finite and >= 0, ``kind``
        is not a call/put word, or ``F``, ``K``, ``T`` and ``sigma`` do not broadcast.

    References
    ----------
    Black, F. (1976), "The pricing of commodity contracts", *Journal of Financial Economics* 3.
    Hull, J. C., *Options, Futures, and Other Derivatives*, ch. "Futures options and Black's model".
    """
    index = _index_of(F, K, T, sigma)
    f, k, t, v = _check_inputs(F, K, T, sigma, names=("F", "K"))
    rr = _values(r)
    out = _gbsm(f, k, t, v, rr, np.zeros_like(rr), parse_kind(kind))["price"]
    return _wrap(np.asarray(out), index, "price")


@dataclass(frozen=True)
class Greeks:
    """Price and Greeks of European options (see :func:`greeks` for units).

    Each attribute has the type of the inputs of :func:`greeks`: a float for scalar inputs, an
    ndarray for arrays, a Series (named after the attribute, with the input Series' index) when
    an input is a Series.

    Attributes
    ----------
    price : float, ndarray or Series
        Option value, in the currency of the underlying.
    delta : float, ndarray or Series
        ``dV/dU`` with respect to the model's underlying (``F`` for Black-76, ``S`` for
        Black-Scholes).
    gamma : float, ndarray or Series
        ``d2V/dU2``.
    vega : float, ndarray or Series
        ``dV/dsigma`` per 1.00 of volatility (divide by 100 for a vol point).
    theta : float, ndarray or Series
        ``-dV/dT`` per year of calendar time (divide by 365 for a crypto day).
    """

    price: Any
    delta: Any
    gamma: Any
    vega: Any
    theta: Any

    def to_frame(self) -> pd.DataFrame:
        """The price and Greeks as a table, one column each (``price`` ... ``theta``).

        Returns
        -------
        DataFrame
            Indexed like the input Series if there was one; otherwise a ``RangeIndex`` (one row
            for scalar inputs).

        Raises
        ------
        ConfigError
            If the Greeks are arrays of more than one dimension (a table has one row per
            option; ravel the inputs first).
        """
        values = {f.name: getattr(self, f.name) for f in fields(self)}
        if isinstance(self.price, pd.Series):
            return pd.DataFrame(values)
        if np.ndim(self.price) > 1:
            raise ConfigError(
                f"Greeks of shape {np.shape(self.price)} do not fit one row per option; "
                "pass 1-d inputs to greeks() for a table"
            )
        return pd.DataFrame(
            {k: np.atleast_1d(np.asarray(v, dtype=float)) for k, v in values.items()}
        )


def greeks(
    underlying: ArrayLike,
    K: ArrayLike,
    T: ArrayLike,
    sigma: ArrayLike,
    r: ArrayLike = 0.0,
    q: ArrayLike = 0.0,
    kind: Any = "call",
    model: str = "black76",
) -> Greeks:
    """Price, delta, gamma, vega and theta of European options.

    Parameters
    ----------
    underlying : array_like
        Futures price ``F`` (``model="black76"``) or spot ``S`` (``model="black_scholes"``).
    K, T, sigma, r, kind
        As in :func:`black_scholes_price`.
    q : array_like
        Carry yield, Black-Scholes only (ignored by Black-76).
    model : {"black76", "black_scholes"}

    Returns
    -------
    Greeks
        ``price``, ``delta``, ``gamma``, ``vega`` (per 1.00 of volatility), ``theta`` (per year
        of calendar time, ``-dV/dT``): floats for scalar inputs, arrays for arrays, Series with
        the index of the first Series among ``underlying``, ``K``, ``T``, ``sigma``; as a table
        with :meth:`Greeks.to_frame`.

    Raises
    ------
    ConfigError
        If ``model`` is unknown, an input is out of its domain (see :func:`black76_price`), or
        the inputs do not broadcast.

    Notes
    -----
    Delta and gamma are with respect to the model's underlying (``F`` for Black-76). Vega per vol
    point is ``vega / 100``; theta per crypto day is ``theta / 365``.
    """
    index = _index_of(underlying, K, T, sigma)
    names, rr, b = _model_carry(model, r, q)
    u, k, t, v = _check_inputs(underlying, K, T, sigma, names=names)
    out = _gbsm(u, k, t, v, rr, b, parse_kind(kind))
    return Greeks(**{key: _wrap(np.asarray(val), index, key) for key, val in out.items()})


def implied_volatility(
    price: ArrayLike,
    underlying: ArrayLike,
    K: ArrayLike,
    T: ArrayLike,
    r: ArrayLike = 0.0,
    q: ArrayLike = 0.0,
    kind: Any = "call",
    model: str = "black76",
    bracket: tuple[float, float] = (1e-6, 10.0),
    xtol: float = 1e-12,
) -> Any:
    """Implied volatility by Brent's method on a bracket.

    Parameters
    ----------
    price : array_like
        Observed option prices (same currency as ``underlying``; for a Deribit premium quoted in
        coin, multiply by the underlying first, see :func:`riskkit.options.premium_to_usd`).
    underlying, K, T, r, q, kind, model
        As in :func:`greeks`.
    bracket : (float, float)
        Volatility search interval (annual fractions).
    xtol : float
        Absolute tolerance on volatility passed to :func:`scipy.optimize.brentq`.

    Returns
    -------
    float, ndarray or Series
        Implied volatilities.

    Raises
    ------
    DataError
        If a price lies outside the no-arbitrage bounds (below the discounted intrinsic value or
        above the discounted forward for a call / discounted strike for a put), naming the
        position, price and bound; or if the bracket does not contain the solution.
    """
    index = _index_of(price, underlying, K, T)
    names, rr, b = _model_carry(model, r, q)
    lo, hi = bracket
    if not 0 <= lo < hi:
        raise ConfigError(f"bracket must satisfy 0 <= low < high, got {bracket}")
    u, k, t, _ = _check_inputs(underlying, K, T, 0.0, names=names)
    p = _values(price)
    is_call = parse_kind(kind)
    p, u, k, t, rr, b, is_call = np.broadcast_arrays(p, u, k, t, rr, b, is_call)
    shape = p.shape
    p, u, k, t, rr, b, is_call = (np.atleast_1d(x).ravel() for x in (p, u, k, t, rr, b, is_call))
    disc_fwd = u * np.exp((b - rr) * t)
    disc_k = k * np.exp(-rr * t)
    lower = np.where(
        is_call, np.maximum(disc_fwd - disc_k, 0.0), np.maximum(disc_k - disc_fwd, 0.0)
    )
    upper = np.where(is_call, disc_fwd, disc_k)
    out = np.empty(p.shape)
    for i in range(p.size):
        if not np.isfinite(p[i]) or p[i] <= lower[i] or p[i] >= upper[i]:
            raise DataError(
                f"option price {p[i]:.6g} at position {i} is outside the no-arbitrage bounds "
                f"({lower[i]:.6g}, {upper[i]:.6g}) for {'call' if is_call[i] else 'put'} "
                f"{names[0]}={u[i]:.6g}, K={k[i]:.6g}, T={t[i]:.6g}: no volatility reproduces it"
            )

        def f(vol: float, i: int = i) -> float:
            one = _gbsm(
                u[i : i + 1],
                k[i : i + 1],
                t[i : i + 1],
                np.array([vol]),
                rr[i : i + 1],
                b[i : i + 1],
                is_call[i : i + 1],
            )
            return float(one["price"][0] - p[i])

        f_lo, f_hi = f(lo), f(hi)
        if f_lo * f_hi > 0:
            raise DataError(
                f"implied volatility of price {p[i]:.6g} at position {i} lies outside the "
                f"bracket {bracket}; widen it"
            )
        out[i] = brentq(f, lo, hi, xtol=xtol, maxiter=200)
    out = out.reshape(shape)
    return _wrap(out, index, "implied_vol")
