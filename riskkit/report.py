"""Execute the notebooks and export them to HTML (the report of a calibration run)."""

from __future__ import annotations

import logging
import os
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from riskkit.exceptions import RiskkitError

__all__ = ["NOTEBOOK_DIR", "list_notebooks", "execute_notebook", "export_html"]

logger = logging.getLogger(__name__)

#: notebooks shipped in the source tree (reading order = file-name order)
NOTEBOOK_DIR = Path(__file__).resolve().parent.parent / "notebooks"


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

    Returns
    -------
    list of pathlib.Path
        The executed notebooks, in the order run. Each is also exported to HTML next to it;
        each notebook runs with the default cell timeout of :func:`execute_notebook`.

    Raises
    ------
    RiskkitError
        If the notebook directory is missing (default list), or a cell fails; the notebooks
        after the failing one are not run.
    """
    paths = [Path(p) for p in notebooks] if notebooks is not None else list_notebooks()
    params = parameters or {}
    return [execute_notebook(p, out_dir, params.get(p.stem)) for p in paths]
