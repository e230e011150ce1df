"""GARCH-family variance processes, one small class per family, mirroring ``arch``'s.

Each class knows its recursion and nothing else: filtering the conditional variance through a
window with fixed parameters, the analytic multi-step forecast where one exists, one step of a
simulated path, the persistence and long-run variance, the news impact curve, and how its
intercept changes when the data are rescaled (the optimiser sees scaled returns). Parameters
come as a :class:`riskkit.volatility.GarchParams` in return units; :data:`PROCESSES` maps the
names used by :class:`riskkit.volatility.GarchSpec` to the instances.

Recursions, with residual ``e_t = r_t - mu`` and ``z_t = e_t / sigma_t``:

* :class:`GARCH` / :class:`GJR`: ``s2_t = omega + sum alpha_i e_{t-i}^2
  + sum gamma_j e_{t-j}^2 1[e_{t-j}<0] + sum beta_k s2_{t-k}``
* :class:`EGARCH`: ``ln s2_t = omega + sum alpha_i (|z_{t-i}| - sqrt(2/pi)) + sum gamma_j z_{t-j}
  + sum beta_k ln s2_{t-k}``
* :class:`APARCH`: ``s_t^delta = omega + sum alpha_i (|e_{t-i}| - gamma_i e_{t-i})^delta
  + sum beta_k s_{t-k}^delta``

The recursions start from ``arch``'s backcast and reproduce ``arch_model(...).fix(params)``
(see ``tests/test_garch.py``). ``arch`` also clips variances to loose bounds (1e-6 to 1e6 times
an EWMA); these never bind for sensible parameters and are not applied here.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, ClassVar

import numpy as np
from scipy import signal

from riskkit.volatility.distributions import SQRT_2_OVER_PI

if TYPE_CHECKING:
    from riskkit.volatility.recursion import GarchParams

__all__ = ["APARCH", "EGARCH", "GARCH", "GJR", "PROCESSES", "VolatilityProcess", "garch_variance"]


_ONE = np.ones(1)


def _shifted(x: np.ndarray, lag: int, fill: float) -> np.ndarray:
    """``out[t] = x[t - lag]`` for the n+1 outputs t = 0..n, ``fill`` before the sample."""
    n = x.shape[0]
    out = np.empty(n + 1)
    out[:lag] = fill
    out[lag:] = x[: n + 1 - lag]
    return out


def _ar_filter(x: np.ndarray, beta: tuple[float, ...] | list[float], s_init: float) -> np.ndarray:
    """``s_t = x_t + sum_k beta_k s_{t-k}`` with ``s_{-k} = s_init``: one ``lfilter`` call.

    The initial state is the one ``scipy.signal.lfiltic`` builds from ``q`` past outputs equal to
    ``s_init`` (same arithmetic, without its overhead in the optimiser's inner loop).
    """
    q = len(beta)
    if not q:
        return x
    if q == 1:
        # lfiltic's 0 - (-beta) s_init is exactly beta s_init
        b = float(beta[0])
        s, _ = signal.lfilter(_ONE, np.array([1.0, -b]), x, zi=np.array([b * s_init]))
        return s
    a_coef = np.empty(q + 1)
    a_coef[0] = 1.0
    a_coef[1:] = beta
    a_coef[1:] *= -1.0
    y = np.full(q, s_init)
    zi = np.zeros(q)
    for m in range(q):
        zi[m] -= np.sum(a_coef[m + 1 :] * y[: q - m])
    s, _ = signal.lfilter(_ONE, a_coef, x, zi=zi)
    return s


def garch_variance(
    e: np.ndarray,
    omega: float,
    alpha: tuple[float, ...] | list[float],
    gamma: tuple[float, ...] | list[float],
    beta: tuple[float, ...] | list[float],
    bc: float,
) -> np.ndarray:
    """GARCH/GJR conditional variances through residuals ``e``, plus the next one (length n+1).

    ``s2_t = omega + sum alpha_i e_{t-i}^2 + sum gamma_j e_{t-j}^2 1[e_{t-j}<0]
    + sum beta_k s2_{t-k}``; pre-sample ``e^2`` and ``s2`` are the backcast ``bc`` and
    ``e^2 1[e<0]`` is ``bc / 2``, as in ``arch``. A first-order linear filter in ``s2``, so it is
    one ``scipy.signal.lfilter`` call. This is the one GARCH variance filter of riskkit: the
    process classes, the fast likelihood and DCC's univariate step all call it.
    """
    e2 = e * e
    if len(alpha) == 1 and len(gamma) <= 1:
        # first-order case (the fast backend's inner loop): the arithmetic of the general case
        # below without its temporary arrays
        a = alpha[0]
        x = np.empty(e.shape[0] + 1)
        np.multiply(e2, a, out=x[1:])
        x[1:] += omega
        x[0] = omega + a * bc
        if gamma:
            g = gamma[0]
            neg = e2 * (e < 0)
            neg *= g
            x[1:] += neg
            x[0] += g * (0.5 * bc)
        return _ar_filter(x, beta, bc)
    x = np.full(e.shape[0] + 1, omega)
    for i, a in enumerate(alpha):
        x += a * _shifted(e2, i + 1, bc)
    if len(gamma):
        neg = e2 * (e < 0)
        for j, g in enumerate(gamma):
            x += g * _shifted(neg, j + 1, 0.5 * bc)
    return _ar_filter(x, beta, bc)


class VolatilityProcess:
    """Base class of the variance recursions (see the module docstring).

    Attributes
    ----------
    name : str
        riskkit's name (``GarchSpec.vol``).
    arch_name : str
        ``vol=`` argument of ``arch.arch_model``.
    analytic_forecast : bool
        Whether :meth:`forecast` gives exact multi-step expectations (else simulate).
    nonnegative : bool
        Whether ``alpha`` and ``beta`` are constrained to be >= 0 (an estimate at 0 is then a
        boundary estimate).
    extra_params : tuple of str
        Parameters after the ``beta`` coefficients in ``arch``'s vector.
    log_variance : bool
        Whether the recursion is in ``ln sigma^2``: a shock then enters the next variance
        exponentially, and a heavy-tailed shock (Student-t, Pareto) gives an infinite expected
        variance beyond one step.
    """

    name: ClassVar[str]
    arch_name: ClassVar[str]
    analytic_forecast: ClassVar[bool] = False
    nonnegative: ClassVar[bool] = True
    extra_params: ClassVar[tuple[str, ...]] = ()
    log_variance: ClassVar[bool] = False

    def __repr__(self) -> str:
        return f"{type(self).__name__}()"

    # --- orders ---------------------------------------------------------------------------
    def default_o(self) -> int:
        """Asymmetry order when the spec does not give one."""
        return 1

    def check_orders(self, p: int, o: int, q: int) -> str | None:
        """A message if the orders are not allowed for this family, else None."""
        return None

    # --- units ----------------------------------------------------------------------------
    def scale_omega(self, params: GarchParams, scale: float) -> float:
        """Intercept for data multiplied by ``scale`` (``arch`` sees scaled returns)."""
        return params.omega * scale**2

    def unscale_omega(self, omega: float, beta: tuple[float, ...], delta: float, scale: float):
        """Inverse of :meth:`scale_omega`: the intercept in return units."""
        return omega / scale**2

    def omega_gradient(self, names, scaled, scale: float) -> np.ndarray | None:
        """Gradient of the return-unit ``omega`` with respect to the scaled parameter vector,
        for the delta method; ``None`` when ``omega`` is simply divided by ``scale**2``."""
        return None

    # --- recursion ------------------------------------------------------------------------
    def transform(self, params: GarchParams, sigma2: np.ndarray) -> np.ndarray:
        """The quantity the recursion is linear in (``sigma^2``, ``ln sigma^2``,
        ``sigma^delta``)."""
        return sigma2

    def untransform(self, params: GarchParams, s: np.ndarray) -> np.ndarray:
        return s

    def filter(self, params: GarchParams, e: np.ndarray, bc: float) -> np.ndarray:
        """Conditional variances through residuals ``e`` plus the next one (length n + 1),
        starting from the backcast ``bc``."""
        raise NotImplementedError

    def forecast(
        self, params: GarchParams, e: np.ndarray, sigma2: np.ndarray, horizon: int
    ) -> np.ndarray:
        """``E[sigma^2_{T+k} | F_T]``, k = 1..horizon, from residuals ``e`` and their filtered
        ``sigma2`` (length n + 1)."""
        raise ValueError(f"no analytic multi-step forecast for {self.name}; simulate instead")

    def simulate_step(
        self, params: GarchParams, E: np.ndarray, Z: np.ndarray, S: np.ndarray, t: int
    ):
        """Transformed variance of column ``t`` of simulated paths from the columns before it
        (``E`` residuals, ``Z`` standardised residuals, ``S`` transformed variances)."""
        raise NotImplementedError

    # --- summary quantities ---------------------------------------------------------------
    def persistence(self, params: GarchParams) -> float:
        raise NotImplementedError

    def unconditional_variance(self, params: GarchParams, persistence: float) -> float:
        return params.omega / (1.0 - persistence)

    def finite_expected_variance(self, params: GarchParams) -> bool:
        """Whether ``E[sigma^2_{T+k}]`` is finite for k > 1."""
        return True

    def news_impact(self, params: GarchParams, e: np.ndarray, s2: float) -> np.ndarray:
        """Next variance after shock ``e`` when the current variance is ``s2`` (first lags)."""
        raise NotImplementedError


class GARCH(VolatilityProcess):
    """Bollerslev (1986) GARCH(p, q); with ``o > 0`` terms it is :class:`GJR`."""

    name = "GARCH"
    arch_name = "GARCH"
    analytic_forecast = True

    def default_o(self) -> int:
        return 0

    def filter(self, params: GarchParams, e: np.ndarray, bc: float) -> np.ndarray:
        return garch_variance(e, params.omega, params.alpha, params.gamma, params.beta, bc)

    def forecast(
        self, params: GarchParams, e: np.ndarray, sigma2: np.ndarray, horizon: int
    ) -> np.ndarray:
        """Analytic: for k >= 2, ``e^2`` is replaced by its expectation ``sigma^2`` and
        ``e^2 1[e<0]`` by ``sigma^2 / 2`` (symmetric innovations), as in ``arch``."""
        lags = params.n_lags
        e = e[-lags:]
        # histories (most recent last) of e^2, e^2 1[e<0] and sigma^2 up to T
        e2 = (e**2).tolist()
        neg = (e**2 * (e < 0)).tolist()
        s2 = sigma2[-lags - 1 : -1].tolist()
        out = [float(sigma2[-1])]
        for _ in range(1, horizon):
            cur = out[-1]
            e2.append(cur)
            neg.append(0.5 * cur)
            s2.append(cur)
            v = params.omega
            for i, a in enumerate(params.alpha):
                v += a * e2[-1 - i]
            for j, g in enumerate(params.gamma):
                v += g * neg[-1 - j]
            for k, b in enumerate(params.beta):
                v += b * s2[-1 - k]
            out.append(v)
        return np.asarray(out)

    def simulate_step(
        self, params: GarchParams, E: np.ndarray, Z: np.ndarray, S: np.ndarray, t: int
    ):
        v = np.full(E.shape[0], params.omega)
        for i, a in enumerate(params.alpha):
            v += a * E[:, t - 1 - i] ** 2
        for j, g in enumerate(params.gamma):
            ev = E[:, t - 1 - j]
            v += g * ev**2 * (ev < 0)
        for k, b in enumerate(params.beta):
            v += b * S[:, t - 1 - k]
        return v

    def persistence(self, params: GarchParams) -> float:
        """``sum alpha + sum gamma / 2 + sum beta`` (``gamma/2`` assumes a symmetric innovation,
        as ``arch`` does)."""
        return float(sum(params.alpha) + 0.5 * sum(params.gamma) + sum(params.beta))

    def news_impact(self, params: GarchParams, e: np.ndarray, s2: float) -> np.ndarray:
        v = params.omega + params.alpha[0] * e**2 + sum(params.alpha[1:]) * s2
        if params.o:
            v = v + params.gamma[0] * e**2 * (e < 0) + 0.5 * sum(params.gamma[1:]) * s2
        return v + sum(params.beta) * s2


class GJR(GARCH):
    """Glosten, Jagannathan & Runkle (1993): GARCH with ``o >= 1`` asymmetric terms."""

    name = "GJR"

    def default_o(self) -> int:
        return 1

    def check_orders(self, p: int, o: int, q: int) -> str | None:
        if o == 0:
            return "GarchSpec(vol='GJR') needs o >= 1 (o=0 is plain GARCH)"
        return None


class EGARCH(VolatilityProcess):
    """Nelson (1991) exponential GARCH, a recursion in ``ln sigma^2``."""

    name = "EGARCH"
    arch_name = "EGARCH"
    nonnegative = False
    log_variance = True

    def scale_omega(self, params: GarchParams, scale: float) -> float:
        return params.omega + (1.0 - sum(params.beta)) * math.log(scale**2)

    def unscale_omega(self, omega: float, beta: tuple[float, ...], delta: float, scale: float):
        return omega - (1.0 - sum(beta)) * math.log(scale**2)

    def omega_gradient(self, names, scaled, scale: float) -> np.ndarray | None:
        """``omega - (1 - sum beta) ln(scale^2)``: also depends on the beta coefficients."""
        grad = np.zeros(len(names))
        grad[names.index("omega")] = 1.0
        log_s2 = math.log(scale**2)
        for k, name in enumerate(names):
            if name.startswith("beta["):
                grad[k] = log_s2
        return grad

    def transform(self, params: GarchParams, sigma2: np.ndarray) -> np.ndarray:
        return np.log(sigma2)

    def untransform(self, params: GarchParams, s: np.ndarray) -> np.ndarray:
        return np.exp(s)

    def filter(self, params: GarchParams, e: np.ndarray, bc: float) -> np.ndarray:
        """Non-linear in ``e``: a scalar loop."""
        n = e.shape[0]
        omega, alpha, gamma, beta = params.omega, params.alpha, params.gamma, params.beta
        log_bc = math.log(bc)
        ls = [0.0] * (n + 1)
        z = [0.0] * n
        el = e.tolist()
        for t in range(n + 1):
            v = omega
            for i, a in enumerate(alpha):
                if t - 1 - i >= 0:
                    v += a * (abs(z[t - 1 - i]) - SQRT_2_OVER_PI)
            for j, g in enumerate(gamma):
                if t - 1 - j >= 0:
                    v += g * z[t - 1 - j]
            for k, b in enumerate(beta):
                v += b * (ls[t - 1 - k] if t - 1 - k >= 0 else log_bc)
            ls[t] = v
            if t < n:
                z[t] = el[t] / math.exp(0.5 * v)
        return np.exp(np.asarray(ls))

    def simulate_step(
        self, params: GarchParams, E: np.ndarray, Z: np.ndarray, S: np.ndarray, t: int
    ):
        v = np.full(E.shape[0], params.omega)
        for i, a in enumerate(params.alpha):
            v += a * (np.abs(Z[:, t - 1 - i]) - SQRT_2_OVER_PI)
        for j, g in enumerate(params.gamma):
            v += g * Z[:, t - 1 - j]
        for k, b in enumerate(params.beta):
            v += b * S[:, t - 1 - k]
        return v

    def persistence(self, params: GarchParams) -> float:
        """``sum beta``: the decay rate of a shock to ``ln sigma^2``."""
        return float(sum(params.beta))

    def unconditional_variance(self, params: GarchParams, persistence: float) -> float:
        """``exp(E[ln sigma^2])``, the geometric long-run variance (see
        :attr:`GarchParams.unconditional_variance`)."""
        drift = sum(params.alpha) * (params.innovation.mean_abs - SQRT_2_OVER_PI)
        return math.exp((params.omega + drift) / (1.0 - persistence))

    def finite_expected_variance(self, params: GarchParams) -> bool:
        """False with Student-t/skewed-t innovations (no exponential moments; Nelson 1991)
        unless the shock coefficients are all zero."""
        if params.dist not in ("t", "skewt"):
            return True
        return not any(abs(v) > 0 for v in (*params.alpha, *params.gamma))

    def news_impact(self, params: GarchParams, e: np.ndarray, s2: float) -> np.ndarray:
        z = e / math.sqrt(s2)
        lv = params.omega + params.alpha[0] * (np.abs(z) - math.sqrt(2 / math.pi))
        if params.o:
            lv = lv + params.gamma[0] * z
        lv = lv + sum(params.beta) * math.log(s2)
        return np.exp(lv)


class APARCH(VolatilityProcess):
    """Ding, Granger & Engle (1993) asymmetric power ARCH, a recursion in ``sigma^delta``."""

    name = "APARCH"
    arch_name = "APARCH"
    extra_params = ("delta",)

    def check_orders(self, p: int, o: int, q: int) -> str | None:
        if o > p:
            return "APARCH needs o <= p (arch's restriction)"
        return None

    def scale_omega(self, params: GarchParams, scale: float) -> float:
        return params.omega * scale**params.delta

    def unscale_omega(self, omega: float, beta: tuple[float, ...], delta: float, scale: float):
        return omega / scale**delta

    def omega_gradient(self, names, scaled, scale: float) -> np.ndarray | None:
        """``omega_s scale^-delta``: also depends on ``delta``."""
        i_om, i_d = names.index("omega"), names.index("delta")
        om_s, d = float(scaled[i_om]), float(scaled[i_d])
        grad = np.zeros(len(names))
        grad[i_om] = scale ** (-d)
        grad[i_d] = -om_s * math.log(scale) * scale ** (-d)
        return grad

    def transform(self, params: GarchParams, sigma2: np.ndarray) -> np.ndarray:
        return sigma2 ** (params.delta / 2.0)

    def untransform(self, params: GarchParams, s: np.ndarray) -> np.ndarray:
        return s ** (2.0 / params.delta)

    def filter(self, params: GarchParams, e: np.ndarray, bc: float) -> np.ndarray:
        """Linear in ``sigma^delta``: one ``lfilter`` call."""
        d = params.delta
        x = np.full(e.shape[0] + 1, params.omega)
        ae = np.abs(e)
        for i, a in enumerate(params.alpha):
            g = params.gamma[i] if i < params.o else 0.0
            x += a * _shifted((ae - g * e) ** d, i + 1, math.sqrt(bc) ** d)
        return self.untransform(params, _ar_filter(x, params.beta, bc ** (d / 2.0)))

    def simulate_step(
        self, params: GarchParams, E: np.ndarray, Z: np.ndarray, S: np.ndarray, t: int
    ):
        v = np.full(E.shape[0], params.omega)
        for i, a in enumerate(params.alpha):
            g = params.gamma[i] if i < params.o else 0.0
            ev = E[:, t - 1 - i]
            v += a * (np.abs(ev) - g * ev) ** params.delta
        for k, b in enumerate(params.beta):
            v += b * S[:, t - 1 - k]
        return v

    def persistence(self, params: GarchParams) -> float:
        """``sum alpha_i E(|z| - gamma_i z)^delta + sum beta`` under the fitted innovation."""
        total = float(sum(params.beta))
        for i, a in enumerate(params.alpha):
            g = params.gamma[i] if i < params.o else 0.0
            total += a * params.innovation.power_moment(params.delta, g)
        return total

    def unconditional_variance(self, params: GarchParams, persistence: float) -> float:
        """``(omega / (1 - persistence))^(2/delta)``."""
        return (params.omega / (1.0 - persistence)) ** (2.0 / params.delta)

    def news_impact(self, params: GarchParams, e: np.ndarray, s2: float) -> np.ndarray:
        d = params.delta
        g = params.gamma[0] if params.o else 0.0
        sd = params.omega + params.alpha[0] * (np.abs(e) - g * e) ** d
        # higher-order ARCH lags at their expected value given sigma2_prev is out of scope here
        sd = sd + sum(params.beta) * s2 ** (d / 2.0)
        return sd ** (2.0 / d)


#: riskkit's family names -> process instances (``GarchSpec.vol``, ``GarchParams.vol``)
PROCESSES: dict[str, VolatilityProcess] = {p.name: p for p in (GARCH(), GJR(), EGARCH(), APARCH())}
