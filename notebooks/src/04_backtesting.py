# ---
# jupyter:
#   kernelspec:
#     display_name: Python 3
#     language: python
#     name: python3
# ---

# %% [markdown]
# # 4. Backtesting VaR and Expected Shortfall
#
# **The question.** Chapter 3 produced several ways of forecasting tomorrow's 99% Value-at-Risk
# (VaR) and Expected Shortfall (ES) of a BTC or ETH position. A margin model must be approved by a
# risk committee, and regulators (EMIR, CPMI-IOSCO PFMI 6) require that it be *backtested*: every
# day's forecast is compared with the loss that actually followed. Which model passes, which
# fails, and how would we know?
#
# **The idea.** Replay history. On each day t, estimate the model on the returns before t only,
# forecast the loss of day t, then look at what happened. A 99% VaR should be exceeded on about 1
# day in 100 (*coverage*), and those *failures* should not bunch together (*independence*): a
# model that fails five days in a row in a crash is the one that lets a clearing house run out of
# margin. ES is harder to check because it is an average over the tail; we test whether the losses
# on failure days are as large as ES said they would be.
#
# Everything here calls `riskkit.backtest`: `rolling_forecast` (the out-of-sample engine),
# `backtest_summary` (every test in one table) and `plot_backtest`.

# %% tags=["parameters"]
ASSETS = ("BTC", "ETH")
EXCHANGE = "bitstamp"
LEVEL = 0.99
WINDOW = 500  # returns per forecast (moving window)
REFIT_EVERY = 20  # re-estimate parameters every 20 forecast dates, filter in between
TEST_LEVEL = 0.95  # tests reject at the 5% significance level
EXECUTOR = "serial"  # or "processes" / "local" (Dask): same numbers, see riskkit.parallel
SEED = 20260101

# %%
import warnings

import matplotlib.pyplot as plt
import pandas as pd
import seaborn as sns

from riskkit import datasets
from riskkit.backtest import (
    backtest_summary,
    fz0_loss,
    plot_backtest,
    rank_models,
    rolling_forecast,
    traffic_light_table,
)
from riskkit.exceptions import ConvergenceWarning, DataQualityWarning
from riskkit.risk import EVTPeaksOverThreshold, FilteredHistoricalSimulation, HistoricalSimulation
from riskkit.volatility import GarchSpec
from riskkit.volatility.fast import FastGarch

sns.set_theme(style="whitegrid", context="notebook")
pd.set_option("display.width", 120, "display.max_columns", 30, "display.precision", 3)

# %% [markdown]
# ## The data and the models
#
# Daily log returns of BTC and ETH (Bitstamp, UTC days). ETH starts in August 2017, so with a
# 500-day window the first forecast is for the last day of 2018: two years of out-of-sample
# forecasts that include the crash of 12 March 2020.
#
# Five models, from the simplest to the most elaborate (chapter 3 explains each):
#
# | name | what it assumes |
# |---|---|
# | HS | historical simulation: tomorrow looks like a random day of the last 500 |
# | GARCH-n | GARCH(1,1) volatility, normal shocks |
# | GARCH-t | GARCH(1,1) volatility, Student-t shocks |
# | FHS | filtered historical simulation: GJR-GARCH-t volatility times past standardised shocks |
# | EVT | McNeil-Frey: GARCH volatility times a generalised Pareto tail of the shocks |
#
# The GARCH models use the fast estimator of `riskkit.volatility.fast` (the same estimates as
# `arch`, see `benchmarks/rolling_backtest.py`).

# %%
with warnings.catch_warnings():
    warnings.simplefilter("ignore", DataQualityWarning)
    returns = datasets.load_returns(list(ASSETS), exchange=EXCHANGE).dropna()
print(returns.index[0].date(), "to", returns.index[-1].date(), len(returns), "days")

models = {
    "HS": HistoricalSimulation(),
    "GARCH-n": FastGarch("GARCH", "normal"),
    "GARCH-t": FastGarch("GARCH", "t"),
    "FHS": FilteredHistoricalSimulation(GarchSpec("GJR", dist="t")),
    "EVT": EVTPeaksOverThreshold(),
}

# %%
forecasts = {}
with warnings.catch_warnings():
    warnings.simplefilter("ignore", ConvergenceWarning)  # rare; recorded in the fit results
    for asset in ASSETS:
        for name, est in models.items():
            forecasts[asset, name] = rolling_forecast(
                returns[asset],
                est,
                levels=LEVEL,
                window=WINDOW,
                refit_every=REFIT_EVERY,
                executor=EXECUTOR,
                seed=SEED,
                progress=False,
            )
fc = forecasts["BTC", "GARCH-t"]
fc.head()

# %% [markdown]
# Each row is one forecast date t: VaR and ES for the loss of day t made with returns up to t-1,
# the forecast volatility, and the realised `loss` (minus the log return, positive = loss). A
# *failure* is a day with `loss > VaR`.

# %%
level_pct = f"{LEVEL:.0%}"
fig, axes = plt.subplots(2, 1, figsize=(11, 7), sharex=True)
plot_backtest(
    forecasts["BTC", "HS"], LEVEL, ax=axes[0], title=f"BTC, historical simulation, {level_pct}"
)
plot_backtest(forecasts["BTC", "GARCH-t"], LEVEL, ax=axes[1], title=f"BTC, GARCH-t, {level_pct}")
fig.tight_layout()

# %% [markdown]
# **What it shows.** Historical simulation's VaR is a step function: it moves only when a large
# return enters or leaves the 500-day window, so it is slow to rise after volatility jumps and
# stays high for 500 days after a crash. GARCH's VaR follows volatility from day to day. Both
# have failures; the question is whether they have too many, and whether they come in clusters.
#
# ## The traffic light
#
# The Basel Committee's 1996 rule reads the number of failures over 250 days of 99% VaR. If the
# model is right, the count is Binomial(250, 1%): 2.5 expected. The zones are set by the
# cumulative probability of at most k failures: green below 95%, yellow from 95%, red from
# 99.99%. In the yellow zone the capital multiplier rises by a *plus factor*.

# %%
traffic_light_table(250, 0.99).loc[:11]

# %% [markdown]
# Our samples are longer than 250 days, so riskkit applies the same thresholds to
# Binomial(N, 1%) for the actual N (the zone boundaries move: with 700 days green extends to
# about 11 failures).
#
# ## All tests in one table
#
# * **Coverage.** *bin*: is the failure count compatible with the binomial distribution (normal
#   approximation)? *pof* (Kupiec 1995): the likelihood-ratio version. *tuff*: is the first
#   failure too early (or too late)?
# * **Independence.** *cci* (Christoffersen 1998): is a failure more likely the day after a
#   failure? *cc*: coverage and independence together. *tbfi/tbf* (Haas 2001): are the gaps
#   between failures consistent with a 1% daily rate? *duration* (Christoffersen-Pelletier 2004):
#   do the gaps look memoryless (exponential) rather than clustered (Weibull with decreasing
#   hazard)?
# * **ES.** *unconditional_normal* (Acerbi-Szekely 2014 Z2 with tabulated critical values): are
#   the failure-day losses, relative to ES, as large as they should be on average? *mcneil_frey*
#   (2000): do losses beyond VaR exceed ES on average (bootstrap)? Both reject only if ES is too
#   *low*.
#
# Each test is reported as a statistic, a p-value and accept/reject at the 5% level.

# %%
summary = backtest_summary(
    {f"{a} {m}": f for (a, m), f in forecasts.items()}, test_level=TEST_LEVEL, seed=SEED
)
cols = ["observations", "failures", "expected", "ratio", "first_failure", "traffic_light"]
tests = ["pof", "cc", "tbf", "duration", "unconditional_normal", "mcneil_frey"]
summary[cols + tests].droplevel("level")

# %%
pvalues = summary[
    [
        f"{t}_pvalue"
        for t in [
            "bin",
            "pof",
            "tuff",
            "cci",
            "cc",
            "tbf",
            "duration",
            "unconditional_normal",
            "mcneil_frey",
        ]
    ]
]
pvalues = pvalues.droplevel("level").rename(columns=lambda c: c.removesuffix("_pvalue"))
fig, ax = plt.subplots(figsize=(10, 4.5))
sns.heatmap(pvalues.astype(float), annot=True, fmt=".2f", cmap="RdYlGn", vmin=0, vmax=0.2,
            cbar_kws={"label": "p-value (red: reject at 5%)"}, ax=ax)  # fmt: skip
ax.set_xlabel("test")
ax.set_ylabel("asset and model")
ax.set_title(f"Backtest p-values, {level_pct} 1-day VaR/ES")
fig.tight_layout()

# %% [markdown]
# ## Ranking models: scores
#
# Passing tests is a floor, not a ranking: a VaR that is far too high passes the ES tests and
# rarely fails. A *scoring rule* rewards forecasts that are both right on average and sharp. The
# FZ0 loss of Patton, Ziegel and Chen (2019) scores the (VaR, ES) pair; its expected value is
# smallest for the true pair, so a lower average is better. The Diebold-Mariano test (with
# Newey-West standard errors) says whether the difference from the best model is more than
# noise. `rank_models` does both: mean score, rank, and the Diebold-Mariano test of each model
# against the best one.

# %%
scores = pd.DataFrame(
    {
        key: fz0_loss(f["loss"], f[f"var_{LEVEL:g}"], f[f"es_{LEVEL:g}"], LEVEL)
        for key, f in forecasts.items()
    }
)
ranking = pd.concat(
    {asset: rank_models(scores[asset], test_level=TEST_LEVEL) for asset in ASSETS},
    names=["asset"],
)
ranking  # DM is NaN for the best model itself

# %%
best = ranking.groupby(level="asset")["best"].first()
not_worse = ranking[~ranking["dm_reject"]].reset_index().groupby("asset")["model"].agg(", ".join)
print("lowest mean FZ0 score:", best.to_dict())
print("not significantly worse than the best (Diebold-Mariano):", not_worse.to_dict())

# %% [markdown]
# ## March 2020
#
# On 12 March 2020 ("Black Thursday") BTC's daily log return on Bitstamp was about -0.49 (a 39%
# fall in one UTC day) and ETH's about -0.58, after a -0.10 and -0.18 day on 8 March. Zoom in
# on February to April 2020.

# %%
window = slice("2020-02-15", "2020-04-15")
fig, axes = plt.subplots(1, 2, figsize=(12, 4), sharey=True)
for ax, name in zip(axes, ["HS", "GARCH-t"], strict=True):
    plot_backtest(forecasts["BTC", name].loc[window], LEVEL, ax=ax, title=f"BTC {name}")
    ax.tick_params(axis="x", rotation=45)
fig.tight_layout()

march = pd.DataFrame(
    {f"{a} {m}": (f["loss"] > f[f"var_{LEVEL:g}"]).loc[window] for (a, m), f in forecasts.items()}
)
march[march.any(axis=1)].astype(int)

# %%
path = pd.DataFrame(
    {name: forecasts["BTC", name][f"var_{LEVEL:g}"] for name in models}
    | {"BTC loss": forecasts["BTC", "HS"]["loss"]}
)
path.loc["2020-03-06":"2020-03-20"]

# %% [markdown]
# **What it shows.** The failure "cluster" of March 2020 is two days four days apart, 8 and 12
# March, shared by almost every model and both assets: BTC and ETH crash together, so a venue
# listing both sees its margins breached on the same days. On 12 March the BTC loss was four to
# six times every model's VaR (0.49 against 0.09-0.11): no model estimated on the day before can forecast a jump of that
# size, which is why margin frameworks add stress tests and concentration add-ons on top of a
# backtested VaR/ES.
#
# The models differ in what they do *next*. GARCH puts yesterday's squared return into today's
# variance, so its VaR quadruples overnight (0.10 to 0.41 for GARCH-t) and stays high
# for weeks: safe, but a margin call of that size on every open position the day after a crash
# is itself destabilising (the procyclicality problem of chapter 6). Historical simulation's VaR
# barely moves (0.112 to 0.125: one new observation in 500 shifts the 1% quantile only one
# order statistic): it did not fail again in the following days only because the next losses
# (0.08 on 14 March, 0.06 on 17 March) happened to be smaller, not because it had reacted.
#
# ## Which model should the risk committee pick?
#
# Read the table and the scores together:
#
# * **GARCH with normal shocks** should be rejected: it has the most failures of all models for
#   both assets (still green, so the VaR tests alone miss it), and both ES tests reject: losses
#   beyond VaR are much larger than a normal tail allows.
# * **Historical simulation** passes every test, but its FZ0 score ranks below GARCH-t's for
#   both assets and its VaR is nearly flat through a crash: it relies on the last 500 days
#   happening to contain a crash, and it under-margins the start of a volatile period.
# * **GARCH-t, FHS and EVT** pass every VaR and ES test for both assets. With the default
#   parameters the lowest mean FZ0 score belongs to a different model for each asset (printed
#   above), GARCH-t is first or second for both, and the Diebold-Mariano tests cannot separate
#   any model from the best one at the chosen test level: a year or two of daily scores is too
#   little to rank close models. We would recommend **GARCH-t** as the margin model (top of the
#   ranking for both assets, every test passed, two readable parameters for the tail and the
#   persistence), with EVT and FHS as challenger models re-run alongside it, and the
#   anti-procyclicality buffer of chapter 6 on top to dampen its jump after a crash.
#
# Two caveats a careful committee would note. About 700 forecast days contain only about 7
# expected failures per model (the `expected` column), so the tests have little power: a model
# that is wrong by a factor of 1.5 in failure rate (GARCH-n) still passes the VaR tests. And the ES tests here use critical
# values tabulated under normal losses (Acerbi and Szekely 2014 find the Z2 thresholds nearly
# distribution-free, so this is a mild approximation).
#
# ## Exercises
#
# 1. Repeat the backtest at the 97.5% level (`LEVEL = 0.975`, the FRTB ES level). Which models
#    change verdict, and why do the tests gain power?
# 2. Set `REFIT_EVERY = 1` and `EXECUTOR = "processes"`. Check that the forecasts change little
#    and that the numbers are identical with `EXECUTOR = "serial"`.
# 3. Backtest a 10-day horizon (`horizon=10` in `rolling_forecast`). Why are overlapping 10-day
#    failures autocorrelated even for a correct model, and what does `backtest_summary` do about
#    it?
# 4. The ES tests above compare Z2 with a table simulated under normal losses. Simulate the
#    null from the model instead: fit `FastGarch("GARCH", "t")` on BTC's first 500 returns to
#    get its degrees of freedom `nu`, then run
#    `acerbi_szekely_test(f["loss"], f["var_0.99"], f["es_0.99"], 0.99, "z2", dist="t", dof=nu,
#    scale=f["volatility"])` for `f = forecasts["BTC", "GARCH-t"]`. Does the verdict change?
#    Why does Z1 need fewer assumptions about the body of the distribution than Z2?
