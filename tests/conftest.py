"""Shared fixtures. Synthetic data is seeded; tests never touch the network."""

from __future__ import annotations

import os

import matplotlib

matplotlib.use("Agg")  # no display in CI

import numpy as np
import pandas as pd
import pytest

from riskkit._jsonschema import import_jsonschema

os.environ.setdefault("RISKKIT_NO_PROGRESS", "1")
_ENVIRON_AT_START = dict(os.environ)
# jsonschema as riskkit imports it, before nbformat (papermill, the notebook tests) imports it
# with its IRI checker, whose grammars take ~1.5 s to build in each worker
import_jsonschema()


@pytest.fixture(scope="session")
def environ_at_start() -> dict[str, str]:
    """This process's environment when the test session started."""
    return _ENVIRON_AT_START


@pytest.fixture
def rng() -> np.random.Generator:
    return np.random.default_rng(20260101)


@pytest.fixture
def student_t_returns(rng: np.random.Generator) -> pd.Series:
    """2,000 daily i.i.d. Student-t(5) returns scaled to 3% daily volatility."""
    n, nu, sigma = 2000, 5.0, 0.03
    z = rng.standard_t(nu, size=n) * np.sqrt((nu - 2) / nu)
    idx = pd.date_range("2015-01-01", periods=n, freq="D", name="date")
    return pd.Series(sigma * z, index=idx, name="SYN")


@pytest.fixture
def round_trip(tmp_path):
    """``round_trip(frame, fmt)``: write ``frame`` with pandas to ``"parquet"`` or ``"csv"`` and
    read it back with pandas, for checking that a result table is storable.

    CSV keeps no types: a DatetimeIndex is parsed back as dates; other index levels and columns
    are inferred by ``read_csv``. pandas writes floats to CSV with 17 significant digits, so they
    come back exact.
    """

    def run(frame: pd.DataFrame, fmt: str) -> pd.DataFrame:
        path = tmp_path / f"table.{fmt}"
        if fmt == "parquet":
            frame.to_parquet(path)
            return pd.read_parquet(path)
        if fmt != "csv":
            raise ValueError(f"fmt must be 'parquet' or 'csv', got {fmt!r}")
        frame.to_csv(path)
        back = pd.read_csv(path, index_col=list(range(frame.index.nlevels)))
        if isinstance(frame.index, pd.DatetimeIndex):
            back.index = pd.DatetimeIndex(pd.to_datetime(back.index), name=frame.index.name)
        return back

    return run


@pytest.fixture(scope="session")
def dask_client():
    """One Dask ``LocalCluster`` (2 single-threaded worker processes) and its client for the
    session: starting a cluster costs seconds, and the tests that compare executors need one,
    not one each. Tests of ``executor="local"`` itself still create their own."""
    pytest.importorskip("distributed")
    from riskkit.parallel import executor_from_spec

    with executor_from_spec("local", max_workers=2) as client:
        yield client
