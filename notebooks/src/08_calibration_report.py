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
# This report lays out one calibration run of the margin model for the risk committee: first
# what is proposed for publication, how it differs from the parameters published last time and
# why, and the checklist to sign off; then the evidence behind each number (data, model,
# backtests, margin path, coverage, tiers, stress). Every number is read from the run directory
# that `riskkit calibrate` wrote; the code that reads it is in the appendix.

# %% [markdown] tags=["course-only"]
# **The question.** A margin model is only as good as the evidence behind it. Before a venue
# publishes new initial and maintenance margin rates, its risk committee wants one document that
# answers: *What exactly are we publishing, and what changed since last time? Which data, and
# were they clean? Which model? Did its past forecasts hold up out of sample? What do the
# margins look like through time, including in a crisis?*
#
# **The idea.** `riskkit calibrate --config FILE` writes everything a run computed into a run
# directory (parameter file, tables, figures, log, a manifest `run.json`). This notebook reads
# that directory back with `riskkit.run.load_run`, summarises it with
# `riskkit.run.summary.summarize_run` (which also finds the previously published parameter file
# and the inputs that differ from it), and lays the evidence out in the order a committee reads
# it. The pipeline executes it with papermill on each run and exports two HTML files: the
# committee's, without code and without this course material, and an appendix with the code.
# Run on its own with `run_dir = ""` (as in the test-suite), it first performs a small, fast
# calibration on the last two years of data, so that every cell has something to show.

# %%
import tempfile
import warnings
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import seaborn as sns
from IPython.display import display
from scipy import stats

from riskkit.backtest import kupiec_pof, plot_backtest, traffic_light
from riskkit.display import level, pct, say, table
from riskkit.margin import compare_paths, venue_comparison
from riskkit.run import demo_config, load_run, run_calibration
from riskkit.run import summary as rs
from riskkit.run.figures import margin_path_figure

# %% tags=["parameters"]
run_dir = ""  # a run directory written by `riskkit calibrate`; "" runs a small demo calibration
config_path = "../configs/default.yaml"  # configuration of the demo run (when run_dir is "")
compare_with = ""  # parameter file or run directory to compare with; "": see the summary
demo_years = 2.0  # history of the demo run, in years before the last bar
demo_window = 250  # estimation window of the demo run (returns)
demo_refit_every = 50  # forecast days between GARCH refits in the demo run
backtest_days = 250  # the Basel traffic light counts failures over the last 250 days

# %%
sns.set_theme(style="whitegrid", context="notebook")
warnings.filterwarnings("ignore")  # the run's own warnings are stored in run.json (section 3)

if not run_dir:
    demo_dir = Path(tempfile.mkdtemp(prefix="riskkit-report-"))
    config = demo_config(
        config_path, demo_dir, years=demo_years, window=demo_window, refit_every=demo_refit_every
    )
    result = run_calibration(config, report=False, progress=False)
    run_dir = result.run_dir
run = load_run(run_dir)
cfg = run.config
summary = rs.summarize_run(run, compare_with or None)
p = run.parameters or {}

# %% [markdown]
# ## Executive summary

# %%
say(summary.status)
if len(summary.failures):
    display(summary.failures_view())
if len(summary.parameters):
    display(summary.parameters_view())
    for asset in summary.tiers:
        display(summary.tiers_view(asset))
for name, frame in summary.extra.items():  # further parameter sets of the file, as they come
    display(table(frame, {c: "exact" for c in frame.columns}, caption=name, index=False))

# %% [markdown]
# ### What changed since the last published parameters, and why

# %%
say(summary.comparison.how)
if summary.comparison.available:
    changed = summary.comparison.changes["changed"]
    say(
        f"{int(changed.sum())} of {len(changed)} published values changed. The *driver* column "
        "names the recorded inputs that differ between the two runs and can move that value; "
        "the next table lists each of those inputs, before and after."
    )
    display(summary.changes_view())
    if len(summary.comparison.drivers):
        display(summary.drivers_view())

# %% [markdown]
# ### Sign-off checklist

# %%
display(summary.checks_view())
say(f"**Verdict: {summary.verdict}**")

# %% [markdown]
# **What the checklist means.** It does not replace judgement: a yellow zone in one year of
# coverage can be acceptable if the committee understands it (a regime change, a data defect),
# and a green zone on a short sample proves little. What it guarantees is that nobody signs off
# a parameter file that failed its schema, was computed on modified data, leaves stress losses
# beyond the insurance fund unmentioned, or whose model failures were never looked at.
#
# ## Definitions
#
# Each term of this report, defined once.

# %%
display(rs.definitions_view())

# %% [markdown]
# ## 1. The run
#
# Everything needed to reproduce the numbers: the configuration's fingerprint (a SHA-256 of
# every setting that changes a number; the executor and output paths are left out because they
# do not), the seed, the riskkit version and the data's checksum. The time shown is the time
# the run took to compute the parameters, up to this report (the log and `run.json` time the
# report and the notebooks as well).

# %%
display(rs.run_facts_view(run))
display(summary.timing_view())

# %% [markdown]
# ## 2. Data quality
#
# The raw rows of each series are checked by `riskkit.data.validate` *before* cleaning; every
# defect is listed with its dates. Cleaning removes only what cannot be a price (duplicate days,
# zero or negative prices, impossible bars), each step logged; gaps stay gaps, and no return is
# ever computed across one. A row removed by cleaning leaves a gap of its own: the returns
# warning of section 3 counts the gaps of the cleaned series, which can be more than the raw
# data's, and *missing days* counts both.

# %%
display(rs.quality_view(run))
if len(run.issues):
    issues = run.issues.drop(columns=["rows"], errors="ignore")
    counts = issues.groupby(["asset", "check", "severity"]).size().rename("defects")
    display(table(counts.reset_index(), caption="Defects by kind", index=False))
    display(
        table(
            issues.head(12),
            {"start": "date", "end": "date", "n_bars": "number"},
            caption="The defects, first twelve",
            index=False,
            columns={"n_bars": "bars"},
        )
    )

# %% [markdown]
# **A second source.** With `data.reference_files` (another venue, a vendor, the mark price),
# each asset's prices are compared with that source (`riskkit.data.compare_feeds`): quantiles of
# the deviation, bars beyond the threshold, the lag that best aligns the two, stale stretches
# and bars one source lacks. A feed that lags or freezes is a defect the price checks of one
# file cannot see.

# %%
feeds = run.feed_comparison()  # feed_comparison.csv; empty when nothing was compared
if len(feeds):
    beyond = feeds["check"] == "beyond_threshold"
    display(table(feeds[~beyond], {"start": "date", "end": "date"}, index=False))
    if beyond.any():
        say(f"{int(beyond.sum())} bar(s) beyond the threshold; the first of them:")
        display(table(feeds[beyond].head(5), {"start": "date", "end": "date"}, index=False))
elif cfg.data.reference_files:
    say("No asset with a second source was loaded: nothing is compared.")
else:
    say("No second source configured (`data.reference_files`): nothing is compared.")

# %% [markdown]
# ## 3. Model choice
#
# The one-bar VaR and ES of the loss are forecast with the model of section 1, refitted every
# `refit_every` bars on a moving window of `window` log returns, for the long position's loss
# $-r$ and the short position's loss $+r$ separately (crypto return distributions are not
# symmetric). Filtered historical simulation (Barone-Adesi, Giannopoulos and Vosper, 1999)
# rescales the model's past standardised residuals by today's volatility forecast: the tails
# come from the data, the clustering of volatility from the GARCH filter. A fit on the
# stationarity boundary is kept as an integrated GARCH (`model.on_integrated: igarch`), whose
# variance forecasts grow linearly with the horizon; the warnings below say how often.

# %%
warn = run.model_warnings()  # stored in run.json by the run, one row per distinct message
if len(warn):
    say(
        "Warnings raised while calibrating: *times raised* counts how often the same message "
        "came back (the console and the log write it as *[raised N times]*). Each asset runs "
        "several rolling forecasts on the same windows (long and short position, over one bar "
        "and over the margin period of risk), so a fit that fails on a window is reported once "
        "by each of them; a message that ends with *on k of n forecast dates* concerns k of the "
        "n dates of one such forecast."
    )
    shown = warn[["asset", "warning", "detail", "count"]].rename(columns={"count": "times raised"})
    display(table(shown, {"times raised": "number"}, caption="Warnings", index=False))
else:
    say("No warning was raised against any asset.")

# %% [markdown]
# ## 4. Backtest evidence
#
# Every forecast below was made with data up to the bar before (no look-ahead). A *failure* is
# a bar whose realised loss exceeds the VaR forecast. With a correct VaR at level $\alpha$,
# the number of failures $X$ in $n$ forecasts is Binomial$(n, 1-\alpha)$. The Basel Committee
# (1996) traffic light places $k$ failures by the cumulative probability $P(X \le k)$: green
# while $P(X \le k) < 95\%$, yellow while $P(X \le k) < 99.99\%$, red beyond.

# %%
n_tl, q_tl = backtest_days, 1 - run.level
cdf = pd.Series(stats.binom.cdf(range(n_tl + 1), n_tl, q_tl))
green_max = int((cdf < 0.95).sum()) - 1  # the largest k still green
yellow_max = int((cdf < 0.9999).sum()) - 1
# from scratch against riskkit's implementation of the Basel table
for k in range(yellow_max + 2):
    zone = "green" if k <= green_max else ("yellow" if k <= yellow_max else "red")
    assert traffic_light(k, n_tl, run.level)["zone"] == zone
say(
    f"With $n = {n_tl}$ forecasts at level {level(run.level)}, a correct model expects "
    f"{n_tl * q_tl:.1f} failures; up to {green_max} failures are green "
    f"($P(X \\le {green_max})$ = {pct(cdf[green_max])}), {green_max + 1} to {yellow_max} "
    f"yellow, {yellow_max + 1} or more red. A correct model still lands in yellow or red with "
    f"probability $P(X \\ge {green_max + 1})$ = {pct(1 - cdf[green_max])}: a yellow zone is "
    "a reason to look, not a proof of a wrong model."
)

# %%
lights = run.traffic_lights(backtest_days)
if len(lights):
    display(
        table(
            lights.reset_index(),
            {
                "first": "date",
                "last": "date",
                "expected": "number",
                "cumulative_probability": "pct",
            },
            caption=f"Traffic light of the last {backtest_days} forecasts",
            index=False,
            columns={"cumulative_probability": "P(X <= failures)"},
        )
    )
    display(rs.backtest_pvalues_view(run))

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
# produces; the p-values of the battery add whether failures cluster (Christoffersen, Haas, the
# duration test) or are too large (the ES tests of Acerbi-Szekely and McNeil-Frey). A test
# rejects when its p-value is below 5%. A margin model must avoid clustered failures: they mean
# losses larger than the margin on consecutive days, exactly when members are weakest.
#
# ## 5. Margin path and anti-procyclicality
#
# The model margin over the margin period of risk is converted to a two-sided rate on notional,
# then the APC tool of EMIR RTS 153/2013 Art. 28(1) is applied, and the result is rounded up to
# the venue's step and floored/capped (*published* margin). The figure shows each stage, drawn
# by `riskkit.run.figures.margin_path_figure` like the run's own figure files; it says so when
# a value is above 100% of notional. The table measures procyclicality (peak-to-trough ratio
# and the largest 1-, 5- and 30-day rises, Murphy, Vasios and Vause, 2014): an APC tool earns
# its cost (a higher average margin) if it makes the rises smaller.

# %%
settings = p.get("settings") or {}
for asset in run.assets_ok:
    mp = run.tables[asset]["margin_path"]
    fig, ax = plt.subplots(figsize=(10, 3.8))
    margin_path_figure(
        mp,
        asset,
        horizon_days=settings.get("horizon_days", cfg.margin.horizon_days),
        apc=settings.get("apc", cfg.margin.apc),
        ax=ax,
    )
    plt.show()
    metrics = compare_paths(
        {"model": mp["raw_im"], "after APC": mp["charged_im"], "published IM": mp["im"]},
        horizons=(1, 5, 30),  # rises over 1, 5 and 30 days
    )
    rises = [c for c in metrics.columns if c.startswith("max_increase_")]
    display(
        table(
            metrics,
            {"peak_to_trough": "number", "mean": "pct2", **{c: "pct" for c in rises}},
            caption=f"{asset}: procyclicality of the margin path",
            columns={
                "peak_to_trough": "peak / trough",
                "mean": "average margin",
                **{
                    c: f"largest {c.removeprefix('max_increase_').removesuffix('d')}-day rise"
                    for c in rises
                },
            },
        )
    )

# %% [markdown]
# ## 6. Coverage of the margin by realised losses
#
# The decisive test of a margin is the margin itself: how often did the realised loss over the
# margin period exceed the margin in force at its start (set from data up to the bar before)?
# Breach rates by year and by volatility regime (see the definitions) show whether coverage
# holds in calm and in stress. The tests use non-overlapping margin periods. A test at its 5%
# level rejects with too few breaches as well as with too many, while the traffic-light zone
# counts only too many: *reject* next to *green* means a margin more conservative than its
# level, which the reading column says.

# %%
for asset in run.assets_ok:
    display(rs.coverage_view(run, asset))
    display(rs.coverage_tests_view(run, asset))

# %% [markdown]
# ## 7. Position tiers
#
# Large positions take longer to liquidate, so they are exposed for longer and move the price
# when they are closed. The tier tables of the executive summary raise the rates with notional;
# the maintenance amount keeps the maintenance margin continuous at every tier boundary. A
# series without volume has no tiers: the liquidity add-on needs the traded value.

# %%
skipped = run.not_computed()
for asset in run.assets_ok:
    if "tiers" in run.tables[asset]:
        tiers = run.tables[asset]["tiers"]
        display(
            table(
                tiers[["tier", "notional_floor", "notional_cap", "days_to_liquidate"]],
                {
                    "notional_floor": "amount",
                    "notional_cap": "amount",
                    "days_to_liquidate": "number",
                },
                caption=f"{asset}: days to liquidate a position at the top of each tier",
                index=False,
                columns={
                    "notional_floor": "from (USD)",
                    "notional_cap": "up to (USD)",
                    "days_to_liquidate": "days to liquidate",
                },
            )
        )
    else:
        why = skipped.loc[(skipped["asset"] == asset) & (skipped["output"] == "tiers"), "reason"]
        say(f"{asset}: position tiers not computed ({'; '.join(why) or 'no table'}).")

# %% [markdown]
# ## 8. Stress results
#
# Historical episodes (the worst realised moves in the data) and hypothetical shocks, each with
# the shortfall of the margin that would have been posted: a positive shortfall is a loss the
# member's margin would not have covered, to be met by the insurance fund (the sign-off
# checklist compares the worst one with it).

# %%
for asset in run.assets_ok:
    display(rs.stress_view(run, asset))
    episodes = run.tables[asset].get("episodes")
    if episodes is not None:
        display(
            table(
                episodes,
                {"start": "date", "end": "date"},
                caption=f"{asset}: named stress episodes, tested or why not",
                index=False,
            )
        )

# %% [markdown]
# ## 9. Beside the rates venues publish
#
# Each asset's calibrated rates beside the rates venues publish for *that* asset
# (`riskkit.margin.venue_comparison`; BTC and ETH rows, none for other assets), each quoted as
# published on its date by its source. *Minutes to MM* is the time over which the calibrated
# model's loss on the last date (its one-day measure scaled by the square root of time) uses up
# the row's maintenance margin, the cushion left when a position is liquidated: a venue must
# close positions faster than that. Rows dated more than a year from the data are flagged.

# %%
measured = {
    a: q
    for a, q in p.get("assets", {}).items()
    if q.get("daily_measure_long") and q.get("daily_measure_short")
}
if measured:
    venues = venue_comparison(measured)
    venues["minutes to MM"] = 60 * venues.pop("mm_hours")
    cols = ["im_rate", "mm_rate", "max_leverage", "as_of", "date_flag", "minutes to MM", "source"]
    display(
        table(
            venues[cols],
            {
                "im_rate": "rate",
                "mm_rate": "rate",
                "max_leverage": "leverage",
                "as_of": "date",
                "minutes to MM": "number",
            },
            caption="Calibrated and published rates",
            columns={
                "im_rate": "IM",
                "mm_rate": "MM",
                "max_leverage": "max leverage",
                "as_of": "as of",
                "date_flag": "date flag",
            },
        )
    )
else:
    say("No calibrated asset to compare with the venues.")

# %% [markdown]
# ## Appendix: the code
#
# This report is notebook `08_calibration_report` of riskkit, executed on the run directory.
# The executed notebook with its code is
# [08_calibration_report_code.html](08_calibration_report_code.html), next to this file (and
# `08_calibration_report.ipynb`, to rerun it).

# %% [markdown] tags=["course-only"]
# ## Exercises
#
# ```{exercise} The traffic light over two years (★ easy)
# :label: ex-08-1
# The Basel table above is for 250 forecasts. Over 500 forecasts at 99%, where do the green and
# yellow zones end? Is a model with 8 failures in 500 forecasts better or worse placed than one
# with 4 failures in 250?
# ```
#
# ````{solution-start} ex-08-1
# :class: dropdown
# ````

# %% tags=["course-only"]
cdf500 = pd.Series(stats.binom.cdf(range(501), 500, 0.01))
green500 = int((cdf500 < 0.95).sum()) - 1
yellow500 = int((cdf500 < 0.9999).sum()) - 1
assert traffic_light(green500, 500, 0.99)["zone"] == "green"
assert traffic_light(green500 + 1, 500, 0.99)["zone"] == "yellow"
cdf250 = pd.Series(stats.binom.cdf(range(251), 250, 0.01))
yellow250 = int((cdf250 < 0.9999).sum()) - 1
p8_500, p4_250 = cdf500[8], cdf250[4]
assert yellow500 < 2 * yellow250  # the red boundary grows less than proportionally
assert p8_500 > p4_250  # the same failure rate is more surprising over more forecasts
say(
    f"Over 500 forecasts: green up to {green500} failures, yellow up to {yellow500}. "
    f"$P(X \\le 8)$ = {pct(p8_500)} over 500 against $P(X \\le 4)$ = {pct(p4_250)} over 250."
)

# %% [markdown] tags=["course-only"]
# The red boundary grows less than proportionally with $n$: the binomial's standard deviation grows
# like $\sqrt n$, so twice the sample tolerates relatively fewer excess failures. The same failure
# *rate* sits at a higher cumulative probability over 500 forecasts than over 250: more data make
# the same rate more surprising.
#
# ````{solution-end}
# ````
#
# ```{exercise} Why a coverage test rejects a green margin (★★ medium)
# :label: ex-08-2
# Kupiec's proportion-of-failures statistic for $x$ breaches in $n$ periods at breach
# probability $p$ is
# $LR = -2 \ln\big[(1-p)^{n-x} p^x\big] + 2 \ln\big[(1-\hat p)^{n-x} \hat p^x\big]$ with
# $\hat p = x/n$, compared with a $\chi^2(1)$. Compute it for 1 breach in 647 two-day periods at
# $p = 1\%$. Does the test reject at 5%? In which direction is the margin wrong, and is that a
# problem for a clearing house?
# ```
#
# ````{solution-start} ex-08-2
# :class: dropdown
# ````

# %% tags=["course-only"]
n_cov, x_cov, p_cov = 647, 1, 0.01
phat = x_cov / n_cov
lr = -2 * ((n_cov - x_cov) * np.log(1 - p_cov) + x_cov * np.log(p_cov))
lr += 2 * ((n_cov - x_cov) * np.log(1 - phat) + x_cov * np.log(phat))
pval = stats.chi2.sf(lr, 1)
assert abs(kupiec_pof(x_cov, n_cov, 1 - p_cov).statistic - lr) < 1e-8
assert pval < 0.05 and x_cov < n_cov * p_cov
say(
    f"$LR = {lr:.2f}$, p-value {pval:.4f}: rejected at 5%, with {x_cov} breach where "
    f"{n_cov * p_cov:.1f} were expected."
)

# %% [markdown] tags=["course-only"]
# The test is two-sided: far fewer breaches than $np$ are as unlikely under a correct model as
# far more. Here the margin is too *high* for its stated level, so the traffic light (which only
# counts excess breaches) stays green. For a clearing house this errs on the safe side, but it
# has a cost: members post more collateral than the level requires, and an overly conservative
# margin hides a model that does not measure risk well.
#
# ````{solution-end}
# ````
#
# ```{exercise} A higher confidence level (★★ medium)
# :label: ex-08-3
# For normally distributed losses with volatility $\sigma$ over the margin period, the Expected
# Shortfall at level $\alpha$ is $\sigma\,\varphi(\Phi^{-1}(\alpha))/(1-\alpha)$. By what factor
# does the margin rise from $\alpha = 99\%$ to $99.5\%$ (the EMIR minimum for OTC derivatives)?
# Would the factor be larger or smaller for fat-tailed (Student-t, 3 degrees of freedom) losses?
# ```
#
# ````{solution-start} ex-08-3
# :class: dropdown
# ````


# %% tags=["course-only"]
def es_normal(alpha: float) -> float:
    """ES of a standard normal loss at level alpha (closed form)."""
    return stats.norm.pdf(stats.norm.ppf(alpha)) / (1 - alpha)


def es_t(alpha: float, nu: float = 3.0) -> float:
    """ES of a standard Student-t loss at level alpha (McNeil, Frey and Embrechts, 2015, 2.2.4)."""
    q = stats.t.ppf(alpha, nu)
    return stats.t.pdf(q, nu) / (1 - alpha) * (nu + q**2) / (nu - 1)


ratio_normal = es_normal(0.995) / es_normal(0.99)
ratio_t = es_t(0.995) / es_t(0.99)
assert ratio_t > ratio_normal
say(
    f"Normal: the margin rises by a factor {ratio_normal:.3f}; Student-t(3): by {ratio_t:.3f}, "
    "more, because the tail beyond the 99% quantile is heavier."
)

# %% [markdown] tags=["course-only"]
# The move from 99% to 99.5% costs more for heavy-tailed assets: with a fatter tail, the
# extra half percent of probability reaches much larger losses. This is why the choice of level
# matters more for crypto than for a normal-tailed asset.
#
# ````{solution-end}
# ````
