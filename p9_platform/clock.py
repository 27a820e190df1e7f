"""Settlement clock: UK settlement dates and periods against UTC instants.

A settlement period is 30 minutes, numbered from 1 at local midnight of the settlement date, so a
day has 46 periods when the clocks go forward, 50 when they go back and 48 otherwise. Instants are
kept in UTC; the settlement date and period are derived from them, never the other way round.
"""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import numpy as np
import pandas as pd

UK = ZoneInfo("Europe/London")
UTC = dt.UTC
HALF_HOUR = dt.timedelta(minutes=30)


def local_midnight_utc(day: dt.date) -> dt.datetime:
    """Return the UTC instant of 00:00 UK clock time on ``day`` (never ambiguous in the UK)."""
    return dt.datetime.combine(day, dt.time(), tzinfo=UK).astimezone(UTC)


def periods_in_day(day: dt.date) -> int:
    """Return how many settlement periods ``day`` has: 46, 48 or 50."""
    start = local_midnight_utc(day)
    end = local_midnight_utc(day + dt.timedelta(days=1))
    return int((end - start) / HALF_HOUR)


def period_start_utc(day: dt.date, period: int) -> dt.datetime:
    """Return the UTC start of settlement period ``period`` (1-based) on ``day``."""
    count = periods_in_day(day)
    if not 1 <= period <= count:
        raise ValueError(f"settlement period {period} is out of range 1..{count} on {day}")
    return local_midnight_utc(day) + (period - 1) * HALF_HOUR


def day_intervals_utc(day: dt.date) -> pd.DatetimeIndex:
    """Return the UTC starts of every settlement period of ``day``, in period order."""
    start = pd.Timestamp(local_midnight_utc(day))
    return pd.date_range(start, periods=periods_in_day(day), freq="30min")


def half_hours_between(start: dt.datetime, end: dt.datetime) -> int:
    """Count the half hours from ``start`` to ``end``, both aware.

    Both are converted to UTC first: two datetimes sharing one ZoneInfo subtract as wall-clock
    times, which would give every UK day 48 half hours.
    """
    if start.tzinfo is None or end.tzinfo is None:
        raise ValueError("half_hours_between needs timezone-aware datetimes")
    return int((end.astimezone(UTC) - start.astimezone(UTC)) / HALF_HOUR)


def settlement_date_and_period(starts_utc: pd.Series) -> pd.DataFrame:
    """Derive settlement date and period for a series of tz-aware UTC interval starts.

    Returns a frame with ``settlement_date`` (naive midnight, datetime64) and
    ``settlement_period`` (int), aligned with the input index.
    """
    local = starts_utc.dt.tz_convert(UK)
    dates = local.dt.tz_localize(None).dt.normalize()
    midnight_utc = dates.dt.tz_localize(UK).dt.tz_convert(UTC)
    period = ((starts_utc - midnight_utc) // pd.Timedelta(minutes=30)).astype(np.int64) + 1
    return pd.DataFrame({"settlement_date": dates, "settlement_period": period})


def is_half_hour_aligned(starts_utc: pd.Series) -> pd.Series:
    """Return a boolean series: True where the instant falls exactly on :00 or :30 UTC."""
    return (
        (starts_utc.dt.second == 0)
        & (starts_utc.dt.microsecond == 0)
        & (starts_utc.dt.minute.isin([0, 30]))
    )


def days_in_window(start: dt.datetime, end: dt.datetime) -> list[dt.date]:
    """Return the UK settlement dates whose local midnight falls in ``[start, end)``."""
    first = start.astimezone(UK).date()
    last = end.astimezone(UK).date()
    return [first + dt.timedelta(days=i) for i in range((last - first).days)]
