"""DeFi lending proposals in a calibration run: the ``lending`` configuration section and the
``lending_parameter_sets`` section of the parameter file.

A run configured with ``lending:`` proposes, for each collateral/debt pair, the LTV,
liquidation threshold, liquidation bonus and caps of :func:`riskkit.defi.propose_parameters`
from the collateral's data of the run (its daily log returns up to the run's last date, its
calibrated average daily traded value ``adv_usd``, its last close), seeded from the run's seed
(``run.seed``), and writes each pair in Aave v3's own field names
(:meth:`riskkit.defi.LendingProposal.to_parameter_set`) under ``lending_parameter_sets``.

The debt asset is a stablecoin priced at 1 USD (the simulation's stated simplification).
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping
from typing import Annotated, Any

import pandas as pd
from pydantic import Field, field_serializer, field_validator, model_validator

from riskkit._settings import (
    Choice,
    Float,
    Problem,
    Range,
    SettingsModel,
    Text,
    problem,
    problems_error,
)
from riskkit.defi.settings import BP, LendingSettings, ReserveParameters, StewardLimits
from riskkit.exceptions import ConfigError, DataError

__all__ = [
    "STABLECOINS",
    "LendingPair",
    "LendingSpec",
    "lending_config_problems",
    "lending_parameter_sets",
    "lending_set_problems",
    "lending_table",
]

#: debt assets a pair may borrow: stablecoins the simulation prices at 1 USD
STABLECOINS = ("USDC", "USDT", "DAI", "GHO", "USD")

Positive = Annotated[Float, Range(0, lo_open=True)]


class LendingPair(SettingsModel):
    """One collateral/debt pair of the ``lending`` section.

    ``current`` holds the on-chain values the proposal starts from, as fractions (``ltv:
    0.805``, ``liquidation_threshold: 0.83``, ``liquidation_bonus: 0.05``; caps in USD).
    """

    collateral: Text
    """Collateral asset: one of the run's ``assets`` (its prices stand in for the on-chain
    token's: ETH for WETH)."""
    debt: Annotated[str, Choice(STABLECOINS, what="debt asset", verb="choose from")] = "USDC"
    """Borrowed stablecoin, priced at 1 USD."""
    name: Text | None = None
    """Label of the pair in the parameter file (default ``COLLATERAL/DEBT``)."""
    current: ReserveParameters
    """Current on-chain parameters (fractions; supply_cap and borrow_cap in USD)."""
    supply_usd: Positive | None = None
    """Total collateral of the simulated book in USD (default ``supply_to_adv`` x ADV)."""
    adv_usd: Positive | None = None
    """Daily traded value available to liquidators in USD (default: the collateral's
    calibrated ``adv_usd`` in the parameter file)."""

    @field_validator("collateral", mode="after")
    @classmethod
    def _upper(cls, value: str) -> str:
        return value.strip().upper()

    @property
    def label(self) -> str:
        """``name``, or ``COLLATERAL/DEBT``."""
        return self.name or f"{self.collateral}/{self.debt}"


class LendingSpec(SettingsModel):
    """The ``lending`` section of a calibration configuration: DeFi lending proposals written
    under ``lending_parameter_sets`` in the parameter file."""

    pairs: Annotated[list[LendingPair], Field(min_length=1)]
    """Collateral/debt pairs to propose parameters for."""
    settings: LendingSettings = Field(default_factory=LendingSettings)
    """Simulation and search settings (:class:`riskkit.defi.LendingSettings`); the seed is the
    run's (``run.seed``), not set here."""
    limits: StewardLimits = Field(default_factory=StewardLimits)
    """Largest change per Risk Steward update (BGD Labs phase 2 by default)."""
    supply_to_adv: Positive = 5.0
    """Size of the simulated book (total collateral) as a multiple of the collateral's ADV,
    for a pair without ``supply_usd``."""

    @field_validator("settings", mode="before")
    @classmethod
    def _no_seed(cls, value: Any) -> Any:
        if isinstance(value, Mapping) and "seed" in value:
            raise problems_error(
                [
                    (
                        ("seed",),
                        "the lending simulation is seeded from the run's seed; set run.seed "
                        "(or --seed) instead",
                    )
                ]
            )
        return value

    @field_serializer("settings")
    def _dump_settings(self, value: LendingSettings) -> dict[str, Any]:
        # written without the seed, which comes from run.seed: a written configuration
        # validates again
        return value.model_dump(mode="json", exclude={"seed"})

    @model_validator(mode="after")
    def _unique(self) -> LendingSpec:
        labels = [p.label for p in self.pairs]
        dup = sorted({x for x in labels if labels.count(x) > 1})
        if dup:
            raise problem(f"pairs: duplicate pair label(s) {dup}; give each a distinct name")
        return self


def lending_config_problems(raw: Any, assets: list[str]) -> list[Problem]:
    """Pairs of a raw ``lending`` section whose collateral is not one of ``assets``.

    Located from the top of the configuration (``lending.pairs[i].collateral``), for the
    configuration's checks across sections.
    """
    pairs = raw.get("pairs") if isinstance(raw, Mapping) else None
    if not isinstance(pairs, list):
        return []
    out: list[Problem] = []
    for i, pair in enumerate(pairs):
        c = pair.get("collateral") if isinstance(pair, Mapping) else None
        if isinstance(c, str) and c.strip() and c.strip().upper() not in assets:
            out.append(
                (
                    ("lending", "pairs", i, "collateral"),
                    f"{c!r} is not one of the assets calibrated ({', '.join(assets) or 'none'}); "
                    "add it to assets or remove the pair",
                )
            )
    return out


def _daily_bars(ohlcv: pd.DataFrame) -> pd.DataFrame:
    """Daily bars of ``ohlcv`` (intraday bars aggregated into complete UTC days)."""
    from riskkit.bars import infer_interval
    from riskkit.exceptions import DataQualityWarning
    from riskkit.returns import resample_ohlcv

    step = infer_interval(ohlcv.index) if isinstance(ohlcv.index, pd.DatetimeIndex) else None
    if step is None or step >= pd.Timedelta(days=1):
        return ohlcv
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DataQualityWarning)  # incomplete days: left out
        return resample_ohlcv(ohlcv, "1D", min_bars="complete")


def lending_parameter_sets(
    spec: LendingSpec | Mapping[str, Any],
    assets: Mapping[str, Mapping[str, Any]],
    data: Mapping[str, pd.DataFrame],
    seed: int | None = None,
) -> dict[str, dict[str, Any]]:
    """The ``lending_parameter_sets`` section of a parameter file: one proposal per pair.

    Parameters
    ----------
    spec : LendingSpec or mapping
        The ``lending`` configuration section.
    assets : mapping
        The parameter file's ``assets`` (each collateral's calibrated ``adv_usd``).
    data : mapping of str to DataFrame
        OHLCV bars of the run per asset, ending at the run's last date (intraday bars are
        aggregated into complete UTC days).
    seed : int, optional
        Seed of the price paths and the loan book (the run's seed); default
        ``spec.settings.seed``.

    Returns
    -------
    dict
        ``{pair label: {"collateral", "debt", **LendingProposal.to_parameter_set()}}``.

    Raises
    ------
    ConfigError
        A collateral that was not calibrated, or a search no parameter meets (the key to
        change is named).
    DataError
        A collateral without data or without traded volume (set ``adv_usd``).
    """
    from riskkit.defi.lending import propose_parameters
    from riskkit.margin._common import log_returns_from_ohlcv

    sp = spec if isinstance(spec, LendingSpec) else LendingSpec.model_validate(spec)
    settings = sp.settings if seed is None else sp.settings.replace(seed=int(seed))
    out: dict[str, dict[str, Any]] = {}
    for i, pair in enumerate(sp.pairs):
        key, c = f"lending.pairs[{i}]", pair.collateral
        if c not in assets:
            raise ConfigError(
                f"{key}.collateral: {c!r} was not calibrated in this run (calibrated: "
                f"{', '.join(assets) or 'none'})"
            )
        if data.get(c) is None:
            raise DataError(f"{key}.collateral: no price data of {c!r} in this run")
        bars = _daily_bars(data[c])
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # gaps: the returns across them are left out
            returns = log_returns_from_ohlcv(bars, c).dropna()
        adv = pair.adv_usd if pair.adv_usd is not None else assets[c].get("adv_usd")
        if adv is None or not adv > 0:
            raise DataError(
                f"{key}: {c} has no average daily traded value (adv_usd) in the parameter "
                f"file (no volume?); set {key}.adv_usd"
            )
        supply = pair.supply_usd if pair.supply_usd is not None else sp.supply_to_adv * adv
        try:
            proposal = propose_parameters(
                pair.label,
                returns,
                pair.current,
                float(adv),
                float(supply),
                float(bars["close"].iloc[-1]),
                settings,
                sp.limits,
            )
        except (ConfigError, DataError) as exc:
            raise type(exc)(f"{key} ({pair.label}): {exc}") from None
        out[pair.label] = {"collateral": c, "debt": pair.debt, **proposal.to_parameter_set()}
    return out


_RATES = ("ltv", "liquidationThreshold", "liquidationBonus")
_CAPS = ("supplyCap", "borrowCap")


def lending_table(section: Mapping[str, Any]) -> pd.DataFrame:
    """A compact view of a ``lending_parameter_sets`` section: one row per pair and stage.

    Parameters
    ----------
    section : mapping
        ``parameter_file["lending_parameter_sets"]``.

    Returns
    -------
    DataFrame
        Index (pair, stage) with stages ``current``, ``first step``, ``proposed`` and
        ``steward steps``; columns the Aave fields (rates in basis points, caps in whole
        tokens; the updates each field needs on the ``steward steps`` row), the bad-debt VaR
        and extreme VaR in USD (current and proposed rows) and what bound the proposal.
    """
    rows = {}
    for label, p in section.items():
        bd = p.get("bad_debt") or {}
        for stage, key in (
            ("current", "current"),
            ("first step", "first_step"),
            ("proposed", "proposed"),
            ("steward steps", "steward_steps"),
        ):
            row: dict[str, Any] = {f: p[key].get(f) for f in (*_RATES, *_CAPS)}
            figures = bd.get(key) or {}
            row["bad_debt_var_usd"] = figures.get("var_usd")
            row["bad_debt_extreme_var_usd"] = figures.get("extreme_var_usd")
            row["bound_by"] = (
                f"LT: {p['liquidation_threshold_binding']}; cap: {p['supply_cap_binding']}"
                if key == "proposed"
                else None
            )
            rows[(label, stage)] = row
    out = pd.DataFrame.from_dict(rows, orient="index")
    out.index = pd.MultiIndex.from_tuples(list(rows), names=["pair", "stage"])
    return out


def _stage_problems(at: str, r: Mapping[str, Any]) -> list[str]:
    out = []
    if r["ltv"] > r["liquidationThreshold"]:
        out.append(f"{at}.ltv: {r['ltv']} exceeds liquidationThreshold {r['liquidationThreshold']}")
    if r["liquidationThreshold"] * r["liquidationBonus"] > BP * BP:
        out.append(
            f"{at}.liquidationBonus: liquidationThreshold x liquidationBonus = "
            f"{r['liquidationThreshold'] * r['liquidationBonus'] / BP**2:.4f} exceeds 100% (Aave "
            "v3 PoolConfigurator rejects it)"
        )
    return out


def lending_set_problems(
    section: Mapping[str, Any], where: str = "lending_parameter_sets"
) -> list[str]:
    """Rules of the ``lending_parameter_sets`` section a JSON Schema cannot express.

    For each pair: ``ltv <= liquidationThreshold`` and ``liquidationThreshold x
    liquidationBonus <= 100%`` at the current, first-step and proposed values (Aave v3
    ``PoolConfigurator.configureReserveAsCollateral``); the first step within the recorded
    ``steward_limits`` of the current values (rates in basis points; caps relative, to one
    token of rounding); each rate's ``steward_steps`` at least the updates its change needs
    (:func:`riskkit.defi.steps_needed`), ``steward_updates`` the largest of them, and a
    first step equal to the proposal when one update suffices; VaR at most extreme VaR.

    Returns
    -------
    list of str
        One message per violation with its JSON path; empty when sound (a mistyped field is
        left to the schema's messages).
    """
    from riskkit.defi.steward import steps_needed

    out: list[str] = []
    for label, p in section.items():
        at = f"{where}[{label!r}]"
        try:
            cur, first, prop = p["current"], p["first_step"], p["proposed"]
            lim, steps = p["steward_limits"], p["steward_steps"]
            for stage in ("current", "first_step", "proposed"):
                out.extend(_stage_problems(f"{at}.{stage}", p[stage]))
            for f in _RATES:
                if abs(first[f] - cur[f]) > lim[f]:
                    out.append(
                        f"{at}.first_step.{f}: moves {first[f] - cur[f]:+g} bp from current "
                        f"{cur[f]}, beyond the steward limit of {lim[f]} bp"
                    )
                need = steps_needed(cur[f] / BP, prop[f] / BP, lim[f] / BP)
                if steps[f] < need:
                    out.append(
                        f"{at}.steward_steps.{f}: {steps[f]} update(s) cannot move {cur[f]} to "
                        f"{prop[f]} by at most {lim[f]} bp each (needs {need})"
                    )
            for f in _CAPS:
                a, b = cur[f], first[f]
                if a is not None and b is not None and abs(b - a) > a * lim[f] + 1:
                    out.append(
                        f"{at}.first_step.{f}: moves from {a} to {b} tokens, beyond the "
                        f"steward limit of {lim[f]:g} x the current cap"
                    )
            if p["steward_updates"] != max(steps.values()):
                out.append(
                    f"{at}.steward_updates: {p['steward_updates']} is not the largest of "
                    f"steward_steps ({max(steps.values())})"
                )
            if p["steward_updates"] <= 1 and any(first[f] != prop[f] for f in _RATES):
                out.append(f"{at}.first_step: differs from proposed although one update suffices")
            for stage, bd in p["bad_debt"].items():
                if bd["var_usd"] > bd["extreme_var_usd"] * (1 + 1e-12):
                    out.append(
                        f"{at}.bad_debt.{stage}.var_usd: {bd['var_usd']:g} exceeds "
                        f"extreme_var_usd {bd['extreme_var_usd']:g}"
                    )
        except (KeyError, TypeError, ValueError, AttributeError):
            continue  # a missing or mistyped field: the schema errors name it
    return out
