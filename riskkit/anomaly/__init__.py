"""Anomaly detection for a margin engine: market-data integrity and trading behaviour.

Two kinds, one alert table (:class:`AlertTable`: timestamp, asset, source, kind, value,
threshold, severity):

* **market-data integrity** (:mod:`riskkit.anomaly.integrity`): stale feeds and no-trade runs,
  price spikes, cross-source deviation (two venues), mark/index/last divergence, depeg of a
  collateral token, volume and trade-count bursts; :func:`scan_market` runs every check the
  inputs allow;
* **trading behaviour** (:mod:`riskkit.anomaly.behaviour`): robust z-scores of bar features, an
  isolation forest, and wash-trading signatures (volume without price impact, round trade
  sizes, first digits against Benford's law); :func:`scan_behaviour`.

Every threshold is calibrated on the history *before* the bar tested
(:func:`trailing_bounds`: median + z robust sigmas of a trailing window, or its quantile), so
alerts never look ahead. :func:`plant_anomalies` and :func:`detection_scores` measure precision
and recall on a synthetic market with planted events; :func:`plot_alert_timeline` draws the
alerts on the price path.
"""

from riskkit.anomaly._stats import TrailingBounds, robust_z, trailing_bounds
from riskkit.anomaly.alerts import (
    ALERT_COLUMNS,
    ALERT_KINDS,
    SEVERITIES,
    AlertTable,
    concat_alerts,
)
from riskkit.anomaly.behaviour import (
    BENFORD_FIRST_DIGIT,
    NIGRINI_FIRST_DIGIT,
    BenfordTest,
    ForestScores,
    bar_features,
    benford_test,
    feature_alerts,
    first_digits,
    forest_alerts,
    isolation_forest_scores,
    no_impact_alerts,
    round_share,
    scan_behaviour,
    trade_alerts,
    trade_signatures,
)
from riskkit.anomaly.integrity import (
    calibrated_alerts,
    cross_source_alerts,
    depeg_alerts,
    divergence_alerts,
    scan_market,
    spike_alerts,
    stale_alerts,
    volume_alerts,
)
from riskkit.anomaly.plotting import plot_alert_timeline
from riskkit.anomaly.settings import AnomalySettings
from riskkit.anomaly.synthetic import (
    PLANTED_KINDS,
    PlantedMarket,
    detection_scores,
    plant_anomalies,
)

__all__ = [
    "ALERT_COLUMNS",
    "ALERT_KINDS",
    "SEVERITIES",
    "AlertTable",
    "AnomalySettings",
    "BENFORD_FIRST_DIGIT",
    "NIGRINI_FIRST_DIGIT",
    "BenfordTest",
    "ForestScores",
    "PLANTED_KINDS",
    "PlantedMarket",
    "TrailingBounds",
    "bar_features",
    "benford_test",
    "calibrated_alerts",
    "concat_alerts",
    "cross_source_alerts",
    "depeg_alerts",
    "detection_scores",
    "divergence_alerts",
    "feature_alerts",
    "first_digits",
    "forest_alerts",
    "isolation_forest_scores",
    "no_impact_alerts",
    "plant_anomalies",
    "plot_alert_timeline",
    "robust_z",
    "round_share",
    "scan_behaviour",
    "scan_market",
    "spike_alerts",
    "stale_alerts",
    "trade_alerts",
    "trade_signatures",
    "trailing_bounds",
    "volume_alerts",
]
