"""Fast maximum likelihood for GARCH(1,1) and GJR-GARCH(1,1,1): the ``backend="fast"`` of
:meth:`riskkit.volatility.GarchSpec.fit`.

The rolling engine refits a GARCH model on every forecast date. ``arch`` is the reference
implementation but each ``arch_model(...).fit()`` pays for model construction, numerical
gradients and a grid search for starting values. This module computes the same Gaussian or
Student-t likelihood, with its **analytic gradient and Hessian**, in one compiled pass (numba,
``_garch_pass``), and re-estimates from the previous day's parameters (warm start), which is
what makes daily refits cheap. The estimator that uses it in the rolling engine is
:class:`riskkit.risk.FastGarch`.

Every derivative of ``s2`` with respect to the parameters obeys a recursion of the same form as
the variance (``d s2[t] = d x[t] + beta d s2[t-1] + [beta] s2[t-1]``; second derivatives
likewise), so one loop over the observations gives the log-likelihood, the gradient and the
Hessian. riskkit's general variance filter, :func:`riskkit.volatility.processes.garch_variance`
(``scipy.signal.lfilter``), stays the reference the tests compare the compiled pass with.

Optimisation: Newton's method with the exact Hessian and a backtracking line search, active-set
style: constraints that hold with equality at the start (daily crypto GJR fits often sit on the
stationarity constraint) are kept active and the step is taken in their null space; a step that
would cross another constraint stops on it and activates it; a constraint whose Lagrange
multiplier has the wrong sign at convergence is released. From yesterday's estimate this takes
2-3 compiled passes. When Newton cannot proceed (a start far from the optimum, a Hessian that is
not positive definite) SLSQP takes over, in coordinates whitened by the Hessian. A warm start
that ends on the alpha = 0 or beta = 0 boundary is checked against a cold start (arch-like grid
of starting values).

The kernels are compiled with ``numba.njit(cache=True)``: the first process after an install
compiles them (a few seconds) and caches the machine code next to this file (``__pycache__``)
or in ``NUMBA_CACHE_DIR``; later processes load it in a fraction of a second. Inputs are made
writable, C-contiguous float64 first, so each kernel has one compiled version. Without a
writable cache location they are compiled in each process (``_jit``).

Everything matches ``arch`` (version 7-8) so that the estimates coincide:

* returns are multiplied by the power of ten of :func:`riskkit.volatility.garch.choose_scale`
  (100 for daily crypto returns) before estimation, the same rule as the ``arch`` backend;
* parameterisation ``s2[t] = omega + alpha e[t-1]^2 + gamma e[t-1]^2 1{e[t-1] < 0} + beta s2[t-1]``;
* initial variance: ``arch``'s backcast (:func:`riskkit.volatility.recursion.backcast`),
  computed once from the residuals at the starting mean (sample mean for a constant mean) and
  held fixed during estimation; for t = 0 the asymmetric term uses half the backcast;
* bounds and constraints: ``omega`` in ``[1e-8 v, 10 v]`` (v the mean squared residual),
  ``0 <= alpha <= 1``, ``-1 <= gamma <= 2``, ``alpha + gamma >= 0``, ``0 <= beta <= 1``,
  ``alpha + gamma/2 + beta <= 1``; ``nu`` in ``[2.05, 500]``, as in ``arch``.

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
import math
import warnings
from dataclasses import dataclass

import numba
import numpy as np
from scipy import optimize, stats

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


# ---------------------------------------------------------------------------------------------
# compiled likelihood pass
# ---------------------------------------------------------------------------------------------


def _jit(func):
    """``numba.njit(cache=True)``; without caching if the cache directory is not writable.

    The compiled kernel is cached next to this file (``__pycache__``) or in ``NUMBA_CACHE_DIR``,
    so a process pays the compilation (~2 s) once per machine, not once per process. If no cache
    location is writable (a read-only install), numba refuses ``cache=True`` when the function is
    decorated; the kernel is then compiled in every process instead.
    """
    try:
        return numba.njit(cache=True, nogil=True)(func)
    except (RuntimeError, OSError):  # numba: "cannot cache function ...: no locator available"
        return numba.njit(cache=False, nogil=True)(func)


#: position of each parameter in the kernel's fixed-length parameter vector
_FULL = {"mu": 0, "omega": 1, "alpha": 2, "gamma": 3, "beta": 4, "nu": 5}


@_jit
def _digamma(x):  # pragma: no cover
    """psi(x) for x > 0: recurrence up to x >= 12, then the asymptotic series (error < 1e-15)."""
    r = 0.0
    while x < 12.0:
        r -= 1.0 / x
        x += 1.0
    x2 = 1.0 / (x * x)
    return (
        r
        + np.log(x)
        - 0.5 / x
        - x2 * (1.0 / 12 - x2 * (1.0 / 120 - x2 * (1.0 / 252 - x2 * (1.0 / 240 - x2 / 132))))
    )


@_jit
def _trigamma(x):  # pragma: no cover
    """psi'(x) for x > 0: recurrence up to x >= 12, then the asymptotic series."""
    r = 0.0
    while x < 12.0:
        r += 1.0 / (x * x)
        x += 1.0
    x2 = 1.0 / (x * x)
    return (
        r
        + 1.0 / x
        + 0.5 * x2
        + (1.0 / x)
        * x2
        * (1.0 / 6 - x2 * (1.0 / 30 - x2 * (1.0 / 42 - x2 * (1.0 / 30 - x2 * 5.0 / 66))))
    )


@_jit
def _t_constants(nu):  # pragma: no cover
    """Student-t normalising constant per observation and its first two derivatives in nu."""
    c0 = math.lgamma(0.5 * (nu + 1.0)) - math.lgamma(0.5 * nu) - 0.5 * np.log(np.pi * (nu - 2.0))
    c1 = 0.5 * _digamma(0.5 * (nu + 1.0)) - 0.5 * _digamma(0.5 * nu) - 0.5 / (nu - 2.0)
    c2 = (
        0.25 * _trigamma(0.5 * (nu + 1.0))
        - 0.25 * _trigamma(0.5 * nu)
        + 0.5 / ((nu - 2.0) * (nu - 2.0))
    )
    return c0, c1, c2


@_jit
def _garch_pass(y, par, bc, tdist, order, grad, hess, scores):  # pragma: no cover
    """One pass through the GJR-GARCH(1,1) recursion: log-likelihood and its derivatives.

    ``par`` = (mu, omega, alpha, gamma, beta, nu) (gamma = 0 for GARCH, nu ignored for normal
    innovations). ``order``: -1 filter only, 0 log-likelihood, 1 and the gradient, 2 and the
    Hessian, written into ``grad`` (6,) and ``hess`` (6, 6). ``scores`` (n, 6) receives the
    per-observation gradient when it has n rows. Returns the log-likelihood (-inf if a variance
    is not positive and finite) and the one-step-ahead variance ``s2[n]``.

    Derivatives of ``s2`` follow the recursion itself: with ``x`` the non-autoregressive part,
    ``d s2[t] = d x[t] + beta d s2[t-1] + [beta] s2[t-1]`` and
    ``d2 s2[t] = d2 x[t] + beta d2 s2[t-1] + [j = beta] d_i s2[t-1] + [i = beta] d_j s2[t-1]``.
    omega, alpha and gamma enter ``x`` linearly, so of the second derivatives of ``s2`` only
    those involving beta or mu are not zero; the loop is written out on scalars.
    """
    n = y.shape[0]
    mu, omega, alpha, gamma, beta, nu = par[0], par[1], par[2], par[3], par[4], par[5]
    want_scores = scores.shape[0] == n
    # d s2 / d (mu, omega, alpha, gamma, beta) and the non-zero second derivatives
    d0, d1, d2, d3, d4 = 0.0, 1.0, bc, 0.5 * bc, bc
    h00 = h02 = h03 = h04 = h14 = h24 = h34 = h44 = 0.0
    g0 = g1 = g2 = g3 = g4 = g5 = 0.0
    a00 = a01 = a02 = a03 = a04 = a05 = 0.0
    a11 = a12 = a13 = a14 = a15 = 0.0
    a22 = a23 = a24 = a25 = a33 = a34 = a35 = a44 = a45 = a55 = 0.0
    s2 = omega + (alpha + 0.5 * gamma + beta) * bc
    c0, c1, c2 = -0.5 * np.log(2.0 * np.pi), 0.0, 0.0
    if tdist and order >= 0:
        c0, c1, c2 = _t_constants(nu)
    inm2 = 1.0 / (nu - 2.0)
    nu1 = 0.5 * (nu + 1.0)
    ll = 0.0
    e = 0.0
    s2_prev = s2
    for t in range(n):
        if t > 0:
            neg = 1.0 if e < 0.0 else 0.0
            e2 = e * e
            if order >= 2:
                h00 = beta * h00 + 2.0 * (alpha + gamma * neg)
                h02 = beta * h02 - 2.0 * e
                h03 = beta * h03 - 2.0 * e * neg
                h04 = beta * h04 + d0
                h14 = beta * h14 + d1
                h24 = beta * h24 + d2
                h34 = beta * h34 + d3
                h44 = beta * h44 + 2.0 * d4
            if order >= 1:
                d0 = -2.0 * e * (alpha + gamma * neg) + beta * d0
                d4 = s2_prev + beta * d4
                d1 = 1.0 + beta * d1
                d2 = e2 + beta * d2
                d3 = e2 * neg + beta * d3
            s2 = omega + (alpha + gamma * neg) * e2 + beta * s2_prev
        e = y[t] - mu
        s2_prev = s2
        if order < 0:
            continue
        if not (s2 > 0.0 and s2 < np.inf):
            return -np.inf, np.nan
        e2 = e * e
        is2 = 1.0 / s2
        if tdist:
            k = e2 * is2 * inm2
            a = 1.0 + k
            ia = 1.0 / a
            u = np.log1p(k)
            ll += -0.5 * np.log(s2) - nu1 * u
            if order < 1:
                continue
            # u = log(1 + k), k = e^2 / (s2 (nu - 2)); first derivatives of k and u
            k_s = -k * is2
            k_e = 2.0 * e * is2 * inm2
            k_n = -k * inm2
            u_s = k_s * ia
            u_e = k_e * ia
            u_n = k_n * ia
            l_s = -0.5 * is2 - nu1 * u_s
            l_e = -nu1 * u_e
            l_n = -0.5 * u - nu1 * u_n
        else:
            ll += -0.5 * (np.log(s2) + e2 * is2)
            if order < 1:
                continue
            l_s = -0.5 * (is2 - e2 * is2 * is2)
            l_e = -e * is2
            l_n = 0.0
        # gradient: e = y - mu, so d e / d mu = -1
        g0 += l_s * d0 - l_e
        g1 += l_s * d1
        g2 += l_s * d2
        g3 += l_s * d3
        g4 += l_s * d4
        g5 += l_n
        if want_scores:
            scores[t, 0] = l_s * d0 - l_e
            scores[t, 1] = l_s * d1
            scores[t, 2] = l_s * d2
            scores[t, 3] = l_s * d3
            scores[t, 4] = l_s * d4
            scores[t, 5] = l_n + c1
        if order < 2:
            continue
        if tdist:
            # second derivatives of k, then u = log(1 + k): u_xy = k_xy / a - k_x k_y / a^2
            ia2 = ia * ia
            u_ss = 2.0 * k * is2 * is2 * ia - k_s * k_s * ia2
            u_se = -2.0 * e * is2 * is2 * inm2 * ia - k_s * k_e * ia2
            u_ee = 2.0 * is2 * inm2 * ia - k_e * k_e * ia2
            u_sn = k * is2 * inm2 * ia - k_s * k_n * ia2
            u_en = -2.0 * e * is2 * inm2 * inm2 * ia - k_e * k_n * ia2
            u_nn = 2.0 * k * inm2 * inm2 * ia - k_n * k_n * ia2
            l_ss = 0.5 * is2 * is2 - nu1 * u_ss
            l_se = -nu1 * u_se
            l_ee = -nu1 * u_ee
            l_sn = -0.5 * u_s - nu1 * u_sn
            l_en = -0.5 * u_e - nu1 * u_en
            l_nn = -u_n - nu1 * u_nn
        else:
            l_ss = (0.5 - e2 * is2) * is2 * is2
            l_se = e * is2 * is2
            l_ee = -is2
            l_sn = 0.0
            l_en = 0.0
            l_nn = 0.0
        # l_ss d_i d_j + l_s d2 s2_ij, plus the terms of mu through e and of nu
        q0 = l_ss * d0 - l_se
        a00 += q0 * d0 + l_s * h00 - l_se * d0 + l_ee
        a01 += q0 * d1
        a02 += q0 * d2 + l_s * h02
        a03 += q0 * d3 + l_s * h03
        a04 += q0 * d4 + l_s * h04
        a05 += l_sn * d0 - l_en
        q1 = l_ss * d1
        a11 += q1 * d1
        a12 += q1 * d2
        a13 += q1 * d3
        a14 += q1 * d4 + l_s * h14
        a15 += l_sn * d1
        q2 = l_ss * d2
        a22 += q2 * d2
        a23 += q2 * d3
        a24 += q2 * d4 + l_s * h24
        a25 += l_sn * d2
        q3 = l_ss * d3
        a33 += q3 * d3
        a34 += q3 * d4 + l_s * h34
        a35 += l_sn * d3
        a44 += l_ss * d4 * d4 + l_s * h44
        a45 += l_sn * d4
        a55 += l_nn
    neg = 1.0 if e < 0.0 else 0.0
    s2_next = omega + (alpha + gamma * neg) * e * e + beta * s2_prev
    if order < 0:
        return 0.0, s2_next
    ll += n * c0
    if order >= 1:
        grad[0] = g0
        grad[1] = g1
        grad[2] = g2
        grad[3] = g3
        grad[4] = g4
        grad[5] = g5 + n * c1
    if order >= 2:
        upper = (
            (a00, a01, a02, a03, a04, a05),
            (0.0, a11, a12, a13, a14, a15),
            (0.0, 0.0, a22, a23, a24, a25),
            (0.0, 0.0, 0.0, a33, a34, a35),
            (0.0, 0.0, 0.0, 0.0, a44, a45),
            (0.0, 0.0, 0.0, 0.0, 0.0, a55 + n * c2),
        )
        for i in range(6):
            row = upper[i]
            for j in range(i, 6):
                hess[i, j] = row[j]
                hess[j, i] = row[j]
    return ll, s2_next


@_jit
def _reduced_newton_step(hess, g, zmat):  # pragma: no cover
    """Newton step ``-Z (Z' H Z)^-1 Z' g`` in the column space of ``zmat`` and its decrement
    ``g' Z (Z' H Z)^-1 Z' g``; ``ok`` is False if ``Z' H Z`` is not positive definite."""
    k, r = zmat.shape
    hz = np.zeros((k, r))
    for i in range(k):
        for j in range(r):
            acc = 0.0
            for m in range(k):
                acc += hess[i, m] * zmat[m, j]
            hz[i, j] = acc
    hr = np.zeros((r, r))
    gr = np.zeros(r)
    for i in range(r):
        acc = 0.0
        for m in range(k):
            acc += zmat[m, i] * g[m]
        gr[i] = acc
        for j in range(r):
            acc = 0.0
            for m in range(k):
                acc += zmat[m, i] * hz[m, j]
            hr[i, j] = acc
    chol = np.zeros((r, r))  # Cholesky factor, lower
    for j in range(r):
        s = hr[j, j]
        for m in range(j):
            s -= chol[j, m] * chol[j, m]
        if not s > 0.0:
            return False, np.zeros(k), 0.0
        chol[j, j] = np.sqrt(s)
        for i in range(j + 1, r):
            s = hr[i, j]
            for m in range(j):
                s -= chol[i, m] * chol[j, m]
            chol[i, j] = s / chol[j, j]
    x = np.zeros(r)  # solve L L' x = gr
    for i in range(r):
        s = gr[i]
        for m in range(i):
            s -= chol[i, m] * x[m]
        x[i] = s / chol[i, i]
    for i in range(r - 1, -1, -1):
        s = x[i]
        for m in range(i + 1, r):
            s -= chol[m, i] * x[m]
        x[i] = s / chol[i, i]
    step = np.zeros(k)
    dec = 0.0
    for i in range(r):
        dec += gr[i] * x[i]
        for m in range(k):
            step[m] -= zmat[m, i] * x[i]
    return True, step, dec


def simulate_garch11(
    z: np.ndarray, s2_next: float, mu: float, omega: float, alpha: float, gamma: float, beta: float
) -> tuple[np.ndarray, np.ndarray]:
    """Paths of a GJR-GARCH(1,1) (gamma = 0: GARCH) from standardised shocks ``z`` (paths x
    periods), the first period's variance ``s2_next`` and return-unit parameters: the
    returns ``mu + sqrt(s2) z`` and their variances (the fast path of
    :func:`riskkit.volatility.simulate_paths`)."""
    zz = _as_kernel_array(z)
    return _simulate_garch11(zz, s2_next, mu, omega, alpha, gamma, beta)


@_jit
def _simulate_garch11(z, s2_next, mu, omega, alpha, gamma, beta):  # pragma: no cover
    n, h = z.shape
    paths = np.empty((n, h))
    variances = np.empty((n, h))
    for i in range(n):
        s2 = s2_next
        e = 0.0
        for k in range(h):
            if k > 0:
                # the order of GARCH.simulate_step: omega, + alpha e^2, + gamma e^2 1[e<0],
                # + beta s2
                v = omega
                e2 = e * e
                v += alpha * e2
                if e < 0.0:
                    v += gamma * e2
                else:
                    v += gamma * e2 * 0.0
                v += beta * s2
                s2 = v
            variances[i, k] = s2
            e = np.sqrt(s2) * z[i, k]
            paths[i, k] = e + mu
    return paths, variances


@functools.cache
def _positions(vol: str, dist: str, mean: str) -> np.ndarray:
    return np.array([_FULL[nm] for nm in _names(vol, dist, mean)])


_NO_SCORES = np.zeros((0, 6))


def _as_kernel_array(x) -> np.ndarray:
    """Writable, C-contiguous float64 (a copy only if needed): numba compiles one machine-code
    version per argument type, read-only or strided arrays included, so normalising the inputs
    keeps one version of each kernel (one compilation, one cache entry)."""
    return np.require(x, dtype=np.float64, requirements=("C", "W"))


def garch_loglik(
    theta: np.ndarray,
    y: np.ndarray,
    bc: float,
    vol: str = "GARCH",
    dist: str = "normal",
    mean: str = "zero",
    gradient: bool = False,
    scores: bool = False,
    hessian: bool = False,
):
    """Log-likelihood of GARCH/GJR with normal or t innovations, with analytic derivatives.

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
    hessian : bool
        Also return the Hessian (implies ``gradient``; after the scores if both are asked).

    Returns
    -------
    float or tuple
        Log-likelihood (sum over observations); with ``gradient`` also its gradient; with
        ``scores`` also the ``(len(theta), n)`` matrix of per-observation scores; with
        ``hessian`` also the ``(len(theta), len(theta))`` Hessian.

    Notes
    -----
    One compiled pass (numba) through the recursion computes the variance path, the
    log-likelihood and the exact first and second derivatives, which follow recursions of
    the same form as the variance (see ``_garch_pass``). ``tests/test_fast_garch.py`` checks
    the value against ``arch``, the variance path against riskkit's reference filter
    :func:`riskkit.volatility.processes.garch_variance`, and the derivatives against finite
    differences.
    """
    pos = _positions(vol, dist, mean)
    k = len(pos)
    gradient = gradient or scores or hessian
    par = np.zeros(6)
    par[5] = np.inf
    par[pos] = theta
    nu = par[5]
    tdist = dist != "normal"
    yy = _as_kernel_array(y)
    n = yy.shape[0]
    ok = not tdist or nu > 2.0
    if ok:
        order = 2 if hessian else (1 if gradient else 0)
        grad = np.empty(6)
        hess = np.empty((6, 6))
        sc = np.zeros((n, 6)) if scores else _NO_SCORES
        ll, _ = _garch_pass(yy, par, float(bc), tdist, order, grad, hess, sc)
        ok = np.isfinite(ll)
    # a trial point of the optimiser outside the model's domain (a variance path that is not
    # positive and finite, or Student-t degrees of freedom <= 2) has likelihood -inf, computed
    # without evaluating log() outside its domain
    if not ok:
        out: list = [-np.inf]
        if gradient:
            out.append(np.full(k, np.nan))
        if scores:
            out.append(np.full((k, n), np.nan))
        if hessian:
            out.append(np.full((k, k), np.nan))
        return out[0] if len(out) == 1 else tuple(out)
    out = [float(ll)]
    if gradient:
        out.append(grad[pos])
    if scores:
        out.append(sc[:, pos].T)
    if hessian:
        out.append(hess[np.ix_(pos, pos)])
    return out[0] if len(out) == 1 else tuple(out)


def one_step_variance(y: np.ndarray, theta6: np.ndarray, bc: float) -> float:
    """Variance of the period after ``y`` through the GJR-GARCH(1,1) recursion (no likelihood).

    ``theta6`` = (mu, omega, alpha, gamma, beta, nu) on the scale of ``y`` (nu unused); the
    last element of :func:`riskkit.volatility.filter_variance` for these parameters, computed
    by the compiled pass.
    """
    yy = _as_kernel_array(y)
    par = _as_kernel_array(theta6)
    return float(_garch_pass(yy, par, float(bc), False, -1, _G0, _H0, _NO_SCORES)[1])


_G0 = np.zeros(6)
_H0 = np.zeros((6, 6))


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
    hessian : numpy.ndarray or None
        Hessian of the mean negative log-likelihood at the estimate; whitens the next warm
        start's SLSQP fallback (None if not positive definite).
    """

    theta: np.ndarray
    scale: float
    loglik: float
    nobs: int
    converged: bool
    start: str
    nit: int
    message: str
    hessian: np.ndarray | None


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
        self._pos = _positions(vol, dist, mean)
        self._hess_index = (self._pos[:, None] * 6 + self._pos[None, :]).ravel()
        names = _names(vol, dist, mean)
        self._alpha, self._beta = names.index("alpha"), names.index("beta")
        self._gamma = names.index("gamma") if vol == "GJR" else None
        # null space and pseudo-inverse of each set of active constraints (data independent)
        self._active_sets: dict[tuple[int, ...], tuple[np.ndarray, np.ndarray]] = {}
        self._amat: np.ndarray | None = None

    def _nll(self, theta: np.ndarray, y: np.ndarray, bc: float):
        """Mean negative log-likelihood, its gradient and Hessian (the optimiser's objective);
        :func:`garch_loglik` without its argument handling (``y`` contiguous float64)."""
        par = np.zeros(6)
        par[self._pos] = theta
        grad = np.empty(6)
        hess = np.empty((6, 6))
        if self.dist == "t" and not par[5] > 2.0:
            return np.inf, None, None
        ll, _ = _garch_pass(y, par, bc, self.dist == "t", 2, grad, hess, _NO_SCORES)
        if not np.isfinite(ll):
            return np.inf, None, None
        n = y.shape[0]
        k = len(theta)
        return -ll / n, grad[self._pos] / -n, hess.take(self._hess_index).reshape(k, k) / -n

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
        """Hessian of -loglik/n at ``x0`` (analytic); BHHH if it is not positive definite.

        For returns far from normal the Gaussian quasi-likelihood's BHHH matrix overstates the
        curvature by about the kurtosis, so the Hessian preconditions better; the BHHH outer
        product is the fallback away from the optimum.
        """
        n, k = len(y), len(x0)
        ll0, _, sc, hess = self.loglik(x0, y, bc, scores=True, hessian=True)
        if not np.isfinite(ll0):
            return np.eye(k)
        hess = -hess / n
        if np.all(np.isfinite(hess)) and np.all(np.linalg.eigvalsh(hess) > 0):
            return hess
        opg = sc @ sc.T / n
        return opg + 1e-10 * np.trace(opg) / k * np.eye(k)

    def _feasible_region(self, bounds, k: int) -> tuple[np.ndarray, np.ndarray]:
        """``(A, b)`` with ``A @ theta + b >= 0`` meaning: inside the bounds and constraints."""
        rows, offs = [], []
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
        return np.array(rows), np.array(offs)

    def _active_set(self, amat: np.ndarray, active: list[int]) -> tuple[np.ndarray, np.ndarray]:
        """Null space (columns) and pseudo-inverse of the active constraint rows, cached."""
        key = tuple(sorted(active))
        if key not in self._active_sets:
            if key:
                a = amat[list(key)]
                zmat = np.ascontiguousarray(np.linalg.svd(a)[2][len(key) :].T)
                self._active_sets[key] = (zmat, np.linalg.pinv(a))
            else:
                self._active_sets[key] = (np.eye(amat.shape[1]), np.zeros((amat.shape[1], 0)))
        zmat, pinv = self._active_sets[key]
        if active != sorted(active):  # pseudo-inverse columns in the order of ``active``
            pinv = pinv[:, np.argsort(np.argsort(active))]
        return zmat, pinv

    def _newton(self, y, bc, x0, region, max_iter: int = 30, tol: float = 1e-10):
        """Active-set Newton method with the exact Hessian and a backtracking line search.

        From a warm start (yesterday's estimate) the optimum has moved a little and Newton's
        method converges quadratically: typically 2-3 compiled likelihood passes. Constraints
        that hold with equality at the start (for daily crypto returns, often the stationarity
        constraint ``alpha + gamma / 2 + beta <= 1``) stay active: the Newton step is taken in
        their null space. A step that would cross another constraint stops on it and adds it to
        the active set; at convergence (Newton decrement ``g' H^-1 g`` on the active subspace,
        in units of the mean log-likelihood, below ``tol``) a constraint whose Lagrange
        multiplier has the wrong sign is released. Returns None (SLSQP takes over) if the
        reduced Hessian is not positive definite, a step does not decrease the objective, or
        the iteration does not converge.
        """
        amat, bvec = region
        slack = amat @ x0 + bvec
        if np.any(slack < -1e-6):  # SLSQP's estimates may be outside by rounding: projected
            return None
        active = [i for i, s in enumerate(slack) if s <= 1e-9]
        theta = np.asarray(x0, dtype=float)
        if active:  # onto the active constraints exactly
            pinv = self._active_set(amat, active)[1]
            theta = theta - pinv @ (amat[active] @ theta + bvec[active])
        f, g, hess = self._nll(theta, y, bc)
        if not np.isfinite(f):
            return None
        released = 0
        for it in range(1, max_iter + 1):
            zmat, pinv = self._active_set(amat, active)
            if zmat.shape[1] == 0:
                return None
            ok, step, decrement = _reduced_newton_step(hess, g, zmat)
            if not ok or decrement < 0:
                return None
            if decrement < tol:
                if active:
                    # KKT: g = A' lambda with lambda >= 0 for constraints A theta + b >= 0
                    lam = g @ pinv
                    worst = int(np.argmin(lam))
                    if lam[worst] < -1e-9 and released < 3:
                        del active[worst]
                        released += 1
                        continue
                return optimize.OptimizeResult(
                    x=theta, fun=f, success=True, nit=it, message="Newton decrement below tol",
                    hess=hess,
                )  # fmt: skip
            # longest step that stays inside the constraints not yet active
            inactive = np.ones(len(bvec), dtype=bool)
            inactive[active] = False
            a_in, b_in = amat[inactive], bvec[inactive]
            ap = a_in @ step
            blocking = ap < 0
            t_max, hit = np.inf, -1
            if blocking.any():
                ratios = (a_in[blocking] @ theta + b_in[blocking]) / -ap[blocking]
                j = int(np.argmin(ratios))
                t_max, hit = float(ratios[j]), int(np.flatnonzero(inactive)[blocking][j])
            t = min(1.0, t_max)
            while True:
                cand = theta + t * step
                # on the blocking constraint (t = t_max) it becomes active
                if t >= t_max or np.all(a_in @ cand + b_in > 0):
                    f_new, g_new, h_new = self._nll(cand, y, bc)
                    if f_new <= f - 1e-4 * t * decrement:
                        break
                t *= 0.5
                if t < 1e-3:
                    return None
            if t >= t_max:
                active.append(hit)
            theta, f, g, hess = cand, f_new, g_new, h_new
        return None

    def _optimise(self, y, bc, x0, bounds, hess0=None, maxiter: int = 300):
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
        chol = None
        if hess0 is not None and hess0.shape == (k, k):
            try:
                chol = np.linalg.cholesky(hess0)
            except np.linalg.LinAlgError:
                chol = None
        if chol is None:
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

        amat, bvec = self._feasible_region(bounds, k)  # a @ theta + b >= 0
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
        # tiny infeasibilities of the last iterate (1e-12) are clipped back into the box
        lo = np.array([-np.inf if b[0] is None else b[0] for b in bounds])
        hi = np.array([np.inf if b[1] is None else b[1] for b in bounds])
        res.x = np.clip(res.x, lo, hi)
        f, _, hess = self._nll(res.x, y, bc)
        res.hess = None
        if np.isfinite(f) and np.all(np.linalg.eigvalsh(hess) > 0):
            res.hess = hess
        return res

    def _on_boundary(self, theta: np.ndarray) -> bool:
        """alpha or beta at zero: beta (or alpha) is then unidentified and a warm start can stay
        trapped in the corner while a better interior optimum exists; a cold start checks."""
        gamma = 0.0 if self._gamma is None else max(theta[self._gamma], 0.0)
        return theta[self._alpha] + gamma < 1e-6 or theta[self._beta] < 1e-6

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
            optimiser (instead of ``warm_start``) and, should Newton's method not converge,
            its Hessian whitens the SLSQP fallback.
        maxiter : int
            Iteration cap of SLSQP (the fallback).

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
        y = _as_kernel_array(y)
        e0, bc = self.residuals(y)
        bounds = self.bounds(e0, y)
        prev_hess = None
        if warm_state is not None and warm_state.scale == scale:
            warm_start = warm_state.theta
            prev_hess = warm_state.hessian
        region = self._feasible_region(bounds, len(bounds))
        attempts: list[tuple[str, np.ndarray | None]] = []
        if warm_start is not None:
            lo = np.array([-np.inf if b[0] is None else b[0] for b in bounds])
            hi = np.array([np.inf if b[1] is None else b[1] for b in bounds])
            attempts.append(("warm", np.clip(np.asarray(warm_start, dtype=float), lo, hi)))
        attempts.append(("cold", None))  # built only if needed: the grid costs ~30 likelihoods
        res, used = None, None
        for label, x0 in attempts:
            start = self._start(y, e0, bc) if x0 is None else x0
            trial = self._newton(y, bc, start, region)
            if trial is None:
                # a start far from the optimum, or a non-convex stretch: SLSQP, whitened by
                # yesterday's Hessian on a warm start
                hess0 = prev_hess if label == "warm" else None
                trial = self._optimise(y, bc, start, bounds, hess0, maxiter)
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
            hessian=res.hess,
        )

    def covariance(self, theta: np.ndarray, y: np.ndarray) -> np.ndarray:
        """Robust (Bollerslev-Wooldridge sandwich) covariance of the estimate on the scale of
        ``y``: ``H^-1 (S'S / n) H^-1 / n`` with ``H`` the (analytic) Hessian of the mean
        negative log-likelihood and ``S`` the per-observation scores, as ``arch``'s default
        ``cov_type="robust"`` (which differentiates numerically)."""
        _, bc = self.residuals(y)
        n, k = len(y), len(theta)
        ll, _, sc, hess = self.loglik(theta, y, bc, scores=True, hessian=True)
        if not np.isfinite(ll):
            return np.full((k, k), np.nan)
        hess = -hess / n
        try:
            inv = np.linalg.inv(hess)
        except np.linalg.LinAlgError:  # flat likelihood: no standard errors
            return np.full((k, k), np.nan)
        return inv @ (sc @ sc.T / n) @ inv / n
