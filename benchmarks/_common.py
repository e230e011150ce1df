"""Helpers shared by the benchmark scripts: what machine, how loaded, how much CPU.

Imported by the scripts of this directory as ``from _common import ...`` (each script puts its
own directory on ``sys.path``, so they also run when loaded from elsewhere, e.g. by the tests).
"""

from __future__ import annotations

import os
import platform
import resource


def cpu_name() -> str:
    """The processor's model name (``/proc/cpuinfo``), else what ``platform`` knows."""
    try:
        with open("/proc/cpuinfo") as fh:
            for line in fh:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def machine() -> str:
    """One line: cores, processor, Python, operating system."""
    return (
        f"{os.cpu_count()} cores, {cpu_name()}, Python {platform.python_version()}, "
        f"{platform.system()} {platform.release()}"
    )


def load_average() -> str:
    """The 1, 5 and 15-minute load averages: timings on a loaded machine are slower."""
    try:
        return ", ".join(f"{x:.2f}" for x in os.getloadavg())
    except OSError:
        return "unknown"


def cpu_seconds() -> float:
    """CPU time of this process and its finished children (user + system)."""
    own = resource.getrusage(resource.RUSAGE_SELF)
    kids = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + kids.ru_utime + kids.ru_stime


def garch_t_returns(n: int, seed: int, omega: float, alpha: float, beta: float, nu: float):
    """``n`` returns of a GARCH(1,1) with Student-t(``nu``) shocks scaled to unit variance.

    ``s2[t] = omega + alpha r[t-1]^2 + beta s2[t-1]``, ``r[t] = sqrt(s2[t]) z[t]``, started at
    the unconditional variance ``omega / (1 - alpha - beta)`` (known truth for the benchmarks).
    """
    import numpy as np

    rng = np.random.default_rng(seed)
    z = rng.standard_t(nu, size=n) * np.sqrt((nu - 2.0) / nu)
    r = np.empty(n)
    s2 = omega / (1.0 - alpha - beta)
    for t in range(n):
        r[t] = np.sqrt(s2) * z[t]
        s2 = omega + alpha * r[t] ** 2 + beta * s2
    return r
