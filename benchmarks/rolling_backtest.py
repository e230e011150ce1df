"""Benchmark: daily-refit rolling GARCH VaR/ES, riskkit fast path vs the straightforward arch loop.

Workload (default): 2 assets (BTC from Bitstamp, ETH from Poloniex: the bundled ETH series with
the longest history) x 3 specifications (GARCH-normal, GARCH-t, GJR-t, zero mean) x 500
forecast days, a moving window of 1,000 daily log returns, refit every day, 1-day 99% VaR and ES.
``--full``: 3 assets (adds LTC from Poloniex) x 4 specifications (adds GJR-t with a constant
mean) x 1,500 days, capped by the history each asset has.

Baseline, in the same run: for every day, ``arch_model(100 * window, ...).fit(disp="off")`` from
scratch, the one-step variance forecast, and VaR/ES from arch's standardised distribution, on 1
process. riskkit: :func:`riskkit.backtest.rolling_forecast` with :class:`riskkit.risk.FastGarch`
(the fast backend of :class:`riskkit.volatility.GarchSpec`: compiled likelihood with analytic
gradient and Hessian, warm-started Newton steps), on 1 process too, so the ratio is per core;
``--workers 2`` runs riskkit on a pool of 2 worker processes instead (the 2-process figure).
Both wall-clock and CPU time (of this process and its children) are printed: on a shared
machine the CPU-time ratio is the steadier one. The one-off cost of loading (or, on the first
run after an edit, compiling) the numba kernels is measured and printed separately.

Run ``python benchmarks/rolling_backtest.py`` (``--quick``: 1 asset x 3 specs x 60 days). The
last line is ``speedup: <x>x`` (wall-clock, arch loop time / riskkit time).
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
from scipy import stats

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import cpu_seconds, load_average, machine

SPECS = {
    "GARCH-normal": ("GARCH", "normal", "zero"),
    "GARCH-t": ("GARCH", "t", "zero"),
    "GJR-t": ("GJR", "t", "zero"),
}
FULL_SPECS = {**SPECS, "GJR-t-const": ("GJR", "t", "constant")}
ASSETS = {"BTC": "bitstamp", "ETH": "poloniex"}
FULL_ASSETS = {**ASSETS, "LTC": "poloniex"}
LEVEL = 0.99


def _load(asset: str, exchange: str) -> pd.Series:
    from riskkit.datasets import load_returns

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # gap notices: returns are never computed across gaps
        return load_returns(asset, exchange=exchange).iloc[:, 0].dropna()


def _warm_worker(window: np.ndarray) -> float:
    """Import riskkit, load the kernels and fit once in a pool worker; returns the worker's CPU
    seconds so far, at most once per process (0 afterwards), to subtract from the timing."""
    global _WARMED
    from riskkit.risk import FastGarch

    est = FastGarch()
    est.forecast(window, est.fit(window), [LEVEL])
    time.sleep(0.2)  # so that every worker gets one of the warm-up tasks
    if _WARMED:
        return 0.0
    _WARMED = True
    return time.process_time()


_WARMED = False


def arch_baseline(r: np.ndarray, positions: np.ndarray, window: int, spec: tuple) -> np.ndarray:
    """The straightforward loop: refit arch from scratch each day. Returns (n, 2) VaR, ES."""
    from arch import arch_model

    vol, dist, mean = spec
    out = np.empty((len(positions), 2))
    for j, t in enumerate(positions):
        y = 100 * r[t - window : t]
        res = arch_model(
            y,
            mean="Zero" if mean == "zero" else "Constant",
            vol="GARCH",
            p=1,
            o=1 if vol == "GJR" else 0,
            q=1,
            dist=dist,
        ).fit(disp="off")
        sigma = float(np.sqrt(res.forecast(horizon=1, reindex=False).variance.iloc[-1, 0]))
        mu = float(res.params.get("mu", 0.0))
        if dist == "normal":
            q = stats.norm.ppf(LEVEL)
            es = stats.norm.pdf(q) / (1 - LEVEL)
        else:
            nu = float(res.params["nu"])
            q0 = stats.t.ppf(LEVEL, nu)
            s = np.sqrt((nu - 2) / nu)
            es = stats.t.pdf(q0, nu) / (1 - LEVEL) * (nu + q0**2) / (nu - 1) * s
            q = q0 * s
            # cross-check the closed form against arch's own standardised quantile
            assert abs(-float(np.squeeze(res.model.distribution.ppf(1 - LEVEL, [nu]))) - q) < 1e-8
        out[j] = [(sigma * q - mu) / 100, (sigma * es - mu) / 100]
    return out


def explain_difference(s: pd.Series, t: int, window: int, spec: tuple) -> tuple[float, float]:
    """Log-likelihoods (riskkit's warm-start chain, arch) of the fits behind day ``t``'s forecasts.

    Replays riskkit's warm-start chain from the start of ``t``'s block (blocks are fixed, see
    :func:`riskkit.backtest.rolling_forecast`) and evaluates arch's estimate with the same
    likelihood. Where the GARCH likelihood has two optima the two methods may settle in
    different ones; the one with the higher likelihood is the better estimate.
    """
    from arch import arch_model

    from riskkit.backtest.rolling import DEFAULT_BLOCK_DATES
    from riskkit.risk import FastGarch
    from riskkit.volatility import GarchSpec

    vol, dist, mean = spec
    r = s.to_numpy()
    est = FastGarch(GarchSpec(vol, dist=dist, mean=mean))
    params = None
    for u in range(window + ((t - window) // DEFAULT_BLOCK_DATES) * DEFAULT_BLOCK_DATES, t + 1):
        params = est.fit(r[u - window : u], warm_start=params)
    y = 100 * r[t - window : t]
    res = arch_model(
        y, mean="Zero" if mean == "zero" else "Constant", vol="GARCH", p=1,
        o=1 if vol == "GJR" else 0, q=1, dist=dist,
    ).fit(disp="off")  # fmt: skip
    # riskkit's fit in percent units: its return-unit log-likelihood minus n ln(100)
    fast_ll = params.info["loglik"] - window * np.log(100.0)
    lik = est.spec.fast_likelihood()
    arch_ll = lik.loglik(res.params.to_numpy(), y, lik.residuals(y)[1])
    return fast_ll, arch_ll


def main(argv: list[str] | None = None) -> float:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--full", action="store_true", help="3 assets x 4 specs x 1,500 days")
    parser.add_argument("--days", type=int, default=None, help="forecast days per asset/spec")
    parser.add_argument("--window", type=int, default=1000)
    parser.add_argument(
        "--workers", type=int, default=1,
        help="riskkit worker processes (default 1: per-core ratio; 2 gives the 2-process figure)",
    )  # fmt: skip
    parser.add_argument("--quick", action="store_true", help="BTC only, 60 forecast days")
    args = parser.parse_args(argv)

    from riskkit.backtest import rolling_forecast
    from riskkit.risk import FastGarch
    from riskkit.volatility import GarchSpec

    specs = FULL_SPECS if args.full else SPECS
    assets = FULL_ASSETS if args.full else ASSETS
    if args.quick:
        assets = {"BTC": ASSETS["BTC"]}
    days = (
        args.days if args.days is not None else (1500 if args.full else 60 if args.quick else 500)
    )
    series = {}
    for asset, exchange in assets.items():
        s = _load(asset, exchange)
        n_days = min(days, len(s) - args.window)
        if n_days < days:
            print(f"note: {asset} ({exchange}) has {len(s)} returns: {n_days} forecast days")
        series[asset] = s.iloc[len(s) - args.window - n_days :]
    n_tasks = sum(len(s) - args.window for s in series.values()) * len(specs)

    print("workload")
    for asset, s in series.items():
        print(
            f"  {asset:4s} {assets[asset]:9s} forecast days {len(s) - args.window:5d} "
            f"({s.index[args.window].date()} .. {s.index[-1].date()})"
        )
    print(f"  specs: {', '.join(specs)}; window {args.window}; refit every day; 1-day {LEVEL:.0%}")
    print(f"  total model fits per method: {n_tasks}")
    print(f"machine: {machine()}")
    print(f"load average at start (1, 5, 15 min): {load_average()}")
    sys.stdout.flush()

    # one-off: load the compiled kernels from numba's cache (compile them if the cache is cold)
    t0 = time.perf_counter()
    first = next(iter(series.values())).to_numpy()[: args.window]
    for vol, dist, mean in specs.values():
        est = FastGarch(GarchSpec(vol, dist=dist, mean=mean))
        est.forecast(first, est.fit(first), [LEVEL])
    print(f"one-off numba kernel load/compile and first fits: {time.perf_counter() - t0:.2f} s "
          "(not in the timings below)")  # fmt: skip

    # riskkit fast path (timed first so the baseline's memory does not count against it)
    jobs = [(asset, name) for asset in series for name in specs]

    def run(job: tuple[str, str], executor) -> np.ndarray:
        vol, dist, mean = specs[job[1]]
        fc = rolling_forecast(
            series[job[0]], FastGarch(GarchSpec(vol, dist=dist, mean=mean)), levels=LEVEL,
            window=args.window, refit_every=1, executor=executor, progress=False,
        )  # fmt: skip
        return fc[[f"var_{LEVEL:g}", f"es_{LEVEL:g}"]].to_numpy()

    if args.workers <= 1:
        t0, c0 = time.perf_counter(), cpu_seconds()
        fast = {job: run(job, None) for job in jobs}
        t_fast, cpu_fast = time.perf_counter() - t0, cpu_seconds() - c0
    else:
        with ProcessPoolExecutor(max_workers=args.workers) as pool:
            # the workers are started and warmed (imports, kernels loaded, one fit) before the
            # clock starts, as the main process was; their warm-up CPU is subtracted below
            warm_cpu = sum(pool.map(_warm_worker, [first] * (2 * args.workers)))
            t0, c0 = time.perf_counter(), cpu_seconds()
            # all asset/spec runs submit their blocks to the one pool at once, so no worker
            # idles while the last block of one run finishes
            with ThreadPoolExecutor(max_workers=len(jobs)) as threads:
                fast = dict(zip(jobs, threads.map(lambda j: run(j, pool), jobs), strict=True))
            t_fast = time.perf_counter() - t0
        cpu_fast = cpu_seconds() - c0 - warm_cpu
    rss_children = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    rss_main_fast = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"riskkit FastGarch on {args.workers} process(es): {t_fast:8.2f} s wall, "
          f"{cpu_fast:8.2f} s CPU")  # fmt: skip
    sys.stdout.flush()

    t0, c0 = time.perf_counter(), cpu_seconds()
    base: dict[tuple[str, str], np.ndarray] = {}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # arch convergence notes are counted through agreement
        for asset, s in series.items():
            r = s.to_numpy()
            positions = np.arange(args.window, len(r))
            for name, spec in specs.items():
                base[asset, name] = arch_baseline(r, positions, args.window, spec)
    t_base, cpu_base = time.perf_counter() - t0, cpu_seconds() - c0
    rss_main = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"baseline arch loop (1 process):     {t_base:8.2f} s wall, {cpu_base:8.2f} s CPU")

    print("agreement of 1-day 99% VaR (relative difference riskkit vs arch, per day)")
    worst = 0.0
    for key in base:
        rel = np.abs(fast[key][:, 0] / base[key][:, 0] - 1)
        rel_es = np.abs(fast[key][:, 1] / base[key][:, 1] - 1)
        worst = max(worst, float(rel.max()))
        print(
            f"  {key[0]:4s} {key[1]:12s} VaR max {rel.max():.2e} median {np.median(rel):.1e} "
            f"days > 0.5%: {int(np.sum(rel > 0.005))}/{len(rel)}; ES max {rel_es.max():.2e}"
        )
    print(f"  worst VaR difference: {worst:.3%} (target < 0.5%)")
    diffs = [
        (key, int(i))
        for key in base
        for i in np.flatnonzero(np.abs(fast[key][:, 0] / base[key][:, 0] - 1) > 0.005)
    ]
    if diffs:
        better = 0
        gaps = []
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            for (asset, name), i in diffs:
                ll_fast, ll_arch = explain_difference(
                    series[asset], args.window + i, args.window, specs[name]
                )
                better += ll_fast >= ll_arch - 1e-6
                gaps.append(ll_fast - ll_arch)
        print(
            f"  {len(diffs)} day(s) differ by > 0.5%: the likelihood has two optima there; "
            f"riskkit's estimate has the higher log-likelihood on {better} of them "
            f"(riskkit minus arch: min {min(gaps):+.3f}, max {max(gaps):+.3f})"
        )
    print(
        f"peak memory (ru_maxrss): main process {rss_main:.0f} MiB (after riskkit part "
        f"{rss_main_fast:.0f} MiB), largest worker process {rss_children:.0f} MiB"
    )
    speedup = t_base / t_fast
    print(f"per fit: arch {1000 * t_base / n_tasks:.1f} ms, riskkit {1000 * t_fast / n_tasks:.2f} ms "
          f"wall ({args.workers} process(es)); CPU: arch {1000 * cpu_base / n_tasks:.1f} ms, "
          f"riskkit {1000 * cpu_fast / n_tasks:.2f} ms")  # fmt: skip
    print(f"CPU-time ratio (arch / riskkit): {cpu_base / cpu_fast:.1f}x")
    print(f"load average at end (1, 5, 15 min): {load_average()}")
    print(f"speedup: {speedup:.1f}x")
    return speedup


if __name__ == "__main__":
    main()
