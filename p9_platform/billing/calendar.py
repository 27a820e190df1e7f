"""The billing month as dense arrays: days, live supply days and every settlement period.

The engine works on a grid of (meter, day) cells with, below each live cell, one slot per
settlement period of that day (46, 48 or 50). Day-based charges and the half-hour view are
laid on this grid, so they do not depend on which reads exist.
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
    the live cells in meter-then-day order. Period arrays (``day``, ``period``, ``slot``,
    ``cell`` and, built on first use, ``meter``) list every settlement period of every live
    cell in that order. ``cell_offset[c]`` is the position of the first period of cell ``c``.
    """

    meter_ids: np.ndarray
    days: pd.DatetimeIndex
    live: np.ndarray
    weekend: np.ndarray
    periods_per_day: np.ndarray
    cell_meter: np.ndarray
    cell_day: np.ndarray
    cell_offset: np.ndarray
    day: np.ndarray
    period: np.ndarray
    slot: np.ndarray
    cell: np.ndarray

    _cache: dict[str, np.ndarray] = dataclasses.field(
        default_factory=dict, repr=False, compare=False
    )

    @property
    def meter(self) -> np.ndarray:
        """Return the meter of every period (built on first use, then kept)."""
        if "meter" not in self._cache:
            self._cache["meter"] = self.cell_meter.astype(np.int32)[self.cell]
        return self._cache["meter"]

    def cell_slot_index(self) -> np.ndarray:
        """Return each period's position in a (cells x 48 local slots) table."""
        return self.cell * SLOTS_PER_DAY + self.slot

    def period_index(self) -> np.ndarray:
        """Return each period's position in a (days x 50 periods) table."""
        return self.day.astype(np.int32) * MAX_PERIODS + self.period - 1

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
        offsets = (self.period.astype(np.int64) - 1) * np.timedelta64(30, "m")
        starts = midnights[self.day] + offsets
        return pd.DatetimeIndex(starts).tz_localize("UTC")


def build_grid(meter_ids: np.ndarray, live: np.ndarray, days: pd.DatetimeIndex) -> MonthGrid:
    """Lay out every settlement period of every live (meter, day) cell."""
    periods_per_day = np.array([periods_in_day(day.date()) for day in days], dtype=np.int64)
    slot_tables = {count: local_slot_index(count) for count in set(periods_per_day.tolist())}
    cell_meter, cell_day = np.nonzero(live)
    counts = periods_per_day[cell_day]
    cell_offset = np.r_[0, np.cumsum(counts)[:-1]].astype(np.int64)
    # Per-period arrays use the narrowest integer types: at 10,000 meter-months the grid has
    # 15 million periods, and every byte per period costs 15 MB.
    cell = np.repeat(np.arange(len(cell_meter), dtype=np.int32), counts)
    period = np.arange(len(cell), dtype=np.int32)
    period -= np.repeat(cell_offset.astype(np.int32), counts)
    period = (period + 1).astype(np.int8)
    day = cell_day.astype(np.int16)[cell]
    padded = np.full((len(days), MAX_PERIODS), -1, dtype=np.int8)
    for index, count in enumerate(periods_per_day):
        padded[index, :count] = slot_tables[int(count)]
    slot = padded[day, period - 1]
    return MonthGrid(
        meter_ids=meter_ids,
        days=days,
        live=live,
        weekend=np.asarray(days.weekday >= 5),
        periods_per_day=periods_per_day,
        cell_meter=cell_meter.astype(np.int64),
        cell_day=cell_day.astype(np.int64),
        cell_offset=cell_offset,
        day=day,
        period=period,
        slot=slot,
        cell=cell,
    )
