"""Run independent tasks on local processes, threads, inline, or a Dask cluster, with the same results.

Every parallel loop in riskkit (rolling forecasts, per-asset calibration) goes through
:func:`map_tasks`, which

* accepts any ``concurrent.futures``-style executor (anything with ``submit`` returning an object
  with ``result()``), including a ``dask.distributed.Client``;
* returns results in task order, whatever order they finish in;
* gives each task its own random seed from ``numpy.random.SeedSequence(seed).spawn(n)`` in task
  order, so a seeded run gives identical numbers on 1 worker, 8 workers or a cluster;
* runs every task with one BLAS thread, whatever the executor, the serial one included: a BLAS
  reduction's result changes in the last bits with the number of threads it uses, and an
  optimiser (a GARCH fit near the boundary of its parameter space) can amplify that into
  visibly different estimates (up to 1e-4 relative with arch's optimiser, issue 18). In-process
  executors (serial, threads) run under one process-wide limit held for the whole map, because
  BLAS thread limits are global to a process and per-task limits on concurrent threads would
  race; worker processes (a process pool, Dask) set the limit around each task.
"""

from __future__ import annotations

import math
import os
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import Executor, Future, ProcessPoolExecutor, ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import numpy as np

from riskkit.exceptions import ConfigError

__all__ = [
    "SerialExecutor",
    "single_blas_thread",
    "TaskFailure",
    "spawn_seeds",
    "executor_from_spec",
    "map_tasks",
    "progress_enabled",
]


class SerialExecutor(Executor):
    """Runs each task at once in the calling process: the reference for parallel results."""

    def submit(self, fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> Future:
        future: Future = Future()
        try:
            future.set_result(fn(*args, **kwargs))
        except BaseException as exc:  # handed to the caller through the future
            future.set_exception(exc)
        return future


@contextmanager
def single_blas_thread() -> Iterator[None]:
    """Context manager limiting BLAS (and OpenMP) to one thread in this process.

    Every executor runs tasks under it, so that a result does not depend on where it was
    computed (see the module notes). Nested uses are harmless; the previous limits come back on
    exit.
    """
    from threadpoolctl import threadpool_limits

    with threadpool_limits(limits=1):
        yield


class _Batch:
    """Picklable: runs ``fn`` on a list of items in one task, with one BLAS thread.

    Returns ``(outcomes, seconds)``: per item ``(True, result)`` or ``(False, exception)`` (an
    item's failure does not stop the batch), and the time its tasks took in the worker.
    """

    def __init__(self, fn: Callable[..., Any]) -> None:
        self.fn = fn

    def __call__(self, items: list[Any]) -> tuple[list[tuple[bool, Any]], float]:
        out: list[tuple[bool, Any]] = []
        with single_blas_thread():
            start = time.perf_counter()  # the tasks' time, not the BLAS limit's set-up
            for item in items:
                try:
                    out.append((True, self.fn(item)))
                except Exception as exc:  # handed back to map_tasks, in task order
                    out.append((False, exc))
            seconds = time.perf_counter() - start
        return out, seconds


def _worker_count(executor: Any) -> int:
    """Workers of an executor: a Dask client's workers, a pool's ``max_workers``, else 1."""
    info = getattr(executor, "scheduler_info", None)
    if callable(info):
        try:
            return max(1, len(info()["workers"]))
        except Exception:  # an unreachable scheduler fails later, with its own message
            return 1
    return max(1, int(getattr(executor, "_max_workers", 1) or 1))


@dataclass(frozen=True)
class TaskFailure:
    """A task that raised, kept in place of its result when ``return_exceptions=True``."""

    index: int
    error: BaseException

    def __str__(self) -> str:
        return f"task {self.index} failed: {type(self.error).__name__}: {self.error}"


def spawn_seeds(seed: int | None, n: int) -> list[np.random.SeedSequence]:
    """Independent child seeds, one per task, depending only on ``seed`` and the task's position.

    Parameters
    ----------
    seed : int or None
        Root seed of ``numpy.random.SeedSequence``; None draws fresh entropy from the operating
        system (the children are then not reproducible).
    n : int
        Number of tasks (>= 0).

    Returns
    -------
    list of numpy.random.SeedSequence
        ``SeedSequence(seed).spawn(n)``: child ``i`` for task ``i``; pass one to
        ``numpy.random.default_rng``.
    """
    return np.random.SeedSequence(seed).spawn(n)


def progress_enabled(progress: bool | None) -> bool:
    """Whether to show a progress bar: ``None`` means on unless ``RISKKIT_NO_PROGRESS`` is set."""
    if progress is None:
        return os.environ.get("RISKKIT_NO_PROGRESS", "") in ("", "0")
    return bool(progress)


@contextmanager
def executor_from_spec(spec: Any = None, max_workers: int | None = None) -> Iterator[Any]:
    """Context manager yielding an executor described by ``spec``.

    Parameters
    ----------
    spec : None, str or executor
        ``None`` or ``"processes"``: a local ``ProcessPoolExecutor``; ``"serial"``: run inline;
        ``"threads"``: a ``ThreadPoolExecutor``; ``"local"``: a ``dask.distributed.LocalCluster``
        with a client; ``"tcp://host:port"`` (or any address with ``://``): a client of that Dask
        scheduler; an object with ``submit``: used as it is and not shut down.
    max_workers : int, optional
        Workers for local pools (default: the number of CPUs).

    Yields
    ------
    executor
        Something with ``submit(fn, *args)`` returning a future with ``result()``.
    """
    if spec is not None and not isinstance(spec, str):
        if not hasattr(spec, "submit"):
            raise ConfigError(f"executor must have a submit() method, got {type(spec).__name__}")
        yield spec
        return
    name = (spec or "processes").strip()
    if max_workers is not None and max_workers < 1:
        raise ConfigError(f"max_workers must be >= 1, got {max_workers}")
    if name == "serial":
        yield SerialExecutor()
    elif name == "threads":
        with ThreadPoolExecutor(max_workers=max_workers) as pool:
            yield pool
    elif name == "processes":
        with ProcessPoolExecutor(max_workers=max_workers) as pool:
            yield pool
    elif name == "local":
        from distributed import Client, LocalCluster

        workers = max_workers or os.cpu_count() or 1
        before = dict(os.environ)
        written: set[str] | None = None  # None until the workers have started
        try:
            with (
                LocalCluster(
                    n_workers=workers,
                    threads_per_worker=1,
                    processes=True,
                    dashboard_address=":0",
                    # a worker's heartbeat racing the shutdown logs a harmless ERROR; task errors
                    # still reach the caller as exceptions through their futures
                    silence_logs=50,
                ) as cluster,
                Client(cluster) as client,
            ):
                written = _restore_environ(before)  # the workers started with their settings
                yield client
        finally:
            # the same variables again (a worker restarted by its nanny writes them anew); after
            # a failed start, everything the start changed. A variable the caller set meanwhile
            # under another name is left alone.
            _restore_environ(before, written)
    elif "://" in name:
        from distributed import Client

        with Client(name) as client:
            yield client
    else:
        raise ConfigError(
            f"unknown executor {spec!r}: use 'processes', 'threads', 'serial', 'local' "
            "(a Dask LocalCluster) or a Dask scheduler address such as 'tcp://10.0.0.5:8786'"
        )


def _restore_environ(before: dict[str, str], keys: set[str] | None = None) -> set[str]:
    """Undo what starting a Dask ``LocalCluster`` wrote into this process's environment.

    Dask's Nanny sets its ``distributed.nanny.pre-spawn-environ`` variables
    (``MALLOC_TRIM_THRESHOLD_``, ``OMP_NUM_THREADS``, ``MKL_NUM_THREADS``,
    ``OPENBLAS_NUM_THREADS``) and others in the *parent's* environment before it spawns a worker,
    and leaves them there; every process started afterwards inherits them. A notebook kernel of
    the report then ran 2-3 times slower (glibc returning memory on every large free). The
    workers keep their settings; this process gets its own back.

    Parameters
    ----------
    before : dict
        The environment before the cluster started.
    keys : set of str, optional
        The variables to restore; default: every one that differs from ``before``.

    Returns
    -------
    set of str
        The variables restored (they now have their values of ``before``, or are unset).
    """
    if keys is None:
        keys = {k for k in set(os.environ) | set(before) if os.environ.get(k) != before.get(k)}
    for key in keys:
        if key in before:
            os.environ[key] = before[key]
        else:
            os.environ.pop(key, None)
    return keys


def map_tasks(
    fn: Callable[..., Any],
    tasks: Sequence[Any] | Iterable[Any],
    executor: Any = None,
    *,
    return_exceptions: bool = False,
    progress: bool | None = None,
    description: str = "tasks",
    min_task_seconds: float = 0.1,
) -> list[Any]:
    """Apply ``fn`` to every task on ``executor``; results in task order.

    Parameters
    ----------
    fn : callable
        A picklable (module-level) function of one argument.
    tasks : sequence
        Arguments, one per call.
    executor : executor, str or None
        Anything :func:`executor_from_spec` accepts; a spec string creates (and shuts down) a pool.
    return_exceptions : bool
        If True, a task that raises yields a :class:`TaskFailure` in its place and the others
        carry on; otherwise the first failure (in task order) is raised after all tasks finish
        or are cancelled.
    progress : bool, optional
        Show a tqdm progress bar (default: on unless ``RISKKIT_NO_PROGRESS`` is set).
    description : str
        Label of the progress bar.
    min_task_seconds : float
        Work each submitted task should carry (default 0.1 s): tasks are sent in batches.
        The first task on each worker is sent alone and timed; the others go in batches of
        ``ceil(min_task_seconds / its time)`` tasks, capped so that every worker still gets at
        least two batches (load balance). 0 sends every task alone.

    Returns
    -------
    list
        ``fn(task)`` for each task, in order.

    Notes
    -----
    A scheduler (Dask's above all) spends about a millisecond per task and a worker
    process a round trip; for tasks of a few milliseconds that overhead, not the work, sets
    the run time and caps the scaling with workers. Batching changes where tasks run, never
    their results (seeds travel with the tasks; every batch runs with one BLAS thread).
    """
    items = list(tasks)
    if not items:
        return []
    n = len(items)
    # the process-wide limit covers in-process executors (and the pool's shutdown); worker
    # processes get it per batch through _Batch
    with single_blas_thread(), executor_from_spec(executor) as ex:
        runner = _Batch(fn)
        workers = _worker_count(ex)
        spans: list[tuple[int, int]] = []
        futures: list[Any] = []

        def submit(lo: int, hi: int) -> None:
            spans.append((lo, hi))
            futures.append(ex.submit(runner, items[lo:hi]))

        # probes: one task per worker, alone, to time a task
        n_probe = n if min_task_seconds <= 0 else min(n, workers)
        for i in range(n_probe):
            submit(i, i + 1)
        bar = None
        if progress_enabled(progress) and n > 1:
            from tqdm.auto import tqdm

            bar = tqdm(total=n, desc=description, leave=False)
        results: list[Any] = []
        try:
            k = 0
            while k < len(futures):
                lo, hi = spans[k]
                try:
                    outcomes, seconds = futures[k].result()
                except Exception as exc:  # the worker itself failed (killed, out of memory)
                    if not return_exceptions:
                        for rest in futures[k + 1 :]:
                            rest.cancel()
                        raise
                    outcomes, seconds = [(False, exc)] * (hi - lo), math.nan
                if k == 0 and n_probe < n:
                    # the rest in batches carrying about min_task_seconds each
                    rest = n - n_probe
                    per_task = seconds if math.isfinite(seconds) and seconds > 0 else 1e-3
                    size = math.ceil(min_task_seconds / per_task)
                    size = max(1, min(size, math.ceil(rest / (2 * workers))))
                    for lo2 in range(n_probe, n, size):
                        submit(lo2, min(lo2 + size, n))
                for j, (ok, value) in enumerate(outcomes):
                    if ok:
                        results.append(value)
                    elif return_exceptions:
                        results.append(TaskFailure(lo + j, value))
                    else:
                        for rest_future in futures[k + 1 :]:
                            rest_future.cancel()
                        raise value
                if bar is not None:
                    bar.update(hi - lo)
                k += 1
        finally:
            if bar is not None:
                bar.close()
    return results
