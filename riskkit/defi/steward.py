"""Moving reserve parameters within Aave's Risk Steward limits, one bounded update at a time.

A Risk Steward may change an Aave reserve's parameters without a governance vote, but only by
a bounded amount per update and at most once per ``days_between_updates`` (3 days) for each
parameter (BGD Labs, ``RiskStewardPhase2.md``, github.com/bgd-labs/aave-proposals-v3, 2024-08:
LTV and liquidation threshold +-0.25% absolute, liquidation bonus +-0.5% absolute, supply and
borrow caps +-100% relative). The steward contract checks ``|to - from| <= limit`` with the
limit absolute or ``from x limit`` for relative parameters, so a cap can at most double per
update, and a 100% relative limit lets it fall to anything in one update.

:func:`steward_path` walks from the current values to a target, every parameter moving by its
full step until it arrives, and says how many updates each parameter needs. Rates are moved on
the integer basis-point grid Aave stores them on (``8050`` for 80.5%), so rounding never lets a
step exceed its limit.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import pandas as pd

from riskkit.defi.settings import ReserveParameters, StewardLimits
from riskkit.exceptions import ConfigError

__all__ = ["StewardPath", "steward_path", "steps_needed", "within_limits"]

_RATES = ("ltv", "liquidation_threshold", "liquidation_bonus")
_CAPS = ("supply_cap", "borrow_cap")
#: Aave stores rates in basis points (PercentageMath, 1e4 = 100%)
_BP = 10_000


def _bp(x: float) -> int:
    return round(x * _BP)


def _walk_cap(cur: float | None, tgt: float | None, rel: float) -> list[float | None]:
    if cur is None or tgt is None:
        return [cur]
    out = [float(cur)]
    while out[-1] != tgt:
        last = out[-1]
        up, down = last * (1 + rel), last * (1 - rel)
        out.append(min(tgt, up) if tgt > last else max(tgt, down))
        if len(out) > 10_000:  # pragma: no cover - a positive relative limit always arrives
            raise ConfigError("cap path does not converge; check cap_relative")
    return out


def steps_needed(current: float, target: float, limit: float, relative: bool = False) -> int:
    """Updates needed to move ``current`` to ``target`` with steps of at most ``limit``.

    Absolute: ``ceil(|target - current| / limit)`` (on the basis-point grid). Relative (caps):
    an increase needs ``ceil(log(target / current) / log(1 + limit))`` updates, a decrease
    ``ceil(log(current / target) / -log(1 - limit))`` (one update when ``limit >= 1``).
    """
    if relative:
        if current <= 0 or target <= 0:
            raise ConfigError("caps must be > 0 to count relative steps")
        if math.isclose(target, current, rel_tol=1e-12):
            return 0
        if target > current:
            return math.ceil(math.log(target / current) / math.log1p(limit) - 1e-12)
        if limit >= 1:
            return 1
        return math.ceil(math.log(current / target) / -math.log1p(-limit) - 1e-12)
    step = math.floor(limit * _BP + 1e-9)
    return math.ceil(abs(_bp(target) - _bp(current)) / step)


@dataclass(frozen=True)
class StewardPath:
    """Successive steward updates from the current to the target parameters.

    Attributes
    ----------
    updates : list of ReserveParameters
        ``updates[0]`` is the current state, ``updates[-1]`` the target; each update moves every
        parameter that has not arrived by its full step.
    steps : dict of str to int
        Updates each parameter needs (0 when it does not change or a cap is not set).
    limits : StewardLimits
    """

    updates: list[ReserveParameters]
    steps: dict[str, int]
    limits: StewardLimits

    @property
    def n_updates(self) -> int:
        """Updates needed for the full change (the slowest parameter's count)."""
        return max(self.steps.values(), default=0)

    @property
    def min_days(self) -> float:
        """Least days from the first to the last update: ``(n - 1) x days_between_updates``."""
        return max(self.n_updates - 1, 0) * self.limits.days_between_updates

    def to_frame(self) -> pd.DataFrame:
        """One row per update (0 = current), one column per parameter."""
        cols = (*_RATES, *_CAPS)
        return pd.DataFrame(
            [{c: getattr(u, c) for c in cols} for u in self.updates],
            index=pd.RangeIndex(len(self.updates), name="update"),
        )


def steward_path(
    current: ReserveParameters, target: ReserveParameters, limits: StewardLimits | None = None
) -> StewardPath:
    """Walk from ``current`` to ``target`` within the Risk Steward limits.

    Parameters
    ----------
    current, target : ReserveParameters
        Start and end values. A cap missing from either side is left unchanged.
    limits : StewardLimits, optional
        Largest change per update (default: BGD Labs phase 2 values).

    Returns
    -------
    StewardPath

    Notes
    -----
    Where the walk would break Aave's own checks in an intermediate update (LTV above LT, or
    ``LT (1 + bonus) > 1``) the offending parameter waits one update: the LTV when it would pass
    the LT, the bonus (or, when the bonus is already at its target, the LT) when the product
    would pass 1. Waiting never makes a step larger than its limit.
    """
    lim = limits or StewardLimits()
    cap_paths = {
        n: _walk_cap(getattr(current, n), getattr(target, n), lim.cap_relative) for n in _CAPS
    }
    state = {n: _bp(getattr(current, n)) for n in _RATES}
    goal = {n: _bp(getattr(target, n)) for n in _RATES}
    step = {n: math.floor(getattr(lim, n) * _BP + 1e-9) for n in _RATES}
    if min(step.values()) < 1:
        raise ConfigError("steward limits on rates must be at least one basis point")
    caps = {n: getattr(current, n) for n in _CAPS}
    updates = [current]
    count = dict.fromkeys((*_RATES, *_CAPS), 0)
    k = 0

    def arrived() -> bool:
        return all(state[n] == goal[n] for n in _RATES) and all(
            caps[n] == cap_paths[n][-1] for n in _CAPS
        )

    while not arrived():
        k += 1
        nxt = {n: state[n] + max(-step[n], min(step[n], goal[n] - state[n])) for n in _RATES}
        lt_key, b_key = "liquidation_threshold", "liquidation_bonus"
        if nxt[lt_key] * (_BP + nxt[b_key]) > _BP * _BP:
            # the bonus waits (moves less), down to its lowest reachable value if needed
            nxt[b_key] = max(
                state[b_key] - step[b_key], min(nxt[b_key], _BP * _BP // nxt[lt_key] - _BP)
            )
            if nxt[lt_key] * (_BP + nxt[b_key]) > _BP * _BP:
                nxt[lt_key] = min(nxt[lt_key], _BP * _BP // (_BP + nxt[b_key]))
        if nxt["ltv"] > nxt[lt_key]:
            # the LT waits for the LTV when it falls faster than the LTV can follow
            nxt[lt_key] = max(nxt[lt_key], state["ltv"] - step["ltv"])
            nxt["ltv"] = max(state["ltv"] - step["ltv"], min(nxt["ltv"], nxt[lt_key]))
        for n in _RATES:
            if nxt[n] != state[n]:
                count[n] += 1
        for n in _CAPS:
            p = cap_paths[n]
            if caps[n] != p[-1]:
                caps[n] = p[min(count[n] + 1, len(p) - 1)]
                count[n] += 1
        if nxt == state and not any(caps[n] != updates[-1].model_dump()[n] for n in _CAPS):
            raise ConfigError(
                "the steward walk is stuck: an intermediate update would break LTV <= LT or "
                "LT x (1 + bonus) <= 1"
            )
        state = nxt
        updates.append(
            current.replace(
                **{n: state[n] / _BP for n in _RATES},
                **{n: caps[n] for n in _CAPS},
                source="steward update",
                as_of=f"update {k}",
            )
        )
    return StewardPath(updates=updates, steps=count, limits=lim)


def within_limits(
    before: ReserveParameters, after: ReserveParameters, limits: StewardLimits | None = None
) -> bool:
    """Whether one update ``before -> after`` respects every steward limit (basis-point grid)."""
    lim = limits or StewardLimits()
    for n in _RATES:
        if abs(_bp(getattr(after, n)) - _bp(getattr(before, n))) > math.floor(
            getattr(lim, n) * _BP + 1e-9
        ):
            return False
    for n in _CAPS:
        a, b = getattr(before, n), getattr(after, n)
        if a is not None and b is not None and abs(b - a) > a * lim.cap_relative * (1 + 1e-12):
            return False
    return True
