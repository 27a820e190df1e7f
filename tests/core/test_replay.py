import datetime as dt

import pandas as pd

from p9_platform.clock import day_intervals_utc
from p9_platform.reads import Quality, build_reads
from p9_platform.replay import Replay, replay_day

REPLAY = Replay(source_year=2013, target_start=dt.date(2026, 4, 1))


def _day_of_reads(day: dt.date, meter: str = "M1") -> pd.DataFrame:
    starts = pd.Series(day_intervals_utc(day))
    return build_reads(
        meter_id=pd.Series(meter, index=starts.index),
        interval_start_utc=starts,
        energy_wh=pd.Series(range(1, len(starts) + 1), index=starts.index),
        quality=pd.Series(Quality.ACTUAL.value, index=starts.index),
        source_key="m1.csv",
        source_line=pd.Series(range(2, len(starts) + 2), index=starts.index),
    )


def test_replay_keeps_weekday() -> None:
    # 1 April 2026 is a Wednesday; the nearest Wednesday to 1 April 2013 is 3 April 2013.
    assert REPLAY.source_day(dt.date(2026, 4, 1)) == dt.date(2013, 4, 3)
    assert REPLAY.shift == dt.timedelta(weeks=678)


def test_replay_wraps_into_start_of_source_year() -> None:
    # 30 December 2026 is 678 weeks after 1 January 2014, so it wraps 52 weeks back.
    assert REPLAY.source_day(dt.date(2026, 12, 30)) == dt.date(2013, 1, 2)
    assert REPLAY.source_day(dt.date(2027, 3, 31)) == dt.date(2013, 4, 3)


def test_replay_maps_clock_change_days_onto_each_other() -> None:
    assert REPLAY.source_day(dt.date(2026, 10, 25)) == dt.date(2013, 10, 27)
    assert REPLAY.source_day(dt.date(2027, 3, 28)) == dt.date(2013, 3, 31)


def test_replay_day_keeps_clock_time_on_long_day() -> None:
    source = _day_of_reads(dt.date(2013, 10, 27))
    out = replay_day(source, dt.date(2026, 10, 25))
    assert len(out) == 50
    assert out["energy_wh"].tolist() == list(range(1, 51))
    assert out["replayed_from_utc"].iloc[0] == pd.Timestamp("2013-10-26 23:00", tz="UTC")


def test_replay_of_normal_day_onto_long_day_repeats_the_hour() -> None:
    # Target periods 3-4 (01:00, 01:30 BST) and 5-6 (01:00, 01:30 GMT) share clock times,
    # so both take source periods 3 and 4.
    source = _day_of_reads(dt.date(2013, 6, 2))
    out = replay_day(source, dt.date(2026, 10, 25))
    assert len(out) == 50
    assert out["energy_wh"].tolist()[:8] == [1, 2, 3, 4, 3, 4, 5, 6]
    assert out["energy_wh"].iloc[-1] == 48


def test_replay_of_normal_day_onto_short_day_drops_lost_hour() -> None:
    source = _day_of_reads(dt.date(2013, 6, 2))
    out = replay_day(source, dt.date(2027, 3, 28))
    assert len(out) == 46
    assert out["energy_wh"].tolist()[:4] == [1, 2, 5, 6]


def test_replay_of_short_day_onto_normal_day_marks_missing() -> None:
    source = _day_of_reads(dt.date(2013, 3, 31))
    out = replay_day(source, dt.date(2026, 6, 3))
    assert len(out) == 48
    assert out["quality"].tolist()[2:4] == [Quality.MISSING.value, Quality.MISSING.value]
    assert out["energy_wh"].isna().sum() == 2
