"""Collateral haircuts, wrong-way exposure and a collateral quality score.

A venue that accepts, say, ETH as collateral for a BTC position credits it at ``(1 - haircut)``
of its market value. The standalone haircut covers the collateral's own fall over its
liquidation horizon; when collateral and position tend to lose together (wrong-way risk), the
haircut that matters is the one that covers the **joint** loss.

The collateral quality score (:func:`collateral_inputs`, :func:`score_collateral`,
:func:`score_sensitivity`) puts the risks of an asset offered as collateral on one scale: its
volatility and tail loss over the liquidation horizon, the price impact of selling the position
(from its traded value), its correlation with the book it secures, and an issuer or smart-contract
risk the user supplies. The score maps to a haircut (tail loss + impact + a band add-on) and an
eligibility decision; see :func:`score_collateral` for the formula.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Annotated, Any

import numpy as np
import pandas as pd
from pydantic import model_validator

from riskkit._settings import Float, Range, SettingsModel, problem
from riskkit._validation import as_return_series, check_horizon, check_level
from riskkit.exceptions import ConfigError, DataError
from riskkit.margin._common import check_measure, empirical_measure
from riskkit.margin.rates import loss_fraction, round_rate, scale_to_horizon
from riskkit.margin.tiers import liquidity_addon

__all__ = [
    "collateral_haircut",
    "tail_dependence",
    "WrongWayHaircut",
    "wrong_way_haircut",
    "CollateralScoreSettings",
    "CollateralInputs",
    "CollateralScore",
    "collateral_inputs",
    "score_collateral",
    "score_sensitivity",
    "haircut_schedule",
    "SCORE_INPUTS",
]


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


# --------------------------------------------------------------------------------------------
# collateral quality score

#: the score's inputs in the order of its components; all but ``adv_usd`` are risks (a higher
#: value is worse), ``adv_usd`` enters through ``impact``
SCORE_INPUTS = ("volatility", "tail", "impact", "correlation", "issuer_risk")

_Unit = Annotated[Float, Range(0, 1)]
_Pos = Annotated[Float, Range(0, lo_open=True)]


class CollateralScoreSettings(SettingsModel):
    """Weights, scales and bands of the collateral quality score (the one table of defaults).

    Each risky input ``x`` becomes a sub-score in [0, 1) by ``x / (x + scale)`` (0.5 when ``x``
    equals its scale); correlation by ``(1 + rho) / 2``; the issuer risk is given in [0, 1].
    The score is ``1 - sum_k w_k s_k``: 1 for a riskless asset, lower for riskier ones.
    """

    horizon_days: _Pos = 2.0
    """Liquidation horizon of the collateral in days (volatility and tail are measured over it)."""
    level: Annotated[Float, Range(0, 1, lo_open=True, hi_open=True)] = 0.99
    """Confidence level of the tail loss (ES)."""
    participation: Annotated[Float, Range(0, 1, lo_open=True)] = 0.1
    """Share of the daily traded value a liquidation may use (sets the liquidation days)."""
    impact_k: Annotated[Float, Range(0)] = 1.0
    """Square-root impact coefficient (Toth et al. 2011)."""
    w_volatility: _Unit = 0.2
    """Weight of the volatility sub-score."""
    w_tail: _Unit = 0.25
    """Weight of the tail-loss sub-score."""
    w_impact: _Unit = 0.2
    """Weight of the liquidity (price impact) sub-score."""
    w_correlation: _Unit = 0.15
    """Weight of the correlation-with-the-book sub-score."""
    w_issuer_risk: _Unit = 0.2
    """Weight of the issuer / contract risk input."""
    scale_volatility: _Pos = 0.1
    """Horizon volatility whose sub-score is 0.5 (10% over the horizon)."""
    scale_tail: _Pos = 0.2
    """Horizon ES loss fraction whose sub-score is 0.5."""
    scale_impact: _Pos = 0.02
    """Price impact of selling the position whose sub-score is 0.5 (2%)."""
    band_floors: tuple[_Unit, ...] = (0.55, 0.4, 0.25)
    """Lowest score of bands A, B, C (decreasing); below the last floor: ineligible."""
    band_addons: tuple[_Unit, ...] = (0.0, 0.025, 0.075)
    """Haircut add-on of bands A, B, C, added to tail loss + impact."""
    max_issuer_risk: _Unit = 0.8
    """An issuer / contract risk above this makes the asset ineligible whatever its score."""
    max_haircut: _Unit = 0.5
    """An asset whose haircut would exceed this is ineligible."""
    rounding_step: Annotated[Float, Range(0, 0.1)] = 0.005
    """Haircuts are rounded up to this step (0: no rounding)."""

    @model_validator(mode="after")
    def _check(self) -> CollateralScoreSettings:
        w = self.weights
        if abs(sum(w.values()) - 1.0) > 1e-9:
            raise problem(f"the weights w_* must add up to 1, got {sum(w.values()):g}")
        f = self.band_floors
        if len(f) != len(self.band_addons) or not f:
            raise problem("band_floors and band_addons must have the same, non-zero length")
        if any(b >= a for a, b in zip(f, f[1:], strict=False)):
            raise problem(f"band_floors must decrease strictly, got {list(f)}")
        if any(b < a for a, b in zip(self.band_addons, self.band_addons[1:], strict=False)):
            raise problem(f"band_addons must not decrease, got {list(self.band_addons)}")
        return self

    @property
    def weights(self) -> dict[str, float]:
        """Weights by input name, in :data:`SCORE_INPUTS` order."""
        return {k: float(getattr(self, f"w_{k}")) for k in SCORE_INPUTS}


@dataclass(frozen=True)
class CollateralInputs:
    """Inputs of the collateral score (all risks: higher is worse).

    Attributes
    ----------
    volatility : float
        Standard deviation of the log return over the liquidation horizon, ``sigma_1 sqrt(h)``.
    tail : float
        ES (at the settings' level) of the loss fraction over the horizon
        (:func:`collateral_haircut` without rounding).
    impact : float
        Square-root price impact of selling the position, ``k sigma_1 sqrt(N / ADV)``
        (:func:`riskkit.margin.tiers.liquidity_addon`).
    correlation : float
        Correlation of the collateral's losses with the book's losses (in [-1, 1]; 0 without a
        book).
    issuer_risk : float
        User-supplied issuer / smart-contract / custody risk in [0, 1] (0: none, e.g. native
        BTC; higher for bridged or wrapped tokens, new contracts, centralised issuers).
    liquidation_days : float
        Days to sell the position at the participation rate (reported, not scored: the
        horizon is a setting).
    wrong_way : float or None
        Wrong-way haircut against the book (:func:`wrong_way_haircut`), if a book was given.
    """

    volatility: float
    tail: float
    impact: float
    correlation: float
    issuer_risk: float
    liquidation_days: float = float("nan")
    wrong_way: float | None = None

    def __post_init__(self) -> None:
        for k in ("volatility", "tail", "impact"):
            v = getattr(self, k)
            if not (np.isfinite(v) and v >= 0):
                raise DataError(f"collateral input {k} must be finite and >= 0, got {v!r}")
        if not -1 <= self.correlation <= 1:
            raise DataError(
                f"collateral input correlation must lie in [-1, 1], got {self.correlation!r}"
            )
        if not 0 <= self.issuer_risk <= 1:
            raise ConfigError(
                f"issuer_risk must lie in [0, 1] (0 = none, 1 = worst), got {self.issuer_risk!r}"
            )

    def replace(self, **changes: float) -> CollateralInputs:
        """A copy with some inputs changed (checked again)."""
        return CollateralInputs(**{**asdict(self), **changes})

    def to_series(self) -> pd.Series:
        return pd.Series(asdict(self), name="input")


def collateral_inputs(
    returns: pd.Series,
    adv_usd: float,
    position_usd: float,
    issuer_risk: float,
    book_returns: pd.Series | None = None,
    settings: CollateralScoreSettings | None = None,
) -> CollateralInputs:
    """Measure the score's inputs of one collateral asset from its history.

    Parameters
    ----------
    returns : Series
        Daily log returns of the collateral.
    adv_usd : float
        Average daily traded value of the collateral in USD.
    position_usd : float
        Collateral the venue may have to sell (USD).
    issuer_risk : float
        Issuer / contract risk in [0, 1], supplied by the user (see :class:`CollateralInputs`).
    book_returns : Series, optional
        Daily log returns of the (long) book the collateral secures; without it the
        correlation is 0 and no wrong-way haircut is computed.
    settings : CollateralScoreSettings, optional

    Returns
    -------
    CollateralInputs
    """
    s = settings or CollateralScoreSettings()
    r = as_return_series(returns, min_obs=20)
    sigma = float(r.std(ddof=1))
    h = s.horizon_days
    tail = collateral_haircut(r, s.level, h, "es", rounding_step=None)
    liq = liquidity_addon(position_usd, adv_usd, sigma, s.participation, s.impact_k)
    corr, ww = 0.0, None
    if book_returns is not None:
        res = wrong_way_haircut(r, book_returns, "long", 1.0, s.level, h, "es")
        corr, ww = res.correlation, res.wrong_way
    return CollateralInputs(
        volatility=sigma * float(np.sqrt(h)),
        tail=float(tail),
        impact=float(liq.impact),
        correlation=float(np.clip(corr, -1.0, 1.0)),
        issuer_risk=float(issuer_risk),
        liquidation_days=float(liq.days),
        wrong_way=ww,
    )


def _subscores(x: CollateralInputs, s: CollateralScoreSettings) -> dict[str, float]:
    return {
        "volatility": x.volatility / (x.volatility + s.scale_volatility),
        "tail": x.tail / (x.tail + s.scale_tail),
        "impact": x.impact / (x.impact + s.scale_impact),
        "correlation": (1.0 + x.correlation) / 2.0,
        "issuer_risk": x.issuer_risk,
    }


def haircut_schedule(settings: CollateralScoreSettings | None = None) -> pd.DataFrame:
    """The bands of the score: lowest score, haircut add-on, eligibility."""
    s = settings or CollateralScoreSettings()
    names = [chr(ord("A") + i) for i in range(len(s.band_floors))]
    rows = [
        {"band": n, "min_score": f, "haircut_addon": a, "eligible": True}
        for n, f, a in zip(names, s.band_floors, s.band_addons, strict=True)
    ]
    rows.append(
        {"band": "ineligible", "min_score": 0.0, "haircut_addon": np.nan, "eligible": False}
    )
    return pd.DataFrame(rows).set_index("band")


@dataclass(frozen=True)
class CollateralScore:
    """Quality score, haircut and eligibility of one collateral asset (:func:`score_collateral`).

    Attributes
    ----------
    score : float
        ``1 - sum_k w_k s_k`` in [0, 1]; higher is better collateral.
    band : str
        ``"A"``, ``"B"``, ... or ``"ineligible"`` (see :func:`haircut_schedule`).
    haircut : float
        ``round_up(max(tail, wrong_way) + impact + band add-on)``, capped at 1.
    eligible : bool
        Score above the lowest band floor, issuer risk at most ``max_issuer_risk`` and haircut
        at most ``max_haircut``.
    reasons : tuple of str
        Why it is ineligible (empty when eligible).
    subscores, contributions : Series
        ``s_k`` and ``w_k s_k`` by input.
    inputs : CollateralInputs
    settings : CollateralScoreSettings
    """

    score: float
    band: str
    haircut: float
    eligible: bool
    reasons: tuple[str, ...]
    subscores: pd.Series
    contributions: pd.Series
    inputs: CollateralInputs
    settings: CollateralScoreSettings = field(repr=False)

    def summary(self) -> pd.DataFrame:
        """One row per input: value, sub-score, weight, contribution to the score's shortfall."""
        w = pd.Series(self.settings.weights)
        vals = pd.Series({k: getattr(self.inputs, k) for k in SCORE_INPUTS})
        return pd.DataFrame(
            {
                "input": vals,
                "subscore": self.subscores,
                "weight": w,
                "contribution": self.contributions,
            }
        )


def score_collateral(
    inputs: CollateralInputs, settings: CollateralScoreSettings | None = None
) -> CollateralScore:
    """Score an asset as collateral and map the score to a haircut and an eligibility decision.

    Parameters
    ----------
    inputs : CollateralInputs
        From :func:`collateral_inputs` or built by hand.
    settings : CollateralScoreSettings, optional

    Returns
    -------
    CollateralScore

    Notes
    -----
    Sub-scores: ``s = x / (x + scale)`` for volatility, tail and impact (strictly increasing,
    0 at no risk, 0.5 at the scale, below 1); ``(1 + rho) / 2`` for the correlation with the
    book; the issuer risk as given. Score ``Q = 1 - sum_k w_k s_k`` with weights adding to 1,
    so ``Q`` falls strictly in each risky input with a positive weight. Band: the first whose
    floor ``Q`` reaches. Haircut: the horizon ES loss (or the wrong-way haircut against the book
    when larger) plus the impact of selling, plus the band's add-on, rounded up: a lower score
    never lowers the haircut.
    """
    s = settings or CollateralScoreSettings()
    sub = pd.Series(_subscores(inputs, s), name="subscore")
    contrib = (sub * pd.Series(s.weights)).rename("contribution")
    q = float(np.clip(1.0 - contrib.sum(), 0.0, 1.0))
    band, addon = "ineligible", np.nan
    for i, (f, a) in enumerate(zip(s.band_floors, s.band_addons, strict=True)):
        if q >= f:
            band, addon = chr(ord("A") + i), a
            break
    base = max(inputs.tail, inputs.wrong_way if inputs.wrong_way is not None else -np.inf)
    raw = base + inputs.impact + (addon if np.isfinite(addon) else s.band_addons[-1])
    hc = float(round_rate(raw, s.rounding_step or None, cap=1.0))
    reasons = []
    if band == "ineligible":
        reasons.append(f"score {q:.3f} below the lowest band floor {s.band_floors[-1]:g}")
    if inputs.issuer_risk > s.max_issuer_risk:
        reasons.append(
            f"issuer_risk {inputs.issuer_risk:g} above max_issuer_risk {s.max_issuer_risk:g}"
        )
    if hc > s.max_haircut:
        reasons.append(f"haircut {hc:.3f} above max_haircut {s.max_haircut:g}")
    return CollateralScore(
        score=q,
        band=band,
        haircut=hc,
        eligible=not reasons,
        reasons=tuple(reasons),
        subscores=sub,
        contributions=contrib,
        inputs=inputs,
        settings=s,
    )


def score_sensitivity(
    inputs: CollateralInputs,
    settings: CollateralScoreSettings | None = None,
    bump: float = 0.1,
) -> pd.DataFrame:
    """Sensitivity of the score and the haircut to each input.

    Parameters
    ----------
    inputs : CollateralInputs
    settings : CollateralScoreSettings, optional
    bump : float
        Relative bump of volatility, tail and impact (0.1 = +10%); absolute bump of the
        correlation and the issuer risk (+0.1), clipped to their ranges.

    Returns
    -------
    DataFrame
        One row per input of :data:`SCORE_INPUTS`: ``derivative`` (analytic ``dQ/dx =
        -w_k ds_k/dx``: ``-w scale / (x + scale)^2``, ``-w / 2`` for correlation, ``-w`` for
        issuer risk), the bumped input, the score and haircut after the bump and their changes.
    """
    s = settings or CollateralScoreSettings()
    base = score_collateral(inputs, s)
    w = s.weights
    rows = {}
    for k in SCORE_INPUTS:
        x = getattr(inputs, k)
        if k in ("volatility", "tail", "impact"):
            sc = getattr(s, f"scale_{k}")
            deriv = -w[k] * sc / (x + sc) ** 2
            new = x * (1 + bump) if x > 0 else bump * sc
        elif k == "correlation":
            deriv, new = -w[k] / 2.0, min(1.0, x + bump)
        else:
            deriv, new = -w[k], min(1.0, x + bump)
        out = score_collateral(inputs.replace(**{k: new}), s)
        rows[k] = {
            "input": x,
            "derivative": deriv,
            "bumped_input": new,
            "score": out.score,
            "score_change": out.score - base.score,
            "haircut": out.haircut,
            "haircut_change": out.haircut - base.haircut,
            "band": out.band,
        }
    return pd.DataFrame.from_dict(rows, orient="index")
