"""Forecast a meter's next twelve months of use from a seasonal profile of its reads.

The profile is the mean energy of each UK clock half hour, by calendar month and by weekday or
weekend, over every half hour with a value. Each future day takes the profile of its month and
day type, so the forecast keeps the shape of the evening peak and the winter rise. A month the
history never saw falls back to the meter's profile over all months of that day type, and a day
type it never saw to the profile over every day.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd

from p9_platform.clock import UK, day_intervals_utc
from p9_platform.reads import Quality, build_reads

FORECAST_SOURCE = "forecast:seasonal-profile"


def _clock_columns(starts_utc: pd.Series) -> pd.DataFrame:
    local = starts_utc.dt.tz_convert(UK)
    return pd.DataFrame(
        {
            "month_of_year": local.dt.month.to_numpy(),
            "is_weekend": (local.dt.weekday >= 5).to_numpy(),
            "clock_time": local.dt.strftime("%H:%M").to_numpy(),
        },
        index=starts_utc.index,
    )


def seasonal_profile(reads: pd.DataFrame) -> pd.DataFrame:
    """Return mean Wh per meter, month of year, weekend flag and UK clock half hour.

    Missing half hours are left out rather than counted as zero.
    """
    metered = reads.loc[reads["quality"] != Quality.MISSING]
    frame = pd.concat(
        [metered[["meter_id"]], _clock_columns(metered["interval_start_utc"])], axis=1
    )
    frame["energy_wh"] = metered["energy_wh"].astype(float)
    by_month = frame.groupby(["meter_id", "month_of_year", "is_weekend", "clock_time"])
    return by_month["energy_wh"].mean().rename("mean_wh").reset_index()


def forecast_reads(profile: pd.DataFrame, first_month: dt.date, months: int = 12) -> pd.DataFrame:
    """Build forecast half-hour reads for ``months`` months from ``first_month``.

    Returns rows shaped like normalised reads with quality ``estimated`` and source
    :data:`FORECAST_SOURCE`; energy is rounded to whole watt-hours.
    """
    start = pd.Timestamp(first_month)
    days = pd.date_range(start, start + pd.DateOffset(months=months), freq="D", inclusive="left")
    starts = pd.Series(np.concatenate([day_intervals_utc(day.date()) for day in days]))
    future = pd.concat([starts.rename("interval_start_utc"), _clock_columns(starts)], axis=1)

    grid = profile[["meter_id"]].drop_duplicates().merge(future, how="cross")
    grid = grid.merge(
        profile, on=["meter_id", "month_of_year", "is_weekend", "clock_time"], how="left"
    )
    # Fall back to all months of the same day type, then to every day, for what history lacks.
    mean_wh = grid["mean_wh"]
    for keys in (["meter_id", "is_weekend", "clock_time"], ["meter_id", "clock_time"]):
        wider = profile.groupby(keys)["mean_wh"].mean()
        lookup = wider.reindex(pd.MultiIndex.from_frame(grid[keys])).to_numpy()
        mean_wh = mean_wh.fillna(pd.Series(lookup, index=grid.index))
    grid = grid.loc[mean_wh.notna()]
    energy = np.round(mean_wh[mean_wh.notna()].to_numpy()).astype(np.int64)

    return build_reads(
        meter_id=grid["meter_id"],
        interval_start_utc=grid["interval_start_utc"],
        energy_wh=pd.Series(energy, index=grid.index),
        quality=pd.Series(Quality.ESTIMATED.value, index=grid.index),
        source_key=FORECAST_SOURCE,
        source_line=pd.Series(0, index=grid.index),
    )


def roll_rates_forward(table: pd.DataFrame, until: dt.date) -> pd.DataFrame:
    """Extend the rows in force at the end of an effective-dated table to ``until``.

    Forecasts are priced at the latest published rates, because next year's rates are not
    published yet; the rows ending on the table's last date are stretched to cover the horizon.
    """
    if "valid_to" not in table.columns or table.empty:
        return table
    latest = table["valid_to"] == table["valid_to"].max()
    rolled = table.copy()
    rolled.loc[latest, "valid_to"] = max(pd.Timestamp(until), table["valid_to"].max())
    return rolled
