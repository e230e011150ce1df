"""riskkit.run: a whole run on a tiny configuration.

Checks that every output is written, that one failing asset does not lose the others, that two
runs of the same configuration give the same parameter file apart from timestamps, that a Dask
LocalCluster gives the same file as local processes, and that the warnings of a run are stored
in run.json and read back from there.
"""

from __future__ import annotations

import copy
import dataclasses
import json
import subprocess
import sys
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml

from riskkit.config import load_config
from riskkit.datasets import load_ohlcv
from riskkit.exceptions import ConvergenceWarning, DataQualityWarning, ModelError
from riskkit.margin import load_parameter_set
from riskkit.run import (
    VOLATILE_KEYS,
    RunWarning,
    asset_seeds,
    load_asset_data,
    load_run,
    run_calibration,
    strip_volatile,
)

# Tiny but complete: ~330 daily bars per asset, a 120-return window and 2 refits per side, so a
# run takes a few seconds. The model and margin settings are those of configs/default.yaml.
WINDOW, REFIT = 120, 100


def _write_prices(frame: pd.DataFrame, path: Path) -> Path:
    frame.rename_axis("date").reset_index().to_csv(path, index=False)
    return path


@pytest.fixture(scope="module")
def price_files(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Two real series (bitstamp BTC and ETH, 2020), one too short and one unreadable."""
    d = tmp_path_factory.mktemp("prices")
    btc = load_ohlcv("BTC", "bitstamp", start="2020-01-10")
    eth = load_ohlcv("ETH", "bitstamp", start="2020-01-10")
    files = {
        "BTC": _write_prices(btc, d / "btc.csv"),
        "ETH": _write_prices(eth, d / "eth.csv"),
        # 60 bars: fewer returns than the 120-return window needs
        "TINY": _write_prices(btc.iloc[:60], d / "tiny.csv"),
    }
    bad = btc.iloc[:200].copy().astype(object)
    bad.iloc[17, bad.columns.get_loc("close")] = "12,345.6"  # a thousands separator
    files["BAD"] = _write_prices(bad, d / "bad.csv")
    return files


def _config(
    tmp: Path, files: dict[str, Path], assets: list[str], figures: bool = True, **run: object
) -> Path:
    default = yaml.safe_load(
        (Path(__file__).resolve().parent.parent / "configs" / "default.yaml").read_text()
    )
    mapping = {
        "name": "tiny",
        "data": {"source": "files", "files": {a: str(files[a]) for a in assets}},
        "assets": assets,
        "model": default["model"],
        "margin": default["margin"],
        "backtest": {"window": WINDOW, "refit_every": REFIT},
        "output": {
            "directory": str(tmp / "runs"),
            "latest": str(tmp / "latest.json"),
            "figure_formats": ["png", "svg"] if figures else [],
        },
        "run": {"seed": 7, "executor": "processes", "max_workers": 2, **run},
        "report": False,
    }
    path = tmp / "tiny.yaml"
    path.write_text(yaml.safe_dump(mapping))
    return path


def test_failing_assets_do_not_lose_the_others(tmp_path: Path, price_files) -> None:
    cfg = load_config(_config(tmp_path, price_files, ["BTC", "TINY", "ETH", "BAD"]))
    result = run_calibration(cfg)
    assert result.succeeded == ["BTC", "ETH"]
    assert set(result.failed) == {"TINY", "BAD"}
    assert not result.ok
    # the stage and the reason are named
    # the calibrator's own message says why: 59 returns, fewer than the window needs
    assert result.failed["TINY"].startswith("calibrate: DataError: TINY")
    assert "59" in result.failed["TINY"] and "window" in result.failed["TINY"]
    assert result.failed["BAD"].startswith("load data: DataError")
    assert "close" in result.failed["BAD"]

    run_dir = result.run_dir
    params = load_parameter_set(run_dir / "margin_parameters.json")  # schema-valid
    assert sorted(params["assets"]) == ["BTC", "ETH"]
    # the stable "latest" path is not overwritten by a run that lost assets, and the result
    # says so (the CLI prints "latest copy" only when it was replaced)
    assert not (tmp_path / "latest.json").exists()
    assert result.latest is None
    for asset in ("BTC", "ETH"):
        for table in ("margin_path", "backtest", "coverage", "stress", "tiers", "forecasts_long"):
            assert (run_dir / "tables" / asset / f"{table}.csv").stat().st_size > 100
        for fig in ("backtest", "margin_path"):
            for ext in ("png", "svg"):
                assert (run_dir / "figures" / asset / f"{fig}.{ext}").stat().st_size > 5_000
    assert not (run_dir / "tables" / "TINY").exists()

    manifest = json.loads((run_dir / "run.json").read_text())
    assert manifest["assets"]["BTC"]["status"] == "ok"
    assert manifest["assets"]["TINY"] == {
        "status": "failed",
        "stage": "calibrate",
        "error": result.failed["TINY"].removeprefix("calibrate: "),
        "seconds": manifest["assets"]["TINY"]["seconds"],
    }
    assert manifest["assets"]["BAD"]["stage"] == "load data"
    log = (run_dir / "calibration.log").read_text()
    assert "asset TINY: stage calibrate FAILED: DataError" in log
    assert "asset BAD: stage load data FAILED: DataError" in log
    assert "stage write tables: done" in log and "finished WITH FAILURES" in log

    # reading the run back: the report's helpers
    record = load_run(run_dir)
    assert record.assets_ok == ["BTC", "ETH"]
    assert set(record.assets_failed) == {"TINY", "BAD"}
    checks = record.signoff_checks().set_index("check")
    assert not checks.loc["every asset calibrated", "passed"]
    assert checks.loc["parameter file valid against its JSON Schema", "passed"]
    table = record.parameter_table()
    assert list(table.index) == ["BTC", "ETH"]
    assert (table["mm_rate"] <= table["im_rate"]).all()
    # no data.reference_files: nothing compared, no feed_comparison.csv, an empty table
    assert not (run_dir / "feed_comparison.csv").exists()
    assert record.feed_comparison().empty and "check" in record.feed_comparison().columns

    # the run's config.yaml lists the optimiser; one written before model.backend existed was
    # fitted by arch and is read back as such
    assert record.config.model.backend == "auto"
    config_file = run_dir / "config.yaml"
    saved = yaml.safe_load(config_file.read_text())
    assert saved["model"]["backend"] == "auto"
    del saved["model"]["backend"]
    config_file.write_text(yaml.safe_dump(saved))
    old = load_run(run_dir)
    assert old.config.model.backend == "arch" and "arch optimiser" in old.config.model.describe()


def test_traffic_light_counts_match_the_backtest_battery(tmp_path: Path, price_files) -> None:
    """The report's failure counts (recomputed from the forecast CSVs) equal the counts of
    riskkit.margin's backtest battery (computed in memory by riskkit.backtest.failures)."""
    cfg = load_config(_config(tmp_path, price_files, ["BTC"], executor="serial"))
    record = load_run(run_calibration(cfg).run_dir)
    lights = record.traffic_lights(last=None)
    battery = record.tables["BTC"]["backtest"].drop_duplicates("side").set_index("side")
    for side in ("long", "short"):
        assert lights.loc[("BTC", side), "failures"] == battery.loc[side, "failures"]
        assert lights.loc[("BTC", side), "n"] == battery.loc[side, "n"]
        assert lights.loc[("BTC", side), "zone"] == battery.loc[side, "zone"]
    last = record.traffic_lights(last=100)
    assert (last["n"] == 100).all()
    battery = record.backtest_battery()
    assert battery.index.get_level_values("asset").unique().tolist() == ["BTC"]
    assert {"failures", "zone"} <= set(battery.columns)
    assert any(str(c).endswith("pvalue") for c in battery.columns)

    # model failures: only one in force on the publication date fails the sign-off; earlier
    # ones (each replaced by the last good margin) are listed as evidence
    check = "no model failure on the publication date"
    for in_force, passed in ((False, True), (True, False)):
        params = copy.deepcopy(record.parameters)
        params["assets"]["BTC"]["model_failures"] = {
            "count": 3,
            "last_date": "2020-03-13",
            "bound": 1.0,
            "in_force": in_force,
        }
        checks = dataclasses.replace(record, parameters=params).signoff_checks()
        row = checks[checks["check"].str.startswith(check)].iloc[0]
        assert bool(row["passed"]) is passed
        assert "BTC: 3 date(s), last 2020-03-13" in row["evidence"]


def _same_apart_from_timestamps(a: Path, b: Path) -> None:
    texts = [json.loads(p.read_text()) for p in (a, b)]
    assert all(t["created_utc"] for t in texts)  # the timestamp is there, and is all we remove
    stripped = [strip_volatile(t) for t in texts]
    assert stripped[0] == stripped[1]
    assert stripped[0]["assets"]["BTC"]["im_rate"] > 0
    removed = set(_keys(texts[0])) - set(_keys(stripped[0]))
    assert removed and removed <= VOLATILE_KEYS  # nothing but volatile keys was removed


def test_same_config_twice_same_parameter_file(tmp_path: Path, price_files) -> None:
    cfg = load_config(_config(tmp_path, price_files, ["BTC"], figures=False, executor="serial"))
    first, second = run_calibration(cfg), run_calibration(cfg)
    assert first.run_dir != second.run_dir
    _same_apart_from_timestamps(first.parameter_file, second.parameter_file)
    # a complete run refreshes the stable copy of the latest parameter file
    latest = json.loads((tmp_path / "latest.json").read_text())
    assert latest == json.loads(second.parameter_file.read_text())
    assert second.latest == tmp_path / "latest.json"


@pytest.mark.slow
def test_dask_local_cluster_equals_local_processes(tmp_path: Path, price_files) -> None:
    pytest.importorskip("distributed")
    cfg = load_config(_config(tmp_path, price_files, ["BTC", "ETH"], figures=False))
    processes = run_calibration(cfg)
    dask = run_calibration(cfg.replace(executor="local"))
    assert json.loads((dask.run_dir / "run.json").read_text())["executor"] == "local"
    _same_apart_from_timestamps(processes.parameter_file, dask.parameter_file)
    for asset in ("BTC", "ETH"):  # the tables agree too (CSV text from the same numbers)
        a = (processes.run_dir / "tables" / asset / "margin_path.csv").read_text()
        b = (dask.run_dir / "tables" / asset / "margin_path.csv").read_text()
        assert a == b


def _keys(obj: object) -> list[str]:
    if isinstance(obj, dict):
        return list(obj) + [k for v in obj.values() for k in _keys(v)]
    if isinstance(obj, list):
        return [k for v in obj for k in _keys(v)]
    return []


def test_no_asset_calibrated_is_a_failed_run(tmp_path: Path, price_files) -> None:
    cfg = load_config(_config(tmp_path, price_files, ["TINY"], executor="serial"))
    result = run_calibration(cfg)
    assert result.succeeded == [] and result.parameter_file is None
    assert "parameter file" in result.stage_errors
    assert json.loads((result.run_dir / "run.json").read_text())["ok"] is False


def test_asset_seeds_depend_only_on_position() -> None:
    # reference: numpy's SeedSequence spawning, as riskkit.parallel.spawn_seeds documents
    ref = [int(s.generate_state(1, dtype=np.uint32)[0]) for s in np.random.SeedSequence(5).spawn(4)]
    assert asset_seeds(5, 4) == ref
    assert asset_seeds(5, 2) == ref[:2]
    assert len(set(ref)) == 4


def test_strip_volatile_removes_only_timestamps() -> None:
    data = {"created_utc": "x", "a": [{"created_utc": "y", "b": 1}], "provenance": {"level": 0.99}}
    assert strip_volatile(data) == {"a": [{"b": 1}], "provenance": {"level": 0.99}}


def test_binance_source_goes_through_riskkit_download(monkeypatch: pytest.MonkeyPatch) -> None:
    """The Binance path asks riskkit.download for the configured symbol, market and dates (the
    download itself is replaced: tests never touch the network)."""
    import riskkit.download

    calls = []
    bars = load_ohlcv("BTC", "bitstamp", start="2020-01-01", end="2020-03-31")

    def fake_download_klines(symbol, interval, start, end, market="spot", **kwargs):
        calls.append((symbol, interval, start, end, market))
        return bars

    monkeypatch.setattr(riskkit.download, "download_klines", fake_download_klines)
    from riskkit.config import validate_config

    cfg = validate_config(
        {
            "assets": ["BTC", "ETH"],
            "data": {
                "source": "binance",
                "start": "2020-01-01",
                "end": "2020-03-31",
                "binance": {"market": "um", "symbols": {"ETH": "ETHUSDC"}},
            },
        }
    )
    loaded = load_asset_data(cfg)
    assert calls == [
        ("BTCUSDT", "1d", "2020-01-01", "2020-03-31", "um"),
        ("ETHUSDC", "1d", "2020-01-01", "2020-03-31", "um"),
    ]
    assert [d.error for d in loaded] == [None, None]
    assert loaded[0].quality["bars"] == len(bars) == 91
    assert loaded[0].quality["rows_changed_by_cleaning"] == 0 and loaded[0].issues is None


def planted_warnings(asset, ohlcv, settings, **kwargs):
    """A calibrator that raises known warnings, then fails (so the test needs no calibration)."""
    for _ in range(3):
        warnings.warn(f"{asset}: planted convergence trouble", ConvergenceWarning, stacklevel=1)
    warnings.warn(f"{asset}: planted data note", DataQualityWarning, stacklevel=1)
    raise ModelError(f"{asset}: planted failure")


def blas_threads(asset, ohlcv, settings, **kwargs):
    """A calibrator that reports the BLAS thread counts it runs with, as its failure."""
    from threadpoolctl import threadpool_info

    counts = sorted({int(lib["num_threads"]) for lib in threadpool_info()})
    raise ModelError(f"threads {counts}")


def test_run_asset_limits_blas_through_the_one_helper(monkeypatch) -> None:
    # review style 19: run_asset called threadpool_limits itself instead of riskkit.parallel's
    # single_blas_thread, the one implementation every executor uses
    import contextlib

    from threadpoolctl import threadpool_limits

    from riskkit.config import validate_config
    from riskkit.parallel import single_blas_thread
    from riskkit.run import orchestrate

    entered = []

    @contextlib.contextmanager
    def counted():
        entered.append(1)
        with single_blas_thread():
            yield

    monkeypatch.setattr(orchestrate, "single_blas_thread", counted)
    task = orchestrate.AssetTask(
        asset="BTC",
        ohlcv=load_ohlcv("BTC", "bitstamp", start="2020-01-01", end="2020-01-31"),
        config=validate_config({"assets": ["BTC"]}),
        seed=1,
        calibrator=blas_threads,
    )
    with threadpool_limits(limits=2):
        outcome = orchestrate.run_asset(task)
    assert entered == [1]
    assert "threads [1]" in outcome.error


def test_warnings_are_stored_in_run_json_and_read_back(tmp_path: Path, price_files) -> None:
    cfg = load_config(_config(tmp_path, price_files, ["BTC"], figures=False, executor="serial"))
    result = run_calibration(cfg, calibrator=planted_warnings)
    assert result.failed == {"BTC": "calibrate: ModelError: BTC: planted failure"}
    assert [(w.category, w.message, w.count) for w in result.warnings] == [
        ("ConvergenceWarning", "BTC: planted convergence trouble", 3),
        ("DataQualityWarning", "BTC: planted data note", 1),
    ]
    assert all(w.asset == "BTC" and w.stage == "calibrate" for w in result.warnings)
    assert result.warnings[0].source.startswith("tests/test_run.py:")
    manifest = json.loads((result.run_dir / "run.json").read_text())
    assert [RunWarning.from_dict(w) for w in manifest["warnings"]] == result.warnings
    log = (result.run_dir / "calibration.log").read_text()
    assert "asset BTC: ConvergenceWarning: BTC: planted convergence trouble [raised 3 times]" in log
    # read back from run.json, not from the log
    (result.run_dir / "calibration.log").unlink()
    table = load_run(result.run_dir).model_warnings()
    assert list(table.columns) == ["asset", "stage", "warning", "detail", "count", "source"]
    assert table["warning"].tolist() == ["ConvergenceWarning", "DataQualityWarning"]
    assert table["count"].tolist() == [3, 1] and set(table["asset"]) == {"BTC"}


def test_old_import_paths_still_work() -> None:
    import riskkit.pipeline
    import riskkit.report
    import riskkit.run
    import riskkit.run.report

    for name in riskkit.pipeline.__all__:
        assert getattr(riskkit.pipeline, name) is getattr(riskkit.run, name)
    for name in riskkit.report.__all__:
        assert getattr(riskkit.report, name) is getattr(riskkit.run.report, name)


def test_importing_riskkit_run_loads_no_stage() -> None:
    """riskkit.run resolves its names on first use: importing it (as riskkit.run.config's
    parent) loads none of the stage modules, so the configuration never imports the run."""
    code = (
        "import sys, riskkit.run; "
        "loaded = [m for m in sys.modules if m.startswith('riskkit.run.')]; "
        "assert not loaded, loaded; "
        "riskkit.run.load_run; "
        "assert 'riskkit.run.record' in sys.modules"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


def _tiny_notebook(path: Path, code: str) -> Path:
    import nbformat

    nb = nbformat.v4.new_notebook()
    params = nbformat.v4.new_code_cell("x = 1")
    params.metadata["tags"] = ["parameters"]
    nb.cells = [params, nbformat.v4.new_code_cell(code)]
    nb.metadata["kernelspec"] = {
        "name": "python3",
        "display_name": "Python 3",
        "language": "python",
    }
    nbformat.write(nb, path)
    return path


@pytest.mark.notebook
def test_execute_all_runs_every_notebook_and_names_the_failures(tmp_path: Path) -> None:
    import nbformat

    from riskkit.exceptions import RiskkitError
    from riskkit.run.report import execute_all

    good = _tiny_notebook(tmp_path / "01_good.ipynb", "y = x * 2\ny")
    bad = _tiny_notebook(tmp_path / "02_bad.ipynb", "raise ValueError('planted')")
    after = _tiny_notebook(tmp_path / "03_after.ipynb", "z = x + 1\nz")
    out = tmp_path / "out"
    with pytest.raises(RiskkitError, match=r"failed: 02_bad \(see the log\)"):
        execute_all(out, [good, bad, after], parameters={"01_good": {"x": 21}})
    # the notebook after the failing one still ran; the parameter reached the first one
    assert (out / "03_after.html").is_file()
    executed = nbformat.read(out / "01_good.ipynb", as_version=4)
    assert executed.cells[-1].outputs[0]["data"]["text/plain"] == "42"
    assert execute_all(out, [good, after]) == [out / "01_good.ipynb", out / "03_after.ipynb"]


def test_run_record_says_what_bars_mean_and_lists_every_episode(
    tmp_path: Path, price_files
) -> None:
    path = _config(tmp_path, price_files, ["BTC"], figures=False, executor="serial")
    mapping = yaml.safe_load(path.read_text())
    mapping["margin"]["stress_episodes"] = [
        {"name": "2020-09 desk drill", "start": "2020-09-01", "end": "2020-09-07"}
    ]
    path.write_text(yaml.safe_dump(mapping))
    result = run_calibration(load_config(path))
    assert result.ok, result.failed
    manifest = json.loads((result.run_dir / "run.json").read_text())
    # daily bars: the window and refit counted in days, the 2-day horizon in 2 bars
    assert manifest["assets"]["BTC"]["bars"] == {
        "bar_interval": "1D",
        "calendar": "crypto",
        "bars_per_day": 1.0,
        "periods_per_year": 365.0,
        "window_bars": WINDOW,
        "window_span": str(pd.Timedelta(days=WINDOW)),
        "refit_every_bars": REFIT,
        "horizon_days": 2.0,
        "horizon_bars": 2.0,
    }
    params = json.loads((result.run_dir / "margin_parameters.json").read_text())
    assert params["schema_version"] == "1.2"
    btc = params["assets"]["BTC"]
    assert btc["data"]["bar_interval"] == "1D" and btc["as_of"] == "2020-12-07"
    assert "not_computed" not in btc and len(btc["tiers"]) > 1
    # the configured episode is tested; the named ones outside the data are listed, not dropped
    stress = pd.read_csv(result.run_dir / "tables" / "BTC" / "stress.csv")
    assert "2020-09 desk drill" in set(stress["scenario"])
    episodes = pd.read_csv(result.run_dir / "tables" / "BTC" / "episodes.csv").set_index("scenario")
    assert episodes.loc["2020-09 desk drill", "status"] == "tested"
    assert episodes.loc["2022-11 FTX collapse", "status"] == "not in data"
    assert episodes.loc["2025-10 liquidation cascade", "detail"].startswith(
        "the data cover 2020-01"
    )
    # March 2020 is in the data but before the first forecast of a 120-day window
    assert episodes.loc["2020-03 COVID crash (Black Thursday)", "status"] == "no margin in force"
