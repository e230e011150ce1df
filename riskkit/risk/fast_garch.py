"""GARCH(1,1) / GJR-GARCH(1,1,1) VaR and ES for the rolling engine, on the fast backend.

:class:`FastGarch` is :class:`riskkit.risk.GarchParametric` with the estimation done by
:mod:`riskkit.volatility.fast` (analytic gradients, warm starts that reuse the previous day's
optimiser state, Newton steps) and the one-period VaR/ES in closed form, so that refitting every
day of a long backtest is cheap. It takes a :class:`riskkit.volatility.GarchSpec`, like the other
GARCH-based estimators.
"""

from __future__ import annotations

import functools
import math
import warnings
from collections.abc import Sequence
from typing import Any

import numpy as np
from scipy import special

from riskkit.exceptions import ConfigError, ConvergenceWarning
from riskkit.risk._common import check_call, check_window, default_rng
from riskkit.risk._garch_based import GarchFiltered
from riskkit.risk.closed_form import normal_var_es, weighted_var_es
from riskkit.volatility.fast import FastState, one_step_variance
from riskkit.volatility.garch import GarchSpec, choose_scale
from riskkit.volatility.recursion import (
    GarchParams,
    backcast,
    filter_variance,
    forecast_variance,
    simulate_paths,
)

__all__ = ["FastGarch"]


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


def _next_variance(params: GarchParams, r: np.ndarray) -> float:
    """``filter_variance(params, r)[-1]`` by the compiled pass of :mod:`riskkit.volatility.fast`
    (the rolling engine's one-period forecast; equal to the reference filter to rounding, see
    ``tests/test_fast_garch.py``)."""
    bc = backcast(r - r.mean() if params.mean == "constant" else r)
    gamma = params.gamma[0] if params.gamma else 0.0
    theta6 = np.array([params.mu, params.omega, params.alpha[0], gamma, params.beta[0], 0.0])
    return one_step_variance(r, theta6, bc)


class FastGarch(GarchFiltered):
    """GARCH(1,1) or GJR-GARCH(1,1,1) VaR/ES with analytic-gradient estimation and warm starts.

    Parameters
    ----------
    spec : GarchSpec or str, optional
        The model: ``GarchSpec("GARCH")`` or ``GarchSpec("GJR")`` with ``dist`` ``"normal"`` or
        ``"t"`` and either mean (default ``GarchSpec()``, GARCH(1,1)-normal, zero mean). For
        backward compatibility the family name is also accepted as a string, with ``dist`` and
        ``mean`` as the next arguments (``FastGarch("GARCH", "t")``).
    dist, mean : str, optional
        Only with a string ``spec``: innovation distribution (default ``"normal"``) and mean
        model (default ``"zero"``).
    n_sims : int
        Simulated paths for horizons longer than one period.

    Notes
    -----
    ``fit`` returns a :class:`riskkit.volatility.GarchParams` in return units; its ``info``
    holds ``loglik`` (return units), ``nobs``, ``converged`` and ``fast_state`` (the optimiser
    state that warm-starts the next fit). A fit that does not converge warns and keeps the last
    iterate (no EWMA fallback: the rolling engine compares models as estimated).
    ``forecast`` filters the returns it is given through fixed parameters (backcast recomputed
    on that window, as ``arch`` does when it refits) and gives the one-step-ahead VaR and ES in
    closed form; for h > 1 it simulates the GARCH recursion with the fitted innovations using
    ``rng`` (one draw per path and step, step by step). Validated against ``arch`` in
    ``tests/test_fast_garch.py``.
    """

    def __init__(
        self,
        spec: GarchSpec | str | None = None,
        dist: str | None = None,
        mean: str | None = None,
        n_sims: int = 20_000,
    ) -> None:
        if spec is None or isinstance(spec, str):
            vol = "GARCH" if spec is None else spec
            if vol not in ("GARCH", "GJR"):
                raise ConfigError(
                    f"FastGarch: vol must be 'GARCH' or 'GJR', got {vol!r} (the fast backend "
                    "estimates GARCH(1,1) and GJR(1,1,1))"
                )
            spec = GarchSpec(vol, dist=dist or "normal", mean=mean or "zero")
        elif dist is not None or mean is not None:
            raise ConfigError(
                "FastGarch: give dist and mean in the GarchSpec, not as separate arguments"
            )
        if spec is not None and spec.backend == "arch":
            raise ConfigError(
                "FastGarch estimates with the fast optimiser; a GarchSpec with backend='arch' "
                "belongs in GarchParametric"
            )
        self._setup(spec, "simulate", ("simulate",), n_sims)
        self._lik = self.spec.fast_likelihood()

    @property
    def name(self) -> str:  # type: ignore[override]
        return f"fast-{self.spec.vol.lower()}-{self.spec.dist}"

    def fit(self, returns: np.ndarray, warm_start: Any | None = None) -> GarchParams:
        """Maximum likelihood on ``returns`` (fractions), starting from ``warm_start`` if given.

        Falls back to a cold start (arch-like grid) if the warm-started optimiser fails or ends on
        the alpha = 0 or beta = 0 boundary (where the likelihood is flat and a warm start can stay
        trapped), keeping the better of the two, and warns with
        :class:`~riskkit.exceptions.ConvergenceWarning` if no attempt converges.
        """
        r = check_window(returns, self.min_obs, type(self).__name__)
        spec = self.spec
        scale = choose_scale(float(np.std(r)))
        theta0, state0 = None, None
        if isinstance(warm_start, GarchParams) and warm_start.vol == spec.vol:
            if (warm_start.dist, warm_start.mean) == (spec.dist, spec.mean):
                theta0 = warm_start.to_arch(scale)
                state0 = warm_start.info.get("fast_state")
                if not isinstance(state0, FastState):
                    state0 = None
        state = self._lik.fit(scale * r, scale, warm_start=theta0, warm_state=state0)
        if not state.converged:
            warnings.warn(
                f"{self!r}: SLSQP did not converge ({state.message}); using its last iterate",
                ConvergenceWarning,
                stacklevel=2,
            )
        params = GarchParams.from_arch(
            spec.vol, spec.dist, spec.mean, spec.p, spec.o, spec.q, state.theta, scale
        )
        params.info.update(
            fallback=None,
            loglik=state.loglik + len(r) * math.log(scale),
            nobs=len(r),
            converged=state.converged,
            fast_state=state,
        )
        return params

    def forecast_volatility(
        self, returns: np.ndarray, params: GarchParams, horizon: int = 1
    ) -> float:
        """Standard deviation of the next ``horizon``-period return: the square root of the sum
        of the analytic variance forecasts (GARCH returns are uncorrelated); the number
        :meth:`GarchFiltered.forecast_volatility` gives, without its simulation set-up."""
        r = np.asarray(returns, dtype=float)
        if int(horizon) == 1:
            return math.sqrt(_next_variance(params, r))
        sigma2 = filter_variance(params, r)
        return math.sqrt(float(np.sum(forecast_variance(params, r, int(horizon), sigma2=sigma2))))

    def forecast(
        self,
        returns: np.ndarray,
        params: GarchParams,
        levels: Sequence[float] = (0.99,),
        horizon: int = 1,
        rng: np.random.Generator | None = None,
    ) -> np.ndarray:
        """VaR and ES (fractions, positive) of the loss over the next ``horizon`` periods.

        One period: ``VaR = sigma z_level - mu`` and ``ES = sigma es_level - mu`` with the
        unit-variance normal or t quantile/ES. Longer horizons: ``n_sims`` simulated paths of the
        GARCH recursion (:func:`riskkit.volatility.simulate_paths`; losses on the log-return
        scale, summed over the horizon), with the empirical VaR/ES of
        :func:`riskkit.risk.empirical_var_es`.
        """
        lv, h = check_call(levels, horizon)
        r = check_window(returns, self.min_obs, type(self).__name__)
        if h == 1:
            nu = params.shape[0] if params.dist == "t" else math.inf
            sigma = math.sqrt(_next_variance(params, r))
            out = np.empty((len(lv), 2))
            for i, level in enumerate(lv):
                q, es = _std_quantile_es(params.dist, level, nu)
                out[i] = [sigma * q - params.mu, sigma * es - params.mu]
            return out

        def step_major(g: np.random.Generator, shape: tuple[int, ...]) -> np.ndarray:
            # all paths' shocks of step 1, then of step 2, ...
            return params.draw(g, shape[::-1]).T

        g = default_rng(rng)
        sigma2 = filter_variance(params, r)
        paths, _ = simulate_paths(params, r, h, self.n_sims, g, step_major, sigma2=sigma2)
        return weighted_var_es(-paths.sum(axis=1), None, lv)
