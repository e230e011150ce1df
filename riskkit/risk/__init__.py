"""VaR and Expected Shortfall estimators (losses and VaR/ES are positive numbers)."""

from riskkit.risk.base import RiskEstimator, RiskForecast

__all__ = ["RiskEstimator", "RiskForecast"]
