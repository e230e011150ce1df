"""Closed-form and empirical VaR / Expected Shortfall of a loss distribution.

All functions describe the **loss** ``L = -R`` of a position whose return is ``R``. ``level`` is
the confidence level alpha (0.99): ``VaR_alpha`` is the alpha-quantile of L and ``ES_alpha`` the
average of the quantiles above it, ``ES_alpha = 1/(1-alpha) int_alpha^1 VaR_u du``.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from scipy import stats

from riskkit._validation import check_level, check_levels
from riskkit.exceptions import ConfigError, DataError

__all__ = [
    "normal_var_es",
    "student_t_var_es",
    "empirical_var_es",
    "weighted_var_es",
]


def _levels(level) -> tuple[np.ndarray, bool]:
    if np.isscalar(level):
        return np.array([check_level(level)]), True
    return np.array(check_levels(level)), False


def _pack(var: np.ndarray, es: np.ndarray, scalar: bool):
    if scalar:
        return float(var[0]), float(es[0])
    return np.column_stack([var, es])


def normal_var_es(level: float | Sequence[float], mu: float = 0.0, sigma: float = 1.0):
    """VaR and ES of the loss when the return is ``N(mu, sigma^2)``.

    ``VaR = -mu + sigma Phi^{-1}(alpha)``, ``ES = -mu + sigma phi(Phi^{-1}(alpha)) / (1 - alpha)``
    (McNeil, Frey & Embrechts 2015, eq. 2.18 and Example 2.14, applied to ``L = -R`` with mean
    ``-mu``).

    Parameters
    ----------
    level : float or sequence of float
        Confidence level(s) in (0, 1).
    mu : float
        Mean return.
    sigma : float
        Standard deviation of the return (> 0).

    Returns
    -------
    tuple of float or numpy.ndarray
        ``(var, es)`` for one level; an array of shape ``(len(level), 2)`` for several.

    References
    ----------
    McNeil, A. J., Frey, R., & Embrechts, P. (2015). Quantitative Risk Management, revised ed.,
    Princeton University Press, Section 2.3.
    """
    if not sigma > 0:
        raise ConfigError(f"sigma must be > 0, got {sigma!r}")
    a, scalar = _levels(level)
    z = stats.norm.ppf(a)
    return _pack(-mu + sigma * z, -mu + sigma * stats.norm.pdf(z) / (1.0 - a), scalar)


def student_t_var_es(
    level: float | Sequence[float],
    df: float,
    mu: float = 0.0,
    sigma: float | None = None,
    scale: float | None = None,
):
    """VaR and ES of the loss when the return is ``mu + s T`` with ``T ~ t_df``.

    Give **either** ``sigma``, the standard deviation of the return (requires ``df > 2``; then
    ``s = sigma sqrt((df - 2) / df)``), **or** ``scale``, the scale ``s`` of the t distribution
    itself. With neither, ``sigma = 1`` (unit-variance t, the convention of GARCH innovations).

    ``VaR = -mu + s t_df^{-1}(alpha)``,
    ``ES = -mu + s g_df(t_df^{-1}(alpha)) / (1 - alpha) (df + t_df^{-1}(alpha)^2) / (df - 1)``
    where ``g_df`` is the t density (McNeil, Frey & Embrechts 2015, Example 2.15, eq. 2.19 for the
    standard t; ES needs ``df > 1``).

    Parameters
    ----------
    level : float or sequence of float
        Confidence level(s) alpha in (0, 1).
    df : float
        Degrees of freedom of the t distribution (> 1; > 2 unless ``scale`` is given).
    mu : float
        Mean (location) of the return; not validated.
    sigma : float, optional
        Standard deviation of the return (> 0); default 1 when ``scale`` is not given.
    scale : float, optional
        Scale ``s`` of the t distribution (> 0), instead of ``sigma``.

    Returns
    -------
    tuple of float or numpy.ndarray
        ``(var, es)`` for one level; shape ``(len(level), 2)`` for several, columns VaR and ES.
        Both are positive loss numbers (in the units of the return) when ``mu`` is small.

    Raises
    ------
    ConfigError
        If ``df <= 1``; both ``sigma`` and ``scale`` are given; ``df <= 2`` without ``scale``;
        ``sigma`` or ``scale`` is not > 0; or a level is not in (0, 1) (or the sequence is
        empty).

    References
    ----------
    McNeil, A. J., Frey, R., & Embrechts, P. (2015). Quantitative Risk Management, revised ed.,
    Princeton University Press, Section 2.3.
    """
    if not df > 1:
        raise ConfigError(f"df must be > 1 for ES to exist, got {df!r}")
    if sigma is not None and scale is not None:
        raise ConfigError("give either sigma (standard deviation) or scale, not both")
    if scale is None:
        sigma = 1.0 if sigma is None else sigma
        if not df > 2:
            raise ConfigError(f"a Student-t with df={df} has no standard deviation; pass scale=")
        if not sigma > 0:
            raise ConfigError(f"sigma must be > 0, got {sigma!r}")
        scale = sigma * np.sqrt((df - 2.0) / df)
    elif not scale > 0:
        raise ConfigError(f"scale must be > 0, got {scale!r}")
    a, scalar = _levels(level)
    t = stats.t.ppf(a, df)
    es_std = stats.t.pdf(t, df) / (1.0 - a) * (df + t**2) / (df - 1.0)
    return _pack(-mu + scale * t, -mu + scale * es_std, scalar)


def weighted_var_es(
    losses: np.ndarray, weights: np.ndarray | None, levels: Sequence[float]
) -> np.ndarray:
    """VaR and ES of a discrete loss distribution with probabilities ``weights``.

    ``VaR_alpha`` is the lower alpha-quantile ``min{x : F(x) >= alpha}``; ES is the exact tail
    average of the quantile function (Acerbi & Tasche 2002, Proposition 3.2):
    ``ES = [ (F(VaR) - alpha) VaR + sum_{x_i > VaR} w_i x_i ] / (1 - alpha)``.
    This ES is coherent and never below VaR; with equal weights it is the usual empirical ES
    with the fractional observation at the quantile counted in proportion.

    Parameters
    ----------
    losses : numpy.ndarray
        Loss values (positive = loss), any order, finite.
    weights : numpy.ndarray or None
        Probabilities (non-negative, normalised here); ``None`` for equal weights.
    levels : sequence of float
        Levels in (0, 1), already validated.

    Returns
    -------
    numpy.ndarray
        Shape ``(len(levels), 2)``: VaR, ES.

    References
    ----------
    Acerbi, C., & Tasche, D. (2002). On the coherence of expected shortfall. Journal of Banking
    & Finance 26(7), 1487-1503.
    """
    x = np.asarray(losses, dtype=float)
    n = x.shape[0]
    out = np.empty((len(levels), 2))
    if weights is None:
        # integer arithmetic for the equal-weight case: no cumulative-sum rounding at k/n
        ks = [min(max(int(np.ceil(n * a - 1e-9)), 1), n) for a in levels]  # F(x_(k)) = k/n >= a
        # the k-th smallest loss and the sum of the n - k above it need a selection (O(n)), not
        # a full sort: np.partition puts every requested order statistic in place at once, with
        # no smaller value after it (a 10,000-path FHS sample: ~5x faster than a sort)
        part = np.partition(x, sorted({k - 1 for k in ks}))
        for j, (a, k) in enumerate(zip(levels, ks, strict=True)):
            var = part[k - 1]
            es = ((k - n * a) * var + part[k:].sum()) / (n * (1.0 - a))
            out[j] = var, max(es, var)
        return out
    order = np.argsort(x, kind="stable")
    xs = x[order]
    w = np.asarray(weights, dtype=float)[order]
    w = w / w.sum()
    cum = np.cumsum(w)
    tail = np.concatenate([np.cumsum((w * xs)[::-1])[::-1], [0.0]])
    for j, a in enumerate(levels):
        k = int(np.searchsorted(cum, a - 1e-12, side="left"))
        k = min(k, n - 1)
        var = xs[k]
        es = ((cum[k] - a) * var + tail[k + 1]) / (1.0 - a)
        out[j] = var, max(es, var)
    return out


def empirical_var_es(
    losses: np.ndarray | Sequence[float], level: float | Sequence[float], weights=None
):
    """Empirical VaR and ES of a sample of **losses** (positive = loss).

    See :func:`weighted_var_es` for the definitions (lower quantile; exact tail average).

    Parameters
    ----------
    losses : array-like
        Sample of losses (e.g. ``-returns``), finite.
    level : float or sequence of float
        Confidence level(s) in (0, 1).
    weights : array-like, optional
        Probabilities of the observations (default equal).

    Returns
    -------
    tuple of float or numpy.ndarray
        ``(var, es)`` for one level; shape ``(len(level), 2)`` for several.
    """
    a, scalar = _levels(level)
    x = np.asarray(losses, dtype=float).ravel()
    if x.size == 0:
        raise DataError("losses is empty")
    if not np.isfinite(x).all():
        raise DataError(f"losses contains {int((~np.isfinite(x)).sum())} NaN/infinite values")
    if weights is not None:
        w = np.asarray(weights, dtype=float).ravel()
        if w.shape != x.shape or (w < 0).any() or not np.isfinite(w).all() or w.sum() <= 0:
            raise DataError("weights must be finite, non-negative, not all zero, one per loss")
    out = weighted_var_es(x, None if weights is None else w, tuple(a))
    return _pack(out[:, 0], out[:, 1], scalar)
