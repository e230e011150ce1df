"""Collateral haircuts and wrong-way exposure between collateral and position.

A venue that accepts, say, ETH as collateral for a BTC position credits it at ``(1 - haircut)``
of its market value. The standalone haircut covers the collateral's own fall over its
liquidation horizon; when collateral and position tend to lose together (wrong-way risk), the
haircut that matters is the one that covers the **joint** loss.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

import numpy as np
import pandas as pd

from riskkit._validation import as_return_series, check_horizon, check_level
from riskkit.exceptions import ConfigError, DataError
from riskkit.margin._common import check_measure, empirical_measure
from riskkit.margin.rates import loss_fraction, round_rate, scale_to_horizon

__all__ = ["collateral_haircut", "tail_dependence", "WrongWayHaircut", "wrong_way_haircut"]


def collateral_haircut(
    returns: pd.Series,
    level: float = 0.99,
    horizon_days: float = 2.0,
    measure: str = "es",
    window: int | None = None,
    rounding_step: float | None = 0.0005,
) -> float:
    """Haircut of an asset posted as collateral: VaR/ES of its fall over the liquidation horizon.

    Parameters
    ----------
    returns : Series
        Daily log returns of the collateral asset.
    level : float
        Confidence level.
    horizon_days : float
        Days needed to sell the collateral (margin period of risk of the collateral).
    measure : {"es", "var"}
    window : int, optional
        Use only the last ``window`` returns (default: all, a through-the-cycle haircut).
    rounding_step : float or None
        Round up to this step.

    Returns
    -------
    float
        ``1 - exp(-x_1 sqrt(h))`` with ``x_1`` the historical 1-day VaR/ES of ``-r`` (only a fall
        in the collateral's value hurts).
    """
    r = as_return_series(returns, min_obs=20)
    lv = check_level(level)
    meas = check_measure(measure)
    h = check_horizon(horizon_days, "horizon_days", integer=False)
    x = r.to_numpy()[-int(window) :] if window else r.to_numpy()
    x1 = empirical_measure(-x, lv, meas)
    hc = float(loss_fraction(scale_to_horizon(x1, h), "long"))
    return float(round_rate(hc, rounding_step, cap=1.0))


def tail_dependence(loss_x: np.ndarray, loss_y: np.ndarray, q: float = 0.95) -> float:
    """Empirical upper-tail dependence ``P(Y > y_q | X > x_q)`` of two loss samples.

    Equal to ``1 - q`` for independent losses and 1 for comonotone ones; the limit as ``q -> 1``
    is the tail-dependence coefficient (Joe 1997; McNeil, Frey and Embrechts 2015, section 7.2.4).

    Parameters
    ----------
    loss_x, loss_y : array_like
        Paired loss samples (positive = loss), 1-d and of equal length.
    q : float
        Quantile level in (0, 1) of the thresholds ``x_q`` and ``y_q``, the empirical
        (linearly interpolated, ``numpy.quantile``) ``q``-quantiles of each sample.

    Returns
    -------
    float
        Share of the observations with ``loss_x > x_q`` for which also ``loss_y > y_q``
        (strict inequalities); NaN when no ``loss_x`` exceeds ``x_q``.

    Raises
    ------
    DataError
        If the samples are not 1-d or differ in length.
    ConfigError
        If ``q`` does not lie strictly between 0 and 1.
    """
    x = np.asarray(loss_x, dtype=float)
    y = np.asarray(loss_y, dtype=float)
    if x.shape != y.shape or x.ndim != 1:
        raise DataError("loss samples must be 1-d and of equal length")
    check_level(q, "q")
    xq, yq = np.quantile(x, q), np.quantile(y, q)
    hit = x > xq
    if not hit.any():
        return float("nan")
    return float(np.mean(y[hit] > yq))


@dataclass(frozen=True)
class WrongWayHaircut:
    """Standalone and wrong-way haircuts of a collateral asset, from :func:`wrong_way_haircut`.

    Attributes
    ----------
    standalone : float
        VaR/ES of the collateral's own loss fraction over the horizon (no rounding).
    wrong_way : float
        Haircut ``H`` with ``ES(L_pos + c L_col) = ES(L_pos) + c H``: the extra loss the collateral
        adds to the position's own risk, per unit of collateral. Negative when the collateral
        gains as the position loses (right-way exposure).
    correlation : float
        Pearson correlation of the two loss series.
    tail_dependence : float
        Empirical upper-tail dependence at 95% (:func:`tail_dependence`) of the position's and
        the collateral's losses.
    n : int
        Number of common dates used.
    side : {"long", "short"}
        Side of the margined position.
    collateral_per_notional, level, horizon_days : float
        As given to :func:`wrong_way_haircut`.
    measure : {"es", "var"}
        Risk measure.
    """

    standalone: float
    wrong_way: float
    correlation: float
    tail_dependence: float
    n: int
    side: str
    collateral_per_notional: float
    level: float
    horizon_days: float
    measure: str

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict of all fields."""
        return asdict(self)


def wrong_way_haircut(
    collateral_returns: pd.Series,
    position_returns: pd.Series,
    side: str = "long",
    collateral_per_notional: float = 0.1,
    level: float = 0.99,
    horizon_days: float = 2.0,
    measure: str = "es",
) -> WrongWayHaircut:
    """Haircut covering the collateral's fall *together with* the position's loss.

    Parameters
    ----------
    collateral_returns, position_returns : Series
        Daily log returns, aligned on their common dates.
    side : {"long", "short"}
        Side of the margined position.
    collateral_per_notional : float
        Market value of collateral per unit of position notional (e.g. the IM rate).
    level, horizon_days, measure
        As in :func:`collateral_haircut`.

    Returns
    -------
    WrongWayHaircut
        ``standalone``: haircut from the collateral alone; ``wrong_way``: the haircut ``H`` such
        that ``ES(L_pos + c L_col) = ES(L_pos) + c H``, i.e. the extra loss the collateral adds to
        the position's own risk, per unit of collateral; ``correlation`` of the two loss series;
        ``tail_dependence`` at 95%; ``n`` observations; and the settings used.

    Raises
    ------
    DataError
        If either return series is bad or they share fewer than 20 dates.
    ConfigError
        If ``side``, ``collateral_per_notional``, ``level``, ``horizon_days`` or ``measure`` is
        invalid.

    Notes
    -----
    ES is comonotone additive, so when the collateral is the position's own asset with the same
    sign (a long BTC position collateralised in BTC), ``wrong_way == standalone`` exactly; for
    independent assets ``wrong_way`` is smaller (diversification), and it exceeds ``standalone``
    only when ES is subadditive by less than the dependence adds, e.g. with tail dependence.
    Losses are loss fractions of value over the horizon, with 1-day log returns scaled by
    ``sqrt(h)`` before conversion (see :mod:`riskkit.margin.rates`).
    """
    c = as_return_series(collateral_returns, "collateral_returns", min_obs=20)
    p = as_return_series(position_returns, "position_returns", min_obs=20)
    joined = pd.concat([c.rename("c"), p.rename("p")], axis=1, join="inner").dropna()
    if len(joined) < 20:
        raise DataError(
            f"collateral and position returns share only {len(joined)} dates; need >= 20"
        )
    if side not in ("long", "short"):
        raise ConfigError(f"side must be 'long' or 'short', got {side!r}")
    if not collateral_per_notional > 0:
        raise ConfigError(f"collateral_per_notional must be > 0, got {collateral_per_notional!r}")
    lv = check_level(level)
    meas = check_measure(measure)
    h = check_horizon(horizon_days, "horizon_days", integer=False)
    k = np.sqrt(h)
    l_col = -np.expm1(k * joined["c"].to_numpy())
    rp = joined["p"].to_numpy()
    l_pos = -np.expm1(k * rp) if side == "long" else np.expm1(k * rp)
    cpn = float(collateral_per_notional)
    es_pos = empirical_measure(l_pos, lv, meas)
    es_joint = empirical_measure(l_pos + cpn * l_col, lv, meas)
    return WrongWayHaircut(
        standalone=float(empirical_measure(l_col, lv, meas)),
        wrong_way=float((es_joint - es_pos) / cpn),
        correlation=float(np.corrcoef(l_col, l_pos)[0, 1]),
        tail_dependence=tail_dependence(l_pos, l_col, 0.95),
        n=len(joined),
        side=side,
        collateral_per_notional=cpn,
        level=float(lv),
        horizon_days=float(h),
        measure=meas,
    )
