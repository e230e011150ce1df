"""Exceptions and warnings raised by riskkit.

Every error riskkit raises on bad input derives from :class:`RiskkitError`, so a caller can catch
them all at once; each also derives from the matching built-in (``ValueError``, ``RuntimeError``)
so that generic handlers keep working.
"""

from __future__ import annotations

__all__ = [
    "RiskkitError",
    "DataError",
    "ConfigError",
    "ModelError",
    "SchemaError",
    "RiskkitWarning",
    "DataQualityWarning",
    "ConvergenceWarning",
    "RiskkitInternalWarning",
]


class RiskkitError(Exception):
    """Base class of every error raised by riskkit."""


class DataError(RiskkitError, ValueError):
    """Input data cannot be used: the message names the file, column and rows or dates."""


class ConfigError(RiskkitError, ValueError):
    """A configuration or argument is invalid; raised before any computation starts."""


class ModelError(RiskkitError, RuntimeError):
    """A model cannot be estimated on the data given (too few observations, constant series...)."""


class SchemaError(RiskkitError, ValueError):
    """A margin parameter file does not match its JSON Schema."""


class RiskkitWarning(UserWarning):
    """Base class of riskkit warnings: something is suspicious but the result is still usable."""


class DataQualityWarning(RiskkitWarning):
    """Input data has defects (gaps, stale prices, bad ticks) that the caller should look at."""


class ConvergenceWarning(RiskkitWarning):
    """An optimiser did not converge, hit a boundary or gave a non-stationary fit; a fallback was used."""


class RiskkitInternalWarning(RiskkitWarning):
    """Raised as an error in riskkit's own test-suite: signals a riskkit bug, never bad input."""
