# ---
# jupyter:
#   kernelspec:
#     display_name: Python 3
#     language: python
#     name: python3
# ---

# %% [markdown]
# # 13. Default management: the waterfall, Cover-2 and auto-deleveraging
#
# **Prerequisites.** Chapter 5 (margin rates from a VaR/ES model and the margin period of risk)
# and chapter 6 (stress tests and the insurance fund). Terms such as *default fund*, *skin in the
# game* and *auto-deleveraging (ADL)* are defined in the [glossary](../book/glossary.md).
#
# **The question.** Margin covers a default with 99% confidence over the margin period. The other
# 1% happens: in March 2020 crypto prices fell by more than a third in two days. When a member's
# loss exceeds its margin, who pays, in what order, and how large must the mutualised resources be
# so that they were enough *before* the crash happened?
#
# **The idea.** A clearing house lines its resources up in a fixed order, the *default
# waterfall* of EMIR (Regulation (EU) No 648/2012) Art. 45: the defaulter's margin, the
# defaulter's default-fund contribution, the CCP's own "skin in the game", the survivors'
# contributions, then further calls. Let $L_{i,s}$ be the loss of member $i$ in stress scenario
# $s$ and $IM_i$ its margin; the loss the margin leaves uncovered is
#
# $$U_{i,s} = \max(L_{i,s} - IM_i,\ 0).$$
#
# The fund must withstand the default of the member with the largest exposure or of the second
# and third together (EMIR Art. 42(3)); pre-funded resources as a whole must cover the two
# largest (Commission Delegated Regulation (EU) No 153/2013, Art. 53(1); CPMI-IOSCO *Principles
# for Financial Market Infrastructures*, Principle 4, "Cover 2"):
#
# $$DF_{\text{Cover-2}} = \max_s \max_{i \ne j} \left(U_{i,s} + U_{j,s}\right).$$
#
# A crypto venue has no default fund: an account is liquidated at its bankruptcy price, the
# insurance fund pays the loss beyond its margin, and when the fund is empty the bankrupt position
# is closed against profitable opposite positions, ranked by the score
#
# $$\text{score} = \begin{cases} p \times \ell & p > 0 \\ p / \ell & \text{otherwise,}
# \end{cases}$$
#
# where $p$ is the unrealised PnL as a fraction of the margin deposited and $\ell$ the effective
# leverage, notional over equity (Binance Futures FAQ, "What is Auto-Deleveraging"; BitMEX uses
# the same ranking).
#
# The loss operator of a linear position of notional $N$ and direction $q = \pm 1$ over a log
# return $R$ is $L = -q N (e^{R} - 1)$; a member's loss is the sum over its positions.

# %% tags=["parameters"]
ASSETS = ("BTC", "ETH", "LTC")
EXCHANGE = "bitstamp"
HISTORY_START = "2017-09-01"
MARGIN_LOOKBACK = 365  # EMIR RTS 153/2013 Art. 25(1): at least the latest 12 months
AS_OF = "2020-02-29"  # margins and fund sized with data up to here, before the crash
CRASH = ("2020-03-01", "2020-03-31")  # the month whose worst window is replayed
LEVEL = 0.99
HORIZON_DAYS = 2  # EMIR Art. 26(1): 2 business days for exchange-traded derivatives
N_MEMBERS = 8
WORST_PER_ASSET = 3  # worst historical windows per asset used as scenarios
HYPOTHETICAL_MOVES = (-0.30, 0.30)  # joint simple price moves of every asset
SKIN_SHARE = 0.10  # CCP skin in the game as a share of the fund (an assumption of this chapter)
SEED = 2013

# %%
import itertools

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import seaborn as sns

from riskkit import datasets
from riskkit.display import amount, pct, say
from riskkit.margin import two_sided_rate
from riskkit.margin.default_fund import (
    adl_ranking,
    auto_deleverage,
    ccp_waterfall_resources,
    default_fund_size,
    default_waterfall,
    fund_contributions,
    reverse_stress_scale,
)
from riskkit.margin.stress import worst_windows
from riskkit.risk import HistoricalSimulation

returns = datasets.load_returns(ASSETS, exchange=EXCHANGE, start=HISTORY_START)
history = returns.loc[:AS_OF]
say(
    f"Daily log returns of {', '.join(ASSETS)} on {EXCHANGE}: {len(history)} days up to "
    f"{history.index[-1]:%Y-%m-%d} size the margins and the fund."
)

# %% [markdown]
# ## 1. Margins before the crash
#
# Each asset gets a two-sided initial-margin rate: the historical-simulation ES of the daily log
# loss of a long and of a short position over the latest year (the shortest lookback Art. 25(1)
# allows), scaled to the margin period and turned into a fraction of notional (chapter 5). The
# stress scenarios below use the whole history. Members post margin on the gross notional of each position (no
# offsets between assets, to keep the chapter about default management).

# %%
estimator = HistoricalSimulation()
lookback = history.iloc[-MARGIN_LOOKBACK:]


def margin_rates(horizon_days: float) -> pd.Series:
    """Two-sided IM rate of each asset: HS ES of the long and the short log loss."""
    rates = {}
    for asset in ASSETS:
        long_es = estimator.estimate(lookback[asset], LEVEL).table.loc[LEVEL, "es"]
        short_es = estimator.estimate(-lookback[asset], LEVEL).table.loc[LEVEL, "es"]
        rates[asset] = float(two_sided_rate(long_es, short_es, horizon_days).rate)
    return pd.Series(rates, name="IM rate")


im_rate = margin_rates(HORIZON_DAYS)
say(
    "Initial-margin rates on "
    + AS_OF
    + ": "
    + ", ".join(f"{a} {pct(v)}" for a, v in im_rate.items())
    + f" of notional ({LEVEL:.0%} ES, {HORIZON_DAYS}-day margin period)."
)

# %% [markdown]
# A membership of clearing members with random books: each holds a long or short position in
# each asset, notional drawn from a log-normal (a few large members, many small ones, as on a
# real venue).

# %%
rng = np.random.default_rng(SEED)
members = [f"M{i + 1}" for i in range(N_MEMBERS)]
notional = pd.DataFrame(
    rng.lognormal(mean=16.0, sigma=1.0, size=(N_MEMBERS, len(ASSETS))),
    index=members,
    columns=list(ASSETS),
)
direction = pd.DataFrame(
    rng.choice([-1.0, 1.0], size=(N_MEMBERS, len(ASSETS))), index=members, columns=list(ASSETS)
)
margin = (notional * im_rate).sum(axis=1).rename("margin")
books = (direction * notional / 1e6).round(2)
books["margin posted"] = (margin / 1e6).round(2)
books.rename_axis("member (million USD)")

# %% [markdown]
# ## 2. Stress scenarios and the Cover-2 fund
#
# The scenarios are the worst non-overlapping 2-day windows of each asset in the history
# (chapter 6's `worst_windows`), each applied *jointly*: every asset moves as it did over those
# same days. Two hypothetical joint moves complete the set.

# %%
starts = sorted(
    {
        w
        for asset in ASSETS
        for w in worst_windows(history[asset], HORIZON_DAYS, WORST_PER_ASSET)["start"]
    }
)
position = {d: history.index.get_loc(d) for d in starts}
scenarios = pd.DataFrame(
    {f"{d:%Y-%m-%d}": history.iloc[position[d] : position[d] + HORIZON_DAYS].sum() for d in starts}
)
for move in HYPOTHETICAL_MOVES:
    scenarios[f"all {move:+.0%}"] = np.log1p(move)


def member_losses(log_moves: pd.DataFrame) -> pd.DataFrame:
    """Loss of each member (rows) in each scenario (columns): L = -q N (exp(R) - 1), floored at 0."""
    pnl = (direction * notional) @ np.expm1(log_moves)
    return (-pnl).clip(lower=0.0)


stress_losses = member_losses(scenarios)
cover2 = default_fund_size(stress_losses, margin, rule="cover-2")
emir = default_fund_size(stress_losses, margin, rule="emir")
say(
    f"**Cover-2 default fund: {amount(cover2.size)}**, set by scenario {cover2.scenario} and the "
    f"defaults of {' and '.join(cover2.members)}. EMIR Art. 42(3)'s rule (largest, or second "
    f"and third) asks for {amount(emir.size)} ({emir.scenario}: {', '.join(emir.members)})."
)

# %% [markdown]
# **From scratch.** Cover-2 is "the worst pair of defaults": enumerate every pair of members in
# every scenario and keep the largest uncovered loss.

# %%
uncovered_by_hand = (stress_losses.sub(margin, axis=0)).clip(lower=0.0)
worst_pair = max(
    (uncovered_by_hand.loc[list(pair), s].sum(), s, pair)
    for s in uncovered_by_hand.columns
    for pair in itertools.combinations(members, 2)
)
assert np.isclose(worst_pair[0], cover2.size)
assert worst_pair[1] == cover2.scenario
say(f"By hand: {amount(worst_pair[0])} in {worst_pair[1]}, the same as riskkit.")

# %%
fig, ax = plt.subplots(figsize=(9, 3.8))
sns.heatmap(
    cover2.uncovered / 1e6,
    annot=True,
    fmt=".1f",
    cmap="Reds",
    cbar_kws={"label": "uncovered loss (million USD)"},
    ax=ax,
)
ax.set_title("Figure 13.1: loss beyond posted margin, by member and stress scenario")
ax.set_xlabel("scenario (start of the 2-day window, or joint hypothetical move)")
ax.set_ylabel("member")
fig.tight_layout()

# %% [markdown]
# ## 3. March 2020 against the fund sized before it
#
# Members pay into the fund pro rata to their initial margin, a common CCP basis. Replay the
# worst 2-day window of March 2020: let the two members with the largest uncovered loss default,
# and run their loss through the waterfall.

# %%
contributions = fund_contributions(cover2.size, margin)
crash_returns = returns.loc[CRASH[0] : CRASH[1]]
crash_window = worst_windows(crash_returns["BTC"], HORIZON_DAYS, 1).iloc[0]
crash_pos = returns.index.get_loc(crash_window["start"])
crash_moves = returns.iloc[crash_pos : crash_pos + HORIZON_DAYS].sum().to_frame("March 2020")
assert (np.expm1(crash_moves["March 2020"]) < -1 / 3).all()  # "more than a third in two days"
crash_losses = member_losses(crash_moves)["March 2020"]
crash_uncovered = (crash_losses - margin).clip(lower=0.0)
defaulters = list(crash_uncovered.sort_values(ascending=False).index[:2])
survivors = [m for m in members if m not in defaulters]

resources = ccp_waterfall_resources(
    defaulter_margin=float(margin[defaulters].sum()),
    defaulter_fund=float(contributions[defaulters].sum()),
    skin_in_the_game=SKIN_SHARE * cover2.size,
    survivors_fund=float(contributions[survivors].sum()),
)
outcome = default_waterfall(float(crash_losses[defaulters].sum()), resources)
say(
    f"Worst 2-day window of March 2020 starts {crash_window['start']:%Y-%m-%d}: "
    + ", ".join(f"{a} {pct(np.expm1(v))}" for a, v in crash_moves["March 2020"].items())
    + f". Defaulters {' and '.join(defaulters)} lose {amount(outcome.loss)}; the deepest layer "
    f"used is **{outcome.last_layer_used}**, uncovered after every layer: "
    f"{amount(outcome.uncovered)}."
)
(outcome.layers / 1e6).round(2).rename_axis("layer (million USD)")

# %%
fig, ax = plt.subplots(figsize=(9, 3.5))
layers = outcome.layers
ax.barh(layers.index, layers["available"] / 1e6, color="lightgrey", label="available")
ax.barh(layers.index, layers["used"] / 1e6, color="firebrick", label="used in March 2020")
ax.invert_yaxis()
ax.set_xlabel("million USD")
ax.set_title("Figure 13.2: the EMIR Art. 45 waterfall for the two largest March 2020 defaults")
ax.legend(loc="lower right")
fig.tight_layout()

# %% [markdown]
# ## 4. Reverse stress test: how much worse could March 2020 have been?
#
# A reverse stress test starts from the outcome, "every pre-funded resource is used up", and asks
# how severe the scenario must be. Scale March 2020's log returns by $s$ and find the $s^*$ at
# which the two largest defaulters' loss equals their margin, the whole fund and the skin in the
# game.

# %%
prefunded = cover2.size * (1 + SKIN_SHARE)


def top_two_uncovered(scale: float) -> float:
    """Uncovered loss of the two worst members when March 2020's moves are scaled."""
    losses = member_losses(crash_moves * scale)["March 2020"]
    return float((losses - margin).clip(lower=0.0).nlargest(2).sum())


grid = np.linspace(0.0, 4.0, 81)
curve = np.array([top_two_uncovered(s) for s in grid])
assert np.all(np.diff(curve) >= -1e-6), "uncovered loss must grow with the scale"
scale_star = reverse_stress_scale(top_two_uncovered, prefunded, upper=grid[-1])
say(
    f"The pre-funded resources ({amount(prefunded)}) are used up at **{scale_star:.2f} times** "
    "the March 2020 moves"
    + (
        ": the crash itself stayed inside them."
        if scale_star > 1
        else ": the crash itself already went beyond them."
    )
)

# %%
fig, ax = plt.subplots(figsize=(7, 3.5))
ax.plot(grid, curve / 1e6, label="uncovered loss of the two worst members")
ax.axhline(prefunded / 1e6, color="black", ls="--", label="default fund + skin in the game")
ax.axvline(1.0, color="grey", ls=":", label="March 2020 as it happened")
ax.axvline(scale_star, color="firebrick", ls="-.", label="reverse-stress scale $s^*$")
ax.set_xlabel("scale of March 2020's log returns, $s$")
ax.set_ylabel("million USD")
ax.set_title("Figure 13.3: reverse stress test of the pre-funded resources")
ax.legend(fontsize=8)
fig.tight_layout()

# %% [markdown]
# ## 5. The venue's answer: insurance fund, then auto-deleveraging
#
# A crypto venue has no default fund. Suppose its insurance fund equals the Cover-1 requirement
# (the largest single uncovered loss in the scenarios). The defaulters' loss beyond their margin
# goes first to the fund; if the fund cannot absorb it, the bankrupt positions are closed at the
# bankruptcy price against the profitable side, in the ADL queue's order.

# %%
insurance = default_fund_size(stress_losses, margin, rule="cover-1").size
bad_debt = float(crash_uncovered[defaulters].sum())
venue = default_waterfall(bad_debt, {"insurance fund": insurance})
crash_pnl = ((direction * notional) @ np.expm1(crash_moves))["March 2020"]
winners = crash_pnl[crash_pnl > 0].index.difference(defaulters)
queue_input = pd.DataFrame(
    {
        "notional": notional.loc[winners].sum(axis=1),
        "unrealised_pnl": crash_pnl[winners],
        "equity": margin[winners] + crash_pnl[winners],
    }
)
queue = adl_ranking(queue_input)
if venue.uncovered > 0:
    bankrupt_notional = float(notional.loc[defaulters].sum(axis=1).sum())
    closed = auto_deleverage(min(bankrupt_notional, queue["notional"].sum()), queue_input)
    queue["deleveraged notional"] = closed
say(
    f"Bad debt beyond the defaulters' margin: {amount(bad_debt)}; insurance fund "
    f"{amount(insurance)}; left to auto-deleveraging: **{amount(venue.uncovered)}**."
)
queue.round(3)

# %% [markdown]
# **What it means.** The fund sized on the history before the crash is a statement about the
# *worst pair of defaults* in extreme but plausible scenarios; whether March 2020 stayed inside
# it depends on how close its joint moves came to the historical windows, and the reverse stress
# scale measures the distance. A venue without mutualised resources replaces the fund by the
# ADL queue: the most leveraged winners pay, which is why venues report ADL events and why the
# insurance fund is a margin parameter in its own right (chapter 6).

# %% [markdown]
# ## Exercises
#
# ```{exercise} The EMIR rule against Cover-2 (★ easy)
# :label: ex-13-1
# Compare the fund under EMIR Art. 42(3)'s rule with the Cover-2 fund on the same scenarios.
# Which is larger, and which members set each?
# ```
#
# ````{solution-start} ex-13-1
# :class: dropdown
# ````

# %%
comparison = pd.DataFrame(
    {
        "size": [cover2.size, emir.size],
        "scenario": [cover2.scenario, emir.scenario],
        "members": [", ".join(cover2.members), ", ".join(emir.members)],
    },
    index=["Cover-2", "EMIR 42(3)"],
)
assert emir.size <= cover2.size  # the larger of one default or two defaults never exceeds two
comparison

# %% [markdown]
# The EMIR rule takes the largest single default or the second and third together: both are
# at most the worst pair, so it never asks for more than Cover-2. Art. 53(1) of the RTS still
# requires *all* pre-funded resources to cover two defaults.
#
# ````{solution-end}
# ````
#
# ```{exercise} A longer margin period (★★ medium)
# :label: ex-13-2
# Recompute the margins with a 5-day margin period (the OTC horizon of Art. 26(1)) on the same
# scenarios. What happens to the default fund, and to margin plus fund?
# ```
#
# ````{solution-start} ex-13-2
# :class: dropdown
# ````

# %%
margin_5 = (notional * margin_rates(5)).sum(axis=1)
cover2_5 = default_fund_size(stress_losses, margin_5, rule="cover-2")
assert cover2_5.size <= cover2.size  # more margin, less left uncovered
say(
    f"Fund {amount(cover2.size)} -> {amount(cover2_5.size)}; total margin "
    f"{amount(margin.sum())} -> {amount(margin_5.sum())}."
)

# %% [markdown]
# More margin leaves less uncovered, so the mutualised fund shrinks while every member posts
# more. The trade-off is who bears the tail: the defaulter (margin, defaulter pays) or the
# survivors (fund, mutualised).
#
# ````{solution-end}
# ````
#
# ```{exercise} Who pays under ADL? (★★★ hard)
# :label: ex-13-3
# With no insurance fund at all, how much profit does each account in the ADL queue give up if
# the bankrupt notional is closed at a bankruptcy price that is worse than the mark by the bad
# debt per unit of notional?
# ```
#
# ````{solution-start} ex-13-3
# :class: dropdown
# ````

# %%
bankrupt_notional = float(notional.loc[defaulters].sum(axis=1).sum())
closed_all = auto_deleverage(min(bankrupt_notional, queue["notional"].sum()), queue_input)
price_gap = bad_debt / bankrupt_notional  # bad debt per unit of notional
given_up = (closed_all * price_gap).rename("profit given up")
assert given_up.sum() <= bad_debt + 1e-6
(given_up / 1e6).round(3).rename("profit given up (million USD)")

# %% [markdown]
# Each account closed by ADL exits at the bankruptcy price instead of the mark, giving up the
# gap times the notional closed: the top of the queue pays, the rest nothing.
#
# ````{solution-end}
# ````
