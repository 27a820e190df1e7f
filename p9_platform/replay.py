"""Replay a year of real reads onto a tariff year, for demonstrations only.

Public half-hourly data and published tariffs rarely share a year. A replay moves each source
settlement day onto a target day a whole number of weeks later, so weekdays (and with them the
network time bands) line up. The source year is treated as a 52-week cycle: target days past its
end wrap back 364 days. Within a day, each target half hour takes the source reading at the same
UK clock time, so the evening peak stays at 17:30 on clock-change days too. Replayed rows keep
their original UTC start in ``replayed_from_utc`` and are never passed off as original reads.
"""

from __future__ import annotations

import dataclasses
import datetime as dt

import numpy as np
import pandas as pd

from p9_platform.clock import UK, day_intervals_utc
from p9_platform.reads import READ_COLUMNS, Quality

WEEKS_52 = dt.timedelta(days=364)


@dataclasses.dataclass(frozen=True)
class Replay:
    """Replays settlement dates of ``source_year`` onto the year that starts on ``target_start``."""

    source_year: int
    target_start: dt.date

    @property
    def target_end(self) -> dt.date:
        """Return the last target day: one day short of the target start a year on."""
        return self.target_start.replace(year=self.target_start.year + 1) - dt.timedelta(days=1)

    @property
    def shift(self) -> dt.timedelta:
        """Return the whole-week shift from the source day matching ``target_start``."""
        same_day = self.target_start.replace(year=self.source_year)
        nearest = min(
            (same_day + dt.timedelta(days=d) for d in range(-3, 4)),
            key=lambda day: (day.weekday() != self.target_start.weekday(), abs(day - same_day)),
        )
        return self.target_start - nearest

    def covers(self, target_day: dt.date) -> bool:
        """Return True when ``target_day`` is in the replayed year."""
        return self.target_start <= target_day <= self.target_end

    def source_day(self, target_day: dt.date) -> dt.date:
        """Return the source settlement date replayed onto ``target_day`` (same weekday)."""
        day = target_day - self.shift
        while day.year > self.source_year:
            day -= WEEKS_52
        while day.year < self.source_year:
            day += WEEKS_52
        return day


def _clock_keys(starts_utc: pd.Series, meter_ids: pd.Series | None = None) -> pd.DataFrame:
    """Key half hours by UK clock time of day and by which occurrence of that time it is.

    The occurrence is 1 only for the second pass through the repeated hour of a long day.
    """
    local = starts_utc.dt.tz_convert(UK)
    clock = local.dt.strftime("%H:%M")
    groups = [local.dt.date.to_numpy(), clock.to_numpy()]
    if meter_ids is not None:
        groups.insert(0, meter_ids.to_numpy())
    occurrence = clock.groupby(groups, observed=True).cumcount()
    return pd.DataFrame({"clock_time": clock, "occurrence": occurrence})


def _per_meter_fill(frame: pd.DataFrame, column: str) -> pd.Series:
    """Fill a half hour the source lacked with its meter's value from the same source day."""
    by_meter = frame.groupby("meter_id", observed=True)[column]
    return frame[column].fillna(by_meter.transform("first"))


def replay_day(source_reads: pd.DataFrame, target_day: dt.date) -> pd.DataFrame:
    """Move one source day of reads (any number of meters) onto ``target_day``.

    A target half hour takes the source reading at the same UK clock time. The repeated hour of
    a 50-period target day reuses the single source hour when the source day has only one; a
    clock time the source day lacks (the lost hour of a 46-period source) becomes missing.
    """
    if source_reads.empty:
        return source_reads.loc[:, list(READ_COLUMNS)].copy()

    source = source_reads.reset_index(drop=True)
    source = pd.concat(
        [source, _clock_keys(source["interval_start_utc"], source["meter_id"])], axis=1
    )

    target_starts = pd.Series(day_intervals_utc(target_day))
    target = pd.concat(
        [target_starts.rename("interval_start_utc"), _clock_keys(target_starts)], axis=1
    )
    target["settlement_period"] = np.arange(1, len(target) + 1)
    meters = pd.DataFrame({"meter_id": source["meter_id"].unique()})
    grid = meters.merge(target, how="cross")

    # Match the same occurrence first; a second occurrence with no twin takes the first.
    exact = grid.merge(
        source.drop(columns=["interval_start_utc", "settlement_date", "settlement_period"]),
        on=["meter_id", "clock_time", "occurrence"],
        how="left",
    )
    fallback = grid.assign(occurrence=0).merge(
        source.drop(columns=["interval_start_utc", "settlement_date", "settlement_period"]),
        on=["meter_id", "clock_time", "occurrence"],
        how="left",
    )
    unmatched = exact["quality"].isna()
    fallback.index = exact.index
    exact.loc[unmatched, fallback.columns.difference(grid.columns)] = fallback.loc[
        unmatched, fallback.columns.difference(grid.columns)
    ]

    source_start = source.set_index(["meter_id", "clock_time", "occurrence"])["interval_start_utc"]
    keys = pd.MultiIndex.from_arrays(
        [exact["meter_id"], exact["clock_time"], exact["occurrence"].where(~unmatched, 0)]
    )
    replayed_from = source_start.reindex(keys).to_numpy()

    out = pd.DataFrame(
        {
            "meter_id": exact["meter_id"],
            "interval_start_utc": exact["interval_start_utc"],
            "settlement_date": pd.Timestamp(target_day),
            "settlement_period": exact["settlement_period"].astype(np.int64),
            "energy_wh": pd.array(exact["energy_wh"], dtype="Int64"),
            "quality": exact["quality"].fillna(Quality.MISSING).astype(str),
            "settlement_run": _per_meter_fill(exact, "settlement_run"),
            "source_key": _per_meter_fill(exact, "source_key"),
            "source_line": exact["source_line"].fillna(0).astype(np.int64),
            "replayed_from_utc": pd.to_datetime(replayed_from, utc=True),
        }
    )
    out["kwh"] = out["energy_wh"].astype("Float64") / 1000.0
    return out.loc[:, list(READ_COLUMNS)]
