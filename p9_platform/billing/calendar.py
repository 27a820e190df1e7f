"""The billing month as dense arrays: days, live supply days and every settlement period.

The engine works on a grid of (meter, day) cells and, below each live cell, one slot per
settlement period of that day (46, 48 or 50), so day-based charges and the half-hour view never
depend on which reads happen to exist.
"""

from __future__ import annotations

import dataclasses
import datetime as dt

import numpy as np
import pandas as pd

from p9_platform.clock import local_midnight_utc, periods_in_day

MAX_PERIODS = 50
SLOTS_PER_DAY = 48


def month_days(month_start: dt.date) -> pd.DatetimeIndex:
    """Return every settlement date in the calendar month starting ``month_start``."""
    start = pd.Timestamp(month_start)
    return pd.date_range(start, start + pd.offsets.MonthEnd(0), freq="D")


def local_slot_index(periods: int) -> np.ndarray:
    """Return, for settlement periods 1..``periods``, the index of their local clock slot.

    Slot ``k`` starts at ``30 k`` minutes after local midnight. On the 46-period day the clock
    skips 01:00-02:00, so period 3 starts at 02:00 (slot 4). On the 50-period day 01:00-02:00
    happens twice, so periods 5 and 6 repeat slots 2 and 3 and period 7 starts at 02:00.
    """
    sp = np.arange(1, periods + 1)
    if periods == 46:
        return np.where(sp <= 2, sp - 1, sp + 1)
    if periods == 50:
        return np.where(sp <= 4, sp - 1, sp - 3)
    return sp - 1


@dataclasses.dataclass(frozen=True)
class MonthGrid:
    """Live (meter, day) cells of a month and the settlement periods beneath them.

    ``live`` is a (meters x days) bool matrix. Cell arrays (``cell_meter``, ``cell_day``) list
    the live cells in meter-then-day order; period arrays (``meter``, ``day``, ``period``,
    ``slot``, ``cell``) list every settlement period of every live cell in that order, and
    ``cell_offset[c]`` is the position of the first period of cell ``c``.
    """

    meter_ids: np.ndarray
    days: pd.DatetimeIndex
    live: np.ndarray
    weekend: np.ndarray
    periods_per_day: np.ndarray
    cell_meter: np.ndarray
    cell_day: np.ndarray
    cell_offset: np.ndarray
    meter: np.ndarray
    day: np.ndarray
    period: np.ndarray
    slot: np.ndarray
    cell: np.ndarray

    @property
    def size(self) -> int:
        """Return the number of settlement periods in the grid."""
        return len(self.period)

    def cell_index(self) -> np.ndarray:
        """Return a (meters x days) matrix of cell numbers, -1 where the supply is not live."""
        index = np.full(self.live.shape, -1, dtype=np.int64)
        index[self.cell_meter, self.cell_day] = np.arange(len(self.cell_meter))
        return index

    def interval_start_utc(self) -> pd.DatetimeIndex:
        """Return the UTC start of every settlement period in the grid."""
        midnights = np.array(
            [
                np.datetime64(local_midnight_utc(day.date()).replace(tzinfo=None), "ns")
                for day in self.days
            ]
        )
        starts = midnights[self.day] + (self.period - 1) * np.timedelta64(30, "m")
        return pd.DatetimeIndex(starts).tz_localize("UTC")


def build_grid(meter_ids: np.ndarray, live: np.ndarray, days: pd.DatetimeIndex) -> MonthGrid:
    """Lay out every settlement period of every live (meter, day) cell."""
    periods_per_day = np.array([periods_in_day(day.date()) for day in days], dtype=np.int64)
    slot_tables = {count: local_slot_index(count) for count in set(periods_per_day.tolist())}
    cell_meter, cell_day = np.nonzero(live)
    counts = periods_per_day[cell_day]
    cell_offset = np.r_[0, np.cumsum(counts)[:-1]].astype(np.int64)
    cell = np.repeat(np.arange(len(cell_meter)), counts)
    period = np.arange(len(cell)) - np.repeat(cell_offset, counts) + 1
    day = cell_day[cell]
    slot = np.empty(len(cell), dtype=np.int64)
    padded = np.full((len(days), MAX_PERIODS), -1, dtype=np.int64)
    for index, count in enumerate(periods_per_day):
        padded[index, :count] = slot_tables[int(count)]
    slot[:] = padded[day, period - 1]
    return MonthGrid(
        meter_ids=meter_ids,
        days=days,
        live=live,
        weekend=np.asarray(days.weekday >= 5),
        periods_per_day=periods_per_day,
        cell_meter=cell_meter.astype(np.int64),
        cell_day=cell_day.astype(np.int64),
        cell_offset=cell_offset,
        meter=cell_meter[cell].astype(np.int64),
        day=day.astype(np.int64),
        period=period.astype(np.int64),
        slot=slot,
        cell=cell.astype(np.int64),
    )
