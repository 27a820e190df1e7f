import datetime as dt
from zoneinfo import ZoneInfo

import pandas as pd
import pytest

from p9_platform.clock import (
    day_intervals_utc,
    days_in_window,
    half_hours_between,
    period_start_utc,
    periods_in_day,
    settlement_date_and_period,
)

LONDON = ZoneInfo("Europe/London")


@pytest.mark.parametrize(
    ("day", "expected"),
    [
        (dt.date(2013, 3, 31), 46),  # clocks go forward at 01:00 GMT
        (dt.date(2013, 10, 27), 50),  # clocks go back at 02:00 BST
        (dt.date(2026, 3, 29), 46),
        (dt.date(2026, 10, 25), 50),
        (dt.date(2026, 6, 1), 48),
    ],
)
def test_periods_in_day(day: dt.date, expected: int) -> None:
    assert periods_in_day(day) == expected


def test_spring_forward_period_three_starts_at_two_bst() -> None:
    # Elexon: on the short day SP3 starts at 02:00 BST, which is 01:00 UTC.
    assert period_start_utc(dt.date(2026, 3, 29), 3) == dt.datetime(
        2026, 3, 29, 1, 0, tzinfo=dt.UTC
    )


def test_long_day_period_five_starts_at_one_gmt() -> None:
    # Elexon: SP1-4 start 00:00-01:30 BST (23:00-00:30 UTC), SP5 starts 01:00 GMT.
    assert period_start_utc(dt.date(2023, 10, 29), 1) == dt.datetime(
        2023, 10, 28, 23, 0, tzinfo=dt.UTC
    )
    assert period_start_utc(dt.date(2023, 10, 29), 5) == dt.datetime(
        2023, 10, 29, 1, 0, tzinfo=dt.UTC
    )
    assert period_start_utc(dt.date(2023, 10, 29), 50) == dt.datetime(
        2023, 10, 29, 23, 30, tzinfo=dt.UTC
    )


def test_period_out_of_range_raises() -> None:
    with pytest.raises(ValueError, match="out of range 1..46"):
        period_start_utc(dt.date(2026, 3, 29), 47)


def test_london_window_counts_utc_half_hours() -> None:
    # A London partition window subtracts as wall-clock time (24 h) unless converted to UTC.
    start = dt.datetime(2026, 10, 25, tzinfo=LONDON)
    end = dt.datetime(2026, 10, 26, tzinfo=LONDON)
    assert end - start == dt.timedelta(hours=24)
    assert half_hours_between(start, end) == 50


def test_settlement_date_and_period_round_trip_on_long_day() -> None:
    starts = pd.Series(day_intervals_utc(dt.date(2026, 10, 25)))
    derived = settlement_date_and_period(starts)
    assert derived["settlement_period"].tolist() == list(range(1, 51))
    assert set(derived["settlement_date"]) == {pd.Timestamp("2026-10-25")}


def test_half_hour_before_midnight_bst_belongs_to_that_day() -> None:
    # 22:30 UTC on 30 June is 23:30 BST, the 48th period of 30 June.
    starts = pd.Series(pd.to_datetime(["2026-06-30 22:30:00"], utc=True))
    derived = settlement_date_and_period(starts)
    assert derived.loc[0, "settlement_date"] == pd.Timestamp("2026-06-30")
    assert derived.loc[0, "settlement_period"] == 48


def test_days_in_window_of_a_month() -> None:
    start = dt.datetime(2026, 3, 1, tzinfo=LONDON)
    end = dt.datetime(2026, 4, 1, tzinfo=LONDON)
    days = days_in_window(start, end)
    assert len(days) == 31
    assert days[0] == dt.date(2026, 3, 1)
    assert days[-1] == dt.date(2026, 3, 31)
