"""Every notebook runs top to bottom without error, and none is committed with outputs."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from riskkit.report import execute_notebook, list_notebooks

NOTEBOOKS = list_notebooks()


def test_there_are_notebooks() -> None:
    assert NOTEBOOKS, "notebooks/ holds no numbered notebook"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_notebook_committed_without_outputs(path: Path) -> None:
    nb = json.loads(path.read_text(encoding="utf-8"))
    with_outputs = [
        i
        for i, cell in enumerate(nb["cells"])
        if cell["cell_type"] == "code" and (cell.get("outputs") or cell.get("execution_count"))
    ]
    assert not with_outputs, f"{path.name}: cells {with_outputs} carry outputs; strip them"


@pytest.mark.notebook
@pytest.mark.slow
@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_notebook_executes(path: Path, tmp_path: Path) -> None:
    executed = execute_notebook(path, tmp_path, html=True)
    assert executed.exists()
    assert executed.with_suffix(".html").stat().st_size > 10_000
