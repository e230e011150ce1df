"""VaR and Expected Shortfall estimators (losses and VaR/ES are positive numbers).

Every estimator implements :class:`riskkit.risk.base.RiskEstimator`: ``fit`` (expensive,
warm-startable), ``forecast`` with fixed parameters on a (possibly longer) window, and the pandas
convenience ``estimate``.
"""

from riskkit.risk.base import RiskEstimator, RiskForecast
from riskkit.risk.bootstrap import BootstrapCI, bootstrap_ci
from riskkit.risk.closed_form import (
    empirical_var_es,
    normal_var_es,
    student_t_var_es,
    weighted_var_es,
)
from riskkit.risk.evt import EVTParams, EVTPeaksOverThreshold, gpd_tail_var_es
from riskkit.risk.fast_garch import FastGarch
from riskkit.risk.historical import FilteredHistoricalSimulation, HistoricalSimulation
from riskkit.risk.parametric import (
    CornishFisher,
    CornishFisherParams,
    GarchParametric,
    IIDParams,
    Parametric,
)

__all__ = [
    "BootstrapCI",
    "CornishFisher",
    "CornishFisherParams",
    "EVTParams",
    "EVTPeaksOverThreshold",
    "FastGarch",
    "FilteredHistoricalSimulation",
    "GarchParametric",
    "HistoricalSimulation",
    "IIDParams",
    "Parametric",
    "RiskEstimator",
    "RiskForecast",
    "bootstrap_ci",
    "empirical_var_es",
    "gpd_tail_var_es",
    "normal_var_es",
    "student_t_var_es",
    "weighted_var_es",
]
