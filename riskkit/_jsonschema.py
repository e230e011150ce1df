"""``jsonschema``, imported without the grammar-building import of its IRI format checker."""

from __future__ import annotations

import sys
from types import ModuleType

__all__ = ["import_jsonschema"]


def import_jsonschema() -> ModuleType:
    """The ``jsonschema`` module, imported without its IRI format checker when it is not loaded yet.

    ``jsonschema`` imports ``rfc3987_syntax`` (when installed, as Jupyter's dependencies install
    it), which builds 38 Lark grammars at import: about 1.5 s in every process that validates a
    file, most of a small calibration's overhead. riskkit's schemas use no ``iri`` format, so
    the import is skipped for the one ``import jsonschema`` here (``None`` in ``sys.modules``
    makes it raise ``ImportError``, which ``jsonschema`` expects of a missing optional package)
    and allowed again right after. In that process ``jsonschema`` then checks no ``iri`` format.
    """
    if "jsonschema" not in sys.modules and "rfc3987_syntax" not in sys.modules:
        sys.modules["rfc3987_syntax"] = None  # type: ignore[assignment]
        try:
            import jsonschema
        finally:
            del sys.modules["rfc3987_syntax"]
        return jsonschema
    import jsonschema

    return jsonschema
