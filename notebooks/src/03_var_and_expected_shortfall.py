# ---
# jupyter:
#   kernelspec:
#     display_name: Python 3
#     language: python
#     name: python3
# ---

# %% [markdown]
# # 3. Value-at-Risk and Expected Shortfall
#
# **The question.** An initial margin must cover the loss of a position over the time the venue
# needs to close it out, except in rare cases. "Rare" is a confidence level (99%, 99.5%); "the
# loss that is exceeded only rarely" is the **Value-at-Risk** (VaR); "the average loss when it
# is exceeded" is the **Expected Shortfall** (ES). Both are simple definitions. The hard part is
# estimating them from a few years of data for assets whose worst day in the sample is a 40-50%
# fall. Different, individually reasonable, estimators give margins that differ by a factor of
# two. This chapter puts them side by side.
#
# **The idea.** For a loss $L$ (minus the return) and a level $\alpha$,
# $\text{VaR}_\alpha = \inf\{x: P(L \le x) \ge \alpha\}$ and
# $\text{ES}_\alpha = \frac{1}{1-\alpha}\int_\alpha^1 \text{VaR}_u\,du$ (McNeil, Frey &
# Embrechts 2015, section 2.3). Estimators differ in what they assume about the distribution of
# tomorrow's loss: the past as it was (historical simulation), a fixed parametric shape
# (normal, Student-t, Cornish-Fisher), only a shape for the tail (extreme value theory), or a
# volatility model that rescales the past to today's conditions (GARCH, filtered historical
# simulation, McNeil-Frey EVT).
#
# **In this chapter**
#
# 1. why crypto needs fat tails: normal vs Student-t VaR and ES;
# 2. ten estimators on the same data at 99% and 99.5%, in calm and stressed markets;
# 3. multi-day horizons: the square-root-of-time rule against simulated paths;
# 4. ES against VaR;
# 5. how uncertain the estimates are: bootstrap confidence intervals;
# 6. the table and the figure for a risk committee.
#
# Conventions: VaR and ES are positive numbers, in fractions of the log return (a VaR of 0.10
# means a log-return loss of 10%; as a fraction of notional, $1 - e^{-0.10} = 9.5\%$ for a long
# position). A forecast for day $t$ uses data up to day $t-1$ only.

# %% tags=["parameters"]
ASSETS = ("BTC", "ETH")  # assets
EXCHANGE = "bitstamp"  # venue of the bundled data
LEVELS = (0.99, 0.995)  # confidence levels of the margin model
HORIZON = 10  # days of the multi-day horizon (close-out period in a stressed market)
CALM_DATE = "2020-12-07"  # forecast made with data up to this date (end of sample)
STRESS_DATE = "2020-03-12"  # forecast made at the close of the largest fall in the sample
N_SIMS = 10_000  # simulated paths for multi-day forecasts
N_BOOT = 100  # bootstrap replications for the fast estimators
N_BOOT_GARCH = 40  # ... and for those that refit a GARCH model each time
SEED = 20260101

# %%
import warnings

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import seaborn as sns

from riskkit import datasets
from riskkit.exceptions import DataQualityWarning, RiskkitWarning
from riskkit.risk import (
    CornishFisher,
    EVTPeaksOverThreshold,
    FilteredHistoricalSimulation,
    GarchParametric,
    HistoricalSimulation,
    Parametric,
    bootstrap_ci,
    empirical_var_es,
    normal_var_es,
    student_t_var_es,
)
from riskkit.risk.compare import compare_estimators, horizon_comparison
from riskkit.volatility import GarchSpec

sns.set_theme(style="whitegrid", context="notebook")
pd.set_option("display.precision", 4)
seeds = np.random.SeedSequence(SEED)

with warnings.catch_warnings():
    warnings.simplefilter("ignore", DataQualityWarning)  # defects are discussed in chapter 1
    returns = datasets.load_returns(ASSETS, exchange=EXCHANGE)
print(f"{len(returns)} daily returns, {returns.index[0]:%Y-%m-%d} to {returns.index[-1]:%Y-%m-%d}")

# %% [markdown]
# ## 1. Why crypto needs fat tails
#
# For a normal loss with standard deviation $\sigma$, the 99% VaR is $2.33\sigma$ and the 99% ES
# $2.67\sigma$ (QRM 2015, Example 2.14). A Student-t with the same standard deviation puts less
# mass in the shoulders and more in the tails: its VaR at 99% can be similar, but its VaR at
# 99.9% and its ES are much larger. The ratio ES/VaR is a quick measure of tail heaviness:
# 1.15 for the normal at 99%, larger for fat tails.

# %%
levels_grid = np.linspace(0.95, 0.999, 50)
curves = {"normal": np.asarray(normal_var_es(levels_grid))}
for df in (3, 5):
    curves[f"Student-t, {df} df"] = np.asarray(student_t_var_es(levels_grid, df))
z_btc = (returns[ASSETS[0]] - returns[ASSETS[0]].mean()) / returns[ASSETS[0]].std()
curves[f"{ASSETS[0]} empirical (standardised)"] = np.asarray(empirical_var_es(-z_btc, levels_grid))

fig, axes = plt.subplots(1, 2, figsize=(11, 4))
for name, arr in curves.items():
    axes[0].plot(100 * levels_grid, arr[:, 0], label=name)
    axes[1].plot(100 * levels_grid, arr[:, 1] / arr[:, 0], label=name)
axes[0].set(
    title="VaR of a unit-variance loss",
    xlabel="confidence level (%)",
    ylabel="VaR (standard deviations)",
)
axes[1].set(
    title="ES / VaR: how far beyond VaR the average tail loss lies",
    xlabel="confidence level (%)",
    ylabel="ES / VaR",
)
axes[0].legend(fontsize=8)
plt.tight_layout()
plt.show()

# %% [markdown]
# **What it means.** Up to about 97% the empirical BTC quantile, measured in standard
# deviations, is close to the normal's: a normal model calibrated on the standard deviation
# looks acceptable for everyday losses. Beyond, the empirical curve follows the Student-t with
# 3-5 degrees of freedom and leaves the normal behind, and its ES/VaR ratio is about 1.5 at
# every level, like a t with 3 degrees of freedom, against 1.15 for the normal. A margin model
# validated only by a 95% or 97.5% VaR can hide a tail far heavier than assumed.

# %% [markdown]
# ## 2. Ten estimators on the same data
#
# | estimator | what it assumes | riskkit |
# |---|---|---|
# | historical simulation | tomorrow's loss is one of the past losses, equally likely | `HistoricalSimulation()` |
# | age-weighted HS (Boudoukh, Richardson & Whitelaw 1998) | recent losses more likely (weights decay by 0.99 a day) | `HistoricalSimulation(age_weight=0.99)` |
# | normal | i.i.d. normal returns | `Parametric("normal")` |
# | Student-t | i.i.d. t returns (MLE) | `Parametric("t")` |
# | Cornish-Fisher | normal quantile corrected with sample skewness and kurtosis | `CornishFisher()` |
# | EVT (POT) | generalised Pareto tail above the 90% loss quantile | `EVTPeaksOverThreshold(None)` |
# | GARCH-normal | GARCH(1,1) variance, normal innovations | `GarchParametric(GarchSpec("GARCH"))` |
# | GARCH-t | GARCH(1,1) variance, Student-t innovations | `GarchParametric(GarchSpec("GARCH", dist="t"))` |
# | FHS (Barone-Adesi et al. 1999) | past standardised residuals rescaled by today's GARCH volatility | `FilteredHistoricalSimulation(GarchSpec("GARCH"))` |
# | EVT-GARCH (McNeil & Frey 2000) | GPD tail of the GARCH residuals | `EVTPeaksOverThreshold(GarchSpec("GARCH"))` |
#
# The volatility filter of FHS and McNeil-Frey EVT is a GARCH(1,1) estimated by normal
# quasi-maximum likelihood, as in McNeil & Frey (2000): it only has to get the variance right;
# the tail comes from the residuals. (Chapter 2 found EGARCH preferred by BIC for BTC; we avoid
# it here because with Student-t or Pareto-tailed shocks its multi-day ES is infinite, and
# riskkit would say so.)
#
# Every estimator is fitted on all data up to the forecast date. We forecast on two dates:
# the end of the sample (calm) and the close of 12 March 2020 (the day of the crash, so the
# forecast is for 13 March, when volatility was at its peak).

# %%
ESTIMATORS = {
    "HS": HistoricalSimulation(),
    "HS age-weighted": HistoricalSimulation(age_weight=0.99),
    "normal": Parametric("normal"),
    "Student-t": Parametric("t", horizon_method="simulate", n_sims=N_SIMS),
    "Cornish-Fisher": CornishFisher(),
    "EVT (POT)": EVTPeaksOverThreshold(None, horizon_method="simulate", n_sims=N_SIMS),
    "GARCH-normal": GarchParametric(GarchSpec("GARCH"), n_sims=N_SIMS),
    "GARCH-t": GarchParametric(GarchSpec("GARCH", dist="t"), n_sims=N_SIMS),
    "FHS": FilteredHistoricalSimulation(GarchSpec("GARCH"), n_sims=N_SIMS),
    "EVT-GARCH": EVTPeaksOverThreshold(
        GarchSpec("GARCH"), horizon_method="simulate", n_sims=N_SIMS
    ),
}
DATES = {"calm": CALM_DATE, "stress": STRESS_DATE}


def run_all(asset: str, date: str, horizon: int, seed: np.random.SeedSequence) -> pd.DataFrame:
    """The line-up on ``asset`` with data up to ``date`` (inclusive), one row per estimator."""
    table = compare_estimators(returns[asset].loc[:date], ESTIMATORS, LEVELS, horizon, seed)
    return pd.concat({asset: table}, names=["asset"])


one_day = {
    regime: pd.concat([run_all(a, date, 1, seeds.spawn(1)[0]) for a in ASSETS])
    for regime, date in DATES.items()
}
(100 * one_day["calm"].drop(columns="notes")).round(1).join(one_day["calm"]["notes"])

# %% [markdown]
# The table is in percent of log return. Notes record when riskkit used a fallback (BTC's
# GARCH-t fit is integrated, so it falls back to EWMA with Student-t innovations; chapter 2) or
# warned (Cornish-Fisher outside its domain of validity: the March 2020 crash in the sample gives
# a kurtosis so large that the expansion is no longer a monotone quantile function, and its
# numbers are not to be trusted).

# %%
(100 * one_day["stress"].drop(columns="notes")).round(1).join(one_day["stress"]["notes"])

# %% [markdown]
# **What it means.** On the calm date the estimators agree within a factor of about 1.5 at
# 99% VaR, Cornish-Fisher apart; ES, and everything at 99.5%, spreads further. On the stress
# date the unconditional estimators (HS, normal, t, EVT-POT) barely move: the crash is one
# observation among a thousand. The conditional ones (GARCH, FHS, EVT-GARCH) multiply by three
# to five because the filtered volatility jumped. Age-weighted HS jumps to the size of the crash itself: the
# crash is yesterday's loss and carries more than 1% of the probability.
#
# Was any of them adequate the day *before* the crash? The forecast made at the close of
# 11 March against the realised loss of 12 March:

# %%
crash_day = pd.Timestamp(STRESS_DATE)
eve = returns.index[returns.index.get_loc(crash_day) - 1]
before = pd.concat([run_all(a, str(eve.date()), 1, seeds.spawn(1)[0]) for a in ASSETS])
realised = -returns.loc[crash_day]
check = (100 * before[[f"var_{LEVELS[-1]:g}", f"es_{LEVELS[-1]:g}"]]).round(1)
check["realised loss"] = [
    round(100 * realised[a], 1) for a in check.index.get_level_values("asset")
]
check["loss / ES"] = (check["realised loss"] / check[f"es_{LEVELS[-1]:g}"]).round(1)
check

# %% [markdown]
# None: the realised loss was 1.5 to 4.5 times the 99.5% ES of every model; the Student-t
# models, with their very heavy fitted tails, came closest. This is what
# *stress* margins and default funds exist for (chapter 6): a one-day 99.5% margin is not
# designed to cover the worst day in a decade. It also shows why the multi-day horizon and the
# tail shape matter: the crash was preceded by a few days of rising losses.

# %% [markdown]
# ## 3. Multi-day horizons: square root of time or simulated paths?
#
# A margin must cover the close-out period, often more than one day. The standard shortcut
# multiplies the one-day VaR by $\sqrt{h}$. It is exact only for i.i.d. normal returns. Two
# effects break it:
#
# * **aggregation thins the tails**: a sum of $h$ i.i.d. fat-tailed returns is closer to normal
#   than each of them, so $\sqrt{h}$ times a fat-tailed one-day quantile overstates the h-day
#   quantile;
# * **volatility mean-reverts and feeds back**: after a shock today's high volatility decays
#   over the horizon (so $\sqrt{h}$ overstates), while in a calm market it tends to rise (so
#   $\sqrt{h}$ understates); and a large loss on day 1 raises day 2's volatility.
#
# Simulating $h$-day paths through the fitted GARCH recursion keeps both effects. The table
# compares the two for each method that has both options (`horizon_method`).


# %%
PATH_METHOD = {
    "HS": "overlapping",
    "Student-t": "simulate",
    "Cornish-Fisher": "cumulants",
    "EVT (POT)": "simulate",
    "GARCH-normal": "simulate",
    "GARCH-t": "simulate",
    "FHS": "simulate",
    "EVT-GARCH": "simulate",
}


def horizon_table(asset: str, date: str, seed: np.random.SeedSequence) -> pd.DataFrame:
    """h-day ES at the first level: square-root rule against the path-based method."""
    x = returns[asset].loc[:date]
    table = horizon_comparison(x, ESTIMATORS, PATH_METHOD, LEVELS[0], HORIZON, seed)
    return pd.concat({asset: table}, names=["asset"])


multi = pd.concat(
    {
        regime: pd.concat([horizon_table(a, date, seeds.spawn(1)[0]) for a in ASSETS])
        for regime, date in DATES.items()
    },
    names=["regime"],
)
print(f"{HORIZON}-day ES at {LEVELS[0]:.1%}, percent of log return")
fmt = {"ES sqrt": "{:.1%}", "ES path": "{:.1%}", "path / sqrt": "{:.2f}"}
multi.style.format(fmt)

# %%
fig, ax = plt.subplots(figsize=(11, 4.5))
plot_df = multi["path / sqrt"].rename("ratio").reset_index()
plot_df["asset, regime"] = plot_df["asset"] + ", " + plot_df["regime"]
sns.barplot(data=plot_df, x="method", y="ratio", hue="asset, regime", ax=ax)
ax.axhline(1.0, color="black", lw=1)
ax.set(
    title=f"{HORIZON}-day {LEVELS[0]:.0%} ES: path-based method relative to sqrt-of-time",
    xlabel="",
    ylabel="ES(path) / ES(sqrt rule)",
)
ax.tick_params(axis="x", rotation=30)
plt.tight_layout()
plt.show()

# %%
ratio_range = multi["path / sqrt"].groupby(level="regime").agg(["min", "median", "max"])
ratio_range.columns = ["lowest ES(path)/ES(sqrt)", "median", "highest"]
ratio_range.style.format("{:.2f}")

# %% [markdown]
# **What it means.**
#
# * For the i.i.d. methods (Student-t, EVT-POT, HS with overlapping sums, Cornish-Fisher with
#   aggregated cumulants) the path-based ES is mostly *below* the square-root rule:
#   aggregation thins the tails. The square-root rule applied to a fat-tailed one-day ES is
#   then conservative, though not always (a ratio above 1 in the table is an exception).
# * For the GARCH methods the effects pull in opposite directions and the ratio depends on the
#   model and the regime (the table above gives its range in each regime). On the stress date
#   the forecast volatility is far above its long-run level and decays over the horizon, which
#   pulls the path-based ES below $\sqrt{h}$ times the one-day ES. In the calm regime
#   volatility tends to drift up and a loss on day 1 raises day 2's volatility, which pushes it
#   above; with normal innovations (no tail thinning to offset it) the path-based ES exceeds
#   the square-root rule, which is then not conservative.
# * A venue that scales a one-day margin by $\sqrt{h}$ is therefore procyclical: too low in calm
#   markets, too high right after a crash. (Cornish-Fisher's ratio is an artefact: aggregating
#   its cumulants brings the expansion back into its domain of validity, which the one-day
#   version, with the crash in the sample, is far outside.)

# %% [markdown]
# ## 4. ES against VaR
#
# The Basel Committee's FRTB (BCBS 2019, MAR33) replaced the 99% VaR by the 97.5% ES because
# ES sees the size of tail losses, not only their frequency; for a normal distribution the two
# numbers are almost equal ($2.338\sigma$ vs $2.326\sigma$). Their ratio across estimators
# measures how much tail each model sees beyond the VaR.

# %%
x_calm = {a: returns[a].loc[:CALM_DATE].to_numpy() for a in ASSETS}
ratio_rows = []
for a in ASSETS:
    for name in ("HS", "normal", "Student-t", "EVT (POT)", "GARCH-t", "FHS", "EVT-GARCH"):
        est = ESTIMATORS[name]
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RiskkitWarning)
            params = est.fit(x_calm[a])
            out = est.forecast(x_calm[a], params, [0.975, 0.99])
        ratio_rows.append({"asset": a, "method": name, "ES 97.5% / VaR 99%": out[0, 1] / out[1, 0]})
pd.DataFrame(ratio_rows).pivot(index="method", columns="asset").round(3)

# %% [markdown]
# Under the normal the ratio is 1.005; fat-tailed models give more. A venue moving from a 99%
# VaR margin to a 97.5% ES margin (the FRTB switch) raises margins only if its model sees a fat
# tail.

# %% [markdown]
# ## 5. How precise are these numbers? Bootstrap confidence intervals
#
# Each estimate comes from about 1,200 days; at 99.5% that is six observations beyond the VaR.
# `bootstrap_ci` resamples the window in blocks of 20 days (to keep volatility clusters),
# re-estimates the parameters and forecasts again. For models with parameters the forecast is
# made on the original window with the bootstrap parameters, so the interval measures
# estimation error at today's conditioning (Christoffersen & Goncalves 2005).

# %%
ci_methods = {
    "HS": N_BOOT,
    "Student-t": N_BOOT,
    "EVT (POT)": N_BOOT,
    "GARCH-t": N_BOOT_GARCH,
    "FHS": N_BOOT_GARCH,
    "EVT-GARCH": N_BOOT_GARCH,
}
ci_frames = []
for a in ASSETS:
    for name, n_boot in ci_methods.items():
        seed = int(seeds.spawn(1)[0].generate_state(1)[0])
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RiskkitWarning)
            ci = bootstrap_ci(
                x_calm[a], ESTIMATORS[name], LEVELS, n_boot=n_boot, seed=seed, block_size=20
            )
        ci_frames.append(ci.table.assign(asset=a, method=name).reset_index())
cis = pd.concat(ci_frames).set_index(["asset", "method", "level", "measure"])
es_ci = cis.xs("es", level="measure")
(100 * es_ci[["estimate", "lower", "upper", "width"]]).round(1).join(es_ci["rel_width"].round(2))

# %% [markdown]
# **What it means.** The width of the 90% interval of a 99.5% ES is between a third and four
# fifths of the estimate itself. Differences between estimators smaller than this are noise;
# a margin committee should not fine-tune a model to the second digit. HS is the least precise
# (a handful of tail observations); parametric tails (Student-t, GARCH-t) are tighter because
# they borrow strength from the whole sample, at the price of assuming the tail's shape; EVT
# lies in between. (For BTC's GARCH-t the point estimate uses the EWMA fallback while most
# bootstrap refits converge to a stationary GARCH, so its interval sits above the estimate.)

# %% [markdown]
# ## 6. For the risk committee
#
# One table: the one-day margin candidates at 99.5% for the calm date, with their precision,
# the multi-day figure and the stressed-date figure side by side; and one figure. Cornish-Fisher
# is left out: with the March 2020 crash in the window it is outside its domain of validity.

# %%
lv = f"{LEVELS[-1]:g}"
committee = pd.DataFrame(
    {
        f"VaR {LEVELS[-1]:.1%} 1d": one_day["calm"][f"var_{lv}"],
        f"ES {LEVELS[-1]:.1%} 1d": one_day["calm"][f"es_{lv}"],
        f"ES {LEVELS[-1]:.1%} 1d, stress date": one_day["stress"][f"es_{lv}"],
    }
)
committee = committee.join(
    es_ci.xs(LEVELS[-1], level="level")[["lower", "upper"]].rename(
        columns={"lower": "ES 90% CI low", "upper": "ES 90% CI high"}
    )
)
committee[f"ES {LEVELS[0]:.0%} {HORIZON}d (paths)"] = multi.xs("calm")["ES path"]
committee["notes"] = one_day["calm"]["notes"]
committee = committee.drop(index="Cornish-Fisher", level="method")
committee.style.format({c: "{:.1%}" for c in committee.columns if c != "notes"}, na_rep="")

# %%
fig, axes = plt.subplots(1, len(ASSETS), figsize=(12, 5), sharex=True)
for ax, a in zip(np.atleast_1d(axes), ASSETS, strict=True):
    tab = committee.xs(a)
    order = tab[f"ES {LEVELS[-1]:.1%} 1d"].sort_values().index
    y = np.arange(len(order))
    ax.scatter(
        100 * tab.loc[order, f"VaR {LEVELS[-1]:.1%} 1d"],
        y,
        marker="|",
        s=200,
        color="grey",
        label="VaR",
    )
    ax.scatter(100 * tab.loc[order, f"ES {LEVELS[-1]:.1%} 1d"], y, color="C0", label="ES")
    has_ci = tab.loc[order, "ES 90% CI low"].notna().to_numpy()
    ax.hlines(
        y[has_ci],
        100 * tab.loc[order, "ES 90% CI low"].to_numpy()[has_ci],
        100 * tab.loc[order, "ES 90% CI high"].to_numpy()[has_ci],
        color="C0",
        lw=2,
        alpha=0.5,
        label="ES 90% bootstrap CI",
    )
    ax.scatter(
        100 * tab.loc[order, f"ES {LEVELS[-1]:.1%} 1d, stress date"],
        y,
        marker="x",
        color="C3",
        label=f"ES on {STRESS_DATE}",
    )
    ax.set_yticks(y, order)
    ax.set(
        title=f"{a}: one-day {LEVELS[-1]:.1%} margin candidates", xlabel="loss (% of log return)"
    )
np.atleast_1d(axes)[0].legend(fontsize=8, loc="lower right")
plt.tight_layout()
plt.show()

# %% [markdown]
# **Reading the figure.** Each row is a candidate model; the dot is its one-day 99.5% ES on the
# calm date, the bar its bootstrap 90% interval, the grey tick its VaR, the red cross its ES on
# the stress date. Three messages for the committee:
#
# 1. *Tail shape before model sophistication.* The normal-based models sit at the bottom; any
#    model that lets the data choose a fat tail (Student-t, EVT, FHS, HS) gives an ES 1.5 to 3
#    times higher.
# 2. *Conditional models react, unconditional ones do not.* The crosses show which margins
#    would have risen after the crash. Conditioning is what protects a venue when markets
#    turn; chapter 6 adds floors and buffers so that it does not also make margins collapse in
#    calm periods.
# 3. *Precision is limited.* The intervals overlap for most fat-tailed models: choose among
#    them on backtests (chapter 4) and on stability (chapter 5), not on the point estimate.

# %% [markdown]
# ## Exercises
#
# 1. **Levels.** Rerun with `LEVELS = (0.975, 0.999)`. Which estimators change most between
#    the two levels, and why does EVT matter more at 99.9%?
# 2. **Age weighting.** Plot the one-day 99% VaR of `HistoricalSimulation(age_weight=lam)`
#    for `lam` in 0.97, 0.99, 0.995 and 1 (plain HS) over March-April 2020, each forecast using
#    data up to the previous day. What does the decay do to how fast margins return to normal?
# 3. **Threshold choice.** For `EVTPeaksOverThreshold(GarchSpec("GARCH"), threshold_quantile=q)`,
#    plot the 99.5% ES and the GPD shape `xi` (from `fit`) for `q` from 0.85 to 0.97. Where is
#    the estimate stable? (McNeil & Frey 2000 use about the top 10%.)
# 4. **Closed forms.** Show that for a normal loss ES at 97.5% and VaR at 99% differ by less
#    than 0.5%, using `normal_var_es`, and find the confidence level at which a Student-t(4)
#    ES equals its 99% VaR.
#
# **References.** McNeil, Frey & Embrechts (2015) *Quantitative Risk Management*, revised ed.,
# Princeton; McNeil & Frey (2000) J. Empirical Finance 7; Barone-Adesi, Giannopoulos & Vosper
# (1999) J. Futures Markets 19; Boudoukh, Richardson & Whitelaw (1998) Risk 11; Acerbi &
# Tasche (2002) J. Banking & Finance 26; Christoffersen & Goncalves (2005) J. Risk 7; Basel
# Committee on Banking Supervision (2019) *Minimum capital requirements for market risk*, MAR33.
