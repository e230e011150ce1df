"""Settings of the DeFi lending simulation and of the Risk Steward limits: the one table of defaults.

:class:`LendingSettings` holds every default of :mod:`riskkit.defi.lending` (price paths, loan
book, liquidation mechanics, bad-debt targets, parameter search); :class:`StewardLimits` holds
the largest change Aave's Risk Stewards may make per update; :class:`ReserveParameters` is a set
of collateral parameters (LTV, liquidation threshold, liquidation bonus, caps) as a protocol
stores them.

Units: LTV, liquidation threshold (LT) and liquidation bonus are fractions (0.83 for 83%);
the bonus is the *extra* collateral a liquidator receives (0.05 for Aave's on-chain 10500).
Amounts are in USD; hours are wall-clock hours (UTC, 24 per day).

References
----------
Chaos Labs, risk-parameter and supply-cap methodology posts on governance.aave.com (2023): VaR
= 95th and extreme VaR = 99th percentile of 24-hour protocol bad debt; supply caps by binary
search to a target loss (their example: 400,000 USD).
BGD Labs, ``RiskStewardPhase2.md`` in github.com/bgd-labs/aave-proposals-v3 (2024-08): per 3
days at most +-0.25% absolute on LTV and liquidation threshold, +-0.5% on the liquidation
bonus, +-100% relative on supply and borrow caps.
Aave v3 ``PoolConfigurator.configureReserveAsCollateral`` (github.com/aave/aave-v3-core): LTV <=
LT and LT x (1 + bonus) <= 1, so that a liquidation never leaves the position less healthy.
Aave v3 ``LiquidationLogic`` (aave-v3-core): close factor 50%, 100% below health factor 0.95.
"""

from __future__ import annotations

import math
from typing import Annotated

from pydantic import model_validator

from riskkit._settings import Choice, Float, Int, Range, SettingsModel, problem
from riskkit.exceptions import ConfigError

__all__ = [
    "AAVE_FIELDS",
    "AAVE_V3_ETHEREUM",
    "LendingSettings",
    "ReserveParameters",
    "StewardLimits",
]

Fraction = Annotated[Float, Range(0, 1, lo_open=True, hi_open=True)]
UnitFraction = Annotated[Float, Range(0, 1, lo_open=True)]
NonNegative = Annotated[Float, Range(0)]
Positive = Annotated[Float, Range(0, lo_open=True)]


class ReserveParameters(SettingsModel):
    """Collateral parameters of one reserve as a lending protocol stores them.

    ``ltv`` (loan-to-value: the most a position may borrow, per unit of collateral value),
    ``liquidation_threshold`` (a position is liquidatable once debt exceeds this fraction of its
    collateral value), ``liquidation_bonus`` (extra collateral a liquidator receives, 0.05 =
    5%); optional ``supply_cap`` and ``borrow_cap`` in USD. ``source`` and ``as_of`` say where
    and when published values were read.
    """

    ltv: Fraction
    """Loan-to-value, a fraction (0.805 for 80.5%)."""
    liquidation_threshold: Fraction
    """Liquidation threshold, a fraction; must be >= ltv."""
    liquidation_bonus: Annotated[Float, Range(0, 1, hi_open=True)]
    """Liquidation bonus, a fraction (0.05 = 5%); LT x (1 + bonus) must not exceed 1."""
    supply_cap: Positive | None = None
    """Supply cap in USD of collateral (None: not set)."""
    borrow_cap: Positive | None = None
    """Borrow cap in USD of debt (None: not set)."""
    source: str = ""
    """Where the values come from."""
    as_of: str = ""
    """Date the values were published or read."""

    @model_validator(mode="after")
    def _consistent(self) -> ReserveParameters:
        if self.ltv > self.liquidation_threshold:
            raise problem(
                f"ltv {self.ltv:g} exceeds liquidation_threshold {self.liquidation_threshold:g}"
            )
        if self.liquidation_threshold * (1 + self.liquidation_bonus) > 1 + 1e-12:
            raise problem(
                f"liquidation_threshold x (1 + liquidation_bonus) = "
                f"{self.liquidation_threshold * (1 + self.liquidation_bonus):.4f} exceeds 1 "
                "(Aave v3 PoolConfigurator rejects it: a liquidation would leave the position "
                "less healthy)"
            )
        return self

    def to_aave(self, price: float, debt_price: float = 1.0) -> dict[str, int | None]:
        """These parameters in Aave v3's own on-chain fields and units.

        ``ltv`` and ``liquidationThreshold`` in basis points (8050 for 80.5%),
        ``liquidationBonus`` in basis points *including* the repaid amount (10500 for a 5%
        bonus), as ``AaveProtocolDataProvider.getReserveConfigurationData`` returns them;
        ``supplyCap`` and ``borrowCap`` in whole tokens (``getReserveCaps``): the USD caps
        divided by the collateral's ``price`` and the debt's ``debt_price``, rounded down (a
        cap never exceeds its USD value; at least 1 token, as Aave's 0 means no cap). A cap
        not set is None.
        """
        if not price > 0 or not debt_price > 0:
            raise ConfigError(f"prices must be > 0, got {price!r} and {debt_price!r}")

        def tokens(usd: float | None, px: float) -> int | None:
            return None if usd is None else max(1, math.floor(usd / px))

        return {
            "ltv": round(self.ltv * BP),
            "liquidationThreshold": round(self.liquidation_threshold * BP),
            "liquidationBonus": BP + round(self.liquidation_bonus * BP),
            "supplyCap": tokens(self.supply_cap, price),
            "borrowCap": tokens(self.borrow_cap, debt_price),
        }


#: Aave stores rates in basis points (PercentageMath: 10,000 = 100%)
BP = 10_000
#: riskkit's field of :class:`ReserveParameters` behind each of Aave's on-chain fields
AAVE_FIELDS: dict[str, str] = {
    "ltv": "ltv",
    "liquidationThreshold": "liquidation_threshold",
    "liquidationBonus": "liquidation_bonus",
    "supplyCap": "supply_cap",
    "borrowCap": "borrow_cap",
}


#: Aave v3 Ethereum market, collateral parameters of WETH and WBTC as published on-chain.
#: Source: BGD Labs configuration-snapshot reports of the Aave v3 Ethereum pool in
#: github.com/bgd-labs/aave-proposals-v3 (``reports/`` folder), snapshot of 2023-10-31.
#: Caps are not included (they change weekly; pass them when known).
AAVE_V3_ETHEREUM: dict[str, ReserveParameters] = {
    "WETH": ReserveParameters(
        ltv=0.805,
        liquidation_threshold=0.83,
        liquidation_bonus=0.05,
        source="Aave v3 Ethereum on-chain configuration, BGD Labs aave-proposals-v3 report",
        as_of="2023-10-31",
    ),
    "WBTC": ReserveParameters(
        ltv=0.73,
        liquidation_threshold=0.78,
        liquidation_bonus=0.05,
        source="Aave v3 Ethereum on-chain configuration, BGD Labs aave-proposals-v3 report",
        as_of="2023-10-31",
    ),
}


class StewardLimits(SettingsModel):
    """Largest change per Risk Steward update (BGD Labs, RiskStewardPhase2.md, 2024-08).

    Absolute limits are in fractions (0.0025 = 0.25 percentage points); ``cap_relative`` is a
    fraction of the current cap (1.0 = +-100%).
    """

    ltv: Positive = 0.0025
    """Largest absolute change of the LTV per update (0.25%)."""
    liquidation_threshold: Positive = 0.0025
    """Largest absolute change of the liquidation threshold per update (0.25%)."""
    liquidation_bonus: Positive = 0.005
    """Largest absolute change of the liquidation bonus per update (0.5%)."""
    cap_relative: Positive = 1.0
    """Largest relative change of a supply or borrow cap per update (1.0 = 100%)."""
    days_between_updates: Positive = 3.0
    """Minimum days between two updates of the same parameter."""


class LendingSettings(SettingsModel):
    """Settings of the loan-book simulation and the parameter search; every field is checked.

    Build with keywords (``LendingSettings(n_sims=5000, delay_hours=1)``). A bad value raises one
    :class:`~riskkit.exceptions.ConfigError` listing every problem.
    """

    # price paths
    horizon_hours: Annotated[Int, Range(1, 720)] = 24
    """Horizon of the bad-debt distribution in hours (Chaos Labs: 24)."""
    step_hours: Annotated[Float, Range(0, 24, lo_open=True)] = 1.0
    """Time step of the simulated price path and of the liquidation engine, in hours; must
    divide 24."""
    n_sims: Annotated[Int, Range(100)] = 2000
    """Number of simulated price paths."""
    seed: Annotated[Int, Range(0)] = 0
    """Seed of the price paths and of the loan book (same seed, same numbers)."""
    garch_vol: Annotated[str, Choice(("GARCH", "GJR"))] = "GJR"
    """Variance recursion of the GARCH filter behind the filtered historical simulation."""
    garch_dist: Annotated[str, Choice(("normal", "t"))] = "t"
    """Innovation distribution used to estimate the GARCH filter."""
    window: Annotated[Int, Range(250)] = 1000
    """Daily returns (ending at the as-of date) the GARCH filter is fitted on."""
    stress_quantile: Annotated[Float, Range(0, 1)] | None = 0.99
    """Stressed start of the price paths: the first simulated day's variance is the larger of
    the model's forecast and this quantile of the filter's conditional variances over the
    fitted window (None: the forecast only). Parameters stay in force for weeks and the Risk
    Steward can lower an LT by only 0.25 points per 3 days, so they must hold in a stressed
    market, not only on the as-of day: Chaos Labs stress-tests caps on historical stress
    trajectories (supply-cap methodology, governance.aave.com/t/12842, 2023), and EMIR RTS
    153/2013 Art. 28(1)(b) makes CCP margins give weight to stressed observations of the
    lookback. With None the 24 h VaR is conditional on the as-of day alone and gives far
    higher LTs than Aave's in calm markets."""

    # loan book
    n_positions: Annotated[Int, Range(1)] = 50
    """Number of borrowing positions in the simulated book."""
    utilisation_low: UnitFraction = 0.75
    """Smallest share of its borrowing power (LTV x collateral) a position uses; shares are
    uniform between utilisation_low and 1, so the riskiest positions open at the LTV."""
    size_tail: Annotated[Float, Range(0.5, 10)] = 1.5
    """Pareto tail index of position sizes (smaller: a few whales hold more of the book)."""

    # liquidation
    delay_hours: NonNegative = 0.0
    """Hours between a position becoming liquidatable and its liquidation (keeper latency)."""
    participation: UnitFraction = 0.1
    """Largest share of the daily traded value liquidators sell per day (liquidation speed)."""
    impact_k: NonNegative = 1.0
    """Square-root impact coefficient Y: selling q USD costs Y sigma sqrt(q / ADV) (Toth et al.
    2011; :func:`riskkit.margin.tiers.liquidity_addon`). Liquidators only sell while the impact
    stays below the bonus, bonus / (1 + bonus)."""
    close_factor: UnitFraction = 0.5
    """Largest share of a position's debt repaid per step while its health factor is at or
    above full_close_hf (Aave v3: 50%)."""
    full_close_hf: Annotated[Float, Range(0, 1, lo_open=True)] = 0.95
    """Below this health factor the whole debt may be repaid at once (Aave v3: 0.95)."""

    # targets (Chaos Labs)
    var_level: Fraction = 0.95
    """Level of the bad-debt VaR (Chaos Labs: 95th percentile of 24 h bad debt)."""
    extreme_var_level: Fraction = 0.99
    """Level of the extreme VaR (Chaos Labs: 99th percentile)."""
    var_target: NonNegative = 0.0005
    """Largest VaR of 24 h bad debt accepted, as a fraction of the book's debt (riskkit's
    choice: Chaos Labs publishes the measure, not a fixed target; they trade bad debt against
    borrow usage)."""
    extreme_var_target: NonNegative = 0.002
    """Largest extreme VaR of 24 h bad debt accepted, as a fraction of the book's debt
    (riskkit's choice, as ``var_target``)."""
    cap_target_usd: Positive = 400_000.0
    """Target loss of the cap search: the supply cap is the largest supply whose extreme VaR
    of bad debt stays below it (Chaos Labs' example K = 400,000 USD)."""

    # search
    lt_min: Fraction = 0.5
    """Lowest liquidation threshold searched."""
    lt_max: Fraction = 0.95
    """Highest liquidation threshold searched."""
    grid_step: Annotated[Float, Range(0.0001, 0.05)] = 0.0025
    """Grid of the LT search (0.0025: the steward step)."""
    bonus_grid: tuple[Annotated[Float, Range(0, 0.5)], ...] = (0.025, 0.05, 0.075, 0.1)
    """Liquidation bonuses tried; the proposal takes the one allowing the highest LT (the
    smallest on a tie)."""
    ltv_buffer: Annotated[Float, Range(0, 0.5)] | None = None
    """LT - LTV of the proposal (None: keep the current reserve's buffer)."""
    cap_extreme_drop: Fraction = 0.15
    """Price drop of Chaos Labs' liquidity bound on the supply cap (their "extreme drop":
    15% for large caps above 20 bn USD, 35% for 2-20 bn, 50% below; Chaos Labs, Updated
    Supply and Borrow Cap Methodology, governance.aave.com/t/11602, 2023-02). The supply cap
    is at most the supply whose collateral seized after this drop can be sold at once with a
    square-root impact below the bonus."""
    cap_search_max_adv: Annotated[Float, Range(0, lo_open=True)] = 10.0
    """Upper end of the supply-cap search as a multiple of the collateral's daily traded value;
    a cap that the loss target and the liquidity bound leave above it is reported as not
    binding (``supply_cap`` None), never as a number."""

    @model_validator(mode="after")
    def _check(self) -> LendingSettings:
        steps_per_day = 24.0 / self.step_hours
        if abs(steps_per_day - round(steps_per_day)) > 1e-9:
            raise problem(f"step_hours must divide 24, got {self.step_hours:g}")
        n = self.horizon_hours / self.step_hours
        if abs(n - round(n)) > 1e-9:
            raise problem(
                f"horizon_hours {self.horizon_hours} is not a multiple of step_hours "
                f"{self.step_hours:g}"
            )
        if self.horizon_hours % 24:
            raise problem(
                f"horizon_hours must be whole days (multiple of 24) with daily data, got "
                f"{self.horizon_hours}"
            )
        if self.lt_min >= self.lt_max:
            raise problem(f"lt_min {self.lt_min:g} must be below lt_max {self.lt_max:g}")
        if self.var_level >= self.extreme_var_level:
            raise problem("var_level must be below extreme_var_level")
        if not self.bonus_grid:
            raise problem("bonus_grid must not be empty")
        return self
