"""Build the course as a static web site: ``make book`` (Jupyter Book 2 / MyST, offline).

Usage::

    python scripts/build_book.py [--out book/_build/html] [--notebooks 00 04 ...]
                                 [--executed-dir DIR] [--no-execute] [--jobs 2]

Steps

1. **Execute** every ``notebooks/NN_*.ipynb`` (papermill, through
   :func:`riskkit.run.report.execute_notebook`), with a cache: ``book/_build/executed/`` keeps each
   executed copy with the SHA-256 of the source notebook, and a notebook is run again only when
   its source changed. An executed copy in ``reports/notebooks/`` (written by ``make report``)
   whose cells are the current ones is reused instead of running the notebook. ``--executed-dir``
   takes executed copies from another directory as they are (the browser test does this);
   ``--no-execute`` builds from the unexecuted notebooks.
2. **Stage** a MyST project in ``book/_build/src/``: ``book/index.md`` (the chapter list filled in
   from the notebooks that exist), the executed notebooks, ``book/glossary.md``, and ``api.md``
   generated from riskkit's docstrings; ``myst.yml`` is ``book/myst.yml`` with the table of
   contents written for the chapters found (a missing chapter is skipped, not an error).
3. **Render** with ``jupyter-book build --html``. The default MyST theme is downloaded from the
   internet on first use; this book uses the local template ``book/_template/`` instead, whose
   ``render.py`` (standard library only) turns MyST's page JSON into static HTML: maths as
   MathML (pre-rendered by MyST with KaTeX, drawn by the browser without fonts or scripts),
   solutions as closed ``<details>`` dropdowns. No network access is needed at any step.

Exit status 0 when the site was built and every notebook ran; 1 when a notebook failed (the site is
still built, with the error shown on that chapter's page); 2 when Node.js or jupyter-book is
missing (the message says what to install).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BOOK = ROOT / "book"
NOTEBOOKS = ROOT / "notebooks"
MIN_NODE = 18
CHAPTER_GLOB = "[0-9][0-9]_*.ipynb"


class BookError(RuntimeError):
    """A missing tool or a failed build step; the message says what to do."""


# ---------------------------------------------------------------- prerequisites
def check_node() -> str:
    """Path of a Node.js >= 18 binary, or raise BookError saying how to install one."""
    node = shutil.which("node")
    if node is None:
        raise BookError(
            "make book needs Node.js >= 18 (Jupyter Book 2 runs the MyST engine on Node), and no "
            "`node` is on PATH. Install it, e.g. `apt-get install nodejs` (Debian/Ubuntu), "
            "`conda install -c conda-forge nodejs`, or from https://nodejs.org, then run "
            "`make book` again."
        )
    out = subprocess.run([node, "--version"], capture_output=True, text=True, check=False)
    match = re.match(r"v(\d+)", out.stdout.strip())
    if not match or int(match.group(1)) < MIN_NODE:
        raise BookError(
            f"make book needs Node.js >= {MIN_NODE}; {node} is {out.stdout.strip() or 'unknown'}. "
            "Install a current LTS release (e.g. `apt-get install nodejs` on Debian 12+)."
        )
    return node


def jupyter_book_command() -> list[str]:
    """The jupyter-book command of this Python environment, or raise BookError."""
    exe = Path(sys.executable).parent / "jupyter-book"
    if exe.exists():
        return [str(exe)]
    try:
        import jupyter_book  # noqa: F401
    except ImportError:
        raise BookError(
            "make book needs jupyter-book 2 (a development dependency): "
            '`pip install -e ".[dev]"` or `pip install "jupyter-book>=2"`.'
        ) from None
    return [sys.executable, "-m", "jupyter_book"]


# ---------------------------------------------------------------- execution cache
def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _cell_sources(path: Path) -> list[tuple[str, str]]:
    """(cell type, source) of every cell but papermill's injected-parameters cell."""
    nb = json.loads(path.read_text(encoding="utf-8"))
    cells = []
    for cell in nb.get("cells", []):
        if "injected-parameters" in cell.get("metadata", {}).get("tags", []):
            continue
        src = cell.get("source", "")
        cells.append((cell.get("cell_type"), "".join(src) if isinstance(src, list) else src))
    return cells


def _has_error(path: Path) -> bool:
    nb = json.loads(path.read_text(encoding="utf-8"))
    return any(
        out.get("output_type") == "error"
        for cell in nb.get("cells", [])
        for out in cell.get("outputs", [])
    )


def _execute(task: tuple[str, str]) -> tuple[str, float, str | None, bool]:
    """Execute one notebook into ``out_dir`` (runs in a worker process).

    Returns (source, seconds, error or None, whether a retry may help): a failing cell is the
    notebook's fault and final; a kernel that could not start or talk (e.g. a port taken by
    another process at the same moment) is worth one more try.
    """
    from riskkit.exceptions import RiskkitError
    from riskkit.run.report import execute_notebook

    source, out_dir = task
    t0 = time.perf_counter()
    try:
        execute_notebook(Path(source), Path(out_dir), html=False)
    except RiskkitError as exc:
        return source, time.perf_counter() - t0, str(exc), False
    except Exception as exc:  # kernel start/transport failure: not the notebook's content
        message = f"notebook {Path(source).name}: kernel failure: {type(exc).__name__}: {exc}"
        return source, time.perf_counter() - t0, message, True
    return source, time.perf_counter() - t0, None, False


def _run_all(tasks: list[tuple[str, str]], workers: int):
    """Yield the outcome of each task as it finishes (on ``workers`` processes)."""
    if workers == 1:
        yield from map(_execute, tasks)
        return
    from concurrent.futures import as_completed

    with ProcessPoolExecutor(max_workers=workers) as pool:
        futures = {}
        for i, task in enumerate(tasks):
            if 0 < i < workers:  # stagger the first kernels: simultaneous starts can race for ports
                time.sleep(3)
            futures[pool.submit(_execute, task)] = task
        for future in as_completed(futures):
            try:
                yield future.result()
            except Exception as exc:  # the worker process itself died
                source = futures[future][0]
                yield source, 0.0, f"notebook {Path(source).name}: worker failed: {exc}", True


def executed_notebooks(
    notebooks: list[Path], cache: Path, reuse: list[Path], jobs: int
) -> tuple[dict[Path, Path], list[str]]:
    """Executed copy of each notebook, from the cache, a ``reuse`` directory or a fresh run.

    A copy in a ``reuse`` directory is taken when its cells are the notebook's current cells
    (papermill's injected-parameters cell aside) and it holds no error output.

    Returns the mapping source -> executed copy and the list of failure messages.
    """
    cache.mkdir(parents=True, exist_ok=True)
    result: dict[Path, Path] = {}
    todo: list[Path] = []
    for nb in notebooks:
        target, stamp = cache / nb.name, cache / f"{nb.stem}.sha256"
        digest = sha256(nb)
        if target.exists() and stamp.exists() and stamp.read_text().strip() == digest:
            print(f"  {nb.stem}: cached")
            result[nb] = target
            continue
        for directory in reuse:
            candidate = directory / nb.name
            if (
                candidate.exists()
                and candidate.resolve() != target.resolve()
                and _cell_sources(candidate) == _cell_sources(nb)
                and not _has_error(candidate)
            ):
                shutil.copy2(candidate, target)
                stamp.write_text(digest)
                print(f"  {nb.stem}: reused {candidate}")
                result[nb] = target
                break
        if nb in result:
            continue
        todo.append(nb)
    failures: list[str] = []
    if todo:
        workers = max(1, min(jobs, len(todo)))
        print(f"  executing {len(todo)} notebook(s) on {workers} process(es)...", flush=True)
        tasks = [(str(nb), str(cache)) for nb in todo]
        retry: list[tuple[str, str]] = []
        for attempt in (1, 2):
            for source, seconds, error, transient in _run_all(tasks, workers):
                nb = Path(source)
                result[nb] = cache / nb.name
                if error is None:
                    (cache / f"{nb.stem}.sha256").write_text(sha256(nb))
                    print(f"  {nb.stem}: executed in {seconds:.1f} s", flush=True)
                elif transient and attempt == 1:
                    print(f"  {nb.stem}: {error}; trying again", flush=True)
                    retry.append((source, str(cache)))
                else:
                    failures.append(error)
                    print(f"  {nb.stem}: FAILED after {seconds:.1f} s: {error}", flush=True)
                    if not result[nb].exists():
                        result[nb] = nb
            if not retry:
                break
            tasks, retry, workers = retry, [], 1
    return result, failures


# ---------------------------------------------------------------- staging
def notebook_title(path: Path) -> str:
    """The first level-1 heading of a notebook (its chapter title)."""
    for cell_type, src in _cell_sources(path):
        if cell_type == "markdown":
            for line in src.splitlines():
                if line.startswith("# "):
                    return line[2:].strip()
    return path.stem


def api_page() -> str:
    """A MyST page listing riskkit's public modules and their documented names."""
    import importlib
    import inspect

    import riskkit

    lines = [
        "# API reference",
        "",
        "Every public module of the `riskkit` package, with the names it exports (`__all__`) and",
        "their docstrings (numpydoc). Generated from the installed package when the book is built;",
        "in Python, `help(riskkit.backtest.rolling_forecast)` shows the same text.",
        "",
    ]
    # module names from the files (importing to discover would stop at the first broken module)
    package_dir = Path(riskkit.__file__).parent
    modules = sorted(
        ".".join(("riskkit", *path.relative_to(package_dir).with_suffix("").parts)).removesuffix(
            ".__init__"
        )
        for path in package_dir.rglob("*.py")
        if not any(part.startswith("_") for part in path.relative_to(package_dir).parts[:-1])
        and (not path.name.startswith("_") or path.name == "__init__.py")
    )
    contents: list[str] = []
    for name in modules:
        try:
            module = importlib.import_module(name)
        except Exception as exc:  # an optional dependency missing: say so on the page
            lines += [f"## `{name}`", "", f"(not importable here: `{type(exc).__name__}`)", ""]
            continue
        exported = getattr(module, "__all__", None)
        if not exported:
            continue
        doc = inspect.getdoc(module) or ""
        label = "api-" + name.replace(".", "-")
        contents.append(f"[`{name}`](#{label})")
        lines += [f"({label})=", f"## `{name}`", ""]
        if doc:
            lines += ["```text", doc.split("\n\n")[0], "```", ""]
        imported = []
        for attr in exported:
            obj = getattr(module, attr, None)
            if obj is None or inspect.ismodule(obj):
                continue
            home = getattr(obj, "__module__", name) if callable(obj) else name
            if home != name and home in modules:  # documented in the module that defines it
                imported.append(f"[`{attr}`](#api-{home.replace('.', '-')})")
                continue
            try:
                sig = str(inspect.signature(obj)) if callable(obj) else ""
            except (TypeError, ValueError):
                sig = "(...)"
            kind = "class" if inspect.isclass(obj) else "function" if callable(obj) else "constant"
            text = inspect.getdoc(obj) if (callable(obj) or inspect.isclass(obj)) else None
            lines += [f"### `{name}.{attr}`", "", f"{kind} `{attr}{sig}`"[:400], ""]
            if text:
                lines += ["```text", text.replace("```", "'''"), "```", ""]
        if imported:
            lines += [f"Also exported here: {', '.join(imported)}.", ""]
    header, body = lines[:6], lines[6:]
    return "\n".join([*header, "Modules: " + ", ".join(contents) + ".", "", *body]) + "\n"


def _markdown_outputs_as_cells(nb: dict) -> dict:
    """Move Markdown display outputs (``riskkit.display.say``) into Markdown cells.

    MyST does not parse a code cell's ``text/markdown`` output (its web theme renders it in the
    browser); as a Markdown cell right after the code, the sentence is parsed like any prose, so
    its maths becomes MathML. Outputs after it stay in order, in a code cell whose input is
    hidden (tag ``remove-input``).
    """
    cells = []
    for cell in nb.get("cells", []):
        if cell.get("cell_type") != "code" or not any(
            "text/markdown" in out.get("data", {}) for out in cell.get("outputs", [])
        ):
            cells.append(cell)
            continue
        current = {**cell, "outputs": []}
        cells.append(current)
        for out in cell["outputs"]:
            text = out.get("data", {}).get("text/markdown")
            if text is None:
                if current.get("cell_type") != "code":
                    current = {
                        "cell_type": "code",
                        "execution_count": None,
                        "metadata": {"tags": ["remove-input"]},
                        "source": "",
                        "outputs": [],
                    }
                    cells.append(current)
                current["outputs"].append(out)
                continue
            source = "".join(text) if isinstance(text, list) else text
            current = {"cell_type": "markdown", "metadata": {}, "source": source}
            cells.append(current)
    return {**nb, "cells": cells}


def stage(executed: dict[Path, Path], src: Path, with_api: bool) -> list[str]:
    """Write the MyST project into ``src``; returns the table of contents (file names)."""
    import yaml

    if src.exists():
        shutil.rmtree(src)
    src.mkdir(parents=True)
    chapters = sorted(executed, key=lambda p: p.name)
    listing = [f"- [{notebook_title(nb)}]({nb.name})" for nb in chapters]
    index = (BOOK / "index.md").read_text(encoding="utf-8")
    marker = "<!-- chapters -->"
    if marker not in index:
        raise BookError(f"{BOOK / 'index.md'} must contain the line {marker} (the chapter list)")
    (src / "index.md").write_text(index.replace(marker, "\n".join(listing)), encoding="utf-8")
    for nb in chapters:
        # links from a chapter to the book's own pages (../book/glossary.md in Jupyter) are
        # siblings in the staged project
        text = executed[nb].read_text(encoding="utf-8").replace("](../book/", "](")
        staged = _markdown_outputs_as_cells(json.loads(text))
        (src / nb.name).write_text(json.dumps(staged, indent=1), encoding="utf-8")
    toc = ["index.md", *[nb.name for nb in chapters]]
    if (BOOK / "glossary.md").exists():
        shutil.copy2(BOOK / "glossary.md", src / "glossary.md")
        toc.append("glossary.md")
    if with_api:
        (src / "api.md").write_text(api_page(), encoding="utf-8")
        toc.append("api.md")
    config = yaml.safe_load((BOOK / "myst.yml").read_text(encoding="utf-8"))
    config.setdefault("project", {})["toc"] = [{"file": f} for f in toc]
    config.setdefault("site", {})["template"] = str((BOOK / "_template").resolve())
    (src / "myst.yml").write_text(yaml.safe_dump(config, sort_keys=False), encoding="utf-8")
    return toc


# ---------------------------------------------------------------- render
def render(src: Path, out: Path) -> None:
    """Run ``jupyter-book build --html`` in ``src`` and move the site to ``out``."""
    cmd = [*jupyter_book_command(), "build", "--html"]
    env = dict(os.environ)
    env["PATH"] = os.pathsep.join([str(Path(sys.executable).parent), env.get("PATH", "")])
    env["RISKKIT_BOOK_PYTHON"] = sys.executable
    proc = subprocess.run(cmd, cwd=src, env=env, capture_output=True, text=True, check=False)
    html = src / "_build" / "html"
    if proc.returncode != 0 or not (html / "index.html").exists():
        raise BookError(
            "jupyter-book build --html failed (exit "
            f"{proc.returncode}) in {src}:\n{proc.stdout[-4000:]}\n{proc.stderr[-4000:]}"
        )
    # MyST cannot join a gated solution across notebook cells and says so; the local template
    # joins them (book/_template/render.py, join_gates), so that message is not a problem here
    problems = [
        line
        for line in proc.stdout.splitlines() + proc.stderr.splitlines()
        if "⛔" in line and "Gated node is not closed" not in line
    ]
    for line in problems:
        print(f"  myst: {line.strip()}")
    if out.exists():
        shutil.rmtree(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    shutil.move(str(html), str(out))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, default=BOOK / "_build" / "html")
    parser.add_argument("--build-dir", type=Path, default=BOOK / "_build")
    parser.add_argument(
        "--notebooks", nargs="*", help="chapter numbers or stems to include (default: all)"
    )
    parser.add_argument("--executed-dir", type=Path, help="take executed notebooks from here")
    parser.add_argument("--no-execute", action="store_true", help="build from the sources")
    parser.add_argument("--no-api", action="store_true", help="skip the API reference page")
    parser.add_argument("--jobs", type=int, default=2, help="notebooks executed at a time")
    args = parser.parse_args(argv)
    t0 = time.perf_counter()
    try:
        check_node()
        jupyter_book_command()
        notebooks = sorted(NOTEBOOKS.glob(CHAPTER_GLOB))
        if args.notebooks:
            keep = tuple(args.notebooks)
            notebooks = [nb for nb in notebooks if nb.stem.startswith(keep) or nb.stem in keep]
        if not notebooks:
            raise BookError(f"no notebook {CHAPTER_GLOB} in {NOTEBOOKS} matches {args.notebooks}")
        print(f"book: {len(notebooks)} chapter(s)")
        failures: list[str] = []
        if args.no_execute:
            executed = {nb: nb for nb in notebooks}
        elif args.executed_dir is not None:
            executed = {nb: args.executed_dir / nb.name for nb in notebooks}
            missing = [str(p) for p in executed.values() if not p.exists()]
            if missing:
                raise BookError(f"--executed-dir lacks: {', '.join(missing)}")
        else:
            reuse = [BOOK / "_build" / "executed", ROOT / "reports" / "notebooks"]
            executed, failures = executed_notebooks(
                notebooks, args.build_dir / "executed", reuse, args.jobs
            )
        t1 = time.perf_counter()
        toc = stage(executed, args.build_dir / "src", with_api=not args.no_api)
        render(args.build_dir / "src", args.out)
    except BookError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    t2 = time.perf_counter()
    print(
        f"book: {len(toc)} pages in {args.out} (open {args.out / 'index.html'}); "
        f"notebooks {t1 - t0:.1f} s, site {t2 - t1:.1f} s"
    )
    if failures:
        print(
            f"book: {len(failures)} notebook(s) FAILED (shown with their error):", file=sys.stderr
        )
        for message in failures:
            print(f"  {message}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
