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
# **Prerequisites.** [Chapter 1](01_data_and_stylized_facts.ipynb) (log returns, volatility
# clustering, fat tails); maximum likelihood; the notation of
# [chapter 0](00_conventions_and_prerequisites.ipynb).
#
# **Conventions in this chapter.** Forecasts are one day ahead (chapter 0's 2-day margin period
# appears in chapter 3 onwards). $\alpha$ denotes the ARCH coefficient of a GARCH model
# throughout this chapter, never a confidence level. Chapter 0's default filter, GJR-GARCH(1,1)
# with Student-t innovations, is one of the six models compared here.
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
from scipy import stats

from riskkit import datasets
from riskkit.display import pct, say
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
    title=f"Figure 2.1. {asset}: {ROLL_WINDOW}-day rolling volatility estimators",
    ylabel="annualised volatility (%)",
    xlabel="date (UTC)",
)
plt.show()
(100 * vols).describe().T[["mean", "50%", "min", "max"]]

# %%
means = vols.mean()
range_cols = ["Parkinson", "Garman-Klass", "Yang-Zhang"]
higher = bool((means[range_cols] > means["close-to-close"]).all())
noise = vols.diff().abs().mean()  # day-to-day changes: sampling noise of each estimator
assert (noise[range_cols] < noise["close-to-close"]).all()
say(
    f"""
    **What it means.** The range estimators are smoother (mean absolute daily change
    {pct(noise[range_cols].max(), 2)} or less against {pct(noise["close-to-close"], 2)} for
    close-to-close) and, on average, {"*higher*" if higher else "*lower*"} than close-to-close
    ({pct(means[range_cols].min(), 0)} to {pct(means[range_cols].max(), 0)} against
    {pct(means["close-to-close"], 0)} a year)."""
)

# %% [markdown]
# Two known biases pull in opposite directions: the observed high and low are those of
# discrete trades, so the recorded range is narrower than that of the price process (lower
# estimates), while thin order books let single trades print wicks far from where the price
# settles (higher estimates); and the Brownian-motion derivation of the range estimators
# ignores the fat tails of crypto returns. For margins, where the tail matters, close-to-close returns
# remain the reference; the range estimators are useful as a cross-check and for intraday
# monitoring.
#
# Note the *plateau* after the crash: the rolling estimate stays high for exactly
# `ROLL_WINDOW` days and then drops on the day the crash leaves the window.

# %% [markdown]
# ## 2. EWMA: a window with fading memory
#
# RiskMetrics (J.P. Morgan/Reuters 1996) replaces the flat window with exponentially declining
# weights: $\sigma^2_t = \lambda \sigma^2_{t-1} + (1-\lambda) r_t^2$, i.e. the return $k$ days
# old carries weight $(1-\lambda)\lambda^k$. With $\lambda = 0.94$ a return's weight halves
# every $\ln 0.5 / \ln \lambda$ days; the *mean age* of the weights is
# $\sum_k k(1-\lambda)\lambda^k = \lambda/(1-\lambda)$ days, and a flat window of $m$ days
# (ages $0, \dots, m-1$, mean age $(m-1)/2$) has the same mean age when
# $m = (1+\lambda)/(1-\lambda)$:

# %%
half_life_ewma = np.log(0.5) / np.log(EWMA_LAMBDA)
ages = np.arange(5000)
w = (1 - EWMA_LAMBDA) * EWMA_LAMBDA**ages
assert np.isclose((ages * w).sum(), EWMA_LAMBDA / (1 - EWMA_LAMBDA))  # mean age, by summation
print(
    f"lambda = {EWMA_LAMBDA}: weight half-life {half_life_ewma:.1f} days, mean age "
    f"{EWMA_LAMBDA / (1 - EWMA_LAMBDA):.1f} days, flat window of the same mean age "
    f"{(1 + EWMA_LAMBDA) / (1 - EWMA_LAMBDA):.1f} days"
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
    title=f"Figure 2.2. {asset} around {CRASH_DAY}: EWMA decays, the rolling window drops",
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
# $$\sigma^2_t = \omega + \alpha \varepsilon^2_{t-1} + \beta \sigma^2_{t-1}, \qquad
# \varepsilon_t = \sigma_t z_t,$$
# and lets the data choose $\omega, \alpha, \beta$ by maximising the log-likelihood
# $\sum_t [\ln f(\varepsilon_t/\sigma_t) - \ln \sigma_t]$ of the innovation density $f$. The constant is what makes volatility *mean revert* to the
# long-run level $\omega / (1 - \alpha - \beta)$ when $\alpha + \beta < 1$; EWMA is the
# special case $\omega = 0$, $\alpha + \beta = 1$ (no mean reversion). The extensions:
#
# * **GJR** (Glosten, Jagannathan & Runkle 1993) adds $\gamma \varepsilon^2_{t-1} 1[\varepsilon_{t-1}<0]$: falls raise variance more than rises when $\gamma > 0$ (the equity "leverage effect");
# * **EGARCH** (Nelson 1991) models the log variance,
#   $\ln \sigma^2_t = \omega + \alpha(|z_{t-1}| - E|z|) + \gamma z_{t-1} + \beta \ln \sigma^2_{t-1}$,
#   so no positivity constraints, with asymmetry through the sign of the standardised shock;
# * **APARCH** (Ding, Granger & Engle 1993) models
#   $\sigma^\delta_t = \omega + \alpha(|\varepsilon_{t-1}| - \gamma \varepsilon_{t-1})^\delta + \beta \sigma^\delta_{t-1}$
#   with a free power $\delta$.
#
# The innovation $z_t = \varepsilon_t / \sigma_t$ is normal, Student-t, Hansen's skewed t or
# GED. All are estimated by maximum likelihood: GARCH and GJR with normal or Student-t
# innovations by riskkit's compiled optimiser (analytic gradient, Newton steps), the others by
# `arch`. Both maximise the same likelihood and agree to the optimiser's tolerance where it has
# one maximum; where it has two, the compiled one checks its warm start against a cold start
# and can end on the higher. `GarchSpec(..., backend="arch")` sends every fit to `arch`. riskkit rescales the returns for
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

# %%
gain_t = {
    a: tables[a].loc["GARCH(1,1)-t", "loglik"] - tables[a].loc["GARCH(1,1)-normal", "loglik"]
    for a in ASSETS
}
gain_var = {
    a: tables[a].drop(index="GARCH(1,1)-normal")["loglik"].max()
    - tables[a].loc["GARCH(1,1)-t", "loglik"]
    for a in ASSETS
}
nu_hat = {a: fits[a]["GARCH(1,1)-t"].fit_params.shape[0] for a in ASSETS}
assert all(gain_t[a] > 5 * gain_var[a] for a in ASSETS)
assert all(2 < v < 4 for v in nu_hat.values())
integrated = comparison.index[comparison["fallback"].fillna("").str.startswith("IGARCH")]
say(
    f"""
    **What it means.** The Student-t innovation improves the log-likelihood by
    {", ".join(f"{gain_t[a]:.0f} ({a})" for a in ASSETS)} points over the normal, any change of
    the variance equation by at most {max(gain_var.values()):.0f} more: the largest single
    modelling decision for crypto is *fat tails*, not asymmetry. The estimated degrees of
    freedom of GARCH-t are {", ".join(f"{nu_hat[a]:.1f} ({a})" for a in ASSETS)}: above 2, so
    the innovations have a finite variance, but below 4, so their fourth moment (the kurtosis)
    is infinite. On the stationarity boundary: {", ".join(" ".join(k) for k in integrated) or "no fit"}."""
)

# %% [markdown]
# * Where a fit shows `persistence = 1` and a `fallback`, the maximum-likelihood estimate sits on
#   the stationarity boundary ($\alpha + \gamma/2 + \beta = 1$, an integrated GARCH; `arch`
#   does not allow more): the data cannot distinguish the model from one with no mean
#   reversion. riskkit warns and keeps that maximum-likelihood integrated GARCH (recorded in
#   `fallback` as `IGARCH(ML boundary estimate)`, the default `on_integrated="igarch"`). Its
#   long-run variance is infinite and, with $\omega > 0$, its variance forecast grows
#   *linearly* with the horizon: $\sigma^2_{t+h|t} = \sigma^2_{t+1|t} + (h-1)\,\omega$ (section 6).
#   The alternative, `GarchSpec(..., on_integrated="ewma")`, replaces it by the RiskMetrics
#   EWMA(0.94) with the innovation shape re-estimated; but EWMA is integrated too, so it does
#   not cure non-stationarity: it only replaces the estimated reaction speed $\alpha$ by
#   RiskMetrics' $1 - \lambda$ and sets $\omega = 0$ (a flat forecast). That costs likelihood,
#   which is why it is not the default. Either way, such a fit is a signal to prefer a model
#   that does find mean reversion (here EGARCH) or to impose it.
# * The summary of a fit lists the raw estimates with robust standard errors (Bollerslev &
#   Wooldridge 1992):

# %%
best = {a: tables[a].index[0] for a in ASSETS}
for a in ASSETS:
    print(f"{a}: best model by BIC = {best[a]}")
fits[ASSETS[-1]]["GJR(1,1,1)-t"].summary()

# %% [markdown]
# **By hand: the GARCH recursion.** The conditional volatility of a fitted GARCH(1,1) is
# nothing but the recursion above run over the data with the estimated $\omega, \alpha, \beta$.
# We run it with numpy from the sample variance and compare with riskkit's (started from
# `arch`'s backcast): the starting value is forgotten geometrically, at rate $\beta$.

# %%
res_n = fits[ASSETS[0]]["GARCH(1,1)-normal"]
prm = res_n.fit_params
eps = returns[ASSETS[0]].to_numpy() - prm.mu
s2 = np.empty_like(eps)
s2[0] = eps.var()
for t in range(1, len(eps)):
    s2[t] = prm.omega + prm.alpha[0] * eps[t - 1] ** 2 + prm.beta[0] * s2[t - 1]
burn = 200  # beta**200 is negligible: the start is forgotten
assert np.allclose(np.sqrt(s2[burn:]), res_n.conditional_volatility.to_numpy()[burn:], rtol=1e-6)
print(
    f"omega {prm.omega:.2e}, alpha {prm.alpha[0]:.3f}, beta {prm.beta[0]:.3f}: the recursion by "
    f"hand matches riskkit from day {burn} (beta^{burn} = {prm.beta[0] ** burn:.1e})"
)

# %%
gj = {a: fits[a]["GJR(1,1,1)-t"].summary().table.loc["gamma[1]"] for a in ASSETS}
assert all(abs(g["t"]) < 2 for g in gj.values())
say(
    "In the GJR fit the asymmetry coefficient $\\gamma$ is small and not significant: "
    + ", ".join(f"{a} {g['estimate']:.3f} (t = {g['t']:.1f})" for a, g in gj.items())
    + ". Unlike equity indices, crypto returns in this sample show no leverage effect."
)

# %% [markdown]
# The long-run volatility of the Student-t fits is imprecise: with so few degrees of freedom a
# few extreme days move $\omega / (1 - \text{persistence})$ a lot.

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

# %%
assert (benchmark < 0.05).all().all()
assert (diag["lb_z2"] > 0.05).all() and (diag["sign_bias_joint"] > 0.05).all()
ks_btc = diag.loc[ASSETS[0], "ks"]
sym_t = [m for m in ks_btc.index if m.endswith("-t")]
assert (diag.xs("GARCH(1,1)-normal", level="model")["ks"] < 0.01).all()
say(
    f"""
    The raw returns reject the no-ARCH hypotheses at 5% (p-values up to
    {benchmark.max().max():.3f}); every GARCH model removes the clustering ($z^2$ tests pass)
    and none leaves a sign bias. The models differ in the *distribution* test: the normal is
    rejected outright; for BTC {"every" if (ks_btc[sym_t] < 0.01).all() else "some"} symmetric-t
    model is rejected at 1% (largest p-value {ks_btc[sym_t].max():.3f}) while the skewed t
    {"is not" if ks_btc["GJR(1,1,1)-skewt"] > 0.01 else "is too"}
    ({ks_btc["GJR(1,1,1)-skewt"]:.3f}). A QQ plot shows where:"""
)

# %%
fig, axes = plt.subplots(1, 2, figsize=(11, 4.5), sharey=True)
for ax, label in zip(axes, ["GARCH(1,1)-normal", best[ASSETS[0]]], strict=True):
    res = fits[ASSETS[0]][label]
    qq = qq_data(res.std_resid, res)
    ax.scatter(qq["theoretical"], qq["sample"], s=6, alpha=0.6)
    lim = np.nanmax(np.abs(qq.to_numpy()))
    ax.plot([-lim, lim], [-lim, lim], color="black", lw=1)
    ax.set(
        title=f"Figure 2.3. {ASSETS[0]} {label}{' (integrated)' if res.fallback else ''}",
        xlabel="quantile of the fitted innovation distribution",
        ylabel="quantile of the standardised residuals",
    )
plt.tight_layout()
plt.show()

# %%
z_norm = fits[ASSETS[0]]["GARCH(1,1)-normal"].std_resid
worst3 = z_norm.nsmallest(3)
assert worst3.iloc[0] < -5 and (worst3 < -3).all()
say(
    f"Under the normal the left tail of the residuals lies far below the line: the three largest "
    f"falls are {', '.join(f'{v:.1f}' for v in worst3)} model standard deviations, events a "
    f"normal model puts at odds of one in {1 / stats.norm.cdf(worst3.iloc[-1]):,.0f} or less."
)

# %%
res_best = fits[ASSETS[0]][best[ASSETS[0]]]
qq_best = qq_data(res_best.std_resid, res_best)
beyond = int((qq_best["sample"].iloc[:10] < qq_best["theoretical"].iloc[:10]).sum())
assert (
    res_best.std_resid.idxmin() == crash
    and qq_best["sample"].iloc[0] < qq_best["theoretical"].iloc[0]
)
say(
    f"""
    With Student-t innovations (the BIC-preferred {best[ASSETS[0]]} on the right) the points stay
    much closer to the line, but not on it: {beyond} of the 10 largest falls still lie beyond the
    fitted quantile, the March 2020 crash furthest ({qq_best["sample"].iloc[0]:.1f} model
    standard deviations against a fitted quantile of {qq_best["theoretical"].iloc[0]:.1f}). This
    is the first of many places where crypto needs fat tails; chapter 3 turns it into VaR."""
)

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
        title=f"Figure 2.4. {a}: news impact (today's variance at the sample level)",
        xlabel="today's return shock (%)",
        ylabel="tomorrow's volatility (annualised %)",
    )
axes[0].legend(fontsize=8)
plt.tight_layout()
plt.show()

# %%
shock = 0.10  # a 10% move either way
ni = np.asarray(
    fits[ASSETS[0]]["GJR(1,1,1)-t"].news_impact(
        np.array([-shock, shock]), sigma2_prev=float(returns[ASSETS[0]].var())
    )
)
delta_hat = {a: fits[a]["APARCH(1,1,1)-t"].fit_params.delta for a in ASSETS}
say(
    f"""
    The curves are close to symmetric: in this sample, a {pct(shock, 0)} rise in BTC raises
    tomorrow's GJR volatility {"more" if ni[1] > ni[0] else "less"} than a fall of the same size
    (ratio of the variances {ni[1] / ni[0]:.2f}). The fitted APARCH powers are
    {", ".join(f"{d:.2f} ({a})" for a, d in delta_hat.items())}."""
)

# %% [markdown]
# For an equity index the GJR curve would be clearly steeper on the left (see exercise 3). What
# differs between models is the *curvature* for very large shocks: GARCH and GJR grow like
# $\varepsilon^2$; APARCH like $|\varepsilon|^\delta$, less than quadratically when
# $\delta < 2$; EGARCH's variance is $\exp(\alpha |z|)$ times a constant, which eventually
# grows *faster* than any power, so on a crash day of many standard deviations it can raise the
# variance far more than GARCH. This matters for how much a single crash day raises the margin.

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
# GARCH(1,1) forecast decays towards the long-run level $\bar\sigma^2 = \omega/(1-\alpha-\beta)$
# at the speed set by the half-life, $\sigma^2_{t+h|t} - \bar\sigma^2 = (\alpha+\beta)^{h-1}
# (\sigma^2_{t+1|t} - \bar\sigma^2)$; EWMA forecasts a flat term structure (the crash-day
# volatility forever); an integrated GARCH with $\omega > 0$ forecasts a variance growing by
# $\omega$ every day.
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
            path, tag = fc.variance, " (integrated: grows linearly)" if res.fallback else ""
        vol_ann = annualize(np.sqrt(path.to_numpy()), PERIODS_PER_YEAR)
        ax.plot(days, 100 * vol_ann, label=label + tag)
    ax.set(
        title=f"Figure 2.5. {a}: volatility forecast at the close of {CRASH_DAY}",
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
#   stress event; EWMA keeps the forecast flat and an integrated GARCH even lets it grow, so
#   margins fall only as new calm days arrive, at the filter's own speed.
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
    title="Figure 2.6. One-day-ahead conditional volatility",
    ylabel="annualised volatility (%)",
    xlabel="date (UTC)",
)
ax.legend()
plt.show()

# %% [markdown]
# ## Exercises
#
# ```{exercise} Window length (★ easy)
# :label: ex-02-1
# Compute the close-to-close volatility of section 1 with windows of 10 and 90 days. How high is
# the post-crash plateau, and how long does it last? Which window would you use for a margin
# that must not drop suddenly?
# ```
#
# ````{solution-start} ex-02-1
# :class: dropdown
# ````

# %%
plateau = {}
for w_days in (10, ROLL_WINDOW, 90):
    v = close_to_close(r, window=w_days, periods_per_year=PERIODS_PER_YEAR).loc[crash:]
    drop = v.diff().idxmin()  # the day the crash leaves the window
    plateau[w_days] = {"peak (annualised)": v.max(), "days until the drop": (drop - crash).days}
pd.DataFrame(plateau).T

# %% [markdown]
# The plateau lasts exactly the window length; a short window gives a higher, shorter
# plateau, a long one a lower, longer one, and every window ends with a cliff. A margin that
# must not drop suddenly needs weights that fade (EWMA, GARCH) or an explicit release rule
# (the buffer of [chapter 6](06_procyclicality_and_stress.ipynb)).
#
# ````{solution-end}
# ````

# %% [markdown]
# ```{exercise} Model choice over time (★★ medium)
# :label: ex-02-2
# Fit the six specifications to BTC on the first and on the second half of the sample
# separately. Does the BIC ranking change? Is the GARCH-t fit on the stationarity boundary in
# either half?
# ```
#
# ````{solution-start} ex-02-2
# :class: dropdown
# ````

# %%
half = len(returns) // 2
with warnings.catch_warnings():
    warnings.simplefilter("ignore", ConvergenceWarning)
    halves = {
        "first half": compare(specs[:4], returns[ASSETS[0]].iloc[:half], sort_by="bic").table,
        "second half": compare(specs[:4], returns[ASSETS[0]].iloc[half:], sort_by="bic").table,
    }
order_h = {k: list(t.index) for k, t in halves.items()}
say(
    f"BIC order, first half: {', '.join(order_h['first half'])}; second half: "
    f"{', '.join(order_h['second half'])}. GARCH-t on the boundary: "
    + ", ".join(
        f"{k} {'yes' if isinstance(t.loc['GARCH(1,1)-t', 'fallback'], str) else 'no'}"
        for k, t in halves.items()
    )
    + "."
)
pd.concat({k: t[["rank", "persistence", "fallback"]] for k, t in halves.items()}, axis=1)

# %% [markdown]
# With half the sample per fit the data barely pin down the persistence, and the boundary
# verdict and the order of close competitors can change between halves. A margin model's choice of filter should be re-examined on each
# recalibration window, not fixed once on the whole sample.
#
# ````{solution-end}
# ````

# %% [markdown]
# ```{exercise} Leverage in equities (★★ medium)
# :label: ex-02-3
# Fit `GarchSpec("GJR", dist="t")` to the S&P 500 (`datasets.load_sp500()`) and compare its
# news impact curve with BTC's. Test the asymmetry with `sign_bias_test` on the residuals of a
# symmetric GARCH-t.
# ```
#
# ````{solution-start} ex-02-3
# :class: dropdown
# ````

# %%
from riskkit.volatility import sign_bias_test

spx = datasets.load_sp500()["log_return"].dropna()
gjr_spx = GarchSpec("GJR", dist="t").fit(spx)
sym_spx = GarchSpec("GARCH", dist="t").fit(spx)
s_spx = float(spx.std())
moves = np.array([-3, 3]) * s_spx
ratio_spx = np.asarray(gjr_spx.news_impact(moves, sigma2_prev=s_spx**2))
print(
    f"S&P 500 GJR gamma {gjr_spx.fit_params.gamma[0]:.3f}; variance after -3 sd / +3 sd: {ratio_spx[0] / ratio_spx[1]:.1f}"
)
sb = sign_bias_test(sym_spx.std_resid)
assert gjr_spx.fit_params.gamma[0] > 0.1 and ratio_spx[0] / ratio_spx[1] > 2
sb

# %% [markdown]
# For the index $\gamma$ is large and the variance after a 3-standard-deviation fall is several
# times that after a rise of the same size (checked above); the sign-bias tests on the symmetric
# model's residuals show the asymmetry it leaves behind. BTC's curve (section 5) is nearly symmetric. A GJR filter costs one
# parameter and is harmless when $\gamma \approx 0$, which is why chapter 0's default keeps it.
#
# ````{solution-end}
# ````

# %% [markdown]
# ```{exercise} Half-life and margins (★ easy)
# :label: ex-02-4
# A market sits at its long-run volatility $\bar\sigma$ when a shock doubles the 1-day volatility.
# (a) For a GARCH(1,1) with persistence $\phi = 0.97$, after how many days is the *forecast*
# 1-day volatility back within 10% of $\bar\sigma$? (b) For EWMA with $\lambda = 0.94$ the forecast
# is flat; assume instead that the following returns are drawn at the old volatility
# $\bar\sigma$ and ask when the *expected* EWMA variance is back within 10% in volatility.
# Check (b) by simulation.
# ```
#
# ````{solution-start} ex-02-4
# :class: dropdown
# ````

# %%
phi, lam_ex, target = 0.97, 0.94, 1.1**2 - 1  # excess variance allowed: 21% of sigma_bar^2
excess0 = 2**2 - 1  # variance quadrupled
h_garch = np.log(target / excess0) / np.log(phi)
h_ewma = np.log(target / excess0) / np.log(lam_ex)
sim = np.random.default_rng(0).standard_normal((20_000, 80)) ** 2  # sigma_bar = 1
v = np.full(20_000, 4.0)
mean_path = []
for t in range(80):
    v = lam_ex * v + (1 - lam_ex) * sim[:, t]
    mean_path.append(v.mean())
h_sim = 1 + np.argmax(np.array(mean_path) - 1 <= target)
assert abs(h_sim - np.ceil(h_ewma)) <= 1
print(
    f"GARCH phi={phi}: {h_garch:.0f} days; EWMA lambda={lam_ex}: {h_ewma:.0f} days (simulated {h_sim})"
)

# %% [markdown]
# Both excesses decay geometrically, $\sigma^2_h - \bar\sigma^2 = c^h(\sigma^2_0 - \bar\sigma^2)$,
# with $c = \phi$ for GARCH's forecast and $c = \lambda$ for EWMA's expected path, so
# $h = \ln(0.21/3)/\ln c$. The GARCH margin with persistence 0.97 takes about twice as long to
# come back as RiskMetrics' EWMA.
#
# ````{solution-end}
# ````
#
# **References.** Bollerslev (1986) J. Econometrics 31; Glosten, Jagannathan & Runkle (1993)
# J. Finance 48; Nelson (1991) Econometrica 59; Ding, Granger & Engle (1993) J. Empirical
# Finance 1; Engle & Ng (1993) J. Finance 48; Garman & Klass (1980) J. Business 53; Yang &
# Zhang (2000) J. Business 73; J.P. Morgan/Reuters (1996) RiskMetrics Technical Document.
