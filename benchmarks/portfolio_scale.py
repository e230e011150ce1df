"""Benchmark: a 50-asset DCC fit and a 2-day 99% portfolio FHS with 10,000 paths.

Workload (default): 50 assets x 1,000 daily log returns simulated from a Gaussian DCC(1,1)
(a = 0.03, b = 0.95, equicorrelation 0.5) with GARCH(1,1) volatilities
(:func:`riskkit.portfolio.simulate_dcc`, known truth); an equally weighted long portfolio of
1,000,000 per asset. riskkit: :meth:`riskkit.portfolio.DCC.fit` (univariate GARCH(1,1) by the
fast backend, then the correlation stage) and :func:`riskkit.portfolio.portfolio_fhs` with
``correlation="dcc"``, 10,000 paths of 2 days, 99% VaR and ES.

Alternative, in the same run: the straightforward version, written as one would without
riskkit: ``arch_model(...).fit()`` per asset in a pandas loop, the DCC likelihood as a Python
loop over dates (``np.linalg.slogdet`` and ``np.linalg.solve`` per date) maximised by SLSQP,
and the FHS paths simulated one path at a time. ``--quick`` runs the alternative's FHS on
a tenth of the paths and scales its time up (said so in the output).

The time and peak memory (``tracemalloc`` peak of NumPy/Python allocations, and the process's
``ru_maxrss``) of each step are printed, and the estimates of the two versions compared.

Run ``python benchmarks/portfolio_scale.py`` (``--quick``: 10 assets, 500 dates, 2,000 paths).
The last line is ``speedup: <x>x`` (alternative / riskkit, DCC fit + FHS).
"""

from __future__ import annotations

import argparse
import resource
import sys
import time
import tracemalloc
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
from scipy.optimize import minimize

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import load_average, machine

LEVEL = 0.99


def simulated_returns(n_assets: int, n_dates: int, seed: int) -> pd.DataFrame:
    from riskkit.portfolio import simulate_dcc

    rbar = np.full((n_assets, n_assets), 0.5)
    np.fill_diagonal(rbar, 1.0)
    garch = [(2e-5 * (1 + 0.1 * i), 0.08, 0.90) for i in range(n_assets)]
    ret, _, _ = simulate_dcc(n_dates, 0.03, 0.95, rbar, garch=garch, seed=seed)
    index = pd.date_range("2020-01-01", periods=n_dates, freq="D", name="date")
    return pd.DataFrame(ret, index=index, columns=[f"A{i:02d}" for i in range(n_assets)])


class _Meter:
    """Wall time and tracemalloc peak of a block."""

    def __enter__(self):
        tracemalloc.start()
        self.t0 = time.perf_counter()
        return self

    def __exit__(self, *exc):
        self.seconds = time.perf_counter() - self.t0
        self.peak_mb = tracemalloc.get_traced_memory()[1] / 2**20
        tracemalloc.stop()


# ------------------------------------------------------------------ the straightforward version
def naive_dcc(returns: pd.DataFrame) -> tuple[pd.DataFrame, dict, float, float, np.ndarray]:
    """arch per asset, then the DCC likelihood as a loop over dates, SLSQP with numerical
    gradient. Returns (standardised residuals, per-asset (mu, omega, alpha, beta, next
    sigma), a, b, Qbar)."""
    from arch import arch_model

    z = pd.DataFrame(index=returns.index)
    uni = {}
    for col in returns.columns:
        res = arch_model(100 * returns[col], mean="Constant", vol="GARCH", p=1, q=1).fit(disp="off")
        z[col] = res.std_resid
        mu, omega, alpha, beta = res.params.to_numpy()
        s_next = float(np.sqrt(res.forecast(horizon=1, reindex=False).variance.iloc[-1, 0]))
        uni[col] = (mu / 100, omega / 1e4, alpha, beta, s_next / 100)
    zz = z.to_numpy()
    T, N = zz.shape
    qbar = zz.T @ zz / T

    def neg_loglik(theta):
        a, b = theta
        if a < 0 or b < 0 or a + b >= 1:
            return 1e10
        Q = qbar.copy()
        total = 0.0
        for t in range(T):
            d = np.sqrt(np.diag(Q))
            R = Q / np.outer(d, d)
            sign, logdet = np.linalg.slogdet(R)
            total += logdet + zz[t] @ np.linalg.solve(R, zz[t]) - zz[t] @ zz[t]
            Q = (1 - a - b) * qbar + a * np.outer(zz[t], zz[t]) + b * Q
        return 0.5 * total

    starts = ((0.02, 0.95), (0.05, 0.90), (0.10, 0.80), (0.01, 0.50))
    x0 = min(starts, key=lambda s: neg_loglik(np.array(s)))
    res = minimize(
        neg_loglik, np.array(x0), method="SLSQP", bounds=[(0.0, 0.999), (0.0, 0.999)],
        constraints=[{"type": "ineq", "fun": lambda t: 0.9999 - t[0] - t[1]}],
        options={"ftol": 1e-10, "maxiter": 500},
    )  # fmt: skip
    return z, uni, float(res.x[0]), float(res.x[1]), qbar


def naive_fhs(z, uni, a, b, qbar, notional, horizon, n_sims, seed) -> np.ndarray:
    """FHS one path at a time: returns the simulated portfolio losses."""
    zz = z.to_numpy()
    T, N = zz.shape
    cols = list(z.columns)
    mu = np.array([uni[c][0] for c in cols])
    omega = np.array([uni[c][1] for c in cols])
    alpha = np.array([uni[c][2] for c in cols])
    beta = np.array([uni[c][3] for c in cols])
    # the DCC correlation path through the sample: de-correlate each date's residuals
    Q = qbar.copy()
    e = np.empty_like(zz)
    for t in range(T):
        d = np.sqrt(np.diag(Q))
        R = Q / np.outer(d, d)
        e[t] = np.linalg.solve(np.linalg.cholesky(R), zz[t])
        Q = (1 - a - b) * qbar + a * np.outer(zz[t], zz[t]) + b * Q
    q_next = Q
    rng = np.random.default_rng(seed)
    losses = np.empty(n_sims)
    for s in range(n_sims):
        Qs = q_next.copy()
        s2 = np.array([uni[c][4] ** 2 for c in cols])
        cum = np.zeros(N)
        for _ in range(horizon):
            d = np.sqrt(np.diag(Qs))
            R = Qs / np.outer(d, d)
            zs = np.linalg.cholesky(R) @ e[rng.integers(0, T)]
            Qs = (1 - a - b) * qbar + a * np.outer(zs, zs) + b * Qs
            eps = np.sqrt(s2) * zs
            cum += mu + eps
            s2 = omega + alpha * eps**2 + beta * s2
        losses[s] = -float(notional @ np.expm1(cum))
    return losses


def main(argv: list[str] | None = None) -> float:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--assets", type=int, default=50)
    parser.add_argument("--dates", type=int, default=1000)
    parser.add_argument("--paths", type=int, default=10_000)
    parser.add_argument("--horizon", type=int, default=2)
    parser.add_argument("--naive-paths", type=int, default=None,
                        help="paths of the alternative's FHS (time scaled up to --paths)")  # fmt: skip
    parser.add_argument("--quick", action="store_true", help="10 assets, 500 dates, 2,000 paths")
    args = parser.parse_args(argv)
    if args.quick:
        args.assets, args.dates, args.paths = 10, 500, 2000
    naive_paths = args.naive_paths or (args.paths if not args.quick else args.paths // 10)

    from riskkit.portfolio import DCC, portfolio_fhs

    returns = simulated_returns(args.assets, args.dates, seed=7)
    notional = pd.Series(1e6, index=returns.columns)
    print("workload")
    print(f"  {args.assets} assets x {args.dates} daily returns (simulated DCC(1,1)-GARCH(1,1)); "
          f"DCC fit, then {args.horizon}-day {LEVEL:.0%} portfolio FHS with {args.paths:,} "
          f"paths (correlation='dcc'), long 1,000,000 per asset")  # fmt: skip
    print(f"machine: {machine()}")
    print(f"load average at start (1, 5, 15 min): {load_average()}")
    sys.stdout.flush()

    # one-off: numba kernels of the fast GARCH backend (cache load or compile)
    t0 = time.perf_counter()
    DCC(backend="fast").fit(returns.iloc[:200, :2])
    print(f"one-off numba kernel load/compile: {time.perf_counter() - t0:.2f} s (not timed)")

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with _Meter() as m_fit:
            dcc = DCC(backend="fast").fit(returns)
        with _Meter() as m_fhs:
            risk = portfolio_fhs(returns, notional, LEVEL, args.horizon, args.paths, seed=1,
                                 correlation="dcc", dcc=dcc)  # fmt: skip
    rss_riskkit = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    t_riskkit = m_fit.seconds + m_fhs.seconds
    print(f"riskkit DCC fit:            {m_fit.seconds:7.2f} s, peak traced memory "
          f"{m_fit.peak_mb:6.0f} MiB")  # fmt: skip
    print(f"riskkit portfolio FHS:      {m_fhs.seconds:7.2f} s, peak traced memory "
          f"{m_fhs.peak_mb:6.0f} MiB")  # fmt: skip
    print(f"riskkit total:              {t_riskkit:7.2f} s (target < 30 s); process peak RSS "
          f"{rss_riskkit:.0f} MiB")  # fmt: skip
    sys.stdout.flush()

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with _Meter() as n_fit:
            z, uni, a, b, qbar = naive_dcc(returns)
        with _Meter() as n_fhs:
            losses = naive_fhs(z, uni, a, b, qbar, notional.to_numpy(), args.horizon,
                               naive_paths, seed=1)  # fmt: skip
    scale = args.paths / naive_paths
    t_naive = n_fit.seconds + n_fhs.seconds * scale
    note = f" (run on {naive_paths:,} paths, time scaled x{scale:g})" if scale != 1 else ""
    print(f"straightforward DCC fit:    {n_fit.seconds:7.2f} s, peak traced memory "
          f"{n_fit.peak_mb:6.0f} MiB")  # fmt: skip
    print(f"straightforward FHS:        {n_fhs.seconds * scale:7.2f} s{note}, peak traced "
          f"memory {n_fhs.peak_mb:6.0f} MiB")  # fmt: skip
    print(f"straightforward total:      {t_naive:7.2f} s")

    from riskkit.portfolio import var_es

    naive_es = var_es(losses, [LEVEL])[0, 1]
    ours_es = float(risk.table.loc["portfolio", f"es_{LEVEL:g}"])
    print("agreement")
    print(f"  DCC a, b: riskkit {float(dcc.params['a']):.4f}, {float(dcc.params['b']):.4f}; "
          f"straightforward {a:.4f}, {b:.4f} (truth 0.03, 0.95)")  # fmt: skip
    print(f"  portfolio {LEVEL:.0%} ES: riskkit {ours_es:,.0f}, straightforward {naive_es:,.0f} "
          f"({ours_es / naive_es - 1:+.1%}; Monte Carlo error of {naive_paths:,} paths "
          f"included)")  # fmt: skip
    print(f"load average at end (1, 5, 15 min): {load_average()}")
    speedup = t_naive / t_riskkit
    print(f"speedup: {speedup:.1f}x")
    return speedup


if __name__ == "__main__":
    main()
