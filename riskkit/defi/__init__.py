"""DeFi lending risk parameters: bad debt of a loan book, LTV / liquidation threshold / bonus and
caps chosen to a bad-debt target, moved within Aave's Risk Steward limits.

* :mod:`~riskkit.defi.settings`: :class:`LendingSettings` (every default of the simulation and
  the search), :class:`StewardLimits`, :class:`ReserveParameters` and the published Aave v3
  values :data:`AAVE_V3_ETHEREUM`.
* :mod:`~riskkit.defi.lending`: price paths from the risk model (filtered historical simulation),
  the loan book, the liquidation engine and bad-debt VaR, the parameter proposal and the
  supply-cap search.
* :mod:`~riskkit.defi.steward`: the path of bounded updates from current to proposed values.
* :mod:`~riskkit.defi.parameter_sets`: the ``lending`` section of a calibration configuration
  (:class:`LendingSpec`) and the ``lending_parameter_sets`` section of the parameter file
  (:func:`lending_parameter_sets`, in Aave v3's on-chain fields).
"""

from riskkit.defi.lending import (
    BadDebtResult,
    LendingProposal,
    LoanBook,
    PricePaths,
    bad_debt_var,
    fhs_price_paths,
    liquidity_supply_cap,
    make_loan_book,
    propose_parameters,
    simulate_bad_debt,
    step_capacity,
    supply_cap_search,
)
from riskkit.defi.parameter_sets import (
    LendingPair,
    LendingSpec,
    lending_parameter_sets,
    lending_table,
)
from riskkit.defi.settings import (
    AAVE_V3_ETHEREUM,
    LendingSettings,
    ReserveParameters,
    StewardLimits,
)
from riskkit.defi.steward import StewardPath, steps_needed, steward_path, within_limits

__all__ = [
    "AAVE_V3_ETHEREUM",
    "BadDebtResult",
    "LendingPair",
    "LendingProposal",
    "LendingSettings",
    "LendingSpec",
    "LoanBook",
    "PricePaths",
    "ReserveParameters",
    "StewardLimits",
    "StewardPath",
    "bad_debt_var",
    "fhs_price_paths",
    "lending_parameter_sets",
    "lending_table",
    "liquidity_supply_cap",
    "make_loan_book",
    "propose_parameters",
    "simulate_bad_debt",
    "step_capacity",
    "steps_needed",
    "steward_path",
    "supply_cap_search",
    "within_limits",
]
