"""The dated alert table every detector of :mod:`riskkit.anomaly` returns."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np
import pandas as pd

__all__ = ["ALERT_COLUMNS", "ALERT_KINDS", "SEVERITIES", "AlertTable", "concat_alerts"]

#: columns of :attr:`AlertTable.frame` (one row per alert)
ALERT_COLUMNS = [
    "timestamp",
    "end",
    "asset",
    "source",
    "kind",
    "value",
    "threshold",
    "severity",
    "detail",
]

#: severities, mildest first: ``warning`` beyond the threshold, ``critical`` at least
#: ``critical_factor`` times as far from the calibrated centre as the threshold
SEVERITIES = ("warning", "critical")

#: alert kinds: (family, what ``value`` and ``threshold`` measure)
ALERT_KINDS: dict[str, tuple[str, str]] = {
    "stale": ("integrity", "bars in a run of an unchanged close (threshold: stale_run)"),
    "no_trades": ("integrity", "bars in a run of zero volume (threshold: no_trade_run)"),
    "price_spike": ("integrity", "log return of the bar, fraction (threshold: bound crossed)"),
    "cross_source": ("integrity", "|source / reference - 1|, fraction"),
    "mark_index": ("integrity", "|mark / index - 1|, fraction"),
    "last_mark": ("integrity", "|last / mark - 1|, fraction"),
    "last_index": ("integrity", "|last / index - 1|, fraction"),
    "depeg": ("integrity", "|price / peg - 1| of a collateral token, fraction"),
    "volume": ("integrity", "volume of the bar, units of the asset"),
    "trade_count": ("integrity", "number of trades in the bar"),
    "robust_z": ("behaviour", "largest |robust z| of the bar's features, robust sigmas"),
    "isolation_forest": ("behaviour", "isolation-forest anomaly score s in (0, 1)"),
    "volume_no_impact": ("behaviour", "robust z of log volume while the range is ordinary"),
    "round_size": ("behaviour", "share of trades whose size is a multiple of round_unit"),
    "benford": ("behaviour", "first-digit MAD of trade sizes against Benford's law"),
}


@dataclass(frozen=True)
class AlertTable:
    """Alerts of one or several detectors.

    Attributes
    ----------
    frame : pandas.DataFrame
        One row per alert, columns :data:`ALERT_COLUMNS`: ``timestamp`` (bar, or first bar of a
        run; UTC, tz-naive), ``end`` (last bar concerned), ``asset``, ``source`` (venue or
        feed), ``kind`` (:data:`ALERT_KINDS`), ``value`` (the statistic), ``threshold`` (the
        bound it crossed, calibrated on data before ``timestamp``), ``severity``
        (:data:`SEVERITIES`), ``detail`` (text). Sorted by timestamp then kind.
    """

    frame: pd.DataFrame

    def __len__(self) -> int:
        return len(self.frame)

    def of(self, kind: str) -> pd.DataFrame:
        """Alerts of one kind."""
        return self.frame[self.frame["kind"] == kind]

    def counts(self) -> pd.DataFrame:
        """Number of alerts per kind and severity (kinds with no alert are omitted)."""
        if self.frame.empty:
            return pd.DataFrame(columns=list(SEVERITIES), dtype=int)
        table = pd.crosstab(self.frame["kind"], self.frame["severity"])
        return table.reindex(columns=list(SEVERITIES), fill_value=0)

    def between(self, start, end) -> AlertTable:
        """Alerts whose ``timestamp`` falls in ``[start, end]``."""
        t = self.frame["timestamp"]
        return AlertTable(self.frame[(t >= pd.Timestamp(start)) & (t <= pd.Timestamp(end))])

    def summary(self) -> str:
        """One line per kind: alerts, critical ones, first and last date."""
        if self.frame.empty:
            return "no alert"
        lines = [f"{len(self.frame)} alert(s)"]
        for kind, g in self.frame.groupby("kind", sort=True):
            crit = int((g["severity"] == "critical").sum())
            lines.append(
                f"  {kind}: {len(g)} ({crit} critical), {g['timestamp'].min()} to "
                f"{g['timestamp'].max()}"
            )
        return "\n".join(lines)

    def __repr__(self) -> str:
        return f"AlertTable(\n{self.summary()}\n)"

    def to_csv(self, path) -> None:
        """Write the table (ISO timestamps)."""
        self.frame.to_csv(path, index=False)


def _empty() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "timestamp": pd.Series(dtype="datetime64[ns]"),
            "end": pd.Series(dtype="datetime64[ns]"),
            "asset": pd.Series(dtype=object),
            "source": pd.Series(dtype=object),
            "kind": pd.Series(dtype=object),
            "value": pd.Series(dtype=float),
            "threshold": pd.Series(dtype=float),
            "severity": pd.Series(dtype=object),
            "detail": pd.Series(dtype=object),
        }
    )


def _severity(excess: np.ndarray, critical_factor: float) -> np.ndarray:
    """``critical`` where the distance from the centre is >= critical_factor x the threshold's."""
    return np.where(np.asarray(excess) >= critical_factor, "critical", "warning")


def make_alerts(
    timestamp: Iterable,
    *,
    asset: str,
    source: str,
    kind: str,
    value: Iterable[float],
    threshold: Iterable[float],
    excess: Iterable[float],
    critical_factor: float,
    detail: Iterable[str],
    end: Iterable | None = None,
) -> pd.DataFrame:
    """Rows of an alert table (``excess``: distance from the centre over the threshold's)."""
    ts = pd.DatetimeIndex(list(timestamp))
    if len(ts) == 0:
        return _empty()
    frame = pd.DataFrame(
        {
            "timestamp": ts,
            "end": ts if end is None else pd.DatetimeIndex(list(end)),
            "asset": str(asset),
            "source": str(source),
            "kind": kind,
            "value": np.asarray(list(value), dtype=float),
            "threshold": np.asarray(list(threshold), dtype=float),
            "severity": _severity(np.asarray(list(excess), dtype=float), critical_factor),
            "detail": list(detail),
        }
    )
    return frame[ALERT_COLUMNS]


def concat_alerts(parts: Iterable[pd.DataFrame | AlertTable]) -> AlertTable:
    """One :class:`AlertTable` from several tables, sorted by timestamp, kind and source."""
    frames = [p.frame if isinstance(p, AlertTable) else p for p in parts]
    frames = [f for f in frames if not f.empty]
    if not frames:
        return AlertTable(_empty())
    frame = pd.concat(frames, ignore_index=True)
    frame = frame.sort_values(["timestamp", "kind", "source"], kind="mergesort")
    return AlertTable(frame.reset_index(drop=True))
