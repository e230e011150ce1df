"""Market-data integrity alerts: stale feeds, spikes, cross-source deviation, mark/index/last
divergence, depeg of collateral tokens, and volume or trade-count bursts.

Every threshold is calibrated on the bars before the one tested (:func:`trailing_bounds`), so
an alert at ``t`` uses data up to ``t`` only for the statistic and up to ``t - 1`` for the
threshold: the detectors can run online, bar by bar, and give the same alerts on a series cut
at ``t`` as on the whole history.

What is reused rather than written again: stale runs are those of
:func:`riskkit.data.validate` (its ``stale`` check); the deviation of two venues is
:func:`riskkit.data.compare_feeds`'s; mark/index/last divergences are
:func:`riskkit.data.basis`. The data checks of :func:`~riskkit.data.validate` (bad ticks,
range spikes) look at both sides of a bar (a centred window): they are for cleaning a history,
these alerts for watching a feed.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pandas as pd

from riskkit.anomaly._stats import trailing_bounds
from riskkit.anomaly.alerts import AlertTable, _empty, concat_alerts, make_alerts
from riskkit.anomaly.settings import AnomalySettings
from riskkit.bars import interval_label
from riskkit.data._frame import _as_frame, _fmt, _runs
from riskkit.data.compare import compare_feeds
from riskkit.data.perpetual import _series, basis
from riskkit.data.validation import infer_freq, validate
from riskkit.exceptions import ConfigError, DataError

__all__ = [
    "calibrated_alerts",
    "stale_alerts",
    "spike_alerts",
    "cross_source_alerts",
    "divergence_alerts",
    "depeg_alerts",
    "volume_alerts",
    "scan_market",
]

_COUNT_COLUMNS = ("count", "trades", "trade_count", "number_of_trades")


def _settings(settings: AnomalySettings | None) -> AnomalySettings:
    if settings is None:
        return AnomalySettings()
    if not isinstance(settings, AnomalySettings):
        raise ConfigError(
            f"settings must be an AnomalySettings, got {type(settings).__name__} "
            "(build one with riskkit.anomaly.AnomalySettings(...))"
        )
    return settings


def calibrated_alerts(
    stat: pd.Series,
    *,
    kind: str,
    asset: str,
    source: str,
    z: float,
    floor: float = 0.0,
    two_sided: bool = False,
    settings: AnomalySettings | None = None,
    shown: Callable[[np.ndarray], np.ndarray] | None = None,
    describe: Callable[[float, float], str] | None = None,
) -> pd.DataFrame:
    """Bars where ``stat`` crosses its trailing bound: the alert rows of one statistic.

    Parameters
    ----------
    stat : pandas.Series
        The statistic per bar.
    kind, asset, source : str
        Labels of the alerts.
    z, floor : float
        Robust sigmas and smallest distance of the bound (see :func:`trailing_bounds`).
    two_sided : bool
        Test the lower bound too (a return); one-sided tests only the upper.
    settings : AnomalySettings, optional
        ``window``, ``min_periods``, ``method``, ``quantile``, ``critical_factor``.
    shown : callable, optional
        Maps the statistic and its bound to the units written in ``value`` and ``threshold``
        (``np.exp`` for a log volume); identity by default.
    describe : callable, optional
        ``describe(value, center)`` -> text of the ``detail`` column.

    Returns
    -------
    pandas.DataFrame
        Alert rows (columns :data:`~riskkit.anomaly.ALERT_COLUMNS`).
    """
    s = _settings(settings)
    b = trailing_bounds(
        stat,
        s.window,
        s.min_periods,
        z,
        method=s.method,
        q=s.quantile,
        floor=floor,
    )
    x = stat.to_numpy(dtype=float, na_value=np.nan)
    up, lo, c = b.upper.to_numpy(), b.lower.to_numpy(), b.center.to_numpy()
    with np.errstate(invalid="ignore"):
        hi_hit = x > up
        lo_hit = (x < lo) if two_sided else np.zeros_like(hi_hit)
    hit = np.flatnonzero(hi_hit | lo_hit)
    if hit.size == 0:
        return _empty()
    bound = np.where(hi_hit[hit], up[hit], lo[hit])
    with np.errstate(divide="ignore", invalid="ignore"):
        excess = (x[hit] - c[hit]) / (bound - c[hit])
    show = shown if shown is not None else (lambda v: v)
    desc = describe if describe is not None else (lambda v, m: f"median of the window {m:.6g}")
    return make_alerts(
        stat.index[hit],
        asset=asset,
        source=source,
        kind=kind,
        value=show(x[hit]),
        threshold=show(bound),
        excess=excess,
        critical_factor=s.critical_factor,
        detail=[desc(v, m) for v, m in zip(x[hit], c[hit], strict=True)],
    )


def _close(prices: pd.DataFrame | pd.Series, name: str) -> pd.Series:
    close = _series(prices, "close", name)  # DatetimeIndex, no duplicate timestamp
    if not close.index.is_monotonic_increasing:
        raise DataError(f"{name}: timestamps are not sorted; sort them first")
    return close


def _same_grid(a: pd.Series, b: pd.Series, name_a: str, name_b: str) -> None:
    """Refuse two feeds that cannot be compared bar by bar: different bar intervals, or no
    timestamp in common (the thresholds would see a handful of bars and stay silent)."""
    step_a, step_b = infer_freq(pd.DatetimeIndex(a.index)), infer_freq(pd.DatetimeIndex(b.index))
    if step_a is not None and step_b is not None and step_a != step_b:
        raise DataError(
            f"{name_a} has {interval_label(step_a)} bars and {name_b} {interval_label(step_b)} bars; "
            "resample one to the other's interval first"
        )
    if a.index.intersection(b.index).empty:
        raise DataError(
            f"{name_a} ({_span(a)}) and {name_b} ({_span(b)}) have no timestamp in common"
        )


def _span(x: pd.Series) -> str:
    if x.empty:
        return "no bar"
    return f"{len(x)} bars, {_fmt(x.index[0])} to {_fmt(x.index[-1])}"


def _run_alerts(
    index: pd.DatetimeIndex,
    runs: list[tuple[int, int]],
    need: int,
    kind: str,
    details: list[str],
    asset: str,
    source: str,
    s: AnomalySettings,
) -> pd.DataFrame:
    """One alert per run (first, last position) of at least ``need`` bars, dated at the bar
    where the run reaches ``need`` bars (when a live monitor raises it)."""
    n = np.array([b - a + 1 for a, b in runs], dtype=float)
    return make_alerts(
        [index[a + need - 1] for a, _ in runs],
        end=[index[b] for _, b in runs],
        asset=asset,
        source=source,
        kind=kind,
        value=n,
        threshold=np.full(n.size, need, dtype=float),
        excess=n / need,
        critical_factor=s.critical_factor,
        detail=details,
    )


def stale_alerts(
    prices: pd.DataFrame | pd.Series,
    *,
    asset: str = "",
    source: str = "",
    settings: AnomalySettings | None = None,
) -> pd.DataFrame:
    """Stale runs (``stale_run`` or more bars with an unchanged close, the ``stale`` check of
    :func:`riskkit.data.validate`) and runs of ``no_trade_run`` or more zero-volume bars.

    An alert is dated at the bar where the run reaches its threshold length (when a live
    monitor would raise it) and ends at the run's last bar; ``value`` is the run's length in
    bars. Critical when the run is at least ``critical_factor`` times the threshold.
    """
    s = _settings(settings)
    name = source or "prices"
    close = _close(prices, name)
    parts = []
    present = close[np.isfinite(close) & (close > 0)]
    if len(present) >= s.stale_run:
        found = validate(present, stale_run=s.stale_run, name=name, warn=False).of("stale")
        if not found.empty:
            first = present.index.get_indexer(pd.DatetimeIndex(found["start"]))
            runs = [(a, a + int(k) - 1) for a, k in zip(first, found["n_bars"], strict=True)]
            details = [
                f"close {present.iloc[a]:.10g} unchanged from {_fmt(present.index[a])} to "
                f"{_fmt(present.index[b])}"
                for a, b in runs
            ]
            parts.append(
                _run_alerts(present.index, runs, s.stale_run, "stale", details, asset, source, s)
            )
    frame = _as_frame(prices, name)
    if "volume" in frame.columns:
        zero = frame["volume"].to_numpy(dtype=float, na_value=np.nan) == 0
        runs = [(a, b) for a, b in _runs(zero) if b - a + 1 >= s.no_trade_run]
        if runs:
            idx = frame.index
            details = [f"zero volume from {_fmt(idx[a])} to {_fmt(idx[b])}" for a, b in runs]
            parts.append(
                _run_alerts(idx, runs, s.no_trade_run, "no_trades", details, asset, source, s)
            )
    return concat_alerts(parts).frame


def spike_alerts(
    prices: pd.DataFrame | pd.Series,
    *,
    asset: str = "",
    source: str = "",
    settings: AnomalySettings | None = None,
) -> pd.DataFrame:
    """Bars whose log return lies beyond ``z_return`` robust sigmas of the returns before it
    (``value``: the log return; ``threshold``: the bound crossed, negative for a fall)."""
    s = _settings(settings)
    close = _close(prices, source or "prices")
    r = np.log(close.where(close > 0)).diff()
    return calibrated_alerts(
        r,
        kind="price_spike",
        asset=asset,
        source=source,
        z=s.z_return,
        two_sided=True,
        settings=s,
        describe=lambda v, m: f"log return {v:+.4f} (median of the window {m:+.4f})",
    )


def cross_source_alerts(
    prices: pd.DataFrame | pd.Series,
    reference: pd.DataFrame | pd.Series,
    *,
    asset: str = "",
    source: str = "a",
    reference_source: str = "b",
    settings: AnomalySettings | None = None,
) -> pd.DataFrame:
    """Bars where ``|source / reference - 1|`` (from :func:`riskkit.data.compare_feeds`) exceeds
    its trailing bound (``z_deviation`` robust sigmas above the median, at least
    ``deviation_floor``): one venue away from another, beyond its usual spread."""
    s = _settings(settings)
    if source == reference_source:
        raise ConfigError(f"source and reference_source must differ, both are {source!r}")
    _same_grid(
        _close(prices, source), _close(reference, reference_source), source, reference_source
    )
    cmp = compare_feeds(prices, reference, names=(source, reference_source), max_lag=0)
    return calibrated_alerts(
        cmp.deviation.abs(),
        kind="cross_source",
        asset=asset,
        source=f"{source} vs {reference_source}",
        z=s.z_deviation,
        floor=s.deviation_floor,
        settings=s,
        describe=lambda v, m: (
            f"|{source}/{reference_source} - 1| = {v:.4%} (median of the window {m:.4%})"
        ),
    )


def divergence_alerts(
    *,
    mark: pd.DataFrame | pd.Series | None = None,
    index: pd.DataFrame | pd.Series | None = None,
    last: pd.DataFrame | pd.Series | None = None,
    asset: str = "",
    source: str = "",
    settings: AnomalySettings | None = None,
) -> pd.DataFrame:
    """Mark/index/last divergence: ``|mark/index - 1|``, ``|last/mark - 1|`` and
    ``|last/index - 1|`` (each :func:`riskkit.data.basis`) beyond their trailing bounds
    (``z_basis`` robust sigmas above the median, at least ``basis_floor``), for the pairs given.
    """
    s = _settings(settings)
    feeds = {"mark": mark, "index": index, "last": last}
    pairs = [("mark", "index"), ("last", "mark"), ("last", "index")]
    usable = [(a, b) for a, b in pairs if feeds[a] is not None and feeds[b] is not None]
    if not usable:
        raise ConfigError("divergence_alerts needs at least two of mark, index and last")
    parts = []
    label = f"{source} " if source else ""
    for a, b in usable:
        _same_grid(
            _close(feeds[a], f"{label}{a}"),
            _close(feeds[b], f"{label}{b}"),
            f"{label}{a}",
            f"{label}{b}",
        )
        gap = basis(feeds[a], feeds[b])
        parts.append(
            calibrated_alerts(
                gap.abs(),
                kind=f"{a}_{b}",
                asset=asset,
                source=f"{source} {a} vs {b}".strip(),
                z=s.z_basis,
                floor=s.basis_floor,
                settings=s,
                describe=lambda v, m, a=a, b=b: (
                    f"|{a}/{b} - 1| = {v:.4%} (median of the window {m:.4%})"
                ),
            )
        )
    return concat_alerts(parts).frame


def depeg_alerts(
    price: pd.DataFrame | pd.Series,
    peg: float = 1.0,
    *,
    asset: str = "",
    source: str = "",
    settings: AnomalySettings | None = None,
) -> pd.DataFrame:
    """Bars where a collateral token's ``|price / peg - 1|`` exceeds its trailing bound
    (``z_depeg`` robust sigmas above the median, at least ``depeg_floor``): a stablecoin or a
    wrapped/staked token losing its peg."""
    s = _settings(settings)
    if not (np.isfinite(peg) and peg > 0):
        raise ConfigError(f"peg must be a positive price, got {peg!r}")
    p = _close(price, source or asset or "price")
    dev = p / peg - 1.0
    return calibrated_alerts(
        dev.abs(),
        kind="depeg",
        asset=asset,
        source=source,
        z=s.z_depeg,
        floor=s.depeg_floor,
        settings=s,
        describe=lambda v, m: f"|price/{peg:g} - 1| = {v:.4%} (median of the window {m:.4%})",
    )


def volume_alerts(
    bars: pd.DataFrame,
    *,
    asset: str = "",
    source: str = "",
    settings: AnomalySettings | None = None,
) -> pd.DataFrame:
    """Bars whose log volume (and log trade count, from a ``count`` or ``trades`` column)
    exceeds ``z_volume`` robust sigmas above the median of the bars before it. ``value`` and
    ``threshold`` are in volume units (trades); zero-volume bars are :func:`stale_alerts`'."""
    s = _settings(settings)
    frame = _as_frame(bars, source or "bars")
    parts = []
    cols = [("volume", "volume")] + [(c, "trade_count") for c in _COUNT_COLUMNS if c in frame]
    for col, kind in cols[:2]:
        if col not in frame.columns:
            continue
        v = frame[col].astype(float)
        logv = np.log(v.where(v > 0))
        parts.append(
            calibrated_alerts(
                logv,
                kind=kind,
                asset=asset,
                source=source,
                z=s.z_volume,
                settings=s,
                shown=np.exp,
                describe=lambda x, m, col=col: (
                    f"{col} {np.exp(x):.6g}, {np.exp(x - m):.1f}x the median of the window"
                ),
            )
        )
    return concat_alerts(parts).frame


def scan_market(
    prices: pd.DataFrame | pd.Series,
    *,
    asset: str = "",
    source: str = "",
    reference: pd.DataFrame | pd.Series | None = None,
    reference_source: str = "reference",
    mark: pd.DataFrame | pd.Series | None = None,
    index: pd.DataFrame | pd.Series | None = None,
    collateral: pd.DataFrame | pd.Series | None = None,
    collateral_name: str = "stablecoin",
    peg: float = 1.0,
    settings: AnomalySettings | None = None,
) -> AlertTable:
    """Every market-data integrity check that the inputs allow, as one alert table.

    Parameters
    ----------
    prices : DataFrame or Series
        Bars of the asset on ``source`` (``close`` required; ``volume`` and a ``count`` column
        enable the volume and no-trade checks).
    asset, source : str
        Labels of the alerts.
    reference : DataFrame or Series, optional
        The same asset on another venue, same bar interval: cross-source deviation.
    mark, index : DataFrame or Series, optional
        Mark-price and index-price bars (:func:`riskkit.data.read_klines`): mark/index/last
        divergence, with ``prices`` as the last traded price.
    collateral : DataFrame or Series, optional
        Price of a collateral token against its ``peg`` (``collateral_name`` labels it).
    settings : AnomalySettings, optional
        Thresholds (defaults: :class:`AnomalySettings`).

    Returns
    -------
    AlertTable
        Alerts of kinds ``stale``, ``no_trades``, ``price_spike``, ``volume``,
        ``trade_count``, ``cross_source``, ``mark_index``, ``last_mark``, ``last_index``,
        ``depeg``.

    Examples
    --------
    >>> from riskkit.datasets import load_ohlcv
    >>> alerts = scan_market(load_ohlcv("BTC", "bitstamp"), asset="BTC", source="bitstamp",
    ...                      reference=load_ohlcv("BTC", "coinbase-pro"),
    ...                      reference_source="coinbase-pro")  # doctest: +SKIP
    """
    s = _settings(settings)
    kw = {"asset": asset, "source": source, "settings": s}
    parts = [stale_alerts(prices, **kw), spike_alerts(prices, **kw)]
    if isinstance(prices, pd.DataFrame) and "volume" in prices.columns:
        parts.append(volume_alerts(prices, **kw))
    if reference is not None:
        parts.append(
            cross_source_alerts(
                prices,
                reference,
                asset=asset,
                source=source or "source",
                reference_source=reference_source,
                settings=s,
            )
        )
    if mark is not None or index is not None:
        parts.append(
            divergence_alerts(
                mark=mark, index=index, last=prices, asset=asset, source=source, settings=s
            )
        )
    if collateral is not None:
        parts.append(
            depeg_alerts(collateral, peg, asset=collateral_name, source=source, settings=s)
        )
    return concat_alerts(parts)
