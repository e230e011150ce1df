"""Portfolio margin against the sum of single-asset margins: offsets, their path, and the cap.

The *offset* (diversification benefit) of a portfolio is ``sum_i M_i - M_P``, the sum of the
stand-alone margins minus the margin of the combined portfolio. A CCP may not pass all of it on:
under Commission Delegated Regulation (EU) No 153/2013 (EMIR RTS on CCP requirements), Art. 27(4),
the margin reduction from portfolio margining may not exceed 80% of the difference between the
sum of the single-product margins and the portfolio margin (100% where the CCP bears no risk
from the reduction). :func:`capped_margin` applies that cap.

Offsets depend on correlation, and correlations between crypto assets jump towards one in a
crash: a long/short pair loses its hedge exactly when it is needed (see
:func:`offset_vs_correlation` and :func:`rolling_offset`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
from numpy.lib.stride_tricks import sliding_window_view

from riskkit._validation import check_level
from riskkit.exceptions import ConfigError, DataError
from riskkit.portfolio.correlation import ewma_covariance
from riskkit.portfolio.fhs import var_es
from riskkit.portfolio.positions import check_notionals
from riskkit.risk.closed_form import normal_var_es

__all__ = [
    "capped_margin",
    "OffsetPath",
    "rolling_offset",
    "offset_vs_correlation",
    "EMIR_MAX_REDUCTION",
]

EMIR_MAX_REDUCTION = 0.8
"""Largest share of the offset a CCP may pass on: Reg. (EU) 153/2013 Art. 27(4)."""


def capped_margin(
    sum_single: float | pd.Series,
    portfolio: float | pd.Series,
    max_reduction: float = EMIR_MAX_REDUCTION,
) -> pd.Series | pd.DataFrame:
    """Portfolio margin after capping the offset (EMIR RTS 153/2013 Art. 27(4)).

    Parameters
    ----------
    sum_single : float or Series
        Sum of the stand-alone margins ``S``.
    portfolio : float or Series
        Margin of the combined portfolio ``P``.
    max_reduction : float
        Largest share of the offset ``S - P`` that may reduce the margin (0.8 under Art. 27(4);
        1.0 where the CCP bears no risk from the reduction).

    Returns
    -------
    Series (scalar inputs) or DataFrame (Series inputs)
        ``sum_single``, ``portfolio``, ``offset = S - P``, ``offset_ratio = (S - P) / S``,
        ``reduction = max_reduction * max(S - P, 0)`` and ``margin = S - reduction``.

    Notes
    -----
    When the portfolio margin exceeds the sum (possible with VaR, which is not sub-additive),
    there is no reduction and the margin is the portfolio margin (``margin = max(P, S - reduction)``).

    References
    ----------
    Commission Delegated Regulation (EU) No 153/2013, Article 27(4); ESMA opinion of 10 April 2017
    on portfolio margining requirements under Art. 27 of RTS 153/2013.
    """
    if not 0 <= max_reduction <= 1:
        raise ConfigError(f"max_reduction must be in [0, 1], got {max_reduction}")
    s = sum_single
    p = portfolio
    offset = s - p
    reduction = max_reduction * np.maximum(offset, 0.0)
    margin = np.maximum(s - reduction, p)
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = offset / s
    data = {
        "sum_single": s,
        "portfolio": p,
        "offset": offset,
        "offset_ratio": ratio,
        "reduction": reduction,
        "margin": margin,
    }
    if isinstance(s, pd.Series) or isinstance(p, pd.Series):
        return pd.DataFrame(data)
    return pd.Series({k: float(v) for k, v in data.items()})


def _normal_k(level: float, measure: str) -> float:
    # VaR or ES of a unit normal loss: margins scale it by the position's volatility
    var, es = normal_var_es(level)
    return var if measure == "var" else es


@dataclass(frozen=True)
class OffsetPath:
    """Stand-alone margins, portfolio margin and capped offset over time (:func:`rolling_offset`).

    Attributes
    ----------
    table : DataFrame
        Index ``date`` (the forecast date: the margin for date t uses returns up to t-1); columns
        ``single_<asset>`` (stand-alone margin of each position), the columns of
        :func:`capped_margin` (``sum_single``, ``portfolio``, ``offset``, ``offset_ratio``,
        ``reduction``, ``margin``) and, for two assets, ``correlation`` (the rolling sample or
        EWMA estimate). Margins are positive, in the currency of the notionals.
    level : float
        Confidence level of the margins.
    measure : {"es", "var"}
        Risk measure of the margins.
    method : {"historical", "ewma"}
        How the margins were computed.
    window : int or None
        Historical window in days (``None`` for ``method="ewma"``).
    lam : float or None
        EWMA decay (``None`` for ``method="historical"``).
    max_reduction : float
        Share of the offset passed on (the cap of :func:`capped_margin`).
    """

    table: pd.DataFrame
    level: float
    measure: str
    method: str
    window: int | None
    lam: float | None
    max_reduction: float


def rolling_offset(
    returns: pd.DataFrame,
    notionals: pd.Series | Mapping[str, float],
    level: float = 0.99,
    measure: str = "es",
    method: str = "historical",
    window: int = 365,
    lam: float = 0.94,
    max_reduction: float = EMIR_MAX_REDUCTION,
) -> OffsetPath:
    """Path of stand-alone margins, portfolio margin and offset over time (no look-ahead).

    Parameters
    ----------
    returns : DataFrame
        Aligned daily log returns.
    notionals : Series or mapping
        Signed notional per asset.
    level : float
        Confidence level.
    measure : {"es", "var"}
    method : {"historical", "ewma"}
        ``"historical"``: VaR/ES of the last ``window`` daily losses of each position and of
        the portfolio (exact revaluation ``-N (exp(r) - 1)``). ``"ewma"``: normal VaR/ES with
        the RiskMetrics EWMA covariance and linear P&L, so
        ``offset_ratio = 1 - sqrt(N' S N) / sum_i |N_i| s_i``.
    window : int
        Historical window in days.
    lam : float
        EWMA decay.
    max_reduction : float
        Cap on the offset passed on (see :func:`capped_margin`).

    Returns
    -------
    OffsetPath
        ``table`` indexed by the forecast date (the margin for date t uses returns up to t-1),
        columns ``single_<asset>``, the columns of :func:`capped_margin`, and for two assets the
        correlation estimate ``correlation`` (rolling sample or EWMA); and the settings used.
    """
    lvl = check_level(level)
    if measure not in ("es", "var"):
        raise ConfigError(f"measure must be 'es' or 'var', got {measure!r}")
    if method not in ("historical", "ewma"):
        raise ConfigError(f"method must be 'historical' or 'ewma', got {method!r}")
    pos = check_notionals(notionals, returns.columns)
    r = returns[pos.index].astype(float)
    if not np.isfinite(r.to_numpy()).all():
        raise DataError("returns contain NaN or inf; align them first (align_returns)")
    assets = list(pos.index)
    n = pos.to_numpy()
    if method == "historical":
        if int(window) != window or window < 30:
            raise ConfigError(f"window must be an integer >= 30, got {window}")
        if len(r) <= window:
            raise DataError(f"need more than window={window} dates, got {len(r)}")
        losses = -n * np.expm1(r.to_numpy())
        port = losses.sum(axis=1)
        # windows end the day before the forecast date
        win_pos = sliding_window_view(losses[:-1], window, axis=0)  # (T-window, N, window)
        win_port = sliding_window_view(port[:-1], window)  # (T-window, window)
        k = 0 if measure == "var" else 1
        single = var_es(np.moveaxis(win_pos, 2, 0).reshape(window, -1), [lvl])[0, k]
        single = single.reshape(-1, len(assets))
        portfolio = var_es(win_port.T, [lvl])[0, k]
        index = r.index[window:]
        corr = None
        if len(assets) == 2:
            corr = r[assets[0]].rolling(window).corr(r[assets[1]]).shift(1).iloc[window:]
    else:
        S = ewma_covariance(r, lam)[:-1]
        sd = np.sqrt(np.einsum("tii->ti", S))
        k = _normal_k(lvl, measure)
        single = k * np.abs(n) * sd
        portfolio = k * np.sqrt(np.einsum("i,tij,j->t", n, S, n))
        # the seed covariance uses the first 30 days: start the path after them
        start = min(30, len(r) - 1)
        single, portfolio, index = single[start:], portfolio[start:], r.index[start:]
        corr = None
        if len(assets) == 2:
            corr = pd.Series(S[start:, 0, 1] / (sd[start:, 0] * sd[start:, 1]), index=index)
    out = pd.DataFrame(single, index=index, columns=[f"single_{a}" for a in assets])
    capped = capped_margin(
        pd.Series(single.sum(axis=1), index=index), pd.Series(portfolio, index=index), max_reduction
    )
    out = pd.concat([out, capped], axis=1)
    if corr is not None:
        out["correlation"] = corr.to_numpy()
    out.index.name = "date"
    return OffsetPath(
        table=out,
        level=lvl,
        measure=measure,
        method=method,
        window=int(window) if method == "historical" else None,
        lam=float(lam) if method == "ewma" else None,
        max_reduction=float(max_reduction),
    )


def offset_vs_correlation(
    vols: Sequence[float] | pd.Series,
    notionals: Sequence[float] | pd.Series,
    correlations: Sequence[float] | np.ndarray,
    level: float = 0.99,
    measure: str = "es",
    max_reduction: float = EMIR_MAX_REDUCTION,
) -> pd.DataFrame:
    """Closed-form normal margins and offset as a function of a common correlation.

    With linear P&L and jointly normal returns of volatility ``s_i`` and a common pairwise
    correlation ``rho``, stand-alone margins are ``k |N_i| s_i`` and the portfolio margin
    ``k sqrt(N' S N)``, with ``k = z_p`` (VaR) or ``phi(z_p) / (1 - p)`` (ES).

    Parameters
    ----------
    vols : sequence of float or Series
        Return volatility ``s_i`` of each asset over the margin horizon (fractions, >= 0).
    notionals : sequence of float or Series
        Signed notional ``N_i`` of each position (positive = long), in the same order as
        ``vols``; Series are taken by position, not aligned on their index.
    correlations : float or sequence of float
        Common pairwise correlations to evaluate, each in ``[-1 / (n - 1), 1]`` for ``n``
        assets (the range in which the correlation matrix is positive semi-definite).
    level : float
        Confidence level, a fraction in (0, 1).
    measure : {"es", "var"}
        Normal Expected Shortfall or Value-at-Risk (lower case only).
    max_reduction : float
        Largest share of the offset passed on, in [0, 1] (see :func:`capped_margin`).

    Returns
    -------
    DataFrame
        Indexed by ``correlation`` (the values of ``correlations``, in order); the columns of
        :func:`capped_margin`: ``sum_single``, ``portfolio``, ``offset``, ``offset_ratio``,
        ``reduction`` and ``margin``, in the currency of ``notionals``.

    Raises
    ------
    ConfigError
        If ``level`` is not in (0, 1), ``measure`` is not ``"es"`` or ``"var"``, ``vols`` and
        ``notionals`` are not 1-d of equal length, a volatility is negative, a correlation is
        outside the admissible range, or ``max_reduction`` is outside [0, 1].
    """
    lvl = check_level(level)
    if measure not in ("es", "var"):
        raise ConfigError(f"measure must be 'es' or 'var', got {measure!r}")
    s = np.asarray(vols, dtype=float)
    n = np.asarray(notionals, dtype=float)
    if s.shape != n.shape or s.ndim != 1:
        raise ConfigError(
            f"vols and notionals must be 1-D of equal length, got {s.shape}, {n.shape}"
        )
    if np.any(s < 0):
        raise ConfigError(f"vols must be >= 0, got {s}")
    rhos = np.atleast_1d(np.asarray(correlations, dtype=float))
    lo = -1.0 / (len(s) - 1) if len(s) > 1 else -1.0
    if np.any(rhos < lo - 1e-12) or np.any(rhos > 1):
        raise ConfigError(f"a common correlation of {len(s)} assets must lie in [{lo:g}, 1]")
    k = _normal_k(lvl, measure)
    x = n * s
    sum_single = k * np.abs(x).sum()
    port = []
    for rho in rhos:
        C = np.full((len(s), len(s)), rho)
        np.fill_diagonal(C, 1.0)
        port.append(k * np.sqrt(max(float(x @ C @ x), 0.0)))
    out = capped_margin(
        pd.Series(sum_single, index=rhos), pd.Series(port, index=rhos), max_reduction
    )
    out.index.name = "correlation"
    return out
