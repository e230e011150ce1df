"""VaR backtests: traffic light, binomial, Kupiec, TUFF, Christoffersen, duration tests.

Vocabulary and test names follow MATLAB's ``varbacktest`` ('tl', 'bin', 'pof', 'tuff', 'cc',
'cci', 'tbf', 'tbfi') plus the Christoffersen-Pelletier Weibull duration test. Every function
takes a boolean/0-1 *failure* (exception, hit) sequence or counts, and a VaR confidence
``level`` (0.99 means the expected failure rate is p = 0.01).

All tests assume that failures on different days are independent trials under the null. With
multi-day horizons the loss windows overlap and that fails; test the non-overlapping subsample
(every h-th forecast) instead, see :func:`riskkit.backtest.rolling.rolling_forecast`.

Every p-value is asymptotic chi-squared (``pvalue_method="chi2"``) except the binomial test's
(normal approximation, or exact). Which reference implementation (MATLAB, rugarch, vartests)
each test matches, and where the conventions differ, is listed in ``docs/design.md``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass

import numpy as np
import pandas as pd
from scipy import optimize, special, stats

from riskkit._validation import check_level
from riskkit.exceptions import ConfigError, DataError

__all__ = [
    "TestResult",
    "TrafficLight",
    "DURATION_CONVENTIONS",
    "failures",
    "traffic_light",
    "traffic_light_table",
    "binomial_test",
    "kupiec_pof",
    "tuff_test",
    "christoffersen_independence",
    "christoffersen_cc",
    "haas_tbf",
    "duration_test",
    "BASEL_PLUS_FACTORS",
]

#: Basel Committee (1996), Table 2: plus factor added to the multiplier of 3 for 250 daily
#: observations of a 99% VaR, by number of exceptions (yellow zone 5-9; 10 or more: red, 1.00).
BASEL_PLUS_FACTORS = {5: 0.40, 6: 0.50, 7: 0.65, 8: 0.75, 9: 0.85}


@dataclass(frozen=True)
class TestResult:
    """Outcome of one backtest.

    Attributes
    ----------
    test : str
        Short name ('pof', 'cci', ...).
    statistic : float
        Test statistic (likelihood ratio, z-score, ...).
    pvalue : float
        p-value under the null of a correct model.
    reject : bool
        ``pvalue < 1 - test_level``.
    test_level : float
        Confidence level of the test (0.95 rejects at the 5% significance level).
    dof : float
        Degrees of freedom of the reference chi-squared distribution (NaN if none).
    pvalue_method : str
        How the p-value was obtained: ``"chi2"`` (asymptotic chi-squared with ``dof`` degrees of
        freedom), ``"normal"`` (normal approximation), ``"bootstrap"`` (resampling the data),
        ``"simulation"`` (the statistic's null distribution simulated from a model), or ``""``
        if not recorded.
    """

    __test__ = False  # not a pytest class

    test: str
    statistic: float
    pvalue: float
    reject: bool
    test_level: float
    dof: float = float("nan")
    pvalue_method: str = ""

    @property
    def result(self) -> str:
        """'reject' or 'accept'."""
        return "reject" if self.reject else "accept"

    def to_dict(self) -> dict:
        """Plain dict, with ``result``."""
        return {**asdict(self), "result": self.result}


@dataclass(frozen=True)
class TrafficLight:
    """Basel traffic-light zone of a failure count (see :func:`traffic_light`).

    Attributes
    ----------
    zone : str
        ``"green"``, ``"yellow"`` or ``"red"``.
    cumulative_probability : float
        P(X <= failures) with X ~ Bin(n, 1 - level).
    plus_factor : float
        Addition to the capital multiplier of 3 (0 in the green zone, 1 in the red zone).
    multiplier : float
        ``3 + plus_factor``.
    """

    zone: str
    cumulative_probability: float
    plus_factor: float
    multiplier: float

    def to_dict(self) -> dict:
        """Plain dict of the four fields."""
        return asdict(self)

    def __getitem__(self, key: str):
        # read access by field name, as for the dict riskkit returned before this class
        if key not in self.__dataclass_fields__:
            raise KeyError(key)
        return getattr(self, key)


def _result(
    test: str,
    stat: float,
    pvalue: float,
    test_level: float,
    dof: float = np.nan,
    method: str = "chi2",
) -> TestResult:
    tl = check_level(test_level, "test_level")
    pvalue = float(np.clip(pvalue, 0.0, 1.0))
    return TestResult(test, float(stat), pvalue, bool(pvalue < 1.0 - tl), tl, float(dof), method)


def _undefined(test: str, test_level: float, dof: float = np.nan, method: str = "chi2"):
    """A test that cannot be computed on this sample: NaN statistic and p-value, not rejected."""
    tl = check_level(test_level, "test_level")
    return TestResult(test, np.nan, np.nan, False, tl, float(dof), method)


def failures(
    losses: pd.Series | np.ndarray, var: pd.Series | np.ndarray, name: str = "losses"
) -> np.ndarray:
    """Failure indicator ``loss > VaR`` (a loss exactly equal to VaR is not a failure).

    Rows where either input is NaN (e.g. an incomplete final horizon) are dropped.

    Parameters
    ----------
    losses, var : array-like
        Realised losses and VaR forecasts (both positive numbers), aligned.

    Returns
    -------
    numpy.ndarray of bool
    """
    loss = np.asarray(losses, dtype=float)
    v = np.asarray(var, dtype=float)
    if loss.shape != v.shape or loss.ndim != 1:
        raise DataError(f"{name} and VaR must be 1-d and aligned, got {loss.shape} and {v.shape}")
    ok = np.isfinite(loss) & np.isfinite(v)
    return loss[ok] > v[ok]


def _as_hits(hits: Sequence[bool] | np.ndarray) -> np.ndarray:
    arr = np.asarray(hits)
    if arr.ndim != 1 or arr.size == 0:
        raise DataError(f"failure sequence must be a non-empty 1-d array, got shape {arr.shape}")
    if arr.dtype != bool:
        if not np.isin(arr, (0, 1)).all():
            raise DataError("failure sequence must hold only 0/1 or True/False")
        arr = arr.astype(bool)
    return arr


def _counts(n_failures: int, n: int) -> tuple[int, int]:
    x, n = int(n_failures), int(n)
    if n < 1 or not 0 <= x <= n:
        raise DataError(f"need 0 <= failures <= observations and observations >= 1, got {x}, {n}")
    return x, n


def traffic_light_table(n: int = 250, level: float = 0.99) -> pd.DataFrame:
    """Traffic-light zones for every possible number of failures.

    Parameters
    ----------
    n : int
        Number of observations (250 in the Basel rules).
    level : float
        VaR confidence level (0.99 in the Basel rules).

    Returns
    -------
    pandas.DataFrame
        Index ``failures`` 0..n; columns ``cumulative_probability`` (P(X <= k), X ~ Bin(n, 1-level)),
        ``zone`` ('green', 'yellow', 'red') and ``plus_factor``.

    Notes
    -----
    Zones as in Basel Committee (1996), Table 2: green while the cumulative probability is below
    95%, yellow from 95%, red from 99.99%. For n=250 and level=0.99 the plus factors are the
    published ones. For other n or levels they follow the rationale stated there: the multiplier
    of 3 is scaled by the ratio of the normal quantile at the target coverage to the one at the
    coverage the failures imply, ``3 * (z(level) / z(1 - k/n) - 1)``, floored at 0 and capped at
    1 (red zone: 1). This reproduces the published factors to within 0.05.

    References
    ----------
    Basel Committee on Banking Supervision (1996), "Supervisory framework for the use of
    'backtesting' in conjunction with the internal models approach to market risk capital
    requirements", Table 2.
    """
    lv = check_level(level)
    if int(n) != n or n < 1:
        raise ConfigError(f"n must be a positive integer, got {n!r}")
    n = int(n)
    k = np.arange(n + 1)
    cdf = stats.binom.cdf(k, n, 1 - lv)
    # compare on a 1e-12 grid so that a probability that is 99.99% in exact arithmetic counts as red
    zone = np.where(cdf >= 0.9999 - 1e-12, "red", np.where(cdf >= 0.95 - 1e-12, "yellow", "green"))
    plus = np.zeros(n + 1)
    basel = n == 250 and abs(lv - 0.99) < 1e-12
    for i in np.flatnonzero(zone == "yellow"):
        if basel:
            plus[i] = BASEL_PLUS_FACTORS[int(i)]
        else:
            implied = 1 - i / n
            z_imp = stats.norm.ppf(implied) if implied > 0.5 else np.nan
            plus[i] = np.clip(3 * (stats.norm.ppf(lv) / z_imp - 1), 0, 1) if z_imp > 0 else 1.0
    plus[zone == "red"] = 1.0
    return pd.DataFrame(
        {"cumulative_probability": cdf, "zone": zone, "plus_factor": plus},
        index=pd.Index(k, name="failures"),
    )


def traffic_light(n_failures: int, n: int, level: float = 0.99) -> TrafficLight:
    """Basel traffic-light zone of ``n_failures`` failures in ``n`` observations.

    Parameters
    ----------
    n_failures : int
        Number of failures (days with loss > VaR), ``0 <= n_failures <= n``.
    n : int
        Number of observations (>= 1).
    level : float
        VaR confidence level, a fraction in (0, 1); the expected failure rate is ``1 - level``.

    Returns
    -------
    TrafficLight
        ``zone`` ('green', 'yellow' or 'red'), ``cumulative_probability`` P(X <= n_failures)
        with X ~ Bin(n, 1 - level), ``plus_factor``, and ``multiplier`` (3 + plus factor).
        Fields also read by name (``result["zone"]``), as the dict returned before.

    Raises
    ------
    DataError
        If ``n < 1`` or ``n_failures`` is not in ``[0, n]``.
    ConfigError
        If ``level`` is not in (0, 1).

    See Also
    --------
    traffic_light_table : The rule, for every failure count, and its reference.
    """
    x, n = _counts(n_failures, n)
    row = traffic_light_table(n, level).loc[x]
    return TrafficLight(
        zone=str(row["zone"]),
        cumulative_probability=float(row["cumulative_probability"]),
        plus_factor=float(row["plus_factor"]),
        multiplier=3.0 + float(row["plus_factor"]),
    )


def binomial_test(
    n_failures: int,
    n: int,
    level: float = 0.99,
    test_level: float = 0.95,
    pvalue_method: str = "normal",
):
    """Binomial test of the failure count (MATLAB 'bin'), two-sided.

    ``z = (x - n p) / sqrt(n p (1 - p))`` with p = 1 - level.

    Parameters
    ----------
    n_failures : int
        Number of failures (days with loss > VaR), ``0 <= n_failures <= n``.
    n : int
        Number of observations (>= 1).
    level : float
        VaR confidence level, a fraction in (0, 1); the expected failure rate is ``1 - level``.
    test_level : float
        Confidence level of the test (0.95 rejects at the 5% significance level).
    pvalue_method : {"normal", "exact"}
        ``"normal"`` (default, MATLAB ``varbacktest``): ``2 P(N(0, 1) > |z|)``. ``"exact"``: the
        exact two-sided binomial p-value of :func:`scipy.stats.binomtest` (the sum of the
        probabilities of all counts no more likely than x), as ``vartests.binomial_test`` with
        ``alternative="two-sided"``; better with few expected failures (n p of 2.5 for a year
        of 99% VaR), where the normal approximation is poor.

    Returns
    -------
    TestResult
        ``test`` is ``"bin"``; ``statistic`` is z (positive: more failures than expected);
        ``pvalue`` as ``pvalue_method`` says; ``dof`` is NaN.

    Raises
    ------
    DataError
        If ``n < 1`` or ``n_failures`` is not in ``[0, n]``.
    ConfigError
        If ``level`` or ``test_level`` is not in (0, 1), or ``pvalue_method`` is unknown.

    References
    ----------
    Jorion, P. (2007), *Value at Risk*, 3rd ed., McGraw-Hill, section 6.2.
    """
    if pvalue_method not in ("normal", "exact"):
        raise ConfigError(f"pvalue_method must be 'normal' or 'exact', got {pvalue_method!r}")
    x, n = _counts(n_failures, n)
    p = 1 - check_level(level)
    z = (x - n * p) / np.sqrt(n * p * (1 - p))
    if pvalue_method == "exact":
        pvalue = stats.binomtest(x, n, p, alternative="two-sided").pvalue
    else:
        pvalue = 2 * stats.norm.sf(abs(z))
    return _result("bin", z, pvalue, test_level, method=pvalue_method)


def kupiec_pof(n_failures: int, n: int, level: float = 0.99, test_level: float = 0.95):
    """Kupiec (1995) proportion-of-failures likelihood-ratio test (MATLAB 'pof').

    ``LR = -2 log[(1-p)^(n-x) p^x] + 2 log[(1-x/n)^(n-x) (x/n)^x] ~ chi2(1)``.

    Parameters
    ----------
    n_failures : int
        Number of failures (days with loss > VaR), ``0 <= n_failures <= n``.
    n : int
        Number of observations (>= 1).
    level : float
        VaR confidence level, a fraction in (0, 1); the expected failure rate is ``1 - level``.
    test_level : float
        Confidence level of the test (0.95 rejects at the 5% significance level).

    Returns
    -------
    TestResult
        ``test`` is ``"pof"``; ``statistic`` is LR (floored at 0); ``pvalue`` from chi2(1),
        two-sided in the sense that too many and too few failures both reject; ``dof`` is 1.

    Raises
    ------
    DataError
        If ``n < 1`` or ``n_failures`` is not in ``[0, n]``.
    ConfigError
        If ``level`` or ``test_level`` is not in (0, 1).

    References
    ----------
    Kupiec, P. (1995), "Techniques for verifying the accuracy of risk measurement models",
    Journal of Derivatives 3(2), 73-84. Jorion (2007), *Value at Risk*, 3rd ed., eq. (6.3).
    """
    x, n = _counts(n_failures, n)
    p = 1 - check_level(level)
    phat = x / n
    lr = -2 * (special.xlogy(n - x, 1 - p) + special.xlogy(x, p)) + 2 * (
        special.xlogy(n - x, 1 - phat) + special.xlogy(x, phat)
    )
    lr = max(lr, 0.0)
    return _result("pof", lr, stats.chi2.sf(lr, 1), test_level, 1)


def tuff_test(hits: Sequence[bool] | np.ndarray, level: float = 0.99, test_level: float = 0.95):
    """Kupiec (1995) time-until-first-failure test (MATLAB 'tuff').

    With n the (1-based) day of the first failure,
    ``LR = -2 log[p (1-p)^(n-1)] + 2 log[(1/n) (1 - 1/n)^(n-1)] ~ chi2(1)``. Without any failure
    n is taken as ``len(hits) + 1`` (the first failure would come after the sample), which makes
    the test reject when a long clean sample is improbable, i.e. VaR is too conservative.

    Parameters
    ----------
    hits : sequence of bool or array-like of 0/1
        Failure indicator per day in time order (True or 1: loss > VaR), e.g. from
        :func:`failures`.
    level : float
        VaR confidence level, a fraction in (0, 1); the expected failure rate is ``1 - level``.
    test_level : float
        Confidence level of the test (0.95 rejects at the 5% significance level).

    Returns
    -------
    TestResult
        ``test`` is ``"tuff"``; ``statistic`` is LR (floored at 0); ``pvalue`` from chi2(1);
        ``dof`` is 1.

    Raises
    ------
    DataError
        If ``hits`` is empty, not 1-d, or holds values other than 0/1 or True/False.
    ConfigError
        If ``level`` or ``test_level`` is not in (0, 1).

    References
    ----------
    Kupiec (1995), as for :func:`kupiec_pof`.
    """
    h = _as_hits(hits)
    p = 1 - check_level(level)
    n = int(np.argmax(h)) + 1 if h.any() else len(h) + 1
    lr = -2 * (np.log(p) + special.xlogy(n - 1, 1 - p)) + 2 * (
        -np.log(n) + special.xlogy(n - 1, 1 - 1 / n)
    )
    lr = max(lr, 0.0)
    return _result("tuff", lr, stats.chi2.sf(lr, 1), test_level, 1)


def _transitions(h: np.ndarray) -> tuple[int, int, int, int]:
    prev, cur = h[:-1], h[1:]
    n00 = int(np.sum(~prev & ~cur))
    n01 = int(np.sum(~prev & cur))
    n10 = int(np.sum(prev & ~cur))
    n11 = int(np.sum(prev & cur))
    return n00, n01, n10, n11


def christoffersen_independence(hits: Sequence[bool] | np.ndarray, test_level: float = 0.95):
    """Christoffersen (1998) Markov independence test (MATLAB 'cci').

    With n_ij the number of days in state j after a day in state i (1 = failure),
    ``pi01 = n01/(n00+n01)``, ``pi11 = n11/(n10+n11)``, ``pi = (n01+n11)/(n-1)``:
    ``LR = -2 log[(1-pi)^(n00+n10) pi^(n01+n11)] + 2 log[(1-pi01)^n00 pi01^n01 (1-pi11)^n10 pi11^n11]``,
    ~ chi2(1).

    Parameters
    ----------
    hits : sequence of bool or array-like of 0/1
        Failure indicator per day in time order (True or 1: loss > VaR), e.g. from
        :func:`failures`.
    test_level : float
        Confidence level of the test (0.95 rejects at the 5% significance level).

    Returns
    -------
    TestResult
        ``test`` is ``"cci"``; ``statistic`` is LR (floored at 0); ``pvalue`` from chi2(1);
        ``dof`` is 1. A transition probability with no day in its starting state is set to 0.

    Raises
    ------
    DataError
        If ``hits`` has fewer than 2 observations, is not 1-d, or holds values other than 0/1
        or True/False.
    ConfigError
        If ``test_level`` is not in (0, 1).

    References
    ----------
    Christoffersen, P. (1998), "Evaluating interval forecasts", International Economic Review
    39(4), 841-862.
    """
    h = _as_hits(hits)
    if len(h) < 2:
        raise DataError("the independence test needs at least 2 observations")
    n00, n01, n10, n11 = _transitions(h)
    pi01 = n01 / (n00 + n01) if n00 + n01 else 0.0
    pi11 = n11 / (n10 + n11) if n10 + n11 else 0.0
    pi = (n01 + n11) / (n00 + n01 + n10 + n11)
    restricted = special.xlogy(n00 + n10, 1 - pi) + special.xlogy(n01 + n11, pi)
    unrestricted = (
        special.xlogy(n00, 1 - pi01)
        + special.xlogy(n01, pi01)
        + special.xlogy(n10, 1 - pi11)
        + special.xlogy(n11, pi11)
    )
    lr = max(-2 * (restricted - unrestricted), 0.0)
    return _result("cci", lr, stats.chi2.sf(lr, 1), test_level, 1)


def christoffersen_cc(
    hits: Sequence[bool] | np.ndarray, level: float = 0.99, test_level: float = 0.95
):
    """Christoffersen (1998) conditional coverage test (MATLAB 'cc'): ``LR_pof + LR_ind ~ chi2(2)``.

    The POF part uses all observations, as in MATLAB ``varbacktest``.

    Parameters
    ----------
    hits : sequence of bool or array-like of 0/1
        Failure indicator per day in time order (True or 1: loss > VaR), e.g. from
        :func:`failures`.
    level : float
        VaR confidence level, a fraction in (0, 1); the expected failure rate is ``1 - level``.
    test_level : float
        Confidence level of the test (0.95 rejects at the 5% significance level).

    Returns
    -------
    TestResult
        ``test`` is ``"cc"``; ``statistic`` is ``LR_pof + LR_ind``; ``pvalue`` from chi2(2);
        ``dof`` is 2.

    Raises
    ------
    DataError
        If ``hits`` has fewer than 2 observations, is not 1-d, or holds values other than 0/1
        or True/False.
    ConfigError
        If ``level`` or ``test_level`` is not in (0, 1).

    References
    ----------
    Christoffersen (1998), as for :func:`christoffersen_independence`.
    """
    h = _as_hits(hits)
    lr = kupiec_pof(int(h.sum()), len(h), level).statistic
    lr += christoffersen_independence(h).statistic
    return _result("cc", lr, stats.chi2.sf(lr, 2), test_level, 2)


def haas_tbf(
    hits: Sequence[bool] | np.ndarray, level: float = 0.99, test_level: float = 0.95
) -> tuple[TestResult, TestResult]:
    """Haas (2001) time-between-failures tests (MATLAB 'tbfi' and 'tbf').

    For each of the x failures, with n_i the days since the previous failure (since the start for
    the first), ``LR_i = -2 log[p (1-p)^(n_i-1)] + 2 log[(1/n_i)(1-1/n_i)^(n_i-1)]``.
    TBFI: ``sum LR_i ~ chi2(x)``; TBF (mixed Kupiec test): ``TBFI + LR_pof ~ chi2(x+1)``.
    With no failure TBFI is undefined (NaN, not rejected) and TBF reduces to POF.

    Parameters
    ----------
    hits : sequence of bool or array-like of 0/1
        Failure indicator per day in time order (True or 1: loss > VaR), e.g. from
        :func:`failures`.
    level : float
        VaR confidence level, a fraction in (0, 1); the expected failure rate is ``1 - level``.
    test_level : float
        Confidence level of the test (0.95 rejects at the 5% significance level).

    Returns
    -------
    (TestResult, TestResult)
        TBFI (``test`` ``"tbfi"``, ``dof`` x) and TBF (``test`` ``"tbf"``, ``dof`` x + 1). With
        no failure: TBFI has NaN statistic and p-value and ``dof`` 0; TBF carries the POF
        statistic and p-value with ``dof`` 1.

    Raises
    ------
    DataError
        If ``hits`` is empty, not 1-d, or holds values other than 0/1 or True/False.
    ConfigError
        If ``level`` or ``test_level`` is not in (0, 1).

    References
    ----------
    Haas, M. (2001), "New methods in backtesting", Financial Engineering Research Center, Bonn.
    """
    h = _as_hits(hits)
    p = 1 - check_level(level)
    pos = np.flatnonzero(h) + 1
    pof = kupiec_pof(len(pos), len(h), level)
    if len(pos) == 0:
        nan = _undefined("tbfi", test_level, 0)
        return nan, _result("tbf", pof.statistic, pof.pvalue, test_level, 1)
    gaps = np.diff(np.concatenate([[0], pos])).astype(float)
    lr_i = -2 * (np.log(p) + special.xlogy(gaps - 1, 1 - p)) + 2 * (
        -np.log(gaps) + special.xlogy(gaps - 1, 1 - 1 / gaps)
    )
    tbfi = float(np.maximum(lr_i, 0).sum())
    x = len(pos)
    tbf = tbfi + pof.statistic
    return (
        _result("tbfi", tbfi, stats.chi2.sf(tbfi, x), test_level, x),
        _result("tbf", tbf, stats.chi2.sf(tbf, x + 1), test_level, x + 1),
    )


#: first-duration conventions of :func:`duration_test`
DURATION_CONVENTIONS = ("rugarch", "sample_start")

#: search interval of the Weibull shape b, as in rugarch's ``VaRDurTest`` (and vartests)
_WEIBULL_SHAPE_BOUNDS = (0.001, 10.0)


def _weibull_loglik(b: float, d: np.ndarray, censored: np.ndarray) -> tuple[float, float]:
    """Profile log-likelihood of a Weibull duration model in b, with a at its closed-form maximum."""
    n_unc = int((~censored).sum())
    sdb = np.sum(d**b)
    ab = n_unc / sdb  # a**b at the maximum for fixed b
    ll = n_unc * (np.log(ab) + np.log(b)) + (b - 1) * np.log(d[~censored]).sum() - ab * sdb
    return float(ll), float(ab)


def _durations(h: np.ndarray, convention: str) -> tuple[np.ndarray, np.ndarray]:
    """Durations (days) between failures and their right/left-censoring flags."""
    pos = np.flatnonzero(h) + 1  # 1-based failure days
    d = [float(x) for x in np.diff(pos)]
    cens = [False] * len(d)
    if not h[0]:
        # the days up to the first failure: a spell whose start is not observed
        d.insert(0, float(pos[0]))
        cens.insert(0, True)
    elif convention == "sample_start":
        # the sample start counted as a failure on day 0: a completed 1-day duration
        d.insert(0, float(pos[0]))
        cens.insert(0, False)
    if not h[-1]:
        d.append(float(len(h) - pos[-1]))
        cens.append(True)
    return np.asarray(d, dtype=float), np.asarray(cens, dtype=bool)


def duration_test(
    hits: Sequence[bool] | np.ndarray,
    test_level: float = 0.95,
    convention: str = "rugarch",
) -> TestResult:
    """Christoffersen-Pelletier (2004) duration-based independence test (Weibull, continuous time).

    Durations between failures are modelled as Weibull, hazard ``a^b b d^(b-1)``; a correct VaR
    gives memoryless (exponential, b = 1) durations. LR of b = 1 against the Weibull, ~ chi2(1).
    b < 1 (decreasing hazard) signals clustered failures.

    Parameters
    ----------
    hits : sequence of bool or array-like of 0/1
        Failure indicator per day in time order (True or 1: loss > VaR), e.g. from
        :func:`failures`.
    test_level : float
        Confidence level of the test (0.95 rejects at the 5% significance level).
    convention : {"rugarch", "sample_start"}
        Where the first duration starts. ``"rugarch"`` (default): durations run from failure to
        failure, as in Christoffersen and Pelletier (2004), rugarch's ``VaRDurTest`` and
        ``vartests.duration_test``. If the sample does not start with a failure, the days up to
        the first failure form a censored duration; if it does, there is no duration before it
        (the time since the previous failure is not observed). ``"sample_start"``: riskkit's
        convention before issue 18, which counts the sample start as a failure on day 0, so a
        sample starting with a failure adds a completed duration of 1 day. The two differ only
        when the sample starts with a failure. In both, the days after the last failure form a
        censored duration unless the sample ends with a failure.

    Returns
    -------
    TestResult
        ``test`` is ``"duration"``; ``statistic`` is the LR, with b searched in [0.001, 10] as in
        rugarch; ``pvalue`` from chi2(1) (``pvalue_method`` ``"chi2"``); ``dof`` is 1. NaN and
        not rejected with fewer than 2 failures, or fewer than 2 durations (as in vartests:
        with the default convention, 2 failures on the first and last day only).

    Raises
    ------
    DataError
        If ``hits`` is empty, not 1-d, or holds values other than 0/1 or True/False.
    ConfigError
        If ``test_level`` is not in (0, 1), or ``convention`` is not one of the two names.

    Notes
    -----
    Uses the continuous-time likelihood of the paper (durations treated as continuous; censored
    durations enter through the survival function), maximised over a in closed form and over b
    numerically. rugarch's and vartests' profile likelihood is the same function.

    References
    ----------
    Christoffersen, P. and Pelletier, D. (2004), "Backtesting Value-at-Risk: a duration-based
    approach", Journal of Financial Econometrics 2(1), 84-108.
    Ghalanos, A., rugarch: Univariate GARCH models, R package, function ``VaRDurTest``.
    """
    h = _as_hits(hits)
    tl = check_level(test_level, "test_level")
    if convention not in DURATION_CONVENTIONS:
        raise ConfigError(f"convention must be one of {DURATION_CONVENTIONS}, got {convention!r}")
    if h.sum() < 2:
        return _undefined("duration", tl, 1)
    dd, cc = _durations(h, convention)
    if len(dd) < 2 or cc.all():
        return _undefined("duration", tl, 1)
    ll0, _ = _weibull_loglik(1.0, dd, cc)
    lo, hi = _WEIBULL_SHAPE_BOUNDS
    res = optimize.minimize_scalar(
        lambda lb: -_weibull_loglik(np.exp(lb), dd, cc)[0],
        bounds=(np.log(lo), np.log(hi)),
        method="bounded",
        options={"xatol": 1e-10},
    )
    ll1 = max(-float(res.fun), ll0)
    lr = 2 * (ll1 - ll0)
    return _result("duration", lr, stats.chi2.sf(lr, 1), tl, 1)
