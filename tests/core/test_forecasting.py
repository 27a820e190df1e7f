import datetime as dt

import pandas as pd

from p9_platform.clock import day_intervals_utc
from p9_platform.forecasting import (
    forecast_reads,
    repeat_dated_values,
    roll_rates_forward,
    seasonal_profile,
)
from p9_platform.reads import Quality, build_reads


def _january_reads() -> pd.DataFrame:
    # Two January weekdays: every half hour 100 Wh on the first, 300 Wh on the second.
    starts = pd.Series(
        list(day_intervals_utc(dt.date(2026, 1, 5))) + list(day_intervals_utc(dt.date(2026, 1, 6)))
    )
    energy = pd.Series([100] * 48 + [300] * 48)
    return build_reads(
        meter_id=pd.Series("M1", index=starts.index),
        interval_start_utc=starts,
        energy_wh=energy,
        quality=pd.Series(Quality.ACTUAL.value, index=starts.index),
        source_key="m1.csv",
        source_line=pd.Series(range(2, 98)),
    )


def test_profile_is_mean_per_clock_half_hour() -> None:
    profile = seasonal_profile(_january_reads())
    assert len(profile) == 48
    assert set(profile["mean_wh"]) == {200.0}


def test_forecast_january_weekday_uses_profile() -> None:
    profile = seasonal_profile(_january_reads())
    future = forecast_reads(profile, dt.date(2027, 1, 1), months=1)
    # 31 January days of 48 half hours, all at the weekday mean since weekends fall back to it.
    assert len(future) == 31 * 48
    assert future["energy_wh"].sum() == 31 * 48 * 200
    assert (future["quality"] == Quality.ESTIMATED.value).all()


def test_roll_rates_forward_extends_current_series_only() -> None:
    table = pd.DataFrame(
        {
            "line_code": ["ccl", "ccl", "ro"],
            "valid_from": pd.to_datetime(["2025-04-01", "2026-04-01", "2025-04-01"]),
            "valid_to": pd.to_datetime(["2026-03-31", "2027-03-31", "2026-03-31"]),
            "rate": ["1", "2", "3"],
        }
    )
    rolled = roll_rates_forward(table, ["line_code"], dt.date(2027, 1, 1), dt.date(2027, 12, 31))
    # CCL's 2026/27 row is in force on 31 December 2026, so it runs on; RO had already ended.
    assert rolled["valid_to"].tolist() == [
        pd.Timestamp("2026-03-31"),
        pd.Timestamp("2027-12-31"),
        pd.Timestamp("2026-03-31"),
    ]


def test_repeat_dated_values_skips_days_without_source() -> None:
    rows = [("LOND", "199", pd.Timestamp("2026-10-24"), period, period) for period in range(1, 49)]
    table = pd.DataFrame(
        rows, columns=["dno", "llfc", "settlement_date", "settlement_period", "llf"]
    )
    # 25 October 2026 would repeat 26 October 2025, which the table does not have.
    extended = repeat_dated_values(table, ["dno", "llfc"], dt.date(2026, 10, 25))
    assert extended["settlement_date"].unique().tolist() == [pd.Timestamp("2026-10-24")]


def test_repeat_dated_values_fills_long_day_from_normal_day() -> None:
    rows = [("LOND", "199", pd.Timestamp("2025-10-26"), period, period) for period in range(1, 49)]
    table = pd.DataFrame(
        rows, columns=["dno", "llfc", "settlement_date", "settlement_period", "llf"]
    )
    # 25 October 2026 is 364 days after 26 October 2025, both Sundays; 2026's has 50 periods.
    extended = repeat_dated_values(table, ["dno", "llfc"], dt.date(2026, 10, 25))
    long_day = extended.loc[extended["settlement_date"] == pd.Timestamp("2026-10-25")]
    assert len(long_day) == 50
    assert long_day["llf"].tolist()[:48] == list(range(1, 49))
    assert long_day["llf"].tolist()[48:] == [48, 48]
