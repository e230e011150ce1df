"""Benchmark: 8 years of hourly bars, rolling 1-hour 99% ES with a GARCH(1,1)-t refitted daily.

Workload (default): 2 assets x 70,080 hourly log returns (8 years of the 365 x 24 UTC calendar),
simulated from a GARCH(1,1) with Student-t(5) innovations (no real hourly history is bundled;
parameters typical of hourly crypto returns: hourly volatility about 0.7%, persistence 0.98).
Rolling 1-hour 99% VaR and ES for every bar after the first 2,000, a moving window of 2,000 bars,
the model refitted every 24 bars (once a day) and re-filtered through the new window every bar:
68,080 forecasts and 2,837 fits per asset.

riskkit: :func:`riskkit.backtest.rolling_forecast` with :class:`riskkit.risk.FastGarch`
(compiled likelihood, warm-started Newton steps between refits), on ``--workers`` processes
(default 2; blocks of 1,200 forecast dates, so that each block starts one cold fit).

Alternative, in the same run: the straightforward arch loop, on a subsample of the refit blocks
(``--arch-blocks`` per asset, spread evenly over the sample), **extrapolated** to the whole
workload: at each refit bar ``arch_model(100 * window).fit()``, then for each of the next 24
bars ``arch_model(100 * window).fix(params).forecast(horizon=1)`` and the ES of the
standardised t. The ES of both methods on the subsample bars are compared.

Run ``python benchmarks/intraday_rolling.py`` (``--quick``: 1 year, 1 asset, for a smoke run).
The last line is ``speedup: <x>x`` (extrapolated arch time / riskkit time).
"""

from __future__ import annotations

import argparse
import resource
import sys
import time
import warnings
from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import cpu_seconds, garch_t_returns, load_average, machine

LEVEL = 0.99
HOURS_PER_YEAR = 365 * 24
#: GARCH(1,1)-t in percent units: omega, alpha, beta, nu (hourly volatility ~0.7%)
TRUE_PARAMS = (0.01, 0.05, 0.93, 5.0)


def simulate_hourly(n: int, seed: int) -> pd.Series:
    """Hourly log returns (fractions) of a GARCH(1,1)-t with :data:`TRUE_PARAMS` (known truth).

    ``s2[t] = omega + alpha r[t-1]^2 + beta s2[t-1]`` (percent units), ``r[t] = sqrt(s2[t]) z[t]``
    with ``z`` Student-t(nu) scaled to unit variance, started at the unconditional variance.
    """
    r = garch_t_returns(n, seed, *TRUE_PARAMS)
    index = pd.date_range("2017-01-01", periods=n, freq="h", tz="UTC", name="time")
    return pd.Series(r / 100, index=index, name="log_return")


def arch_block(r: np.ndarray, start: int, window: int, refit_every: int) -> np.ndarray:
    """The straightforward loop for one refit block: returns (refit_every, 2) VaR, ES."""
    from arch import arch_model

    from riskkit.risk import student_t_var_es

    res = arch_model(100 * r[start - window : start], mean="Zero", vol="GARCH", p=1, q=1,
                     dist="t").fit(disp="off")  # fmt: skip
    params = res.params
    nu = float(params["nu"])
    var1, es1 = student_t_var_es(LEVEL, nu, sigma=1.0)
    out = np.empty((refit_every, 2))
    for j in range(refit_every):
        t = start + j
        fixed = arch_model(100 * r[t - window : t], mean="Zero", vol="GARCH", p=1, q=1,
                           dist="t").fix(params)  # fmt: skip
        sigma = float(np.sqrt(fixed.forecast(horizon=1, reindex=False).variance.iloc[-1, 0]))
        out[j] = [sigma * var1 / 100, sigma * es1 / 100]
    return out


def main(argv: list[str] | None = None) -> float:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--years", type=float, default=8.0)
    parser.add_argument("--assets", type=int, default=2)
    parser.add_argument("--window", type=int, default=2000)
    parser.add_argument("--refit-every", type=int, default=24)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--block-dates", type=int, default=1200)
    parser.add_argument("--arch-blocks", type=int, default=8, help="arch refit blocks per asset")
    parser.add_argument("--quick", action="store_true", help="1 asset x 1 year, 2 arch blocks")
    args = parser.parse_args(argv)
    if args.quick:
        args.years, args.assets, args.arch_blocks = 1.0, 1, 2

    from riskkit.backtest import rolling_forecast
    from riskkit.risk import FastGarch
    from riskkit.volatility import GarchSpec

    n = int(round(args.years * HOURS_PER_YEAR))
    series = {f"SIM{i}": simulate_hourly(n, 20260 + i) for i in range(args.assets)}
    n_fc = n - args.window
    n_fits = -(-n_fc // args.refit_every)
    print("workload")
    print(f"  {args.assets} simulated GARCH(1,1)-t assets x {n:,} hourly bars "
          f"({args.years:g} years of 365x24 UTC hours; no real hourly data is bundled)")  # fmt: skip
    print(f"  rolling 1-hour {LEVEL:.0%} VaR/ES, window {args.window} bars, refit every "
          f"{args.refit_every} bars: {n_fc:,} forecasts and {n_fits:,} fits per asset")  # fmt: skip
    print(f"machine: {machine()}")
    print(f"load average at start (1, 5, 15 min): {load_average()}")
    sys.stdout.flush()

    spec = GarchSpec("GARCH", dist="t")
    kw = dict(levels=LEVEL, window=args.window, refit_every=args.refit_every, progress=False,
              block_dates=args.block_dates)  # fmt: skip

    def run(name: str, executor) -> pd.DataFrame:
        return rolling_forecast(series[name], FastGarch(spec), executor=executor, **kw)

    # one-off: numba kernels loaded from the cache (compiled if the cache is cold)
    t0 = time.perf_counter()
    est = FastGarch(spec)
    first = series["SIM0"].to_numpy()[: args.window]
    est.forecast(first, est.fit(first), [LEVEL])
    print(f"one-off numba kernel load/compile: {time.perf_counter() - t0:.2f} s (not timed below)")

    t0, c0 = time.perf_counter(), cpu_seconds()
    if args.workers <= 1:
        fast = {name: run(name, None) for name in series}
    else:
        with ProcessPoolExecutor(max_workers=args.workers) as pool:
            with ThreadPoolExecutor(max_workers=len(series)) as threads:
                names = list(series)
                fast = dict(zip(names, threads.map(lambda s: run(s, pool), names), strict=True))
    t_fast, cpu_fast = time.perf_counter() - t0, cpu_seconds() - c0
    rss_self = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    rss_kids = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    print(f"riskkit FastGarch on {args.workers} process(es): {t_fast:8.1f} s wall "
          f"(target < 60 s for the default workload), {cpu_fast:.1f} s CPU in all "
          f"processes")  # fmt: skip
    sys.stdout.flush()

    # the arch loop on a subsample of refit blocks, extrapolated
    t_arch, n_blocks, worst = 0.0, 0, 0.0
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for name, s in series.items():
            r = s.to_numpy()
            grid = np.arange(args.window, n - args.refit_every + 1, args.refit_every)
            picks = grid[np.linspace(0, len(grid) - 1, args.arch_blocks).astype(int)]
            ours = fast[name][[f"var_{LEVEL:g}", f"es_{LEVEL:g}"]].to_numpy()
            for start in picks:
                t0 = time.perf_counter()
                ref = arch_block(r, int(start), args.window, args.refit_every)
                t_arch += time.perf_counter() - t0
                n_blocks += 1
                mine = ours[start - args.window : start - args.window + args.refit_every]
                worst = max(worst, float(np.max(np.abs(mine[:, 1] / ref[:, 1] - 1))))
    per_block = t_arch / n_blocks
    total_blocks = n_fits * args.assets
    t_arch_total = per_block * total_blocks
    print(f"arch loop (1 process) on {n_blocks} refit blocks: {t_arch:.1f} s, "
          f"{per_block:.2f} s per block of 1 fit + {args.refit_every} forecasts")  # fmt: skip
    print(f"  extrapolated to all {total_blocks:,} blocks: {t_arch_total:,.0f} s "
          f"({t_arch_total / 3600:.1f} h) on 1 process")  # fmt: skip
    print(f"agreement: largest relative ES difference riskkit vs arch on the "
          f"{n_blocks * args.refit_every} subsample bars: {worst:.3%}")  # fmt: skip
    print(f"peak memory (ru_maxrss): main process {rss_self:.0f} MiB, largest worker "
          f"{rss_kids:.0f} MiB")  # fmt: skip
    print(f"load average at end (1, 5, 15 min): {load_average()}")
    speedup = t_arch_total / t_fast
    print(f"speedup: {speedup:.1f}x")
    return speedup


if __name__ == "__main__":
    main()
