"""Scenario-grid margin for a book of futures and options on one underlying.

A position book is a :class:`pandas.DataFrame`, one row per position, with columns

* ``instrument``: ``"future"``, ``"call"`` or ``"put"``;
* ``quantity``: signed number of underlying units (coins), positive = long;
* ``strike``, ``expiry`` (years to expiry), ``vol`` (annual implied volatility): options only.

Every scenario revalues every position in full with Black-76 (options on the future) at the
shocked underlying and volatility; the margin is the worst loss. Two grids:

* :func:`deribit_grid_margin`: price moves in evenly spaced buckets over ``+-R`` crossed with
  volatility up / unchanged / down, maintenance = 0.8 x initial (Deribit portfolio margin);
* :func:`span_margin`: CME SPAN's 16 risk-array scenarios.

:func:`calibrate_grid` sets ``R`` and the volatility range from history, and
:func:`taylor_vs_full` compares a delta(-gamma-vega) approximation with full revaluation.

P&L can be counted in USD (linear contracts) or in coin (Deribit inverse contracts:
``currency="coin"``), see :mod:`riskkit.options.inverse`.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from riskkit.exceptions import ConfigError, DataError
from riskkit.options.pricing import _gbsm, parse_kind

__all__ = [
    "DERIBIT_BTC_PRICE_RANGE",
    "GridMarginResult",
    "GridCalibration",
    "make_book",
    "book_greeks",
    "scenario_pnl",
    "deribit_grid_margin",
    "span_margin",
    "calibrate_grid",
    "taylor_vs_full",
    "var_margin",
]

_INSTRUMENTS = {"future", "call", "put"}

# Largest simple price move R of Deribit's BTC portfolio-margin grid (+-16%).
# Source: Deribit support, "Portfolio Margin".
DERIBIT_BTC_PRICE_RANGE = 0.16


def make_book(rows: list[dict]) -> pd.DataFrame:
    """Build and validate a position book.

    Parameters
    ----------
    rows : list of dict
        One dict per position with keys ``instrument`` (``"future"``, ``"call"``, ``"put"``),
        ``quantity`` (signed, in coins) and, for options, ``strike``, ``expiry`` (years) and
        ``vol`` (annual implied volatility).

    Returns
    -------
    DataFrame
        The validated book.

    Raises
    ------
    DataError
        Naming the column and rows of a bad value (unknown instrument, non-finite quantity,
        strike <= 0, expiry <= 0, negative vol).
    """
    return _check_book(pd.DataFrame(rows))


def _check_book(book: pd.DataFrame) -> pd.DataFrame:
    if not isinstance(book, pd.DataFrame):
        raise DataError(f"positions must be a DataFrame, got {type(book).__name__}")
    if book.empty:
        raise DataError("positions: the book is empty")
    missing = {"instrument", "quantity"} - set(book.columns)
    if missing:
        raise DataError(f"positions: missing column(s) {sorted(missing)}")
    book = book.copy()
    book["instrument"] = book["instrument"].astype(str).str.strip().str.lower()
    bad = ~book["instrument"].isin(_INSTRUMENTS)
    if bad.any():
        raise DataError(
            f"positions: column 'instrument' must be one of {sorted(_INSTRUMENTS)}; rows "
            f"{list(book.index[bad])} hold {book.loc[bad, 'instrument'].tolist()}"
        )
    q = pd.to_numeric(book["quantity"], errors="coerce")
    if not np.isfinite(q.to_numpy(dtype=float)).all():
        rows = list(book.index[~np.isfinite(q.to_numpy(dtype=float))])
        raise DataError(f"positions: column 'quantity' is not a finite number in rows {rows}")
    book["quantity"] = q.astype(float)
    is_opt = book["instrument"] != "future"
    if is_opt.any():
        need = {"strike", "expiry", "vol"} - set(book.columns)
        if need:
            raise DataError(f"positions: option rows need column(s) {sorted(need)}")
        for col, rule, ok in (
            ("strike", "> 0", lambda x: x > 0),
            ("expiry", "> 0 years (expired options cannot be revalued)", lambda x: x > 0),
            ("vol", ">= 0", lambda x: x >= 0),
        ):
            vals = pd.to_numeric(book.loc[is_opt, col], errors="coerce").to_numpy(dtype=float)
            good = np.isfinite(vals) & ok(vals)
            if not good.all():
                rows = list(book.index[is_opt][~good])
                raise DataError(
                    f"positions: column '{col}' must be {rule} for option rows; rows {rows} "
                    f"hold {vals[~good].tolist()}"
                )
    return book


def _check_price(underlying: float) -> float:
    try:
        u = float(underlying)
    except (TypeError, ValueError):
        raise ConfigError(f"underlying must be one positive price, got {underlying!r}") from None
    if not np.isfinite(u) or u <= 0:
        raise ConfigError(f"underlying price must be finite and > 0, got {underlying!r}")
    return u


def book_greeks(positions: pd.DataFrame, underlying: float, r: float = 0.0) -> pd.Series:
    """Aggregate value, delta, gamma, vega and theta of a book (USD, Black-76).

    Parameters
    ----------
    positions : DataFrame
        Position book (see :func:`make_book`).
    underlying : float
        Futures price ``F``.
    r : float
        Discount rate.

    Returns
    -------
    Series
        ``value``, ``delta`` (coins), ``gamma`` (per USD), ``vega`` (per 1.00 vol), ``theta``
        (per year), summed over positions with their quantities; futures add ``delta =
        quantity`` and no value.
    """
    book = _check_book(positions)
    F = _check_price(underlying)
    out = {"value": 0.0, "delta": 0.0, "gamma": 0.0, "vega": 0.0, "theta": 0.0}
    fut = book["instrument"] == "future"
    out["delta"] += float(book.loc[fut, "quantity"].sum())
    opt = book.loc[~fut]
    if len(opt):
        g = _option_values(opt, np.array([F]), np.zeros(1), 0.0, r, vega_power=0.0, full=True)
        q = opt["quantity"].to_numpy()
        for key, name in (("price", "value"), ("delta", "delta"), ("gamma", "gamma")):
            out[name] += float(q @ g[key][:, 0, 0])
        out["vega"] += float(q @ g["vega"][:, 0, 0])
        out["theta"] += float(q @ g["theta"][:, 0, 0])
    return pd.Series(out, name="book")


def _option_values(
    opt: pd.DataFrame,
    prices: np.ndarray,
    vol_shocks: np.ndarray,
    time_shift: float,
    r: float,
    vega_power: float | tuple[float, float],
    full: bool = False,
    vol_floor: float = 0.0,
) -> dict[str, np.ndarray]:
    """Option values on the (position, price, vol) cube by full Black-76 revaluation.

    Private: the dict of :func:`riskkit.options.pricing._gbsm` (only ``price`` unless ``full``),
    each array of shape (positions, prices, vol shocks).
    """
    K = opt["strike"].to_numpy(dtype=float)[:, None, None]
    T0 = opt["expiry"].to_numpy(dtype=float)
    T = np.maximum(T0 - time_shift, 1e-10)[:, None, None]
    vol0 = opt["vol"].to_numpy(dtype=float)[:, None, None]
    is_call = parse_kind(opt["instrument"].to_numpy())[:, None, None]
    # Deribit scales the relative vol shock by (30 / days to expiry) ** power: short-dated
    # implied vols move more than long-dated ones.
    days = np.maximum(T0 * 365.0, 1.0)
    if isinstance(vega_power, tuple):
        power = np.where(days < 30.0, vega_power[0], vega_power[1])
    else:
        power = np.full(days.shape, float(vega_power))
    scale = ((30.0 / days) ** power)[:, None, None]
    shocked = np.maximum(vol0 * (1.0 + vol_shocks[None, None, :] * scale), vol_floor)
    F = prices[None, :, None]
    res = _gbsm(F, K, T, shocked, np.asarray(r, dtype=float), np.zeros(1), is_call)
    return res if full else {"price": res["price"]}


def scenario_pnl(
    positions: pd.DataFrame,
    underlying: float,
    price_moves: np.ndarray,
    vol_shocks: np.ndarray = np.zeros(1),  # noqa: B008 (read-only default)
    r: float = 0.0,
    time_shift: float = 0.0,
    currency: str = "usd",
    vega_power: float | tuple[float, float] = 0.0,
) -> pd.DataFrame:
    """P&L of a book on a grid of underlying moves x volatility shocks, by full revaluation.

    Parameters
    ----------
    positions : DataFrame
        Position book (see the module docstring).
    underlying : float
        Current futures price ``F`` (USD per coin).
    price_moves : array_like
        Simple moves of the underlying: scenario price ``F (1 + m)``; each must be > -1.
    vol_shocks : array_like
        Relative implied-volatility shocks: scenario vol ``vol (1 + s (30/days)^vega_power)``,
        floored at 0.
    r : float
        Discount rate for Black-76.
    time_shift : float
        Years of calendar time that pass before the scenario (time decay, e.g. ``1/365``).
    currency : {"usd", "coin"}
        ``"usd"``: linear contracts, P&L in USD. ``"coin"``: Deribit inverse contracts, P&L in
        coin: options ``V1/F1 - V0/F0`` per unit, futures ``F0 (1/F0 - 1/F1)`` per coin of face.
    vega_power : float or (float, float)
        Term scaling of the vol shock; a pair is (power below 30 days, power from 30 days).

    Returns
    -------
    DataFrame
        P&L (positive = gain), index ``price_move``, columns ``vol_shock``.
    """
    book = _check_book(positions)
    F0 = _check_price(underlying)
    moves = np.atleast_1d(np.asarray(price_moves, dtype=float))
    shocks = np.atleast_1d(np.asarray(vol_shocks, dtype=float))
    if not np.isfinite(moves).all() or (moves <= -1).any():
        raise ConfigError(
            f"price_moves must be finite and > -1 (a price cannot fall 100%), got {moves}"
        )
    if not np.isfinite(shocks).all():
        raise ConfigError(f"vol_shocks must be finite, got {shocks}")
    if currency not in ("usd", "coin"):
        raise ConfigError(f"currency must be 'usd' or 'coin', got {currency!r}")
    if time_shift < 0:
        raise ConfigError(f"time_shift must be >= 0 years, got {time_shift}")
    prices = F0 * (1.0 + moves)
    pnl = np.zeros((moves.size, shocks.size))
    fut = book["instrument"] == "future"
    q_fut = float(book.loc[fut, "quantity"].sum())
    if currency == "usd":
        pnl += (q_fut * (prices - F0))[:, None]
    else:
        pnl += (q_fut * F0 * (1.0 / F0 - 1.0 / prices))[:, None]
    opt = book.loc[~fut]
    if len(opt):
        expired = opt["expiry"].to_numpy(dtype=float) <= time_shift
        if expired.any():
            raise ConfigError(
                f"time_shift {time_shift} years reaches the expiry of rows {list(opt.index[expired])}"
            )
        v1 = _option_values(opt, prices, shocks, time_shift, r, vega_power)["price"]
        v0 = _option_values(opt, np.array([F0]), np.zeros(1), 0.0, r, vega_power)["price"]
        q = opt["quantity"].to_numpy()[:, None, None]
        if currency == "usd":
            pnl += np.sum(q * (v1 - v0), axis=0)
        else:
            pnl += np.sum(q * (v1 / prices[None, :, None] - v0 / F0), axis=0)
    return pd.DataFrame(
        pnl,
        index=pd.Index(moves, name="price_move"),
        columns=pd.Index(shocks, name="vol_shock"),
    )


@dataclass
class GridMarginResult:
    """Margin from a scenario grid.

    Attributes
    ----------
    initial, maintenance : float
        Initial and maintenance margin (positive, in ``currency``).
    worst : Series
        The scenario giving the initial margin, named ``worst``: ``price_move``, ``vol_shock``
        and ``loss`` (weighted, positive = loss), floats.
    scenarios : DataFrame
        One row per scenario: ``price_move``, ``vol_shock``, ``weight``, ``pnl``, ``loss``
        (weighted, positive = loss).
    currency : {"usd", "coin"}
        Currency of the margins and P&L.
    method : {"deribit_grid", "span"}
        The grid that produced the result.
    params : dict
        The grid's settings as passed (for display; every number of the result is above).
    """

    initial: float
    maintenance: float
    worst: pd.Series
    scenarios: pd.DataFrame
    currency: str
    method: str
    params: dict = field(default_factory=dict)

    def summary(self) -> pd.Series:
        """The margin numbers and the worst scenario as one Series."""
        return pd.Series(
            {
                "method": self.method,
                "currency": self.currency,
                "initial": self.initial,
                "maintenance": self.maintenance,
                "worst_price_move": self.worst["price_move"],
                "worst_vol_shock": self.worst["vol_shock"],
            }
        )


def _finish(
    table: pd.DataFrame, mm_ratio: float, currency: str, method: str, params: dict
) -> GridMarginResult:
    table = table.reset_index(drop=True)
    table["loss"] = -table["pnl"] * table["weight"]
    i = int(table["loss"].to_numpy().argmax())
    initial = max(float(table["loss"].iloc[i]), 0.0)
    worst = pd.Series(
        {
            "price_move": float(table["price_move"].iloc[i]),
            "vol_shock": float(table["vol_shock"].iloc[i]),
            "loss": float(table["loss"].iloc[i]),
        },
        name="worst",
    )
    return GridMarginResult(initial, mm_ratio * initial, worst, table, currency, method, params)


def deribit_grid_margin(
    positions: pd.DataFrame,
    underlying: float,
    price_range: float = DERIBIT_BTC_PRICE_RANGE,
    steps: int = 4,
    vol_up: float = 0.5,
    vol_down: float = 0.25,
    vega_power: float | tuple[float, float] = 0.30,
    mm_ratio: float = 0.8,
    r: float = 0.0,
    time_shift: float = 0.0,
    currency: str = "usd",
) -> GridMarginResult:
    """Deribit-style portfolio margin: worst loss over price buckets x vol up/same/down.

    Parameters
    ----------
    positions : DataFrame
        Position book (see the module docstring).
    underlying : float
        Current futures price.
    price_range : float
        Largest simple price move ``R``; default :data:`DERIBIT_BTC_PRICE_RANGE` (0.16 = +-16%,
        Deribit's published BTC value).
    steps : int
        Buckets on each side of zero: ``2 * steps + 1`` evenly spaced moves over ``[-R, R]``
        (4 gives Deribit's 9 buckets including zero).
    vol_up, vol_down : float
        Relative implied-vol shocks: vol up = ``vol (1 + vol_up * (30/days)^p)``, vol down =
        ``vol (1 - vol_down * (30/days)^p)`` (floored at 0).
    vega_power : float or (float, float)
        ``p`` above; a pair gives (power below 30 days to expiry, power from 30 days).
    mm_ratio : float
        Maintenance / initial (0.8 on Deribit).
    r, time_shift, currency
        As in :func:`scenario_pnl`.

    Returns
    -------
    GridMarginResult

    Notes
    -----
    Interpretation of the published "vol range up 0.5, down 0.25": *relative* shocks to each
    option's implied volatility (vol x 1.5 and vol x 0.75 for a 30-day option), scaled by
    ``(30 / days to expiry) ** p``, the form Deribit published for its earlier portfolio margin
    model ("maximum implied volatility change of (30/days to expiration)^0.30 x 38%"). The
    extended table of large moves (-66% ... +500%, vol up only, dampened) and the contingency
    add-ons are not modelled.

    References
    ----------
    Deribit support, "Portfolio Margin" (segregated PM: +-16% for BTC in 9 buckets, volatility
    range up / same / down, maintenance = 80% of initial) and the ``private/pme/simulate`` API
    documentation.
    """
    if not 0 < price_range < 1:
        raise ConfigError(f"price_range must be in (0, 1) as a fraction, got {price_range}")
    if int(steps) != steps or steps < 1:
        raise ConfigError(f"steps must be a positive integer, got {steps}")
    if vol_up < 0 or not 0 <= vol_down <= 1:
        raise ConfigError(f"need vol_up >= 0 and 0 <= vol_down <= 1, got {vol_up}, {vol_down}")
    if not 0 < mm_ratio <= 1:
        raise ConfigError(f"mm_ratio must be in (0, 1], got {mm_ratio}")
    moves = np.linspace(-price_range, price_range, 2 * int(steps) + 1)
    shocks = np.array([vol_up, 0.0, -vol_down])
    grid = scenario_pnl(
        positions,
        underlying,
        moves,
        shocks,
        r=r,
        time_shift=time_shift,
        currency=currency,
        vega_power=vega_power,
    )
    table = grid.stack().rename("pnl").reset_index()
    table["weight"] = 1.0
    params = {
        "price_range": price_range,
        "steps": steps,
        "vol_up": vol_up,
        "vol_down": vol_down,
        "vega_power": vega_power,
        "mm_ratio": mm_ratio,
    }
    return _finish(table, mm_ratio, currency, "deribit_grid", params)


def span_margin(
    positions: pd.DataFrame,
    underlying: float,
    price_scan_range: float,
    vol_scan_range: float,
    extreme_multiple: float = 2.0,
    extreme_cover: float = 0.35,
    mm_ratio: float = 1.0,
    r: float = 0.0,
    time_shift: float = 0.0,
    currency: str = "usd",
) -> GridMarginResult:
    """SPAN scan risk: the worst loss over CME SPAN's 16 risk-array scenarios.

    Scenarios 1-14: price unchanged, up and down 1/3, 2/3 and 3/3 of the price scan range, each
    with volatility up and down by the volatility scan range; 15-16: price up and down
    ``extreme_multiple`` x the scan range with volatility unchanged, of which only
    ``extreme_cover`` (35%) of the loss counts.

    Parameters
    ----------
    positions, underlying, r, time_shift, currency
        As in :func:`scenario_pnl`.
    price_scan_range : float
        Price scan range as a simple fraction of the underlying (e.g. 0.2).
    vol_scan_range : float
        Volatility scan range, relative (0.25 = implied vols up / down by 25% of their level).
    extreme_multiple, extreme_cover : float
        Size of the two extreme moves in scan ranges and the fraction of their loss covered.
    mm_ratio : float
        Maintenance / initial (SPAN's maintenance is the scan risk; the initial is a multiple
        set by the exchange, so the default treats the scan risk as both).

    Returns
    -------
    GridMarginResult
        ``scenarios`` lists the 16 scenarios in SPAN order with their weights.

    Notes
    -----
    Only the scan risk of one combined commodity is computed: no intra-commodity spread charge,
    inter-commodity credit, short option minimum or delivery charge.

    **The extreme scenarios and an outright future.** The size of the extreme move is an
    exchange parameter of the SPAN risk-parameter file. The default, twice the scan range with
    35% of the loss covered, is the published scenario table of NSE Clearing's SPAN and agrees
    with McMillan's CME S&P 500 futures risk array (extreme-move loss 0.70 x the scan range) and
    with the statement in CME's and the FIA's SPAN descriptions that the futures price scan range
    equals the maintenance requirement of an outright position: ``0.35 * 2 = 0.70 < 1``, so the
    3/3 scenarios set an outright future's scan risk at exactly ``R F``. Some descriptions of
    CME's table use three times the scan range (``extreme_multiple=3``), under which an outright
    future's scan risk is ``0.35 * 3 * R F = 1.05 R F``.

    References
    ----------
    CME Group, "CME SPAN: Standard Portfolio Analysis of Risk" and "SPAN Methodology Overview"
    (the 16 risk-array scenarios); CME Group Client Systems Wiki, "Risk Arrays - Standard" (the
    price scan range equals the maintenance requirement). NSE Clearing, "SPAN" (risk scenarios
    15 and 16: extreme move of double the price scan range, 35% of the loss covered).
    McMillan, L. G., *Options as a Strategic Investment*, ch. on index options and futures (SPAN
    risk array of an S&P 500 future: scan range 20 points, extreme move loss 14 points).
    """
    if not 0 < price_scan_range < 1:
        raise ConfigError(f"price_scan_range must be in (0, 1), got {price_scan_range}")
    if not 0 <= vol_scan_range < 1:
        raise ConfigError(f"vol_scan_range must be in [0, 1), got {vol_scan_range}")
    if extreme_multiple * price_scan_range >= 1:
        raise ConfigError(
            f"extreme move {extreme_multiple} x {price_scan_range} is a fall of 100% or more; "
            "lower extreme_multiple or the scan range"
        )
    rows = []
    for frac in (0.0, 1 / 3, 2 / 3, 1.0):
        for direction in (1.0, -1.0) if frac else (1.0,):
            for vol in (1.0, -1.0):
                rows.append((direction * frac * price_scan_range, vol * vol_scan_range, 1.0))
    rows.append((extreme_multiple * price_scan_range, 0.0, extreme_cover))
    rows.append((-extreme_multiple * price_scan_range, 0.0, extreme_cover))
    table = pd.DataFrame(rows, columns=["price_move", "vol_shock", "weight"])
    grid = scenario_pnl(
        positions,
        underlying,
        np.unique(table["price_move"]),
        np.unique(table["vol_shock"]),
        r=r,
        time_shift=time_shift,
        currency=currency,
    )
    table["pnl"] = [
        grid.loc[m, v] for m, v in zip(table["price_move"], table["vol_shock"], strict=True)
    ]
    table.index = pd.RangeIndex(1, 17, name="scenario")
    params = {
        "price_scan_range": price_scan_range,
        "vol_scan_range": vol_scan_range,
        "extreme_multiple": extreme_multiple,
        "extreme_cover": extreme_cover,
    }
    res = _finish(table, mm_ratio, currency, "span", params)
    res.scenarios.index = pd.RangeIndex(1, 17, name="scenario")
    return res


@dataclass
class GridCalibration:
    """Grid parameters calibrated from history (see :func:`calibrate_grid`)."""

    price_range: float
    vol_up: float
    vol_down: float
    horizon: int
    quantile: float
    n_obs: int
    abs_moves: pd.Series
    vol_changes: pd.Series

    def summary(self) -> pd.Series:
        return pd.Series(
            {
                "price_range": self.price_range,
                "vol_up": self.vol_up,
                "vol_down": self.vol_down,
                "horizon": self.horizon,
                "quantile": self.quantile,
                "n_obs": self.n_obs,
            }
        )


def calibrate_grid(
    returns: pd.Series,
    horizon: int = 1,
    quantile: float = 0.995,
    lam: float = 0.94,
) -> GridCalibration:
    """Calibrate a grid's price range and volatility range from a history of log returns.

    Parameters
    ----------
    returns : Series
        Daily log returns of the underlying.
    horizon : int
        Margin period of risk in days (``h``).
    quantile : float
        Coverage ``q`` of the ranges (e.g. 0.995).
    lam : float
        RiskMetrics EWMA decay for the volatility proxy.

    Returns
    -------
    GridCalibration
        ``price_range = expm1(Q_q(|h-day log move|))`` (simple move, up side; the down move of
        the same log size is smaller, so using it on both sides is conservative);
        ``vol_up = expm1(Q_q(log(s_{t+h}/s_t)))`` and ``vol_down = -expm1(Q_{1-q}(...))``
        for the EWMA volatility ``s_t``.

    Notes
    -----
    h-day moves overlap (one per day), so the effective sample is about ``n / h``. The bundled
    data has no implied volatilities: the volatility range uses the change in a realised
    (EWMA) volatility as a proxy. Implied vols move less than a short-window realised vol in
    calm markets and can jump more at the onset of a crash; replace the proxy with an implied
    volatility history (e.g. DVOL) when one is available.
    """
    from riskkit._validation import as_return_series, check_horizon, check_level
    from riskkit.volatility.historical import ewma_filter

    h = int(check_horizon(horizon))
    q = check_level(quantile, "quantile")
    if not 0 < lam < 1:
        raise ConfigError(f"lam must be in (0, 1), got {lam}")
    r = as_return_series(returns, min_obs=max(30, 3 * h))
    moves = r.rolling(h).sum().dropna()
    abs_moves = moves.abs()
    price_range = float(np.expm1(np.quantile(abs_moves.to_numpy(), q)))
    # RiskMetrics variance with zero mean, seeded with the first 30 days' mean square; the value
    # on day t uses returns before t (riskkit.volatility.ewma_filter, forecast form)
    x2 = r.to_numpy() ** 2
    var = ewma_filter(x2, lam, x2[:30].mean())[:-1]
    vol = pd.Series(np.sqrt(var), index=r.index, name="ewma_vol")
    changes = np.log(vol.shift(-h) / vol).dropna()
    vol_up = float(np.expm1(np.quantile(changes.to_numpy(), q)))
    vol_down = float(-np.expm1(np.quantile(changes.to_numpy(), 1 - q)))
    return GridCalibration(
        price_range=price_range,
        vol_up=vol_up,
        vol_down=vol_down,
        horizon=h,
        quantile=q,
        n_obs=int(len(abs_moves)),
        abs_moves=abs_moves.rename("abs_log_move"),
        vol_changes=changes.rename("log_vol_change"),
    )


def taylor_vs_full(
    positions: pd.DataFrame,
    underlying: float,
    price_moves: np.ndarray,
    vol_shock: float = 0.0,
    r: float = 0.0,
) -> pd.DataFrame:
    """Delta, delta-gamma and delta-gamma-vega P&L against full revaluation (USD).

    Parameters
    ----------
    positions : DataFrame
        Position book.
    underlying : float
        Current futures price ``F``.
    price_moves : array_like
        Simple moves ``m``; the futures price changes by ``dF = F m``.
    vol_shock : float
        Relative vol shock applied to every option (``dvol = vol * vol_shock``), no term scaling.
    r : float
        Discount rate.

    Returns
    -------
    DataFrame
        Index ``price_move``; columns ``full``, ``delta``, ``delta_gamma``, ``delta_gamma_vega``
        (P&L, positive = gain) and ``error_delta``, ``error_delta_gamma``,
        ``error_delta_gamma_vega`` (approximation minus full).

    Notes
    -----
    ``delta P&L = D dF``; ``delta-gamma = D dF + G dF^2 / 2``; ``+ sum_i q_i vega_i dvol_i``.
    The delta-gamma error is third order in the move. For a short straddle the quadratic
    over-states the loss of large moves (gamma falls away from the strike, so the true P&L
    becomes linear in the move) while the delta view misses the loss altogether.
    """
    book = _check_book(positions)
    F = _check_price(underlying)
    moves = np.atleast_1d(np.asarray(price_moves, dtype=float))
    full = scenario_pnl(book, F, moves, np.array([vol_shock]), r=r).iloc[:, 0].to_numpy()
    g = book_greeks(book, F, r)
    dF = F * moves
    opt = book.loc[book["instrument"] != "future"]
    vega_term = 0.0
    if len(opt):
        q = opt["quantity"].to_numpy()
        per = _gbsm(
            np.full(len(opt), F),
            opt["strike"].to_numpy(float),
            opt["expiry"].to_numpy(float),
            opt["vol"].to_numpy(float),
            np.asarray(r, dtype=float),
            np.zeros(1),
            parse_kind(opt["instrument"].to_numpy()),
        )
        vega_term = float(np.sum(q * per["vega"] * opt["vol"].to_numpy(float) * vol_shock))
    delta = g["delta"] * dF
    dg = delta + 0.5 * g["gamma"] * dF**2
    dgv = dg + vega_term
    out = pd.DataFrame(
        {"full": full, "delta": delta, "delta_gamma": dg, "delta_gamma_vega": dgv},
        index=pd.Index(moves, name="price_move"),
    )
    for col in ("delta", "delta_gamma", "delta_gamma_vega"):
        out[f"error_{col}"] = out[col] - out["full"]
    return out


def var_margin(
    positions: pd.DataFrame,
    underlying: float,
    log_returns: np.ndarray | pd.Series,
    levels: float | list[float] = 0.99,
    vol_shocks: np.ndarray | pd.Series | None = None,
    r: float = 0.0,
    time_shift: float = 0.0,
    currency: str = "usd",
) -> pd.DataFrame:
    """VaR and ES of a book by full revaluation over simulated (or historical) moves.

    Parameters
    ----------
    positions : DataFrame
        Position book.
    underlying : float
        Current futures price.
    log_returns : array_like
        Scenario log returns of the underlying over the margin horizon (e.g. the
        ``simulated_returns`` column of :func:`riskkit.portfolio.portfolio_fhs`).
    levels : float or list
        Confidence levels.
    vol_shocks : array_like, optional
        Relative implied-vol shock per scenario (same length as ``log_returns``); none by
        default (implied vols unchanged).
    r, time_shift, currency
        As in :func:`scenario_pnl`.

    Returns
    -------
    DataFrame
        Index ``level``; columns ``var`` and ``es`` (positive losses in ``currency``).
    """
    from riskkit._validation import check_levels
    from riskkit.portfolio.fhs import var_es

    lv = check_levels(levels)
    x = np.asarray(log_returns, dtype=float).ravel()
    if x.size < 100 or not np.isfinite(x).all():
        raise DataError(f"log_returns must hold >= 100 finite scenarios, got {x.size}")
    moves = np.expm1(x)
    if vol_shocks is None:
        pnl = scenario_pnl(positions, underlying, moves, np.zeros(1), r, time_shift, currency)
        pnl = pnl.iloc[:, 0].to_numpy()
    else:
        v = np.asarray(vol_shocks, dtype=float).ravel()
        if v.shape != x.shape:
            raise DataError(f"vol_shocks has {v.size} scenarios, log_returns {x.size}")
        # revalue scenario by scenario on a shared grid of unique vol shocks would be costly;
        # group by shock value instead (scenarios usually share a few vol levels)
        pnl = np.empty(x.size)
        for shock in np.unique(v):
            sel = v == shock
            pnl[sel] = (
                scenario_pnl(
                    positions, underlying, moves[sel], np.array([shock]), r, time_shift, currency
                )
                .iloc[:, 0]
                .to_numpy()
            )
    res = var_es(-pnl, lv)
    return pd.DataFrame(res, index=pd.Index(lv, name="level"), columns=["var", "es"])
