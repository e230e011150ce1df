"""``python -m riskkit``: the same as the ``riskkit`` command (see :mod:`riskkit.cli`)."""

import sys

from riskkit.cli import main

if __name__ == "__main__":
    sys.exit(main())
