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

from p9_platform.clock import UK, day_intervals_utc, periods_in_day
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
    by_month = frame.groupby(
        ["meter_id", "month_of_year", "is_weekend", "clock_time"], observed=True
    )
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
        wider = profile.groupby(keys, observed=True)["mean_wh"].mean()
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


# The columns that name one series of rates in each effective-dated tariff table. The latest
# row of a series still in force when the forecast starts is stretched to the horizon.
SERIES_KEYS: dict[str, list[str]] = {
    "duos_charges": ["dno", "llfc"],
    "duos_time_bands": ["dno", "day_type", "slot_minute"],
    "supply_contracts": ["contract_id"],
    "contract_unit_rates": ["contract_id", "day_type", "slot_minute"],
    "levy_rates": ["line_code", "band"],
    "vat_rates": [],
}

# Tables with a value per settlement date and period, and the columns naming each series.
DATED_KEYS: dict[str, list[str]] = {
    "line_loss_factors": ["dno", "llfc"],
    "transmission_loss_multipliers": ["gsp_group"],
    "wholesale_prices": [],
}


def roll_rates_forward(
    table: pd.DataFrame, keys: list[str], first_day: dt.date, until: dt.date
) -> pd.DataFrame:
    """Stretch the latest row of each series in force on the eve of ``first_day`` to ``until``.

    Forecasts are priced at the latest published rates, because next year's rates are not
    published yet. A series that had already ended (a levy with no current rate) stays ended,
    so the forecast leaves it unpriced just as the bills do.
    """
    if table.empty:
        return table
    eve = pd.Timestamp(first_day) - pd.Timedelta(days=1)
    rolled = table.copy()
    groups = rolled.groupby(keys, sort=False, observed=True) if keys else [((), rolled)]
    for _, series in groups:
        latest = series["valid_to"].idxmax()
        if rolled.at[latest, "valid_to"] >= eve:
            rolled.at[latest, "valid_to"] = max(pd.Timestamp(until), rolled.at[latest, "valid_to"])
    return rolled


def repeat_dated_values(table: pd.DataFrame, keys: list[str], until: dt.date) -> pd.DataFrame:
    """Extend a per-period table to ``until`` by repeating the day 52 weeks earlier.

    Whole weeks keep the weekday. A day with more periods than its source day repeats the
    source's last value; a day with fewer drops the extra periods. A day whose source is not in
    the table is left out, so the table needs a year of history to cover a year ahead.
    """
    if table.empty:
        return table
    pieces = [table]
    groups = table.groupby(keys, sort=False, observed=True) if keys else [((), table)]
    for _, series in groups:
        last = series["settlement_date"].max()
        targets = pd.date_range(last + pd.Timedelta(days=1), pd.Timestamp(until), freq="D")
        if targets.empty:
            continue
        weeks = np.ceil((targets - last).days / 364).astype(int)
        sources = targets - pd.to_timedelta(weeks * 364, unit="D")
        mapping = pd.DataFrame({"target": targets, "settlement_date": sources})
        periods = pd.DataFrame(
            [
                (target, period)
                for target in targets
                for period in range(1, periods_in_day(target.date()) + 1)
            ],
            columns=["target", "settlement_period"],
        )
        grid = periods.merge(mapping, on="target")
        values = series.drop(columns=keys)
        repeated = grid.merge(values, on=["settlement_date", "settlement_period"], how="left")
        # Extra periods of a long day take the source day's last value.
        repeated = repeated.sort_values(["target", "settlement_period"])
        target_day = repeated["target"]
        repeated = repeated.groupby("target", observed=True).ffill().assign(target=target_day)
        has_source = repeated["target"].isin(
            mapping.loc[mapping["settlement_date"].isin(series["settlement_date"]), "target"]
        )
        repeated = repeated.loc[has_source]
        repeated["settlement_date"] = repeated.pop("target")
        for key in keys:
            repeated[key] = series[key].iloc[0]
        pieces.append(repeated.loc[:, list(table.columns)])
    extended = pd.concat(pieces, ignore_index=True)
    return extended.astype(table.dtypes.to_dict())
