"""Rank forecasting models by their average score and test each against the best (Diebold-Mariano).

:func:`rank_models` takes per-day scores of several models on the same dates (lower is better,
e.g. :func:`~riskkit.backtest.scoring.fz0_loss` for a (VaR, ES) pair), ranks the models by their
mean score and runs :func:`~riskkit.backtest.scoring.diebold_mariano` of every model against the
best one.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd

from riskkit._validation import check_level
from riskkit.backtest.scoring import diebold_mariano
from riskkit.exceptions import ConfigError, DataError

__all__ = ["rank_models"]


def _score_frame(scores: Mapping[str, pd.Series] | pd.DataFrame) -> pd.DataFrame:
    if isinstance(scores, pd.DataFrame):
        frame = scores
    elif isinstance(scores, Mapping):
        series = {
            name: s if isinstance(s, pd.Series) else pd.Series(np.asarray(s, dtype=float))
            for name, s in scores.items()
        }
        if series:
            first_name, first = next(iter(series.items()))
            misaligned = [name for name, s in series.items() if not s.index.equals(first.index)]
            if misaligned:
                raise DataError(
                    f"scores of models {misaligned} are not on the same dates (index) as the "
                    f"scores of {first_name!r} ({len(first)} rows); align them first, "
                    "e.g. with pandas.concat(..., axis=1, join='inner')"
                )
        frame = pd.DataFrame(series)
    else:
        raise ConfigError(
            "scores must be a DataFrame (one column per model) or a mapping {model: Series}, "
            f"got {type(scores).__name__}"
        )
    if frame.shape[1] < 2:
        raise ConfigError(
            f"ranking needs scores of at least 2 models, got {frame.shape[1]}: "
            f"{list(frame.columns)}"
        )
    if frame.columns.has_duplicates:
        dupes = list(frame.columns[frame.columns.duplicated()].unique())
        raise ConfigError(f"model names must be unique, repeated: {dupes}")
    try:
        return frame.astype(float)
    except (TypeError, ValueError) as exc:
        raise DataError(f"scores must be numeric: {exc}") from None


def rank_models(
    scores: Mapping[str, pd.Series] | pd.DataFrame,
    test_level: float = 0.95,
    max_lags: int | None = None,
) -> pd.DataFrame:
    """Rank models by mean score and test each one against the best with Diebold-Mariano.

    Parameters
    ----------
    scores : DataFrame or mapping of str to Series
        Per-day scores, lower is better (e.g. :func:`~riskkit.backtest.scoring.fz0_loss`), one
        column (or one Series) per model, all on the same dates. A mapping's Series must have
        identical indexes.
    test_level : float
        Confidence level of the Diebold-Mariano test in (0, 1), as elsewhere in
        :mod:`riskkit.backtest`: 0.95 rejects equal accuracy at the 5% significance level.
    max_lags : int, optional
        Newey-West truncation lag passed to :func:`~riskkit.backtest.scoring.diebold_mariano`
        (default ``floor(4 (T/100)^(2/9))``). Use at least h-1 for h-day overlapping forecasts.

    Returns
    -------
    pandas.DataFrame
        One row per model, in input order, index ``model``; columns

        * ``mean_score``: average score over the common sample;
        * ``rank``: 1 for the lowest mean score (ties share the lower rank);
        * ``dm_statistic``, ``dm_pvalue``, ``dm_reject``: Diebold-Mariano test of the model's
          scores minus the best model's (positive statistic: the model scores worse); NaN
          statistic and p-value (and ``dm_reject`` False) for the best model itself;
        * ``best``: name of the best model (lowest mean score, first one on a tie);
        * ``observations``: number of dates in the common sample.

    Raises
    ------
    ConfigError
        Fewer than 2 models, repeated model names, a bad ``test_level``.
    DataError
        Series on different dates, non-numeric scores, fewer than 3 dates on which every model
        has a finite score.

    Notes
    -----
    Means and tests use only the dates on which every model has a finite score, so all models
    are compared on the same sample. The Diebold-Mariano statistic is the t-ratio of the mean
    score difference with a Newey-West (HAC) standard error, compared with N(0, 1), two-sided.
    A model whose scores equal the best model's on every date has a zero difference with zero
    variance: the t-ratio 0/0 is undefined and :func:`~riskkit.backtest.scoring.diebold_mariano`
    returns NaN statistic and p-value (not a rejection). The ranking uses the FZ0 loss's
    property of being strictly consistent for (VaR, ES): its expectation is smallest for the
    true pair, so a lower mean ranks a model higher.

    References
    ----------
    Diebold, F. X. and Mariano, R. S. (1995), "Comparing predictive accuracy", Journal of
    Business and Economic Statistics 13, 253-263.
    Patton, A. J., Ziegel, J. F. and Chen, R. (2019), "Dynamic semiparametric models for expected
    shortfall (and Value-at-Risk)", Journal of Econometrics 211, 388-413.
    """
    tl = check_level(test_level, "test_level")
    frame = _score_frame(scores)
    common = frame[np.isfinite(frame).all(axis=1)]
    if len(common) < 3:
        raise DataError(
            f"ranking needs at least 3 dates on which every model has a finite score, "
            f"got {len(common)} of {len(frame)}"
        )
    mean = common.mean()
    rank = mean.rank(method="min")
    best = mean.idxmin()
    rows = []
    for name in common.columns:
        if name == best:
            stat, pvalue, reject = np.nan, np.nan, False
        else:
            dm = diebold_mariano(common[name], common[best], max_lags=max_lags, test_level=tl)
            stat, pvalue, reject = dm.statistic, dm.pvalue, dm.reject
        rows.append(
            {
                "mean_score": float(mean[name]),
                "rank": int(rank[name]),
                "dm_statistic": stat,
                "dm_pvalue": pvalue,
                "dm_reject": reject,
                "best": best,
                "observations": len(common),
            }
        )
    index = common.columns.rename("model") if common.columns.nlevels == 1 else common.columns
    return pd.DataFrame(rows, index=index)
