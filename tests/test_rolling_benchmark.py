"""Smoke run of benchmarks/rolling_backtest.py: it runs, agrees with arch, prints the speedup last."""

from __future__ import annotations

import importlib.util
import re
from pathlib import Path

import pytest

SCRIPT = Path(__file__).resolve().parents[1] / "benchmarks" / "rolling_backtest.py"


@pytest.mark.slow
def test_benchmark_smoke_run(capsys: pytest.CaptureFixture[str]) -> None:
    pytest.importorskip("riskkit.datasets")
    spec = importlib.util.spec_from_file_location("rolling_backtest", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    speedup = module.main(["--days", "4", "--window", "500"])
    out = capsys.readouterr().out.strip().splitlines()
    assert re.fullmatch(r"speedup: \d+\.\dx", out[-1])
    assert speedup > 0
    worst = next(line for line in out if "worst VaR difference" in line)
    # the fast path and arch find the same optimum: VaR within 0.5% relative on every day
    assert float(re.search(r"([\d.]+)%", worst).group(1)) < 0.5
