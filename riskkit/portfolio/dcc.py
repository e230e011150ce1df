"""Univariate volatility filters and Engle's (2002) DCC(1,1) dynamic conditional correlation.

Neither ``arch`` nor ``statsmodels`` ships a maintained DCC, so riskkit implements the standard
two-step quasi-maximum-likelihood estimator:

1. each asset gets a univariate GARCH(1,1) (or GJR-GARCH(1,1,1)) from riskkit's GARCH layer
   (:class:`riskkit.volatility.GarchSpec`, by its default optimiser; or an EWMA / constant
   volatility); its standardised residuals ``z_t = (r_t - mu) / sigma_t`` are kept;
2. the correlation stage maximises the correlation part of the Gaussian log-likelihood

   ``L_C(a, b) = -1/2 sum_t [log|R_t| + z_t' R_t^{-1} z_t - z_t' z_t]``

   with ``Q_t = (1 - a - b) Qbar + a z_{t-1} z_{t-1}' + b Q_{t-1}``,
   ``R_t = diag(Q_t)^{-1/2} Q_t diag(Q_t)^{-1/2}``, ``Qbar`` the sample second moment of ``z``
   (correlation targeting), subject to ``a, b >= 0``, ``a + b < 1``, by
   :func:`scipy.optimize.minimize` (SLSQP).

The two-step estimator is consistent but not efficient; the usual stage-2 standard errors ignore
the stage-1 estimation error, so riskkit does not report them.

References
----------
Engle, R. F. (2002), "Dynamic conditional correlation: a simple class of multivariate GARCH
models", *Journal of Business & Economic Statistics* 20(3), 339-350.
Engle, R. F. and Sheppard, K. (2001), "Theoretical and empirical properties of dynamic
conditional correlation multivariate GARCH", NBER Working Paper 8554 (multi-step forecasts).
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy.optimize import minimize

from riskkit.exceptions import ConfigError, ConvergenceWarning, DataError, ModelError
from riskkit.portfolio.correlation import pairs_from_matrices
from riskkit.volatility.fast import _jit
from riskkit.volatility.garch import BACKEND_CHOICES, GarchResult, GarchSpec
from riskkit.volatility.historical import ewma_filter
from riskkit.volatility.recursion import filter_variance

__all__ = [
    "UnivariateFilter",
    "fit_univariate",
    "dcc_correlations",
    "DCCCorrelationFit",
    "fit_dcc_correlation",
    "DCC",
    "DCCResult",
    "simulate_dcc",
]

_VOL_MODELS = ("garch", "gjr", "ewma", "constant")


@dataclass
class UnivariateFilter:
    """A fitted univariate volatility filter in return units (not percent).

    ``sigma2_{t+1} = omega + (alpha + gamma 1[eps_t < 0]) eps_t^2 + beta sigma2_t``,
    ``eps_t = r_t - mu``. EWMA is ``omega = gamma = mu = 0``, ``alpha = 1 - lam``,
    ``beta = lam``; ``constant`` is ``alpha = gamma = beta = 0``, ``omega`` = sample variance.

    Attributes
    ----------
    model : str
    mu, omega, alpha, gamma, beta : float
    sigma : Series
        In-sample conditional volatility (date t from data up to t-1).
    std_resid : Series
        Standardised residuals ``(r_t - mu) / sigma_t``.
    next_sigma : float
        Volatility forecast for the day after the sample.
    last_eps : float
        Residual of the last date.
    garch : GarchResult or None
        The GARCH/GJR fit behind the filter (``None`` for EWMA and constant volatility).
    """

    model: str
    mu: float
    omega: float
    alpha: float
    gamma: float
    beta: float
    sigma: pd.Series
    std_resid: pd.Series
    next_sigma: float
    last_eps: float
    garch: GarchResult | None = None

    def params(self) -> pd.Series:
        return pd.Series(
            {
                "mu": self.mu,
                "omega": self.omega,
                "alpha": self.alpha,
                "gamma": self.gamma,
                "beta": self.beta,
            }
        )


def fit_univariate(
    returns: pd.Series,
    model: str = "garch",
    dist: str = "normal",
    mean: str = "constant",
    lam: float = 0.94,
    backend: str = "auto",
) -> UnivariateFilter:
    """Fit a univariate volatility filter (GARCH/GJR, or EWMA / constant).

    Parameters
    ----------
    returns : Series
        Daily log returns (fractions) without gaps.
    model : {"garch", "gjr", "ewma", "constant"}
        GARCH(1,1) or GJR-GARCH(1,1,1) (:class:`riskkit.volatility.GarchSpec`), RiskMetrics
        EWMA (:func:`riskkit.volatility.ewma_filter`, started from the mean square of the first
        30 returns), or constant volatility.
    dist : {"normal", "t", "skewt", "ged"}
        Innovation distribution of the GARCH likelihood (``"normal"`` = QMLE).
    mean : {"constant", "zero"}
        Mean model.
    lam : float
        EWMA decay.
    backend : {"auto", "arch", "fast"}
        Optimiser of the GARCH/GJR fit (:meth:`riskkit.volatility.GarchSpec.fit`): ``arch``, or
        riskkit's compiled likelihood (GARCH(1,1)/GJR(1,1,1) with normal or t innovations; the
        same optimum, 20-50 times faster); ``auto`` (default): the compiled one where it applies.

    Returns
    -------
    UnivariateFilter

    Notes
    -----
    The GARCH filter uses the maximum-likelihood estimate as it is: a fit that does not converge
    warns and keeps the optimiser's last iterate, and no EWMA fallback replaces it (unlike
    :meth:`riskkit.volatility.GarchSpec.fit`'s ``fit_params``), so that every asset of a DCC has
    the model it was asked for. Its variances are :func:`riskkit.volatility.filter_variance`.
    """
    if model not in _VOL_MODELS:
        raise ConfigError(f"vol model must be one of {_VOL_MODELS}, got {model!r}")
    if mean not in ("constant", "zero"):
        raise ConfigError(f"mean must be 'constant' or 'zero', got {mean!r}")
    r = returns.astype(float)
    x = r.to_numpy()
    if len(x) < 30:
        raise DataError(f"{r.name}: a volatility filter needs at least 30 returns, got {len(x)}")
    if not np.isfinite(x).all():
        raise DataError(f"{r.name}: returns contain NaN or inf; align them first")
    if np.std(x) == 0:
        raise ModelError(f"{r.name}: returns are constant; no volatility to model")
    garch = None
    if model in ("garch", "gjr"):
        spec = GarchSpec("GJR" if model == "gjr" else "GARCH", dist=dist, mean=mean, min_obs=30)
        with warnings.catch_warnings():
            # the fit's own warnings concern the fallback, which is not used here
            warnings.simplefilter("ignore")
            garch = spec.fit(r, backend=backend)
        if garch.convergence_flag != 0:
            warnings.warn(
                f"{r.name}: GARCH fit did not converge (flag {garch.convergence_flag}); "
                "using its last iterate",
                ConvergenceWarning,
                stacklevel=2,
            )
        p = garch.raw_params
        mu, omega, alpha, beta = p.mu, p.omega, p.alpha[0], p.beta[0]
        gamma = p.gamma[0] if p.o else 0.0
        s2 = filter_variance(p, x)
    elif model == "ewma":
        if not 0 < lam < 1:
            raise ConfigError(f"lam must be in (0, 1), got {lam}")
        mu, omega, alpha, gamma, beta = 0.0, 0.0, 1 - lam, 0.0, lam
        s2 = ewma_filter(x**2, lam, float(np.mean(x[:30] ** 2)))
    else:
        mu = float(x.mean()) if mean == "constant" else 0.0
        omega, alpha, gamma, beta = float(np.mean((x - mu) ** 2)), 0.0, 0.0, 0.0
        s2 = np.full(len(x) + 1, omega)
    eps = x - mu
    sigma = np.sqrt(s2[:-1])
    return UnivariateFilter(
        model=model,
        mu=mu,
        omega=omega,
        alpha=alpha,
        gamma=gamma,
        beta=beta,
        sigma=pd.Series(sigma, index=r.index, name=r.name),
        std_resid=pd.Series(eps / sigma, index=r.index, name=r.name),
        next_sigma=float(np.sqrt(s2[-1])),
        last_eps=float(eps[-1]),
        garch=garch,
    )


def dcc_correlations(
    z: np.ndarray, a: float, b: float, qbar: np.ndarray | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """DCC(1,1) ``Q_t`` and ``R_t`` paths for standardised residuals ``z`` (T x N).

    Returns ``(Q, R)``, each of shape (T + 1, N, N): entry ``t`` is the forecast for date ``t``
    from residuals up to ``t - 1`` (``Q_0 = Qbar``); entry ``T`` is the next-day forecast.

    Parameters
    ----------
    z : array_like, shape (T, N)
        Standardised residuals (unit variance per column), one column per asset.
    a, b : float
        DCC parameters of ``Q_t = (1 - a - b) Qbar + a z_{t-1} z_{t-1}' + b Q_{t-1}``; not
        validated here (:func:`fit_dcc_correlation` keeps ``a, b >= 0``, ``a + b < 1``).
    qbar : ndarray, shape (N, N), optional
        Unconditional target ``Qbar``; default the full-sample second moment ``z' z / T``.

    Returns
    -------
    Q : ndarray, shape (T + 1, N, N)
        Quasi-correlation matrices.
    R : ndarray, shape (T + 1, N, N)
        Correlation matrices ``diag(Q_t)^{-1/2} Q_t diag(Q_t)^{-1/2}``.

    References
    ----------
    Engle, R. F. (2002), "Dynamic conditional correlation: a simple class of multivariate GARCH
    models", *Journal of Business & Economic Statistics* 20(3), 339-350.
    """
    z = np.asarray(z, dtype=float)
    if qbar is None:
        qbar = z.T @ z / z.shape[0]
    Q = _q_path(z, a, b, qbar)
    d = np.sqrt(np.einsum("tii->ti", Q))
    R = Q / (d[:, :, None] * d[:, None, :])
    return Q, R


def _q_path(z: np.ndarray, a: float, b: float, qbar: np.ndarray) -> np.ndarray:
    """``Q_0 .. Q_T`` of :func:`dcc_correlations` (shape (T + 1, N, N)), by a compiled loop."""
    zz = np.require(z, dtype=np.float64, requirements=("C", "W"))
    qb = np.require(qbar, dtype=np.float64, requirements=("C", "W"))
    return _q_recursion(zz, float(a), float(b), qb)


@_jit
def _q_recursion(z, a, b, qbar):  # pragma: no cover (compiled)
    """``Q_0 = Qbar``, ``Q_t = (1 - a - b) Qbar + a z_{t-1} z_{t-1}' + b Q_{t-1}``."""
    T, N = z.shape
    q = np.empty((T + 1, N, N))
    c = 1.0 - a - b
    for i in range(N):
        for j in range(N):
            q[0, i, j] = qbar[i, j]
    for t in range(1, T + 1):
        for i in range(N):
            zi = a * z[t - 1, i]
            for j in range(i, N):
                v = c * qbar[i, j] + zi * z[t - 1, j] + b * q[t - 1, i, j]
                q[t, i, j] = v
                q[t, j, i] = v
    return q


@_jit
def _gaussian_corr_nll(q, z):  # pragma: no cover (compiled)
    """``1/2 sum_t [log|R_t| + z_t' R_t^-1 z_t - z_t' z_t]`` with ``R_t`` the correlation of
    ``q[t]``, by a Cholesky factorisation per date; ``inf`` if an ``R_t`` is not positive
    definite."""
    T, N = z.shape
    chol = np.zeros((N, N))
    d = np.empty(N)
    y = np.empty(N)
    total = 0.0
    for t in range(T):
        for i in range(N):
            d[i] = np.sqrt(q[t, i, i])
        logdet = 0.0
        for j in range(N):
            s = q[t, j, j] / (d[j] * d[j])
            for k in range(j):
                s -= chol[j, k] * chol[j, k]
            if not s > 0.0:
                return np.inf
            ljj = np.sqrt(s)
            chol[j, j] = ljj
            logdet += 2.0 * np.log(ljj)
            for i in range(j + 1, N):
                s = q[t, i, j] / (d[i] * d[j])
                for k in range(j):
                    s -= chol[i, k] * chol[j, k]
                chol[i, j] = s / ljj
        quad = 0.0
        zz = 0.0
        for i in range(N):
            s = z[t, i]
            for k in range(i):
                s -= chol[i, k] * y[k]
            y[i] = s / chol[i, i]
            quad += y[i] * y[i]
            zz += z[t, i] * z[t, i]
        total += logdet + quad - zz
    return 0.5 * total


def _neg_loglik(theta: np.ndarray, z: np.ndarray, qbar: np.ndarray) -> float:
    """Minus the correlation part of the Gaussian log-likelihood (1e10 outside the domain).

    The ``Q`` path is :func:`dcc_correlations`' recursion; the per-date determinant and
    quadratic form come from one compiled Cholesky factorisation per date (numba), instead of
    batched ``slogdet`` and ``solve`` on a (T, N, N) array (``tests/test_portfolio.py`` checks
    the two agree).
    """
    a, b = theta
    if a < 0 or b < 0 or a + b >= 1:
        return 1e10
    zz = np.require(z, dtype=np.float64, requirements=("C", "W"))
    value = _gaussian_corr_nll(_q_path(zz, float(a), float(b), qbar)[:-1], zz)
    return float(value) if np.isfinite(value) else 1e10


@dataclass(frozen=True)
class DCCCorrelationFit:
    """The correlation stage of a DCC(1,1) fit (see :func:`fit_dcc_correlation`).

    Attributes
    ----------
    a, b : float
        DCC parameters of ``Q_t = (1 - a - b) Qbar + a z_{t-1} z_{t-1}' + b Q_{t-1}``
        (``a, b >= 0``, ``a + b < 1``).
    qbar : ndarray, shape (N, N)
        Correlation target: the sample second moment ``z' z / T`` of the residuals.
    loglik : float
        Correlation part of the Gaussian log-likelihood at ``(a, b)``.
    converged : bool
        Whether SLSQP reported success (if not, ``a`` and ``b`` are its last iterate).
    message : str
        SLSQP's exit message.
    """

    a: float
    b: float
    qbar: np.ndarray
    loglik: float
    converged: bool
    message: str

    @property
    def params(self) -> pd.Series:
        """``a`` and ``b`` as a Series named ``dcc``."""
        return pd.Series({"a": self.a, "b": self.b}, name="dcc")


def fit_dcc_correlation(
    z: np.ndarray | pd.DataFrame, starts: tuple[tuple[float, float], ...] | None = None
) -> DCCCorrelationFit:
    """Correlation stage of the DCC(1,1) two-step QMLE on standardised residuals.

    Parameters
    ----------
    z : array_like (T x N)
        Standardised residuals (unit variance per column).
    starts : tuple of (a, b)
        Starting points; the best is refined with SLSQP.

    Returns
    -------
    DCCCorrelationFit
        ``a``, ``b``, ``qbar``, ``loglik`` (correlation part), ``converged``, ``message``.

    Raises
    ------
    DataError
        If ``z`` is not T x N with N >= 2, has fewer than 100 rows, or holds NaN or inf.
    """
    zz = np.asarray(z, dtype=float)
    if zz.ndim != 2 or zz.shape[1] < 2:
        raise DataError(f"DCC needs a T x N residual matrix with N >= 2, got shape {zz.shape}")
    if zz.shape[0] < 100:
        raise DataError(f"DCC needs at least 100 dates, got {zz.shape[0]}")
    if not np.isfinite(zz).all():
        raise DataError("DCC residuals contain NaN or inf")
    qbar = zz.T @ zz / len(zz)
    starts = starts or ((0.02, 0.95), (0.05, 0.90), (0.10, 0.80), (0.01, 0.50))
    vals = [_neg_loglik(np.array(s), zz, qbar) for s in starts]
    x0 = np.array(starts[int(np.argmin(vals))])
    res = minimize(
        _neg_loglik,
        x0,
        args=(zz, qbar),
        method="SLSQP",
        bounds=[(0.0, 0.999), (0.0, 0.999)],
        constraints=[{"type": "ineq", "fun": lambda t: 0.9999 - t[0] - t[1]}],
        options={"ftol": 1e-10, "maxiter": 500},
    )
    a, b = (float(v) for v in res.x)
    if not res.success:
        warnings.warn(
            f"DCC correlation stage did not converge ({res.message}); using the last iterate "
            f"a={a:.4f}, b={b:.4f}",
            ConvergenceWarning,
            stacklevel=2,
        )
    return DCCCorrelationFit(
        a=max(a, 0.0),
        b=max(b, 0.0),
        qbar=qbar,
        loglik=-float(res.fun),
        converged=bool(res.success),
        message=str(res.message),
    )


@dataclass
class DCCResult:
    """A fitted DCC(1,1) model (see :class:`DCC`).

    Attributes
    ----------
    params : Series
        ``a`` and ``b`` of the correlation stage.
    univariate : dict of str to UnivariateFilter
        The univariate filter of each asset.
    std_resid : DataFrame
        Standardised residuals.
    qbar : ndarray, shape (N, N)
        Correlation target (sample second moment of ``std_resid``).
    Q, R : ndarray, shape (T + 1, N, N)
        Quasi-correlation and correlation paths (entry t conditional on data up to t-1; the
        last entry is the next-day forecast).
    loglik : float
        Correlation-stage log-likelihood.
    converged : bool
        Whether the correlation stage converged.
    message : str
        The correlation-stage optimiser's exit message.
    vol, dist, mean : str
        The univariate volatility model, innovation distribution and mean model
        (see :class:`DCC`).
    """

    params: pd.Series
    univariate: dict[str, UnivariateFilter]
    std_resid: pd.DataFrame
    qbar: np.ndarray
    Q: np.ndarray
    R: np.ndarray
    loglik: float
    converged: bool
    message: str
    vol: str
    dist: str
    mean: str

    @property
    def assets(self) -> pd.Index:
        return self.std_resid.columns

    @property
    def correlation(self) -> pd.DataFrame:
        """In-sample conditional correlations per date, one column per pair ``A/B``."""
        return pairs_from_matrices(self.R[:-1], self.assets, self.std_resid.index)

    def summary(self) -> pd.DataFrame:
        """One row per parameter: univariate filters then the correlation stage."""
        rows = {}
        for name, f in self.univariate.items():
            for k, v in f.params().items():
                rows[(str(name), k)] = v
        rows[("dcc", "a")] = float(self.params["a"])
        rows[("dcc", "b")] = float(self.params["b"])
        rows[("dcc", "persistence a+b")] = float(self.params["a"] + self.params["b"])
        return pd.Series(rows, name="estimate").to_frame()

    def forecast(self, horizon: int = 1) -> np.ndarray:
        """Correlation forecasts for the next ``horizon`` days, shape (horizon, N, N).

        Uses Engle and Sheppard's (2001) approximation
        ``R_{T+k} = (1 - (a+b)^{k-1}) Rbar + (a+b)^{k-1} R_{T+1}``, with ``Rbar`` the
        correlation matrix of ``Qbar``.
        """
        if int(horizon) != horizon or horizon < 1:
            raise ConfigError(f"horizon must be a positive integer, got {horizon}")
        d = np.sqrt(np.diag(self.qbar))
        rbar = self.qbar / np.outer(d, d)
        persistence = float(self.params["a"] + self.params["b"])
        w = persistence ** np.arange(horizon)
        return (1 - w)[:, None, None] * rbar + w[:, None, None] * self.R[-1]


class DCC:
    """DCC(1,1) specification: univariate filters then Engle's correlation stage.

    Parameters
    ----------
    vol : {"garch", "gjr", "ewma", "constant"}
        Univariate volatility filter for every asset (see :func:`fit_univariate`).
    dist : {"normal", "t", "skewt", "ged"}
        Innovation distribution of the univariate GARCH fits (normal = QMLE).
    mean : {"constant", "zero"}
        Mean model of the univariate fits.
    backend : {"auto", "arch", "fast"}
        Optimiser of the univariate GARCH fits (see :func:`fit_univariate`).

    Examples
    --------
    >>> res = DCC().fit(returns)          # doctest: +SKIP
    >>> res.params, res.correlation.tail() # doctest: +SKIP

    Notes
    -----
    See the module docstring for the estimator and its references.
    """

    def __init__(
        self,
        vol: str = "garch",
        dist: str = "normal",
        mean: str = "constant",
        backend: str = "auto",
    ) -> None:
        if vol not in _VOL_MODELS:
            raise ConfigError(f"vol must be one of {_VOL_MODELS}, got {vol!r}")
        if backend not in BACKEND_CHOICES:
            raise ConfigError(f"backend must be one of {BACKEND_CHOICES}, got {backend!r}")
        self.vol, self.dist, self.mean, self.backend = vol, dist, mean, backend

    def fit(self, returns: pd.DataFrame) -> DCCResult:
        """Fit the univariate filters and the correlation stage on aligned returns (T x N)."""
        if not isinstance(returns, pd.DataFrame) or returns.shape[1] < 2:
            raise DataError("DCC.fit needs a DataFrame of aligned returns with >= 2 columns")
        fits = {
            col: fit_univariate(returns[col], self.vol, self.dist, self.mean, backend=self.backend)
            for col in returns.columns
        }
        z = pd.DataFrame({c: f.std_resid for c, f in fits.items()}, index=returns.index)
        stage2 = fit_dcc_correlation(z.to_numpy())
        Q, R = dcc_correlations(z.to_numpy(), stage2.a, stage2.b, stage2.qbar)
        return DCCResult(
            params=stage2.params,
            univariate=fits,
            std_resid=z,
            qbar=stage2.qbar,
            Q=Q,
            R=R,
            loglik=stage2.loglik,
            converged=stage2.converged,
            message=stage2.message,
            vol=self.vol,
            dist=self.dist,
            mean=self.mean,
        )


def simulate_dcc(
    n: int,
    a: float,
    b: float,
    rbar: np.ndarray,
    garch: list[tuple[float, float, float]] | None = None,
    seed: int | np.random.Generator | None = None,
    burn: int = 500,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Simulate a Gaussian DCC(1,1) process (for tests and teaching).

    Parameters
    ----------
    n : int
        Number of dates returned.
    a, b : float
        DCC parameters (``a, b >= 0``, ``a + b < 1``).
    rbar : ndarray (N x N)
        Unconditional correlation (``Qbar``).
    garch : list of (omega, alpha, beta), optional
        GARCH(1,1) per asset for the returns; without it the returns are the residuals.
    seed : int or Generator

    Returns
    -------
    (returns, z, R) : ndarrays of shapes (n, N), (n, N), (n, N, N)
    """
    if a < 0 or b < 0 or a + b >= 1:
        raise ConfigError(f"need a, b >= 0 and a + b < 1, got a={a}, b={b}")
    rng = seed if isinstance(seed, np.random.Generator) else np.random.default_rng(seed)
    rbar = np.asarray(rbar, dtype=float)
    N = rbar.shape[0]
    total = n + burn
    Q = rbar.copy()
    z = np.empty((total, N))
    R = np.empty((total, N, N))
    for t in range(total):
        d = np.sqrt(np.diag(Q))
        R[t] = Q / np.outer(d, d)
        z[t] = np.linalg.cholesky(R[t]) @ rng.standard_normal(N)
        Q = (1 - a - b) * rbar + a * np.outer(z[t], z[t]) + b * Q
    ret = z.copy()
    if garch is not None:
        for i, (omega, alpha, beta) in enumerate(garch):
            s2 = omega / (1 - alpha - beta)
            for t in range(total):
                ret[t, i] = np.sqrt(s2) * z[t, i]
                s2 = omega + alpha * ret[t, i] ** 2 + beta * s2
    return ret[burn:], z[burn:], R[burn:]
