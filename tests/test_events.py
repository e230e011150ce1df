"""Tests of riskkit.events: windows around an event day and the surprise of its return."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from riskkit.events import event_surprise, event_window, pre_event
from riskkit.exceptions import ConfigError, DataError


@pytest.fixture
def rets() -> pd.DataFrame:
    rng = np.random.default_rng(7)
    idx = pd.date_range("2019-01-01", "2020-06-30", freq="D", name="date")
    frame = pd.DataFrame(
        {"A": 0.03 * rng.standard_t(4, len(idx)), "B": 0.05 * rng.standard_normal(len(idx))},
        index=idx,
    )
    frame.loc["2020-03-12"] = [-0.40, -0.50]
    return frame


def test_window_is_calendar_days_inclusive(rets):
    w = event_window(rets, "2020-03-12", before=2, after=3)
    assert list(w.index.strftime("%m-%d")) == ["03-10", "03-11", "03-12", "03-13", "03-14", "03-15"]
    assert len(event_window(rets["A"], "2020-03-12", 30)) == 61  # symmetric by default
    # a gap inside the window is not filled
    gappy = rets.drop(pd.Timestamp("2020-03-11"))
    assert len(event_window(gappy, "2020-03-12", 2, 3)) == 5


def test_pre_event_excludes_the_day(rets):
    p = pre_event(rets, "2020-03-12", lookback=365)
    assert p.index[-1] == pd.Timestamp("2020-03-11")
    assert p.index[0] == pd.Timestamp("2019-03-13")  # 2020 is a leap year: 365 days back
    assert len(pre_event(rets, "2019-01-05")) == 4  # all the history when lookback is None


def test_surprise_matches_a_direct_computation(rets):
    out = event_surprise(rets, "2020-03-12", lookback=365)
    for col in rets:
        # independent reference: numpy/scipy on the hand-cut history 2019-03-13..2020-03-11
        hist = rets.loc["2019-03-13":"2020-03-11", col].to_numpy()
        r = rets.loc["2020-03-12", col]
        sd = np.std(hist, ddof=1)
        assert out.loc[col, "prior std"] == pytest.approx(sd, rel=1e-12)
        assert out.loc[col, "sigmas"] == pytest.approx(r / sd, rel=1e-12)
        assert out.loc[col, "p normal"] == pytest.approx(stats.norm.sf(-r / sd), rel=1e-9)
        assert out.loc[col, "p student-t"] == pytest.approx(
            stats.t.cdf(r, *stats.t.fit(hist)), rel=1e-6
        )
        assert out.loc[col, "simple return"] == pytest.approx(np.exp(r) - 1)
        assert out.loc[col, "n prior"] == 365
    # fat tails: the t fit on Student-t(4) data gives the crash far more probability than Phi
    assert out.loc["A", "p student-t"] > 1e3 * out.loc["A", "p normal"]


def test_no_look_ahead(rets):
    # changing the event day's return or anything after it leaves the history statistics alone
    base = event_surprise(rets, "2020-03-12")
    moved = rets.copy()
    moved.loc["2020-03-12":] *= 3
    again = event_surprise(moved, "2020-03-12")
    np.testing.assert_allclose(again["prior std"], base["prior std"])
    np.testing.assert_allclose(again["t df"], base["t df"])
    np.testing.assert_allclose(again["sigmas"], 3 * base["sigmas"])


def test_bad_input_names_the_problem(rets):
    with pytest.raises(DataError, match="2021-01-01"):
        event_surprise(rets, "2021-01-01")
    with pytest.raises(DataError, match="need at least 30"):
        event_surprise(rets, "2019-01-10")
    with pytest.raises(DataError, match="missing"):
        nan_day = rets.copy()
        nan_day.loc["2020-03-12", "B"] = np.nan
        event_surprise(nan_day, "2020-03-12")
    with pytest.raises(DataError, match="no row between"):
        event_window(rets, "2030-01-01", 5)
    with pytest.raises(DataError, match="sorted"):
        event_window(rets.iloc[::-1], "2020-03-12", 5)
    with pytest.raises(DataError, match="DatetimeIndex"):
        event_window(rets.reset_index(drop=True), "2020-03-12")
    with pytest.raises(ConfigError, match="before"):
        event_window(rets, "2020-03-12", -1)
    with pytest.raises(ConfigError, match="date"):
        event_window(rets, "not a day")
