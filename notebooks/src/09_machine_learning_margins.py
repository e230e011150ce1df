# ---
# jupyter:
#   kernelspec:
#     display_name: Python 3
#     language: python
#     name: python3
# ---

# %% [markdown]
# # 9. Machine-learning margins: challengers, conformal recalibration and an honest protocol
#
# **Prerequisites.** [Chapter 3](03_var_and_expected_shortfall.ipynb) (VaR, ES, FHS),
# [chapter 4](04_backtesting.ipynb) (backtests, FZ0, the model confidence set),
# [chapters 5 and 6](05_margin_calibration.ipynb) (from a forecast to a published margin, APC).
#
# **The question.** A margin engine "may incorporate machine learning techniques to dynamically
# adjust margin levels". Published studies report quantile regression forests beating GARCH on
# crypto VaR, and conformal methods giving accurate VaR where GARCH fails, but also headline
# results that reverse between versions of the same paper. Before a risk committee replaces its
# GARCH-FHS model, it needs a *fixed* protocol: the same windows, the same scores, a selection
# rule written down before the results. Does machine learning earn its place in the margin?
#
# **The idea.** Treat every model, ML or not, as a challenger of the champion under one
# protocol (`riskkit.ml.protocol.run_challengers`):
#
# 1. the same rolling windows, refit dates and margin rules for every model
#    (`riskkit.margin.calibrate_asset` with each estimator);
# 2. the full backtest battery, breaches per 250 days, the FZ0 score and the model confidence
#    set (MCS) of chapter 4;
# 3. the cost of the margin: mean IM and the procyclicality metrics of chapter 6;
# 4. a selection rule fixed in advance: among the models in the MCS whose Kupiec test does not
#    reject, the cheapest margin; otherwise the champion.
#
# **Run size.** To run in seconds this chapter uses one asset (BTC), a 365-day window, a refit
# every 30 days, 30 trees, and the square-root rule from the 1-day to the 2-day margin period.
# The full protocol (both assets, 500-day window, refit every 20 days, 100 trees, direct 2-day
# forecasts) is `riskkit challengers --config configs/challengers.yaml`.

# %% tags=["parameters"]
ASSET = "BTC"
EXCHANGE = "bitstamp"
START, END = "2018-09-01", "2020-06-30"
LEVEL = 0.99
WINDOW = 365  # returns per estimation window (days)
REFIT_EVERY = 30  # refit (GARCH and ML) every 30 forecast dates
TREES = 30  # trees of the quantile regression forest (100 in the full protocol)
HORIZON_DAYS = 2  # margin period of risk
GAMMA = 0.005  # ACI learning rate (Gibbs and Candes 2021)
SEED = 20260101

# %%
import warnings

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import seaborn as sns
from scipy import stats

from riskkit import datasets
from riskkit.backtest import quantile_loss
from riskkit.display import level, number, pct, say
from riskkit.margin import MarginSettings
from riskkit.ml import (
    FeatureSpec,
    LinearQuantileRegression,
    QuantileForest,
    bar_features,
    es_from_quantiles,
    feature_frame,
    tail_levels,
)
from riskkit.ml.conformal import aci_multipliers, conformal_quantile
from riskkit.ml.protocol import run_challengers
from riskkit.risk import FilteredHistoricalSimulation
from riskkit.volatility import GarchSpec

sns.set_theme(style="whitegrid", context="notebook")
pd.set_option("display.width", 120, "display.max_columns", 30, "display.precision", 3)

# %% [markdown]
# ## Three formulas
#
# **Quantile loss.** A model of the $\alpha$-quantile of the loss $L$ is fitted (and scored) by
# the pinball loss, smallest in expectation at the true quantile (Koenker and Bassett 1978):
#
# $$ S(q, L) = \bigl(\mathbf 1\{L > q\} - (1-\alpha)\bigr)(L - q). $$
#
# **ES from quantiles.** A quantile model has no tail mean, but ES is the average of the
# quantiles beyond $\alpha$; with $K$ tail points (the midpoint rule)
#
# $$ \mathrm{ES}_\alpha = \frac{1}{1-\alpha}\int_\alpha^1 q(u)\,du \approx \frac1K
# \sum_{k=1}^K q\Bigl(\alpha + (1-\alpha)\tfrac{k-1/2}{K}\Bigr). $$
#
# **Adaptive conformal inference (ACI).** Any VaR path is rescaled by a multiplier $m_t$, the
# conformal quantile of the recent scores $s = L/\mathrm{VaR}$ at level $1-a_t$, and the level
# learns from each breach:
#
# $$ a_{t+1} = a_t + \gamma\,\bigl(a - \mathbf 1\{L_t > m_t \mathrm{VaR}_t\}\bigr),
# \qquad a = 1 - \alpha. $$
#
# Whatever the data, the long-run breach rate of $m_t \mathrm{VaR}_t$ is within
# $(1+\gamma)/(\gamma T)$ of $a$ (Gibbs and Candes 2021, Proposition 4.1).

# %%
u = tail_levels(LEVEL, 5)
es_rule = es_from_quantiles(stats.t.ppf(u, 4))
q99 = stats.t.ppf(LEVEL, 4)
es_true = stats.t.pdf(q99, 4) / (1 - LEVEL) * (4 + q99**2) / 3
assert es_rule < es_true
say(
    f"For a Student-t(4) loss the five-point rule gives ES = {number(es_rule)} against the exact "
    f"{number(es_true)} (in units of the t scale): {pct(1 - es_rule / es_true)} too low. The "
    "rule leaves out the very end of the tail; the protocol keeps five points because a "
    "quantile model's estimates beyond the largest losses of its window are no better."
)

# %% [markdown]
# ## Data and features known before the forecast date
#
# Daily Bitstamp bars through the crash of 12 March 2020. The ML models see, for the loss of
# day $t$, features built from data up to day $t-1$ only: the last return, its absolute and
# negative parts, 5- and 22-day realised volatility (HAR), the GARCH volatility forecast, and
# the bars' Parkinson and Garman-Klass range volatilities and relative volume, each lagged one
# bar (`riskkit.ml.features`).

# %%
with warnings.catch_warnings():
    warnings.simplefilter("ignore")  # gaps are dropped and logged
    ohlcv = datasets.load_ohlcv(ASSET, exchange=EXCHANGE, start=START, end=END)
    from riskkit.margin._common import log_returns_from_ohlcv

    returns = log_returns_from_ohlcv(ohlcv, name=ASSET)
exog = bar_features(ohlcv)
spec = FeatureSpec(returns=("ret_lag1", "abs_lag1", "rv_5", "rv_22"))
feats = feature_frame(returns, spec, exog=exog)
crash = pd.Timestamp("2020-03-12")
feats.loc["2020-03-10":"2020-03-14"]

# %%
# no look-ahead, shown on the data: change every bar from the crash on; rows up to the crash
# (built from data before it) do not move, the row after it does
moved = ohlcv.copy()
moved.loc[moved.index >= crash, ["high", "close", "volume"]] *= 1.5
moved_r = log_returns_from_ohlcv(moved, name=ASSET)
moved_feats = feature_frame(moved_r, spec, exog=bar_features(moved))
pd.testing.assert_frame_equal(feats.loc[:crash], moved_feats.loc[:crash])
assert not feats.loc[crash + pd.Timedelta("1D")].equals(moved_feats.loc[crash + pd.Timedelta("1D")])

# %% [markdown]
# ## The protocol on BTC
#
# The champion is filtered historical simulation on a GJR-GARCH(1,1)-t filter (the default
# calibration's model). The challengers: a quantile regression forest, linear quantile
# regression on the HAR features, and the champion recalibrated online by ACI and by its fully
# adaptive variant FACI (Gibbs and Candes 2022), whose margins are the *dynamic margins*: the
# conformal multiplier applied to the raw two-sided rate, then the same APC buffer, rounding and
# cap as the champion.

# %%
settings = MarginSettings(
    level=LEVEL,
    horizon_days=HORIZON_DAYS,
    horizon_method="sqrt",
    window=WINDOW,
    refit_every=REFIT_EVERY,
    mm_ratio=0.5,
    apc="buffer",
)
models = {
    "champion": FilteredHistoricalSimulation(GarchSpec("GJR", dist="t")),
    "qrf": QuantileForest(TREES, random_state=SEED % 1000),
    "quantreg": LinearQuantileRegression(),
}
with warnings.catch_warnings():
    warnings.simplefilter("ignore")  # model failures and fit notes are in the calibrations
    run = run_challengers(
        ASSET,
        ohlcv,
        settings,
        models,
        conformal=("aci", "faci"),
        conformal_options={"gamma": GAMMA},
        mcs_reps=500,
        seed=SEED,
        progress=False,
    )
t = run.table
t[["breaches", "breaches_per_250", "traffic_light", "pof_pvalue", "fz0_mean", "mcs_pvalue",
   "in_mcs", "mean_im", "max_im", "max_increase_5d", "selected"]]  # fmt: skip

# %%
champ = t.loc["champion"]
ml = t.loc[["qrf", "quantreg"]]
worse_cov = [m for m in ml.index if ml.loc[m, "breaches"] > champ["breaches"]]
worse_fz0 = [m for m in ml.index if ml.loc[m, "fz0_mean"] > champ["fz0_mean"]]
cheaper = [m for m in ml.index if ml.loc[m, "mean_im"] < champ["mean_im"]]
say(
    f"Over {int(champ['observations'])} days ({run.info['first_date']} to "
    f"{run.info['last_date']}) the champion breached its 1-day {level(LEVEL)} VaR "
    f"{int(champ['breaches'])} times ({number(champ['breaches_per_250'], 2)} per 250 days, "
    f"{number(champ['expected_per_250'], 2)} expected). "
    f"ML models with more breaches than the champion: {', '.join(worse_cov) or 'none'}; with a "
    f"worse (higher) mean FZ0 score: {', '.join(worse_fz0) or 'none'}; with a cheaper mean "
    f"IM: {', '.join(cheaper) or 'none'}. The MCS keeps "
    f"{', '.join(t.index[t['in_mcs']])}: on this sample the data cannot tell them from the best. "
    f"The selection rule picks **{run.selected}**."
)

# %% [markdown]
# Where ML loses: a forest predicts quantiles of losses it has seen. Its margin is cheap in calm
# markets because the window's losses are small, and it cannot forecast a loss larger than any
# in its window; the linear model extrapolates, but its tail quantiles rest on a handful of
# points. A cheaper margin with more breaches is not a better margin: the FZ0 score and the
# breach count must be read with the mean IM, never instead of it.

# %%
fz = t["fz0_mean"]
say(
    f"Best mean FZ0: {fz.idxmin()} ({number(fz.min())}); worst: {fz.idxmax()} "
    f"({number(fz.max())}). The conformal variants change the champion's VaR by a multiplier, "
    f"so their FZ0 differs from the champion's: ACI {number(fz['champion+aci'])}, FACI "
    f"{number(fz['champion+faci'])} against {number(fz['champion'])}."
)

# %% [markdown]
# ## The dynamic margin through the March 2020 crash

# %%
m = run.margins
loss2 = -returns.rolling(HORIZON_DAYS).sum().shift(-(HORIZON_DAYS - 1))
window = slice("2020-01-15", "2020-05-15")
fig, ax = plt.subplots(figsize=(11, 4.5))
for col, style in (("champion", "-"), ("champion+aci", "--"), ("qrf", ":")):
    ax.plot(m.loc[window, col].index, m.loc[window, col], style, label=f"IM: {col}")
lw = loss2.reindex(m.index).loc[window]
ax.bar(lw.index, lw.clip(lower=0), color="grey", alpha=0.5, label="realised 2-day loss (long)")
ax.axvline(crash, color="red", lw=0.8)
ax.set(title=f"{ASSET} initial margin through the March 2020 crash (ES {level(LEVEL)}, "
       f"{HORIZON_DAYS}-day margin period)", ylabel="fraction of notional", xlabel="date (UTC)")  # fmt: skip
ax.yaxis.set_major_formatter(plt.FuncFormatter(lambda y, _: f"{100 * y:.0f}%"))
ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize="small")
fig.autofmt_xdate()
fig.tight_layout()

# %%
day = crash
g, d = m.loc[day, "champion"], m.loc[day, "champion+aci"]
after = m.loc[crash : crash + pd.Timedelta("30D")]
rise = after.max() / m.loc[crash - pd.Timedelta("1D")] - 1
say(
    f"On 12 March 2020 the champion's IM was {pct(g)} and the ACI dynamic margin {pct(d)}; the "
    f"realised 2-day loss of a long position starting that day was {pct(loss2.loc[day])}. In "
    f"the 30 days after the crash the champion's IM rose by at most {pct(rise['champion'])} "
    f"over its pre-crash level, the ACI margin by {pct(rise['champion+aci'])} and the forest's "
    f"by {pct(rise['qrf'])}. The ACI margin peaked at {pct(after['champion+aci'].max())} of "
    f"notional (the cap is {pct(settings.im_cap)}), the champion's at "
    f"{pct(after['champion'].max())}."
)
if rise["champion+aci"] > rise["champion"]:
    say(
        "The conformal layer learns from breaches, so it raises the margin *after* them: in the "
        "month after the crash the ACI margin rose further above its pre-crash level than the "
        "champion's. Coverage is bought with procyclicality, which is why the APC rules are "
        "applied after the conformal multiplier, not before."
    )
else:
    say("The ACI margin rose no further than the champion's in the month after the crash.")

# %% [markdown]
# ## ACI from scratch
#
# The update rule in ten lines, on the champion's 1-day VaR, against `riskkit`.

# %%
fc = run.forecasts["champion"]
L, V = fc["loss"].to_numpy(), fc[f"var_{LEVEL:g}"].to_numpy()
a = 1 - LEVEL
alpha_t, mult = a, np.ones(len(L))
for i in range(len(L)):
    if i >= 1 and i - 1 >= 100:  # the loss of i-1 is known at i: update from its breach
        alpha_t += GAMMA * (a - float(L[i - 1] > mult[i - 1] * V[i - 1]))
    cal = (L / V)[max(0, i - 250) : i]
    if len(cal) >= 100:  # below 99 scores the 99% conformal quantile is infinite
        mult[i] = min(conformal_quantile(cal, 1 - alpha_t), 3.0)  # capped at 3
ours = aci_multipliers(L, V, LEVEL, gamma=GAMMA, calibration=250, min_calibration=100, lag=1)
np.testing.assert_allclose(mult, ours.multiplier)
say(
    f"The hand-written loop and `aci_multipliers` agree on all {len(L)} multipliers; the "
    f"multiplier ranged from {number(mult.min())} to {number(mult.max())}."
)

# %% [markdown]
# ## What it means
#
# The protocol, not the model, is the product. Its verdict can change with the asset, the
# window and the years, which is the point of fixing the rule in advance. Conformal recalibration is a
# cheap, model-agnostic fix for coverage (no refit, any forecast path), but it learns from
# breaches, so its margin moves after them. A quantile forest can only return losses it has
# seen in its window.

# %%
assert t["mean_im"].idxmin() in ("qrf", "quantreg")
say(
    f"On this sample the cheapest mean margin was the {t['mean_im'].idxmin()} model's "
    f"({pct(t['mean_im'].min())} against the champion's {pct(champ['mean_im'])}), with "
    f"{int(t.loc[t['mean_im'].idxmin(), 'breaches'])} VaR breaches against the champion's "
    f"{int(champ['breaches'])}; the ACI dynamic margin averaged "
    f"{pct(t.loc['champion+aci', 'mean_im'])}."
)

# %% [markdown]
# ## Exercises
#
# ```{exercise} How many tail points? (★ easy)
# :label: ex-09-1
# With the midpoint rule, how many tail points $K$ are needed for the ES of a Student-t(3) loss
# at 99% to be within 2% of the exact value? Use `tail_levels` and `es_from_quantiles`.
# ```
#
# ````{solution-start} ex-09-1
# :class: dropdown
# ````

# %%
nu = 3
qx = stats.t.ppf(LEVEL, nu)
exact = stats.t.pdf(qx, nu) / (1 - LEVEL) * (nu + qx**2) / (nu - 1)
errors = {k: 1 - es_from_quantiles(stats.t.ppf(tail_levels(LEVEL, k), nu)) / exact
          for k in (5, 10, 20, 40, 80, 160)}  # fmt: skip
assert all(np.diff(list(errors.values())) < 0)  # more points, smaller error
k_needed = min(k for k, e in errors.items() if e < 0.02)
say(f"Relative errors: {', '.join(f'K={k}: {pct(e)}' for k, e in errors.items())}; "
    f"K = {k_needed} is the first within 2%.")  # fmt: skip

# %% [markdown]
# The error falls slowly: the integrand $q(u)$ of a t(3) tail grows like $(1-u)^{-1/3}$ near 1,
# and the midpoint rule misses the last slice. Beyond the largest loss of the window, a
# quantile model has no information anyway: more points buy precision the data do not have.
#
# ````{solution-end}
# ````

# %% [markdown]
# ```{exercise} The ACI learning rate (★★ medium)
# :label: ex-09-2
# Rerun the ACI multipliers of the champion's 1-day VaR with $\gamma$ = 0.001, 0.005 and 0.05.
# Compare the breach rates, the mean multipliers and the largest day-on-day jump of the
# multiplier. What does a large $\gamma$ do to a margin?
# ```
#
# ````{solution-start} ex-09-2
# :class: dropdown
# ````

# %%
rows = {}
for g_ in (0.001, 0.005, 0.05):
    p = aci_multipliers(L, V, LEVEL, gamma=g_, calibration=250, lag=1)
    live = ~np.isnan(p.breach)
    rows[g_] = {
        "breach_rate": float(np.nanmean(p.breach)),
        "mean_multiplier": float(p.multiplier[live].mean()),
        "largest_jump": float(np.max(p.multiplier[1:] / p.multiplier[:-1]) - 1),
    }
gam = pd.DataFrame(rows).T.rename_axis("gamma")
gam

# %%
assert gam.loc[0.05, "largest_jump"] >= gam.loc[0.001, "largest_jump"]
say(f"With gamma = 0.05 the multiplier jumped by up to {pct(gam.loc[0.05, 'largest_jump'])} in a "
    f"day, against {pct(gam.loc[0.001, 'largest_jump'])} with gamma = 0.001.")  # fmt: skip

# %% [markdown]
# A large $\gamma$ reacts within days to a breach: the margin jumps, the procyclicality chapter 6
# tries to prevent. A small $\gamma$ is smooth and slow. The guarantee holds for every
# $\gamma$, but its bound $(1+\gamma)/(\gamma T)$ is loose over a few hundred days when
# $\gamma$ is small: on a short sample the breach rates of the three settings need not match
# the target.
#
# ````{solution-end}
# ````

# %% [markdown]
# ```{exercise} Score a quantile model by hand (★★ medium)
# :label: ex-09-3
# Compute the mean quantile (pinball) loss of the 1-day 99% VaR of the champion and of the
# forest on the common dates. Does it rank them like the FZ0 score does?
# ```
#
# ````{solution-start} ex-09-3
# :class: dropdown
# ````

# %%
ql = {k: float(quantile_loss(run.forecasts[k]["loss"], run.forecasts[k][f"var_{LEVEL:g}"],
                             LEVEL).mean()) for k in ("champion", "qrf")}  # fmt: skip
same = (ql["champion"] < ql["qrf"]) == (t.loc["champion", "fz0_mean"] < t.loc["qrf", "fz0_mean"])
say(f"Mean quantile loss: champion {number(ql['champion'], 4)}, forest {number(ql['qrf'], 4)}; "
    f"{'the same' if same else 'a different'} ranking as FZ0.")  # fmt: skip

# %% [markdown]
# The quantile loss scores the VaR alone; FZ0 scores VaR and ES jointly. A model can win on
# one and lose on the other when its ES is too close to (or too far from) its VaR: the reason
# the protocol ranks by FZ0 for an ES margin.
#
# ````{solution-end}
# ````
#
# **References.** Gibbs and Candes (2021), Adaptive conformal inference under distribution
# shift, NeurIPS. Gibbs and Candes (2024), Conformal inference for online prediction with
# arbitrary distribution shifts, JMLR. Meinshausen (2006), Quantile regression forests, JMLR.
# Koenker and Bassett (1978), Regression quantiles, Econometrica. Patton, Ziegel and Chen
# (2019), Dynamic semiparametric models for expected shortfall, J. Econometrics. Buse, Gorgen and
# Schienle, Predicting value at risk for cryptocurrencies with generalized random forests, IJF.
