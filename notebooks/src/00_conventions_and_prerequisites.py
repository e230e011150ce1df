# ---
# jupyter:
#   kernelspec:
#     display_name: Python 3
#     language: python
#     name: python3
# ---

# %% [markdown]
# # 0. Conventions and prerequisites
#
# **The question.** What exactly does a sentence like "the 99% two-day margin on BTC is $m$ of
# notional" say? Which loss, measured in which unit, over which period, with which sign? Every
# later chapter computes such numbers; this one fixes the words, the signs, the units and the
# horizons once, and states where chapters deliberately differ and why.
#
# **What you need before starting.**
#
# - Probability: distributions and quantiles, expectation and conditional expectation, the normal
#   and Student-t laws, the law of large numbers and the central limit theorem.
# - Statistics: maximum likelihood, hypothesis tests and p-values, the binomial distribution.
# - Time series (helpful, introduced as needed): autocorrelation, stationarity, AR models.
# - Python with numpy and pandas (a `DatetimeIndex`, `groupby`, plotting with matplotlib).
# - Markets (helpful): what a future, an option and a margin call are.
#
# The standard reference is McNeil, Frey and Embrechts, *Quantitative Risk Management* (2nd ed.,
# 2015): chapter 2 for loss operators and risk measures, chapter 4 for volatility models, chapter 9
# for backtesting. Hull's *Options, Futures, and Other Derivatives* covers the contracts. The
# [glossary](../book/glossary.md) defines the market terms (perpetual, funding, mark price, ADL,
# open interest, SPAN...).

# %%
import warnings

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from scipy import stats

from riskkit import datasets
from riskkit.display import level, number, pct, say
from riskkit.exceptions import DataQualityWarning
from riskkit.options import black76_price, greeks, inverse_future_pnl, linear_future_pnl
from riskkit.returns import annualize_volatility, horizon_returns, log_to_simple
from riskkit.risk import HistoricalSimulation

LEVEL = 0.99  # the confidence level of the examples
ASSET = "BTC"

# %% [markdown]
# ## Notation
#
# | symbol | meaning | unit |
# |---|---|---|
# | $P_t$ | price at the close of bar $t$ (a day unless said otherwise) | USD per coin |
# | $r_t = \ln(P_t / P_{t-1})$ | log return of bar $t$ | fraction |
# | $R_t = P_t / P_{t-1} - 1 = e^{r_t} - 1$ | simple return of bar $t$ | fraction |
# | $V_t$ | value of a position at $t$ | USD (or coin, for inverse contracts) |
# | $L_{t+1} = -(V_{t+1} - V_t)$ | loss over the next bar | same as $V$ |
# | $\mathcal{F}_t$ | information up to and including bar $t$ | |
# | $\sigma_t$ | volatility of $r_t$ given $\mathcal{F}_{t-1}$ | fraction per bar |
# | $\alpha$ | confidence level, e.g. $\alpha = 0.99$ | |
# | $h$ | horizon (margin period of risk) in bars | bars |
# | $\mathrm{VaR}_\alpha$, $\mathrm{ES}_\alpha$ | Value-at-Risk, Expected Shortfall of $L$ | fraction of notional |
#
# Here $\alpha$ is the confidence level. A GARCH(1,1) variance is
# $\sigma_t^2 = \omega + a_1 r_{t-1}^2 + b_1 \sigma_{t-1}^2$ in this chapter's notation; chapter 2,
# like the GARCH literature and the `arch` package, calls the ARCH coefficient $\alpha$ (and $b_1$,
# $\beta$): there, and only there, $\alpha$ is not a confidence level.

# %% [markdown]
# ## Signs: a loss is a positive number
#
# Returns are positive for gains. The loss of a position is minus its change in value, so **losses,
# VaR, ES and margin rates are positive numbers**. For a loss $L$ with distribution function
# $F_L$,
#
# $$\mathrm{VaR}_\alpha(L) = \inf\{\ell \in \mathbb{R} : F_L(\ell) \ge \alpha\}, \qquad
# \mathrm{ES}_\alpha(L) = \frac{1}{1-\alpha} \int_\alpha^1 \mathrm{VaR}_u(L)\, du ,$$
#
# so a 99% one-day VaR of $0.08$ on a long position means: a loss larger than $8\%$ of the
# position's value is expected on one day in a hundred. ES is the average of the VaRs beyond $\alpha$ (for a
# continuous $L$, the mean loss given that the loss exceeds the VaR), so $\mathrm{ES}_\alpha \ge
# \mathrm{VaR}_\alpha$. A short position loses when the price rises: its loss is $+R$ where a long
# position's is $-R$, and its VaR is a quantile of the other tail.

# %% [markdown]
# ## Units: log or simple returns, fractions, bars, calendars, UTC
#
# - **Fractions, not percent.** `0.01` is one percent; confidence levels lie in $(0, 1)$. Percent
#   appears only in text and on figure axes.
# - **Log returns** $r_t$ add up over time, $r_{t+1} + \dots + r_{t+h} = \ln(P_{t+h}/P_t)$, which is
#   why models are fitted to them. **Simple returns** $R_t = e^{r_t} - 1$ are what a position gains
#   or loses: a long position of notional $N$ loses $-N R_{t+1} = N(1 - e^{r_{t+1}})$. A margin rate
#   is a loss on notional, so a VaR of log returns is turned into a rate with
#   $1 - e^{-\mathrm{VaR}}$ for a long position and $e^{\mathrm{VaR}} - 1$ for a short one. For small
#   returns the two agree; in a crash they do not.
# - **Bars.** A return belongs to a bar interval (1 minute, 1 hour, 1 day) and a volatility is *per
#   bar*. Crypto trades every day, so a year has $365$ daily bars and $365 \times 24$ hourly bars;
#   equities have about $252$ trading days. Annualising multiplies a per-bar volatility by the square
#   root of the bars per year, and always says which calendar.
# - **Time zone.** Bars are labelled in UTC by the time they open; a daily bar is the UTC calendar
#   day.
#
# The cell below shows the difference on the worst day of the bundled BTC history.

# %%
with warnings.catch_warnings():
    warnings.simplefilter("ignore", DataQualityWarning)  # the gaps are discussed in chapter 1
    r = datasets.load_returns((ASSET,))[ASSET].dropna()

worst_day = r.idxmin()
worst_log = r.min()
worst_simple = log_to_simple(worst_log)
vol_day = r.std()
vol_365 = annualize_volatility(vol_day, 365)
vol_252 = annualize_volatility(vol_day, 252)

assert worst_simple > worst_log  # e^r - 1 > r: the simple loss is the smaller of the two
assert vol_365 > vol_252
say(
    f"""
    The bundled {ASSET} history has {len(r):,} daily log returns, from {r.index[0]:%Y-%m-%d} to
    {r.index[-1]:%Y-%m-%d}. The worst day, {worst_day:%Y-%m-%d}, has a log return of
    {number(worst_log)}, that is a simple return of {number(worst_simple)}: a long position lost
    {pct(-worst_simple)} of its value, not {pct(-worst_log)}. The daily volatility
    {pct(vol_day, 2)} annualises to {pct(vol_365)} on the crypto calendar of 365 days, and would
    read {pct(vol_252)} on an equity calendar of 252 days: the same data, two numbers, so the
    calendar is always named.
    """
)

# %% [markdown]
# ## Horizons and the margin period of risk
#
# A margin must cover the loss between the last time the counterparty paid margin and the time its
# position is closed out or hedged: the **margin period of risk** (MPOR), $h$ bars. The loss over
# $h$ bars is $L_{t,h} = -N(e^{r_{t+1} + \dots + r_{t+h}} - 1)$. If daily log returns were
# independent with the same variance, the $h$-day VaR would grow like $\sqrt{h}$,
#
# $$\mathrm{VaR}_\alpha(h) \approx \sqrt{h}\, \mathrm{VaR}_\alpha(1),$$
#
# a rule that chapters 2 and 3 test (volatility clusters, so it is only a first approximation).
#
# **One MPOR story: a clearing house against a crypto venue.** In the EU, a central counterparty
# (CCP) must use a confidence level of at least 99% for instruments other than OTC derivatives
# (Commission Delegated Regulation (EU) No 153/2013, Art. 24(1)) and a liquidation period of at
# least two business days for them, five for OTC derivatives (Art. 26(1), as amended by Delegated
# Regulation (EU) 2016/822). The reason is operational: a CCP calls margin once or twice a day, and
# after a member defaults it needs time to declare the default, hedge and auction the portfolio.
#
# A crypto venue margins continuously: the mark price is checked every few seconds and a position
# whose equity falls below maintenance margin is liquidated by the venue's engine within seconds
# to minutes. Its MPOR is minutes, so its maintenance rates are tiny beside a CCP's. Binance's
# BTCUSDT perpetual asks a maintenance margin of 0.40% of notional on its first tier (Binance
# announcement, effective 2025-08-19). The cell below puts the two side by side on the same BTC
# history, with the $\sqrt{h}$ rule as a deliberately rough bridge between the horizons.

# %%
MPOR_CCP_DAYS = 2  # Reg. 153/2013 Art. 26(1): exchange-traded derivatives
VENUE_MINUTES = 15  # an assumed close-out time of a venue's liquidation engine
BINANCE_TIER1_MMR = 0.004  # BTCUSDT tier-1 maintenance margin rate, Binance, 2025-08-19

hs = HistoricalSimulation()
one_day = hs.estimate(r, levels=(LEVEL,), horizon=1).table.loc[LEVEL]
ccp = hs.estimate(r, levels=(LEVEL,), horizon=MPOR_CCP_DAYS).table.loc[LEVEL]
venue_es = one_day["es"] * np.sqrt(VENUE_MINUTES / (24 * 60))  # sqrt-of-time, per day

rates = pd.Series(
    {
        f"CCP: {MPOR_CCP_DAYS}-day ES": 1 - np.exp(-ccp["es"]),
        "1-day ES": 1 - np.exp(-one_day["es"]),
        f"venue: {VENUE_MINUTES}-minute ES": 1 - np.exp(-venue_es),
        "Binance tier-1 MMR": BINANCE_TIER1_MMR,
    }
)
fig, ax = plt.subplots(figsize=(8, 3.6))
rates.plot.barh(ax=ax, color=["#1f5f99", "#6d9dc5", "#c77d00", "#888888"])
ax.set_xscale("log")
ax.set_xlabel("margin rate, share of notional (log scale)")
ax.xaxis.set_major_formatter(plt.FuncFormatter(lambda x, _: f"{100 * x:g}%"))
ax.set_title(f"{ASSET} long position: {level(LEVEL)} ES over three margin periods of risk")
ax.invert_yaxis()
for i, v in enumerate(rates):
    ax.text(v * 1.08, i, pct(v, 2), va="center")
fig.tight_layout()
plt.show()

assert rates.iloc[0] > rates.iloc[1] > rates.iloc[2]
assert rates.iloc[2] > BINANCE_TIER1_MMR  # the venue rate sits below even a 15-minute ES
say(
    f"""
    Historical simulation on the whole history gives a {level(LEVEL)} one-day ES of
    {pct(rates.iloc[1])} of notional and, at the CCP's {MPOR_CCP_DAYS}-day horizon,
    {pct(rates.iloc[0])}. Scaled down to a {VENUE_MINUTES}-minute close-out, the same ES is
    {pct(rates.iloc[2], 2)}, still above the venue's tier-1 maintenance rate of
    {pct(BINANCE_TIER1_MMR, 2)}: a venue also relies on the liquidation penalty, its insurance fund
    and auto-deleveraging (chapters 11 and 13) to absorb what maintenance margin does not.
    """
)

# %% [markdown]
# ## The loss operator $L_{t+1}$ of three contracts
#
# Following McNeil, Frey and Embrechts (2015, section 2.1), the value of a position is a function
# of time and of risk factors $Z_t$, $V_t = f(t, Z_t)$; the loss is a function of the risk-factor
# changes $X_{t+1} = Z_{t+1} - Z_t$ only, $L_{t+1} = -\big(f(t+1, Z_t + X_{t+1}) - f(t, Z_t)\big)$,
# the **loss operator**. Here the risk factor is the log price, $X_{t+1} = r_{t+1}$.
#
# **Linear perpetual** (USD-margined, e.g. Binance BTCUSDT): a long position of $q$ coins,
# $V_t = q P_t$, and the longs pay the funding rate $\phi_{t+1}$ on the notional when it is
# positive:
#
# $$L_{t+1} = -q P_t \left(e^{r_{t+1}} - 1\right) + q P_{t+1} \phi_{t+1},$$
#
# and, linearised and without funding, $L^{\Delta}_{t+1} = -q P_t\, r_{t+1}$.
#
# **Inverse future** (coin-margined, e.g. Deribit BTC futures): face value $N$ USD, profit in coin
# $N(1/P_t - 1/P_{t+1})$, so the loss in coin is
#
# $$L^{\text{coin}}_{t+1} = -\frac{N}{P_t}\left(1 - e^{-r_{t+1}}\right),$$
#
# convex in $r$: a long position loses more coin on a fall than it gains on a rise of the same size,
# and its collateral (coin) loses USD value at the same time.
#
# **Option** (long a European call on a future $F$, Black-76 price $C$, strike $K$, time to expiry
# $\tau$ in years, volatility $\sigma$, no discounting): risk factors $\ln F$ and $\sigma$,
#
# $$C = F\,\Phi(d_1) - K\,\Phi(d_2), \qquad d_{1,2} = \frac{\ln(F/K) \pm \sigma^2 \tau / 2}{\sigma \sqrt{\tau}},$$
#
# $$\begin{aligned}
# L_{t+1} &= -\Big(C\big(F_t e^{r_{t+1}}, \tau - \Delta t, \sigma_t + \Delta\sigma_{t+1}\big) - C(F_t, \tau, \sigma_t)\Big) \\
# &\approx -\Big(\Theta\,\Delta t + \Delta\, F_t r_{t+1} + \tfrac{1}{2}\Gamma F_t^2 r_{t+1}^2 + \mathcal{V}\,\Delta\sigma_{t+1}\Big),
# \end{aligned}$$
#
# with $\Theta$ per year ($\Delta t = 1/365$ for a crypto day) and vega $\mathcal{V}$ per 1.00 of
# volatility. The cell computes all three by hand for a move of the price down and up, and checks
# them against riskkit.

# %%
P0 = 60_000.0  # USD per BTC
MOVE = 0.10  # a 10% fall and a 10% rise of the price
Q = 1.0  # coins, linear perpetual
N_USD = 60_000.0  # face value, inverse future
K, TAU, SIGMA = 60_000.0, 30 / 365, 0.8  # at-the-money call, 30 days, 80% volatility

moves = np.array([-MOVE, MOVE])
p1 = P0 * (1 + moves)
r1 = np.log(p1 / P0)

# by hand
loss_linear = -Q * P0 * (np.exp(r1) - 1)
loss_inverse_coin = -(N_USD / P0) * (1 - np.exp(-r1))


def black76_call(F, K, tau, sigma):
    d1 = (np.log(F / K) + 0.5 * sigma**2 * tau) / (sigma * np.sqrt(tau))
    d2 = d1 - sigma * np.sqrt(tau)
    return F * stats.norm.cdf(d1) - K * stats.norm.cdf(d2)


dt = 1 / 365
loss_call = -(black76_call(p1, K, TAU - dt, SIGMA) - black76_call(P0, K, TAU, SIGMA))
g = greeks(P0, K, TAU, SIGMA, kind="call")
loss_call_dg = -(g.theta * dt + g.delta * P0 * r1 + 0.5 * g.gamma * P0**2 * r1**2)
loss_call_delta = -(g.delta * P0 * r1)

# against riskkit
assert np.allclose(loss_linear, -linear_future_pnl(Q, P0, p1))
assert np.allclose(loss_inverse_coin, -inverse_future_pnl(N_USD, P0, p1))
call_rk = black76_price(p1, K, TAU - dt, SIGMA) - black76_price(P0, K, TAU, SIGMA)
assert np.allclose(loss_call, -call_rk)

table = pd.DataFrame(
    {
        "linear perpetual, USD": loss_linear,
        "inverse future, coin": loss_inverse_coin,
        "call, USD (full)": loss_call,
        "call, USD (delta-gamma-theta)": loss_call_dg,
        "call, USD (delta only)": loss_call_delta,
    },
    index=pd.Index([f"price {pct(m, 0)}" for m in moves], name="move"),
).T
display_table = table.map(lambda v: number(v, 4))
display_table

# %%
# the claims of the text, checked
inverse_fall_loss, inverse_rise_gain = loss_inverse_coin[0], -loss_inverse_coin[1]
assert inverse_fall_loss > inverse_rise_gain  # convexity of the inverse future
assert np.all(np.abs(loss_call_dg - loss_call) < np.abs(loss_call_delta - loss_call))
assert loss_call[0] < -loss_call[1]  # a long call loses less on the fall than it gains on the rise
say(
    f"""
    A long inverse future of {number(N_USD)} USD loses {number(inverse_fall_loss, 3)} BTC when the
    price falls by {pct(MOVE, 0)} but gains only {number(inverse_rise_gain, 3)} BTC when it rises
    by as much. The at-the-money call loses {number(loss_call[0])} USD on the fall; the delta-only
    approximation says {number(loss_call_delta[0])} and the delta-gamma-theta one
    {number(loss_call_dg[0])}, closer to the full revaluation: for options the loss operator is
    not linear, which is why chapter 7 revalues option books on a grid of scenarios.
    """
)

# %% [markdown]
# ## Conventions where chapters differ, and why
#
# One default runs through the course and the default calibration (`configs/default.yaml`, the
# report of chapter 8): daily log returns of Bitstamp prices (UTC days), ES at 99%, a two-day margin
# period of risk (Art. 26(1)), filtered historical simulation (FHS) on a GJR-GARCH(1,1) filter with
# Student-t innovations, margin rates as losses on notional, $\mathrm{MM} = 0.5\,\mathrm{IM}$.
# Each chapter states at its top where it departs from this, and why; in short:
#
# - **Horizon.** Chapters 2 to 6 forecast one day ahead: a one-day loss is observed every day, so
#   backtests (chapter 4) compare each forecast with a loss that does not overlap the next one, and
#   chapters 5 and 6 calibrate one-day margins so that the margin paths they study are the ones
#   that can be backtested (chapter 5 shows what the two-day horizon adds). Chapter 3 also uses ten
#   days, where the square-root rule and simulated paths differ visibly. Chapter 7 uses the two-day
#   default, except for option margins compared with venues' one-day grids.
# - **FHS filter.** The default is GJR-GARCH with Student-t innovations (the asymmetry and fat tails
#   of chapter 2). Chapter 3 filters with a GARCH(1,1) fitted by normal quasi-likelihood, as McNeil
#   and Frey (2000) do; chapters 5 and 6 with riskkit's symmetric GARCH(1,1)-t default estimator;
#   chapter 7 with a symmetric GARCH per asset under a DCC correlation. Each label says which.
# - **Maintenance to initial margin.** The ratio MM/IM is a venue's design choice: dYdX sets
#   $\mathrm{MM} = 0.6\,\mathrm{IM}$, Hyperliquid sets maintenance at half the initial rate at
#   maximum leverage (their documentation, 2025). riskkit's `MarginSettings` defaults to dYdX's
#   ratio (chapters 5 and 6 use it), the default calibration to Hyperliquid's (`mm_ratio`); a
#   chapter that replicates a venue uses that venue's ratio, and every chapter prints the one it
#   uses.
# - **The letter $\alpha$** is the confidence level, except in chapter 2, which follows the GARCH
#   literature and the `arch` package and writes the ARCH coefficient $\alpha$ (this chapter writes
#   it $a_1$ to keep the two apart).
#
# ## The chapters
#
# - **[Chapter 1 · Data and stylized facts](01_data_and_stylized_facts.ipynb).** Where does the data
#   come from, how clean is it, and how do crypto returns differ from equities?
# - **[Chapter 2 · Volatility models](02_volatility_models.ipynb).** Forecasting tomorrow's
#   volatility, from rolling windows and EWMA to the GARCH family.
# - **[Chapter 3 · VaR and Expected Shortfall](03_var_and_expected_shortfall.ipynb).** How large can
#   tomorrow's loss be, and how sure are we? Historical, parametric, filtered and extreme-value
#   estimates.
# - **[Chapter 4 · Backtesting](04_backtesting.ipynb).** Would these margins have held, and do their
#   breaches cluster?
# - **[Chapter 5 · Margin calibration](05_margin_calibration.ipynb).** From a risk estimate to
#   initial and maintenance margin, tiers, haircuts and penalties.
# - **[Chapter 6 · Procyclicality and stress](06_procyclicality_and_stress.ipynb).** How do margins
#   behave in a crash, and what do anti-procyclicality tools cost?
# - **[Chapter 7 · Portfolio and options margin](07_portfolio_and_options_margin.ipynb).** Offsets
#   between positions, option Greeks and scenario-grid margin (SPAN-like).
# - **[Chapter 8 · The calibration report](08_calibration_report.ipynb).** One calibration run laid
#   out for a risk committee.
# - **[Chapter 9 · Machine-learning margins](09_machine_learning_margins.ipynb).** Quantile
#   regression forests and gradient boosting as challengers to GARCH.
# - **[Chapter 10 · Anomaly detection](10_anomaly_detection.ipynb).** Finding bad ticks and unusual
#   days before they reach a margin model.
# - **[Chapter 11 · Perpetuals, DeFi and collateral](11_perpetuals_defi_and_collateral.ipynb).**
#   Funding, mark prices, liquidation thresholds and collateral haircuts on and off chain.
# - **[Chapter 12 · Model risk and governance](12_model_risk_governance.ipynb).** Conceptual
#   soundness, outcomes analysis, challengers and reverse stress tests.
# - **[Chapter 13 · Default management](13_default_management.ipynb).** The default waterfall, the
#   default fund (Cover 2), the insurance fund and auto-deleveraging.

# %% [markdown]
# ## Exercises
#
# ```{exercise} Log or simple? (★ easy)
# :label: ex-00-1
# A long position of 1,000,000 USD in BTC sees a daily log return of -0.30. How much does it lose
# in USD? What would a margin model that treats the log return as the loss on notional have
# charged, and is that prudent for a long position? For a short one?
# ```
#
# ````{solution-start} ex-00-1
# :class: dropdown
# ````

# %%
notional, r_day = 1_000_000, -0.30
loss_long = -notional * (np.exp(r_day) - 1)  # the position's actual loss
loss_as_log = -notional * r_day  # the log return read as a loss
loss_short_on_rise = notional * (np.exp(-r_day) - 1)  # a short on a log return of +0.30
assert loss_as_log > loss_long and loss_short_on_rise > loss_as_log
say(
    f"The long position loses {number(loss_long)} USD; reading the log return as a loss gives "
    f"{number(loss_as_log)} USD, which over-charges the long side. A short position facing the "
    f"mirror move loses {number(loss_short_on_rise)} USD, more than the log-return reading."
)

# %% [markdown]
# For a long position the log return overstates the loss ($1 - e^{r} < -r$ for $r < 0$): prudent,
# but wasteful in a crash. For a short position the loss $e^{r} - 1$ exceeds $r$: the log-return
# reading is *not* prudent. This is why margin rates are computed on simple returns, per side.
#
# ````{solution-end}
# ````

# %% [markdown]
# ```{exercise} The convexity of an inverse future (★★ medium)
# :label: ex-00-2
# Show that a long inverse future of face value $N$ loses $\frac{N}{P_t}\frac{x}{1-x}$ coin when the
# price falls by a fraction $x$ and gains $\frac{N}{P_t}\frac{x}{1+x}$ coin when it rises by $x$.
# For which $x$ is the loss on the fall twice the gain on the rise? What does this mean for the
# margin of a long inverse position, compared with a short one?
# ```
#
# ````{solution-start} ex-00-2
# :class: dropdown
# ````

# %%
x = np.linspace(0.01, 0.6, 60)
fall_loss = (N_USD / P0) * x / (1 - x)
rise_gain = (N_USD / P0) * x / (1 + x)
assert np.allclose(fall_loss, -inverse_future_pnl(N_USD, P0, P0 * (1 - x)))
assert np.allclose(rise_gain, inverse_future_pnl(N_USD, P0, P0 * (1 + x)))
x_twice = 1 / 3  # (1 + x) / (1 - x) = 2
assert np.isclose((1 + x_twice) / (1 - x_twice), 2)
say(f"The ratio of loss to gain is (1 + x)/(1 - x); it equals 2 at x = {number(x_twice)}.")

# %% [markdown]
# From $1/P_t - 1/P_{t+1}$ with $P_{t+1} = (1 \mp x)P_t$. The ratio $(1+x)/(1-x)$ reaches 2 at
# $x = 1/3$. A long inverse position's coin loss grows without bound as the price falls (its
# collateral loses value at the same time), while a short's coin loss on a rise is bounded by
# $N/P_t$: in coin terms the long side is the risky one, and a coin-margined venue needs a larger
# margin, or a haircut on the coin collateral, for it.
#
# ````{solution-end}
# ````

# %% [markdown]
# ```{exercise} Does the square-root-of-time rule hold for BTC? (★★ medium)
# :label: ex-00-3
# Compute the 99% VaR of BTC's two-day log returns directly from overlapping two-day returns and
# compare it with $\sqrt{2}$ times the one-day VaR. Which is larger, and what property of the
# returns explains the gap?
# ```
#
# ````{solution-start} ex-00-3
# :class: dropdown
# ````

# %%
two_day = horizon_returns(r, 2, freq="1D").dropna()
var_direct = -np.quantile(two_day, 1 - LEVEL)
var_sqrt = np.sqrt(2) * -np.quantile(r, 1 - LEVEL)
larger = "direct" if var_direct > var_sqrt else "square-root"
say(
    f"Direct two-day VaR {pct(var_direct)}, square-root rule {pct(var_sqrt)}: the ratio is "
    f"{number(var_direct / var_sqrt)}, so the {larger} estimate is the larger one on this history."
)

# %% [markdown]
# The rule assumes independent returns with a constant variance. Two effects break it, in opposite
# directions. Volatility clusters, so bad days come in runs: this makes multi-day losses *larger*
# than $\sqrt{h}$ times the one-day loss. But a sum of fat-tailed returns has thinner tails than
# each of them (the central limit theorem at work), so the far quantile of the sum grows *more
# slowly* than $\sqrt{h}$. Which effect wins depends on the asset, the period and the level; the
# output above says which won here. Chapters 2 and 3 model the clustering instead of scaling.
#
# ````{solution-end}
# ````
