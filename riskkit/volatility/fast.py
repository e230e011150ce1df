"""Fast GARCH(1,1) and GJR-GARCH(1,1,1) estimation for the rolling backtest engine.

The rolling engine refits a GARCH model on every forecast date. ``arch`` is the reference
implementation but each ``arch_model(...).fit()`` pays for model construction, numerical
gradients and a grid search for starting values. This module computes the same Gaussian or
Student-t likelihood with an **analytic gradient** in numpy and re-estimates from the previous
day's parameters (warm start), which is what makes daily refits cheap.

The variance recursion ``s2[t] = x[t] + beta * s2[t-1]`` is a first-order linear filter, so
``scipy.signal.lfilter`` computes it (and the recursion of every derivative of ``s2`` with respect
to the parameters, stacked in one call) without a Python loop.

Optimisation: SLSQP (bounds, stationarity constraint) in coordinates whitened by the Hessian at
the start (numerical derivative of the analytic gradient), so that a warm start converges in
about three iterations; on later days, while the previous day's Hessian still works, plain
Newton steps with that Hessian from the previous estimate, falling back to SLSQP whenever a step
would leave the feasible region. A warm start that ends on the alpha = 0 or beta = 0 boundary is
checked against a cold start (arch-like grid of starting values).

Everything matches ``arch`` (version 7-8) so that the estimates coincide:

* returns are scaled to percent (x100) before estimation, as ``arch`` users conventionally do;
  parameters are reported on that scale (``omega`` in percent squared), forecasts in fractions;
* parameterisation ``s2[t] = omega + alpha e[t-1]^2 + gamma e[t-1]^2 1{e[t-1] < 0} + beta s2[t-1]``;
* initial variance: the backcast ``sum_i w_i e_i^2`` over the first ``min(75, n)`` residuals
  with weights proportional to 0.94^i, computed once from the residuals at the starting mean
  (sample mean for a constant mean) and held fixed during estimation; for t = 0 the asymmetric
  term uses half the backcast;
* bounds and constraints: ``omega`` in ``[1e-8 v, 10 v]`` (v the mean squared residual),
  ``0 <= alpha <= 1``, ``-1 <= gamma <= 2``, ``alpha + gamma >= 0``, ``0 <= beta <= 1``,
  ``alpha + gamma/2 + beta <= 1``; ``nu`` in ``[2.05, 500]``; SLSQP as in ``arch``.

The GARCH likelihood can be flat or have two optima (persistence near one with alpha near
zero, or a heavy-tailed sample); a warm-started estimate then follows the optimum it started in
and may differ from a cold start's. ``benchmarks/rolling_backtest.py`` counts such days and
compares the two likelihoods.

``arch`` additionally clips the conditional variance to loose bounds (1e-6 to 1e6 times an EWMA
variance); these never bind at sensible parameters and are not reproduced.

References
----------
Bollerslev, T. (1986), "Generalized autoregressive conditional heteroskedasticity", Journal of
Econometrics 31, 307-327. Glosten, L., Jagannathan, R. and Runkle, D. (1993), Journal of
Finance 48, 1779-1801. Sheppard, K., ``arch`` documentation, https://arch.readthedocs.io.
"""

from __future__ import annotations

import functools
import warnings
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
from scipy import optimize, signal, special, stats

from riskkit.exceptions import ConfigError, ConvergenceWarning, DataError, ModelError
from riskkit.risk.base import RiskEstimator
from riskkit.risk.closed_form import normal_var_es, weighted_var_es

__all__ = ["FastGarch", "GarchParams", "garch_loglik", "backcast"]

#: percent scaling applied to fractional returns before estimation (as ``arch`` users do)
SCALE = 100.0
_VOLS = ("GARCH", "GJR")
_DISTS = ("normal", "t")
_MEANS = ("zero", "constant")
_LOG2PI = float(np.log(2 * np.pi))


def backcast(resids: np.ndarray) -> float:
    """``arch``'s initial variance: EWMA(0.94) weighted mean of the first min(75, n) squared residuals."""
    tau = min(75, resids.shape[0])
    w = 0.94 ** np.arange(tau)
    w = w / w.sum()
    return float(np.sum(resids[:tau] ** 2 * w))


@dataclass(frozen=True)
class GarchParams:
    """Fitted parameters on the percent scale (``arch`` convention).

    Attributes
    ----------
    vol, dist, mean : str
        Model settings.
    mu, omega, alpha, gamma, beta : float
        Mean (percent) and variance parameters (``omega`` in percent squared); ``gamma`` is 0 for
        GARCH, ``mu`` 0 for a zero mean.
    nu : float
        Student-t degrees of freedom (``inf`` for normal innovations).
    loglik : float
        Log-likelihood of the percent-scaled returns (comparable to ``arch``'s ``loglikelihood``).
    nobs : int
        Number of returns the fit used.
    converged : bool
        Whether the optimiser reported success.
    info : dict
        Optimiser iterations, message, and the fallback used if any.
    """

    vol: str
    dist: str
    mean: str
    mu: float
    omega: float
    alpha: float
    gamma: float
    beta: float
    nu: float
    loglik: float
    nobs: int
    converged: bool
    info: dict = field(default_factory=dict, compare=False)

    @property
    def persistence(self) -> float:
        """``alpha + gamma/2 + beta``."""
        return self.alpha + 0.5 * self.gamma + self.beta

    def to_arch(self) -> np.ndarray:
        """Parameter vector in ``arch``'s order: [mu], omega, alpha, [gamma], beta, [nu]."""
        return _pack(self.vol, self.dist, self.mean, self)


@functools.cache
def _names(vol: str, dist: str, mean: str) -> tuple[str, ...]:
    names = ["mu"] if mean == "constant" else []
    names += ["omega", "alpha"] + (["gamma"] if vol == "GJR" else []) + ["beta"]
    return tuple(names + (["nu"] if dist == "t" else []))


def _pack(vol, dist, mean, p: GarchParams) -> np.ndarray:
    return np.array([getattr(p, n) for n in _names(vol, dist, mean)], dtype=float)


def _unpack(theta: np.ndarray, vol: str, dist: str, mean: str) -> dict:
    d = dict(zip(_names(vol, dist, mean), theta, strict=True))
    d.setdefault("mu", 0.0)
    d.setdefault("gamma", 0.0)
    d.setdefault("nu", np.inf)
    return d


def _variance(
    e: np.ndarray, omega: float, alpha: float, gamma: float, beta: float, bc: float
) -> np.ndarray:
    e2 = e * e
    x = np.empty_like(e)
    x[0] = omega + (alpha + 0.5 * gamma + beta) * bc
    x[1:] = omega + alpha * e2[:-1] + gamma * (e2[:-1] * (e[:-1] < 0))
    return signal.lfilter([1.0], [1.0, -beta], x)


def garch_loglik(
    theta: np.ndarray,
    y: np.ndarray,
    bc: float,
    vol: str = "GARCH",
    dist: str = "normal",
    mean: str = "zero",
    gradient: bool = False,
    scores: bool = False,
):
    """Log-likelihood (and its analytic gradient) of GARCH/GJR with normal or t innovations.

    Parameters
    ----------
    theta : numpy.ndarray
        Parameters in ``arch`` order ([mu], omega, alpha, [gamma], beta, [nu]).
    y : numpy.ndarray
        Returns on the scale of ``theta`` (percent for riskkit's fits).
    bc : float
        Backcast (initial variance), see :func:`backcast`.
    vol, dist, mean : str
        Model.
    gradient : bool
        Also return the gradient with respect to ``theta``.
    scores : bool
        Also return the per-observation scores (implies ``gradient``).

    Returns
    -------
    float or tuple
        Log-likelihood (sum over observations); with ``gradient`` also its gradient; with
        ``scores`` also the ``(len(theta), n)`` matrix of per-observation scores.

    Notes
    -----
    With ``s2 = lfilter([1], [1, -beta], x)`` every derivative obeys the same filter:
    ``ds2/dtheta = lfilter([1], [1, -beta], dx/dtheta + [theta = beta] s2[t-1])``, so all
    derivatives cost one vectorised ``lfilter`` call on a stacked array.
    """
    p = _unpack(theta, vol, dist, mean)
    mu, omega, alpha, gamma, beta, nu = (
        p[k] for k in ("mu", "omega", "alpha", "gamma", "beta", "nu")
    )
    gradient = gradient or scores
    e = y - mu
    s2 = _variance(e, omega, alpha, gamma, beta, bc)
    if not (s2.min() > 0 and np.isfinite(s2.sum())):
        if scores:
            return -np.inf, np.full(len(theta), np.nan), np.full((len(theta), len(y)), np.nan)
        return (-np.inf, np.full(len(theta), np.nan)) if gradient else -np.inf
    e2 = e * e
    if dist == "normal":
        ll = -0.5 * (_LOG2PI * len(y) + np.sum(np.log(s2) + e2 / s2))
        if not gradient:
            return float(ll)
        dl_ds2 = -0.5 * (1.0 / s2 - e2 / (s2 * s2))
        dl_de = -e / s2
    else:
        k = e2 / (s2 * (nu - 2))
        a = 1.0 + k
        const = (
            special.gammaln((nu + 1) / 2) - special.gammaln(nu / 2) - 0.5 * np.log(np.pi * (nu - 2))
        )
        ll = len(y) * const - 0.5 * np.sum(np.log(s2)) - 0.5 * (nu + 1) * np.sum(np.log1p(k))
        if not gradient:
            return float(ll)
        dl_ds2 = -0.5 / s2 + 0.5 * (nu + 1) * k / (a * s2)
        dl_de = -(nu + 1) * e / (s2 * (nu - 2) * a)
        dl_dnu_t = (
            0.5 * special.digamma((nu + 1) / 2) - 0.5 * special.digamma(nu / 2) - 0.5 / (nu - 2)
        ) + (-0.5 * np.log1p(k) + 0.5 * (nu + 1) * k / ((nu - 2) * a))
    # rows: d x / d theta for the parameters that enter the variance (all but nu)
    var_names = [nm for nm in _names(vol, dist, mean) if nm != "nu"]
    n = len(y)
    neg = e < 0
    dx = np.zeros((len(var_names), n))
    for i, name in enumerate(var_names):
        row = dx[i]
        if name == "omega":
            row[:] = 1.0
        elif name == "alpha":
            row[0] = bc
            row[1:] = e2[:-1]
        elif name == "gamma":
            row[0] = 0.5 * bc
            row[1:] = e2[:-1] * neg[:-1]
        elif name == "beta":
            row[0] = bc
            row[1:] = s2[:-1]
        else:  # mu. e = y - mu: d(e^2)/dmu = -2e; the backcast is held fixed, as in arch
            row[1:] = -2.0 * e[:-1] * (alpha + gamma * neg[:-1])
    ds2 = signal.lfilter([1.0], [1.0, -beta], dx, axis=1)
    if scores:
        per_obs = ds2 * dl_ds2
        if mean == "constant":
            per_obs[0] -= dl_de
        if dist == "t":
            per_obs = np.vstack([per_obs, dl_dnu_t])
        return float(ll), per_obs.sum(axis=1), per_obs
    grad = ds2 @ dl_ds2
    if mean == "constant":
        grad[0] -= np.sum(dl_de)
    if dist == "t":
        grad = np.append(grad, np.sum(dl_dnu_t))
    return float(ll), grad


@functools.lru_cache(maxsize=64)
def _std_normal_var_es(level: float) -> tuple[float, float]:
    return normal_var_es(level)


def _std_quantile_es(dist: str, level: float, nu: float) -> tuple[float, float]:
    """VaR and ES of ``-Z`` for unit-variance Z (normal or t): the riskkit closed forms.

    Normal: :func:`riskkit.risk.normal_var_es`, cached per level. Student-t: the formula of
    :func:`riskkit.risk.student_t_var_es` with ``sigma=1`` (McNeil, Frey & Embrechts 2015,
    eq. 2.19), evaluated with ``scipy.special`` because ``nu`` changes at every refit and the
    ``scipy.stats`` path costs ~0.2 ms a call, about a tenth of a warm-started fit in the rolling
    engine. ``tests/test_fast_garch.py`` asserts both equal the closed forms.
    """
    if dist == "normal":
        return _std_normal_var_es(float(level))
    p = 1.0 - level
    q = float(special.stdtrit(nu, level))
    log_pdf = (
        special.gammaln((nu + 1) / 2)
        - special.gammaln(nu / 2)
        - 0.5 * np.log(nu * np.pi)
        - 0.5 * (nu + 1) * np.log1p(q * q / nu)
    )
    es = np.exp(log_pdf) / p * (nu + q * q) / (nu - 1)
    s = np.sqrt((nu - 2) / nu)
    return float(q * s), float(es * s)


class FastGarch(RiskEstimator):
    """GARCH(1,1) or GJR-GARCH(1,1,1) VaR/ES with analytic-gradient estimation and warm starts.

    Parameters
    ----------
    vol : {'GARCH', 'GJR'}
        Variance model.
    dist : {'normal', 't'}
        Innovation distribution (Student-t standardised to unit variance, as in ``arch``).
    mean : {'zero', 'constant'}
        Mean model of the returns.
    n_sims : int
        Simulated paths for horizons longer than one period.

    Notes
    -----
    ``fit`` returns a :class:`GarchParams` (percent scale, like ``arch``). ``forecast`` filters
    the returns it is given through fixed parameters (backcast recomputed on that window, as
    ``arch`` does when it refits) and gives the one-step-ahead VaR and ES in closed form; for
    h > 1 it simulates the GARCH recursion with the estimator's innovations using ``rng``.
    Validated against ``arch`` in ``tests/test_fast_garch.py``.
    """

    min_obs = 100

    def __init__(
        self, vol: str = "GARCH", dist: str = "normal", mean: str = "zero", n_sims: int = 20_000
    ) -> None:
        if vol not in _VOLS:
            raise ConfigError(f"vol must be one of {_VOLS}, got {vol!r}")
        if dist not in _DISTS:
            raise ConfigError(f"dist must be one of {_DISTS}, got {dist!r}")
        if mean not in _MEANS:
            raise ConfigError(f"mean must be one of {_MEANS}, got {mean!r}")
        if int(n_sims) < 100:
            raise ConfigError(f"n_sims must be >= 100, got {n_sims!r}")
        self.vol = vol
        self.dist = dist
        self.mean = mean
        self.n_sims = int(n_sims)

    @property
    def name(self) -> str:  # type: ignore[override]
        return f"fast-{self.vol.lower()}-{self.dist}"

    # -- estimation -------------------------------------------------------------------------
    def _bounds(self, e: np.ndarray, y: np.ndarray) -> list[tuple[float | None, float | None]]:
        v = float(np.mean(e * e))
        b: list[tuple[float | None, float | None]] = []
        if self.mean == "constant":
            s = float(np.std(y)) + abs(float(np.mean(y)))
            b.append((-10 * s, 10 * s))
        b += [(1e-8 * v, 10.0 * v), (0.0, 1.0)]
        if self.vol == "GJR":
            b.append((-1.0, 2.0))
        b.append((0.0, 1.0))
        if self.dist == "t":
            b.append((2.05, 500.0))
        return b

    def _linear_constraints(self, k: int) -> list[tuple[np.ndarray, float]]:
        """(a, b) pairs meaning ``a @ theta + b >= 0``: stationarity, and alpha + gamma >= 0."""
        off = 1 if self.mean == "constant" else 0
        ia, ib = off + 1, off + (3 if self.vol == "GJR" else 2)
        a = np.zeros(k)
        a[ia] = -1.0
        a[ib] = -1.0
        cons = []
        if self.vol == "GJR":
            a[ia + 1] = -0.5
            g = np.zeros(k)
            g[ia] = g[ia + 1] = 1.0
            cons.append((g, 0.0))
        cons.append((a, 1.0))
        return cons

    def _start(self, y: np.ndarray, e: np.ndarray, bc: float) -> np.ndarray:
        """Grid of arch-like starting values, best Gaussian likelihood wins."""
        target = float(np.mean(e * e))
        best, best_ll = None, -np.inf
        for alpha in (0.02, 0.05, 0.1, 0.2):
            for gamma in (0.0,) if self.vol == "GARCH" else (0.02, 0.05, 0.1):
                for pers in (0.7, 0.9, 0.95, 0.98):
                    beta = pers - alpha - 0.5 * gamma
                    if beta <= 0:
                        continue
                    omega = (1 - pers) * target
                    ll = garch_loglik(
                        np.array([omega, alpha, gamma, beta]), e, bc, "GJR", "normal", "zero"
                    )
                    if ll > best_ll:
                        best, best_ll = (omega, alpha, gamma, beta), ll
        assert best is not None
        omega, alpha, gamma, beta = best
        theta = [float(np.mean(y))] if self.mean == "constant" else []
        theta += [omega, alpha] + ([gamma] if self.vol == "GJR" else []) + [beta]
        if self.dist == "t":
            s2 = _variance(e, omega, alpha, gamma, beta, bc)
            kurt = float(stats.kurtosis(e / np.sqrt(s2), fisher=False))
            theta.append(max((4.0 * kurt - 6.0) / (kurt - 3.0) if kurt > 3.75 else 12.0, 4.0))
        return np.array(theta)

    def _curvature(self, x0: np.ndarray, y: np.ndarray, bc: float) -> np.ndarray:
        """Hessian of -loglik/n at ``x0`` by differencing the analytic gradient; BHHH if not p.d.

        For returns far from normal the Gaussian quasi-likelihood's BHHH matrix overstates the
        curvature by about the kurtosis, so the (cheap: k gradient calls) Hessian preconditions
        better; the BHHH outer product is the fallback away from the optimum.
        """
        n, k = len(y), len(x0)
        ll0, g0, sc = garch_loglik(x0, y, bc, self.vol, self.dist, self.mean, scores=True)
        if not np.isfinite(ll0):
            return np.eye(k)
        hess = np.empty((k, k))
        for i in range(k):
            h = 1e-6 * max(abs(x0[i]), 1e-3)
            xi = x0.copy()
            xi[i] += h
            lli, gi = garch_loglik(xi, y, bc, self.vol, self.dist, self.mean, gradient=True)
            hess[i] = -(gi - g0) / (h * n) if np.isfinite(lli) else np.nan
        hess = 0.5 * (hess + hess.T)
        if np.all(np.isfinite(hess)) and np.all(np.linalg.eigvalsh(hess) > 0):
            return hess
        opg = sc @ sc.T / n
        return opg + 1e-10 * np.trace(opg) / k * np.eye(k)

    def _newton(self, y, bc, x0, bounds, tmat, max_iter: int = 8, tol: float = 1e-10):
        """Quasi-Newton steps with yesterday's inverse Hessian ``tmat @ tmat.T``, interior only.

        A day's change of window moves the optimum a little and the Hessian hardly at all, so a
        fixed-Hessian Newton iteration from the warm start converges in 2-3 likelihood calls
        without the overhead of SLSQP. Stops when the Newton decrement ``g' H^-1 g`` (in units of
        the mean log-likelihood) is below ``tol``; returns None (SLSQP takes over) if a step
        leaves the feasible region, fails to decrease the objective, or does not converge.
        """
        n = len(y)
        lo = np.array([-np.inf if b[0] is None else b[0] for b in bounds])
        hi = np.array([np.inf if b[1] is None else b[1] for b in bounds])
        lin = self._linear_constraints(len(x0))

        def feasible(theta):
            return (
                np.all(theta > lo) and np.all(theta < hi) and all(a @ theta + b > 0 for a, b in lin)
            )

        def nll(theta):
            ll, g = garch_loglik(theta, y, bc, self.vol, self.dist, self.mean, gradient=True)
            return -ll / n, -g / n

        theta = x0
        if not feasible(theta):
            return None
        f, g = nll(theta)
        if not np.isfinite(f):
            return None
        for it in range(1, max_iter + 1):
            step = -tmat @ (tmat.T @ g)
            decrement = -float(g @ step)
            if decrement < 0:
                return None
            if decrement < tol:
                return optimize.OptimizeResult(
                    x=theta, fun=f, success=True, nit=it, message="Newton decrement below tol",
                    tmat=tmat,
                )  # fmt: skip
            t = 1.0
            while True:
                cand = theta + t * step
                if feasible(cand):
                    f_new, g_new = nll(cand)
                    if np.isfinite(f_new) and f_new <= f - 1e-4 * t * decrement:
                        break
                t *= 0.5
                if t < 1e-3:
                    return None
            theta, f, g = cand, f_new, g_new
        return None

    def _optimise(self, y, bc, x0, bounds, tmat=None):
        """SLSQP on -loglik/n in coordinates whitened by the BHHH information at the start.

        SLSQP starts its quasi-Newton Hessian at the identity. GARCH parameters differ in
        curvature by orders of magnitude and alpha/beta are strongly correlated, so even from a
        warm start the raw problem needs ~15 iterations. With ``theta = x0 + L^-T u``, where
        ``L L^T`` is the outer product of the per-observation scores at ``x0`` (BHHH, equal to
        the information matrix at the optimum of a correct model), the identity is a good
        Hessian and a warm start converges in a few iterations. Bounds and the stationarity
        constraint are linear in theta, hence linear in u. This changes the path, not the optimum.
        """
        n = len(y)
        k = len(x0)
        if tmat is None or tmat.shape != (k, k):
            info = self._curvature(x0, y, bc)
            try:
                chol = np.linalg.cholesky(info)
            except np.linalg.LinAlgError:
                chol = np.diag(np.sqrt(np.maximum(np.abs(np.diag(info)), 1e-12)))
            # theta = x0 + T u with T = L^-T; d f/d u = T^T grad_theta
            tmat = np.linalg.inv(chol).T

        def fun(u):
            theta = x0 + tmat @ u
            ll, g = garch_loglik(theta, y, bc, self.vol, self.dist, self.mean, gradient=True)
            if not np.isfinite(ll):
                return 1e10, np.zeros_like(u)
            return -ll / n, -(tmat.T @ g) / n

        rows, offs = [], []  # inequality constraints a @ theta + b >= 0, bounds included
        for i, (lo, hi) in enumerate(bounds):
            if lo is not None:
                a = np.zeros(k)
                a[i] = 1.0
                rows.append(a)
                offs.append(-lo)
            if hi is not None:
                a = np.zeros(k)
                a[i] = -1.0
                rows.append(a)
                offs.append(hi)
        for a, b in self._linear_constraints(k):
            rows.append(a)
            offs.append(b)
        amat, bvec = np.array(rows), np.array(offs)
        cmat = amat @ tmat
        cvec = amat @ x0 + bvec
        cons = [{"type": "ineq", "fun": lambda u: cmat @ u + cvec, "jac": lambda u: cmat}]
        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", "Values in x were outside bounds", RuntimeWarning)
            res = optimize.minimize(
                fun,
                np.zeros(k),
                jac=True,
                method="SLSQP",
                constraints=cons,
                options={"ftol": 1e-10, "maxiter": 300},
            )
        res.x = x0 + tmat @ res.x
        res.tmat = tmat
        # tiny infeasibilities of the last iterate (1e-12) are clipped back into the box
        lo = np.array([-np.inf if b[0] is None else b[0] for b in bounds])
        hi = np.array([np.inf if b[1] is None else b[1] for b in bounds])
        res.x = np.clip(res.x, lo, hi)
        return res

    def _prepare(self, returns: np.ndarray) -> tuple[np.ndarray, np.ndarray, float]:
        r = np.asarray(returns, dtype=float)
        if r.ndim != 1 or len(r) < self.min_obs:
            raise ModelError(
                f"{self!r} needs at least {self.min_obs} returns, got {r.shape[0] if r.ndim else 0}"
            )
        if not np.all(np.isfinite(r)):
            raise DataError(f"{self!r}: returns contain NaN or infinite values")
        y = SCALE * r
        e0 = y - np.mean(y) if self.mean == "constant" else y
        if not np.any(e0 != 0):
            raise ModelError(f"{self!r}: returns are constant, the variance cannot be estimated")
        return y, e0, backcast(e0)

    def _on_boundary(self, theta: np.ndarray) -> bool:
        """alpha or beta at zero: beta (or alpha) is then unidentified and a warm start can stay
        trapped in the corner while a better interior optimum exists; a cold start checks."""
        d = _unpack(theta, self.vol, self.dist, self.mean)
        return d["alpha"] + max(d["gamma"], 0.0) < 1e-6 or d["beta"] < 1e-6

    def fit(self, returns: np.ndarray, warm_start: GarchParams | None = None) -> GarchParams:
        """Maximum likelihood on ``returns`` (fractions), starting from ``warm_start`` if given.

        Falls back to a cold start (arch-like grid) if the warm-started optimiser fails or ends on
        the alpha = 0 or beta = 0 boundary (where the likelihood is flat and a warm start can stay
        trapped), keeping the better of the two, and warns with
        :class:`~riskkit.exceptions.ConvergenceWarning` if no attempt converges.
        """
        y, e0, bc = self._prepare(returns)
        bounds = self._bounds(e0, y)
        attempts: list[tuple[str, np.ndarray | None]] = []
        if warm_start is not None:
            lo = np.array([-np.inf if b[0] is None else b[0] for b in bounds])
            hi = np.array([np.inf if b[1] is None else b[1] for b in bounds])
            x0 = np.clip(_pack(self.vol, self.dist, self.mean, warm_start), lo, hi)
            attempts.append(("warm", x0))
        attempts.append(("cold", None))  # built only if needed: the grid costs ~30 likelihoods
        res, used = None, None
        for label, x0 in attempts:
            start = self._start(y, e0, bc) if x0 is None else x0
            # reuse yesterday's preconditioner while it still gives fast convergence
            reuse = label == "warm" and warm_start.info.get("nit", 99) <= 4
            tmat = warm_start.info.get("precond") if reuse else None
            trial = None
            if tmat is not None and tmat.shape == (len(start), len(start)):
                trial = self._newton(y, bc, start, bounds, tmat)
            if trial is None:
                trial = self._optimise(y, bc, start, bounds, tmat)
            good = trial.success and np.isfinite(trial.fun) and trial.fun < 1e9
            if res is None or (good and trial.fun < res.fun) or not (res.success and res.fun < 1e9):
                res, used = trial, label
            if good and not (label == "warm" and self._on_boundary(trial.x)):
                break
        assert res is not None
        ok = bool(res.success and res.fun < 1e9)
        if not ok:
            warnings.warn(
                f"{self!r}: SLSQP did not converge ({res.message}); using its last iterate",
                ConvergenceWarning,
                stacklevel=2,
            )
        d = _unpack(res.x, self.vol, self.dist, self.mean)
        return GarchParams(
            vol=self.vol,
            dist=self.dist,
            mean=self.mean,
            mu=float(d["mu"]),
            omega=float(d["omega"]),
            alpha=float(d["alpha"]),
            gamma=float(d["gamma"]),
            beta=float(d["beta"]),
            nu=float(d["nu"]),
            loglik=float(-res.fun * len(y)),
            nobs=len(y),
            converged=ok,
            info={
                "start": used,
                "nit": int(res.nit),
                "message": str(res.message),
                "precond": res.tmat,
            },
        )

    # -- forecasting ------------------------------------------------------------------------
    def _next_variance(self, returns: np.ndarray, params: GarchParams) -> tuple[float, float]:
        """One-step-ahead conditional variance (percent^2) after the last return, and last e."""
        y = SCALE * np.asarray(returns, dtype=float)
        e0 = y - np.mean(y) if self.mean == "constant" else y
        bc = backcast(e0)
        e = y - params.mu
        s2 = _variance(e, params.omega, params.alpha, params.gamma, params.beta, bc)
        last = e[-1]
        nxt = (
            params.omega
            + (params.alpha + params.gamma * (last < 0)) * last * last
            + params.beta * s2[-1]
        )
        return float(nxt), float(last)

    def forecast_volatility(
        self, returns: np.ndarray, params: GarchParams, horizon: int = 1
    ) -> float:
        """Standard deviation of the next ``horizon``-period return (fraction).

        Sum of the analytic multi-step variance forecasts (GARCH returns are uncorrelated).
        """
        s2, _ = self._next_variance(returns, params)
        pers = params.persistence
        uncond_part = params.omega
        total, cur = 0.0, s2
        for _ in range(int(horizon)):
            total += cur
            cur = uncond_part + pers * cur
        return float(np.sqrt(total) / SCALE)

    def forecast(
        self,
        returns: np.ndarray,
        params: GarchParams,
        levels: Sequence[float],
        horizon: int = 1,
        rng: np.random.Generator | None = None,
    ) -> np.ndarray:
        """VaR and ES (fractions, positive) of the loss over the next ``horizon`` periods.

        One period: ``VaR = sigma z_level - mu`` and ``ES = sigma es_level - mu`` with the
        unit-variance normal or t quantile/ES. Longer horizons: ``n_sims`` simulated paths of the
        GARCH recursion (losses on the log-return scale, summed over the horizon), with the
        empirical VaR/ES of :func:`riskkit.risk.empirical_var_es`.
        """
        s2, last = self._next_variance(returns, params)
        if horizon == 1:
            out = np.empty((len(levels), 2))
            sigma = np.sqrt(s2)
            for i, lv in enumerate(levels):
                q, es = _std_quantile_es(self.dist, lv, params.nu)
                out[i] = [(sigma * q - params.mu) / SCALE, (sigma * es - params.mu) / SCALE]
            return out
        rng = np.random.default_rng() if rng is None else rng
        n = self.n_sims
        total = np.zeros(n)
        var_t = np.full(n, s2)
        for _ in range(int(horizon)):
            if self.dist == "normal":
                z = rng.standard_normal(n)
            else:
                z = rng.standard_t(params.nu, n) * np.sqrt((params.nu - 2) / params.nu)
            e = np.sqrt(var_t) * z
            total += params.mu + e
            var_t = (
                params.omega + (params.alpha + params.gamma * (e < 0)) * e * e + params.beta * var_t
            )
        # the empirical VaR/ES of riskkit.risk (lower quantile, exact tail average)
        return weighted_var_es(-total / SCALE, None, tuple(levels))
