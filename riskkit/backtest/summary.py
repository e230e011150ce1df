"""One table per backtest: counts, traffic light and every VaR/ES test, for models and levels."""

from __future__ import annotations

import re
from collections.abc import Mapping

import numpy as np
import pandas as pd

from riskkit._validation import check_level
from riskkit.backtest import es_tests, var_tests
from riskkit.backtest.var_tests import TestResult
from riskkit.exceptions import ConfigError, DataError

__all__ = ["var_backtest", "backtest_summary", "forecast_levels"]

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


def var_backtest(losses, var, level: float, test_level: float = 0.95) -> dict:
    """All VaR tests on one loss/VaR pair (MATLAB ``varbacktest`` ``runtests`` plus extras).

    Parameters
    ----------
    losses, var : array-like
        Realised losses and VaR forecasts (positive), aligned; NaN rows dropped.
    level : float
        VaR confidence level.
    test_level : float
        Confidence level of the tests.

    Returns
    -------
    dict
        ``observations``, ``failures``, ``expected``, ``ratio``, ``first_failure`` (1-based day,
        NaN if none), ``traffic_light``, ``plus_factor``, and for every test ``<name>_stat``,
        ``<name>_pvalue``, ``<name>`` ('accept'/'reject') for bin, pof, tuff, cci, cc, tbfi, tbf
        and duration.
    """
    lv = check_level(level)
    hits = var_tests.failures(losses, var)
    n, x = len(hits), int(hits.sum())
    if n == 0:
        raise DataError("no observations with both a loss and a VaR forecast")
    tl = var_tests.traffic_light(x, n, lv)
    row: dict = {
        "observations": n,
        "failures": x,
        "expected": n * (1 - lv),
        "ratio": x / (n * (1 - lv)),
        "first_failure": int(np.argmax(hits)) + 1 if x else np.nan,
        "traffic_light": tl["zone"],
        "plus_factor": tl["plus_factor"],
    }
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
            var_tests.duration_test(hits, test_level),
        ]
    for res in results:
        row[f"{res.test}_stat"] = res.statistic
        row[f"{res.test}_pvalue"] = res.pvalue
        row[res.test] = res.result
    return row


def backtest_summary(
    forecasts: pd.DataFrame | Mapping[str, pd.DataFrame],
    levels=None,
    test_level: float = 0.95,
    non_overlapping: bool = True,
    es: bool = True,
    es_dist: str | None = None,
    es_dof: float | None = None,
    seed: int = 0,
) -> pd.DataFrame:
    """Backtest table per model and level from :func:`rolling_forecast` output.

    Parameters
    ----------
    forecasts : DataFrame or mapping of name -> DataFrame
        Rolling forecast tables (columns ``var_*``, ``es_*``, ``loss``, ``volatility``).
    levels : sequence of float, optional
        Levels to test (default: every level in each table).
    test_level : float
        Confidence level of every test (0.95: reject at 5% significance).
    non_overlapping : bool
        For horizons h > 1 (``attrs['horizon']``), use every h-th forecast so that the trials
        are independent under the null (overlapping h-day losses make exceedances
        autocorrelated, which would inflate the size of every test).
    es : bool
        Add the ES tests that need only VaR/ES forecasts: Acerbi-Szekely unconditional
        (normal-tabulated) and McNeil-Frey (standardised by ``volatility`` when available).
    es_dist : {'normal', 't'}, optional
        If given, also run the simulation-based Acerbi-Szekely Z1 and Z2 tests with this
        forecast distribution (scale = ``volatility`` column, zero mean; ``es_dof`` for 't');
        skipped for a table without a complete ``volatility`` column (e.g. historical simulation).
    seed : int
        Seed of the bootstrap/simulation tests.

    Returns
    -------
    pandas.DataFrame
        MultiIndex (model, level); columns as in :func:`var_backtest` plus ES test columns
        (``unconditional_normal``, ``mcneil_frey``, ``z1``, ``z2``) as ``_stat``/``_pvalue``/result.
    """
    tables = {"model": forecasts} if isinstance(forecasts, pd.DataFrame) else dict(forecasts)
    if not tables:
        raise ConfigError("no forecast tables given")
    rows, keys = [], []
    for name, fc in tables.items():
        if "loss" not in fc.columns:
            raise DataError(f"forecast table {name!r} has no 'loss' column")
        h = int(fc.attrs.get("horizon", 1))
        if non_overlapping and h > 1:
            fc = fc.iloc[::h]
        for lv in forecast_levels(fc) if levels is None else [check_level(x) for x in levels]:
            vcol, ecol = f"var_{lv:g}", f"es_{lv:g}"
            if vcol not in fc.columns:
                raise DataError(f"forecast table {name!r} has no column {vcol}")
            row = var_backtest(fc["loss"], fc[vcol], lv, test_level)
            if es and ecol in fc.columns:
                ok = fc[["loss", vcol, ecol]].notna().all(axis=1)
                sub = fc.loc[ok]
                tests = [
                    es_tests.unconditional_es_test(
                        sub["loss"], sub[vcol], sub[ecol], lv, "normal", test_level=test_level
                    )
                ]
                vol = sub["volatility"] if "volatility" in sub else None
                if vol is not None and not vol.notna().all():
                    vol = None
                tests.append(
                    es_tests.mcneil_frey_test(
                        sub["loss"], sub[vcol], sub[ecol], vol, seed=seed, test_level=test_level
                    )
                )
                if es_dist is not None and vol is not None:
                    for stat in ("z1", "z2"):
                        tests.append(
                            es_tests.acerbi_szekely_test(
                                sub["loss"], sub[vcol], sub[ecol], lv, stat, es_dist,
                                scale=vol, dof=es_dof, seed=seed, test_level=test_level,
                            )
                        )  # fmt: skip
                for res in tests:
                    row[f"{res.test}_stat"] = res.statistic
                    row[f"{res.test}_pvalue"] = res.pvalue
                    row[res.test] = res.result
            rows.append(row)
            keys.append((name, lv))
    out = pd.DataFrame(rows, index=pd.MultiIndex.from_tuples(keys, names=["model", "level"]))
    out.attrs["test_level"] = test_level
    return out
