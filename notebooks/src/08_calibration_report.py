# ---
# jupyter:
#   kernelspec:
#     display_name: Python 3
#     language: python
#     name: python3
# ---

# %% [markdown]
# # 8. The calibration report: what a risk committee signs off
#
# **The question.** A margin model is only as good as the evidence behind it. Before a venue
# publishes new initial and maintenance margin rates, its risk committee wants one document that
# answers five questions: *Which data, and were they clean? Which model, and why? Did the model's
# past forecasts hold up out of sample? What do the margins look like through time, including in
# a crisis, and how does the anti-procyclicality tool change them? What exactly are we
# publishing?*
#
# **The idea.** `riskkit calibrate --config FILE` writes everything a run computed into a run
# directory (parameter file, tables, figures, log, a manifest). This notebook reads that
# directory back with `riskkit.run.load_run` and lays the evidence out in the order a
# committee reads it, ending with a checklist of pass/fail conditions. It is executed by the
# pipeline itself (papermill injects `run_dir`), so the report of every run is built the same way.
#
# Run on its own with `run_dir = ""` (as in the test-suite), it first performs a small, fast
# calibration with the default configuration on the last two years of data, so that every cell
# has something to show.

# %%
import tempfile
import warnings
from pathlib import Path

import matplotlib.pyplot as plt
import pandas as pd
import seaborn as sns
from IPython.display import Markdown, display

from riskkit.backtest import plot_backtest
from riskkit.margin import compare_paths, venue_comparison
from riskkit.run import demo_config, load_run, run_calibration

# %% tags=["parameters"]
run_dir = ""  # a run directory written by `riskkit calibrate`; "" runs a small demo calibration
config_path = "../configs/default.yaml"  # configuration of the demo run (when run_dir is "")
demo_years = 2.0  # history of the demo run, in years before the last bar
demo_window = 250  # estimation window of the demo run (returns)
demo_refit_every = 50  # forecast days between GARCH refits in the demo run
backtest_days = 250  # the Basel traffic light counts failures over the last 250 days

# %%
sns.set_theme(style="whitegrid", context="notebook")
pd.set_option("display.width", 120, "display.max_columns", 20, "display.precision", 4)

if not run_dir:
    demo_dir = Path(tempfile.mkdtemp(prefix="riskkit-report-"))
    config = demo_config(
        config_path, demo_dir, years=demo_years, window=demo_window, refit_every=demo_refit_every
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # they are stored in run.json, shown in section 3
        result = run_calibration(config, report=False, progress=False)
    run_dir = result.run_dir
run = load_run(run_dir)
cfg = run.config
print(f"run directory: {run.run_dir}")

# %% [markdown]
# ## 1. The run
#
# Everything needed to reproduce the numbers: the configuration's fingerprint (a SHA-256 of
# every setting that changes a number; the executor and output paths are left out because they
# do not), the seed, the riskkit version and the data's checksum.

# %%
p = run.parameters or {}
prov = p.get("provenance", {})
summary = pd.Series(
    {
        "configuration": f"{cfg.name} ({run.manifest['config_source']})",
        "fingerprint": run.manifest["config_sha256"][:16],
        "started (UTC)": run.manifest["started"],
        "wall time (s)": run.manifest["elapsed_seconds"],
        "riskkit version": run.manifest["riskkit_version"],
        "executor": run.manifest["executor"],
        "seed": cfg.seed,
        "data": f"{cfg.data.source} {cfg.data.exchange if cfg.data.source == 'bundled' else ''}",
        "data sha256": str(prov.get("data_sha256", ""))[:16],
        "assets": ", ".join(cfg.assets),
    },
    name="value",
)
display(summary.to_frame())
status = pd.DataFrame(run.manifest["assets"]).T.rename_axis("asset")
display(status)

# %% [markdown]
# ## 2. Data quality
#
# The raw rows of each series are checked by `riskkit.data.validate` *before* cleaning; every
# defect is listed with its dates. Cleaning removes only what cannot be a price (duplicate days,
# zero or negative prices, impossible bars), each step logged; gaps stay gaps, and no return is
# ever computed across one.

# %%
cols = ["asset", "first_bar", "last_bar", "bars", "missing_days", "defects_raw"]
cols += ["rows_changed_by_cleaning"]
display(run.quality[[c for c in cols if c in run.quality.columns]].set_index("asset"))
if len(run.issues):
    shown = run.issues.drop(columns=["rows"], errors="ignore")
    display(shown.groupby(["asset", "check", "severity"]).size().rename("defects").to_frame())
    display(shown.head(12))

# %% [markdown]
# **A second source.** With `data.reference_files` (another venue, a vendor, the mark price),
# each asset's prices are compared with that source (`riskkit.data.compare_feeds`): quantiles of
# the deviation, bars beyond 0.5%, the lag that best aligns the two, stale stretches and bars
# one source lacks. A feed that lags or freezes is a defect the price checks of one file cannot
# see.

# %%
feeds = run.feed_comparison()  # feed_comparison.csv; empty when nothing was compared
if len(feeds):
    beyond = feeds["check"] == "beyond_threshold"
    display(feeds[~beyond].set_index(["asset", "check"]))
    if beyond.any():
        print(f"{int(beyond.sum())} bar(s) beyond the threshold, the first of them:")
        display(feeds[beyond].head(5).set_index(["asset", "check"]))
elif cfg.data.reference_files:
    print("no asset with a second source was loaded: nothing is compared")
else:
    print("no second source configured (data.reference_files): nothing is compared")

# %% [markdown]
# ## 3. Model choice
#
# The 1-day VaR and ES of the loss are forecast with the model below, refitted every
# `refit_every` days on a moving window of `window` daily log returns, for the long position's
# loss $-r$ and the short position's loss $+r$ separately (crypto return distributions are not
# symmetric). Filtered historical simulation (Barone-Adesi, Giannopoulos and Vosper, 1999)
# rescales the model's past standardised residuals by today's volatility forecast: the tails come
# from the data, the clustering of volatility from the GARCH filter. When the optimiser fails,
# riskkit falls back to EWMA; a fit on the stationarity boundary is kept as an integrated GARCH
# (`model.on_integrated`); either way it says so: the count of such warnings is part of the
# evidence.

# %%
bars = {a: v.get("bars", {}) for a, v in run.manifest["assets"].items()}
intervals = sorted({b.get("bar_interval", "1D") for b in bars.values()}) or ["1D"]
model = pd.Series(
    {
        "estimator": cfg.model.describe(),
        "risk measure": f"{cfg.margin.measure.upper()} at {run.level:.3g}",
        "bar interval": ", ".join(intervals),
        "margin period of risk (days)": p.get("settings", {}).get("horizon_days"),
        "estimation window (bars)": cfg.window,
        "refit every (bars)": cfg.refit_every,
        "anti-procyclicality": p.get("settings", {}).get("apc"),
    },
    name="value",
)
display(model.to_frame())
warn = run.model_warnings()  # stored in run.json by the run, one row per distinct message
if len(warn):
    counts = warn.groupby(["asset", "warning"])["count"]
    display(counts.agg(distinct_messages="size", times_raised="sum"))
    display(warn[["asset", "stage", "warning", "detail", "count"]].head(8))
else:
    print("no warning was raised against any asset")

# %% [markdown]
# ## 4. Backtest evidence
#
# Every forecast below was made with data up to the day before (no look-ahead). A *failure* is
# a day whose realised loss exceeds the VaR forecast. With a correct 99% VaR, failures are
# Binomial$(n, 0.01)$; the Basel Committee (1996) traffic light turns yellow when the number of
# failures in 250 days would occur with probability below 5% under a correct model (5 or more)
# and red below 0.01% (10 or more).

# %%
lights = run.traffic_lights(backtest_days)
display(lights)
battery = run.backtest_battery()
display(battery.style.format(precision=3).set_caption("p-values of the backtest battery"))

# %%
for asset in run.assets_ok:
    fc = run.tables[asset]["forecasts_long"]
    ax = plot_backtest(
        fc, run.level, title=f"{asset}: long position, out-of-sample VaR and ES forecasts"
    )
    ax.set_xlabel("forecast date (UTC)")
    plt.show()

# %% [markdown]
# **What it means.** Green on both sides says the number of failures is what a correct model
# produces; the p-values of the battery (Kupiec's proportion of failures, Christoffersen's
# independence and conditional coverage, the duration test, and the ES tests of Acerbi-Szekely
# and McNeil-Frey) add whether failures cluster or are too large. A margin model must avoid
# clustered failures: they mean losses larger than the margin on consecutive days, exactly when
# members are weakest.

# %% [markdown]
# ## 5. Margin path and anti-procyclicality
#
# The model margin over the margin period of risk is converted to a two-sided rate on notional,
# then the APC tool of EMIR RTS 153/2013 Art. 28(1) is applied, and the result is rounded up to
# the venue's step and floored/capped (*published* margin). The figure shows each stage; the
# table measures procyclicality (peak-to-trough ratio and the largest 1-, 5- and 30-day rises,
# Murphy, Vasios and Vause, 2014): an APC tool earns its cost (a higher average margin) if it
# makes the rises smaller.

# %%
for asset in run.assets_ok:
    mp = run.tables[asset]["margin_path"]
    fig, ax = plt.subplots(figsize=(10, 3.6))
    ax.plot(mp.index, mp["raw_im"], lw=0.8, label="model margin (before APC)")
    ax.plot(mp.index, mp["charged_im"], lw=1.1, label="after APC")
    ax.plot(mp.index, mp["im"], lw=1.1, label="published initial margin")
    ax.plot(mp.index, mp["mm"], lw=1.1, ls="--", label="published maintenance margin")
    ax.set_xlabel("date (UTC)")
    ax.set_ylabel("margin rate (fraction of notional)")
    ax.set_title(f"{asset}: margin path, APC '{p.get('settings', {}).get('apc')}'")
    ax.legend(loc="upper left", fontsize=8)
    plt.show()
    display(
        compare_paths(
            {"model": mp["raw_im"], "after APC": mp["charged_im"], "published IM": mp["im"]}
        )
        .style.format("{:.3f}")
        .set_caption(f"{asset}: procyclicality of the margin path")
    )

# %% [markdown]
# ## 6. Coverage of the margin by realised losses
#
# The decisive test of a margin is not the 1-day model but the margin itself: how often did
# the realised loss over the margin period exceed the margin in force at its start (set from
# data up to the day before)? Breach rates
# by year and by volatility regime show whether coverage holds in calm and in stress.

# %%
for asset in run.assets_ok:
    t = run.tables[asset]
    cov = t["coverage"].set_index(["margin", "group"])
    display(cov.style.format(precision=4).set_caption(f"{asset}: breaches of the margin"))
    display(t["coverage_tests"].set_index(["margin", "side", "test"]))

# %% [markdown]
# ## 7. Position tiers
#
# Large positions take longer to liquidate, so they are exposed for longer and move the price
# when they are closed. The tier table raises the rates with notional, and the maintenance
# amount keeps the maintenance margin continuous at every tier boundary. A series without
# volume has no tiers: the liquidity add-on needs the traded value ("not computed" below).

# %%
skipped = run.not_computed()
for asset in run.assets_ok:
    if "tiers" in run.tables[asset]:
        tiers = run.tables[asset]["tiers"].set_index("tier")
        display(tiers.style.format(precision=4).set_caption(f"{asset}: position tiers (USD)"))
    else:
        why = skipped.loc[(skipped["asset"] == asset) & (skipped["output"] == "tiers"), "reason"]
        print(f"{asset}: position tiers not computed ({'; '.join(why) or 'no table'})")

# %% [markdown]
# ## 8. Stress results
#
# Historical episodes (the worst realised moves in the data) and hypothetical shocks, each with
# the shortfall of the margin that would have been posted: a positive shortfall is a loss the
# member's margin would not have covered, to be met by the insurance fund.

# %%
for asset in run.assets_ok:
    stress = run.tables[asset]["stress"]
    display(stress.style.format(precision=4).set_caption(f"{asset}: stress scenarios"))

# %% [markdown]
# Which named episodes (`riskkit.events.STRESS_EPISODES`, and those of the configuration's
# `margin.stress_episodes`) the data allowed to test: an episode outside the data, or before the
# first margin, is listed as such rather than silently left out.

# %%
for asset in run.assets_ok:
    episodes = run.tables[asset].get("episodes")
    if episodes is not None:
        display(episodes.set_index("scenario").style.set_caption(f"{asset}: stress episodes"))

# %% [markdown]
# ## 9. Beside the rates venues publish
#
# Each asset's calibrated rates beside the rates venues publish for *that* asset
# (`riskkit.margin.venue_comparison`; BTC and ETH rows, none for other assets), each quoted as
# published on its date by its source. `minutes to MM` is the time over which the calibrated
# model's loss on the last date (its 1-day measure scaled by the square root of time) uses up
# the row's maintenance margin, the cushion left when a position is liquidated: a venue must
# close positions faster than that. Rows dated more than a year from the data are flagged.

# %%
measured = {
    a: q
    for a, q in p.get("assets", {}).items()
    if q.get("daily_measure_long") and q.get("daily_measure_short")
}
venues = venue_comparison(measured)
venues["minutes to MM"] = 60 * venues.pop("mm_hours")
cols = ["im_rate", "mm_rate", "max_leverage", "as_of", "date_flag", "minutes to MM", "source"]
display(venues[cols].style.format(precision=4).set_caption("calibrated and published rates"))

# %% [markdown]
# ## 10. The parameters to publish, and the checklist
#
# The rates on the last forecast date, as written to `margin_parameters.json` (validated
# against its JSON Schema). All rates are fractions of notional.

# %%
display(run.parameter_table())
if len(skipped):
    # outputs the data did not allow (a close-only series): null in the file, with the reason
    display(skipped.set_index(["asset", "output"]).style.set_caption("not computed"))
failures = run.model_failures()
if len(failures) and (failures["count"] > 0).any():
    # raw margins that were not finite or above the sanity bound: never published, the last
    # good margin kept (tables/<ASSET>/model_failures.csv lists every date and reason)
    display(failures.set_index("asset").style.set_caption("model failures"))
checks = run.signoff_checks()
display(
    checks.style.map(
        lambda v: "color: green" if v is True else ("color: red" if v is False else ""),
        subset=["passed"],
    )
)
verdict = "all checks passed" if checks["passed"].all() else "some checks FAILED: see above"
display(Markdown(f"**Verdict: {verdict}.**"))

# %% [markdown]
# **What it means.** The checklist does not replace judgement: a yellow zone in one year of
# coverage can be acceptable if the committee understands it (a regime change, a data defect),
# and a green zone on a short sample proves little. What it guarantees is that nobody signs off
# a parameter file that failed its schema, was computed on modified data, or whose model
# failures were never looked at.
#
# ## Exercises
#
# 1. Re-run the report on a configuration with `apc: floor` and then `apc: stressed_weight`
#    (`riskkit calibrate --config ...`, then `riskkit report RUN_DIR`). Which tool gives the
#    smallest 30-day margin increase, and at what cost in average margin?
# 2. Raise `margin.level` from 0.99 to 0.995 (the EMIR minimum for OTC derivatives). By how much
#    do the published rates rise, and does the coverage table change zone?
# 3. The traffic light counts failures over 250 days. Set `backtest_days = 500` above: how does
#    the Basel table scale with the number of observations (see
#    `riskkit.backtest.traffic_light_table`)?
# 4. Calibrate the same configuration twice with `executor: processes` and `executor: local`
#    (a Dask cluster) and compare the two parameter files with
#    `riskkit.run.strip_volatile`. Why are they identical apart from the timestamps?
