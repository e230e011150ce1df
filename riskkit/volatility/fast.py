"""Fast maximum likelihood for GARCH(1,1) and GJR-GARCH(1,1,1): the ``backend="fast"`` of
:meth:`riskkit.volatility.GarchSpec.fit`.

The rolling engine refits a GARCH model on every forecast date. ``arch`` is the reference
implementation but each ``arch_model(...).fit()`` pays for model construction, numerical
gradients and a grid search for starting values. This module computes the same Gaussian or
Student-t likelihood with an **analytic gradient** in numpy and re-estimates from the previous
day's parameters (warm start), which is what makes daily refits cheap. The estimator that uses
it in the rolling engine is :class:`riskkit.risk.FastGarch`.

The variance recursion is riskkit's one GARCH filter,
:func:`riskkit.volatility.processes.garch_variance` (``s2[t] = x[t] + beta * s2[t-1]``, a
first-order linear filter), and every derivative of ``s2`` with respect to the parameters obeys
the same filter, so ``scipy.signal.lfilter`` computes them all in one call without a Python loop.

Optimisation: SLSQP (bounds, stationarity constraint) in coordinates whitened by the Hessian at
the start (numerical derivative of the analytic gradient), so that a warm start converges in
about three iterations; on later days, while the previous day's Hessian still works, plain
Newton steps with that Hessian from the previous estimate, falling back to SLSQP whenever a step
would leave the feasible region. A warm start that ends on the alpha = 0 or beta = 0 boundary is
checked against a cold start (arch-like grid of starting values).

Everything matches ``arch`` (version 7-8) so that the estimates coincide:

* returns are multiplied by the power of ten of :func:`riskkit.volatility.garch.choose_scale`
  (100 for daily crypto returns) before estimation, the same rule as the ``arch`` backend;
* parameterisation ``s2[t] = omega + alpha e[t-1]^2 + gamma e[t-1]^2 1{e[t-1] < 0} + beta s2[t-1]``;
* initial variance: ``arch``'s backcast (:func:`riskkit.volatility.recursion.backcast`),
  computed once from the residuals at the starting mean (sample mean for a constant mean) and
  held fixed during estimation; for t = 0 the asymmetric term uses half the backcast;
* bounds and constraints: ``omega`` in ``[1e-8 v, 10 v]`` (v the mean squared residual),
  ``0 <= alpha <= 1``, ``-1 <= gamma <= 2``, ``alpha + gamma >= 0``, ``0 <= beta <= 1``,
  ``alpha + gamma/2 + beta <= 1``; ``nu`` in ``[2.05, 500]``; SLSQP as in ``arch``.

The GARCH likelihood can be flat or have two optima (persistence near one with alpha near
zero, or a heavy-tailed sample); a warm-started estimate then follows the optimum it started in
and may differ from a cold start's. ``benchmarks/rolling_backtest.py`` counts such days and
compares the two likelihoods.

References
----------
Bollerslev, T. (1986), "Generalized autoregressive conditional heteroskedasticity", Journal of
Econometrics 31, 307-327. Glosten, L., Jagannathan, R. and Runkle, D. (1993), Journal of
Finance 48, 1779-1801. Sheppard, K., ``arch`` documentation, https://arch.readthedocs.io.
"""

from __future__ import annotations

import functools
import warnings
from dataclasses import dataclass

import numpy as np
from scipy import optimize, signal, special, stats

from riskkit.exceptions import ConfigError
from riskkit.volatility.processes import garch_variance
from riskkit.volatility.recursion import backcast

__all__ = [
    "FAST_DISTS",
    "FAST_VOLS",
    "FastLikelihood",
    "FastState",
    "backcast",
    "check_fast_spec",
    "garch_loglik",
]

FAST_VOLS = ("GARCH", "GJR")
FAST_DISTS = ("normal", "t")
_MEANS = ("zero", "constant")
_LOG2PI = float(np.log(2 * np.pi))


#: public names of riskkit 0.1 that are gone from this module, and where to look instead; an
#: alias would be wrong: 0.1's parameters were on the percent scale, today's are in return units
_REMOVED = {
    "GarchParams": (
        "riskkit.volatility.fast.GarchParams moved: use riskkit.volatility.GarchParams "
        "(return units; 0.1's percent units are gone)"
    ),
    "SCALE": (
        "riskkit.volatility.fast.SCALE (a fixed 100) is gone: the estimators scale returns by "
        "riskkit.volatility.choose_scale(std) (a power of ten, 100 for daily crypto returns) "
        "and report parameters in return units (riskkit.volatility.GarchParams)"
    ),
}


def __getattr__(name: str):
    # FastGarch (a VaR/ES estimator) lives in riskkit.risk; imported lazily so that importing
    # riskkit.volatility never imports riskkit.risk
    if name == "FastGarch":
        from riskkit.risk.fast_garch import FastGarch

        return FastGarch
    if name in _REMOVED:
        # ImportError, so that "from riskkit.volatility.fast import GarchParams" shows this
        # message (Python replaces an AttributeError by a bare "cannot import name")
        raise ImportError(_REMOVED[name], name=__name__)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def check_fast_spec(vol: str, dist: str, mean: str, p: int = 1, o: int = 0, q: int = 1) -> None:
    """Raise :class:`ConfigError` unless the fast backend estimates this model."""
    if vol not in FAST_VOLS:
        raise ConfigError(
            f"the fast backend supports vol in {FAST_VOLS}, got {vol!r}; use backend='arch'"
        )
    if dist not in FAST_DISTS:
        raise ConfigError(
            f"the fast backend supports dist in {FAST_DISTS}, got {dist!r}; use backend='arch'"
        )
    if mean not in _MEANS:
        raise ConfigError(f"mean must be one of {_MEANS}, got {mean!r}")
    if (p, q) != (1, 1) or o != (1 if vol == "GJR" else 0):
        raise ConfigError(
            f"the fast backend estimates GARCH(1,1) and GJR(1,1,1) only, got orders "
            f"p={p}, o={o}, q={q}; use backend='arch'"
        )


@functools.cache
def _names(vol: str, dist: str, mean: str) -> tuple[str, ...]:
    names = ["mu"] if mean == "constant" else []
    names += ["omega", "alpha"] + (["gamma"] if vol == "GJR" else []) + ["beta"]
    return tuple(names + (["nu"] if dist == "t" else []))


def _unpack(theta: np.ndarray, vol: str, dist: str, mean: str) -> dict:
    d = dict(zip(_names(vol, dist, mean), theta, strict=True))
    d.setdefault("mu", 0.0)
    d.setdefault("gamma", 0.0)
    d.setdefault("nu", np.inf)
    return d


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
        Returns on the scale of ``theta`` (scaled by ``choose_scale`` for riskkit's fits).
    bc : float
        Backcast (initial variance), see :func:`riskkit.volatility.recursion.backcast`.
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
    s2 = garch_variance(e, omega, (alpha,), (gamma,) if vol == "GJR" else (), (beta,), bc)[:-1]
    # a trial point of the optimiser outside the model's domain (a variance path that is not
    # positive and finite, or Student-t degrees of freedom <= 2) has likelihood -inf, computed
    # without evaluating log() outside its domain
    if not (s2.min() > 0 and np.isfinite(s2.sum())) or (dist != "normal" and not nu > 2.0):
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


@dataclass(frozen=True, eq=False)
class FastState:
    """Result of one fast-backend optimisation, kept to warm-start the next one.

    Attributes
    ----------
    theta : numpy.ndarray
        Estimate in ``arch`` order on the scaled data.
    scale : float
        The power of ten the returns were multiplied by.
    loglik : float
        Log-likelihood of the scaled data (``arch``'s ``loglikelihood``).
    nobs : int
        Observations used.
    converged : bool
        Whether the optimiser reported success.
    start : {"warm", "cold"}
        Which start gave the estimate.
    nit : int
        Optimiser iterations.
    message : str
        Optimiser message.
    precond : numpy.ndarray
        Preconditioner (inverse Cholesky factor of the Hessian) reused by the next warm start.
    """

    theta: np.ndarray
    scale: float
    loglik: float
    nobs: int
    converged: bool
    start: str
    nit: int
    message: str
    precond: np.ndarray


class FastLikelihood:
    """Analytic-gradient maximum likelihood of GARCH(1,1) / GJR(1,1,1), normal or t.

    Parameters
    ----------
    vol : {"GARCH", "GJR"}
    dist : {"normal", "t"}
    mean : {"zero", "constant"}

    Notes
    -----
    Works on returns already multiplied by the scale (see the module docstring);
    :meth:`riskkit.volatility.GarchSpec.fit` and :class:`riskkit.risk.FastGarch` do the
    scaling and convert the estimate to a :class:`riskkit.volatility.GarchParams`.
    """

    def __init__(self, vol: str = "GARCH", dist: str = "normal", mean: str = "zero") -> None:
        check_fast_spec(vol, dist, mean, 1, 1 if vol == "GJR" else 0, 1)
        self.vol = vol
        self.dist = dist
        self.mean = mean

    def __repr__(self) -> str:
        return f"FastLikelihood({self.vol!r}, {self.dist!r}, {self.mean!r})"

    def loglik(self, theta: np.ndarray, y: np.ndarray, bc: float, **kw):
        """:func:`garch_loglik` of this model."""
        return garch_loglik(theta, y, bc, self.vol, self.dist, self.mean, **kw)

    def residuals(self, y: np.ndarray) -> tuple[np.ndarray, float]:
        """Residuals at the starting mean and the backcast computed from them (held fixed)."""
        e0 = y - np.mean(y) if self.mean == "constant" else y
        return e0, backcast(e0)

    def bounds(self, e: np.ndarray, y: np.ndarray) -> list[tuple[float | None, float | None]]:
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
            s2 = garch_variance(e, omega, (alpha,), (gamma,), (beta,), bc)[:-1]
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
        ll0, g0, sc = self.loglik(x0, y, bc, scores=True)
        if not np.isfinite(ll0):
            return np.eye(k)
        hess = np.empty((k, k))
        for i in range(k):
            h = 1e-6 * max(abs(x0[i]), 1e-3)
            xi = x0.copy()
            xi[i] += h
            lli, gi = self.loglik(xi, y, bc, gradient=True)
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
            ll, g = self.loglik(theta, y, bc, gradient=True)
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

    def _optimise(self, y, bc, x0, bounds, tmat=None, maxiter: int = 300):
        """SLSQP on -loglik/n in coordinates whitened by the curvature at the start.

        SLSQP starts its quasi-Newton Hessian at the identity. GARCH parameters differ in
        curvature by orders of magnitude and alpha/beta are strongly correlated, so even from a
        warm start the raw problem needs ~15 iterations. With ``theta = x0 + L^-T u``, where
        ``L L^T`` is the curvature at ``x0`` (:meth:`_curvature`), the identity is a good
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
            ll, g = self.loglik(theta, y, bc, gradient=True)
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
                options={"ftol": 1e-10, "maxiter": maxiter},
            )
        res.x = x0 + tmat @ res.x
        res.tmat = tmat
        # tiny infeasibilities of the last iterate (1e-12) are clipped back into the box
        lo = np.array([-np.inf if b[0] is None else b[0] for b in bounds])
        hi = np.array([np.inf if b[1] is None else b[1] for b in bounds])
        res.x = np.clip(res.x, lo, hi)
        return res

    def _on_boundary(self, theta: np.ndarray) -> bool:
        """alpha or beta at zero: beta (or alpha) is then unidentified and a warm start can stay
        trapped in the corner while a better interior optimum exists; a cold start checks."""
        d = _unpack(theta, self.vol, self.dist, self.mean)
        return d["alpha"] + max(d["gamma"], 0.0) < 1e-6 or d["beta"] < 1e-6

    def fit(
        self,
        y: np.ndarray,
        scale: float,
        warm_start: np.ndarray | None = None,
        warm_state: FastState | None = None,
        maxiter: int = 300,
    ) -> FastState:
        """Maximum likelihood on scaled returns ``y`` (``scale`` times the returns).

        Parameters
        ----------
        y : numpy.ndarray
            Scaled returns, oldest first, finite and not constant.
        scale : float
            The factor applied to the returns (recorded in the state).
        warm_start : numpy.ndarray, optional
            Starting parameters in ``arch`` order on the scale of ``y``.
        warm_state : FastState, optional
            The previous estimate: when its scale is ``scale``, its parameters start the
            optimiser (instead of ``warm_start``) and its preconditioner is reused while it
            still gives fast convergence.
        maxiter : int
            Iteration cap of SLSQP.

        Returns
        -------
        FastState

        Notes
        -----
        Falls back to a cold start (arch-like grid) if the warm-started optimiser fails or ends
        on the alpha = 0 or beta = 0 boundary (where the likelihood is flat and a warm start can
        stay trapped), keeping the better of the two. The caller decides what to do when
        ``converged`` is False.
        """
        e0, bc = self.residuals(y)
        bounds = self.bounds(e0, y)
        nit, precond = 99, None
        if warm_state is not None and warm_state.scale == scale:
            warm_start = warm_state.theta
            nit, precond = warm_state.nit, warm_state.precond
        attempts: list[tuple[str, np.ndarray | None]] = []
        if warm_start is not None:
            lo = np.array([-np.inf if b[0] is None else b[0] for b in bounds])
            hi = np.array([np.inf if b[1] is None else b[1] for b in bounds])
            attempts.append(("warm", np.clip(np.asarray(warm_start, dtype=float), lo, hi)))
        attempts.append(("cold", None))  # built only if needed: the grid costs ~30 likelihoods
        res, used = None, None
        for label, x0 in attempts:
            start = self._start(y, e0, bc) if x0 is None else x0
            # reuse yesterday's preconditioner while it still gives fast convergence
            tmat = precond if label == "warm" and nit <= 4 else None
            trial = None
            if tmat is not None and tmat.shape == (len(start), len(start)):
                trial = self._newton(y, bc, start, bounds, tmat)
            if trial is None:
                trial = self._optimise(y, bc, start, bounds, tmat, maxiter)
            good = trial.success and np.isfinite(trial.fun) and trial.fun < 1e9
            if res is None or (good and trial.fun < res.fun) or not (res.success and res.fun < 1e9):
                res, used = trial, label
            if good and not (label == "warm" and self._on_boundary(trial.x)):
                break
        assert res is not None
        return FastState(
            theta=np.asarray(res.x, dtype=float),
            scale=float(scale),
            loglik=float(-res.fun * len(y)),
            nobs=len(y),
            converged=bool(res.success and res.fun < 1e9),
            start=str(used),
            nit=int(res.nit),
            message=str(res.message),
            precond=res.tmat,
        )

    def covariance(self, theta: np.ndarray, y: np.ndarray) -> np.ndarray:
        """Robust (Bollerslev-Wooldridge sandwich) covariance of the estimate on the scale of
        ``y``: ``H^-1 (S'S / n) H^-1 / n`` with ``H`` the Hessian of the mean negative
        log-likelihood (central differences of the analytic gradient) and ``S`` the
        per-observation scores, as ``arch``'s default ``cov_type="robust"``."""
        _, bc = self.residuals(y)
        n, k = len(y), len(theta)
        _, _, sc = self.loglik(theta, y, bc, scores=True)
        hess = np.empty((k, k))
        for i in range(k):
            h = 1e-5 * max(abs(theta[i]), 1e-3)
            up, dn = theta.copy(), theta.copy()
            up[i] += h
            dn[i] -= h
            _, g_up = self.loglik(up, y, bc, gradient=True)
            _, g_dn = self.loglik(dn, y, bc, gradient=True)
            hess[i] = -(g_up - g_dn) / (2.0 * h * n)
        hess = 0.5 * (hess + hess.T)
        try:
            inv = np.linalg.inv(hess)
        except np.linalg.LinAlgError:  # flat likelihood: no standard errors
            return np.full((k, k), np.nan)
        return inv @ (sc @ sc.T / n) @ inv / n
