"""``riskkit detect-anomalies``: the alert table from files, and its errors."""

from __future__ import annotations

import pandas as pd
import pytest

from riskkit.anomaly import ALERT_COLUMNS, plant_anomalies
from riskkit.cli import EXIT_FAILED, EXIT_OK, EXIT_USAGE, main


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    d = tmp_path_factory.mktemp("anomaly_cli")
    m = plant_anomalies(days=40, events_per_kind=2, warmup=200, trades_per_bar=10, seed=3)
    m.bars.drop(columns="count").to_csv(d / "a.csv")
    for name, s in (("b", m.reference), ("usdx", m.stable), ("mark", m.mark), ("index", m.index)):
        s.rename("close").to_frame().to_csv(d / f"{name}.csv")
    return d, m


def test_detect_anomalies_writes_the_alert_table(files, capsys):
    d, m = files
    out = d / "alerts.csv"
    argv = [
        "detect-anomalies",
        str(d / "a.csv"),
        "--compare-with",
        str(d / "b.csv"),
        "--collateral",
        str(d / "usdx.csv"),
        "--mark",
        str(d / "mark.csv"),
        "--index",
        str(d / "index.csv"),
        "--asset",
        "SYN",
        "--set",
        "window=200",
        "--csv",
        str(out),
    ]
    assert main(argv) == EXIT_OK
    assert "alert table written" in capsys.readouterr().out
    table = pd.read_csv(out, parse_dates=["timestamp", "end"])
    assert list(table.columns) == ALERT_COLUMNS
    # every planted depeg, cross-venue deviation and mark divergence is in the file
    for kind, detector in (
        ("depeg", "depeg"),
        ("cross_venue", "cross_source"),
        ("mark_divergence", "mark_index"),
    ):
        found = table[table["kind"] == detector]
        for _, ev in m.truth[m.truth["kind"] == kind].iterrows():
            inside = found["timestamp"].between(ev["start"], ev["end"])
            assert inside.any(), (kind, ev["start"])
    assert set(table.loc[table["kind"] == "depeg", "source"]) == {"a.csv"}
    assert (table.loc[table["kind"] == "mark_index", "source"] == "a.csv mark vs index").all()


def test_detect_anomalies_bad_setting_names_the_flag(files, capsys):
    d, _ = files
    assert main(["detect-anomalies", str(d / "a.csv"), "--set", "windw=300"]) == EXIT_USAGE
    err = capsys.readouterr().err
    assert "--set" in err and "did you mean 'window'" in err
    assert main(["detect-anomalies", str(d / "a.csv"), "--csv", str(d / "a.csv")]) == EXIT_USAGE
    assert "input file" in capsys.readouterr().err


def test_detect_anomalies_bad_files_and_flags_are_named(files, tmp_path, capsys):
    d, m = files
    a = str(d / "a.csv")
    # mark and index that share no bar with the prices: the message names the files
    later = m.mark.rename("close").to_frame().set_axis(m.mark.index + pd.Timedelta("400D"))
    later.to_csv(tmp_path / "later.csv")
    argv = ["detect-anomalies", a, "--mark", str(tmp_path / "later.csv"), "--index"]
    assert main([*argv, str(d / "index.csv")]) == EXIT_FAILED
    err = capsys.readouterr().err
    assert "no timestamp in common" in err and "--mark " + str(tmp_path / "later.csv") in err
    # a daily file against hourly bars: refused, not silently compared on a few timestamps
    daily = m.reference.resample("1D").last().rename("close").to_frame()
    daily.to_csv(tmp_path / "daily.csv")
    assert (
        main(["detect-anomalies", a, "--compare-with", str(tmp_path / "daily.csv")]) == EXIT_FAILED
    )
    assert "1h bars and daily.csv 1D bars" in capsys.readouterr().err
    assert main(["detect-anomalies", a, "--set", "window=20"]) == EXIT_USAGE
    assert "min_periods 50 exceeds window 20" in capsys.readouterr().err
    assert main(["detect-anomalies", a, "--set", "window=[1"]) == EXIT_USAGE
    assert "--set: window=[1: not a number" in capsys.readouterr().err
    assert main(["detect-anomalies", a, "--peg", "-1"]) == EXIT_USAGE
    assert "--peg must be a positive price" in capsys.readouterr().err
    # too short for any calibrated threshold: said, not a bare "no alert"
    m.bars.drop(columns="count").iloc[:30].to_csv(tmp_path / "short.csv")
    assert main(["detect-anomalies", str(tmp_path / "short.csv")]) == EXIT_OK
    assert "min_periods = 50" in capsys.readouterr().err
