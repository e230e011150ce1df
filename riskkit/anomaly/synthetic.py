"""A synthetic market with planted anomalies of every kind, and the precision and recall of the
detectors on it (known truth: where and what was planted).

:func:`plant_anomalies` builds, from the hourly bars of :func:`riskkit.data.synthetic_hourly_bars`,
one venue's OHLCV bars with a trade count, a second venue's closes, index and mark prices, a
stablecoin price and the trades of every bar, then plants events of :data:`PLANTED_KINDS` in
disjoint stretches after a warm-up (the detectors' calibration window). :func:`detection_scores`
scores an alert table against them.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from riskkit.anomaly.alerts import AlertTable
from riskkit.data.fixtures import synthetic_hourly_bars
from riskkit.exceptions import ConfigError

__all__ = ["PLANTED_KINDS", "PlantedMarket", "plant_anomalies", "detection_scores"]

#: planted kind -> (detectors expected to find it (scored for recall), other detectors whose
#: alerts inside the event are correct too (for precision))
PLANTED_KINDS: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "stale": (
        ("stale", "no_trades"),
        ("cross_source", "last_mark", "last_index", "price_spike", "robust_z", "isolation_forest"),
    ),
    "spike": (("price_spike", "robust_z", "isolation_forest"), ()),
    "cross_venue": (("cross_source",), ()),
    "depeg": (("depeg",), ()),
    "volume_burst": (("volume", "trade_count", "robust_z", "isolation_forest"), ()),
    "wash": (
        ("volume_no_impact", "round_size", "benford", "isolation_forest"),
        ("volume", "trade_count", "robust_z"),
    ),
    "mark_divergence": (("mark_index",), ("last_mark",)),
}


@dataclass(frozen=True)
class PlantedMarket:
    """Synthetic feeds with planted anomalies (hourly bars, UTC).

    Attributes
    ----------
    bars : pandas.DataFrame
        Venue A: ``open, high, low, close, volume, count`` (the last traded price).
    reference : pandas.Series
        Venue B's closes (same asset).
    index, mark : pandas.Series
        Index price and mark price.
    stable : pandas.Series
        Price of a stablecoin pegged at 1.0.
    trades : pandas.DataFrame
        Venue A's trades: index trade time, columns ``price``, ``size``.
    truth : pandas.DataFrame
        One row per planted event: ``kind`` (:data:`PLANTED_KINDS`), ``start``, ``end``
        (first and last bar), ``size`` (the planted magnitude: multiple of the volume,
        deviation as a fraction, spike in hourly sigmas, run length in bars).
    """

    bars: pd.DataFrame
    reference: pd.Series
    index: pd.Series
    mark: pd.Series
    stable: pd.Series
    trades: pd.DataFrame
    truth: pd.DataFrame


def _trades(
    bars: pd.DataFrame, n: np.ndarray, bot: np.ndarray, rng: np.random.Generator
) -> pd.DataFrame:
    """Natural trades (log-normal sizes on a 1e-4 lot, 5% human round lots) plus bot trades
    (sizes uniform on 1.0..9.9 in steps of 0.1: round, with uniform first digits)."""
    total = n + bot
    start = np.repeat(bars.index.as_unit("ns").asi8, total)
    offset = (rng.random(total.sum()) * 3.6e12).astype(np.int64)
    first = np.repeat(np.cumsum(total) - total, total)  # first row of each bar's trades
    natural = (np.arange(total.sum()) - first) < np.repeat(n, total)
    size = np.empty(total.sum())
    k = int(natural.sum())
    size_nat = np.round(np.exp(rng.normal(np.log(0.05), 1.8, k)), 4)
    size_nat = np.maximum(size_nat, 1e-4)
    human = rng.random(k) < 0.05
    size_nat[human] = rng.choice([0.1, 0.2, 0.5, 1.0, 2.0, 5.0], human.sum())
    size[natural] = size_nat
    size[~natural] = np.round(rng.uniform(1.0, 10.0, (~natural).sum()), 1).clip(1.0, 9.9)
    price = np.repeat(bars["close"].to_numpy(), total)
    frame = pd.DataFrame(
        {"price": price, "size": size}, index=pd.DatetimeIndex(start + offset, name="date")
    )
    return frame.sort_index(kind="mergesort")


def plant_anomalies(
    days: int = 70,
    events_per_kind: int = 5,
    *,
    warmup: int = 260,
    trades_per_bar: int = 300,
    seed: int = 0,
) -> PlantedMarket:
    """Hourly feeds with ``events_per_kind`` planted events of each of :data:`PLANTED_KINDS`.

    Events sit in disjoint stretches after ``warmup`` bars (so that the detectors' thresholds
    are calibrated first), in a seeded random order:

    * ``stale``: venue A's bars frozen at the last close for 6-10 bars, zero volume and trades;
    * ``spike``: a move of 15-25 hourly sigmas reversed on the next bar, on every feed (a flash
      crash or squeeze of the market);
    * ``cross_venue``: venue B 1-2% away from the market for 3-6 bars;
    * ``depeg``: the stablecoin 1-3% below its peg for 4-8 bars;
    * ``volume_burst``: volume and trade count x8-15 for 1-3 bars, the range x3 (with impact);
    * ``wash``: volume x8-12 for 3-5 bars with an unchanged range, half the trades a bot's
      round lots with uniform first digits;
    * ``mark_divergence``: the mark 0.5-1.5% away from the index for 2-5 bars.

    Returns
    -------
    PlantedMarket
    """
    kinds = list(PLANTED_KINDS)
    n_events = events_per_kind * len(kinds)
    if events_per_kind < 1:
        raise ConfigError(f"events_per_kind must be >= 1, got {events_per_kind}")
    start = pd.Timestamp("2024-01-01")
    base = synthetic_hourly_bars(
        start, start + pd.Timedelta(days=days), seed=seed, price=40_000.0
    ).iloc[:-1]
    n = len(base)
    slot = (n - warmup) // n_events
    if slot < 16:
        raise ConfigError(
            f"days={days} leaves {n - warmup} bars after the warm-up for {n_events} events: "
            "raise days or lower events_per_kind"
        )
    rng = np.random.default_rng(seed + 1)
    order = rng.permutation(np.repeat(kinds, events_per_kind))
    sigma = 0.035 / np.sqrt(24.0)

    true = base["close"].to_numpy(float).copy()
    high, low = base["high"].to_numpy(float).copy(), base["low"].to_numpy(float).copy()
    volume = base["volume"].to_numpy(float).copy()
    cycle = volume / np.median(volume)
    n_trades = rng.poisson(trades_per_bar * np.clip(cycle, 0.3, 3.0)).astype(int)
    bot = np.zeros(n, dtype=int)
    ref_dev = rng.normal(0.0, 5e-4, n)
    idx_dev = rng.normal(0.0, 3e-4, n)
    premium = rng.normal(0.0, 2e-4, n)
    stable = 1.0 + rng.normal(0.0, 5e-4, n)
    stale_spans: list[tuple[int, int]] = []
    rows = []
    for e, kind in enumerate(order):
        s0 = warmup + e * slot + int(rng.integers(2, slot - 12))
        if kind == "stale":
            length = int(rng.integers(6, 11))
            stale_spans.append((s0, s0 + length - 1))
            end, size = s0 + length - 1, float(length)
        elif kind == "spike":
            k = float(rng.uniform(15, 25)) * rng.choice([-1.0, 1.0])
            true[s0] *= np.exp(k * sigma)
            high[s0] = max(high[s0], true[s0]) * (1 + sigma / 4)
            low[s0] = min(low[s0], true[s0]) * (1 - sigma / 4)
            high[s0 + 1] = max(high[s0 + 1], true[s0])
            low[s0 + 1] = min(low[s0 + 1], true[s0])
            end, size = s0 + 1, abs(k)
        elif kind == "cross_venue":
            length = int(rng.integers(3, 7))
            d = float(rng.uniform(0.01, 0.02)) * rng.choice([-1.0, 1.0])
            ref_dev[s0 : s0 + length] += d
            end, size = s0 + length - 1, abs(d)
        elif kind == "depeg":
            length = int(rng.integers(4, 9))
            d = float(rng.uniform(0.01, 0.03))
            stable[s0 : s0 + length] -= d
            end, size = s0 + length - 1, d
        elif kind == "volume_burst":
            length = int(rng.integers(1, 4))
            m = float(rng.uniform(8, 15))
            sl = slice(s0, s0 + length)
            volume[sl] *= m
            n_trades[sl] = (n_trades[sl] * m).astype(int)
            body_hi = np.maximum(true[sl], base["open"].to_numpy()[sl])
            body_lo = np.minimum(true[sl], base["open"].to_numpy()[sl])
            high[sl] = body_hi + 3.0 * (high[sl] - body_lo)
            low[sl] = body_lo - 3.0 * (body_hi - low[sl])
            end, size = s0 + length - 1, m
        elif kind == "wash":
            length = int(rng.integers(3, 6))
            m = float(rng.uniform(8, 12))
            sl = slice(s0, s0 + length)
            volume[sl] *= m
            bot[sl] = n_trades[sl]
            end, size = s0 + length - 1, m
        else:  # mark_divergence
            length = int(rng.integers(2, 6))
            d = float(rng.uniform(0.005, 0.015)) * rng.choice([-1.0, 1.0])
            premium[s0 : s0 + length] += d
            end, size = s0 + length - 1, abs(d)
        rows.append({"kind": kind, "start": base.index[s0], "end": base.index[end], "size": size})

    close = true.copy()
    opn = np.r_[base["open"].iloc[0], close[:-1]]
    high = np.maximum(high, np.maximum(opn, close))
    low = np.minimum(low, np.minimum(opn, close))
    count = (n_trades + bot).astype(float)
    for a, b in stale_spans:
        frozen = close[a - 1]
        close[a : b + 1] = opn[a : b + 1] = high[a : b + 1] = low[a : b + 1] = frozen
        volume[a : b + 1] = 0.0
        count[a : b + 1] = 0.0
        n_trades[a : b + 1] = 0
        bot[a : b + 1] = 0
        opn[b + 1] = frozen
        high[b + 1] = max(high[b + 1], frozen)
        low[b + 1] = min(low[b + 1], frozen)
    bars = pd.DataFrame(
        {"open": opn, "high": high, "low": low, "close": close, "volume": volume, "count": count},
        index=base.index,
    )
    index = pd.Series(true * (1 + idx_dev), base.index, name="index")
    truth = pd.DataFrame(rows).sort_values("start", kind="mergesort").reset_index(drop=True)
    return PlantedMarket(
        bars=bars,
        reference=pd.Series(true * (1 + ref_dev), base.index, name="close"),
        index=index,
        mark=(index * (1 + premium)).rename("mark"),
        stable=pd.Series(stable, base.index, name="close"),
        trades=_trades(bars, n_trades, bot, rng),
        truth=truth,
    )


def detection_scores(
    alerts: AlertTable | pd.DataFrame,
    truth: pd.DataFrame,
    *,
    tolerance: str | pd.Timedelta = "1h",
    detectors: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] | None = None,
) -> pd.DataFrame:
    """Event-level recall and alert-level precision of each detector on planted events.

    An event is *detected* by a detector when one of its alerts overlaps ``[start - tolerance,
    end + tolerance]``. An alert is *correct* when it overlaps an event (with the tolerance) in
    which its detector is expected (the event kind's detectors in :data:`PLANTED_KINDS`, both
    tuples); precision counts every alert of the detector, recall the events of the kind.

    Returns
    -------
    pandas.DataFrame
        One row per (planted kind, detector expected to find it): ``events``, ``detected``,
        ``recall``, ``alerts`` (of that detector, anywhere), ``correct``, ``precision``
        (NaN without any alert).
    """
    frame = alerts.frame if isinstance(alerts, AlertTable) else alerts
    table = PLANTED_KINDS if detectors is None else detectors
    tol = pd.Timedelta(tolerance)
    lo = truth["start"].to_numpy() - tol.to_timedelta64()
    hi = truth["end"].to_numpy() + tol.to_timedelta64()
    rows = []
    for kind, (primary, _) in table.items():
        ev = (truth["kind"] == kind).to_numpy()
        for det in primary:
            a = frame[frame["kind"] == det]
            a0, a1 = a["timestamp"].to_numpy(), a["end"].to_numpy()
            over = (a0[None, :] <= hi[:, None]) & (a1[None, :] >= lo[:, None])  # events x alerts
            detected = int(over[ev].any(axis=1).sum())
            ok_events = np.array(
                [det in sum(table.get(k, ((), ())), ()) for k in truth["kind"]], dtype=bool
            )
            correct = int(over[ok_events].any(axis=0).sum()) if len(a) else 0
            rows.append(
                {
                    "kind": kind,
                    "detector": det,
                    "events": int(ev.sum()),
                    "detected": detected,
                    "recall": detected / ev.sum() if ev.any() else np.nan,
                    "alerts": len(a),
                    "correct": correct,
                    "precision": correct / len(a) if len(a) else np.nan,
                }
            )
    return pd.DataFrame(rows)
