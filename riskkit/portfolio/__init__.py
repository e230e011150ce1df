"""Multi-asset portfolios: aligned returns, correlation (sample, EWMA, DCC), FHS VaR/ES, offsets.

* :mod:`~riskkit.portfolio.positions`: align returns on common dates (an
  :class:`AlignedReturns` with the dropped dates), notionals from quantities, portfolio P&L
  (losses are ``-pnl``).
* :mod:`~riskkit.portfolio.correlation`: sample, rolling and RiskMetrics EWMA correlation.
* :mod:`~riskkit.portfolio.dcc`: univariate filters and Engle's DCC(1,1) by two-step QMLE.
* :mod:`~riskkit.portfolio.fhs`: portfolio VaR/ES by filtered historical simulation on joint
  standardised residuals, h-day paths, optional re-correlation.
* :mod:`~riskkit.portfolio.offsets`: portfolio margin vs the sum of single-asset margins, its path
  over time (:class:`OffsetPath`), its sensitivity to correlation, and the EMIR RTS 153/2013
  Art. 27(4) cap.
"""

from riskkit.portfolio.correlation import (
    ewma_correlation,
    ewma_covariance,
    pairs_from_matrices,
    rolling_correlation,
    sample_correlation,
)
from riskkit.portfolio.dcc import (
    DCC,
    DCCCorrelationFit,
    DCCResult,
    UnivariateFilter,
    dcc_correlations,
    fit_dcc_correlation,
    fit_univariate,
    simulate_dcc,
)
from riskkit.portfolio.fhs import PortfolioRisk, portfolio_fhs, var_es
from riskkit.portfolio.offsets import (
    EMIR_MAX_REDUCTION,
    OffsetPath,
    capped_margin,
    offset_vs_correlation,
    rolling_offset,
)
from riskkit.portfolio.positions import (
    AlignedReturns,
    align_returns,
    check_notionals,
    notionals_from_quantities,
    pnl_from_quantities,
    portfolio_pnl,
)

__all__ = [
    "AlignedReturns",
    "DCC",
    "DCCCorrelationFit",
    "DCCResult",
    "EMIR_MAX_REDUCTION",
    "OffsetPath",
    "PortfolioRisk",
    "UnivariateFilter",
    "align_returns",
    "capped_margin",
    "check_notionals",
    "dcc_correlations",
    "ewma_correlation",
    "ewma_covariance",
    "fit_dcc_correlation",
    "fit_univariate",
    "notionals_from_quantities",
    "offset_vs_correlation",
    "pairs_from_matrices",
    "pnl_from_quantities",
    "portfolio_fhs",
    "portfolio_pnl",
    "rolling_correlation",
    "rolling_offset",
    "sample_correlation",
    "simulate_dcc",
    "var_es",
]
