"""One table per backtest: counts, traffic light and every VaR/ES test, for models and levels."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd

from riskkit._validation import check_horizon, check_level
from riskkit.backtest import es_tests, var_tests
from riskkit.backtest.var_tests import TestResult, TrafficLight
from riskkit.exceptions import ConfigError, DataError

__all__ = ["VarBacktest", "var_backtest", "backtest_summary", "forecast_levels", "table_horizon"]

_VAR_COL = re.compile(r"^var_(.+)$")


def forecast_levels(forecasts: pd.DataFrame) -> list[float]:
    """Confidence levels present in a :func:`rolling_forecast` table (from its ``var_*`` columns)."""
    out = []
    for col in forecasts.columns:
        m = _VAR_COL.match(str(col))
        if m:
            out.append(float(m.group(1)))
    if not out:
        raise DataError(
            f"no var_<level> columns in forecast table; columns: {list(forecasts.columns)}"
        )
    return out


def table_horizon(forecasts: pd.DataFrame, horizon: int | None = None, name: str = "") -> int:
    """Loss horizon (days) of a forecast table: ``horizon`` if given, else its ``horizon`` column.

    Parameters
    ----------
    forecasts : pandas.DataFrame
        A :func:`~riskkit.backtest.rolling_forecast` table, whose ``horizon`` column holds the
        horizon of every row.
    horizon : int, optional
        The horizon, for a table without a ``horizon`` column (overrides the column).
    name : str
        Name of the table, for error messages.

    Returns
    -------
    int

    Raises
    ------
    DataError
        If the table has no ``horizon`` column and ``horizon`` is not given, or the column holds
        several values or none.
    ConfigError
        If ``horizon`` is not a positive integer.
    """
    label = f"forecast table {name!r}" if name else "forecast table"
    if horizon is not None:
        return int(check_horizon(horizon))
    if "horizon" not in forecasts.columns:
        raise DataError(
            f"{label} has no 'horizon' column (rolling_forecast writes one); pass horizon= "
            "with the loss horizon in days of its forecasts"
        )
    values = pd.unique(forecasts["horizon"].dropna())
    if len(values) != 1:
        raise DataError(f"{label}: the 'horizon' column must hold one value, got {list(values)}")
    return int(check_horizon(int(values[0])))


@dataclass(frozen=True)
class VarBacktest:
    """All VaR tests on one loss/VaR pair (see :func:`var_backtest`).

    Attributes
    ----------
    level : float
        VaR confidence level.
    observations : int
        Days with both a loss and a VaR forecast.
    failures : int
        Days with loss > VaR.
    expected : float
        ``observations * (1 - level)``.
    ratio : float
        ``failures / expected``.
    first_failure : int or float
        1-based day of the first failure; NaN if none.
    traffic_light : TrafficLight
        Basel zone of the failure count.
    tests : tuple of TestResult
        bin, pof, tuff and, with at least 2 observations, cci, cc, tbfi, tbf and duration.
    """

    level: float
    observations: int
    failures: int
    expected: float
    ratio: float
    first_failure: int | float
    traffic_light: TrafficLight
    tests: tuple[TestResult, ...]

    def test(self, name: str) -> TestResult:
        """The result of test ``name`` ('pof', 'cc', 'duration', ...)."""
        for res in self.tests:
            if res.test == name:
                return res
        raise KeyError(f"no test {name!r}; tests: {[r.test for r in self.tests]}")

    def to_series(self) -> pd.Series:
        """One flat row: counts, ``traffic_light`` (zone), ``plus_factor``, and for every test
        ``<name>_stat``, ``<name>_pvalue`` and ``<name>`` ('accept'/'reject')."""
        return pd.Series(self._row(), dtype=object)

    def _row(self) -> dict:
        row: dict = {
            "observations": self.observations,
            "failures": self.failures,
            "expected": self.expected,
            "ratio": self.ratio,
            "first_failure": self.first_failure,
            "traffic_light": self.traffic_light.zone,
            "plus_factor": self.traffic_light.plus_factor,
        }
        for res in self.tests:
            row.update(_test_columns(res))
        return row

    def __getitem__(self, key: str):
        # read access by column name, as for the dict riskkit returned before this class
        return self._row()[key]


def _test_columns(res: TestResult, method: bool = False) -> dict:
    out = {
        f"{res.test}_stat": res.statistic,
        f"{res.test}_pvalue": res.pvalue,
        res.test: res.result,
    }
    if method:
        out[f"{res.test}_method"] = res.pvalue_method
    return out


def var_backtest(
    losses,
    var,
    level: float,
    test_level: float = 0.95,
    duration_convention: str = "rugarch",
) -> VarBacktest:
    """All VaR tests on one loss/VaR pair (MATLAB ``varbacktest`` ``runtests`` plus extras).

    Parameters
    ----------
    losses, var : array-like
        Realised losses and VaR forecasts (positive), aligned; NaN rows dropped.
    level : float
        VaR confidence level.
    test_level : float
        Confidence level of the tests.
    duration_convention : {"rugarch", "sample_start"}
        First-duration convention of :func:`~riskkit.backtest.var_tests.duration_test`.

    Returns
    -------
    VarBacktest
        Counts, traffic light and the :class:`TestResult` of bin, pof, tuff, cci, cc, tbfi, tbf
        and duration; :meth:`VarBacktest.to_series` gives the flat row of
        :func:`backtest_summary`.
    """
    lv = check_level(level)
    hits = var_tests.failures(losses, var)
    n, x = len(hits), int(hits.sum())
    if n == 0:
        raise DataError("no observations with both a loss and a VaR forecast")
    results: list[TestResult] = [
        var_tests.binomial_test(x, n, lv, test_level),
        var_tests.kupiec_pof(x, n, lv, test_level),
        var_tests.tuff_test(hits, lv, test_level),
    ]
    if n >= 2:
        results += [
            var_tests.christoffersen_independence(hits, test_level),
            var_tests.christoffersen_cc(hits, lv, test_level),
            *var_tests.haas_tbf(hits, lv, test_level),
            var_tests.duration_test(hits, test_level, convention=duration_convention),
        ]
    return VarBacktest(
        level=lv,
        observations=n,
        failures=x,
        expected=n * (1 - lv),
        ratio=x / (n * (1 - lv)),
        first_failure=int(np.argmax(hits)) + 1 if x else np.nan,
        traffic_light=var_tests.traffic_light(x, n, lv),
        tests=tuple(results),
    )


def backtest_summary(
    forecasts: pd.DataFrame | Mapping[str, pd.DataFrame],
    levels=None,
    test_level: float = 0.95,
    non_overlapping: bool = True,
    es: bool = True,
    es_dist: str | None = None,
    es_dof: float | None = None,
    seed: int = 0,
    *,
    horizon: int | None = None,
    es_pvalue: str = "bootstrap",
    duration_convention: str = "rugarch",
) -> pd.DataFrame:
    """Backtest table per model and level from :func:`rolling_forecast` output.

    Parameters
    ----------
    forecasts : DataFrame or mapping of name -> DataFrame
        Rolling forecast tables (columns ``var_*``, ``es_*``, ``loss``, ``volatility`` and
        ``horizon``).
    levels : sequence of float, optional
        Levels to test (default: every level in each table).
    test_level : float
        Confidence level of every test (0.95: reject at 5% significance).
    non_overlapping : bool
        For horizons h > 1, use every h-th forecast so that the trials are independent under
        the null (overlapping h-day losses make exceedances autocorrelated, which would inflate
        the size of every test).
    es : bool
        Add the ES tests that need only VaR/ES forecasts: Acerbi-Szekely unconditional
        (normal-tabulated) and McNeil-Frey (standardised by ``volatility`` when available).
    es_dist : {'normal', 't'}, optional
        If given, also run the simulation-based Acerbi-Szekely Z1 and Z2 tests with this
        forecast distribution (scale = ``volatility`` column, zero mean; ``es_dof`` for 't');
        skipped for a table without a complete ``volatility`` column (e.g. historical simulation).
    seed : int
        Seed of the bootstrap/simulation tests.
    horizon : int, optional
        Loss horizon in days of every table, for tables without the ``horizon`` column that
        :func:`rolling_forecast` writes; default: read that column (a table without it is an
        error, never silently 1 day).
    es_pvalue : {'bootstrap', 'normal'}
        p-value of the McNeil-Frey test (see :func:`~riskkit.backtest.es_tests.mcneil_frey_test`):
        bootstrap of the t-statistic (default) or its normal approximation (rugarch's
        ``ESTest``).
    duration_convention : {"rugarch", "sample_start"}
        First-duration convention of :func:`~riskkit.backtest.var_tests.duration_test`.

    Returns
    -------
    pandas.DataFrame
        MultiIndex (model, level); columns as in :meth:`VarBacktest.to_series`, then
        ``test_level``, then per ES test (``unconditional_normal``, ``mcneil_frey``, ``z1``,
        ``z2``) ``_stat``, ``_pvalue``, the result and ``_method``, the way its p-value was
        obtained (``"simulation"``, ``"bootstrap"`` or ``"normal"``). The VaR tests' p-values
        are chi-squared, except ``bin`` (normal).
    """
    tables = {"model": forecasts} if isinstance(forecasts, pd.DataFrame) else dict(forecasts)
    if not tables:
        raise ConfigError("no forecast tables given")
    rows, keys = [], []
    tl = check_level(test_level, "test_level")
    for name, fc in tables.items():
        if "loss" not in fc.columns:
            raise DataError(f"forecast table {name!r} has no 'loss' column")
        h = table_horizon(fc, horizon, name)
        if non_overlapping and h > 1:
            fc = fc.iloc[::h]
        for lv in forecast_levels(fc) if levels is None else [check_level(x) for x in levels]:
            vcol, ecol = f"var_{lv:g}", f"es_{lv:g}"
            if vcol not in fc.columns:
                raise DataError(f"forecast table {name!r} has no column {vcol}")
            row = var_backtest(fc["loss"], fc[vcol], lv, tl, duration_convention)._row()
            row["test_level"] = tl
            if es and ecol in fc.columns:
                ok = fc[["loss", vcol, ecol]].notna().all(axis=1)
                sub = fc.loc[ok]
                tests = [
                    es_tests.unconditional_es_test(
                        sub["loss"], sub[vcol], sub[ecol], lv, "normal", test_level=tl
                    )
                ]
                vol = sub["volatility"] if "volatility" in sub else None
                if vol is not None and not vol.notna().all():
                    vol = None
                tests.append(
                    es_tests.mcneil_frey_test(
                        sub["loss"], sub[vcol], sub[ecol], vol, seed=seed, test_level=tl,
                        pvalue_method=es_pvalue,
                    )
                )  # fmt: skip
                if es_dist is not None and vol is not None:
                    for stat in ("z1", "z2"):
                        tests.append(
                            es_tests.acerbi_szekely_test(
                                sub["loss"], sub[vcol], sub[ecol], lv, stat, es_dist,
                                scale=vol, dof=es_dof, seed=seed, test_level=tl,
                            )
                        )  # fmt: skip
                for res in tests:
                    row.update(_test_columns(res, method=True))
            rows.append(row)
            keys.append((name, lv))
    return pd.DataFrame(rows, index=pd.MultiIndex.from_tuples(keys, names=["model", "level"]))
