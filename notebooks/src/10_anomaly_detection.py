# ---
# jupyter:
#   kernelspec:
#     display_name: Python 3
#     language: python
#     name: python3
# ---

# %% [markdown]
# # 10. Anomaly detection: broken feeds and suspicious trading
#
# **The question.** A margin engine trusts its inputs. If the last price of a venue freezes, if
# one exchange prints a price far from all the others, if the mark price drifts from the index,
# or if the stablecoin posted as collateral slips off its peg, the engine computes margins,
# liquidations and collateral values from a wrong number. And a venue's own volume can be
# inflated by wash trading, which flatters liquidity-based parameters (position tiers,
# liquidation horizons). How does a risk desk flag these anomalies as they happen, with
# thresholds it can defend, and how often is it right?
#
# **Two kinds of anomaly.**
#
# 1. *Market-data integrity*: the data are wrong or the market is broken. Staleness (an
#    unchanged price or no trades over several bars), cross-source deviation (two venues for one
#    asset), mark/index/last divergence on a perpetual, depeg of a collateral token, and bursts
#    of volume or trade count.
# 2. *Trading behaviour*: the data are right but the trading is unusual. Robust z-scores of bar
#    features, an isolation forest, and wash-trading signatures that public data allow: volume
#    without price impact, round trade sizes, and the first digits of trade sizes against
#    Benford's law.
#
# Everything here calls `riskkit.anomaly`; each detector returns the same dated alert table
# (timestamp, asset, source, kind, value, threshold, severity).

# %% tags=["parameters"]
SEED = 7
WINDOW = 250  # bars of history each threshold is calibrated on
FOREST_TREES = 50  # trees of the isolation forest (the library default is 100)
DAYS = 70  # length of the synthetic hourly market
EVENTS = 5  # planted events of each kind

# %%
import warnings

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import seaborn as sns

from riskkit import datasets
from riskkit.anomaly import (
    BENFORD_FIRST_DIGIT,
    NIGRINI_FIRST_DIGIT,
    AnomalySettings,
    benford_test,
    concat_alerts,
    cross_source_alerts,
    depeg_alerts,
    detection_scores,
    plant_anomalies,
    plot_alert_timeline,
    robust_z,
    scan_behaviour,
    scan_market,
    trade_signatures,
    trailing_bounds,
)
from riskkit.display import pct, say
from riskkit.exceptions import DataQualityWarning

warnings.simplefilter("ignore", DataQualityWarning)  # the loaders' data-quality notes
sns.set_theme(style="whitegrid", context="notebook")
pd.set_option("display.width", 130, "display.max_columns", 20, "display.precision", 4)
SETTINGS = AnomalySettings(window=WINDOW, forest_trees=FOREST_TREES)

# %% [markdown]
# ## The idea: a threshold calibrated on the past
#
# A fixed threshold ("alert if the price moves 10%") is wrong in both directions: too loose in a
# calm month, too tight in a crash. Every detector here compares a statistic $x_t$ with a
# threshold computed from the $W$ bars **before** $t$ (the "volatility threshold calibration" of
# a surveillance desk). The default is the robust z-score of Iglewicz and Hoaglin,
#
# $$ z_t = \frac{x_t - m_{t-1}}{1.4826\,\mathrm{MAD}_{t-1}}, \qquad
#    m_{t-1} = \operatorname{med}(x_{t-W}, \dots, x_{t-1}), \quad
#    \mathrm{MAD}_{t-1} = \operatorname{med}_{s \in [t-W,\, t-1]} |x_s - m_{t-1}|, $$
#
# and the alert fires when $x_t > m_{t-1} + z^{*} \cdot 1.4826\,\mathrm{MAD}_{t-1}$ (and below
# the mirror bound for a return). The factor $1.4826 = 1/\Phi^{-1}(0.75)$ makes the scale equal
# to $\sigma$ for normal data, but a single crash day moves the median and the MAD very little,
# unlike the mean and the standard deviation. Because $t$ is excluded, an alert uses no future
# data: the detectors can run bar by bar, and a test checks that the alerts before $t$ are the
# same on a series cut at $t$. A floor keeps a series that barely moves (a peg at exactly one
# dollar) from flagging its smallest wiggle; the alternative method takes a high quantile of the
# window instead of the MAD bound.
#
# An alert is `critical` when its distance from the centre $m_{t-1}$ is at least twice the
# threshold's distance (`critical_factor`), otherwise a `warning`.

# %% [markdown]
# ### From scratch: the robust z of the BTC crash
#
# The trailing robust z of Bitstamp's daily BTC log return on 12 March 2020, by hand with numpy,
# and with `riskkit.anomaly.robust_z`.

# %%
btc = datasets.load_ohlcv("BTC", "bitstamp", start="2017-06-01")
r = np.log(btc["close"]).diff()
crash = pd.Timestamp("2020-03-12")
t = r.index.get_loc(crash)
past = r.iloc[t - WINDOW : t].to_numpy()  # the WINDOW returns before the crash day
m = np.median(past)
mad = np.median(np.abs(past - m))
z_by_hand = (r.iloc[t] - m) / (1.4826 * mad)
z_riskkit = robust_z(r, window=WINDOW, min_periods=50).loc[crash]
assert np.isclose(z_by_hand, z_riskkit)
z_classic = (r.iloc[t] - past.mean()) / past.std(ddof=1)
assert abs(z_by_hand) > abs(z_classic)
say(
    f"Log return on 2020-03-12: {r.loc[crash]:+.3f}. Median of the previous {WINDOW} days "
    f"{m:+.4f}, robust sigma {1.4826 * mad:.4f}: robust z {z_by_hand:+.1f} (riskkit: "
    f"{z_riskkit:+.1f}). The classical z with the mean and standard deviation of the same window "
    f"is {z_classic:+.1f}: the fat tails of the window inflate the standard deviation, not the MAD."
)

# %% [markdown]
# ## Part 1. Planted anomalies: how often is each detector right?
#
# There is no labelled history of broken feeds or wash trades, so the detectors are measured on
# a synthetic market where we know the truth. `plant_anomalies` builds hourly bars of one venue
# (Student-t returns, a daily volume cycle), a second venue, an index and a mark price, a
# stablecoin, and the individual trades of the first venue, then plants events of seven kinds
# in separate stretches after a warm-up of calibration bars: stale runs, spikes (reversed on
# the next bar), a venue off the market, a depeg, volume bursts with price impact, wash-trading
# blocks (volume without impact, a bot trading round lots with uniform first digits), and mark
# divergence.

# %%
mkt = plant_anomalies(days=DAYS, events_per_kind=EVENTS, seed=SEED)
market_alerts = scan_market(
    mkt.bars,
    asset="SYN",
    source="A",
    reference=mkt.reference,
    reference_source="B",
    mark=mkt.mark,
    index=mkt.index,
    collateral=mkt.stable,
    settings=SETTINGS,
)
behaviour_alerts = scan_behaviour(
    mkt.bars, mkt.trades, asset="SYN", source="A", settings=SETTINGS, seed=SEED
)
synthetic_alerts = concat_alerts([market_alerts, behaviour_alerts])
scores = detection_scores(synthetic_alerts, mkt.truth, tolerance="1h")
say(
    f"{len(mkt.bars):,} hourly bars, {len(mkt.trades):,} trades, {len(mkt.truth)} planted "
    f"events; {len(synthetic_alerts):,} alerts."
)
synthetic_alerts.frame.head()

# %% [markdown]
# **Recall** is the share of planted events that at least one alert of the detector overlaps
# (within one bar); **precision** the share of the detector's alerts that fall inside an event
# where that detector is expected to fire (a stale run also moves the cross-source deviation, so
# a cross-source alert there is correct).

# %%
scores.style.format({"recall": "{:.0%}", "precision": "{:.0%}"}).hide(axis="index")

# %%
primary = scores.drop_duplicates("kind")  # the first detector of each planted kind
worst_primary = primary.loc[primary["recall"].idxmin()]
forest = scores[scores["detector"] == "isolation_forest"].set_index("kind")
assert (primary["recall"] >= 0.8).all()
assert forest.loc["wash", "recall"] < forest.loc["spike", "recall"]
say(
    f"Every planted kind is found by its own detector in at least "
    f"{pct(primary['recall'].min(), 0)} of the events (lowest: {worst_primary['kind']} with "
    f"`{worst_primary['detector']}`). The isolation forest, which knows nothing about the kinds, "
    f"finds {pct(forest.loc['spike', 'recall'], 0)} of the spikes but only "
    f"{pct(forest.loc['wash', 'recall'], 0)} of the wash blocks: a wash block is a volume burst "
    "while prices stay calm, and in a few dimensions it is not isolated enough; the targeted "
    "signatures (volume without impact, round sizes, Benford) are what catch it."
)

# %% [markdown]
# ### The wash-trading signatures
#
# In an honest market, trade sizes spread over several orders of magnitude and their first
# digits follow **Benford's law**
#
# $$ P(d) = \log_{10}\!\left(1 + \frac{1}{d}\right), \qquad d = 1, \dots, 9, $$
#
# ($P(1) = \log_{10} 2 \approx 0.301$ ones, $P(9) \approx 0.046$ nines). A bot that trades with itself at sizes drawn uniformly between one
# and ten coins puts $1/9$ of its trades on every digit. The distance is measured by the
# chi-square statistic $\sum_d (n_d - N P(d))^2 / (N P(d))$ with eight degrees of freedom and by
# Nigrini's mean absolute deviation $\mathrm{MAD} = \frac{1}{9}\sum_d |\hat p_d - P(d)|$, whose
# conformity ranges (close below $0.006$, acceptable to $0.012$, marginal to $0.015$,
# nonconformity above) do not depend on $N$, unlike the chi-square's p-value, which rejects any real sample
# when $N$ is large. A bot's round lots also raise the share of **round sizes**. Cong, Li, Tang
# and Yang (2023) find that honest venues *do* cluster at round sizes (people type round
# numbers): a venue without any clustering is suspicious, and a sudden jump of the share is what
# a self-trading bot leaves behind.

# %%
sig = trade_signatures(mkt.trades, "1h", round_unit=SETTINGS.round_unit, min_trades=200)
wash = mkt.truth[mkt.truth["kind"] == "wash"]
in_wash = np.zeros(len(mkt.trades), dtype=bool)
for _, ev in wash.iterrows():
    in_wash |= (mkt.trades.index >= ev["start"]) & (
        mkt.trades.index < ev["end"] + pd.Timedelta("1h")
    )
honest_test = benford_test(mkt.trades["size"][~in_wash])
wash_test = benford_test(mkt.trades["size"][in_wash])

fig, ax = plt.subplots(1, 2, figsize=(11, 3.8))
digits = BENFORD_FIRST_DIGIT.index
ax[0].bar(digits - 0.2, honest_test.observed, width=0.4, label="trades outside wash blocks")
ax[0].bar(digits + 0.2, wash_test.observed, width=0.4, label="trades inside wash blocks")
ax[0].plot(digits, BENFORD_FIRST_DIGIT, "k.-", label="Benford $\\log_{10}(1+1/d)$")
ax[0].set(
    xlabel="first digit of the trade size",
    ylabel="share of trades",
    title="First digits of trade sizes",
)
ax[0].yaxis.set_major_formatter(plt.matplotlib.ticker.PercentFormatter(1.0))
ax[0].set_xticks(list(digits))
ax[0].legend(fontsize=8)
ax[1].plot(sig.index, sig["benford_mad"], lw=0.7, label="first-digit MAD per hour")
for _, ev in wash.iterrows():
    ax[1].axvspan(ev["start"], ev["end"] + pd.Timedelta("1h"), color="red", alpha=0.25)
ax[1].axhline(
    NIGRINI_FIRST_DIGIT["marginally acceptable conformity"],
    color="k",
    ls="--",
    lw=0.8,
    label="Nigrini: nonconformity above",
)
ax[1].set(
    xlabel="date (UTC)", ylabel="MAD (fraction)", title="Benford MAD per bar (wash blocks in red)"
)
ax[1].legend(fontsize=8)
fig.autofmt_xdate()
plt.tight_layout()
plt.show()

assert wash_test.mad > 3 * honest_test.mad
assert wash_test.conformity == "nonconformity"
say(
    f"Outside the wash blocks the first digits of {honest_test.n:,} trade sizes have MAD "
    f"{honest_test.mad:.4f} ({honest_test.conformity}); inside, {wash_test.n:,} sizes give MAD "
    f"{wash_test.mad:.4f} ({wash_test.conformity}). Per hour, with a few hundred trades, the MAD "
    f"of honest trading is noisy (median {sig['benford_mad'].median():.4f}), so the alert asks for "
    "both Nigrini's bound and a robust z above the bar's own history."
)

# %% [markdown]
# ### The isolation forest
#
# An isolation forest (Liu, Ting and Zhou, 2008) grows random trees that split a random feature
# at a random value until each point stands alone. Anomalies are isolated in few splits. With
# $h(x)$ the number of splits that isolate $x$, averaged over the trees, and
# $c(n) = 2H(n-1) - 2(n-1)/n$ the average depth of an unsuccessful search in a binary tree of
# $n$ points ($H$ the harmonic number), the score is
#
# $$ s(x, n) = 2^{-\,\mathbb{E}[h(x)] / c(n)} \in (0, 1): $$
#
# near 1 for an isolated point, about $0.5$ or less for an ordinary one. The features are the
# trailing robust z-scores of each bar's log return, log range, log volume, volume per unit of
# range and log trade count; the forest is fitted on the `WINDOW` bars before each refit date,
# and its threshold is the 99th percentile of its own training scores (contamination 1%).

# %% [markdown]
# ### A week of the synthetic market on a timeline

# %%
first_wash = wash.iloc[0]["start"]
lo, hi = first_wash - pd.Timedelta("4D"), first_wash + pd.Timedelta("3D")
top, bottom = plot_alert_timeline(
    mkt.bars["close"].loc[lo:hi].rename("venue A close"),
    synthetic_alerts.between(lo, hi),
    title="Synthetic market: alerts around the first wash-trading block",
    price_label="price (USD)",
)
for _, ev in mkt.truth[(mkt.truth["start"] >= lo) & (mkt.truth["start"] <= hi)].iterrows():
    for a in (top, bottom):
        a.axvspan(ev["start"], ev["end"] + pd.Timedelta("1h"), color="grey", alpha=0.15)
    top.annotate(ev["kind"], (ev["start"], top.get_ylim()[1]), fontsize=7, va="top", rotation=90)
plt.tight_layout()
plt.show()

# %% [markdown]
# ## Part 2. The real data: March 2020
#
# The bundled daily bars hold BTC on several exchanges, so four of the integrity checks run on
# real data: staleness, price spikes, cross-source deviation (each venue against Coinbase Pro)
# and volume. There is no
# stablecoin series and no mark or index price in the bundle; the USDT rate is implied from two
# BTC venues instead, Coinbase Pro (quoted in USD) over OKEx (quoted in USDT): $P^{\mathrm{USD}}_t
# / P^{\mathrm{USDT}}_t$ is the dollar price of one tether. The 2025-10-10 liquidation cascade is
# not in the bundled data (it ends in December 2020, see `data/README.md`): with your own
# Binance mark, index and trade files, `scan_market(..., mark=, index=)` and
# `scan_behaviour(bars, trades)` run the other checks.

# %%
ref = datasets.load_ohlcv("BTC", "coinbase-pro", start="2017-06-01")
venues = ["bitfinex", "bittrex", "cexio", "kraken", "okex", "poloniex"]
real_parts = [
    scan_market(
        btc,
        asset="BTC",
        source="bitstamp",
        reference=ref,
        reference_source="coinbase-pro",
        settings=SETTINGS,
    )
]
for venue in venues:
    real_parts.append(
        cross_source_alerts(
            datasets.load_ohlcv("BTC", venue),
            ref,
            asset="BTC",
            source=venue,
            reference_source="coinbase-pro",
            settings=SETTINGS,
        )
    )
usdt = (ref["close"] / datasets.load_ohlcv("BTC", "okex")["close"]).dropna()
real_parts.append(
    depeg_alerts(usdt, asset="USDT (implied)", source="coinbase-pro/okex", settings=SETTINGS)
)
real_parts.append(
    scan_behaviour(
        btc.loc["2018-06-01":], asset="BTC", source="bitstamp", settings=SETTINGS, seed=SEED
    )
)
real = concat_alerts(real_parts)
cover = datasets.available().xs("BTC", level="asset")
on_the_day = cover[(cover["start"] <= crash) & (cover["end"] >= crash)].index
assert sorted(on_the_day.drop("coinbase-pro")) == sorted([*venues, "bitstamp"])
assert real.of("stale").empty and real.of("no_trades").empty
say(
    f"The bundle holds BTC on {len(cover)} exchanges; the {len(on_the_day) - 1} with a bar on "
    "2020-03-12 besides Coinbase Pro are compared with it. The stale and no-trade checks find "
    "no run in Bitstamp's daily series."
)
march = real.between("2020-03-01", "2020-03-31")
march.frame.drop(columns=["asset", "end"])

# %%
on_crash = march.frame[march.frame["timestamp"] == crash]
venues_off = sorted(
    on_crash.loc[on_crash["kind"] == "cross_source", "source"].str.split(" vs ").str[0]
)
spike = on_crash[on_crash["kind"] == "price_spike"].iloc[0]
peg = on_crash[on_crash["kind"] == "depeg"].iloc[0]
cx = on_crash[on_crash["source"].str.startswith("cexio")].iloc[0]
assert spike["severity"] == "critical" and spike["value"] < spike["threshold"] < 0
assert usdt.loc[crash] > 1 and peg["value"] > peg["threshold"]
assert cx["value"] == on_crash.loc[on_crash["kind"] == "cross_source", "value"].max()
say(
    f"On 2020-03-12 the detectors flag: a critical price spike on Bitstamp (log return "
    f"{spike['value']:+.3f} against a calibrated bound of {spike['threshold']:+.3f}); "
    f"cross-source deviations on {len(venues_off)} venues ({', '.join(venues_off)}); the "
    f"implied USDT rate at {usdt.loc[crash]:.4f} USD, a premium of {pct(peg['value'], 2)} "
    f"beyond its bound of {pct(peg['threshold'], 2)} (in the sell-off, buyers paid up for "
    f"tether); and cexio's close {pct(cx['value'], 1)} away from Coinbase Pro, the largest "
    "deviation of the day: a venue-specific print, not the market."
)
usdt_quoted = ["okex", "poloniex"]  # quoted in tether (data/README.md)
signed = {
    v: datasets.load_ohlcv("BTC", v)["close"].loc[crash] / ref["close"].loc[crash] - 1
    for v in usdt_quoted
}
assert all(d < -0.01 for d in signed.values())
say(
    "The USDT-quoted venues sat below Coinbase Pro's dollar price on the crash day ("
    + ", ".join(f"{v} {pct(d, 2)}" for v, d in signed.items())
    + "): tether itself traded at a premium, a collateral question rather than a price error."
)

# %%
counts = real.between("2020-02-15", "2020-04-15").counts()
log_volume = np.log(btc["volume"])
vol_bound = np.exp(
    trailing_bounds(log_volume, WINDOW, SETTINGS.min_periods, SETTINGS.z_volume).upper.loc[crash]
)
vol_z = robust_z(log_volume, WINDOW, SETTINGS.min_periods).loc[crash]
busiest = btc["volume"].iloc[t - WINDOW : t].max()
assert real.between(crash, crash).of("volume").empty
assert btc["volume"].loc[crash] < vol_bound and vol_z > 3 and btc["volume"].loc[crash] > busiest
say(
    "Alerts between mid-February and mid-April 2020, by kind (warning, critical): "
    + "; ".join(f"{k} {int(r['warning'])}, {int(r['critical'])}" for k, r in counts.iterrows())
    + f". No volume alert on the crash day: Bitstamp traded {btc['volume'].loc[crash]:,.0f} BTC, "
    f"more than on any of the previous {WINDOW} days (at most {busiest:,.0f}), yet below its "
    f"calibrated bound of {vol_bound:,.0f} BTC (robust z of log volume {vol_z:.1f} against "
    f"{SETTINGS.z_volume:g}). Daily volume is so dispersed that only a much larger burst stands "
    "out: on volume alone, the crash looked like a busy day."
)

# %%
window_prices = btc["close"].loc["2020-02-15":"2020-04-15"].rename("Bitstamp BTC close")
top, bottom = plot_alert_timeline(
    window_prices,
    real.between("2020-02-15", "2020-04-15"),
    title="BTC, February to April 2020: integrity and behaviour alerts",
    price_label="BTC price (USD, log scale)",
)
top.axvline(crash, color="red", lw=0.8, ls=":")
bottom.axvline(crash, color="red", lw=0.8, ls=":")
plt.tight_layout()
plt.show()

# %% [markdown]
# ## What it means
#
# * A threshold calibrated on the bars before $t$ adapts to the regime and never looks ahead;
#   the median and the MAD barely move when a crash enters the window (exercise 2), so one
#   crash does not hide the next outlier as it would with the standard deviation.
# * The targeted detectors find their own kind of event almost always on planted data; a
#   generic model (the isolation forest) finds what is extreme in its features and misses
#   what is only *inconsistent* (volume that does not move the price).
# * On 12 March 2020 the integrity checks raised the questions a margin desk must answer before
#   trusting the day's closes: the price moved beyond its calibrated bound; USDT-quoted venues
#   sat below the USD venues because tether traded at a premium (a collateral question, not a
#   price error); and one venue's close was far from every other venue's (a feed to exclude
#   from the index). Chapter 11 maps a collateral token's risk to a haircut.
# * An alert is a question, not a verdict: severity orders the queue, and the `detail` column
#   says what to compare.

# %% [markdown]
# ## Exercises
#
# ```{exercise} Quantile or MAD threshold? (★ easy)
# :label: ex-10-1
# Run the depeg detector on the planted stablecoin with the two threshold methods, the robust
# z (`method="mad"`) and the 99.5% quantile of the history (`method="quantile"`). Which one
# finds more of the planted depegs, and why? (Hint: what do the earlier depegs do to the
# window's quantile?)
# ```
#
# ````{solution-start} ex-10-1
# :class: dropdown
# ````

# %%
rows = []
for method in ("mad", "quantile"):
    st = SETTINGS.replace(method=method)
    al = depeg_alerts(mkt.stable, asset="USDX", source="synthetic", settings=st)
    sc = detection_scores(al, mkt.truth).set_index(["kind", "detector"]).loc[("depeg", "depeg")]
    rows.append(
        {"method": method, "alerts": len(al), "recall": sc["recall"], "precision": sc["precision"]}
    )
ex1 = pd.DataFrame(rows).set_index("method")
assert ex1.loc["mad", "recall"] > ex1.loc["quantile", "recall"]
# the depeg the quantile misses is smaller than an earlier one still inside its window
q_alerts = depeg_alerts(mkt.stable, settings=SETTINGS.replace(method="quantile"))
depegs = mkt.truth[mkt.truth["kind"] == "depeg"].reset_index(drop=True)
missed = [
    i
    for i, ev in depegs.iterrows()
    if not q_alerts["timestamp"].between(ev["start"], ev["end"] + pd.Timedelta("1h")).any()
]
for i in missed:
    earlier = depegs[
        depegs["end"].between(
            depegs.loc[i, "start"] - pd.Timedelta(hours=WINDOW),
            depegs.loc[i, "start"],
            inclusive="left",
        )
    ]
    assert (earlier["size"] > depegs.loc[i, "size"]).any()
ex1

# %% [markdown]
# Each depeg leaves a handful of bars far from the peg in the window of the bars that follow.
# The 99.5% quantile of a window of a few hundred bars is one of its few largest values, so a
# single earlier depeg lifts the threshold to the size of that depeg, and the next, smaller one
# goes unseen: the quantile is *contaminated* by the anomalies it should ignore. The median and
# the MAD move little as long as fewer than half the bars are anomalous, which is why the robust
# z is the default. The quantile method suits statistics whose distribution is far from
# symmetric when a false-alarm rate is what one wants to set, on a history cleaned of incidents.
#
# ````{solution-end}
# ````

# %% [markdown]
# ```{exercise} Masking: include the crash day in its own window (★★ medium)
# :label: ex-10-2
# A careless monitor computes the z-score of day t with a window that *includes* day t. Compute
# the z of Bitstamp's BTC return on 2020-03-12 with the window of the `WINDOW` days up to and
# including the crash, with the mean and standard deviation and with the median and MAD, and
# compare each with its trailing version (the window before t). Which statistic hides its own
# outlier?
# ```
#
# ````{solution-start} ex-10-2
# :class: dropdown
# ````

# %%
with_t = r.iloc[t - WINDOW + 1 : t + 1].to_numpy()  # the crash day is inside its own window
z_classic_in = (r.iloc[t] - with_t.mean()) / with_t.std(ddof=1)
m_in = np.median(with_t)
z_robust_in = (r.iloc[t] - m_in) / (1.4826 * np.median(np.abs(with_t - m_in)))
shrink_classic = 1 - abs(z_classic_in) / abs(z_classic)
shrink_robust = 1 - abs(z_robust_in) / abs(z_by_hand)
assert shrink_classic > 5 * abs(shrink_robust)
say(
    f"Classical z: {z_classic:+.1f} before, {z_classic_in:+.1f} with the crash in its own window "
    f"({pct(shrink_classic, 0)} smaller). Robust z: {z_by_hand:+.1f} before, {z_robust_in:+.1f} "
    f"with it (a change of {pct(abs(shrink_robust), 1)})."
)

# %% [markdown]
# One return of nearly minus fifty per cent in a window of a few hundred days inflates the
# standard deviation (it enters squared), so the crash partly hides itself: *masking*. The
# median and the MAD change by one rank and barely move. Excluding day t is also what makes the
# monitor causal (no look-ahead); the robust scale makes it hard to fool even where a window
# already holds earlier crashes.
#
# ````{solution-end}
# ````

# %% [markdown]
# ```{exercise} How many trades does a Benford test need? (★★ medium)
# :label: ex-10-3
# Draw samples of $N$ sizes that follow Benford's law exactly ($10^{U}$ with $U$ uniform on
# whole decades) for $N$ from 100 to 10,000, and average their first-digit MAD over 200 draws.
# From which $N$ does an honest sample fall within Nigrini's close conformity ($\mathrm{MAD} < 0.006$)
# on average? What does it say about testing Benford bar by bar?
# ```
#
# ````{solution-start} ex-10-3
# :class: dropdown
# ````

# %%
rng = np.random.default_rng(SEED)
sizes_n = [100, 300, 1_000, 3_000, 10_000]
mean_mad = {
    n: np.mean([benford_test(10 ** rng.uniform(0, 4, n)).mad for _ in range(200)]) for n in sizes_n
}
ex3 = pd.Series(mean_mad, name="mean MAD of an honest sample").rename_axis("N")
n_close = min(n for n, v in mean_mad.items() if v < NIGRINI_FIRST_DIGIT["close conformity"])
assert mean_mad[100] > NIGRINI_FIRST_DIGIT["marginally acceptable conformity"]
assert 7 < mean_mad[100] / mean_mad[10_000] < 14  # 1/sqrt(N): a factor 10 over 100x the trades
say(
    f"The mean MAD falls like $1/\\sqrt{{N}}$: {mean_mad[100]:.4f} at N = 100, "
    f"{mean_mad[10_000]:.4f} at N = 10,000; an honest sample is in close conformity on average "
    f"from N = {n_close:,}."
)
ex3

# %% [markdown]
# Sampling noise alone gives an honest sample of a hundred trades a MAD above Nigrini's
# nonconformity bound: his ranges were set for audits of thousands of records. Bar by bar, a
# Benford alert must be calibrated against the bar's own history (as `trade_alerts` does) or
# computed over buckets of a few thousand trades.
#
# ````{solution-end}
# ````

# %% [markdown]
# **References.** Iglewicz, B. and Hoaglin, D. (1993), *How to Detect and Handle Outliers*,
# ASQC. Liu, F. T., Ting, K. M. and Zhou, Z.-H. (2008), "Isolation forest", ICDM. Nigrini, M.
# (2012), *Benford's Law*, Wiley. Cong, L. W., Li, X., Tang, K. and Yang, Y. (2023), "Crypto wash
# trading", *Management Science*.
