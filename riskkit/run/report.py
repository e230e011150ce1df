"""Execute the notebooks and export them to HTML: the report of a calibration run.

:func:`execute_report` runs the report notebook (08) on a run directory; with
``report.all_notebooks`` a run also executes every other notebook
(:func:`execute_all_notebooks`). :func:`execute_notebook` and :func:`export_html` are the
building blocks (papermill and nbconvert).

Every HTML file renders offline: formulas with the MathJax 2.7 of the installed
``jupyter-server-mathjax`` package, copied once into a ``_static/mathjax`` directory next to the
exports (:func:`install_mathjax`) and referenced by a relative URL; no script is loaded from a
CDN. The kernels run over IPC sockets (no TCP port, no transport warning on the console).

The report of a run is written twice: ``08_calibration_report.html`` for the committee, without
code (cells tagged ``course-only``, e.g. the exercises, left out), and
``08_calibration_report_code.html``, the executed notebook with its code, linked from the first as
its appendix.
"""

from __future__ import annotations

import logging
import os
import re
import shutil
import tempfile
import time
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from riskkit._jsonschema import import_jsonschema
from riskkit.exceptions import RiskkitError

__all__ = [
    "NOTEBOOK_DIR",
    "REPORT_NOTEBOOK",
    "list_notebooks",
    "execute_notebook",
    "export_html",
    "execute_all",
    "execute_report",
    "execute_all_notebooks",
    "export_report",
    "install_mathjax",
    "MATHJAX_CONFIG",
    "COURSE_ONLY_TAG",
]

logger = logging.getLogger("riskkit.run")

#: notebooks shipped in the source tree (reading order = file-name order)
NOTEBOOK_DIR = Path(__file__).resolve().parents[2] / "notebooks"
#: the notebook that reads a run directory back and lays out the evidence for sign-off
REPORT_NOTEBOOK = "08_calibration_report"
#: cells with this tag are part of the course, not of the committee's report (exercises...)
COURSE_ONLY_TAG = "course-only"
#: MathJax configuration shipped by jupyter-server-mathjax (TeX input, HTML-CSS/MathML output)
MATHJAX_CONFIG = "TeX-AMS-MML_HTMLorMML-full,Safe"
#: suffix of the report's appendix: the executed notebook with its code
CODE_SUFFIX = "_code"
#: seconds a notebook's kernel may take to start
KERNEL_START_TIMEOUT = 300
_REQUIRE_JS = re.compile(
    r'<script src="https://cdnjs\.cloudflare\.com/ajax/libs/require\.js/[^"]*"></script>'
)
_MERMAID_JS = re.compile(
    r'<script type="module">\s*document\.addEventListener\("DOMContentLoaded", async \(\) => \{'
    r"\s*const diagrams = document\.querySelectorAll\(\"\.jp-Mermaid.*?</script>",
    re.S,
)


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
    static_dir: str | os.PathLike[str] | None = None,
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
    static_dir : path, optional
        Where the HTML export finds MathJax (see :func:`export_html`).

    Returns
    -------
    pathlib.Path
        The executed notebook.

    Raises
    ------
    RiskkitError
        If a cell fails; the message names the notebook and the failing cell's error.
    """
    import_jsonschema()  # before papermill imports it through nbformat (see its docstring)
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
            # a kernel starts in seconds, but can take over papermill's default minute on a
            # loaded machine (notebooks executed two at a time next to a calibration)
            start_timeout=KERNEL_START_TIMEOUT,
            kernel_manager_class="riskkit.run.report._IpcKernelManager",
        )
    except pm.PapermillExecutionError as exc:
        raise RiskkitError(
            f"notebook {notebook.name} failed in cell {exc.exec_count}: {exc.ename}: {exc.evalue} "
            f"(executed copy with the traceback: {target})"
        ) from None
    if html:
        export_html(target, static_dir=static_dir)
    return target


def _ipc_kernel_manager() -> type:
    from jupyter_client import AsyncKernelManager
    from traitlets import default

    class IpcKernelManager(AsyncKernelManager):
        """A kernel manager whose kernels listen on IPC (Unix) sockets instead of TCP ports:
        nothing is reachable from the network, and ipykernel has no reason to warn that the
        kernel "is running over TCP without encryption"."""

        @default("transport")
        def _transport_default(self) -> str:
            return "ipc"

        @default("ip")
        def _ip_default(self) -> str:
            # IPC socket files are named "<ip>-<port>" with ports counted from 1, and the
            # default ip is a relative "kernel-ipc": two kernels started at once in one
            # working directory picked the same sockets ("Invalid Signature", then a kernel
            # that never answers). One private directory per kernel makes the names unique.
            return os.path.join(tempfile.mkdtemp(prefix="riskkit-kernel-"), "kernel")

        async def _async_cleanup_resources(self, restart: bool = False) -> None:
            await super()._async_cleanup_resources(restart=restart)
            if not restart:
                shutil.rmtree(os.path.dirname(self.ip), ignore_errors=True)

    IpcKernelManager.__module__ = __name__
    IpcKernelManager.__qualname__ = "_IpcKernelManager"
    return IpcKernelManager


def __getattr__(name: str) -> Any:  # the class is built on first use (jupyter_client import)
    if name == "_IpcKernelManager":
        cls = _ipc_kernel_manager()
        globals()[name] = cls
        return cls
    raise AttributeError(name)


def install_mathjax(static_dir: str | os.PathLike[str]) -> Path:
    """Copy MathJax from the installed ``jupyter-server-mathjax`` package into ``static_dir``.

    Done once per directory (files are hard-linked when the file system allows, copied
    otherwise); later calls find it there.

    Parameters
    ----------
    static_dir : path-like
        Directory shared by the HTML files that use it; MathJax goes to ``static_dir/mathjax``.

    Returns
    -------
    pathlib.Path
        ``static_dir/mathjax/MathJax.js``.

    Raises
    ------
    RiskkitError
        If ``jupyter-server-mathjax`` is not installed.
    """
    try:
        import jupyter_server_mathjax
    except ImportError:
        raise RiskkitError(
            "jupyter-server-mathjax is not installed: formulas in the HTML exports need its "
            "local MathJax (pip install jupyter-server-mathjax)"
        ) from None
    source = Path(jupyter_server_mathjax.__file__).parent / "static"
    target = Path(static_dir) / "mathjax"
    entry = target / "MathJax.js"
    if entry.is_file():
        return entry

    def link_or_copy(src: str, dst: str) -> None:
        try:
            os.link(src, dst)
        except OSError:
            shutil.copy2(src, dst)

    partial = target.with_name(f"mathjax.partial-{os.getpid()}")
    shutil.rmtree(partial, ignore_errors=True)
    # only English: MathJax loads a localization for other browser languages, and falls
    # back to English when it is absent
    shutil.copytree(
        source,
        partial,
        copy_function=link_or_copy,
        ignore=lambda d, names: [n for n in names if Path(d).name == "localization" and n != "en"],
    )
    try:
        partial.rename(target)
    except OSError:  # another process installed it meanwhile
        shutil.rmtree(partial, ignore_errors=True)
    return entry


def _describe_images(nb: Any, name: str) -> None:
    """Give every image output without one an alternative text ("figure k of <notebook>")."""
    k = 0
    for cell in nb.cells:
        for output in cell.get("outputs", []):
            for mime in ("image/png", "image/jpeg", "image/svg+xml"):
                if mime in output.get("data", {}):
                    k += 1
                    meta = output.setdefault("metadata", {}).setdefault(mime, {})
                    meta.setdefault("alt", f"figure {k} of {name}")


def export_html(
    notebook: str | os.PathLike[str],
    *,
    code: bool = True,
    target: str | os.PathLike[str] | None = None,
    static_dir: str | os.PathLike[str] | None = None,
    remove_tags: Iterable[str] = (),
) -> Path:
    """Export an executed notebook to HTML, figures embedded, formulas rendered offline.

    Parameters
    ----------
    notebook : path-like
        The executed notebook.
    code : bool, default True
        Show the code cells; False gives a report of prose, tables and figures only (input
        cells and prompts left out).
    target : path-like, optional
        The HTML file (default: the notebook's path with ``.html``).
    static_dir : path-like, optional
        Where MathJax is installed (:func:`install_mathjax`), default ``_static`` next to the
        HTML file; the page refers to it by a relative URL.
    remove_tags : iterable of str
        Cells with any of these tags are left out (e.g. :data:`COURSE_ONLY_TAG`).

    Returns
    -------
    pathlib.Path
        The HTML file. It loads nothing from the network.
    """
    import_jsonschema()
    import nbformat
    from nbconvert import HTMLExporter
    from nbconvert.preprocessors import TagRemovePreprocessor

    path = Path(notebook)
    html = Path(target) if target is not None else path.with_suffix(".html")
    static = Path(static_dir) if static_dir is not None else html.parent / "_static"
    mathjax = install_mathjax(static)
    url = Path(os.path.relpath(mathjax, html.parent)).as_posix()
    nb = nbformat.read(path, as_version=4)
    _describe_images(nb, path.stem)
    exporter = HTMLExporter(
        embed_images=True,
        exclude_input=not code,
        exclude_input_prompt=not code,
        exclude_output_prompt=not code,
        mathjax_url=f"{url}?config={MATHJAX_CONFIG}",
    )
    tags = set(remove_tags)
    if tags:
        remover = TagRemovePreprocessor(remove_cell_tags=tags, enabled=True)
        exporter.register_preprocessor(remover, enabled=True)
    body, _ = exporter.from_notebook_node(nb)
    body = _REQUIRE_JS.sub("", body)  # no widget in these pages: require.js is not needed
    if 'class="jp-Mermaid' not in body:  # the loader of mermaid.js (cdnjs) has nothing to draw
        body = _MERMAID_JS.sub("", body)
    html.parent.mkdir(parents=True, exist_ok=True)
    html.write_text(body, encoding="utf-8")
    return html


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
    failures = []

    def done(result: tuple[str, float, str | None], k: int) -> None:
        # logged as each notebook finishes, not all at the end
        name, seconds, error = result
        if error is None:
            logger.info("notebook %d/%d %s: executed in %.1f s", k, len(tasks), name, seconds)
        else:
            failures.append(name)
            logger.error("notebook %d/%d %s FAILED: %s", k, len(tasks), name, error)

    if workers == 1:
        for k, task in enumerate(tasks, start=1):
            done(_execute_one_notebook(task), k)
    else:
        from concurrent.futures import ProcessPoolExecutor, as_completed

        logger.info("executing %d notebook(s) on %d processes into %s", len(tasks), workers, target)
        with ProcessPoolExecutor(max_workers=workers) as pool:
            futures = [pool.submit(_execute_one_notebook, task) for task in tasks]
            for k, future in enumerate(as_completed(futures), start=1):
                done(future.result(), k)
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


def export_report(
    notebook: str | os.PathLike[str], directory: str | os.PathLike[str] | None = None
) -> Path:
    """The two HTML files of an executed report notebook: the committee's report (no code, no
    ``course-only`` cells) and its appendix ``<name>_code.html`` (the notebook with its code).

    Parameters
    ----------
    notebook : path-like
        The executed report notebook.
    directory : path-like, optional
        Where both files go (default: next to the notebook).

    Returns
    -------
    pathlib.Path
        The committee's HTML file.
    """
    path = Path(notebook)
    out = Path(directory) if directory is not None else path.parent
    code = export_html(path, code=True, target=out / f"{path.stem}{CODE_SUFFIX}.html")
    report = export_html(
        path, code=False, target=out / f"{path.stem}.html", remove_tags=(COURSE_ONLY_TAG,)
    )
    logger.debug("report %s, with its code in %s", report, code.name)
    return report


def execute_report(
    run_dir: str | os.PathLike[str],
    timeout: int = 1200,
    compare_with: str | os.PathLike[str] | None = None,
) -> Path:
    """Execute the report notebook (08) on a run directory; writes ``run_dir/report/``.

    Parameters
    ----------
    run_dir : path
        A directory written by :func:`riskkit.run.run_calibration`.
    timeout : int
        Seconds a single cell may run.
    compare_with : path-like, optional
        Parameter file or run directory the summary compares the run with (default:
        ``report.compare_with`` of the run's configuration, else the previous published run in
        the same directory; see :func:`riskkit.run.summary.summarize_run`).

    Returns
    -------
    pathlib.Path
        The executed notebook. Next to it: ``08_calibration_report.html``, the committee's
        report without code, and ``08_calibration_report_code.html``, with the code (the
        report links to it as its appendix); see :func:`export_report`.
    """
    run_dir = Path(run_dir)
    executed = execute_notebook(
        _report_notebook(),
        run_dir / "report",
        parameters={
            "run_dir": str(run_dir.resolve()),
            "compare_with": str(Path(compare_with).resolve()) if compare_with else "",
        },
        html=False,
        timeout=timeout,
    )
    export_report(executed)
    return executed


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
            # exported again rather than copied: the HTML refers to MathJax by a relative path
            copy = target / f"{nb.stem}.ipynb"
            shutil.copyfile(report_path, copy)
            export_report(copy)
    workers = max(1, min(2, max_workers or os.cpu_count() or 1))
    return execute_all(target, others, timeout=timeout, max_workers=workers)
