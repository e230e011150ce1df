"""riskkit.parallel: ordered results, per-task seeds independent of the executor."""

from __future__ import annotations

import os

import numpy as np
import pytest

from riskkit.exceptions import ConfigError
from riskkit.parallel import (
    SerialExecutor,
    TaskFailure,
    executor_from_spec,
    map_tasks,
    single_blas_thread,
    spawn_seeds,
)


def _draw(seed: np.random.SeedSequence) -> float:
    return float(np.random.default_rng(seed).standard_normal())


def _fail_on_two(x: int) -> int:
    if x == 2:
        raise ValueError("two is bad")
    return x * 10


@pytest.mark.parametrize("executor", ["serial", "threads", "processes"])
def test_seeded_results_do_not_depend_on_executor(executor: str) -> None:
    seeds = spawn_seeds(7, 6)
    reference = [_draw(s) for s in spawn_seeds(7, 6)]
    got = map_tasks(_draw, seeds, executor, progress=False)
    assert got == reference
    assert len(set(got)) == 6  # the children really differ


def _blas_threads(_: object) -> list[int]:
    from threadpoolctl import threadpool_info

    return sorted({int(lib["num_threads"]) for lib in threadpool_info()})


@pytest.mark.parametrize("executor", ["serial", "threads", "processes"])
def test_every_executor_runs_tasks_with_one_blas_thread(executor: str) -> None:
    # the serial path too (issue 18): a result must not depend on where it was computed
    from threadpoolctl import threadpool_limits

    with threadpool_limits(limits=2):
        got = map_tasks(_blas_threads, [0, 1, 2], executor, progress=False)
        assert got == [[1]] * 3
        # the caller's limits come back afterwards
        assert _blas_threads(None) != [1] or os.cpu_count() == 1
    with single_blas_thread():
        assert _blas_threads(None) == [1]


def test_dask_local_cluster_gives_the_same_results(environ_at_start: dict[str, str]) -> None:
    pytest.importorskip("distributed")
    import dask

    reference = map_tasks(_draw, spawn_seeds(3, 4), "serial", progress=False)
    # Dask's Nanny writes its pre-spawn variables (MALLOC_TRIM_THRESHOLD_, OMP_NUM_THREADS...)
    # into this process's environment; riskkit takes them back, so that the processes started
    # later (the report's notebook kernels) do not inherit them
    pre_spawn = dask.config.get("distributed.nanny.pre-spawn-environ")
    assert "MALLOC_TRIM_THRESHOLD_" in pre_spawn
    with executor_from_spec("local", max_workers=2) as client:
        assert map_tasks(_draw, spawn_seeds(3, 4), client, progress=False) == reference
        assert {k: os.environ.get(k) for k in pre_spawn} == {
            k: environ_at_start.get(k) for k in pre_spawn
        }
    assert {k: os.environ.get(k) for k in pre_spawn} == {
        k: environ_at_start.get(k) for k in pre_spawn
    }


def test_failures_are_kept_in_place_or_raised() -> None:
    got = map_tasks(_fail_on_two, [1, 2, 3], "serial", return_exceptions=True, progress=False)
    assert got[0] == 10 and got[2] == 30
    assert isinstance(got[1], TaskFailure) and "two is bad" in str(got[1])
    with pytest.raises(ValueError, match="two is bad"):
        map_tasks(_fail_on_two, [1, 2, 3], "serial", progress=False)


def test_unknown_executor_is_a_config_error() -> None:
    with pytest.raises(ConfigError, match="unknown executor"):
        map_tasks(_draw, spawn_seeds(1, 2), "gpu-cluster", progress=False)


class _CountingExecutor(SerialExecutor):
    """Runs inline and records the size of every submitted batch."""

    def __init__(self) -> None:
        self.sizes: list[int] = []

    def submit(self, fn, /, *args, **kwargs):
        self.sizes.append(len(args[0]))
        return super().submit(fn, *args, **kwargs)


def test_short_tasks_are_sent_in_batches_with_the_same_results() -> None:
    # 41 tasks of microseconds: one probe, then batches (at least two per worker) instead of 40
    # more round trips; results and failures stay in task order
    seeds = spawn_seeds(5, 41)
    reference = [_draw(s) for s in seeds]
    ex = _CountingExecutor()
    assert map_tasks(_draw, seeds, ex, progress=False) == reference
    assert ex.sizes[0] == 1 and sum(ex.sizes) == 41 and len(ex.sizes) < 41
    # however short the tasks, every worker (here 1) keeps at least two batches
    capped = _CountingExecutor()
    assert map_tasks(_draw, seeds, capped, progress=False, min_task_seconds=1e3) == reference
    assert capped.sizes == [1, 20, 20]
    alone = _CountingExecutor()
    assert map_tasks(_draw, seeds, alone, progress=False, min_task_seconds=0) == reference
    assert alone.sizes == [1] * 41
    assert map_tasks(_draw, seeds, "processes", progress=False) == reference
    got = map_tasks(_fail_on_two, [1, 2, 3, 2], _CountingExecutor(), return_exceptions=True,
                    progress=False)  # fmt: skip
    assert got[0] == 10 and got[2] == 30
    assert [f.index for f in got if isinstance(f, TaskFailure)] == [1, 3]
