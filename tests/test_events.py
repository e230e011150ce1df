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


def test_event_table_writes_to_parquet(rets, tmp_path):
    # no attrs (a Timestamp there made to_parquet fail: JSON cannot hold it)
    out = event_surprise(rets, "2020-03-12", lookback=365)
    assert out.attrs == {}
    out.to_parquet(tmp_path / "event.parquet")
    pd.testing.assert_frame_equal(pd.read_parquet(tmp_path / "event.parquet"), out)


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


# ---------------------------------------------------------------- named stress episodes


def test_episode_table_names_the_events_after_2020() -> None:
    from riskkit.events import stress_episodes

    table = stress_episodes().set_index("name")
    assert table["start"].is_monotonic_increasing  # oldest first
    assert (table["end"] >= table["start"]).all()
    assert table["description"].str.len().gt(20).all() and table["source"].str.len().gt(10).all()

    def covering(day: str) -> list[str]:
        d = pd.Timestamp(day)
        return list(table.index[(table["start"] <= d) & (table["end"] >= d)])

    # the days a 2026 risk committee asks about, each inside exactly one named episode
    assert covering("2021-05-19") == ["2021-05 China mining ban crash"]
    assert covering("2022-05-09") == ["2022-05 LUNA/UST collapse"]
    assert covering("2022-11-08") == ["2022-11 FTX collapse"]
    assert covering("2024-08-05") == ["2024-08 yen carry-trade unwind"]
    assert covering("2025-10-10") == covering("2025-10-11") == ["2025-10 liquidation cascade"]
    luna, ftx = table.loc["2022-05 LUNA/UST collapse"], table.loc["2022-11 FTX collapse"]
    assert (luna["start"], luna["end"]) == (pd.Timestamp("2022-05-07"), pd.Timestamp("2022-05-13"))
    assert (ftx["start"], ftx["end"]) == (pd.Timestamp("2022-11-06"), pd.Timestamp("2022-11-11"))
    # the episodes before 2021 keep their names and dates (the stress tables of earlier runs)
    from riskkit.margin import NAMED_EPISODES

    assert NAMED_EPISODES["2020-03 COVID crash (Black Thursday)"] == ("2020-03-05", "2020-03-20")
    assert len(NAMED_EPISODES) == len(table)


def test_user_episodes_are_checked_and_added() -> None:
    from riskkit.events import StressEpisode, stress_episodes

    mine = {"name": "desk drill", "start": "2023-03-10", "end": "2023-03-13"}
    table = stress_episodes([mine])
    assert table["name"].iloc[-1] == "desk drill"
    with pytest.raises(ConfigError, match="end 2023-03-01 is before start 2023-03-10"):
        StressEpisode(name="x", start="2023-03-10", end="2023-03-01")


def test_intraday_stress_finds_the_episode_and_reports_the_others() -> None:
    from riskkit.margin.stress import episode_status, historical_stress

    # hourly returns over October 2025 with a fall on the evening of 10 October
    idx = pd.date_range("2025-10-01", "2025-10-20 23:00", freq="1h", name="date")
    r = pd.Series(0.001 * np.sin(np.arange(len(idx))), index=idx)
    r.loc["2025-10-10 21:00"] = -0.12
    im = pd.Series(0.05, index=idx[24:])
    out = historical_stress(r, im, 0.6 * im, 24, interval="1h")
    cascade = out[out["scenario"] == "2025-10 liquidation cascade"].iloc[0]
    # the worst 24-hour window that includes the fall, starting inside the episode's days
    window = r.rolling(24).sum().shift(-23)
    assert cascade["start"] == window.loc["2025-10-10":"2025-10-11 23:00"].idxmin()
    assert cascade["loss"] == pytest.approx(-np.expm1(window.min()))
    assert cascade["shortfall_im"] == pytest.approx(cascade["loss"] - 0.05)
    assert out["scenario"].str.startswith("worst 24-bar (1h) window from").any()
    # every other named episode is outside the data: listed as such, not dropped silently
    status = episode_status(r.index, im.index).set_index("scenario")
    assert status.loc["2025-10 liquidation cascade", "status"] == "tested"
    assert status.loc["2022-11 FTX collapse", "status"] == "not in data"
    assert "the data cover 2025-10-01 to 2025-10-20" in status.loc["2022-11 FTX collapse", "detail"]
    # an episode inside the data but before the first margin
    early = episode_status(
        r.index, im.index, [{"name": "e", "start": "2025-10-01", "end": "2025-10-01"}]
    )
    assert early.loc[0, "status"] == "no margin in force"
