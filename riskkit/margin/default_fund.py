"""Default management: who pays when margin is not enough.

A clearing house and a crypto venue answer the same question differently.

* A **CCP** (EMIR, Regulation (EU) No 648/2012) lines up its resources in a fixed order, the
  *default waterfall* of Art. 45: the defaulter's margin, the defaulter's default-fund
  contribution, the CCP's own dedicated resources ("skin in the game", at least 25% of its
  minimum capital: Commission Delegated Regulation (EU) No 153/2013, Art. 35), the surviving
  members' default-fund contributions, then further calls on members (Art. 43). The default fund
  is sized so that it withstands, in extreme but plausible conditions, the default of the member
  with the largest exposure or of the second and third largest if their sum is larger (EMIR
  Art. 42(3)). All pre-funded resources together (margin, default fund and other resources)
  must cover the default of the two members with the largest exposures (RTS 153/2013
  Art. 53(1); CPMI-IOSCO, *Principles for Financial Market Infrastructures*, 2012, Principle 4,
  key consideration 4, for CCPs systemically important in several jurisdictions: "Cover 2").
* A **crypto venue** liquidates an account at the bankruptcy price; a loss beyond the account's
  margin is paid by the venue's *insurance fund* and, once that is empty, by
  *auto-deleveraging* (ADL): profitable opposite positions are closed at the bankrupt price in
  the order of a ranking score, PnL percentage times effective leverage (PnL percentage divided
  by effective leverage for losing positions) as published by Binance ("What is
  Auto-Deleveraging", Binance Futures FAQ) and BitMEX.

Every amount here is a positive loss or resource in the settlement currency.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy.optimize import brentq

from riskkit.exceptions import ConfigError, DataError

__all__ = [
    "DefaultFundSize",
    "WaterfallOutcome",
    "adl_ranking",
    "auto_deleverage",
    "ccp_waterfall_resources",
    "default_fund_size",
    "default_waterfall",
    "fund_contributions",
    "reverse_stress_scale",
    "uncovered_stress_losses",
]

FUND_RULES = ("cover-1", "cover-2", "emir")


def _check_amounts(values: pd.Series | pd.DataFrame, name: str) -> None:
    """Refuse missing or negative amounts, naming the rows."""
    frame = values.to_frame() if isinstance(values, pd.Series) else values
    for problem, mask in (("missing", frame.isna()), ("negative", frame < 0)):
        rows = mask.to_numpy().any(axis=1)
        if rows.any():
            raise DataError(
                f"{name}: {problem} amounts for {[str(i) for i in frame.index[rows]]}; losses "
                "and resources are positive numbers"
            )


def uncovered_stress_losses(stress_losses: pd.DataFrame, collateral: pd.Series) -> pd.DataFrame:
    """Stress loss of each member beyond the margin it has posted, floored at zero.

    Parameters
    ----------
    stress_losses : DataFrame
        Loss of each member's portfolio (rows) under each stress scenario (columns), positive.
    collateral : Series
        Margin (after haircuts) each member has posted, indexed like the rows.

    Returns
    -------
    DataFrame
        ``max(loss - collateral, 0)``, members x scenarios.
    """
    _check_amounts(stress_losses, "stress_losses")
    _check_amounts(collateral, "collateral")
    missing = stress_losses.index.difference(collateral.index)
    if len(missing):
        raise DataError(f"collateral: no posted margin for members {list(missing)}")
    posted = collateral.reindex(stress_losses.index)
    return stress_losses.sub(posted, axis=0).clip(lower=0.0)


@dataclass(frozen=True)
class DefaultFundSize:
    """Default-fund size under a cover rule, with the scenario and members that bind.

    Attributes
    ----------
    rule : {"cover-1", "cover-2", "emir"}
        ``"emir"``: the largest member or the second and third largest together, whichever is
        larger (EMIR Art. 42(3)).
    size : float
        Required default fund: the largest requirement over scenarios.
    scenario : str
        Scenario that sets the size.
    members : tuple of str
        Members whose uncovered losses make up the size in that scenario (members with
        nothing uncovered are left out, so Cover-2 may name one member or none).
    by_scenario : Series
        Requirement under each scenario.
    uncovered : DataFrame
        Uncovered stress loss, members x scenarios (:func:`uncovered_stress_losses`).
    """

    rule: str
    size: float
    scenario: str
    members: tuple[str, ...]
    by_scenario: pd.Series
    uncovered: pd.DataFrame

    def summary(self) -> pd.DataFrame:
        """One row per scenario: the requirement and the members behind it."""
        rows = []
        for scenario, column in self.uncovered.items():
            _, who = _requirement(column, self.rule)
            rows.append(
                {
                    "scenario": scenario,
                    "requirement": self.by_scenario[scenario],
                    "members": ", ".join(who),
                    "binding": scenario == self.scenario,
                }
            )
        return pd.DataFrame(rows).set_index("scenario")


def _requirement(uncovered: pd.Series, rule: str) -> tuple[float, tuple[str, ...]]:
    """Requirement of one scenario and the members that make it up."""
    ranked = uncovered.sort_values(ascending=False, kind="stable")
    values = ranked.to_numpy()
    # a member with nothing uncovered adds nothing and is not named
    names = [str(n) if v > 0 else "" for n, v in zip(ranked.index, values, strict=True)]
    if rule == "cover-1":
        chosen = slice(0, 1)
    elif rule == "cover-2":
        chosen = slice(0, 2)
    else:
        chosen = slice(1, 3) if values[1:3].sum() > values[:1].sum() else slice(0, 1)
    return float(values[chosen].sum()), tuple(n for n in names[chosen] if n)


def default_fund_size(
    stress_losses: pd.DataFrame, collateral: pd.Series, rule: str = "cover-2"
) -> DefaultFundSize:
    """Size a default fund from members' stress losses and posted margin.

    Parameters
    ----------
    stress_losses : DataFrame
        Members (rows) x stress scenarios (columns), positive losses.
    collateral : Series
        Posted margin per member.
    rule : {"cover-2", "cover-1", "emir"}
        How many defaults the fund withstands (module docstring).

    Returns
    -------
    DefaultFundSize
    """
    if rule not in FUND_RULES:
        raise ConfigError(f"rule must be one of {FUND_RULES}, got {rule!r}")
    if stress_losses.shape[1] == 0 or stress_losses.shape[0] == 0:
        raise DataError("stress_losses: need at least one member and one scenario")
    uncovered = uncovered_stress_losses(stress_losses, collateral)
    by_scenario = pd.Series(
        {s: _requirement(col, rule)[0] for s, col in uncovered.items()}, name="requirement"
    )
    scenario = str(by_scenario.idxmax())
    _, members = _requirement(uncovered[scenario], rule)
    return DefaultFundSize(
        rule=rule,
        size=float(by_scenario.max()),
        scenario=scenario,
        members=members,
        by_scenario=by_scenario,
        uncovered=uncovered,
    )


def fund_contributions(size: float, basis: pd.Series) -> pd.Series:
    """Split a default fund among members pro rata to a basis.

    Parameters
    ----------
    size : float
        Default fund to split.
    basis : Series
        Each member's share basis, positive: CCPs commonly use the initial margin requirement
        or the member's largest uncovered stress loss (``DefaultFundSize.uncovered.max(axis=1)``).

    Returns
    -------
    Series
        Contributions summing to ``size``.
    """
    _check_amounts(basis, "basis")
    total = float(basis.sum())
    if total == 0.0:
        raise DataError("basis: every member's basis is zero; nothing to split the fund by")
    return (size * basis / total).rename("contribution")


@dataclass(frozen=True)
class WaterfallOutcome:
    """How a default loss runs through the resources in their order.

    Attributes
    ----------
    loss : float
        Loss to cover (beyond nothing: the defaulter's margin is the first layer).
    layers : DataFrame
        One row per resource in order: ``available``, ``used``, ``left`` (unused part) and
        ``loss_after`` (loss still uncovered after this layer).
    uncovered : float
        Loss left after every layer (for a CCP: recovery tools; for a venue: auto-deleveraging).
    """

    loss: float
    layers: pd.DataFrame
    uncovered: float

    @property
    def exhausted(self) -> tuple[str, ...]:
        """Layers used in full."""
        full = self.layers[(self.layers["available"] > 0) & (self.layers["left"] <= 0)]
        return tuple(str(n) for n in full.index)

    @property
    def last_layer_used(self) -> str | None:
        """Name of the deepest layer that paid anything (None if the loss is zero)."""
        used = self.layers[self.layers["used"] > 0]
        return None if used.empty else str(used.index[-1])


def default_waterfall(loss: float, resources: Mapping[str, float]) -> WaterfallOutcome:
    """Run a loss through resources used one after the other, in the mapping's order.

    Parameters
    ----------
    loss : float
        Positive loss to cover.
    resources : mapping of str to float
        Resources in the order they are used (:func:`ccp_waterfall_resources` builds EMIR's).

    Returns
    -------
    WaterfallOutcome
    """
    if not np.isfinite(loss) or loss < 0:
        raise DataError(f"loss must be a finite non-negative amount, got {loss}")
    _check_amounts(pd.Series(resources, dtype=float), "resources")
    remaining = float(loss)
    rows = []
    for name, available in resources.items():
        used = min(remaining, float(available))
        remaining -= used
        rows.append(
            {
                "layer": name,
                "available": float(available),
                "used": used,
                "left": float(available) - used,
                "loss_after": remaining,
            }
        )
    layers = pd.DataFrame(rows).set_index("layer")
    return WaterfallOutcome(loss=float(loss), layers=layers, uncovered=remaining)


def ccp_waterfall_resources(
    defaulter_margin: float,
    defaulter_fund: float,
    skin_in_the_game: float,
    survivors_fund: float,
    assessments: float = 0.0,
) -> dict[str, float]:
    """The resources of a CCP in the order EMIR Art. 45 uses them.

    Parameters
    ----------
    defaulter_margin : float
        Margin posted by the defaulting member(s) (Art. 45(1)).
    defaulter_fund : float
        Their default-fund contributions (Art. 45(2)).
    skin_in_the_game : float
        The CCP's dedicated own resources, used before the survivors' contributions
        (Art. 45(4); at least 25% of minimum capital, RTS 153/2013 Art. 35).
    survivors_fund : float
        Default-fund contributions of the non-defaulting members (Art. 45(3)).
    assessments : float
        Further calls on members the rulebook allows (Art. 43(3)), if any.
    """
    return {
        "defaulter margin": defaulter_margin,
        "defaulter fund contribution": defaulter_fund,
        "CCP skin in the game": skin_in_the_game,
        "survivors' fund contributions": survivors_fund,
        "assessments": assessments,
    }


def adl_ranking(positions: pd.DataFrame) -> pd.DataFrame:
    """Auto-deleveraging queue of a venue: who is closed first against a bankrupt position.

    Parameters
    ----------
    positions : DataFrame
        One row per account on the side opposite the bankrupt position, with columns
        ``notional`` (position value at the mark price), ``unrealised_pnl`` and ``equity``
        (margin balance including the unrealised PnL).

    Returns
    -------
    DataFrame
        The input plus ``pnl_fraction`` (unrealised PnL over the margin deposited,
        ``equity - unrealised_pnl``), ``effective_leverage`` (``notional / equity``) and
        ``score``: ``pnl_fraction x effective_leverage`` when the PnL is positive, else
        ``pnl_fraction / effective_leverage`` (Binance Futures FAQ, "What is Auto-Deleveraging";
        BitMEX uses the same score). Sorted by score, highest (first deleveraged) first, with a
        1-based ``rank``.
    """
    needed = ["notional", "unrealised_pnl", "equity"]
    missing = [c for c in needed if c not in positions.columns]
    if missing:
        raise DataError(f"positions: missing columns {missing} (need {needed})")
    out = positions.copy()
    equity = out["equity"].astype(float)
    if (equity <= 0).any():
        raise DataError(
            f"positions: accounts {list(out.index[equity <= 0])} have no positive equity; "
            "they are being liquidated themselves and cannot be deleveraged against"
        )
    deposited = equity - out["unrealised_pnl"]
    if (deposited <= 0).any():
        raise DataError(
            f"positions: accounts {list(out.index[deposited <= 0])} have equity not above "
            "their unrealised PnL (no deposited margin)"
        )
    out["pnl_fraction"] = out["unrealised_pnl"] / deposited
    out["effective_leverage"] = out["notional"].abs() / equity
    out["score"] = np.where(
        out["pnl_fraction"] > 0,
        out["pnl_fraction"] * out["effective_leverage"],
        out["pnl_fraction"] / out["effective_leverage"],
    )
    out = out.sort_values("score", ascending=False, kind="stable")
    out["rank"] = np.arange(1, len(out) + 1)
    return out


def auto_deleverage(size_to_close: float, positions: pd.DataFrame) -> pd.Series:
    """Close a bankrupt position against the ADL queue: notional taken from each account.

    Parameters
    ----------
    size_to_close : float
        Notional of the bankrupt position left after the insurance fund (positive).
    positions : DataFrame
        As for :func:`adl_ranking`.

    Returns
    -------
    Series
        Notional closed per account, in queue order; accounts are taken in full, one after
        the other, until ``size_to_close`` is filled.
    """
    if size_to_close < 0:
        raise DataError(f"size_to_close must be non-negative, got {size_to_close}")
    queue = adl_ranking(positions)
    sizes = queue["notional"].abs().to_numpy(dtype=float)
    if size_to_close > sizes.sum():
        raise DataError(
            f"size_to_close {size_to_close:,.2f} exceeds the opposite side's open notional "
            f"{sizes.sum():,.2f}"
        )
    filled_before = np.concatenate([[0.0], np.cumsum(sizes)[:-1]])
    taken = np.clip(size_to_close - filled_before, 0.0, sizes)
    return pd.Series(taken, index=queue.index, name="deleveraged")


def reverse_stress_scale(
    loss_at_scale: Callable[[float], float],
    resources: float,
    upper: float = 100.0,
) -> float:
    """The smallest stress scale at which a loss uses up given resources (reverse stress test).

    A reverse stress test starts from the outcome (the resources are exhausted) and asks how
    severe the scenario must be (CPMI-IOSCO, *Resilience of central counterparties: further
    guidance on the PFMI*, 2017, on reverse stress testing). ``loss_at_scale(s)`` is the loss of
    the scenario scaled by ``s`` (1 = the base scenario); it must increase with ``s``.

    Returns
    -------
    float
        ``s*`` with ``loss_at_scale(s*) == resources`` (Brent's method).

    Raises
    ------
    DataError
        If the loss at scale 0 already exceeds the resources.
    ConfigError
        If the resources survive even ``upper`` (raise ``upper``).
    """
    if resources < 0:
        raise DataError(f"resources must be non-negative, got {resources}")

    def gap(scale: float) -> float:
        return float(loss_at_scale(scale)) - resources

    if gap(0.0) > 0:
        raise DataError("the loss exceeds the resources with no stress at all (scale 0)")
    if gap(upper) < 0:
        raise ConfigError(
            f"the resources survive a scenario {upper:g} times the base one; raise `upper`"
        )
    return float(brentq(gap, 0.0, upper, xtol=1e-12))
