"""Trading-behaviour anomalies: robust z-scores of bar features, an isolation forest, and
wash-trading signatures computable from public data.

Bar features (:func:`bar_features`) are trailing robust z-scores (:func:`robust_z`) of the log
return, the log high/low range, the log volume, the log of volume per unit of range (an
inverse price-impact measure) and the log trade count where a ``count`` column exists; each is
scaled by the median and MAD of the bars *before* it. The isolation forest
(:func:`isolation_forest_scores`, Liu, Ting & Zhou 2008) is fitted on the ``window`` bars
before each refit date and scores the bars after it, with the threshold set on its own
training scores: no bar is scored by a model that saw it.

Wash-trading signatures (Cong, Li, Tang & Yang 2023, "Crypto wash trading", Management
Science):

* **volume without price impact**: a volume burst while the high-low range stays ordinary
  (genuine volume moves prices: the volume-volatility relation);
* **round trade sizes**: the share of trades whose size is a whole multiple of ``round_unit``.
  Human traders cluster at round sizes, so a venue with *no* clustering is suspicious (Cong et
  al.), while a bot self-trading one fixed round lot makes the share jump: the alert is on a
  jump of the share against its own history;
* **first digits** of trade sizes against Benford's law, :math:`P(d) = \\log_{10}(1 + 1/d)`:
  chi-square and the mean absolute deviation ``MAD = mean_d |p_d - P(d)|`` with Nigrini's
  conformity ranges (:data:`NIGRINI_FIRST_DIGIT`).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats

from riskkit.anomaly._stats import robust_z
from riskkit.anomaly.alerts import AlertTable, _empty, concat_alerts, make_alerts
from riskkit.anomaly.integrity import _COUNT_COLUMNS, _settings, calibrated_alerts
from riskkit.anomaly.settings import AnomalySettings
from riskkit.data._frame import _as_frame, _fmt
from riskkit.data.validation import infer_freq
from riskkit.exceptions import ConfigError, DataError

_D = AnomalySettings()  # the defaults, written once (riskkit.anomaly.settings)

__all__ = [
    "BENFORD_FIRST_DIGIT",
    "NIGRINI_FIRST_DIGIT",
    "BenfordTest",
    "ForestScores",
    "bar_features",
    "benford_test",
    "first_digits",
    "round_share",
    "isolation_forest_scores",
    "trade_signatures",
    "feature_alerts",
    "forest_alerts",
    "no_impact_alerts",
    "trade_alerts",
    "scan_behaviour",
]

#: Benford's first-digit probabilities log10(1 + 1/d), d = 1..9
BENFORD_FIRST_DIGIT = pd.Series(
    np.log10(1.0 + 1.0 / np.arange(1, 10)), index=pd.RangeIndex(1, 10, name="digit")
)

#: Nigrini's conformity ranges of the first-digit MAD (Nigrini 2012, "Benford's Law",
#: Wiley, Table 7.1): upper bound of each range
NIGRINI_FIRST_DIGIT = {
    "close conformity": 0.006,
    "acceptable conformity": 0.012,
    "marginally acceptable conformity": 0.015,
    "nonconformity": np.inf,
}


# --------------------------------------------------------------------------------------------
# Benford and round sizes


def first_digits(values: np.ndarray | pd.Series) -> np.ndarray:
    """First significant digit (1-9) of each positive finite value; others are dropped.

    ``x / 10**floor(log10 x)`` is nudged by one part in 1e12 before the floor, so that 0.3
    (stored as 0.29999...) gives 3; values with more than 11 significant digits just below a
    digit boundary could be misread, which no trade size has.
    """
    x = np.asarray(values, dtype=float)
    x = x[np.isfinite(x) & (x > 0)]
    mant = x / 10.0 ** np.floor(np.log10(x))
    d = np.floor(mant * (1.0 + 1e-12)).astype(int)
    d[d >= 10] = 1
    d[d < 1] = 9  # mant just below 1 after the power: 0.999... is a 9
    return d


@dataclass(frozen=True)
class BenfordTest:
    """First-digit test of a sample against Benford's law.

    Attributes
    ----------
    n : int
        Positive values tested.
    observed, expected : pandas.Series
        Proportions of the digits 1-9 in the sample and under Benford's law.
    chi2, p_value : float
        Pearson chi-square statistic (8 degrees of freedom) and its p-value.
    mad : float
        Mean absolute deviation of the proportions, ``mean_d |observed - expected|``.
    conformity : str
        Nigrini's range the MAD falls in (:data:`NIGRINI_FIRST_DIGIT`).
    """

    n: int
    observed: pd.Series
    expected: pd.Series
    chi2: float
    p_value: float
    mad: float
    conformity: str

    def summary(self) -> str:
        """One line."""
        return (
            f"Benford first digits, n = {self.n}: chi2 {self.chi2:.1f} (p {self.p_value:.3g}), "
            f"MAD {self.mad:.4f} ({self.conformity})"
        )


def _nigrini(mad: float) -> str:
    return next(k for k, bound in NIGRINI_FIRST_DIGIT.items() if mad <= bound)


def _digit_stats(counts: np.ndarray) -> tuple[float, float, float]:
    """(chi2, p-value, MAD) of digit counts (rows: samples; columns: digits 1-9)."""
    counts = np.atleast_2d(counts).astype(float)
    n = counts.sum(axis=1, keepdims=True)
    p = BENFORD_FIRST_DIGIT.to_numpy()[None, :]
    with np.errstate(invalid="ignore", divide="ignore"):
        chi2 = ((counts - n * p) ** 2 / (n * p)).sum(axis=1)
        mad = np.abs(counts / n - p).mean(axis=1)
    return chi2, stats.chi2.sf(chi2, df=8), mad


def benford_test(values: np.ndarray | pd.Series) -> BenfordTest:
    """Test the first digits of ``values`` (positive, e.g. trade sizes) against Benford's law.

    Raises
    ------
    DataError
        Fewer than 10 positive values.
    """
    d = first_digits(values)
    if d.size < 10:
        raise DataError(f"benford_test: {d.size} positive value(s); at least 10 are needed")
    counts = np.bincount(d, minlength=10)[1:]
    chi2, p, mad = _digit_stats(counts)
    return BenfordTest(
        n=int(d.size),
        observed=pd.Series(counts / d.size, index=BENFORD_FIRST_DIGIT.index, name="observed"),
        expected=BENFORD_FIRST_DIGIT.rename("expected"),
        chi2=float(chi2[0]),
        p_value=float(p[0]),
        mad=float(mad[0]),
        conformity=_nigrini(float(mad[0])),
    )


def round_share(sizes: np.ndarray | pd.Series, unit: float = 0.1) -> float:
    """Share of sizes that are whole multiples of ``unit`` (relative tolerance 1e-9)."""
    x = np.asarray(sizes, dtype=float)
    x = x[np.isfinite(x) & (x > 0)]
    if x.size == 0:
        return float("nan")
    return float(_is_round(x, unit).mean())


def _is_round(x: np.ndarray, unit: float) -> np.ndarray:
    k = x / unit
    return np.abs(k - np.round(k)) <= 1e-9 * np.maximum(k, 1.0)


def trade_signatures(
    trades: pd.DataFrame,
    freq: str | pd.Timedelta,
    *,
    size: str = "size",
    price: str = "price",
    round_unit: float = _D.round_unit,
    min_trades: int = _D.min_trades,
) -> pd.DataFrame:
    """Wash-trading statistics of the trades in each bar of length ``freq``.

    Parameters
    ----------
    trades : pandas.DataFrame
        One row per trade, DatetimeIndex (UTC), columns ``size`` (units of the asset) and
        optionally ``price``.
    freq : str or Timedelta
        Bar length; a bar is labelled by its opening time.
    round_unit : float
        A size that is a whole multiple of this is round.
    min_trades : int
        Bars with fewer trades get NaN statistics.

    Returns
    -------
    pandas.DataFrame
        Index ``date`` (bar open); columns ``n_trades``, ``volume``, ``round_share``,
        ``benford_chi2``, ``benford_p``, ``benford_mad``.
    """
    if not isinstance(trades, pd.DataFrame) or not isinstance(trades.index, pd.DatetimeIndex):
        raise DataError("trades: expected a DataFrame indexed by trade time (DatetimeIndex)")
    if size not in trades.columns:
        raise DataError(f"trades: no {size!r} column; columns are {list(trades.columns)}")
    x = trades[size].to_numpy(dtype=float, na_value=np.nan)
    if (~np.isfinite(x) | (x <= 0)).any():
        bad = trades.index[~np.isfinite(x) | (x <= 0)]
        raise DataError(
            f"trades: {len(bad)} missing or non-positive {size!r} value(s) (first {_fmt(bad[0])})"
        )
    try:
        step = pd.Timedelta(freq)
    except (ValueError, TypeError):
        raise ConfigError(f"freq must be a bar length such as '1h' or '1D', got {freq!r}") from None
    if step <= pd.Timedelta(0):
        raise ConfigError(f"freq must be a positive bar length, got {freq!r}")
    bucket = trades.index.floor(step)
    d = first_digits(x)
    dig = pd.DataFrame(np.eye(10, dtype=np.int64)[d][:, 1:], index=bucket)
    counts = dig.groupby(level=0).sum()
    g = pd.DataFrame({"size": x, "round": _is_round(x, round_unit)}, index=bucket).groupby(level=0)
    n = g["size"].count()
    chi2, p, mad = _digit_stats(counts.to_numpy())
    out = pd.DataFrame(
        {
            "n_trades": n.astype(int),
            "volume": g["size"].sum(),
            "round_share": g["round"].mean(),
            "benford_chi2": chi2,
            "benford_p": p,
            "benford_mad": mad,
        }
    )
    few = out["n_trades"] < min_trades
    out.loc[few, ["round_share", "benford_chi2", "benford_p", "benford_mad"]] = np.nan
    return out.rename_axis("date")


# --------------------------------------------------------------------------------------------
# bar features and the isolation forest


def bar_features(
    bars: pd.DataFrame | pd.Series, window: int = _D.window, min_periods: int = _D.min_periods
) -> pd.DataFrame:
    """Trailing robust z-scores of a bar's features (history: the ``window`` bars before it).

    Columns, where the inputs allow: ``return`` (log close-to-close), ``range`` (log
    high/low), ``volume`` (log), ``volume_per_range`` (log volume minus log range: volume that
    did not move the price), ``count`` (log trade count). A zero range or volume gives NaN.
    """
    frame = _as_frame(bars, "bars")
    close = frame["close"].astype(float)
    raw: dict[str, pd.Series] = {"return": np.log(close.where(close > 0)).diff()}
    if {"high", "low"} <= set(frame.columns):
        rng = np.log(frame["high"].astype(float) / frame["low"].astype(float))
        raw["range"] = rng.where(rng > 0)
    if "volume" in frame.columns:
        v = frame["volume"].astype(float)
        raw["volume"] = np.log(v.where(v > 0))
        if "range" in raw:
            raw["volume_per_range"] = raw["volume"] - np.log(raw["range"])
    for c in _COUNT_COLUMNS:
        if c in frame.columns:
            n = frame[c].astype(float)
            raw["count"] = np.log(n.where(n > 0))
            break
    return pd.DataFrame({k: robust_z(v, window, min_periods) for k, v in raw.items()})


@dataclass(frozen=True)
class ForestScores:
    """Isolation-forest scores with their threshold, both free of look-ahead.

    Attributes
    ----------
    score : pandas.Series
        Anomaly score ``s = 2 ** (-E[h(x)] / c(psi))`` in (0, 1) (Liu et al. 2008; minus
        scikit-learn's ``score_samples``): near 1 for points isolated in few splits, below 0.5
        for ordinary ones. NaN where the bar has a missing feature or no model exists yet.
    threshold : pandas.Series
        The ``1 - contamination`` quantile of the training scores of the model that scored
        the bar.
    center : pandas.Series
        Median training score of that model.
    fitted_at : pandas.Series
        Date of the first bar scored by that model (it was trained on bars before it).
    """

    score: pd.Series
    threshold: pd.Series
    center: pd.Series
    fitted_at: pd.Series


def isolation_forest_scores(
    features: pd.DataFrame,
    *,
    window: int = _D.window,
    min_periods: int = _D.min_periods,
    refit_every: int = _D.forest_refit_every,
    n_estimators: int = _D.forest_trees,
    contamination: float = _D.forest_contamination,
    seed: int = 0,
) -> ForestScores:
    """Score each bar with an isolation forest fitted on the ``window`` bars before it.

    The model is refitted every ``refit_every`` bars on the complete rows (no NaN feature) of
    the preceding window, and scores the next ``refit_every`` bars; the threshold is the
    ``1 - contamination`` quantile of its scores on its own training rows. scikit-learn's
    :class:`~sklearn.ensemble.IsolationForest` with ``random_state=seed`` (same seed, same
    scores).
    """
    from sklearn.ensemble import IsolationForest

    if not isinstance(features, pd.DataFrame) or features.shape[1] == 0:
        raise DataError("features: expected a DataFrame with at least one column")
    if not isinstance(refit_every, (int, np.integer)) or refit_every < 1:
        raise ConfigError(f"refit_every must be a whole number of bars >= 1, got {refit_every!r}")
    X = features.to_numpy(dtype=float, na_value=np.nan)
    complete = np.isfinite(X).all(axis=1)
    n = len(X)
    score, thr, cen = np.full(n, np.nan), np.full(n, np.nan), np.full(n, np.nan)
    fitted = np.full(n, np.datetime64("NaT"), dtype="datetime64[ns]")
    t0 = 0
    while t0 < n:
        lo = max(0, t0 - window)
        train = X[lo:t0][complete[lo:t0]]
        stop = min(n, t0 + refit_every)
        if len(train) >= min_periods:
            model = IsolationForest(
                n_estimators=n_estimators, random_state=seed, max_samples=min(256, len(train))
            ).fit(train)
            ts = -model.score_samples(train)
            rows = np.arange(t0, stop)[complete[t0:stop]]
            if rows.size:
                score[rows] = -model.score_samples(X[rows])
            thr[t0:stop] = np.quantile(ts, 1.0 - contamination)
            cen[t0:stop] = np.median(ts)
            fitted[t0:stop] = features.index[t0].to_datetime64()
            t0 = stop
        else:
            t0 += 1
    idx = features.index
    return ForestScores(
        score=pd.Series(score, idx, name="score"),
        threshold=pd.Series(thr, idx, name="threshold"),
        center=pd.Series(cen, idx, name="center"),
        fitted_at=pd.Series(fitted, idx, name="fitted_at"),
    )


# --------------------------------------------------------------------------------------------
# alerts


def feature_alerts(
    features: pd.DataFrame,
    *,
    asset: str = "",
    source: str = "",
    settings: AnomalySettings | None = None,
) -> pd.DataFrame:
    """Bars where any feature's |robust z| exceeds ``z_features`` (``value``: the largest)."""
    s = _settings(settings)
    absz = features.abs()
    top = absz.max(axis=1, skipna=True)
    hit = top > s.z_features
    if not hit.any():
        return _empty()
    which = absz[hit].fillna(-1.0).idxmax(axis=1)
    details = [f"{w}: robust z {features.at[t, w]:+.1f}" for t, w in which.items()]
    return _z_alerts(top[hit], s.z_features, "robust_z", details, asset, source, s)


def _z_alerts(
    z: pd.Series, cut: float, kind: str, details: list[str], asset: str, source: str, s
) -> pd.DataFrame:
    """Alert rows of robust z values beyond a fixed cut-off (``value`` z, ``threshold`` cut)."""
    return make_alerts(
        z.index,
        asset=asset,
        source=source,
        kind=kind,
        value=z,
        threshold=np.full(len(z), cut),
        excess=z / cut,
        critical_factor=s.critical_factor,
        detail=details,
    )


def forest_alerts(
    scores: ForestScores,
    *,
    asset: str = "",
    source: str = "",
    settings: AnomalySettings | None = None,
) -> pd.DataFrame:
    """Bars whose isolation-forest score exceeds its model's training threshold."""
    s = _settings(settings)
    hit = (scores.score > scores.threshold).to_numpy()
    if not hit.any():
        return _empty()
    sc, th, ce = (x.to_numpy()[hit] for x in (scores.score, scores.threshold, scores.center))
    return make_alerts(
        scores.score.index[hit],
        asset=asset,
        source=source,
        kind="isolation_forest",
        value=sc,
        threshold=th,
        excess=(sc - ce) / (th - ce),
        critical_factor=s.critical_factor,
        detail=[f"model fitted on bars before {_fmt(t)}" for t in scores.fitted_at[hit]],
    )


def no_impact_alerts(
    features: pd.DataFrame,
    *,
    asset: str = "",
    source: str = "",
    settings: AnomalySettings | None = None,
) -> pd.DataFrame:
    """Volume without price impact: robust z of log volume above ``z_volume`` while the robust z
    of the log range stays below ``z_range_quiet``."""
    s = _settings(settings)
    if not {"volume", "range"} <= set(features.columns):
        raise DataError("features need 'volume' and 'range' columns (bars with high, low, volume)")
    zv, zr = features["volume"], features["range"]
    hit = (zv > s.z_volume) & (zr < s.z_range_quiet)
    if not hit.any():
        return _empty()
    details = [
        f"volume z {v:+.1f} with range z {r:+.1f}" for v, r in zip(zv[hit], zr[hit], strict=True)
    ]
    return _z_alerts(zv[hit], s.z_volume, "volume_no_impact", details, asset, source, s)


def trade_alerts(
    signatures: pd.DataFrame,
    *,
    asset: str = "",
    source: str = "",
    settings: AnomalySettings | None = None,
) -> pd.DataFrame:
    """Round-size share above ``z_features`` robust sigmas of its history, and a first-digit
    MAD both beyond its history's bound and above Nigrini's nonconformity bound
    (``benford_mad``), per bar of :func:`trade_signatures`."""
    s = _settings(settings)
    parts = [
        calibrated_alerts(
            signatures["round_share"],
            kind="round_size",
            asset=asset,
            source=source,
            z=s.z_features,
            floor=0.01,
            settings=s,
            describe=lambda v, m: f"{v:.1%} of trades round (median of the window {m:.1%})",
        )
    ]
    ben = calibrated_alerts(
        signatures["benford_mad"],
        kind="benford",
        asset=asset,
        source=source,
        z=s.z_benford,
        settings=s,
        describe=lambda v, m: f"first-digit MAD {v:.4f} ({_nigrini(v)}; median {m:.4f})",
    )
    ben = ben[ben["value"] > s.benford_mad].copy()
    ben["threshold"] = np.maximum(ben["threshold"], s.benford_mad)
    parts.append(ben)
    return concat_alerts(parts).frame


def scan_behaviour(
    bars: pd.DataFrame,
    trades: pd.DataFrame | None = None,
    *,
    asset: str = "",
    source: str = "",
    settings: AnomalySettings | None = None,
    seed: int = 0,
    forest: bool = True,
) -> AlertTable:
    """Every trading-behaviour check the inputs allow, as one alert table.

    Parameters
    ----------
    bars : pandas.DataFrame
        OHLCV bars (``close`` required; ``high``, ``low``, ``volume``, ``count`` used).
    trades : pandas.DataFrame, optional
        Trades (``size`` column, DatetimeIndex): round-size and Benford alerts per bar.
    settings : AnomalySettings, optional
        Thresholds and the forest's size.
    seed : int
        Seed of the isolation forest.
    forest : bool, default True
        Run the isolation forest (the slowest part).

    Returns
    -------
    AlertTable
        Alerts of kinds ``robust_z``, ``isolation_forest``, ``volume_no_impact``,
        ``round_size``, ``benford``.
    """
    s = _settings(settings)
    feats = bar_features(bars, s.window, s.min_periods)
    kw = {"asset": asset, "source": source, "settings": s}
    parts = [feature_alerts(feats, **kw)]
    if forest:
        fs = isolation_forest_scores(
            feats,
            window=s.window,
            min_periods=s.min_periods,
            refit_every=s.forest_refit_every,
            n_estimators=s.forest_trees,
            contamination=s.forest_contamination,
            seed=seed,
        )
        parts.append(forest_alerts(fs, **kw))
    if {"volume", "range"} <= set(feats.columns):
        parts.append(no_impact_alerts(feats, **kw))
    if trades is not None:
        step = infer_freq(pd.DatetimeIndex(bars.index))
        if step is None:
            raise DataError("bars: fewer than two timestamps; cannot bucket the trades")
        sig = trade_signatures(trades, step, round_unit=s.round_unit, min_trades=s.min_trades)
        parts.append(trade_alerts(sig, **kw))
    return concat_alerts(parts)
