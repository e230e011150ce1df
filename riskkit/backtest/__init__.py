"""Rolling VaR/ES forecasts, VaR and ES backtests, forecast scoring, summary tables and plots."""

from riskkit.backtest.compare import mcs_block_size, rank_models
from riskkit.backtest.es_tests import (
    acerbi_szekely_test,
    mcneil_frey_test,
    unconditional_critical_values,
    unconditional_es_test,
    z1_statistic,
    z2_statistic,
)
from riskkit.backtest.plotting import plot_backtest
from riskkit.backtest.rolling import forecast_columns, rolling_forecast
from riskkit.backtest.scoring import diebold_mariano, fz0_loss, quantile_loss
from riskkit.backtest.summary import (
    VarBacktest,
    backtest_summary,
    forecast_levels,
    table_horizon,
    var_backtest,
)
from riskkit.backtest.var_tests import (
    TestResult,
    TrafficLight,
    binomial_test,
    christoffersen_cc,
    christoffersen_independence,
    duration_test,
    failures,
    haas_tbf,
    kupiec_pof,
    traffic_light,
    traffic_light_table,
    tuff_test,
)

__all__ = [
    "rolling_forecast",
    "forecast_columns",
    "TestResult",
    "TrafficLight",
    "VarBacktest",
    "failures",
    "traffic_light",
    "traffic_light_table",
    "binomial_test",
    "kupiec_pof",
    "tuff_test",
    "christoffersen_independence",
    "christoffersen_cc",
    "haas_tbf",
    "duration_test",
    "z1_statistic",
    "z2_statistic",
    "acerbi_szekely_test",
    "unconditional_es_test",
    "unconditional_critical_values",
    "mcneil_frey_test",
    "quantile_loss",
    "fz0_loss",
    "diebold_mariano",
    "rank_models",
    "mcs_block_size",
    "var_backtest",
    "backtest_summary",
    "forecast_levels",
    "table_horizon",
    "plot_backtest",
]
