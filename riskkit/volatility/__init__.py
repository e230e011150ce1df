"""Volatility: historical estimators, GARCH-family models (riskkit or ``arch`` fits), diagnostics.

Historical measures take pandas objects and return pandas objects (or a float for a whole
sample); GARCH models follow ``arch``'s spec/result pattern::

    res = GarchSpec(vol="GJR", dist="t").fit(returns)             # or backend="arch"
    res.params, res.half_life, res.forecast(horizon=10).aggregate_volatility

Layout: :mod:`~riskkit.volatility.processes` (one class per variance recursion),
:mod:`~riskkit.volatility.distributions` (innovations, from ``arch``'s distributions),
:mod:`~riskkit.volatility.recursion` (the parameter class and the filter, forecast and
simulation functions), :mod:`~riskkit.volatility.garch` (spec, estimation, scaling rule, comparison),
:mod:`~riskkit.volatility.result` (fitted result, forecasts, summary),
:mod:`~riskkit.volatility.fast` (the analytic-gradient optimiser backend),
:mod:`~riskkit.volatility.historical` (EWMA and range estimators). Nothing here imports
:mod:`riskkit.risk`.
"""

from riskkit.volatility.diagnostics import (
    arch_lm,
    ljung_box,
    qq_data,
    residual_diagnostics,
    sign_bias_test,
)
from riskkit.volatility.distributions import Innovation
from riskkit.volatility.garch import (
    GarchComparison,
    GarchForecast,
    GarchResult,
    GarchSpec,
    GarchSummary,
    choose_scale,
    compare,
    ewma_fallback_params,
    finite_expected_variance,
    news_impact_curve,
)
from riskkit.volatility.historical import (
    annualize,
    close_to_close,
    ewma_filter,
    ewma_variance,
    ewma_volatility,
    garman_klass,
    parkinson,
    rogers_satchell,
    yang_zhang,
)
from riskkit.volatility.processes import APARCH, EGARCH, GARCH, GJR, PROCESSES, VolatilityProcess
from riskkit.volatility.recursion import (
    GarchParams,
    backcast,
    filter_variance,
    forecast_variance,
    simulate_paths,
)

__all__ = [
    "APARCH",
    "EGARCH",
    "GARCH",
    "GJR",
    "PROCESSES",
    "GarchComparison",
    "GarchForecast",
    "GarchParams",
    "GarchResult",
    "GarchSpec",
    "GarchSummary",
    "Innovation",
    "VolatilityProcess",
    "annualize",
    "arch_lm",
    "backcast",
    "choose_scale",
    "close_to_close",
    "compare",
    "ewma_fallback_params",
    "ewma_filter",
    "ewma_variance",
    "ewma_volatility",
    "filter_variance",
    "finite_expected_variance",
    "forecast_variance",
    "garman_klass",
    "ljung_box",
    "news_impact_curve",
    "parkinson",
    "qq_data",
    "residual_diagnostics",
    "rogers_satchell",
    "sign_bias_test",
    "simulate_paths",
    "yang_zhang",
]
