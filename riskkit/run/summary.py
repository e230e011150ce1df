"""The executive summary of a calibration run: what is published, how it differs from last time and
why, and whether the run itself succeeded.

:func:`summarize_run` reads a :class:`~riskkit.run.RunRecord` (and the previously published
parameter file) into a :class:`RunSummary`; its ``*_view`` methods give the tables of the
committee report, every number written by :mod:`riskkit.display`. The report notebook (08)
only calls these.

The previous parameter file is, in order: ``compare_with`` (a parameter file or a run directory,
from ``report.compare_with`` or ``riskkit report --compare-with``); otherwise the latest earlier
run in the same output directory whose every asset was calibrated (the runs whose file was
published to ``output.latest``). The *driver* of a change is each recorded input that differs
between the two files (data window, data source, model, margin settings, MM settings, APC,
tiers, haircut, penalty and insurance settings, seed, riskkit version), read from the parameter files' settings,
per-asset records and provenance; a change no recorded input explains is said to be so.
"""

from __future__ import annotations

import datetime as _dt
import json
import os
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from riskkit import display
from riskkit.exceptions import ConfigError
from riskkit.run.outputs import PARAMETER_FILE

__all__ = [
    "RunSummary",
    "Comparison",
    "summarize_run",
    "find_previous_run",
    "compare_parameter_files",
    "change_drivers",
    "extra_parameter_sets",
    "DEFINITIONS",
    "PARAMETER_LABELS",
]

#: stages of a run that come after the parameter file (the report reads run.json before them)
_AFTER_PARAMETERS = ("report", "notebooks")

#: the published parameters compared between two files, with their label and kind
PARAMETER_LABELS: dict[str, tuple[str, str]] = {
    "im_rate": ("initial margin (IM)", "pct"),
    "mm_rate": ("maintenance margin (MM)", "pct"),
    "max_leverage": ("maximum leverage", "leverage"),
    "raw_im_rate": ("model margin before APC", "pct"),
    "collateral_haircut": ("collateral haircut", "pct"),
    "liquidation_penalty": ("liquidation penalty", "pct"),
    "insurance_fund_fraction": ("insurance fund", "pct"),
}

#: driver categories that can move each published parameter: those of every number computed
#: from the data...
_DATA_DRIVERS = ("data window", "data", "model", "seed", "version")
#: ... and the settings of the IM and of its APC, which every margin derived from it follows
_IM_DRIVERS = (*_DATA_DRIVERS, "margin settings", "APC")
_RELEVANT: dict[str, tuple[str, ...]] = {
    "im_rate": _IM_DRIVERS,
    # the MM settings (margin.mm_ratio, mm_level...) move the MM, never the IM or the leverage
    "mm_rate": (*_IM_DRIVERS, "MM settings"),
    "max_leverage": _IM_DRIVERS,
    "raw_im_rate": (*_DATA_DRIVERS, "margin settings"),
    "collateral_haircut": (*_DATA_DRIVERS, "haircut"),
    # the penalty and the fund are bounded by / computed from the margins in force
    "liquidation_penalty": (*_IM_DRIVERS, "MM settings", "penalty", "tier"),
    "insurance_fund_fraction": (*_IM_DRIVERS, "MM settings", "insurance"),
    "tiers": (*_IM_DRIVERS, "MM settings", "tier"),
}

#: every term of the report, defined once (the report's definitions section)
DEFINITIONS: dict[str, str] = {
    "VaR (Value-at-Risk)": "the loss that a position exceeds with probability 1 - level over "
    "the horizon (at 99%, one period in a hundred on average).",
    "ES (Expected Shortfall)": "the average loss beyond the VaR at the same level; the risk "
    "measure of the margin unless margin.measure says var.",
    "initial margin (IM)": "collateral required to open a position, as a fraction of its "
    "notional; here the Expected Shortfall (or VaR) of the loss over the margin period of risk, "
    "after the anti-procyclicality tool, rounded up to the venue's step.",
    "maintenance margin (MM)": "collateral below which a position is liquidated, as a fraction "
    "of notional (a ratio of the IM, or its own risk measure).",
    "maximum leverage": "1 / IM, rounded down: the largest notional per unit of collateral.",
    "model margin before APC": "the risk measure on the publication date before the "
    "anti-procyclicality tool and the rounding.",
    "APC (anti-procyclicality)": "a rule that keeps margins from rising sharply in stress "
    "(EMIR RTS 153/2013 Art. 28): a buffer added in calm times and released when margins "
    "jump, a floor from a long look-back, or a weight on a stressed period.",
    "APC state": "how the tool acts on the publication date: held (the charged margin is above "
    "the model margin by the given add-on) or not binding (charged = model margin).",
    "position tiers": "notional brackets with their own IM, MM and leverage: larger positions "
    "take longer to liquidate, so they carry higher rates; the maintenance amount keeps the MM "
    "continuous at each bracket boundary.",
    "collateral haircut": "the cut applied to the asset when it is posted as collateral.",
    "liquidation penalty": "the fee charged on a liquidated position, sized to cover the cost of "
    "closing it.",
    "insurance fund": "the fund, as a fraction of open interest, that covers losses beyond a "
    "liquidated account's collateral at the stated confidence.",
    "margin period of risk": "the time assumed between a member's last margin payment and the "
    "close-out of its position (EMIR RTS 153/2013 Art. 26).",
    "failure / breach": "a day whose realised loss exceeds the VaR forecast (backtest) or the "
    "margin in force at the start of the margin period (coverage).",
    "traffic light": "the Basel Committee (1996) zones of the number k of failures in n "
    "forecasts: green while P(X <= k) < 95%, yellow while P(X <= k) < 99.99%, red beyond, "
    "with X ~ Binomial(n, 1 - level) the failures of a correct model.",
    "accept / reject": "the result of a statistical test at its level (5% unless stated): "
    "reject means the data are unlikely under a correct model, in either direction; a coverage "
    "test rejects with too few breaches as well as too many, while the traffic light only "
    "looks at too many, so 'reject' next to 'green' means a margin more conservative than its "
    "level.",
    "volatility regime": "the day's volatility forecast against its quantiles over the "
    "backtest (margin.regime_quantiles): regime 0 below the first quantile, regime 1 between "
    "the first and the second, and so on; the highest regime holds the most volatile days.",
    "stress shortfall": "the loss of a scenario minus the margin posted before it, as a "
    "fraction of notional; positive when the margin would not have covered it.",
    "model failure": "a raw margin that is not finite or above the sanity bound "
    "(margin.model_failure_bound); it is never published: the last good margin is charged.",
    "pp (percentage points)": "the difference of two rates: 30.0% to 31.5% is +1.5 pp.",
    "partial bar": "a bar that does not cover its whole interval (the first or last of a file, "
    "or one with missing sub-bars); data.partial_bars decides whether it is dropped.",
}


# --------------------------------------------------------------------------------------------
# results


@dataclass
class Comparison:
    """The published parameters against the previous parameter file.

    Attributes
    ----------
    previous : pathlib.Path or None
        The previous parameter file; None when there is nothing to compare with.
    previous_run : pathlib.Path or None
        Its run directory, when it is one.
    how : str
        How the previous file was chosen, or why there is none (a sentence).
    changes : DataFrame
        One row per asset and parameter: ``asset``, ``parameter``, ``kind``, ``previous``,
        ``current``, ``change`` (current - previous, for numbers), ``changed`` (bool),
        ``driver`` (the inputs that moved, "; "-separated; "unchanged"; or "no recorded input
        differs").
    drivers : DataFrame
        Every recorded input that differs: ``asset`` ("all" for run-wide ones), ``driver``
        (category), ``item``, ``previous``, ``current``.
    """

    previous: Path | None
    previous_run: Path | None
    how: str
    changes: pd.DataFrame
    drivers: pd.DataFrame

    @property
    def available(self) -> bool:
        """True when a previous parameter file was compared."""
        return self.previous is not None


@dataclass
class RunSummary:
    """The executive summary of one run (see :func:`summarize_run`).

    Attributes
    ----------
    run_dir : pathlib.Path
    ok : bool
        Every asset and stage succeeded.
    status : str
        One paragraph: what was published, or plainly what failed.
    failures : DataFrame
        ``what`` (asset or stage), ``stage``, ``reason``; empty for a clean run.
    parameters : DataFrame
        One row per calibrated asset: ``as_of``, ``im_rate``, ``mm_rate``, ``max_leverage``,
        ``tier1_cap``, ``n_tiers``, ``collateral_haircut``, ``liquidation_penalty``,
        ``insurance_fund_fraction``, ``apc``, ``apc_state`` (numbers as fractions).
    tiers : dict
        ``{asset: DataFrame}`` of the tier tables of the parameter file.
    extra : dict
        ``{name: DataFrame}``: every further parameter set of the file (keys ending in
        ``parameter_sets``, e.g. ``venue_parameter_sets``), flattened, shown as they come.
    comparison : Comparison
    checks : DataFrame
        The sign-off checklist (:meth:`riskkit.run.RunRecord.signoff_checks`).
    timing : dict
        ``{"to parameters": seconds, "stages": {stage: seconds}}`` from ``run.json``.
    """

    run_dir: Path
    ok: bool
    status: str
    failures: pd.DataFrame
    parameters: pd.DataFrame
    tiers: dict[str, pd.DataFrame]
    extra: dict[str, pd.DataFrame]
    comparison: Comparison
    checks: pd.DataFrame
    timing: dict[str, Any] = field(default_factory=dict)

    @property
    def verdict(self) -> str:
        """One sentence: the run's status and the checklist's result."""
        if not self.ok and self.parameters.empty:
            return "The run FAILED: no parameter file to sign off."
        failed = self.checks.loc[~self.checks["passed"].astype(bool), "check"].tolist()
        head = "" if self.ok else "The run had failures (see above). "
        if not failed:
            return head + f"All {len(self.checks)} sign-off checks passed."
        return head + (
            f"{len(failed)} of {len(self.checks)} sign-off checks FAILED: {'; '.join(failed)}."
        )

    def summary(self) -> str:
        """Plain-text summary (status, parameters, changes, checks)."""
        parts = [self.status, "", repr(self.parameters_view())]
        parts += ["", self.comparison.how]
        if self.comparison.available:
            parts.append(repr(self.changes_view()))
        parts += ["", repr(self.checks_view()), "", self.verdict]
        return "\n".join(parts)

    # -- views: the tables of the report, formatted by riskkit.display ----------------------

    def parameters_view(self) -> display.Table:
        """The parameter table per asset (rates in percent, leverage as a multiple)."""
        cols = {
            "as_of": ("as of", "date"),
            "im_rate": ("IM", "rate"),
            "mm_rate": ("MM", "rate"),
            "max_leverage": ("max leverage", "leverage"),
            "tier1_cap": ("tier 1 up to (USD)", "amount"),
            "n_tiers": ("tiers", "number"),
            "collateral_haircut": ("haircut", "rate"),
            "liquidation_penalty": ("penalty", "rate"),
            "insurance_fund_fraction": ("insurance fund", "rate"),
            "apc_state": ("APC state", "text"),
        }
        frame = self.parameters.reindex(columns=list(cols))
        return display.table(
            frame,
            {k: v[1] for k, v in cols.items()},
            caption="Parameters to publish (fractions of notional, shown in percent)",
            columns={k: v[0] for k, v in cols.items()},
        )

    def tiers_view(self, asset: str) -> display.Table:
        """The tier table of ``asset`` (notional in USD with separators)."""
        frame = self.tiers[asset]
        cols = {
            "tier": ("tier", "number"),
            "notional_floor": ("from (USD)", "amount"),
            "notional_cap": ("up to (USD)", "amount"),
            "im_rate": ("IM", "rate"),
            "mm_rate": ("MM", "rate"),
            "max_leverage": ("max leverage", "leverage"),
            "maintenance_amount": ("maintenance amount (USD)", "amount2"),
        }
        frame = frame.reindex(columns=[c for c in cols if c in frame.columns])
        return display.table(
            frame,
            {k: v[1] for k, v in cols.items()},
            caption=f"{asset}: position tiers",
            index=False,
            columns={k: v[0] for k, v in cols.items()},
        )

    def changes_view(self, only_changed: bool = False) -> display.Table:
        """The change table: previous, current, change and its driver, per asset and parameter."""
        ch = self.comparison.changes
        if only_changed:
            ch = ch[ch["changed"]]
        rows = []
        for r in ch.itertuples():
            # rates to their last digit, as the parameter files hold them
            fmt = {"text": lambda v: v, "pct": display.rate}.get(
                r.kind, getattr(display, r.kind, display.text)
            )
            if r.kind == "text" or display._missing(r.change):
                change = ""
            elif r.kind == "pct":
                change = display.rate_change(r.change)
            elif r.kind == "leverage":
                change = f"{r.change:+g}x"
            else:
                change = display.number(r.change)
            if not r.changed:
                change = "unchanged"
            rows.append(
                {
                    "asset": r.asset,
                    "parameter": r.parameter,
                    "previous": display.text(fmt(r.previous)),
                    "now": display.text(fmt(r.current)),
                    "change": change,
                    "driver": r.driver,
                }
            )
        frame = pd.DataFrame(rows, columns=["asset", "parameter", "previous", "now", "change"])
        if rows:
            frame["driver"] = [r["driver"] for r in rows]
        return display.table(
            frame, caption="Change against the previous parameter file", index=False
        )

    def drivers_view(self) -> display.Table:
        """Every recorded input that differs between the two files."""
        return display.table(
            self.comparison.drivers, caption="Inputs that differ (the drivers)", index=False
        )

    def checks_view(self) -> display.Table:
        """The sign-off checklist: check, PASS/FAIL, evidence."""
        frame = self.checks.copy()
        frame["result"] = ["PASS" if p else "FAIL" for p in frame["passed"].astype(bool)]
        frame = frame[["check", "result", "evidence"]]
        return display.table(frame, caption="Sign-off checklist", index=False)

    def failures_view(self) -> display.Table:
        """What failed, with the stage and the reason in full."""
        return display.table(self.failures, caption="What failed", index=False)

    def timing_view(self) -> display.Table:
        """Wall time of each stage up to the report, and in total."""
        stages = dict(self.timing.get("stages") or {})
        frame = pd.DataFrame({"stage": list(stages), "seconds": list(stages.values())})
        return display.table(
            frame, {"seconds": "duration"}, caption="Time of each stage", index=False
        )


# --------------------------------------------------------------------------------------------
# building blocks


def _apc_state(p: Mapping[str, Any], margin_path: pd.DataFrame | None) -> str:
    method = (p.get("apc") or {}).get("method") or "none"
    if method == "none":
        return "none"
    raw = charged = None
    if margin_path is not None and {"raw_im", "charged_im"} <= set(margin_path.columns):
        last = margin_path.dropna(subset=["raw_im", "charged_im"])
        if len(last):
            raw, charged = float(last["raw_im"].iloc[-1]), float(last["charged_im"].iloc[-1])
    if raw is None and p.get("raw_im_rate") and p.get("im_rate"):
        raw, charged = float(p["raw_im_rate"]), float(p["im_rate"])
    if raw is None or raw <= 0:
        return f"{method}: state not recorded"
    add_on = charged / raw - 1.0
    if add_on > 1e-6:
        return f"{method}: held, +{display.pct(add_on)} on the model margin"
    if add_on < -1e-6:
        return f"{method}: below the model margin by {display.pct(-add_on)} (capped)"
    return f"{method}: not binding (charged = model margin)"


def parameter_overview(record: Any) -> pd.DataFrame:
    """One row per asset of a run: the published numbers, the tier table's size and the APC
    state.

    Parameters
    ----------
    record : RunRecord
        The run (its parameter file and, for the APC state, the last row of each asset's
        ``margin_path`` table; without it, ``raw_im_rate`` and ``im_rate`` of the file, which
        include the rounding).

    Returns
    -------
    DataFrame
        :meth:`riskkit.run.RunRecord.parameter_table` with ``tier1_cap`` (notional cap of
        tier 1), ``n_tiers``, ``apc`` and ``apc_state``; empty without a parameter file.
    """
    frame = record.parameter_table()
    if frame.empty:
        return frame
    assets = record.parameters["assets"]
    tiers = {a: assets[a].get("tiers") or [] for a in frame.index}
    frame["tier1_cap"] = [t[0].get("notional_cap") if t else None for t in tiers.values()]
    frame["n_tiers"] = frame["tiers"]
    frame["apc"] = [(assets[a].get("apc") or {}).get("method") for a in frame.index]
    frame["apc_state"] = [
        _apc_state(assets[a], (record.tables.get(a) or {}).get("margin_path")) for a in frame.index
    ]
    return frame


#: top-level sections of a parameter file shown as extra parameter sets (besides any key ending
#: in ``parameter_sets``), with the names of their nesting levels
EXTRA_SECTIONS: dict[str, tuple[str, ...]] = {
    "venue_parameter_sets": ("venue", "asset"),
    "perpetual": ("asset",),
}


def _bps(value: Any, offset: int = 0) -> str:
    """Basis points as a percentage, exactly: ``_bps(7825) == "78.25%"``; bonus fields carry
    the repaid 100% (``_bps(10500, 10000) == "5%"``)."""
    if value is None:
        return "not set"
    return f"{(value - offset) / 100:g}%"


def lending_view(section: Mapping[str, Any]) -> pd.DataFrame:
    """The ``lending_parameter_sets`` section as a committee reads it.

    One row per pair and parameter: the current on-chain value, the first Risk Steward
    update, the proposal, and how many updates (and days at least) the change needs; rates
    as percentages (the file holds Aave's basis points), caps in whole tokens with their USD
    value, then the 24-hour bad-debt VaR and extreme VaR at the current and proposed values
    and what bound the proposal.
    """
    rows = []
    for pair, p in section.items():
        limits = p.get("steward_limits") or {}
        days = limits.get("days_between_updates")
        for name, label, offset in (
            ("ltv", "loan-to-value (LTV)", 0),
            ("liquidationThreshold", "liquidation threshold", 0),
            ("liquidationBonus", "liquidation bonus", 10_000),
        ):
            steps = (p.get("steward_steps") or {}).get(name)
            rows.append(
                {
                    "pair": pair,
                    "parameter": label,
                    "current": _bps(p["current"].get(name), offset),
                    "first update": _bps(p["first_step"].get(name), offset),
                    "proposed": _bps(p["proposed"].get(name), offset),
                    "updates needed": (
                        "n/a"
                        if steps is None
                        else f"{steps} (at least {(steps - 1) * days:g} days)"
                        if steps and days
                        else str(steps)
                    ),
                }
            )
        token = {"supplyCap": p.get("collateral", ""), "borrowCap": p.get("debt", "")}
        for name, label, usd in (
            ("supplyCap", "supply cap", p.get("proposed_supply_cap_usd")),
            ("borrowCap", "borrow cap", p.get("proposed_borrow_cap_usd")),
        ):
            proposed = p["proposed"].get(name)
            rows.append(
                {
                    "pair": pair,
                    "parameter": f"{label} ({token[name]})",
                    "current": display.amount(p["current"].get(name))
                    if p["current"].get(name) is not None
                    else "not set",
                    "first update": "",
                    "proposed": "not binding"
                    if proposed is None
                    else f"{display.amount(proposed)} ({display.amount(usd)} USD)",
                    "updates needed": "",
                }
            )
        bad = p.get("bad_debt") or {}
        for key, label in (
            ("var", "24-hour bad debt, 95% VaR"),
            ("extreme_var", "24-hour bad debt, 99% extreme VaR"),
        ):
            rows.append(
                {
                    "pair": pair,
                    "parameter": f"{label}, USD (fraction of debt)",
                    "current": _bad_debt(bad.get("current"), key),
                    "first update": "",
                    "proposed": _bad_debt(bad.get("proposed"), key),
                    "updates needed": "",
                }
            )
        rows.append(
            {
                "pair": pair,
                "parameter": "what bound the proposal",
                "current": "",
                "first update": "",
                "proposed": f"threshold: {p.get('liquidation_threshold_binding')}; "
                f"supply cap: {p.get('supply_cap_binding')}",
                "updates needed": "",
            }
        )
    return pd.DataFrame(rows)


def _bad_debt(figures: Mapping[str, Any] | None, key: str) -> str:
    if not figures:
        return "n/a"
    return (
        f"{display.amount(figures.get(f'{key}_usd'))} "
        f"({display.pct(figures.get(f'{key}_fraction'), 2)})"
    )


#: sections of the parameter file with a layout of their own in the report
SECTION_VIEWS = {"lending_parameter_sets": lending_view}


def _rows(value: Any, path: tuple[str, ...]) -> list[dict[str, Any]]:
    """Flatten nested mappings into rows: the keys on the way down become ``path`` columns, a
    mapping of scalars one row, a list of mappings one row per element."""
    if isinstance(value, Mapping):
        scalars = {k: v for k, v in value.items() if not isinstance(v, (Mapping, list))}
        scalars |= {
            k: ", ".join(map(str, v))
            for k, v in value.items()
            if isinstance(v, list) and not any(isinstance(x, (Mapping, list)) for x in v)
        }
        nested = {k: v for k, v in value.items() if k not in scalars}
        if not nested:
            return [{"_path": path, **scalars}]
        rows = []
        for k, v in nested.items():
            for row in _rows(v, (*path, str(k))):
                rows.append({**scalars, **row} if scalars and isinstance(v, list) else row)
        if scalars and not any(isinstance(v, list) for v in nested.values()):
            rows.insert(0, {"_path": path, **scalars})
        return rows
    if isinstance(value, list):
        return [r for item in value for r in _rows(item, path)]
    return [{"_path": path, "value": value}]


def extra_parameter_sets(params: Mapping[str, Any] | None) -> dict[str, pd.DataFrame]:
    """Further parameter sets of a parameter file, whatever their layout.

    The sections of :data:`EXTRA_SECTIONS` (schema 1.3: ``venue_parameter_sets``,
    ``perpetual``) and any other key ending in ``parameter_sets``, at the top of the file or
    inside an asset, are flattened into tables, so sets added by later versions appear in the
    report without changing it. A section keyed by venue gets one table per venue (each venue
    has its own field names); a list of records (brackets, tiers) gives one row per record.

    Returns
    -------
    dict
        ``{title: DataFrame}``, e.g. ``{"venue parameter sets: binance": ...}``.
    """
    out: dict[str, list[pd.DataFrame]] = {}

    def add(title: str, value: Any, levels: tuple[str, ...]) -> None:
        rows = _rows(value, ())
        frame = pd.DataFrame([{k: v for k, v in r.items() if k != "_path"} for r in rows])
        depth = max((len(r["_path"]) for r in rows), default=0)
        for d in range(depth):
            extra = d - len(levels)  # a level without a name: the file's own field
            name = levels[d] if extra < 0 else ("field" if extra == 0 else f"field {extra + 1}")
            frame.insert(d, name, [r["_path"][d] if d < len(r["_path"]) else "" for r in rows])
        out.setdefault(title, []).append(frame)

    for key, value in (params or {}).items():
        key = str(key)
        if not value or not (key in EXTRA_SECTIONS or key.endswith("parameter_sets")):
            continue
        levels = EXTRA_SECTIONS.get(key, ())
        title = key.replace("_", " ")
        if key in SECTION_VIEWS and isinstance(value, Mapping):
            out.setdefault(title, []).append(SECTION_VIEWS[key](value))
            continue
        if levels and levels[0] == "venue" and isinstance(value, Mapping):
            for venue, sets in value.items():
                add(f"{title}: {venue}", sets, levels[1:])
        else:
            add(title, value, levels)
    for asset, p in ((params or {}).get("assets") or {}).items():
        for key, value in p.items():
            if str(key).endswith("parameter_sets") and value:
                frame_title = str(key).replace("_", " ")
                add(frame_title, {asset: value}, ("asset",))
    return {k: pd.concat(v, ignore_index=True) for k, v in out.items()}


def _started(run_dir: Path) -> _dt.datetime | None:
    try:
        manifest = json.loads((run_dir / "run.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return _parse_started(manifest.get("started"))


def _parse_started(value: Any) -> _dt.datetime | None:
    """run.json's ``started`` (ISO 8601, UTC; whole seconds before riskkit 0.2) as a datetime."""
    try:
        started = _dt.datetime.fromisoformat(str(value))
    except ValueError:
        return None
    return started if started.tzinfo is not None else started.replace(tzinfo=_dt.UTC)


def find_previous_run(run_dir: str | os.PathLike[str]) -> Path | None:
    """The latest run before ``run_dir`` in the same output directory that published its file.

    A run *published* its parameter file when every asset was calibrated (``run.json`` has
    ``"ok": true``; only then is ``output.latest`` replaced) and the file exists.

    Returns
    -------
    pathlib.Path or None
        That run's directory; None on a first run.
    """
    run_dir = Path(run_dir).resolve()
    mine = _started(run_dir)
    best: tuple[_dt.datetime, str, Path] | None = None
    for other in run_dir.parent.iterdir():
        if other.resolve() == run_dir or not (other / PARAMETER_FILE).is_file():
            continue
        try:
            manifest = json.loads((other / "run.json").read_text(encoding="utf-8"))
        except (OSError, ValueError):
            continue
        started = _parse_started(manifest.get("started"))
        if not manifest.get("ok") or started is None or (mine is not None and started >= mine):
            continue
        key = (started, other.name, other)
        if best is None or key[:2] > best[:2]:
            best = key
    return None if best is None else best[2]


def _resolve_previous(
    run_dir: Path, compare_with: str | os.PathLike[str] | None
) -> tuple[Path | None, Path | None, str]:
    if compare_with:
        path = Path(compare_with).expanduser()
        if path.is_dir():
            if not (path / PARAMETER_FILE).is_file():
                raise ConfigError(
                    f"report.compare_with {path}: no {PARAMETER_FILE} in this directory; give a "
                    "parameter file or a run directory that has one"
                )
            return (
                path / PARAMETER_FILE,
                path,
                f"Compared with the run {path} (report.compare_with).",
            )
        if not path.is_file():
            raise ConfigError(
                f"report.compare_with {path}: no such file or directory; give a parameter file "
                "or a run directory"
            )
        run = path.parent if (path.parent / "run.json").is_file() else None
        return path, run, f"Compared with {path} (report.compare_with)."
    prev = find_previous_run(run_dir)
    if prev is None:
        return (
            None,
            None,
            f"First run in {run_dir.parent}: no earlier run there published a parameter file, "
            "so there is nothing to compare with (set report.compare_with to a parameter file "
            "to compare with one).",
        )
    return (
        prev / PARAMETER_FILE,
        prev,
        f"Compared with the previous published run in the same directory, {prev.name}.",
    )


def _flatten(data: Any, prefix: str = "") -> dict[str, Any]:
    if isinstance(data, Mapping):
        out: dict[str, Any] = {}
        for k, v in data.items():
            out.update(_flatten(v, f"{prefix}.{k}" if prefix else str(k)))
        return out
    if isinstance(data, list) and any(isinstance(v, (Mapping, list)) for v in data):
        return {prefix: json.dumps(data, sort_keys=True)}
    return {prefix: data}


def _diff(a: Mapping[str, Any], b: Mapping[str, Any]) -> list[tuple[str, Any, Any]]:
    fa, fb = _flatten(a), _flatten(b)
    return [(k, fa.get(k), fb.get(k)) for k in sorted(set(fa) | set(fb)) if fa.get(k) != fb.get(k)]


def _settings_category(key: str) -> str:
    if key.startswith("mm_"):
        return "MM settings"
    if key.startswith("apc") or key.startswith("max_daily"):
        return "APC"
    if key in ("tier_boundaries", "adv_window", "participation", "impact_k", "amount_precision"):
        return "tier"
    if key.startswith("haircut"):
        return "haircut"
    if key.startswith("penalty") or key == "liquidation_hours":
        return "penalty"
    if key.startswith("insurance"):
        return "insurance"
    if key in ("window", "refit_every"):
        return "model"
    return "margin settings"


def _window(p: Mapping[str, Any]) -> str:
    d = p.get("data") or {}
    n = d.get("n_returns")
    return f"{display.date(d.get('first_date'))} to {display.date(d.get('last_date'))}" + (
        "" if n is None else f" ({display.amount(n)} returns)"
    )


def change_drivers(current: Mapping[str, Any], previous: Mapping[str, Any]) -> pd.DataFrame:
    """Every recorded input that differs between two parameter files.

    Parameters
    ----------
    current, previous : mapping
        Parameter files as parsed from JSON.

    Returns
    -------
    DataFrame
        ``asset`` ("all" for run-wide inputs), ``driver`` (``data window``, ``data``,
        ``model``, ``margin settings``, ``MM settings``, ``APC``, ``tier``, ``haircut``,
        ``penalty``, ``insurance``, ``seed``, ``version``), ``item``, ``previous``,
        ``current``.
    """
    rows: list[dict[str, Any]] = []

    def add(asset: str, driver: str, item: str, before: Any, after: Any) -> None:
        rows.append(
            {
                "asset": asset,
                "driver": driver,
                "item": item,
                "previous": "not set" if before is None else display.text(before),
                "current": "not set" if after is None else display.text(after),
            }
        )

    for key, a, b in _diff(previous.get("settings") or {}, current.get("settings") or {}):
        add("all", _settings_category(key.split(".")[0]), f"margin.{key}", a, b)
    pc = (previous.get("provenance") or {}).get("data") or {}
    cc = (current.get("provenance") or {}).get("data") or {}
    pconf, cconf = pc.get("config") or {}, cc.get("config") or {}
    for section, driver in (("model", "model"), ("backtest", "model"), ("data", "data")):
        for key, a, b in _diff(pconf.get(section) or {}, cconf.get(section) or {}):
            # data.start and data.end set the window: one driver with the asset's dates
            window = section == "data" and key in ("start", "end")
            add("all", "data window" if window else driver, f"{section}.{key}", a, b)
    for key in ("dataset", "files"):
        for item, a, b in _diff(pc.get(key) or {}, cc.get(key) or {}):
            add("all", "data", f"{key}.{item}", a, b)
    if pc.get("seed") != cc.get("seed"):
        add("all", "seed", "run.seed", pc.get("seed"), cc.get("seed"))
    pv = previous.get("riskkit_version")
    cv = current.get("riskkit_version")
    if pv != cv:
        add("all", "version", "riskkit version", pv, cv)
    if previous.get("schema_version") != current.get("schema_version"):
        add(
            "all",
            "version",
            "parameter file schema",
            previous.get("schema_version"),
            current.get("schema_version"),
        )
    pa, ca = previous.get("assets") or {}, current.get("assets") or {}
    for asset in [a for a in ca if a in pa]:
        p, c = pa[asset], ca[asset]
        if _window(p) != _window(c):
            add(asset, "data window", "first to last date", _window(p), _window(c))
        if (p.get("data") or {}).get("bar_interval") != (c.get("data") or {}).get("bar_interval"):
            add(
                asset,
                "data",
                "bar interval",
                p["data"].get("bar_interval"),
                c["data"].get("bar_interval"),
            )
        if p.get("estimator") != c.get("estimator"):
            add(asset, "model", "estimator", p.get("estimator"), c.get("estimator"))
        if p.get("adv_usd") != c.get("adv_usd"):
            a, b = p.get("adv_usd"), c.get("adv_usd")
            add(
                asset,
                "tier",
                "average daily traded value (USD)",
                display.amount(a),
                display.amount(b),
            )
    return pd.DataFrame(rows, columns=["asset", "driver", "item", "previous", "current"])


def _tier_text(tiers: list[Mapping[str, Any]] | None) -> str | None:
    if not tiers:
        return None
    ims = [t.get("im_rate") for t in tiers if t.get("im_rate") is not None]
    top = display.amount(tiers[-1].get("notional_cap"))
    return f"{len(tiers)} tiers up to {top} USD, IM {display.rate(min(ims))} to {display.rate(max(ims))}"


def compare_parameter_files(
    current: Mapping[str, Any], previous: Mapping[str, Any]
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Compare two parameter files, parameter by parameter, with the driver of each change.

    Parameters
    ----------
    current, previous : mapping
        Parameter files as parsed from JSON.

    Returns
    -------
    changes : DataFrame
        See :attr:`Comparison.changes`. An asset only in one file gets one row saying so.
    drivers : DataFrame
        :func:`change_drivers`.
    """
    drivers = change_drivers(current, previous)
    pa, ca = previous.get("assets") or {}, current.get("assets") or {}
    rows: list[dict[str, Any]] = []

    def why(asset: str, parameter: str) -> str:
        relevant = _RELEVANT.get(parameter, ())
        hit = drivers[drivers["asset"].isin(["all", asset]) & drivers["driver"].isin(relevant)]
        names = list(dict.fromkeys(hit["driver"]))
        if not names:
            return "no recorded input differs (same data, model and settings)"
        return "; ".join(names)

    for asset in list(ca) + [a for a in pa if a not in ca]:
        if asset not in pa or asset not in ca:
            new = asset in ca
            rows.append(
                {
                    "asset": asset,
                    "parameter": "asset",
                    "kind": "text",
                    "previous": None if new else "published",
                    "current": "published" if new else None,
                    "change": None,
                    "changed": True,
                    "driver": "asset added to the run" if new else "asset no longer published",
                }
            )
            continue
        p, c = pa[asset], ca[asset]
        for key, (label, kind) in PARAMETER_LABELS.items():
            a, b = p.get(key), c.get(key)
            numeric = isinstance(a, (int, float)) and isinstance(b, (int, float))
            changed = (a != b) if not numeric else abs(float(b) - float(a)) > 1e-12
            rows.append(
                {
                    "asset": asset,
                    "parameter": label,
                    "kind": kind,
                    "previous": a,
                    "current": b,
                    "change": float(b) - float(a) if numeric else None,
                    "changed": bool(changed),
                    "driver": why(asset, key) if changed else "unchanged",
                }
            )
        pt, ct = p.get("tiers"), c.get("tiers")
        changed = json.dumps(pt, sort_keys=True) != json.dumps(ct, sort_keys=True)
        rows.append(
            {
                "asset": asset,
                "parameter": "tier table",
                "kind": "text",
                "previous": _tier_text(pt),
                "current": _tier_text(ct),
                "change": None,
                "changed": changed,
                "driver": why(asset, "tiers") if changed else "unchanged",
            }
        )
        pm, cm = (p.get("apc") or {}).get("method"), (c.get("apc") or {}).get("method")
        rows.append(
            {
                "asset": asset,
                "parameter": "APC tool",
                "kind": "text",
                "previous": pm,
                "current": cm,
                "change": None,
                "changed": pm != cm,
                "driver": "APC" if pm != cm else "unchanged",
            }
        )
    cols = ["asset", "parameter", "kind", "previous", "current", "change", "changed", "driver"]
    return pd.DataFrame(rows, columns=cols), drivers


def _failures(record: Any) -> pd.DataFrame:
    rows = []
    for asset, v in record.manifest.get("assets", {}).items():
        if v.get("status") != "ok":
            rows.append(
                {
                    "what": f"asset {asset}",
                    "stage": v.get("stage") or "not reached",
                    "reason": v.get("error") or "the run stopped before this asset finished",
                }
            )
    for stage, reason in (record.manifest.get("stage_errors") or {}).items():
        rows.append({"what": "run", "stage": stage, "reason": reason})
    return pd.DataFrame(rows, columns=["what", "stage", "reason"])


def _every(n: int) -> str:
    """``"its 1 asset"``, ``"both assets"``, ``"all 3 assets"``."""
    return "its 1 asset" if n == 1 else ("both assets" if n == 2 else f"all {n} assets")


def _status(record: Any, failures: pd.DataFrame, params: pd.DataFrame) -> str:
    assets = list(record.manifest.get("assets", {}))
    ok = record.assets_ok
    latest = record.config.output.latest
    if record.parameters is None:
        return (
            f"**This run FAILED: no parameter file was written** ({len(failures)} failure(s), "
            f"listed below; none of {', '.join(assets)} was published). Nothing in this report "
            "is to be signed off."
        )
    rates = "; ".join(
        f"{a} IM {display.rate(r.im_rate)}, MM {display.rate(r.mm_rate)}, max leverage "
        f"{display.leverage(r.max_leverage)}"
        for a, r in params.iterrows()
    )
    as_of = sorted({display.date(d) for d in params["as_of"]}) if len(params) else []
    if failures.empty:
        where = f" and copied to {latest}" if latest else ""
        return (
            f"This run calibrated {_every(len(assets))} "
            "on data up to "
            f"{', '.join(as_of)}. Proposed for publication ({PARAMETER_FILE} of this run"
            f"{where}): {rates}."
        )
    failed = [a for a in assets if a not in ok]
    return (
        f"**This run is INCOMPLETE: {len(failures)} failure(s)** (below). Calibrated: "
        f"{', '.join(ok) or 'none'}; failed: {', '.join(failed) or 'none'}. The parameter file "
        f"of this run holds only the calibrated assets"
        + (f" and {latest} was NOT replaced" if latest and failed else "")
        + f". Rates of the calibrated assets: {rates}."
    )


def summarize_run(record: Any, compare_with: str | os.PathLike[str] | None = None) -> RunSummary:
    """The executive summary of a run: parameters, change against the previous file, checklist.

    Parameters
    ----------
    record : RunRecord
        The run, read back by :func:`riskkit.run.load_run`.
    compare_with : path-like, optional
        A parameter file or run directory to compare with; default
        ``record.config.report.compare_with`` if set, else the previous published run in the
        same output directory (:func:`find_previous_run`).

    Returns
    -------
    RunSummary

    Raises
    ------
    ConfigError
        If ``compare_with`` names a missing file or a directory without a parameter file.
    """
    if compare_with is None:
        compare_with = getattr(record.config.report, "compare_with", None)
    failures = _failures(record)
    params = parameter_overview(record)
    tiers = {
        asset: pd.DataFrame(p["tiers"])
        for asset, p in ((record.parameters or {}).get("assets") or {}).items()
        if p.get("tiers")
    }
    previous, previous_run, how = _resolve_previous(record.run_dir, compare_with)
    if previous is not None and record.parameters is not None:
        old = json.loads(previous.read_text(encoding="utf-8"))
        changes, drivers = compare_parameter_files(record.parameters, old)
    else:
        changes, drivers = compare_parameter_files({}, {})
        if record.parameters is None:
            how = "This run wrote no parameter file: there is nothing to compare."
            previous = previous_run = None
    stages = dict(record.manifest.get("stages") or {})
    to_parameters = sum(v for k, v in stages.items() if k not in _AFTER_PARAMETERS)
    return RunSummary(
        run_dir=record.run_dir,
        ok=bool(record.manifest.get("ok")) and failures.empty,
        status=_status(record, failures, params),
        failures=failures,
        parameters=params,
        tiers=tiers,
        extra=extra_parameter_sets(record.parameters),
        comparison=Comparison(previous, previous_run, how, changes, drivers),
        checks=record.signoff_checks(),
        timing={"to parameters": to_parameters, "stages": stages},
    )


def definitions_view(terms: Iterable[str] | None = None) -> display.Table:
    """The definitions section: each term of the report once (all of :data:`DEFINITIONS`)."""
    keys = list(terms) if terms is not None else list(DEFINITIONS)
    frame = pd.DataFrame({"term": keys, "meaning": [DEFINITIONS[k] for k in keys]})
    return display.table(frame, caption="Definitions", index=False)


# --------------------------------------------------------------------------------------------
# the report's detail sections, formatted (notebook 08 calls these)

#: the backtests of the battery, in the order and with the names the report uses
BACKTEST_NAMES: dict[str, str] = {
    "bin": "binomial test of the failure count",
    "pof": "Kupiec: proportion of failures",
    "tuff": "Kupiec: time until first failure",
    "cci": "Christoffersen: independence",
    "cc": "Christoffersen: conditional coverage",
    "tbfi": "Haas: independence of times between failures",
    "tbf": "Haas: times between failures",
    "duration": "Christoffersen-Pelletier: duration",
    "unconditional_normal": "ES: Acerbi-Szekely Z2 (unconditional)",
    "mcneil_frey": "ES: McNeil-Frey exceedance residuals",
}


def backtest_pvalues_view(record: Any) -> display.Table:
    """The p-values of the backtest battery: one row per test, one column per asset and side
    (narrow enough for a 1200-pixel page whatever the number of tests)."""
    battery = record.backtest_battery()
    if battery.empty:
        return display.table(pd.DataFrame({"note": ["no backtest"]}), index=False)
    cols = {}
    for key, row in battery.iterrows():
        asset, side = key[0], key[1]
        name = f"{asset} {side}"
        cells = {"failures / expected": f"{int(row['failures'])} / {row['expected']:.1f}"}
        cells["traffic light"] = str(row.get("zone", ""))
        for test, label in BACKTEST_NAMES.items():
            if f"{test}_pvalue" in row.index:
                cells[label] = display.pvalue(row[f"{test}_pvalue"])
        cols[name] = cells
    frame = pd.DataFrame(cols)
    frame.index.name = "test (p-value)"
    return display.table(frame, caption="Backtest battery: p-values (reject below 5%)")


def regime_labels(quantiles: Iterable[float]) -> dict[str, str]:
    """``{"vol regime k": description}`` for the regimes cut at ``quantiles`` of the
    volatility forecast (``margin.regime_quantiles``)."""
    q = [float(x) for x in quantiles]
    names = {}
    for k in range(len(q) + 1):
        if k == 0:
            text = f"volatility below its {100 * q[0]:g}th percentile"
        elif k == len(q):
            text = f"volatility above its {100 * q[-1]:g}th percentile"
        else:
            text = f"volatility between its {100 * q[k - 1]:g}th and {100 * q[k]:g}th percentiles"
        names[f"vol regime {k}"] = f"{text} (regime {k})"
    return names


def _regime_quantiles(record: Any) -> tuple[float, ...]:
    settings = (record.parameters or {}).get("settings") or {}
    return tuple(settings.get("regime_quantiles") or record.config.margin.regime_quantiles)


def coverage_view(record: Any, asset: str) -> display.Table:
    """Breaches of the margin in force, by year and by volatility regime (regimes named)."""
    cov = record.tables[asset]["coverage"].copy()
    names = regime_labels(_regime_quantiles(record))
    cov["group"] = [names.get(str(g), str(g)) for g in cov["group"]]
    cov["margin"] = cov["margin"].str.upper()
    cov = cov.set_index(["margin", "group"])
    formats = {
        "n": "number",
        "breaches_long": "number",
        "breaches_short": "number",
        "rate_long": "pct2",
        "rate_short": "pct2",
        "mean_excess": "pct",
        "max_excess": "pct",
        "mean_margin": "pct",
    }
    headers = {
        "n": "periods",
        "breaches_long": "breaches long",
        "breaches_short": "breaches short",
        "rate_long": "rate long",
        "rate_short": "rate short",
        "mean_excess": "mean excess",
        "max_excess": "max excess",
        "mean_margin": "mean margin",
    }
    cov = cov.reindex(columns=list(formats))
    return display.table(
        cov, formats, caption=f"{asset}: breaches of the margin in force", columns=headers
    )


def coverage_tests_view(record: Any, asset: str) -> display.Table:
    """The coverage tests of each layer with a plain reading of the result: a test that
    rejects because there are too FEW breaches (a conservative margin) says so, next to its
    (green) traffic-light zone, which only counts too many."""
    ct = record.tables[asset]["coverage_tests"].copy()
    level = record.level
    rows = []
    for r in ct.itertuples():
        expected = r.n * (1 - level) if r.zone != "informational" else float("nan")
        if r.result == "reject":
            reading = (
                "rejects: fewer breaches than expected (conservative margin)"
                if r.breaches < expected
                else "rejects: more breaches than expected"
            )
        elif r.result == "accept":
            reading = "consistent with the level"
        else:
            reading = "no level of its own (ratio of the IM): breaches counted only"
        rows.append(
            {
                "layer": str(r.margin).upper(),
                "side": r.side,
                "test": BACKTEST_NAMES.get(str(r.test), str(r.test)),
                "periods": r.n,
                "breaches": r.breaches,
                "expected": expected,
                "p-value": r.pvalue,
                "zone": r.zone,
                "reading": reading,
            }
        )
    frame = pd.DataFrame(rows)
    return display.table(
        frame,
        {"periods": "number", "breaches": "number", "expected": "number", "p-value": "pvalue"},
        caption=f"{asset}: coverage tests (non-overlapping margin periods)",
        index=False,
    )


def stress_view(record: Any, asset: str) -> display.Table:
    """Stress scenarios: loss, margins and shortfalls in percent; a hypothetical scenario has
    no start date ("hypothetical", never ``nan``)."""
    st = record.tables[asset]["stress"].copy()
    if "start" in st.columns:
        st["start"] = [
            display.date(v) if not display._missing(v) else "hypothetical" for v in st["start"]
        ]
    formats = {
        "loss": "pct",
        "im": "rate",
        "mm": "rate",
        "shortfall_im": "pct",
        "shortfall_mm": "pct",
    }
    headers = {
        "shortfall_im": "shortfall of IM",
        "shortfall_mm": "shortfall of MM",
        "im": "IM posted",
        "mm": "MM posted",
    }
    return display.table(
        st,
        formats,
        caption=f"{asset}: stress scenarios (fractions of notional, in percent)",
        index=False,
        columns=headers,
    )


def quality_view(record: Any) -> display.Table:
    """Data quality per asset; an asset whose data could not be loaded shows "n/a", never a
    placeholder (see :meth:`riskkit.run.RunRecord.quality_table`)."""
    q = record.quality_table()
    cols = ["asset", "loaded", "bar_interval", "first_bar", "last_bar", "bars", "missing_days"]
    cols += ["defects_raw", "rows_changed_by_cleaning", "n_partial_bar"]
    q = q.reindex(columns=[c for c in cols if c in q.columns])
    headers = {
        "bar_interval": "bar",
        "first_bar": "first bar",
        "last_bar": "last bar",
        "missing_days": "missing days",
        "defects_raw": "defects in the raw data",
        "rows_changed_by_cleaning": "rows cleaned",
        "n_partial_bar": "partial bars dropped",
    }
    formats = {"first_bar": "date", "last_bar": "date", "bars": "number", "missing_days": "number"}
    return display.table(q, formats, caption="Data quality", index=False, columns=headers)


def run_facts_view(record: Any) -> display.Table:
    """The run: configuration, fingerprint, version, seed, data, settings, timing; values read
    from ``run.json`` and the configuration, so a failed run shows what was configured."""
    cfg, m = record.config, record.manifest
    settings = (record.parameters or {}).get("settings") or {}
    prov = (record.parameters or {}).get("provenance") or {}
    stages = dict(m.get("stages") or {})
    data = f"{cfg.data.source}" + (
        f" ({cfg.data.exchange})" if cfg.data.source == "bundled" else ""
    )
    facts = {
        "configuration": f"{cfg.name} ({m.get('config_source')})",
        "fingerprint (SHA-256 of the settings)": str(m.get("config_sha256", ""))[:16],
        "started (UTC)": (
            f"{started:%Y-%m-%d %H:%M:%S}"
            if (started := _parse_started(m.get("started"))) is not None
            else "n/a"
        ),
        "time to compute the parameters": display.duration(
            sum(v for k, v in stages.items() if k not in _AFTER_PARAMETERS)
        ),
        "riskkit version": m.get("riskkit_version"),
        "executor": m.get("executor"),
        "seed": cfg.seed,
        "data": data,
        "data checksum (SHA-256, first 16 hex digits)": str(prov.get("data_sha256"))[:16]
        if prov.get("data_sha256")
        else "n/a",
        "assets": ", ".join(cfg.assets),
        "model": cfg.model.describe(),
        "risk measure": f"{cfg.margin.measure.upper()} at {display.level(cfg.margin.level)}",
        "margin period of risk": f"{settings.get('horizon_days', cfg.margin.horizon_days):g} day(s)",
        "estimation window": f"{display.amount(cfg.window)} bars",
        "refit every": f"{display.amount(cfg.refit_every)} bars",
        "anti-procyclicality": settings.get("apc", cfg.margin.apc),
    }
    frame = pd.DataFrame({"item": list(facts), "value": [display.text(v) for v in facts.values()]})
    return display.table(frame, caption="The run", index=False)
