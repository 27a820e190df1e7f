import datetime as dt

import pytest

from p9_platform.timetable import add_working_days, bank_holidays, run_due_date, run_statuses

SETTLEMENT_DAY = dt.date(2026, 11, 10)


def test_bank_holidays_2022_extras() -> None:
    holidays = bank_holidays(2022)
    # Spring bank holiday moved from Monday 30 May to Thursday 2 June for the Jubilee.
    assert dt.date(2022, 6, 2) in holidays
    assert dt.date(2022, 6, 3) in holidays
    assert dt.date(2022, 5, 30) not in holidays
    assert dt.date(2022, 9, 19) in holidays
    # Christmas on a Sunday: Boxing Day Monday 26, Christmas substitute Tuesday 27.
    assert dt.date(2022, 12, 26) in holidays
    assert dt.date(2022, 12, 27) in holidays
    assert len(holidays) == 10


def test_bank_holidays_2027_weekend_christmas() -> None:
    holidays = bank_holidays(2027)
    assert sorted(holidays) == [
        dt.date(2027, 1, 1),
        dt.date(2027, 3, 26),  # Easter Sunday is 28 March 2027
        dt.date(2027, 3, 29),
        dt.date(2027, 5, 3),
        dt.date(2027, 5, 31),
        dt.date(2027, 8, 30),
        dt.date(2027, 12, 27),
        dt.date(2027, 12, 28),
    ]


def test_working_days_skip_christmas() -> None:
    # Friday 18 December 2026: Mon 21 to Thu 24 are four, Fri 25 and Mon 28 (Boxing Day
    # substitute) are holidays, so the fifth is Tuesday 29.
    assert add_working_days(dt.date(2026, 12, 18), 5) == dt.date(2026, 12, 29)


def test_due_dates_of_first_runs() -> None:
    # Working days after Tuesday 10 November 2026: 11, 12, 13, 16, 17 (II is D+5).
    assert run_due_date(SETTLEMENT_DAY, "II") == dt.date(2026, 11, 17)
    # Sixteen working days with no holiday between: Wednesday 2 December.
    assert run_due_date(SETTLEMENT_DAY, "SF") == dt.date(2026, 12, 2)
    assert run_due_date(SETTLEMENT_DAY, "DF") is None


def test_unknown_run_is_rejected() -> None:
    with pytest.raises(ValueError, match="unknown settlement run 'XX'"):
        run_due_date(SETTLEMENT_DAY, "XX")


def test_statuses_after_sf_arrived() -> None:
    statuses = {s.run: s.status for s in run_statuses(SETTLEMENT_DAY, {"SF"}, dt.date(2026, 12, 4))}
    assert statuses == {
        "II": "superseded",
        "SF": "arrived",
        "R1": "expected",
        "R2": "expected",
        "R3": "expected",
        "RF": "expected",
        "DF": "optional",
    }


def test_ii_overdue_only_after_due_day() -> None:
    on_due_day = {s.run: s.status for s in run_statuses(SETTLEMENT_DAY, [], dt.date(2026, 11, 17))}
    day_after = {s.run: s.status for s in run_statuses(SETTLEMENT_DAY, [], dt.date(2026, 11, 18))}
    assert on_due_day["II"] == "expected"
    assert day_after["II"] == "overdue"
    assert day_after["SF"] == "expected"


def test_old_day_missing_runs_overdue() -> None:
    statuses = run_statuses(dt.date(2013, 10, 3), {"SF"}, dt.date(2026, 12, 4))
    overdue = [s.run for s in statuses if s.status == "overdue"]
    assert overdue == ["R1", "R2", "R3", "RF"]
