"""riskkit: calibrate the margin engine of a crypto-derivatives venue.

Sign convention, used everywhere in riskkit: returns are positive for gains; a *loss* is minus the
return, and VaR and Expected Shortfall are reported as positive loss numbers (a 99% VaR of 0.08
means an 8% loss is exceeded with 1% probability). Returns are fractions (0.01 = 1%), log returns
unless a function says otherwise.
"""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("riskkit")
except PackageNotFoundError:  # running from a source tree without installation
    __version__ = "0.0.0+unknown"

from riskkit.exceptions import (
    ConfigError,
    ConvergenceWarning,
    DataError,
    DataQualityWarning,
    ModelError,
    RiskkitError,
    RiskkitWarning,
    SchemaError,
)

__all__ = [
    "__version__",
    "ConfigError",
    "ConvergenceWarning",
    "DataError",
    "DataQualityWarning",
    "ModelError",
    "RiskkitError",
    "RiskkitWarning",
    "SchemaError",
]
