# ---
# jupyter:
#   kernelspec:
#     display_name: Python 3
#     language: python
#     name: python3
# ---

# %% [markdown]
# # 7. Portfolio margin and options margin
#
# **Prerequisites.** [Chapter 3](03_var_and_expected_shortfall.ipynb) (ES, FHS) and
# [chapter 5](05_margin_calibration.ipynb) (margin rates); correlation matrices; the
# Black-Scholes formula. Terms: [SPAN](../book/glossary.md#span) and the other entries of the
# [glossary](../book/glossary.md).
#
# **Conventions in this chapter.** The margin period is chapter 0's **2 days**
# (`horizon`), except for the options margins of section 6, which are 1-day like the venues'
# grids they are compared with. The FHS filter is a symmetric GARCH(1,1) per asset with a DCC
# correlation (chapter 0's GJR term is left out: it is insignificant for BTC and ETH, chapter 2,
# and the DCC model is fitted on GARCH residuals). $\alpha$ denotes the confidence level. Returns
# are daily **log** returns; price moves of the option grids are **simple** returns (fractions of
# the futures price).
#
# **The question.** A trader holds BTC and ETH futures, or sells options on BTC. Should the
# venue margin each position on its own and add the numbers up, or margin the portfolio as a
# whole? How much does the portfolio view save (the *offset*), how stable is that saving, and
# how do we margin positions whose loss is not linear in the price?
#
# **The idea.**
#
# * The margin of a portfolio is a VaR or ES of its loss. Because losses of different assets do
#   not peak together, the portfolio margin is usually below the sum of the stand-alone margins.
#   The gap depends on correlation, and crypto correlations jump towards one in a crash.
# * Regulators let a CCP pass on only part of the offset: under Commission Delegated Regulation
#   (EU) No 153/2013, Art. 27(4), the reduction may not exceed 80% of the difference between the
#   sum of the single-product margins and the portfolio margin:
#   $\text{margin} = P + (1 - 0.8)\,(S - P)$ at most, with $S$ the sum of the stand-alone margins
#   and $P$ the portfolio margin.
# * Options are margined by full revaluation on a grid of price and volatility moves (Deribit's
#   portfolio margin, CME's SPAN, the Standard Portfolio Analysis of Risk: sixteen price and
#   volatility scenarios): the worst loss on the grid is the margin. A delta-only margin
#   misses the gamma risk of short options.
#
# Tools: `riskkit.portfolio` (aligned returns, EWMA and DCC correlation, filtered historical
# simulation, offsets and the EMIR cap) and `riskkit.options` (Black-76, Greeks, grids).

# %% tags=["parameters"]
level = 0.99  # confidence level of the margins
horizon = 2  # margin period of risk in days (EMIR RTS 153/2013 Art. 26: 2 days for ETDs)
lam = 0.94  # RiskMetrics EWMA decay
hist_window = 180  # days in the historical-simulation window
n_sims = 20_000  # filtered historical simulation paths
seed = 20200312
notional = 1_000_000.0  # USD per leg
crash_day = "2020-03-12"  # the COVID crash: the largest one-day fall of BTC and ETH
grid_quantile = 0.995  # coverage of the calibrated price range
option_days = 30  # days to expiry of the options

# %%
import warnings

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import seaborn as sns

from riskkit.datasets import load_prices, load_returns
from riskkit.display import amount, pct, say
from riskkit.events import event_window, pre_event
from riskkit.options import (
    DERIBIT_BTC_PRICE_RANGE,
    black76_price,
    book_greeks,
    calibrate_grid,
    deribit_grid_margin,
    greeks,
    make_book,
    scenario_pnl,
    span_margin,
    taylor_vs_full,
    var_margin,
)
from riskkit.portfolio import (
    DCC,
    align_returns,
    capped_margin,
    ewma_correlation,
    offset_vs_correlation,
    portfolio_fhs,
    portfolio_pnl,
    rolling_correlation,
    rolling_offset,
)
from riskkit.returns import PERIODS_PER_YEAR_CRYPTO
from riskkit.volatility import annualize

sns.set_theme(style="whitegrid")
crash = pd.Timestamp(crash_day)
before = crash - pd.Timedelta(days=1)  # the last day whose return a margin on `crash` may use

# %% [markdown]
# ## 1. Two assets on common dates
#
# Bundled daily closes from Bitstamp (see `riskkit.datasets`). `align_returns` keeps only the
# dates on which both assets have a return and says which dates it dropped; here the panel is
# already aligned, so it drops none.

# %%
aligned = align_returns(load_returns(("BTC", "ETH")))
returns = aligned.returns
print(returns.index[0].date(), "to", returns.index[-1].date(), len(returns), "days")
print(len(aligned.dropped), "dates dropped")
event_window(returns, crash, before=2)

# %% [markdown]
# ## 2. Correlation: rolling, EWMA and DCC
#
# Three estimates of the BTC/ETH correlation, each a forecast for the date (data up to the day
# before): a 90-day rolling window, RiskMetrics EWMA with decay 0.94, and Engle's DCC(1,1) on
# GARCH(1,1)-standardised residuals, fitted by two-step QMLE. The DCC *parameters* use the whole
# sample (an in-sample filter); the rolling and EWMA paths use no future data at all.

# %%
dcc = DCC(vol="garch").fit(returns)
dcc.summary().round(4)

# %%
corr = pd.DataFrame(
    {
        "rolling 90d": rolling_correlation(returns, 90)["BTC/ETH"],
        f"EWMA {lam}": ewma_correlation(returns, lam)["BTC/ETH"],
        "DCC(1,1)": dcc.correlation["BTC/ETH"],
    }
)
fig, ax = plt.subplots(figsize=(9, 3.5))
corr.loc["2018-06":].plot(ax=ax, lw=1)
ax.axvline(crash, color="k", ls=":", lw=1)
ax.set(ylabel="BTC/ETH correlation", xlabel="date", title="Figure 7.1. Correlation forecasts")
plt.show()
event_window(corr, crash, before=3).round(3)

# %%
calm = pre_event(corr.loc["2019-01":], crash)
week = event_window(corr, crash, before=0, after=6)
for col in corr.columns:
    print(
        f"{col}: {calm[col].min():.2f} to {calm[col].max():.2f} from 2019 to the crash, "
        f"up to {week[col].max():.2f} in the crash week"
    )

# %%
assert (week.max() > calm.max()).all() and (calm.min() > 0.4).all()

# %% [markdown]
# The correlation was already high before the crash and rose further in the crash week
# (printed and checked above): the two coins traded as one asset.

# %% [markdown]
# ## 3. Offsets over time: long/long and long BTC / short ETH
#
# `rolling_offset` computes, for every date, the stand-alone margins, the portfolio margin, the
# offset ratio `(sum - portfolio) / sum` and the margin after the 80% cap. Two methods: normal ES
# with the EWMA covariance (responsive) and historical ES over the last `hist_window` days.

# %%
books = {
    "long BTC / long ETH": {"BTC": notional, "ETH": notional},
    "long BTC / short ETH": {"BTC": notional, "ETH": -notional},
}
paths = {}
for name, pos in books.items():
    for method in ("ewma", "historical"):
        paths[(name, method)] = rolling_offset(
            returns, pos, level, "es", method=method, window=hist_window, lam=lam
        ).table

fig, axes = plt.subplots(1, 2, figsize=(11, 3.5), sharey=True)
for ax, name in zip(axes, books, strict=True):
    for method in ("ewma", "historical"):
        paths[(name, method)]["offset_ratio"].loc["2019-01":"2020-06"].plot(ax=ax, label=method)
    ax.axvline(crash, color="k", ls=":", lw=1)
    ax.set(title=f"Figure 7.2. {name}", ylabel="offset / sum of single margins", xlabel="date")
    ax.legend()
plt.show()

# %%
summary = pd.DataFrame(
    {
        (name, str(day.date())): paths[(name, "ewma")].loc[
            day, ["sum_single", "portfolio", "offset_ratio", "margin", "correlation"]
        ]
        for name in books
        for day in (pd.Timestamp("2020-02-01"), crash, crash + pd.Timedelta(days=7))
    }
).T
summary.round(3)

# %%
ll_off = summary.loc["long BTC / long ETH", "offset_ratio"]
ls_off = summary.loc["long BTC / short ETH", "offset_ratio"]
assert ll_off.max() < 0.05 and ll_off.iloc[-1] < ll_off.iloc[0] and ls_off.iloc[-1] > ls_off.iloc[0]
say(
    f"Long/long offset: {pct(ll_off.iloc[0])} of the sum on {ll_off.index[0]}, "
    f"{pct(ll_off.iloc[-1])} on {ll_off.index[-1]}; long/short: {pct(ls_off.iloc[0], 0)} and "
    f"{pct(ls_off.iloc[-1], 0)}."
)

# %% [markdown]
# **What it means.** For the long/long book the offset was small before the crash (printed
# above) and shrank further as correlation rose: margining the
# portfolio saved nothing exactly when margin mattered. The long/short book is a hedge; its
# offset *grows* with correlation, and its risk is the opposite move, a *fall* in correlation
# (decoupling). Which direction of correlation is a stress depends on the signs of the
# positions: the closed form below shows both.
#
# **The normal-ES offset.** For jointly normal returns with volatilities $\sigma_i$ over the
# horizon, correlation $\rho$ and signed notionals $N_i$, every ES is a multiple of a standard
# deviation, $k = \varphi(\Phi^{-1}(\alpha))/(1-\alpha)$:
# $$S = k \sum_i |N_i|\,\sigma_i, \qquad P = k\sqrt{N^\top \Sigma N}, \qquad
# \text{offset ratio} = \frac{S - P}{S} = 1 - \frac{\sqrt{N_1^2\sigma_1^2 + N_2^2\sigma_2^2 + 2\rho N_1 N_2 \sigma_1\sigma_2}}{|N_1|\sigma_1 + |N_2|\sigma_2}.$$
# $k$ cancels: the offset depends only on the correlation and the ratio of the two risks.
#
# **By hand**, against `offset_vs_correlation` at one correlation:

# %%
from scipy import stats

rho_0 = 0.9
s1, s2 = pre_event(returns, crash).std().to_numpy()
n1, n2 = notional, notional
k_es = stats.norm.pdf(stats.norm.ppf(level)) / (1 - level)
S_hand = k_es * (abs(n1) * s1 + abs(n2) * s2)
P_hand = k_es * np.sqrt((n1 * s1) ** 2 + (n2 * s2) ** 2 + 2 * rho_0 * n1 * n2 * s1 * s2)
closed = offset_vs_correlation([s1, s2], [n1, n2], [rho_0], level, "es").iloc[0]
assert np.isclose(S_hand, closed["sum_single"]) and np.isclose(P_hand, closed["portfolio"])
assert np.isclose(1 - P_hand / S_hand, closed["offset_ratio"])
assert np.isclose(P_hand + 0.2 * (S_hand - P_hand), closed["margin"])  # the 80% cap
print(
    f"rho = {rho_0}: S = {S_hand:,.0f}, P = {P_hand:,.0f} USD, offset ratio {1 - P_hand / S_hand:.2%}"
)

# %%
vol_now = (
    pre_event(returns, crash).std().to_numpy()
)  # pre-crash daily vols: they set the curves' shape
rhos = np.linspace(-0.2, 1.0, 61)
fig, ax = plt.subplots(figsize=(7, 3.5))
for name, pos in books.items():
    curve = offset_vs_correlation(vol_now, list(pos.values()), rhos, level, "es")
    ax.plot(rhos, curve["offset_ratio"], label=name)
ewma_col = f"EWMA {lam}"  # the column follows the `lam` parameter
ax.axvspan(corr.loc["2019":, ewma_col].min(), corr.loc["2019":, ewma_col].max(), alpha=0.15)
ax.set(
    xlabel="BTC/ETH correlation",
    ylabel="offset / sum of single margins",
    title="Figure 7.3. Normal ES offset against correlation (shaded: EWMA range since 2019)",
)
ax.legend()
plt.show()

# %% [markdown]
# ## 4. Portfolio margin by filtered historical simulation, on the eve of the crash
#
# `portfolio_fhs` filters each asset with GARCH(1,1), draws **whole rows** of the joint
# standardised residuals (so joint crashes stay joint), re-correlates them with the DCC forecast,
# rescales by each forecast volatility and walks `horizon` daily steps with GARCH and DCC
# updating. Every stand-alone margin comes from the same paths. Data up to the day before
# `crash_day` only.

# %%
pre = pre_event(returns, crash)
dcc_pre = DCC(vol="garch").fit(pre)
rows = {}
for name, pos in books.items():
    fhs = portfolio_fhs(pre, pos, level, horizon, n_sims, seed=seed, correlation="dcc", dcc=dcc_pre)
    m = fhs.margin(level, "es")
    capped = capped_margin(m["sum_single"], m["portfolio"])
    window = event_window(returns, crash, before=0, after=horizon - 1)
    realised = -portfolio_pnl(window, pos).sum()
    rows[name] = pd.concat([m.rename(lambda k: f"ES {k}"), capped[["margin"]]])
    rows[name]["realised loss"] = realised
fhs_table = pd.DataFrame(rows)
ll = fhs_table["long BTC / long ETH"]
print(
    f"long/long: {horizon}-day ES {ll['ES portfolio']:,.0f} against a realised loss of "
    f"{ll['realised loss']:,.0f} from {crash:%Y-%m-%d} ({notional:,.0f} USD per leg); "
    f"offset {1 - ll['ES portfolio'] / ll['ES sum_single']:.1%} of the sum"
)
fhs_table.round(0)

# %%
ls = fhs_table["long BTC / short ETH"]
assert 0.8 < ll["realised loss"] / ll["ES portfolio"] < 1.25  # of the order of the ES
assert ll["margin"] / ll["ES portfolio"] < 1.01  # the cap changes little
assert ls["realised loss"] < 0.25 * ls["ES portfolio"] and ls["margin"] > 1.2 * ls["ES portfolio"]
say(
    f"""
    The loss that followed over the crash days was {ll["realised loss"] / ll["ES portfolio"]:.2f}
    times the 2-day ES of the long/long book; its offset was tiny, so the 80% cap adds
    {pct(ll["margin"] / ll["ES portfolio"] - 1, 1)}. The hedged long/short book lost
    {amount(ls["realised loss"])} USD over those days; for it the offset is
    {pct(1 - ls["ES portfolio"] / ls["ES sum_single"], 0)} of the sum, and the cap (Art. 27(4))
    keeps a fifth of it as margin, {pct(ls["margin"] / ls["ES portfolio"] - 1, 0)} above the
    portfolio ES."""
)

# %% [markdown]
#
# A correlation stress shows what the same model says if the correlation forecast is replaced by
# 0.98 (long/long) or by 0.5 (long/short decoupling):

# %%
stress = {}
for name, pos, rho in (
    ("long BTC / long ETH", books["long BTC / long ETH"], 0.98),
    ("long BTC / short ETH", books["long BTC / short ETH"], 0.5),
):
    target = np.array([[1.0, rho], [rho, 1.0]])
    res = portfolio_fhs(pre, pos, level, horizon, n_sims, seed=seed, correlation=target)
    stress[(name, rho)] = res.margin(level, "es")
pd.DataFrame(stress).round(0)

# %% [markdown]
# ## 5. Calibrating an options grid from history
#
# A scenario grid needs a price range `R` and a volatility range. The price range is the
# `grid_quantile` quantile of `|h-day log move|` of BTC before the crash date (Bitstamp since
# 2013). The bundled data has **no implied volatilities**, so the volatility range uses a proxy:
# the h-day log change of the EWMA volatility. Its downside is mechanically limited (an EWMA
# variance cannot fall faster than by the factor `lam` a day), so we keep a published value for
# "vol down".

# %%
with warnings.catch_warnings():
    warnings.simplefilter("ignore")  # the bundled BTC history has gaps in 2014, reported in ch. 1
    btc = pre_event(load_returns("BTC")["BTC"], crash)
cal = calibrate_grid(btc, horizon=1, quantile=grid_quantile, lam=lam)
cal_h = calibrate_grid(btc, horizon=horizon, quantile=grid_quantile, lam=lam)
print(
    f"{grid_quantile:.1%} quantile of the 1-day |move| up to {before:%Y-%m-%d}: "
    f"{cal.price_range:.1%}"
)
pd.DataFrame({"1 day": cal.summary(), f"{horizon} days": cal_h.summary()})

# %%
fig, ax = plt.subplots(figsize=(7, 3.5))
sns.histplot(np.expm1(cal.abs_moves), bins=80, ax=ax, stat="density")
ax.axvline(cal.price_range, color="C3", label=f"{grid_quantile:.1%} quantile")
ax.axvline(
    DERIBIT_BTC_PRICE_RANGE,
    color="k",
    ls="--",
    label=f"Deribit BTC range {DERIBIT_BTC_PRICE_RANGE:.0%}",
)
ax.set(
    xlabel="|1-day move| (fraction of price)",
    ylabel="density",
    yscale="log",
    title="Figure 7.4. BTC's 1-day moves since 2013",
)
ax.legend()
plt.show()

# %%
assert cal.price_range > DERIBIT_BTC_PRICE_RANGE and cal_h.price_range > cal.price_range

# %% [markdown]
# BTC's one-day move at this quantile since 2013 (printed above) is wider than the range Deribit
# publishes for BTC (Deribit support, "Portfolio Margin"); a venue liquidating within hours
# needs less than a one-day move, a CCP with a 2-day margin period needs more.

# %% [markdown]
# ## 6. A short straddle and a covered call: grid, SPAN and VaR margins
#
# Books on the day before `crash_day`, options on the BTC future (Black-76, `r = 0`),
# `option_days` days to expiry. Without implied vols we use the GARCH volatility forecast
# (annualised with 365 days) as the options' volatility. Quantities in BTC.
#
# **Black-76.** A call on a futures price $F$ with strike $K$, expiry $T$ (years of 365 days),
# volatility $\sigma$ (per $\sqrt{\text{year}}$) and rate $r$ is worth
# $$c = e^{-rT}\left[F\,N(d_1) - K\,N(d_2)\right], \quad d_{1,2} = \frac{\ln(F/K) \pm \sigma^2 T/2}{\sigma\sqrt T},$$
# and a put $p = c - e^{-rT}(F - K)$. The Greeks, with their **units** (here $r = 0$):
#
# | Greek | call | unit |
# |---|---|---|
# | delta $\partial c/\partial F$ | $e^{-rT}N(d_1)$ | BTC (USD per USD of $F$) |
# | gamma $\partial^2 c/\partial F^2$ | $e^{-rT}\varphi(d_1)/(F\sigma\sqrt T)$ | per USD |
# | vega $\partial c/\partial \sigma$ | $e^{-rT}F\varphi(d_1)\sqrt T$ | USD per **1.00** of volatility (divide by 100 for one vol point) |
# | theta $-\partial c/\partial T$ | $-e^{-rT}F\varphi(d_1)\sigma/(2\sqrt T) + r c$ | USD per **year** (divide by 365 for one day) |


# %%
F = float(load_prices("BTC").loc[before, "BTC"])  # close of the 11 March bar
sigma = annualize(dcc_pre.univariate["BTC"].next_sigma, PERIODS_PER_YEAR_CRYPTO)
T = option_days / 365  # option expiry in years of calendar days (Black-76 convention)
straddle = make_book(
    [
        {"instrument": "call", "quantity": -1, "strike": 8000, "expiry": T, "vol": sigma},
        {"instrument": "put", "quantity": -1, "strike": 8000, "expiry": T, "vol": sigma},
    ]
)
covered = make_book(
    [
        {"instrument": "future", "quantity": 1},
        {"instrument": "call", "quantity": -1, "strike": 9000, "expiry": T, "vol": sigma},
    ]
)
print(f"F = {F:,.0f} USD, vol = {sigma:.2f}")
bg = pd.DataFrame(
    {"short straddle": book_greeks(straddle, F), "covered call": book_greeks(covered, F)}
)
bg.index = [
    f"{g} ({u})"
    for g, u in zip(
        bg.index, ["USD", "BTC", "1/USD", "USD per 1.00 vol", "USD per year"], strict=True
    )
]
vega_st = book_greeks(straddle, F)["vega"]
theta_st = book_greeks(straddle, F)["theta"]
say(
    f"The short straddle's vega of {amount(vega_st)} USD per 1.00 of volatility is "
    f"{amount(vega_st / 100, 2)} USD per vol point; its theta of {amount(theta_st)} USD per year "
    f"is {amount(theta_st / 365, 2)} USD earned per day of time decay."
)
bg

# %% [markdown]
# **By hand: Black-76 and its vega and theta**, for the short straddle's call, against
# `riskkit.options.greeks`:

# %%
K_c = 8000
d1 = (np.log(F / K_c) + sigma**2 * T / 2) / (sigma * np.sqrt(T))
d2 = d1 - sigma * np.sqrt(T)
call_hand = F * stats.norm.cdf(d1) - K_c * stats.norm.cdf(d2)
vega_hand = F * stats.norm.pdf(d1) * np.sqrt(T)
theta_hand = -F * stats.norm.pdf(d1) * sigma / (2 * np.sqrt(T))
g_ = greeks(F, K_c, T, sigma, kind="call")
assert (
    np.isclose(call_hand, g_.price)
    and np.isclose(vega_hand, g_.vega)
    and np.isclose(theta_hand, g_.theta)
)
bump = 1e-4  # the vega is a derivative per 1.00 of vol: check with a finite difference
fd = (black76_price(F, K_c, T, sigma + bump) - black76_price(F, K_c, T, sigma - bump)) / (2 * bump)
assert np.isclose(fd, vega_hand, rtol=1e-6)
print(
    f"call {call_hand:,.2f} USD; vega {vega_hand:,.1f} USD per 1.00 of vol = {vega_hand / 100:,.2f} per "
    f"vol point; theta {theta_hand:,.0f} USD per year = {theta_hand / 365:,.2f} per day"
)

# %% [markdown]
# Margins by method (USD per book): the Deribit-style grid with the published BTC parameters
# ($\pm 16\%$ in 9 buckets, vol up $50\%$ / down $25\%$, scaled by `(30/days)^0.3`), the same grid with the
# calibrated range, SPAN's sixteen scenarios with the calibrated range, and a 1-day FHS VaR/ES by full
# revaluation (vol unchanged), plus the "delta-only" margin `|delta| F R`.

# %%
fhs_btc = portfolio_fhs(pre, {"BTC": 1.0}, level, 1, n_sims, seed=seed)
sims = fhs_btc.simulated_returns["BTC"]
table = {}
for name, book in (("short straddle", straddle), ("covered call", covered)):
    deribit = deribit_grid_margin(book, F)
    calibrated = deribit_grid_margin(book, F, price_range=cal.price_range)
    span = span_margin(book, F, cal.price_range, vol_scan_range=0.25)
    fhs_m = var_margin(book, F, sims, level)
    delta = abs(book_greeks(book, F)["delta"]) * F * cal.price_range
    table[name] = {
        f"grid (Deribit {DERIBIT_BTC_PRICE_RANGE:.0%})": deribit.initial,
        f"grid (calibrated {cal.price_range:.0%})": calibrated.initial,
        "SPAN (calibrated)": span.initial,
        f"FHS VaR {level}": fhs_m.loc[level, "var"],
        f"FHS ES {level}": fhs_m.loc[level, "es"],
        "delta only": delta,
    }
pd.DataFrame(table).round(0)

# %%
grid = scenario_pnl(straddle, F, np.linspace(-0.4, 0.4, 81), np.array([0.5, 0.0, -0.25]))
fig, ax = plt.subplots(figsize=(7, 3.5))
for shock in grid.columns:
    ax.plot(grid.index, -grid[shock], label=f"vol shock {shock:+.2f}")
ax.axvspan(-cal.price_range, cal.price_range, alpha=0.1, label="calibrated grid range")
ax.axhline(table["short straddle"][f"FHS ES {level}"], color="k", ls=":", label="FHS ES")
ax.set(
    xlabel="price move (simple return, fraction)",
    ylabel="loss (USD)",
    title="Figure 7.5. Short straddle: loss surface",
)
ax.legend(fontsize=8)
plt.show()

# %%
st = pd.DataFrame(table)["short straddle"]
assert st[f"FHS ES {level}"] < st[f"grid (calibrated {cal.price_range:.0%})"]

# %% [markdown]
# **What it means.** The short straddle's loss is largest at the edges of the grid with vol up,
# so the grid margin is set by the range `R`; FHS, which draws 1-day moves from a GARCH model on
# a quiet day, asks for less (checked above). The covered call's loss is dominated by the future on a fall, and
# its short call cushions it by at most the premium received. On `crash_day` BTC fell far
# beyond every grid (the move is printed below); the loss of each book, vol unchanged and up:

# %%
move = float(np.expm1(returns.loc[crash, "BTC"]))
realised = {
    name: -scenario_pnl(book, F, [move], [0.0, 0.5]).iloc[0]
    for name, book in (("short straddle", straddle), ("covered call", covered))
}
print(f"BTC move on {crash.date()}: {move:.1%} (simple return)")
assert abs(move) > cal.price_range
pd.DataFrame(realised).round(0)

# %% [markdown]
# ## 7. The gamma risk a delta-only margin misses
#
# A delta-only margin treats the book as `delta` BTC of future. `taylor_vs_full` compares the
# delta, delta-gamma and full-revaluation P&L across price moves.

# %%
tay = taylor_vs_full(straddle, F, np.round(np.linspace(-0.4, 0.4, 81), 3))
fig, ax = plt.subplots(figsize=(7, 3.5))
tay[["full", "delta", "delta_gamma"]].plot(ax=ax)
ax.set(
    xlabel="price move (simple return, fraction)",
    ylabel="P&L (USD)",
    title="Figure 7.6. Short straddle: Taylor vs full",
)
plt.show()
assert (tay.loc[[-0.3, 0.3], "delta_gamma"] < tay.loc[[-0.3, 0.3], "full"]).all()
tay.loc[[-0.3, -0.1, 0.1, 0.3], ["full", "delta", "delta_gamma", "error_delta_gamma"]].round(0)

# %% [markdown]
# The delta view of an almost delta-neutral short straddle sees almost no risk; the
# delta-gamma view is good for small moves but over-states the loss for large ones (gamma falls
# away from the strike, so the true P&L grows linearly, not quadratically). Neither replaces
# revaluation on a grid, which is why venues margin options with full-revaluation scenarios.
#
# ## Exercises
#
# ```{exercise} VaR offsets can be negative (★★ medium)
# :label: ex-07-1
# Two independent positions each lose 100 with probability 0.8%, 10 with probability 5% and
# nothing otherwise. Compute
# the 99% VaR and ES of each and of their sum (`riskkit.risk.empirical_var_es` with the exact
# probabilities as `weights`), and what `capped_margin` charges for the pair. Then check whether
# the 99.5% historical VaR offset of the long/long book of section 3 (90-day window) was ever
# negative.
# ```
#
# ````{solution-start} ex-07-1
# :class: dropdown
# ````

# %%
from riskkit.risk import empirical_var_es

p_d = 0.008
x_one, w_one = np.array([0.0, 10.0, 100.0]), np.array([1 - 0.05 - p_d, 0.05, p_d])
single = empirical_var_es(x_one, 0.99, weights=w_one)
x_two = (x_one[:, None] + x_one[None, :]).ravel()  # independent: all pairs of outcomes
w_two = (w_one[:, None] * w_one[None, :]).ravel()
pair = empirical_var_es(x_two, 0.99, weights=w_two)
assert pair[0] > 2 * single[0] and pair[1] <= 2 * single[1] + 1e-9
var_path = rolling_offset(
    returns, books["long BTC / long ETH"], 0.995, "var", method="historical", window=90
).table
n_neg = int((var_path["offset_ratio"] < 0).sum())
say(
    f"Each position: VaR {single[0]:.0f}, ES {single[1]:.0f}; the pair: VaR {pair[0]:.0f}, ES "
    f"{pair[1]:.0f}. The VaR offset is negative; `capped_margin` charges "
    f"{capped_margin(2 * single[0], pair[0])['margin']:.0f}. In the data the long/long VaR offset "
    f"was negative on {n_neg} of {len(var_path.dropna())} dates."
)

# %% [markdown]
# VaR is not subadditive: each position alone stays below its 1% tail (0.8% chance of the large loss),
# the pair does not ($1 - (1 - 0.008)^2 \approx 1.6\%$ chance that at least one loses). `capped_margin` then charges
# the portfolio margin itself: a negative offset passes no reduction on. ES is subadditive, so
# its offset is never negative. With two highly correlated coins the tail events coincide and
# the VaR offset stayed non-negative; it is books of rare, independent jumps (defaults, depegs)
# where the VaR of the sum exceeds the sum.
#
# ````{solution-end}
# ````

# %% [markdown]
# ```{exercise} DCC or empirical correlation (★★ medium)
# :label: ex-07-2
# In section 4, replace `correlation="dcc"` by `"empirical"` and compare the 2-day ES of the
# long/long book. Which reacted more to the high correlation of early March 2020?
# ```
#
# ````{solution-start} ex-07-2
# :class: dropdown
# ````

# %%
es_by = {}
for corr_kind in ("dcc", "empirical"):
    kw = {"dcc": dcc_pre} if corr_kind == "dcc" else {}
    res_ = portfolio_fhs(
        pre,
        books["long BTC / long ETH"],
        level,
        horizon,
        5000,
        seed=seed,
        correlation=corr_kind,
        **kw,
    )
    es_by[corr_kind] = res_.margin(level, "es")
pd.DataFrame(es_by).round(0)

# %% [markdown]
# DCC re-correlates the residuals with the correlation forecast for the day, which was at the
# top of its range before the crash; the empirical choice keeps the average dependence of the
# whole window. For a long/long book the higher correlation means a higher portfolio ES and a
# smaller offset.
#
# ````{solution-end}
# ````

# %% [markdown]
# ```{exercise} A wider grid (★ easy)
# :label: ex-07-3
# Calibrate the grid with `horizon=2` and a 99.9% quantile. How do the short straddle's grid and
# SPAN margins change, and how far is the calibrated range from the 12 March move?
# ```
#
# ````{solution-start} ex-07-3
# :class: dropdown
# ````

# %%
cal_w = calibrate_grid(btc, horizon=2, quantile=0.999, lam=lam)
wide = {
    "range": {"1-day 99.5%": cal.price_range, "2-day 99.9%": cal_w.price_range},
    "grid": {
        "1-day 99.5%": deribit_grid_margin(straddle, F, price_range=cal.price_range).initial,
        "2-day 99.9%": deribit_grid_margin(straddle, F, price_range=cal_w.price_range).initial,
    },
    "SPAN": {
        "1-day 99.5%": span_margin(straddle, F, cal.price_range, vol_scan_range=0.25).initial,
        "2-day 99.9%": span_margin(straddle, F, cal_w.price_range, vol_scan_range=0.25).initial,
    },
}
wide = pd.DataFrame(wide)
growth = wide.iloc[1] / wide.iloc[0]
say(
    f"12 March move: {pct(move)}; the 2-day 99.9% range is {pct(cal_w.price_range)}, "
    + ("beyond" if cal_w.price_range > abs(move) else "short of")
    + f" it. Range x{growth['range']:.2f}, grid margin x{growth['grid']:.2f}, SPAN x{growth['SPAN']:.2f}."
)
wide

# %% [markdown]
# Beyond the strikes a short straddle loses about one USD per USD of move, so its worst grid
# loss grows roughly in proportion to the range (the ratios above); SPAN, whose scenarios are
# fractions of the range, reacts a little more. Only a 2-day range at 99.9% reaches the size of
# the March 2020 move: a 1-day grid at 99.5% is a margin for ordinary days, not for that one.
#
# ````{solution-end}
# ````

# %% [markdown]
# ```{exercise} A protected straddle (★★ medium)
# :label: ex-07-4
# Add a long 30-day put at 7,000 to the short straddle and compare its grid margin with the
# short straddle's, and its delta-gamma approximation with full revaluation at a 30% fall.
# ```
#
# ````{solution-start} ex-07-4
# :class: dropdown
# ````

# %%
protected = make_book(
    [
        {"instrument": "call", "quantity": -1, "strike": 8000, "expiry": T, "vol": sigma},
        {"instrument": "put", "quantity": -1, "strike": 8000, "expiry": T, "vol": sigma},
        {"instrument": "put", "quantity": 1, "strike": 7000, "expiry": T, "vol": sigma},
    ]
)
tay_p = taylor_vs_full(protected, F, np.array([-0.3]))
grid_p = deribit_grid_margin(protected, F, price_range=cal.price_range).initial
grid_s = deribit_grid_margin(straddle, F, price_range=cal.price_range).initial
tay_s = taylor_vs_full(straddle, F, np.array([-0.3]))
assert tay_p["full"].iloc[0] > tay_s["full"].iloc[0]  # the put protects on a fall
say(
    f"Grid margin: protected {amount(grid_p)} USD against {amount(grid_s)} USD for the short "
    f"straddle. At a 30% fall: full revaluation {amount(tay_p['full'].iloc[0])} USD (straddle "
    f"{amount(tay_s['full'].iloc[0])}), delta-gamma {amount(tay_p['delta_gamma'].iloc[0])} USD."
)
tay_p[["full", "delta", "delta_gamma"]].round(0)

# %% [markdown]
# The long put caps the loss on a fall below 7,000. The grid margin is the worst scenario of
# the grid, which for a short straddle may sit on the *upside* (a rally with volatility up),
# where the put does not help: protection on one side lowers the margin only if that side set
# it. The delta-gamma approximation uses the book's gamma at today's price and extrapolates a
# parabola: at a 30% fall it misses the put's floor, the reason venues revalue on a grid.
#
# ````{solution-end}
# ````
