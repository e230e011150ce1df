"""Rank forecasting models by their average score and find the model confidence set.

:func:`rank_models` takes per-day scores of several models on the same dates (lower is better,
e.g. :func:`~riskkit.backtest.scoring.fz0_loss` for a (VaR, ES) pair), ranks the models by their
mean score and computes the model confidence set of Hansen, Lunde and Nason (2011) with
:class:`arch.bootstrap.MCS`: the set of models that contains the best one with a given
confidence. It replaces a Diebold-Mariano test of every model against the model with the lowest
mean score, whose p-values ignore that the "best" model was picked after looking at the data.
"""

from __future__ import annotations

import math
from collections.abc import Mapping

import numpy as np
import pandas as pd
from arch.bootstrap import MCS, optimal_block_length

from riskkit._validation import check_level
from riskkit.exceptions import ConfigError, DataError

__all__ = ["rank_models", "mcs_block_size"]


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


def mcs_block_size(scores: pd.DataFrame) -> int:
    """Expected block length of the stationary bootstrap for a model confidence set.

    The Politis-White (2004) optimal expected block length (with the correction of Patton,
    Politis and White 2009, :func:`arch.bootstrap.optimal_block_length`) of each model's score
    minus the cross-model average score (the loss differentials the MCS statistics are built
    from), the largest over the models, rounded up, at least 1.

    Parameters
    ----------
    scores : pandas.DataFrame
        Per-day scores, one column per model, no missing values.

    Returns
    -------
    int
    """
    frame = scores.astype(float)
    diffs = frame.sub(frame.mean(axis=1), axis=0).to_numpy()
    diffs = diffs[:, np.ptp(diffs, axis=0) > 0]  # a constant differential has no dependence
    if diffs.shape[1] == 0:
        return 1
    opt = optimal_block_length(diffs)["stationary"].to_numpy(dtype=float)
    opt = opt[np.isfinite(opt)]
    return max(1, math.ceil(float(opt.max()))) if opt.size else 1


def rank_models(
    scores: Mapping[str, pd.Series] | pd.DataFrame,
    test_level: float = 0.95,
    *,
    reps: int = 2000,
    block_size: int | None = None,
    method: str = "R",
    seed: int | None = 0,
) -> pd.DataFrame:
    """Rank models by mean score and find the model confidence set (Hansen, Lunde and Nason).

    Parameters
    ----------
    scores : DataFrame or mapping of str to Series
        Per-day scores, lower is better (e.g. :func:`~riskkit.backtest.scoring.fz0_loss`), one
        column (or one Series) per model, all on the same dates. A mapping's Series must have
        identical indexes. The score must be consistent for what the models forecast
        (:func:`~riskkit.backtest.scoring.quantile_loss` for VaR,
        :func:`~riskkit.backtest.scoring.fz0_loss` for (VaR, ES)).
    test_level : float
        Confidence of the model confidence set, in (0, 1): the set contains the best model(s)
        with this probability, as ``test_level`` elsewhere in :mod:`riskkit.backtest` (the MCS
        eliminates models at the ``1 - test_level`` significance level; Hansen, Lunde and
        Nason report 75% and 90% sets).
    reps : int
        Bootstrap replications.
    block_size : int, optional
        Expected block length of the stationary bootstrap; default :func:`mcs_block_size`
        (Politis-White optimal length of the loss differentials).
    method : {"R", "max"}
        MCS statistic: ``"R"`` (range of pairwise t-statistics, the default of arch) or ``"max"``
        (largest t-statistic of a model against the average).
    seed : int, optional
        Seed of the bootstrap (None: fresh entropy, not reproducible).

    Returns
    -------
    pandas.DataFrame
        One row per model, in input order, index ``model``; columns

        * ``mean_score``: average score over the common sample;
        * ``rank``: 1 for the lowest mean score (ties share the lower rank);
        * ``mcs_pvalue``: the MCS p-value of the model (Hansen, Lunde and Nason 2011, sec. 3):
          the model is in the model confidence set at any confidence ``c`` with
          ``mcs_pvalue > 1 - c``; 1 for the last model left. Models with identical scores
          on every date share one p-value;
        * ``in_mcs``: the model is in arch's set (``MCS.included`` with size
          ``1 - test_level``: ``mcs_pvalue > 1 - test_level``);
        * ``observations``: number of dates in the common sample;
        * ``block_size``: the bootstrap's expected block length.

    Raises
    ------
    ConfigError
        Fewer than 2 models, repeated model names, a bad ``test_level``, ``reps`` or
        ``method``.
    DataError
        Series on different dates, non-numeric scores, fewer than 3 dates on which every model
        has a finite score.

    Notes
    -----
    Means and the MCS use only the dates on which every model has a finite score, so all models
    are compared on the same sample. The MCS is computed by :class:`arch.bootstrap.MCS` with
    the stationary bootstrap. Models outside the set are worse than the best one at the chosen
    confidence; models inside it cannot be told apart from the best with this sample, which
    is not the same as being equally good. With a strictly consistent score, a lower mean
    estimates a lower expected score, so the ranking is the one the score's expectation gives.

    References
    ----------
    Hansen, P. R., Lunde, A. and Nason, J. M. (2011), "The model confidence set", Econometrica
    79(2), 453-497.
    Politis, D. N. and White, H. (2004), "Automatic block-length selection for the dependent
    bootstrap", Econometric Reviews 23, 53-70 (corrected by Patton, Politis and White 2009).
    Patton, A. J., Ziegel, J. F. and Chen, R. (2019), "Dynamic semiparametric models for expected
    shortfall (and Value-at-Risk)", Journal of Econometrics 211, 388-413.
    """
    tl = check_level(test_level, "test_level")
    if isinstance(reps, bool) or not isinstance(reps, (int, np.integer)) or reps < 100:
        raise ConfigError(f"reps must be an integer >= 100, got {reps!r}")
    if method not in ("R", "max"):
        raise ConfigError(f"method must be 'R' or 'max', got {method!r}")
    frame = _score_frame(scores)
    common = frame[np.isfinite(frame).all(axis=1)]
    if len(common) < 3:
        raise DataError(
            f"ranking needs at least 3 dates on which every model has a finite score, "
            f"got {len(common)} of {len(frame)}"
        )
    if block_size is None:
        size = mcs_block_size(common)
    elif isinstance(block_size, bool) or not isinstance(block_size, (int, np.integer)):
        raise ConfigError(f"block_size must be a positive integer or None, got {block_size!r}")
    elif not 1 <= block_size <= len(common):
        raise ConfigError(f"block_size must be in [1, {len(common)}], got {block_size}")
    else:
        size = int(block_size)
    mean = common.mean()
    rank = mean.rank(method="min")
    values = common.to_numpy(dtype=float)
    # models with identical scores on every date cannot be told apart (their differential has
    # zero variance, which the MCS statistics divide by): test one of each, share its p-value
    first_of: list[int] = []
    for j in range(values.shape[1]):
        same = [i for i in first_of if np.array_equal(values[:, i], values[:, j])]
        first_of.append(same[0] if same else j)
    distinct = sorted(set(first_of))
    if len(distinct) == 1:
        pv = dict.fromkeys(distinct, 1.0)
        kept = set(distinct)
    else:
        # arch's MCS works on positions; the names are put back below
        mcs = MCS(
            values[:, distinct],
            size=1.0 - tl,
            reps=int(reps),
            block_size=size,
            method=method,
            bootstrap="stationary",
            seed=np.random.default_rng(seed),
        )
        mcs.compute()
        got = mcs.pvalues["Pvalue"]
        pv = {col: float(got.loc[k]) for k, col in enumerate(distinct)}
        kept = {distinct[k] for k in mcs.included}  # arch's membership (p-value > size)
    out = pd.DataFrame(
        {
            "mean_score": mean.to_numpy(dtype=float),
            "rank": rank.to_numpy(dtype=int),
            "mcs_pvalue": [pv[first_of[j]] for j in range(values.shape[1])],
            "observations": len(common),
            "block_size": size,
        },
        index=common.columns.rename("model") if common.columns.nlevels == 1 else common.columns,
    )
    out.insert(3, "in_mcs", [first_of[j] in kept for j in range(values.shape[1])])
    return out
