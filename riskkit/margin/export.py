"""Export margin parameters as a JSON file a margin engine can consume, checked by a JSON Schema.

The file (``riskkit/schemas/margin_parameters.schema.json``, JSON Schema draft 2020-12) holds the
per-asset initial and maintenance rates, tiers, haircut, liquidation penalty and APC setting, the
settings of the run, and provenance: data hash and date ranges, model per asset, confidence,
horizon, riskkit version, creation time. :func:`validate_parameter_set` checks the schema *and*
the rules a schema cannot express (maintenance rate at most initial rate, contiguous tiers with a
continuous maintenance margin) and reports every violation with its JSON path.

Schema 1.3 adds two optional top-level sections: ``venue_parameter_sets`` (Binance brackets, a
dYdX v4 liquidity tier and a Hyperliquid margin table per asset, in each venue's own fields:
:func:`riskkit.margin.venue_parameter_sets`) and ``perpetual`` (funding and basis add-ons to the
maintenance margin: :func:`riskkit.margin.perpetual_addons`), and ``lending_parameter_sets``
(DeFi lending proposals per collateral/debt pair in Aave v3's on-chain fields:
:func:`riskkit.defi.parameter_sets.lending_parameter_sets`). A file is stamped with the lowest
version that describes it: without these sections it is written as 1.2, so a reader of 1.2
files reads it unchanged. :func:`extend_parameter_file` adds them to a written file.
"""

from __future__ import annotations

import datetime as _dt
import json
import math
from collections.abc import Mapping
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from riskkit._jsonschema import import_jsonschema
from riskkit.exceptions import ConfigError, SchemaError

__all__ = [
    "SCHEMA_VERSION",
    "schema",
    "schema_path",
    "to_jsonable",
    "build_parameter_set",
    "validate_parameter_set",
    "write_parameter_set",
    "load_parameter_set",
    "add_sections",
    "extend_parameter_file",
]

#: newest schema version (the schema accepts 1.0 to 1.3)
SCHEMA_VERSION = "1.3"
KIND = "riskkit.margin_parameters"
#: top-level sections introduced by each schema version after 1.2
_SECTIONS_1_3 = ("venue_parameter_sets", "perpetual", "lending_parameter_sets")


def _version_of(data: Mapping[str, Any]) -> str:
    """The lowest schema version describing ``data``: 1.3 with a 1.3 section, else 1.2."""
    return SCHEMA_VERSION if any(k in data for k in _SECTIONS_1_3) else "1.2"


def schema_path() -> Path:
    """Path of the bundled JSON Schema file."""
    return Path(str(resources.files("riskkit") / "schemas" / "margin_parameters.schema.json"))


@lru_cache(maxsize=1)
def _schema_text() -> str:
    return schema_path().read_text(encoding="utf-8")


def schema() -> dict[str, Any]:
    """The JSON Schema (draft 2020-12) of a margin parameter set, as a dict."""
    return json.loads(_schema_text())


def to_jsonable(obj: Any) -> Any:
    """Recursively convert numpy/pandas scalars, tuples, dates and paths to JSON types.

    Non-finite floats become ``None`` (JSON has no NaN).
    """
    if isinstance(obj, Mapping):
        return {str(k): to_jsonable(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple, np.ndarray, pd.Index)):
        return [to_jsonable(v) for v in obj]
    if isinstance(obj, (bool, np.bool_)):
        return bool(obj)
    if isinstance(obj, (int, np.integer)):
        return int(obj)
    if isinstance(obj, (float, np.floating)):
        v = float(obj)
        return v if math.isfinite(v) else None
    if isinstance(obj, (pd.Timestamp, _dt.datetime, _dt.date)):
        return obj.isoformat()
    if isinstance(obj, Path):
        return str(obj)
    if obj is None or isinstance(obj, str):
        return obj
    return str(obj)


def _find_sha256(obj: Any) -> str | None:
    if isinstance(obj, Mapping):
        v = obj.get("sha256")
        if isinstance(v, str):
            return v.lower()
        for value in obj.values():
            found = _find_sha256(value)
            if found:
                return found
    return None


def build_parameter_set(
    calibrations: Mapping[str, Any],
    settings: Any,
    provenance: Mapping[str, Any],
    created: _dt.datetime | None = None,
) -> dict[str, Any]:
    """Assemble the parameter set of several assets.

    Parameters
    ----------
    calibrations : mapping of str to AssetCalibration
        Output of :func:`riskkit.margin.calibrate_asset` per asset.
    settings : MarginSettings
    provenance : mapping
        Data provenance from the caller (e.g. :func:`riskkit.datasets.provenance`); the first
        ``sha256`` found in it becomes ``provenance.data_sha256``.
    created : datetime, optional
        Creation time (UTC); default now.

    Returns
    -------
    dict
        JSON-ready, valid against :func:`schema` (checked).
    """
    from riskkit import __version__

    if not calibrations:
        raise ConfigError("no calibrations to export")
    when = created or _dt.datetime.now(_dt.UTC)
    stamp = when.astimezone(_dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    prov = to_jsonable(dict(provenance))
    data = {
        "schema_version": "1.2",  # raised to 1.3 by add_sections
        "kind": KIND,
        "created_utc": stamp,
        "riskkit_version": __version__,
        "settings": to_jsonable(settings.to_dict()),
        "provenance": {
            "riskkit_version": __version__,
            "created_utc": stamp,
            "data_sha256": _find_sha256(prov),
            "measure": settings.measure,
            "level": settings.level,
            "horizon_days": settings.horizon_days,
            "models": {a: str(c.parameters.get("estimator", "")) for a, c in calibrations.items()},
            "data": prov,
        },
        "assets": {a: to_jsonable(c.parameters) for a, c in sorted(calibrations.items())},
    }
    validate_parameter_set(data)
    return data


def _path_str(path: Any) -> str:
    return "$" + "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in path)


def _semantic_problems(data: Mapping[str, Any]) -> list[str]:
    """Rules the schema cannot express, for every asset whose structure allows checking them."""
    from riskkit.defi.parameter_sets import lending_set_problems
    from riskkit.margin.venue_sets import venue_set_problems

    out: list[str] = []
    sets = data.get("venue_parameter_sets")
    if isinstance(sets, Mapping):
        out.extend(venue_set_problems(sets, "$.venue_parameter_sets"))
    lending = data.get("lending_parameter_sets")
    if isinstance(lending, Mapping):
        out.extend(lending_set_problems(lending, "$.lending_parameter_sets"))
    assets = data.get("assets", {})
    if not isinstance(assets, Mapping):
        return out
    settings = data.get("settings", {})
    settings = settings if isinstance(settings, Mapping) else {}
    for asset, p in assets.items():
        try:
            out.extend(_asset_semantic_problems(f"$.assets.{asset}", p, settings))
        except (KeyError, TypeError, IndexError):
            # a missing or mistyped field: the schema errors already name it
            continue
    return out


def _ratio_of(settings: Mapping[str, Any]) -> float | None:
    """The configured MM ratio when the MM is a ratio of the IM (no layer of its own)."""
    own = any(settings.get(k) is not None for k in ("mm_measure", "mm_level", "mm_horizon_days"))
    ratio = settings.get("mm_ratio")
    return None if own or not isinstance(ratio, (int, float)) else float(ratio)


def _asset_semantic_problems(
    where: str, p: Mapping[str, Any], settings: Mapping[str, Any] | None = None
) -> list[str]:
    from riskkit.margin.layers import layer_problems

    settings = settings or {}
    out: list[str] = []
    cap = settings.get("im_cap", 1.0)
    ratio = _ratio_of(settings)
    # a file without rate_precision (written before 1.2): the default precision
    precision = settings.get("rate_precision") or 1e-6
    if p["mm_rate"] > p["im_rate"] + 1e-12:
        out.append(f"{where}.mm_rate: {p['mm_rate']} exceeds im_rate {p['im_rate']}")
    else:
        out.extend(
            layer_problems(
                p["im_rate"],
                p["mm_rate"],
                cap=cap,
                ratio=ratio,
                precision=precision,
                where=where + ".",
            )
        )
    headline_ok = not out
    tiers = p["tiers"]
    if tiers is None:  # not computed (a series without volume): nothing more to check
        return out
    if tiers[0]["notional_floor"] != 0:
        out.append(f"{where}.tiers[0].notional_floor: must be 0")
    for key in ("im_rate", "mm_rate"):
        if not headline_ok:  # the headline pair is wrong already: one message is enough
            break
        if tiers[0][key] != p[key]:
            out.append(
                f"{where}.tiers[0].{key}: {tiers[0][key]} differs from the headline {key} "
                f"{p[key]} (tier 1 must be the headline rate)"
            )
    for i, t in enumerate(tiers):
        if t["notional_cap"] <= t["notional_floor"]:
            out.append(f"{where}.tiers[{i}]: notional_cap must exceed notional_floor")
        if t["mm_rate"] > t["im_rate"] + 1e-12:
            out.append(f"{where}.tiers[{i}].mm_rate: exceeds im_rate")
        else:
            out.extend(
                layer_problems(
                    t["im_rate"],
                    t["mm_rate"],
                    cap=cap,
                    ratio=ratio,
                    precision=precision,
                    where=f"{where}.tiers[{i}].",
                )
            )
        if i == 0:
            continue
        prev = tiers[i - 1]
        if t["notional_floor"] != prev["notional_cap"]:
            out.append(
                f"{where}.tiers[{i}].notional_floor: {t['notional_floor']} != previous "
                f"cap {prev['notional_cap']} (tiers must be contiguous, not overlapping)"
            )
        # maintenance margin continuous at the boundary
        b = t["notional_floor"]
        left = b * prev["mm_rate"] - prev["maintenance_amount"]
        right = b * t["mm_rate"] - t["maintenance_amount"]
        if abs(left - right) > 1e-6 * max(1.0, abs(left)):
            out.append(
                f"{where}.tiers[{i}].maintenance_amount: maintenance margin jumps from "
                f"{left:.6g} to {right:.6g} at notional {b:g}"
            )
    return out


def validate_parameter_set(data: Any, source: str | None = None) -> None:
    """Check a parameter set against the schema and the cross-field rules.

    Parameters
    ----------
    data : object
        Parsed parameter set (normally a dict, as from :func:`build_parameter_set` or
        ``json.load``). The cross-field rules (``mm_rate <= im_rate`` per asset and per tier,
        first tier starting at notional 0, ``notional_cap > notional_floor``, contiguous tiers
        and a maintenance margin continuous at each tier boundary) are checked only when
        ``data`` is a mapping, and for an asset only as far as its structure allows.
    source : str, optional
        Name of the file the data came from, prefixed to the error message.

    Returns
    -------
    None

    Raises
    ------
    SchemaError
        Listing every violation with its JSON path (and ``source``, the file, when given).
    """
    validator = import_jsonschema().Draft202012Validator(schema())
    errors = sorted(validator.iter_errors(data), key=lambda e: list(map(str, e.absolute_path)))
    problems = [f"{_path_str(e.absolute_path)}: {e.message}" for e in errors]
    if isinstance(data, Mapping):
        # cross-field rules too, so that one pass lists every violation
        problems += _semantic_problems(data)
    if problems:
        head = f"{source}: " if source else ""
        listing = "\n  ".join(problems)
        raise SchemaError(
            f"{head}margin parameter set does not match {schema_path().name} "
            f"({len(problems)} problem(s)):\n  {listing}"
        )


def write_parameter_set(data: Mapping[str, Any], path: str | Path) -> Path:
    """Validate, then write ``data`` as indented JSON with a stable key order.

    Parameters
    ----------
    data : mapping
        Parameter set, e.g. from :func:`build_parameter_set`; converted with
        :func:`to_jsonable` first (non-finite floats become ``null``).
    path : str or Path
        Destination file; overwritten if it exists.

    Returns
    -------
    Path
        The file written (parent directories are created): UTF-8 JSON, 2-space indent, keys
        sorted, trailing newline.

    Raises
    ------
    SchemaError
        If the converted data fail :func:`validate_parameter_set`; nothing is written then. The
        message names ``path`` (the file that was not written) and every failing JSON path.
    """
    clean = to_jsonable(data)
    validate_parameter_set(clean, source=f"{path} (not written)")
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(json.dumps(clean, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    return target


def load_parameter_set(path: str | Path) -> dict[str, Any]:
    """Read and validate a parameter file; SchemaError names the file and every failing path."""
    p = Path(path)
    try:
        text = p.read_text(encoding="utf-8")
    except OSError as exc:
        raise SchemaError(f"{p}: cannot read margin parameter file: {exc}") from None
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise SchemaError(f"{p}: not valid JSON ({exc})") from None
    validate_parameter_set(data, source=str(p))
    return data


def add_sections(
    data: Mapping[str, Any],
    *,
    venue_sets: Any = (),
    perpetual: Any = None,
    horizon_days: float | None = None,
    lending: Any = None,
    ohlcv: Mapping[str, pd.DataFrame] | None = None,
    seed: int | None = None,
) -> dict[str, Any]:
    """A copy of a parameter set with the 1.3 sections added, stamped 1.3 when one is added.

    Parameters
    ----------
    data : mapping
        A parameter set (:func:`build_parameter_set`).
    venue_sets : sequence of {"binance", "dydx", "hyperliquid"}
        Venue sets to write under ``venue_parameter_sets`` (none: no section).
    perpetual : PerpetualSpec or mapping, optional
        The ``perpetual`` configuration section (files per asset, quantile, horizon, side);
        None: no section.
    horizon_days : float, optional
        Horizon of the perpetual add-on when the section sets none (the maintenance margin's
        margin period of risk); default ``data["settings"]["horizon_days"]``.
    lending : LendingSpec or mapping, optional
        The ``lending`` configuration section: DeFi lending proposals per pair written under
        ``lending_parameter_sets``; None: no section.
    ohlcv : mapping of str to DataFrame, optional
        The run's OHLCV bars per asset (needed with ``lending``: each collateral's returns and
        last close).
    seed : int, optional
        Seed of the lending simulation (the run's seed).

    Returns
    -------
    dict
        Validated against the schema.
    """
    from riskkit.margin.perpetual import perpetual_addons
    from riskkit.margin.venue_sets import venue_parameter_sets

    out = dict(data)
    if venue_sets:
        out["venue_parameter_sets"] = venue_parameter_sets(out["assets"], venue_sets)
    if perpetual is not None:
        settings = out.get("settings") or {}
        h = horizon_days
        if h is None:
            h = settings.get("mm_horizon_days") or settings.get("horizon_days") or 1.0
        out["perpetual"] = to_jsonable(perpetual_addons(perpetual, out["assets"], float(h)))
    if lending is not None:
        from riskkit.defi.parameter_sets import lending_parameter_sets

        out["lending_parameter_sets"] = to_jsonable(
            lending_parameter_sets(lending, out["assets"], ohlcv or {}, seed)
        )
    out["schema_version"] = _version_of(out)
    validate_parameter_set(out)
    return out


def extend_parameter_file(
    path: str | Path, config: Any, data: Mapping[str, pd.DataFrame] | None = None
) -> Path:
    """Add the ``venue_parameter_sets``, ``perpetual`` and ``lending_parameter_sets`` sections
    a run configures to its parameter file (rewritten in place, validated first).

    Parameters
    ----------
    path : str or Path
        A parameter file written by :func:`write_parameter_set`.
    config : CalibrationConfig
        Reads ``config.venue_parameter_sets``, ``config.perpetual`` and the maintenance
        margin's horizon (``config.margin.mm_horizon_days``, else ``horizon_days``),
        ``config.lending`` and the run's seed ``config.seed``.
    data : mapping of str to DataFrame, optional
        The run's OHLCV bars per asset (required when ``config.lending`` is set).

    Returns
    -------
    Path
        ``path``, unchanged when the configuration asks for neither section.
    """
    venue_sets = tuple(getattr(config, "venue_parameter_sets", ()) or ())
    perpetual = getattr(config, "perpetual", None)
    lending = getattr(config, "lending", None)
    if not venue_sets and perpetual is None and lending is None:
        return Path(path)
    margin = config.margin
    horizon = margin.mm_horizon_days or margin.horizon_days
    out = add_sections(
        load_parameter_set(path),
        venue_sets=venue_sets,
        perpetual=perpetual,
        horizon_days=horizon,
        lending=lending,
        ohlcv=data,
        seed=config.seed,
    )
    return write_parameter_set(out, path)
