"""Bad debt of a DeFi loan book and the collateral parameters that keep it under a target.

A lending pool holds positions that each post ``c`` units of a volatile collateral (WETH, WBTC)
and borrow ``d`` USD of a stable asset (USDC, taken at 1 USD). With collateral price ``P`` a
position's health factor is ``HF = c P LT / d``; below 1 liquidators may repay debt ``x`` and
take ``x (1 + bonus) / P`` units of collateral. Bad debt is debt no collateral backs any more:
after the 24-hour horizon it is ``sum_i max(0, d_i - c_i P_T)`` (a position whose collateral
was all seized keeps its unpaid debt).

Pipeline
--------
1. :func:`fhs_price_paths`: price paths of the collateral from riskkit's risk model, filtered
   historical simulation on a GJR-GARCH filter (daily returns of the model's bootstrapped
   residuals through the recursion, :func:`riskkit.volatility.simulate_paths`) with each day
   split into ``step_hours`` steps by a Brownian bridge that ends at the simulated daily return.
2. :func:`make_loan_book`: positions that borrowed between ``utilisation_low`` and 100% of their
   borrowing power ``LTV x collateral``, Pareto-distributed sizes.
3. :func:`simulate_bad_debt`: the liquidation engine step by step: keeper delay, Aave v3 close
   factor (50%, 100% below HF 0.95), repayment to restore ``HF = 1``, a liquidation capacity per
   step (``participation x ADV``) shrunk further to the size whose square-root impact the bonus
   still pays for; bad-debt VaR (95%) and extreme VaR (99%) as Chaos Labs defines them.
4. :func:`propose_parameters`: the highest liquidation threshold (for each bonus of a grid) whose
   VaR and extreme VaR stay under the targets, LTV a fixed buffer below it, the supply cap by
   binary search to a target loss, and the Risk Steward path from the current on-chain values
   (:func:`steward_path`).

Simplifications (stated, not hidden): the debt asset's price is fixed at 1; liquidators' sales do
not move the market price of later steps (impact is a cost to the liquidator, which limits how
much is liquidated); a daily exchange series stands in for the on-chain oracle price, so
intraday paths are Brownian bridges, not observed prices.

References
----------
Chaos Labs, posts on governance.aave.com (2023): VaR and extreme VaR of 24 h bad debt; supply
caps by binary search.
Aave v3 core, ``LiquidationLogic.sol`` and ``PoolConfigurator.sol`` (github.com/aave/aave-v3-core).
Barone-Adesi, G., Giannopoulos, K. and Vosper, L. (1999), VaR without correlations for portfolios
of derivative securities, *Journal of Futures Markets* 19(5).
Toth, B. et al. (2011), Anomalous price impact and the critical nature of liquidity in financial
markets, *Physical Review X* 1, 021006.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from riskkit._validation import as_return_series
from riskkit.defi.settings import (
    AAVE_FIELDS,
    BP,
    LendingSettings,
    ReserveParameters,
    StewardLimits,
)
from riskkit.defi.steward import StewardPath, steward_path
from riskkit.exceptions import ConfigError, DataError
from riskkit.margin.tiers import liquidity_addon
from riskkit.risk._garch_based import fit_garch, standardized
from riskkit.volatility.garch import GarchSpec
from riskkit.volatility.recursion import simulate_paths

__all__ = [
    "PricePaths",
    "fhs_price_paths",
    "LoanBook",
    "make_loan_book",
    "BadDebtResult",
    "simulate_bad_debt",
    "bad_debt_var",
    "step_capacity",
    "LendingProposal",
    "propose_parameters",
    "supply_cap_search",
    "liquidity_supply_cap",
]


# --------------------------------------------------------------------------------------------
# price paths


@dataclass(frozen=True)
class PricePaths:
    """Simulated collateral prices relative to the last observed price.

    Attributes
    ----------
    relative : numpy.ndarray
        Shape ``(n_sims, n_steps + 1)``; column 0 is 1 (the as-of close), column ``k`` the price
        after ``k * step_hours`` hours divided by it.
    step_hours : float
        Hours per step.
    sigma_daily : float
        Standard deviation of the first simulated daily log return (the forecast, or the
        stressed start when it is higher); the liquidity cost uses it.
    as_of : pandas.Timestamp or None
        Date of the last return used (the paths start at its close).
    method : str
        How the paths were made.
    """

    relative: np.ndarray
    step_hours: float
    sigma_daily: float
    as_of: pd.Timestamp | None
    method: str

    @property
    def n_sims(self) -> int:
        return int(self.relative.shape[0])

    @property
    def n_steps(self) -> int:
        return int(self.relative.shape[1] - 1)

    @classmethod
    def from_returns(
        cls, log_returns: np.ndarray, step_hours: float, sigma_daily: float, method: str = "given"
    ) -> PricePaths:
        """Paths from simulated per-step log returns of shape ``(n_sims, n_steps)``."""
        r = np.asarray(log_returns, dtype=float)
        if r.ndim != 2 or not np.isfinite(r).all():
            raise DataError("log_returns must be a finite 2-d array (n_sims, n_steps)")
        rel = np.exp(np.concatenate([np.zeros((r.shape[0], 1)), np.cumsum(r, axis=1)], axis=1))
        return cls(rel, float(step_hours), float(sigma_daily), None, method)


def _bridge(daily: np.ndarray, var: np.ndarray, m: int, rng: np.random.Generator) -> np.ndarray:
    """Split daily log returns ``(S, D)`` into ``m`` steps each by a Brownian bridge."""
    s, d = daily.shape
    g = rng.standard_normal((s, d, m)) * np.sqrt(var[:, :, None] / m)
    g += (daily[:, :, None] - g.sum(axis=2, keepdims=True)) / m
    return g.reshape(s, d * m)


def fhs_price_paths(
    returns: pd.Series,
    settings: LendingSettings | None = None,
    as_of: str | pd.Timestamp | None = None,
) -> PricePaths:
    """Collateral price paths over the horizon by filtered historical simulation.

    Parameters
    ----------
    returns : Series
        Daily log returns of the collateral (DatetimeIndex). Only returns up to ``as_of`` are
        used (the last ``settings.window`` of them): the paths never see later data.
    settings : LendingSettings, optional
        ``horizon_hours``, ``step_hours``, ``n_sims``, ``seed``, ``garch_vol``, ``garch_dist``,
        ``window``.
    as_of : date-like, optional
        Last date used (default: the last date of ``returns``).

    Returns
    -------
    PricePaths
        Daily returns ``mu + sigma_t z`` (the first day's variance at least the
        ``stress_quantile`` of the window's conditional variances, see
        :class:`LendingSettings`) with ``z`` bootstrapped from the filter's standardised
        residuals through the GARCH recursion (volatility feedback kept); each day split into
        ``24 / step_hours`` steps by a Brownian bridge with the day's conditional variance.

    Raises
    ------
    DataError
        If fewer than 250 returns end at ``as_of``.
    """
    s = settings or LendingSettings()
    r = as_return_series(returns, "returns", min_obs=250)
    if as_of is not None:
        r = r.loc[: pd.Timestamp(as_of)]
        if len(r) < 250:
            raise DataError(f"returns: only {len(r)} returns up to as_of={as_of}; need >= 250")
    r = r.iloc[-s.window :]
    x = r.to_numpy()
    params = fit_garch(GarchSpec(s.garch_vol, dist=s.garch_dist), x, None)
    sigma2, z = standardized(params, x)
    rng = np.random.default_rng(s.seed)
    days = s.horizon_hours // 24

    def sampler(gen: np.random.Generator, shape: tuple[int, ...]) -> np.ndarray:
        return z[gen.integers(0, z.shape[0], size=shape)]

    start = sigma2.copy()
    stressed = ""
    if s.stress_quantile is not None:
        # stressed start: in-window conditional variances only (no look-ahead)
        floor = float(np.quantile(sigma2[:-1], s.stress_quantile))
        if floor > start[-1]:
            start[-1] = floor
            stressed = f", stressed start (q{s.stress_quantile:g} of in-window variance)"
    daily, var = simulate_paths(params, x, days, s.n_sims, rng, sampler, sigma2=start)
    m = round(24 / s.step_hours)
    steps = _bridge(daily - params.mu, var, m, rng) + params.mu / m
    out = PricePaths.from_returns(steps, s.step_hours, math.sqrt(float(start[-1])))
    return PricePaths(
        out.relative,
        out.step_hours,
        out.sigma_daily,
        pd.Timestamp(r.index[-1]) if isinstance(r.index, pd.DatetimeIndex) else None,
        f"FHS {s.garch_vol}-{s.garch_dist}, {len(x)} days to {r.index[-1]}, "
        f"Brownian bridge {s.step_hours:g} h steps{stressed}",
    )


# --------------------------------------------------------------------------------------------
# loan book


@dataclass(frozen=True)
class LoanBook:
    """Borrowing positions at the start of the horizon (collateral price normalised to 1).

    Attributes
    ----------
    collateral : numpy.ndarray
        Collateral of each position in USD at the starting price (= units at price 1).
    debt : numpy.ndarray
        Debt of each position in USD.
    """

    collateral: np.ndarray
    debt: np.ndarray

    def __post_init__(self) -> None:
        c = np.asarray(self.collateral, dtype=float)
        d = np.asarray(self.debt, dtype=float)
        if c.shape != d.shape or c.ndim != 1 or c.size == 0:
            raise DataError("collateral and debt must be 1-d arrays of equal, non-zero length")
        if not (np.isfinite(c).all() and np.isfinite(d).all()) or (c < 0).any() or (d < 0).any():
            raise DataError("collateral and debt must be finite and >= 0")

    @property
    def total_collateral(self) -> float:
        return float(np.sum(self.collateral))

    @property
    def total_debt(self) -> float:
        return float(np.sum(self.debt))

    def health_factor(self, liquidation_threshold: float) -> np.ndarray:
        """``c LT / d`` of each position at the starting price (inf without debt)."""
        with np.errstate(divide="ignore"):
            return np.where(
                self.debt > 0, self.collateral * liquidation_threshold / self.debt, np.inf
            )

    def to_frame(self, liquidation_threshold: float | None = None) -> pd.DataFrame:
        """One row per position: collateral, debt (and health factor if LT is given)."""
        out = pd.DataFrame({"collateral_usd": self.collateral, "debt_usd": self.debt})
        if liquidation_threshold is not None:
            out["health_factor"] = self.health_factor(liquidation_threshold)
        return out


def make_loan_book(
    supply_usd: float, ltv: float, settings: LendingSettings | None = None
) -> LoanBook:
    """A book of ``n_positions`` positions with total collateral ``supply_usd``.

    Position ``i`` posts ``w_i supply_usd`` (``w`` Pareto with index ``size_tail``, normalised)
    and borrows ``u_i ltv`` of it, ``u_i`` evenly spaced from ``utilisation_low`` to 1 (in a
    seeded random order): the book always has positions opened at the LTV, the ones a tight
    LT - LTV buffer puts closest to liquidation. The same seed gives the same shares, so books
    for different LTVs or supplies differ only in scale (common random numbers for the search).
    """
    s = settings or LendingSettings()
    if not supply_usd > 0:
        raise ConfigError(f"supply_usd must be > 0, got {supply_usd!r}")
    if not 0 < ltv < 1:
        raise ConfigError(f"ltv must be in (0, 1), got {ltv!r}")
    rng = np.random.default_rng([s.seed, 1])
    n = s.n_positions
    w = rng.pareto(s.size_tail, n) + 1.0
    w /= w.sum()
    u = np.linspace(s.utilisation_low, 1.0, n) if n > 1 else np.ones(1)
    u = rng.permutation(u)
    coll = supply_usd * w
    return LoanBook(collateral=coll, debt=coll * ltv * u)


# --------------------------------------------------------------------------------------------
# liquidation engine


@dataclass(frozen=True)
class BadDebtResult:
    """Distribution of bad debt over the horizon, from :func:`simulate_bad_debt`.

    Attributes
    ----------
    bad_debt : numpy.ndarray
        Bad debt in USD of each simulated path (>= 0).
    liquidated : numpy.ndarray
        Debt repaid by liquidations in USD on each path.
    total_debt : float
        Debt of the book at the start.
    liquidation_threshold, liquidation_bonus : float
        Parameters simulated.
    var_level, extreme_var_level : float
        Levels of :attr:`var` and :attr:`extreme_var`.
    """

    bad_debt: np.ndarray
    liquidated: np.ndarray
    total_debt: float
    liquidation_threshold: float
    liquidation_bonus: float
    var_level: float = 0.95
    extreme_var_level: float = 0.99

    @property
    def var(self) -> float:
        """VaR of bad debt in USD: its ``var_level`` percentile (Chaos Labs: 95th)."""
        return bad_debt_var(self.bad_debt, self.var_level)

    @property
    def extreme_var(self) -> float:
        """Extreme VaR in USD: the ``extreme_var_level`` percentile (Chaos Labs: 99th)."""
        return bad_debt_var(self.bad_debt, self.extreme_var_level)

    @property
    def expected(self) -> float:
        """Mean bad debt in USD."""
        return float(np.mean(self.bad_debt))

    @property
    def probability(self) -> float:
        """Share of paths with any bad debt."""
        return float(np.mean(self.bad_debt > 0))

    def summary(self) -> pd.Series:
        """VaR, extreme VaR and mean in USD and as fractions of the book's debt."""
        td = self.total_debt if self.total_debt > 0 else float("nan")
        return pd.Series(
            {
                "liquidation_threshold": self.liquidation_threshold,
                "liquidation_bonus": self.liquidation_bonus,
                "total_debt_usd": self.total_debt,
                f"var_{self.var_level:g}_usd": self.var,
                f"extreme_var_{self.extreme_var_level:g}_usd": self.extreme_var,
                "mean_usd": self.expected,
                "var_fraction": self.var / td,
                "extreme_var_fraction": self.extreme_var / td,
                "probability_bad_debt": self.probability,
                "mean_liquidated_usd": float(np.mean(self.liquidated)),
            },
            name="bad_debt",
        )


def bad_debt_var(bad_debt: np.ndarray, level: float) -> float:
    """Percentile of simulated bad debt (``numpy.quantile``, linear interpolation)."""
    if not 0 < level < 1:
        raise ConfigError(f"level must be in (0, 1), got {level!r}")
    return float(np.quantile(np.asarray(bad_debt, dtype=float), level))


def step_capacity(
    adv_usd: float, sigma_daily: float, bonus: float, step_hours: float, settings: LendingSettings
) -> float:
    """USD of collateral liquidators sell per step.

    Parameters
    ----------
    adv_usd : float
        Daily traded value of the collateral, USD.
    sigma_daily : float
        Daily volatility of the collateral (fraction).
    bonus : float
        Liquidation bonus (fraction).
    step_hours : float
        Hours per step.
    settings : LendingSettings
        ``participation`` and ``impact_k``.

    Returns
    -------
    float
        The smaller of ``participation x ADV x step_hours / 24`` and the size whose square-root
        impact ``k sigma sqrt(q / ADV)`` (:func:`riskkit.margin.tiers.liquidity_addon`) equals
        ``bonus / (1 + bonus)``, beyond which a liquidation loses money; ``inf`` never occurs
        unless ``adv_usd`` is infinite.
    """
    cap = settings.participation * adv_usd * step_hours / 24.0
    edge = bonus / (1.0 + bonus)
    unit = liquidity_addon(1.0, adv_usd, sigma_daily, 1.0, settings.impact_k).impact
    if unit > 0:
        cap = min(cap, adv_usd * (edge / (unit * math.sqrt(adv_usd))) ** 2)
    return float(cap)


def simulate_bad_debt(
    book: LoanBook,
    paths: PricePaths,
    liquidation_threshold: float,
    liquidation_bonus: float,
    adv_usd: float,
    settings: LendingSettings | None = None,
) -> BadDebtResult:
    """Run the liquidation engine on every price path and measure bad debt at the horizon.

    Parameters
    ----------
    book : LoanBook
        Positions at the start (collateral valued at the starting price).
    paths : PricePaths
        Relative collateral prices (:func:`fhs_price_paths`, or any paths).
    liquidation_threshold, liquidation_bonus : float
        Parameters of the reserve (fractions); ``LT (1 + bonus) < 1`` is required.
    adv_usd : float
        Daily traded value of the collateral available to liquidators, in USD.
    settings : LendingSettings, optional
        ``delay_hours``, ``participation``, ``impact_k``, ``close_factor``, ``full_close_hf``,
        ``var_level``, ``extreme_var_level``.

    Returns
    -------
    BadDebtResult

    Notes
    -----
    Each step, on each path: a position with ``HF < 1`` for at least ``delay_hours`` is
    liquidated by the repayment ``x`` that restores ``HF = 1``,
    ``x = (d - c P LT) / (1 - (1 + b) LT)``, capped by the close factor times the debt and by
    the collateral left, ``c P / (1 + b)``. Positions are served lowest health factor first up to
    the step's capacity (:func:`step_capacity`); what is not served waits. With instant
    liquidation and unlimited capacity, a position hit by a single jump to price ``P`` ends with
    bad debt ``max(0, d - c P / (1 + b))`` (the closed form the tests use).
    """
    s = settings or LendingSettings()
    lt, b = float(liquidation_threshold), float(liquidation_bonus)
    if not 0 < lt < 1 or b < 0 or lt * (1 + b) >= 1:
        raise ConfigError(
            f"need 0 < liquidation_threshold < 1, bonus >= 0 and LT x (1 + bonus) < 1; got "
            f"LT={lt!r}, bonus={b!r}"
        )
    if not adv_usd > 0:
        raise ConfigError(f"adv_usd must be > 0, got {adv_usd!r}")
    # a path whose lowest price stays above every position's liquidation price liquidates
    # nothing and ends with no bad debt: only the other paths go through the engine (exact)
    with np.errstate(divide="ignore", invalid="ignore"):
        trigger = np.where(book.collateral > 0, book.debt / (book.collateral * lt), np.inf)
    active = paths.relative.min(axis=1) < trigger.max()
    rel = paths.relative[active]
    n_sims, n_steps = rel.shape[0], rel.shape[1] - 1
    dt = paths.step_hours
    cap = step_capacity(adv_usd, paths.sigma_daily, b, dt, s)
    c = np.broadcast_to(book.collateral, (n_sims, book.collateral.size)).copy()
    d = np.broadcast_to(book.debt, (n_sims, book.debt.size)).copy()
    breach = np.full(c.shape, np.inf)
    repaid = np.zeros(n_sims)
    denom = 1.0 - (1.0 + b) * lt
    for t in range(1, n_steps + 1):
        p = rel[:, t][:, None]
        val = c * p
        with np.errstate(divide="ignore", invalid="ignore"):
            hf = np.where(d > 1e-9, val * lt / d, np.inf)
        under = hf < 1.0
        breach = np.where(under, np.minimum(breach, t * dt), np.inf)
        elig = under & (t * dt - breach >= s.delay_hours - 1e-9)
        if not elig.any():
            continue
        cf = np.where(hf < s.full_close_hf, 1.0, s.close_factor)
        x = np.minimum(np.minimum((d - val * lt) / denom, cf * d), val / (1.0 + b))
        x = np.where(elig, np.maximum(x, 0.0), 0.0)
        seized = x * (1.0 + b)
        if np.isfinite(cap):
            order = np.argsort(np.where(elig, hf, np.inf), axis=1, kind="stable")
            s_sorted = np.take_along_axis(seized, order, axis=1)
            before = np.cumsum(s_sorted, axis=1) - s_sorted
            alloc_sorted = np.clip(cap - before, 0.0, s_sorted)
            alloc = np.empty_like(seized)
            np.put_along_axis(alloc, order, alloc_sorted, axis=1)
            with np.errstate(divide="ignore", invalid="ignore"):
                x = np.where(seized > 0, x * alloc / seized, 0.0)
        c = np.maximum(c - x * (1.0 + b) / p, 0.0)
        d = np.maximum(d - x, 0.0)
        repaid += x.sum(axis=1)
    bad = np.zeros(paths.n_sims)
    liquidated = np.zeros(paths.n_sims)
    if n_sims:
        bad[active] = np.maximum(d - c * rel[:, -1][:, None], 0.0).sum(axis=1)
        liquidated[active] = repaid
    return BadDebtResult(
        bad_debt=bad,
        liquidated=liquidated,
        total_debt=book.total_debt,
        liquidation_threshold=lt,
        liquidation_bonus=b,
        var_level=s.var_level,
        extreme_var_level=s.extreme_var_level,
    )


# --------------------------------------------------------------------------------------------
# parameter search


def _meets(res: BadDebtResult, s: LendingSettings) -> bool:
    td = res.total_debt
    return res.var <= s.var_target * td and res.extreme_var <= s.extreme_var_target * td


def _grid(lo: float, hi: float, step: float) -> np.ndarray:
    n = int(math.floor((hi - lo) / step + 1e-9))
    return np.round(lo + step * np.arange(n + 1), 6)


def _max_lt(paths, supply, bonus, buffer, adv, s) -> tuple[float, BadDebtResult | None]:
    """Largest LT of the grid meeting both targets (binary search; NaN if none)."""
    hi = min(s.lt_max, (1.0 / (1.0 + bonus)) - 1e-6)
    grid = _grid(s.lt_min, hi, s.grid_step)
    grid = grid[grid - buffer > 0.01]
    if grid.size == 0:
        return float("nan"), None

    def run(lt: float) -> BadDebtResult:
        book = make_loan_book(supply, lt - buffer, s)
        return simulate_bad_debt(book, paths, lt, bonus, adv, s)

    lo, hi_i, best = 0, grid.size - 1, None
    first = run(grid[0])
    if not _meets(first, s):
        return float("nan"), None
    best = (grid[0], first)
    lo = 1
    while lo <= hi_i:
        mid = (lo + hi_i) // 2
        res = run(grid[mid])
        if _meets(res, s):
            best, lo = (grid[mid], res), mid + 1
        else:
            hi_i = mid - 1
    return float(best[0]), best[1]


def liquidity_supply_cap(
    params: ReserveParameters,
    adv_usd: float,
    sigma_daily: float,
    settings: LendingSettings | None = None,
) -> float:
    """Largest supply whose collateral seized after an extreme drop can be sold at once with a
    slippage below the liquidation bonus (Chaos Labs' liquidity bound on supply caps).

    Parameters
    ----------
    params : ReserveParameters
        LTV (the book borrows up to it), liquidation threshold and bonus.
    adv_usd : float
        Daily traded value of the collateral, USD.
    sigma_daily : float
        Daily volatility of the collateral (fraction), for the square-root impact.
    settings : LendingSettings, optional
        ``cap_extreme_drop``, ``impact_k``, ``close_factor``, ``full_close_hf`` and the book.

    Returns
    -------
    float
        ``Q / e``, USD: ``Q = ADV (b / ((1 + b) k sigma))^2`` is the largest sale whose impact
        ``k sigma sqrt(Q / ADV)`` stays below ``b / (1 + b)`` (the bonus still pays for it),
        ``e`` the collateral seized per USD of supply when the price falls by
        ``cap_extreme_drop`` (each liquidatable position repaid up to the close factor, or
        fully below ``full_close_hf``). ``inf`` if no position is liquidatable after the drop
        or there is no impact (``impact_k`` 0).

    References
    ----------
    Chaos Labs, Updated Supply and Borrow Cap Methodology, governance.aave.com/t/11602
    (2023-02): ExtremeLiquidationAmount after an extreme drop (15% large caps) against the
    MaxAmountLiquidated with slippage below the liquidation penalty.
    """
    s = settings or LendingSettings()
    if not adv_usd > 0 or not sigma_daily > 0:
        raise ConfigError(
            f"adv_usd and sigma_daily must be > 0, got {adv_usd!r} and {sigma_daily!r}"
        )
    lt, b = params.liquidation_threshold, params.liquidation_bonus
    book = make_loan_book(1.0, params.ltv, s)
    p = 1.0 - s.cap_extreme_drop
    val = book.collateral * p
    with np.errstate(divide="ignore", invalid="ignore"):
        hf = np.where(book.debt > 0, val * lt / book.debt, np.inf)
    cf = np.where(hf < s.full_close_hf, 1.0, s.close_factor)
    seized = np.where(hf < 1.0, np.minimum(cf * book.debt * (1.0 + b), val), 0.0)
    per_usd = float(seized.sum())
    edge = b / (1.0 + b)
    unit = liquidity_addon(1.0, adv_usd, sigma_daily, 1.0, s.impact_k).impact * math.sqrt(adv_usd)
    if per_usd <= 0 or unit <= 0:
        return float("inf")
    return float(adv_usd * (edge / unit) ** 2 / per_usd)


def supply_cap_search(
    paths: PricePaths,
    params: ReserveParameters,
    adv_usd: float,
    settings: LendingSettings | None = None,
    rel_tol: float = 0.01,
    max_supply_usd: float | None = None,
) -> float:
    """Largest supply (USD of collateral) whose extreme VaR of bad debt stays under
    ``cap_target_usd``, by bisection on the log of the supply (Chaos Labs' binary search).

    ``max_supply_usd`` is the upper end of the search (default ``cap_search_max_adv x
    adv_usd``). Returns ``inf`` if even that supply meets the target (the loss target does
    not bind there) and NaN if 1 USD does not.
    """
    s = settings or LendingSettings()

    def loss(supply: float) -> float:
        book = make_loan_book(supply, params.ltv, s)
        return simulate_bad_debt(
            book, paths, params.liquidation_threshold, params.liquidation_bonus, adv_usd, s
        ).extreme_var

    lo = 1.0
    hi = float(max_supply_usd) if max_supply_usd is not None else s.cap_search_max_adv * adv_usd
    if not hi > lo:
        raise ConfigError(f"max_supply_usd must be > 1 USD, got {hi!r}")
    if loss(hi) <= s.cap_target_usd:
        return float("inf")
    if loss(lo) > s.cap_target_usd:
        return float("nan")
    while hi / lo > 1 + rel_tol:
        mid = math.sqrt(lo * hi)
        if loss(mid) <= s.cap_target_usd:
            lo = mid
        else:
            hi = mid
    return float(lo)


@dataclass(frozen=True)
class LendingProposal:
    """Proposed collateral parameters of one pair, from :func:`propose_parameters`.

    Attributes
    ----------
    pair : str
        Label, e.g. ``"WETH/USDC"``.
    current : ReserveParameters
        On-chain values the proposal starts from.
    target : ReserveParameters
        Parameters meeting the bad-debt targets (the full change).
    first_step : ReserveParameters
        The first Risk Steward update towards ``target`` (within :class:`StewardLimits`).
    path : StewardPath
        Every update from ``current`` to ``target`` and the steps each parameter needs.
    bonus_search : DataFrame
        One row per bonus tried: highest admissible LT, its VaR and extreme VaR (fractions of
        debt) and the :func:`liquidity_supply_cap` at that LT and bonus (USD; a higher bonus
        pays for more slippage, so it allows a larger supply).
    at_current, at_target : Series
        :meth:`BadDebtResult.summary` of the current and target parameters on the same paths
        and book size.
    supply_usd : float
        Supply (total collateral, USD) of the simulated book.
    adv_usd : float
        Daily traded value assumed for liquidations.
    price : float
        Collateral price at the as-of date (caps in units are USD caps / price).
    paths_method : str
        How the price paths were made.
    lt_binding : str
        What stopped the LT search: ``"bad-debt target"``, ``"top of the search grid
        (lt_max)"`` (the targets would allow more: not a finding about the asset) or ``"LT x
        (1 + bonus) < 1"``.
    cap_binding : str
        What set the supply cap: ``"loss target"`` (Chaos Labs' binary search),
        ``"liquidity"`` (:func:`liquidity_supply_cap`) or ``"not binding up to N x ADV"`` (then
        ``target.supply_cap`` is None).
    liquidity_cap_usd : float
        :func:`liquidity_supply_cap` at the target parameters (``inf`` if it does not bind).
    settings : LendingSettings
    """

    pair: str
    current: ReserveParameters
    target: ReserveParameters
    first_step: ReserveParameters
    path: StewardPath
    bonus_search: pd.DataFrame
    at_current: pd.Series
    at_target: pd.Series
    supply_usd: float
    adv_usd: float
    price: float
    paths_method: str
    lt_binding: str
    cap_binding: str
    liquidity_cap_usd: float
    settings: LendingSettings = field(repr=False)

    def summary(self) -> pd.DataFrame:
        """Current, first steward step and full target side by side, with steps needed.

        Rates are fractions; caps in USD, and the supply cap also in units of the collateral
        at the as-of price (``supply_cap_units``; Aave sets caps in whole tokens).
        """
        names = ["ltv", "liquidation_threshold", "liquidation_bonus", "supply_cap", "borrow_cap"]
        rows = {
            "current": [getattr(self.current, n) for n in names],
            "first step": [getattr(self.first_step, n) for n in names],
            "target": [getattr(self.target, n) for n in names],
            "steward steps": [self.path.steps.get(n, 0) for n in names],
        }
        out = pd.DataFrame(rows, index=names)
        units = out.loc[["supply_cap", "borrow_cap"], ["current", "first step", "target"]]
        out.loc["supply_cap_units"] = [*(units.loc["supply_cap"] / self.price), np.nan]
        return out

    def to_parameter_set(self) -> dict[str, Any]:
        """The proposal as one pair of a parameter file's ``lending_parameter_sets``.

        Returns
        -------
        dict
            ``current``, ``first_step`` (the first Risk Steward update) and ``proposed`` (the
            full target) in Aave v3's on-chain fields (:meth:`ReserveParameters.to_aave`:
            rates in basis points, ``liquidationBonus`` 10500 for 5%, caps in whole tokens at
            ``collateral_price_usd``, the debt at 1 USD); ``steward_steps`` (updates each field
            needs), ``steward_updates`` and ``steward_min_days``; ``steward_limits`` (rates in
            basis points per update, caps as a relative change); what bound the LT and the
            supply cap; the proposed caps in USD; ``bad_debt`` at the current and proposed
            values (VaR and extreme VaR of bad debt over the horizon, USD and fractions of the
            book's debt); ``simulation`` (book, ADV, paths, seed, targets). Non-finite
            numbers are None.
        """
        s, lim = self.settings, self.path.limits

        def bad_debt(row: pd.Series) -> dict[str, float]:
            return {
                "var_usd": float(row[f"var_{s.var_level:g}_usd"]),
                "extreme_var_usd": float(row[f"extreme_var_{s.extreme_var_level:g}_usd"]),
                "var_fraction": float(row["var_fraction"]),
                "extreme_var_fraction": float(row["extreme_var_fraction"]),
                "mean_usd": float(row["mean_usd"]),
                "probability": float(row["probability_bad_debt"]),
                "total_debt_usd": float(row["total_debt_usd"]),
            }

        def finite(x: float | None) -> float | None:
            return float(x) if x is not None and math.isfinite(x) else None

        return {
            "as_of": str(self.target.as_of),
            "collateral_price_usd": self.price,
            "current": self.current.to_aave(self.price),
            "first_step": self.first_step.to_aave(self.price),
            "proposed": self.target.to_aave(self.price),
            "steward_steps": {a: int(self.path.steps.get(f, 0)) for a, f in AAVE_FIELDS.items()},
            "steward_updates": self.path.n_updates,
            "steward_min_days": self.path.min_days,
            "steward_limits": {
                "ltv": round(lim.ltv * BP),
                "liquidationThreshold": round(lim.liquidation_threshold * BP),
                "liquidationBonus": round(lim.liquidation_bonus * BP),
                "supplyCap": lim.cap_relative,
                "borrowCap": lim.cap_relative,
                "days_between_updates": lim.days_between_updates,
            },
            "liquidation_threshold_binding": self.lt_binding,
            "supply_cap_binding": self.cap_binding,
            "proposed_supply_cap_usd": finite(self.target.supply_cap),
            "proposed_borrow_cap_usd": finite(self.target.borrow_cap),
            "liquidity_supply_cap_usd": finite(self.liquidity_cap_usd),
            "bad_debt": {
                "current": bad_debt(self.at_current),
                "proposed": bad_debt(self.at_target),
            },
            "simulation": {
                "supply_usd": self.supply_usd,
                "adv_usd": self.adv_usd,
                "n_sims": s.n_sims,
                "seed": s.seed,
                "horizon_hours": s.horizon_hours,
                "var_level": s.var_level,
                "extreme_var_level": s.extreme_var_level,
                "var_target": s.var_target,
                "extreme_var_target": s.extreme_var_target,
                "cap_target_usd": s.cap_target_usd,
                "paths": self.paths_method,
            },
        }


def propose_parameters(
    pair: str,
    returns: pd.Series,
    current: ReserveParameters,
    adv_usd: float,
    supply_usd: float,
    price: float,
    settings: LendingSettings | None = None,
    limits: StewardLimits | None = None,
    as_of: str | pd.Timestamp | None = None,
    paths: PricePaths | None = None,
) -> LendingProposal:
    """Choose LTV, LT, bonus and caps so that 24 h bad debt meets the Chaos Labs-style targets.

    Parameters
    ----------
    pair : str
        Label of the pair (``"WETH/USDC"``).
    returns : Series
        Daily log returns of the collateral in USD (see :func:`fhs_price_paths`).
    current : ReserveParameters
        Current on-chain parameters (e.g. ``AAVE_V3_ETHEREUM["WETH"]``); caps in USD if set.
    adv_usd : float
        Daily traded value available to liquidators, USD.
    supply_usd : float
        Total collateral of the simulated book, USD.
    price : float
        Collateral price at the as-of date (for caps in units; not used by the simulation).
    settings, limits : optional
        Simulation and search settings; Risk Steward limits.
    as_of : date-like, optional
        Last date of ``returns`` used.
    paths : PricePaths, optional
        Reuse paths already simulated (otherwise :func:`fhs_price_paths`).

    Returns
    -------
    LendingProposal

    Notes
    -----
    For each bonus of ``bonus_grid`` the highest LT on the ``grid_step`` grid is found by binary
    search (bad debt grows with LT: a higher LT with a fixed buffer lets positions borrow more
    and sit closer to liquidation); the proposal takes the bonus allowing the highest LT, the
    smallest such bonus on a tie. LTV = LT - buffer (the current buffer unless ``ltv_buffer``
    is set). The supply cap is then found by :func:`supply_cap_search` at the target
    parameters, searched no higher than :func:`liquidity_supply_cap` and
    ``cap_search_max_adv x adv_usd``; if the loss target does not bind below that bound, the
    cap is the liquidity bound, or None when that too lies beyond ``cap_search_max_adv x ADV``
    (``cap_binding`` says which). The borrow cap is the book's debt at that supply. All candidates are
    simulated on the same paths and the same book shares (common random numbers).
    """
    s = settings or LendingSettings()
    lim = limits or StewardLimits()
    if not price > 0:
        raise ConfigError(f"price must be > 0, got {price!r}")
    pp = paths if paths is not None else fhs_price_paths(returns, s, as_of)
    buffer = (
        s.ltv_buffer
        if s.ltv_buffer is not None
        else round(current.liquidation_threshold - current.ltv, 6)
    )
    rows = []
    best = None
    for bonus in s.bonus_grid:
        lt, res = _max_lt(pp, supply_usd, bonus, buffer, adv_usd, s)
        rows.append(
            {
                "liquidation_bonus": bonus,
                "max_liquidation_threshold": lt,
                "var_fraction": res.var / res.total_debt if res else np.nan,
                "extreme_var_fraction": res.extreme_var / res.total_debt if res else np.nan,
                "liquidity_cap_usd": (
                    liquidity_supply_cap(
                        ReserveParameters(
                            ltv=round(lt - buffer, 6),
                            liquidation_threshold=lt,
                            liquidation_bonus=bonus,
                        ),
                        adv_usd,
                        pp.sigma_daily,
                        s,
                    )
                    if res
                    else np.nan
                ),
            }
        )
        if res is not None and (best is None or lt > best[0] + 1e-9):
            best = (lt, bonus, res)
    search = pd.DataFrame(rows).set_index("liquidation_bonus")
    if best is None:
        raise ConfigError(
            f"{pair}: no liquidation threshold >= lt_min={s.lt_min:g} meets var_target="
            f"{s.var_target:g} and extreme_var_target={s.extreme_var_target:g} for any bonus "
            "of bonus_grid; lower lt_min or raise the targets"
        )
    lt, bonus, res = best
    target_core = ReserveParameters(
        ltv=round(lt - buffer, 6), liquidation_threshold=lt, liquidation_bonus=bonus
    )
    aave_max = 1.0 / (1.0 + bonus) - 1e-6
    if lt + s.grid_step <= min(s.lt_max, aave_max) + 1e-9:
        lt_binding = "bad-debt target"
    elif s.lt_max <= aave_max:
        lt_binding = "top of the search grid (lt_max)"
    else:
        lt_binding = "LT x (1 + bonus) < 1"
    liq_cap = liquidity_supply_cap(target_core, adv_usd, pp.sigma_daily, s)
    upper = min(liq_cap, s.cap_search_max_adv * adv_usd)
    cap = supply_cap_search(pp, target_core, adv_usd, s, max_supply_usd=upper)
    if np.isfinite(cap):
        cap_binding = "loss target"
    elif liq_cap <= s.cap_search_max_adv * adv_usd:
        cap, cap_binding = liq_cap, "liquidity"
    else:
        cap_binding = f"not binding up to {s.cap_search_max_adv:g} x ADV"
    borrow = cap * float(make_loan_book(1.0, target_core.ltv, s).total_debt)  # book scales
    target = target_core.replace(
        supply_cap=cap if np.isfinite(cap) else None,
        borrow_cap=borrow if np.isfinite(borrow) else None,
        source="riskkit.defi.propose_parameters",
        as_of=str(pp.as_of.date()) if pp.as_of is not None else "",
    )
    cur_book = make_loan_book(supply_usd, current.ltv, s)
    at_current = simulate_bad_debt(
        cur_book, pp, current.liquidation_threshold, current.liquidation_bonus, adv_usd, s
    ).summary()
    path = steward_path(current, target, lim)
    return LendingProposal(
        pair=pair,
        current=current,
        target=target,
        first_step=path.updates[1] if len(path.updates) > 1 else current,
        path=path,
        bonus_search=search,
        at_current=at_current,
        at_target=res.summary(),
        supply_usd=float(supply_usd),
        adv_usd=float(adv_usd),
        price=float(price),
        paths_method=pp.method,
        lt_binding=lt_binding,
        cap_binding=cap_binding,
        liquidity_cap_usd=float(liq_cap),
        settings=s,
    )
