"""Options on crypto futures: prices, Greeks, implied volatility, inverse contracts, grid margin.

* :mod:`~riskkit.options.pricing`: Black-76 and Black-Scholes prices, Greeks (a :class:`Greeks`;
  vega per 1.00 of volatility, theta per year), implied volatility by Brent's method.
* :mod:`~riskkit.options.inverse`: Deribit's coin-margined conventions (premium in coin, inverse
  futures P&L).
* :mod:`~riskkit.options.scenarios`: full-revaluation scenario grids (Deribit-style portfolio
  margin, CME SPAN's 16 scenarios), their calibration from history, and delta-gamma-vega
  approximations against full revaluation.
"""

from riskkit.options.inverse import (
    inverse_future_pnl,
    linear_future_pnl,
    premium_to_coin,
    premium_to_usd,
)
from riskkit.options.pricing import (
    Greeks,
    black76_price,
    black_scholes_price,
    greeks,
    implied_volatility,
    parse_kind,
)
from riskkit.options.scenarios import (
    DERIBIT_BTC_PRICE_RANGE,
    GridCalibration,
    GridMarginResult,
    book_greeks,
    calibrate_grid,
    deribit_grid_margin,
    make_book,
    scenario_pnl,
    span_margin,
    taylor_vs_full,
    var_margin,
)

__all__ = [
    "DERIBIT_BTC_PRICE_RANGE",
    "GridCalibration",
    "Greeks",
    "GridMarginResult",
    "black76_price",
    "black_scholes_price",
    "book_greeks",
    "calibrate_grid",
    "deribit_grid_margin",
    "greeks",
    "implied_volatility",
    "inverse_future_pnl",
    "linear_future_pnl",
    "make_book",
    "parse_kind",
    "premium_to_coin",
    "premium_to_usd",
    "scenario_pnl",
    "span_margin",
    "taylor_vs_full",
    "var_margin",
]
