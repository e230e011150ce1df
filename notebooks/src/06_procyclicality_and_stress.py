# ---
# jupyter:
#   kernelspec:
#     display_name: Python 3
#     language: python
#     name: python3
# ---

# %% [markdown]
# # 6. Procyclicality, stress tests and the insurance fund
#
# **Prerequisites.** [Chapter 5](05_margin_calibration.ipynb) (from ES to a published margin);
# the [glossary](../book/glossary.md) for APC, [open interest](../book/glossary.md#open-interest),
# insurance fund and [ADL](../book/glossary.md#adl).
#
# **Conventions in this chapter.** As in chapter 5: a **1-day** margin period, MM = 60% of IM
# (`MarginSettings`' defaults) and FHS on a symmetric GARCH(1,1)-t (`default_estimator()`), not
# chapter 0's 2 days, 50% and GJR filter, so that the paths here are the ones chapter 5
# backtested. The insurance-fund section compares venue-like maintenance rates with Binance's
# MM/IM ratio (printed there).
#
# **The question.** A risk-based margin rises when volatility rises. That is its job, but it
# also means margin calls arrive exactly when members are short of cash, forcing sales that
# push prices further: the margin is *procyclical*. How much does BTC's margin jump in a
# crisis such as March 2020? What do the anti-procyclicality (APC) tools of the EU rules buy,
# and at what cost? When the margin is not enough, who pays?
#
# **The idea.**
#
# * Commission Delegated Regulation (EU) No 153/2013, Art. 28(1), requires a central
#   counterparty to use at least one of: (a) a buffer of at least 25% of the margin, released
#   when margins rise sharply; (b) at least 25% weight on stressed observations; (c) a floor at
#   the margin from a 10-year lookback. riskkit implements all three, plus a cap on daily
#   increases, as functions of a margin path.
# * Procyclicality is measured on the path itself: the peak-to-trough ratio and the largest
#   1-, 5- and 30-day increases (Murphy, Vasios and Vause 2014, Bank of England Financial
#   Stability Paper 29).
# * Stress tests replay the worst historical windows and hypothetical shocks against the margin
#   in force, and an insurance fund is sized by simulating a year of liquidations.

# %% tags=["parameters"]
ASSET = "BTC"
COLLATERAL = "ETH"
EXCHANGE = "bitstamp"
DATA_START = "2015-06-01"  # first bar of the rolling model (window before the first forecast)
PLOT_START = "2017-01-01"
PLOT_END = "2020-12-07"
LEVEL = 0.99
WINDOW = 500
REFIT_EVERY = 20
BUFFER = 0.25  # Art. 28(1)(a): at least 25%
STRESS_WEIGHT = 0.25  # Art. 28(1)(b): at least 25%
STRESS_WINDOW = 250  # days in the stressed period
FLOOR_LOOKBACK = 3650  # Art. 28(1)(c): 10 years (all available history when shorter)
MAX_DAILY_INCREASE = 0.10  # optional cap: at most +10% a day
TRAIN_END = "2018-12-31"  # volatility regimes calibrated up to here, tested after
N_SIMS = 500  # insurance-fund simulated years
LIQ_MINUTES = (1, 10, 60)  # liquidation times compared (minutes)
SEED = 20200312
CRASH_DAY = "2020-03-12"  # the day marked in the figures and checked in section 6

# %%
import warnings

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import seaborn as sns

from riskkit import datasets
from riskkit.data.cleaning import clip_range_spikes
from riskkit.display import pct, say
from riskkit.exceptions import ConvergenceWarning, DataQualityWarning
from riskkit.margin import (
    MarginSettings,
    apc_buffer,
    apc_floor,
    apc_stressed_weight,
    apc_weighted_sample,
    calibrate_asset,
    calibrate_regimes,
    cap_daily_change,
    collateral_haircut,
    evaluate_paths,
    find_stressed_period,
    historical_margin_path,
    hypothetical_stress,
    insurance_fund,
    long_lookback_margin,
    loss_fraction,
    margin_period_loss,
    published_venue_rates,
    regime_margin,
    stressed_margin_path,
    weighted_sample_margin_path,
)
from riskkit.risk import HistoricalSimulation

sns.set_theme(style="whitegrid", context="notebook")
pd.set_option("display.precision", 4)
warnings.simplefilter("ignore", DataQualityWarning)  # gaps of the 2014 history, see chapter 1

# %% [markdown]
# ## 1. The raw margin path
#
# We calibrate the 1-day ES margin at `LEVEL` with chapter 5's model (GARCH(1,1)-t filtered
# historical simulation) and riskkit's default settings (printed below). The
# calibration keeps the *raw* risk-based path, before any APC, rounding or floor; every APC
# option below starts from it.

# %%
ohlcv = datasets.load_ohlcv(ASSET, EXCHANGE, start=DATA_START)
settings = MarginSettings(level=LEVEL, window=WINDOW, refit_every=REFIT_EVERY, insurance_sims=50)
with warnings.catch_warnings():
    warnings.simplefilter(
        "ignore", ConvergenceWarning
    )  # integrated GARCH fits, counted in chapter 5
    pub = calibrate_asset(ASSET, ohlcv, settings, seed=SEED, progress=False)
raw = pub.margin_path["raw_im"]
history = datasets.load_returns((ASSET,), EXCHANGE)[ASSET]  # all history, from 2013
print(
    f"forecasts from {raw.index[0]:%Y-%m-%d} to {raw.index[-1]:%Y-%m-%d}; "
    f"full history from {history.index[0]:%Y-%m-%d}"
)
print(
    f"published rate: {settings.apc} {settings.apc_buffer:.0%}, rounded up to "
    f"{settings.rounding_step:.2%}, MM = {settings.mm_ratio:.0%} of IM"
)

# %% [markdown]
# ## 2. Which period was the most stressed?
#
# Option (b) needs a *stressed period*. The `STRESS_WINDOW`-day window with the largest
# realised variance in all of BTC's history is printed below; the stressed period used on each
# date is the window with the worst historical margin seen **before** that date (no
# look-ahead), so it can change only when a worse window enters the history (below: whether
# March 2020 did).
#
# Art. 28(1)(b) asks for "at least 25% weight to stressed observations in the lookback
# period": the margin is the ES of one *weighted sample*, the current window's observations
# carrying 75% of the probability and the stressed period's 25%
# (`riskkit.margin.weighted_sample_margin_path`, the default `apc_stress_method`). Averaging a
# current and a stressed *margin* (`apc_stressed_weight`, `apc_stress_method="average_margins"`)
# is not the same thing for an ES: the tail of the weighted sample is made mostly of stressed
# observations. On the last date, by historical simulation on both windows:

# %%
start, end, rate = find_stressed_period(history, STRESS_WINDOW, LEVEL)
print(
    f"most volatile {STRESS_WINDOW}-day window: {start:%Y-%m-%d} to {end:%Y-%m-%d}, "
    f"1-day 99% ES margin {rate:.1%}"
)
stressed = stressed_margin_path(history, STRESS_WINDOW, LEVEL).reindex(raw.index).ffill()
floor = long_lookback_margin(history, FLOOR_LOOKBACK, LEVEL, min_obs=250).reindex(raw.index)
changes = int((stressed.diff().abs() > 1e-12).sum())
say(
    f"Over the forecast dates the stressed margin changes {changes} time(s): "
    + (
        f"it stays at {pct(stressed.iloc[0])} from {stressed.index[0]:%Y-%m-%d} to "
        f"{stressed.index[-1]:%Y-%m-%d}. March 2020 was a violent *week*, but its "
        f"{STRESS_WINDOW}-day window is less stressed than the one of "
        f"{start:%Y}-{end:%Y}, so it never becomes the stressed period."
        if changes == 0
        else "the stressed period moves when a worse window enters the history."
    )
)

# %%
current_hs = historical_margin_path(history, WINDOW, LEVEL).iloc[-1]
stressed_hs = stressed.iloc[-1]
averaged = (1 - STRESS_WEIGHT) * current_hs + STRESS_WEIGHT * max(stressed_hs, current_hs)
weighted = weighted_sample_margin_path(history, WINDOW, STRESS_WINDOW, STRESS_WEIGHT, LEVEL)
pd.Series(
    {
        f"current window ({WINDOW} days)": current_hs,
        f"stressed period ({STRESS_WINDOW} days)": stressed_hs,
        f"average of the two margins, {STRESS_WEIGHT:.0%} stressed": averaged,
        f"weighted sample, {STRESS_WEIGHT:.0%} on stressed observations": weighted.iloc[-1],
    },
    name=f"1-day 99% ES margin on {history.index[-1]:%Y-%m-%d}",
).to_frame()

# %% [markdown]
# For the GARCH model the current observations are the window's returns rescaled so that
# their ES is the model's (`model=` in `weighted_sample_margin_path`): at weight 0 the result
# is the model's margin, at weight 1 the stressed period's.

# %%
model = pub.margin_path[["long_x1", "short_x1"]].set_axis(["long", "short"], axis=1)
sample = weighted_sample_margin_path(
    history, WINDOW, STRESS_WINDOW, STRESS_WEIGHT, LEVEL, model=model
)

# %% [markdown]
# ## 3. The margin path under each APC option
#
# **The formulas.** With $m_t$ the calculated (raw) margin and $c_t$ the margin charged:
#
# * (a) buffer $b$: target $T_t = (1+b)\,m_t$, $c_0 = T_0$; on a *release* day, when
#   $m_t > (1+\theta)\,m_{t-\ell}$ (a rise of more than $\theta = 25\%$ over $\ell = 5$ days),
#   $c_t = \max(m_t, \min(T_t, c_{t-1}))$: the buffer absorbs the rise; otherwise it is
#   rebuilt at most at rate $g = 5\%$ a day, $c_t = \max(m_t, \min(T_t, (1+g)\,c_{t-1}))$;
# * (b) weight $w$ on stressed observations: the ES of the sample in which the current window's
#   $n$ observations carry probability $(1-w)/n$ each and the stressed period's $n_s$ observations
#   $w/n_s$ each; the alternative averages margins, $c_t = (1-w)\,m_t + w\,s_t$;
# * (c) floor: $c_t = \max(m_t, f_t)$ with $f_t$ the margin over a 10-year lookback;
# * cap: $c_t = \min(m_t, (1+\kappa)\,c_{t-1})$.
#
# Procyclicality is read on the path: peak-to-trough $\max_t c_t / \min_t c_t$ and the largest
# $n$-day increase $\max_t c_t / c_{t-n} - 1$.
#
# **By hand: the buffer.** The rule (a) as a loop, against `apc_buffer`:

# %%
theta, lag_, g_ = 0.25, 5, 0.05  # apc_buffer's defaults: release threshold, lookback, rebuild rate
m_ = raw.to_numpy()
c_ = np.empty_like(m_)
c_[0] = (1 + BUFFER) * m_[0]
for t in range(1, len(m_)):
    release = m_[t] > (1 + theta) * m_[max(t - lag_, 0)]
    ceiling = c_[t - 1] if release else (1 + g_) * c_[t - 1]
    c_[t] = max(m_[t], min((1 + BUFFER) * m_[t], ceiling))
assert np.allclose(c_, apc_buffer(raw, BUFFER).to_numpy())
n_release = sum(m_[t] > (1 + theta) * m_[max(t - lag_, 0)] for t in range(1, len(m_)))
print(f"buffer by hand = apc_buffer on {len(m_)} days; release days: {n_release}")

# %%
paths = {
    "no APC": raw,
    f"(a) buffer {BUFFER:.0%}": apc_buffer(raw, BUFFER),
    f"(b) {STRESS_WEIGHT:.0%} on stressed observations": apc_weighted_sample(raw, sample),
    f"(b) alternative: {STRESS_WEIGHT:.0%} on the stressed margin": apc_stressed_weight(
        raw, stressed, STRESS_WEIGHT
    ),
    f"(c) {FLOOR_LOOKBACK // 365}-year floor": apc_floor(raw, floor),
    f"cap +{MAX_DAILY_INCREASE:.0%}/day": cap_daily_change(raw, MAX_DAILY_INCREASE),
}
# a published margin cannot exceed 100% of notional (the short side's exp(x) - 1 can)
paths = {k: v.loc[PLOT_START:PLOT_END].clip(upper=settings.im_cap) for k, v in paths.items()}
fig, ax = plt.subplots(figsize=(11, 4.5))
for name, p in paths.items():
    style = {"color": "black", "lw": 0.8, "zorder": 5} if name == "no APC" else {"lw": 1.0}
    ax.plot(p.index, p * 100, label=name, **style)
crash = pd.Timestamp(CRASH_DAY)
ax.axvline(crash, color="0.3", ls=":", lw=1)
ax.text(crash + pd.Timedelta(days=8), ax.get_ylim()[1] * 0.92, f"{crash:%d %b %Y}", fontsize=8)
ax.set_xlabel("date")
ax.set_ylabel("initial margin (% of notional)")
ax.set_title(f"Figure 6.1. {ASSET} 1-day 99% ES margin, with and without anti-procyclicality tools")
ax.legend(fontsize=8, ncol=3)
plt.show()

# %% [markdown]
# ## 4. Procyclicality against cost and coverage
#
# For each path: the peak-to-trough ratio, the largest increases over 1, 5 and 30 days, the
# average margin (what members pay for the stability) and how often the next day's loss of a
# long or a short exceeded it.

# %%
losses = margin_period_loss(history, 1)
table = evaluate_paths(paths, losses)
relative = table["mean"] / table.loc[f"(a) buffer {BUFFER:.0%}", "mean"]
print("average margin / the buffer's: " + ", ".join(f"{k} {v:.2f}" for k, v in relative.items()))
table

# %%
T_ = table
buf, stw, avg, flo, cap = (T_.loc[k] for k in list(paths)[1:])
no = T_.loc["no APC"]
assert (
    buf["max_increase_1d"] < no["max_increase_1d"]
    and buf["max_increase_5d"] < no["max_increase_5d"]
)
assert (
    stw["peak_to_trough"] < buf["peak_to_trough"] and flo["peak_to_trough"] < buf["peak_to_trough"]
)
assert stw["mean"] > avg["mean"] and stw["mean"] >= 0.95 * buf["mean"]
assert flo["mean"] < buf["mean"] and np.isclose(flo["max_increase_1d"], no["max_increase_1d"])
assert cap["breaches (long + short)"] > no["breaches (long + short)"]

# %% [markdown]
# (Each claim below is checked in the cell above.)
#
# * The **buffer** costs up to 25% more margin every calm day and spends itself when the margin jumps: the largest 1- and 5-day increases fall, the
#   peak-to-trough ratio only a little, since the buffer scales peak and trough alike.
# * The **stressed weight** and the **floor** raise the trough, which is what cuts the
#   peak-to-trough ratio: the margin never falls as far in calm markets, so it has less to
#   climb in a crisis. Weighting the stressed *observations* raises it more than averaging
#   the two margins does, since the stressed observations dominate the tail of the sample,
#   and it costs more on average: about as much as the buffer or more (printed above). The
#   floor costs less than the buffer because it binds only when the risk-based margin is low,
#   and it does nothing for the jump itself (its largest 1-day increase is the raw one): it
#   acts on the level, not the speed.
# * The **cap** on daily increases smooths the path at the price of coverage: the margin
#   lags the risk and breaches rise. EMIR does not list it among the Art. 28 tools for that
#   reason.
#
# ## 5. Volatility regimes: a step margin against the continuous GARCH margin
#
# Some venues change margin only when volatility crosses a threshold. We set three thresholds
# at the 50%, 80% and 95% quantiles of the GARCH volatility forecast up to 2018, and a margin
# per regime from the volatility-standardised loss, then apply them from 2019 on.

# %%
vol = pub.margin_path["volatility"]
abs_loss = history.abs().reindex(vol.index)  # two-sided: the worse of long and short
model = calibrate_regimes(vol.loc[:TRAIN_END], abs_loss.loc[:TRAIN_END], (0.5, 0.8, 0.95), LEVEL)
model.table()

# %%
test_raw = raw.loc[TRAIN_END:].iloc[1:]
step = loss_fraction(regime_margin(vol, model), "short").loc[test_raw.index]
continuous = loss_fraction(model.z_measure * vol, "short").loc[test_raw.index]
regime_paths = {
    "GARCH FHS (continuous)": test_raw,
    "z-scaled GARCH vol": continuous,
    "volatility regimes (step)": step,
}
fig, ax = plt.subplots(figsize=(11, 4))
for name, p in regime_paths.items():
    ax.plot(
        p.index, p * 100, lw=1.0, label=name, drawstyle="steps-post" if "step" in name else None
    )
ax.set_xlabel("date")
ax.set_ylabel("initial margin (% of notional)")
ax.set_title(
    "Figure 6.2. Out of sample (2019-2020): continuous margins and a regime-based step margin"
)
ax.legend(fontsize=8)
plt.show()
regime_table = evaluate_paths(regime_paths, losses)
jump = test_raw / test_raw.shift(1) - 1
print(f"largest 1-day rise of the continuous margin: {jump.max():+.0%} on {jump.idxmax():%Y-%m-%d}")
assert (
    regime_table.loc["volatility regimes (step)", "peak_to_trough"]
    < regime_table["peak_to_trough"].drop("volatility regimes (step)").min()
)
assert (
    regime_table.loc["volatility regimes (step)", "mean"]
    > regime_table["mean"].drop("volatility regimes (step)").max()
)
regime_table

# %% [markdown]
# By these metrics (checked above) the step margin is far less procyclical: its largest jump is bounded by the
# ratio of the top to the bottom regime rate, whatever happens to volatility, and it charges
# each regime the margin of the regime's *upper* volatility, so it is also more expensive on
# average. The continuous margins follow volatility day by day, with the largest 1-day jump
# printed above. What the step margin gives up is reaction
# beyond the top regime: its protection in a crash is only as good as the top rate fixed in
# advance.
#
# ## 6. Stress scenarios
#
# Historical scenarios replay named crypto episodes and the worst non-overlapping days of the
# history against the margin in force at their start; hypothetical ones apply price gaps,
# volatility spikes and, for a BTC position collateralised with ETH, a correlation breakdown
# in which both fall together by their stressed amounts. The margin is the published rate
# (the settings printed in section 1).

# %%
pub.stress[["scenario", "kind", "side", "loss", "im", "mm", "shortfall_im", "shortfall_mm"]]

# %%
coll = datasets.load_returns((COLLATERAL,), EXCHANGE)[COLLATERAL]
coll_es = HistoricalSimulation().estimate(coll, LEVEL).es(LEVEL)  # 1-day ES, all history
corr_break = hypothetical_stress(
    pub.parameters["im_rate"],
    pub.parameters["mm_rate"],
    max(pub.parameters["daily_measure_long"], pub.parameters["daily_measure_short"]),
    horizon_days=1.0,
    price_gaps=(),
    vol_multipliers=(),
    collateral={
        "collateral_per_notional": pub.parameters["im_rate"],
        "haircut": collateral_haircut(coll, LEVEL, 1.0),
        "collateral_measure": 2 * coll_es,  # a stressed day: twice the collateral's ES
    },
)
corr_break

# %%
crash_move = float(np.expm1(history.loc[CRASH_DAY]))
im_crash = float(pub.margin_path["im"].loc[CRASH_DAY])
print(f"{ASSET} on {CRASH_DAY}: {crash_move:+.1%}; initial margin in force that day {im_crash:.2%}")
assert -crash_move > im_crash

# %% [markdown]
# March 2020 is the scenario every margin model fails: BTC's fall on 12 March (printed above)
# was far beyond any 1-day 99% margin estimated on the preceding calm year. A member who
# posted the initial margin lost more than all of it; the rest falls on the default waterfall: the
# liquidation penalty, the insurance fund, and finally auto-deleveraging
# ([ADL](../book/glossary.md#adl): the venue closes profitable opposite positions at the
# bankruptcy price) or mutualised losses ([chapter 13](13_default_management.ipynb)).
#
# ## 7. How large an insurance fund?
#
# We simulate `N_SIMS` years of liquidations by resampling 10-day blocks of BTC's daily bars
# (`riskkit.margin.insurance_fund`). Each leverage bucket holds an account long and one short
# whose equity is **carried from day to day**: losses accumulate until the account is
# liquidated, or until the price is back at its entry (the account is then re-levered there).
# An account is liquidated when its equity falls to the maintenance margin on the current
# notional; while the engine works the price keeps moving against it (the day's adverse
# excursion scaled by the square root of the liquidation time, never beyond the day's
# extreme; a day that opens through the trigger starts at the open). Equity left below zero
# after the close is **bad debt**, the fund's loss; the penalty, taken from what equity is
# left, is its income. The fund must absorb the worst cumulative loss of the year with 99%
# confidence (`riskkit.margin.account_paths` documents the model). We compare the calibrated
# 1-day rates with venue-like rates of the same MM/IM ratio as Binance's BTCUSDT tier 1
# (`published_venue_rates()`, printed below with its source and date), for liquidation times
# from one minute to one hour. [Open interest](../book/glossary.md#open-interest) (the total
# notional of open positions, the fund's yardstick) is spread over leverage of 25%, 50%, 75% and
# 100% of the maximum. The penalty is the published one, sized on the one-hour move at the
# volatility of the days on which such accounts were liquidated (chapter 5, section 7).

# %%
binance = published_venue_rates().loc["Binance BTCUSDT perpetual, tier 1"]
mm_im = binance["mm_im_ratio"]
print(
    f"Binance BTCUSDT tier 1 ({binance['source']}, {binance['as_of']}): "
    f"MM {binance['mm_rate']:.2%} at {binance['max_leverage']:.0f}x, MM/IM = {mm_im:.2f}"
)
BINANCE = f"MM {binance['mm_rate']:.1%} (Binance tier 1)"
mm_rates = {
    "calibrated (1-day ES)": pub.parameters["mm_rate"],
    "MM 5%": 0.05,
    "MM 2%": 0.02,
    "MM 1%": 0.01,
    BINANCE: binance["mm_rate"],
}
penalty = pub.parameters["liquidation_penalty"]
# the bars as reported, and with the range spikes the validator flags (chapter 1) pulled back
# to each bar's body: Bitstamp's low of 1.50 USD on 2016-06-23 and the low of 2016-08-02
cleaned, clip_log = clip_range_spikes(ohlcv)
print(clip_log.to_string(index=False))
DATA = {"as reported": ohlcv, "range spikes cleaned": cleaned}
results, rows = {}, []
for data_name, bars_ in DATA.items():
    for name, mm in mm_rates.items():
        max_lev = np.floor(mm_im / mm)  # IM = MM / (MM/IM), max leverage = 1 / IM
        lev = [max(1.0, f * max_lev) for f in (0.25, 0.5, 0.75, 1.0)]
        for minutes in LIQ_MINUTES:
            res = insurance_fund(
                bars_,
                mm,
                penalty,
                leverage=lev,
                liquidation_hours=minutes / 60,
                n_sims=N_SIMS,
                n_days=365,
                seed=SEED,
            )
            if data_name == "as reported":
                results[name, minutes] = res
            rows.append(
                {
                    "data": data_name,
                    "setting": name,
                    "max leverage": max_lev,
                    "liquidation (min)": minutes,
                    "fund (share of OI)": res.required,
                }
            )
fund = pd.DataFrame(rows).pivot_table(
    index=["setting", "max leverage"],
    columns=["data", "liquidation (min)"],
    values="fund (share of OI)",
)
fund = fund.reindex(list(mm_rates), level="setting")
fund

# %%
print(results[BINANCE, LIQ_MINUTES[0]].statement)

# %% [markdown]
# Which days made the bad debt of the calibrated rates? The same accounts along the history
# as it happened (`InsuranceFundResult.historical`), with a one-hour liquidation:

# %%
events = results["calibrated (1-day ES)", 60].historical.events
bad_days = events.loc[events["bad_debt"] > 0, "date"].unique()
display_cols = ["date", "side", "leverage", "entry_price", "start", "close", "equity", "bad_debt"]
print(events.loc[events["bad_debt"] > 0, display_cols].to_string(index=False))
ohlcv.loc[ohlcv.index.isin(bad_days), ["open", "high", "low", "close"]]

# %%
fig, ax = plt.subplots(figsize=(8, 4))
for name in ("MM 2%", "MM 1%", BINANCE):
    sns.kdeplot(results[name, LIQ_MINUTES[1]].annual_deficits * 100, ax=ax, label=name, cut=0)
ax.set_xlabel("worst cumulative fund drawdown in a simulated year (% of open interest)")
ax.set_ylabel("density")
ax.set_title(
    f"Figure 6.3. Insurance fund needs across simulated years ({LIQ_MINUTES[1]}-minute liquidation)"
)
ax.legend()
plt.show()

# %%
cal_name = "calibrated (1-day ES)"
as_rep = fund.xs("as reported", axis=1, level="data").xs(cal_name, level="setting").iloc[0]
clean_ = fund.xs("range spikes cleaned", axis=1, level="data").xs(cal_name, level="setting").iloc[0]
bin_ = fund.xs("as reported", axis=1, level="data").xs(BINANCE, level="setting").iloc[0]
spike_days = set(clip_log["date"])
assert set(pd.DatetimeIndex(bad_days)) <= spike_days  # all the bad debt comes from flagged bars
assert as_rep.max() > 0 and clean_.max() == 0
assert bin_[LIQ_MINUTES[-1]] > 10 * bin_[LIQ_MINUTES[0]]
say(
    f"""With the calibrated 1-day rates and the bars as reported, the fund is needed only with a
    {LIQ_MINUTES[-1]}-minute liquidation ({pct(as_rep[LIQ_MINUTES[-1]], 2)} of open interest), and
    all of it comes from the days printed above: in Bitstamp's file BTC traded at
    {ohlcv.loc["2016-06-23", "low"]:.2f} USD on 23 June 2016, a print far below every other price
    of the day, and accounts that had carried the losses of the preceding days were closed near
    it. With the range spikes the validator flags pulled back to their bars' bodies
    (`clip_range_spikes`), the same column is {pct(clean_[LIQ_MINUTES[-1]], 2)}: the
    calibrated rates never need the fund. A venue marking positions on an index of several
    exchanges would not have liquidated on one exchange's print: a fund sized on one exchange's
    lows is only as good as those lows. At venue-like maintenance rates the answer hinges on the
    liquidation time: at Binance's tier-1 rate the fund needed goes from
    {pct(bin_[LIQ_MINUTES[0]], 2)} with a {LIQ_MINUTES[0]}-minute liquidation to
    {pct(bin_[LIQ_MINUTES[-1]], 0)} at {LIQ_MINUTES[-1]} minutes, where a bad day's slippage
    exceeds the maintenance margin of many accounts at once."""
)

# %% [markdown]
#  This is the other side of chapter 5's implied liquidation times: low
# margins and fast liquidation are one design, and an insurance fund sized on the wrong
# liquidation time is no protection. The statement above is the capital-adequacy claim a
# venue can publish, with its model stated: block bootstrap of one exchange's daily bars,
# equity carried across days, Brownian scaling of the day's adverse excursion, a stationary
# leverage mix. Intraday jumps (a crash hour moves more than the square-root rule gives from
# the day's range), thin order books in a crash and correlated liquidations across assets
# would all raise it.
#
# ## Exercises
#
# ```{exercise} How large a buffer? (★ easy)
# :label: ex-06-1
# Recompute the buffered path with `BUFFER` = 0.10, 0.25 and 0.50. How do the average margin and
# the largest 5- and 30-day increases trade off? Can a buffer remove the 30-day increase of
# March 2020?
# ```
#
# ````{solution-start} ex-06-1
# :class: dropdown
# ````

# %%
buffers = {
    f"buffer {b_:.0%}": apc_buffer(raw, b_).loc[PLOT_START:PLOT_END] for b_ in (0.10, 0.25, 0.50)
}
buffers["no APC"] = paths["no APC"]
evaluate_paths(buffers, losses)[["mean", "max_increase_5d", "max_increase_30d"]]

# %% [markdown]
# Every extra point of buffer is paid every calm day, and it shaves the largest increases only by
# the size of the buffer: once the raw margin has risen by more than the buffer, the charged
# margin follows it. Against a rise of several hundred percent no buffer of a reasonable size
# helps; the 30-day increase shrinks but does not vanish.
#
# ````{solution-end}
# ````

# %% [markdown]
# ```{exercise} Weighting samples or averaging margins (★★ medium)
# :label: ex-06-2
# On the last date, compute by hand the HS ES of the weighted sample of section 2 for stressed
# weights $w$ = 0, 0.25, 0.5, 1 (current window: probability $(1-w)/n$ per observation;
# stressed period: $w/n_s$), with `riskkit.risk.empirical_var_es(..., weights=...)`, and compare
# with the average of the two margins $(1-w)m + w s$. Why is the weighted sample above the
# average for $0 < w < 1$?
# ```
#
# ````{solution-start} ex-06-2
# :class: dropdown
# ````

# %%
from riskkit.risk import empirical_var_es

cur = -history.iloc[-WINDOW:].to_numpy()
strs = -history.loc[start:end].to_numpy()
mix = {}
for w_ in (0.0, 0.25, 0.5, 1.0):
    wts = np.r_[np.full(len(cur), (1 - w_) / len(cur)), np.full(len(strs), w_ / len(strs))]
    es_w = empirical_var_es(np.r_[cur, strs], LEVEL, weights=wts)[1]
    es_c, es_s = empirical_var_es(cur, LEVEL)[1], empirical_var_es(strs, LEVEL)[1]
    mix[w_] = {"weighted sample ES": es_w, "average of the ES": (1 - w_) * es_c + w_ * es_s}
mix = pd.DataFrame(mix).T
assert mix.loc[0.25, "weighted sample ES"] > mix.loc[0.25, "average of the ES"]
mix

# %% [markdown]
# (These are ES of the log loss; section 2's table converts them into loss fractions.) The 1% tail
# of the mixture is filled mostly by the stressed observations, which are larger: with $w = 25\%$
# the stressed sample supplies far more than a quarter of the tail. Averaging the margins gives
# the stressed tail only its nominal weight. The two coincide at $w = 0$ and $w = 1$.
#
# ````{solution-end}
# ````

# %% [markdown]
# ```{exercise} Two tools at once (★★ medium)
# :label: ex-06-3
# Art. 28(1) requires *at least one* of the three tools. Apply the 25% buffer on top of the
# 10-year floor and compare its cost and procyclicality with each tool alone. Is the
# combination worth its cost?
# ```
#
# ````{solution-start} ex-06-3
# :class: dropdown
# ````

# %%
combo = {
    "buffer": paths[f"(a) buffer {BUFFER:.0%}"],
    "floor": paths[f"(c) {FLOOR_LOOKBACK // 365}-year floor"],
    "buffer on the floor": apc_buffer(apc_floor(raw, floor), BUFFER)
    .loc[PLOT_START:PLOT_END]
    .clip(upper=settings.im_cap),
}
combo_t = evaluate_paths(combo, losses)
assert (
    combo_t.loc["buffer on the floor", "mean"] > combo_t["mean"].drop("buffer on the floor").max()
)
combo_t[
    ["mean", "peak_to_trough", "max_increase_1d", "max_increase_30d", "breaches (long + short)"]
]

# %% [markdown]
# The combination pays both costs: the floor's higher trough and the buffer's 25% on top of it
# (the highest mean, checked above). In exchange it combines the floor's low peak-to-trough ratio
# with the buffer's smaller short-run jumps (compare the rows). Whether that is worth the extra
# margin is a policy choice; the table puts a price on it.
#
# ````{solution-end}
# ````

# %% [markdown]
# ```{exercise} Liquidation time or leverage mix? (★★★ hard)
# :label: ex-06-4
# Re-size the insurance fund at a 2% maintenance margin with a six-minute liquidation, and with
# all open interest at the maximum leverage instead of spread from a quarter of it to all of it. Which
# assumption moves the fund more?
# ```
#
# ````{solution-start} ex-06-4
# :class: dropdown
# ````

# %%
mm_ex = 0.02
max_lev_ex = np.floor(mm_im / mm_ex)
spread_lev = [max(1.0, f * max_lev_ex) for f in (0.25, 0.5, 0.75, 1.0)]
fund_ex = {}
for lev_name, lev_ in (("spread", spread_lev), ("all at max", [max_lev_ex])):
    for hours in (0.1, 1.0):
        fund_ex[lev_name, f"{60 * hours:.0f} min"] = insurance_fund(
            ohlcv,
            mm_ex,
            penalty,
            leverage=lev_,
            liquidation_hours=hours,
            n_sims=100,
            n_days=365,
            seed=SEED,
        ).required
fund_ex = pd.Series(fund_ex).unstack()
by_time_ = (fund_ex["60 min"] / fund_ex["6 min"]).mean()
by_mix_ = (fund_ex.loc["all at max"] / fund_ex.loc["spread"]).mean()
say(
    f"From 6 to 60 minutes the fund is multiplied by {by_time_:.1f} on average; concentrating the "
    f"leverage at the maximum multiplies it by {by_mix_:.2f}: the liquidation time matters "
    + ("more." if abs(np.log(by_time_)) > abs(np.log(by_mix_)) else "less.")
)
fund_ex

# %% [markdown]
# The fund is a share of open interest: moving every account to the maximum leverage makes them
# all hit the maintenance margin on the same days, but does not by itself add bad debt per unit
# of open interest; the liquidation time sets how far the price runs past the maintenance margin
# and dominates. Both are assumptions a venue must state next to its fund size.
#
# ````{solution-end}
# ````
