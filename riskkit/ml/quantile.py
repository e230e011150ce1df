"""Machine-learning VaR/ES estimators: quantile regression forest, gradient-boosted and linear
quantile regression, on features known before the forecast date.

Each model is a :class:`riskkit.risk.base.RiskEstimator`, so the rolling engine
(:func:`riskkit.backtest.rolling_forecast`), the backtests and the margin calibration
(:func:`riskkit.margin.calibrate_asset`) use it unchanged:

* :meth:`QuantileModel.fit` fits the GARCH filter of the ``garch_vol`` feature on the window
  (warm-started) and keeps the window; the quantile learner is trained on that window the first
  time :meth:`~QuantileModel.forecast` asks for a (levels, horizon) pair, then reused until the
  next refit (the rolling engine refits every ``refit_every`` dates).
* :meth:`QuantileModel.forecast` builds the feature row of the next period from the current
  window (:func:`riskkit.ml.features.window_features`: data before the forecast date only) and
  predicts the quantiles of the loss over the next ``horizon`` periods **directly** (the
  learner is trained on ``h``-period losses, ``horizon_method = "direct"``).

**ES from quantiles.** A quantile model forecasts quantiles, not tail means. With
``q(u)`` the loss quantile at level ``u`` and ``K`` tail points,

.. math::

    \\mathrm{ES}_\\alpha = \\frac{1}{1-\\alpha}\\int_\\alpha^1 q(u)\\,du
    \\approx \\frac{1}{K}\\sum_{k=1}^{K} q\\!\\left(\\alpha + (1-\\alpha)\\frac{k - 1/2}{K}\\right)

(the midpoint rule; Acerbi and Tasche 2002 for the integral). The rule leaves out the part of
the integral closest to ``u = 1``, so it understates ES, the more so the heavier the tail: at
99% with ``K = 5`` by 0.7% for a normal loss and 3.7% for Student-t(4) (1.3% with ``K = 20``);
``tests/test_ml_quantile.py`` checks the rule against these closed forms. Quantiles predicted at several levels are sorted per forecast (the
rearrangement of Chernozhukov, Fernandez-Val and Galichon 2010) so that they never cross, and
ES >= VaR.

**Exogenous data.** The protocol hands an estimator a numpy window of returns only. A model
bound to dated bar data (:meth:`QuantileModel.bind`) finds the window's position in the bound
series by its contents (the absolute returns, so that the short-side window ``-r`` of a margin
calibration is found too; the whole window is compared, and a window that is not in the series
or is found twice raises :class:`~riskkit.exceptions.DataError`), and takes the exogenous rows
before the forecast date.

References
----------
Meinshausen, N. (2006), "Quantile regression forests", JMLR 7, 983-999.
Koenker, R. and Bassett, G. (1978), "Regression quantiles", Econometrica 46, 33-50.
Acerbi, C. and Tasche, D. (2002), "On the coherence of expected shortfall", Journal of Banking
and Finance 26, 1487-1503.
Chernozhukov, V., Fernandez-Val, I. and Galichon, A. (2010), "Quantile and probability curves
without crossing", Econometrica 78(3), 1093-1125.
Buse, R., Gorgen, K. and Schienle, M. (2024), "Predicting value at risk for cryptocurrencies
with generalized random forests", International Journal of Forecasting.
"""

from __future__ import annotations

import copy
import math
import warnings
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
import pandas as pd

from riskkit.exceptions import ConfigError, DataError, ModelError, RiskkitWarning
from riskkit.ml.features import FeatureSpec, bar_features, targets, window_features
from riskkit.risk._common import check_call, check_window
from riskkit.risk.base import RiskEstimator

__all__ = [
    "QuantileModel",
    "QuantileForest",
    "GradientBoostedQuantiles",
    "LinearQuantileRegression",
    "tail_levels",
    "es_from_quantiles",
    "MLParams",
]


def tail_levels(level: float, points: int) -> np.ndarray:
    """Midpoints ``alpha + (1 - alpha)(k - 1/2)/K``, ``k = 1..K``, of the tail beyond ``level``."""
    k = np.arange(1, points + 1)
    return level + (1.0 - level) * (k - 0.5) / points


def es_from_quantiles(quantiles: np.ndarray) -> np.ndarray:
    """ES as the mean of the tail quantiles at :func:`tail_levels` (last axis)."""
    return np.mean(np.asarray(quantiles, dtype=float), axis=-1)


@dataclass
class MLParams:
    """What :meth:`QuantileModel.fit` returns: the training window and the fitted parts.

    Attributes
    ----------
    returns : numpy.ndarray
        The window the learner is trained on.
    exog : numpy.ndarray or None
        Its exogenous rows (bound models).
    garch : GarchParams or None
        GARCH filter fitted on the window (``garch_vol`` feature, ``scale="garch"``).
    learners : dict
        Fitted learners per ``(levels, horizon)``, trained on first use.
    """

    returns: np.ndarray
    exog: np.ndarray | None
    garch: Any
    learners: dict = field(default_factory=dict)


class _Binding:
    """Exogenous bar data aligned with a return series, found by the contents of a window."""

    KEY = 8  # returns in the lookup key

    def __init__(self, returns: pd.Series, exog: pd.DataFrame) -> None:
        self.abs = np.abs(returns.to_numpy(dtype=float))
        self.exog = exog.reindex(returns.index).to_numpy(dtype=float)
        self.columns = tuple(str(c) for c in exog.columns)
        self._index: dict[bytes, list[int]] | None = None

    def __getstate__(self) -> dict:
        state = dict(self.__dict__)
        state["_index"] = None  # rebuilt where used
        return state

    def locate(self, window: np.ndarray) -> int:
        """End position (exclusive) of ``window`` in the bound series."""
        a = np.abs(np.asarray(window, dtype=float))
        n, m = a.shape[0], min(self.KEY, a.shape[0])
        if self._index is None:
            self._index = {}
            for i in range(m, self.abs.shape[0] + 1):
                self._index.setdefault(self.abs[i - m : i].tobytes(), []).append(i)
        hits = [
            i
            for i in self._index.get(a[n - m :].tobytes(), [])
            if i >= n and np.array_equal(self.abs[i - n : i], a)
        ]
        if len(hits) != 1:
            raise DataError(
                f"the window of {n} returns is {'not' if not hits else 'more than once'} in the "
                "series the model's exogenous data were bound to: bind the model to the same "
                "returns the rolling engine receives (QuantileModel.bind / bind_ohlcv)"
            )
        return hits[0]

    def rows(self, window: np.ndarray) -> np.ndarray:
        end = self.locate(window)
        return self.exog[end - len(window) : end]


class QuantileModel(RiskEstimator):
    """Base class of the quantile-regression VaR/ES estimators.

    Parameters
    ----------
    features : FeatureSpec, optional
        Features used (default: every return feature, and the bound exogenous columns).
    tail_points : int
        Tail quantiles averaged into ES (``K`` in the module formula).
    scale : {"none", "garch"}
        ``"none"``: learn the loss itself. ``"garch"``: learn the loss divided by the GARCH
        volatility forecast (``sqrt(h) sigma``) and multiply the predicted quantiles back: the
        learner then models the distribution of standardised losses given the features, and
        its forecasts scale with the volatility (a tree cannot extrapolate beyond the losses it
        saw; this lets it).
    garch : GarchSpec, optional
        GARCH filter of the ``garch_vol`` feature and of ``scale="garch"`` (default
        GJR(1,1,1) with Student-t innovations, zero mean, estimated by
        :class:`riskkit.risk.FastGarch`).
    random_state : int
        Seed of the learner (fixed: same settings, same forecasts).
    min_train : int
        Fewest training rows (after the feature look-back and the horizon).
    min_sd_fraction : float
        Lower bound of every predicted quantile, as a fraction of ``sqrt(h)`` x the standard
        deviation of the window's returns. A 99% loss quantile near or below zero is not a
        forecast but a failure (a linear quantile regression extrapolating): it is raised to
        the bound, with a :class:`~riskkit.exceptions.RiskkitWarning` (the rolling engine
        reports how many dates). Default 0.1.
    """

    horizon_method: Literal["direct"] = "direct"

    def __init__(
        self,
        features: FeatureSpec | None = None,
        tail_points: int = 5,
        scale: Literal["none", "garch"] = "none",
        garch: Any = None,
        random_state: int = 0,
        min_train: int = 100,
        min_sd_fraction: float = 0.1,
    ) -> None:
        from riskkit.risk import FastGarch
        from riskkit.volatility import GarchSpec

        self.features = features if features is not None else FeatureSpec()
        if not isinstance(self.features, FeatureSpec):
            raise ConfigError(f"features must be a FeatureSpec, got {type(features).__name__}")
        if isinstance(tail_points, bool) or not isinstance(tail_points, int) or tail_points < 1:
            raise ConfigError(f"tail_points must be a positive integer, got {tail_points!r}")
        if scale not in ("none", "garch"):
            raise ConfigError(f"scale must be 'none' or 'garch', got {scale!r}")
        if int(min_train) < 20:
            raise ConfigError(f"min_train must be >= 20, got {min_train!r}")
        self.tail_points = tail_points
        self.scale = scale
        self.random_state = int(random_state)
        self.min_train = int(min_train)
        if not 0 <= min_sd_fraction < 1:
            raise ConfigError(f"min_sd_fraction must be in [0, 1), got {min_sd_fraction!r}")
        self.min_sd_fraction = float(min_sd_fraction)
        spec = garch if garch is not None else GarchSpec("GJR", dist="t")
        self._garch = FastGarch(spec) if self._uses_garch else None
        self.garch = spec if self._uses_garch else None
        self._binding: _Binding | None = None
        self.min_obs = self.features.lookback + self.min_train + 1

    # ---------------------------------------------------------------- binding

    @property
    def _uses_garch(self) -> bool:
        return "garch_vol" in self.features.returns or self.scale == "garch"

    @property
    def exogenous_columns(self) -> tuple[str, ...]:
        """Names of the bound exogenous columns (empty when unbound)."""
        return () if self._binding is None else self._binding.columns

    def bind(self, returns: pd.Series, exog: pd.DataFrame) -> QuantileModel:
        """A copy of this model that adds the columns of ``exog`` (lagged one bar) to its features.

        Parameters
        ----------
        returns : pandas.Series
            The return series the rolling engine will receive (or its negative: windows are
            found by their absolute values).
        exog : pandas.DataFrame
            Per-bar data known at each bar's close, indexed like (a superset of) ``returns``.
        """
        if not isinstance(returns, pd.Series) or not isinstance(exog, pd.DataFrame):
            raise DataError("bind needs the returns as a Series and exog as a DataFrame")
        out = copy.copy(self)
        out._binding = _Binding(returns, exog)
        return out

    def bind_ohlcv(self, ohlcv: pd.DataFrame, **extra: Any) -> QuantileModel:
        """Bind to :func:`riskkit.ml.features.bar_features` of ``ohlcv`` (``extra``: funding,
        basis, realized_vol), on the log returns :func:`riskkit.margin.calibrate_asset` uses."""
        from riskkit.bars import infer_interval
        from riskkit.margin._common import log_returns_from_ohlcv

        step = infer_interval(ohlcv.index) if isinstance(ohlcv.index, pd.DatetimeIndex) else None
        r = log_returns_from_ohlcv(ohlcv, freq=step or "1D")
        return self.bind(r, bar_features(ohlcv, **extra))

    # ---------------------------------------------------------------- protocol

    def fit(self, returns: np.ndarray, warm_start: Any | None = None) -> MLParams:
        """Keep the window (the learner is trained on it on first use) and fit the GARCH filter."""
        r = check_window(returns, self.min_obs, type(self).__name__)
        exog = self._binding.rows(r) if self._binding is not None else None
        garch = None
        if self._garch is not None:
            ws = warm_start.garch if isinstance(warm_start, MLParams) else None
            garch = self._garch.fit(r, warm_start=ws)
        return MLParams(returns=r.copy(), exog=exog, garch=garch)

    def _design(
        self, r: np.ndarray, exog: np.ndarray | None, params: MLParams, h: int
    ) -> tuple[np.ndarray, np.ndarray]:
        """(feature rows 0..n, scale of each row's h-period loss)."""
        sigma = None
        if params.garch is not None:
            from riskkit.volatility.recursion import filter_variance

            sigma = np.sqrt(filter_variance(params.garch, r))
        x = window_features(r, self.features, sigma, exog)
        if self.scale == "garch":
            scale = math.sqrt(h) * sigma
        else:
            scale = np.ones(r.shape[0] + 1)
        return x, scale

    def _learner(self, params: MLParams, qs: np.ndarray, h: int) -> Any:
        key = (tuple(np.round(qs, 12)), h)
        if key not in params.learners:
            r = params.returns
            x, scale = self._design(r, params.exog, params, h)
            y = targets(r, h) / scale
            ok = np.isfinite(y) & np.isfinite(x).all(axis=1)
            if ok.sum() < self.min_train:
                raise ModelError(
                    f"{type(self).__name__}: {int(ok.sum())} complete training rows in a window "
                    f"of {r.shape[0]} (horizon {h}); needs min_train={self.min_train}: use a "
                    "longer window or fewer exogenous columns with missing values"
                )
            params.learners[key] = self._fit_learner(x[ok], y[ok], qs)
        return params.learners[key]

    def forecast(
        self,
        returns: np.ndarray,
        params: MLParams,
        levels: Sequence[float] = (0.99,),
        horizon: int = 1,
        rng: np.random.Generator | None = None,
    ) -> np.ndarray:
        """VaR and ES of the loss over the next ``horizon`` periods (positive, fractions).

        The quantiles at every level and its :func:`tail_levels` are predicted for the feature
        row of the next period, sorted (no crossing), and ES is their tail mean.
        """
        lv, h = check_call(levels, horizon)
        r = check_window(returns, self.min_obs, type(self).__name__)
        grids = [np.concatenate(([a], tail_levels(a, self.tail_points))) for a in lv]
        qs = np.unique(np.concatenate(grids))
        learner = self._learner(params, qs, h)
        exog = self._binding.rows(r) if self._binding is not None else None
        x, scale = self._design(r, exog, params, h)
        row = x[-1:]
        if not np.isfinite(row).all():
            bad = [n for n, v in zip(self._names(), row[0], strict=False) if not np.isfinite(v)]
            raise DataError(
                f"{type(self).__name__}: feature(s) {bad} missing for the next period (the "
                "exogenous data have a gap before the forecast date)"
            )
        pred = np.sort(np.asarray(self._predict(learner, row, qs), dtype=float).ravel())
        pred = pred * scale[-1]
        floor = self.min_sd_fraction * math.sqrt(h) * float(np.std(r))
        if pred[0] < floor:
            warnings.warn(
                f"{type(self).__name__}: a predicted loss quantile below {self.min_sd_fraction:g} "
                "standard deviation of the window (extrapolation failure) was raised to it",
                RiskkitWarning,
                stacklevel=2,
            )
            pred = np.maximum(pred, floor)
        out = np.empty((len(lv), 2))
        for i, grid in enumerate(grids):
            q = np.interp(grid, qs, pred)
            out[i] = [q[0], max(q[0], float(es_from_quantiles(q[1:])))]
        return out

    def forecast_volatility(self, returns: np.ndarray, params: MLParams, horizon: int = 1) -> float:
        """``sqrt(h)`` x the GARCH volatility forecast when the model has a GARCH filter."""
        if params.garch is None:
            return float("nan")
        from riskkit.volatility.recursion import filter_variance

        return math.sqrt(horizon * float(filter_variance(params.garch, returns)[-1]))

    def _names(self) -> list[str]:
        return [*self.features.returns, *self.exogenous_columns]

    # ---------------------------------------------------------------- learners

    def _fit_learner(self, x: np.ndarray, y: np.ndarray, qs: np.ndarray) -> Any:
        raise NotImplementedError

    def _predict(self, learner: Any, x: np.ndarray, qs: np.ndarray) -> np.ndarray:
        raise NotImplementedError

    def __repr__(self) -> str:
        keys = ("tail_points", "scale", "random_state", *self._own)
        settings = ", ".join(f"{k}={getattr(self, k)!r}" for k in keys)
        ex = f", exog={list(self.exogenous_columns)}" if self._binding is not None else ""
        return f"{type(self).__name__}({settings}{ex})"

    _own: tuple[str, ...] = ()


class QuantileForest(QuantileModel):
    """Quantile regression forest (Meinshausen 2006) with ``quantile_forest``.

    One forest gives every quantile: the conditional distribution of the loss is the weighted
    empirical distribution of the training losses sharing leaves with the new row.

    Parameters
    ----------
    n_estimators : int
        Trees (100 in the protocol; 20-50 keep tests and notebooks fast).
    min_samples_leaf : int
        Fewest training rows per leaf: tail quantiles need leaves of some size (default 10).
    max_features : float
        Fraction of the features tried at each split.
    **kwargs
        Of :class:`QuantileModel` (features, tail_points, scale, garch, random_state, min_train).
    """

    name = "qrf"
    _own = ("n_estimators", "min_samples_leaf", "max_features")

    def __init__(
        self,
        n_estimators: int = 100,
        min_samples_leaf: int = 10,
        max_features: float = 1.0 / 3.0,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        if int(n_estimators) < 1 or int(min_samples_leaf) < 1 or not 0 < max_features <= 1:
            raise ConfigError(
                "QuantileForest needs n_estimators >= 1, min_samples_leaf >= 1 and "
                f"max_features in (0, 1]; got {n_estimators}, {min_samples_leaf}, {max_features}"
            )
        self.n_estimators = int(n_estimators)
        self.min_samples_leaf = int(min_samples_leaf)
        self.max_features = float(max_features)

    def _fit_learner(self, x: np.ndarray, y: np.ndarray, qs: np.ndarray) -> Any:
        from quantile_forest import RandomForestQuantileRegressor

        forest = RandomForestQuantileRegressor(
            n_estimators=self.n_estimators,
            min_samples_leaf=self.min_samples_leaf,
            max_features=self.max_features,
            random_state=self.random_state,
            max_samples_leaf=None,  # keep every training loss of a leaf (the default keeps 1)
            n_jobs=1,
        )
        return forest.fit(x, y)

    def _predict(self, learner: Any, x: np.ndarray, qs: np.ndarray) -> np.ndarray:
        return learner.predict(x, quantiles=[float(q) for q in qs])


class GradientBoostedQuantiles(QuantileModel):
    """Gradient-boosted trees with the quantile (pinball) loss, one model per quantile
    (scikit-learn :class:`~sklearn.ensemble.HistGradientBoostingRegressor`, ``loss="quantile"``).

    Parameters
    ----------
    max_iter : int
        Boosting rounds.
    learning_rate : float
    max_leaf_nodes : int
    min_samples_leaf : int
    **kwargs
        Of :class:`QuantileModel`.

    Notes
    -----
    Far in the tail (the ES points above 99.8% on a 500-day window) there are one or two
    training losses above the quantile, and the boosted quantile is close to the largest
    training loss: the tail points are the weakest part of this model.
    """

    name = "hgbr"
    _own = ("max_iter", "learning_rate", "max_leaf_nodes", "min_samples_leaf")

    def __init__(
        self,
        max_iter: int = 100,
        learning_rate: float = 0.05,
        max_leaf_nodes: int = 8,
        min_samples_leaf: int = 20,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        if int(max_iter) < 1 or not learning_rate > 0 or int(max_leaf_nodes) < 2:
            raise ConfigError(
                "GradientBoostedQuantiles needs max_iter >= 1, learning_rate > 0, "
                f"max_leaf_nodes >= 2; got {max_iter}, {learning_rate}, {max_leaf_nodes}"
            )
        self.max_iter = int(max_iter)
        self.learning_rate = float(learning_rate)
        self.max_leaf_nodes = int(max_leaf_nodes)
        self.min_samples_leaf = int(min_samples_leaf)

    def _fit_learner(self, x: np.ndarray, y: np.ndarray, qs: np.ndarray) -> Any:
        from sklearn.ensemble import HistGradientBoostingRegressor

        from riskkit.parallel import single_blas_thread

        out = []
        for q in qs:
            model = HistGradientBoostingRegressor(
                loss="quantile",
                quantile=float(q),
                max_iter=self.max_iter,
                learning_rate=self.learning_rate,
                max_leaf_nodes=self.max_leaf_nodes,
                min_samples_leaf=self.min_samples_leaf,
                early_stopping=False,
                random_state=self.random_state,
            )
            with single_blas_thread():  # OpenMP threads fight on a shared machine: 1 thread
                out.append(model.fit(x, y))
        return out

    def _predict(self, learner: Any, x: np.ndarray, qs: np.ndarray) -> np.ndarray:
        from riskkit.parallel import single_blas_thread

        with single_blas_thread():
            return np.array([m.predict(x)[0] for m in learner])


#: HAR-type features of the linear quantile regression (Corsi 2009 plus the GARCH forecast)
HAR_FEATURES = FeatureSpec(returns=("abs_lag1", "rv_5", "rv_22", "garch_vol"), exogenous=False)


class LinearQuantileRegression(QuantileModel):
    """Linear quantile regression (Koenker and Bassett 1978; statsmodels ``QuantReg``) of the loss
    on HAR-type volatility features, one regression per quantile.

    Parameters
    ----------
    max_iter : int
        Iterations of statsmodels' iteratively reweighted least squares.
    **kwargs
        Of :class:`QuantileModel`; ``features`` defaults to :data:`HAR_FEATURES` (last absolute
        return, 5- and 22-period realised volatility, GARCH volatility).
    """

    name = "quantreg"
    _own = ("max_iter",)

    def __init__(self, max_iter: int = 2000, **kwargs: Any) -> None:
        kwargs.setdefault("features", HAR_FEATURES)
        super().__init__(**kwargs)
        self.max_iter = int(max_iter)

    def _fit_learner(self, x: np.ndarray, y: np.ndarray, qs: np.ndarray) -> Any:
        from statsmodels.regression.quantile_regression import QuantReg

        design = np.column_stack([np.ones(len(x)), x])
        betas = []
        for q in qs:
            with warnings.catch_warnings():
                # statsmodels warns on a near-singular design or the iteration limit: the fit is
                # still the best it found; the rolling engine reports warnings once per run
                warnings.simplefilter("ignore", RuntimeWarning)
                res = QuantReg(y, design).fit(q=float(q), max_iter=self.max_iter)
            betas.append(np.asarray(res.params, dtype=float))
        return np.array(betas)

    def _predict(self, learner: Any, x: np.ndarray, qs: np.ndarray) -> np.ndarray:
        return learner @ np.concatenate(([1.0], x[0]))
