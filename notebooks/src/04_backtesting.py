# ---
# jupyter:
#   kernelspec:
#     display_name: Python 3
#     language: python
#     name: python3
# ---

# %% [markdown]
# # 4. Backtesting VaR and Expected Shortfall
#
# **Prerequisites.** [Chapter 3](03_var_and_expected_shortfall.ipynb) (the estimators);
# the binomial distribution, likelihood-ratio tests and the $\chi^2$ distribution.
#
# **Conventions in this chapter.** $\alpha$ is the confidence level of VaR and ES (99% here,
# `LEVEL`), and $p = 1 - \alpha$ the expected failure rate. Forecasts are for **1 day**, not
# chapter 0's 2-day margin period: daily losses do not overlap, so the tests below have their
# textbook distributions (exercise 3 shows what overlapping 2-day or 10-day losses do). FHS uses
# chapter 0's GJR-GARCH(1,1)-t filter; the GARCH models use a symmetric GARCH(1,1).
#
# **The question.** Chapter 3 produced several ways of forecasting tomorrow's 99% Value-at-Risk
# (VaR) and Expected Shortfall (ES) of a BTC or ETH position. A margin model must be approved by a
# risk committee, and regulators (EMIR, CPMI-IOSCO PFMI 6) require that it be *backtested*: every
# day's forecast is compared with the loss that actually followed. Which model passes, which
# fails, and how would we know?
#
# **The idea.** Replay history. On each day t, estimate the model on the returns before t only,
# forecast the loss of day t, then look at what happened. A 99% VaR should be exceeded on about 1
# day in 100 (*coverage*), and those *failures* should not bunch together (*independence*): a
# model that fails five days in a row in a crash is the one that lets a clearing house run out of
# margin. ES is harder to check because it is an average over the tail; we test whether the losses
# on failure days are as large as ES said they would be.
#
# Everything here calls `riskkit.backtest`: `rolling_forecast` (the out-of-sample engine),
# `backtest_summary` (every test in one table), `plot_backtest`, the scoring rules `fz0_loss` and
# `quantile_loss`, and `rank_models` (the model confidence set).

# %% tags=["parameters"]
ASSETS = ("BTC", "ETH")
EXCHANGE = "bitstamp"
LEVEL = 0.99
WINDOW = 500  # returns per forecast (moving window)
REFIT_EVERY = 20  # re-estimate parameters every 20 forecast dates, filter in between
TEST_LEVEL = 0.95  # tests reject at the 5% significance level
EXECUTOR = "serial"  # or "processes" / "local" (Dask): same numbers, see riskkit.parallel
SEED = 20260101

# %%
import warnings

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import seaborn as sns
from IPython.display import Markdown, display
from scipy import stats

from riskkit import datasets
from riskkit.backtest import (
    backtest_summary,
    fz0_loss,
    plot_backtest,
    quantile_loss,
    rank_models,
    rolling_forecast,
    traffic_light_table,
)
from riskkit.backtest.es_tests import z2_statistic
from riskkit.display import pct, say
from riskkit.exceptions import ConvergenceWarning, DataQualityWarning
from riskkit.risk import (
    EVTPeaksOverThreshold,
    FastGarch,
    FilteredHistoricalSimulation,
    HistoricalSimulation,
)
from riskkit.volatility import GarchSpec

sns.set_theme(style="whitegrid", context="notebook")
pd.set_option("display.width", 120, "display.max_columns", 30, "display.precision", 3)


def num(x: float, digits: int = 2) -> str:
    """A number for the prose, rounded."""
    return f"{x:.{digits}f}"


# %% [markdown]
# ## The data and the models
#
# Daily log returns of BTC and ETH (Bitstamp, UTC days), on the dates where both exist. Each
# forecast uses the `WINDOW` returns before its date, so the first forecast comes `WINDOW` days
# after the start of the shorter history; the out-of-sample period includes the crash of
# March 2020.
#
# Five models, from the simplest to the most elaborate (chapter 3 explains each):
#
# | name | what it assumes |
# |---|---|
# | HS | historical simulation: tomorrow looks like a random day of the window |
# | GARCH-n | GARCH(1,1) volatility, normal shocks |
# | GARCH-t | GARCH(1,1) volatility, Student-t shocks |
# | FHS | filtered historical simulation: GJR-GARCH-t volatility times past standardised shocks |
# | EVT | McNeil-Frey: GARCH volatility times a generalised Pareto tail of the shocks |
#
# The GARCH models use `riskkit.risk.FastGarch`, the rolling engine's fast likelihood for a
# `GarchSpec` (the same estimates as `arch`, see `benchmarks/rolling_backtest.py`).

# %%
with warnings.catch_warnings():
    warnings.simplefilter("ignore", DataQualityWarning)
    returns = datasets.load_returns(list(ASSETS), exchange=EXCHANGE).dropna()
print(returns.index[0].date(), "to", returns.index[-1].date(), len(returns), "days")

models = {
    "HS": HistoricalSimulation(),
    "GARCH-n": FastGarch(GarchSpec("GARCH", dist="normal")),
    "GARCH-t": FastGarch(GarchSpec("GARCH", dist="t")),
    "FHS": FilteredHistoricalSimulation(GarchSpec("GJR", dist="t")),
    "EVT": EVTPeaksOverThreshold(),
}

# %%
forecasts = {}
with warnings.catch_warnings():
    warnings.simplefilter("ignore", ConvergenceWarning)  # rare; recorded in the fit results
    for asset in ASSETS:
        for name, est in models.items():
            forecasts[asset, name] = rolling_forecast(
                returns[asset],
                est,
                levels=LEVEL,
                window=WINDOW,
                refit_every=REFIT_EVERY,
                executor=EXECUTOR,
                seed=SEED,
                progress=False,
            )
fc = forecasts["BTC", "GARCH-t"]
print(
    f"{len(fc)} forecast dates per model and asset, {fc.index[0].date()} to "
    f"{fc.index[-1].date()}; window {WINDOW} returns, parameters re-estimated every "
    f"{REFIT_EVERY} dates"
)
fc.head()

# %% [markdown]
# Each row is one forecast date t: VaR and ES for the loss of day t made with returns up to t-1,
# the forecast volatility, the realised `loss` (minus the log return, positive = loss) and the
# loss `horizon` in days. A *failure* is a day with `loss > VaR`.

# %%
level_pct = f"{LEVEL:.0%}"
fig, axes = plt.subplots(2, 1, figsize=(11, 7), sharex=True)
plot_backtest(
    forecasts["BTC", "HS"], LEVEL, ax=axes[0], title=f"BTC, historical simulation, {level_pct}"
)
plot_backtest(forecasts["BTC", "GARCH-t"], LEVEL, ax=axes[1], title=f"BTC, GARCH-t, {level_pct}")
fig.tight_layout()

# %%
moves = {
    name: (forecasts["BTC", name][f"var_{LEVEL:g}"].diff().abs() > 1e-12).mean()
    for name in ("HS", "GARCH-t")
}
assert moves["HS"] < 0.5 < 0.9 < moves["GARCH-t"]
say(
    f"*Figure 4.1.* BTC's 1-day {level_pct} VaR and the losses that followed. HS's VaR changes "
    f"on {pct(moves['HS'], 0)} of the days, GARCH-t's on {pct(moves['GARCH-t'], 0)}."
)

# %% [markdown]
# **What it shows.** Historical simulation's VaR is a step function: it moves only when a large
# return enters or leaves the window, so it is slow to rise after volatility jumps and stays high
# for a full window after a crash. GARCH's VaR follows volatility from day to day. Both have
# failures; the question is whether they have too many, and whether they come in clusters.
#
# ## The traffic light
#
# The Basel Committee's 1996 rule reads the number of failures over 250 days of 99% VaR. If the
# model is right, the count $X$ is Binomial(250, 1%). The zones are set by the cumulative
# probability $P(X \le k)$ of at most $k$ failures: green while it is below 95%, yellow from
# 95%, red from $99.99\%$. In the yellow zone the capital multiplier of a bank's market-risk
# charge rises by a [*plus factor*](../book/glossary.md#plus-factor) ($0.40$ to $0.85$ added to the
# base multiplier of 3, Basel Committee 1996), the regulator's penalty for a model that fails
# too often.

# %%
traffic_light_table(250, 0.99).loc[:11]

# %% [markdown]
# Our samples are longer than 250 days, so riskkit applies the same thresholds to
# Binomial(N, 1 - level) for the actual N, and the zone boundaries move:

# %%
n_obs = len(fc.dropna(subset=["loss"]))
zones = traffic_light_table(n_obs, LEVEL)
green_max = int(zones.index[zones["zone"] == "green"].max())
display(
    Markdown(
        f"With N = {n_obs} days at the {level_pct} level, {n_obs * (1 - LEVEL):.1f} failures "
        f"are expected and the green zone extends to {green_max} failures."
    )
)

# %% [markdown]
# ## All tests in one table
#
# **The formulas.** The *hit sequence* is $I_t = 1\{L_t > \text{VaR}_t\}$, with $x = \sum_t I_t$
# failures in $N$ days. Under a correct model the $I_t$ are i.i.d. Bernoulli($p$).
#
# * Kupiec's proportion of failures, with $\hat p = x/N$:
#   $$LR_{pof} = -2\ln\left[(1-p)^{N-x}p^{x}\right] + 2\ln\left[(1-\hat p)^{N-x}\hat p^{x}\right] \sim \chi^2(1).$$
# * Christoffersen's independence test, with $n_{ij}$ the number of days in state $j$ after a
#   day in state $i$, $\pi_{01} = n_{01}/(n_{00}+n_{01})$, $\pi_{11} = n_{11}/(n_{10}+n_{11})$,
#   $\pi = (n_{01}+n_{11})/(N-1)$:
#   $$LR_{ind} = -2\ln\left[(1-\pi)^{n_{00}+n_{10}}\pi^{n_{01}+n_{11}}\right] + 2\ln\left[(1-\pi_{01})^{n_{00}}\pi_{01}^{n_{01}}(1-\pi_{11})^{n_{10}}\pi_{11}^{n_{11}}\right] \sim \chi^2(1),$$
#   and $LR_{cc} = LR_{pof} + LR_{ind} \sim \chi^2(2)$.
# * Acerbi and Szekely's $Z_2 = 1 - \sum_t \dfrac{L_t I_t}{N p\, \text{ES}_t}$: zero in
#   expectation under the null, negative when ES is too low.
#
# * **Coverage.** *bin*: is the failure count compatible with the binomial distribution (normal
#   approximation)? *pof* (Kupiec 1995): the likelihood-ratio version. *tuff*: is the first
#   failure too early (or too late)?
# * **Independence.** *cci* (Christoffersen 1998): is a failure more likely the day after a
#   failure? *cc*: coverage and independence together. *tbfi/tbf* (Haas 2001): are the gaps
#   between failures consistent with the nominal daily rate? *duration*
#   (Christoffersen-Pelletier 2004, with durations counted from the first failure as in R's
#   rugarch): do the gaps look memoryless (exponential) rather than clustered (Weibull with
#   decreasing hazard)?
# * **ES.** *unconditional_normal* (Acerbi-Szekely 2014 Z2 with critical values simulated under
#   normal losses): are the failure-day losses, relative to ES, as large as they should be on
#   average? *mcneil_frey* (2000): do losses beyond VaR exceed ES on average? Its p-value is a
#   bootstrap of the t-statistic (the `mcneil_frey_method` column says so; `es_pvalue="normal"`
#   gives rugarch's normal approximation). Both reject only if ES is too *low*.
#
# Each test is reported as a statistic, a p-value and accept/reject at the test level of the
# parameters cell. `docs/design.md` lists the reference implementation each test matches.

# %%
summary = backtest_summary(
    {f"{a} {m}": f for (a, m), f in forecasts.items()}, test_level=TEST_LEVEL, seed=SEED
)
cols = ["observations", "failures", "expected", "ratio", "first_failure", "traffic_light"]
tests = ["pof", "cc", "tbf", "duration", "unconditional_normal", "mcneil_frey"]
print(f"tests at the {1 - TEST_LEVEL:.0%} significance level")
summary[cols + tests].droplevel("level")

# %% [markdown]
# **By hand.** The hit sequence, the two likelihood ratios and $Z_2$ for BTC's GARCH-t with
# numpy, against the table:

# %%
f_bt = forecasts["BTC", "GARCH-t"].dropna(subset=["loss"])
L_t, V_t, E_t = (f_bt[c].to_numpy() for c in ("loss", f"var_{LEVEL:g}", f"es_{LEVEL:g}"))
hits = (L_t > V_t).astype(int)
N, x_f, p_f = len(hits), hits.sum(), 1 - LEVEL


def loglik_bernoulli(k: int, n: int, prob: float) -> float:
    """log[(1-prob)^(n-k) prob^k], with 0 log 0 = 0."""
    return (n - k) * np.log1p(-prob) + (k * np.log(prob) if k else 0.0)


lr_pof = -2 * loglik_bernoulli(x_f, N, p_f) + 2 * loglik_bernoulli(x_f, N, x_f / N)
prev, nxt = hits[:-1], hits[1:]
n00, n01 = ((prev == 0) & (nxt == 0)).sum(), ((prev == 0) & (nxt == 1)).sum()
n10, n11 = ((prev == 1) & (nxt == 0)).sum(), ((prev == 1) & (nxt == 1)).sum()
pi01, pi11, pi_ = n01 / (n00 + n01), n11 / max(n10 + n11, 1), (n01 + n11) / (N - 1)
lr_ind = -2 * loglik_bernoulli(n01 + n11, N - 1, pi_) + 2 * (
    loglik_bernoulli(n01, n00 + n01, pi01)
    + (loglik_bernoulli(n11, n10 + n11, pi11) if n10 + n11 else 0.0)
)
z2 = 1 - np.sum(L_t * hits / (N * p_f * E_t))
row = (
    summary.loc[("BTC GARCH-t", LEVEL)]
    if isinstance(summary.index, pd.MultiIndex)
    else summary.loc["BTC GARCH-t"]
)
assert np.isclose(lr_pof, row["pof_stat"]) and np.isclose(lr_ind, row["cci_stat"])
assert np.isclose(z2, z2_statistic(L_t, V_t, E_t, LEVEL))
print(
    f"N = {N}, failures {x_f}: LR_pof {lr_pof:.3f} (p = {stats.chi2.sf(lr_pof, 1):.3f}), "
    f"LR_ind {lr_ind:.3f}, transitions n01 {n01}, n11 {n11}; Z2 = {z2:.3f}"
)

# %%
pvalues = summary[
    [
        f"{t}_pvalue"
        for t in [
            "bin",
            "pof",
            "tuff",
            "cci",
            "cc",
            "tbf",
            "duration",
            "unconditional_normal",
            "mcneil_frey",
        ]
    ]
]
pvalues = pvalues.droplevel("level").rename(columns=lambda c: c.removesuffix("_pvalue"))
fig, ax = plt.subplots(figsize=(10, 4.5))
sns.heatmap(pvalues.astype(float), annot=True, fmt=".2f", cmap="RdYlGn", vmin=0, vmax=0.2,
            cbar_kws={"label": f"p-value (red: reject at {1 - TEST_LEVEL:.0%})"}, ax=ax)  # fmt: skip
ax.set_xlabel("test")
ax.set_ylabel("asset and model")
ax.set_title(f"Backtest p-values, {level_pct} 1-day VaR/ES")
fig.tight_layout()

# %% [markdown]
# ## Ranking models: scores and the model confidence set
#
# Passing tests is a floor, not a ranking: a VaR that is far too high passes the ES tests and
# rarely fails. A *scoring rule* rewards forecasts that are both right on average and sharp, but
# only a *consistent* one ranks them correctly: its expected value must be smallest for the true
# forecast. The tick (quantile) loss is consistent for VaR (Gneiting 2011); the FZ0 loss of
# Patton, Ziegel and Chen (2019) is consistent for the (VaR, ES) pair. A lower average is better.
# For a loss $L$ and forecasts $v = \text{VaR}_\alpha$, $e = \text{ES}_\alpha$ (both positive):
# $$S_{tick}(v, L) = \big(1\{L > v\} - (1-\alpha)\big)(L - v), \qquad
# S_{FZ0}(v, e, L) = \frac{1\{L > v\}(L - v)}{(1-\alpha)\, e} + \frac{v}{e} + \ln e - 1.$$
#
# Which differences are more than noise? Testing every model against the one with the lowest
# average score would pick the "best" model after looking at the data and then test against it.
# The *model confidence set* of Hansen, Lunde and Nason (2011) answers the question properly: it
# eliminates models one at a time while the remaining ones are significantly different, and
# what is left contains the best model with the chosen confidence (a bootstrap, by
# `arch.bootstrap.MCS`). `rank_models` gives the mean score, the rank, each model's MCS p-value
# and whether it is in the set.

# %%
v_col, e_col = f"var_{LEVEL:g}", f"es_{LEVEL:g}"
scores = {
    "FZ0 (VaR, ES)": pd.DataFrame(
        {key: fz0_loss(f["loss"], f[v_col], f[e_col], LEVEL) for key, f in forecasts.items()}
    ),
    "tick loss (VaR)": pd.DataFrame(
        {key: quantile_loss(f["loss"], f[v_col], LEVEL) for key, f in forecasts.items()}
    ),
}
ranking = pd.concat(
    {
        (score, asset): rank_models(table[asset], test_level=TEST_LEVEL, seed=SEED)
        for score, table in scores.items()
        for asset in ASSETS
    },
    names=["score", "asset"],
)
ranking

# %%
# FZ0 by hand against riskkit, for the same BTC GARCH-t forecasts
fz0_hand = (L_t > V_t) * (L_t - V_t) / ((1 - LEVEL) * E_t) + V_t / E_t + np.log(E_t) - 1
assert np.allclose(fz0_hand, fz0_loss(f_bt["loss"], V_t, E_t, LEVEL).to_numpy())
print(f"mean FZ0 of BTC GARCH-t by hand: {fz0_hand.mean():.4f}")

# %%
in_set = ranking[ranking["in_mcs"]].reset_index().groupby(["score", "asset"])["model"]
lowest = ranking[ranking["rank"] == 1].reset_index().groupby(["score", "asset"])["model"]
lines = [
    f"* {score}, {asset}: lowest mean score {', '.join(lowest.get_group((score, asset)))}; "
    f"{TEST_LEVEL:.0%} model confidence set: {', '.join(in_set.get_group((score, asset)))}."
    for score, asset in in_set.groups
]
display(Markdown("\n".join(lines)))

# %% [markdown]
# ## March 2020
#
# 12 March 2020 ("Black Thursday"): crypto prices fell with every other risky asset as the
# pandemic reached Europe and the United States. Zoom in on February to April 2020.

# %%
crash, first_drop = pd.Timestamp("2020-03-12"), pd.Timestamp("2020-03-08")
r_on = returns.loc[[first_drop, crash], list(ASSETS)]
worst = [a for a in ASSETS if returns[a].idxmin() == crash]
display(
    Markdown(
        "Daily log returns: "
        + "; ".join(
            f"{a} {num(r_on.loc[crash, a])} on 12 March (a fall of "
            f"{-np.expm1(r_on.loc[crash, a]):.0%}), after {num(r_on.loc[first_drop, a])} on "
            "8 March"
            for a in ASSETS
        )
        + ". 12 March is the largest daily loss of the sample for "
        + (" and ".join(worst) if worst else "neither asset")
        + "."
    )
)

# %%
window = slice("2020-02-15", "2020-04-15")
fig, axes = plt.subplots(1, 2, figsize=(12, 4), sharey=True)
for ax, name in zip(axes, ["HS", "GARCH-t"], strict=True):
    plot_backtest(forecasts["BTC", name].loc[window], LEVEL, ax=ax, title=f"BTC {name}")
    ax.tick_params(axis="x", rotation=45)
fig.tight_layout()

march = pd.DataFrame(
    {f"{a} {m}": (f["loss"] > f[v_col]).loc[window] for (a, m), f in forecasts.items()}
)
march[march.any(axis=1)].astype(int)

# %%
path = pd.DataFrame(
    {name: forecasts["BTC", name][v_col] for name in models}
    | {"BTC loss": forecasts["BTC", "HS"]["loss"]}
)
path.loc["2020-03-06":"2020-03-20"]

# %%
fail_days = march[march.any(axis=1)].sum(axis=1)
var_crash = path.loc[crash, list(models)]
loss_crash = path.loc[crash, "BTC loss"]
after = path.loc[crash + pd.Timedelta(days=1) :, "BTC loss"].iloc[:7].nlargest(2)
next_day = crash + pd.Timedelta(days=1)
display(
    Markdown(
        "Failure days in the window, with the number of the "
        f"{march.shape[1]} asset-model pairs failing: "
        + ", ".join(f"{d:%d %B} ({int(k)})" for d, k in fail_days.items())
        + f". On 12 March the BTC loss was {num(loss_crash)}, "
        f"{loss_crash / var_crash.max():.1f} to {loss_crash / var_crash.min():.1f} times the "
        f"models' VaR ({num(var_crash.min(), 3)} to {num(var_crash.max(), 3)}). The day after, "
        f"GARCH-t's VaR went from {num(path.loc[crash, 'GARCH-t'], 3)} to "
        f"{num(path.loc[next_day, 'GARCH-t'], 3)}, historical simulation's from "
        f"{num(path.loc[crash, 'HS'], 3)} to {num(path.loc[next_day, 'HS'], 3)}. The largest "
        "BTC losses of the following week: "
        + ", ".join(f"{num(x)} on {d:%d March}" for d, x in after.items())
        + "."
    )
)

# %%
assert (fail_days >= 0.8 * march.shape[1]).all()  # shared by almost every pair
assert loss_crash > 2 * var_crash.max()
two_weeks = crash + pd.Timedelta(days=14)
assert path.loc[next_day, "GARCH-t"] > 2 * path.loc[crash, "GARCH-t"]
assert path.loc[two_weeks, "GARCH-t"] > 1.5 * path.loc[crash, "GARCH-t"]
assert path.loc[next_day, "HS"] < 1.25 * path.loc[crash, "HS"]
say(
    f"""
    **What it shows.** The failures of March 2020 are shared by almost every model and
    both assets (the counts above): BTC and ETH crash together, so a venue listing both sees its
    margins breached on the same days. On 12 March the BTC loss was
    {loss_crash / var_crash.max():.1f} times or more every model's VaR: no model estimated on
    the day before can forecast a jump of that size, which is why margin frameworks add stress
    tests and concentration add-ons on top of a backtested VaR/ES.

    The models differ in what they do *next*. GARCH puts yesterday's squared return into today's
    variance, so its VaR jumps overnight and two weeks later is still
    {path.loc[two_weeks, "GARCH-t"] / path.loc[crash, "GARCH-t"]:.1f} times its crash-day value:
    safe, but a margin call of that size on every open position the day after a crash is itself
    destabilising (the procyclicality problem of [chapter 6](06_procyclicality_and_stress.ipynb)).
    Historical simulation's VaR barely moves (one new observation in the window shifts the 1%
    quantile by one order statistic): if it did not fail again in the following days, it is
    only because the next losses happened to be smaller, not because it had reacted."""
)
#
# ## Which model should the risk committee pick?
#
# Read the table and the scores together. The facts, for each model and both assets:

# %%
var_tests_ = ["bin", "pof", "tuff", "cci", "cc", "tbfi", "tbf", "duration"]
es_tests_ = ["unconditional_normal", "mcneil_frey"]
by_model = summary.droplevel("level")
by_model.index = pd.MultiIndex.from_tuples(
    [tuple(k.split(" ", 1)) for k in by_model.index], names=["asset", "model"]
)
facts = pd.DataFrame(
    {
        "failures": by_model["failures"],
        "ratio": by_model["ratio"],
        "zone": by_model["traffic_light"],
        "VaR tests rejected": (by_model[var_tests_] == "reject").sum(axis=1),
        "ES tests rejected": (by_model[es_tests_] == "reject").sum(axis=1),
        "in FZ0 MCS": ranking.loc["FZ0 (VaR, ES)", "in_mcs"].reorder_levels(["asset", "model"]),
        "FZ0 rank": ranking.loc["FZ0 (VaR, ES)", "rank"].reorder_levels(["asset", "model"]),
    }
)
display(facts.unstack("asset"))
passes = (facts["VaR tests rejected"] == 0) & (facts["ES tests rejected"] == 0)
good = (passes & facts["in FZ0 MCS"]).groupby(level="model").all()
candidates = [m for m in models if good.get(m, False)]
most = facts["failures"].groupby(level="asset").idxmax().map(lambda k: k[1])
es_reject = facts.loc[facts["ES tests rejected"] > 0].index.get_level_values("model").unique()
worst_ratio = facts["ratio"].idxmax()
display(
    Markdown(
        "* Most failures: "
        + ", ".join(f"{m} for {a}" for a, m in most.items())
        + ". At least one ES test rejects: "
        + (", ".join(es_reject) if len(es_reject) else "no model")
        + ".\n"
        + "* Passing every VaR and ES test and in the FZ0 model confidence set for both "
        + f"assets: {', '.join(candidates) if candidates else 'no model'}.\n"
        + f"* Expected failures per model and asset: {summary['expected'].mean():.1f}. "
        + f"Highest failure ratio: {worst_ratio[1]} on {worst_ratio[0]}, "
        + f"{facts['ratio'].max():.2f} times the expected count; the Kupiec test "
        + ("rejects it." if by_model.loc[worst_ratio, "pof"] == "reject" else "does not reject it.")
    )
)

# %%
gn = facts.xs("GARCH-n", level="model")
assert (gn["zone"] == "green").all() and (gn["ES tests rejected"] > 0).all()
assert "GARCH-t" in candidates

# %% [markdown]
# How to read them (the claims below are checked in the cell above):
#
# * **A model with too many failures and rejected ES tests** (typically GARCH with normal
#   shocks) has too thin a tail: losses beyond VaR are larger than a normal tail allows, even
#   when the failure count is still in the green zone, so the VaR tests alone miss it.
# * **Historical simulation** can pass every test while its VaR is nearly flat through a crash:
#   it relies on the window happening to contain a crash, and it under-margins the start of a
#   volatile period.
# * **The model confidence set** is the honest answer to "which model scores best": with a year
#   or two of daily scores it often keeps several models, because a score average over a
#   handful of failures is noisy. Models outside it are worse; models inside it are not shown to
#   be equally good.
#
# Among the models that pass every test and stay in the confidence set for both assets (listed
# above), we would prefer the simplest one that reacts to volatility: **GARCH-t** (two readable
# parameters for the tail and the persistence), with the others as
# challenger models re-run alongside it, and the anti-procyclicality buffer of chapter 6 on top
# to dampen its jump after a crash.
#
# Two caveats a careful committee would note. A few hundred forecast days contain only a handful
# of expected failures per model (the `expected` column), so the tests have little power: a
# model whose failure rate is clearly too high can still pass the VaR tests. And the
# *unconditional_normal* ES test uses critical values simulated under normal losses (Acerbi and
# Szekely 2014 find the Z2 thresholds nearly distribution-free, so this is a mild approximation).
#
# ## Exercises
#
# ```{exercise} The FRTB level (★★ medium)
# :label: ex-04-1
# Backtest BTC's HS and GARCH-t at the 97.5% level (the FRTB ES level). Which verdicts change,
# and why do the tests gain power at a lower level?
# ```
#
# ````{solution-start} ex-04-1
# :class: dropdown
# ````

# %%
LEVEL_EX = 0.975
with warnings.catch_warnings():
    warnings.simplefilter("ignore", ConvergenceWarning)
    fc975 = {
        f"BTC {m}": rolling_forecast(
            returns["BTC"],
            models[m],
            levels=LEVEL_EX,
            window=WINDOW,
            refit_every=REFIT_EVERY,
            executor=EXECUTOR,
            seed=SEED,
            progress=False,
        )
        for m in ("HS", "GARCH-t")
    }
s975 = backtest_summary(fc975, test_level=TEST_LEVEL, seed=SEED)
s975[["failures", "expected", "ratio", "pof", "cc", "unconditional_normal", "mcneil_frey"]]

# %% [markdown]
# At 97.5% a correct model fails on $1 - 0.975$ of the days, so the same sample holds about two and a
# half times as many expected failures: the binomial count is less noisy relative to its mean,
# and a given percentage error in the failure rate becomes detectable. This is one reason the
# Basel FRTB backtests VaR at 97.5% as well as 99%.
#
# ````{solution-end}
# ````

# %% [markdown]
# ```{exercise} Size and power of Kupiec's test (★★ medium)
# :label: ex-04-2
# Simulate 2,000 backtests of `N` days each (the length of our sample) in which the failure
# indicators are i.i.d. Bernoulli(1%) (a correct model) and count how often $LR_{pof}$ rejects
# at 5%. Repeat with a failure probability of 1.5% (a VaR too low by about a tenth for a
# Student-t loss). What does this say about the verdicts in the table above?
# ```
#
# ````{solution-start} ex-04-2
# :class: dropdown
# ````

# %%
rng_ex = np.random.default_rng(SEED)
crit = stats.chi2.ppf(TEST_LEVEL, 1)


def rejection_rate(true_p: float, n_rep: int = 2000) -> float:
    """Share of simulated backtests of N days whose LR_pof exceeds the chi2(1) critical value."""
    counts = rng_ex.binomial(N, true_p, n_rep)
    lr = np.array(
        [-2 * loglik_bernoulli(k, N, p_f) + 2 * loglik_bernoulli(k, N, k / N) for k in counts]
    )
    return float((lr > crit).mean())


size, power = rejection_rate(0.01), rejection_rate(0.015)
assert power < 0.5
say(
    f"Rejection rate with a correct model: {pct(size)}; with failures 1.5 times too frequent: {pct(power)}."
)

# %% [markdown]
# The size is close to the nominal 5% (not exactly: the count is discrete), but the power
# against a failure rate one and a half times too high is low: with a few hundred days a
# passing Kupiec test is weak evidence. Model choice must rest on several tests, on the ES
# tests and on scores, not on one accept.
#
# ````{solution-end}
# ````

# %% [markdown]
# ```{exercise} Overlapping multi-day losses (★★★ hard)
# :label: ex-04-3
# Backtest a 10-day HS VaR for BTC (`horizon=10` in `rolling_forecast`). Why are overlapping
# 10-day failures autocorrelated even for a correct model, and what does `backtest_summary` do
# about it?
# ```
#
# ````{solution-start} ex-04-3
# :class: dropdown
# ````

# %%
fc10 = rolling_forecast(
    returns["BTC"], models["HS"], levels=LEVEL, window=WINDOW, horizon=10, progress=False
)
h10 = (fc10["loss"] > fc10[v_col]).dropna().astype(int)
print(
    f"10-day failures: {h10.sum()} on {len(h10)} overlapping windows; "
    f"P(failure | failure yesterday) = {((h10.shift(1) == 1) & (h10 == 1)).sum() / max(h10.shift(1).sum(), 1):.2f}"
)
s10 = backtest_summary({"BTC HS 10d": fc10}, test_level=TEST_LEVEL, seed=SEED)
say(
    f"`backtest_summary` tests {int(s10['observations'].iloc[0])} observations out of "
    f"{len(h10)} overlapping windows: one in every {len(h10) // int(s10['observations'].iloc[0])}."
)
s10.T.head(12)

# %% [markdown]
# Two 10-day losses that start one day apart share nine days, so a crash makes up to ten
# consecutive windows fail together: clustering by construction, not a model defect. The
# independence tests would reject a correct model. riskkit's summary reads the `horizon` column
# of the forecasts and tests non-overlapping windows only (printed above), at the price of ten
# times fewer observations and much less power.
#
# ````{solution-end}
# ````

# %% [markdown]
# ```{exercise} The Z2 null from the model (★★★ hard)
# :label: ex-04-4
# The ES test above compares $Z_2$ with a table simulated under normal losses. Simulate the
# null from the model instead, with the Student-t degrees of freedom of a GARCH-t fitted on BTC's
# first `WINDOW` returns: `acerbi_szekely_test(..., "z2", dist="t", dof=nu, scale=...)`. Does
# the verdict change?
# ```
#
# ````{solution-start} ex-04-4
# :class: dropdown
# ````

# %%
from riskkit.backtest.es_tests import acerbi_szekely_test

nu_btc = GarchSpec("GARCH", dist="t").fit(returns["BTC"].iloc[:WINDOW]).fit_params.shape[0]
f_ = forecasts["BTC", "GARCH-t"]
acerbi_szekely_test(
    f_["loss"], f_[v_col], f_[e_col], LEVEL, "z2", dist="t", dof=nu_btc, scale=f_["volatility"]
)

# %% [markdown]
# The statistic is the same; only its null distribution changes. Acerbi and Szekely (2014) found
# the Z2 critical values nearly independent of the distribution, so the verdict rarely changes;
# $Z_1$ (the average of $L_t/\text{ES}_t$ over failure days only) needs no assumption about how
# often failures occur, which is why it depends less on the body of the distribution.
#
# ````{solution-end}
# ````

# %% [markdown]
# ```{exercise} Bootstrap or normal p-value (★ easy)
# :label: ex-04-5
# Rerun `backtest_summary` with `es_pvalue="normal"` (rugarch's normal approximation of the
# McNeil-Frey t-statistic) and compare its p-values with the bootstrap ones above.
# ```
#
# ````{solution-start} ex-04-5
# :class: dropdown
# ````

# %%
s_norm = backtest_summary(
    {f"{a} {m}": f for (a, m), f in forecasts.items()},
    test_level=TEST_LEVEL,
    seed=SEED,
    es_pvalue="normal",
)
pd.DataFrame(
    {
        "failures": summary["failures"],
        "bootstrap": summary["mcneil_frey_pvalue"],
        "normal": s_norm["mcneil_frey_pvalue"],
    }
).droplevel("level")

# %% [markdown]
# With six to eleven failures the t-statistic of the tail excesses is far from normal (a few
# large excesses skew it), so the two p-values differ most for the models with the fewest
# failures. The bootstrap makes no normality assumption and is the one to trust in small samples.
#
# ````{solution-end}
# ````

# %% [markdown]
# ```{exercise} An improper score (★ easy)
# :label: ex-04-6
# Score the models with $(\alpha - 1\{L > v\})(L - v)$, the tick loss minus $|L - v|$. Show that
# its average keeps falling as every VaR is scaled up by 1.1, 1.2, 1.5. Why can such a score not
# rank forecasts?
# ```
#
# ````{solution-start} ex-04-6
# :class: dropdown
# ````

# %%
improper = {}
for k in (1.0, 1.1, 1.2, 1.5):
    v_k = k * V_t
    improper[k] = np.mean((LEVEL - (L_t > v_k)) * (L_t - v_k))
improper = pd.Series(improper, name="mean improper score")
assert improper.is_monotonic_decreasing
improper

# %% [markdown]
# For most days $L < v$ and the score is $\alpha (L - v) < 0$: raising $v$ lowers it without
# limit. Its expectation is not minimised at the true quantile, so it rewards the most
# conservative forecast, whatever the truth. Only consistent scores (tick, FZ0) can rank.
#
# ````{solution-end}
# ````
