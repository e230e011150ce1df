"""Configuration of a champion/challenger run (``riskkit challengers --config FILE``).

A challenger file names a calibration configuration (data, assets, model = the champion,
margin settings, backtest window and refit schedule, output directory, seed) and adds the
challengers and the conformal variants::

    calibration: configs/default.yaml
    challengers:
      models: [qrf, hgbr, quantreg]
      trees: 100
      conformal: [aci, faci]

Every model runs on the calibration's rolling windows (``backtest.window``,
``backtest.refit_every``) and margin settings; the run writes its tables into a new directory
under the calibration's ``output.directory`` (never into an existing one).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated, Any

from riskkit._settings import Choice, Float, Int, Range, SettingsModel, Text
from riskkit.exceptions import ConfigError
from riskkit.risk.base import RiskEstimator

__all__ = ["CHALLENGERS", "ChallengerSpec", "ChallengerConfig", "load_challenger_config"]

#: challenger names accepted by ``challengers.models``
CHALLENGERS = ("qrf", "qrf_garch", "hgbr", "quantreg")


class ChallengerSpec(SettingsModel):
    """The ``challengers`` section."""

    models: tuple[Annotated[str, Choice(CHALLENGERS, what="model")], ...] = (
        "qrf",
        "hgbr",
        "quantreg",
    )
    """Challengers run against the calibration's model (the champion): ``qrf`` (quantile
    regression forest), ``qrf_garch`` (the forest on GARCH-standardised losses), ``hgbr``
    (gradient-boosted quantiles), ``quantreg`` (linear quantile regression on HAR features)."""
    trees: Annotated[Int, Range(1, 2000)] = 100
    """Trees of the forests."""
    boosting_rounds: Annotated[Int, Range(1, 2000)] = 100
    """Boosting rounds of each gradient-boosted quantile model."""
    tail_points: Annotated[Int, Range(1, 50)] = 5
    """Tail quantiles averaged into the ML models' ES."""
    exogenous: bool = True
    """ML features include the bars' range estimators and volume (lagged one bar)."""
    conformal: tuple[Annotated[str, Choice(("aci", "faci"), what="method")], ...] = (
        "aci",
        "faci",
    )
    """Conformal variants added (ACI, FACI); empty: none."""
    conformal_models: tuple[Text, ...] = ("champion",)
    """Models that get the conformal variants (``champion`` or challenger names)."""
    gamma: Annotated[Float, Range(0, 1, lo_open=True, hi_open=True)] = 0.005
    """ACI learning rate."""
    calibration_window: Annotated[Int, Range(20, 5000)] = 250
    """Conformity scores in the conformal calibration set."""
    max_multiplier: Annotated[Float, Range(1, 100)] = 3.0
    """Cap of the conformal multiplier of a margin."""
    test_level: Annotated[Float, Range(0, 1, lo_open=True, hi_open=True)] = 0.95
    """Confidence of the backtests and of the model confidence set."""
    mcs_reps: Annotated[Int, Range(100, 100000)] = 1000
    """Bootstrap replications of the model confidence set."""


class ChallengerConfig(SettingsModel):
    """A challenger configuration file."""

    calibration: Text = "configs/default.yaml"
    """Calibration configuration the champion, data, margin settings and output come from
    (relative to the current directory)."""
    challengers: ChallengerSpec = ChallengerSpec()

    def estimators(self, champion: RiskEstimator) -> dict[str, RiskEstimator]:
        """``{"champion": champion, <challenger>: estimator, ...}`` in the configured order."""
        from riskkit.ml.features import FeatureSpec
        from riskkit.ml.quantile import (
            GradientBoostedQuantiles,
            LinearQuantileRegression,
            QuantileForest,
        )

        c = self.challengers
        feats = FeatureSpec(exogenous=c.exogenous)
        out: dict[str, RiskEstimator] = {"champion": champion}
        for name in c.models:
            if name == "qrf":
                out[name] = QuantileForest(c.trees, features=feats, tail_points=c.tail_points)
            elif name == "qrf_garch":
                out[name] = QuantileForest(
                    c.trees, features=feats, tail_points=c.tail_points, scale="garch"
                )
            elif name == "hgbr":
                out[name] = GradientBoostedQuantiles(
                    c.boosting_rounds, features=feats, tail_points=c.tail_points
                )
            else:
                out[name] = LinearQuantileRegression(tail_points=c.tail_points)
        unknown = [m for m in c.conformal_models if m not in out]
        if unknown:
            raise ConfigError(
                f"challengers.conformal_models: {unknown} are not among the models "
                f"{list(out)} (champion and challengers.models)"
            )
        return out


def load_challenger_config(path: str | os.PathLike[str]) -> ChallengerConfig:
    """Read and validate a challenger configuration file (ConfigError listing every problem)."""
    from riskkit.run.config import read_yaml

    mapping: Any = read_yaml(path)
    if not isinstance(mapping, dict):
        raise ConfigError(f"{path}: a challenger configuration must be a mapping")
    cfg = ChallengerConfig.model_validate(mapping)
    if not Path(cfg.calibration).is_file():
        raise ConfigError(
            f"{path}: calibration: {cfg.calibration} not found (a calibration configuration "
            "such as configs/default.yaml, relative to the current directory)"
        )
    return cfg
