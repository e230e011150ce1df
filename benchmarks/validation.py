"""Speed and memory of :func:`riskkit.data.validate` on large intraday files.

Two workloads, each timed in a fresh subprocess (so that its peak resident memory is its own):

1. **3 million minute bars** (about 5.7 years of 1-minute OHLCV), synthetic: a Student-t random
   walk with 2,000 bars removed (gaps), 1,000 duplicated timestamps, 20 isolated spikes (bad
   ticks) and a frozen stretch (stale run). Target: validation in under 3 s and under 500 MB.
2. **The duplicate check** on 250k, 500k and 1M rows of which 10% are duplicated timestamps
   (1M rows: 100,000 duplicates): the time must grow linearly with the rows (target: under 2 s
   at 1M). Each size is compared, in the same run, with two straightforward alternatives:

   * the loop riskkit used before (one scan of the whole index per duplicated timestamp, then
     ``nunique`` per group: its cost grows as rows x duplicates, 68 s at 1M rows); it is timed
     on a 50,000-row subsample only, and the script says so;
   * plain pandas building the same table (``groupby(...).agg(tuple)`` for the rows of each
     duplicated timestamp, ``groupby(...).nunique()`` for the columns that differ): linear
     too, a reference for what a straightforward vectorised version costs.

For every measurement the script prints the workload, the machine, the wall time of the call
(best of ``--repeat`` runs, the frame built beforehand), the peak memory allocated during the
call (:mod:`tracemalloc`, a separate run: tracing slows the call down) and the peak resident set
of the subprocess (``ru_maxrss``: the frame and the interpreter included).

Usage::

    python benchmarks/validation.py            # both workloads
    python benchmarks/validation.py --quick    # 300k bars and 25k..100k rows: a smoke run
"""

from __future__ import annotations

import argparse
import multiprocessing as mp
import os
import platform
import resource
import sys
import time
import tracemalloc
import warnings

import numpy as np
import pandas as pd


def machine() -> str:
    """One line about the machine: CPU model, cores, memory, Python, numpy, pandas."""
    cpu = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as fh:
            for line in fh:
                if line.startswith("model name"):
                    cpu = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    try:
        mem = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
        mem_text = f"{mem:.0f} GiB RAM"
    except (ValueError, OSError, AttributeError):
        mem_text = "RAM unknown"
    return (
        f"{cpu}, {os.cpu_count()} logical cores, {mem_text}; {platform.system()} "
        f"{platform.release()}; Python {platform.python_version()}, numpy {np.__version__}, "
        f"pandas {pd.__version__}"
    )


# --------------------------------------------------------------------------------------------
# workloads


def minute_bars(n: int, seed: int = 0) -> pd.DataFrame:
    """``n`` one-minute OHLCV bars with planted defects (see the module docstring)."""
    rng = np.random.default_rng(seed)
    r = 0.0008 * rng.standard_t(4, n) / np.sqrt(2.0)
    close = 20_000.0 * np.exp(np.cumsum(r))
    open_ = np.concatenate([[20_000.0], close[:-1]])
    reach = np.abs(rng.normal(0.0, 0.0003, (2, n)))
    frame = pd.DataFrame(
        {
            "open": open_,
            "high": np.maximum(open_, close) * (1 + reach[0]),
            "low": np.minimum(open_, close) * (1 - reach[1]),
            "close": close,
            "volume": rng.lognormal(1.0, 0.5, n),
        },
        index=pd.date_range("2019-01-01", periods=n, freq="1min", name="date"),
    )
    spikes = rng.choice(np.arange(100, n - 100), 20, replace=False)
    frame.iloc[spikes, 3] *= 1.5  # close 50% off for one bar
    frame.iloc[spikes, 1] = frame.iloc[spikes, [1, 3]].max(axis=1)
    frame.iloc[n // 2 : n // 2 + 30, :4] = frame.iloc[n // 2, 3]  # a frozen feed
    gaps = rng.choice(n, min(2_000, n // 100), replace=False)
    frame = frame.drop(frame.index[gaps])
    dups = frame.iloc[rng.choice(len(frame), min(1_000, n // 300), replace=False)]
    return pd.concat([frame, dups]).sort_index(kind="stable")


def duplicated_rows(n: int, share: float = 0.1, seed: int = 1) -> pd.DataFrame:
    """``n`` rows of close and volume, ``share`` of them repeating an earlier timestamp."""
    rng = np.random.default_rng(seed)
    k = int(n * share)
    base = pd.date_range("2019-01-01", periods=n - k, freq="1min", name="date")
    idx = base.append(base[rng.choice(n - k, k, replace=False)]).sort_values()
    return pd.DataFrame(
        {"close": 100.0 + rng.random(n), "volume": rng.random(n)},
        index=pd.DatetimeIndex(idx, name="date"),
    )


# --------------------------------------------------------------------------------------------
# the duplicate check: riskkit's, and two straightforward alternatives


def duplicates_riskkit(frame: pd.DataFrame) -> int:
    """riskkit's duplicate check (the ``duplicate`` rows of :func:`riskkit.data.validate`)."""
    from riskkit.data.validation import _duplicates, _Where

    ts = frame.index.as_unit("ns").asi8
    order = np.argsort(ts, kind="stable")
    sts = ts[order]
    same = sts[1:] == sts[:-1]
    return len(_duplicates(frame, order, same, sts, _Where(None)))


def duplicates_loop(frame: pd.DataFrame) -> int:
    """The straightforward loop riskkit used before (kept here to compare): for each
    duplicated timestamp, scan the whole index for its rows, then count distinct values per
    column. Its cost is rows x duplicated timestamps."""
    idx = frame.index
    ts = idx.as_unit("ns").asi8
    found = []
    for stamp in idx[idx.duplicated(keep=False)].unique():
        rows = np.flatnonzero(ts == pd.Timestamp(stamp).as_unit("ns").value)
        sub = frame.iloc[rows]
        differ = [c for c in sub.columns if sub[c].nunique(dropna=False) > 1]
        found.append((stamp, tuple(rows), differ))
    return len(found)


def duplicates_groupby(frame: pd.DataFrame) -> int:
    """Plain pandas, building the same table as riskkit's check: per duplicated timestamp its
    rows (``groupby(...).agg(tuple)``), which columns differ (``groupby(...).nunique()``) and a
    detail text."""
    mask = frame.index.duplicated(keep=False)
    dup = frame[mask]
    rows = pd.Series(np.flatnonzero(mask), index=dup.index).groupby(level=0).agg(tuple)
    differ = dup.groupby(level=0).nunique(dropna=False) > 1
    cols = np.array(differ.columns)
    details = [
        f"{len(r)} rows for {stamp}: "
        + (f"values differ in {list(cols[d])}" if d.any() else "identical copies")
        for stamp, r, d in zip(rows.index, rows.to_numpy(), differ.to_numpy(), strict=True)
    ]
    table = pd.DataFrame({"start": rows.index, "rows": rows.to_numpy(), "detail": details})
    return len(table)


# --------------------------------------------------------------------------------------------
# measuring in a subprocess


def _measure(job: str, n: int, repeat: int, queue: mp.Queue) -> None:
    warnings.simplefilter("ignore")
    import riskkit.data as rd

    if job == "validate":
        frame = minute_bars(n)

        def call() -> object:
            return rd.validate(frame, freq="1min", warn=False).summary()
    else:
        frame = duplicated_rows(n)
        fn = {
            "riskkit": duplicates_riskkit,
            "loop": duplicates_loop,
            "groupby": duplicates_groupby,
        }[job]

        def call() -> object:
            return fn(frame)

    result = call()  # warm-up (imports, first-touch of the pages)
    best = np.inf
    for _ in range(repeat):
        t0 = time.perf_counter()
        call()
        best = min(best, time.perf_counter() - t0)
    tracemalloc.start()
    call()
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * (
        1 if sys.platform == "darwin" else 1024
    )
    queue.put((len(frame), best, peak, rss, result))


def measure(job: str, n: int, repeat: int = 3) -> tuple[int, float, float, float, object]:
    """(rows, best seconds, traced peak bytes of the call, peak RSS bytes, result) of ``job``
    on ``n`` rows, in a fresh process."""
    ctx = mp.get_context("spawn")
    queue = ctx.Queue()
    proc = ctx.Process(target=_measure, args=(job, n, repeat, queue))
    proc.start()
    out = queue.get()
    proc.join()
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="small sizes: a smoke run")
    parser.add_argument("--repeat", type=int, default=3, help="timed runs (best kept)")
    args = parser.parse_args(argv)
    bars = 300_000 if args.quick else 3_000_000
    sizes = (25_000, 50_000, 100_000) if args.quick else (250_000, 500_000, 1_000_000)
    loop_rows = 10_000 if args.quick else 50_000
    mb = 2**20

    print(f"machine: {machine()}")
    print()
    rows, t, peak, rss, summary = measure("validate", bars, args.repeat)
    print(f"1. validate(): {rows:,} one-minute OHLCV bars (gaps, duplicates, spikes, a stale run)")
    print(
        f"   found: {summary} (planted: {min(2_000, bars // 100):,} bars removed, "
        f"{min(1_000, bars // 300):,} duplicates, 20 spikes, one 30-bar frozen stretch)"
    )
    print(
        f"   time {t:.2f} s (target < 3 s), peak memory of the call {peak / mb:.0f} MB "
        f"(target < 500 MB); process peak RSS {rss / mb:.0f} MB (frame included)"
    )
    print()
    print("2. duplicate check, 10% of rows duplicated timestamps")
    print(f"   {'rows':>10} {'riskkit s':>10} {'us/row':>7} {'peak MB':>8} {'groupby s':>10}")
    times = {}
    for n in sizes:
        rows, t, peak, _, found = measure("riskkit", n, args.repeat)
        _, tg, _, _, found_g = measure("groupby", n, args.repeat)
        assert found == found_g, (found, found_g)
        times[n] = t
        print(f"   {rows:>10,} {t:>10.3f} {1e6 * t / rows:>7.2f} {peak / mb:>8.0f} {tg:>10.3f}")
    lo, hi = min(sizes), max(sizes)
    print(
        f"   linearity: time({hi:,}) / time({lo:,}) = {times[hi] / times[lo]:.1f} for "
        f"{hi / lo:.0f}x the rows (target < 2 s at {hi:,})"
    )
    _, t_loop, _, _, found_l = measure("loop", loop_rows, 1)
    _, t_new, _, _, found_n = measure("riskkit", loop_rows, args.repeat)
    assert found_l == found_n, (found_l, found_n)
    scale = (hi / loop_rows) ** 2  # rows x duplicates, both proportional to the rows
    print(
        f"   the loop used before, on a {loop_rows:,}-row subsample only ({found_l:,} "
        f"duplicated timestamps): {t_loop:.2f} s against {t_new:.3f} s for riskkit's check, "
        f"{t_loop / t_new:.0f}x slower; its cost grows as rows x duplicates, so at {hi:,} rows "
        f"it would take about {t_loop * scale:.0f} s ({scale:.0f}x the subsample)"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
