"""Portfolio VaR and ES by filtered historical simulation (FHS) on joint standardised residuals.

The idea (Barone-Adesi, Giannopoulos and Vosper 1999, extended to portfolios):

1. filter each asset's returns with a univariate volatility model, giving standardised residuals
   ``z_{t,i}`` that are close to i.i.d. over time;
2. draw **whole rows** ``z_t`` (one date for all assets at once), so that the cross-asset tail
   dependence of the data (joint crashes) is kept rather than assumed Gaussian;
3. optionally re-correlate the rows: de-correlate with the residual correlation of their own
   date (DCC ``R_t``) or of the sample, then impose the forecast correlation (DCC ``R_{T+1}``,
   updated along the path) or a stressed correlation matrix;
4. rescale by each asset's forecast volatility, and for an h-day horizon walk h daily steps,
   updating each volatility (and the DCC correlation) with the simulated shocks;
5. revalue the positions on the cumulated returns; the loss quantile and tail mean are VaR/ES.

Every position's stand-alone loss comes from the same simulated paths, so single-asset margins
and the portfolio margin are comparable (see :mod:`riskkit.portfolio.offsets`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from riskkit._validation import check_horizon, check_levels
from riskkit.exceptions import ConfigError, DataError
from riskkit.portfolio.dcc import DCC, DCCResult, dcc_correlations, fit_univariate
from riskkit.portfolio.positions import check_notionals
from riskkit.risk.closed_form import weighted_var_es

__all__ = ["PortfolioRisk", "var_es", "portfolio_fhs"]

#: paths x assets^2 per chunk of the DCC simulation (8 MB per N x N array of the chunk)
_FHS_CHUNK_ELEMENTS = 1_000_000


def var_es(losses: np.ndarray, levels: Sequence[float]) -> np.ndarray:
    """Empirical VaR and ES of simulated losses, column by column.

    The estimator is :func:`riskkit.risk.weighted_var_es` with equal weights (lower quantile and
    exact tail average, Acerbi and Tasche 2002), the one used everywhere in riskkit, so a
    portfolio VaR/ES here equals :func:`riskkit.risk.empirical_var_es` of the same losses.

    Parameters
    ----------
    losses : numpy.ndarray
        1-D (one sample) or 2-D (samples x series) finite losses, positive = loss.
    levels : sequence of float
        Confidence levels in (0, 1).

    Returns
    -------
    numpy.ndarray
        Shape ``(len(levels), 2)`` for 1-D input, ``(len(levels), 2, n_series)`` for 2-D; the
        second axis is VaR, ES.
    """
    lv = tuple(check_levels(levels))
    x = np.asarray(losses, dtype=float)
    if x.ndim not in (1, 2) or x.shape[0] == 0:
        raise DataError(f"losses must be a non-empty 1-D or 2-D array, got shape {x.shape}")
    if not np.isfinite(x).all():
        raise DataError(f"losses contains {int((~np.isfinite(x)).sum())} NaN/infinite values")
    if x.ndim == 1:
        return weighted_var_es(x, None, lv)
    if x.shape[1] == 0:
        return np.empty((len(lv), 2, 0))
    return np.stack([weighted_var_es(col, None, lv) for col in x.T], axis=-1)


@dataclass
class PortfolioRisk:
    """Portfolio and stand-alone VaR/ES from one set of simulated paths.

    Attributes
    ----------
    table : DataFrame
        Index: the positions then ``"portfolio"`` and ``"sum_single"``; columns ``var_<level>``
        and ``es_<level>`` (positive losses in the notional's currency).
    losses : ndarray (n_sims,)
        Simulated portfolio losses over the horizon.
    position_losses : DataFrame (n_sims x positions)
        Simulated stand-alone losses.
    sigma_forecast : Series
        Next-day volatility forecast per asset.
    correlation_forecast : DataFrame
        Correlation imposed on the first simulated day (the residuals' own for ``"empirical"``).
    simulated_returns : DataFrame (n_sims x assets)
        Simulated h-day log returns, for revaluing non-linear positions (e.g. options with
        :func:`riskkit.options.var_margin`).
    horizon : int
        Margin horizon in days.
    levels : tuple of float
        Confidence levels of ``table``.
    vol_model : str
        Univariate volatility filter of the assets (that of ``dcc`` when one was used).
    correlation_method : {"empirical", "dcc", "matrix"}
        How the simulated residuals were correlated (``"matrix"``: a given target matrix).
    n_sims : int
        Number of simulated paths.
    n_obs : int
        Number of dates of returns the filters used.
    pnl : {"exact", "linear"}
        P&L of a position: exact revaluation or linear in the return.
    last_date : Timestamp
        Last date of returns: the simulation starts the day after.
    """

    table: pd.DataFrame
    losses: np.ndarray
    position_losses: pd.DataFrame
    sigma_forecast: pd.Series
    correlation_forecast: pd.DataFrame
    simulated_returns: pd.DataFrame
    horizon: int
    levels: tuple[float, ...]
    vol_model: str
    correlation_method: str
    n_sims: int
    n_obs: int
    pnl: str
    last_date: pd.Timestamp

    def margin(self, level: float, measure: str = "es") -> pd.Series:
        """Stand-alone margins per position, the portfolio margin and their sum."""
        col = f"{measure}_{level:g}"
        if col not in self.table.columns:
            raise ConfigError(f"no {col} in this result; levels computed: {self.levels}")
        return self.table[col]


def _chol(R: np.ndarray) -> np.ndarray:
    try:
        return np.linalg.cholesky(R)
    except np.linalg.LinAlgError:
        raise DataError("correlation matrix is not positive definite") from None


def portfolio_fhs(
    returns: pd.DataFrame,
    notionals: pd.Series | Mapping[str, float],
    levels: float | Sequence[float] = 0.99,
    horizon: int = 1,
    n_sims: int = 10_000,
    seed: int | np.random.Generator | None = None,
    vol_model: str = "garch",
    correlation: str | np.ndarray | pd.DataFrame = "empirical",
    dcc: DCCResult | None = None,
    dist: str = "normal",
    pnl: str = "exact",
) -> PortfolioRisk:
    """Portfolio VaR/ES by filtered historical simulation on joint standardised residuals.

    Parameters
    ----------
    returns : DataFrame
        Aligned daily log returns (T x N), the history up to the day before the forecast.
    notionals : Series or mapping
        Signed notional per asset (positive = long); assets without a position are still used
        nowhere else. Labels without a return column raise :class:`DataError`.
    levels : float or sequence
        Confidence levels (fractions).
    horizon : int
        Days; h-day losses come from simulated daily paths with volatility updating.
    n_sims : int
        Number of simulated paths.
    seed : int or Generator
        Randomness (results are reproducible for a given seed).
    vol_model : {"garch", "gjr", "ewma", "constant"}
        Univariate filter (see :func:`riskkit.portfolio.fit_univariate`); ignored if ``dcc`` is
        given (its filters are used).
    correlation : {"empirical", "dcc"} or (N x N) matrix
        ``"empirical"``: rows of residuals are drawn as they are (their own correlation and tail
        dependence); ``"dcc"``: rows are de-correlated with their date's DCC correlation and
        re-correlated with the DCC forecast, updated along each path; a matrix: rows are
        de-correlated with the residuals' sample correlation and re-correlated with it
        (a correlation stress).
    dcc : DCCResult, optional
        A DCC fitted on the same ``returns`` to reuse (its univariate filters are used whatever
        ``correlation`` is; with ``correlation="dcc"`` its correlation stage too).
    dist : str
        Innovation distribution of the ``arch`` fits (normal = QMLE; FHS does not use it to draw).
    pnl : {"exact", "linear"}
        ``"exact"``: a position makes ``N (exp(R) - 1)`` on an h-day log return ``R``;
        ``"linear"``: ``N R`` (the delta approximation, used to check against closed forms).

    Returns
    -------
    PortfolioRisk

    Notes
    -----
    No look-ahead: the filters are fitted on ``returns`` and the forecast is for the day after
    its last date. Re-correlation by Cholesky factors keeps each row's de-correlated shape but
    changes the marginal shape of all but the first asset slightly.

    References
    ----------
    Barone-Adesi, G., Giannopoulos, K. and Vosper, L. (1999), "VaR without correlations for
    portfolios of derivative securities", *Journal of Futures Markets* 19(5), 583-602.
    Engle, R. F. (2002), "Dynamic conditional correlation", *JBES* 20(3).
    """
    lv = check_levels(levels)
    h = int(check_horizon(horizon))
    if int(n_sims) != n_sims or n_sims < 100:
        raise ConfigError(f"n_sims must be an integer >= 100, got {n_sims}")
    if pnl not in ("exact", "linear"):
        raise ConfigError(f"pnl must be 'exact' or 'linear', got {pnl!r}")
    if not isinstance(returns, pd.DataFrame):
        raise DataError("returns must be a DataFrame of aligned returns (one column per asset)")
    pos = check_notionals(notionals, returns.columns)
    r = returns[pos.index].astype(float)
    if not np.isfinite(r.to_numpy()).all():
        raise DataError("returns contain NaN or inf; align them first (align_returns)")
    assets = list(pos.index)
    N = len(assets)
    rng = seed if isinstance(seed, np.random.Generator) else np.random.default_rng(seed)

    if isinstance(correlation, str) and correlation not in ("empirical", "dcc"):
        raise ConfigError(
            f"correlation must be 'empirical', 'dcc' or a matrix, got {correlation!r}"
        )
    use_dcc = isinstance(correlation, str) and correlation == "dcc"
    if use_dcc and N < 2:
        raise ConfigError("correlation='dcc' needs at least two positions")
    if use_dcc and dcc is None:
        dcc = DCC(vol=vol_model, dist=dist).fit(r)
    if dcc is not None:
        if list(dcc.assets) != assets:
            raise DataError(
                f"dcc was fitted on {list(dcc.assets)} but the positions are on {assets}"
            )
        if len(dcc.std_resid) != len(r) or dcc.std_resid.index[-1] != r.index[-1]:
            raise DataError("dcc was fitted on other dates than returns; refit it on returns")
        fits = dcc.univariate
    else:
        fits = {a: fit_univariate(r[a], vol_model, dist) for a in assets}

    z = np.column_stack([fits[a].std_resid.to_numpy() for a in assets])
    T = len(z)
    mu = np.array([fits[a].mu for a in assets])
    omega = np.array([fits[a].omega for a in assets])
    alpha = np.array([fits[a].alpha for a in assets])
    gamma = np.array([fits[a].gamma for a in assets])
    beta = np.array([fits[a].beta for a in assets])
    sig0 = np.array([fits[a].next_sigma for a in assets])

    target = None
    if use_dcc:
        a_, b_ = float(dcc.params["a"]), float(dcc.params["b"])
        _, R_path = dcc_correlations(z, a_, b_, dcc.qbar)
        L_hist = np.linalg.cholesky(R_path[:-1])
        # rows de-correlated by their own date's conditional correlation
        e = np.linalg.solve(L_hist, z[:, :, None])[:, :, 0]
        first_corr = dcc.R[-1]
    elif isinstance(correlation, str):
        e = z
        first_corr = np.corrcoef(z, rowvar=False) if N > 1 else np.ones((1, 1))
    else:
        target = np.asarray(correlation, dtype=float)
        if (
            target.shape != (N, N)
            or not np.allclose(target, target.T)
            or not np.allclose(np.diag(target), 1.0)
        ):
            raise ConfigError(f"correlation matrix must be symmetric {N}x{N} with unit diagonal")
        sample = np.corrcoef(z, rowvar=False)
        e = np.linalg.solve(_chol(sample), z.T).T
        L_target = _chol(target)
        first_corr = target

    # the dates of every step are drawn first (step by step, as the paths advance), then the
    # paths are walked in chunks: the DCC state of all paths at once would be n_sims x N x N
    # (200 MB for 10,000 paths of 50 assets, several times over in temporaries)
    draws = [rng.integers(0, T, size=n_sims) for _ in range(h)]
    cum = np.zeros((n_sims, N))
    chunk = max(1, min(n_sims, _FHS_CHUNK_ELEMENTS // (N * N))) if use_dcc else n_sims
    for lo in range(0, n_sims, chunk):
        hi = min(lo + chunk, n_sims)
        s2 = np.broadcast_to(sig0**2, (hi - lo, N)).copy()
        if use_dcc:
            Q = np.broadcast_to(dcc.Q[-1], (hi - lo, N, N)).copy()
        for step in range(h):
            rows = e[draws[step][lo:hi]]
            if use_dcc:
                d = np.sqrt(np.einsum("sii->si", Q))
                R = Q / (d[:, :, None] * d[:, None, :])
                zs = np.einsum("sij,sj->si", np.linalg.cholesky(R), rows)
                Q = (1 - a_ - b_) * dcc.qbar + a_ * zs[:, :, None] * zs[:, None, :] + b_ * Q
            elif target is not None:
                zs = rows @ L_target.T
            else:
                zs = rows
            eps = np.sqrt(s2) * zs
            cum[lo:hi] += mu + eps
            s2 = omega + (alpha + gamma * (eps < 0)) * eps**2 + beta * s2

    notional = pos.to_numpy()
    gains = notional * (np.expm1(cum) if pnl == "exact" else cum)
    pos_losses = -gains
    port_losses = pos_losses.sum(axis=1)
    rows_out = {}
    per = var_es(pos_losses, lv)  # (levels, 2, N)
    tot = var_es(port_losses, lv)  # (levels, 2)
    cols = {}
    for k, p in enumerate(lv):
        cols[f"var_{p:g}"] = np.concatenate([per[k, 0], [tot[k, 0]], [per[k, 0].sum()]])
        cols[f"es_{p:g}"] = np.concatenate([per[k, 1], [tot[k, 1]], [per[k, 1].sum()]])
    rows_out = pd.DataFrame(
        cols, index=pd.Index([*assets, "portfolio", "sum_single"], name="position")
    )
    return PortfolioRisk(
        table=rows_out,
        losses=port_losses,
        position_losses=pd.DataFrame(pos_losses, columns=assets),
        sigma_forecast=pd.Series(sig0, index=assets, name="sigma_next"),
        correlation_forecast=pd.DataFrame(first_corr, index=assets, columns=assets),
        simulated_returns=pd.DataFrame(cum, columns=assets),
        horizon=h,
        levels=lv,
        vol_model=dcc.vol if dcc is not None else vol_model,
        correlation_method=correlation if isinstance(correlation, str) else "matrix",
        n_sims=int(n_sims),
        n_obs=T,
        pnl=pnl,
        last_date=returns.index[-1],
    )
