"""Every notebook runs top to bottom without error, and none is committed with outputs."""

from __future__ import annotations

import json
import re
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
    # a chapter reads as a text: no progress bar of the rolling engine in its outputs
    streams = [
        "".join(out.get("text", ""))
        for cell in json.loads(executed.read_text(encoding="utf-8"))["cells"]
        for out in cell.get("outputs", [])
        if out.get("output_type") == "stream"
    ]
    bars = [s for s in streams if re.search(r"\d+/\d+ \[\d\d:\d\d", s)]
    assert not bars, f"{path.name}: progress bars in the output (pass progress=False): {bars[:1]}"
