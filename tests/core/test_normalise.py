import datetime as dt

import pandas as pd

from p9_platform.normalise import fill_gaps, meter_spans
from p9_platform.reads import Quality, build_reads


def _reads(starts: list[str], meter: str = "M1") -> pd.DataFrame:
    index = pd.RangeIndex(len(starts))
    return build_reads(
        meter_id=pd.Series(meter, index=index),
        interval_start_utc=pd.Series(pd.to_datetime(starts, utc=True)),
        energy_wh=pd.Series([100] * len(starts), index=index),
        quality=pd.Series(Quality.ACTUAL.value, index=index),
        source_key="m1.csv",
        source_line=pd.Series(range(2, len(starts) + 2), index=index),
    )


def test_gap_inside_span_becomes_missing() -> None:
    # Winter day: UTC equals UK clock, 48 periods; reads at 00:00 and 01:00 leave 00:30 out.
    reads = _reads(["2026-01-10 00:00", "2026-01-10 01:00"])
    filled = fill_gaps(reads, meter_spans(reads), [dt.date(2026, 1, 10)])
    assert len(filled) == 3
    gap = filled.loc[filled["quality"] == Quality.MISSING.value]
    assert gap["interval_start_utc"].tolist() == [pd.Timestamp("2026-01-10 00:30", tz="UTC")]
    assert gap["energy_wh"].isna().all()
    assert gap["settlement_period"].tolist() == [2]


def test_whole_missing_day_inside_span_gets_every_period() -> None:
    reads = _reads(["2026-10-24 12:00", "2026-10-26 12:00"])
    filled = fill_gaps(reads, meter_spans(reads), [dt.date(2026, 10, 25)])
    on_long_day = filled.loc[filled["settlement_date"] == pd.Timestamp("2026-10-25")]
    assert len(on_long_day) == 50
    assert (on_long_day["quality"] == Quality.MISSING.value).all()


def test_no_padding_after_last_read() -> None:
    reads = _reads(["2026-01-10 00:00", "2026-01-10 00:30"])
    filled = fill_gaps(reads, meter_spans(reads), [dt.date(2026, 1, 10), dt.date(2026, 1, 11)])
    assert len(filled) == 2
