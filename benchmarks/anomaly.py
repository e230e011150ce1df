"""Speed of the anomaly detectors of :mod:`riskkit.anomaly`.

Workloads (each printed with its figures and, where there is one, the ratio to the
straightforward alternative timed in the same run):

1. **Trailing robust bounds** (:func:`riskkit.anomaly.trailing_bounds`, median and MAD of the
   ``window`` bars before each bar) on N hourly values, against pandas
   ``x.shift(1).rolling(window).apply(mad)`` (one Python call per bar). Both give the same
   numbers; the script checks it.
2. **The whole integrity scan** (:func:`riskkit.anomaly.scan_market`: stale, spikes, volume,
   cross-source, mark/index/last, depeg) on the planted synthetic market, per bar.
3. **The behaviour scan** (:func:`riskkit.anomaly.scan_behaviour`): bar features, the isolation
   forest refitted every ``forest_refit_every`` bars, trade signatures of about 300 trades per
   bar; the cost of one forest fit and of the trade statistics per bar.

Usage::

    python benchmarks/anomaly.py            # N = 100,000 values for workload 1
    python benchmarks/anomaly.py --quick    # N = 10,000: a smoke run
"""

from __future__ import annotations

import argparse
import platform
import time

import numpy as np
import pandas as pd

from riskkit.anomaly import (
    AnomalySettings,
    plant_anomalies,
    scan_behaviour,
    scan_market,
    trade_signatures,
    trailing_bounds,
)


def _best(fn, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return min(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small workload (smoke run)")
    parser.add_argument("--repeat", type=int, default=3, help="best of this many runs")
    args = parser.parse_args()
    n = 10_000 if args.quick else 100_000
    window = 250
    print(
        f"machine: {platform.machine()}, {platform.python_implementation()} "
        f"{platform.python_version()}, numpy {np.__version__}, pandas {pd.__version__}"
    )

    # 1. trailing bounds against pandas rolling apply
    rng = np.random.default_rng(0)
    x = pd.Series(rng.standard_t(4, n), index=pd.date_range("2020", periods=n, freq="1h"))
    t_rk = _best(lambda: trailing_bounds(x, window, 50), args.repeat)

    def mad(w: np.ndarray) -> float:
        return float(np.median(np.abs(w - np.median(w))))

    m = min(n, 20_000)  # the pandas apply is timed on at most 20,000 bars (said so)
    xs = x.iloc[:m]
    t0 = time.perf_counter()
    ref = 1.4826 * xs.shift(1).rolling(window, min_periods=50).apply(mad, raw=True)
    t_pd = (time.perf_counter() - t0) * n / m
    ours = trailing_bounds(xs, window, 50).scale
    # from bar `window` on (before it, pandas passes windows holding the shifted-in NaN)
    assert np.allclose(ours.iloc[window:], ref.iloc[window:], rtol=1e-12)
    print(f"\n1. trailing median/MAD bounds, {n:,} bars, window {window}")
    print(f"   riskkit (sliding windows, numpy): {t_rk:.3f} s")
    print(
        f"   pandas rolling().apply(mad): {t_pd:.3f} s"
        + (f" (timed on {m:,} bars, scaled)" if m < n else "")
    )
    print(f"   same numbers: yes; speedup: {t_pd / t_rk:.1f}x")

    # 2-3. the scans on the planted market
    mkt = plant_anomalies(seed=0)
    s = AnomalySettings()
    bars = len(mkt.bars)
    t_mk = _best(
        lambda: scan_market(
            mkt.bars,
            reference=mkt.reference,
            mark=mkt.mark,
            index=mkt.index,
            collateral=mkt.stable,
            settings=s,
        ),
        args.repeat,
    )
    print(
        f"\n2. integrity scan (all checks), {bars:,} hourly bars: {t_mk:.3f} s "
        f"({1e6 * t_mk / bars:.0f} us per bar)"
    )
    t_nf = _best(lambda: scan_behaviour(mkt.bars, settings=s, forest=False), args.repeat)
    t_bf = _best(lambda: scan_behaviour(mkt.bars, settings=s), 1)
    fits = int(np.ceil((bars - s.min_periods) / s.forest_refit_every))
    t_tr = _best(lambda: trade_signatures(mkt.trades, "1h"), args.repeat)
    print(
        f"3. behaviour scan, {bars:,} bars: features and z alerts {t_nf:.3f} s; with the "
        f"isolation forest ({s.forest_trees} trees, about {fits} fits) {t_bf:.3f} s, "
        f"{(t_bf - t_nf) / max(fits, 1):.3f} s per fit"
    )
    print(
        f"   trade signatures, {len(mkt.trades):,} trades: {t_tr:.3f} s "
        f"({1e9 * t_tr / len(mkt.trades):.0f} ns per trade)"
    )


if __name__ == "__main__":
    main()
