"""GARCH-family parameters in return units, variance filtering with fixed parameters, analytic
multi-step variance forecasts and simulated paths.

These are the cheap steps of a GARCH risk model: once :class:`riskkit.volatility.GarchSpec` has
estimated the parameters (the expensive optimiser step), the rolling engine re-filters the
conditional variance through a new window with the *same* parameters every day. The recursions
themselves live in :mod:`riskkit.volatility.processes` (one class per family) and the innovation
distributions in :mod:`riskkit.volatility.distributions`; this module holds the one parameter
class and the functions every caller uses. They reproduce ``arch``'s numbers (same backcast,
same ordering of parameters); the tests check them against ``arch_model(...).fix(params)``.

Everything here is in **return units** (fractions, not percent): the rescaling ``GarchSpec`` does
for the optimiser is undone before a :class:`GarchParams` is built.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cached_property

import numpy as np

from riskkit.volatility.distributions import DIST_PARAM_NAMES, DISTS, SQRT_2_OVER_PI, Innovation
from riskkit.volatility.processes import PROCESSES, VolatilityProcess

__all__ = [
    "GarchParams",
    "filter_variance",
    "forecast_variance",
    "simulate_paths",
    "backcast",
    "VOLS",
    "DISTS",
    "DIST_PARAM_NAMES",
    "SQRT_2_OVER_PI",
]

VOLS = tuple(PROCESSES)
#: arch's backcast: exponentially weighted mean of the first ``_TAU`` squared residuals
_TAU = 75
_BACKCAST_LAMBDA = 0.94


def backcast(resid: np.ndarray) -> float:
    """Pre-sample variance used to start the recursion, as ``arch`` computes it.

    Weighted mean of the first ``min(75, n)`` squared residuals with weights proportional to
    ``0.94**i`` (``arch.univariate.volatility.VolatilityProcess.backcast``).

    Notes
    -----
    ``arch``'s own method gives the same number up to the last bit or two (it normalises the
    weights with Python's ``sum`` and adds with ``numpy.sum``; this uses a dot product). The
    published FHS numbers rest on this arithmetic, so it is kept; ``tests/test_garch.py`` checks
    the two agree to 1e-15.
    """
    tau = min(_TAU, resid.shape[0])
    w = _BACKCAST_WEIGHTS[tau] if tau < len(_BACKCAST_WEIGHTS) else _backcast_weights(tau)
    return float(np.dot(resid[:tau] ** 2, w))


def _backcast_weights(tau: int) -> np.ndarray:
    w = _BACKCAST_LAMBDA ** np.arange(tau)
    return w / w.sum()


#: the normalised weights for each window length up to 75 (the hot path of daily refits)
_BACKCAST_WEIGHTS = [np.ones(0)] + [_backcast_weights(t) for t in range(1, _TAU + 1)]


@dataclass(frozen=True)
class GarchParams:
    """Fitted GARCH-family parameters in return units (fractions), ready for filtering.

    The recursion of each family is in :mod:`riskkit.volatility.processes` (:attr:`process`);
    the innovation distribution in :mod:`riskkit.volatility.distributions`
    (:attr:`innovation`).

    Attributes
    ----------
    vol, dist, mean : str
        Model family (a key of :data:`riskkit.volatility.processes.PROCESSES`), innovation
        distribution, mean model (``"zero"`` or ``"constant"``).
    mu, omega : float
        Mean and intercept (return units).
    alpha, gamma, beta : tuple of float
        ARCH, asymmetry and GARCH coefficients (lengths p, o, q).
    delta : float
        APARCH power (2.0 for the other families).
    shape : tuple of float
        Innovation shape parameters in ``arch`` order (``nu``; ``eta, lambda``; ``nu``).
    info : dict
        Not part of equality. Filled by the estimators: ``fallback`` (None or the model used
        instead), ``loglik`` and ``nobs`` of the fit; the fast backend adds its optimiser state
        (see :class:`riskkit.risk.FastGarch`).
    """

    vol: str
    dist: str
    mean: str
    mu: float
    omega: float
    alpha: tuple[float, ...]
    gamma: tuple[float, ...] = ()
    beta: tuple[float, ...] = ()
    delta: float = 2.0
    shape: tuple[float, ...] = ()
    info: dict = field(default_factory=dict, compare=False, repr=False)

    @property
    def p(self) -> int:
        return len(self.alpha)

    @property
    def o(self) -> int:
        return len(self.gamma)

    @property
    def q(self) -> int:
        return len(self.beta)

    @property
    def process(self) -> VolatilityProcess:
        """The variance recursion of this family (:mod:`riskkit.volatility.processes`)."""
        return PROCESSES[self.vol]

    @cached_property
    def innovation(self) -> Innovation:
        """The standardised innovation distribution (:class:`Innovation`)."""
        return Innovation(self.dist, self.shape)

    # --- conversion to and from arch's parameter vector (on data multiplied by ``scale``) ---
    def to_arch(self, scale: float = 1.0) -> np.ndarray:
        """Parameter vector in ``arch`` order for data multiplied by ``scale``."""
        mean = [self.mu * scale] if self.mean == "constant" else []
        vol = [self.process.scale_omega(self, scale), *self.alpha, *self.gamma, *self.beta]
        if "delta" in self.process.extra_params:
            vol.append(self.delta)
        return np.array(mean + vol + list(self.shape), dtype=float)

    @classmethod
    def from_arch(
        cls, vol: str, dist: str, mean: str, p: int, o: int, q: int, vector, scale: float = 1.0
    ) -> GarchParams:
        """Inverse of :meth:`to_arch`."""
        process = PROCESSES[vol]
        x = [float(v) for v in np.asarray(vector, dtype=float)]
        mu = 0.0
        if mean == "constant":
            mu, x = x[0] / scale, x[1:]
        omega, x = x[0], x[1:]
        alpha, gamma, beta = tuple(x[:p]), tuple(x[p : p + o]), tuple(x[p + o : p + o + q])
        x = x[p + o + q :]
        delta = 2.0
        if "delta" in process.extra_params:
            delta, x = x[0], x[1:]
        omega = process.unscale_omega(omega, beta, delta, scale)
        return cls(vol, dist, mean, mu, omega, alpha, gamma, beta, delta, tuple(x))

    # --- innovation distribution (unit variance) ---
    def ppf(self, u: np.ndarray | float) -> np.ndarray:
        """Quantile function of the standardised innovation ``z``."""
        return self.innovation.ppf(u)

    def tail_mean(self, prob: float) -> float:
        """``E[z | z <= F^{-1}(prob)]`` (see :meth:`Innovation.tail_mean`)."""
        return self.innovation.tail_mean(prob)

    def draw(self, rng: np.random.Generator, size) -> np.ndarray:
        """Independent draws of the standardised innovation."""
        return self.innovation.draw(rng, size)

    @property
    def mean_abs_z(self) -> float:
        """``E|z|`` under the fitted innovation distribution (``sqrt(2/pi)`` for the normal)."""
        return self.innovation.mean_abs

    # --- summary quantities ---
    @cached_property
    def persistence(self) -> float:
        """Rate at which a variance shock decays per period.

        GARCH/GJR: ``sum alpha + sum gamma / 2 + sum beta`` (``gamma/2`` assumes a symmetric
        innovation, as ``arch`` does); EGARCH: ``sum beta`` (of log variance); APARCH:
        ``sum alpha_i E(|z| - gamma_i z)^delta + sum beta`` (expectation under the fitted
        innovation).
        """
        return self.process.persistence(self)

    @property
    def half_life(self) -> float:
        """Periods for a variance shock to halve: ``ln(0.5) / ln(persistence)``; inf if >= 1."""
        pers = self.persistence
        if pers >= 1.0:
            return math.inf
        if pers <= 0.0:
            return 0.0
        return math.log(0.5) / math.log(pers)

    @property
    def unconditional_variance(self) -> float:
        """Long-run variance: ``omega / (1 - persistence)`` (GARCH/GJR, exact).

        APARCH: ``(omega / (1 - persistence))^(2/delta)``, the long-run mean of ``sigma^delta``
        raised to ``2/delta`` (equal to the variance only when ``delta = 2``). EGARCH:
        ``exp(E[ln sigma^2])`` with ``E[ln sigma^2] = (omega + sum alpha (E|z| - sqrt(2/pi))) /
        (1 - sum beta)``, the *geometric* long-run variance: the arithmetic one is larger (Jensen)
        and is infinite for Student-t innovations, whose absolute value has no exponential moment
        (Nelson 1991). ``inf`` when non-stationary.
        """
        pers = self.persistence
        if pers >= 1.0:
            return math.inf
        return self.process.unconditional_variance(self, pers)

    @property
    def n_lags(self) -> int:
        return max(self.p, self.o, self.q, 1)


def filter_variance(params: GarchParams, returns: np.ndarray) -> np.ndarray:
    """Conditional variances through ``returns`` with fixed parameters, plus the next one.

    Parameters
    ----------
    params : GarchParams
        Fixed parameters (return units).
    returns : numpy.ndarray
        Returns, oldest first, no NaN.

    Returns
    -------
    numpy.ndarray
        Length ``n + 1``: ``sigma2[t]`` is the variance of ``returns[t]`` given returns before t;
        ``sigma2[n]`` is the one-step-ahead forecast for the period after the last return.

    Notes
    -----
    The recursion (``params.process.filter``) starts from ``arch``'s backcast (see
    :func:`backcast`; on ``r - mean(r)`` for a constant-mean model, on ``r`` otherwise) computed
    on this window, exactly as ``arch_model(...).fix(params)`` does, so the two agree to
    rounding. The linear families (GARCH, GJR, APARCH in ``sigma^delta``) are one call to
    ``scipy.signal.lfilter``; EGARCH, whose recursion is non-linear, is a scalar loop.
    """
    r = np.asarray(returns, dtype=float)
    e = r - params.mu
    # arch takes the backcast from the residuals at its starting values: the sample mean for a
    # constant-mean model, not the estimated mu
    bc = backcast(r - r.mean() if params.mean == "constant" else r)
    return params.process.filter(params, e, bc)


def forecast_variance(
    params: GarchParams, returns: np.ndarray, horizon: int, sigma2: np.ndarray | None = None
) -> np.ndarray:
    """Analytic forecasts ``E[sigma^2_{T+k} | F_T]``, k = 1..horizon (GARCH and GJR).

    Parameters
    ----------
    params : GarchParams
        Fixed parameters; the family must have an analytic forecast
        (``params.process.analytic_forecast``) unless ``horizon == 1``.
    returns : numpy.ndarray
        Returns up to T, oldest first.
    horizon : int
        Number of steps.
    sigma2 : numpy.ndarray, optional
        Output of :func:`filter_variance` on ``returns`` if already computed.

    Returns
    -------
    numpy.ndarray
        Per-step variance forecasts. Their sum is the variance of the aggregated
        ``horizon``-period return (returns are serially uncorrelated given a constant mean).

    Raises
    ------
    ValueError
        For a family without an analytic multi-step forecast (simulate instead).

    Notes
    -----
    For k >= 2 the recursion replaces ``e^2`` by its expectation ``sigma^2`` and ``e^2 1[e<0]``
    by ``sigma^2 / 2`` (symmetric innovations), as ``arch``'s analytic forecasts do.
    """
    r = np.asarray(returns, dtype=float)
    if sigma2 is None:
        sigma2 = filter_variance(params, r)
    if horizon == 1:
        return sigma2[-1:].copy()
    return params.process.forecast(params, r - params.mu, sigma2, horizon)


Sampler = Callable[[np.random.Generator, tuple[int, ...]], np.ndarray]


def simulate_paths(
    params: GarchParams,
    returns: np.ndarray,
    horizon: int,
    n_sims: int,
    rng: np.random.Generator,
    sampler: Sampler | None = None,
    sigma2: np.ndarray | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Simulate ``n_sims`` return paths over the next ``horizon`` periods through the recursion.

    Volatility feedback is kept: a large simulated loss on day 1 raises the variance of day 2.

    Parameters
    ----------
    params : GarchParams
        Fixed parameters.
    returns : numpy.ndarray
        Returns up to T (the recursion's state is filtered through them).
    horizon, n_sims : int
        Path length and number of paths.
    rng : numpy.random.Generator
        Source of randomness.
    sampler : callable, optional
        ``sampler(rng, shape)`` returns standardised innovations of shape
        ``(n_sims, horizon)``; default: the fitted innovation distribution
        (:meth:`GarchParams.draw`). Filtered historical simulation passes a bootstrap of
        standardised residuals.
    sigma2 : numpy.ndarray, optional
        Output of :func:`filter_variance` on ``returns`` if already computed.

    Returns
    -------
    paths : numpy.ndarray
        Shape ``(n_sims, horizon)``: simulated one-period returns.
    variances : numpy.ndarray
        Shape ``(n_sims, horizon)``: their conditional variances.
    """
    r = np.asarray(returns, dtype=float)
    if sigma2 is None:
        sigma2 = filter_variance(params, r)
    draw = sampler if sampler is not None else params.draw
    z = np.asarray(draw(rng, (n_sims, horizon)), dtype=float)
    if params.vol in ("GARCH", "GJR") and params.p == params.q == 1 and params.o <= 1:
        # first-order GARCH/GJR (the common case): one compiled loop over paths and periods,
        # the arithmetic of the general loop below (GARCH.simulate_step) in the same order
        from riskkit.volatility.fast import simulate_garch11

        gamma = params.gamma[0] if params.o else 0.0
        return simulate_garch11(
            z, float(sigma2[-1]), params.mu, params.omega, params.alpha[0], gamma, params.beta[0]
        )
    process = params.process
    lags = params.n_lags
    e_hist = r[-lags:] - params.mu
    s2_hist = sigma2[-lags - 1 : -1]
    # columns 0..lags-1: realised history; lags..lags+h-1: simulated periods. Column-major, so
    # that the column of one period (all paths), which every step reads and writes, is
    # contiguous in memory (about twice as fast as row-major for 10,000 paths)
    E = np.empty((n_sims, lags + horizon), order="F")
    Z = np.empty((n_sims, lags + horizon), order="F")
    S = np.empty((n_sims, lags + horizon), order="F")
    E[:, :lags] = e_hist
    Z[:, :lags] = e_hist / np.sqrt(s2_hist)
    S[:, :lags] = process.transform(params, s2_hist)
    S[:, lags] = process.transform(params, sigma2[-1:])[0]
    variances = np.empty((n_sims, horizon))
    for k in range(horizon):
        t = lags + k
        if k > 0:
            S[:, t] = process.simulate_step(params, E, Z, S, t)
        var_t = process.untransform(params, S[:, t])
        variances[:, k] = var_t
        Z[:, t] = z[:, k]
        E[:, t] = np.sqrt(var_t) * z[:, k]
    return E[:, lags:] + params.mu, variances
