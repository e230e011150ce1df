"""Margin parameters from risk forecasts: rates, anti-procyclicality, coverage, tiers, collateral
haircuts, liquidation penalty and insurance fund, volatility regimes, stress tests and export.

The entry point for one asset is :func:`calibrate_asset` with a :class:`MarginSettings`
(:func:`margin_waterfall` lays out its steps from forecast to published rate);
:func:`build_parameter_set` and :func:`write_parameter_set` turn several calibrations into a
JSON file checked against ``riskkit/schemas/margin_parameters.schema.json``.

Sign convention: margin rates, losses, VaR and ES are positive fractions of notional.
"""

from riskkit.margin.apc import (
    APC_OPTIONS,
    APC_STRESS_METHODS,
    apc_buffer,
    apc_floor,
    apc_stressed_weight,
    apc_weighted_sample,
    cap_daily_change,
    compare_paths,
    find_stressed_period,
    historical_margin_path,
    long_lookback_margin,
    procyclicality_metrics,
    stressed_margin_path,
    weighted_sample_margin_path,
    weighted_sample_measures,
)
from riskkit.margin.calibrate import (
    AssetCalibration,
    calibrate_asset,
    default_estimator,
)
from riskkit.margin.collateral import (
    WrongWayHaircut,
    collateral_haircut,
    tail_dependence,
    wrong_way_haircut,
)
from riskkit.margin.coverage import (
    breaches,
    coverage_table,
    coverage_tests,
    informational_coverage,
    margin_period_loss,
    worst_price_loss,
)
from riskkit.margin.evaluate import evaluate_paths
from riskkit.margin.export import (
    SCHEMA_VERSION,
    build_parameter_set,
    load_parameter_set,
    schema,
    schema_path,
    to_jsonable,
    validate_parameter_set,
    write_parameter_set,
)
from riskkit.margin.layers import (
    MarginLayer,
    layer_problems,
    margin_layers,
    publish_mm,
    round_to_precision,
    screen_model_failures,
)
from riskkit.margin.liquidation import (
    AccountPaths,
    InsuranceFundResult,
    account_paths,
    insurance_fund,
    liquidation_penalty,
)
from riskkit.margin.rates import (
    TwoSidedRate,
    implied_horizon_hours,
    loss_fraction,
    max_leverage,
    round_rate,
    scale_to_horizon,
    two_sided_rate,
)
from riskkit.margin.regimes import (
    RegimeModel,
    calibrate_regimes,
    classify_regimes,
    regime_margin,
)
from riskkit.margin.settings import MarginSettings
from riskkit.margin.stress import (
    NAMED_EPISODES,
    historical_stress,
    hypothetical_stress,
    worst_windows,
)
from riskkit.margin.tiers import (
    DEFAULT_BRACKETS,
    LiquidityAddon,
    check_brackets,
    liquidity_addon,
    maintenance_amounts,
    maintenance_margin,
    tier_table,
)
from riskkit.margin.venues import (
    BINANCE_BTCUSDT_TIERS,
    VENUE_PARAMETERS,
    VenueParameters,
    binance_btcusdt_tiers,
    compare_with_venues,
    margin_horizon_curve,
    published_venue_rates,
    venue_comparison,
)
from riskkit.margin.waterfall import MarginWaterfall, margin_waterfall

__all__ = [
    "APC_OPTIONS",
    "APC_STRESS_METHODS",
    "BINANCE_BTCUSDT_TIERS",
    "DEFAULT_BRACKETS",
    "NAMED_EPISODES",
    "SCHEMA_VERSION",
    "VENUE_PARAMETERS",
    "AccountPaths",
    "AssetCalibration",
    "InsuranceFundResult",
    "LiquidityAddon",
    "MarginSettings",
    "MarginWaterfall",
    "RegimeModel",
    "TwoSidedRate",
    "VenueParameters",
    "WrongWayHaircut",
    "account_paths",
    "apc_buffer",
    "apc_floor",
    "apc_stressed_weight",
    "apc_weighted_sample",
    "binance_btcusdt_tiers",
    "breaches",
    "build_parameter_set",
    "calibrate_asset",
    "calibrate_regimes",
    "cap_daily_change",
    "check_brackets",
    "classify_regimes",
    "collateral_haircut",
    "compare_paths",
    "compare_with_venues",
    "coverage_table",
    "coverage_tests",
    "informational_coverage",
    "worst_price_loss",
    "MarginLayer",
    "margin_layers",
    "layer_problems",
    "publish_mm",
    "round_to_precision",
    "screen_model_failures",
    "default_estimator",
    "evaluate_paths",
    "find_stressed_period",
    "historical_margin_path",
    "historical_stress",
    "hypothetical_stress",
    "implied_horizon_hours",
    "insurance_fund",
    "liquidation_penalty",
    "liquidity_addon",
    "load_parameter_set",
    "long_lookback_margin",
    "loss_fraction",
    "maintenance_amounts",
    "maintenance_margin",
    "margin_horizon_curve",
    "margin_period_loss",
    "margin_waterfall",
    "max_leverage",
    "procyclicality_metrics",
    "published_venue_rates",
    "regime_margin",
    "round_rate",
    "scale_to_horizon",
    "schema",
    "schema_path",
    "stressed_margin_path",
    "tail_dependence",
    "tier_table",
    "to_jsonable",
    "two_sided_rate",
    "validate_parameter_set",
    "venue_comparison",
    "weighted_sample_margin_path",
    "weighted_sample_measures",
    "worst_windows",
    "write_parameter_set",
    "wrong_way_haircut",
]
