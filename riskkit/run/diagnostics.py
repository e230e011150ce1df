"""Warnings raised during a run, kept as structured records.

A run stores the warnings its assets raised (convergence fallbacks, data-quality notes) in
``run.json`` under ``"warnings"``, one record per distinct (category, message) per asset and
stage, so that :meth:`riskkit.run.RunRecord.model_warnings` reads them back as data instead of
re-parsing the log.
"""

from __future__ import annotations

import dataclasses
import warnings
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

__all__ = ["RunWarning", "collect_warnings"]

_PACKAGE_ROOT = Path(__file__).resolve().parents[2]


@dataclass(frozen=True)
class RunWarning:
    """One distinct warning raised while a run processed an asset.

    Attributes
    ----------
    asset : str or None
        The asset being processed; None for a run-level stage.
    stage : str
        The stage of the run (``"calibrate"``...).
    category : str
        Class name of the warning (``"ConvergenceWarning"``, ``"DataQualityWarning"``...).
    message : str
        Text of the warning.
    count : int
        How many times this (category, message) was raised for the asset in the stage.
    source : str
        ``"file:line"`` of the first place it was raised (relative to the source tree for
        riskkit's own files).
    """

    asset: str | None
    stage: str
    category: str
    message: str
    count: int = 1
    source: str = ""

    def __str__(self) -> str:
        text = f"{self.category}: {self.message}"
        # the count of identical messages, said in words (not a bare "(x2)")
        return text if self.count == 1 else f"{text} [raised {self.count} times]"

    def to_dict(self) -> dict[str, Any]:
        """The record as a JSON-ready dict (the form stored in ``run.json``)."""
        return dataclasses.asdict(self)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> RunWarning:
        """Inverse of :meth:`to_dict`; keys not known to this version are ignored."""
        names = {f.name for f in dataclasses.fields(cls)}
        return cls(**{k: v for k, v in data.items() if k in names})


def _where(filename: str, lineno: int) -> str:
    path = Path(filename)
    try:
        path = path.resolve().relative_to(_PACKAGE_ROOT)
    except (OSError, ValueError):
        path = Path(path.name)
    return f"{path.as_posix()}:{lineno}"


def collect_warnings(
    caught: Iterable[warnings.WarningMessage], asset: str | None, stage: str
) -> list[RunWarning]:
    """Group warnings recorded by :func:`warnings.catch_warnings` into :class:`RunWarning` records.

    Parameters
    ----------
    caught : iterable of warnings.WarningMessage
        As recorded with ``warnings.catch_warnings(record=True)``.
    asset : str or None
        Asset the warnings belong to.
    stage : str
        Stage of the run that raised them.

    Returns
    -------
    list of RunWarning
        One record per distinct (category, message), in the order first raised, with the
        number of times each was raised and where it was first raised.
    """
    first: dict[tuple[str, str], warnings.WarningMessage] = {}
    counts: dict[tuple[str, str], int] = {}
    for w in caught:
        key = (w.category.__name__, str(w.message))
        first.setdefault(key, w)
        counts[key] = counts.get(key, 0) + 1
    return [
        RunWarning(
            asset=asset,
            stage=stage,
            category=category,
            message=message,
            count=counts[(category, message)],
            source=_where(w.filename, w.lineno),
        )
        for (category, message), w in first.items()
    ]
