"""``jsonschema``, imported without the grammar-building import of its IRI format checker."""

from __future__ import annotations

import sys
import threading
from types import ModuleType

__all__ = ["import_jsonschema"]

_LOCK = threading.Lock()


def import_jsonschema() -> ModuleType:
    """The ``jsonschema`` module, imported without its IRI format checker when it is not loaded yet.

    ``jsonschema`` imports ``rfc3987_syntax`` (when installed, as Jupyter's dependencies install
    it), which builds 38 Lark grammars at import: about 1.5 s in every process that validates a
    file, most of a small calibration's overhead. riskkit's schemas use no ``iri`` format, so
    the import is skipped for the one ``import jsonschema`` here (``None`` in ``sys.modules``
    makes it raise ``ImportError``, which ``jsonschema`` expects of a missing optional package)
    and allowed again right after. In that process ``jsonschema``'s format checker then checks
    no ``iri`` / ``iri-reference`` format, for any library that uses it (riskkit's validators use
    no format checker).
    """
    with _LOCK:  # two threads importing at once must not see each other's None entry
        if "jsonschema" not in sys.modules and "rfc3987_syntax" not in sys.modules:
            sys.modules["rfc3987_syntax"] = None  # type: ignore[assignment]
            try:
                import jsonschema
            finally:
                if sys.modules.get("rfc3987_syntax", 0) is None:
                    del sys.modules["rfc3987_syntax"]
            return jsonschema
    import jsonschema

    return jsonschema
