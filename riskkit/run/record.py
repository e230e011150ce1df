"""Reading a finished run back: the run record behind the report notebook and the sign-off checks.

:func:`load_run` reads a run directory written by :func:`riskkit.run.run_calibration` into a
:class:`RunRecord` (manifest, configuration, parameter file, quality tables, per-asset tables and
figures, and the warnings the run raised); :func:`strip_volatile` removes from a parameter file
the fields that record when or where it was made, so two runs can be compared.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from riskkit import display
from riskkit.config import CalibrationConfig
from riskkit.exceptions import RiskkitError
from riskkit.run.diagnostics import RunWarning
from riskkit.run.outputs import FEED_COMPARISON_FILE, PARAMETER_FILE

__all__ = ["RunRecord", "load_run", "strip_volatile", "VOLATILE_KEYS", "WARNING_COLUMNS"]

#: keys of a parameter file that record *when* or *where* a run happened, not what it computed
VOLATILE_KEYS = frozenset(
    {
        "created",
        "created_at",
        "created_utc",
        "generated",
        "generated_at",
        "timestamp",
        "run_dir",
        "run_directory",
        "started",
        "finished",
        "elapsed_seconds",
        "hostname",
    }
)

#: columns of :meth:`RunRecord.model_warnings`
WARNING_COLUMNS = ["asset", "stage", "warning", "detail", "count", "source"]


@dataclass
class RunRecord:
    """A finished run directory, read back.

    Attributes
    ----------
    run_dir : pathlib.Path
    manifest : dict
        ``run.json`` (its ``"warnings"`` are also available as :attr:`warnings` and
        :meth:`model_warnings`).
    config : CalibrationConfig
    parameters : dict or None
        The parameter file.
    quality : pandas.DataFrame
        ``data_quality.csv``.
    issues : pandas.DataFrame
        ``data_issues.csv`` (empty if no defect).
    tables : dict
        ``{asset: {table name: DataFrame}}``.
    figures : dict
        ``{asset: {figure name: path of the PNG}}``.
    """

    run_dir: Path
    manifest: dict[str, Any]
    config: CalibrationConfig
    parameters: dict[str, Any] | None
    quality: pd.DataFrame
    issues: pd.DataFrame
    tables: dict[str, dict[str, pd.DataFrame]]
    figures: dict[str, dict[str, Path]]

    @property
    def assets_ok(self) -> list[str]:
        return [a for a, v in self.manifest["assets"].items() if v.get("status") == "ok"]

    @property
    def assets_failed(self) -> dict[str, str]:
        return {
            a: f"{v.get('stage')}: {v.get('error')}"
            for a, v in self.manifest["assets"].items()
            if v.get("status") != "ok"
        }

    @property
    def level(self) -> float:
        """Confidence level of the margin (from the parameter file's settings)."""
        if self.parameters is not None:
            return float(self.parameters["settings"]["level"])
        return float(self.config.margin.level)

    def parameter_table(self) -> pd.DataFrame:
        """The published parameters, one row per asset (rates as fractions of notional).

        ``tiers`` is the number of tiers; an output the data did not allow is None (NaN) and
        named in ``not_computed`` (:meth:`not_computed` gives the reasons)."""
        if not self.parameters:
            return pd.DataFrame()
        rows = {}
        for asset, p in self.parameters["assets"].items():
            rows[asset] = {
                "as_of": p.get("as_of"),
                "im_rate": p.get("im_rate"),
                "mm_rate": p.get("mm_rate"),
                "max_leverage": p.get("max_leverage"),
                "raw_im_rate": p.get("raw_im_rate"),
                "collateral_haircut": p.get("collateral_haircut"),
                "liquidation_penalty": p.get("liquidation_penalty"),
                "insurance_fund_fraction": p.get("insurance_fund_fraction"),
                "tiers": None if p.get("tiers") is None else len(p["tiers"]),
                "volatility_daily": p.get("volatility_daily"),
                "bar_interval": (p.get("data") or {}).get("bar_interval", "1D"),
                "not_computed": ", ".join(p.get("not_computed") or {}) or None,
                "model_failures": (p.get("model_failures") or {}).get("count"),
            }
        return pd.DataFrame.from_dict(rows, orient="index").rename_axis("asset")

    def model_failures(self) -> pd.DataFrame:
        """Model failures of every asset (raw margins not finite or above the sanity bound):
        columns ``asset``, ``count``, ``last_date``, ``bound``, ``in_force`` (the published
        rate is a fallback), read from the parameter file."""
        cols = ["asset", "count", "last_date", "bound", "in_force"]
        rows = [
            {"asset": asset, **{k: (p.get("model_failures") or {}).get(k) for k in cols[1:]}}
            for asset, p in ((self.parameters or {}).get("assets") or {}).items()
            if p.get("model_failures") is not None
        ]
        return pd.DataFrame(rows, columns=cols)

    def not_computed(self) -> pd.DataFrame:
        """Outputs the data did not allow, with the reason (a close-only series has no tiers,
        no average daily traded value and no insurance fund).

        Returns
        -------
        DataFrame
            Columns ``asset``, ``output``, ``reason``; empty when everything was computed.
        """
        rows = [
            {"asset": asset, "output": output, "reason": reason}
            for asset, p in ((self.parameters or {}).get("assets") or {}).items()
            for output, reason in (p.get("not_computed") or {}).items()
        ]
        return pd.DataFrame(rows, columns=["asset", "output", "reason"])

    def feed_comparison(self) -> pd.DataFrame:
        """Each asset's prices against its second source (``data.reference_files``), as
        written to ``feed_comparison.csv`` by :func:`riskkit.run.outputs.write_feed_comparison`.

        Returns
        -------
        DataFrame
            Columns ``asset`` and :data:`riskkit.data.COMPARISON_COLUMNS` (``check``, ``feed``,
            ``start``, ``end`` as timestamps, ``n_bars``, ``value``, ``detail``...): one row
            per finding, ``check = "error"`` for a reference that could not be compared. Empty
            (with those columns) when the run compared nothing: no reference configured, or no
            asset with one was loaded.
        """
        from riskkit.data import COMPARISON_COLUMNS

        columns = ["asset", *COMPARISON_COLUMNS]
        path = self.run_dir / FEED_COMPARISON_FILE
        if not path.is_file():
            return pd.DataFrame(columns=columns)
        frame = pd.read_csv(path)
        for col in ("start", "end"):
            if col in frame.columns:
                frame[col] = pd.to_datetime(frame[col])
        return frame

    def traffic_lights(self, last: int | None = 250) -> pd.DataFrame:
        """Basel traffic light of the 1-day VaR of each asset and position side.

        Parameters
        ----------
        last : int or None
            Use the last ``last`` forecasts (250: the Basel Committee's window); None: all.

        Returns
        -------
        DataFrame
            Index (asset, side); columns ``n``, ``failures``, ``expected``, ``zone``,
            ``cumulative_probability`` (P(X <= failures) under a correct model).

        References
        ----------
        Basel Committee on Banking Supervision (1996), "Supervisory framework for the use of
        'backtesting' in conjunction with the internal models approach to market risk capital
        requirements", Table 2 (via :func:`riskkit.backtest.traffic_light`).
        """
        from riskkit.backtest import traffic_light

        level = self.level
        col = f"var_{level:g}"
        rows = {}
        for asset, tables in self.tables.items():
            for side in ("long", "short"):
                fc = tables.get(f"forecasts_{side}")
                if fc is None or col not in fc:
                    continue
                fc = fc.dropna(subset=["loss", col])
                if last is not None:
                    fc = fc.iloc[-last:]
                k, n = int((fc["loss"] > fc[col]).sum()), len(fc)
                tl = traffic_light(k, n, level)
                rows[(asset, side)] = {
                    "first": fc.index[0].date() if n else None,
                    "last": fc.index[-1].date() if n else None,
                    "n": n,
                    "failures": k,
                    "expected": n * (1 - level),
                    "zone": tl["zone"],
                    "cumulative_probability": tl["cumulative_probability"],
                }
        out = pd.DataFrame.from_dict(rows, orient="index")
        if not out.empty:
            out.index = out.index.set_names(["asset", "side"])
        return out

    def backtest_battery(self) -> pd.DataFrame:
        """The VaR/ES test battery of every asset: failure counts, zone and the p-value of each
        test (Kupiec, Christoffersen, duration, ES tests), one row per asset and side."""
        frames = {}
        for asset, tables in self.tables.items():
            frame = tables.get("backtest")
            if frame is None or frame.empty:
                continue
            index = [c for c in ("side", "level", "test") if c in frame.columns]
            frame = frame.set_index(index)
            keep = [c for c in ("n", "failures", "expected", "zone") if c in frame.columns]
            pvalues = [c for c in frame.columns if str(c).endswith(("_pvalue", "pvalue"))]
            frames[asset] = frame[keep + pvalues] if pvalues else frame
        if not frames:
            return pd.DataFrame()
        return pd.concat(frames, names=["asset"])

    @property
    def warnings(self) -> list[RunWarning]:
        """The warnings the run raised, as stored in ``run.json`` (empty for a run written
        before riskkit stored them there)."""
        return [RunWarning.from_dict(w) for w in self.manifest.get("warnings", [])]

    def model_warnings(self) -> pd.DataFrame:
        """Warnings raised against each asset (convergence fallbacks, data quality).

        Returns
        -------
        DataFrame
            One row per distinct warning of an asset and stage, read from ``run.json``:
            ``asset``, ``stage``, ``warning`` (the warning's class name), ``detail`` (its
            message), ``count`` (times raised), ``source`` (``file:line`` where first raised).
        """
        rows = [
            {
                "asset": w.asset,
                "stage": w.stage,
                "warning": w.category,
                "detail": w.message,
                "count": w.count,
                "source": w.source,
            }
            for w in self.warnings
        ]
        return pd.DataFrame(rows, columns=WARNING_COLUMNS)

    def signoff_checks(self) -> pd.DataFrame:
        """Checks a risk committee wants passed before it signs the parameters off.

        Returns
        -------
        DataFrame
            One row per check: ``check``, ``passed`` (bool) and ``evidence``.
        """
        rows = []

        def add(check: str, passed: bool, evidence: str) -> None:
            rows.append({"check": check, "passed": bool(passed), "evidence": evidence})

        failed = self.assets_failed
        add(
            "every asset calibrated",
            not failed,
            "all of " + ", ".join(self.manifest["assets"])
            if not failed
            else "; ".join(f"{a}: {m}" for a, m in failed.items()),
        )
        if self.parameters is not None:
            from riskkit.margin import validate_parameter_set

            try:
                validate_parameter_set(self.parameters)
                add("parameter file valid against its JSON Schema", True, PARAMETER_FILE)
            except RiskkitError as exc:
                add("parameter file valid against its JSON Schema", False, str(exc)[:300])
        else:
            add("parameter file valid against its JSON Schema", False, "no parameter file")
        tl = self.traffic_lights(250)
        if not tl.empty:
            bad = tl[tl["zone"] != "green"]
            intervals = sorted(
                {
                    str((a.get("data") or {}).get("bar_interval", "1D"))
                    for a in ((self.parameters or {}).get("assets") or {}).values()
                }
                or {"1D"}
            )
            # the traffic light counts one-bar forecasts: say which bar, not "1-day" for 4h bars
            horizon = "1-day" if intervals == ["1D"] else f"1-bar ({', '.join(intervals)})"
            add(
                f"{horizon} VaR in the green zone (last 250 forecasts, both sides)",
                bad.empty,
                "all green"
                if bad.empty
                else ", ".join(
                    f"{a} {s}: {r.zone} ({r.failures} failures)" for (a, s), r in bad.iterrows()
                ),
            )
        if tl.empty:
            add("VaR backtest in the green zone", False, "no out-of-sample forecast to test")
        if self.tables:
            for layer, name in (("im", "initial margin"), ("mm", "maintenance margin")):
                add(*self._coverage_check(layer, name))
            add(*self._stress_check())
        else:
            none = "no asset was calibrated: nothing to test"
            add("margin coverage in the green zone", False, none)
            add("worst stress shortfall of the IM within the insurance fund", False, none)
        mf = self.model_failures()
        if len(mf):
            counted = mf[mf["count"].fillna(0) > 0]
            # The published rate must come from the model, not from a fallback; failures earlier
            # in the margin path (each replaced by the last good margin) are evidence for the
            # committee, listed with their dates, but they do not make today's rate unusable.
            in_force = counted[counted["in_force"].fillna(False).astype(bool)]
            add(
                "no model failure on the publication date (raw margin finite and within the "
                "sanity bound; earlier failures listed)",
                in_force.empty,
                "none"
                if counted.empty
                else "; ".join(
                    f"{r.asset}: {int(r.count)} date(s), last {r.last_date}"
                    + (
                        " (published rate is the fallback)"
                        if r.in_force
                        else ", none in force (the last good margin was charged)"
                    )
                    for r in counted.itertuples()
                ),
            )
        add(*self._data_check())
        add(*self._partial_bar_check())
        if self.parameters is not None:
            ds = self.parameters["provenance"]["data"].get("dataset", {})
            if "sha256_matches_build" in ds:
                add(
                    "bundled data file unchanged since it was built",
                    bool(ds["sha256_matches_build"]),
                    f"sha256 {str(ds.get('sha256', ''))[:16]} (first 16 hex digits)",
                )
        return pd.DataFrame(rows)

    def _coverage_check(self, layer: str, name: str) -> tuple[str, bool, str]:
        """Coverage of one margin layer: every side in the green zone (a ratio-defined MM has
        no level of its own: its breach counts are informational)."""
        bad, info, seen = [], [], False
        for asset, tables in self.tables.items():
            ct = tables.get("coverage_tests")
            if ct is None or "zone" not in ct:
                continue
            for r in ct[ct["margin"] == layer].itertuples():
                seen = True
                if r.zone == "informational":
                    info.append(f"{asset} {r.side}: {int(r.breaches)} breach(es) in {int(r.n)}")
                elif r.zone != "green":
                    bad.append(f"{asset} {r.side}: {r.zone} ({int(r.breaches)} in {int(r.n)})")
        check = f"{name} ({layer.upper()}) coverage in the green zone"
        if not seen:
            return check, False, "no coverage test was computed for this layer"
        if bad:
            return check, False, "; ".join(sorted(set(bad)))
        if info:
            return (
                check,
                True,
                "informational only: the layer is a ratio of the IM, with no level of its own; "
                + "; ".join(sorted(set(info))),
            )
        return check, True, "all green (both sides, every asset)"

    def _stress_check(self) -> tuple[str, bool, str]:
        """Worst stress shortfall of the IM against the insurance fund of each asset."""
        check = "worst stress shortfall of the IM within the insurance fund"
        parts, passed = [], True
        assets = (self.parameters or {}).get("assets") or {}
        for asset, tables in self.tables.items():
            st = tables.get("stress")
            if st is None or "shortfall_im" not in st:
                continue
            short = pd.to_numeric(st["shortfall_im"], errors="coerce")
            if not short.notna().any():
                continue
            row = st.loc[short.idxmax()]
            worst = float(short.max())
            fund = (assets.get(asset) or {}).get("insurance_fund_fraction")
            fund_text = "not computed" if fund is None else f"{display.rate(fund)} of open interest"
            if worst <= 0:
                parts.append(f"{asset}: no shortfall in any scenario")
                continue
            ok = fund is not None and worst <= float(fund)
            where = str(row["scenario"])
            if str(row.get("side", "")) not in where:
                where += f", {row['side']} position"
            passed = passed and ok
            parts.append(
                f"{asset}: worst shortfall {display.pct(worst)} of notional ({where}) "
                f"{'within' if ok else 'ABOVE'} the insurance fund ({fund_text})"
            )
        if not parts:
            return check, False, "no stress table"
        return check, passed, "; ".join(parts)

    def _data_check(self) -> tuple[str, bool, str]:
        """Every error-level defect of the raw data removed by a logged cleaning step, and
        every asset's data loaded."""
        check = "no unresolved data defect"
        load_failed = {
            a: v.get("error")
            for a, v in self.manifest.get("assets", {}).items()
            if v.get("status") != "ok" and v.get("stage") == "load data"
        }
        q = self.quality
        if not len(q):
            return check, False, "no data-quality table: the data were not checked"
        if "asset" in q.columns and load_failed:
            q = q[~q["asset"].isin(list(load_failed))]
        errors = pd.to_numeric(q.get("errors_raw", pd.Series(dtype=float)), errors="coerce")
        fixed = pd.to_numeric(
            q.get("rows_changed_by_cleaning", pd.Series(dtype=float)), errors="coerce"
        )
        resolved = bool((fixed.fillna(0) >= errors.fillna(0)).all())
        n = int(errors.fillna(0).sum())
        evidence = (
            f"{n} error-level defect(s) in the raw data, each removed by a logged cleaning step"
            if n and resolved
            else (
                f"{n} error-level defect(s) in the raw data, not all removed by cleaning"
                if n
                else "no error-level defect in the raw data"
            )
        )
        if load_failed:
            evidence = (
                "; ".join(f"{a}: data not loaded ({e})" for a, e in load_failed.items())
                + "; other assets: "
                + evidence
            )
        return check, resolved and not load_failed, evidence

    def _partial_bar_check(self) -> tuple[str, bool, str]:
        """Partial bars (a bar not covering its whole interval) dropped, not calibrated on."""
        check = "no partial bar in the calibration data"
        policy = getattr(self.config.data, "partial_bars", "drop")
        q = self.quality
        if not len(q) or "n_partial_bar" not in q.columns:
            return check, True, f"no partial bar found (data.partial_bars: {policy})"
        counts = pd.to_numeric(q["n_partial_bar"], errors="coerce").fillna(0).astype(int)
        found = {a: int(n) for a, n in zip(q.get("asset", q.index), counts, strict=False) if n}
        if not found:
            return check, True, f"no partial bar found (data.partial_bars: {policy})"
        listed = ", ".join(f"{a}: {n}" for a, n in found.items())
        if policy == "keep":
            return check, False, f"partial bars KEPT (data.partial_bars: keep): {listed}"
        return (
            check,
            True,
            f"partial bars dropped before calibration (data.partial_bars: {policy}): {listed}",
        )

    def quality_table(self) -> pd.DataFrame:
        """``data_quality.csv`` for reading: dates and counts of an asset whose data could not
        be loaded are missing (None), not the placeholders of the file (e.g. a negative
        ``missing_days``), and ``loaded`` says which assets were."""
        q = self.quality.copy()
        if not len(q) or "asset" not in q.columns:
            return q
        status = self.manifest.get("assets", {})
        failed = [
            a
            for a, v in status.items()
            if v.get("status") != "ok" and v.get("stage") == "load data"
        ]
        bad = q["asset"].isin(failed)
        for col in q.columns:
            if col not in ("asset", "defects_raw"):
                q[col] = q[col].astype(object)
                q.loc[bad, col] = None
        if "missing_days" in q.columns:
            md = pd.to_numeric(q["missing_days"], errors="coerce")
            q.loc[md < 0, "missing_days"] = None
        q.insert(1, "loaded", ~bad)
        return q


def load_run(run_dir: str | os.PathLike[str]) -> RunRecord:
    """Read a run directory written by :func:`riskkit.run.run_calibration`.

    Parameters
    ----------
    run_dir : path-like
        The run directory (it holds ``run.json`` and ``config.yaml``).

    Returns
    -------
    RunRecord
        Tables are read from ``tables/<ASSET>/*.csv`` (a ``date`` column becomes the index);
        figures are the PNG files under ``figures/<ASSET>/``.

    Raises
    ------
    RiskkitError
        If ``run_dir`` is not a run directory (no ``run.json``).
    """
    import yaml

    from riskkit.config import validate_config

    run_dir = Path(run_dir)
    manifest_path = run_dir / "run.json"
    if not manifest_path.is_file():
        raise RiskkitError(f"{run_dir} is not a calibration run directory (no run.json)")
    manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
    raw = yaml.safe_load((run_dir / "config.yaml").read_text(encoding="utf-8"))
    model = raw.get("model") if isinstance(raw, dict) else None
    if isinstance(model, dict) and "backend" not in model:
        # a run's config.yaml lists every effective setting; one without model.backend was
        # written before the key existed, when every GARCH fit used arch: read it as it ran
        raw = {**raw, "model": {**model, "backend": "arch"}}
    cfg = validate_config(raw, source=run_dir / "config.yaml")
    params_path = run_dir / PARAMETER_FILE
    params = json.loads(params_path.read_text(encoding="utf-8")) if params_path.exists() else None
    quality = _read_csv(run_dir / "data_quality.csv")
    issues = _read_csv(run_dir / "data_issues.csv")
    tables: dict[str, dict[str, pd.DataFrame]] = {}
    for path in sorted((run_dir / "tables").glob("*/*.csv")):
        frame = pd.read_csv(path)
        if "date" in frame.columns:
            frame["date"] = pd.to_datetime(frame["date"])
            frame = frame.set_index("date")
        tables.setdefault(path.parent.name, {})[path.stem] = frame
    figures: dict[str, dict[str, Path]] = {}
    for path in sorted((run_dir / "figures").glob("*/*.png")):
        figures.setdefault(path.parent.name, {})[path.stem] = path
    return RunRecord(run_dir, manifest, cfg, params, quality, issues, tables, figures)


def _read_csv(path: Path) -> pd.DataFrame:
    return pd.read_csv(path) if path.is_file() else pd.DataFrame()


def strip_volatile(data: Any, keys: frozenset[str] = VOLATILE_KEYS) -> Any:
    """Copy of a parameter file with the fields that record when/where it was made removed.

    Two runs of the same configuration on the same data must agree on everything else.

    Parameters
    ----------
    data : Any
        A parameter file as parsed from JSON (nested dicts, lists and scalars).
    keys : frozenset of str
        Keys to remove at every depth; default :data:`VOLATILE_KEYS`.

    Returns
    -------
    Any
        A copy in which every mapping is a new dict without ``keys`` and every list a new list;
        other values (tuples included) are returned as they are.
    """
    if isinstance(data, Mapping):
        return {k: strip_volatile(v, keys) for k, v in data.items() if k not in keys}
    if isinstance(data, list):
        return [strip_volatile(v, keys) for v in data]
    return data
