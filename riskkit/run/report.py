"""Execute the notebooks and export them to HTML: the report of a calibration run.

:func:`execute_report` runs the report notebook (08) on a run directory; with
``report.all_notebooks`` a run also executes every other notebook
(:func:`execute_all_notebooks`). :func:`execute_notebook` and :func:`export_html` are the
building blocks (papermill and nbconvert).
"""

from __future__ import annotations

import logging
import os
import shutil
import time
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from riskkit.exceptions import RiskkitError
from riskkit.parallel import map_tasks

__all__ = [
    "NOTEBOOK_DIR",
    "REPORT_NOTEBOOK",
    "list_notebooks",
    "execute_notebook",
    "export_html",
    "execute_all",
    "execute_report",
    "execute_all_notebooks",
]

logger = logging.getLogger("riskkit.run")

#: notebooks shipped in the source tree (reading order = file-name order)
NOTEBOOK_DIR = Path(__file__).resolve().parents[2] / "notebooks"
#: the notebook that reads a run directory back and lays out the evidence for sign-off
REPORT_NOTEBOOK = "08_calibration_report"


def list_notebooks(directory: str | os.PathLike[str] = NOTEBOOK_DIR) -> list[Path]:
    """Notebooks in ``directory`` in reading order (``01_...``, ``02_...``)."""
    directory = Path(directory)
    if not directory.is_dir():
        raise RiskkitError(
            f"notebook directory {directory} not found: run from a source checkout of riskkit"
        )
    return sorted(p for p in directory.glob("[0-9][0-9]_*.ipynb"))


def execute_notebook(
    notebook: str | os.PathLike[str],
    out_dir: str | os.PathLike[str],
    parameters: Mapping[str, Any] | None = None,
    html: bool = True,
    timeout: int = 1200,
    cwd: str | os.PathLike[str] | None = None,
) -> Path:
    """Run ``notebook`` top to bottom with papermill; write the executed copy (and HTML) to ``out_dir``.

    Parameters
    ----------
    notebook : path
        Source notebook (kept unchanged).
    out_dir : path
        Directory for ``<name>.ipynb`` and ``<name>.html``; created if missing.
    parameters : mapping, optional
        Values injected after the cell tagged ``parameters`` (papermill convention).
    html : bool
        Also export the executed notebook to a self-contained HTML file (figures embedded).
    timeout : int
        Seconds a single cell may run.
    cwd : path, optional
        Working directory of the kernel; defaults to the notebook's own directory.

    Returns
    -------
    pathlib.Path
        The executed notebook.

    Raises
    ------
    RiskkitError
        If a cell fails; the message names the notebook and the failing cell's error.
    """
    import papermill as pm

    notebook = Path(notebook)
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    target = out / notebook.name
    logger.info("executing %s", notebook.name)
    try:
        pm.execute_notebook(
            str(notebook),
            str(target),
            parameters=dict(parameters or {}),
            cwd=str(cwd or notebook.parent),
            kernel_name="python3",
            progress_bar=False,
            execution_timeout=timeout,
        )
    except pm.PapermillExecutionError as exc:
        raise RiskkitError(
            f"notebook {notebook.name} failed in cell {exc.exec_count}: {exc.ename}: {exc.evalue} "
            f"(executed copy with the traceback: {target})"
        ) from None
    if html:
        export_html(target)
    return target


def export_html(notebook: str | os.PathLike[str]) -> Path:
    """Export an executed notebook to HTML next to it, figures embedded as data URIs."""
    import nbformat
    from nbconvert import HTMLExporter

    path = Path(notebook)
    nb = nbformat.read(path, as_version=4)
    body, _ = HTMLExporter(embed_images=True).from_notebook_node(nb)
    target = path.with_suffix(".html")
    target.write_text(body, encoding="utf-8")
    return target


def execute_all(
    out_dir: str | os.PathLike[str],
    notebooks: Iterable[str | os.PathLike[str]] | None = None,
    parameters: Mapping[str, Mapping[str, Any]] | None = None,
    timeout: int = 1200,
    max_workers: int = 1,
) -> list[Path]:
    """Execute ``notebooks`` (default: all of :data:`NOTEBOOK_DIR`) into ``out_dir``.

    Parameters
    ----------
    out_dir : path-like
        Directory for the executed notebooks and their HTML exports; created if missing.
    notebooks : iterable of path-like, optional
        Notebooks to run, in this order; default :func:`list_notebooks` (``NN_*.ipynb`` in
        :data:`NOTEBOOK_DIR`, in file-name order).
    parameters : mapping, optional
        Papermill parameters per notebook, keyed by the notebook's file stem
        (``{"04_backtesting": {"WINDOW": 250}}``); notebooks not listed run with their own
        values.
    timeout : int
        Seconds a single cell may run.
    max_workers : int, default 1
        Notebooks executed at a time, each in its own process and kernel; 1 runs them one
        after the other in this process.

    Returns
    -------
    list of pathlib.Path
        The executed notebooks, in the order given. Each is also exported to HTML next to it.

    Raises
    ------
    RiskkitError
        If the notebook directory is missing (default list), or a notebook failed: every
        notebook is still run, the log gives each failure (cell and error) and the message
        names the notebooks that failed.
    """
    paths = [Path(p) for p in notebooks] if notebooks is not None else list_notebooks()
    params = parameters or {}
    target = Path(out_dir)
    target.mkdir(parents=True, exist_ok=True)
    tasks = [(str(p), str(target), timeout, dict(params.get(p.stem) or {})) for p in paths]
    workers = max(1, min(max_workers, len(tasks)))
    if workers == 1:
        results = [_execute_one_notebook(task) for task in tasks]
    else:
        from concurrent.futures import ProcessPoolExecutor

        logger.info("executing %d notebook(s) on %d processes into %s", len(tasks), workers, target)
        with ProcessPoolExecutor(max_workers=workers) as pool:
            results = map_tasks(_execute_one_notebook, tasks, pool, progress=False)
    failures = []
    for name, seconds, error in results:
        if error is None:
            logger.info("notebook %s: executed in %.1f s", name, seconds)
        else:
            failures.append(name)
            logger.error("notebook %s FAILED: %s", name, error)
    if failures:
        raise RiskkitError(f"notebook(s) failed: {', '.join(failures)} (see the log)")
    return [target / p.name for p in paths]


def _report_notebook() -> Path:
    path = NOTEBOOK_DIR / f"{REPORT_NOTEBOOK}.ipynb"
    if not path.exists():
        raise RiskkitError(
            f"report notebook {path} not found: the report needs a source checkout of riskkit "
            "(or set report: false)"
        )
    return path


def execute_report(run_dir: str | os.PathLike[str], timeout: int = 1200) -> Path:
    """Execute the report notebook (08) on a run directory; writes ``run_dir/report/``.

    Parameters
    ----------
    run_dir : path
        A directory written by :func:`riskkit.run.run_calibration`.
    timeout : int
        Seconds a single cell may run.

    Returns
    -------
    pathlib.Path
        The executed notebook (the HTML export is next to it).
    """
    run_dir = Path(run_dir)
    return execute_notebook(
        _report_notebook(),
        run_dir / "report",
        parameters={"run_dir": str(run_dir.resolve())},
        html=True,
        timeout=timeout,
    )


def _execute_one_notebook(
    task: tuple[str, str, int, dict[str, Any]],
) -> tuple[str, float, str | None]:
    """Execute one notebook (may run in a worker process); returns (name, seconds, error)."""
    path, target, timeout, parameters = task
    t0 = time.perf_counter()
    try:
        execute_notebook(path, target, parameters, html=True, timeout=timeout)
    except RiskkitError as exc:
        return Path(path).stem, time.perf_counter() - t0, str(exc)
    return Path(path).stem, time.perf_counter() - t0, None


def execute_all_notebooks(
    out_dir: str | os.PathLike[str],
    report_path: Path | None = None,
    timeout: int = 1200,
    max_workers: int | None = None,
) -> list[Path]:
    """Execute every notebook but the report (08), with its default parameters, into ``out_dir``.

    Parameters
    ----------
    out_dir : path-like
        Directory of the executed notebooks and their HTML exports (``report.notebooks_dir``).
    report_path : pathlib.Path, optional
        The run's executed report notebook: copied (with its HTML) into ``out_dir`` instead of
        being run again.
    timeout : int
        Seconds a single cell may run.
    max_workers : int, optional
        Upper bound on the processes (default: the number of CPUs); at most two notebooks run
        at a time, each in its own kernel.

    Returns
    -------
    list of pathlib.Path
        The executed notebooks, in reading order (see :func:`execute_all`).

    Raises
    ------
    RiskkitError
        If a notebook failed (every notebook is still run; the log names the failing ones).
    """
    target = Path(out_dir)
    target.mkdir(parents=True, exist_ok=True)
    others = []
    for nb in list_notebooks():
        if nb.stem != REPORT_NOTEBOOK:
            others.append(nb)
        elif report_path is not None:
            for suffix in (".ipynb", ".html"):
                shutil.copyfile(report_path.with_suffix(suffix), target / f"{nb.stem}{suffix}")
    workers = max(1, min(2, max_workers or os.cpu_count() or 1))
    return execute_all(target, others, timeout=timeout, max_workers=workers)
