# ---
# jupyter:
#   kernelspec:
#     display_name: Python 3
#     language: python
#     name: python3
# ---

# %% [markdown]
# # 5. From Expected Shortfall to margin rates
#
# **The question.** A venue lists a BTC perpetual. What initial margin (IM) and maintenance
# margin (MM) should it charge, what leverage does that allow, how should the rates grow with
# position size, how much should it credit for ETH posted as collateral, and what should a
# liquidation cost? And why do the numbers we get look nothing like the rates venues publish?
#
# **The idea.** A margin is a risk measure of the loss over the time the venue needs to close
# a defaulted position (the *margin period of risk*, MPOR), turned into a fraction of notional:
#
# 1. forecast the 1-day 99% Expected Shortfall (ES) of the log loss, for a long (left tail) and
#    a short (right tail), out of sample, every day (chapters 3-4);
# 2. take it to the MPOR (over several days, from the model's own h-day simulation: section 3b)
#    and convert it to a loss fraction of notional: `1 - exp(-x)` for a long, `exp(x) - 1` for
#    a short; margin the larger side;
# 3. add an anti-procyclicality buffer (chapter 6), round up to the venue's step, floor, cap;
#    MM is a fraction of the published IM; maximum leverage is `1 / IM`;
# 4. check the margin against the losses that followed it (coverage);
# 5. price size (tiers), collateral (haircuts) and liquidation (penalty).
#
# Everything below calls `riskkit.margin.calibrate_asset`, the same function the
# `riskkit calibrate` command runs for every asset.

# %% tags=["parameters"]
ASSETS = ("BTC", "ETH")
EXCHANGE = "bitstamp"
START = "2016-01-01"  # first bar used (BTC history is longer; ETH starts 2017-08)
LEVEL = 0.99  # EMIR RTS 153/2013 Art. 24(1): at least 99% for exchange-traded derivatives
MEASURE = "es"
HORIZON_DAYS = 1.0  # margin period of risk
WINDOW = 500  # returns per rolling forecast
REFIT_EVERY = 20  # GARCH refit frequency (forecast dates)
APC = "buffer"
SEED = 20260101
POSITION_SIDE = "long"  # side of the BTC position collateralised with ETH

# %%
import warnings

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import seaborn as sns

from riskkit import datasets
from riskkit.exceptions import ConvergenceWarning, DataQualityWarning
from riskkit.margin import (
    MarginSettings,
    binance_btcusdt_tiers,
    breaches,
    calibrate_asset,
    default_estimator,
    liquidation_penalty,
    maintenance_margin,
    margin_horizon_curve,
    margin_period_loss,
    margin_waterfall,
    two_sided_rate,
    venue_comparison,
    wrong_way_haircut,
)
from riskkit.risk.compare import horizon_comparison

sns.set_theme(style="whitegrid", context="notebook")
pd.set_option("display.precision", 4)

# %% [markdown]
# ## 1. Calibrate BTC and ETH
#
# The risk model is filtered historical simulation on a GARCH(1,1) with Student-t innovations
# (`default_estimator()`), refitted every `REFIT_EVERY` forecast dates on the last `WINDOW`
# returns (see the parameters cell), a forecast every day from data up to the day before. On a
# short crypto window the GARCH estimate often sits on the stationarity boundary (an integrated
# GARCH: notebook 02); riskkit keeps it, or falls back to EWMA if the optimiser fails, and says
# so with a `ConvergenceWarning`, which we count rather than print.

# %%
settings = MarginSettings(
    measure=MEASURE,
    level=LEVEL,
    horizon_days=HORIZON_DAYS,
    window=WINDOW,
    refit_every=REFIT_EVERY,
    apc=APC,
    insurance_sims=200,
)
ohlcv = {a: datasets.load_ohlcv(a, EXCHANGE, start=START) for a in ASSETS}
cal = {}
with warnings.catch_warnings(record=True) as caught:
    warnings.simplefilter("always", ConvergenceWarning)
    warnings.simplefilter("ignore", DataQualityWarning)
    for a in ASSETS:
        cal[a] = calibrate_asset(a, ohlcv[a], settings, seed=SEED, progress=False)
messages = [str(w.message) for w in caught if issubclass(w.category, ConvergenceWarning)]
n_integrated = sum("integrated GARCH" in m for m in messages)
n_ewma = sum("Falling back to EWMA" in m for m in messages)
print(f"GARCH refits kept on the boundary (IGARCH): {n_integrated}; fell back to EWMA: {n_ewma}")
print(f"other optimiser notes: {len(messages) - n_integrated - n_ewma}")
params = pd.DataFrame({a: c.parameters for a, c in cal.items()}).T
params[
    [
        "as_of",
        "im_rate",
        "mm_rate",
        "max_leverage",
        "raw_im_rate",
        "collateral_haircut",
        "liquidation_penalty",
        "volatility_daily",
    ]
]

# %% [markdown]
# ## 2. From a 99% 1-day ES to IM and MM, step by step
#
# The table follows BTC's published rate on the last date from the model's output to the
# number a venue would publish (`riskkit.margin.margin_waterfall`).

# %%
pd.concat([margin_waterfall(c).to_series() for c in cal.values()], axis=1)

# %% [markdown]
# Two things to notice. The short side is not the mirror of the long side: log returns are
# skewed, and `exp(x) - 1 > 1 - exp(-x)` for the same `x`, so a short's loss fraction is
# larger for the same log move. And the buffer multiplies the rate by up to 1.25 (EMIR RTS
# 153/2013 Art. 28(1)(a)) in calm times; chapter 6 shows what it buys.
#
# ## 3. How horizon and confidence move the number
#
# The same model, fitted on the last window, gives ES at several confidence levels; here the
# square-root rule takes it to any horizon, from one hour to five days (section 3b compares it
# with the h-day simulation riskkit uses for whole days).

# %%
returns = cal["BTC"].info["returns"]
est = default_estimator()
levels = (0.975, 0.99, 0.995, 0.999)
with warnings.catch_warnings():
    warnings.simplefilter("ignore", ConvergenceWarning)
    es_long = est.estimate(returns.iloc[-WINDOW:], levels, seed=SEED).table["es"]
    es_short = est.estimate(-returns.iloc[-WINDOW:], levels, seed=SEED).table["es"]
hours = [1, 4, 8, 24, 48, 120]
grid = pd.DataFrame({h: two_sided_rate(es_long, es_short, h / 24).rate for h in hours})
grid.index = pd.Index(levels, name="confidence")
grid.columns.name = "MPOR (hours)"
fig, ax = plt.subplots(figsize=(8, 3.5))
sns.heatmap(
    grid * 100,
    annot=True,
    fmt=".1f",
    cmap="rocket_r",
    ax=ax,
    cbar_kws={"label": "raw IM (% of notional)"},
)
ax.set_title(f"BTC two-sided ES margin on {returns.index[-1]:%Y-%m-%d}, before APC")
plt.show()

# %%
by_time = grid[24] / grid[1]  # 1 day over 1 hour, per confidence level
by_level = grid.loc[0.999] / grid.loc[0.99] - 1  # 99.9% over 99%, per MPOR
print(
    f"1-day margin / 1-hour margin: {by_time.min():.2f} to {by_time.max():.2f} "
    f"(square-root rule on the log loss: sqrt(24) = {np.sqrt(24):.2f})"
)
print(f"99.9% margin over 99% margin: +{by_level.min():.0%} to +{by_level.max():.0%}")

# %% [markdown]
# Going from 1 hour to 1 day multiplies the margin by somewhat less than `sqrt(24)` (the
# square root applies to the log loss, and the long side's loss fraction `1 - exp(-x)` flattens
# as `x` grows); going from 99% to 99.9% adds much less (both printed above). The MPOR
# matters far more than the confidence level, which is why regulators fix both (EMIR RTS
# 153/2013 Art. 26: 2 business days for exchange-traded derivatives, 1 day for gross client
# accounts recalculated at least hourly).

# %% [markdown]
# ### 3b. A multi-day MPOR: the model's own h-day simulation against sqrt(h)
#
# For a margin period of several days riskkit asks the estimator for the h-day loss itself
# (`horizon_method="simulation"`, the default): filtered historical simulation draws h-day
# paths of the GARCH with its own standardised residuals, so volatility mean-reverts or builds
# up along the path and the tails of the h-day sum are those the model implies. The square-root
# rule (`horizon_method="sqrt"`) scales the 1-day ES instead. The two differ most right after a
# shock, when the GARCH variance is far from its long-run level.

# %%
with warnings.catch_warnings():
    warnings.simplefilter("ignore", ConvergenceWarning)
    rows = {}
    for day in ("2020-03-13", "2020-12-07"):
        past = returns.loc[:day].iloc[-WINDOW - 1 : -1]  # data up to the day before
        for h in (2, 5):
            t = horizon_comparison(
                past, {"FHS": est}, {"FHS": "simulate"}, level=LEVEL, horizon=h, seed=SEED
            )
            rows[(day, h)] = t.loc["FHS", ["ES sqrt", "ES path", "path / sqrt"]]
sim_vs_sqrt = pd.DataFrame(rows).T.rename_axis(["forecast date", "MPOR (days)"])
sim_vs_sqrt.rename(columns={"ES path": "ES simulated", "path / sqrt": "simulated / sqrt"})

# %% [markdown]
# ### 3c. A sub-daily MPOR needs intraday bars
#
# From daily bars a 1-hour margin can only be the 1-day measure times `sqrt(1/24)`, and it
# cannot be backtested (daily bars show no 1-hour loss): riskkit then leaves the coverage out
# and says why (`not_computed`). With hourly bars the model runs on hourly returns and the
# margin is backtested on hourly losses, optionally at the worst price within the hour
# (`loss_price="worst"`: the low for a long, the high for a short). No intraday history is
# bundled with riskkit, so the bars below are **synthetic**, built by code: a GARCH(1,1) hourly
# path with Student-t shocks whose daily volatility matches BTC's last year; the comparison
# shows the mechanics, not a market fact.

# %%
g = np.random.default_rng(SEED)
n_hours = 24 * 150
hourly_vol = returns.iloc[-365:].std() / np.sqrt(24)
z = g.standard_t(4, n_hours) / np.sqrt(2.0)
var_h = np.empty(n_hours)
v = hourly_vol**2
for i in range(n_hours):  # GARCH(1,1) variance with long-run level hourly_vol^2
    var_h[i] = v
    v = 0.05 * hourly_vol**2 + 0.10 * v * z[i] ** 2 + 0.85 * v
r_h = np.sqrt(var_h) * z
close_h = 7000 * np.exp(np.cumsum(r_h))
open_h = np.r_[7000, close_h[:-1]]
wick = np.abs(g.standard_normal(n_hours)) * np.sqrt(var_h) / 2
synthetic = pd.DataFrame(
    {
        "open": open_h,
        "high": np.maximum(open_h, close_h) * (1 + wick),
        "low": np.minimum(open_h, close_h) * (1 - wick),
        "close": close_h,
        "volume": 100.0,
    },
    index=pd.date_range("2020-01-01", periods=n_hours, freq="h", name="date"),
)
hour = dict(horizon_days=1 / 24, window=24 * 60, refit_every=24 * 5, apc="none")
with warnings.catch_warnings():
    warnings.simplefilter("ignore", ConvergenceWarning)
    runs = {
        loss_price: calibrate_asset(
            "SYN",
            synthetic,
            MarginSettings(**hour, loss_price=loss_price),
            seed=SEED,
            progress=False,
        )
        for loss_price in ("close", "worst")
    }
intraday = pd.DataFrame(
    {
        f"1h MPOR, loss at the {name} price": {
            "mean IM": c.margin_path["im"].mean(),
            "hours tested": c.coverage.loc[("im", "all"), "n"],
            "breaches long": c.coverage.loc[("im", "all"), "breaches_long"],
            "breaches short": c.coverage.loc[("im", "all"), "breaches_short"],
        }
        for name, c in runs.items()
    }
).T
daily_sqrt = two_sided_rate(
    cal["BTC"].margin_path["long_x1"], cal["BTC"].margin_path["short_x1"], 1 / 24
).rate
print(f"BTC daily bars, 1-hour IM by sqrt(1/24), mean over the path: {daily_sqrt.mean():.4f}")
print(f"expected breaches of a 99% VaR per side: {0.01 * intraday['hours tested'].iloc[0]:.0f}")
intraday

# %% [markdown]
# ## 4. Did the margin cover the losses that followed?
#
# A breach is a day on which the realised loss of a long or a short position exceeded the IM
# (or MM) charged at the start of the day (`riskkit.margin.breaches`, the count behind the
# coverage tables below).

# %%
fig, axes = plt.subplots(len(ASSETS), 1, figsize=(10, 6), sharex=True)
for ax, (a, c) in zip(axes, cal.items(), strict=True):
    mp = c.margin_path
    mm = breaches(mp["mm"], margin_period_loss(c.info["returns"], 1))
    ax.plot(mp.index, mp["im"] * 100, label="IM", lw=1.2)
    ax.plot(mp.index, mp["mm"] * 100, label="MM", lw=1.0)
    ax.plot(mm.index, mm["loss"] * 100, color="0.6", lw=0.5, label="realised loss (worse side)")
    hit = mm[mm["breach"]]
    ax.scatter(hit.index, hit["loss"] * 100, color="crimson", s=12, label="MM breach", zorder=3)
    ax.set_ylabel("% of notional")
    ax.set_title(f"{a}: daily margin and the next day's loss")
axes[0].legend(ncol=4, fontsize=8)
axes[-1].set_xlabel("date")
plt.tight_layout()
plt.show()

# %%
cal["BTC"].coverage[
    ["n", "breaches_long", "breaches_short", "rate_long", "rate_short", "max_excess", "mean_margin"]
]

# %% [markdown]
# An ES margin with a buffer should breach *less* often than the 1% a 99% VaR would: the
# coverage tests of the IM (Basel traffic light, Kupiec's proportion of failures,
# Christoffersen's independence and conditional coverage, per side) therefore tend to reject
# for too *few* breaches, which is the intended conservatism, while the MM, a fixed fraction
# (`mm_ratio`) of the published IM, breaches more often; a ratio-defined MM is not a risk
# measure of its own, so its breaches are counted but not tested (`informational`).

# %%
cal["BTC"].coverage_tests

# %% [markdown]
# The model underneath is tested as a 1-day VaR and ES model at 99% (chapter 4's battery;
# p-values below 0.05 reject):

# %%
cols = [
    "observations",
    "failures",
    "expected",
    "traffic_light",
    "pof_pvalue",
    "cc_pvalue",
    "mcneil_frey_pvalue",
]
pd.concat({a: c.backtest[cols] for a, c in cal.items()}, names=["asset"])

# %% [markdown]
# ## 5. Tiers: bigger positions pay more
#
# A position of 50 million USD cannot be closed in an hour: at 10% of the average daily traded
# value (ADV) it takes days, and selling moves the price by about `k sigma sqrt(Q / ADV)`
# (the square-root law of Tóth et al. 2011; Almgren et al. 2005 estimate a close 3/5 power on
# US equities). riskkit lengthens the MPOR by
# a third of the liquidation time (the variance of a linear liquidation, Almgren and Chriss
# 2000) and adds the impact cost. The maintenance amount keeps MM continuous across tiers.
# Note the ADV here is the volume of one exchange (Bitstamp) in 2020, a small fraction of the
# market's; a venue would use the volume of its own book and of the hedging venues.

# %%
tiers = cal["BTC"].tiers
tiers

# %% [markdown]
# For comparison, Binance's BTCUSDT brackets as published on 2025-08-19 (Binance
# announcement, `riskkit.margin.binance_btcusdt_tiers`): maintenance rates from 0.40% to 50%,
# maintenance amounts derived with the same continuity rule
# `amount_i = amount_{i-1} + floor_i (MMR_i - MMR_{i-1})`.

# %%
binance = binance_btcusdt_tiers()
notional = np.geomspace(1e4, tiers["notional_cap"].iloc[-1], 400)
fig, ax = plt.subplots(figsize=(8, 4))
ax.plot(
    notional,
    maintenance_margin(notional, tiers) / notional * 100,
    label="calibrated (1-day 99% ES + liquidity)",
)
ax.plot(
    notional,
    maintenance_margin(notional, binance) / notional * 100,
    label="Binance BTCUSDT, published 2025-08-19",
)
ax.set_xscale("log")
ax.set_xlabel("position notional (USD)")
ax.set_ylabel("maintenance margin (% of notional)")
ax.set_title("Effective maintenance rate by position size (continuous across tiers)")
ax.legend()
plt.show()

# %% [markdown]
# ## 6. ETH as collateral for a BTC position
#
# The standalone haircut covers ETH's own fall over the 2 days needed to sell it. But a trader
# who is long BTC and posts ETH loses on both when crypto falls: the *wrong-way* haircut is
# the extra ES the collateral adds to the position's loss, per unit of collateral.

# %%
both = datasets.load_returns(ASSETS, EXCHANGE)
ww = wrong_way_haircut(
    both["ETH"],
    both["BTC"],
    side=POSITION_SIDE,
    collateral_per_notional=cal["BTC"].parameters["im_rate"],
    level=settings.haircut_level,
    horizon_days=settings.haircut_horizon_days,
)
pd.Series(
    {
        "ETH haircut, standalone (through the cycle)": cal["ETH"].parameters["collateral_haircut"],
        "standalone, same sample as the joint one": ww.standalone,
        f"wrong-way haircut against a {POSITION_SIDE} BTC position": ww.wrong_way,
        "correlation of the two losses": ww.correlation,
        "tail dependence at 95%": ww.tail_dependence,
    }
)

# %% [markdown]
# BTC and ETH losses are strongly dependent in the tail, so the diversification the
# correlation in the table seems to promise is mostly absent in a crash: the wrong-way haircut
# stays close to the standalone one for a long position. For a short BTC position the
# collateral gains when the position loses, and the wrong-way haircut is much smaller.
#
# ## 7. Liquidation penalty
#
# The penalty (a fee on liquidated notional, paid into the insurance fund) covers the adverse
# move during the liquidation itself, here one hour, in 95% of liquidations. Liquidations are
# not random days: they happen when prices move, in high volatility. riskkit therefore runs
# the insurance fund's accounts (leverage up to the maximum, equity carried from day to day
# until liquidation or recovery: `riskkit.margin.account_paths`) along the estimation window,
# and measures the one-hour move at the volatility of the days on which they would have been
# liquidated (`liquidation_penalty(..., volatility=, liquidated=)`): the standardised returns
# of the window, rescaled to each liquidation day's GARCH volatility. With a constant
# volatility the two penalties coincide.

# %%
rows = {}
for a, c in cal.items():
    events = c.insurance.historical.events  # the fund's accounts along the window
    vol = c.margin_path["volatility"]
    rows[a] = {
        "liquidations in the window": len(events),
        "liquidation days": events["date"].nunique(),
        "volatility on those days / window mean": vol.reindex(events["date"].unique()).mean()
        / vol.iloc[-WINDOW:].mean(),
        "penalty, unconditional 1-hour move": liquidation_penalty(
            c.info["returns"],
            settings.liquidation_hours,
            settings.penalty_confidence,
            window=WINDOW,
        ),
        "penalty, given a liquidation (published)": c.parameters["liquidation_penalty"],
    }
pd.DataFrame(rows).T

# %% [markdown]
# ## 8. Calibrated rates beside the rates venues publish, asset by asset
#
# Published parameters change without notice; each row is quoted as published on its date by
# the source in the table, and only beside the asset it is published for (Hyperliquid allows
# 40x on BTC but 25x on ETH). What a venue's rates mean for risk is the time it leaves itself
# to close a position: when an account is liquidated, the cushion left is the *maintenance*
# margin. The last column is the time over which our model's 1-day 99% ES, scaled by the
# square root of time, reaches each maintenance margin (`riskkit.margin.venue_comparison`).
# Our data end in December 2020, so rows dated years later are flagged: the comparison is of
# orders of magnitude, not of the same day.

# %%
table = venue_comparison({a: c.parameters for a, c in cal.items()})
shown = table[["im_rate", "mm_rate", "max_leverage", "as_of", "date_flag", "mm_hours"]].copy()
shown["MM reached by the model's loss in (minutes)"] = 60 * shown.pop("mm_hours")
shown

# %%
for (asset, venue), row in table.drop(index="riskkit (calibrated)", level="venue").iterrows():
    when = {0: "(undated)", 10: f"on {row['as_of']}"}.get(len(row["as_of"]), f"in {row['as_of']}")
    print(f"{asset}, {venue}: as published {when} by {row['source']}")

# %% [markdown]
# **Why they differ.** The crypto venues' maintenance margins are used up by the model's 99%
# loss within **minutes** (well under a minute at the lowest rates, printed above), while
# CME's launch margins last for days, a multi-day SPAN horizon for a market that closed at
# weekends. Crypto venues can charge so little because they mark positions continuously and
# liquidate within seconds to minutes, and because an insurance fund and auto-deleveraging
# stand behind the maintenance margin (chapter 6). A 1-day horizon is the right frame for a
# clearing house that margins once a day, not for a perpetual-swap venue; the square-root rule
# is also at its weakest at minute horizons, where microstructure (jumps, liquidity gaps)
# rather than diffusion drives the loss, so these times are upper bounds.

# %%
h = np.geomspace(1 / 60, 24 * 10, 200)
fig, axes = plt.subplots(1, len(ASSETS), figsize=(11, 4), sharey=True)
for ax, a in zip(np.atleast_1d(axes), ASSETS, strict=True):
    p = cal[a].parameters
    loss = np.maximum(
        margin_horizon_curve(p["daily_measure_long"], h, "long"),
        margin_horizon_curve(p["daily_measure_short"], h, "short"),
    )
    ax.plot(h, loss * 100, color="black", label=f"{a} 99% ES model, worse side")
    for venue, row in table.loc[a].iterrows():
        if venue == "riskkit (calibrated)":
            continue
        ax.scatter(row["mm_hours"], row["mm_rate"] * 100, s=18, zorder=3)
        ax.annotate(venue, (row["mm_hours"], row["mm_rate"] * 100), fontsize=6)
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel("time to liquidate (hours)")
    ax.set_title(f"{a}: where each venue's MM meets the model's loss")
np.atleast_1d(axes)[0].set_ylabel("maintenance margin (% of notional)")
np.atleast_1d(axes)[0].legend(loc="lower right", fontsize=8)
plt.tight_layout()
plt.show()

# %% [markdown]
# ## What we learned
#
# * A margin rate is a risk measure **plus** three explicit choices: the horizon, the side
#   (and the log-to-simple conversion), and the rounding/floor/cap policy.
# * The horizon dominates: a 1-day 99% ES margin on BTC is some 15-30% of notional; venues
#   that liquidate in minutes publish well under 5%.
# * Size, collateral and liquidation each add their own parameter, each calibrated from the
#   same return history: tiers from volume, haircuts from the collateral's own tail (and its
#   dependence with the position), the penalty from the liquidation time.
#
# ## Exercises
#
# 1. Set `HORIZON_DAYS = 1/24` (one hour) and re-run. How do the IM, the maximum leverage and
#    the coverage table change? Why does riskkit leave the coverage of a 1-hour margin on
#    daily bars out (`not_computed`), and what data would it need to test it?
# 2. Replace the estimator by `riskkit.risk.HistoricalSimulation()` (pass `estimator=` to
#    `calibrate_asset`). Compare the margin paths and the backtest tables: which reacts faster
#    to March 2020, and which is more procyclical?
# 3. Make MM its own risk measure: `MarginSettings(mm_level=0.975)` instead of `mm_ratio`. How
#    does the ratio MM/IM move over time?
# 4. With `participation=0.02` (a venue that may only trade 2% of daily volume), how do the
#    tiers move? At which notional does the liquidity add-on double the base rate?
