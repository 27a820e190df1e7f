"""The settlement timetable: when each run of a settlement day is due, in working days.

Working days are Monday to Friday less the bank holidays of England and Wales, because
settlement runs happen only on working days.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import functools
from collections.abc import Iterable

from dateutil.easter import easter  # type: ignore[import-untyped]

from p9_platform.settlement import RUN_RANK

# Working days after the settlement date by which each run is due (pre-MHHS BSC SVA calendar).
# NOTE: UNVERIFIED. These are the usual quoted figures, consistent with the lags of an Elexon
# "Best View Prices" workbook of 4 March 2022 (II 5, SF 16, R1 35, R2 80, R3 150, RF 288 working
# days) but not checked against the published BSC settlement calendar, which sets each date.
# DF runs only for days still under dispute after RF (up to about 28 months), so it has no due
# date and is never overdue.
EXPECTED_RUN_WORKING_DAYS: dict[str, int | None] = {
    "II": 5,
    "SF": 16,
    "R1": 39,
    "R2": 84,
    "R3": 154,
    "RF": 294,
    "DF": None,
}

# One-off bank holidays and moved ones, by royal proclamation. The regular ones follow the
# Banking and Financial Dealings Act 1971 rules in _regular_bank_holidays. Cross-checked
# against the England and Wales tables of the vacanza/holidays package.
# NOTE: a proclamation after 2023 must be added here; none was known when this was written.
EXTRA_BANK_HOLIDAYS = {
    dt.date(2011, 4, 29): "Royal wedding",
    dt.date(2012, 6, 5): "Diamond Jubilee",
    dt.date(2022, 6, 3): "Platinum Jubilee",
    dt.date(2022, 9, 19): "State funeral of Queen Elizabeth II",
    dt.date(2023, 5, 8): "Coronation of King Charles III",
}
# (year, rule name) -> the date the holiday moved to that year.
MOVED_BANK_HOLIDAYS = {
    (2012, "spring"): dt.date(2012, 6, 4),
    (2020, "early May"): dt.date(2020, 5, 8),
    (2022, "spring"): dt.date(2022, 6, 2),
}


def _first_monday(year: int, month: int) -> dt.date:
    first = dt.date(year, month, 1)
    return first + dt.timedelta(days=(7 - first.weekday()) % 7)


def _last_monday(year: int, month: int) -> dt.date:
    next_month = dt.date(year + month // 12, month % 12 + 1, 1)
    last = next_month - dt.timedelta(days=1)
    return last - dt.timedelta(days=last.weekday())


def _regular_bank_holidays(year: int) -> dict[str, dt.date]:
    easter_sunday = easter(year)
    return {
        "good Friday": easter_sunday - dt.timedelta(days=2),
        "Easter Monday": easter_sunday + dt.timedelta(days=1),
        "early May": _first_monday(year, 5),
        "spring": _last_monday(year, 5),
        "summer": _last_monday(year, 8),
    }


@functools.cache
def bank_holidays(year: int) -> frozenset[dt.date]:
    """Return the bank holidays of England and Wales in ``year``.

    New Year's Day, Christmas Day and Boxing Day that fall on a weekend are replaced by the
    next weekday that is not already a holiday (so Christmas on a Saturday gives Monday 27 and
    Tuesday 28 December).
    """
    days = set()
    for name, day in _regular_bank_holidays(year).items():
        days.add(MOVED_BANK_HOLIDAYS.get((year, name), day))
    days |= {day for day in EXTRA_BANK_HOLIDAYS if day.year == year}

    fixed_days = (dt.date(year, 1, 1), dt.date(year, 12, 25), dt.date(year, 12, 26))
    # Weekday ones first, so Christmas on a Sunday moves past a Monday Boxing Day to Tuesday.
    days |= {day for day in fixed_days if day.weekday() < 5}
    for fixed in fixed_days:
        if fixed.weekday() < 5:
            continue
        substitute = fixed
        while substitute.weekday() >= 5 or substitute in days:
            substitute += dt.timedelta(days=1)
        days.add(substitute)
    return frozenset(days)


def is_working_day(day: dt.date) -> bool:
    """Return True for a weekday that is not an England and Wales bank holiday."""
    return day.weekday() < 5 and day not in bank_holidays(day.year)


def add_working_days(day: dt.date, count: int) -> dt.date:
    """Return the date ``count`` working days after ``day`` (D+1 is the next working day)."""
    current = day
    remaining = count
    while remaining > 0:
        current += dt.timedelta(days=1)
        if is_working_day(current):
            remaining -= 1
    return current


def run_due_date(settlement_date: dt.date, run: str) -> dt.date | None:
    """Return the date ``run`` is due for ``settlement_date``, or None when it has no deadline."""
    if run not in EXPECTED_RUN_WORKING_DAYS:
        raise ValueError(
            f"unknown settlement run {run!r}; expected one of {list(EXPECTED_RUN_WORKING_DAYS)}"
        )
    lag = EXPECTED_RUN_WORKING_DAYS[run]
    return None if lag is None else add_working_days(settlement_date, lag)


@dataclasses.dataclass(frozen=True)
class RunStatus:
    """Where one settlement run of one settlement day stands on a given date.

    ``status`` is ``arrived``; ``superseded`` (not arrived, but a more mature run has, so it is
    no longer needed); ``overdue`` (not arrived and its due date has passed); ``expected``
    (not due yet); or ``optional`` (DF, which has no due date).
    """

    settlement_date: dt.date
    run: str
    due: dt.date | None
    status: str


def run_statuses(
    settlement_date: dt.date, arrived: Iterable[str], today: dt.date
) -> list[RunStatus]:
    """Return the status of every settlement run of one day, least mature first.

    A run due on ``today`` is not overdue yet, because files of that day may still arrive.
    """
    arrived_runs = set(arrived)
    most_mature = max((RUN_RANK[run] for run in arrived_runs), default=-1)
    statuses = []
    for run in EXPECTED_RUN_WORKING_DAYS:
        due = run_due_date(settlement_date, run)
        if run in arrived_runs:
            status = "arrived"
        elif RUN_RANK[run] < most_mature:
            status = "superseded"
        elif due is None:
            status = "optional"
        elif due < today:
            status = "overdue"
        else:
            status = "expected"
        statuses.append(RunStatus(settlement_date, run, due, status))
    return statuses
