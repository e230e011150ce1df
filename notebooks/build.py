"""Build the notebooks from their percent-format sources.

Each ``notebooks/src/NN_topic.py`` is a plain Python file split into cells by ``# %%`` lines
(``# %% [markdown]`` for prose, whose lines start with ``# ``; ``# %% tags=["parameters"]`` for the
papermill parameters cell). Reviewing a diff of a ``.py`` file is easy; a diff of ``.ipynb`` JSON
is not. The built notebooks have no outputs.

Usage: ``python notebooks/build.py [--check]``; ``--check`` fails if a notebook is out of date.
"""

from __future__ import annotations

import ast
import re
import sys
from pathlib import Path

import nbformat

HERE = Path(__file__).resolve().parent
CELL_MARK = re.compile(r"^# %%(?P<rest>.*)$")


def _strip_comment(line: str) -> str:
    if line.startswith("# "):
        return line[2:]
    if line.startswith("#"):
        return line[1:]
    return line


def parse(source: str, prefix: str = "cell") -> nbformat.NotebookNode:
    """Turn a percent-format script into a notebook node without outputs.

    Cell ids are ``{prefix}-{index}`` so that rebuilding an unchanged source gives identical JSON.
    """
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {
        "name": "python3",
        "display_name": "Python 3",
        "language": "python",
    }
    nb.metadata["language_info"] = {"name": "python"}
    cells: list[tuple[str, list[str], list[str]]] = []
    kind, tags, lines = None, [], []
    for line in source.splitlines():
        match = CELL_MARK.match(line)
        if match:
            if kind is not None:
                cells.append((kind, tags, lines))
            rest = match.group("rest").strip()
            kind = "markdown" if rest.startswith("[markdown]") else "code"
            tag_match = re.search(r"tags=(\[.*\])", rest)
            tags = list(ast.literal_eval(tag_match.group(1))) if tag_match else []
            lines = []
        elif kind is not None:
            lines.append(line)
    if kind is not None:
        cells.append((kind, tags, lines))
    for kind, tags, lines in cells:
        while lines and not lines[-1].strip():
            lines.pop()
        while lines and not lines[0].strip():
            lines.pop(0)
        if kind == "markdown":
            cell = nbformat.v4.new_markdown_cell("\n".join(_strip_comment(x) for x in lines))
        else:
            cell = nbformat.v4.new_code_cell("\n".join(lines))
        if tags:
            cell.metadata["tags"] = tags
        cell["id"] = f"{prefix}-{len(nb.cells):03d}"
        nb.cells.append(cell)
    return nb


def build(check: bool = False) -> int:
    stale = []
    for src in sorted((HERE / "src").glob("[0-9][0-9]_*.py")):
        target = HERE / f"{src.stem}.ipynb"
        nb = parse(src.read_text(encoding="utf-8"), prefix=src.stem[:2])
        text = nbformat.writes(nb) + "\n"
        current = target.read_text(encoding="utf-8") if target.exists() else ""
        if text != current:
            stale.append(target.name)
            if not check:
                target.write_text(text, encoding="utf-8")
    if check and stale:
        print("out of date (run python notebooks/build.py):", ", ".join(stale))
        return 1
    if not check:
        print("built:", ", ".join(stale) if stale else "nothing changed")
    return 0


if __name__ == "__main__":
    sys.exit(build(check="--check" in sys.argv[1:]))
