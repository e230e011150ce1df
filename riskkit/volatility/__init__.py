"""Volatility: historical estimators, GARCH-family models (via ``arch``), diagnostics, forecasts.

Historical measures take pandas objects and return pandas objects (or a float for a whole
sample); GARCH models follow ``arch``'s spec/result pattern::

    res = GarchSpec(vol="GJR", dist="t").fit(returns)
    res.params, res.half_life, res.forecast(horizon=10).aggregate_volatility
"""

from riskkit.volatility.diagnostics import (
    arch_lm,
    ljung_box,
    qq_data,
    residual_diagnostics,
    sign_bias_test,
)
from riskkit.volatility.garch import (
    GarchForecast,
    GarchResult,
    GarchSpec,
    compare,
    ewma_fallback_params,
    finite_expected_variance,
    news_impact_curve,
)
from riskkit.volatility.historical import (
    annualize,
    close_to_close,
    ewma_variance,
    ewma_volatility,
    garman_klass,
    parkinson,
    rogers_satchell,
    yang_zhang,
)
from riskkit.volatility.recursion import (
    GarchParams,
    filter_variance,
    forecast_variance,
    simulate_paths,
)

__all__ = [
    "GarchForecast",
    "GarchParams",
    "GarchResult",
    "GarchSpec",
    "annualize",
    "arch_lm",
    "close_to_close",
    "compare",
    "ewma_fallback_params",
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
