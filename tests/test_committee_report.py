"""The committee report: executive summary, change attribution, formatting, offline HTML.

References: the Basel Committee (1996) traffic-light boundaries for 250 observations at 99%
(green 0-4, yellow 5-9, red 10+: "Supervisory framework for the use of backtesting...",
Table 2); the binomial tail P(X >= 5) = 10.8% for Binomial(250, 1%) from scipy.stats.binom
(an independent implementation); the change table is checked against parameter files whose
differences are set by hand in the test.
"""

from __future__ import annotations

import copy
import json
import re
import shutil
from pathlib import Path

import pandas as pd
import pytest
import yaml
from scipy import stats
from test_report_render import needs_chromium, render_report  # the browser helpers

from riskkit import display
from riskkit.datasets import load_ohlcv
from riskkit.exceptions import ConfigError
from riskkit.run import load_run, run_calibration
from riskkit.run.report import CODE_SUFFIX, execute_report, export_html
from riskkit.run.summary import (
    compare_parameter_files,
    extra_parameter_sets,
    find_previous_run,
    regime_labels,
    summarize_run,
)

ROOT = Path(__file__).resolve().parent.parent


# --------------------------------------------------------------------------------------------
# formatting: one formatter for notebooks and report


def test_formatters_write_each_kind_of_number_one_way() -> None:
    assert display.level(0.99) == "99%" and display.level(0.995) == "99.5%"
    assert display.change_pp(0.012) == "+1.2 pp" and display.change_pp(-0.0301) == "-3.0 pp"
    assert display.change_pp(0.00001) == "0.0 pp"
    assert display.amount(250000) == "250,000"
    assert display.number(12345.6) == "12,346" and display.number(0.41234) == "0.412"
    assert display.pvalue(0.0004) == "<0.001" and display.pvalue(0.25801) == "0.258"
    assert display.leverage(2.0) == "2x"
    assert display.date(float("nan")) == "n/a" and display.date(pd.NaT) == "n/a"
    assert display.date("2020-03-12") == "2020-03-12"
    assert display.duration(136.4) == "2 min 16 s" and display.duration(27.479) == "27.5 s"
    # a published rate to its last digit, as the parameter file holds it: 0.16125 is exactly
    # 16.125%, which two decimals would write 16.12% (and 0.17025 as 17.03%: float rounding)
    assert display.rate(0.16125) == "16.125%" and display.rate(0.17025) == "17.025%"
    assert display.rate(0.349) == "34.90%" and display.rate(0.0) == "0.00%"
    assert display.rate_change(0.00025) == "+0.025 pp" and display.rate_change(-0.012) == "-1.20 pp"


def test_table_shows_every_cell_in_full() -> None:
    long = "a reason that is much longer than the default column width of fifty characters"
    frame = pd.DataFrame({"rate": [0.349, None], "reason": [long, "short"]})
    shown = display.table(frame, {"rate": "pct"}, caption="c", index=False)
    html = shown.to_html()
    assert long in html and "…" not in html and "..." not in html
    assert "34.9%" in html and "n/a" in html
    # numbers right-aligned, text left-aligned
    assert re.search(r'text-align:right">34\.9%<', html)
    assert re.search(r'text-align:left">short<', html)
    assert long in repr(shown)


# --------------------------------------------------------------------------------------------
# change against the previous parameter file, with its driver


def _params() -> dict:
    asset = {
        "as_of": "2020-12-07",
        "im_rate": 0.349,
        "mm_rate": 0.1745,
        "max_leverage": 2.0,
        "raw_im_rate": 0.2789,
        "collateral_haircut": 0.203,
        "liquidation_penalty": 0.013,
        "insurance_fund_fraction": 0.0,
        "adv_usd": 100_000_000.0,
        "apc": {"method": "buffer"},
        "estimator": "FHS(GJR-t)",
        "data": {"first_date": "2016-01-02", "last_date": "2020-12-07", "n_returns": 1795},
        "tiers": [
            {
                "tier": 1,
                "notional_floor": 0.0,
                "notional_cap": 250000.0,
                "im_rate": 0.349,
                "mm_rate": 0.1745,
                "max_leverage": 2.0,
                "maintenance_amount": 0.0,
            },
            {
                "tier": 2,
                "notional_floor": 250000.0,
                "notional_cap": 1e6,
                "im_rate": 0.3545,
                "mm_rate": 0.17725,
                "max_leverage": 2.0,
                "maintenance_amount": 687.5,
            },
        ],
    }
    return {
        "riskkit_version": "0.1.0",
        "schema_version": "1.2",
        "settings": {"level": 0.99, "apc": "buffer", "apc_buffer": 0.25, "haircut_level": 0.99},
        "provenance": {"data": {"seed": 1, "config": {"model": {"vol": "GARCH"}}}},
        "assets": {"BTC": asset},
    }


def test_change_table_names_the_driver_of_each_change() -> None:
    previous, current = _params(), _params()
    # a longer data window moves the margin; nothing else differs
    current["assets"]["BTC"]["data"] |= {"last_date": "2020-12-14", "n_returns": 1802}
    current["assets"]["BTC"]["im_rate"] = 0.361
    changes, drivers = compare_parameter_files(current, previous)
    row = changes.set_index(["asset", "parameter"]).loc[("BTC", "initial margin (IM)")]
    assert row["changed"] and row["driver"] == "data window"
    assert row["change"] == pytest.approx(0.012)
    unchanged = changes.set_index(["asset", "parameter"]).loc[("BTC", "collateral haircut")]
    assert not unchanged["changed"] and unchanged["driver"] == "unchanged"
    window = drivers[drivers["driver"] == "data window"].iloc[0]
    assert "2020-12-07" in window["previous"] and "2020-12-14" in window["current"]
    assert "1,802 returns" in window["current"]

    # an APC setting moves the IM but cannot move the haircut: the haircut's change is then
    # explained by no recorded input, and the table says so
    current = _params()
    current["settings"]["apc_buffer"] = 0.3
    current["assets"]["BTC"]["im_rate"] = 0.36
    current["assets"]["BTC"]["collateral_haircut"] = 0.21
    changes, drivers = compare_parameter_files(current, previous)
    by = changes.set_index(["asset", "parameter"])["driver"]
    assert by[("BTC", "initial margin (IM)")] == "APC"
    assert by[("BTC", "collateral haircut")].startswith("no recorded input differs")
    assert drivers.loc[drivers["driver"] == "APC", "item"].tolist() == ["margin.apc_buffer"]

    # the MM ratio moves the MM, never the IM: an IM that moved with it alone is unexplained
    current = _params()
    current["settings"]["mm_ratio"] = 0.6
    current["assets"]["BTC"]["mm_rate"] = 0.2094
    current["assets"]["BTC"]["im_rate"] = 0.36
    changes, drivers = compare_parameter_files(current, previous)
    by = changes.set_index(["asset", "parameter"])["driver"]
    assert by[("BTC", "maintenance margin (MM)")] == "MM settings"
    assert by[("BTC", "initial margin (IM)")].startswith("no recorded input differs")
    assert drivers["item"].tolist() == ["margin.mm_ratio"]

    # an asset added or removed is one row that says so
    current = _params()
    current["assets"]["ETH"] = copy.deepcopy(current["assets"]["BTC"])
    changes, _ = compare_parameter_files(current, previous)
    eth = changes[changes["asset"] == "ETH"]
    assert len(eth) == 1 and eth.iloc[0]["driver"] == "asset added to the run"


def test_extra_parameter_sets_are_read_whatever_their_layout() -> None:
    """Schema 1.3 sections ({venue: {asset: set}} with lists of brackets, {asset: add-ons})
    and any other '*parameter_sets' key become tables, one row per record."""
    from riskkit.margin.venue_sets import venue_parameter_sets

    params = _params()
    params["venue_parameter_sets"] = venue_parameter_sets(params["assets"], ("binance", "dydx"))
    params["perpetual"] = {"BTC": {"funding_addon": 0.001}}
    params["assets"]["BTC"]["other_parameter_sets"] = [{"cap": 0.0075}]
    extra = extra_parameter_sets(params)
    assert set(extra) == {
        "venue parameter sets: binance",
        "venue parameter sets: dydx",
        "perpetual",
        "other parameter sets",
    }
    binance = extra["venue parameter sets: binance"]
    brackets = params["venue_parameter_sets"]["binance"]["BTC"]["brackets"]
    assert len(binance) == len(brackets) and (binance["asset"] == "BTC").all()
    assert binance["maintMarginRatio"].tolist() == [b["maintMarginRatio"] for b in brackets]
    assert extra["perpetual"].iloc[0].to_dict() == {"asset": "BTC", "funding_addon": 0.001}
    assert extra["other parameter sets"].iloc[0].to_dict() == {"asset": "BTC", "cap": 0.0075}
    assert display.exact(0.14525) == "0.14525" and display.exact(3037625.0) == "3,037,625"
    assert display.exact(2.5e11) == "250,000,000,000"  # a cap in full, never "2.5e+11"
    # a level of the file without a name of its own is the file's field ("brackets")
    assert binance["field"].unique().tolist() == ["brackets"]


def _fake_run(directory: Path, started: str, ok: bool) -> Path:
    directory.mkdir(parents=True)
    (directory / "run.json").write_text(json.dumps({"started": started, "ok": ok}))
    (directory / "margin_parameters.json").write_text(json.dumps(_params()))
    return directory


def test_previous_run_is_the_latest_earlier_published_one(tmp_path: Path) -> None:
    first = _fake_run(tmp_path / "a", "2026-01-01T00:00:00+00:00", ok=True)
    assert find_previous_run(first) is None  # a first run has nothing to compare with
    second = _fake_run(tmp_path / "b", "2026-01-02T00:00:00+00:00", ok=True)
    _fake_run(tmp_path / "c", "2026-01-03T00:00:00+00:00", ok=False)  # failed: not published
    current = _fake_run(tmp_path / "d", "2026-01-04T00:00:00+00:00", ok=True)
    _fake_run(tmp_path / "e", "2026-01-05T00:00:00+00:00", ok=True)  # later: not "previous"
    assert find_previous_run(current) == second
    assert find_previous_run(second) == first
    # two runs in the same second (a small calibration takes less): ordered by the microsecond,
    # and a run.json of riskkit 0.1 (whole seconds) still compares
    fast = _fake_run(tmp_path / "f", "2026-01-06T00:00:00.250000+00:00", ok=True)
    faster = _fake_run(tmp_path / "g", "2026-01-06T00:00:00.750000+00:00", ok=True)
    assert find_previous_run(faster) == fast
    assert find_previous_run(fast) == tmp_path / "e"
    # compared as times, not as text: 23:30 on the 5th at -01:00 is 00:30 UTC on the 6th
    offset = _fake_run(tmp_path / "h", "2026-01-05T23:30:00-01:00", ok=False)
    assert find_previous_run(offset) == faster
    later = _fake_run(tmp_path / "i", "2026-01-06T00:00:00.500000-01:00", ok=True)  # 01:00 UTC
    assert find_previous_run(later) == faster


def test_traffic_light_boundaries_and_regimes() -> None:
    """The figures the report states: Basel Table 2 boundaries for 250 days at 99%, and the
    binomial tail of the correct model (10.8%, not 'below 5%')."""
    from riskkit.backtest import traffic_light

    zones = [traffic_light(k, 250, 0.99)["zone"] for k in range(12)]
    assert zones == ["green"] * 5 + ["yellow"] * 5 + ["red"] * 2
    assert 1 - stats.binom.cdf(4, 250, 0.01) == pytest.approx(0.108, abs=5e-4)
    labels = regime_labels((0.5, 0.8, 0.95))
    assert labels["vol regime 0"].startswith("volatility below its 50th percentile")
    assert labels["vol regime 3"].startswith("volatility above its 95th percentile")


# --------------------------------------------------------------------------------------------
# a real run, its summary and its report


def _write_prices(frame: pd.DataFrame, path: Path) -> Path:
    out = frame.reset_index()
    out["date"] = out["date"].dt.strftime("%Y-%m-%d")
    out.to_csv(path, index=False)
    return path


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """A previous (published) run and the current one, in one output directory; the current
    run has an asset that fails (too little data)."""
    d = tmp_path_factory.mktemp("committee")
    btc = load_ohlcv("BTC", "bitstamp", start="2020-01-10")
    files = {
        "BTC": _write_prices(btc, d / "btc.csv"),
        "TINY": _write_prices(btc.iloc[:60], d / "tiny.csv"),
    }
    default = yaml.safe_load((ROOT / "configs" / "default.yaml").read_text())

    def config(assets: list[str], end: str | None) -> Path:
        mapping = {
            "name": "committee",
            "data": {"source": "files", "files": {a: str(files[a]) for a in assets}, "end": end},
            "assets": assets,
            "model": default["model"],
            "margin": default["margin"],
            "backtest": {"window": 120, "refit_every": 100},
            "output": {"directory": str(d / "runs"), "latest": None, "figure_formats": []},
            "run": {"seed": 7, "executor": "serial"},
            "report": False,
        }
        path = d / f"{'_'.join(assets)}.yaml"
        path.write_text(yaml.safe_dump(mapping))
        return path

    previous = run_calibration(config(["BTC"], "2020-11-30")).run_dir
    current = run_calibration(config(["BTC", "TINY"], None)).run_dir
    return {"previous": previous, "current": current}


@pytest.mark.slow
def test_summary_of_a_run_with_a_failed_asset(runs: dict[str, Path]) -> None:
    summary = summarize_run(load_run(runs["current"]))
    assert not summary.ok
    assert "INCOMPLETE" in summary.status and "TINY" in summary.status
    failed = summary.failures.set_index("what").loc["asset TINY"]
    assert failed["stage"] == "calibrate" and "window" in failed["reason"]
    # the previous published run in the same directory, and what moved between the two
    assert summary.comparison.previous_run == runs["previous"]
    drivers = summary.comparison.drivers
    assert "data window" in drivers["driver"].tolist()
    assert "data" in drivers["driver"].tolist()  # a file was added (TINY)
    # data.end sets the window: it is the same driver as the asset's first and last dates
    assert drivers.set_index("item").loc["data.end", "driver"] == "data window"
    im = summary.comparison.changes.set_index(["asset", "parameter"]).loc[
        ("BTC", "initial margin (IM)")
    ]
    # a changed IM names the window among its drivers; an unchanged one says "unchanged"
    assert ("data window" in im["driver"]) if im["changed"] else im["driver"] == "unchanged"
    checks = summary.checks.set_index("check")
    assert not checks.loc["every asset calibrated", "passed"]

    # a run that wrote no parameter file says so plainly, and never "passed" on data
    record = load_run(runs["current"])
    record.parameters = None
    record.manifest = {**record.manifest, "ok": False}
    for asset in record.manifest["assets"]:
        record.manifest["assets"][asset] = {"status": "failed", "stage": "calibrate", "error": "E"}
    record.tables = {}
    failed_summary = summarize_run(record)
    assert failed_summary.status.startswith("**This run FAILED: no parameter file was written**")
    assert not failed_summary.comparison.available
    assert not failed_summary.checks["passed"].iloc[:3].any()


@pytest.mark.slow
def test_compare_with_names_a_missing_file(runs: dict[str, Path], tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="report.compare_with"):
        summarize_run(load_run(runs["current"]), tmp_path / "nope.json")
    explicit = summarize_run(load_run(runs["current"]), runs["previous"] / "margin_parameters.json")
    assert explicit.comparison.previous_run == runs["previous"]


def _text_of(html: str) -> str:
    """Visible text of an HTML page: scripts and styles removed, tags stripped."""
    body = html[html.find("<body") :]
    body = re.sub(r"<(script|style)\b.*?</\1>", " ", body, flags=re.S)
    return re.sub(r"<[^>]+>", " ", body)


@pytest.fixture(scope="module")
def report_html(runs: dict[str, Path]) -> Path:
    executed = execute_report(runs["current"], timeout=600)
    return executed.with_suffix(".html")


@pytest.mark.slow
def test_committee_report_opens_with_the_summary_and_shows_no_code(report_html: Path) -> None:
    html = report_html.read_text(encoding="utf-8")
    text = _text_of(html)
    # the executive summary first, then the change table, the checklist, the definitions
    order = [
        "Executive summary",
        "Parameters to publish",
        "Change against the previous parameter file",
        "Sign-off checklist",
        "Definitions",
        "1. The run",
    ]
    positions = [text.find(h) for h in order]
    assert all(p >= 0 for p in positions), dict(zip(order, positions, strict=True))
    assert positions == sorted(positions)
    # the failure is said plainly
    assert "INCOMPLETE" in text and "asset TINY" in text
    # no code, no course material, no prompts
    assert 'class="jp-CodeMirrorEditor' not in html and 'class="highlight' not in html
    assert 'class="jp-InputPrompt' not in html and "import " not in text
    assert "Exercises" not in text and "run_dir = " not in text
    # formatted numbers: no truncated cell, no raw float, no nan dates, no negative day counts
    assert "…" not in text
    assert not re.search(r"\b0\.9900+\b", text) and not re.search(r"\bnan\b", text)
    assert "None" not in text and "-16790" not in text
    # offline: MathJax from a local copy, nothing from a CDN
    assert "cdnjs" not in html and "cdn.jsdelivr" not in html
    src = re.search(r'<script[^>]+src="([^"]*MathJax\.js[^"]*)"', html).group(1)
    assert not src.startswith("http")
    assert (report_html.parent / src.split("?")[0]).is_file()
    # the appendix with the code is next to it, and linked
    code = report_html.with_name(f"{report_html.stem}{CODE_SUFFIX}.html")
    assert code.name in html and code.is_file()
    assert 'class="jp-CodeMirrorEditor' in code.read_text(encoding="utf-8")


_OVERFLOW_PROBE = """
<script>
window.addEventListener("load", function () {
  setTimeout(function () {
    var wide = [];
    document.querySelectorAll(".jp-OutputArea-output").forEach(function (e) {
      if (e.scrollWidth > e.clientWidth + 1) { wide.push(e.innerText.slice(0, 80)); }
    });
    document.body.setAttribute("data-wide", JSON.stringify(wide));
    document.body.setAttribute("data-page-width", String(document.documentElement.scrollWidth));
  }, 5000);
});
</script>
"""


@needs_chromium
@pytest.mark.slow
def test_report_renders_maths_offline_without_horizontal_scrolling(
    report_html: Path, tmp_path: Path
) -> None:
    """In headless Chromium at 1200 px: formulas typeset by the local MathJax (no raw $ left in
    the text), and no output (the p-value table included) wider than the page."""
    probe = report_html.with_name("probe.html")
    probe.write_text(
        report_html.read_text(encoding="utf-8").replace("</body>", _OVERFLOW_PROBE + "</body>")
    )
    try:
        dom = render_report.dump_dom(probe, width=1200)
    finally:
        probe.unlink()
    assert "MathJax" in dom and re.search(r'class="MathJax', dom), "MathJax did not typeset"
    assert "$" not in _text_of(dom), "raw $ left in the rendered page"
    wide = json.loads(re.search(r'data-wide="([^"]*)"', dom).group(1).replace("&quot;", '"'))
    assert wide == [], f"outputs wider than 1200 px: {wide}"
    width = int(re.search(r'data-page-width="(\d+)"', dom).group(1))
    assert width <= 1200


@needs_chromium
@pytest.mark.slow
def test_export_html_typesets_maths_offline(tmp_path: Path) -> None:
    import nbformat

    nb = nbformat.v4.new_notebook()
    nb.cells = [
        nbformat.v4.new_markdown_cell(r"The loss $-r$ and $\sqrt{252/365}$; Binomial$(n, 0.01)$.")
    ]
    path = tmp_path / "maths.ipynb"
    nbformat.write(nb, path)
    html = export_html(path, code=False)
    dom = render_report.dump_dom(html, width=1200)
    assert re.search(r'class="MathJax', dom)
    assert "$" not in _text_of(dom)
    shutil.rmtree(tmp_path / "_static")


def test_margin_path_figure_states_its_clipping() -> None:
    """One figure function for the run, the report and the notebooks: a cap is said in the
    title (dates cut, largest value), and so are values above 100% when drawn unclipped."""
    from riskkit.run.figures import margin_paths_figure

    index = pd.date_range("2020-03-01", periods=5, freq="D")
    path = pd.Series([0.3, 0.8, 1.4, 1.1, 0.5], index=index)
    ax = margin_paths_figure({"IM": path}, title="t", cap=1.0)
    assert "clipped at 100% of notional: 2 date(s) above, largest 140%" in ax.get_title()
    assert ax.get_lines()[0].get_ydata().max() == pytest.approx(100.0)  # drawn in percent
    ax = margin_paths_figure({"IM": path}, title="t")
    assert "not clipped: 2 date(s) above 100% of notional" in ax.get_title()
    assert ax.get_lines()[0].get_ydata().max() == pytest.approx(140.0)
    assert margin_paths_figure({"IM": path * 0.5}, title="t").get_title() == "t"


@pytest.mark.slow
def test_a_run_that_failed_gets_a_report_saying_what_failed(tmp_path: Path) -> None:
    """No asset calibrated, no parameter file: the run still writes its report, which says so
    first and lists each failure with its stage and reason (no placeholder numbers)."""
    btc = load_ohlcv("BTC", "bitstamp", start="2020-01-10")
    tiny = _write_prices(btc.iloc[:60], tmp_path / "tiny.csv")
    default = yaml.safe_load((ROOT / "configs" / "default.yaml").read_text())
    path = tmp_path / "failing.yaml"
    path.write_text(
        yaml.safe_dump(
            {
                "name": "failing",
                "data": {"source": "files", "files": {"TINY": str(tiny)}},
                "assets": ["TINY"],
                "margin": default["margin"],
                "backtest": {"window": 120, "refit_every": 100},
                "output": {"directory": str(tmp_path / "runs"), "latest": None},
                "run": {"seed": 1, "executor": "serial"},
                "report": {"enabled": True, "all_notebooks": False},
            }
        )
    )
    result = run_calibration(path)
    assert result.parameter_file is None and result.report is not None
    text = _text_of(result.report.with_suffix(".html").read_text(encoding="utf-8"))
    assert "This run FAILED: no parameter file was written" in text
    assert "asset TINY" in text and "window=120 needs at least" in text
    assert "This run wrote no parameter file: there is nothing to compare." in text
    assert "margin period of risk" in text and "2 day(s)" in text  # from the configuration
    assert "None" not in text and not re.search(r"\bnan\b", text)
