import datetime as dt

import pandas as pd

from p9_platform.clock import day_intervals_utc
from p9_platform.forecasting import forecast_reads, roll_rates_forward, seasonal_profile
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


def test_roll_rates_forward_extends_latest_rows_only() -> None:
    table = pd.DataFrame(
        {
            "valid_from": pd.to_datetime(["2025-04-01", "2026-04-01"]),
            "valid_to": pd.to_datetime(["2026-03-31", "2027-03-31"]),
            "rate": ["1", "2"],
        }
    )
    rolled = roll_rates_forward(table, dt.date(2028, 1, 31))
    assert rolled["valid_to"].tolist() == [pd.Timestamp("2026-03-31"), pd.Timestamp("2028-01-31")]
