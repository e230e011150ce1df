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
    warnings.simplefilter("ignore", ConvergenceWarning)  # EWMA fallbacks, counted in chapter 5
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
# look-ahead), so it changes when March 2020 enters the history.
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
ax.set_title(f"{ASSET} 1-day 99% ES margin, with and without anti-procyclicality tools")
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

# %% [markdown]
# * The **buffer** is the most expensive option in calm times (up to 25% more margin every
#   day) and spends itself when the margin jumps: the largest 1- and 5-day increases fall, the
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
ax.set_title("Out of sample (2019-2020): continuous margins and a regime-based step margin")
ax.legend(fontsize=8)
plt.show()
regime_table = evaluate_paths(regime_paths, losses)
jump = test_raw / test_raw.shift(1) - 1
print(f"largest 1-day rise of the continuous margin: {jump.max():+.0%} on {jump.idxmax():%Y-%m-%d}")
regime_table

# %% [markdown]
# By these metrics the step margin is far less procyclical: its largest jump is bounded by the
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

# %% [markdown]
# March 2020 is the scenario every margin model fails: BTC's fall on 12 March (printed above)
# was far beyond any 1-day 99% margin estimated on the preceding calm year. A member who
# posted the initial margin lost more than all of it; the rest falls on the default waterfall: the
# liquidation penalty, the insurance fund, and finally auto-deleveraging or mutualised losses.
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
# from one minute to one hour. Open interest is spread over leverage of 25%, 50%, 75% and
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
results, rows = {}, []
for name, mm in mm_rates.items():
    max_lev = np.floor(mm_im / mm)  # IM = MM / (MM/IM), max leverage = 1 / IM
    lev = [max(1.0, f * max_lev) for f in (0.25, 0.5, 0.75, 1.0)]
    for minutes in LIQ_MINUTES:
        res = insurance_fund(
            ohlcv,
            mm,
            penalty,
            leverage=lev,
            liquidation_hours=minutes / 60,
            n_sims=N_SIMS,
            n_days=365,
            seed=SEED,
        )
        results[name, minutes] = res
        rows.append(
            {
                "setting": name,
                "max leverage": max_lev,
                "liquidation (min)": minutes,
                "fund (share of OI)": res.required,
            }
        )
fund = pd.DataFrame(rows).pivot_table(
    index=["setting", "max leverage"], columns="liquidation (min)", values="fund (share of OI)"
)
fund.reindex(list(mm_rates), level="setting")

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
ax.set_title(f"Insurance fund needs across simulated years ({LIQ_MINUTES[1]}-minute liquidation)")
ax.legend()
plt.show()

# %% [markdown]
# With the calibrated 1-day rates the fund is touched only through the days printed above:
# in Bitstamp's file BTC traded at 1.50 USD on 23 June 2016, a print far below every other
# price of the day, and accounts that had carried the losses of the preceding days were
# closed near it. A venue marking positions on an index of several exchanges would not have
# liquidated on one exchange's print: a fund sized on one exchange's lows is only as good as
# those lows. At venue-like maintenance rates the answer hinges on the liquidation time: a
# 0.4% maintenance margin is only viable if positions are closed within about a minute; at an
# hour, a bad day's slippage exceeds the maintenance margin of many accounts at once and the
# fund needed explodes. This is the other side of chapter 5's implied liquidation times: low
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
# 1. Lower `BUFFER` to 0.10 and raise it to 0.50. How do the average margin and the largest
#    5-day increase trade off? Is there a buffer that makes the 30-day increase vanish in
#    March 2020?
# 2. Replace the variance criterion of `find_stressed_period` by `criterion="margin"`. Why do
#    many windows tie, and which window does the ES criterion prefer?
# 3. Combine two tools: a 25% buffer on top of the 10-year floor. Is the result compliant with
#    Art. 28 more than once, and what does it cost?
# 4. Re-size the insurance fund with `liquidation_hours=0.1` (six minutes) and with a leverage
#    mix concentrated at the maximum. Which assumption matters more?
