# ---
# jupyter:
#   kernelspec:
#     display_name: Python 3
#     language: python
#     name: python3
# ---

# %% [markdown]
# # 2. Volatility models: from rolling windows to the GARCH family
#
# **The question.** A margin rate is, to first order, a multiple of the volatility the venue
# expects over the close-out period. Which volatility? Yesterday's 30-day standard deviation,
# an exponentially weighted average, or the forecast of a GARCH model? The choice decides how
# much margin is collected in calm markets, how fast it rises when markets turn, and how fast it
# falls back afterwards (the *procyclicality* regulators worry about).
#
# **The idea.** Volatility is not observed; every estimator is a filter that turns past returns
# (or past price ranges) into an estimate of today's standard deviation. Filters differ in how
# much they weight recent days, how noisy they are, and whether they know that volatility mean
# reverts. GARCH models make the filter a *model* with parameters estimated by maximum
# likelihood, so the data decide the weights, and the model also says how fast a shock dies out
# (persistence, half-life) and whether falls raise volatility more than rises (asymmetry).
#
# **In this chapter**
#
# 1. rolling close-to-close volatility and the range estimators (Parkinson, Garman-Klass,
#    Yang-Zhang) on BTC;
# 2. EWMA (RiskMetrics) and what its decay means in days;
# 3. the GARCH family on BTC and ETH, compared by information criteria;
# 4. residual diagnostics: did the model capture the clustering and the tails?
# 5. news impact curves: is there a leverage effect in crypto?
# 6. persistence and half-life: how fast a margin computed from each model reacts and decays.
#
# Conventions: returns are daily log returns in fractions; volatilities are annualised with
# 365 days (crypto trades every day) unless stated.

# %% tags=["parameters"]
ASSETS = ("BTC", "ETH")  # assets modelled side by side
EXCHANGE = "bitstamp"  # venue of the bundled data
PERIODS_PER_YEAR = 365  # crypto trades every day
ROLL_WINDOW = 30  # days in the rolling-window estimators
EWMA_LAMBDA = 0.94  # RiskMetrics (1996) daily decay
CRASH_DAY = "2020-03-12"  # largest one-day fall in the sample
FORECAST_HORIZON = 60  # days in the volatility term-structure plots

# %%
import warnings

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import seaborn as sns
from IPython.display import display

from riskkit import datasets
from riskkit.events import event_window
from riskkit.exceptions import ConvergenceWarning, DataQualityWarning, RiskkitWarning
from riskkit.volatility import (
    GarchSpec,
    annualize,
    arch_lm,
    close_to_close,
    compare,
    ewma_volatility,
    garman_klass,
    ljung_box,
    parkinson,
    qq_data,
    residual_diagnostics,
    yang_zhang,
)

sns.set_theme(style="whitegrid", context="notebook")
pd.set_option("display.precision", 4)
crash = pd.Timestamp(CRASH_DAY)

# %%
with warnings.catch_warnings():
    # chapter 1 discusses the data defects; here we use the cleaned series
    warnings.simplefilter("ignore", DataQualityWarning)
    returns = datasets.load_returns(ASSETS, exchange=EXCHANGE)
    ohlc = {a: datasets.load_ohlcv(a, exchange=EXCHANGE).loc[returns.index] for a in ASSETS}
print(
    f"{len(returns)} daily returns from {returns.index[0]:%Y-%m-%d} to {returns.index[-1]:%Y-%m-%d}"
)
returns.describe().T

# %% [markdown]
# ## 1. Rolling windows and price ranges
#
# The simplest estimate is the standard deviation of the last 30 daily returns. It has two
# defects that every later model tries to fix: each of the 30 days has the same weight (so a
# crash moves the estimate up by a step and, 30 days later, down by a step, for no reason
# related to the market on that day), and it uses one number per day, the close.
#
# The range estimators use the high and low of each day as well. Under a random walk a daily
# range contains much more information than one close-to-close return: Parkinson's estimator
# is about 5 times as efficient, Garman-Klass about 7 times (Garman & Klass 1980). Because a
# crypto "day" has no overnight gap (each bar opens at the previous close), the Yang-Zhang
# correction for opening jumps is nearly inactive here.

# %%
asset = ASSETS[0]
r = returns[asset]
vols = pd.DataFrame(
    {
        "close-to-close": close_to_close(r, window=ROLL_WINDOW, periods_per_year=PERIODS_PER_YEAR),
        "Parkinson": parkinson(ohlc[asset], window=ROLL_WINDOW, periods_per_year=PERIODS_PER_YEAR),
        "Garman-Klass": garman_klass(
            ohlc[asset], window=ROLL_WINDOW, periods_per_year=PERIODS_PER_YEAR
        ),
        "Yang-Zhang": yang_zhang(
            ohlc[asset], window=ROLL_WINDOW, periods_per_year=PERIODS_PER_YEAR
        ),
    }
)
fig, ax = plt.subplots(figsize=(11, 4))
(100 * vols).plot(ax=ax, lw=1)
ax.axvline(crash, color="grey", ls=":", lw=1)
ax.set(
    title=f"{asset}: {ROLL_WINDOW}-day rolling volatility estimators",
    ylabel="annualised volatility (%)",
    xlabel="date (UTC)",
)
plt.show()
(100 * vols).describe().T[["mean", "50%", "min", "max"]]

# %% [markdown]
# **What it means.** The range estimators are smoother (less sampling noise) and, on average,
# *lower* than close-to-close. Part of the gap is a known bias: the observed daily high and low
# are those of traded prices, so the true range of the price process is larger than the one
# recorded, and part is the fat tails of crypto returns, which the Brownian-motion derivation
# of the range estimators ignores. For margins, where the tail matters, close-to-close returns
# remain the reference; the range estimators are useful as a cross-check and for intraday
# monitoring.
#
# Note the *plateau* after the crash: the rolling estimate stays high for exactly
# `ROLL_WINDOW` days and then drops on the day the crash leaves the window.

# %% [markdown]
# ## 2. EWMA: a window with fading memory
#
# RiskMetrics (J.P. Morgan/Reuters 1996) replaces the flat window with exponentially declining
# weights: $\sigma^2_t = \lambda \sigma^2_{t-1} + (1-\lambda) r_t^2$. With $\lambda = 0.94$ a
# return's weight halves every $\ln 0.5 / \ln \lambda$ days and the weights have the same
# "centre of mass" as a flat window of about $1/(1-\lambda)$ days:

# %%
half_life_ewma = np.log(0.5) / np.log(EWMA_LAMBDA)
print(
    f"lambda = {EWMA_LAMBDA}: weight half-life {half_life_ewma:.1f} days, "
    f"effective window ~ {1 / (1 - EWMA_LAMBDA):.1f} days"
)
ewma = pd.DataFrame(
    {
        f"EWMA {lam}": ewma_volatility(r, lam=lam, periods_per_year=PERIODS_PER_YEAR)
        for lam in (0.90, EWMA_LAMBDA, 0.97)
    }
)
ewma[f"{ROLL_WINDOW}-day rolling"] = vols["close-to-close"]
fig, ax = plt.subplots(figsize=(11, 4))
(100 * event_window(ewma, crash, before=45, after=90)).plot(ax=ax)
ax.axvline(crash, color="grey", ls=":", lw=1)
ax.set(
    title=f"{asset} around {CRASH_DAY}: EWMA decays, the rolling window drops in one step",
    ylabel="annualised volatility (%)",
    xlabel="date (UTC)",
)
plt.show()

# %% [markdown]
# The initial value of the recursion matters only at the start: `ewma_volatility` starts from
# the mean square of the first 30 returns by default (`init="sample"`; `"first"` and `arch`'s
# `"backcast"` are available), and the influence of the start decays like $\lambda^t$.

# %%
inits = pd.DataFrame(
    {
        init: ewma_volatility(r, init=init, periods_per_year=PERIODS_PER_YEAR)
        for init in ("sample", "first", "backcast")
    }
)
print("largest relative difference between initialisations after day t:")
for t in (0, 20, 60, 120):
    print(f"  t={t:3d}: {(inits.iloc[t].max() / inits.iloc[t].min() - 1):.2%}")

# %% [markdown]
# ## 3. The GARCH family
#
# GARCH(1,1) (Bollerslev 1986) adds a constant to EWMA,
# $\sigma^2_t = \omega + \alpha \varepsilon^2_{t-1} + \beta \sigma^2_{t-1}$, and lets the data
# choose $\omega, \alpha, \beta$. The constant is what makes volatility *mean revert* to the
# long-run level $\omega / (1 - \alpha - \beta)$ when $\alpha + \beta < 1$; EWMA is the
# special case $\omega = 0$, $\alpha + \beta = 1$ (no mean reversion). The extensions:
#
# * **GJR** (Glosten, Jagannathan & Runkle 1993) adds $\gamma \varepsilon^2_{t-1} 1[\varepsilon_{t-1}<0]$: falls raise variance more than rises when $\gamma > 0$ (the equity "leverage effect");
# * **EGARCH** (Nelson 1991) models $\ln \sigma^2_t$, so no positivity constraints, with
#   asymmetry through the sign of the standardised shock;
# * **APARCH** (Ding, Granger & Engle 1993) models $\sigma^\delta$ with a free power $\delta$.
#
# The innovation $z_t = \varepsilon_t / \sigma_t$ is normal, Student-t, Hansen's skewed t or
# GED. All are estimated by maximum likelihood with `arch`; riskkit rescales the returns for
# the optimiser and reports everything back in return units. We rank the models by BIC,
# which penalises each extra parameter by $\ln n$.

# %%
specs = [
    GarchSpec("GARCH", dist="normal"),
    GarchSpec("GARCH", dist="t"),
    GarchSpec("GJR", dist="t"),
    GarchSpec("EGARCH", dist="t"),
    GarchSpec("APARCH", dist="t"),
    GarchSpec("GJR", dist="skewt"),
]
tables, fits = {}, {}
for a in ASSETS:
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", ConvergenceWarning)
        ranking = compare(specs, returns[a], sort_by="bic")
    tables[a], fits[a] = ranking.table, ranking.results
    for w in caught:
        print(f"{a}: {w.message}")
comparison = pd.concat(tables, names=["asset", "model"])
comparison["uncond_vol_ann"] = annualize(comparison["uncond_vol"], PERIODS_PER_YEAR)
comparison.fillna({"fallback": "-"})[
    [
        "loglik",
        "n_params",
        "aic",
        "bic",
        "rank",
        "persistence",
        "half_life",
        "uncond_vol_ann",
        "fallback",
    ]
]

# %% [markdown]
# **What it means.**
#
# * The Student-t innovation improves the log-likelihood by far more than any change of the
#   variance equation: the largest single modelling decision for crypto is *fat tails*, not
#   asymmetry. The estimated degrees of freedom are around 3, i.e. barely a finite variance.
# * Where a fit shows `persistence = 1` and a `fallback`, the maximum-likelihood estimate sits on
#   the stationarity boundary ($\alpha + \gamma/2 + \beta = 1$, an integrated GARCH; `arch`
#   does not allow more): the data cannot distinguish the model from one with no mean
#   reversion. riskkit warns and keeps that maximum-likelihood integrated GARCH (recorded in
#   `fallback` as `IGARCH(ML boundary estimate)`). The alternative,
#   `GarchSpec(..., on_integrated="ewma")`, replaces it by the RiskMetrics EWMA(0.94) with the
#   innovation shape re-estimated; but EWMA is integrated too (its long-run volatility is also
#   infinite), so it does not cure non-stationarity: it only replaces the estimated reaction
#   speed ($\alpha$ often 0.1-0.3 for BTC) by RiskMetrics' 0.06. That costs likelihood: on
#   500-day BTC windows it is typically several log-likelihood points below the boundary
#   estimate, and its next-days forecasts score worse, which is why it is not the default.
#   Either way, such a fit is a signal to prefer a model that does find mean reversion (here
#   EGARCH) or to impose it.
# * The summary of a fit lists the raw estimates with robust standard errors (Bollerslev &
#   Wooldridge 1992):

# %%
best = {a: tables[a].index[0] for a in ASSETS}
for a in ASSETS:
    print(f"{a}: best model by BIC = {best[a]}")
fits[ASSETS[-1]]["GJR(1,1,1)-t"].summary()

# %% [markdown]
# In the GJR fit the asymmetry coefficient $\gamma$ is small, slightly *negative* and not
# significant (its t-statistic is far below 2), for BTC as well as ETH: unlike equity indices,
# crypto returns in this sample show no leverage effect. The long-run volatility of the
# Student-t fits is imprecise: with about 3 degrees of freedom the variance is barely finite,
# and a few extreme days move $\omega / (1 - \text{persistence})$ a lot.

# %% [markdown]
# ## 4. Did the model capture the clustering and the tails?
#
# If the model is right, the standardised residuals $z_t$ are i.i.d. with the assumed
# distribution. We test: no autocorrelation in $z$ and in $z^2$ (Ljung-Box, 10 lags), no
# remaining ARCH effect (Engle's LM test), no response of $z_t^2$ to the sign and size of
# $z_{t-1}$ (Engle & Ng 1993 sign-bias tests), and the distribution (Kolmogorov-Smirnov against
# the fitted law). The table shows p-values: small values are evidence *against* the model.
# As a benchmark, the raw returns (a "model" with constant variance) fail the $z^2$ tests.

# %%
diag = pd.concat(
    {a: pd.DataFrame({k: residual_diagnostics(v) for k, v in fits[a].items()}).T for a in ASSETS},
    names=["asset", "model"],
)
benchmark = pd.DataFrame(
    {
        a: {
            "lb_z2 (raw returns)": ljung_box(
                returns[a] / returns[a].std(), lags=[10], squared=True
            )["lb_pvalue"].iloc[0],
            "arch_lm (raw returns)": arch_lm(returns[a])["lm_pvalue"],
        }
        for a in ASSETS
    }
).T
display(benchmark)
diag.style.format("{:.3f}").background_gradient(cmap="RdYlGn", vmin=0, vmax=0.1)

# %% [markdown]
# The raw returns reject the no-ARCH hypotheses (at 5% for BTC, overwhelmingly for ETH); every
# GARCH model removes the clustering ($z^2$ tests pass) and none leaves a sign bias. (Fits that
# fell back to EWMA share the same residuals, hence identical rows.) The models differ in the
# *distribution* test: the normal is rejected outright; for BTC even the symmetric t is
# rejected at 1% while the skewed t is not. A QQ plot shows where:

# %%
fig, axes = plt.subplots(1, 2, figsize=(11, 4.5), sharey=True)
for ax, label in zip(axes, ["GARCH(1,1)-normal", best[ASSETS[0]]], strict=True):
    res = fits[ASSETS[0]][label]
    qq = qq_data(res.std_resid, res)
    ax.scatter(qq["theoretical"], qq["sample"], s=6, alpha=0.6)
    lim = np.nanmax(np.abs(qq.to_numpy()))
    ax.plot([-lim, lim], [-lim, lim], color="black", lw=1)
    ax.set(
        title=f"{ASSETS[0]} {label}{' (fallback)' if res.fallback else ''}",
        xlabel="quantile of the fitted innovation distribution",
        ylabel="quantile of the standardised residuals",
    )
plt.tight_layout()
plt.show()

# %% [markdown]
# Under the normal the left tail of the residuals lies far below the line: the largest falls
# are 6 to 10 "model standard deviations", events a normal model puts at odds of one in
# billions. With Student-t innovations (the BIC-preferred model on the right) the points stay
# much closer to the line; only the March 2020 crash still lies beyond what the model expects.
# This is the first of many places where crypto needs fat tails; chapter 3 turns it into VaR.

# %% [markdown]
# ## 5. News impact curves
#
# Engle & Ng (1993) proposed to look at a volatility model through its *news impact curve*:
# tomorrow's variance as a function of today's shock, with today's variance held at its
# long-run level. A symmetric GARCH gives a parabola centred at zero; GJR and EGARCH tilt it.

# %%
fig, axes = plt.subplots(1, len(ASSETS), figsize=(11, 4))
for ax, a in zip(np.atleast_1d(axes), ASSETS, strict=True):
    ref = fits[a]["EGARCH(1,1,1)-t"]
    s = float(returns[a].std())
    shocks = np.linspace(-4, 4, 161) * s
    for label in ["GARCH(1,1)-normal", "GJR(1,1,1)-t", "EGARCH(1,1,1)-t", "APARCH(1,1,1)-t"]:
        res = fits[a][label]
        nic = res.news_impact(shocks, sigma2_prev=s**2)
        ax.plot(100 * shocks, 100 * annualize(np.sqrt(nic), PERIODS_PER_YEAR), label=label)
    ax.set(
        title=f"{a}: news impact (today's variance at the sample level)",
        xlabel="today's return shock (%)",
        ylabel="tomorrow's volatility (annualised %)",
    )
axes[0].legend(fontsize=8)
plt.tight_layout()
plt.show()

# %% [markdown]
# The curves are close to symmetric: in this sample, a 10% rise in BTC raises tomorrow's
# volatility about as much as a 10% fall (if anything slightly more, as $\gamma < 0$). For an
# equity index the GJR curve would be clearly steeper on the left (see exercise 3). What
# differs between models is the *curvature*: EGARCH and APARCH respond less than
# quadratically to very large shocks, which matters for how much
# a single crash day raises the margin.

# %% [markdown]
# ## 6. Persistence, half-life and how fast margins react
#
# Persistence is the fraction of today's variance shock still present tomorrow (for GARCH,
# $\alpha + \beta$; for GJR, $\alpha + \gamma/2 + \beta$; for EGARCH $\beta$ in logs). The
# half-life $\ln 0.5 / \ln(\text{persistence})$ is the number of days for the excess of the
# variance over its long-run level to halve. It governs two things a margin committee cares
# about: how long margins stay elevated after a stress event, and how far the model's
# multi-day volatility departs from the square-root-of-time rule.

# %%
# the same fits as the comparison table of section 3, which already holds these columns
comparison[["persistence", "half_life", "uncond_vol_ann", "fallback"]].assign(
    uncond_vol_ann=100 * comparison["uncond_vol_ann"]
).rename(columns={"half_life": "half_life_days", "uncond_vol_ann": "long_run_vol_ann_%"})

# %% [markdown]
# Now the term structure. We take the information available at the close of the crash day
# and forecast the volatility of each of the next days with the fitted model. A stationary
# GARCH forecast decays towards the long-run level at the speed set by the half-life; EWMA
# (and any integrated fit) forecasts a flat term structure: the crash-day volatility forever.
#
# EGARCH needs care: with Student-t innovations its *expected* variance more than one day ahead
# is infinite (a t variable has no exponential moments, and EGARCH exponentiates the shock;
# Nelson 1991), so a simulated mean never settles. riskkit warns and reports the *median*
# simulated path instead, which we plot for EGARCH. VaR and ES from simulated paths (quantiles
# and tail means of returns, chapter 3) are unaffected.

# %%
fig, axes = plt.subplots(1, len(ASSETS), figsize=(11, 4), sharey=False)
days = np.arange(1, FORECAST_HORIZON + 1)
for ax, a in zip(np.atleast_1d(axes), ASSETS, strict=True):
    upto = returns[a].loc[:crash]
    for label in ["GARCH(1,1)-normal", "GARCH(1,1)-t", "EGARCH(1,1,1)-t"]:
        spec = next(s for s in specs if s.label == label)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            res = spec.fit(upto)
        if spec.vol == "EGARCH":
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", RiskkitWarning)  # the infinite-mean warning
                fc = res.forecast(FORECAST_HORIZON, n_sims=4000, seed=1)
            path, tag = fc.median_variance, " (median path)"
        else:
            fc = res.forecast(FORECAST_HORIZON)
            path, tag = fc.variance, " (EWMA fallback)" if res.fallback else ""
        vol_ann = annualize(np.sqrt(path.to_numpy()), PERIODS_PER_YEAR)
        ax.plot(days, 100 * vol_ann, label=label + tag)
    ax.set(
        title=f"{a}: volatility forecast made at the close of {CRASH_DAY}",
        xlabel="days ahead",
        ylabel="forecast volatility (annualised %)",
    )
    ax.legend(fontsize=8)
plt.tight_layout()
plt.show()

# %% [markdown]
# **What it means for margins.**
#
# * A model with a half-life of a few weeks lets margins fall back within a month or two of a
#   stress event; an integrated model (EWMA) keeps the forecast flat and lets margins fall only
#   as new calm days arrive, at the EWMA's own speed.
# * Over a multi-day close-out period, a mean-reverting model gives a *lower* h-day volatility
#   than $\sqrt{h}$ times the one-day volatility when today's volatility is above its long-run
#   level (right after a crash) and a *higher* one in calm periods. The square-root rule is
#   therefore procyclical in both directions. Chapter 3 quantifies the effect on VaR.
# * The choice between models is partly a policy choice: a committee may prefer the slower
#   decay of EWMA (margins stay up) or the faster mean reversion of GARCH (margins fall back),
#   and anti-procyclicality tools (floors, buffers; chapter 6) act on top of either.

# %% [markdown]
# ### Conditional volatility through the sample
#
# Finally the whole history: the 1-day-ahead volatility of the BIC-preferred model next to EWMA.

# %%
fig, ax = plt.subplots(figsize=(11, 4))
for a in ASSETS:
    res = fits[a][best[a]]
    (100 * annualize(res.conditional_volatility, PERIODS_PER_YEAR)).plot(
        ax=ax, lw=1, label=f"{a} {best[a]}"
    )
(100 * ewma_volatility(returns[ASSETS[0]], periods_per_year=PERIODS_PER_YEAR).shift(1)).plot(
    ax=ax, lw=1, ls="--", color="grey", label=f"{ASSETS[0]} EWMA {EWMA_LAMBDA}"
)
ax.set(
    title="One-day-ahead conditional volatility",
    ylabel="annualised volatility (%)",
    xlabel="date (UTC)",
)
ax.legend()
plt.show()

# %% [markdown]
# ## Exercises
#
# 1. **Window length.** Redo section 1 with `ROLL_WINDOW = 10` and `90`. How does the height of
#    the post-crash plateau change, and how long does it last? Which window would you use for a
#    margin that must not drop suddenly?
# 2. **Model choice over time.** Fit the six specifications on the first and on the second half
#    of the sample separately (`compare(specs, returns[a].iloc[:600])`). Does the BIC ranking
#    change? Does the BTC GARCH-t fit stay on the stationarity boundary?
# 3. **Leverage in equities.** Load the S&P 500 (`datasets.load_sp500()`), fit `GarchSpec("GJR",
#    dist="t")` with `periods_per_year=252` in mind, and plot its news impact curve next to BTC's.
#    Test the asymmetry with `sign_bias_test` on the residuals of a symmetric GARCH.
# 4. **Half-life and margins.** For a GARCH(1,1) with persistence 0.97 and for EWMA 0.94,
#    compute how many days after a volatility doubling the 1-day margin is back within 10% of
#    its pre-shock level. (Hint: the GARCH variance excess decays like persistence^h.)
#
# **References.** Bollerslev (1986) J. Econometrics 31; Glosten, Jagannathan & Runkle (1993)
# J. Finance 48; Nelson (1991) Econometrica 59; Ding, Granger & Engle (1993) J. Empirical
# Finance 1; Engle & Ng (1993) J. Finance 48; Garman & Klass (1980) J. Business 53; Yang &
# Zhang (2000) J. Business 73; J.P. Morgan/Reuters (1996) RiskMetrics Technical Document.
