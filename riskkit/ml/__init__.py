"""Machine-learning challengers of the VaR/ES margin models, conformal recalibration and the
champion/challenger protocol (issue 14).

* :mod:`riskkit.ml.features`: features built from data before the forecast date only;
* :mod:`riskkit.ml.quantile`: quantile regression forest, gradient-boosted and linear quantile
  regression as :class:`riskkit.risk.base.RiskEstimator` objects (ES from tail quantiles);
* :mod:`riskkit.ml.conformal`: adaptive conformal inference (ACI, FACI) on any forecast path;
* :mod:`riskkit.ml.protocol`: every model on the same rolling windows, scored, ranked, and the
  selected model's margin (imported on its own: ``from riskkit.ml.protocol import
  run_challengers``);
* :mod:`riskkit.ml.config`: the challenger configuration file of ``riskkit challengers``.
"""

from riskkit.ml.conformal import (
    FACI_GAMMAS,
    ConformalPath,
    ConformalResult,
    aci_multipliers,
    conformal_quantile,
    conformal_recalibrate,
)
from riskkit.ml.features import (
    RETURN_FEATURES,
    FeatureSpec,
    bar_features,
    feature_frame,
    realized_volatility,
    targets,
    window_features,
)
from riskkit.ml.quantile import (
    HAR_FEATURES,
    GradientBoostedQuantiles,
    LinearQuantileRegression,
    MLParams,
    QuantileForest,
    QuantileModel,
    es_from_quantiles,
    tail_levels,
)

__all__ = [
    "FACI_GAMMAS",
    "ConformalPath",
    "ConformalResult",
    "aci_multipliers",
    "conformal_quantile",
    "conformal_recalibrate",
    "HAR_FEATURES",
    "RETURN_FEATURES",
    "FeatureSpec",
    "GradientBoostedQuantiles",
    "LinearQuantileRegression",
    "MLParams",
    "QuantileForest",
    "QuantileModel",
    "bar_features",
    "es_from_quantiles",
    "feature_frame",
    "realized_volatility",
    "tail_levels",
    "targets",
    "window_features",
]
