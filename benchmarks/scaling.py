"""Scaling of the per-asset calibration on a Dask cluster: 1 worker against 2 workers.

Calibrates N synthetic assets (N = 50, 500) with :func:`riskkit.run.calibrate_assets`
on a ``dask.distributed.LocalCluster`` of 1 and then 2 single-threaded worker processes, and
prints the wall times and the scaling efficiency ``T1 / (2 * T2)`` (1.0 = perfect; the
cluster's start-up and the workers' first imports are not timed). Every asset is a seeded
GARCH(1,1) path with Student-t(5) innovations, so the work is the same on every run; the
per-asset workload is kept light (a short history and rare refits) because the point is the
scheduling overhead, not the model. :func:`riskkit.parallel.map_tasks` sends the assets in
batches that carry at least 100 ms of work each (one probe asset per worker is timed first), so
that the scheduler's per-task cost does not eat the second worker's gain (target: efficiency
>= 0.85 at N = 500 on 2 cores). The machine's load average is printed: on a shared machine the
second worker does not get a core of its own and the efficiency says more about the load.

The parameter sets of the 1-worker and 2-worker runs are compared: they must be identical,
because each asset's seed depends only on its position.

Usage::

    python benchmarks/scaling.py            # N = 50, 500
    python benchmarks/scaling.py --quick    # N = 4: a smoke run of a few seconds
    python benchmarks/scaling.py --sizes 20 80 --days 800 --scheduler tcp://10.0.0.5:8786

With ``--scheduler`` the run uses an existing cluster (all its workers) instead of LocalClusters.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
import warnings
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import garch_t_returns, load_average

os.environ.setdefault("RISKKIT_NO_PROGRESS", "1")


def synthetic_ohlcv(
    n_days: int,
    seed: int,
    omega: float = 2e-5,
    alpha: float = 0.10,
    beta: float = 0.85,
    nu: float = 5.0,
    start: str = "2018-01-01",
) -> pd.DataFrame:
    """Daily OHLCV bars whose close-to-close log returns follow a GARCH(1,1)-t process.

    ``sigma2_t = omega + alpha * r_{t-1}^2 + beta * sigma2_{t-1}``, ``r_t = sigma_t z_t`` with
    ``z_t`` Student-t(``nu``) scaled to unit variance, started at the unconditional variance
    ``omega / (1 - alpha - beta)`` (daily volatility 2% with the defaults). Open = previous
    close; high and low add a half-normal intraday range; volume is 1.
    """
    r = garch_t_returns(n_days, seed, omega, alpha, beta, nu)
    rng = np.random.default_rng([seed, 1])  # the intraday range, drawn apart from the returns
    close = 100.0 * np.exp(np.cumsum(r))
    open_ = np.concatenate([[100.0], close[:-1]])
    wick = np.abs(rng.standard_normal((2, n_days))) * 0.005
    idx = pd.date_range(start, periods=n_days, freq="D", name="date")
    return pd.DataFrame(
        {
            "open": open_,
            "high": np.maximum(open_, close) * (1 + wick[0]),
            "low": np.minimum(open_, close) * (1 - wick[1]),
            "close": close,
            "volume": np.ones(n_days),
        },
        index=idx,
    )


def _warm_up() -> bool:
    """Import the calibration stack on a worker, so that start-up is not timed as work."""
    import riskkit.backtest
    import riskkit.margin
    import riskkit.risk
    import riskkit.volatility  # noqa: F401

    return True


def _config(days: int, window: int, seed: int):
    from riskkit.config import validate_config

    return validate_config(
        {
            "name": "scaling-benchmark",
            # calibrate_assets takes the synthetic frames directly; the data section and this
            # asset list are only validated, never loaded
            "assets": ["BTC"],
            "model": {"estimator": "fhs", "vol": "GARCH", "p": 1, "q": 1, "dist": "t"},
            "margin": {"measure": "es", "level": 0.99, "horizon_days": 1},
            "backtest": {"window": window, "refit_every": max(days, 1)},
            "run": {"seed": seed, "executor": "local"},
            "report": False,
        }
    )


def _signature(outcomes) -> list:
    out = []
    for o in outcomes:
        if not o.ok:
            out.append((o.asset, "failed", o.error))
        else:
            params = o.calibration.parameters
            out.append((o.asset, sorted((k, repr(v)) for k, v in params.items())))
    return out


def run(sizes, days: int, window: int, seed: int, scheduler: str | None) -> pd.DataFrame:
    from distributed import Client

    from riskkit.parallel import executor_from_spec
    from riskkit.run import calibrate_assets

    config = _config(days, window, seed)
    n_max = max(sizes)
    data_all = {f"SYN{i:03d}": synthetic_ohlcv(days, seed + i) for i in range(n_max)}
    rows = []
    if scheduler:
        with Client(scheduler) as client:
            workers = len(client.scheduler_info()["workers"])
            client.run(_warm_up)
            for n in sizes:
                data = dict(list(data_all.items())[:n])
                t0 = time.perf_counter()
                calibrate_assets(data, config, client)
                rows.append({"assets": n, "workers": workers, "seconds": time.perf_counter() - t0})
                print(f"N={n:4d} on {workers} worker(s): {rows[-1]['seconds']:7.1f} s", flush=True)
        return pd.DataFrame(rows)
    for n in sizes:
        data = dict(list(data_all.items())[:n])
        times, sigs = {}, {}
        for workers in (1, 2):
            # the same LocalCluster riskkit itself uses for executor: local
            with executor_from_spec("local", max_workers=workers) as client:
                client.wait_for_workers(workers)
                client.run(_warm_up)
                t0 = time.perf_counter()
                outcomes = calibrate_assets(data, config, client)
                times[workers] = time.perf_counter() - t0
            # a failed asset is timed like the others (its work was done); it is listed, and
            # the 1- and 2-worker runs must fail on the same assets for the same reason
            failed = {o.asset: o.error for o in outcomes if not o.ok}
            sigs[workers] = _signature(outcomes)
        same = sigs[1] == sigs[2]
        eff = times[1] / (2 * times[2])
        rows.append(
            {
                "assets": n,
                "t1_seconds": times[1],
                "t2_seconds": times[2],
                "speed_up": times[1] / times[2],
                "efficiency": eff,
                "per_asset_seconds_1w": times[1] / n,
                "identical_results": same,
                "failed_assets": len(failed),
            }
        )
        for asset, error in failed.items():
            print(f"  {asset} failed: {error}", flush=True)
        print(
            f"N={n:4d}  T1={times[1]:7.2f} s  T2={times[2]:7.2f} s  "
            f"speed-up={times[1] / times[2]:4.2f}  efficiency T1/(2*T2)={eff:4.2f}  "
            f"identical parameters: {same}",
            flush=True,
        )
    return pd.DataFrame(rows)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="smoke run: N = 4, short history")
    parser.add_argument("--sizes", type=int, nargs="+", default=[50, 500])
    parser.add_argument("--days", type=int, default=500, help="bars per synthetic asset")
    parser.add_argument("--window", type=int, default=250, help="estimation window")
    parser.add_argument("--seed", type=int, default=20260101)
    parser.add_argument("--scheduler", help="address of an existing Dask scheduler")
    args = parser.parse_args(argv)
    if args.quick:
        args.sizes, args.days, args.window = [4], 300, 200
    warnings.simplefilter("ignore")
    print(
        f"scaling benchmark: {args.days} bars per asset, window {args.window}, "
        f"{args.days - args.window} forecast days, one fit per asset; cores: {os.cpu_count()}; "
        f"load average {load_average()}"
    )
    table = run(args.sizes, args.days, args.window, args.seed, args.scheduler)
    with pd.option_context("display.float_format", "{:.2f}".format, "display.width", 120):
        print(table.to_string(index=False))
    print(f"load average at end (1, 5, 15 min): {load_average()}")
    if "identical_results" in table and not table["identical_results"].all():
        print("ERROR: results differ between 1 and 2 workers", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
