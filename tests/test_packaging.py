"""Packaging facts a fresh clone relies on."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

import jupytext
import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent
# conda-forge names that differ from PyPI names
CONDA_TO_PYPI = {"arch-py": "arch"}
SOURCES = sorted((ROOT / "notebooks" / "src").glob("[0-9][0-9]_*.py"))


def _name(requirement: str) -> str:
    return re.split(r"[<>=!~ \[;]", requirement.strip(), maxsplit=1)[0].lower()


def test_environment_yml_lists_the_same_packages_as_pyproject() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    pypi = {_name(r) for r in project["dependencies"]}
    pypi |= {_name(r) for r in project["optional-dependencies"]["dev"]}
    env = yaml.safe_load((ROOT / "environment.yml").read_text())
    conda = {
        CONDA_TO_PYPI.get(_name(d), _name(d))
        for d in env["dependencies"]
        if isinstance(d, str) and _name(d) not in {"python", "pip"}
    }
    # packages conda-forge lacks are installed by pip inside the conda environment
    conda |= {
        _name(r) for d in env["dependencies"] if isinstance(d, dict) for r in d.get("pip", [])
    }
    assert conda == pypi, (
        f"only in environment.yml: {sorted(conda - pypi)}; only in pyproject.toml: {sorted(pypi - conda)}"
    )


def _cells(notebook) -> list[tuple[str, str, list[str]]]:
    """What a reader sees of a notebook: cell type, source, tags (ids and outputs aside)."""
    return [
        (cell.cell_type, cell.source.strip(), list(cell.metadata.get("tags", [])))
        for cell in notebook.cells
    ]


@pytest.mark.parametrize("script", SOURCES, ids=[p.stem for p in SOURCES])
def test_notebook_is_in_sync_with_its_jupytext_script(script: Path) -> None:
    # notebooks/jupytext.toml pairs notebooks/NN.ipynb with notebooks/src/NN.py
    paired = ROOT / "notebooks" / f"{script.stem}.ipynb"
    assert paired.exists(), f"{paired.name} missing: run jupytext --sync {script}"
    from_script = jupytext.read(script)
    committed = jupytext.read(paired)
    assert _cells(from_script) == _cells(committed), (
        f"{paired.name} is out of sync with {script.relative_to(ROOT)}: "
        f"run jupytext --sync {script.relative_to(ROOT)}"
    )
    assert committed.metadata.get("kernelspec", {}).get("name") == "python3"


def test_sync_check_detects_an_edited_script(tmp_path: Path) -> None:
    script = SOURCES[0]
    edited = jupytext.read(script)
    edited.cells[-1].source += "\n# an edit not yet synced"
    assert _cells(edited) != _cells(jupytext.read(ROOT / "notebooks" / f"{script.stem}.ipynb"))


def test_jupytext_pairing_is_configured() -> None:
    config = tomllib.loads((ROOT / "notebooks" / "jupytext.toml").read_text())
    assert config["formats"] == "ipynb,src//py:percent"
    assert not (ROOT / "notebooks" / "build.py").exists()


def test_every_notebook_has_a_source() -> None:
    built = {p.stem for p in (ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb")}
    sources = {p.stem for p in (ROOT / "notebooks" / "src").glob("[0-9][0-9]_*.py")}
    assert built == sources
