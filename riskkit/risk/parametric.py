"""Parametric VaR/ES: i.i.d. distributions, Cornish-Fisher, and GARCH-conditional."""

from __future__ import annotations

import math
import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
from arch import arch_model
from scipy import stats

from riskkit.exceptions import ConfigError, ConvergenceWarning, RiskkitWarning
from riskkit.risk._common import check_call, check_choice, check_window, default_rng
from riskkit.risk._garch_based import (
    GarchFiltered,
    aggregate_variance,
    infinite_es_warning,
    simulate_paths,
    standardized,
)
from riskkit.risk.base import RiskEstimator
from riskkit.risk.closed_form import weighted_var_es
from riskkit.volatility.distributions import Innovation
from riskkit.volatility.garch import GarchSpec, choose_scale, finite_expected_variance
from riskkit.volatility.recursion import GarchParams

__all__ = ["Parametric", "CornishFisher", "GarchParametric", "IIDParams", "CornishFisherParams"]


def _location_scale_var_es(
    params: GarchParams | Innovation, mu: float, sigma: float, levels: Sequence[float]
) -> np.ndarray:
    """VaR/ES of ``L = -(mu + sigma z)`` with ``z`` the unit-variance innovation of ``params``
    (anything with the ``ppf`` and ``tail_mean`` of :class:`riskkit.volatility.Innovation`)."""
    out = np.empty((len(levels), 2))
    for j, a in enumerate(levels):
        p = 1.0 - a
        out[j, 0] = -(mu + sigma * float(params.ppf(np.array([p]))[0]))
        out[j, 1] = -(mu + sigma * params.tail_mean(p))
    return out


@dataclass(frozen=True)
class IIDParams:
    """Fitted i.i.d. return distribution: ``R = mu + sigma z``, ``z`` unit variance."""

    dist: str
    mu: float
    sigma: float
    shape: tuple[float, ...] = ()

    def innovation(self) -> Innovation:
        """The standardised distribution of ``z`` (quantiles, tail means, draws)."""
        return Innovation(self.dist, self.shape)


class Parametric(RiskEstimator):
    """VaR/ES from an i.i.d. parametric distribution fitted to the window.

    Parameters
    ----------
    dist : {"normal", "t", "skewt"}
        ``normal``: sample mean and standard deviation. ``t`` (unit-variance Student-t) and
        ``skewt`` (Hansen's skewed t): maximum likelihood with ``arch`` (constant mean, constant
        variance), so the shape parameters have the same meaning as in the GARCH models.
    horizon_method : {"sqrt", "simulate"}
        ``"sqrt"``: the h-period return is ``h mu + sqrt(h) sigma z`` with the same standardised
        distribution (exact for the normal). ``"simulate"``: sums of h independent draws (the
        sum of fat-tailed returns is less fat-tailed: the central limit theorem at work).
    n_sims : int
        Paths for ``"simulate"``.
    min_obs : int
        Fewest returns in a window.

    Notes
    -----
    The returns are treated as i.i.d., so a forecast depends on the fitted parameters only; the
    window passed to :meth:`forecast` is validated but not used. For ``t`` and ``skewt`` the
    standardised innovation has unit variance (``arch``'s convention), so ``sigma`` is the
    standard deviation of the return; VaR/ES follow from
    :func:`riskkit.risk.student_t_var_es` (``t``) or numerical integration of the quantile
    function (``skewt``).
    """

    def __init__(
        self,
        dist: Literal["normal", "t", "skewt"] = "normal",
        horizon_method: Literal["sqrt", "simulate"] = "sqrt",
        n_sims: int = 20_000,
        min_obs: int = 50,
    ) -> None:
        self.dist = check_choice(dist, ("normal", "t", "skewt"), "dist")
        self.horizon_method = check_choice(horizon_method, ("sqrt", "simulate"), "horizon_method")
        if int(n_sims) < 100:
            raise ConfigError(f"n_sims must be >= 100, got {n_sims!r}")
        if int(min_obs) < 10:
            raise ConfigError(f"min_obs must be >= 10, got {min_obs!r}")
        self.n_sims = int(n_sims)
        self.min_obs = int(min_obs)
        self.name = f"parametric_{dist}"

    def fit(self, returns: np.ndarray, warm_start: Any | None = None) -> IIDParams:
        r = check_window(returns, self.min_obs, type(self).__name__)
        if self.dist == "normal":
            return IIDParams("normal", float(r.mean()), float(r.std(ddof=1)))
        scale = choose_scale(float(r.std()))
        model = arch_model(r * scale, mean="Constant", vol="Constant", dist=self.dist)
        sv = None
        if isinstance(warm_start, IIDParams) and warm_start.dist == self.dist:
            sv = np.r_[warm_start.mu * scale, (warm_start.sigma * scale) ** 2, warm_start.shape]
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            res = model.fit(disp="off", show_warning=False, starting_values=sv)
        x = res.params.to_numpy(dtype=float)
        if res.convergence_flag != 0 or not np.isfinite(x).all():
            warnings.warn(
                f"Parametric({self.dist!r}): optimiser did not converge "
                f"(flag {res.convergence_flag}); falling back to the normal distribution",
                ConvergenceWarning,
                stacklevel=2,
            )
            return IIDParams("normal", float(r.mean()), float(r.std(ddof=1)))
        return IIDParams(self.dist, x[0] / scale, math.sqrt(x[1]) / scale, tuple(x[2:]))

    def forecast(
        self,
        returns: np.ndarray,
        params: IIDParams,
        levels: Sequence[float] = (0.99,),
        horizon: int = 1,
        rng: np.random.Generator | None = None,
    ) -> np.ndarray:
        lv, h = check_call(levels, horizon)
        check_window(returns, self.min_obs, type(self).__name__)
        inn = params.innovation()
        if h == 1 or self.horizon_method == "sqrt" or params.dist == "normal":
            return _location_scale_var_es(inn, h * params.mu, math.sqrt(h) * params.sigma, lv)
        g = default_rng(rng)
        sums = params.mu * h + params.sigma * inn.draw(g, (self.n_sims, h)).sum(axis=1)
        return weighted_var_es(-sums, None, lv)

    def forecast_volatility(self, returns: np.ndarray, params: IIDParams, horizon: int = 1):
        return params.sigma * math.sqrt(horizon)


@dataclass(frozen=True)
class CornishFisherParams:
    """Sample moments: mean, standard deviation, skewness, excess kurtosis."""

    mu: float
    sigma: float
    skew: float
    exkurt: float


def cornish_fisher_z(z: np.ndarray, skew: float, exkurt: float) -> np.ndarray:
    """Cornish-Fisher expansion of a standard-normal quantile ``z``.

    ``z_CF = z + (z^2 - 1) S / 6 + (z^3 - 3 z) K / 24 - (2 z^3 - 5 z) S^2 / 36``.

    Parameters
    ----------
    z : numpy.ndarray or float
        Standard-normal quantile(s) ``Phi^{-1}(p)``; for a loss tail of the return use the
        lower tail, ``p = 1 - alpha``.
    skew : float
        Skewness ``S`` of the distribution.
    exkurt : float
        Excess kurtosis ``K`` (kurtosis minus 3).

    Returns
    -------
    numpy.ndarray or float
        Quantile(s) of the standardised (zero-mean, unit-variance) distribution, same shape as
        ``z``; the return quantile is ``mu + sigma z_CF``. Not checked for monotonicity.

    References
    ----------
    Maillard, D. (2012). A user's guide to the Cornish Fisher expansion. SSRN 1997178.
    """
    return (
        z
        + (z**2 - 1.0) * skew / 6.0
        + (z**3 - 3.0 * z) * exkurt / 24.0
        - (2.0 * z**3 - 5.0 * z) * skew**2 / 36.0
    )


def cornish_fisher_tail_mean(p: float, skew: float, exkurt: float) -> float:
    """``(1/p) int_0^p z_CF(u) du``: tail average of the Cornish-Fisher quantile function.

    Uses the truncated normal moments ``m_k = E[Z^k | Z < z_p]``: ``m1 = -phi/p``,
    ``m2 = 1 - z_p phi/p``, ``m3 = -(z_p^2 + 2) phi/p`` with ``phi = phi(z_p)``.

    Parameters
    ----------
    p : float
        Lower-tail probability in (0, 1), ``1 - alpha`` for confidence level alpha; not
        validated.
    skew : float
        Skewness of the distribution.
    exkurt : float
        Excess kurtosis (kurtosis minus 3).

    Returns
    -------
    float
        Mean of the standardised Cornish-Fisher quantile over the lower tail ``u < p`` (a
        negative number for small ``p``); the return's tail mean is ``mu + sigma`` times it,
        and the ES of the loss is minus that.
    """
    z = stats.norm.ppf(p)
    phi = stats.norm.pdf(z)
    m1 = -phi / p
    m2 = 1.0 - z * phi / p
    m3 = -(z**2 + 2.0) * phi / p
    return (
        m1
        + (m2 - 1.0) * skew / 6.0
        + (m3 - 3.0 * m1) * exkurt / 24.0
        - (2.0 * m3 - 5.0 * m1) * skew**2 / 36.0
    )


class CornishFisher(RiskEstimator):
    """Modified (Cornish-Fisher) VaR and ES from the first four sample moments.

    Parameters
    ----------
    horizon_method : {"cumulants", "sqrt"}
        ``"cumulants"`` (default): for a sum of h i.i.d. returns the mean and variance scale with
        h, skewness with ``1/sqrt(h)`` and excess kurtosis with ``1/h`` (exact cumulant algebra),
        and the expansion is applied to the h-period moments. ``"sqrt"`` keeps the one-period
        skewness and kurtosis (square-root-of-time rule: mean ``h mu``, standard deviation
        ``sqrt(h) sigma``).
    min_obs : int
        Fewest returns in a window.

    Notes
    -----
    A forecast depends on the fitted moments only (the window is validated, not used).
    ``VaR = -(mu + sigma z_CF(1 - alpha))`` with the usual expansion (Zangari 1996; Favre &
    Galeano 2002). ES is the exact tail average of the Cornish-Fisher quantile function
    (closed form through truncated normal moments), which differs from Boudt, Peterson &
    Croux's (2008) Edgeworth-based "modified ES" by higher-order terms. The expansion is only a
    valid quantile function when it is monotone; outside that domain (large skewness or excess
    kurtosis, as in some crypto windows) a warning is issued: the estimate is then unreliable.

    References
    ----------
    Zangari, P. (1996). A VaR methodology for portfolios that include options. RiskMetrics
    Monitor, First quarter, 4-12.
    Maillard, D. (2012). A user's guide to the Cornish Fisher expansion. SSRN 1997178.
    """

    name = "cornish_fisher"

    def __init__(
        self, horizon_method: Literal["cumulants", "sqrt"] = "cumulants", min_obs: int = 50
    ) -> None:
        self.horizon_method = check_choice(horizon_method, ("cumulants", "sqrt"), "horizon_method")
        if int(min_obs) < 10:
            raise ConfigError(f"min_obs must be >= 10 (four sample moments), got {min_obs!r}")
        self.min_obs = int(min_obs)

    def fit(self, returns: np.ndarray, warm_start: Any | None = None) -> CornishFisherParams:
        r = check_window(returns, self.min_obs, type(self).__name__)
        s = float(stats.skew(r, bias=False))
        k = float(stats.kurtosis(r, fisher=True, bias=False))
        zz = np.linspace(-4.0, 0.0, 81)
        slope = (
            1.0 + 2 * zz * s / 6.0 + (3 * zz**2 - 3.0) * k / 24.0 - (6 * zz**2 - 5.0) * s**2 / 36.0
        )
        if (slope <= 0).any():
            warnings.warn(
                f"Cornish-Fisher expansion not monotone for skewness {s:.2f} and excess kurtosis "
                f"{k:.2f} (Maillard 2012 domain of validity); VaR/ES unreliable",
                RiskkitWarning,
                stacklevel=2,
            )
        return CornishFisherParams(float(r.mean()), float(r.std(ddof=1)), s, k)

    def forecast(
        self,
        returns: np.ndarray,
        params: CornishFisherParams,
        levels: Sequence[float] = (0.99,),
        horizon: int = 1,
        rng: np.random.Generator | None = None,
    ) -> np.ndarray:
        lv, h = check_call(levels, horizon)
        check_window(returns, self.min_obs, type(self).__name__)
        # both methods: mean h mu, standard deviation sqrt(h) sigma; "cumulants" also shrinks
        # the higher cumulants as for a sum of h i.i.d. returns, "sqrt" keeps one-period shape
        mu, sigma = h * params.mu, math.sqrt(h) * params.sigma
        if self.horizon_method == "cumulants":
            s, k = params.skew / math.sqrt(h), params.exkurt / h
        else:
            s, k = params.skew, params.exkurt
        out = np.empty((len(lv), 2))
        for j, a in enumerate(lv):
            p = 1.0 - a
            q = float(cornish_fisher_z(np.array(stats.norm.ppf(p)), s, k))
            out[j, 0] = -(mu + sigma * q)
            out[j, 1] = max(-(mu + sigma * cornish_fisher_tail_mean(p, s, k)), out[j, 0])
        return out

    def forecast_volatility(self, returns, params: CornishFisherParams, horizon: int = 1):
        return params.sigma * math.sqrt(horizon)


class GarchParametric(GarchFiltered):
    """GARCH-conditional VaR/ES with the fitted innovation distribution.

    Parameters
    ----------
    spec : GarchSpec, optional
        Default ``GarchSpec("GJR", dist="t")``.
    horizon_method : {"simulate", "sqrt", "aggregate"}
        Multi-period: ``"simulate"`` draws h-step paths from the fitted innovation distribution
        through the recursion (volatility feedback and the thinning of tails under aggregation
        both kept); ``"sqrt"`` scales the one-period volatility by ``sqrt(h)``; ``"aggregate"``
        uses the exact variance of the h-period return (sum of the per-step variance forecasts)
        with the one-period innovation quantile (keeps mean reversion of the variance, not the
        change of tail shape).
    n_sims : int
        Paths for ``"simulate"`` (and for the variance of EGARCH/APARCH beyond one step).

    Notes
    -----
    One period: ``VaR = -(mu + sigma_{T+1} F^{-1}(1 - alpha))``, ``ES = -(mu + sigma_{T+1}
    E[z | z <= F^{-1}(1 - alpha)])`` with ``F`` the fitted unit-variance innovation distribution.

    EGARCH with Student-t or skewed-t innovations has an infinite multi-period ES (and
    variance): the next variance is the exponential of a heavy-tailed shock. ``"simulate"`` then
    returns the simulated VaR and ``ES = inf`` with a :class:`RiskkitWarning`; ``"aggregate"``
    raises :class:`ConfigError`.
    """

    def __init__(
        self,
        spec: GarchSpec | None = None,
        horizon_method: Literal["simulate", "sqrt", "aggregate"] = "simulate",
        n_sims: int = 10_000,
    ) -> None:
        self._setup(spec, horizon_method, ("simulate", "sqrt", "aggregate"), n_sims)
        self.name = f"garch_{self.spec.label}"

    def forecast(
        self,
        returns: np.ndarray,
        params: GarchParams,
        levels: Sequence[float] = (0.99,),
        horizon: int = 1,
        rng: np.random.Generator | None = None,
    ) -> np.ndarray:
        lv, h = check_call(levels, horizon)
        r = check_window(returns, self.min_obs, type(self).__name__)
        sigma2, _ = standardized(params, r)
        if h == 1 or self.horizon_method == "sqrt":
            return _location_scale_var_es(params, h * params.mu, math.sqrt(h * sigma2[-1]), lv)
        g = default_rng(rng)
        if self.horizon_method == "aggregate":
            var_h = aggregate_variance(params, r, sigma2, h, g, self.n_sims)
            if not np.isfinite(var_h):
                raise ConfigError(
                    f"{self.spec.label}: the {h}-period variance is infinite (EGARCH with t "
                    "innovations); use horizon_method='simulate'"
                )
            return _location_scale_var_es(params, h * params.mu, math.sqrt(var_h), lv)
        paths, _ = simulate_paths(params, r, h, self.n_sims, g, sigma2=sigma2)
        out = weighted_var_es(-paths.sum(axis=1), None, lv)
        if not finite_expected_variance(params):
            infinite_es_warning(self.spec.label, h)
            out[:, 1] = np.inf
        return out
