"""Former home of notebook execution, kept so that existing imports keep working.

The code now lives in :mod:`riskkit.run.report`; import from there in new code.
"""

from __future__ import annotations

from riskkit.run.report import (
    NOTEBOOK_DIR,
    execute_all,
    execute_notebook,
    export_html,
    list_notebooks,
)

__all__ = ["NOTEBOOK_DIR", "list_notebooks", "execute_notebook", "export_html", "execute_all"]
