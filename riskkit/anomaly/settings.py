"""Settings of the anomaly detectors: one pydantic model, the single table of their defaults."""

from __future__ import annotations

from typing import Annotated

from pydantic import model_validator

from riskkit._settings import Choice, Float, Int, Range, SettingsModel, problem

__all__ = ["AnomalySettings", "THRESHOLD_METHODS"]

THRESHOLD_METHODS = ("mad", "quantile")

Positive = Annotated[Float, Range(0, lo_open=True)]
NonNegative = Annotated[Float, Range(0)]


class AnomalySettings(SettingsModel):
    """Thresholds of :mod:`riskkit.anomaly`; every field is checked on construction.

    All thresholds are calibrated on the ``window`` bars *before* the bar tested (see
    :func:`riskkit.anomaly.trailing_bounds`); ``z_*`` are robust sigmas (method ``mad``),
    ``*_floor`` the smallest bound in the statistic's own units (fractions of a price).
    """

    window: Annotated[Int, Range(10)] = 250
    """Bars of history the thresholds are calibrated on (the bar tested excluded)."""
    min_periods: Annotated[Int, Range(5)] = 50
    """Bars of history needed before any alert (fewer: no threshold, no alert)."""
    method: Annotated[str, Choice(THRESHOLD_METHODS)] = "mad"
    """Threshold: median + z robust sigmas (mad) or the quantile q of the history (quantile)."""
    quantile: Annotated[Float, Range(0.5, 1, lo_open=True, hi_open=True)] = 0.995
    """Quantile of the history used as threshold when method is quantile."""
    critical_factor: Annotated[Float, Range(1)] = 2.0
    """An alert is critical when its distance from the calibrated centre is at least this
    multiple of the threshold's."""
    stale_run: Annotated[Int, Range(2)] = 5
    """Bars with an unchanged close that make a stale run (as in riskkit.data.validate)."""
    no_trade_run: Annotated[Int, Range(1)] = 3
    """Consecutive zero-volume bars that make a no-trade alert."""
    z_return: Positive = 8.0
    """Robust sigmas of the log return beyond which a bar is a price spike (8, as the bad-tick
    check of riskkit.data.validate)."""
    z_deviation: Positive = 5.0
    """Robust sigmas of |source / reference - 1| (cross-source deviation)."""
    deviation_floor: NonNegative = 0.002
    """Smallest cross-source threshold above the median deviation, fraction of the price."""
    z_basis: Positive = 5.0
    """Robust sigmas of |mark / index - 1| and of the last price against mark and index."""
    basis_floor: NonNegative = 0.001
    """Smallest mark/index/last threshold above the median divergence, fraction."""
    z_depeg: Positive = 5.0
    """Robust sigmas of |price / peg - 1| of a collateral token."""
    depeg_floor: NonNegative = 0.003
    """Smallest depeg threshold above the median deviation from the peg, fraction (30 bp)."""
    z_volume: Positive = 4.0
    """Robust sigmas of log volume (and log trade count) beyond which a bar is a burst."""
    z_features: Positive = 6.0
    """Robust sigmas of any bar feature (robust_z behaviour alert)."""
    z_range_quiet: Float = 1.0
    """A bar's log range is 'ordinary' below this robust z (volume-without-impact alert)."""
    round_unit: Positive = 0.1
    """A trade size that is a whole multiple of this (units of the asset) is round."""
    min_trades: Annotated[Int, Range(20)] = 200
    """Trades a bar needs for its round-size share and Benford statistics."""
    z_benford: Positive = 4.0
    """Robust sigmas of a bar's first-digit MAD above the MAD of the bars before it. The MAD of
    a few hundred trades is noisy and right-skewed, so the alert also needs benford_mad; 4.0
    balanced precision and recall on the planted wash blocks of plant_anomalies (seeds 0, 1, 3,
    7: recall 1.0, precision 0.78-1.0; 3.5 gave precision 0.62-0.83, 5.0 recall 0.2-1.0)."""
    benford_mad: Positive = 0.015
    """First-digit MAD above which sizes do not conform to Benford's law (Nigrini 2012)."""
    forest_trees: Annotated[Int, Range(10)] = 100
    """Trees of the isolation forest."""
    forest_refit_every: Annotated[Int, Range(1)] = 100
    """Bars between two fits of the isolation forest (each fit uses the window before it)."""
    forest_contamination: Annotated[Float, Range(0, 0.5, lo_open=True, hi_open=True)] = 0.01
    """Share of the training window above the isolation-forest threshold."""

    @model_validator(mode="after")
    def _history_fits_the_window(self) -> AnomalySettings:
        if self.min_periods > self.window:
            raise problem(
                f"min_periods {self.min_periods} exceeds window {self.window}: a threshold "
                "needs min_periods bars among the window bars before the one tested"
            )
        return self
