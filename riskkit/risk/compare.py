"""Several VaR/ES estimators on the same data: one table, reproducible seeds, recorded notes.

:func:`compare_estimators` fits every estimator of a line-up on the same returns and forecasts
VaR and ES at several levels; :func:`horizon_comparison` compares, for each estimator, the
square-root-of-time h-day ES with the estimator's own path-based method (overlapping sums,
simulation, aggregated cumulants). :func:`with_horizon_method` gives a copy of an estimator with
another ``horizon_method``.

Seeds follow ``docs/design.md``: one child of ``numpy.random.SeedSequence(seed)`` per estimator,
spawned in line-up order, so a row does not depend on the rows computed before it.
"""

from __future__ import annotations

import copy
import typing
import warnings
from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

from riskkit._validation import as_return_series, check_horizon, check_levels
from riskkit.exceptions import ConfigError, RiskkitWarning
from riskkit.risk.base import RiskEstimator

__all__ = ["compare_estimators", "horizon_comparison", "with_horizon_method"]

Seed = int | np.random.SeedSequence | None


def _children(seed: Seed, n: int) -> list[np.random.SeedSequence]:
    root = seed if isinstance(seed, np.random.SeedSequence) else np.random.SeedSequence(seed)
    return root.spawn(n)


def _fallback(params: object) -> str | None:
    # EVT keeps its GARCH filter in ``.garch``; GARCH-based params record a fallback in ``.info``
    garch = getattr(params, "garch", params)
    info = getattr(garch, "info", None)
    return info.get("fallback") if isinstance(info, Mapping) else None


def _check_lineup(estimators: Mapping[str, RiskEstimator]) -> None:
    if not isinstance(estimators, Mapping) or not estimators:
        raise ConfigError("estimators must be a non-empty mapping {name: RiskEstimator}")
    bad = [k for k, v in estimators.items() if not isinstance(v, RiskEstimator)]
    if bad:
        raise ConfigError(f"not RiskEstimator instances: {bad}")


def compare_estimators(
    returns: pd.Series | np.ndarray,
    estimators: Mapping[str, RiskEstimator],
    levels: float | Sequence[float] = 0.99,
    horizon: int = 1,
    seed: Seed = None,
) -> pd.DataFrame:
    """VaR and ES of every estimator, each fitted on all of ``returns``.

    Parameters
    ----------
    returns : pandas.Series or array
        Past log returns (fractions, oldest first); the forecast is for the ``horizon`` periods
        after the last one. Slice the series to the forecast date first (``r.loc[:date]``).
    estimators : mapping of str to RiskEstimator
        The line-up, ``{name: estimator}``; its order sets the row order and the seeds.
    levels : float or sequence of float
        Confidence levels in (0, 1).
    horizon : int
        Periods ahead.
    seed : int, SeedSequence or None
        Root of the per-estimator seeds (one spawned child per estimator, in order).

    Returns
    -------
    pandas.DataFrame
        Index ``method`` (the names); columns ``var_{level:g}`` and ``es_{level:g}`` (positive
        losses of the log return) for each level, and ``notes``: the fallback an estimator
        recorded (e.g. an integrated GARCH replaced by EWMA) or else the class names of the
        riskkit warnings it raised, ``""`` if none.

    Raises
    ------
    ConfigError
        If the line-up is empty or holds something other than a ``RiskEstimator``, or the
        levels or horizon are invalid.
    DataError
        If ``returns`` is not a clean 1-d return series.

    Notes
    -----
    Warnings of class :class:`riskkit.exceptions.RiskkitWarning` are captured into ``notes``
    instead of being shown; other warnings pass through.
    """
    _check_lineup(estimators)
    lv = check_levels(levels)
    h = int(check_horizon(horizon))
    x = as_return_series(returns).to_numpy(dtype=float)
    rows = []
    for (name, est), child in zip(
        estimators.items(), _children(seed, len(estimators)), strict=True
    ):
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always", RiskkitWarning)
            params = est.fit(x)
            out = np.asarray(est.forecast(x, params, lv, h, np.random.default_rng(child)))
        ours = [w for w in caught if issubclass(w.category, RiskkitWarning)]
        for w in caught:
            if w not in ours:
                warnings.warn_explicit(w.message, w.category, w.filename, w.lineno)
        note = "; ".join(sorted({w.category.__name__ for w in ours}))
        row: dict[str, object] = {"method": name}
        for j, a in enumerate(lv):
            row[f"var_{a:g}"], row[f"es_{a:g}"] = float(out[j, 0]), float(out[j, 1])
        row["notes"] = _fallback(params) or note
        rows.append(row)
    return pd.DataFrame(rows).set_index("method")


def with_horizon_method(estimator: RiskEstimator, method: str) -> RiskEstimator:
    """A shallow copy of ``estimator`` with ``horizon_method`` set to ``method``.

    Parameters
    ----------
    estimator : RiskEstimator
        An estimator with a ``horizon_method`` setting (all riskkit estimators but the
        GARCH-free normal ``Parametric`` use it).
    method : str
        One of the methods the estimator's class accepts (read from the ``Literal`` type of its
        ``horizon_method`` argument), e.g. ``"sqrt"``, ``"simulate"``, ``"overlapping"``.

    Returns
    -------
    RiskEstimator
        The copy; ``estimator`` itself is unchanged.

    Raises
    ------
    ConfigError
        If the estimator has no ``horizon_method`` or ``method`` is not one of its choices.
    """
    if not hasattr(estimator, "horizon_method"):
        raise ConfigError(f"{type(estimator).__name__} has no horizon_method")
    try:
        hints = typing.get_type_hints(type(estimator).__init__)
    except (NameError, TypeError):  # unresolvable annotations: accept any method
        hints = {}
    allowed = typing.get_args(hints.get("horizon_method"))
    if allowed and method not in allowed:
        raise ConfigError(
            f"{type(estimator).__name__}: horizon_method must be one of {allowed}, got {method!r}"
        )
    new = copy.copy(estimator)
    new.horizon_method = method
    return new


def horizon_comparison(
    returns: pd.Series | np.ndarray,
    estimators: Mapping[str, RiskEstimator],
    path_methods: Mapping[str, str],
    level: float = 0.99,
    horizon: int = 10,
    seed: Seed = None,
) -> pd.DataFrame:
    """h-day ES by the square-root-of-time rule against each estimator's path-based method.

    Parameters
    ----------
    returns : pandas.Series or array
        Past log returns, oldest first (sliced to the forecast date).
    estimators : mapping of str to RiskEstimator
        The fitted models; each is fitted once (the fit does not depend on the horizon method).
    path_methods : mapping of str to str
        ``{name: horizon_method}`` for the names to compare, in the order of the output rows,
        e.g. ``{"HS": "overlapping", "GARCH-t": "simulate", "Cornish-Fisher": "cumulants"}``.
    level : float
        Confidence level of the ES.
    horizon : int
        Periods ahead (> 1 for the comparison to be informative).
    seed : int, SeedSequence or None
        Root seed; each estimator gets one spawned child, used for both of its forecasts
        (common random numbers).

    Returns
    -------
    pandas.DataFrame
        Index ``method``; columns ``path method``, ``ES sqrt``, ``ES path`` and
        ``path / sqrt``. RiskkitWarnings (e.g. an integrated GARCH fit) are silenced here; run
        :func:`compare_estimators` to see them.

    Raises
    ------
    ConfigError
        If a name in ``path_methods`` is not in ``estimators`` or a method is not accepted.

    Notes
    -----
    ``sqrt`` scales the 1-day ES by ``sqrt(horizon)`` (exact for i.i.d. normal returns);
    the path methods keep the thinning of fat tails under aggregation and, for GARCH models, the
    mean reversion of volatility.

    References
    ----------
    Danielsson, J. and Zigrand, J.-P. (2006), "On time-scaling of risk and the
    square-root-of-time rule", Journal of Banking & Finance 30(10).
    """
    _check_lineup(estimators)
    missing = [k for k in path_methods if k not in estimators]
    if missing:
        raise ConfigError(f"path_methods names not in estimators: {missing}")
    lv = check_levels(level)
    h = int(check_horizon(horizon))
    x = as_return_series(returns).to_numpy(dtype=float)
    rows = []
    for (name, path_method), child in zip(
        path_methods.items(), _children(seed, len(path_methods)), strict=True
    ):
        variants = {
            "sqrt": with_horizon_method(estimators[name], "sqrt"),
            "path": with_horizon_method(estimators[name], path_method),
        }
        row: dict[str, object] = {"method": name, "path method": path_method}
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RiskkitWarning)
            params = estimators[name].fit(x)
            for label, est in variants.items():
                out = est.forecast(x, params, lv, h, np.random.default_rng(child))
                row[f"ES {label}"] = float(out[0][1])
        row["path / sqrt"] = row["ES path"] / row["ES sqrt"]
        rows.append(row)
    return pd.DataFrame(rows).set_index("method")
