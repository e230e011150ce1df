"""VaR/ES backtests and scores against published tables, hand-worked formulas and scipy/statsmodels."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from scipy import integrate, optimize, stats

from riskkit.backtest import (
    acerbi_szekely_test,
    backtest_summary,
    binomial_test,
    christoffersen_cc,
    christoffersen_independence,
    diebold_mariano,
    duration_test,
    failures,
    fz0_loss,
    haas_tbf,
    kupiec_pof,
    mcneil_frey_test,
    plot_backtest,
    quantile_loss,
    traffic_light,
    traffic_light_table,
    tuff_test,
    unconditional_critical_values,
    unconditional_es_test,
    var_backtest,
    z1_statistic,
    z2_statistic,
)
from riskkit.backtest.summary import VarBacktest
from riskkit.exceptions import ConfigError, DataError

# Worked example: 250 days, 99% VaR, failures on days 10, 11, 100, 180 and 181 (1-based).
N = 250
FAIL_DAYS = (10, 11, 100, 180, 181)
HITS = np.zeros(N, dtype=bool)
HITS[np.array(FAIL_DAYS) - 1] = True

# Basel Committee on Banking Supervision (1996), "Supervisory framework for the use of
# 'backtesting' in conjunction with the internal models approach to market risk capital
# requirements", Table 2: 250 observations, 99% VaR. exceptions: (zone, plus factor, cumulative
# probability in %).
BASEL_1996_TABLE_2 = {
    0: ("green", 0.00, 8.11),
    1: ("green", 0.00, 28.58),
    2: ("green", 0.00, 54.32),
    3: ("green", 0.00, 75.81),
    4: ("green", 0.00, 89.22),
    5: ("yellow", 0.40, 95.88),
    6: ("yellow", 0.50, 98.63),
    7: ("yellow", 0.65, 99.60),
    8: ("yellow", 0.75, 99.89),
    9: ("yellow", 0.85, 99.97),
    10: ("red", 1.00, 99.99),
}


def test_traffic_light_reproduces_basel_1996_table_2() -> None:
    table = traffic_light_table(250, 0.99)
    for k, (zone, plus, cum_pct) in BASEL_1996_TABLE_2.items():
        row = table.loc[k]
        assert row["zone"] == zone, k
        assert row["plus_factor"] == plus, k
        # the table prints P(X <= k) in percent, rounded to 2 decimals
        assert round(100 * row["cumulative_probability"], 2) == cum_pct, k
    assert (table.loc[10:, "zone"] == "red").all() and (table.loc[10:, "plus_factor"] == 1).all()
    tl = traffic_light(7, 250)
    assert (tl.zone, tl.plus_factor, tl.multiplier) == ("yellow", 0.65, 3.65)
    assert tl.cumulative_probability == pytest.approx(0.995975, abs=1e-6)
    assert tl["zone"] == "yellow" and tl.to_dict()["multiplier"] == 3.65
    with pytest.raises(KeyError):
        tl["colour"]


def test_generalised_traffic_light_uses_binomial_thresholds() -> None:
    # independent: scipy binomial cdf with the Basel 95% / 99.99% thresholds
    n, level = 500, 0.975
    table = traffic_light_table(n, level)
    cdf = stats.binom.cdf(np.arange(n + 1), n, 0.025)
    assert (table["zone"] == "green").sum() == int(np.sum(cdf < 0.95))
    assert table["zone"].iloc[int(np.argmax(cdf >= 0.9999))] == "red"
    yellow = table[table["zone"] == "yellow"]
    assert yellow["plus_factor"].is_monotonic_increasing
    # the normal-quantile rule behind the Basel plus factors reproduces them within 0.05
    for k in range(5, 10):
        z_rule = 3 * (stats.norm.ppf(0.99) / stats.norm.ppf(1 - k / 250) - 1)
        assert abs(z_rule - BASEL_1996_TABLE_2[k][1]) < 0.05


def test_kupiec_pof_worked_example() -> None:
    # Kupiec (1995); Jorion, Value at Risk, 3rd ed., eq. (6.3), by hand:
    x, p = 5, 0.01
    by_hand = -2 * ((N - x) * math.log(1 - p) + x * math.log(p)) + 2 * (
        (N - x) * math.log(1 - x / N) + x * math.log(x / N)
    )
    assert by_hand == pytest.approx(1.956810, abs=1e-6)  # evaluated on paper to 6 decimals
    res = kupiec_pof(x, N, 0.99)
    assert res.statistic == pytest.approx(by_hand, rel=1e-12)
    # independent: binomial log-likelihood ratio (coefficients cancel) and scipy chi2(1)
    indep = 2 * (stats.binom.logpmf(x, N, x / N) - stats.binom.logpmf(x, N, p))
    assert res.statistic == pytest.approx(indep, rel=1e-10)
    assert res.pvalue == pytest.approx(stats.chi2.sf(by_hand, 1), rel=1e-12)
    assert res.result == "accept" and res.dof == 1
    # zero failures: LR = -2 N log(1-p)
    assert kupiec_pof(0, N, 0.99).statistic == pytest.approx(-2 * N * math.log(0.99))
    assert kupiec_pof(12, N, 0.99).result == "reject"


def test_binomial_and_tuff_worked_example() -> None:
    # binomial z-score, Jorion (2007) sec. 6.2: (5 - 2.5) / sqrt(250 * 0.01 * 0.99)
    res = binomial_test(5, N, 0.99)
    assert res.statistic == pytest.approx(2.5 / math.sqrt(2.475), rel=1e-12)
    assert res.pvalue == pytest.approx(2 * stats.norm.sf(2.5 / math.sqrt(2.475)))
    # TUFF, Kupiec (1995): first failure on day 10
    by_hand = -2 * math.log(0.01 * 0.99**9) + 2 * math.log(0.1 * 0.9**9)
    assert tuff_test(HITS, 0.99).statistic == pytest.approx(by_hand, rel=1e-12)
    # a failure on day 1 gives LR = -2 log p
    first = np.zeros(50, dtype=bool)
    first[0] = True
    assert tuff_test(first, 0.99).statistic == pytest.approx(-2 * math.log(0.01))


def test_christoffersen_worked_example_and_g_test() -> None:
    # Christoffersen (1998): transitions of the worked example, counted by hand
    n00, n01, n10, n11 = 241, 3, 3, 2
    pi01, pi11, pi = 3 / 244, 2 / 5, 5 / 249
    by_hand = -2 * ((n00 + n10) * math.log(1 - pi) + (n01 + n11) * math.log(pi)) + 2 * (
        n00 * math.log(1 - pi01)
        + n01 * math.log(pi01)
        + n10 * math.log(1 - pi11)
        + n11 * math.log(pi11)
    )
    res = christoffersen_independence(HITS)
    assert res.statistic == pytest.approx(by_hand, rel=1e-12)
    # independent: the LR independence statistic is the G-test of the 2x2 transition table
    g, _, _, _ = stats.chi2_contingency(
        [[n00, n01], [n10, n11]], correction=False, lambda_="log-likelihood"
    )
    assert res.statistic == pytest.approx(g, rel=1e-10)
    assert res.reject  # two back-to-back pairs out of five failures is clustering
    cc = christoffersen_cc(HITS, 0.99)
    assert cc.statistic == pytest.approx(by_hand + kupiec_pof(5, N, 0.99).statistic)
    assert cc.pvalue == pytest.approx(stats.chi2.sf(cc.statistic, 2)) and cc.dof == 2


def test_haas_tbf_worked_example() -> None:
    # Haas (2001): gaps between failures 10, 1, 89, 80, 1
    def lr(n: int) -> float:
        return -2 * math.log(0.01 * 0.99 ** (n - 1)) + 2 * math.log(
            (1 / n) * (1 - 1 / n) ** (n - 1)
        )

    by_hand = sum(lr(n) for n in (10, 1, 89, 80, 1))
    tbfi, tbf = haas_tbf(HITS, 0.99)
    assert tbfi.statistic == pytest.approx(by_hand, rel=1e-12) and tbfi.dof == 5
    assert tbf.statistic == pytest.approx(by_hand + kupiec_pof(5, N, 0.99).statistic)
    assert tbf.pvalue == pytest.approx(stats.chi2.sf(tbf.statistic, 6))


def test_duration_test_matches_scipy_censored_weibull_fit() -> None:
    # independent: scipy maximum likelihood for censored Weibull / exponential durations
    # durations 10 (censored: the sample does not start with a failure), 1, 89, 80, 1, 69 (censored)
    d = np.array([10, 1, 89, 80, 1, 69], dtype=float)
    censored = np.array([True, False, False, False, False, True])
    data = stats.CensoredData(uncensored=d[~censored], right=d[censored])

    def loglik(dist, *args) -> float:
        return float(dist.logpdf(d[~censored], *args).sum() + dist.logsf(d[censored], *args).sum())

    c, _, scale = stats.weibull_min.fit(data, floc=0)
    _, scale0 = stats.expon.fit(data, floc=0)
    expected = 2 * (loglik(stats.weibull_min, c, 0, scale) - loglik(stats.expon, 0, scale0))
    res = duration_test(HITS)
    assert res.statistic == pytest.approx(expected, rel=1e-4, abs=1e-6)
    assert res.pvalue == pytest.approx(stats.chi2.sf(res.statistic, 1), rel=1e-9)


def _random_hit_sequences(seed: int, count: int):
    """Random failure sequences of random length and rate; every third starts with a failure."""
    rng = np.random.default_rng(seed)
    for i in range(count):
        n = int(rng.integers(30, 1500))
        level = float(rng.choice([0.95, 0.975, 0.99]))
        hits = rng.random(n) < (1 - level) * float(rng.choice([0.5, 1.0, 2.0]))
        if i % 3 == 0:
            hits[0] = True
        yield hits, level


def test_duration_kupiec_and_binomial_match_vartests_on_random_hit_sequences() -> None:
    # independent implementation: vartests 0.4.1 (a port of rugarch's VaRTest/VaRDurTest)
    vartests = pytest.importorskip("vartests")
    compared = {"duration": 0, "starts_with_failure": 0}
    for hits, level in _random_hit_sequences(2004, 300):
        x, n = int(hits.sum()), len(hits)
        ref = vartests.kupiec_test(hits.astype(int), risk_conf_level=level)
        pof = kupiec_pof(x, n, level)
        assert pof.statistic == pytest.approx(ref["statistic"], rel=1e-12, abs=1e-12)
        assert pof.pvalue == pytest.approx(ref["p-value"], rel=1e-12, abs=1e-15)
        ref = vartests.binomial_test(
            hits.astype(int), risk_conf_level=level, alternative="two-sided"
        )
        exact = binomial_test(x, n, level, pvalue_method="exact")
        assert exact.pvalue == pytest.approx(ref["p-value"], rel=1e-9, abs=1e-12)
        assert (
            exact.pvalue_method == "exact" and binomial_test(x, n, level).pvalue_method == "normal"
        )
        ref = vartests.duration_test(hits.astype(int))
        got = duration_test(hits)
        if np.isnan(ref["statistic"]):
            assert np.isnan(got.statistic) and not got.reject
            continue
        # vartests' bounded optimiser stops at a tolerance of about 1e-5 in b
        assert got.statistic == pytest.approx(ref["statistic"], rel=1e-4, abs=1e-5)
        assert got.pvalue == pytest.approx(ref["p-value"], rel=1e-4, abs=1e-5)
        compared["duration"] += 1
        compared["starts_with_failure"] += bool(hits[0])
    assert compared["duration"] > 200 and compared["starts_with_failure"] > 50


def test_duration_conventions_differ_only_when_the_sample_starts_with_a_failure() -> None:
    # the worked example does not start with a failure: both conventions agree
    assert duration_test(HITS).statistic == duration_test(HITS, convention="sample_start").statistic
    # cut it to start at its first failure (day 10), as in issue 18
    cut = HITS[9:]
    # durations: rugarch (Christoffersen-Pelletier): 1, 89, 80, 1 complete, 69 censored;
    # "sample_start" adds a completed duration of 1 day before the first failure
    d = np.array([1, 89, 80, 1, 69], dtype=float)
    censored = np.array([False, False, False, False, True])

    def lr(d: np.ndarray, censored: np.ndarray) -> float:
        # independent: scipy maximum likelihood for censored Weibull vs exponential durations
        data = stats.CensoredData(uncensored=d[~censored], right=d[censored])

        def loglik(dist, *args) -> float:
            return float(
                dist.logpdf(d[~censored], *args).sum() + dist.logsf(d[censored], *args).sum()
            )

        c, _, scale = stats.weibull_min.fit(data, floc=0)
        _, scale0 = stats.expon.fit(data, floc=0)
        return 2 * (loglik(stats.weibull_min, c, 0, scale) - loglik(stats.expon, 0, scale0))

    rugarch = duration_test(cut)
    assert rugarch.statistic == pytest.approx(lr(d, censored), rel=1e-4, abs=1e-6)
    legacy = duration_test(cut, convention="sample_start")
    d_legacy, c_legacy = np.concatenate([[1.0], d]), np.concatenate([[False], censored])
    assert legacy.statistic == pytest.approx(lr(d_legacy, c_legacy), rel=1e-4, abs=1e-6)
    assert rugarch.statistic != pytest.approx(legacy.statistic, rel=1e-3)
    assert rugarch.pvalue_method == "chi2" and rugarch.dof == 1
    # too few durations: NaN, not rejected (vartests returns NaN there too)
    ends = np.zeros(20, dtype=bool)
    ends[[0, -1]] = True
    assert np.isnan(duration_test(ends).statistic) and not duration_test(ends).reject
    with pytest.raises(ConfigError, match="convention"):
        duration_test(HITS, convention="matlab")


def test_var_tests_have_nominal_size_under_the_null() -> None:
    # simulation with known truth: i.i.d. Bernoulli(1%) failures, 1,000 days, 1,000 samples
    rng = np.random.default_rng(123)
    reps, n = 1000, 1000
    rejections = {"pof": 0, "cc": 0, "bin": 0}
    for _ in range(reps):
        h = rng.random(n) < 0.01
        rejections["pof"] += kupiec_pof(int(h.sum()), n, 0.99).reject
        rejections["bin"] += binomial_test(int(h.sum()), n, 0.99).reject
        rejections["cc"] += christoffersen_cc(h, 0.99).reject
    # nominal 5%; binomial discreteness moves the exact size by about +-1.5 points at n=1000
    for name, count in rejections.items():
        assert 0.025 <= count / reps <= 0.085, (name, count / reps)


def test_duration_test_size_and_power() -> None:
    rng = np.random.default_rng(7)
    null = [duration_test(rng.random(1000) < 0.02).reject for _ in range(300)]
    assert 0.01 <= np.mean(null) <= 0.12  # nominal 5%; small-sample size is known to be off
    # clustered failures: a Markov chain with P(fail | fail) = 0.3
    power = []
    for _ in range(100):
        h = np.zeros(1000, dtype=bool)
        for t in range(1, 1000):
            h[t] = rng.random() < (0.3 if h[t - 1] else 0.014)
        power.append(duration_test(h).reject)
    assert np.mean(power) > 0.5


def test_failures_drop_nan_and_count_strict_exceedances() -> None:
    hits = failures([0.1, 0.2, np.nan, 0.05], [0.1, 0.1, 0.1, np.nan])
    np.testing.assert_array_equal(hits, [False, True])
    with pytest.raises(DataError, match="aligned"):
        failures([0.1, 0.2], [0.1])
    with pytest.raises(ConfigError, match="did you mean 0.99"):
        kupiec_pof(1, 100, 99)
    with pytest.raises(DataError, match="failures"):
        kupiec_pof(5, 3, 0.99)


def test_z1_z2_worked_example() -> None:
    # Acerbi and Szekely (2014), eqs. (5)-(6), by hand on 4 days at level 0.75
    loss = np.array([1.0, 3.0, 0.5, 4.0])
    var = np.array([2.0, 2.0, 2.0, 2.0])
    es = np.array([2.5, 2.5, 3.0, 5.0])
    assert z1_statistic(loss, var, es) == pytest.approx(1 - (3 / 2.5 + 4 / 5) / 2)
    assert z2_statistic(loss, var, es, 0.75) == pytest.approx(1 - (3 / 2.5 + 4 / 5) / (4 * 0.25))


def test_unconditional_critical_values_match_acerbi_szekely_2014() -> None:
    # Acerbi & Szekely (2014): Z2 thresholds ~ -0.70 (5%) and ~ -1.8 (0.01%), T = 250, 97.5%
    cv = unconditional_critical_values(250, 0.975, "normal")
    assert cv[0.95] == pytest.approx(-0.70, abs=0.05)
    assert cv[0.9999] == pytest.approx(-1.8, abs=0.2)
    cv_t = unconditional_critical_values(250, 0.975, "t", dof=5)
    assert cv_t[0.95] == pytest.approx(-0.70, abs=0.1)


def _normal_forecasts(rng, n, level, vol_scale=1.0):
    from scipy.stats import norm

    sigma = 0.02 * np.exp(0.5 * np.sin(np.arange(n) / 40))
    loss = sigma * rng.standard_normal(n)
    q = norm.ppf(level)
    es = norm.pdf(q) / (1 - level)
    return loss, vol_scale * sigma * q, vol_scale * sigma * es, vol_scale * sigma


def test_es_tests_accept_correct_and_reject_underestimated_es() -> None:
    rng = np.random.default_rng(2024)
    level = 0.975
    loss, var, es, sig = _normal_forecasts(rng, 1000, level)
    for stat in ("z1", "z2"):
        ok = acerbi_szekely_test(loss, var, es, level, stat, "normal", scale=sig, n_sims=500)
        assert not ok.reject, stat
    assert not unconditional_es_test(loss, var, es, level).reject
    assert not mcneil_frey_test(loss, var, es, sig).reject
    # forecasts with 30% too little volatility: every test must reject
    _, var_b, es_b, sig_b = _normal_forecasts(np.random.default_rng(0), 1000, level, 0.7)
    for stat in ("z1", "z2"):
        res = acerbi_szekely_test(loss, var_b, es_b, level, stat, "normal", scale=sig_b, n_sims=500)
        assert res.reject, stat
    assert unconditional_es_test(loss, var_b, es_b, level).reject
    assert mcneil_frey_test(loss, var_b, es_b, sig_b).reject


def test_es_tests_size_by_simulation() -> None:
    # known truth: normal losses with correct forecasts; rejection rate near 5%
    rng = np.random.default_rng(99)
    rej = {"z2": 0, "uncond": 0, "mf": 0}
    reps = 200
    for _ in range(reps):
        loss, var, es, sig = _normal_forecasts(rng, 500, 0.975)
        rej["z2"] += acerbi_szekely_test(loss, var, es, 0.975, "z2", scale=sig, n_sims=300).reject
        rej["uncond"] += unconditional_es_test(loss, var, es, 0.975).reject
        rej["mf"] += mcneil_frey_test(loss, var, es, sig, n_boot=300).reject
    for name, count in rej.items():
        assert 0.01 <= count / reps <= 0.11, (name, count / reps)


def test_quantile_and_fz0_loss_by_hand() -> None:
    # tick loss at tau = 0.99, Gneiting (2011): (1{L > VaR} - (1 - tau)) (L - VaR), by hand:
    # day 1 loss 0.05 above VaR 0.03 costs tau * 0.02; day 2 loss 0.01 below it (1 - tau) * 0.02
    q = quantile_loss(np.array([0.05, 0.01]), np.array([0.03, 0.03]), 0.99)
    np.testing.assert_allclose(q, [0.99 * 0.02, 0.01 * 0.02], rtol=1e-12)
    # the same score in Gneiting's notation for the return y = -L and x = -VaR at alpha = 0.01
    y, x = -np.array([0.05, 0.01]), -0.03
    np.testing.assert_allclose(q, ((x >= y) - 0.01) * (x - y), rtol=1e-12)
    s = quantile_loss(pd.Series([0.05, np.nan], index=pd.date_range("2024-01-01", periods=2)),
                      [0.03, 0.03], 0.99)  # fmt: skip
    assert s.name == "quantile_loss" and np.isnan(s.iloc[1]) and s.iloc[0] == pytest.approx(0.0198)
    # Patton, Ziegel & Chen (2019) eq. (6), y=-0.05, v=-0.03, e=-0.04, alpha=0.01
    by_hand = -(1 * (-0.03 + 0.05)) / (0.01 * -0.04) + (-0.03 / -0.04) + math.log(0.04) - 1
    assert fz0_loss([0.05], [0.03], [0.04], 0.99)[0] == pytest.approx(by_hand)
    with pytest.raises(DataError, match="positive ES"):
        fz0_loss([0.1], [0.05], [-0.01], 0.99)


def test_quantile_loss_expectation_is_minimised_at_the_true_quantile() -> None:
    # Gneiting (2011): the tick loss is strictly consistent for the quantile. Known truth: N(0,1)
    # losses at tau = 0.99. Closed form of the expected score, from the definition:
    # E[(1{L > q} - (1 - tau))(L - q)] = phi(q) - q (1 - Phi(q)) + (1 - tau) q  (E[L] = 0)
    tau = 0.99

    def expected(q: float) -> float:
        return stats.norm.pdf(q) - q * stats.norm.sf(q) + (1 - tau) * q

    best = optimize.minimize_scalar(expected, bounds=(0.0, 5.0), method="bounded").x
    assert best == pytest.approx(stats.norm.ppf(tau), abs=1e-4)
    # simulation: riskkit's score averages to the closed form, and on the VaR grid of the issue
    # (1.5, 2.0, 2.326, 2.7, 3.2) the true quantile scores lowest, with common random numbers
    loss = np.random.default_rng(18).standard_normal(1_000_000)
    grid = [1.5, 2.0, stats.norm.ppf(tau), 2.7, 3.2]
    means = [quantile_loss(loss, np.full(loss.size, q), tau).mean() for q in grid]
    for q, m in zip(grid, means, strict=True):
        assert m == pytest.approx(expected(q), rel=0.02), q
    assert int(np.argmin(means)) == 2
    assert min(means) > 0
    # the pre-issue-18 formula (tau - 1{L > q})(L - q) is this score minus |L - q|
    old = (tau - (loss > 2.0)) * (loss - 2.0)
    np.testing.assert_allclose(
        old, quantile_loss(loss, np.full(loss.size, 2.0), tau) - np.abs(loss - 2.0), atol=1e-12
    )


def test_fz0_expectation_is_minimised_at_the_true_var_es_pair() -> None:
    # Fissler and Ziegel (2016), Patton, Ziegel and Chen (2019): FZ0 is strictly consistent for
    # (VaR, ES). Known truth: N(0,1) returns y at alpha = 0.025. Closed form of the expected
    # score, with v, e the return quantile and ES (negative) and E[1{y <= v}(v - y)] =
    # v Phi(v) + phi(v) for a standard normal y:
    alpha = 0.025

    def expected(v: float, e: float) -> float:
        return -(v * stats.norm.cdf(v) + stats.norm.pdf(v)) / (alpha * e) + v / e + np.log(-e) - 1

    z = stats.norm.ppf(1 - alpha)
    es = stats.norm.pdf(z) / alpha
    res = optimize.minimize(
        lambda p: expected(p[0], p[1]), x0=[-1.5, -2.0], method="Nelder-Mead",
        options={"xatol": 1e-8, "fatol": 1e-12, "maxiter": 5000},
    )  # fmt: skip
    np.testing.assert_allclose(res.x, [-z, -es], atol=1e-4)
    # simulation: riskkit's fz0_loss averages to the closed form and, with common random
    # numbers, the true pair scores lower than every perturbed pair on a grid
    loss = np.random.default_rng(2016).standard_normal(1_000_000)
    ones = np.ones(loss.size)
    true = fz0_loss(loss, z * ones, es * ones, 1 - alpha).mean()
    assert true == pytest.approx(expected(-z, -es), abs=0.01)
    for fv in (0.9, 1.0, 1.1):
        for fe in (0.9, 1.0, 1.1):
            if fv == fe == 1.0:
                continue
            v, e = fv * z, max(fe * es, fv * z)  # ES is never below VaR
            score = fz0_loss(loss, v * ones, e * ones, 1 - alpha).mean()
            assert score > true, (fv, fe)
            assert score == pytest.approx(expected(-v, -e), abs=0.01)


def test_diebold_mariano_matches_hand_newey_west() -> None:
    rng = np.random.default_rng(3)
    e = rng.standard_normal(500)
    d = 0.1 + e + 0.5 * np.concatenate([[0], e[:-1]])  # MA(1) loss differential
    a, b = d + 1.0, np.ones_like(d)
    res = diebold_mariano(a, b, max_lags=4)
    # independent: Newey-West (1987) Bartlett long-run variance written out in numpy
    u = d - d.mean()
    lrv = u @ u / len(u)
    for lag in range(1, 5):
        lrv += 2 * (1 - lag / 5) * (u[lag:] @ u[:-lag]) / len(u)
    t_hand = d.mean() / math.sqrt(lrv / len(u))
    assert res.statistic == pytest.approx(t_hand, rel=1e-10)
    assert res.pvalue == pytest.approx(2 * stats.norm.sf(abs(t_hand)), rel=1e-8)


def _table(rng, n=750, level=0.99, scale=1.0, horizon=1):
    idx = pd.date_range("2020-01-01", periods=n, freq="D", name="date")
    loss, var, es, sig = _normal_forecasts(rng, n, level, scale)
    return pd.DataFrame(
        {
            f"var_{level:g}": var,
            f"es_{level:g}": es,
            "volatility": sig,
            "loss": loss,
            "horizon": horizon,
        },
        index=idx,
    )


def test_summary_table_and_plot() -> None:
    import matplotlib.pyplot as plt

    rng = np.random.default_rng(8)
    good, bad = _table(rng), _table(rng, scale=0.6)
    out = backtest_summary({"good": good, "bad": bad}, es_dist="normal")
    assert list(out.index) == [("good", 0.99), ("bad", 0.99)]
    row = out.loc[("good", 0.99)]
    hits = good["loss"] > good["var_0.99"]
    assert row["failures"] == hits.sum() and row["observations"] == 750
    assert row["expected"] == pytest.approx(7.5) and row["ratio"] == pytest.approx(hits.sum() / 7.5)
    assert row["first_failure"] == np.argmax(hits.to_numpy()) + 1
    for test in ("bin", "pof", "tuff", "cci", "cc", "tbfi", "tbf", "duration", "mcneil_frey", "z2"):
        assert f"{test}_pvalue" in out.columns and out.loc[("bad", 0.99), test] in (
            "accept",
            "reject",
        )
    assert (
        out.loc[("bad", 0.99), "pof"] == "reject"
        and out.loc[("bad", 0.99), "traffic_light"] != "green"
    )
    # how each ES p-value was obtained, and the test level, are columns of the table
    assert row["mcneil_frey_method"] == "bootstrap" and row["unconditional_normal_method"] == (
        "simulation"
    )
    assert row["z1_method"] == row["z2_method"] == "simulation" and row["test_level"] == 0.95
    normal = backtest_summary(good, es_pvalue="normal").iloc[0]
    assert normal["mcneil_frey_method"] == "normal"
    assert normal["mcneil_frey_stat"] == row["mcneil_frey_stat"]
    # h-day horizon: only every h-th (non-overlapping) forecast is tested
    five = _table(rng, horizon=5)
    assert backtest_summary(five, es=False)["observations"].iloc[0] == 150
    # the horizon is read from the table's column, never assumed: a table without it needs
    # horizon=, which also overrides the column
    bare = five.drop(columns="horizon")
    with pytest.raises(DataError, match="no 'horizon' column"):
        backtest_summary(bare, es=False)
    assert backtest_summary(bare, es=False, horizon=5)["observations"].iloc[0] == 150
    assert backtest_summary(five, es=False, horizon=1)["observations"].iloc[0] == 750
    mixed = pd.concat([five.iloc[:10], good.iloc[10:]])
    with pytest.raises(DataError, match="one value"):
        backtest_summary(mixed, es=False)
    ax = plot_backtest(good, 0.99, title="test")
    assert ax.get_ylabel().startswith("1-day") and len(ax.collections) == 1
    plt.close("all")


def test_var_backtest_result_is_typed_and_flattens_to_the_summary_row() -> None:
    rng = np.random.default_rng(12)
    table = _table(rng)
    res = var_backtest(table["loss"], table["var_0.99"], 0.99)
    hits = (table["loss"] > table["var_0.99"]).to_numpy()
    assert isinstance(res, VarBacktest) and res.failures == hits.sum()
    assert res.traffic_light == traffic_light(int(hits.sum()), 750, 0.99)
    assert [t.test for t in res.tests] == [
        "bin", "pof", "tuff", "cci", "cc", "tbfi", "tbf", "duration"
    ]  # fmt: skip
    assert res.test("pof") == kupiec_pof(int(hits.sum()), 750, 0.99)
    assert res["pof_pvalue"] == res.test("pof").pvalue and res["traffic_light"] == (
        res.traffic_light.zone
    )
    row = backtest_summary(table, es=False).iloc[0]
    flat = res.to_series()
    for key in flat.index:
        assert row[key] == flat[key] or (pd.isna(row[key]) and pd.isna(flat[key])), key
    with pytest.raises(KeyError, match="no test"):
        res.test("matlab")


def test_mcneil_frey_normal_p_value_is_rugarchs_estest() -> None:
    # rugarch ESTest (Ghalanos): z = ES - actual on failure days (returns, i.e. loss - ES here);
    # p = 1 - pnorm(mean(z) / (sqrt(sd(z)^2 (n - 1) / n) / sqrt(n - 1))); written out in numpy
    rng = np.random.default_rng(31)
    loss, var, es, _ = _normal_forecasts(rng, 1500, 0.975, vol_scale=0.9)
    hit = loss > var
    z = loss[hit] - es[hit]
    n = len(z)
    t = z.mean() / (math.sqrt(z.var(ddof=1) * (n - 1) / n) / math.sqrt(n - 1))
    res = mcneil_frey_test(loss, var, es, np.ones_like(loss), pvalue_method="normal")
    assert res.pvalue == pytest.approx(stats.norm.sf(t), rel=1e-10)
    assert res.statistic == pytest.approx(z.mean(), rel=1e-12)
    assert res.pvalue_method == "normal"
    # independent: scipy's one-sample t statistic of the same residuals
    assert t == pytest.approx(stats.ttest_1samp(z, 0.0).statistic, rel=1e-10)
    boot = mcneil_frey_test(loss, var, es, np.ones_like(loss))
    assert boot.pvalue_method == "bootstrap" and boot.statistic == res.statistic
    assert acerbi_szekely_test(
        loss, var, es, 0.975, scale=np.ones_like(loss), n_sims=50
    ).pvalue_method == ("simulation")
    assert unconditional_es_test(loss, var, es, 0.975).pvalue_method == "simulation"
    with pytest.raises(ConfigError, match="pvalue_method"):
        mcneil_frey_test(loss, var, es, pvalue_method="asymptotic")


def test_distribution_es_is_the_riskkit_closed_form() -> None:
    from riskkit.backtest.es_tests import distribution_es
    from riskkit.risk import normal_var_es, student_t_var_es

    for lv in (0.95, 0.975, 0.99):
        assert distribution_es("normal", lv) == normal_var_es(lv)
        assert distribution_es("t", lv, 5.0) == student_t_var_es(lv, 5.0, sigma=1.0)
    # independent reference: unit-variance t_5 by numerical integration of its quantile function
    s = math.sqrt(3.0 / 5.0)
    es_num = integrate.quad(lambda u: stats.t.ppf(u, 5.0), 0.975, 1.0, limit=200)[0] / 0.025
    v, e = distribution_es("t", 0.975, 5.0)
    assert v == pytest.approx(stats.t.ppf(0.975, 5.0) * s, rel=1e-12)
    assert e == pytest.approx(es_num * s, rel=1e-6)
    with pytest.raises(ConfigError, match="dof > 2"):
        distribution_es("t", 0.975, 2.0)


def test_unconditional_t_test_without_dof_is_a_config_error() -> None:
    from riskkit.backtest import unconditional_es_test

    loss = np.random.default_rng(0).standard_normal(250)
    with pytest.raises(ConfigError, match="dof > 2"):
        unconditional_es_test(loss, np.full(250, 2.33), np.full(250, 2.67), 0.99, dist="t")
